"""The failover model: a thread that owns the cluster state and moves it through time.

Stand-ins that change something (engine-call.sh) drop a request in the inbox; the engine answers it.
Time-driven changes (failure detection, takeover steps, local recovery, resync, boot) are scheduled
actions on a heap. Everything runs under one lock, on real wall-clock time.
"""

from __future__ import annotations

import contextlib
import functools
import heapq
import itertools
import os
import select
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from simulator.model import Knobs, Timings
from simulator.state import DAEMON_SUFFIX, DAEMONS, DATA_MOUNT, Node, ResourceDef, StateFiles

# The engine sleeps between ticks and is woken, not polled: engine-call.sh writes a byte to the inbox's
# WAKE_FIFO after each request, and a thread other than the engine's that releases the engine's lock
# (an EC2 stop, a knob, a test changing state) wakes it too. Besides those it wakes on time for each
# scheduled change and for comm paths going DEAD, every MIRROR_TICK_SECONDS while a resync's percentage
# climbs, and at least every IDLE_TICK_SECONDS. (It used to look at its inbox every 4 ms while stand-ins
# called it and every 50 ms otherwise: 50 simulated clusters spent about 10 s of a fleet drill's CPU
# doing that, and a command after a quiet spell waited up to 50 ms for its answer.)
IDLE_TICK_SECONDS = 1.0
MIRROR_TICK_SECONDS = 0.05
# In cluster/inbox/: WAKE_FIFO wakes the engine; NAP_FIFO is never written, so engine-call.sh's
# `read -t 0.005` on it is a sleep without starting a process (`sleep 0.005` was a third of the
# processes a fleet drill started).
WAKE_FIFO = ".wake"
NAP_FIFO = ".nap"
MIRROR_TAG = "datarep-data"
KIT_RPM = "steeleye-lkHUL"
HAND_BUILT_MIRROR_DEVICE = "/dev/nvme1n1p1"


class WakingLock:
    """The engine's re-entrant lock. Every change to the cluster is made holding it, so when a thread
    other than the engine's (``owner``) lets go of it, the engine is woken to see the change now
    (``reading()`` holds it without that, for reads)."""

    def __init__(self, wake: Callable[[], None]) -> None:
        self._lock = threading.RLock()
        self._wake = wake
        self.owner: threading.Thread | None = None

    def acquire(self, blocking: bool = True, timeout: float = -1) -> bool:
        return self._lock.acquire(blocking, timeout)

    def release(self) -> None:
        self._lock.release()
        if threading.current_thread() is not self.owner:
            self._wake()

    def __enter__(self) -> bool:
        return self._lock.acquire()

    def __exit__(self, *exc: object) -> None:
        self.release()

    @contextlib.contextmanager
    def reading(self) -> Iterator[None]:
        """Held to read the cluster, not change it: letting go wakes nobody (SSM asks whether a node is
        online many times a second; each wake is a tick of the engine)."""
        with self._lock:
            yield


class Engine:
    def __init__(
        self,
        root: Path,
        nodes: tuple[Node, Node],
        knobs: Knobs,
        timings: Timings,
        *,
        on_vip_route: Callable[[str], None] | None = None,
    ) -> None:
        self.root = root
        # What the EC2 Recovery Kit does when it points the VIP route at a node: ReplaceRoute through
        # the EC2 API where one is given (the local endpoint), only the simulator's own record otherwise.
        self.on_vip_route = on_vip_route
        self.nodes = nodes
        self.knobs = knobs
        self.timings = timings
        self.files = StateFiles(root)
        self.lock = WakingLock(self.wake)
        self.defs: list[ResourceDef] = []
        self.active: str | None = nodes[0].name
        self.vip_route = nodes[0].eni
        self.mirror_state = "in_sync"
        self.mirror_source = nodes[0].name
        self.mirror_tag: str | None = MIRROR_TAG  # None until a DataKeeper resource exists
        self.mirror_percent = 100
        self.resync_started: float | None = None
        self.virtual_ip = ""
        self.partition_since: float | None = None
        self.equivalencies: list[str] = []
        self.history: list[tuple[float, str]] = []  # (epoch seconds, what happened), for tests and reports
        self._pids = itertools.count(4098)
        self._queue: list[tuple[float, int, Callable[[], None]]] = []
        self._order = itertools.count()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"sim-engine-{root.name}", daemon=True)
        self.lock.owner = self._thread
        self._wake_fd: int | None = None
        self.handle_request: Callable[[Path], None] = lambda path: None
        # Runs a command on a node, detached (a systemd timer's service); the cluster sets it.
        self.spawn: Callable[[Node, list[str]], None] = lambda node, argv: None
        # Told whenever a node's daemons or reachability change (the receive port listeners follow it).
        self.on_node_change: Callable[[Node], None] | None = None
        # Nodes whose receive port stays closed (knob receive_port_closed_after_takeover).
        self.receive_blocked: set[str] = set()

    # ---- lifecycle -------------------------------------------------------------------------------

    def start(self) -> None:
        inbox = self.root / "cluster" / "inbox"
        inbox.mkdir(parents=True, exist_ok=True)
        for name in (WAKE_FIFO, NAP_FIFO):
            if not (inbox / name).exists():
                os.mkfifo(inbox / name)
        # Read and write: opening never blocks, and the FIFO never reads as ended while the engine holds it.
        self._wake_fd = os.open(inbox / WAKE_FIFO, os.O_RDWR | os.O_NONBLOCK)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self.wake()
        if self._thread.is_alive():
            self._thread.join(timeout=5)
        if self._wake_fd is not None and not self._thread.is_alive():
            os.close(self._wake_fd)
            self._wake_fd = None

    def wake(self) -> None:
        """Make the engine tick now (from any thread; a no-op before start and after stop)."""
        fd = self._wake_fd
        if fd is not None:
            # A full pipe already wakes the engine; a closed descriptor means it has stopped.
            with contextlib.suppress(OSError):
                os.write(fd, b"w")

    def _sleep(self, seconds: float) -> None:
        """Wait until woken (a byte in the wake FIFO) or ``seconds`` pass; take every waiting byte."""
        fd = self._wake_fd
        if fd is None:
            self._stop.wait(seconds)
            return
        readable, _, _ = select.select([fd], [], [], seconds)
        if readable:
            with contextlib.suppress(BlockingIOError):
                while os.read(fd, 4096):
                    pass

    def _run(self) -> None:
        inbox = self.root / "cluster" / "inbox"
        while not self._stop.is_set():
            requests = sorted(Path(e.path) for e in os.scandir(inbox) if e.name.endswith(".req"))
            with self.lock:
                for request in requests:
                    self.handle_request(request)
                now = time.time()
                while self._queue and self._queue[0][0] <= now:
                    _, _, action = heapq.heappop(self._queue)
                    action()
                self._refresh_paths(now)
                self._progress_mirror(now)
                tick = MIRROR_TICK_SECONDS if self.mirror_state == "resyncing" else IDLE_TICK_SECONDS
                if self._queue:  # wake for the next scheduled change (a takeover step) on time
                    tick = min(tick, max(self._queue[0][0] - now, 0.0))
                if self.partition_since is not None:  # and for comm paths going DEAD
                    dead_at = self.partition_since + self.timings.detection_seconds
                    if dead_at > now:
                        tick = min(tick, dead_at - now)
            if not self._stop.is_set():
                self._sleep(tick)

    def at(self, when: float, action: Callable[[], None]) -> None:
        with self.lock:
            heapq.heappush(self._queue, (when, next(self._order), action))

    def note(self, what: str) -> None:
        self.history.append((time.time(), what))

    # ---- lookups -----------------------------------------------------------------------------------

    def node(self, name: str) -> Node:
        for node in self.nodes:
            if node.name == name:
                return node
        raise KeyError(name)

    def peer(self, node: Node) -> Node:
        return self.nodes[1] if node is self.nodes[0] else self.nodes[0]

    def reachable(self, a: Node, b: Node) -> bool:
        return a.online and b.online and a.lk_running and b.lk_running

    def definition(self, tag: str) -> ResourceDef | None:
        return next((d for d in self.defs if d.tag == tag), None)

    def subtree(self, tag: str) -> list[ResourceDef]:
        found = [d for d in self.defs if d.tag == tag]
        for definition in list(found):
            for child in self.defs:
                if child.parent == definition.tag:
                    found += self.subtree(child.tag)
        return found

    # ---- initial state -----------------------------------------------------------------------------

    def initialize(self, virtual_ip: str, *, bare: bool = False, data_device: str = "/dev/nvme1n1") -> None:
        """Today's hand-built cluster base (the blog's starting point), or with ``bare`` only what
        ``cdk deploy`` leaves: LifeKeeper installed but neither licensed nor started, no comm paths, no
        resources, the /data volume attached without a file system."""
        primary, secondary = self.nodes
        self.virtual_ip = virtual_ip
        if bare:
            self._initialize_bare(data_device)
            return
        for node in self.nodes:
            peer = self.peer(node)
            node.systems = [peer.name]
            node.paths = list(zip(node.addresses, peer.addresses, strict=True))
            # The hand-built base mirrors a partition of the data disk (the reference procedure's GUI build).
            node.devices = {data_device: "", HAND_BUILT_MIRROR_DEVICE: "xfs"}
            node.device_types = {HAND_BUILT_MIRROR_DEVICE: "part"}
        self.defs = [
            ResourceDef("ec2-vip", virtual_ip, None, "route"),
            ResourceDef(DATA_MOUNT, DATA_MOUNT, None, "fs"),
            ResourceDef(MIRROR_TAG, HAND_BUILT_MIRROR_DEVICE, DATA_MOUNT, "mirror"),
        ]
        for node in self.nodes:
            node.resources = {d.tag: ("ISP" if node is primary else "OSU") for d in self.defs}
            self.files.node_basics(node)
            self.files.all_resources(node, self.defs)
            self.files.data_mount(node, node is primary)
        primary.mounts.append(str(primary.fs / DATA_MOUNT.lstrip("/")))
        self.files.node_basics(primary)
        self.equivalencies = [
            f"{primary.name} {d.tag} {secondary.name} {d.tag} SHARED {primary.priority} {secondary.priority}"
            for d in self.defs
        ]
        self.files.definitions(self.defs)
        self.files.equivalencies(self.equivalencies)
        self.mirror_state = "out_of_sync" if self.knobs.mirror_out_of_sync else "in_sync"
        self._write_mirror()
        self._refresh_paths(time.time(), force=True)

    def _initialize_bare(self, data_device: str) -> None:
        self.defs = []
        self.active = None
        self.mirror_tag = None
        for node in self.nodes:
            node.resources = {}
            node.licensed = False
            node.lk_running = False
            node.systems = []
            node.paths = []
            node.devices = {data_device: ""}
            self.files.node_basics(node)
            self.files.data_mount(node, False)
        self.equivalencies = []
        self.files.definitions(self.defs)
        self.files.equivalencies(self.equivalencies)
        self._write_mirror()
        self._refresh_paths(time.time(), force=True)

    # ---- comm paths and mirror -----------------------------------------------------------------------

    _last_paths: tuple[list[str], list[str]] | None = None

    def _path_lines(self, node: Node, peer: Node, dead: bool) -> list[str]:
        """A path is ALIVE when both sides defined it and the heartbeats get through."""
        lines = []
        for index, (local, remote) in enumerate(node.paths):
            mirrored = (remote, local) in peer.paths
            alive = mirrored and not dead and not (self.knobs.dead_comm_path and index == 1)
            lines.append(f"{peer.name} TCP {local}/{remote} {'ALIVE' if alive else 'DEAD'} {index + 1}")
        return lines

    def _refresh_paths(self, now: float, force: bool = False) -> None:
        a, b = self.nodes
        if self.reachable(a, b):
            self.partition_since = None
        elif self.partition_since is None:
            self.partition_since = now
        dead = self.partition_since is not None and now >= self.partition_since + self.timings.detection_seconds
        lines = (self._path_lines(a, b, dead), self._path_lines(b, a, dead))
        if force or lines != self._last_paths:
            self._last_paths = lines
            self.files.paths(a, lines[0])
            self.files.paths(b, lines[1])
            if dead and (a.paths or b.paths):
                self.note("comm paths DEAD")

    def _write_mirror(self) -> None:
        if self.mirror_tag is None:
            self.files.no_mirror()
            return
        source = self.node(self.mirror_source)
        percent = {"in_sync": 100, "resyncing": self.mirror_percent}.get(self.mirror_state, 0)
        self.files.mirror(self.mirror_tag, source.name, self.peer(source).name, self.mirror_state, percent)

    def set_mirror(self, state: str) -> None:
        self.mirror_state = "out_of_sync" if self.knobs.mirror_out_of_sync and state == "in_sync" else state
        self._write_mirror()

    def start_resync(self) -> None:
        """A full resync: the synced percentage climbs over resync_seconds, then the mirror is in sync."""
        self.resync_started = time.time()
        self.mirror_percent = 0
        self.set_mirror("resyncing")

        def done() -> None:
            source = self.node(self.mirror_source)
            if self.mirror_state == "resyncing" and self.reachable(source, self.peer(source)):
                self.set_mirror("in_sync")
                self.note("mirror in sync")

        self.at(self.resync_started + self.timings.resync_seconds, done)

    def _progress_mirror(self, now: float) -> None:
        if self.mirror_state != "resyncing" or self.resync_started is None:
            return
        span = max(self.timings.resync_seconds, 1e-6)
        percent = min(99, int((now - self.resync_started) / span * 100))
        if percent != self.mirror_percent:
            self.mirror_percent = percent
            self._write_mirror()

    # ---- resources, daemons, mounts ----------------------------------------------------------------

    def set_resource(self, node: Node, tag: str, state: str) -> None:
        node.resources[tag] = state
        self.files.resource(node, tag)

    def start_daemon(self, node: Node, name: str) -> None:
        node.daemons[name] = next(self._pids)
        self.files.daemon(node, name)
        self.node_changed(node)

    def stop_daemon(self, node: Node, name: str) -> None:
        node.daemons.pop(name, None)
        self.files.daemon(node, name)
        self.node_changed(node)

    def node_changed(self, node: Node) -> None:
        if self.on_node_change is not None:
            self.on_node_change(node)

    def receive_port_open(self, node: Node) -> bool:
        """Whether a partner's connect to the receive port on ``node`` is accepted: hulrcvd runs on an
        online node (and the knob does not keep it closed)."""
        return node.online and "hulrcvd" in node.daemons and node.name not in self.receive_blocked

    def mount_data(self, node: Node, mounted: bool) -> None:
        path = str(node.fs / DATA_MOUNT.lstrip("/"))
        if mounted and path not in node.mounts:
            node.mounts.append(path)
        if not mounted and path in node.mounts:
            node.mounts.remove(path)
        self.files.data_mount(node, mounted)
        self.files.node_basics(node)

    def take_out_of_service(self, node: Node) -> None:
        """LifeKeeper's remove on one node: daemons, then /data, then the route resource."""
        for name in list(node.daemons):
            self.stop_daemon(node, name)
        if any(m.endswith(DATA_MOUNT) for m in node.mounts):
            self.mount_data(node, False)
        for tag in node.resources:
            self.set_resource(node, tag, "OSU")

    # ---- takeover ------------------------------------------------------------------------------------

    def begin_takeover(self, target: Node, *, planned: bool, on_done: Callable[[], None] | None = None) -> None:
        """Restore every hierarchy on ``target``: the VIP route, then /data, then the three daemons."""
        start = time.time()
        self.note(f"takeover by {target.name} begins ({'planned' if planned else 'failover'})")
        if self.knobs.receive_port_closed_after_takeover:
            self.receive_blocked.add(target.name)
        source = self.peer(target)
        if planned and source.online:
            self.take_out_of_service(source)
        steps: list[Callable[[], None]] = [
            lambda: self._restore_route(target),
            lambda: self._restore_data(target, planned),
        ]
        hulft_roots = [d for d in self.defs if d.kind == "hulft" and d.tag in target.resources]
        if hulft_roots:
            for name in DAEMONS:
                steps.append(functools.partial(self._restore_daemon, target, name))
            steps.append(lambda: self._restore_roots(target, hulft_roots))
        count = len(steps) - (1 if hulft_roots else 0)
        for index, step in enumerate(steps):
            when = start + self.timings.restore_seconds * min(index + 1, count) / count
            self.at(when, step)

        def finished() -> None:
            self.active = target.name
            self.note(f"takeover by {target.name} complete")
            if on_done is not None:
                on_done()

        self.at(start + self.timings.restore_seconds, finished)

    def _restore_route(self, target: Node) -> None:
        self.point_vip_route(target.eni)
        for definition in self.defs:
            if definition.kind in ("route", "ip") and definition.tag in target.resources:
                self.set_resource(target, definition.tag, "ISP")
        self.note(f"VIP route -> {target.eni}")

    def _restore_data(self, target: Node, planned: bool) -> None:
        self.mount_data(target, True)
        for definition in self.defs:
            if definition.kind in ("fs", "mirror") and definition.tag in target.resources:
                self.set_resource(target, definition.tag, "ISP")
        self.mirror_source = target.name
        self.set_mirror("in_sync" if planned else "out_of_sync")
        self.note(f"{DATA_MOUNT} mounted on {target.name}")
        # After an unplanned restore with the other node still reachable (a rebooted primary taking
        # its hierarchy back because the standby never did), DataKeeper resyncs the mirror to it.
        if not planned and self.mirror_tag is not None and self.reachable(target, self.peer(target)):
            self.start_resync()

    def _restore_daemon(self, target: Node, name: str) -> None:
        self.start_daemon(target, name)
        for definition in self.defs:
            if definition.daemon == name and definition.tag in target.resources:
                self.set_resource(target, definition.tag, "ISP")
        self.note(f"{name} up on {target.name}")

    def _restore_roots(self, target: Node, roots: list[ResourceDef]) -> None:
        for definition in roots:
            self.set_resource(target, definition.tag, "ISP")

    # ---- faults and recovery -------------------------------------------------------------------------

    def node_lost(self, node: Node, why: str) -> None:
        """The node stops answering (network down, lost, crashed). Failover if it was active."""
        if not node.online:
            return
        node.network_up = False
        node.epoch += 1
        self.node_changed(node)
        lost_at = time.time()
        self.note(f"{node.name} lost: {why}")
        self.set_mirror("out_of_sync")
        self._refresh_paths(lost_at)
        if self.active == node.name:
            self.at(lost_at + self.timings.detection_seconds, lambda: self._failover_from(node, node.epoch))

    def _failover_from(self, node: Node, epoch: int) -> None:
        peer = self.peer(node)
        if node.online or node.epoch != epoch or self.active != node.name:
            return
        if self.knobs.standby_never_takes_over or not (peer.online and peer.lk_running):
            self.note(f"{peer.name} detected the failure but does not take over")
            return
        self.begin_takeover(peer, planned=False)

    def kill_daemon(self, node: Node, name: str) -> bool:
        if name not in node.daemons:
            return False
        self.stop_daemon(node, name)
        self.note(f"{name} killed on {node.name}")

        def recover() -> None:
            if self.active == node.name and node.online and name not in node.daemons:
                self.start_daemon(node, name)
                self.note(f"{name} restarted on {node.name} by local recovery")

        self.at(time.time() + self.timings.local_recovery_seconds, recover)
        return True

    def power_off(self, node: Node, *, graceful: bool) -> None:
        was_active = self.active == node.name
        if node.online:
            node.epoch += 1
        node.power = "stopped"
        node.timers.clear()  # transient units (systemd-run) do not survive it
        node.lk_running = False
        for name in list(node.daemons):
            self.stop_daemon(node, name)
        if any(m.endswith(DATA_MOUNT) for m in node.mounts):
            self.mount_data(node, False)
        self.files.node_basics(node)
        self.set_mirror("out_of_sync")
        self.note(f"{node.name} powered off")
        self._refresh_paths(time.time())
        if was_active and graceful:
            self.active = None  # LifeKeeper stopped with its resources: no failover
        elif was_active:
            self.at(time.time() + self.timings.detection_seconds, lambda: self._failover_from(node, node.epoch))

    def shut_down(self, node: Node, then: Callable[[], None] | None = None) -> None:
        """What an EC2 stop or reboot does: LifeKeeper's shutdown strategy, then power off."""
        peer = self.peer(node)

        def off() -> None:
            self.power_off(node, graceful=True)
            if then is not None:
                then()

        if self.active == node.name and self.knobs.shutdown_switchover and self.reachable(node, peer):
            self.begin_takeover(peer, planned=True, on_done=off)
        else:
            off()

    # ---- systemd on the node (the dead-man switch, issue 17) ------------------------------------------

    def arm_timer(self, node: Node, unit: str, seconds: float, argv: list[str]) -> None:
        """``systemd-run --on-active``: after ``seconds`` (real time, like every delay here) run ``argv`` on
        the node, unless the timer was stopped or the node powered off meanwhile. It runs whether or not
        the node's network is up: the timer is the node's own."""
        token = next(self._order)
        node.timers[unit] = token
        self.note(f"{unit}.timer armed on {node.name} ({seconds:g} s)")

        def elapse() -> None:
            if node.timers.get(unit) != token or node.power != "running":
                return
            del node.timers[unit]
            self.note(f"{unit}.timer elapsed on {node.name}")
            self.spawn(node, argv)

        self.at(time.time() + seconds, elapse)

    def stop_timer(self, node: Node, unit: str) -> bool:
        if unit not in node.timers:
            return False
        del node.timers[unit]
        self.note(f"{unit}.timer stopped on {node.name}")
        return True

    def reboot(self, node: Node) -> None:
        """``systemctl reboot`` on the node: LifeKeeper's shutdown strategy, power off, boot."""
        if node.power != "running":
            return
        self.note(f"{node.name} reboots itself")

        def later() -> None:
            self.at(time.time() + self.timings.reboot_seconds, lambda: self.boot(node))

        self.shut_down(node, then=later)

    def boot(self, node: Node) -> None:
        """The node comes back: LifeKeeper starts, resources OSU unless nobody else has them."""
        node.power = "running"
        node.network_up = True
        node.lk_running = node.licensed  # LifeKeeper starts at boot once it has a license
        node.daemons.clear()
        self.node_changed(node)
        node.mounts = [m for m in node.mounts if not m.endswith(DATA_MOUNT)]
        self.files.data_mount(node, False)
        for tag in node.resources:
            self.set_resource(node, tag, "OSU")
        for name in DAEMONS:
            self.files.daemon(node, name)
        self.files.node_basics(node)
        self.note(f"{node.name} booted")
        peer = self.peer(node)
        self._refresh_paths(time.time())
        if self.active is None or self.active == node.name:
            self.begin_takeover(node, planned=False)
        elif peer.online and self.mirror_state != "in_sync":
            self.start_resync()

    # ---- resource creation (lkcli) -------------------------------------------------------------------

    def create_hulft(self, node: Node, tag: str, fs_tag: str) -> None:
        root = ResourceDef(tag, tag, None, "hulft")
        self.defs.append(root)
        for name in DAEMONS:
            self.defs.append(ResourceDef(f"{tag}-{DAEMON_SUFFIX[name]}", name, tag, "daemon", name))
        fs = self.definition(fs_tag) if fs_tag != "none" else None
        if fs is not None:
            fs.parent = tag
        self.files.definitions(self.defs)
        for definition in self.subtree(tag):
            if definition.kind in ("hulft", "daemon"):
                self.set_resource(node, definition.tag, "ISP")
        for name in DAEMONS:
            if name not in node.daemons:
                self.start_daemon(node, name)

    def extend(self, node: Node, target: Node, tag: str, target_priority: int) -> None:
        """Extend the hierarchy below ``tag`` to ``target``: OSU there, a SHARED equivalency per tag."""
        for definition in self.subtree(tag):
            if definition.tag not in target.resources:
                self.set_resource(target, definition.tag, "OSU")
            prefix = f"{node.name} {definition.tag} {target.name} "
            if not any(line.startswith(prefix) for line in self.equivalencies):
                self.equivalencies.append(f"{prefix}{definition.tag} SHARED {node.priority} {target_priority}")
        self.files.equivalencies(self.equivalencies)

    # ---- the cluster base (license, comm paths, IP and EC2 resources, DataKeeper) -------------------

    def _claim(self, node: Node) -> None:
        """The first resource created in service makes its node the active one."""
        if self.active is None:
            self.active = node.name

    def install_license(self, node: Node) -> None:
        node.licensed = True
        self.note(f"license installed on {node.name}")

    def lk_start(self, node: Node) -> None:
        """lkstart: LifeKeeper is up (lktest, LK_INITDONE) after lk_start_seconds."""

        def up() -> None:
            if node.power == "running" and node.licensed and not node.lk_running:
                node.lk_running = True
                self.files.node_basics(node)
                self.note(f"LifeKeeper started on {node.name}")
                self._refresh_paths(time.time())

        self.at(time.time() + self.timings.lk_start_seconds, up)

    def add_path(self, node: Node, local: str, remote: str) -> None:
        node.paths.append((local, remote))
        self.note(f"comm path {node.name} {local}/{remote} created")
        self._refresh_paths(time.time(), force=True)

    def create_ip(self, node: Node, tag: str, address: str) -> None:
        self.defs.append(ResourceDef(tag, address, None, "ip"))
        self.files.definitions(self.defs)
        self.set_resource(node, tag, "ISP")
        self._claim(node)

    def point_vip_route(self, eni: str) -> None:
        self.vip_route = eni
        if self.on_vip_route is not None:
            self.on_vip_route(eni)

    def create_ec2(self, node: Node, tag: str, ip_tag: str) -> None:
        """The EC2 resource (route table) above the IP resource; its restore points the route here."""
        ip = self.definition(ip_tag)
        assert ip is not None
        self.defs.insert(self.defs.index(ip), ResourceDef(tag, ip.id, None, "route"))
        ip.parent = tag
        self.files.definitions(self.defs)
        self.set_resource(node, tag, "ISP")
        self.point_vip_route(node.eni)
        self.note(f"VIP route -> {node.eni}")
        self._claim(node)

    def create_mirror(self, node: Node, tag: str, device: str, fstype: str, fs_tag: str) -> None:
        """The DataKeeper resource with the file system resource above it, in service here."""
        self.defs += [ResourceDef(fs_tag, DATA_MOUNT, None, "fs"), ResourceDef(tag, device, fs_tag, "mirror")]
        self.files.definitions(self.defs)
        node.devices[device] = fstype
        self.mount_data(node, True)
        for each in (fs_tag, tag):
            self.set_resource(node, each, "ISP")
        self.mirror_tag = tag
        self.mirror_source = node.name
        self.mirror_percent = 0
        self.set_mirror("unextended")
        self._claim(node)

    def extend_mirror(self, node: Node, target: Node, fs_tag: str, target_priority: int) -> None:
        self.extend(node, target, fs_tag, target_priority)
        self.note(f"mirror extended to {target.name}: full resync")
        self.start_resync()

    def add_dependency(self, parent: str, child: str) -> bool:
        definition = self.definition(child)
        if definition is None or definition.parent == parent:
            return False
        definition.parent = parent
        self.files.definitions(self.defs)
        return True
