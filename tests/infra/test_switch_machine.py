"""The Switch state machine (hadrill switchback / switchover) in the orchestration stack: its three
functions, least privilege on named resources, and the output the CLI finds it by."""

from __future__ import annotations

import json
from typing import Any

from stacks.orchestration import wiring
from support.synthesis import Synthesized


def _resources(synth: Synthesized, kind: str) -> dict[str, dict[str, Any]]:
    return synth.resources("orchestration", kind)


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _statements(synth: Synthesized, function_name: str) -> list[dict[str, Any]]:
    for logical_id, policy in _resources(synth, "AWS::IAM::Policy").items():
        if logical_id.startswith(f"{function_name}ServiceRoleDefaultPolicy"):
            statements: list[dict[str, Any]] = policy["Properties"]["PolicyDocument"]["Statement"]
            return statements
    raise AssertionError(f"no policy for {function_name}")


def _actions(synth: Synthesized, function_name: str) -> set[str]:
    return {action for s in _statements(synth, function_name) for action in _as_list(s["Action"])}


def test_the_switch_machine_runs_its_own_three_functions(default_synth: Synthesized) -> None:
    machines = _resources(default_synth, "AWS::StepFunctions::StateMachine")
    switch = [m for m in machines.values() if "ValidateSwitchInput" in json.dumps(m["Properties"])]
    assert len(switch) == 1
    text = json.dumps(switch[0]["Properties"])
    for name in ("ValidateSwitchInput", "RunSwitchStep", "RecordSwitchResult"):
        assert name in text
    assert "RunDrillPhase" not in text  # it cannot reach the drill's fault and power phases
    outputs = default_synth.template("orchestration").to_json()["Outputs"]
    assert "SwitchStateMachineArn" in outputs  # what `hadrill switchback --cluster` reads (AwsTarget)


def test_the_switch_step_sends_only_status_switchover_and_health_to_the_two_nodes(default_synth: Synthesized) -> None:
    from hadrill.switch import steps

    [send] = [s for s in _statements(default_synth, "RunSwitchStep") if "ssm:SendCommand" in _as_list(s["Action"])]
    resources = [json.dumps(r) for r in _as_list(send["Resource"])]
    documents = {
        p.stem for p in wiring.document_files() if any(f'"Ref": "{p.stem.replace("-", "")}"' in r for r in resources)
    }
    assert documents == set(steps.DOCUMENTS) == {"HADrill-NodeStatus", "HADrill-InjectFault", "HADrill-HealthCheck"}
    instances = [r for r in resources if ":instance/" in r]
    assert len(instances) == 2 and len(resources) == 5  # the documents and this cluster's two instances, nothing else


def test_the_switch_functions_have_no_power_over_instances_or_alarms(default_synth: Synthesized) -> None:
    step = _actions(default_synth, "RunSwitchStep")
    assert {"ssm:SendCommand", "ec2:DescribeRouteTables", "dynamodb:PutItem", "dynamodb:DeleteItem"} <= step
    assert not step & {"ec2:StopInstances", "ec2:StartInstances", "ec2:RebootInstances", "cloudwatch:DescribeAlarms"}
    record = _actions(default_synth, "RecordSwitchResult")
    assert {"s3:PutObject", "sns:Publish", "events:PutEvents", "dynamodb:PutItem"} <= record
    assert not any(a.startswith(("ssm:", "ec2:")) for a in record)
    validate = _actions(default_synth, "ValidateSwitchInput")
    assert validate == {"xray:PutTelemetryRecords", "xray:PutTraceSegments"}  # validation touches nothing
