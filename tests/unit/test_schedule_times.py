"""hadrill.schedule_times.next_run: when an EventBridge cron expression fires next (UTC)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from hadrill.schedule_times import next_run

# 2026-11-28 is a Saturday.
AFTER = datetime(2026, 11, 28, 12, 0, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("cron(0 17 ? * SUN *)", datetime(2026, 11, 29, 17, 0)),  # the default config's weekly drill
        ("cron(0 17 ? * 1 *)", datetime(2026, 11, 29, 17, 0)),  # 1 = Sunday
        ("cron(0 17 ? * SUN#1 *)", datetime(2026, 12, 6, 17, 0)),  # the first Sunday of December
        ("cron(15 10 * * ? *)", datetime(2026, 11, 29, 10, 15)),  # today's has passed
        ("cron(0/15 * * * ? *)", datetime(2026, 11, 28, 12, 15)),  # strictly after 12:00:30
        ("cron(0 0 L * ? *)", datetime(2026, 11, 30, 0, 0)),
        ("cron(0 9 LW * ? *)", datetime(2026, 11, 30, 9, 0)),  # 30 Nov 2026 is a Monday
        ("cron(0 9 ? * 6L *)", datetime(2026, 12, 25, 9, 0)),  # the last Friday of December
        ("cron(0 9 1W * ? *)", datetime(2026, 12, 1, 9, 0)),  # 1 Dec is a Tuesday
        ("cron(0 9 ? * MON-FRI *)", datetime(2026, 11, 30, 9, 0)),
        ("cron(0 9 ? * L *)", datetime(2026, 12, 5, 9, 0)),  # L alone: Saturday (today's 9:00 passed)
        ("cron(0 0 1 JAN ? 2027)", datetime(2027, 1, 1, 0, 0)),
        ("cron(0 0 1 1 ? 2020)", None),  # only in the past
        ("rate(7 days)", None),  # counts from the rule's creation: unknown
        ("cron(0 17 * * SUN *)", None),  # EventBridge refuses it (both day fields): no next run
    ],
)
def test_next_run(expression: str, expected: datetime | None) -> None:
    found = next_run(expression, AFTER)
    assert found == (None if expected is None else expected.replace(tzinfo=UTC))


def test_fires_strictly_after() -> None:
    exactly = datetime(2026, 11, 29, 17, 0, tzinfo=UTC)
    assert next_run("cron(0 17 ? * SUN *)", exactly) == datetime(2026, 12, 6, 17, 0, tzinfo=UTC)
