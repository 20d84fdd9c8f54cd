"""How a workflow run is shown: live progress on a terminal, plain lines otherwise, JSON for machines.

Showing the states of a Step Functions execution as `follow()` reports them:

    from hadrill_cli.render import progress_reporter

    with progress_reporter(as_json=args.json) as report:
        execution = follow(sfn, arn, on_change=report)
    print(closing_line(...))  # after the `with`: the live display has let go of the terminal

`progress_reporter()` picks one of three reporters, all callables on `StateRun` with `close()`:

- `--json`: `SilentReporter`, prints nothing (stdout is the JSON document's).
- stdout is a terminal (and neither NO_COLOR nor TERM=dumb): `LiveReporter`, one line per state,
  redrawn in place ~10 times a second: a spinner and the elapsed time while the state runs, then
  ok/FAIL, its time and a one-line summary.
- otherwise (a pipe, a file, CI logs): `LineReporter`, a line when a state starts and one when it ends.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import threading
import unicodedata
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from types import TracebackType
from typing import Any, Self, TextIO

from hadrill.contracts import summary_is_count
from hadrill_cli.follow import Execution, StateRun
from hadrill_cli.messages import t

REFRESH_SECONDS = 0.1
SPINNER_UNICODE = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏"
SPINNER_ASCII = "|/-\\"
NAME_WIDTH = 22

# ANSI control sequences (ECMA-48): erase the line, move up, hide/show the cursor, colours.
ERASE_LINE = "\x1b[2K"
HIDE_CURSOR = "\x1b[?25l"
SHOW_CURSOR = "\x1b[?25h"
RESET = "\x1b[0m"
GREEN, RED, CYAN, YELLOW = "\x1b[32m", "\x1b[1;31m", "\x1b[36m", "\x1b[33m"


def summary_of(result: Any, state: str | None = None) -> str:
    """One short line from a step's Lambda result (``state``: the state that returned it).

    Checks are counted from the typed ``checks`` in the reader's language; a phase whose summary is only
    that count (hadrill.contracts.summary_is_count) shows the count and its typed ``note`` instead of
    its English words."""
    if not isinstance(result, dict):
        return ""
    if result.get("skipped"):
        # Setup steps say why in "message", drill phases in "summary".
        return t("step_skipped", message=result.get("message") or result.get("summary", ""))
    summary = str(result.get("summary") or "")
    checks = result.get("checks") or []
    if checks:
        passed = sum(1 for c in checks if c.get("passed"))
        counted = t("checks_passed", passed=passed, total=len(checks))
        if not summary or (state is not None and summary_is_count(state)):
            note = result.get("note")
            return f"{counted}; {note}" if note else counted
        return f"{summary} ({counted})"
    if summary:
        return summary
    if "nodes" in result:
        return "; ".join(f"{n['node']}: {n['message']}" for n in result["nodes"])
    if "outcome" in result:
        return f"{result['outcome']} ({result.get('recordId', '')})"
    return ""


def _mark(run: StateRun) -> str:
    return "FAIL" if run.failed else " ok "


def _finished_tail(run: StateRun) -> str:
    """What follows the mark on a finished state's line: name, time, summary or error."""
    seconds = f"{run.seconds:6.2f}s" if run.seconds is not None else "       "
    detail = run.error if run.failed else summary_of(run.result, run.name)
    return f" {run.name:<{NAME_WIDTH}} {seconds}  {detail}".rstrip()


def finished_line(run: StateRun) -> str:
    """A finished state as one plain line, e.g. `  [ ok ] Preflight   0.21s  13/13 checks passed`."""
    return f"  [{_mark(run)}]{_finished_tail(run)}"


class Reporter:
    """What `follow(on_change=...)` is given: called with each state as it enters and as it ends.

    Use it as a context manager (or call `close()`), so that a live display stops its timer and
    gives the terminal back before anything else is printed, also on Ctrl-C.
    """

    def __call__(self, run: StateRun) -> None:
        """Show `run` (a state that has just entered, or just ended)."""

    def close(self, *, interrupted: bool = False) -> None:
        """Stop showing progress; `interrupted` says the follow loop was stopped by Ctrl-C."""

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.close(interrupted=exc_type is not None and issubclass(exc_type, KeyboardInterrupt))


class SilentReporter(Reporter):
    """For --json: stdout carries one JSON document, so progress is not shown at all."""


class LineReporter(Reporter):
    """Prints each state when it starts and when it ends, with its elapsed time."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self._stream = stream

    @property
    def stream(self) -> TextIO:
        return self._stream or sys.stdout  # looked up late: tests and pagers replace sys.stdout

    def __call__(self, run: StateRun) -> None:
        if run.exited is None:
            print(f"  ... {run.name}", file=self.stream, flush=True)
            return
        print(finished_line(run), file=self.stream, flush=True)


def _utc_now() -> datetime:
    return datetime.now(UTC)


def _aware(moment: datetime) -> datetime:
    # Step Functions timestamps carry a zone; a naive one (from a stub) is taken as UTC.
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def display_width(text: str) -> int:
    """Terminal columns `text` takes: CJK (wide and fullwidth) characters take two."""
    return sum(2 if unicodedata.east_asian_width(char) in ("W", "F") else 1 for char in text)


def fit(text: str, columns: int) -> str:
    """`text` cut to `columns` terminal columns, so that a redrawn line never wraps onto a second row."""
    if display_width(text) <= columns:
        return text
    kept, used = [], 0
    for char in text:
        width = display_width(char)
        if used + width > columns - 1:
            break
        kept.append(char)
        used += width
    return "".join(kept) + "~"  # ASCII: "…" is ambiguous-width, two columns on some CJK terminals


class LiveReporter(Reporter):
    """The states as a live list on a terminal, redrawn in place with ANSI cursor movement.

    Each state gets one line. While it runs the line shows a spinner and its elapsed time, ticking
    from a background thread every `refresh_seconds` (follow() only calls on a state's enter and exit,
    which can be minutes apart). When it ends the line becomes the same text LineReporter prints for
    an ended state, and is never redrawn again: only the lines still running are moved over, so
    finished lines may scroll away and wrap freely. Running lines are cut to the terminal's width,
    because a wrapped line would make the cursor movement land on the wrong row.

    Thread-safe (one lock around the state list and the drawing), so several follow loops may
    report into one LiveReporter; lines appear in the order their states enter. Tests drive it
    without the thread: `clock` gives "now", `tick()` draws one frame.
    """

    def __init__(
        self,
        stream: TextIO,
        *,
        clock: Callable[[], datetime] = _utc_now,
        width: int | None = None,
        refresh_seconds: float = REFRESH_SECONDS,
        colour: bool = True,
    ) -> None:
        self._stream = stream
        self._clock = clock
        self._width = width
        self._refresh_seconds = refresh_seconds
        self._colour = colour
        encoding = (getattr(stream, "encoding", None) or "").lower().replace("-", "")
        self._spinner = SPINNER_UNICODE if encoding == "utf8" else SPINNER_ASCII
        self._frame = 0
        self._runs: list[StateRun] = []
        self._known: set[int] = set()
        self._committed = 0  # runs[:committed] are drawn for good and never touched again
        self._drawn = 0  # rows drawn below them by the last frame, which the next frame redraws
        self._cursor_hidden = False
        self._closed_reason: str | None = None
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._ticker: threading.Thread | None = None

    def start(self) -> None:
        """Start the ticking thread (entering the context manager does this)."""
        if self._ticker is None and self._closed_reason is None:
            self._ticker = threading.Thread(target=self._tick_until_stopped, name="hadrill-progress", daemon=True)
            self._ticker.start()

    def __enter__(self) -> Self:
        self.start()
        return self

    def __call__(self, run: StateRun) -> None:
        with self._lock:
            if self._closed_reason is not None:
                return
            if id(run) not in self._known:
                self._known.add(id(run))
                self._runs.append(run)
            self._draw()

    def tick(self) -> None:
        """Advance the spinner and redraw the running states (called ~10 times a second)."""
        with self._lock:
            if self._closed_reason is not None or self._committed == len(self._runs):
                return  # nothing running: nothing to move, and no output between states
            self._frame += 1
            self._draw()

    def close(self, *, interrupted: bool = False) -> None:
        """Stop ticking, draw states still running as interrupted (Ctrl-C) or still running, show the cursor."""
        self._stop.set()
        if self._ticker is not None and self._ticker is not threading.current_thread():
            self._ticker.join()
        with self._lock:
            if self._closed_reason is not None:
                return
            self._closed_reason = t("live_interrupted") if interrupted else t("live_still_running")
            if self._committed < len(self._runs):
                self._draw()
            tail = f"\r{ERASE_LINE}" if interrupted else ""  # wipes the terminal's echoed ^C under the list
            if self._cursor_hidden:
                tail += SHOW_CURSOR
            if tail:
                self._stream.write(tail)
                self._stream.flush()

    def _tick_until_stopped(self) -> None:
        while not self._stop.wait(self._refresh_seconds):
            self.tick()

    def _columns(self) -> int:
        return self._width or shutil.get_terminal_size(fallback=(80, 24)).columns

    def _draw(self) -> None:
        """One frame: back up over the running rows, rewrite them, commit those that have ended."""
        settled = self._committed
        while settled < len(self._runs) and (self._runs[settled].exited is not None or self._closed_reason):
            settled += 1
        parts = [] if self._cursor_hidden else [HIDE_CURSOR]
        self._cursor_hidden = True
        if self._drawn:
            parts.append(f"\r\x1b[{self._drawn}A")
        for index in range(self._committed, len(self._runs)):
            line = self._line(self._runs[index], live=index >= settled)
            parts.append(f"{ERASE_LINE}{line}\n")
        self._drawn = len(self._runs) - settled
        self._committed = settled
        self._stream.write("".join(parts))
        self._stream.flush()

    def _line(self, run: StateRun, *, live: bool) -> str:
        """A state's row: `live` rows are redrawn later, so they are cut to the width (never wrap)."""
        if run.exited is not None:
            mark, tail = self._paint(_mark(run), RED if run.failed else GREEN), _finished_tail(run)
        else:
            elapsed = max(0.0, (_aware(self._clock()) - _aware(run.entered)).total_seconds())
            tail = f" {run.name:<{NAME_WIDTH}} {elapsed:6.1f}s"
            if self._closed_reason is not None:
                mark, tail = self._paint(" -- ", YELLOW), f"{tail}  {self._closed_reason}"
            else:
                mark = self._paint(f" {self._spinner[self._frame % len(self._spinner)]}  ", CYAN)
        # Cut before colouring (escape codes take no columns): 8 columns for "  [ ok ]", 1 spare.
        return f"  [{mark}]{fit(tail, self._columns() - 9) if live else tail}"

    def _paint(self, text: str, colour: str) -> str:
        return f"{colour}{text}{RESET}" if self._colour else text


def wants_live(stream: TextIO, environ: Mapping[str, str] | None = None) -> bool:
    """A live display only on a terminal that asked for no plain output (NO_COLOR, TERM=dumb)."""
    env = os.environ if environ is None else environ
    isatty = getattr(stream, "isatty", None)
    if not callable(isatty) or not isatty():
        return False
    return not env.get("NO_COLOR") and env.get("TERM", "") != "dumb"


def progress_reporter(
    *, as_json: bool, stream: TextIO | None = None, environ: Mapping[str, str] | None = None
) -> Reporter:
    """The reporter to give `follow(on_change=...)`; use it as a context manager.

    `as_json`: the command prints JSON on stdout, so nothing else goes there. `stream`: where progress
    goes (default: sys.stdout at the time of each write). `environ`: instead of os.environ, for tests.
    """
    if as_json:
        return SilentReporter()
    if wants_live(stream or sys.stdout, environ):
        return LiveReporter(stream or sys.stdout)
    return LineReporter(stream)


def as_json(workflow: str, cluster: str, mode: str, execution: Execution, ssm_commands: int | None) -> str:
    document: dict[str, Any] = {
        "workflow": workflow,
        "cluster": cluster,
        "mode": mode,
        "outcome": execution.status,
        "execution_arn": execution.arn,
        "elapsed_seconds": None if execution.seconds is None else round(execution.seconds, 3),
        "error": execution.error,
        "cause": execution.cause,
        "steps": [run.as_dict() for run in execution.states],
        "cost": {
            "state_transitions": execution.state_transitions,
            "lambda_invocations": execution.lambda_invocations,
            "ssm_commands": ssm_commands,
        },
    }
    return json.dumps(document, indent=2, default=str)


def closing_line(workflow: str, execution: Execution, ssm_commands: int | None) -> str:
    """`setup SUCCEEDED in 5.7s (15 state transitions, ...)`; the status stays Step Functions' word."""
    seconds = t("closing_seconds", seconds=execution.seconds) if execution.seconds is not None else ""
    cost = t("closing_cost", transitions=execution.state_transitions, invocations=execution.lambda_invocations)
    if ssm_commands is not None:
        cost += t("closing_ssm", commands=ssm_commands)
    line = t("closing", workflow=workflow, status=execution.status, seconds=seconds, cost=cost)
    if execution.error:
        line += f"\n  {execution.error}: {execution.cause}"
    return line
