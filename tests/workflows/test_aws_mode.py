"""The CLI's AWS mode (`--cluster NAME`) against a local world: moto answers the same Step Functions,
S3 and DynamoDB calls a deployed cluster would. Only the orchestration stack's outputs are given, as
CloudFormation would list them (moto's CloudFormation needs packages this project does not install).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from hadrill_cli import messages
from hadrill_cli.aws import AwsTarget
from hadrill_cli.drill_command import DrillOptions, history, show_report
from hadrill_cli.drill_command import run_aws as drill_aws
from hadrill_cli.local import local_fleet
from hadrill_cli.setup_command import run_aws as setup_aws
from localrunner import LocalDeployment
from localrunner.fleet import sim_fleet_configs
from support.drill_world import default_config, reap_node_processes


@pytest.fixture(scope="module")
def deployment() -> Iterator[LocalDeployment]:
    messages.use("en")
    with local_fleet(
        sim_fleet_configs(default_config(), 1), fleet_name="aws-mode", max_concurrency=1, installed=True
    ) as fleet:
        (member,) = fleet.members
        try:
            yield member
        finally:
            reap_node_processes(member.cluster)


def _target(deployment: LocalDeployment) -> AwsTarget:
    target = AwsTarget(deployment.facts.cluster_name, region=deployment.world.region)
    target._outputs = {
        "SetupStateMachineArn": deployment.state_machines["Setup"],
        "DrillStateMachineArn": deployment.state_machines["Drill"],
        "RecordsTable": deployment.records_table,
    }
    return target


def _json_after_metrics(out: str, first_key: str) -> dict:
    """The CLI's JSON document; the functions' metric lines come first (pytest holds their stdout)."""
    document, _ = json.JSONDecoder().raw_decode(out[out.index(f'{{\n  "{first_key}"') :])
    return dict(document)


def test_setup_follows_the_deployed_state_machine(
    deployment: LocalDeployment, capsys: pytest.CaptureFixture[str]
) -> None:
    assert setup_aws(_target(deployment), steps=None, dry_run=True, as_json_output=True) == 0
    result = _json_after_metrics(capsys.readouterr().out, "workflow")
    assert result["outcome"] == "SUCCEEDED" and result["cluster"] == deployment.facts.cluster_name
    assert result["steps"][0]["state"] == "ValidateInput"


def test_a_drill_then_its_history_and_report(deployment: LocalDeployment, capsys: pytest.CaptureFixture[str]) -> None:
    options = DrillOptions(
        scenario="switchover", dry_run=False, switchback=True, max_rto=None, takeover_timeout=None, as_json_output=True
    )
    capsys.readouterr()
    assert drill_aws(_target(deployment), options) == 0
    report = _json_after_metrics(capsys.readouterr().out, "drill_id")
    assert report["outcome"] == "PASSED" and report["scenario"] == "switchover"
    assert history(target=_target(deployment), reports_dir=Path("-"), limit=5, as_json_output=True) == 0
    rows = json.loads(capsys.readouterr().out)
    assert rows[0]["drill_id"] == report["drill_id"] and rows[0]["outcome"] == "PASSED"
    assert show_report(report["drill_id"], target=_target(deployment), reports_dir=Path("-"), as_json_output=False) == 0
    assert capsys.readouterr().out.startswith(f"# Drill {report['drill_id']}: PASSED")
