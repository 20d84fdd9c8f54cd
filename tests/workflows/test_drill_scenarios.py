"""Every drill scenario's happy path on one simulated cluster (setup run once for the module)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from simulator import Timings
from simulator.scenario import run as run_document
from support.client_rto import assert_client_rto
from support.drill_world import DrillWorld, drill_world

pytestmark = pytest.mark.slow
# Timings.fast(): detection 3 x 0.1 s, restore 0.2 s (real wall time: the RTO is measured, not faked).
FAST = Timings.fast()


@pytest.fixture(scope="module")
def world() -> Iterator[DrillWorld]:
    with drill_world(timings=FAST) as shared:
        yield shared


def _assert_clean_end(world: DrillWorld) -> None:
    assert world.lock_item() is None, "the lock is released"
    assert world.primary_is_home(), "the hierarchy, the VIP route and both nodes are back home"


def test_network_down_passes_with_measured_rto_and_switchback(world: DrillWorld) -> None:
    run = world.run(scenario="network-down", takeoverTimeoutSeconds=30)
    assert run.result.status == "SUCCEEDED", run.reason
    report = run.report
    assert report is not None and report["outcome"] == "PASSED"
    # Against the takeover the simulator really ran (fault to complete, from its own history): under
    # a loaded test machine the simulated delays stretch too (bench/drill.py compares with Timings).
    history = world.cluster.history()
    lost = max(t for t, what in history if what.startswith(f"{world.facts.primary.name} lost"))
    done = max(t for t, what in history if what == f"takeover by {world.facts.secondary.name} complete")
    assert abs(report["rto_seconds"] - (done - lost)) <= 0.5
    assert done - lost >= FAST.detection_seconds + FAST.restore_seconds
    # Detection and restore are split where the watcher saw a change between the fault and the
    # takeover; on a loaded machine one 100 ms poll can miss the short simulated restore entirely.
    fault_ms = next(e["epoch_ms"] for e in report["timeline"] if e["phase"].startswith("fault injected"))
    watched = report["watcher_timeline"]
    takeover_ms = next(e["epochMs"] for e in watched if e["event"] == "takeover complete")
    between = [e for e in watched if fault_ms <= e["epochMs"] < takeover_ms and "watch started" not in e["event"]]
    if between:
        assert report["detection_seconds"] + report["restore_seconds"] == pytest.approx(
            report["rto_seconds"], abs=0.002
        )
    else:
        assert report["detection_seconds"] is None and report["restore_seconds"] is None
    assert report["from_node"] == world.facts.primary.name and report["to_node"] == world.facts.secondary.name
    assert run.check("marker in /data on").get("passed") is True
    assert run.check("VIP route on " + world.facts.secondary.name)["passed"]
    assert report["recovery"]["recovered"] is True and any("rebooted" in a for a in report["recovery"]["actions"])
    assert report["switchback"]["switched_back"] is True
    assert_client_rto(report, outage=True)  # client-visible RTO (issue 17)
    phases = [entry["phase"] for entry in report["timeline"]]
    assert phases[0] == "drill started" and phases[-1] == "drill finished: PASSED"
    assert "fault injected (network-down)" in phases
    # The cost the report states is what the execution history shows.
    cost = report["cost"]
    assert cost["state_transitions"] == run.result.state_transitions <= 40
    assert cost["lambda_invocations"] == run.result.lambda_invocations
    assert cost["ssm_commands"] == run.commands_sent
    assert cost["estimated_usd"]["total"] > 0
    assert run.markdown is not None and run.markdown.startswith(f"# Drill {report['drill_id']}: PASSED")
    html = world.world.read_object(
        world.deployment.reports_bucket, f"reports/{world.cluster_name}/{report['drill_id']}.html"
    )
    assert html is not None and b"<svg" in html
    _assert_clean_end(world)


@pytest.mark.parametrize("scenario", ["instance-stop", "instance-reboot", "switchover"])
def test_failover_scenarios_pass(world: DrillWorld, scenario: str) -> None:
    run = world.run(scenario=scenario, takeoverTimeoutSeconds=30)
    assert run.outcome == "PASSED", run.reason
    assert run.report is not None
    assert run.report["to_node"] == world.facts.secondary.name
    assert 0 < run.report["rto_seconds"] <= 3
    assert run.report["switchback"]["switched_back"] is True
    assert_client_rto(run.report, outage=True)  # client-visible RTO (issue 17)
    if scenario == "instance-stop":
        assert any("started" in a for a in run.report["recovery"]["actions"])
    _assert_clean_end(world)


def test_hulft_daemon_kill_is_recovered_in_place(world: DrillWorld) -> None:
    run = world.run(scenario="hulft-daemon-kill", takeoverTimeoutSeconds=30)
    assert run.outcome == "PASSED", run.reason
    assert run.report is not None
    assert run.report["to_node"] == world.facts.primary.name, "no failover for a local recovery"
    assert run.report["switchback"]["switched_back"] is False
    assert run.report["rto_seconds"] <= FAST.local_recovery_seconds + 0.5
    assert any("hulsndd killed" in what for _, what in world.cluster.history())
    assert_client_rto(run.report, outage=False)  # hulrcvd kept listening (issue 17)
    _assert_clean_end(world)


def test_dry_run_does_everything_but_the_fault(world: DrillWorld) -> None:
    before = len(world.cluster.history())
    run = world.run(scenario="network-down", dryRun=True)
    assert run.outcome == "PASSED", run.reason
    assert run.report is not None and run.report["dry_run"] is True
    assert run.report["rto_seconds"] is None
    assert not any("lost" in what or "takeover" in what for _, what in world.cluster.history()[before:])
    assert "Preflight" in run.result.states_entered and "Postflight" in run.result.states_entered
    _assert_clean_end(world)


def test_no_switchback_leaves_the_standby_active_and_says_so(world: DrillWorld) -> None:
    run = world.run(scenario="switchover", switchback=False)
    assert run.outcome == "PASSED", run.reason
    assert run.report is not None and run.report["switchback"]["detail"] == "not requested"
    assert "Switchback" not in run.result.states_entered
    assert world.cluster.active_node() == world.facts.secondary.name
    # A drill now stops at its preflight: the hierarchy is not on the primary.
    refused = world.run(scenario="switchover")
    assert refused.outcome == "ABORTED" and "Preflight" in refused.reason, refused.reason
    assert world.lock_item() is None
    # Move it home by hand, as an operator would, for the other tests.
    ran = run_document(
        world.cluster, 1, "InjectFault", timeout=60, Fault="switchover", TargetNode=world.facts.primary.name
    )
    assert ran.outcome.status == "Success", ran.outcome
    assert world.primary_is_home()


def test_network_down_rto_runs_from_the_nodes_stamp_when_the_fault_lands_late(world: DrillWorld) -> None:
    """A slow ifdown (the simulator's fault_delay_seconds): the interface goes down 1.5 s after the drill's
    prediction. The report shows both starts; the RTO runs from the node's own stamp and matches the
    takeover the simulator really ran, where the prediction would have been 1.5 s too long."""
    from simulator import Knobs

    world.set_knobs(Knobs(fault_delay_seconds=1.5))
    try:
        run = world.run(scenario="network-down", takeoverTimeoutSeconds=30)
    finally:
        world.set_knobs(Knobs())
    report = run.report
    assert report is not None and report["outcome"] == "PASSED", run.reason
    start, end = report["rto_start"], report["rto_end"]
    assert start["observed"] is True and "stamped by the network-down job" in start["source"]
    assert report["rto_is_estimate"] is False
    assert start["epoch_ms"] - start["predicted_epoch_ms"] >= 1500, start
    assert world.facts.secondary.name in end["source"]
    history = world.cluster.history()
    lost = max(t for t, what in history if what.startswith(f"{world.facts.primary.name} lost"))
    done = max(t for t, what in history if what == f"takeover by {world.facts.secondary.name} complete")
    assert abs(report["rto_seconds"] - (done - lost)) <= 0.5
    predicted_rto = (end["epoch_ms"] - start["predicted_epoch_ms"]) / 1000
    assert predicted_rto - report["rto_seconds"] >= 1.5
    assert abs(predicted_rto - (done - lost)) > 1.0
    assert run.check("RTO within SLO")["passed"] and "estimate" not in run.check("RTO within SLO")["detail"]
    assert "- RTO start: " in (run.markdown or "") and "predicted" in (run.markdown or "")
    # The watcher was seen running (and looking) before the fault: the end is exact, not an upper bound.
    watcher = report["watcher"]
    assert watcher["confirmed_before_fault"] is True and watcher["polls_before_fault"] >= 1
    assert watcher["started_before_fault"] is True and watcher["started_epoch_ms"] <= start["predicted_epoch_ms"]
    assert report["rto_is_upper_bound"] is False and report["rto_upper_bound_reason"] is None
    assert "confirmed running before the fault" in (run.markdown or "")
    # Cost: RecordResult counts from the execution's own history (read up to its own invocation), and
    # that count is the whole execution's.
    from hadrill.drill import report as drill_report

    assert report["cost"]["counted_from"] == "execution history"
    assert report["cost"]["method"].startswith("counted from this execution's history")
    events = list(run.result.events)
    record = next(
        i
        for i, e in enumerate(events)
        if e["type"].endswith("StateEntered") and e["stateEnteredEventDetails"]["name"] == "RecordResult"
    )
    scheduled = next(i for i, e in enumerate(events) if i > record and e["type"].endswith("Scheduled"))
    to_record = drill_report.counted_from_history(events[: scheduled + 1], ended=False)
    assert to_record == (run.result.state_transitions, run.result.lambda_invocations)
    assert drill_report.counted_from_history(events, ended=True) == to_record
    assert report["cost"]["state_transitions"] == run.result.state_transitions
    _assert_clean_end(world)
