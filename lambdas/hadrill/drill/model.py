"""What a drill is asked to do (the execution input), what it knows about itself, and how it fails."""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool
from pydantic.alias_generators import to_camel

from hadrill import fields as f
from hadrill.contracts import PhaseResult
from hadrill.facts import ClusterFacts
from hadrill.inputs import problem_with, validate_execution_input

Scenario = Literal["network-down", "instance-stop", "instance-reboot", "hulft-daemon-kill", "switchover"]
SCENARIOS: tuple[Scenario, ...] = (
    "network-down",
    "instance-stop",
    "instance-reboot",
    "hulft-daemon-kill",
    "switchover",
)
# Scenarios in which the standby is expected to take the hierarchy over (a daemon kill is recovered
# in place by LifeKeeper's local recovery).
FAILOVER_SCENARIOS: frozenset[Scenario] = frozenset({"network-down", "instance-stop", "instance-reboot", "switchover"})
# Scenarios whose fault is an EC2 API call made by the Lambda (stamped there), not a node command.
EC2_SCENARIOS: frozenset[Scenario] = frozenset({"instance-stop", "instance-reboot"})

# A wait for the takeover happens inside one invocation of a 900 s function: leave room for the
# rest of that invocation (sending, parsing, alarm checks).
MAX_TAKEOVER_TIMEOUT_SECONDS = 780
# The state machine's own timeout is 2 h (stacks/orchestration/stack.py): leave room for recovery.
MAX_DRILL_SECONDS = 5400
# How long after a crashed drill its lock may be broken by the next one: the drill's own limit plus
# time for its recovery, which runs even after the limit.
RECOVERY_ALLOWANCE_SECONDS = 1800
DRILL_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,79}$")
# The key Step Functions reads in a nested execution's input to link it to its parent in the
# console; a fleet drill sets it on each cluster's drill.
STARTED_BY_KEY = "AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID"
EXECUTION_ARN = r"^arn:aws[a-z-]*:states:[a-z0-9-]+:[0-9]{12}:execution:[A-Za-z0-9_.-]{1,80}:[A-Za-z0-9_.-]{1,80}$"

Outcome = Literal["PASSED", "FAILED", "ABORTED"]
AlarmName = f.AlarmName


class InvalidDrillInput(ValueError):
    """The execution input is wrong; the message names the field. Nothing was sent to a node."""


class DrillLocked(Exception):
    """Another drill holds this cluster's lock: this one touches nothing."""


class PreflightFailed(Exception):
    """The cluster is not healthy enough to be drilled; the message lists the failing checks."""


class StopConditionAlarm(Exception):
    """A stop-condition alarm is in ALARM: the drill stops and recovers."""


class DrillTimeExceeded(Exception):
    """The drill ran past maxDrillSeconds: it stops and recovers."""


class FaultNotInjected(Exception):
    """The fault command or API call did not do what it should; the message says what happened."""


class NoTakeover(Exception):
    """The standby did not take over (or the local recovery did not happen) in time."""


class ImplausibleRto(Exception):
    """The stamps give a negative or implausibly long RTO: the nodes' clocks (or a stamp) cannot be trusted
    for this drill. The message names both stamps, their clocks, and what to look at."""


class VerificationFailed(Exception):
    """The takeover could not be verified (a status command failed on the node that took over)."""


class RecoveryFailed(Exception):
    """The primary did not come back healthy: it needs an operator."""


class SwitchbackFailed(Exception):
    """The hierarchy did not move back to the primary."""


class DrillInput(BaseModel):
    """The drill execution's input (camelCase, as typed in the console or the CLI)."""

    model_config = ConfigDict(extra="forbid", frozen=True, alias_generator=to_camel, populate_by_name=True)

    cluster: f.ClusterName
    scenario: Scenario = "network-down"
    dry_run: StrictBool = False
    switchback: StrictBool = True
    # The SLO: a takeover slower than this makes the drill FAILED (it still recovers). Strict numbers
    # (hadrill.fields): JSON true is not 1 s.
    max_rto_seconds: f.Seconds = Field(default=120.0, gt=0, le=3600)
    # How long to wait for the takeover after the fault before calling it failed.
    takeover_timeout_seconds: f.StrictWhole = Field(default=300, ge=1, le=MAX_TAKEOVER_TIMEOUT_SECONDS)
    # How long the recovery waits for a node to boot, and then for comm paths and the mirror resync.
    recovery_timeout_seconds: f.StrictWhole = Field(default=600, ge=1, le=MAX_TAKEOVER_TIMEOUT_SECONDS)
    # CloudWatch alarm names: any of them in ALARM before or during the fault stops the drill.
    stop_condition_alarms: tuple[AlarmName, ...] = Field(default=(), max_length=20)
    # The whole drill's time limit (the lock's lifetime is this plus the recovery allowance).
    max_drill_seconds: f.StrictWhole = Field(default=3600, ge=60, le=MAX_DRILL_SECONDS)
    # Set by a fleet drill: the fleet execution that started this one.
    started_by: str | None = Field(
        default=None, alias="AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID", pattern=EXECUTION_ARN
    )  # STARTED_BY_KEY (a literal here: pydantic reads aliases statically)

    @property
    def expects_failover(self) -> bool:
        return self.scenario in FAILOVER_SCENARIOS


class DrillContext(BaseModel):
    """What the first state works out once and every later state reads."""

    model_config = ConfigDict(extra="forbid", frozen=True, alias_generator=to_camel, populate_by_name=True)

    drill_id: str
    execution: str
    started_epoch_ms: int
    deadline_epoch_ms: int  # started + maxDrillSeconds: phases before the recovery stop here
    lock_expires_epoch_ms: int


def unwrap_phases(raw: object) -> dict[str, dict[str, Any]]:
    """``$.phases`` as the state machine keeps it ({"<State>": {"result": <the function's result>}})
    as a plain {"<State>": <result>}."""
    if not isinstance(raw, dict):
        return {}
    phases: dict[str, dict[str, Any]] = {}
    for name, value in raw.items():
        inner = value.get("result", value) if isinstance(value, dict) else {}
        phases[str(name)] = inner if isinstance(inner, dict) else {}
    return phases


def typed_phases(raw: object) -> dict[str, PhaseResult]:
    """``$.phases`` as typed results (hadrill.contracts.PhaseResult) by state: how the reports read them."""
    return {name: PhaseResult.model_validate(result) for name, result in unwrap_phases(raw).items()}


def timing_problem(request: DrillInput) -> str | None:
    """The config's rule (drills.takeover_timeout_seconds >= max_rto_seconds) for an input that sets both:
    a drill that stops waiting before the SLO is up can never measure a slow takeover. Checked on the
    execution's own input (ValidateInput, and the CLI before it starts one), not on the copies later
    states validate: a local drill's shorter wait with the default SLO stays allowed. A drill a fleet
    started is exempt: its SLO is the member's config and its wait the fleet's override, and the fleet
    checked the pair it was given (FleetDrillInput)."""
    both = {"max_rto_seconds", "takeover_timeout_seconds"} <= request.model_fields_set
    if both and request.started_by is None and request.takeover_timeout_seconds < request.max_rto_seconds:
        return (
            f"takeoverTimeoutSeconds: {request.takeover_timeout_seconds} is shorter than maxRtoSeconds "
            f"{request.max_rto_seconds:g}"
        )
    return None


def input_problem(event: object) -> str | None:
    """What is wrong with a drill execution's input (None: nothing); the CLI's check before it starts one."""
    problem = problem_with(DrillInput, event)
    return problem or timing_problem(DrillInput.model_validate(event))


def validate_input(event: object, facts: ClusterFacts) -> DrillInput:
    request = validate_execution_input(event, DrillInput, cluster=facts.cluster_name, error=InvalidDrillInput)
    problem = timing_problem(request)
    if problem:
        raise InvalidDrillInput(problem)
    return request


def drill_context(request: DrillInput, *, execution: str, execution_name: str, now_ms: int) -> DrillContext:
    """The drill id is the execution's name (unique per state machine), so console and report agree."""
    drill_id = execution_name if DRILL_ID.fullmatch(execution_name) else f"drill-{now_ms}"
    return DrillContext(
        drill_id=drill_id,
        execution=execution,
        started_epoch_ms=now_ms,
        deadline_epoch_ms=now_ms + request.max_drill_seconds * 1000,
        lock_expires_epoch_ms=now_ms + (request.max_drill_seconds + RECOVERY_ALLOWANCE_SECONDS) * 1000,
    )
