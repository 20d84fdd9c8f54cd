"""Every synthesized template passes cfn-lint and cdk-nag; synth is deterministic."""

from __future__ import annotations

import json
from pathlib import Path

import aws_cdk as cdk
import pytest
from aws_cdk import aws_s3 as s3
from cdk_nag import AwsSolutionsChecks

from support.cfn_lint import ACCEPTED_CFN_LINT_WARNINGS, cfn_lint
from support.synthesis import DEFAULT_CONFIG, Synthesized, synthesize


@pytest.mark.parametrize("fixture", ["default_synth", "byo_synth"])
def test_cfn_lint_finds_no_errors(fixture: str, request: pytest.FixtureRequest) -> None:
    synth: Synthesized = request.getfixturevalue(fixture)
    templates = sorted(synth.outdir.glob("*.template.json"))
    assert templates
    findings = cfn_lint(templates)
    errors = [f for f in findings if f["Level"] == "Error"]
    assert errors == []
    unexpected = [
        f for f in findings if f["Rule"]["Id"] not in ACCEPTED_CFN_LINT_WARNINGS and f["Level"] != "Informational"
    ]
    assert unexpected == []


@pytest.mark.parametrize("fixture", ["default_synth", "byo_synth"])
def test_cdk_nag_passes_with_every_acknowledgement_reasoned(fixture: str, request: pytest.FixtureRequest) -> None:
    synth: Synthesized = request.getfixturevalue(fixture)
    # Synth itself fails on an unacknowledged finding (next test); the report confirms none slipped by.
    report = json.loads((synth.outdir / "validation-report.json").read_text())
    for plugin in report["pluginReports"]:
        assert plugin["conclusion"] == "success", plugin.get("violations")
        assert not [v for v in plugin.get("violations", []) if v["ruleName"].startswith("AwsSolutions")]


def test_cdk_nag_rejects_an_unacknowledged_finding(tmp_path: Path) -> None:
    """The gate is live: an unencrypted, unlogged bucket fails synth."""
    app = cdk.App(outdir=str(tmp_path))
    stack = cdk.Stack(app, "Bad")
    s3.CfnBucket(stack, "Plain")
    cdk.Validations.of(app).add_plugins(AwsSolutionsChecks(app))
    with pytest.raises(RuntimeError, match="ValidationFailed"):
        app.synth()
    report = (tmp_path / "validation-report.json").read_text()
    assert "AwsSolutions-S1" in report


def test_two_synths_are_byte_identical(default_synth: Synthesized, tmp_path: Path) -> None:
    again = synthesize(DEFAULT_CONFIG, tmp_path)
    for template in sorted(default_synth.outdir.glob("*.template.json")):
        assert template.read_bytes() == (again.outdir / template.name).read_bytes(), template.name
