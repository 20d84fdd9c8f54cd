"""The switch's steps, one function each, in the order statemachines/switch.asl.json runs them.

take lock -> preflight (where is the hierarchy; both nodes healthy; no-op when it is already on the
target) -> switch (the drill's own switchback: hadrill.drill.phases.switchback) -> postflight -> release
lock; and, after a failure once something may have moved, inspect (read-only: where is it now). Each
returns a JSON-able dict the state machine keeps under ``$.phases.<State>`` in the drill's shape
(``summary``, ``checks``, ``events``, ``ssmCommands``), so the same report and progress code reads it.

Reuse: commands, the Phase collector, the Tools, the route check, the HealthCheck evaluation, a
command's last words and the switchover itself are the drill's (hadrill.drill). Waiting is the
drill's too: a step that waits returns ``waitSeconds`` and the state machine sleeps in a Wait state
(sized by HADRILL_EXPECTED_SECONDS, scaled by HADRILL_TIME_SCALE locally).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from hadrill.contracts import PhaseResult
from hadrill.drill import lock, phases, runtime
from hadrill.drill.checks import health_evaluate
from hadrill.drill.commands import last_words
from hadrill.drill.model import DrillContext, DrillInput, DrillLocked, SwitchbackFailed, unwrap_phases
from hadrill.facts import ClusterFacts, NodeFacts
from hadrill.lcdstatus import ResourceState
from hadrill.node_commands import offline_nodes
from hadrill.results import NodeStatus, parse_node_status
from hadrill.switch.model import SwitchContext, SwitchFailed, SwitchInput, SwitchLocked, SwitchPreflightFailed
from hadrill.verdicts import node_verdict

NODE_STATUS = phases.NODE_STATUS
# The postflight's HealthCheck waits on the node this long for the mirror to report in sync again.
POSTFLIGHT_WAIT_SECONDS = phases.POSTFLIGHT_WAIT_SECONDS
# The drill's own state names for the switchback it runs (phases.switchback reads its earlier result there).
DRILL_SWITCHBACK_STATE = "Switchback"
WAITING_STATES = {"switch": "Switch", "postflight": "Postflight"}
# The SSM documents the steps send (the wiring grants RunSwitchStep exactly these; a test keeps them equal).
DOCUMENTS = frozenset({phases.NODE_STATUS, phases.INJECT_FAULT, phases.HEALTH_CHECK})


@dataclass(frozen=True)
class SwitchState:
    """The execution's state document as the state machine passes it (``$``)."""

    request: SwitchInput
    switch: SwitchContext
    phases: dict[str, dict[str, Any]]

    @classmethod
    def from_event(cls, state: Mapping[str, Any]) -> SwitchState:
        return cls(
            request=SwitchInput.model_validate(state["request"]),
            switch=SwitchContext.model_validate(state["switch"]),
            phases=unwrap_phases(state.get("phases")),
        )

    def phase(self, name: str) -> dict[str, Any]:
        return self.phases.get(name) or {}

    def result(self, name: str) -> PhaseResult:
        """A step's result, typed (empty if it has not run)."""
        return PhaseResult.model_validate(self.phase(name))

    def pending(self, name: str) -> dict[str, Any] | None:
        result = self.phase(name)
        return result if "waitSeconds" in result else None


def node_named(facts: ClusterFacts, name: str) -> NodeFacts:
    return next(n for n in facts.nodes if n.name == name)


def in_service_on(statuses: Mapping[str, NodeStatus], root_tag: str) -> list[str]:
    """The nodes (by name, in the given order) where the hierarchy's root resource is ISP."""
    found = []
    for name, status in statuses.items():
        root = status.lcdstatus.resource(root_tag) if status.lcdstatus is not None else None
        if root is not None and root.state is ResourceState.IN_SERVICE:
            found.append(name)
    return found


def _statuses(phase: phases.Phase, nodes: list[NodeFacts]) -> dict[str, NodeStatus]:
    statuses: dict[str, NodeStatus] = {}
    for result in phase.run([phases.status_command(phase.tools.facts, n) for n in nodes]):
        if not result.succeeded:
            raise SwitchPreflightFailed(f"{NODE_STATUS} on {result.node}: {last_words(result)}")
        statuses[result.node] = parse_node_status(result.stdout)
    return statuses


# -- steps ------------------------------------------------------------------------------------------


def take_lock(state: SwitchState, tools: phases.Tools) -> dict[str, Any]:
    """The drill's lock (same item, same expiry rules): no drill runs while the hierarchy moves, and
    no switch starts while a drill runs."""
    phase = phases.Phase(tools, "TakeLock")
    try:
        taken = runtime.take_lock(
            tools,
            owner=state.switch.execution,
            drill_id=state.switch.switch_id,
            expires_ms=state.switch.lock_expires_epoch_ms,
        )
    except DrillLocked as error:
        # The lock's own words name the holder; they end "this drill touched nothing".
        holder = str(error).replace("another drill", "a drill", 1).replace("this drill touched nothing", "")
        raise SwitchLocked(f"{holder.rstrip('; ')}; nothing was moved") from None
    phase.event("lock taken")
    summary = f"lock on {tools.facts.cluster_name} taken until {lock.iso(state.switch.lock_expires_epoch_ms)}"
    if taken.broken:
        summary += f"; {lock.broken_summary(taken.broken)}"
    return phase.result(summary, **taken.as_dict())


def preflight(state: SwitchState, tools: phases.Tools) -> dict[str, Any]:
    """Where the hierarchy is, and both nodes healthy in their roles (LifeKeeper running, comm paths
    ALIVE, mirror in sync, hierarchy ISP on one node and OSU on the other, daemons only on the active
    one), VIP route at the active node. Already on the target: a no-op (``noop``), whatever else it found.
    Otherwise any failing check raises SwitchPreflightFailed and nothing moves."""
    phase = phases.Phase(tools, "Preflight")
    facts = tools.facts
    target = node_named(facts, state.switch.to_node)
    statuses = _statuses(phase, list(facts.nodes))
    active_names = in_service_on(statuses, facts.hulft_tag)
    if len(active_names) != 1:
        where = " and ".join(active_names) if active_names else "no node"
        raise SwitchPreflightFailed(f"the hierarchy {facts.hulft_tag} is in service on {where}: needs an operator")
    active = node_named(facts, active_names[0])
    for node in facts.nodes:
        role = "active" if node is active else "standby"
        for check in node_verdict(statuses[node.name], role, facts.hulft_tag).checks:
            phase.check(check, prefix=f"{node.name}: ")
    phases.route_check(phase, active)
    failures = phase.failures()
    if active is target:
        phase.event(f"already on {target.name}")
        summary = f"the hierarchy is already on {target.name}: nothing to move"
        if failures:
            summary += f" ({len(failures)} check(s) failed)"
        return phase.result(summary, noop=True, fromNode=active.name, toNode=target.name)
    if failures:
        raise SwitchPreflightFailed("; ".join(f"{c.name}: {c.detail}" for c in failures))
    phase.event("preflight passed")
    summary = f"{len(phase.checks)}/{len(phase.checks)} checks passed; {facts.hulft_tag} on {active.name}"
    return phase.result(summary, noop=False, fromNode=active.name, toNode=target.name)


def _as_home(facts: ClusterFacts, target: NodeFacts) -> ClusterFacts:
    """The cluster seen with ``target`` as the primary: the drill's switchback moves the hierarchy to the
    primary, so this is how it moves it to whichever node was asked (names, instances, ENIs unchanged)."""
    if target.name == facts.primary.name:
        return facts
    return facts.model_copy(update={"primary": facts.secondary, "secondary": facts.primary})


def _relabel(result: dict[str, Any], target: str) -> dict[str, Any]:
    """The drill's wording ("switchback", "back on") for a switchover to the secondary."""
    events = [
        {**e, "phase": str(e["phase"]).replace("switchback to", "switchover to").replace("back on", "on")}
        for e in result.get("events", [])
    ]
    summary = str(result.get("summary", ""))
    if result.get("switchedBack"):
        summary = f"hierarchy moved to {target} in {float(result.get('seconds') or 0):.1f} s"
    else:
        summary = summary.replace("switching back to", "switching over to")
    return {**result, "events": events, "summary": summary}


def switch(state: SwitchState, tools: phases.Tools) -> dict[str, Any]:
    """The planned switchover from the active node to the target: the drill's switchback (sent, waited
    for in a Wait state sized to the expected switchover, collected; then the VIP route), aimed at the
    target. Raises SwitchFailed when the hierarchy or the route did not get there."""
    facts = tools.facts
    target = node_named(facts, state.switch.to_node)
    source = state.result("Preflight").fromNode
    if source is None:
        raise SwitchFailed("Preflight did not say where the hierarchy is")
    drill_state = phases.DrillState(
        request=DrillInput(cluster=facts.cluster_name),
        drill=DrillContext(
            drill_id=state.switch.switch_id,
            execution=state.switch.execution,
            started_epoch_ms=state.switch.started_epoch_ms,
            deadline_epoch_ms=state.switch.lock_expires_epoch_ms,
            lock_expires_epoch_ms=state.switch.lock_expires_epoch_ms,
        ),
        phases={
            "WaitForTakeover": {"toNode": source},
            **({DRILL_SWITCHBACK_STATE: state.phase("Switch")} if state.pending("Switch") else {}),
        },
        failed={},
    )
    aimed = dataclasses.replace(tools, facts=_as_home(facts, target))
    try:
        result = phases.switchback(drill_state, aimed)
    except SwitchbackFailed as error:
        raise SwitchFailed(str(error)) from None
    finally:
        tools.slept = aimed.slept  # the copy started from tools.slept: keep its total
    if state.switch.kind == "switchover":
        result = _relabel(result, target.name)
    return {**result, "toNode": target.name, "fromNode": source}


def postflight(state: SwitchState, tools: phases.Tools) -> dict[str, Any]:
    """HealthCheck on both nodes in their new roles (target active: hierarchy ISP and daemons; the other
    OSU; comm paths ALIVE; mirror in sync, which the check waits for on the node), sent and then collected
    after a Wait state; VIP route at the target."""
    pending = state.pending("Postflight")
    phase = phases.Phase(tools, "Postflight", pending)
    facts = tools.facts
    target = node_named(facts, state.switch.to_node)
    commands = {
        n.name: phases.health_command(facts, n, "active" if n is target else "standby", POSTFLIGHT_WAIT_SECONDS)
        for n in facts.nodes
    }
    if pending is None:
        sent = {phase.send(command): command.node for command in commands.values()}
        deadline = tools.clock() + (POSTFLIGHT_WAIT_SECONDS + phases.STATUS_TIMEOUT) * 1000
        first: dict[str, Any] = {"commands": sent, "since": tools.clock(), "deadline": deadline}
        return phase.wait("waiting for both nodes' health", tools.expected.switchover, health=first)
    carry: dict[str, Any] = dict(pending["health"])
    results = phase.collect({command_id: commands[node] for command_id, node in carry["commands"].items()})
    if results is None:
        now = tools.clock()
        if now >= int(carry["deadline"]):
            raise SwitchFailed(f"HealthCheck still running {POSTFLIGHT_WAIT_SECONDS} s after it was sent")
        again = phases.next_look(int(carry["since"]), now, int(carry["deadline"]))
        return phase.wait("waiting for both nodes' health", again, health=carry)
    health_evaluate(phase, results)
    phases.route_check(phase, target, settle_seconds=phases.ROUTE_SETTLE_SECONDS)
    failures = phase.failures()
    phase.event("postflight passed" if not failures else "postflight found problems")
    passed = len(phase.checks) - len(failures)
    return phase.result(f"{passed}/{len(phase.checks)} checks passed; {target.name} active")


def inspect(state: SwitchState, tools: phases.Tools) -> dict[str, Any]:
    """After a failure once the switchover was sent: where the hierarchy is now and where the VIP route
    points, for the record and the operators. Read-only; never raises."""
    phase = phases.Phase(tools, "Inspect")
    facts = tools.facts
    errors: list[str] = []
    active: list[str] = []
    try:
        online = [n for n in facts.nodes if not offline_nodes(tools.ssm, [n.instance_id])]
        statuses = {}
        for result in phase.run([phases.status_command(facts, n) for n in online]) if online else []:
            if result.succeeded:
                statuses[result.node] = parse_node_status(result.stdout)
            else:
                errors.append(f"{result.node}: {last_words(result)}")
        active = in_service_on(statuses, facts.hulft_tag)
    except Exception as error:  # best effort: say what could not be read
        errors.append(f"{type(error).__name__}: {error}")
    route = "unknown"
    try:
        target = phases.route_target(tools)
        route = next((n.name for n in facts.nodes if n.eni_id == target), target)
    except Exception as error:
        errors.append(f"VIP route: {type(error).__name__}: {error}")
    where = " and ".join(active) if active else "no reachable node"
    summary = f"the hierarchy is in service on {where}; the VIP route points at {route}"
    if errors:
        summary += f" ({'; '.join(errors)})"
    phase.event(f"after the failure: {facts.hulft_tag} on {where}")
    return phase.result(summary, activeNodes=active, routeNode=route, errors=errors)


def release_lock(state: Mapping[str, Any], tools: phases.Tools) -> dict[str, Any]:
    switch_doc = state.get("switch")
    if not switch_doc:
        return {"released": False, "summary": "no lock was taken (the input was rejected)"}
    context = SwitchContext.model_validate(switch_doc)
    released = lock.release(
        tools.dynamodb, table=tools.records_table, cluster=tools.facts.cluster_name, owner=context.execution
    )
    summary = "lock released" if released else "this switch did not hold the lock: nothing released"
    return {"released": released, "summary": summary}


STEPS: dict[str, Callable[[SwitchState, phases.Tools], dict[str, Any]]] = {
    "take-lock": take_lock,
    "preflight": preflight,
    "switch": switch,
    "postflight": postflight,
    "inspect": inspect,
}
