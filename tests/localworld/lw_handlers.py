"""Lambda handlers for the localworld tests, imported by dotted path ("lw_handlers.<name>")."""

from __future__ import annotations

import os
from typing import Any

import boto3

_attempts: dict[str, int] = {}


class TransientError(Exception):
    pass


def send_command(event: dict[str, Any], context: Any) -> dict[str, Any]:
    response = boto3.client("ssm").send_command(
        InstanceIds=event["instances"],
        DocumentName=event.get("document", "Echo"),
        Parameters=event.get("parameters", {}),
        TimeoutSeconds=event.get("timeout", 60),
    )
    return {"CommandId": response["Command"]["CommandId"], "Status": response["Command"]["Status"]}


def reject(event: dict[str, Any], context: Any) -> dict[str, Any]:
    raise ValueError(f"field 'cluster' is required, got {sorted(event)}")


def flaky(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Fails with TransientError until it has been called event['failures'] times for event['key']."""
    key = event["key"]
    _attempts[key] = _attempts.get(key, 0) + 1
    if _attempts[key] <= event["failures"]:
        raise TransientError(f"attempt {_attempts[key]}")
    return {"attempts": _attempts[key]}


def describe_context(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return {
        "function_name": context.function_name,
        "request_id": context.aws_request_id,
        "remaining_ms": context.get_remaining_time_in_millis(),
        "memory": context.memory_limit_in_mb,
        "arn": context.invoked_function_arn,
        "table": os.environ.get("TABLE_NAME"),
        "env_function_name": os.environ.get("AWS_LAMBDA_FUNCTION_NAME"),
    }


def echo(event: Any, context: Any) -> Any:
    return event


def powertools(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Powertools' Logger reads the context (name, memory, ARN, request id) at every invocation."""
    from aws_lambda_powertools import Logger

    logger = Logger(service="localworld-test")

    @logger.inject_lambda_context
    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        logger.info("hello")
        return {"request": context.aws_request_id}

    return handler(event, context)


def unserializable(event: Any, context: Any) -> Any:
    return {"when": object()}


def slow_env(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Reads its STAGE before and after a pause: another function running meanwhile must not change it."""
    import time

    before = os.environ["STAGE"]
    started = time.time()
    time.sleep(event.get("pause", 0.3))
    return {
        "before": before,
        "after": os.getenv("STAGE"),
        "keys": "STAGE" in dict(os.environ),
        "started": started,
        "ended": time.time(),
    }
