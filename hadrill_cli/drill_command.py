"""`hadrill drill`, `hadrill history`, `hadrill report`: run a failover drill, list drills, show one.

Locally (`--local`) a fresh simulated cluster is built and set up first, so the command works on its
own; the world is gone when the process ends, so the reports are also written to ./reports/.
"""

from __future__ import annotations

import contextlib
import json
import math
import sys
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hadrill.contracts import DOC_WATCH_TAKEOVER, epoch_ms_of, human_time
from hadrill.drill.model import DRILL_ID, MAX_TAKEOVER_TIMEOUT_SECONDS, input_problem
from hadrill.drill.report import markdown as report_markdown
from hadrill.drill.report import report_keys
from hadrill.errors import cut, shown
from hadrill.records import WorkflowRecord, to_item
from hadrill.report_html import render_html
from hadrill_cli.aws import AwsTarget
from hadrill_cli.follow import Execution, follow
from hadrill_cli.local import local_cluster
from hadrill_cli.messages import current, outcome_text, t
from hadrill_cli.render import closing_line, progress_reporter
from simulator import Knobs, Timings
from simulator.scenario import run as run_document
from stacks.config import DeploymentConfig

if TYPE_CHECKING:
    from localrunner import LocalDeployment

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_BAD_INPUT = 2
EXIT_ENVIRONMENT = 3
DEFAULT_REPORTS_DIR = Path("reports")

# --sim-fault: which simulator knob forces which bad path.
SIM_FAULTS: dict[str, Knobs] = {
    "no-takeover": Knobs(standby_never_takes_over=True),
    "mirror-out-of-sync": Knobs(mirror_out_of_sync=True),
    "comm-path-dead": Knobs(dead_comm_path=True),
    # The network-down job's ifdown never answers: the fault never lands, nothing takes over.
    "command-timeout": Knobs(hang_command="ifdown"),
    "node-lost": Knobs(lose_node_during=DOC_WATCH_TAKEOVER),
    # The node that takes over starts hulrcvd but its receive port stays closed: the client probe FAILS it.
    "receive-port-closed": Knobs(receive_port_closed_after_takeover=True),
}


@dataclass(frozen=True)
class DrillOptions:
    scenario: str
    dry_run: bool
    switchback: bool
    max_rto: float | None
    takeover_timeout: int | None
    as_json_output: bool
    stop_alarms: tuple[str, ...] = ()  # CloudWatch alarm names: any in ALARM stops the drill

    def request(self, cluster: str) -> dict[str, Any]:
        request: dict[str, Any] = {
            "cluster": cluster,
            "scenario": self.scenario,
            "dryRun": self.dry_run,
            "switchback": self.switchback,
        }
        if self.max_rto is not None:
            request["maxRtoSeconds"] = self.max_rto
        if self.takeover_timeout is not None:
            request["takeoverTimeoutSeconds"] = self.takeover_timeout
        if self.stop_alarms:
            request["stopConditionAlarms"] = list(self.stop_alarms)
        return request


def check_request(request: dict[str, Any]) -> str | None:
    """The workflow validates its input too; checking here first gives exit code 2 and no execution."""
    return input_problem(request)


# Locally the simulated takeover takes about a second (or --sim-takeover-seconds): waiting the
# production default of 300 s for one that will not come would only make a failing demo slow.
MIN_LOCAL_TAKEOVER_TIMEOUT_SECONDS = 30


def local_takeover_timeout(timings: Timings) -> int:
    """How long a local drill waits for the takeover unless told: four simulated takeovers, at least 30 s."""
    expected = timings.detection_seconds + timings.restore_seconds
    return min(MAX_TAKEOVER_TIMEOUT_SECONDS, max(MIN_LOCAL_TAKEOVER_TIMEOUT_SECONDS, math.ceil(4 * expected)))


def refused(problem: str | None) -> bool:
    """Say what is wrong with an execution's input (checked here first: exit 2, nothing started)."""
    if problem:
        print(f"hadrill drill: {t('bad_input', problem=problem)}", file=sys.stderr)
    return problem is not None


def sim_timings(takeover_seconds: float | None) -> Timings:
    """Timings.fast(), or a takeover of about N seconds: 3/4 detection (3 missed heartbeats), 1/4 restore."""
    fast = Timings.fast()
    if takeover_seconds is None:
        return fast
    return Timings(
        heartbeat_seconds=takeover_seconds * 0.75 / fast.missed_heartbeats,
        missed_heartbeats=fast.missed_heartbeats,
        restore_seconds=takeover_seconds * 0.25,
        local_recovery_seconds=fast.local_recovery_seconds,
        reboot_seconds=fast.reboot_seconds,
        resync_seconds=fast.resync_seconds,
        lose_after_seconds=fast.lose_after_seconds,
        lk_start_seconds=fast.lk_start_seconds,
    )


def _say(text: str, as_json_output: bool) -> None:
    if not as_json_output:
        print(text, flush=True)


def apply_sim_fault(deployment: LocalDeployment, fault: str) -> None:
    """Set the simulator knob behind ``--sim-fault`` on one simulated cluster."""
    cluster = deployment.cluster
    cluster.set_knobs(SIM_FAULTS[fault])
    if fault == "mirror-out-of-sync":
        # The knob bites when the mirror next syncs: a planned switchover there and back.
        secondary, primary = deployment.facts.secondary.name, deployment.facts.primary.name
        run_document(cluster, 0, "InjectFault", timeout=60, Fault="switchover", TargetNode=secondary)
        run_document(cluster, 1, "InjectFault", timeout=60, Fault="switchover", TargetNode=primary)


def run_local(
    config: DeploymentConfig,
    options: DrillOptions,
    *,
    sim_takeover_seconds: float | None,
    sim_fault: str | None,
    reports_dir: Path = DEFAULT_REPORTS_DIR,
) -> int:
    timings = sim_timings(sim_takeover_seconds)
    if options.takeover_timeout is None:
        options = replace(options, takeover_timeout=local_takeover_timeout(timings))
    request = options.request(config.cluster_name)
    if refused(check_request(request)):
        return EXIT_BAD_INPUT
    with local_cluster(config, timings=timings) as deployment:
        sfn = deployment.world.client("stepfunctions")
        title = t("drill_local", scenario=options.scenario, cluster=config.cluster_name, mode=t("local_mode"))
        _say(title, options.as_json_output)
        takeover = t(
            "sim_takeover",
            detection=timings.detection_seconds,
            restore=timings.restore_seconds,
            timeout=options.takeover_timeout,
        )
        _say(takeover, options.as_json_output)
        setup_arn = sfn.start_execution(
            stateMachineArn=deployment.state_machines["Setup"],
            name=f"setup-{int(time.time() * 1000)}",
            input=json.dumps({"cluster": config.cluster_name}),
        )["executionArn"]
        setup = follow(sfn, setup_arn, poll_seconds=0.05, timeout_seconds=600)
        _say(closing_line(t("workflow_first_setup"), setup, None), options.as_json_output)
        if setup.status != "SUCCEEDED":
            return EXIT_FAILED
        if sim_fault:
            apply_sim_fault(deployment, sim_fault)
            _say(t("sim_fault", fault=sim_fault), options.as_json_output)
        before = deployment.world.ssm.commands_sent
        drill_id = f"drill-{time.strftime('%Y%m%dT%H%M%SZ', time.gmtime())}"
        arn = sfn.start_execution(
            stateMachineArn=deployment.state_machines["Drill"], name=drill_id, input=json.dumps(request)
        )["executionArn"]
        # Polled gently: reading the history is CPU work that competes with the simulated nodes.
        with progress_reporter(as_json=options.as_json_output) as progress:
            execution = follow(sfn, arn, on_change=progress, poll_seconds=0.25, timeout_seconds=7200)
        commands = deployment.world.ssm.commands_sent - before
        report = _read_local_report(deployment, drill_id)
        markdown = _read_local_object(deployment, report_keys(config.cluster_name, drill_id)["markdown"])
    if report is None:
        problem = t("no_report_written", error=execution.error, cause=execution.cause)
        print(f"hadrill drill: {problem}", file=sys.stderr)
        return EXIT_FAILED
    reports_dir.mkdir(parents=True, exist_ok=True)
    (reports_dir / f"{drill_id}.json").write_text(json.dumps(report, indent=2) + "\n")
    (reports_dir / f"{drill_id}.md").write_text(markdown or "")
    (reports_dir / f"{drill_id}.html").write_text(render_html(report, simulated=True))
    _print_result(report, markdown, execution, commands, options.as_json_output)
    _say(t("reports_written", stem=reports_dir / drill_id), options.as_json_output)
    return EXIT_OK if report["outcome"] == "PASSED" else EXIT_FAILED


def _read_local_object(deployment: LocalDeployment, key: str) -> str | None:
    body = deployment.world.read_object(deployment.reports_bucket, key)
    return None if body is None else body.decode()


def _read_local_report(deployment: LocalDeployment, drill_id: str) -> dict[str, Any] | None:
    text = _read_local_object(deployment, report_keys(deployment.facts.cluster_name, drill_id)["json"])
    return None if text is None else dict(json.loads(text))


def _print_result(
    report: dict[str, Any], markdown: str | None, execution: Execution, commands: int | None, as_json_output: bool
) -> None:
    if as_json_output:
        print(json.dumps(report, indent=2), flush=True)
        return
    print(closing_line(t("workflow_drill"), execution, commands), flush=True)
    print(result_head(report, markdown), flush=True)
    for check in report.get("checks", []):
        if not check.get("passed"):
            print(t("failed_check", phase=check["phase"], name=check["name"], detail=check["detail"]), flush=True)


def result_head(report: dict[str, Any], markdown: str | None) -> str:
    """The report's first lines (outcome, RTO, recovery, switchback), as the operator reads them.

    In English that is the head of the Markdown report the workflow wrote, word for word; in
    Japanese (or with no Markdown) the same lines are built from the JSON report.
    """
    if current() == "en":
        # Rendered here (the workflow's own function), so its times are in this machine's zone; a report
        # older than this CLI keeps the workflow's own Markdown as it was written.
        with contextlib.suppress(KeyError, TypeError, ValueError):
            markdown = report_markdown(report)
        if markdown:
            return markdown.split("\n## Checks", 1)[0].rstrip()
    return "\n".join(_head_lines(report))


def _when(iso: object) -> str:
    """A report time as people read it: this machine's zone, UTC beside it."""
    try:
        return human_time(epoch_ms_of(iso)) if isinstance(iso, str) else "-"
    except ValueError:
        return str(iso)


def _head_lines(report: dict[str, Any]) -> list[str]:
    rto, slo = report.get("rto_seconds"), report.get("max_rto_seconds")
    bound = "<= " if report.get("rto_is_upper_bound") else ""
    rto_text = t("head_rto_unmeasured") if rto is None else t("head_rto_value", bound=bound, seconds=rto)
    dry_run = t("head_dry_run") if report.get("dry_run") else ""
    lines = [
        t("head_title", drill_id=report.get("drill_id"), outcome=outcome_text(str(report.get("outcome")))),
        "",
        t("head_cluster", cluster=report.get("cluster"), scenario=report.get("scenario"), dry_run=dry_run),
        t("head_reason", reason=report.get("reason", "")),
        t(
            "head_times",
            started=_when(report.get("started")),
            finished=_when(report.get("finished")),
            seconds=report.get("duration_seconds") or 0.0,
        ),
        t(
            "head_rto",
            rto=rto_text,
            slo=slo,
            source=report.get("from_node") or "-",
            target=report.get("to_node") or "-",
        ),
    ]
    if report.get("detection_seconds") is not None:
        lines.append(
            t("head_detection", detection=report["detection_seconds"], restore=report.get("restore_seconds") or 0.0)
        )
    lines.append(t("head_recovery", detail=(report.get("recovery") or {}).get("detail", "-")))
    lines.append(t("head_switchback", detail=(report.get("switchback") or {}).get("detail", "-")))
    stale = (report.get("lock") or {}).get("broken_stale_lock")
    if stale:
        lines.append(t("head_stale_lock", drill_id=stale.get("drillId"), acquired=stale.get("acquired")))
    return lines


def run_aws(target: AwsTarget, options: DrillOptions) -> int:
    request = options.request(target.cluster)
    if refused(check_request(request)):
        return EXIT_BAD_INPUT
    _, arn = target.start_execution("Drill", name_prefix="drill", request=request)
    sfn = target.client("stepfunctions")
    _say(t("drill_started", scenario=options.scenario, cluster=target.cluster, arn=arn), options.as_json_output)
    with progress_reporter(as_json=options.as_json_output) as progress:
        execution = follow(sfn, arn, on_change=progress, poll_seconds=2.0)
    recorded = next((s.result for s in execution.states if s.name == "RecordResult"), None)
    uris: dict[str, str] = recorded.get("report", {}) if isinstance(recorded, dict) else {}
    report = _read_s3_json(target, uris.get("json"))
    markdown = _read_s3_text(target, uris.get("markdown"))
    if report is None:
        problem = t("no_report_found", status=execution.status, error=execution.error, cause=execution.cause)
        print(f"hadrill drill: {problem}", file=sys.stderr)
        return EXIT_FAILED
    _print_result(report, markdown, execution, None, options.as_json_output)
    return EXIT_OK if report["outcome"] == "PASSED" else EXIT_FAILED


def _split_s3(uri: str) -> tuple[str, str]:
    bucket, _, key = uri.removeprefix("s3://").partition("/")
    return bucket, key


def _read_s3_text(target: AwsTarget, uri: str | None) -> str | None:
    if not uri:
        return None
    bucket, key = _split_s3(uri)
    body: bytes = target.client("s3").get_object(Bucket=bucket, Key=key)["Body"].read()
    return body.decode()


def _read_s3_json(target: AwsTarget, uri: str | None) -> dict[str, Any] | None:
    text = _read_s3_text(target, uri)
    return None if text is None else dict(json.loads(text))


# -- history and report ---------------------------------------------------------------------------


# Record kinds `hadrill history` lists: drills, and the switchbacks/switchovers recorded like them (issue 17).
HISTORY_KINDS = ("drill#", "switch#")


def _drill_records(target: AwsTarget, limit: int) -> list[dict[str, Any]]:
    table = target.outputs().get("RecordsTable")
    items: list[dict[str, Any]] = []
    for kind in HISTORY_KINDS:
        response = target.client("dynamodb").query(
            TableName=table,
            KeyConditionExpression="#c = :c AND begins_with(recordId, :k)",
            ExpressionAttributeNames={"#c": "cluster"},
            ExpressionAttributeValues=to_item({":c": target.cluster, ":k": kind}),
            ScanIndexForward=False,
            Limit=limit,
        )
        items += response.get("Items", [])
    items.sort(key=lambda item: str(item.get("started", {}).get("S", "")), reverse=True)
    rows = []
    for item in items[:limit]:
        try:
            record = WorkflowRecord.from_item(item)
            rows.append({"started": record.started, "outcome": record.outcome, **record.detail})
        except (ValueError, TypeError, AttributeError) as error:
            _skipped(f"record {shown(item.get('recordId', {}))}", error)
    return rows


def _skipped(what: str, error: BaseException | str) -> None:
    """One line on stderr for a record or report file history cannot use (it lists the others)."""
    reason = error if isinstance(error, str) else f"{type(error).__name__}: {error}"
    print(
        f"hadrill history: {t('skipped_record', what=what, error=cut(' '.join(reason.split()), 120))}", file=sys.stderr
    )


def _local_reports(reports_dir: Path) -> list[dict[str, Any]]:
    """Every report under reports_dir, newest first; a file that is not a drill report (corrupt, not
    UTF-8, not an object) is named on stderr and left out, never a traceback."""
    rows = []
    for path in sorted(reports_dir.glob("*.json")):
        try:
            row = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, ValueError, RecursionError) as error:
            _skipped(str(path), error)
            continue
        if not isinstance(row, dict):
            _skipped(str(path), f"not a JSON object but {type(row).__name__}")
            continue
        rows.append(row)
    return sorted(rows, key=lambda r: str(r.get("started", "")), reverse=True)


def _text(value: object, width: int) -> str:
    """A report field as a column: whatever type a report file holds, never longer than ``width``."""
    text = value if isinstance(value, str) else "?" if value is None else shown(value, width)
    return cut(" ".join(text.split()), width)


def _rto_text(value: object) -> str:
    if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
        return f"{value:.3f}s"
    return "-"


def history(*, target: AwsTarget | None, reports_dir: Path, limit: int, as_json_output: bool) -> int:
    rows = _drill_records(target, limit) if target is not None else _local_reports(reports_dir)[:limit]
    if as_json_output:
        print(json.dumps(rows, indent=2, default=str))
        return EXIT_OK
    if not rows:
        where = t("cluster_named", cluster=target.cluster) if target is not None else f"{reports_dir}/"
        print(t("no_drills", where=where))
    for row in rows:
        rto_text = _rto_text(row.get("rto_seconds"))
        print(
            f"{_text(row.get('started'), 40):<25} {_text(row.get('drill_id'), 80):<28} "
            f"{_text(row.get('scenario'), 40):<18} {_text(row.get('outcome'), 20):<8} RTO {rto_text:<9} "
            f"{_text(row.get('reason', ''), 120)}"[:200]
        )
    return EXIT_OK


class ReportProblem(Exception):
    """The drill's report cannot be found or read: a bad id, or nothing recorded (exit code 2)."""


def _local_report_path(reports_dir: Path, drill_id: str, suffix: str) -> Path:
    # The id names a file under reports_dir: only a drill id's shape (no "../x", no 5,000 characters).
    if not DRILL_ID.fullmatch(drill_id):
        raise ReportProblem(t("bad_drill_id", drill_id=cut(drill_id)))
    return reports_dir / f"{drill_id}.{suffix}"


def _reason(error: BaseException) -> str:
    return cut(" ".join(f"{type(error).__name__}: {error}".split()), 160)


def _recorded_uris(target: AwsTarget, drill_id: str) -> dict[str, str]:
    row = next((r for r in _drill_records(target, 1000) if r.get("drill_id") == drill_id), None)
    if row is None:
        raise ReportProblem(t("no_drill_recorded", drill_id=drill_id, cluster=target.cluster))
    uris: dict[str, str] = row.get("report", {})
    return uris


def show_report(drill_id: str, *, target: AwsTarget | None, reports_dir: Path, as_json_output: bool) -> int:
    try:
        if target is None:
            path = _local_report_path(reports_dir, drill_id, "json" if as_json_output else "md")
            if not path.is_file():
                raise ReportProblem(t("no_report", path=path))
            try:
                text: str | None = path.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError) as error:
                raise ReportProblem(t("unreadable_report", path=path, error=_reason(error))) from None
        else:
            text = _read_s3_text(target, _recorded_uris(target, drill_id).get("json" if as_json_output else "markdown"))
    except ReportProblem as problem:
        print(f"hadrill report: {problem}", file=sys.stderr)
        return EXIT_BAD_INPUT
    print(text or "", end="")
    return EXIT_OK


def load_report(drill_id: str, *, target: AwsTarget | None, reports_dir: Path) -> dict[str, Any]:
    """The drill's JSON report: reports_dir/ID.json locally, else the one its record points to in S3."""
    if target is not None:
        uris = _recorded_uris(target, drill_id)
        report = _read_s3_json(target, uris.get("json"))
        if report is None:
            raise ReportProblem(t("no_report", path=drill_id))
        return report
    path = _local_report_path(reports_dir, drill_id, "json")
    if not path.is_file():
        raise ReportProblem(t("no_report", path=path))
    try:
        report = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError, RecursionError) as error:
        raise ReportProblem(t("unreadable_report", path=path, error=_reason(error))) from None
    if not isinstance(report, dict):
        raise ReportProblem(t("unreadable_report", path=path, error="not a JSON object"))
    return report


def write_html_report(
    drill_id: str, *, target: AwsTarget | None, reports_dir: Path, output: Path | None, as_json_output: bool
) -> int:
    """`hadrill report ID --html`: the self-contained HTML page to `output` (default reports_dir/ID.html).

    A local report came from the simulator, so its page says so (render_html(simulated=True)).
    """
    try:
        report = load_report(drill_id, target=target, reports_dir=reports_dir)
        path = output or _local_report_path(reports_dir, drill_id, "html")
    except ReportProblem as problem:
        print(f"hadrill report: {problem}", file=sys.stderr)
        return EXIT_BAD_INPUT
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(render_html(report, simulated=target is None), encoding="utf-8")
    except OSError as error:
        print(f"hadrill report: {t('cannot_write', path=path, error=error)}", file=sys.stderr)
        return EXIT_ENVIRONMENT
    if as_json_output:
        print(json.dumps({"drill_id": drill_id, "html": str(path)}))
    else:
        print(t("html_written", path=path))
    return EXIT_OK
