"""The operator's command line: `hadrill <command>`.

Exit codes: 0 success, 1 workflow failed (setup FAILED; drill FAILED or ABORTED), 2 bad input or
config, 3 AWS or environment error (130 when stopped with Ctrl-C, as the shell would report it).
Messages are English or Japanese (hadrill_cli/messages.py); --json output and --help stay English.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from hadrill import fields
from hadrill.drill.model import DRILL_ID, SCENARIOS
from hadrill.errors import cut
from hadrill.inputs import value_problem
from hadrill.setup import ALL_STEPS
from hadrill_cli import drill_command, fleet_command, messages, setup_command, switch_command
from hadrill_cli.aws import AwsTarget, AwsTargetError
from hadrill_cli.local import DEFAULT_SIM_CLUSTERS, DRILL_FAULTS, LocalFleetTarget, LocalTarget
from hadrill_cli.messages import t
from hadrill_cli.plan import AssemblyError, read_assembly, render
from hadrill_cli.target import Target
from stacks.config import DEFAULT_CONFIG_PATH, ConfigError, DeploymentConfig, load_config

EXIT_OK = 0
EXIT_BAD_INPUT = 2
EXIT_ENVIRONMENT = 3
EXIT_INTERRUPTED = 130  # what a shell reports for a program stopped by Ctrl-C (128 + SIGINT)

EPILOG = """examples:
  hadrill setup --local                 run setup on a simulated cluster (no AWS account)
  hadrill setup --local --json --repeat 2   run it twice: the second run changes nothing
  hadrill setup --cluster hulft-demo --region ap-northeast-1
  make synth && hadrill plan --assembly cdk.out
  eval "$(hadrill local up)"            a local AWS endpoint to `cdk deploy` to (see make deploy-local)
  hadrill drill --local                 set up a simulated cluster, drill network-down, report
  hadrill drill --local --scenario instance-stop --sim-takeover-seconds 10
  hadrill drill --local --sim-fault no-takeover   a drill that FAILS, recovers and says why
  hadrill drill --cluster hulft-demo --scenario switchover --max-rto 60
  hadrill drill --fleet --local --sim-clusters 20 --max-concurrency 5   a fleet drill on 20 simulated clusters
  hadrill drill --fleet --local --sim-clusters 4 --sim-fault no-takeover   one cluster of four FAILS
  hadrill drill --fleet hulft-fleet --max-concurrency 2 --only hulft-demo --only hulft-edi
  hadrill fleet drill --fleet hulft-fleet --dry-run   the same command as `hadrill drill --fleet ...`
  hadrill history --local               drills whose reports are in ./reports
  hadrill report drill-20261125T233000Z --cluster hulft-demo
  hadrill report drill-20261125T233000Z --local --html   write reports/<ID>.html
  hadrill status --cluster hulft-demo   the whole cluster, read-only (exit 0 healthy, 1 degraded)
  hadrill --lang ja drill --local       messages in Japanese (also: HADRILL_LANG=ja, or a ja_JP locale)
"""


def _add_lang(parser: argparse.ArgumentParser, default: str | None) -> None:
    # On the main parser and on every command, so `hadrill --lang ja drill` and `hadrill drill --lang ja`
    # both work; the commands' default is SUPPRESS so they do not overwrite the main parser's value.
    parser.add_argument(
        "--lang",
        choices=messages.LANGUAGES,
        default=default,
        help="language of the messages (default: HADRILL_LANG, then the locale); --json and --help stay English",
    )


def _add_drill_options(parser: argparse.ArgumentParser) -> None:
    """What a drill and a fleet drill both take."""
    parser.add_argument("--config", default=str(DEFAULT_CONFIG_PATH), help="deployment config (used with --local)")
    parser.add_argument(
        "--scenario",
        choices=SCENARIOS,
        default=drill_command.DEFAULT_SCENARIO,
        help=f"the fault (default {drill_command.DEFAULT_SCENARIO})",
    )
    parser.add_argument("--dry-run", action="store_true", help="everything but the fault")
    parser.add_argument("--no-switchback", action="store_true", help="leave the hierarchy on the standby")
    parser.add_argument("--max-rto", type=float, metavar="SECONDS", help="the RTO SLO (default 120)")
    parser.add_argument("--takeover-timeout", type=int, metavar="SECONDS", help="wait this long for the takeover")
    parser.add_argument("--json", action="store_true", help="print the report as JSON on stdout")
    parser.add_argument(
        "--sim-fault",
        choices=DRILL_FAULTS,
        help="with --local: force a bad path (in a fleet: on the last simulated cluster only)",
    )
    parser.add_argument("--reports-dir", type=Path, default=drill_command.DEFAULT_REPORTS_DIR, help=argparse.SUPPRESS)


class _Refused(argparse.Action):
    """An option of the other kind of drill: noted (``refused``, a message key) and said after parsing,
    in the reader's language, with exit code 2."""

    def __call__(self, parser: Any, namespace: argparse.Namespace, values: Any, option: str | None = None) -> None:
        namespace.refused = self.const


def _refuse(parser: argparse.ArgumentParser, message: str, *options: str, nargs: int | None = None) -> None:
    for option in options:
        parser.add_argument(option, action=_Refused, const=message, nargs=nargs, default=None, help=argparse.SUPPRESS)


def _fleet_alias(argv: list[str]) -> list[str]:
    """`hadrill drill --fleet ...` is `hadrill fleet drill --fleet ...` (the spelling the docs and the bench
    use)."""
    for index, word in enumerate(argv):
        if word.startswith("-") or argv[index - 1 : index] == ["--lang"]:
            continue  # --lang ja, before the command
        if word == "drill" and any(a == "--fleet" or a.startswith("--fleet=") for a in argv[index + 1 :]):
            return [*argv[:index], "fleet", "drill", *argv[index + 1 :]]
        break
    return argv


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="hadrill",
        description="Deploy HULFT on a LifeKeeper cluster on AWS and drill its failover.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _add_lang(parser, None)
    commands = parser.add_subparsers(dest="command", required=True)

    local = commands.add_parser(
        "local",
        help="the local AWS endpoint (moto + simulated cluster) that `cdk deploy` and this CLI can target",
    )
    local.add_argument("action", choices=["up", "down", "status", "env"])
    local.add_argument("--port", type=int, default=4599, help="port on 127.0.0.1 (default 4599)")
    local.add_argument("--region", default="ap-northeast-1", help="the endpoint's region (default ap-northeast-1)")
    local.add_argument(
        "--state-dir", type=Path, default=Path(".hadrill-local"), help="logs and state (default .hadrill-local)"
    )
    local.add_argument(
        "--time-scale",
        type=float,
        default=0.01,
        help="multiplies Step Functions Wait and Retry intervals (the simulated cluster is fast); 1 = as deployed",
    )

    plan = commands.add_parser("plan", help="summarize what `cdk deploy` would create (reads cdk.out; deploys nothing)")
    plan.add_argument(
        "--assembly", type=Path, default=Path("cdk.out"), help="cloud assembly directory (default cdk.out)"
    )
    plan.add_argument("--config", default=str(DEFAULT_CONFIG_PATH), help="the config the assembly was built from")

    setup = commands.add_parser("setup", help="install HULFT + Recovery Kit and create the hulft resource")
    where = setup.add_mutually_exclusive_group(required=True)
    where.add_argument("--local", action="store_true", help="run on a fresh simulated cluster with moto (no AWS)")
    where.add_argument(
        "--cluster", help="the deployed cluster's name (its orchestration stack is <name>-orchestration)"
    )
    setup.add_argument("--config", default=str(DEFAULT_CONFIG_PATH), help="deployment config (used with --local)")
    setup.add_argument(
        "--step", action="append", choices=ALL_STEPS, dest="steps", help="rerun only this step (repeatable)"
    )
    setup.add_argument("--dry-run", action="store_true", help="check and plan; change nothing on the nodes")
    setup.add_argument("--repeat", type=int, default=1, help="with --local: run setup N times on the same world")
    setup.add_argument("--json", action="store_true", help="print the result as JSON on stdout")
    setup.add_argument("--profile", help="AWS profile (with --cluster)")
    setup.add_argument("--region", help="AWS region (with --cluster)")

    drill = commands.add_parser("drill", help="fault the primary, measure the takeover, recover, switch back, report")
    drill.add_argument("--local", action="store_true", help="on a fresh simulated cluster with moto (setup runs first)")
    drill.add_argument("--cluster", help="the deployed cluster's name (with --local: must match the config's)")
    _add_drill_options(drill)
    drill.add_argument(
        "--stop-alarm",
        action="append",
        metavar="ALARM",
        help="a CloudWatch alarm that stops the drill when in ALARM (repeatable; fleet drills use each cluster's own)",
    )
    drill.add_argument(
        "--sim-takeover-seconds",
        type=float,
        metavar="N",
        help="with --local: simulated detection + restore of about N s",
    )
    drill.add_argument("--profile", help="AWS profile (with --cluster)")
    drill.add_argument("--region", help="AWS region (with --cluster)")
    drill.add_argument("--fleet", nargs="?", metavar="NAME", help="the same as `hadrill fleet drill --fleet [NAME]`")
    _refuse(drill, "fleet_options_need_fleet", "--max-concurrency", "--max-failed", "--only", "--sim-clusters")
    _refuse(drill, "fleet_options_need_fleet", "--sim-setup", nargs=0)

    fleet = commands.add_parser("fleet", help="fleet drills: one scenario on many clusters, a few at a time")
    fleet_drill = fleet.add_subparsers(dest="fleet_command", required=True).add_parser(
        "drill", help="drill every cluster of a fleet (also: hadrill drill --fleet ...)"
    )
    fleet_drill.set_defaults(fleet_drill=True)
    fleet_drill.add_argument(
        "--fleet",
        nargs="?",
        const="",
        metavar="NAME",
        help="drill every cluster of the deployed fleet NAME (stack NAME-fleet); with --local: a simulated fleet",
    )
    fleet_drill.add_argument("--local", action="store_true", help="a simulated fleet with moto (no AWS)")
    _add_drill_options(fleet_drill)
    fleet_drill.add_argument("--profile", help="AWS profile (with --fleet NAME)")
    fleet_drill.add_argument("--region", help="AWS region (with --fleet NAME)")
    group = fleet_drill.add_argument_group("fleet drills (one scenario on many clusters)")
    group.add_argument("--max-concurrency", type=int, metavar="C", help="at most C clusters at once (fleet default)")
    group.add_argument(
        "--max-failed",
        type=int,
        metavar="N",
        help="start no more drills once more than N have failed (0: stop at the first; fleet default)",
    )
    group.add_argument(
        "--only", action="append", metavar="CLUSTER", help="with --fleet NAME: drill only this cluster (repeatable)"
    )
    group.add_argument("--sim-clusters", type=int, metavar="N", help="with --local: N simulated clusters (default 3)")
    group.add_argument("--sim-setup", action="store_true", help="with --local: run the setup workflow on each first")
    _refuse(fleet_drill, "fleet_drop_cluster_options", "--cluster", "--sim-takeover-seconds", "--stop-alarm")

    for name, text in (("history", "list recent drills"), ("report", "show one drill's report")):
        sub = commands.add_parser(name, help=text)
        if name == "report":
            sub.add_argument("drill_id", metavar="ID", help="the drill id (its execution name)")
        where = sub.add_mutually_exclusive_group(required=True)
        where.add_argument("--local", action="store_true", help="reports written by `hadrill drill --local`")
        where.add_argument("--cluster", help="the deployed cluster's name")
        sub.add_argument("--json", action="store_true", help="JSON on stdout")
        sub.add_argument("--reports-dir", type=Path, default=drill_command.DEFAULT_REPORTS_DIR, help=argparse.SUPPRESS)
        sub.add_argument("--profile", help="AWS profile (with --cluster)")
        sub.add_argument("--region", help="AWS region (with --cluster)")
        if name == "history":
            sub.add_argument("--limit", type=int, default=20, help="how many (default 20)")
        else:
            sub.add_argument("--html", action="store_true", help="write the report as one self-contained HTML file")
            sub.add_argument("--output", type=Path, metavar="PATH", help="with --html: where (default reports/ID.html)")
    _add_status_parser(commands)
    switch_command.add_parsers(commands)  # switchback, switchover (issue 17)
    for sub in commands.choices.values():
        _add_lang(sub, argparse.SUPPRESS)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = _fleet_alias(list(sys.argv[1:] if argv is None else argv))
    args = _parser().parse_args(argv)
    if args.command == "fleet":  # `hadrill fleet drill`: its lines say `hadrill drill:`, as the alias's do
        args.command = "drill"
    try:
        messages.use(messages.resolve_language(args.lang))
    except ValueError as error:
        print(f"hadrill: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    try:
        return _run(args)
    except KeyboardInterrupt:
        # The live progress display has already put the terminal right; a traceback would be noise.
        print(f"hadrill {args.command}: {t('interrupted')}", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # `hadrill plan | head`: the reader has what it wanted. Point stdout at nothing so the
        # interpreter's own flush at exit does not complain again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK
    except (BotoCoreError, ClientError, AwsTargetError) as error:
        # No region, no credentials, an unknown profile, access denied, no such stack: the
        # environment, not a bug.
        print(f"hadrill {args.command}: {t('aws_error', error=error)}", file=sys.stderr)
        return EXIT_ENVIRONMENT


# Names and ids that reach AWS, checked with the workflows' own field types before anything is called:
# the same bounds everywhere (hadrill.fields), and a bad one exits 2 with nothing started.
_NAMED_ARGUMENTS = (
    ("cluster", "--cluster", fields.ClusterName),
    ("fleet", "--fleet", fields.ClusterName),
    ("only", "--only", fields.ClusterName),
    ("stop_alarm", "--stop-alarm", fields.AlarmName),
)
MAX_HISTORY_LIMIT = 1000


def argument_problem(args: argparse.Namespace) -> str | None:
    """The line that says what is wrong with a name, id or count on the command line (None: nothing)."""
    for attribute, option, kind in _NAMED_ARGUMENTS:
        value = getattr(args, attribute, None)
        for item in value if isinstance(value, list) else [value]:
            if item:  # None or "" (--fleet with --local): not given
                problem = value_problem(kind, item, option)
                if problem:
                    return t("bad_input", problem=problem)
    drill_id = getattr(args, "drill_id", None)
    if drill_id is not None and not DRILL_ID.fullmatch(drill_id):
        return t("bad_drill_id", drill_id=cut(" ".join(drill_id.split()) or repr(drill_id)))
    limit = getattr(args, "limit", None)
    if limit is not None and not 1 <= limit <= MAX_HISTORY_LIMIT:
        return t("limit_at_least_one")
    return None


def _run(args: argparse.Namespace) -> int:
    problem = argument_problem(args)
    if problem is None and getattr(args, "refused", None):
        problem = t(args.refused)
    if problem:
        print(f"hadrill {args.command}: {problem}", file=sys.stderr)
        return EXIT_BAD_INPUT
    if args.command == "local":
        from hadrill_cli import local_endpoint

        if args.time_scale <= 0:
            print("hadrill local: --time-scale must be positive", file=sys.stderr)
            return EXIT_BAD_INPUT
        return local_endpoint.run(args.action, args.state_dir, args.port, args.region, args.time_scale)
    if args.command == "plan":
        try:
            plans = read_assembly(args.assembly)
        except AssemblyError as error:
            print(f"hadrill plan: {error}", file=sys.stderr)
            return EXIT_ENVIRONMENT
        print(render(plans, config_path=args.config))
        return EXIT_OK
    if args.command == "setup":
        return _setup(args)
    if args.command == "drill":
        return _drill(args)
    if args.command in switch_command.COMMANDS:
        return switch_command.run_from_args(args)
    if args.command in ("history", "report"):
        return _history_or_report(args)
    if args.command == "status":
        return _status(args)
    return EXIT_BAD_INPUT  # argparse rejects unknown commands before this


def _load_config(args: argparse.Namespace) -> DeploymentConfig | None:
    """The --config file, or None after saying what is wrong with it."""
    try:
        return load_config(args.config)
    except ConfigError as error:
        print(f"hadrill {args.command}: {t('config_error', error=error)}", file=sys.stderr)
        return None


def _drill_choices(args: argparse.Namespace) -> dict[str, Any]:
    """drill_command.DrillChoices's fields from the command line (a drill's and a fleet drill's)."""
    return {
        "scenario": args.scenario,
        "dry_run": args.dry_run,
        "switchback": not args.no_switchback,
        "max_rto": args.max_rto,
        "takeover_timeout": args.takeover_timeout,
        "as_json_output": args.json,
    }


def _fleet_drill(args: argparse.Namespace) -> int:
    options = fleet_command.FleetOptions(
        **_drill_choices(args),
        max_concurrency=args.max_concurrency,
        clusters=tuple(args.only) if args.only else None,
        max_failed=args.max_failed,
    )
    if args.local and (args.fleet or args.only):
        print(f"hadrill drill: {t('fleet_local_drop_name')}", file=sys.stderr)
        return EXIT_BAD_INPUT

    def local(config: DeploymentConfig) -> Target:
        sim_clusters = args.sim_clusters if args.sim_clusters is not None else DEFAULT_SIM_CLUSTERS
        return LocalFleetTarget(
            config,
            sim_fault=args.sim_fault,
            reports_dir=args.reports_dir,
            sim_clusters=sim_clusters,
            sim_setup=args.sim_setup,
            max_concurrency=args.max_concurrency,
        )

    target = _target(args, args.fleet, "need_fleet_or_local", local, stack_suffix="fleet")
    return EXIT_BAD_INPUT if target is None else fleet_command.run(target, options)


def _target(
    args: argparse.Namespace,
    name: str | None,
    need: str,
    local: Callable[[DeploymentConfig], Target | str],
    *,
    stack_suffix: str = "orchestration",
) -> Target | None:
    """The target the command line names: --local (``local`` builds it from the config, or says what is
    wrong with the other options), else the deployed ``name`` (its stack <name>-<stack_suffix>); None
    after saying what is wrong (``need``: the message for neither)."""
    problem: str | None = None
    if args.local:
        config = _load_config(args)
        if config is None:
            return None
        made = local(config)
        if not isinstance(made, str):
            return made
        problem = made
    elif not name:
        problem = t(need)
    elif _sim_options_given(args):
        problem = t("sim_needs_local")
    else:
        return AwsTarget(name, profile=args.profile, region=args.region, stack_suffix=stack_suffix)
    print(f"hadrill {args.command}: {problem}", file=sys.stderr)
    return None


def _sim_options_given(args: argparse.Namespace) -> bool:
    """Any --sim-* option on the command line (they all need --local)."""
    return any(value not in (None, False) for name, value in vars(args).items() if name.startswith("sim_"))


def _drill(args: argparse.Namespace) -> int:
    if getattr(args, "fleet_drill", False):
        return _fleet_drill(args)
    options = drill_command.DrillOptions(**_drill_choices(args), stop_alarms=tuple(args.stop_alarm or ()))

    def local(config: DeploymentConfig) -> Target | str:
        if args.cluster and args.cluster != config.cluster_name:
            return t("cluster_mismatch", cluster=args.cluster, config=args.config, expected=config.cluster_name)
        if args.sim_takeover_seconds is not None and not 0 < args.sim_takeover_seconds <= 600:
            return t("sim_takeover_range")
        takeover = args.sim_takeover_seconds
        return LocalTarget(
            config, sim_takeover_seconds=takeover, sim_fault=args.sim_fault, reports_dir=args.reports_dir
        )

    target = _target(args, args.cluster, "need_cluster_or_local", local)
    return EXIT_BAD_INPUT if target is None else drill_command.run(target, options)


def _history_or_report(args: argparse.Namespace) -> int:
    target = None if args.local else AwsTarget(args.cluster, profile=args.profile, region=args.region)
    if args.command == "history":
        return drill_command.history(
            target=target, reports_dir=args.reports_dir, limit=args.limit, as_json_output=args.json
        )
    if args.output is not None and not args.html:
        print(f"hadrill report: {t('output_needs_html')}", file=sys.stderr)
        return EXIT_BAD_INPUT
    if args.html:
        return drill_command.write_html_report(
            args.drill_id, target=target, reports_dir=args.reports_dir, output=args.output, as_json_output=args.json
        )
    return drill_command.show_report(
        args.drill_id, target=target, reports_dir=args.reports_dir, as_json_output=args.json
    )


def _setup(args: argparse.Namespace) -> int:
    if args.repeat < 1:
        print(f"hadrill setup: {t('repeat_at_least_one')}", file=sys.stderr)
        return EXIT_BAD_INPUT
    target = _target(args, args.cluster, "need_cluster_or_local", LocalTarget)
    if target is None:
        return EXIT_BAD_INPUT
    return setup_command.run(
        target, steps=args.steps, dry_run=args.dry_run, repeat=args.repeat, as_json_output=args.json
    )


# -- hadrill status (issue 17) -------------------------------------------------------------------------


def _add_status_parser(commands: Any) -> None:
    from hadrill_cli import status_command

    status = commands.add_parser(
        "status", help="the whole cluster, read-only: active node, resources, comm paths, mirror, VIP route, drills"
    )
    where = status.add_mutually_exclusive_group()
    where.add_argument("--local", action="store_true", help="a simulated cluster as setup leaves it (no AWS)")
    where.add_argument(
        "--cluster", help="the deployed cluster's name (its orchestration stack is <name>-orchestration)"
    )
    status.add_argument("--config", default=str(DEFAULT_CONFIG_PATH), help="deployment config (used with --local)")
    status.add_argument("--json", action="store_true", help="print the status as JSON on stdout (no progress)")
    status.add_argument(
        "--wait", type=float, default=60.0, metavar="SECONDS", help="how long to wait for the nodes (default 60)"
    )
    status.add_argument(
        "--sim-fault", choices=status_command.SIM_FAULTS, help="with --local: break the simulated cluster first"
    )
    status.add_argument("--profile", help="AWS profile (with --cluster)")
    status.add_argument("--region", help="AWS region (with --cluster)")


def _status(args: argparse.Namespace) -> int:
    from hadrill_cli import status_command

    if not 1 <= args.wait <= 600:
        print(f"hadrill status: {t('status_wait_range')}", file=sys.stderr)
        return EXIT_BAD_INPUT

    def local(config: DeploymentConfig) -> Target:
        return LocalTarget(config, sim_fault=args.sim_fault, installed=True)

    target = _target(args, args.cluster, "status_need_cluster_or_local", local)
    return (
        EXIT_BAD_INPUT
        if target is None
        else status_command.run(target, as_json_output=args.json, wait_seconds=args.wait)
    )


if __name__ == "__main__":
    sys.exit(main())
