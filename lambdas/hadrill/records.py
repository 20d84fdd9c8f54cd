"""Workflow records (DynamoDB items, newest first per cluster) and the notifications about them."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any


@dataclass(frozen=True)
class WorkflowError:
    """A Step Functions Catch's {"Error", "Cause"}, with the Lambda's own message pulled out."""

    error: str
    message: str

    @classmethod
    def from_catch(cls, caught: dict[str, Any] | None) -> WorkflowError:
        if not caught:
            return cls("Unknown", "no error details")
        error = str(caught.get("Error", "Unknown"))
        cause = caught.get("Cause", "")
        message = str(cause)
        try:
            parsed = json.loads(cause) if isinstance(cause, str) else None
        except json.JSONDecodeError:
            parsed = None
        if isinstance(parsed, dict) and "errorMessage" in parsed:
            message = str(parsed["errorMessage"])
            error = str(parsed.get("errorType", error))
        return cls(error, message)


@dataclass(frozen=True)
class WorkflowRecord:
    cluster: str
    kind: str  # "setup" or "drill"
    execution: str
    started: str  # ISO 8601 UTC, from the execution's start time
    outcome: str  # SUCCEEDED / FAILED for setup; PASSED / FAILED / ABORTED for drills
    finished: str = field(default_factory=lambda: now_iso())
    detail: dict[str, Any] = field(default_factory=dict)

    @property
    def record_id(self) -> str:
        # Sorts by time within a kind, so a reverse query returns the newest first.
        return f"{self.kind}#{self.started}#{self.execution.rsplit(':', 1)[-1]}"

    def item(self) -> dict[str, Any]:
        """The DynamoDB item in the low-level attribute format."""
        return {
            "cluster": {"S": self.cluster},
            "recordId": {"S": self.record_id},
            "kind": {"S": self.kind},
            "execution": {"S": self.execution},
            "outcome": {"S": self.outcome},
            "started": {"S": self.started},
            "finished": {"S": self.finished},
            "detail": {"S": json.dumps(self.detail, sort_keys=True)},
        }

    def subject(self) -> str:
        return f"[hadrill] {self.kind} {self.outcome} on {self.cluster}"[:100]

    def message(self) -> str:
        return json.dumps(
            {
                "cluster": self.cluster,
                "kind": self.kind,
                "outcome": self.outcome,
                "execution": self.execution,
                "started": self.started,
                "finished": self.finished,
                "detail": self.detail,
            },
            indent=2,
            sort_keys=True,
        )


def now_iso() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def save(dynamodb: Any, sns: Any, *, table: str, topic_arn: str, record: WorkflowRecord) -> None:
    """Write the record, then tell the operators; the record is written first so it is never lost."""
    dynamodb.put_item(TableName=table, Item=record.item())
    sns.publish(TopicArn=topic_arn, Subject=record.subject(), Message=record.message())
