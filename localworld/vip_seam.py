"""The VIP as a partner in the clustering subnets reaches it, in the local world.

Seam: ``hadrill.client_probe.tcp_connect(host, port, timeout)``, the client probe's one network call. In
AWS the probe connects to ``virtual_ip:receive_port`` and the VPC delivers the SYN along the /32 route to
the active node's ENI. Here the VIP is no address on this machine, so the seam does what the VPC does,
through the EC2 API in moto: DescribeRouteTables on the cluster's route tables (the probe function's
HADRILL_CLUSTER names them) -> the ENI the VIP route points at -> DescribeNetworkInterfaces -> the
instance -> its simulated node -> that node's hulrcvd listener on a loopback port (simulator/listener.py),
and connects there for real. A node that is off or cut off does not answer (the connect times out, as a
SYN into a dead ENI does); an online node whose hulrcvd does not listen refuses.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Callable
from typing import Any

from hadrill.errors import RouteError
from hadrill.routes import vip_route_target


class WorldClosed(RuntimeError):
    """The world is closing: a probe still running stops here instead of reaching for the real network."""


class VipSeam:
    def __init__(self, ec2: Callable[[], Any], connect: Callable[[str, int, float], tuple[bool, str]]) -> None:
        self._ec2 = ec2
        self._connect = connect  # the real tcp_connect, to the loopback listener
        self._lock = threading.Lock()
        # instance id -> (the node's receive port listener, the configured receive port, is the node online?)
        self._nodes: dict[str, tuple[Any, int, Callable[[], bool]]] = {}
        self.closed = False

    def register(self, instance_id: str, listener: Any, receive_port: int, online: Callable[[], bool]) -> None:
        with self._lock:
            self._nodes[instance_id] = (listener, receive_port, online)

    def connect(self, host: str, port: int, timeout: float) -> tuple[bool, str]:
        if self.closed:
            raise WorldClosed("the local world is closing")
        facts = json.loads(os.environ.get("HADRILL_CLUSTER", "{}"))  # the calling function's own
        if host != facts.get("virtual_ip"):
            return self._unanswered(timeout, f"no route to {host} in the local world")
        ec2 = self._ec2()
        tables = ec2.describe_route_tables(RouteTableIds=list(facts.get("route_table_ids", [])))["RouteTables"]
        try:
            eni = vip_route_target(tables, host)
        except RouteError as error:
            return self._unanswered(timeout, f"no route: {error}")
        interfaces = ec2.describe_network_interfaces(NetworkInterfaceIds=[eni])["NetworkInterfaces"]
        instance_id = (interfaces[0].get("Attachment") or {}).get("InstanceId") if interfaces else None
        with self._lock:
            node = self._nodes.get(str(instance_id))
        if node is None:
            return self._unanswered(timeout, f"{eni} is attached to no simulated node")
        listener, receive_port, online = node
        if not online():
            return self._unanswered(timeout, "timed out")
        if port != receive_port:
            return False, "connection refused"  # nothing listens on another port of the node
        return self._connect("127.0.0.1", int(listener.port), timeout)

    @staticmethod
    def _unanswered(timeout: float, detail: str) -> tuple[bool, str]:
        time.sleep(timeout)  # a SYN nobody answers: the connect waits its whole timeout
        return False, detail
