"""Hostile inputs under 64 KB, one per known way to make a small input expensive (issue 15, class 4)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator

from fuzz.surfaces import DEFAULT_TEXT, run_cli, run_config
from hadrill.lcdstatus import parse_lcdstatus
from hadrill.results import parse_result_line

HEADER = "LOCAL TAG ID STATE PRIO PRIMARY"


def _bomb(levels: int) -> bytes:
    lines = ['l0: &l0 ["lol"]']
    lines += [f"l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 10)}]" for i in range(1, levels)]
    return ("\n".join(lines) + "\n").encode()


def _config(raw: bytes) -> Callable[[], object]:
    return lambda: run_config(raw)


def _lcdstatus(text: str) -> Callable[[], object]:
    return lambda: parse_lcdstatus(text)


def _result(line: str) -> Callable[[], object]:
    return lambda: parse_result_line(line)


def cases() -> Iterator[tuple[str, int, Callable[[], object]]]:
    for levels in (9, 10, 12):
        raw = _bomb(levels)
        yield f"YAML alias bomb, {levels} levels", len(raw), _config(raw)
    for raw, name in (
        (b"[" * 60_000, "YAML nesting, 60,000 ["),
        (b"a: " + b"9" * 60_000 + b"\n", "YAML integer of 60,000 digits"),
        (("x" * 60_000 + ": 1\n").encode(), "YAML key of 60,000 characters"),
        (("cluster_name: [" + ", ".join(["x"] * 19_000) + "]\n").encode(), "config list of 19,000 items"),
        (("cluster_name: [" + ", ".join(["x"] * 21_000) + "]\n").encode(), "config list of 21,000 items"),
        (DEFAULT_TEXT.replace("hulft-vip", "v" * 60_000).encode(), "config value of 60,000 characters"),
        (("# \u65e5\u672c\n" + DEFAULT_TEXT).encode("shift_jis") * 15, "Shift_JIS config, repeated"),
        (b"\x00" * 60_000, "60,000 NUL bytes"),
    ):
        yield name, len(raw), _config(raw)
    deep = "\n".join([HEADER] + [f"n {' ' * (i % 60)}r{i} id ISP 1 n" for i in range(900)])
    yield "lcdstatus, 900 resources, indented", len(deep), _lcdstatus(deep)
    flat = "\n".join([HEADER] + [f"n r{i} id ISP 1 n" for i in range(3000)] + ["n r0 id ISP 1 n"])
    yield "lcdstatus, 3,000 resources and a duplicate", len(flat), _lcdstatus(flat)
    yield "lcdstatus priority of 60,000 digits", 60_040, _lcdstatus(f"{HEADER}\nn r id ISP {'9' * 60_000} n")
    for line, name in (
        ("[" * 60_000, "result JSON nested 60,000 deep"),
        ('{"ok":' + "9" * 60_000 + "}", "result JSON integer of 60,000 digits"),
        (json.dumps({"ok": True, "changed": False, "message": "m" * 60_000}), "result JSON message of 60 KB"),
    ):
        yield name, len(line), _result(line)
    yield "CLI --cluster of 60,000 characters", 60_000, lambda: run_cli(["setup", "--cluster", "a" * 60_000])
