"""`hadrill status`: local mode healthy (0) and degraded (1, each problem named), one node unreachable,
the --json shape, an AWS error (3), bad input (2), progress lines, and the Japanese lines."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import pytest
from botocore.exceptions import ClientError

from hadrill.records import WorkflowRecord
from hadrill.status import NOTE_TEXT, PROBLEM_TEXT, Finding, RouteView, assess
from hadrill_cli import messages, status_command
from hadrill_cli.main import main
from hadrill_cli.render import LineReporter
from hadrill_cli.status_messages import STATUS_CATALOG
from hadrill_cli.status_reads import StatusSources, read_status
from stacks.config import DEFAULT_CONFIG_PATH, load_config

if TYPE_CHECKING:
    from localrunner import LocalDeployment


def test_local_healthy_cluster_exits_0_with_the_json_shape(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["status", "--local", "--json"]) == 0
    out = capsys.readouterr().out
    status = json.loads(out)  # --json: stdout is one JSON document, no progress lines
    assert status["mode"] == "local-simulated" and status["healthy"] is True and status["problems"] == []
    assert set(status) >= {
        "cluster",
        "checked",
        "active_node",
        "nodes",
        "route",
        "lock",
        "last_drill",
        "schedules",
        "next_drill",
        "notes",
    }
    primary, secondary = status["nodes"]
    assert status["active_node"] == primary["name"] and status["route"]["node"] == primary["name"]
    assert [(r["tag"], r["state"]) for r in primary["resources"] if r["tag"].startswith("hulft")] == [
        ("hulft", "ISP"),
        ("hulft-obs", "ISP"),
        ("hulft-rcv", "ISP"),
        ("hulft-snd", "ISP"),
    ]
    assert {r["state"] for r in secondary["resources"]} == {"OSU"}
    assert primary["daemons"] == ["hulobsd", "hulrcvd", "hulsndd"] and secondary["daemons"] == []
    assert {p["state"] for n in status["nodes"] for p in n["comm_paths"]} == {"ALIVE"}
    assert primary["mirror_percent"] == 100 and primary["versions"]["lifekeeper"]
    assert [(s["enabled"], s["next_run"]) for s in status["schedules"]] == [(False, None)]  # the config's, off


def test_local_standby_stopped_is_degraded_and_names_the_unreachable_node(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["status", "--local", "--sim-fault", "standby-stopped"]) == 1
    out = capsys.readouterr().out
    assert "DEGRADED" in out
    assert "node lk-node-b (secondary, " in out and "UNREACHABLE: not online in SSM: ConnectionLost" in out
    assert "  - lk-node-b: unreachable (not online in SSM: ConnectionLost)" in out
    # The primary still answered in the same round trip, and is still the active node.
    assert "node lk-node-a (primary, " in out and "): ACTIVE" in out
    assert "  ... HADrill-NodeStatus sent" in out and "to 1 of 2 nodes (one command)" in out  # progress, piped


def test_local_dead_comm_path_exits_1_with_the_path_named(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["status", "--local", "--sim-fault", "comm-path-dead", "--json"]) == 1
    status = json.loads(capsys.readouterr().out)
    assert status["healthy"] is False
    texts = [p["text"] for p in status["problems"]]
    assert texts == [
        "lk-node-a: comm path to lk-node-b over 10.0.2.10/10.0.34.10 is DEAD",
        "lk-node-b: comm path to lk-node-a over 10.0.34.10/10.0.2.10 is DEAD",
    ]


@pytest.fixture(scope="module")
def deployment() -> Iterator[LocalDeployment]:
    """One simulated cluster as setup leaves it, shared by the tests that read it directly."""
    with status_command.local_installed_cluster(load_config(DEFAULT_CONFIG_PATH)) as deployed:
        yield deployed


def test_lock_last_drill_and_next_schedule_from_the_local_world(deployment: LocalDeployment) -> None:
    """A held lock, a FAILED drill record and an enabled schedule, read through the same calls as AWS mode."""
    config = deployment.config
    assert config is not None
    dynamodb = deployment.world.client("dynamodb")
    dynamodb.put_item(
        TableName=deployment.records_table,
        Item={
            "cluster": {"S": config.cluster_name},
            "recordId": {"S": "lock"},
            "owner": {"S": "arn:aws:states:ap-northeast-1:123456789012:execution:x:drill-20261128T000000Z"},
            "drillId": {"S": "drill-20261128T000000Z"},
            "acquiredEpochMs": {"N": "1795824000000"},
            "expiresEpochMs": {"N": "4102444800000"},
        },
    )
    record = WorkflowRecord(
        cluster=config.cluster_name,
        kind="drill",
        execution="arn:aws:states:ap-northeast-1:123456789012:execution:x:drill-20261127T170000Z",
        started="2026-11-27T17:00:00.000Z",
        outcome="FAILED",
        detail={"drill_id": "drill-20261127T170000Z", "scenario": "network-down", "rto_seconds": 131.25},
    )
    dynamodb.put_item(TableName=deployment.records_table, Item=record.item())
    events = deployment.world.client("events")
    rule = events.list_rule_names_by_target(TargetArn=deployment.state_machines["Drill"])["RuleNames"][0]
    events.enable_rule(Name=rule)
    stream = io.StringIO()
    status = read_status(status_command.local_sources(deployment), LineReporter(stream), poll_seconds=0.05)
    assert status.healthy  # none of these is a fault of the cluster
    lines = status_command.render(status)
    assert (
        "drill lock: held by drill-20261128T000000Z since 2026-11-28T00:00:00.000Z, until 2100-01-01T00:00:00.000Z"
        in lines
    )
    assert (
        "last drill: drill-20261127T170000Z network-down FAILED, RTO 131.250 s, started 2026-11-27T17:00:00.000Z"
        in lines
    )
    upcoming = status.next_drill
    assert upcoming is not None and upcoming.rule == rule and upcoming.next_run is not None
    assert f"next drill: {upcoming.next_run} ({rule}, cron(0 17 ? * SUN *))" in lines
    assert [n.key for n in status.notes] == ["lock_held", "last_drill_not_passed"]
    progress = stream.getvalue()
    steps = ("HADrill-NodeStatus sent", "VIP route", "drill lock and last drill", "drill schedules", "node answers")
    for step in steps:
        assert f"[ ok ] {step}" in progress


class _Failing:
    """An EC2 client whose DescribeRouteTables is refused, as IAM would refuse it."""

    def describe_route_tables(self, **_: Any) -> Any:
        raise ClientError({"Error": {"Code": "UnauthorizedOperation", "Message": "not allowed"}}, "DescribeRouteTables")


def test_an_aws_error_exits_3(
    deployment: LocalDeployment, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    world_client = deployment.world.client

    def client(service: str) -> Any:
        return _Failing() if service == "ec2" else world_client(service)

    sources = StatusSources(deployment.facts, deployment.records_table, None, client)
    monkeypatch.setattr(status_command, "aws_sources", lambda target: sources)
    assert main(["status", "--cluster", deployment.facts.cluster_name]) == 3
    err = capsys.readouterr().err
    assert "hadrill status:" in err and "UnauthorizedOperation" in err and "Traceback" not in err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["status"], "give --cluster NAME (a deployed cluster) or --local"),
        (["status", "--cluster", "hulft-demo", "--sim-fault", "comm-path-dead"], "--sim-* options need --local"),
        (["status", "--cluster", "Bad Name!"], "bad input"),
        (["status", "--local", "--wait", "0"], "--wait must be between 1 and 600 seconds"),
    ],
)
def test_bad_input_exits_2(argv: list[str], message: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(argv) == 2
    assert message in capsys.readouterr().err


def test_problem_and_note_lines_match_the_domain_text_in_english_and_exist_in_japanese() -> None:
    for key, text in PROBLEM_TEXT.items():
        assert STATUS_CATALOG[f"status_problem_{key}"]["en"] == text
    for key, text in NOTE_TEXT.items():
        assert STATUS_CATALOG[f"status_note_{key}"]["en"] == text
    assert all(entry["ja"].strip() for entry in STATUS_CATALOG.values())


def test_japanese_render() -> None:
    status = assess(
        cluster="hulft-demo",
        now=datetime(2026, 11, 28, tzinfo=UTC),
        nodes=[],
        virtual_ip="10.254.0.10",
        hulft_tag="hulft",
        mirror_tag="datarep-data",
        data_mount="/data",
        route=RouteView(None, None, "no route for 10.254.0.10/32 in 2 route table(s)"),
        eni_of_node={},
        lock=None,
        last_drill=None,
        schedules=[],
    )
    messages.use("ja")
    try:
        lines = status_command.render(status)
        assert lines[0] == "hulft-demo: 異常あり (DEGRADED)、問題 1 件; hulft の稼働ノード: なし"
        assert "  - VIP ルート: no route for 10.254.0.10/32 in 2 route table(s)" in lines
        assert (
            status_command.finding_text(Finding("lk_down", {"node": "lk-node-a"}))
            == "lk-node-a: LifeKeeper が停止しています"
        )
    finally:
        messages.use("en")
