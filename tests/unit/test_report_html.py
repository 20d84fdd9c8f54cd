"""The drill report as self-contained HTML (with an SVG timeline) and as Markdown."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from typing import Any

from hadrill.report_html import render_html, render_markdown

REPORT: dict[str, Any] = {
    "drill_id": "drill-20261125-0001",
    "cluster": "hulft-demo",
    "scenario": "network-down",
    "outcome": "PASSED",
    "started": "2026-11-25T10:00:00Z",
    "finished": "2026-11-25T10:03:10Z",
    "rto_seconds": 21.4,
    "detection_seconds": 15.2,
    "restore_seconds": 6.2,
    "max_rto_seconds": 120,
    "from_node": "lk-node-a",
    "to_node": "lk-node-b",
    "checks": [
        {"name": "VIP route on lk-node-b", "passed": True, "detail": "route -> eni-0b"},
        {"name": "marker file on /data", "passed": False, "detail": "missing <after> takeover"},
    ],
    "timeline": [
        {"phase": "watcher started", "at": "2026-11-25T10:00:01Z", "epoch_ms": 1795600801000},
        {"phase": "fault injected (network-down)", "at": "2026-11-25T10:00:02Z", "epoch_ms": 1795600802000},
        {"phase": "takeover complete on lk-node-b", "at": "2026-11-25T10:00:23Z", "epoch_ms": 1795600823400},
        {"phase": "takeover verified", "at": "2026-11-25T10:00:24Z", "epoch_ms": 1795600824000},
    ],
    "recovery": {"status": "recovered", "message": "primary rebooted and back as standby"},
    "switchback": {"status": "done"},
    "cost": {"state_transitions": 31, "lambda_invocations": 14, "ssm_commands": 12},
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
    text = render_markdown(REPORT)
    assert "| marker file on /data | NO | missing <after> takeover |" in text
    assert "| takeover complete on lk-node-b | +22.40 |" in text
    assert text.startswith("# Failover drill drill-20261125-0001: PASSED")


def test_empty_report_still_renders() -> None:
    page = render_html({"outcome": "ABORTED"})
    assert "No timeline was recorded." in page and "No checks were recorded." in page
