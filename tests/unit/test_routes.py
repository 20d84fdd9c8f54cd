"""Which ENI the virtual IP's /32 route points at (DescribeRouteTables output)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from hadrill.errors import RouteError
from hadrill.routes import vip_route_target

FIXTURES = Path(__file__).parent / "fixtures"


def load(name: str) -> list[dict[str, Any]]:
    tables: list[dict[str, Any]] = json.loads((FIXTURES / name).read_text())
    return tables


def test_both_tables_agree() -> None:
    """Route in both clustering subnets' tables, both to the primary's ENI."""
    assert vip_route_target(load("route_tables_primary.json"), "10.255.0.10") == "eni-0primary000000001"


def test_tables_disagree() -> None:
    """Half-moved route: the tables point at different ENIs -> error naming both."""
    with pytest.raises(RouteError, match=r"disagree.*eni-0primary000000001.*eni-0standby000000002"):
        vip_route_target(load("route_tables_disagree.json"), "10.255.0.10")


def test_blackhole() -> None:
    with pytest.raises(RouteError, match="blackhole"):
        vip_route_target(load("route_tables_blackhole.json"), "10.255.0.10")


def test_missing_route() -> None:
    with pytest.raises(RouteError, match=r"no route for 10\.9\.9\.9/32"):
        vip_route_target(load("route_tables_primary.json"), "10.9.9.9")


def test_route_to_instance_not_eni() -> None:
    tables = [{"RouteTableId": "rtb-1", "Routes": [{"DestinationCidrBlock": "10.255.0.10/32", "InstanceId": "i-1"}]}]
    with pytest.raises(RouteError, match="does not point at a network interface"):
        vip_route_target(tables, "10.255.0.10")
