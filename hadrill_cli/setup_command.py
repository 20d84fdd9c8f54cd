"""`hadrill setup`: start the setup workflow, show each step, exit 0 only when it succeeded."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

from hadrill.conformance import stop_lines_of, table_lines
from hadrill.inputs import problem_with
from hadrill.setup import SetupInput
from hadrill_cli.aws import AwsTarget
from hadrill_cli.follow import Execution, follow
from hadrill_cli.local import local_cluster
from hadrill_cli.messages import t
from hadrill_cli.render import as_json, closing_line, progress_reporter
from stacks.config import DeploymentConfig

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_BAD_INPUT = 2
PROBE_STATE = "ConformanceProbe"
DEFAULT_REPORTS_DIR = Path("reports")


def setup_input(cluster: str, *, steps: list[str] | None, dry_run: bool) -> dict[str, Any]:
    request: dict[str, Any] = {"cluster": cluster, "dryRun": dry_run}
    if steps:
        request["steps"] = steps
    return request


def probe_output(execution: Execution) -> dict[str, Any] | None:
    """The conformance probe's table (the ConformanceProbe state's result), when it ran."""
    for run in execution.states:
        if run.name == PROBE_STATE and isinstance(run.result, dict) and run.result.get("probe") == "conformance":
            return run.result
    return None


def show_probe(output: dict[str, Any] | None, *, dry_run: bool, saved: list[str]) -> None:
    """A dry run prints the probe's table; so does a probe that stopped setup, with its lines and the
    place of the raw outputs it read."""
    if output is None or (output.get("ok") and not dry_run):
        return
    print(t("probe_table", summary=output.get("summary", "")), flush=True)
    for line in table_lines(output):
        print(line, flush=True)
    for line in stop_lines_of(output):
        print(t("probe_stop", line=line), flush=True)
    if saved:
        print(t("probe_raw", where=", ".join(saved)), flush=True)


def save_probe_raw_locally(deployment: Any, output: dict[str, Any] | None, reports_dir: Path) -> list[str]:
    """The world is gone when the process ends: the probe's raw outputs are copied to
    reports/conformance/<execution>/<node>.json (the same objects the reports bucket holds)."""
    saved: list[str] = []
    for url in (output or {}).get("rawKeys", []):
        bucket, _, key = str(url).removeprefix("s3://").partition("/")
        body = deployment.world.read_object(bucket, key)
        if body is None:
            continue
        target = reports_dir / key
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(body if isinstance(body, bytes) else str(body).encode())
        saved.append(str(target))
    return saved


def run_local(
    config: DeploymentConfig,
    *,
    steps: list[str] | None,
    dry_run: bool,
    repeat: int,
    as_json_output: bool,
    reports_dir: Path = DEFAULT_REPORTS_DIR,
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
            probe = probe_output(execution)
            saved = save_probe_raw_locally(deployment, probe, reports_dir)
            if not as_json_output:
                show_probe(probe, dry_run=dry_run, saved=saved)
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
    problem = problem_with(SetupInput, request)  # as drill does: exit 2 and no execution on a bad input
    if problem:
        print(f"hadrill setup: {t('bad_input', problem=problem)}", file=sys.stderr)
        return EXIT_BAD_INPUT
    _, arn = target.start_execution("Setup", name_prefix="setup", request=request)
    sfn = target.client("stepfunctions")
    if not as_json_output:
        print(t("setup_started", cluster=target.cluster, arn=arn), flush=True)
    with progress_reporter(as_json=as_json_output) as report:
        execution = follow(sfn, arn, on_change=report, poll_seconds=2.0)
    if not as_json_output:
        probe = probe_output(execution)
        show_probe(probe, dry_run=dry_run, saved=[str(k) for k in (probe or {}).get("rawKeys", [])])
    _report(target.cluster, execution, None, as_json_output)
    return EXIT_OK if execution.status == "SUCCEEDED" else EXIT_FAILED
