"""`hadrill status`: the whole cluster in one read-only view, in the operators' words.

`--cluster NAME` reads a deployed cluster (or one deployed to the local AWS endpoint); `--local`
builds a simulated cluster as the setup workflow leaves it and reads that, through the same calls.
The reads are hadrill_cli.status_reads, the verdict hadrill.status; this module renders.
Exit codes: 0 healthy, 1 degraded (every problem named), 2 bad input, 3 AWS error (raised to main).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from hadrill.facts import ClusterFacts
from hadrill.status import PROBLEM_TEXT, ClusterStatus, Finding, NodeView
from hadrill_cli.aws import AwsTargetError
from hadrill_cli.local import STATUS_FAULTS, LocalTarget
from hadrill_cli.messages import outcome_text, t
from hadrill_cli.render import progress_reporter
from hadrill_cli.status_reads import DEFAULT_WAIT_SECONDS, StatusSources, read_status
from hadrill_cli.target import Target
from stacks.config import DeploymentConfig
from stacks.orchestration import wiring

if TYPE_CHECKING:
    from localrunner import LocalDeployment

EXIT_HEALTHY = 0
EXIT_DEGRADED = 1
# --sim-fault for `hadrill status --local`: what breaks the simulated cluster before it is read.
SIM_FAULTS = STATUS_FAULTS
VERSION_NAMES = (
    ("lifekeeper", "LifeKeeper"),
    ("datakeeper", "DataKeeper"),
    ("ec2_recovery_kit", "EC2 Recovery Kit"),
    ("hulft_recovery_kit", "HULFT Recovery Kit"),
    ("hulft", "HULFT"),
)


# -- where the cluster is ----------------------------------------------------------------------------


def aws_sources(target: Target) -> StatusSources:
    """The cluster's facts and records table as its workflows get them (a function's environment in
    the orchestration stack), and the drill state machine from the stack's outputs."""
    cloudformation = target.client("cloudformation")
    functions = target.client("lambda")
    paginator = cloudformation.get_paginator("list_stack_resources")
    for page in paginator.paginate(StackName=target.stack):
        for resource in page.get("StackResourceSummaries", []):
            if resource.get("ResourceType") != "AWS::Lambda::Function" or not resource.get("PhysicalResourceId"):
                continue
            configuration = functions.get_function_configuration(FunctionName=resource["PhysicalResourceId"])
            variables = (configuration.get("Environment") or {}).get("Variables") or {}
            if wiring.ENV_CLUSTER in variables and wiring.ENV_RECORDS_TABLE in variables:
                facts = ClusterFacts.model_validate_json(variables[wiring.ENV_CLUSTER])
                return StatusSources(
                    facts=facts,
                    records_table=variables[wiring.ENV_RECORDS_TABLE],
                    drill_arn=target.outputs().get("DrillStateMachineArn"),
                    client=target.client,
                )
    raise AwsTargetError(f"stack {target.stack} has no hadrill workflow function: deploy this version")


def local_sources(deployment: LocalDeployment) -> StatusSources:
    return StatusSources(
        facts=deployment.facts,
        records_table=deployment.records_table,
        drill_arn=deployment.state_machines.get("Drill"),
        client=deployment.world.client,
    )


@contextmanager
def local_installed_cluster(config: DeploymentConfig) -> Iterator[LocalDeployment]:
    """A local world with one simulated cluster as setup leaves it (HULFT and its hierarchy in place),
    and the config's drill schedules as the orchestration stack creates them (EventBridge rules)."""
    target = LocalTarget(config, installed=True)
    with target.opened():
        yield target.opened_deployment


# -- running it --------------------------------------------------------------------------------------


def exit_code(status: ClusterStatus) -> int:
    return EXIT_HEALTHY if status.healthy else EXIT_DEGRADED


def _show(status: ClusterStatus, mode: str, as_json_output: bool) -> int:
    if as_json_output:
        print(json.dumps({"mode": mode, **status.as_dict()}, indent=2), flush=True)
    else:
        print("\n".join(render(status)), flush=True)
    return exit_code(status)


def run(target: Target, *, as_json_output: bool, wait_seconds: float = DEFAULT_WAIT_SECONDS) -> int:
    """Read the cluster and show it (locally: a simulated cluster as setup leaves it, maybe broken first)."""
    with target.opened():
        if not as_json_output:
            line = t("status_local", cluster=target.cluster, mode=t("local_mode")) if target.simulated else None
            print(line or t("status_reading", cluster=target.cluster), flush=True)
        target.inject_fault(lambda line: None if as_json_output else print(line, flush=True), "status_sim_fault")
        local = target.opened_deployment if isinstance(target, LocalTarget) else None
        sources = aws_sources(target) if local is None else local_sources(local)
        poll_seconds, _ = target.polls.get("status", (0.5, 0.0))
        with progress_reporter(as_json=as_json_output) as progress:
            status = read_status(sources, progress, wait_seconds=wait_seconds, poll_seconds=poll_seconds)
    return _show(status, target.mode, as_json_output)


# -- rendering ----------------------------------------------------------------------------------------


def finding_text(finding: Finding) -> str:
    """A problem or note in the reader's language (English: hadrill.status's own text)."""
    prefix = "status_problem_" if finding.key in PROBLEM_TEXT else "status_note_"
    return t(prefix + finding.key, **finding.values)


def _role(role: str) -> str:
    return t("status_role_primary") if role == "primary" else t("status_role_secondary")


def _node_lines(node: NodeView, status: ClusterStatus) -> list[str]:
    if not node.reachable:
        state = t("status_node_unreachable", reason=node.reason)
    elif not node.lifekeeper_running:
        state = t("status_lk_down")
    else:
        state = t("status_node_active") if node.name == status.active_node else t("status_node_standby")
    lines = [t("status_node_head", node=node.name, role=_role(node.role), instance=node.instance_id, state=state)]
    if not node.reachable or not node.lifekeeper_running:
        return lines
    if node.resources:
        lines.append(t("status_resource_header"))
        for resource in node.resources:
            tag = "  " * resource.depth + resource.tag
            lines.append(f"  {tag:<22} {resource.id:<22} {resource.state}")
    else:
        lines.append(t("status_no_resources"))
    paths = "; ".join(f"{p.peer} {p.network} {p.addresses} {p.state}" for p in node.comm_paths)
    lines.append(t("status_comm_paths", paths=paths or t("status_comm_paths_none")))
    daemons = ", ".join(node.daemons) or t("status_daemons_none")
    mounted = t("status_mounted") if node.data_mounted else t("status_not_mounted")
    lines.append(t("status_daemons", daemons=daemons, mount=_data_mount(status), mounted=mounted))
    percent = (
        t("status_percent", percent=node.mirror_percent)
        if node.mirror_percent is not None
        else t("status_percent_unknown")
    )
    state = t("status_mirror_in_sync") if node.mirror_in_sync else t("status_mirror_not_in_sync")
    lines.append(t("status_mirror", tag=_mirror_tag(node), state=state, percent=percent))
    versions = ", ".join(f"{label} {node.versions[key]}" for key, label in VERSION_NAMES if key in node.versions)
    lines.append(t("status_versions", versions=versions or "-"))
    return lines


def _data_mount(status: ClusterStatus) -> str:
    return next((r.tag for n in status.nodes for r in n.resources if r.tag.startswith("/")), "/data")


def _mirror_tag(node: NodeView) -> str:
    return next((r.tag for r in node.resources if r.id.startswith("/dev/")), "mirror")


def _headline(status: ClusterStatus) -> str:
    active = next((n for n in status.nodes if n.name == status.active_node), None)
    if status.healthy and active is not None:
        return t(
            "status_healthy", cluster=status.cluster, tag=status.hulft_tag, node=active.name, role=_role(active.role)
        )
    return t(
        "status_degraded",
        cluster=status.cluster,
        count=len(status.problems),
        tag=status.hulft_tag,
        node=status.active_node or t("status_no_active"),
    )


def _drill_lines(status: ClusterStatus) -> list[str]:
    lines = []
    lock = status.lock
    if lock is None:
        lines.append(t("status_lock_free"))
    else:
        expired = t("status_lock_expired") if lock.expired else ""
        lines.append(
            t("status_lock_held", drill_id=lock.drill_id, acquired=lock.acquired, expires=lock.expires, expired=expired)
        )
    last = status.last_drill
    if last is None:
        lines.append(t("status_no_drill"))
    else:
        rto = f"{last.rto_seconds:.3f} s" if last.rto_seconds is not None else "-"
        lines.append(
            t(
                "status_last_drill",
                drill_id=last.drill_id,
                scenario=last.scenario,
                outcome=outcome_text(last.outcome),
                rto=rto,
                started=last.started,
            )
        )
    upcoming = status.next_drill
    if upcoming is not None:
        lines.append(t("status_next_drill", when=upcoming.next_run, rule=upcoming.rule, expression=upcoming.expression))
    else:
        disabled = [s.rule for s in status.schedules if not s.enabled]
        extra = t("status_disabled_rules", count=len(disabled), rules=", ".join(disabled)) if disabled else ""
        lines.append(t("status_no_schedule", disabled=extra))
    return lines


def render(status: ClusterStatus) -> list[str]:
    """The status as the operator reads it: the headline, each node, the route, the drills, the problems."""
    lines = [_headline(status), t("status_checked", checked=status.checked), ""]
    for node in status.nodes:
        lines += _node_lines(node, status)
        lines.append("")
    route = status.route
    if route.error:
        lines.append(t("status_route_error", vip=status.virtual_ip, error=route.error))
    else:
        owner = route.node or t("status_route_unknown_node")
        lines.append(t("status_route", vip=status.virtual_ip, eni=route.eni, node=owner))
    lines += _drill_lines(status)
    if status.problems:
        lines += ["", t("status_problems")] + [f"  - {finding_text(p)}" for p in status.problems]
    if status.notes:
        lines += ["", t("status_notes")] + [f"  - {finding_text(n)}" for n in status.notes]
    return lines
