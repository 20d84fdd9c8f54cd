"""The lookup moto repeats on every request, made once per response class.

``BaseResponse.call_action`` asks ``method_names_from_class(type(self))`` which actions the class
answers: ``inspect.getmembers`` over the class and its bases (a few hundred attributes, sorted), on
every call the world's clients make. The answer only changes when a class's attributes do, as when a
world's patches add a response method (localworld.patches.install_ssm) or take it away at close.
"""

from __future__ import annotations

from collections.abc import Callable

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
