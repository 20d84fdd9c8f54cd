"""The operator's command line: `hadrill <command>`.

Exit codes: 0 success, 1 workflow failed (setup FAILED; drill FAILED or ABORTED), 2 bad input or
config, 3 AWS or environment error.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from hadrill.setup import SETUP_STEPS
from hadrill_cli import setup_command
from hadrill_cli.aws import AwsTarget, AwsTargetError
from hadrill_cli.plan import AssemblyError, read_assembly, render
from stacks.config import DEFAULT_CONFIG_PATH, ConfigError, load_config

EXIT_OK = 0
EXIT_BAD_INPUT = 2
EXIT_ENVIRONMENT = 3

EPILOG = """examples:
  hadrill setup --local                 run setup on a simulated cluster (no AWS account)
  hadrill setup --local --json --repeat 2   run it twice: the second run changes nothing
  hadrill setup --cluster hulft-demo --region ap-northeast-1
  make synth && hadrill plan --assembly cdk.out
"""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="hadrill",
        description="Deploy HULFT on a LifeKeeper cluster on AWS and drill its failover.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="command", required=True)

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
        "--step", action="append", choices=SETUP_STEPS, dest="steps", help="rerun only this step (repeatable)"
    )
    setup.add_argument("--dry-run", action="store_true", help="check and plan; change nothing on the nodes")
    setup.add_argument("--repeat", type=int, default=1, help="with --local: run setup N times on the same world")
    setup.add_argument("--json", action="store_true", help="print the result as JSON on stdout")
    setup.add_argument("--profile", help="AWS profile (with --cluster)")
    setup.add_argument("--region", help="AWS region (with --cluster)")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
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
    return EXIT_BAD_INPUT  # argparse rejects unknown commands before this


def _setup(args: argparse.Namespace) -> int:
    if args.repeat < 1:
        print("hadrill setup: --repeat must be at least 1", file=sys.stderr)
        return EXIT_BAD_INPUT
    if args.local:
        try:
            config = load_config(args.config)
        except ConfigError as error:
            print(f"hadrill setup: config error: {error}", file=sys.stderr)
            return EXIT_BAD_INPUT
        return setup_command.run_local(
            config, steps=args.steps, dry_run=args.dry_run, repeat=args.repeat, as_json_output=args.json
        )
    try:
        return setup_command.run_aws(
            AwsTarget(args.cluster, profile=args.profile, region=args.region),
            steps=args.steps,
            dry_run=args.dry_run,
            as_json_output=args.json,
        )
    except AwsTargetError as error:
        print(f"hadrill setup: {error}", file=sys.stderr)
        return EXIT_ENVIRONMENT


if __name__ == "__main__":
    sys.exit(main())
