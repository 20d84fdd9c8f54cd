"""Deep copies of JSON values by a plain recursion, for the moto code that deep-copies JSON at every step.

``copy.deepcopy`` handles any Python object (a memo of what it copied, reductors, dispatch by type); the
values moto's Step Functions interpreter and request parsing copy are JSON: dicts, lists, strings,
numbers, booleans and None. ``json_deepcopy`` copies those directly and hands anything else to
``copy.deepcopy``.
"""

from __future__ import annotations

import copy
from typing import Any


class _NotJson(Exception):
    pass


_JSON_SCALARS = (str, int, float, bool, type(None))


def _copy_json(value: Any) -> Any:
    kind = type(value)
    if kind is dict:
        return {key: _copy_json(item) for key, item in value.items()}
    if kind is list:
        return [_copy_json(item) for item in value]
    if kind in _JSON_SCALARS:
        return value  # immutable
    raise _NotJson


def json_deepcopy(value: Any, memo: dict[int, Any] | None = None) -> Any:
    """``copy.deepcopy(value)`` for a JSON value, without deepcopy's generality; anything else (a tuple, an
    object, a dict subclass anywhere inside) goes to ``copy.deepcopy``. A JSON value has no cycles, and a
    sub-value that appears twice is copied twice (deepcopy would share the one copy): the interpreter only
    reads and replaces values, so no step can tell the difference."""
    try:
        return _copy_json(value)
    except _NotJson:
        return copy.deepcopy(value, memo)


class _JsonCopyModule:
    """Stands in for the ``copy`` module: ``deepcopy`` is json_deepcopy, the rest is copy's."""

    deepcopy = staticmethod(json_deepcopy)

    def __getattr__(self, name: str) -> Any:
        return getattr(copy, name)


JSON_COPY = _JsonCopyModule()
