"""AWS-mode commands on a machine with no usable AWS environment end with one line and exit 3."""

from __future__ import annotations

from pathlib import Path

import pytest

from hadrill_cli.main import main


@pytest.fixture
def no_aws(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for variable in ("AWS_DEFAULT_REGION", "AWS_REGION", "AWS_PROFILE", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.delenv(variable, raising=False)
    empty = tmp_path / "empty"
    empty.write_text("")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(empty))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(empty))


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["setup", "--cluster", "hulft-demo"], "You must specify a region"),
        (["drill", "--cluster", "hulft-demo"], "You must specify a region"),
        (["drill", "--fleet", "hulft-fleet"], "You must specify a region"),
        (["drill", "--cluster", "hulft-demo", "--profile", "nosuch"], "The config profile (nosuch) could not be found"),
        (["status", "--cluster", "hulft-demo"], "You must specify a region"),
    ],
)
def test_no_region_or_profile_is_an_environment_error(
    no_aws: None, argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(argv) == 3
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
