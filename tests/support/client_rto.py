"""What every drill's report must say about the client-visible RTO (issue 17)."""

from __future__ import annotations

from typing import Any


def assert_client_rto(report: dict[str, Any] | None, *, outage: bool) -> dict[str, Any]:
    """The client RTO was measured by the probe beside the node RTO: fault -> first successful connect
    (0 when no connect failed), its gap to the node RTO, the check passed, the connect on the timeline."""
    assert report is not None
    client = report["client_rto"]
    assert client is not None and client["measured"] is True, client
    assert client["passed"] is True, client["detail"]
    check = next(c for c in report["checks"] if c["name"] == "clients reach the VIP's receive port")
    assert check["passed"] and check["phase"] == "VerifyTakeover"
    assert client["attempts"] >= 2 and client["writes"] >= 2
    phases = [e["phase"] for e in report["timeline"]]
    if outage:
        assert client["seconds"] > 0 and client["failures"] >= 1
        assert client["gapToNodeRtoSeconds"] == round(client["seconds"] - report["rto_seconds"], 3)
        first = next(e for e in report["timeline"] if e["phase"].startswith("first client connect to"))
        assert first["epoch_ms"] == client["firstConnectEpochMs"]
        # Both RTOs start at the report's fault: a network-down's is the primary's own stamp, observed.
        fault = next(e for e in report["timeline"] if e["kind"] == "fault")
        assert fault["epoch_ms"] == report["fault_epoch_ms"]
        if report["rto_start"] is not None:
            assert report["rto_start"]["epoch_ms"] == report["fault_epoch_ms"]
        assert client["seconds"] == round((first["epoch_ms"] - report["fault_epoch_ms"]) / 1000, 3)
    else:
        assert client["seconds"] == 0.0 and client["failures"] == 0
        assert not any(p.startswith("first client connect") for p in phases)
    assert report["cost"]["client_probe"]["lambda_invocations"] == 1
    return client
