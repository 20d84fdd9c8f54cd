"""`hadrill report ID --html`: the drill's self-contained HTML page, written to a file."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from hadrill.records import WorkflowRecord
from hadrill.report_html import render_html
from hadrill_cli.aws import AwsTarget
from hadrill_cli.main import EXIT_BAD_INPUT, EXIT_ENVIRONMENT, EXIT_OK, main
from localrunner.deployment import create_records_table

REPORT: dict[str, Any] = json.loads((Path(__file__).parent / "drill_report.json").read_text())
DRILL_ID = REPORT["drill_id"]
REGION = "ap-northeast-1"


@pytest.fixture
def reports(tmp_path: Path) -> Path:
    """A reports directory as `hadrill drill --local` leaves it (the JSON is all --html needs)."""
    folder = tmp_path / "reports"
    folder.mkdir()
    (folder / f"{DRILL_ID}.json").write_text(json.dumps(REPORT, indent=2) + "\n")
    return folder


def _html(argv: list[str]) -> int:
    return main(["report", DRILL_ID, "--html", *argv])


def test_local_html_goes_next_to_the_json_and_says_it_is_simulated(
    reports: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _html(["--local", "--reports-dir", str(reports)]) == EXIT_OK
    written = reports / f"{DRILL_ID}.html"
    assert capsys.readouterr().out == f"wrote {written}\n"
    page = written.read_text(encoding="utf-8")
    assert page == render_html(REPORT, simulated=True)
    assert page.startswith("<!DOCTYPE html>")
    assert f"Failover drill {DRILL_ID}: PASSED" in page and "Simulated run" in page
    assert "<script src" not in page and "<link" not in page  # self-contained: one file to attach


def test_the_default_path_is_reports_id_html_under_the_working_directory(
    reports: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(reports.parent)
    assert _html(["--local"]) == EXIT_OK
    assert capsys.readouterr().out == f"wrote reports/{DRILL_ID}.html\n"
    assert (reports / f"{DRILL_ID}.html").is_file()


def test_output_puts_it_anywhere_and_creates_the_folders(
    reports: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "share" / "tickets" / "INC-42.html"
    assert _html(["--local", "--reports-dir", str(reports), "--output", str(target)]) == EXIT_OK
    assert capsys.readouterr().out == f"wrote {target}\n"
    assert target.read_text(encoding="utf-8") == render_html(REPORT, simulated=True)
    assert not (reports / f"{DRILL_ID}.html").exists()


def test_in_japanese_and_as_json(reports: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert _html(["--local", "--reports-dir", str(reports), "--lang", "ja"]) == EXIT_OK
    assert capsys.readouterr().out == f"{reports / DRILL_ID}.html に書き出しました\n"
    assert _html(["--local", "--reports-dir", str(reports), "--json", "--lang", "ja"]) == EXIT_OK
    assert json.loads(capsys.readouterr().out) == {"drill_id": DRILL_ID, "html": str(reports / f"{DRILL_ID}.html")}


def test_a_missing_report_is_exit_2_and_writes_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert _html(["--local", "--reports-dir", str(tmp_path)]) == EXIT_BAD_INPUT
    assert capsys.readouterr().err == f"hadrill report: no report {tmp_path / DRILL_ID}.json\n"
    assert list(tmp_path.iterdir()) == []


def test_a_broken_report_is_exit_2(reports: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (reports / f"{DRILL_ID}.json").write_text("{not json")
    assert _html(["--local", "--reports-dir", str(reports)]) == EXIT_BAD_INPUT
    assert capsys.readouterr().err.startswith(f"hadrill report: cannot read {reports / DRILL_ID}.json: ")


def test_an_id_that_climbs_out_of_the_reports_folder_is_refused(
    reports: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (reports.parent / "outside.json").write_text(json.dumps(REPORT))
    assert main(["report", "../outside", "--local", "--html", "--reports-dir", str(reports)]) == EXIT_BAD_INPUT
    assert capsys.readouterr().err == "hadrill report: ../outside is not a drill id\n"
    assert not (reports.parent / "outside.html").exists()


def test_output_without_html_is_exit_2(reports: Path, capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["report", DRILL_ID, "--local", "--reports-dir", str(reports), "--output", "x.html"]
    assert main(argv) == EXIT_BAD_INPUT
    assert capsys.readouterr().err == "hadrill report: --output needs --html\n"


def test_a_path_that_cannot_be_written_is_an_environment_error(
    reports: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _html(["--local", "--reports-dir", str(reports), "--output", str(reports)]) == EXIT_ENVIRONMENT
    assert capsys.readouterr().err.startswith(f"hadrill report: cannot write {reports}: ")


@pytest.fixture
def deployed(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """A deployed cluster as `report --cluster` reads it: the records table, the drill's record, its JSON in S3."""
    for variable, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": REGION,
    }.items():
        monkeypatch.setenv(variable, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    with mock_aws():
        # The stack's outputs as AwsTarget reads them (moto's CloudFormation needs packages not installed here).
        monkeypatch.setattr(AwsTarget, "outputs", lambda self: {"RecordsTable": "hulft-demo-records"})
        dynamodb = boto3.client("dynamodb", region_name=REGION)
        create_records_table(dynamodb, "hulft-demo-records")
        key = f"reports/hulft-demo/{DRILL_ID}.json"
        detail = {"drill_id": DRILL_ID, "report": {"json": f"s3://hulft-demo-reports/{key}"}}
        record = WorkflowRecord(
            cluster="hulft-demo",
            kind="drill",
            execution=REPORT["execution"],
            started=REPORT["started"],
            outcome=REPORT["outcome"],
            finished=REPORT["finished"],
            detail=detail,
        )  # written as RecordDrillResult writes it
        assert record.record_id == f"drill#{REPORT['started']}#{DRILL_ID}"
        dynamodb.put_item(TableName="hulft-demo-records", Item=record.item())
        s3 = boto3.client("s3", region_name=REGION)
        s3.create_bucket(Bucket="hulft-demo-reports", CreateBucketConfiguration={"LocationConstraint": REGION})
        s3.put_object(Bucket="hulft-demo-reports", Key=key, Body=json.dumps(REPORT).encode())
        yield


@pytest.mark.usefixtures("deployed")
def test_cluster_html_renders_the_json_report_from_s3(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "out.html"
    assert _html(["--cluster", "hulft-demo", "--region", REGION, "--output", str(target)]) == EXIT_OK
    assert capsys.readouterr().out == f"wrote {target}\n"
    page = target.read_text(encoding="utf-8")
    assert page == render_html(REPORT, simulated=False)  # from a deployed cluster: no simulation banner
    assert "Simulated run" not in page


@pytest.mark.usefixtures("deployed")
def test_cluster_html_for_an_unknown_drill_is_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["report", "drill-19990101T000000Z", "--cluster", "hulft-demo", "--region", REGION, "--html"]
    assert main([*argv, "--output", str(tmp_path / "x.html")]) == EXIT_BAD_INPUT
    assert capsys.readouterr().err == "hadrill report: no drill drill-19990101T000000Z recorded for hulft-demo\n"
