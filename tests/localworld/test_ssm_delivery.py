"""SSM Run Command on the simulated nodes: asynchronous, per node, failing as SSM reports it."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from botocore.exceptions import ClientError
from lw_fakes import FakeCluster  # type: ignore[import-not-found]
from lw_support import NODES, REPO, invocation, lambda_task, machine, wait_status  # type: ignore[import-not-found]

from localworld import CommandOutcome, LocalWorld
from localworld.ssm import aggregate, final_status


# -- Lambda -> SSM -> node ---------------------------------------------------------------------
def test_lambda_sends_command_that_stays_in_progress_until_the_script_ends(
    world: LocalWorld, cluster: FakeCluster
) -> None:
    cluster.delay_s = 10  # held until release is set
    fn = world.add_lambda("send", "lw_handlers.send_command")
    arn = machine(world, "send", {"Send": lambda_task()}, "Send", Fn=fn)

    result = world.run_execution(
        arn, {"instances": [NODES[0]], "parameters": {"Message": ["hi"]}}, name="send-1", timeout_s=10
    )

    assert result.succeeded, result
    assert (result.lambda_invocations, result.ssm_commands_sent, result.state_transitions) == (1, 1, 1)
    command_id = result.output["CommandId"]
    assert result.output["Status"] == "InProgress"  # real SSM says Pending here; see localworld.ssm
    running = invocation(world, command_id, NODES[0])
    assert (running["Status"], running["ResponseCode"], running["StandardOutputContent"]) == ("InProgress", -1, "")
    listed = world.client("ssm").list_commands(CommandId=command_id)["Commands"][0]
    assert (listed["Status"], listed["CompletedCount"]) == ("InProgress", 0)

    cluster.release.set()
    done = wait_status(world, command_id, NODES[0])
    assert (done["Status"], done["StatusDetails"], done["ResponseCode"]) == ("Success", "Success", 0)
    assert done["StandardOutputContent"] == f"{NODES[0]} Message=hi\n"
    assert done["ExecutionElapsedTime"].startswith("PT")
    listed = world.client("ssm").list_commands(CommandId=command_id)["Commands"][0]
    assert (listed["Status"], listed["CompletedCount"], listed["ErrorCount"]) == ("Success", 1, 0)
    assert cluster.runs == [(NODES[0], "Echo", {"Message": ["hi"]}, 3600)]
    assert world.lambda_invocations["send"] == 1


def test_failed_script_and_output_truncated_like_ssm(world: LocalWorld, cluster: FakeCluster) -> None:
    cluster.delay_s = 0
    ssm = world.client("ssm")
    failed = ssm.send_command(InstanceIds=list(NODES), DocumentName="Fail")["Command"]["CommandId"]
    big = ssm.send_command(InstanceIds=[NODES[1]], DocumentName="Big")["Command"]["CommandId"]

    got = wait_status(world, failed, NODES[0])
    assert (got["Status"], got["ResponseCode"], got["StandardErrorContent"]) == ("Failed", 3, "boom\n")
    wait_status(world, failed, NODES[1])
    command = ssm.list_commands(CommandId=failed)["Commands"][0]
    assert (command["Status"], command["ErrorCount"], command["CompletedCount"]) == ("Failed", 2, 2)
    per_node = ssm.list_command_invocations(CommandId=failed, Details=True)["CommandInvocations"]
    assert sorted(i["InstanceId"] for i in per_node) == sorted(NODES)
    assert per_node[0]["CommandPlugins"][0]["ResponseCode"] == 3

    got = wait_status(world, big, NODES[1])
    assert (len(got["StandardOutputContent"]), len(got["StandardErrorContent"])) == (24_000, 8_000)


def test_cancel_marks_the_running_invocation_cancelled(world: LocalWorld, cluster: FakeCluster) -> None:
    cluster.delay_s = 10
    ssm = world.client("ssm")
    command_id = ssm.send_command(InstanceIds=[NODES[0]], DocumentName="Echo")["Command"]["CommandId"]
    ssm.cancel_command(CommandId=command_id)
    cluster.release.set()
    time.sleep(0.05)  # the script ends; its Success must not overwrite Cancelled
    assert invocation(world, command_id, NODES[0])["Status"] == "Cancelled"
    assert ssm.list_commands(CommandId=command_id)["Commands"][0]["Status"] == "Cancelled"


def test_backend_crash_fails_the_command_and_is_kept(world: LocalWorld, cluster: FakeCluster) -> None:
    cluster.delay_s = 0
    command_id = world.client("ssm").send_command(InstanceIds=[NODES[0]], DocumentName="Crash")["Command"]
    got = wait_status(world, command_id["CommandId"], NODES[0])
    assert got["Status"] == "Failed" and "simulator bug" in got["StandardErrorContent"]
    assert [str(e) for e in world.background_errors] == ["simulator bug"]


DOCUMENT = {
    "schemaVersion": "2.2",
    "description": "test document",
    "parameters": {
        "Tag": {"type": "String", "allowedPattern": "^[a-z]{1,8}$", "interpolationType": "ENV_VAR"},
        "Poll": {"type": "String", "allowedPattern": "^[0-9]+$", "default": "100"},
    },
    "mainSteps": [
        {"action": "aws:runShellScript", "name": "run", "inputs": {"timeoutSeconds": "120", "runCommand": ["true"]}}
    ],
}


def test_registered_document_checks_parameters_and_fills_defaults(world: LocalWorld, cluster: FakeCluster) -> None:
    cluster.delay_s = 0
    ssm = world.client("ssm")
    world.add_document("Doc", DOCUMENT)
    for bad in ({"Tag": ["UPPER"]}, {"Tag": ["ok"], "Extra": ["x"]}, {}, {"Tag": ["a", "b"]}, {"Tag": ["ok!"]}):
        with pytest.raises(ClientError, match="InvalidParameters"):
            ssm.send_command(InstanceIds=[NODES[0]], DocumentName="Doc", Parameters=bad)

    command = ssm.send_command(InstanceIds=[NODES[0]], DocumentName="Doc", Parameters={"Tag": ["hulft"]})
    assert wait_status(world, command["Command"]["CommandId"], NODES[0])["Status"] == "Success"
    assert cluster.runs == [(NODES[0], "Doc", {"Tag": ["hulft"], "Poll": ["100"]}, 120)]
    assert world.ssm.commands_sent == 1  # refused commands are not counted


def test_strict_documents_refuse_unknown_documents(cluster: FakeCluster) -> None:
    with LocalWorld(strict_documents=True) as world:
        world.add_nodes(cluster, mirror_ec2=False)
        with pytest.raises(ClientError, match="InvalidDocument"):
            world.client("ssm").send_command(InstanceIds=[NODES[0]], DocumentName="Nope")


def test_targets_select_nodes_by_tag(world: LocalWorld, cluster: FakeCluster) -> None:
    cluster.delay_s = 0
    sent = world.client("ssm").send_command(
        Targets=[{"Key": "tag:Name", "Values": ["secondary"]}], DocumentName="Echo"
    )["Command"]
    assert wait_status(world, sent["CommandId"], NODES[1])["Status"] == "Success"
    assert [run[0] for run in cluster.runs] == [NODES[1]]


@pytest.mark.parametrize(
    ("outcome", "expected"),
    [
        (CommandOutcome("Success", 0, "", ""), ("Success", "Success")),
        (CommandOutcome("Failed", 1, "", ""), ("Failed", "Failed")),
        (CommandOutcome("TimedOut", 124, "", ""), ("TimedOut", "ExecutionTimedOut")),
        (CommandOutcome("TimedOut", -1, "", ""), ("TimedOut", "ExecutionTimedOut")),
        (CommandOutcome("Undeliverable", -1, "", ""), ("Failed", "Undeliverable")),
        (CommandOutcome("Cancelled", -1, "", ""), ("Cancelled", "Cancelled")),
    ],
)
def test_outcomes_read_as_ssm_statuses(outcome: CommandOutcome, expected: tuple[str, str]) -> None:
    assert final_status(outcome) == expected


def test_command_status_is_aggregated_from_invocations() -> None:
    def inv(status: str, detail: str | None = None) -> dict[str, str]:
        return {"Status": status, "StatusDetails": detail or status}

    assert aggregate([inv("Success"), inv("InProgress")])["Status"] == "InProgress"
    assert aggregate([inv("Delayed"), inv("Pending")])["Status"] == "Pending"
    assert aggregate([inv("Success"), inv("Success")])["Status"] == "Success"
    timed_out = aggregate([inv("Success"), inv("TimedOut", "DeliveryTimedOut")])
    assert (timed_out["Status"], timed_out["DeliveryTimedOutCount"], timed_out["ErrorCount"]) == ("TimedOut", 1, 0)
    incomplete = aggregate([inv("Success"), inv("Failed", "Undeliverable")])
    assert (incomplete["Status"], incomplete["StatusDetails"], incomplete["ErrorCount"]) == ("Failed", "Incomplete", 0)


# -- offline nodes -----------------------------------------------------------------------------
def test_command_for_an_offline_node_is_delayed_then_delivery_times_out(
    world: LocalWorld, cluster: FakeCluster
) -> None:
    cluster.online[NODES[1]] = False
    command_id = world.client("ssm").send_command(InstanceIds=[NODES[1]], DocumentName="Echo")["Command"]

    assert invocation(world, command_id["CommandId"], NODES[1])["Status"] == "Delayed"
    got = wait_status(world, command_id["CommandId"], NODES[1])
    assert (got["Status"], got["StatusDetails"], got["ResponseCode"]) == ("TimedOut", "DeliveryTimedOut", -1)
    assert cluster.runs == []


def test_delayed_command_runs_when_the_node_comes_back_in_time(world: LocalWorld, cluster: FakeCluster) -> None:
    cluster.delay_s = 0
    cluster.online[NODES[1]] = False
    command_id = world.client("ssm").send_command(InstanceIds=[NODES[1]], DocumentName="Echo")["Command"]
    time.sleep(0.1)
    cluster.online[NODES[1]] = True
    assert wait_status(world, command_id["CommandId"], NODES[1])["Status"] == "Success"


def test_ping_status_follows_the_backend(world: LocalWorld, cluster: FakeCluster) -> None:
    ssm = world.client("ssm")
    cluster.online[NODES[1]] = False
    listed = {i["InstanceId"]: i["PingStatus"] for i in ssm.describe_instance_information()["InstanceInformationList"]}
    assert listed == {NODES[0]: "Online", NODES[1]: "ConnectionLost"}
    only = ssm.describe_instance_information(Filters=[{"Key": "PingStatus", "Values": ["Online"]}])
    assert [i["InstanceId"] for i in only["InstanceInformationList"]] == [NODES[0]]
    by_id = ssm.describe_instance_information(
        InstanceInformationFilterList=[{"key": "InstanceIds", "valueSet": [NODES[1]]}]
    )
    assert by_id["InstanceInformationList"][0]["IPAddress"]


# -- the real simulator -----------------------------------------------------------------------
def test_real_simulator_runs_the_documents_scripts(tmp_path: Path) -> None:
    simulator = pytest.importorskip("simulator")
    with (
        simulator.SimulatedCluster(tmp_path, name="sim", timings=simulator.Timings.fast()) as cluster,
        LocalWorld(time_scale=0.01, delivery_timeout_s=0.3) as world,
    ):
        world.add_documents(REPO / "documents")
        primary, _ = world.add_nodes(cluster)
        ssm = world.client("ssm")
        with pytest.raises(ClientError, match="InvalidParameters"):  # checked before any node sees it
            ssm.send_command(
                InstanceIds=[primary], DocumentName="HADrill-NodeStatus", Parameters={"LogicalHost": ["a b"]}
            )
        sent = ssm.send_command(
            InstanceIds=[primary], DocumentName="HADrill-NodeStatus", Parameters={"LogicalHost": ["hulft-vip"]}
        )
        got = wait_status(world, sent["Command"]["CommandId"], primary, timeout_s=10)
        assert (got["Status"], got["ResponseCode"]) == ("Success", 0), got["StandardErrorContent"]
        assert json.loads(got["StandardOutputContent"].strip().splitlines()[-1])["ok"] is True


def test_instance_information_for_given_ids_asks_only_those_nodes(world: LocalWorld, cluster: FakeCluster) -> None:
    """A drill asks about its two nodes; a fleet's world holds a hundred: the others are not looked at."""
    asked: list[str] = []
    online = cluster.is_online

    def counting(instance_id: str) -> bool:
        asked.append(instance_id)
        return online(instance_id)

    cluster.is_online = counting  # type: ignore[method-assign]
    ssm = world.client("ssm")
    by_id = ssm.describe_instance_information(Filters=[{"Key": "InstanceIds", "Values": [NODES[1], "i-0unknown"]}])
    assert [i["InstanceId"] for i in by_id["InstanceInformationList"]] == [NODES[1]]
    assert asked == [NODES[1]]
    both = ssm.describe_instance_information(Filters=[{"Key": "InstanceIds", "Values": [NODES[1], NODES[0]]}])
    assert [i["InstanceId"] for i in both["InstanceInformationList"]] == sorted(NODES[:2])
