"""Drill benchmarks on the simulated cluster: what a drill costs, how well it measures the RTO,
and that a long takeover costs no more state transitions than a short one.

    .venv/bin/python bench/drill.py [--repeats 5] [--short 2] [--long 10]

Prints, per scenario: state transitions, Lambda invocations, SSM commands, the measured RTO and the
drill's wall time; then the RTO measurement error against the simulator's configured takeover
(Timings detection + restore) over repeated network-down drills; then the same drill with a short
and a long simulated takeover. `python -m bench` reuses the functions here for its table.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

REPO = Path(__file__).resolve().parents[1]
for entry in (str(REPO), str(REPO / "lambdas")):
    if entry not in sys.path:
        sys.path.insert(0, entry)

from hadrill.drill.model import SCENARIOS  # noqa: E402
from hadrill.drill.report import report_keys  # noqa: E402
from hadrill_cli.drill_command import sim_timings  # noqa: E402
from hadrill_cli.local import LOCAL_TIME_SCALE, local_cluster  # noqa: E402
from simulator import Timings  # noqa: E402
from stacks.config import DEFAULT_CONFIG_PATH, DeploymentConfig, load_config  # noqa: E402

if TYPE_CHECKING:
    from localrunner import LocalDeployment

__all__ = ["SCENARIOS", "DrillRun", "configured_takeover", "drill_world", "run_drill", "setup_cluster"]

_counter = iter(range(1, 1_000_000))


@dataclass(frozen=True)
class DrillRun:
    """One drill execution: its report's verdict and what the execution history counted."""

    outcome: str
    reason: str | None
    rto: float | None  # seconds, from the report; None when the drill measured none
    transitions: int  # StateEntered events in the execution history
    waits: int  # of which Wait states (issue 18: the functions wait in them, not inside themselves)
    reported_transitions: int | None  # what the report's cost section counted
    lambdas: int
    ssm: int
    usd: float | None  # the report's estimated cost, total
    seconds: float  # wall time of the execution
    client_rto: dict[str, Any] | None = None  # the report's client_rto (the probe's own time: probeMs)


def configured_takeover(timings: Timings) -> float:
    """The takeover the simulator is configured to take (detection + restore): the RTO's truth."""
    return timings.detection_seconds + timings.restore_seconds


def setup_cluster(deployment: LocalDeployment, cluster: str) -> None:
    result = deployment.world.run_execution(
        deployment.state_machines["Setup"], {"cluster": cluster}, name="setup", timeout_s=300
    )
    if not result.succeeded:
        raise SystemExit(f"setup failed: {result.error}: {result.cause}")


@contextmanager
def drill_world(
    config: DeploymentConfig, timings: Timings, time_scale: float | None = None
) -> Iterator[LocalDeployment]:
    """A fresh simulated cluster with setup done, ready for drills (``time_scale``: the world's, for Step
    Functions waits; the CLI's by default)."""
    scale = LOCAL_TIME_SCALE if time_scale is None else time_scale
    with local_cluster(config, timings=timings, time_scale=scale) as deployment:
        setup_cluster(deployment, config.cluster_name)
        yield deployment


def run_drill(deployment: LocalDeployment, cluster: str, **request: Any) -> DrillRun:
    name = f"bench-{next(_counter)}"
    started = time.monotonic()
    result = deployment.world.run_execution(
        deployment.state_machines["Drill"], {"cluster": cluster, **request}, name=name, timeout_s=900
    )
    body = deployment.world.read_object(deployment.reports_bucket, report_keys(cluster, name)["json"])
    report: dict[str, Any] = json.loads(body) if body else {}
    cost: dict[str, Any] = report.get("cost", {})
    return DrillRun(
        outcome=str(report.get("outcome", result.status)),
        reason=report.get("reason", result.cause),
        rto=report.get("rto_seconds"),
        transitions=result.state_transitions,
        waits=sum(1 for e in result.events if e["type"] == "WaitStateEntered"),
        reported_transitions=cost.get("state_transitions"),
        lambdas=result.lambda_invocations,
        ssm=result.ssm_commands_sent,
        usd=cost.get("estimated_usd", {}).get("total"),
        seconds=time.monotonic() - started,
        client_rto=report.get("client_rto"),
    )


def _row(label: str, run: DrillRun) -> str:
    rto = "-" if run.rto is None else f"{run.rto:.3f}"
    usd = "-" if run.usd is None else f"{run.usd:.6f}"
    return (
        f"{label:<22} {run.outcome:<8} {run.transitions:>11} {run.lambdas:>7} {run.ssm:>4} "
        f"{rto:>8} {run.seconds:>7.1f} {usd:>10}"
    )


HEADER = (
    f"{'drill':<22} {'outcome':<8} {'transitions':>11} {'lambdas':>7} {'ssm':>4} {'rto s':>8} {'wall s':>7} "
    f"{'est. USD':>10}"
)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=5, help="network-down drills for the RTO error (default 5)")
    parser.add_argument("--short", type=float, default=2.0, help="short simulated takeover, seconds (default 2)")
    parser.add_argument("--long", type=float, default=10.0, help="long simulated takeover, seconds (default 10)")
    args = parser.parse_args()
    config = load_config(DEFAULT_CONFIG_PATH)
    cluster = config.cluster_name

    fast = Timings.fast()
    takeover = f"detection {fast.detection_seconds:.1f} s + restore {fast.restore_seconds:.1f} s"
    print(f"1) every scenario, Timings.fast() ({takeover})")
    print(HEADER)
    errors: list[float] = []
    with drill_world(config, fast) as deployment:
        for scenario in SCENARIOS:
            run = run_drill(deployment, cluster, scenario=scenario)
            print(_row(scenario, run), flush=True)
            if run.reported_transitions != run.transitions:
                counted, seen = run.reported_transitions, run.transitions
                print(f"   the report counted {counted} transitions, the history has {seen}")
        print(_row("dry run", run_drill(deployment, cluster, scenario="network-down", dryRun=True)), flush=True)

        truth = configured_takeover(fast)
        print(f"\n2) RTO measurement error, {args.repeats} network-down drills, configured takeover {truth:.3f} s")
        for _ in range(args.repeats):
            run = run_drill(deployment, cluster, scenario="network-down")
            if run.rto is not None:
                errors.append(run.rto - truth)
                print(f"   measured {run.rto:.3f} s  error {run.rto - truth:+.3f} s", flush=True)
    if errors:
        absolute = [abs(e) for e in errors]
        print(f"   max |error| {max(absolute):.3f} s, mean |error| {statistics.mean(absolute):.3f} s (limit 0.5 s)")

    print("\n3) the same drill (network-down, switchback) with a short and a long simulated takeover")
    print(HEADER)
    counts = []
    for seconds in (args.short, args.long):
        timings = sim_timings(seconds)
        with drill_world(config, timings) as deployment:
            run = run_drill(deployment, cluster, scenario="network-down", takeoverTimeoutSeconds=int(seconds * 3) + 30)
        print(_row(f"takeover {configured_takeover(timings):.1f} s", run), flush=True)
        counts.append(run.transitions)
    print(f"   state transitions: {counts[0]} vs {counts[1]} ({'equal' if counts[0] == counts[1] else 'DIFFERENT'})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
