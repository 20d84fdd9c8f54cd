"""The RTO and its parts, worked out from the stamps alone (pure: no node, no clock, no client).

The RTO runs from the fault's start (FaultStart: stamped on the primary, or by the Lambda for an EC2 API
call; for network-down, the moment the interface went down as the node stamped it, or the prediction
while that stamp is unread) to the takeover the watcher saw complete (stamped on the node that took
over). The watcher's first change after the fault ends detection and starts the restore.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from hadrill.contracts import PhaseResult, RtoStartState, camel_fields
from hadrill.drill.model import FAILOVER_SCENARIOS, MAX_TAKEOVER_TIMEOUT_SECONDS, ImplausibleRto, Scenario
from hadrill.results import TimelineEvent, WatchOutcome
from hadrill.verdicts import Check, rto_seconds


@dataclass(frozen=True)
class FaultStart:
    """Where the RTO starts, and how that moment is known."""

    epoch_ms: int
    source: str  # what stamped it, on which clock
    observed: bool  # False: a prediction (the RTO is an estimate)
    predicted_epoch_ms: int | None = None  # network-down: InjectFault's time + DelaySeconds, shown beside it

    def as_dict(self) -> dict[str, Any]:
        return camel_fields(self)

    @classmethod
    def from_state(cls, kept: RtoStartState) -> FaultStart:
        return cls(kept.epochMs, kept.source, kept.observed, kept.predictedEpochMs)


@dataclass(frozen=True)
class Measurement:
    rto_seconds: float
    detection_seconds: float | None  # None: the watcher saw no change between the fault and the takeover
    restore_seconds: float | None
    upper_bound: bool  # the RTO is at most this (the watcher could not have seen it sooner)
    first_sign_epoch_ms: int | None
    takeover_epoch_ms: int
    start: FaultStart
    end_source: str
    upper_bound_reason: str | None = None
    watch_started_epoch_ms: int | None = None

    @property
    def estimate(self) -> bool:
        return not self.start.observed

    def as_dict(self) -> dict[str, Any]:
        """The phase result's fields (camelCase, as the state keeps them)."""
        return {
            "rtoSeconds": self.rto_seconds,
            "rtoIsUpperBound": self.upper_bound,
            "rtoIsEstimate": self.estimate,
            "detectionSeconds": self.detection_seconds,
            "restoreSeconds": self.restore_seconds,
            "faultEpochMs": self.start.epoch_ms,
            "takeoverEpochMs": self.takeover_epoch_ms,
            "rtoStart": self.start.as_dict(),
            "rtoEnd": {"epochMs": self.takeover_epoch_ms, "source": self.end_source},
            "rtoUpperBoundReason": self.upper_bound_reason,
        }


def end_source(node: str, failover: bool) -> str:
    what = "the whole hierarchy ISP and the HULFT daemons up" if failover else "the HULFT daemons up again"
    return f"{node}'s clock: the watcher's first poll that saw {what}"


def measure(fault: FaultStart, watch: WatchOutcome, scenario: Scenario, node: str) -> Measurement:
    """The RTO of a takeover the watcher on ``node`` saw complete (``watch.takeover_epoch_ms`` set)."""
    if watch.takeover_epoch_ms is None:
        raise ValueError("measure() needs a watch that saw the takeover complete")
    takeover_ms = watch.takeover_epoch_ms
    failover = scenario in FAILOVER_SCENARIOS
    _plausible(fault, takeover_ms, node)
    rto = rto_seconds(fault.epoch_ms, takeover_ms)
    signs = [
        e.epoch_ms
        for e in watch.timeline
        if fault.epoch_ms <= e.epoch_ms < takeover_ms and "watch started" not in e.event
    ]
    first_sign = min(signs) if signs and failover else None
    upper_bound, reason = _bound(fault, watch)
    return Measurement(
        rto_seconds=rto,
        detection_seconds=None if first_sign is None else round((first_sign - fault.epoch_ms) / 1000, 3),
        restore_seconds=None if first_sign is None else round((takeover_ms - first_sign) / 1000, 3),
        upper_bound=upper_bound,
        first_sign_epoch_ms=first_sign,
        takeover_epoch_ms=takeover_ms,
        start=fault,
        end_source=end_source(node, failover),
        upper_bound_reason=reason,
        watch_started_epoch_ms=watch.started_epoch_ms,
    )


# Longer than any watcher watches (it gives up takeoverTimeoutSeconds after the fault, at most this), plus
# a minute: a longer RTO means a stamp or a clock is wrong, not a slow takeover.
MAX_PLAUSIBLE_RTO_SECONDS = MAX_TAKEOVER_TIMEOUT_SECONDS + 60


def _plausible(fault: FaultStart, takeover_ms: int, node: str) -> None:
    seconds = (takeover_ms - fault.epoch_ms) / 1000
    if 0 <= seconds <= MAX_PLAUSIBLE_RTO_SECONDS:
        return
    what = f"{-seconds:.3f} s before" if seconds < 0 else f"{seconds:.3f} s after"
    raise ImplausibleRto(
        f"the takeover seen on {node} ({takeover_ms}) is {what} the fault ({fault.epoch_ms}, {fault.source}): "
        "the two stamps are on different nodes' clocks and these disagree (see the clock offsets in the "
        "report, chronyc tracking on each node) or a stamp is wrong; the RTO cannot be measured"
    )


def _bound(fault: FaultStart, watch: WatchOutcome) -> tuple[bool, str | None]:
    """Whether the RTO is only an upper bound, and why. The end is exact when the watcher saw the state
    before the takeover and then the change; when its first look already found the takeover complete
    (a watcher that started late, or a daemon kill watched from right after the kill), the takeover may
    have completed before that look."""
    if watch.polls > 1:
        return False, None
    late_ms = watch.started_epoch_ms - fault.epoch_ms
    if late_ms > 0:
        return True, (
            f"the watcher started {late_ms / 1000:.3f} s after the fault and its first look already saw the "
            "takeover complete: it may have completed earlier"
        )
    return True, "the watcher's first look already saw the takeover complete: it may have completed earlier"


def watch_from_result(result: PhaseResult) -> WatchOutcome:
    """The watch WaitForTakeover saw, back from its result (RecoverPrimary measures again with it)."""
    if result.takeoverEpochMs is None:
        raise ValueError("WaitForTakeover's result has no takeoverEpochMs")
    timeline = tuple(TimelineEvent(e.epochMs, e.event) for e in result.watcherTimeline or [])
    return WatchOutcome(
        complete=True,
        takeover_epoch_ms=result.takeoverEpochMs,
        started_epoch_ms=result.watchStartedEpochMs or 0,
        polls=result.watchPolls if result.watchPolls is not None else 2,
        timeline=timeline,
        message="",
    )


def slo_check(measured: Measurement, slo_seconds: float) -> Check:
    within = measured.rto_seconds <= slo_seconds
    shown = f"{'<= ' if measured.upper_bound else ''}{measured.rto_seconds:.3f} s"
    if measured.estimate:
        shown += " (estimate: predicted start)"
    detail = f"{shown} (SLO {slo_seconds:g} s)" if within else f"{shown}, over the SLO of {slo_seconds:g} s"
    return Check("RTO within SLO", within, detail)
