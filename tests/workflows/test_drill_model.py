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
from hadrill.facts import ClusterFacts

FACTS = ClusterFacts.model_validate(
    {
        "cluster_name": "hulft-demo",
        "primary": {"role": "primary", "name": "lk-node-a", "instance_id": "i-0a", "eni_id": "eni-0a"},
        "secondary": {"role": "secondary", "name": "lk-node-b", "instance_id": "i-0b", "eni_id": "eni-0b"},
        "virtual_ip": "10.254.0.10",
        "logical_host": "hulft-vip",
        "route_table_ids": ["rtb-1"],
        "media_bucket": "media-bucket",
        "hulft_media": {"key": "media/hulft.iso", "sha256": "0" * 64},
        "recovery_kit_media": {"key": "media/kit.iso", "sha256": "0" * 64},
        "hulft_license_secret": "hadrill/license",
        "hulft_version": "08.01.02",
        "hulexep": "/usr/local/hulft/bin",
        "hulpath": "/data/hulft/etc",
        "document_prefix": "hulft-demo-",
    }
)


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
        dynamodb.create_table(
            TableName="records",
            KeySchema=[
                {"AttributeName": "cluster", "KeyType": "HASH"},
                {"AttributeName": "recordId", "KeyType": "RANGE"},
            ],
            AttributeDefinitions=[
                {"AttributeName": "cluster", "AttributeType": "S"},
                {"AttributeName": "recordId", "AttributeType": "S"},
            ],
            BillingMode="PAY_PER_REQUEST",
        )
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
    # 10 Lambda states + SwitchbackWanted + RecordResult + ReleaseLock + DrillOutcome + DrillPassed
    assert cost["state_transitions"] == 15 and cost["lambda_invocations"] == 12 and cost["ssm_commands"] == 10
    assert cost["estimated_usd"]["step_functions"] == pytest.approx(15 * 0.025 / 1000)
    # 10 phases of 1 GB-s, plus the release estimated as long as taking the lock (1 s).
    assert cost["lambda_gb_seconds"] == pytest.approx(11.0)
