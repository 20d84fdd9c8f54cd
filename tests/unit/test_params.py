"""The Python side of parameter validation: pydantic models with the documents' patterns."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from hadrill import params

HOSTILE = [
    "; rm -rf /",
    "$(id)",
    "`id`",
    "a`id`",
    "x;y",
    "x && y",
    "x|y",
    "a b",
    "x\ny",
    "x'y",
    'x"y',
    "../etc",
    "/a/../b",
]


@pytest.mark.parametrize("value", HOSTILE)
@pytest.mark.parametrize(
    ("model", "field", "good"),
    [
        (params.HostsEntryParameters, "LogicalHost", "hulft-vip.example.internal"),
        (
            params.InstallHulftParameters,
            "SecretId",
            "arn:aws:secretsmanager:ap-northeast-1:123456789012:secret:hulft/license-AbCdEf",
        ),
        (params.InstallHulftParameters, "HulftInstallDir", "/usr/local/hulft"),
        (params.CreateHulftResourceParameters, "TargetNode", "lk-node2"),
        (params.CreateHulftResourceParameters, "FilesystemTag", "/data"),
        (params.StageMediaParameters, "HulftMediaKey", "media/hulft-unix-linux-v812.iso"),
        (params.InjectFaultParameters, "Interface", "eth0"),
        (params.WatchTakeoverParameters, "HulftTag", "hulft"),
    ],
)
def test_hostile_values_are_refused(model: type[params.DocumentParameters], field: str, good: str, value: str) -> None:
    """A value carrying '; rm -rf /', '$(id)', a backtick, quotes, spaces or '..' never validates."""
    base = valid_arguments(model)
    model.model_validate({**base, field: good})
    with pytest.raises(ValidationError):
        model.model_validate({**base, field: value})


def valid_arguments(model: type[params.DocumentParameters]) -> dict[str, str]:
    samples = {
        "LogicalHost": "hulft-vip",
        "VirtualIp": "10.255.0.10",
        "Role": "active",
        "SecretId": "hulft/license",
        "HulftMediaFile": "hulft.iso",
        "RecoveryKitFile": "kit.iso",
        "TargetNode": "lk-node2",
        "MediaBucket": "hadrill-media",
        "HulftMediaKey": "h.iso",
        "RecoveryKitKey": "k.iso",
        "HulftMediaSha256": "a" * 64,
        "RecoveryKitSha256": "b" * 64,
        "Fault": "network-down",
        "ExpectedRole": "standby",
    }
    required = [f.alias for f in model.model_fields.values() if f.is_required() and f.alias]
    return {name: samples[name] for name in required}


def test_defaults_and_ssm_shape() -> None:
    model = params.InjectFaultParameters.model_validate({"Fault": "switchover", "TargetNode": "lk-node2"})
    assert model.to_ssm()["Fault"] == ["switchover"]
    assert model.to_ssm()["DelaySeconds"] == ["2"]


@pytest.mark.parametrize("value", ["256.1.1.1", "10.0.0", "10.0.0.1/32", "010.0.0.1 "])
def test_bad_virtual_ip(value: str) -> None:
    with pytest.raises(ValidationError):
        params.HostsEntryParameters.model_validate({"VirtualIp": value, "LogicalHost": "h"})


def test_unknown_parameter_is_refused() -> None:
    with pytest.raises(ValidationError, match="Extra inputs"):
        params.HostsEntryParameters.model_validate({"VirtualIp": "10.0.0.1", "LogicalHost": "h", "Command": "id"})
