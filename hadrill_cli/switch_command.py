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
from typing import Any, TextIO

from hadrill import fields
from hadrill.inputs import value_problem
from hadrill.switch.model import input_problem
from hadrill_cli.aws import AwsTarget
from hadrill_cli.drill_command import DEFAULT_REPORTS_DIR, EXIT_BAD_INPUT, EXIT_FAILED, EXIT_OK
from hadrill_cli.follow import Execution
from hadrill_cli.local import SIM_DRILL_ID as SIM_DRILL_ID
from hadrill_cli.local import SWITCH_FAULTS, LocalTarget
from hadrill_cli.local import sim_drill_running as sim_drill_running
from hadrill_cli.local import sim_mirror_out_of_sync as sim_mirror_out_of_sync  # tests/workflows/test_switch.py
from hadrill_cli.messages import current, t
from hadrill_cli.render import closing_line
from hadrill_cli.target import Target

MACHINE = "Switch"
SUCCESS = frozenset({"SUCCEEDED", "NOOP"})
YES = frozenset({"y", "yes", "はい"})
# --sim-fault for a local switch: the two refusals the preflight exists for.
SWITCH_SIM_FAULTS = SWITCH_FAULTS
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


def run(target: Target, options: SwitchOptions, *, repeat: int = 1) -> int:
    """Ask, start the Switch workflow, follow it, print its report (``repeat`` times locally). Locally the
    cluster is a fresh simulated one, set up first and, for a switchback, drilled with --no-switchback."""
    problem = argument_problem(options, target.cluster)
    if problem is None and isinstance(target, LocalTarget) and options.to_node is not None:
        nodes = (target.config.nodes.primary.name, target.config.nodes.secondary.name)
        if options.to_node not in nodes:
            problem = t("switch_unknown_node", node=options.to_node, cluster=target.cluster, nodes=", ".join(nodes))
    if problem:
        _err(options.command, problem)
        return EXIT_BAD_INPUT
    declined = confirmed(options, target.cluster)
    if declined is not None:
        return declined

    def say(line: str) -> None:
        _say(line, options)

    reports: list[dict[str, Any]] = []
    code = EXIT_OK
    with target.opened():
        if isinstance(target, LocalTarget):
            say(t("switch_local", kind=options.command, cluster=target.cluster, mode=t("local_mode")))
            if not target.prepare(say, drill_first=options.command == "switchback"):
                return EXIT_FAILED
            say(t("switch_local_start", node=target.active_node()))
        target.inject_fault(say)
        stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
        for attempt in range(1, repeat + 1):
            switch_id = f"{options.command}-{stamp}" + (f"-{attempt}" if repeat > 1 else "")
            run = target.execute(
                MACHINE,
                "switch",
                options.request(target.cluster),
                name_prefix=options.command,
                quiet=options.as_json_output,
                started=lambda arn: say(t("switch_started", kind=options.command, cluster=target.cluster, arn=arn)),
                name=switch_id,
            )
            execution = run.execution
            report, markdown = target.recorded_report(execution)
            if report is None:
                _err(options.command, target.missing_text("no_report", execution))
                return EXIT_FAILED
            reports.append(report)
            kept = target.keep(switch_id, report, markdown)
            _print_result(report, execution, run.commands, options)
            if kept:
                say(kept)
            code = max(code, exit_code(report))
    if options.as_json_output:
        print(json.dumps(reports[0] if repeat == 1 else reports, indent=2), flush=True)
    return code


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
        return run(AwsTarget(args.cluster, profile=args.profile, region=args.region), options)
    if args.repeat < 1:
        _err(args.command, t("repeat_at_least_one"))
        return EXIT_BAD_INPUT
    try:
        config = load_config(args.config)
    except ConfigError as error:
        _err(args.command, t("config_error", error=error))
        return EXIT_BAD_INPUT
    target = LocalTarget(config, sim_fault=args.sim_fault, reports_dir=args.reports_dir)
    return run(target, options, repeat=args.repeat)
