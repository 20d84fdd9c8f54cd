"""The dead-man switch's AWS side (issue 17): a schedule group, the role its schedules run as, and what
the drill's function may do with them; and the drill lock's staleness check (DescribeExecution).

A drill that stops an instance first creates a one-time schedule in this cluster's group that starts
the instance at the drill's deadline (hadrill.drill.deadman). The schedule runs as a role that may only
ec2:StartInstances on this cluster's two nodes; the drill's role may create and delete schedules in
this group only, and pass that role only, and only to Scheduler.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_scheduler as scheduler
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from stacks.grants import execution_arns
from stacks.nag import acknowledge
from stacks.orchestration import wiring

SCHEDULER_PRINCIPAL = "scheduler.amazonaws.com"


class DeadManSchedules(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, cluster_name: str, instance_ids: list[str]) -> None:
        super().__init__(scope, construct_id)
        stack = cdk.Stack.of(self)
        self.group_name = wiring.dead_man_schedule_group(cluster_name)
        self.group = scheduler.CfnScheduleGroup(self, "Group", name=self.group_name)
        self.group_arn = self.group.attr_arn
        # Scheduler assumes it for this account's schedules only (the confused-deputy condition AWS
        # recommends for Scheduler execution roles).
        self.role = iam.Role(
            self,
            "SchedulerRole",
            description=f"hadrill dead-man switch of {cluster_name}: start a node a dead drill stopped",
            assumed_by=iam.ServicePrincipal(
                SCHEDULER_PRINCIPAL, conditions={"StringEquals": {"aws:SourceAccount": stack.account}}
            ),
        )
        instances = [stack.format_arn(service="ec2", resource="instance", resource_name=i) for i in instance_ids]
        self.role.add_to_policy(iam.PolicyStatement(actions=["ec2:StartInstances"], resources=instances))
        self.schedules_arn = stack.format_arn(
            service="scheduler", resource="schedule", resource_name=f"{self.group_name}/*"
        )

    def environment(self) -> dict[str, str]:
        return {wiring.ENV_DEAD_MAN_SCHEDULE_GROUP: self.group_name, wiring.ENV_DEAD_MAN_ROLE_ARN: self.role.role_arn}

    def grant(self, function: lambda_.Function) -> None:
        """Create and delete schedules in this group; pass the scheduler role, to Scheduler only."""
        function.add_to_role_policy(
            iam.PolicyStatement(
                actions=["scheduler:CreateSchedule", "scheduler:DeleteSchedule"], resources=[self.schedules_arn]
            )
        )
        function.add_to_role_policy(
            iam.PolicyStatement(
                actions=["iam:PassRole"],
                resources=[self.role.role_arn],
                conditions={"StringEquals": {"iam:PassedToService": SCHEDULER_PRINCIPAL}},
            )
        )
        acknowledge(
            function,
            f"AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:scheduler:<AWS::Region>:<AWS::AccountId>:"
            f"schedule/{self.group_name}/*]",
            "Each drill creates (and deletes) its own one-time schedule, named by drill id, in this cluster's"
            " dead-man schedule group only.",
        )


def grant_execution_reads(
    scope: Construct,
    functions: Iterable[lambda_.Function],
    state_machines: Mapping[str, sfn.StateMachine],
) -> None:
    """states:DescribeExecution on this cluster's own executions (a drill lock whose execution has
    ended is broken). A policy of its own: the state machines name the functions, so a statement in
    the functions' default policy naming the state machines would make a dependency cycle."""
    executions = execution_arns(scope, [machine.state_machine_name for machine in state_machines.values()])
    policy = iam.Policy(
        scope,
        "ExecutionReads",
        statements=[iam.PolicyStatement(actions=["states:DescribeExecution"], resources=executions)],
    )
    for function in functions:
        assert function.role is not None
        policy.attach_to_role(function.role)
    stack = cdk.Stack.of(scope)
    names = sorted(stack.get_logical_id(m.node.default_child) for m in state_machines.values())  # type: ignore[arg-type]
    for logical_id in names:
        acknowledge(
            policy,
            f"AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:"
            f"execution:<{logical_id}.Name>:*]",
            "The drill lock names the execution that holds it; any execution of this cluster's own state"
            " machines may hold it, so the next drill may describe any of them (read-only).",
        )
