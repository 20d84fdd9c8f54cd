"""cfn-lint over synthesized templates, with the warnings we accept and why."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

# cfn-lint warnings we accept, each for a reason; anything else fails the test.
ACCEPTED_CFN_LINT_WARNINGS = {
    "W3010": "AZ names come from the config on purpose: the nodes must sit in two named AZs",
    "W3005": "the CDK itself adds DependsOn beside GetAtt for the roles of functions it generates",
}


def cfn_lint(templates: list[Path]) -> list[dict]:
    result = subprocess.run(
        [str(Path(sys.executable).with_name("cfn-lint")), "--format", "json", *map(str, templates)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode & 1 == 0, f"cfn-lint crashed: {result.stderr}"
    findings: list[dict] = json.loads(result.stdout or "[]")
    return findings
