"""What a cluster node may do in AWS, and nothing more.

The same statements serve a node role this app creates and the managed policy that a
bring-your-own cluster attaches to its existing role.
"""

from __future__ import annotations

from collections.abc import Sequence

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from constructs import Construct

from stacks.grants import colon_arn

# Describe calls cannot be scoped to resources; the EC2 Recovery Kit reads route tables,
# ENIs and instances to decide whether the VIP route points at the local node.
RECOVERY_KIT_READS = ("ec2:DescribeRouteTables", "ec2:DescribeNetworkInterfaces", "ec2:DescribeInstances")


def node_statements(
    scope: Construct,
    *,
    media_bucket: s3.IBucket,
    media_keys: Sequence[str],
    secret_names: Sequence[str],
    route_table_ids: Sequence[str],
    log_group: logs.ILogGroup,
) -> list[iam.PolicyStatement]:
    stack = cdk.Stack.of(scope)
    return [
        iam.PolicyStatement(
            sid="ReadInstallMedia",
            actions=["s3:GetObject"],
            resources=[media_bucket.arn_for_objects(key) for key in media_keys],
        ),
        iam.PolicyStatement(
            sid="ReadLicenses",
            actions=["secretsmanager:GetSecretValue"],
            # Secrets Manager appends six random characters to a secret's ARN.
            resources=[colon_arn(scope, "secretsmanager", "secret", f"{name}-??????") for name in secret_names],
        ),
        iam.PolicyStatement(
            sid="MoveVirtualIpRoute",
            actions=["ec2:ReplaceRoute"],
            resources=[
                stack.format_arn(service="ec2", resource="route-table", resource_name=rtb) for rtb in route_table_ids
            ],
        ),
        iam.PolicyStatement(sid="RecoveryKitReads", actions=list(RECOVERY_KIT_READS), resources=["*"]),
        iam.PolicyStatement(
            sid="WriteNodeLogs",
            actions=["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
            resources=[log_group.log_group_arn, f"{log_group.log_group_arn}:log-stream:*"],
        ),
    ]
