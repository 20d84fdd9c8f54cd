"""The orchestration stack: documents, functions, state machines and their least-privilege wiring."""

from __future__ import annotations

import json
from typing import Any

from stacks.orchestration import wiring
from support.synthesis import Synthesized


def _resources(synth: Synthesized, kind: str) -> dict[str, dict[str, Any]]:
    return synth.resources("orchestration", kind)


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def test_every_document_is_deployed_with_the_cluster_prefix(default_synth: Synthesized) -> None:
    documents = {
        d["Properties"]["Name"]: d["Properties"] for d in _resources(default_synth, "AWS::SSM::Document").values()
    }
    prefix = wiring.document_prefix(default_synth.config.cluster_name)
    expected = {f"{prefix}{path.stem}": path for path in wiring.document_files()}
    assert set(documents) == set(expected)
    for name, path in expected.items():
        assert documents[name]["DocumentType"] == "Command"
        assert documents[name]["Content"] == json.loads(path.read_text())


def test_document_parameters_are_env_vars_with_patterns(default_synth: Synthesized) -> None:
    for document in _resources(default_synth, "AWS::SSM::Document").values():
        for name, parameter in document["Properties"]["Content"]["parameters"].items():
            assert parameter["interpolationType"] == "ENV_VAR", name
            assert parameter["allowedPattern"].startswith("^") and parameter["allowedPattern"].endswith("$"), name


def test_functions_follow_the_wiring(default_synth: Synthesized) -> None:
    functions = _resources(default_synth, "AWS::Lambda::Function")
    by_handler = {
        f["Properties"]["Handler"]: f["Properties"] for f in functions.values() if "Handler" in f["Properties"]
    }
    for spec in wiring.all_functions():
        props = by_handler[spec.handler]
        assert props["Runtime"] == "python3.13"
        assert props["Timeout"] == spec.timeout_seconds
        assert props["TracingConfig"] == {"Mode": "Active"}
        assert "Layers" not in props  # dependencies are bundled into the asset, not taken from a layer
        variables = props["Environment"]["Variables"]
        for name in (wiring.ENV_CLUSTER, wiring.ENV_RECORDS_TABLE, wiring.ENV_TOPIC_ARN, wiring.ENV_REPORTS_BUCKET):
            assert name in variables, (spec.name, name)


def _policy_of(synth: Synthesized, function_name: str) -> list[dict[str, Any]]:
    for logical_id, policy in _resources(synth, "AWS::IAM::Policy").items():
        if logical_id.startswith(f"{function_name}ServiceRoleDefaultPolicy"):
            statements: list[dict[str, Any]] = policy["Properties"]["PolicyDocument"]["Statement"]
            return statements
    return []


def test_send_command_only_with_our_documents_to_the_two_nodes(default_synth: Synthesized) -> None:
    senders = [s for s in wiring.all_functions() if "node-commands" in s.access]
    assert senders
    for spec in senders:
        (statement,) = [s for s in _policy_of(default_synth, spec.name) if "ssm:SendCommand" in _as_list(s["Action"])]
        resources = [json.dumps(r) for r in _as_list(statement["Resource"])]
        assert "*" not in _as_list(statement["Resource"])
        documents = [r for r in resources if ":document/" in r]
        instances = [r for r in resources if ":instance/" in r]
        assert len(documents) == len(spec.documents)  # only its own (see the test below)
        assert len(instances) == 2
        assert len(resources) == len(documents) + len(instances)


def test_functions_without_node_access_cannot_send_commands(default_synth: Synthesized) -> None:
    for spec in wiring.all_functions():
        actions = {a for s in _policy_of(default_synth, spec.name) for a in _as_list(s["Action"])}
        if "node-commands" not in spec.access:
            assert "ssm:SendCommand" not in actions, spec.name
        if "node-power" not in spec.access:
            assert not {"ec2:StopInstances", "ec2:StartInstances", "ec2:RebootInstances"} & actions, spec.name


def test_only_the_probe_function_writes_probe_outputs_and_only_under_its_prefix(default_synth: Synthesized) -> None:
    """ProbeConformance may put objects under conformance/<cluster>/ of the reports bucket, nowhere else;
    the setup functions that change the nodes get no S3 access at all."""
    statements = _policy_of(default_synth, "ProbeConformance")
    puts = [s for s in statements if "s3:PutObject" in _as_list(s["Action"])]
    assert len(puts) == 1 and _as_list(puts[0]["Action"]) == ["s3:PutObject"]
    (resource,) = _as_list(puts[0]["Resource"])
    assert json.dumps(resource).endswith(f'/{wiring.CONFORMANCE_PREFIX}hulft-demo/*"]]}}')
    for name in ("RunSetupStep", "ValidateSetupInput"):
        actions = {a for s in _policy_of(default_synth, name) for a in _as_list(s["Action"])}
        assert not any(a.startswith("s3:") for a in actions), name


# Step Functions' own log delivery: AWS documents these as needing Resource "*".
LOG_DELIVERY_ACTIONS = {
    "logs:CreateLogDelivery",
    "logs:GetLogDelivery",
    "logs:UpdateLogDelivery",
    "logs:DeleteLogDelivery",
    "logs:ListLogDeliveries",
    "logs:PutResourcePolicy",
    "logs:DescribeResourcePolicies",
    "logs:DescribeLogGroups",
}


# Mutating actions that support no resource-level permissions (Service Authorization Reference):
# a drill cancels its own watcher command once the takeover is seen.
MUTATING_WITHOUT_RESOURCES = {"ssm:CancelCommand"}


def test_no_mutating_action_on_a_wildcard(default_synth: Synthesized) -> None:
    read_only = ("Describe", "Get", "List", "PutTraceSegments", "PutTelemetryRecords")
    for policy in _resources(default_synth, "AWS::IAM::Policy").values():
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
            if "*" in _as_list(statement["Resource"]):
                for action in _as_list(statement["Action"]):
                    if action in LOG_DELIVERY_ACTIONS | MUTATING_WITHOUT_RESOURCES:
                        continue
                    assert action.split(":", 1)[1].startswith(read_only), action


def test_state_machines_are_inlined_with_substitutions_logging_and_tracing(default_synth: Synthesized) -> None:
    machines = _resources(default_synth, "AWS::StepFunctions::StateMachine")
    assert len(machines) == len(wiring.STATE_MACHINES)
    functions = _resources(default_synth, "AWS::Lambda::Function")
    logical_by_handler = {f["Properties"].get("Handler"): lid for lid, f in functions.items()}
    for spec in wiring.STATE_MACHINES:
        (props,) = [
            m["Properties"] for m in machines.values() if m["Properties"]["DefinitionString"] == spec.definition()
        ]
        assert props["TracingConfiguration"] == {"Enabled": True}
        assert props["LoggingConfiguration"]["Level"] == "ALL"
        substitutions = props["DefinitionSubstitutions"]
        assert set(substitutions) == {f.substitution for f in spec.functions}
        for function in spec.functions:
            assert substitutions[function.substitution] == {"Fn::GetAtt": [logical_by_handler[function.handler], "Arn"]}


def test_failed_executions_reach_the_topic(default_synth: Synthesized) -> None:
    (rule,) = [r for r in _resources(default_synth, "AWS::Events::Rule").values() if "EventPattern" in r["Properties"]]
    pattern = rule["Properties"]["EventPattern"]
    assert pattern["source"] == ["aws.states"]
    assert sorted(pattern["detail"]["status"]) == ["ABORTED", "FAILED", "TIMED_OUT"]
    assert len(pattern["detail"]["stateMachineArn"]) == len(wiring.STATE_MACHINES)
    (target,) = rule["Properties"]["Targets"]
    (topic_id,) = _resources(default_synth, "AWS::SNS::Topic")
    assert target["Arn"] == {"Ref": topic_id}


def test_records_table_and_topic_are_encrypted(default_synth: Synthesized) -> None:
    (table,) = _resources(default_synth, "AWS::DynamoDB::GlobalTable").values()
    props = table["Properties"]
    assert props["SSESpecification"]["SSEEnabled"] is True
    assert props["Replicas"][0]["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] is True
    assert [k["AttributeName"] for k in props["KeySchema"]] == ["cluster", "recordId"]
    (topic,) = _resources(default_synth, "AWS::SNS::Topic").values()
    assert "KmsMasterKeyId" in topic["Properties"]


def test_byo_cluster_targets_the_configured_instances(byo_synth: Synthesized) -> None:
    existing = byo_synth.config.existing_cluster
    assert existing is not None
    text = json.dumps(byo_synth.templates["orchestration"])
    assert existing.primary.instance_id in text and existing.secondary.instance_id in text


def test_drill_schedules_from_config_start_the_drill_with_a_valid_input(default_synth: Synthesized) -> None:
    from hadrill.drill.model import DrillInput

    schedules = [r["Properties"] for r in _resources(default_synth, "AWS::Events::Rule").values()]
    schedules = [r for r in schedules if "ScheduleExpression" in r]
    configured = default_synth.config.drills.schedules
    assert [r["ScheduleExpression"] for r in schedules] == [s.schedule for s in configured]
    for rule, schedule in zip(schedules, configured, strict=True):
        assert rule["State"] == ("ENABLED" if schedule.enabled else "DISABLED")
        (target,) = rule["Targets"]
        drill_input = DrillInput.model_validate(json.loads(target["Input"]))
        assert drill_input.cluster == default_synth.config.cluster_name
        assert drill_input.scenario == schedule.scenario
        assert drill_input.max_rto_seconds == default_synth.config.drills.max_rto_seconds
        assert "Drill" in json.dumps(target["Arn"])


def test_failed_drill_alarm_notifies_and_dashboard_shows_rto(default_synth: Synthesized) -> None:
    (alarm,) = _resources(default_synth, "AWS::CloudWatch::Alarm").values()
    metrics = {m["Id"]: m for m in alarm["Properties"]["Metrics"]}
    names = {m["MetricStat"]["Metric"]["MetricName"] for m in metrics.values() if "MetricStat" in m}
    assert names == {wiring.METRIC_DRILL_FAILED, wiring.METRIC_DRILL_ABORTED}
    # The cluster's own drills only: clusters of a fleet share the account and the namespace.
    for metric in (m["MetricStat"]["Metric"] for m in metrics.values() if "MetricStat" in m):
        assert {d["Name"]: d["Value"] for d in metric["Dimensions"]} == {
            "service": wiring.DRILL_SERVICE,
            wiring.METRIC_DIMENSION_CLUSTER: default_synth.config.cluster_name,
        }
    (topic_id,) = _resources(default_synth, "AWS::SNS::Topic")
    assert alarm["Properties"]["AlarmActions"] == [{"Ref": topic_id}]
    (dashboard,) = _resources(default_synth, "AWS::CloudWatch::Dashboard").values()
    body = json.dumps(dashboard["Properties"]["DashboardBody"])
    assert wiring.METRIC_DRILL_RTO in body and "max RTO (SLO)" in body


def test_node_command_output_goes_to_the_node_log_group(default_synth: Synthesized) -> None:
    """The cluster facts name the cluster stack's node log group, the one the node role may write."""
    (function,) = [
        f
        for f in _resources(default_synth, "AWS::Lambda::Function").values()
        if f["Properties"].get("Handler") == "handlers.setup.run_step"
    ]
    facts = json.dumps(function["Properties"]["Environment"]["Variables"][wiring.ENV_CLUSTER])
    (log_group_id,) = default_synth.resources("cluster", "AWS::Logs::LogGroup")
    assert '\\"node_log_group\\":\\"' in facts and log_group_id in facts


def test_each_function_may_send_exactly_the_documents_its_domain_code_sends() -> None:
    """The wiring's documents per function equal what hadrill.setup and hadrill.drill.phases send, so a
    new document in the code without its grant (or a grant nobody uses) fails here, not in AWS."""
    from hadrill import setup
    from hadrill.drill import phases

    specs = {spec.name: spec for spec in wiring.all_functions()}
    assert specs["RunSetupStep"].documents == set(setup.STEP_DOCUMENTS.values())
    drill = {phases.NODE_STATUS, phases.WATCH_TAKEOVER, phases.INJECT_FAULT, phases.HEALTH_CHECK, phases.DATA_MARKER}
    drill.add(phases.deadman.DISARM_DOCUMENT)  # issue 17: the dead-man switch
    assert specs["RunDrillPhase"].documents == drill
    assert specs["ProbeConformance"].documents == {setup.CONFORMANCE_PROBE}
    known = {path.stem for path in wiring.document_files()}
    for spec in specs.values():
        assert spec.documents <= known, spec.name
        assert bool(spec.documents) == ("node-commands" in spec.access), spec.name


def test_send_command_names_only_the_functions_own_documents(default_synth: Synthesized) -> None:
    def documents_of(function: str) -> set[str]:
        sent = set()
        for statement in _policy_of(default_synth, function):
            if "ssm:SendCommand" in _as_list(statement["Action"]):
                for resource in _as_list(statement["Resource"]):
                    text = json.dumps(resource)
                    refs = {path.stem: f'"Ref": "{path.stem.replace("-", "")}"' for path in wiring.document_files()}
                    sent |= {stem for stem, ref in refs.items() if ref in text}
        return sent

    assert "HADrill-InjectFault" not in documents_of("RunSetupStep")
    assert "HADrill-InstallHulft" not in documents_of("RunDrillPhase")
    assert documents_of("ProbeConformance") == {"HADrill-ConformanceProbe"}
