"""`hadrill drill --fleet`: one scenario drilled on every cluster of a fleet, a few at a time.

The fleet state machine does the work (a Map over the clusters, each item one cluster's own Drill
execution); this command starts it, shows each cluster's drill as it starts and ends, and prints the
fleet summary. Locally (`--local --sim-clusters N`) the fleet is N simulated clusters in one world.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from hadrill.drill.report import report_keys as drill_report_keys
from hadrill.fleet import FleetDrillInput, drill_execution_arn, report_keys
from hadrill.fleet_html import render_fleet_html
from hadrill.inputs import problem_with
from hadrill.report_html import render_html
from hadrill_cli.aws import AwsTarget
from hadrill_cli.drill_command import apply_sim_fault, local_takeover_timeout, refused
from hadrill_cli.follow import FINAL_STATUSES, Execution, follow
from hadrill_cli.local import local_fleet
from hadrill_cli.messages import outcome_text, t
from hadrill_cli.render import display_width
from simulator import Timings
from stacks.config import DeploymentConfig
from stacks.orchestration.wiring import FLEET_REPORTS_PREFIX

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_BAD_INPUT = 2
DEFAULT_LOCAL_CONCURRENCY = 5
DEFAULT_SIM_CLUSTERS = 3
FLEET_DIR = "fleets"  # under the reports directory: `hadrill history` lists drill reports only


@dataclass(frozen=True)
class FleetOptions:
    scenario: str
    dry_run: bool
    switchback: bool
    max_rto: float | None
    takeover_timeout: int | None
    max_concurrency: int | None
    clusters: tuple[str, ...] | None
    as_json_output: bool
    max_failed: int | None = None  # the failure budget (the fleet's own when None)

    def request(self, fleet: str) -> dict[str, Any]:
        request: dict[str, Any] = {
            "fleet": fleet,
            "scenario": self.scenario,
            "dryRun": self.dry_run,
            "switchback": self.switchback,
        }
        optional = {
            "maxRtoSeconds": self.max_rto,
            "takeoverTimeoutSeconds": self.takeover_timeout,
            "maxConcurrency": self.max_concurrency,
            "clusters": list(self.clusters) if self.clusters else None,
            "maxFailedDrills": self.max_failed,
        }
        request.update({k: v for k, v in optional.items() if v is not None})
        return request


def check_request(request: dict[str, Any]) -> str | None:
    """The fleet validates its input too; checking here first gives exit code 2 and no execution."""
    return problem_with(FleetDrillInput, request)


def local_fleet_name(config: DeploymentConfig) -> str:
    return f"{config.cluster_name[:25].rstrip('-')}-fleet"


def _say(text: str, quiet: bool) -> None:
    if not quiet:
        print(text, flush=True)


@dataclass
class ClusterProgress:
    """Each cluster's drill as the fleet runs it: pending, running, then its final status."""

    children: dict[str, str] = field(default_factory=dict)  # cluster -> drill execution ARN
    status: dict[str, str] = field(default_factory=dict)  # cluster -> last status seen
    started: dict[str, float] = field(default_factory=dict)

    def plan_from(self, execution: Execution) -> None:
        if self.children:
            return
        planned = next((s.result for s in execution.states if s.name == "PlanDrills" and s.result), None)
        for drill in (planned or {}).get("drills", []):
            arn = drill_execution_arn(str(drill["drillStateMachineArn"]), str(drill["drillId"]))
            self.children[str(drill["cluster"])] = arn

    def poll(self, sfn: Any, say: Callable[[str], None]) -> None:
        done = sum(1 for s in self.status.values() if s in FINAL_STATUSES)
        for cluster, arn in self.children.items():
            if self.status.get(cluster) in FINAL_STATUSES:
                continue
            try:
                described = sfn.describe_execution(executionArn=arn)
            except sfn.exceptions.ExecutionDoesNotExist:
                # Not started yet: the Map runs at most maxConcurrency at once, in order, so the clusters
                # after this one have not started either (asking about each of 40 waiting ones twice a
                # second took a tenth of a core); the next poll looks again.
                break
            status = str(described["status"])
            if status == self.status.get(cluster):
                continue
            self.status[cluster] = status
            if status == "RUNNING":
                self.started[cluster] = time.monotonic()
                say(t("fleet_cluster_drilling", cluster=cluster))
                continue
            done += 1
            seconds = time.monotonic() - self.started.get(cluster, time.monotonic())
            verdict = "PASSED" if status == "SUCCEEDED" else str(described.get("error") or status)
            total = len(self.children)
            say(t("fleet_cluster_done", done=done, total=total, cluster=cluster, verdict=verdict, seconds=seconds))


def watch_fleet(
    sfn: Any, arn: str, *, say: Callable[[str], None], poll_seconds: float, timeout_seconds: float
) -> Execution:
    """Follow the fleet execution and each cluster's drill in it until the fleet ends."""
    progress = ClusterProgress()

    def look_at_drills(execution: Execution) -> None:
        progress.plan_from(execution)
        progress.poll(sfn, say)

    return follow(sfn, arn, poll_seconds=poll_seconds, timeout_seconds=timeout_seconds, on_poll=look_at_drills)


def print_summary(summary: dict[str, Any], execution: Execution, as_json_output: bool) -> None:
    if as_json_output:
        document = {
            **summary,
            "fleet_execution": {
                "arn": execution.arn,
                "status": execution.status,
                "seconds": execution.seconds,
                "state_transitions": execution.state_transitions,
                "lambda_invocations": execution.lambda_invocations,
            },
        }
        print(json.dumps(document, indent=2, default=str), flush=True)
        return
    separator = t("list_separator")
    counts = separator.join(t("fleet_count", outcome=k, count=v) for k, v in summary["counts"].items())
    rto = summary["rto_seconds"]
    seconds = t("fleet_seconds_unknown") if execution.seconds is None else t("fleet_seconds", seconds=execution.seconds)
    outcome = outcome_text(str(summary["outcome"]))
    print(t("fleet_title", fleet_id=summary["fleet_id"], outcome=outcome, seconds=seconds, counts=counts), flush=True)
    if rto["max"] is not None:
        line = t("fleet_rto", maximum=rto["max"], slowest=rto["slowest_cluster"], median=rto["median"])
        print(line, flush=True)
    head = (
        f"{_pad(t('fleet_column_cluster'), 24)} {_pad(t('fleet_column_outcome'), 8)} "
        f"{_pad(t('fleet_column_rto'), 9, right=True)}  {t('fleet_column_reason')}"
    )
    print(head, flush=True)
    for row in summary["drills"]:
        rto_text = "-" if row["rto_seconds"] is None else t("fleet_rto_cell", seconds=row["rto_seconds"])
        line = f"{row['cluster']:<24} {row['outcome']:<8} {_pad(rto_text, 9, right=True)}  {row['reason']}"
        print(line[:160], flush=True)


def _pad(text: str, columns: int, *, right: bool = False) -> str:
    """`text` padded to `columns` terminal columns (a Japanese character takes two), as :<N / :>N would."""
    spaces = " " * max(0, columns - display_width(text))
    return spaces + text if right else text + spaces


def run_local(
    config: DeploymentConfig,
    options: FleetOptions,
    *,
    sim_clusters: int,
    sim_setup: bool,
    reports_dir: Path,
    sim_fault: str | None = None,
) -> int:
    from localrunner.fleet import MAX_SIM_CLUSTERS, sim_fleet_configs

    if not 1 <= sim_clusters <= MAX_SIM_CLUSTERS:
        print(f"hadrill drill: {t('sim_clusters_range', maximum=MAX_SIM_CLUSTERS)}", file=sys.stderr)
        return EXIT_BAD_INPUT
    fleet_name = local_fleet_name(config)
    concurrency = options.max_concurrency or min(DEFAULT_LOCAL_CONCURRENCY, sim_clusters)
    if options.takeover_timeout is None:  # as `hadrill drill --local`: the simulated takeover is quick
        options = replace(options, takeover_timeout=local_takeover_timeout(Timings.fast()))
    request = options.request(fleet_name)
    if refused(check_request(request)):
        return EXIT_BAD_INPUT
    quiet = options.as_json_output
    configs = sim_fleet_configs(config, sim_clusters)
    started = time.monotonic()
    title = t(
        "fleet_local", scenario=options.scenario, clusters=sim_clusters, concurrency=concurrency, mode=t("local_mode")
    )
    _say(title, quiet)
    with local_fleet(configs, fleet_name=fleet_name, max_concurrency=concurrency, installed=not sim_setup) as fleet:
        world = fleet.world
        _say(t("fleet_deployed", clusters=sim_clusters, seconds=time.monotonic() - started), quiet)
        if sim_setup:
            if not _setup_all(fleet, concurrency, quiet):
                return EXIT_FAILED
        else:
            _say(t("fleet_no_setup"), quiet)
        if sim_fault:
            # One broken cluster (the last) among healthy ones: what an operator sees when one fails.
            broken = fleet.members[-1]
            apply_sim_fault(broken, sim_fault)
            _say(t("fleet_sim_fault", fault=sim_fault, cluster=broken.facts.cluster_name), quiet)
        sfn = world.client("stepfunctions")
        fleet_id = f"fleet-{time.strftime('%Y%m%dT%H%M%SZ', time.gmtime())}"
        arn = sfn.start_execution(stateMachineArn=fleet.state_machine, name=fleet_id, input=json.dumps(request))[
            "executionArn"
        ]
        execution = watch_fleet(
            sfn, arn, say=lambda line: _say(line, quiet), poll_seconds=0.5, timeout_seconds=6 * 3600
        )
        summary = fleet.read_summary(fleet_id)
        markdown = fleet.read_markdown(fleet_id)
        drill_reports = {
            row["drill_id"]: member_report
            for row in (summary or {}).get("drills", [])
            for member in fleet.members
            if member.facts.cluster_name == row["cluster"]
            and (member_report := _member_report(member, row["drill_id"])) is not None
        }
    if summary is None:
        problem = t("fleet_no_summary_written", error=execution.error, cause=execution.cause)
        print(f"hadrill drill: {problem}", file=sys.stderr)
        return EXIT_FAILED
    written = _write_local(reports_dir, summary, markdown or "", drill_reports)
    print_summary(summary, execution, options.as_json_output)
    _say(t("fleet_files", summary=written, reports_dir=reports_dir), quiet)
    return EXIT_OK if summary["outcome"] == "PASSED" else EXIT_FAILED


def _member_report(member: Any, drill_id: str) -> dict[str, Any] | None:
    """The cluster's drill report, with its Markdown kept alongside (under "_markdown")."""
    keys = drill_report_keys(member.facts.cluster_name, drill_id)
    body = member.world.read_object(member.reports_bucket, keys["json"])
    if body is None:
        return None
    markdown = member.world.read_object(member.reports_bucket, keys["markdown"])
    return {**json.loads(body), "_markdown": (markdown or b"").decode()}


def _write_local(
    reports_dir: Path, summary: dict[str, Any], markdown: str, drill_reports: dict[str, dict[str, Any]]
) -> Path:
    """Keep what the world held: the fleet summary and every cluster's drill report."""
    fleets = reports_dir / FLEET_DIR
    fleets.mkdir(parents=True, exist_ok=True)
    fleet_id = str(summary["fleet_id"])
    (fleets / f"{fleet_id}.json").write_text(json.dumps(summary, indent=2) + "\n")
    (fleets / f"{fleet_id}.md").write_text(markdown)
    # The page sits in fleets/, the clusters' reports one level up: link them, not the gone world's S3.
    rows = [
        {**row, "report": {"html": f"../{row['drill_id']}.html"} if row["report"] else {}} for row in summary["drills"]
    ]
    local = {**summary, "drills": rows}
    (fleets / f"{fleet_id}.html").write_text(render_fleet_html(local, simulated=True))
    for drill_id, with_markdown in drill_reports.items():
        report = {k: v for k, v in with_markdown.items() if k != "_markdown"}
        (reports_dir / f"{drill_id}.json").write_text(json.dumps(report, indent=2) + "\n")
        (reports_dir / f"{drill_id}.md").write_text(str(with_markdown["_markdown"]))
        (reports_dir / f"{drill_id}.html").write_text(render_html(report, simulated=True))
    return fleets / f"{fleet_id}.json"


def _setup_all(fleet: Any, concurrency: int, quiet: bool) -> bool:
    """The setup workflow on every cluster, ``concurrency`` at a time (as an operator would start them)."""
    sfn = fleet.world.client("stepfunctions")
    pending = list(fleet.members)
    running: dict[str, Any] = {}
    failed: list[str] = []
    done = 0
    started = time.monotonic()
    while pending or running:
        while pending and len(running) < concurrency:
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
            line = t("fleet_setup_progress", done=done, total=total, cluster=member.facts.cluster_name, status=status)
            _say(line, quiet)
    _say(t("fleet_setup_took", clusters=len(fleet.members), seconds=time.monotonic() - started), quiet)
    if failed:
        problem = t("fleet_setup_failed", clusters=t("list_separator").join(failed))
        print(f"hadrill drill: {problem}", file=sys.stderr)
    return not failed


def run_aws(target: AwsTarget, options: FleetOptions, *, poll_seconds: float = 5.0) -> int:
    """Start the deployed fleet's drill (stack <fleet>-fleet), follow it, print its summary."""
    request = options.request(target.cluster)
    if refused(check_request(request)):
        return EXIT_BAD_INPUT
    fleet_id, arn = target.start_execution("FleetDrill", name_prefix="fleet", request=request)
    sfn = target.client("stepfunctions")
    _say(t("fleet_started", scenario=options.scenario, fleet=target.cluster, arn=arn), options.as_json_output)
    execution = watch_fleet(
        sfn,
        arn,
        say=lambda line: _say(line, options.as_json_output),
        poll_seconds=poll_seconds,
        timeout_seconds=24 * 3600,
    )
    bucket = target.outputs().get("FleetReportsBucket", "")
    key = report_keys(target.cluster, fleet_id, FLEET_REPORTS_PREFIX)["json"]
    try:
        body = target.client("s3").get_object(Bucket=bucket, Key=key)["Body"].read()
    except Exception as error:  # botocore raises many kinds; the message says which
        problem = t("fleet_no_summary_found", location=f"s3://{bucket}/{key}", error=error)
        print(f"hadrill drill: {problem}", file=sys.stderr)
        return EXIT_FAILED
    summary = dict(json.loads(body))
    print_summary(summary, execution, options.as_json_output)
    return EXIT_OK if summary["outcome"] == "PASSED" else EXIT_FAILED
