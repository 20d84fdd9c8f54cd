"""The IAM audit: every AWS call a deployed Lambda made, evaluated offline against its deployed role.

moto's own IAM enforcement checks actions only (its access control leaves out Resource and
Condition), so the local endpoint records each call (`RecordedCall`) and this module asks, per
call: which IAM action is that, on which resource ARNs does AWS authorize it, with which condition
context, and what does AWS check implicitly beside it (KMS for an encrypted topic, the runtime's
own logs and traces). Each request is then evaluated against the role's deployed policies, and the
resource policy where there is one, by principalmapper's local policy simulation: a maintained
evaluator of actions, resources and conditions, not a hand-written one.

Pure: no AWS, no moto. The caller reads what the endpoint deployed into `Deployed`.
"""

from __future__ import annotations

import collections
import collections.abc
import functools
import importlib
import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from types import ModuleType
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

ContextValue = str | list[str]
Context = dict[str, ContextValue]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class RecordedCall(_Frozen):
    """One API call a deployed Lambda made through the endpoint, as boto3 sent it."""

    function: str  # deployed function name
    role_arn: str  # its execution role
    service: str  # botocore service name, as in boto3.client(NAME)
    operation: str  # botocore operation name, e.g. "SendCommand"
    params: dict[str, Any] = Field(default_factory=dict)  # the API parameters as boto3 got them
    region: str
    account: str


class RolePolicy(_Frozen):
    """An inline or attached managed policy of a role, with its ARNs resolved."""

    name: str
    document: dict[str, Any]


class FunctionRuntime(_Frozen):
    """What the Lambda runtime does with the function's role on every invocation."""

    log_group_arn: str  # as CloudFormation's Fn::GetAtt gives it ("...:log-group:NAME:*" or without ":*")
    tracing: bool = False  # Tracing: Active (the runtime sends segments with the role's credentials)


class Deployed(_Frozen):
    """What the endpoint holds after `cdk deploy`, read by the caller."""

    role_policies: dict[str, list[RolePolicy]]  # role ARN -> inline + attached managed policies
    # Resource ARN -> its resource policy: S3 bucket ARN (bucket policy), SNS topic ARN (topic
    # policy), KMS key ARN (key policy). Optional: without one only the role's policies count.
    resource_policies: dict[str, dict[str, Any]] = Field(default_factory=dict)
    topic_keys: dict[str, str] = Field(default_factory=dict)  # SNS topic ARN -> KmsMasterKeyId
    bucket_keys: dict[str, str] = Field(default_factory=dict)  # bucket name -> default SSE-KMS key
    functions: dict[str, FunctionRuntime] = Field(default_factory=dict)  # function name -> runtime facts


class Request(_Frozen):
    """One authorization AWS performs: an action on one resource, with its condition context."""

    function: str
    role_arn: str
    account: str
    action: str
    resource: str
    context: Context
    implicit: str | None = None  # why AWS checks it although no code called it; None for explicit calls


class Triple(_Frozen):
    function: str
    action: str
    resource: str


class Denial(_Frozen):
    function: str
    action: str
    resource: str
    why: str
    implicit: str | None = None


class UnusedGrant(_Frozen):
    role_arn: str
    functions: tuple[str, ...]  # the functions recorded with this role (empty: the role never ran)
    policy: str
    action: str  # the statement's action pattern ("NotAction: ..." for a NotAction statement)
    resource: str  # the statement's resource pattern


class AuditReport(_Frozen):
    calls_recorded: int
    requests_evaluated: int  # distinct (role, action, resource, context), explicit and implicit
    triples: tuple[Triple, ...]  # distinct (function, action, resource), explicit and implicit
    denials: tuple[Denial, ...]
    unused: tuple[UnusedGrant, ...]
    unmapped: tuple[str, ...]  # service:Operation with no resource mapping here, evaluated on "*"

    @property
    def ok(self) -> bool:
        return not self.denials

    def render(self) -> str:
        """Plain text for a build log: the numbers, then every denial and every unused grant."""
        lines = [
            f"IAM audit: {self.calls_recorded} calls recorded, {self.requests_evaluated} requests evaluated, "
            f"{len(self.triples)} distinct (function, action, resource), {len(self.denials)} denied, "
            f"{len(self.unused)} granted but never used",
        ]
        for d in self.denials:
            via = f" (implicit: {d.implicit})" if d.implicit else ""
            lines.append(f"  DENIED {d.function}: {d.action} on {d.resource}{via}: {d.why}")
        for u in self.unmapped:
            lines.append(f"  unmapped {u}: no resource mapping in localworld/iam_audit.py, evaluated on *")
        if self.unused:
            lines.append("Granted but never used (least-privilege evidence):")
            for role_arn in sorted({g.role_arn for g in self.unused}):
                grants = [g for g in self.unused if g.role_arn == role_arn]
                who = ", ".join(grants[0].functions) or "no recorded call"
                lines.append(f"  {role_arn.rsplit('/', 1)[-1]} ({who}):")
                lines += [f"    [{g.policy}] {g.action} on {g.resource}" for g in grants]
        return "\n".join(lines)


# --- actions ---------------------------------------------------------------------------------

# botocore service name -> IAM service prefix, where they differ.
_PREFIX = {
    "stepfunctions": "states",
    "elbv2": "elasticloadbalancing",
    "elb": "elasticloadbalancing",
    "cognito-idp": "cognito-idp",
    "sesv2": "ses",
    "opensearch": "es",
}

# (service, operation) -> IAM action name, where the API name is not the action name
# (Service Authorization Reference, "API operations" tables).
_ACTION = {
    ("lambda", "Invoke"): "InvokeFunction",
    ("lambda", "InvokeWithResponseStream"): "InvokeFunction",
    ("s3", "HeadObject"): "GetObject",
    ("s3", "HeadBucket"): "ListBucket",
    ("s3", "ListObjects"): "ListBucket",
    ("s3", "ListObjectsV2"): "ListBucket",
    ("s3", "ListObjectVersions"): "ListBucketVersions",
    ("s3", "ListBuckets"): "ListAllMyBuckets",
    ("s3", "DeleteObjects"): "DeleteObject",
    ("s3", "CreateMultipartUpload"): "PutObject",
    ("s3", "UploadPart"): "PutObject",
    ("s3", "CompleteMultipartUpload"): "PutObject",
    ("s3", "CopyObject"): "PutObject",
}

# Calls AWS never authorizes (documented: GetCallerIdentity works even under an explicit Deny).
_NOT_AUTHORIZED = {("sts", "GetCallerIdentity")}


def iam_action(call: RecordedCall) -> str:
    """The IAM action AWS checks for the call: "states:StartExecution" for stepfunctions StartExecution."""
    prefix = _PREFIX.get(call.service, call.service)
    return f"{prefix}:{_ACTION.get((call.service, call.operation), call.operation)}"


# --- resources -------------------------------------------------------------------------------


def _arn(call: RecordedCall, service: str, rest: str, *, account: bool = True, region: bool = True) -> str:
    return f"arn:aws:{service}:{call.region if region else ''}:{call.account if account else ''}:{rest}"


def _named(call: RecordedCall, value: str, service: str, kind: str) -> str:
    """A parameter that may be a name or an ARN (TableName, FunctionName, EventBusName...)."""
    return value if value.startswith("arn:") else _arn(call, service, f"{kind}{value}")


def _list(value: Any) -> list[str]:
    if value is None:
        return []
    return [value] if isinstance(value, str) else [str(v) for v in value]


def _instance_arn(call: RecordedCall, instance_id: str) -> str:
    # Hybrid (on-premises) nodes are mi-... ssm managed-instance resources, EC2 instances i-...
    if instance_id.startswith("mi-"):
        return _arn(call, "ssm", f"managed-instance/{instance_id}")
    return _arn(call, "ec2", f"instance/{instance_id}")


def _document_arn(call: RecordedCall, name: str) -> str:
    if name.startswith("arn:"):
        return name
    # Documents AWS owns (AWS-RunShellScript, AmazonCloudWatch-...) have no account in their ARN.
    owned_by_aws = name.startswith(("AWS-", "AWSEC2-", "AWSSupport-", "AmazonCloudWatch-", "AWSFleetManager-"))
    return _arn(call, "ssm", f"document/{name}", account=not owned_by_aws)


def _ssm_resources(call: RecordedCall) -> list[str] | None:
    p = call.params
    if call.operation == "SendCommand":
        # Authorized on the document AND on every target node (SAR: document*, instance, managed-instance, bucket).
        out = [_document_arn(call, p["DocumentName"])]
        ids = _list(p.get("InstanceIds"))
        out += [_instance_arn(call, i) for i in ids]
        if not ids and p.get("Targets"):
            # Tag targets are resolved inside SSM: the recorder cannot name the instances.
            out.append(_arn(call, "ec2", "instance/*"))
        if p.get("OutputS3BucketName"):
            out.append(f"arn:aws:s3:::{p['OutputS3BucketName']}")
        return out
    if call.operation in ("GetParameter", "GetParameters", "PutParameter", "DeleteParameter"):
        names = _list(p.get("Name")) + _list(p.get("Names"))
        return [n if n.startswith("arn:") else _arn(call, "ssm", f"parameter/{n.lstrip('/')}") for n in names]
    if call.operation == "GetParametersByPath":
        return [_arn(call, "ssm", f"parameter/{str(p['Path']).strip('/')}")]
    if call.operation in ("GetDocument", "DescribeDocument"):
        return [_document_arn(call, p["Name"])]
    # GetCommandInvocation, CancelCommand, ListCommand(Invocation)s, DescribeInstanceInformation: no resource types.
    if call.operation.startswith(("Describe", "List")) or call.operation in ("GetCommandInvocation", "CancelCommand"):
        return ["*"]
    return None


def _ec2_resources(call: RecordedCall) -> list[str] | None:
    p = call.params
    if call.operation.startswith("Describe"):
        return ["*"]  # Describe* support no resource-level permissions
    if call.operation in ("StartInstances", "StopInstances", "RebootInstances", "TerminateInstances"):
        return [_instance_arn(call, i) for i in _list(p.get("InstanceIds"))]
    if call.operation in ("ReplaceRoute", "CreateRoute", "DeleteRoute"):
        return [_arn(call, "ec2", f"route-table/{p['RouteTableId']}")]
    return None


def _dynamodb_resources(call: RecordedCall) -> list[str] | None:
    p = call.params
    if call.operation in ("BatchWriteItem", "BatchGetItem"):
        return [_named(call, t, "dynamodb", "table/") for t in p.get("RequestItems", {})]
    if "TableName" in p:
        table = _named(call, p["TableName"], "dynamodb", "table/")
        # Query and Scan on an index are authorized on the index ARN.
        return [f"{table}/index/{p['IndexName']}" if p.get("IndexName") else table]
    if call.operation.startswith(("List", "Describe")):
        return ["*"]
    return None


def _s3_resources(call: RecordedCall) -> list[str] | None:
    p = call.params
    bucket = p.get("Bucket")
    if bucket is None:
        return ["*"] if call.operation == "ListBuckets" else None
    if call.operation == "DeleteObjects":
        return [f"arn:aws:s3:::{bucket}/{o['Key']}" for o in p.get("Delete", {}).get("Objects", [])]
    if "Key" in p:
        return [f"arn:aws:s3:::{bucket}/{p['Key']}"]
    return [f"arn:aws:s3:::{bucket}"]


def _events_resources(call: RecordedCall) -> list[str] | None:
    if call.operation == "PutEvents":
        # Authorized per entry on its bus; no EventBusName means the default bus.
        buses = {str(e.get("EventBusName") or "default") for e in call.params.get("Entries", [])}
        return [_named(call, b, "events", "event-bus/") for b in sorted(buses)]
    if call.operation in ("PutRule", "DescribeRule", "PutTargets", "DeleteRule", "EnableRule", "DisableRule"):
        name = call.params.get("Name") or call.params.get("Rule")
        bus = call.params.get("EventBusName")
        rest = f"rule/{name}" if not bus or bus == "default" else f"rule/{bus}/{name}"
        return [_arn(call, "events", rest)]
    return None


def _states_resources(call: RecordedCall) -> list[str] | None:
    p = call.params
    if "executionArn" in p:
        return [p["executionArn"]]
    if "stateMachineArn" in p:
        return [p["stateMachineArn"]]
    if call.operation.startswith("SendTask") or call.operation == "ListStateMachines":
        return ["*"]
    return None


def _logs_resources(call: RecordedCall) -> list[str] | None:
    p = call.params
    group = p.get("logGroupName")
    if group is None:
        return ["*"] if call.operation == "DescribeLogGroups" else None
    if "logStreamName" in p:
        return [_arn(call, "logs", f"log-group:{group}:log-stream:{p['logStreamName']}")]
    return [_arn(call, "logs", f"log-group:{group}")]


def _cloudwatch_resources(call: RecordedCall) -> list[str] | None:
    if call.operation == "DescribeAlarms":
        # The only resource type is alarm*: named alarms, else every alarm of the account.
        names = _list(call.params.get("AlarmNames"))
        return [_arn(call, "cloudwatch", f"alarm:{n}") for n in names] or [_arn(call, "cloudwatch", "alarm:*")]
    if call.operation in ("PutMetricData", "GetMetricData", "GetMetricStatistics", "ListMetrics"):
        return ["*"]
    return None


def _kms_key_arn(call: RecordedCall, key: str) -> str:
    if key.startswith("arn:"):
        return key
    return _arn(call, "kms", key if key.startswith("alias/") else f"key/{key}")


def resources_for(call: RecordedCall) -> list[str]:
    """The resource ARNs AWS authorizes the call's action against (Service Authorization Reference).

    "*" for actions with no resource-level permissions, and for operations this table does not
    know (listed as unmapped in the report, so a new call is noticed rather than guessed).
    """
    return _resources(call) or ["*"]


def _resources(call: RecordedCall) -> list[str] | None:
    p = call.params
    match call.service:
        case "ssm":
            return _ssm_resources(call)
        case "ec2":
            return _ec2_resources(call)
        case "dynamodb":
            return _dynamodb_resources(call)
        case "s3":
            return _s3_resources(call)
        case "events":
            return _events_resources(call)
        case "stepfunctions":
            return _states_resources(call)
        case "logs":
            return _logs_resources(call)
        case "cloudwatch":
            return _cloudwatch_resources(call)
        case "sns":
            if call.operation == "Publish":
                target = p.get("TopicArn") or p.get("TargetArn")
                return [target] if target else ["*"]  # an SMS to a phone number has no resource
            return [p["TopicArn"]] if "TopicArn" in p else None
        case "lambda" if "FunctionName" in p:
            fn = _named(call, p["FunctionName"], "lambda", "function:")
            return [f"{fn}:{p['Qualifier']}" if p.get("Qualifier") else fn]
        case "secretsmanager" if "SecretId" in p:
            # A name is authorized on the full ARN (name plus a random 6-character suffix): record the ARN.
            return [_named(call, p["SecretId"], "secretsmanager", "secret:")]
        case "kms" if "KeyId" in p:
            return [_kms_key_arn(call, p["KeyId"])]
        case "xray":
            return ["*"]
        case "scheduler" if "Name" in p:  # the dead-man switch's schedules (issue 17)
            return [_arn(call, "scheduler", f"schedule/{p.get('GroupName') or 'default'}/{p['Name']}")]
    return None


# --- context ---------------------------------------------------------------------------------


def _one_or_many(values: Iterable[str]) -> ContextValue:
    distinct = sorted(set(values))
    return distinct[0] if len(distinct) == 1 else distinct


def context_for(call: RecordedCall) -> Context:
    """The condition keys a policy could read for this call.

    Global keys as AWS sets them for a Lambda's SDK call (always over TLS in AWS, whatever the
    local endpoint's scheme), plus the service keys of the actions our functions use.
    """
    ctx: Context = {
        "aws:SecureTransport": "true",
        "aws:RequestedRegion": call.region,
        "aws:PrincipalArn": call.role_arn,
        "aws:PrincipalAccount": call.account,
        "aws:PrincipalType": "AssumedRole",
    }
    p = call.params
    if call.service == "ec2":
        ctx["ec2:Region"] = call.region
        if "RouteTableId" in p:
            ctx["ec2:RouteTableID"] = p["RouteTableId"]
    elif call.service == "events" and call.operation == "PutEvents":
        entries = p.get("Entries", [])
        ctx["events:source"] = _one_or_many(str(e.get("Source", "")) for e in entries)
        ctx["events:detail-type"] = _one_or_many(str(e.get("DetailType", "")) for e in entries)
    elif call.service == "cloudwatch" and call.operation == "PutMetricData":
        ctx["cloudwatch:namespace"] = p.get("Namespace", "")
    elif call.service == "secretsmanager" and "SecretId" in p:
        ctx["secretsmanager:SecretId"] = p["SecretId"]
    elif call.service == "s3":
        if p.get("ServerSideEncryption"):
            ctx["s3:x-amz-server-side-encryption"] = p["ServerSideEncryption"]
        if "Prefix" in p:
            ctx["s3:prefix"] = p["Prefix"]
    return ctx


def requests_for(call: RecordedCall) -> list[Request]:
    """The explicit authorizations of one call: its action on each of its resources."""
    if (call.service, call.operation) in _NOT_AUTHORIZED:
        return []
    action, ctx = iam_action(call), context_for(call)
    return [_request(call, action, r, ctx) for r in resources_for(call)]


def _request(call: RecordedCall, action: str, resource: str, ctx: Context, implicit: str | None = None) -> Request:
    return Request(
        function=call.function,
        role_arn=call.role_arn,
        account=call.account,
        action=action,
        resource=resource,
        context=ctx,
        implicit=implicit,
    )


# --- implicit permissions ----------------------------------------------------------------------


def _customer_key(call: RecordedCall, key: str | None) -> str | None:
    """The key's ARN when callers need their own KMS grant: AWS managed keys (alias/aws/...) do not."""
    if not key or key.startswith("alias/aws/") or ":alias/aws/" in key:
        return None
    return _kms_key_arn(call, key)


def _kms(call: RecordedCall, via: str, key: str, actions: Sequence[str], why: str) -> list[Request]:
    ctx: Context = {
        **context_for(call),
        "kms:ViaService": f"{via}.{call.region}.amazonaws.com",
        "kms:CallerAccount": call.account,
    }
    return [_request(call, a, key, ctx, implicit=why) for a in actions]


def implicit_calls(call: RecordedCall, deployed: Deployed) -> list[Request]:
    """Permissions AWS checks on the caller's role beside the call itself, which no policy names
    by the call's action. One row per case our stacks use:

    - sns:Publish to a topic encrypted with a customer managed key: SNS asks KMS for a data key
      with the publisher's credentials (kms:GenerateDataKey and kms:Decrypt on the topic's key).
    - scheduler:CreateSchedule with a target role: iam:PassRole on that role, passed to
      scheduler.amazonaws.com (the dead-man switch, issue 17).
    - s3:PutObject / s3:GetObject on a bucket whose default encryption is SSE-KMS with a customer
      managed key (or a PutObject naming one): kms:GenerateDataKey to write, kms:Decrypt to read.
      Our buckets are SSE-S3 today; the row makes a switch to SSE-KMS show up here, not in AWS.
    """
    if call.service == "sns" and call.operation == "Publish":
        topic = call.params.get("TopicArn") or call.params.get("TargetArn")
        key = _customer_key(call, deployed.topic_keys.get(str(topic)))
        if key:
            why = f"sns:Publish to {topic}, encrypted with {key}"
            return _kms(call, "sns", key, ("kms:GenerateDataKey", "kms:Decrypt"), why)
    role = (call.params.get("Target") or {}).get("RoleArn") if call.service == "scheduler" else None
    if call.operation in ("CreateSchedule", "UpdateSchedule") and role:
        ctx: Context = {**context_for(call), "iam:PassedToService": "scheduler.amazonaws.com"}
        return [_request(call, "iam:PassRole", str(role), ctx, implicit=f"scheduler:{call.operation} with {role}")]
    if call.service == "s3" and call.operation in ("PutObject", "GetObject", "CreateMultipartUpload"):
        bucket = str(call.params.get("Bucket"))
        key = _customer_key(call, call.params.get("SSEKMSKeyId") or deployed.bucket_keys.get(bucket))
        if key:
            writes = call.operation != "GetObject"
            why = f"s3:{'PutObject' if writes else 'GetObject'} in {bucket}, SSE-KMS with {key}"
            return _kms(call, "s3", key, ("kms:GenerateDataKey",) if writes else ("kms:Decrypt",), why)
    return []


def runtime_calls(function: str, sample: RecordedCall, deployed: Deployed) -> list[Request]:
    """What the Lambda runtime does with the function's role on each invocation: write the
    function's log group (CreateLogStream, PutLogEvents) and, with active tracing, send X-Ray
    segments. `sample` is any recorded call of the function (region, account, role)."""
    runtime = deployed.functions.get(function)
    if runtime is None:
        return []
    group = runtime.log_group_arn.removesuffix(":*")
    stream = f"{group}:log-stream:*"  # stream names are the runtime's own; any one of them
    ctx = context_for(sample)
    why = f"the Lambda runtime of {function}"
    out = [_request(sample, a, stream, ctx, why) for a in ("logs:CreateLogStream", "logs:PutLogEvents")]
    if runtime.tracing:
        out += [_request(sample, a, "*", ctx, why) for a in ("xray:PutTraceSegments", "xray:PutTelemetryRecords")]
    return out


# --- the evaluator ---------------------------------------------------------------------------


@contextmanager
def _collections_aliases() -> Iterator[None]:
    """principalmapper 1.1.5 (2022) does `from collections import Mapping, MutableMapping`, which
    Python 3.10 removed. Put the aliases back only while it imports (its module keeps the names
    it bound), then take them away so nothing else comes to rely on them."""
    added = [n for n in ("Mapping", "MutableMapping") if not hasattr(collections, n)]
    for name in added:
        setattr(collections, name, getattr(collections.abc, name))
    try:
        yield
    finally:
        for name in added:
            delattr(collections, name)


@functools.cache
def _pmapper() -> tuple[ModuleType, ModuleType, ModuleType]:
    with _collections_aliases():
        common = importlib.import_module("principalmapper.common")
        query = importlib.import_module("principalmapper.querying.query_interface")
        sim = importlib.import_module("principalmapper.querying.local_policy_simulation")
    return common, query, sim


def _node(role_arn: str, policies: Sequence[RolePolicy]) -> Any:
    common, _, _ = _pmapper()
    attached = [common.Policy(f"{role_arn}#{p.name}", p.name, json.loads(json.dumps(p.document))) for p in policies]
    return common.Node(
        role_arn,
        "AROAAUDITAUDITAUDIT:audit",  # aws:userid of a role session; no policy of ours reads it
        attached,
        [],
        {"Version": "2012-10-17", "Statement": []},
        None,
        0,
        False,
        False,
        None,
        False,
        {},
    )


def _resource_policy(resource: str, deployed: Deployed) -> tuple[str, dict[str, Any]] | None:
    if resource in deployed.resource_policies:
        return resource, deployed.resource_policies[resource]
    if resource.startswith("arn:aws:s3:::"):
        bucket = "arn:aws:s3:::" + resource.removeprefix("arn:aws:s3:::").split("/", 1)[0]
        if bucket in deployed.resource_policies:
            return bucket, deployed.resource_policies[bucket]
    return None


def _allowed(node: Any, req: Request, deployed: Deployed) -> bool:
    _, query, _ = _pmapper()
    found = _resource_policy(req.resource, deployed)
    return bool(
        query.local_check_authorization_full(
            node,
            req.action,
            req.resource,
            dict(req.context),
            found[1] if found else None,
            req.account if found else None,
        )
    )


def evaluate(request: Request, deployed: Deployed, _nodes: dict[str, Any] | None = None) -> str | None:
    """None when AWS would allow the request, else why it is denied."""
    nodes = {} if _nodes is None else _nodes
    policies = deployed.role_policies.get(request.role_arn, [])
    if request.role_arn not in nodes:
        nodes[request.role_arn] = _node(request.role_arn, policies)
    node = nodes[request.role_arn]
    return None if _allowed(node, request, deployed) else _why(node, request, policies, deployed)


def _statements(document: Mapping[str, Any]) -> list[dict[str, Any]]:
    s = document.get("Statement", [])
    return [s] if isinstance(s, dict) else list(s)


def _why(node: Any, req: Request, policies: Sequence[RolePolicy], deployed: Deployed) -> str:
    """Name the cause of a denial, asking the same evaluator narrower questions."""
    _, _, sim = _pmapper()
    ctx = _case_insensitive(req.context)
    if not policies:
        return f"no policies recorded for role {req.role_arn}"
    for p in policies:
        if sim.policy_has_matching_statement(p.document, "Deny", req.action, req.resource, ctx):
            return f"explicit Deny in {p.name}"
    found = _resource_policy(req.resource, deployed)
    if found:
        matching = sim.resource_policy_matching_statements(node, found[1], req.action, req.resource, ctx)
        for st in matching:
            if st.get("Effect") == "Deny":
                return f"explicit Deny in the resource policy of {found[0]} ({st.get('Sid', 'no Sid')})"
    allows_identity = any(
        sim.policy_has_matching_statement(p.document, "Allow", req.action, req.resource, ctx) for p in policies
    )
    if allows_identity and found and req.action.startswith("kms:"):
        return f"the key policy of {found[0]} does not let the account or the role use the key"
    # Where is the action granted, if anywhere? Ask with copies of each Allow: without its
    # Condition (does the condition decide?), then on Resource "*" (is the action granted elsewhere?).
    elsewhere: list[str] = []
    for p in policies:
        for st in _statements(p.document):
            if st.get("Effect") != "Allow" or "Resource" not in st:
                continue
            unconditional = {k: v for k, v in st.items() if k != "Condition"}
            if "Condition" in st and sim.policy_has_matching_statement(
                {"Statement": [unconditional]}, "Allow", req.action, req.resource, ctx
            ):
                return f"the Allow in {p.name} matches but its Condition is not met: {json.dumps(st['Condition'])}"
            anywhere = {"Statement": [{**unconditional, "Resource": "*"}]}
            if sim.policy_has_matching_statement(anywhere, "Allow", req.action, req.resource, ctx):
                elsewhere += _list(st["Resource"])
    if elsewhere:
        return f"{req.action} is granted only on: {', '.join(sorted(set(elsewhere)))}"
    return f"no Allow for {req.action} in the role's policies ({', '.join(p.name for p in policies)})"


def _case_insensitive(ctx: Mapping[str, ContextValue]) -> Any:
    """The evaluator's own context type (condition keys are case-insensitive in IAM)."""
    _, query, _ = _pmapper()
    return query._prepare_condition_context(dict(ctx))


# --- unused grants ---------------------------------------------------------------------------


def _grants(policy: RolePolicy) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """(action label, resource label, single-statement probe) for each action x resource of each Allow."""
    for st in _statements(policy.document):
        if st.get("Effect") != "Allow":
            continue
        cond = {"Condition": st["Condition"]} if "Condition" in st else {}
        if "Action" not in st or "Resource" not in st:
            # NotAction / NotResource: too broad to split, reported as one grant.
            label_a = f"NotAction: {_list(st['NotAction'])}" if "NotAction" in st else ", ".join(_list(st["Action"]))
            label_r = (
                f"NotResource: {_list(st['NotResource'])}" if "NotResource" in st else ", ".join(_list(st["Resource"]))
            )
            yield label_a, label_r, {"Statement": [st]}
            continue
        for action in _list(st["Action"]):
            for resource in _list(st["Resource"]):
                yield (
                    action,
                    resource,
                    {"Statement": [{"Effect": "Allow", "Action": action, "Resource": resource, **cond}]},
                )


def _unused(
    deployed: Deployed, allowed: Mapping[str, list[Request]], functions_of: Mapping[str, set[str]]
) -> list[UnusedGrant]:
    _, _, sim = _pmapper()
    out: list[UnusedGrant] = []
    for role_arn, policies in sorted(deployed.role_policies.items()):
        requests = allowed.get(role_arn, [])
        contexts = [(r, _case_insensitive(r.context)) for r in requests]
        for policy in policies:
            for action, resource, probe in _grants(policy):
                used = any(
                    sim.policy_has_matching_statement(probe, "Allow", r.action, r.resource, ctx) for r, ctx in contexts
                )
                if not used:
                    funcs = tuple(sorted(functions_of.get(role_arn, set())))
                    out.append(
                        UnusedGrant(
                            role_arn=role_arn, functions=funcs, policy=policy.name, action=action, resource=resource
                        )
                    )
    return out


# --- the audit -------------------------------------------------------------------------------


def audit(calls: Iterable[RecordedCall], deployed: Deployed) -> AuditReport:
    """Evaluate every recorded call, and what AWS checks implicitly beside it, against the caller
    role's deployed policies (and the resource's policy where there is one)."""
    calls = list(calls)
    requests: dict[tuple[str, str, str, str, str | None], Request] = {}
    unmapped: set[str] = set()
    first_call: dict[str, RecordedCall] = {}
    functions_of: dict[str, set[str]] = {}
    for call in calls:
        first_call.setdefault(call.function, call)
        functions_of.setdefault(call.role_arn, set()).add(call.function)
        if (call.service, call.operation) not in _NOT_AUTHORIZED and _resources(call) is None:
            unmapped.add(f"{call.service}:{call.operation}")
        for req in requests_for(call) + implicit_calls(call, deployed):
            requests.setdefault(_key(req), req)
    for function, sample in first_call.items():
        for req in runtime_calls(function, sample, deployed):
            requests.setdefault(_key(req), req)

    nodes: dict[str, Any] = {}
    denials: list[Denial] = []
    allowed: dict[str, list[Request]] = {}
    for req in requests.values():
        why = evaluate(req, deployed, nodes)
        if why is None:
            allowed.setdefault(req.role_arn, []).append(req)
        else:
            denials.append(
                Denial(function=req.function, action=req.action, resource=req.resource, why=why, implicit=req.implicit)
            )
    triples = {Triple(function=r.function, action=r.action, resource=r.resource) for r in requests.values()}
    return AuditReport(
        calls_recorded=len(calls),
        requests_evaluated=len(requests),
        triples=tuple(sorted(triples, key=lambda t: (t.function, t.action, t.resource))),
        denials=tuple(sorted(denials, key=lambda d: (d.function, d.action, d.resource))),
        unused=tuple(_unused(deployed, allowed, functions_of)),
        unmapped=tuple(sorted(unmapped)),
    )


def _key(req: Request) -> tuple[str, str, str, str, str | None]:
    # The same function can make one request with several contexts (e.g. two event sources).
    return (req.function, req.action, req.resource, json.dumps(req.context, sort_keys=True), req.implicit)
