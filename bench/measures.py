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

from bench.record import Row, Section, Settings, progress, run_json, run_tool


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
    """Cold import of each module under lambdas/handlers/ in a fresh interpreter (a Lambda cold start's share)."""
    from bench.setup import handler_modules, median_import_seconds

    rows = []
    for module in handler_modules():
        median, times = median_import_seconds(module, settings.import_runs)
        progress(f"  import {module}: {median * 1000:.0f} ms")
        rows.append(Row(f"import {module}", median * 1000, "ms", _runs_note(times, "ms", scale=1000)))
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


def fleet(settings: Settings) -> list[Row]:
    """A fleet drill of 20 simulated clusters at concurrency 5 (10 with --quick) against a fleet of one,
    through the CLI: the same path, so the ratio is what concurrency and the Map cost."""
    clusters = 10 if settings.quick else 20

    def run(count: int, concurrency: int) -> tuple[float, dict[str, Any]]:
        with tempfile.TemporaryDirectory(prefix="bench-fleet-") as tmp:
            command = ["hadrill", "drill", "--fleet", "--local", "--sim-clusters", str(count)]
            command += ["--max-concurrency", str(concurrency), "--json", "--config", settings.config]
            seconds, summary = run_json([*command, "--reports-dir", tmp])
        return seconds, dict(summary)

    progress(f"fleet: 1 cluster, then {clusters} at concurrency 5")
    one_s, one = run(1, 1)
    many_s, many = run(clusters, 5)
    listed = len(many["drills"])
    children = sum((row.get("cost") or {}).get("state_transitions") or 0 for row in many["drills"])
    own = many["fleet_execution"]["state_transitions"]
    return [
        Row("fleet of 1: wall time", one_s, "s", f"{one['outcome']}, fleet execution {_seconds(one)} s"),
        Row(
            f"fleet of {clusters} @ 5: wall time",
            many_s,
            "s",
            f"{many['outcome']}, {listed} of {clusters} listed, fleet execution {_seconds(many)} s",
        ),
        Row(f"fleet of {clusters} @ 5 / fleet of 1", many_s / one_s, "x", f"{clusters / 5:.0f} waves of 5 clusters"),
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


def _seconds(summary: dict[str, Any]) -> str:
    seconds = summary["fleet_execution"]["seconds"]
    return "?" if seconds is None else f"{seconds:.1f}"


SECTIONS: list[Section] = [
    Section("demo", "demo wall time (make demo's steps)", demo),
    Section("drills", "per drill (Timings.fast())", drills),
    Section("rto", "RTO error (network-down)", rto_error),
    Section("imports", "handler cold import", handler_imports),
    Section("synth", "synth", synth),
    Section("setup", "setup workflow", setup),
    Section("fleet", "fleet drill: 20 clusters @ 5 (10 with --quick) vs 1", fleet),
]
