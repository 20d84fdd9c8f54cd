"""The setup documents' scripts, run in bash against the simulated cluster."""

from __future__ import annotations

import json
import stat
import subprocess
from pathlib import Path

import pytest

from hadrill.results import parse_node_status
from hadrill.verdicts import node_verdict
from simulator import Knobs, SimulatedCluster
from simulator.scenario import LICENSE, LOGICAL_HOST, SECRET_ID, run, seed, set_up, setup_steps, stage_parameters
from support.cluster_files import snapshot

HULFT = {"LogicalHost": LOGICAL_HOST, "SecretId": SECRET_ID, "HulftMediaFile": "hulft-unix-linux-v812.iso"}


def test_setup_then_every_step_again_changes_nothing(ready: SimulatedCluster) -> None:
    """A rerun of each install/create step reports 'already ... nothing changed' and touches no file."""
    before = snapshot(ready)
    for node, document, parameters in setup_steps(ready):
        ran = run(ready, node, document, **parameters)
        assert ran.outcome.status == "Success", ran.outcome
        assert ran.result["ok"] is True and ran.result["changed"] is False, (document, ran.result)
        assert "already" in ran.result["message"], (document, ran.result["message"])
    assert snapshot(ready) == before


def test_node_status_parses_into_healthy_verdicts(ready: SimulatedCluster) -> None:
    """NodeStatus prints raw lcdstatus/ps; the domain parser reads it and judges both nodes healthy."""
    for node, role in ((0, "active"), (1, "standby")):
        ran = run(ready, node, "NodeStatus", LogicalHost=LOGICAL_HOST)
        status = parse_node_status(ran.outcome.stdout)
        verdict = node_verdict(status, role, "hulft")  # type: ignore[arg-type]
        assert verdict.passed, verdict.failures
        assert status.hosts_entry == f"{ready.virtual_ip} {LOGICAL_HOST}"
        assert "steeleye-lkHUL-8.2.1-6353.noarch" in status.packages
        assert status.hulft_installed == f"08.01.02 {role}"
        assert status.hulft_defined is True


def test_health_check_on_both_nodes(ready: SimulatedCluster) -> None:
    for node, role in ((0, "active"), (1, "standby")):
        ran = run(ready, node, "HealthCheck", ExpectedRole=role)
        assert ran.outcome.response_code == 0, ran.result
        assert all(check["passed"] for check in ran.result["checks"])
    wrong = run(ready, 1, "HealthCheck", ExpectedRole="active")
    assert wrong.outcome.response_code == 1
    assert "hierarchy hulft ISP: expected ISP: hulft=OSU" in wrong.result["message"]


def test_hosts_entry_replaces_an_old_mapping_and_keeps_other_names(cluster: SimulatedCluster) -> None:
    hosts = cluster.nodes[0].fs / "etc/hosts"
    hosts.write_text(hosts.read_text() + "10.9.9.9 hulft-vip backup-name\n# 10.1.1.1 hulft-vip\n")
    ran = run(cluster, 0, "HostsEntry", VirtualIp="10.255.0.10", LogicalHost="hulft-vip")
    assert ran.result["changed"] is True and "replaced 10.9.9.9" in ran.result["message"]
    lines = hosts.read_text().splitlines()
    assert "10.9.9.9 backup-name" in lines and "10.255.0.10 hulft-vip" in lines and "# 10.1.1.1 hulft-vip" in lines
    assert run(cluster, 0, "HostsEntry", VirtualIp="10.255.0.10", LogicalHost="hulft-vip").result["changed"] is False


def test_stage_media_checksum_mismatch_deletes_the_copy(cluster: SimulatedCluster) -> None:
    seed(cluster)
    ran = run(cluster, 0, "StageMedia", **{**stage_parameters(), "HulftMediaSha256": "0" * 64})
    assert (ran.outcome.status, ran.outcome.response_code) == ("Failed", 4)
    assert "checksum mismatch" in ran.result["message"]
    assert not list((cluster.nodes[0].fs / "var/tmp/hadrill-media").iterdir())


def test_stage_media_missing_object(cluster: SimulatedCluster) -> None:
    ran = run(cluster, 0, "StageMedia", **stage_parameters())
    assert ran.outcome.response_code == 3
    assert "download of s3://hadrill-media/hulft/hulft-unix-linux-v812.iso failed" in ran.result["message"]
    assert "(404)" in ran.outcome.stderr


def install_prerequisites(cluster: SimulatedCluster, vendor_overrides: str | None = None) -> None:
    """Media staged on both nodes; with vendor_overrides, the first node's /etc/hadrill/vendor-overrides.sh."""
    seed(cluster)
    for node in (0, 1):
        assert run(cluster, node, "StageMedia", **stage_parameters()).outcome.status == "Success"
    if vendor_overrides is not None:
        overrides = cluster.nodes[0].fs / "etc/hadrill/vendor-overrides.sh"
        overrides.parent.mkdir(parents=True)
        overrides.write_text(vendor_overrides)


def test_install_hulft_keeps_the_license_secret(cluster: SimulatedCluster) -> None:
    """Serial and product key reach the installer only through a 0600 file that is gone afterwards."""
    install_prerequisites(cluster)
    ran = run(cluster, 0, "InstallHulft", Role="active", **HULFT)
    assert ran.result["changed"] is True, ran.result
    license_values = json.loads(LICENSE).values()
    for value in license_values:
        assert value not in ran.outcome.stdout and value not in ran.outcome.stderr
    (given,) = cluster.commands.installer_runs
    assert given["SERIAL"] == "<given>" and given["INSTALLNODE"] == "ACTIVE" and given["MYHOSTNAME"] == LOGICAL_HOST
    assert given["HULEXEP"] == "/usr/local/hulft/bin" and given["HULPATH"] == "/data/hulft/etc"
    assert not Path(given["info_file"]).exists() and not Path(given["info_file"]).parent.exists()
    assert (cluster.root / "cluster/shared_data/hulft/etc/hulenv.conf").is_file(), "HULPATH is on the mirror"


def test_install_hulft_takes_the_custom_route_with_the_cluster_fields(cluster: SimulatedCluster) -> None:
    """HULFT8 UX-INS Table 3.1: Express cannot take HULEXEP, HULPATH, INSTALLNODE, TMPDIR, PIDDIR,
    MYHOSTNAME or DATEFMT and installs a non-cluster HULFT; a cluster node takes the Custom route. The
    active node gets the cluster settings, the standby only what the reference procedure's standby
    wizard asked (docs/vendor-commands.md)."""
    install_prerequisites(cluster)
    assert run(cluster, 0, "InstallHulft", Role="active", **HULFT).outcome.response_code == 0
    assert run(cluster, 1, "InstallHulft", Role="standby", **HULFT).outcome.response_code == 0
    active, standby = cluster.commands.installer_runs
    secrets = {"SERIAL": "<given>", "PRODUCTKEY": "<given>", "info_file": active["info_file"]}
    assert active == {
        **secrets,
        "INSTALLATIONROUTE": "CUSTOM",
        "INSTALLATIONTYPE": "NEW",
        "HULEXEP": "/usr/local/hulft/bin",
        "HULPATH": "/data/hulft/etc",
        "INSTALLNODE": "ACTIVE",
        "MYHOSTNAME": LOGICAL_HOST,
        "TMPDIR": "/usr/local/hulft/tmp",
        "PIDDIR": "/usr/local/hulft/etc",
        "DATEFMT": "YYYY/MM/DD",
    }
    assert standby == {
        **secrets,
        "info_file": standby["info_file"],
        "INSTALLATIONROUTE": "CUSTOM",
        "INSTALLATIONTYPE": "NEW",
        "HULEXEP": "/usr/local/hulft/bin",
        "HULPATH": "/data/hulft/etc",
        "INSTALLNODE": "STANDBY",
    }
    assert [node.hulft["role"] for node in cluster.nodes] == ["ACTIVE", "STANDBY"]


def test_the_installer_refuses_cluster_fields_on_the_express_route(cluster: SimulatedCluster) -> None:
    """The stand-in follows Table 3.1: the Express route with cluster fields fails the install (exit 6),
    which is what the old EXPRESS default would have met on a real node."""
    install_prerequisites(cluster, vendor_overrides="HULFT_INSTALL_ROUTE=EXPRESS\n")
    ran = run(cluster, 0, "InstallHulft", Role="active", **HULFT)
    assert ran.outcome.response_code == 6, ran.result
    assert "cannot be specified for EXPRESS" in ran.outcome.stderr
    assert "HULEXEP" in ran.outcome.stderr and "INSTALLNODE" in ran.outcome.stderr
    assert cluster.nodes[0].hulft == {}


def test_install_hulft_can_pass_parent_directories(cluster: SimulatedCluster) -> None:
    """HULEXEP/HULPATH as parent directories (the reference procedure's wizard input) is one override
    away; programs still land in <dir>/bin, settings in <dir>/etc."""
    install_prerequisites(cluster, vendor_overrides='HULFT_HULEXEP_LEAF=""\nHULFT_HULPATH_LEAF=""\n')
    assert run(cluster, 0, "InstallHulft", Role="active", **HULFT).outcome.response_code == 0
    (given,) = cluster.commands.installer_runs
    assert (given["HULEXEP"], given["HULPATH"]) == ("/usr/local/hulft", "/data/hulft")
    assert (cluster.nodes[0].fs / "usr/local/hulft/bin/hulsndd").is_file()
    assert (cluster.root / "cluster/shared_data/hulft/etc/hulenv.conf").is_file()


def test_install_hulft_standby_gets_tight_tmp_and_etc(cluster: SimulatedCluster) -> None:
    install_prerequisites(cluster)
    ran = run(cluster, 1, "InstallHulft", Role="standby", **HULFT)
    assert ran.result["installed"] == "08.01.02 standby"
    for sub in ("tmp", "etc"):
        mode = stat.S_IMODE((cluster.nodes[1].fs / "usr/local/hulft" / sub).stat().st_mode)
        assert mode == 0o750, oct(mode)


def test_install_hulft_active_needs_the_data_mount(cluster: SimulatedCluster) -> None:
    """The active install writes HULPATH on the mirror: on the standby (no /data) it refuses."""
    install_prerequisites(cluster)
    ran = run(cluster, 1, "InstallHulft", Role="active", **HULFT)
    assert ran.outcome.response_code == 7 and "/data is not mounted here" in ran.result["message"]


def test_install_hulft_refuses_another_version(cluster: SimulatedCluster) -> None:
    install_prerequisites(cluster)
    assert run(cluster, 0, "InstallHulft", Role="active", **HULFT).outcome.response_code == 0
    ran = run(cluster, 0, "InstallHulft", Role="active", HulftVersion="08.04.00", **HULFT)
    assert ran.outcome.response_code == 5
    assert "HULFT '08.01.02 active' is installed, wanted '08.04.00 active'" in ran.result["message"]


def test_install_hulft_media_not_staged(cluster: SimulatedCluster) -> None:
    ran = run(cluster, 0, "InstallHulft", Role="active", **HULFT)
    assert ran.outcome.response_code == 3 and "is not staged" in ran.result["message"]


def test_recovery_kit_from_a_plain_rpm(cluster: SimulatedCluster) -> None:
    staging = cluster.nodes[0].fs / "var/tmp/hadrill-media"
    staging.mkdir(parents=True)
    (staging / "steeleye-lkHUL-8.2.1-6353.noarch.rpm").write_bytes(b"rpm")
    first = run(cluster, 0, "InstallRecoveryKit", RecoveryKitFile="steeleye-lkHUL-8.2.1-6353.noarch.rpm")
    assert first.result["changed"] is True and first.result["package"] == "steeleye-lkHUL-8.2.1-6353.noarch"
    again = run(cluster, 0, "InstallRecoveryKit", RecoveryKitFile="steeleye-lkHUL-8.2.1-6353.noarch.rpm")
    assert again.result["changed"] is False and "already installed" in again.result["message"]


def test_recovery_kit_iso_without_that_version(cluster: SimulatedCluster) -> None:
    install_prerequisites(cluster)
    ran = run(cluster, 0, "InstallRecoveryKit", RecoveryKitFile="HULFTARK072814.iso", RpmVersion="9.0.0-1")
    assert ran.outcome.response_code == 3 and "no steeleye-lkHUL-9.0.0-1 rpm" in ran.result["message"]


def test_create_resource_without_the_recovery_kit(cluster: SimulatedCluster) -> None:
    install_prerequisites(cluster)
    run(cluster, 0, "InstallHulft", Role="active", **HULFT)
    ran = run(cluster, 0, "CreateHulftResource", TargetNode=cluster.nodes[1].name)
    assert ran.outcome.response_code == 4 and "creating resource hulft failed" in ran.result["message"]
    assert "Recovery Kit is not installed" in ran.outcome.stderr


def test_create_resource_extends_after_an_earlier_failed_extend(cluster: SimulatedCluster) -> None:
    """Created on the primary, extend failed (standby not ready): the rerun only extends."""
    install_prerequisites(cluster)
    kit = {"RecoveryKitFile": "HULFTARK072814.iso"}
    run(cluster, 0, "InstallHulft", Role="active", **HULFT)
    run(cluster, 0, "InstallRecoveryKit", **kit)
    failed = run(cluster, 0, "CreateHulftResource", TargetNode=cluster.nodes[1].name)
    assert failed.outcome.response_code == 5, failed.result
    run(cluster, 1, "InstallHulft", Role="standby", **HULFT)
    run(cluster, 1, "InstallRecoveryKit", **kit)
    ran = run(cluster, 0, "CreateHulftResource", TargetNode=cluster.nodes[1].name)
    assert ran.result["changed"] is True
    assert (
        ran.result["message"] == f"hierarchy hulft: create: already exists; extend to {cluster.nodes[1].name}: extended"
    )


@pytest.mark.parametrize("document", ["NodeStatus", "HostsEntry", "InstallHulft"])
def test_missing_parameter_variable(cluster: SimulatedCluster, document: str) -> None:
    """An agent too old for ENV_VAR leaves SSM_* unset: exit 2 with a message saying so."""
    script = cluster.nodes[0].root / "old-agent.sh"
    body = json.loads((cluster.documents_dir / f"HADrill-{document}.json").read_text())
    script.write_text("\n".join(body["mainSteps"][0]["inputs"]["runCommand"]) + "\n")
    done = subprocess.run(
        ["bash", str(script)], capture_output=True, text=True, check=False, env={"PATH": "/usr/bin:/bin"}
    )
    assert done.returncode == 2
    assert "SSM Agent 3.3.2746.0 or later" in json.loads(done.stdout.splitlines()[-1])["message"]


def test_setup_helper_reports_a_failed_step(cluster: SimulatedCluster) -> None:
    cluster.set_knobs(Knobs(install_fails=True))
    with pytest.raises(AssertionError, match="InstallHulft on node 0"):
        set_up(cluster)


def test_unexpected_failure_still_prints_a_result_line(cluster: SimulatedCluster) -> None:
    """A command failing where no check expects it: exit 70 and a JSON result naming the line."""
    fake = cluster.root / "bin" / "mktemp"
    fake.write_text("#!/bin/bash\necho 'mktemp: No space left on device' >&2\nexit 1\n")
    fake.chmod(0o755)
    ran = run(cluster, 0, "HostsEntry", VirtualIp="10.255.0.10", LogicalHost="other-host")
    assert (ran.outcome.status, ran.outcome.response_code) == ("Failed", 70)
    assert ran.result["ok"] is False and ran.result["message"].startswith("unexpected failure (exit 1) at line ")
    assert "other-host" not in (cluster.nodes[0].fs / "etc/hosts").read_text()


def test_vendor_overrides_replace_a_default(cluster: SimulatedCluster) -> None:
    """/etc/hadrill/vendor-overrides.sh on the node is the one place to change a vendor command line."""
    install_prerequisites(cluster, vendor_overrides="HULFT_INSTALL_TYPE_KEY=INSTALLATIONMETHOD\n")
    assert run(cluster, 0, "InstallHulft", Role="active", **HULFT).outcome.response_code == 0
    (given,) = cluster.commands.installer_runs
    assert given["INSTALLATIONMETHOD"] == "NEW" and "INSTALLATIONTYPE" not in given


def test_a_failing_probe_is_reported_not_swallowed(cluster: SimulatedCluster) -> None:
    """mirror_status fails (unknown tag): its own error text is reported, the status still completes."""
    ran = run(cluster, 0, "NodeStatus", LogicalHost=LOGICAL_HOST, MirrorTag="datarep-other")
    assert ran.outcome.response_code == 0
    assert ran.result["mirror_in_sync"] is False
    assert ran.result["mirror_status"] == "mirror_status: no mirror resource with tag 'datarep-other'"


def test_install_hulft_leaves_a_hand_made_install_alone(cluster: SimulatedCluster) -> None:
    install_prerequisites(cluster)
    programs = cluster.nodes[0].fs / "usr/local/hulft/bin"
    programs.mkdir(parents=True)
    (programs / "hulsndd").write_text("")
    ran = run(cluster, 0, "InstallHulft", Role="active", **HULFT)
    assert ran.outcome.response_code == 5 and "not installed by this document" in ran.result["message"]
    assert cluster.commands.installer_runs == []
