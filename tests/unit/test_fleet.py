"""Fleet drills, the pure part: the input, the Map's items, a cluster's row, the fleet's verdict."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from hadrill import fleet
from hadrill.drill.model import STARTED_BY_KEY, DrillInput

STATE_MACHINES = "arn:aws:states:ap-northeast-1:123456789012:stateMachine"
EXECUTION = "arn:aws:states:ap-northeast-1:123456789012:execution:hulft-fleet-FleetDrill:fleet-20261126T010000Z"


def _facts(count: int = 3, max_concurrency: int = 5) -> fleet.FleetFacts:
    return fleet.FleetFacts.model_validate(
        {
            "fleet_name": "hulft-fleet",
            "max_concurrency": max_concurrency,
            "clusters": [
                {
                    "cluster": f"hulft-{i:02d}",
                    "drill_state_machine_arn": f"{STATE_MACHINES}:hulft-{i:02d}-Drill",
                    "reports_bucket": f"hulft-{i:02d}-reports",
                }
                for i in range(1, count + 1)
            ],
        }
    )


def _plan(**request: Any) -> dict[str, Any]:
    facts = _facts()
    validated = fleet.validate_input({"fleet": "hulft-fleet", **request}, facts)
    return fleet.plan(validated, facts, fleet_id="fleet-20261126T010000Z", execution=EXECUTION)


def test_plan_has_one_drill_per_cluster_named_after_the_fleet_execution() -> None:
    plan = _plan(scenario="instance-stop", maxRtoSeconds=60)
    assert [d["cluster"] for d in plan["drills"]] == ["hulft-01", "hulft-02", "hulft-03"]
    first = plan["drills"][0]
    assert first["drillId"] == "fleet-20261126T010000Z-hulft-01"
    assert first["drillStateMachineArn"].endswith(":stateMachine:hulft-01-Drill")
    # Each item's input is a valid drill input for its own cluster, linked to the fleet execution.
    drill = DrillInput.model_validate(first["input"])
    assert drill.cluster == "hulft-01" and drill.scenario == "instance-stop" and drill.max_rto_seconds == 60
    assert drill.started_by == EXECUTION and first["input"][STARTED_BY_KEY] == EXECUTION


def test_plan_concurrency_is_the_fleets_unless_lowered_and_never_above_the_cluster_count() -> None:
    assert _plan()["maxConcurrency"] == 3  # 5 configured, 3 clusters
    assert _plan(maxConcurrency=2)["maxConcurrency"] == 2
    assert _plan(clusters=["hulft-02"])["maxConcurrency"] == 1


def test_a_subset_keeps_the_order_given() -> None:
    plan = _plan(clusters=["hulft-03", "hulft-01"])
    assert [d["cluster"] for d in plan["drills"]] == ["hulft-03", "hulft-01"]


@pytest.mark.parametrize(
    ("request_fields", "message"),
    [
        ({"fleet": "other-fleet"}, "fleet: 'other-fleet' is not this workflow's fleet"),
        ({"clusters": ["hulft-09"]}, "clusters: 'hulft-09' is not in fleet hulft-fleet"),
        ({"clusters": ["hulft-01", "hulft-01"]}, "clusters: a cluster is listed twice"),
        ({"maxConcurrency": 6}, "maxConcurrency: 6 is over the fleet's limit (5)"),
        ({"maxConcurrency": 0}, "maxConcurrency: Input should be greater than or equal to 1"),
        ({"scenario": "meteor"}, "scenario: Input should be"),
        ({"cluster": "hulft-01"}, "cluster: Extra inputs are not permitted"),
    ],
)
def test_bad_fleet_input_names_the_field(request_fields: dict[str, Any], message: str) -> None:
    with pytest.raises(fleet.InvalidFleetInput) as raised:
        fleet.validate_input({"fleet": "hulft-fleet", **request_fields}, _facts())
    assert str(raised.value).startswith(message)


def test_fleet_facts_refuse_a_cluster_twice() -> None:
    document = _facts().model_dump()
    document["clusters"] = [*document["clusters"], document["clusters"][0]]
    with pytest.raises(ValueError, match="listed twice"):
        fleet.FleetFacts.model_validate(document)


def test_a_long_fleet_execution_name_still_makes_valid_drill_names() -> None:
    name = fleet.drill_id("f" * 80, "hulft-01")
    assert len(name) == 80 and name.endswith("-hulft-01")


def _report(outcome: str, rto: float | None, *, failed_check: str | None = None) -> dict[str, Any]:
    checks = [{"name": "hierarchy in service on the standby", "passed": True}]
    if failed_check:
        checks.append({"name": failed_check, "passed": False})
    return {
        "outcome": outcome,
        "rto_seconds": rto,
        "max_rto_seconds": 120,
        "reason": "every check passed" if outcome == "PASSED" else "the standby did not take over",
        "checks": checks,
        "recovery": {"recovered": True},
        "cost": {"state_transitions": 15, "lambda_invocations": 12, "ssm_commands": 13},
        "started_by": EXECUTION,
    }


def test_a_cluster_row_comes_from_its_drill_report() -> None:
    item = {"cluster": "hulft-02", "drillId": "f-hulft-02"}
    row = fleet.cluster_result(
        item, _report("FAILED", None, failed_check="takeover"), {"json": "s3://b/k.json"}, fleet_execution=EXECUTION
    )
    assert row["outcome"] == "FAILED" and row["failed_checks"] == ["takeover"]
    assert row["cost"] == {"state_transitions": 15, "lambda_invocations": 12, "ssm_commands": 13}
    assert row["report"] == {"json": "s3://b/k.json"}


@pytest.mark.parametrize(
    "cause",
    [
        # moto's interpreter: DescribeExecution in boto3's casing.
        json.dumps({"status": "FAILED", "error": "StepFunctions.ExecutionAlreadyExistsException", "cause": "exists"}),
        # Step Functions: DescribeExecution in the integration's casing.
        json.dumps({"Status": "FAILED", "Error": "StepFunctions.ExecutionAlreadyExistsException", "Cause": "exists"}),
    ],
)
def test_a_cluster_without_a_report_is_not_run_with_its_drills_own_error(cause: str) -> None:
    item = {"cluster": "hulft-03", "drillId": "f-hulft-03", "failure": {"Error": "States.TaskFailed", "Cause": cause}}
    row = fleet.cluster_result(item, None, {}, fleet_execution=EXECUTION)
    assert row["outcome"] == "NOT_RUN"
    assert row["reason"] == "StepFunctions.ExecutionAlreadyExistsException: exists"


def test_a_report_of_a_drill_this_fleet_did_not_start_does_not_count() -> None:
    report = {**_report("PASSED", 0.5), "started_by": None}  # an operator's own drill of that name
    row = fleet.cluster_result({"cluster": "hulft-01", "drillId": "d"}, report, {}, fleet_execution=EXECUTION)
    assert row["outcome"] == "NOT_RUN"
    assert row["reason"].startswith("NotStartedByThisFleetDrill: drill d was started by someone else")


def test_a_plain_failure_keeps_its_error_and_cause() -> None:
    failure = {"Error": "States.Timeout", "Cause": "the task timed out"}
    assert fleet.failure_text(failure) == "States.Timeout: the task timed out"


def _summary(rows: list[dict[str, Any]], planned: int | None = None) -> dict[str, Any]:
    plan = {
        "fleetId": "fleet-1",
        "request": {"scenario": "network-down"},
        "maxConcurrency": 2,
        "drills": [{}] * (planned if planned is not None else len(rows)),
    }
    return fleet.summarize(plan, rows, fleet="hulft-fleet", started="s", finished="f", duration_seconds=12.3456)


def _row(cluster: str, outcome: str, rto: float | None) -> dict[str, Any]:
    report = _report(outcome, rto) if outcome != "NOT_RUN" else None
    return fleet.cluster_result({"cluster": cluster, "drillId": f"f-{cluster}"}, report, {}, fleet_execution=EXECUTION)


def test_the_fleet_passes_only_when_every_drill_passed() -> None:
    summary = _summary([_row("a1", "PASSED", 0.5), _row("a2", "PASSED", 1.5)])
    assert summary["outcome"] == "PASSED" and summary["reason"] == "all 2 drills passed"
    assert summary["rto_seconds"] == {"max": 1.5, "mean": 1.0, "median": 1.0, "slowest_cluster": "a2"}
    assert summary["counts"] == {"PASSED": 2, "FAILED": 0, "ABORTED": 0, "NOT_RUN": 0}
    assert summary["duration_seconds"] == 12.346


def test_one_failed_drill_fails_the_fleet_and_is_named() -> None:
    summary = _summary([_row("a1", "PASSED", 0.5), _row("a2", "FAILED", None), _row("a3", "NOT_RUN", None)])
    assert summary["outcome"] == "FAILED"
    assert summary["reason"].startswith(
        "2 of 3 drills did not pass: a2 FAILED: the standby did not take over; a3 NOT_RUN"
    )
    assert summary["counts"] == {"PASSED": 1, "FAILED": 1, "ABORTED": 0, "NOT_RUN": 1}


def test_a_missing_row_fails_the_fleet() -> None:
    summary = _summary([_row("a1", "PASSED", 0.5)], planned=2)
    assert summary["outcome"] == "FAILED" and "not every cluster reported" in summary["reason"]


def test_the_markdown_lists_every_cluster() -> None:
    summary = _summary([_row(f"c{i:02d}", "PASSED", 0.1 * i) for i in range(1, 21)])
    text = fleet.markdown(summary)
    assert text.startswith("# Fleet drill fleet-1: PASSED")
    assert sum(1 for line in text.splitlines() if re.match(r"^\| c\d\d \| PASSED \|", line)) == 20


def test_each_drill_keeps_its_clusters_own_slo_and_stop_conditions_unless_the_fleet_sets_them() -> None:
    document = _facts(2).model_dump()
    document["clusters"] = [
        {**document["clusters"][0], "max_rto_seconds": 60, "takeover_timeout_seconds": 200},
        {**document["clusters"][1], "stop_condition_alarms": ("hulft-transfer-errors",)},
    ]
    facts = fleet.FleetFacts.model_validate(document)

    def inputs(**request: Any) -> list[dict[str, Any]]:
        validated = fleet.validate_input({"fleet": "hulft-fleet", **request}, facts)
        return [d["input"] for d in fleet.plan(validated, facts, fleet_id="f", execution=EXECUTION)["drills"]]

    first, second = inputs()
    assert (first["maxRtoSeconds"], first["takeoverTimeoutSeconds"]) == (60, 200)
    assert "stopConditionAlarms" not in first
    assert "maxRtoSeconds" not in second and second["stopConditionAlarms"] == ["hulft-transfer-errors"]
    first, second = inputs(maxRtoSeconds=30)
    assert first["maxRtoSeconds"] == 30 and second["maxRtoSeconds"] == 30
    assert first["takeoverTimeoutSeconds"] == 200
    for drill_input in (first, second):
        DrillInput.model_validate(drill_input)


def test_the_failure_budget_comes_from_the_fleet_unless_the_execution_sets_it() -> None:
    document = _facts(2).model_dump()
    facts = fleet.FleetFacts.model_validate({**document, "max_failed_drills": 1})

    def budgets(**request: Any) -> tuple[Any, set[Any]]:
        validated = fleet.validate_input({"fleet": "hulft-fleet", **request}, facts)
        planned = fleet.plan(validated, facts, fleet_id="f", execution=EXECUTION)
        return planned["maxFailedDrills"], {d["maxFailedDrills"] for d in planned["drills"]}

    assert budgets() == (1, {1})
    assert budgets(maxFailedDrills=0) == (0, {0})
    assert _plan()["maxFailedDrills"] is None  # the fleet has none: every cluster is drilled


@pytest.mark.parametrize(
    ("failed", "budget", "go"),
    [([], 0, True), (["a"], 0, False), (["a"], 1, True), (["a", "b"], 1, False), (["a", "b", "c"], None, True)],
)
def test_the_budget_stops_new_drills_only_past_it(failed: list[str], budget: int | None, go: bool) -> None:
    verdict = fleet.budget_verdict(failed, budget)
    assert verdict["go"] is go
    if not go:
        assert verdict["reason"].startswith(f"not started: {len(failed)} drill(s) of this fleet drill already failed")


def test_a_cluster_stopped_by_the_budget_is_not_run_with_the_budgets_reason() -> None:
    reason = fleet.budget_verdict(["hulft-01"], 0)["reason"]
    item = {"cluster": "hulft-02", "drillId": "f-hulft-02", "budget": {"go": False, "reason": reason}}
    row = fleet.cluster_result(item, None, {}, fleet_execution=EXECUTION)
    assert row["outcome"] == "NOT_RUN" and row["reason"] == f"FailureBudgetSpent: {reason}"


def test_an_execution_arn_is_its_state_machines() -> None:
    machine = f"{STATE_MACHINES}:hulft-01-Drill"
    assert fleet.drill_execution_arn(machine, "f-hulft-01") == (
        "arn:aws:states:ap-northeast-1:123456789012:execution:hulft-01-Drill:f-hulft-01"
    )
