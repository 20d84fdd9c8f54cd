"""Benchmark: the setup workflow on a fresh simulated cluster, then again as a no-op.

Prints wall time, state transitions, Lambda invocations and SSM commands per execution, and the
handlers' cold import time. Asserts nothing about speed. `python -m bench` reuses the functions here.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO), str(REPO / "lambdas")]

from hadrill.contracts import ENV_LAMBDA_PYTHON  # noqa: E402
from hadrill_cli.local import local_cluster  # noqa: E402
from stacks.config import load_config  # noqa: E402

HANDLERS_DIR = REPO / "lambdas" / "handlers"


@dataclass(frozen=True)
class SetupRun:
    status: str
    seconds: float  # the execution's wall time
    transitions: int
    lambdas: int
    ssm: int


@dataclass(frozen=True)
class SetupBench:
    deploy_seconds: float  # local world + simulated cluster (bare nodes) deployed
    runs: list[SetupRun]  # the first on bare nodes, then reruns on the same world


def measure_setup(config_path: str, runs: int = 2) -> SetupBench:
    """Setup on a fresh simulated cluster of bare nodes, then `runs - 1` reruns on the same world."""
    config = load_config(config_path)
    started = time.perf_counter()
    results: list[SetupRun] = []
    with local_cluster(config) as deployment:
        deployed = time.perf_counter() - started
        for run in range(1, runs + 1):
            result = deployment.world.run_execution(
                deployment.state_machines["Setup"], {"cluster": config.cluster_name}, name=f"bench-{run}", timeout_s=300
            )
            results.append(
                SetupRun(
                    result.status,
                    result.elapsed_s,
                    result.state_transitions,
                    result.lambda_invocations,
                    result.ssm_commands_sent,
                )
            )
    return SetupBench(deployed, results)


def handler_modules() -> list[str]:
    """The modules under lambdas/handlers/, as the Lambda runtime imports them (handlers.<name>)."""
    return [f"handlers.{path.stem}" for path in sorted(HANDLERS_DIR.glob("*.py")) if path.stem != "__init__"]


def import_seconds(module: str, *, python: str | None = None, root: Path | None = None) -> float:
    """Cold import time of a handler module in a fresh interpreter (what a Lambda cold start pays);
    ``python`` and ``root`` (the code directory, first on sys.path) default to the venv and lambdas/."""
    code = f"import time; t = time.perf_counter(); import {module}; print(time.perf_counter() - t)"
    # From an asset, -B: Lambda's /var/task is read-only, so a cold start uses the bytecode the zip carries
    # or compiles every module again; it never leaves any behind for the next one.
    flags = ["-s", "-B"] if root is not None else ["-s"]
    result = subprocess.run(
        [python or sys.executable, *flags, "-c", code],
        cwd=root or REPO / "lambdas",
        env={"POWERTOOLS_TRACE_DISABLED": "true", "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=True,
    )
    return float(result.stdout.strip())


def median_import_seconds(
    module: str, runs: int = 3, *, python: str | None = None, root: Path | None = None
) -> tuple[float, list[float]]:
    """The median of `runs` cold imports, and every run's time."""
    times = [import_seconds(module, python=python, root=root) for _ in range(runs)]
    return statistics.median(times), times


def lambda_python() -> str | None:
    """The functions' runtime (python3.13) on this machine: HADRILL_LAMBDA_PYTHON, PATH, or pyenv."""
    import os
    import shutil

    if os.environ.get(ENV_LAMBDA_PYTHON):
        return os.environ[ENV_LAMBDA_PYTHON]
    found = shutil.which("python3.13")
    if found and "/shims/" not in found:  # a pyenv shim needs pyenv on PATH, which the measurement drops
        return found
    candidates = sorted(Path.home().glob(".pyenv/versions/3.13*/bin/python3.13"))
    return str(candidates[-1]) if candidates else None


def fresh_asset(assembly: Path) -> Path | None:
    """The newest Lambda asset under ``assembly`` (cdk.out/asset.*/handlers) whose handlers and domain
    package match lambdas/ byte for byte, or None (stale or never synthesized)."""
    assets = sorted((d for d in assembly.glob("asset.*") if (d / "handlers").is_dir()), key=lambda d: d.stat().st_mtime)
    sources = [p for p in (REPO / "lambdas").rglob("*.py") if "__pycache__" not in p.parts]
    for asset in reversed(assets):
        copies = [asset / p.relative_to(REPO / "lambdas") for p in sources]
        if all(c.is_file() and c.read_bytes() == p.read_bytes() for c, p in zip(copies, sources, strict=True)):
            return asset
    return None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--config", default="config/default.yaml")
    parser.add_argument("--runs", type=int, default=2, help="setup executions on the same world")
    args = parser.parse_args()
    bench = measure_setup(args.config, args.runs)
    print(f"local world + simulated cluster deployed in {bench.deploy_seconds:.2f} s")
    print(f"{'run':>4} {'status':>10} {'wall s':>7} {'transitions':>11} {'lambdas':>7} {'ssm cmds':>8}")
    for number, run in enumerate(bench.runs, start=1):
        print(f"{number:>4} {run.status:>10} {run.seconds:>7.2f} {run.transitions:>11} {run.lambdas:>7} {run.ssm:>8}")
    for module in handler_modules():
        median, _ = median_import_seconds(module, runs=1)
        print(f"cold import {module}: {median * 1000:.0f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
