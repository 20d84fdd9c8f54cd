"""`hadrill setup`: start the setup workflow, show each step, exit 0 only when it succeeded."""

from __future__ import annotations

import json
import sys
import time
from typing import Any

from hadrill_cli.aws import AwsTarget
from hadrill_cli.follow import Execution, follow
from hadrill_cli.local import local_cluster
from hadrill_cli.messages import t
from hadrill_cli.render import as_json, closing_line, progress_reporter
from stacks.config import DeploymentConfig

EXIT_OK = 0
EXIT_FAILED = 1


def setup_input(cluster: str, *, steps: list[str] | None, dry_run: bool) -> dict[str, Any]:
    request: dict[str, Any] = {"cluster": cluster, "dryRun": dry_run}
    if steps:
        request["steps"] = steps
    return request


def run_local(
    config: DeploymentConfig, *, steps: list[str] | None, dry_run: bool, repeat: int, as_json_output: bool
) -> int:
    """Run setup `repeat` times on one fresh simulated cluster (the second run shows idempotency)."""
    exit_code = EXIT_OK
    with local_cluster(config) as deployment:
        sfn = deployment.world.client("stepfunctions")
        for attempt in range(1, repeat + 1):
            if not as_json_output:
                _announce_local_run(config.cluster_name, attempt, repeat)
            before = deployment.world.ssm.commands_sent
            arn = sfn.start_execution(
                stateMachineArn=deployment.state_machines["Setup"],
                name=f"setup-{int(time.time() * 1000)}-{attempt}",
                input=json.dumps(setup_input(config.cluster_name, steps=steps, dry_run=dry_run)),
            )["executionArn"]
            with progress_reporter(as_json=as_json_output) as report:
                execution = follow(sfn, arn, on_change=report, poll_seconds=0.05, timeout_seconds=600)
            commands = deployment.world.ssm.commands_sent - before
            _report(config.cluster_name, execution, commands, as_json_output)
            if execution.status != "SUCCEEDED":
                exit_code = EXIT_FAILED
                break
    return exit_code


def _announce_local_run(cluster: str, attempt: int, repeat: int) -> None:
    print(t("setup_run_local", cluster=cluster, attempt=attempt, repeat=repeat, mode=t("local_mode")), flush=True)


def _report(cluster: str, execution: Execution, commands: int | None, as_json_output: bool) -> None:
    if as_json_output:  # JSON keeps the English workflow name: it is a key scripts match on
        print(as_json("setup", cluster, "local-simulated", execution, commands), flush=True)
    else:
        print(closing_line(t("workflow_setup"), execution, commands), file=sys.stdout, flush=True)


def run_aws(target: AwsTarget, *, steps: list[str] | None, dry_run: bool, as_json_output: bool) -> int:
    """Start the deployed setup state machine and follow it (SSM commands are not counted here)."""
    request = setup_input(target.cluster, steps=steps, dry_run=dry_run)
    _, arn = target.start_execution("Setup", name_prefix="setup", request=request)
    sfn = target.client("stepfunctions")
    if not as_json_output:
        print(t("setup_started", cluster=target.cluster, arn=arn), flush=True)
    with progress_reporter(as_json=as_json_output) as report:
        execution = follow(sfn, arn, on_change=report, poll_seconds=2.0)
    _report(target.cluster, execution, None, as_json_output)
    return EXIT_OK if execution.status == "SUCCEEDED" else EXIT_FAILED
