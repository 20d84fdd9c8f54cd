"""A drill report as one self-contained HTML page (no external assets) and as Markdown for tickets.

The page shows the outcome, the RTO against the SLO, a timeline picture (inline SVG) of the phases
with the fault and the takeover marked, every check with its detail, and the nodes and cost.
Input is the drill report document (hadrill.contracts.DrillReport, docs/report.schema.json). The
fault and the takeover are found by the timeline's typed ``kind``, never by the words of an event;
checks are shown under their group (preflight, takeover, recovery, postflight); times are shown in
the reader's time zone with UTC beside them.
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from datetime import tzinfo
from typing import Any

from hadrill.client_probe import client_rto_text
from hadrill.contracts import CHECK_GROUP_TITLES, CHECK_GROUPS, check_group, epoch_ms_of, human_time, iso_utc

SVG_WIDTH = 900
ROW_HEIGHT = 22
LEFT = 270
RIGHT_PAD = 30
OUTCOME_COLOURS = {"PASSED": "#1a7f37", "FAILED": "#cf222e", "ABORTED": "#9a6700"}
# The timeline kinds drawn as lines across the picture, with their colours.
MARKER_COLOURS = {"fault": "#cf222e", "takeover": "#1a7f37"}
# Rewrites each <time> to the browser's own zone (the page may be rendered in a Lambda, in UTC);
# without script the server's rendering stays, with UTC beside it.
LOCAL_TIME_SCRIPT = """<script>
for (const el of document.querySelectorAll("time[data-ms]")) {
  const d = new Date(Number(el.dataset.ms));
  const local = d.toLocaleString(undefined, {dateStyle: "medium", timeStyle: "medium", timeZoneName: "short"});
  el.textContent = local + " (" + d.toISOString().slice(11, 23) + " UTC)";
}
</script>"""


def _e(value: object) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def _seconds(value: object) -> str:
    return f"{value:.2f} s" if isinstance(value, int | float) else "-"


def _timeline(report: Mapping[str, Any]) -> list[tuple[str, int, str]]:
    """(words, epoch ms, kind) of each timeline entry, in time order."""
    points = []
    for entry in report.get("timeline", []) or []:
        if isinstance(entry, Mapping) and isinstance(entry.get("epoch_ms"), int):
            points.append((str(entry.get("phase", "")), int(entry["epoch_ms"]), str(entry.get("kind", "event"))))
    return sorted(points, key=lambda point: point[1])


def _time(epoch_ms: int | None, zone: tzinfo | None) -> str:
    """A <time> element: readable in the given zone (UTC beside it), the exact instant in its attributes."""
    if epoch_ms is None:
        return "-"
    text = human_time(epoch_ms, zone)
    return f'<time data-ms="{epoch_ms}" datetime="{_e(iso_utc(epoch_ms))}">{_e(text)}</time>'


def _ms(value: object) -> int | None:
    """The epoch ms of a report's ISO time (None when absent or unreadable)."""
    if not isinstance(value, str) or not value:
        return None
    try:
        return epoch_ms_of(value)
    except ValueError:
        return None


def timeline_svg(report: Mapping[str, Any], zone: tzinfo | None = None) -> str:
    """Each phase as a labelled tick on one time axis; the fault and the takeover drawn as lines.

    Hovering a point shows its time of day (in ``zone``, UTC beside it)."""
    points = _timeline(report)
    if not points:
        return '<p class="muted">No timeline was recorded.</p>'
    start, end = points[0][1], points[-1][1]
    span = max(end - start, 1)
    plot = SVG_WIDTH - LEFT - RIGHT_PAD
    height = ROW_HEIGHT * (len(points) + 2)

    def x(ms: int) -> float:
        return LEFT + plot * (ms - start) / span

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="drill timeline" '
        f'width="{SVG_WIDTH}" height="{height}" viewBox="0 0 {SVG_WIDTH} {height}">',
        f'<line x1="{LEFT}" y1="{height - ROW_HEIGHT}" x2="{SVG_WIDTH - RIGHT_PAD}" y2="{height - ROW_HEIGHT}" '
        'stroke="#57606a"/>',
        f'<text x="{LEFT}" y="{height - 4}" font-size="11" fill="#57606a">0 s</text>',
        f'<text x="{SVG_WIDTH - RIGHT_PAD}" y="{height - 4}" font-size="11" fill="#57606a" text-anchor="end">'
        f"{span / 1000:.1f} s</text>",
    ]
    for kind, colour in MARKER_COLOURS.items():
        for phase, ms, _ in (point for point in points if point[2] == kind):
            parts.append(
                f'<line class="marker" x1="{x(ms):.1f}" y1="4" x2="{x(ms):.1f}" y2="{height - ROW_HEIGHT}" '
                f'stroke="{colour}" stroke-width="2" stroke-dasharray="4 3">'
                f"<title>{_e(phase)}: {_e(human_time(ms, zone))}</title></line>"
            )
    for row, (phase, ms, _) in enumerate(points, start=1):
        y = row * ROW_HEIGHT
        when = _e(human_time(ms, zone))
        parts.append(f'<text x="{LEFT - 8}" y="{y + 4}" font-size="12" text-anchor="end">{_e(phase)}</text>')
        parts.append(
            f'<circle cx="{x(ms):.1f}" cy="{y}" r="5" fill="#0969da"><title>{_e(phase)}: {when}</title></circle>'
        )
        # Labels near the right edge go to the left of their point so they stay inside the picture.
        near_end = x(ms) > LEFT + plot * 0.85
        label_x, anchor = (x(ms) - 8, "end") if near_end else (x(ms) + 8, "start")
        parts.append(
            f'<text x="{label_x:.1f}" y="{y + 4}" font-size="11" fill="#57606a" text-anchor="{anchor}">'
            f"+{(ms - start) / 1000:.2f} s</text>"
        )
    parts.append("</svg>")
    return "\n".join(parts)


def grouped_checks(report: Mapping[str, Any]) -> list[tuple[str, list[Mapping[str, Any]]]]:
    """The checks under their group's title, groups in drill order (empty groups left out).

    A check without a group (a report from before the field) is placed by its state."""
    groups: dict[str, list[Mapping[str, Any]]] = {group: [] for group in CHECK_GROUPS}
    for check in report.get("checks", []) or []:
        if isinstance(check, Mapping):
            group = str(check.get("group") or check_group(str(check.get("phase", ""))))
            groups.setdefault(group, []).append(check)
    titles: dict[str, str] = {str(group): title for group, title in CHECK_GROUP_TITLES.items()}
    return [(titles.get(group, group), checks) for group, checks in groups.items() if checks]


def _checks_rows(report: Mapping[str, Any]) -> str:
    rows = []
    for title, checks in grouped_checks(report):
        passed_count = sum(1 for check in checks if check.get("passed"))
        rows.append(
            f'<tr class="group"><th colspan="3">{_e(title)} '
            f'<span class="muted">({passed_count}/{len(checks)} passed)</span></th></tr>'
        )
        for check in checks:
            passed = bool(check.get("passed"))
            mark = "&#10003;" if passed else "&#10007;"
            rows.append(
                f'<tr class="{"ok" if passed else "bad"}"><td>{mark}</td><td>{_e(check.get("name"))}</td>'
                f"<td>{_e(check.get('detail'))}</td></tr>"
            )
    return "\n".join(rows) or '<tr><td colspan="3">No checks were recorded.</td></tr>'


def _facts(report: Mapping[str, Any], zone: tzinfo | None) -> list[tuple[str, str]]:
    cost = report.get("cost") or {}
    fault_ms, takeover_ms = report.get("fault_epoch_ms"), report.get("takeover_epoch_ms")
    facts = [
        ("Cluster", _e(report.get("cluster"))),
        ("Scenario", _e(report.get("scenario"))),
        ("Drill id", _e(report.get("drill_id"))),
        ("Started", _time(_ms(report.get("started")), zone)),
        ("Finished", _time(_ms(report.get("finished")), zone)),
        ("Fault", _time(fault_ms if isinstance(fault_ms, int) else None, zone)),
        ("Takeover", _time(takeover_ms if isinstance(takeover_ms, int) else None, zone)),
        ("From node", _e(report.get("from_node"))),
        ("To node", _e(report.get("to_node"))),
        ("Detection", _seconds(report.get("detection_seconds"))),
        ("Restore", _seconds(report.get("restore_seconds"))),
        ("Recovery", _e(_summary(report.get("recovery")))),
        ("Switchback", _e(_summary(report.get("switchback")))),
    ]
    if isinstance(cost, Mapping) and cost:
        facts.append(("Cost", _e(", ".join(f"{k.replace('_', ' ')}: {v}" for k, v in cost.items()))))
    return facts


def _summary(value: object) -> str:
    if isinstance(value, Mapping):
        return str(value.get("message") or value.get("status") or ", ".join(f"{k}={v}" for k, v in value.items()))
    return "-" if value is None else str(value)


def _client_rto(report: Mapping[str, Any]) -> str:
    """The client-visible RTO beside the node RTO (issue 17): fault -> first successful connect."""
    client = report.get("client_rto")
    if not isinstance(client, Mapping):
        return ""
    return f'<p class="muted">Client-visible RTO (what a HULFT partner saw): {_e(client_rto_text(dict(client)))}</p>'


def kind_title(report: Mapping[str, Any]) -> str:
    """What the report is of: a switchback or switchover report says so (``type``); else a drill."""
    kind = report.get("type")
    return str(kind).title() if kind in ("switchback", "switchover") else "Failover drill"


def render_html(report: Mapping[str, Any], *, simulated: bool = False, zone: tzinfo | None = None) -> str:
    """The page; times in ``zone`` (None: this machine's zone), and the browser's own zone when it runs script."""
    outcome = str(report.get("outcome", "UNKNOWN"))
    colour = OUTCOME_COLOURS.get(outcome, "#57606a")
    rto, slo = report.get("rto_seconds"), report.get("max_rto_seconds")
    within = isinstance(rto, int | float) and isinstance(slo, int | float) and rto <= slo
    slo_text = f"SLO {slo} s: {'met' if within else 'missed'}" if isinstance(slo, int | float) else "no SLO given"
    banner = (
        '<p class="sim">Simulated run: moto and the LifeKeeper/HULFT simulator (a test double), '
        "not the real products.</p>"
        if simulated
        else ""
    )
    facts = "\n".join(f"<tr><th>{name}</th><td>{value}</td></tr>" for name, value in _facts(report, zone))
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>{_e(report.get("cluster") or "")}: {_e(kind_title(report))} {_e(report.get("drill_id"))}: {_e(outcome)}</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 2rem; color: #1f2328; }}
.outcome {{ display: inline-block; padding: .2rem .8rem; border-radius: 1rem; color: #fff; background: {colour}; }}
.rto {{ font-size: 2.2rem; margin: .4rem 0; }}
.sim {{ background: #fff8c5; padding: .5rem; border: 1px solid #d4a72c; }}
.muted {{ color: #57606a; }}
table {{ border-collapse: collapse; margin: .6rem 0 1.2rem; }}
th, td {{ text-align: left; padding: .25rem .8rem; border-bottom: 1px solid #d0d7de; vertical-align: top; }}
tr.bad td {{ color: #cf222e; }}
tr.group th {{ padding-top: .8rem; border-bottom: 2px solid #d0d7de; }}
</style></head>
<body>
<h1>{_e(kind_title(report))} of {_e(report.get("cluster") or "?")} <span class="outcome">{_e(outcome)}</span></h1>
<p class="muted">{_e(report.get("scenario") or "")} &middot; {_e(report.get("drill_id") or "")}</p>
{banner}
<p class="rto">RTO {_seconds(rto)} <span class="muted">({_e(slo_text)})</span></p>
{_client_rto(report)}
<p>{_e(report.get("reason") or "")}</p>
<h2>Timeline</h2>
<p class="muted">Red dashed line: the fault on the primary. Green dashed line: the standby took over.</p>
{timeline_svg(report, zone)}
<h2>Checks</h2>
<table><tr><th></th><th>Check</th><th>Detail</th></tr>
{_checks_rows(report)}
</table>
<h2>Nodes and environment</h2>
<table>
{facts}
</table>
{LOCAL_TIME_SCRIPT}
</body></html>
"""


def render_markdown(report: Mapping[str, Any], *, simulated: bool = False, zone: tzinfo | None = None) -> str:
    """The same report for a ticket: outcome, RTO, checks under their group and the timeline as a table."""
    lines = [
        f"# {kind_title(report)} {report.get('drill_id', '')}: {report.get('outcome', 'UNKNOWN')}",
        "",
    ]
    if simulated:
        lines += ["> Simulated run (moto + the LifeKeeper/HULFT simulator, a test double).", ""]
    started, finished = _ms(report.get("started")), _ms(report.get("finished"))
    lines += [
        f"- Cluster: {report.get('cluster', '-')}, scenario: {report.get('scenario', '-')}",
        f"- RTO: {_seconds(report.get('rto_seconds'))} (SLO {report.get('max_rto_seconds', '-')} s)",
        *([f"- Client-visible RTO: {client_rto_text(report['client_rto'])}"] if report.get("client_rto") else []),
        f"- From {report.get('from_node', '-')} to {report.get('to_node', '-')}",
        f"- Started {'-' if started is None else human_time(started, zone)}, "
        f"finished {'-' if finished is None else human_time(finished, zone)}",
    ]
    for title, checks in grouped_checks(report):
        lines += ["", f"### {title}", "", "| check | passed | detail |", "| --- | --- | --- |"]
        for check in checks:
            detail = str(check.get("detail", "")).replace("|", "\\|").replace("\n", " ")
            lines.append(f"| {check.get('name', '')} | {'yes' if check.get('passed') else 'NO'} | {detail} |")
    points = _timeline(report)
    if points:
        start = points[0][1]
        lines += ["", "| phase | at (s) | time |", "| --- | --- | --- |"]
        lines += [f"| {phase} | +{(ms - start) / 1000:.2f} | {human_time(ms, zone)} |" for phase, ms, _ in points]
    return "\n".join(lines) + "\n"
