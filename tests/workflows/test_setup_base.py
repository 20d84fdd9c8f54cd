"""The setup workflow's base stage (issue 9): from bare nodes to a verified hulft hierarchy.

Bare simulated nodes are what `cdk deploy` gives: LifeKeeper installed but neither licensed nor
started, no comm paths, no virtual IP or DataKeeper resource, the /data volume without a file system.
The real ASL runs in moto, the real scripts on the simulated nodes (a test double of LifeKeeper).
"""

from __future__ import annotations

import itertools
import json
import time
from pathlib import Path
from typing import Any

import pytest

from hadrill import setup
from hadrill.lcdstatus import PathState, ResourceState, parse_lcdstatus
from localrunner import LocalDeployment, deploy_local
from localworld import ExecutionResult, LocalWorld
from simulator import Knobs, SimulatedCluster, Timings
from support.facts import sample_facts
from support.local_cluster import config_named, records, run_setup, step_results

_NAMES = itertools.count(1)
BASE_STATES = ["LicenseAndStart", "CommPaths", "VirtualIpResource", "DataMirror"]


def deploy_bare(world: LocalWorld, root: Path, *, knobs: Knobs | None = None, **overrides: Any) -> LocalDeployment:
    return deploy_local(
        config_named(f"b-{next(_NAMES):03d}"),
        world=world,
        root=root,
        timings=Timings.fast(),
        knobs=knobs,
        bare=True,
        facts_overrides=overrides,
    )


def lcdstatus(cluster: SimulatedCluster, node: int) -> str:
    """What `lcdstatus -q` prints on the node, through the simulator's own stand-in."""
    ran = cluster.run_document(
        instance_id=cluster.instance_ids[node],
        document_name="HADrill-NodeStatus",
        parameters={"LogicalHost": ["hulft-vip"]},
        timeout_seconds=30,
    )
    lines = [line for line in ran.stdout.splitlines() if line.strip()]
    text: str = json.loads(lines[-1])["lcdstatus"]
    return text


def base_seconds(result: ExecutionResult) -> float:
    """Wall time from entering LicenseAndStart to leaving DataMirror (the execution's own events)."""
    entered = next(
        e["timestamp"]
        for e in result.events_of("TaskStateEntered")
        if e["stateEnteredEventDetails"]["name"] == "LicenseAndStart"
    )
    exited = next(
        e["timestamp"]
        for e in result.events_of("TaskStateExited")
        if e["stateExitedEventDetails"]["name"] == "DataMirror"
    )
    return float((exited - entered).total_seconds())


def test_bare_pair_to_verified_hierarchy_in_one_execution(world: LocalWorld, tmp_path: Path) -> None:
    deployment = deploy_bare(world, tmp_path)
    facts, cluster = deployment.facts, deployment.cluster
    assert facts.created_by_app and all(node.addresses for node in facts.nodes)
    started = time.monotonic()
    result = run_setup(deployment)
    elapsed = time.monotonic() - started
    assert result.status == "SUCCEEDED", (result.error, result.cause)
    assert result.states_entered[4:9] == ["BaseStage", *BASE_STATES]
    steps = step_results(result)
    assert list(steps) == list(setup.ALL_STEPS)
    for step in setup.BASE_STEPS:
        assert all(node["changed"] for node in steps[step]["nodes"]), step
    (license_a, license_b) = steps["license-and-start"]["nodes"]
    assert license_a["version"] == license_b["version"] == "9.8.1-7160"
    (mirror,) = steps["data-mirror"]["nodes"]
    resync = mirror["resync"]
    assert resync["in_sync"] is True and resync["percent"] == "100"
    assert [p["percent"] for p in resync["progress"]][-1] == "100" and len(resync["progress"]) >= 2
    assert "new xfs file system" in mirror["message"]

    # LifeKeeper running, comm paths ALIVE, VIP and /data ISP on the primary, OSU on the standby,
    # the hulft hierarchy on top of both.
    for node, wanted in ((0, ResourceState.IN_SERVICE), (1, ResourceState.OUT_OF_SERVICE)):
        status = parse_lcdstatus(lcdstatus(cluster, node))
        assert len(status.comm_paths) == 2 and {p.state for p in status.comm_paths} == {PathState.ALIVE}
        tags = [r.tag for r in status.hierarchy(facts.hulft_tag)]
        for tag in (facts.vip_resource_tag, facts.ip_resource_tag, facts.data_mount, facts.mirror_tag):
            assert tag in tags
        assert {r.state for r in status.hierarchy(facts.hulft_tag)} == {wanted}
    verify = steps["verify-hierarchy"]["checks"]
    assert all(check["passed"] for check in verify)
    names = {check["name"] for check in verify}
    assert f"{facts.primary.name}: virtual IP ec2-vip ISP" in names
    assert f"{facts.secondary.name}: /data file system /data OSU" in names
    assert cluster.vip_route_target() == cluster.nodes[0].eni

    # Cost of the base stage: 1 Choice + 4 Tasks, 4 Lambda invocations, 6 SSM commands
    # (license and comm paths on both nodes, VIP and mirror on the primary); the conformance probe
    # adds a Task and a Choice, 1 invocation and 2 commands.
    assert (result.state_transitions, result.lambda_invocations, result.ssm_commands_sent) == (17, 14, 21)
    assert 0 < base_seconds(result) < elapsed
    (record,) = records(deployment, "setup")
    assert record["outcome"] == "SUCCEEDED"


def test_second_run_changes_nothing_and_says_so(world: LocalWorld, tmp_path: Path) -> None:
    deployment = deploy_bare(world, tmp_path)
    assert run_setup(deployment).status == "SUCCEEDED"
    lcd_before = [lcdstatus(deployment.cluster, node) for node in (0, 1)]
    history_before = len(deployment.cluster.history())
    again = run_setup(deployment)
    assert again.status == "SUCCEEDED", again.cause
    steps = step_results(again)
    for step in setup.ALL_STEPS:
        for node in steps[step].get("nodes", []):
            assert node["changed"] is False, (step, node)
            assert "already" in node["message"], (step, node)
    assert [lcdstatus(deployment.cluster, node) for node in (0, 1)] == lcd_before
    assert len(deployment.cluster.history()) == history_before


def test_missing_license_fails_at_the_first_base_step(world: LocalWorld, tmp_path: Path) -> None:
    deployment = deploy_bare(world, tmp_path)
    secret = deployment.facts.lifekeeper_license_secret
    world.client("secretsmanager").delete_secret(SecretId=secret, ForceDeleteWithoutRecovery=True)
    result = run_setup(deployment)
    assert result.status == "FAILED"
    assert result.states_entered[-3:] == ["LicenseAndStart", "RecordFailure", "SetupFailed"]
    cause = result.cause or ""
    assert cause.startswith("license-and-start failed on ")
    # Both nodes lack the secret, and the cause names both: one fix for the two.
    for node in (deployment.facts.primary.name, deployment.facts.secondary.name):
        assert f"cannot read the LifeKeeper license secret {secret} on {node}" in cause
    assert "ResourceNotFoundException" in cause
    assert not any(node.lk_running or node.licensed for node in deployment.cluster.nodes)
    assert result.ssm_commands_sent == 6  # the probe, preflight and the license step, on both nodes


def test_comm_path_never_alive_names_node_and_path(world: LocalWorld, tmp_path: Path) -> None:
    deployment = deploy_bare(world, tmp_path, knobs=Knobs(dead_comm_path=True), comm_path_wait_seconds=1)
    result = run_setup(deployment)
    assert result.status == "FAILED"
    assert result.states_entered[-3:] == ["CommPaths", "RecordFailure", "SetupFailed"]
    cause = result.cause or ""
    primary, secondary = deployment.facts.primary, deployment.facts.secondary
    assert cause.startswith("comm-paths failed on ")
    assert "comm path not ALIVE after 1 s" in cause
    # The second address pair is the dead path; whichever node reported, both ends are named.
    named = {primary.name, secondary.name}
    assert all(name in cause for name in named)
    assert f"{primary.addresses[1]}/{secondary.addresses[1]}" in cause or (
        f"{secondary.addresses[1]}/{primary.addresses[1]}" in cause
    )


def test_mirror_resync_wait_is_bounded_and_reported(world: LocalWorld, tmp_path: Path) -> None:
    deployment = deploy_bare(world, tmp_path, knobs=Knobs(mirror_out_of_sync=True), resync_wait_seconds=1)
    started = time.monotonic()
    result = run_setup(deployment)
    assert time.monotonic() - started < 30
    assert result.status == "FAILED"
    assert result.states_entered[-3:] == ["DataMirror", "RecordFailure", "SetupFailed"]
    cause = result.cause or ""
    assert cause.startswith(f"data-mirror failed on {deployment.facts.primary.name}")
    assert f"mirror {deployment.facts.mirror_tag} not in sync after 1 s: 0% synced" in cause
    assert "Out of Sync" in cause and "a rerun waits again" in cause
    # Everything before the wait was done: a rerun (mirror healthy again) only waits.
    deployment.cluster.set_knobs(Knobs())
    deployment.cluster.engine.start_resync()
    again = run_setup(deployment)
    assert again.status == "SUCCEEDED", again.cause
    (mirror,) = step_results(again)["data-mirror"]["nodes"]
    assert mirror["changed"] is False and mirror["resync"]["in_sync"] is True


def test_hand_built_cluster_skips_the_base_unless_asked(world: LocalWorld, tmp_path: Path) -> None:
    """Today's simulated cluster stands for the blog's hand-built base: no base stage by default;
    configureBase true runs it, and every base step finds its work done."""
    deployment = deploy_local(config_named(f"h-{next(_NAMES):03d}"), world=world, root=tmp_path, timings=Timings.fast())
    assert deployment.facts.created_by_app is False
    skipped = run_setup(deployment)
    assert skipped.status == "SUCCEEDED", skipped.cause
    assert "SkipBase" in skipped.states_entered and "LicenseAndStart" not in skipped.states_entered
    asked = run_setup(deployment, {"cluster": deployment.facts.cluster_name, "configureBase": True})
    assert asked.status == "SUCCEEDED", asked.cause
    steps = step_results(asked)
    for step in setup.BASE_STEPS:
        for node in steps[step]["nodes"]:
            assert node["changed"] is False and "already" in node["message"], (step, node)


def test_bring_your_own_bare_cluster_without_the_base_stops_at_the_probe(world: LocalWorld, tmp_path: Path) -> None:
    """Without the base stage LifeKeeper must already run: the conformance probe says so, before preflight."""
    deployment = deploy_bare(world, tmp_path)
    result = run_setup(deployment, {"cluster": deployment.facts.cluster_name, "configureBase": False})
    assert (result.status, result.error) == ("FAILED", "ConformanceMismatch")
    assert result.states_entered[-3:] == ["ConformanceMismatch", "RecordFailure", "SetupFailed"]
    fix = "start LifeKeeper (lkstart) here, or run setup with configureBase: true"
    assert f"saw LifeKeeper is not running -> {fix}" in (result.cause or "")


# ---- the plan, without a world ---------------------------------------------------------------------


def test_plan_of_the_base_steps() -> None:
    facts = sample_facts()
    assert facts.lifekeeper_license_secret == "hadrill/plan-demo/lifekeeper-license"
    licenses = setup.plan("license-and-start", facts)
    assert [c.parameters.to_ssm()["SecretId"] for c in licenses] == [["hadrill/plan-demo/lifekeeper-license"]] * 2
    a, b = setup.plan("comm-paths", facts)
    # One address on the secondary: one comm path, in both directions.
    assert a.parameters.to_ssm()["LocalAddresses"] == ["10.0.1.10"]
    assert a.parameters.to_ssm()["PeerAddresses"] == ["10.0.33.10"]
    assert (b.node, b.parameters.to_ssm()["PeerNode"]) == ("lk-b", ["lk-a"])
    (vip,) = setup.plan("virtual-ip-resource", facts)
    assert vip.node == "lk-a" and vip.parameters.to_ssm()["VirtualIp"] == ["10.254.0.10"]
    (mirror,) = setup.plan("data-mirror", facts)
    assert mirror.document == "plan-demo-HADrill-DataMirror"
    assert mirror.parameters.to_ssm()["MirrorMode"] == ["synchronous"]
    (hulft,) = setup.plan("create-hulft-resource", facts)
    assert hulft.parameters.to_ssm()["VipTag"] == ["ec2-vip"]
    with pytest.raises(setup.SetupStepFailed, match="no address known for lk-b"):
        setup.plan("comm-paths", sample_facts(secondary={**facts.secondary.model_dump(), "addresses": []}))


@pytest.mark.parametrize(
    ("created_by_app", "asked", "runs"),
    [(True, None, True), (False, None, False), (False, True, True), (True, False, False)],
)
def test_configure_base_defaults_by_cluster_kind(created_by_app: bool, asked: bool | None, runs: bool) -> None:
    facts = sample_facts(created_by_app=created_by_app)
    event: dict[str, Any] = {"cluster": "plan-demo"}
    if asked is not None:
        event["configureBase"] = asked
    request = setup.validate_input(event, facts)
    assert request.configure_base is runs
    assert request.model_dump(by_alias=True)["configureBase"] is runs
    reason = setup.skip_reason("data-mirror", request)
    assert (reason is None) is runs
    assert setup.skip_reason("stage-media", request) is None
