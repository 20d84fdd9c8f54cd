"""The AWS target: a deployed cluster's workflows, found in its orchestration stack's outputs (an account,
or the local AWS endpoint that `hadrill local up` serves)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import boto3

from hadrill_cli.target import Target


class AwsTargetError(Exception):
    """The cluster's stack cannot be read (not deployed, no credentials, wrong region)."""


@dataclass
class AwsTarget(Target):
    cluster: str  # or, with stack_suffix "fleet", the fleet's name
    profile: str | None = None
    region: str | None = None
    stack_suffix: str = "orchestration"  # the stack is <cluster>-<suffix>
    _session: Any = field(default=None, repr=False)
    _outputs: dict[str, str] | None = field(default=None, repr=False)

    def client(self, service: str) -> Any:
        if self._session is None:
            self._session = boto3.Session(profile_name=self.profile, region_name=self.region)
        return self._session.client(service)

    def outputs(self) -> dict[str, str]:
        if self._outputs is None:
            stack = self.stack
            try:
                described = self.client("cloudformation").describe_stacks(StackName=stack)
            except Exception as error:  # botocore raises many kinds; the message says which
                raise AwsTargetError(f"cannot read stack {stack}: {error}") from None
            self._outputs = {o["OutputKey"]: o["OutputValue"] for o in described["Stacks"][0].get("Outputs", [])}
        return self._outputs
