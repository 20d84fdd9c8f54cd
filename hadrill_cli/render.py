"""How a workflow run is shown: plain lines for people, one JSON document for machines."""

from __future__ import annotations

import json
import sys
from typing import Any, TextIO

from hadrill_cli.follow import Execution, StateRun


def summary_of(result: Any) -> str:
    """One short line from a step's Lambda result."""
    if not isinstance(result, dict):
        return ""
    if result.get("skipped"):
        return f"skipped: {result.get('message', '')}"
    if "checks" in result:
        checks = result["checks"]
        passed = sum(1 for c in checks if c.get("passed"))
        return f"{passed}/{len(checks)} checks passed"
    if "nodes" in result:
        return "; ".join(f"{n['node']}: {n['message']}" for n in result["nodes"])
    if "outcome" in result:
        return f"{result['outcome']} ({result.get('recordId', '')})"
    return ""


class LineReporter:
    """Prints each state when it starts and when it ends, with its elapsed time."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self._stream = stream

    @property
    def stream(self) -> TextIO:
        return self._stream or sys.stdout  # looked up late: tests and pagers replace sys.stdout

    def __call__(self, run: StateRun) -> None:
        if run.exited is None:
            print(f"  ... {run.name}", file=self.stream, flush=True)
            return
        mark = "FAIL" if run.failed else " ok "
        seconds = f"{run.seconds:6.2f}s" if run.seconds is not None else "       "
        detail = run.error if run.failed else summary_of(run.result)
        print(f"  [{mark}] {run.name:<22} {seconds}  {detail}".rstrip(), file=self.stream, flush=True)


def as_json(workflow: str, cluster: str, mode: str, execution: Execution, ssm_commands: int | None) -> str:
    document: dict[str, Any] = {
        "workflow": workflow,
        "cluster": cluster,
        "mode": mode,
        "outcome": execution.status,
        "execution_arn": execution.arn,
        "elapsed_seconds": None if execution.seconds is None else round(execution.seconds, 3),
        "error": execution.error,
        "cause": execution.cause,
        "steps": [run.as_dict() for run in execution.states],
        "cost": {
            "state_transitions": execution.state_transitions,
            "lambda_invocations": execution.lambda_invocations,
            "ssm_commands": ssm_commands,
        },
    }
    return json.dumps(document, indent=2, default=str)


def closing_line(workflow: str, execution: Execution, ssm_commands: int | None) -> str:
    seconds = f" in {execution.seconds:.1f}s" if execution.seconds is not None else ""
    cost = f"{execution.state_transitions} state transitions, {execution.lambda_invocations} Lambda invocations"
    if ssm_commands is not None:
        cost += f", {ssm_commands} SSM commands"
    line = f"{workflow} {execution.status}{seconds} ({cost})"
    if execution.error:
        line += f"\n  {execution.error}: {execution.cause}"
    return line
