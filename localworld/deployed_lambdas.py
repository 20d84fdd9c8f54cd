"""Deployed Lambda functions, run from their deployed code on the local endpoint (moto's Docker runner
replaced, seam ``lambda-docker`` in localworld.endpoint_seams).

What Lambda does, kept: each function runs in its own process (a warm "container", reused by later
invocations of the same function and code, a new one for each concurrent invocation), from the zip
that was deployed (unzipped once per code hash), with the function's own environment, on the
interpreter of its runtime (python3.13 runs on python3.13: the bundled wheels are built for it), and
is killed at its Timeout. Node.js functions (the CDK's own custom resource providers) run under Node,
one process per invocation.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import threading
import time
import uuid
import zipfile
from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from hadrill import contracts

WORKER = Path(__file__).resolve().parent / "lambda_worker.py"
NODE_DRIVER = Path(__file__).resolve().parent / "node_driver.js"
REPO = Path(__file__).resolve().parent.parent
CFN_RESPONSE_MARK = "HADRILL-CFN-RESPONSE "


class RuntimeNotFound(RuntimeError):
    pass


def python_for(runtime: str) -> str:
    """The interpreter for a ``pythonX.Y`` runtime: HADRILL_LAMBDA_PYTHON, else ``pythonX.Y`` on PATH,
    else a pyenv-installed one. Refuses to run a function on another minor version."""
    version = runtime.removeprefix("python")
    override = os.environ.get(contracts.ENV_LAMBDA_PYTHON)
    candidates = [override] if override else []
    found = shutil.which(f"python{version}")
    candidates += [found] if found else []
    pyenv_root = os.environ.get("PYENV_ROOT", str(Path.home() / ".pyenv"))
    candidates += sorted(
        (str(p) for p in Path(pyenv_root).glob(f"versions/{version}.*/bin/python{version}")), reverse=True
    )
    for candidate in candidates:
        if candidate and _minor_version(candidate) == version:
            return candidate
    raise RuntimeNotFound(
        f"the deployed functions run on {runtime}, and no python{version} was found (PATH, "
        f"{pyenv_root}/versions): install it or set HADRILL_LAMBDA_PYTHON to one"
    )


def _minor_version(python: str) -> str | None:
    try:
        done = subprocess.run(
            [python, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
            capture_output=True,
            text=True,
            timeout=20,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout.strip() if done.returncode == 0 else None


@dataclass
class _Worker:
    process: subprocess.Popen[str]
    answers: TextIO
    key: tuple[str, str]

    def alive(self) -> bool:
        return self.process.poll() is None


@dataclass
class Invocation:
    """What one invocation did, for tests, the bench and the IAM audit's context."""

    function: str
    request_id: str
    started: float
    elapsed_s: float
    errored: bool


@dataclass
class DeployedLambdas:
    """The runner behind the endpoint's ``_invoke_lambda``: ``invoke(function, event)``.

    ``environment`` is added to every function's own (the endpoint's address, dummy credentials);
    ``on_custom_resource_response(body)`` receives a CloudFormation custom resource's answer.
    """

    work_dir: Path
    call_logs: Path  # a directory: each worker appends to its own file, so lines never interleave
    environment: Mapping[str, str]
    on_custom_resource_response: Callable[[dict[str, Any]], None]
    invocations: list[Invocation] = field(default_factory=list)
    _idle: defaultdict[tuple[str, str], list[_Worker]] = field(default_factory=lambda: defaultdict(list))
    _all: list[_Worker] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _pythons: dict[str, str] = field(default_factory=dict)

    # -- the code ----------------------------------------------------------------------------------
    def code_dir(self, function: Any) -> Path:
        """The deployed zip, unzipped once per code hash (atomically: concurrent cold starts share it)."""
        sha = str(function.code_sha_256 or "").replace("/", "_").replace("+", "-") or "empty"
        target = self.work_dir / "code" / sha
        if target.is_dir():
            return target
        staging = self.work_dir / "code" / f".{sha}-{uuid.uuid4().hex}"
        staging.mkdir(parents=True)
        with zipfile.ZipFile(io.BytesIO(function.code_bytes)) as archive:
            archive.extractall(staging)
        try:
            staging.rename(target)
        except OSError:
            shutil.rmtree(staging, ignore_errors=True)
        return target

    def _variables(self, function: Any) -> dict[str, str]:
        return {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "LANG": "C.UTF-8",
            "TZ": ":UTC",
            **self.environment,
            "AWS_LAMBDA_FUNCTION_NAME": function.function_name,
            "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(function.memory_size),
            "AWS_EXECUTION_ENV": f"AWS_Lambda_{function.run_time}",
            "HADRILL_FUNCTION_ARN": function.function_arn,
            "_HANDLER": function.handler,
            **{str(k): str(v) for k, v in (function.environment_vars or {}).items()},
        }

    # -- invoking ----------------------------------------------------------------------------------
    def invoke(self, function: Any, event: Any) -> tuple[str, bool, str]:
        """moto's ``_invoke_lambda`` contract: (payload JSON, errored, logs)."""
        if event == "{}":  # moto passes the string "{}" when there was no payload
            event = {}
        if isinstance(event, str):
            event = json.loads(event)
        runtime = str(function.run_time or "")
        started = time.monotonic()
        if runtime.startswith("python"):
            payload, errored, logs = self._invoke_python(function, runtime, event)
        elif runtime.startswith("nodejs"):
            payload, errored, logs = self._invoke_node(function, event)
        else:
            payload, errored, logs = (
                _error("Runtime.InvalidRuntime", f"runtime {runtime} is not served locally"),
                True,
                "",
            )
        with self._lock:
            self.invocations.append(
                Invocation(function.function_name, "", time.time(), time.monotonic() - started, errored)
            )
        return payload, errored, logs

    def _invoke_python(self, function: Any, runtime: str, event: Any) -> tuple[str, bool, str]:
        code = self.code_dir(function)
        key = (function.function_arn, str(function.code_sha_256))
        worker = self._take(key) or self._start(function, runtime, code, key)
        timeout_s = float(function.timeout or 3)
        request_id = str(uuid.uuid4())
        request = {"event": event, "request_id": request_id, "deadline_ms": int((time.time() + timeout_s) * 1000)}
        assert worker.process.stdin is not None
        answer_box: list[str] = []
        reader = threading.Thread(target=lambda: answer_box.append(worker.answers.readline()), daemon=True)
        try:
            worker.process.stdin.write(json.dumps(request) + "\n")
            worker.process.stdin.flush()
        except BrokenPipeError:
            return _error("Runtime.ExitError", "the function's process exited"), True, ""
        reader.start()
        reader.join(timeout_s)
        if reader.is_alive() or not answer_box or not answer_box[0]:
            # Lambda kills the sandbox at its Timeout; a crashed worker is an exit error.
            timed_out = reader.is_alive()
            self._kill(worker)
            if timed_out:
                return _error("Sandbox.Timedout", f"Task timed out after {timeout_s:.2f} seconds"), True, ""
            return _error("Runtime.ExitError", "the function's process exited"), True, ""
        with self._lock:
            self._idle[key].append(worker)
        answer = json.loads(answer_box[0])
        logs = str(answer.get("logs", ""))
        if "error" in answer:
            return json.dumps(answer["error"]), True, logs
        return json.dumps(answer.get("payload")), False, logs

    def _take(self, key: tuple[str, str]) -> _Worker | None:
        with self._lock:
            idle = self._idle[key]
            while idle:
                worker = idle.pop()
                if worker.alive():
                    return worker
        return None

    def _start(self, function: Any, runtime: str, code: Path, key: tuple[str, str]) -> _Worker:
        python = self._pythons.get(runtime) or self._pythons.setdefault(runtime, python_for(runtime))
        read_fd, write_fd = os.pipe()
        process = subprocess.Popen(
            [python, "-I", str(WORKER), str(code), function.handler, str(self._call_log()), str(write_fd)],
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env=self._variables(function),
            text=True,
            pass_fds=(write_fd,),
            cwd=code,
        )
        os.close(write_fd)
        worker = _Worker(process, os.fdopen(read_fd, encoding="utf-8"), key)
        with self._lock:
            self._all.append(worker)
        return worker

    def _call_log(self) -> Path:
        self.call_logs.mkdir(parents=True, exist_ok=True)
        return self.call_logs / f"{uuid.uuid4().hex}.jsonl"

    def _kill(self, worker: _Worker) -> None:
        if worker.alive():
            worker.process.kill()
        worker.process.wait(timeout=10)

    def _invoke_node(self, function: Any, event: Any) -> tuple[str, bool, str]:
        code = self.code_dir(function)
        variables = {**self._variables(function), "NODE_PATH": str(REPO / "node_modules")}
        node = shutil.which("node", path=f"{REPO / 'node_modules' / '.bin'}:{variables['PATH']}") or "node"
        try:
            done = subprocess.run(
                [node, str(NODE_DRIVER), str(code), function.handler],
                input=json.dumps(event),
                capture_output=True,
                text=True,
                env=variables,
                timeout=float(function.timeout or 3),
                check=False,
            )
        except subprocess.TimeoutExpired:
            return _error("Sandbox.Timedout", f"Task timed out after {function.timeout} seconds"), True, ""
        logs = done.stdout + done.stderr
        payload, errored = "null", done.returncode != 0
        for line in done.stdout.splitlines():
            if line.startswith(CFN_RESPONSE_MARK):
                self.on_custom_resource_response(json.loads(line.removeprefix(CFN_RESPONSE_MARK)))
            elif line.startswith("HADRILL-RESULT "):
                payload = line.removeprefix("HADRILL-RESULT ")
            elif line.startswith("HADRILL-ERROR "):
                payload = line.removeprefix("HADRILL-ERROR ")
        return payload, errored, logs

    def close(self) -> None:
        with self._lock:
            workers, self._all = self._all, []
            self._idle.clear()
        for worker in workers:
            if worker.alive() and worker.process.stdin is not None:
                worker.process.stdin.close()
        for worker in workers:
            try:
                worker.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                worker.process.kill()
            worker.answers.close()


def _error(kind: str, message: str) -> str:
    return json.dumps({"errorType": kind, "errorMessage": message})


def read_calls(call_logs: Path) -> list[dict[str, Any]]:
    """The AWS calls the deployed functions made (one JSON object per line, one file per worker)."""
    calls: list[dict[str, Any]] = []
    for path in sorted(call_logs.glob("*.jsonl")) if call_logs.is_dir() else []:
        calls += [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return calls
