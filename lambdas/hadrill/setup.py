"""The setup workflow's steps: which document runs on which node with which parameters.

Order (README "The setup workflow"): preflight, the cluster base (LifeKeeper license and start, comm
paths, the virtual IP resource, the /data mirror; issue 9), stage media, hosts entry, install HULFT
(active on the primary, standby on the secondary), Recovery Kit on both, create the hulft hierarchy on
the primary and extend it to the standby, verify. Every document is idempotent: a rerun reports
"already done" and changes nothing.

The base stage runs when the input's ``configureBase`` says so; left out, it follows the cluster: on
for nodes this app created (``ClusterFacts.created_by_app``), off for a bring-your-own cluster.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, StrictBool

from hadrill import contracts as c
from hadrill import fields as f
from hadrill import params
from hadrill.conformance import ProbeReport, parse_probe_result
from hadrill.facts import ClusterFacts, NodeFacts
from hadrill.inputs import validate_execution_input
from hadrill.node_commands import CommandResult, NodeCommand
from hadrill.results import NodeStatus, parse_node_status, parse_result_line
from hadrill.status import hierarchy_names
from hadrill.verdicts import SWITCHBACK_HINT, Check, comm_paths_alive, node_verdict

SetupStep = Literal[
    "preflight",
    "license-and-start",
    "comm-paths",
    "virtual-ip-resource",
    "data-mirror",
    "stage-media",
    "hosts-entry",
    "install-hulft",
    "install-recovery-kit",
    "create-hulft-resource",
    "verify-hierarchy",
]
# The cluster base, in order; it runs between preflight and stage-media.
BASE_STEPS: tuple[SetupStep, ...] = ("license-and-start", "comm-paths", "virtual-ip-resource", "data-mirror")
# The HULFT part (the same for every cluster): every step but the base, in workflow order.
SETUP_STEPS: tuple[SetupStep, ...] = tuple(s for s in get_args(SetupStep) if s not in BASE_STEPS)
# Every step in workflow order.
ALL_STEPS: tuple[SetupStep, ...] = get_args(SetupStep)
# Read-only steps run on every execution; `steps` selects among the others.
ALWAYS_RUN: frozenset[SetupStep] = frozenset({"preflight", "verify-hierarchy"})

NODE_STATUS = c.DOC_NODE_STATUS
STEP_DOCUMENTS: dict[SetupStep, str] = {
    "preflight": NODE_STATUS,
    "stage-media": c.DOC_STAGE_MEDIA,
    "hosts-entry": c.DOC_HOSTS_ENTRY,
    "install-hulft": c.DOC_INSTALL_HULFT,
    "install-recovery-kit": c.DOC_INSTALL_RECOVERY_KIT,
    "create-hulft-resource": c.DOC_CREATE_HULFT_RESOURCE,
    "verify-hierarchy": NODE_STATUS,
    "license-and-start": c.DOC_LICENSE_AND_START,
    "comm-paths": c.DOC_COMM_PATHS,
    "virtual-ip-resource": c.DOC_VIRTUAL_IP_RESOURCE,
    "data-mirror": c.DOC_DATA_MIRROR,
}
# Each step waits as long as its document may run (the timeouts are written once, in hadrill.contracts).
STEP_TIMEOUT_SECONDS: dict[SetupStep, int] = {
    step: c.DOCUMENT_TIMEOUT_SECONDS[document] for step, document in STEP_DOCUMENTS.items()
}
# The conformance probe (issue 14): read-only, on both nodes, before any step that changes something.
CONFORMANCE_PROBE = c.DOC_CONFORMANCE_PROBE
CONFORMANCE_PROBE_TIMEOUT_SECONDS = c.DOCUMENT_TIMEOUT_SECONDS[CONFORMANCE_PROBE]
# What a node's result line may add to the step's output besides changed and message.
REPORTED_FIELDS = ("version", "paths", "resync")


class InvalidInput(ValueError):
    """The execution input is wrong; the message names the field."""


class SetupStepFailed(Exception):
    """A node reported failure; the message names the step, the node and the script's own words."""


class SetupInput(BaseModel):
    """The setup execution's input (camelCase, as typed in the console or the CLI)."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    cluster: f.ClusterName
    steps: tuple[SetupStep, ...] | None = Field(default=None, min_length=1, max_length=len(ALL_STEPS))
    dry_run: StrictBool = Field(default=False, alias="dryRun")
    # Build the cluster base (license, comm paths, VIP, /data mirror)? None: the cluster's default.
    configure_base: StrictBool | None = Field(default=None, alias="configureBase")


def validate_input(event: object, facts: ClusterFacts) -> SetupInput:
    request = validate_execution_input(event, SetupInput, cluster=facts.cluster_name, error=InvalidInput)
    if request.configure_base is None:
        # Resolved here, so the state machine's Choice and every step see the same answer.
        request = request.model_copy(update={"configure_base": facts.created_by_app})
    return request


def selected(step: SetupStep, request: SetupInput) -> bool:
    return skip_reason(step, request) is None


def skip_reason(step: SetupStep, request: SetupInput) -> str | None:
    """Why a step does not run in this execution (None: it runs)."""
    if step in BASE_STEPS and request.configure_base is False:
        return "configureBase is false: the cluster base (license, comm paths, VIP, /data mirror) is left as it is"
    if step in ALWAYS_RUN or request.steps is None or step in request.steps:
        return None
    return "not among the requested steps"


def plan(step: SetupStep, facts: ClusterFacts) -> list[NodeCommand]:
    """The commands one step sends: one per node it touches."""
    document = facts.document(STEP_DOCUMENTS[step])
    timeout = STEP_TIMEOUT_SECONDS[step]

    def on(node: NodeFacts, parameters: params.DocumentParameters) -> NodeCommand:
        return NodeCommand(node.instance_id, node.name, document, parameters, timeout, facts.node_log_group)

    if step in ("preflight", "verify-hierarchy"):
        return [on(node, params.node_status_parameters(facts)) for node in facts.nodes]
    if step == "stage-media":
        media = params.StageMediaParameters(
            media_bucket=facts.media_bucket,
            hulft_media_key=facts.hulft_media.key,
            hulft_media_sha256=facts.hulft_media.sha256,
            recovery_kit_key=facts.recovery_kit_media.key,
            recovery_kit_sha256=facts.recovery_kit_media.sha256,
        )
        return [on(node, media) for node in facts.nodes]
    if step == "hosts-entry":
        hosts = params.HostsEntryParameters(virtual_ip=facts.virtual_ip, logical_host=facts.logical_host)
        return [on(node, hosts) for node in facts.nodes]
    if step == "install-hulft":
        return [
            on(
                node,
                params.InstallHulftParameters(
                    role="active" if node.role == "primary" else "standby",
                    logical_host=facts.logical_host,
                    secret_id=facts.hulft_license_secret,
                    hulft_media_file=facts.hulft_media.file_name,
                    hulft_version=facts.hulft_version,
                    hulft_install_dir=facts.hulft_install_dir,
                    hulft_settings_dir=facts.hulft_settings_dir,
                    data_mount=facts.data_mount,
                ),
            )
            for node in facts.nodes
        ]
    if step == "install-recovery-kit":
        kit = params.InstallRecoveryKitParameters(recovery_kit_file=facts.recovery_kit_media.file_name)
        return [on(node, kit) for node in facts.nodes]
    if step == "create-hulft-resource":
        resource = params.CreateHulftResourceParameters(
            target_node=facts.secondary.name,
            hulft_tag=facts.hulft_tag,
            hulexep=facts.hulexep,
            hulpath=facts.hulpath,
            filesystem_tag=facts.filesystem_tag,
            vip_tag=facts.vip_resource_tag,
        )
        return [on(facts.primary, resource)]
    if step in BASE_STEPS:
        return [on(node, parameters) for node, parameters in _base_parameters(step, facts)]
    raise ValueError(f"unknown setup step {step!r}")


def probe_plan(facts: ClusterFacts, *, configure_base: bool) -> list[NodeCommand]:
    """HADrill-ConformanceProbe on both nodes, each pinging the other's comm path addresses."""
    document = facts.document(CONFORMANCE_PROBE)
    commands = []
    for node, peer in ((facts.primary, facts.secondary), (facts.secondary, facts.primary)):
        parameters = params.ConformanceProbeParameters(
            peer_addresses=",".join(peer.addresses) or "none",
            configure_base="yes" if configure_base else "no",
            data_device=facts.data_device,
            fstype=facts.data_fstype,
            mirror_tag=facts.mirror_tag,
            hulft_media_file=facts.hulft_media.file_name,
        )
        commands.append(
            NodeCommand(
                node.instance_id,
                node.name,
                document,
                parameters,
                CONFORMANCE_PROBE_TIMEOUT_SECONDS,
                facts.node_log_group,
            )
        )
    return commands


def probe_reports(results: list[CommandResult]) -> list[ProbeReport]:
    """Each node's probe rows. A probe that printed no result (timed out, not delivered, crashed) is a
    setup failure naming the node, not a mismatch: there is nothing to judge."""
    reports = []
    for result in results:
        try:
            reports.append(parse_probe_result(result.stdout))
        except ValueError as error:
            raise SetupStepFailed(
                f"conformance-probe failed on {result.node} ({result.status}, exit {result.exit_code}): "
                f"{_script_message(result)} ({error})"
            ) from None
    return reports


def _base_parameters(step: SetupStep, facts: ClusterFacts) -> list[tuple[NodeFacts, params.DocumentParameters]]:
    primary, secondary = facts.nodes
    if step == "license-and-start":
        license_ = params.LicenseAndStartParameters(
            secret_id=facts.lifekeeper_license_secret, wait_seconds=str(facts.lk_start_wait_seconds)
        )
        return [(node, license_) for node in facts.nodes]
    if step == "comm-paths":
        pairs = min(len(primary.addresses), len(secondary.addresses))
        if pairs == 0:
            missing = ", ".join(n.name for n in facts.nodes if not n.addresses)
            raise SetupStepFailed(f"comm-paths: no address known for {missing} (ClusterFacts NodeFacts.addresses)")
        return [
            (
                node,
                params.CommPathsParameters(
                    peer_node=peer.name,
                    local_addresses=",".join(node.addresses[:pairs]),
                    peer_addresses=",".join(peer.addresses[:pairs]),
                    wait_seconds=str(facts.comm_path_wait_seconds),
                ),
            )
            for node, peer in ((primary, secondary), (secondary, primary))
        ]
    if step == "virtual-ip-resource":
        vip = params.VirtualIpResourceParameters(
            target_node=secondary.name,
            virtual_ip=facts.virtual_ip,
            ip_tag=facts.ip_resource_tag,
            ec2_tag=facts.vip_resource_tag,
        )
        return [(primary, vip)]
    mirror = params.DataMirrorParameters(
        target_node=secondary.name,
        mirror_tag=facts.mirror_tag,
        data_mount=facts.data_mount,
        data_device=facts.data_device,
        fstype=facts.data_fstype,
        mode=facts.mirror_mode,
        wait_seconds=str(facts.resync_wait_seconds),
    )
    return [(primary, mirror)]


@dataclass(frozen=True)
class NodeOutcome:
    node: str
    changed: bool
    message: str
    reported: tuple[tuple[str, object], ...] = ()  # REPORTED_FIELDS the script's result carried

    def as_dict(self) -> dict[str, object]:
        return {"node": self.node, "changed": self.changed, "message": self.message, **dict(self.reported)}


def outcomes(step: SetupStep, results: list[CommandResult]) -> list[NodeOutcome]:
    """Each node's result line; a failure raises SetupStepFailed naming the step and every node that
    failed (both nodes often fail for the same reason, and the operator fixes both at once)."""
    failed = [
        f"{result.node} ({result.status}, exit {result.exit_code}): {_script_message(result)}"
        for result in results
        if not result.succeeded
    ]
    if failed:
        raise SetupStepFailed(f"{step} failed on {'; '.join(failed)}")
    outcomes: list[NodeOutcome] = []
    for result in results:
        line = parse_result_line(result.stdout)
        reported = tuple((key, line[key]) for key in REPORTED_FIELDS if key in line)
        outcomes.append(NodeOutcome(result.node, bool(line["changed"]), str(line["message"]), reported))
    return outcomes


def _script_message(result: CommandResult) -> str:
    """The script's own words: its result line's message, else the last line of stderr."""
    try:
        return str(parse_result_line(result.stdout)["message"])
    except ValueError:
        lines = [line for line in result.stderr.splitlines() if line.strip()]
        return lines[-1] if lines else "no output"


def status_checks(
    step: SetupStep, facts: ClusterFacts, results: list[CommandResult], *, configure_base: bool = False
) -> list[Check]:
    """Preflight: what setup needs. Verify: the hulft hierarchy ISP on the primary, OSU on the standby.

    With ``configure_base`` the base stage runs after preflight, so preflight asks only that
    LifeKeeper is installed (the base starts it, adds the comm paths and /data), and verify also checks
    the base's resources (virtual IP, /data file system, mirror) by their tags.
    """
    checks: list[Check] = []
    for result in results:
        if not result.succeeded:
            raise SetupStepFailed(f"{step}: node status failed on {result.node}: {_script_message(result)}")
        node = facts.by_instance(result.instance_id)
        status = parse_node_status(result.stdout)
        prefix = f"{node.name}: "
        if step == "preflight" and configure_base:
            core = [p for p in status.packages if p.startswith("steeleye-lk-")]
            checks.append(
                Check(prefix + "LifeKeeper installed", bool(core), core[0] if core else "no steeleye-lk package")
            )
        elif step == "preflight":
            running = status.lifekeeper_running and status.lifekeeper_initialized
            checks.append(
                Check(prefix + "LifeKeeper running", running, "running and initialized" if running else "not running")
            )
            if status.lcdstatus is not None:
                alive = comm_paths_alive(status.lcdstatus)
                checks.append(Check(prefix + alive.name, alive.passed, alive.detail))
            if node.role == "primary":
                checks.append(Check(prefix + f"{facts.data_mount} mounted", status.data_mounted, status.mirror_status))
        else:
            role = "active" if node.role == "primary" else "standby"
            for check in node_verdict(status, role, facts.hulft_tag).checks:
                checks.append(Check(prefix + check.name, check.passed, _named_hierarchy(check, status, facts)))
            if configure_base:
                checks += _base_checks(facts, status, prefix, "ISP" if node.role == "primary" else "OSU")
        if step == "preflight" and node.role == "secondary" and status.lcdstatus is not None:
            # After `drill --no-switchback` or a real failover the base steps would fail on the primary's
            # OSU resources; refuse here instead, saying how to bring the hierarchy home.
            root = status.lcdstatus.resource(facts.hulft_tag)
            if root is not None and root.state.value == "ISP":
                detail = f"{facts.hulft_tag} is ISP on {node.name}: {SWITCHBACK_HINT}"
                checks.append(Check(prefix + f"{facts.hulft_tag} not in service on the standby", False, detail))
    return checks


def _base_checks(facts: ClusterFacts, status: NodeStatus, prefix: str, wanted: str) -> list[Check]:
    """The base's resources in the state the node's role wants (comm paths are in node_verdict)."""
    checks = []
    for what, tag in (
        ("virtual IP", facts.vip_resource_tag),
        (f"{facts.data_mount} file system", facts.data_mount),
        ("mirror", facts.mirror_tag),
    ):
        resource = status.lcdstatus.resource(tag) if status.lcdstatus is not None else None
        state = resource.state.value if resource is not None else "not defined"
        checks.append(Check(f"{prefix}{what} {tag} {wanted}", state == wanted, f"{tag} is {state}"))
    return checks


def _named_hierarchy(check: Check, status: NodeStatus, facts: ClusterFacts) -> str:
    """The hierarchy check names its resources as LifeKeeper does (issue 17): "8 resource(s) ISP" alone
    does not say which; e.g. "7 resource(s) ISP: hulft (/data (datarep-data), hulft-obs, hulft-rcv, hulft-snd)"."""
    if not check.name.startswith("hierarchy ") or not check.passed or status.lcdstatus is None:
        return check.detail
    names = hierarchy_names(status.lcdstatus, facts.hulft_tag)
    return f"{check.detail}: {names}" if names else check.detail


def checks_summary(step: SetupStep, checks: list[Check]) -> str:
    """The read-only step's one line: the checks counted, and for verify-hierarchy the hierarchy named
    where it is in service, e.g. "18/18 checks passed; lk-node-a: 8 resource(s) ISP: hulft (ec2-vip
    (ip-vip), /data (datarep-data), hulft-obs, hulft-rcv, hulft-snd)"."""
    summary = f"{sum(1 for c in checks if c.passed)}/{len(checks)} checks passed"
    if step == "verify-hierarchy":
        active = next((c for c in checks if c.passed and ": hierarchy " in c.name and c.name.endswith(" ISP")), None)
        if active is not None:
            summary += f"; {active.name.split(': ', 1)[0]}: {active.detail}"
    return summary
