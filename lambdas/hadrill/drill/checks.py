"""What the phases look at, on the nodes and in AWS: node status, health, the data marker, the VIP route,
stop-condition alarms, the drill's deadline, where the hierarchy is in service, the watchers."""

from __future__ import annotations

import contextlib
import time
from typing import Any

from hadrill.drill.commands import (
    NODE_STATUS,
    health_commands,
    last_words,
    marker_command,
    status_command,
)
from hadrill.drill.model import (
    DrillContext,
    DrillInput,
    DrillTimeExceeded,
    PreflightFailed,
    StopConditionAlarm,
)
from hadrill.drill.runtime import RESERVE_SECONDS, DrillState, Phase, Tools
from hadrill.errors import ParseError, RouteError
from hadrill.facts import ClusterFacts, NodeFacts
from hadrill.node_commands import CommandResult, CommandWaitExpired, NodesOffline, offline_nodes
from hadrill.results import NodeStatus, parse_node_status
from hadrill.routes import vip_route_target
from hadrill.verdicts import Check, health_verdict

# After no takeover, how long the primary gets to answer a status request (one that answers at
# all answers in seconds; a primary that is really down does not answer).
PRIMARY_PROBE_SECONDS = 20.0
# The VIP route is replaced early in a takeover; EC2's API is eventually consistent: poll briefly.
ROUTE_SETTLE_SECONDS = 15.0


def node_statuses(
    phase: Phase, nodes: list[NodeFacts], failure: type[Exception] = PreflightFailed
) -> dict[str, NodeStatus]:
    results = phase.run([status_command(phase.tools.facts, n) for n in nodes])
    statuses: dict[str, NodeStatus] = {}
    for result in results:
        if not result.succeeded:
            raise failure(f"{NODE_STATUS} on {result.node}: {last_words(result)}")
        statuses[result.node] = parse_node_status(result.stdout)
    return statuses


def route_target(tools: Tools) -> str:
    tables = tools.ec2.describe_route_tables(RouteTableIds=list(tools.facts.route_table_ids))["RouteTables"]
    return vip_route_target(tables, tools.facts.virtual_ip)


def route_check(phase: Phase, node: NodeFacts, *, settle_seconds: float = 0.0) -> Check:
    """The VIP route points at ``node``'s ENI (polled up to ``settle_seconds`` while it moves)."""
    deadline = time.monotonic() + min(settle_seconds, max(phase.tools.remaining(), 0.0))
    while True:
        try:
            actual = route_target(phase.tools)
            detail = f"{phase.tools.facts.virtual_ip}/32 -> {actual} ({_eni_owner(phase.tools.facts, actual)})"
            passed = actual == node.eni_id
        except RouteError as error:
            detail, passed = str(error), False
        if passed or time.monotonic() >= deadline:
            return phase.check(Check(f"VIP route on {node.name}", passed, detail))
        phase.tools.sleep(phase.tools.poll_seconds)


def _eni_owner(facts: ClusterFacts, eni: str) -> str:
    return next((f"{n.name}'s ENI" for n in facts.nodes if n.eni_id == eni), "not a cluster node's ENI")


def alarms_in_alarm(cloudwatch: Any, names: tuple[str, ...]) -> tuple[list[str], list[str]]:
    """(alarms in ALARM, names that do not exist). A stop condition that does not exist cannot stop
    anything, so a misspelt name is a preflight failure, not a silent pass."""
    if not names:
        return [], []
    response = cloudwatch.describe_alarms(AlarmNames=list(names))
    alarms = [*response.get("MetricAlarms", []), *response.get("CompositeAlarms", [])]
    found = {a["AlarmName"]: a.get("StateValue", "") for a in alarms}
    firing = [f"{n} ({found[n]})" for n in names if found.get(n) == "ALARM"]
    return firing, [n for n in names if n not in found]


def stop_if_alarm(phase: Phase, request: DrillInput, when: str) -> None:
    firing, missing = alarms_in_alarm(phase.tools.cloudwatch, request.stop_condition_alarms)
    if missing:
        raise PreflightFailed(f"stop-condition alarm(s) not found: {', '.join(missing)}")
    if firing:
        raise StopConditionAlarm(f"stop-condition alarm in ALARM {when}: {', '.join(firing)}")


def check_deadline(phase: Phase, drill: DrillContext) -> None:
    if phase.tools.clock() > drill.deadline_epoch_ms:
        raise DrillTimeExceeded(f"the drill ran past maxDrillSeconds before {phase.name}")


def fault_missed(phase: Phase) -> str | None:
    """After no takeover: does the primary still answer and hold the hierarchy in service? Then the
    fault never landed (a hung or wrong ifdown, an instance that did not stop) and the standby was
    right to stay put: a different failure from a standby that should have taken over."""
    facts = phase.tools.facts
    primary = facts.primary
    if offline_nodes(phase.tools.ssm, [primary.instance_id]):
        return None
    try:
        [result] = phase.run([status_command(facts, primary)], limit=PRIMARY_PROBE_SECONDS)
    except (CommandWaitExpired, NodesOffline):
        return None
    if not result.succeeded:
        return None
    status = parse_node_status(result.stdout)
    root = status.lcdstatus.resource(facts.hulft_tag) if status.lcdstatus is not None else None
    if root is None or root.state.value != "ISP":
        return None
    return f"the fault did not take effect: {primary.name} still answers and holds {facts.hulft_tag} ISP"


def cancel_watchers(state: DrillState, tools: Tools) -> None:
    for name in ("StartWatcher", "InjectFault"):
        watcher = state.result(name).watcher
        if watcher is not None:
            # Best effort: a watcher that cannot be cancelled ends at its own timeout anyway.
            with contextlib.suppress(Exception):
                tools.ssm.cancel_command(CommandId=watcher.commandId)


def marker_check(phase: Phase, node: NodeFacts, marker: str) -> None:
    [result] = phase.run([marker_command(phase.tools.facts, node, "check", marker)])
    phase.check(Check(f"marker in {phase.tools.facts.data_mount} on {node.name}", result.succeeded, last_words(result)))


def wait_online(phase: Phase, nodes: list[NodeFacts], limit: float) -> list[NodeFacts]:
    tools = phase.tools
    deadline = time.monotonic() + min(limit, max(tools.remaining() - RESERVE_SECONDS, 0.0))
    while True:
        offline = set(offline_nodes(tools.ssm, [n.instance_id for n in nodes])) if nodes else set()
        if not offline or time.monotonic() >= deadline:
            return [n for n in nodes if n.instance_id in offline]
        tools.sleep(tools.poll_seconds)


def health(phase: Phase, active: NodeFacts, wait_seconds: int) -> list[Check]:
    """HealthCheck on both nodes (active ISP + daemons, standby OSU, comm paths ALIVE, mirror in sync),
    each waiting up to ``wait_seconds`` for a rebooted node to settle."""
    facts = phase.tools.facts
    wait = max(1, min(wait_seconds, int(phase.tools.remaining() - RESERVE_SECONDS - 5)))
    commands = health_commands(facts, active, wait)
    return health_evaluate(phase, phase.run(commands, limit=wait + RESERVE_SECONDS))


def health_evaluate(phase: Phase, results: list[CommandResult]) -> list[Check]:
    failed: list[Check] = []
    for result in results:
        try:
            checks = health_verdict(result.stdout).checks
        except ParseError:
            checks = (Check("health check", False, last_words(result)),)
        for check in checks:
            named = phase.check(check, prefix=f"{result.node}: ")
            if not named.passed:
                failed.append(named)
    return failed


def remove_marker(phase: Phase, node: NodeFacts, marker: str) -> None:
    [result] = phase.run([marker_command(phase.tools.facts, node, "remove", marker)])
    phase.check(Check(f"marker removed from {node.name}", result.succeeded, last_words(result)))


def where_is_hierarchy(phase: Phase) -> NodeFacts | None:
    facts = phase.tools.facts
    online = [n for n in facts.nodes if n.instance_id not in offline_nodes(phase.tools.ssm, [n.instance_id])]
    results = phase.run([status_command(facts, n) for n in online]) if online else []
    for node, status in zip(online, results, strict=True):
        if not status.succeeded:
            continue
        parsed = parse_node_status(status.stdout)
        if parsed.lcdstatus is not None:
            root = parsed.lcdstatus.resource(facts.hulft_tag)
            if root is not None and root.state.value == "ISP":
                return node
    return None
