"""The network: a VPC with exactly two private clustering subnets and no route to the internet.

The nodes reach AWS only through VPC endpoints (Session Manager instead of SSH, EC2 for the
Recovery Kit's route replacement, Secrets Manager for the HULFT license, S3 for media).
"""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_logs as logs
from constructs import Construct

from stacks.config import DeploymentConfig
from stacks.nag import acknowledge

# Interface endpoints the nodes need with no internet route, and why.
INTERFACE_ENDPOINTS: dict[str, ec2.InterfaceVpcEndpointAwsService] = {
    "Ssm": ec2.InterfaceVpcEndpointAwsService.SSM,  # Run Command, Session Manager
    "SsmMessages": ec2.InterfaceVpcEndpointAwsService.SSM_MESSAGES,
    "Ec2Messages": ec2.InterfaceVpcEndpointAwsService.EC2_MESSAGES,
    "Ec2": ec2.InterfaceVpcEndpointAwsService.EC2,  # EC2 Recovery Kit: ReplaceRoute
    "Logs": ec2.InterfaceVpcEndpointAwsService.CLOUDWATCH_LOGS,
    "SecretsManager": ec2.InterfaceVpcEndpointAwsService.SECRETS_MANAGER,  # HULFT license
    "Sts": ec2.InterfaceVpcEndpointAwsService.STS,
    "Monitoring": ec2.InterfaceVpcEndpointAwsService.CLOUDWATCH_MONITORING,
}

FLOW_LOG_RETENTION = logs.RetentionDays.THREE_MONTHS


class NetworkStack(cdk.Stack):
    """VPC, clustering subnets A and B, endpoints and flow logs."""

    def __init__(self, scope: Construct, construct_id: str, *, config: DeploymentConfig, **kwargs: Any) -> None:
        super().__init__(scope, construct_id, **kwargs)
        network = config.network
        if network.subnets is None:
            raise ValueError("NetworkStack needs the two clustering subnets from the config")

        self.vpc = ec2.Vpc(
            self,
            "Vpc",
            ip_addresses=ec2.IpAddresses.cidr(str(network.vpc_cidr)),
            # Subnets are created below from the config's exact CIDRs and AZs.
            subnet_configuration=[],
            nat_gateways=0,
            restrict_default_security_group=True,
        )
        self.subnets: list[ec2.PrivateSubnet] = []
        for subnet in network.subnets:
            created = ec2.PrivateSubnet(
                self,
                _construct_id(subnet.name),
                vpc_id=self.vpc.vpc_id,
                cidr_block=str(subnet.cidr),
                availability_zone=subnet.availability_zone,
                map_public_ip_on_launch=False,
            )
            cdk.Tags.of(created).add("Name", f"{config.cluster_name}-{subnet.name}")
            self.subnets.append(created)
            acknowledge(
                created,
                "CloudFormation-Validate::W3010",
                "The AZs come from the config on purpose: LifeKeeper's nodes must sit in two named AZs.",
            )
        clustering = ec2.SubnetSelection(subnets=self.subnets)

        endpoint_sg = ec2.SecurityGroup(
            self,
            "EndpointSecurityGroup",
            vpc=self.vpc,
            description="HTTPS from inside the VPC to the AWS service endpoints",
            allow_all_outbound=False,
        )
        endpoint_sg.add_ingress_rule(ec2.Peer.ipv4(str(network.vpc_cidr)), ec2.Port.tcp(443), "HTTPS from the VPC")
        for name, service in INTERFACE_ENDPOINTS.items():
            self.vpc.add_interface_endpoint(
                f"{name}Endpoint",
                service=service,
                subnets=clustering,
                security_groups=[endpoint_sg],
                private_dns_enabled=True,
                # The group above already admits HTTPS from the VPC; `open` would add a duplicate rule.
                open=False,
            )
        self.vpc.add_gateway_endpoint("S3Endpoint", service=ec2.GatewayVpcEndpointAwsService.S3, subnets=[clustering])
        # The drill's client probe (a function in these subnets) writes its timeline to the records table.
        self.vpc.add_gateway_endpoint(
            "DynamoDbEndpoint", service=ec2.GatewayVpcEndpointAwsService.DYNAMODB, subnets=[clustering]
        )

        flow_log_group = logs.LogGroup(
            self,
            "FlowLogGroup",
            retention=FLOW_LOG_RETENTION,
            removal_policy=cdk.RemovalPolicy.RETAIN,
        )
        self.vpc.add_flow_log(
            "FlowLog",
            destination=ec2.FlowLogDestination.to_cloud_watch_logs(flow_log_group),
            traffic_type=ec2.FlowLogTrafficType.ALL,
        )

        cdk.CfnOutput(self, "VpcId", value=self.vpc.vpc_id)
        for subnet, created in zip(network.subnets, self.subnets, strict=True):
            cdk.CfnOutput(self, f"{_construct_id(subnet.name)}Id", value=created.subnet_id)
            cdk.CfnOutput(self, f"{_construct_id(subnet.name)}RouteTableId", value=created.route_table.route_table_id)


def _construct_id(name: str) -> str:
    """clustering-a -> ClusteringA: a stable construct id from a config name."""
    return "".join(part.capitalize() for part in name.split("-"))
