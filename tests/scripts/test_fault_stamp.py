"""network-down's start as the node saw it: the detached job stamps the moment the interface went down on
the root disk, the stamp survives the reboot, InjectFault Fault=network-down-stamp reads it back."""

from __future__ import annotations

import time

from hadrill.drill.fault_start import parse_network_down_stamp
from hadrill.results import parse_fault_result, parse_result_line
from simulator import Knobs, SimulatedCluster
from simulator.scenario import run


def _wait_lost(cluster: SimulatedCluster, instance_id: str, within: float = 10.0) -> None:
    deadline = time.time() + within
    while cluster.is_online(instance_id) and time.time() < deadline:
        time.sleep(0.05)
    assert not cluster.is_online(instance_id)


def _wait_online(cluster: SimulatedCluster, instance_id: str, within: float = 10.0) -> None:
    deadline = time.time() + within
    while not cluster.is_online(instance_id) and time.time() < deadline:
        time.sleep(0.05)
    assert cluster.is_online(instance_id)


def _lost_at(cluster: SimulatedCluster, node: str) -> float:
    return max(t for t, what in cluster.history() if what.startswith(f"{node} lost"))


def test_the_stamp_is_when_the_interface_went_down_and_survives_the_reboot(installed: SimulatedCluster) -> None:
    """A slow ifdown (fault_delay_seconds 0.8): the prediction is early by that much, the stamp is not."""
    installed.set_knobs(Knobs(fault_delay_seconds=0.8))
    primary = installed.instance_ids[0]
    fault = run(installed, 0, "InjectFault", Fault="network-down", DelaySeconds="0")
    assert fault.outcome.status == "Success", fault.outcome
    predicted = parse_fault_result(fault.outcome.stdout).fault_epoch_ms
    requested = parse_result_line(fault.outcome.stdout)["requested_epoch_ms"]
    _wait_lost(installed, primary)
    installed.reboot_instance(primary)
    _wait_online(installed, primary)
    read = run(installed, 0, "InjectFault", Fault="network-down-stamp")
    assert read.outcome.status == "Success", read.outcome
    stamp = parse_network_down_stamp(read.outcome.stdout)
    assert stamp.requested_epoch_ms == requested
    lost_ms = _lost_at(installed, installed.node_names[0]) * 1000
    assert 0 <= stamp.down_epoch_ms - lost_ms < 500, (stamp.down_epoch_ms, lost_ms)
    assert stamp.down_epoch_ms - predicted >= 800


def test_no_stamp_is_exit_5(installed: SimulatedCluster) -> None:
    read = run(installed, 0, "InjectFault", Fault="network-down-stamp")
    assert read.outcome.response_code == 5, read.outcome
    assert "no network-down stamp" in read.result["message"]
