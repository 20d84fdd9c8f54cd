"""The drill's domain pieces without a world: input validation, the lock, verdicts and cost."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from hadrill.drill import lock, report
from hadrill.drill.model import DrillInput, DrillLocked, InvalidDrillInput, validate_input
from localrunner.deployment import create_records_table
from support.facts import sample_facts

FACTS = sample_facts(cluster_name="hulft-demo", document_prefix="hulft-demo-")


def test_defaults_and_camel_case() -> None:
    request = validate_input({"cluster": "hulft-demo"}, FACTS)
    assert request == DrillInput(cluster="hulft-demo")
    assert request.scenario == "network-down" and request.switchback and not request.dry_run
    dumped = request.model_dump(by_alias=True)
    assert {"dryRun", "maxRtoSeconds", "takeoverTimeoutSeconds", "stopConditionAlarms", "maxDrillSeconds"} <= set(
        dumped
    )


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ({"cluster": "hulft-demo", "scenario": "fire"}, "scenario: Input should be"),
        ({"cluster": "hulft-demo", "switchBack": False}, "switchBack: Extra inputs are not permitted"),
        ({"cluster": "hulft-demo", "takeoverTimeoutSeconds": 0}, "takeoverTimeoutSeconds: Input should be greater"),
        ({"cluster": "other"}, "cluster: 'other' is not this workflow's cluster"),
        ({}, "cluster: Field required"),
    ],
)
def test_bad_input_names_the_field(bad: dict[str, Any], message: str) -> None:
    with pytest.raises(InvalidDrillInput, match=message):
        validate_input(bad, FACTS)


@pytest.fixture
def table() -> Iterator[Any]:
    with mock_aws():
        dynamodb = boto3.client("dynamodb", region_name="us-east-1")
        create_records_table(dynamodb, "records")
        yield dynamodb


def _take(dynamodb: Any, owner: str, now: int, expires: int) -> lock.LockTaken:
    return lock.take(
        dynamodb, table="records", cluster="c", owner=owner, drill_id=owner, now_ms=now, expires_ms=expires
    )


def test_lock_is_exclusive_until_it_expires(table: Any) -> None:
    assert _take(table, "first", 1000, 5000).broken is None
    with pytest.raises(DrillLocked, match="another drill holds the lock on c: first"):
        _take(table, "second", 2000, 6000)
    assert not lock.release(table, table="records", cluster="c", owner="second"), "not the holder"
    broken = _take(table, "third", 5001, 9000).broken
    assert broken is not None and broken["drillId"] == "first"
    assert lock.release(table, table="records", cluster="c", owner="third")
    assert "Item" not in table.get_item(TableName="records", Key={"cluster": {"S": "c"}, "recordId": {"S": "lock"}})


def _state(**phases: dict[str, Any]) -> dict[str, Any]:
    return {"phases": {name: {"result": result} for name, result in phases.items()}, "failed": {}}


def test_verdicts() -> None:
    ok = {"checks": [{"name": "x", "passed": True, "detail": ""}]}
    assert report.verdict(_state(Preflight=ok, Postflight=ok)) == ("PASSED", "every check passed")
    slow = {"checks": [{"name": "RTO within SLO", "passed": False, "detail": "9 s (SLO 5 s)"}]}
    assert report.verdict(_state(WaitForTakeover=slow, Postflight=ok))[0] == "FAILED"
    locked = {"failed": {"TakeLock": {"Error": "DrillLocked", "Cause": json.dumps({"errorMessage": "held"})}}}
    assert report.verdict(locked) == ("ABORTED", "TakeLock: DrillLocked: held")
    no_takeover = {"phases": {}, "failed": {"WaitForTakeover": {"Error": "NoTakeover", "Cause": "none"}}}
    assert report.verdict(no_takeover)[0] == "FAILED"
    alarm = {"phases": {}, "failed": {"WaitForTakeover": {"Error": "StopConditionAlarm", "Cause": "ALARM"}}}
    assert report.verdict(alarm)[0] == "ABORTED"
    late = {"phases": {}, "failed": {"Preflight": {"Error": "DrillTimeExceeded", "Cause": "late"}}}
    assert report.verdict(late)[0] == "ABORTED"


def test_cost_counts_transitions_from_the_states_passed() -> None:
    names = ["ValidateInput", "TakeLock", "Preflight", "StartWatcher", "InjectFault", "WaitForTakeover"]
    names += ["VerifyTakeover", "RecoverPrimary", "Switchback", "Postflight"]
    state = _state(**{name: {"lambdaMs": 1000, "memoryMb": 1024, "ssmCommands": 1} for name in names})
    cost = report.count_cost(state, record_ms=0, memory_mb=1024)
    # 10 Lambda states + SwitchbackWanted + RecordResult + ReleaseLock + DrillOutcome + DrillPassed, and the
    # Choice after each of the three states that may ask for a Wait (none did here)
    assert cost["state_transitions"] == 18 and cost["lambda_invocations"] == 12 and cost["ssm_commands"] == 10
    assert cost["estimated_usd"]["step_functions"] == pytest.approx(18 * 0.025 / 1000)
    # 10 phases of 1 GB-s, plus the release estimated as long as taking the lock (1 s).
    assert cost["lambda_gb_seconds"] == pytest.approx(11.0)


def test_cost_counts_each_wait_a_phase_asked_for() -> None:
    """A phase that waited n times ran n + 1 times, entered n Wait states and n + 1 Choices; one that
    failed after n waits ran n + 1 times and entered n Choices (its Catch skips the last)."""
    names = ["ValidateInput", "TakeLock", "Preflight", "StartWatcher", "InjectFault", "VerifyTakeover", "Postflight"]
    phases = {name: {"lambdaMs": 100, "memoryMb": 256} for name in names}
    phases["WaitForTakeover"] = {"lambdaMs": 300, "memoryMb": 256, "waits": 2}
    phases["RecoverPrimary"] = {"lambdaMs": 100, "memoryMb": 256, "waits": 2}
    phases["Switchback"] = {"lambdaMs": 100, "memoryMb": 256}
    passed = report.count_cost(_state(**phases), record_ms=0, memory_mb=256)
    # 15 as above, + 3 Choices, + WaitForTakeover and RecoverPrimary 2 x (Wait + run + Choice) each
    assert passed["state_transitions"] == 15 + 3 + 12 and passed["lambda_invocations"] == 12 + 4
    state = _state(**phases)
    state["failed"] = {"RecoverPrimary": {"Error": "RecoveryFailed", "Cause": "{}"}}
    del state["phases"]["Switchback"], state["phases"]["Postflight"]
    failed = report.count_cost(state, record_ms=0, memory_mb=256)
    # ValidateInput..InjectFault 5, WaitForTakeover 3 runs + 3 TakeoverPending + 2 TakeoverWait, VerifyTakeover,
    # RecoverPrimary 3 runs + 2 RecoveryPending + 2 RecoveryWait (its Catch skips the third Choice and
    # SwitchbackWanted), RecordResult, ReleaseLock, DrillOutcome, DrillFailed
    assert failed["state_transitions"] == 5 + 8 + 1 + 7 + 4 and failed["lambda_invocations"] == 5 + 3 + 1 + 3 + 2
