"""The simulator's bare start (what `cdk deploy` gives) and the base it learns: license, lkstart, comm
paths ALIVE/DEAD, the IP/EC2 resources moving the VIP route, the DataKeeper mirror and its resync."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from hadrill.lcdstatus import PathState, parse_lcdstatus
from simulator import SimulatedCluster, Timings
from simulator.scenario import LK_LICENSE
from support.waiting import wait_until


@pytest.fixture
def bare(tmp_path: Path) -> Iterator[SimulatedCluster]:
    with SimulatedCluster(tmp_path, name="bc", timings=Timings.fast(), bare=True) as simulated:
        yield simulated


def sh(cluster: SimulatedCluster, node: int, *argv: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {
        "PATH": f"{cluster.root / 'bin'}:/usr/bin:/bin",
        "HADRILL_SIM_STATE": str(cluster.root),
        "HADRILL_SIM_NODE": cluster.nodes[node].name,
    }
    return subprocess.run(list(argv), capture_output=True, text=True, env=env, check=False, timeout=10, cwd=cwd)


def start(cluster: SimulatedCluster, node: int, tmp_path: Path) -> None:
    license_file = tmp_path / f"lk-{node}.lic"
    license_file.write_text(LK_LICENSE)
    assert sh(cluster, node, "lkkeyins", str(license_file)).returncode == 0
    assert sh(cluster, node, "lkstart").returncode == 0
    wait_until(lambda: sh(cluster, node, "lktest").returncode == 0)


def test_bare_nodes_have_lifekeeper_installed_and_nothing_else(bare: SimulatedCluster) -> None:
    with pytest.raises(ValueError, match="either bare"):
        SimulatedCluster(bare.root.parent / "x", name="x", bare=True, installed=True)
    for node in (0, 1):
        assert sh(bare, node, "lktest").returncode == 1
        assert "not appear to be running" in sh(bare, node, "lcdstatus", "-q").stdout
        assert sh(bare, node, "rpm", "-q", "steeleye-lk").stdout.startswith("steeleye-lk-9.8.1")
        assert sh(bare, node, "lsblk", "-dno", "FSTYPE", bare.data_device).stdout == "\n"
        assert sh(bare, node, "mountpoint", "-q", str(bare.nodes[node].fs / "data")).returncode == 32
    assert "no mirror resource" in sh(bare, 0, "mirror_status", "datarep-data").stderr
    assert bare.active_node() is None
    assert bare.vip_route_target() == bare.nodes[0].eni  # the route the cluster stack created


def test_lkstart_needs_a_license(bare: SimulatedCluster, tmp_path: Path) -> None:
    refused = sh(bare, 0, "lkstart")
    assert refused.returncode == 1 and "no valid license key" in refused.stderr
    bogus = tmp_path / "bogus.lic"
    bogus.write_text("hello\n")
    assert sh(bare, 0, "lkkeyins", str(bogus)).returncode == 1
    start(bare, 0, tmp_path)
    assert (bare.nodes[0].fs / "opt/LifeKeeper/config/LK_INITDONE").exists()


def test_a_started_node_with_nothing_on_it_prints_only_the_resource_header(
    bare: SimulatedCluster, tmp_path: Path
) -> None:
    """LifeKeeper 9.8.1 running with no comm paths and no resources: `lcdstatus -q` prints the
    `LOCAL TAG ID STATE PRIO PRIMARY` line and nothing else (docs/vendor-commands.md)."""
    start(bare, 0, tmp_path)
    out = sh(bare, 0, "lcdstatus", "-q").stdout
    assert [line.split() for line in out.splitlines()] == [["LOCAL", "TAG", "ID", "STATE", "PRIO", "PRIMARY"]]
    status = parse_lcdstatus(out)
    assert status.resources == () and status.comm_paths == ()


def test_the_kit_refuses_to_mirror_a_whole_disk(bare: SimulatedCluster, tmp_path: Path) -> None:
    """The DataKeeper stand-in refuses a whole disk (SIOS's own scripts always mirror a partition or an
    LVM volume); a logical volume made with vgcreate/lvcreate is accepted."""
    start(bare, 0, tmp_path)
    dk = ("lkcli", "resource", "create", "dk", "--tag", "datarep-data", "--mode", "synchronous")
    rest = ("--fstype", "xfs", "--mount_point", "/data", "--fstag", "/data", "--hierarchy", "new")
    whole = sh(bare, 0, *dk, "--device", bare.data_device, *rest)
    assert whole.returncode == 1 and "is a whole disk" in whole.stderr
    assert sh(bare, 0, "vgcreate", "-f", "vg1", bare.data_device).returncode == 0
    assert sh(bare, 0, "lvcreate", "-y", "--name", "lv1", "-l", "100%FREE", "vg1").returncode == 0
    assert sh(bare, 0, "lsblk", "-dno", "TYPE", "/dev/mapper/vg1-lv1").stdout == "lvm\n"
    assert sh(bare, 0, "lsblk", "-dno", "FSTYPE", bare.data_device).stdout == "LVM2_member\n"
    assert sh(bare, 0, "lvdisplay", "vg1/lv1").returncode == 0 and sh(bare, 0, "lvdisplay", "vg1/x").returncode == 5
    volume = sh(bare, 0, *dk, "--device", "/dev/mapper/vg1-lv1", *rest)
    assert volume.returncode == 0, volume.stderr


def test_comm_paths_come_alive_with_both_sides_and_die_with_the_network(bare: SimulatedCluster, tmp_path: Path) -> None:
    start(bare, 0, tmp_path)
    start(bare, 1, tmp_path)
    a, b = bare.nodes
    for node, this, peer in ((0, a, b), (1, b, a)):
        assert sh(bare, node, "sys_create", "-d", this.name, "-s", peer.name).returncode == 0
        assert sh(bare, node, "sys_create", "-d", this.name, "-s", peer.name).returncode == 4
        assert sh(bare, node, "sys_list").stdout.split() == [this.name, peer.name]
    net = ("net_create", "-d", a.name, "-n", "TCP", "-r", b.addresses[0], "-l", a.addresses[0], "-s", b.name)
    assert sh(bare, 0, *net).returncode == 0
    one_side = parse_lcdstatus(sh(bare, 0, "lcdstatus", "-q").stdout)
    assert [(p.addresses, p.state) for p in one_side.comm_paths] == [
        (f"{a.addresses[0]}/{b.addresses[0]}", PathState.DEAD)
    ]
    back = ("net_create", "-d", b.name, "-n", "TCP", "-r", a.addresses[0], "-l", b.addresses[0], "-s", a.name)
    assert sh(bare, 1, *back).returncode == 0

    def states(node: int) -> set[PathState]:
        return {p.state for p in parse_lcdstatus(sh(bare, node, "lcdstatus", "-q").stdout).comm_paths}

    wait_until(lambda: states(0) == states(1) == {PathState.ALIVE})
    assert states(0) == states(1) == {PathState.ALIVE}
    with bare.engine.lock:
        bare.engine.node_lost(b, "test")
    wait_until(lambda: states(0) == {PathState.DEAD})
    assert states(0) == {PathState.DEAD}


def test_resync_climbs_then_the_mirror_is_in_sync(tmp_path: Path) -> None:
    timings = Timings(**{**Timings.fast().__dict__, "resync_seconds": 0.8})
    with SimulatedCluster(tmp_path, name="rc", timings=timings) as cluster:
        cluster.engine.start_resync()
        seen: list[str] = []
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            text = sh(cluster, 0, "mirror_status", "datarep-data").stdout
            seen.append(text.rsplit(":", 1)[-1].strip())
            if "Fully Operational" in text:
                break
            time.sleep(0.05)
        percents = [int(p) for p in seen]
        assert percents[-1] == 100 and percents == sorted(percents) and len(set(percents)) >= 4


def test_the_ec2_resource_points_the_vip_route_at_its_node(bare: SimulatedCluster, tmp_path: Path) -> None:
    start(bare, 1, tmp_path)
    b = bare.nodes[1]
    created = sh(
        bare, 1, "lkcli", "resource", "create", "ip", "--tag", "ip-vip", "--ipaddr", bare.virtual_ip, "--device", "eth0"
    )
    assert created.returncode == 0, created.stderr
    create_ec2 = ("lkcli", "resource", "create", "ec2", "--tag", "ec2-vip", "--type", "RouteTable", "--ip_resource")
    assert sh(bare, 1, *create_ec2, "nope").returncode == 1
    ec2 = sh(bare, 1, *create_ec2, "ip-vip")
    assert ec2.returncode == 0, ec2.stderr
    assert bare.vip_route_target() == b.eni and bare.active_node() == b.name
    status = parse_lcdstatus(sh(bare, 1, "lcdstatus", "-q").stdout)
    assert [r.tag for r in status.hierarchy("ec2-vip")] == ["ec2-vip", "ip-vip"]
