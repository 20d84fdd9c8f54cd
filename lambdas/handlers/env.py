"""The functions' environment as a typed model, the AWS clients built once per container, and tracing.

Cold start (issue 18): nothing heavy happens at import. boto3 is imported when the first client is made,
and Powertools' Tracer (which imports the X-Ray SDK and patches botocore, about 150-350 ms) is built at
the first invocation, and only when tracing is on.
"""

from __future__ import annotations

import functools
import json
import os
import threading
from collections.abc import Callable
from typing import Any, TypeVar

from aws_lambda_powertools.metrics import MetricUnit, single_metric
from pydantic import BaseModel, ConfigDict, Field

from hadrill.facts import ClusterFacts, load_cluster_facts

_CLIENTS: dict[str, Any] = {}
_CLIENTS_LOCK = threading.Lock()  # boto3's default session is not thread-safe
_TRACERS: dict[str, Any] = {}
Handler = TypeVar("Handler", bound=Callable[..., Any])


class HandlerEnv(BaseModel):
    # Aliases are literals (pydantic reads them statically); a test holds them to hadrill.contracts' ENV_* names.
    model_config = ConfigDict(frozen=True, extra="ignore")

    records_table: str = Field(alias="HADRILL_RECORDS_TABLE")
    topic_arn: str = Field(alias="HADRILL_TOPIC_ARN")
    # How often a waiting function asks SSM for a command's status (seconds).
    poll_seconds: float = Field(default=2.0, gt=0, alias="HADRILL_POLL_SECONDS")
    # Wait state seconds per wall-clock second: 1 in AWS; the local world shortens its Wait states.
    time_scale: float = Field(default=1.0, gt=0, alias="HADRILL_TIME_SCALE")
    # How long the cluster is expected to take, JSON {"takeover": s, "boot": s, ...} (hadrill.drill.phases.Expected).
    expected_seconds: str = Field(default="", alias="HADRILL_EXPECTED_SECONDS")

    def expected(self) -> dict[str, float]:
        values = json.loads(self.expected_seconds) if self.expected_seconds.strip() else {}
        return {str(k): float(v) for k, v in values.items()} if isinstance(values, dict) else {}


def handler_env() -> HandlerEnv:
    # Read on every invocation, not cached: the local world runs several clusters' functions in
    # one process, each with its own environment. Parsing it costs well under a millisecond.
    return HandlerEnv.model_validate(dict(os.environ))


def cluster_facts() -> ClusterFacts:
    return load_cluster_facts()


def client(service: str) -> Any:
    with _CLIENTS_LOCK:
        if service not in _CLIENTS:
            import boto3  # here, not at import: about 130 ms of a cold start that validation never needs

            _CLIENTS[service] = boto3.client(service)  # type: ignore[call-overload]
        return _CLIENTS[service]


def tracing_disabled() -> bool:
    return os.environ.get("POWERTOOLS_TRACE_DISABLED", "").strip().lower() in ("1", "true")


def _tracer(service: str) -> Any:
    with _CLIENTS_LOCK:
        if service not in _TRACERS:
            from aws_lambda_powertools import Tracer

            _TRACERS[service] = Tracer(service=service)
        return _TRACERS[service]


def traced(service: str) -> Callable[[Handler], Handler]:
    """Powertools' ``Tracer.capture_lambda_handler``, with the Tracer built at the first traced invocation
    instead of at import (with tracing disabled it is never built: the handler is called as it is)."""

    def decorate(handler: Handler) -> Handler:
        wrapped: dict[str, Any] = {}

        @functools.wraps(handler)
        def call(event: Any, context: Any) -> Any:
            if tracing_disabled():
                return handler(event, context)
            if "handler" not in wrapped:
                wrapped["handler"] = _tracer(service).capture_lambda_handler(handler)
            return wrapped["handler"](event, context)

        return call  # type: ignore[return-value]

    return decorate


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
