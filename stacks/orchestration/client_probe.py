"""The drill's client probe (issue 17): a function in the clustering subnets that connects to HULFT's
receive port through the virtual IP every 200 ms during a drill, as a partner in the VPC does.

RunDrillPhase starts it asynchronously at the fault (lambda:InvokeFunction on this function only) and
tells it, through the records table, when the takeover check is over. The probe may write only this
cluster's items of the records table (dynamodb:LeadingKeys), and its security group (stacks/cluster/
security.py) lets it reach the VIP's receive port and HTTPS only.
"""

from __future__ import annotations

from collections.abc import Mapping

import aws_cdk as cdk
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from stacks.nag import acknowledge
from stacks.orchestration import wiring
from stacks.orchestration.functions import workflow_function


def client_probe_function(
    scope: Construct,
    *,
    cluster_name: str,
    code: lambda_.Code,
    records: dynamodb.ITableV2,
    subnets: list[ec2.ISubnet],
    vpc: ec2.IVpc,
    security_group: ec2.ISecurityGroup,
    environment: Mapping[str, str],
    run_drill_phase: lambda_.Function,
    receive_port: int,
) -> lambda_.Function:
    spec = wiring.CLIENT_PROBE
    function = workflow_function(
        scope,
        spec,
        code=code,
        environment=environment,
        vpc=vpc,
        vpc_subnets=ec2.SubnetSelection(subnets=subnets),
        security_groups=[security_group],
    )
    # A probe that failed is not run again later (its drill has moved on), and one Lambda could not start
    # within a minute is of no use: no retries, a short event age.
    function.configure_async_invoke(retry_attempts=0, max_event_age=cdk.Duration.minutes(1))
    assert function.role is not None
    acknowledge(
        function.role,
        "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole]",
        "AWS's minimal policy for a function in a VPC (its network interfaces in the clustering subnets).",
    )
    function.add_to_role_policy(
        iam.PolicyStatement(
            actions=["dynamodb:UpdateItem"],
            resources=[records.table_arn],
            # Only this cluster's items (the probe writes client-probe#<drill id> under its cluster).
            conditions={"ForAllValues:StringEquals": {"dynamodb:LeadingKeys": [cluster_name]}},
        )
    )
    # The unqualified ARN only: the drill invokes $LATEST by name (grant_invoke would add every version).
    run_drill_phase.add_to_role_policy(
        iam.PolicyStatement(actions=["lambda:InvokeFunction"], resources=[function.function_arn])
    )
    run_drill_phase.add_environment(
        wiring.ENV_CLIENT_PROBE, wiring.client_probe_setting(function.function_name, receive_port)
    )
    return function
