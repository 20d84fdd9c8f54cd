"""Lambda handlers called in-process instead of in moto's Docker containers.

Seam: ``moto.awslambda.models.LambdaFunction._invoke_lambda(self, event) -> (payload, errored,
logs)``, the only place moto touches Docker. It is reached only through moto's Docker-capable
backend, so the world keeps ``lambda.use_docker`` at its default (True): with False moto swaps
in ``LambdaSimpleBackend``, which echoes the input and never calls ``_invoke_lambda``.
"""

from __future__ import annotations

import importlib
import io
import json
import threading
import time
import traceback
import uuid
from collections.abc import Callable, Iterator, Mapping, MutableMapping
from contextlib import contextmanager
from typing import Any, TextIO

Handler = Callable[[Any, Any], Any]

# Defaults a Lambda runtime would provide; the function's own variables win.
_RUNTIME_DEFAULTS = {
    # Powertools Tracer needs the X-Ray SDK when it thinks it is in Lambda: keep it off.
    "POWERTOOLS_TRACE_DISABLED": "true",
}


class LambdaContext:
    """The attributes of the Lambda runtime's context object that handlers and Powertools read."""

    def __init__(self, *, function_name: str, function_arn: str, memory_mb: int, timeout_s: float) -> None:
        self.function_name = function_name
        self.function_version = "$LATEST"
        self.invoked_function_arn = function_arn
        self.memory_limit_in_mb = memory_mb
        self.aws_request_id = str(uuid.uuid4())
        self.log_group_name = f"/aws/lambda/{function_name}"
        self.log_stream_name = f"localworld/{self.aws_request_id}"
        self.identity: Any = None
        self.client_context: Any = None
        self.tenant_id: str | None = None
        self.timeout_s = timeout_s
        self._deadline = time.monotonic() + timeout_s

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


def resolve_handler(dotted: str) -> Handler:
    """``"handlers.setup.validate_input"`` -> the function ``validate_input`` of ``handlers.setup``."""
    module_name, _, attribute = dotted.rpartition(".")
    if not module_name:
        raise ValueError(f"handler {dotted!r} is not a dotted path module.function")
    handler = getattr(importlib.import_module(module_name), attribute)
    if not callable(handler):
        raise TypeError(f"handler {dotted!r} is not callable")
    return handler  # type: ignore[no-any-return]


class ThreadEnviron(MutableMapping[str, str]):
    """Stands in for ``os.environ`` while a world is open: the thread running a Lambda handler sees
    its function's variables over the process environment, every other thread sees the process
    environment. Lambdas may then run at once (Parallel branches, concurrent executions, handlers
    that poll SSM for a while) without seeing each other's variables.

    Python code reads ``os.environ``/``os.getenv`` at call time, so it sees the overlay; a child
    process started by a handler inherits only the process environment.
    """

    def __init__(self, base: MutableMapping[str, str]) -> None:
        self._base = base
        self._local = threading.local()

    def _overlay(self) -> dict[str, str | None] | None:  # None value: deleted in this invocation
        overlay: dict[str, str | None] | None = getattr(self._local, "overlay", None)
        return overlay

    @contextmanager
    def overlay(self, variables: Mapping[str, str]) -> Iterator[None]:
        """Give the current thread ``variables`` on top of the process environment (nestable: a
        handler that invokes another function synchronously lends it its thread)."""
        previous = self._overlay()
        self._local.overlay = dict(variables)
        try:
            yield
        finally:
            self._local.overlay = previous

    def __getitem__(self, name: str) -> str:
        overlay = self._overlay()
        if overlay is not None and name in overlay:
            value = overlay[name]
            if value is None:
                raise KeyError(name)
            return value
        return self._base[name]

    def __setitem__(self, name: str, value: str) -> None:
        overlay = self._overlay()
        if overlay is None:
            self._base[name] = value
        else:
            overlay[name] = value

    def __delitem__(self, name: str) -> None:
        overlay = self._overlay()
        if overlay is None:
            del self._base[name]
            return
        if name not in self:
            raise KeyError(name)
        overlay[name] = None

    def __iter__(self) -> Iterator[str]:
        overlay = self._overlay() or {}
        yield from (name for name in self._base if name not in overlay)
        yield from (name for name, value in overlay.items() if value is not None)

    def __len__(self) -> int:
        return sum(1 for _ in self)

    def copy(self) -> dict[str, str]:  # os.environ has it; some libraries call it
        return dict(self)


class ThreadOutput(io.TextIOBase):
    """``sys.stdout``/``sys.stderr`` while a world is open: what a handler prints is its function's
    log (as in Lambda, where stdout goes to CloudWatch Logs), not the terminal of whoever runs the
    world; other threads write through. Powertools metrics (EMF) and logs land here."""

    def __init__(self, base: TextIO) -> None:
        super().__init__()
        self._base = base
        self._local = threading.local()

    @contextmanager
    def capture(self) -> Iterator[list[str]]:
        buffer: list[str] = []
        previous = getattr(self._local, "buffer", None)
        self._local.buffer = buffer
        try:
            yield buffer
        finally:
            self._local.buffer = previous

    def write(self, text: str) -> int:
        buffer = getattr(self._local, "buffer", None)
        if buffer is None:
            return self._base.write(text)
        buffer.append(text)
        return len(text)

    def flush(self) -> None:
        self._base.flush()

    def isatty(self) -> bool:
        return self._base.isatty()

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return getattr(self._base, "encoding", "utf-8")


def error_payload(exc: BaseException) -> str:
    """The payload Lambda returns for an unhandled exception; Step Functions reads errorType."""
    return json.dumps(
        {
            "errorType": type(exc).__name__,
            "errorMessage": str(exc),
            # Lambda lists the handler's frames only: drop invoke_in_process's own frame.
            "stackTrace": traceback.format_tb(exc.__traceback__.tb_next if exc.__traceback__ else None),
        }
    )


def invoke_in_process(
    function: Any,
    event: Any,
    environ: ThreadEnviron,
    on_invoke: Callable[[str], None],
    output: tuple[ThreadOutput, ThreadOutput] | None = None,
    on_logs: Callable[[str, str], None] = lambda name, text: None,
) -> tuple[str, bool, str]:
    """Run the handler with its environment, its printed output kept as the function's log."""
    if output is None:
        return _invoke(function, event, environ, on_invoke)
    stdout, stderr = output
    with stdout.capture() as out, stderr.capture() as err:
        payload, errored, logs = _invoke(function, event, environ, on_invoke)
    captured = "".join(out) + "".join(err) + logs
    on_logs(function.function_name, captured)
    return payload, errored, captured


def _invoke(
    function: Any, event: Any, environ: ThreadEnviron, on_invoke: Callable[[str], None]
) -> tuple[str, bool, str]:
    """Replacement body for ``LambdaFunction._invoke_lambda``: run the handler here.

    ``function`` is moto's LambdaFunction (untyped). Returns (payload, errored, logs) as moto
    expects; ``errored`` makes moto set X-Amz-Function-Error, so Retry/Catch see errorType.
    """
    on_invoke(function.function_name)
    variables = {
        **_RUNTIME_DEFAULTS,
        "AWS_LAMBDA_FUNCTION_NAME": function.function_name,
        "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(function.memory_size),
        "_HANDLER": function.handler,
        **{str(k): str(v) for k, v in (function.environment_vars or {}).items()},
    }
    context = LambdaContext(
        function_name=function.function_name,
        function_arn=function.function_arn,
        memory_mb=int(function.memory_size or 128),
        timeout_s=float(function.timeout or 3),
    )
    # moto hands over the request body as parsed JSON, or the string "{}" when there was none.
    if event == "{}":
        event = {}
    with environ.overlay(variables):
        try:
            handler = resolve_handler(function.handler)
        except (ImportError, AttributeError, ValueError, TypeError) as exc:
            # The runtime's own error names, so a wiring mistake does not look like a handler bug.
            kind = "Runtime.ImportModuleError" if isinstance(exc, ImportError) else "Runtime.HandlerNotFound"
            return json.dumps({"errorType": kind, "errorMessage": str(exc)}), True, str(exc)
        started = time.monotonic()
        try:
            result = handler(event, context)
        except Exception as exc:  # any handler error is the function's error, as in Lambda
            return error_payload(exc), True, "".join(traceback.format_exception(exc))
        if time.monotonic() - started > context.timeout_s:
            # Lambda would have killed it at its Timeout; we can only tell afterwards, but the
            # workflow sees the same error (a polling budget longer than the timeout shows here).
            message = f"Task timed out after {context.timeout_s:.2f} seconds"
            return json.dumps({"errorType": "Sandbox.Timedout", "errorMessage": message}), True, message
        try:
            return json.dumps(result), False, ""
        except (TypeError, ValueError) as exc:  # what the runtime says when it cannot serialize
            return json.dumps({"errorType": "Runtime.MarshalError", "errorMessage": str(exc)}), True, str(exc)
