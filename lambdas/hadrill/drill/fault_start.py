"""Where the RTO starts, per scenario, and how that moment is known (observed or predicted).

network-down runs in a detached job DelaySeconds after InjectFault answers, so the drill only predicts
its start (InjectFault's time + DelaySeconds). The job stamps the moment the interface actually went down
on the node's root disk; once the node is recovered the drill reads it back (InjectFault
Fault=network-down-stamp) and measures the RTO from it. A stamp that cannot be read leaves the prediction,
and the RTO is labelled an estimate.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from hadrill.contracts import InjectFaultResult
from hadrill.drill.clock import clock_reading
from hadrill.drill.commands import STATUS_TIMEOUT, fault_command, last_words
from hadrill.drill.measure import FaultStart, measure, slo_check, watch_from_result
from hadrill.drill.model import ImplausibleRto, Scenario
from hadrill.drill.runtime import DrillState, Phase
from hadrill.errors import ParseError
from hadrill.facts import NodeFacts
from hadrill.node_commands import CommandWaitExpired, NodesOffline
from hadrill.results import read_result
from hadrill.verdicts import Check

STAMP = "network-down-stamp"
# How long the stamp's reader waits for its answer (one that answers at all answers in seconds).
STAMP_READ_SECONDS = 30.0

_SOURCES: dict[Scenario, str] = {
    "instance-stop": "the Lambda's clock just before the EC2 StopInstances call",
    "instance-reboot": "the Lambda's clock just before the EC2 RebootInstances call",
    "hulft-daemon-kill": "{node}'s clock just before the kill (InjectFault)",
    "switchover": "{node}'s clock as the switchover started (InjectFault)",
}


@dataclass(frozen=True)
class NetworkDownStamp:
    requested_epoch_ms: int  # the InjectFault run that started the job (matches its requested_epoch_ms)
    down_epoch_ms: int  # when the interface went down, on the node's clock


def parse_network_down_stamp(stdout: str) -> NetworkDownStamp:
    result = read_result(stdout, InjectFaultResult)
    if not result.ok:
        raise ParseError("network-down stamp", result.message)
    if result.requested_epoch_ms is None or result.stamp_epoch_ms is None:
        raise ParseError("network-down stamp", "requested_epoch_ms or stamp_epoch_ms missing")
    return NetworkDownStamp(result.requested_epoch_ms, result.stamp_epoch_ms)


def injected_start(scenario: Scenario, fault_epoch_ms: int, primary: str) -> FaultStart:
    """The start of a fault stamped as it was injected (every scenario but network-down)."""
    return FaultStart(fault_epoch_ms, _SOURCES[scenario].format(node=primary), observed=True)


def predicted_start(predicted_epoch_ms: int, primary: str, delay_seconds: int) -> FaultStart:
    source = (
        f"predicted: {primary}'s clock at InjectFault + DelaySeconds ({delay_seconds} s); the node's stamp is unread"
    )
    return FaultStart(predicted_epoch_ms, source, observed=False, predicted_epoch_ms=predicted_epoch_ms)


def observed_start(predicted: FaultStart, stamp: NetworkDownStamp, requested_epoch_ms: int, primary: str) -> FaultStart:
    """The stamp, when it is this drill's (its request time matches InjectFault's); else the prediction
    with the reason it stays an estimate."""
    if stamp.requested_epoch_ms != requested_epoch_ms:
        return unread_start(predicted, f"the stamp on {primary} is another fault's ({stamp.requested_epoch_ms})")
    source = f"observed: {primary}'s clock when the interface went down (stamped by the network-down job)"
    return FaultStart(stamp.down_epoch_ms, source, observed=True, predicted_epoch_ms=predicted.predicted_epoch_ms)


def unread_start(predicted: FaultStart, why: str) -> FaultStart:
    return FaultStart(predicted.epoch_ms, f"{predicted.source} ({why})", False, predicted.predicted_epoch_ms)


def read_start(phase: Phase, primary: NodeFacts, predicted: FaultStart, requested_epoch_ms: int) -> FaultStart:
    """Read the network-down stamp back from the (recovered) primary (and its clock, into phase.clocks)."""
    command = fault_command(phase.tools.facts, primary, STAMP, None, STATUS_TIMEOUT)
    try:
        [result] = phase.run([command], limit=STAMP_READ_SECONDS)
    except (CommandWaitExpired, NodesOffline) as error:
        return unread_start(predicted, f"{primary.name} did not answer: {error}")
    try:
        phase.clocks.append(
            clock_reading(primary.name, "after the recovery", read_result(result.stdout, InjectFaultResult).clock)
        )
        stamp = parse_network_down_stamp(result.stdout)
    except ParseError:
        return unread_start(predicted, last_words(result))
    return observed_start(predicted, stamp, requested_epoch_ms, primary.name)


def confirm_network_down_rto(phase: Phase, state: DrillState) -> dict[str, Any]:
    """Once the primary is back: measure a network-down's RTO again from the node's own stamp (or, when it
    cannot be read, from the prediction, labelled an estimate) and judge the SLO on it. Other scenarios'
    starts were stamped when injected: nothing to do."""
    waited = state.result("WaitForTakeover")
    if state.request.scenario != "network-down" or waited.rtoStart is None or waited.toNode is None:
        return {}
    facts = phase.tools.facts
    predicted = FaultStart.from_state(waited.rtoStart)
    requested = state.result("InjectFault").requestedEpochMs or 0
    start = read_start(phase, facts.primary, predicted, requested)
    try:
        measured = measure(start, watch_from_result(waited), state.request.scenario, waited.toNode)
    except ImplausibleRto as error:
        phase.check(Check("RTO measurable", False, str(error)))
        return {"clocks": phase.clocks}
    if start.observed:
        phase.event(f"network down on {facts.primary.name} (its stamp)", start.epoch_ms)
    phase.check(slo_check(measured, state.request.max_rto_seconds))
    return {"measurement": measured.as_dict(), "clocks": phase.clocks}
