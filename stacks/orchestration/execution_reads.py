"""Read access to this cluster's own executions, each in a policy of its own: the state machines name
the functions, so a statement in the functions' default policy naming the state machines would make a
dependency cycle.

- ``ExecutionReads``: states:DescribeExecution on every workflow's executions (a drill lock whose
  execution has ended is broken; issue 17).
- ``ExecutionHistoryReads``: states:GetExecutionHistory on the drill's executions (RecordDrillResult
  counts the drill's cost from its own history instead of estimating it).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from stacks.grants import execution_arns
from stacks.nag import acknowledge


def _grant(
    scope: Construct,
    construct_id: str,
    *,
    action: str,
    functions: Iterable[lambda_.Function],
    state_machines: Iterable[sfn.StateMachine],
    reason: str,
) -> None:
    stack = cdk.Stack.of(scope)
    machines = list(state_machines)
    executions = execution_arns(scope, [machine.state_machine_name for machine in machines])
    policy = iam.Policy(scope, construct_id, statements=[iam.PolicyStatement(actions=[action], resources=executions)])
    for function in functions:
        assert function.role is not None
        policy.attach_to_role(function.role)
    for logical_id in sorted(stack.get_logical_id(m.node.default_child) for m in machines):  # type: ignore[arg-type]
        acknowledge(
            policy,
            f"AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:"
            f"execution:<{logical_id}.Name>:*]",
            reason,
        )


def grant_execution_reads(
    scope: Construct, functions: Iterable[lambda_.Function], state_machines: Mapping[str, sfn.StateMachine]
) -> None:
    _grant(
        scope,
        "ExecutionReads",
        action="states:DescribeExecution",
        functions=functions,
        state_machines=state_machines.values(),
        reason="The drill lock names the execution that holds it; any execution of this cluster's own state"
        " machines may hold it, so the next drill may describe any of them (read-only).",
    )


def grant_history_reads(
    scope: Construct, functions: Iterable[lambda_.Function], state_machine: sfn.StateMachine
) -> None:
    _grant(
        scope,
        "ExecutionHistoryReads",
        action="states:GetExecutionHistory",
        functions=functions,
        state_machines=[state_machine],
        reason="RecordDrillResult reads the history of the execution that invoked it (its name is made"
        " per drill), to count the drill's state transitions (read-only).",
    )
