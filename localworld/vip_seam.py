"""The VIP as a partner in the clustering subnets reaches it, in the local world.

Seam: ``hadrill.client_probe.tcp_connect(host, port, timeout)``, the client probe's one network call. In
AWS the probe connects to ``virtual_ip:receive_port`` and the VPC delivers the SYN along the /32 route to
the active node's ENI. Here the VIP is no address on this machine, so the seam does what the VPC does,
through the EC2 API in moto: DescribeRouteTables (the route tables the probe's subnets use) -> the ENI the
VIP route points at -> DescribeNetworkInterfaces -> the instance -> its simulated node -> that node's
hulrcvd listener on a loopback port (simulator/listener.py), and connects there for real. A node that is
off or cut off does not answer (the connect times out, as a SYN into a dead ENI does); an online node
whose hulrcvd does not listen refuses.

Two ways in: in-process functions (the local runner) call ``connect`` through the patched tcp_connect,
with the route tables their HADRILL_CLUSTER names; deployed functions on the local endpoint run in
processes of their own, whose worker (localworld/lambda_worker.py) asks the endpoint's ``/_hadrill/vip``
path, answered by ``resolve_for_function`` from the function's own VpcConfig (its subnets' VPC).
"""

from __future__ import annotations

import inspect
import json
import os
import threading
import time
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass
from typing import Any
from unittest import mock

from hadrill.errors import RouteError
from hadrill.routes import vip_route_target

# The endpoint's path for deployed functions' connects (localworld/lambda_worker.py asks it).
ENDPOINT_PATH = "/_hadrill/vip"
ENV_ENDPOINT_SEAM = "HADRILL_LOCAL_VIP_SEAM"


class WorldClosed(RuntimeError):
    """The world is closing: a probe still running stops here instead of reaching for the real network."""


@dataclass(frozen=True)
class Resolution:
    """Where a connect to the VIP goes: a loopback port, or nowhere (``unanswered``: the SYN times out)."""

    port: int | None = None
    unanswered: str = ""
    refused: bool = False

    def as_json(self) -> dict[str, Any]:
        return {"port": self.port, "unanswered": self.unanswered, "refused": self.refused}


class VipSeam:
    def __init__(self, ec2: Callable[[], Any], connect: Callable[[str, int, float], tuple[bool, str]]) -> None:
        self._ec2 = ec2
        self._connect = connect  # the real tcp_connect, to the loopback listener
        self._lock = threading.Lock()
        # instance id -> (the node's receive port listener, the configured receive port, is the node online?)
        self._nodes: dict[str, tuple[Any, int, Callable[[], bool]]] = {}
        self.closed = False
        self._attached: dict[str, str] = {}  # ENI id -> the instance it is attached to
        # The route tables as last described, per set of ids, with the route versions they were read at.
        # The world counts every route change (route_changed) per table, and every change it cannot place
        # in one table for all; a connect then reads the route as it is now without a DescribeRouteTables
        # per connect (ten probes every 200 ms in a fleet), and one cluster's takeover does not make the
        # other clusters' probes describe their tables again.
        self._changes_anywhere = 0
        self._table_changes: dict[str, int] = {}
        self._tables: dict[tuple[str, ...], tuple[tuple[int, ...], list[dict[str, Any]]]] = {}

    def route_changed(self, route_table_id: str | None = None) -> None:
        """A route of ``route_table_id`` was created, replaced or deleted (None: a change that may touch any
        table, as an association's): describe again."""
        with self._lock:
            if route_table_id is None:
                self._changes_anywhere += 1
            else:
                self._table_changes[route_table_id] = self._table_changes.get(route_table_id, 0) + 1

    def _versions(self, key: tuple[str, ...]) -> tuple[int, ...]:
        return (self._changes_anywhere, *(self._table_changes.get(table, 0) for table in key))

    def _route_tables(self, route_table_ids: list[str]) -> list[dict[str, Any]]:
        key = tuple(route_table_ids)
        with self._lock:
            versions = self._versions(key)
            cached = self._tables.get(key)
        if cached is not None and cached[0] == versions:
            return cached[1]
        tables: list[dict[str, Any]] = self._ec2().describe_route_tables(RouteTableIds=list(key))["RouteTables"]
        with self._lock:
            self._tables[key] = (versions, tables)  # read at ``versions``: a change since makes it stale
        return tables

    def register(
        self,
        instance_id: str,
        listener: Any,
        receive_port: int,
        online: Callable[[], bool],
        enis: tuple[str, ...] = (),
    ) -> None:
        """A node's receive port; ``enis``: its network interfaces as the route names them (known from the
        deployment: moto's CloudFormation does not record an ENI given to an instance as attached)."""
        with self._lock:
            self._nodes[instance_id] = (listener, receive_port, online)
            for eni in enis:
                self._attached[eni] = instance_id

    # -- in-process functions ----------------------------------------------------------------------
    def connect(self, host: str, port: int, timeout: float) -> tuple[bool, str]:
        if self.closed:
            raise WorldClosed("the local world is closing")
        facts = json.loads(os.environ.get("HADRILL_CLUSTER", "{}"))  # the calling function's own
        if host != facts.get("virtual_ip"):
            return self._unanswered(timeout, f"no route to {host} in the local world")
        where = self.resolve(host, port, list(facts.get("route_table_ids", [])))
        if where.port is None:
            if where.refused:
                return False, "connection refused"
            return self._unanswered(timeout, where.unanswered)
        return self._connect("127.0.0.1", where.port, timeout)

    @staticmethod
    def _unanswered(timeout: float, detail: str) -> tuple[bool, str]:
        time.sleep(timeout)  # a SYN nobody answers: the connect waits its whole timeout
        return False, detail

    # -- the route, as the VPC follows it ---------------------------------------------------------
    def resolve(self, host: str, port: int, route_table_ids: list[str]) -> Resolution:
        tables = self._route_tables(route_table_ids) if route_table_ids else []
        try:
            eni = vip_route_target(tables, host)
        except RouteError as error:
            return Resolution(unanswered=f"no route: {error}")
        instance_id = self._attached.get(eni)
        if instance_id is None:  # an ENI stays attached to its node: asked once, kept
            interfaces = self._ec2().describe_network_interfaces(NetworkInterfaceIds=[eni])["NetworkInterfaces"]
            instance_id = (interfaces[0].get("Attachment") or {}).get("InstanceId") if interfaces else None
            if instance_id:
                self._attached[eni] = str(instance_id)
        with self._lock:
            node = self._nodes.get(str(instance_id))
        if node is None:
            return Resolution(unanswered=f"{eni} is attached to no simulated node")
        listener, receive_port, online = node
        if not online():
            return Resolution(unanswered="timed out")
        if port != receive_port:
            return Resolution(refused=True)  # nothing listens on another port of the node
        return Resolution(port=int(listener.port))

    def resolve_for_function(self, function_vpc_config: dict[str, Any] | None, host: str, port: int) -> Resolution:
        """For a deployed function: the route tables of its subnets' VPC that carry the VIP's route."""
        subnets = list((function_vpc_config or {}).get("SubnetIds") or [])
        if not subnets:
            return Resolution(unanswered="the function is in no VPC: the VIP is not reachable from it")
        ec2 = self._ec2()
        vpc_ids = sorted({s["VpcId"] for s in ec2.describe_subnets(SubnetIds=subnets)["Subnets"]})
        tables = ec2.describe_route_tables(
            Filters=[
                {"Name": "vpc-id", "Values": vpc_ids},
                {"Name": "route.destination-cidr-block", "Values": [f"{host}/32"]},
            ]
        )["RouteTables"]
        return self.resolve(host, port, [t["RouteTableId"] for t in tables])


# moto's route table operations that can change where the VIP's /32 route leads.
ROUTE_CHANGES = (
    "create_route",
    "replace_route",
    "delete_route",
    "associate_route_table",
    "disassociate_route_table",
    "replace_route_table_association",
    "delete_route_table",
)

# Those that change the routes of the one table they name; an association change also touches the table
# the subnet leaves, which it does not name, so it counts for every table.
ONE_TABLE_CHANGES = frozenset({"create_route", "replace_route", "delete_route", "delete_route_table"})


def follow_route_changes(stack: ExitStack, changed: Callable[[str | None], None]) -> None:
    """Tell ``changed`` the route table after each of moto's route table changes (however it is called: the
    SDK in this process, or the local endpoint's server), None when the change names no table (a
    disassociation); undone when ``stack`` closes."""
    from moto.ec2.models.route_tables import RouteBackend

    for name in ROUTE_CHANGES:
        original = getattr(RouteBackend, name)
        signature = inspect.signature(original)

        def wrapped(
            self: Any, *args: Any, _original: Any = original, _signature: Any = signature, **kwargs: Any
        ) -> Any:
            try:
                return _original(self, *args, **kwargs)
            finally:
                table = _signature.bind_partial(self, *args, **kwargs).arguments.get("route_table_id")
                changed(table if isinstance(table, str) and _original.__name__ in ONE_TABLE_CHANGES else None)

        stack.enter_context(mock.patch.object(RouteBackend, name, wrapped))
