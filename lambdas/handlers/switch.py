"""Switch workflow handlers (statemachines/switch.asl.json): ValidateSwitchInput (the first state,
touches nothing), RunSwitchStep (every step, chosen by the state's ``step`` field; the steps live in
hadrill.switch.steps) and RecordSwitchResult (record, report, event, notify)."""

from __future__ import annotations

import os
import time
from datetime import datetime
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from hadrill.drill import phases
from hadrill.drill import report as drill_report
from hadrill.drill.model import unwrap_phases
from hadrill.node_commands import MARGIN_SECONDS
from hadrill.records import WorkflowRecord, save
from hadrill.report_html import render_html
from hadrill.switch import model, steps
from hadrill.switch import report as switch_report
from handlers.env import announce, client, cluster_facts, handler_env, traced

logger = Logger(service="hadrill-switch")
REPORTS_BUCKET_ENV = "HADRILL_REPORTS_BUCKET"  # stacks.orchestration.wiring.ENV_REPORTS_BUCKET
REPORTS_PREFIX = "reports/"  # stacks.orchestration.wiring.REPORTS_PREFIX
EVENT_DETAIL_TYPE = "Switch Completed"


def _now_ms() -> int:
    return int(time.time() * 1000)


def _billing(started: float, context: LambdaContext, slept: float = 0.0) -> dict[str, Any]:
    billing: dict[str, Any] = {
        "lambdaMs": round((time.monotonic() - started) * 1000, 1),
        "memoryMb": int(context.memory_limit_in_mb),
    }
    if slept:
        billing["sleptMs"] = round(slept * 1000, 1)
    return billing


@logger.inject_lambda_context
@traced("hadrill-switch")
def validate_input(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """The first state: nothing is locked or sent before the input is known to be good."""
    started = time.monotonic()
    facts = cluster_facts()
    request = model.validate_input(event.get("input"), facts)
    switch = model.switch_context(
        request, facts, execution=event["execution"], execution_name=event.get("executionName", ""), now_ms=_now_ms()
    )
    summary = f"{switch.kind} of {facts.hulft_tag} to {switch.to_node} on {request.cluster}"
    return {
        "request": request.model_dump(by_alias=True, mode="json"),
        "switch": switch.model_dump(by_alias=True, mode="json"),
        "phases": {"ValidateInput": {"summary": summary, "events": [], **_billing(started, context)}},
        "failed": {},
    }


def _tools(context: LambdaContext) -> phases.Tools:
    env = handler_env()
    return phases.Tools(
        facts=cluster_facts(),
        ssm=client("ssm"),
        ec2=client("ec2"),
        cloudwatch=None,  # a switch reads no alarms
        dynamodb=client("dynamodb"),
        records_table=env.records_table,
        poll_seconds=env.poll_seconds,
        budget_seconds=context.get_remaining_time_in_millis() / 1000 - MARGIN_SECONDS,
        expected=phases.Expected.from_mapping(env.expected()),
        time_scale=env.time_scale,
    )


@logger.inject_lambda_context
@traced("hadrill-switch")
def run_step(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """One step of the switch (``event["step"]``), over the whole state document (``event["state"]``)."""
    started = time.monotonic()
    name = str(event["step"])
    state: dict[str, Any] = event.get("state") or {}
    tools = _tools(context)
    if name == "release-lock":
        result = steps.release_lock(state, tools)
    else:
        if name not in steps.STEPS:
            raise ValueError(f"unknown switch step {name!r}")
        result = steps.STEPS[name](steps.SwitchState.from_event(state), tools)
    logger.info("step done", extra={"step": name, "summary": result.get("summary")})
    billing = _billing(started, context, tools.slept)
    earlier = unwrap_phases(state.get("phases")).get(steps.WAITING_STATES.get(name, ""), {})
    if "waitSeconds" in earlier:  # a step woken from a Wait state adds this run to its earlier ones
        billing["lambdaMs"] = round(billing["lambdaMs"] + float(earlier.get("lambdaMs", 0)), 1)
    return {**result, **billing}


def _started_ms(state: dict[str, Any], started: str | None) -> int:
    switch = state.get("switch") or {}
    if "startedEpochMs" in switch:
        return int(switch["startedEpochMs"])
    if started:
        return int(datetime.fromisoformat(started.replace("Z", "+00:00")).timestamp() * 1000)
    return _now_ms()


@logger.inject_lambda_context
@traced("hadrill-switch")
def record_result(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """Outcome and report: the record (kind "switch") + SNS, JSON/Markdown/HTML in S3 beside the drills'
    reports, a "Switch Completed" event. Returns what the last states need."""
    started = time.monotonic()
    facts = cluster_facts()
    env = handler_env()
    state: dict[str, Any] = event.get("state") or {}
    execution = str(event["execution"])
    report = switch_report.build_report(
        state,
        cluster=facts.cluster_name,
        execution=execution,
        started_ms=_started_ms(state, event.get("started")),
        finished_ms=_now_ms(),
        record_ms=(time.monotonic() - started) * 1000,
        memory_mb=int(context.memory_limit_in_mb),
    )
    keys = drill_report.report_keys(facts.cluster_name, report["drill_id"], REPORTS_PREFIX)
    bucket = os.environ.get(REPORTS_BUCKET_ENV, "")
    s3 = client("s3")
    bodies = (
        (keys["json"], switch_report.dumps(report), "application/json"),
        (keys["markdown"], switch_report.markdown(report), "text/markdown"),
        (keys["html"], render_html(report), "text/html; charset=utf-8"),
    )
    for key, body, content_type in bodies:
        s3.put_object(Bucket=bucket, Key=key, Body=body.encode(), ContentType=content_type)
    summary = switch_report.summary(report, {k: f"s3://{bucket}/{v}" for k, v in keys.items()})
    record = WorkflowRecord(
        cluster=facts.cluster_name,
        kind=model.RECORD_KIND,
        execution=execution,
        started=report["started"],
        outcome=report["outcome"],
        finished=report["finished"],
        detail=summary,
    )
    save(client("dynamodb"), client("sns"), table=env.records_table, topic_arn=env.topic_arn, record=record)
    announce(EVENT_DETAIL_TYPE, summary)
    logger.info("switch recorded", extra={"summary": summary})
    return {
        "outcome": report["outcome"],
        "error": f"Switch{report['outcome'].title()}",  # the failed execution's Error
        "reason": report["reason"][:1000],
        "switchId": report["drill_id"],
        "recordId": record.record_id,
        "report": summary["report"],
    }
