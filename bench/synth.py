"""Benchmark: synth wall time (cold and warm, as `cdk synth` runs it) and byte-identical output.

Prints numbers; asserts nothing about speed (a noisy machine is not a failing build).
`python -m bench` reuses the functions here.
"""

from __future__ import annotations

import argparse
import filecmp
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class SynthBench:
    seconds: list[float]  # one per synth, the first one cold
    templates: list[str]  # template file names of the first synth
    identical: bool  # every template byte-identical across the synths


def synth(config: str, outdir: Path, *, quiet: bool = False) -> float:
    """One `cdk synth` (cdk from PATH); `quiet` keeps its stderr (warnings) unless it fails."""
    started = time.perf_counter()
    result = subprocess.run(
        ["cdk", "synth", "--quiet", "--output", str(outdir), "-c", f"config={config}"],
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE if quiet else None,
        text=True,
    )
    if result.returncode != 0:
        if quiet:
            sys.stderr.write(result.stderr)
        raise subprocess.CalledProcessError(result.returncode, result.args)
    return time.perf_counter() - started


def measure_synth(config: str, runs: int = 3, *, quiet: bool = False) -> SynthBench:
    """`runs` synths into fresh directories, then a byte comparison of their templates."""
    with tempfile.TemporaryDirectory() as tmp:
        outdirs = [Path(tmp) / f"run{i}" for i in range(runs)]
        seconds = [synth(config, outdir, quiet=quiet) for outdir in outdirs]
        templates = sorted(p.name for p in outdirs[0].glob("*.template.json"))
        same_names = all(sorted(p.name for p in other.glob("*.template.json")) == templates for other in outdirs[1:])
        identical = same_names and all(
            filecmp.cmp(outdirs[0] / name, other / name, shallow=False) for other in outdirs[1:] for name in templates
        )
    return SynthBench(seconds, templates, identical)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--config", default="config/default.yaml")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    bench = measure_synth(args.config, args.runs)
    seconds = bench.seconds
    print(f"synth {args.config}: first {seconds[0]:.1f} s, then " + ", ".join(f"{s:.1f} s" for s in seconds[1:]))
    print(
        f"templates: {len(bench.templates)}, byte-identical across {args.runs} synths: "
        f"{'yes' if bench.identical else 'NO'}"
    )
    return 0 if bench.identical else 1


if __name__ == "__main__":
    sys.exit(main())
