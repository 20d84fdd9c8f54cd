"""Drill workflow handlers: validate the input, run one phase, record the result.

Three functions for the whole drill (statemachines/drill.asl.json): ValidateDrillInput (the first
state, touches nothing), RunDrillPhase (every phase, chosen by the state's ``phase`` field; the
phases live in hadrill.drill.phases) and RecordDrillResult (record, report, metrics, event, notify).
"""

from __future__ import annotations

import os
import time
from datetime import datetime
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from hadrill import contracts as c
from hadrill.drill import deadman, phases, probe_hooks, report
from hadrill.drill.model import DrillContext, drill_context, unwrap_phases
from hadrill.drill.model import validate_input as validate_drill_input
from hadrill.node_commands import MARGIN_SECONDS
from hadrill.records import WorkflowRecord, save
from hadrill.report_html import render_html
from handlers.env import announce, client, cluster_facts, emit_metric, handler_env, traced

logger = Logger(service=c.DRILL_SERVICE)
METRIC_NAMESPACE = c.METRIC_NAMESPACE
SERVICE = c.DRILL_SERVICE
REPORTS_BUCKET_ENV = c.ENV_REPORTS_BUCKET
REPORTS_PREFIX = c.REPORTS_PREFIX
METRIC_DIMENSION_CLUSTER = c.METRIC_DIMENSION_CLUSTER
EVENT_DETAIL_TYPE = c.EVENT_DRILL_COMPLETED


def _now_ms() -> int:
    return int(time.time() * 1000)


def _billing(started: float, context: LambdaContext, slept: float = 0.0) -> dict[str, Any]:
    """What this invocation costs, for the report's Lambda GB-seconds (``sleptMs``: of which it slept polling
    node commands, which the bench scales with the simulator's delays)."""
    billing: dict[str, Any] = {
        "lambdaMs": round((time.monotonic() - started) * 1000, 1),
        "memoryMb": int(context.memory_limit_in_mb),
    }
    if slept:
        billing["sleptMs"] = round(slept * 1000, 1)
    return billing


@logger.inject_lambda_context
@traced(c.DRILL_SERVICE)
def validate_input(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """The first state: nothing is sent, locked or written before the input is known to be good."""
    started = time.monotonic()
    request = validate_drill_input(event.get("input"), cluster_facts())
    drill = drill_context(
        request, execution=event["execution"], execution_name=event.get("executionName", ""), now_ms=_now_ms()
    )
    logger.info("drill requested", extra={"request": request.model_dump(by_alias=True, mode="json")})
    summary = f"{request.scenario} on {request.cluster}{' (dry run)' if request.dry_run else ''}"
    return {
        "request": request.model_dump(by_alias=True, mode="json"),
        "drill": drill.model_dump(by_alias=True, mode="json"),
        "phases": {"ValidateInput": {"summary": summary, "events": [], **_billing(started, context)}},
        "failed": {},
    }


def _tools(context: LambdaContext) -> phases.Tools:
    env = handler_env()
    return phases.Tools(
        facts=cluster_facts(),
        ssm=client("ssm"),
        ec2=client("ec2"),
        cloudwatch=client("cloudwatch"),
        dynamodb=client("dynamodb"),
        records_table=env.records_table,
        poll_seconds=env.poll_seconds,
        budget_seconds=context.get_remaining_time_in_millis() / 1000 - MARGIN_SECONDS,
        expected=phases.Expected.from_mapping(env.expected()),
        time_scale=env.time_scale,
        client=client,  # issue 17: Scheduler (dead-man switch) and Step Functions (stale locks), made when used
        dead_man=deadman.Settings.from_environ(os.environ),
        # client-visible RTO (issue 17): set on RunDrillPhase only, by the stack and the local runner.
        client_probe=probe_hooks.ProbeSettings.from_env(os.environ.get(probe_hooks.ENV_CLIENT_PROBE, "")),
        lambda_client=lambda: client("lambda"),
    )


@logger.inject_lambda_context
@traced(c.DRILL_SERVICE)
def run_phase(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """One phase of the drill (``event["phase"]``), over the whole state document (``event["state"]``)."""
    started = time.monotonic()
    name = str(event["phase"])
    state: dict[str, Any] = event.get("state") or {}
    tools = _tools(context)
    if name == "release-lock":
        drill = DrillContext.model_validate(state["drill"]) if state.get("drill") else None
        result = phases.release_lock(drill, tools)
    else:
        if name not in phases.PHASES:
            raise ValueError(f"unknown drill phase {name!r}")
        result = phases.PHASES[name](phases.DrillState.from_event(state), tools)
    logger.info("phase done", extra={"phase": name, "summary": result.get("summary")})
    billing = _billing(started, context, tools.slept)
    # A phase woken from a Wait state adds this invocation to what its earlier ones cost.
    earlier = unwrap_phases(state.get("phases")).get(phases.WAITING_STATES.get(name, ""), {})
    if "waitSeconds" in earlier:  # lambdaMs is the phase's total for the report; sleptMs stays this run's
        billing["lambdaMs"] = round(billing["lambdaMs"] + float(earlier.get("lambdaMs", 0)), 1)
    return {**result, **billing}


def _started_ms(state: dict[str, Any], started: str | None) -> int:
    drill = state.get("drill") or {}
    if "startedEpochMs" in drill:
        return int(drill["startedEpochMs"])
    if started:
        return int(datetime.fromisoformat(started.replace("Z", "+00:00")).timestamp() * 1000)
    return _now_ms()


@logger.inject_lambda_context
@traced(c.DRILL_SERVICE)
def record_result(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """Outcome and report: DynamoDB record + SNS (records.save), JSON and Markdown in S3, EMF metrics,
    a "Drill Completed" event. Returns what the last states need (outcome, reason)."""
    started = time.monotonic()
    facts = cluster_facts()
    env = handler_env()
    state: dict[str, Any] = event.get("state") or {}
    execution = str(event["execution"])
    started_ms = _started_ms(state, event.get("started"))
    drill_report = report.build_report(
        state,
        cluster=facts.cluster_name,
        primary=facts.primary.name,
        execution=execution,
        started_ms=started_ms,
        finished_ms=_now_ms(),
        record_ms=(time.monotonic() - started) * 1000,
        memory_mb=int(context.memory_limit_in_mb),
    )
    keys = report.report_keys(facts.cluster_name, drill_report["drill_id"], REPORTS_PREFIX)
    bucket = os.environ.get(REPORTS_BUCKET_ENV, "")
    s3 = client("s3")
    s3.put_object(
        Bucket=bucket, Key=keys["json"], Body=report.dumps(drill_report).encode(), ContentType="application/json"
    )
    s3.put_object(
        Bucket=bucket, Key=keys["markdown"], Body=report.markdown(drill_report).encode(), ContentType="text/markdown"
    )
    s3.put_object(
        Bucket=bucket, Key=keys["html"], Body=render_html(drill_report).encode(), ContentType="text/html; charset=utf-8"
    )
    summary = report.summary(drill_report, {k: f"s3://{bucket}/{v}" for k, v in keys.items()})
    record = WorkflowRecord(
        cluster=facts.cluster_name,
        kind="drill",
        execution=execution,
        started=drill_report["started"],
        outcome=drill_report["outcome"],
        finished=drill_report["finished"],
        detail=summary,
    )
    save(client("dynamodb"), client("sns"), table=env.records_table, topic_arn=env.topic_arn, record=record)
    announce(EVENT_DETAIL_TYPE, summary)
    # Dimensions "service" and "cluster": the stack's dashboard and alarm read exactly these, so
    # clusters sharing an account (a fleet) keep their own numbers.
    dimensions = {c.METRIC_DIMENSION_SERVICE: SERVICE, METRIC_DIMENSION_CLUSTER: facts.cluster_name}
    outcome_metric = c.outcome_metric(drill_report["outcome"])
    emit_metric(outcome_metric, MetricUnit.Count, 1, namespace=METRIC_NAMESPACE, dimensions=dimensions)
    if drill_report["rto_seconds"] is not None:
        rto = float(drill_report["rto_seconds"])
        emit_metric(c.METRIC_DRILL_RTO, MetricUnit.Seconds, rto, namespace=METRIC_NAMESPACE, dimensions=dimensions)
    client_rto = (drill_report.get("client_rto") or {}).get("seconds")
    if client_rto is not None:  # issue 17
        emit_metric(
            c.METRIC_CLIENT_RTO,
            MetricUnit.Seconds,
            float(client_rto),
            namespace=METRIC_NAMESPACE,
            dimensions=dimensions,
        )
    logger.info("drill recorded", extra={"summary": summary})
    return {
        "outcome": drill_report["outcome"],
        "error": c.outcome_metric(drill_report["outcome"]),  # the failed execution's Error
        "reason": drill_report["reason"][:1000],
        "drillId": drill_report["drill_id"],
        "recordId": record.record_id,
        "rtoSeconds": drill_report["rto_seconds"],
        "report": summary["report"],
    }
