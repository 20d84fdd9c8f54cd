"""The dead-man switch on every fault (issue 17): before a fault that can outlive its drill, the drill
arms a restore that needs no orchestrator, and its recovery disarms it.

- network-down (the fault takes the node itself away): a systemd transient timer on the primary that
  reboots it at the deadline (InjectFault arms it in the same command as the fault, before the fault).
  A reboot brings LifeKeeper back as standby, the vendor-documented way back after a takeover. The
  recovery's own reboot removes the timer (transient units live under /run); HADrill-DisarmDeadMan
  stops it when the node never went away, and tells "fired" from a stamp the timer writes first.
- instance-stop: a one-time EventBridge Scheduler schedule, ``at(<deadline>)``, whose universal target
  calls ec2:StartInstances on the primary with a role allowed only that, deleted after it runs.

The deadline is the drill's own (its start plus maxDrillSeconds), in Wait-state time: the wall clock in
AWS; locally the world's shortened time, as for every Wait state (time_scale 0.01: 3600 s -> 36 s).
Other faults need no switch: a reboot comes back by itself, LifeKeeper restarts a killed daemon in
place, and a switchover leaves a healthy cluster.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Literal

from hadrill import contracts, params
from hadrill.drill.model import DrillContext, DrillTimeExceeded, FaultNotInjected, Scenario
from hadrill.errors import ParseError
from hadrill.node_commands import NodeCommand, offline_nodes
from hadrill.results import read_result

if TYPE_CHECKING:
    from hadrill.drill.runtime import DrillState, Phase

Kind = Literal["node-timer", "start-schedule"]
Outcome = Literal["armed", "disarmed", "fired"]
KINDS: dict[str, Kind] = {"network-down": "node-timer", "instance-stop": "start-schedule"}
NOT_NEEDED = {
    "instance-reboot": "not needed: a rebooted instance comes back by itself",
    "hulft-daemon-kill": "not needed: LifeKeeper restarts the daemon in place",
    "switchover": "not needed: a switchover leaves both nodes up",
}
UNIT_PREFIX = "hadrill-deadman-"
DISARM_DOCUMENT = contracts.DOC_DISARM_DEAD_MAN
DISARM_TIMEOUT = contracts.DOCUMENT_TIMEOUT_SECONDS[contracts.DOC_DISARM_DEAD_MAN]
# Scheduler's universal target for EC2 StartInstances (docs/vendor-commands.md, "AWS").
START_INSTANCES_TARGET = "arn:aws:scheduler:::aws-sdk:ec2:startInstances"
SCHEDULE_NAME_MAX = 64
# Environment of the drill's function (stacks/orchestration/deadman.py, localrunner): where schedules go.
ENV_SCHEDULE_GROUP = contracts.ENV_DEAD_MAN_SCHEDULE_GROUP
ENV_SCHEDULER_ROLE_ARN = contracts.ENV_DEAD_MAN_ROLE_ARN
# A switch armed this close to its deadline would fire during the fault itself.
MIN_SECONDS = 1


class DeadManNotArmed(FaultNotInjected):
    """The switch could not be armed: the fault is not injected."""


@dataclass(frozen=True)
class Settings:
    schedule_group: str
    scheduler_role_arn: str

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> Settings | None:
        group, role = environ.get(ENV_SCHEDULE_GROUP, ""), environ.get(ENV_SCHEDULER_ROLE_ARN, "")
        return cls(group, role) if group and role else None


def kind_for(scenario: Scenario) -> Kind | None:
    return KINDS.get(scenario)


def deadline_ms(drill: DrillContext, time_scale: float) -> int:
    """The drill's deadline in Wait-state time (see the module's docstring)."""
    limit = drill.deadline_epoch_ms - drill.started_epoch_ms
    return drill.started_epoch_ms + round(limit * time_scale)


def unit_name(drill_id: str) -> str:
    """The systemd unit (hadrill.patterns.DEAD_MAN_UNIT): the drill id is unique per cluster."""
    return f"{UNIT_PREFIX}{drill_id}"


def schedule_name(drill_id: str) -> str:
    """A Scheduler schedule name (at most 64 of [0-9A-Za-z_.-]); a long drill id keeps a hash of itself."""
    name = f"{UNIT_PREFIX}{drill_id}"
    if len(name) <= SCHEDULE_NAME_MAX:
        return name
    digest = hashlib.sha256(drill_id.encode()).hexdigest()[:10]
    return f"{name[: SCHEDULE_NAME_MAX - 11]}-{digest}"


def at_expression(epoch_ms: int) -> str:
    """Scheduler's one-time expression, ``at(yyyy-mm-ddThh:mm:ss)`` in UTC, rounded up to the second."""
    moment = datetime.fromtimestamp(math.ceil(epoch_ms / 1000), UTC)
    return f"at({moment.strftime('%Y-%m-%dT%H:%M:%S')})"


def seconds_until(deadline: int, now: int) -> int:
    return math.ceil((deadline - now) / 1000)


def schedule_request(settings: Settings, *, name: str, instance_id: str, deadline: int, cluster: str) -> dict[str, Any]:
    """CreateSchedule's arguments: start the instance once at the deadline, then delete the schedule."""
    return {
        "Name": name,
        "GroupName": settings.schedule_group,
        "ScheduleExpression": at_expression(deadline),
        "ScheduleExpressionTimezone": "UTC",
        "FlexibleTimeWindow": {"Mode": "OFF"},
        "ActionAfterCompletion": "DELETE",
        "State": "ENABLED",
        "Description": f"hadrill dead-man switch of {cluster}: start {instance_id} if its drill died",
        "Target": {
            "Arn": START_INSTANCES_TARGET,
            "RoleArn": settings.scheduler_role_arn,
            "Input": json.dumps({"InstanceIds": [instance_id]}),
            # Retry for as long as the drill's recovery would have waited: a start that fails keeps trying.
            "RetryPolicy": {"MaximumEventAgeInSeconds": 3600, "MaximumRetryAttempts": 20},
        },
    }


def timer_parameters(unit: str, seconds: int) -> dict[str, str]:
    """InjectFault's parameters that arm the node-local timer (hadrill.params.InjectFaultParameters)."""
    return {"DeadManSeconds": str(seconds), "DeadManUnit": unit}


def disarm_parameters(unit: str) -> params.DisarmDeadManParameters:
    return params.DisarmDeadManParameters(unit=unit)


def parse_disarm(stdout: str) -> tuple[str, int | None, str]:
    """HADrill-DisarmDeadMan's answer: (fired | disarmed | gone, the firing's epoch ms, its message)."""
    result = read_result(stdout, contracts.DisarmDeadManResult)
    if not result.ok or result.outcome is None:
        raise ParseError("HADrill-DisarmDeadMan", f"no outcome: {result.message}")
    fired = result.fired_epoch_ms
    return result.outcome, (fired if fired else None), result.message


@dataclass(frozen=True)
class Armed:
    """What the drill armed, kept in InjectFault's result (``deadManSwitch``)."""

    kind: Kind
    name: str
    armed_epoch_ms: int
    deadline_epoch_ms: int
    node: str

    def as_dict(self) -> dict[str, Any]:
        return {**contracts.camel_fields(self), "outcome": "armed"}


def plan(
    scenario: Scenario, drill: DrillContext, *, node: str, now: int, time_scale: float
) -> tuple[Armed | None, str]:
    """The switch a fault needs (None and why not, for the others). Raises DrillTimeExceeded when the
    deadline is too close: a switch that fires during the fault would be the fault's own recovery."""
    kind = kind_for(scenario)
    if kind is None:
        return None, NOT_NEEDED.get(scenario, "not needed")
    deadline = deadline_ms(drill, time_scale)
    if seconds_until(deadline, now) < MIN_SECONDS:
        raise DrillTimeExceeded("the drill's deadline has passed: no dead-man switch can be armed, no fault injected")
    name = unit_name(drill.drill_id) if kind == "node-timer" else schedule_name(drill.drill_id)
    return Armed(kind, name, now, deadline, node), ""


def create_schedule(scheduler: Any, settings: Settings | None, armed: Armed, *, instance_id: str, cluster: str) -> None:
    if settings is None:
        raise DeadManNotArmed("no schedule group is configured for the dead-man switch (HADRILL_DEAD_MAN_*)")
    request = schedule_request(
        settings, name=armed.name, instance_id=instance_id, deadline=armed.deadline_epoch_ms, cluster=cluster
    )
    try:
        scheduler.create_schedule(**request)
    except Exception as error:  # the fault must not start without its switch
        raise DeadManNotArmed(f"could not create the schedule {armed.name}: {error}") from error


def delete_schedule(scheduler: Any, settings: Settings | None, name: str) -> tuple[Outcome, str]:
    """(disarmed, ...) when this deleted it; (fired, ...) when it was gone: Scheduler deletes a one-time
    schedule after it has run (ActionAfterCompletion DELETE)."""
    if settings is None:
        return "armed", "no schedule group is configured: nothing to delete"
    try:
        scheduler.delete_schedule(Name=name, GroupName=settings.schedule_group)
    except Exception as error:
        code = getattr(error, "response", {}).get("Error", {}).get("Code")
        if code == "ResourceNotFoundException":
            return "fired", f"schedule {name} already ran and was deleted by Scheduler: it started the instance"
        raise
    return "disarmed", f"schedule {name} deleted"


def node_outcome(disarm_outcome: str, message: str) -> tuple[Outcome, str]:
    if disarm_outcome == "fired":
        return "fired", message
    if disarm_outcome == "disarmed":
        return "disarmed", message
    return "disarmed", f"{message} (the recovery's reboot)"


def disarmed(armed: Mapping[str, Any] | None, outcome: Outcome, detail: str, at: int) -> dict[str, Any]:
    return {**(armed or {}), "outcome": outcome, "detail": detail, "settledEpochMs": at}


def report_entry(phases: Mapping[str, contracts.PhaseResult], scenario: str | None, dry_run: bool) -> dict[str, Any]:
    """The report's ``dead_man_switch``: what was armed, when, its deadline and how it ended."""
    injected = phases["InjectFault"].deadManSwitch if "InjectFault" in phases else None
    armed = injected.model_dump(exclude_unset=True) if injected is not None else {}
    settled: dict[str, Any] = {}
    for name in ("RecoverPrimary", "RecoverAfterFailure"):
        found = phases[name].deadManSwitch if name in phases else None
        if found is not None:
            settled = found.model_dump(exclude_unset=True)
    if not armed and not settled:
        reason = "dry run: nothing armed" if dry_run else NOT_NEEDED.get(str(scenario), "not armed")
        return {"kind": None, "armed_at": None, "deadline": None, "outcome": None, "detail": reason}
    merged = {**armed, **settled}
    outcome = str(merged.get("outcome", "armed"))
    deadline = merged.get("deadlineEpochMs")
    detail = str(merged.get("detail", ""))
    if outcome == "armed" and not detail:
        detail = "not disarmed: it restores the node at the deadline by itself"
    return {
        "kind": merged.get("kind"),
        "name": merged.get("name"),
        "node": merged.get("node"),
        "armed_at": _iso(merged.get("armedEpochMs")),
        "deadline": _iso(deadline),
        "outcome": outcome,
        "detail": detail,
    }


def _iso(epoch_ms: object) -> str | None:
    if not isinstance(epoch_ms, int):
        return None
    return datetime.fromtimestamp(epoch_ms / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def markdown_line(entry: Mapping[str, Any]) -> str:
    if entry.get("kind") is None:
        return f"- dead-man switch: {entry['detail']}"
    return (
        f"- dead-man switch ({entry['kind']} {entry['name']} on {entry['node']}): armed {entry['armed_at']}, "
        f"deadline {entry['deadline']}, {entry['outcome']}{': ' + entry['detail'] if entry['detail'] else ''}"
    )


# -- the drill's phases call these (hadrill.drill.phases: InjectFault, RecoverPrimary, RecoverAfterFailure) --


def arm(phase: Phase, state: DrillState) -> tuple[dict[str, Any] | None, dict[str, str]]:
    """Before the fault: (what was armed, for InjectFault's result; InjectFault's extra parameters).
    instance-stop: the schedule is created here. network-down: the fault command arms the node's timer
    itself, before it takes the network down (DeadManSeconds, DeadManUnit); it fails with exit 5, and
    injects nothing, when it cannot."""
    tools, request = phase.tools, state.request
    if request.dry_run:
        return None, {}
    facts = tools.facts
    armed, _ = plan(
        request.scenario, state.drill, node=facts.primary.name, now=tools.clock(), time_scale=tools.time_scale
    )
    if armed is None:
        return None, {}
    extra: dict[str, str] = {}
    if armed.kind == "start-schedule":
        create_schedule(
            _client(phase, "scheduler"),
            tools.dead_man,
            armed,
            instance_id=facts.primary.instance_id,
            cluster=facts.cluster_name,
        )
    else:
        extra = timer_parameters(armed.name, seconds_until(armed.deadline_epoch_ms, tools.clock()))
    phase.event(f"dead-man switch armed ({armed.kind}, deadline {_iso(armed.deadline_epoch_ms)})", armed.armed_epoch_ms)
    return armed.as_dict(), extra


def settle(phase: Phase, state: DrillState) -> dict[str, Any] | None:
    """In the recovery: disarm the switch (delete the schedule; stop the node's timer, which the
    recovery's reboot may have removed already), or learn that it fired. None when none was armed.
    A primary still unreachable keeps its timer: it is then the way back."""
    tools, request = phase.tools, state.request
    kind = kind_for(request.scenario)
    kept = state.result("InjectFault").deadManSwitch
    armed = kept.model_dump(exclude_unset=True) if kept is not None else None
    if kind is None or request.dry_run or (not armed and "InjectFault" not in state.failed):
        return None
    now = tools.clock()
    name = unit_name(state.drill.drill_id) if kind == "node-timer" else schedule_name(state.drill.drill_id)
    base = armed or {"kind": kind, "name": name, "node": tools.facts.primary.name}
    if kind == "start-schedule":
        outcome, detail = delete_schedule(_client(phase, "scheduler"), tools.dead_man, name)
        if not armed and outcome == "fired":  # the fault failed: no schedule was left, none ran
            outcome, detail = "disarmed", f"no schedule {name} left"
        phase.event(f"dead-man switch {outcome}")
        return disarmed(base, outcome, detail, now)
    primary = tools.facts.primary
    if offline_nodes(tools.ssm, [primary.instance_id]):
        return disarmed(base, "armed", f"{primary.name} unreachable: its timer reboots it at the deadline", now)
    command = NodeCommand(
        primary.instance_id,
        primary.name,
        tools.facts.document(DISARM_DOCUMENT),
        disarm_parameters(name),
        DISARM_TIMEOUT,
        tools.facts.node_log_group,
    )
    [result] = phase.run([command])
    if not result.succeeded:
        return disarmed(base, "armed", f"{DISARM_DOCUMENT} on {primary.name}: {result.status}", now)
    found, fired_ms, message = parse_disarm(result.stdout)
    outcome, detail = node_outcome(found, message)
    phase.event(f"dead-man switch {outcome}", fired_ms if outcome == "fired" else None)
    return disarmed(base, outcome, detail, fired_ms if fired_ms is not None else now)


def _client(phase: Phase, service: str) -> Any:
    if phase.tools.client is None:
        raise DeadManNotArmed(f"no {service} client for the dead-man switch")
    return phase.tools.client(service)
