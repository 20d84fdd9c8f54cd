"""The client probe: connects to the virtual IP's HULFT receive port every 200 ms, as a partner would.

Started asynchronously (InvocationType Event) by the drill's InjectFault phase, in the clustering subnets
(a VPC function), so it reaches the VIP through the same route tables a partner in the VPC does. It writes
its timeline to the records table on each change and every few seconds, and stops when VerifyTakeover asks
it to (or at its own deadline). The decision is hadrill.client_probe.client_rto, made by VerifyTakeover.
"""

from __future__ import annotations

import os
import time
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BaseModel, ConfigDict, Field

from hadrill import client_probe, contracts
from hadrill import fields as f
from handlers.env import client, traced

logger = Logger(service="hadrill-client-probe")
RECORDS_TABLE_ENV = "HADRILL_RECORDS_TABLE"  # stacks.orchestration.wiring.ENV_RECORDS_TABLE
HEARTBEAT_ENV = contracts.ENV_PROBE_HEARTBEAT_MS
INTERVAL_ENV = contracts.ENV_PROBE_INTERVAL_MS
# Leave this much of the invocation for the last write.
MARGIN_MS = 5000


class ProbeRequest(BaseModel):
    """What InjectFault sends (hadrill.drill.probe_hooks.start)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    cluster: f.ClusterName
    drill_id: str = Field(alias="drillId", pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,79}$")
    host: str = Field(pattern=r"^[0-9]{1,3}(\.[0-9]{1,3}){3}$")
    port: int = Field(ge=1, le=65535)
    until_epoch_ms: int = Field(alias="untilEpochMs", gt=0)


def _now_ms() -> int:
    return int(time.time() * 1000)


@logger.inject_lambda_context
@traced("hadrill-client-probe")
def probe(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    request = ProbeRequest.model_validate(event)
    table = os.environ[RECORDS_TABLE_ENV]
    dynamodb = client("dynamodb")
    started = _now_ms()
    heartbeat_ms = int(os.environ.get(HEARTBEAT_ENV) or client_probe.HEARTBEAT_MS)
    interval_ms = client_probe.interval_ms(os.environ.get(INTERVAL_ENV))
    slept = 0.0

    def sleep(seconds: float) -> None:
        nonlocal slept
        slept += seconds
        time.sleep(seconds)

    until = min(request.until_epoch_ms, started + context.get_remaining_time_in_millis() - MARGIN_MS)

    def publish(timeline: client_probe.ProbeTimeline) -> bool:
        return client_probe.publish(
            dynamodb,
            table=table,
            cluster=request.cluster,
            drill_id=request.drill_id,
            timeline=timeline,
            now_ms=_now_ms(),
        )

    timeline = client_probe.run_probe(
        request.host,
        request.port,
        started_ms=started,
        until_ms=until,
        clock=_now_ms,
        sleep=sleep,
        # Looked up at each call: the local world puts its VIP seam here (localworld/vip_seam.py).
        connect=lambda host, port, timeout: client_probe.tcp_connect(host, port, timeout),
        publish=publish,
        heartbeat_ms=heartbeat_ms,
        interval_ms=interval_ms,
    )
    summary = {"target": timeline.target, "attempts": timeline.attempts, "failures": timeline.failures}
    logger.info("client probe done", extra=summary)
    # sleptMs: the waiting between connects, which the bench scales to real durations (bench/cost.py).
    return {**summary, "sleptMs": round(slept * 1000, 1)}
