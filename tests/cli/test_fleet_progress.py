"""The fleet command's view of each cluster's drill: it asks Step Functions about the drills only when the
fleet's own history says one started or ended, and once more when the fleet ends."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from hadrill_cli.fleet_command import ClusterProgress
from hadrill_cli.follow import Execution, StateRun, apply_events

pytestmark = pytest.mark.usefixtures("english_messages")
T0 = datetime(2026, 12, 7, 21, 0, tzinfo=UTC)
DRILL_MACHINE = "arn:aws:states:us-east-1:123456789012:stateMachine:hulft-demo-{n:02d}-Drill"


class NotStarted(Exception):
    pass


class FakeStepFunctions:
    """describe_execution over a dict of drill statuses; a drill not in it does not exist yet."""

    class exceptions:  # noqa: N801  (boto3's attribute name)
        ExecutionDoesNotExist = NotStarted

    def __init__(self) -> None:
        self.status: dict[str, str] = {}
        self.asked: list[str] = []

    def describe_execution(self, *, executionArn: str) -> dict[str, Any]:  # noqa: N803  (boto3's name)
        self.asked.append(executionArn)
        if executionArn not in self.status:
            raise NotStarted(executionArn)
        status = self.status[executionArn]
        ended = {} if status == "RUNNING" else {"stopDate": T0 + timedelta(seconds=4.5)}
        return {"status": status, "startDate": T0, **ended}


def planned_fleet(clusters: int) -> Execution:
    drills = [
        {"cluster": f"hulft-demo-{n:02d}", "drillStateMachineArn": DRILL_MACHINE.format(n=n), "drillId": f"f1-{n:02d}"}
        for n in range(1, clusters + 1)
    ]
    execution = Execution("arn:aws:states:us-east-1:123456789012:execution:fleet:f1")
    execution.states.append(StateRun("PlanDrills", T0, T0, result={"drills": drills}))
    return execution


def nested_event(kind: str, event_id: int, arn: str | None, member: str = "output") -> dict[str, Any]:
    """A startExecution.sync task event of the fleet: its output (or cause) names the drill's execution."""
    details: dict[str, Any] = {"resourceType": "states", "resource": "startExecution.sync:2"}
    if arn is not None:
        details[member] = json.dumps({"ExecutionArn": arn, "StartDate": "2026-12-07T21:00:00Z"})
    return {"id": event_id, "type": kind, "timestamp": T0, f"{kind[0].lower()}{kind[1:]}EventDetails": details}


@pytest.fixture
def sfn() -> FakeStepFunctions:
    return FakeStepFunctions()


def test_only_the_drill_a_fleet_event_names_is_asked_about(sfn: FakeStepFunctions) -> None:
    fleet, progress, said = planned_fleet(3), ClusterProgress(), []
    progress.look(sfn, fleet, said.append)  # planned, nothing started: nobody is asked
    assert sfn.asked == [] and said == []
    first, second, _ = progress.children.values()

    sfn.status[first] = sfn.status[second] = "RUNNING"
    apply_events(fleet, [nested_event("TaskScheduled", 23, None), nested_event("TaskSubmitted", 31, second)])
    progress.look(sfn, fleet, said.append)
    assert sfn.asked == [second] and said == ["  ... hulft-demo-02            drilling"]
    progress.look(sfn, fleet, said.append)  # the fleet's history has not moved: nobody is asked
    assert sfn.asked == [second]

    sfn.status[second] = "SUCCEEDED"
    apply_events(fleet, [nested_event("TaskSucceeded", 33, second)])
    progress.look(sfn, fleet, said.append)
    assert sfn.asked == [second, second]
    assert said[-1] == "  [  1/3] hulft-demo-02            PASSED            4.5s"  # Step Functions' own times

    sfn.status[first] = "FAILED"
    apply_events(fleet, [nested_event("TaskFailed", 40, first, member="cause")])
    progress.look(sfn, fleet, said.append)
    assert sfn.asked[-1] == first and said[-1].startswith("  [  2/3] hulft-demo-01") and "FAILED" in said[-1]


def test_an_event_naming_no_drill_asks_about_every_unfinished_one(sfn: FakeStepFunctions) -> None:
    fleet, progress, said = planned_fleet(3), ClusterProgress(), []
    progress.look(sfn, fleet, said.append)
    first, second, _third = progress.children.values()
    sfn.status[first] = "SUCCEEDED"
    apply_events(fleet, [nested_event("TaskTimedOut", 50, None)])
    progress.look(sfn, fleet, said.append)
    assert sfn.asked == [first, second]  # the third is not asked: the second has not started
    assert fleet.nested_executions == [""]


def test_a_lambda_task_in_the_fleet_does_not_make_it_ask(sfn: FakeStepFunctions) -> None:
    fleet, progress = planned_fleet(1), ClusterProgress()
    progress.look(sfn, fleet, lambda line: None)
    lambda_task = {"id": 15, "type": "TaskSucceeded", "timestamp": T0}
    lambda_task["taskSucceededEventDetails"] = {"resourceType": "lambda", "resource": "invoke", "output": "{}"}
    apply_events(fleet, [lambda_task])
    progress.look(sfn, fleet, lambda line: None)
    assert sfn.asked == [] and fleet.nested_executions == []


def test_when_the_fleet_ends_every_drill_not_yet_seen_ending_is_asked_about(sfn: FakeStepFunctions) -> None:
    fleet, progress, said = planned_fleet(2), ClusterProgress(), []
    progress.look(sfn, fleet, said.append)
    for arn in progress.children.values():
        sfn.status[arn] = "FAILED"
    fleet.status = "FAILED"
    progress.look(sfn, fleet, said.append)
    assert [line.split()[2] for line in said] == ["hulft-demo-01", "hulft-demo-02"]
    assert all("FAILED" in line for line in said)
