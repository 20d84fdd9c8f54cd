"""One benchmark table: `python -m bench [--quick] [--only demo,synth] [--output bench/results.json]`.

Runs every section of bench/measures.py (demo wall time, per-drill cost at the simulator's fast timings and
at real-world durations, RTO error, handler cold imports from lambdas/ and from the synthesized Lambda asset,
synth, setup, a fleet of 50 at concurrency 10), prints one table on stdout (Markdown, so a note can paste
it), progress on stderr, and writes the same rows as JSON. Asserts nothing about speed; exits 1 when a
section failed to measure.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

from bench.measures import SECTIONS
from bench.record import REPO, Row, Section, Settings, Value, progress, tool_path

DEFAULT_OUTPUT = REPO / "bench" / "results.json"


def format_value(value: Value, unit: str) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "NO"
    if isinstance(value, int | str):
        return str(value)
    if unit == "USD":
        return f"{value:.6f}"
    size = abs(value)
    digits = 0 if size >= 100 else 1 if size >= 10 else 2 if size >= 1 else 3
    return f"{value:.{digits}f}"


def render(results: list[tuple[Section, list[Row]]]) -> str:
    """One Markdown table; the section's title on its first row only."""
    header = ("section", "measurement", "value", "unit", "note")
    lines: list[tuple[str, ...]] = []
    for section, rows in results:
        for index, row in enumerate(rows):
            title = section.title if index == 0 else ""
            lines.append((title, row.name, format_value(row.value, row.unit), row.unit, row.note))
    widths = [max(len(cells[i]) for cells in [header, *lines]) for i in range(len(header))]

    def line(cells: tuple[str, ...]) -> str:
        padded = [c.rjust(w) if i == 2 else c.ljust(w) for i, (c, w) in enumerate(zip(cells, widths, strict=True))]
        return "| " + " | ".join(padded) + " |"

    rule = "|" + "|".join("-" * (w + 1) + (":" if i == 2 else "-") for i, w in enumerate(widths)) + "|"
    return "\n".join([line(header), rule, *(line(cells) for cells in lines)])


def measure(section: Section, settings: Settings) -> tuple[list[Row], float, str | None]:
    """Run one section; a failure becomes a row saying so, and the rest of the table still runs."""
    started = time.perf_counter()
    try:
        result = section.measure(settings)
        rows = [result] if isinstance(result, Row) else list(result)
        failure = None
    except (Exception, SystemExit) as error:  # setup_cluster() exits on a failed setup
        failure = f"{type(error).__name__}: {error}"
        rows = [Row(section.title, None, "", f"FAILED: {failure}"[:300])]
    return rows, time.perf_counter() - started, failure


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="fewer repetitions (about 2 minutes on 2 cores)")
    parser.add_argument("--config", default="config/default.yaml", help="deployment config (default %(default)s)")
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT, help="JSON results (default bench/results.json)")
    parser.add_argument("--rto-drills", type=int, help="network-down drills for the RTO error (default 5, quick 3)")
    parser.add_argument(
        "--real-scale",
        type=float,
        default=0.02,
        help="the real-duration row runs the simulator and Step Functions waits at this share of real time "
        "and prices the drill at full scale (default %(default)s; 1 runs it at full length, ~10 min a drill)",
    )
    keys = [section.key for section in SECTIONS]
    parser.add_argument("--only", help=f"comma-separated sections to run, of: {','.join(keys)}")
    args = parser.parse_args(argv)

    selected = SECTIONS
    if args.only:
        wanted = [key.strip() for key in args.only.split(",") if key.strip()]
        unknown = sorted(set(wanted) - set(keys))
        if unknown:
            parser.error(f"unknown section(s) {', '.join(unknown)}; choose from {', '.join(keys)}")
        selected = [section for section in SECTIONS if section.key in wanted]
    settings = Settings(
        config=args.config,
        quick=args.quick,
        demo_runs=1 if args.quick else 3,
        rto_drills=args.rto_drills or (3 if args.quick else 5),
        synth_runs=2 if args.quick else 3,
        import_runs=3,
        real_scale=args.real_scale,
    )
    # The reused scripts (bench/synth.py) start `cdk` from PATH: the project's, as the Makefile sets it.
    os.environ["PATH"] = tool_path()

    started = time.perf_counter()
    results: list[tuple[Section, list[Row]]] = []
    timings: list[dict[str, Any]] = []
    for number, section in enumerate(selected, start=1):
        progress(f"[{number}/{len(selected)}] {section.title} ...")
        rows, seconds, failure = measure(section, settings)
        for row in rows:
            progress(f"  -> {row.name}: {format_value(row.value, row.unit)} {row.unit}".rstrip())
        progress(f"[{number}/{len(selected)}] {section.title}: {'FAILED' if failure else 'done'} in {seconds:.1f} s")
        results.append((section, rows))
        timings.append({"key": section.key, "title": section.title, "seconds": seconds, "failure": failure})
    wall = time.perf_counter() - started

    print(render(results), flush=True)
    document = {
        "generated": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "mode": "quick" if args.quick else "full",
        "settings": asdict(settings),
        "host": {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()},
        "wall_seconds": wall,
        "sections": timings,
        "rows": [
            {"section": section.key, **asdict(row), "text": format_value(row.value, row.unit)}
            for section, rows in results
            for row in rows
        ],
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(document, indent=2) + "\n")
    failed = [t["key"] for t in timings if t["failure"]]
    summary = f"{len(selected)} sections in {wall:.0f} s; JSON in {args.output}"
    progress(summary + (f"; FAILED: {', '.join(failed)}" if failed else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
