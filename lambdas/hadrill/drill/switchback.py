"""Switchback: the planned switchover from the node that took over back to the primary, then the route."""

from __future__ import annotations

from typing import Any

from hadrill.contracts import InjectFaultResult
from hadrill.drill.checks import ROUTE_SETTLE_SECONDS, route_check
from hadrill.drill.commands import STATUS_TIMEOUT, SWITCHOVER_TIMEOUT, fault_command, last_words
from hadrill.drill.model import SwitchbackFailed
from hadrill.drill.runtime import DrillState, Phase, Tools, next_look
from hadrill.facts import NodeFacts
from hadrill.node_commands import CommandResult
from hadrill.results import read_result


def switchback(state: DrillState, tools: Tools) -> dict[str, Any]:
    """Planned switchover from the node that is active now back to the primary, then the route. The
    switchover is sent, waited for in a Wait state (sized to the expected switchover), then collected."""
    pending = state.pending("Switchback")
    phase = Phase(tools, "Switchback", pending)
    facts = tools.facts
    active = state.to_node_facts(facts)
    if state.request.dry_run or active is facts.primary:
        return phase.result("not needed: the hierarchy is on the primary", skipped=True, switchedBack=False)
    command = fault_command(facts, active, "switchover", facts.primary, SWITCHOVER_TIMEOUT)
    if pending is None:
        started = phase.event(f"switchback to {facts.primary.name} started")
        command_id = phase.send(command)
        return phase.wait(
            f"switching back to {facts.primary.name}",
            tools.expected.switchover,
            switchover={"commandId": command_id, "started": started},
        )
    running = dict(pending["switchover"])
    results = phase.collect({running["commandId"]: command})
    if results is None:
        started, now = int(running["started"]), tools.clock()
        deadline = started + (SWITCHOVER_TIMEOUT + STATUS_TIMEOUT) * 1000
        if now >= deadline:
            raise SwitchbackFailed(f"switchover from {active.name} to {facts.primary.name} still running")
        return phase.wait(
            f"switching back to {facts.primary.name}", next_look(started, now, deadline), switchover=running
        )
    return _switchback_done(phase, active, results[0], int(running["started"]))


def _switchback_done(phase: Phase, active: NodeFacts, result: CommandResult, started: int) -> dict[str, Any]:
    facts = phase.tools.facts
    if not result.succeeded:
        raise SwitchbackFailed(f"switchover from {active.name} to {facts.primary.name}: {last_words(result)}")
    done = read_result(result.stdout, InjectFaultResult).completed_epoch_ms
    completed = phase.event(f"hierarchy back on {facts.primary.name}", done)
    route = route_check(phase, facts.primary, settle_seconds=ROUTE_SETTLE_SECONDS)
    if not route.passed:
        raise SwitchbackFailed(f"the hierarchy moved to {facts.primary.name} but the VIP route did not: {route.detail}")
    seconds = round((completed - started) / 1000, 3)
    return phase.result(
        f"hierarchy back on {facts.primary.name} in {seconds:.1f} s", switchedBack=True, seconds=seconds
    )


def switchback_now(state: DrillState, tools: Tools) -> dict[str, Any]:
    """The switchback inside one invocation (the best-effort recovery after a failure uses it)."""
    phase = Phase(tools, "Switchback")
    facts = tools.facts
    active = state.to_node_facts(facts)
    if state.request.dry_run or active is facts.primary:
        return phase.result("not needed: the hierarchy is on the primary", skipped=True, switchedBack=False)
    started = phase.event(f"switchback to {facts.primary.name} started")
    [result] = phase.run([fault_command(facts, active, "switchover", facts.primary, SWITCHOVER_TIMEOUT)])
    return _switchback_done(phase, active, result, started)


def with_to_node(state: DrillState, node: NodeFacts) -> DrillState:
    phases = {**state.phases, "WaitForTakeover": {**state.phase("WaitForTakeover"), "toNode": node.name}}
    return DrillState(state.request, state.drill, phases, state.failed)
