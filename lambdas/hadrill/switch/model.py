"""What a switch is asked to do (the execution input), what it knows about itself, and how it fails.

A switch is ``switchback`` when it moves the hierarchy to the primary and ``switchover`` when it moves
it to the secondary; the type is worked out from the target, so the console needs no more than
``{"cluster": NAME}`` (home) or ``{"cluster": NAME, "toNode": NODE}``.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel

from hadrill import fields as f
from hadrill.facts import ClusterFacts, NodeFacts
from hadrill.inputs import problem_with, validate_execution_input

SwitchKind = Literal["switchback", "switchover"]
Outcome = Literal["SUCCEEDED", "NOOP", "FAILED", "ABORTED"]
# The record kind (records.WorkflowRecord.kind): recordId "switch#<started>#<execution>".
RECORD_KIND = "switch"
SWITCH_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,79}$")  # the drill id's shape: `hadrill report ID` takes it
# The drill lock is held this long at most: a switch that died blocks drills (and other switches) only
# until then. A switch itself takes minutes: status 2 min, the switchover up to 12 min, the postflight 4 min.
LOCK_SECONDS = 3600


class InvalidSwitchInput(ValueError):
    """The execution input is wrong; the message names the field. Nothing was locked or sent."""


class SwitchLocked(Exception):
    """A drill (or another switch) holds this cluster's lock: this switch moves nothing."""


class SwitchPreflightFailed(Exception):
    """The cluster is not healthy enough to move the hierarchy; the message lists the failing checks."""


class SwitchFailed(Exception):
    """The switchover did not put the hierarchy (or the VIP route) on the target node."""


class SwitchInput(BaseModel):
    """The switch execution's input (camelCase, as typed in the console or sent by the CLI)."""

    model_config = ConfigDict(extra="forbid", frozen=True, alias_generator=to_camel, populate_by_name=True)

    cluster: f.ClusterName
    # The node to move the hierarchy to (its LifeKeeper name); absent: the primary (a switchback).
    to_node: f.NodeName | None = None


class SwitchContext(BaseModel):
    """What ValidateInput works out once and every later state reads."""

    model_config = ConfigDict(extra="forbid", frozen=True, alias_generator=to_camel, populate_by_name=True)

    switch_id: str
    execution: str
    kind: SwitchKind
    to_node: str
    started_epoch_ms: int
    lock_expires_epoch_ms: int


def target_of(request: SwitchInput, facts: ClusterFacts) -> NodeFacts:
    """The node the hierarchy should end on; InvalidSwitchInput for a name that is not a node of this cluster."""
    if request.to_node is None:
        return facts.primary
    for node in facts.nodes:
        if node.name == request.to_node:
            return node
    names = ", ".join(n.name for n in facts.nodes)
    raise InvalidSwitchInput(f"toNode: {request.to_node!r} is not a node of {facts.cluster_name} ({names})")


def kind_of(target: NodeFacts, facts: ClusterFacts) -> SwitchKind:
    return "switchback" if target.name == facts.primary.name else "switchover"


def input_problem(event: object) -> str | None:
    """What is wrong with a switch execution's input (None: nothing); the CLI's check before it starts one."""
    return problem_with(SwitchInput, event)


def validate_input(event: object, facts: ClusterFacts) -> SwitchInput:
    request = validate_execution_input(event, SwitchInput, cluster=facts.cluster_name, error=InvalidSwitchInput)
    target_of(request, facts)
    return request


def switch_context(
    request: SwitchInput, facts: ClusterFacts, *, execution: str, execution_name: str, now_ms: int
) -> SwitchContext:
    """The switch id is the execution's name (unique per state machine), so console and report agree."""
    target = target_of(request, facts)
    kind = kind_of(target, facts)
    switch_id = execution_name if SWITCH_ID.fullmatch(execution_name) else f"{kind}-{now_ms}"
    return SwitchContext(
        switch_id=switch_id,
        execution=execution,
        kind=kind,
        to_node=target.name,
        started_epoch_ms=now_ms,
        lock_expires_epoch_ms=now_ms + LOCK_SECONDS * 1000,
    )
