"""What `hadrill status` reads, read-only, in one round trip: the same calls in AWS and in the local world.

HADrill-NodeStatus goes to both nodes in one SendCommand (a node that is not online in SSM is not sent
to, and said so), and while the nodes answer, the VIP route (EC2 DescribeRouteTables), the drill lock
and the newest drill record (DynamoDB GetItem, Query) and the drill schedules (EventBridge
ListRuleNamesByTarget, DescribeRule) are read. hadrill.status judges what came back; this module only
reads, and reports each read as a progress line.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from hadrill.drill.lock import LOCK_RECORD_ID
from hadrill.facts import ClusterFacts, NodeFacts
from hadrill.node_commands import FINAL_STATUSES, NOT_DELIVERED
from hadrill.params import node_status_parameters
from hadrill.status import (
    ClusterStatus,
    NodeInput,
    ScheduleView,
    assess,
    drill_view,
    lock_view,
    node_view,
    route_view,
    schedule_view,
)
from hadrill_cli.follow import StateRun
from hadrill_cli.messages import t
from hadrill_cli.render import Reporter

NODE_STATUS_DOCUMENT = "HADrill-NodeStatus"
# The document's own execution timeout is 120 s; a node that has not answered within this long is
# shown as not answering (the others are shown as they are).
DEFAULT_WAIT_SECONDS = 60.0
COMMAND_TIMEOUT_SECONDS = 120


@dataclass
class StatusSources:
    """Where one cluster's state is: its facts (as the workflows get them), records table, drill
    state machine, and a boto3 client factory (AWS, or the local world's)."""

    facts: ClusterFacts
    records_table: str
    drill_arn: str | None
    client: Callable[[str], Any]


@contextmanager
def _step(progress: Reporter, name: str) -> Iterator[StateRun]:
    """A progress line for one read: running while inside, then ok or FAIL with its summary."""
    run = StateRun(name=name, entered=datetime.now(UTC))
    progress(run)
    try:
        yield run
    except BaseException as error:
        run.failed, run.error = True, f"{type(error).__name__}: {error}"[:200]
        run.exited = datetime.now(UTC)
        progress(run)
        raise
    run.exited = datetime.now(UTC)
    progress(run)


def _online(ssm: Any, instance_ids: list[str]) -> dict[str, str]:
    """Instance id -> PingStatus ("Online", "ConnectionLost", ...; "not registered" when SSM does not know it)."""
    response = ssm.describe_instance_information(Filters=[{"Key": "InstanceIds", "Values": instance_ids}])
    seen = {i["InstanceId"]: str(i.get("PingStatus", "?")) for i in response.get("InstanceInformationList", [])}
    return {i: seen.get(i, "not registered in SSM") for i in instance_ids}


def _send(sources: StatusSources, instance_ids: list[str]) -> str | None:
    if not instance_ids:
        return None
    facts = sources.facts
    response = sources.client("ssm").send_command(
        InstanceIds=instance_ids,
        DocumentName=facts.document(NODE_STATUS_DOCUMENT),
        Parameters=node_status_parameters(facts).to_ssm(),
        TimeoutSeconds=COMMAND_TIMEOUT_SECONDS,
        Comment=f"hadrill status of {facts.cluster_name}"[:100],
    )
    command_id: str = response["Command"]["CommandId"]
    return command_id


def _collect(
    ssm: Any, command_id: str, instance_ids: list[str], *, wait_seconds: float, poll_seconds: float
) -> dict[str, dict[str, Any]]:
    """Each instance's final invocation (or none, when it did not finish within ``wait_seconds``)."""
    deadline = time.monotonic() + wait_seconds
    done: dict[str, dict[str, Any]] = {}
    while True:
        for instance_id in instance_ids:
            if instance_id in done:
                continue
            try:
                invocation = ssm.get_command_invocation(CommandId=command_id, InstanceId=instance_id)
            except ssm.exceptions.InvocationDoesNotExist:
                continue  # SSM needs a moment after SendCommand
            if invocation.get("Status") in FINAL_STATUSES:
                done[instance_id] = invocation
        if len(done) == len(instance_ids) or time.monotonic() >= deadline:
            return done
        time.sleep(poll_seconds)


@dataclass(frozen=True)
class _Sent:
    ping: dict[str, str]  # instance id -> PingStatus
    online: list[str]
    command_id: str | None


def _send_step(sources: StatusSources, progress: Reporter) -> _Sent:
    ssm = sources.client("ssm")
    ids = [n.instance_id for n in sources.facts.nodes]
    with _step(progress, f"{NODE_STATUS_DOCUMENT} sent") as run:
        ping = _online(ssm, ids)
        online = [i for i in ids if ping[i] == "Online"]
        command_id = _send(sources, online)
        run.result = {"summary": t("status_step_sent", sent=len(online), total=len(ids))}
    return _Sent(ping, online, command_id)


def _answers_step(
    sources: StatusSources, sent: _Sent, progress: Reporter, *, wait_seconds: float, poll_seconds: float
) -> list[NodeInput]:
    ssm = sources.client("ssm")
    with _step(progress, "node answers") as run:
        answers = (
            _collect(ssm, sent.command_id, sent.online, wait_seconds=wait_seconds, poll_seconds=poll_seconds)
            if sent.command_id
            else {}
        )
        inputs = [_node_input(node, sent, answers.get(node.instance_id), wait_seconds) for node in sources.facts.nodes]
        answered = sum(1 for i in inputs if i.stdout is not None)
        run.result = {"summary": t("status_step_answers", answered=answered, total=len(inputs))}
    return inputs


def _node_input(node: NodeFacts, sent: _Sent, answer: dict[str, Any] | None, wait_seconds: float) -> NodeInput:
    common: dict[str, Any] = {
        "name": node.name,
        "role": node.role,
        "instance_id": node.instance_id,
        "eni_id": node.eni_id,
    }
    if node.instance_id not in sent.online:
        return NodeInput(**common, unreachable=f"not online in SSM: {sent.ping[node.instance_id]}")
    if answer is None:
        return NodeInput(**common, unreachable=f"no answer within {wait_seconds:.0f} s")
    if answer.get("StatusDetails") in NOT_DELIVERED:
        return NodeInput(**common, unreachable=f"command {answer.get('StatusDetails')}")
    if answer.get("Status") != "Success":
        message = " ".join(str(answer.get("StandardErrorContent", "")).split()[-12:])
        failed = f"{NODE_STATUS_DOCUMENT} {answer.get('Status')} (exit {answer.get('ResponseCode')}) {message}"
        return NodeInput(**common, failed=failed.strip())
    return NodeInput(**common, stdout=str(answer.get("StandardOutputContent", "")))


def _route_tables(sources: StatusSources, progress: Reporter) -> list[dict[str, Any]]:
    with _step(progress, "VIP route") as run:
        tables: list[dict[str, Any]] = sources.client("ec2").describe_route_tables(
            RouteTableIds=list(sources.facts.route_table_ids)
        )["RouteTables"]
        run.result = {"summary": t("status_step_routes", count=len(tables))}
    return tables


def _records(sources: StatusSources, progress: Reporter) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    dynamodb = sources.client("dynamodb")
    cluster = sources.facts.cluster_name
    with _step(progress, "drill lock and last drill") as run:
        lock = dynamodb.get_item(
            TableName=sources.records_table,
            Key={"cluster": {"S": cluster}, "recordId": {"S": LOCK_RECORD_ID}},
            ConsistentRead=True,
        ).get("Item")
        newest = dynamodb.query(
            TableName=sources.records_table,
            KeyConditionExpression="#c = :c AND begins_with(recordId, :k)",
            ExpressionAttributeNames={"#c": "cluster"},
            ExpressionAttributeValues={":c": {"S": cluster}, ":k": {"S": "drill#"}},
            ScanIndexForward=False,
            Limit=1,
        ).get("Items", [])
        run.result = {
            "summary": t("status_step_records_held" if lock else "status_step_records_free", count=len(newest))
        }
    return lock, newest[0] if newest else None


def _schedules(sources: StatusSources, progress: Reporter, now: datetime) -> list[ScheduleView]:
    views: list[ScheduleView] = []
    if not sources.drill_arn:
        return views
    events = sources.client("events")
    with _step(progress, "drill schedules") as run:
        names: list[str] = []
        token: str | None = None
        while True:
            page = events.list_rule_names_by_target(
                TargetArn=sources.drill_arn, **({"NextToken": token} if token else {})
            )
            names += page.get("RuleNames", [])
            token = page.get("NextToken")
            if not token:
                break
        for name in sorted(names):
            views.append(schedule_view(events.describe_rule(Name=name), now))
        run.result = {
            "summary": t("status_step_schedules", count=len(views), enabled=sum(1 for v in views if v.enabled))
        }
    return views


def read_status(
    sources: StatusSources,
    progress: Reporter,
    *,
    wait_seconds: float = DEFAULT_WAIT_SECONDS,
    poll_seconds: float = 0.5,
) -> ClusterStatus:
    """Read everything once and judge it (hadrill.status.assess)."""
    facts = sources.facts
    now = datetime.now(UTC)
    # The nodes run their script while the AWS APIs are read: one round trip in all.
    sent = _send_step(sources, progress)
    tables = _route_tables(sources, progress)
    lock_item, drill_item = _records(sources, progress)
    schedules = _schedules(sources, progress, now)
    inputs = _answers_step(sources, sent, progress, wait_seconds=wait_seconds, poll_seconds=poll_seconds)
    eni_of_node = {n.name: n.eni_id for n in facts.nodes}
    return assess(
        cluster=facts.cluster_name,
        now=now,
        nodes=[node_view(i, hulft_tag=facts.hulft_tag) for i in inputs],
        virtual_ip=facts.virtual_ip,
        hulft_tag=facts.hulft_tag,
        mirror_tag=facts.mirror_tag,
        data_mount=facts.data_mount,
        route=route_view(tables, facts.virtual_ip, {n.eni_id: n.name for n in facts.nodes}),
        eni_of_node=eni_of_node,
        lock=lock_view(lock_item, int(now.timestamp() * 1000)),
        last_drill=drill_view(drill_item),
        schedules=schedules,
    )
