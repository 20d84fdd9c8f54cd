"""Verdicts built on the parsers: takeover, node health, comm paths, RTO."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hadrill.errors import ParseError
from hadrill.hulft_ps import parse_hulft_processes
from hadrill.lcdstatus import parse_lcdstatus
from hadrill.results import TimelineEvent, parse_fault_result, parse_node_status, parse_result_line, parse_watch_result
from hadrill.verdicts import (
    comm_paths_alive,
    health_verdict,
    node_verdict,
    route_points_at,
    rto_seconds,
    takeover_complete,
)

FIXTURES = Path(__file__).parent / "fixtures"


def load(name: str) -> str:
    return (FIXTURES / name).read_text()


def node_status_line(**overrides: object) -> str:
    result: dict[str, object] = {
        "ok": True,
        "changed": False,
        "message": "status of lk-node1",
        "node": "lk-node1",
        "lk_running": True,
        "lk_initdone": True,
        "lcdstatus": load("lcdstatus_primary_healthy.txt"),
        "ps": load("ps_active_one_line.txt"),
        "data_mounted": True,
        "mirror_in_sync": True,
        "mirror_status": "Status: Fully Operational",
        "hosts_entry": "10.255.0.10 hulft-vip",
        "packages": ["steeleye-lkHUL-8.2.1-6353.noarch"],
        "hulft_installed": "08.01.02 active",
    }
    result.update(overrides)
    return "some stderr-free progress line\n" + json.dumps(result) + "\n"


def test_takeover_complete_after_failover() -> None:
    """Standby after failover: hierarchy ISP and the blog's three daemons up -> complete."""
    verdict = takeover_complete(
        parse_lcdstatus(load("lcdstatus_after_failover.txt")),
        parse_hulft_processes(load("ps_blog_wrapped.txt")),
        "hulft",
    )
    assert verdict.passed, verdict.failures


def test_takeover_not_complete_while_a_daemon_is_missing() -> None:
    """Hierarchy ISP but hulobsd not running yet -> not complete, and the check says which."""
    verdict = takeover_complete(
        parse_lcdstatus(load("lcdstatus_after_failover.txt")),
        parse_hulft_processes(load("ps_manual_start.txt")),
        "hulft",
    )
    assert not verdict.passed
    assert [c.detail for c in verdict.failures] == ["not running: hulobsd"]


def test_takeover_not_complete_on_a_standby() -> None:
    verdict = takeover_complete(parse_lcdstatus(load("lcdstatus_standby_healthy.txt")), (), "hulft")
    assert {c.name for c in verdict.failures} == {"hierarchy hulft ISP", "HULFT daemons running"}
    assert "hulft=OSU" in verdict.failures[0].detail


def test_comm_paths() -> None:
    """Any DEAD path fails the check and is named; no path at all fails too."""
    assert comm_paths_alive(parse_lcdstatus(load("lcdstatus_primary_healthy.txt"))).passed
    dead = comm_paths_alive(parse_lcdstatus(load("lcdstatus_all_states.txt")))
    assert not dead.passed and "172.16.2.11/172.16.2.12" in dead.detail
    empty = parse_lcdstatus("LOCAL TAG ID STATE PRIO PRIMARY\n\nMACHINE NETWORK ADDRESSES/DEVICE STATE PRIO\n")
    assert not comm_paths_alive(empty).passed


def test_healthy_active_node() -> None:
    status = parse_node_status(node_status_line())
    verdict = node_verdict(status, "active", "hulft")
    assert verdict.passed, verdict.failures
    assert status.packages == ("steeleye-lkHUL-8.2.1-6353.noarch",)


def test_healthy_standby_node() -> None:
    status = parse_node_status(
        node_status_line(
            lcdstatus=load("lcdstatus_standby_healthy.txt"), ps=load("ps_standby_none.txt"), data_mounted=False
        )
    )
    assert node_verdict(status, "standby", "hulft").passed


def test_unhealthy_node_lists_every_failure() -> None:
    """Mirror out of sync, daemons on the standby, /data mounted there: three failures."""
    status = parse_node_status(
        node_status_line(
            lcdstatus=load("lcdstatus_standby_healthy.txt"), mirror_in_sync=False, mirror_status="Out of Sync"
        )
    )
    failures = {c.name for c in node_verdict(status, "standby", "hulft").failures}
    assert failures == {"mirror in sync", "no HULFT daemons on standby", "/data mount"}


def test_lifekeeper_down_node() -> None:
    status = parse_node_status(node_status_line(lk_running=False, lk_initdone=False, lcdstatus=""))
    assert status.lcdstatus is None
    assert "LifeKeeper running" in {c.name for c in node_verdict(status, "active", "hulft").failures}


def test_result_line_errors() -> None:
    with pytest.raises(ParseError, match="printed nothing"):
        parse_result_line("")
    with pytest.raises(ParseError, match="not JSON"):
        parse_result_line('{"ok": true}\nTraceback (most recent call last)\n')
    with pytest.raises(ParseError, match="'changed'"):
        parse_result_line('{"ok": true, "message": "x"}')
    with pytest.raises(ParseError, match="'lk_running'"):
        parse_node_status('{"ok": true, "changed": false, "message": "x", "node": "lk-node1"}')


def test_route_and_rto() -> None:
    assert route_points_at("eni-1", "eni-1").passed
    assert not route_points_at("eni-1", "eni-2").passed
    assert rto_seconds(1_000_000, 1_017_250) == 17.25
    with pytest.raises(ValueError, match="clocks disagree"):
        rto_seconds(2_000, 1_000)


WATCH = (
    "TIMELINE 1000 watch started on lk-node2 (every 100 ms)\n"
    '{"ok":true,"changed":false,"message":"takeover complete","takeover_epoch_ms":18250,'
    '"watch_started_epoch_ms":1000,"polls":172,"timeline":[{"epoch_ms":1000,"event":"watch started"},'
    '{"epoch_ms":18250,"event":"takeover complete"}]}\n'
)


def test_watch_and_fault_results_give_the_rto() -> None:
    """The watcher's takeover stamp minus the injector's fault stamp is the RTO."""
    watched = parse_watch_result(WATCH)
    fault = parse_fault_result('{"ok":true,"changed":true,"message":"m","fault":"network-down","fault_epoch_ms":1250}')
    assert (
        watched.complete and watched.polls == 172 and watched.timeline[-1] == TimelineEvent(18250, "takeover complete")
    )
    assert watched.takeover_epoch_ms is not None
    assert rto_seconds(fault.fault_epoch_ms, watched.takeover_epoch_ms) == 17.0


def test_watch_timeout_and_bad_results() -> None:
    timed_out = parse_watch_result(
        '{"ok":false,"changed":false,"message":"no takeover","watch_started_epoch_ms":1,"polls":3,"timeline":[]}'
    )
    assert not timed_out.complete and timed_out.takeover_epoch_ms is None
    with pytest.raises(ParseError, match="'watch_started_epoch_ms' or 'polls' missing"):
        parse_watch_result('{"ok":true,"changed":false,"message":"x"}')
    with pytest.raises(ParseError, match=r"'timeline\.0\.epoch_ms'"):
        parse_watch_result(
            '{"ok":false,"changed":false,"message":"x","watch_started_epoch_ms":1,"polls":3,"timeline":[{"event":"e"}]}'
        )
    with pytest.raises(ParseError, match="not injected: pkill failed"):
        parse_fault_result('{"ok":false,"changed":false,"message":"pkill failed"}')


def test_health_verdict_from_the_script_result() -> None:
    line = (
        '{"ok":false,"changed":false,"message":"unhealthy","checks":['
        '{"name":"comm paths ALIVE","passed":true,"detail":"2 path(s) ALIVE"},'
        '{"name":"mirror in sync","passed":false,"detail":"Out of Sync"}],"lcdstatus":""}'
    )
    verdict = health_verdict(line)
    assert not verdict.passed and [c.name for c in verdict.failures] == ["mirror in sync"]
    with pytest.raises(ParseError, match="no 'checks'"):
        health_verdict('{"ok":true,"changed":false,"message":"x"}')
