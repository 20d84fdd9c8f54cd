"""Setup workflow handlers: validate the input, run one step on the nodes, record the result."""

from __future__ import annotations

import os
from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from hadrill import conformance, contracts, setup
from hadrill.node_commands import MARGIN_SECONDS, Waiting, run_commands
from hadrill.records import WorkflowError, WorkflowRecord, save
from handlers.env import client, cluster_facts, handler_env, traced

logger = Logger(service=contracts.SETUP_SERVICE)
metrics = Metrics(namespace=contracts.METRIC_NAMESPACE, service=contracts.SETUP_SERVICE)


ENV_REPORTS_BUCKET = contracts.ENV_REPORTS_BUCKET


class SetupChecksFailed(Exception):
    """Preflight or verification found the cluster not as setup needs or leaves it."""


@logger.inject_lambda_context
@traced(contracts.SETUP_SERVICE)
def validate_input(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """The first state: nothing is sent to a node before the input is known to be good."""
    request = setup.validate_input(event.get("input"), cluster_facts())
    logger.info("setup requested", extra={"request": request.model_dump(by_alias=True)})
    return request.model_dump(by_alias=True, mode="json")


@logger.inject_lambda_context
@traced(contracts.SETUP_SERVICE)
def run_step(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    step: setup.SetupStep = event["step"]
    request = setup.SetupInput.model_validate(event["request"])
    facts = cluster_facts()
    reason = setup.skip_reason(step, request)
    if reason is not None:
        return {"step": step, "skipped": True, "message": reason}
    commands = setup.plan(step, facts)
    read_only = step in setup.ALWAYS_RUN
    if request.dry_run and not read_only:
        planned = [f"would run {c.document} on {c.node}" for c in commands]
        return {"step": step, "skipped": True, "message": "dry run: " + "; ".join(planned)}
    if request.dry_run and step == "verify-hierarchy":
        return {"step": step, "skipped": True, "message": "dry run: nothing was installed to verify"}

    waiting = Waiting(
        poll_seconds=handler_env().poll_seconds,
        budget_seconds=context.get_remaining_time_in_millis() / 1000 - MARGIN_SECONDS,
    )
    results = run_commands(client("ssm"), commands, waiting=waiting, comment=f"hadrill setup {step}")
    if read_only:
        checks = setup.status_checks(step, facts, results, configure_base=bool(request.configure_base))
        failures = [c for c in checks if not c.passed]
        if failures:
            raise SetupChecksFailed(f"{step}: " + "; ".join(f"{c.name}: {c.detail}" for c in failures))
        return {
            "step": step,
            "summary": setup.checks_summary(step, checks),
            "checks": [{"name": c.name, "passed": c.passed, "detail": c.detail} for c in checks],
        }
    nodes = [outcome.as_dict() for outcome in setup.outcomes(step, results)]
    logger.info("step done", extra={"step": step, "nodes": nodes})
    return {"step": step, "changed": any(n["changed"] for n in nodes), "nodes": nodes}


# Where the probe's raw outputs go in the reports bucket (the function may put objects only under it,
# for this cluster).
CONFORMANCE_PREFIX = contracts.CONFORMANCE_PREFIX


@logger.inject_lambda_context
@traced(contracts.SETUP_SERVICE)
def probe_conformance(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """The conformance probe on both nodes (read-only, also in a dry run). Saves every raw output the
    probe read to the reports bucket, then returns the table; the state machine stops setup before
    its first change when ``ok`` is false, with ``stop`` (one line per mismatch, naming the fix)."""
    request = setup.SetupInput.model_validate(event["request"])
    execution = str(event.get("execution") or "manual")
    facts = cluster_facts()
    commands = setup.probe_plan(facts, configure_base=bool(request.configure_base))
    waiting = Waiting(
        poll_seconds=handler_env().poll_seconds,
        budget_seconds=context.get_remaining_time_in_millis() / 1000 - MARGIN_SECONDS,
    )
    results = run_commands(client("ssm"), commands, waiting=waiting, comment="hadrill setup conformance-probe")
    reports = setup.probe_reports(results)
    bucket = os.environ.get(ENV_REPORTS_BUCKET, "")
    keys: list[str] = []
    if bucket:
        s3 = client("s3")
        for report in reports:
            key = conformance.raw_key(CONFORMANCE_PREFIX, facts.cluster_name, execution, report.node)
            body = conformance.raw_document(report, cluster=facts.cluster_name, execution=execution)
            s3.put_object(Bucket=bucket, Key=key, Body=body.encode(), ContentType="application/json")
            keys.append(f"s3://{bucket}/{key}")
    output = conformance.step_output(reports, keys)
    logger.info("conformance probe", extra={"ok": output["ok"], "stop": output["stop"], "raw": keys})
    return output


@logger.inject_lambda_context
@traced(contracts.SETUP_SERVICE)
@metrics.log_metrics
def record_result(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """Record SUCCEEDED or FAILED with the steps' results and the failure's own words, then notify."""
    facts = cluster_facts()
    state: dict[str, Any] = event.get("state", {})
    failed = "error" in state
    detail: dict[str, Any] = {"steps": state.get("results", {}), "request": state.get("request")}
    if failed:
        error = WorkflowError.from_catch(state["error"])
        detail["error"] = {"type": error.error, "message": error.message}
    record = WorkflowRecord(
        cluster=facts.cluster_name,
        kind="setup",
        execution=event["execution"],
        started=event["started"],
        outcome="FAILED" if failed else "SUCCEEDED",
        detail=detail,
    )
    env = handler_env()
    save(client("dynamodb"), client("sns"), table=env.records_table, topic_arn=env.topic_arn, record=record)
    metrics.add_metric(
        name=contracts.METRIC_SETUP_FAILED if failed else contracts.METRIC_SETUP_SUCCEEDED,
        unit=MetricUnit.Count,
        value=1,
    )
    result: dict[str, Any] = {"outcome": record.outcome, "recordId": record.record_id}
    if failed:
        result["error"] = detail["error"]["type"]
        result["cause"] = detail["error"]["message"]
    return contracts.SetupResult.model_validate(result).model_dump(exclude_none=True)
