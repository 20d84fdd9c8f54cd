"""`python -m fuzz [--examples N] [--json PATH]`: per surface, inputs tried, clear refusals, accepted,
crashes, hangs and accepted-but-invalid; then the worst time and memory to refuse a hostile input under
64 KB. Exit 1 when any crash, hang or accepted-but-invalid input was found (each is printed).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import tracemalloc
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings

from fuzz import hostile
from fuzz.surfaces import MESSAGE_LIMIT, SURFACES, Invalid, Surface

HANG_SECONDS = 2.0
OUTCOMES = ("tried", "refused", "accepted", "crash", "hang", "accepted-but-invalid")


def drive(surface: Surface, examples: int) -> tuple[Counter[str], list[str]]:
    counts: Counter[str] = Counter()
    findings: list[str] = []

    @settings(
        max_examples=examples,
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(surface.inputs)
    def one(value: Any) -> None:
        counts["tried"] += 1
        started = time.perf_counter()
        outcome = "accepted"
        try:
            surface.run(value)
        except Invalid as error:
            outcome = "accepted-but-invalid"
            findings.append(f"{surface.name}: {str(error)[:300]} <- {repr(value)[:200]}")
        except surface.refusal as error:
            outcome = "refused"
            if len(str(error)) > MESSAGE_LIMIT * 2:
                outcome = "crash"
                findings.append(f"{surface.name}: a refusal of {len(str(error))} characters <- {repr(value)[:200]}")
        except Exception as error:
            outcome = "crash"
            findings.append(f"{surface.name}: {type(error).__name__}: {str(error)[:200]} <- {repr(value)[:200]}")
        if time.perf_counter() - started > HANG_SECONDS:
            outcome = "hang"
            findings.append(f"{surface.name}: {time.perf_counter() - started:.1f} s <- {repr(value)[:200]}")
        counts[outcome] += 1

    one()
    return counts, findings


def measure(call: Callable[[], object]) -> tuple[float, float, str]:
    """Seconds, peak MB (Python allocations) and the outcome of one call."""
    tracemalloc.start()
    started = time.perf_counter()
    try:
        call()
        outcome = "accepted"
    except Exception as error:
        outcome = type(error).__name__
    seconds = time.perf_counter() - started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return seconds, peak / 1e6, outcome


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m fuzz", description=__doc__)
    parser.add_argument("--examples", type=int, default=2000, help="inputs per surface (default 2000)")
    parser.add_argument("--json", type=Path, default=Path("fuzz/results.json"), help="where to write the numbers")
    args = parser.parse_args(argv)

    rows: dict[str, dict[str, int]] = {}
    findings: list[str] = []
    print(f"{'surface':<22}" + "".join(f"{name:>22}" for name in OUTCOMES) + f"{'seconds':>10}")
    for surface in SURFACES:
        started = time.perf_counter()
        counts, found = drive(surface, args.examples)
        rows[surface.name] = {name: counts[name] for name in OUTCOMES}
        findings += found
        cells = "".join(f"{counts[name]:>22}" for name in OUTCOMES)
        print(f"{surface.name:<22}{cells}{time.perf_counter() - started:>10.1f}", flush=True)

    print("\nhostile inputs under 64 KB (each refused; the worst time and memory):")
    bench: list[dict[str, Any]] = []
    for name, size, call in hostile.cases():
        seconds, megabytes, outcome = measure(call)
        bench.append({"input": name, "bytes": size, "seconds": seconds, "peak_mb": megabytes, "outcome": outcome})
        print(f"  {name:<48} {size:>7} B {seconds * 1000:>9.1f} ms {megabytes:>8.2f} MB  {outcome}")
    worst_s = max(row["seconds"] for row in bench)
    worst_mb = max(row["peak_mb"] for row in bench)
    over = [row["input"] for row in bench if row["seconds"] > 2 or row["peak_mb"] > 200 or row["bytes"] >= 65536]
    print(f"  worst: {worst_s * 1000:.1f} ms, {worst_mb:.2f} MB (limits 2 s, 200 MB); over a limit: {over or 'none'}")

    for line in findings[:50]:
        print(f"FOUND {line}", file=sys.stderr)
    args.json.write_text(json.dumps({"examples": args.examples, "surfaces": rows, "hostile": bench}, indent=2) + "\n")
    bad = sum(rows[s][k] for s in rows for k in ("crash", "hang", "accepted-but-invalid"))
    return 1 if bad or over else 0


if __name__ == "__main__":
    sys.exit(main())
