"""The drill waits for the cluster in Wait states, not inside its functions (issue 18): WaitForTakeover,
RecoverPrimary and Switchback each send, ask for a Wait sized to what the cluster is expected to take,
then look once; a takeover twice as long costs the same state transitions."""

from __future__ import annotations

import json
from typing import Any

import pytest

from simulator import Timings
from support.drill_world import DrillWorld, drill_world

pytestmark = pytest.mark.slow


def _timings(takeover: float) -> Timings:
    fast = Timings.fast()
    return Timings(
        heartbeat_seconds=takeover * 0.75 / 3,
        missed_heartbeats=3,
        restore_seconds=takeover * 0.25,
        local_recovery_seconds=fast.local_recovery_seconds,
        reboot_seconds=0.6,
        resync_seconds=0.8,
        lose_after_seconds=fast.lose_after_seconds,
        lk_start_seconds=fast.lk_start_seconds,
    )


def _payloads(run: Any, state: str) -> list[dict[str, Any]]:
    """The results the function returned each time ``state`` ran, in order."""
    events = run.result.events
    names = {e["id"]: e["stateEnteredEventDetails"]["name"] for e in events if e["type"] == "TaskStateEntered"}
    out: list[dict[str, Any]] = []
    entered = None
    for event in events:
        if event["type"] == "TaskStateEntered":
            entered = names[event["id"]]
        elif event["type"] == "TaskSucceeded" and entered == state:
            out.append(json.loads(event["taskSucceededEventDetails"]["output"])["Payload"])
    return out


def _drill(world: DrillWorld) -> Any:
    run = world.run(scenario="network-down", takeoverTimeoutSeconds=30)
    assert run.outcome == "PASSED", run.reason
    return run


def test_long_waits_are_wait_states_and_cost_no_more_transitions_when_longer() -> None:
    runs = []
    for takeover in (1.0, 2.0):
        with drill_world(timings=_timings(takeover)) as world:
            runs.append(_drill(world))
    short, long = runs
    for run in runs:
        entered = run.result.states_entered
        # one Wait for the takeover, two for recovery (the reboot, then comm paths and the resync), one for
        # the switchback: each sized to the simulator, so one look finds the work done
        assert entered.count("TakeoverWait") == 1 and entered.count("SwitchbackWait") == 1, entered
        assert entered.count("RecoveryWait") == 2, entered
        takeover = _payloads(run, "WaitForTakeover")
        assert [("waitSeconds" in p) for p in takeover] == [True, False]
        # the first run only asks for the wait: it sent nothing and slept nothing
        assert takeover[0]["ssmCommands"] == 0 and "sleptMs" not in takeover[0]
        assert takeover[1]["rtoSeconds"] > 0 and takeover[1]["waits"] == 1
        recover = _payloads(run, "RecoverPrimary")
        assert [p["recovery"]["stage"] for p in recover[:-1]] == ["online", "checking"]
        assert recover[-1]["recovered"] is True and recover[-1]["waits"] == 2
        assert run.report is not None and run.report["cost"]["state_transitions"] == run.result.state_transitions
    assert short.result.state_transitions == long.result.state_transitions
    assert short.result.lambda_invocations == long.result.lambda_invocations
