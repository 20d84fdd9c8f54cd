"""`hadrill setup --local`: the real setup workflow on a fresh simulated cluster, from the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hadrill_cli.main import EXIT_BAD_INPUT, main


def _documents(text: str) -> list[dict[str, object]]:
    """The JSON documents printed one after another on stdout."""
    decoder = json.JSONDecoder()
    documents, index = [], 0
    text = text.strip()
    while index < len(text):
        document, end = decoder.raw_decode(text, index)
        documents.append(document)
        index = end
        while index < len(text) and text[index].isspace():
            index += 1
    return documents


def test_setup_local_json_twice_second_is_a_no_op(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["setup", "--local", "--json", "--repeat", "2"]) == 0
    first, second = _documents(capsys.readouterr().out)
    assert first["outcome"] == second["outcome"] == "SUCCEEDED"
    assert first["mode"] == "local-simulated"
    # 12 states: the base stage is skipped (Choice + Pass) on the hand-built simulated cluster.
    # The bare simulated nodes get the LifeKeeper base first: 15 states, 13 Lambda calls, 19 commands.
    assert first["cost"] == {"state_transitions": 17, "lambda_invocations": 14, "ssm_commands": 21}
    changed = [
        node["changed"]
        for step in second["steps"]  # type: ignore[attr-defined]
        if isinstance(step["result"], dict)
        for node in step["result"].get("nodes", [])
    ]
    assert changed and not any(changed)


def test_setup_local_human_output_names_each_step(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["setup", "--local", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "a test double, not the real products" in out
    for state in ("ValidateInput", "Preflight", "InstallHulft", "VerifyHierarchy"):
        assert f"] {state}" in out
    assert "would run" in out
    assert "setup SUCCEEDED" in out


def test_setup_with_a_bad_config_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("cluster_name: Bad Name\n")
    assert main(["setup", "--local", "--config", str(bad)]) == EXIT_BAD_INPUT
    err = capsys.readouterr().err
    assert "config error" in err and "cluster_name" in err
