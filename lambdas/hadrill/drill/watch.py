"""What the watcher saw, and whether and when that was a complete takeover (decided here, not in bash).

HADrill-WatchTakeover reports ``seen``: one entry per change of any resource of the hierarchy or of the
HULFT daemons ({epoch_ms, resources: {tag: state}, daemons: [...]}). The takeover was complete at the
first entry that passes hadrill.verdicts.takeover_verdict, the same definition VerifyTakeover applies to
a node's status. The watcher stops polling by the same rule; its own verdict is not read.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from hadrill.errors import ParseError
from hadrill.results import WatchOutcome, parse_result_line, parse_watch_result
from hadrill.verdicts import Verdict, takeover_verdict

_WHAT = "watcher result"


@dataclass(frozen=True)
class Seen:
    """One change the watcher saw: every resource of the hierarchy and the daemons running, at epoch_ms."""

    epoch_ms: int
    resources: tuple[tuple[str, str], ...]  # (tag, state), the root first
    daemons: frozenset[str]

    def verdict(self, root_tag: str) -> Verdict:
        return takeover_verdict(dict(self.resources), self.daemons, root_tag)


def _seen(item: Any) -> Seen:
    if not isinstance(item, dict):
        raise ParseError(_WHAT, f"a 'seen' entry is not an object: {item!r}")
    epoch, resources, daemons = item.get("epoch_ms"), item.get("resources"), item.get("daemons")
    if not isinstance(epoch, int) or isinstance(epoch, bool):
        raise ParseError(_WHAT, "a 'seen' entry lacks epoch_ms")
    if not isinstance(resources, dict) or not all(isinstance(v, str) for v in resources.values()):
        raise ParseError(_WHAT, "a 'seen' entry's resources is not {tag: state}")
    if not isinstance(daemons, list) or not all(isinstance(d, str) for d in daemons):
        raise ParseError(_WHAT, "a 'seen' entry's daemons is not a list of names")
    return Seen(epoch, tuple((str(k), v) for k, v in resources.items()), frozenset(daemons))


def parse_seen(stdout: str) -> tuple[Seen, ...]:
    """The watcher's ``seen`` entries, oldest first."""
    raw = parse_result_line(stdout).get("seen")
    if not isinstance(raw, list):
        raise ParseError(_WHAT, "field 'seen' missing or not a list")
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
