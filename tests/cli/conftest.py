"""The CLI's tests read its English lines: pin the language whatever the machine's locale is."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from hadrill_cli import messages


@pytest.fixture(autouse=True)
def english_unless_asked(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for variable in ("HADRILL_LANG", "LC_ALL", "LC_MESSAGES"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("LANG", "C.UTF-8")
    yield
    messages.use("en")  # the language is process-wide: a Japanese test must not leak into the next
