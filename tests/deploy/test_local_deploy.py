"""The deployed app, on this machine: `cdk deploy` to the local AWS endpoint, then the production
commands against what was deployed.

The fixture runs tools/rehearse-deploy.sh (the README's deploy steps 0-8 with the real aws and cdk
CLIs and hadrill in AWS mode) against a fresh endpoint on a free port, once for this module, and
leaves the endpoint up for the checks below. Each failure case of the deploy checks is shown against
the same deployment (a missing export, a wrong Lambda variable, a new unsupported resource type,
a removed grant).

What this cannot show: anything about real AWS or the real LifeKeeper/HULFT (the endpoint is moto and
the nodes are the simulator), nor the resource types on the allowlist (UNEMULATED_TYPES), which
moto does not create.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from localworld import deploy_checks, iam_audit
from localworld.endpoint import SKIPPED_TYPES_FILE, endpoint_client

pytestmark = pytest.mark.deploy

REPO = Path(__file__).resolve().parents[2]
REGION = "ap-northeast-1"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Deployed:
    state_dir: Path
    work: Path
    port: int
    stdout: str
    stderr: str

    def client(self, service: str) -> Any:
        return endpoint_client(service, self.port, REGION)

    def templates(self) -> dict[str, dict[str, Any]]:
        return deploy_checks.assembly_templates(self.work / "cdk.out")

    def skipped_types(self) -> set[str]:
        path = self.state_dir / SKIPPED_TYPES_FILE
        return set(json.loads(path.read_text())) if path.exists() else set()

    def env_check(self) -> list[str]:
        clients = {s: self.client(s) for s in ("dynamodb", "sns", "s3", "ec2")}
        return deploy_checks.check_function_environments(
            self.client("cloudformation"), self.client("lambda"), clients, self.templates()
        )

    def audit(self, drop: tuple[str, str] | None = None) -> iam_audit.AuditReport:
        """The IAM audit of every recorded call; ``drop`` = (function name part, action) removes that
        action from the role policies first, as if the grant had not been deployed."""
        roles = deploy_checks.principals(self.client("lambda"), self.client("ec2"), self.client("iam"))
        deployed = deploy_checks.deployed_policies(self.client("iam"), roles.values())
        if drop is not None:
            deployed = _without(deployed, roles, *drop)
        raw = [c for c in _calls(self.state_dir) if c["function"] in roles]
        return iam_audit.audit(deploy_checks.recorded_calls(raw, roles, "123456789012"), deployed)


def _calls(state_dir: Path) -> list[dict[str, Any]]:
    from localworld.deployed_lambdas import read_calls

    return read_calls(state_dir / "calls")


def _without(
    deployed: iam_audit.Deployed, roles: dict[str, str], function_part: str, action: str
) -> iam_audit.Deployed:
    role = next(arn for name, arn in roles.items() if function_part in name)
    policies = []
    for policy in deployed.role_policies[role]:
        document = json.loads(json.dumps(policy.document))
        for statement in document["Statement"]:
            actions = statement.get("Action")
            if isinstance(actions, list) and action in actions:
                statement["Action"] = [a for a in actions if a != action] or ["none:None"]
            elif actions == action:
                statement["Action"] = "none:None"
        policies.append(iam_audit.RolePolicy(name=policy.name, document=document))
    return deployed.model_copy(update={"role_policies": {**deployed.role_policies, role: policies}})


@pytest.fixture(scope="module")
def deployed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployed]:
    state_dir = tmp_path_factory.mktemp("local-endpoint")
    port = _free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("AWS_")},
        "FLEET": "config/fleet.yaml",
        "REHEARSAL_REPO": str(REPO),
        "PORT": str(port),
        "STATE_DIR": str(state_dir),
        "KEEP_ENDPOINT": "1",
        "HADRILL_LANG": "en",
    }
    # bash reads a script as it runs: run a copy, so an edit to the file meanwhile cannot derail it.
    script = state_dir / "rehearse-deploy.sh"
    shutil.copy(REPO / "tools" / "rehearse-deploy.sh", script)
    done = subprocess.run(
        ["bash", str(script), "config/default.yaml"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=1200,
        check=False,
    )
    result = Deployed(state_dir, state_dir / "rehearsal", port, done.stdout, done.stderr)
    try:
        assert done.returncode == 0, (
            f"rehearsal failed ({done.returncode}):\n{done.stdout[-3000:]}\n{done.stderr[-6000:]}"
        )
        yield result
    finally:
        subprocess.run(
            [str(REPO / ".venv" / "bin" / "hadrill"), "local", "down", "--state-dir", str(state_dir)],
            cwd=REPO,
            capture_output=True,
            check=False,
        )


def test_the_readme_deploy_steps_run_against_the_endpoint(deployed: Deployed) -> None:
    """Steps 0-8 end with setup SUCCEEDED (hadrill setup exits 0 only then), both drills PASSED, and
    history and report reading them back."""
    assert "rehearsal: 19 passed, 0 failed" in deployed.stdout
    drill = json.loads((deployed.work / "drill.json").read_text())
    assert drill["outcome"] == "PASSED"
    assert drill["scenario"] == "network-down"
    assert drill["rto_seconds"] > 0
    assert drill["drill_id"] in deployed.stdout  # listed by `hadrill history`
    assert drill["drill_id"] in (deployed.work / "report.md").read_text()
    times = (deployed.work / "times.txt").read_text().splitlines()
    assert len(times) == 19, times


def test_the_fleet_app_deploys_beside_it_and_its_fleet_drill_passes(deployed: Deployed) -> None:
    """README step 10 on the same endpoint: the fleet app adds the second cluster's stacks and the fleet
    stack, the new cluster is set up, and a fleet drill over both clusters PASSES."""
    templates = deploy_checks.assembly_templates(deployed.work / "cdk.out.fleet")
    assert set(templates) == {
        *(f"{c}-{s}" for c in ("hulft-demo", "hulft-edi") for s in ("network", "cluster", "orchestration")),
        "hulft-fleet-fleet",
    }
    assert deploy_checks.check_stacks(deployed.client("cloudformation"), templates) == []
    summary = json.loads((deployed.work / "fleet.json").read_text())
    assert summary["outcome"] == "PASSED", summary["reason"]
    assert sorted(d["cluster"] for d in summary["drills"]) == ["hulft-demo", "hulft-edi"]
    assert all(d["outcome"] == "PASSED" for d in summary["drills"])


def test_every_stack_is_complete_with_its_outputs_and_exports(deployed: Deployed) -> None:
    templates = deployed.templates()
    assert set(templates) == {"hulft-demo-network", "hulft-demo-cluster", "hulft-demo-orchestration"}
    assert deploy_checks.check_stacks(deployed.client("cloudformation"), templates) == []


def test_a_missing_export_fails_the_stack_check(deployed: Deployed) -> None:
    templates = deployed.templates()
    outputs = templates["hulft-demo-cluster"]["Outputs"]
    outputs["NotDeployed"] = {"Value": "x", "Export": {"Name": "hulft-demo-cluster:NotDeployed"}}
    problems = deploy_checks.check_stacks(deployed.client("cloudformation"), templates)
    assert problems == [
        "hulft-demo-cluster: output NotDeployed missing",
        "hulft-demo-cluster: export hulft-demo-cluster:NotDeployed missing",
    ]


def test_the_functions_have_the_template_environment(deployed: Deployed) -> None:
    assert deployed.env_check() == []


def test_a_wrong_lambda_environment_variable_fails_the_environment_check(deployed: Deployed) -> None:
    lambda_client = deployed.client("lambda")
    name = next(
        f["FunctionName"] for f in lambda_client.list_functions()["Functions"] if "RunDrillPhase" in f["FunctionName"]
    )
    variables = lambda_client.get_function_configuration(FunctionName=name)["Environment"]["Variables"]
    wrong = {**variables, "HADRILL_RECORDS_TABLE": "hulft-demo-no-such-table"}
    lambda_client.update_function_configuration(FunctionName=name, Environment={"Variables": wrong})
    try:
        problems = deployed.env_check()
    finally:
        lambda_client.update_function_configuration(FunctionName=name, Environment={"Variables": variables})
    assert len(problems) == 1, problems
    assert "HADRILL_RECORDS_TABLE='hulft-demo-no-such-table' names nothing that exists" in problems[0]
    assert deployed.env_check() == []


def test_every_type_moto_skipped_is_on_the_allowlist(deployed: Deployed) -> None:
    skipped = deployed.skipped_types()
    assert "AWS::CDK::Metadata" in skipped  # the record works: CDK puts one in every stack
    assert deploy_checks.check_resource_types(skipped) == []


def test_a_new_unsupported_resource_type_fails_the_type_check(deployed: Deployed) -> None:
    template = {"Resources": {"Agent": {"Type": "AWS::Bedrock::Agent", "Properties": {"AgentName": "x"}}}}
    cloudformation = deployed.client("cloudformation")
    cloudformation.create_stack(StackName="hulft-demo-unsupported", TemplateBody=json.dumps(template))
    try:
        problems = deploy_checks.check_resource_types(deployed.skipped_types())
    finally:
        cloudformation.delete_stack(StackName="hulft-demo-unsupported")
    assert len(problems) == 1
    assert problems[0].startswith("AWS::Bedrock::Agent: moto's CloudFormation does not create it")


def test_the_deployed_functions_ran_from_the_deployed_zip_on_their_runtime(deployed: Deployed) -> None:
    """Each unzipped asset holds the bundled dependencies, and the drill function's code is the asset's."""
    code_dirs = list((deployed.state_dir / "lambda" / "code").iterdir())
    python_assets = [d for d in code_dirs if (d / "handlers").is_dir()]
    assert len(python_assets) == 1
    asset = python_assets[0]
    assert (asset / "pydantic_core").is_dir()
    assert any(p.name.endswith("cpython-313-x86_64-linux-gnu.so") for p in (asset / "pydantic_core").iterdir())
    assert (asset / "aws_lambda_powertools").is_dir()


def _hadrill(deployed: Deployed, *args: str) -> subprocess.CompletedProcess[str]:
    """hadrill in AWS mode against the deployed endpoint, as an operator runs it (no terminal: --yes)."""
    from localworld.endpoint import client_environment

    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("AWS_")},
        **client_environment(deployed.port, REGION),
        "HADRILL_LANG": "en",
    }
    hadrill = str(REPO / ".venv" / "bin" / "hadrill")
    return subprocess.run(
        [hadrill, *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
        stdin=subprocess.DEVNULL,
    )


def test_switchover_and_switchback_in_aws_mode_against_the_deployed_switch_machine(deployed: Deployed) -> None:
    """Issue 17 on the deployed app: the Switch state machine found through the stack's output, a
    switchover to the standby, the switchback, its rerun a NOOP, all three in `hadrill history`; without
    --yes and without a terminal nothing starts. (Before the IAM audit below, which then covers them.)"""
    cluster = ["--cluster", "hulft-demo", "--region", REGION]
    refused = _hadrill(deployed, "switchback", *cluster)
    assert refused.returncode == 2 and "add --yes" in refused.stderr
    over = _hadrill(deployed, "switchover", "--to", "lk-node-b", *cluster, "--yes", "--json")
    assert over.returncode == 0, over.stderr[-3000:]
    report = json.loads(over.stdout)
    assert (report["outcome"], report["type"], report["to_node"]) == ("SUCCEEDED", "switchover", "lk-node-b")
    back = _hadrill(deployed, "switchback", *cluster, "--yes")
    assert back.returncode == 0, back.stderr[-3000:]
    assert "[ ok ] Switch " in back.stdout and ": SUCCEEDED" in back.stdout
    assert "- resource hierarchy: from lk-node-b to lk-node-a" in back.stdout
    again = _hadrill(deployed, "switchback", *cluster, "--yes", "--json")
    assert again.returncode == 0, again.stderr[-3000:]
    noop = json.loads(again.stdout)
    assert noop["outcome"] == "NOOP"
    history = _hadrill(deployed, "history", *cluster, "--limit", "3")
    assert history.returncode == 0, history.stderr
    listed = history.stdout.splitlines()
    assert [line.split()[1] for line in listed] == [
        noop["drill_id"],
        back.stdout.split("# switchback ")[1].split(":")[0],
        report["drill_id"],
    ]
    shown = _hadrill(deployed, "report", report["drill_id"], *cluster)
    assert shown.returncode == 0 and shown.stdout.startswith(f"# Switchover {report['drill_id']}: SUCCEEDED")


def test_the_iam_audit_finds_no_denial(deployed: Deployed) -> None:
    report = deployed.audit()
    print(report.render())  # the numbers for the build log
    assert report.calls_recorded > 100
    assert report.denials == (), report.render()
    functions = {t.function for t in report.triples}
    assert any("RunDrillPhase" in f for f in functions)
    assert any("RunSetupStep" in f for f in functions)
    assert any("RunSwitchStep" in f for f in functions)  # the switch test above ran before this one
    # The simulated EC2 Recovery Kit's route moves, made with the node role, are audited too.
    moves = {(t.function, t.action) for t in report.triples if t.function.startswith("node:")}
    assert moves == {("node:hulft-demo", "ec2:ReplaceRoute"), ("node:hulft-edi", "ec2:ReplaceRoute")}


def test_removing_one_grant_makes_the_audit_fail(deployed: Deployed) -> None:
    report = deployed.audit(drop=("RunDrillPhase", "ssm:SendCommand"))
    denied = {(d.action, d.function.split("-")[-1]) for d in report.denials}
    assert denied, report.render()
    assert all(action == "ssm:SendCommand" for action, _ in denied)
    assert all("RunDrillPhase" in d.function for d in report.denials)


def test_hadrill_status_reads_the_deployed_cluster(deployed: Deployed) -> None:
    """`hadrill status --cluster` in AWS mode against the deployment (issue 17): after the rehearsal's
    drills the cluster is healthy with the hierarchy home on the primary, the VIP route points at it, the
    lock is free, the last drill is the rehearsal's network-down drill, and the config's schedule shows
    (disabled). One SendCommand reached both nodes."""
    from localworld.endpoint import client_environment

    config = (REPO / "config" / "default.yaml").read_text()
    cluster = next(
        line.split(":", 1)[1].split("#")[0].strip() for line in config.splitlines() if line.startswith("cluster_name:")
    )
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("AWS_")},
        **client_environment(deployed.port, REGION),
        "HADRILL_LANG": "en",
    }
    ssm = deployed.client("ssm")
    done = subprocess.run(
        [str(REPO / ".venv" / "bin" / "hadrill"), "status", "--cluster", cluster, "--json"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert done.returncode == 0, f"{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    status = json.loads(done.stdout)
    assert status["mode"] == "aws" and status["healthy"] is True and status["problems"] == []
    primary = next(n for n in status["nodes"] if n["role"] == "primary")
    assert status["active_node"] == primary["name"] and status["route"]["node"] == primary["name"]
    assert all(r["state"] == "ISP" for r in primary["resources"]) and primary["mirror_percent"] == 100
    assert {"hulft", "hulft-obs", "hulft-rcv", "hulft-snd", "datarep-data"} <= {r["tag"] for r in primary["resources"]}
    assert status["lock"] is None
    # The newest drill of the cluster: the fleet drill of step 10 ran after the network-down drill.
    outputs = deployed.client("cloudformation").describe_stacks(StackName=f"{cluster}-orchestration")["Stacks"][0]
    table = next(o["OutputValue"] for o in outputs["Outputs"] if o["OutputKey"] == "RecordsTable")
    newest = deployed.client("dynamodb").query(
        TableName=table,
        KeyConditionExpression="#c = :c AND begins_with(recordId, :k)",
        ExpressionAttributeNames={"#c": "cluster"},
        ExpressionAttributeValues={":c": {"S": cluster}, ":k": {"S": "drill#"}},
        ScanIndexForward=False,
        Limit=1,
    )["Items"][0]
    assert status["last_drill"]["started"] == newest["started"]["S"]
    assert status["last_drill"]["outcome"] == newest["outcome"]["S"] == "PASSED"
    assert status["last_drill"]["rto_seconds"] > 0
    assert [s["enabled"] for s in status["schedules"]] == [False]
    commands = ssm.list_commands()["Commands"]
    status_commands = [c for c in commands if c.get("Comment", "").startswith(f"hadrill status of {cluster}")]
    assert len(status_commands) == 1 and len(status_commands[0]["InstanceIds"]) == 2
