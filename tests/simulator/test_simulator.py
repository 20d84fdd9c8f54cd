"""The simulator itself: its SSM-facing contract, its stand-ins' formats, isolation between clusters."""

from __future__ import annotations

import re
import shutil
import subprocess
import threading
import time
from pathlib import Path

import pytest

from hadrill.drill.clock import parse_chrony_tracking
from hadrill.hulft_ps import parse_hulft_processes, running_daemons
from hadrill.lcdstatus import ResourceState, parse_lcdstatus
from hadrill.results import parse_node_status
from simulator import CommandOutcome, InvalidDocumentParametersError, SimulatedCluster, Timings
from simulator import engine as engine_module
from simulator.cluster import STANDINS
from simulator.scenario import LOGICAL_HOST, run, set_up
from support.lifekeeper import HULFT_HIERARCHY

FAST = Timings.fast()


@pytest.fixture
def cluster(tmp_path: Path) -> SimulatedCluster:
    simulated = SimulatedCluster(tmp_path, name="sim", timings=FAST, installed=True)
    yield simulated  # type: ignore[misc]
    simulated.close()


def stand_in(cluster: SimulatedCluster, node: int, *argv: str, **extra: str) -> subprocess.CompletedProcess[str]:
    env = {
        "PATH": f"{cluster.root / 'bin'}:/usr/bin:/bin",
        "HADRILL_SIM_STATE": str(cluster.root),
        "HADRILL_SIM_NODE": cluster.nodes[node].name,
        **extra,
    }
    return subprocess.run(list(argv), capture_output=True, text=True, env=env, check=False, timeout=10)


def test_identities(cluster: SimulatedCluster) -> None:
    assert len(set(cluster.instance_ids)) == 2
    assert all(re.fullmatch(r"i-0[0-9a-f]{16}", i) for i in cluster.instance_ids)
    assert all(re.fullmatch(r"eni-0[0-9a-f]{16}", cluster.eni_of(i)) for i in cluster.instance_ids)
    assert cluster.vip_route_target() == cluster.eni_of(cluster.instance_ids[0])
    assert [cluster.lifekeeper_name(i) for i in cluster.instance_ids] == ["sim-a", "sim-b"]


def test_lcdstatus_stand_in_speaks_the_documented_format(cluster: SimulatedCluster) -> None:
    """The reference parser reads the stand-in's output: primary ISP (priority 1), standby OSU (10)."""
    primary = parse_lcdstatus(stand_in(cluster, 0, "lcdstatus", "-q").stdout)
    standby = parse_lcdstatus(stand_in(cluster, 1, "lcdstatus", "-q").stdout)
    assert [r.tag for r in primary.hierarchy("hulft")] == list(HULFT_HIERARCHY)
    assert {r.state for r in primary.hierarchy("hulft")} == {ResourceState.IN_SERVICE}
    assert {r.state for r in standby.hierarchy("hulft")} == {ResourceState.OUT_OF_SERVICE}
    assert {r.priority for r in standby.resources} == {10} and standby.resources[0].primary == "sim-a"
    assert [p.machine for p in primary.comm_paths] == ["sim-b", "sim-b"]


def test_ps_stand_in_lists_daemons_only_on_the_active_node(cluster: SimulatedCluster) -> None:
    active = parse_hulft_processes(stand_in(cluster, 0, "ps", "-ef").stdout)
    assert running_daemons(active) == {"hulobsd", "hulrcvd", "hulsndd"}
    assert all(p.cluster_mode and p.path.startswith("/usr/local/hulft/bin/") for p in active)
    assert parse_hulft_processes(stand_in(cluster, 1, "ps", "-ef").stdout) == ()


def test_chronyc_stand_in_speaks_the_documented_format(cluster: SimulatedCluster) -> None:
    """The drill's chrony parser reads the stand-in: synchronised, and no skew (one clock for both nodes)."""
    for node in (0, 1):
        clock = parse_chrony_tracking(stand_in(cluster, node, "chronyc", "-n", "tracking").stdout)
        assert clock is not None and clock.synchronised and clock.offset_seconds == 0.0
    refused = stand_in(cluster, 0, "chronyc", "sources")
    assert refused.returncode != 0 and refused.stdout == ""


def test_lifekeeper_down_after_stop(cluster: SimulatedCluster) -> None:
    cluster.stop_instance(cluster.instance_ids[1])
    done = stand_in(cluster, 1, "lcdstatus", "-q")
    assert done.returncode == 1 and "does not appear to be running" in done.stdout
    assert stand_in(cluster, 1, "lktest").returncode == 1


def test_shortcut_install_equals_the_scripted_setup(tmp_path: Path) -> None:
    """installed=True builds exactly the state that running the setup documents leaves."""

    def observed(simulated: SimulatedCluster) -> list[object]:
        seen: list[object] = []
        for node in (0, 1):
            status = parse_node_status(run(simulated, node, "NodeStatus", LogicalHost=LOGICAL_HOST).outcome.stdout)
            assert status.lcdstatus is not None
            seen.append([(r.tag, r.id, r.state, r.parent) for r in status.lcdstatus.resources])
            seen.append(
                (
                    sorted(running_daemons(status.hulft_processes)),
                    status.data_mounted,
                    status.hosts_entry,
                    status.packages,
                    status.hulft_installed,
                    status.mirror_in_sync,
                )
            )
        return seen

    with SimulatedCluster(tmp_path, name="x", timings=FAST, installed=True) as shortcut:
        expected = observed(shortcut)
    with SimulatedCluster(tmp_path / "scripted", name="x", timings=FAST) as scripted:
        set_up(scripted)
        assert observed(scripted) == expected


def test_undeliverable_and_unknown_documents(cluster: SimulatedCluster) -> None:
    standby = cluster.instance_ids[1]
    with pytest.raises(InvalidDocumentParametersError, match="does not exist"):
        cluster.validate_parameters("HADrill-Nope", {})
    with pytest.raises(InvalidDocumentParametersError, match="LogicalHost is required"):
        cluster.validate_parameters("HADrill-NodeStatus", {})
    with pytest.raises(InvalidDocumentParametersError, match="no parameter Bogus"):
        cluster.validate_parameters("HADrill-NodeStatus", {"LogicalHost": ["h"], "Bogus": ["x"]})
    assert cluster.validate_parameters("HADrill-NodeStatus", {"LogicalHost": ["h"]})["DataMount"] == "/data"
    cluster.stop_instance(standby)  # a standby stops at once (the active one switches over first)
    outcome = cluster.run_document(
        instance_id=standby, document_name="HADrill-NodeStatus", parameters={"LogicalHost": ["h"]}, timeout_seconds=5
    )
    assert outcome == CommandOutcome("Undeliverable", -1, "", f"{standby} is not connected (PingStatus ConnectionLost)")
    with pytest.raises(KeyError, match="no simulated instance"):
        cluster.is_online("i-0000")


def test_clusters_run_concurrently_without_cross_talk(tmp_path: Path) -> None:
    """Four clusters fail over at once; each sees only its own takeover."""
    clusters = [SimulatedCluster(tmp_path, name=f"c{i}", timings=FAST, installed=True) for i in range(4)]
    results: dict[str, object] = {}

    def drill(simulated: SimulatedCluster) -> None:
        watcher = threading.Thread(
            target=lambda: results.__setitem__(
                simulated.name, run(simulated, 1, "WatchTakeover", PollMillis="50", TimeoutSeconds="5")
            )
        )
        watcher.start()
        run(simulated, 0, "InjectFault", Fault="network-down", DelaySeconds="1")
        watcher.join()

    try:
        threads = [threading.Thread(target=drill, args=(c,)) for c in clusters]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        for simulated in clusters:
            ran = results[simulated.name]
            assert ran.outcome.response_code == 0
            assert simulated.vip_route_target() == simulated.eni_of(simulated.instance_ids[1])
            assert all(what.find(simulated.name) >= 0 for _, what in simulated.history() if " on " in what)
    finally:
        for simulated in clusters:
            simulated.close()


def test_close_stops_the_engine_and_stand_ins_give_up(tmp_path: Path) -> None:
    simulated = SimulatedCluster(tmp_path, name="z", timings=FAST)
    simulated.close()
    assert not simulated.engine._thread.is_alive()
    done = stand_in(simulated, 0, "rpm", "-q", "steeleye-lkHUL")
    assert done.returncode == 1 and "closed" in done.stderr
    simulated.close()


def test_stand_ins_are_shellcheck_clean() -> None:
    binary = shutil.which("shellcheck")
    assert binary, "shellcheck is required"
    files = [p for p in STANDINS.iterdir() if p.is_file()]
    done = subprocess.run([binary, "-x", *map(str, files)], capture_output=True, text=True, cwd=STANDINS, check=False)
    assert done.returncode == 0, done.stdout


@pytest.fixture
def sleepy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> SimulatedCluster:
    """A cluster whose engine, unless woken, ticks only every 30 s."""
    monkeypatch.setattr(engine_module, "IDLE_TICK_SECONDS", 30.0)
    simulated = SimulatedCluster(tmp_path, name="sleepy", timings=FAST, installed=True)
    time.sleep(0.2)  # past its first tick: asleep now
    yield simulated  # type: ignore[misc]
    simulated.close()


def test_a_stand_in_request_wakes_the_engine(sleepy: SimulatedCluster) -> None:
    """engine-call.sh wakes the engine through the inbox's wake FIFO: answered at once, not at the next tick."""
    started = time.monotonic()
    done = stand_in(sleepy, 0, "rpm", "-q", "steeleye-lkHUL")
    assert done.returncode == 0 and done.stdout.startswith("steeleye-lkHUL-")
    assert time.monotonic() - started < 5


def test_a_change_from_another_thread_wakes_the_engine(sleepy: SimulatedCluster) -> None:
    """Releasing the engine's lock from another thread (here an EC2 stop) wakes it: the comm paths go
    DEAD after the detection time, not at the next tick."""
    sleepy.stop_instance(sleepy.instance_ids[1])
    deadline = time.monotonic() + 5
    while "DEAD" not in stand_in(sleepy, 0, "lcdstatus", "-q").stdout:
        assert time.monotonic() < deadline, "the engine did not see the stopped node"
        time.sleep(0.05)


def test_engine_call_passes_the_answer_through_unchanged(cluster: SimulatedCluster, tmp_path: Path) -> None:
    """The stand-in prints the engine's answer byte for byte (blank lines and spaces kept), exits with its
    code, and starts no `sleep` while it waits (it naps on a FIFO), with or without HADRILL_SIM_STANDINS."""
    out, err = "line one\n\n  indented  \n\n\n", "\nwarning: x \n\n"

    def answer(request: Path) -> None:
        base = request.with_suffix("")
        time.sleep(0.05)  # the stand-in has to wait a few naps
        base.with_suffix(".out").write_text(out)
        base.with_suffix(".err").write_text(err)
        base.with_suffix(".done").write_text("3\n")
        request.unlink()

    cluster.engine.handle_request = answer
    inbox = cluster.root / "cluster" / "inbox"
    assert (inbox / ".wake").is_fifo() and (inbox / ".nap").is_fifo()
    spy = tmp_path / "spy"
    spy.mkdir()
    (spy / "sleep").write_text(f'#!/bin/bash\necho "$@" >>{tmp_path / "slept"}\nPATH=/usr/bin:/bin exec sleep "$@"\n')
    (spy / "sleep").chmod(0o755)
    path = f"{cluster.root / 'bin'}:{spy}:/usr/bin:/bin"
    for standins in (None, str(STANDINS)):
        env = {"PATH": path, **({"HADRILL_SIM_STANDINS": standins} if standins else {})}
        done = stand_in(cluster, 0, "rpm", "-q", "anything", **env)
        assert (done.returncode, done.stdout, done.stderr) == (3, out, err)
    assert not (tmp_path / "slept").exists()
    assert not [p for p in inbox.iterdir() if p.suffix in {".out", ".err", ".done", ".req"}]


def test_reads_do_not_wake_the_engine_and_changes_do(
    cluster: SimulatedCluster, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SSM asks whether a node is online many times a second: reads hold the lock without waking."""
    wakes: list[str] = []
    monkeypatch.setattr(cluster.engine.lock, "_wake", lambda: wakes.append(threading.current_thread().name))
    primary, standby = cluster.instance_ids
    assert cluster.is_online(primary) and cluster.vip_route_target() == cluster.eni_of(primary)
    assert cluster.active_node() == cluster.lifekeeper_name(primary) and cluster.history() is not None
    assert wakes == []
    cluster.stop_instance(standby)
    assert wakes == [threading.current_thread().name]


def test_stand_ins_fork_no_subshells() -> None:
    """A fleet drill runs thousands of stand-ins: they read their state with builtins. The one command
    substitution left finds _common.sh when HADRILL_SIM_STANDINS is not set (outside run_document)."""
    fallback = '. "${HADRILL_SIM_STANDINS:-$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")}/_common.sh"'
    for path in STANDINS.iterdir():
        lines = [line for line in path.read_text().splitlines() if line != fallback and not line.startswith("#")]
        assert not [line for line in lines if "$(" in line and "$((" not in line], path.name
        assert not [line for line in lines if re.search(r"\b(grep|cat|sed|awk|dirname|readlink)\b", line)], path.name
