"""The dead-man switch's pure parts (issue 17): names, deadlines, the schedule request, the node's
answers (captured fixtures), the report entry; and the drill lock's staleness (lock.take)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from hadrill import patterns
from hadrill.drill import deadman, lock
from hadrill.drill.model import DrillContext, DrillLocked, DrillTimeExceeded, typed_phases
from hadrill.errors import ParseError
from hadrill.results import parse_fault_result, parse_result_line

FIXTURES = Path(__file__).parent / "fixtures" / "dead_man"
SETTINGS = deadman.Settings("hadrill-demo-dead-man", "arn:aws:iam::123456789012:role/demo-dead-man-scheduler")


def _drill(started: int = 1_700_000_000_000, limit_s: int = 3600, drill_id: str = "drill-1") -> DrillContext:
    return DrillContext(
        drill_id=drill_id,
        execution=f"arn:aws:states:us-east-1:123456789012:execution:demo-Drill:{drill_id}",
        started_epoch_ms=started,
        deadline_epoch_ms=started + limit_s * 1000,
        lock_expires_epoch_ms=started + (limit_s + 1800) * 1000,
    )


def test_the_deadline_is_the_drills_own_in_wait_state_time() -> None:
    drill = _drill(limit_s=3600)
    assert deadman.deadline_ms(drill, 1.0) == drill.deadline_epoch_ms
    assert deadman.deadline_ms(drill, 0.01) == drill.started_epoch_ms + 36_000


def test_at_expression_is_utc_and_never_early() -> None:
    assert deadman.at_expression(1_700_000_000_000) == "at(2023-11-14T22:13:20)"
    assert deadman.at_expression(1_700_000_000_001) == "at(2023-11-14T22:13:21)"


def test_names_fit_systemd_and_scheduler() -> None:
    assert re.fullmatch(patterns.DEAD_MAN_UNIT, deadman.unit_name("drill-1"))
    long_id = "d" * 80
    assert re.fullmatch(patterns.DEAD_MAN_UNIT, deadman.unit_name(long_id))
    name = deadman.schedule_name(long_id)
    assert len(name) == 64 and re.fullmatch(r"[0-9A-Za-z_.-]+", name)
    assert deadman.schedule_name(long_id) != deadman.schedule_name("d" * 79 + "e"), "distinct ids, distinct names"
    assert deadman.schedule_name("drill-1") == "hadrill-deadman-drill-1"


def test_plan_per_scenario() -> None:
    drill = _drill()
    now = drill.started_epoch_ms + 5000
    armed, _ = deadman.plan("network-down", drill, node="a", now=now, time_scale=1.0)
    assert armed is not None and armed.kind == "node-timer" and armed.name == "hadrill-deadman-drill-1"
    assert armed.deadline_epoch_ms == drill.deadline_epoch_ms and armed.armed_epoch_ms == now
    stop, _ = deadman.plan("instance-stop", drill, node="a", now=now, time_scale=1.0)
    assert stop is not None and stop.kind == "start-schedule"
    for scenario in ("instance-reboot", "hulft-daemon-kill", "switchover"):
        none, why = deadman.plan(scenario, drill, node="a", now=now, time_scale=1.0)  # type: ignore[arg-type]
        assert none is None and why.startswith("not needed")


def test_no_switch_and_no_fault_past_the_deadline() -> None:
    drill = _drill(limit_s=60)
    with pytest.raises(DrillTimeExceeded, match="no fault injected"):
        deadman.plan("network-down", drill, node="a", now=drill.started_epoch_ms + 2000, time_scale=0.01)


def test_the_schedule_starts_the_primary_once_then_is_deleted() -> None:
    request = deadman.schedule_request(
        SETTINGS, name="hadrill-deadman-drill-1", instance_id="i-0abc", deadline=1_700_000_000_000, cluster="demo"
    )
    assert request["ScheduleExpression"] == "at(2023-11-14T22:13:20)"
    assert request["ScheduleExpressionTimezone"] == "UTC"
    assert request["FlexibleTimeWindow"] == {"Mode": "OFF"}
    assert request["ActionAfterCompletion"] == "DELETE"
    assert request["GroupName"] == SETTINGS.schedule_group
    target = request["Target"]
    assert target["Arn"] == "arn:aws:scheduler:::aws-sdk:ec2:startInstances"
    assert target["RoleArn"] == SETTINGS.scheduler_role_arn
    assert json.loads(target["Input"]) == {"InstanceIds": ["i-0abc"]}


def test_settings_need_both_variables() -> None:
    assert deadman.Settings.from_environ({}) is None
    assert deadman.Settings.from_environ({deadman.ENV_SCHEDULE_GROUP: "g"}) is None
    both = {deadman.ENV_SCHEDULE_GROUP: "g", deadman.ENV_SCHEDULER_ROLE_ARN: "arn:r"}
    assert deadman.Settings.from_environ(both) == deadman.Settings("g", "arn:r")


class _Scheduler:
    def __init__(self, error: str | None = None) -> None:
        self.error = error
        self.calls: list[tuple[str, dict[str, Any]]] = []

    def _maybe_fail(self, operation: str) -> None:
        if self.error:
            raise ClientError({"Error": {"Code": self.error, "Message": "x"}}, operation)

    def create_schedule(self, **kwargs: Any) -> None:
        self.calls.append(("create", kwargs))
        self._maybe_fail("CreateSchedule")

    def delete_schedule(self, **kwargs: Any) -> None:
        self.calls.append(("delete", kwargs))
        self._maybe_fail("DeleteSchedule")


def test_a_schedule_that_cannot_be_created_stops_the_fault() -> None:
    armed, _ = deadman.plan("instance-stop", _drill(), node="a", now=_drill().started_epoch_ms, time_scale=1.0)
    assert armed is not None
    with pytest.raises(deadman.DeadManNotArmed, match="could not create the schedule"):
        deadman.create_schedule(_Scheduler("AccessDeniedException"), SETTINGS, armed, instance_id="i-1", cluster="c")
    with pytest.raises(deadman.DeadManNotArmed, match="no schedule group"):
        deadman.create_schedule(_Scheduler(), None, armed, instance_id="i-1", cluster="c")


def test_deleting_tells_disarmed_from_fired() -> None:
    assert deadman.delete_schedule(_Scheduler(), SETTINGS, "s")[0] == "disarmed"
    assert deadman.delete_schedule(_Scheduler("ResourceNotFoundException"), SETTINGS, "s")[0] == "fired"
    with pytest.raises(ClientError):
        deadman.delete_schedule(_Scheduler("AccessDeniedException"), SETTINGS, "s")


@pytest.mark.parametrize(
    ("fixture", "outcome", "fired"),
    [("disarm-disarmed", "disarmed", False), ("disarm-gone", "gone", False), ("disarm-fired", "fired", True)],
)
def test_parse_disarm(fixture: str, outcome: str, fired: bool) -> None:
    found, fired_ms, message = deadman.parse_disarm((FIXTURES / f"{fixture}.stdout").read_text())
    assert found == outcome and (fired_ms is not None) == fired and message
    mapped, detail = deadman.node_outcome(found, message)
    assert mapped == ("fired" if fired else "disarmed")
    assert ("recovery's reboot" in detail) == (outcome == "gone")


def test_parse_disarm_refuses_an_answer_without_outcome() -> None:
    with pytest.raises(ParseError):
        deadman.parse_disarm('{"ok":true,"changed":false,"message":"x"}\n')
    with pytest.raises(ParseError):
        deadman.parse_disarm((FIXTURES / "inject-not-armed.stdout").read_text())


def test_inject_fault_answers_with_and_without_the_switch() -> None:
    assert parse_fault_result((FIXTURES / "inject-network-down-armed.stdout").read_text()).fault == "network-down"
    refused = parse_result_line((FIXTURES / "inject-not-armed.stdout").read_text())
    assert refused["ok"] is False and refused["exit_code"] == 5 and "no fault injected" in refused["message"]


def test_report_entry() -> None:
    armed = {"kind": "node-timer", "name": "u", "node": "a", "armedEpochMs": 1_700_000_000_000}
    armed["deadlineEpochMs"] = 1_700_003_600_000
    only_armed = deadman.report_entry(
        typed_phases({"InjectFault": {"deadManSwitch": {**armed, "outcome": "armed"}}}), "network-down", False
    )
    assert only_armed["outcome"] == "armed" and "not disarmed" in only_armed["detail"]
    assert only_armed["armed_at"] == "2023-11-14T22:13:20.000Z" and only_armed["deadline"] == "2023-11-14T23:13:20.000Z"
    settled = deadman.disarmed(armed, "fired", "it fired", 1_700_003_600_500)
    phases = typed_phases({"InjectFault": {"deadManSwitch": armed}, "RecoverPrimary": {"deadManSwitch": settled}})
    entry = deadman.report_entry(phases, "network-down", False)
    assert entry["outcome"] == "fired" and entry["detail"] == "it fired"
    assert "fired" in deadman.markdown_line(entry)
    assert deadman.report_entry({}, "switchover", False)["detail"].startswith("not needed")
    assert deadman.report_entry({}, "network-down", True)["detail"] == "dry run: nothing armed"


# -- the drill lock: a lock whose execution has ended is stale (issue 17) -------------------------------


class _Table:
    """A records table's lock item with DynamoDB's conditional put (the two conditions lock.take writes)."""

    def __init__(self, item: dict[str, Any] | None) -> None:
        self.item = item

    def get_item(self, **kwargs: Any) -> dict[str, Any]:
        return {"Item": self.item} if self.item else {}

    def put_item(self, **kwargs: Any) -> None:
        condition, values = kwargs["ConditionExpression"], kwargs.get("ExpressionAttributeValues", {})
        ok = (
            self.item is None
            if condition.startswith("attribute_not_exists")
            else self.item is not None and self.item["owner"] == values[":previous"]
        )
        if ok and ":now" in values:
            ok = int(self.item["expiresEpochMs"]["N"]) <= int(values[":now"]["N"])  # type: ignore[index]
        if not ok:
            raise ClientError({"Error": {"Code": "ConditionalCheckFailedException", "Message": "no"}}, "PutItem")
        self.item = kwargs["Item"]


def _held(expires_ms: int, owner: str = "arn:aws:states:us-east-1:1:execution:demo-Drill:old") -> dict[str, Any]:
    return {
        "owner": {"S": owner},
        "drillId": {"S": "old"},
        "acquiredEpochMs": {"N": "1000"},
        "expiresEpochMs": {"N": str(expires_ms)},
    }


def _take(table: _Table, status_of: lock.StatusOf | None, now: int = 10_000) -> lock.LockTaken:
    return lock.take(
        table,
        table="t",
        cluster="demo",
        owner="new",
        drill_id="new",
        now_ms=now,
        expires_ms=99_999,
        status_of=status_of,
    )


def test_a_live_lock_of_a_running_execution_holds() -> None:
    table = _Table(_held(expires_ms=50_000))
    with pytest.raises(DrillLocked):
        _take(table, lambda arn: "RUNNING")
    assert table.item is not None and table.item["drillId"]["S"] == "old"


@pytest.mark.parametrize("status", ["ABORTED", "FAILED", "SUCCEEDED", "TIMED_OUT"])
def test_a_lock_whose_execution_ended_is_broken_with_the_reason(status: str) -> None:
    table = _Table(_held(expires_ms=50_000))
    taken = _take(table, lambda arn: status)
    assert taken.broken is not None and taken.broken["reason"] == f"its execution is {status}, not RUNNING"
    assert "broke the stale lock of old" in lock.broken_summary(taken.broken)
    assert table.item is not None and table.item["owner"]["S"] == "new"


def test_an_unknown_status_falls_back_to_the_expiry() -> None:
    def failing(arn: str) -> str | None:
        raise RuntimeError("AccessDenied")

    for status_of in (failing, lambda arn: None, None):
        with pytest.raises(DrillLocked):
            _take(_Table(_held(expires_ms=50_000)), status_of)
    expired = _take(_Table(_held(expires_ms=5_000)), failing)
    assert expired.broken is not None and expired.broken["reason"] == "expired"
    assert lock.broken_summary(expired.broken).startswith("broke the expired lock of old")


def test_execution_status_describes_only_execution_arns() -> None:
    described: list[str] = []

    class _Sfn:
        def describe_execution(self, executionArn: str) -> dict[str, str]:  # noqa: N803 - boto3's name
            described.append(executionArn)
            return {"status": "ABORTED"}

    status_of = lock.execution_status(lambda service: _Sfn())
    assert status_of is not None
    assert status_of("someone") is None and described == []
    arn = "arn:aws:states:us-east-1:1:execution:demo-Drill:old"
    assert status_of(arn) == "ABORTED" and described == [arn]
    assert lock.execution_status(None) is None
