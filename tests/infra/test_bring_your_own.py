"""Bring-your-own cluster: no network or nodes are created; a policy for the existing nodes is."""

from __future__ import annotations

import json

from support.synthesis import Synthesized


def test_creates_no_network_and_no_nodes(byo_synth: Synthesized) -> None:
    assert set(byo_synth.templates) == {"cluster", "orchestration"}
    template = byo_synth.templates["cluster"]
    kinds = {r["Type"] for r in template["Resources"].values()}
    assert not kinds & {
        "AWS::EC2::VPC",
        "AWS::EC2::Instance",
        "AWS::EC2::Volume",
        "AWS::EC2::Route",
        "AWS::IAM::Role",
    }


def test_managed_policy_scoped_to_the_existing_route_tables(byo_synth: Synthesized) -> None:
    (policy,) = [
        r for r in byo_synth.templates["cluster"]["Resources"].values() if r["Type"] == "AWS::IAM::ManagedPolicy"
    ]
    statements = {s["Sid"]: s for s in policy["Properties"]["PolicyDocument"]["Statement"]}
    existing = byo_synth.config.existing_cluster
    assert existing is not None
    text = json.dumps(statements["MoveVirtualIpRoute"]["Resource"])
    for route_table in existing.route_table_ids:
        assert f"route-table/{route_table}" in text
    assert "NodePolicyArn" in byo_synth.templates["cluster"]["Outputs"]


def test_outputs_name_the_existing_nodes(byo_synth: Synthesized) -> None:
    outputs = byo_synth.templates["cluster"]["Outputs"]
    existing = byo_synth.config.existing_cluster
    assert existing is not None
    assert outputs["PrimaryInstanceId"]["Value"] == existing.primary.instance_id
    assert outputs["SecondaryEniId"]["Value"] == existing.secondary.eni_id
    assert outputs["RouteTableIds"]["Value"] == ",".join(existing.route_table_ids)
