"""The fleet command's view of each cluster's drill: it asks Step Functions about the drills only when the
fleet's own history says one started or ended, and once more when the fleet ends."""

from __future__ import annotations

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


def nested_event(kind: str, event_id: int) -> dict[str, Any]:
    details = {"resourceType": "states", "resource": "startExecution.sync:2"}
    return {"id": event_id, "type": kind, "timestamp": T0, f"{kind[0].lower()}{kind[1:]}EventDetails": details}


@pytest.fixture
def sfn() -> FakeStepFunctions:
    return FakeStepFunctions()


def test_the_drills_are_asked_about_only_when_a_nested_execution_moved(sfn: FakeStepFunctions) -> None:
    fleet, progress, said = planned_fleet(2), ClusterProgress(), []
    progress.look(sfn, fleet, said.append)  # the first look: nothing started yet
    assert len(sfn.asked) == 1 and said == []
    first = next(iter(progress.children.values()))

    sfn.status[first] = "RUNNING"
    progress.look(sfn, fleet, said.append)  # the fleet's history has not moved: nobody is asked
    assert len(sfn.asked) == 1

    apply_events(fleet, [nested_event("TaskSubmitted", 31)])
    progress.look(sfn, fleet, said.append)
    assert said == ["  ... hulft-demo-01            drilling"]
    sfn.status[first] = "SUCCEEDED"
    progress.look(sfn, fleet, said.append)
    assert len(said) == 1  # the drill ended, but the fleet does not know yet: its TaskSucceeded comes next

    apply_events(fleet, [nested_event("TaskSucceeded", 33)])
    progress.look(sfn, fleet, said.append)
    assert said[-1] == "  [  1/2] hulft-demo-01            PASSED            4.5s"  # Step Functions' own times


def test_a_lambda_task_in_the_fleet_does_not_make_it_ask(sfn: FakeStepFunctions) -> None:
    fleet, progress = planned_fleet(1), ClusterProgress()
    progress.look(sfn, fleet, lambda line: None)
    lambda_task = {"id": 13, "type": "TaskScheduled", "timestamp": T0}
    lambda_task["taskScheduledEventDetails"] = {"resourceType": "lambda", "resource": "invoke"}
    apply_events(fleet, [lambda_task])
    progress.look(sfn, fleet, lambda line: None)
    assert len(sfn.asked) == 1 and fleet.nested_execution_events == 0


def test_when_the_fleet_ends_every_drill_not_yet_seen_ending_is_asked_about(sfn: FakeStepFunctions) -> None:
    fleet, progress, said = planned_fleet(2), ClusterProgress(), []
    progress.look(sfn, fleet, said.append)
    for arn in progress.children.values():
        sfn.status[arn] = "FAILED"
    fleet.status = "FAILED"
    progress.look(sfn, fleet, said.append)
    assert [line.split()[2] for line in said] == ["hulft-demo-01", "hulft-demo-02"]
    assert all("FAILED" in line for line in said)
