"""The drill's safety rails: input validated before anything is sent, one drill per cluster at a
time, expired locks broken (and said so), stop-condition alarms honoured before and during the fault.
"""

from __future__ import annotations

import dataclasses
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

from simulator import Timings
from support.drill_world import DrillWorld, drill_world

pytestmark = pytest.mark.slow
# Detection 3 s: a stop-condition alarm fires (and is seen, within 1 s) well before the takeover.
TIMINGS = dataclasses.replace(Timings.fast(), heartbeat_seconds=1.0)


@pytest.fixture(scope="module")
def world() -> Iterator[DrillWorld]:
    with drill_world(timings=TIMINGS) as shared:
        yield shared


@pytest.mark.parametrize(
    ("bad", "field"),
    [
        ({"scenario": "meteor-strike"}, "scenario"),
        ({"maxRtoSeconds": 0}, "maxRtoSeconds"),
        ({"takeoverTimeoutSeconds": 100000}, "takeoverTimeoutSeconds"),
        ({"dryRun": "perhaps"}, "dryRun"),
        ({"stopConditionAlarms": [""]}, "stopConditionAlarms.0"),
        ({"maxDrillSeconds": 5}, "maxDrillSeconds"),
        ({"scenarioo": "network-down"}, "scenarioo"),
        ({"cluster": "someone-else"}, "cluster"),
    ],
)
def test_bad_input_is_refused_before_anything_is_sent(world: DrillWorld, bad: dict[str, Any], field: str) -> None:
    run = world.run(**bad)
    assert run.commands_sent == 0, "nothing was sent to a node"
    assert run.result.states_entered[:2] == ["ValidateInput", "InputRejected"]
    assert run.outcome == "ABORTED" and f"ValidateInput: InvalidDrillInput: {field}:" in run.reason, run.reason
    assert world.lock_item() is None


def test_input_that_is_not_an_object_is_refused(world: DrillWorld) -> None:
    run = world.run(raw_input=["network-down"])
    assert run.commands_sent == 0
    assert run.outcome == "ABORTED" and "must be a JSON object" in run.reason


def test_two_drills_at_once_exactly_one_runs(world: DrillWorld) -> None:
    before = world.world.ssm.commands_sent
    first = world.start(scenario="hulft-daemon-kill")
    second = world.start(scenario="hulft-daemon-kill")
    runs = [world.finish(first), world.finish(second)]
    outcomes = sorted(str(r.outcome) for r in runs)
    assert outcomes == ["ABORTED", "PASSED"], [r.reason for r in runs]
    stopped = next(r for r in runs if r.outcome == "ABORTED")
    ran = next(r for r in runs if r.outcome == "PASSED")
    assert "TakeLock: DrillLocked: another drill" in stopped.reason and "touched nothing" in stopped.reason
    assert "Preflight" not in stopped.result.states_entered
    assert stopped.report is not None and stopped.report["cost"]["ssm_commands"] == 0
    assert ran.report is not None
    assert world.world.ssm.commands_sent - before == ran.report["cost"]["ssm_commands"]
    assert world.lock_item() is None, "the runner released its lock; the stopped one released nothing"


def _plant_lock(world: DrillWorld, *, owner: str, drill_id: str, acquired_ms_ago: int, expires_in_ms: int) -> None:
    """The drill lock item as another drill left it (times relative to now)."""
    now_ms = int(time.time() * 1000)
    world.world.client("dynamodb").put_item(
        TableName=world.deployment.records_table,
        Item={
            "cluster": {"S": world.cluster_name},
            "recordId": {"S": "lock"},
            "owner": {"S": owner},
            "drillId": {"S": drill_id},
            "acquiredEpochMs": {"N": str(now_ms - acquired_ms_ago)},
            "expiresEpochMs": {"N": str(now_ms + expires_in_ms)},
        },
    )


def test_an_expired_lock_is_broken_and_recorded(world: DrillWorld) -> None:
    owner = "arn:aws:states:us-east-1:123456789012:execution:hulft-demo-Drill:crashed"
    _plant_lock(world, owner=owner, drill_id="crashed", acquired_ms_ago=7_200_000, expires_in_ms=-1000)
    run = world.run(scenario="hulft-daemon-kill")
    assert run.outcome == "PASSED", run.reason
    assert run.report is not None and run.report["lock"]["broken_stale_lock"]["drillId"] == "crashed"
    assert run.markdown is not None and "broke the expired lock of crashed" in run.markdown
    assert world.lock_item() is None


def test_a_live_lock_held_elsewhere_stops_the_drill(world: DrillWorld) -> None:
    _plant_lock(world, owner="someone", drill_id="running-elsewhere", acquired_ms_ago=0, expires_in_ms=600_000)
    run = world.run(scenario="network-down")
    assert run.outcome == "ABORTED" and "running-elsewhere" in run.reason
    assert run.commands_sent == 0
    lock = world.lock_item()
    assert lock is not None and lock["drillId"]["S"] == "running-elsewhere", "another drill's lock is left alone"
    world.world.client("dynamodb").delete_item(
        TableName=world.deployment.records_table,
        Key={"cluster": {"S": world.cluster_name}, "recordId": {"S": "lock"}},
    )


def _alarm(world: DrillWorld, name: str, state: str) -> None:
    cloudwatch = world.world.client("cloudwatch")
    cloudwatch.put_metric_alarm(
        AlarmName=name,
        MetricName="Errors",
        Namespace="HULFT",
        Statistic="Sum",
        Period=60,
        EvaluationPeriods=1,
        Threshold=1,
        ComparisonOperator="GreaterThanOrEqualToThreshold",
    )
    cloudwatch.set_alarm_state(AlarmName=name, StateValue=state, StateReason="test")


def test_alarm_in_alarm_before_the_fault_aborts(world: DrillWorld) -> None:
    _alarm(world, "transfers-failing", "ALARM")
    run = world.run(scenario="network-down", stopConditionAlarms=["transfers-failing"])
    assert run.outcome == "ABORTED" and "StopConditionAlarm" in run.reason and "transfers-failing" in run.reason
    assert run.commands_sent == 2, "only the preflight's status commands"
    assert world.primary_is_home()


def test_unknown_stop_condition_alarm_aborts(world: DrillWorld) -> None:
    run = world.run(scenario="network-down", stopConditionAlarms=["no-such-alarm"])
    assert run.outcome == "ABORTED" and "not found: no-such-alarm" in run.reason


def test_alarm_firing_while_waiting_aborts_and_recovers(world: DrillWorld) -> None:
    _alarm(world, "partner-sla", "OK")
    history = len(world.cluster.history())

    def fire_when_the_primary_is_lost() -> None:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if any("lost" in what for _, what in world.cluster.history()[history:]):
                world.world.client("cloudwatch").set_alarm_state(
                    AlarmName="partner-sla", StateValue="ALARM", StateReason="test"
                )
                return
            time.sleep(0.02)

    trigger = threading.Thread(target=fire_when_the_primary_is_lost)
    trigger.start()
    run = world.run(
        scenario="network-down",
        stopConditionAlarms=["partner-sla"],
        takeoverTimeoutSeconds=30,
        recoveryTimeoutSeconds=3,
    )
    trigger.join()
    assert run.outcome == "ABORTED", run.reason
    assert "WaitForTakeover: StopConditionAlarm" in run.reason and "partner-sla" in run.reason
    assert run.report is not None
    recovery = run.report["recovery"]
    # The primary is rebooted before the standby detects the failure, so it keeps its hierarchy and
    # DataKeeper resyncs the mirror to the standby.
    assert any("rebooted" in action for action in recovery["actions"]), recovery
    assert recovery["recovered"] is True, recovery
    assert world.cluster.active_node() == world.facts.primary.name
    assert world.lock_item() is None
    world.switch_over(to_secondary=True)
    world.switch_over(to_secondary=False)
    assert world.primary_is_home()
