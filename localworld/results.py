"""What one Step Functions execution did, read back from moto."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class ExecutionResult:
    execution_arn: str
    status: str  # SUCCEEDED | FAILED | TIMED_OUT | ABORTED (RUNNING if the wait gave up)
    output: Any  # the parsed output JSON, None when the execution has none
    error: str | None
    cause: str | None
    events: tuple[dict[str, Any], ...]  # get_execution_history, oldest first
    elapsed_s: float
    ssm_commands_sent: int  # commands accepted while it ran (other concurrent work counts too)

    @property
    def succeeded(self) -> bool:
        return self.status == "SUCCEEDED"

    @property
    def states_entered(self) -> list[str]:
        """State names in the order the execution entered them."""
        return [e["stateEnteredEventDetails"]["name"] for e in self.events if e["type"].endswith("StateEntered")]

    @property
    def state_transitions(self) -> int:
        return sum(1 for e in self.events if e["type"].endswith("StateEntered"))

    @property
    def lambda_invocations(self) -> int:
        """Lambda Task states (``arn:aws:lambda:...``) plus ``arn:aws:states:::lambda:invoke`` tasks."""
        direct = sum(1 for e in self.events if e["type"] == "LambdaFunctionScheduled")
        integrated = sum(
            1
            for e in self.events
            if e["type"] == "TaskScheduled" and e["taskScheduledEventDetails"].get("resourceType") == "lambda"
        )
        return direct + integrated

    def events_of(self, event_type: str) -> list[dict[str, Any]]:
        return [e for e in self.events if e["type"] == event_type]


def parse_output(text: str | None) -> Any:
    return None if text is None else json.loads(text)
