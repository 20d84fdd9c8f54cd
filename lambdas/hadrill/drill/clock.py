"""Each node's clock against true time, from `chronyc tracking` (chrony, as on Amazon Linux with the
Amazon Time Sync Service at 169.254.169.123). The RTO subtracts the primary's clock from the standby's:
the offsets read around the fault say how far that subtraction can be off.

Format (chronyc(1), "tracking"; the Fedora System Administrator's Guide shows it): one "Name : value"
line per field, "System time : 0.000001501 seconds slow of NTP time" (slow: the clock is behind).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from hadrill.contracts import camel_fields

_LINE = re.compile(r"^(?P<name>[A-Za-z][A-Za-z ()]*?)\s*:\s*(?P<value>.*)$")
_SYSTEM_TIME = re.compile(r"^(?P<seconds>[0-9]+\.[0-9]+) seconds (?P<way>slow|fast) of NTP time$")
_SECONDS = re.compile(r"^(?P<seconds>[+-]?[0-9]+\.[0-9]+) seconds$")


@dataclass(frozen=True)
class ClockSync:
    reference: str
    stratum: int
    offset_seconds: float  # the system clock minus true time (chrony's estimate): positive is fast
    rms_offset_seconds: float | None
    root_dispersion_seconds: float | None
    leap_status: str

    @property
    def synchronised(self) -> bool:
        return self.leap_status != "Not synchronised" and self.stratum > 0

    def as_dict(self) -> dict[str, Any]:
        return {**camel_fields(self), "synchronised": self.synchronised}


def _seconds(value: str | None) -> float | None:
    match = _SECONDS.match(value or "")
    return float(match["seconds"]) if match else None


def parse_chrony_tracking(text: str) -> ClockSync | None:
    """The clock's state, or None when the output is not `chronyc tracking`'s (chrony not installed, the
    daemon not answering)."""
    fields: dict[str, str] = {}
    for line in text.splitlines():
        match = _LINE.match(line.strip())
        if match:
            fields[match["name"]] = match["value"].strip()
    system = _SYSTEM_TIME.match(fields.get("System time", ""))
    stratum = fields.get("Stratum", "")
    if system is None or not stratum.isdigit() or "Reference ID" not in fields:
        return None
    sign = -1.0 if system["way"] == "slow" else 1.0
    return ClockSync(
        reference=fields["Reference ID"],
        stratum=int(stratum),
        offset_seconds=sign * float(system["seconds"]),
        rms_offset_seconds=_seconds(fields.get("RMS offset")),
        root_dispersion_seconds=_seconds(fields.get("Root dispersion")),
        leap_status=fields.get("Leap status", ""),
    )


def clock_reading(node: str, when: str, raw: object) -> dict[str, Any]:
    """One entry of the report's clocks: what ``node``'s `chronyc tracking` said ``when``."""
    parsed = parse_chrony_tracking(raw) if isinstance(raw, str) else None
    if parsed is None:
        return {"node": node, "when": when, "known": False, "why": "no chronyc tracking output on the node"}
    return {"node": node, "when": when, "known": True, **parsed.as_dict()}
