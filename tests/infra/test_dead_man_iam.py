"""The dead-man switch's AWS side (issue 17): a schedule group per cluster, a scheduler role that may
only start the cluster's two instances, the drill's function limited to that group and that role, and
states:DescribeExecution on the cluster's own executions only (stale drill locks)."""

from __future__ import annotations

import json
from typing import Any

from stacks.orchestration import wiring
from support.synthesis import Synthesized


def _resources(synth: Synthesized, kind: str) -> dict[str, dict[str, Any]]:
    return synth.resources("orchestration", kind)


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _statements(synth: Synthesized, prefix: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for logical_id, policy in _resources(synth, "AWS::IAM::Policy").items():
        if logical_id.startswith(prefix):
            found += policy["Properties"]["PolicyDocument"]["Statement"]
    return found


def _role_id(synth: Synthesized, prefix: str) -> str:
    (role,) = [k for k in _resources(synth, "AWS::IAM::Role") if k.startswith(prefix)]
    return role


def test_one_schedule_group_per_cluster(default_synth: Synthesized) -> None:
    (group,) = _resources(default_synth, "AWS::Scheduler::ScheduleGroup").values()
    assert group["Properties"]["Name"] == wiring.dead_man_schedule_group(default_synth.config.cluster_name)


def test_the_scheduler_role_only_starts_the_two_nodes(default_synth: Synthesized) -> None:
    role_id = _role_id(default_synth, "DeadManSchedulerRole")
    role = _resources(default_synth, "AWS::IAM::Role")[role_id]["Properties"]
    (trust,) = role["AssumeRolePolicyDocument"]["Statement"]
    assert trust["Principal"] == {"Service": "scheduler.amazonaws.com"}
    assert trust["Condition"] == {"StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}}
    (statement,) = _statements(default_synth, "DeadManSchedulerRoleDefaultPolicy")
    assert statement["Action"] == "ec2:StartInstances"
    text = json.dumps(statement["Resource"])
    assert len(statement["Resource"]) == 2 and "PrimaryInstance" in text and "SecondaryInstance" in text


def test_the_drill_creates_schedules_in_its_group_and_passes_only_that_role(default_synth: Synthesized) -> None:
    group = wiring.dead_man_schedule_group(default_synth.config.cluster_name)
    statements = _statements(default_synth, "RunDrillPhaseServiceRoleDefaultPolicy")
    (schedules,) = [s for s in statements if "scheduler:CreateSchedule" in _as_list(s["Action"])]
    assert sorted(_as_list(schedules["Action"])) == ["scheduler:CreateSchedule", "scheduler:DeleteSchedule"]
    assert f":schedule/{group}/*" in json.dumps(schedules["Resource"])
    (pass_role,) = [s for s in statements if "iam:PassRole" in _as_list(s["Action"])]
    role_id = _role_id(default_synth, "DeadManSchedulerRole")
    assert pass_role["Resource"] == {"Fn::GetAtt": [role_id, "Arn"]}
    assert pass_role["Condition"] == {"StringEquals": {"iam:PassedToService": "scheduler.amazonaws.com"}}
    for name in ("RunSetupStep", "RecordDrillResult", "ValidateDrillInput"):
        actions = {
            a for s in _statements(default_synth, f"{name}ServiceRoleDefaultPolicy") for a in _as_list(s["Action"])
        }
        assert not {"scheduler:CreateSchedule", "iam:PassRole"} & actions, name


def test_the_drill_function_knows_the_group_and_the_role(default_synth: Synthesized) -> None:
    functions = _resources(default_synth, "AWS::Lambda::Function").values()
    (drill,) = [f["Properties"] for f in functions if f["Properties"].get("Handler") == "handlers.drill.run_phase"]
    variables = drill["Environment"]["Variables"]
    assert variables[wiring.ENV_DEAD_MAN_SCHEDULE_GROUP] == wiring.dead_man_schedule_group(
        default_synth.config.cluster_name
    )
    assert variables[wiring.ENV_DEAD_MAN_ROLE_ARN] == {
        "Fn::GetAtt": [_role_id(default_synth, "DeadManSchedulerRole"), "Arn"]
    }


def test_execution_reads_name_this_clusters_state_machines_only(default_synth: Synthesized) -> None:
    (policy,) = [p for k, p in _resources(default_synth, "AWS::IAM::Policy").items() if k.startswith("ExecutionReads")]
    (statement,) = policy["Properties"]["PolicyDocument"]["Statement"]
    assert statement["Action"] == "states:DescribeExecution"
    machines = set(_resources(default_synth, "AWS::StepFunctions::StateMachine"))
    parts = [part for r in statement["Resource"] for part in r["Fn::Join"][1]]
    named = {part["Fn::GetAtt"][0] for part in parts if isinstance(part, dict) and "Fn::GetAtt" in part}
    assert all(":execution:" in json.dumps(r) for r in statement["Resource"])
    assert named == machines
    roles = json.dumps(policy["Properties"]["Roles"])
    assert "RunDrillPhaseServiceRole" in roles and "RunSetupStep" not in roles


def test_the_history_read_names_the_drill_machine_and_the_recorder_only(default_synth: Synthesized) -> None:
    """RecordDrillResult counts the drill's cost from its execution's history: GetExecutionHistory on the
    drill state machine's executions, for that function's role alone."""
    policies = _resources(default_synth, "AWS::IAM::Policy")
    (policy,) = [p for k, p in policies.items() if k.startswith("ExecutionHistoryReads")]
    (statement,) = policy["Properties"]["PolicyDocument"]["Statement"]
    assert statement["Action"] == "states:GetExecutionHistory"
    resources = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
    parts = [part for r in resources for part in r["Fn::Join"][1]]
    named = {part["Fn::GetAtt"][0] for part in parts if isinstance(part, dict) and "Fn::GetAtt" in part}
    (drill_machine,) = [k for k in _resources(default_synth, "AWS::StepFunctions::StateMachine") if "Drill" in k]
    assert named == {drill_machine}
    assert all(":execution:" in json.dumps(r) for r in resources)
    roles = json.dumps(policy["Properties"]["Roles"])
    assert "RecordDrillResultServiceRole" in roles and "RunDrillPhase" not in roles
    # No other policy grants it.
    others = [k for k, p in policies.items() if "GetExecutionHistory" in json.dumps(p) and p is not policy]
    assert others == []
