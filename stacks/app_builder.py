"""Builds the whole CDK app from a validated config; app.py, tests and benchmarks share it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import aws_cdk as cdk
from cdk_nag import AwsSolutionsChecks

from stacks.cluster import ClusterStack
from stacks.config import DeploymentConfig
from stacks.network import NetworkStack
from stacks.orchestration.stack import OrchestrationStack

CLUSTER_TAG = "hadrill:cluster"
CDK_JSON = Path(__file__).resolve().parent.parent / "cdk.json"


def cdk_json_context() -> dict[str, Any]:
    """The feature flags from cdk.json, so `python app.py` and tests synthesize what `cdk synth` does."""
    context: dict[str, Any] = json.loads(CDK_JSON.read_text(encoding="utf-8"))["context"]
    return context


def new_app(*, outdir: str | None = None, context: dict[str, Any] | None = None) -> cdk.App:
    return cdk.App(outdir=outdir, context={**cdk_json_context(), **(context or {})})


def build_stacks(app: cdk.App, config: DeploymentConfig) -> dict[str, cdk.Stack]:
    """Add the cluster's stacks to `app` and the cdk-nag checks that gate synth."""
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

    cdk.Tags.of(app).add(CLUSTER_TAG, name)
    for key, value in config.tags.items():
        cdk.Tags.of(app).add(key, value)
    cdk.Validations.of(app).add_plugins(AwsSolutionsChecks(app))
    return stacks
