"""Read what the node scripts print: one JSON result line, last on stdout."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from hadrill.errors import ParseError, cut, shown
from hadrill.hulft_ps import HulftProcess, parse_hulft_processes
from hadrill.lcdstatus import LcdStatus, parse_lcdstatus

_WHAT = "script result line"
# Longest integer a result carries (epoch milliseconds have 13 digits); int() of a 5,000-digit one
# raises ValueError, not ParseError.
_MAX_INT_DIGITS = 20


def _bounded_int(text: str) -> int:
    if len(text.lstrip("-")) > _MAX_INT_DIGITS:
        raise ParseError(_WHAT, f"a number with {len(text.lstrip('-'))} digits")
    return int(text)


def _load(line: str) -> object:
    """json.loads that raises only ParseError: not JSON, an integer too long, nesting too deep."""
    try:
        return json.loads(line, parse_int=_bounded_int)
    except ParseError:
        raise
    except json.JSONDecodeError as error:
        raise ParseError(_WHAT, f"last line is not JSON ({error.msg}): {shown(line)}") from None
    except RecursionError:
        raise ParseError(_WHAT, "last line is JSON nested too deeply") from None
    except ValueError as error:  # e.g. a float Python cannot hold
        raise ParseError(_WHAT, f"last line is not usable JSON ({shown(str(error))})") from None


def parse_result_line(stdout: str) -> dict[str, Any]:
    """The JSON object on the last non-empty line, with at least ok, changed and message."""
    lines = [line for line in stdout.splitlines() if line.strip()]
    if not lines:
        raise ParseError(_WHAT, "the script printed nothing")
    result = _load(lines[-1])
    if not isinstance(result, dict):
        raise ParseError(_WHAT, "last line is JSON but not an object")
    for key, kind in (("ok", bool), ("changed", bool), ("message", str)):
        if not isinstance(result.get(key), kind):
            raise ParseError(_WHAT, f"field {key!r} missing or not a {kind.__name__}")
    return result


@dataclass(frozen=True)
class NodeStatus:
    """What HADrill-NodeStatus reports about one node, with the LifeKeeper and ps output parsed."""

    node: str
    lifekeeper_running: bool
    lifekeeper_initialized: bool
    lcdstatus: LcdStatus | None  # None while LifeKeeper is down
    hulft_processes: tuple[HulftProcess, ...]
    data_mounted: bool
    mirror_in_sync: bool
    mirror_status: str
    hosts_entry: str
    packages: tuple[str, ...]
    hulft_installed: str  # "<version> <role>" or ""
    hulft_defined: bool = False  # ins_list knows the HULFT resource tag on this node


def _text(result: dict[str, Any], key: str) -> str:
    value = result.get(key, "")
    if not isinstance(value, str):
        raise ParseError(_WHAT, f"field {key!r} is not a string")
    return value


def _flag(result: dict[str, Any], key: str) -> bool:
    value = result.get(key)
    if not isinstance(value, bool):
        raise ParseError(_WHAT, f"field {key!r} missing or not a boolean")
    return value


def parse_node_status(stdout: str) -> NodeStatus:
    result = parse_result_line(stdout)
    running = _flag(result, "lk_running")
    packages = result.get("packages", [])
    if not isinstance(packages, list) or not all(isinstance(p, str) for p in packages):
        raise ParseError(_WHAT, "field 'packages' is not a list of strings")
    return NodeStatus(
        node=_text(result, "node"),
        lifekeeper_running=running,
        lifekeeper_initialized=_flag(result, "lk_initdone"),
        lcdstatus=parse_lcdstatus(_text(result, "lcdstatus")) if running else None,
        hulft_processes=parse_hulft_processes(_text(result, "ps")),
        data_mounted=_flag(result, "data_mounted"),
        mirror_in_sync=_flag(result, "mirror_in_sync"),
        mirror_status=_text(result, "mirror_status"),
        hosts_entry=_text(result, "hosts_entry"),
        packages=tuple(packages),
        hulft_installed=_text(result, "hulft_installed"),
        hulft_defined=result.get("hulft_defined") is True,
    )


@dataclass(frozen=True)
class TimelineEvent:
    epoch_ms: int
    event: str


@dataclass(frozen=True)
class WatchOutcome:
    """What HADrill-WatchTakeover saw on the standby."""

    complete: bool
    takeover_epoch_ms: int | None  # when the takeover was seen complete; None on timeout
    started_epoch_ms: int
    polls: int
    timeline: tuple[TimelineEvent, ...]
    message: str


@dataclass(frozen=True)
class FaultInjected:
    """What HADrill-InjectFault reported on the primary."""

    fault: str
    fault_epoch_ms: int
    message: str


def _int(result: dict[str, Any], key: str) -> int:
    value = result.get(key)
    if not isinstance(value, int) or isinstance(value, bool):
        raise ParseError(_WHAT, f"field {key!r} missing or not an integer")
    return value


def parse_watch_result(stdout: str) -> WatchOutcome:
    result = parse_result_line(stdout)
    raw = result.get("timeline")
    if not isinstance(raw, list):
        raise ParseError(_WHAT, "field 'timeline' missing or not a list")
    timeline = []
    for item in raw:
        if not isinstance(item, dict) or not isinstance(item.get("event"), str):
            raise ParseError(_WHAT, "a timeline entry lacks epoch_ms or event")
        timeline.append(TimelineEvent(_int(item, "epoch_ms"), item["event"]))
    complete = result["ok"] is True
    return WatchOutcome(
        complete=complete,
        takeover_epoch_ms=_int(result, "takeover_epoch_ms") if complete else None,
        started_epoch_ms=_int(result, "watch_started_epoch_ms"),
        polls=_int(result, "polls"),
        timeline=tuple(timeline),
        message=result["message"],
    )


def parse_fault_result(stdout: str) -> FaultInjected:
    result = parse_result_line(stdout)
    if result["ok"] is not True:
        raise ParseError(_WHAT, f"the fault was not injected: {cut(result['message'], 200)}")
    return FaultInjected(_text(result, "fault"), _int(result, "fault_epoch_ms"), result["message"])
