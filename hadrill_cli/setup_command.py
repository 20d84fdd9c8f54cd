"""`hadrill setup`: start the setup workflow, show each step, exit 0 only when it succeeded."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

from hadrill.conformance import stop_lines_of, table_lines
from hadrill.inputs import problem_with
from hadrill.setup import SetupInput
from hadrill_cli.follow import Execution
from hadrill_cli.local import LocalTarget
from hadrill_cli.messages import t
from hadrill_cli.render import as_json, closing_line
from hadrill_cli.target import Target

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_BAD_INPUT = 2
PROBE_STATE = "ConformanceProbe"


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


def save_probe_raw_locally(local: LocalTarget, output: dict[str, Any] | None, reports_dir: Path) -> list[str]:
    """The world is gone when the process ends: the probe's raw outputs are copied to
    reports/conformance/<execution>/<node>.json (the same objects the reports bucket holds)."""
    saved: list[str] = []
    for url in (output or {}).get("rawKeys", []):
        bucket, _, key = str(url).removeprefix("s3://").partition("/")
        body = local.world.read_object(bucket, key)
        if body is None:
            continue
        target = reports_dir / key
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(body if isinstance(body, bytes) else str(body).encode())
        saved.append(str(target))
    return saved


def run(
    target: Target,
    *,
    steps: list[str] | None,
    dry_run: bool,
    as_json_output: bool,
    repeat: int = 1,
) -> int:
    """Start the setup workflow and follow it, ``repeat`` times on the same cluster (the second run shows
    idempotency); exit 0 only when every run succeeded. Locally the cluster is a fresh simulated one
    and the SSM commands each run sent are counted."""
    request = setup_input(target.cluster, steps=steps, dry_run=dry_run)
    problem = problem_with(SetupInput, request)  # as drill does: exit 2 and no execution on a bad input
    if problem:
        print(f"hadrill setup: {t('bad_input', problem=problem)}", file=sys.stderr)
        return EXIT_BAD_INPUT

    def say(line: str) -> None:
        if not as_json_output:
            print(line, flush=True)

    with target.opened():
        for attempt in range(1, repeat + 1):
            if target.simulated:
                say(t("setup_run_local", cluster=target.cluster, attempt=attempt, repeat=repeat, mode=t("local_mode")))
            run = target.execute(
                "Setup",
                "setup",
                request,
                name_prefix="setup",
                quiet=as_json_output,
                started=lambda arn: say(t("setup_started", cluster=target.cluster, arn=arn)),
                name=f"setup-{int(time.time() * 1000)}-{attempt}" if target.simulated else None,
            )
            execution = run.execution
            probe = probe_output(execution)
            if isinstance(target, LocalTarget):
                saved = save_probe_raw_locally(target, probe, target.reports_dir)
            else:  # where they are in the reports bucket
                saved = [str(k) for k in (probe or {}).get("rawKeys", [])]
            if not as_json_output:
                show_probe(probe, dry_run=dry_run, saved=saved)
            _report(target.cluster, execution, run.commands, as_json_output)
            if execution.status != "SUCCEEDED":
                return EXIT_FAILED
    return EXIT_OK


run_aws = run  # tests/workflows/test_aws_mode.py's name for it


def _report(cluster: str, execution: Execution, commands: int | None, as_json_output: bool) -> None:
    if as_json_output:  # JSON keeps the English workflow name: it is a key scripts match on
        print(as_json("setup", cluster, "local-simulated", execution, commands), flush=True)
    else:
        print(closing_line(t("workflow_setup"), execution, commands), file=sys.stdout, flush=True)
