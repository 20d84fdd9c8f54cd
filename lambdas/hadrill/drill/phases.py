"""The drill's phases, one function each, in the order the state machine runs them.

lock -> preflight -> start watcher -> inject fault -> wait for takeover -> verify takeover ->
recover primary -> switchback -> postflight; and, when any of the fault-side phases fails,
recover after failure (best effort, never raises). Each returns a JSON-able dict that the state
machine keeps under ``$.phases.<State>``: ``summary`` (one line), ``checks`` ({name, passed,
detail}), ``events`` (timeline entries {phase, epochMs}) and ``ssmCommands`` (how many commands it
sent), plus what later phases need (the watcher's CommandId, the fault time stamp, the RTO).

The parts live beside this module: the commands sent to the nodes (commands), what a phase works with
(runtime: Tools, DrillState, Phase, the Wait-state protocol), what the phases look at (checks), the RTO
from the stamps (measure), the wait for the takeover (takeover), the switchback (switchback) and the
recovery (recovery). Every public name the handlers, the local runner and the tests used from here is
still importable from here.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from hadrill.contracts import DataMarkerResult, InjectFaultResult
from hadrill.drill import deadman, lock, probe_hooks, runtime  # deadman, probe_hooks: issue 17
from hadrill.drill.checks import (
    PRIMARY_PROBE_SECONDS,
    ROUTE_SETTLE_SECONDS,
    alarms_in_alarm,
    cancel_watchers,
    check_deadline,
    fault_missed,
    health,
    marker_check,
    node_statuses,
    remove_marker,
    route_check,
    route_target,
    stop_if_alarm,
    where_is_hierarchy,
)
from hadrill.drill.clock import clock_reading
from hadrill.drill.commands import (
    DATA_MARKER,
    HEALTH_CHECK,
    INJECT_FAULT,
    MARKER_TIMEOUT,
    NETWORK_DOWN_DELAY_SECONDS,
    NODE_STATUS,
    STATUS_TIMEOUT,
    SWITCHOVER_TIMEOUT,
    WATCH_POLL_MILLIS,
    WATCH_TAKEOVER,
    fault_command,
    health_command,
    health_commands,
    last_words,
    marker_command,
    status_command,
    watcher_command,
)
from hadrill.drill.measure import Measurement, measure
from hadrill.drill.model import (
    EC2_SCENARIOS,
    DrillContext,
    FaultNotInjected,
    PreflightFailed,
    StopConditionAlarm,
    VerificationFailed,
)
from hadrill.drill.recovery import FAULT_SIDE_STATES, bring_back, recover_after_failure, recover_primary
from hadrill.drill.runtime import (
    CHECK_GRACE_SECONDS,
    RECHECK_SHARE,
    RESERVE_SECONDS,
    DrillState,
    Expected,
    Phase,
    Tools,
    next_look,
    now_ms,
)
from hadrill.drill.switchback import switchback, switchback_now, with_to_node
from hadrill.drill.takeover import (
    ALARM_CHECK_SECONDS,
    WATCHER_GRACE_SECONDS,
    wait_for_takeover,
    watcher_of,
)
from hadrill.drill.watch import confirm_watcher
from hadrill.node_commands import offline_nodes
from hadrill.results import parse_fault_result, read_result
from hadrill.verdicts import Check, daemons_as_expected, node_verdict, takeover_complete

__all__ = [
    "ALARM_CHECK_SECONDS",
    "CHECK_GRACE_SECONDS",
    "DATA_MARKER",
    "FAULT_SIDE_STATES",
    "HEALTH_CHECK",
    "INJECT_FAULT",
    "MARKER_TIMEOUT",
    "NETWORK_DOWN_DELAY_SECONDS",
    "NODE_STATUS",
    "PHASES",
    "POSTFLIGHT_WAIT_SECONDS",
    "PRIMARY_PROBE_SECONDS",
    "RECHECK_SHARE",
    "RESERVE_SECONDS",
    "ROUTE_SETTLE_SECONDS",
    "STATUS_TIMEOUT",
    "SWITCHOVER_TIMEOUT",
    "WAITING_STATES",
    "WATCHER_GRACE_SECONDS",
    "WATCH_POLL_MILLIS",
    "WATCH_TAKEOVER",
    "DrillState",
    "Expected",
    "Measurement",
    "Phase",
    "Tools",
    "alarms_in_alarm",
    "bring_back",
    "cancel_watchers",
    "check_deadline",
    "fault_command",
    "fault_missed",
    "health",
    "health_command",
    "health_commands",
    "inject_fault",
    "last_words",
    "marker_check",
    "marker_command",
    "measure",
    "next_look",
    "node_statuses",
    "now_ms",
    "postflight",
    "preflight",
    "recover_after_failure",
    "recover_primary",
    "release_lock",
    "remove_marker",
    "route_check",
    "route_target",
    "start_watcher",
    "status_command",
    "stop_if_alarm",
    "switchback",
    "switchback_now",
    "take_lock",
    "verify_takeover",
    "wait_for_takeover",
    "watcher_command",
    "watcher_of",
    "where_is_hierarchy",
    "with_to_node",
]

# After a switchback the mirror needs a moment to report in sync again.
POSTFLIGHT_WAIT_SECONDS = 120
# The phases that may wait in a Wait state, by the state that runs them.
WAITING_STATES = {
    "wait-for-takeover": "WaitForTakeover",
    "recover-primary": "RecoverPrimary",
    "switchback": "Switchback",
}


def take_lock(state: DrillState, tools: Tools) -> dict[str, Any]:
    phase = Phase(tools, "TakeLock")
    taken = runtime.take_lock(
        tools, owner=state.drill.execution, drill_id=state.drill.drill_id, expires_ms=state.drill.lock_expires_epoch_ms
    )
    phase.event("lock taken")
    summary = f"lock on {tools.facts.cluster_name} taken until {lock.iso(state.drill.lock_expires_epoch_ms)}"
    if taken.broken:
        summary += f"; {lock.broken_summary(taken.broken)}"  # issue 17
    return phase.result(summary, **taken.as_dict())


def preflight(state: DrillState, tools: Tools) -> dict[str, Any]:
    """Hierarchy ISP on the primary, daemons only there, comm paths ALIVE, mirror in sync, VIP route
    on the primary, no stop-condition alarm in ALARM. Raises PreflightFailed with every failure."""
    phase = Phase(tools, "Preflight")
    facts = tools.facts
    check_deadline(phase, state.drill)
    firing, missing = alarms_in_alarm(tools.cloudwatch, state.request.stop_condition_alarms)
    if state.request.stop_condition_alarms:
        detail = ", ".join(state.request.stop_condition_alarms)
        if firing:
            detail = f"in ALARM: {', '.join(firing)}"
        elif missing:
            detail = f"not found: {', '.join(missing)}"
        phase.check(Check("no stop-condition alarm in ALARM", not firing and not missing, detail))
    statuses = node_statuses(phase, [facts.primary, facts.secondary])
    for node, role in ((facts.primary, "active"), (facts.secondary, "standby")):
        for check in node_verdict(statuses[node.name], role, facts.hulft_tag).checks:
            phase.check(check, prefix=f"{node.name}: ")
    route_check(phase, facts.primary)
    failures = phase.failures()
    if failures:
        if firing:
            raise StopConditionAlarm(f"stop-condition alarm in ALARM before the fault: {', '.join(firing)}")
        raise PreflightFailed("; ".join(f"{c.name}: {c.detail}" for c in failures))
    phase.event("preflight passed")
    return phase.result(f"{len(phase.checks)}/{len(phase.checks)} checks passed")


def start_watcher(state: DrillState, tools: Tools) -> dict[str, Any]:
    """Write the no-data-loss marker on the primary, then start the standby's watcher and leave it
    running (its CommandId is kept in the state; WaitForTakeover waits for it)."""
    phase = Phase(tools, "StartWatcher")
    facts, request = tools.facts, state.request
    check_deadline(phase, state.drill)
    [written] = phase.run([marker_command(facts, facts.primary, "write", state.drill.drill_id)])
    if not written.succeeded:
        raise PreflightFailed(f"{DATA_MARKER} write on {facts.primary.name}: {last_words(written)}")
    phase.event("marker written", read_result(written.stdout, DataMarkerResult).written_epoch_ms or tools.clock())
    if request.dry_run:
        return phase.result(f"dry run: marker written; would start {WATCH_TAKEOVER} on {facts.secondary.name}")
    if not request.expects_failover:
        return phase.result(
            f"marker written on {facts.primary.name}; the watcher starts on {facts.primary.name} after the kill"
        )
    # The watcher gives up takeoverTimeoutSeconds after the fault (network-down starts a little later).
    delay = NETWORK_DOWN_DELAY_SECONDS if request.scenario == "network-down" else 0
    timeout = request.takeover_timeout_seconds + delay + 1
    command = watcher_command(facts, facts.secondary, timeout)
    command_id = phase.send(command)
    phase.event("watcher started")
    watcher = {"commandId": command_id, "node": facts.secondary.name, "timeoutSeconds": timeout}
    return phase.result(f"marker written; watcher {command_id} running on {facts.secondary.name}", watcher=watcher)


def inject_fault(state: DrillState, tools: Tools) -> dict[str, Any]:
    phase = Phase(tools, "InjectFault")
    facts, request = tools.facts, state.request
    check_deadline(phase, state.drill)
    stop_if_alarm(phase, request, "before the fault")
    primary, secondary = facts.primary, facts.secondary
    if request.dry_run:
        return phase.result(f"dry run: would inject {request.scenario} on {primary.name}", skipped=True)
    # client-visible RTO (issue 17): the probe starts before the fault and runs until VerifyTakeover.
    probe = probe_hooks.start(
        tools, drill_id=state.drill.drill_id, takeover_timeout_seconds=request.takeover_timeout_seconds
    )
    # The standby's watcher must be watching before the fault, or the RTO's end could be late.
    extra: dict[str, Any] = confirm_watcher(phase, state)
    extra["clientProbe"] = probe
    # dead-man switch (issue 17): armed before the fault; no switch, no fault
    switch, switch_parameters = deadman.arm(phase, state)
    extra["deadManSwitch"] = switch
    if request.scenario in EC2_SCENARIOS:
        # The fault is the API call: stamp it here, just before the call (Lambda clocks are synced too).
        fault_ms = tools.clock()
        if request.scenario == "instance-stop":
            tools.ec2.stop_instances(InstanceIds=[primary.instance_id])
        else:
            tools.ec2.reboot_instances(InstanceIds=[primary.instance_id])
        summary = f"{request.scenario}: EC2 API call for {primary.name} ({primary.instance_id})"
    elif request.scenario == "switchover":
        # The switchover runs as long as the takeover: WaitForTakeover collects it with the watcher and
        # takes the fault stamp from it (stamped on the primary as the switchover starts).
        fault_ms = tools.clock()
        command_id = phase.send(fault_command(facts, primary, "switchover", secondary, SWITCHOVER_TIMEOUT))
        phase.event(f"switchover to {secondary.name} requested", fault_ms)
        running = {"commandId": command_id, "node": primary.name, "timeoutSeconds": SWITCHOVER_TIMEOUT}
        summary = f"switchover of {facts.hulft_tag} to {secondary.name} started ({command_id})"
        return phase.result(summary, faultEpochMs=fault_ms, fault=request.scenario, faultCommand=running, **extra)
    else:
        command = fault_command(facts, primary, request.scenario, None, STATUS_TIMEOUT, switch_parameters)
        [result] = phase.run([command])
        if not result.succeeded:
            raise FaultNotInjected(f"{INJECT_FAULT} {request.scenario} on {primary.name}: {last_words(result)}")
        injected = parse_fault_result(result.stdout)
        fault_ms, summary = injected.fault_epoch_ms, injected.message
        said = read_result(result.stdout, InjectFaultResult)
        extra["clocks"] = [*extra.get("clocks", []), clock_reading(primary.name, "at the fault", said.clock)]
        if request.scenario == "network-down":
            # The job's stamp carries this time: RecoverPrimary reads it back and knows it is this fault's.
            extra["requestedEpochMs"] = said.requested_epoch_ms
        if request.scenario == "hulft-daemon-kill":
            # Local recovery happens on the primary: watch it there, from right after the kill.
            timeout_s = request.takeover_timeout_seconds + 1
            command_id = phase.send(watcher_command(facts, primary, timeout_s))
            extra["watcher"] = {"commandId": command_id, "node": primary.name, "timeoutSeconds": timeout_s}
    phase.event(f"fault injected ({request.scenario})", fault_ms)
    return phase.result(summary, faultEpochMs=fault_ms, fault=request.scenario, **extra)


def verify_takeover(state: DrillState, tools: Tools) -> dict[str, Any]:
    """VIP route at the new active node, hierarchy ISP and daemons up there only, marker there."""
    phase = Phase(tools, "VerifyTakeover")
    facts = tools.facts
    check_deadline(phase, state.drill)
    active_name = state.result("WaitForTakeover").toNode or facts.primary.name
    active = next(n for n in facts.nodes if n.name == active_name)
    other = facts.secondary if active is facts.primary else facts.primary
    route_check(phase, active, settle_seconds=ROUTE_SETTLE_SECONDS)
    reachable = [n for n in (active, other) if n.instance_id not in offline_nodes(tools.ssm, [n.instance_id])]
    statuses = node_statuses(phase, reachable, VerificationFailed) if reachable else {}
    if active.name in statuses:
        status = statuses[active.name]
        if status.lcdstatus is None:
            phase.check(Check(f"{active.name}: LifeKeeper running", False, "LifeKeeper is not running"))
        else:
            for check in takeover_complete(status.lcdstatus, status.hulft_processes, facts.hulft_tag).checks:
                phase.check(check, prefix=f"{active.name}: ")
        phase.check(
            Check(
                f"{active.name}: {facts.data_mount} mounted",
                status.data_mounted,
                "mounted" if status.data_mounted else "not mounted",
            )
        )
        marker_check(phase, active, state.drill.drill_id)
    else:
        phase.check(Check(f"{active.name} reachable", False, "not online in SSM"))
    if other.name in statuses:
        phase.check(daemons_as_expected(statuses[other.name].hulft_processes, "standby"), prefix=f"{other.name}: ")
    else:
        phase.check(
            Check(f"{other.name}: no HULFT daemons", True, "unreachable (the fault): nothing there serves clients")
        )
    # client-visible RTO (issue 17): stop the probe, decide, add its check and the first successful connect.
    wait, injected = state.result("WaitForTakeover"), state.result("InjectFault")
    client_rto = probe_hooks.collect(
        tools,
        started=injected.clientProbe,
        drill_id=state.drill.drill_id,
        fault_ms=wait.faultEpochMs or injected.faultEpochMs or 0,
        node_rto_seconds=wait.rtoSeconds,
        active=active,
        check=phase.check,
        event=phase.event,
    )
    failures = phase.failures()
    phase.event("takeover verified" if not failures else "takeover verification failed")
    summary = f"{len(phase.checks) - len(failures)}/{len(phase.checks)} checks passed"
    return phase.result(summary, clientRto=client_rto)


def postflight(state: DrillState, tools: Tools) -> dict[str, Any]:
    """Both nodes healthy in the roles they should now have, route at the active one, marker removed."""
    phase = Phase(tools, "Postflight")
    facts = tools.facts
    home = state.request.dry_run or bool(state.result("Switchback").switchedBack)
    active = facts.primary if home else state.to_node_facts(facts)
    health(phase, active, POSTFLIGHT_WAIT_SECONDS)
    route_check(phase, active, settle_seconds=ROUTE_SETTLE_SECONDS)
    remove_marker(phase, active, state.drill.drill_id)
    failures = phase.failures()
    phase.event("postflight passed" if not failures else "postflight found problems")
    return phase.result(f"{len(phase.checks) - len(failures)}/{len(phase.checks)} checks passed; {active.name} active")


def release_lock(state_drill: DrillContext | None, tools: Tools) -> dict[str, Any]:
    if state_drill is None:
        return {"released": False, "summary": "no lock was taken (the input was rejected)"}
    released = lock.release(
        tools.dynamodb, table=tools.records_table, cluster=tools.facts.cluster_name, owner=state_drill.execution
    )
    return {
        "released": released,
        "summary": "lock released" if released else "this drill did not hold the lock: nothing released",
    }


PHASES: dict[str, Callable[[DrillState, Tools], dict[str, Any]]] = {
    "take-lock": take_lock,
    "preflight": preflight,
    "start-watcher": start_watcher,
    "inject-fault": inject_fault,
    "wait-for-takeover": wait_for_takeover,
    "verify-takeover": verify_takeover,
    "recover-primary": recover_primary,
    "switchback": switchback,
    "postflight": postflight,
    "recover-after-failure": recover_after_failure,
}
