"""What SSM does with a Command document's parameters before the agent sees them.

moto stores documents (create_document) but sends commands without looking at them. Real SSM
rejects a SendCommand whose parameters are unknown, missing (no default) or fail their
allowedPattern (InvalidParameters), fills in defaults, and runs the step with the document's
own ``timeoutSeconds``. When the document is registered in moto the world does the same, so
the documents' patterns are exercised locally; unregistered documents pass through untouched
(or are refused with InvalidDocument when the world is strict about documents).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from moto.ssm.exceptions import SSMException

DEFAULT_EXECUTION_TIMEOUT_S = 3600  # aws:runShellScript's default timeoutSeconds


@dataclass(frozen=True)
class DeliveryPlan:
    """The parameters the node receives (defaults filled in) and the script's time limit."""

    parameters: dict[str, list[str]]
    timeout_seconds: int


def _invalid(message: str) -> SSMException:
    return SSMException("InvalidParameters", message)


def _as_values(value: Any) -> list[str]:
    return [str(v) for v in value] if isinstance(value, list) else [str(value)]


def _step_timeout(content: dict[str, Any]) -> int | None:
    for step in content.get("mainSteps") or []:
        timeout = (step.get("inputs") or {}).get("timeoutSeconds")
        if timeout is not None:
            return int(timeout)
    return None


def plan_delivery(content: dict[str, Any] | None, sent: dict[str, list[str]]) -> DeliveryPlan:
    """Check ``sent`` against the document ``content`` (None: not registered) and fill defaults."""
    if content is None:
        return DeliveryPlan({k: list(v) for k, v in sent.items()}, _legacy_timeout(sent))
    declared: dict[str, Any] = content.get("parameters") or {}
    unknown = sorted(sent.keys() - declared.keys())
    if unknown:
        raise _invalid(f"Parameters {unknown} are not defined in the document")
    merged: dict[str, list[str]] = {}
    for name, spec in declared.items():
        if name in sent:
            values = [str(v) for v in sent[name]]
        elif "default" in spec:
            values = _as_values(spec["default"])
        else:
            raise _invalid(f"Parameter {name} is required by the document")
        if spec.get("type", "String") == "String" and len(values) != 1:
            raise _invalid(f"Parameter {name} takes exactly one value")
        pattern = spec.get("allowedPattern")
        for value in values:
            # The whole value must match, as with Java's Pattern.matches (and the simulator's check).
            if pattern is not None and re.fullmatch(pattern, value) is None:
                raise _invalid(f"Parameter {name} value {value!r} does not match {pattern}")
            allowed = spec.get("allowedValues")
            if allowed is not None and value not in allowed:
                raise _invalid(f"Parameter {name} value {value!r} is not one of {allowed}")
        merged[name] = values
    timeout = _step_timeout(content) or _legacy_timeout(merged)
    return DeliveryPlan(merged, timeout)


def _legacy_timeout(parameters: dict[str, list[str]]) -> int:
    """AWS-RunShellScript style: an ``executionTimeout`` parameter, else the plugin default."""
    values = parameters.get("executionTimeout") or []
    try:
        return int(values[0]) if values else DEFAULT_EXECUTION_TIMEOUT_S
    except ValueError:
        return DEFAULT_EXECUTION_TIMEOUT_S


def registered_content(ssm_backend: Any, name: str | None) -> dict[str, Any] | None:
    """The parsed default version of a document in moto's SSM backend, None if there is none."""
    documents = ssm_backend._documents.get(name or "")
    if documents is None:
        return None
    content = documents.get_default_version().content_json
    return content if isinstance(content, dict) else None
