"""Verdicts built on the parsed node output: each check says whether it passed and why."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Literal

from hadrill.contracts import HealthCheckResult
from hadrill.errors import ParseError
from hadrill.hulft_ps import DAEMONS, HulftProcess, running_daemons
from hadrill.lcdstatus import LcdStatus, PathState, ResourceState
from hadrill.results import NodeStatus, read_result

Role = Literal["active", "standby"]
# The hierarchy in service on the node that should be the standby (after `hadrill drill --no-switchback` or a
# real failover): the next drill and a setup rerun refuse to start, and say how to bring it home.
SWITCHBACK_HINT = "the hierarchy is in service on the standby, not the primary: run `hadrill switchback` first"


@dataclass(frozen=True)
class Check:
    name: str
    passed: bool
    detail: str


@dataclass(frozen=True)
class Verdict:
    checks: tuple[Check, ...]

    @property
    def passed(self) -> bool:
        return bool(self.checks) and all(c.passed for c in self.checks)

    @property
    def failures(self) -> tuple[Check, ...]:
        return tuple(c for c in self.checks if not c.passed)


def comm_paths_alive(status: LcdStatus) -> Check:
    if not status.comm_paths:
        return Check("comm paths ALIVE", False, "no communication path is defined")
    dead = [f"{p.machine} {p.network} {p.addresses}" for p in status.comm_paths if p.state is PathState.DEAD]
    if dead:
        return Check("comm paths ALIVE", False, f"DEAD: {'; '.join(dead)}")
    return Check("comm paths ALIVE", True, f"{len(status.comm_paths)} path(s) ALIVE")


def hierarchy_as_expected(status: LcdStatus, root_tag: str, role: Role) -> Check:
    """Active node: the whole hierarchy ISP. Standby: the whole hierarchy OSU."""
    states = {r.tag: r.state.value for r in status.hierarchy(root_tag)}
    return hierarchy_states_as_expected(states, root_tag, role)


def hierarchy_states_as_expected(states: Mapping[str, str], root_tag: str, role: Role) -> Check:
    """The same check on the states alone ({tag: "ISP", ...}, the root and everything below it), as the
    watcher reports them at each change it saw."""
    name = f"hierarchy {root_tag} {'ISP' if role == 'active' else 'OSU'}"
    if not states:
        return Check(name, False, f"resource {root_tag} is not defined on this node")
    wanted = ResourceState.IN_SERVICE if role == "active" else ResourceState.OUT_OF_SERVICE
    wrong = [f"{tag}={state}" for tag, state in states.items() if state != wanted.value]
    if wrong:
        away = role == "standby" and states.get(root_tag) == ResourceState.IN_SERVICE.value
        return Check(
            name, False, f"expected {wanted.value}: {', '.join(wrong)}{'; ' + SWITCHBACK_HINT if away else ''}"
        )
    return Check(name, True, f"{len(states)} resource(s) {wanted.value}")


def daemons_as_expected(processes: tuple[HulftProcess, ...], role: Role) -> Check:
    return running_daemons_as_expected(running_daemons(processes), role)


def running_daemons_as_expected(running: Collection[str], role: Role) -> Check:
    """Active: hulobsd, hulrcvd and hulsndd all running. Standby: none of them (``running``: their names)."""
    if role == "active":
        missing = [d for d in DAEMONS if d not in running]
        detail = f"not running: {', '.join(missing)}" if missing else "hulobsd, hulrcvd, hulsndd running"
        return Check("HULFT daemons running", not missing, detail)
    extra = sorted(running)
    detail = f"running on the standby: {', '.join(extra)}" if extra else "no HULFT daemon running"
    return Check("no HULFT daemons on standby", not extra, detail)


def route_points_at(actual_eni: str, expected_eni: str) -> Check:
    ok = actual_eni == expected_eni
    return Check("VIP route target", ok, f"route points at {actual_eni}, expected {expected_eni}")


def node_verdict(node: NodeStatus, role: str, root_tag: str) -> Verdict:
    """Everything a healthy active or standby node shows (``role``: "active" or "standby")."""
    if role not in ("active", "standby"):
        raise ValueError(f"role must be active or standby, not {role!r}")
    expected: Role = "active" if role == "active" else "standby"
    checks = [
        Check(
            "LifeKeeper running",
            node.lifekeeper_running and node.lifekeeper_initialized,
            "running and initialized"
            if node.lifekeeper_running and node.lifekeeper_initialized
            else "LifeKeeper is not running or not initialized (no LK_INITDONE)",
        ),
        Check("mirror in sync", node.mirror_in_sync, node.mirror_status or "no mirror status"),
    ]
    if node.lcdstatus is not None:
        checks += [comm_paths_alive(node.lcdstatus), hierarchy_as_expected(node.lcdstatus, root_tag, expected)]
    checks.append(daemons_as_expected(node.hulft_processes, expected))
    mounted_ok = node.data_mounted == (role == "active")
    checks.append(
        Check("/data mount", mounted_ok, f"{'mounted' if node.data_mounted else 'not mounted'} on the {role} node")
    )
    return Verdict(tuple(checks))


def takeover_complete(status: LcdStatus, processes: tuple[HulftProcess, ...], root_tag: str) -> Verdict:
    """The standby has taken over: hierarchy ISP locally and all three daemons up."""
    states = {r.tag: r.state.value for r in status.hierarchy(root_tag)}
    return takeover_verdict(states, running_daemons(processes), root_tag)


def takeover_verdict(states: Mapping[str, str], running: Collection[str], root_tag: str) -> Verdict:
    """What "takeover complete" means, the one definition: every resource of the hierarchy (the root and
    everything below it) ISP on this node, and hulobsd, hulrcvd and hulsndd all running. VerifyTakeover
    applies it to a node's status; WaitForTakeover to each change the watcher saw (hadrill.drill.watch)."""
    return Verdict(
        (hierarchy_states_as_expected(states, root_tag, "active"), running_daemons_as_expected(running, "active"))
    )


def rto_seconds(fault_epoch_ms: int, takeover_epoch_ms: int) -> float:
    """Recovery time from the fault stamp on the primary to the takeover stamp on the standby."""
    if takeover_epoch_ms < fault_epoch_ms:
        raise ValueError(f"takeover ({takeover_epoch_ms}) is before the fault ({fault_epoch_ms}): clocks disagree")
    return round((takeover_epoch_ms - fault_epoch_ms) / 1000.0, 3)


def health_verdict(stdout: str) -> Verdict:
    """The checks HADrill-HealthCheck printed, as a Verdict (the raw lcdstatus is in the result too)."""
    result = read_result(stdout, HealthCheckResult)
    if not result.checks:
        raise ParseError("health check result", "no 'checks' list")
    return Verdict(tuple(Check(item.name, item.passed, item.detail) for item in result.checks))
