"""The RTO and its parts, worked out from the stamps alone (pure: no node, no clock, no client).

The RTO runs from the fault (stamped on the primary, or by the Lambda for an EC2 API call) to the takeover
the watcher saw complete (stamped on the node that took over). The watcher's first change after the fault
ends detection and starts the restore.
"""

from __future__ import annotations

from dataclasses import dataclass

from hadrill.drill.model import FAILOVER_SCENARIOS, Scenario
from hadrill.results import WatchOutcome
from hadrill.verdicts import rto_seconds


@dataclass(frozen=True)
class Measurement:
    rto_seconds: float
    detection_seconds: float | None  # None: the watcher saw no change between the fault and the takeover
    restore_seconds: float | None
    upper_bound: bool  # the RTO is at most this (the watcher could not have seen it sooner)
    first_sign_epoch_ms: int | None
    takeover_epoch_ms: int


def measure(fault_epoch_ms: int, watch: WatchOutcome, scenario: Scenario) -> Measurement:
    """The RTO of a takeover the watcher saw complete (``watch.takeover_epoch_ms`` set)."""
    if watch.takeover_epoch_ms is None:
        raise ValueError("measure() needs a watch that saw the takeover complete")
    takeover_ms = watch.takeover_epoch_ms
    failover = scenario in FAILOVER_SCENARIOS
    rto = rto_seconds(fault_epoch_ms, takeover_ms)
    signs = [
        e.epoch_ms
        for e in watch.timeline
        if fault_epoch_ms <= e.epoch_ms < takeover_ms and "watch started" not in e.event
    ]
    first_sign = min(signs) if signs and failover else None
    # For a daemon kill the watcher starts after the kill: if its first look already found every daemon
    # up, the local recovery was quicker than that look and the RTO is an upper bound.
    upper_bound = not failover and watch.polls <= 1
    return Measurement(
        rto_seconds=rto,
        detection_seconds=None if first_sign is None else round((first_sign - fault_epoch_ms) / 1000, 3),
        restore_seconds=None if first_sign is None else round((takeover_ms - first_sign) / 1000, 3),
        upper_bound=upper_bound,
        first_sign_epoch_ms=first_sign,
        takeover_epoch_ms=takeover_ms,
    )
