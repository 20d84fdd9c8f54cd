"""Benchmark: the setup workflow on a fresh simulated cluster, then again as a no-op.

Prints wall time, state transitions, Lambda invocations and SSM commands per execution, and the
handlers' cold import time. Asserts nothing about speed.
"""

from __future__ import annotations

import argparse
import importlib
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO), str(REPO / "lambdas")]

from hadrill_cli.local import local_cluster  # noqa: E402
from stacks.config import load_config  # noqa: E402
from stacks.orchestration import wiring  # noqa: E402


def import_seconds(module: str) -> float:
    """Cold import time of a handler module in a fresh interpreter (what a Lambda cold start pays)."""
    code = f"import time; t = time.perf_counter(); import {module}; print(time.perf_counter() - t)"
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=REPO / "lambdas",
        env={"POWERTOOLS_TRACE_DISABLED": "true", "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=True,
    )
    return float(result.stdout.strip())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--config", default="config/default.yaml")
    parser.add_argument("--runs", type=int, default=2, help="setup executions on the same world")
    args = parser.parse_args()
    config = load_config(args.config)
    started = time.perf_counter()
    with local_cluster(config) as deployment:
        built = time.perf_counter() - started
        print(f"local world + simulated cluster deployed in {built:.2f} s")
        print(f"{'run':>4} {'status':>10} {'wall s':>7} {'transitions':>11} {'lambdas':>7} {'ssm cmds':>8}")
        for run in range(1, args.runs + 1):
            result = deployment.world.run_execution(
                deployment.state_machines["Setup"], {"cluster": config.cluster_name}, name=f"bench-{run}", timeout_s=300
            )
            print(
                f"{run:>4} {result.status:>10} {result.elapsed_s:>7.2f} {result.state_transitions:>11} "
                f"{result.lambda_invocations:>7} {result.ssm_commands_sent:>8}"
            )
    for module in sorted({spec.handler.rsplit(".", 1)[0] for spec in wiring.all_functions()}):
        importlib.invalidate_caches()
        print(f"cold import {module}: {import_seconds(module) * 1000:.0f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
