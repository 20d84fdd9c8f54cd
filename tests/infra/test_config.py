"""The deployment config: each bad value stops synth with one line naming the field and the reason."""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from hadrill.drill.model import MAX_TAKEOVER_TIMEOUT_SECONDS
from stacks.config import MAX_TAKEOVER_TIMEOUT_SECONDS as CONFIG_LIMIT
from stacks.config import ConfigError, load_config, parse_config
from support.synthesis import BYO_CONFIG, DEFAULT_CONFIG, REPO


def _default() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(DEFAULT_CONFIG.read_text())
    return data


def _with(change: dict[str, Any], base: dict[str, Any] | None = None) -> dict[str, Any]:
    """A deep copy of the default config with `change` merged in (None deletes a key)."""
    data = copy.deepcopy(base if base is not None else _default())

    def merge(target: dict[str, Any], patch: dict[str, Any]) -> None:
        for key, value in patch.items():
            if value is None:
                target.pop(key, None)
            elif isinstance(value, dict) and isinstance(target.get(key), dict):
                merge(target[key], value)
            else:
                target[key] = value

    merge(data, change)
    return data


def _subnets(**second: Any) -> dict[str, Any]:
    subnets = copy.deepcopy(_default()["network"]["subnets"])
    subnets[1].update(second)
    return {"network": {"subnets": subnets}}


# (case, change to the default config, field the message must name, words the reason must contain)
BAD_CONFIGS = [
    ("unknown key", {"nodes": {"instnce_type": "t3.large"}}, "nodes.instnce_type", "unknown setting"),
    ("unknown top-level key", {"vpc": {}}, "vpc", "unknown setting"),
    ("missing field", {"secrets": None}, "secrets", "required setting is missing"),
    ("missing nested field", {"virtual_ip": {"logical_host": None}}, "virtual_ip.logical_host", "missing"),
    (
        "VIP inside the VPC CIDR",
        {"virtual_ip": {"address": "10.20.9.9"}},
        "virtual_ip.address",
        "inside vpc_cidr",
    ),
    (
        "both subnets in one AZ",
        _subnets(availability_zone="ap-northeast-1a"),
        "network.subnets.1.availability_zone",
        "two AZs",
    ),
    ("malformed VPC CIDR", {"network": {"vpc_cidr": "10.20.0.0/33"}}, "network.vpc_cidr", "10.20.0.0/33"),
    ("malformed subnet CIDR", _subnets(cidr="10.20.2.0/24x"), "network.subnets.1.cidr", "10.20.2.0/24x"),
    (
        "subnet outside the VPC",
        _subnets(cidr="10.99.2.0/24"),
        "network.subnets.1.cidr",
        "not inside vpc_cidr",
    ),
    ("overlapping subnets", _subnets(cidr="10.20.1.0/25"), "network.subnets.1.cidr", "overlaps"),
    (
        "one subnet only",
        {"network": {"subnets": _default()["network"]["subnets"][:1]}},
        "network.subnets",
        "exactly two",
    ),
    (
        "same node twice",
        {"nodes": {"secondary": {"name": "lk-node-a"}}},
        "nodes.secondary.name",
        "same as primary",
    ),
    (
        "bad node name",
        {"nodes": {"primary": {"name": "Node_A"}}},
        "nodes.primary.name",
        "'Node_A' is not valid",
    ),
    ("both AMI forms", {"nodes": {"ami": {"id": "ami-0123456789abcdef0"}}}, "nodes.ami", "exactly one"),
    ("bad AMI id", {"nodes": {"ami": {"ssm_parameter": None, "id": "ami-xyz"}}}, "nodes.ami.id", "not valid"),
    (
        "data volume too small",
        {"nodes": {"data_volume_gib": 0}},
        "nodes.data_volume_gib",
        "greater than or equal to 1",
    ),
    ("client CIDR is the world", {"hulft": {"client_cidrs": ["0.0.0.0/0"]}}, "hulft.client_cidrs.0", "world"),
    ("HULFT ports collide", {"hulft": {"observe_port": 30000}}, "hulft.observe_port", "same as receive_port"),
    ("bad sha256", {"media": {"hulft": {"sha256": "abc"}}}, "media.hulft.sha256", "not valid"),
    (
        "shell in a media key",
        {"media": {"hulft": {"key": "media/x.iso; rm -rf /"}}},
        "media.hulft.key",
        "not valid",
    ),
    ("bad cluster name", {"cluster_name": "Prod Cluster"}, "cluster_name", "not valid"),
    ("reserved tag", {"tags": {"hadrill:cluster": "x"}}, "tags", "set by the app"),
    (
        "bad schedule expression",
        {"drills": {"schedules": [{"name": "x", "schedule": "every sunday"}]}},
        "drills.schedules.0.schedule",
        "'every sunday' is neither cron(...) nor rate(...)",
    ),
    (
        "unknown drill scenario",
        {"drills": {"schedules": [{"name": "x", "schedule": "rate(7 days)", "scenario": "pull-the-plug"}]}},
        "drills.schedules.0.scenario",
        "pull-the-plug",
    ),
    (
        "two schedules with one name",
        {
            "drills": {
                "schedules": [{"name": "w", "schedule": "rate(7 days)"}, {"name": "w", "schedule": "rate(1 day)"}]
            }
        },
        "drills.schedules.1.name",
        "used by another schedule",
    ),
    (
        "automatic switchback with DataKeeper",
        {"lifekeeper": {"switchback_type": "automatic"}},
        "lifekeeper.switchback_type",
        "DataKeeper resource, which does not support automatic switchback",
    ),
    ("unknown switchback type", {"lifekeeper": {"switchback_type": "manual"}}, "lifekeeper.switchback_type", "manual"),
    (
        "takeover timeout below the SLO",
        {"drills": {"max_rto_seconds": 200, "takeover_timeout_seconds": 100}},
        "drills.takeover_timeout_seconds",
        "shorter than max_rto_seconds",
    ),
]


@pytest.mark.parametrize(("case", "change", "field", "reason"), BAD_CONFIGS, ids=[c[0] for c in BAD_CONFIGS])
def test_bad_config_names_the_field_in_one_line(case: str, change: dict[str, Any], field: str, reason: str) -> None:
    with pytest.raises(ConfigError) as raised:
        parse_config(_with(change), source="test.yaml")
    message = str(raised.value)
    assert "\n" not in message
    assert message.startswith(f"test.yaml: {field}: "), message
    assert reason in message


def test_switchback_type_is_intelligent_unless_set() -> None:
    """Intelligent by default and accepted when written out; automatic is refused above."""
    assert parse_config(_with({})).lifekeeper.switchback_type == "intelligent"
    chosen = parse_config(_with({"lifekeeper": {"switchback_type": "intelligent"}}))
    assert chosen.lifekeeper.switchback_type == "intelligent"


def test_byo_rejects_subnets_and_duplicate_nodes() -> None:
    byo = yaml.safe_load(BYO_CONFIG.read_text())
    subnets = [
        {"name": "a", "cidr": "172.31.1.0/24", "availability_zone": "ap-northeast-1a"},
        {"name": "b", "cidr": "172.31.2.0/24", "availability_zone": "ap-northeast-1c"},
    ]
    with pytest.raises(ConfigError, match=r"network\.subnets: must be left out"):
        parse_config(_with({"network": {"subnets": subnets}}, byo))
    twin = _with(
        {"existing_cluster": {"secondary": {"instance_id": byo["existing_cluster"]["primary"]["instance_id"]}}},
        byo,
    )
    with pytest.raises(ConfigError, match=r"existing_cluster\.secondary\.instance_id: is the same instance"):
        parse_config(twin)
    with pytest.raises(ConfigError, match=r"existing_cluster\.route_table_ids\.0: 'rtb-1' is not valid"):
        parse_config(_with({"existing_cluster": {"route_table_ids": ["rtb-1"]}}, byo))


def test_examples_load() -> None:
    default = load_config(DEFAULT_CONFIG)
    assert default.creates_nodes and default.cluster_name == "hulft-demo"
    byo = load_config(BYO_CONFIG)
    assert not byo.creates_nodes and byo.network.subnets is None


def test_config_is_frozen() -> None:
    config = load_config(DEFAULT_CONFIG)
    with pytest.raises(ValueError, match="frozen"):
        config.cluster_name = "other"  # type: ignore[misc]


def test_unreadable_and_invalid_yaml_files(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"missing\.yaml: cannot read the config file"):
        load_config(tmp_path / "missing.yaml")
    broken = tmp_path / "broken.yaml"
    broken.write_text("cluster_name: [unclosed\n")
    with pytest.raises(ConfigError, match=r"broken\.yaml: not valid YAML at line \d+"):
        load_config(broken)
    scalar = tmp_path / "scalar.yaml"
    scalar.write_text("just a string\n")
    with pytest.raises(ConfigError, match="must hold a mapping"):
        load_config(scalar)


def test_app_exits_2_with_one_line_and_no_traceback(tmp_path: Path) -> None:
    """Through the real entry point that `cdk synth` runs (context arrives as CDK_CONTEXT_JSON)."""
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump(_with({"virtual_ip": {"address": "10.20.0.5"}})))
    env = {
        **os.environ,
        "CDK_CONTEXT_JSON": json.dumps({"config": str(bad)}),
        "CDK_OUTDIR": str(tmp_path / "out"),
    }
    result = subprocess.run([sys.executable, "app.py"], cwd=REPO, env=env, capture_output=True, text=True, check=False)
    assert result.returncode == 2
    lines = [line for line in result.stderr.splitlines() if line.strip() and not line.startswith("b'")]
    config_lines = [line for line in lines if "config error" in line]
    assert len(config_lines) == 1
    assert "virtual_ip.address: 10.20.0.5 is inside vpc_cidr" in config_lines[0]
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "out" / "manifest.json").exists()


def test_the_configs_takeover_limit_is_the_drill_workflows() -> None:
    """A scheduled drill sends drills.takeover_timeout_seconds; a value the workflow refuses would make
    every scheduled drill end at ValidateInput."""
    assert CONFIG_LIMIT == MAX_TAKEOVER_TIMEOUT_SECONDS
    with pytest.raises(ConfigError, match=r"drills\.takeover_timeout_seconds"):
        parse_config(_with({"drills": {"takeover_timeout_seconds": MAX_TAKEOVER_TIMEOUT_SECONDS + 1}}))
