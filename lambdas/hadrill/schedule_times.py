"""When an EventBridge schedule expression fires next (for `hadrill status`'s "next drill").

``cron(minutes hours day-of-month month day-of-week year)`` in UTC, as hadrill.schedules checks it:
lists, ranges, ``*``, increments ``/``, names (JAN-DEC, SUN-SAT, day-of-week 1 = Sunday), ``?``, ``L``
(last day of the month; in day-of-week, ``L`` alone is Saturday and ``5L`` the last Thursday), ``W``
(``15W``: the weekday nearest the 15th, within the month; ``LW``: the last weekday) and ``#``
(``2#1``: the first Monday). ``rate(...)`` counts from when the rule was created, which DescribeRule
does not say, so its next run is unknown (None). An expression hadrill.schedules refuses is None too.
"""

from __future__ import annotations

import calendar
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

from hadrill.schedules import schedule_problem

_MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
_DAYS = ("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT")
# How far ahead to look: a schedule that fires less than once in this long is shown with no next run.
HORIZON_DAYS = 366 * 8


def _value(text: str, names: tuple[str, ...], low: int) -> int:
    upper = text.upper()
    return names.index(upper) + low if upper in names else int(text)


def _values(text: str, low: int, high: int, names: tuple[str, ...] = ()) -> frozenset[int]:
    """A numeric field (minutes, hours, month, year, or a plain day field) as the set it allows."""
    found: set[int] = set()
    for item in text.split(","):
        base, _, step_text = item.partition("/")
        step = int(step_text) if step_text else 1
        if base == "*":
            start, end = low, high
        else:
            first, dash, last = base.partition("-")
            start = _value(first, names, low)
            end = _value(last, names, low) if dash else (high if step_text else start)
        if end < start:  # a wrapping range such as FRI-MON
            found.update(range(start, high + 1, step))
            found.update(range(low, end + 1, step))
        else:
            found.update(range(start, end + 1, step))
    return frozenset(found)


def _weekday(day: date) -> int:
    """EventBridge's day-of-week number: 1 = Sunday ... 7 = Saturday."""
    return (day.weekday() + 1) % 7 + 1


def _nearest_weekday(year: int, month: int, dom: int) -> int:
    last = calendar.monthrange(year, month)[1]
    dom = min(dom, last)
    weekday = date(year, month, dom).weekday()  # Monday 0 ... Sunday 6
    if weekday == 5:  # Saturday: the Friday before, or the Monday after when the 1st
        return dom - 1 if dom > 1 else dom + 2
    if weekday == 6:  # Sunday: the Monday after, or the Friday before when the last day
        return dom + 1 if dom < last else dom - 2
    return dom


def _day_of_month(text: str) -> Callable[[date], bool]:
    items = text.split(",")

    def matches(day: date) -> bool:
        last = calendar.monthrange(day.year, day.month)[1]
        for item in items:
            if item == "L" and day.day == last:
                return True
            if item == "LW" and day.day == _nearest_weekday(day.year, day.month, last):
                return True
            if item.endswith("W") and item not in ("W", "LW"):
                if day.day == _nearest_weekday(day.year, day.month, int(item[:-1])):
                    return True
            elif item not in ("L", "LW") and day.day in _values(item, 1, 31):
                return True
        return False

    return matches


def _day_of_week(text: str) -> Callable[[date], bool]:
    items = text.split(",")

    def matches(day: date) -> bool:
        weekday = _weekday(day)
        last = calendar.monthrange(day.year, day.month)[1]
        for item in items:
            if item == "L":
                if weekday == 7:
                    return True
            elif item.endswith("L"):
                if weekday == _value(item[:-1], _DAYS, 1) and day.day + 7 > last:
                    return True
            elif "#" in item:
                wanted, _, nth = item.partition("#")
                if weekday == _value(wanted, _DAYS, 1) and (day.day - 1) // 7 + 1 == int(nth):
                    return True
            elif weekday in _values(item, 1, 7, _DAYS):
                return True
        return False

    return matches


def next_run(expression: str, after: datetime) -> datetime | None:
    """The first minute strictly after ``after`` (UTC) at which ``expression`` fires, or None."""
    if schedule_problem(expression) is not None or not expression.startswith("cron("):
        return None
    minutes_text, hours_text, dom_text, month_text, dow_text, year_text = expression[5:-1].split(" ")
    minutes = sorted(_values(minutes_text, 0, 59))
    hours = sorted(_values(hours_text, 0, 23))
    months = _values(month_text, 1, 12, _MONTHS)
    years = _values(year_text, 1970, 2199)
    day_matches = _day_of_week(dow_text) if dom_text == "?" else _day_of_month(dom_text)
    start = after.astimezone(UTC).replace(second=0, microsecond=0) + timedelta(minutes=1)
    day = start.date()
    for _ in range(HORIZON_DAYS):
        if day.year in years and day.month in months and day_matches(day):
            for hour in hours:
                for minute in minutes:
                    moment = datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC)
                    if moment >= start:
                        return moment
        day += timedelta(days=1)
    return None
