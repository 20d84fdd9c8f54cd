"""The node commands the drill sends: which document, with which parameters, how long it may run.

Pure builders (no client): the phases send what these return, and a phase woken from a Wait state
rebuilds the same command to collect the result of the one it sent before.
"""

from __future__ import annotations

from hadrill import contracts as c
from hadrill import params
from hadrill.contracts import ScriptResult
from hadrill.errors import ParseError
from hadrill.facts import ClusterFacts, NodeFacts
from hadrill.node_commands import CommandResult, NodeCommand
from hadrill.results import read_result

NODE_STATUS = c.DOC_NODE_STATUS
WATCH_TAKEOVER = c.DOC_WATCH_TAKEOVER
INJECT_FAULT = c.DOC_INJECT_FAULT
HEALTH_CHECK = c.DOC_HEALTH_CHECK
DATA_MARKER = c.DOC_DATA_MARKER

# The watcher polls the standby this often: the RTO's resolution (measured here: a watcher polling
# every 0.2 s timed 2 s and 5 s simulated takeovers within 0.2 s; `make bench` reports the RTO error).
WATCH_POLL_MILLIS = 100
# network-down starts this long after InjectFault answers, so the command can report first.
NETWORK_DOWN_DELAY_SECONDS = 2
# Timeouts of the documents' executions as the drill sends them (the delivery timeout in SSM): the
# documents' own, from the contract.
STATUS_TIMEOUT = c.DOCUMENT_TIMEOUT_SECONDS[c.DOC_NODE_STATUS]
MARKER_TIMEOUT = c.DOCUMENT_TIMEOUT_SECONDS[c.DOC_DATA_MARKER]
SWITCHOVER_TIMEOUT = c.DOCUMENT_TIMEOUT_SECONDS[c.DOC_INJECT_FAULT]


def _command(
    facts: ClusterFacts, node: NodeFacts, document: str, parameters: params.DocumentParameters, timeout: int
) -> NodeCommand:
    return NodeCommand(node.instance_id, node.name, facts.document(document), parameters, timeout, facts.node_log_group)


def status_command(facts: ClusterFacts, node: NodeFacts) -> NodeCommand:
    return _command(facts, node, NODE_STATUS, params.node_status_parameters(facts), STATUS_TIMEOUT)


def health_command(facts: ClusterFacts, node: NodeFacts, role: str, wait_seconds: int) -> NodeCommand:
    parameters = params.HealthCheckParameters(
        expected_role=role,
        hulft_tag=facts.hulft_tag,
        mirror_tag=facts.mirror_tag,
        data_mount=facts.data_mount,
        wait_seconds=str(wait_seconds),
    )
    return _command(facts, node, HEALTH_CHECK, parameters, wait_seconds + STATUS_TIMEOUT)


def health_commands(facts: ClusterFacts, active: NodeFacts, wait_seconds: int) -> list[NodeCommand]:
    """HealthCheck on every node, ``active`` expected active and the others standby."""
    return [health_command(facts, n, "active" if n is active else "standby", wait_seconds) for n in facts.nodes]


def marker_command(facts: ClusterFacts, node: NodeFacts, action: str, marker: str) -> NodeCommand:
    parameters = params.DataMarkerParameters(action=action, marker=marker, data_mount=facts.data_mount)
    return _command(facts, node, DATA_MARKER, parameters, MARKER_TIMEOUT)


def watcher_command(facts: ClusterFacts, node: NodeFacts, timeout_seconds: int) -> NodeCommand:
    parameters = params.WatchTakeoverParameters(
        hulft_tag=facts.hulft_tag, poll_millis=str(WATCH_POLL_MILLIS), timeout_seconds=str(timeout_seconds)
    )
    return _command(facts, node, WATCH_TAKEOVER, parameters, timeout_seconds + 60)


def watcher_status_command(facts: ClusterFacts, node: NodeFacts) -> NodeCommand:
    """Is a watcher running on ``node``, since when, how many polls (WatchTakeover Mode=status)."""
    parameters = params.WatchTakeoverParameters(hulft_tag=facts.hulft_tag, mode="status")
    return _command(facts, node, WATCH_TAKEOVER, parameters, STATUS_TIMEOUT)


def fault_command(
    facts: ClusterFacts,
    node: NodeFacts,
    fault: str,
    target: NodeFacts | None,
    timeout: int,
    dead_man: dict[str, str] | None = None,  # issue 17: deadman.arm's parameters
) -> NodeCommand:
    parameters = params.InjectFaultParameters(
        fault=fault,
        hulft_tag=facts.hulft_tag,
        target_node=target.name if target is not None else "none",
        delay_seconds=str(NETWORK_DOWN_DELAY_SECONDS),
        **(dead_man or {}),
    )
    return _command(facts, node, INJECT_FAULT, parameters, timeout)


def last_words(result: CommandResult) -> str:
    """The script's own message, or SSM's status when the script never reported."""
    try:
        return read_result(result.stdout, ScriptResult).message
    except ParseError:
        tail = (result.stderr.strip().splitlines() or [""])[-1]
        return f"{result.status} (exit {result.exit_code}){': ' + tail if tail else ''}"
