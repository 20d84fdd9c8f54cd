"""What the drill's and the switch's handlers share: the invocation's bill, the Tools the steps run
with, and how a finished execution is published (report objects in S3, the record, the event).

Both workflows keep each step's result under ``$.phases.<State>`` and sleep in Wait states between
the runs of a waiting step, so the same plumbing serves both.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from hadrill import contracts as c
from hadrill.contracts import PhaseResult
from hadrill.drill import runtime
from hadrill.drill.model import unwrap_phases
from hadrill.drill.report import report_keys
from hadrill.node_commands import MARGIN_SECONDS
from hadrill.records import WorkflowRecord, save
from hadrill.report_html import render_html
from handlers.env import announce, client, cluster_facts, handler_env


def now_ms() -> int:
    return int(time.time() * 1000)


def billing(started: float, context: LambdaContext, slept: float = 0.0) -> dict[str, Any]:
    """What this invocation costs, for the report's Lambda GB-seconds (``sleptMs``: of which it slept
    polling node commands, which the bench scales with the simulator's delays)."""
    bill: dict[str, Any] = {
        "lambdaMs": round((time.monotonic() - started) * 1000, 1),
        "memoryMb": int(context.memory_limit_in_mb),
    }
    if slept:
        bill["sleptMs"] = round(slept * 1000, 1)
    return bill


def step_result(
    result: Mapping[str, Any], *, state: Mapping[str, Any], waiting_state: str, bill: dict[str, Any]
) -> dict[str, Any]:
    """The step's result with its bill. A step woken from a Wait state adds this invocation to what its
    earlier runs cost: ``lambdaMs`` is the step's total for the report; ``sleptMs`` stays this run's."""
    # Only the waiting state's own result is typed here: every step runs this, and the rest is not read.
    kept = unwrap_phases(state.get("phases")).get(waiting_state)
    earlier = PhaseResult.model_validate(kept) if kept is not None else None
    if earlier is not None and earlier.waitSeconds is not None:
        bill = {**bill, "lambdaMs": round(bill["lambdaMs"] + (earlier.lambdaMs or 0.0), 1)}
    return runtime.checked_result({**result, **bill})


def run_step(
    event: Mapping[str, Any],
    context: LambdaContext,
    *,
    key: str,
    make_tools: Callable[[], runtime.Tools],
    steps: Mapping[str, Callable[[Any, runtime.Tools], dict[str, Any]]],
    parse: Callable[[dict[str, Any]], Any],
    release_lock: Callable[[dict[str, Any], runtime.Tools], dict[str, Any]],
    waiting_states: Mapping[str, str],
    logger: Logger,
) -> dict[str, Any]:
    """One step of a workflow (``event[key]`` names it: one of ``steps``, run on the ``parse``d state
    document, or "release-lock", run on the raw one, since it also ends a rejected input) with its bill."""
    started = time.monotonic()
    name = str(event[key])
    state: dict[str, Any] = dict(event.get("state") or {})
    step_tools = make_tools()
    if name == "release-lock":
        result = release_lock(state, step_tools)
    elif name in steps:
        result = steps[name](parse(state), step_tools)
    else:
        raise ValueError(f"unknown {key} {name!r}")
    logger.info(f"{key} done", extra={key: name, "summary": result.get("summary")})
    bill = billing(started, context, step_tools.slept)
    return step_result(result, state=state, waiting_state=waiting_states.get(name, ""), bill=bill)


def tools(context: LambdaContext, **extra: Any) -> runtime.Tools:
    """The Tools a step runs with: this cluster's facts, the clients, and the time left (``extra``: what
    only one workflow needs, e.g. the drill's dead-man switch and client probe)."""
    env = handler_env()
    given = dict(extra)
    if "cloudwatch" not in given:  # the drill reads its stop-condition alarms; a switch passes None
        given["cloudwatch"] = client("cloudwatch")
    return runtime.Tools(
        facts=cluster_facts(),
        ssm=client("ssm"),
        ec2=client("ec2"),
        dynamodb=client("dynamodb"),
        records_table=env.records_table,
        poll_seconds=env.poll_seconds,
        budget_seconds=context.get_remaining_time_in_millis() / 1000 - MARGIN_SECONDS,
        expected=runtime.Expected.from_mapping(env.expected()),
        time_scale=env.time_scale,
        **given,
    )


def started_ms(context_document: Mapping[str, Any] | None, started: str | None) -> int:
    """When the execution started: its context's own stamp, else the execution's start time, else now."""
    if context_document and "startedEpochMs" in context_document:
        return int(context_document["startedEpochMs"])
    if started:
        return int(datetime.fromisoformat(started.replace("Z", "+00:00")).timestamp() * 1000)
    return now_ms()


def put_report(report: Mapping[str, Any], *, cluster: str, json_text: str, markdown: str) -> tuple[str, dict[str, str]]:
    """The report as JSON, Markdown and HTML in the reports bucket; returns the bucket and the keys."""
    keys = report_keys(cluster, str(report["drill_id"]), c.REPORTS_PREFIX)
    bucket = os.environ.get(c.ENV_REPORTS_BUCKET, "")
    s3 = client("s3")
    bodies: Iterable[tuple[str, str, str]] = (
        (keys["json"], json_text, "application/json"),
        (keys["markdown"], markdown, "text/markdown"),
        (keys["html"], render_html(report), "text/html; charset=utf-8"),
    )
    for key, body, content_type in bodies:
        s3.put_object(Bucket=bucket, Key=key, Body=body.encode(), ContentType=content_type)
    return bucket, keys


def record_and_announce(
    report: Mapping[str, Any],
    *,
    kind: str,
    execution: str,
    summary_of: Callable[[dict[str, str]], dict[str, Any]],
    keys: Mapping[str, str],
    bucket: str,
    event_detail_type: str,
) -> tuple[WorkflowRecord, dict[str, Any]]:
    """The record (DynamoDB + SNS) and the EventBridge event; returns the record and the summary."""
    env = handler_env()
    summary = summary_of({k: f"s3://{bucket}/{v}" for k, v in keys.items()})
    record = WorkflowRecord(
        cluster=str(report["cluster"]),
        kind=kind,
        execution=execution,
        started=report["started"],
        outcome=report["outcome"],
        finished=report["finished"],
        detail=summary,
    )
    save(client("dynamodb"), client("sns"), table=env.records_table, topic_arn=env.topic_arn, record=record)
    announce(event_detail_type, summary)
    return record, summary
