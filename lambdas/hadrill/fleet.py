"""Fleet drills: one scenario drilled on many clusters, a few at a time, summed up in one report.

The fleet state machine (statemachines/fleet.asl.json) is a Map over the clusters whose items start
each cluster's own Drill state machine and wait for it (``states:startExecution.sync:2``). Each
cluster's drill stays the unit: its lock, preflight gate, recovery and report are its own. This
module plans the Map's items from the execution input and sums the clusters' drill reports up.
"""

from __future__ import annotations

import json
import statistics
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, model_validator
from pydantic.alias_generators import to_camel

from hadrill import contracts
from hadrill import fields as f
from hadrill import patterns as p
from hadrill.drill.model import (
    DRILL_ID,
    MAX_TAKEOVER_TIMEOUT_SECONDS,
    STARTED_BY_KEY,
    Scenario,
)
from hadrill.inputs import validate_execution_input

ENV_VAR = contracts.ENV_FLEET
CLUSTER_NAME = p.CLUSTER_NAME
MAX_CONCURRENCY_LIMIT = contracts.MAX_FLEET_CONCURRENCY
MAX_CLUSTERS = 200
EXECUTION_NAME_MAX = 80

# A cluster's result: its drill's outcome, or NOT_RUN when its drill wrote no report (it could not
# start, or it crashed before recording).
ClusterOutcome = Literal["PASSED", "FAILED", "ABORTED", "NOT_RUN"]
OUTCOMES: tuple[ClusterOutcome, ...] = ("PASSED", "FAILED", "ABORTED", "NOT_RUN")
COST_KEYS = ("state_transitions", "lambda_invocations", "ssm_commands")


class InvalidFleetInput(ValueError):
    """The fleet execution input is wrong; the message names the field. No drill was started."""


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class FleetMember(_Frozen):
    """One cluster of the fleet, as the fleet stack knows it."""

    cluster: str = Field(pattern=CLUSTER_NAME)
    drill_state_machine_arn: str
    reports_bucket: str
    # The cluster's own drill settings (its config's drills section): a fleet drill keeps them
    # unless the fleet execution overrides the SLO or the takeover timeout for every cluster.
    max_rto_seconds: float | None = Field(default=None, gt=0, le=3600)
    takeover_timeout_seconds: int | None = Field(default=None, ge=1, le=MAX_TAKEOVER_TIMEOUT_SECONDS)
    stop_condition_alarms: tuple[str, ...] = Field(default=(), max_length=20)


class FleetFacts(_Frozen):
    """What the fleet functions know (HADRILL_FLEET): the fleet's clusters and its concurrency limit."""

    fleet_name: str = Field(pattern=CLUSTER_NAME)
    max_concurrency: int = Field(ge=1, le=MAX_CONCURRENCY_LIMIT)
    clusters: tuple[FleetMember, ...] = Field(min_length=1, max_length=MAX_CLUSTERS)
    # The failure budget: after more than this many drills of a fleet execution failed, no more start
    # (0: stop at the first failure; those running finish, with their own recovery). None: no budget.
    max_failed_drills: int | None = Field(default=None, ge=0, le=MAX_CLUSTERS)

    @model_validator(mode="after")
    def _unique(self) -> FleetFacts:
        names = [m.cluster for m in self.clusters]
        if len(set(names)) != len(names):
            raise ValueError(f"a cluster is listed twice in fleet {self.fleet_name}: {names}")
        return self

    def member(self, cluster: str) -> FleetMember:
        for member in self.clusters:
            if member.cluster == cluster:
                return member
        raise KeyError(cluster)


class FleetDrillInput(BaseModel):
    """The fleet execution's input (camelCase, like the drill's)."""

    model_config = ConfigDict(extra="forbid", frozen=True, alias_generator=to_camel, populate_by_name=True)

    fleet: f.ClusterName
    scenario: Scenario = "network-down"
    dry_run: StrictBool = False
    switchback: StrictBool = True
    # Passed to every cluster's drill; absent: each drill's own default.
    max_rto_seconds: Annotated[f.Seconds, Field(gt=0, le=3600)] | None = None
    takeover_timeout_seconds: Annotated[f.StrictWhole, Field(ge=1, le=MAX_TAKEOVER_TIMEOUT_SECONDS)] | None = None
    # A subset of the fleet, in the order given; absent: every cluster.
    clusters: tuple[f.ClusterName, ...] | None = Field(default=None, min_length=1, max_length=MAX_CLUSTERS)
    # At most the fleet's configured limit: an execution may lower it, never raise it.
    max_concurrency: Annotated[f.StrictWhole, Field(ge=1, le=MAX_CONCURRENCY_LIMIT)] | None = None
    # Stop starting drills after this many failed (the fleet's own budget when absent).
    max_failed_drills: Annotated[f.StrictWhole, Field(ge=0, le=MAX_CLUSTERS)] | None = None

    @model_validator(mode="after")
    def _takeover_outlasts_the_slo(self) -> FleetDrillInput:
        rto, takeover = self.max_rto_seconds, self.takeover_timeout_seconds
        if rto is not None and takeover is not None and takeover < rto:
            raise ValueError(f"takeoverTimeoutSeconds: {takeover} is shorter than maxRtoSeconds {rto:g}")
        return self


def validate_input(event: object, facts: FleetFacts) -> FleetDrillInput:
    request = validate_execution_input(
        event, FleetDrillInput, cluster=facts.fleet_name, error=InvalidFleetInput, owner_field="fleet"
    )
    known = {m.cluster for m in facts.clusters}
    for cluster in request.clusters or ():
        if cluster not in known:
            raise InvalidFleetInput(f"clusters: {cluster!r} is not in fleet {facts.fleet_name} ({sorted(known)})")
    if request.clusters and len(set(request.clusters)) != len(request.clusters):
        raise InvalidFleetInput("clusters: a cluster is listed twice")
    if request.max_concurrency is not None and request.max_concurrency > facts.max_concurrency:
        raise InvalidFleetInput(
            f"maxConcurrency: {request.max_concurrency} is over the fleet's limit ({facts.max_concurrency})"
        )
    return request


def drill_id(fleet_id: str, cluster: str) -> str:
    """The cluster drill's execution name (and so its drill id and report name): fleet id + cluster."""
    head = fleet_id[: EXECUTION_NAME_MAX - len(cluster) - 1]
    name = f"{head}-{cluster}"
    if not DRILL_ID.fullmatch(name):
        raise InvalidFleetInput(f"the fleet execution name {fleet_id!r} cannot name a drill execution")
    return name


def plan(request: FleetDrillInput, facts: FleetFacts, *, fleet_id: str, execution: str) -> dict[str, Any]:
    """The Map's items (one per cluster: its drill state machine, execution name and input) and its
    concurrency, as the fleet state machine reads them."""
    names = list(request.clusters or [m.cluster for m in facts.clusters])
    # Each Map item checks the failure budget before it starts its drill.
    budget = request.max_failed_drills if request.max_failed_drills is not None else facts.max_failed_drills
    drills: list[dict[str, Any]] = [
        {
            "cluster": name,
            "drillId": drill_id(fleet_id, name),
            "drillStateMachineArn": facts.member(name).drill_state_machine_arn,
            "input": _drill_input(request, facts.member(name), execution),
            "maxFailedDrills": budget,
        }
        for name in names
    ]
    return {
        "fleetId": fleet_id,
        "execution": execution,
        "request": request.model_dump(by_alias=True, mode="json", exclude_none=True),
        "maxConcurrency": min(request.max_concurrency or facts.max_concurrency, len(drills)),
        "maxFailedDrills": budget,
        "drills": drills,
    }


def drill_execution_arn(drill_state_machine_arn: str, drill_name: str) -> str:
    """An execution's ARN is its state machine's with "execution" and the execution's name."""
    return drill_state_machine_arn.replace(":stateMachine:", ":execution:", 1) + f":{drill_name}"


def budget_verdict(failed: list[str], max_failed_drills: int | None) -> dict[str, Any]:
    """Whether the next cluster's drill may start, given the clusters whose drills already failed."""
    if max_failed_drills is None or len(failed) <= max_failed_drills:
        return {"go": True, "reason": ""}
    return {
        "go": False,
        "reason": f"not started: {len(failed)} drill(s) of this fleet drill already failed ({', '.join(failed)}),"
        f" over the failure budget of {max_failed_drills}",
    }


def _drill_input(request: FleetDrillInput, member: FleetMember, execution: str) -> dict[str, Any]:
    """One cluster's drill input: the fleet's scenario, the cluster's own SLO, takeover timeout and
    stop-condition alarms unless the fleet execution sets the first two for everyone."""
    drill_input: dict[str, Any] = {
        "cluster": member.cluster,
        "scenario": request.scenario,
        "dryRun": request.dry_run,
        "switchback": request.switchback,
        STARTED_BY_KEY: execution,
    }
    max_rto = request.max_rto_seconds if request.max_rto_seconds is not None else member.max_rto_seconds
    timeout = (
        request.takeover_timeout_seconds
        if request.takeover_timeout_seconds is not None
        else member.takeover_timeout_seconds
    )
    if max_rto is not None:
        drill_input["maxRtoSeconds"] = max_rto
    if timeout is not None:
        drill_input["takeoverTimeoutSeconds"] = timeout
    if member.stop_condition_alarms:
        drill_input["stopConditionAlarms"] = list(member.stop_condition_alarms)
    return drill_input


def failure_text(failure: dict[str, Any]) -> str:
    """Why a cluster's drill execution did not succeed, from the Map item's caught error.

    ``startExecution.sync`` fails with States.TaskFailed and the child's DescribeExecution as the
    cause: the child's own error and cause (DrillFailed: <reason>) are the useful part.
    """
    error = str(failure.get("Error", ""))
    cause = failure.get("Cause", "")
    try:
        described = json.loads(cause) if isinstance(cause, str) and cause.startswith("{") else None
    except json.JSONDecodeError:
        described = None
    if isinstance(described, dict) and ("error" in described or "Error" in described):
        child_error = described.get("error", described.get("Error", ""))
        child_cause = described.get("cause", described.get("Cause", ""))
        return f"{child_error}: {child_cause}".strip(": ")
    return f"{error}: {cause}".strip(": ")


def cluster_result(
    item: dict[str, Any], report: dict[str, Any] | None, report_uris: dict[str, str], *, fleet_execution: str
) -> dict[str, Any]:
    """One row of the fleet summary from the Map item and the cluster's drill report (None if none).

    A report counts only if this fleet execution started its drill: a report left by an earlier
    execution of the same name must not pass for this one.
    """
    failure = item.get("failure") or {}
    if report is not None and report.get("started_by") != fleet_execution:
        starter = report.get("started_by") or "someone else"
        report = None
        failure = failure or {
            "Error": "NotStartedByThisFleetDrill",
            "Cause": f"drill {item['drillId']} was started by {starter}, not by this fleet drill"
            " (an execution of that name already existed)",
        }
    budget = item.get("budget") or {}
    if report is None and budget.get("go") is False:
        failure = {"Error": "FailureBudgetSpent", "Cause": str(budget.get("reason", ""))}
    if report is None:
        reason = failure_text(failure) if failure else "the drill wrote no report"
        return {
            "cluster": item["cluster"],
            "drill_id": item["drillId"],
            "outcome": "NOT_RUN",
            "rto_seconds": None,
            "max_rto_seconds": None,
            "reason": reason,
            "failed_checks": [],
            "recovered": None,
            "report": {},
            "cost": None,
        }
    return {
        "cluster": item["cluster"],
        "drill_id": item["drillId"],
        "outcome": report["outcome"],
        "rto_seconds": report.get("rto_seconds"),
        "max_rto_seconds": report.get("max_rto_seconds"),
        "reason": report.get("reason", ""),
        "failed_checks": [c["name"] for c in report.get("checks", []) if not c.get("passed")],
        "recovered": (report.get("recovery") or {}).get("recovered"),
        "report": report_uris,
        "cost": {k: (report.get("cost") or {}).get(k) for k in COST_KEYS},
    }


def summarize(
    plan_document: dict[str, Any],
    rows: list[dict[str, Any]],
    *,
    fleet: str,
    started: str,
    finished: str,
    duration_seconds: float,
) -> dict[str, Any]:
    """The fleet summary: every cluster's row, counts by outcome, the RTO spread, one verdict."""
    counts = {outcome: sum(1 for r in rows if r["outcome"] == outcome) for outcome in OUTCOMES}
    rtos = [float(r["rto_seconds"]) for r in rows if r["rto_seconds"] is not None]
    slowest = max((r for r in rows if r["rto_seconds"] is not None), key=lambda r: r["rto_seconds"], default=None)
    not_passed = [r for r in rows if r["outcome"] != "PASSED"]
    planned = len(plan_document.get("drills", []))
    if len(rows) < planned:
        not_passed.append({"cluster": "(fleet)", "outcome": "NOT_RUN", "reason": "not every cluster reported"})
    outcome = "PASSED" if rows and not not_passed else "FAILED"
    if outcome == "PASSED":
        reason = f"all {len(rows)} drills passed"
    else:
        worst = "; ".join(f"{r['cluster']} {r['outcome']}: {r['reason']}" for r in not_passed[:5])
        more = f" (and {len(not_passed) - 5} more)" if len(not_passed) > 5 else ""
        reason = f"{len(not_passed)} of {planned} drills did not pass: {worst}{more}"
    request = plan_document.get("request", {})
    document = {
        "fleet_id": plan_document.get("fleetId", ""),
        "fleet": fleet,
        "execution": plan_document.get("execution", ""),
        "scenario": request.get("scenario"),
        "dry_run": bool(request.get("dryRun", False)),
        "max_concurrency": plan_document.get("maxConcurrency"),
        "outcome": outcome,
        "reason": reason,
        "started": started,
        "finished": finished,
        "duration_seconds": round(duration_seconds, 3),
        "counts": counts,
        "rto_seconds": {
            "max": max(rtos) if rtos else None,
            "mean": round(statistics.fmean(rtos), 3) if rtos else None,
            "median": round(statistics.median(rtos), 3) if rtos else None,
            "slowest_cluster": slowest["cluster"] if slowest else None,
        },
        "drills": rows,
    }
    # Checked against the contract as it is made (hadrill.contracts.FleetSummary).
    return contracts.FleetSummary.model_validate(document).model_dump(by_alias=True, mode="json")


def markdown(summary: dict[str, Any]) -> str:
    """The fleet summary for a ticket: the verdict, then one line per cluster."""
    counts = summary["counts"]
    rto = summary["rto_seconds"]
    size = f"{len(summary['drills'])} clusters, at most {summary['max_concurrency']} at once"
    lines = [
        f"# Fleet drill {summary['fleet_id']}: {summary['outcome']}",
        "",
        f"- Fleet: {summary['fleet']} ({size})",
        f"- Scenario: {summary['scenario']}{' (dry run)' if summary['dry_run'] else ''}",
        f"- {summary['reason']}",
        "- " + ", ".join(f"{k} {v}" for k, v in counts.items()),
        f"- RTO: max {_seconds(rto['max'])} ({rto['slowest_cluster'] or '-'}), "
        f"median {_seconds(rto['median'])}, mean {_seconds(rto['mean'])}",
        f"- Started {summary['started']}, took {summary['duration_seconds']} s",
        "",
        "| cluster | outcome | RTO | SLO | reason |",
        "| --- | --- | --- | --- | --- |",
    ]
    for row in summary["drills"]:
        reason = str(row["reason"]).replace("|", "\\|").replace("\n", " ")[:200]
        lines.append(
            f"| {row['cluster']} | {row['outcome']} | {_seconds(row['rto_seconds'])} "
            f"| {_seconds(row['max_rto_seconds'])} | {reason} |"
        )
    return "\n".join(lines) + "\n"


def _seconds(value: object) -> str:
    return "-" if value is None else f"{float(value):.3f} s"  # type: ignore[arg-type]


def report_keys(fleet: str, fleet_id: str, prefix: str) -> dict[str, str]:
    base = f"{prefix}{fleet}/{fleet_id}"
    return {"json": f"{base}.json", "markdown": f"{base}.md", "html": f"{base}.html"}


def load_fleet_facts(environ: dict[str, str]) -> FleetFacts:
    raw = environ.get(ENV_VAR)
    if not raw:
        raise RuntimeError(f"{ENV_VAR} is not set: the fleet stack sets it on every fleet function")
    return FleetFacts.model_validate_json(raw)
