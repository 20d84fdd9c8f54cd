"""The Step Functions interpreter's deep copies of JSON values, made by a plain recursion (issue 18: a tenth
of a fleet's world CPU was ``copy.deepcopy`` of drill states). A copy must equal deepcopy's and share no
container with the original; anything that is not JSON goes to deepcopy itself."""

from __future__ import annotations

import copy
import importlib
from collections import OrderedDict
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from localworld import LocalWorld, stepfunctions
from localworld.json_copy import JSON_COPY, json_deepcopy

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4),
    max_leaves=30,
)


def containers(value: Any) -> list[Any]:
    if isinstance(value, dict):
        return [value, *(c for item in value.values() for c in containers(item))]
    if isinstance(value, list):
        return [value, *(c for item in value for c in containers(item))]
    return []


@given(JSON)
def test_a_json_value_is_copied_as_deepcopy_copies_it(value: Any) -> None:
    copied = json_deepcopy(value)
    assert copied == copy.deepcopy(value)
    assert not {id(c) for c in containers(copied)} & {id(c) for c in containers(value)}


def test_what_is_not_json_goes_to_deepcopy() -> None:
    class Node:
        def __init__(self) -> None:
            self.children: list[Node] = []

    node = Node()
    for value in ({"at": (1, 2)}, OrderedDict(a=[1]), [node], {"deep": [{"set": {1, 2}}]}):
        copied = json_deepcopy(value)
        assert copied == value or isinstance(copied, list)  # a Node has no equality of its own
        assert type(copied) is type(value)
    assert type(json_deepcopy(OrderedDict(a=1))) is OrderedDict
    assert json_deepcopy([node])[0] is not node


def test_the_interpreters_modules_copy_json_while_the_world_is_open(world: LocalWorld) -> None:
    for name in stepfunctions.JSON_COPY_MODULES:
        module = importlib.import_module(name)
        assert module.copy is JSON_COPY, name
        assert JSON_COPY.copy is copy.copy  # the rest of the copy module is copy's
