"""The conformance probe as setup's first step: the real ASL in moto, the real probe on simulated nodes.

Each mismatch knob stops setup before anything is changed on a node, with one line that names the
override to set; the raw outputs the probe read land in the reports bucket under conformance/.
"""

from __future__ import annotations

import itertools
import json
from pathlib import Path
from typing import Any

import pytest

from localrunner import LocalDeployment, deploy_local
from localworld import LocalWorld
from localworld.results import ExecutionResult
from simulator import Knobs, Timings
from support.local_cluster import config_named, records, run_setup

_NAMES = itertools.count(1)
OVERRIDES = "/etc/hadrill/vendor-overrides.sh"


def deploy_bare(world: LocalWorld, root: Path, knobs: Knobs | None = None) -> LocalDeployment:
    return deploy_local(
        config_named(f"c-{next(_NAMES):03d}"), world=world, root=root, timings=Timings.fast(), knobs=knobs, bare=True
    )


def probe_output(result: ExecutionResult) -> dict[str, Any]:
    for event in result.events_of("TaskSucceeded"):
        payload = json.loads(event["taskSucceededEventDetails"]["output"]).get("Payload")
        if isinstance(payload, dict) and payload.get("probe") == "conformance":
            return payload
    raise AssertionError("the conformance probe did not run")


def test_probe_runs_first_and_setup_goes_on(world: LocalWorld, tmp_path: Path) -> None:
    deployment = deploy_bare(world, tmp_path)
    result = run_setup(deployment)
    assert result.status == "SUCCEEDED", result.cause
    assert result.states_entered[1:4] == ["ConformanceProbe", "ConformanceVerdict", "Preflight"]
    output = probe_output(result)
    assert output["ok"] is True and output["stop"] == ""
    assert output["resourceTool"] == {n.name: "lkcli" for n in deployment.facts.nodes}
    # The raw outputs of both nodes, in the reports bucket under conformance/<cluster>/<execution>/.
    cluster = deployment.facts.cluster_name
    assert len(output["rawKeys"]) == 2
    for url in output["rawKeys"]:
        assert url.startswith(f"s3://{deployment.reports_bucket}/conformance/{cluster}/")
        key = url.split("/", 3)[3]
        saved = json.loads(deployment.world.read_object(deployment.reports_bucket, key) or b"{}")
        assert saved["cluster"] == cluster and "lkcli resource create hulft --help" in saved["raw"]


@pytest.mark.parametrize(
    ("knobs", "row", "line_end"),
    [
        (
            Knobs(lkcli_without_option="--hulexep"),
            "lkcli resource create hulft --help lists --tag --hulexep",
            f"saw not listed: --hulexep (exit 0) -> set HADRILL_RESOURCE_TOOL=kit-scripts in {OVERRIDES}",
        ),
        (
            Knobs(no_icmp=True),
            "the peer answers lkping (ICMP echo allowed between the nodes)",
            "-> allow ICMP echo between the two nodes (security group and host firewall): "
            "DataKeeper and the IP kit check the peer with lkping",
        ),
    ],
    ids=["older-lkcli", "no-icmp"],
)
def test_a_mismatch_stops_setup_before_any_change(
    world: LocalWorld, tmp_path: Path, knobs: Knobs, row: str, line_end: str
) -> None:
    deployment = deploy_bare(world, tmp_path, knobs)
    sent_before = deployment.world.ssm.commands_sent
    result = run_setup(deployment)
    assert result.status == "FAILED"
    assert result.error == "ConformanceMismatch"
    assert result.states_entered[-5:] == [
        "ConformanceProbe",
        "ConformanceVerdict",
        "ConformanceMismatch",
        "RecordFailure",
        "SetupFailed",
    ]
    # Only the probe ran (one command per node): nothing was licensed, started, created or installed.
    assert deployment.world.ssm.commands_sent - sent_before == 2
    nodes = deployment.cluster.nodes
    assert not any(node.lk_running or node.licensed or node.rpms.get("steeleye-lkHUL") for node in nodes)
    cause = result.cause or ""
    assert cause.startswith("conformance probe: setup stopped before any change: ")
    lines = cause.removeprefix("conformance probe: setup stopped before any change: ").split("; ")
    assert any(row in line and line.endswith(line_end) for line in lines), lines
    (record,) = records(deployment, "setup")
    assert record["outcome"] == "FAILED"
    assert probe_output(result)["ok"] is False


def test_different_mirror_status_wording_stops_a_bring_your_own_setup(world: LocalWorld, tmp_path: Path) -> None:
    """A cluster whose base was built by hand: the mirror exists, and its wording is not ours."""
    deployment = deploy_local(
        config_named(f"c-{next(_NAMES):03d}"),
        world=world,
        root=tmp_path,
        timings=Timings.fast(),
        knobs=Knobs(mirror_status_reworded=True),
    )
    before = deployment.cluster.history()
    result = run_setup(deployment)
    assert (result.status, result.error) == ("FAILED", "ConformanceMismatch")
    primary = deployment.facts.primary.name
    assert (
        f"{primary}: mirror_status reads as vendor.sh expects (a '% Synced' figure; 'Fully Operational' when in "
        f"sync): saw [-] {primary} -> {deployment.facts.secondary.name} / Mirror state: Fully Operational / "
        f"Synchronized: 100% -> define hadrill_mirror_in_sync and hadrill_mirror_percent for this wording in "
        f"{OVERRIDES}"
    ) in (result.cause or "")
    assert deployment.cluster.history() == before  # no state change on the simulated cluster


def test_dry_run_runs_the_probe_too(world: LocalWorld, tmp_path: Path) -> None:
    deployment = deploy_bare(world, tmp_path, Knobs(no_icmp=True))
    result = run_setup(deployment, {"cluster": deployment.facts.cluster_name, "dryRun": True})
    assert (result.status, result.error) == ("FAILED", "ConformanceMismatch")
    rows = [c for n in probe_output(result)["table"] for c in n["checks"] if c["status"] == "MISMATCH"]
    assert {c["id"].split("-")[0] for c in rows} == {"peer"}
