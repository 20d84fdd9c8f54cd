"""The operator's command line: `hadrill <command>`.

Exit codes: 0 success, 1 workflow failed (drill FAILED or ABORTED), 2 bad input or config,
3 AWS or environment error.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from hadrill_cli.plan import AssemblyError, read_assembly, render

EXIT_OK = 0
EXIT_BAD_INPUT = 2
EXIT_ENVIRONMENT = 3


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="hadrill",
        description="Deploy HULFT on a LifeKeeper cluster on AWS and drill its failover.",
        epilog="example: make synth && hadrill plan --assembly cdk.out",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    plan = commands.add_parser("plan", help="summarize what `cdk deploy` would create (reads cdk.out; deploys nothing)")
    plan.add_argument(
        "--assembly", type=Path, default=Path("cdk.out"), help="cloud assembly directory (default cdk.out)"
    )
    plan.add_argument(
        "--config",
        default="config/default.yaml",
        help="the config the assembly was built from (for the label)",
    )
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
    return EXIT_BAD_INPUT  # argparse rejects unknown commands before this


if __name__ == "__main__":
    sys.exit(main())
