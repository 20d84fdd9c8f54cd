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
    ("result", "line"),
    [
        ({"summary": "network on lk-node-a goes down in 2 s", "checks": []}, "network on lk-node-a goes down in 2 s"),
        (
            {"summary": "takeover complete: RTO 0.5 s", "checks": _checks(1)},
            "takeover complete: RTO 0.5 s (1/1 checks passed)",
        ),
        ({"summary": "13/13 checks passed", "checks": _checks(13)}, "13/13 checks passed"),
        (
            {"summary": "14/14 checks passed; lk-node-a active", "checks": _checks(14)},
            "14/14 checks passed; lk-node-a active",
        ),
        ({"checks": _checks(2, 1)}, "2/3 checks passed"),
        ({"skipped": True, "message": "already installed"}, "skipped: already installed"),
        ({"skipped": True, "summary": "dry run: no fault"}, "skipped: dry run: no fault"),
        ({"nodes": [{"node": "a", "message": "ok"}, {"node": "b", "message": "ok"}]}, "a: ok; b: ok"),
        ({"outcome": "PASSED", "recordId": "drill#1"}, "PASSED (drill#1)"),
        ("not a dict", ""),
    ],
)
def test_a_steps_line(result: Any, line: str) -> None:
    assert summary_of(result) == line


def test_the_count_is_in_the_readers_language() -> None:
    messages.use("ja")
    line = summary_of({"summary": "14/14 checks passed; lk-node-a active", "checks": _checks(14)})
    assert line.endswith("; lk-node-a active") and "件合格" in line and "checks passed" not in line
