"""One LifeKeeper node: its ENI (the virtual IP's route target), the instance and its /data volume."""

from __future__ import annotations

from typing import Literal

import aws_cdk as cdk
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from constructs import Construct

from stacks.config import DeploymentConfig
from stacks.nag import acknowledge

NodeRole = Literal["primary", "secondary"]
DATA_VOLUME_DEVICE = "/dev/sdf"


class ClusterNode(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: DeploymentConfig,
        role: NodeRole,
        subnet: ec2.ISubnet,
        availability_zone: str,
        security_group: ec2.ISecurityGroup,
        instance_profile: iam.IInstanceProfile,
        image_id: str,
    ) -> None:
        super().__init__(scope, construct_id)
        nodes = config.nodes
        name = nodes.primary.name if role == "primary" else nodes.secondary.name
        self.name = name

        # An explicit ENI, so the VIP route can target it and the Recovery Kit can move it.
        self.eni = ec2.CfnNetworkInterface(
            self,
            "Eni",
            subnet_id=subnet.subnet_id,
            group_set=[security_group.security_group_id],
            # The node receives packets addressed to the virtual IP, which is not its own address.
            source_dest_check=False,
            description=f"{config.cluster_name} {role} node {name}",
        )
        self.instance = ec2.CfnInstance(
            self,
            "Instance",
            image_id=image_id,
            instance_type=nodes.instance_type,
            iam_instance_profile=instance_profile.instance_profile_name,
            network_interfaces=[
                ec2.CfnInstance.NetworkInterfaceProperty(device_index="0", network_interface_id=self.eni.ref)
            ],
            metadata_options=ec2.CfnInstance.MetadataOptionsProperty(
                http_tokens="required", http_endpoint="enabled", http_put_response_hop_limit=1
            ),
            block_device_mappings=[
                ec2.CfnInstance.BlockDeviceMappingProperty(
                    device_name=nodes.root_device_name,
                    ebs=ec2.CfnInstance.EbsProperty(
                        volume_size=nodes.root_volume_gib,
                        volume_type="gp3",
                        encrypted=True,
                        delete_on_termination=True,
                    ),
                )
            ],
            monitoring=True,
            disable_api_termination=nodes.termination_protection,
            ebs_optimized=True,
        )
        if not nodes.termination_protection:
            acknowledge(
                self.instance,
                "AwsSolutions-EC29",
                "Termination protection is off by config (nodes.termination_protection).",
            )
        for resource in (self.eni, self.instance):
            cdk.Tags.of(resource).add("Name", f"{config.cluster_name}-{name}")
            cdk.Tags.of(resource).add("hadrill:role", role)
            cdk.Tags.of(resource).add("hadrill:node", name)

        # /data lives on its own volume so the DataKeeper mirror survives a root-volume rebuild.
        self.data_volume = ec2.Volume(
            self,
            "DataVolume",
            availability_zone=availability_zone,
            size=cdk.Size.gibibytes(nodes.data_volume_gib),
            volume_type=ec2.EbsDeviceVolumeType.GP3,
            encrypted=True,
            removal_policy=cdk.RemovalPolicy.SNAPSHOT,
        )
        cdk.Tags.of(self.data_volume).add("Name", f"{config.cluster_name}-{name}-data")
        acknowledge(
            self.data_volume,
            "CloudFormation-Validate::W3010",
            "The volume must be in its node's AZ, which the config names on purpose.",
        )
        ec2.CfnVolumeAttachment(
            self,
            "DataVolumeAttachment",
            instance_id=self.instance.ref,
            volume_id=self.data_volume.volume_id,
            device=DATA_VOLUME_DEVICE,
        )
