"""The drill's side of the client probe (hadrill.client_probe): start it with the fault, stop it and
decide at the end of the takeover check, stop it after a failure.

Three calls from hadrill.drill.phases, each one marked "client-visible RTO (issue 17)": ``start`` in
InjectFault (before the fault, so the first connects show the port reachable), ``collect`` in
VerifyTakeover (the check and the report's ``clientRto``) and ``stop`` in RecoverAfterFailure.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from hadrill import client_probe, contracts
from hadrill.contracts import ProbeStart
from hadrill.errors import ParseError
from hadrill.facts import NodeFacts
from hadrill.verdicts import Check

ENV_CLIENT_PROBE = contracts.ENV_CLIENT_PROBE
# VerifyTakeover's own length at most (route settle, status commands, marker): the probe's deadline.
VERIFY_ALLOWANCE_SECONDS = 300.0
# A probe that still sees the port closed when the check ends gets this long to see it open (its write
# may trail the check by an attempt or two); only a failing drill pays for it.
LAST_LOOK_SECONDS = 1.0
# How long InjectFault waits for the probe's first connect before it injects the fault anyway.
PROBE_START_SECONDS = 10.0
NOT_DEPLOYED = "no client probe is deployed for this cluster (bring-your-own nodes without probe subnets)"


@dataclass(frozen=True)
class ProbeSettings:
    """HADRILL_CLIENT_PROBE: the probe function, the receive port, the probe's memory (for the cost)."""

    function: str
    port: int
    memory_mb: int = 128

    @classmethod
    def from_env(cls, text: str) -> ProbeSettings | None:
        if not text.strip():
            return None
        raw = json.loads(text)
        return cls(function=str(raw["function"]), port=int(raw["port"]), memory_mb=int(raw.get("memoryMb", 128)))


class _Tools(Protocol):  # what the hooks use of hadrill.drill.phases.Tools
    @property
    def facts(self) -> Any: ...
    @property
    def dynamodb(self) -> Any: ...
    @property
    def records_table(self) -> str: ...
    @property
    def client_probe(self) -> ProbeSettings | None: ...
    @property
    def lambda_client(self) -> Callable[[], Any] | None: ...
    @property
    def clock(self) -> Callable[[], int]: ...


def start(tools: _Tools, *, drill_id: str, takeover_timeout_seconds: int) -> dict[str, Any]:
    """Invoke the probe asynchronously (it runs while the drill goes on); never raises: a probe that did
    not start is a failed check at the end, not a fault that was never injected."""
    settings = tools.client_probe
    if settings is None or tools.lambda_client is None:
        return {"started": False, "deployed": False, "reason": NOT_DEPLOYED}
    now = tools.clock()
    until = client_probe.probe_until_ms(now, takeover_timeout_seconds, VERIFY_ALLOWANCE_SECONDS)
    target = f"{tools.facts.virtual_ip}:{settings.port}"
    payload = {
        "cluster": tools.facts.cluster_name,
        "drillId": drill_id,
        "host": tools.facts.virtual_ip,
        "port": settings.port,
        "untilEpochMs": until,
    }
    try:
        tools.lambda_client().invoke(
            FunctionName=settings.function, InvocationType="Event", Payload=json.dumps(payload).encode()
        )
    except Exception as error:  # any refusal (permissions, throttling) is reported, not raised
        return {"started": False, "deployed": True, "reason": f"{type(error).__name__}: {error}", "target": target}
    # Inject the fault only once the probe connects (its first record): a cold start (about a second for a
    # VPC function) must not hide a short outage, such as a switchover's. A probe that does not report in
    # time is left running; VerifyTakeover then says what it saw, or that it never reported.
    reporting = _wait_first_record(tools, drill_id)
    return {"started": True, "startedEpochMs": now, "untilEpochMs": until, "target": target, "reporting": reporting}


def _wait_first_record(tools: _Tools, drill_id: str) -> bool:
    deadline = time.monotonic() + PROBE_START_SECONDS
    while True:
        try:
            if _read(tools, drill_id) is not None:
                return True
        except ParseError:
            return True  # it wrote something: VerifyTakeover reports what is wrong with it
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.1)


def _read(tools: _Tools, drill_id: str) -> client_probe.ProbeTimeline | None:
    item = tools.dynamodb.get_item(
        TableName=tools.records_table,
        Key={"cluster": {"S": tools.facts.cluster_name}, "recordId": {"S": client_probe.record_id(drill_id)}},
        ConsistentRead=True,
    ).get("Item")
    text = (item or {}).get("timeline", {}).get("S")
    return None if text is None else client_probe.parse_timeline(str(text))


def collect(
    tools: _Tools,
    *,
    started: ProbeStart | None,
    drill_id: str,
    fault_ms: int,
    node_rto_seconds: float | None,
    active: NodeFacts,
    check: Callable[[Check], Any],
    event: Callable[[str, int], Any],
    sleep: Callable[[float], None] = time.sleep,
) -> dict[str, Any] | None:
    """Stop the probe, decide, add the check and the timeline events; the report's ``clientRto``."""
    if started is None:
        return None  # no fault was injected (a dry run)
    if not started.started:
        if started.deployed is False:
            return {"measured": False, "detail": started.reason or NOT_DEPLOYED}
        detail = f"the client probe did not start: {started.reason}"
        check(Check(client_probe.CHECK_NAME, False, detail))
        return {"measured": False, "passed": False, "detail": detail}
    target = str(started.target)
    try:
        deadline = time.monotonic() + LAST_LOOK_SECONDS
        while True:
            seen = _read(tools, drill_id)
            back = seen is not None and bool(seen.changes) and seen.changes[-1].reachable
            if back or time.monotonic() >= deadline:
                break
            sleep(client_probe.PROBE_INTERVAL_MS / 1000)
        now = tools.clock()
        timeline = client_probe.stop_and_read(
            tools.dynamodb, table=tools.records_table, cluster=tools.facts.cluster_name, drill_id=drill_id, now_ms=now
        )
    except ParseError as error:
        detail = f"the client probe's record cannot be read: {error}"
        check(Check(client_probe.CHECK_NAME, False, detail))
        return {"measured": False, "passed": False, "detail": detail, "target": target}
    verdict = client_probe.client_rto(
        timeline,
        fault_ms=fault_ms,
        until_ms=now,
        node_rto_seconds=node_rto_seconds,
        target=target,
        active_node=active.name,
    )
    check(verdict.check)
    for what, epoch_ms in verdict.events:
        event(what, epoch_ms)
    settings = tools.client_probe
    return {
        "measured": verdict.seconds is not None,
        **verdict.as_report(timeline),
        "target": target,
        "nodeRtoSeconds": node_rto_seconds,
        # What the probe cost: it ran from the start of InjectFault until now (it stops at its next write).
        "probeMs": max(now - (started.startedEpochMs or now), 0),
        "probeMemoryMb": settings.memory_mb if settings else 128,
    }


def stop(tools: _Tools, *, started: ProbeStart | None, drill_id: str) -> None:
    """After a failure: ask a running probe to stop (best effort; it ends at its own deadline anyway)."""
    if tools.client_probe is None or (started is not None and not started.started):
        return  # (no result from InjectFault: it may have started the probe and failed after; stop it anyway)
    try:
        client_probe.stop_and_read(
            tools.dynamodb,
            table=tools.records_table,
            cluster=tools.facts.cluster_name,
            drill_id=drill_id,
            now_ms=tools.clock(),
        )
    except Exception:  # best effort, like the rest of the recovery
        return
