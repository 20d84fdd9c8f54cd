"""The setup workflow end to end: the real ASL in moto, the real scripts on the simulated nodes.

Each test deploys a fresh simulated cluster (the simulator is a test double of LifeKeeper and
HULFT, following their documented commands and output formats).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hadrill.setup import SETUP_STEPS
from localworld import LocalWorld
from simulator import Knobs
from support.local_cluster import deploy, records, run_setup, step_results

COMMAND_STEPS = [s for s in SETUP_STEPS if s not in ("preflight", "verify-hierarchy")]


def test_setup_installs_hulft_and_builds_the_hierarchy(world: LocalWorld, tmp_path: Path) -> None:
    """Happy path: every step runs, verification passes, a SUCCEEDED record and a notification."""
    deployment = deploy(world, tmp_path)
    result = run_setup(deployment)
    assert result.status == "SUCCEEDED", (result.error, result.cause)
    steps = step_results(result)
    assert list(steps) == list(SETUP_STEPS)
    for step in COMMAND_STEPS:
        assert any(node["changed"] for node in steps[step]["nodes"]), step
    verify = steps["verify-hierarchy"]["checks"]
    assert verify and all(check["passed"] for check in verify)
    primary, secondary = deployment.facts.primary.name, deployment.facts.secondary.name
    assert f"{primary}: hierarchy hulft ISP" in {c["name"] for c in verify}
    assert f"{secondary}: hierarchy hulft OSU" in {c["name"] for c in verify}
    (record,) = records(deployment, "setup")
    assert record["outcome"] == "SUCCEEDED"
    (notification,) = deployment.notifications()
    assert notification["subject"] == f"[hadrill] setup SUCCEEDED on {deployment.facts.cluster_name}"
    # The cost of one setup: 14 states (10 + the base stage's Choice and its SkipBase Pass: this cluster's
    # base was built by hand; the conformance probe and its verdict), 10 Lambda invocations, 15 SSM
    # commands (2 per two-node step and for the probe, 1 for create-and-extend on the primary).
    assert result.state_transitions == 14
    assert result.lambda_invocations == 10
    assert result.ssm_commands_sent == 15


def test_second_setup_changes_nothing(world: LocalWorld, tmp_path: Path) -> None:
    """Idempotency: a rerun reports every step as already done."""
    deployment = deploy(world, tmp_path)
    assert run_setup(deployment).status == "SUCCEEDED"
    installs_before = deployment.cluster.commands.installer_runs
    again = run_setup(deployment)
    assert again.status == "SUCCEEDED"
    steps = step_results(again)
    for step in COMMAND_STEPS:
        for node in steps[step]["nodes"]:
            assert node["changed"] is False, (step, node)
            assert "already" in node["message"], (step, node)
    assert deployment.cluster.commands.installer_runs == installs_before
    assert [r["outcome"] for r in records(deployment, "setup")] == ["SUCCEEDED", "SUCCEEDED"]


def test_missing_secret_fails_at_install_and_installs_nothing(world: LocalWorld, tmp_path: Path) -> None:
    deployment = deploy(world, tmp_path)
    world.client("secretsmanager").delete_secret(
        SecretId=deployment.facts.hulft_license_secret, ForceDeleteWithoutRecovery=True
    )
    result = run_setup(deployment)
    assert result.status == "FAILED"
    assert result.states_entered[-3:] == ["InstallHulft", "RecordFailure", "SetupFailed"]
    assert result.error == "SetupStepFailed"
    assert "install-hulft failed on" in (result.cause or "")
    assert deployment.facts.hulft_license_secret in (result.cause or "")
    assert deployment.cluster.commands.installer_runs == []
    assert "steeleye-lkHUL" not in json.dumps([n.rpms for n in deployment.cluster.nodes])
    assert deployment.cluster.engine.definition(deployment.facts.hulft_tag) is None
    (record,) = records(deployment, "setup")
    assert record["outcome"] == "FAILED"
    detail = json.loads(record["detail"])
    assert detail["error"]["type"] == "SetupStepFailed"


def test_failed_install_names_node_and_step_and_notifies(world: LocalWorld, tmp_path: Path) -> None:
    deployment = deploy(world, tmp_path, knobs=Knobs(install_fails=True))
    result = run_setup(deployment)
    assert result.status == "FAILED"
    cause = result.cause or ""
    assert cause.startswith("install-hulft failed on ")
    assert deployment.facts.secondary.name in cause or deployment.facts.primary.name in cause
    (notification,) = deployment.notifications()
    assert notification["subject"] == f"[hadrill] setup FAILED on {deployment.facts.cluster_name}"
    assert "install-hulft failed on" in notification["message"]


@pytest.mark.parametrize(
    ("request_body", "field"),
    [
        ({}, "cluster"),
        ({"cluster": "somebody-else"}, "cluster"),
        ({"cluster": "CLUSTER; rm -rf /"}, "cluster"),
        ({"cluster": "__SELF__", "steps": ["reboot-everything"]}, "steps.0"),
        ({"cluster": "__SELF__", "dryRun": "yes please"}, "dryRun"),
        ({"cluster": "__SELF__", "extra": 1}, "extra"),
    ],
)
def test_bad_input_fails_first_and_sends_nothing(
    world: LocalWorld, tmp_path: Path, request_body: dict[str, object], field: str
) -> None:
    deployment = deploy(world, tmp_path)
    body = {k: (deployment.facts.cluster_name if v == "__SELF__" else v) for k, v in request_body.items()}
    result = run_setup(deployment, body)
    assert result.status == "FAILED"
    assert result.states_entered == ["ValidateInput", "RecordFailure", "SetupFailed"]
    assert result.ssm_commands_sent == 0
    assert result.error == "InvalidInput"
    assert (result.cause or "").startswith(f"{field}: ")


def test_dry_run_plans_without_changing_the_nodes(world: LocalWorld, tmp_path: Path) -> None:
    deployment = deploy(world, tmp_path)
    result = run_setup(deployment, {"cluster": deployment.facts.cluster_name, "dryRun": True})
    assert result.status == "SUCCEEDED"
    steps = step_results(result)
    assert steps["install-hulft"]["skipped"] is True
    assert "would run" in steps["install-hulft"]["message"]
    # Only the read-only conformance probe and preflight touched the nodes.
    assert result.ssm_commands_sent == 4
    assert deployment.cluster.commands.installer_runs == []


def test_steps_rerun_only_the_chosen_ones(world: LocalWorld, tmp_path: Path) -> None:
    deployment = deploy(world, tmp_path)
    assert run_setup(deployment).status == "SUCCEEDED"
    result = run_setup(deployment, {"cluster": deployment.facts.cluster_name, "steps": ["hosts-entry"]})
    assert result.status == "SUCCEEDED"
    steps = step_results(result)
    assert steps["install-hulft"]["skipped"] is True
    assert [n["changed"] for n in steps["hosts-entry"]["nodes"]] == [False, False]
    # conformance probe (2) + preflight (2) + hosts entry (2) + verify (2)
    assert result.ssm_commands_sent == 8
