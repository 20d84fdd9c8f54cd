"""What the deploy test asserts about a `cdk deploy` to the local endpoint, as functions over the
deployed state (read through the endpoint's API with ordinary clients) and the cloud assembly that
was deployed. Each returns the problems it found, one line each; an empty list means the check passed.

- check_stacks: every stack of the assembly is *_COMPLETE, with every output and every export.
- check_resource_types: every type moto's CloudFormation skipped is on the allowlist of
  localworld.endpoint_seams.UNEMULATED_TYPES (a new unsupported type fails).
- check_function_environments: every deployed function has exactly the template's variables, the
  literal ones with the template's values, and the ones naming resources name resources that exist.
- audit_calls: the IAM audit (localworld.iam_audit) of every call the deployed functions made.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from botocore.exceptions import ClientError

from hadrill import contracts
from localworld import iam_audit
from localworld.endpoint_seams import UNEMULATED_TYPES

# AWS's managed policy that CDK attaches to every function role (moto does not load AWS's managed
# policies): the document as AWS publishes it.
AWS_MANAGED_POLICIES: dict[str, dict[str, Any]] = {
    "AWSLambdaBasicExecutionRole": {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
                "Resource": "*",
            }
        ],
    }
}


def assembly_templates(assembly: Path) -> dict[str, dict[str, Any]]:
    """Stack name -> template, for the CloudFormation stacks of a synthesized cloud assembly."""
    manifest = json.loads((assembly / "manifest.json").read_text(encoding="utf-8"))
    templates = {}
    for name, artifact in manifest["artifacts"].items():
        if artifact.get("type") == "aws:cloudformation:stack":
            stack_name = artifact.get("properties", {}).get("stackName", name)
            template_file = artifact["properties"]["templateFile"]
            templates[stack_name] = json.loads((assembly / template_file).read_text(encoding="utf-8"))
    return templates


def _export_name(output: Mapping[str, Any]) -> str | None:
    name = (output.get("Export") or {}).get("Name")
    return name if isinstance(name, str) else None  # a token-built name is checked through the output


def check_stacks(cloudformation: Any, templates: Mapping[str, Mapping[str, Any]]) -> list[str]:
    problems = []
    exports = {e["Name"] for page in cloudformation.get_paginator("list_exports").paginate() for e in page["Exports"]}
    for stack_name, template in templates.items():
        try:
            stack = cloudformation.describe_stacks(StackName=stack_name)["Stacks"][0]
        except ClientError as error:
            problems.append(f"{stack_name}: not deployed ({error.response['Error']['Message']})")
            continue
        if not str(stack["StackStatus"]).endswith("_COMPLETE") or "ROLLBACK" in stack["StackStatus"]:
            problems.append(f"{stack_name}: {stack['StackStatus']}")
        deployed = {o["OutputKey"] for o in stack.get("Outputs", [])}
        for key, output in (template.get("Outputs") or {}).items():
            if key not in deployed:
                problems.append(f"{stack_name}: output {key} missing")
            export = _export_name(output)
            if export is not None and export not in exports:
                problems.append(f"{stack_name}: export {export} missing")
    return problems


def check_resource_types(skipped: set[str]) -> list[str]:
    return [
        f"{t}: moto's CloudFormation does not create it and it is not on the allowlist (UNEMULATED_TYPES)"
        for t in sorted(skipped - UNEMULATED_TYPES.keys())
    ]


def check_function_environments(
    cloudformation: Any, lambda_client: Any, clients: Mapping[str, Any], templates: Mapping[str, Mapping[str, Any]]
) -> list[str]:
    problems = []
    for stack_name, template in templates.items():
        physical = {
            r["LogicalResourceId"]: r.get("PhysicalResourceId", "")
            for r in cloudformation.describe_stack_resources(StackName=stack_name)["StackResources"]
            if "LogicalResourceId" in r  # moto leaves it out for some resource kinds (not functions)
        }
        for logical_id, resource in (template.get("Resources") or {}).items():
            if resource["Type"] != "AWS::Lambda::Function":
                continue
            wanted = ((resource.get("Properties") or {}).get("Environment") or {}).get("Variables") or {}
            name = physical.get(logical_id, "")
            try:
                config = lambda_client.get_function_configuration(FunctionName=name)
            except ClientError:
                problems.append(f"{stack_name}/{logical_id}: function {name!r} not deployed")
                continue
            actual = (config.get("Environment") or {}).get("Variables") or {}
            where = f"{stack_name}/{logical_id}"
            for key in sorted(wanted.keys() - actual.keys()):
                problems.append(f"{where}: variable {key} missing")
            for key in sorted(actual.keys() - wanted.keys()):
                problems.append(f"{where}: variable {key} not in the template")
            for key, value in wanted.items():
                if isinstance(value, str) and key in actual and actual[key] != value:
                    problems.append(f"{where}: {key}={actual[key]!r}, the template says {value!r}")
                elif key in actual:
                    problems += [f"{where}: {p}" for p in _names_exist(key, actual[key], clients)]
    return problems


def _names_exist(key: str, value: str, clients: Mapping[str, Any]) -> list[str]:
    """A variable resolved by CloudFormation must name something that exists."""
    try:
        if key == contracts.ENV_RECORDS_TABLE:
            clients["dynamodb"].describe_table(TableName=value)
        elif key == contracts.ENV_TOPIC_ARN:
            clients["sns"].get_topic_attributes(TopicArn=value)
        elif key in (contracts.ENV_REPORTS_BUCKET, contracts.ENV_FLEET_REPORTS_BUCKET):
            clients["s3"].head_bucket(Bucket=value)
        elif key == contracts.ENV_CLUSTER:
            facts = json.loads(value)
            instances = [facts["primary"]["instance_id"], facts["secondary"]["instance_id"]]
            clients["ec2"].describe_instances(InstanceIds=instances)
            clients["ec2"].describe_route_tables(RouteTableIds=list(facts["route_table_ids"]))
            clients["s3"].head_bucket(Bucket=facts["media_bucket"])
    except ClientError as error:
        return [f"{key}={value[:80]!r} names nothing that exists ({error.response['Error']['Code']})"]
    except (ValueError, KeyError) as error:
        return [f"{key} is not a cluster facts document ({error})"]
    return []


def principals(lambda_client: Any, ec2: Any, iam: Any) -> dict[str, str]:
    """Who made the recorded calls -> the role they made them with: every function, and each cluster's
    nodes (``node:<cluster>``, the instance profile's role: the simulated EC2 Recovery Kit's ReplaceRoute)."""
    roles = {
        f["FunctionName"]: f["Role"]
        for page in lambda_client.get_paginator("list_functions").paginate()
        for f in page["Functions"]
    }
    tagged = ec2.describe_instances(Filters=[{"Name": "tag-key", "Values": ["hadrill:cluster"]}])["Reservations"]
    for instance in (i for r in tagged for i in r["Instances"]):
        cluster = next(t["Value"] for t in instance["Tags"] if t["Key"] == "hadrill:cluster")
        profile = (instance.get("IamInstanceProfile") or {}).get("Arn", "")
        if profile:
            found = iam.get_instance_profile(InstanceProfileName=profile.rsplit("/", 1)[-1])["InstanceProfile"]
            roles[f"node:{cluster}"] = found["Roles"][0]["Arn"]
    return roles


def deployed_policies(iam: Any, role_arns: Iterable[str]) -> iam_audit.Deployed:
    """Each role with its inline and attached policies, read back from the endpoint."""
    role_policies: dict[str, list[iam_audit.RolePolicy]] = {}
    for role_arn in sorted(set(role_arns)):
        role = role_arn.rsplit("/", 1)[-1]
        policies = []
        for policy_name in iam.list_role_policies(RoleName=role)["PolicyNames"]:
            document = iam.get_role_policy(RoleName=role, PolicyName=policy_name)["PolicyDocument"]
            policies.append(iam_audit.RolePolicy(name=policy_name, document=_document(document)))
        for attached in iam.list_attached_role_policies(RoleName=role)["AttachedPolicies"]:
            managed = AWS_MANAGED_POLICIES.get(attached["PolicyName"])
            if managed is None:
                policy = iam.get_policy(PolicyArn=attached["PolicyArn"])["Policy"]
                version = iam.get_policy_version(PolicyArn=attached["PolicyArn"], VersionId=policy["DefaultVersionId"])
                managed = _document(version["PolicyVersion"]["Document"])
            policies.append(iam_audit.RolePolicy(name=attached["PolicyName"], document=managed))
        role_policies[role_arn] = policies
    return iam_audit.Deployed(role_policies=role_policies)


def _document(document: Any) -> dict[str, Any]:
    if isinstance(document, str):
        import ast
        from urllib.parse import unquote

        text = unquote(document)
        try:
            return dict(json.loads(text))
        except ValueError:  # moto hands some CloudFormation-made policies back as a Python literal
            return dict(ast.literal_eval(text))
    return dict(document)


def recorded_calls(raw: list[dict[str, Any]], roles: Mapping[str, str], account: str) -> list[iam_audit.RecordedCall]:
    """The endpoint's call log as the audit's calls, each with the role of who made it (see principals)."""
    return [
        iam_audit.RecordedCall(
            function=entry["function"],
            role_arn=roles[entry["function"]],
            service=entry["service"],
            operation=entry["operation"],
            params=entry.get("params") or {},
            region=entry["region"],
            account=account,
        )
        for entry in raw
        if entry["function"] in roles
    ]


def run_all(state_dir: Path, assembly: Path) -> int:
    """Every check against the endpoint serving from ``state_dir`` (`make deploy-local` prints this)."""
    from localworld.deployed_lambdas import read_calls
    from localworld.endpoint import SKIPPED_TYPES_FILE, endpoint_client

    ready = json.loads((state_dir / "ready").read_text(encoding="utf-8"))

    def client(service: str) -> Any:
        return endpoint_client(service, int(ready["port"]), str(ready["region"]))

    templates = assembly_templates(assembly)
    skipped_file = state_dir / SKIPPED_TYPES_FILE
    skipped = set(json.loads(skipped_file.read_text(encoding="utf-8"))) if skipped_file.exists() else set()
    clients = {s: client(s) for s in ("dynamodb", "sns", "s3", "ec2")}
    lambda_client = client("lambda")
    roles = principals(lambda_client, client("ec2"), client("iam"))
    report = iam_audit.audit(
        recorded_calls(read_calls(state_dir / "calls"), roles, "123456789012"),
        deployed_policies(client("iam"), roles.values()),
    )
    checks = {
        "stacks complete, outputs and exports": check_stacks(client("cloudformation"), templates),
        "resource types moto skipped (allowlisted)": check_resource_types(skipped),
        "function environments": check_function_environments(
            client("cloudformation"), lambda_client, clients, templates
        ),
        "IAM audit": [f"{d.function}: {d.action} on {d.resource} denied: {d.why}" for d in report.denials],
    }
    for name, problems in checks.items():
        print(f"{'ok      ' if not problems else 'FAILED  '}{name}")
        for problem in problems:
            print(f"        {problem}")
    print(f"skipped types: {', '.join(sorted(skipped))}")
    print(report.render())
    failed = sum(1 for problems in checks.values() if problems)
    print(f"deploy checks: {len(checks) - failed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    import sys

    sys.exit(run_all(Path(sys.argv[1]), Path(sys.argv[2])))
