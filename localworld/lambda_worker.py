"""One warm Lambda "container" of the local endpoint: a process that imports a deployed function's code
from its unzipped asset and runs its handler for each invocation it is sent.

Run by localworld.deployed_lambdas with the function's runtime interpreter (``python3.13 -I``), so it
imports only the standard library and the asset: what the deployed function would have. The protocol
is one JSON line per invocation on stdin ({"event", "request_id", "deadline_ms"}) and one JSON line back
on the pipe it was given ({"payload" | "error", "logs"}). Everything the handler prints (Powertools'
logger writes to stdout) is its log, returned with the answer.

Every AWS call the handler makes is appended, as a JSON line, to the call log named on the command line:
the IAM audit evaluates them against the function's deployed role policy.
"""

import io
import json
import os
import sys
import tempfile
import time
import traceback
from typing import Any

# argv: asset directory, handler ("module.function"), call log path, answer fd
ASSET, HANDLER, CALL_LOG, ANSWER_FD = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])


class Context:
    """The fields of Lambda's context object that our handlers and Powertools read."""

    def __init__(self, request_id: str, deadline_ms: int) -> None:
        self.function_name = os.environ.get("AWS_LAMBDA_FUNCTION_NAME", "")
        self.function_version = "$LATEST"
        self.invoked_function_arn = os.environ.get("HADRILL_FUNCTION_ARN", "")
        self.memory_limit_in_mb = int(os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128"))
        self.aws_request_id = request_id
        self.log_group_name = f"/aws/lambda/{self.function_name}"
        self.log_stream_name = "local"
        self._deadline_ms = deadline_ms

    def get_remaining_time_in_millis(self) -> int:
        return max(0, self._deadline_ms - int(time.time() * 1000))


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    if isinstance(value, (bytes, bytearray)):
        return f"<{len(value)} bytes>"
    if hasattr(value, "read"):
        return "<stream>"
    return str(value)


def _record_calls() -> None:
    """Wrap botocore's one entry point for API calls, whatever session or client the code made."""
    from botocore.client import BaseClient  # from the asset: boto3 is bundled

    original = BaseClient._make_api_call  # type: ignore[attr-defined]

    def recorded(self: Any, operation_name: str, api_params: dict[str, Any]) -> Any:
        entry = {
            "function": os.environ.get("AWS_LAMBDA_FUNCTION_NAME", ""),
            "service": self.meta.service_model.service_name,
            "operation": operation_name,
            "params": _jsonable(api_params),
            "region": self.meta.region_name,
        }
        with open(CALL_LOG, "a", encoding="utf-8") as log:  # noqa: PTH123 - stdlib only, kept plain
            log.write(json.dumps(entry) + "\n")
        return original(self, operation_name, api_params)

    BaseClient._make_api_call = recorded  # type: ignore[attr-defined]


def _vip_seam() -> None:
    """The client probe's connects to the virtual IP (no address on this machine): asked of the endpoint,
    which follows the route table in moto to the active node's loopback listener (localworld/vip_seam.py).
    Only addresses off this machine are asked about; the AWS calls to the endpoint itself connect as usual."""
    seam = os.environ.get("HADRILL_LOCAL_VIP_SEAM")  # localworld.vip_seam.ENV_ENDPOINT_SEAM
    if not seam:
        return
    import socket
    import urllib.parse
    import urllib.request

    original = socket.create_connection

    def create_connection(address: Any, timeout: Any = None, *args: Any, **kwargs: Any) -> socket.socket:
        host, port = address[0], int(address[1])
        if host in ("127.0.0.1", "localhost", "::1"):
            return original(address, timeout, *args, **kwargs)
        query = urllib.parse.urlencode(
            {"function": os.environ.get("AWS_LAMBDA_FUNCTION_NAME", ""), "host": host, "port": str(port)}
        )
        with urllib.request.urlopen(f"{seam}?{query}", timeout=10) as response:  # noqa: S310 - the endpoint
            where = json.loads(response.read())
        if where.get("port"):
            return original(("127.0.0.1", int(where["port"])), timeout, *args, **kwargs)
        if where.get("refused"):
            raise ConnectionRefusedError(111, "Connection refused")
        time.sleep(float(timeout or 1.0))  # a SYN nobody answers
        raise TimeoutError(where.get("unanswered") or "timed out")

    socket.create_connection = create_connection


def main() -> None:
    answers = os.fdopen(ANSWER_FD, "w", encoding="utf-8", buffering=1)
    # stdout and stderr go to a log file that is read back after each invocation.
    log_file = tempfile.TemporaryFile(mode="w+b")  # noqa: SIM115 - open for the worker's whole life
    os.dup2(log_file.fileno(), 1)
    os.dup2(log_file.fileno(), 2)
    sys.stdout = io.TextIOWrapper(os.fdopen(1, "wb", closefd=False), encoding="utf-8", line_buffering=True)
    sys.stderr = io.TextIOWrapper(os.fdopen(2, "wb", closefd=False), encoding="utf-8", line_buffering=True)
    sys.path.insert(0, ASSET)
    _record_calls()
    _vip_seam()
    handler = None
    init_error: dict[str, Any] | None = None
    module_name, _, function_name = HANDLER.rpartition(".")
    try:
        module = __import__(module_name, fromlist=[function_name])
        handler = getattr(module, function_name)
    except Exception as exc:  # Lambda reports an init error on every invocation
        init_error = {"errorType": "Runtime.ImportModuleError", "errorMessage": f"{type(exc).__name__}: {exc}"}
        traceback.print_exc()

    for line in sys.stdin:
        request = json.loads(line)
        start = log_file.seek(0, io.SEEK_END)
        answer: dict[str, Any]
        if handler is None:
            answer = {"error": init_error}
        else:
            try:
                context = Context(request["request_id"], request["deadline_ms"])
                answer = {"payload": handler(request["event"], context)}
            except Exception as exc:
                traceback.print_exc()
                answer = {
                    "error": {
                        "errorType": type(exc).__name__,
                        "errorMessage": str(exc),
                        "stackTrace": traceback.format_tb(exc.__traceback__),
                    }
                }
        sys.stdout.flush()
        sys.stderr.flush()
        log_file.seek(start)
        answer["logs"] = log_file.read().decode("utf-8", "replace")
        log_file.seek(0)
        log_file.truncate()
        try:
            answers.write(json.dumps(answer, default=str) + "\n")
        except (TypeError, ValueError) as exc:
            error = {"errorType": "Runtime.MarshalError", "errorMessage": str(exc)}
            answers.write(json.dumps({"error": error, "logs": answer["logs"]}) + "\n")


if __name__ == "__main__":
    main()
