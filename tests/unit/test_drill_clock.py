"""`chronyc tracking` read into each node's clock offset (hadrill.drill.clock), from captured layouts."""

from __future__ import annotations

from pathlib import Path

import pytest

from hadrill.drill.clock import clock_reading, parse_chrony_tracking

FIXTURES = Path(__file__).parent / "fixtures"


def test_amazon_time_sync_slow_clock_is_a_negative_offset() -> None:
    clock = parse_chrony_tracking((FIXTURES / "chronyc_tracking_amazon.txt").read_text())
    assert clock is not None
    assert clock.reference == "A9FEA97B (169.254.169.123)" and clock.stratum == 4
    assert clock.offset_seconds == pytest.approx(-0.000012345)
    assert clock.rms_offset_seconds == pytest.approx(0.000021733)
    assert clock.root_dispersion_seconds == pytest.approx(0.000446216)
    assert clock.synchronised


def test_fast_clock_is_a_positive_offset() -> None:
    clock = parse_chrony_tracking((FIXTURES / "chronyc_tracking_fedora.txt").read_text())
    assert clock is not None and clock.offset_seconds == pytest.approx(0.000001501)


def test_unsynchronised_is_read_and_said() -> None:
    clock = parse_chrony_tracking((FIXTURES / "chronyc_tracking_unsynchronised.txt").read_text())
    assert clock is not None and not clock.synchronised and clock.leap_status == "Not synchronised"


@pytest.mark.parametrize(
    "text", ["", "bash: chronyc: command not found", "506 Cannot talk to daemon", "System time : soon"]
)
def test_no_tracking_output_is_unknown(text: str) -> None:
    assert parse_chrony_tracking(text) is None
    reading = clock_reading("hd-a", "at the fault", text)
    assert reading["known"] is False and reading["node"] == "hd-a"


def test_a_reading_names_node_and_moment() -> None:
    reading = clock_reading("hd-b", "before the fault", (FIXTURES / "chronyc_tracking_amazon.txt").read_text())
    assert reading["known"] is True and reading["when"] == "before the fault"
    assert reading["offsetSeconds"] == pytest.approx(-0.000012345)
