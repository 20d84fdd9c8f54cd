"""Execution inputs: one way to validate them, so every workflow names the bad field the same way."""

from __future__ import annotations

import re
from typing import Any, TypeVar

from pydantic import BaseModel, TypeAdapter, ValidationError

from hadrill.errors import cut, shown

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
        raise error(f"{owner_field}: {shown(requested)} is not this workflow's {owner_field} ({cluster!r})")
    return request


def first_problem(error: ValidationError) -> str:
    """ "<field>: <reason>" for the first thing wrong (how every workflow and the CLI name it). A field
    name the input made up (an unknown key) is quoted cut; a model's own check names its field."""
    first = error.errors(include_url=False)[0]
    field = ".".join(_part(part) for part in first["loc"])
    message = str(first["msg"]).removeprefix("Value error, ")
    if not field:
        own = re.match(r"^([A-Za-z][A-Za-z0-9_.]{0,63}): (.*)$", message, flags=re.ASCII | re.DOTALL)
        field, message = (own.group(1), own.group(2)) if own else ("(input)", message)
    return " ".join(f"{field}: {cut(message, 300)}".split())


def _part(part: object) -> str:
    text = str(part)
    return text if len(text) <= 64 and text.isascii() and text.isprintable() else shown(text, 64)


def value_problem(kind: Any, value: object, name: str) -> str | None:
    """What is wrong with one value as a field type of hadrill.fields (None: nothing), as
    "<name>: <value> is not valid here (...)": the CLI checks its arguments with the models' types."""
    try:
        TypeAdapter(kind).validate_python(value)
    except ValidationError as error:
        first = error.errors(include_url=False)[0]
        if first["type"] == "string_pattern_mismatch":
            return f"{name}: {shown(value)} is not valid here (expected to match {first['ctx']['pattern']})"
        return f"{name}: {cut(str(first['msg']).removeprefix('Value error, '), 200)} (got {shown(value)})"
    return None


def problem_with(model: type[BaseModel], data: object) -> str | None:
    """What is wrong with ``data`` as a ``model`` (None: nothing). The CLI checks an execution's input
    with this before starting it, so a bad one exits 2 and starts nothing."""
    try:
        model.model_validate(data)
    except ValidationError as error:
        return first_problem(error)
    return None
