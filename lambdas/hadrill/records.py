"""Workflow records (DynamoDB items, newest first per cluster) and the notifications about them."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from hadrill.contracts import now_iso

if TYPE_CHECKING:  # the stubs are a dev dependency: the Lambda asset does not ship them
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_sns import SNSClient


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

    def attributes(self) -> dict[str, str]:
        """The item's attributes as plain values (detail as JSON text: one attribute, any shape)."""
        return {
            "cluster": self.cluster,
            "recordId": self.record_id,
            "kind": self.kind,
            "execution": self.execution,
            "outcome": self.outcome,
            "started": self.started,
            "finished": self.finished,
            "detail": json.dumps(self.detail, sort_keys=True),
        }

    def item(self) -> dict[str, Any]:
        """The DynamoDB item in the low-level attribute format (boto3's TypeSerializer)."""
        return to_item(self.attributes())

    @classmethod
    def from_item(cls, item: dict[str, Any]) -> WorkflowRecord:
        """A record read back from the low-level format; ValueError when it is not one of ours."""
        values = from_item(item)
        try:
            detail = json.loads(str(values.get("detail", "{}")))
            record = cls(
                cluster=str(values["cluster"]),
                kind=str(values["kind"]),
                execution=str(values["execution"]),
                started=str(values["started"]),
                outcome=str(values["outcome"]),
                finished=str(values.get("finished", "")),
                detail=detail if isinstance(detail, dict) else {},
            )
        except (KeyError, RecursionError, json.JSONDecodeError) as error:
            raise ValueError(f"not a workflow record: {type(error).__name__}: {error}") from None
        return record

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


def to_item(values: dict[str, Any]) -> dict[str, Any]:
    """Plain values as a low-level DynamoDB item. boto3 is imported here, not at import: the functions'
    cold start does not pay for it before they make their first client."""
    from boto3.dynamodb.types import TypeSerializer

    serializer = TypeSerializer()
    return {name: serializer.serialize(value) for name, value in values.items()}


def from_item(item: dict[str, Any]) -> dict[str, Any]:
    """A low-level DynamoDB item as plain values (numbers come back as Decimal)."""
    from boto3.dynamodb.types import TypeDeserializer

    deserializer = TypeDeserializer()
    return {name: deserializer.deserialize(value) for name, value in item.items()}


def save(dynamodb: DynamoDBClient, sns: SNSClient, *, table: str, topic_arn: str, record: WorkflowRecord) -> None:
    """Write the record, then tell the operators; the record is written first so it is never lost."""
    dynamodb.put_item(TableName=table, Item=record.item())
    sns.publish(TopicArn=topic_arn, Subject=record.subject(), Message=record.message())
