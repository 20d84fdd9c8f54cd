"""`hadrill switchback` and `hadrill switchover --to NODE`: a guarded planned move of the resource hierarchy.

The move itself is the deployed Switch state machine (statemachines/switch.asl.json), so the console
can start it too; the CLI asks first (unless --yes), starts it, shows its states and prints the report.
Locally (`--local`) a fresh simulated cluster is set up first and, for a switchback, left the way
`hadrill drill --no-switchback` leaves it (a real drill execution), so there is something to move back.
"""

from __future__ import annotations

import json
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from hadrill import fields
from hadrill.drill import lock
from hadrill.inputs import value_problem
from hadrill.report_html import render_html
from hadrill.switch.model import input_problem
from hadrill_cli.aws import AwsTarget
from hadrill_cli.drill_command import (
    DEFAULT_REPORTS_DIR,
    EXIT_BAD_INPUT,
    EXIT_FAILED,
    EXIT_OK,
    SIM_FAULTS,
    local_takeover_timeout,
)
from hadrill_cli.follow import Execution, follow
from hadrill_cli.local import local_cluster
from hadrill_cli.messages import current, t
from hadrill_cli.render import closing_line, progress_reporter
from simulator import Timings
from simulator.scenario import run as run_document
from stacks.config import DeploymentConfig

if TYPE_CHECKING:
    from localrunner import LocalDeployment

MACHINE = "Switch"
SUCCESS = frozenset({"SUCCEEDED", "NOOP"})
YES = frozenset({"y", "yes", "はい"})
# --sim-fault for a local switch: the two refusals the preflight exists for.
SWITCH_SIM_FAULTS = ("mirror-out-of-sync", "drill-running")
SIM_DRILL_ID = "drill-sim-running"
OUTCOME_GLOSS_JA = {"SUCCEEDED": "成功", "NOOP": "変更なし", "FAILED": "失敗", "ABORTED": "中止"}


@dataclass(frozen=True)
class SwitchOptions:
    command: str  # "switchback" or "switchover" (what the operator typed)
    to_node: str | None  # switchover's --to; None: the primary
    yes: bool
    as_json_output: bool

    def request(self, cluster: str) -> dict[str, Any]:
        request: dict[str, Any] = {"cluster": cluster}
        if self.to_node is not None:
            request["toNode"] = self.to_node
        return request

    def where(self) -> str:
        return self.to_node if self.to_node is not None else t("switch_to_primary")


def _err(command: str, text: str) -> None:
    print(f"hadrill {command}: {text}", file=sys.stderr)


def _say(text: str, options: SwitchOptions) -> None:
    if not options.as_json_output:
        print(text, flush=True)


def argument_problem(options: SwitchOptions, cluster: str) -> str | None:
    """What is wrong with the arguments (exit 2, nothing asked or started)."""
    if options.to_node is not None:
        problem = value_problem(fields.NodeName, options.to_node, "--to")
        if problem:
            return t("bad_input", problem=problem)
    problem = input_problem(options.request(cluster))
    return t("bad_input", problem=problem) if problem else None


def confirmed(
    options: SwitchOptions, cluster: str, *, stdin: TextIO | None = None, out: TextIO | None = None
) -> int | None:
    """None to go on; else the exit code after saying why not. --yes skips the question; without it the
    question needs a terminal (a script or a pipe must say --yes: it cannot answer)."""
    if options.yes:
        return None
    stdin = sys.stdin if stdin is None else stdin
    out = sys.stderr if out is None else out
    if not stdin.isatty():
        _err(options.command, t("switch_needs_yes"))
        return EXIT_BAD_INPUT
    print(t("switch_confirm", cluster=cluster, target=options.where()), end="", file=out, flush=True)
    answer = stdin.readline().strip().lower()
    if answer in YES:
        return None
    _err(options.command, t("switch_declined"))
    return EXIT_BAD_INPUT


def outcome_words(outcome: str) -> str:
    gloss = OUTCOME_GLOSS_JA.get(outcome) if current() == "ja" else None
    return f"{outcome} ({gloss})" if gloss else outcome


def head_lines(report: dict[str, Any]) -> list[str]:
    """The report's first lines as the operator reads them (both languages, from the JSON report)."""
    seconds = report.get("switch_seconds")
    moved = t("switch_head_seconds", seconds=seconds) if isinstance(seconds, int | float) else ""
    lines = [
        t(
            "switch_head_title",
            kind=report.get("type"),
            switch_id=report.get("drill_id"),
            outcome=outcome_words(str(report.get("outcome"))),
        ),
        t("switch_head_reason", reason=report.get("reason", "")),
        t(
            "switch_head_move",
            source=report.get("from_node") or "-",
            target=report.get("to_node") or "-",
            seconds=moved,
        ),
        t(
            "switch_head_times",
            started=report.get("started"),
            finished=report.get("finished"),
            seconds=report.get("duration_seconds") or 0.0,
        ),
    ]
    if report.get("after_failure"):
        lines.append(t("switch_head_after_failure", detail=report["after_failure"]))
    for check in report.get("checks", []):
        if not check.get("passed"):
            lines.append(t("failed_check", phase=check["phase"], name=check["name"], detail=check["detail"]))
    return lines


def _print_result(report: dict[str, Any], execution: Execution, commands: int | None, options: SwitchOptions) -> None:
    if options.as_json_output:
        return
    print(closing_line(t("workflow_switch"), execution, commands), flush=True)
    print("\n".join(head_lines(report)), flush=True)


def exit_code(report: dict[str, Any] | None) -> int:
    return EXIT_OK if report is not None and report.get("outcome") in SUCCESS else EXIT_FAILED


# -- AWS ------------------------------------------------------------------------------------------


def run_aws(target: AwsTarget, options: SwitchOptions) -> int:
    problem = argument_problem(options, target.cluster)
    if problem:
        _err(options.command, problem)
        return EXIT_BAD_INPUT
    refused = confirmed(options, target.cluster)
    if refused is not None:
        return refused
    _, arn = target.start_execution(MACHINE, name_prefix=options.command, request=options.request(target.cluster))
    sfn = target.client("stepfunctions")
    _say(t("switch_started", kind=options.command, cluster=target.cluster, arn=arn), options)
    with progress_reporter(as_json=options.as_json_output) as progress:
        execution = follow(sfn, arn, on_change=progress, poll_seconds=2.0)
    recorded = next((s.result for s in execution.states if s.name == "RecordResult"), None)
    uris: dict[str, str] = recorded.get("report", {}) if isinstance(recorded, dict) else {}
    report = _read_s3_json(target, uris.get("json"))
    if report is None:
        _err(
            options.command, t("no_report_found", status=execution.status, error=execution.error, cause=execution.cause)
        )
        return EXIT_FAILED
    if options.as_json_output:
        print(json.dumps(report, indent=2), flush=True)
    _print_result(report, execution, None, options)
    return exit_code(report)


def _read_s3_json(target: AwsTarget, uri: str | None) -> dict[str, Any] | None:
    if not uri:
        return None
    bucket, _, key = uri.removeprefix("s3://").partition("/")
    body: bytes = target.client("s3").get_object(Bucket=bucket, Key=key)["Body"].read()
    return dict(json.loads(body))


# -- local ----------------------------------------------------------------------------------------


def sim_mirror_out_of_sync(deployment: LocalDeployment) -> None:
    """The simulator's mirror_out_of_sync knob, made to bite where the hierarchy is now: it bites when the
    mirror next syncs, so a planned switchover to the other node and back (as `drill --sim-fault` does)."""
    cluster = deployment.cluster
    cluster.set_knobs(SIM_FAULTS["mirror-out-of-sync"])
    names = [n.name for n in deployment.facts.nodes]
    here = names.index(str(cluster.active_node()))
    run_document(cluster, here, "InjectFault", timeout=60, Fault="switchover", TargetNode=names[1 - here])
    run_document(cluster, 1 - here, "InjectFault", timeout=60, Fault="switchover", TargetNode=names[here])


def sim_drill_running(deployment: LocalDeployment) -> None:
    """The drill lock as a running drill holds it (taken now, for an hour)."""
    now = int(time.time() * 1000)
    owner = deployment.state_machines["Drill"].replace(":stateMachine:", ":execution:") + f":{SIM_DRILL_ID}"
    lock.take(
        deployment.world.client("dynamodb"),
        table=deployment.records_table,
        cluster=deployment.facts.cluster_name,
        owner=owner,
        drill_id=SIM_DRILL_ID,
        now_ms=now,
        expires_ms=now + 3_600_000,
    )


def _follow_local(
    deployment: LocalDeployment,
    machine: str,
    name: str,
    request: dict[str, Any],
    progress: bool,
    options: SwitchOptions,
) -> Execution:
    sfn = deployment.world.client("stepfunctions")
    arn = sfn.start_execution(stateMachineArn=deployment.state_machines[machine], name=name, input=json.dumps(request))[
        "executionArn"
    ]
    with progress_reporter(as_json=options.as_json_output or not progress) as shown:
        return follow(sfn, arn, on_change=shown, poll_seconds=0.1, timeout_seconds=1800)


def _prepare(deployment: LocalDeployment, config: DeploymentConfig, options: SwitchOptions) -> bool:
    """Setup, then for a switchback a real `--no-switchback` drill: the cluster as the operator has it."""
    setup = _follow_local(
        deployment, "Setup", f"setup-{int(time.time() * 1000)}", {"cluster": config.cluster_name}, False, options
    )
    _say(closing_line(t("workflow_first_setup"), setup, None), options)
    if setup.status != "SUCCEEDED":
        return False
    if options.command != "switchback":
        return True
    timeout = local_takeover_timeout(deployment.cluster.timings)
    drill_input = {"cluster": config.cluster_name, "switchback": False, "takeoverTimeoutSeconds": timeout}
    drill = _follow_local(deployment, "Drill", f"drill-{int(time.time() * 1000)}", drill_input, False, options)
    _say(closing_line(t("switch_local_drill"), drill, None), options)
    return drill.status == "SUCCEEDED"


def run_local(
    config: DeploymentConfig,
    options: SwitchOptions,
    *,
    sim_fault: str | None = None,
    repeat: int = 1,
    reports_dir: Path = DEFAULT_REPORTS_DIR,
    timings: Timings | None = None,
) -> int:
    nodes = (config.nodes.primary.name, config.nodes.secondary.name)
    problem = argument_problem(options, config.cluster_name)
    if problem is None and options.to_node is not None and options.to_node not in nodes:
        problem = t("switch_unknown_node", node=options.to_node, cluster=config.cluster_name, nodes=", ".join(nodes))
    if problem:
        _err(options.command, problem)
        return EXIT_BAD_INPUT
    refused = confirmed(options, config.cluster_name)
    if refused is not None:
        return refused
    reports: list[dict[str, Any]] = []
    code = EXIT_OK
    with local_cluster(config, timings=timings) as deployment:
        _say(t("switch_local", kind=options.command, cluster=config.cluster_name, mode=t("local_mode")), options)
        if not _prepare(deployment, config, options):
            return EXIT_FAILED
        _say(t("switch_local_start", node=str(deployment.cluster.active_node())), options)
        if sim_fault == "mirror-out-of-sync":
            sim_mirror_out_of_sync(deployment)
        elif sim_fault == "drill-running":
            sim_drill_running(deployment)
        if sim_fault:
            _say(t("sim_fault", fault=sim_fault), options)
        stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
        for attempt in range(1, repeat + 1):
            switch_id = f"{options.command}-{stamp}" + (f"-{attempt}" if repeat > 1 else "")
            before = deployment.world.ssm.commands_sent
            execution = _follow_local(
                deployment, MACHINE, switch_id, options.request(config.cluster_name), True, options
            )
            commands = deployment.world.ssm.commands_sent - before
            report = _local_object(deployment, f"reports/{config.cluster_name}/{switch_id}.json")
            markdown = _local_object(deployment, f"reports/{config.cluster_name}/{switch_id}.md")
            if report is None:
                _err(options.command, t("no_report_written", error=execution.error, cause=execution.cause))
                return EXIT_FAILED
            parsed = dict(json.loads(report))
            reports.append(parsed)
            reports_dir.mkdir(parents=True, exist_ok=True)
            (reports_dir / f"{switch_id}.json").write_text(report)
            (reports_dir / f"{switch_id}.md").write_text(markdown or "")
            (reports_dir / f"{switch_id}.html").write_text(render_html(parsed, simulated=True))
            _print_result(parsed, execution, commands, options)
            _say(t("reports_written", stem=reports_dir / switch_id), options)
            code = max(code, exit_code(parsed))
    if options.as_json_output:
        print(json.dumps(reports[0] if repeat == 1 else reports, indent=2), flush=True)
    return code


def _local_object(deployment: LocalDeployment, key: str) -> str | None:
    body = deployment.world.read_object(deployment.reports_bucket, key)
    return None if body is None else body.decode()


# -- the command line (hadrill_cli.main adds these parsers and hands the two commands here) ----------------

COMMANDS = ("switchback", "switchover")


def add_parsers(commands: Any) -> None:
    """`switchback` and `switchover` on main's subparsers."""
    from stacks.config import DEFAULT_CONFIG_PATH

    helps = {
        "switchback": "move the resource hierarchy back to the primary (after --no-switchback or a real failover)",
        "switchover": "move the resource hierarchy to NODE (planned, e.g. for maintenance)",
    }
    for name in COMMANDS:
        sub = commands.add_parser(name, help=helps[name])
        if name == "switchover":
            sub.add_argument("--to", required=True, metavar="NODE", help="the node to move it to (its LifeKeeper name)")
        where = sub.add_mutually_exclusive_group(required=True)
        where.add_argument(
            "--local", action="store_true", help="on a fresh simulated cluster with moto (setup runs first)"
        )
        where.add_argument(
            "--cluster", help="the deployed cluster's name (its orchestration stack is <name>-orchestration)"
        )
        sub.add_argument("--yes", action="store_true", help="do not ask for confirmation (needed without a terminal)")
        sub.add_argument("--json", action="store_true", help="print the report as JSON on stdout")
        sub.add_argument("--config", default=str(DEFAULT_CONFIG_PATH), help="deployment config (used with --local)")
        sub.add_argument(
            "--sim-fault", choices=SWITCH_SIM_FAULTS, help="with --local: a refusal the preflight exists for"
        )
        sub.add_argument("--repeat", type=int, default=1, help="with --local: run it N times on the same cluster")
        sub.add_argument("--reports-dir", type=Path, default=DEFAULT_REPORTS_DIR, help=argparse_suppress())
        sub.add_argument("--profile", help="AWS profile (with --cluster)")
        sub.add_argument("--region", help="AWS region (with --cluster)")


def argparse_suppress() -> str:
    import argparse

    return argparse.SUPPRESS


def run_from_args(args: Any) -> int:
    from stacks.config import ConfigError, load_config

    options = SwitchOptions(
        command=args.command, to_node=getattr(args, "to", None), yes=args.yes, as_json_output=args.json
    )
    if not args.local:
        if args.sim_fault or args.repeat != 1:
            _err(args.command, t("sim_needs_local"))
            return EXIT_BAD_INPUT
        return run_aws(AwsTarget(args.cluster, profile=args.profile, region=args.region), options)
    if args.repeat < 1:
        _err(args.command, t("repeat_at_least_one"))
        return EXIT_BAD_INPUT
    try:
        config = load_config(args.config)
    except ConfigError as error:
        _err(args.command, t("config_error", error=error))
        return EXIT_BAD_INPUT
    return run_local(config, options, sim_fault=args.sim_fault, repeat=args.repeat, reports_dir=args.reports_dir)
