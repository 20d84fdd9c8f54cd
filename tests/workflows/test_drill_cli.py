"""`hadrill drill --local` works on its own (fresh cluster, setup first), exits 0 only on PASSED,
writes ./reports/<id>.json|.md, and `hadrill history --local` / `hadrill report` read them back."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hadrill_cli.main import main
from stacks.config import DEFAULT_CONFIG_PATH

pytestmark = pytest.mark.slow
CONFIG = str(DEFAULT_CONFIG_PATH)


def test_bad_input_exits_2_before_building_anything(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["drill", "--local", "--config", CONFIG, "--max-rto", "-1"]) == 2
    assert "maxRtoSeconds" in capsys.readouterr().err


def test_local_drill_passes_and_writes_reports(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    reports = tmp_path / "reports"
    argv = ["drill", "--local", "--config", CONFIG, "--scenario", "hulft-daemon-kill", "--json"]
    assert main([*argv, "--reports-dir", str(reports)]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["outcome"] == "PASSED" and report["scenario"] == "hulft-daemon-kill"
    drill_id = report["drill_id"]
    assert all((reports / f"{drill_id}.{ext}").is_file() for ext in ("json", "md", "html"))

    assert main(["history", "--local", "--reports-dir", str(reports)]) == 0
    assert drill_id in capsys.readouterr().out
    assert main(["report", drill_id, "--local", "--reports-dir", str(reports)]) == 0
    assert capsys.readouterr().out.startswith(f"# Drill {drill_id}: PASSED")


def test_local_drill_with_a_simulated_fault_exits_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["drill", "--local", "--config", CONFIG, "--sim-fault", "comm-path-dead", "--reports-dir", str(tmp_path)]
    assert main(argv) == 1
    out = capsys.readouterr().out
    assert "ABORTED" in out and "comm paths ALIVE" in out
