"""HADrill-ConformanceProbe against the simulated nodes: every row, each mismatch knob, read-only.

The simulator's stand-ins imitate the vendor facts named in simulator/probe_standins.py; where the real
format is unknown (lkcli --help, the installer's usage text) they say so, and these tests only show
that the probe and our reading agree.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from simulator import Knobs, SimulatedCluster, Timings
from simulator.scenario import HULFT_KEY, Ran, run, seed, stage_parameters

MEDIA_FILE = HULFT_KEY.rsplit("/", 1)[-1]
OVERRIDES = "/etc/hadrill/vendor-overrides.sh"


@pytest.fixture
def bare(tmp_path: Path) -> Iterator[SimulatedCluster]:
    """As `cdk deploy` leaves the nodes: LifeKeeper installed, not started; an empty /data volume."""
    with SimulatedCluster(tmp_path, name="hd", timings=Timings.fast(), bare=True) as simulated:
        yield simulated


def probe(cluster: SimulatedCluster, node: int = 0, **parameters: str) -> Ran:
    peer = cluster.nodes[1 - node]
    given = {
        "PeerAddresses": ",".join(peer.addresses),
        "HulftMediaFile": MEDIA_FILE,
        "ConfigureBase": "yes" if cluster.bare else "no",
        **parameters,
    }
    return run(cluster, node, "ConformanceProbe", **given)


def rows(ran: Ran) -> dict[str, dict[str, Any]]:
    return {row["id"]: row for row in ran.result["checks"]}


def not_ok(ran: Ran) -> dict[str, str]:
    return {row["id"]: row["status"] for row in ran.result["checks"] if row["status"] != "ok"}


def node_files(cluster: SimulatedCluster) -> dict[str, str]:
    """Every file of both simulated nodes and of the cluster state, hashed (bar the simulator's own
    command inbox and the copies of the scripts it ran)."""
    seen: dict[str, str] = {}
    for path in sorted(cluster.root.rglob("*")):
        if path.is_file() and not {"inbox", "commands"} & set(path.parts):
            seen[str(path.relative_to(cluster.root))] = hashlib.sha256(path.read_bytes()).hexdigest()
    return seen


def test_bare_nodes_conform(bare: SimulatedCluster) -> None:
    """Fresh nodes: every checkable row ok; what the base stage or later steps create is 'unchecked'."""
    for node in (0, 1):
        ran = probe(bare, node)
        assert (ran.outcome.status, ran.outcome.response_code) == ("Success", 0), ran.result
        assert ran.result["ok"] is True and ran.result["changed"] is False
        assert ran.result["resource_tool"] == "lkcli"
        assert not_ok(ran) == {
            "package-hulft-kit": "unchecked",
            "lcdstatus": "unchecked",
            "mirror-wording": "unchecked",
            "installer-switch": "unchecked",
        }
        found = rows(ran)
        assert found["package-lifekeeper"]["saw"] == "steeleye-lk-9.8.1-7160.x86_64"
        assert found["lcdstatus"]["saw"] == "LifeKeeper is not running yet: LicenseAndStart starts it"
        assert found["data-device"]["saw"] == "no file system yet (DataMirror creates xfs)"
        peer = bare.nodes[1 - node]
        assert found[f"peer-{peer.addresses[0]}"]["saw"] == f"{peer.addresses[0]} answered"
        # One row per lkcli call in vendor.sh, each read from `lkcli resource <verb> <kind> --help`.
        assert {k for k in found if k.startswith("lkcli-")} >= {"lkcli-create-hulft", "lkcli-extend-dk"}
        assert "lkcli resource create hulft --help" in ran.result["raw"]
        assert ran.result["raw"]["rpm -q steeleye-lkDR"] == "steeleye-lkDR-9.8.1-7160.noarch"


def test_the_probe_changes_nothing(bare: SimulatedCluster) -> None:
    """Read-only, even when it mounts the staged ISO to read the installer's usage text."""
    seed(bare)
    for node in (0, 1):
        assert run(bare, node, "StageMedia", **stage_parameters()).outcome.status == "Success"
    before, history = node_files(bare), len(bare.history())
    for node in (0, 1):
        assert probe(bare, node).outcome.response_code == 0
    assert node_files(bare) == before
    assert len(bare.history()) == history
    assert all(not node.mounts for node in bare.nodes)


def test_installer_switch_read_from_its_usage_text(bare: SimulatedCluster) -> None:
    seed(bare)
    run(bare, 0, "StageMedia", **stage_parameters())
    row = rows(probe(bare))["installer-switch"]
    assert row["status"] == "ok"
    assert "(-f)" in row["assumption"]
    assert "usage: installer -f <Installation Information file>" in row["saw"]


def test_running_cluster_parses_and_the_mirror_reads_as_expected(tmp_path: Path) -> None:
    """A cluster with the base built by hand (bring your own): lcdstatus and mirror_status are read."""
    with SimulatedCluster(tmp_path, name="by", timings=Timings.fast()) as cluster:
        ran = probe(cluster)
        assert ran.outcome.response_code == 0, ran.result
        found = rows(ran)
        assert found["lcdstatus"]["status"] == "ok"
        assert found["mirror-wording"]["saw"] == "100 % synced, in sync: yes"
        assert found["data-device"]["saw"] == "mirrored already (datarep-data)"
        assert ran.result["raw"]["lcdstatus -q"].startswith("LOCAL")


def test_older_lkcli_without_a_flag_selects_the_kit_scripts(bare: SimulatedCluster) -> None:
    """Knob lkcli_without_option: the row names the missing flag and the override to set."""
    bare.set_knobs(Knobs(lkcli_without_option="--hulexep"))
    ran = probe(bare)
    assert ran.outcome.response_code == 1 and ran.result["ok"] is False
    assert not_ok(ran) == {
        "lkcli-create-hulft": "MISMATCH",
        "package-hulft-kit": "unchecked",
        "lcdstatus": "unchecked",
        "mirror-wording": "unchecked",
        "installer-switch": "unchecked",
    }
    row = rows(ran)["lkcli-create-hulft"]
    assert row["saw"] == "not listed: --hulexep (exit 0)"
    assert row["fix"] == f"set HADRILL_RESOURCE_TOOL=kit-scripts in {OVERRIDES}"
    assert ran.result["resource_tool"] == "kit-scripts"
    assert ran.result["message"] == "conformance of hd-a: MISMATCH lkcli-create-hulft"


def test_kit_scripts_set_in_the_overrides_skip_those_lkcli_rows(bare: SimulatedCluster) -> None:
    """After the operator sets the override, the hulft/ip/ec2 lkcli rows give way to the kit-scripts row."""
    bare.set_knobs(Knobs(lkcli_without_option="--hulexep"))
    overrides = bare.nodes[0].fs / OVERRIDES.lstrip("/")
    overrides.parent.mkdir(parents=True, exist_ok=True)
    overrides.write_text("HADRILL_RESOURCE_TOOL=kit-scripts\n")
    found = rows(probe(bare))
    assert "lkcli-create-hulft" not in found and "lkcli-create-ip" not in found
    assert found["lkcli-create-dk"]["status"] == "ok"  # DataKeeper has no kit-script fallback here
    assert found["kit-scripts"]["status"] in ("ok", "MISMATCH")
    extend_script = bare.nodes[0].fs / "opt/LifeKeeper/lkadm/bin/extmgrDoExtend.pl"
    assert (found["kit-scripts"]["status"] == "ok") == extend_script.exists()


def test_different_mirror_status_wording(tmp_path: Path) -> None:
    """Knob mirror_status_reworded: the row quotes the wording and names the functions to redefine."""
    with SimulatedCluster(
        tmp_path, name="mw", timings=Timings.fast(), knobs=Knobs(mirror_status_reworded=True)
    ) as cluster:
        ran = probe(cluster)
        assert ran.outcome.response_code == 1
        row = rows(ran)["mirror-wording"]
        assert row["status"] == "MISMATCH"
        assert row["saw"] == "[-] mw-a -> mw-b / Mirror state: Fully Operational / Synchronized: 100%"
        assert row["fix"] == f"define hadrill_mirror_in_sync and hadrill_mirror_percent for this wording in {OVERRIDES}"
        assert "Synchronized: 100%" in ran.result["raw"]["mirror_status datarep-data"]


def test_no_icmp_between_the_nodes(bare: SimulatedCluster) -> None:
    """Knob no_icmp: one row per peer address, each naming the security group fix."""
    bare.set_knobs(Knobs(no_icmp=True))
    ran = probe(bare, 1)
    assert ran.outcome.response_code == 1
    for address in bare.nodes[0].addresses:
        row = rows(ran)[f"peer-{address}"]
        assert row["status"] == "MISMATCH"
        assert row["saw"].startswith(f"no answer from {address} (exit 1): --- {address} ping statistics ---")
        assert row["fix"].startswith("allow ICMP echo between the two nodes (security group and host firewall)")
        assert "100% packet loss" in ran.result["raw"][f"lkping -c 1 -w 2 {address}"]


def test_data_device_with_another_file_system(bare: SimulatedCluster) -> None:
    found = rows(probe(bare, Fstype="ext4", DataDevice="/dev/nvme1n1"))
    assert found["data-device"]["status"] == "ok"  # empty: DataMirror makes the file system
    bare.nodes[0].devices["/dev/nvme1n1"] = "ext4"
    row = rows(probe(bare))["data-device"]
    assert (row["status"], row["saw"]) == ("MISMATCH", "holds ext4")
    assert row["fix"] == "set lifekeeper.data_fstype: ext4 in the cluster config, or attach an empty volume"
    missing = rows(probe(bare, DataDevice="/dev/xvdz"))["data-device"]
    assert missing["status"] == "MISMATCH"
    assert missing["fix"] == "set lifekeeper.data_device in the cluster config to the /data volume's device"


def test_lifekeeper_not_running_on_a_bring_your_own_cluster(bare: SimulatedCluster) -> None:
    """Without the base stage LifeKeeper must run already: a mismatch that names the fix."""
    row = rows(probe(bare, ConfigureBase="no"))["lcdstatus"]
    assert (row["status"], row["saw"]) == ("MISMATCH", "LifeKeeper is not running")
    assert row["fix"] == "start LifeKeeper (lkstart) here, or run setup with configureBase: true"
