"""Which network interface the virtual IP's /32 route points at."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from hadrill.errors import RouteError


def vip_route_target(route_tables: Sequence[Mapping[str, Any]], virtual_ip: str) -> str:
    """The ENI id that every ``<virtual_ip>/32`` route points at.

    ``route_tables`` is ``DescribeRouteTables``' ``RouteTables`` list. Every table that carries
    the route must agree; a blackhole route or a route to something other than an ENI is an error.
    """
    destination = f"{virtual_ip}/32"
    targets: dict[str, str] = {}
    for table in route_tables:
        table_id = str(table.get("RouteTableId", "?"))
        for route in table.get("Routes", []):
            if route.get("DestinationCidrBlock") != destination:
                continue
            if route.get("State") == "blackhole":
                raise RouteError(f"route {destination} in {table_id} is a blackhole (its ENI is gone)")
            eni = route.get("NetworkInterfaceId")
            if not eni:
                raise RouteError(f"route {destination} in {table_id} does not point at a network interface")
            targets[table_id] = str(eni)
    if not targets:
        raise RouteError(f"no route for {destination} in {len(route_tables)} route table(s)")
    distinct = sorted(set(targets.values()))
    if len(distinct) > 1:
        detail = ", ".join(f"{t} -> {e}" for t, e in sorted(targets.items()))
        raise RouteError(f"route tables disagree on {destination}: {detail}")
    return distinct[0]
