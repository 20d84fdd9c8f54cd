"""Switch workflow handlers (statemachines/switch.asl.json): ValidateSwitchInput (the first state,
touches nothing), RunSwitchStep (every step, chosen by the state's ``step`` field; the steps live in
hadrill.switch.steps) and RecordSwitchResult (record, report, event, notify)."""

from __future__ import annotations

import time
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from hadrill import contracts as c
from hadrill.switch import model, steps
from hadrill.switch import report as switch_report
from handlers import workflow as wf
from handlers.env import client, cluster_facts, traced

logger = Logger(service=c.SWITCH_SERVICE)


@logger.inject_lambda_context
@traced(c.SWITCH_SERVICE)
def validate_input(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """The first state: nothing is locked or sent before the input is known to be good."""
    started = time.monotonic()
    facts = cluster_facts()
    request = model.validate_input(event.get("input"), facts)
    switch = model.switch_context(
        request, facts, execution=event["execution"], execution_name=event.get("executionName", ""), now_ms=wf.now_ms()
    )
    summary = f"{switch.kind} of {facts.hulft_tag} to {switch.to_node} on {request.cluster}"
    return {
        "request": request.model_dump(by_alias=True, mode="json"),
        "switch": switch.model_dump(by_alias=True, mode="json"),
        "phases": {"ValidateInput": {"summary": summary, "events": [], **wf.billing(started, context)}},
        "failed": {},
    }


@logger.inject_lambda_context
@traced(c.SWITCH_SERVICE)
def run_step(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """One step of the switch (``event["step"]``), over the whole state document (``event["state"]``)."""
    return wf.run_step(
        event,
        context,
        key="step",
        # A switch reads no alarms; it reads executions (a lock whose execution has ended is stale).
        make_tools=lambda: wf.tools(context, cloudwatch=None, client=client),
        steps=steps.STEPS,
        parse=steps.SwitchState.from_event,
        release_lock=steps.release_lock,
        waiting_states=steps.WAITING_STATES,
        logger=logger,
    )


@logger.inject_lambda_context
@traced(c.SWITCH_SERVICE)
def record_result(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """Outcome and report: the record (kind "switch") + SNS, JSON/Markdown/HTML in S3 beside the drills'
    reports, a "Switch Completed" event. Returns what the last states need."""
    started = time.monotonic()
    facts = cluster_facts()
    state: dict[str, Any] = event.get("state") or {}
    execution = str(event["execution"])
    report = switch_report.build_report(
        state,
        cluster=facts.cluster_name,
        execution=execution,
        started_ms=wf.started_ms(state.get("switch"), event.get("started")),
        finished_ms=wf.now_ms(),
        record_ms=(time.monotonic() - started) * 1000,
        memory_mb=int(context.memory_limit_in_mb),
    )
    bucket, keys = wf.put_report(
        report,
        cluster=facts.cluster_name,
        json_text=switch_report.dumps(report),
        markdown=switch_report.markdown(report),
    )
    record, summary = wf.record_and_announce(
        report,
        kind=model.RECORD_KIND,
        execution=execution,
        summary_of=lambda links: switch_report.summary(report, links),
        keys=keys,
        bucket=bucket,
        event_detail_type=c.EVENT_SWITCH_COMPLETED,
    )
    logger.info("switch recorded", extra={"summary": summary})
    return {
        "outcome": report["outcome"],
        "error": f"Switch{report['outcome'].title()}",  # the failed execution's Error
        "reason": report["reason"][:1000],
        "switchId": report["drill_id"],
        "recordId": record.record_id,
        "report": summary["report"],
    }
