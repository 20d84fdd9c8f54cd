"""The fleet summary page: self-contained, every cluster with its RTO bar and SLO tick, links that work."""

from __future__ import annotations

import re
from typing import Any

from hadrill.fleet_html import render_fleet_html, rto_bars


def _row(cluster: str, outcome: str, rto: float | None, report: dict[str, str] | None = None) -> dict[str, Any]:
    return {
        "cluster": cluster,
        "drill_id": f"fleet-1-{cluster}",
        "outcome": outcome,
        "rto_seconds": rto,
        "max_rto_seconds": 120 if outcome != "NOT_RUN" else None,
        "reason": "every check passed" if outcome == "PASSED" else "the standby did not take over <eth0>",
        "report": report or {},
    }


SUMMARY = {
    "fleet_id": "fleet-1",
    "fleet": "hulft-fleet",
    "outcome": "FAILED",
    "reason": "1 of 3 drills did not pass",
    "counts": {"PASSED": 1, "FAILED": 1, "ABORTED": 0, "NOT_RUN": 1},
    "rto_seconds": {"max": 0.7, "median": 0.7, "mean": 0.7, "slowest_cluster": "c1"},
    "max_concurrency": 2,
    "drills": [
        _row("c1", "PASSED", 0.7, {"html": "s3://b/reports/c1/fleet-1-c1.html"}),
        _row("c2", "FAILED", None, {"html": "../fleet-1-c2.html"}),
        _row("c3", "NOT_RUN", None),
    ],
}


def test_the_page_is_self_contained_and_escapes_what_it_shows() -> None:
    page = render_fleet_html(SUMMARY, simulated=True)
    assert page.startswith("<!DOCTYPE html>") and '<span class="outcome">FAILED</span>' in page
    assert not re.search(r'(src|href)="https?:', page)
    assert "&lt;eth0&gt;" in page and "<eth0>" not in page
    assert "a test double" in page


def test_every_cluster_has_a_row_and_a_bar_only_when_it_has_an_rto() -> None:
    page = render_fleet_html(SUMMARY)
    for cluster in ("c1", "c2", "c3"):
        assert f"<td>{cluster}</td>" in page
    bars = rto_bars(SUMMARY)
    assert bars.count('<rect class="rto"') == 1 and "c1: RTO 0.700 s (PASSED)" in bars
    assert bars.count('<line class="slo"') == 2  # c3 was never run: no SLO to draw
    assert "FAILED: no RTO" in bars and "NOT_RUN: no RTO" in bars


def test_reports_beside_the_page_are_links_and_s3_reports_are_addresses() -> None:
    page = render_fleet_html(SUMMARY)
    assert '<a href="../fleet-1-c2.html">fleet-1-c2</a>' in page
    assert "<code>s3://b/reports/c1/fleet-1-c1.html</code>" in page


def test_the_start_is_readable_in_the_readers_zone_with_utc_beside() -> None:
    from datetime import timedelta, timezone

    page = render_fleet_html(
        dict(SUMMARY, started="2026-11-25T10:00:00.000Z"), zone=timezone(timedelta(hours=9), "JST")
    )
    assert (
        '<time data-ms="1795600800000" datetime="2026-11-25T10:00:00.000Z">'
        "2026-11-25 19:00:00.000 JST (10:00:00.000 UTC)</time>" in page
    )
    assert "started not a time," in render_fleet_html(dict(SUMMARY, started="not a time"))
