"""hulrcvd's receive port on the simulated nodes (simulator/listener.py): a real loopback TCP listener,
open while hulrcvd runs on an online node, and the knob that keeps it closed after a takeover."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from hadrill.client_probe import tcp_connect
from simulator import Knobs, SimulatedCluster, Timings
from simulator.scenario import run
from support.waiting import wait_until

FAST = Timings.fast()


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[SimulatedCluster]:
    simulated = SimulatedCluster(tmp_path, name="rcv", timings=FAST, installed=True)
    yield simulated
    simulated.close()


def reachable(cluster: SimulatedCluster, node: int) -> bool:
    listener = cluster.receive_listeners[cluster.instance_ids[node]]
    return tcp_connect("127.0.0.1", listener.port, 0.5)[0]


def test_only_the_active_node_accepts(cluster: SimulatedCluster) -> None:
    listeners = cluster.start_receive_listeners()
    assert reachable(cluster, 0)
    ok, detail = tcp_connect("127.0.0.1", listeners[cluster.instance_ids[1]].port, 0.5)
    assert (ok, detail) == (False, "connection refused")  # the standby's hulrcvd does not run


def test_killing_hulrcvd_closes_the_port_until_local_recovery(cluster: SimulatedCluster) -> None:
    cluster.start_receive_listeners()
    killed = run(cluster, 0, "InjectFault", Fault="hulft-daemon-kill", Daemon="hulrcvd", TargetNode="none")
    assert killed.outcome.status == "Success", killed.outcome.stderr
    assert not reachable(cluster, 0)
    assert wait_until(lambda: reachable(cluster, 0)), "hulrcvd came back by local recovery, its port with it"


def test_port_follows_a_switchover(cluster: SimulatedCluster) -> None:
    cluster.start_receive_listeners()
    port_before = cluster.receive_listeners[cluster.instance_ids[0]].port
    moved = run(cluster, 0, "InjectFault", Fault="switchover", TargetNode=cluster.node_names[1])
    assert moved.outcome.status == "Success", moved.outcome.stderr
    assert reachable(cluster, 1) and not reachable(cluster, 0)
    back = run(cluster, 1, "InjectFault", Fault="switchover", TargetNode=cluster.node_names[0])
    assert back.outcome.status == "Success", back.outcome.stderr
    assert reachable(cluster, 0)
    assert cluster.receive_listeners[cluster.instance_ids[0]].port == port_before  # bound again, same port


def test_knob_keeps_the_port_closed_after_takeover(cluster: SimulatedCluster) -> None:
    cluster.start_receive_listeners()
    cluster.set_knobs(Knobs(receive_port_closed_after_takeover=True))
    moved = run(cluster, 0, "InjectFault", Fault="switchover", TargetNode=cluster.node_names[1])
    assert moved.outcome.status == "Success", moved.outcome.stderr
    standby = cluster.nodes[1]
    assert "hulrcvd" in standby.daemons  # the daemons are up ...
    assert not reachable(cluster, 1)  # ... and no partner can connect


def test_listener_closed_on_close(tmp_path: Path) -> None:
    simulated = SimulatedCluster(tmp_path, name="gone", timings=FAST, installed=True)
    port = simulated.start_receive_listeners()[simulated.instance_ids[0]].port
    simulated.close()
    with pytest.raises(ConnectionRefusedError), socket.create_connection(("127.0.0.1", port), timeout=0.5):
        pass
