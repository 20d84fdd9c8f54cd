"""`hadrill drill`, `hadrill history`, `hadrill report`: run a failover drill, list drills, show one.

Locally (`--local`) a fresh simulated cluster is built and set up first, so the command works on its
own; the world is gone when the process ends, so the reports are also written to ./reports/.
"""

from __future__ import annotations

import contextlib
import json
import math
import sys
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from hadrill.contracts import epoch_ms_of, human_time
from hadrill.drill.model import DRILL_ID, input_problem
from hadrill.drill.report import markdown as report_markdown
from hadrill.errors import cut, shown
from hadrill.records import WorkflowRecord, to_item
from hadrill.report_html import render_html
from hadrill_cli.follow import Execution
from hadrill_cli.local import DEFAULT_REPORTS_DIR as DEFAULT_REPORTS_DIR
from hadrill_cli.local import FAULT_KNOBS, LocalTarget
from hadrill_cli.local import sim_timings as sim_timings  # bench/drill.py's name for it
from hadrill_cli.messages import current, outcome_text, t
from hadrill_cli.render import closing_line
from hadrill_cli.target import Target

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_BAD_INPUT = 2
EXIT_ENVIRONMENT = 3

# Kept under their old names: bench/drill.py and the commands' --sim-fault choices read them here.
SIM_FAULTS = FAULT_KNOBS


DEFAULT_SCENARIO = "network-down"


@dataclass(frozen=True)
class DrillChoices:
    """What a drill and a fleet drill both take from the command line."""

    # The command line's defaults (main.py): a network-down drill, with switchback, the workflow's SLO.
    scenario: str = DEFAULT_SCENARIO
    dry_run: bool = False
    switchback: bool = True
    max_rto: float | None = None
    takeover_timeout: int | None = None
    as_json_output: bool = False

    def _request(self, **optional: object) -> dict[str, Any]:
        """The workflow input's common part, and the ``optional`` fields that are not None."""
        request: dict[str, Any] = {"scenario": self.scenario, "dryRun": self.dry_run, "switchback": self.switchback}
        optional = {"maxRtoSeconds": self.max_rto, "takeoverTimeoutSeconds": self.takeover_timeout, **optional}
        request.update({k: v for k, v in optional.items() if v is not None})
        return request


@dataclass(frozen=True)
class DrillOptions(DrillChoices):
    stop_alarms: tuple[str, ...] = ()  # CloudWatch alarm names: any in ALARM stops the drill

    def request(self, cluster: str) -> dict[str, Any]:
        return {"cluster": cluster, **self._request(stopConditionAlarms=list(self.stop_alarms) or None)}


def check_request(request: dict[str, Any]) -> str | None:
    """The workflow validates its input too; checking here first gives exit code 2 and no execution."""
    return input_problem(request)


def refused(problem: str | None) -> bool:
    """Say what is wrong with an execution's input (checked here first: exit 2, nothing started)."""
    if problem:
        print(f"hadrill drill: {t('bad_input', problem=problem)}", file=sys.stderr)
    return problem is not None


def _say(text: str, as_json_output: bool) -> None:
    if not as_json_output:
        print(text, flush=True)


def run(target: Target, options: DrillOptions) -> int:
    """Start the drill on the target, follow it, print its report (locally: a fresh simulated cluster,
    set up first, its reports kept in the reports directory)."""
    if options.takeover_timeout is None:  # locally the simulated takeover is quick: do not wait 300 s
        options = replace(options, takeover_timeout=target.default_takeover_timeout())
    request = options.request(target.cluster)
    if refused(check_request(request)):
        return EXIT_BAD_INPUT

    def say(line: str) -> None:
        _say(line, options.as_json_output)

    with target.opened():
        if isinstance(target, LocalTarget):
            say(t("drill_local", scenario=options.scenario, cluster=target.cluster, mode=t("local_mode")))
            timings = target.timings
            say(
                t(
                    "sim_takeover",
                    detection=timings.detection_seconds,
                    restore=timings.restore_seconds,
                    timeout=options.takeover_timeout,
                )
            )
        if not target.prepare(say):
            return EXIT_FAILED
        target.inject_fault(say)
        # Polled gently: reading the history is CPU work that competes with the simulated nodes.
        run = target.execute(
            "Drill",
            "drill",
            request,
            name_prefix="drill",
            quiet=options.as_json_output,
            started=lambda arn: say(t("drill_started", scenario=options.scenario, cluster=target.cluster, arn=arn)),
        )
        execution = run.execution
        report, markdown = target.recorded_report(execution)
    if report is None:
        print(f"hadrill drill: {target.missing_text('no_report', execution)}", file=sys.stderr)
        return EXIT_FAILED
    kept = target.keep(run.name, report, markdown)
    _print_result(report, markdown, execution, run.commands, options.as_json_output)
    if kept:
        say(kept)
    return EXIT_OK if report["outcome"] == "PASSED" else EXIT_FAILED


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


run_aws = run  # tests/workflows/test_aws_mode.py's name for it


# -- history and report ---------------------------------------------------------------------------


# Record kinds `hadrill history` lists: drills, and the switchbacks/switchovers recorded like them (issue 17).
HISTORY_KINDS = ("drill#", "switch#")


def _drill_records(target: Target, limit: int) -> list[dict[str, Any]]:
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


def history(*, target: Target | None, reports_dir: Path, limit: int, as_json_output: bool) -> int:
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


def _recorded_uris(target: Target, drill_id: str) -> dict[str, str]:
    row = next((r for r in _drill_records(target, 1000) if r.get("drill_id") == drill_id), None)
    if row is None:
        raise ReportProblem(t("no_drill_recorded", drill_id=drill_id, cluster=target.cluster))
    uris: dict[str, str] = row.get("report", {})
    return uris


def show_report(drill_id: str, *, target: Target | None, reports_dir: Path, as_json_output: bool) -> int:
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
            text = target.read_text(_recorded_uris(target, drill_id).get("json" if as_json_output else "markdown"))
    except ReportProblem as problem:
        print(f"hadrill report: {problem}", file=sys.stderr)
        return EXIT_BAD_INPUT
    print(text or "", end="")
    return EXIT_OK


def load_report(drill_id: str, *, target: Target | None, reports_dir: Path) -> dict[str, Any]:
    """The drill's JSON report: reports_dir/ID.json locally, else the one its record points to in S3."""
    if target is not None:
        uris = _recorded_uris(target, drill_id)
        report = target.read_json(uris.get("json"))
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
    drill_id: str, *, target: Target | None, reports_dir: Path, output: Path | None, as_json_output: bool
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
