"""HULFT daemons in ps -ef output, in the reference procedure's format."""

from __future__ import annotations

from pathlib import Path

import pytest

from hadrill.errors import ParseError
from hadrill.hulft_ps import main_processes, parse_hulft_processes, running_daemons

FIXTURES = Path(__file__).parent / "fixtures"


def load(name: str) -> str:
    return (FIXTURES / name).read_text()


def test_blog_listing_with_wrapped_lines() -> None:
    """The blog's listing after failover: wrapped command lines, three daemons and a forked worker."""
    processes = parse_hulft_processes(load("ps_blog_wrapped.txt"))
    assert [(p.daemon, p.pid, p.ppid) for p in processes] == [
        ("hulrcvd", 4098, 1),
        ("hulobsd", 4099, 1),
        ("hulsndd", 4100, 1),
        ("hulobsd", 4104, 4099),
    ]
    assert all(p.cluster_mode and p.user == "root" for p in processes)
    assert processes[0].path == "/usr/local/hulft/bin/hulrcvd"
    assert running_daemons(processes) == {"hulobsd", "hulrcvd", "hulsndd"}
    assert [p.pid for p in main_processes(processes)] == [4098, 4099, 4100]


def test_one_line_listing_ignores_other_processes_and_grep() -> None:
    """ps -ef on the active node: system processes and the grep line are not daemons."""
    processes = parse_hulft_processes(load("ps_active_one_line.txt"))
    assert sorted(p.daemon for p in processes) == ["hulobsd", "hulrcvd", "hulsndd"]


def test_standby_has_no_daemons() -> None:
    """The standby's ps -ef | grep hulft shows only grep itself."""
    assert running_daemons(parse_hulft_processes(load("ps_standby_none.txt"))) == frozenset()


def test_manual_start_is_not_cluster_mode() -> None:
    """Daemons started by hand lack -oplsrc HULFT_CLS_COMMAND; hulobsd is missing."""
    processes = parse_hulft_processes(load("ps_manual_start.txt"))
    assert running_daemons(processes) == {"hulsndd", "hulrcvd"}
    assert not any(p.cluster_mode for p in processes)


def test_empty_listing_means_no_daemons() -> None:
    assert parse_hulft_processes("") == ()


def test_garbled_listing_is_a_parse_error() -> None:
    """Text that never shows the UID PID PPID columns is not silently read as 'no daemons'."""
    with pytest.raises(ParseError, match="UID PID PPID"):
        parse_hulft_processes("ps: error while loading shared libraries\n")
