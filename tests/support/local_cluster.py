"""Simulated clusters deployed into a LocalWorld from the example config, and setup runs on them."""

from __future__ import annotations

import itertools
import json
from pathlib import Path
from typing import Any

import yaml

from localrunner import LocalDeployment, deploy_local
from localworld import ExecutionResult, LocalWorld
from simulator import Knobs, Timings
from stacks.config import DeploymentConfig, parse_config
from stacks.orchestration.wiring import LAMBDAS_DIR
from support.synthesis import DEFAULT_CONFIG

_NAMES = itertools.count(1)


def open_world() -> LocalWorld:
    return LocalWorld(time_scale=0.01, handler_paths=[LAMBDAS_DIR], strict_documents=True, close_timeout_s=5)


def config_named(name: str) -> DeploymentConfig:
    data: dict[str, Any] = yaml.safe_load(DEFAULT_CONFIG.read_text())
    data["cluster_name"] = name
    data["secrets"]["hulft_license"] = f"hadrill/{name}/hulft-license"
    return parse_config(data)


def deploy(world: LocalWorld, root: Path, *, prefix: str = "t", knobs: Knobs | None = None) -> LocalDeployment:
    """A fresh cluster with a unique name, so several can share one world."""
    name = f"{prefix}-{next(_NAMES):03d}"
    return deploy_local(config_named(name), world=world, root=root, timings=Timings.fast(), knobs=knobs)


def run_setup(deployment: LocalDeployment, request: dict[str, Any] | None = None) -> ExecutionResult:
    payload = request if request is not None else {"cluster": deployment.facts.cluster_name}
    return deployment.world.run_execution(
        deployment.state_machines["Setup"], payload, name=f"setup-{next(_NAMES)}", timeout_s=120
    )


def step_results(result: ExecutionResult) -> dict[str, Any]:
    """The Lambda payload of each setup step that succeeded, by step name."""
    payloads: dict[str, Any] = {}
    for event in result.events_of("TaskSucceeded"):
        output = json.loads(event["taskSucceededEventDetails"]["output"])
        payload = output.get("Payload", output)
        if isinstance(payload, dict) and "step" in payload:
            payloads[payload["step"]] = payload
    return payloads


def records(deployment: LocalDeployment, kind: str) -> list[dict[str, Any]]:
    """The cluster's records of one kind, newest first, as plain values."""
    response = deployment.world.client("dynamodb").query(
        TableName=deployment.records_table,
        KeyConditionExpression="#c = :c AND begins_with(recordId, :k)",
        ExpressionAttributeNames={"#c": "cluster"},
        ExpressionAttributeValues={":c": {"S": deployment.facts.cluster_name}, ":k": {"S": f"{kind}#"}},
        ScanIndexForward=False,
    )
    return [{key: next(iter(value.values())) for key, value in item.items()} for item in response["Items"]]
