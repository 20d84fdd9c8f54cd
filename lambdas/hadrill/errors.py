"""Exceptions raised by the domain package."""

from __future__ import annotations


class ParseError(ValueError):
    """Command output could not be understood; never guess an answer from it."""

    def __init__(self, what: str, reason: str, line_number: int | None = None) -> None:
        where = f" (line {line_number})" if line_number is not None else ""
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
