"""Benchmark: synth wall time (cold and warm, as `cdk synth` runs it) and byte-identical output.

Prints numbers; asserts nothing about speed (a noisy machine is not a failing build).
"""

from __future__ import annotations

import argparse
import filecmp
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def synth(config: str, outdir: Path) -> float:
    started = time.perf_counter()
    subprocess.run(
        ["cdk", "synth", "--quiet", "--output", str(outdir), "-c", f"config={config}"],
        cwd=REPO,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--config", default="config/default.yaml")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        outdirs = [Path(tmp) / f"run{i}" for i in range(args.runs)]
        seconds = [synth(args.config, outdir) for outdir in outdirs]
        templates = sorted(p.name for p in outdirs[0].glob("*.template.json"))
        identical = all(
            filecmp.cmp(outdirs[0] / name, other / name, shallow=False) for other in outdirs[1:] for name in templates
        )
    print(f"synth {args.config}: first {seconds[0]:.1f} s, then " + ", ".join(f"{s:.1f} s" for s in seconds[1:]))
    print(f"templates: {len(templates)}, byte-identical across {args.runs} synths: {'yes' if identical else 'NO'}")
    return 0 if identical else 1


if __name__ == "__main__":
    sys.exit(main())
