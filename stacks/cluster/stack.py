"""The cluster: two LifeKeeper nodes, the virtual IP route, node permissions and the media bucket.

With `existing_cluster` in the config the nodes, their ENIs and route tables already exist:
the stack then creates only the media bucket, the node log group and a managed policy for
the operator to attach to the existing nodes' role.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_logs as logs
from constructs import Construct

from stacks.cluster.media import MediaBucket
from stacks.cluster.node_access import RECOVERY_KIT_READS, node_statements
from stacks.cluster.nodes import ClusterNode
from stacks.cluster.security import NodeSecurityGroup
from stacks.config import DeploymentConfig
from stacks.nag import acknowledge
from stacks.network import NetworkStack

NODE_LOG_RETENTION = logs.RetentionDays.THREE_MONTHS
SSM_CORE_POLICY = "AmazonSSMManagedInstanceCore"


@dataclass(frozen=True)
class ClusterTargets:
    """What the workflows act on, whether this app created the nodes or not."""

    primary_instance_id: str
    secondary_instance_id: str
    primary_eni_id: str
    secondary_eni_id: str
    route_table_ids: tuple[str, ...]
    # The LifeKeeper comm path addresses (the ENIs' private IPs); empty for bring-your-own nodes,
    # whose base the operator built (or names in the setup input).
    primary_addresses: tuple[str, ...] = ()
    secondary_addresses: tuple[str, ...] = ()


class ClusterStack(cdk.Stack):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: DeploymentConfig,
        network: NetworkStack | None,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self.media = MediaBucket(self, "Media")
        self.node_log_group = logs.LogGroup(
            self, "NodeLogs", retention=NODE_LOG_RETENTION, removal_policy=cdk.RemovalPolicy.RETAIN
        )
        media_keys = [config.media.hulft.key, config.media.recovery_kit.key]
        # Where the drill's client probe runs (issue 17): the clustering subnets and its security group.
        # Only for nodes created here; bring-your-own clusters have no probe (the report says so).
        self.network = network if config.existing_cluster is None else None
        self.client_probe_group: ec2.SecurityGroup | None = None
        log_group_id = self.get_logical_id(self.node_log_group.node.default_child)  # type: ignore[arg-type]
        self._log_stream_finding = f"AwsSolutions-IAM5[Resource::<{log_group_id}.Arn>:log-stream:*]"

        if config.existing_cluster is None:
            if network is None:
                raise ValueError("ClusterStack creates nodes and needs the NetworkStack")
            self.targets = self._create_nodes(config, network, media_keys)
        else:
            existing = config.existing_cluster
            self.targets = ClusterTargets(
                primary_instance_id=existing.primary.instance_id,
                secondary_instance_id=existing.secondary.instance_id,
                primary_eni_id=existing.primary.eni_id,
                secondary_eni_id=existing.secondary.eni_id,
                route_table_ids=existing.route_table_ids,
            )
            policy = iam.ManagedPolicy(
                self,
                "NodePolicy",
                description=(f"Attach to the node role of {config.cluster_name} together with {SSM_CORE_POLICY}"),
                statements=self._node_statements(config, media_keys, existing.route_table_ids),
            )
            self._acknowledge_node_wildcards(policy)
            cdk.CfnOutput(self, "NodePolicyArn", value=policy.managed_policy_arn)
            cdk.CfnOutput(self, "RouteTableIds", value=",".join(existing.route_table_ids))

        cdk.CfnOutput(self, "PrimaryInstanceId", value=self.targets.primary_instance_id)
        cdk.CfnOutput(self, "SecondaryInstanceId", value=self.targets.secondary_instance_id)
        cdk.CfnOutput(self, "PrimaryEniId", value=self.targets.primary_eni_id)
        cdk.CfnOutput(self, "SecondaryEniId", value=self.targets.secondary_eni_id)
        cdk.CfnOutput(self, "VirtualIp", value=str(config.virtual_ip.address))
        cdk.CfnOutput(self, "MediaBucketName", value=self.media.bucket.bucket_name)

    def _create_nodes(self, config: DeploymentConfig, network: NetworkStack, media_keys: list[str]) -> ClusterTargets:
        assert config.network.subnets is not None  # guaranteed by the config model when creating nodes
        assert config.nodes.ami is not None
        route_table_ids = tuple(subnet.route_table.route_table_id for subnet in network.subnets)

        role = iam.Role(
            self,
            "NodeRole",
            assumed_by=iam.ServicePrincipal("ec2.amazonaws.com"),
            description=f"LifeKeeper nodes of {config.cluster_name}",
            managed_policies=[iam.ManagedPolicy.from_aws_managed_policy_name(SSM_CORE_POLICY)],
        )
        acknowledge(
            role,
            f"AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/{SSM_CORE_POLICY}]",
            "AWS's maintained minimum for the SSM Agent (Run Command, Session Manager); it replaces SSH.",
        )
        policy = iam.Policy(
            self,
            "NodePolicy",
            statements=self._node_statements(config, media_keys, route_table_ids),
        )
        policy.attach_to_role(role)
        self._acknowledge_node_wildcards(policy)
        profile = iam.InstanceProfile(self, "NodeInstanceProfile", role=role)

        security = NodeSecurityGroup(self, "NodeSecurity", vpc=network.vpc, config=config)
        self.client_probe_group = security.client_probe_group
        ami = config.nodes.ami
        if ami.id is not None:
            image_id = ami.id
        else:
            assert ami.ssm_parameter is not None
            image_id = ec2.MachineImage.from_ssm_parameter(ami.ssm_parameter).get_image(self).image_id

        nodes = []
        for role_name, subnet_config, subnet in zip(
            ("primary", "secondary"), config.network.subnets, network.subnets, strict=True
        ):
            nodes.append(
                ClusterNode(
                    self,
                    role_name.capitalize(),
                    config=config,
                    role=role_name,  # type: ignore[arg-type]  # the tuple above holds exactly the NodeRole values
                    subnet=subnet,
                    availability_zone=subnet_config.availability_zone,
                    security_group=security.group,
                    instance_profile=profile,
                    image_id=image_id,
                )
            )
        primary, secondary = nodes

        # The virtual IP: a /32 route in each clustering route table to the active node's ENI.
        # The EC2 Recovery Kit replaces these routes on takeover, so CloudFormation drift on
        # them after a drill is expected.
        for index, route_table_id in enumerate(route_table_ids):
            ec2.CfnRoute(
                self,
                f"VirtualIpRoute{index}",
                route_table_id=route_table_id,
                destination_cidr_block=f"{config.virtual_ip.address}/32",
                network_interface_id=primary.eni.ref,
            ).node.add_dependency(primary.instance)

        return ClusterTargets(
            primary_instance_id=primary.instance.ref,
            secondary_instance_id=secondary.instance.ref,
            primary_eni_id=primary.eni.ref,
            secondary_eni_id=secondary.eni.ref,
            route_table_ids=route_table_ids,
            primary_addresses=(primary.eni.attr_primary_private_ip_address,),
            secondary_addresses=(secondary.eni.attr_primary_private_ip_address,),
        )

    def _node_statements(
        self, config: DeploymentConfig, media_keys: list[str], route_table_ids: tuple[str, ...]
    ) -> list[iam.PolicyStatement]:
        return node_statements(
            self,
            media_bucket=self.media.bucket,
            media_keys=media_keys,
            secret_names=[config.secrets.hulft_license, config.lifekeeper_license_secret],
            route_table_ids=route_table_ids,
            log_group=self.node_log_group,
        )

    def _acknowledge_node_wildcards(self, policy: Construct) -> None:
        acknowledge(
            policy,
            self._log_stream_finding,
            "The CloudWatch agent names log streams after the instance at run time; scoped to the node log group.",
        )
        acknowledge(
            policy,
            "AwsSolutions-IAM5[Resource::*]",
            f"{', '.join(RECOVERY_KIT_READS)} support no resource-level permissions; "
            "the EC2 Recovery Kit needs them to check where the VIP route points.",
        )
