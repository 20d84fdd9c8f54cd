"""The nodes' security group: LifeKeeper only between the nodes, HULFT only from its partners.

No SSH anywhere: operators use Session Manager through the VPC endpoints.
"""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_ec2 as ec2
from constructs import Construct

from stacks.config import DeploymentConfig

# LifeKeeper's ports between the nodes (SIOS KB: network ports used by LifeKeeper).
COMM_PATH_PORT = 7365  # TCP comm path heartbeats
GUI_SERVER_PORTS = (81, 82)  # GUI server and RMI registry
WEB_GUI_PORT = 778
API_PORT = 779
# DataKeeper: one port per mirror, 10000 + mirror number; sixteen mirrors is plenty for one HULFT.
REPLICATION_PORTS = (10001, 10016)
HTTPS_PORT = 443
# ICMP echo between the nodes: DataKeeper and the IP kit check the peer with lkping (SIOS Japan KB
# article 360037514152; docs/vendor-commands.md, row "ICMP echo between the nodes").
ICMP_ECHO_REQUEST = 8


class NodeSecurityGroup(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, vpc: ec2.IVpc, config: DeploymentConfig) -> None:
        super().__init__(scope, construct_id)
        sg = ec2.SecurityGroup(
            self,
            "Group",
            vpc=vpc,
            description=f"LifeKeeper nodes of {config.cluster_name}: peer traffic and HULFT partners only",
            allow_all_outbound=False,
        )
        self.group = sg

        peer_ports = [
            (ec2.Port.tcp(COMM_PATH_PORT), "LifeKeeper comm path"),
            *[(ec2.Port.tcp(port), "LifeKeeper GUI server") for port in GUI_SERVER_PORTS],
            (ec2.Port.tcp(WEB_GUI_PORT), "LifeKeeper web GUI"),
            (ec2.Port.tcp(API_PORT), "LifeKeeper API"),
            (ec2.Port.tcp_range(*REPLICATION_PORTS), "DataKeeper replication of /data"),
        ]
        for port, why in peer_ports:
            sg.add_ingress_rule(sg, port, f"{why} from the other node")
            sg.add_egress_rule(sg, port, f"{why} to the other node")
        # Echo requests both ways; the replies are return traffic (security groups are stateful).
        echo = ec2.Port.icmp_type(ICMP_ECHO_REQUEST)
        sg.add_ingress_rule(sg, echo, "ICMP echo (lkping) from the other node")
        sg.add_egress_rule(sg, echo, "ICMP echo (lkping) to the other node")

        hulft = config.hulft
        for cidr in hulft.client_cidrs:
            sg.add_ingress_rule(ec2.Peer.ipv4(str(cidr)), ec2.Port.tcp(hulft.receive_port), "HULFT receive (hulrcvd)")
            sg.add_ingress_rule(ec2.Peer.ipv4(str(cidr)), ec2.Port.tcp(hulft.observe_port), "HULFT observe (hulobsd)")
            sg.add_egress_rule(ec2.Peer.ipv4(str(cidr)), ec2.Port.tcp(hulft.receive_port), "HULFT send to partners")

        # The subnets have no internet route: HTTPS can only reach the VPC endpoints and S3's gateway.
        sg.add_egress_rule(ec2.Peer.any_ipv4(), ec2.Port.tcp(HTTPS_PORT), "HTTPS to VPC endpoints and S3")
        cdk.Tags.of(sg).add("Name", f"{config.cluster_name}-nodes")

        # The drill's client probe (issue 17): a function in the clustering subnets that connects to HULFT's
        # receive port through the virtual IP, as a partner does. It may reach that one address and port
        # (the VPC routes the VIP to the active node's ENI) and HTTPS (the records table through DynamoDB's
        # gateway endpoint; no internet route); the nodes admit it on the receive port only.
        probe = ec2.SecurityGroup(
            self,
            "ClientProbeGroup",
            vpc=vpc,
            description=f"hadrill client probe of {config.cluster_name}: HULFT receive port through the VIP only",
            allow_all_outbound=False,
        )
        probe.add_egress_rule(
            ec2.Peer.ipv4(f"{config.virtual_ip.address}/32"),
            ec2.Port.tcp(hulft.receive_port),
            "connect to HULFT's receive port through the virtual IP",
        )
        probe.add_egress_rule(ec2.Peer.any_ipv4(), ec2.Port.tcp(HTTPS_PORT), "HTTPS to DynamoDB's gateway endpoint")
        sg.add_ingress_rule(probe, ec2.Port.tcp(hulft.receive_port), "HULFT receive from the drill's client probe")
        cdk.Tags.of(probe).add("Name", f"{config.cluster_name}-client-probe")
        self.client_probe_group = probe
