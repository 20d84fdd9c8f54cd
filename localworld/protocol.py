"""What the local world needs from a simulated cluster.

The simulator package implements this contract (its ``SimulatedCluster`` and ``CommandOutcome``);
localworld defines its own copy so that it does not import the simulator: structural typing
makes the two fit, and tests can plug in a small fake.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, runtime_checkable

# Final statuses a backend may report for one command on one node.
OUTCOME_STATUSES = frozenset({"Success", "Failed", "TimedOut", "Undeliverable", "Cancelled"})


@dataclass(frozen=True)
class CommandOutcome:
    """How one SSM command ended on one node (same fields as ``simulator.CommandOutcome``)."""

    status: str  # one of OUTCOME_STATUSES
    response_code: int  # the script's exit code, -1 when it never ran
    stdout: str
    stderr: str


class Outcome(Protocol):
    """Anything shaped like a CommandOutcome (the simulator's own dataclass fits)."""

    @property
    def status(self) -> str: ...
    @property
    def response_code(self) -> int: ...
    @property
    def stdout(self) -> str: ...
    @property
    def stderr(self) -> str: ...


@runtime_checkable
class NodeBackend(Protocol):
    """A set of simulated nodes that SSM Run Command and the EC2 API reach."""

    @property
    def instance_ids(self) -> tuple[str, ...]: ...

    def is_online(self, instance_id: str) -> bool:
        """True when the node's SSM agent would answer (PingStatus Online)."""
        ...

    def run_document(
        self,
        *,
        instance_id: str,
        document_name: str,
        parameters: dict[str, list[str]],
        timeout_seconds: int,
    ) -> Outcome:
        """Run the document's script on the node and block until it ends."""
        ...

    def stop_instance(self, instance_id: str) -> None: ...

    def start_instance(self, instance_id: str) -> None: ...

    def reboot_instance(self, instance_id: str) -> None: ...
