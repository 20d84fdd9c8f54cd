"""Faults, takeover timing, recovery and switchback: watcher, injector and health check in bash."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from hadrill.results import parse_fault_result, parse_watch_result
from hadrill.verdicts import health_verdict, rto_seconds
from simulator import SimulatedCluster
from simulator.scenario import Ran, run

TOLERANCE_SECONDS = 0.5


def in_background(call: Callable[[], Ran]) -> Callable[[], Ran]:
    """Start ``call`` in a thread (like an SSM command that stays InProgress); returns a joiner."""
    box: list[Ran] = []
    thread = threading.Thread(target=lambda: box.append(call()))
    thread.start()

    def join() -> Ran:
        thread.join(timeout=60)
        return box[0]

    return join


def wait_online(cluster: SimulatedCluster, instance_id: str) -> None:
    deadline = time.time() + 5
    while not cluster.is_online(instance_id) and time.time() < deadline:
        time.sleep(0.05)
    assert cluster.is_online(instance_id)


def start_watcher(cluster: SimulatedCluster, timeout: str = "10") -> Callable[[], Ran]:
    joiner = in_background(lambda: run(cluster, 1, "WatchTakeover", PollMillis="50", TimeoutSeconds=timeout))
    time.sleep(0.2)  # the watcher's first poll sees the standby OSU
    return joiner


def test_network_down_takeover_matches_configured_delays(installed: SimulatedCluster) -> None:
    """network-down on the primary: the watcher's RTO equals detection + restore within 0.5 s."""
    watcher = start_watcher(installed)
    fault = run(installed, 0, "InjectFault", Fault="network-down", DelaySeconds="1")
    assert fault.outcome.status == "Success", fault.outcome
    watched = watcher()
    assert watched.outcome.response_code == 0, watched.result
    rto = rto_seconds(
        parse_fault_result(fault.outcome.stdout).fault_epoch_ms,
        parse_watch_result(watched.outcome.stdout).takeover_epoch_ms or 0,
    )
    expected = installed.timings.detection_seconds + installed.timings.restore_seconds
    assert abs(rto - expected) < TOLERANCE_SECONDS, (rto, expected)
    events = [e["event"] for e in watched.result["timeline"]]
    assert events[1] == "hierarchy hulft OSU" and events[-1] == "takeover complete"
    assert "TIMELINE" in watched.outcome.stdout
    # The primary dropped off SSM; the route points at the standby; the history shows the order.
    primary, secondary = installed.instance_ids
    assert not installed.is_online(primary)
    assert installed.vip_route_target() == installed.eni_of(secondary)
    assert run(installed, 0, "NodeStatus", LogicalHost="hulft-vip").outcome.status == "Undeliverable"
    order = [what for _, what in installed.history() if "up on" in what or "VIP route" in what or "mounted" in what]
    assert order == [
        f"VIP route -> {installed.eni_of(secondary)}",
        f"/data mounted on {installed.nodes[1].name}",
        f"hulobsd up on {installed.nodes[1].name}",
        f"hulrcvd up on {installed.nodes[1].name}",
        f"hulsndd up on {installed.nodes[1].name}",
    ]
    print(f"measured RTO {rto:.3f} s, configured {expected:.3f} s, error {abs(rto - expected) * 1000:.0f} ms")


def test_reboot_brings_the_primary_back_as_standby_then_switchback(installed: SimulatedCluster) -> None:
    """After network-down and takeover: EC2 reboot -> primary returns as standby, mirror resyncs;
    a planned switchover back (switchback) moves the hierarchy home and both nodes are healthy."""
    primary = installed.instance_ids[0]
    watcher = start_watcher(installed)
    run(installed, 0, "InjectFault", Fault="network-down", DelaySeconds="1")
    assert watcher().outcome.response_code == 0
    not_yet = run(installed, 1, "HealthCheck", ExpectedRole="active")
    assert not_yet.outcome.response_code == 1
    assert "comm paths ALIVE" in not_yet.result["message"] and "mirror in sync" in not_yet.result["message"]

    installed.reboot_instance(primary)
    wait_online(installed, primary)
    assert run(installed, 1, "HealthCheck", ExpectedRole="active", WaitSeconds="5").outcome.response_code == 0
    assert run(installed, 0, "HealthCheck", ExpectedRole="standby", WaitSeconds="5").outcome.response_code == 0

    back = run(installed, 1, "InjectFault", Fault="switchover", TargetNode=installed.nodes[0].name)
    assert back.outcome.response_code == 0, back.result
    assert installed.vip_route_target() == installed.eni_of(primary)
    assert run(installed, 0, "HealthCheck", ExpectedRole="active").outcome.response_code == 0
    assert run(installed, 1, "HealthCheck", ExpectedRole="standby").outcome.response_code == 0
    assert installed.active_node() == installed.nodes[0].name


def test_planned_switchover_takes_the_restore_time(installed: SimulatedCluster) -> None:
    watcher = start_watcher(installed)
    moved = run(installed, 0, "InjectFault", Fault="switchover", TargetNode=installed.nodes[1].name)
    watched = watcher()
    assert moved.outcome.response_code == 0 and watched.outcome.response_code == 0
    rto = (watched.result["takeover_epoch_ms"] - moved.result["fault_epoch_ms"]) / 1000
    assert abs(rto - installed.timings.restore_seconds) < TOLERANCE_SECONDS
    assert installed.is_online(installed.instance_ids[0])
    assert run(installed, 0, "HealthCheck", ExpectedRole="standby").outcome.response_code == 0


def test_switchover_refused_where_the_hierarchy_is_not_in_service(installed: SimulatedCluster) -> None:
    ran = run(installed, 1, "InjectFault", Fault="switchover", TargetNode=installed.nodes[0].name)
    assert ran.outcome.response_code == 3 and "not in service" in ran.result["message"]
    missing = run(installed, 0, "InjectFault", Fault="switchover")
    assert missing.outcome.response_code == 2 and "needs TargetNode" in missing.result["message"]


def test_daemon_kill_is_recovered_locally(installed: SimulatedCluster) -> None:
    """hulft-daemon-kill: the daemon is gone, LifeKeeper restarts it on the same node, no failover."""
    killed = run(installed, 0, "InjectFault", Fault="hulft-daemon-kill", Daemon="hulsndd")
    assert killed.outcome.response_code == 0 and killed.result["daemon"] == "hulsndd"
    right_after = run(installed, 0, "HealthCheck", ExpectedRole="active")
    assert right_after.outcome.response_code == 1 and "running: hulobsd hulrcvd" in right_after.result["message"]
    healed = run(installed, 0, "HealthCheck", ExpectedRole="active", WaitSeconds="3")
    assert healed.outcome.response_code == 0, healed.result
    assert health_verdict(healed.outcome.stdout).passed
    assert installed.active_node() == installed.nodes[0].name
    assert run(installed, 1, "HealthCheck", ExpectedRole="standby").outcome.response_code == 0


def test_daemon_kill_on_the_standby_is_refused(installed: SimulatedCluster) -> None:
    ran = run(installed, 1, "InjectFault", Fault="hulft-daemon-kill", Daemon="hulobsd")
    assert ran.outcome.response_code == 3 and "is this the active node?" in ran.result["message"]


def test_instance_stop_switches_over_and_start_returns_as_standby(installed: SimulatedCluster) -> None:
    """EC2 stop (shutdown strategy switchover): the standby takes over; start brings the node back."""
    primary, _ = installed.instance_ids
    watcher = start_watcher(installed)
    installed.stop_instance(primary)
    assert watcher().outcome.response_code == 0
    assert not installed.is_online(primary)
    assert run(installed, 0, "NodeStatus", LogicalHost="hulft-vip").outcome.status == "Undeliverable"
    installed.start_instance(primary)
    wait_online(installed, primary)
    assert run(installed, 1, "HealthCheck", ExpectedRole="active", WaitSeconds="5").outcome.response_code == 0
    assert run(installed, 0, "HealthCheck", ExpectedRole="standby", WaitSeconds="5").outcome.response_code == 0
