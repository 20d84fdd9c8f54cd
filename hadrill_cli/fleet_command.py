"""`hadrill drill --fleet`: one scenario drilled on every cluster of a fleet, a few at a time.

The fleet state machine does the work (a Map over the clusters, each item one cluster's own Drill
execution); this command starts it, shows each cluster's drill as it starts and ends, and prints the
fleet summary. Locally (`--local --sim-clusters N`) the fleet is N simulated clusters in one world.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from hadrill.fleet import FleetDrillInput, drill_execution_arn, report_keys
from hadrill.inputs import problem_with
from hadrill_cli.drill_command import DrillChoices, refused
from hadrill_cli.follow import FINAL_STATUSES, Execution
from hadrill_cli.local import DEFAULT_SIM_CLUSTERS as DEFAULT_SIM_CLUSTERS
from hadrill_cli.local import LocalFleetTarget
from hadrill_cli.local import local_fleet_name as local_fleet_name
from hadrill_cli.messages import outcome_text, t
from hadrill_cli.render import display_width
from hadrill_cli.target import Target
from stacks.orchestration.wiring import FLEET_REPORTS_PREFIX

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_BAD_INPUT = 2


@dataclass(frozen=True)
class FleetOptions(DrillChoices):
    max_concurrency: int | None = None  # the fleet's own when None
    clusters: tuple[str, ...] | None = None  # every cluster of the fleet when None
    max_failed: int | None = None  # the failure budget (the fleet's own when None)

    def request(self, fleet: str) -> dict[str, Any]:
        return {
            "fleet": fleet,
            **self._request(
                maxConcurrency=self.max_concurrency,
                clusters=list(self.clusters) if self.clusters else None,
                maxFailedDrills=self.max_failed,
            ),
        }


def check_request(request: dict[str, Any]) -> str | None:
    """The fleet validates its input too; checking here first gives exit code 2 and no execution."""
    return problem_with(FleetDrillInput, request)


def _say(text: str, quiet: bool) -> None:
    if not quiet:
        print(text, flush=True)


@dataclass
class ClusterProgress:
    """Each cluster's drill as the fleet runs it: pending, running, then its final status."""

    children: dict[str, str] = field(default_factory=dict)  # cluster -> drill execution ARN
    status: dict[str, str] = field(default_factory=dict)  # cluster -> last status seen
    nested_seen: int = 0  # how many of the fleet's nested-execution events were looked at

    def plan_from(self, execution: Execution) -> None:
        if self.children:
            return
        planned = next((s.result for s in execution.states if s.name == "PlanDrills" and s.result), None)
        for drill in (planned or {}).get("drills", []):
            arn = drill_execution_arn(str(drill["drillStateMachineArn"]), str(drill["drillId"]))
            self.children[str(drill["cluster"])] = arn

    def look(self, sfn: Any, execution: Execution, say: Callable[[str], None]) -> None:
        """Ask about the drills the fleet's history says were started or ended since the last look (the task
        events of their nested executions name them), every unfinished one when an event names none, and
        every unfinished one once more when the fleet ends. A fleet of 50 at concurrency 10 polled twice a
        second used to describe every running drill at every poll, a tenth of the local world's CPU."""
        self.plan_from(execution)
        named = execution.nested_executions[self.nested_seen :]
        self.nested_seen = len(execution.nested_executions)
        if execution.status in FINAL_STATUSES or "" in named:
            self.poll(sfn, say)
        elif named:
            self.poll(sfn, say, only=set(named))

    def poll(self, sfn: Any, say: Callable[[str], None], only: set[str] | None = None) -> None:
        """Describe the unfinished drills (``only`` these ARNs, when given) and say what changed."""
        done = sum(1 for s in self.status.values() if s in FINAL_STATUSES)
        for cluster, arn in self.children.items():
            if self.status.get(cluster) in FINAL_STATUSES or (only is not None and arn not in only):
                continue
            try:
                described = sfn.describe_execution(executionArn=arn)
            except sfn.exceptions.ExecutionDoesNotExist:
                # Not started yet: the Map runs at most maxConcurrency at once, in order, so the clusters
                # after this one have not started either.
                break
            status = str(described["status"])
            if status == self.status.get(cluster):
                continue
            self.status[cluster] = status
            if status == "RUNNING":
                say(t("fleet_cluster_drilling", cluster=cluster))
                continue
            done += 1
            verdict = "PASSED" if status == "SUCCEEDED" else str(described.get("error") or status)
            total, seconds = len(self.children), _ran(described)
            say(t("fleet_cluster_done", done=done, total=total, cluster=cluster, verdict=verdict, seconds=seconds))


def _ran(described: dict[str, Any]) -> float:
    """How long the drill ran, by Step Functions' own clock (not by when this command happened to look)."""
    started, stopped = described.get("startDate"), described.get("stopDate")
    return 0.0 if started is None or stopped is None else (stopped - started).total_seconds()


def watch_fleet(target: Target, arn: str, *, say: Callable[[str], None], poll_seconds: float | None) -> Execution:
    """Follow the fleet execution and each cluster's drill in it until the fleet ends."""
    progress = ClusterProgress()
    sfn = target.client("stepfunctions")

    def look_at_drills(execution: Execution) -> None:
        progress.look(sfn, execution, say)

    return target.follow(arn, "fleet", on_poll=look_at_drills, poll_seconds=poll_seconds)


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


def run(target: Target, options: FleetOptions, *, poll_seconds: float | None = None) -> int:
    """Start the fleet's drill (a deployed fleet: stack <fleet>-fleet; locally: N simulated clusters in one
    world), follow it and each cluster's drill in it, print its summary."""
    local = target if isinstance(target, LocalFleetTarget) else None
    if local is not None:
        problem = local.size_problem()
        if problem:
            print(f"hadrill drill: {problem}", file=sys.stderr)
            return EXIT_BAD_INPUT
    if options.takeover_timeout is None:  # as `hadrill drill --local`: the simulated takeover is quick
        options = replace(options, takeover_timeout=target.default_takeover_timeout())
    request = options.request(target.cluster)
    if refused(check_request(request)):
        return EXIT_BAD_INPUT
    quiet = options.as_json_output

    def say(line: str) -> None:
        _say(line, quiet)

    if local is not None:
        clusters, concurrency = local.sim_clusters, local.concurrency
        say(
            t(
                "fleet_local",
                scenario=options.scenario,
                clusters=clusters,
                concurrency=concurrency,
                mode=t("local_mode"),
            )
        )
    with target.opened():
        if not target.prepare(say):
            return EXIT_FAILED
        target.inject_fault(say)
        fleet_id, arn = target.start_execution("FleetDrill", name_prefix="fleet", request=request)
        if local is None:
            say(t("fleet_started", scenario=options.scenario, fleet=target.cluster, arn=arn))
        execution = watch_fleet(target, arn, say=say, poll_seconds=poll_seconds)
        bucket = target.outputs().get("FleetReportsBucket", "")
        key = report_keys(target.cluster, fleet_id, FLEET_REPORTS_PREFIX)["json"]
        try:
            summary = target.read_json(f"s3://{bucket}/{key}")
        except Exception as error:  # botocore raises many kinds; the message says which
            problem = target.missing_text("fleet_no_summary", execution, location=f"s3://{bucket}/{key}", error=error)
            print(f"hadrill drill: {problem}", file=sys.stderr)
            return EXIT_FAILED
        kept = None if local is None or summary is None else local.keep_fleet(summary)
    if summary is None:
        return EXIT_FAILED
    print_summary(summary, execution, options.as_json_output)
    if kept:
        say(kept)
    return EXIT_OK if summary["outcome"] == "PASSED" else EXIT_FAILED


run_aws = run  # tests/workflows/test_fleet.py's name for it
