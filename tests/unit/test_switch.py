"""hadrill.switch: the input, where the hierarchy is (from captured lcdstatus output), the verdict and
the cost counted from a state document, and the hint the drill and setup refusals carry."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from hadrill.lcdstatus import parse_lcdstatus
from hadrill.results import NodeStatus
from hadrill.switch import model, steps
from hadrill.switch import report as switch_report
from hadrill.verdicts import SWITCHBACK_HINT, hierarchy_as_expected
from support.facts import sample_facts

FIXTURES = Path(__file__).parent / "fixtures"


def status(node: str, fixture: str) -> NodeStatus:
    lcd = parse_lcdstatus((FIXTURES / fixture).read_text())
    return NodeStatus(node, True, True, lcd, (), False, True, "in sync", "", (), "")


def test_a_switchback_needs_only_the_cluster_and_a_switchover_names_a_node_of_it() -> None:
    facts = sample_facts()
    back = model.validate_input({"cluster": "plan-demo"}, facts)
    assert model.target_of(back, facts) is facts.primary and model.kind_of(facts.primary, facts) == "switchback"
    over = model.validate_input({"cluster": "plan-demo", "toNode": "lk-b"}, facts)
    assert model.kind_of(model.target_of(over, facts), facts) == "switchover"
    with pytest.raises(model.InvalidSwitchInput, match=r"toNode: 'lk-z' is not a node of plan-demo \(lk-a, lk-b\)"):
        model.validate_input({"cluster": "plan-demo", "toNode": "lk-z"}, facts)
    with pytest.raises(model.InvalidSwitchInput, match="cluster: 'other' is not this workflow's cluster"):
        model.validate_input({"cluster": "other"}, facts)
    assert model.input_problem({"cluster": "plan-demo", "to": "lk-b"}) is not None  # unknown field
    context = model.switch_context(over, facts, execution="arn:x", execution_name="switchover-1", now_ms=1000)
    assert (context.switch_id, context.kind, context.to_node) == ("switchover-1", "switchover", "lk-b")
    assert context.lock_expires_epoch_ms == 1000 + model.LOCK_SECONDS * 1000


def test_where_the_hierarchy_is_from_captured_lcdstatus() -> None:
    healthy = {"lk-node1": status("lk-node1", "lcdstatus_primary_healthy.txt")}
    healthy["lk-node2"] = status("lk-node2", "lcdstatus_standby_healthy.txt")
    assert steps.in_service_on(healthy, "hulft") == ["lk-node1"]
    failed_over = {"lk-node2": status("lk-node2", "lcdstatus_after_failover.txt")}
    assert steps.in_service_on(failed_over, "hulft") == ["lk-node2"]
    assert steps.in_service_on({"lk-node2": status("lk-node2", "lcdstatus_standby_healthy.txt")}, "hulft") == []
    assert steps.in_service_on(failed_over, "no-such-tag") == []


def test_the_standby_check_names_the_switchback_only_when_the_hierarchy_is_in_service_there() -> None:
    away = hierarchy_as_expected(
        parse_lcdstatus((FIXTURES / "lcdstatus_after_failover.txt").read_text()), "hulft", "standby"
    )
    assert not away.passed and away.detail.endswith(SWITCHBACK_HINT) and "`hadrill switchback`" in SWITCHBACK_HINT
    home = parse_lcdstatus((FIXTURES / "lcdstatus_standby_healthy.txt").read_text())
    assert hierarchy_as_expected(home, "hulft", "standby").passed
    not_active = hierarchy_as_expected(home, "hulft", "active")
    assert not not_active.passed and SWITCHBACK_HINT not in not_active.detail


def _caught(error: str, message: str) -> dict[str, Any]:
    return {"Error": error, "Cause": json.dumps({"errorType": error, "errorMessage": message})}


def _result(**extra: Any) -> dict[str, Any]:
    return {"result": {"summary": "", "checks": [], "events": [], "ssmCommands": 1, "lambdaMs": 10, **extra}}


def test_the_verdict_of_each_path() -> None:
    noop = {"phases": {"ValidateInput": {}, "TakeLock": _result(), "Preflight": _result(noop=True, toNode="lk-a")}}
    assert switch_report.verdict(noop) == ("NOOP", "the hierarchy is already on lk-a: nothing was moved")
    bad = {"name": "lk-b: mirror in sync", "passed": False, "detail": "Out of Sync"}
    noop["phases"]["Preflight"]["result"]["checks"] = [bad]
    assert switch_report.verdict(noop)[1].endswith("; but: lk-b: mirror in sync: Out of Sync")

    locked = {"phases": {"TakeLock": {}}, "failed": {"TakeLock": _caught("SwitchLocked", "a drill holds the lock")}}
    assert switch_report.verdict(locked) == ("ABORTED", "TakeLock: SwitchLocked: a drill holds the lock")

    broken = {
        "phases": {"Preflight": _result(noop=False), "Inspect": _result(summary="the hierarchy is in service on lk-b")},
        "failed": {"Switch": _caught("SwitchFailed", "switchover from lk-b to lk-a: exit 1")},
    }
    outcome, reason = switch_report.verdict(broken)
    assert (
        outcome == "FAILED"
        and reason == "Switch: SwitchFailed: switchover from lk-b to lk-a: exit 1; the hierarchy is in service on lk-b"
    )

    moved = {"phases": {"Preflight": _result(noop=False), "Switch": _result(toNode="lk-a"), "Postflight": _result()}}
    assert switch_report.verdict(moved)[0] == "SUCCEEDED"
    moved["phases"]["Postflight"]["result"]["checks"] = [bad]
    assert switch_report.verdict(moved) == ("FAILED", "lk-b: mirror in sync: Out of Sync")


def test_the_cost_counts_the_states_each_path_passes() -> None:
    # The NOOP path: ValidateInput, TakeLock, Preflight, AlreadyThere, RecordResult, ReleaseLock,
    # SwitchOutcome, SwitchSucceeded (the workflow test checks this against the execution history).
    noop = {"phases": {"ValidateInput": {}, "TakeLock": _result(), "Preflight": _result(noop=True)}}
    cost = switch_report.count_cost(noop, record_ms=50, memory_mb=256)
    assert (cost["state_transitions"], cost["lambda_invocations"], cost["ssm_commands"]) == (8, 5, 2)
    # A move with one Wait for the switchover and one for the postflight: + Switch, SwitchPending, SwitchWait,
    # Switch, SwitchPending, Postflight, PostflightPending, PostflightWait, Postflight, PostflightPending.
    moved = {
        "phases": {
            **noop["phases"],
            "Preflight": _result(noop=False),
            "Switch": _result(waits=1),
            "Postflight": _result(waits=1),
        }
    }
    cost = switch_report.count_cost(moved, record_ms=50, memory_mb=256)
    assert (cost["state_transitions"], cost["lambda_invocations"]) == (18, 9)
