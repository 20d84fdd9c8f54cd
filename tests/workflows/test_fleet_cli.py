"""`hadrill drill --fleet --local`: a fleet drill on N simulated clusters from the command line, its
progress and summary, the files it keeps, and the options it refuses before building anything."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hadrill_cli.main import main
from stacks.config import DEFAULT_CONFIG_PATH

pytestmark = pytest.mark.usefixtures("english_messages")
CONFIG = str(DEFAULT_CONFIG_PATH)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--fleet", "--local", "--only", "hulft-demo-01"], "drop the NAME and --only"),
        (["--fleet", "hulft-fleet", "--local"], "drop the NAME and --only"),
        (["--fleet"], "give --fleet NAME (a deployed fleet) or --fleet --local"),
        (["--fleet", "--local", "--cluster", "hulft-demo"], "--fleet drills every cluster"),
        (["--fleet", "--local", "--sim-takeover-seconds", "5"], "--fleet drills every cluster"),
        (["--fleet", "hulft-fleet", "--sim-fault", "no-takeover"], "--sim-"),
        (["--fleet", "--local", "--sim-clusters", "0"], "--sim-clusters must be between 1 and 99"),
        (["--fleet", "--local", "--max-concurrency", "0"], "maxConcurrency"),
        (["--fleet", "hulft-fleet", "--sim-clusters", "3"], "--sim-"),
        (["--local", "--max-concurrency", "3"], "need --fleet"),
        (["--local", "--sim-clusters", "3"], "need --fleet"),
        (["--local", "--max-failed", "0"], "need --fleet"),
        (["--fleet", "--local", "--max-failed", "-1"], "maxFailedDrills"),
    ],
)
def test_bad_fleet_options_exit_2_before_building_anything(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["drill", "--config", CONFIG, *argv]) == 2
    assert message in capsys.readouterr().err


def test_a_local_fleet_drill_lists_every_cluster_and_keeps_the_reports(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["drill", "--fleet", "--local", "--sim-clusters", "3", "--max-concurrency", "2", "--config", CONFIG]
    assert main([*argv, "--json", "--reports-dir", str(tmp_path)]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["outcome"] == "PASSED" and summary["max_concurrency"] == 2
    assert [row["cluster"] for row in summary["drills"]] == ["hulft-demo-01", "hulft-demo-02", "hulft-demo-03"]
    assert summary["fleet_execution"]["status"] == "SUCCEEDED"
    kept = json.loads((tmp_path / "fleets" / f"{summary['fleet_id']}.json").read_text())
    assert kept["drills"] == summary["drills"]
    page = (tmp_path / "fleets" / f"{summary['fleet_id']}.html").read_text()
    for row in summary["drills"]:  # the page links each cluster's report, kept one level up
        assert f'href="../{row["drill_id"]}.html"' in page
    for row in summary["drills"]:
        report = json.loads((tmp_path / f"{row['drill_id']}.json").read_text())
        assert report["cluster"] == row["cluster"] and report["outcome"] == "PASSED"
        assert (tmp_path / f"{row['drill_id']}.html").read_text().startswith("<!DOCTYPE html>")
    # The cluster drills are drill reports like any other: `hadrill history --local` lists them.
    assert main(["history", "--local", "--json", "--reports-dir", str(tmp_path)]) == 0
    history = json.loads(capsys.readouterr().out)
    assert sorted(r["drill_id"] for r in history) == sorted(r["drill_id"] for r in summary["drills"])


def test_a_fleet_drill_shows_each_cluster_as_it_ends(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["drill", "--fleet", "--local", "--sim-clusters", "2", "--dry-run", "--config", CONFIG]
    assert main([*argv, "--reports-dir", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "a test double, not the real products" in out
    assert "[  1/2]" in out and "[  2/2]" in out
    assert "fleet drill fleet-" in out and ": PASSED in " in out
    for cluster in ("hulft-demo-01", "hulft-demo-02"):
        assert any(line.startswith(cluster) and "PASSED" in line for line in out.splitlines())
    # Each drill is shown as it starts and as it ends, with how long Step Functions ran it.
    progress = [line.split() for line in out.splitlines() if line.startswith("  [")]
    assert sorted(words[2] for words in progress) == ["hulft-demo-01", "hulft-demo-02"]
    assert all(words[3] == "PASSED" and float(words[4].rstrip("s")) > 0 for words in progress)


@pytest.mark.parametrize(
    ("argv", "japanese"),
    [
        (["--fleet"], "hadrill drill: --fleet NAME (デプロイ済みのフリート) か --fleet --local を指定してください"),
        (
            ["--fleet", "--local", "--cluster", "hulft-demo"],
            "hadrill drill: --fleet はフリートの全クラスタを訓練します: "
            "--cluster、--sim-takeover-seconds、--stop-alarm は外してください",
        ),
        (
            ["--fleet", "hulft-fleet", "--local"],
            "hadrill drill: --fleet --local はシミュレートしたフリートを自分で用意します: "
            "NAME と --only は外してください",
        ),
        (
            ["--local", "--max-concurrency", "3"],
            "hadrill drill: --max-concurrency、--max-failed、--only、--sim-clusters、--sim-setup は"
            " --fleet と一緒に指定してください",
        ),
        (
            ["--fleet", "--local", "--sim-clusters", "0"],
            "hadrill drill: --sim-clusters は 1 以上 99 以下で指定してください",
        ),
        (["--fleet", "--local", "--max-concurrency", "0"], "hadrill drill: 入力が不正です: maxConcurrency"),
    ],
)
def test_bad_fleet_options_in_japanese(argv: list[str], japanese: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--lang", "ja", "drill", "--config", CONFIG, *argv]) == 2
    assert capsys.readouterr().err.startswith(japanese)


def test_a_fleet_drill_in_japanese(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["--lang", "ja", "drill", "--fleet", "--local", "--sim-clusters", "2", "--dry-run", "--config", CONFIG]
    assert main([*argv, "--reports-dir", str(tmp_path)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("2 クラスタで network-down のフリート訓練 (同時実行数 2) - ローカル (")
    assert "テストダブルであり、実製品ではありません" in lines[0]
    assert lines[1].startswith("シミュレートした 2 クラスタを ") and lines[1].endswith(" 秒でデプロイしました")
    assert lines[2].startswith("各クラスタはセットアップ済みの状態から始めます")
    for cluster in ("hulft-demo-01", "hulft-demo-02"):
        assert f"  ... {cluster:<24} 訓練中" in lines
    # The counters and the machine words (PASSED, the fleet id) stay as they are, so they can be searched for.
    assert any(line.startswith("  [  1/2] ") and " PASSED " in line and line.endswith(" 秒") for line in lines)
    (title,) = [line for line in lines if line.startswith("フリート訓練 fleet-")]
    assert ": PASSED (合格) " in title and title.endswith(" 秒 (PASSED 2 件、FAILED 0 件、ABORTED 0 件、NOT_RUN 0 件)")
    # The table's head lines up with its rows on a terminal, where a Japanese character takes two columns.
    head = lines.index("クラスタ                 結果           RTO  理由")
    assert lines[head + 1] == "hulft-demo-01            PASSED           -  every check passed"
    assert lines[-1].startswith(f"フリート訓練のサマリ: {tmp_path}/fleets/fleet-")
    assert lines[-1].endswith(f"、各クラスタの訓練レポート: {tmp_path}/<訓練 ID>.json, .md, .html")
    assert not any("fleet drill" in line or "drilling" in line for line in lines)


def test_a_fleet_drills_json_stays_english_in_japanese(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["--lang", "ja", "drill", "--fleet", "--local", "--sim-clusters", "1", "--dry-run", "--json"]
    assert main([*argv, "--config", CONFIG, "--reports-dir", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert out.isascii()
    summary = json.loads(out)
    assert summary["outcome"] == "PASSED" and summary["fleet_execution"]["status"] == "SUCCEEDED"


def test_stop_alarms_go_into_the_drill_input() -> None:
    from hadrill_cli.drill_command import DrillOptions, check_request

    options = DrillOptions(stop_alarms=("hulft-transfer-errors", "cpu-high"))  # a network-down with switchback
    request = options.request("hulft-demo")
    assert request["stopConditionAlarms"] == ["hulft-transfer-errors", "cpu-high"]
    assert check_request(request) is None


def test_a_fleet_drill_refuses_a_stop_alarm(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["drill", "--fleet", "--local", "--stop-alarm", "x", "--config", CONFIG]) == 2
    assert "--stop-alarm" in capsys.readouterr().err


def test_a_local_fleet_with_one_broken_cluster_fails_on_that_cluster_only(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["drill", "--fleet", "--local", "--sim-clusters", "2", "--sim-fault", "no-takeover", "--config", CONFIG]
    assert main([*argv, "--takeover-timeout", "3", "--json", "--reports-dir", str(tmp_path)]) == 1
    summary = json.loads(capsys.readouterr().out)
    assert {row["cluster"]: row["outcome"] for row in summary["drills"]} == {
        "hulft-demo-01": "PASSED",
        "hulft-demo-02": "FAILED",
    }
    assert summary["outcome"] == "FAILED" and "hulft-demo-02 FAILED" in summary["reason"]
