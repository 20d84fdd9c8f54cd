"""WaitForTakeover: wait (in Wait states) for the watcher's answer, reading the stop conditions at each
look, then measure the RTO from the fault stamp (primary or Lambda) and the watcher's takeover stamp."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from hadrill.contracts import CommandSent, InjectFaultResult, WatchTakeoverResult
from hadrill.drill.checks import cancel_watchers, fault_missed, stop_if_alarm
from hadrill.drill.clock import clock_reading
from hadrill.drill.commands import (
    INJECT_FAULT,
    NETWORK_DOWN_DELAY_SECONDS,
    WATCH_TAKEOVER,
    fault_command,
    last_words,
    watcher_command,
)
from hadrill.drill.fault_start import injected_start, predicted_start
from hadrill.drill.measure import measure, slo_check
from hadrill.drill.model import DrillInput, FaultNotInjected, NoTakeover, StopConditionAlarm
from hadrill.drill.runtime import CHECK_GRACE_SECONDS, DrillState, Phase, Tools, next_look
from hadrill.drill.watch import watch_outcome
from hadrill.errors import ParseError
from hadrill.facts import NodeFacts
from hadrill.node_commands import CommandResult, NodeCommand
from hadrill.results import parse_fault_result, read_result

# The watcher reports "no takeover" itself; wait this much longer for its answer before calling
# the standby unreachable.
WATCHER_GRACE_SECONDS = 5
# How often stop-condition alarms are read while the takeover is awaited (only drills that name alarms
# look this often: each look is a Wait, a run and a Choice, three transitions).
ALARM_CHECK_SECONDS = 10.0


def watcher_of(state: DrillState) -> CommandSent:
    watcher = state.result("InjectFault").watcher or state.result("StartWatcher").watcher
    if watcher is None:
        raise NoTakeover("no watcher was started")
    return watcher


def _expected_takeover(tools: Tools, request: DrillInput) -> float:
    return tools.expected.takeover if request.expects_failover else tools.expected.local_recovery


def _alarm_interval(tools: Tools) -> float:
    """Seconds between stop-condition looks: ALARM_CHECK_SECONDS, or every 20 polls when polling is fast
    (local runs, where a takeover takes a second or two)."""
    return max(1.0, min(ALARM_CHECK_SECONDS, 20 * tools.poll_seconds))


@dataclass(frozen=True)
class Awaited:
    """What WaitForTakeover waits for: the watcher on ``node`` and, for a switchover, the fault command."""

    node: NodeFacts
    fault_epoch_ms: int
    deadline_epoch_ms: int
    sent: dict[str, NodeCommand]
    with_fault_command: bool

    @classmethod
    def of(cls, state: DrillState, tools: Tools) -> Awaited:
        facts, request = tools.facts, state.request
        watcher = watcher_of(state)
        node = next(n for n in facts.nodes if n.name == watcher.node)
        injected = state.result("InjectFault")
        if injected.faultEpochMs is None:
            raise NoTakeover("InjectFault did not stamp the fault")
        fault_ms = injected.faultEpochMs
        sent = {watcher.commandId: watcher_command(facts, node, watcher.timeoutSeconds)}
        fault_run = injected.faultCommand
        if fault_run is not None:
            sent[fault_run.commandId] = fault_command(
                facts, facts.primary, request.scenario, facts.secondary, fault_run.timeoutSeconds
            )
        # The watcher gives up by itself takeoverTimeoutSeconds after the fault; past that plus a grace for
        # its answer to reach SSM, silence means the standby itself is gone.
        deadline_ms = fault_ms + (request.takeover_timeout_seconds + WATCHER_GRACE_SECONDS) * 1000
        return cls(node, fault_ms, deadline_ms, sent, bool(fault_run))


def wait_for_takeover(state: DrillState, tools: Tools) -> dict[str, Any]:
    """Wait (in Wait states) for the watcher's answer, reading the stop conditions at each look; work out
    the RTO from the fault stamp (primary or Lambda) and the watcher's takeover stamp (standby)."""
    pending = state.pending("WaitForTakeover")
    phase = Phase(tools, "WaitForTakeover", pending)
    request = state.request
    if request.dry_run:
        return phase.result("dry run: no fault, no takeover to wait for", skipped=True, toNode=tools.facts.primary.name)
    awaited = Awaited.of(state, tools)
    if pending is None:
        first = awaited.fault_epoch_ms / 1000 + _expected_takeover(tools, request) - tools.clock() / 1000
        if request.stop_condition_alarms:
            first = min(first, _alarm_interval(tools))
        return phase.wait(f"waiting for the takeover on {awaited.node.name}", first)
    # With stop conditions to read, the grace is no longer than the time between two looks.
    grace = min(CHECK_GRACE_SECONDS, _alarm_interval(tools)) if request.stop_condition_alarms else CHECK_GRACE_SECONDS
    results = phase.collect(awaited.sent, min(grace, max(awaited.deadline_epoch_ms - tools.clock(), 0) / 1000))
    if results is None:
        return _look_again(state, phase, awaited)
    fault_ms, watched = _fault_and_watch(state, phase, awaited, results)
    return _takeover_seen(phase, request, awaited.node, fault_ms, watched)


def _look_again(state: DrillState, phase: Phase, awaited: Awaited) -> dict[str, Any]:
    """The watcher has not answered yet: stop on an alarm or past the deadline, else wait again."""
    tools, request = phase.tools, state.request
    try:
        stop_if_alarm(phase, request, "while waiting for the takeover")
    except StopConditionAlarm:
        cancel_watchers(state, tools)
        raise
    now = tools.clock()
    if now >= awaited.deadline_epoch_ms:
        cancel_watchers(state, tools)
        raise NoTakeover(
            f"no answer from the watcher on {awaited.node.name} within {request.takeover_timeout_seconds} s of the "
            "fault (is the standby reachable?)"
        )
    again = next_look(awaited.fault_epoch_ms, now, awaited.deadline_epoch_ms)
    if request.stop_condition_alarms:
        again = min(again, _alarm_interval(tools))
    return phase.wait(f"still waiting for the takeover on {awaited.node.name}", again)


def _fault_and_watch(
    state: DrillState, phase: Phase, awaited: Awaited, results: list[CommandResult]
) -> tuple[int, CommandResult]:
    """The fault stamp and the watcher's result; a switchover's stamp comes from its own command."""
    if not awaited.with_fault_command:
        [watched] = results
        return awaited.fault_epoch_ms, watched
    request, primary = state.request, phase.tools.facts.primary
    [watched, fault_result] = results
    if not fault_result.succeeded:
        cancel_watchers(state, phase.tools)
        raise FaultNotInjected(f"{INJECT_FAULT} {request.scenario} on {primary.name}: {last_words(fault_result)}")
    fault_ms = parse_fault_result(fault_result.stdout).fault_epoch_ms
    phase.event(f"fault injected ({request.scenario})", fault_ms)
    said = read_result(fault_result.stdout, InjectFaultResult).clock
    phase.clocks.append(clock_reading(primary.name, "at the fault (switchover done)", said))
    return fault_ms, watched


def _takeover_seen(
    phase: Phase, request: DrillInput, node: NodeFacts, fault_ms: int, result: CommandResult
) -> dict[str, Any]:
    try:
        outcome = watch_outcome(result.stdout, phase.tools.facts.hulft_tag)
    except ParseError as error:
        raise NoTakeover(f"{WATCH_TAKEOVER} on {node.name} ended {result.status}: {error}") from None
    if not outcome.complete or outcome.takeover_epoch_ms is None:
        missed = fault_missed(phase) if request.expects_failover else None
        if missed:
            raise FaultNotInjected(f"{missed}; {node.name} rightly did not take over ({outcome.message})")
        raise NoTakeover(f"{node.name}: {outcome.message}")
    primary = phase.tools.facts.primary.name
    if request.scenario == "network-down":
        start = predicted_start(fault_ms, primary, NETWORK_DOWN_DELAY_SECONDS)
    else:
        start = injected_start(request.scenario, fault_ms, primary)
    measured = measure(start, outcome, request.scenario, node.name)
    said = read_result(result.stdout, WatchTakeoverResult).clock
    phase.clocks.append(clock_reading(node.name, "after the takeover", said))
    if measured.first_sign_epoch_ms is not None:
        phase.event(f"first sign of takeover on {node.name}", measured.first_sign_epoch_ms)
    what = "takeover complete" if request.expects_failover else "local recovery complete"
    phase.event(f"{what} on {node.name}", measured.takeover_epoch_ms)
    summary = f"{what} on {node.name}: RTO {measured.rto_seconds:.3f} s"
    if measured.estimate:
        # The SLO is judged once the node's own stamp is read back (RecoverPrimary), not on a prediction.
        summary += " from the predicted start (the node's stamp is read after the recovery)"
    else:
        phase.check(slo_check(measured, request.max_rto_seconds))
    return phase.result(
        summary,
        **measured.as_dict(),
        toNode=node.name,
        watcherTimeline=[{"epochMs": e.epoch_ms, "event": e.event} for e in outcome.timeline],
        watchStartedEpochMs=outcome.started_epoch_ms,
        watchPolls=outcome.polls,
        clocks=phase.clocks,
    )
