"""The IAM audit's evaluator on the orchestration stack's real role policies (no AWS, no moto).

The fixture holds the policies the CDK synthesizes for the six functions of config/default.yaml,
with CloudFormation's intrinsics resolved to fake ids, plus AWSLambdaBasicExecutionRole and the
reports bucket, topic and key policies.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from localworld.iam_audit import (
    Deployed,
    FunctionRuntime,
    RecordedCall,
    RolePolicy,
    audit,
    context_for,
    evaluate,
    iam_action,
    implicit_calls,
    requests_for,
    resources_for,
    runtime_calls,
)

FIXTURE = json.loads((Path(__file__).parent / "fixtures" / "iam" / "orchestration.json").read_text())
ACCOUNT, REGION = FIXTURE["account"], FIXTURE["region"]
NAMES = FIXTURE["names"]
TABLE, TOPIC, BUCKET, KEY = NAMES["table"], NAMES["topic"], NAMES["bucket"], NAMES["key"]
PRIMARY, SECONDARY = NAMES["instances"]
INJECT_FAULT = next(d for d in NAMES["documents"] if "InjectFault" in d)
# "RunDrillPhase" -> (deployed function name, role ARN)
FUNCTIONS = {name.split("-")[3]: (name, f["role_arn"]) for name, f in FIXTURE["functions"].items()}


def deployed(**changes: Any) -> Deployed:
    fields: dict[str, Any] = {
        "role_policies": {
            arn: [RolePolicy(**p) for p in policies] for arn, policies in FIXTURE["role_policies"].items()
        },
        "resource_policies": FIXTURE["resource_policies"],
        "topic_keys": FIXTURE["topic_keys"],
        "functions": {
            name: FunctionRuntime(log_group_arn=f["log_group_arn"], tracing=f["tracing"])
            for name, f in FIXTURE["functions"].items()
        },
    }
    return Deployed(**{**fields, **changes})


def call(function: str, service: str, operation: str, **params: Any) -> RecordedCall:
    name, role = FUNCTIONS[function]
    return RecordedCall(
        function=name,
        role_arn=role,
        service=service,
        operation=operation,
        params=params,
        region=REGION,
        account=ACCOUNT,
    )


def drill_calls() -> list[RecordedCall]:
    """What a drill's RunDrillPhase and RecordDrillResult do, with the parameters boto3 gets."""
    return [
        call("RunDrillPhase", "ssm", "DescribeInstanceInformation", Filters=[]),
        call(
            "RunDrillPhase",
            "ssm",
            "SendCommand",
            DocumentName=INJECT_FAULT,
            InstanceIds=[PRIMARY],
            Parameters={"Scenario": ["network-down"]},
        ),
        call("RunDrillPhase", "ssm", "GetCommandInvocation", CommandId="c-1", InstanceId=PRIMARY),
        call("RunDrillPhase", "ec2", "DescribeRouteTables", Filters=[]),
        call("RunDrillPhase", "ec2", "RebootInstances", InstanceIds=[PRIMARY]),
        call("RunDrillPhase", "cloudwatch", "DescribeAlarms", AlarmNames=["hulft-demo-stop"]),
        call("RunDrillPhase", "dynamodb", "PutItem", TableName="hulft-demo-records", Item={"pk": {"S": "lock"}}),
        call("RunDrillPhase", "dynamodb", "DeleteItem", TableName="hulft-demo-records", Key={"pk": {"S": "lock"}}),
        call("RecordDrillResult", "dynamodb", "PutItem", TableName=TABLE, Item={"pk": {"S": "drill"}}),
        call("RecordDrillResult", "s3", "PutObject", Bucket=BUCKET, Key="reports/d-1.json", Body=b"{}"),
        call("RecordDrillResult", "sns", "Publish", TopicArn=TOPIC, Subject="PASSED", Message="..."),
        call(
            "RecordDrillResult",
            "events",
            "PutEvents",
            Entries=[{"Source": "hadrill", "DetailType": "Drill Completed", "Detail": "{}"}],
        ),
        call("RecordDrillResult", "sts", "GetCallerIdentity"),
    ]


def without(statement_action: str, role_of: str) -> Deployed:
    """The deployed policies with one action removed from one function's role."""
    role = FUNCTIONS[role_of][1]
    policies = []
    for p in FIXTURE["role_policies"][role]:
        doc = json.loads(json.dumps(p["document"]))
        for st in doc["Statement"]:
            actions = [st["Action"]] if isinstance(st["Action"], str) else st["Action"]
            st["Action"] = [a for a in actions if a != statement_action]
        doc["Statement"] = [st for st in doc["Statement"] if st["Action"]]
        policies.append(RolePolicy(name=p["name"], document=doc))
    base = deployed()
    return deployed(role_policies={**base.role_policies, role: policies})


# --- actions, resources, context -------------------------------------------------------------


@pytest.mark.parametrize(
    ("service", "operation", "action"),
    [
        ("stepfunctions", "StartExecution", "states:StartExecution"),
        ("cloudwatch", "PutMetricData", "cloudwatch:PutMetricData"),
        ("logs", "PutLogEvents", "logs:PutLogEvents"),
        ("lambda", "Invoke", "lambda:InvokeFunction"),
        ("s3", "HeadObject", "s3:GetObject"),
        ("s3", "ListObjectsV2", "s3:ListBucket"),
        ("ssm", "SendCommand", "ssm:SendCommand"),
    ],
)
def test_iam_action_uses_the_iam_prefix_and_action_name(service: str, operation: str, action: str) -> None:
    assert iam_action(call("RunDrillPhase", service, operation)) == action


def test_send_command_is_authorized_on_the_document_and_each_instance() -> None:
    c = call("RunDrillPhase", "ssm", "SendCommand", DocumentName=INJECT_FAULT, InstanceIds=[PRIMARY, SECONDARY])
    assert resources_for(c) == [
        f"arn:aws:ssm:{REGION}:{ACCOUNT}:document/{INJECT_FAULT}",
        f"arn:aws:ec2:{REGION}:{ACCOUNT}:instance/{PRIMARY}",
        f"arn:aws:ec2:{REGION}:{ACCOUNT}:instance/{SECONDARY}",
    ]
    aws_owned = call("RunDrillPhase", "ssm", "SendCommand", DocumentName="AWS-RunShellScript", InstanceIds=[PRIMARY])
    assert resources_for(aws_owned)[0] == f"arn:aws:ssm:{REGION}::document/AWS-RunShellScript"


@pytest.mark.parametrize(
    ("c", "expected"),
    [
        (
            call("RunDrillPhase", "dynamodb", "PutItem", TableName="t", Item={}),
            [f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/t"],
        ),
        (
            call("RunDrillPhase", "dynamodb", "Query", TableName="t", IndexName="byCluster"),
            [f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/t/index/byCluster"],
        ),
        (call("RunDrillPhase", "s3", "PutObject", Bucket="b", Key="reports/x.json"), ["arn:aws:s3:::b/reports/x.json"]),
        (call("RunDrillPhase", "sns", "Publish", TopicArn=TOPIC, Message="m"), [TOPIC]),
        (
            call("RunDrillPhase", "events", "PutEvents", Entries=[{"Source": "s"}]),
            [f"arn:aws:events:{REGION}:{ACCOUNT}:event-bus/default"],
        ),
        (
            call("RunDrillPhase", "ec2", "StopInstances", InstanceIds=[PRIMARY]),
            [f"arn:aws:ec2:{REGION}:{ACCOUNT}:instance/{PRIMARY}"],
        ),
        (
            call("RunDrillPhase", "ec2", "ReplaceRoute", RouteTableId="rtb-1"),
            [f"arn:aws:ec2:{REGION}:{ACCOUNT}:route-table/rtb-1"],
        ),
        (
            call(
                "RunDrillPhase", "stepfunctions", "DescribeExecution", executionArn="arn:aws:states:r:a:execution:m:e"
            ),
            ["arn:aws:states:r:a:execution:m:e"],
        ),
        (
            call("RunDrillPhase", "lambda", "Invoke", FunctionName="f"),
            [f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:f"],
        ),
        # No resource-level permissions (Service Authorization Reference): "*".
        (call("RunDrillPhase", "ssm", "GetCommandInvocation", CommandId="c", InstanceId=PRIMARY), ["*"]),
        (call("RunDrillPhase", "ssm", "CancelCommand", CommandId="c"), ["*"]),
        (call("RunDrillPhase", "ec2", "DescribeInstances"), ["*"]),
        (call("RunDrillPhase", "cloudwatch", "PutMetricData", Namespace="HADrill"), ["*"]),
    ],
)
def test_resources_follow_the_service_authorization_reference(c: RecordedCall, expected: list[str]) -> None:
    assert resources_for(c) == expected


def test_context_has_the_global_keys_and_the_service_keys() -> None:
    ctx = context_for(
        call("RecordDrillResult", "events", "PutEvents", Entries=[{"Source": "hadrill", "DetailType": "D"}])
    )
    assert ctx["aws:SecureTransport"] == "true"
    assert ctx["aws:RequestedRegion"] == REGION
    assert ctx["events:source"] == "hadrill"
    assert (
        context_for(call("RunDrillPhase", "ec2", "ReplaceRoute", RouteTableId="rtb-1"))["ec2:RouteTableID"] == "rtb-1"
    )


def test_get_caller_identity_needs_no_permission() -> None:
    assert requests_for(call("RunDrillPhase", "sts", "GetCallerIdentity")) == []


# --- the implicit table: one test per row ---------------------------------------------------


def test_publish_to_the_kms_encrypted_topic_needs_its_key() -> None:
    rows = implicit_calls(call("RecordDrillResult", "sns", "Publish", TopicArn=TOPIC, Message="m"), deployed())
    assert sorted((r.action, r.resource) for r in rows) == [("kms:Decrypt", KEY), ("kms:GenerateDataKey", KEY)]
    assert all(r.context["kms:ViaService"] == f"sns.{REGION}.amazonaws.com" for r in rows)
    # A topic with the AWS managed key needs no grant of the caller's: no row.
    managed = deployed(topic_keys={TOPIC: "alias/aws/sns"})
    assert implicit_calls(call("RecordDrillResult", "sns", "Publish", TopicArn=TOPIC, Message="m"), managed) == []


def test_s3_on_an_sse_kms_bucket_needs_the_key_and_our_sse_s3_bucket_does_not() -> None:
    put = call("RecordDrillResult", "s3", "PutObject", Bucket=BUCKET, Key="reports/x.json")
    get = call("RecordDrillResult", "s3", "GetObject", Bucket=BUCKET, Key="reports/x.json")
    assert implicit_calls(put, deployed()) == []  # the reports bucket is SSE-S3 (stacks/orchestration)
    kms_bucket = deployed(bucket_keys={BUCKET: KEY})
    assert [(r.action, r.resource) for r in implicit_calls(put, kms_bucket)] == [("kms:GenerateDataKey", KEY)]
    assert [(r.action, r.resource) for r in implicit_calls(get, kms_bucket)] == [("kms:Decrypt", KEY)]


def test_the_lambda_runtime_writes_its_log_group_and_traces() -> None:
    name, _ = FUNCTIONS["RunDrillPhase"]
    rows = runtime_calls(name, call("RunDrillPhase", "ssm", "CancelCommand"), deployed())
    group = FIXTURE["functions"][name]["log_group_arn"].removesuffix(":*")
    assert {(r.action, r.resource) for r in rows} == {
        ("logs:CreateLogStream", f"{group}:log-stream:*"),
        ("logs:PutLogEvents", f"{group}:log-stream:*"),
        ("xray:PutTraceSegments", "*"),
        ("xray:PutTelemetryRecords", "*"),
    }


# --- the audit ------------------------------------------------------------------------------


def test_a_drill_is_allowed_by_the_deployed_policies() -> None:
    report = audit(drill_calls(), deployed())
    assert report.denials == (), report.render()
    assert report.calls_recorded == 13
    triples = {(t.function.split("-")[3], t.action, t.resource) for t in report.triples}
    # explicit calls, implicit KMS rows and runtime rows are all evaluated
    assert ("RunDrillPhase", "ssm:SendCommand", f"arn:aws:ssm:{REGION}:{ACCOUNT}:document/{INJECT_FAULT}") in triples
    assert ("RecordDrillResult", "kms:GenerateDataKey", KEY) in triples
    assert ("RecordDrillResult", "xray:PutTraceSegments", "*") in triples
    assert report.ok


def test_removing_one_grant_makes_the_audit_fail() -> None:
    report = audit(drill_calls(), without("sns:Publish", role_of="RecordDrillResult"))
    assert not report.ok
    assert [(d.action, d.resource) for d in report.denials] == [("sns:Publish", TOPIC)]
    assert "no Allow for sns:Publish" in report.denials[0].why
    assert "DENIED" in report.render()


def test_removing_the_kms_grant_denies_the_implicit_request() -> None:
    report = audit(drill_calls(), without("kms:GenerateDataKey*", role_of="RecordDrillResult"))
    assert [(d.action, d.resource, bool(d.implicit)) for d in report.denials] == [("kms:GenerateDataKey", KEY, True)]


def test_a_call_on_another_table_is_denied() -> None:
    other = call("RunDrillPhase", "dynamodb", "PutItem", TableName="someone-elses-table", Item={})
    report = audit([*drill_calls(), other], deployed())
    assert [(d.action, d.resource) for d in report.denials] == [
        ("dynamodb:PutItem", f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/someone-elses-table")
    ]
    assert TABLE in report.denials[0].why  # says where the action is granted instead


def test_send_command_to_an_instance_outside_the_cluster_is_denied() -> None:
    stray = call("RunDrillPhase", "ssm", "SendCommand", DocumentName=INJECT_FAULT, InstanceIds=["i-0ffffffffffffffff"])
    report = audit([stray], deployed())
    assert [d.resource for d in report.denials] == [f"arn:aws:ec2:{REGION}:{ACCOUNT}:instance/i-0ffffffffffffffff"]


def test_the_bucket_policy_condition_is_honoured() -> None:
    """The reports bucket denies s3:* when aws:SecureTransport is false (the CDK's enforceSSL)."""
    put = call("RecordDrillResult", "s3", "PutObject", Bucket=BUCKET, Key="reports/x.json")
    request = requests_for(put)[0]
    assert request.context["aws:SecureTransport"] == "true"
    assert evaluate(request, deployed()) is None
    # The same request as AWS would see it over plain HTTP: the bucket policy's Deny applies.
    insecure = request.model_copy(update={"context": {**request.context, "aws:SecureTransport": "false"}})
    why = evaluate(insecure, deployed())
    assert why is not None
    assert why.startswith(f"explicit Deny in the resource policy of arn:aws:s3:::{BUCKET}")
    # Without the bucket policy nothing denies it: the Deny came from the resource policy.
    assert evaluate(insecure, deployed(resource_policies={})) is None


def test_an_identity_condition_is_honoured() -> None:
    """A grant conditioned on the event source allows our source only."""
    role = FUNCTIONS["RecordDrillResult"][1]
    conditioned = RolePolicy(
        name="OnlyHadrillEvents",
        document={
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Action": "events:PutEvents",
                    "Resource": f"arn:aws:events:{REGION}:{ACCOUNT}:event-bus/default",
                    "Condition": {"StringEquals": {"events:source": "hadrill"}},
                }
            ],
        },
    )
    policies = deployed(role_policies={role: [conditioned]}, functions={})  # this call only, no runtime rows
    ours = call("RecordDrillResult", "events", "PutEvents", Entries=[{"Source": "hadrill", "DetailType": "D"}])
    theirs = call("RecordDrillResult", "events", "PutEvents", Entries=[{"Source": "other", "DetailType": "D"}])
    assert audit([ours], policies).denials == ()
    denials = audit([theirs], policies).denials
    assert len(denials) == 1
    assert "Condition is not met" in denials[0].why


def test_an_explicit_deny_wins() -> None:
    role = FUNCTIONS["RecordDrillResult"][1]
    deny = RolePolicy(
        name="NoReports",
        document={"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "s3:*", "Resource": "*"}]},
    )
    base = deployed()
    report = audit(
        drill_calls(), deployed(role_policies={**base.role_policies, role: [*base.role_policies[role], deny]})
    )
    assert [(d.action, d.why) for d in report.denials] == [("s3:PutObject", "explicit Deny in NoReports")]


def test_a_role_with_no_recorded_policies_is_denied_with_a_reason() -> None:
    report = audit([call("RunDrillPhase", "ec2", "DescribeInstances")], deployed(role_policies={}))
    assert report.denials[0].why.startswith("no policies recorded for role")


def test_unused_grants_are_reported_per_statement_action_and_resource() -> None:
    report = audit(drill_calls(), deployed())
    unused = {(g.functions, g.action, g.resource) for g in report.unused}
    drill = (FUNCTIONS["RunDrillPhase"][0],)
    instance = f"arn:aws:ec2:{REGION}:{ACCOUNT}:instance/{{}}"
    # RebootInstances on the primary was used; Stop/Start and the secondary were not.
    assert (drill, "ec2:RebootInstances", instance.format(SECONDARY)) in unused
    assert (drill, "ec2:RebootInstances", instance.format(PRIMARY)) not in unused
    assert (drill, "ec2:StopInstances", instance.format(PRIMARY)) in unused
    assert (drill, "dynamodb:Query", TABLE) in unused
    assert (drill, "dynamodb:PutItem", TABLE) not in unused
    # A wildcard action counts as used when a request matches it (kms:GenerateDataKey*).
    record = (FUNCTIONS["RecordDrillResult"][0],)
    assert (record, "kms:GenerateDataKey*", KEY) not in unused
    # The runtime uses the basic execution role's logs grants, but never CreateLogGroup (CDK made the group).
    assert (record, "logs:PutLogEvents", "*") not in unused
    assert (record, "logs:CreateLogGroup", "*") in unused
    # A role whose function never ran: all its grants are unused.
    assert ((), "xray:PutTraceSegments", "*") in unused
    assert "Granted but never used" in report.render()


def test_unmapped_operations_are_named_not_guessed() -> None:
    report = audit([call("RunDrillPhase", "ec2", "CreateTags", Resources=[PRIMARY], Tags=[])], deployed())
    assert report.unmapped == ("ec2:CreateTags",)
    assert "unmapped ec2:CreateTags" in report.render()


def test_the_drill_code_cancels_watchers_without_a_grant() -> None:
    """lambdas/hadrill/drill/phases.py cancels the watcher commands (best effort, errors suppressed);
    the RunDrillPhase role has no ssm:CancelCommand: in AWS the cancel is denied and the watcher
    runs to its timeout. The audit finds it; this test pins the finding until the grant is added."""
    report = audit([call("RunDrillPhase", "ssm", "CancelCommand", CommandId="c-1")], deployed())
    assert [(d.action, d.resource) for d in report.denials] == [("ssm:CancelCommand", "*")]
