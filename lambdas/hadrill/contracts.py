"""The contract between the layers: every name they share and the documents they pass each other, typed.

The stacks (CDK), the Lambda handlers, the CLI, the local runner and the bench all read their shared
names from here: environment variables, the metric namespace and names, S3 prefixes, SSM document names
and their timeouts, the drill's phases in their three spellings. The drill report, the setup result and
the fleet summary are pydantic models here too; ``docs/report.schema.json`` is generated from
:class:`DrillReport` (``python -m hadrill.contracts > docs/report.schema.json``, a test fails when it is
stale).

This module imports pydantic and the standard library only (no CDK, no boto3, no other hadrill module):
the stacks may import it, and a test asserts they import nothing else of the runtime package.

Documents are tolerant of keys added later (``extra="allow"``: a newer producer's report still loads in
an older reader) and strict about the keys they know (types, required keys, allowed values).
"""

from __future__ import annotations

import dataclasses
import json
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

# ---- Environment variables of the functions (set by the stacks and the local runner) ----
ENV_CLUSTER = "HADRILL_CLUSTER"  # hadrill.facts.ClusterFacts as JSON
ENV_RECORDS_TABLE = "HADRILL_RECORDS_TABLE"
ENV_TOPIC_ARN = "HADRILL_TOPIC_ARN"
ENV_POLL_SECONDS = "HADRILL_POLL_SECONDS"
ENV_REPORTS_BUCKET = "HADRILL_REPORTS_BUCKET"
ENV_FLEET = "HADRILL_FLEET"  # hadrill.fleet.FleetFacts as JSON
ENV_FLEET_REPORTS_BUCKET = "HADRILL_FLEET_REPORTS_BUCKET"
# The dead-man switch (issue 17, hadrill.drill.deadman): the schedule group and the role its schedules use.
ENV_DEAD_MAN_SCHEDULE_GROUP = "HADRILL_DEAD_MAN_SCHEDULE_GROUP"
ENV_DEAD_MAN_ROLE_ARN = "HADRILL_DEAD_MAN_ROLE_ARN"
# The client probe (issue 17). RunDrillPhase's: {"function": <probe function>, "port": <receive port>,
# "memoryMb": <its memory>}; the probe's: how often it writes without a change (ms).
ENV_CLIENT_PROBE = "HADRILL_CLIENT_PROBE"
ENV_PROBE_HEARTBEAT_MS = "HADRILL_PROBE_HEARTBEAT_MS"
# How often the client probe connects (unset: every 200 ms; the local world, whose takeovers last a
# fraction of a second, connects every 100 ms so that an outage of a few hundred ms is seen).
ENV_PROBE_INTERVAL_MS = "HADRILL_PROBE_INTERVAL_MS"
# Wait state seconds per wall-clock second (1 in AWS) and the cluster's expected durations: local only.
ENV_TIME_SCALE = "HADRILL_TIME_SCALE"
ENV_EXPECTED_SECONDS = "HADRILL_EXPECTED_SECONDS"
# "1": every phase result is checked against PhaseResult before it leaves the function, and a key the model
# does not name is refused (the local world and the tests; AWS passes results on unchecked).
ENV_STRICT_CONTRACTS = "HADRILL_STRICT_CONTRACTS"
# The interpreter that stands for the functions' runtime on this machine (bundling, the local endpoint, bench).
ENV_LAMBDA_PYTHON = "HADRILL_LAMBDA_PYTHON"
# Powertools reads these itself.
ENV_METRICS_NAMESPACE = "POWERTOOLS_METRICS_NAMESPACE"
ENV_LOG_LEVEL = "POWERTOOLS_LOG_LEVEL"

# ---- Metrics (Powertools EMF), read by the alarm and the dashboard ----
METRIC_NAMESPACE = "HADrill"
DRILL_SERVICE = "hadrill-drill"  # Powertools' "service" dimension of the drill metrics
SETUP_SERVICE = "hadrill-setup"
FLEET_SERVICE = "hadrill-fleet"
SWITCH_SERVICE = "hadrill-switch"
METRIC_DIMENSION_SERVICE = "service"
METRIC_DIMENSION_CLUSTER = "cluster"  # the drill metrics' second dimension: the cluster's name
METRIC_DRILL_RTO = "RtoSeconds"
METRIC_CLIENT_RTO = "ClientRtoSeconds"  # fault -> first successful connect to the VIP's receive port
# One count per drill by outcome ("Drill" + outcome title-cased).
METRIC_DRILL_PASSED = "DrillPassed"
METRIC_DRILL_FAILED = "DrillFailed"
METRIC_DRILL_ABORTED = "DrillAborted"
METRIC_SETUP_SUCCEEDED = "SetupSucceeded"
METRIC_SETUP_FAILED = "SetupFailed"

# ---- EventBridge detail types ----
EVENT_DRILL_COMPLETED = "Drill Completed"
EVENT_FLEET_DRILL_COMPLETED = "Fleet Drill Completed"
EVENT_SWITCH_COMPLETED = "Switch Completed"

# ---- S3 prefixes (reports bucket; fleet reports bucket) ----
REPORTS_PREFIX = "reports/"  # + <cluster>/<drill id>.{json,md,html}
CONFORMANCE_PREFIX = "conformance/"  # + <cluster>/<setup execution>/<node>.json: the probe's raw outputs
FLEET_REPORTS_PREFIX = "fleet-reports/"  # + <fleet>/<fleet id>.{json,md,html}


# Fleet drills: at most this many clusters drilled at once (an inline Map runs at most 40 iterations at
# once; and a fleet drill is a fault on every cluster it touches: keep the blast radius small).
MAX_FLEET_CONCURRENCY = 40


def outcome_metric(outcome: str) -> str:
    """The count metric of a drill outcome: PASSED -> DrillPassed."""
    return f"Drill{outcome.title()}"


# ---- SSM documents: names (before the cluster's prefix) and execution timeouts ----
DOC_CONFORMANCE_PROBE = "HADrill-ConformanceProbe"
DOC_LICENSE_AND_START = "HADrill-LicenseAndStart"
DOC_COMM_PATHS = "HADrill-CommPaths"
DOC_VIRTUAL_IP_RESOURCE = "HADrill-VirtualIpResource"
DOC_DATA_MIRROR = "HADrill-DataMirror"
DOC_NODE_STATUS = "HADrill-NodeStatus"
DOC_HOSTS_ENTRY = "HADrill-HostsEntry"
DOC_STAGE_MEDIA = "HADrill-StageMedia"
DOC_INSTALL_HULFT = "HADrill-InstallHulft"
DOC_INSTALL_RECOVERY_KIT = "HADrill-InstallRecoveryKit"
DOC_CREATE_HULFT_RESOURCE = "HADrill-CreateHulftResource"
DOC_WATCH_TAKEOVER = "HADrill-WatchTakeover"
DOC_INJECT_FAULT = "HADrill-InjectFault"
DOC_HEALTH_CHECK = "HADrill-HealthCheck"
DOC_DATA_MARKER = "HADrill-DataMarker"
DOC_DISARM_DEAD_MAN = "HADrill-DisarmDeadMan"  # the dead-man switch (issue 17)
DOCUMENT_NAME_PREFIX = "HADrill-"

# The document's own timeout (its aws:runShellScript step): what a setup step waits for at most.
DOCUMENT_TIMEOUT_SECONDS: dict[str, int] = {
    DOC_CONFORMANCE_PROBE: 300,
    DOC_LICENSE_AND_START: 600,
    DOC_COMM_PATHS: 600,
    DOC_VIRTUAL_IP_RESOURCE: 900,
    DOC_DATA_MIRROR: 3600,
    DOC_NODE_STATUS: 120,
    DOC_HOSTS_ENTRY: 60,
    DOC_STAGE_MEDIA: 1800,
    DOC_INSTALL_HULFT: 1800,
    DOC_INSTALL_RECOVERY_KIT: 900,
    DOC_CREATE_HULFT_RESOURCE: 1800,
    DOC_WATCH_TAKEOVER: 3600,
    DOC_INJECT_FAULT: 600,
    DOC_HEALTH_CHECK: 3600,
    DOC_DATA_MARKER: 60,
    DOC_DISARM_DEAD_MAN: 60,
}
DOCUMENT_NAMES: tuple[str, ...] = tuple(DOCUMENT_TIMEOUT_SECONDS)
# The documents each workflow's functions run (their IAM grants name exactly these).
SETUP_DOCUMENTS: frozenset[str] = frozenset(
    {
        DOC_NODE_STATUS,
        DOC_LICENSE_AND_START,
        DOC_COMM_PATHS,
        DOC_VIRTUAL_IP_RESOURCE,
        DOC_DATA_MIRROR,
        DOC_STAGE_MEDIA,
        DOC_HOSTS_ENTRY,
        DOC_INSTALL_HULFT,
        DOC_INSTALL_RECOVERY_KIT,
        DOC_CREATE_HULFT_RESOURCE,
    }
)
DRILL_DOCUMENTS: frozenset[str] = frozenset(
    {DOC_NODE_STATUS, DOC_WATCH_TAKEOVER, DOC_INJECT_FAULT, DOC_HEALTH_CHECK, DOC_DATA_MARKER, DOC_DISARM_DEAD_MAN}
)


# ---- What the node scripts print: one JSON result line each, last on stdout ----
# Written by lib.sh's hadrill_result, whose ``<kind>:<key>`` fields are the only way a script names a key;
# tests/scripts/test_result_contract.py holds every key a script names to the model of its document, and
# the simulated nodes check every line they print against it (simulator/cluster.py). Tolerant of added
# keys like the documents below, so a node script newer than the function reading it still parses.
class _ScriptPart(BaseModel):
    model_config = ConfigDict(extra="allow", strict=True, frozen=True)


class ScriptResult(_ScriptPart):
    """Every script's line: ok, changed, message; exit_code when it failed (2 parameter, 70 unexpected)."""

    ok: bool
    changed: bool
    message: str
    exit_code: int | None = None


class ConformanceRow(_ScriptPart):
    id: str
    status: str  # ok, MISMATCH or unchecked (hadrill.conformance reads it)
    assumption: str
    saw: str
    fix: str


class ConformanceProbeResult(ScriptResult):
    node: str
    resource_tool: str  # lkcli or kit-scripts (hadrill.conformance reads it)
    resource_tool_set: str
    checks: list[ConformanceRow]
    raw: dict[str, str] = Field(default_factory=dict)  # command line -> what it printed (cut)


class LicenseAndStartResult(ScriptResult):
    version: str | None = None
    started: bool | None = None
    init_wait_ms: int | None = None


class CommPathsResult(ScriptResult):
    paths: list[str] = Field(default_factory=list)


class VirtualIpResourceResult(ScriptResult):
    tag: str | None = None
    ip_tag: str | None = None
    virtual_ip: str | None = None


class ResyncProgress(_ScriptPart):
    ms: int  # since the wait began
    percent: str  # as mirror_status words it ("?" where it gives none)


class Resync(_ScriptPart):
    in_sync: bool
    waited_ms: int
    percent: str
    progress: list[ResyncProgress]


class DataMirrorResult(ScriptResult):
    tag: str | None = None
    filesystem_tag: str | None = None
    resync: Resync | None = None


class NodeStatusResult(ScriptResult):
    node: str
    lk_running: bool
    lk_initdone: bool
    lcdstatus: str  # lcdstatus -q, raw ("" while LifeKeeper is down)
    hulft_tag: str = ""  # both "" / False from a node script older than these fields
    hulft_defined: bool = False
    ps: str  # the HULFT lines of ps -ef, raw
    data_mounted: bool
    mirror_in_sync: bool
    mirror_status: str
    mirror_percent: str | None = None  # None from a node script older than this field
    hosts_entry: str
    packages: list[str]
    hulft_installed: str  # "<version> <role>" or ""


class HostsEntryResult(ScriptResult):
    entry: str | None = None


class StageMediaResult(ScriptResult):
    files: list[str] = Field(default_factory=list)


class InstallHulftResult(ScriptResult):
    installed: str | None = None  # "<version> <role>"


class InstallRecoveryKitResult(ScriptResult):
    package: str | None = None


class CreateHulftResourceResult(ScriptResult):
    tag: str | None = None


class WatchTimelineEntry(_ScriptPart):
    epoch_ms: int
    event: str


class WatchSeen(_ScriptPart):
    """One poll of the watcher that saw something change: every resource's state, the daemons up."""

    epoch_ms: int
    resources: dict[str, str]  # resource tag -> ISP, OSU, ...
    daemons: list[str]


class WatchTakeoverResult(ScriptResult):
    watch_started_epoch_ms: int | None = None
    polls: int | None = None
    last_poll_epoch_ms: int | None = None  # Mode=status
    takeover_epoch_ms: int | None = None  # when the takeover was seen complete
    timeline: list[WatchTimelineEntry] = Field(default_factory=list)
    seen: list[WatchSeen] = Field(default_factory=list)
    clock: str | None = None  # chronyc -n tracking, raw ("" without chrony)


FaultKind = Literal["network-down", "network-down-stamp", "hulft-daemon-kill", "switchover"]


class InjectFaultResult(ScriptResult):
    fault: FaultKind | None = None
    fault_epoch_ms: int | None = None  # network-down: predicted (request + delay); the others: observed
    requested_epoch_ms: int | None = None
    stamp_epoch_ms: int | None = None  # network-down-stamp: when the interface went down
    completed_epoch_ms: int | None = None  # switchover: when LifeKeeper finished it
    daemon: str | None = None
    clock: str | None = None


class HealthCheckRow(_ScriptPart):
    name: str
    passed: bool
    detail: str


class HealthCheckResult(ScriptResult):
    checks: list[HealthCheckRow] = Field(default_factory=list)
    lcdstatus: str = ""


class DataMarkerResult(ScriptResult):
    path: str | None = None
    written_epoch_ms: int | None = None
    found: bool | None = None


class DisarmDeadManResult(ScriptResult):
    outcome: Literal["fired", "disarmed", "gone"] | None = None
    fired_epoch_ms: int | None = None


# Each document's result line (by the document's name before the cluster's prefix).
SCRIPT_RESULTS: dict[str, type[ScriptResult]] = {
    DOC_CONFORMANCE_PROBE: ConformanceProbeResult,
    DOC_LICENSE_AND_START: LicenseAndStartResult,
    DOC_COMM_PATHS: CommPathsResult,
    DOC_VIRTUAL_IP_RESOURCE: VirtualIpResourceResult,
    DOC_DATA_MIRROR: DataMirrorResult,
    DOC_NODE_STATUS: NodeStatusResult,
    DOC_HOSTS_ENTRY: HostsEntryResult,
    DOC_STAGE_MEDIA: StageMediaResult,
    DOC_INSTALL_HULFT: InstallHulftResult,
    DOC_INSTALL_RECOVERY_KIT: InstallRecoveryKitResult,
    DOC_CREATE_HULFT_RESOURCE: CreateHulftResourceResult,
    DOC_WATCH_TAKEOVER: WatchTakeoverResult,
    DOC_INJECT_FAULT: InjectFaultResult,
    DOC_HEALTH_CHECK: HealthCheckResult,
    DOC_DATA_MARKER: DataMarkerResult,
    DOC_DISARM_DEAD_MAN: DisarmDeadManResult,
}


def undeclared_keys(result: BaseModel, where: str = "") -> list[str]:
    """The keys of a parsed result (nested parts too) its model does not name: a script breaking its
    contract (the simulated nodes refuse such a line; production tolerates it)."""
    found = [f"{where}{key}" for key in result.model_extra or {}]
    for name in type(result).model_fields:
        value = getattr(result, name)
        items = [(f"{name}.{index}.", item) for index, item in enumerate(value)] if isinstance(value, list) else []
        for prefix, item in [*items, (f"{name}.", value)]:
            if isinstance(item, BaseModel):
                found += undeclared_keys(item, f"{where}{prefix}")
    return found


# ---- The drill's phases: the state's name, the Lambda's ``phase`` field, and the report's group ----
CheckGroup = Literal["preflight", "verify", "recovery", "postflight"]
CHECK_GROUPS: tuple[CheckGroup, ...] = ("preflight", "verify", "recovery", "postflight")
CHECK_GROUP_TITLES: dict[CheckGroup, str] = {
    "preflight": "Preflight",
    "verify": "Takeover",
    "recovery": "Recovery",
    "postflight": "Postflight",
}


@dataclass(frozen=True)
class DrillPhase:
    state: str  # the Step Functions state (and the key of $.phases / $.failed): "WaitForTakeover"
    phase: str | None  # RunDrillPhase's ``phase`` field: "wait-for-takeover" (None: another function)
    group: CheckGroup  # where its checks go in a report
    # Its summary is the count of its checks ("13/13 checks passed"), which readers count themselves from
    # the checks (in the reader's language), adding the result's typed ``note`` (PhaseResult) if any.
    summary_is_count: bool = False


DRILL_PHASES: tuple[DrillPhase, ...] = (
    DrillPhase("ValidateInput", None, "preflight"),
    DrillPhase("TakeLock", "take-lock", "preflight"),
    DrillPhase("Preflight", "preflight", "preflight", summary_is_count=True),
    DrillPhase("StartWatcher", "start-watcher", "preflight"),
    DrillPhase("InjectFault", "inject-fault", "verify"),
    DrillPhase("WaitForTakeover", "wait-for-takeover", "verify"),
    DrillPhase("VerifyTakeover", "verify-takeover", "verify", summary_is_count=True),
    DrillPhase("RecoverPrimary", "recover-primary", "recovery"),
    DrillPhase("Switchback", "switchback", "recovery"),
    DrillPhase("Postflight", "postflight", "postflight", summary_is_count=True),
    DrillPhase("RecoverAfterFailure", "recover-after-failure", "recovery"),
    DrillPhase("ReleaseLock", "release-lock", "postflight"),
)
PHASE_BY_STATE: dict[str, DrillPhase] = {p.state: p for p in DRILL_PHASES}
STATE_OF_PHASE: dict[str, str] = {p.phase: p.state for p in DRILL_PHASES if p.phase is not None}
# The phases that may wait in a Wait state (the state machine loops them through one).
WAITING_STATES: tuple[str, ...] = ("WaitForTakeover", "RecoverPrimary", "Switchback")


def check_group(state: str) -> CheckGroup:
    """The report group of a state's checks (an unknown state's checks go with the recovery)."""
    known = PHASE_BY_STATE.get(state)
    return known.group if known is not None else "recovery"


# ---- Times: one formatter for every report and message ----
def iso_utc(epoch_ms: int | float) -> str:
    """ISO 8601 UTC with milliseconds: 2026-11-26T01:15:36.160Z (the reports' and records' format)."""
    return datetime.fromtimestamp(epoch_ms / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def now_iso() -> str:
    return iso_utc(datetime.now(UTC).timestamp() * 1000)


def epoch_ms_of(iso: str) -> int:
    """The inverse of iso_utc (any ISO 8601 with a zone; a bare one is taken as UTC)."""
    moment = datetime.fromisoformat(iso.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return round(moment.timestamp() * 1000)


def human_time(epoch_ms: int | float, zone: tzinfo | None = None) -> str:
    """For people: the time in the operator's zone, with UTC beside it unless the zone is UTC.

    ``2026-11-26 10:15:36.160 JST (01:15:36.160 UTC)``; ``zone`` None: this machine's local zone."""
    utc = datetime.fromtimestamp(epoch_ms / 1000, UTC)
    local = utc.astimezone(zone)
    millis = f"{local.microsecond // 1000:03d}"
    text = f"{local:%Y-%m-%d %H:%M:%S}.{millis} {local.tzname() or local.strftime('%z')}"
    if local.utcoffset() == utc.utcoffset():
        return text if local.tzname() == "UTC" else f"{text} (UTC)"
    return f"{text} ({utc:%H:%M:%S}.{millis} UTC)"


def camel_fields(record: Any) -> dict[str, Any]:
    """A dataclass's fields under their camelCase names: how a phase result keeps them in the state."""
    return {to_camel(field.name): getattr(record, field.name) for field in dataclasses.fields(record)}


# ---- Documents ----
class _Document(BaseModel):
    # Tolerant of keys a newer producer adds; strict about the ones named here (no "1" for 1, no 1 for
    # true: what the model accepts, the published schema accepts too).
    model_config = ConfigDict(extra="allow", strict=True)


Outcome = Literal["PASSED", "FAILED", "ABORTED"]
TimelineKind = Literal["start", "fault", "first-sign", "takeover", "failure", "finish", "event"]


class ReportCheck(_Document):
    phase: str = Field(description="The state that ran the check (Preflight, VerifyTakeover, ...).")
    group: CheckGroup = Field(description="Where the check is shown: preflight, verify, recovery or postflight.")
    name: str
    passed: bool
    detail: str


class TimelineEntry(_Document):
    phase: str = Field(description="What happened, in words (for people; readers use kind and epoch_ms).")
    at: str = Field(description="ISO 8601 UTC with milliseconds.")
    epoch_ms: int
    kind: TimelineKind = Field(description="What the entry marks: the fault and the takeover are typed here.")
    state: str | None = Field(description="The state that recorded it; None for the drill's start and finish.")


class WatcherEvent(_Document):
    epochMs: int  # noqa: N815 (the watcher's own key)
    event: str


class Recovery(_Document):
    recovered: bool | None
    actions: list[str]
    detail: str


class Switchback(_Document):
    requested: bool
    switched_back: bool
    seconds: float | None
    detail: str


class Lock(_Document):
    taken: bool
    broken_stale_lock: dict[str, Any] | None


class EstimatedUsd(_Document):
    step_functions: float
    # "lambda" is a keyword: the attribute has another name, the JSON key stays.
    lambda_: float = Field(alias="lambda")
    ssm_run_command: float
    total: float


class Cost(_Document):
    state_transitions: int
    lambda_invocations: int
    lambda_gb_seconds: float
    ssm_commands: int
    estimated_usd: EstimatedUsd
    method: str


# Parts the drill's phases write in camelCase (their state-document keys) and the report passes on as is.
_CAMEL = ConfigDict(extra="allow", strict=True, alias_generator=to_camel, validate_by_name=True, validate_by_alias=True)


class RtoEnd(_Document):
    """One end of the RTO: when, and how it is known."""

    epoch_ms: int
    at: str = Field(description="ISO 8601 UTC with milliseconds.")
    source: str = Field(description="Where the moment was read (e.g. the primary's network-down stamp).")
    observed: bool | None = Field(
        default=None, description="False: a prediction (the RTO is then an estimate). Absent: observed by design."
    )
    predicted_epoch_ms: int | None = Field(default=None, description="The drill's prediction, shown beside it.")
    predicted_at: str | None = None


class WatcherStart(_Document):
    """When the takeover watcher on the standby started, against the fault."""

    started_epoch_ms: int | None
    started_at: str | None
    started_before_fault: bool | None = Field(description="False: the RTO is an upper bound.")
    confirmed_before_fault: bool
    polls_before_fault: int | None
    not_confirmed_why: str | None


class ClockReading(_Document):
    """One node's `chronyc tracking` read around the fault (the RTO subtracts two nodes' clocks)."""

    model_config = _CAMEL

    node: str
    when: str
    known: bool
    why: str | None = None
    reference: str | None = None
    stratum: int | None = None
    offset_seconds: float | None = Field(default=None, description="System clock minus true time; positive: fast.")
    rms_offset_seconds: float | None = None
    root_dispersion_seconds: float | None = None
    leap_status: str | None = None
    synchronised: bool | None = None


class ClientRto(_Document):
    """What a HULFT partner saw: the fault to the first successful connect to the VIP's receive port."""

    model_config = _CAMEL

    measured: bool
    detail: str
    passed: bool | None = None
    target: str | None = Field(default=None, description="host:port the probe connected to.")
    seconds: float | None = None
    gap_to_node_rto_seconds: float | None = Field(default=None, description="Client RTO minus the node RTO.")
    outage_epoch_ms: int | None = None
    first_connect_epoch_ms: int | None = None
    attempts: int | None = None
    writes: int | None = None
    failures: int | None = None
    node_rto_seconds: float | None = None
    probe_ms: int | None = None
    probe_memory_mb: int | None = None


class DeadManSwitch(_Document):
    """The node-local timer armed with the fault that restores the primary if the drill dies."""

    kind: str | None
    name: str | None = None
    node: str | None = None
    armed_at: str | None
    deadline: str | None
    outcome: str | None = Field(description="armed, disarmed, fired, ... (None: nothing armed).")
    detail: str


class DrillReport(_Document):
    """The drill report (reports/<cluster>/<drill id>.json): what the HTML, the Markdown and the CLI show."""

    model_config = ConfigDict(
        extra="allow",
        strict=True,
        title="HADrill drill report",
        json_schema_extra={"$id": "https://hulft-lifekeeper-drills/report.schema.json"},
    )

    drill_id: str
    cluster: str
    execution: str
    started_by: str | None = Field(description="The fleet drill execution that started this drill, if any.")
    scenario: str | None
    dry_run: bool
    outcome: Outcome
    reason: str
    started: str
    finished: str
    duration_seconds: float
    rto_seconds: float | None
    rto_is_upper_bound: bool
    detection_seconds: float | None
    restore_seconds: float | None
    rto_is_estimate: bool | None = Field(
        default=None, description="True: an end of the RTO was predicted, not observed (None: no RTO)."
    )
    rto_start: RtoEnd | None = None
    rto_end: RtoEnd | None = None
    rto_upper_bound_reason: str | None = None
    watcher: WatcherStart | None = None
    clocks: list[ClockReading] = Field(default_factory=list)
    client_rto: ClientRto | None = None
    dead_man_switch: DeadManSwitch | None = None
    max_rto_seconds: float | None
    takeover_timeout_seconds: int | None
    from_node: str | None
    to_node: str | None
    fault_epoch_ms: int | None = Field(description="When the fault hit the primary (None: no fault).")
    takeover_epoch_ms: int | None = Field(description="When the standby (or local recovery) had HULFT back.")
    checks: list[ReportCheck]
    timeline: list[TimelineEntry]
    watcher_timeline: list[WatcherEvent]
    recovery: Recovery
    switchback: Switchback
    lock: Lock
    phases: dict[str, str] = Field(description="Each state's one-line summary (for people).")
    cost: Cost


def report_document(document: Mapping[str, Any]) -> dict[str, Any]:
    """``document`` checked against :class:`DrillReport` and passed on as given: no key the producer
    left out is added (a report written before a field existed round-trips unchanged)."""
    return DrillReport.model_validate(document).model_dump(by_alias=True, mode="json", exclude_unset=True)


def report_schema() -> dict[str, Any]:
    """docs/report.schema.json: the JSON Schema of the drill report, from :class:`DrillReport`."""
    schema = DrillReport.model_json_schema(by_alias=True, mode="serialization")
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", **schema}


def report_schema_text() -> str:
    return json.dumps(report_schema(), indent=2, sort_keys=False) + "\n"


class PhaseCheck(_Document):
    name: str
    passed: bool
    detail: str


class PhaseEvent(_Document):
    phase: str  # what happened, in words
    epochMs: int  # noqa: N815 (the state document's camelCase)


class _State(BaseModel):
    # A part of a phase result as the state keeps it (camelCase): strict about the keys it names,
    # tolerant of added ones (undeclared_keys finds those; the local world refuses them).
    model_config = ConfigDict(extra="allow", strict=True)


class RtoStartState(_State):
    epochMs: int  # noqa: N815
    source: str
    observed: bool
    predictedEpochMs: int | None = None  # noqa: N815


class RtoEndState(_State):
    epochMs: int  # noqa: N815
    source: str


class MeasurementState(_State):
    """hadrill.drill.measure.Measurement as a phase result carries it."""

    rtoSeconds: float  # noqa: N815
    rtoIsUpperBound: bool  # noqa: N815
    rtoIsEstimate: bool  # noqa: N815
    detectionSeconds: float | None  # noqa: N815
    restoreSeconds: float | None  # noqa: N815
    faultEpochMs: int  # noqa: N815
    takeoverEpochMs: int  # noqa: N815
    rtoStart: RtoStartState  # noqa: N815
    rtoEnd: RtoEndState  # noqa: N815
    rtoUpperBoundReason: str | None  # noqa: N815


class CommandSent(_State):
    """A node command sent by one phase and collected by a later one (the watcher, a switchover)."""

    commandId: str  # noqa: N815
    node: str
    timeoutSeconds: int  # noqa: N815


class WatcherConfirmed(_State):
    node: str
    startedEpochMs: int  # noqa: N815
    polls: int
    lastPollEpochMs: int  # noqa: N815
    confirmedEpochMs: int  # noqa: N815


class WatcherTimelineEntry(_State):
    epochMs: int  # noqa: N815
    event: str


class ProbeStart(_State):
    """InjectFault's start of the client probe (hadrill.drill.probe_hooks.start)."""

    started: bool
    deployed: bool | None = None  # False: no probe function in this deployment
    reason: str | None = None  # why it did not start
    target: str | None = None  # host:port
    startedEpochMs: int | None = None  # noqa: N815
    untilEpochMs: int | None = None  # noqa: N815
    reporting: bool | None = None  # its first record arrived before the fault


class DeadManState(_State):
    """The dead-man switch as InjectFault armed it and the recovery settled it (hadrill.drill.deadman)."""

    kind: str | None = None  # node-timer, start-schedule
    name: str | None = None
    node: str | None = None
    armedEpochMs: int | None = None  # noqa: N815
    deadlineEpochMs: int | None = None  # noqa: N815
    outcome: str | None = None  # armed, disarmed, fired, gone
    detail: str | None = None
    settledEpochMs: int | None = None  # noqa: N815


class PhaseResult(_State):
    """What a drill phase (or a switch step) returns, kept by the state machine under
    ``$.phases.<State>.result``: every key any phase writes, typed. Where contracts are strict (the local
    world, the tests) hadrill.drill.runtime.Phase.result checks each result against it before it leaves
    the function, and refuses a key named nowhere here."""

    # Every phase
    summary: str = ""
    checks: list[PhaseCheck] = Field(default_factory=list)
    events: list[PhaseEvent] = Field(default_factory=list)
    skipped: bool = False
    # For a phase whose summary is its check count (DrillPhase.summary_is_count): what it says besides.
    note: str | None = None
    ssmCommands: int = 0  # noqa: N815
    # The bill the handler adds (handlers.workflow.billing): the step's Lambda time in all its runs, its
    # memory, and of this run's time how much it slept polling node commands.
    lambdaMs: float | None = None  # noqa: N815
    memoryMb: int | None = None  # noqa: N815
    sleptMs: float | None = None  # noqa: N815
    waits: int | None = None  # how often the phase asked the state machine to wait and run it again
    waitSeconds: int | None = None  # noqa: N815 (this time: wait so long, then run the phase again)
    clocks: list[ClockReading] | None = None
    # TakeLock, and ReleaseLock (which is no phase, but returns the same way)
    taken: bool | None = None
    released: bool | None = None
    brokenStaleLock: dict[str, str] | None = None  # noqa: N815
    # StartWatcher, InjectFault (hulft-daemon-kill watches the primary)
    watcher: CommandSent | None = None
    watcherConfirmed: WatcherConfirmed | None = None  # noqa: N815
    watcherUnconfirmed: str | None = None  # noqa: N815
    # InjectFault
    fault: str | None = None
    requestedEpochMs: int | None = None  # noqa: N815
    faultCommand: CommandSent | None = None  # noqa: N815 (a switchover, collected by WaitForTakeover)
    clientProbe: ProbeStart | None = None  # noqa: N815
    deadManSwitch: DeadManState | None = None  # noqa: N815 (InjectFault: armed; the recoveries: settled)
    # WaitForTakeover (the measurement, optional here: the phase waits before it has one)
    rtoSeconds: float | None = None  # noqa: N815
    rtoIsUpperBound: bool | None = None  # noqa: N815
    rtoIsEstimate: bool | None = None  # noqa: N815
    detectionSeconds: float | None = None  # noqa: N815
    restoreSeconds: float | None = None  # noqa: N815
    faultEpochMs: int | None = None  # noqa: N815
    takeoverEpochMs: int | None = None  # noqa: N815
    rtoStart: RtoStartState | None = None  # noqa: N815
    rtoEnd: RtoEndState | None = None  # noqa: N815
    rtoUpperBoundReason: str | None = None  # noqa: N815
    toNode: str | None = None  # noqa: N815
    watcherTimeline: list[WatcherTimelineEntry] | None = None  # noqa: N815
    watchStartedEpochMs: int | None = None  # noqa: N815
    watchPolls: int | None = None  # noqa: N815
    # VerifyTakeover
    clientRto: ClientRto | None = None  # noqa: N815 (as the report shows it, camelCase)
    # RecoverPrimary: the recovery's own progress between its runs, then its outcome
    recovery: dict[str, Any] | None = None
    recovered: bool | None = None
    actions: list[str] | None = None
    measurement: MeasurementState | None = None  # network-down: the RTO again, from the node's stamp
    # Switchback (the drill's, and the switch workflow's Switchover), RecoverAfterFailure
    switchover: dict[str, Any] | None = None  # the switchover sent, between the phase's runs (opaque)
    switchedBack: bool | None = None  # noqa: N815
    seconds: float | None = None
    errors: list[str] | None = None
    activeNode: str | None = None  # noqa: N815
    # The switch workflow's steps (hadrill.switch.steps), which run as phases too
    noop: bool | None = None  # the hierarchy is on the target already
    fromNode: str | None = None  # noqa: N815
    health: dict[str, Any] | None = None  # Postflight's HealthCheck sent, between its runs (opaque)
    activeNodes: list[str] | None = None  # noqa: N815 (Inspect: where the hierarchy is in service)
    routeNode: str | None = None  # noqa: N815


def summary_is_count(state: str) -> bool:
    known = PHASE_BY_STATE.get(state)
    return known is not None and known.summary_is_count


class SetupResult(_Document):
    """What RecordSetupResult returns (the setup execution's output): the outcome and its record."""

    outcome: Literal["SUCCEEDED", "FAILED"]
    recordId: str  # noqa: N815 (the state machine's key)
    error: str | None = None
    cause: str | None = None


FleetOutcome = Literal["PASSED", "FAILED"]
ClusterOutcome = Literal["PASSED", "FAILED", "ABORTED", "NOT_RUN"]


class FleetCost(_Document):
    state_transitions: int | None
    lambda_invocations: int | None
    ssm_commands: int | None


class FleetRow(_Document):
    cluster: str
    drill_id: str
    outcome: ClusterOutcome
    rto_seconds: float | None
    max_rto_seconds: float | None
    reason: str
    failed_checks: list[str]
    recovered: bool | None
    report: dict[str, str]
    cost: FleetCost | None


class FleetRtoSpread(_Document):
    max: float | None
    mean: float | None
    median: float | None
    slowest_cluster: str | None


class FleetSummary(_Document):
    """The fleet drill's summary (fleet-reports/<fleet>/<fleet id>.json)."""

    fleet_id: str
    fleet: str
    execution: str
    scenario: str | None
    dry_run: bool
    max_concurrency: int | None
    outcome: FleetOutcome
    reason: str
    started: str
    finished: str
    duration_seconds: float
    counts: dict[ClusterOutcome, int]
    rto_seconds: FleetRtoSpread
    drills: list[FleetRow]


if __name__ == "__main__":
    sys.stdout.write(report_schema_text())
