"""Where a command's workflows run: the one interface every command is written against.

Two targets: an AWS account or the local AWS endpoint (hadrill_cli.aws.AwsTarget: boto3 and the stack's
outputs), and the in-process local world (hadrill_cli.local.LocalTarget: moto and a simulated cluster,
built when the command opens it). A command starts executions, follows them, reads the reports they
wrote and prints them the same way on both; what differs is here: where the clients and the state
machines come from, how often to poll, and what a local run does around the workflow (set the
simulated cluster up first, break it with a --sim-fault, keep the reports the world held).
"""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, ClassVar

from hadrill_cli.follow import Execution, StateRun, follow
from hadrill_cli.render import progress_reporter

Say = Callable[[str], None]


@dataclass(frozen=True)
class Run:
    """One workflow execution a command started and followed to its end."""

    name: str  # the execution's name: the drill id for a drill
    execution: Execution
    commands: int | None  # SSM commands it sent (local world only)


class Target:
    """The base of both targets; a subclass gives ``client`` and ``outputs`` and the local differences."""

    cluster: str  # the cluster (or the fleet) the command is about
    mode = "aws"  # as --json output names it
    simulated = False
    # Which message says a workflow left nothing to read: "..._found" (read from AWS) or "..._written".
    missing = "found"
    stack_suffix = "orchestration"
    # Per workflow: (seconds between polls, seconds to give up after).
    polls: ClassVar[dict[str, tuple[float, float]]] = {"fleet": (5.0, 24 * 3600)}
    DEFAULT_POLL = (2.0, 7200.0)

    def client(self, service: str) -> Any:
        raise NotImplementedError

    def outputs(self) -> dict[str, str]:
        raise NotImplementedError

    @property
    def stack(self) -> str:
        return f"{self.cluster}-{self.stack_suffix}"

    def state_machine_arn(self, name: str) -> str:
        from hadrill_cli.aws import AwsTargetError

        key = f"{name}StateMachineArn"
        try:
            return self.outputs()[key]
        except KeyError:
            raise AwsTargetError(f"stack {self.stack} has no output {key}: deploy this version") from None

    def start_execution(
        self, machine: str, *, name_prefix: str, request: dict[str, Any], name: str | None = None
    ) -> tuple[str, str]:
        """Start the ``machine`` state machine under a UTC-timestamped name (the drill id for a drill)
        unless ``name`` is given; returns (name, execution ARN)."""
        name = name or f"{name_prefix}-{time.strftime('%Y%m%dT%H%M%SZ', time.gmtime())}"
        started = self.client("stepfunctions").start_execution(
            stateMachineArn=self.state_machine_arn(machine), name=name, input=json.dumps(request)
        )
        return name, str(started["executionArn"])

    def follow(
        self,
        arn: str,
        kind: str,
        *,
        on_change: Callable[[StateRun], None] = lambda run: None,
        on_poll: Callable[[Execution], None] = lambda execution: None,
        poll_seconds: float | None = None,
    ) -> Execution:
        """Follow an execution of the ``kind`` workflow at this target's pace."""
        poll, timeout = self.polls.get(kind, self.DEFAULT_POLL)
        return follow(
            self.client("stepfunctions"),
            arn,
            on_change=on_change,
            on_poll=on_poll,
            poll_seconds=poll if poll_seconds is None else poll_seconds,
            timeout_seconds=timeout,
        )

    def execute(
        self,
        machine: str,
        kind: str,
        request: dict[str, Any],
        *,
        name_prefix: str,
        quiet: bool,
        started: Callable[[str], None] = lambda arn: None,
        name: str | None = None,
    ) -> Run:
        """Start the workflow, follow it with the live progress display (none when ``quiet``: --json),
        count the SSM commands it sent (locally). ``started`` sees the ARN on AWS, where the operator
        may want to look the execution up in the console."""
        before = self.commands_sent()
        name, arn = self.start_execution(machine, name_prefix=name_prefix, request=request, name=name)
        if not self.simulated:
            started(arn)
        with progress_reporter(as_json=quiet) as progress:
            execution = self.follow(arn, kind, on_change=progress)
        after = self.commands_sent()
        return Run(name, execution, None if before is None or after is None else after - before)

    def commands_sent(self) -> int | None:
        """SSM commands sent so far (the local world counts them; AWS: None, not counted)."""
        return None

    def missing_text(self, what: str, execution: Execution, **values: object) -> str:
        """The line for a workflow that left nothing to read (``what``: no_report, fleet_no_summary)."""
        from hadrill_cli.messages import t

        found = {"status": execution.status, "error": execution.error, "cause": execution.cause, **values}
        return t(f"{what}_{self.missing}", **found)

    # -- what a local run adds around the workflow (nothing here) ---------------------------------------

    @contextlib.contextmanager
    def opened(self) -> Iterator[None]:
        """While the command runs: the local world is built and torn down; an account is just there."""
        yield

    def prepare(self, say: Say, *, drill_first: bool = False) -> bool:
        """Make the cluster ready for the command (locally: set up, maybe drilled); False: it failed."""
        return True

    def default_takeover_timeout(self) -> int | None:
        return None

    def keep(self, stem: str, report: dict[str, Any], markdown: str | None) -> str | None:
        """Keep a report the workflow wrote (locally: in the reports directory, the world goes away);
        the line that says where, to print after the report."""
        return None

    def inject_fault(self, say: Say, line: str = "sim_fault") -> None:
        """Break the simulated cluster as --sim-fault says (only a local target has one)."""

    # -- reading what the workflows wrote -----------------------------------------------------------

    def read_text(self, uri: str | None) -> str | None:
        if not uri:
            return None
        bucket, _, key = uri.removeprefix("s3://").partition("/")
        body: bytes = self.client("s3").get_object(Bucket=bucket, Key=key)["Body"].read()
        return body.decode()

    def read_json(self, uri: str | None) -> dict[str, Any] | None:
        text = self.read_text(uri)
        return None if text is None else dict(json.loads(text))

    def recorded_report(self, execution: Execution) -> tuple[dict[str, Any] | None, str | None]:
        """The report (JSON, Markdown) the execution's RecordResult state says it wrote."""
        recorded = next((s.result for s in execution.states if s.name == "RecordResult"), None)
        uris: dict[str, str] = recorded.get("report", {}) if isinstance(recorded, dict) else {}
        return self.read_json(uris.get("json")), self.read_text(uris.get("markdown"))
