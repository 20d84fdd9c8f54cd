"""The node scripts' result lines against their models (hadrill.contracts.SCRIPT_RESULTS).

A script names a key only through lib.sh's ``<kind>:<key>`` fields (hadrill_result, hadrill_obj). These
tests read every document as SSM runs it (the script with lib.sh and vendor.sh inlined) and hold the keys
it names to its document's model, both ways; the simulated nodes then refuse, at run time, any line that
breaks the model (hadrill.results.contract_breach), so every scripted scenario in the suite checks it too.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from pydantic import BaseModel

from hadrill.contracts import SCRIPT_RESULTS, ScriptResult
from hadrill.results import contract_breach
from simulator import SimulatedCluster, Timings
from simulator.cluster import CONTRACT_BREACH_EXIT, DOCUMENTS_DIR
from simulator.scenario import run

SCRIPTS = Path(__file__).resolve().parents[2] / "documents" / "scripts"
FIELD = re.compile(r"\b(?:str|int|bool|lines|json):([a-z][a-z0-9_]*)\b")
# A JSON key typed by hand: \"key\": inside a double-quoted string, or "key": inside a single-quoted one.
HAND_TYPED_KEY = re.compile(r"""\\"[A-Za-z_][A-Za-z0-9_]*\\":|'[^'\n]*"[A-Za-z_][A-Za-z0-9_]*":""")


def script_of(document: str) -> str:
    """The document's shell, as SSM runs it (includes inlined)."""
    content = json.loads((DOCUMENTS_DIR / f"{document}.json").read_text())
    return "\n".join(content["mainSteps"][0]["inputs"]["runCommand"])


def field_names(model: type[BaseModel]) -> set[str]:
    """The model's keys and those of every part nested in it."""
    names = set(model.model_fields)
    for field in model.model_fields.values():
        for part in _parts(field.annotation):
            names |= field_names(part)
    return names


def _parts(annotation: object) -> list[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    return [part for argument in getattr(annotation, "__args__", ()) for part in _parts(argument)]


@pytest.mark.parametrize("document", sorted(SCRIPT_RESULTS))
def test_every_key_a_script_names_is_in_its_model(document: str) -> None:
    """A key the script writes that its model lacks would be dropped or refused by the readers."""
    named = set(FIELD.findall(script_of(document)))
    assert named, f"{document} names no field: is FIELD still the helper's syntax?"
    assert named - field_names(SCRIPT_RESULTS[document]) == set()


@pytest.mark.parametrize("document", sorted(SCRIPT_RESULTS))
def test_every_key_of_a_model_is_written_by_its_script(document: str) -> None:
    """A model key no script writes is a reader waiting for something that never comes."""
    named = set(FIELD.findall(script_of(document))) | {"ok", "changed", "message"}
    assert field_names(SCRIPT_RESULTS[document]) - named == set()


def test_no_script_types_a_json_key_by_hand() -> None:
    """Only lib.sh's helpers write keys (hadrill_result's own ok/changed/message line aside)."""
    typed = {
        f"{path.name}:{number}": line.strip()
        for path in sorted(SCRIPTS.glob("*.sh"))
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if HAND_TYPED_KEY.search(line) and not line.lstrip().startswith("#")
    }
    [(where, line)] = typed.items()
    assert where.startswith("lib.sh:") and line.startswith("""printf '{"ok":%s,"changed":%s,"message":"%s"%s}""")
    assert set(ScriptResult.model_fields) >= {"ok", "changed", "message"}


def test_every_document_has_a_result_model() -> None:
    built = {path.stem for path in DOCUMENTS_DIR.glob("HADrill-*.json")}
    assert built == set(SCRIPT_RESULTS)


@pytest.mark.parametrize(
    ("stdout", "breach"),
    [
        ('{"ok":true,"changed":false,"message":"m","entry":"10.0.0.9 vip"}', None),
        ('{"ok":true,"changed":false,"message":"m","entry":"10.0.0.9 vip","entri":"x"}', "HostsEntryResult: entri"),
        ('{"ok":false,"changed":false,"message":"m","exit_code":2}', None),
        ('{"ok":false,"changed":false,"message":"m","exit_code":2,"why":"x"}', "not in HostsEntryResult: why"),
        ('{"ok":true,"changed":false,"message":"m","entry":7}', "'entry': Input should be a valid string"),
        ('{"ok":false,"message":"m"}', "'changed'"),
        ("progress only\n", "not JSON"),
        ("", "printed nothing"),
    ],
)
def test_contract_breach(stdout: str, breach: str | None) -> None:
    """Stricter than the readers: unknown keys (on success or failure) and wrong types are breaches."""
    found = contract_breach("HADrill-HostsEntry", stdout)
    assert found == breach if breach is None else (found is not None and breach in found)


def test_a_nested_unknown_key_is_a_breach() -> None:
    line = {"ok": True, "changed": False, "message": "m", "checks": [{"name": "a", "passed": True, "detail": ""}]}
    assert contract_breach("HADrill-HealthCheck", json.dumps(line)) is None
    line["checks"][0]["severity"] = "high"  # type: ignore[index]
    found = contract_breach("HADrill-HealthCheck", json.dumps(line))
    assert found == "keys not in HealthCheckResult: checks.0.severity"


def test_the_simulated_node_refuses_a_script_that_breaks_its_contract(tmp_path: Path) -> None:
    """A HostsEntry whose script adds a key its model lacks: the command fails, and stderr says why."""
    documents = tmp_path / "documents"
    shutil.copytree(DOCUMENTS_DIR, documents)
    path = documents / "HADrill-HostsEntry.json"
    content = json.loads(path.read_text())
    lines = content["mainSteps"][0]["inputs"]["runCommand"]
    last = max(i for i, line in enumerate(lines) if line.startswith("hadrill_result true true"))
    lines[last] += " str:entry_typo x"
    path.write_text(json.dumps(content))
    cluster = SimulatedCluster(tmp_path / "sim", name="sim", timings=Timings.fast(), documents_dir=documents)
    try:
        ran = run(cluster, 0, "HostsEntry", VirtualIp="10.255.0.10", LogicalHost="hulft-vip")
    finally:
        cluster.close()
    assert ran.outcome.status == "Failed" and ran.outcome.response_code == CONTRACT_BREACH_EXIT
    said = "HADrill-HostsEntry broke its result contract: keys not in HostsEntryResult: entry_typo"
    assert said in ran.outcome.stderr
