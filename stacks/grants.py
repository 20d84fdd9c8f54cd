"""IAM helpers the stacks share: ARNs whose resource name follows a colon, and writes under one prefix."""

from __future__ import annotations

from collections.abc import Iterable

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_s3 as s3
from constructs import IConstruct

from stacks.nag import acknowledge


def colon_arn(scope: IConstruct, service: str, resource: str, resource_name: str) -> str:
    """arn:...:<service>:<region>:<account>:<resource>:<resource_name> (secrets, state machines, executions)."""
    return cdk.Stack.of(scope).format_arn(
        service=service,
        resource=resource,
        resource_name=resource_name,
        arn_format=cdk.ArnFormat.COLON_RESOURCE_NAME,
    )


def execution_arns(scope: IConstruct, state_machine_names: Iterable[str]) -> list[str]:
    """Every execution of each named state machine (execution names are made per run)."""
    return [colon_arn(scope, "states", "execution", f"{name}:*") for name in state_machine_names]


def grant_put_objects(function: lambda_.IFunction, bucket: s3.IBucket, prefix: str, reason: str) -> None:
    """s3:PutObject on new objects under the prefix of the bucket (a bucket of the function's own stack),
    and nothing else; cdk-nag's wildcard finding is acknowledged with the reason."""
    function.add_to_role_policy(
        iam.PolicyStatement(actions=["s3:PutObject"], resources=[bucket.arn_for_objects(f"{prefix}*")])
    )
    bucket_id = cdk.Stack.of(function).get_logical_id(bucket.node.default_child)  # type: ignore[arg-type]
    acknowledge(function, f"AwsSolutions-IAM5[Resource::<{bucket_id}.Arn>/{prefix}*]", reason)
