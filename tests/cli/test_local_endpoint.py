"""`hadrill local`: what it says before anything is started (the endpoint itself runs in tests/deploy)."""

from __future__ import annotations

import json
import os
import socket
from pathlib import Path

import pytest

from hadrill_cli import local_endpoint
from hadrill_cli.main import main


def test_up_refuses_a_port_in_use_and_says_so(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        code = main(["local", "up", "--port", str(port), "--state-dir", str(tmp_path)])
    assert code == 3
    assert f"port {port} on 127.0.0.1 is in use: choose another with --port" in capsys.readouterr().err
    assert not (tmp_path / "endpoint.log").exists()  # nothing was started


def test_status_and_env_without_an_endpoint_exit_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["local", "status", "--state-dir", str(tmp_path)]) == 1
    assert main(["local", "env", "--state-dir", str(tmp_path)]) == 1
    assert capsys.readouterr().err.count(f"no endpoint runs from {tmp_path}") == 2


def test_a_stale_ready_file_is_not_an_endpoint(tmp_path: Path) -> None:
    """A ready file left by a killed endpoint (its pid gone) is removed, not trusted."""
    (tmp_path / "ready").write_text(json.dumps({"pid": 2**22 + 12345, "port": 1, "region": "r", "url": "u"}))
    assert local_endpoint.status(tmp_path) is None
    assert not (tmp_path / "ready").exists()


def test_env_prints_what_clients_need(tmp_path: Path) -> None:
    running = local_endpoint.Running(pid=os.getpid(), port=4599, region="ap-northeast-1", url="http://127.0.0.1:4599")
    lines = dict(line.removeprefix("export ").split("=", 1) for line in local_endpoint.exports(running).splitlines())
    assert lines["AWS_ENDPOINT_URL"] == "http://127.0.0.1:4599"
    assert lines["AWS_ENDPOINT_URL_S3_FOR_CLOUDFORMATION"] == "http://localhost:4599"
    assert lines["AWS_REGION"] == lines["AWS_DEFAULT_REGION"] == "ap-northeast-1"
    assert lines["AWS_ACCESS_KEY_ID"] and lines["AWS_SECRET_ACCESS_KEY"]


def test_time_scale_must_be_positive(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["local", "up", "--time-scale", "0", "--state-dir", str(tmp_path)]) == 2
    assert "--time-scale must be positive" in capsys.readouterr().err
