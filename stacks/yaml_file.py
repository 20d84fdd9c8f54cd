"""Read a YAML settings file so that no file, however broken or hostile, crashes or stalls the reader.

What ``yaml.safe_load`` lets through, refused here with one line (:class:`YamlFileError`, then
``config error: FILE: ...`` and exit 2 from ``cdk synth`` and the CLI):

- text that is not UTF-8 (Shift_JIS, Latin-1, UTF-16, binary), and NUL or other control characters
  (with the line they are on);
- a key given twice in one mapping (YAML says keys are unique; PyYAML silently keeps the last);
- aliases that would expand to more than :data:`MAX_NODES` values, recursive aliases, more than
  :data:`MAX_ALIASES` aliases, and nesting deeper than :data:`MAX_DEPTH` (a 4 KB "billion laughs"
  file otherwise takes gigabytes, and a deep one a RecursionError);
- integer literals longer than :data:`MAX_INT_DIGITS` digits, and values a constructor cannot build
  (``2001-13-45`` as a date): PyYAML raises ValueError from those, not a YAML error;
- files over :data:`MAX_BYTES`.

Every value quoted in a message is cut (``hadrill.errors.shown``). Imports no CDK.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from hadrill.errors import cut, shown

MAX_BYTES = 1024 * 1024
MAX_DEPTH = 32
MAX_ALIASES = 100
MAX_NODES = 20_000
MAX_INT_DIGITS = 30
# C0 controls but tab, line feed and carriage return; and DEL.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class YamlFileError(ValueError):
    """The file cannot be read as settings; ``str()`` is one line (without the file name)."""


def _where(mark: Any) -> str:
    return f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""


class _Bounded(yaml.constructor.SafeConstructor):
    """SafeConstructor with unique keys, bounded integers, and a line for any value it cannot build."""

    def construct_mapping(self, node: MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: dict[tuple[str, Any], Node] = {}
        for key_node, _ in node.value:
            if isinstance(key_node, ScalarNode) and key_node.tag != "tag:yaml.org,2002:merge":
                key = (key_node.tag, key_node.value)
                if key in seen:
                    raise YamlFileError(
                        f"key {shown(key_node.value)} is given twice{_where(key_node.start_mark)} "
                        f"(first{_where(seen[key].start_mark)}); only one can be meant"
                    )
                seen[key] = key_node
        return super().construct_mapping(node, deep=deep)

    def construct_object(self, node: Node, deep: bool = False) -> Any:
        try:
            return super().construct_object(node, deep=deep)
        except YamlFileError:
            raise
        except (ValueError, TypeError, OverflowError) as error:  # a date like 2001-13-45
            reason = cut(" ".join(str(error).split()))
            raise YamlFileError(f"a value YAML cannot build{_where(node.start_mark)}: {reason}") from None

    def construct_yaml_int(self, node: ScalarNode) -> int:
        digits = sum(character.isdigit() for character in str(node.value))
        if digits > MAX_INT_DIGITS:
            raise YamlFileError(f"a number with {digits} digits{_where(node.start_mark)}; no setting needs one")
        return super().construct_yaml_int(node)


class _PyLoader(_Bounded, yaml.SafeLoader):
    """The pure-Python loader, bounding depth and aliases while it composes (used without libyaml)."""

    def __init__(self, stream: str) -> None:
        yaml.SafeLoader.__init__(self, stream)
        self._depth = 0
        self._aliases = 0

    def compose_node(self, parent: Node | None, index: Any) -> Node | None:
        if self.check_event(yaml.AliasEvent):
            self._aliases += 1
            if self._aliases > MAX_ALIASES:
                mark = self.peek_event().start_mark  # type: ignore[no-untyped-call]
                raise YamlFileError(f"more than {MAX_ALIASES} aliases (*name){_where(mark)}")
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                mark = self.peek_event().start_mark  # type: ignore[no-untyped-call]
                raise YamlFileError(f"nested deeper than {MAX_DEPTH} levels{_where(mark)}")
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


_CSafeLoader: Any = getattr(yaml, "CSafeLoader", None)
_CLoader: Any = None
if _CSafeLoader is not None:

    class _CLoaderClass(_Bounded, _CSafeLoader):  # type: ignore[misc]
        """libyaml's parser and composer (ten times faster) with the same constructor; depth and aliases
        are bounded by a first pass over its events (_precheck), since its composer recurses in C."""

        def __init__(self, stream: str) -> None:
            _CSafeLoader.__init__(self, stream)

    _CLoader = _CLoaderClass

for _loader in (_PyLoader, _CLoader):
    if _loader is not None:
        _loader.add_constructor("tag:yaml.org,2002:int", _loader.construct_yaml_int)


def _precheck(text: str) -> None:
    """Depth, aliases and values counted on libyaml's events, before anything composes them."""
    events = _CSafeLoader(text)
    depth = aliases = values = 0
    try:
        while events.check_event():
            event = events.get_event()
            if isinstance(event, yaml.CollectionStartEvent):
                depth += 1
                if depth > MAX_DEPTH:
                    raise YamlFileError(f"nested deeper than {MAX_DEPTH} levels{_where(event.start_mark)}")
            elif isinstance(event, yaml.CollectionEndEvent):
                depth -= 1
            elif isinstance(event, yaml.AliasEvent):
                aliases += 1
                if aliases > MAX_ALIASES:
                    raise YamlFileError(f"more than {MAX_ALIASES} aliases (*name){_where(event.start_mark)}")
            if isinstance(event, yaml.NodeEvent):
                values += 1
                if values > MAX_NODES:
                    raise YamlFileError(
                        f"more than {MAX_NODES} values{_where(event.start_mark)}; no config holds so many"
                    )
    finally:
        events.dispose()


def _expanded_size(root: Node) -> int:
    """How many values the document holds once every alias is expanded (aliases share nodes, so a
    shared node counts once per use), refusing cycles, more than MAX_NODES values, and an expanded
    depth over MAX_DEPTH (aliases inside aliases nest deeper than the text shows)."""
    known: dict[int, tuple[int, int]] = {}  # id(node) -> (values, height)
    active: set[int] = set()

    def measure(node: Node, depth: int) -> tuple[int, int]:
        key = id(node)
        if key in active:
            raise YamlFileError(f"a recursive alias{_where(node.start_mark)}")
        if key not in known:
            if depth > MAX_DEPTH:
                raise YamlFileError(f"nested deeper than {MAX_DEPTH} levels{_where(node.start_mark)}")
            active.add(key)
            children: list[Node] = []
            if isinstance(node, SequenceNode):
                children = list(node.value)
            elif isinstance(node, MappingNode):
                children = [part for pair in node.value for part in pair]
            total, height = 1, 1
            for child in children:
                values, below = measure(child, depth + 1)
                total, height = total + values, max(height, below + 1)
                if total > MAX_NODES:
                    raise YamlFileError(
                        f"expands to more than {MAX_NODES} values{_where(node.start_mark)} (aliases of aliases?)"
                    )
            active.discard(key)
            known[key] = (total, height)
        total, height = known[key]
        if depth + height > MAX_DEPTH + 1:
            where = _where(node.start_mark)
            raise YamlFileError(f"nested deeper than {MAX_DEPTH} levels once aliases are expanded{where}")
        return total, height

    return measure(root, 1)[0]


def decode(raw: bytes) -> str:
    """The file's text, or YamlFileError naming the first byte that is not UTF-8 and its line."""
    if len(raw) > MAX_BYTES:
        raise YamlFileError(f"the file is larger than {MAX_BYTES} bytes; a settings file is far smaller")
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise YamlFileError("the file is UTF-16; save it as UTF-8")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        line = raw.count(b"\n", 0, error.start) + 1
        raise YamlFileError(
            f"not UTF-8 text (byte 0x{raw[error.start]:02x} at line {line}); save the file as UTF-8"
        ) from None
    bad = _CONTROL.search(text)
    if bad is not None:
        line = text.count("\n", 0, bad.start()) + 1
        raise YamlFileError(f"control character U+{ord(bad.group()):04X} at line {line}; a settings file is text")
    return text.removeprefix("\ufeff")


def parse(text: str) -> Any:
    """The one document in ``text`` as Python data, within the bounds above."""
    loader: Any = None
    try:
        if _CLoader is not None:
            _precheck(text)
            loader = _CLoader(text)
        else:
            loader = _PyLoader(text)
        root = loader.get_single_node()
        if root is None:
            return None
        _expanded_size(root)
        return loader.construct_document(root)
    except YamlFileError:
        raise
    except yaml.reader.ReaderError as error:
        line = text.count("\n", 0, error.position) + 1
        raise YamlFileError(f"character U+{error.character:04X} at line {line} is not allowed in YAML") from None
    except yaml.MarkedYAMLError as error:
        problem = cut(error.problem, 200) if error.problem else "invalid YAML"
        raise YamlFileError(f"not valid YAML{_where(error.problem_mark)}: {problem}") from None
    except yaml.YAMLError as error:
        raise YamlFileError(f"not valid YAML: {cut(' '.join(str(error).split()), 200)}") from None
    except (ValueError, TypeError, OverflowError, RecursionError) as error:
        # A constructor that failed on a value (a date like 2001-13-45): name the problem, cut.
        raise YamlFileError(f"a value YAML cannot build: {cut(' '.join(str(error).split()))}") from None
    finally:
        if loader is not None:
            loader.dispose()


def read(path: Path) -> Any:
    """Read, decode and parse ``path``; OSError is left to the caller (it words "cannot read")."""
    with path.open("rb") as stream:
        raw = stream.read(MAX_BYTES + 1)
    return parse(decode(raw))
