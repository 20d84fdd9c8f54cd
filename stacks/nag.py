"""cdk-nag acknowledgements: every finding we accept is written here with its reason.

cdk-nag 3 runs as a CDK validation plugin and uses CDK's own `Validations.acknowledge`; a finding
that is not acknowledged fails synth.
"""

from __future__ import annotations

import aws_cdk as cdk
from constructs import IConstruct


def acknowledge(construct: IConstruct, rule: str, reason: str) -> None:
    """Accept one cdk-nag finding (e.g. "AwsSolutions-IAM5[Resource::*]") on a construct and below."""
    cdk.Validations.of(construct).acknowledge(cdk.Acknowledgment(id=rule, reason=reason))
