"""Progress while a workflow runs: live rows on a terminal, the plain lines everywhere else.

The live display is checked frame by frame: StateRuns and a fake clock go in, the bytes it writes
are replayed on a small terminal model, and the test reads the screen a person would see.
"""

from __future__ import annotations

import io
import re
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from hadrill_cli import messages
from hadrill_cli.follow import StateRun
from hadrill_cli.main import main
from hadrill_cli.render import (
    HIDE_CURSOR,
    SHOW_CURSOR,
    LineReporter,
    LiveReporter,
    SilentReporter,
    display_width,
    finished_line,
    fit,
    progress_reporter,
)

T0 = datetime(2026, 11, 25, 23, 30, tzinfo=UTC)
SGR = re.compile(r"\x1b\[[0-9;]*m")
CONTROL = re.compile(r"\x1b\[(\d*)([A-Za-z])|\x1b\[\?25[lh]|\r|\n|[^\x1b\r\n]+")


class FakeTty(io.StringIO):
    """An in-memory stdout that says it is a UTF-8 terminal."""

    encoding = "utf-8"  # type: ignore[assignment]  # StringIO's is None; a terminal's is not

    def isatty(self) -> bool:
        return True


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now

    def at(self, seconds: float) -> None:
        self.now = T0 + timedelta(seconds=seconds)


class Screen:
    """Just enough of a terminal to replay LiveReporter: CR, LF, cursor up, erase line, hide/show."""

    def __init__(self) -> None:
        self.rows: list[str] = [""]
        self.row = 0
        self.cursor_visible = True

    def feed(self, text: str) -> Screen:
        for match in CONTROL.finditer(SGR.sub("", text)):
            token, count, command = match.group(0), match.group(1), match.group(2)
            if command == "A":
                self.row = max(0, self.row - int(count or 1))
            elif command == "K":
                self.rows[self.row] = ""
            elif token in ("\x1b[?25l", "\x1b[?25h"):
                self.cursor_visible = token.endswith("h")
            elif token == "\n":
                self.row += 1
                if self.row == len(self.rows):
                    self.rows.append("")
            elif token != "\r":
                self.rows[self.row] += token  # every row is erased before it is written
        return self

    @property
    def text(self) -> list[str]:
        return [row for row in self.rows if row]


def _live(width: int = 100) -> tuple[LiveReporter, FakeTty, Clock]:
    stream, clock = FakeTty(), Clock()
    return LiveReporter(stream, clock=clock, width=width), stream, clock


def _checks(passed: int, failed: int = 0) -> dict[str, Any]:
    return {"checks": [{"passed": True}] * passed + [{"passed": False}] * failed}


def test_a_running_state_ticks_then_becomes_its_final_line() -> None:
    reporter, stream, clock = _live()
    run = StateRun("Preflight", entered=T0)
    reporter(run)
    assert Screen().feed(stream.getvalue()).text == ["  [ ⠋  ] Preflight                 0.0s"]

    clock.at(1.24)
    reporter.tick()
    clock.at(3.5)
    reporter.tick()
    screen = Screen().feed(stream.getvalue())
    assert screen.text == ["  [ ⠹  ] Preflight                 3.5s"]  # one row, redrawn: no trail of frames
    assert not screen.cursor_visible

    run.exited, run.result = T0 + timedelta(seconds=3.61), _checks(13)
    reporter(run)
    final = "  [ ok ] Preflight                3.61s  13/13 checks passed"
    assert final == finished_line(run)  # the same words as the plain output
    assert Screen().feed(stream.getvalue()).text == [final]

    written = len(stream.getvalue())
    clock.at(9)
    reporter.tick()  # nothing runs: a finished row is never drawn again
    assert len(stream.getvalue()) == written
    reporter.close()
    assert stream.getvalue().endswith(SHOW_CURSOR)
    assert Screen().feed(stream.getvalue()).cursor_visible


def test_only_the_running_row_is_redrawn_as_states_follow_each_other() -> None:
    reporter, stream, clock = _live()
    first = StateRun("ValidateInput", entered=T0)
    reporter(first)
    first.exited = T0 + timedelta(seconds=0.04)
    reporter(first)
    committed = len(stream.getvalue())
    second = StateRun("InstallHulft", entered=T0 + timedelta(seconds=0.05))
    reporter(second)
    clock.at(12.05)
    reporter.tick()

    screen = Screen().feed(stream.getvalue())
    assert screen.text == [
        "  [ ok ] ValidateInput            0.04s",
        "  [ ⠙  ] InstallHulft             12.0s",
    ]
    # After the first row was final, frames only ever move up over the one running row.
    assert re.findall(r"\x1b\[(\d+)A", stream.getvalue()[committed:]) == ["1"]


def test_a_failed_state_is_marked_fail_in_red_with_its_error() -> None:
    reporter, stream, _clock = _live()
    run = StateRun("CreateHulftResource", entered=T0)
    reporter(run)
    run.exited, run.failed, run.error = T0 + timedelta(seconds=2), True, "SetupStepFailed: lk-node-a: hulft not ISP"
    reporter(run)
    assert "\x1b[1;31mFAIL\x1b[0m" in stream.getvalue()
    assert Screen().feed(stream.getvalue()).text == [
        "  [FAIL] CreateHulftResource      2.00s  SetupStepFailed: lk-node-a: hulft not ISP"
    ]


def test_running_rows_never_wrap_even_with_wide_japanese_text() -> None:
    messages.use("ja")
    reporter, stream, clock = _live(width=34)
    running = StateRun("AVeryLongStateNameThatGoesOnAndOn", entered=T0)
    reporter(running)
    clock.at(2)
    reporter.tick()
    rows = Screen().feed(stream.getvalue()).text
    assert rows == ["  [ ⠙  ] AVeryLongStateNameThatG~"]
    assert all(display_width(row) < 34 for row in rows)
    # A finished row is final: never moved over again, it may wrap, so it is not cut. In Japanese here.
    running.exited, running.result = T0 + timedelta(seconds=2), _checks(2)
    reporter(running)
    (row,) = Screen().feed(stream.getvalue()).text
    assert row == "  [ ok ] AVeryLongStateNameThatGoesOnAndOn   2.00s  チェック 2/2 件合格"
    assert fit("チェック 2/2 件合格", 10) == "チェック ~"
    assert display_width(fit("チェック 2/2 件合格", 10)) <= 10


def test_ctrl_c_marks_the_running_state_restores_the_cursor_and_wipes_the_echo() -> None:
    stream, clock = FakeTty(), Clock()
    run = StateRun("WaitForTakeover", entered=T0)
    with (
        pytest.raises(KeyboardInterrupt),
        LiveReporter(stream, clock=clock, width=100, refresh_seconds=3600) as reporter,
    ):
        reporter(run)
        clock.at(4.2)
        stream.write("^C")  # what the terminal echoes where the cursor is when Ctrl-C is pressed
        raise KeyboardInterrupt
    screen = Screen().feed(stream.getvalue())
    assert screen.text == ["  [ -- ] WaitForTakeover           4.2s  interrupted"]
    assert screen.cursor_visible
    assert stream.getvalue().endswith(SHOW_CURSOR)


def test_closing_while_a_state_runs_says_it_is_still_running() -> None:
    reporter, stream, clock = _live()
    reporter(StateRun("WaitForTakeover", entered=T0))
    clock.at(7200)
    reporter.close()  # follow() gave up at its timeout: the execution goes on
    reporter.close()  # and closing twice is harmless
    assert Screen().feed(stream.getvalue()).text == ["  [ -- ] WaitForTakeover        7200.0s  still running"]
    reporter(StateRun("Late", entered=T0))
    assert "Late" not in stream.getvalue()  # after close the terminal is the caller's again


def test_the_ticker_thread_redraws_between_state_changes_and_stops_on_close() -> None:
    stream, clock = FakeTty(), Clock()
    with LiveReporter(stream, clock=clock, width=100, refresh_seconds=0.01) as reporter:
        reporter(StateRun("WaitForTakeover", entered=T0))
        clock.at(5)
        # Only the ticker can draw "5.0s": follow() has not called again. Waits for it, not for a time.
        deadline = time.monotonic() + 30
        while "5.0s" not in stream.getvalue() and time.monotonic() < deadline:
            time.sleep(0.01)
        (row,) = Screen().feed(stream.getvalue()).text
        assert re.fullmatch(r"  \[ \S  \] WaitForTakeover {11}5\.0s", row), row  # the spinner frame varies
    assert "hadrill-progress" not in [thread.name for thread in threading.enumerate()]
    written = len(stream.getvalue())
    time.sleep(0.05)
    assert len(stream.getvalue()) == written  # closed: no more frames


def test_a_pipe_gets_the_plain_lines_exactly_as_before() -> None:
    stream = io.StringIO()
    reporter = progress_reporter(as_json=False, stream=stream, environ={"TERM": "xterm"})
    assert isinstance(reporter, LineReporter)
    run = StateRun("Preflight", entered=T0)
    with reporter:
        reporter(run)
        run.exited, run.result = T0 + timedelta(seconds=0.21), _checks(13)
        reporter(run)
    assert stream.getvalue() == "  ... Preflight\n  [ ok ] Preflight                0.21s  13/13 checks passed\n"


@pytest.mark.parametrize(
    ("environ", "live"),
    [
        ({"TERM": "xterm-256color"}, True),
        ({}, True),
        ({"TERM": "xterm", "NO_COLOR": "1"}, False),
        ({"TERM": "xterm", "NO_COLOR": ""}, True),  # no-color.org: only a non-empty value counts
        ({"TERM": "dumb"}, False),
    ],
)
def test_a_terminal_gets_the_live_display_unless_it_asks_for_plain(environ: dict[str, str], live: bool) -> None:
    reporter = progress_reporter(as_json=False, stream=FakeTty(), environ=environ)
    assert isinstance(reporter, LiveReporter if live else LineReporter)


def test_json_output_gets_no_progress_even_on_a_terminal() -> None:
    stream = FakeTty()
    reporter = progress_reporter(as_json=True, stream=stream, environ={"TERM": "xterm"})
    assert isinstance(reporter, SilentReporter)
    with reporter:
        reporter(StateRun("Preflight", entered=T0))
    assert stream.getvalue() == ""


def test_a_stream_without_an_encoding_gets_an_ascii_spinner() -> None:
    stream = io.StringIO()
    reporter = LiveReporter(stream, clock=Clock(), width=80)
    reporter(StateRun("Preflight", entered=T0))
    assert stream.getvalue().startswith(HIDE_CURSOR)
    assert Screen().feed(stream.getvalue()).text == ["  [ |  ] Preflight                 0.0s"]


def test_setup_on_a_terminal_shows_every_state_once_then_the_closing_line(monkeypatch: pytest.MonkeyPatch) -> None:
    terminal = FakeTty()
    monkeypatch.setattr(sys, "stdout", terminal)
    monkeypatch.setenv("TERM", "xterm")
    monkeypatch.delenv("NO_COLOR", raising=False)
    assert main(["setup", "--local", "--dry-run"]) == 0
    screen = Screen().feed(terminal.getvalue())
    rows = screen.text
    assert rows[0].startswith("setup of hulft-demo, run 1/1")
    # A dry run prints the conformance probe's table after the states (one row per node and assumption).
    table = next(i for i, row in enumerate(rows) if row.startswith("conformance probe: 2 nodes: "))
    states = rows[1:table]
    assert any(" unchecked " in row for row in rows[table + 1 : -1])
    assert all(row.startswith("  [ ok ] ") for row in states), states  # no spinner left behind
    assert len({row.split()[3] for row in states}) == len(states)  # each state on one row, once
    for name in ("ValidateInput", "Preflight", "InstallHulft", "VerifyHierarchy"):
        assert any(row.split()[3] == name for row in states)
    assert rows[-1].startswith("setup SUCCEEDED in ")
    assert screen.cursor_visible
