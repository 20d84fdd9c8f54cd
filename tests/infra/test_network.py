"""The network stack: two private clustering subnets in two AZs, endpoints instead of internet."""

from __future__ import annotations

from support.synthesis import Synthesized

EXPECTED_INTERFACE_ENDPOINTS = {
    "ssm",
    "ssmmessages",
    "ec2messages",
    "ec2",
    "logs",
    "secretsmanager",
    "sts",
    "monitoring",
}


def _service(props: dict) -> str:
    name = props["ServiceName"]
    if isinstance(name, str):
        return name.rsplit(".", 1)[-1]
    return name["Fn::Join"][1][-1].lstrip(".")


def test_two_clustering_subnets_from_config_in_two_azs(default_synth: Synthesized) -> None:
    subnets = default_synth.resources("network", "AWS::EC2::Subnet")
    config_subnets = default_synth.config.network.subnets
    assert config_subnets is not None
    assert sorted(
        (s["Properties"]["CidrBlock"], s["Properties"]["AvailabilityZone"]) for s in subnets.values()
    ) == sorted((str(s.cidr), s.availability_zone) for s in config_subnets)
    assert len({s["Properties"]["AvailabilityZone"] for s in subnets.values()}) == 2
    assert all(s["Properties"]["MapPublicIpOnLaunch"] is False for s in subnets.values())


def test_no_internet_path(default_synth: Synthesized) -> None:
    template = default_synth.template("network")
    template.resource_count_is("AWS::EC2::InternetGateway", 0)
    template.resource_count_is("AWS::EC2::NatGateway", 0)
    for route in default_synth.resources("network", "AWS::EC2::Route").values():
        assert route["Properties"].get("DestinationCidrBlock") != "0.0.0.0/0"


def test_vpc_cidr_from_config(default_synth: Synthesized) -> None:
    default_synth.template("network").has_resource_properties(
        "AWS::EC2::VPC", {"CidrBlock": str(default_synth.config.network.vpc_cidr)}
    )


def test_interface_endpoints_private_dns_in_both_subnets(default_synth: Synthesized) -> None:
    endpoints = default_synth.resources("network", "AWS::EC2::VPCEndpoint")
    interface = {
        _service(e["Properties"]): e["Properties"]
        for e in endpoints.values()
        if e["Properties"].get("VpcEndpointType") == "Interface"
    }
    assert set(interface) == EXPECTED_INTERFACE_ENDPOINTS
    for props in interface.values():
        assert props["PrivateDnsEnabled"] is True
        assert len(props["SubnetIds"]) == 2


def test_s3_and_dynamodb_gateway_endpoints_on_both_route_tables(default_synth: Synthesized) -> None:
    """S3 for the nodes' media; DynamoDB for the drill's client probe (issue 17: test_client_probe.py)."""
    endpoints = default_synth.resources("network", "AWS::EC2::VPCEndpoint")
    gateways = [e["Properties"] for e in endpoints.values() if e["Properties"].get("VpcEndpointType") == "Gateway"]
    assert sorted(_service(g) for g in gateways) == ["dynamodb", "s3"]
    assert all(len(g["RouteTableIds"]) == 2 for g in gateways)


def test_endpoint_security_group_admits_only_https_from_the_vpc(default_synth: Synthesized) -> None:
    groups = default_synth.resources("network", "AWS::EC2::SecurityGroup")
    ingress = [rule for g in groups.values() for rule in g["Properties"].get("SecurityGroupIngress", [])]
    assert ingress == [
        {
            "CidrIp": str(default_synth.config.network.vpc_cidr),
            "Description": "HTTPS from the VPC",
            "FromPort": 443,
            "IpProtocol": "tcp",
            "ToPort": 443,
        }
    ]


def test_flow_logs_capture_all_traffic(default_synth: Synthesized) -> None:
    default_synth.template("network").has_resource_properties(
        "AWS::EC2::FlowLog",
        {"TrafficType": "ALL", "ResourceType": "VPC", "LogDestinationType": "cloud-watch-logs"},
    )
