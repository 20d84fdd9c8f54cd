"""The functions' environment as a typed model, and the AWS clients built once per container."""

from __future__ import annotations

import json
import os
import threading
from typing import Any

import boto3
from aws_lambda_powertools.metrics import MetricUnit, single_metric
from pydantic import BaseModel, ConfigDict, Field

from hadrill.facts import ClusterFacts, load_cluster_facts

_CLIENTS: dict[str, Any] = {}
_CLIENTS_LOCK = threading.Lock()  # boto3's default session is not thread-safe


class HandlerEnv(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    records_table: str = Field(alias="HADRILL_RECORDS_TABLE")
    topic_arn: str = Field(alias="HADRILL_TOPIC_ARN")
    # How often a waiting function asks SSM for a command's status (seconds).
    poll_seconds: float = Field(default=2.0, gt=0, alias="HADRILL_POLL_SECONDS")


def handler_env() -> HandlerEnv:
    # Read on every invocation, not cached: the local world runs several clusters' functions in
    # one process, each with its own environment. Parsing it costs well under a millisecond.
    return HandlerEnv.model_validate(dict(os.environ))


def cluster_facts() -> ClusterFacts:
    return load_cluster_facts()


def client(service: str) -> Any:
    with _CLIENTS_LOCK:
        if service not in _CLIENTS:
            _CLIENTS[service] = boto3.client(service)  # type: ignore[call-overload]
        return _CLIENTS[service]


def emit_metric(name: str, unit: MetricUnit, value: float, *, namespace: str, dimensions: dict[str, str]) -> None:
    """One EMF metric with exactly these dimensions, printed now.

    Not Powertools' module-level Metrics: its dimensions and metric set are shared by every
    invocation in the process, which the local world runs concurrently (one cluster's drill
    would stamp its cluster on another's numbers). Each call here is self-contained.
    """
    with single_metric(name=name, unit=unit, value=value, namespace=namespace, default_dimensions=dimensions):
        pass


def announce(detail_type: str, detail: dict[str, Any]) -> None:
    """One event from source "hadrill" on the default bus (rules route it to people and tickets)."""
    client("events").put_events(
        Entries=[
            {
                "Source": "hadrill",
                "DetailType": detail_type,
                "Detail": json.dumps(detail, default=str),
                "EventBusName": "default",
            }
        ]
    )
