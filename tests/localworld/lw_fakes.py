"""A stand-in for the simulator's cluster: just enough behaviour to exercise localworld's seams."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from localworld import CommandOutcome, NodeBackend


@dataclass
class FakeCluster:
    """Two nodes; documents by name: Echo (prints its parameters), Fail (exit 3), Big (long output),
    Crash (the backend itself raises), anything else: Success with no output.

    A command blocks until ``release`` is set or ``delay_s`` passes, so tests can look at it
    while it is InProgress.
    """

    instance_ids: tuple[str, str]
    delay_s: float = 0.3
    release: threading.Event = field(default_factory=threading.Event)
    online: dict[str, bool] = field(default_factory=dict)
    runs: list[tuple[str, str, dict[str, list[str]], int]] = field(default_factory=list)
    actions: list[tuple[str, str]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.online = {instance_id: True for instance_id in self.instance_ids}

    def is_online(self, instance_id: str) -> bool:
        return self.online[instance_id]

    def run_document(
        self, *, instance_id: str, document_name: str, parameters: dict[str, list[str]], timeout_seconds: int
    ) -> CommandOutcome:
        self.runs.append((instance_id, document_name, parameters, timeout_seconds))
        self.release.wait(self.delay_s)
        if document_name == "Fail":
            return CommandOutcome("Failed", 3, "partial\n", "boom\n")
        if document_name == "Big":
            return CommandOutcome("Success", 0, "o" * 30_000, "e" * 9_000)
        if document_name == "Crash":
            raise RuntimeError("simulator bug")
        text = " ".join(f"{k}={','.join(v)}" for k, v in sorted(parameters.items()))
        return CommandOutcome("Success", 0, f"{instance_id} {text}\n", "")

    def stop_instance(self, instance_id: str) -> None:
        self.actions.append(("stop", instance_id))
        self.online[instance_id] = False

    def start_instance(self, instance_id: str) -> None:
        self.actions.append(("start", instance_id))
        self.online[instance_id] = True

    def reboot_instance(self, instance_id: str) -> None:
        self.actions.append(("reboot", instance_id))


if TYPE_CHECKING:  # mypy: the fake fits the protocol that the simulator implements
    _fits: NodeBackend = FakeCluster(("i-a", "i-b"))
