"""Seams in moto's Step Functions interpreter (LocalStack's, vendored under moto.stepfunctions.parser).

- Wait states block in ``WaitFunction._wait_interval(self, env, wait_seconds)``; it rounds the
  time waited to whole seconds, so it cannot simply be handed a fraction: it is replaced by a
  scaled wait that still wakes up when the execution is stopped.
- Retry backoff is ``time.sleep(interval)`` in ``retrier_decl``: that module's ``time`` is
  replaced by one whose ``sleep`` is scaled.
- Every Task builds a new boto3 client through ``boto_client_for`` (``boto3.client(...)``), which
  costs about as much as the call itself; that module's ``boto3`` is replaced by
  ``localworld.clients.INTERPRETER_BOTO3``, which hands out one client per service and region.
"""

from __future__ import annotations

import time
from typing import Any

WAIT_MODULE = "moto.stepfunctions.parser.asl.component.state.wait.wait_function.wait_function"
RETRIER_MODULE = "moto.stepfunctions.parser.asl.component.common.retry.retrier_decl"
CLIENT_MODULE = "moto.stepfunctions.parser.asl.utils.boto_client"


class ScaledTime:
    """Stands in for the ``time`` module inside the retrier: sleeps are scaled, the rest is time's."""

    def __init__(self, scale: float) -> None:
        self._scale = scale

    def sleep(self, seconds: float) -> None:
        time.sleep(max(0.0, seconds * self._scale))

    def __getattr__(self, name: str) -> Any:
        return getattr(time, name)


def scaled_wait_interval(scale: float) -> Any:
    """A replacement for ``WaitFunction._wait_interval`` that waits ``wait_seconds * scale``."""

    def _wait_interval(self: Any, env: Any, wait_seconds: float) -> None:
        deadline = time.monotonic() + max(0.0, wait_seconds * scale)
        # program_state_event is set when the execution stops: stop waiting then, as moto does.
        while env.is_running():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return
            env.program_state_event.wait(remaining)

    return _wait_interval
