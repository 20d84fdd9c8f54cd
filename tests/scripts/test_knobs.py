"""Every simulator knob: the failure it causes and what the scripts' status and output say."""

from __future__ import annotations

import dataclasses
import threading
import time
from pathlib import Path

from simulator import Knobs, SimulatedCluster, Timings
from simulator.scenario import HULFT_KEY, LOGICAL_HOST, SECRET_ID, run, seed, stage_parameters


def test_standby_never_takes_over(installed: SimulatedCluster) -> None:
    """The watcher times out (exit 1) and says where the hierarchy and daemons stand."""
    installed.set_knobs(Knobs(standby_never_takes_over=True))
    box = []
    watcher = threading.Thread(
        target=lambda: box.append(run(installed, 1, "WatchTakeover", PollMillis="50", TimeoutSeconds="3"))
    )
    watcher.start()
    time.sleep(0.1)
    run(installed, 0, "InjectFault", Fault="network-down", DelaySeconds="1")
    watcher.join()
    (watched,) = box
    assert (watched.outcome.status, watched.outcome.response_code) == ("Failed", 1)
    assert watched.result["message"] == "no takeover within 3 s: hierarchy hulft is OSU, daemons up: none"
    assert watched.result["timeline"][-1]["event"] == "timeout"
    assert installed.vip_route_target() == installed.eni_of(installed.instance_ids[0])
    health = run(installed, 1, "HealthCheck", ExpectedRole="active")
    assert "comm paths ALIVE: not ALIVE" in health.result["message"]


def test_mirror_out_of_sync(tmp_path: Path) -> None:
    """The health check fails on the mirror and quotes mirror_status; NodeStatus reports it too."""
    with SimulatedCluster(
        tmp_path, name="mx", timings=Timings.fast(), installed=True, knobs=Knobs(mirror_out_of_sync=True)
    ) as cluster:
        health = run(cluster, 0, "HealthCheck", ExpectedRole="active", WaitSeconds="1")
        assert health.outcome.response_code == 1
        assert health.result["message"] == (
            "unhealthy as active: mirror in sync: datarep-data: [-] mx-a -> mx-b Status: Out of Sync % Synced: 0"
        )
        status = run(cluster, 0, "NodeStatus", LogicalHost=LOGICAL_HOST)
        assert status.result["mirror_in_sync"] is False and "Out of Sync" in status.result["mirror_status"]


def test_dead_comm_path(installed: SimulatedCluster) -> None:
    """One of two comm paths DEAD: unhealthy on both nodes, naming the path."""
    installed.set_knobs(Knobs(dead_comm_path=True))
    time.sleep(0.05)  # the engine rewrites the paths on its next tick
    for node, role in ((0, "active"), (1, "standby")):
        health = run(installed, node, "HealthCheck", ExpectedRole=role)
        assert health.outcome.response_code == 1
        failing = [c for c in health.result["checks"] if not c["passed"]]
        assert [c["name"] for c in failing] == ["comm paths ALIVE"]
        assert (
            "TCP 10.0.2.10/10.0.34.10 DEAD" in failing[0]["detail"]
            or "TCP 10.0.34.10/10.0.2.10 DEAD" in failing[0]["detail"]
        )


def test_command_that_hangs_times_out(installed: SimulatedCluster) -> None:
    """lcdstatus never answers: the document ends TimedOut (-1) at its timeout and nothing is left running."""
    installed.set_knobs(Knobs(hang_command="lcdstatus"))
    started = time.monotonic()
    ran = run(installed, 0, "NodeStatus", timeout=1, LogicalHost=LOGICAL_HOST)
    assert (ran.outcome.status, ran.outcome.response_code) == ("TimedOut", -1)
    assert 1.0 <= time.monotonic() - started < 2.0
    installed.set_knobs(Knobs())
    assert run(installed, 0, "NodeStatus", LogicalHost=LOGICAL_HOST).outcome.status == "Success"


def test_node_lost_midway(installed: SimulatedCluster) -> None:
    """The standby drops off while watching: the command times out, the node shows ConnectionLost."""
    installed.set_knobs(Knobs(lose_node_during="HADrill-WatchTakeover"))
    standby = installed.instance_ids[1]
    ran = run(installed, 1, "WatchTakeover", timeout=2, PollMillis="50", TimeoutSeconds="1")
    assert (ran.outcome.status, ran.outcome.response_code) == ("TimedOut", -1)
    assert not installed.is_online(standby)
    assert run(installed, 1, "NodeStatus", LogicalHost=LOGICAL_HOST).outcome.status == "Undeliverable"


def test_primary_lost_midway_fails_over(installed: SimulatedCluster) -> None:
    """The active node drops off during a long health check: the standby takes over."""
    # Lost at once, not after a delay: a healthy cluster's check can finish before any delay runs out
    # (it did on a loaded machine), and then the node is lost after the command, not during it.
    installed.timings = dataclasses.replace(installed.timings, lose_after_seconds=0.0)
    installed.set_knobs(Knobs(lose_node_during="HADrill-HealthCheck", dead_comm_path=True))
    ran = run(installed, 0, "HealthCheck", timeout=2, ExpectedRole="active", WaitSeconds="1")
    assert ran.outcome.status == "TimedOut"
    installed.set_knobs(Knobs())
    watched = run(installed, 1, "WatchTakeover", PollMillis="50", TimeoutSeconds="3")
    assert watched.outcome.response_code == 0, watched.result


def install_ready(cluster: SimulatedCluster) -> None:
    seed(cluster)
    assert run(cluster, 0, "StageMedia", **stage_parameters()).outcome.status == "Success"


HULFT = {
    "Role": "active",
    "LogicalHost": LOGICAL_HOST,
    "SecretId": SECRET_ID,
    "HulftMediaFile": HULFT_KEY.rsplit("/", 1)[-1],
}


def test_install_fails(cluster: SimulatedCluster) -> None:
    """The installer exits non-zero: exit 6, nothing recorded, and a rerun without the knob installs."""
    install_ready(cluster)
    cluster.set_knobs(Knobs(install_fails=True))
    ran = run(cluster, 0, "InstallHulft", **HULFT)
    assert (ran.outcome.status, ran.outcome.response_code) == ("Failed", 6)
    assert ran.result["message"] == "the HULFT installer failed with exit 1 (its last lines are on stderr)"
    assert "HULFT installation failed" in ran.outcome.stderr
    assert not (cluster.nodes[0].fs / "usr/local/hulft/.hadrill-installed").exists()
    cluster.set_knobs(Knobs())
    assert run(cluster, 0, "InstallHulft", **HULFT).result["changed"] is True


def test_secret_missing(cluster: SimulatedCluster) -> None:
    """Secrets Manager says ResourceNotFoundException (CLI exit 254): exit 4, the installer never runs."""
    install_ready(cluster)
    cluster.set_knobs(Knobs(secret_missing=True))
    ran = run(cluster, 0, "InstallHulft", **HULFT)
    assert (ran.outcome.status, ran.outcome.response_code) == ("Failed", 4)
    assert ran.result["message"].startswith(
        f"cannot read secret {SECRET_ID}: An error occurred (ResourceNotFoundException)"
    )
    assert cluster.commands.installer_runs == []


def test_malformed_secret(cluster: SimulatedCluster) -> None:
    install_ready(cluster)
    cluster.put_secret(SECRET_ID, '{"serial": "12345", "productKey": "short"}')
    ran = run(cluster, 0, "InstallHulft", **HULFT)
    assert ran.outcome.response_code == 4 and "has no serial of 13 digits" in ran.result["message"]
    assert "12345" not in ran.outcome.stdout + ran.outcome.stderr.replace(SECRET_ID, "")
