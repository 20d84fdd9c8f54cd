"""The cluster stack: nodes, /data volumes, the virtual IP route, security group, IAM, media bucket."""

from __future__ import annotations

import json
from typing import Any

import pytest

from stacks.cluster.security import (
    API_PORT,
    COMM_PATH_PORT,
    GUI_SERVER_PORTS,
    REPLICATION_PORTS,
    WEB_GUI_PORT,
)
from support.synthesis import Synthesized

MUTATING_PREFIXES = (
    "Create",
    "Delete",
    "Put",
    "Replace",
    "Update",
    "Modify",
    "Attach",
    "Detach",
    "Start",
    "Stop",
    "Send",
)


def _props(resources: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    return [r["Properties"] for r in resources.values()]


def _logical_id(synth: Synthesized, kind: str, tag_role: str) -> str:
    for logical_id, resource in synth.resources("cluster", kind).items():
        tags = {t["Key"]: t["Value"] for t in resource["Properties"].get("Tags", [])}
        if tags.get("hadrill:role") == tag_role:
            return logical_id
    raise AssertionError(f"no {kind} tagged hadrill:role={tag_role}")


def test_two_nodes_with_imdsv2_monitoring_and_termination_protection(default_synth: Synthesized) -> None:
    instances = _props(default_synth.resources("cluster", "AWS::EC2::Instance"))
    assert len(instances) == 2
    for props in instances:
        assert props["MetadataOptions"]["HttpTokens"] == "required"
        assert props["Monitoring"] is True
        assert props["DisableApiTermination"] is True
        assert props["InstanceType"] == default_synth.config.nodes.instance_type
        assert "KeyName" not in props  # no SSH key: Session Manager only


def test_root_volumes_encrypted(default_synth: Synthesized) -> None:
    for props in _props(default_synth.resources("cluster", "AWS::EC2::Instance")):
        (root,) = props["BlockDeviceMappings"]
        assert root["DeviceName"] == default_synth.config.nodes.root_device_name
        assert root["Ebs"]["Encrypted"] is True


def test_a_separate_encrypted_data_volume_per_node_in_its_az(default_synth: Synthesized) -> None:
    volumes = default_synth.resources("cluster", "AWS::EC2::Volume")
    assert len(volumes) == 2
    subnets = default_synth.config.network.subnets
    assert subnets is not None
    assert sorted(v["Properties"]["AvailabilityZone"] for v in volumes.values()) == sorted(
        s.availability_zone for s in subnets
    )
    for volume in volumes.values():
        assert volume["Properties"]["Encrypted"] is True
        assert volume["Properties"]["Size"] == default_synth.config.nodes.data_volume_gib
        assert volume["DeletionPolicy"] == "Snapshot"  # the mirror's data outlives the stack
    attachments = _props(default_synth.resources("cluster", "AWS::EC2::VolumeAttachment"))
    assert sorted(a["VolumeId"]["Ref"] for a in attachments) == sorted(volumes)
    assert len({a["InstanceId"]["Ref"] for a in attachments}) == 2


def test_enis_have_source_dest_check_off(default_synth: Synthesized) -> None:
    enis = _props(default_synth.resources("cluster", "AWS::EC2::NetworkInterface"))
    assert len(enis) == 2
    assert all(eni["SourceDestCheck"] is False for eni in enis)


def test_virtual_ip_route_in_each_route_table_points_at_primary_eni(default_synth: Synthesized) -> None:
    primary_eni = _logical_id(default_synth, "AWS::EC2::NetworkInterface", "primary")
    routes = _props(default_synth.resources("cluster", "AWS::EC2::Route"))
    assert len(routes) == 2
    for route in routes:
        assert route["DestinationCidrBlock"] == f"{default_synth.config.virtual_ip.address}/32"
        assert route["NetworkInterfaceId"] == {"Ref": primary_eni}
    assert len({json.dumps(r["RouteTableId"]) for r in routes}) == 2


def _node_group_id(synth: Synthesized) -> str:
    """The nodes' security group (the other one is the drill's client probe's: test_client_probe.py)."""
    groups = synth.resources("cluster", "AWS::EC2::SecurityGroup")
    return next(i for i, g in groups.items() if g["Properties"]["GroupDescription"].startswith("LifeKeeper nodes"))


def _rules(synth: Synthesized) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    group_id = _node_group_id(synth)
    group = synth.resources("cluster", "AWS::EC2::SecurityGroup")[group_id]
    own = {"Fn::GetAtt": [group_id, "GroupId"]}
    ingress = list(group["Properties"].get("SecurityGroupIngress", []))
    ingress += [p for p in _props(synth.resources("cluster", "AWS::EC2::SecurityGroupIngress")) if p["GroupId"] == own]
    egress = list(group["Properties"].get("SecurityGroupEgress", []))
    egress += [p for p in _props(synth.resources("cluster", "AWS::EC2::SecurityGroupEgress")) if p["GroupId"] == own]
    return ingress, egress


def test_no_ssh_and_nothing_open_to_the_world(default_synth: Synthesized) -> None:
    ingress, _ = _rules(default_synth)
    for rule in ingress:
        assert not (rule["FromPort"] <= 22 <= rule["ToPort"]), rule
        assert rule.get("CidrIp") != "0.0.0.0/0", rule
        assert rule.get("CidrIpv6") != "::/0", rule


def test_lifekeeper_ports_only_between_the_nodes(default_synth: Synthesized) -> None:
    ingress, _ = _rules(default_synth)
    expected = {
        (COMM_PATH_PORT, COMM_PATH_PORT),
        (WEB_GUI_PORT, WEB_GUI_PORT),
        (API_PORT, API_PORT),
        REPLICATION_PORTS,
    }
    expected |= {(port, port) for port in GUI_SERVER_PORTS}
    group = {"Fn::GetAtt": [_node_group_id(default_synth), "GroupId"]}
    peer_rules = [r for r in ingress if r.get("SourceSecurityGroupId") == group and r["IpProtocol"] == "tcp"]
    assert {(r["FromPort"], r["ToPort"]) for r in peer_rules} == expected
    # The one other group admitted is the drill's client probe, on the receive port only (test_client_probe.py).
    others = [r for r in ingress if "SourceSecurityGroupId" in r and r.get("SourceSecurityGroupId") != group]
    assert [(r["FromPort"], r["ToPort"]) for r in others] == [(default_synth.config.hulft.receive_port,) * 2]


def test_hulft_ports_only_from_client_cidrs(default_synth: Synthesized) -> None:
    ingress, _ = _rules(default_synth)
    hulft = default_synth.config.hulft
    cidr_rules = [r for r in ingress if "CidrIp" in r]
    assert sorted((r["CidrIp"], r["FromPort"]) for r in cidr_rules) == sorted(
        (str(cidr), port) for cidr in hulft.client_cidrs for port in (hulft.receive_port, hulft.observe_port)
    )


def test_icmp_echo_both_ways_between_the_nodes_only(default_synth: Synthesized) -> None:
    """DataKeeper and the IP kit check the peer with lkping (docs/vendor-commands.md): each node may
    send an echo request to the other (egress) and receive one from it (ingress); no other ICMP."""
    ingress, egress = _rules(default_synth)
    group = {"Fn::GetAtt": [_node_group_id(default_synth), "GroupId"]}
    icmp_in = [r for r in ingress if r["IpProtocol"] == "icmp"]
    icmp_out = [r for r in egress if r["IpProtocol"] == "icmp"]
    assert [(r["FromPort"], r["ToPort"], r.get("SourceSecurityGroupId")) for r in icmp_in] == [(8, -1, group)]
    assert [(r["FromPort"], r["ToPort"], r.get("DestinationSecurityGroupId")) for r in icmp_out] == [(8, -1, group)]


def test_outbound_is_limited(default_synth: Synthesized) -> None:
    _, egress = _rules(default_synth)
    for rule in egress:
        if rule["IpProtocol"] == "icmp":
            continue  # echo to the other node only: test_icmp_echo_both_ways_between_the_nodes_only
        assert rule["IpProtocol"] == "tcp", rule
        if rule.get("CidrIp") == "0.0.0.0/0":
            assert (rule["FromPort"], rule["ToPort"]) == (443, 443)


def _node_policy_statements(
    synth: Synthesized, kind: str = "AWS::IAM::Policy", role: str = "cluster"
) -> list[dict[str, Any]]:
    (policy,) = _props(synth.resources(role, kind))
    statements: list[dict[str, Any]] = policy["PolicyDocument"]["Statement"]
    return statements


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def test_node_policy_is_scoped_to_named_resources(default_synth: Synthesized) -> None:
    by_sid = {s["Sid"]: s for s in _node_policy_statements(default_synth)}
    assert set(by_sid) == {
        "ReadInstallMedia",
        "ReadLicenses",
        "MoveVirtualIpRoute",
        "RecoveryKitReads",
        "WriteNodeLogs",
    }
    media = json.dumps(by_sid["ReadInstallMedia"]["Resource"])
    assert default_synth.config.media.hulft.key in media and default_synth.config.media.recovery_kit.key in media
    assert len(_as_list(by_sid["ReadInstallMedia"]["Resource"])) == 2
    licenses = json.dumps(by_sid["ReadLicenses"]["Resource"])
    assert f"secret:{default_synth.config.secrets.hulft_license}-??????" in licenses
    assert f"secret:{default_synth.config.lifekeeper_license_secret}-??????" in licenses
    assert len(_as_list(by_sid["ReadLicenses"]["Resource"])) == 2
    route_tables = _as_list(by_sid["MoveVirtualIpRoute"]["Resource"])
    assert len(route_tables) == 2 and all(":route-table/" in json.dumps(r) for r in route_tables)
    assert _as_list(by_sid["MoveVirtualIpRoute"]["Action"]) == ["ec2:ReplaceRoute"]


def test_no_wildcard_resource_on_a_mutating_action(default_synth: Synthesized) -> None:
    for statement in _node_policy_statements(default_synth):
        if "*" in _as_list(statement["Resource"]):
            for action in _as_list(statement["Action"]):
                verb = action.split(":", 1)[1]
                assert verb.startswith(("Describe", "Get", "List")), action
                assert not verb.startswith(MUTATING_PREFIXES)


def test_node_role_has_ssm_core_for_session_manager(default_synth: Synthesized) -> None:
    (role,) = _props(default_synth.resources("cluster", "AWS::IAM::Role"))
    assert "AmazonSSMManagedInstanceCore" in json.dumps(role["ManagedPolicyArns"])
    assert role["AssumeRolePolicyDocument"]["Statement"][0]["Principal"] == {"Service": "ec2.amazonaws.com"}


def test_media_bucket_private_versioned_encrypted_tls_only(default_synth: Synthesized) -> None:
    buckets = default_synth.resources("cluster", "AWS::S3::Bucket")
    assert len(buckets) == 2  # media + its access logs
    for bucket in _props(buckets):
        assert bucket["PublicAccessBlockConfiguration"] == {
            "BlockPublicAcls": True,
            "BlockPublicPolicy": True,
            "IgnorePublicAcls": True,
            "RestrictPublicBuckets": True,
        }
        assert bucket["VersioningConfiguration"] == {"Status": "Enabled"}
        sse = bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]["ServerSideEncryptionByDefault"]
        assert sse["SSEAlgorithm"] in ("AES256", "aws:kms")
    media = [b for b in _props(buckets) if "LoggingConfiguration" in b]
    assert len(media) == 1
    for policy in _props(default_synth.resources("cluster", "AWS::S3::BucketPolicy")):
        denies = [s for s in policy["PolicyDocument"]["Statement"] if s["Effect"] == "Deny"]
        assert any(s["Condition"] == {"Bool": {"aws:SecureTransport": "false"}} for s in denies)


@pytest.mark.parametrize(
    "output",
    [
        "PrimaryInstanceId",
        "SecondaryInstanceId",
        "PrimaryEniId",
        "SecondaryEniId",
        "VirtualIp",
        "MediaBucketName",
    ],
)
def test_outputs(default_synth: Synthesized, output: str) -> None:
    assert output in default_synth.templates["cluster"]["Outputs"]


def test_every_taggable_resource_carries_the_cluster_tag(default_synth: Synthesized) -> None:
    name = default_synth.config.cluster_name
    for role, template in default_synth.templates.items():
        for logical_id, resource in template["Resources"].items():
            tags = resource.get("Properties", {}).get("Tags")
            if isinstance(tags, list) and resource["Type"] != "AWS::SSM::Parameter":
                assert {"Key": "hadrill:cluster", "Value": name} in tags, f"{role}/{logical_id}"


def test_nodes_tagged_with_their_role_and_name(default_synth: Synthesized) -> None:
    nodes = default_synth.config.nodes
    for role, node in (("primary", nodes.primary), ("secondary", nodes.secondary)):
        logical_id = _logical_id(default_synth, "AWS::EC2::Instance", role)
        tags = {
            t["Key"]: t["Value"]
            for t in default_synth.templates["cluster"]["Resources"][logical_id]["Properties"]["Tags"]
        }
        assert tags["hadrill:node"] == node.name


def test_ami_from_ssm_parameter_becomes_a_deploy_time_parameter(default_synth: Synthesized) -> None:
    parameters = default_synth.templates["cluster"].get("Parameters", {})
    ami_parameters = [
        p for p in parameters.values() if p.get("Type") == "AWS::SSM::Parameter::Value<AWS::EC2::Image::Id>"
    ]
    assert [p["Default"] for p in ami_parameters] == [default_synth.config.nodes.ami.ssm_parameter]  # type: ignore[union-attr]
