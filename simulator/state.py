"""The simulated cluster's state, kept in memory and mirrored to files the bash stand-ins read.

Layout under the cluster root:
  cluster/resources       "depth|tag|id" lines, parents first (lcdstatus, ins_list)
  cluster/equivalencies   "sys tag other_sys other_tag SHARED prio other_prio" lines (eqv_list)
  cluster/mirror          "tag source target state percent" (mirror_status)
  cluster/primary_name    the PRIMARY column
  cluster/knobs/hang.<command>
  cluster/inbox/          requests from engine-call.sh stand-ins; .wake and .nap, FIFOs (simulator/engine.py)
  cluster/shared_data/    the mirrored volume (a node's /data links here while mounted on it)
  nodes/<node>/state/     lk, prio, paths, res/<tag>, daemons/<name>, mounts, hulexep
  nodes/<node>/fs/        HADRILL_ROOT of the node: etc/hosts, opt/LifeKeeper, usr/local/hulft, data ...
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path

DAEMONS = ("hulobsd", "hulrcvd", "hulsndd")
DAEMON_SUFFIX = {"hulobsd": "obs", "hulrcvd": "rcv", "hulsndd": "snd"}
DATA_MOUNT = "/data"


@dataclass
class ResourceDef:
    tag: str
    id: str
    parent: str | None
    kind: str  # ip | route | fs | mirror | hulft | daemon
    daemon: str | None = None


@dataclass
class Node:
    name: str
    instance_id: str
    eni: str
    addresses: tuple[str, ...]  # one or two: a second pair gives a second comm path
    priority: int
    root: Path
    power: str = "running"  # running | stopped | pending
    network_up: bool = True
    lk_running: bool = True
    epoch: int = 0  # bumped each time the node drops off
    resources: dict[str, str] = field(default_factory=dict)  # tag -> ISP/ISU/OSF/OSU
    daemons: dict[str, int] = field(default_factory=dict)
    mounts: list[str] = field(default_factory=list)
    rpms: dict[str, str] = field(default_factory=dict)  # name -> name-version-release.arch
    hulft: dict[str, str] = field(default_factory=dict)  # what the installer recorded
    licensed: bool = True  # lkkeyins has installed a license key
    systems: list[str] = field(default_factory=list)  # sys_list: the other systems this node knows
    paths: list[tuple[str, str]] = field(default_factory=list)  # comm paths: (local, peer address)
    devices: dict[str, str] = field(default_factory=dict)  # block device -> file system ("" = none)
    device_types: dict[str, str] = field(default_factory=dict)  # block device -> lsblk TYPE (default disk)
    volume_groups: dict[str, str] = field(default_factory=dict)  # LVM volume group -> its physical volume
    # systemd transient timers (systemd-run --on-active): unit -> the arming's token. Transient units
    # live under /run: a power-off (reboot, stop) loses them all.
    timers: dict[str, int] = field(default_factory=dict)

    @property
    def online(self) -> bool:
        return self.power == "running" and self.network_up

    @property
    def state_dir(self) -> Path:
        return self.root / "state"

    @property
    def fs(self) -> Path:
        return self.root / "fs"


def write_text(path: Path, text: str) -> None:
    """Atomic write: readers never see half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temporary.write_text(text)
    temporary.replace(path)


def tag_file(node: Node, tag: str) -> Path:
    return node.state_dir / "res" / tag.replace("/", "%2F")


class StateFiles:
    """Writes the in-memory state where the stand-ins look for it."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.cluster = root / "cluster"

    def resource(self, node: Node, tag: str) -> None:
        state = node.resources.get(tag)
        path = tag_file(node, tag)
        if state is None:
            path.unlink(missing_ok=True)
        else:
            write_text(path, f"{state}\n")

    def all_resources(self, node: Node, defs: list[ResourceDef]) -> None:
        for definition in defs:
            self.resource(node, definition.tag)

    def daemon(self, node: Node, name: str) -> None:
        path = node.state_dir / "daemons" / name
        if name in node.daemons:
            write_text(path, f"{node.daemons[name]}\n")
        else:
            path.unlink(missing_ok=True)

    def node_basics(self, node: Node) -> None:
        write_text(node.state_dir / "lk", "running\n" if node.lk_running else "stopped\n")
        write_text(node.state_dir / "prio", f"{node.priority}\n")
        write_text(node.state_dir / "mounts", "".join(f"{m}\n" for m in node.mounts))
        init_done = node.fs / "opt/LifeKeeper/config/LK_INITDONE"
        if node.lk_running:
            write_text(init_done, "")
        else:
            init_done.unlink(missing_ok=True)

    def data_mount(self, node: Node, mounted: bool) -> None:
        """A node's /data is a link to the shared volume while mounted, an empty directory otherwise."""
        path = node.fs / DATA_MOUNT.lstrip("/")
        if path.is_symlink():
            path.unlink()
        elif path.is_dir():
            shutil.rmtree(path)
        if mounted:
            path.symlink_to(self.cluster / "shared_data", target_is_directory=True)
        else:
            path.mkdir(parents=True, exist_ok=True)

    def definitions(self, defs: list[ResourceDef]) -> None:
        children: dict[str | None, list[ResourceDef]] = {}
        for definition in defs:
            children.setdefault(definition.parent, []).append(definition)
        lines: list[str] = []

        def walk(parent: str | None, depth: int) -> None:
            for definition in children.get(parent, []):
                lines.append(f"{depth}|{definition.tag}|{definition.id}\n")
                walk(definition.tag, depth + 1)

        walk(None, 0)
        write_text(self.cluster / "resources", "".join(lines))

    def paths(self, node: Node, lines: list[str]) -> None:
        """The node's comm paths, "machine network local/peer state prio" per line."""
        write_text(node.state_dir / "paths", "".join(f"{line}\n" for line in lines))

    def mirror(self, tag: str, source: str, target: str, state: str, percent: int) -> None:
        write_text(self.cluster / "mirror", f"{tag} {source} {target} {state} {percent}\n")

    def no_mirror(self) -> None:
        write_text(self.cluster / "mirror", "")

    def equivalencies(self, lines: list[str]) -> None:
        write_text(self.cluster / "equivalencies", "".join(f"{line}\n" for line in lines))

    def knob_hang(self, command: str | None) -> None:
        knobs = self.cluster / "knobs"
        knobs.mkdir(parents=True, exist_ok=True)
        for old in knobs.glob("hang.*"):
            old.unlink()
        if command:
            write_text(knobs / f"hang.{command}", "")
