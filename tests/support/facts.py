"""A cluster's facts (hadrill.facts.ClusterFacts) for tests that need no deployment."""

from __future__ import annotations

from typing import Any

from hadrill.facts import ClusterFacts


def sample_facts(**changes: Any) -> ClusterFacts:
    """Valid facts of a made-up cluster "plan-demo"; ``changes`` replace top-level fields."""
    node = {"instance_id": "i-0123456789abcdef0", "eni_id": "eni-0123456789abcdef0"}
    document: dict[str, Any] = {
        "cluster_name": "plan-demo",
        "primary": {**node, "role": "primary", "name": "lk-a", "addresses": ["10.0.1.10", "10.0.2.10"]},
        "secondary": {
            **node,
            "instance_id": "i-0fedcba9876543210",
            "role": "secondary",
            "name": "lk-b",
            "addresses": ["10.0.33.10"],
        },
        "virtual_ip": "10.254.0.10",
        "logical_host": "hulft-vip",
        "route_table_ids": ["rtb-1"],
        "media_bucket": "media-bucket",
        "hulft_media": {"key": "m/h.iso", "sha256": "0" * 64},
        "recovery_kit_media": {"key": "m/k.iso", "sha256": "0" * 64},
        "hulft_license_secret": "hadrill/plan-demo/hulft-license",
        "hulft_version": "08.01.02",
        "hulexep": "/usr/local/hulft/bin",
        "hulpath": "/data/hulft/etc",
        "document_prefix": "plan-demo-",
    }
    document.update(changes)
    return ClusterFacts.model_validate(document)
