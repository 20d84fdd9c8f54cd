"""The per-cluster drill lock: one item (cluster=<name>, recordId="lock") in the records table.

Taken with a conditional write, so two drills started at once cannot both hold it; it carries an
expiry, so a drill that died without releasing it blocks the cluster only until then: the next
drill breaks an expired lock and says so in its report. Release is conditional on the owner, so a
drill never releases a lock it does not hold (e.g. the one that stopped it).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from hadrill.contracts import iso_utc
from hadrill.drill.model import DrillLocked

LOCK_RECORD_ID = "lock"


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


def take(
    dynamodb: Any, *, table: str, cluster: str, owner: str, drill_id: str, now_ms: int, expires_ms: int
) -> LockTaken:
    key = {"cluster": {"S": cluster}, "recordId": {"S": LOCK_RECORD_ID}}
    existing = dynamodb.get_item(TableName=table, Key=key, ConsistentRead=True).get("Item")
    broken: dict[str, str] | None = None
    names: dict[str, str] = {"#r": "recordId"}
    values: dict[str, Any] = {}
    condition = "attribute_not_exists(#r)"
    if existing is not None:
        holder = _holder(existing)
        if int(existing.get("expiresEpochMs", {}).get("N", "0")) > now_ms:
            raise DrillLocked(
                f"another drill holds the lock on {cluster}: {holder['drillId']} ({holder['execution']}), "
                f"taken {holder['acquired']}, expires {holder['expires']}; this drill touched nothing"
            )
        # Break it only if it is still that same expired lock (another drill may break it first).
        broken = holder
        condition = "#o = :previous AND expiresEpochMs <= :now"
        names = {"#o": "owner"}
        values = {":previous": existing["owner"], ":now": {"N": str(now_ms)}}
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
