"""SSM Run Command delivered to simulated nodes, asynchronously.

moto's ``Command.__init__`` builds one invocation dict per instance with
``Command.invocation_response``, hands those same dicts back from ``get_command_invocation``
(through ``Command.get_invocation``) and always reports the command as Success
(``Command.response_object``). The world replaces those three methods with the ones here:
each invocation starts a thread that runs ``backend.run_document`` and, meanwhile, reads as
InProgress; the command's status is aggregated from its invocations.

Offline nodes. Real SSM keeps an invocation for an unreachable node Pending/Delayed and retries
delivery until the command's delivery timeout (``TimeoutSeconds``), then ends it TimedOut with
StatusDetails DeliveryTimedOut and ResponseCode -1. We do the same: Delayed while
``is_online`` is False, run the script if the node comes back in time, else
TimedOut/DeliveryTimedOut after ``TimeoutSeconds * time_scale`` seconds (or the world's
``delivery_timeout_s``). A stopped EC2 instance is refused at send time with
InvalidInstanceId, as SSM does. An "Undeliverable" outcome from the backend (the node went
away under a running command) reads as Status Failed, StatusDetails Undeliverable.

Known differences: an invocation for an online node is InProgress from the start, so SendCommand
answers InProgress where SSM says Pending, and GetCommandInvocation never raises
InvocationDoesNotExist for a just-sent command (SSM may, for a moment). MaxErrors and
MaxConcurrency are ignored. CancelCommand marks invocations Cancelled but cannot interrupt the
simulated script (the backend contract has no cancel): its outcome is discarded.
"""

from __future__ import annotations

import datetime
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from localworld.documents import DeliveryPlan
from localworld.protocol import NodeBackend, Outcome

LOG = logging.getLogger(__name__)

# GetCommandInvocation returns the first 24,000 characters of stdout and 8,000 of stderr.
STDOUT_LIMIT = 24_000
STDERR_LIMIT = 8_000
# How often a Delayed invocation looks whether its node came back.
OFFLINE_POLL_S = 0.05

PENDING_STATUSES = frozenset({"Pending", "InProgress", "Delayed"})

# backend outcome status -> (Status, StatusDetails) as GetCommandInvocation reports them.
_FINAL = {
    "Success": ("Success", "Success"),
    "Failed": ("Failed", "Failed"),
    "Cancelled": ("Cancelled", "Cancelled"),
    "Undeliverable": ("Failed", "Undeliverable"),
}


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


def _iso_duration(seconds: float) -> str:
    return f"PT{seconds:.3f}S"


def final_status(outcome: Outcome) -> tuple[str, str]:
    """(Status, StatusDetails) for a backend outcome."""
    if outcome.status == "TimedOut":
        # The backend is only asked once the node is online, so the command was delivered: its
        # execution timed out. Delivery timeouts are the world's own (see the Delayed path).
        return ("TimedOut", "ExecutionTimedOut")
    if outcome.status not in _FINAL:
        raise ValueError(f"backend reported unknown command status {outcome.status!r}")
    return _FINAL[outcome.status]


def aggregate(invocations: list[dict[str, Any]]) -> dict[str, Any]:
    """Command-level Status, StatusDetails and counts from its invocations (MaxErrors ignored)."""
    statuses = [inv["Status"] for inv in invocations]
    details = [inv["StatusDetails"] for inv in invocations]
    done = [s for s in statuses if s not in PENDING_STATUSES]
    errors = sum(1 for s, d in zip(statuses, details, strict=True) if s == "Failed" and d != "Undeliverable")
    errors += details.count("ExecutionTimedOut")
    delivery_timeouts = details.count("DeliveryTimedOut")
    if len(done) < len(statuses):
        status = "InProgress" if "InProgress" in statuses else "Pending"
        detail = status
    elif all(s == "Success" for s in statuses):
        status, detail = "Success", "Success"
    elif all(s == "Cancelled" for s in statuses):
        status, detail = "Cancelled", "Cancelled"
    elif "Failed" in details:
        status, detail = "Failed", "Failed"
    elif "ExecutionTimedOut" in details:
        status, detail = "TimedOut", "ExecutionTimedOut"
    elif delivery_timeouts:
        status, detail = "TimedOut", "DeliveryTimedOut"
    else:
        status, detail = "Failed", "Incomplete"
    return {
        "Status": status,
        "StatusDetails": detail,
        "CompletedCount": len(done),
        "ErrorCount": errors,
        "DeliveryTimedOutCount": delivery_timeouts,
        "TargetCount": len(statuses),
    }


@dataclass
class SsmDelivery:
    """Runs commands on the registered nodes, one thread per invocation; one per world.

    The invocation dicts are moto's own (kept in ``Command.invocations``): every change to them
    and every read of them happens under ``lock``, so a reader never sees half an update.
    """

    find_backend: Callable[[str], NodeBackend | None]
    plan: Callable[[str | None, dict[str, list[str]]], DeliveryPlan]  # document checks + defaults
    delivery_timeout: Callable[[int], float]  # command TimeoutSeconds -> wall seconds
    lock: threading.Lock = field(default_factory=threading.Lock)
    closing: threading.Event = field(default_factory=threading.Event)
    threads: list[threading.Thread] = field(default_factory=list)
    commands_sent: int = 0
    errors: list[BaseException] = field(default_factory=list)

    def count_send(self) -> None:
        with self.lock:
            self.commands_sent += 1

    # -- replacement for Command.invocation_response(self, instance_id, plugin_name) ------------
    def start_invocation(self, command: Any, instance_id: str, plugin_name: str) -> dict[str, Any]:
        invocation: dict[str, Any] = {
            "CommandId": command.command_id,
            "InstanceId": instance_id,
            "Comment": command.comment,
            "DocumentName": command.document_name,
            "PluginName": plugin_name,
            "ResponseCode": -1,
            "ExecutionStartDateTime": "",
            "ExecutionElapsedTime": "",
            "ExecutionEndDateTime": "",
            "Status": "Pending",
            "StatusDetails": "Pending",
            "StandardOutputContent": "",
            "StandardOutputUrl": "",
            "StandardErrorContent": "",
            "StandardErrorUrl": "",
        }
        backend = self.find_backend(instance_id)
        if backend is None:
            # Reached only through Targets (explicit ids are checked at send): nothing to run it.
            self._finish(invocation, "Failed", "Undeliverable", -1, "", "", started=None)
            return invocation
        if backend.is_online(instance_id):
            self._mark_started(invocation)
        else:
            invocation.update(Status="Delayed", StatusDetails="Delayed")
        # Checked already at SendCommand, so this cannot fail; one plan serves every instance.
        plan = self.plan(command.document_name, command.parameters)
        thread = threading.Thread(
            target=self._run,
            args=(invocation, backend, command, plan),
            name=f"ssm-{command.command_id[:8]}-{instance_id}",
            daemon=True,  # a script still running at close must not keep the process alive
        )
        with self.lock:
            self.threads = [t for t in self.threads if t.is_alive()]  # a long run sends many
            self.threads.append(thread)
        thread.start()
        return invocation

    # -- replacement for Command.get_invocation(self, instance_id, plugin_name) -----------------
    def read_invocation(self, original: Callable[..., dict[str, Any]], command: Any, *args: Any) -> dict[str, Any]:
        with self.lock:  # a snapshot: the runner thread may be updating the same dict
            snapshot = dict(original(command, *args))
        snapshot["StandardOutputContent"] = snapshot["StandardOutputContent"][:STDOUT_LIMIT]
        snapshot["StandardErrorContent"] = snapshot["StandardErrorContent"][:STDERR_LIMIT]
        return snapshot

    # -- replacement for Command.response_object(self) ----------------------------------------
    def command_view(self, original: Callable[[Any], dict[str, Any]], command: Any) -> dict[str, Any]:
        with self.lock:
            view = original(command)
            view.update(aggregate(command.invocations))
        return view

    # -- CancelCommand (moto has none) ----------------------------------------------------------
    def cancel(self, command: Any, instance_ids: list[str] | None) -> None:
        """Mark the command's unfinished invocations Cancelled. The simulated script is not
        interrupted (the backend contract has no cancel): its outcome is discarded when it ends."""
        with self.lock:
            for invocation in command.invocations:
                if instance_ids and invocation["InstanceId"] not in instance_ids:
                    continue
                if invocation["Status"] in PENDING_STATUSES:
                    invocation.update(Status="Cancelled", StatusDetails="Cancelled")

    def _mark_started(self, invocation: dict[str, Any]) -> None:
        invocation.update(
            Status="InProgress",
            StatusDetails="InProgress",
            ExecutionStartDateTime=_now().isoformat(),
        )

    def _finish(
        self,
        invocation: dict[str, Any],
        status: str,
        detail: str,
        code: int,
        stdout: str,
        stderr: str,
        *,
        started: float | None,
    ) -> None:
        end = _now()
        fields: dict[str, Any] = {
            "Status": status,
            "StatusDetails": detail,
            "ResponseCode": code,
            "StandardOutputContent": stdout,
            "StandardErrorContent": stderr,
        }
        if started is not None:
            fields["ExecutionEndDateTime"] = end.isoformat()
            fields["ExecutionElapsedTime"] = _iso_duration(time.monotonic() - started)
        with self.lock:
            if invocation["Status"] != "Cancelled":  # a cancelled command keeps that status
                invocation.update(fields)

    def _wait_online(self, backend: NodeBackend, instance_id: str, deadline: float) -> bool:
        while time.monotonic() < deadline:
            if backend.is_online(instance_id):
                return True
            if self.closing.wait(OFFLINE_POLL_S):
                return False
        return backend.is_online(instance_id)

    def _run(self, invocation: dict[str, Any], backend: NodeBackend, command: Any, plan: DeliveryPlan) -> None:
        instance_id = invocation["InstanceId"]
        try:
            if invocation["Status"] == "Delayed":
                deadline = time.monotonic() + self.delivery_timeout(int(command.timeout_seconds))
                if not self._wait_online(backend, instance_id, deadline):
                    self._finish(invocation, "TimedOut", "DeliveryTimedOut", -1, "", "", started=None)
                    return
                with self.lock:
                    if invocation["Status"] == "Cancelled":
                        return
                    self._mark_started(invocation)
            started = time.monotonic()
            outcome = backend.run_document(
                instance_id=instance_id,
                document_name=str(command.document_name),
                parameters=plan.parameters,
                timeout_seconds=plan.timeout_seconds,
            )
            status, detail = final_status(outcome)
            self._finish(
                invocation,
                status,
                detail,
                outcome.response_code,
                outcome.stdout,
                outcome.stderr,
                started=started,
            )
        except Exception as exc:  # a simulator bug: surface it as a failed command and keep it
            LOG.exception("run_document failed on %s", instance_id)
            with self.lock:
                self.errors.append(exc)
            self._finish(invocation, "Failed", "Failed", -1, "", f"localworld: {exc!r}", started=None)

    def join(self, timeout_s: float) -> list[str]:
        """Wait for every runner thread; returns the names of those still running."""
        self.closing.set()
        deadline = time.monotonic() + timeout_s
        with self.lock:
            threads = list(self.threads)
        for thread in threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        return [t.name for t in threads if t.is_alive()]
