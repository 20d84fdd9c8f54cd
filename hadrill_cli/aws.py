"""Where a deployed cluster's workflows are: read from its orchestration stack's outputs."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import Any

import boto3


class AwsTargetError(Exception):
    """The cluster's stack cannot be read (not deployed, no credentials, wrong region)."""


@dataclass
class AwsTarget:
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

    @property
    def stack(self) -> str:
        return f"{self.cluster}-{self.stack_suffix}"

    def outputs(self) -> dict[str, str]:
        if self._outputs is None:
            stack = self.stack
            try:
                described = self.client("cloudformation").describe_stacks(StackName=stack)
            except Exception as error:  # botocore raises many kinds; the message says which
                raise AwsTargetError(f"cannot read stack {stack}: {error}") from None
            self._outputs = {o["OutputKey"]: o["OutputValue"] for o in described["Stacks"][0].get("Outputs", [])}
        return self._outputs

    def state_machine_arn(self, name: str) -> str:
        key = f"{name}StateMachineArn"
        try:
            return self.outputs()[key]
        except KeyError:
            raise AwsTargetError(f"stack {self.stack} has no output {key}: deploy this version") from None

    def start_execution(self, machine: str, *, name_prefix: str, request: dict[str, Any]) -> tuple[str, str]:
        """Start this stack's ``machine`` state machine under a UTC-timestamped name (the drill id for
        a drill); returns (name, execution ARN)."""
        name = f"{name_prefix}-{time.strftime('%Y%m%dT%H%M%SZ', time.gmtime())}"
        started = self.client("stepfunctions").start_execution(
            stateMachineArn=self.state_machine_arn(machine), name=name, input=json.dumps(request)
        )
        return name, str(started["executionArn"])
