"""Fleet drills on simulated clusters: the FleetDrill state machine's Map starts each cluster's own
Drill execution (startExecution.sync:2), at most maxConcurrency at once, and sums them up.

The clusters start as the setup workflow leaves them (the setup workflow has its own tests); each
test runs a real fleet execution in moto over three simulated clusters.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest

from hadrill.drill.model import STARTED_BY_KEY
from hadrill_cli.local import local_fleet
from localrunner.fleet import LocalFleet, sim_fleet_configs
from localworld.results import ExecutionResult
from simulator import Knobs
from support.drill_world import default_config, reap_node_processes

FLEET = "hulft-fleet"
_names = itertools.count(1)


@pytest.fixture(scope="module")
def fleet() -> Iterator[LocalFleet]:
    configs = sim_fleet_configs(default_config(), 3)
    with local_fleet(configs, fleet_name=FLEET, max_concurrency=2, installed=True) as opened:
        try:
            yield opened
        finally:
            for member in opened.members:
                reap_node_processes(member.cluster)


def _run(fleet: LocalFleet, **fleet_input: Any) -> tuple[ExecutionResult, str]:
    fleet_id = f"fleet-{next(_names)}"
    result = fleet.world.run_execution(fleet.state_machine, {"fleet": FLEET, **fleet_input}, fleet_id, timeout_s=300)
    return result, fleet_id


def _children(fleet: LocalFleet, fleet_id: str) -> list[dict[str, Any]]:
    """The cluster drill executions this fleet execution started (named <fleet id>-<cluster>)."""
    sfn = fleet.world.client("stepfunctions")
    found = []
    for member in fleet.members:
        for listed in sfn.list_executions(stateMachineArn=member.state_machines["Drill"])["executions"]:
            if listed["name"].startswith(f"{fleet_id}-"):
                found.append(sfn.describe_execution(executionArn=listed["executionArn"]))
    return found


def _most_at_once(executions: list[dict[str, Any]]) -> int:
    moments: list[tuple[datetime, int]] = []
    for execution in executions:
        moments += [(execution["startDate"], 1), (execution["stopDate"], -1)]
    running = most = 0
    for _, change in sorted(moments, key=lambda m: (m[0], m[1])):  # a stop before a start at the same instant
        running += change
        most = max(most, running)
    return most


def test_a_fleet_drill_drills_every_cluster_at_most_max_concurrency_at_once(fleet: LocalFleet) -> None:
    result, fleet_id = _run(fleet)
    assert result.succeeded, f"{result.error}: {result.cause}"
    summary = fleet.read_summary(fleet_id)
    assert summary is not None
    assert [row["cluster"] for row in summary["drills"]] == [m.facts.cluster_name for m in fleet.members]
    assert {row["outcome"] for row in summary["drills"]} == {"PASSED"}
    assert all(row["rto_seconds"] is not None and row["rto_seconds"] > 0 for row in summary["drills"])
    children = _children(fleet, fleet_id)
    assert len(children) == 3 and {c["status"] for c in children} == {"SUCCEEDED"}
    assert _most_at_once(children) == 2
    # Each cluster's drill knows the fleet execution that started it (the console links them).
    assert {json.loads(c["input"])[STARTED_BY_KEY] for c in children} == {result.execution_arn}
    markdown = fleet.read_markdown(fleet_id)
    assert markdown is not None and markdown.startswith(f"# Fleet drill {fleet_id}: PASSED")
    page = fleet.world.read_object(fleet.reports_bucket, f"fleet-reports/{FLEET}/{fleet_id}.html")
    assert page is not None and page.decode().count('<rect class="rto"') == 3


def test_one_cluster_that_does_not_take_over_fails_the_fleet_and_only_that_row(fleet: LocalFleet) -> None:
    broken = fleet.members[1]
    broken.cluster.set_knobs(Knobs(standby_never_takes_over=True))
    try:
        result, fleet_id = _run(fleet, takeoverTimeoutSeconds=3, maxConcurrency=1)
    finally:
        broken.cluster.set_knobs(Knobs())
    assert result.status == "FAILED" and result.error == "FleetDrillFailed"
    assert result.cause is not None and result.cause.startswith(
        f"1 of 3 drills did not pass: {broken.facts.cluster_name} FAILED"
    )
    summary = fleet.read_summary(fleet_id)
    assert summary is not None
    outcomes = {row["cluster"]: row["outcome"] for row in summary["drills"]}
    assert outcomes == {m.facts.cluster_name: ("FAILED" if m is broken else "PASSED") for m in fleet.members}
    assert summary["counts"] == {"PASSED": 2, "FAILED": 1, "ABORTED": 0, "NOT_RUN": 0}
    # The failed drill still recovered its cluster, and the other clusters' drills went on.
    assert next(r for r in summary["drills"] if r["cluster"] == broken.facts.cluster_name)["recovered"] is True
    assert _most_at_once(_children(fleet, fleet_id)) == 1


def test_a_subset_drills_only_the_named_clusters(fleet: LocalFleet) -> None:
    named = fleet.members[2].facts.cluster_name
    result, fleet_id = _run(fleet, clusters=[named], scenario="switchover")
    assert result.succeeded, f"{result.error}: {result.cause}"
    summary = fleet.read_summary(fleet_id)
    assert summary is not None and [r["cluster"] for r in summary["drills"]] == [named]
    assert summary["scenario"] == "switchover"
    assert [c["name"] for c in _children(fleet, fleet_id)] == [f"{fleet_id}-{named}"]


def test_a_bad_input_starts_no_drill(fleet: LocalFleet) -> None:
    result, fleet_id = _run(fleet, clusters=["no-such-cluster"])
    assert result.status == "FAILED" and result.error == "FleetInputRejected"
    assert result.cause is not None and "'no-such-cluster' is not in fleet hulft-fleet" in result.cause
    assert _children(fleet, fleet_id) == []
    assert fleet.read_summary(fleet_id) is None


def test_a_drill_that_cannot_start_is_a_not_run_row(fleet: LocalFleet) -> None:
    # An execution of the first cluster's drill already holds the name the fleet will use.
    fleet_id = f"fleet-{next(_names)}"
    first = fleet.members[0]
    taken = f"{fleet_id}-{first.facts.cluster_name}"
    fleet.world.run_execution(
        first.state_machines["Drill"], {"cluster": first.facts.cluster_name, "dryRun": True}, taken, timeout_s=120
    )
    result = fleet.world.run_execution(
        fleet.state_machine, {"fleet": FLEET, "clusters": [first.facts.cluster_name]}, fleet_id, timeout_s=120
    )
    # Step Functions refuses the name (ExecutionAlreadyExists); moto hands back the old execution
    # instead. Either way the old drill's report must not pass for this fleet's.
    assert result.status == "FAILED" and result.error == "FleetDrillFailed"
    summary = fleet.read_summary(fleet_id)
    assert summary is not None
    row = summary["drills"][0]
    assert row["outcome"] == "NOT_RUN", row
    assert "NotStartedByThisFleetDrill" in row["reason"] or "ExecutionAlreadyExists" in row["reason"]


def test_each_clusters_drill_metrics_carry_its_own_cluster(
    fleet: LocalFleet, capsys: pytest.CaptureFixture[str]
) -> None:
    """Clusters of a fleet share an account: their RTO and outcome metrics must not mix (the alarm and
    dashboard of each cluster's stack read service + cluster, see tests/infra). The EMF lines are the
    functions' stdout (pytest's capture holds them here; in the CLI they are the functions' logs)."""
    capsys.readouterr()
    members = [m.facts.cluster_name for m in fleet.members[:2]]
    result, _ = _run(fleet, clusters=members, dryRun=True)
    assert result.succeeded, f"{result.error}: {result.cause}"
    lines = capsys.readouterr().out.splitlines()
    drill_metrics = [json.loads(line) for line in lines if line.startswith('{"_aws"') and '"DrillPassed"' in line]
    assert sorted(document["cluster"] for document in drill_metrics) == members
    for document in drill_metrics:
        (dimensions,) = document["_aws"]["CloudWatchMetrics"][0]["Dimensions"]
        assert sorted(dimensions) == ["cluster", "service"]
        assert document["service"] == "hadrill-drill" and document["DrillPassed"] == [1.0]


def test_the_cli_follows_a_deployed_fleet_through_the_aws_api(
    fleet: LocalFleet, capsys: pytest.CaptureFixture[str]
) -> None:
    """`hadrill drill --fleet NAME` (AWS mode) against this world: moto answers the same API calls a
    deployed fleet would. Only the stack's outputs are given, as CloudFormation would list them."""
    from hadrill_cli.aws import AwsTarget
    from hadrill_cli.fleet_command import FleetOptions, run_aws

    target = AwsTarget(FLEET, region=fleet.world.region, stack_suffix="fleet")
    target._outputs = {"FleetDrillStateMachineArn": fleet.state_machine, "FleetReportsBucket": fleet.reports_bucket}
    clusters = tuple(m.facts.cluster_name for m in fleet.members[:2])
    options = FleetOptions(dry_run=True, max_concurrency=2, clusters=clusters, as_json_output=True)
    capsys.readouterr()
    assert run_aws(target, options, poll_seconds=0.5) == 0
    out = capsys.readouterr().out  # the functions' metric lines come first (pytest holds their stdout)
    summary, _ = json.JSONDecoder().raw_decode(out[out.index('{\n  "fleet_id"') :])
    assert [row["cluster"] for row in summary["drills"]] == [m.facts.cluster_name for m in fleet.members[:2]]
    assert summary["outcome"] == "PASSED" and summary["fleet_execution"]["status"] == "SUCCEEDED"


def test_the_failure_budget_starts_no_more_drills_after_a_failure(fleet: LocalFleet) -> None:
    """Budget 0, one cluster at a time, the first one broken: the other two are never faulted."""
    broken = fleet.members[0]
    broken.cluster.set_knobs(Knobs(standby_never_takes_over=True))
    try:
        result, fleet_id = _run(fleet, takeoverTimeoutSeconds=3, maxConcurrency=1, maxFailedDrills=0)
    finally:
        broken.cluster.set_knobs(Knobs())
    assert result.status == "FAILED" and result.error == "FleetDrillFailed"
    summary = fleet.read_summary(fleet_id)
    assert summary is not None
    rows = {row["cluster"]: row for row in summary["drills"]}
    assert rows[broken.facts.cluster_name]["outcome"] == "FAILED"
    for member in fleet.members[1:]:
        row = rows[member.facts.cluster_name]
        assert row["outcome"] == "NOT_RUN"
        spent = f"1 drill(s) of this fleet drill already failed ({broken.facts.cluster_name})"
        assert row["reason"].startswith(f"FailureBudgetSpent: not started: {spent}")
    # Only the broken cluster's drill ever ran.
    assert [c["name"] for c in _children(fleet, fleet_id)] == [f"{fleet_id}-{broken.facts.cluster_name}"]
