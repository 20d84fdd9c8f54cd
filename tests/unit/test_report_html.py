"""The drill report as self-contained HTML (with an SVG timeline) and as Markdown."""

from __future__ import annotations

import re
from datetime import timedelta, timezone
from html.parser import HTMLParser
from typing import Any

from hadrill.contracts import iso_utc
from hadrill.report_html import grouped_checks, render_html, render_markdown

JST = timezone(timedelta(hours=9), "JST")


def _at(epoch_ms: int) -> str:
    return iso_utc(epoch_ms)


def _entry(phase: str, epoch_ms: int, kind: str, state: str | None) -> dict[str, Any]:
    return {"phase": phase, "at": _at(epoch_ms), "epoch_ms": epoch_ms, "kind": kind, "state": state}


REPORT: dict[str, Any] = {
    "drill_id": "drill-20261125-0001",
    "cluster": "hulft-demo",
    "execution": "arn:aws:states:us-east-1:123456789012:execution:hulft-demo-Drill:drill-20261125-0001",
    "started_by": None,
    "scenario": "network-down",
    "dry_run": False,
    "outcome": "PASSED",
    "reason": "every check passed",
    "started": "2026-11-25T10:00:00.000Z",
    "finished": "2026-11-25T10:03:10.000Z",
    "duration_seconds": 190.0,
    "rto_seconds": 21.4,
    "rto_is_upper_bound": False,
    "detection_seconds": 15.2,
    "restore_seconds": 6.2,
    "max_rto_seconds": 120,
    "takeover_timeout_seconds": 300,
    "from_node": "lk-node-a",
    "to_node": "lk-node-b",
    "fault_epoch_ms": 1795600802000,
    "takeover_epoch_ms": 1795600823400,
    "checks": [
        {
            "phase": "Preflight",
            "group": "preflight",
            "name": "lk-node-a: LifeKeeper running",
            "passed": True,
            "detail": "running and initialized",
        },
        {
            "phase": "VerifyTakeover",
            "group": "verify",
            "name": "VIP route on lk-node-b",
            "passed": True,
            "detail": "route -> eni-0b",
        },
        {
            "phase": "VerifyTakeover",
            "group": "verify",
            "name": "marker file on /data",
            "passed": False,
            "detail": "missing <after> takeover",
        },
        {
            "phase": "Postflight",
            "group": "postflight",
            "name": "lk-node-a: LifeKeeper running",
            "passed": True,
            "detail": "running and initialized",
        },
    ],
    # The words are not what marks the fault and the takeover: the kinds are (words kept unusual on purpose).
    "timeline": [
        _entry("watcher started", 1795600801000, "event", "StartWatcher"),
        _entry("eth0 pulled", 1795600802000, "fault", "InjectFault"),
        _entry("hulft back on lk-node-b", 1795600823400, "takeover", "WaitForTakeover"),
        _entry("takeover verified", 1795600824000, "event", "VerifyTakeover"),
    ],
    "watcher_timeline": [],
    "recovery": {"recovered": True, "actions": [], "detail": "primary rebooted and back as standby"},
    "switchback": {"requested": True, "switched_back": True, "seconds": 0.3, "detail": "done"},
    "lock": {"taken": True, "broken_stale_lock": None},
    "phases": {"Preflight": "1/1 checks passed"},
    "cost": {
        "state_transitions": 31,
        "lambda_invocations": 14,
        "lambda_gb_seconds": 1.0,
        "ssm_commands": 12,
        "estimated_usd": {"step_functions": 0.0008, "lambda": 0.00002, "ssm_run_command": 0.0, "total": 0.00082},
        "method": "counted",
    },
}


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.external: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        for name, value in attrs:
            if name in ("src", "href") and value and not value.startswith("#"):
                self.external.append(value)


def test_html_is_self_contained_with_an_svg_timeline() -> None:
    page = render_html(REPORT)
    parser = _Collector()
    parser.feed(page)
    assert parser.external == []  # no external scripts, styles or images
    assert "svg" in parser.tags
    assert parser.tags.count("circle") == 4  # one point per phase
    markers = re.findall(r'<line class="marker"[^>]*stroke="(#[0-9a-f]+)"', page)
    assert markers == ["#cf222e", "#1a7f37"]  # the fault, then the takeover


def test_html_shows_outcome_rto_against_slo_and_escapes_details() -> None:
    page = render_html(REPORT, simulated=True)
    assert "RTO 21.40 s" in page and "SLO 120 s: met" in page
    assert "missing &lt;after&gt; takeover" in page
    assert "a test double" in page
    failed = dict(REPORT, outcome="FAILED", rto_seconds=130.0)
    assert "SLO 120 s: missed" in render_html(failed)


def test_markdown_lists_checks_and_timeline() -> None:
    text = render_markdown(REPORT, zone=JST)
    assert "| marker file on /data | NO | missing <after> takeover |" in text
    assert "| hulft back on lk-node-b | +22.40 | 2026-11-25 19:00:23.400 JST (10:00:23.400 UTC) |" in text
    assert "- Started 2026-11-25 19:00:00.000 JST (10:00:00.000 UTC)," in text
    assert text.startswith("# Failover drill drill-20261125-0001: PASSED")


def test_checks_are_grouped_under_their_phase_in_drill_order() -> None:
    groups = grouped_checks(REPORT)
    assert [(title, [c["name"] for c in checks]) for title, checks in groups] == [
        ("Preflight", ["lk-node-a: LifeKeeper running"]),
        ("Takeover", ["VIP route on lk-node-b", "marker file on /data"]),
        ("Postflight", ["lk-node-a: LifeKeeper running"]),
    ]
    page = render_html(REPORT, zone=JST)
    headings = re.findall(r'<tr class="group"><th colspan="3">([^<]+) <span class="muted">\(([^)]+)\)', page)
    assert headings == [("Preflight", "1/1 passed"), ("Takeover", "1/2 passed"), ("Postflight", "1/1 passed")]
    # A report from before the group field: placed by the state that ran the check.
    old = dict(REPORT, checks=[{k: v for k, v in c.items() if k != "group"} for c in REPORT["checks"]])
    assert [(t, [c["name"] for c in cs]) for t, cs in grouped_checks(old)] == [
        (t, [c["name"] for c in cs]) for t, cs in groups
    ]


def test_times_are_readable_in_the_readers_zone_with_utc_beside() -> None:
    page = render_html(REPORT, zone=JST)
    assert (
        '<time data-ms="1795600802000" datetime="2026-11-25T10:00:02.000Z">'
        "2026-11-25 19:00:02.000 JST (10:00:02.000 UTC)</time>" in page
    )
    assert "<title>hulft back on lk-node-b: 2026-11-25 19:00:23.400 JST (10:00:23.400 UTC)</title>" in page
    assert "1795600802000</" not in page  # the raw epoch is an attribute, never the text shown


def test_markers_follow_the_kind_not_the_words() -> None:
    renamed = dict(REPORT, timeline=[dict(e, phase="fault injected (network-down)") for e in REPORT["timeline"]])
    for entry in renamed["timeline"]:
        entry["kind"] = "event"
    assert '<line class="marker"' not in render_html(renamed)


def test_empty_report_still_renders() -> None:
    page = render_html({"outcome": "ABORTED"})
    assert "No timeline was recorded." in page and "No checks were recorded." in page


def test_a_switch_report_is_titled_as_what_it_is() -> None:
    """`hadrill report ID` of a switchback renders through the same page: it must not say "Failover drill"."""
    switch = {**REPORT, "type": "switchback", "scenario": "switchback", "drill_id": "switch-20261125-0002"}
    page = render_html(switch)
    assert "<h1>Switchback of hulft-demo" in page and "Failover drill" not in page
    assert "<title>hulft-demo: Switchback switch-20261125-0002: PASSED</title>" in page
    assert render_markdown(switch).startswith("# Switchback switch-20261125-0002: PASSED")
    assert "<h1>Failover drill of hulft-demo" in render_html(REPORT)
