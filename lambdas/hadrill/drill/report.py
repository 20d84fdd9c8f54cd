"""The drill's verdict and report: outcome, RTO, checks, timeline, recovery, switchback and cost.

Cost is counted from the execution's own history where the caller could read it (``history``), else
from the state document, labelled an estimate: every Lambda state keeps its result under
``$.phases.<State>`` (or its caught error under ``$.failed.<State>``), and the few Pass/Choice/terminal
states are known from the path. Retries of a state (Lambda service errors) are billed by Step Functions
but invisible there; the local bench checks that count against the history.
"""

from __future__ import annotations

import json
from datetime import tzinfo
from typing import Any

from hadrill import contracts as c
from hadrill.client_probe import client_rto_text
from hadrill.contracts import PhaseResult, RtoEndState, RtoStartState, TimelineKind, epoch_ms_of, human_time, iso_utc
from hadrill.drill import deadman
from hadrill.drill.lock import broken_summary
from hadrill.drill.model import STARTED_BY_KEY, typed_phases
from hadrill.records import WorkflowError
from hadrill.report_html import grouped_checks

# Public prices (us-east-1, checked 2026): Step Functions standard workflows, Lambda on x86.
USD_PER_STATE_TRANSITION = 0.025 / 1000
USD_PER_LAMBDA_GB_SECOND = 0.0000166667
USD_PER_LAMBDA_REQUEST = 0.20 / 1_000_000
# DynamoDB on-demand, one write request unit (the client probe's items are well under 1 KB).
USD_PER_DYNAMODB_WRITE = 0.625 / 1_000_000

# States that run before the fault: a failure there means the drill did nothing to the cluster.
BEFORE_FAULT = ("ValidateInput", "TakeLock", "Preflight", "StartWatcher")
# DeadManNotArmed: no restore could be armed, so no fault was injected (issue 17).
ABORT_ERRORS = ("InvalidDrillInput", "DrillLocked", "PreflightFailed", "StopConditionAlarm", "DeadManNotArmed")
# States after RecordResult on every path: ReleaseLock, DrillOutcome (Choice), DrillPassed/DrillFailed.
TAIL_STATES = 3
# States followed by a Choice that loops through a Wait state back to them while they ask for a wait.
WAITING_STATES = c.WAITING_STATES
# The one formatter of report times (kept under this name for the modules that import it from here).
iso = iso_utc


def failure_of(state: dict[str, Any]) -> tuple[str, WorkflowError] | None:
    failed: dict[str, Any] = state.get("failed") or {}
    for name, caught in failed.items():
        if name != "RecoverAfterFailure":
            return name, WorkflowError.from_catch(caught)
    if failed:
        name = next(iter(failed))
        return name, WorkflowError.from_catch(failed[name])
    return None


# A phase that has not run reads as an empty result.
NOT_RUN = PhaseResult()


def all_checks(phases: dict[str, PhaseResult]) -> list[dict[str, Any]]:
    """Every check of every state, with the state (``phase``) and the report group it is shown under."""
    checks = []
    for name, result in phases.items():
        for check in result.checks:
            checks.append({"phase": name, "group": c.check_group(name), **check.model_dump()})
    return checks


def verdict(state: dict[str, Any]) -> tuple[str, str]:
    """(outcome, reason): ABORTED when the drill stopped before doing harm (bad input, lock, preflight,
    stop condition), FAILED when the fault side or the recovery went wrong or a check failed."""
    phases = typed_phases(state.get("phases"))
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


def counted_from_history(events: list[dict[str, Any]], *, ended: bool) -> tuple[int, int]:
    """(state transitions, Lambda invocations) from the execution's own history (GetExecutionHistory's
    events): every state entered is one transition, every Lambda scheduled one invocation. A history read
    by RecordResult while the execution runs (``ended`` False) lacks the tail every path runs after it."""
    transitions = sum(1 for e in events if str(e.get("type", "")).endswith("StateEntered"))
    invocations = sum(
        1
        for e in events
        if e.get("type") == "LambdaFunctionScheduled"
        or (
            e.get("type") == "TaskScheduled"
            and (e.get("taskScheduledEventDetails") or {}).get("resourceType") == "lambda"
        )
    )
    if not ended:
        transitions += TAIL_STATES  # ReleaseLock, DrillOutcome, DrillPassed/DrillFailed (RecordResult is in)
        invocations += 1  # ReleaseLock
    return transitions, invocations


def _counted_from_state(state: dict[str, Any]) -> tuple[int, int]:
    """(state transitions, Lambda invocations) worked out from the state document and the drill state
    machine's known shape (an estimate: retries, and any state the shape here does not know, are missed)."""
    phases = typed_phases(state.get("phases"))
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
        waits = phases[name].waits or 0  # Wait states entered, each followed by one more run
        if name in failed:  # counted twice above (its result and its failure): it ran waits + 1 times
            runs, choices = waits - 1, waits
        else:
            runs, choices = waits, waits + 1
        transitions += runs + waits + choices
        invocations += runs
    return transitions, invocations


def count_cost(
    state: dict[str, Any], *, record_ms: float, memory_mb: int, history: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    """State transitions, Lambda invocations and GB-seconds, SSM commands, and the price of them. With the
    execution's history (read by RecordResult, before the tail), transitions and invocations are counted
    from it; without, from the state document, and the report says that is an estimate."""
    phases = typed_phases(state.get("phases"))
    if history is not None:
        transitions, invocations = counted_from_history(history, ended=False)
        counted = "counted from this execution's history (GetExecutionHistory) up to RecordResult, plus its tail"
    else:
        transitions, invocations = _counted_from_state(state)
        counted = (
            "estimate: the execution history was not read; counted from the states this execution passed (its "
            "state document, with the Wait states each waiting phase asked for); retries are not included"
        )
    gb_seconds = gb_seconds_of(phases, memory_mb)
    lock_ms = phases.get("TakeLock", NOT_RUN).lambdaMs
    lock_ms = 100.0 if lock_ms is None else lock_ms
    # Failed invocations and the release are not measured from here: count the record's own time so far
    # and estimate the release as long as taking the lock.
    gb_seconds += (record_ms + lock_ms) / 1000 * memory_mb / 1024
    ssm_commands = sum(result.ssmCommands for result in phases.values())
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
        "counted_from": "execution history" if history is not None else "state document (estimate)",
        "method": (
            f"{counted}; prices: Step Functions standard $0.025 per 1,000 transitions, Lambda $0.0000166667 per "
            "GB-s + $0.20 per 1M requests, SSM Run Command free; the client probe (one asynchronous invocation and its "
            "DynamoDB writes at $0.625 per 1M) apart"
        ),
    }


def gb_seconds_of(phases: dict[str, PhaseResult], memory_mb: int) -> float:
    """The phases' Lambda GB-seconds, each at the memory it ran with (``memory_mb`` where it did not say)."""
    return sum((r.lambdaMs or 0.0) / 1000 * (r.memoryMb or memory_mb) / 1024 for r in phases.values())


def fault_and_takeover(phases: dict[str, PhaseResult], measurement: PhaseResult) -> tuple[int | None, int | None]:
    """When the fault hit and when HULFT was back (epoch ms), from the phases' typed stamps.

    An observed start of the ``measurement`` (final_measurement's) wins: a network-down's stamp, read
    back by RecoverPrimary, is the report's fault. Then WaitForTakeover's: for a switchover it is the
    primary's own, taken as the switchover started (InjectFault's is the Lambda's, as it sent the command)."""
    wait, injected = phases.get("WaitForTakeover", NOT_RUN), phases.get("InjectFault", NOT_RUN)
    start = measurement.rtoStart
    if start is not None and start.observed:
        return start.epochMs, wait.takeoverEpochMs
    fault = wait.faultEpochMs if "faultEpochMs" in wait.model_fields_set else injected.faultEpochMs
    return fault, wait.takeoverEpochMs


def _kind(state: str, epoch_ms: int, fault_ms: int | None, takeover_ms: int | None) -> TimelineKind:
    """What a phase's event marks, from the stamps (never from its words)."""
    if state in ("InjectFault", "WaitForTakeover", "RecoverPrimary") and epoch_ms == fault_ms:
        return "fault"
    if state == "WaitForTakeover" and epoch_ms == takeover_ms:
        return "takeover"
    between = fault_ms is not None and takeover_ms is not None and fault_ms < epoch_ms < takeover_ms
    if state == "WaitForTakeover" and between:
        return "first-sign"
    return "event"


def _client_probe_cost(phases: dict[str, PhaseResult]) -> dict[str, Any]:
    """The client probe (issue 17), outside the execution: one asynchronous invocation running from the
    fault to the end of VerifyTakeover, and its writes to the records table (one per change and heartbeat)."""
    probe = phases.get("VerifyTakeover", NOT_RUN).clientRto
    if probe is None or probe.probe_ms is None:
        return {}
    gb_seconds = probe.probe_ms / 1000 * (probe.probe_memory_mb or 128) / 1024
    writes = probe.writes or 0
    usd = gb_seconds * USD_PER_LAMBDA_GB_SECOND + USD_PER_LAMBDA_REQUEST + writes * USD_PER_DYNAMODB_WRITE
    return {"lambda_invocations": 1, "lambda_gb_seconds": round(gb_seconds, 3), "dynamodb_writes": writes, "usd": usd}


def _timeline(
    state: dict[str, Any], started_ms: int, finished_ms: int, outcome: str, stamps: tuple[int | None, int | None]
) -> list[dict[str, Any]]:
    """Every phase's events in order, each marked by what it is; ``stamps``: the fault and the takeover."""
    phases = typed_phases(state.get("phases"))
    fault_ms, takeover_ms = stamps
    entries: list[dict[str, Any]] = [{"phase": "drill started", "epoch_ms": started_ms, "kind": "start", "state": None}]
    for name, result in phases.items():
        for event in result.events:
            epoch_ms = event.epochMs
            entries.append(
                {
                    "phase": event.phase,
                    "epoch_ms": epoch_ms,
                    "kind": _kind(name, epoch_ms, fault_ms, takeover_ms),
                    "state": name,
                }
            )
    failure = failure_of(state)
    if failure is not None:
        entries.append(
            {
                "phase": f"{failure[0]} failed: {failure[1].error}",
                "epoch_ms": finished_ms,
                "kind": "failure",
                "state": failure[0],
            }
        )
    entries.append({"phase": f"drill finished: {outcome}", "epoch_ms": finished_ms, "kind": "finish", "state": None})
    entries.sort(key=lambda e: int(e["epoch_ms"]))
    return [
        {
            "phase": e["phase"],
            "at": iso_utc(int(e["epoch_ms"])),
            "epoch_ms": e["epoch_ms"],
            "kind": e["kind"],
            "state": e["state"],
        }
        for e in entries
    ]


def _recovery(phases: dict[str, PhaseResult], failed: dict[str, Any], dry_run: bool) -> dict[str, Any]:
    if "RecoverPrimary" in phases and "RecoverPrimary" not in failed:  # a failed run leaves its last wait's result
        result = phases["RecoverPrimary"]
        return {
            "recovered": bool(result.recovered),
            "actions": result.actions or [],
            "detail": result.summary,
        }
    if "RecoverPrimary" in failed:
        error = WorkflowError.from_catch(failed["RecoverPrimary"])
        return {"recovered": False, "actions": [], "detail": f"NOT recovered: {error.message}"}
    if "RecoverAfterFailure" in phases:
        result = phases["RecoverAfterFailure"]
        return {
            "recovered": result.recovered,
            "actions": result.actions or [],
            "detail": result.summary,
            "errors": result.errors or [],
        }
    if "RecoverAfterFailure" in failed:
        error = WorkflowError.from_catch(failed["RecoverAfterFailure"])
        return {"recovered": False, "actions": [], "detail": f"recovery crashed: {error.message}"}
    detail = "dry run: nothing to recover" if dry_run else "nothing to recover: no fault was injected"
    return {"recovered": None, "actions": [], "detail": detail}


def _switchback(phases: dict[str, PhaseResult], failed: dict[str, Any], requested: bool) -> dict[str, Any]:
    if "Switchback" in phases and "Switchback" not in failed:  # a failed run leaves its last wait's result
        result = phases["Switchback"]
        return {
            "requested": requested,
            "switched_back": bool(result.switchedBack),
            "seconds": result.seconds,
            "detail": result.summary,
        }
    if "Switchback" in failed:
        error = WorkflowError.from_catch(failed["Switchback"])
        return {"requested": requested, "switched_back": False, "seconds": None, "detail": error.message}
    if phases.get("RecoverAfterFailure", NOT_RUN).switchedBack:
        return {"requested": requested, "switched_back": True, "seconds": None, "detail": "during the recovery"}
    detail = "not requested" if not requested else "not reached"
    return {"requested": requested, "switched_back": False, "seconds": None, "detail": detail}


def final_measurement(phases: dict[str, PhaseResult], failed: dict[str, Any]) -> PhaseResult:
    """The RTO as last measured: RecoverPrimary's (a network-down's, from the node's own stamp) once it
    finished, else WaitForTakeover's."""
    recovered = phases.get("RecoverPrimary", NOT_RUN).measurement
    if recovered is not None and "RecoverPrimary" not in failed:
        return PhaseResult.model_validate(recovered.model_dump())
    return phases.get("WaitForTakeover", NOT_RUN)


def _client_rto(phases: dict[str, PhaseResult], rto: PhaseResult, fault_ms: int | None) -> dict[str, Any] | None:
    """VerifyTakeover's client RTO, measured from the report's fault stamp. A network-down's start is
    observed only once the primary is back (after VerifyTakeover measured from the prediction): the
    client RTO and its gap are then worked out again from the node's stamp, so both RTOs share a start."""
    kept = phases.get("VerifyTakeover", NOT_RUN).clientRto
    if kept is None:
        return None
    client = kept.model_dump(by_alias=True, exclude_unset=True)
    first, seconds = client.get("firstConnectEpochMs"), client.get("seconds")
    if fault_ms is None or first is None or not seconds:
        return client
    rebased = round((int(first) - fault_ms) / 1000, 3)
    if rebased == seconds:
        return client
    node = rto.rtoSeconds
    return {
        **client,
        "seconds": rebased,
        "gapToNodeRtoSeconds": None if node is None else round(rebased - node, 3),
        "nodeRtoSeconds": node,
        "measuredFromPredictedSeconds": seconds,
    }


def _watcher(phases: dict[str, PhaseResult], wait: PhaseResult) -> dict[str, Any] | None:
    """When the watcher started, against the fault, and whether the drill saw it running before the fault."""
    injected = phases.get("InjectFault", NOT_RUN)
    confirmed = injected.watcherConfirmed
    started = wait.watchStartedEpochMs or (confirmed.startedEpochMs if confirmed is not None else None)
    if started is None and "watcherConfirmed" not in injected.model_fields_set:
        return None
    if wait.rtoStart is not None:
        fault: int | None = wait.rtoStart.epochMs
    else:
        fault = wait.faultEpochMs if "faultEpochMs" in wait.model_fields_set else injected.faultEpochMs
    return {
        "started_epoch_ms": started,
        "started_at": None if started is None else iso(started),
        "started_before_fault": None if fault is None or started is None else started <= fault,
        "confirmed_before_fault": confirmed is not None,
        "polls_before_fault": confirmed.polls if confirmed is not None else None,
        "not_confirmed_why": injected.watcherUnconfirmed,
    }


def _rto_end(kept: RtoStartState | RtoEndState | None) -> dict[str, Any] | None:
    if kept is None:
        return None
    end: dict[str, Any] = {"epoch_ms": kept.epochMs, "at": iso(kept.epochMs), "source": kept.source}
    if isinstance(kept, RtoStartState):
        end["observed"] = kept.observed
        predicted = kept.predictedEpochMs
        end["predicted_epoch_ms"] = predicted
        end["predicted_at"] = None if predicted is None else iso(predicted)
    return end


def timeline_and_cost_lines(report: dict[str, Any], zone: tzinfo | None = None) -> list[str]:
    """The Markdown report's last two sections (a drill's and a switch's): the timeline, then the cost."""
    cost = report["cost"]
    usd = cost["estimated_usd"]
    lines = ["", "## Timeline", "", "| at | phase |", "|---|---|"]
    lines += [f"| {human_time(int(e['epoch_ms']), zone)} | {_cell(e['phase'])} |" for e in report["timeline"]]
    return [
        *lines,
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
    history: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    request: dict[str, Any] = state.get("request") or {}
    drill: dict[str, Any] = state.get("drill") or {}
    phases = typed_phases(state.get("phases"))
    failed: dict[str, Any] = state.get("failed") or {}
    outcome, reason = verdict(state)
    wait = phases.get("WaitForTakeover", NOT_RUN)
    rto = final_measurement(phases, failed)
    lock_phase = phases.get("TakeLock", NOT_RUN)
    dry_run = bool(request.get("dryRun", False))
    drill_id = str(drill.get("drillId") or execution.rsplit(":", 1)[-1])
    fault_ms, takeover_ms = fault_and_takeover(phases, rto)
    document = {
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
        "rto_seconds": rto.rtoSeconds,
        "rto_is_upper_bound": bool(rto.rtoIsUpperBound),
        "detection_seconds": rto.detectionSeconds,
        "restore_seconds": rto.restoreSeconds,
        # Where the RTO starts and ends and how each end is known (observed on a node, or predicted: then
        # the RTO is an estimate).
        "rto_is_estimate": bool(rto.rtoIsEstimate) if rto.rtoSeconds is not None else None,
        "rto_start": _rto_end(rto.rtoStart),
        "rto_end": _rto_end(rto.rtoEnd),
        "rto_upper_bound_reason": rto.rtoUpperBoundReason,
        "watcher": _watcher(phases, wait),
        # Each node's clock offset (chronyc tracking) read around the fault: the RTO subtracts two clocks.
        "clocks": [
            reading.model_dump(by_alias=True, exclude_unset=True)
            for result in phases.values()
            for reading in result.clocks or []
        ],
        # What a HULFT partner saw: fault -> first successful connect to the VIP's receive port (issue 17).
        "client_rto": _client_rto(phases, rto, fault_ms),
        "max_rto_seconds": request.get("maxRtoSeconds"),
        "takeover_timeout_seconds": request.get("takeoverTimeoutSeconds"),
        "from_node": primary,
        "to_node": wait.toNode,
        "fault_epoch_ms": fault_ms,
        "takeover_epoch_ms": takeover_ms,
        "checks": all_checks(phases),
        "timeline": _timeline(state, started_ms, finished_ms, outcome, (fault_ms, takeover_ms)),
        "watcher_timeline": [entry.model_dump() for entry in wait.watcherTimeline or []],
        "recovery": _recovery(phases, failed, dry_run),
        "switchback": _switchback(phases, failed, bool(request.get("switchback", True))),
        "lock": {
            "taken": bool(lock_phase.taken),
            "broken_stale_lock": lock_phase.brokenStaleLock,
        },
        "dead_man_switch": deadman.report_entry(phases, request.get("scenario"), dry_run),  # issue 17
        "phases": {name: result.summary for name, result in phases.items()},
        "cost": count_cost(state, record_ms=record_ms, memory_mb=memory_mb, history=history),
    }
    # Checked against the contract as it is made: a report that does not fit docs/report.schema.json
    # fails here, in the Lambda, not in a reader.
    return c.report_document(document)


def _cell(value: object) -> str:
    return str(value).replace("|", "\\|").replace("\n", " ")


def _when(iso_text: object, zone: tzinfo | None) -> str:
    return human_time(epoch_ms_of(iso_text), zone) if isinstance(iso_text, str) and iso_text else "-"


def markdown(report: dict[str, Any], zone: tzinfo | None = None) -> str:
    """The human-readable report (what the operators read in S3 or the CLI writes to ./reports).

    Times in ``zone`` (None: this machine's; a Lambda's is UTC) with UTC beside them; checks under
    their group (preflight, takeover, recovery, postflight)."""
    rto = report["rto_seconds"]
    rto_text = "not measured" if rto is None else f"{'<= ' if report['rto_is_upper_bound'] else ''}{rto:.3f} s"
    if rto is not None and report.get("rto_is_estimate"):
        rto_text += " (estimate: the fault's start is predicted, not observed)"
    lines = [
        f"# Drill {report['drill_id']}: {report['outcome']}",
        "",
        f"- cluster: {report['cluster']}, scenario: {report['scenario']}{' (dry run)' if report['dry_run'] else ''}",
        f"- reason: {report['reason']}",
        f"- started {_when(report['started'], zone)}, finished {_when(report['finished'], zone)} "
        f"({report['duration_seconds']:.1f} s)",
        f"- RTO: {rto_text} (SLO {report['max_rto_seconds']} s), "
        f"from {report['from_node'] or '-'} to {report['to_node'] or '-'}",
    ]
    if report.get("rto_upper_bound_reason"):
        lines.append(f"- the RTO is an upper bound: {report['rto_upper_bound_reason']}")
    watcher = report.get("watcher")
    if watcher:
        confirmed = "confirmed running before the fault" if watcher["confirmed_before_fault"] else "not confirmed"
        when = {True: "before the fault", False: "AFTER the fault", None: ""}[watcher["started_before_fault"]]
        started = f"started {watcher['started_at']} {when}" if watcher["started_at"] else "start unknown"
        why = f": {watcher['not_confirmed_why']}" if watcher.get("not_confirmed_why") else ""
        lines.append(f"- watcher {started} ({confirmed}{why})")
    lines += _clock_lines(report.get("clocks") or [])
    client = report.get("client_rto") or {}
    if client:
        lines.append(f"- client-visible RTO: {client_rto_text(client)}")
    if report["detection_seconds"] is not None:
        lines.append(
            f"- detection {report['detection_seconds']:.3f} s (fault to the first sign of takeover on the standby), "
            f"restore {report['restore_seconds']:.3f} s"
        )
    lines += _rto_ends(report)
    recovery, switchback = report["recovery"], report["switchback"]
    lines += [
        f"- recovery: {recovery['detail']}",
        f"- switchback: {switchback['detail']}",
    ]
    if report["lock"]["broken_stale_lock"]:
        lines.append(f"- {broken_summary(report['lock']['broken_stale_lock'])}")
    if report.get("dead_man_switch"):  # issue 17
        lines.append(deadman.markdown_line(report["dead_man_switch"]))
    lines += ["", "## Checks"]
    for title, checks in grouped_checks(report):
        passed = sum(1 for check in checks if check["passed"])
        lines += [
            "",
            f"### {title} ({passed}/{len(checks)} passed)",
            "",
            "| check | passed | detail |",
            "|---|---|---|",
        ]
        for check in checks:
            mark = "yes" if check["passed"] else "**NO**"
            lines.append(f"| {_cell(check['name'])} | {mark} | {_cell(check['detail'])} |")
    lines += timeline_and_cost_lines(report, zone)
    return "\n".join(lines)


def _rto_ends(report: dict[str, Any]) -> list[str]:
    start, end = report.get("rto_start"), report.get("rto_end")
    lines = []
    if start:
        predicted = start.get("predicted_at")
        beside = f"; predicted {predicted}" if predicted and predicted != start["at"] else ""
        lines.append(f"- RTO start: {start['at']} ({start['source']}{beside})")
    if end:
        lines.append(f"- RTO end: {end['at']} ({end['source']})")
    return lines


def _clock_lines(clocks: list[dict[str, Any]]) -> list[str]:
    shown = []
    for clock in clocks:
        if clock.get("known"):
            sync = "" if clock.get("synchronised") else ", NOT synchronised"
            offset_ms = clock["offsetSeconds"] * 1000
            shown.append(f"{clock['node']} {clock['when']} {offset_ms:+.3f} ms ({clock['reference']}{sync})")
        else:
            shown.append(f"{clock['node']} {clock['when']} unknown")
    return [f"- clock offsets (chronyc tracking): {'; '.join(shown)}"] if shown else []


# What every summary (a drill's, a switch's) carries from its report as it is.
SUMMARY_KEYS = ("drill_id", "cluster", "scenario", "outcome", "reason", "from_node", "to_node")


def summary_of(report: dict[str, Any], report_keys: dict[str, str], **more: Any) -> dict[str, Any]:
    """A summary: the shared keys, ``more``, the failed checks, where the report is, and the cost counts."""
    return {
        **{key: report[key] for key in SUMMARY_KEYS},
        **more,
        "failed_checks": [c["name"] for c in report["checks"] if not c["passed"]],
        "report": report_keys,
        "cost": {k: report["cost"][k] for k in ("state_transitions", "lambda_invocations", "ssm_commands")},
    }


def summary(report: dict[str, Any], report_keys: dict[str, str]) -> dict[str, Any]:
    """What the record, the notification and the "Drill Completed" event carry (the report is in S3)."""
    return summary_of(
        report,
        report_keys,
        dry_run=report["dry_run"],
        rto_seconds=report["rto_seconds"],
        client_rto_seconds=(report.get("client_rto") or {}).get("seconds"),
        max_rto_seconds=report["max_rto_seconds"],
        recovered=report["recovery"]["recovered"],
        switched_back=report["switchback"]["switched_back"],
    )


def report_keys(cluster: str, drill_id: str, prefix: str = c.REPORTS_PREFIX) -> dict[str, str]:
    base = f"{prefix}{cluster}/{drill_id}"
    return {"json": f"{base}.json", "markdown": f"{base}.md", "html": f"{base}.html"}


def dumps(report: dict[str, Any]) -> str:
    return json.dumps(report, indent=2, sort_keys=False, default=str) + "\n"
