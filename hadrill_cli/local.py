"""The local target: the workflows in an in-process world (moto + the simulated cluster), labelled as such.

Everything about the simulator a command line can set lives here: its timings (--sim-takeover-seconds),
the faults it can be told to have (--sim-fault), the size of a simulated fleet (--sim-clusters,
--sim-setup), and what a local run does around the workflow: build the world, set the cluster up first,
break it, keep the reports when the world goes away.
"""

from __future__ import annotations

import json
import logging
import math
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

from hadrill.contracts import DOC_WATCH_TAKEOVER
from hadrill.drill.model import MAX_TAKEOVER_TIMEOUT_SECONDS
from hadrill.drill.report import report_keys as drill_report_keys
from hadrill.report_html import render_html
from hadrill_cli.follow import Execution
from hadrill_cli.messages import t
from hadrill_cli.render import closing_line
from hadrill_cli.target import Say, Target
from simulator import Knobs, Timings
from simulator.scratch import scratch_dir
from stacks.config import DeploymentConfig
from stacks.orchestration.wiring import LAMBDAS_DIR

if TYPE_CHECKING:
    from localrunner import LocalDeployment
    from localrunner.fleet import LocalFleet

_Held = TypeVar("_Held")
LOCAL_MODE = "local (moto + simulated LifeKeeper/HULFT: a test double, not the real products)"
# Step Functions waits and retry back-off, shortened locally; simulated delays stay real time.
LOCAL_TIME_SCALE = 0.01
DEFAULT_REPORTS_DIR = Path("reports")

# --sim-fault: which simulator knob forces which bad path.
FAULT_KNOBS: dict[str, Knobs] = {
    "no-takeover": Knobs(standby_never_takes_over=True),
    "mirror-out-of-sync": Knobs(mirror_out_of_sync=True),
    "comm-path-dead": Knobs(dead_comm_path=True),
    # The network-down job's ifdown never answers: the fault never lands, nothing takes over.
    "command-timeout": Knobs(hang_command="ifdown"),
    "node-lost": Knobs(lose_node_during=DOC_WATCH_TAKEOVER),
    # The node that takes over starts hulrcvd but its receive port stays closed: the client probe FAILS it.
    "receive-port-closed": Knobs(receive_port_closed_after_takeover=True),
}
# The faults each command offers: a drill's bad paths, what `status` should see, a switch's refusals.
DRILL_FAULTS = tuple(sorted(FAULT_KNOBS))
STATUS_FAULTS = ("standby-stopped", "comm-path-dead", "mirror-out-of-sync")
SWITCH_FAULTS = ("mirror-out-of-sync", "drill-running")
SIM_DRILL_ID = "drill-sim-running"
# Locally the simulated takeover takes about a second (or --sim-takeover-seconds): waiting the
# production default of 300 s for one that will not come would only make a failing demo slow.
MIN_LOCAL_TAKEOVER_TIMEOUT_SECONDS = 30


def sim_timings(takeover_seconds: float | None) -> Timings:
    """Timings.fast(), or a takeover of about N seconds: 3/4 detection (3 missed heartbeats), 1/4 restore."""
    fast = Timings.fast()
    if takeover_seconds is None:
        return fast
    return Timings(
        heartbeat_seconds=takeover_seconds * 0.75 / fast.missed_heartbeats,
        missed_heartbeats=fast.missed_heartbeats,
        restore_seconds=takeover_seconds * 0.25,
        local_recovery_seconds=fast.local_recovery_seconds,
        reboot_seconds=fast.reboot_seconds,
        resync_seconds=fast.resync_seconds,
        lose_after_seconds=fast.lose_after_seconds,
        lk_start_seconds=fast.lk_start_seconds,
    )


def local_takeover_timeout(timings: Timings) -> int:
    """How long a local drill waits for the takeover unless told: four simulated takeovers, at least 30 s."""
    expected = timings.detection_seconds + timings.restore_seconds
    return min(MAX_TAKEOVER_TIMEOUT_SECONDS, max(MIN_LOCAL_TAKEOVER_TIMEOUT_SECONDS, math.ceil(4 * expected)))


def sim_mirror_out_of_sync(deployment: LocalDeployment) -> None:
    """The simulator's mirror_out_of_sync knob, made to bite where the hierarchy is now: it bites when the
    mirror next syncs, so a planned switchover to the other node and back."""
    from simulator.scenario import run as run_document

    cluster = deployment.cluster
    cluster.set_knobs(FAULT_KNOBS["mirror-out-of-sync"])
    names = [n.name for n in deployment.facts.nodes]
    here = names.index(str(cluster.active_node()))
    run_document(cluster, here, "InjectFault", timeout=60, Fault="switchover", TargetNode=names[1 - here])
    run_document(cluster, 1 - here, "InjectFault", timeout=60, Fault="switchover", TargetNode=names[here])


def sim_drill_running(deployment: LocalDeployment) -> None:
    """The drill lock as a running drill holds it (taken now, for an hour)."""
    from hadrill.drill import lock

    now = int(time.time() * 1000)
    owner = deployment.state_machines["Drill"].replace(":stateMachine:", ":execution:") + f":{SIM_DRILL_ID}"
    lock.take(
        deployment.world.client("dynamodb"),
        table=deployment.records_table,
        cluster=deployment.facts.cluster_name,
        owner=owner,
        drill_id=SIM_DRILL_ID,
        now_ms=now,
        expires_ms=now + 3_600_000,
    )


def apply_sim_fault(deployment: LocalDeployment, fault: str) -> None:
    """Break one simulated cluster the way ``--sim-fault`` names (the simulator's knobs and power)."""
    cluster = deployment.cluster
    if fault == "standby-stopped":
        cluster.stop_instance(deployment.facts.secondary.instance_id)
    elif fault == "drill-running":
        sim_drill_running(deployment)
    elif fault == "mirror-out-of-sync":
        sim_mirror_out_of_sync(deployment)
    elif fault in FAULT_KNOBS:
        cluster.set_knobs(FAULT_KNOBS[fault])
        if fault == "comm-path-dead":
            # The engine rewrites the comm paths on its next tick; on a loaded machine that can come after
            # the nodes answer, so the paths are rewritten now, under the engine's lock.
            with cluster.engine.lock:
                cluster.engine._refresh_paths(time.time(), force=True)
    else:
        raise ValueError(f"unknown --sim-fault {fault}")


def add_schedules(deployment: LocalDeployment, config: DeploymentConfig) -> None:
    """The drill schedules of the config as rules targeting the drill state machine (what
    stacks/orchestration/drill_operations.py deploys; enabled only where the config says so)."""
    events = deployment.world.client("events")
    for schedule in config.drills.schedules:
        name = f"{config.cluster_name}-Schedule-{schedule.name}"[:64]
        events.put_rule(
            Name=name,
            ScheduleExpression=schedule.schedule,
            State="ENABLED" if schedule.enabled else "DISABLED",
            Description=f"{schedule.scenario} drill of {config.cluster_name} ({schedule.name})",
        )
        drill_input = {"cluster": config.cluster_name, "scenario": schedule.scenario, "switchback": schedule.switchback}
        events.put_targets(
            Rule=name,
            Targets=[{"Id": "drill", "Arn": deployment.state_machines["Drill"], "Input": json.dumps(drill_input)}],
        )


def _quiet_local_logs() -> None:
    # moto's interpreter logs every caught task failure at ERROR, and the world warns about node
    # commands still running when it closes (a drill's cancelled watcher): the CLI reports itself.
    logging.getLogger("moto").setLevel(logging.CRITICAL)
    logging.getLogger("localworld").setLevel(logging.ERROR)


@contextmanager
def local_cluster(
    config: DeploymentConfig,
    *,
    timings: Timings | None = None,
    knobs: Knobs | None = None,
    time_scale: float = LOCAL_TIME_SCALE,
    installed: bool = False,
) -> Iterator[LocalDeployment]:
    """A local world with one simulated cluster: bare, as `cdk deploy` leaves it (setup builds the
    LifeKeeper base first), or ``installed``, as the setup workflow leaves it. ``time_scale`` shortens
    Step Functions waits and retries (the bench's real-duration row scales them and the simulator's
    delays by the same factor)."""
    # Imported here: moto takes about a second to import, which `hadrill --help` need not pay.
    from localrunner import deploy_local
    from localworld import LocalWorld

    _quiet_local_logs()
    with (
        tempfile.TemporaryDirectory(prefix="hadrill-local-", dir=scratch_dir()) as root,
        LocalWorld(time_scale=time_scale, handler_paths=[LAMBDAS_DIR], strict_documents=True) as world,
    ):
        deployment = deploy_local(
            config,
            world=world,
            root=Path(root),
            timings=timings or Timings.fast(),
            knobs=knobs,
            bare=not installed,
            installed=installed,
        )
        try:
            yield deployment
        finally:
            deployment.cluster.close()


@contextmanager
def local_fleet(
    configs: Sequence[DeploymentConfig],
    *,
    fleet_name: str,
    max_concurrency: int,
    timings: Timings | None = None,
    installed: bool = False,
) -> Iterator[LocalFleet]:
    """Several simulated clusters in one world and the fleet drill state machine over them: bare (as
    `cdk deploy` leaves them, for the setup workflow) or ``installed`` (as setup leaves them)."""
    from localrunner import deploy_local
    from localrunner.fleet import deploy_fleet_local
    from localworld import LocalWorld

    _quiet_local_logs()
    members: list[LocalDeployment] = []
    with (
        tempfile.TemporaryDirectory(prefix="hadrill-fleet-", dir=scratch_dir()) as root,
        LocalWorld(time_scale=LOCAL_TIME_SCALE, handler_paths=[LAMBDAS_DIR], strict_documents=True) as world,
    ):
        try:
            for config in configs:
                members.append(
                    deploy_local(
                        config,
                        world=world,
                        root=Path(root) / config.cluster_name,
                        timings=timings or Timings.fast(),
                        bare=not installed,
                        installed=installed,
                    )
                )
            yield deploy_fleet_local(world, members, fleet_name=fleet_name, max_concurrency=max_concurrency)
        finally:
            for member in members:
                member.cluster.close()


def keep_report(reports_dir: Path, stem: str, report: dict[str, Any], markdown: str | None) -> None:
    """The world is gone when the process ends: a report it held, as reports_dir/<stem>.json, .md, .html."""
    reports_dir.mkdir(parents=True, exist_ok=True)
    (reports_dir / f"{stem}.json").write_text(json.dumps(report, indent=2) + "\n")
    (reports_dir / f"{stem}.md").write_text(markdown or "")
    (reports_dir / f"{stem}.html").write_text(render_html(report, simulated=True))


def _while_open(value: _Held | None) -> _Held:
    """What an open target holds (its world is built only while the command runs)."""
    if value is None:
        raise RuntimeError("the local target is not open")
    return value


@dataclass
class LocalTarget(Target):
    """One simulated cluster from ``config``, built fresh when a command opens it."""

    config: DeploymentConfig
    sim_takeover_seconds: float | None = None
    sim_fault: str | None = None
    reports_dir: Path = DEFAULT_REPORTS_DIR
    installed: bool = False  # as the setup workflow leaves it, with the config's drill schedules (status)
    cluster: str = field(init=False)
    deployment: LocalDeployment | None = field(default=None, init=False, repr=False)
    _world: Any = field(default=None, init=False, repr=False)  # the open world (one cluster's or a fleet's)

    mode = "local-simulated"
    simulated = True
    missing = "written"
    polls: ClassVar[dict[str, tuple[float, float]]] = {
        "setup": (0.05, 600.0),
        "drill": (0.25, 7200.0),
        "switch": (0.1, 1800.0),
        "status": (0.05, 0.0),
    }

    def __post_init__(self) -> None:
        self.cluster = self.config.cluster_name

    @property
    def timings(self) -> Timings:
        return sim_timings(self.sim_takeover_seconds)

    @property
    def world(self) -> Any:
        return _while_open(self._world)

    @property
    def opened_deployment(self) -> LocalDeployment:
        return _while_open(self.deployment)

    @contextmanager
    def opened(self) -> Iterator[None]:
        with local_cluster(self.config, timings=self.timings, installed=self.installed) as deployment:
            if self.installed:
                add_schedules(deployment, self.config)
            self.deployment, self._world = deployment, deployment.world
            try:
                yield
            finally:
                self.deployment = self._world = None

    def client(self, service: str) -> Any:
        return self.world.client(service)

    def outputs(self) -> dict[str, str]:
        deployment = self.opened_deployment
        machines = {f"{name}StateMachineArn": arn for name, arn in deployment.state_machines.items()}
        return {**machines, "RecordsTable": deployment.records_table}

    def commands_sent(self) -> int | None:
        return int(self.world.ssm.commands_sent)

    def default_takeover_timeout(self) -> int | None:
        return local_takeover_timeout(self.timings)

    def active_node(self) -> str:
        return str(self.opened_deployment.cluster.active_node())

    def prepare(self, say: Say, *, drill_first: bool = False) -> bool:
        """The setup workflow first (the cluster is bare, as `cdk deploy` leaves it); with ``drill_first``
        a real `--no-switchback` drill after it, so there is something to switch back."""
        setup = self._run("Setup", "setup", {"cluster": self.cluster})
        say(closing_line(t("workflow_first_setup"), setup, None))
        if setup.status != "SUCCEEDED":
            return False
        if not drill_first:
            return True
        timeout = local_takeover_timeout(self.opened_deployment.cluster.timings)
        drill = self._run(
            "Drill", "drill", {"cluster": self.cluster, "switchback": False, "takeoverTimeoutSeconds": timeout}
        )
        say(closing_line(t("switch_local_drill"), drill, None))
        return drill.status == "SUCCEEDED"

    def _run(self, machine: str, prefix: str, request: dict[str, Any]) -> Execution:
        _, arn = self.start_execution(
            machine, name_prefix=prefix, request=request, name=f"{prefix}-{int(time.time() * 1000)}"
        )
        return self.follow(arn, "setup")

    def inject_fault(self, say: Say, line: str = "sim_fault") -> None:
        """Break the simulated cluster as --sim-fault says, and say so."""
        if self.sim_fault:
            apply_sim_fault(self.opened_deployment, self.sim_fault)
            say(t(line, fault=self.sim_fault))

    def keep(self, stem: str, report: dict[str, Any], markdown: str | None) -> str | None:
        keep_report(self.reports_dir, stem, report, markdown)
        return t("reports_written", stem=self.reports_dir / stem)


DEFAULT_SIM_CLUSTERS = 3
DEFAULT_LOCAL_CONCURRENCY = 5
FLEET_DIR = "fleets"  # under the reports directory: `hadrill history` lists drill reports only


def local_fleet_name(config: DeploymentConfig) -> str:
    return f"{config.cluster_name[:25].rstrip('-')}-fleet"


@dataclass
class LocalFleetTarget(LocalTarget):
    """``sim_clusters`` simulated clusters like ``config``'s in one world, and the fleet drill over them:
    installed (as setup leaves them) or, with ``sim_setup``, bare and set up by the setup workflow first.
    A --sim-fault breaks the last cluster only."""

    sim_clusters: int = DEFAULT_SIM_CLUSTERS
    sim_setup: bool = False
    max_concurrency: int | None = None
    fleet: LocalFleet | None = field(default=None, init=False, repr=False)
    _built_seconds: float = field(default=0.0, init=False, repr=False)

    stack_suffix = "fleet"
    polls: ClassVar[dict[str, tuple[float, float]]] = {"fleet": (0.5, 6 * 3600.0)}

    def __post_init__(self) -> None:
        self.cluster = local_fleet_name(self.config)

    def size_problem(self) -> str | None:
        from localrunner.fleet import MAX_SIM_CLUSTERS

        if 1 <= self.sim_clusters <= MAX_SIM_CLUSTERS:
            return None
        return t("sim_clusters_range", maximum=MAX_SIM_CLUSTERS)

    @property
    def concurrency(self) -> int:
        return self.max_concurrency or min(DEFAULT_LOCAL_CONCURRENCY, self.sim_clusters)

    def default_takeover_timeout(self) -> int | None:
        return local_takeover_timeout(Timings.fast())  # as `hadrill drill --local`: the simulated takeover is quick

    @property
    def opened_fleet(self) -> LocalFleet:
        return _while_open(self.fleet)

    @contextmanager
    def opened(self) -> Iterator[None]:
        from localrunner.fleet import sim_fleet_configs

        configs = sim_fleet_configs(self.config, self.sim_clusters)
        started = time.monotonic()
        fleet_name, concurrency = self.cluster, self.concurrency
        with local_fleet(
            configs, fleet_name=fleet_name, max_concurrency=concurrency, installed=not self.sim_setup
        ) as fleet:
            self.fleet, self._world = fleet, fleet.world
            self._built_seconds = time.monotonic() - started
            try:
                yield
            finally:
                self.fleet = self._world = None

    def outputs(self) -> dict[str, str]:
        fleet = self.opened_fleet
        return {"FleetDrillStateMachineArn": fleet.state_machine, "FleetReportsBucket": fleet.reports_bucket}

    def commands_sent(self) -> int | None:
        return None

    def missing_text(self, what: str, execution: Execution, **values: object) -> str:
        return t(f"{what}_written", error=execution.error, cause=execution.cause)

    def prepare(self, say: Say, *, drill_first: bool = False) -> bool:
        say(t("fleet_deployed", clusters=self.sim_clusters, seconds=self._built_seconds))
        if self.sim_setup:
            return self._setup_all(say)
        say(t("fleet_no_setup"))
        return True

    def inject_fault(self, say: Say, line: str = "fleet_sim_fault") -> None:
        # One broken cluster (the last) among healthy ones: what an operator sees when one fails.
        if self.sim_fault:
            broken = self.opened_fleet.members[-1]
            apply_sim_fault(broken, self.sim_fault)
            say(t("fleet_sim_fault", fault=self.sim_fault, cluster=broken.facts.cluster_name))

    def _setup_all(self, say: Say) -> bool:
        """The setup workflow on every cluster, ``concurrency`` at a time (as an operator would start them)."""
        fleet = self.opened_fleet
        sfn = fleet.world.client("stepfunctions")
        pending = list(fleet.members)
        running: dict[str, Any] = {}
        failed: list[str] = []
        done = 0
        started = time.monotonic()
        while pending or running:
            while pending and len(running) < self.concurrency:
                member = pending.pop(0)
                arn = sfn.start_execution(
                    stateMachineArn=member.state_machines["Setup"],
                    name=f"setup-{int(time.time() * 1000)}",
                    input=json.dumps({"cluster": member.facts.cluster_name}),
                )["executionArn"]
                running[arn] = member
            time.sleep(0.25)
            for arn in list(running):
                status = sfn.describe_execution(executionArn=arn)["status"]
                if status == "RUNNING":
                    continue
                member = running.pop(arn)
                done += 1
                if status != "SUCCEEDED":
                    failed.append(member.facts.cluster_name)
                total = len(fleet.members)
                say(t("fleet_setup_progress", done=done, total=total, cluster=member.facts.cluster_name, status=status))
        say(t("fleet_setup_took", clusters=len(fleet.members), seconds=time.monotonic() - started))
        if failed:
            problem = t("fleet_setup_failed", clusters=t("list_separator").join(failed))
            print(f"hadrill drill: {problem}", file=sys.stderr)
        return not failed

    def keep_fleet(self, summary: dict[str, Any]) -> str:
        """Keep what the world held: the fleet summary and every cluster's drill report (the clusters'
        reports beside the drill reports, the fleet's under fleets/); the line that says where."""
        from hadrill.fleet_html import render_fleet_html

        fleet = self.opened_fleet
        fleet_id = str(summary["fleet_id"])
        members = {member.facts.cluster_name: member for member in fleet.members}
        for row in summary.get("drills", []):
            member = members.get(row["cluster"])
            keys = drill_report_keys(row["cluster"], row["drill_id"])
            body = None if member is None else member.world.read_object(member.reports_bucket, keys["json"])
            if member is not None and body is not None:
                markdown = member.world.read_object(member.reports_bucket, keys["markdown"])
                keep_report(self.reports_dir, row["drill_id"], json.loads(body), (markdown or b"").decode())
        fleets = self.reports_dir / FLEET_DIR
        fleets.mkdir(parents=True, exist_ok=True)
        (fleets / f"{fleet_id}.json").write_text(json.dumps(summary, indent=2) + "\n")
        (fleets / f"{fleet_id}.md").write_text(fleet.read_markdown(fleet_id) or "")
        # The page sits in fleets/, the clusters' reports one level up: link them, not the gone world's S3.
        rows = [
            {**row, "report": {"html": f"../{row['drill_id']}.html"} if row["report"] else {}}
            for row in summary["drills"]
        ]
        (fleets / f"{fleet_id}.html").write_text(render_fleet_html({**summary, "drills": rows}, simulated=True))
        return t("fleet_files", summary=fleets / f"{fleet_id}.json", reports_dir=self.reports_dir)
