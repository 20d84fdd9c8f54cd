"""Step Functions running ASL against in-process Lambdas, with Wait and Retry scaled down."""

from __future__ import annotations

import json
import os
import time
from types import SimpleNamespace

import pytest
from lw_fakes import FakeCluster  # type: ignore[import-not-found]
from lw_support import NODES, lambda_task, machine  # type: ignore[import-not-found]

from hadrill_cli.follow import _events_after
from localworld import LocalWorld, stepfunctions
from localworld.lambdas import ThreadEnviron, invoke_in_process


# -- Step Functions behaviour ------------------------------------------------------------------
def test_lambda_error_is_caught_by_catch(world: LocalWorld) -> None:
    fn = world.add_lambda("reject", "lw_handlers.reject")
    states = {
        "Validate": lambda_task(Catch=[{"ErrorEquals": ["ValueError"], "ResultPath": "$.error", "Next": "Rejected"}]),
        "Rejected": {"Type": "Pass", "End": True},
    }
    result = world.run_execution(machine(world, "reject", states, "Validate", Fn=fn), {"x": 1}, name="r-1")

    assert result.succeeded
    assert result.states_entered == ["Validate", "Rejected"]
    assert result.output["error"]["Error"] == "ValueError"
    assert "field 'cluster' is required" in json.loads(result.output["error"]["Cause"])["errorMessage"]


def test_uncaught_lambda_error_fails_the_execution(world: LocalWorld) -> None:
    fn = world.add_lambda("reject", "lw_handlers.reject")
    result = world.run_execution(machine(world, "fails", {"V": lambda_task()}, "V", Fn=fn), {}, name="f-1")
    assert (result.status, result.error) == ("FAILED", "ValueError")


def test_wiring_and_marshalling_errors_use_the_runtime_names(world: LocalWorld) -> None:
    lam = world.client("lambda")
    world.add_lambda("missing", "lw_handlers.nope")
    world.add_lambda("nomodule", "no_such_module.handler")
    world.add_lambda("marshal", "lw_handlers.unserializable")
    for name, error in (
        ("missing", "Runtime.HandlerNotFound"),
        ("nomodule", "Runtime.ImportModuleError"),
        ("marshal", "Runtime.MarshalError"),
    ):
        response = lam.invoke(FunctionName=name, Payload=b"{}")
        assert "FunctionError" in response
        assert json.loads(response["Payload"].read())["errorType"] == error


def test_a_handler_running_past_its_timeout_fails_like_lambda(monkeypatch: pytest.MonkeyPatch) -> None:
    function = SimpleNamespace(
        function_name="late",
        function_arn="arn:aws:lambda:us-east-1:123456789012:function:late",
        handler="lw_handlers.slow_env",
        memory_size=128,
        timeout=0.05,  # Lambda's minimum is 1 s; the check is the same
        environment_vars={"STAGE": "x"},
    )
    environ = ThreadEnviron(dict(os.environ))
    monkeypatch.setattr(os, "environ", environ)  # as the world does
    payload, errored, _ = invoke_in_process(function, {"pause": 0.1}, environ, lambda name: None)
    assert errored and json.loads(payload)["errorType"] == "Sandbox.Timedout"


def test_nodes_can_read_secrets_and_objects_from_the_world(world: LocalWorld) -> None:
    world.client("secretsmanager").create_secret(Name="hulft/serial", SecretString="1234567890123")
    world.client("s3").create_bucket(Bucket="media")
    world.client("s3").put_object(Bucket="media", Key="hulft.iso", Body=b"ISO")
    assert world.read_secret("hulft/serial") == "1234567890123"
    assert world.read_secret("nope") is None
    assert world.read_object("media", "hulft.iso") == b"ISO"
    assert world.read_object("media", "nope") is None


def test_wait_and_retry_backoff_are_scaled(world: LocalWorld) -> None:
    fn = world.add_lambda("flaky", "lw_handlers.flaky")
    retry = [{"ErrorEquals": ["TransientError"], "IntervalSeconds": 10, "BackoffRate": 1.0, "MaxAttempts": 3}]
    states = {"Pause": {"Type": "Wait", "Seconds": 10, "Next": "Try"}, "Try": lambda_task(Retry=retry)}
    arn = machine(world, "flaky", states, "Pause", Fn=fn)

    started = time.monotonic()
    result = world.run_execution(arn, {"key": "scaled", "failures": 2}, name="flaky-1")
    elapsed = time.monotonic() - started

    assert result.succeeded and result.output == {"attempts": 3}
    assert result.lambda_invocations == 3  # one per attempt
    # 10 s wait + 2 x 10 s backoff = 30 s unscaled; at time_scale 0.01 it is 0.3 s of real waiting.
    # The upper bound tells scaled from unscaled without timing the machine (it once took 1.2 s under load).
    assert 0.3 <= elapsed < 10.0


def test_execution_history_pages_as_aws_does(world: LocalWorld) -> None:
    # moto answers every GetExecutionHistory with the whole history; the world pages it as AWS does
    # (maxResults, nextToken, reverseOrder), so a follower can read only what is new.
    states = {f"P{i}": {"Type": "Pass", "Next": f"P{i + 1}"} for i in range(6)} | {"P6": {"Type": "Pass", "End": True}}
    arn = machine(world, "passes", states, "P0")
    result = world.run_execution(arn, {}, name="passes-1")
    ids = [event["id"] for event in result.events]
    assert result.succeeded and ids == list(range(1, len(ids) + 1)) and len(ids) > 7

    sfn = world.client("stepfunctions")
    first = sfn.get_execution_history(executionArn=result.execution_arn)
    assert [e["id"] for e in first["events"]] == ids and "nextToken" not in first  # default page is 100
    for reverse in (False, True):
        seen: list[int] = []
        kwargs = {"executionArn": result.execution_arn, "maxResults": 3, "reverseOrder": reverse}
        while True:
            page = sfn.get_execution_history(**kwargs)
            assert len(page["events"]) <= 3
            seen += [e["id"] for e in page["events"]]
            if "nextToken" not in page:
                break
            kwargs["nextToken"] = page["nextToken"]
        assert seen == (ids[::-1] if reverse else ids)

    assert [e["id"] for e in _events_after(sfn, result.execution_arn, 0)] == ids
    assert [e["id"] for e in _events_after(sfn, result.execution_arn, ids[-3])] == ids[-2:]
    assert _events_after(sfn, result.execution_arn, ids[-1]) == []

    # includeExecutionData=false: the same events, without their input and output (RecordResult counts types)
    lean = sfn.get_execution_history(executionArn=result.execution_arn, includeExecutionData=False)["events"]
    assert [(e["id"], e["type"]) for e in lean] == [(e["id"], e["type"]) for e in first["events"]]
    with_data = [e for e in first["events"] if "input" in e.get("stateEnteredEventDetails", {})]
    assert with_data and not [e for e in lean if "input" in e.get("stateEnteredEventDetails", {})]
    assert [e for e in lean if e.get("stateEnteredEventDetails", {}).get("name") == "P3"]


def test_a_follower_that_finds_nothing_new_reads_one_event_without_data(world: LocalWorld) -> None:
    # A poll asks for the newest event alone (no data): when the follower has seen it, nothing more is read;
    # otherwise one page of exactly the new events follows.
    states = {f"P{i}": {"Type": "Pass", "Next": f"P{i + 1}"} for i in range(4)} | {"P4": {"Type": "Pass", "End": True}}
    result = world.run_execution(machine(world, "quiet", states, "P0"), {}, name="quiet-1")
    newest = result.events[-1]["id"]
    sfn = world.client("stepfunctions")
    asked: list[dict[str, object]] = []

    def record(params: dict[str, object], **_: object) -> None:
        asked.append({k: v for k, v in params.items() if k != "executionArn"})

    sfn.meta.events.register("provide-client-params.states.GetExecutionHistory", record)
    try:
        assert _events_after(sfn, result.execution_arn, newest) == []
        probe = {"reverseOrder": True, "maxResults": 1, "includeExecutionData": False}
        assert asked == [probe]
        asked.clear()
        assert [e["id"] for e in _events_after(sfn, result.execution_arn, newest - 3)] == [
            newest - 2,
            newest - 1,
            newest,
        ]
        assert asked == [probe, {"reverseOrder": True, "maxResults": 3}]
    finally:
        sfn.meta.events.unregister("provide-client-params.states.GetExecutionHistory", record)


def test_history_pages_are_what_motos_serializer_writes(world: LocalWorld) -> None:
    # The world writes GetExecutionHistory bodies itself (moto's serializer cost a fleet follower most of its
    # CPU). In the tests each body is compared with moto's serializer's output for the same events; a
    # history with a Map, a Parallel, a caught error and a failure is read with and without data.
    assert os.environ.get(stepfunctions.ENV_CHECK_SHORTCUTS) == "1"
    fn = world.add_lambda("reject", "lw_handlers.reject")
    states = {
        "Each": {
            "Type": "Map",
            "ItemsPath": "$.items",
            "ItemProcessor": {"StartAt": "Echo", "States": {"Echo": {"Type": "Pass", "End": True}}},
            "ResultPath": "$.each",
            "Next": "Both",
        },
        "Both": {
            "Type": "Parallel",
            "Branches": [{"StartAt": "A", "States": {"A": {"Type": "Pass", "End": True}}}],
            "ResultPath": "$.both",
            "Next": "Validate",
        },
        "Validate": lambda_task(Catch=[{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "Broken"}]),
        "Broken": {"Type": "Fail", "Error": "Broken", "Cause": 'a cause with "quotes" and 日本語'},
    }
    result = world.run_execution(machine(world, "kinds", states, "Each", Fn=fn), {"items": [1, 2]}, name="kinds-1")
    assert result.status == "FAILED"
    sfn = world.client("stepfunctions")
    kinds = set()
    for data in (True, False):
        for size in (1, 7, 1000):
            kwargs = {"executionArn": result.execution_arn, "maxResults": size, "includeExecutionData": data}
            for page in sfn.get_paginator("get_execution_history").paginate(**kwargs):
                kinds |= {event["type"] for event in page["events"]}
    expected = {
        "MapIterationStarted",
        "ParallelStateStarted",
        "LambdaFunctionFailed",
        "FailStateEntered",
        "ExecutionFailed",
    }
    assert expected <= kinds


def test_a_history_body_unlike_motos_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    event = {"id": 1, "previousEventId": 0, "type": "PassStateEntered", "timestamp": "2026-12-07T20:53:05.174Z"}
    event["stateEnteredEventDetails"] = {"name": "P0", "input": "{}", "inputDetails": {"truncated": False}}
    body = json.loads(stepfunctions.history_json([event], "2", with_data=False))
    assert body == {
        "events": [
            {
                **event,
                "timestamp": 1796676785.174,
                "stateEnteredEventDetails": {"name": "P0", "inputDetails": {"truncated": False}},
            }
        ],
        "nextToken": "2",
    }
    monkeypatch.setattr(stepfunctions, "_epoch_seconds", lambda timestamp: 1796676785)  # the milliseconds lost
    with pytest.raises(stepfunctions.ShortcutDiverged, match="GetExecutionHistory"):
        stepfunctions.history_json([event], None, with_data=True)


def test_lambda_sees_its_context_and_environment(world: LocalWorld) -> None:
    fn = world.add_lambda("ctx", "lw_handlers.describe_context", environment={"TABLE_NAME": "drills"}, timeout_s=30)
    result = world.run_execution(machine(world, "ctx", {"C": lambda_task()}, "C", Fn=fn), {}, name="ctx-1")

    out = result.output
    assert (out["function_name"], out["table"], out["env_function_name"], out["arn"]) == ("ctx", "drills", "ctx", fn)
    assert 0 < out["remaining_ms"] <= 30_000 and out["memory"] == 256 and out["request_id"]
    assert "TABLE_NAME" not in os.environ


def test_lambdas_run_concurrently_each_with_its_own_environment(world: LocalWorld) -> None:
    first = world.add_lambda("blue", "lw_handlers.slow_env", environment={"STAGE": "blue"})
    second = world.add_lambda("green", "lw_handlers.slow_env", environment={"STAGE": "green"})
    branch = {"StartAt": "Run", "States": {"Run": {"Type": "Task", "Resource": "${Fn}", "End": True}}}
    states = {
        "Both": {
            "Type": "Parallel",
            "Branches": [json.loads(json.dumps(branch).replace("${Fn}", arn)) for arn in (first, second)],
            "End": True,
        }
    }
    definition = json.dumps({"StartAt": "Both", "States": states})
    result = world.run_execution(world.create_state_machine("both", definition), {"pause": 0.4}, name="both-1")

    assert result.succeeded, result.cause
    assert [r["before"] for r in result.output] == ["blue", "green"]
    assert [r["after"] for r in result.output] == ["blue", "green"]
    assert all(r["keys"] for r in result.output)
    # Side by side, not one after the other: each handler started before the other one ended.
    assert max(r["started"] for r in result.output) < min(r["ended"] for r in result.output)
    assert "STAGE" not in os.environ


def test_powertools_logger_accepts_the_context(world: LocalWorld, capsys: pytest.CaptureFixture[str]) -> None:
    fn = world.add_lambda("pt", "lw_handlers.powertools")
    result = world.run_execution(machine(world, "pt", {"P": lambda_task()}, "P", Fn=fn), {}, name="pt-1")
    assert result.succeeded, result.cause
    logged = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert (logged["function_name"], logged["function_request_id"]) == ("pt", result.output["request"])


def test_sdk_integration_sends_and_polls_the_command(world: LocalWorld, cluster: FakeCluster) -> None:
    cluster.delay_s = 0.2
    states = {
        "Send": {
            "Type": "Task",
            "Resource": "arn:aws:states:::aws-sdk:ssm:sendCommand",
            "Parameters": {
                "DocumentName": "${Document}",
                "InstanceIds.$": "States.Array($.node)",
                "Parameters": {"Message.$": "States.Array($.message)"},
            },
            "ResultSelector": {"CommandId.$": "$.Command.CommandId"},
            "ResultPath": "$.command",
            "Next": "Pause",
        },
        "Pause": {"Type": "Wait", "Seconds": 5, "Next": "Poll"},
        "Poll": {
            "Type": "Task",
            "Resource": "arn:aws:states:::aws-sdk:ssm:getCommandInvocation",
            "Parameters": {"CommandId.$": "$.command.CommandId", "InstanceId.$": "$.node"},
            "ResultSelector": {"Status.$": "$.Status", "Out.$": "$.StandardOutputContent"},
            "ResultPath": "$.result",
            "Next": "Done?",
        },
        "Done?": {
            "Type": "Choice",
            "Choices": [{"Variable": "$.result.Status", "StringEquals": "InProgress", "Next": "Pause"}],
            "Default": "End",
        },
        "End": {"Type": "Pass", "OutputPath": "$.result", "End": True},
    }
    arn = machine(world, "sdk", states, "Send", Document="Echo")

    result = world.run_execution(arn, {"node": NODES[1], "message": "over"}, name="sdk-1")

    assert result.succeeded, result.cause
    assert result.output == {"Status": "Success", "Out": f"{NODES[1]} Message=over\n"}
    assert result.ssm_commands_sent == 1 and result.lambda_invocations == 0
    assert result.states_entered.count("Poll") >= 2  # it saw InProgress at least once
    assert [run[0] for run in cluster.runs] == [NODES[1]]
