"""One description of the orchestration: functions, documents, state machines, environment.

The CDK orchestration stack and the local world both read this, so a handler name, an
environment variable or a `${Substitution}` cannot differ between what `cdk deploy` creates and
what `hadrill --local` runs. It imports no CDK: the local world must not pay for jsii.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal, TypedDict

if TYPE_CHECKING:
    from stacks.config import DeploymentConfig

from hadrill import contracts as c

REPO = Path(__file__).resolve().parents[2]
STATEMACHINES_DIR = REPO / "statemachines"
DOCUMENTS_DIR = REPO / "documents"
LAMBDAS_DIR = REPO / "lambdas"


# What a function may touch; the stack turns each into IAM statements on named resources.
Access = Literal[
    "node-commands",  # ssm:SendCommand with our documents to this cluster's two instances
    "node-power",  # ec2:Stop/Start/RebootInstances on this cluster's two instances
    "route-read",  # ec2:DescribeRouteTables (where the virtual IP route points)
    "records-write",  # the records table: put/update/delete (drill records and the drill lock)
    "records-read",  # the records table: get/query (history)
    "notify",  # sns:Publish on the cluster's topic
    "reports-write",  # s3:PutObject under reports/ in the reports bucket
    "conformance-write",  # s3:PutObject under conformance/<cluster>/ in the reports bucket (probe raw outputs)
    "events-put",  # events:PutEvents on the default bus ("Drill Completed")
    "alarms-read",  # cloudwatch:DescribeAlarms (stop conditions)
    "cluster-reports-read",  # s3:GetObject under reports/<cluster>/ in each fleet member's reports bucket
    "drill-executions-read",  # states:DescribeExecution on the fleet members' drill executions
    "fleet-reports-write",  # s3:PutObject under fleet-reports/ in the fleet reports bucket
    # issue 17: the dead-man switch's schedules (scheduler:Create/DeleteSchedule in the cluster's group,
    # iam:PassRole of its scheduler role only) and the drill lock's staleness (states:DescribeExecution
    # on this cluster's own executions)
    "dead-man-schedules",
    "executions-read",
    "probe-record",  # dynamodb:UpdateItem on the records table, this cluster's items only (the client probe)
    "probe-invoke",  # lambda:InvokeFunction on the client probe function (RunDrillPhase starts it)
    "history-read",  # states:GetExecutionHistory on the drill's executions (the cost from the history)
]


@dataclass(frozen=True)
class FunctionSpec:
    """One Lambda function: its logical name, handler, the ASL placeholder for its ARN, its access."""

    name: str
    handler: str
    description: str
    timeout_seconds: int
    access: frozenset[Access] = frozenset()
    memory_mb: int = 256
    # With "node-commands": the SSM documents (base names) it may send, and no others. A test keeps
    # these equal to the documents the domain code sends (hadrill.setup, hadrill.drill.phases).
    documents: frozenset[str] = frozenset()

    @property
    def substitution(self) -> str:
        return f"{self.name}FunctionArn"


@dataclass(frozen=True)
class StateMachineSpec:
    name: str
    definition_file: Path
    functions: tuple[FunctionSpec, ...]

    def definition(self) -> str:
        return self.definition_file.read_text(encoding="utf-8")


# Waiting functions get Lambda's maximum: they wait for node commands inside the invocation.
SETUP_FUNCTIONS = (
    FunctionSpec("ValidateSetupInput", "handlers.setup.validate_input", "Validate a setup execution's input", 30),
    FunctionSpec(
        "ProbeConformance",
        "handlers.setup.probe_conformance",
        "Run the read-only conformance probe on both nodes, save its raw outputs, return the table",
        900,
        frozenset({"node-commands", "conformance-write"}),
        documents=frozenset({c.DOC_CONFORMANCE_PROBE}),
    ),
    FunctionSpec(
        "RunSetupStep",
        "handlers.setup.run_step",
        "Run one setup step on the nodes and wait for it",
        900,
        frozenset({"node-commands"}),
        documents=c.SETUP_DOCUMENTS,
    ),
    FunctionSpec(
        "RecordSetupResult",
        "handlers.setup.record_result",
        "Record and notify a setup result",
        60,
        frozenset({"records-write", "notify"}),
    ),
)

SETUP = StateMachineSpec("Setup", STATEMACHINES_DIR / "setup.asl.json", SETUP_FUNCTIONS)

# Three functions for the whole drill: RunDrillPhase runs every phase (a `phase` field picks it), so
# its access is the union of theirs; the waits (takeover, reboot, resync) happen inside it.
DRILL_FUNCTIONS = (
    FunctionSpec("ValidateDrillInput", "handlers.drill.validate_input", "Validate a drill execution's input", 30),
    FunctionSpec(
        "RunDrillPhase",
        "handlers.drill.run_phase",
        "Run one drill phase (lock, preflight, fault, takeover wait, recovery, switchback) and wait for it",
        900,
        frozenset(
            {
                "node-commands",
                "node-power",
                "route-read",
                "alarms-read",
                "records-read",
                "records-write",
                "dead-man-schedules",
                "executions-read",
            }
        ),
        documents=c.DRILL_DOCUMENTS,
    ),
    FunctionSpec(
        "RecordDrillResult",
        "handlers.drill.record_result",
        "Record, report (S3), measure (EMF), announce (EventBridge) and notify a drill result",
        120,
        frozenset({"records-write", "notify", "reports-write", "events-put", "history-read"}),
    ),
)
DRILL = StateMachineSpec("Drill", STATEMACHINES_DIR / "drill.asl.json", DRILL_FUNCTIONS)

# The guarded planned move of the hierarchy (`hadrill switchback` / `switchover --to NODE`): its own three
# functions, so the switch may send only the documents it uses (status, the switchover in InjectFault,
# health) and has no power over the instances or the stop-condition alarms the drill's function has.
SWITCH_FUNCTIONS = (
    FunctionSpec("ValidateSwitchInput", "handlers.switch.validate_input", "Validate a switch execution's input", 30),
    FunctionSpec(
        "RunSwitchStep",
        "handlers.switch.run_step",
        "Run one step of a planned move of the hierarchy (lock, preflight, switchover, postflight)",
        900,
        # executions-read: a lock whose execution has ended is broken, as the drill's TakeLock does.
        frozenset({"node-commands", "route-read", "records-read", "records-write", "executions-read"}),
        documents=frozenset({"HADrill-NodeStatus", "HADrill-InjectFault", "HADrill-HealthCheck"}),
    ),
    FunctionSpec(
        "RecordSwitchResult",
        "handlers.switch.record_result",
        "Record, report (S3), announce (EventBridge) and notify a switch result",
        120,
        frozenset({"records-write", "notify", "reports-write", "events-put"}),
    ),
)
SWITCH = StateMachineSpec("Switch", STATEMACHINES_DIR / "switch.asl.json", SWITCH_FUNCTIONS)

# The client probe (issue 17): no state runs it; RunDrillPhase starts it asynchronously at the fault.
# It runs in the clustering subnets (stacks/orchestration/client_probe.py), so it is not in
# all_functions(): every stack that has a drill adds it separately. It mostly sleeps: the least memory.
CLIENT_PROBE = FunctionSpec(
    "ClientProbe",
    "handlers.client_probe.probe",
    "Connect to the virtual IP's HULFT receive port every 200 ms during a drill (the client-visible RTO)",
    900,
    frozenset({"probe-record"}),
    memory_mb=128,
)
STATE_MACHINES = (SETUP, DRILL, SWITCH)  # one of each per cluster (the orchestration stack)

# The fleet (stacks/fleet): one per fleet of clusters. Its Map starts each cluster's Drill state
# machine; its own two functions plan the items and sum the clusters' reports up.
FLEET_FUNCTIONS = (
    FunctionSpec("PlanFleetDrill", "handlers.fleet.plan_drills", "Validate a fleet drill's input, plan its drills", 30),
    FunctionSpec(
        "CheckFleetFailureBudget",
        "handlers.fleet.check_budget",
        "Before a cluster's drill starts: have too many of this fleet drill's drills failed?",
        60,
        frozenset({"drill-executions-read"}),
    ),
    FunctionSpec(
        "SummarizeFleetDrill",
        "handlers.fleet.summarize",
        "Read the clusters' drill reports, write the fleet summary, announce it",
        300,
        frozenset({"cluster-reports-read", "fleet-reports-write", "events-put"}),
    ),
)
FLEET = StateMachineSpec("FleetDrill", STATEMACHINES_DIR / "fleet.asl.json", FLEET_FUNCTIONS)

# Environment variable names shared by handlers (handlers/env.py) and both worlds (hadrill.contracts).
ENV_CLUSTER = c.ENV_CLUSTER
ENV_RECORDS_TABLE = c.ENV_RECORDS_TABLE
ENV_TOPIC_ARN = c.ENV_TOPIC_ARN
ENV_POLL_SECONDS = c.ENV_POLL_SECONDS
ENV_REPORTS_BUCKET = c.ENV_REPORTS_BUCKET
REPORTS_PREFIX = c.REPORTS_PREFIX
CONFORMANCE_PREFIX = c.CONFORMANCE_PREFIX
ENV_FLEET = c.ENV_FLEET
ENV_FLEET_REPORTS_BUCKET = c.ENV_FLEET_REPORTS_BUCKET
FLEET_REPORTS_PREFIX = c.FLEET_REPORTS_PREFIX
ENV_DEAD_MAN_SCHEDULE_GROUP = c.ENV_DEAD_MAN_SCHEDULE_GROUP
ENV_DEAD_MAN_ROLE_ARN = c.ENV_DEAD_MAN_ROLE_ARN


def dead_man_schedule_group(cluster_name: str) -> str:
    """One Scheduler group per cluster: the drill's role may create and delete schedules in it only."""
    return f"hadrill-{cluster_name}-dead-man"


ENV_CLIENT_PROBE = c.ENV_CLIENT_PROBE
ENV_PROBE_HEARTBEAT_MS = c.ENV_PROBE_HEARTBEAT_MS


def all_functions() -> list[FunctionSpec]:
    """Every function once, in a stable order (a function may serve several state machines)."""
    seen: dict[str, FunctionSpec] = {}
    for machine in STATE_MACHINES:
        for spec in machine.functions:
            seen.setdefault(spec.name, spec)
    return list(seen.values())


def client_probe_setting(function_name: str, receive_port: int) -> str:
    """RunDrillPhase's HADRILL_CLIENT_PROBE (the name may be a CDK token)."""
    return json.dumps({"function": function_name, "port": receive_port, "memoryMb": CLIENT_PROBE.memory_mb})


def fleet_member(
    *,
    cluster: str,
    drill_state_machine_arn: str,
    reports_bucket: str,
    max_rto_seconds: float,
    takeover_timeout_seconds: int,
    stop_condition_alarms: list[str],
) -> dict[str, object]:
    """One member of the HADRILL_FLEET document: where its drill and reports are, and the drill
    settings of its own config (its SLO and stop conditions apply in a fleet drill too)."""
    return {
        "cluster": cluster,
        "drill_state_machine_arn": drill_state_machine_arn,
        "reports_bucket": reports_bucket,
        "max_rto_seconds": max_rto_seconds,
        "takeover_timeout_seconds": takeover_timeout_seconds,
        "stop_condition_alarms": stop_condition_alarms,
    }


def fleet_facts_document(
    *, fleet_name: str, max_concurrency: int, members: list[dict[str, object]], max_failed_drills: int | None = None
) -> dict[str, object]:
    """The HADRILL_FLEET document (hadrill.fleet.FleetFacts); values may be CDK tokens."""
    return {
        "fleet_name": fleet_name,
        "max_concurrency": max_concurrency,
        "clusters": members,
        "max_failed_drills": max_failed_drills,
    }


def document_files() -> list[Path]:
    """The SSM documents to create, one set per cluster."""
    return sorted(DOCUMENTS_DIR.glob(f"{c.DOCUMENT_NAME_PREFIX}*.json"))


def document_prefix(cluster_name: str) -> str:
    return f"{cluster_name}-"


class NodeIds(TypedDict):
    """Where one node of the config was deployed: values may be CDK tokens in the stack."""

    instance_id: str
    eni_id: str
    addresses: list[str]


def placeholder_nodes() -> dict[str, NodeIds]:
    """Ids of the deployed shape for checking what a config builds before anything is deployed."""
    return {
        role: {
            "instance_id": f"i-0123456789abcdef{index}",
            "eni_id": f"eni-0123456789abcdef{index}",
            "addresses": [f"10.20.{index + 1}.10"],
        }
        for index, role in enumerate(("primary", "secondary"))
    }


def cluster_facts_document(
    config: DeploymentConfig,
    *,
    nodes: dict[str, NodeIds],
    route_table_ids: list[str],
    media_bucket: str,
    node_log_group: str = "",
    cluster_name: str | None = None,
    media: dict[str, dict[str, str]] | None = None,
    created_by_app: bool | None = None,
) -> dict[str, object]:
    """The HADRILL_CLUSTER document (see hadrill.facts.ClusterFacts): the config plus where it was deployed.

    Values may be CDK tokens here; the stack resolves them with `to_json_string`, the local
    world validates the result with ClusterFacts. `nodes` maps "primary"/"secondary" to the
    deployed ids (addresses: the comm path addresses, the ENI's private IP in AWS). The local
    world overrides the cluster name (a fleet member), the media checksums (generated media) and
    created_by_app (bare or hand-built simulated nodes).
    """
    name = cluster_name if cluster_name is not None else config.cluster_name
    named = {"primary": config.nodes.primary.name, "secondary": config.nodes.secondary.name}
    return {
        "cluster_name": name,
        "primary": {"role": "primary", "name": named["primary"], **nodes["primary"]},
        "secondary": {"role": "secondary", "name": named["secondary"], **nodes["secondary"]},
        "virtual_ip": str(config.virtual_ip.address),
        "logical_host": config.virtual_ip.logical_host,
        "route_table_ids": route_table_ids,
        "media_bucket": media_bucket,
        "hulft_media": (media or {}).get("hulft", config.media.hulft.model_dump()),
        "recovery_kit_media": (media or {}).get("recovery_kit", config.media.recovery_kit.model_dump()),
        "hulft_license_secret": config.secrets.hulft_license,
        "hulft_version": config.hulft.version,
        "hulexep": config.hulft.hulexep,
        "hulpath": config.hulft.hulpath,
        "filesystem_tag": config.hulft.filesystem_tag,
        "document_prefix": document_prefix(name),
        "created_by_app": config.creates_nodes if created_by_app is None else created_by_app,
        "lifekeeper_license_secret": config.lifekeeper_license_secret,
        "data_device": config.lifekeeper.data_device,
        "data_fstype": config.lifekeeper.data_fstype,
        "mirror_mode": config.lifekeeper.mirror_mode,
        "node_log_group": node_log_group,
    }


# Drill metrics (Powertools EMF from the drill functions), read by the alarm and the dashboard.
METRIC_NAMESPACE = c.METRIC_NAMESPACE
DRILL_SERVICE = c.DRILL_SERVICE
METRIC_DIMENSION_CLUSTER = c.METRIC_DIMENSION_CLUSTER
METRIC_DRILL_RTO = c.METRIC_DRILL_RTO
METRIC_CLIENT_RTO = c.METRIC_CLIENT_RTO
METRIC_DRILL_PASSED = c.METRIC_DRILL_PASSED
METRIC_DRILL_FAILED = c.METRIC_DRILL_FAILED
METRIC_DRILL_ABORTED = c.METRIC_DRILL_ABORTED


def drill_input(
    *,
    cluster: str,
    scenario: str,
    switchback: bool,
    max_rto_seconds: int,
    takeover_timeout_seconds: int,
    stop_condition_alarms: list[str],
) -> dict[str, object]:
    """The drill execution input a schedule sends (the same shape the CLI and console use)."""
    return {
        "cluster": cluster,
        "scenario": scenario,
        "switchback": switchback,
        "maxRtoSeconds": max_rto_seconds,
        "takeoverTimeoutSeconds": takeover_timeout_seconds,
        "stopConditionAlarms": stop_condition_alarms,
    }
