"""Opening and closing worlds leaves nothing behind; definitions are rendered strictly."""

from __future__ import annotations

import json
import os
import threading
import time

import pytest
from lw_fakes import FakeCluster  # type: ignore[import-not-found]
from lw_support import NODES, machine  # type: ignore[import-not-found]
from moto.awslambda.models import LambdaFunction
from moto.ec2.models.instances import InstanceBackend
from moto.ssm.models import Command, SimpleSystemManagerBackend
from moto.ssm.responses import SimpleSystemManagerResponse
from moto.stepfunctions.parser.asl.component.common.retry import retrier_decl
from moto.stepfunctions.parser.asl.component.state.wait.wait_function.wait_function import WaitFunction

from localworld import LocalWorld, SubstitutionError, WorldError, render_definition

# -- lifecycle ---------------------------------------------------------------------------------
SEAMS = [
    (LambdaFunction, "_invoke_lambda"),
    (Command, "invocation_response"),
    (Command, "response_object"),
    (Command, "get_invocation"),
    (SimpleSystemManagerBackend, "send_command"),
    (InstanceBackend, "stop_instances"),
    (WaitFunction, "_wait_interval"),
    (retrier_decl, "time"),
]


def test_worlds_in_sequence_leave_nothing_behind() -> None:
    originals = [getattr(owner, name) for owner, name in SEAMS]
    environ = dict(os.environ)
    for round_ in range(2):
        cluster = FakeCluster(NODES, delay_s=0)
        with LocalWorld(time_scale=0.01) as world:
            assert [getattr(owner, name) for owner, name in SEAMS] != originals
            world.add_nodes(cluster)
            assert world.client("ssm").list_commands()["Commands"] == []  # fresh moto state
            with pytest.raises(WorldError, match="another LocalWorld"):
                LocalWorld().start()
            world.client("ssm").send_command(InstanceIds=[NODES[0]], DocumentName="Echo")
        assert len(cluster.runs) == 1, round_
        assert [getattr(owner, name) for owner, name in SEAMS] == originals
        assert not hasattr(SimpleSystemManagerResponse, "describe_instance_information")
        assert dict(os.environ) == environ


def interpreter_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if "_execution_logic" in t.name]


def test_close_stops_running_executions() -> None:
    with LocalWorld(time_scale=1.0) as world:
        arn = machine(world, "slow", {"W": {"Type": "Wait", "Seconds": 60, "End": True}}, "W")
        world.start_execution(arn, {}, name="slow-1")
        time.sleep(0.05)
        assert interpreter_threads()
    deadline = time.monotonic() + 2
    while interpreter_threads() and time.monotonic() < deadline:
        time.sleep(0.01)
    assert not interpreter_threads()  # the 60 s Wait was interrupted, not left running


# -- substitutions -----------------------------------------------------------------------------
def test_render_definition_is_strict() -> None:
    text = '{"StartAt": "A", "States": {"A": {"Type": "Task", "Resource": "${Fn}", "End": true}}}'
    assert json.loads(render_definition(text, {"Fn": "arn:x"}))["States"]["A"]["Resource"] == "arn:x"
    with pytest.raises(SubstitutionError, match="no substitution for placeholder"):
        render_definition(text, {})
    with pytest.raises(SubstitutionError, match="not used"):
        render_definition(text, {"Fn": "arn:x", "Other": "y"})
    assert render_definition(text, {"Fn": "a", "Other": "y"}, allow_unused=True)
    with pytest.raises(SubstitutionError, match="not valid JSON"):
        render_definition(text, {"Fn": 'a"b'})
