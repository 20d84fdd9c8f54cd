"""WatchTakeover Mode=status: is a watcher running on this node, since when (the drill asks before the
fault), and what the watcher reports per resource (seen)."""

from __future__ import annotations

import threading
import time

from hadrill.drill.watch import parse_seen, parse_watcher_status, watch_outcome
from hadrill.results import parse_fault_result
from simulator import SimulatedCluster
from simulator.scenario import Ran, run


def test_no_watcher_is_exit_1(installed: SimulatedCluster) -> None:
    status = run(installed, 1, "WatchTakeover", Mode="status")
    assert status.outcome.response_code == 1, status.outcome
    assert parse_watcher_status(status.outcome.stdout) is None


def test_a_running_watcher_is_confirmed_with_its_start_and_the_takeover_decided_from_what_it_saw(
    installed: SimulatedCluster,
) -> None:
    box: list[Ran] = []
    thread = threading.Thread(
        target=lambda: box.append(run(installed, 1, "WatchTakeover", PollMillis="50", TimeoutSeconds="10"))
    )
    thread.start()
    running = None
    deadline = time.time() + 5
    while running is None or running.polls < 1:
        assert time.time() < deadline, "the watcher never showed up"
        time.sleep(0.05)
        running = parse_watcher_status(run(installed, 1, "WatchTakeover", Mode="status").outcome.stdout)
    fault = run(installed, 0, "InjectFault", Fault="network-down", DelaySeconds="0")
    thread.join(timeout=30)
    watched = box[0]
    assert watched.outcome.response_code == 0, watched.result
    assert running.started_epoch_ms == watched.result["watch_started_epoch_ms"]
    assert running.started_epoch_ms < parse_fault_result(fault.outcome.stdout).fault_epoch_ms
    # Every resource of the hierarchy in every entry; the takeover is the first entry all ISP with daemons.
    seen = parse_seen(watched.outcome.stdout)
    assert all(dict(s.resources).keys() == dict(seen[0].resources).keys() for s in seen)
    outcome = watch_outcome(watched.outcome.stdout, "hulft")
    assert outcome.complete and outcome.takeover_epoch_ms == seen[-1].epoch_ms
    assert set(dict(seen[-1].resources).values()) == {"ISP"}
    # Once it has ended, nobody is watching any more.
    assert run(installed, 1, "WatchTakeover", Mode="status").outcome.response_code == 1
