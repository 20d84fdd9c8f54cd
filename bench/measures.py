"""The measurements behind `python -m bench`, one function per section of the table.

To add a row: write a function `(Settings) -> Row` (or a list of Rows) and add a Section to SECTIONS, e.g.

    def plan_time(settings: Settings) -> Row:
        seconds, _ = run_tool(["hadrill", "plan", "--assembly", "cdk.out", "--config", settings.config])
        return Row("hadrill plan", seconds, "s", "on the last `make synth`")

    SECTIONS.append(Section("plan", "plan", plan_time))  # or a line in the list below

run_json() runs a command that prints JSON and returns (seconds, parsed). A section that raises becomes a
FAILED row and `python -m bench` exits 1. The heavy imports (moto, the CDK) happen inside the functions, so
`--only` and `--help` stay quick.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
from pathlib import Path
from typing import Any

from bench.record import Row, Section, Settings, progress, run_json_peak, run_tool


def _runs_note(values: list[float], unit: str, scale: float = 1.0) -> str:
    if len(values) == 1:
        return "1 run"
    digits = 0 if unit == "ms" else 1
    shown = ", ".join(f"{v * scale:.{digits}f}" for v in values)
    return f"median of {len(values)}: {shown} {unit}"


def demo(settings: Settings) -> list[Row]:
    """The `make demo` steps as a user runs them after install, each a fresh process, into a scratch dir."""
    steps = ("cdk synth", "hadrill plan", "hadrill drill --local network-down")
    times: dict[str, list[float]] = {step: [] for step in steps}
    totals: list[float] = []
    for run in range(1, settings.demo_runs + 1):
        with tempfile.TemporaryDirectory(prefix="bench-demo-") as tmp:
            assembly, reports = Path(tmp) / "cdk.out", Path(tmp) / "reports"
            config = ["--config", settings.config]
            commands = (
                ["cdk", "synth", "--quiet", "--output", str(assembly), "-c", f"config={settings.config}"],
                ["hadrill", "plan", "--assembly", str(assembly), *config],
                ["hadrill", "drill", "--local", "--scenario", "network-down", *config, "--reports-dir", str(reports)],
            )
            total = 0.0
            for step, command in zip(steps, commands, strict=True):
                seconds, _ = run_tool(command)
                progress(f"  demo run {run}/{settings.demo_runs}: {step} {seconds:.1f} s")
                times[step].append(seconds)
                total += seconds
            totals.append(total)
    rows = [Row(f"demo: {step}", statistics.median(times[step]), "s", _runs_note(times[step], "s")) for step in steps]
    rows.append(Row("demo: total", statistics.median(totals), "s", _runs_note(totals, "s")))
    return rows


def drills(settings: Settings) -> list[Row]:
    """Every scenario once on one simulated cluster (Timings.fast()), after setup: what a drill costs."""
    from bench.drill import SCENARIOS, drill_world, run_drill
    from simulator import Timings
    from stacks.config import load_config

    config = load_config(settings.config)
    rows: list[Row] = []
    with drill_world(config, Timings.fast()) as deployment:
        for scenario in SCENARIOS:
            run = run_drill(deployment, config.cluster_name, scenario=scenario)
            rto = "no RTO" if run.rto is None else f"RTO {run.rto:.3f} s"
            progress(f"  {scenario}: {run.outcome}, {rto}, {run.transitions} transitions, {run.seconds:.1f} s")
            verdict = f"{run.outcome}, {rto}, wall {run.seconds:.1f} s"
            if run.outcome != "PASSED":
                verdict += f": {run.reason}"
            if run.reported_transitions != run.transitions:
                verdict += f"; the report counted {run.reported_transitions} transitions"
            rows += [
                Row(f"{scenario}: state transitions", run.transitions, "count", verdict),
                Row(f"{scenario}: Lambda invocations", run.lambdas, "count"),
                Row(f"{scenario}: SSM commands", run.ssm, "count"),
                Row(f"{scenario}: estimated cost", run.usd, "USD", "the report's estimate, Step Functions + Lambda"),
            ]
    return rows


def real_durations(settings: Settings) -> list[Row]:
    """Every scenario twice, priced the same way (bench/cost.py): at Timings.fast() and at real-world
    durations (60 s takeover, 120 s reboot, 300 s resync) run at settings.real_scale and priced at full scale."""
    from bench.cost import DEFAULT_SCALE, drill_cost, lambda_meter, real_timings
    from bench.drill import SCENARIOS, drill_world
    from simulator import Timings
    from stacks.config import load_config

    config = load_config(settings.config)
    scale = settings.real_scale or DEFAULT_SCALE
    fast: dict[str, Any] = {}
    with drill_world(config, Timings.fast()) as deployment, lambda_meter() as meter:
        for scenario in SCENARIOS:
            fast[scenario] = drill_cost(deployment, meter, 1.0, scenario=scenario)
            progress(f"  fast {scenario}: {fast[scenario].transitions} transitions, ${fast[scenario].usd:.6f}")
    rows: list[Row] = []
    with drill_world(config, real_timings(scale), time_scale=scale) as deployment, lambda_meter() as meter:
        for scenario in SCENARIOS:
            # A killed daemon comes back after the (real) 60 s local recovery: within the 120 s SLO.
            real = drill_cost(deployment, meter, scale, scenario=scenario, takeoverTimeoutSeconds=300)
            quick = fast[scenario]
            progress(
                f"  real {scenario}: {real.outcome}, {real.transitions} transitions ({real.waits} waits), "
                f"{real.lambdas} invocations, {real.gb_seconds:.2f} GB-s, ${real.usd:.6f}, "
                f"wall {real.wall_seconds:.1f} s"
            )
            rows += [
                Row(
                    f"{scenario}: cost, real durations",
                    real.usd,
                    "USD",
                    f"{real.outcome}; fast row ${quick.usd:.6f}; Step Functions ${real.step_functions_usd:.6f}, "
                    f"Lambda {real.gb_seconds:.2f} GB-s at full scale (slept {real.slept_seconds:.2f} s at x{scale:g})",
                ),
                Row(
                    f"{scenario}: transitions, real durations",
                    real.transitions,
                    "count",
                    f"fast row {quick.transitions}; {real.waits} Wait states (fast {quick.waits})",
                ),
                Row(
                    f"{scenario}: Lambda invocations, real durations",
                    real.lambdas,
                    "count",
                    f"fast row {quick.lambdas}; wall {real.wall_seconds:.1f} s at x{scale:g}",
                ),
            ]
    return rows


def rto_error(settings: Settings) -> list[Row]:
    """Measured RTO minus the simulator's configured takeover (detection + restore), network-down drills."""
    from bench.drill import configured_takeover, drill_world, run_drill
    from simulator import Timings
    from stacks.config import load_config

    config = load_config(settings.config)
    timings = Timings.fast()
    truth = configured_takeover(timings)
    errors: list[float] = []
    with drill_world(config, timings) as deployment:
        for number in range(1, settings.rto_drills + 1):
            run = run_drill(deployment, config.cluster_name, scenario="network-down")
            if run.rto is None:
                progress(f"  drill {number}/{settings.rto_drills}: {run.outcome}, no RTO measured")
                continue
            errors.append(run.rto - truth)
            progress(f"  drill {number}/{settings.rto_drills}: RTO {run.rto:.3f} s, error {run.rto - truth:+.3f} s")
    if not errors:
        raise RuntimeError(f"none of {settings.rto_drills} network-down drills measured an RTO")
    measured = f"{len(errors)} of {settings.rto_drills}" if len(errors) < settings.rto_drills else f"{len(errors)}"
    each = ", ".join(f"{e:+.3f}" for e in errors)
    return [
        Row(
            "RTO error, mean",
            statistics.mean(errors),
            "s",
            f"N={measured} network-down drills, configured takeover {truth:.3f} s",
        ),
        Row("RTO error, max", max(errors), "s", f"errors {each} s"),
    ]


def handler_imports(settings: Settings) -> list[Row]:
    """Cold import of each module under lambdas/handlers/ in a fresh interpreter (a Lambda cold start's share):
    from lambdas/ with the venv's Python, then from the synthesized Lambda asset (the code and the pinned
    dependencies as deployed) with python3.13, the functions' runtime, when it is on this machine, writing no
    bytecode (Lambda's code directory is read-only: what the zip does not carry compiled is compiled again at
    every cold start)."""
    from bench.setup import fresh_asset, handler_modules, lambda_python, median_import_seconds

    rows = []
    for module in handler_modules():
        median, times = median_import_seconds(module, settings.import_runs)
        progress(f"  import {module}: {median * 1000:.0f} ms")
        rows.append(Row(f"import {module}", median * 1000, "ms", _runs_note(times, "ms", scale=1000)))
    python = lambda_python()
    if python is None:
        rows.append(Row("import from the Lambda asset", None, "", "skipped: no python3.13 on this machine"))
        return rows
    with tempfile.TemporaryDirectory(prefix="bench-asset-") as tmp:
        asset = fresh_asset(Path("cdk.out").resolve())
        where = "cdk.out"
        if asset is None:  # stale or missing: synthesize the app once, into a scratch directory
            progress("  no up-to-date Lambda asset in cdk.out: synthesizing one")
            run_tool(["cdk", "synth", "--quiet", "--output", tmp, "-c", f"config={settings.config}"])
            asset, where = fresh_asset(Path(tmp)), "a fresh synth"
        if asset is None:
            raise RuntimeError("the synthesized Lambda asset does not hold the current lambdas/ sources")
        for module in handler_modules():
            median, times = median_import_seconds(module, settings.import_runs, python=python, root=asset)
            progress(f"  import {module} (asset, python3.13): {median * 1000:.0f} ms")
            note = f"{_runs_note(times, 'ms', scale=1000)}; {asset.name[:16]}... from {where}"
            rows.append(Row(f"import {module} (asset, 3.13)", median * 1000, "ms", note))
    return rows


def synth(settings: Settings) -> list[Row]:
    """`cdk synth` wall time, the first (cold-ish) and the rest, and whether the templates are byte-identical."""
    from bench.synth import measure_synth

    result = measure_synth(settings.config, max(2, settings.synth_runs), quiet=True)
    first, rest = result.seconds[0], result.seconds[1:]
    return [
        Row("synth, first", first, "s", "fresh `cdk synth` process, first of this section"),
        Row("synth, again", statistics.median(rest), "s", _runs_note(rest, "s")),
        Row(
            "synth byte-identical",
            result.identical,
            "",
            f"{len(result.templates)} templates compared across {len(result.seconds)} synths",
        ),
    ]


def setup(settings: Settings) -> list[Row]:
    """The setup workflow on a fresh simulated cluster of bare nodes, then a rerun that should change nothing."""
    from bench.setup import measure_setup

    # In-process: when an earlier section imported moto and the local world, this deploy does not pay for it.
    imports = "imports already paid by earlier sections" if "moto" in sys.modules else "includes importing moto"
    result = measure_setup(settings.config, runs=2)
    rows = [Row("setup: local world + cluster deploy", result.deploy_seconds, "s", f"moto + bare nodes, {imports}")]
    for label, run in zip(("bare nodes", "rerun"), result.runs, strict=True):
        progress(f"  setup {label}: {run.status}, {run.transitions} transitions, {run.seconds:.1f} s")
        status = "" if run.status == "SUCCEEDED" else run.status
        rows += [
            Row(f"setup {label}: state transitions", run.transitions, "count", status),
            Row(f"setup {label}: Lambda invocations", run.lambdas, "count"),
            Row(f"setup {label}: SSM commands", run.ssm, "count"),
            Row(f"setup {label}: wall time", run.seconds, "s"),
        ]
    return rows


FLEET_OF_ONE_RUNS = 3


def fleet(settings: Settings) -> list[Row]:
    """A fleet drill of 50 simulated clusters at concurrency 10 (10 at 5 with --quick) against a fleet of
    one, through the CLI: the same path, so the ratio is what concurrency and the Map cost. Peak memory is
    the largest resident set of the command's processes (the local world runs in one)."""
    clusters, concurrency = (10, 5) if settings.quick else (50, 10)
    waves = -(-clusters // concurrency)

    def run(count: int, at: int) -> tuple[float, dict[str, Any], float, float]:
        with tempfile.TemporaryDirectory(prefix="bench-fleet-") as tmp:
            command = ["hadrill", "drill", "--fleet", "--local", "--sim-clusters", str(count)]
            command += ["--max-concurrency", str(at), "--json", "--config", settings.config]
            usage = run_json_peak([*command, "--reports-dir", tmp])
        return usage.seconds, dict(usage.output), usage.peak_mb, usage.cpu_seconds

    progress(f"fleet: 1 cluster ({FLEET_OF_ONE_RUNS} runs), then {clusters} at concurrency {concurrency}")
    # The fleet of 1 is the yardstick and its wall time varies by a second from run to run (a tenth of it):
    # the median of a few runs, so that one quick or slow run does not move the ratio.
    ones = sorted((run(1, 1) for _ in range(FLEET_OF_ONE_RUNS)), key=lambda result: result[0])
    one_s, one, one_mb, one_cpu = ones[len(ones) // 2]
    many_s, many, many_mb, many_cpu = run(clusters, concurrency)
    listed = len(many["drills"])
    children = sum((row.get("cost") or {}).get("state_transitions") or 0 for row in many["drills"])
    own = many["fleet_execution"]["state_transitions"]
    one_exec, many_exec = one["fleet_execution"]["seconds"], many["fleet_execution"]["seconds"]
    name = f"fleet of {clusters} @ {concurrency}"
    rows = [
        Row(
            "fleet of 1: wall time",
            one_s,
            "s",
            f"{_runs_note([r[0] for r in ones], 's')}; {one['outcome']}, fleet execution {_seconds(one)} s, "
            f"{one_mb:.0f} MB",
        ),
        Row(
            f"{name}: wall time",
            many_s,
            "s",
            f"{many['outcome']}, {listed} of {clusters} listed, fleet execution {_seconds(many)} s",
        ),
        Row(f"{name} / fleet of 1", many_s / one_s, "x", f"whole commands; {waves} waves of {concurrency} clusters"),
    ]
    if one_exec and many_exec:
        rows.append(
            Row(f"{name} / fleet of 1, executions", many_exec / one_exec, "x", "the fleet executions alone (no deploy)")
        )
    rows += [
        Row(f"{name}: peak memory", many_mb, "MB", "largest resident set (ru_maxrss) of the command's processes"),
        Row(
            f"{name}: CPU",
            many_cpu,
            "s",
            f"user + system of the command's processes (the world and the nodes' scripts); fleet of 1 {one_cpu:.1f} s",
        ),
        Row(
            f"fleet of {clusters}: RTO max / median",
            many["rto_seconds"]["max"],
            "s",
            f"median {many['rto_seconds']['median']} s (simulated 0.5 s takeover, {clusters} clusters on 2 cores)",
        ),
        Row(
            f"fleet of {clusters}: state transitions",
            own + children,
            "count",
            f"fleet {own} + its {listed} drills {children}",
        ),
    ]
    return rows


def _seconds(summary: dict[str, Any]) -> str:
    seconds = summary["fleet_execution"]["seconds"]
    return "?" if seconds is None else f"{seconds:.1f}"


SECTIONS: list[Section] = [
    Section("demo", "demo wall time (make demo's steps)", demo),
    Section("drills", "per drill (Timings.fast())", drills),
    Section("real", "per drill at real durations (60 s takeover, 120 s reboot, 300 s resync)", real_durations),
    Section("rto", "RTO error (network-down)", rto_error),
    Section("imports", "handler cold import", handler_imports),
    Section("synth", "synth", synth),
    Section("setup", "setup workflow", setup),
    Section("fleet", "fleet drill: 50 clusters @ 10 (10 @ 5 with --quick) vs 1", fleet),
]
