"""The one-line summary each finished state shows: what the step said it did, with its checks counted."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from hadrill_cli import messages
from hadrill_cli.render import summary_of


@pytest.fixture(autouse=True)
def english() -> Iterator[None]:
    messages.use("en")
    yield
    messages.use("en")


def _checks(passed: int, failed: int = 0) -> list[dict[str, Any]]:
    return [{"passed": True}] * passed + [{"passed": False}] * failed


@pytest.mark.parametrize(
    ("state", "result", "line"),
    [
        (
            "InjectFault",
            {"summary": "network on lk-node-a goes down in 2 s", "checks": []},
            "network on lk-node-a goes down in 2 s",
        ),
        (
            "WaitForTakeover",
            {"summary": "takeover complete: RTO 0.5 s", "checks": _checks(1)},
            "takeover complete: RTO 0.5 s (1/1 checks passed)",
        ),
        # A phase whose summary is its count: counted from the checks, never read from its words.
        ("Preflight", {"summary": "the words do not matter", "checks": _checks(12, 1)}, "12/13 checks passed"),
        (
            "Postflight",
            {"summary": "14/14 checks passed; lk-node-a active", "checks": _checks(14), "note": "lk-node-a active"},
            "14/14 checks passed; lk-node-a active",
        ),
        (None, {"checks": _checks(2, 1)}, "2/3 checks passed"),
        (None, {"skipped": True, "message": "already installed"}, "skipped: already installed"),
        (None, {"skipped": True, "summary": "dry run: no fault"}, "skipped: dry run: no fault"),
        (None, {"nodes": [{"node": "a", "message": "ok"}, {"node": "b", "message": "ok"}]}, "a: ok; b: ok"),
        (None, {"outcome": "PASSED", "recordId": "drill#1"}, "PASSED (drill#1)"),
        (None, "not a dict", ""),
    ],
)
def test_a_steps_line(state: str | None, result: Any, line: str) -> None:
    assert summary_of(result, state) == line


def test_the_count_is_in_the_readers_language() -> None:
    messages.use("ja")
    result = {"summary": "14/14 checks passed; lk-node-a active", "checks": _checks(14), "note": "lk-node-a active"}
    line = summary_of(result, "Postflight")
    assert line.endswith("; lk-node-a active") and "件合格" in line and "checks passed" not in line
