"""Each moto gap that localworld.endpoint_seams bridges, shown twice against the pinned moto: without
the seam the gap is there (so a moto upgrade that closes it fails here and says which seam can go),
and with the seam it is bridged. In-process moto (mock_aws), the same backends the endpoint serves.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import ExitStack
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from localworld import endpoint_seams

REGION = "ap-northeast-1"
EXECUTING = {"stepfunctions": {"execute_state_machine": True}}


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    with mock_aws(config=EXECUTING):  # type: ignore[arg-type]
        yield


def _seams() -> ExitStack:
    stack = ExitStack()
    endpoint_seams.install_cloudformation(stack)
    endpoint_seams.install_events(stack, lambda rule, target: None)
    return stack


def _deploy(template: dict[str, Any], name: str = "gap") -> dict[str, Any]:
    """Create the stack; its status and reason (moto may also raise, which is its answer too)."""
    cfn = boto3.client("cloudformation", region_name=REGION)
    try:
        cfn.create_stack(StackName=name, TemplateBody=json.dumps(template))
    except ClientError as error:
        return {"StackStatus": "REFUSED", "error": error.response["Error"]["Message"]}
    stack: dict[str, Any] = cfn.describe_stacks(StackName=name)["Stacks"][0]
    return stack


GLOBAL_TABLE = {
    "Resources": {
        "Records": {
            "Type": "AWS::DynamoDB::GlobalTable",
            "Properties": {
                "TableName": "records",
                "KeySchema": [{"AttributeName": "cluster", "KeyType": "HASH"}],
                "AttributeDefinitions": [{"AttributeName": "cluster", "AttributeType": "S"}],
                "BillingMode": "PAY_PER_REQUEST",
                "Replicas": [
                    {"Region": REGION, "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": True}}
                ],
            },
        }
    }
}
ALARM = {
    "Resources": {
        "Failed": {
            "Type": "AWS::CloudWatch::Alarm",
            "Properties": {
                "AlarmName": "drill-failed",
                "ComparisonOperator": "GreaterThanOrEqualToThreshold",
                "EvaluationPeriods": 1,
                "Threshold": 1,
                "Metrics": [
                    {"Id": "expr_1", "Expression": "FILL(failed, 0)", "ReturnData": True},
                    {
                        "Id": "failed",
                        "ReturnData": False,
                        "MetricStat": {
                            "Metric": {"MetricName": "DrillFailed", "Namespace": "HADrill", "Dimensions": []},
                            "Period": 86400,
                            "Stat": "Sum",
                        },
                    },
                ],
            },
        }
    },
    "Outputs": {"AlarmArn": {"Value": {"Fn::GetAtt": ["Failed", "Arn"]}}},
}
TAGGED_KEY = {
    "Resources": {
        "Key": {
            "Type": "AWS::KMS::Key",
            "Properties": {
                "KeyPolicy": {"Version": "2012-10-17", "Statement": []},
                "Tags": [{"Key": "hadrill:cluster", "Value": "demo"}],
            },
        }
    }
}
DOCUMENT = {
    "Resources": {
        "Doc": {
            "Type": "AWS::SSM::Document",
            "Properties": {
                "Name": "demo-HealthCheck",
                "DocumentType": "Command",
                "Content": {
                    "schemaVersion": "2.2",
                    "description": "x",
                    "mainSteps": [{"action": "aws:runShellScript", "name": "run", "inputs": {"runCommand": ["true"]}}],
                },
            },
        }
    }
}
MACHINE = {
    "Resources": {
        "Machine": {
            "Type": "AWS::StepFunctions::StateMachine",
            "Properties": {
                "StateMachineName": "demo-Setup",
                "RoleArn": "arn:aws:iam::123456789012:role/sfn",
                "DefinitionString": json.dumps(
                    {"StartAt": "P", "States": {"P": {"Type": "Pass", "Result": "${Value}", "End": True}}}
                ),
                "DefinitionSubstitutions": {"Value": "substituted"},
            },
        }
    }
}


def _table_names() -> list[str]:
    return list(boto3.client("dynamodb", region_name=REGION).list_tables()["TableNames"])


def test_cfn_global_table(aws: None) -> None:
    assert _deploy(GLOBAL_TABLE, "without")["StackStatus"] == "CREATE_COMPLETE"
    assert _table_names() == []  # the gap: no table at all
    with _seams():
        assert _deploy(GLOBAL_TABLE, "with")["StackStatus"] == "CREATE_COMPLETE"
        assert _table_names() == ["records"]
        described = boto3.client("dynamodb", region_name=REGION).describe_table(TableName="records")["Table"]
        assert described["KeySchema"] == [{"AttributeName": "cluster", "KeyType": "HASH"}]


def test_cfn_cloudwatch_alarm(aws: None) -> None:
    with pytest.raises(AttributeError, match="has_cfn_attr"):  # GetAtt on the resource moto skipped
        _deploy(ALARM, "without")
    with _seams():
        stack = _deploy(ALARM, "with")
        assert stack["StackStatus"] == "CREATE_COMPLETE"
        alarms = boto3.client("cloudwatch", region_name=REGION).describe_alarms()["MetricAlarms"]
        assert [a["AlarmName"] for a in alarms] == ["drill-failed"]
        assert stack["Outputs"][0]["OutputValue"] == alarms[0]["AlarmArn"]


def test_cfn_kms_key_tags(aws: None) -> None:
    with pytest.raises(Exception, match="TagKey"):  # moto raises a bare KeyError('TagKey')
        _deploy(TAGGED_KEY, "without")
    with _seams():
        assert _deploy(TAGGED_KEY, "with")["StackStatus"] == "CREATE_COMPLETE"
        kms = boto3.client("kms", region_name=REGION)
        key_id = kms.list_keys()["Keys"][-1]["KeyId"]
        assert kms.list_resource_tags(KeyId=key_id)["Tags"] == [{"TagKey": "hadrill:cluster", "TagValue": "demo"}]


def test_cfn_ssm_document_format(aws: None) -> None:
    assert "Invalid document format None" in _deploy(DOCUMENT, "without")["error"]
    with _seams():
        assert _deploy(DOCUMENT, "with")["StackStatus"] == "CREATE_COMPLETE"
        ssm = boto3.client("ssm", region_name=REGION)
        assert ssm.describe_document(Name="demo-HealthCheck")["Document"]["DocumentFormat"] == "JSON"


def test_cfn_state_machine(aws: None) -> None:
    sfn = boto3.client("stepfunctions", region_name=REGION)
    _deploy(MACHINE, "without")
    assert sfn.list_state_machines()["stateMachines"] == []  # not where the executing backend looks
    with _seams():
        assert _deploy(MACHINE, "with")["StackStatus"] == "CREATE_COMPLETE"
        (machine,) = sfn.list_state_machines()["stateMachines"]
        definition = sfn.describe_state_machine(stateMachineArn=machine["stateMachineArn"])["definition"]
        assert json.loads(definition)["States"]["P"]["Result"] == "substituted"


def test_cfn_custom_resource_reply(aws: None) -> None:
    """moto acts on a SUCCESS reply only: a FAILED one leaves the stack waiting for ever."""
    from moto.cloudformation import models as cfn_models
    from moto.cloudformation.custom_model import CustomModel

    template = {"Resources": {"Topic": {"Type": "AWS::SNS::Topic"}}}
    backend = cfn_models.cloudformation_backends["123456789012"][REGION]
    stack = backend.create_stack(name="custom", template=json.dumps(template), parameters={})
    stack.add_custom_resource(CustomModel(REGION, "request-1", "Thing", "thing"))  # as a Custom:: resource does
    stack.status = "CREATE_IN_PROGRESS"
    reply = {"Status": "FAILED", "StackId": stack.stack_id, "LogicalResourceId": "Thing", "Reason": "boom"}
    from moto.cloudformation.responses import CloudFormationResponse

    response = CloudFormationResponse()
    response._get_param = lambda name, default=None: reply.get(name, default)  # type: ignore[method-assign]
    response.process_cfn_response()
    assert stack.status == "CREATE_IN_PROGRESS"  # the gap
    endpoint_seams.custom_resource_reply(reply)
    assert stack.status == "CREATE_FAILED"


def test_cfn_update_previous_parameter(aws: None) -> None:
    template = {
        "Parameters": {"Ami": {"Type": "String", "Default": "ami-12c6146b"}},
        "Resources": {"Topic": {"Type": "AWS::SNS::Topic"}},
        "Outputs": {"Ami": {"Value": {"Ref": "Ami"}}},
    }
    cfn = boto3.client("cloudformation", region_name=REGION)
    previous = [{"ParameterKey": "Ami", "UsePreviousValue": True}]
    for name in ("without", "with"):
        cfn.create_stack(StackName=name, TemplateBody=json.dumps(template))  # no parameters: the default
    template["Resources"]["Queue"] = {"Type": "AWS::SQS::Queue"}
    with pytest.raises(KeyError):  # the gap (a 500 to a client of the endpoint)
        cfn.update_stack(StackName="without", TemplateBody=json.dumps(template), Parameters=previous)
    with _seams():
        cfn.update_stack(StackName="with", TemplateBody=json.dumps(template), Parameters=previous)
        stack = cfn.describe_stacks(StackName="with")["Stacks"][0]
        assert stack["StackStatus"] == "UPDATE_COMPLETE"
        assert stack["Outputs"][0]["OutputValue"] == "ami-12c6146b"


def test_cfn_update_exports(aws: None) -> None:
    template: dict[str, Any] = {"Resources": {"Topic": {"Type": "AWS::SNS::Topic"}}}
    cfn = boto3.client("cloudformation", region_name=REGION)
    for name in ("without", "with"):
        cfn.create_stack(StackName=name, TemplateBody=json.dumps(template))

    def exported() -> set[str]:
        return {e["Name"] for e in cfn.list_exports()["Exports"]}

    def add_export(name: str) -> None:
        output = {"Value": {"Ref": "Topic"}, "Export": {"Name": f"{name}-topic"}}
        cfn.update_stack(StackName=name, TemplateBody=json.dumps({**template, "Outputs": {"Topic": output}}))

    add_export("without")
    assert exported() == set()  # the gap: the added output's export is not registered
    with _seams():
        add_export("with")
        assert exported() == {"with-topic"}
        cfn.update_stack(StackName="with", TemplateBody=json.dumps(template))  # and a removed one goes
        assert exported() == set()


def test_events_scheduled_rule(aws: None) -> None:
    events = boto3.client("events", region_name=REGION)
    events.put_rule(Name="weekly-drill", ScheduleExpression="cron(0 17 ? * SUN *)")
    target = "arn:aws:states:ap-northeast-1:123456789012:stateMachine:demo-Drill"
    events.put_targets(
        Rule="weekly-drill", Targets=[{"Id": "drill", "Arn": target, "RoleArn": "arn:aws:iam::1:role/r"}]
    )
    entry = {"Source": "hadrill", "DetailType": "Drill Completed", "Detail": "{}"}
    with pytest.raises(NotImplementedError):  # the gap: every event is matched against the schedule
        events.put_events(Entries=[entry])
    with _seams():
        assert events.put_events(Entries=[entry])["FailedEntryCount"] == 0


SCHEDULE_GROUP = {
    "Resources": {"Group": {"Type": "AWS::Scheduler::ScheduleGroup", "Properties": {"Name": "demo-dead-man"}}},
    "Outputs": {"GroupArn": {"Value": {"Fn::GetAtt": ["Group", "Arn"]}}},
}


def _create_schedule(group: str) -> None:
    boto3.client("scheduler", region_name=REGION).create_schedule(
        Name="s",
        GroupName=group,
        ScheduleExpression="at(2030-01-01T00:00:00)",
        FlexibleTimeWindow={"Mode": "OFF"},
        Target={"Arn": "arn:aws:scheduler:::aws-sdk:ec2:startInstances", "RoleArn": "arn:aws:iam::1:role/r"},
    )


def test_cfn_scheduler_group(aws: None) -> None:
    without = {"Resources": SCHEDULE_GROUP["Resources"]}  # GetAtt on a skipped resource would fail the stack
    assert _deploy(without, "without")["StackStatus"] == "CREATE_COMPLETE"
    with pytest.raises(Exception):  # noqa: B017 - moto answers the missing group with a bare KeyError
        _create_schedule("demo-dead-man")
    with _seams():
        stack = _deploy(SCHEDULE_GROUP, "with")
        assert stack["StackStatus"] == "CREATE_COMPLETE"
        assert stack["Outputs"][0]["OutputValue"].endswith(":schedule-group/demo-dead-man")
        _create_schedule("demo-dead-man")
        listed = boto3.client("scheduler", region_name=REGION).list_schedules(GroupName="demo-dead-man")
        assert [s["Name"] for s in listed["Schedules"]] == ["s"]


def test_every_gap_has_a_test_here() -> None:
    tested = {name.removeprefix("test_").replace("_", "-") for name in globals() if name.startswith("test_")}
    assert {gap.name for gap in endpoint_seams.GAPS} <= tested
