"""Properties of the contract and the parsers, over generated inputs (hypothesis).

- the report model never accepts a document the published schema refuses (what a Lambda validates on
  the way out, every reader outside can validate on the way in), and round-trips what it accepts;
- the one time formatter and its inverse agree, and the readable time always carries the UTC time;
- a workflow record survives the DynamoDB item format unchanged;
- a script's result line and a ``ps -ef`` listing give back what was written, whatever comes before.
"""

from __future__ import annotations

import copy
import json
import string
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from hypothesis import assume, example, given
from hypothesis import strategies as st

from hadrill.contracts import DrillReport, epoch_ms_of, human_time, iso_utc, report_document
from hadrill.hulft_ps import DAEMONS, main_processes, parse_hulft_processes
from hadrill.records import WorkflowRecord
from hadrill.results import parse_result_line
from support.report_schema import report_problems

FIXTURE: dict[str, Any] = json.loads((Path(__file__).parents[1] / "cli" / "drill_report.json").read_text())
# 1970 .. 2200, in epoch milliseconds.
EPOCH_MS = st.integers(min_value=0, max_value=7_258_118_400_000)
JSON_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(-(10**15), 10**15)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20)
)
JSON_VALUES = st.recursive(
    JSON_SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=8,
)


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every key path in a JSON document (to pick one to change)."""
    found = [prefix] if prefix else []
    if isinstance(value, dict):
        for key, inner in value.items():
            found += _paths(inner, (*prefix, key))
    elif isinstance(value, list):
        for index, inner in enumerate(value[:3]):
            found += _paths(inner, (*prefix, index))
    return found


PATHS = _paths(FIXTURE)


def _set(document: dict[str, Any], path: tuple[Any, ...], value: Any) -> dict[str, Any]:
    changed = copy.deepcopy(document)
    target: Any = changed
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = value
    return changed


@given(st.sampled_from(PATHS), JSON_VALUES)
@example(("rto_seconds",), "1")  # text for a number
@example(("dry_run",), 1)  # a number for a flag
@example(("takeover_timeout_seconds",), 300.5)
@example(("timeline", 0, "kind"), "fault-ish")
def test_the_model_accepts_nothing_the_published_schema_refuses(path: tuple[Any, ...], value: Any) -> None:
    report = _set(FIXTURE, path, value)
    try:
        dumped = report_document(report)
    except ValueError:
        return  # refused on the way out: nothing to publish
    assert report_problems(dumped) == []
    assert dumped == report  # and what it accepts it passes on unchanged


@given(st.dictionaries(st.from_regex(r"\A[a-z][a-z_]{0,15}\Z"), JSON_VALUES, max_size=4))
def test_keys_added_later_pass_through_model_and_schema(extra: dict[str, Any]) -> None:
    assume(not set(extra) & (set(FIXTURE) | set(DrillReport.model_fields)))
    report = {**FIXTURE, **extra}
    assert report_problems(report) == []
    assert report_document(report) == report


@given(EPOCH_MS)
def test_iso_utc_and_its_inverse_agree(epoch_ms: int) -> None:
    text = iso_utc(epoch_ms)
    assert len(text) == 24 and text.endswith("Z")
    assert epoch_ms_of(text) == epoch_ms


@given(EPOCH_MS, st.integers(min_value=-14 * 60, max_value=14 * 60))
def test_a_readable_time_is_local_with_utc_beside_it(epoch_ms: int, offset_minutes: int) -> None:
    zone = timezone(timedelta(minutes=offset_minutes), "OP")
    text = human_time(epoch_ms, zone)
    utc = datetime.fromtimestamp(epoch_ms / 1000, UTC)
    local = utc.astimezone(zone)
    millis = f"{epoch_ms % 1000:03d}"
    assert text.startswith(f"{local:%Y-%m-%d %H:%M:%S}.{millis} OP")
    if offset_minutes:
        assert text.endswith(f"({utc:%H:%M:%S}.{millis} UTC)")
    else:
        assert text.endswith("(UTC)")


DETAIL = st.dictionaries(st.text(max_size=10), JSON_VALUES, max_size=4)


@given(
    st.text(min_size=1, max_size=30),
    st.sampled_from(["setup", "drill"]),
    st.text(min_size=1, max_size=60),
    EPOCH_MS,
    st.sampled_from(["SUCCEEDED", "FAILED", "PASSED", "ABORTED"]),
    DETAIL,
)
def test_a_record_survives_the_dynamodb_item_format(
    cluster: str, kind: str, execution: str, started_ms: int, outcome: str, detail: dict[str, Any]
) -> None:
    record = WorkflowRecord(cluster, kind, execution, iso_utc(started_ms), outcome, detail=detail)
    item = record.item()
    assert all(len(value) == 1 for value in item.values())  # low-level: one type tag per attribute
    assert WorkflowRecord.from_item(item) == record
    assert item["recordId"] == {"S": record.record_id}


RESULT_EXTRA = st.dictionaries(
    st.text(max_size=10).filter(lambda k: k not in ("ok", "changed", "message")), JSON_VALUES, max_size=4
)
NOISE = st.lists(
    st.text(
        alphabet=string.printable.replace("\r", "").replace("\n", "").replace("\x0b", "").replace("\x0c", ""),
        max_size=40,
    ),
    max_size=4,
)


@given(st.booleans(), st.booleans(), st.text(max_size=80), RESULT_EXTRA, NOISE)
def test_a_result_line_gives_back_what_the_script_printed(
    ok: bool, changed: bool, message: str, extra: dict[str, Any], noise: list[str]
) -> None:
    result = {"ok": ok, "changed": changed, "message": message, **extra}
    stdout = "\n".join([*noise, json.dumps(result), "", "  "])
    assert parse_result_line(stdout) == result


PROGRAM_DIRS = st.sampled_from(["/usr/local/hulft/bin", "/opt/HULFT/bin", "/hulft/exe"])


@st.composite
def _ps_listing(draw: st.DrawFn) -> tuple[str, list[tuple[str, int, int, bool]]]:
    """``ps -ef`` text with some HULFT daemons (and workers) among other processes, and what it holds."""
    pids = draw(st.lists(st.integers(2, 4_000_000), min_size=1, max_size=8, unique=True))
    lines = ["UID        PID  PPID  C STIME TTY          TIME CMD"]
    daemons: list[tuple[str, int, int, bool]] = []
    for pid in pids:
        if draw(st.booleans()):
            name = draw(st.sampled_from(DAEMONS))
            cluster = draw(st.booleans())
            ppid = draw(st.sampled_from([1, *[d[1] for d in daemons if d[0] == name]]))
            args = " -pipe 20 -oplsrc HULFT_CLS_COMMAND" if cluster else ""
            lines.append(f"root {pid:>9} {ppid:>5}  0 10:00 ?        00:00:00 {draw(PROGRAM_DIRS)}/{name}{args}")
            daemons.append((name, pid, ppid, cluster))
        else:
            other = draw(st.sampled_from(["/usr/sbin/sshd -D", "bash", "/usr/bin/hulrcvd-not", "lcdstatus -q"]))
            lines.append(f"ec2-user {pid:>9}     1  0 10:00 pts/0    00:00:01 {other}")
    return "\n".join(lines) + "\n", daemons


@given(_ps_listing())
def test_ps_gives_back_every_daemon_and_only_them(listing: tuple[str, list[tuple[str, int, int, bool]]]) -> None:
    text, daemons = listing
    found = parse_hulft_processes(text)
    assert [(p.daemon, p.pid, p.ppid, p.cluster_mode) for p in found] == daemons
    workers = {pid for name, pid, ppid, _ in daemons if any(d[1] == ppid and d[0] == name for d in daemons)}
    assert {p.pid for p in main_processes(found)} == {pid for _, pid, _, _ in daemons} - workers
