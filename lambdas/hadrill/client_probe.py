"""The client-visible RTO: when a HULFT partner can connect to the virtual IP's receive port again.

The node-measured RTO ends when the daemons are up on the standby (the watcher's stamp). A partner sees
the outage end later, when a TCP connection to ``virtual_ip:receive_port`` succeeds again: the VIP route
must point at the new active node and hulrcvd must listen there. The probe (handlers/client_probe.py, a
Lambda function in the clustering subnets, so it reaches the VIP through the route tables as a partner
in the VPC does) connects and closes every 200 ms from the fault to the end of the takeover check; it
transfers no file. It keeps only the changes of reachability, not every attempt, and writes them to the
records table on each change and every few seconds (a heartbeat, which also reads the stop request that
VerifyTakeover writes). Everything that decides something is a pure function here, tested on fixtures.
"""

from __future__ import annotations

import json
import socket
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from hadrill.errors import ParseError, shown
from hadrill.verdicts import Check

# One connect every 200 ms (the resolution); inside a VPC a connect answers in about a millisecond,
# so the connect's own timeout can be the interval: a SYN that gets no answer within it is an outage.
PROBE_INTERVAL_MS = 200
MIN_INTERVAL_MS = 20  # a local world's setting (its takeovers last a fraction of a second)
CONNECT_TIMEOUT_SECONDS = 0.2
# How often the probe writes its timeline without a change (and reads the stop request).
HEARTBEAT_MS = 2000
# A probe whose last write is older than this at the end of the check is taken as stopped (crashed).
STALE_MS = 3 * HEARTBEAT_MS
# The probe's record in the records table (cluster, recordId), expiring after a week.
RECORD_PREFIX = "client-probe#"
RECORD_TTL_SECONDS = 7 * 24 * 3600
# How far past the end of the takeover check the probe runs at most when nobody stops it.
STOP_ALLOWANCE_SECONDS = 60
# Lambda's limit less a margin: the probe's own deadline never passes its function's timeout.
MAX_PROBE_SECONDS = 880

RECORD = "the client probe's record"
Connect = Callable[[str, int, float], tuple[bool, str]]


def record_id(drill_id: str) -> str:
    return f"{RECORD_PREFIX}{drill_id}"


def tcp_connect(host: str, port: int, timeout: float) -> tuple[bool, str]:
    """Connect and close at once, as a partner's connection attempt does before it sends anything.
    (True, "connected") or (False, what the socket said). The local world replaces this (its VIP is
    no address on this machine): localworld/vip_seam.py."""
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True, "connected"
    except TimeoutError as error:
        return False, str(error) or "timed out"
    except ConnectionRefusedError:
        return False, "connection refused"
    except OSError as error:
        return False, error.strerror or type(error).__name__


@dataclass(frozen=True)
class Change:
    """The probe saw the port become reachable (its first successful connect) or unreachable."""

    epoch_ms: int
    reachable: bool
    detail: str


@dataclass(frozen=True)
class ProbeTimeline:
    """What the probe saw: the changes of reachability, the number of attempts, its last attempt."""

    target: str  # "<virtual ip>:<receive port>"
    started_ms: int
    last_ms: int = 0
    attempts: int = 0
    failures: int = 0
    changes: tuple[Change, ...] = ()
    stopped: bool = False
    last_error: str = ""
    writes: int = 0  # records written, this one included (the cost: one DynamoDB write each)

    def with_attempt(self, epoch_ms: int, reachable: bool, detail: str) -> ProbeTimeline:
        """This timeline after one more attempt; a change is kept only when reachability changed."""
        changes = self.changes
        if not changes or changes[-1].reachable != reachable:
            changes = (*changes, Change(epoch_ms, reachable, detail))
        return replace(
            self,
            last_ms=epoch_ms,
            attempts=self.attempts + 1,
            failures=self.failures + (0 if reachable else 1),
            changes=changes,
            last_error=self.last_error if reachable else detail,
        )

    def to_json(self) -> str:
        return json.dumps(
            {
                "target": self.target,
                "startedMs": self.started_ms,
                "lastMs": self.last_ms,
                "attempts": self.attempts,
                "failures": self.failures,
                "stopped": self.stopped,
                "lastError": self.last_error,
                "writes": self.writes,
                "changes": [[c.epoch_ms, c.reachable, c.detail] for c in self.changes],
            },
            separators=(",", ":"),
        )


def _whole(raw: Mapping[str, Any], key: str) -> int:
    value = raw.get(key)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ParseError(RECORD, f"{key} is {shown(value)}, not a whole number")
    return value


def parse_timeline(text: str) -> ProbeTimeline:
    """The probe's record as it wrote it (ProbeTimeline.to_json); ParseError on any other shape."""
    try:
        raw = json.loads(text)
    except (ValueError, RecursionError) as error:
        raise ParseError(RECORD, f"not JSON: {error}") from None
    if not isinstance(raw, dict):
        raise ParseError(RECORD, f"{shown(raw)} is not an object")
    target = raw.get("target")
    if not isinstance(target, str) or not target:
        raise ParseError(RECORD, f"target is {shown(target)}")
    changes_raw = raw.get("changes")
    if not isinstance(changes_raw, list):
        raise ParseError(RECORD, f"changes is {shown(changes_raw)}, not a list")
    changes: list[Change] = []
    for item in changes_raw:
        if (
            not isinstance(item, list)
            or len(item) != 3
            or isinstance(item[0], bool)
            or not isinstance(item[0], int)
            or not isinstance(item[1], bool)
            or not isinstance(item[2], str)
        ):
            raise ParseError(RECORD, f"a change is {shown(item)}, not [epochMs, reachable, detail]")
        if changes and (item[0] < changes[-1].epoch_ms or item[1] == changes[-1].reachable):
            raise ParseError(RECORD, f"change {shown(item)} is out of order or repeats the last one")
        changes.append(Change(item[0], item[1], item[2]))
    stopped = raw.get("stopped", False)
    last_error = raw.get("lastError", "")
    if not isinstance(stopped, bool) or not isinstance(last_error, str):
        raise ParseError(RECORD, "stopped or lastError has the wrong type")
    timeline = ProbeTimeline(
        target=target,
        started_ms=_whole(raw, "startedMs"),
        last_ms=_whole(raw, "lastMs"),
        attempts=_whole(raw, "attempts"),
        failures=_whole(raw, "failures"),
        changes=tuple(changes),
        stopped=stopped,
        last_error=last_error,
        writes=_whole(raw, "writes") if "writes" in raw else 0,
    )
    if timeline.failures > timeline.attempts or len(changes) > timeline.attempts:
        raise ParseError(RECORD, "more failures or changes than attempts")
    return timeline


@dataclass(frozen=True)
class ClientRto:
    """The client-visible RTO of one drill and the check it makes."""

    check: Check
    seconds: float | None = None  # fault -> first successful connect after the outage
    restored_ms: int | None = None  # that connect
    outage_ms: int | None = None  # the first failed connect after the fault
    gap_seconds: float | None = None  # client RTO - node RTO
    events: tuple[tuple[str, int], ...] = field(default_factory=tuple)

    def as_report(self, timeline: ProbeTimeline | None) -> dict[str, Any]:
        return {
            "target": timeline.target if timeline else None,
            "seconds": self.seconds,
            "gapToNodeRtoSeconds": self.gap_seconds,
            "outageEpochMs": self.outage_ms,
            "firstConnectEpochMs": self.restored_ms,
            "attempts": timeline.attempts if timeline else 0,
            "writes": timeline.writes if timeline else 0,
            "failures": timeline.failures if timeline else 0,
            "passed": self.check.passed,
            "detail": self.check.detail,
        }


CHECK_NAME = "clients reach the VIP's receive port"


def client_rto_text(client: dict[str, Any]) -> str:
    """The client-visible RTO in one line, beside the node RTO (issue 17)."""
    seconds, gap = client.get("seconds"), client.get("gapToNodeRtoSeconds")
    if seconds is None:
        return f"not measured: {client.get('detail', '')}"
    gap_text = "" if gap is None else f", {gap:+.3f} s against the node RTO"
    target = f" to {client['target']}" if client.get("target") else ""
    return f"{seconds:.3f} s (first successful connect{target}{gap_text})"


def client_rto(
    timeline: ProbeTimeline | None,
    *,
    fault_ms: int,
    until_ms: int,
    node_rto_seconds: float | None,
    target: str,
    active_node: str,
) -> ClientRto:
    """Decide from the probe's timeline, read at the end of the takeover check (``until_ms``).

    The outage starts at the first failed connect at or after the fault; it ends at the first successful
    connect after the last failure (a port that flaps is not back until it stays back). A timeline that
    ends unreachable fails the drill: the daemons may be up, but no partner can connect."""
    if timeline is None:
        return ClientRto(Check(CHECK_NAME, False, f"the client probe never reported: no connect to {target} recorded"))
    seen = f"{timeline.attempts} connect(s), {timeline.failures} failed"
    if not timeline.changes:
        return ClientRto(Check(CHECK_NAME, False, f"the client probe made no connect to {target}"))
    late = timeline.started_ms - fault_ms
    late_note = f"; the probe started {late / 1000:.1f} s after the fault" if late > PROBE_INTERVAL_MS else ""
    if not timeline.changes[0].reachable and timeline.changes[0].epoch_ms < fault_ms - PROBE_INTERVAL_MS:
        # Unreachable before the fault too: the probe's own path (security group, route) is the suspect.
        late_note += "; the probe could not connect even before the fault (security group or route?)"
    last = timeline.changes[-1]
    failed_after_fault = [c for c in timeline.changes if not c.reachable and c.epoch_ms >= fault_ms - PROBE_INTERVAL_MS]
    first_failure = failed_after_fault[0] if failed_after_fault else None
    stale = until_ms - timeline.last_ms > STALE_MS and not timeline.stopped
    if not last.reachable:
        since = (last.epoch_ms - fault_ms) / 1000
        why = (
            f"the probe stopped reporting {(until_ms - timeline.last_ms) / 1000:.1f} s before the end; "
            if stale
            else ""
        )
        return ClientRto(
            Check(
                CHECK_NAME,
                False,
                f"{why}no TCP connect to {target} succeeded from {since:.1f} s after the fault to the end of the "
                f"takeover check ({seen}; last: {timeline.last_error or last.detail}): partners cannot reach "
                f"HULFT on {active_node}{late_note}",
            ),
            outage_ms=first_failure.epoch_ms if first_failure else last.epoch_ms,
            events=((f"clients cannot connect to {target}", last.epoch_ms),),
        )
    if first_failure is None:
        # Every connect succeeded: partners saw no outage (a daemon other than hulrcvd, or a probe too late).
        return ClientRto(
            Check(CHECK_NAME, True, f"no connect to {target} failed ({seen}): partners saw no outage{late_note}"),
            seconds=0.0,
            gap_seconds=None if node_rto_seconds is None else round(-node_rto_seconds, 3),
        )
    seconds = round((last.epoch_ms - fault_ms) / 1000, 3)
    gap = None if node_rto_seconds is None else round(seconds - node_rto_seconds, 3)
    flaps = sum(1 for c in timeline.changes if not c.reachable and c.epoch_ms >= first_failure.epoch_ms) - 1
    flap_note = f"; the port went away again {flaps} time(s) before it stayed" if flaps > 0 else ""
    gap_note = "" if gap is None else f" ({gap:+.3f} s after the node RTO)"
    return ClientRto(
        Check(
            CHECK_NAME,
            True,
            f"first successful connect to {target} {seconds:.3f} s after the fault{gap_note}; {seen}"
            f"{flap_note}{late_note}",
        ),
        seconds=seconds,
        restored_ms=last.epoch_ms,
        outage_ms=first_failure.epoch_ms,
        gap_seconds=gap,
        events=(
            (f"clients cannot connect to {target}", first_failure.epoch_ms),
            (f"first client connect to {target}", last.epoch_ms),
        ),
    )


def interval_ms(setting: str | None) -> int:
    """How often to connect: the setting (ms), kept between 20 ms and PROBE_INTERVAL_MS, the resolution
    the client RTO is documented with; unset or not a number: PROBE_INTERVAL_MS."""
    try:
        wanted = int(setting or PROBE_INTERVAL_MS)
    except ValueError:
        return PROBE_INTERVAL_MS
    return min(max(wanted, MIN_INTERVAL_MS), PROBE_INTERVAL_MS)


def run_probe(
    host: str,
    port: int,
    *,
    started_ms: int,
    until_ms: int,
    clock: Callable[[], int],
    sleep: Callable[[float], None],
    connect: Connect,
    publish: Callable[[ProbeTimeline], bool],
    interval_ms: int = PROBE_INTERVAL_MS,
    heartbeat_ms: int = HEARTBEAT_MS,
) -> ProbeTimeline:
    """Connect every ``interval_ms`` until ``until_ms`` or until ``publish`` says a stop was asked for.

    ``publish`` writes the timeline (on each change and every ``heartbeat_ms``) and returns True when
    VerifyTakeover has asked the probe to stop. Returns the last timeline, written with ``stopped``."""
    timeline = ProbeTimeline(target=f"{host}:{port}", started_ms=started_ms)
    next_at = clock()
    published_at = next_at
    while True:
        now = clock()
        if now >= until_ms:
            break
        reachable, detail = connect(host, port, CONNECT_TIMEOUT_SECONDS)
        changed = not timeline.changes or timeline.changes[-1].reachable != reachable
        timeline = timeline.with_attempt(now, reachable, detail)
        if changed or now - published_at >= heartbeat_ms:
            published_at = now
            timeline = replace(timeline, writes=timeline.writes + 1)
            if publish(timeline):
                break
        next_at += interval_ms
        wait_ms = next_at - clock()
        if wait_ms > 0:
            sleep(wait_ms / 1000)
        else:
            next_at = clock()  # a slow connect: start again from now rather than burst
    timeline = replace(timeline, stopped=True, writes=timeline.writes + 1)
    publish(timeline)
    return timeline


def probe_until_ms(fault_ms: int, takeover_timeout_seconds: int, verify_allowance_seconds: float) -> int:
    """When the probe stops by itself if nobody stops it: the longest takeover wait, the check, a margin,
    never past the function's own limit."""
    seconds = min(takeover_timeout_seconds + verify_allowance_seconds + STOP_ALLOWANCE_SECONDS, MAX_PROBE_SECONDS)
    return fault_ms + int(seconds * 1000)


# -- the record in the records table -----------------------------------------------------------------


def _key(cluster: str, drill_id: str) -> dict[str, Any]:
    return {"cluster": {"S": cluster}, "recordId": {"S": record_id(drill_id)}}


def publish(dynamodb: Any, *, table: str, cluster: str, drill_id: str, timeline: ProbeTimeline, now_ms: int) -> bool:
    """Write the timeline (one UpdateItem) and return whether VerifyTakeover asked the probe to stop."""
    response = dynamodb.update_item(
        TableName=table,
        Key=_key(cluster, drill_id),
        UpdateExpression="SET #t = :t, expiresAt = :e",
        ExpressionAttributeNames={"#t": "timeline"},
        ExpressionAttributeValues={
            ":t": {"S": timeline.to_json()},
            ":e": {"N": str(now_ms // 1000 + RECORD_TTL_SECONDS)},
        },
        ReturnValues="ALL_NEW",
    )
    return bool(response.get("Attributes", {}).get("stopRequested", {}).get("BOOL", False))


def stop_and_read(dynamodb: Any, *, table: str, cluster: str, drill_id: str, now_ms: int) -> ProbeTimeline | None:
    """Ask the probe to stop and read what it wrote so far, in one UpdateItem (None: it never wrote)."""
    response = dynamodb.update_item(
        TableName=table,
        Key=_key(cluster, drill_id),
        UpdateExpression="SET stopRequested = :s, expiresAt = if_not_exists(expiresAt, :e)",
        ExpressionAttributeValues={":s": {"BOOL": True}, ":e": {"N": str(now_ms // 1000 + RECORD_TTL_SECONDS)}},
        ReturnValues="ALL_NEW",
    )
    text = response.get("Attributes", {}).get("timeline", {}).get("S")
    return None if text is None else parse_timeline(str(text))
