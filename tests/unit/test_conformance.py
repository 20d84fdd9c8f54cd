"""hadrill.conformance: the probe's result line as typed rows, the lcdstatus row held to the parser,
the stop line and the table (fixtures: tests/unit/fixtures/README.md)."""

from __future__ import annotations

import json

import pytest

from hadrill.conformance import (
    LCDSTATUS_FIX,
    parse_probe_result,
    raw_document,
    raw_key,
    step_output,
    stop_lines,
    stop_lines_of,
    stop_message,
    table_lines,
)
from hadrill.errors import ParseError
from support.fixtures import fixture_text as fixture

OVERRIDES = "/etc/hadrill/vendor-overrides.sh"


def test_running_node_every_row_ok_or_unchecked() -> None:
    report = parse_probe_result(fixture("conformance_probe_running.txt"))
    assert report.node == "fx-a" and report.ok and report.resource_tool == "lkcli"
    assert {c.status for c in report.checks} == {"ok", "unchecked"}
    lcd = next(c for c in report.checks if c.id == "lcdstatus")
    assert lcd.status == "ok"  # the raw text parses with hadrill.lcdstatus too
    assert dict(report.raw)["lcdstatus -q"].startswith("LOCAL")
    assert stop_lines([report]) == [] and stop_message([report]) == ""


def test_mismatches_name_what_was_seen_and_the_override() -> None:
    report = parse_probe_result(fixture("conformance_probe_mismatch.txt"))
    assert not report.ok and report.resource_tool == "kit-scripts" and report.resource_tool_set == "lkcli"
    assert [c.id for c in report.mismatches] == ["lkcli-create-hulft", "peer-10.0.33.10", "peer-10.0.34.10"]
    lines = stop_lines([report])
    assert lines[0] == (
        "fx-a: lkcli resource create hulft --help lists --tag --hulexep --hulpath --fstag --switchback --priority:"
        f" saw not listed: --hulexep (exit 0) -> set HADRILL_RESOURCE_TOOL=kit-scripts in {OVERRIDES}"
    )
    assert stop_message([report]).startswith("conformance probe: setup stopped before any change: fx-a: lkcli")


def test_lcdstatus_the_parser_cannot_read_is_a_mismatch() -> None:
    """The script only checks the header; the Lambda's parser has the last word."""
    line = json.loads(fixture("conformance_probe_running.txt"))
    line["raw"]["lcdstatus -q"] = "LOCAL     TAG   ID   STATE  PRIO  PRIMARY\nfx-a  hulft  hulft  WEIRD  1  fx-a\n"
    report = parse_probe_result(json.dumps(line))
    lcd = next(c for c in report.checks if c.id == "lcdstatus")
    assert lcd.status == "MISMATCH" and lcd.fix == LCDSTATUS_FIX
    assert lcd.saw.startswith("cannot parse lcdstatus")
    assert not report.ok


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"checks": []}, "field 'checks' missing or empty"),
        ({"resource_tool": "pcs"}, "field 'resource_tool' is 'pcs'"),
        ({"raw": {"x": 1}}, "field 'raw.x': Input should be a valid string"),
        ({"checks": [{"id": "x", "status": "maybe", "assumption": "", "saw": "", "fix": ""}]}, "has status 'maybe'"),
        (
            {"checks": [{"id": "x", "status": "ok", "assumption": "a", "saw": 3, "fix": ""}]},
            "field 'checks.0.saw': Input should be a valid string",
        ),
    ],
)
def test_a_malformed_result_is_refused(change: dict[str, object], message: str) -> None:
    line = {**json.loads(fixture("conformance_probe_running.txt")), **change}
    with pytest.raises(ParseError, match=message):
        parse_probe_result(json.dumps(line))


def test_step_output_table_and_raw_document() -> None:
    good = parse_probe_result(fixture("conformance_probe_running.txt"))
    bad = parse_probe_result(fixture("conformance_probe_mismatch.txt"))
    output = step_output([good, bad], ["s3://b/conformance/c/e/fx-a.json"])
    assert output["ok"] is False and output["resourceTool"] == {"fx-a": "kit-scripts"}
    assert output["summary"].startswith("2 nodes: ") and "3 MISMATCH" in output["summary"]
    assert stop_lines_of(output) == stop_lines([good, bad])
    table = table_lines(output)
    assert len(table) == len(good.checks) + len(bad.checks)
    assert table[0].split()[:2] == ["fx-a", "ok"]
    assert raw_key("conformance/", "c", "e", "fx-a") == "conformance/c/e/fx-a.json"
    saved = json.loads(raw_document(bad, cluster="c", execution="e"))
    assert saved["node"] == "fx-a" and "lkping -c 1 -w 2 10.0.33.10" in saved["raw"]
