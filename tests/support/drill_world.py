"""A simulated cluster, set up by the real setup workflow, on which tests run drill executions.

The world is the one `hadrill drill --local` uses (hadrill_cli.local.local_cluster): moto, the
simulated nodes, every function and state machine from the wiring, the VIP route tables.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import signal
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hadrill.contracts import REPORTS_PREFIX
from hadrill_cli.local import local_cluster
from localrunner import LocalDeployment
from localworld.results import ExecutionResult
from simulator import Knobs, SimulatedCluster, Timings
from simulator.scenario import run as run_document
from stacks.config import DEFAULT_CONFIG_PATH, DeploymentConfig, load_config
from support.report_schema import assert_valid_report

_names = itertools.count(1)


@dataclass(frozen=True)
class DrillRun:
    """One drill execution and what it left behind: its report (JSON and Markdown) from S3."""

    result: ExecutionResult
    report: dict[str, Any] | None
    markdown: str | None
    commands_sent: int  # SSM commands accepted while it ran

    @property
    def outcome(self) -> str | None:
        return None if self.report is None else str(self.report["outcome"])

    @property
    def reason(self) -> str:
        return "" if self.report is None else str(self.report["reason"])

    def check(self, name_part: str) -> dict[str, Any]:
        assert self.report is not None
        return next(c for c in self.report["checks"] if name_part in c["name"])


class DrillWorld:
    def __init__(self, config: DeploymentConfig, deployment: LocalDeployment) -> None:
        self.config = config
        self.deployment = deployment
        self.world = deployment.world
        self.cluster = deployment.cluster
        self.facts = deployment.facts

    @property
    def cluster_name(self) -> str:
        return self.config.cluster_name

    def start(self, **drill_input: Any) -> str:
        """Start a drill (input in camelCase, cluster filled in) and return its execution ARN."""
        request = {"cluster": self.cluster_name, **drill_input}
        name = f"drill-{next(_names)}"
        return self.world.start_execution(self.deployment.state_machines["Drill"], request, name)

    def finish(self, arn: str, *, commands_before: int = 0, timeout_s: float = 120.0) -> DrillRun:
        result = self.world.wait_execution(arn, timeout_s=timeout_s, commands_before=commands_before)
        drill_id = arn.rsplit(":", 1)[-1]
        return DrillRun(result, self.report(drill_id), self.markdown(drill_id), result.ssm_commands_sent)

    def run(self, *, raw_input: Any = None, timeout_s: float = 120.0, **drill_input: Any) -> DrillRun:
        before = self.world.ssm.commands_sent
        if raw_input is not None:
            arn = self.world.start_execution(
                self.deployment.state_machines["Drill"], raw_input, f"drill-{next(_names)}"
            )
        else:
            arn = self.start(**drill_input)
        return self.finish(arn, commands_before=before, timeout_s=timeout_s)

    def _object(self, key: str) -> bytes | None:
        return self.world.read_object(self.deployment.reports_bucket, key)

    def report(self, drill_id: str) -> dict[str, Any] | None:
        body = self._object(f"{REPORTS_PREFIX}{self.cluster_name}/{drill_id}.json")
        if body is None:
            return None
        report = dict(json.loads(body))
        assert_valid_report(report)  # every report a drill in these tests writes fits the published schema
        return report

    def markdown(self, drill_id: str) -> str | None:
        body = self._object(f"reports/{self.cluster_name}/{drill_id}.md")
        return None if body is None else body.decode()

    def lock_item(self) -> dict[str, Any] | None:
        item = self.world.client("dynamodb").get_item(
            TableName=self.deployment.records_table,
            Key={"cluster": {"S": self.cluster_name}, "recordId": {"S": "lock"}},
            ConsistentRead=True,
        )
        found: dict[str, Any] | None = item.get("Item")
        return found

    def drill_records(self) -> list[dict[str, Any]]:
        response = self.world.client("dynamodb").query(
            TableName=self.deployment.records_table,
            KeyConditionExpression="#c = :c AND begins_with(recordId, :k)",
            ExpressionAttributeNames={"#c": "cluster"},
            ExpressionAttributeValues={":c": {"S": self.cluster_name}, ":k": {"S": "drill#"}},
        )
        items: list[dict[str, Any]] = response["Items"]
        return items

    def record_of(self, run: DrillRun) -> dict[str, Any]:
        execution = run.result.execution_arn
        return next(i for i in self.drill_records() if i["execution"]["S"] == execution)

    def notifications(self) -> list[dict[str, Any]]:
        return self.deployment.notifications()

    def set_knobs(self, knobs: Knobs) -> None:
        self.cluster.set_knobs(knobs)

    def switch_over(self, to_secondary: bool) -> None:
        """A planned switchover by hand (what an operator does with LifeKeeper), outside any drill."""
        node, target = (0, self.facts.secondary.name) if to_secondary else (1, self.facts.primary.name)
        ran = run_document(self.cluster, node, "InjectFault", timeout=60, Fault="switchover", TargetNode=target)
        assert ran.outcome.status == "Success", ran.outcome

    def primary_is_home(self) -> bool:
        """The hierarchy is in service on the primary, the VIP route points at it, both nodes online."""
        primary = self.cluster.lifekeeper_name(self.cluster.instance_ids[0])
        return (
            self.cluster.active_node() == primary
            and self.cluster.vip_route_target() == self.cluster.eni_of(self.cluster.instance_ids[0])
            and all(self.cluster.is_online(i) for i in self.cluster.instance_ids)
        )


def reap_node_processes(cluster: SimulatedCluster) -> None:
    """Kill what a hang knob left behind on this cluster's nodes (a stand-in that sleeps for ever
    in a detached job): exactly the processes whose environment names this cluster's state root."""
    marker = f"HADRILL_SIM_STATE={cluster.root}".encode()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError):
            if marker in (entry / "environ").read_bytes().split(b"\0"):
                os.kill(int(entry.name), signal.SIGKILL)


def default_config() -> DeploymentConfig:
    return load_config(DEFAULT_CONFIG_PATH)


@contextmanager
def drill_world(*, timings: Timings | None = None, knobs: Knobs | None = None) -> Iterator[DrillWorld]:
    """A fresh world with the setup workflow run (knobs apply from the start, so pass only those that
    do not stop setup; others go in with ``cluster.set_knobs`` after it)."""
    config = default_config()
    with local_cluster(config, timings=timings or Timings.fast(), knobs=knobs) as deployment:
        setup = deployment.world.run_execution(
            deployment.state_machines["Setup"], {"cluster": config.cluster_name}, name="setup", timeout_s=120
        )
        assert setup.succeeded, f"setup failed: {setup.error}: {setup.cause}"
        try:
            yield DrillWorld(config, deployment)
        finally:
            reap_node_processes(deployment.cluster)
