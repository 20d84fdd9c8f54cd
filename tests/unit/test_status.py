"""hadrill.status: the node outputs captured from HADrill-NodeStatus (tests/unit/fixtures/status_*) parsed
and judged, the lock, the last drill, the schedules, and the problems each named."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hadrill.lcdstatus import parse_lcdstatus
from hadrill.records import WorkflowRecord
from hadrill.status import (
    ClusterStatus,
    NodeInput,
    NodeView,
    RouteView,
    assess,
    drill_view,
    hierarchy_names,
    lock_view,
    node_view,
    package_version,
    route_view,
    schedule_view,
)

FIXTURES = Path(__file__).parent / "fixtures"
NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
ENIS = {"lk-node-a": "eni-a", "lk-node-b": "eni-b"}
PRIMARY = {"name": "lk-node-a", "role": "primary", "instance_id": "i-a", "eni_id": "eni-a"}
SECONDARY = {"name": "lk-node-b", "role": "secondary", "instance_id": "i-b", "eni_id": "eni-b"}


def load(name: str) -> str:
    return (FIXTURES / f"status_{name}.txt").read_text()


def view(fixture: str, node: dict[str, str]) -> NodeView:
    return node_view(NodeInput(**node, stdout=load(fixture)), hulft_tag="hulft")


def judge(primary: NodeView, secondary: NodeView, *, route_to: str | None = "eni-a", **extra: Any) -> ClusterStatus:
    arguments: dict[str, Any] = {
        "cluster": "hulft-demo",
        "now": NOW,
        "nodes": [primary, secondary],
        "virtual_ip": "10.254.0.10",
        "hulft_tag": "hulft",
        "mirror_tag": "datarep-data",
        "data_mount": "/data",
        "route": RouteView(route_to, {v: k for k, v in ENIS.items()}.get(route_to or "")),
        "eni_of_node": ENIS,
        "lock": None,
        "last_drill": None,
        "schedules": [],
    }
    arguments.update(extra)
    return assess(**arguments)


def keys(status: ClusterStatus) -> list[str]:
    return [p.key for p in status.problems]


def test_healthy_primary_parsed_from_the_captured_output() -> None:
    """status_primary_healthy: the hierarchy by LifeKeeper tag, daemons, mirror 100 %, versions."""
    node = view("primary_healthy", PRIMARY)
    assert node.reachable and node.lifekeeper_running and node.hulft_state == "ISP"
    assert [(r.tag, r.depth, r.state) for r in node.resources] == [
        ("ec2-vip", 0, "ISP"),
        ("hulft", 0, "ISP"),
        ("/data", 1, "ISP"),
        ("datarep-data", 2, "ISP"),
        ("hulft-obs", 1, "ISP"),
        ("hulft-rcv", 1, "ISP"),
        ("hulft-snd", 1, "ISP"),
    ]
    assert node.daemons == ("hulobsd", "hulrcvd", "hulsndd")
    assert [(p.peer, p.state) for p in node.comm_paths] == [("lk-node-b", "ALIVE"), ("lk-node-b", "ALIVE")]
    assert node.mirror_in_sync and node.mirror_percent == 100 and node.data_mounted
    assert node.versions == {
        "lifekeeper": "9.8.1-7160",
        "datakeeper": "9.8.1-7160",
        "ec2_recovery_kit": "9.8.1-7160",
        "hulft_recovery_kit": "8.2.1-6353",
        "hulft": "08.01.02",
    }


def test_healthy_cluster_has_no_problem_and_names_the_active_node() -> None:
    status = judge(view("primary_healthy", PRIMARY), view("standby_healthy", SECONDARY))
    assert status.healthy and status.problems == () and status.notes == ()
    assert status.active_node == "lk-node-a"
    document = status.as_dict()
    assert document["healthy"] is True and document["active_node"] == "lk-node-a"
    assert json.loads(json.dumps(document)) == document  # plain JSON


def test_dead_comm_path_is_named_on_each_node() -> None:
    """status_primary_comm_path_dead: the second path DEAD; the problem names peer and addresses."""
    status = judge(view("primary_comm_path_dead", PRIMARY), view("standby_healthy", SECONDARY))
    assert keys(status) == ["comm_path_dead"]
    assert status.problems[0].text() == "lk-node-a: comm path to lk-node-b over 10.0.2.10/10.0.34.10 is DEAD"


def test_unreachable_standby_and_what_the_primary_sees() -> None:
    """status_primary_peer_stopped: the standby's instance is stopped; the primary's paths are DEAD and
    the mirror Out of Sync at 0 %. Every one of those is a named problem, and the primary stays active."""
    standby = node_view(NodeInput(**SECONDARY, unreachable="not online in SSM: ConnectionLost"), hulft_tag="hulft")
    status = judge(view("primary_peer_stopped", PRIMARY), standby)
    assert status.active_node == "lk-node-a"
    assert keys(status) == ["comm_path_dead", "comm_path_dead", "mirror_not_in_sync", "node_unreachable"]
    assert "lk-node-a: mirror datarep-data is not in sync (0% synced)" in [p.text() for p in status.problems]
    assert status.problems[-1].text() == "lk-node-b: unreachable (not online in SSM: ConnectionLost)"


def test_after_a_switchover_the_secondary_is_active_and_that_is_a_note() -> None:
    """status_secondary_active / status_primary_standby: healthy, with the hierarchy on the secondary."""
    status = judge(view("primary_standby", PRIMARY), view("secondary_active", SECONDARY), route_to="eni-b")
    assert status.healthy and status.active_node == "lk-node-b"
    assert [n.key for n in status.notes] == ["on_secondary"]


def test_vip_route_pointing_at_the_standby_is_a_problem() -> None:
    status = judge(view("primary_healthy", PRIMARY), view("standby_healthy", SECONDARY), route_to="eni-b")
    assert keys(status) == ["vip_route_elsewhere"]
    assert "points at eni-b (lk-node-b), not at the active node lk-node-a" in status.problems[0].text()


def test_failed_resource_and_missing_daemon_are_named() -> None:
    """status_primary_resource_failed: hulft-rcv OSF and hulrcvd gone."""
    status = judge(view("primary_resource_failed", PRIMARY), view("standby_healthy", SECONDARY))
    assert keys(status) == ["resource_failed", "daemon_missing"]
    assert [p.values.get("tag") or p.values.get("daemon") for p in status.problems] == ["hulft-rcv", "hulrcvd"]


def test_lifekeeper_down_on_the_primary() -> None:
    """status_primary_lk_down: LifeKeeper stopped; nobody runs the hierarchy."""
    status = judge(view("primary_lk_down", PRIMARY), view("standby_healthy", SECONDARY))
    assert keys(status) == ["no_active_node", "lk_down"]
    assert status.active_node is None


def test_mirror_percent_from_an_older_node_script() -> None:
    """status_standby_resyncing_older_script: no mirror_percent field, so the figure is read from the text."""
    node = view("standby_resyncing_older_script", SECONDARY)
    assert node.mirror_percent == 42 and not node.mirror_in_sync
    status = judge(view("primary_healthy", PRIMARY), node)
    assert [p.text() for p in status.problems] == ["lk-node-b: mirror datarep-data is not in sync (42% synced)"]


@pytest.mark.parametrize("stdout", ["", "not json\n", '{"ok":true,"changed":false,"message":"x"}\n'])
def test_unreadable_output_is_a_named_problem_not_a_crash(stdout: str) -> None:
    node = node_view(NodeInput(**PRIMARY, stdout=stdout), hulft_tag="hulft")
    assert not node.reachable and node.answered and node.reason.startswith("unreadable output")
    status = judge(node, view("standby_healthy", SECONDARY))
    assert "node_unreadable" in keys(status)


def test_failed_command_is_unreadable_not_unreachable() -> None:
    node = node_view(NodeInput(**PRIMARY, failed="HADrill-NodeStatus Failed (exit 70)"), hulft_tag="hulft")
    assert keys(judge(node, view("standby_healthy", SECONDARY)))[-1] == "node_unreadable"


def test_package_versions_from_rpm_names() -> None:
    packages = ["steeleye-lkDR-9.8.1-7160.noarch", "steeleye-lk-9.8.1-7160.x86_64", "steeleye-lkHUL-8.2.1-6353.noarch"]
    assert package_version(packages, "steeleye-lk") == "9.8.1-7160"
    assert package_version(packages, "steeleye-lkDR") == "9.8.1-7160"
    assert package_version(packages, "steeleye-lkECC") is None


def test_hierarchy_names_as_the_vendor_names_them() -> None:
    lcd = parse_lcdstatus(json.loads(load("primary_healthy").strip().splitlines()[-1])["lcdstatus"])
    assert hierarchy_names(lcd, "hulft") == "hulft (/data (datarep-data), hulft-obs, hulft-rcv, hulft-snd)"
    assert hierarchy_names(lcd, "nosuch") == ""


def test_route_view_names_the_node_or_the_error() -> None:
    tables = json.loads((FIXTURES / "route_tables_primary.json").read_text())
    vip, eni = "10.255.0.10", "eni-0primary000000001"
    assert route_view(tables, vip, {eni: "lk-node-a"}) == RouteView(eni, "lk-node-a")
    blackhole = json.loads((FIXTURES / "route_tables_blackhole.json").read_text())
    broken = route_view(blackhole, vip, {eni: "lk-node-a"})
    assert broken.eni is None and "blackhole" in broken.error
    status = judge(view("primary_healthy", PRIMARY), view("standby_healthy", SECONDARY), route=broken)
    assert keys(status) == ["vip_route_error"]


def test_lock_held_and_stale() -> None:
    item = {
        "cluster": {"S": "hulft-demo"},
        "recordId": {"S": "lock"},
        "owner": {"S": "arn:aws:states:ap-northeast-1:123456789012:execution:d:drill-1"},
        "drillId": {"S": "drill-20261128T115900Z"},
        "acquiredEpochMs": {"N": str(int(NOW.timestamp() * 1000) - 60_000)},
        "expiresEpochMs": {"N": str(int(NOW.timestamp() * 1000) + 5_400_000)},
    }
    held = lock_view(item, int(NOW.timestamp() * 1000))
    assert held is not None and not held.expired
    assert (held.drill_id, held.acquired, held.expires) == (
        "drill-20261128T115900Z",
        "2026-11-28T11:59:00.000Z",
        "2026-11-28T13:30:00.000Z",
    )
    stale = lock_view(item, int(NOW.timestamp() * 1000) + 6_000_000)
    assert stale is not None and stale.expired
    assert lock_view(None, 0) is None
    status = judge(view("primary_healthy", PRIMARY), view("standby_healthy", SECONDARY), lock=held)
    assert status.healthy and [n.text() for n in status.notes] == [
        "drill lock held by drill-20261128T115900Z until 2026-11-28T13:30:00.000Z"
    ]


def test_last_drill_from_the_record_the_workflow_writes() -> None:
    record = WorkflowRecord(
        cluster="hulft-demo",
        kind="drill",
        execution="arn:aws:states:ap-northeast-1:1:execution:d:drill-20261127T170000Z",
        started="2026-11-27T17:00:00.000Z",
        outcome="FAILED",
        detail={
            "drill_id": "drill-20261127T170000Z",
            "scenario": "network-down",
            "rto_seconds": 131.2,
            "reason": "RTO 131.2 s > SLO 120 s",
        },
    )
    drill = drill_view(record.item())
    assert drill is not None
    assert (drill.drill_id, drill.scenario, drill.outcome, drill.rto_seconds) == (
        "drill-20261127T170000Z",
        "network-down",
        "FAILED",
        131.2,
    )
    status = judge(view("primary_healthy", PRIMARY), view("standby_healthy", SECONDARY), last_drill=drill)
    assert status.healthy and [n.key for n in status.notes] == ["last_drill_not_passed"]
    assert drill_view({"detail": {"S": "{not json"}, "outcome": {"S": "PASSED"}}) is not None


def test_schedules_next_run_and_disabled_rules() -> None:
    enabled = schedule_view(
        {"Name": "r1", "ScheduleExpression": "cron(0 17 ? * SUN *)", "State": "ENABLED", "Description": "weekly"}, NOW
    )
    assert enabled.enabled and enabled.next_run == "2026-11-29T17:00Z"  # 2026-11-28 is a Saturday
    disabled = schedule_view({"Name": "r2", "ScheduleExpression": "cron(0 1 * * ? *)", "State": "DISABLED"}, NOW)
    assert not disabled.enabled and disabled.next_run is None
    status = judge(view("primary_healthy", PRIMARY), view("standby_healthy", SECONDARY), schedules=[disabled, enabled])
    assert status.next_drill == enabled
    assert status.as_dict()["next_drill"]["rule"] == "r1"


@given(st.text(max_size=400))
def test_any_node_output_gives_a_view_never_an_exception(stdout: str) -> None:
    """Whatever a node prints, the status names the node as unreadable rather than crashing."""
    node = node_view(NodeInput(**PRIMARY, stdout=stdout), hulft_tag="hulft")
    assert node.reachable or node.reason.startswith("unreadable output")


@given(st.text(alphabet="0123456789 */,-?LW#ABCDEFGHIJKLMNOPQRSTUVWXYZ", max_size=40))
def test_next_run_of_any_expression_is_a_time_or_none(fields: str) -> None:
    found = schedule_view({"Name": "r", "ScheduleExpression": f"cron({fields})", "State": "ENABLED"}, NOW)
    assert found.next_run is None or found.next_run > NOW.strftime("%Y-%m-%dT%H:%MZ")
