"""Bringing the cluster back: RecoverPrimary after a drill that went as planned (in stages, each wait a
Wait state), and RecoverAfterFailure after one that did not (a list of best-effort steps, never raises)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from hadrill.drill import deadman, probe_hooks
from hadrill.drill.checks import (
    cancel_watchers,
    health,
    health_evaluate,
    remove_marker,
    wait_online,
    where_is_hierarchy,
)
from hadrill.drill.commands import STATUS_TIMEOUT, health_command, health_commands
from hadrill.drill.fault_start import confirm_network_down_rto
from hadrill.drill.model import DrillInput, RecoveryFailed
from hadrill.drill.runtime import RESERVE_SECONDS, DrillState, Phase, Tools, next_look
from hadrill.drill.switchback import switchback_now, with_to_node
from hadrill.facts import NodeFacts
from hadrill.node_commands import offline_nodes
from hadrill.verdicts import Check

# The states whose failure means the fault may have been injected (recovery has work to do).
FAULT_SIDE_STATES = ("InjectFault", "WaitForTakeover", "VerifyTakeover")


def _instance_states(tools: Tools, instance_ids: set[str]) -> dict[str, str]:
    described = tools.ec2.describe_instances(InstanceIds=sorted(instance_ids))
    return {i["InstanceId"]: i["State"]["Name"] for r in described["Reservations"] for i in r["Instances"]}


def _start(phase: Phase, node: NodeFacts, instance_state: str, actions: list[str]) -> None:
    """Start a stopped (or stopping) node."""
    ec2 = phase.tools.ec2
    if instance_state == "stopping":
        ec2.get_waiter("instance_stopped").wait(InstanceIds=[node.instance_id])
    ec2.start_instances(InstanceIds=[node.instance_id])
    actions.append(f"started {node.name} ({node.instance_id})")
    phase.event(f"{node.name} started")


def _reboot(phase: Phase, node: NodeFacts, action: str, actions: list[str]) -> None:
    phase.tools.ec2.reboot_instances(InstanceIds=[node.instance_id])
    actions.append(action)
    phase.event(f"{node.name} rebooted")


def _rebooting_by_itself(request: DrillInput, node: NodeFacts, tools: Tools) -> bool:
    """An instance-reboot primary is rebooting already: it gets its boot time before anyone reboots it."""
    return request.scenario == "instance-reboot" and node is tools.facts.primary


def bring_back(phase: Phase, request: DrillInput, *, actions: list[str]) -> list[NodeFacts]:
    """Start a stopped node, reboot an unreachable one (EC2 API), wait until SSM sees them online, all
    inside this invocation. Returns the nodes still offline."""
    tools = phase.tools
    nodes = list(tools.facts.nodes)
    offline = set(offline_nodes(tools.ssm, [n.instance_id for n in nodes]))
    if not offline:
        return []
    states = _instance_states(tools, offline)
    for node in (n for n in nodes if n.instance_id in offline):
        state = states.get(node.instance_id, "unknown")
        if state in ("stopped", "stopping"):
            _start(phase, node, state, actions)
        elif _rebooting_by_itself(request, node, tools):
            if wait_online(phase, [node], request.recovery_timeout_seconds / 2):
                _reboot(phase, node, f"rebooted {node.name}: still unreachable after its own reboot", actions)
        else:
            _reboot(phase, node, f"rebooted {node.name} ({node.instance_id}): unreachable", actions)
    still = wait_online(phase, [n for n in nodes if n.instance_id in offline], request.recovery_timeout_seconds)
    for node in nodes:
        if node.instance_id in offline and node not in still:
            phase.event(f"{node.name} online in SSM")
    return still


# -- RecoverPrimary: stages ----------------------------------------------------------------------------


@dataclass
class Recovery:
    """One invocation of RecoverPrimary: the stage it is in (``carry``, kept in the state across Wait
    states: stage, since, deadlines, the nodes awaited, the HealthCheck commands sent) and what it did."""

    phase: Phase
    state: DrillState
    active: NodeFacts  # where the hierarchy should be: the node that took over (or the primary)
    carry: dict[str, Any]
    actions: list[str]
    now: int

    @property
    def request(self) -> DrillInput:
        return self.state.request

    def wait(self, summary: str, seconds: float, **changes: Any) -> dict[str, Any]:
        return self.phase.wait(summary, seconds, recovery={**self.carry, **changes, "actions": self.actions})

    def go(self, stage: str, **changes: Any) -> None:
        self.carry = {**self.carry, **changes, "stage": stage}

    def recovered(self, failed: list[Check]) -> dict[str, Any]:
        facts = self.phase.tools.facts
        if failed:
            raise RecoveryFailed("primary not recovered: " + "; ".join(f"{c.name}: {c.detail}" for c in failed))
        role = "active" if self.active is facts.primary else "standby"
        self.phase.event(f"{facts.primary.name} healthy as {role}")
        summary = "; ".join(self.actions) if self.actions else f"{facts.primary.name} reachable, no action needed"
        measured = confirm_network_down_rto(self.phase, self.state)
        switch = deadman.settle(self.phase, self.state)  # dead-man switch (issue 17): the recovery disarms it
        return self.phase.result(
            f"{summary}; both nodes healthy", recovered=True, actions=self.actions, deadManSwitch=switch, **measured
        )


Stage = Callable[[Recovery], dict[str, Any] | None]  # a result (wait or done), or None: go on to the next stage


def _stage_start(run: Recovery) -> dict[str, Any] | None:
    """Start stopped nodes, reboot unreachable ones (an instance-reboot primary first reboots by itself)."""
    tools, request = run.phase.tools, run.request
    nodes = list(tools.facts.nodes)
    offline = set(offline_nodes(tools.ssm, [n.instance_id for n in nodes]))
    if not offline:
        run.go("health", broughtBack=False)
        return None
    states = _instance_states(tools, offline)
    own_reboot = False
    for node in (n for n in nodes if n.instance_id in offline):
        instance_state = states.get(node.instance_id, "unknown")
        if instance_state in ("stopped", "stopping"):
            _start(run.phase, node, instance_state, run.actions)
        elif _rebooting_by_itself(request, node, tools):
            own_reboot = True
        else:
            _reboot(run.phase, node, f"rebooted {node.name} ({node.instance_id}): unreachable", run.actions)
    waiting_for = sorted(offline)
    deadline = run.now + request.recovery_timeout_seconds * 1000
    if own_reboot:
        return run.wait(
            f"{tools.facts.primary.name} rebooting by itself",
            tools.expected.boot,
            stage="own-reboot",
            since=run.now,
            ownDeadline=run.now + request.recovery_timeout_seconds * 500,
            offline=waiting_for,
            deadline=deadline,
        )
    return run.wait(
        "waiting for the nodes to come online",
        tools.expected.boot,
        stage="online",
        since=run.now,
        offline=waiting_for,
        deadline=deadline,
    )


def _stage_own_reboot(run: Recovery) -> dict[str, Any] | None:
    """The primary rebooting by itself: wait up to its own deadline, then reboot it."""
    tools, carry = run.phase.tools, run.carry
    primary = tools.facts.primary
    if not offline_nodes(tools.ssm, [primary.instance_id]):
        run.go("online")
        return None
    if run.now < int(carry["ownDeadline"]):
        return run.wait(f"{primary.name} rebooting by itself", next_look(carry["since"], run.now, carry["ownDeadline"]))
    _reboot(run.phase, primary, f"rebooted {primary.name}: still unreachable after its own reboot", run.actions)
    return run.wait("waiting for the nodes to come online", tools.expected.boot, stage="online", since=run.now)


def _stage_online(run: Recovery) -> dict[str, Any] | None:
    """Until SSM sees every node that was offline online again."""
    tools, carry = run.phase.tools, run.carry
    expected_offline = [n for n in tools.facts.nodes if n.instance_id in carry["offline"]]
    still = set(offline_nodes(tools.ssm, [n.instance_id for n in expected_offline]))
    if still:
        if run.now < int(carry["deadline"]):
            return run.wait(
                "waiting for the nodes to come online", next_look(carry["since"], run.now, carry["deadline"])
            )
        names = ", ".join(n.name for n in expected_offline if n.instance_id in still)
        raise RecoveryFailed(
            f"{names} not online in SSM after {'; '.join(run.actions) or 'waiting'}: needs an operator"
        )
    for node in expected_offline:
        run.phase.event(f"{node.name} online in SSM")
    run.go("health", broughtBack=True)
    return None


def _stage_health(run: Recovery) -> dict[str, Any] | None:
    """HealthCheck on both nodes: at once when no node was down (it answers in seconds, cheaper than two
    transitions), else sent now and collected after a Wait sized to the resync."""
    tools, request = run.phase.tools, run.request
    if not run.carry.get("broughtBack"):
        return run.recovered(health(run.phase, run.active, request.recovery_timeout_seconds))
    commands = health_commands(tools.facts, run.active, request.recovery_timeout_seconds)
    sent = {run.phase.send(command): command for command in commands}
    return run.wait(
        "waiting for comm paths and the mirror",
        tools.expected.resync,
        stage="checking",
        since=run.now,
        deadline=run.now + (request.recovery_timeout_seconds + STATUS_TIMEOUT) * 1000,
        commands={command_id: command.node for command_id, command in sent.items()},
    )


def _stage_checking(run: Recovery) -> dict[str, Any] | None:
    """The HealthCheck commands sent before the last wait: collect them, or wait again."""
    facts, request, carry = run.phase.tools.facts, run.request, run.carry
    by_node = {n.name: n for n in facts.nodes}
    sent = {
        command_id: health_command(
            facts,
            by_node[node],
            "active" if by_node[node] is run.active else "standby",
            request.recovery_timeout_seconds,
        )
        for command_id, node in carry["commands"].items()
    }
    results = run.phase.collect(sent)
    if results is not None:
        return run.recovered(health_evaluate(run.phase, results))
    if run.now >= int(carry["deadline"]):
        raise RecoveryFailed(f"HealthCheck still running {request.recovery_timeout_seconds} s after it was sent")
    return run.wait("waiting for comm paths and the mirror", next_look(carry["since"], run.now, carry["deadline"]))


STAGES: dict[str, Stage] = {
    "start": _stage_start,
    "own-reboot": _stage_own_reboot,
    "online": _stage_online,
    "health": _stage_health,
    "checking": _stage_checking,
}


def recover_primary(state: DrillState, tools: Tools) -> dict[str, Any]:
    """Bring the primary back (start after a stop, reboot when unreachable), wait until it is online
    with comm paths ALIVE and the mirror resynced. Raises RecoveryFailed when it does not get there.

    Runs in stages (STAGES), each wait a Wait state: ``start`` (EC2 start or reboot), ``own-reboot`` (an
    instance-reboot primary gets recoveryTimeoutSeconds / 2 to come back by itself), ``online`` (until
    SSM sees every node online), ``health`` and ``checking`` (HealthCheck on both nodes, which waits on
    the node for comm paths and the resync). A stage either answers (a wait, or done) or moves on."""
    pending = state.pending("RecoverPrimary")
    phase = Phase(tools, "RecoverPrimary", pending)
    if state.request.dry_run:
        return phase.result("dry run: nothing to recover", skipped=True, recovered=True, actions=[])
    carry: dict[str, Any] = dict((pending or {}).get("recovery") or {"stage": "start", "actions": []})
    run = Recovery(phase, state, state.to_node_facts(tools.facts), carry, list(carry["actions"]), tools.clock())
    while True:
        outcome = STAGES[run.carry["stage"]](run)
        if outcome is not None:
            return outcome


# -- RecoverAfterFailure: best-effort steps -------------------------------------------------------------


@dataclass
class AfterFailure:
    """What RecoverAfterFailure found and did so far; each step reads and adds to it."""

    phase: Phase
    state: DrillState
    actions: list[str] = field(default_factory=list)
    failed_steps: list[tuple[Step, str]] = field(default_factory=list)  # the step, and what went wrong
    still_offline: list[NodeFacts] = field(default_factory=list)
    active: NodeFacts | None = None  # where the hierarchy is in service
    unhealthy: list[Check] = field(default_factory=list)
    switched: bool = False
    dead_man_switch: dict[str, Any] = field(default_factory=dict)  # issue 17: disarmed, fired or still armed

    @property
    def reachable_active(self) -> NodeFacts | None:
        """The active node when every node is reachable again: later steps work with it."""
        return self.active if self.active is not None and not self.still_offline else None

    @property
    def home(self) -> NodeFacts | None:
        """Where the marker is: the primary after a switchback, else the active node."""
        return self.phase.tools.facts.primary if self.switched else self.active


@dataclass(frozen=True)
class Step:
    """One best-effort step. ``critical``: its failure means the cluster is not recovered."""

    what: str
    run: Callable[[AfterFailure], None]
    applies: Callable[[AfterFailure], bool]
    critical: bool = False


def _bring_nodes_back(run: AfterFailure) -> None:
    run.still_offline.extend(bring_back(run.phase, run.state.request, actions=run.actions))


def _find_active(run: AfterFailure) -> None:
    """A rebooted primary restores its hierarchy itself when nobody else has it: give it time."""
    tools = run.phase.tools
    limit = run.state.request.recovery_timeout_seconds
    deadline = time.monotonic() + min(limit, max(tools.remaining() - 2 * RESERVE_SECONDS, 0.0))
    while True:
        run.active = where_is_hierarchy(run.phase)
        if run.active is not None or time.monotonic() >= deadline:
            return
        tools.sleep(max(tools.poll_seconds, 1.0))


def _settle_dead_man_switch(run: AfterFailure) -> None:
    """Disarm the dead-man switch, or learn that it fired (issue 17)."""
    run.dead_man_switch.update(deadman.settle(run.phase, run.state) or {})


def _health_check(run: AfterFailure) -> None:
    assert run.active is not None  # applies only with an active node
    run.unhealthy.extend(health(run.phase, run.active, run.state.request.recovery_timeout_seconds))


def _switch_back(run: AfterFailure) -> None:
    facts = run.phase.tools.facts
    result = switchback_now(with_to_node(run.state, facts.secondary), run.phase.tools)
    run.phase.commands += int(result["ssmCommands"])
    run.phase.events.extend(result["events"])
    run.switched = bool(result.get("switchedBack"))
    run.actions.append(f"switched back to {facts.primary.name}")


def _remove_marker(run: AfterFailure) -> None:
    home = run.home or run.phase.tools.facts.primary
    remove_marker(run.phase, home, run.state.drill.drill_id)


def _should_switch_back(run: AfterFailure) -> bool:
    facts = run.phase.tools.facts
    return run.reachable_active is facts.secondary and not run.unhealthy and run.state.request.switchback


RECOVERY_STEPS: tuple[Step, ...] = (
    Step("bring nodes back", _bring_nodes_back, applies=lambda run: True, critical=True),
    Step("find the active node", _find_active, applies=lambda run: True),
    Step("dead-man switch", _settle_dead_man_switch, applies=lambda run: True),
    Step("health check", _health_check, applies=lambda run: run.reachable_active is not None, critical=True),
    Step("switchback", _switch_back, applies=_should_switch_back),
    Step("remove marker", _remove_marker, applies=lambda run: run.reachable_active is not None),
)
# With no fault injected, only the marker (written by StartWatcher) is left to clean up.
NOTHING_INJECTED_STEPS: tuple[Step, ...] = (
    Step("remove marker", _remove_marker, applies=lambda run: "StartWatcher" in run.state.phases),
)


def _attempt(run: AfterFailure, step: Step) -> None:
    try:
        step.run(run)
    except Exception as error:  # best effort: keep going, say what failed
        run.failed_steps.append((step, f"{step.what}: {type(error).__name__}: {error}"))


def recover_after_failure(state: DrillState, tools: Tools) -> dict[str, Any]:
    """Best effort after a failure on the fault side: stop the watcher, bring every unreachable node
    back, find where the hierarchy is, wait for health, switch back if asked. Never raises: what it
    could not do is in the result, for the record and the operators."""
    run = AfterFailure(Phase(tools, "RecoverAfterFailure"), state)
    cancel_watchers(state, tools)
    probe_hooks.stop(tools, started=state.result("InjectFault").clientProbe, drill_id=state.drill.drill_id)
    attempted = any(name in state.phases or name in state.failed for name in FAULT_SIDE_STATES)
    steps = RECOVERY_STEPS if attempted and not state.request.dry_run else NOTHING_INJECTED_STEPS
    for step in steps:
        if step.applies(run):
            _attempt(run, step)
    errors = [error for _, error in run.failed_steps]
    if steps is NOTHING_INJECTED_STEPS:
        return run.phase.result(
            "nothing to recover: no fault was injected", recovered=None, actions=run.actions, errors=errors
        )
    return _after_failure_result(run, errors)


def _after_failure_result(run: AfterFailure, errors: list[str]) -> dict[str, Any]:
    recovered = (
        run.reachable_active is not None
        and not run.unhealthy
        and not any(step.critical for step, _ in run.failed_steps)
    )
    if run.still_offline:
        errors.append(f"still unreachable: {', '.join(n.name for n in run.still_offline)}")
    if run.active is None:
        errors.append("the hierarchy is in service on no reachable node")
    if run.unhealthy:
        errors.append("; ".join(f"{c.name}: {c.detail}" for c in run.unhealthy))
    summary = "recovered" if recovered else "NOT recovered: " + "; ".join(errors)
    if run.actions:
        summary += f" ({'; '.join(run.actions)})"
    return run.phase.result(
        summary,
        recovered=recovered,
        actions=run.actions,
        errors=errors,
        switchedBack=run.switched,
        activeNode=run.active.name if run.active is not None else None,
        deadManSwitch=run.dead_man_switch or None,  # issue 17
    )
