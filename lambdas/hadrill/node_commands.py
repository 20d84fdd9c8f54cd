"""Run one of our SSM documents on cluster nodes and wait for the result inside the Lambda.

Who waits where (issue 18): a short command (a status, a marker, a fault, a setup step on the simulator)
is waited for here, inside the invocation, bounded by the function's remaining time less a margin: a few
seconds of a 256 MB function cost less than one state transition ($0.000025 is about 6 s of it). The
drill's long waits (the takeover, a reboot and resync, the switchback) are not: their phases send the
command, return ``waitSeconds`` and are run again after a Wait state (hadrill.drill.phases), collecting the
result with ``wait_for`` and a few seconds' grace. SSM cannot hand back a Step Functions task token itself
(that needs a ``states`` endpoint in the nodes' VPC, or an EventBridge rule and a function per command).
The setup workflow's steps still wait here.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from hadrill.params import DocumentParameters

# GetCommandInvocation's Status values after which an invocation will not change any more.
FINAL_STATUSES = frozenset({"Success", "Failed", "TimedOut", "Cancelled"})
# StatusDetails that mean the node never ran the command (Status is then Failed or TimedOut).
NOT_DELIVERED = frozenset({"Undeliverable", "DeliveryTimedOut", "Terminated"})
MARGIN_SECONDS = 20.0


class CommandNotDelivered(Exception):
    """A node did not take the command (offline, throttled, agent gone): worth a retry."""


class CommandWaitExpired(Exception):
    """The command is still running when this invocation must return."""


class NodesOffline(Exception):
    """A node is not online in SSM, so no command can reach it."""


@dataclass(frozen=True)
class NodeCommand:
    instance_id: str
    node: str
    document: str
    parameters: DocumentParameters
    timeout_seconds: int
    # The node log group: Run Command copies the script's stdout/stderr there too, so an
    # installer's complaint outlives the command history (the node role may write to it).
    output_log_group: str = ""


@dataclass(frozen=True)
class CommandResult:
    instance_id: str
    node: str
    document: str
    command_id: str
    status: str
    exit_code: int
    stdout: str
    stderr: str

    @property
    def succeeded(self) -> bool:
        return self.status == "Success"


@dataclass
class Waiting:
    """How to wait: the poll period, the time budget, and the clock (injected so tests run fast)."""

    poll_seconds: float
    budget_seconds: float
    sleep: Callable[[float], None] = time.sleep
    now: Callable[[], float] = time.monotonic


def offline_nodes(ssm: Any, instance_ids: list[str]) -> list[str]:
    """Instances whose SSM agent is not Online (PingStatus ConnectionLost, Inactive or unknown)."""
    response = ssm.describe_instance_information(Filters=[{"Key": "InstanceIds", "Values": instance_ids}])
    online = {i["InstanceId"] for i in response.get("InstanceInformationList", []) if i.get("PingStatus") == "Online"}
    return [i for i in instance_ids if i not in online]


def send(ssm: Any, command: NodeCommand, *, comment: str) -> str:
    output: dict[str, Any] = {}
    if command.output_log_group:
        output["CloudWatchOutputConfig"] = {
            "CloudWatchLogGroupName": command.output_log_group,
            "CloudWatchOutputEnabled": True,
        }
    response = ssm.send_command(
        InstanceIds=[command.instance_id],
        DocumentName=command.document,
        Parameters=command.parameters.to_ssm(),
        TimeoutSeconds=command.timeout_seconds,
        Comment=comment[:100],
        **output,
    )
    command_id: str = response["Command"]["CommandId"]
    return command_id


def run_commands(ssm: Any, commands: list[NodeCommand], *, waiting: Waiting, comment: str) -> list[CommandResult]:
    """Send every command at once (one per node), then wait for all of them."""
    if not commands:
        return []
    offline = offline_nodes(ssm, [c.instance_id for c in commands])
    if offline:
        names = ", ".join(c.node for c in commands if c.instance_id in offline)
        raise NodesOffline(f"not online in SSM: {names} ({', '.join(offline)})")
    sent = {send(ssm, command, comment=comment): command for command in commands}
    return wait_for(ssm, sent, waiting=waiting)


def wait_for(ssm: Any, sent: Mapping[str, NodeCommand], *, waiting: Waiting) -> list[CommandResult]:
    deadline = waiting.now() + waiting.budget_seconds
    pending = dict(sent)
    results: dict[str, CommandResult] = {}
    while pending:
        for command_id, command in list(pending.items()):
            invocation = _invocation(ssm, command_id, command.instance_id)
            if invocation is None or invocation["Status"] not in FINAL_STATUSES:
                continue
            if invocation.get("StatusDetails") in NOT_DELIVERED:
                raise CommandNotDelivered(
                    f"{command.document} was not delivered to {command.node}: {invocation['StatusDetails']}"
                )
            results[command_id] = CommandResult(
                instance_id=command.instance_id,
                node=command.node,
                document=command.document,
                command_id=command_id,
                status=invocation["Status"],
                exit_code=int(invocation.get("ResponseCode", -1)),
                stdout=invocation.get("StandardOutputContent", ""),
                stderr=invocation.get("StandardErrorContent", ""),
            )
            del pending[command_id]
        if not pending:
            break
        if waiting.now() >= deadline:
            names = ", ".join(c.node for c in pending.values())
            raise CommandWaitExpired(f"still running after {waiting.budget_seconds:.0f} s on {names}")
        waiting.sleep(waiting.poll_seconds)
    return [results[command_id] for command_id in sent]


def _invocation(ssm: Any, command_id: str, instance_id: str) -> dict[str, Any] | None:
    try:
        invocation: dict[str, Any] = ssm.get_command_invocation(CommandId=command_id, InstanceId=instance_id)
    except ssm.exceptions.InvocationDoesNotExist:
        return None  # SSM needs a moment after send_command before the invocation exists
    return invocation
