"""SSM document parameters that passed allowedPattern but should not (issue 15, class 9).

``Interface`` took a leading dash (``-rf``, ``--help``) that reached ``ifdown "$2"``; a media key ending
in ``/..`` passed and the staged file was named from its last segment. Every pattern is anchored, none
admits a line break or a leading dash, and the scripts' ``hadrill_param`` refuses both as well, since
in some regex engines ``$`` also matches before a final line break.
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from hadrill import params
from hadrill import patterns as p
from hadrill.facts import MediaFacts

SCRIPTS = Path(__file__).resolve().parents[2] / "documents" / "scripts"
MODELS = [m for m in vars(params).values() if isinstance(m, type) and issubclass(m, params.DocumentParameters)]
MODELS.remove(params.DocumentParameters)
FIELDS = [
    (model, name, info.alias or name, str(next(m.pattern for m in info.metadata if hasattr(m, "pattern"))))
    for model in MODELS
    for name, info in model.model_fields.items()
]
SHA = "0" * 64


def _valid(model: type[params.DocumentParameters], **override: str) -> dict[str, str]:
    """One valid value per field, drawn from its pattern's shape by hand, then the overrides."""
    samples = {
        p.IPV4: "10.254.0.10",
        p.HOSTNAME: "hulft-vip",
        p.S3_BUCKET: "media-bucket",
        p.S3_KEY: "media/hulft.iso",
        p.SHA256: SHA,
        p.SECRET_ID: "hadrill/license",
        p.INSTALL_ROLE: "active",
        p.FILE_NAME: "hulft.iso",
        p.ADDRESS_LIST: "10.20.1.10",
        p.EXPECTED_ROLE: "active",
        p.FAULT: "network-down",
        p.MARKER_ACTION: "write",
        p.OPTIONAL_ADDRESS_LIST: "none",
        p.DEAD_MAN_UNIT: "hadrill-deadman-drill-1",  # issue 17
    }
    values = {}
    for name, info in model.model_fields.items():
        if info.is_required():
            pattern = next(m.pattern for m in info.metadata if hasattr(m, "pattern"))
            values[name] = samples[pattern]
    return {**values, **override}


@pytest.mark.parametrize("interface", ["-rf", "--help", "-", ".hidden", "eth0\n", "eth0 -x"])
@pytest.mark.parametrize("model", [params.InjectFaultParameters, params.VirtualIpResourceParameters])
def test_an_interface_is_never_an_option(model: type[params.DocumentParameters], interface: str) -> None:
    with pytest.raises(ValidationError, match=r"[Ii]nterface"):
        model.model_validate(_valid(model, interface=interface))


@pytest.mark.parametrize("key", ["media/..", "media/x/..", "media/.", "media/", "media//x.iso", "../x.iso", "/x.iso"])
def test_a_media_key_never_ends_in_a_dot_segment(key: str) -> None:
    with pytest.raises(ValidationError):
        params.StageMediaParameters.model_validate(_valid(params.StageMediaParameters, hulft_media_key=key))
    with pytest.raises(ValidationError):
        MediaFacts(key=key, sha256=SHA)


@given(st.from_regex(p.S3_KEY, fullmatch=True))
def test_the_staged_file_of_any_accepted_key_is_a_file_name(key: str) -> None:
    name = MediaFacts(key=key, sha256=SHA).file_name
    params.InstallRecoveryKitParameters(recovery_kit_file=name)  # FILE_NAME: never "..", never empty


@given(st.data())
def test_no_parameter_takes_a_line_break_or_a_leading_dash(data: st.DataObject) -> None:
    model, name, alias, pattern = data.draw(st.sampled_from(FIELDS))
    value = data.draw(st.from_regex(pattern, fullmatch=True))
    assert not value.startswith("-") and "\n" not in value and "\r" not in value, (alias, value)
    for bad in (value + "\n", value + "\r\n", "\n" + value, "-" + value):
        with pytest.raises(ValidationError):
            model.model_validate(_valid(model, **{name: bad}))


def _param(name: str, value: str) -> subprocess.CompletedProcess[str]:
    program = f'set -Eeuo pipefail\n. "{SCRIPTS}/lib.sh"\nhadrill_param got {name}\nprintf "%s" "$got"'
    return subprocess.run(
        ["bash", "-c", program],
        capture_output=True,
        text=True,
        check=False,
        env={"PATH": "/usr/bin:/bin", f"SSM_{name}": value},
    )


@pytest.mark.parametrize(
    ("value", "said"),
    [("eth0\n", "contains a line break"), ("eth0\r", "contains a line break"), ("-rf", "starts with a dash")],
)
def test_the_scripts_refuse_what_an_engine_might_let_through(value: str, said: str) -> None:
    done = _param("Interface", value)
    assert done.returncode == 2, done
    assert f"parameter Interface {said}: refused" in done.stdout


def test_the_scripts_take_a_plain_value() -> None:
    done = _param("Interface", "eth0")
    assert done.returncode == 0 and done.stdout == "eth0"


def _defaults(model: Any) -> None:
    """Every default passes its own pattern (the documents' defaults are these)."""
    model.model_validate(_valid(model))


@pytest.mark.parametrize("model", MODELS, ids=[m.__name__ for m in MODELS])
def test_every_document_accepts_its_defaults(model: type[params.DocumentParameters]) -> None:
    _defaults(model)
