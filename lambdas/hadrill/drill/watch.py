"""What the watcher saw, and whether and when that was a complete takeover (decided here, not in bash).

HADrill-WatchTakeover reports ``seen``: one entry per change of any resource of the hierarchy or of the
HULFT daemons ({epoch_ms, resources: {tag: state}, daemons: [...]}). The takeover was complete at the
first entry that passes hadrill.verdicts.takeover_verdict, the same definition VerifyTakeover applies to
a node's status. The watcher stops polling by the same rule; its own verdict is not read.
"""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass
from typing import Any

from hadrill.contracts import WatchSeen, WatchTakeoverResult
from hadrill.drill.clock import clock_reading
from hadrill.drill.commands import last_words, watcher_status_command
from hadrill.drill.runtime import RESERVE_SECONDS, DrillState, Phase
from hadrill.errors import ParseError
from hadrill.node_commands import CommandWaitExpired, NodesOffline
from hadrill.results import WatchOutcome, parse_watch_result, read_result
from hadrill.verdicts import Verdict, takeover_verdict

# How long the drill waits, before the fault, for the watcher to be running and to have looked once
# (SSM delivers a command in seconds; an agent that has not started it by then will not help the drill).
WATCHER_START_SECONDS = 60.0

_WHAT = "watcher result"


@dataclass(frozen=True)
class Seen:
    """One change the watcher saw: every resource of the hierarchy and the daemons running, at epoch_ms."""

    epoch_ms: int
    resources: tuple[tuple[str, str], ...]  # (tag, state), the root first
    daemons: frozenset[str]

    def verdict(self, root_tag: str) -> Verdict:
        return takeover_verdict(dict(self.resources), self.daemons, root_tag)


def _seen(item: WatchSeen) -> Seen:
    return Seen(item.epoch_ms, tuple(item.resources.items()), frozenset(item.daemons))


def parse_seen(stdout: str) -> tuple[Seen, ...]:
    """The watcher's ``seen`` entries, oldest first."""
    raw = read_result(stdout, WatchTakeoverResult).seen
    return tuple(sorted((_seen(item) for item in raw), key=lambda s: s.epoch_ms))


def takeover_seen(seen: tuple[Seen, ...], root_tag: str) -> Seen | None:
    """The first change the watcher saw that was a complete takeover (None: none was)."""
    return next((s for s in seen if s.verdict(root_tag).passed), None)


def watch_outcome(stdout: str, root_tag: str) -> WatchOutcome:
    """The watcher's result with the takeover decided from what it saw (takeover_verdict)."""
    outcome = parse_watch_result(stdout)
    seen = parse_seen(stdout)
    complete = takeover_seen(seen, root_tag)
    if complete is not None:
        return dataclasses.replace(outcome, complete=True, takeover_epoch_ms=complete.epoch_ms)
    last = seen[-1].verdict(root_tag).failures if seen else ()
    why = "; ".join(f"{c.name}: {c.detail}" for c in last) or "nothing seen"
    message = outcome.message if not outcome.complete else f"the watcher stopped, but not at a takeover ({why})"
    return dataclasses.replace(outcome, complete=False, takeover_epoch_ms=None, message=message)


@dataclass(frozen=True)
class WatcherRunning:
    """WatchTakeover Mode=status: a watcher is running on the node, since started_epoch_ms."""

    started_epoch_ms: int
    polls: int
    last_poll_epoch_ms: int
    clock: str = ""  # the node's `chronyc tracking` output (hadrill.drill.clock)


def parse_watcher_status(stdout: str) -> WatcherRunning | None:
    """The running watcher, or None when the node says none is running."""
    result = read_result(stdout, WatchTakeoverResult)
    if not result.ok:
        return None
    started, polls, last = result.watch_started_epoch_ms, result.polls, result.last_poll_epoch_ms
    if started is None or polls is None or last is None:
        raise ParseError(_WHAT, "watcher status lacks watch_started_epoch_ms, polls or last_poll_epoch_ms")
    return WatcherRunning(started, polls, last, result.clock or "")


def _watcher_status(phase: Phase, node_name: str) -> tuple[WatcherRunning | None, str, bool]:
    """(the running watcher or None, why not, whether asking again may help)."""
    facts = phase.tools.facts
    node = next(n for n in facts.nodes if n.name == node_name)
    try:
        [result] = phase.run([watcher_status_command(facts, node)], limit=30.0)
    except (CommandWaitExpired, NodesOffline) as error:
        return None, f"{node_name} did not answer ({type(error).__name__}: {error})", False
    try:
        running = parse_watcher_status(result.stdout)
    except ParseError:
        return None, last_words(result), False
    if running is None:
        return None, last_words(result), True
    if running.polls < 1:
        return None, "the watcher has not looked yet", True
    return running, "", False


def confirm_watcher(phase: Phase, state: DrillState) -> dict[str, Any]:
    """Before the fault: is the watcher StartWatcher sent running on the standby, and has it looked at least
    once (so it saw the hierarchy before the fault)? Waits up to WATCHER_START_SECONDS for one that has not
    started yet. Its start time goes to the report; a watcher that cannot be confirmed is said so there (the
    drill goes on: the watcher's own result shows later whether it started in time)."""
    watcher = state.result("StartWatcher").watcher
    if watcher is None:
        return {}
    tools, node = phase.tools, watcher.node
    deadline = time.monotonic() + min(WATCHER_START_SECONDS, max(tools.remaining() - 2 * RESERVE_SECONDS, 0.0))
    while True:
        running, why, again = _watcher_status(phase, node)
        if running is not None or not again or time.monotonic() >= deadline:
            break
        tools.sleep(max(tools.poll_seconds, 0.5))
    if running is None:
        phase.event(f"watcher on {node} not confirmed before the fault")
        return {"watcherConfirmed": None, "watcherUnconfirmed": why}
    phase.event(f"watcher running on {node}", running.started_epoch_ms)
    confirmed = {
        "node": node,
        "startedEpochMs": running.started_epoch_ms,
        "polls": running.polls,
        "lastPollEpochMs": running.last_poll_epoch_ms,
        "confirmedEpochMs": tools.clock(),
    }
    return {"watcherConfirmed": confirmed, "clocks": [clock_reading(node, "before the fault", running.clock)]}
