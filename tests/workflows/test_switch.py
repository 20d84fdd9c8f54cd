"""The Switch workflow (hadrill switchback / switchover) on one simulated cluster, set up once for the
module; each test starts from the state it names and leaves the hierarchy home, the lock free and the
knobs cleared. Everything runs through the real state machine, Lambdas and documents."""

from __future__ import annotations

import itertools
import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from hadrill.drill import lock
from hadrill_cli.switch_command import sim_mirror_out_of_sync
from localworld.results import ExecutionResult
from simulator import Knobs
from support.drill_world import DrillWorld, drill_world

pytestmark = pytest.mark.slow
_names = itertools.count(1)
SWITCHBACK_HINT = "run `hadrill switchback` first"


@dataclass(frozen=True)
class SwitchRun:
    result: ExecutionResult
    report: dict[str, Any]

    @property
    def outcome(self) -> str:
        return str(self.report["outcome"])


@pytest.fixture(scope="module")
def cluster() -> Iterator[DrillWorld]:
    with drill_world() as opened:
        yield opened


@pytest.fixture(autouse=True)
def back_home(cluster: DrillWorld) -> Iterator[None]:
    yield
    cluster.set_knobs(Knobs())
    if not cluster.primary_is_home():
        cluster.switch_over(to_secondary=False)


def switch(cluster: DrillWorld, **request: Any) -> SwitchRun:
    name = f"switch-{next(_names)}"
    result = cluster.world.run_execution(
        cluster.deployment.state_machines["Switch"], {"cluster": cluster.cluster_name, **request}, name, timeout_s=120
    )
    body = cluster.world.read_object(cluster.deployment.reports_bucket, f"reports/{cluster.cluster_name}/{name}.json")
    assert body is not None, f"no report: {result.error}: {result.cause}"
    return SwitchRun(result, json.loads(body))


def switch_records(cluster: DrillWorld) -> dict[str, dict[str, Any]]:
    response = cluster.world.client("dynamodb").query(
        TableName=cluster.deployment.records_table,
        KeyConditionExpression="#c = :c AND begins_with(recordId, :k)",
        ExpressionAttributeNames={"#c": "cluster"},
        ExpressionAttributeValues={":c": {"S": cluster.cluster_name}, ":k": {"S": "switch#"}},
    )
    return {item["execution"]["S"]: item for item in response["Items"]}


def active(cluster: DrillWorld) -> str:
    return str(cluster.cluster.active_node())


def test_switchback_after_a_no_switchback_drill_moves_the_hierarchy_home_and_is_recorded(cluster: DrillWorld) -> None:
    drill = cluster.run(switchback=False, takeoverTimeoutSeconds=30)
    assert drill.outcome == "PASSED", drill.reason
    assert active(cluster) == cluster.facts.secondary.name

    # What the operator met before this command existed: the next drill refuses, and now says what to run.
    refused = cluster.run(takeoverTimeoutSeconds=30)
    assert refused.outcome == "ABORTED" and SWITCHBACK_HINT in refused.reason

    cluster.notifications()  # drop the drills' messages
    run = switch(cluster)
    assert run.result.succeeded and run.outcome == "SUCCEEDED", run.report["reason"]
    assert cluster.primary_is_home()
    assert run.report["type"] == "switchback"
    assert (run.report["from_node"], run.report["to_node"]) == (
        cluster.facts.secondary.name,
        cluster.facts.primary.name,
    )
    assert all(c["passed"] for c in run.report["checks"])
    assert any(c["phase"] == "Postflight" and "VIP route on lk-node-a" in c["name"] for c in run.report["checks"])
    record = switch_records(cluster)[run.result.execution_arn]
    assert record["kind"]["S"] == "switch" and record["outcome"]["S"] == "SUCCEEDED"
    assert json.loads(record["detail"]["S"])["report"]["json"].endswith(f"{run.report['drill_id']}.json")
    assert cluster.lock_item() is None  # released
    subjects = [n["subject"] for n in cluster.notifications()]
    assert "[hadrill] switch SUCCEEDED on hulft-demo" in subjects
    # The report's cost is counted from the state document; the execution history agrees.
    assert run.report["cost"]["state_transitions"] == run.result.state_transitions
    assert run.report["cost"]["lambda_invocations"] == run.result.lambda_invocations

    # The next drill now passes its preflight.
    again = cluster.run(dryRun=True, takeoverTimeoutSeconds=30)
    assert again.outcome == "PASSED", again.reason


def test_a_rerun_is_a_noop_recorded_as_such_and_sends_no_switchover(cluster: DrillWorld) -> None:
    run = switch(cluster)
    assert run.result.succeeded and run.outcome == "NOOP"
    assert "already on lk-node-a" in run.report["reason"]
    assert run.result.ssm_commands_sent == 2  # the two status reads, nothing else
    assert "Switch" not in run.result.states_entered
    assert switch_records(cluster)[run.result.execution_arn]["outcome"]["S"] == "NOOP"
    assert cluster.primary_is_home() and cluster.lock_item() is None


def test_switchover_to_the_standby_and_back(cluster: DrillWorld) -> None:
    secondary, primary = cluster.facts.secondary, cluster.facts.primary
    over = switch(cluster, toNode=secondary.name)
    assert over.outcome == "SUCCEEDED", over.report["reason"]
    assert over.report["type"] == "switchover"
    assert active(cluster) == secondary.name
    assert cluster.cluster.vip_route_target() == cluster.cluster.eni_of(cluster.cluster.instance_ids[1])
    assert any(e["phase"] == f"hierarchy on {secondary.name}" for e in over.report["timeline"])
    assert switch(cluster, toNode=secondary.name).outcome == "NOOP"
    back = switch(cluster, toNode=primary.name)
    assert back.outcome == "SUCCEEDED" and back.report["type"] == "switchback"
    assert cluster.primary_is_home()


def test_refused_while_a_drill_holds_the_lock(cluster: DrillWorld) -> None:
    now = int(time.time() * 1000)
    owner = "arn:aws:states:ap-northeast-1:123456789012:execution:hulft-demo-Drill:drill-running"
    table, name = cluster.deployment.records_table, cluster.cluster_name
    dynamodb = cluster.world.client("dynamodb")
    lock.take(
        dynamodb, table=table, cluster=name, owner=owner, drill_id="drill-running", now_ms=now, expires_ms=now + 600_000
    )
    try:
        run = switch(cluster, toNode=cluster.facts.secondary.name)
        assert not run.result.succeeded and run.result.error == "SwitchAborted"
        assert run.outcome == "ABORTED"
        assert "TakeLock: SwitchLocked: a drill holds the lock on hulft-demo: drill-running" in run.report["reason"]
        assert run.report["reason"].endswith("nothing was moved")
        assert run.result.ssm_commands_sent == 0
        assert cluster.primary_is_home()
        assert cluster.lock_item()["owner"]["S"] == owner  # the drill's lock is not released by the switch
    finally:
        assert lock.release(dynamodb, table=table, cluster=name, owner=owner)


def test_a_lock_whose_drill_has_ended_is_broken_not_waited_for(cluster: DrillWorld) -> None:
    """A drill that died without releasing its lock (its execution ended) does not block a switchback
    until the lock expires: the switch reads the execution's status, breaks the lock and says so."""
    ended = cluster.run(scenario="network-down", dryRun=True)
    assert ended.result.status == "SUCCEEDED" and cluster.lock_item() is None
    now = int(time.time() * 1000)
    table, name = cluster.deployment.records_table, cluster.cluster_name
    dynamodb = cluster.world.client("dynamodb")
    lock.take(
        dynamodb, table=table, cluster=name, owner=ended.result.execution_arn, drill_id="drill-died", now_ms=now,
        expires_ms=now + 600_000,
    )  # fmt: skip
    run = switch(cluster, toNode=cluster.facts.secondary.name)
    assert run.result.succeeded and run.outcome == "SUCCEEDED", run.report["reason"]
    assert run.report["lock"]["broken_stale_lock"]["drillId"] == "drill-died"
    assert "its execution is SUCCEEDED, not RUNNING" in run.report["phases"]["TakeLock"]
    assert cluster.lock_item() is None
    back = switch(cluster)  # switchback: home again for the next test
    assert back.outcome == "SUCCEEDED" and cluster.primary_is_home()


def test_refused_when_the_mirror_is_not_in_sync(cluster: DrillWorld) -> None:
    cluster.switch_over(to_secondary=True)
    sim_mirror_out_of_sync(cluster.deployment)
    run = switch(cluster)
    assert run.outcome == "ABORTED"
    assert run.report["reason"].startswith("Preflight: SwitchPreflightFailed: ")
    assert "mirror in sync" in run.report["reason"]
    assert active(cluster) == cluster.facts.secondary.name  # nothing moved
    assert "Switch" not in run.result.states_entered
    assert cluster.lock_item() is None


def test_a_node_that_is_not_in_the_cluster_is_refused_before_the_lock(cluster: DrillWorld) -> None:
    run = switch(cluster, toNode="lk-node-z")
    assert run.outcome == "ABORTED"
    assert "toNode: 'lk-node-z' is not a node of hulft-demo (lk-node-a, lk-node-b)" in run.report["reason"]
    assert run.result.ssm_commands_sent == 0 and "TakeLock" not in run.result.states_entered


def test_a_setup_rerun_on_the_standby_refuses_and_names_the_switchback(cluster: DrillWorld) -> None:
    cluster.switch_over(to_secondary=True)
    setup = cluster.world.run_execution(
        cluster.deployment.state_machines["Setup"],
        {"cluster": cluster.cluster_name},
        f"setup-{next(_names)}",
        timeout_s=120,
    )
    assert not setup.succeeded
    assert SWITCHBACK_HINT in str(setup.cause) and "hulft not in service on the standby" in str(setup.cause)
