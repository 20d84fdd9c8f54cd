"""The per-cluster drill lock: one item (cluster=<name>, recordId="lock") in the records table.

Taken with a conditional write, so two drills started at once cannot both hold it; it carries an
expiry, so a drill that died without releasing it blocks the cluster only until then: the next
drill breaks an expired lock and says so in its report. Release is conditional on the owner, so a
drill never releases a lock it does not hold (e.g. the one that stopped it).

A lock whose execution is no longer RUNNING (stopped by hand, or its orchestrator gone: issue 17) is
stale before it expires: the next drill asks Step Functions (DescribeExecution on the owner) and breaks
it, recording why. When the owner cannot be described (not an execution, no permission, an API
error), only the expiry counts, as before.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from hadrill.contracts import iso_utc
from hadrill.drill.model import DrillLocked

LOCK_RECORD_ID = "lock"
# DescribeExecution's status of an execution that still runs (everything else has ended).
RUNNING = "RUNNING"
StatusOf = Callable[[str], str | None]


@dataclass(frozen=True)
class LockTaken:
    broken: dict[str, str] | None  # the expired lock this drill broke, if any

    def as_dict(self) -> dict[str, Any]:
        return {"taken": True, "brokenStaleLock": self.broken}


iso = iso_utc  # the one formatter of record times


def _conditional_failure(error: Exception) -> bool:
    response = getattr(error, "response", None)
    return isinstance(response, dict) and response.get("Error", {}).get("Code") == "ConditionalCheckFailedException"


def _holder(item: dict[str, Any]) -> dict[str, str]:
    return {
        "drillId": item.get("drillId", {}).get("S", "?"),
        "execution": item.get("owner", {}).get("S", "?"),
        "acquired": iso(int(item.get("acquiredEpochMs", {}).get("N", "0"))),
        "expires": iso(int(item.get("expiresEpochMs", {}).get("N", "0"))),
    }


def _ended(status_of: StatusOf, execution: str) -> str | None:
    """The owner's status when its execution has ended (None: running, or unknown)."""
    try:
        status = status_of(execution)
    except Exception:  # unknown: fall back to the expiry
        return None
    return status if status is not None and status != RUNNING else None


def execution_status(client: Callable[[str], Any] | None) -> StatusOf | None:
    """A StatusOf reading Step Functions' DescribeExecution (None when there is no client)."""
    if client is None:
        return None

    def status_of(execution: str) -> str | None:
        if not execution.startswith("arn:") or ":execution:" not in execution:
            return None
        return str(client("stepfunctions").describe_execution(executionArn=execution)["status"])

    return status_of


def broken_summary(broken: dict[str, str]) -> str:
    if broken.get("reason", "expired") == "expired":
        return f"broke the expired lock of {broken['drillId']} (taken {broken['acquired']})"
    return f"broke the stale lock of {broken['drillId']} (taken {broken['acquired']}): {broken['reason']}"


def take(
    dynamodb: Any,
    *,
    table: str,
    cluster: str,
    owner: str,
    drill_id: str,
    now_ms: int,
    expires_ms: int,
    status_of: StatusOf | None = None,
) -> LockTaken:
    key = {"cluster": {"S": cluster}, "recordId": {"S": LOCK_RECORD_ID}}
    existing = dynamodb.get_item(TableName=table, Key=key, ConsistentRead=True).get("Item")
    broken: dict[str, str] | None = None
    names: dict[str, str] = {"#r": "recordId"}
    values: dict[str, Any] = {}
    condition = "attribute_not_exists(#r)"
    if existing is not None:
        holder = _holder(existing)
        expired = int(existing.get("expiresEpochMs", {}).get("N", "0")) <= now_ms
        ended = None if expired or status_of is None else _ended(status_of, holder["execution"])
        if not expired and ended is None:
            raise DrillLocked(
                f"another drill holds the lock on {cluster}: {holder['drillId']} ({holder['execution']}), "
                f"taken {holder['acquired']}, expires {holder['expires']}; this drill touched nothing"
            )
        # Break it only if it is still that same lock (another drill may break it first), and, when it
        # is broken for its expiry, still expired.
        broken = {**holder, "reason": "expired" if expired else f"its execution is {ended}, not RUNNING"}
        condition = "#o = :previous AND expiresEpochMs <= :now" if expired else "#o = :previous"
        names = {"#o": "owner"}
        values = {":previous": existing["owner"]}
        if expired:
            values[":now"] = {"N": str(now_ms)}
    item = {
        **key,
        "owner": {"S": owner},
        "drillId": {"S": drill_id},
        "acquiredEpochMs": {"N": str(now_ms)},
        "expiresEpochMs": {"N": str(expires_ms)},
    }
    request: dict[str, Any] = {
        "TableName": table,
        "Item": item,
        "ConditionExpression": condition,
        "ExpressionAttributeNames": names,
    }
    if values:
        request["ExpressionAttributeValues"] = values
    try:
        dynamodb.put_item(**request)
    except Exception as error:
        if _conditional_failure(error):
            raise DrillLocked(
                f"another drill took the lock on {cluster} at the same moment; this drill touched nothing"
            ) from None
        raise
    return LockTaken(broken)


def release(dynamodb: Any, *, table: str, cluster: str, owner: str) -> bool:
    """Delete the lock if this drill holds it; False when it does not (never taken, or broken)."""
    try:
        dynamodb.delete_item(
            TableName=table,
            Key={"cluster": {"S": cluster}, "recordId": {"S": LOCK_RECORD_ID}},
            ConditionExpression="#o = :me",
            ExpressionAttributeNames={"#o": "owner"},
            ExpressionAttributeValues={":me": {"S": owner}},
        )
    except Exception as error:
        if _conditional_failure(error):
            return False
        raise
    return True
