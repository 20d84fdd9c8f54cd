"""`hadrill switchback` / `hadrill switchover`: the confirmation (and its refusal without a terminal),
argument checks before anything is started, and the local runs end to end (the slow ones)."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from hadrill_cli import messages
from hadrill_cli.main import main
from hadrill_cli.switch_command import SwitchOptions, confirmed
from stacks.config import DEFAULT_CONFIG_PATH

CONFIG = str(DEFAULT_CONFIG_PATH)


class Terminal(io.StringIO):
    """stdin as a terminal the operator types ``answer`` into."""

    def isatty(self) -> bool:
        return True


class NoTerminal(io.StringIO):
    def isatty(self) -> bool:
        return False


def test_without_yes_and_without_a_terminal_it_refuses_before_touching_aws(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # No credentials or region: had it gone on to AWS it would exit 3 with an AWS error.
    monkeypatch.setattr("sys.stdin", NoTerminal(""))
    for key in ("AWS_PROFILE", "AWS_DEFAULT_REGION", "AWS_REGION", "AWS_ENDPOINT_URL"):
        monkeypatch.delenv(key, raising=False)
    assert main(["switchback", "--cluster", "hulft-demo"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("hadrill switchback: this moves the resource hierarchy and asks first")
    assert "add --yes" in err and "nothing was started" in err
    assert main(["switchover", "--to", "lk-node-b", "--cluster", "hulft-demo"]) == 2
    assert "add --yes" in capsys.readouterr().err


def test_the_question_names_the_cluster_and_target_and_only_yes_goes_on() -> None:
    options = SwitchOptions("switchover", "lk-node-b", yes=False, as_json_output=False)
    asked = io.StringIO()
    assert confirmed(options, "hulft-demo", stdin=Terminal("y\n"), out=asked) is None
    assert asked.getvalue() == (
        "Move the resource hierarchy of hulft-demo to lk-node-b? HULFT stops while it moves. [y/N] "
    )
    assert confirmed(options, "hulft-demo", stdin=Terminal("yes\n"), out=io.StringIO()) is None
    for answer in ("\n", "n\n", "no\n", "sure\n", ""):
        assert confirmed(options, "hulft-demo", stdin=Terminal(answer), out=io.StringIO()) == 2, answer
    back = SwitchOptions("switchback", None, yes=False, as_json_output=False)
    asked = io.StringIO()
    confirmed(back, "hulft-demo", stdin=Terminal("n\n"), out=asked)
    assert "to its primary?" in asked.getvalue()
    # --yes never reads stdin (a script's stdin may be anything).
    assert confirmed(SwitchOptions("switchback", None, True, False), "c", stdin=NoTerminal("")) is None


def test_the_question_in_japanese(capsys: pytest.CaptureFixture[str]) -> None:
    messages.use("ja")
    try:
        asked = io.StringIO()
        options = SwitchOptions("switchback", None, yes=False, as_json_output=False)
        assert confirmed(options, "hulft-demo", stdin=Terminal("はい\n"), out=asked) is None
        assert asked.getvalue().startswith("hulft-demo のリソース階層を 稼働系 (プライマリ) へ移しますか?")
        assert confirmed(options, "hulft-demo", stdin=NoTerminal(""), out=asked) == 2
        assert "確認なしで移すには --yes を付けてください" in capsys.readouterr().err
    finally:
        messages.use("en")


def test_bad_arguments_exit_2_and_start_nothing(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["switchover", "--to", "lk node/b", "--cluster", "hulft-demo", "--yes"]) == 2
    assert "--to: 'lk node/b' is not valid here" in capsys.readouterr().err
    assert main(["switchover", "--to", "lk-node-z", "--local", "--config", CONFIG, "--yes"]) == 2
    assert "--to lk-node-z is not a node of hulft-demo (lk-node-a, lk-node-b)" in capsys.readouterr().err
    assert main(["switchback", "--cluster", "hulft-demo", "--yes", "--sim-fault", "drill-running"]) == 2
    assert "--sim-* options need --local" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["switchover", "--cluster", "hulft-demo"])  # --to is required
    assert "--to" in capsys.readouterr().err


@pytest.mark.slow
def test_local_switchback_after_a_no_switchback_drill_then_a_noop_rerun(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["switchback", "--local", "--config", CONFIG, "--yes", "--repeat", "2", "--json"]
    assert main([*argv, "--reports-dir", str(tmp_path)]) == 0
    first, second = json.loads(capsys.readouterr().out)
    assert (first["outcome"], first["type"], first["from_node"], first["to_node"]) == (
        "SUCCEEDED",
        "switchback",
        "lk-node-b",
        "lk-node-a",
    )
    assert second["outcome"] == "NOOP" and second["noop"] is True
    assert all((tmp_path / f"{first['drill_id']}.{ext}").is_file() for ext in ("json", "md", "html"))
    assert main(["history", "--local", "--reports-dir", str(tmp_path)]) == 0
    listed = capsys.readouterr().out.splitlines()
    assert [line.split()[1] for line in listed] == [second["drill_id"], first["drill_id"]]
    assert "NOOP" in listed[0] and "switchback" in listed[0]
    assert main(["report", first["drill_id"], "--local", "--reports-dir", str(tmp_path)]) == 0
    assert capsys.readouterr().out.startswith(f"# Switchback {first['drill_id']}: SUCCEEDED")


@pytest.mark.slow
def test_local_switchover_refused_while_a_drill_holds_the_lock(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["switchover", "--to", "lk-node-b", "--local", "--config", CONFIG, "--yes", "--sim-fault", "drill-running"]
    assert main([*argv, "--reports-dir", str(tmp_path)]) == 1
    out = capsys.readouterr().out
    assert "# switchover switchover-" in out and ": ABORTED" in out
    assert "a drill holds the lock on hulft-demo: drill-sim-running" in out
    assert "the resource hierarchy is in service on lk-node-a" in out


@pytest.mark.slow
def test_local_switchover_refused_when_the_mirror_is_out_of_sync_in_japanese(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["--lang", "ja", "switchover", "--to", "lk-node-b", "--local", "--config", CONFIG, "--yes"]
    assert main([*argv, "--sim-fault", "mirror-out-of-sync", "--reports-dir", str(tmp_path)]) == 1
    out = capsys.readouterr().out
    assert ": ABORTED (中止)" in out
    assert "- 理由: Preflight: SwitchPreflightFailed: " in out and "mirror in sync" in out
    assert "切り替えワークフロー FAILED " in out
