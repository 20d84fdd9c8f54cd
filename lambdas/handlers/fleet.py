"""Fleet drill handlers: plan the drills (validate the input, one Map item per cluster) and sum them up.

The drills themselves are each cluster's own Drill state machine, started and awaited by the fleet
state machine (statemachines/fleet.asl.json); these two functions never touch a node.
"""

from __future__ import annotations

import json
import os
import time
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext
from botocore.exceptions import ClientError

from hadrill import contracts as c
from hadrill import fleet
from hadrill.contracts import iso_utc as iso
from hadrill.drill import report as drill_report
from hadrill.fleet_html import render_fleet_html
from handlers.env import announce, client, emit_metric, traced

logger = Logger(service=c.FLEET_SERVICE)
METRIC_NAMESPACE = c.METRIC_NAMESPACE
FLEET_REPORTS_BUCKET_ENV = c.ENV_FLEET_REPORTS_BUCKET
FLEET_REPORTS_PREFIX = c.FLEET_REPORTS_PREFIX
REPORTS_PREFIX = c.REPORTS_PREFIX  # where each cluster's drill writes its report
EVENT_DETAIL_TYPE = c.EVENT_FLEET_DRILL_COMPLETED


def _facts() -> fleet.FleetFacts:
    return fleet.load_fleet_facts(dict(os.environ))


@logger.inject_lambda_context
@traced(c.FLEET_SERVICE)
def plan_drills(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """The first state: validate the input, then one Map item per cluster. Nothing is started yet."""
    facts = _facts()
    request = fleet.validate_input(event.get("input"), facts)
    plan = fleet.plan(
        request, facts, fleet_id=str(event.get("executionName") or "fleet"), execution=str(event["execution"])
    )
    plan["startedEpochMs"] = int(time.time() * 1000)
    logger.info("fleet drill planned", extra={"clusters": [d["cluster"] for d in plan["drills"]]})
    return plan


FAILED_STATUSES = ("FAILED", "TIMED_OUT", "ABORTED")


@logger.inject_lambda_context
@traced(c.FLEET_SERVICE)
def check_budget(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """Before a cluster's drill starts: have more of this fleet execution's drills failed than the
    budget allows? Reads the other clusters' drill executions (named <fleet execution>-<cluster>)."""
    budget = event.get("maxFailedDrills")
    if budget is None:
        return fleet.budget_verdict([], None)
    facts = _facts()
    fleet_id = str(event["fleetExecution"]).rsplit(":", 1)[-1]
    sfn = client("stepfunctions")
    failed = []
    for member in facts.clusters:
        if member.cluster == event.get("cluster"):
            continue
        arn = fleet.drill_execution_arn(member.drill_state_machine_arn, fleet.drill_id(fleet_id, member.cluster))
        try:
            status = sfn.describe_execution(executionArn=arn)["status"]
        except sfn.exceptions.ExecutionDoesNotExist:
            continue  # not started (yet, or not in this fleet drill's subset)
        if status in FAILED_STATUSES:
            failed.append(member.cluster)
    verdict = fleet.budget_verdict(failed, int(budget))
    logger.info("failure budget", extra={"cluster": event.get("cluster"), "failed": failed, "go": verdict["go"]})
    return verdict


def _read_report(bucket: str, key: str) -> dict[str, Any] | None:
    try:
        body = client("s3").get_object(Bucket=bucket, Key=key)["Body"].read()
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") in ("NoSuchKey", "404", "AccessDenied"):
            return None
        raise
    return dict(json.loads(body))


@logger.inject_lambda_context
@traced(c.FLEET_SERVICE)
def summarize(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """Read each cluster's drill report, write the fleet summary (JSON, Markdown, HTML), announce it."""
    facts = _facts()
    state: dict[str, Any] = event.get("state") or {}
    plan: dict[str, Any] = state.get("plan") or {}
    # No results when the Map itself failed (its error is in "failure"): every planned cluster then
    # gets its row from its report, if its drill got as far as writing one.
    items: list[dict[str, Any]] = state.get("results") or [
        {"cluster": d["cluster"], "drillId": d["drillId"]} for d in plan.get("drills", [])
    ]
    rows = []
    for item in items:
        member = facts.member(item["cluster"])
        keys = drill_report.report_keys(member.cluster, item["drillId"], REPORTS_PREFIX)
        report = _read_report(member.reports_bucket, keys["json"])
        uris = {kind: f"s3://{member.reports_bucket}/{key}" for kind, key in keys.items()}
        rows.append(fleet.cluster_result(item, report, uris, fleet_execution=str(plan.get("execution", ""))))
    started_ms = int(plan.get("startedEpochMs") or time.time() * 1000)
    finished_ms = int(time.time() * 1000)
    summary = fleet.summarize(
        plan,
        rows,
        fleet=facts.fleet_name,
        started=iso(started_ms),
        finished=iso(finished_ms),
        duration_seconds=(finished_ms - started_ms) / 1000,
    )
    if state.get("failure"):
        summary["reason"] += f" (the fleet Map itself failed: {fleet.failure_text(state['failure'])})"
        summary["outcome"] = "FAILED"
    bucket = os.environ.get(FLEET_REPORTS_BUCKET_ENV, "")
    keys = fleet.report_keys(facts.fleet_name, summary["fleet_id"], FLEET_REPORTS_PREFIX)
    s3 = client("s3")
    s3.put_object(
        Bucket=bucket, Key=keys["json"], Body=json.dumps(summary, indent=2).encode(), ContentType="application/json"
    )
    s3.put_object(
        Bucket=bucket, Key=keys["markdown"], Body=fleet.markdown(summary).encode(), ContentType="text/markdown"
    )
    page = render_fleet_html(summary).encode()
    s3.put_object(Bucket=bucket, Key=keys["html"], Body=page, ContentType="text/html; charset=utf-8")
    uris = {kind: f"s3://{bucket}/{key}" for kind, key in keys.items()}
    announced = {k: v for k, v in summary.items() if k != "drills"} | {
        "drills": [{k: r[k] for k in ("cluster", "outcome", "rto_seconds")} for r in summary["drills"]],
        "report": uris,
    }
    announce(EVENT_DETAIL_TYPE, announced)
    dimensions = {"service": "hadrill-fleet", "fleet": facts.fleet_name}
    for outcome, count in summary["counts"].items():
        name = f"FleetDrills{outcome.title().replace('_', '')}"
        emit_metric(name, MetricUnit.Count, count, namespace=METRIC_NAMESPACE, dimensions=dimensions)
    logger.info("fleet drill summed up", extra={"outcome": summary["outcome"], "counts": summary["counts"]})
    return {
        "outcome": summary["outcome"],
        "error": "FleetDrillPassed" if summary["outcome"] == "PASSED" else "FleetDrillFailed",
        "reason": summary["reason"][:1000],
        "counts": summary["counts"],
        "report": uris,
    }
