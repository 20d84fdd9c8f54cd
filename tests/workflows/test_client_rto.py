"""The client-visible RTO in the local world (issue 17): the probe follows the VIP route in moto to the
simulated nodes' hulrcvd listeners; a receive port that stays closed after the takeover FAILS the drill."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from simulator import Knobs, Timings
from support.drill_world import DrillWorld, drill_world

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def world() -> Iterator[DrillWorld]:
    with drill_world(timings=Timings.fast()) as shared:
        yield shared


def test_closed_receive_port_fails_the_drill_with_the_reason(world: DrillWorld) -> None:
    world.set_knobs(Knobs(receive_port_closed_after_takeover=True))
    try:
        run = world.run(scenario="network-down", takeoverTimeoutSeconds=30)
    finally:
        world.set_knobs(Knobs())
    assert run.outcome == "FAILED"
    report = run.report
    assert report is not None
    # The node side passed: the takeover happened and the daemons are up on the standby.
    assert report["rto_seconds"] is not None and report["to_node"] == world.facts.secondary.name
    assert run.check(f"{world.facts.secondary.name}: HULFT daemons running")["passed"]
    check = run.check("clients reach the VIP's receive port")
    assert not check["passed"]
    target = f"{world.facts.virtual_ip}:{world.config.hulft.receive_port}"
    assert f"no TCP connect to {target} succeeded" in check["detail"]
    assert f"partners cannot reach HULFT on {world.facts.secondary.name}" in check["detail"]
    assert report["reason"].startswith("clients reach the VIP's receive port: no TCP connect")
    client = report["client_rto"]
    assert client["seconds"] is None and client["passed"] is False and client["failures"] >= 1
    # The drill still recovered and switched back, and the probe stopped.
    assert report["recovery"]["recovered"] is True and report["switchback"]["switched_back"] is True
    assert world.world.async_invocations.join(5.0) == []


def test_probe_reaches_the_vip_only_through_the_route(world: DrillWorld) -> None:
    """The seam follows moto's route table: pointed at no node's ENI, the VIP does not answer."""
    seam = world.world.vip_seam()
    tables = list(world.facts.route_table_ids)
    port = world.config.hulft.receive_port
    assert seam.resolve(world.facts.virtual_ip, port, tables).port is not None
    assert seam.resolve("10.9.9.9", port, tables).unanswered.startswith("no route")
    assert seam.resolve(world.facts.virtual_ip, port + 1, tables).refused


def test_the_seam_follows_a_route_replaced_between_two_connects(world: DrillWorld) -> None:
    """The seam keeps the route tables it described until moto changes a route: a ReplaceRoute (by the
    EC2 Recovery Kit at takeover, or anyone) is seen by the very next resolve, and without a change the
    tables are not described again."""
    seam = world.world.vip_seam()
    tables = list(world.facts.route_table_ids)
    port = world.config.hulft.receive_port
    vip = world.facts.virtual_ip
    ec2 = world.world.client("ec2")
    active = seam.resolve(vip, port, tables).port
    assert active is not None
    described = []
    real = seam._ec2
    seam._ec2 = lambda: described.append(1) or real()  # type: ignore[method-assign]
    try:
        assert seam.resolve(vip, port, tables).port == active
        assert described == []  # answered from the tables it kept
        table = ec2.describe_route_tables(RouteTableIds=tables[:1])["RouteTables"][0]
        route = next(r for r in table["Routes"] if r.get("DestinationCidrBlock") == f"{vip}/32")
        other = next(n.eni_id for n in world.facts.nodes if n.eni_id != route["NetworkInterfaceId"])
        for t in tables:
            ec2.replace_route(RouteTableId=t, DestinationCidrBlock=f"{vip}/32", NetworkInterfaceId=other)
        moved = seam.resolve(vip, port, tables)
        assert described  # described again after the change
        assert moved.port != active  # now the other node's listener (or that node's answer)
    finally:
        seam._ec2 = real  # type: ignore[method-assign]
        for t in tables:
            ec2.replace_route(
                RouteTableId=t, DestinationCidrBlock=f"{vip}/32", NetworkInterfaceId=route["NetworkInterfaceId"]
            )


def test_a_route_change_in_another_table_keeps_the_tables_described(world: DrillWorld) -> None:
    """In a fleet every cluster's takeover replaces its own route: another cluster's tables stay as described.
    A change the world cannot place in one table (an association's) makes every table be described again."""
    seam = world.world.vip_seam()
    tables = list(world.facts.route_table_ids)
    port, vip = world.config.hulft.receive_port, world.facts.virtual_ip
    ec2 = world.world.client("ec2")
    assert seam.resolve(vip, port, tables).port is not None
    vpc = ec2.describe_route_tables(RouteTableIds=tables[:1])["RouteTables"][0]["VpcId"]
    elsewhere = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
    described: list[int] = []
    real = seam._ec2
    seam._ec2 = lambda: described.append(1) or real()  # type: ignore[method-assign]
    try:
        ec2.create_route(RouteTableId=elsewhere, DestinationCidrBlock="10.200.0.1/32", GatewayId="local")
        assert seam.resolve(vip, port, tables).port is not None and described == []
        association = ec2.associate_route_table(RouteTableId=elsewhere, GatewayId="vgw-00000000")["AssociationId"]
        ec2.disassociate_route_table(AssociationId=association)
        assert seam.resolve(vip, port, tables).port is not None and described == [1]
    finally:
        seam._ec2 = real  # type: ignore[method-assign]
