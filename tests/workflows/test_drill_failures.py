"""Every simulator knob drives the drill down a failure path: the right outcome with the reason,
the lock released, the primary recovered (or plainly reported as not), a record and an alert.

One cluster for the module: each test sets its knob after setup, clears it, and leaves the
hierarchy home (which is part of what it checks).
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from simulator import Knobs, Timings
from support.drill_world import DrillRun, DrillWorld, drill_world

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def world() -> Iterator[DrillWorld]:
    with drill_world(timings=Timings.fast()) as shared:
        yield shared


@pytest.fixture(autouse=True)
def clear_knobs(world: DrillWorld) -> Iterator[None]:
    world.notifications()  # drop earlier messages
    yield
    world.set_knobs(Knobs())


def _assert_recorded_and_alerted(world: DrillWorld, run: DrillRun, outcome: str) -> None:
    assert run.outcome == outcome, run.reason
    assert run.result.status == "FAILED"
    assert run.result.error == f"Drill{outcome.title()}" and run.result.cause == run.reason[:1000]
    assert world.lock_item() is None, "the lock is released on every path"
    record = world.record_of(run)
    assert record["outcome"]["S"] == outcome and json.loads(record["detail"]["S"])["reason"] == run.reason
    subjects = [n["subject"] for n in world.notifications()]
    assert f"[hadrill] drill {outcome} on {world.cluster_name}" in subjects


def test_standby_never_takes_over(world: DrillWorld) -> None:
    world.set_knobs(Knobs(standby_never_takes_over=True))
    run = world.run(scenario="network-down", takeoverTimeoutSeconds=2, recoveryTimeoutSeconds=3)
    _assert_recorded_and_alerted(world, run, "FAILED")
    assert "WaitForTakeover: NoTakeover" in run.reason and "no takeover within" in run.reason
    assert "RecoverAfterFailure" in run.result.states_entered
    assert run.report is not None
    recovery = run.report["recovery"]
    assert any("rebooted" in action for action in recovery["actions"])
    # The rebooted primary takes its hierarchy back and DataKeeper resyncs the mirror to the standby.
    assert recovery["recovered"] is True, recovery
    assert world.cluster.active_node() == world.facts.primary.name
    _resync_mirror(world)
    assert world.primary_is_home()


def _resync_mirror(world: DrillWorld) -> None:
    """What an operator does after such a drill: a planned switchover and back resyncs the mirror."""
    world.set_knobs(Knobs())
    world.switch_over(to_secondary=True)
    world.switch_over(to_secondary=False)


def test_mirror_out_of_sync_aborts_at_preflight(world: DrillWorld) -> None:
    world.set_knobs(Knobs(mirror_out_of_sync=True))
    world.switch_over(to_secondary=True)  # the knob bites when the mirror next syncs
    world.switch_over(to_secondary=False)
    history = len(world.cluster.history())
    run = world.run(scenario="network-down")
    _assert_recorded_and_alerted(world, run, "ABORTED")
    assert "Preflight: PreflightFailed" in run.reason and "mirror in sync" in run.reason
    assert run.commands_sent == 2, "only the two read-only status commands"
    assert not any("lost" in what for _, what in world.cluster.history()[history:]), "no fault"
    assert run.report is not None and run.report["recovery"]["recovered"] is None
    _resync_mirror(world)
    assert world.primary_is_home()


def test_dead_comm_path_aborts_at_preflight(world: DrillWorld) -> None:
    world.set_knobs(Knobs(dead_comm_path=True))
    run = world.run(scenario="instance-stop")
    _assert_recorded_and_alerted(world, run, "ABORTED")
    assert "comm paths ALIVE" in run.reason and "DEAD" in run.reason
    assert world.primary_is_home()


def test_hung_fault_command_fails_as_a_fault_that_did_not_land(world: DrillWorld) -> None:
    # ifdown never answers: the network never goes down, so nothing takes over, and the standby was
    # right not to. The reason says so, rather than blaming the standby.
    world.set_knobs(Knobs(hang_command="ifdown"))
    run = world.run(scenario="network-down", takeoverTimeoutSeconds=2)
    _assert_recorded_and_alerted(world, run, "FAILED")
    assert "WaitForTakeover: FaultNotInjected: the fault did not take effect" in run.reason
    assert f"{world.facts.primary.name} still answers and holds hulft ISP" in run.reason
    assert run.report is not None and run.report["recovery"]["recovered"] is True
    assert world.primary_is_home()


def test_node_lost_during_the_watch(world: DrillWorld) -> None:
    # The standby drops off while its watcher runs, then the primary's network goes down: nobody
    # can take over. Recovery reboots both nodes and the primary takes its hierarchy back.
    world.set_knobs(Knobs(lose_node_during="HADrill-WatchTakeover"))
    run = world.run(scenario="network-down", takeoverTimeoutSeconds=2, recoveryTimeoutSeconds=3)
    _assert_recorded_and_alerted(world, run, "FAILED")
    assert "NoTakeover" in run.reason
    assert run.report is not None
    recovery = run.report["recovery"]
    assert len([a for a in recovery["actions"] if a.startswith("rebooted")]) == 2
    # Both nodes are back, the primary has its hierarchy and the mirror is resynced.
    assert recovery["recovered"] is True, recovery
    assert world.cluster.active_node() == world.facts.primary.name
    _resync_mirror(world)
    assert world.primary_is_home()


def test_slow_takeover_fails_the_slo_and_still_recovers(world: DrillWorld) -> None:
    run = world.run(scenario="network-down", maxRtoSeconds=0.05)
    _assert_recorded_and_alerted(world, run, "FAILED")
    assert "RTO within SLO" in run.reason
    assert run.report is not None and run.report["rto_seconds"] > 0.05
    assert run.report["recovery"]["recovered"] is True
    assert run.report["switchback"]["switched_back"] is True
    assert world.primary_is_home()
