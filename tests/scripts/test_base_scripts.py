"""The cluster base's scripts (license, comm paths, virtual IP, /data mirror) against bare simulated nodes."""

from __future__ import annotations

import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from hadrill.lcdstatus import ResourceState, parse_lcdstatus
from simulator import Knobs, SimulatedCluster, Timings
from simulator.scenario import (
    LK_LICENSE,
    LK_SECRET_ID,
    base_steps,
    build_base,
    comm_path_parameters,
    run,
    run_with,
    seed,
    set_up,
)
from support.cluster_files import snapshot


@pytest.fixture
def bare(tmp_path: Path) -> Iterator[SimulatedCluster]:
    with SimulatedCluster(tmp_path, name="bs", timings=Timings.fast(), bare=True) as simulated:
        seed(simulated)
        yield simulated


def start_lifekeeper(cluster: SimulatedCluster) -> None:
    for node in (0, 1):
        assert run(cluster, node, "LicenseAndStart", SecretId=LK_SECRET_ID).outcome.response_code == 0


def both_comm_paths(cluster: SimulatedCluster, **changes: str) -> list[dict[str, object]]:
    with ThreadPoolExecutor(max_workers=2) as pool:
        ran = list(
            pool.map(
                lambda node: run_with(cluster, node, "CommPaths", {**comm_path_parameters(cluster, node), **changes}),
                (0, 1),
            )
        )
    return [r.result for r in ran]


def test_base_from_bare_then_again_changes_nothing(bare: SimulatedCluster) -> None:
    first = build_base(bare)
    assert all(ran.result["changed"] is True for ran in first), [r.result["message"] for r in first]
    assert "NOBCASTPING=1 set" in first[0].result["message"]
    for node in bare.nodes:  # the EC2 Recovery Kit's route-table scenario needs it on both nodes
        assert "NOBCASTPING=1" in (node.fs / "etc/default/LifeKeeper").read_text().splitlines()
    before = snapshot(bare)
    again = build_base(bare)
    for ran in again:
        assert ran.result["changed"] is False and "already" in ran.result["message"], ran.result
    assert snapshot(bare) == before
    primary = parse_lcdstatus(run(bare, 0, "NodeStatus", LogicalHost="hulft-vip").result["lcdstatus"])
    assert primary.resource("ec2-vip").state is ResourceState.IN_SERVICE  # type: ignore[union-attr]
    assert [r.tag for r in primary.hierarchy("ec2-vip")] == ["ec2-vip", "ip-vip"]
    assert [r.tag for r in primary.hierarchy("/data")] == ["/data", "datarep-data"]


def test_license_is_never_printed_and_a_bad_one_is_refused(bare: SimulatedCluster) -> None:
    ran = run(bare, 0, "LicenseAndStart", SecretId=LK_SECRET_ID)
    assert ran.outcome.response_code == 0 and ran.result["version"] == "9.8.1-7160"
    assert "SIGN=" not in ran.outcome.stdout + ran.outcome.stderr
    assert not list((bare.nodes[0].fs / "tmp").glob("hadrill-lk.*")), "the license file is removed"
    bare.put_secret("hadrill/not-a-license", "serial=123\n")
    refused = run(bare, 1, "LicenseAndStart", SecretId="hadrill/not-a-license")
    assert refused.outcome.response_code == 4
    assert "is not a LifeKeeper license file" in refused.result["message"]
    missing = run(bare, 1, "LicenseAndStart", SecretId="hadrill/nope")
    assert missing.outcome.response_code == 4
    assert "cannot read the LifeKeeper license secret hadrill/nope" in missing.result["message"]
    assert bare.nodes[1].lk_running is False


def test_base_steps_need_lifekeeper_running(bare: SimulatedCluster) -> None:
    for node, document, parameters in base_steps(bare)[2:]:
        ran = run_with(bare, node, document, parameters)
        assert ran.outcome.response_code == 3, (document, ran.result)
        assert "LifeKeeper is not running" in ran.result["message"]


def test_a_comm_path_with_one_side_only_is_not_alive(bare: SimulatedCluster) -> None:
    start_lifekeeper(bare)
    ran = run_with(bare, 0, "CommPaths", {**comm_path_parameters(bare, 0), "WaitSeconds": "1"})
    assert ran.outcome.response_code == 6
    a, b = bare.nodes
    assert f"{a.name} -> {b.name} TCP {a.addresses[0]}/{b.addresses[0]} is DEAD" in ran.result["message"]
    # The other side arrives: both come ALIVE, and the first node's rerun only waits.
    results = both_comm_paths(bare)
    assert [r["changed"] for r in results] == [False, True]


def test_dead_second_comm_path_is_named(bare: SimulatedCluster) -> None:
    start_lifekeeper(bare)
    bare.set_knobs(Knobs(dead_comm_path=True))
    results = both_comm_paths(bare, WaitSeconds="1")
    a, b = bare.nodes
    assert results[0]["exit_code"] == 6
    assert f"{a.name} -> {b.name} TCP {a.addresses[1]}/{b.addresses[1]} is DEAD" in str(results[0]["message"])
    assert f"{a.addresses[0]}/{b.addresses[0]}" not in str(results[0]["message"])


def test_one_address_pair_gives_one_path_and_counts_must_match(bare: SimulatedCluster) -> None:
    start_lifekeeper(bare)
    a, b = bare.nodes
    mismatch = run(
        bare, 0, "CommPaths", PeerNode=b.name, LocalAddresses=a.addresses[0], PeerAddresses=",".join(b.addresses)
    )
    assert mismatch.outcome.response_code == 4
    with ThreadPoolExecutor(max_workers=2) as pool:
        ran = list(
            pool.map(
                lambda pair: run(
                    bare, pair[0], "CommPaths", PeerNode=pair[2], LocalAddresses=pair[1], PeerAddresses=pair[3]
                ),
                [(0, a.addresses[0], b.name, b.addresses[0]), (1, b.addresses[0], a.name, a.addresses[0])],
            )
        )
    assert [r.result["paths"] for r in ran] == [
        [f"{a.addresses[0]}/{b.addresses[0]}"],
        [f"{b.addresses[0]}/{a.addresses[0]}"],
    ]


def _ready_for_resources(cluster: SimulatedCluster) -> None:
    start_lifekeeper(cluster)
    assert all(r["ok"] for r in both_comm_paths(cluster))


VOLUME = "/dev/mapper/hadrill_data-data"


def _volume(cluster: SimulatedCluster, node: int, fstype: str) -> None:
    """The data volume made by hand on a node (vgcreate + lvcreate), holding fstype ("" = none)."""
    state = cluster.nodes[node]
    with cluster.engine.lock:
        state.devices[cluster.data_device] = "LVM2_member"
        state.volume_groups["hadrill_data"] = cluster.data_device
        state.devices[VOLUME] = fstype
        state.device_types[VOLUME] = "lvm"


def test_mirror_goes_on_an_lvm_volume_on_both_nodes(bare: SimulatedCluster) -> None:
    """A whole data disk gets an LVM volume filling it on both nodes, and the mirror is on that volume,
    as SIOS's newest AWS scripts do (docs/vendor-commands.md, "DataKeeper device"); a rerun changes nothing."""
    _ready_for_resources(bare)
    standby = bare.nodes[1].name
    made = run(bare, 0, "DataMirror", TargetNode=standby, DataDevice=bare.data_device)
    assert made.outcome.response_code == 0, made.result
    message = made.result["message"]
    assert f"LVM volume hadrill_data/data on {bare.data_device}" in message
    assert f"new xfs file system on {VOLUME}" in message and f"LVM volume hadrill_data/data on {standby}" in message
    for node in bare.nodes:
        assert node.volume_groups == {"hadrill_data": bare.data_device}
        assert node.device_types[VOLUME] == "lvm"
    mirror = bare.engine.definition("datarep-data")
    assert mirror is not None and mirror.id == VOLUME
    again = run(bare, 0, "DataMirror", TargetNode=standby, DataDevice=bare.data_device)
    assert again.result["changed"] is False, again.result


def test_mirror_refuses_a_whole_disk_holding_a_file_system(bare: SimulatedCluster) -> None:
    """A file system on the whole disk (no partition, no LVM) is left alone: DataKeeper would not mirror it."""
    _ready_for_resources(bare)
    bare.nodes[0].devices[bare.data_device] = "xfs"
    ran = run(bare, 0, "DataMirror", TargetNode=bare.nodes[1].name, DataDevice=bare.data_device)
    assert ran.outcome.response_code == 4
    assert f"{bare.data_device} holds a xfs file system on the whole disk" in ran.result["message"]
    assert bare.engine.definition("datarep-data") is None and bare.nodes[0].volume_groups == {}


def test_mirror_keeps_an_existing_file_system_and_refuses_another(bare: SimulatedCluster) -> None:
    _ready_for_resources(bare)
    device = bare.data_device
    _volume(bare, 0, "ext4")
    other = run(bare, 0, "DataMirror", TargetNode=bare.nodes[1].name, DataDevice=device)
    assert (
        other.outcome.response_code == 4
        and f"{VOLUME} already holds a ext4 file system, not xfs" in other.result["message"]
    )
    _volume(bare, 0, "xfs")
    kept = run(bare, 0, "DataMirror", TargetNode=bare.nodes[1].name, DataDevice=device)
    assert kept.outcome.response_code == 0, kept.result
    assert f"existing xfs file system on {VOLUME} kept" in kept.result["message"]
    missing = run(bare, 0, "DataMirror", TargetNode=bare.nodes[1].name, DataDevice="/dev/xvdz", MirrorTag="other")
    assert missing.outcome.response_code == 4 and "data device /dev/xvdz not found" in missing.result["message"]


def test_a_partition_given_as_the_data_device_is_mirrored_as_it_is(bare: SimulatedCluster) -> None:
    """DataDevice naming a partition (as the older Quick Start made) is mirrored directly, no LVM."""
    _ready_for_resources(bare)
    partition = f"{bare.data_device}p1"
    for node in bare.nodes:
        with bare.engine.lock:
            node.devices[partition] = ""
            node.device_types[partition] = "part"
    ran = run(bare, 0, "DataMirror", TargetNode=bare.nodes[1].name, DataDevice=partition)
    assert ran.outcome.response_code == 0, ran.result
    assert "LVM" not in ran.result["message"] and bare.nodes[0].volume_groups == {}
    mirror = bare.engine.definition("datarep-data")
    assert mirror is not None and mirror.id == partition


def test_mirror_resync_is_reported_and_its_wait_bounded(tmp_path: Path) -> None:
    timings = Timings(**{**Timings.fast().__dict__, "resync_seconds": 1.0})
    with SimulatedCluster(tmp_path, name="rs", timings=timings, bare=True) as cluster:
        seed(cluster)
        _ready_for_resources(cluster)
        standby = cluster.nodes[1].name
        assert run(cluster, 0, "VirtualIpResource", TargetNode=standby, VirtualIp=cluster.virtual_ip).result["ok"]
        synced = run(cluster, 0, "DataMirror", TargetNode=standby, DataDevice=cluster.data_device)
        resync = synced.result["resync"]
        percents = [int(p["percent"]) for p in resync["progress"]]
        assert percents == sorted(percents) and percents[-1] == 100 and len(percents) >= 5
        assert resync["waited_ms"] >= 900
        cluster.set_knobs(Knobs(mirror_out_of_sync=True))
        cluster.engine.start_resync()
        started = time.monotonic()
        stuck = run(cluster, 0, "DataMirror", TargetNode=standby, DataDevice=cluster.data_device, WaitSeconds="2")
        assert time.monotonic() - started < 5
        assert stuck.outcome.response_code == 8
        assert stuck.result["resync"]["in_sync"] is False and stuck.result["resync"]["percent"] == "0"
        assert "not in sync after 2 s: 0% synced" in stuck.result["message"]


def test_takeover_brings_up_ip_then_data_then_daemons(bare: SimulatedCluster) -> None:
    build_base(bare)
    set_up(bare)
    ran = run(bare, 0, "CreateHulftResource", TargetNode=bare.nodes[1].name, VipTag="ec2-vip")
    assert "depends on ec2-vip on this node: added" in ran.result["message"]
    assert "depends on ec2-vip on bs-b: already" in ran.result["message"]
    again = run(bare, 0, "CreateHulftResource", TargetNode=bare.nodes[1].name, VipTag="ec2-vip")
    assert again.result["changed"] is False
    status = parse_lcdstatus(run(bare, 1, "NodeStatus", LogicalHost="hulft-vip").result["lcdstatus"])
    assert [r.tag for r in status.hierarchy("hulft")][:5] == ["hulft", "ec2-vip", "ip-vip", "/data", "datarep-data"]
    mark = len(bare.history())
    with bare.engine.lock:
        bare.engine.node_lost(bare.nodes[0], "test")
    deadline = time.monotonic() + 10
    while bare.active_node() != bare.nodes[1].name and time.monotonic() < deadline:
        time.sleep(0.05)
    events = [what for _, what in bare.history()[mark:]]
    order = [
        next(i for i, e in enumerate(events) if e.startswith("VIP route ->")),
        next(i for i, e in enumerate(events) if e.startswith("/data mounted")),
        next(i for i, e in enumerate(events) if e.startswith("hulobsd up")),
    ]
    assert order == sorted(order), events
    assert bare.vip_route_target() == bare.nodes[1].eni


def test_no_such_vip_tag_is_skipped_and_said(tmp_path: Path) -> None:
    with SimulatedCluster(tmp_path, name="nv", timings=Timings.fast()) as cluster:
        set_up(cluster)
        ran = run(cluster, 0, "CreateHulftResource", TargetNode=cluster.nodes[1].name, VipTag="vip-elsewhere")
        assert ran.result["changed"] is False
        assert "no resource vip-elsewhere: no dependency on the virtual IP" in ran.result["message"]


def test_license_text_is_what_lkkeyins_accepts() -> None:
    assert all(line.startswith("FEATURE ") for line in LK_LICENSE.splitlines())
