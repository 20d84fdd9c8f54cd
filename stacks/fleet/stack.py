"""The fleet stack: the FleetDrill state machine, its two functions, the fleet reports bucket and
the fleet's schedules. The clusters' own stacks are unchanged: the fleet only starts their drills.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct, IConstruct

from hadrill import contracts
from stacks.cluster.media import MediaBucket
from stacks.config import Drills
from stacks.fleet.config import Fleet
from stacks.grants import colon_arn, execution_arns, grant_put_objects
from stacks.nag import acknowledge
from stacks.orchestration import wiring
from stacks.orchestration.bundling import lambda_code
from stacks.orchestration.drill_operations import schedule_rule
from stacks.orchestration.functions import workflow_function, workflow_state_machine

# Step Functions manages this rule to learn when a nested execution (startExecution.sync) ends.
SYNC_EVENTS_RULE = "StepFunctionsGetEventsForStepFunctionsExecutionRule"
# A fleet runs its clusters' drills (up to 2 h each) a few at a time.
FLEET_TIMEOUT = cdk.Duration.hours(24)


@dataclass(frozen=True)
class FleetMember:
    """What the fleet needs of one cluster's orchestration stack: names it exports (see
    stacks.app_builder.export_for_fleet), so the IAM statements here name them exactly."""

    cluster_name: str
    drill_state_machine_name: str
    reports_bucket_name: str
    drills: Drills  # the cluster's own drill settings (SLO, takeover timeout, stop conditions)


def export_name(cluster_name: str, what: str) -> str:
    return f"{cluster_name}-{what}"


class FleetStack(cdk.Stack):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        fleet: Fleet,
        members: list[FleetMember],
        access_logs: MediaBucket,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self.reports = access_logs.logged_bucket(self, "FleetReports", log_prefix="fleet-reports-bucket/")
        facts = wiring.fleet_facts_document(
            fleet_name=fleet.name,
            max_concurrency=fleet.config.max_concurrency,
            max_failed_drills=fleet.config.max_failed_drills,
            members=[
                wiring.fleet_member(
                    cluster=m.cluster_name,
                    drill_state_machine_arn=self._drill_arn(m),
                    reports_bucket=m.reports_bucket_name,
                    max_rto_seconds=m.drills.max_rto_seconds,
                    takeover_timeout_seconds=m.drills.takeover_timeout_seconds,
                    stop_condition_alarms=list(m.drills.stop_condition_alarms),
                )
                for m in members
            ],
        )
        environment = {
            wiring.ENV_FLEET: self.to_json_string(facts),
            wiring.ENV_FLEET_REPORTS_BUCKET: self.reports.bucket_name,
            contracts.ENV_METRICS_NAMESPACE: contracts.METRIC_NAMESPACE,
            "POWERTOOLS_LOG_LEVEL": "INFO",
        }
        code = lambda_code()
        self.functions = {
            spec.name: workflow_function(self, spec, code=code, environment=environment)
            for spec in wiring.FLEET.functions
        }
        for spec in wiring.FLEET.functions:
            self._grant(self.functions[spec.name], spec.access, members)

        self.state_machine = workflow_state_machine(self, wiring.FLEET, self.functions, timeout=FLEET_TIMEOUT)
        self._allow_nested_drills(self.state_machine, members)

        for schedule in fleet.config.schedules:
            fleet_input = {"fleet": fleet.name, "scenario": schedule.scenario, "switchback": schedule.switchback}
            description = f"{schedule.scenario} fleet drill of {fleet.name} ({schedule.name})"
            schedule_rule(self, schedule, self.state_machine, fleet_input, description=description)

        cdk.CfnOutput(self, "FleetDrillStateMachineArn", value=self.state_machine.state_machine_arn)
        cdk.CfnOutput(self, "FleetReportsBucket", value=self.reports.bucket_name)
        cdk.CfnOutput(self, "FleetClusters", value=json.dumps([m.cluster_name for m in members]))

    def _drill_arn(self, member: FleetMember) -> str:
        return colon_arn(self, "states", "stateMachine", member.drill_state_machine_name)

    def _grant(self, function: lambda_.Function, access: frozenset[wiring.Access], members: list[FleetMember]) -> None:
        if "cluster-reports-read" in access:
            # Each cluster's own reports only (reports/<cluster>/), nothing else in those buckets.
            for member in members:
                prefix = f"{wiring.REPORTS_PREFIX}{member.cluster_name}/*"
                bucket = s3.Bucket.from_bucket_name(self, f"Reports-{member.cluster_name}", member.reports_bucket_name)
                function.add_to_role_policy(
                    iam.PolicyStatement(actions=["s3:GetObject"], resources=[bucket.arn_for_objects(prefix)])
                )
                acknowledge(
                    function,
                    f"AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:s3:::"
                    f"{export_name(member.cluster_name, 'drill-reports-bucket')}/{prefix}]",
                    f"Reads the drill reports (named by drill id) of {member.cluster_name} under its reports/ prefix.",
                )
        if "fleet-reports-write" in access:
            grant_put_objects(
                function,
                self.reports,
                wiring.FLEET_REPORTS_PREFIX,
                "Each fleet drill writes new summary objects (named by fleet drill id) under fleet-reports/ only.",
            )
        if "drill-executions-read" in access:
            function.add_to_role_policy(
                iam.PolicyStatement(actions=["states:DescribeExecution"], resources=self._drill_executions(members))
            )
            self._acknowledge_drill_executions(function, members)
        if "events-put" in access:
            default_bus = self.format_arn(service="events", resource="event-bus", resource_name="default")
            function.add_to_role_policy(iam.PolicyStatement(actions=["events:PutEvents"], resources=[default_bus]))

    def _allow_nested_drills(self, state_machine: sfn.StateMachine, members: list[FleetMember]) -> None:
        """startExecution.sync:2 on the members' Drill state machines, and nothing else."""
        drills = [self._drill_arn(m) for m in members]
        executions = self._drill_executions(members)
        sync_rule = self.format_arn(service="events", resource="rule", resource_name=SYNC_EVENTS_RULE)
        state_machine.add_to_role_policy(iam.PolicyStatement(actions=["states:StartExecution"], resources=drills))
        state_machine.add_to_role_policy(
            iam.PolicyStatement(actions=["states:DescribeExecution", "states:StopExecution"], resources=executions)
        )
        state_machine.add_to_role_policy(
            iam.PolicyStatement(
                actions=["events:PutTargets", "events:PutRule", "events:DescribeRule"], resources=[sync_rule]
            )
        )
        self._acknowledge_drill_executions(state_machine.role, members)

    def _drill_executions(self, members: list[FleetMember]) -> list[str]:
        """The executions of the members' Drill state machines (drill ids are made per run)."""
        return execution_arns(self, [m.drill_state_machine_name for m in members])

    def _acknowledge_drill_executions(self, construct: IConstruct, members: list[FleetMember]) -> None:
        for member in members:
            acknowledge(
                construct,
                "AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:execution:"
                f"{export_name(member.cluster_name, 'drill-state-machine-name')}:*]",
                f"The executions of {member.cluster_name}'s Drill state machine, named per run (drill ids).",
            )
