"""Parse LifeKeeper's short status display, ``lcdstatus -q``.

The format (SIOS "Short Status Display"): a resource block with the header
``LOCAL TAG ID STATE PRIO PRIMARY`` (``BACKUP`` instead of ``LOCAL`` with ``-e``), child tags
indented under their parent, then a ``Communication Status Information`` block with the header
``MACHINE NETWORK ADDRESSES/DEVICE STATE PRIO``. Section titles may or may not be printed.
Both blocks are optional: with LifeKeeper running but no comm paths and no resources, LifeKeeper 9.8.1
prints only the resource header line (docs/vendor-commands.md, row "lcdstatus -q, empty node"); a
missing or empty block means no resources or no comm paths. Anything that does not fit raises
:class:`ParseError`: a wrong answer is worse than none.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from enum import StrEnum

from hadrill.errors import LifeKeeperNotRunningError, ParseError, shown

_WHAT = "lcdstatus output"
_RESOURCE_HEADERS = (
    ("LOCAL", "TAG", "ID", "STATE", "PRIO", "PRIMARY"),
    ("BACKUP", "TAG", "ID", "STATE", "PRIO", "PRIMARY"),
)
_COMM_HEADER_FIRST = "MACHINE"
_TITLES = ("Resource Hierarchy Information", "Communication Status Information")
_TREE_CHARS = "|-\u2014\u2013`+"  # Windows-style "|--" tree prefixes count as indentation
# A priority: ASCII digits only (str.isdigit() also passes "²" and "٣"), short enough for int().
_PRIORITY = re.compile(r"[0-9]{1,9}", flags=re.ASCII)


class ResourceState(StrEnum):
    """LifeKeeper resource states."""

    IN_SERVICE = "ISP"  # in service, protected
    IN_SERVICE_UNPROTECTED = "ISU"
    OUT_OF_SERVICE_FAILED = "OSF"
    OUT_OF_SERVICE = "OSU"  # out of service, unimpaired

    @property
    def in_service(self) -> bool:
        return self in (ResourceState.IN_SERVICE, ResourceState.IN_SERVICE_UNPROTECTED)


class PathState(StrEnum):
    ALIVE = "ALIVE"
    DEAD = "DEAD"


@dataclass(frozen=True)
class Resource:
    """One line of the resource block."""

    node: str  # LOCAL (or BACKUP) column
    tag: str
    id: str
    state: ResourceState
    priority: int
    primary: str
    depth: int
    parent: str | None
    children: tuple[str, ...] = field(default=())


@dataclass(frozen=True)
class CommPath:
    """One line of the communication status block."""

    machine: str
    network: str
    addresses: str
    state: PathState
    priority: int | None  # None for "--" (TTY paths)


@dataclass(frozen=True)
class LcdStatus:
    resources: tuple[Resource, ...]
    comm_paths: tuple[CommPath, ...]

    def resource(self, tag: str) -> Resource | None:
        return next((r for r in self.resources if r.tag == tag), None)

    def hierarchy(self, root_tag: str) -> tuple[Resource, ...]:
        """The resource with ``root_tag`` and everything below it, parents first."""
        by_tag = {r.tag: r for r in self.resources}
        if root_tag not in by_tag:
            return ()

        # Depth first without recursion: a hierarchy may be deeper than Python's recursion limit.
        found: list[Resource] = []
        pending = [root_tag]
        while pending:
            resource = by_tag[pending.pop()]
            found.append(resource)
            pending.extend(reversed(resource.children))
        return tuple(found)

    def roots(self) -> tuple[Resource, ...]:
        return tuple(r for r in self.resources if r.parent is None)


def _is_title(line: str) -> bool:
    return line.strip() in _TITLES


def _resource_header(tokens: list[str]) -> bool:
    return tuple(tokens) in _RESOURCE_HEADERS


def _comm_header(tokens: list[str]) -> bool:
    return len(tokens) == 5 and tokens[0] == _COMM_HEADER_FIRST and tokens[3:] == ["STATE", "PRIO"]


def _tag_column(line: str) -> tuple[int, str]:
    """Where the tag starts (tree characters count as indentation) and the tag itself."""
    first_end = len(line) - len(line.lstrip())
    first_end += len(line[first_end:].split(None, 1)[0])
    rest = line[first_end:]
    stripped = rest.lstrip(" \t" + _TREE_CHARS)
    return first_end + len(rest) - len(stripped), stripped.split(None, 1)[0] if stripped else ""


def _parse_resource(line: str, number: int) -> tuple[int, Resource]:
    tokens = line.split()
    if len(tokens) < 6:
        raise ParseError(_WHAT, f"resource line has {len(tokens)} fields, expected 6: {shown(line.strip())}", number)
    column, tag = _tag_column(line)
    try:
        state = ResourceState(tokens[-3])
    except ValueError:
        raise ParseError(_WHAT, f"unknown resource state {shown(tokens[-3])}", number) from None
    if not _PRIORITY.fullmatch(tokens[-2]):
        raise ParseError(_WHAT, f"priority {shown(tokens[-2])} is not a number", number)
    tag_index = next((i for i, t in enumerate(tokens[1:], start=1) if t.endswith(tag)), 1)
    ident = " ".join(tokens[tag_index + 1 : -3])
    if not tag or not ident:
        raise ParseError(_WHAT, f"resource line lacks a tag or an id: {shown(line.strip())}", number)
    resource = Resource(
        node=tokens[0],
        tag=tag,
        id=ident,
        state=state,
        priority=int(tokens[-2]),
        primary=tokens[-1],
        depth=0,
        parent=None,
    )
    return column, resource


def _parse_comm_path(line: str, number: int) -> CommPath:
    tokens = line.split()
    if len(tokens) != 5:
        raise ParseError(_WHAT, f"comm path line has {len(tokens)} fields, expected 5: {shown(line.strip())}", number)
    machine, network, addresses, state_text, prio = tokens
    try:
        state = PathState(state_text)
    except ValueError:
        raise ParseError(_WHAT, f"unknown comm path state {shown(state_text)}", number) from None
    if prio != "--" and not _PRIORITY.fullmatch(prio):
        raise ParseError(_WHAT, f"comm path priority {shown(prio)} is neither a number nor --", number)
    return CommPath(machine, network, addresses, state, None if prio == "--" else int(prio))


def _link(rows: list[tuple[int, Resource]]) -> tuple[Resource, ...]:
    """Turn indentation into parent/child links."""
    stack: list[tuple[int, str]] = []
    parents: dict[str, str | None] = {}
    depths: dict[str, int] = {}
    children: dict[str, list[str]] = {r.tag: [] for _, r in rows}
    for column, resource in rows:
        while stack and stack[-1][0] >= column:
            stack.pop()
        parent = stack[-1][1] if stack else None
        parents[resource.tag] = parent
        depths[resource.tag] = len(stack)
        if parent is not None:
            children[parent].append(resource.tag)
        stack.append((column, resource.tag))
    return tuple(
        Resource(
            node=r.node,
            tag=r.tag,
            id=r.id,
            state=r.state,
            priority=r.priority,
            primary=r.primary,
            depth=depths[r.tag],
            parent=parents[r.tag],
            children=tuple(children[r.tag]),
        )
        for _, r in rows
    )


def parse_lcdstatus(text: str) -> LcdStatus:
    """Parse ``lcdstatus -q`` (or ``-e``) output into resources and comm paths."""
    if "does not appear to be running" in text:
        raise LifeKeeperNotRunningError()
    lines = text.splitlines()
    if not any(line.strip() for line in lines):
        raise ParseError(_WHAT, "the output is empty")
    section: str | None = None
    rows: list[tuple[int, Resource]] = []
    paths: list[CommPath] = []
    seen_resource_header = seen_comm_header = False
    for number, line in enumerate(lines, start=1):
        tokens = line.split()
        if not tokens or _is_title(line):
            continue
        if _resource_header(tokens):
            if seen_resource_header:
                raise ParseError(_WHAT, "a second resource header", number)
            section, seen_resource_header = "resources", True
        elif _comm_header(tokens):
            if seen_comm_header:
                raise ParseError(_WHAT, "a second comm path header", number)
            section, seen_comm_header = "paths", True
        elif section == "resources":
            rows.append(_parse_resource(line, number))
        elif section == "paths":
            paths.append(_parse_comm_path(line, number))
        else:
            raise ParseError(_WHAT, f"text before any header: {shown(line.strip())}", number)
    counts = Counter(r.tag for _, r in rows)  # linear: a listing of 10,000 resources is not quadratic
    duplicates = sorted(tag for tag, count in counts.items() if count > 1)
    if duplicates:
        listed = ", ".join(shown(tag) for tag in duplicates[:5]) + (" …" if len(duplicates) > 5 else "")
        raise ParseError(_WHAT, f"tag listed twice: {listed}")
    return LcdStatus(resources=_link(rows), comm_paths=tuple(paths))
