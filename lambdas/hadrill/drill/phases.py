"""The drill's phases, one function each, in the order the state machine runs them.

lock -> preflight -> start watcher -> inject fault -> wait for takeover -> verify takeover ->
recover primary -> switchback -> postflight; and, when any of the fault-side phases fails,
recover after failure (best effort, never raises). Each returns a JSON-able dict that the state
machine keeps under ``$.phases.<State>``: ``summary`` (one line), ``checks`` ({name, passed,
detail}), ``events`` (timeline entries {phase, epochMs}) and ``ssmCommands`` (how many commands it
sent), plus what later phases need (the watcher's CommandId, the fault time stamp, the RTO).

Waiting (issue 18): no function is paid to wait for anything long. The three phases that wait for the
cluster (WaitForTakeover for the watcher, RecoverPrimary for boot and resync, Switchback for the
switchover) return ``waitSeconds`` instead of polling: the state machine's Wait state sleeps that long
(free of charge) and runs the phase again, which looks once (with a few seconds' grace) and finishes or
asks for another wait. The first wait is sized to the expected duration (``Expected``: what a real
cluster takes, or locally what the simulator is set to take), so a wait that goes as expected costs the
same transitions whatever its length; one that runs over is looked at again after half the time spent
so far (a few more transitions, growing with the overrun's ratio, not its length). The RTO stays exact:
both its ends are stamped on the nodes. Short commands (status, marker, fault) still wait inside the
invocation: a few seconds of a function cost less than the two transitions a Wait would add.
"""

from __future__ import annotations

import contextlib
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from hadrill import params
from hadrill.drill import lock, probe_hooks  # probe_hooks: client-visible RTO (issue 17)
from hadrill.drill.model import (
    EC2_SCENARIOS,
    DrillContext,
    DrillInput,
    DrillTimeExceeded,
    FaultNotInjected,
    NoTakeover,
    PreflightFailed,
    RecoveryFailed,
    StopConditionAlarm,
    SwitchbackFailed,
    VerificationFailed,
    unwrap_phases,
)
from hadrill.errors import ParseError, RouteError
from hadrill.facts import ClusterFacts, NodeFacts
from hadrill.node_commands import (
    CommandResult,
    CommandWaitExpired,
    NodeCommand,
    NodesOffline,
    Waiting,
    offline_nodes,
    run_commands,
    send,
    wait_for,
)
from hadrill.results import NodeStatus, parse_fault_result, parse_node_status, parse_result_line, parse_watch_result
from hadrill.routes import vip_route_target
from hadrill.verdicts import Check, daemons_as_expected, health_verdict, node_verdict, rto_seconds, takeover_complete

NODE_STATUS = "HADrill-NodeStatus"
# After no takeover, how long the primary gets to answer a status request (one that answers at
# all answers in seconds; a primary that is really down does not answer).
PRIMARY_PROBE_SECONDS = 20.0
WATCH_TAKEOVER = "HADrill-WatchTakeover"
INJECT_FAULT = "HADrill-InjectFault"
HEALTH_CHECK = "HADrill-HealthCheck"
DATA_MARKER = "HADrill-DataMarker"

# The watcher polls the standby this often: the RTO's resolution (measured here: a watcher polling
# every 0.2 s timed 2 s and 5 s simulated takeovers within 0.2 s; `make bench` reports the RTO error).
WATCH_POLL_MILLIS = 100
# network-down starts this long after InjectFault answers, so the command can report first.
NETWORK_DOWN_DELAY_SECONDS = 2
# The watcher reports "no takeover" itself; wait this much longer for its answer before calling
# the standby unreachable.
WATCHER_GRACE_SECONDS = 5
# How often stop-condition alarms are read while the takeover is awaited (only drills that name alarms
# look this often: each look is a Wait, a run and a Choice, three transitions).
ALARM_CHECK_SECONDS = 10.0
# The VIP route is replaced early in a takeover; EC2's API is eventually consistent: poll briefly.
ROUTE_SETTLE_SECONDS = 15.0
# After a switchback the mirror needs a moment to report in sync again.
POSTFLIGHT_WAIT_SECONDS = 120
# Leave this much of an invocation for the work after a wait.
RESERVE_SECONDS = 15.0
# A phase that woke from a Wait state gives its commands this long to end before asking for another wait.
CHECK_GRACE_SECONDS = 5.0
# After a wait that ran over, look again after this share of the time waited so far.
RECHECK_SHARE = 0.5
# The phases that may wait in a Wait state, by the state that runs them.
WAITING_STATES = {
    "wait-for-takeover": "WaitForTakeover",
    "recover-primary": "RecoverPrimary",
    "switchback": "Switchback",
}
# Timeouts of the documents' executions as the drill sends them (the delivery timeout in SSM).
STATUS_TIMEOUT = 120
MARKER_TIMEOUT = 60
SWITCHOVER_TIMEOUT = 600

# The states whose failure means the fault may have been injected (recovery has work to do).
FAULT_SIDE_STATES = ("InjectFault", "WaitForTakeover", "VerifyTakeover")


def now_ms() -> int:
    return int(time.time() * 1000)


@dataclass(frozen=True)
class Expected:
    """How long the cluster is expected to take (seconds, wall clock): the first wait of each kind.

    Defaults are a real cluster's (LifeKeeper's 15 s detection plus the restore, LKCHECKINTERVAL for a
    daemon's local recovery, an EC2 boot, a full DataKeeper resync of a small volume, a planned
    switchover); ``HADRILL_EXPECTED_SECONDS`` overrides them (the local world sets the simulator's)."""

    takeover: float = 60.0
    local_recovery: float = 120.0
    boot: float = 120.0
    resync: float = 300.0
    switchover: float = 30.0

    @classmethod
    def from_mapping(cls, values: dict[str, float]) -> Expected:
        known = {k: float(v) for k, v in values.items() if k in cls.__dataclass_fields__}
        return cls(**known)


@dataclass
class Tools:
    """The clients and limits of one invocation (injected so tests and the local world share them)."""

    facts: ClusterFacts
    ssm: Any
    ec2: Any
    cloudwatch: Any
    dynamodb: Any
    records_table: str
    poll_seconds: float
    budget_seconds: float  # the invocation's remaining time less a margin
    clock: Callable[[], int] = now_ms
    started: float = field(default_factory=time.monotonic)
    expected: Expected = field(default_factory=Expected)
    # Wait state seconds per wall second: 1 in AWS; the local world shortens Wait states (its time_scale).
    time_scale: float = 1.0
    slept: float = 0.0  # seconds this invocation slept polling (the bench scales them with the simulator)
    # client-visible RTO (issue 17): the probe function and a factory for the Lambda client that starts it.
    client_probe: probe_hooks.ProbeSettings | None = None
    lambda_client: Callable[[], Any] | None = None

    def remaining(self) -> float:
        return self.budget_seconds - (time.monotonic() - self.started)

    def sleep(self, seconds: float) -> None:
        self.slept += seconds
        time.sleep(seconds)

    def waiting(self, limit: float | None = None) -> Waiting:
        budget = self.remaining() if limit is None else min(limit, self.remaining())
        return Waiting(poll_seconds=self.poll_seconds, budget_seconds=max(budget, 0.0), sleep=self.sleep)

    def wait_state_seconds(self, wall_seconds: float) -> int:
        """The Wait state's Seconds for a wait of ``wall_seconds`` (a whole number, at least 1)."""
        return max(1, math.ceil(max(wall_seconds, 0.0) / self.time_scale))


@dataclass(frozen=True)
class DrillState:
    """The execution's state document as the state machine passes it (``$``)."""

    request: DrillInput
    drill: DrillContext
    phases: dict[str, dict[str, Any]]
    failed: dict[str, dict[str, Any]]

    @classmethod
    def from_event(cls, state: dict[str, Any]) -> DrillState:
        return cls(
            request=DrillInput.model_validate(state["request"]),
            drill=DrillContext.model_validate(state["drill"]),
            phases=unwrap_phases(state.get("phases")),
            failed=dict(state.get("failed") or {}),
        )

    def phase(self, name: str) -> dict[str, Any]:
        return self.phases.get(name) or {}

    def pending(self, name: str) -> dict[str, Any] | None:
        """This state's own result when it asked for a Wait (it is running again after it), else None."""
        result = self.phase(name)
        return result if "waitSeconds" in result else None

    def to_node_facts(self, facts: ClusterFacts) -> NodeFacts:
        """Where the hierarchy should be after the fault: the node that took over (or the primary)."""
        name = self.phase("WaitForTakeover").get("toNode")
        return next((n for n in facts.nodes if n.name == name), facts.primary)


class Phase:
    """Collects what one phase found and did, and turns it into the result the state keeps."""

    def __init__(self, tools: Tools, name: str, resumed: dict[str, Any] | None = None) -> None:
        self.tools = tools
        self.name = name
        self.checks: list[Check] = []
        # A phase woken from a Wait state goes on from its own earlier result: events, commands, waits.
        self.events: list[dict[str, Any]] = list((resumed or {}).get("events", []))
        self.commands = int((resumed or {}).get("ssmCommands", 0))
        self.waits = int((resumed or {}).get("waits", 0))

    # -- nodes --------------------------------------------------------------------------------
    def run(self, commands: list[NodeCommand], *, limit: float | None = None) -> list[CommandResult]:
        self.commands += len(commands)
        return run_commands(
            self.tools.ssm, commands, waiting=self.tools.waiting(limit), comment=f"hadrill drill {self.name}"
        )

    def send(self, command: NodeCommand) -> str:
        self.commands += 1
        return send(self.tools.ssm, command, comment=f"hadrill drill {self.name}")

    def event(self, what: str, epoch_ms: int | None = None) -> int:
        stamp = self.tools.clock() if epoch_ms is None else epoch_ms
        self.events.append({"phase": what, "epochMs": stamp})
        return stamp

    def check(self, check: Check, prefix: str = "") -> Check:
        named = Check(f"{prefix}{check.name}", check.passed, check.detail) if prefix else check
        self.checks.append(named)
        return named

    def failures(self) -> list[Check]:
        return [c for c in self.checks if not c.passed]

    def result(self, summary: str, **extra: Any) -> dict[str, Any]:
        waits = {"waits": self.waits} if self.waits else {}
        return {
            "summary": summary,
            "checks": [{"name": c.name, "passed": c.passed, "detail": c.detail} for c in self.checks],
            "events": self.events,
            "ssmCommands": self.commands,
            **waits,
            **extra,
        }

    def wait(self, summary: str, wall_seconds: float, **carry: Any) -> dict[str, Any]:
        """Ask the state machine to wait ``wall_seconds`` and run this phase again (``carry`` comes back)."""
        self.waits += 1
        seconds = self.tools.wait_state_seconds(wall_seconds)
        return self.result(summary, waitSeconds=seconds, **carry)

    def collect(self, sent: dict[str, NodeCommand], limit: float = CHECK_GRACE_SECONDS) -> list[CommandResult] | None:
        """The results of commands sent earlier, waiting at most ``limit`` seconds; None while running."""
        try:
            return wait_for(self.tools.ssm, sent, waiting=self.tools.waiting(limit))
        except CommandWaitExpired:
            return None


def next_look(started_epoch_ms: int, now_epoch_ms: int, deadline_epoch_ms: int, *, floor: float = 1.0) -> float:
    """Seconds until the next look after a wait that ran over: half the time spent so far, not past the
    deadline (plus a second, so the deadline has passed by then)."""
    spent = max(now_epoch_ms - started_epoch_ms, 0) / 1000
    left = max(deadline_epoch_ms - now_epoch_ms, 0) / 1000
    return min(max(spent * RECHECK_SHARE, floor), left + 1.0)


# -- commands -----------------------------------------------------------------------------------------


def _command(
    facts: ClusterFacts, node: NodeFacts, document: str, parameters: params.DocumentParameters, timeout: int
) -> NodeCommand:
    return NodeCommand(node.instance_id, node.name, facts.document(document), parameters, timeout, facts.node_log_group)


def status_command(facts: ClusterFacts, node: NodeFacts) -> NodeCommand:
    parameters = params.NodeStatusParameters(
        logical_host=facts.logical_host,
        hulft_tag=facts.hulft_tag,
        mirror_tag=facts.mirror_tag,
        hulft_install_dir=facts.hulft_install_dir,
        data_mount=facts.data_mount,
    )
    return _command(facts, node, NODE_STATUS, parameters, STATUS_TIMEOUT)


def health_command(facts: ClusterFacts, node: NodeFacts, role: str, wait_seconds: int) -> NodeCommand:
    parameters = params.HealthCheckParameters(
        expected_role=role,
        hulft_tag=facts.hulft_tag,
        mirror_tag=facts.mirror_tag,
        data_mount=facts.data_mount,
        wait_seconds=str(wait_seconds),
    )
    return _command(facts, node, HEALTH_CHECK, parameters, wait_seconds + STATUS_TIMEOUT)


def marker_command(facts: ClusterFacts, node: NodeFacts, action: str, marker: str) -> NodeCommand:
    parameters = params.DataMarkerParameters(action=action, marker=marker, data_mount=facts.data_mount)
    return _command(facts, node, DATA_MARKER, parameters, MARKER_TIMEOUT)


def watcher_command(facts: ClusterFacts, node: NodeFacts, timeout_seconds: int) -> NodeCommand:
    parameters = params.WatchTakeoverParameters(
        hulft_tag=facts.hulft_tag, poll_millis=str(WATCH_POLL_MILLIS), timeout_seconds=str(timeout_seconds)
    )
    return _command(facts, node, WATCH_TAKEOVER, parameters, timeout_seconds + 60)


def fault_command(
    facts: ClusterFacts, node: NodeFacts, fault: str, target: NodeFacts | None, timeout: int
) -> NodeCommand:
    parameters = params.InjectFaultParameters(
        fault=fault,
        hulft_tag=facts.hulft_tag,
        target_node=target.name if target is not None else "none",
        delay_seconds=str(NETWORK_DOWN_DELAY_SECONDS),
    )
    return _command(facts, node, INJECT_FAULT, parameters, timeout)


def _last_words(result: CommandResult) -> str:
    """The script's own message, or SSM's status when the script never reported."""
    try:
        return str(parse_result_line(result.stdout)["message"])
    except ParseError:
        tail = (result.stderr.strip().splitlines() or [""])[-1]
        return f"{result.status} (exit {result.exit_code}){': ' + tail if tail else ''}"


def _node_statuses(
    phase: Phase, nodes: list[NodeFacts], failure: type[Exception] = PreflightFailed
) -> dict[str, NodeStatus]:
    results = phase.run([status_command(phase.tools.facts, n) for n in nodes])
    statuses: dict[str, NodeStatus] = {}
    for result in results:
        if not result.succeeded:
            raise failure(f"{NODE_STATUS} on {result.node}: {_last_words(result)}")
        statuses[result.node] = parse_node_status(result.stdout)
    return statuses


# -- AWS-side checks ------------------------------------------------------------------------------------


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


# -- phases -------------------------------------------------------------------------------------------


def take_lock(state: DrillState, tools: Tools) -> dict[str, Any]:
    phase = Phase(tools, "TakeLock")
    taken = lock.take(
        tools.dynamodb,
        table=tools.records_table,
        cluster=tools.facts.cluster_name,
        owner=state.drill.execution,
        drill_id=state.drill.drill_id,
        now_ms=tools.clock(),
        expires_ms=state.drill.lock_expires_epoch_ms,
    )
    phase.event("lock taken")
    summary = f"lock on {tools.facts.cluster_name} taken until {lock.iso(state.drill.lock_expires_epoch_ms)}"
    if taken.broken:
        summary += f"; broke the expired lock of {taken.broken['drillId']} (taken {taken.broken['acquired']})"
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
    statuses = _node_statuses(phase, [facts.primary, facts.secondary])
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
        raise PreflightFailed(f"{DATA_MARKER} write on {facts.primary.name}: {_last_words(written)}")
    phase.event("marker written", int(parse_result_line(written.stdout).get("written_epoch_ms", tools.clock())))
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
    extra: dict[str, Any] = {"clientProbe": probe}  # client-visible RTO (issue 17)
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
        return phase.result(
            summary, faultEpochMs=fault_ms, fault=request.scenario, faultCommand=running, clientProbe=probe
        )  # clientProbe: client-visible RTO (issue 17)
    else:
        [result] = phase.run([fault_command(facts, primary, request.scenario, None, STATUS_TIMEOUT)])
        if not result.succeeded:
            raise FaultNotInjected(f"{INJECT_FAULT} {request.scenario} on {primary.name}: {_last_words(result)}")
        injected = parse_fault_result(result.stdout)
        fault_ms, summary = injected.fault_epoch_ms, injected.message
        if request.scenario == "hulft-daemon-kill":
            # Local recovery happens on the primary: watch it there, from right after the kill.
            timeout_s = request.takeover_timeout_seconds + 1
            command_id = phase.send(watcher_command(facts, primary, timeout_s))
            extra["watcher"] = {"commandId": command_id, "node": primary.name, "timeoutSeconds": timeout_s}
    phase.event(f"fault injected ({request.scenario})", fault_ms)
    return phase.result(summary, faultEpochMs=fault_ms, fault=request.scenario, **extra)


def _watcher_of(state: DrillState) -> dict[str, Any]:
    watcher = state.phase("InjectFault").get("watcher") or state.phase("StartWatcher").get("watcher")
    if not watcher:
        raise NoTakeover("no watcher was started")
    return dict(watcher)


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
        watcher = state.phase(name).get("watcher")
        if watcher:
            # Best effort: a watcher that cannot be cancelled ends at its own timeout anyway.
            with contextlib.suppress(Exception):
                tools.ssm.cancel_command(CommandId=watcher["commandId"])


def _expected_takeover(tools: Tools, request: DrillInput) -> float:
    return tools.expected.takeover if request.expects_failover else tools.expected.local_recovery


def _alarm_interval(tools: Tools) -> float:
    """Seconds between stop-condition looks: ALARM_CHECK_SECONDS, or every 20 polls when polling is fast
    (local runs, where a takeover takes a second or two)."""
    return max(1.0, min(ALARM_CHECK_SECONDS, 20 * tools.poll_seconds))


def wait_for_takeover(state: DrillState, tools: Tools) -> dict[str, Any]:
    """Wait (in Wait states) for the watcher's answer, reading the stop conditions at each look; work out
    the RTO from the fault stamp (primary or Lambda) and the watcher's takeover stamp (standby)."""
    pending = state.pending("WaitForTakeover")
    phase = Phase(tools, "WaitForTakeover", pending)
    facts, request = tools.facts, state.request
    if request.dry_run:
        return phase.result("dry run: no fault, no takeover to wait for", skipped=True, toNode=facts.primary.name)
    watcher = _watcher_of(state)
    node = next(n for n in facts.nodes if n.name == watcher["node"])
    injected = state.phase("InjectFault")
    fault_ms = int(injected["faultEpochMs"])
    # The watcher gives up by itself takeoverTimeoutSeconds after the fault; past that plus a grace for
    # its answer to reach SSM, silence means the standby itself is gone.
    deadline_ms = fault_ms + (request.takeover_timeout_seconds + WATCHER_GRACE_SECONDS) * 1000
    if pending is None:
        first = fault_ms / 1000 + _expected_takeover(tools, request) - tools.clock() / 1000
        if request.stop_condition_alarms:
            first = min(first, _alarm_interval(tools))
        return phase.wait(f"waiting for the takeover on {node.name}", first)
    sent = {watcher["commandId"]: watcher_command(facts, node, int(watcher["timeoutSeconds"]))}
    fault_run = injected.get("faultCommand")
    if fault_run:
        primary = facts.primary
        sent[fault_run["commandId"]] = fault_command(
            facts, primary, request.scenario, facts.secondary, int(fault_run["timeoutSeconds"])
        )
    # With stop conditions to read, the grace is no longer than the time between two looks.
    grace = min(CHECK_GRACE_SECONDS, _alarm_interval(tools)) if request.stop_condition_alarms else CHECK_GRACE_SECONDS
    results = phase.collect(sent, min(grace, max(deadline_ms - tools.clock(), 0) / 1000))
    if results is None:
        try:
            stop_if_alarm(phase, request, "while waiting for the takeover")
        except StopConditionAlarm:
            cancel_watchers(state, tools)
            raise
        now = tools.clock()
        if now >= deadline_ms:
            cancel_watchers(state, tools)
            raise NoTakeover(
                f"no answer from the watcher on {node.name} within {request.takeover_timeout_seconds} s of the fault "
                "(is the standby reachable?)"
            )
        again = next_look(fault_ms, now, deadline_ms)
        if request.stop_condition_alarms:
            again = min(again, _alarm_interval(tools))
        return phase.wait(f"still waiting for the takeover on {node.name}", again)
    if fault_run:
        [result, fault_result] = results
        if not fault_result.succeeded:
            cancel_watchers(state, tools)
            raise FaultNotInjected(
                f"{INJECT_FAULT} {request.scenario} on {facts.primary.name}: {_last_words(fault_result)}"
            )
        fault_ms = parse_fault_result(fault_result.stdout).fault_epoch_ms
        phase.event(f"fault injected ({request.scenario})", fault_ms)
        results = [result]
    [result] = results
    try:
        outcome = parse_watch_result(result.stdout)
    except ParseError as error:
        raise NoTakeover(f"{WATCH_TAKEOVER} on {node.name} ended {result.status}: {error}") from None
    timeline = [{"epochMs": e.epoch_ms, "event": e.event} for e in outcome.timeline]
    if not outcome.complete or outcome.takeover_epoch_ms is None:
        missed = fault_missed(phase) if request.expects_failover else None
        if missed:
            raise FaultNotInjected(f"{missed}; {node.name} rightly did not take over ({outcome.message})")
        raise NoTakeover(f"{node.name}: {outcome.message}")
    takeover_ms = outcome.takeover_epoch_ms
    rto = rto_seconds(fault_ms, takeover_ms)
    # The first change the watcher saw after the fault ends detection and starts the restore.
    signs = [
        e.epoch_ms for e in outcome.timeline if fault_ms <= e.epoch_ms < takeover_ms and "watch started" not in e.event
    ]
    first_sign = min(signs) if signs and request.expects_failover else None
    detection = None if first_sign is None else round((first_sign - fault_ms) / 1000, 3)
    restore = None if first_sign is None else round((takeover_ms - first_sign) / 1000, 3)
    # For a daemon kill the watcher starts after the kill: if its first look already found every daemon
    # up, the local recovery was quicker than that look and the RTO is an upper bound.
    upper_bound = not request.expects_failover and outcome.polls <= 1
    if first_sign is not None:
        phase.event(f"first sign of takeover on {node.name}", first_sign)
    what = "takeover complete" if request.expects_failover else "local recovery complete"
    phase.event(f"{what} on {node.name}", takeover_ms)
    within = rto <= request.max_rto_seconds
    measured = f"{'<= ' if upper_bound else ''}{rto:.3f} s"
    phase.check(
        Check(
            "RTO within SLO",
            within,
            f"{measured} (SLO {request.max_rto_seconds:g} s)"
            if within
            else f"{measured}, over the SLO of {request.max_rto_seconds:g} s",
        )
    )
    return phase.result(
        f"{what} on {node.name}: RTO {rto:.3f} s",
        rtoSeconds=rto,
        rtoIsUpperBound=upper_bound,
        detectionSeconds=detection,
        restoreSeconds=restore,
        faultEpochMs=fault_ms,
        takeoverEpochMs=takeover_ms,
        toNode=node.name,
        watcherTimeline=timeline,
    )


def _marker_check(phase: Phase, node: NodeFacts, marker: str) -> None:
    [result] = phase.run([marker_command(phase.tools.facts, node, "check", marker)])
    phase.check(
        Check(f"marker in {phase.tools.facts.data_mount} on {node.name}", result.succeeded, _last_words(result))
    )


def verify_takeover(state: DrillState, tools: Tools) -> dict[str, Any]:
    """VIP route at the new active node, hierarchy ISP and daemons up there only, marker there."""
    phase = Phase(tools, "VerifyTakeover")
    facts = tools.facts
    check_deadline(phase, state.drill)
    active_name = state.phase("WaitForTakeover").get("toNode", facts.primary.name)
    active = next(n for n in facts.nodes if n.name == active_name)
    other = facts.secondary if active is facts.primary else facts.primary
    route_check(phase, active, settle_seconds=ROUTE_SETTLE_SECONDS)
    reachable = [n for n in (active, other) if n.instance_id not in offline_nodes(tools.ssm, [n.instance_id])]
    statuses = _node_statuses(phase, reachable, VerificationFailed) if reachable else {}
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
        _marker_check(phase, active, state.drill.drill_id)
    else:
        phase.check(Check(f"{active.name} reachable", False, "not online in SSM"))
    if other.name in statuses:
        phase.check(daemons_as_expected(statuses[other.name].hulft_processes, "standby"), prefix=f"{other.name}: ")
    else:
        phase.check(
            Check(f"{other.name}: no HULFT daemons", True, "unreachable (the fault): nothing there serves clients")
        )
    # client-visible RTO (issue 17): stop the probe, decide, add its check and the first successful connect.
    wait = state.phase("WaitForTakeover")
    client_rto = probe_hooks.collect(
        tools,
        started=state.phase("InjectFault").get("clientProbe"),
        drill_id=state.drill.drill_id,
        fault_ms=int(wait.get("faultEpochMs") or state.phase("InjectFault").get("faultEpochMs") or 0),
        node_rto_seconds=wait.get("rtoSeconds"),
        active=active,
        check=phase.check,
        event=phase.event,
    )
    failures = phase.failures()
    phase.event("takeover verified" if not failures else "takeover verification failed")
    summary = f"{len(phase.checks) - len(failures)}/{len(phase.checks)} checks passed"
    return phase.result(summary, clientRto=client_rto)  # clientRto: client-visible RTO (issue 17)


def _bring_back(phase: Phase, request: DrillInput, *, actions: list[str]) -> list[NodeFacts]:
    """Start a stopped node, reboot an unreachable one (EC2 API), wait until SSM sees them online.
    Returns the nodes still offline."""
    tools = phase.tools
    nodes = list(tools.facts.nodes)
    offline = set(offline_nodes(tools.ssm, [n.instance_id for n in nodes]))
    if not offline:
        return []
    described = tools.ec2.describe_instances(InstanceIds=sorted(offline))
    states = {i["InstanceId"]: i["State"]["Name"] for r in described["Reservations"] for i in r["Instances"]}
    waited_for_reboot = False
    for node in nodes:
        if node.instance_id not in offline:
            continue
        state = states.get(node.instance_id, "unknown")
        if state in ("stopped", "stopping"):
            if state == "stopping":
                tools.ec2.get_waiter("instance_stopped").wait(InstanceIds=[node.instance_id])
            tools.ec2.start_instances(InstanceIds=[node.instance_id])
            actions.append(f"started {node.name} ({node.instance_id})")
            phase.event(f"{node.name} started")
        elif request.scenario == "instance-reboot" and node is tools.facts.primary and not waited_for_reboot:
            waited_for_reboot = True  # it is rebooting already: give it its boot time first
            if _wait_online(phase, [node], request.recovery_timeout_seconds / 2):
                tools.ec2.reboot_instances(InstanceIds=[node.instance_id])
                actions.append(f"rebooted {node.name}: still unreachable after its own reboot")
                phase.event(f"{node.name} rebooted")
        else:
            tools.ec2.reboot_instances(InstanceIds=[node.instance_id])
            actions.append(f"rebooted {node.name} ({node.instance_id}): unreachable")
            phase.event(f"{node.name} rebooted")
    still = _wait_online(phase, [n for n in nodes if n.instance_id in offline], request.recovery_timeout_seconds)
    for node in nodes:
        if node.instance_id in offline and node not in still:
            phase.event(f"{node.name} online in SSM")
    return still


def _wait_online(phase: Phase, nodes: list[NodeFacts], limit: float) -> list[NodeFacts]:
    tools = phase.tools
    deadline = time.monotonic() + min(limit, max(tools.remaining() - RESERVE_SECONDS, 0.0))
    while True:
        offline = set(offline_nodes(tools.ssm, [n.instance_id for n in nodes])) if nodes else set()
        if not offline or time.monotonic() >= deadline:
            return [n for n in nodes if n.instance_id in offline]
        tools.sleep(tools.poll_seconds)


def _health(phase: Phase, active: NodeFacts, wait_seconds: int) -> list[Check]:
    """HealthCheck on both nodes (active ISP + daemons, standby OSU, comm paths ALIVE, mirror in sync),
    each waiting up to ``wait_seconds`` for a rebooted node to settle."""
    facts = phase.tools.facts
    wait = max(1, min(wait_seconds, int(phase.tools.remaining() - RESERVE_SECONDS - 5)))
    commands = [health_command(facts, n, "active" if n is active else "standby", wait) for n in facts.nodes]
    return _health_evaluate(phase, phase.run(commands, limit=wait + RESERVE_SECONDS))


def _health_evaluate(phase: Phase, results: list[CommandResult]) -> list[Check]:
    failed: list[Check] = []
    for result in results:
        try:
            checks = health_verdict(result.stdout).checks
        except ParseError:
            checks = (Check("health check", False, _last_words(result)),)
        for check in checks:
            named = phase.check(check, prefix=f"{result.node}: ")
            if not named.passed:
                failed.append(named)
    return failed


def _health_commands(facts: ClusterFacts, active: NodeFacts, wait_seconds: int) -> list[NodeCommand]:
    return [health_command(facts, n, "active" if n is active else "standby", wait_seconds) for n in facts.nodes]


def recover_primary(state: DrillState, tools: Tools) -> dict[str, Any]:
    """Bring the primary back (start after a stop, reboot when unreachable), wait until it is online
    with comm paths ALIVE and the mirror resynced. Raises RecoveryFailed when it does not get there.

    Runs in stages, each wait a Wait state: ``start`` (EC2 start or reboot), ``own-reboot`` (an
    instance-reboot primary gets recoveryTimeoutSeconds / 2 to come back by itself), ``online`` (until
    SSM sees every node online), ``health`` (HealthCheck on both nodes, which waits on the node for comm
    paths and the resync)."""
    pending = state.pending("RecoverPrimary")
    phase = Phase(tools, "RecoverPrimary", pending)
    facts, request = tools.facts, state.request
    if request.dry_run:
        return phase.result("dry run: nothing to recover", skipped=True, recovered=True, actions=[])
    carry: dict[str, Any] = dict((pending or {}).get("recovery") or {"stage": "start", "actions": []})
    actions: list[str] = list(carry["actions"])
    now = tools.clock()

    def wait(summary: str, seconds: float, **changes: Any) -> dict[str, Any]:
        return phase.wait(summary, seconds, recovery={**carry, **changes, "actions": actions})

    if carry["stage"] == "start":
        nodes = list(facts.nodes)
        offline = set(offline_nodes(tools.ssm, [n.instance_id for n in nodes]))
        if offline:
            described = tools.ec2.describe_instances(InstanceIds=sorted(offline))
            states = {i["InstanceId"]: i["State"]["Name"] for r in described["Reservations"] for i in r["Instances"]}
            own_reboot = False
            for node in nodes:
                if node.instance_id not in offline:
                    continue
                instance_state = states.get(node.instance_id, "unknown")
                if instance_state in ("stopped", "stopping"):
                    if instance_state == "stopping":
                        tools.ec2.get_waiter("instance_stopped").wait(InstanceIds=[node.instance_id])
                    tools.ec2.start_instances(InstanceIds=[node.instance_id])
                    actions.append(f"started {node.name} ({node.instance_id})")
                    phase.event(f"{node.name} started")
                elif request.scenario == "instance-reboot" and node is facts.primary:
                    own_reboot = True  # it is rebooting already: give it its boot time first
                else:
                    tools.ec2.reboot_instances(InstanceIds=[node.instance_id])
                    actions.append(f"rebooted {node.name} ({node.instance_id}): unreachable")
                    phase.event(f"{node.name} rebooted")
            waiting_for = sorted(offline)
            deadline = now + request.recovery_timeout_seconds * 1000
            if own_reboot:
                own_deadline = now + request.recovery_timeout_seconds * 500
                return wait(
                    f"{facts.primary.name} rebooting by itself",
                    tools.expected.boot,
                    stage="own-reboot",
                    since=now,
                    ownDeadline=own_deadline,
                    offline=waiting_for,
                    deadline=deadline,
                )
            return wait(
                "waiting for the nodes to come online",
                tools.expected.boot,
                stage="online",
                since=now,
                offline=waiting_for,
                deadline=deadline,
            )
        carry = {**carry, "stage": "health", "broughtBack": False}

    if carry["stage"] == "own-reboot":
        primary = facts.primary
        if offline_nodes(tools.ssm, [primary.instance_id]):
            if now < int(carry["ownDeadline"]):
                return wait(f"{primary.name} rebooting by itself", next_look(carry["since"], now, carry["ownDeadline"]))
            tools.ec2.reboot_instances(InstanceIds=[primary.instance_id])
            actions.append(f"rebooted {primary.name}: still unreachable after its own reboot")
            phase.event(f"{primary.name} rebooted")
            return wait("waiting for the nodes to come online", tools.expected.boot, stage="online", since=now)
        carry = {**carry, "stage": "online"}

    if carry["stage"] == "online":
        expected_offline = [n for n in facts.nodes if n.instance_id in carry["offline"]]
        still = set(offline_nodes(tools.ssm, [n.instance_id for n in expected_offline]))
        if still:
            if now < int(carry["deadline"]):
                return wait("waiting for the nodes to come online", next_look(carry["since"], now, carry["deadline"]))
            names = ", ".join(n.name for n in expected_offline if n.instance_id in still)
            raise RecoveryFailed(
                f"{names} not online in SSM after {'; '.join(actions) or 'waiting'}: needs an operator"
            )
        for node in expected_offline:
            phase.event(f"{node.name} online in SSM")
        carry = {**carry, "stage": "health", "broughtBack": True}

    active = state.to_node_facts(facts)
    if carry["stage"] == "health" and not carry.get("broughtBack"):
        # No node was down: nothing to resync, the check answers in seconds (cheaper than two transitions).
        failed = _health(phase, active, request.recovery_timeout_seconds)
    elif carry["stage"] == "health":
        commands = _health_commands(facts, active, request.recovery_timeout_seconds)
        sent = {phase.send(command): command for command in commands}
        deadline = now + (request.recovery_timeout_seconds + STATUS_TIMEOUT) * 1000
        return wait(
            "waiting for comm paths and the mirror",
            tools.expected.resync,
            stage="checking",
            since=now,
            deadline=deadline,
            commands={command_id: command.node for command_id, command in sent.items()},
        )
    else:  # stage "checking": the HealthCheck commands sent before the last wait
        by_node = {n.name: n for n in facts.nodes}
        wait_seconds = request.recovery_timeout_seconds
        sent = {
            command_id: health_command(
                facts, by_node[node], "active" if by_node[node] is active else "standby", wait_seconds
            )
            for command_id, node in carry["commands"].items()
        }
        results = phase.collect(sent)
        if results is None:
            if now >= int(carry["deadline"]):
                raise RecoveryFailed(
                    f"HealthCheck still running {request.recovery_timeout_seconds} s after it was sent"
                )
            return wait("waiting for comm paths and the mirror", next_look(carry["since"], now, carry["deadline"]))
        failed = _health_evaluate(phase, results)
    if failed:
        raise RecoveryFailed("primary not recovered: " + "; ".join(f"{c.name}: {c.detail}" for c in failed))
    phase.event(f"{facts.primary.name} healthy as {'active' if active is facts.primary else 'standby'}")
    summary = "; ".join(actions) if actions else f"{facts.primary.name} reachable, no action needed"
    return phase.result(f"{summary}; both nodes healthy", recovered=True, actions=actions)


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
        raise SwitchbackFailed(f"switchover from {active.name} to {facts.primary.name}: {_last_words(result)}")
    done = parse_result_line(result.stdout).get("completed_epoch_ms")
    completed = phase.event(f"hierarchy back on {facts.primary.name}", int(done) if isinstance(done, int) else None)
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


def postflight(state: DrillState, tools: Tools) -> dict[str, Any]:
    """Both nodes healthy in the roles they should now have, route at the active one, marker removed."""
    phase = Phase(tools, "Postflight")
    facts = tools.facts
    home = state.request.dry_run or bool(state.phase("Switchback").get("switchedBack"))
    active = facts.primary if home else state.to_node_facts(facts)
    _health(phase, active, POSTFLIGHT_WAIT_SECONDS)
    route_check(phase, active, settle_seconds=ROUTE_SETTLE_SECONDS)
    _remove_marker(phase, active, state.drill.drill_id)
    failures = phase.failures()
    phase.event("postflight passed" if not failures else "postflight found problems")
    return phase.result(f"{len(phase.checks) - len(failures)}/{len(phase.checks)} checks passed; {active.name} active")


def _remove_marker(phase: Phase, node: NodeFacts, marker: str) -> None:
    [result] = phase.run([marker_command(phase.tools.facts, node, "remove", marker)])
    phase.check(Check(f"marker removed from {node.name}", result.succeeded, _last_words(result)))


def _where_is_hierarchy(phase: Phase) -> NodeFacts | None:
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


def recover_after_failure(state: DrillState, tools: Tools) -> dict[str, Any]:
    """Best effort after a failure on the fault side: stop the watcher, bring every unreachable node
    back, find where the hierarchy is, wait for health, switch back if asked. Never raises: what it
    could not do is in the result, for the record and the operators."""
    phase = Phase(tools, "RecoverAfterFailure")
    facts, request = tools.facts, state.request
    cancel_watchers(state, tools)
    probe_hooks.stop(
        tools, started=state.phase("InjectFault").get("clientProbe"), drill_id=state.drill.drill_id
    )  # issue 17
    attempted = any(name in state.phases or name in state.failed for name in FAULT_SIDE_STATES)
    actions: list[str] = []
    errors: list[str] = []
    recovered: bool | None = None
    switched = False

    def attempt(what: str, action: Callable[[], None]) -> None:
        try:
            action()
        except Exception as error:  # best effort: keep going, say what failed
            errors.append(f"{what}: {type(error).__name__}: {error}")

    if not attempted or request.dry_run:
        if "StartWatcher" in state.phases:
            attempt("remove marker", lambda: _remove_marker(phase, facts.primary, state.drill.drill_id))
        return phase.result("nothing to recover: no fault was injected", recovered=None, actions=actions, errors=errors)

    still: list[NodeFacts] = []

    def bring_back() -> None:
        still.extend(_bring_back(phase, request, actions=actions))

    attempt("bring nodes back", bring_back)
    active: list[NodeFacts] = []

    def find_active() -> None:
        # A rebooted primary restores its hierarchy itself when nobody else has it: give it time.
        limit = request.recovery_timeout_seconds
        deadline = time.monotonic() + min(limit, max(tools.remaining() - 2 * RESERVE_SECONDS, 0.0))
        while True:
            found = _where_is_hierarchy(phase)
            if found is not None or time.monotonic() >= deadline:
                active.extend([found] if found is not None else [])
                return
            tools.sleep(max(tools.poll_seconds, 1.0))

    attempt("find the active node", find_active)
    unhealthy: list[Check] = []
    if active and not still:
        attempt("health check", lambda: unhealthy.extend(_health(phase, active[0], request.recovery_timeout_seconds)))
        if not unhealthy and active[0] is facts.secondary and request.switchback:

            def back() -> None:
                nonlocal switched
                result = switchback_now(_with_to_node(state, facts.secondary), tools)
                phase.commands += int(result["ssmCommands"])
                phase.events.extend(result["events"])
                switched = bool(result.get("switchedBack"))
                actions.append(f"switched back to {facts.primary.name}")

            attempt("switchback", back)
        home = facts.primary if switched else active[0]
        attempt("remove marker", lambda: _remove_marker(phase, home, state.drill.drill_id))
    recovered = (
        bool(active) and not still and not unhealthy and not any(e.startswith(("bring", "health")) for e in errors)
    )
    if still:
        errors.append(f"still unreachable: {', '.join(n.name for n in still)}")
    if not active:
        errors.append("the hierarchy is in service on no reachable node")
    if unhealthy:
        errors.append("; ".join(f"{c.name}: {c.detail}" for c in unhealthy))
    summary = "recovered" if recovered else "NOT recovered: " + "; ".join(errors)
    if actions:
        summary += f" ({'; '.join(actions)})"
    return phase.result(
        summary,
        recovered=recovered,
        actions=actions,
        errors=errors,
        switchedBack=switched,
        activeNode=active[0].name if active else None,
    )


def _with_to_node(state: DrillState, node: NodeFacts) -> DrillState:
    phases = {**state.phases, "WaitForTakeover": {**state.phase("WaitForTakeover"), "toNode": node.name}}
    return DrillState(state.request, state.drill, phases, state.failed)


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
