"""A fleet of clusters in one LocalWorld, and the fleet drill state machine over them.

Each member is a whole cluster deployment (deploy_local); the fleet adds what the fleet stack adds
in AWS: the two fleet functions, the fleet reports bucket and the FleetDrill state machine.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from hadrill.fleet import FleetFacts
from localrunner.deployment import LocalDeployment
from localworld import LocalWorld
from stacks.config import DeploymentConfig, Drills
from stacks.orchestration import wiring

# Cluster names end in -NN; the rest of the name must still fit CLUSTER_NAME's 32 characters.
MAX_SIM_CLUSTERS = 99


@dataclass
class LocalFleet:
    world: LocalWorld
    facts: FleetFacts
    members: list[LocalDeployment]
    reports_bucket: str
    state_machine: str = ""  # ARN
    function_names: dict[str, str] = field(default_factory=dict)

    def read_summary(self, fleet_id: str) -> dict[str, Any] | None:
        key = f"{wiring.FLEET_REPORTS_PREFIX}{self.facts.fleet_name}/{fleet_id}.json"
        body = self.world.read_object(self.reports_bucket, key)
        return None if body is None else dict(json.loads(body))

    def read_markdown(self, fleet_id: str) -> str | None:
        key = f"{wiring.FLEET_REPORTS_PREFIX}{self.facts.fleet_name}/{fleet_id}.md"
        body = self.world.read_object(self.reports_bucket, key)
        return None if body is None else body.decode()


def sim_fleet_configs(base: DeploymentConfig, count: int) -> list[DeploymentConfig]:
    """``count`` clusters like ``base``, named <base>-01 … <base>-NN, each with its own secrets.

    The simulated clusters share nothing but the world: separate nodes, route tables, documents,
    records, reports and topics (all named by cluster), as separate deployments in one account do.
    """
    if not 1 <= count <= MAX_SIM_CLUSTERS:
        raise ValueError(f"a simulated fleet has 1 to {MAX_SIM_CLUSTERS} clusters, not {count}")
    stem = base.cluster_name[:29].rstrip("-")
    configs = []
    for index in range(1, count + 1):
        name = f"{stem}-{index:02d}"
        secrets = base.secrets.model_copy(
            update={
                "hulft_license": f"hadrill/{name}/hulft-license",
                "lifekeeper_license": f"hadrill/{name}/lifekeeper-license",
            }
        )
        configs.append(base.model_copy(update={"cluster_name": name, "secrets": secrets}))
    return configs


def _member(deployment: LocalDeployment) -> dict[str, object]:
    drills = deployment.config.drills if deployment.config is not None else Drills()
    return wiring.fleet_member(
        cluster=deployment.facts.cluster_name,
        drill_state_machine_arn=deployment.state_machines["Drill"],
        reports_bucket=deployment.reports_bucket,
        max_rto_seconds=drills.max_rto_seconds,
        takeover_timeout_seconds=drills.takeover_timeout_seconds,
        stop_condition_alarms=list(drills.stop_condition_alarms),
    )


def deploy_fleet_local(
    world: LocalWorld,
    members: list[LocalDeployment],
    *,
    fleet_name: str,
    max_concurrency: int,
    max_failed_drills: int | None = None,
) -> LocalFleet:
    """The fleet functions and state machine over already deployed ``members``."""
    facts = FleetFacts.model_validate(
        wiring.fleet_facts_document(
            fleet_name=fleet_name,
            max_concurrency=max_concurrency,
            max_failed_drills=max_failed_drills,
            members=[_member(m) for m in members],
        )
    )
    reports_bucket = f"{fleet_name}-fleet-reports-local"
    world.client("s3").create_bucket(Bucket=reports_bucket)
    fleet = LocalFleet(world=world, facts=facts, members=members, reports_bucket=reports_bucket)
    environment = {
        wiring.ENV_FLEET: facts.model_dump_json(),
        wiring.ENV_FLEET_REPORTS_BUCKET: reports_bucket,
        "POWERTOOLS_METRICS_NAMESPACE": wiring.METRIC_NAMESPACE,
        "POWERTOOLS_LOG_LEVEL": "WARNING",
    }
    arns = {}
    for spec in wiring.FLEET.functions:
        function_name = f"{fleet_name}-{spec.name}"
        arns[spec.name] = world.add_lambda(
            function_name, spec.handler, environment=environment, timeout_s=spec.timeout_seconds
        )
        fleet.function_names[spec.name] = function_name
    fleet.state_machine = world.create_state_machine(
        f"{fleet_name}-{wiring.FLEET.name}",
        wiring.FLEET.definition(),
        {spec.substitution: arns[spec.name] for spec in wiring.FLEET.functions},
    )
    # The whole fleet is deployed: the collector need not walk it again at every full collection.
    world.freeze_deployed()
    return fleet
