"""Read what the node scripts print: one JSON result line, last on stdout."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, TypeVar

from pydantic import ValidationError

from hadrill.contracts import (
    SCRIPT_RESULTS,
    InjectFaultResult,
    NodeStatusResult,
    ScriptResult,
    WatchTakeoverResult,
    undeclared_keys,
)
from hadrill.errors import ParseError, cut, shown
from hadrill.hulft_ps import HulftProcess, parse_hulft_processes
from hadrill.lcdstatus import LcdStatus, parse_lcdstatus

_WHAT = "script result line"
R = TypeVar("R", bound=ScriptResult)
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


def _last_object(stdout: str) -> dict[str, Any]:
    lines = [line for line in stdout.splitlines() if line.strip()]
    if not lines:
        raise ParseError(_WHAT, "the script printed nothing")
    result = _load(lines[-1])
    if not isinstance(result, dict):
        raise ParseError(_WHAT, "last line is JSON but not an object")
    return result


def _validated(raw: dict[str, Any], model: type[R]) -> R:
    try:
        return model.model_validate(raw)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "the line"
        raise ParseError(_WHAT, f"field {where!r}: {first['msg']}") from None


def read_result(stdout: str, model: type[R]) -> R:
    """The JSON object on the last non-empty line, as the document's result model (hadrill.contracts)."""
    return _validated(_last_object(stdout), model)


def contract_breach(document: str, stdout: str) -> str | None:
    """How a document's output breaks its result contract (hadrill.contracts.SCRIPT_RESULTS), or None.

    Stricter than the readers: a key the model does not name is a breach here (the simulated nodes
    refuse such output, so a script and its model cannot drift apart unnoticed); a failed run must
    still print ok, changed and message, and only keys its model names."""
    model = SCRIPT_RESULTS.get(document)
    if model is None:
        return None
    try:
        raw = _last_object(stdout)
        if raw.get("ok") is True:
            unknown = undeclared_keys(_validated(raw, model))
        else:
            _validated(raw, ScriptResult)
            unknown = [key for key in raw if key not in model.model_fields]
    except ParseError as error:
        return str(error)
    return f"keys not in {model.__name__}: {', '.join(unknown)}" if unknown else None


def parse_result_line(stdout: str) -> dict[str, Any]:
    """The JSON object on the last non-empty line, with at least ok, changed and message (any document)."""
    raw = _last_object(stdout)
    _validated(raw, ScriptResult)
    return raw


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
    mirror_percent: str | None = None  # vendor.sh's reading of mirror_status; None from an older script


def parse_node_status(stdout: str) -> NodeStatus:
    result = read_result(stdout, NodeStatusResult)
    return NodeStatus(
        node=result.node,
        lifekeeper_running=result.lk_running,
        lifekeeper_initialized=result.lk_initdone,
        lcdstatus=parse_lcdstatus(result.lcdstatus) if result.lk_running else None,
        hulft_processes=parse_hulft_processes(result.ps),
        data_mounted=result.data_mounted,
        mirror_in_sync=result.mirror_in_sync,
        mirror_status=result.mirror_status,
        hosts_entry=result.hosts_entry,
        packages=tuple(result.packages),
        hulft_installed=result.hulft_installed,
        hulft_defined=result.hulft_defined,
        mirror_percent=result.mirror_percent,
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


def parse_watch_result(stdout: str) -> WatchOutcome:
    result = read_result(stdout, WatchTakeoverResult)
    if result.watch_started_epoch_ms is None or result.polls is None:
        raise ParseError(_WHAT, "field 'watch_started_epoch_ms' or 'polls' missing")
    if result.ok and result.takeover_epoch_ms is None:
        raise ParseError(_WHAT, "field 'takeover_epoch_ms' missing")
    return WatchOutcome(
        complete=result.ok,
        takeover_epoch_ms=result.takeover_epoch_ms if result.ok else None,
        started_epoch_ms=result.watch_started_epoch_ms,
        polls=result.polls,
        timeline=tuple(TimelineEvent(entry.epoch_ms, entry.event) for entry in result.timeline),
        message=result.message,
    )


def parse_fault_result(stdout: str) -> FaultInjected:
    result = read_result(stdout, InjectFaultResult)
    if not result.ok:
        raise ParseError(_WHAT, f"the fault was not injected: {cut(result.message, 200)}")
    if result.fault is None or result.fault_epoch_ms is None:
        raise ParseError(_WHAT, "field 'fault' or 'fault_epoch_ms' missing")
    return FaultInjected(result.fault, result.fault_epoch_ms, result.message)
