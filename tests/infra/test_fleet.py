"""The fleet: its config file, and the app it builds (every member cluster's stacks plus the fleet
stack), synthesized once from config/fleet.yaml."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from stacks.config import ConfigError
from stacks.fleet.config import load_fleet
from stacks.orchestration import wiring
from support.cfn_lint import ACCEPTED_CFN_LINT_WARNINGS, cfn_lint
from support.synthesis import DEFAULT_CONFIG, FLEET_CONFIG, REPO, SynthesizedFleet

FLEET_STACK = "hulft-fleet-fleet"
MEMBERS = ("hulft-demo", "hulft-edi")


def _fleet_file(tmp_path: Path, fleet: dict[str, Any], clusters: dict[str, dict[str, Any]] | None = None) -> Path:
    base = yaml.safe_load(DEFAULT_CONFIG.read_text())
    for file_name, changes in (clusters or {}).items():
        (tmp_path / file_name).write_text(yaml.safe_dump({**base, **changes}))
    path = tmp_path / "fleet.yaml"
    path.write_text(yaml.safe_dump(fleet))
    return path


def test_the_example_fleet_loads_its_clusters_in_order() -> None:
    fleet = load_fleet(FLEET_CONFIG)
    assert fleet.name == "hulft-fleet"
    assert [c.cluster_name for c in fleet.clusters] == list(MEMBERS)
    assert fleet.config.max_concurrency == 5 and fleet.config.max_failed_drills == 0
    assert [s.enabled for s in fleet.config.schedules] == [False]


@pytest.mark.parametrize(
    ("fleet", "clusters", "message"),
    [
        (
            {"fleet_name": "fleet-a", "clusters": ["a.yaml", "b.yaml"]},
            {"a.yaml": {}, "b.yaml": {}},
            "clusters.1: cluster_name 'hulft-demo' is also clusters.0's",
        ),
        (
            {"fleet_name": "fleet-a", "clusters": ["a.yaml", "b.yaml"]},
            {
                "a.yaml": {},
                "b.yaml": {
                    "cluster_name": "other",
                    "network": {
                        "vpc_cidr": "10.20.0.0/16",
                        "subnets": [
                            {"name": "a", "cidr": "10.20.1.0/24", "availability_zone": "us-east-1a"},
                            {"name": "b", "cidr": "10.20.2.0/24", "availability_zone": "us-east-1b"},
                        ],
                    },
                },
            },
            "clusters: a fleet deploys into one region, these differ: hulft-demo in ap-northeast-1, other in us-east-1",
        ),
        (
            {"fleet_name": "fleet-a", "clusters": ["a.yaml", "a.yaml"]},
            {"a.yaml": {}},
            "clusters.1: 'a.yaml' is listed twice",
        ),
        ({"fleet_name": "fleet-a", "clusters": ["a.yaml"], "max_concurrency": 41}, {"a.yaml": {}}, "max_concurrency"),
        ({"fleet_name": "fleet-a", "clusters": []}, {}, "clusters"),
        ({"fleet_name": "F 1", "clusters": ["a.yaml"]}, {"a.yaml": {}}, "fleet_name"),
        (
            {"fleet_name": "fleet-a", "clusters": ["a.yaml"], "concurrency": 2},
            {"a.yaml": {}},
            "concurrency: unknown setting",
        ),
        ({"fleet_name": "fleet-a", "clusters": ["missing.yaml"]}, {}, "missing.yaml: cannot read the config file"),
    ],
)
def test_a_bad_fleet_file_stops_with_one_line(
    tmp_path: Path, fleet: dict[str, Any], clusters: dict[str, dict[str, Any]], message: str
) -> None:
    path = _fleet_file(tmp_path, fleet, clusters)
    with pytest.raises(ConfigError) as raised:
        load_fleet(path)
    assert message in str(raised.value)
    assert "\n" not in str(raised.value)


def test_the_app_refuses_a_config_and_a_fleet_together(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "CDK_CONTEXT_JSON": json.dumps({"config": str(DEFAULT_CONFIG), "fleet": str(FLEET_CONFIG)}),
        "CDK_OUTDIR": str(tmp_path / "out"),
    }
    result = subprocess.run([sys.executable, "app.py"], cwd=REPO, env=env, capture_output=True, text=True, check=False)
    assert result.returncode == 2
    assert "give -c config=PATH (one cluster) or -c fleet=PATH (a fleet), not both" in result.stderr


def test_the_fleet_app_has_every_members_stacks_and_the_fleet_stack(fleet_synth: SynthesizedFleet) -> None:
    expected = {f"{m}-{role}" for m in MEMBERS for role in ("network", "cluster", "orchestration")} | {FLEET_STACK}
    assert set(fleet_synth.templates) == expected


def test_each_members_resources_carry_their_own_cluster_tag(fleet_synth: SynthesizedFleet) -> None:
    for member in MEMBERS:
        for bucket in fleet_synth.resources(f"{member}-cluster", "AWS::S3::Bucket").values():
            tags = {t["Key"]: t["Value"] for t in bucket["Properties"]["Tags"]}
            assert tags["hadrill:cluster"] == member


def test_each_orchestration_stack_exports_what_the_fleet_imports(fleet_synth: SynthesizedFleet) -> None:
    for member in MEMBERS:
        outputs = fleet_synth.templates[f"{member}-orchestration"]["Outputs"]
        exports = {o["Export"]["Name"] for o in outputs.values() if "Export" in o}
        assert {f"{member}-drill-state-machine-name", f"{member}-drill-reports-bucket"} <= exports


def _fleet_machine(fleet_synth: SynthesizedFleet) -> dict[str, Any]:
    (machine,) = fleet_synth.resources(FLEET_STACK, "AWS::StepFunctions::StateMachine").values()
    return machine


def test_the_fleet_state_machine_is_the_asl_file_with_its_functions(fleet_synth: SynthesizedFleet) -> None:
    machine = _fleet_machine(fleet_synth)["Properties"]
    text = machine["DefinitionString"]  # the file's text; the ARNs come in as substitutions
    assert json.loads(text) == json.loads((REPO / "statemachines" / "fleet.asl.json").read_text())
    assert '"MaxConcurrencyPath": "$.plan.maxConcurrency"' in text
    assert "arn:aws:states:::states:startExecution.sync:2" in text
    assert set(machine["DefinitionSubstitutions"]) == {f.substitution for f in wiring.FLEET.functions}


def _statements(fleet_synth: SynthesizedFleet, policy_prefix: str) -> list[dict[str, Any]]:
    policies = fleet_synth.resources(FLEET_STACK, "AWS::IAM::Policy")
    (policy,) = [p for name, p in policies.items() if name.startswith(policy_prefix)]
    statements: list[dict[str, Any]] = policy["Properties"]["PolicyDocument"]["Statement"]
    return statements


def _actions(statement: dict[str, Any]) -> list[str]:
    actions = statement["Action"]
    return actions if isinstance(actions, list) else [actions]


def test_the_fleet_may_start_only_its_members_drills(fleet_synth: SynthesizedFleet) -> None:
    statements = _statements(fleet_synth, "FleetDrillRole")
    states = [s for s in statements if any(a.startswith("states:") for a in _actions(s))]
    assert {a for s in states for a in _actions(s)} == {
        "states:StartExecution",
        "states:DescribeExecution",
        "states:StopExecution",
    }
    for statement in states:
        rendered = json.dumps(statement["Resource"])
        assert rendered.count("Fn::ImportValue") == len(MEMBERS)
        for member in MEMBERS:
            assert f'"{member}-drill-state-machine-name"' in rendered
    sync = next(s for s in statements if "events:PutRule" in _actions(s))
    assert "StepFunctionsGetEventsForStepFunctionsExecutionRule" in json.dumps(sync["Resource"])


def test_the_summary_reads_only_the_members_reports(fleet_synth: SynthesizedFleet) -> None:
    statements = _statements(fleet_synth, "SummarizeFleetDrill")
    reads = [s for s in statements if "s3:GetObject" in _actions(s)]
    rendered = json.dumps([s["Resource"] for s in reads])
    for member in MEMBERS:
        assert f'"{member}-drill-reports-bucket"' in rendered and f"/reports/{member}/*" in rendered
    assert all(_actions(s) == ["s3:GetObject"] for s in reads)
    budget = _statements(fleet_synth, "CheckFleetFailureBudget")
    reads = [s for s in budget if "states:DescribeExecution" in _actions(s)]
    assert len(reads) == 1 and _actions(reads[0]) == ["states:DescribeExecution"]
    for member in MEMBERS:
        assert f'"{member}-drill-state-machine-name"' in json.dumps(reads[0]["Resource"])
    plan = _statements(fleet_synth, "PlanFleetDrill")
    assert {a for s in plan for a in _actions(s)} == {"xray:PutTelemetryRecords", "xray:PutTraceSegments"}


def test_the_fleet_functions_know_the_members_and_the_limit(fleet_synth: SynthesizedFleet) -> None:
    for function in fleet_synth.resources(FLEET_STACK, "AWS::Lambda::Function").values():
        variables = function["Properties"]["Environment"]["Variables"]
        facts = json.dumps(variables["HADRILL_FLEET"])
        assert '\\"max_concurrency\\":5' in facts and '\\"max_failed_drills\\":0' in facts
        for member in MEMBERS:
            assert f'\\"cluster\\":\\"{member}\\"' in facts
        # Each member's own SLO and takeover timeout (config/default.yaml and edi-cluster.yaml: 120, 300).
        assert facts.count('\\"max_rto_seconds\\":120') == len(MEMBERS)
        assert facts.count('\\"takeover_timeout_seconds\\":300') == len(MEMBERS)


def test_fleet_schedules_are_off_until_enabled(fleet_synth: SynthesizedFleet) -> None:
    rules = [
        r
        for r in fleet_synth.resources(FLEET_STACK, "AWS::Events::Rule").values()
        if "ScheduleExpression" in r["Properties"]
    ]
    assert len(rules) == 1 and rules[0]["Properties"]["State"] == "DISABLED"
    target_input = json.loads(rules[0]["Properties"]["Targets"][0]["Input"])
    assert target_input == {"fleet": "hulft-fleet", "scenario": "network-down", "switchback": True}


def test_the_fleet_templates_pass_cfn_lint_and_cdk_nag(fleet_synth: SynthesizedFleet) -> None:
    findings = cfn_lint(sorted(fleet_synth.outdir.glob("*.template.json")))
    assert [f for f in findings if f["Level"] == "Error"] == []
    assert [
        f for f in findings if f["Rule"]["Id"] not in ACCEPTED_CFN_LINT_WARNINGS and f["Level"] != "Informational"
    ] == []
    report = json.loads((fleet_synth.outdir / "validation-report.json").read_text())
    for plugin in report["pluginReports"]:
        assert plugin["conclusion"] == "success", plugin.get("violations")
