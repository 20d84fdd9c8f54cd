"""A fleet drill summary as one self-contained HTML page: the verdict, the counts, every cluster's RTO
against its SLO as a bar (inline SVG), and a table with each cluster's outcome, reason and report.

Input is the fleet summary document (hadrill.fleet.summarize).
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from datetime import tzinfo
from typing import Any

from hadrill.contracts import epoch_ms_of, human_time, iso_utc
from hadrill.report_html import LOCAL_TIME_SCRIPT, OUTCOME_COLOURS

BAR_LEFT = 200  # room for the cluster names
BAR_WIDTH = 600
BAR_ROW = 22
NOT_RUN_COLOUR = "#57606a"
SLO_COLOUR = "#1f2328"


def _e(value: object) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def _number(value: object) -> float | None:
    return float(value) if isinstance(value, int | float) else None


def rto_bars(summary: Mapping[str, Any]) -> str:
    """One bar per cluster (its RTO, coloured by outcome) with a tick at its SLO, on one scale."""
    rows = list(summary.get("drills") or [])
    if not rows:
        return '<p class="muted">No cluster was drilled.</p>'
    values = [v for r in rows for v in (_number(r.get("rto_seconds")), _number(r.get("max_rto_seconds"))) if v]
    scale = max(values, default=1.0) or 1.0
    height = BAR_ROW * (len(rows) + 1)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="RTO per cluster" '
        f'width="{BAR_LEFT + BAR_WIDTH + 90}" height="{height}">'
    ]
    for index, row in enumerate(rows):
        y = index * BAR_ROW + 4
        outcome = str(row.get("outcome", ""))
        colour = OUTCOME_COLOURS.get(outcome, NOT_RUN_COLOUR)
        rto, slo = _number(row.get("rto_seconds")), _number(row.get("max_rto_seconds"))
        parts.append(
            f'<text x="{BAR_LEFT - 8}" y="{y + 13}" font-size="12" text-anchor="end">{_e(row.get("cluster"))}</text>'
        )
        if rto is not None:
            width = max(BAR_WIDTH * rto / scale, 1.0)
            parts.append(
                f'<rect class="rto" x="{BAR_LEFT}" y="{y}" width="{width:.1f}" height="16" fill="{colour}">'
                f"<title>{_e(row.get('cluster'))}: RTO {rto:.3f} s ({_e(outcome)})</title></rect>"
            )
            label = f"{rto:.2f} s"
        else:
            label = f"{outcome}: no RTO"
        parts.append(f'<text x="{BAR_LEFT + 6 + (BAR_WIDTH * (rto or 0) / scale):.1f}" y="{y + 13}" font-size="11">')
        parts.append(f"{_e(label)}</text>")
        if slo is not None:
            x = BAR_LEFT + BAR_WIDTH * slo / scale
            parts.append(
                f'<line class="slo" x1="{x:.1f}" y1="{y - 2}" x2="{x:.1f}" y2="{y + 18}" stroke="{SLO_COLOUR}" '
                f'stroke-width="2"><title>SLO {slo:g} s</title></line>'
            )
    parts.append("</svg>")
    return "".join(parts)


def _report_link(row: Mapping[str, Any]) -> str:
    """A link to the cluster's drill report when it is a file beside this page (a local run), else
    where it is (an S3 URI, to copy)."""
    report = row.get("report") or {}
    where = (report.get("html") or report.get("json")) if isinstance(report, Mapping) else None
    if not where:
        return "-"
    if str(where).startswith("s3://"):
        return f"<code>{_e(where)}</code>"
    return f'<a href="{_e(where)}">{_e(row.get("drill_id") or where)}</a>'


def render_fleet_html(summary: Mapping[str, Any], *, simulated: bool = False, zone: tzinfo | None = None) -> str:
    """The page; its start time in ``zone`` (None: this machine's), and in the browser's zone when it runs script."""
    outcome = str(summary.get("outcome", "UNKNOWN"))
    colour = OUTCOME_COLOURS.get(outcome, NOT_RUN_COLOUR)
    counts = summary.get("counts") or {}
    rto = summary.get("rto_seconds") or {}
    banner = (
        '<p class="sim">Simulated run: moto and the LifeKeeper/HULFT simulator (a test double), '
        "not the real products.</p>"
        if simulated
        else ""
    )
    rows = "\n".join(
        f'<tr class="{"bad" if row.get("outcome") != "PASSED" else ""}"><td>{_e(row.get("cluster"))}</td>'
        f"<td>{_e(row.get('outcome'))}</td><td>{_e(_seconds(row.get('rto_seconds')))}</td>"
        f"<td>{_e(_seconds(row.get('max_rto_seconds')))}</td><td>{_e(row.get('reason'))}</td>"
        f"<td>{_report_link(row)}</td></tr>"
        for row in summary.get("drills") or []
    )
    count_text = ", ".join(f"{_e(k)} {_e(v)}" for k, v in counts.items())
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>{_e(summary.get("fleet"))}: Fleet drill {_e(summary.get("fleet_id"))}: {_e(outcome)}</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 2rem; color: #1f2328; }}
.outcome {{ display: inline-block; padding: .2rem .8rem; border-radius: 1rem; color: #fff; background: {colour}; }}
.sim {{ background: #fff8c5; padding: .5rem; border: 1px solid #d4a72c; }}
.muted {{ color: #57606a; }}
table {{ border-collapse: collapse; margin: .6rem 0 1.2rem; }}
th, td {{ text-align: left; padding: .25rem .8rem; border-bottom: 1px solid #d0d7de; vertical-align: top; }}
tr.bad td {{ color: #cf222e; }}
td:nth-child(-n+4) {{ white-space: nowrap; }}
</style></head>
<body>
<h1>Fleet drill of {_e(summary.get("fleet"))} <span class="outcome">{_e(outcome)}</span></h1>
{banner}
<p>{_e(summary.get("scenario"))}{" (dry run)" if summary.get("dry_run") else ""} on
{len(summary.get("drills") or [])} clusters, at most {_e(summary.get("max_concurrency"))} at once;
started {_started(summary.get("started"), zone)}, took {_e(summary.get("duration_seconds"))} s.</p>
<p>{_e(summary.get("reason"))}</p>
<p>{count_text}. RTO max {_e(_seconds(rto.get("max")))} ({_e(rto.get("slowest_cluster") or "-")}),
median {_e(_seconds(rto.get("median")))}.</p>
<h2>RTO per cluster</h2>
<p class="muted">Bars: each cluster's RTO, coloured by its drill's outcome. Black ticks: its SLO.</p>
{rto_bars(summary)}
<h2>Clusters</h2>
<table><tr><th>Cluster</th><th>Outcome</th><th>RTO</th><th>SLO</th><th>Reason</th><th>Report</th></tr>
{rows}
</table>
<p class="muted">Fleet drill {_e(summary.get("fleet_id"))}, execution {_e(summary.get("execution"))}</p>
{LOCAL_TIME_SCRIPT}
</body></html>
"""


def _started(value: object, zone: tzinfo | None) -> str:
    """The start as people read it (the reader's zone, UTC beside it); the raw text if it is not a time."""
    try:
        epoch_ms = epoch_ms_of(value) if isinstance(value, str) else None
    except ValueError:
        epoch_ms = None
    if epoch_ms is None:
        return _e(value)
    text = _e(human_time(epoch_ms, zone))
    return f'<time data-ms="{epoch_ms}" datetime="{_e(iso_utc(epoch_ms))}">{text}</time>'


def _seconds(value: object) -> str:
    number = _number(value)
    return "-" if number is None else f"{number:.3f} s"
