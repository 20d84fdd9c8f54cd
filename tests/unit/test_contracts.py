"""The contract module: its schema is published and current, fixtures fit it, the stacks import only it.

Property tests (hypothesis) of the models and the one time formatter are in test_contracts_properties.py.
"""

from __future__ import annotations

import ast
import copy
import json
from pathlib import Path
from typing import Any

import pytest

from documents.ssm_documents import DOCUMENTS
from hadrill import contracts
from hadrill.contracts import DrillReport, report_document, report_schema_text
from support.report_schema import SCHEMA_PATH, report_problems

REPO = Path(__file__).resolve().parents[2]
CLI_FIXTURE = REPO / "tests" / "cli" / "drill_report.json"
# What the stacks may import of the runtime package: the contract, and the leaf validation modules
# the config models are built from (no AWS call, no CDK, no domain logic). Anything else is refused.
STACKS_MAY_IMPORT = {"hadrill.contracts", "hadrill.fields", "hadrill.errors", "hadrill.patterns", "hadrill.schedules"}


def _fixture() -> dict[str, Any]:
    return dict(json.loads(CLI_FIXTURE.read_text(encoding="utf-8")))


def test_the_published_schema_is_generated_from_the_model() -> None:
    # Regenerate with: (cd lambdas && python -m hadrill.contracts > ../docs/report.schema.json)
    assert SCHEMA_PATH.read_text(encoding="utf-8") == report_schema_text(), "docs/report.schema.json is stale"


def test_the_cli_fixture_fits_the_schema_and_the_model() -> None:
    report = _fixture()
    assert report_problems(report) == []
    DrillReport.model_validate(report)


def test_the_cli_fixture_shows_every_part_of_the_report() -> None:
    """The CLI's tests render this fixture: a part the report gained and the fixture lacks goes untested."""
    report = _fixture()
    named = {field.alias or name for name, field in DrillReport.model_fields.items()}
    assert named - set(report) == set()
    assert any(clock["known"] for clock in report["clocks"]) and not all(clock["known"] for clock in report["clocks"])


def test_the_schema_is_strict_about_the_keys_it_knows() -> None:
    missing = _fixture()
    del missing["started_by"]
    assert report_problems(missing) == ["(top): 'started_by' is a required property"]
    wrong = _fixture()
    wrong["outcome"] = "PASSED-ISH"
    wrong["timeline"][0]["kind"] = "fault-ish"
    wrong["checks"][0]["group"] = "elsewhere"
    problems = report_problems(wrong)
    assert [p.split(":")[0] for p in problems] == ["checks/0/group", "outcome", "timeline/0/kind"]
    as_text = _fixture()
    as_text["rto_seconds"] = "0.633"  # a number written as text is not a number
    assert report_problems(as_text) and report_problems(as_text)[0].startswith("rto_seconds:")


def test_the_schema_and_the_model_take_keys_added_later() -> None:
    newer = _fixture()
    newer["maintenance_window"] = {"opens": "02:00", "hours": 2}
    newer["recovery"]["fired"] = False
    newer["timeline"][0]["clock_offset_ms"] = 3
    assert report_problems(newer) == []
    assert report_document(newer) == newer


def test_the_model_round_trips_a_report_unchanged() -> None:
    report = _fixture()
    assert report_document(report) == report
    assert (
        json.loads(
            DrillReport.model_validate_json(json.dumps(report)).model_dump_json(by_alias=True, exclude_unset=True)
        )
        == report
    )


def test_document_timeouts_are_written_once() -> None:
    assert {d.name: d.timeout_seconds for d in DOCUMENTS} == contracts.DOCUMENT_TIMEOUT_SECONDS
    built = {
        p.stem: int(json.loads(p.read_text())["mainSteps"][0]["inputs"]["timeoutSeconds"])
        for p in (REPO / "documents").glob(f"{contracts.DOCUMENT_NAME_PREFIX}*.json")
    }
    assert built == contracts.DOCUMENT_TIMEOUT_SECONDS


def test_every_drill_phase_is_a_state_of_the_drill_machine() -> None:
    machine = json.loads((REPO / "statemachines" / "drill.asl.json").read_text())
    states: dict[str, Any] = machine["States"]
    phases_in_machine = {
        ((state.get("Parameters") or {}).get("Payload") or {}).get("phase"): name for name, state in states.items()
    }
    phases_in_machine.pop(None, None)
    assert phases_in_machine == contracts.STATE_OF_PHASE
    assert set(contracts.WAITING_STATES) <= set(states)
    assert {p.state for p in contracts.DRILL_PHASES} <= set(states)


def _hadrill_imports(path: Path) -> set[str]:
    """The hadrill modules a file imports (``from hadrill import x`` counts as hadrill.x)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name == "hadrill" or a.name.startswith("hadrill.")}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module == "hadrill":
                found |= {f"hadrill.{a.name}" for a in node.names}
            elif node.module.startswith("hadrill."):
                found.add(node.module)
    return found


def test_the_stacks_import_only_the_contract_of_the_runtime_package() -> None:
    used = {str(p.relative_to(REPO)): _hadrill_imports(p) for p in [REPO / "app.py", *(REPO / "stacks").rglob("*.py")]}
    refused = {path: sorted(mods - STACKS_MAY_IMPORT) for path, mods in used.items() if mods - STACKS_MAY_IMPORT}
    assert refused == {}
    assert any("hadrill.contracts" in mods for mods in used.values())  # the stacks do use the contract


@pytest.mark.parametrize("module", sorted(STACKS_MAY_IMPORT))
def test_what_the_stacks_may_import_stays_a_leaf(module: str) -> None:
    """The allowed modules import no other part of the runtime package than each other, and no CDK or boto3."""
    path = REPO / "lambdas" / (module.replace(".", "/") + ".py")
    tree = ast.parse(path.read_text(encoding="utf-8"))
    top = {
        (n.module or "").split(".")[0] if isinstance(n, ast.ImportFrom) else a.name.split(".")[0]
        for n in ast.walk(tree)
        if isinstance(n, ast.Import | ast.ImportFrom)
        for a in (n.names if isinstance(n, ast.Import) else [n.names[0]])
    }
    assert not top & {"aws_cdk", "constructs", "boto3", "botocore", "handlers"}
    assert _hadrill_imports(path) <= STACKS_MAY_IMPORT


def test_outcome_metrics_are_the_names_the_alarm_reads() -> None:
    assert [contracts.outcome_metric(o) for o in ("PASSED", "FAILED", "ABORTED")] == [
        contracts.METRIC_DRILL_PASSED,
        contracts.METRIC_DRILL_FAILED,
        contracts.METRIC_DRILL_ABORTED,
    ]


def test_a_fleet_summary_and_a_setup_result_validate() -> None:
    row = {
        "cluster": "c1",
        "drill_id": "f-c1",
        "outcome": "NOT_RUN",
        "rto_seconds": None,
        "max_rto_seconds": None,
        "reason": "the drill wrote no report",
        "failed_checks": [],
        "recovered": None,
        "report": {},
        "cost": None,
    }
    summary = {
        "fleet_id": "f",
        "fleet": "fl",
        "execution": "arn",
        "scenario": "network-down",
        "dry_run": False,
        "max_concurrency": 1,
        "outcome": "FAILED",
        "reason": "1 of 1 drills did not pass",
        "started": "2026-11-25T10:00:00.000Z",
        "finished": "2026-11-25T10:00:01.000Z",
        "duration_seconds": 1.0,
        "counts": {"PASSED": 0, "FAILED": 0, "ABORTED": 0, "NOT_RUN": 1},
        "rto_seconds": {"max": None, "mean": None, "median": None, "slowest_cluster": None},
        "drills": [row],
    }
    contracts.FleetSummary.model_validate(summary)
    broken = copy.deepcopy(summary)
    broken["drills"][0]["outcome"] = "MAYBE"
    with pytest.raises(ValueError, match="outcome"):
        contracts.FleetSummary.model_validate(broken)
    assert contracts.SetupResult.model_validate({"outcome": "SUCCEEDED", "recordId": "setup#x"}).error is None


def test_the_handlers_read_the_environment_the_stacks_set() -> None:
    from handlers.env import HandlerEnv

    aliases = {name: field.alias for name, field in HandlerEnv.model_fields.items()}
    assert aliases == {
        "records_table": contracts.ENV_RECORDS_TABLE,
        "topic_arn": contracts.ENV_TOPIC_ARN,
        "poll_seconds": contracts.ENV_POLL_SECONDS,
        "time_scale": contracts.ENV_TIME_SCALE,
        "expected_seconds": contracts.ENV_EXPECTED_SECONDS,
    }


def _pins(path: Path) -> list[str]:
    lines = (line.split("#", 1)[0].strip() for line in path.read_text().splitlines())
    return [line for line in lines if line and not line.startswith("-r")]


def test_pyproject_declares_the_pinned_runtime_and_the_local_extra() -> None:
    import tomllib

    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    assert sorted(project["dependencies"]) == sorted(_pins(REPO / "requirements.txt"))
    moto = [pin for pin in _pins(REPO / "requirements-dev.txt") if pin.startswith("moto[")]
    assert project["optional-dependencies"]["local"] == moto
    assert "'.[local]'" in (REPO / "Makefile").read_text()  # what `make install` installs


def test_the_lambda_asset_carries_no_build_time_code() -> None:
    """The asset is lambdas/ (handlers and the domain package): nothing in it builds the SSM documents
    from documents/scripts at run time; that builder lives beside what it builds."""
    offenders = [
        str(path.relative_to(REPO))
        for path in sorted((REPO / "lambdas").rglob("*.py"))
        if "scripts_dir" in path.read_text() or "ssm_documents" in path.read_text()
    ]
    assert offenders == []
    assert (REPO / "documents" / "ssm_documents.py").is_file()
