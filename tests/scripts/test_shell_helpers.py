"""The shell helpers (lib.sh, vendor.sh) against the same fixtures as the Python parsers.

The polling scripts read lcdstatus and ps in bash; these tests hold that reading to the reference
parser in hadrill, fixture by fixture, and check the JSON the helpers print.
"""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path

import pytest

from hadrill.hulft_ps import parse_hulft_processes, running_daemons
from hadrill.lcdstatus import PathState, parse_lcdstatus

SCRIPTS = Path(__file__).resolve().parents[2] / "documents" / "scripts"
FIXTURES = Path(__file__).resolve().parents[1] / "unit" / "fixtures"


def bash(body: str, *args: str) -> str:
    program = f'set -Eeuo pipefail\n. "{SCRIPTS}/lib.sh"\n. "{SCRIPTS}/vendor.sh"\n{body}'
    done = subprocess.run(
        ["bash", "-c", program, "test", *args],
        capture_output=True,
        text=True,
        check=True,
        env={"PATH": "/usr/bin:/bin", "HADRILL_VENDOR_OVERRIDES": "/nonexistent"},
    )
    return done.stdout


LCD_FIXTURES = [
    "lcdstatus_primary_healthy.txt",
    "lcdstatus_standby_healthy.txt",
    "lcdstatus_after_failover.txt",
    "lcdstatus_all_states.txt",
    "lcdstatus_backup_titles.txt",
    "lcdstatus_header_only.txt",
    "lcdstatus_no_comm_paths.txt",
]


@pytest.mark.parametrize("fixture", LCD_FIXTURES)
@pytest.mark.parametrize("tag", ["hulft", "/data", "pgsql-main", "missing"])
def test_lk_scan_agrees_with_the_reference_parser(fixture: str, tag: str) -> None:
    text = (FIXTURES / fixture).read_text()
    out = bash(
        'lk_scan "$1" "$2"\n'
        'printf "%s\\n%s\\n%s\\n---\\n%s" "$LK_ROOT_STATE" "$LK_PATHS_TOTAL" "$LK_TREE_STATES" "$LK_PATHS_DEAD"',
        text,
        tag,
    )
    root_state, total, rest = out.split("\n", 2)
    tree_text, dead_text = rest.split("---\n")
    status = parse_lcdstatus(text)
    resource = status.resource(tag)
    assert root_state == (resource.state.value if resource else "none")
    assert [line for line in tree_text.splitlines() if line] == [
        f"{r.tag}={r.state.value}" for r in status.hierarchy(tag)
    ]
    assert int(total) == len(status.comm_paths)
    assert len([line for line in dead_text.splitlines() if line]) == len(
        [p for p in status.comm_paths if p.state is PathState.DEAD]
    )


@pytest.mark.parametrize(
    "text",
    [
        (FIXTURES / "ps_blog_wrapped.txt").read_text(),
        (FIXTURES / "ps_active_one_line.txt").read_text(),
        (FIXTURES / "ps_standby_none.txt").read_text(),
        (FIXTURES / "ps_manual_start.txt").read_text(),
        "root  9 1 0 10:00 pts/0 00:00:00 grep hulsndd\nroot 10 1 0 10:00 pts/0 00:00:00 tail -f /x/hulobsd\n",
    ],
)
def test_daemons_up_agrees_with_the_reference_parser(text: str) -> None:
    up = bash('hulft_daemons_up "$1"\nprintf "%s" "$HULFT_UP"', text)
    assert set(up.split()) == set(running_daemons(parse_hulft_processes(text)))


def test_result_line_escapes_everything() -> None:
    """Quotes, backslashes, tabs, newlines and control characters still give one valid JSON line."""
    nasty = 'a "quoted" \\ back\tslash\nnew line \x01\x1f end \u00e9'
    out = bash(
        'hadrill_result true false "$1" "\\"raw\\":$(hadrill_str "$1")" "\\"list\\":$(hadrill_str_array "$1")"', nasty
    )
    assert out.count("\n") == 1
    result = json.loads(out)
    assert result["raw"] == nasty.replace("\x01", "").replace("\x1f", "")
    assert result["list"] == ['a "quoted" \\ back\tslash', "new line  end \u00e9"]


def test_now_ms_is_epoch_milliseconds() -> None:
    before = int(time.time() * 1000)
    value = int(bash('hadrill_now_ms\nprintf "%s" "$HADRILL_NOW_MS"'))
    assert before <= value <= int(time.time() * 1000)
