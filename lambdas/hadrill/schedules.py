"""EventBridge schedule expressions, checked as EventBridge checks them, so a bad one stops synth.

``rate(value unit)``: a positive whole number, and the unit singular exactly when the value is 1
(``rate(1 minute)``, ``rate(5 minutes)``). ``cron(minutes hours day-of-month month day-of-week year)``:
six fields, each a comma-separated list of values, ranges and increments within its field's range;
exactly one of the two day fields is ``?`` (EventBridge refuses ``*`` or a value in both).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from hadrill.errors import shown

_RATE = re.compile(r"rate\(([1-9][0-9]{0,8}) (minute|minutes|hour|hours|day|days)\)", flags=re.ASCII)
_CRON = re.compile(r"cron\((.*)\)", flags=re.ASCII | re.DOTALL)
_NUMBER = re.compile(r"[0-9]{1,4}", flags=re.ASCII)
_MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
_DAYS = ("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT")


@dataclass(frozen=True)
class _Field:
    name: str
    low: int
    high: int
    names: tuple[str, ...] = ()  # JAN..DEC or SUN..SAT, numbered from low


_FIELDS = (
    _Field("minutes", 0, 59),
    _Field("hours", 0, 23),
    _Field("day-of-month", 1, 31),
    _Field("month", 1, 12, _MONTHS),
    _Field("day-of-week", 1, 7, _DAYS),
    _Field("year", 1970, 2199),
)


def schedule_problem(expression: str) -> str | None:
    """Why EventBridge would refuse ``expression`` (None: it would accept it)."""
    rate = _RATE.fullmatch(expression)
    if rate:
        value, unit = rate.groups()
        if (value == "1") != (not unit.endswith("s")):
            wanted = unit.rstrip("s") if value == "1" else unit.rstrip("s") + "s"
            return f"rate({value} {unit}) must be written rate({value} {wanted})"
        return None
    if expression.startswith("rate("):
        return f"{shown(expression)} is not rate(<positive whole number> <minute(s)|hour(s)|day(s)>)"
    cron = _CRON.fullmatch(expression)
    if not cron:
        return f"{shown(expression)} is neither cron(...) nor rate(...)"
    fields = cron.group(1).split(" ")
    if len(fields) != len(_FIELDS) or not all(fields):
        return (
            f"{shown(expression)} needs exactly six fields separated by single spaces "
            "(minutes hours day-of-month month day-of-week year)"
        )
    for spec, text in zip(_FIELDS, fields, strict=True):
        problem = _field_problem(spec, text)
        if problem:
            return f"cron {spec.name} field {shown(text)}: {problem}"
    day_of_month, day_of_week = fields[2], fields[4]
    if (day_of_month == "?") == (day_of_week == "?"):
        return "exactly one of day-of-month and day-of-week must be ? (EventBridge refuses both or neither)"
    return None


def _field_problem(spec: _Field, text: str) -> str | None:
    if text == "?":
        return None if spec.name in ("day-of-month", "day-of-week") else "? is allowed only in the day fields"
    items = text.split(",")
    if len(items) > 60:
        return "too many comma-separated values"
    for item in items:
        problem = _item_problem(spec, item)
        if problem:
            return problem
    return None


def _item_problem(spec: _Field, item: str) -> str | None:
    if spec.name == "day-of-month" and item in ("L", "LW"):
        return None
    if spec.name == "day-of-month" and item.endswith("W") and item != "W":
        return _value_problem(spec, item[:-1])
    if spec.name == "day-of-week" and item == "L":
        return None
    if spec.name == "day-of-week" and item.endswith("L"):
        return _value_problem(spec, item[:-1])
    if spec.name == "day-of-week" and "#" in item:
        day, _, nth = item.partition("#")
        if nth not in ("1", "2", "3", "4", "5"):
            return f"the week number after # must be 1-5, got {shown(nth)}"
        return _value_problem(spec, day)
    base, slash, step = item.partition("/")
    if slash:
        if spec.name == "day-of-week":
            return "increments (/) are not allowed in day-of-week"
        if not _NUMBER.fullmatch(step) or not 1 <= int(step) <= spec.high:
            return f"the increment after / must be 1-{spec.high}, got {shown(step)}"
    if base == "*":
        return None
    low, dash, high = base.partition("-")
    problem = _value_problem(spec, low) or (_value_problem(spec, high) if dash else None)
    return problem


def _value_problem(spec: _Field, text: str) -> str | None:
    if text.upper() in spec.names:
        return None
    if not _NUMBER.fullmatch(text):
        allowed = f"{spec.low}-{spec.high}" + (f" or {spec.names[0]}-{spec.names[-1]}" if spec.names else "")
        return f"{shown(text)} is not a value here ({allowed})"
    if not spec.low <= int(text) <= spec.high:
        return f"{text} is out of range {spec.low}-{spec.high}"
    return None
