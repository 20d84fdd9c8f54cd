"""The CLI speaks English or Japanese as the operator's locale (or --lang, HADRILL_LANG) asks.

JSON output and --help stay English; the English lines are the CLI's original wording.
"""

from __future__ import annotations

import json
import string
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from hadrill.drill.report import markdown
from hadrill_cli import messages
from hadrill_cli.drill_command import result_head
from hadrill_cli.follow import Execution
from hadrill_cli.local import LOCAL_MODE
from hadrill_cli.main import EXIT_BAD_INPUT, main
from hadrill_cli.render import closing_line

REPORT: dict[str, Any] = json.loads((Path(__file__).parent / "drill_report.json").read_text())


def _fields(template: str) -> set[str]:
    return {field for _, field, _, _ in string.Formatter().parse(template) if field is not None}


@pytest.mark.parametrize("key", sorted(messages.CATALOG))
def test_every_message_has_both_languages_with_the_same_placeholders(key: str) -> None:
    entry = messages.CATALOG[key]
    assert set(entry) == set(messages.LANGUAGES)
    assert _fields(entry["en"]) == _fields(entry["ja"])


def test_no_placeholder_is_named_key() -> None:
    # t(key, **values): a placeholder called "key" could never be filled in.
    assert not [name for name, entry in messages.CATALOG.items() if "key" in _fields(entry["en"])]


def test_the_local_label_is_the_one_the_rest_of_the_project_uses() -> None:
    assert messages.CATALOG["local_mode"]["en"] == LOCAL_MODE


@pytest.mark.parametrize(
    ("option", "environ", "language"),
    [
        (None, {}, "en"),
        (None, {"LANG": "ja_JP.UTF-8"}, "ja"),
        (None, {"LANG": "ja"}, "ja"),
        (None, {"LANG": "en_US.UTF-8"}, "en"),
        (None, {"LANG": "ja_JP.UTF-8", "LC_MESSAGES": "en_US.UTF-8"}, "en"),
        (None, {"LANG": "en_US.UTF-8", "LC_MESSAGES": "ja_JP.eucJP"}, "ja"),
        (None, {"LANG": "ja_JP.UTF-8", "LC_ALL": "C"}, "en"),  # LC_ALL wins, set to anything
        (None, {"LANG": "ja_JP.UTF-8", "LC_ALL": ""}, "ja"),  # an empty variable is not set
        (None, {"LANG": "en_US.UTF-8", "HADRILL_LANG": "ja"}, "ja"),
        (None, {"LC_ALL": "ja_JP.UTF-8", "HADRILL_LANG": "en"}, "en"),
        ("ja", {"HADRILL_LANG": "en"}, "ja"),
        ("en", {"LC_ALL": "ja_JP.UTF-8"}, "en"),
    ],
)
def test_language_comes_from_the_option_then_hadrill_lang_then_the_locale(
    option: str | None, environ: dict[str, str], language: str
) -> None:
    assert messages.resolve_language(option, environ) == language


def test_an_unreadable_hadrill_lang_is_an_error_exit_2(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("HADRILL_LANG", "fr")
    assert main(["history", "--local"]) == EXIT_BAD_INPUT
    assert "HADRILL_LANG=fr" in capsys.readouterr().err


def _bad_config(tmp_path: Path) -> str:
    bad = tmp_path / "bad.yaml"
    bad.write_text("cluster_name: Bad Name\n")
    return str(bad)


ERRORS = [
    (
        ["drill"],
        "hadrill drill: give --cluster NAME (a deployed cluster) or --local",
        "hadrill drill: --cluster NAME (デプロイ済みのクラスタ) か --local を指定してください",
    ),
    (
        ["drill", "--cluster", "hulft-demo", "--sim-fault", "no-takeover"],
        "hadrill drill: --sim-* options need --local",
        "hadrill drill: --sim-* オプションは --local と一緒に指定してください",
    ),
    (
        ["drill", "--local", "--max-rto", "-1"],
        "hadrill drill: bad input: maxRtoSeconds",
        "hadrill drill: 入力が不正です: maxRtoSeconds",
    ),
    (
        ["setup", "--local", "--repeat", "0"],
        "hadrill setup: --repeat must be at least 1",
        "hadrill setup: --repeat は 1 以上で指定してください",
    ),
    (["setup", "--local", "--config", "BAD"], "hadrill setup: config error: ", "hadrill setup: 設定エラー: "),
    (
        ["report", "drill-x", "--local", "--reports-dir", "EMPTY"],
        "hadrill report: no report EMPTY/drill-x.md",
        "hadrill report: レポートがありません: EMPTY/drill-x.md",
    ),
]


@pytest.mark.parametrize(("argv", "english", "japanese"), ERRORS)
@pytest.mark.parametrize(
    ("how", "language"),
    [
        ("default", "en"),
        ("--lang ja first", "ja"),
        ("--lang ja last", "ja"),
        ("HADRILL_LANG", "ja"),
        ("LANG", "ja"),
        ("LC_ALL=C over LANG", "en"),
    ],
)
def test_error_lines_in_the_operators_language(
    argv: list[str],
    english: str,
    japanese: str,
    how: str,
    language: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    empty = tmp_path / "empty"
    argv = [_bad_config(tmp_path) if a == "BAD" else str(empty) if a == "EMPTY" else a for a in argv]
    if how == "--lang ja first":
        argv = ["--lang", "ja", *argv]
    elif how == "--lang ja last":
        argv = [*argv, "--lang", "ja"]
    elif how == "HADRILL_LANG":
        monkeypatch.setenv("HADRILL_LANG", "ja")
    elif how == "LANG":
        monkeypatch.setenv("LANG", "ja_JP.UTF-8")
    elif how == "LC_ALL=C over LANG":
        monkeypatch.setenv("LANG", "ja_JP.UTF-8")
        monkeypatch.setenv("LC_ALL", "C")
    assert main(argv) == EXIT_BAD_INPUT
    expected = (english if language == "en" else japanese).replace("EMPTY", str(empty))
    err = capsys.readouterr().err
    assert err.startswith(expected), err


def _execution(status: str = "SUCCEEDED", error: str | None = None) -> Execution:
    started = datetime(2026, 11, 25, 23, 30, tzinfo=UTC)
    return Execution(
        "arn:aws:states:ap-northeast-1:123456789012:execution:hulft-demo-Setup:setup-1",
        status=status,
        started=started,
        stopped=started + timedelta(seconds=5.72),
        error=error,
        cause="lk-node-b: hulft not ISP" if error else None,
        state_transitions=15,
        lambda_invocations=13,
    )


def test_closing_lines_in_both_languages_keep_the_step_functions_status() -> None:
    assert closing_line("setup", _execution(), 19) == (
        "setup SUCCEEDED in 5.7s (15 state transitions, 13 Lambda invocations, 19 SSM commands)"
    )
    messages.use("ja")
    assert closing_line(messages.t("workflow_setup"), _execution(), 19) == (
        "セットアップ SUCCEEDED 5.7 秒 (状態遷移 15 回、Lambda 呼び出し 13 回、SSM コマンド 19 件)"
    )
    assert closing_line(messages.t("workflow_drill"), _execution("FAILED", "SetupStepFailed"), None) == (
        "訓練ワークフロー FAILED 5.7 秒 (状態遷移 15 回、Lambda 呼び出し 13 回)\n"
        "  SetupStepFailed: lk-node-b: hulft not ISP"
    )


def test_the_drill_result_head_in_english_is_the_reports_own_markdown_head() -> None:
    written = markdown(REPORT)
    head = written.split("\n## Checks", 1)[0].rstrip()
    assert result_head(REPORT, written) == head
    # With no Markdown (not found in S3) the same lines are built from the JSON, word for word.
    assert result_head(REPORT, None) == head


@pytest.fixture
def tokyo(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The operator's zone is this machine's: JST here, so that UTC is shown beside it."""
    monkeypatch.setenv("TZ", "Asia/Tokyo")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def test_the_drill_result_head_in_japanese(tokyo: None) -> None:
    messages.use("ja")
    drill_id = REPORT["drill_id"]
    assert result_head(REPORT, markdown(REPORT)).split("\n") == [
        f"# フェールオーバー訓練 {drill_id}: PASSED (合格)",
        "",
        "- クラスタ: hulft-demo、シナリオ: network-down",
        "- 理由: every check passed",
        "- 開始 2026-11-26 10:15:36.160 JST (01:15:36.160 UTC)、終了 2026-11-26 10:15:41.273 JST (01:15:41.273 UTC)"
        " (5.1 秒)",
        "- RTO: 0.633 秒 (SLO 120.0 秒)、lk-node-a から lk-node-b へ",
        "- 検出 0.510 秒 (障害発生から待機系で引き継ぎが始まるまで)、リソース階層の起動 0.123 秒",
        "- 稼働系の復旧: rebooted lk-node-a (i-0ac6ffc6585899185): unreachable; both nodes healthy",
        "- 切り戻し: hierarchy back on lk-node-a in 0.3 s",
    ]


def test_a_dry_run_without_a_takeover_in_japanese() -> None:
    messages.use("ja")
    report = {**REPORT, "dry_run": True, "rto_seconds": None, "detection_seconds": None, "outcome": "ABORTED"}
    lines = result_head(report, None).split("\n")
    assert lines[0].endswith("ABORTED (中止)")
    assert lines[2].endswith("(ドライラン: 障害は起こしていません)")
    assert lines[5].startswith("- RTO: 計測できず (SLO 120.0 秒)")
    assert not any(line.startswith("- 検出") for line in lines)


def test_history_in_japanese_and_its_json_stays_english(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--lang", "ja", "history", "--local", "--reports-dir", str(tmp_path)]) == 0
    assert capsys.readouterr().out == f"{tmp_path}/ に記録された訓練はありません\n"
    (tmp_path / f"{REPORT['drill_id']}.json").write_text(json.dumps(REPORT))
    assert main(["--lang", "ja", "history", "--local", "--json", "--reports-dir", str(tmp_path)]) == 0
    (row,) = json.loads(capsys.readouterr().out)
    assert row["outcome"] == "PASSED" and row["drill_id"] == REPORT["drill_id"]


def test_help_stays_english(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["--lang", "ja", "drill", "--help"])
    assert exited.value.code == 0
    out = capsys.readouterr().out
    assert "the fault (default network-down)" in out and "--lang {en,ja}" in out
