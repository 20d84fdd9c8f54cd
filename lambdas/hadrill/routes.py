"""Which network interface the virtual IP's /32 route points at."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from hadrill.errors import RouteError, shown


def vip_route_target(route_tables: Sequence[Mapping[str, Any]], virtual_ip: str) -> str:
    """The ENI id that every ``<virtual_ip>/32`` route points at.

    ``route_tables`` is ``DescribeRouteTables``' ``RouteTables`` list. Every table that carries
    the route must agree; a blackhole route or a route to something other than an ENI is an error.
    A shape boto3 never returns (a table or route that is not an object, Routes not a list, an ENI
    id that is not a string) is a RouteError too, never an AttributeError or TypeError.
    """
    destination = f"{virtual_ip}/32"
    if not isinstance(route_tables, Sequence) or isinstance(route_tables, str | bytes):
        raise RouteError(f"DescribeRouteTables returned {type(route_tables).__name__}, not a list of route tables")
    targets: dict[str, str] = {}
    for table in route_tables:
        if not isinstance(table, Mapping):
            raise RouteError(f"a route table is {shown(table)}, not an object")
        table_id = shown(table.get("RouteTableId", "?")).strip("'")
        routes = table.get("Routes", [])
        if not isinstance(routes, Sequence) or isinstance(routes, str | bytes):
            raise RouteError(f"Routes of {table_id} is {shown(routes)}, not a list")
        for route in routes:
            if not isinstance(route, Mapping):
                raise RouteError(f"a route in {table_id} is {shown(route)}, not an object")
            if route.get("DestinationCidrBlock") != destination:
                continue
            if route.get("State") == "blackhole":
                raise RouteError(f"route {destination} in {table_id} is a blackhole (its ENI is gone)")
            eni = route.get("NetworkInterfaceId")
            if not eni:
                raise RouteError(f"route {destination} in {table_id} does not point at a network interface")
            if not isinstance(eni, str):
                raise RouteError(f"route {destination} in {table_id} names interface {shown(eni)}, not an id")
            targets[table_id] = eni
    if not targets:
        raise RouteError(f"no route for {destination} in {len(route_tables)} route table(s)")
    distinct = sorted(set(targets.values()))
    if len(distinct) > 1:
        detail = ", ".join(f"{t} -> {shown(e)}" for t, e in sorted(targets.items())[:6])
        raise RouteError(f"route tables disagree on {destination}: {detail}")
    return distinct[0]
