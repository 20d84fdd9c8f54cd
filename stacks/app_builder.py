"""Builds the whole CDK app from a validated config; app.py, tests and benchmarks share it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import aws_cdk as cdk
from cdk_nag import AwsSolutionsChecks

from stacks.cluster import ClusterStack
from stacks.config import DeploymentConfig
from stacks.fleet.config import Fleet
from stacks.fleet.stack import FleetMember, FleetStack, export_name
from stacks.network import NetworkStack
from stacks.orchestration.stack import OrchestrationStack

CLUSTER_TAG = "hadrill:cluster"
FLEET_TAG = "hadrill:fleet"
CDK_JSON = Path(__file__).resolve().parent.parent / "cdk.json"


def cdk_json_context() -> dict[str, Any]:
    """The feature flags from cdk.json, so `python app.py` and tests synthesize what `cdk synth` does."""
    context: dict[str, Any] = json.loads(CDK_JSON.read_text(encoding="utf-8"))["context"]
    return context


def new_app(*, outdir: str | None = None, context: dict[str, Any] | None = None) -> cdk.App:
    return cdk.App(outdir=outdir, context={**cdk_json_context(), **(context or {})})


def build_stacks(app: cdk.App, config: DeploymentConfig) -> dict[str, cdk.Stack]:
    """Add the cluster's stacks to `app` and the cdk-nag checks that gate synth."""
    stacks = cluster_stacks(app, config)
    cdk.Validations.of(app).add_plugins(AwsSolutionsChecks(app))
    return stacks


def build_fleet(app: cdk.App, fleet: Fleet) -> dict[str, dict[str, cdk.Stack]]:
    """Every member cluster's stacks (as build_stacks makes them), the fleet stack over them, and
    the cdk-nag checks. Returns {cluster name: its stacks, "fleet": {"fleet": the fleet stack}}."""
    built = {config.cluster_name: cluster_stacks(app, config) for config in fleet.clusters}
    members = []
    for config in fleet.clusters:
        orchestration = built[config.cluster_name]["orchestration"]
        assert isinstance(orchestration, OrchestrationStack)
        members.append(export_for_fleet(orchestration, config))
    first_cluster = built[fleet.clusters[0].cluster_name]["cluster"]
    assert isinstance(first_cluster, ClusterStack)
    fleet_stack = FleetStack(
        app,
        f"{fleet.name}-fleet",
        fleet=fleet,
        members=members,
        access_logs=first_cluster.media,
        description=f"Fleet drills of {fleet.name} over {len(members)} clusters",
    )
    for stacks in built.values():
        fleet_stack.add_stack_dependency(stacks["orchestration"])
    cdk.Tags.of(fleet_stack).add(FLEET_TAG, fleet.name)
    cdk.Validations.of(app).add_plugins(AwsSolutionsChecks(app))
    return {**built, "fleet": {"fleet": fleet_stack}}


def export_for_fleet(orchestration: OrchestrationStack, config: DeploymentConfig) -> FleetMember:
    """Export what the fleet stack needs under names we choose, and import them there: the fleet's
    IAM statements and their cdk-nag acknowledgements then name them (CDK's own cross-stack
    references would carry generated export names)."""
    cluster_name = config.cluster_name
    exported = {
        "drill-state-machine-name": orchestration.state_machines["Drill"].state_machine_name,
        "drill-reports-bucket": orchestration.reports.bucket_name,
    }
    for what, value in exported.items():
        cdk.CfnOutput(orchestration, f"FleetExport-{what}", value=value, export_name=export_name(cluster_name, what))
    return FleetMember(
        cluster_name=cluster_name,
        drill_state_machine_name=cdk.Fn.import_value(export_name(cluster_name, "drill-state-machine-name")),
        reports_bucket_name=cdk.Fn.import_value(export_name(cluster_name, "drill-reports-bucket")),
        drills=config.drills,
    )


def cluster_stacks(app: cdk.App, config: DeploymentConfig) -> dict[str, cdk.Stack]:
    """One cluster's network (unless bring-your-own), cluster and orchestration stacks, tagged."""
    name = config.cluster_name
    stacks: dict[str, cdk.Stack] = {}
    network = None
    if config.creates_nodes:
        network = NetworkStack(app, f"{name}-network", config=config, description=f"Network of {name}")
        stacks["network"] = network
    cluster = ClusterStack(
        app,
        f"{name}-cluster",
        config=config,
        network=network,
        description=f"LifeKeeper + HULFT cluster {name}",
    )
    stacks["cluster"] = cluster
    stacks["orchestration"] = OrchestrationStack(
        app, f"{name}-orchestration", config=config, cluster=cluster, description=f"Setup and drill workflows of {name}"
    )

    # Per stack, not app-wide: a fleet app holds several clusters, each with its own tags.
    for stack in stacks.values():
        cdk.Tags.of(stack).add(CLUSTER_TAG, name)
        for key, value in config.tags.items():
            cdk.Tags.of(stack).add(key, value)
    return stacks
