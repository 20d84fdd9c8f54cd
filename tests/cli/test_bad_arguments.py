"""The CLI's argument checks (issue 15, classes 6, 7 and 8): one set of bounds with the workflows,
exit 2 and nothing started on a bad input, and no traceback (exit 1 is a failed workflow only).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hadrill import patterns as p
from hadrill.drill.model import DrillInput, InvalidDrillInput, input_problem, validate_input
from hadrill.fleet import FleetDrillInput
from hadrill.inputs import problem_with
from hadrill.setup import SetupInput
from hadrill_cli import main as cli
from hadrill_cli.main import main

EXIT_OK, EXIT_BAD_INPUT, EXIT_ENVIRONMENT = 0, 2, 3
INJECTION = "x;rm -rf /"


class _NoAws:
    """Stands in for AwsTarget: knows its name, and any call to AWS through it fails the test."""

    def __init__(self, name: str, **kwargs: Any) -> None:
        self.cluster = self.name = name

    def __getattr__(self, attribute: str) -> Any:
        raise AssertionError(f"went on to AWS ({attribute}) for {self.cluster!r}")


@pytest.fixture
def no_aws(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cli, "AwsTarget", _NoAws)


# ---- class 6: checks that were missing or inconsistent -----------------------------------------------
REFUSED_COMMANDS = [
    (["setup", "--cluster", INJECTION], "--cluster: 'x;rm -rf /' is not valid here"),
    (["drill", "--cluster", INJECTION], "--cluster: 'x;rm -rf /' is not valid here"),
    (["history", "--cluster", INJECTION], "--cluster: 'x;rm -rf /' is not valid here"),
    (["report", "drill-1", "--cluster", INJECTION], "--cluster: 'x;rm -rf /' is not valid here"),
    (["drill", "--fleet", "Fleet One"], "--fleet: 'Fleet One' is not valid here"),
    (["drill", "--fleet", "fleet-1", "--only", "../c"], "--only: '../c' is not valid here"),
    (["setup", "--cluster", "a" * 5000], "\u2026"),
    (
        ["drill", "--cluster", "hulft-demo", "--max-rto", "600", "--takeover-timeout", "10"],
        "takeoverTimeoutSeconds: 10 is shorter than maxRtoSeconds 600",
    ),
    (["drill", "--fleet", "fleet-1", "--max-rto", "600", "--takeover-timeout", "10"], "shorter than maxRtoSeconds 600"),
    (["drill", "--cluster", "hulft-demo", "--stop-alarm", "bad\nalarm"], "--stop-alarm: 'bad\\nalarm'"),
]


@pytest.mark.parametrize(("argv", "said"), REFUSED_COMMANDS, ids=[" ".join(a)[:60] for a, _ in REFUSED_COMMANDS])
def test_a_bad_argument_exits_2_before_aws(
    no_aws: None, capsys: pytest.CaptureFixture[str], argv: list[str], said: str
) -> None:
    assert main(argv) == EXIT_BAD_INPUT
    err = capsys.readouterr().err
    assert said in err, err
    assert err.count("\n") == 1 and len(err) < 400, err


@given(st.text(max_size=40))
@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_the_cli_takes_exactly_the_cluster_names_the_workflows_take(name: str) -> None:
    args = cli._parser().parse_args(["setup", f"--cluster={name or 'x'}"])  # "=": a leading "-" is a value
    workflow_ok = problem_with(SetupInput, {"cluster": args.cluster}) is None
    drill_ok = problem_with(DrillInput, {"cluster": args.cluster}) is None
    assert workflow_ok == drill_ok == (cli.argument_problem(args) is None)
    assert workflow_ok == bool(re.fullmatch(p.CLUSTER_NAME, args.cluster))


@given(st.floats(0.5, 3600), st.integers(1, 780))
def test_drill_and_fleet_inputs_agree_with_the_config_on_rto_and_timeout(rto: float, timeout: int) -> None:
    drill = input_problem({"cluster": "hulft-demo", "maxRtoSeconds": rto, "takeoverTimeoutSeconds": timeout})
    fleet = problem_with(FleetDrillInput, {"fleet": "fleet-1", "maxRtoSeconds": rto, "takeoverTimeoutSeconds": timeout})
    assert (drill is None) == (fleet is None) == (timeout >= rto), (drill, fleet)


def test_the_workflows_first_state_refuses_a_timeout_shorter_than_the_slo() -> None:
    facts: Any = SimpleNamespace(cluster_name="hulft-demo")
    event = {"cluster": "hulft-demo", "maxRtoSeconds": 600, "takeoverTimeoutSeconds": 10}
    with pytest.raises(InvalidDrillInput, match="takeoverTimeoutSeconds: 10 is shorter than maxRtoSeconds 600"):
        validate_input(event, facts)
    # A later state's copy of the input carries every field: only the execution's own input is held to it.
    assert validate_input({"cluster": "hulft-demo", "takeoverTimeoutSeconds": 10}, facts).max_rto_seconds == 120


BOOLEANS_AS_NUMBERS = [
    (DrillInput, {"cluster": "hulft-demo", "maxRtoSeconds": True}, "maxRtoSeconds"),
    (DrillInput, {"cluster": "hulft-demo", "takeoverTimeoutSeconds": True}, "takeoverTimeoutSeconds"),
    (DrillInput, {"cluster": "hulft-demo", "maxDrillSeconds": False}, "maxDrillSeconds"),
    (DrillInput, {"cluster": "hulft-demo", "dryRun": 1}, "dryRun"),
    (DrillInput, {"cluster": "hulft-demo", "switchback": "no"}, "switchback"),
    (FleetDrillInput, {"fleet": "fleet-1", "maxConcurrency": True}, "maxConcurrency"),
    (FleetDrillInput, {"fleet": "fleet-1", "maxRtoSeconds": True}, "maxRtoSeconds"),
    (SetupInput, {"cluster": "hulft-demo", "dryRun": 0}, "dryRun"),
]


@pytest.mark.parametrize(
    ("model", "data", "field"), BOOLEANS_AS_NUMBERS, ids=[str(d) for _, d, _ in BOOLEANS_AS_NUMBERS]
)
def test_booleans_are_not_numbers_nor_numbers_booleans(model: Any, data: dict[str, Any], field: str) -> None:
    problem = problem_with(model, data)
    assert problem is not None and problem.startswith(f"{field}: "), problem


def test_an_unknown_key_of_100_kb_is_named_cut() -> None:
    problem = problem_with(DrillInput, {"cluster": "hulft-demo", "k" * 100_000: 1})
    assert problem is not None and len(problem) < 200 and "\u2026" in problem


# ---- class 7: tracebacks exiting 1 -------------------------------------------------------------------
GOOD = {"drill_id": "drill-1", "started": "2026-01-01T00:00:00Z", "scenario": "network-down", "outcome": "PASSED"}


@pytest.fixture
def reports(tmp_path: Path) -> Path:
    folder = tmp_path / "reports"
    folder.mkdir()
    (folder / "drill-1.json").write_text(json.dumps({**GOOD, "rto_seconds": 2.5}))
    return folder


BAD_REPORT_FILES = [
    ("corrupt", b'{"drill_id": "x", '),
    ("not an object", b"[1, 2, 3]"),
    ("binary", bytes(range(256))),
    ("shift_jis", json.dumps({"reason": "\u5931\u6557"}, ensure_ascii=False).encode("shift_jis")),
    ("deep", b"[" * 100_000 + b"]" * 100_000),
    ("huge number", b'{"rto_seconds": ' + b"9" * 5000 + b"}"),
]


@pytest.mark.parametrize(("case", "raw"), BAD_REPORT_FILES, ids=[c for c, _ in BAD_REPORT_FILES])
def test_history_skips_a_report_it_cannot_read(
    reports: Path, capsys: pytest.CaptureFixture[str], case: str, raw: bytes
) -> None:
    (reports / "drill-0.json").write_bytes(raw)
    assert main(["history", "--local", "--reports-dir", str(reports)]) == EXIT_OK
    out, err = capsys.readouterr()
    assert "drill-1" in out and "RTO 2.500s" in out
    assert err.startswith(f"hadrill history: skipped {reports / 'drill-0.json'}: "), err
    assert err.count("\n") == 1 and len(err) < 400


WRONGLY_TYPED = [
    {"rto_seconds": "fast"},
    {"rto_seconds": True},
    {"rto_seconds": [1]},
    {"started": {"a": 1}},
    {"drill_id": None, "outcome": 3},
    {"reason": "r" * 100_000},
]


@pytest.mark.parametrize("fields", WRONGLY_TYPED, ids=[str(f)[:40] for f in WRONGLY_TYPED])
def test_history_lists_a_wrongly_typed_report(
    reports: Path, capsys: pytest.CaptureFixture[str], fields: dict[str, Any]
) -> None:
    (reports / "drill-2.json").write_text(json.dumps({**GOOD, "drill_id": "drill-2", **fields}))
    assert main(["history", "--local", "--reports-dir", str(reports)]) == EXIT_OK
    out = capsys.readouterr().out
    assert len(out.splitlines()) == 2 and all(len(line) <= 200 for line in out.splitlines())


def test_report_of_a_file_that_is_not_utf8_exits_2(reports: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (reports / "drill-3.md").write_bytes("# \u8a13\u7df4".encode("shift_jis"))
    assert main(["report", "drill-3", "--local", "--reports-dir", str(reports)]) == EXIT_BAD_INPUT
    assert "cannot read" in capsys.readouterr().err
    (reports / "drill-3.json").write_bytes(b"\xff\xfe{}")
    assert main(["report", "drill-3", "--local", "--html", "--reports-dir", str(reports)]) == EXIT_BAD_INPUT
    assert "cannot read" in capsys.readouterr().err


@pytest.mark.parametrize("drill_id", ["d" * 5000, "a/b", "", "drill\n1", ".hidden"])
def test_report_of_a_bad_id_exits_2(reports: Path, capsys: pytest.CaptureFixture[str], drill_id: str) -> None:
    assert main(["report", drill_id, "--local", "--reports-dir", str(reports)]) == EXIT_BAD_INPUT
    err = capsys.readouterr().err
    assert "is not a drill id" in err and err.count("\n") == 1 and len(err) < 200, err


def _assembly(tmp_path: Path, manifest: object, template: bytes | None = None) -> Path:
    folder = tmp_path / "cdk.out"
    folder.mkdir()
    (folder / "manifest.json").write_text(json.dumps(manifest))
    if template is not None:
        (folder / "s.template.json").write_bytes(template)
    return folder


STACK = {"artifacts": {"s": {"type": "aws:cloudformation:stack", "properties": {"templateFile": "s.template.json"}}}}
BAD_ASSEMBLIES = [
    ("a list manifest", [1, 2], None),
    ("artifacts not an object", {"artifacts": [1]}, None),
    ("missing template", STACK, None),
    ("corrupt template", STACK, b'{"Resources": '),
    ("template not UTF-8", STACK, "\u8a13".encode("shift_jis")),
    ("template of another shape", STACK, b'{"Resources": {"A": {"NoType": 1}}}'),
    ("template a list", STACK, b"[]"),
    ("no properties", {"artifacts": {"s": {"type": "aws:cloudformation:stack"}}}, None),
]


@pytest.mark.parametrize(("case", "manifest", "template"), BAD_ASSEMBLIES, ids=[c for c, _, _ in BAD_ASSEMBLIES])
def test_plan_of_a_bad_assembly_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], case: str, manifest: object, template: bytes | None
) -> None:
    assembly = _assembly(tmp_path, manifest, template)
    assert main(["plan", "--assembly", str(assembly)]) == EXIT_ENVIRONMENT
    err = capsys.readouterr().err
    assert err.startswith("hadrill plan: ") and err.count("\n") == 1 and len(err) < 400, err


def test_plan_of_a_file_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "file").write_text("x")
    assert main(["plan", "--assembly", str(tmp_path / "file")]) == EXIT_ENVIRONMENT
    assert "is a file, not a cloud assembly directory" in capsys.readouterr().err


# ---- class 8: history --limit 0 ----------------------------------------------------------------------
@pytest.mark.parametrize("limit", ["0", "-1", "1001"])
def test_history_limit_out_of_range_exits_2(reports: Path, capsys: pytest.CaptureFixture[str], limit: str) -> None:
    assert main(["history", "--local", "--reports-dir", str(reports), "--limit", limit]) == EXIT_BAD_INPUT
    assert capsys.readouterr().err == "hadrill history: --limit must be between 1 and 1000\n"


def test_history_limit_1_lists_one(reports: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (reports / "drill-2.json").write_text(json.dumps({**GOOD, "drill_id": "drill-2", "started": "2026-02-01"}))
    assert main(["history", "--local", "--reports-dir", str(reports), "--limit", "1"]) == EXIT_OK
    out = capsys.readouterr().out
    assert "drill-2" in out and "drill-1" not in out
