"""The dead-man switch on the node (issue 17): InjectFault arms a systemd transient timer before a
network-down fault; it reboots the node at the deadline even with the network down, writing a stamp
first; a reboot removes it; HADrill-DisarmDeadMan stops it or says it fired or is gone."""

from __future__ import annotations

import time

from hadrill.results import parse_result_line
from simulator import SimulatedCluster
from simulator.scenario import run
from support.waiting import wait_until

UNIT = "hadrill-deadman-drill-7"


def _stamp(cluster: SimulatedCluster) -> object:
    return cluster.nodes[0].fs / "var/lib/hadrill/dead-man" / f"{UNIT}.fired"


def test_network_down_arms_a_timer_that_reboots_the_node_with_its_network_down(installed: SimulatedCluster) -> None:
    primary = installed.instance_ids[0]
    armed_at = time.monotonic()
    ran = run(installed, 0, "InjectFault", Fault="network-down", DelaySeconds="0", DeadManSeconds="2", DeadManUnit=UNIT)
    assert ran.outcome.status == "Success", ran.outcome
    assert UNIT in installed.nodes[0].timers, "armed before the fault"
    assert wait_until(lambda: not installed.is_online(primary), 10), "the network went down"
    assert wait_until(lambda: installed.active_node() == installed.nodes[1].name, 10), "the standby took over"
    assert wait_until(lambda: installed.is_online(primary), 10), "the node came back by itself"
    returned = time.monotonic() - armed_at
    assert 2.0 <= returned < 2.0 + 3.0, f"back {returned:.2f} s after arming, the deadline was 2 s"
    assert UNIT not in installed.nodes[0].timers
    history = [what for _, what in installed.history()]
    assert f"{UNIT}.timer elapsed on {installed.nodes[0].name}" in history
    assert any("reboots itself" in what for what in history)
    # LifeKeeper comes back as standby: the hierarchy stays on the node that took over.
    assert installed.active_node() == installed.nodes[1].name
    disarm = run(installed, 0, "DisarmDeadMan", Unit=UNIT)
    assert disarm.outcome.status == "Success", disarm.outcome
    result = parse_result_line(disarm.outcome.stdout)
    assert result["outcome"] == "fired"
    assert abs(int(result["fired_epoch_ms"]) / 1000 - time.time()) < 30


def test_disarm_stops_a_running_timer(installed: SimulatedCluster) -> None:
    # hulft-daemon-kill arms nothing (the switch is for faults that take the node away): arm by hand.
    ran = run(
        installed, 0, "InjectFault", Fault="network-down", DelaySeconds="30", DeadManSeconds="60", DeadManUnit=UNIT
    )
    assert ran.outcome.status == "Success"
    disarm = run(installed, 0, "DisarmDeadMan", Unit=UNIT)
    assert parse_result_line(disarm.outcome.stdout)["outcome"] == "disarmed"
    assert UNIT not in installed.nodes[0].timers
    again = run(installed, 0, "DisarmDeadMan", Unit=UNIT)
    assert parse_result_line(again.outcome.stdout)["outcome"] == "gone"


def test_a_reboot_removes_the_transient_timer(installed: SimulatedCluster) -> None:
    primary = installed.instance_ids[0]
    ran = run(installed, 0, "InjectFault", Fault="network-down", DelaySeconds="0", DeadManSeconds="5", DeadManUnit=UNIT)
    assert ran.outcome.status == "Success"
    assert wait_until(lambda: not installed.is_online(primary), 10)
    installed.reboot_instance(primary)  # what the drill's recovery does (EC2 RebootInstances)
    assert wait_until(lambda: installed.is_online(primary), 10)
    assert installed.nodes[0].timers == {}
    disarm = run(installed, 0, "DisarmDeadMan", Unit=UNIT)
    assert parse_result_line(disarm.outcome.stdout)["outcome"] == "gone"
    assert not _stamp(installed).exists()  # type: ignore[attr-defined]


def test_no_switch_without_seconds_and_other_faults_arm_nothing(installed: SimulatedCluster) -> None:
    ran = run(installed, 0, "InjectFault", Fault="hulft-daemon-kill", DeadManSeconds="60", DeadManUnit=UNIT)
    assert ran.outcome.status == "Success"
    assert installed.nodes[0].timers == {}
    missing = run(installed, 0, "InjectFault", Fault="network-down", DelaySeconds="30", DeadManSeconds="60")
    assert missing.outcome.response_code == 2 and "DeadManUnit" in missing.outcome.stdout
    assert installed.is_online(installed.instance_ids[0]), "no switch, no fault"


def test_a_switch_that_cannot_be_armed_injects_nothing(installed: SimulatedCluster) -> None:
    first = run(
        installed, 0, "InjectFault", Fault="network-down", DelaySeconds="30", DeadManSeconds="60", DeadManUnit=UNIT
    )
    assert first.outcome.status == "Success"
    run(installed, 0, "DisarmDeadMan", Unit=UNIT)
    # systemd refuses a second unit of the same name while the first is loaded: the fault must not start.
    installed.engine.arm_timer(installed.nodes[0], UNIT, 60, ["/bin/true"])
    second = run(
        installed, 0, "InjectFault", Fault="network-down", DelaySeconds="0", DeadManSeconds="60", DeadManUnit=UNIT
    )
    assert second.outcome.response_code == 5, second.outcome
    assert "no fault injected" in second.outcome.stdout
    time.sleep(0.3)
    assert installed.is_online(installed.instance_ids[0])
