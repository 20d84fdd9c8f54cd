"""SSM actions that moto 5.2.5 does not implement, answered from the registered nodes.

moto dispatches an action to the response-class method of the same (snake_case) name and
raises NotImplementedError when there is none; the world adds ``describe_instance_information``
and ``list_command_invocations`` to ``SimpleSystemManagerResponse`` for its lifetime.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from localworld.protocol import NodeBackend

# The first agent with ENV_VAR interpolation (AWS Systems Manager user guide, "Data elements and parameters").
AGENT_VERSION = "3.3.2746.0"

# DescribeInstanceInformation filter keys we can answer; others fail like a bad request would.
_SUPPORTED_FILTERS = {"InstanceIds", "PingStatus", "ResourceType", "PlatformTypes"}


class UnsupportedFilterError(ValueError):
    pass


def _filters(request: Callable[[str], Any]) -> dict[str, set[str]]:
    """Both filter styles of the API: Filters [{Key, Values}] and InstanceInformationFilterList."""
    wanted: dict[str, set[str]] = {}
    for item in request("Filters") or []:
        wanted.setdefault(item["Key"], set()).update(item.get("Values") or [])
    for item in request("InstanceInformationFilterList") or []:
        wanted.setdefault(item["key"], set()).update(item.get("valueSet") or [])
    unknown = sorted(wanted.keys() - _SUPPORTED_FILTERS)
    if unknown:
        raise UnsupportedFilterError(f"localworld: unsupported filter key(s) {unknown}")
    return wanted


def instance_information(
    nodes: Mapping[str, NodeBackend], request: Callable[[str], Any], private_ips: Mapping[str, str]
) -> dict[str, Any]:
    """The DescribeInstanceInformation response for the registered nodes. With an InstanceIds filter
    only those nodes are looked at (a drill asks about its two; a fleet world holds a hundred)."""
    wanted = _filters(request)
    now = datetime.datetime.now(datetime.UTC)
    listed = []
    ids = sorted(nodes.keys() & wanted["InstanceIds"] if "InstanceIds" in wanted else nodes.keys())
    for instance_id in ids:
        backend = nodes[instance_id]
        info = {
            "InstanceId": instance_id,
            "PingStatus": "Online" if backend.is_online(instance_id) else "ConnectionLost",
            "LastPingDateTime": now,
            "AgentVersion": AGENT_VERSION,
            "IsLatestVersion": True,
            "PlatformType": "Linux",
            "PlatformName": "Red Hat Enterprise Linux",
            "PlatformVersion": "9.4",
            "ResourceType": "EC2Instance",
            "IPAddress": private_ips.get(instance_id, ""),
            "ComputerName": instance_id,
        }
        checks = {
            "InstanceIds": info["InstanceId"],
            "PingStatus": info["PingStatus"],
            "ResourceType": info["ResourceType"],
            "PlatformTypes": info["PlatformType"],
        }
        if all(checks[key] in values for key, values in wanted.items()):
            listed.append(info)
    return {"InstanceInformationList": listed}


def command_invocations(commands: Iterable[Any], instance_id: str | None, details: bool) -> dict[str, Any]:
    """The ListCommandInvocations response built from moto's commands and our invocation dicts."""
    listed = []
    for command in commands:
        for invocation in command.invocations:
            if instance_id and invocation["InstanceId"] != instance_id:
                continue
            item = {
                "CommandId": invocation["CommandId"],
                "InstanceId": invocation["InstanceId"],
                "Comment": invocation["Comment"],
                "DocumentName": invocation["DocumentName"],
                "RequestedDateTime": command.requested_date_time,
                "Status": invocation["Status"],
                "StatusDetails": invocation["StatusDetails"],
                "StandardOutputUrl": "",
                "StandardErrorUrl": "",
            }
            if details:
                item["CommandPlugins"] = [
                    {
                        "Name": invocation["PluginName"],
                        # A plugin has no Delayed status: it has not started, so it is Pending.
                        "Status": "Pending" if invocation["Status"] == "Delayed" else invocation["Status"],
                        "StatusDetails": invocation["StatusDetails"],
                        "ResponseCode": invocation["ResponseCode"],
                        # ListCommandInvocations reports only the first 2,500 characters.
                        "Output": invocation["StandardOutputContent"][:2500],
                    }
                ]
            listed.append(item)
    return {"CommandInvocations": listed}
