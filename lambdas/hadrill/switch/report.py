"""The switch's verdict and report, in the drill report's shape where they overlap (``drill_id``,
``scenario``, ``outcome``, ``reason``, ``started``, ``checks``, ``timeline``, ``cost``), so
`hadrill history` lists a switch beside the drills and `hadrill report ID` shows it. ``scenario`` is the
switch's type (switchback or switchover); ``type`` says so again for readers that group by it.

Outcomes: SUCCEEDED (moved, postflight passed), NOOP (the hierarchy was already on the target: nothing
was sent), ABORTED (refused before anything moved: bad input, the lock, the preflight), FAILED (the
switchover or the postflight went wrong; ``Inspect`` says where the hierarchy is now).
"""

from __future__ import annotations

import json
from typing import Any

from hadrill.drill import report as drill_report
from hadrill.drill.model import typed_phases
from hadrill.drill.report import NOT_RUN
from hadrill.records import WorkflowError

BEFORE_MOVE = ("ValidateInput", "TakeLock", "Preflight")
# States after RecordResult on every path: ReleaseLock, SwitchOutcome (Choice), the terminal state.
TAIL_STATES = 3
WAITING_STATES = ("Switch", "Postflight")


def failure_of(state: dict[str, Any]) -> tuple[str, WorkflowError] | None:
    failed: dict[str, Any] = state.get("failed") or {}
    for name, caught in failed.items():
        if name != "Inspect":
            return name, WorkflowError.from_catch(caught)
    return None


def verdict(state: dict[str, Any]) -> tuple[str, str]:
    phases = typed_phases(state.get("phases"))
    failure = failure_of(state)
    if failure is not None:
        name, error = failure
        outcome = "ABORTED" if name in BEFORE_MOVE else "FAILED"
        reason = f"{name}: {error.error}: {error.message}"
        where = phases.get("Inspect", NOT_RUN).summary
        return outcome, f"{reason}; {where}" if where and outcome == "FAILED" else reason
    preflight = phases.get("Preflight", NOT_RUN)
    if preflight.noop:
        failed = [c for c in preflight.checks if not c.passed]
        reason = f"the hierarchy is already on {preflight.toNode}: nothing was moved"
        if failed:
            reason += "; but: " + "; ".join(f"{c.name}: {c.detail}" for c in failed)
        return "NOOP", reason
    failing = [c for c in drill_report.all_checks(phases) if not c["passed"]]
    if failing:
        return "FAILED", "; ".join(f"{c['name']}: {c['detail']}" for c in failing)
    if "Postflight" not in phases:
        return "FAILED", "the switch did not reach its postflight"
    return "SUCCEEDED", f"the hierarchy is on {phases.get('Switch', NOT_RUN).toNode}; every check passed"


def count_cost(state: dict[str, Any], *, record_ms: float, memory_mb: int) -> dict[str, Any]:
    """State transitions, invocations, GB-seconds and SSM commands from the state document (as the drill counts)."""
    phases = typed_phases(state.get("phases"))
    failed: dict[str, Any] = state.get("failed") or {}
    lambda_states = len(phases) + len(failed)
    passes = 1 if "ValidateInput" in failed else 0  # InputRejected
    choices = 1 if "Preflight" in phases and "Preflight" not in failed else 0  # AlreadyThere
    transitions = lambda_states + passes + choices + 1 + TAIL_STATES
    invocations = lambda_states + 2  # + RecordResult + ReleaseLock
    for name in WAITING_STATES:
        if name not in phases:
            continue
        waits = phases[name].waits or 0
        runs, pending = (waits - 1, waits) if name in failed else (waits, waits + 1)
        transitions += runs + waits + pending
        invocations += runs
    gb_seconds = drill_report.gb_seconds_of(phases, memory_mb)
    gb_seconds += record_ms / 1000 * memory_mb / 1024
    step_usd = transitions * drill_report.USD_PER_STATE_TRANSITION
    lambda_usd = gb_seconds * drill_report.USD_PER_LAMBDA_GB_SECOND + invocations * drill_report.USD_PER_LAMBDA_REQUEST
    return {
        "state_transitions": transitions,
        "lambda_invocations": invocations,
        "lambda_gb_seconds": round(gb_seconds, 3),
        "ssm_commands": sum(r.ssmCommands for r in phases.values()),
        "estimated_usd": {
            "step_functions": round(step_usd, 6),
            "lambda": round(lambda_usd, 6),
            "ssm_run_command": 0.0,
            "total": round(step_usd + lambda_usd, 6),
        },
        "method": "counted from the states this execution passed, as a drill's cost is; retries are not included",
    }


def _timeline(
    state: dict[str, Any], started_ms: int, finished_ms: int, kind: str, outcome: str
) -> list[dict[str, Any]]:
    entries: list[dict[str, Any]] = [{"phase": f"{kind} started", "epoch_ms": started_ms}]
    for result in typed_phases(state.get("phases")).values():
        for event in result.events:
            entries.append({"phase": event.phase, "epoch_ms": event.epochMs})
    failure = failure_of(state)
    if failure is not None:
        entries.append({"phase": f"{failure[0]} failed: {failure[1].error}", "epoch_ms": finished_ms})
    entries.append({"phase": f"{kind} finished: {outcome}", "epoch_ms": finished_ms})
    entries.sort(key=lambda e: int(e["epoch_ms"]))
    return [
        {"phase": e["phase"], "at": drill_report.iso(int(e["epoch_ms"])), "epoch_ms": e["epoch_ms"]} for e in entries
    ]


def build_report(
    state: dict[str, Any],
    *,
    cluster: str,
    execution: str,
    started_ms: int,
    finished_ms: int,
    record_ms: float,
    memory_mb: int,
) -> dict[str, Any]:
    switch: dict[str, Any] = state.get("switch") or {}
    request: dict[str, Any] = state.get("request") or {}
    phases = typed_phases(state.get("phases"))
    outcome, reason = verdict(state)
    moved = phases.get("Switch", NOT_RUN)
    preflight = phases.get("Preflight", NOT_RUN)
    kind = str(switch.get("kind") or ("switchover" if request.get("toNode") else "switchback"))
    lock_phase = phases.get("TakeLock", NOT_RUN)
    return {
        "drill_id": str(switch.get("switchId") or execution.rsplit(":", 1)[-1]),
        "type": kind,
        "scenario": kind,
        "cluster": cluster,
        "execution": execution,
        "outcome": outcome,
        "reason": reason,
        "started": drill_report.iso(started_ms),
        "finished": drill_report.iso(finished_ms),
        "duration_seconds": round((finished_ms - started_ms) / 1000, 3),
        "rto_seconds": None,  # a planned move measures no RTO; its time is switch_seconds
        "switch_seconds": moved.seconds,
        "from_node": preflight.fromNode,
        "to_node": switch.get("toNode") or request.get("toNode"),
        "noop": bool(preflight.noop),
        "checks": drill_report.all_checks(phases),
        "timeline": _timeline(state, started_ms, finished_ms, kind, outcome),
        "after_failure": phases["Inspect"].summary if "Inspect" in phases else None,
        "lock": {"taken": bool(lock_phase.taken), "broken_stale_lock": lock_phase.brokenStaleLock},
        "phases": {name: result.summary for name, result in phases.items()},
        "cost": count_cost(state, record_ms=record_ms, memory_mb=memory_mb),
    }


def _cell(value: object) -> str:
    return str(value).replace("|", "\\|").replace("\n", " ")


def markdown(report: dict[str, Any]) -> str:
    seconds = report.get("switch_seconds")
    moved = f" in {seconds:.1f} s" if isinstance(seconds, int | float) else ""
    lines = [
        f"# {report['type'].title()} {report['drill_id']}: {report['outcome']}",
        "",
        f"- cluster: {report['cluster']}, type: {report['type']}",
        f"- reason: {report['reason']}",
        f"- started {report['started']}, finished {report['finished']} ({report['duration_seconds']:.1f} s)",
        f"- hierarchy: from {report['from_node'] or '-'} to {report['to_node'] or '-'}{moved}",
    ]
    if report.get("after_failure"):
        lines.append(f"- after the failure: {report['after_failure']}")
    stale = (report.get("lock") or {}).get("broken_stale_lock")
    if stale:
        lines.append(f"- broke the expired lock of {stale['drillId']} (taken {stale['acquired']})")
    lines += ["", "## Checks", "", "| phase | check | passed | detail |", "|---|---|---|---|"]
    for check in report["checks"]:
        mark = "yes" if check["passed"] else "**NO**"
        lines.append(f"| {check['phase']} | {_cell(check['name'])} | {mark} | {_cell(check['detail'])} |")
    lines += drill_report.timeline_and_cost_lines(report)
    return "\n".join(lines)


def summary(report: dict[str, Any], report_keys: dict[str, str]) -> dict[str, Any]:
    """What the record, the notification and the "Switch Completed" event carry (the report is in S3)."""
    return drill_report.summary_of(report, report_keys, type=report["type"], rto_seconds=None, noop=report["noop"])


def dumps(report: dict[str, Any]) -> str:
    return json.dumps(report, indent=2, default=str) + "\n"
