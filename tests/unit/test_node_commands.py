"""What send() asks of Run Command: the document, parameters, timeout, and where output goes."""

from __future__ import annotations

from typing import Any

from hadrill.node_commands import NodeCommand, send
from hadrill.params import NodeStatusParameters


class RecordingSsm:
    """Stands in for the SSM client: records send_command's arguments."""

    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []

    def send_command(self, **kwargs: Any) -> dict[str, Any]:
        self.calls.append(kwargs)
        return {"Command": {"CommandId": f"cmd-{len(self.calls)}"}}


def _command(log_group: str) -> NodeCommand:
    return NodeCommand(
        "i-0123456789abcdef0",
        "lk-node-a",
        "hulft-demo-HADrill-NodeStatus",
        NodeStatusParameters(LogicalHost="hulft-vip"),
        60,
        log_group,
    )


def test_output_is_copied_to_the_node_log_group_when_there_is_one() -> None:
    ssm = RecordingSsm()
    assert send(ssm, _command("/hadrill/hulft-demo/nodes"), comment="hadrill drill preflight") == "cmd-1"
    (call,) = ssm.calls
    assert call["CloudWatchOutputConfig"] == {
        "CloudWatchLogGroupName": "/hadrill/hulft-demo/nodes",
        "CloudWatchOutputEnabled": True,
    }
    assert call["InstanceIds"] == ["i-0123456789abcdef0"] and call["TimeoutSeconds"] == 60


def test_without_a_log_group_output_stays_in_the_command_history() -> None:
    ssm = RecordingSsm()
    send(ssm, _command(""), comment="x" * 300)
    (call,) = ssm.calls
    assert "CloudWatchOutputConfig" not in call and len(call["Comment"]) == 100
