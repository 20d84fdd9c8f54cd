"""The moto gaps that `cdk deploy` to the local endpoint meets, each bridged by one named seam.

Every seam replaces one moto function for the endpoint's lifetime (entered on an ExitStack, so closing
the endpoint undoes it). ``GAPS`` names each with the moto behaviour it bridges; tests/localworld/
test_endpoint_gaps.py shows each gap still exists in the pinned moto, so an upgrade that fixes one
fails that test and says which seam can go.

Resource types moto's CloudFormation does not create at all are not bridged here: they are listed in
``UNEMULATED_TYPES`` (with why that is acceptable locally), and the deploy test fails on any other.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from unittest import mock

from moto.cloudformation import models as cfn_models
from moto.cloudformation import parsing as cfn_parsing
from moto.dynamodb.models.table import Table
from moto.events import models as events_models
from moto.kms import models as kms_models
from moto.sns import models as sns_models
from moto.ssm import models as ssm_models
from moto.stepfunctions import models as sfn_models
from moto.stepfunctions import responses as sfn_responses

from localworld.substitutions import render_definition

LOG = logging.getLogger(__name__)


@dataclass(frozen=True)
class Gap:
    name: str
    moto_behaviour: str
    bridge: str


GAPS = (
    Gap(
        "cfn-global-table",
        "AWS::DynamoDB::GlobalTable is skipped with a warning: no records table, and GetAtt on it fails the stack",
        "create a table from the GlobalTable's first replica (one region is all a local account has)",
    ),
    Gap(
        "cfn-cloudwatch-alarm",
        "AWS::CloudWatch::Alarm is skipped with a warning, and any Fn::GetAtt on it fails the stack",
        "create the alarm (metric or metric-math) in moto's CloudWatch",
    ),
    Gap(
        "cfn-kms-key-tags",
        "AWS::KMS::Key with Tags fails with KeyError 'TagKey' (CloudFormation's Key/Value passed as is)",
        "convert the tags to KMS's TagKey/TagValue",
    ),
    Gap(
        "cfn-ssm-document-format",
        "AWS::SSM::Document without DocumentFormat fails ('Invalid document format None'); an object Content too",
        "default DocumentFormat to JSON as SSM does, and serialize an object Content",
    ),
    Gap(
        "cfn-state-machine",
        "AWS::StepFunctions::StateMachine ignores DefinitionSubstitutions, and is stored where the executing "
        "Step Functions backend (execute_state_machine) cannot see it",
        "render ${Name} placeholders with the CDK's own values and create it in the executing backend",
    ),
    Gap(
        "cfn-update-previous-parameter",
        "UpdateStack with UsePreviousValue for a parameter the stack was created with its default (cdk does this "
        "for the AMI's SSM parameter) fails with KeyError",
        "a parameter with no stored previous value keeps its template default, as CloudFormation does",
    ),
    Gap(
        "cfn-update-exports",
        "UpdateStack never registers the exports of outputs it adds (nor drops removed ones), so a stack "
        "importing them fails with 'No export named ...' (the fleet stack, after its members are updated)",
        "after an update, the stack's exports are its outputs' exports again",
    ),
    Gap(
        "cfn-custom-resource-reply",
        "a custom resource's FAILED reply is ignored (the stack waits forever); replies come over HTTP from Docker",
        "take the reply from the handler's process and mark the stack CREATE_FAILED on FAILED",
    ),
    Gap(
        "cfn-scheduler-group",
        "AWS::Scheduler::ScheduleGroup is skipped with a warning: no group, so CreateSchedule into it fails "
        "(moto looks the group up with a KeyError)",
        "create the group in moto's Scheduler (the dead-man switch's schedules go there, issue 17)",
    ),
    Gap(
        "events-scheduled-rule",
        "every event is matched against scheduled rules (no pattern = match all), and a target moto cannot "
        "deliver to (Step Functions, SNS) raises NotImplementedError inside PutEvents",
        "scheduled rules match no event; SNS targets are published to; other targets are logged, not raised",
    ),
)

# Types moto's CloudFormation skips (a warning, no resource). Locally acceptable, each for its reason;
# the deploy test fails on a skipped type not listed here.
UNEMULATED_TYPES: dict[str, str] = {
    "AWS::CDK::Metadata": "CDK's version metadata; nothing uses it",
    "AWS::Lambda::EventInvokeConfig": (
        "the client probe's no-retry setting; the local endpoint runs an Event invocation once "
        "(localworld/async_invoke.py); checked by template tests"
    ),
    "AWS::CloudWatch::Dashboard": "a console view; checked by template tests",
    "AWS::EC2::SecurityGroupEgress": "no traffic flows locally; the rules are checked by template tests and cfn-lint",
    "AWS::S3::BucketPolicy": "moto enforces Deny but not aws:SecureTransport, so applying them would break uploads",
    "AWS::SNS::TopicPolicy": "the TLS-only topic policy; moto has no transport to enforce it on",
    "AWS::EC2::FlowLog": "no traffic flows locally",
    "AWS::EC2::VPCEndpoint": "the nodes are simulated and reach the endpoint directly",
    "AWS::Logs::LogGroup": "log groups are created by the functions and commands that write to them",
}


class _Skipped:
    """Types moto skipped during this endpoint's life, also written to ``report_to`` (a JSON list) for
    the deploy test, which runs in another process."""

    def __init__(self) -> None:
        self.types: set[str] = set()
        self.report_to: Path | None = None
        self._lock = threading.Lock()

    def add(self, resource_type: str) -> None:
        with self._lock:
            if resource_type in self.types:
                return
            self.types.add(resource_type)
            if self.report_to is not None:
                self.report_to.write_text(json.dumps(sorted(self.types)), encoding="utf-8")


SKIPPED = _Skipped()


def _patch(stack: ExitStack, target: Any, name: str, replacement: Any) -> None:
    stack.enter_context(mock.patch.object(target, name, replacement))


# ---- cfn-global-table --------------------------------------------------------------------------------
class GlobalTableAsTable:
    """AWS::DynamoDB::GlobalTable as a moto Table: the replica in this region, on demand."""

    @staticmethod
    def cloudformation_name_type() -> str:
        return "TableName"

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::DynamoDB::GlobalTable"

    @classmethod
    def has_cfn_attr(cls, attr: str) -> bool:
        return Table.has_cfn_attr(attr)

    @classmethod
    def create_from_cloudformation_json(
        cls, resource_name: str, cloudformation_json: Any, account_id: str, region_name: str, **kwargs: Any
    ) -> Any:
        properties = dict(cloudformation_json["Properties"])
        replicas = properties.pop("Replicas", None) or [{}]
        replica = next((r for r in replicas if r.get("Region") == region_name), replicas[0])
        table_properties = {
            key: value
            for key, value in properties.items()
            if key in ("TableName", "KeySchema", "AttributeDefinitions", "GlobalSecondaryIndexes",
                       "LocalSecondaryIndexes", "StreamSpecification", "BillingMode", "SSESpecification")
        }  # fmt: skip
        if "TimeToLiveSpecification" in properties:
            table_properties["TimeToLiveSpecification"] = properties["TimeToLiveSpecification"]
        if "PointInTimeRecoverySpecification" in replica:
            table_properties["PointInTimeRecoverySpecification"] = replica["PointInTimeRecoverySpecification"]
        name = properties.get("TableName") or resource_name
        return Table.create_from_cloudformation_json(
            name, {"Properties": table_properties}, account_id, region_name, **kwargs
        )

    @classmethod
    def update_from_cloudformation_json(
        cls, original_resource: Any, new_resource_name: str, cloudformation_json: Any, account_id: str, region_name: str
    ) -> Any:
        return original_resource  # the table's schema is fixed; nothing else is emulated

    @classmethod
    def delete_from_cloudformation_json(
        cls, resource_name: str, cloudformation_json: Any, account_id: str, region_name: str
    ) -> None:
        Table.delete_from_cloudformation_json(resource_name, cloudformation_json, account_id, region_name)


# ---- cfn-cloudwatch-alarm ----------------------------------------------------------------------------
class AlarmModel:
    """AWS::CloudWatch::Alarm created through moto's PutMetricAlarm (metric math included)."""

    @staticmethod
    def cloudformation_name_type() -> str:
        return "AlarmName"

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::CloudWatch::Alarm"

    @classmethod
    def has_cfn_attr(cls, attr: str) -> bool:
        return attr == "Arn"

    @classmethod
    def create_from_cloudformation_json(
        cls, resource_name: str, cloudformation_json: Any, account_id: str, region_name: str, **kwargs: Any
    ) -> Any:
        from moto.cloudwatch import models as cw

        p = cloudformation_json["Properties"]

        def dimensions(items: list[dict[str, str]] | None) -> list[Any]:
            return [cw.Dimension(d["Name"], d["Value"]) for d in items or []]

        queries = []
        for query in p.get("Metrics") or []:
            stat = None
            if "MetricStat" in query:
                m = query["MetricStat"]
                named = m["Metric"]
                metric = cw.Metric(named["MetricName"], named["Namespace"], dimensions(named.get("Dimensions")))
                stat = cw.MetricStat(metric, str(m["Period"]), m["Stat"], m.get("Unit", ""))
            queries.append(
                cw.MetricDataQuery(
                    query["Id"],
                    query.get("Label", ""),
                    query.get("Period"),
                    query.get("ReturnData", True),
                    query.get("Expression"),
                    stat,
                )
            )
        alarm = cw.cloudwatch_backends[account_id][region_name].put_metric_alarm(
            name=p.get("AlarmName") or resource_name,
            namespace=p.get("Namespace"),
            metric_name=p.get("MetricName"),
            comparison_operator=p["ComparisonOperator"],
            evaluation_periods=int(p["EvaluationPeriods"]),
            period=int(p.get("Period", 60)),
            threshold=float(p["Threshold"]),
            statistic=p.get("Statistic"),
            description=p.get("AlarmDescription", ""),
            dimensions=[{"name": d["Name"], "value": d["Value"]} for d in p.get("Dimensions") or []],
            alarm_actions=p.get("AlarmActions") or [],
            metric_data_queries=queries or None,
            treat_missing_data=p.get("TreatMissingData"),
            tags=[{"Key": t["Key"], "Value": t["Value"]} for t in p.get("Tags") or []],
        )
        return _AlarmResource(alarm)

    @classmethod
    def delete_from_cloudformation_json(
        cls, resource_name: str, cloudformation_json: Any, account_id: str, region_name: str
    ) -> None:
        from moto.cloudwatch import models as cw

        cw.cloudwatch_backends[account_id][region_name].delete_alarms([resource_name])


# ---- cfn-scheduler-group ----------------------------------------------------------------------------
class ScheduleGroupModel:
    """AWS::Scheduler::ScheduleGroup created through moto's Scheduler backend (issue 17)."""

    @staticmethod
    def cloudformation_name_type() -> str:
        return "Name"

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::Scheduler::ScheduleGroup"

    @classmethod
    def has_cfn_attr(cls, attr: str) -> bool:
        return attr in ("Arn", "State")

    @classmethod
    def create_from_cloudformation_json(
        cls, resource_name: str, cloudformation_json: Any, account_id: str, region_name: str, **kwargs: Any
    ) -> Any:
        from moto.scheduler import models as scheduler_models

        properties = cloudformation_json.get("Properties") or {}
        name = properties.get("Name") or resource_name
        tags = {t["Key"]: t["Value"] for t in properties.get("Tags") or []}
        backend = scheduler_models.scheduler_backends[account_id][region_name]
        group = backend.create_schedule_group(name, [{"Key": k, "Value": v} for k, v in tags.items()])
        return _GroupResource(group)

    @classmethod
    def update_from_cloudformation_json(
        cls, original_resource: Any, new_resource_name: str, cloudformation_json: Any, account_id: str, region_name: str
    ) -> Any:
        return original_resource  # a group has nothing to update but its tags

    @classmethod
    def delete_from_cloudformation_json(
        cls, resource_name: str, cloudformation_json: Any, account_id: str, region_name: str
    ) -> None:
        from moto.scheduler import models as scheduler_models

        backend = scheduler_models.scheduler_backends[account_id][region_name]
        backend.schedule_groups.pop((cloudformation_json.get("Properties") or {}).get("Name") or resource_name, None)


class _GroupResource:
    def __init__(self, group: Any) -> None:
        self.group = group
        self.physical_resource_id = group.name

    def get_cfn_attribute(self, attribute_name: str) -> Any:
        return self.group.arn if attribute_name == "Arn" else "ACTIVE"

    def is_created(self) -> bool:
        return True


class _AlarmResource:
    def __init__(self, alarm: Any) -> None:
        self.alarm = alarm
        self.physical_resource_id = alarm.name

    def get_cfn_attribute(self, attribute_name: str) -> Any:
        return self.alarm.alarm_arn

    def is_created(self) -> bool:
        return True


def install_cloudformation(stack: ExitStack) -> None:
    """cfn-global-table, cfn-cloudwatch-alarm, cfn-scheduler-group, cfn-kms-key-tags, cfn-ssm-document-format,
    cfn-state-machine; skipped types recorded."""
    original_class_from_type = cfn_parsing.resource_class_from_type

    def resource_class_from_type(resource_type: str) -> Any:
        if resource_type == "AWS::DynamoDB::GlobalTable":
            return GlobalTableAsTable
        if resource_type == "AWS::CloudWatch::Alarm":
            return AlarmModel
        if resource_type == "AWS::Scheduler::ScheduleGroup":
            return ScheduleGroupModel
        found = original_class_from_type(resource_type)
        if found is None and resource_type not in cfn_parsing.NULL_MODELS:
            SKIPPED.add(resource_type)
        return found

    _patch(stack, cfn_parsing, "resource_class_from_type", resource_class_from_type)

    original_key = kms_models.Key.create_from_cloudformation_json.__func__  # type: ignore[attr-defined]

    def create_key(cls: Any, resource_name: str, cloudformation_json: Any, *args: Any, **kwargs: Any) -> Any:
        properties = dict(cloudformation_json["Properties"])
        properties["Tags"] = [
            {"TagKey": t.get("Key", t.get("TagKey")), "TagValue": t.get("Value", t.get("TagValue"))}
            for t in properties.get("Tags", [])
        ]
        return original_key(cls, resource_name, {**cloudformation_json, "Properties": properties}, *args, **kwargs)

    _patch(stack, kms_models.Key, "create_from_cloudformation_json", classmethod(create_key))

    original_document = ssm_models.Document.create_from_cloudformation_json.__func__  # type: ignore[attr-defined]

    def create_document(cls: Any, resource_name: str, cloudformation_json: Any, *args: Any, **kwargs: Any) -> Any:
        properties = dict(cloudformation_json["Properties"])
        properties.setdefault("DocumentFormat", "JSON")
        if isinstance(properties.get("Content"), dict):
            properties["Content"] = json.dumps(properties["Content"])
        return original_document(cls, resource_name, {**cloudformation_json, "Properties": properties}, *args, **kwargs)

    _patch(stack, ssm_models.Document, "create_from_cloudformation_json", classmethod(create_document))

    def create_state_machine(
        cls: Any, /, resource_name: str, cloudformation_json: Any, account_id: str, region_name: str, **kwargs: Any
    ) -> Any:
        properties = cloudformation_json["Properties"]
        name = properties.get("StateMachineName", resource_name)
        definition = properties.get("DefinitionString") or json.dumps(properties.get("Definition", {}))
        substitutions = {k: str(v) for k, v in (properties.get("DefinitionSubstitutions") or {}).items()}
        if substitutions:
            definition = render_definition(definition, substitutions)
        tags = [{"key": t["Key"], "value": t["Value"]} for t in properties.get("Tags", [])]
        backend = sfn_responses.get_backend(account_id, region_name)
        return backend.create_state_machine(name, definition, properties.get("RoleArn", ""), tags=tags)

    def delete_state_machine(
        cls: Any, /, resource_name: str, cloudformation_json: Any, account_id: str, region_name: str
    ) -> None:
        sfn_responses.get_backend(account_id, region_name).delete_state_machine(resource_name)

    _patch(stack, sfn_models.StateMachine, "create_from_cloudformation_json", classmethod(create_state_machine))
    _patch(stack, sfn_models.StateMachine, "delete_from_cloudformation_json", classmethod(delete_state_machine))
    install_update_parameters(stack)


# ---- cfn-update-previous-parameter ------------------------------------------------------------------
def install_update_parameters(stack: ExitStack) -> None:
    def resolve(backend: Any, instance: Any, incoming_params: list[dict[str, Any]]) -> dict[str, str]:
        parameters = {p["ParameterKey"]: p["ParameterValue"] for p in incoming_params if "ParameterValue" in p}
        for parameter in incoming_params:
            key = parameter["ParameterKey"]
            if parameter.get("UsePreviousValue") and key in instance.parameters:
                parameters[key] = instance.parameters[key]
        return parameters

    _patch(stack, cfn_models.CloudFormationBackend, "_resolve_update_parameters", resolve)

    # cfn-update-exports
    original_update = cfn_models.CloudFormationBackend.update_stack

    def update_stack(backend: Any, name: str, *args: Any, **kwargs: Any) -> Any:
        updated = original_update(backend, name, *args, **kwargs)
        for key, export in list(backend.exports.items()):
            if export.exporting_stack_id == updated.stack_id:
                del backend.exports[key]
        for export in updated.exports:
            backend.exports[export.name] = export
        return updated

    _patch(stack, cfn_models.CloudFormationBackend, "update_stack", update_stack)


# ---- cfn-custom-resource-reply ------------------------------------------------------------------------
def custom_resource_reply(body: dict[str, Any]) -> None:
    """A custom resource handler's answer (what it would PUT to the ResponseURL), given to the stack."""
    stack_id = str(body.get("StackId", ""))
    parts = stack_id.split(":")
    if len(parts) < 6:
        LOG.warning("custom resource reply without a stack id: %s", body)
        return
    region, account = parts[3], parts[4]
    stack = cfn_models.cloudformation_backends[account][region].get_stack(stack_id)
    if body.get("Status") == "SUCCESS":
        stack.get_custom_resource(body["LogicalResourceId"]).set_data(body.get("Data") or {})
        stack.verify_readiness()
    else:
        reason = f"{body.get('LogicalResourceId')}: {body.get('Reason') or 'custom resource failed'}"
        stack.status = "CREATE_FAILED"
        stack._add_stack_event("CREATE_FAILED", resource_status_reason=reason)


# ---- events-scheduled-rule ----------------------------------------------------------------------------
def install_events(stack: ExitStack, on_undelivered: Callable[[str, str], None]) -> None:
    original = events_models.Rule.send_to_targets

    def send_to_targets(rule: Any, original_event: Any, transform_input: bool = True) -> None:
        if rule.scheduled_expression:
            return  # a scheduled rule is started by its schedule, never by an event
        if not rule.event_pattern.matches_event(original_event):
            return
        deliverable, others = [], []
        for target in rule.targets:
            service = str(target["Arn"]).split(":")[2]
            if service == "sns":
                _publish(target["Arn"], original_event)
            elif service in ("logs", "sqs", "events"):
                deliverable.append(target)
            else:
                others.append(target)
        for target in others:
            on_undelivered(rule.name, str(target["Arn"]))
        if deliverable:
            saved = rule.targets
            rule.targets = deliverable
            try:
                original(rule, original_event, transform_input)
            finally:
                rule.targets = saved

    _patch(stack, events_models.Rule, "send_to_targets", send_to_targets)


def _publish(topic_arn: str, event: Any) -> None:
    parts = topic_arn.split(":")
    backend = sns_models.sns_backends[parts[4]][parts[3]]
    backend.publish(message=json.dumps(event, default=str), arn=topic_arn)
