"""The cluster as one read-only picture (`hadrill status`): pure functions over what was read.

What goes in: each node's HADrill-NodeStatus output (or why the node could not be asked), the virtual
IP's route tables (EC2 DescribeRouteTables), the drill lock item and the newest drill record (the
records table), and the drill schedule rules (EventBridge DescribeRule). What comes out: which node is
active, every resource of every node by its LifeKeeper tag and state, comm paths, the mirror, where the
VIP route points, versions, the lock, the last and next drill, and the problems, each named. No AWS call
happens here: the CLI reads, this module judges, the CLI renders.

A problem makes the cluster degraded (exit 1). A note (the hierarchy is on the secondary, a drill holds
the lock, the last drill failed) is shown but is not a fault of the cluster as it stands.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

from hadrill.errors import ParseError, RouteError, cut
from hadrill.hulft_ps import DAEMONS, running_daemons
from hadrill.lcdstatus import LcdStatus, PathState, Resource, ResourceState
from hadrill.results import NodeStatus, parse_node_status
from hadrill.routes import vip_route_target
from hadrill.schedule_times import next_run

# English wording of each problem and note; the CLI shows the same keys in English or Japanese
# (hadrill_cli/status_messages.py, checked equal in English by a test).
PROBLEM_TEXT: dict[str, str] = {
    "node_unreachable": "{node}: unreachable ({reason})",
    "node_unreadable": "{node}: its status could not be read ({reason})",
    "lk_down": "{node}: LifeKeeper is not running",
    "lk_not_initialized": "{node}: LifeKeeper is running but not initialized (no LK_INITDONE)",
    "hierarchy_undefined": "{node}: resource hierarchy {tag} is not defined",
    "no_active_node": "hierarchy {tag} is in service on no node",
    "two_active_nodes": "hierarchy {tag} is in service on both nodes: {nodes}",
    "resource_failed": "{node}: resource {tag} is OSF (out of service, failed)",
    "resource_not_in_service": "{node}: resource {tag} is {state}, expected ISP on the active node",
    "resource_in_service_on_standby": "{node}: resource {tag} is {state} on the standby",
    "daemon_missing": "{node}: HULFT daemon {daemon} is not running on the active node",
    "daemon_on_standby": "{node}: HULFT daemon {daemon} runs on the standby",
    "comm_path_dead": "{node}: comm path to {peer} over {addresses} is DEAD",
    "no_comm_paths": "{node}: no comm path is defined",
    "mirror_not_in_sync": "{node}: mirror {tag} is not in sync ({mirror})",
    "data_not_mounted": "{node}: {mount} is not mounted on the active node",
    "data_mounted_on_standby": "{node}: {mount} is mounted on the standby",
    "vip_route_error": "VIP route: {reason}",
    "vip_route_elsewhere": "VIP route {vip}/32 points at {eni} ({target}), not at the active node {node}",
    "records_unreadable": "{what}: {reason}",
}
NOTE_TEXT: dict[str, str] = {
    "on_secondary": "the hierarchy runs on the secondary {node}: bring it home with a switchback when ready",
    "lock_held": "drill lock held by {drill_id} until {expires}",
    "lock_stale": "drill lock of {drill_id} expired at {expires}: the next drill breaks it",
    "last_drill_not_passed": "the last drill {drill_id} was {outcome}: {reason}",
}

# Kit packages as `rpm -qa 'steeleye-lk*'` names them (docs/vendor-commands.md rows 7, 62, 72).
PACKAGES = (
    ("lifekeeper", "steeleye-lk"),
    ("datakeeper", "steeleye-lkDR"),
    ("ec2_recovery_kit", "steeleye-lkECC"),
    ("hulft_recovery_kit", "steeleye-lkHUL"),
)
_ARCH = re.compile(r"\.(noarch|x86_64|aarch64|i[3-6]86)$", flags=re.ASCII)
_PERCENT = re.compile(r"[0-9]{1,3}", flags=re.ASCII)


@dataclass(frozen=True)
class Finding:
    """A problem or a note: a key (PROBLEM_TEXT / NOTE_TEXT) and the values its text names."""

    key: str
    values: dict[str, str]

    def text(self) -> str:
        template = PROBLEM_TEXT.get(self.key) or NOTE_TEXT[self.key]
        return template.format(**self.values)

    def as_dict(self) -> dict[str, Any]:
        return {"key": self.key, "text": self.text(), **self.values}


@dataclass(frozen=True)
class ResourceView:
    tag: str
    id: str
    state: str
    depth: int  # 0 for a hierarchy's root, 1 for its children, ...


@dataclass(frozen=True)
class CommPathView:
    peer: str
    network: str
    addresses: str
    state: str
    priority: int | None


@dataclass(frozen=True)
class NodeView:
    """One node as the status shows it; ``reachable`` False leaves the rest empty."""

    name: str
    role: str  # primary | secondary (the deployment's roles, not who is active)
    instance_id: str
    reachable: bool
    reason: str = ""  # why it could not be read (unreachable, no answer, unreadable output)
    answered: bool = False  # the node ran the script (its output failed or could not be read)
    lifekeeper_running: bool = False
    lifekeeper_initialized: bool = False
    resources: tuple[ResourceView, ...] = ()
    comm_paths: tuple[CommPathView, ...] = ()
    daemons: tuple[str, ...] = ()
    data_mounted: bool = False
    mirror_in_sync: bool = False
    mirror_percent: int | None = None
    mirror_text: str = ""
    hosts_entry: str = ""
    versions: dict[str, str] = field(default_factory=dict)
    hulft_state: str | None = None  # the root resource's state here (None: not defined)


@dataclass(frozen=True)
class RouteView:
    eni: str | None
    node: str | None  # the node whose ENI it is (None: not a node of this cluster, or unread)
    error: str = ""


@dataclass(frozen=True)
class LockView:
    drill_id: str
    execution: str
    acquired: str
    expires: str
    expired: bool


@dataclass(frozen=True)
class DrillView:
    drill_id: str
    scenario: str
    outcome: str
    started: str
    rto_seconds: float | None
    reason: str


@dataclass(frozen=True)
class ScheduleView:
    rule: str
    expression: str
    enabled: bool
    description: str
    next_run: str | None  # ISO 8601 UTC; None when disabled or a rate() (EventBridge counts from creation)


@dataclass(frozen=True)
class ClusterStatus:
    cluster: str
    checked: str
    virtual_ip: str
    hulft_tag: str
    active_node: str | None
    nodes: tuple[NodeView, ...]
    route: RouteView
    lock: LockView | None
    last_drill: DrillView | None
    schedules: tuple[ScheduleView, ...]
    problems: tuple[Finding, ...]
    notes: tuple[Finding, ...]

    @property
    def healthy(self) -> bool:
        return not self.problems

    @property
    def next_drill(self) -> ScheduleView | None:
        timed = [s for s in self.schedules if s.enabled and s.next_run]
        return min(timed, key=lambda s: s.next_run or "") if timed else None

    def as_dict(self) -> dict[str, Any]:
        document = asdict(self)
        document["healthy"] = self.healthy
        document["problems"] = [p.as_dict() for p in self.problems]
        document["notes"] = [n.as_dict() for n in self.notes]
        next_drill = self.next_drill
        document["next_drill"] = None if next_drill is None else asdict(next_drill)
        plain: dict[str, Any] = json.loads(json.dumps(document))  # tuples as lists: what --json prints
        return plain


# -- one node --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class NodeInput:
    """What was learnt of one node: its HADrill-NodeStatus stdout, or why there is none."""

    name: str
    role: str
    instance_id: str
    eni_id: str
    stdout: str | None = None
    unreachable: str = ""  # e.g. "not online in SSM (ConnectionLost)", "no answer within 60 s"
    failed: str = ""  # the command ran but failed: its status and message


def package_version(packages: Sequence[str], name: str) -> str | None:
    """``9.8.1-7160`` for ``steeleye-lk-9.8.1-7160.x86_64`` when ``name`` is steeleye-lk (rpm's
    name-version-release.arch); None when the package is not in the list."""
    for package in packages:
        stem = _ARCH.sub("", package)
        parts = stem.rsplit("-", 2)
        if len(parts) == 3 and parts[0] == name:
            return f"{parts[1]}-{parts[2]}"
    return None


def versions_of(status: NodeStatus) -> dict[str, str]:
    """LifeKeeper, DataKeeper, the EC2 and HULFT Recovery Kits (rpm) and HULFT (the install record)."""
    found = {key: version for key, name in PACKAGES if (version := package_version(status.packages, name))}
    if status.hulft_installed.split():
        found["hulft"] = status.hulft_installed.split()[0]
    return found


def mirror_percent(value: str | None, text: str) -> int | None:
    """The node's ``mirror_percent`` (vendor.sh hadrill_mirror_percent, "?" when the text has none),
    or the figure after "% Synced:" in the mirror_status text of an older node script (None)."""
    if isinstance(value, str) and _PERCENT.fullmatch(value):
        return min(int(value), 100)
    if value is None:
        match = re.search(r"% Synced:\s*([0-9]{1,3})\b", text, flags=re.ASCII)
        if match:
            return min(int(match.group(1)), 100)
    return None


def _resources(lcd: LcdStatus) -> tuple[ResourceView, ...]:
    return tuple(ResourceView(r.tag, r.id, r.state.value, r.depth) for r in lcd.resources)


def node_view(node: NodeInput, *, hulft_tag: str) -> NodeView:
    """Parse one node's status output (captured fixtures in tests/unit/fixtures/status_*)."""
    if node.unreachable:
        return NodeView(node.name, node.role, node.instance_id, reachable=False, reason=node.unreachable)
    if node.failed or node.stdout is None:
        reason = node.failed or "no output"
        return NodeView(node.name, node.role, node.instance_id, reachable=False, reason=reason, answered=True)
    try:
        status = parse_node_status(node.stdout)
    except ParseError as error:
        reason = f"unreadable output: {cut(str(error), 160)}"
        return NodeView(node.name, node.role, node.instance_id, reachable=False, reason=reason, answered=True)
    lcd = status.lcdstatus
    root = lcd.resource(hulft_tag) if lcd is not None else None
    return NodeView(
        node.name,
        node.role,
        node.instance_id,
        reachable=True,
        answered=True,
        lifekeeper_running=status.lifekeeper_running,
        lifekeeper_initialized=status.lifekeeper_initialized,
        resources=_resources(lcd) if lcd is not None else (),
        comm_paths=tuple(
            CommPathView(p.machine, p.network, p.addresses, p.state.value, p.priority) for p in lcd.comm_paths
        )
        if lcd is not None
        else (),
        daemons=tuple(sorted(running_daemons(status.hulft_processes))),
        data_mounted=status.data_mounted,
        mirror_in_sync=status.mirror_in_sync,
        mirror_percent=mirror_percent(status.mirror_percent, status.mirror_status),
        mirror_text=" ".join(status.mirror_status.split()),
        hosts_entry=status.hosts_entry,
        versions=versions_of(status),
        hulft_state=None if root is None else root.state.value,
    )


def hierarchy_names(lcd: LcdStatus, root_tag: str) -> str:
    """The hierarchy as the vendor names it, one line: ``hulft (/data (datarep-data), hulft-obs, ...)``."""
    by_tag = {r.tag: r for r in lcd.resources}
    if root_tag not in by_tag:
        return ""

    def named(resource: Resource, depth: int) -> str:
        if not resource.children or depth > 16:
            return resource.tag
        inner = ", ".join(named(by_tag[child], depth + 1) for child in resource.children if child in by_tag)
        return f"{resource.tag} ({inner})"

    return named(by_tag[root_tag], 0)


# -- the rest of the cluster -----------------------------------------------------------------------


def route_view(
    route_tables: Sequence[Mapping[str, Any]] | None, virtual_ip: str, eni_to_node: Mapping[str, str]
) -> RouteView:
    """Where the VIP's /32 routes point (DescribeRouteTables' RouteTables), and whose ENI that is."""
    if route_tables is None:
        return RouteView(None, None, "route tables not read")
    try:
        eni = vip_route_target(route_tables, virtual_ip)
    except RouteError as error:
        return RouteView(None, None, str(error))
    return RouteView(eni, eni_to_node.get(eni))


def _iso_ms(epoch_ms: int) -> str:
    return datetime.fromtimestamp(epoch_ms / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def _attr(item: Mapping[str, Any], name: str, kind: str = "S") -> Any:
    value = item.get(name)
    return value.get(kind) if isinstance(value, Mapping) else None


def lock_view(item: Mapping[str, Any] | None, now_ms: int) -> LockView | None:
    """The drill lock item (cluster, recordId "lock"; hadrill.drill.lock) as the operator reads it."""
    if not item:
        return None
    expires_text = _attr(item, "expiresEpochMs", "N")
    acquired_text = _attr(item, "acquiredEpochMs", "N")
    expires = (
        int(expires_text) if isinstance(expires_text, str) and expires_text.isascii() and expires_text.isdigit() else 0
    )
    acquired = (
        int(acquired_text)
        if isinstance(acquired_text, str) and acquired_text.isascii() and acquired_text.isdigit()
        else 0
    )
    return LockView(
        drill_id=str(_attr(item, "drillId") or "?"),
        execution=str(_attr(item, "owner") or "?"),
        acquired=_iso_ms(acquired) if acquired else "?",
        expires=_iso_ms(expires) if expires else "?",
        expired=expires <= now_ms,
    )


def drill_view(item: Mapping[str, Any] | None) -> DrillView | None:
    """The newest drill record (recordId ``drill#...``; hadrill.records.WorkflowRecord.item)."""
    if not item:
        return None
    try:
        detail = json.loads(_attr(item, "detail") or "{}")
    except (ValueError, RecursionError):
        detail = {}
    if not isinstance(detail, dict):
        detail = {}
    rto = detail.get("rto_seconds")
    execution = str(_attr(item, "execution") or "")
    return DrillView(
        drill_id=str(detail.get("drill_id") or execution.rsplit(":", 1)[-1] or "?"),
        scenario=str(detail.get("scenario") or "?"),
        outcome=str(_attr(item, "outcome") or "?"),
        started=str(_attr(item, "started") or "?"),
        rto_seconds=float(rto) if isinstance(rto, int | float) and not isinstance(rto, bool) else None,
        reason=cut(" ".join(str(detail.get("reason") or "").split()), 200),
    )


def schedule_view(rule: Mapping[str, Any], now: datetime) -> ScheduleView:
    """One EventBridge rule (DescribeRule) that starts the drill state machine."""
    expression = str(rule.get("ScheduleExpression") or "")
    enabled = rule.get("State") == "ENABLED"
    upcoming = next_run(expression, now) if enabled else None
    return ScheduleView(
        rule=str(rule.get("Name") or "?"),
        expression=expression,
        enabled=enabled,
        description=str(rule.get("Description") or ""),
        next_run=None if upcoming is None else upcoming.strftime("%Y-%m-%dT%H:%MZ"),
    )


# -- the verdict -----------------------------------------------------------------------------------


def _node_problems(view: NodeView, *, active: bool, hulft_tag: str, mirror_tag: str, data_mount: str) -> list[Finding]:
    node = view.name
    if not view.reachable:
        key = "node_unreadable" if view.answered else "node_unreachable"
        return [Finding(key, {"node": node, "reason": view.reason})]
    if not view.lifekeeper_running:
        return [Finding("lk_down", {"node": node})]
    found: list[Finding] = []
    if not view.lifekeeper_initialized:
        found.append(Finding("lk_not_initialized", {"node": node}))
    if view.hulft_state is None:
        found.append(Finding("hierarchy_undefined", {"node": node, "tag": hulft_tag}))
    for resource in view.resources:
        values = {"node": node, "tag": resource.tag, "state": resource.state}
        if resource.state == ResourceState.OUT_OF_SERVICE_FAILED.value:
            found.append(Finding("resource_failed", values))
        elif active and resource.state != ResourceState.IN_SERVICE.value:
            found.append(Finding("resource_not_in_service", values))
        elif not active and resource.state in (
            ResourceState.IN_SERVICE.value,
            ResourceState.IN_SERVICE_UNPROTECTED.value,
        ):
            found.append(Finding("resource_in_service_on_standby", values))
    running = set(view.daemons)
    for daemon in DAEMONS:
        if active and daemon not in running:
            found.append(Finding("daemon_missing", {"node": node, "daemon": daemon}))
        if not active and daemon in running:
            found.append(Finding("daemon_on_standby", {"node": node, "daemon": daemon}))
    if not view.comm_paths:
        found.append(Finding("no_comm_paths", {"node": node}))
    for path in view.comm_paths:
        if path.state == PathState.DEAD.value:
            found.append(Finding("comm_path_dead", {"node": node, "peer": path.peer, "addresses": path.addresses}))
    if not view.mirror_in_sync:
        percent = (
            f"{view.mirror_percent}% synced" if view.mirror_percent is not None else (view.mirror_text or "no status")
        )
        found.append(Finding("mirror_not_in_sync", {"node": node, "tag": mirror_tag, "mirror": cut(percent, 80)}))
    if active and not view.data_mounted:
        found.append(Finding("data_not_mounted", {"node": node, "mount": data_mount}))
    if not active and view.data_mounted:
        found.append(Finding("data_mounted_on_standby", {"node": node, "mount": data_mount}))
    return found


def assess(
    *,
    cluster: str,
    now: datetime,
    nodes: Sequence[NodeView],
    virtual_ip: str,
    hulft_tag: str,
    mirror_tag: str,
    data_mount: str,
    route: RouteView,
    eni_of_node: Mapping[str, str],
    lock: LockView | None,
    last_drill: DrillView | None,
    schedules: Sequence[ScheduleView],
    read_errors: Sequence[tuple[str, str]] = (),
) -> ClusterStatus:
    """Everything read, judged: which node is active, the problems (each named) and the notes."""
    in_service = (ResourceState.IN_SERVICE.value, ResourceState.IN_SERVICE_UNPROTECTED.value)
    actives = [v.name for v in nodes if v.reachable and v.hulft_state in in_service]
    problems: list[Finding] = []
    notes: list[Finding] = []
    active = actives[0] if len(actives) == 1 else None
    if not actives and any(v.reachable for v in nodes):
        problems.append(Finding("no_active_node", {"tag": hulft_tag}))
    if len(actives) > 1:
        problems.append(Finding("two_active_nodes", {"tag": hulft_tag, "nodes": ", ".join(actives)}))
    for view in nodes:
        is_active = view.name == active if active else view.role == "primary"
        problems += _node_problems(
            view, active=is_active, hulft_tag=hulft_tag, mirror_tag=mirror_tag, data_mount=data_mount
        )
    if route.error:
        problems.append(Finding("vip_route_error", {"reason": cut(route.error, 200)}))
    elif active is not None and route.eni != eni_of_node.get(active):
        problems.append(
            Finding(
                "vip_route_elsewhere",
                {
                    "vip": virtual_ip,
                    "eni": route.eni or "?",
                    "target": route.node or "not a node of this cluster",
                    "node": active,
                },
            )
        )
    for what, reason in read_errors:
        problems.append(Finding("records_unreadable", {"what": what, "reason": cut(reason, 200)}))
    if active is not None and any(v.name == active and v.role == "secondary" for v in nodes):
        notes.append(Finding("on_secondary", {"node": active}))
    if lock is not None:
        key = "lock_stale" if lock.expired else "lock_held"
        notes.append(Finding(key, {"drill_id": lock.drill_id, "expires": lock.expires}))
    if last_drill is not None and last_drill.outcome not in ("PASSED", "?"):
        notes.append(
            Finding(
                "last_drill_not_passed",
                {"drill_id": last_drill.drill_id, "outcome": last_drill.outcome, "reason": last_drill.reason or "-"},
            )
        )
    return ClusterStatus(
        cluster=cluster,
        checked=now.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        virtual_ip=virtual_ip,
        hulft_tag=hulft_tag,
        active_node=active,
        nodes=tuple(nodes),
        route=route,
        lock=lock,
        last_drill=last_drill,
        schedules=tuple(schedules),
        problems=tuple(problems),
        notes=tuple(notes),
    )
