"""The published drill report schema (docs/report.schema.json), for tests that read reports.

Validated with jsonschema, not with the pydantic model it was generated from: what is checked is the
document a reader outside this repository would check against.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

import jsonschema

SCHEMA_PATH = Path(__file__).resolve().parents[2] / "docs" / "report.schema.json"


@functools.cache
def _validator() -> jsonschema.Draft202012Validator:
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def report_problems(report: Any) -> list[str]:
    """Every way ``report`` breaks the schema, as "path: message" (empty: it is valid)."""
    errors = sorted(_validator().iter_errors(report), key=lambda e: list(e.absolute_path))
    return [f"{'/'.join(str(p) for p in e.absolute_path) or '(top)'}: {e.message}" for e in errors]


def assert_valid_report(report: Any) -> None:
    problems = report_problems(report)
    assert not problems, "the report breaks docs/report.schema.json:\n" + "\n".join(problems)
