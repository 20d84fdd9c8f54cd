"""The SSM documents: built from the scripts, typed parameters, shellcheck clean, injection-proof."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from documents.ssm_documents import DOCUMENTS, render, render_readme, script_text
from simulator import SimulatedCluster

REPO = Path(__file__).resolve().parents[2]
DOCS = REPO / "documents"
SCRIPTS = DOCS / "scripts"
HOSTILE = ["; rm -rf /", "$(id)", "`id`", "hulft`id`", "a;b", "a && b", "a|b", "a b", "a\nb", "'a'", '"a"', "${IFS}"]
NAMES = [d.name for d in DOCUMENTS]


def shellcheck(*paths: Path) -> subprocess.CompletedProcess[str]:
    binary = shutil.which("shellcheck")
    assert binary, "shellcheck is required (apt-get install -y shellcheck)"
    return subprocess.run([binary, "-x", *map(str, paths)], capture_output=True, text=True, cwd=SCRIPTS, check=False)


def test_document_names() -> None:
    """The conformance probe (setup's first step), the cluster base's documents (in workflow order),
    then the setup and drill ones."""
    assert NAMES[0] == "HADrill-ConformanceProbe"
    assert NAMES[1:5] == [
        "HADrill-LicenseAndStart",
        "HADrill-CommPaths",
        "HADrill-VirtualIpResource",
        "HADrill-DataMirror",
    ]
    setup_and_drill = [
        "HADrill-NodeStatus",
        "HADrill-HostsEntry",
        "HADrill-StageMedia",
        "HADrill-InstallHulft",
        "HADrill-InstallRecoveryKit",
        "HADrill-CreateHulftResource",
        "HADrill-WatchTakeover",
        "HADrill-InjectFault",
        "HADrill-HealthCheck",
    ]
    assert [name for name in NAMES[5:] if name in setup_and_drill] == setup_and_drill


@pytest.mark.parametrize("document", DOCUMENTS, ids=NAMES)
def test_checked_in_json_is_what_the_builder_makes(document: object) -> None:
    """documents/<Name>.json cannot drift from the scripts and parameter models (run documents/build.py)."""
    assert isinstance(document, type(DOCUMENTS[0]))
    assert (DOCS / f"{document.name}.json").read_text() == render(document, SCRIPTS)


def test_checked_in_readme_is_what_the_builder_makes() -> None:
    assert (DOCS / "README.md").read_text() == render_readme(SCRIPTS)


@pytest.mark.parametrize("name", NAMES)
def test_document_shape(name: str) -> None:
    """schemaVersion 2.2, one aws:runShellScript step, every parameter ENV_VAR with an allowedPattern."""
    document = json.loads((DOCS / f"{name}.json").read_text())
    assert document["schemaVersion"] == "2.2"
    (step,) = document["mainSteps"]
    assert step["action"] == "aws:runShellScript"
    assert document["parameters"]
    for parameter in document["parameters"].values():
        assert parameter["type"] == "String"
        assert parameter["interpolationType"] == "ENV_VAR"
        assert parameter["allowedPattern"].startswith("^") and parameter["allowedPattern"].endswith("$")
    body = "\n".join(step["inputs"]["runCommand"])
    assert len(json.dumps(document, separators=(",", ":"))) < 64_000, "SSM documents are limited to 64 KB"
    assert "{{" not in body, "parameters must never be spliced into the script text"
    assert body.startswith("#!/bin/bash\n")


@pytest.mark.parametrize("name", NAMES)
def test_script_reads_exactly_the_declared_parameters(name: str) -> None:
    document = json.loads((DOCS / f"{name}.json").read_text())
    body = "\n".join(document["mainSteps"][0]["inputs"]["runCommand"])
    assert parameters_read(body) == set(document["parameters"])


def parameters_read(body: str) -> set[str]:
    """The SSM parameters a script reads: `hadrill_param VAR Name` lines and `hadrill_params VAR=Name ...`
    calls (continued over lines ending in a backslash)."""
    read = set(re.findall(r"^hadrill_param \w+ (\w+)$", body, re.MULTILINE))
    for call in re.findall(r"^hadrill_params ((?:.*\\\n)*.*)$", body, re.MULTILINE):
        words = call.replace("\\\n", " ").split()
        assert all(re.fullmatch(r"\w+=\w+", word) for word in words), call
        read |= {word.split("=", 1)[1] for word in words}
    return read


def test_parameters_read_covers_both_forms() -> None:
    body = "hadrill_param a A\nhadrill_params b=B c=C \\\n  d=D\nhadrill_params e=E\necho hadrill_params f=F\n"
    assert parameters_read(body) == {"A", "B", "C", "D", "E"}


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("value", HOSTILE)
def test_allowed_patterns_refuse_shell_syntax(name: str, value: str) -> None:
    """'; rm -rf /', '$(id)', a backtick and friends match no parameter's allowedPattern."""
    document = json.loads((DOCS / f"{name}.json").read_text())
    for parameter, spec in document["parameters"].items():
        assert re.fullmatch(spec["allowedPattern"], value) is None, (parameter, value)
        if "default" in spec:
            assert re.fullmatch(spec["allowedPattern"], spec["default"]), parameter


def test_every_script_is_documented_and_strict() -> None:
    for document in DOCUMENTS:
        text = (SCRIPTS / document.script).read_text()
        assert "set -Eeuo pipefail" in text
        assert "Exit codes:" in text, document.script
        assert text.startswith(f"#!/bin/bash\n# {document.name}"), document.script


def test_script_files_are_shellcheck_clean() -> None:
    result = shellcheck(*sorted(SCRIPTS.glob("*.sh")))
    assert result.returncode == 0, result.stdout


def test_built_documents_are_shellcheck_clean(tmp_path: Path) -> None:
    """What SSM runs (helpers inlined) is clean too."""
    paths = []
    for document in DOCUMENTS:
        path = tmp_path / f"{document.name}.sh"
        path.write_text(script_text(document, SCRIPTS))
        paths.append(path)
    result = shellcheck(*paths)
    assert result.returncode == 0, result.stdout


@pytest.mark.parametrize("value", ["; rm -rf /", "$(id)", "`id`"])
def test_simulated_ssm_refuses_hostile_parameters(cluster: SimulatedCluster, value: str) -> None:
    """Like SSM's InvalidParameters: the command fails before any script runs."""
    outcome = cluster.run_document(
        instance_id=cluster.instance_ids[0],
        document_name="HADrill-HostsEntry",
        parameters={"VirtualIp": ["10.255.0.10"], "LogicalHost": [value]},
        timeout_seconds=10,
    )
    assert (outcome.status, outcome.response_code) == ("Failed", -1)
    assert "InvalidParameters: LogicalHost does not match its allowedPattern" in outcome.stderr
    assert value not in (cluster.nodes[0].fs / "etc/hosts").read_text()


def test_watcher_polls_well_under_a_second_by_default() -> None:
    """The RTO is measured within 0.5 s, so the default poll period must leave room for that."""
    document = json.loads((DOCS / "HADrill-WatchTakeover.json").read_text())
    assert int(document["parameters"]["PollMillis"]["default"]) <= 200
