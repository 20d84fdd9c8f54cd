"""The client probe's timeline and the client-visible RTO decided from it (hadrill.client_probe).

The records are captured from local drills (tests/unit/fixtures/README.md); the fault stamps are the
drills' own."""

from __future__ import annotations

import pytest

from hadrill.client_probe import (
    PROBE_INTERVAL_MS,
    STALE_MS,
    ProbeTimeline,
    client_rto,
    client_rto_text,
    parse_timeline,
    probe_until_ms,
    run_probe,
)
from hadrill.errors import ParseError
from support.fixtures import fixture_text

TARGET = "10.254.0.10:30000"


def load(name: str) -> ProbeTimeline:
    return parse_timeline(fixture_text(name))


def decide(timeline: ProbeTimeline | None, fault_ms: int, until_ms: int, node_rto: float | None = 1.0):  # type: ignore[no-untyped-def]
    return client_rto(
        timeline, fault_ms=fault_ms, until_ms=until_ms, node_rto_seconds=node_rto, target=TARGET, active_node="node-b"
    )


def test_network_down_measures_fault_to_first_connect() -> None:
    """network-down: timed out from the fault, reachable again on the standby 0.982 s after the fault."""
    timeline = load("client_probe_network_down.json")
    fault = 1795872546410
    verdict = decide(timeline, fault, timeline.last_ms, node_rto=1.045)
    assert verdict.check.passed
    assert verdict.seconds == pytest.approx(0.982)
    assert verdict.gap_seconds == pytest.approx(-0.063)
    assert verdict.restored_ms == 1795872547392
    # The probe saw the outage 76 ms before the node stamped the fault (ifdown reports after it acts).
    assert verdict.outage_ms == 1795872546334
    assert [what for what, _ in verdict.events] == [
        f"clients cannot connect to {TARGET}",
        f"first client connect to {TARGET}",
    ]
    assert "0.982 s after the fault (-0.063 s after the node RTO)" in verdict.check.detail


def test_switchover_refused_then_back() -> None:
    timeline = load("client_probe_switchover.json")
    verdict = decide(timeline, 1795872586539, timeline.last_ms, node_rto=0.659)
    assert verdict.check.passed
    assert verdict.seconds == pytest.approx(0.538)


def test_no_outage_is_zero() -> None:
    """hulft-daemon-kill of hulsndd: hulrcvd kept listening, partners saw nothing."""
    timeline = load("client_probe_no_outage.json")
    verdict = decide(timeline, 1795872578562, timeline.last_ms, node_rto=0.708)
    assert verdict.check.passed
    assert verdict.seconds == 0.0
    assert "partners saw no outage" in verdict.check.detail


def test_port_closed_after_takeover_fails_with_the_reason() -> None:
    timeline = load("client_probe_port_closed.json")
    verdict = decide(timeline, 1795872597300, timeline.last_ms)
    assert not verdict.check.passed
    assert verdict.seconds is None
    detail = verdict.check.detail
    assert f"no TCP connect to {TARGET} succeeded" in detail
    assert "partners cannot reach HULFT on node-b" in detail
    assert "last: connection refused" in detail


def test_no_record_fails() -> None:
    verdict = decide(None, 1000, 5000)
    assert not verdict.check.passed
    assert "never reported" in verdict.check.detail


def test_flapping_port_counts_until_it_stays_back() -> None:
    timeline = ProbeTimeline(target=TARGET, started_ms=0)
    for ms, up in [(0, True), (1000, False), (1200, True), (1400, False), (1600, False), (1800, True), (2000, True)]:
        timeline = timeline.with_attempt(ms, up, "connected" if up else "connection refused")
    verdict = decide(timeline, 1000, 2000)
    assert verdict.check.passed
    assert verdict.seconds == 0.8  # the last return, not the first
    assert "went away again 1 time(s)" in verdict.check.detail


def test_probe_that_died_while_port_was_closed() -> None:
    timeline = ProbeTimeline(target=TARGET, started_ms=0).with_attempt(0, True, "connected")
    timeline = timeline.with_attempt(200, False, "timed out")
    verdict = decide(timeline, 100, 200 + STALE_MS + 1)
    assert not verdict.check.passed
    assert "stopped reporting" in verdict.check.detail


def test_unreachable_before_the_fault_points_at_the_probe_path() -> None:
    timeline = ProbeTimeline(target=TARGET, started_ms=0).with_attempt(0, False, "timed out")
    timeline = timeline.with_attempt(5000, True, "connected")
    verdict = decide(timeline, 2000, 5000)
    assert "could not connect even before the fault" in verdict.check.detail


def test_with_attempt_keeps_only_changes() -> None:
    timeline = ProbeTimeline(target=TARGET, started_ms=0)
    for ms in range(0, 1000, PROBE_INTERVAL_MS):
        timeline = timeline.with_attempt(ms, True, "connected")
    assert timeline.attempts == 5 and len(timeline.changes) == 1 and timeline.failures == 0
    assert parse_timeline(timeline.to_json()) == timeline


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("not json", "not JSON"),
        ("[]", "not an object"),
        ('{"target": "", "changes": []}', "target"),
        ('{"target": "x", "changes": {}}', "not a list"),
        (
            '{"target": "x", "changes": [[1, "yes", "c"]], "startedMs": 0, "lastMs": 1, "attempts": 1, "failures": 0}',
            "a change",
        ),
        (
            '{"target": "x", "changes": [[5, true, "c"], [4, false, "t"]], "startedMs": 0, "lastMs": 5, '
            '"attempts": 2, "failures": 1}',
            "out of order",
        ),
        ('{"target": "x", "changes": [], "startedMs": -1, "lastMs": 0, "attempts": 0, "failures": 0}', "startedMs"),
        ('{"target": "x", "changes": [], "startedMs": 0, "lastMs": 0, "attempts": 1, "failures": 2}', "more failures"),
    ],
)
def test_bad_records_are_refused(text: str, reason: str) -> None:
    with pytest.raises(ParseError, match=reason):
        parse_timeline(text)


class FakeTime:
    def __init__(self) -> None:
        self.ms = 10_000

    def clock(self) -> int:
        return self.ms

    def sleep(self, seconds: float) -> None:
        self.ms += int(seconds * 1000)


def test_run_probe_connects_every_interval_and_stops_when_asked() -> None:
    """Port down from 10.6 s to 11.4 s; VerifyTakeover asks to stop at 12 s."""
    time = FakeTime()
    published: list[ProbeTimeline] = []

    def connect(host: str, port: int, timeout: float) -> tuple[bool, str]:
        assert (host, port) == ("10.254.0.10", 30000)
        return (not 10_600 <= time.ms < 11_400), "connected" if not 10_600 <= time.ms < 11_400 else "timed out"

    def publish(timeline: ProbeTimeline) -> bool:
        published.append(timeline)
        return time.ms >= 12_000

    final = run_probe(
        "10.254.0.10",
        30000,
        started_ms=time.ms,
        until_ms=60_000,
        clock=time.clock,
        sleep=time.sleep,
        connect=connect,
        publish=publish,
        heartbeat_ms=1000,
    )
    assert final.stopped and published[-1].stopped
    assert [(c.epoch_ms, c.reachable) for c in final.changes] == [(10_000, True), (10_600, False), (11_400, True)]
    # Writes at each change and one heartbeat (1 s) after the last: the first write after the stop request
    # is the heartbeat at 12.4 s, the 13th attempt (10.0 .. 12.4 s every 200 ms).
    assert final.attempts == 13
    assert final.failures == 4
    assert final.last_ms == 12_400


def test_run_probe_ends_at_its_deadline() -> None:
    time = FakeTime()
    final = run_probe(
        "h",
        1,
        started_ms=time.ms,
        until_ms=11_000,
        clock=time.clock,
        sleep=time.sleep,
        connect=lambda h, p, t: (False, "connection refused"),
        publish=lambda t: False,
    )
    assert final.attempts == 5 and final.stopped and final.failures == 5


def test_probe_deadline_is_capped_by_the_function_limit() -> None:
    assert probe_until_ms(0, 300, 300) == (300 + 300 + 60) * 1000
    assert probe_until_ms(0, 780, 300) == 880 * 1000


def test_report_line() -> None:
    assert client_rto_text({"seconds": 1.5, "gapToNodeRtoSeconds": 0.25, "target": TARGET}) == (
        f"1.500 s (first successful connect to {TARGET}, +0.250 s against the node RTO)"
    )
    assert client_rto_text({"seconds": None, "detail": "no probe"}) == "not measured: no probe"


@pytest.mark.parametrize(
    ("setting", "expected"),
    [(None, 200), ("", 200), ("50", 50), ("5", 20), ("1000", 200), ("fast", 200)],
)
def test_the_probe_interval_setting_is_bounded(setting: str | None, expected: int) -> None:
    """The local world connects every 100 ms (its outages last a few hundred ms); nothing makes the probe
    hammer the port faster than every 20 ms or look less often than the documented 200 ms."""
    from hadrill.client_probe import interval_ms

    assert interval_ms(setting) == expected
