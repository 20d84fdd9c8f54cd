"""What every phase works with: the invocation's clients and limits (Tools), the execution's state
document (DrillState), and the collector of one phase's checks, events and commands (Phase).

Waiting (issue 18): no function is paid to wait for anything long. The three phases that wait for the
cluster (WaitForTakeover for the watcher, RecoverPrimary for boot and resync, Switchback for the
switchover) return ``waitSeconds`` instead of polling: the state machine's Wait state sleeps that long
(free of charge) and runs the phase again, which looks once (with a few seconds' grace) and finishes or
asks for another wait. The first wait is sized to the expected duration (``Expected``: what a real
cluster takes, or locally what the simulator is set to take), so a wait that goes as expected costs the
same transitions whatever its length; one that runs over is looked at again after half the time spent
so far (a few more transitions, growing with the overrun's ratio, not its length).
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from hadrill import contracts
from hadrill.drill import lock
from hadrill.drill.model import DrillContext, DrillInput, unwrap_phases
from hadrill.facts import ClusterFacts, NodeFacts
from hadrill.node_commands import CommandResult, CommandWaitExpired, NodeCommand, Waiting, run_commands, send, wait_for
from hadrill.verdicts import Check

if TYPE_CHECKING:
    from hadrill.drill import deadman, probe_hooks

# Leave this much of an invocation for the work after a wait.
RESERVE_SECONDS = 15.0
# A phase that woke from a Wait state gives its commands this long to end before asking for another wait.
CHECK_GRACE_SECONDS = 5.0
# After a wait that ran over, look again after this share of the time waited so far.
RECHECK_SHARE = 0.5


def now_ms() -> int:
    return int(time.time() * 1000)


@dataclass(frozen=True)
class Expected:
    """How long the cluster is expected to take (seconds, wall clock): the first wait of each kind.

    Defaults are a real cluster's (LifeKeeper's 15 s detection plus the restore, LKCHECKINTERVAL for a
    daemon's local recovery, an EC2 boot, a full DataKeeper resync of a small volume, a planned
    switchover); ``HADRILL_EXPECTED_SECONDS`` overrides them (the local world sets the simulator's)."""

    takeover: float = 60.0
    local_recovery: float = 120.0
    boot: float = 120.0
    resync: float = 300.0
    switchover: float = 30.0

    @classmethod
    def from_mapping(cls, values: dict[str, float]) -> Expected:
        known = {k: float(v) for k, v in values.items() if k in cls.__dataclass_fields__}
        return cls(**known)


@dataclass
class Tools:
    """The clients and limits of one invocation (injected so tests and the local world share them)."""

    facts: ClusterFacts
    ssm: Any
    ec2: Any
    cloudwatch: Any
    dynamodb: Any
    records_table: str
    poll_seconds: float
    budget_seconds: float  # the invocation's remaining time less a margin
    clock: Callable[[], int] = now_ms
    started: float = field(default_factory=time.monotonic)
    expected: Expected = field(default_factory=Expected)
    # Wait state seconds per wall second: 1 in AWS; the local world shortens Wait states (its time_scale).
    time_scale: float = 1.0
    slept: float = 0.0  # seconds this invocation slept polling (the bench scales them with the simulator)
    # issue 17 (dead-man switch, stale locks): other AWS clients by service name, and where schedules go.
    client: Callable[[str], Any] | None = None
    dead_man: deadman.Settings | None = None
    # client-visible RTO (issue 17): the probe function and a factory for the Lambda client that starts it.
    client_probe: probe_hooks.ProbeSettings | None = None
    lambda_client: Callable[[], Any] | None = None

    def remaining(self) -> float:
        return self.budget_seconds - (time.monotonic() - self.started)

    def sleep(self, seconds: float) -> None:
        self.slept += seconds
        time.sleep(seconds)

    def waiting(self, limit: float | None = None) -> Waiting:
        budget = self.remaining() if limit is None else min(limit, self.remaining())
        return Waiting(poll_seconds=self.poll_seconds, budget_seconds=max(budget, 0.0), sleep=self.sleep)

    def wait_state_seconds(self, wall_seconds: float) -> int:
        """The Wait state's Seconds for a wait of ``wall_seconds`` (a whole number, at least 1)."""
        return max(1, math.ceil(max(wall_seconds, 0.0) / self.time_scale))


@dataclass(frozen=True)
class DrillState:
    """The execution's state document as the state machine passes it (``$``)."""

    request: DrillInput
    drill: DrillContext
    phases: dict[str, dict[str, Any]]
    failed: dict[str, dict[str, Any]]

    @classmethod
    def from_event(cls, state: dict[str, Any]) -> DrillState:
        return cls(
            request=DrillInput.model_validate(state["request"]),
            drill=DrillContext.model_validate(state["drill"]),
            phases=unwrap_phases(state.get("phases")),
            failed=dict(state.get("failed") or {}),
        )

    def phase(self, name: str) -> dict[str, Any]:
        """A phase's result as the state keeps it (its own carry between runs is read so)."""
        return self.phases.get(name) or {}

    def result(self, name: str) -> contracts.PhaseResult:
        """A phase's result, typed: what one phase reads of another (empty if it has not run)."""
        return contracts.PhaseResult.model_validate(self.phase(name))

    def pending(self, name: str) -> dict[str, Any] | None:
        """This state's own result when it asked for a Wait (it is running again after it), else None."""
        result = self.phase(name)
        return result if "waitSeconds" in result else None

    def to_node_facts(self, facts: ClusterFacts) -> NodeFacts:
        """Where the hierarchy should be after the fault: the node that took over (or the primary)."""
        name = self.result("WaitForTakeover").toNode
        return next((n for n in facts.nodes if n.name == name), facts.primary)


class Phase:
    """Collects what one phase found and did, and turns it into the result the state keeps."""

    def __init__(self, tools: Tools, name: str, resumed: dict[str, Any] | None = None) -> None:
        self.tools = tools
        self.name = name
        self.checks: list[Check] = []
        # A phase woken from a Wait state goes on from its own earlier result: events, commands, waits.
        self.events: list[dict[str, Any]] = list((resumed or {}).get("events", []))
        self.commands = int((resumed or {}).get("ssmCommands", 0))
        self.waits = int((resumed or {}).get("waits", 0))
        # The nodes' clock readings (hadrill.drill.clock) this phase took, for the report.
        self.clocks: list[dict[str, Any]] = []

    # -- nodes --------------------------------------------------------------------------------
    def run(self, commands: list[NodeCommand], *, limit: float | None = None) -> list[CommandResult]:
        self.commands += len(commands)
        return run_commands(
            self.tools.ssm, commands, waiting=self.tools.waiting(limit), comment=f"hadrill drill {self.name}"
        )

    def send(self, command: NodeCommand) -> str:
        self.commands += 1
        return send(self.tools.ssm, command, comment=f"hadrill drill {self.name}")

    def event(self, what: str, epoch_ms: int | None = None) -> int:
        stamp = self.tools.clock() if epoch_ms is None else epoch_ms
        self.events.append({"phase": what, "epochMs": stamp})
        return stamp

    def check(self, check: Check, prefix: str = "") -> Check:
        named = Check(f"{prefix}{check.name}", check.passed, check.detail) if prefix else check
        self.checks.append(named)
        return named

    def failures(self) -> list[Check]:
        return [c for c in self.checks if not c.passed]

    def result(self, summary: str, **extra: Any) -> dict[str, Any]:
        waits = {"waits": self.waits} if self.waits else {}
        return checked_result(
            {
                "summary": summary,
                "checks": [{"name": c.name, "passed": c.passed, "detail": c.detail} for c in self.checks],
                "events": self.events,
                "ssmCommands": self.commands,
                **waits,
                **extra,
            }
        )

    def wait(self, summary: str, wall_seconds: float, **carry: Any) -> dict[str, Any]:
        """Ask the state machine to wait ``wall_seconds`` and run this phase again (``carry`` comes back)."""
        self.waits += 1
        seconds = self.tools.wait_state_seconds(wall_seconds)
        return self.result(summary, waitSeconds=seconds, **carry)

    def collect(self, sent: dict[str, NodeCommand], limit: float = CHECK_GRACE_SECONDS) -> list[CommandResult] | None:
        """The results of commands sent earlier, waiting at most ``limit`` seconds; None while running."""
        try:
            return wait_for(self.tools.ssm, sent, waiting=self.tools.waiting(limit))
        except CommandWaitExpired:
            return None


class ContractBreach(Exception):
    """A phase result that breaks contracts.PhaseResult (raised only where contracts are strict)."""


def checked_result(result: dict[str, Any]) -> dict[str, Any]:
    """The phase result, checked against contracts.PhaseResult where contracts are strict (the local world,
    the tests): a wrong type, or a key the model does not name, is a bug that must not reach the state."""
    if os.environ.get(contracts.ENV_STRICT_CONTRACTS) != "1":
        return result
    try:
        unknown = contracts.undeclared_keys(contracts.PhaseResult.model_validate(result))
    except ValidationError as error:
        raise ContractBreach(f"phase result breaks PhaseResult: {error}") from None
    if unknown:
        raise ContractBreach(f"phase result keys not in PhaseResult: {', '.join(unknown)}")
    return result


def next_look(started_epoch_ms: int, now_epoch_ms: int, deadline_epoch_ms: int, *, floor: float = 1.0) -> float:
    """Seconds until the next look after a wait that ran over: half the time spent so far, not past the
    deadline (plus a second, so the deadline has passed by then)."""
    spent = max(now_epoch_ms - started_epoch_ms, 0) / 1000
    left = max(deadline_epoch_ms - now_epoch_ms, 0) / 1000
    return min(max(spent * RECHECK_SHARE, floor), left + 1.0)


def take_lock(tools: Tools, *, owner: str, drill_id: str, expires_ms: int) -> lock.LockTaken:
    """The cluster's one lock (drills and switches share it) for ``owner``; a lock that has expired, or
    whose execution has ended (when the tools can read executions: issue 17), is broken."""
    return lock.take(
        tools.dynamodb,
        table=tools.records_table,
        cluster=tools.facts.cluster_name,
        owner=owner,
        drill_id=drill_id,
        now_ms=tools.clock(),
        expires_ms=expires_ms,
        status_of=lock.execution_status(tools.client),
    )
