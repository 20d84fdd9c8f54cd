"""Exceptions raised by the domain package."""

from __future__ import annotations

import reprlib


class ParseError(ValueError):
    """Command output could not be understood; never guess an answer from it."""

    def __init__(self, what: str, reason: str, line_number: int | None = None) -> None:
        where = f" (line {line_number})" if line_number is not None else ""
        reason = cut(reason, REASON_LIMIT)  # a backstop: each reason quotes through shown() already
        super().__init__(f"cannot parse {what}{where}: {reason}")
        self.what = what
        self.reason = reason
        self.line_number = line_number


class LifeKeeperNotRunningError(ParseError):
    """``lcdstatus`` answered that LifeKeeper is not running on the node."""

    def __init__(self) -> None:
        super().__init__("lcdstatus output", "LifeKeeper does not appear to be running")


class RouteError(ValueError):
    """The virtual IP route is missing, ambiguous or not pointing at a network interface."""


# How much of a value any message may quote: enough to recognise it, never a whole file.
QUOTE_LIMIT = 80
REASON_LIMIT = 300
_ELLIPSIS = "\u2026"


def shown(value: object, limit: int = QUOTE_LIMIT) -> str:
    """``repr(value)`` cut to at most ``limit`` characters (then "…"): every message that quotes
    something a user or a node gave us quotes it through this, so no input makes a long message."""
    if isinstance(value, str | bytes):
        text = repr(value[: limit + 1])
    else:
        try:
            text = _SHORT_REPR.repr(value)
        except ValueError:  # an int too long for repr (over 4,300 digits), possibly nested
            text = f"<a {type(value).__name__} too long to show>"
    return text if len(text) <= limit else text[:limit] + _ELLIPSIS


def cut(text: str, limit: int = QUOTE_LIMIT) -> str:
    """``text`` itself (no quotes) cut to ``limit`` characters, then "…": for messages of our own or of
    a library that may carry a long input."""
    return text if len(text) <= limit else text[:limit] + _ELLIPSIS


def _short_repr() -> reprlib.Repr:
    short = reprlib.Repr()
    short.maxlevel = 3
    short.maxstring = short.maxother = short.maxlong = QUOTE_LIMIT
    short.maxlist = short.maxtuple = short.maxdict = short.maxset = short.maxfrozenset = 6
    return short


_SHORT_REPR = _short_repr()
