"""Follow a Step Functions execution through its history: which state runs, how long each took.

Works the same against AWS and against the local world (both are a boto3 Step Functions client).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # a dev dependency (the stubs), not needed to run
    from mypy_boto3_stepfunctions import SFNClient
    from mypy_boto3_stepfunctions.type_defs import HistoryEventTypeDef

FINAL_STATUSES = frozenset({"SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED"})
# A Step Functions task's events once its nested execution runs (before TaskSubmitted it has not started).
NESTED_EXECUTION_EVENTS = frozenset({"TaskSubmitted", "TaskSucceeded", "TaskFailed", "TaskTimedOut", "TaskAborted"})
# GetExecutionHistory's largest page.
HISTORY_PAGE_MAX = 1000


@dataclass
class StateRun:
    """One state of the execution as the operator sees it."""

    name: str
    entered: datetime
    exited: datetime | None = None
    failed: bool = False
    result: Any = None  # the Lambda's payload, when the state invoked one
    error: str | None = None

    @property
    def seconds(self) -> float | None:
        return None if self.exited is None else (self.exited - self.entered).total_seconds()

    def as_dict(self) -> dict[str, Any]:
        return {
            "state": self.name,
            "status": "failed" if self.failed else ("done" if self.exited else "running"),
            "seconds": None if self.seconds is None else round(self.seconds, 3),
            "result": self.result,
            "error": self.error,
        }


@dataclass
class Execution:
    arn: str
    status: str = "RUNNING"
    started: datetime | None = None
    stopped: datetime | None = None
    output: Any = None
    error: str | None = None
    cause: str | None = None
    states: list[StateRun] = field(default_factory=list)
    state_transitions: int = 0
    lambda_invocations: int = 0
    # The nested execution (a fleet's drill) each Step Functions task event names once it runs: submitted,
    # then ended; "" for such an event that names none. The fleet command asks about these drills only.
    nested_executions: list[str] = field(default_factory=list)

    @property
    def seconds(self) -> float | None:
        if self.started is None or self.stopped is None:
            return None
        return (self.stopped - self.started).total_seconds()


def apply_events(
    execution: Execution, events: Sequence[Mapping[str, Any]], on_change: Callable[[StateRun], None] = lambda run: None
) -> None:
    """Fold history events into `execution`, calling `on_change` as each state enters and ends."""
    for event in events:
        kind = event["type"]
        when: datetime = event["timestamp"]
        if kind in NESTED_EXECUTION_EVENTS:
            details = _details(event)
            if details.get("resourceType") == "states":
                execution.nested_executions.append(_nested_execution_arn(details))
        if kind.endswith("StateEntered"):
            execution.state_transitions += 1
            run = StateRun(event["stateEnteredEventDetails"]["name"], when)
            execution.states.append(run)
            on_change(run)
        elif kind.endswith("StateExited") and execution.states:
            run = execution.states[-1]
            run.exited = when
            on_change(run)
        elif kind == "TaskScheduled" and event["taskScheduledEventDetails"].get("resourceType") == "lambda":
            execution.lambda_invocations += 1
        elif kind == "TaskSucceeded" and execution.states:
            execution.states[-1].result = _payload(event["taskSucceededEventDetails"].get("output"))
        elif kind in ("TaskFailed", "LambdaFunctionFailed", "TaskTimedOut") and execution.states:
            execution.states[-1].failed = True
            execution.states[-1].error = _failure_text(_details(event))


def _nested_execution_arn(details: Mapping[str, Any]) -> str:
    """The ARN in a ``startExecution`` task event: TaskSubmitted's output is StartExecution's answer,
    TaskSucceeded's output and TaskFailed's cause DescribeExecution's; "" when there is none."""
    for text in (details.get("output"), details.get("cause")):
        try:
            value = json.loads(text) if isinstance(text, str) and text else None
        except json.JSONDecodeError:
            value = None
        if isinstance(value, dict) and isinstance(value.get("ExecutionArn"), str):
            return str(value["ExecutionArn"])
    return ""


def _details(event: Mapping[str, Any]) -> Mapping[str, Any]:
    """The event's ``<type>EventDetails`` member (each event type has its own name for it)."""
    return next((v for k, v in event.items() if k.endswith("EventDetails")), {})


def follow(
    sfn: SFNClient,
    execution_arn: str,
    *,
    on_change: Callable[[StateRun], None] = lambda run: None,
    poll_seconds: float = 1.0,
    timeout_seconds: float = 7200.0,
    on_poll: Callable[[Execution], None] = lambda execution: None,
) -> Execution:
    """Poll until the execution ends (or the timeout passes), reporting each state as it moves;
    ``on_poll`` sees the execution after every poll (the fleet command looks at its drills then)."""
    execution = Execution(execution_arn)
    last_id = 0
    deadline = time.monotonic() + timeout_seconds
    while True:
        described = sfn.describe_execution(executionArn=execution_arn)
        events = _events_after(sfn, execution_arn, last_id)
        apply_events(execution, events, on_change)
        if events:
            last_id = int(events[-1]["id"])
        execution.status = described["status"]
        on_poll(execution)
        if described["status"] in FINAL_STATUSES or time.monotonic() >= deadline:
            break
        time.sleep(poll_seconds)
    execution.status = described["status"]
    execution.started = described.get("startDate")
    execution.stopped = described.get("stopDate")
    execution.output = _payload(described.get("output"))
    execution.error = described.get("error")
    execution.cause = described.get("cause")
    return execution


def _events_after(sfn: SFNClient, execution_arn: str, last_id: int) -> list[HistoryEventTypeDef]:
    """The history's events after event ``last_id``, oldest first. Event ids count up from 1 in the order
    the events happened, so the newest event's id (one event, without its data) says how many are new:
    most polls find none and read nothing more. The new ones are then read newest first in one page of
    their number, and further pages while more arrived meanwhile, down to the last event already seen: a
    long execution (the fleet drill's) polled twice a second is never read whole, nor a page of it when
    nothing happened."""
    newest = sfn.get_execution_history(
        executionArn=execution_arn, reverseOrder=True, maxResults=1, includeExecutionData=False
    )["events"]
    if not newest or int(newest[0]["id"]) <= last_id:
        return []
    page_size = min(HISTORY_PAGE_MAX, int(newest[0]["id"]) - last_id)
    newest_first: list[HistoryEventTypeDef] = []
    pages = sfn.get_paginator("get_execution_history").paginate(
        executionArn=execution_arn, reverseOrder=True, PaginationConfig={"PageSize": page_size}
    )
    for page in pages:
        for event in page["events"]:
            if int(event["id"]) <= last_id:
                return newest_first[::-1]
            newest_first.append(event)
        if newest_first and int(newest_first[-1]["id"]) == last_id + 1:
            break  # ids are consecutive: every new event is here, no need to ask for the next page
    return newest_first[::-1]


def _payload(text: str | None) -> Any:
    if not text:
        return None
    try:
        value = json.loads(text)
    except json.JSONDecodeError:
        return text
    if isinstance(value, dict) and "Payload" in value:
        return value["Payload"]  # lambda:invoke wraps the function's result
    return value


def _failure_text(details: Mapping[str, Any]) -> str:
    error = str(details.get("error", ""))
    cause = details.get("cause", "")
    try:
        parsed = json.loads(cause) if isinstance(cause, str) and cause else None
    except json.JSONDecodeError:
        parsed = None
    if isinstance(parsed, dict) and "errorMessage" in parsed:
        return f"{parsed.get('errorType', error)}: {parsed['errorMessage']}"
    return f"{error}: {cause}" if cause else error
