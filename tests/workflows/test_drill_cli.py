"""`hadrill drill --local` works on its own (fresh cluster, setup first), exits 0 only on PASSED,
writes ./reports/<id>.json|.md, and `hadrill history --local` / `hadrill report` read them back.
It speaks Japanese when asked to."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hadrill_cli.main import main
from stacks.config import DEFAULT_CONFIG_PATH
from support.report_schema import assert_valid_report

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("english_messages")]
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
    assert_valid_report(report)
    drill_id = report["drill_id"]
    assert all((reports / f"{drill_id}.{ext}").is_file() for ext in ("json", "md", "html"))

    assert main(["history", "--local", "--reports-dir", str(reports)]) == 0
    assert drill_id in capsys.readouterr().out
    assert main(["report", drill_id, "--local", "--reports-dir", str(reports)]) == 0
    assert capsys.readouterr().out.startswith(f"# Drill {drill_id}: PASSED")

    page = tmp_path / "page.html"
    assert main(["report", drill_id, "--local", "--reports-dir", str(reports), "--html", "--output", str(page)]) == 0
    assert capsys.readouterr().out == f"wrote {page}\n"
    # The same page the drill wrote: re-rendered from the JSON report alone.
    assert page.read_text(encoding="utf-8") == (reports / f"{drill_id}.html").read_text(encoding="utf-8")


def test_local_drill_with_a_simulated_fault_exits_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["drill", "--local", "--config", CONFIG, "--sim-fault", "comm-path-dead", "--reports-dir", str(tmp_path)]
    assert main(argv) == 1
    out = capsys.readouterr().out
    assert "ABORTED" in out and "comm paths ALIVE" in out


def test_local_drill_in_japanese(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["--lang", "ja", "drill", "--local", "--config", CONFIG, "--dry-run", "--reports-dir", str(tmp_path)]
    assert main(argv) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("hulft-demo で network-down のフェールオーバー訓練 - ローカル (")
    assert "テストダブルであり、実製品ではありません" in lines[0]
    assert any(line.startswith("セットアップ (新しいクラスタで最初に実行) SUCCEEDED ") for line in lines)
    assert any(line.startswith("  [ ok ] Preflight ") and "チェック" in line and "件合格" in line for line in lines)
    assert any(line.startswith("訓練ワークフロー SUCCEEDED ") for line in lines)
    title = next(line for line in lines if line.startswith("# "))
    assert title.startswith("# フェールオーバー訓練 drill-") and title.endswith(": PASSED (合格)")
    assert "(ドライラン: 障害は起こしていません)" in "\n".join(lines)
    assert any(line.startswith("- 切り戻し: ") for line in lines)
    assert lines[-1].startswith("レポート: ")
