"""docs/vendor-commands.md: one row per vendor assumption, counts that add up, the Japanese page in step,
and code comments that cite it instead of files outside the repository."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
STATUSES = ("verified", "unverified", "overridable")


def _rows(page: str) -> list[list[str]]:
    text = (REPO / "docs" / page).read_text()
    return [line.split(" | ") for line in text.splitlines() if re.match(r"^\| \d+ \| ", line)]


def _status(cell: str) -> str:
    return cell.split(" ", 1)[0]


@pytest.mark.parametrize("page", ["vendor-commands.md", "vendor-commands.ja.md"])
def test_counts_per_status_add_up(page: str) -> None:
    rows = _rows(page)
    statuses = Counter(_status(row[4]) for row in rows)
    assert set(statuses) <= set(STATUSES)
    assert [int(row[0].strip("| ")) for row in rows] == list(range(1, len(rows) + 1))
    text = (REPO / "docs" / page).read_text()
    (counts_line,) = [line for line in text.splitlines() if line.startswith(("**Counts", "**件数"))]
    numbers = [int(n) for n in re.findall(r"\d+", counts_line)]
    assert numbers == [len(rows), statuses["verified"], statuses["unverified"], statuses["overridable"]]
    assert all(row[3].strip() for row in rows), "every row names a source"


def test_the_japanese_page_has_the_same_rows() -> None:
    english, japanese = _rows("vendor-commands.md"), _rows("vendor-commands.ja.md")
    assert [(r[1], _status(r[4])) for r in english] == [(r[1], _status(r[4])) for r in japanese]


def test_every_stand_in_names_the_row_it_imitates() -> None:
    for standin in sorted((REPO / "simulator" / "standins").iterdir()):
        if standin.name.startswith("_") or standin.name == "engine-call.sh":
            continue
        assert "docs/vendor-commands.md" in standin.read_text(), standin.name


OUR_CODE = (
    "documents/scripts",
    "lambdas",
    "simulator",
    "stacks",
    "hadrill_cli",
    "docs",
    "tests/unit/fixtures",
    "localworld",
    "localrunner",
    "tools",
    "bench",
)


def test_no_comment_cites_a_file_outside_the_repository() -> None:
    offenders = []
    for top in OUR_CODE:
        for path in sorted((REPO / top).rglob("*")):
            if path.is_file() and path.suffix in (".py", ".sh", ".md", "") and "__pycache__" not in path.parts:
                text = path.read_text(errors="replace")
                if re.search(r"FACTS\.md|/work/shared|\.\./shared/|DESIGN\.md", text):
                    offenders.append(str(path.relative_to(REPO)))
    assert offenders == []
