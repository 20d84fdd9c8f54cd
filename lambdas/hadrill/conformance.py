"""The conformance probe's result: what HADrill-ConformanceProbe printed, as typed rows, and the verdict.

The script (documents/scripts/conformance-probe.sh) checks each vendor assumption it can without
changing anything and prints one row per assumption: ok, MISMATCH (what it saw, and the override or fix
that settles it) or unchecked (not checkable in this state). This module reads its result line, holds
the lcdstatus row to the reference parser (hadrill.lcdstatus), and says whether setup may go on: any
MISMATCH stops it before the first change, with one line per mismatch naming the fix.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Literal

from hadrill.contracts import ConformanceProbeResult, ConformanceRow
from hadrill.errors import ParseError, shown
from hadrill.lcdstatus import parse_lcdstatus
from hadrill.results import read_result

ProbeStatus = Literal["ok", "MISMATCH", "unchecked"]
ResourceTool = Literal["lkcli", "kit-scripts"]
STATUSES: tuple[ProbeStatus, ...] = ("ok", "MISMATCH", "unchecked")
RESOURCE_TOOLS: tuple[ResourceTool, ...] = ("lkcli", "kit-scripts")
_WHAT = "conformance probe result"
LCDSTATUS_RAW = "lcdstatus -q"
LCDSTATUS_FIX = "none to set: attach the saved raw output to a bug report (hadrill.lcdstatus must learn this format)"


@dataclass(frozen=True)
class ProbeCheck:
    id: str
    status: ProbeStatus
    assumption: str
    saw: str
    fix: str = ""

    def as_dict(self) -> dict[str, str]:
        return {"id": self.id, "status": self.status, "assumption": self.assumption, "saw": self.saw, "fix": self.fix}


@dataclass(frozen=True)
class ProbeReport:
    """One node's probe: its rows, the resource tool it selects, and the raw outputs it read."""

    node: str
    resource_tool: ResourceTool  # what this node's lkcli supports (kit-scripts when it lacks an option)
    resource_tool_set: ResourceTool  # what the node's vendor overrides say now (HADRILL_RESOURCE_TOOL)
    checks: tuple[ProbeCheck, ...]
    raw: tuple[tuple[str, str], ...]  # (command line, its output), in the order the probe ran them

    @property
    def mismatches(self) -> tuple[ProbeCheck, ...]:
        return tuple(c for c in self.checks if c.status == "MISMATCH")

    @property
    def ok(self) -> bool:
        return not self.mismatches


def _tool(value: str, key: str) -> ResourceTool:
    for tool in RESOURCE_TOOLS:
        if value == tool:
            return tool
    raise ParseError(_WHAT, f"field {key!r} is {shown(value)}, not one of {', '.join(RESOURCE_TOOLS)}")


def _check(row: ConformanceRow) -> ProbeCheck:
    matched = next((s for s in STATUSES if s == row.status), None)
    if matched is None:
        raise ParseError(_WHAT, f"check {shown(row.id)} has status {shown(row.status)}")
    return ProbeCheck(id=row.id, status=matched, assumption=row.assumption, saw=row.saw, fix=row.fix)


def parse_probe_result(stdout: str) -> ProbeReport:
    """The probe's result line as typed rows; the lcdstatus row is held to hadrill.lcdstatus's parser."""
    result = read_result(stdout, ConformanceProbeResult)
    if not result.checks:
        raise ParseError(_WHAT, "field 'checks' missing or empty")
    checks = [_check(row) for row in result.checks]
    lcdstatus_text = result.raw.get(LCDSTATUS_RAW)
    for index, check in enumerate(checks):
        if check.id == "lcdstatus" and check.status == "ok" and lcdstatus_text is not None:
            try:
                parse_lcdstatus(lcdstatus_text)
            except ParseError as error:
                checks[index] = ProbeCheck(check.id, "MISMATCH", check.assumption, str(error), LCDSTATUS_FIX)
    return ProbeReport(
        node=result.node,
        resource_tool=_tool(result.resource_tool, "resource_tool"),
        resource_tool_set=_tool(result.resource_tool_set, "resource_tool_set"),
        checks=tuple(checks),
        raw=tuple(result.raw.items()),
    )


def stop_lines(reports: list[ProbeReport]) -> list[str]:
    """One line per mismatch: node, what was assumed, what was seen, and the fix (the override to set)."""
    return [_stop_line(report.node, check.as_dict()) for report in reports for check in report.mismatches]


def _stop_line(node: str, check: dict[str, str]) -> str:
    return f"{node}: {check['assumption']}: saw {check['saw']} -> {check['fix']}"


def stop_message(reports: list[ProbeReport]) -> str:
    lines = stop_lines(reports)
    if not lines:
        return ""
    return "conformance probe: setup stopped before any change: " + "; ".join(lines)


def raw_key(prefix: str, cluster: str, execution: str, node: str) -> str:
    """Where one node's raw probe outputs go in the reports bucket (the Lambda may write only there)."""
    return f"{prefix}{cluster}/{execution}/{node}.json"


def raw_document(report: ProbeReport, *, cluster: str, execution: str) -> str:
    """The object saved for a bug report: the rows and every raw output the probe read."""
    return (
        json.dumps(
            {
                "cluster": cluster,
                "execution": execution,
                "node": report.node,
                "resource_tool": report.resource_tool,
                "checks": [c.as_dict() for c in report.checks],
                "raw": dict(report.raw),
            },
            indent=2,
            ensure_ascii=False,
        )
        + "\n"
    )


def step_output(reports: list[ProbeReport], raw_keys: list[str]) -> dict[str, Any]:
    """The ConformanceProbe state's output: the table, the verdict, and where the raw outputs are."""
    counts = {status: sum(1 for r in reports for c in r.checks if c.status == status) for status in STATUSES}
    shown = ", ".join(f"{counts[status]} {status}" for status in STATUSES if counts[status])
    return {
        "probe": "conformance",
        "summary": f"{len(reports)} nodes: {shown}; resource tool {_tools(reports)}",
        "ok": all(r.ok for r in reports),
        "stop": stop_message(reports),
        "resourceTool": {r.node: r.resource_tool for r in reports},
        "table": [{"node": r.node, "checks": [c.as_dict() for c in r.checks]} for r in reports],
        "rawKeys": raw_keys,
    }


def stop_lines_of(output: dict[str, Any]) -> list[str]:
    """stop_lines() from a ConformanceProbe state's output (what the CLI has)."""
    return [
        _stop_line(node["node"], check)
        for node in output.get("table", [])
        for check in node.get("checks", [])
        if check.get("status") == "MISMATCH"
    ]


def _tools(reports: list[ProbeReport]) -> str:
    tools = sorted({r.resource_tool for r in reports})
    return tools[0] if len(tools) == 1 else ", ".join(f"{r.node} {r.resource_tool}" for r in reports)


def table_lines(output: dict[str, Any]) -> list[str]:
    """The probe's table for a terminal: node, status, assumption and what was seen, one row a line."""
    lines: list[str] = []
    for node in output.get("table", []):
        for check in node.get("checks", []):
            saw = f" ({check['saw']})" if check.get("saw") else ""
            lines.append(f"  {node['node']:<14} {check['status']:<9} {check['assumption']}{saw}")
    return lines
