"""Execution inputs: one way to validate them, so every workflow names the bad field the same way."""

from __future__ import annotations

from typing import TypeVar

from pydantic import BaseModel, ValidationError

Model = TypeVar("Model", bound=BaseModel)


def validate_execution_input(
    event: object, model: type[Model], *, cluster: str, error: type[Exception], owner_field: str = "cluster"
) -> Model:
    """Parse `event` into `model`; raise `error` with "<field>: <reason>" on the first problem.

    The input must also name this workflow's own cluster (or fleet, ``owner_field="fleet"``): an
    execution cannot aim it elsewhere.
    """
    if not isinstance(event, dict):
        raise error(f"the execution input must be a JSON object, got {type(event).__name__}")
    try:
        request = model.model_validate(event)
    except ValidationError as problem:
        raise error(first_problem(problem)) from None
    requested = getattr(request, owner_field, None)
    if requested != cluster:
        raise error(f"{owner_field}: {requested!r} is not this workflow's {owner_field} ({cluster!r})")
    return request


def first_problem(error: ValidationError) -> str:
    """ "<field>: <reason>" for the first thing wrong (how every workflow and the CLI name it)."""
    first = error.errors(include_url=False)[0]
    field = ".".join(str(part) for part in first["loc"]) or "(input)"
    return f"{field}: {first['msg']}"


def problem_with(model: type[BaseModel], data: object) -> str | None:
    """What is wrong with ``data`` as a ``model`` (None: nothing). The CLI checks an execution's input
    with this before starting it, so a bad one exits 2 and starts nothing."""
    try:
        model.model_validate(data)
    except ValidationError as error:
        return first_problem(error)
    return None
