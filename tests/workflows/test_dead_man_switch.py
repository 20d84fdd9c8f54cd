"""The dead-man switch on every fault (issue 17), in the local world: a drill whose execution is
killed right after the fault still gets its node back, by itself, at the deadline; the next drill
breaks the dead drill's lock (its execution is no longer RUNNING) and runs. A drill that lives
disarms its switch, and its report says so.

Locally the deadline is the drill's own in Wait-state time (maxDrillSeconds x the world's time scale,
0.01): maxDrillSeconds 1000 puts it 10 s after the drill starts (room for a loaded machine).
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import pytest

from hadrill_cli.local import LOCAL_TIME_SCALE
from support.drill_world import DrillWorld, drill_world
from support.waiting import wait_until

pytestmark = pytest.mark.slow
MAX_DRILL_SECONDS = 1000  # x 0.01: the switch's deadline is 10 s after the drill starts


@pytest.fixture(scope="module")
def world() -> Iterator[DrillWorld]:
    with drill_world() as shared:
        yield shared


def _armed(world: DrillWorld, arn: str) -> dict[str, Any] | None:
    """InjectFault's deadManSwitch, once the state has it (from the execution's history)."""
    sfn = world.world.client("stepfunctions")
    for page in sfn.get_paginator("get_execution_history").paginate(executionArn=arn, reverseOrder=True):
        for event in page["events"]:
            details = event.get("stateExitedEventDetails") or {}
            if details.get("name") == "InjectFault":
                state = json.loads(details["output"])
                result = state["phases"]["InjectFault"]
                found: dict[str, Any] = result.get("result", result)["deadManSwitch"]
                return found
    return None


def _kill_after_the_fault(world: DrillWorld, scenario: str) -> tuple[str, dict[str, Any], float]:
    arn = world.start(scenario=scenario, maxDrillSeconds=MAX_DRILL_SECONDS, takeoverTimeoutSeconds=30)
    deadline = time.monotonic() + 60
    armed = None
    while armed is None and time.monotonic() < deadline:
        armed = _armed(world, arn)
        time.sleep(0.02)
    assert armed is not None, "the fault was never injected"
    world.world.client("stepfunctions").stop_execution(executionArn=arn, error="Test.Killed", cause="orchestrator gone")
    killed = time.time()
    sfn = world.world.client("stepfunctions")
    assert wait_until(lambda: sfn.describe_execution(executionArn=arn)["status"] == "ABORTED", 30)
    return arn, armed, killed


def _states_entered_after_the_kill(world: DrillWorld, arn: str) -> list[str]:
    sfn = world.world.client("stepfunctions")
    events = sfn.get_execution_history(executionArn=arn, maxResults=1000)["events"]
    entered = [e["stateEnteredEventDetails"]["name"] for e in events if "stateEnteredEventDetails" in e]
    return entered[entered.index("InjectFault") + 1 :]


def _back_by_itself(world: DrillWorld, armed: dict[str, Any], killed: float) -> dict[str, float]:
    primary = world.cluster.instance_ids[0]
    assert wait_until(lambda: not world.cluster.is_online(primary), 10), "the fault took the primary away"
    assert wait_until(lambda: world.cluster.is_online(primary), 30), "the primary did not come back by itself"
    back = time.time()
    deadline = armed["deadlineEpochMs"] / 1000
    measured = {
        "deadline_after_kill_s": round(deadline - killed, 2),
        "back_after_kill_wall_s": round(back - killed, 2),
        "back_after_deadline_wall_s": round(back - deadline, 2),
        "back_after_kill_simulated_s": round((back - killed) / LOCAL_TIME_SCALE, 1),
    }
    print(f"dead-man switch {armed['kind']}: {measured}")
    # Not before the deadline (a second's rounding for at()), and soon after it: the boot plus one look.
    assert back >= deadline - 0.05, measured
    assert back - deadline < 3.0, measured
    return measured


def _next_drill_runs(world: DrillWorld, killed_arn: str) -> None:
    lock = world.lock_item()
    assert lock is not None and lock["owner"]["S"] == killed_arn, "the killed drill left its lock"
    assert int(lock["expiresEpochMs"]["N"]) > time.time() * 1000, "and it has not expired"
    # LifeKeeper brought the primary back as standby: the operator switches back (hadrill switchback).
    assert wait_until(lambda: world.cluster.active_node() == world.facts.secondary.name, 10)
    world.switch_over(to_secondary=False)
    run = world.run(scenario="hulft-daemon-kill", takeoverTimeoutSeconds=30)
    assert run.outcome == "PASSED", run.reason
    assert run.report is not None
    broken = run.report["lock"]["broken_stale_lock"]
    assert broken["execution"] == killed_arn and broken["reason"] == "its execution is ABORTED, not RUNNING"
    assert run.markdown is not None and "broke the stale lock of" in run.markdown
    assert run.report["phases"]["Preflight"].endswith("checks passed")
    assert world.lock_item() is None


def test_network_down_killed_orchestrator_node_reboots_itself_at_the_deadline(world: DrillWorld) -> None:
    arn, armed, killed = _kill_after_the_fault(world, "network-down")
    assert armed["kind"] == "node-timer" and armed["name"] == f"hadrill-deadman-{arn.rsplit(':', 1)[-1]}"
    _back_by_itself(world, armed, killed)
    assert not {"RecoverPrimary", "RecoverAfterFailure"} & set(_states_entered_after_the_kill(world, arn))
    history = [what for _, what in world.cluster.history()]
    assert f"{armed['name']}.timer elapsed on {world.facts.primary.name}" in history
    _next_drill_runs(world, arn)


def test_instance_stop_killed_orchestrator_schedule_starts_the_instance_at_the_deadline(world: DrillWorld) -> None:
    arn, armed, killed = _kill_after_the_fault(world, "instance-stop")
    assert armed["kind"] == "start-schedule"
    scheduler = world.world.client("scheduler")
    group = f"hadrill-{world.cluster_name}-dead-man"
    schedule = scheduler.get_schedule(Name=armed["name"], GroupName=group)
    assert schedule["ScheduleExpression"].startswith("at(") and schedule["ActionAfterCompletion"] == "DELETE"
    assert schedule["Target"]["Arn"] == "arn:aws:scheduler:::aws-sdk:ec2:startInstances"
    _back_by_itself(world, armed, killed)
    assert not {"RecoverPrimary", "RecoverAfterFailure"} & set(_states_entered_after_the_kill(world, arn))
    assert world.world.scheduler is not None
    [ran] = [r for r in world.world.scheduler.ran if r.name == armed["name"]]
    assert ran.error is None and ran.instance_ids == (world.facts.primary.instance_id,)
    listed = scheduler.list_schedules(GroupName=group)["Schedules"]
    assert armed["name"] not in [s["Name"] for s in listed], "deleted after it ran"
    _next_drill_runs(world, arn)


@pytest.mark.parametrize(("scenario", "kind"), [("network-down", "node-timer"), ("instance-stop", "start-schedule")])
def test_a_drill_that_lives_disarms_its_switch(world: DrillWorld, scenario: str, kind: str) -> None:
    run = world.run(scenario=scenario, takeoverTimeoutSeconds=30)
    assert run.outcome == "PASSED", run.reason
    assert run.report is not None
    switch = run.report["dead_man_switch"]
    assert switch["kind"] == kind and switch["outcome"] == "disarmed", switch
    assert switch["armed_at"] < switch["deadline"]
    assert run.markdown is not None and f"dead-man switch ({kind}" in run.markdown and "disarmed" in run.markdown
    if kind == "start-schedule":
        group = f"hadrill-{world.cluster_name}-dead-man"
        assert world.world.client("scheduler").list_schedules(GroupName=group)["Schedules"] == []
    else:
        assert world.cluster.nodes[0].timers == {}
    assert world.primary_is_home()


def test_other_scenarios_need_no_switch(world: DrillWorld) -> None:
    run = world.run(scenario="hulft-daemon-kill", takeoverTimeoutSeconds=30)
    assert run.report is not None
    assert run.report["dead_man_switch"] == {
        "kind": None,
        "armed_at": None,
        "deadline": None,
        "outcome": None,
        "detail": "not needed: LifeKeeper restarts the daemon in place",
    }
