"""Helpers shared by the localworld tests (imported by name: this folder is put on sys.path by conftest)."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from localworld import LocalWorld

HERE = Path(__file__).parent
REPO = HERE.parent.parent
NODES = ("i-0aaaaaaaaaaaaaaa1", "i-0aaaaaaaaaaaaaaa2")
OTHER_NODES = ("i-0bbbbbbbbbbbbbbb1", "i-0bbbbbbbbbbbbbbb2")


def machine(world: LocalWorld, name: str, states: dict[str, Any], start: str, **subs: str) -> str:
    definition = json.dumps({"StartAt": start, "States": states})
    return world.create_state_machine(name, definition, subs)


def lambda_task(next_state: str | None = None, **extra: Any) -> dict[str, Any]:
    task: dict[str, Any] = {"Type": "Task", "Resource": "${Fn}", **extra}
    task.update({"Next": next_state} if next_state else {"End": True})
    return task


def invocation(world: LocalWorld, command_id: str, instance_id: str) -> dict[str, Any]:
    return world.client("ssm").get_command_invocation(CommandId=command_id, InstanceId=instance_id)  # type: ignore[no-any-return]


def wait_status(world: LocalWorld, command_id: str, instance_id: str, timeout_s: float = 3) -> dict[str, Any]:
    deadline = time.monotonic() + timeout_s
    while True:
        got = invocation(world, command_id, instance_id)
        if got["Status"] not in ("Pending", "InProgress", "Delayed") or time.monotonic() > deadline:
            return got
        time.sleep(0.02)
