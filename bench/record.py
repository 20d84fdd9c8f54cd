"""The benchmark table's vocabulary: a Row, the Settings every measurement gets, a Section of the table,
and helpers to run the project's tools (cdk, hadrill) as a user would after `make install`.

A measurement is a function `(Settings) -> Row | Sequence[Row]`; bench/measures.py lists them in SECTIONS.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
TOOL_DIRS = (REPO / "node_modules" / ".bin", REPO / ".venv" / "bin")

Value = int | float | str | bool | None


@dataclass(frozen=True)
class Row:
    """One line of the table and one entry of the JSON: a number (or yes/no) with its unit and a short note."""

    name: str
    value: Value
    unit: str = ""
    note: str = ""


@dataclass(frozen=True)
class Settings:
    """What every measurement may read: the config and how many repetitions to spend."""

    config: str
    quick: bool
    demo_runs: int  # the demo's three steps, run this many times (median)
    rto_drills: int  # network-down drills for the RTO error
    synth_runs: int  # synths for the synth time and the byte comparison (at least 2)
    import_runs: int  # fresh interpreters per handler module (median)
    real_scale: float = 0.0  # the real-duration row runs at this share of real time (0: bench.cost's default)


Measure = Callable[[Settings], Row | Sequence[Row]]


@dataclass(frozen=True)
class Section:
    """A group of rows measured by one function. `key` names it for --only and in the JSON."""

    key: str
    title: str
    measure: Measure


class ToolFailed(RuntimeError):
    pass


def progress(text: str) -> None:
    """Progress goes to stderr, so stdout holds only the table."""
    print(f"bench: {text}", file=sys.stderr, flush=True)


def tool_path() -> str:
    """PATH with the project's Node 22 + cdk and the venv's python + hadrill first, as the Makefile sets it."""
    return os.pathsep.join([*(str(d) for d in TOOL_DIRS), os.environ.get("PATH", "")])


def run_tool(args: Sequence[str], *, timeout: float = 1800) -> tuple[float, str]:
    """Run a command from the repo root with the tools' PATH; return its wall time and stdout.

    Raises ToolFailed (with the end of its output) when it exits non-zero.
    """
    env = {**os.environ, "PATH": tool_path()}
    started = time.perf_counter()
    result = subprocess.run(list(args), cwd=REPO, env=env, capture_output=True, text=True, timeout=timeout)
    seconds = time.perf_counter() - started
    if result.returncode != 0:
        tail = (result.stderr.strip() or result.stdout.strip()).splitlines()[-5:]
        raise ToolFailed(f"`{' '.join(args)}` exited {result.returncode}: " + " | ".join(tail))
    return seconds, result.stdout


def run_json(args: Sequence[str], *, timeout: float = 1800) -> tuple[float, Any]:
    """run_tool for a command that prints JSON on stdout (e.g. `hadrill drill --local --json`)."""
    seconds, stdout = run_tool(args, timeout=timeout)
    return seconds, json.loads(stdout)


# Runs a command and then prints, on stderr, the largest resident set of the processes it waited for and
# the CPU time (user + system) they used.
_PEAK = (
    "import resource, subprocess, sys; code = subprocess.call(sys.argv[1:]); "
    "usage = resource.getrusage(resource.RUSAGE_CHILDREN); "
    "print(f'BENCH_PEAK_KB={usage.ru_maxrss}', file=sys.stderr); "
    "print(f'BENCH_CPU_S={usage.ru_utime + usage.ru_stime}', file=sys.stderr); "
    "sys.exit(code)"
)


@dataclass(frozen=True)
class Usage:
    """What run_json_peak measured of a command."""

    seconds: float  # wall time
    output: Any  # its JSON
    peak_mb: float  # the largest ru_maxrss among its processes (nan when not reported)
    cpu_seconds: float  # user + system CPU of its processes, the ones they waited for included


def run_json_peak(args: Sequence[str], *, timeout: float = 1800) -> Usage:
    """run_json, plus the peak memory (MB) and the CPU time of the command's processes."""
    env = {**os.environ, "PATH": tool_path()}
    started = time.perf_counter()
    command = [sys.executable, "-c", _PEAK, *args]
    result = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, timeout=timeout)
    seconds = time.perf_counter() - started
    if result.returncode != 0:
        tail = (result.stderr.strip() or result.stdout.strip()).splitlines()[-5:]
        raise ToolFailed(f"`{' '.join(args)}` exited {result.returncode}: " + " | ".join(tail))

    def reported(name: str) -> float:
        values = [line.split("=", 1)[1] for line in result.stderr.splitlines() if line.startswith(f"{name}=")]
        return float(values[-1]) if values else float("nan")

    peak_kb = reported("BENCH_PEAK_KB")
    return Usage(seconds, json.loads(result.stdout), peak_kb / 1024, reported("BENCH_CPU_S"))
