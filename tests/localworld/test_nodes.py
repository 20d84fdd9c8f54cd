"""The EC2 API and several clusters: actions reach the right simulated node, and only it."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError
from lw_fakes import FakeCluster  # type: ignore[import-not-found]
from lw_support import NODES, OTHER_NODES, wait_status  # type: ignore[import-not-found]

from localworld import LocalWorld, WorldError


# -- EC2 ---------------------------------------------------------------------------------------
def test_ec2_actions_reach_the_simulated_node(world: LocalWorld, cluster: FakeCluster) -> None:
    ec2 = world.client("ec2")
    names = {
        i["InstanceId"]: {t["Key"]: t["Value"] for t in i["Tags"]}["Name"]
        for r in ec2.describe_instances()["Reservations"]
        for i in r["Instances"]
    }
    assert names == {NODES[0]: "primary", NODES[1]: "secondary"}

    ec2.stop_instances(InstanceIds=[NODES[0]])
    with pytest.raises(ClientError, match="InvalidInstanceId"):  # SSM refuses a stopped instance
        world.client("ssm").send_command(InstanceIds=[NODES[0]], DocumentName="Echo")
    ec2.start_instances(InstanceIds=[NODES[0]])
    ec2.reboot_instances(InstanceIds=[NODES[1]])
    assert cluster.actions == [("stop", NODES[0]), ("start", NODES[0]), ("reboot", NODES[1])]
    assert world.ssm.commands_sent == 0


def test_unknown_instance_is_refused(world: LocalWorld) -> None:
    with pytest.raises(ClientError, match="InvalidInstanceId"):
        world.client("ssm").send_command(InstanceIds=["i-0123456789abcdef0"], DocumentName="Echo")


def test_two_clusters_in_one_world_do_not_cross_talk(world: LocalWorld, cluster: FakeCluster) -> None:
    other = FakeCluster(OTHER_NODES, delay_s=0)
    world.add_nodes(other)
    cluster.delay_s = 0
    ssm = world.client("ssm")
    first = ssm.send_command(InstanceIds=[NODES[0]], DocumentName="Echo")["Command"]["CommandId"]
    second = ssm.send_command(InstanceIds=list(OTHER_NODES), DocumentName="Echo")["Command"]["CommandId"]
    world.client("ec2").stop_instances(InstanceIds=[OTHER_NODES[1]])

    assert wait_status(world, first, NODES[0])["StandardOutputContent"].startswith(NODES[0])
    assert wait_status(world, second, OTHER_NODES[1])["StandardOutputContent"].startswith(OTHER_NODES[1])
    assert [run[0] for run in cluster.runs] == [NODES[0]]
    assert sorted(run[0] for run in other.runs) == sorted(OTHER_NODES)
    assert (cluster.actions, other.actions) == ([], [("stop", OTHER_NODES[1])])
    with pytest.raises(WorldError, match="already registered"):
        world.add_nodes(FakeCluster(NODES))
