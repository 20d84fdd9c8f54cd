"""The RTO from the stamps (hadrill.drill.measure) and where it starts (hadrill.drill.fault_start)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from hadrill.contracts import PhaseResult
from hadrill.drill import report
from hadrill.drill.fault_start import (
    NetworkDownStamp,
    injected_start,
    observed_start,
    parse_network_down_stamp,
    predicted_start,
    unread_start,
)
from hadrill.drill.measure import measure, slo_check, watch_from_result
from hadrill.drill.model import typed_phases
from hadrill.drill.watch import watch_outcome
from hadrill.errors import ParseError

WATCHED = watch_outcome((Path(__file__).parent / "fixtures" / "watch_takeover_network_down.txt").read_text(), "hulft")
TAKEOVER = 1795871794885
PREDICTED = 1795871794136


def _report(state: dict[str, Any]) -> dict[str, Any]:
    """The report RecordResult would build from ``state`` (a drill from PREDICTED - 5 s to TAKEOVER + 5 s)."""
    return report.build_report(
        state,
        cluster="c",
        primary="hd-a",
        execution="arn:x:d",
        started_ms=PREDICTED - 5000,
        finished_ms=TAKEOVER + 5000,
        record_ms=10,
        memory_mb=256,
    )


def test_the_rto_runs_from_the_observed_stamp_not_the_prediction() -> None:
    predicted = predicted_start(PREDICTED, "hd-a", 1)
    observed = observed_start(predicted, NetworkDownStamp(PREDICTED - 1000, PREDICTED + 400), PREDICTED - 1000, "hd-a")
    from_prediction = measure(predicted, WATCHED, "network-down", "hd-b")
    from_stamp = measure(observed, WATCHED, "network-down", "hd-b")
    assert from_prediction.rto_seconds == pytest.approx((TAKEOVER - PREDICTED) / 1000)
    assert from_stamp.rto_seconds == pytest.approx((TAKEOVER - PREDICTED - 400) / 1000)
    assert from_prediction.estimate and not from_stamp.estimate
    fields = from_stamp.as_dict()
    assert fields["rtoStart"]["predictedEpochMs"] == PREDICTED and fields["rtoStart"]["observed"] is True
    assert "hd-b" in fields["rtoEnd"]["source"] and fields["rtoIsEstimate"] is False
    # detection + restore make up the RTO: the watcher's first change after the stamp splits them
    assert from_stamp.detection_seconds is not None and from_stamp.restore_seconds is not None
    assert from_stamp.detection_seconds + from_stamp.restore_seconds == pytest.approx(from_stamp.rto_seconds)


def test_another_faults_stamp_leaves_the_prediction_labelled_an_estimate() -> None:
    predicted = predicted_start(PREDICTED, "hd-a", 2)
    start = observed_start(predicted, NetworkDownStamp(1, PREDICTED + 10), PREDICTED - 2000, "hd-a")
    assert not start.observed and start.epoch_ms == PREDICTED and "another fault's" in start.source
    measured = measure(start, WATCHED, "network-down", "hd-b")
    assert "(estimate: predicted start)" in slo_check(measured, 60).detail
    unread = unread_start(predicted, "hd-a did not answer")
    assert not unread.observed and "did not answer" in unread.source


def test_every_scenario_names_its_start() -> None:
    for scenario in ("instance-stop", "instance-reboot", "hulft-daemon-kill", "switchover"):
        start = injected_start(scenario, PREDICTED, "hd-a")
        assert start.observed and start.source


def test_the_watch_comes_back_from_the_phase_result() -> None:
    measured = measure(injected_start("switchover", PREDICTED, "hd-a"), WATCHED, "switchover", "hd-b")
    result = {
        **measured.as_dict(),
        "watcherTimeline": [{"epochMs": e.epoch_ms, "event": e.event} for e in WATCHED.timeline],
        "watchStartedEpochMs": WATCHED.started_epoch_ms,
        "watchPolls": WATCHED.polls,
    }
    again = measure(measured.start, watch_from_result(PhaseResult.model_validate(result)), "switchover", "hd-b")
    assert again == measured


def test_the_report_shows_both_starts_and_labels_an_estimate() -> None:
    predicted = predicted_start(PREDICTED, "hd-a", 2)
    waited = {**measure(predicted, WATCHED, "network-down", "hd-b").as_dict(), "toNode": "hd-b"}
    observed = observed_start(predicted, NetworkDownStamp(7, PREDICTED + 400), 7, "hd-a")
    measured = measure(observed, WATCHED, "network-down", "hd-b").as_dict()
    phases = {"WaitForTakeover": waited, "RecoverPrimary": {"recovered": True, "measurement": measured}}
    assert report.final_measurement(typed_phases(phases), {}).rtoSeconds == measured["rtoSeconds"]
    # RecoverPrimary failed: the prediction stands, labelled
    assert report.final_measurement(typed_phases(phases), {"RecoverPrimary": {}}).rtoIsEstimate is True
    state = {"request": {"scenario": "network-down"}, "drill": {"drillId": "d"}, "phases": phases, "failed": {}}
    built = _report(state)
    assert built["rto_is_estimate"] is False
    assert built["rto_start"]["predicted_epoch_ms"] == PREDICTED and built["rto_start"]["epoch_ms"] == PREDICTED + 400
    text = report.markdown(built)
    assert "- RTO start: " in text and "; predicted " in text and "- RTO end: " in text
    state["phases"] = {"WaitForTakeover": waited}
    estimate = _report(state)
    assert estimate["rto_is_estimate"] is True and "(estimate:" in report.markdown(estimate)


def test_the_client_rto_starts_where_the_node_rto_starts() -> None:
    """VerifyTakeover measures the client RTO from the predicted network-down; once RecoverPrimary has
    read the node's stamp, the report's fault, its timeline and the client RTO all start there."""
    predicted = predicted_start(PREDICTED, "hd-a", 2)
    waited = {**measure(predicted, WATCHED, "network-down", "hd-b").as_dict(), "toNode": "hd-b"}
    observed = observed_start(predicted, NetworkDownStamp(7, PREDICTED + 400), 7, "hd-a")
    measured = measure(observed, WATCHED, "network-down", "hd-b").as_dict()
    first_connect = TAKEOVER + 300
    client = {
        "measured": True,
        "passed": True,
        "detail": "first successful connect",
        "seconds": round((first_connect - PREDICTED) / 1000, 3),
        "gapToNodeRtoSeconds": round((first_connect - PREDICTED) / 1000 - waited["rtoSeconds"], 3),
        "firstConnectEpochMs": first_connect,
    }
    phases = {
        "WaitForTakeover": waited,
        "VerifyTakeover": {"clientRto": client},
        "RecoverPrimary": {
            "recovered": True,
            "measurement": measured,
            "events": [{"phase": "network down on hd-a (its stamp)", "epochMs": PREDICTED + 400}],
        },
    }
    state = {"request": {"scenario": "network-down"}, "drill": {"drillId": "d"}, "phases": phases, "failed": {}}
    built = _report(state)
    assert built["fault_epoch_ms"] == PREDICTED + 400
    assert [e["phase"] for e in built["timeline"] if e["kind"] == "fault"] == ["network down on hd-a (its stamp)"]
    rebased = built["client_rto"]
    assert rebased["seconds"] == round((first_connect - PREDICTED - 400) / 1000, 3)
    assert rebased["gapToNodeRtoSeconds"] == round(rebased["seconds"] - built["rto_seconds"], 3)
    assert rebased["measuredFromPredictedSeconds"] == client["seconds"]
    # The same drill with the stamp unread: the prediction stands for both, nothing rebased.
    del phases["RecoverPrimary"]
    unread = _report(state)
    assert unread["fault_epoch_ms"] == PREDICTED and unread["client_rto"] == client


@pytest.mark.parametrize(
    "line",
    [
        '{"ok": false, "changed": false, "message": "no network-down stamp", "exit_code": 5}',
        '{"ok": true, "changed": false, "message": "m", "requested_epoch_ms": 1}',
        '{"ok": true, "changed": false, "message": "m", "requested_epoch_ms": "1", "stamp_epoch_ms": 2}',
    ],
)
def test_a_bad_stamp_answer_is_a_parse_error(line: str) -> None:
    with pytest.raises(ParseError):
        parse_network_down_stamp(line)


def test_an_rto_is_an_upper_bound_only_when_the_first_look_already_saw_the_takeover() -> None:
    """A watcher that looked before the change times the end exactly; one whose first look (after the
    fault: it started late) already found the takeover complete gives an upper bound, and says why."""
    import dataclasses

    start = injected_start("switchover", PREDICTED, "hd-a")
    exact = measure(start, WATCHED, "switchover", "hd-b")
    assert not exact.upper_bound and exact.upper_bound_reason is None
    late = dataclasses.replace(WATCHED, polls=1, started_epoch_ms=PREDICTED + 250)
    bounded = measure(start, late, "switchover", "hd-b")
    assert bounded.upper_bound and "started 0.250 s after the fault" in (bounded.upper_bound_reason or "")
    assert slo_check(bounded, 60).detail.startswith("<= ")
    kill = measure(injected_start("hulft-daemon-kill", PREDICTED, "hd-a"), late, "hulft-daemon-kill", "hd-a")
    assert kill.upper_bound and kill.as_dict()["rtoUpperBoundReason"]


@pytest.mark.parametrize(
    ("line", "running"),
    [
        (
            '{"ok":true,"changed":false,"message":"m","watch_started_epoch_ms":5,"polls":3,"last_poll_epoch_ms":9}',
            (5, 3, 9),
        ),
        ('{"ok":false,"changed":false,"message":"no watcher running on hd-b","exit_code":1}', None),
    ],
)
def test_watcher_status(line: str, running: tuple[int, int, int] | None) -> None:
    from hadrill.drill.watch import parse_watcher_status

    parsed = parse_watcher_status(line)
    got = None if parsed is None else (parsed.started_epoch_ms, parsed.polls, parsed.last_poll_epoch_ms)
    assert got == running


def test_watcher_status_without_numbers_is_a_parse_error() -> None:
    from hadrill.drill.watch import parse_watcher_status

    with pytest.raises(ParseError):
        parse_watcher_status('{"ok":true,"changed":false,"message":"m","polls":true}')


@pytest.mark.parametrize(("fault_ms", "words"), [(TAKEOVER + 1500, "1.500 s before"), (TAKEOVER - 900_000, "after")])
def test_a_negative_or_implausible_rto_is_a_domain_error_naming_both_clocks(fault_ms: int, words: str) -> None:
    from hadrill.drill.model import ImplausibleRto

    with pytest.raises(ImplausibleRto) as raised:
        measure(injected_start("switchover", fault_ms, "hd-a"), WATCHED, "switchover", "hd-b")
    message = str(raised.value)
    assert words in message and "hd-b" in message and "hd-a's clock" in message and "chronyc tracking" in message
    assert not isinstance(raised.value, ValueError)


def test_the_report_lists_each_nodes_clock_offset() -> None:
    amazon = (Path(__file__).parent / "fixtures" / "chronyc_tracking_amazon.txt").read_text()
    from hadrill.drill.clock import clock_reading

    waited = {
        **measure(injected_start("switchover", PREDICTED, "hd-a"), WATCHED, "switchover", "hd-b").as_dict(),
        "clocks": [clock_reading("hd-b", "after the takeover", amazon)],
    }
    injected = {"clocks": [clock_reading("hd-a", "at the fault", "")]}
    state = {
        "request": {"scenario": "switchover"},
        "drill": {"drillId": "d"},
        "phases": {"InjectFault": injected, "WaitForTakeover": waited},
        "failed": {},
    }
    built = _report(state)
    assert [(c["node"], c["known"]) for c in built["clocks"]] == [("hd-a", False), ("hd-b", True)]
    assert "hd-b after the takeover -0.012 ms (A9FEA97B (169.254.169.123))" in report.markdown(built)
