"""What a drill costs at real-world durations, from what its execution actually used (issue 18).

Running five drills at full length (a 60 s takeover, a 120 s reboot, a 300 s resync: about 10 minutes
each) is too slow for a bench, so the world runs at ``scale`` (0.02 by default): the simulator's delays
and the Step Functions Wait states are both multiplied by it, and the functions size their waits from
the (scaled) simulator. What is counted does not depend on the scale:

- state transitions: StateEntered events in the execution history (each Wait counts once, however long);
- Lambda requests: the Lambda tasks in the history;
- Lambda GB-seconds: every invocation is timed in the local world (the call of its handler), and each
  handler says how long of that it slept polling node commands (``sleptMs``). The sleeping is the part
  that scales with the simulator's delays, the rest is work: at full scale an invocation lasts
  ``work + slept / scale`` (rounded up to the millisecond, as Lambda bills), times its memory. This
  overstates the full-scale time (a simulated status command answers in milliseconds in real bash,
  and its poll is scaled up too): the cost it gives is an upper bound.

Prices: Step Functions standard $0.025 per 1,000 transitions, Lambda x86 $0.0000166667 per GB-s and
$0.20 per 1M requests (us-east-1), the same as the drill report's.
"""

from __future__ import annotations

import json
import math
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import Any
from unittest import mock

from simulator import Timings

USD_PER_STATE_TRANSITION = 0.025 / 1000
USD_PER_LAMBDA_GB_SECOND = 0.0000166667
USD_PER_LAMBDA_REQUEST = 0.20 / 1_000_000

# The real-world durations (seconds).
REAL_TAKEOVER_SECONDS = 60.0
REAL_REBOOT_SECONDS = 120.0
REAL_RESYNC_SECONDS = 300.0
REAL_LK_START_SECONDS = 10.0
DEFAULT_SCALE = 0.02


def real_timings(scale: float = 1.0) -> Timings:
    """The simulator at real-world durations times ``scale``: a 60 s takeover (45 s detection, three
    missed 15 s heartbeats, then 15 s restore; a killed daemon is back in 60 s too), a 120 s reboot and
    a 300 s full resync."""
    return Timings(
        heartbeat_seconds=REAL_TAKEOVER_SECONDS * 0.75 / 3 * scale,
        missed_heartbeats=3,
        restore_seconds=REAL_TAKEOVER_SECONDS * 0.25 * scale,
        local_recovery_seconds=REAL_TAKEOVER_SECONDS * scale,
        reboot_seconds=REAL_REBOOT_SECONDS * scale,
        resync_seconds=REAL_RESYNC_SECONDS * scale,
        lose_after_seconds=Timings.fast().lose_after_seconds,
        lk_start_seconds=REAL_LK_START_SECONDS * scale,
    )


@dataclass(frozen=True)
class Invocation:
    function: str
    seconds: float  # the handler call, wall time
    slept: float  # of which the handler slept polling node commands
    memory_mb: int

    def full_scale_ms(self, scale: float) -> int:
        work = max(self.seconds - self.slept, 0.0)
        return math.ceil((work + self.slept / scale) * 1000)


@dataclass
class LambdaMeter:
    """Times every Lambda invocation of the open local world (see lambda_meter)."""

    invocations: list[Invocation] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def take(self) -> list[Invocation]:
        with self.lock:
            taken, self.invocations = self.invocations, []
        return taken


@contextmanager
def lambda_meter() -> Iterator[LambdaMeter]:
    """Wrap the world's in-process Lambda runner (open the world first) and time each invocation."""
    from moto.awslambda.models import LambdaFunction

    meter = LambdaMeter()
    inner = LambdaFunction._invoke_lambda

    def timed(function: Any, event: Any = None) -> tuple[str, bool, str]:
        started = time.perf_counter()
        payload, errored, logs = inner(function, event)
        seconds = time.perf_counter() - started
        slept = 0.0
        try:
            body = json.loads(payload) if payload else None
            if isinstance(body, dict):
                slept = float(body.get("sleptMs", 0)) / 1000
        except (ValueError, TypeError):
            pass
        name = str(getattr(function, "function_name", "?"))
        memory = int(getattr(function, "memory_size", 128) or 128)
        with meter.lock:
            meter.invocations.append(Invocation(name, seconds, min(slept, seconds), memory))
        return payload, errored, logs

    with mock.patch.object(LambdaFunction, "_invoke_lambda", timed):
        yield meter


@dataclass(frozen=True)
class DrillCost:
    outcome: str
    transitions: int
    waits: int  # Wait states entered
    lambdas: int
    gb_seconds: float  # at full scale
    slept_seconds: float  # as run, before scaling
    usd: float  # at full scale
    wall_seconds: float

    @property
    def step_functions_usd(self) -> float:
        return self.transitions * USD_PER_STATE_TRANSITION


def price(transitions: int, invocations: list[Invocation], scale: float) -> tuple[float, float]:
    """(GB-seconds at full scale, USD at full scale) for one execution's transitions and invocations."""
    gb_seconds = sum(i.full_scale_ms(scale) / 1000 * i.memory_mb / 1024 for i in invocations)
    usd = (
        transitions * USD_PER_STATE_TRANSITION
        + len(invocations) * USD_PER_LAMBDA_REQUEST
        + gb_seconds * USD_PER_LAMBDA_GB_SECOND
    )
    return gb_seconds, usd


# The client probe (issue 17) writes its timeline every 2 s in AWS (hadrill.client_probe.HEARTBEAT_MS) and
# at each change; DynamoDB on-demand, one write request unit each.
PROBE_HEARTBEAT_SECONDS = 2.0
USD_PER_DYNAMODB_WRITE = 0.625 / 1_000_000


def client_probe_at_scale(invocations: list[Invocation], run: Any, scale: float) -> tuple[list[Invocation], float]:
    """The client probe's invocation priced at full scale, and its DynamoDB writes (USD).

    The probe runs from the start of InjectFault to the end of VerifyTakeover (the report's probeMs). Of
    that, the takeover (the node RTO) scales with the simulator, like the drill's Wait states; the rest
    (the fault command, the takeover check) is work at this machine's speed, as in the phases. Its own
    metered time does not say this: locally each connect goes through moto (the VIP seam) and it writes
    at every attempt, so its work would be counted unscaled and its waiting undercounted."""
    probe = run.client_rto or {}
    if "probeMs" not in probe or run.rto is None:
        return invocations, 0.0
    seconds = float(probe["probeMs"]) / 1000
    takeover = min(float(run.rto), seconds)
    priced = [
        replace(i, seconds=seconds, slept=takeover) if i.function.endswith("-ClientProbe") else i for i in invocations
    ]
    full_seconds = seconds - takeover + takeover / scale
    writes = math.ceil(full_seconds / PROBE_HEARTBEAT_SECONDS) + 3  # heartbeats + the changes + the last
    return priced, writes * USD_PER_DYNAMODB_WRITE


def drill_cost(deployment: Any, meter: LambdaMeter, scale: float, **request: Any) -> DrillCost:
    """One drill on ``deployment`` (bench.drill.run_drill), priced from its history and timed invocations."""
    from bench.drill import run_drill

    meter.take()  # nothing before this drill
    run = run_drill(deployment, deployment.facts.cluster_name, **request)
    deployment.world.async_invocations.join(10.0)  # the client probe ends at its next connect after the check
    invocations, probe_writes_usd = client_probe_at_scale(meter.take(), run, scale)
    gb_seconds, usd = price(run.transitions, invocations, scale)
    usd += probe_writes_usd
    return DrillCost(
        outcome=run.outcome if run.outcome == "PASSED" else f"{run.outcome}: {run.reason}",
        transitions=run.transitions,
        waits=run.waits,
        lambdas=len(invocations),
        gb_seconds=gb_seconds,
        slept_seconds=sum(i.slept for i in invocations),
        usd=usd,
        wall_seconds=run.seconds,
    )
