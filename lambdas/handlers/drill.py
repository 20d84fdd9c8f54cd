"""Drill workflow handlers: validate the input, run one phase, record the result.

Three functions for the whole drill (statemachines/drill.asl.json): ValidateDrillInput (the first
state, touches nothing), RunDrillPhase (every phase, chosen by the state's ``phase`` field; the
phases live in hadrill.drill.phases) and RecordDrillResult (record, report, metrics, event, notify).
"""

from __future__ import annotations

import os
import time
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from hadrill import contracts as c
from hadrill.drill import deadman, phases, probe_hooks, report
from hadrill.drill.model import DrillContext, drill_context
from hadrill.drill.model import validate_input as validate_drill_input
from handlers import workflow as wf
from handlers.env import client, cluster_facts, emit_metric, traced

logger = Logger(service=c.DRILL_SERVICE)
METRIC_NAMESPACE = c.METRIC_NAMESPACE
SERVICE = c.DRILL_SERVICE
METRIC_DIMENSION_CLUSTER = c.METRIC_DIMENSION_CLUSTER
EVENT_DETAIL_TYPE = c.EVENT_DRILL_COMPLETED


@logger.inject_lambda_context
@traced(c.DRILL_SERVICE)
def validate_input(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """The first state: nothing is sent, locked or written before the input is known to be good."""
    started = time.monotonic()
    request = validate_drill_input(event.get("input"), cluster_facts())
    drill = drill_context(
        request, execution=event["execution"], execution_name=event.get("executionName", ""), now_ms=wf.now_ms()
    )
    logger.info("drill requested", extra={"request": request.model_dump(by_alias=True, mode="json")})
    summary = f"{request.scenario} on {request.cluster}{' (dry run)' if request.dry_run else ''}"
    return {
        "request": request.model_dump(by_alias=True, mode="json"),
        "drill": drill.model_dump(by_alias=True, mode="json"),
        "phases": {"ValidateInput": {"summary": summary, "events": [], **wf.billing(started, context)}},
        "failed": {},
    }


def _tools(context: LambdaContext) -> phases.Tools:
    return wf.tools(
        context,
        client=client,  # issue 17: Scheduler (dead-man switch) and Step Functions (stale locks), made when used
        dead_man=deadman.Settings.from_environ(os.environ),
        # client-visible RTO (issue 17): set on RunDrillPhase only, by the stack and the local runner.
        client_probe=probe_hooks.ProbeSettings.from_env(os.environ.get(probe_hooks.ENV_CLIENT_PROBE, "")),
        lambda_client=lambda: client("lambda"),
    )


def _release_lock(state: dict[str, Any], tools: phases.Tools) -> dict[str, Any]:
    return phases.release_lock(DrillContext.model_validate(state["drill"]) if state.get("drill") else None, tools)


@logger.inject_lambda_context
@traced(c.DRILL_SERVICE)
def run_phase(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """One phase of the drill (``event["phase"]``), over the whole state document (``event["state"]``)."""
    return wf.run_step(
        event,
        context,
        key="phase",
        make_tools=lambda: _tools(context),
        steps=phases.PHASES,
        parse=phases.DrillState.from_event,
        release_lock=_release_lock,
        waiting_states=phases.WAITING_STATES,
        logger=logger,
    )


def _history(execution: str) -> list[dict[str, Any]] | None:
    """This execution's history so far, for the cost (None, and the cost says it is an estimate, when it
    cannot be read: it is best effort and never fails the drill's record)."""
    try:
        # Only the event types are counted: no inputs or outputs, the largest pages.
        pages = (
            client("stepfunctions")
            .get_paginator("get_execution_history")
            .paginate(executionArn=execution, includeExecutionData=False, PaginationConfig={"PageSize": 1000})
        )
        return [event for page in pages for event in page["events"]]
    except Exception as error:
        logger.warning("execution history unread; the cost is an estimate", extra={"error": str(error)})
        return None


@logger.inject_lambda_context
@traced(c.DRILL_SERVICE)
def record_result(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """Outcome and report: DynamoDB record + SNS (records.save), JSON and Markdown in S3, EMF metrics,
    a "Drill Completed" event. Returns what the last states need (outcome, reason)."""
    started = time.monotonic()
    facts = cluster_facts()
    state: dict[str, Any] = event.get("state") or {}
    execution = str(event["execution"])
    history = _history(execution)
    drill_report = report.build_report(
        state,
        cluster=facts.cluster_name,
        primary=facts.primary.name,
        execution=execution,
        started_ms=wf.started_ms(state.get("drill"), event.get("started")),
        finished_ms=wf.now_ms(),
        record_ms=(time.monotonic() - started) * 1000,
        memory_mb=int(context.memory_limit_in_mb),
        history=history,
    )
    bucket, keys = wf.put_report(
        drill_report,
        cluster=facts.cluster_name,
        json_text=report.dumps(drill_report),
        markdown=report.markdown(drill_report),
    )
    record, summary = wf.record_and_announce(
        drill_report,
        kind="drill",
        execution=execution,
        summary_of=lambda links: report.summary(drill_report, links),
        keys=keys,
        bucket=bucket,
        event_detail_type=EVENT_DETAIL_TYPE,
    )
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
