"""The drill's verdict and report: outcome, RTO, checks, timeline, recovery, switchback and cost.

Cost is counted from the state document, not from the execution history: every Lambda state keeps
its result under ``$.phases.<State>`` (or its caught error under ``$.failed.<State>``), and the few
Pass/Choice/terminal states are known from the path, so the count needs no extra IAM
(states:GetExecutionHistory) and no extra call. Retries of a state (Lambda service errors) are
billed by Step Functions but invisible here; the local bench checks the count against the history.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from hadrill.client_probe import client_rto_text
from hadrill.drill.model import STARTED_BY_KEY, unwrap_phases
from hadrill.records import WorkflowError

# Public prices (us-east-1, checked 2026): Step Functions standard workflows, Lambda on x86.
USD_PER_STATE_TRANSITION = 0.025 / 1000
USD_PER_LAMBDA_GB_SECOND = 0.0000166667
USD_PER_LAMBDA_REQUEST = 0.20 / 1_000_000
# DynamoDB on-demand, one write request unit (the client probe's items are well under 1 KB).
USD_PER_DYNAMODB_WRITE = 0.625 / 1_000_000

# States that run before the fault: a failure there means the drill did nothing to the cluster.
BEFORE_FAULT = ("ValidateInput", "TakeLock", "Preflight", "StartWatcher")
ABORT_ERRORS = ("InvalidDrillInput", "DrillLocked", "PreflightFailed", "StopConditionAlarm")
# States after RecordResult on every path: ReleaseLock, DrillOutcome (Choice), DrillPassed/DrillFailed.
TAIL_STATES = 3
# States followed by a Choice that loops through a Wait state back to them while they ask for a wait.
WAITING_STATES = ("WaitForTakeover", "RecoverPrimary", "Switchback")


def iso(epoch_ms: int) -> str:
    return datetime.fromtimestamp(epoch_ms / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def failure_of(state: dict[str, Any]) -> tuple[str, WorkflowError] | None:
    failed: dict[str, Any] = state.get("failed") or {}
    for name, caught in failed.items():
        if name != "RecoverAfterFailure":
            return name, WorkflowError.from_catch(caught)
    if failed:
        name = next(iter(failed))
        return name, WorkflowError.from_catch(failed[name])
    return None


def all_checks(phases: dict[str, Any]) -> list[dict[str, Any]]:
    checks = []
    for name, result in phases.items():
        for check in (result or {}).get("checks", []):
            checks.append({"phase": name, **check})
    return checks


def verdict(state: dict[str, Any]) -> tuple[str, str]:
    """(outcome, reason): ABORTED when the drill stopped before doing harm (bad input, lock, preflight,
    stop condition), FAILED when the fault side or the recovery went wrong or a check failed."""
    phases: dict[str, Any] = unwrap_phases(state.get("phases"))
    failure = failure_of(state)
    if failure is not None:
        name, error = failure
        aborted = name in BEFORE_FAULT or error.error in ABORT_ERRORS
        if error.error == "DrillTimeExceeded" and "InjectFault" not in phases:
            aborted = True
        return ("ABORTED" if aborted else "FAILED"), f"{name}: {error.error}: {error.message}"
    failed = [c for c in all_checks(phases) if not c["passed"]]
    if failed:
        return "FAILED", "; ".join(f"{c['name']}: {c['detail']}" for c in failed)
    if "Postflight" not in phases:
        return "FAILED", "the drill did not reach its postflight"
    return "PASSED", "every check passed"


def count_cost(state: dict[str, Any], *, record_ms: float, memory_mb: int) -> dict[str, Any]:
    """State transitions, Lambda invocations and GB-seconds, SSM commands, and the price of them."""
    phases: dict[str, Any] = unwrap_phases(state.get("phases"))
    failed: dict[str, Any] = state.get("failed") or {}
    lambda_states = len(phases) + len(failed)
    passes = 0
    if "ValidateInput" in failed:
        passes += 1  # InputRejected
    if "RecoverPrimary" in phases and "RecoverPrimary" not in failed:
        passes += 1  # SwitchbackWanted
    # + RecordResult itself, then the tail every path runs.
    transitions = lambda_states + passes + 1 + TAIL_STATES
    invocations = lambda_states + 2  # + RecordResult + ReleaseLock
    for name in WAITING_STATES:
        if name not in phases:
            continue
        waits = int(phases[name].get("waits", 0))  # Wait states entered, each followed by one more run
        if name in failed:  # counted twice above (its result and its failure): it ran waits + 1 times
            runs, choices = waits - 1, waits
        else:
            runs, choices = waits, waits + 1
        transitions += runs + waits + choices
        invocations += runs
    gb_seconds = 0.0
    for result in phases.values():
        gb_seconds += float(result.get("lambdaMs", 0)) / 1000 * int(result.get("memoryMb", memory_mb)) / 1024
    lock_ms = float((phases.get("TakeLock") or {}).get("lambdaMs", 100))
    # Failed invocations and the release are not measured from here: count the record's own time so far
    # and estimate the release as long as taking the lock.
    gb_seconds += (record_ms + lock_ms) / 1000 * memory_mb / 1024
    ssm_commands = sum(int(result.get("ssmCommands", 0)) for result in phases.values())
    probe = _client_probe_cost(phases)
    step_usd = transitions * USD_PER_STATE_TRANSITION
    lambda_usd = gb_seconds * USD_PER_LAMBDA_GB_SECOND + invocations * USD_PER_LAMBDA_REQUEST
    probe_usd = float(probe.get("usd", 0.0))
    return {
        "state_transitions": transitions,
        "lambda_invocations": invocations,
        "lambda_gb_seconds": round(gb_seconds, 3),
        "ssm_commands": ssm_commands,
        **({"client_probe": probe} if probe else {}),
        "estimated_usd": {
            "step_functions": round(step_usd, 6),
            "lambda": round(lambda_usd, 6),
            "ssm_run_command": 0.0,
            **({"client_probe": round(probe_usd, 6)} if probe else {}),
            "total": round(step_usd + lambda_usd + probe_usd, 6),
        },
        "method": (
            "counted from the states this execution passed (its state document, with the Wait states each "
            "waiting phase asked for); retries are not included; "
            "prices: Step Functions standard $0.025 per 1,000 transitions, Lambda $0.0000166667 per GB-s "
            "+ $0.20 per 1M requests, SSM Run Command free; the client probe (one asynchronous invocation and its "
            "DynamoDB writes at $0.625 per 1M) apart"
        ),
    }


def _client_probe_cost(phases: dict[str, Any]) -> dict[str, Any]:
    """The client probe (issue 17), outside the execution: one asynchronous invocation running from the
    fault to the end of VerifyTakeover, and its writes to the records table (one per change and heartbeat)."""
    probe = (phases.get("VerifyTakeover") or {}).get("clientRto") or {}
    if "probeMs" not in probe:
        return {}
    gb_seconds = float(probe["probeMs"]) / 1000 * int(probe.get("probeMemoryMb", 128)) / 1024
    writes = int(probe.get("writes", 0))
    usd = gb_seconds * USD_PER_LAMBDA_GB_SECOND + USD_PER_LAMBDA_REQUEST + writes * USD_PER_DYNAMODB_WRITE
    return {"lambda_invocations": 1, "lambda_gb_seconds": round(gb_seconds, 3), "dynamodb_writes": writes, "usd": usd}


def _timeline(state: dict[str, Any], started_ms: int, finished_ms: int, outcome: str) -> list[dict[str, Any]]:
    entries: list[dict[str, Any]] = [{"phase": "drill started", "epoch_ms": started_ms}]
    for result in unwrap_phases(state.get("phases")).values():
        for event in (result or {}).get("events", []):
            entries.append({"phase": str(event["phase"]), "epoch_ms": int(event["epochMs"])})
    failure = failure_of(state)
    if failure is not None:
        entries.append({"phase": f"{failure[0]} failed: {failure[1].error}", "epoch_ms": finished_ms})
    entries.append({"phase": f"drill finished: {outcome}", "epoch_ms": finished_ms})
    entries.sort(key=lambda e: int(e["epoch_ms"]))
    return [{"phase": e["phase"], "at": iso(int(e["epoch_ms"])), "epoch_ms": e["epoch_ms"]} for e in entries]


def _recovery(phases: dict[str, Any], failed: dict[str, Any], dry_run: bool) -> dict[str, Any]:
    if "RecoverPrimary" in phases and "RecoverPrimary" not in failed:  # a failed run leaves its last wait's result
        result = phases["RecoverPrimary"]
        return {
            "recovered": bool(result.get("recovered")),
            "actions": result.get("actions", []),
            "detail": result.get("summary", ""),
        }
    if "RecoverPrimary" in failed:
        error = WorkflowError.from_catch(failed["RecoverPrimary"])
        return {"recovered": False, "actions": [], "detail": f"NOT recovered: {error.message}"}
    if "RecoverAfterFailure" in phases:
        result = phases["RecoverAfterFailure"]
        return {
            "recovered": result.get("recovered"),
            "actions": result.get("actions", []),
            "detail": result.get("summary", ""),
            "errors": result.get("errors", []),
        }
    if "RecoverAfterFailure" in failed:
        error = WorkflowError.from_catch(failed["RecoverAfterFailure"])
        return {"recovered": False, "actions": [], "detail": f"recovery crashed: {error.message}"}
    detail = "dry run: nothing to recover" if dry_run else "nothing to recover: no fault was injected"
    return {"recovered": None, "actions": [], "detail": detail}


def _switchback(phases: dict[str, Any], failed: dict[str, Any], requested: bool) -> dict[str, Any]:
    if "Switchback" in phases and "Switchback" not in failed:  # a failed run leaves its last wait's result
        result = phases["Switchback"]
        return {
            "requested": requested,
            "switched_back": bool(result.get("switchedBack")),
            "seconds": result.get("seconds"),
            "detail": result.get("summary", ""),
        }
    if "Switchback" in failed:
        error = WorkflowError.from_catch(failed["Switchback"])
        return {"requested": requested, "switched_back": False, "seconds": None, "detail": error.message}
    after = phases.get("RecoverAfterFailure") or {}
    if after.get("switchedBack"):
        return {"requested": requested, "switched_back": True, "seconds": None, "detail": "during the recovery"}
    detail = "not requested" if not requested else "not reached"
    return {"requested": requested, "switched_back": False, "seconds": None, "detail": detail}


def build_report(
    state: dict[str, Any],
    *,
    cluster: str,
    primary: str,
    execution: str,
    started_ms: int,
    finished_ms: int,
    record_ms: float,
    memory_mb: int,
) -> dict[str, Any]:
    request: dict[str, Any] = state.get("request") or {}
    drill: dict[str, Any] = state.get("drill") or {}
    phases: dict[str, Any] = unwrap_phases(state.get("phases"))
    failed: dict[str, Any] = state.get("failed") or {}
    outcome, reason = verdict(state)
    wait = phases.get("WaitForTakeover") or {}
    lock_phase = phases.get("TakeLock") or {}
    dry_run = bool(request.get("dryRun", False))
    drill_id = str(drill.get("drillId") or execution.rsplit(":", 1)[-1])
    return {
        "drill_id": drill_id,
        "cluster": cluster,
        "execution": execution,
        # The fleet drill execution that started this one, if any (its summary checks it).
        "started_by": request.get(STARTED_BY_KEY),
        "scenario": request.get("scenario", (state.get("input") or {}).get("scenario")),
        "dry_run": dry_run,
        "outcome": outcome,
        "reason": reason,
        "started": iso(started_ms),
        "finished": iso(finished_ms),
        "duration_seconds": round((finished_ms - started_ms) / 1000, 3),
        "rto_seconds": wait.get("rtoSeconds"),
        "rto_is_upper_bound": bool(wait.get("rtoIsUpperBound", False)),
        "detection_seconds": wait.get("detectionSeconds"),
        "restore_seconds": wait.get("restoreSeconds"),
        # What a HULFT partner saw: fault -> first successful connect to the VIP's receive port (issue 17).
        "client_rto": (phases.get("VerifyTakeover") or {}).get("clientRto"),
        "max_rto_seconds": request.get("maxRtoSeconds"),
        "takeover_timeout_seconds": request.get("takeoverTimeoutSeconds"),
        "from_node": primary,
        "to_node": wait.get("toNode"),
        "checks": all_checks(phases),
        "timeline": _timeline(state, started_ms, finished_ms, outcome),
        "watcher_timeline": wait.get("watcherTimeline", []),
        "recovery": _recovery(phases, failed, dry_run),
        "switchback": _switchback(phases, failed, bool(request.get("switchback", True))),
        "lock": {
            "taken": bool(lock_phase.get("taken")),
            "broken_stale_lock": lock_phase.get("brokenStaleLock"),
        },
        "phases": {name: (result or {}).get("summary", "") for name, result in phases.items()},
        "cost": count_cost(state, record_ms=record_ms, memory_mb=memory_mb),
    }


def _cell(value: object) -> str:
    return str(value).replace("|", "\\|").replace("\n", " ")


def markdown(report: dict[str, Any]) -> str:
    """The human-readable report (what the operators read in S3 or the CLI writes to ./reports)."""
    rto = report["rto_seconds"]
    rto_text = "not measured" if rto is None else f"{'<= ' if report['rto_is_upper_bound'] else ''}{rto:.3f} s"
    lines = [
        f"# Drill {report['drill_id']}: {report['outcome']}",
        "",
        f"- cluster: {report['cluster']}, scenario: {report['scenario']}{' (dry run)' if report['dry_run'] else ''}",
        f"- reason: {report['reason']}",
        f"- started {report['started']}, finished {report['finished']} ({report['duration_seconds']:.1f} s)",
        f"- RTO: {rto_text} (SLO {report['max_rto_seconds']} s), "
        f"from {report['from_node'] or '-'} to {report['to_node'] or '-'}",
    ]
    client = report.get("client_rto") or {}
    if client:
        lines.append(f"- client-visible RTO: {client_rto_text(client)}")
    if report["detection_seconds"] is not None:
        lines.append(
            f"- detection {report['detection_seconds']:.3f} s (fault to the first sign of takeover on the standby), "
            f"restore {report['restore_seconds']:.3f} s"
        )
    recovery, switchback, cost = report["recovery"], report["switchback"], report["cost"]
    lines += [
        f"- recovery: {recovery['detail']}",
        f"- switchback: {switchback['detail']}",
    ]
    if report["lock"]["broken_stale_lock"]:
        stale = report["lock"]["broken_stale_lock"]
        lines.append(f"- broke the expired lock of {stale['drillId']} (taken {stale['acquired']})")
    lines += ["", "## Checks", "", "| phase | check | passed | detail |", "|---|---|---|---|"]
    for check in report["checks"]:
        mark = "yes" if check["passed"] else "**NO**"
        lines.append(f"| {check['phase']} | {_cell(check['name'])} | {mark} | {_cell(check['detail'])} |")
    lines += ["", "## Timeline", "", "| at (UTC) | phase |", "|---|---|"]
    lines += [f"| {e['at']} | {_cell(e['phase'])} |" for e in report["timeline"]]
    usd = cost["estimated_usd"]
    lines += [
        "",
        "## Cost",
        "",
        f"{cost['state_transitions']} state transitions, {cost['lambda_invocations']} Lambda invocations "
        f"({cost['lambda_gb_seconds']} GB-s), {cost['ssm_commands']} SSM commands: about ${usd['total']:.6f} "
        f"(Step Functions ${usd['step_functions']:.6f}, Lambda ${usd['lambda']:.6f}, SSM Run Command free).",
        "",
        f"_{cost['method']}._",
        "",
    ]
    return "\n".join(lines)


def summary(report: dict[str, Any], report_keys: dict[str, str]) -> dict[str, Any]:
    """What the record, the notification and the "Drill Completed" event carry (the report is in S3)."""
    return {
        "drill_id": report["drill_id"],
        "cluster": report["cluster"],
        "scenario": report["scenario"],
        "dry_run": report["dry_run"],
        "outcome": report["outcome"],
        "reason": report["reason"],
        "rto_seconds": report["rto_seconds"],
        "client_rto_seconds": (report.get("client_rto") or {}).get("seconds"),
        "max_rto_seconds": report["max_rto_seconds"],
        "from_node": report["from_node"],
        "to_node": report["to_node"],
        "recovered": report["recovery"]["recovered"],
        "switched_back": report["switchback"]["switched_back"],
        "failed_checks": [c["name"] for c in report["checks"] if not c["passed"]],
        "report": report_keys,
        "cost": {k: report["cost"][k] for k in ("state_transitions", "lambda_invocations", "ssm_commands")},
    }


def report_keys(cluster: str, drill_id: str, prefix: str = "reports/") -> dict[str, str]:
    base = f"{prefix}{cluster}/{drill_id}"
    return {"json": f"{base}.json", "markdown": f"{base}.md", "html": f"{base}.html"}


def dumps(report: dict[str, Any]) -> str:
    return json.dumps(report, indent=2, sort_keys=False, default=str) + "\n"
