"""The setup result names the hierarchy's resources (issue 17): "8 resource(s) ISP" alone did not say which."""

from __future__ import annotations

from pathlib import Path

from hadrill.facts import ClusterFacts
from hadrill.node_commands import CommandResult
from hadrill.setup import checks_summary, status_checks

FIXTURES = Path(__file__).parent / "fixtures"


def _facts() -> ClusterFacts:
    node = {"instance_id": "i-a", "eni_id": "eni-a", "name": "lk-node-a", "role": "primary"}
    media = {"key": "hulft/h.iso", "sha256": "0" * 64}
    return ClusterFacts.model_validate(
        {
            "cluster_name": "hulft-demo",
            "primary": node,
            "secondary": {**node, "instance_id": "i-b", "eni_id": "eni-b", "name": "lk-node-b", "role": "secondary"},
            "virtual_ip": "10.254.0.10",
            "logical_host": "hulft-vip",
            "route_table_ids": ["rtb-1"],
            "media_bucket": "media-bucket",
            "hulft_media": media,
            "recovery_kit_media": {**media, "key": "lifekeeper/k.iso"},
            "hulft_license_secret": "hadrill/hulft-demo/hulft-license",
            "hulft_version": "08.01.02",
            "hulexep": "/usr/local/hulft/bin",
            "hulpath": "/data/hulft/etc",
            "document_prefix": "hulft-demo-",
        }
    )


def _result(instance_id: str, node: str, fixture: str) -> CommandResult:
    stdout = (FIXTURES / f"status_{fixture}.txt").read_text()
    return CommandResult(instance_id, node, "hulft-demo-HADrill-NodeStatus", "c-1", "Success", 0, stdout, "")


def test_verify_hierarchy_names_the_resources_in_its_checks_and_summary() -> None:
    """From the captured NodeStatus outputs of a cluster as setup leaves it."""
    results = [_result("i-a", "lk-node-a", "primary_healthy"), _result("i-b", "lk-node-b", "standby_healthy")]
    checks = status_checks("verify-hierarchy", _facts(), results)
    hierarchy = {c.name: c.detail for c in checks if "hierarchy" in c.name}
    names = "hulft (/data (datarep-data), hulft-obs, hulft-rcv, hulft-snd)"
    assert hierarchy == {
        "lk-node-a: hierarchy hulft ISP": f"6 resource(s) ISP: {names}",
        "lk-node-b: hierarchy hulft OSU": f"6 resource(s) OSU: {names}",
    }
    assert all(c.passed for c in checks)
    summary = checks_summary("verify-hierarchy", checks)
    assert summary == f"{len(checks)}/{len(checks)} checks passed; lk-node-a: 6 resource(s) ISP: {names}"
    assert checks_summary("preflight", checks) == f"{len(checks)}/{len(checks)} checks passed"
