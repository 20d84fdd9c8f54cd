"""Captured command output and recorded answers (tests/unit/fixtures, described in its README.md)."""

from __future__ import annotations

from pathlib import Path

UNIT_FIXTURES = Path(__file__).resolve().parents[1] / "unit" / "fixtures"


def fixture_text(name: str) -> str:
    """The fixture file ``name`` as text."""
    return (UNIT_FIXTURES / name).read_text()
