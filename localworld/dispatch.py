"""Work moto repeats on every request, done once: the lookup of a response class's actions (once per
class), and the parse of a JSON request body (once per request).

``BaseResponse.call_action`` asks ``method_names_from_class(type(self))`` which actions the class
answers: ``inspect.getmembers`` over the class and its bases (a few hundred attributes, sorted), on
every call the world's clients make. The answer only changes when a class's attributes do, as when a
world's patches add a response method (localworld.patches.install_ssm) or take it away at close.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from typing import Any

from localworld.json_copy import json_deepcopy

RESPONSES_MODULE = "moto.core.responses"  # imports method_names_from_class by name; call_action calls it

# Per class along its MRO: how many attributes its own namespace holds.
Fingerprint = tuple[int, ...]


class MethodNames:
    """Stands in for ``method_names_from_class`` in moto.core.responses: the names of the functions a
    response class has (its actions), found by ``find`` (moto's) once per class and kept while the
    classes along its MRO hold as many attributes as they did then. An attribute added or removed (a
    patch with create=True, or its undoing) changes that count and finds the names again; a method
    replaced in place by another keeps its name, as moto's lookup would too. Membership is all
    call_action asks (``action in method_names``): a frozenset answers it."""

    def __init__(self, find: Callable[[object], list[str]]) -> None:
        self._find = find
        self._names: dict[type, tuple[Fingerprint, frozenset[str]]] = {}
        self.found = 0  # lookups made by ``find`` (for tests)

    def __call__(self, clazz: object) -> frozenset[str]:
        if not isinstance(clazz, type):
            return frozenset(self._find(clazz))
        fingerprint = tuple(len(vars(base)) for base in clazz.__mro__)
        known = self._names.get(clazz)
        if known is not None and known[0] == fingerprint:
            return known[1]
        names = frozenset(self._find(clazz))
        self.found += 1
        # A plain dict: under the GIL a get and a set are atomic, and two threads finding one class's
        # names at once find the same names.
        self._names[clazz] = (fingerprint, names)
        return names


class RequestJson:
    """Stands in for the ``json`` module of moto.core.responses, whose one use is in ``_get_param``:
    ``json.loads(self.body)[name]``, the whole body parsed again for every parameter read (a
    CreateDocument's 30-60 KB body about ten times). The last text parsed in each thread is kept with its
    value, and a call with that same string object gets a copy of it: what a new parse would give, never
    an object an earlier caller holds. Any other call is json's."""

    def __init__(self) -> None:
        self._last = threading.local()
        self.parsed = 0  # texts actually parsed (for tests)

    def loads(self, text: Any, **options: Any) -> Any:
        if options or not isinstance(text, (str, bytes)):
            return json.loads(text, **options)
        last: tuple[Any, Any] | None = getattr(self._last, "parsed", None)
        if last is None or last[0] is not text:
            last = (text, json.loads(text))  # a ValueError leaves nothing kept
            self._last.parsed = last
            self.parsed += 1
        return json_deepcopy(last[1])

    def __getattr__(self, name: str) -> Any:
        return getattr(json, name)
