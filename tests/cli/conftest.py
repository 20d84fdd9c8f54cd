"""The CLI's tests read its English lines: every test here pins the language (tests/conftest.py)."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _english(english_messages: None) -> None:
    """Applies english_messages to every test in tests/cli."""
