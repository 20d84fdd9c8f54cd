"""Lambda's asynchronous invocation (InvocationType "Event") in the local world.

Seam: ``moto.awslambda.models.LambdaFunction.invoke``. moto runs an Event invocation to its end before
it answers 202; Lambda queues it and answers at once. The drill starts its client probe that way and
goes on while the probe runs, so here an Event invocation runs ``_invoke_lambda`` (the world's in-process
or deployed runner) on a thread of its own and answers at once. The world joins these threads at close.
"""

from __future__ import annotations

import json
import logging
import threading
from contextlib import ExitStack
from typing import Any
from unittest import mock

from moto.awslambda import models as lambda_models

LOG = logging.getLogger(__name__)


class AsyncInvocations:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._threads: list[threading.Thread] = []

    def install(self, stack: ExitStack) -> None:
        original = lambda_models.LambdaFunction.invoke
        invocations = self

        def invoke(function: Any, body: str, request_headers: Any, response_headers: Any) -> str | bytes:
            kind = request_headers.get("x-amz-invocation-type") or request_headers.get("X-Amz-Invocation-Type")
            if kind != "Event":
                return original(function, body, request_headers, response_headers)
            event = json.loads(body) if body else "{}"
            thread = threading.Thread(
                target=function._invoke_lambda, kwargs={"event": event}, name=f"event-{function.function_name}"
            )
            thread.daemon = True
            with invocations._lock:
                invocations._threads = [t for t in invocations._threads if t.is_alive()] + [thread]
            thread.start()
            return ""

        stack.enter_context(mock.patch.object(lambda_models.LambdaFunction, "invoke", invoke))

    def join(self, timeout_s: float) -> list[str]:
        """Wait for running Event invocations; the names of those still running after ``timeout_s``."""
        with self._lock:
            threads = list(self._threads)
        for thread in threads:
            thread.join(timeout=timeout_s)
        return [t.name for t in threads if t.is_alive()]
