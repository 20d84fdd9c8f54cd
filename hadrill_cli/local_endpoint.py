"""`hadrill local up|down|status|env`: the local AWS endpoint as a background process.

`up` starts ``python -m localworld.endpoint serve`` detached (its log and state in --state-dir), waits
until it serves, and prints the environment to export, e.g. ``eval "$(hadrill local up)"``. The
endpoint listens on 127.0.0.1 only; `up` refuses a port in use, and a second `up` says one runs.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

DEFAULT_STATE_DIR = Path(".hadrill-local")
READY_TIMEOUT_S = 60.0


class EndpointError(Exception):
    pass


@dataclass(frozen=True)
class Running:
    pid: int
    port: int
    region: str
    url: str


def _ready_file(state_dir: Path) -> Path:
    return state_dir / "ready"


def status(state_dir: Path) -> Running | None:
    """The endpoint serving from ``state_dir``, or None (a stale ready file is removed)."""
    ready = _ready_file(state_dir)
    try:
        info = json.loads(ready.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    pid = int(info["pid"])
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        ready.unlink(missing_ok=True)
        return None
    except PermissionError:
        pass  # alive, another user's
    return Running(pid=pid, port=int(info["port"]), region=str(info["region"]), url=str(info["url"]))


def port_in_use(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


def up(state_dir: Path, port: int, region: str, time_scale: float = 0.01) -> Running:
    running = status(state_dir)
    if running is not None:
        if running.port != port:
            raise EndpointError(f"an endpoint already runs from {state_dir} on port {running.port} (pid {running.pid})")
        return running
    if port_in_use(port):
        raise EndpointError(f"port {port} on 127.0.0.1 is in use: choose another with --port")
    state_dir.mkdir(parents=True, exist_ok=True)
    log = (state_dir / "endpoint.log").open("ab")
    command = [sys.executable, "-m", "localworld.endpoint", "serve", "--state-dir", str(state_dir), "--port",
               str(port), "--region", region, "--time-scale", str(time_scale)]  # fmt: skip
    process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=log, stderr=log, start_new_session=True)
    deadline = time.monotonic() + READY_TIMEOUT_S
    while time.monotonic() < deadline:
        running = status(state_dir)
        if running is not None and running.pid == process.pid:
            return running
        if process.poll() is not None:
            raise EndpointError(f"the endpoint exited with {process.returncode}: see {state_dir / 'endpoint.log'}")
        time.sleep(0.1)
    process.terminate()
    raise EndpointError(f"the endpoint did not start within {READY_TIMEOUT_S:.0f} s: see {state_dir / 'endpoint.log'}")


def down(state_dir: Path, timeout_s: float = 20.0) -> Running | None:
    running = status(state_dir)
    if running is None:
        return None
    os.kill(running.pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            os.kill(running.pid, 0)
        except ProcessLookupError:
            break
        time.sleep(0.1)
    else:
        with contextlib.suppress(ProcessLookupError):
            os.kill(running.pid, signal.SIGKILL)
    _ready_file(state_dir).unlink(missing_ok=True)
    return running


def exports(running: Running) -> str:
    from localworld.endpoint import client_environment  # moto is slow to import; `status` need not pay

    variables = client_environment(running.port, running.region)
    return "\n".join(f"export {name}={value}" for name, value in variables.items())


def run(action: str, state_dir: Path, port: int, region: str, time_scale: float = 0.01) -> int:
    """The command; returns the exit code (0 ok, 1 not running for status, 3 could not start)."""
    try:
        if action == "up":
            running = up(state_dir, port, region, time_scale)
            print(exports(running))
            print(f"# local AWS endpoint (moto + simulated LifeKeeper/HULFT, a test double) on {running.url}, "
                  f"pid {running.pid}; stop it with: hadrill local down", file=sys.stderr)  # fmt: skip
            return 0
        if action == "down":
            stopped = down(state_dir)
            print("stopped" if stopped else f"no endpoint runs from {state_dir}", file=sys.stderr)
            return 0
        serving = status(state_dir)
        if serving is None:
            print(f"no endpoint runs from {state_dir}", file=sys.stderr)
            return 1
        if action == "env":
            print(exports(serving))
        else:
            print(f"serving on {serving.url} (region {serving.region}, pid {serving.pid})")
        return 0
    except EndpointError as error:
        print(f"hadrill local {action}: {error}", file=sys.stderr)
        return 3
