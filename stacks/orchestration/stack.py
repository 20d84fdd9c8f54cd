"""Orchestration: the SSM documents, the Lambda steps, the workflows, records and notifications.

Everything here is read from `wiring.py`, the same description the local world runs from.
"""

from __future__ import annotations

import json
from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sns as sns
from aws_cdk import aws_ssm as ssm
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from hadrill import contracts
from stacks.cluster import ClusterStack
from stacks.config import DeploymentConfig
from stacks.grants import grant_put_objects
from stacks.nag import acknowledge
from stacks.orchestration import wiring
from stacks.orchestration.bundling import lambda_code
from stacks.orchestration.client_probe import client_probe_function
from stacks.orchestration.deadman import DeadManSchedules
from stacks.orchestration.drill_operations import DrillOperations
from stacks.orchestration.execution_reads import grant_execution_reads, grant_history_reads
from stacks.orchestration.functions import workflow_function, workflow_state_machine


class OrchestrationStack(cdk.Stack):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: DeploymentConfig,
        cluster: ClusterStack,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        name = config.cluster_name
        self.cluster_name = name
        node_ids = [cluster.targets.primary_instance_id, cluster.targets.secondary_instance_id]

        self.records = dynamodb.TableV2(
            self,
            "Records",
            partition_key=dynamodb.Attribute(name="cluster", type=dynamodb.AttributeType.STRING),
            sort_key=dynamodb.Attribute(name="recordId", type=dynamodb.AttributeType.STRING),
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=True
            ),
            encryption=dynamodb.TableEncryptionV2.aws_managed_key(),
            time_to_live_attribute="expiresAt",
            removal_policy=cdk.RemovalPolicy.RETAIN,
        )
        # Drill reports (JSON, Markdown, HTML), access-logged next to the media bucket for audit.
        self.reports = cluster.media.logged_bucket(self, "Reports", log_prefix="reports-bucket/")
        topic_key = kms.Key(self, "TopicKey", enable_key_rotation=True, description=f"hadrill notifications of {name}")
        self.topic = sns.Topic(self, "Notifications", master_key=topic_key, enforce_ssl=True)
        topic_key.grant_encrypt_decrypt(iam.ServicePrincipal("events.amazonaws.com"))
        acknowledge(
            self,
            "AwsSolutions-IAM5[Action::kms:GenerateDataKey*]",
            "Publishing to the encrypted topic needs the GenerateDataKey family; every grant names the topic's key.",
        )

        self.documents: dict[str, ssm.CfnDocument] = {}
        for path in wiring.document_files():
            self.documents[path.stem] = ssm.CfnDocument(
                self,
                path.stem.replace("-", ""),
                name=f"{wiring.document_prefix(name)}{path.stem}",
                document_type="Command",
                content=json.loads(path.read_text(encoding="utf-8")),
                update_method="NewVersion",
            )

        facts = wiring.cluster_facts_document(
            config,
            nodes={
                "primary": {
                    "instance_id": cluster.targets.primary_instance_id,
                    "eni_id": cluster.targets.primary_eni_id,
                    "addresses": list(cluster.targets.primary_addresses),
                },
                "secondary": {
                    "instance_id": cluster.targets.secondary_instance_id,
                    "eni_id": cluster.targets.secondary_eni_id,
                    "addresses": list(cluster.targets.secondary_addresses),
                },
            },
            route_table_ids=list(cluster.targets.route_table_ids),
            media_bucket=cluster.media.bucket.bucket_name,
            node_log_group=cluster.node_log_group.log_group_name,
        )
        # issue 17: the dead-man switch's schedule group and scheduler role
        self.dead_man = DeadManSchedules(self, "DeadMan", cluster_name=name, instance_ids=node_ids)
        environment = {
            **self.dead_man.environment(),
            wiring.ENV_CLUSTER: self.to_json_string(facts),
            wiring.ENV_RECORDS_TABLE: self.records.table_name,
            wiring.ENV_TOPIC_ARN: self.topic.topic_arn,
            wiring.ENV_POLL_SECONDS: "2",
            wiring.ENV_REPORTS_BUCKET: self.reports.bucket_name,
            contracts.ENV_METRICS_NAMESPACE: contracts.METRIC_NAMESPACE,
            "POWERTOOLS_LOG_LEVEL": "INFO",
        }
        code = lambda_code()
        self.functions: dict[str, lambda_.Function] = {
            spec.name: workflow_function(self, spec, code=code, environment=environment)
            for spec in wiring.all_functions()
        }

        for spec in wiring.all_functions():
            self._grant(self.functions[spec.name], spec, node_ids)

        # The drill's client probe (issue 17), where the nodes were created here (it needs their subnets).
        self.client_probe: lambda_.Function | None = None
        if cluster.network is not None and cluster.client_probe_group is not None:
            self.client_probe = client_probe_function(
                self,
                cluster_name=name,
                code=code,
                records=self.records,
                subnets=list(cluster.network.subnets),
                vpc=cluster.network.vpc,
                security_group=cluster.client_probe_group,
                environment={
                    wiring.ENV_RECORDS_TABLE: self.records.table_name,
                    "POWERTOOLS_LOG_LEVEL": "INFO",
                },
                run_drill_phase=self.functions["RunDrillPhase"],
                receive_port=config.hulft.receive_port,
            )

        self.state_machines: dict[str, sfn.StateMachine] = {}
        for machine in wiring.STATE_MACHINES:
            self.state_machines[machine.name] = workflow_state_machine(
                self, machine, self.functions, timeout=cdk.Duration.hours(2)
            )
        readers = [self.functions[s.name] for s in wiring.all_functions() if "executions-read" in s.access]
        if readers:  # issue 17: a drill lock whose execution has ended is stale
            grant_execution_reads(self, readers, self.state_machines)
        # The drill's cost counted from its own history (issue 16), by the function that records it.
        historians = [self.functions[s.name] for s in wiring.all_functions() if "history-read" in s.access]
        if historians:
            grant_history_reads(self, historians, self.state_machines[wiring.DRILL.name])

        # Any workflow that ends badly reaches the operators, even if its own Catch could not run.
        failed = events.Rule(
            self,
            "WorkflowFailed",
            description=f"hadrill workflow of {name} failed, timed out or was aborted",
            event_pattern=events.EventPattern(
                source=["aws.states"],
                detail_type=["Step Functions Execution Status Change"],
                detail={
                    "status": ["FAILED", "TIMED_OUT", "ABORTED"],
                    "stateMachineArn": [m.state_machine_arn for m in self.state_machines.values()],
                },
            ),
        )
        failed.add_target(targets.SnsTopic(self.topic))

        if "Drill" in self.state_machines:
            self.drill_operations = DrillOperations(
                self, "DrillOperations", config=config, drill=self.state_machines["Drill"], topic=self.topic
            )

        cdk.CfnOutput(self, "RecordsTable", value=self.records.table_name)
        cdk.CfnOutput(self, "NotificationTopic", value=self.topic.topic_arn)
        for machine_name, state_machine in self.state_machines.items():
            cdk.CfnOutput(self, f"{machine_name}StateMachineArn", value=state_machine.state_machine_arn)

    def _grant(self, function: lambda_.Function, spec: wiring.FunctionSpec, node_ids: list[str]) -> None:
        """Each kind of access as statements on this cluster's named resources."""
        access = spec.access
        instances = [self.format_arn(service="ec2", resource="instance", resource_name=i) for i in node_ids]
        if "node-commands" in access:
            # Only the documents this function sends: setup's function cannot inject a fault, the drill's
            # cannot install anything (the IAM audit of the local deploy listed the rest as never used).
            documents = [
                self.format_arn(service="ssm", resource="document", resource_name=self.documents[name].ref)
                for name in sorted(spec.documents)
            ]
            function.add_to_role_policy(
                iam.PolicyStatement(actions=["ssm:SendCommand"], resources=documents + instances)
            )
            function.add_to_role_policy(
                iam.PolicyStatement(
                    # CancelCommand: a drill stops its own watcher once the takeover is seen (found by the
                    # IAM audit of the local deploy: without it the cancel was refused and went unnoticed).
                    actions=["ssm:GetCommandInvocation", "ssm:DescribeInstanceInformation", "ssm:CancelCommand"],
                    resources=["*"],
                )
            )
        if "node-power" in access:
            function.add_to_role_policy(
                iam.PolicyStatement(
                    actions=["ec2:StopInstances", "ec2:StartInstances", "ec2:RebootInstances"], resources=instances
                )
            )
            function.add_to_role_policy(iam.PolicyStatement(actions=["ec2:DescribeInstances"], resources=["*"]))
        if "route-read" in access:
            function.add_to_role_policy(iam.PolicyStatement(actions=["ec2:DescribeRouteTables"], resources=["*"]))
        if "records-write" in access:
            self.records.grant(function, "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem")
        if "records-read" in access:
            self.records.grant(function, "dynamodb:GetItem", "dynamodb:Query")
        if "notify" in access:
            self.topic.grant_publish(function)
        if "reports-write" in access:
            grant_put_objects(
                function,
                self.reports,
                wiring.REPORTS_PREFIX,
                "Each drill writes new report objects (named by drill id) under the reports/ prefix only.",
            )
        if "conformance-write" in access:
            grant_put_objects(
                function,
                self.reports,
                f"{wiring.CONFORMANCE_PREFIX}{self.cluster_name}/",
                "The conformance probe writes each setup execution's raw node outputs (named by execution and"
                " node) under conformance/<cluster>/ only.",
            )
        if "events-put" in access:
            default_bus = self.format_arn(service="events", resource="event-bus", resource_name="default")
            function.add_to_role_policy(iam.PolicyStatement(actions=["events:PutEvents"], resources=[default_bus]))
        if "dead-man-schedules" in access:  # issue 17
            self.dead_man.grant(function)
        if "alarms-read" in access:
            function.add_to_role_policy(iam.PolicyStatement(actions=["cloudwatch:DescribeAlarms"], resources=["*"]))
