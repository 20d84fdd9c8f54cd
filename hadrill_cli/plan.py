"""`hadrill plan`: what `cdk deploy` would create, read from a synthesized cloud assembly.

Nothing is deployed and no AWS account is needed: the summary comes from the templates.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hadrill.errors import cut, shown


class AssemblyError(Exception):
    """The cloud assembly is missing or not what `cdk synth` writes."""


@dataclass(frozen=True)
class StackPlan:
    name: str
    resource_counts: dict[str, int]
    facts: list[str] = field(default_factory=list)


def read_assembly(assembly: Path) -> list[StackPlan]:
    """Every stack's summary; AssemblyError (one line) for anything that is not what `cdk synth` writes:
    a file instead of a directory, a manifest or template that is missing, not UTF-8, not JSON, or
    of another shape."""
    if assembly.exists() and not assembly.is_dir():
        raise AssemblyError(f"{assembly} is a file, not a cloud assembly directory (give the cdk.out directory)")
    manifest_path = assembly / "manifest.json"
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise AssemblyError(f"{manifest_path} not found: run `make synth` first") from None
    except (OSError, UnicodeDecodeError, ValueError, RecursionError) as error:
        raise AssemblyError(f"{manifest_path} is not a cloud assembly manifest: {_reason(error)}") from None
    artifacts = manifest.get("artifacts", {}) if isinstance(manifest, dict) else None
    if not isinstance(artifacts, dict):
        raise AssemblyError(f"{manifest_path} is not a cloud assembly manifest: no artifacts object")
    plans = []
    for name, artifact in sorted(artifacts.items()):
        if not isinstance(artifact, dict) or artifact.get("type") != "aws:cloudformation:stack":
            continue
        try:
            template_file = assembly / str(artifact["properties"]["templateFile"])
        except (KeyError, TypeError):
            raise AssemblyError(f"{manifest_path}: stack {shown(name)} names no template file") from None
        try:
            template = json.loads(template_file.read_text(encoding="utf-8"))
            plans.append(summarize_template(str(name), template))
        except FileNotFoundError:
            raise AssemblyError(f"{template_file} not found: run `make synth` again") from None
        except (OSError, UnicodeDecodeError, ValueError, RecursionError, KeyError, TypeError, AttributeError) as error:
            raise AssemblyError(f"{template_file} is not a CloudFormation template: {_reason(error)}") from None
    if not plans:
        raise AssemblyError(f"{assembly} holds no stacks")
    return plans


def _reason(error: BaseException) -> str:
    return cut(" ".join(f"{type(error).__name__}: {error}".split()), 160)


def summarize_template(name: str, template: dict[str, Any]) -> StackPlan:
    resources: dict[str, Any] = template.get("Resources", {})
    counts = Counter(resource["Type"] for resource in resources.values())
    facts: list[str] = []
    for resource in resources.values():
        props = resource.get("Properties", {})
        kind = resource["Type"]
        if kind == "AWS::EC2::Instance":
            tags = {tag["Key"]: tag["Value"] for tag in props.get("Tags", [])}
            imds = props.get("MetadataOptions", {}).get("HttpTokens", "optional")
            facts.append(
                f"node {tags.get('hadrill:node', '?')} ({tags.get('hadrill:role', '?')}): "
                f"{props.get('InstanceType')}, IMDSv2 {imds}, termination protection "
                f"{'on' if props.get('DisableApiTermination') else 'off'}"
            )
        elif kind == "AWS::EC2::Route" and "NetworkInterfaceId" in props:
            facts.append(f"virtual IP route {props['DestinationCidrBlock']} -> primary node ENI")
        elif kind == "AWS::EC2::VPCEndpoint":
            facts.append(f"VPC endpoint {_service_name(props.get('ServiceName'))}")
        elif kind == "AWS::EC2::Volume":
            facts.append(f"/data volume {props.get('Size')} GiB, encrypted={props.get('Encrypted')}")
    return StackPlan(name=name, resource_counts=dict(sorted(counts.items())), facts=sorted(facts))


def _service_name(value: Any) -> str:
    """com.amazonaws.<region>.ssm -> ssm, whether the region is literal or a token."""
    if isinstance(value, str):
        return value.rsplit(".", 1)[-1]
    if isinstance(value, dict) and "Fn::Join" in value:
        parts = value["Fn::Join"][1]
        last = parts[-1]
        if isinstance(last, str):
            return last.lstrip(".")
    return "?"


def render(plans: list[StackPlan], *, config_path: str) -> str:
    lines = [
        "SYNTHESIZED ONLY - nothing was deployed and no AWS account was used.",
        f"This is what `cdk deploy` would create from {config_path}:",
        "",
    ]
    for plan in plans:
        total = sum(plan.resource_counts.values())
        lines.append(f"Stack {plan.name}: {total} resources")
        lines.extend(f"  - {fact}" for fact in plan.facts)
        lines.extend(f"    {count:3d} x {kind}" for kind, count in plan.resource_counts.items())
        lines.append("")
    return "\n".join(lines)
