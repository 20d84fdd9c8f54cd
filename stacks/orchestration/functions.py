"""The Lambda functions and state machines of our workflows, built the same way in every stack
that has them (the cluster's orchestration stack and the fleet stack)."""

from __future__ import annotations

from collections.abc import Mapping

import aws_cdk as cdk
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from stacks.nag import acknowledge
from stacks.orchestration import wiring
from stacks.orchestration.bundling import RUNTIME

# The functions' runtime is the one their dependencies are bundled for (stacks.orchestration.bundling).
LAMBDA_RUNTIME = RUNTIME
LOG_RETENTION = logs.RetentionDays.THREE_MONTHS


def workflow_function(
    scope: Construct,
    spec: wiring.FunctionSpec,
    *,
    code: lambda_.Code,
    environment: Mapping[str, str],
    vpc: ec2.IVpc | None = None,
    vpc_subnets: ec2.SubnetSelection | None = None,
    security_groups: list[ec2.ISecurityGroup] | None = None,
) -> lambda_.Function:
    """One function of the wiring: pinned runtime, bundled dependencies, tracing, its own log group
    (in a VPC when given one: the client probe)."""
    function = lambda_.Function(
        scope,
        spec.name,
        runtime=LAMBDA_RUNTIME,
        architecture=lambda_.Architecture.X86_64,
        handler=spec.handler,
        code=code,
        description=spec.description,
        timeout=cdk.Duration.seconds(spec.timeout_seconds),
        memory_size=spec.memory_mb,
        environment=dict(environment),
        tracing=lambda_.Tracing.ACTIVE,
        log_group=logs.LogGroup(scope, f"{spec.name}Logs", retention=LOG_RETENTION),
        vpc=vpc,
        vpc_subnets=vpc_subnets,
        security_groups=security_groups,
    )
    acknowledge(
        function,
        "AwsSolutions-L1",
        "Pinned to python3.13: the dependencies are bundled as wheels for it (requirements-lambda.txt),"
        " and the local deploy test runs the handlers on it; move the runtime, the wheels and the test together.",
    )
    assert function.role is not None
    acknowledge(
        function.role,
        "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]",
        "AWS's minimal policy for a function to write its own CloudWatch Logs.",
    )
    acknowledge(
        function.role,
        "AwsSolutions-IAM5[Resource::*]",
        "X-Ray PutTraceSegments/PutTelemetryRecords and SSM GetCommandInvocation/CancelCommand/"
        "DescribeInstanceInformation support no resource-level permissions.",
    )
    return function


def workflow_state_machine(
    scope: cdk.Stack,
    machine: wiring.StateMachineSpec,
    functions: Mapping[str, lambda_.Function],
    *,
    timeout: cdk.Duration,
) -> sfn.StateMachine:
    """The ASL file with its functions' ARNs substituted, traced, logging every execution."""
    log_group = logs.LogGroup(scope, f"{machine.name}ExecutionLogs", retention=LOG_RETENTION)
    state_machine = sfn.StateMachine(
        scope,
        machine.name,
        definition_body=sfn.DefinitionBody.from_string(machine.definition()),
        definition_substitutions={f.substitution: functions[f.name].function_arn for f in machine.functions},
        tracing_enabled=True,
        logs=sfn.LogOptions(destination=log_group, level=sfn.LogLevel.ALL, include_execution_data=True),
        timeout=timeout,
    )
    for spec in machine.functions:
        function = functions[spec.name]
        function.grant_invoke(state_machine)
        logical_id = scope.get_logical_id(function.node.default_child)  # type: ignore[arg-type]
        acknowledge(
            state_machine.role,
            f"AwsSolutions-IAM5[Resource::<{logical_id}.Arn>:*]",
            "lambda:InvokeFunction on the function's versions and aliases (ARN:*) of this one function.",
        )
    acknowledge(
        state_machine.role,
        "AwsSolutions-IAM5[Resource::*]",
        "CloudWatch Logs delivery and X-Ray actions for Step Functions support no resource-level permissions.",
    )
    return state_machine
