"""A simulated two-node LifeKeeper cluster that runs the SSM documents' real scripts in bash."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import signal
import subprocess
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hadrill.results import contract_breach
from simulator import probe_standins
from simulator.commands import Commands, Reply
from simulator.engine import KIT_RPM, Engine
from simulator.listener import ReceiveListener
from simulator.model import CommandOutcome, Knobs, Timings
from simulator.state import Node, write_text

PACKAGE_DIR = Path(__file__).resolve().parent
STANDINS = PACKAGE_DIR / "standins"
DOCUMENTS_DIR = PACKAGE_DIR.parent / "documents"
BASH_STANDINS = ("lcdstatus", "lktest", "ins_list", "eqv_list", "mirror_status", "mountpoint", "ps", "chronyc")
ENGINE_STANDINS = (
    "lkcli",
    "perform_action",
    "lcdremexec",
    "rpm",
    "mount",
    "umount",
    "ifdown",
    "service",
    "pkill",
    "aws",
    "hulclusterobs",
    "hulclusterrcv",
    "hulclustersnd",
    "hadrill-sim-hulft-installer",
    "lkkeyins",
    "lkstart",
    "sys_list",
    "sys_create",
    "net_create",
    "dep_create",
    "dep_list",
    "lsblk",
    "vgdisplay",
    "vgcreate",
    "lvdisplay",
    "lvcreate",
    "lkping",
    "systemd-run",
    "systemctl",
)
BASE_RPMS = ("steeleye-lk-9.8.1-7160.x86_64", "steeleye-lkDR-9.8.1-7160.noarch", "steeleye-lkECC-9.8.1-7160.noarch")
# get-command-invocation returns at most this much of each stream (the rest is only in S3/CloudWatch).
STDOUT_LIMIT = 24_000
# The exit code of a command whose output broke its document's result model (hadrill.contracts).
CONTRACT_BREACH_EXIT = 97
STDERR_LIMIT = 8_000
HOSTS = "127.0.0.1   localhost localhost.localdomain\n::1         localhost localhost.localdomain\n"
# /etc/default/LifeKeeper as installed (heartbeat tunables at their documented defaults).
LK_DEFAULTS = "LKROOT=/opt/LifeKeeper\nLCMHBEATTIME=5\nLCMNUMHBEATS=3\n"


@dataclass(frozen=True)
class NodeIdentity:
    """Who a simulated node is in EC2: given when the nodes stand for deployed instances (the local
    endpoint binds them to the instances and ENIs that CloudFormation created), drawn otherwise."""

    instance_id: str
    eni: str
    addresses: tuple[str, ...]


class InvalidDocumentParametersError(ValueError):
    """What SSM answers with InvalidParameters: unknown, missing or pattern-violating parameters."""


def _hex(seed: str, length: int) -> str:
    return hashlib.sha256(seed.encode()).hexdigest()[:length]


class SimulatedCluster:
    """Two nodes, a primary (LifeKeeper priority 1) and a secondary (priority 10), under ``root``.

    ``secrets`` and ``objects`` answer the nodes' Secrets Manager and S3 calls; by default they read
    what :meth:`put_secret` and :meth:`put_object` stored (a local world can plug in moto instead).

    Three starting points: the default is the hand-built cluster base the blog starts from (LifeKeeper
    licensed and running, two comm paths, the VIP and /data resources, the mirror in sync);
    ``installed`` adds the state the setup workflow leaves (HULFT and the hulft hierarchy); ``bare`` is
    what ``cdk deploy`` gives: LifeKeeper installed but neither licensed nor started, no comm paths, no
    resources, the /data volume (``data_device``) attached without a file system.
    """

    def __init__(
        self,
        root: Path,
        *,
        name: str,
        knobs: Knobs | None = None,
        timings: Timings | None = None,
        virtual_ip: str = "10.255.0.10",
        documents_dir: Path = DOCUMENTS_DIR,
        secrets: Callable[[str], str | None] | None = None,
        objects: Callable[[str, str], bytes | None] | None = None,
        installed: bool = False,
        node_names: tuple[str, str] | None = None,
        document_prefix: str = "",
        bare: bool = False,
        data_device: str = "/dev/nvme1n1",
        identities: tuple[NodeIdentity, NodeIdentity] | None = None,
        on_vip_route: Callable[[str], None] | None = None,
    ) -> None:
        if bare and installed:
            raise ValueError("a cluster is either bare (nothing set up) or installed (everything set up)")
        self.name = name
        self.bare = bare
        self.data_device = data_device
        # LifeKeeper system names of the two nodes (default <name>-a, <name>-b).
        self.node_names = node_names or (f"{name}-a", f"{name}-b")
        if self.node_names[0] == self.node_names[1]:
            raise ValueError(f"the two nodes need different names, got {self.node_names[0]!r} twice")
        # Deployed documents carry a per-cluster prefix; the simulator runs them by their base name.
        self.document_prefix = document_prefix
        self.root = Path(root) / name
        self.documents_dir = documents_dir
        self.virtual_ip = virtual_ip
        self._identities = identities
        self.timings = timings or Timings()
        self._secrets: dict[str, str] = {}
        self._objects: dict[tuple[str, str], bytes] = {}
        self._documents: dict[str, dict[str, Any]] = {}
        self._timers: list[threading.Timer] = []
        self._closed = False
        self.receive_listeners: dict[str, ReceiveListener] = {}  # instance id -> listener, once started
        nodes = tuple(self._make_node(index) for index in range(2))
        self.nodes: tuple[Node, Node] = (nodes[0], nodes[1])
        self.instance_ids: tuple[str, str] = (nodes[0].instance_id, nodes[1].instance_id)
        self._prepare_dirs()
        self.engine = Engine(self.root, self.nodes, knobs or Knobs(), self.timings, on_vip_route=on_vip_route)
        self.commands = Commands(
            self.engine,
            secrets or self._secrets.get,
            objects or (lambda bucket, key: self._objects.get((bucket, key))),
        )
        self.engine.handle_request = self._handle_request
        self.engine.spawn = self._spawn
        self._spawned: list[subprocess.Popen[bytes]] = []
        self.engine.files.knob_hang(self.engine.knobs.hang_command)
        probe_standins.write_knob_files(self.root / "cluster" / "knobs", self.engine.knobs)
        self.engine.initialize(virtual_ip, bare=bare, data_device=data_device)
        if installed:
            self._install_directly()
        self.engine.start()

    # ---- construction ------------------------------------------------------------------------------

    def _make_node(self, index: int) -> Node:
        letter = "ab"[index]
        seed = f"{self.name}/{letter}"
        identity = (
            self._identities[index]
            if self._identities
            else NodeIdentity(
                instance_id=f"i-0{_hex(seed, 16)}",
                eni=f"eni-0{_hex(seed + '/eni', 16)}",
                addresses=(f"10.0.{index * 32 + 1}.10", f"10.0.{index * 32 + 2}.10"),
            )
        )
        node = Node(
            name=self.node_names[index],
            instance_id=identity.instance_id,
            eni=identity.eni,
            addresses=identity.addresses,
            priority=1 if index == 0 else 10,
            root=self.root / "nodes" / self.node_names[index],
        )
        node.rpms = {rpm.rsplit("-", 2)[0]: rpm for rpm in BASE_RPMS}
        return node

    def _prepare_dirs(self) -> None:
        cluster = self.root / "cluster"
        for path in (cluster / "inbox", cluster / "shared_data", cluster / "knobs", self.root / "bin"):
            path.mkdir(parents=True, exist_ok=True)
        write_text(cluster / "primary_name", f"{self.nodes[0].name}\n")
        for command in BASH_STANDINS:
            (self.root / "bin" / command).symlink_to(STANDINS / command)
        for command in ENGINE_STANDINS:
            (self.root / "bin" / command).symlink_to(STANDINS / "engine-call.sh")
        for node in self.nodes:
            for sub in (
                "state/res",
                "state/daemons",
                "fs/etc",
                "fs/tmp",
                "fs/opt/LifeKeeper/bin",
                "fs/opt/LifeKeeper/config",
            ):
                (node.root / sub).mkdir(parents=True, exist_ok=True)
            write_text(node.fs / "etc/hosts", HOSTS)
            write_text(node.fs / "etc/default/LifeKeeper", LK_DEFAULTS + ("" if self.bare else "NOBCASTPING=1\n"))

    def _install_directly(self, logical_host: str = "hulft-vip") -> None:
        """The state the setup workflow leaves behind, without running it (for drill tests and demos)."""
        primary, secondary = self.nodes
        for node, role in ((primary, "active"), (secondary, "standby")):
            node.rpms[KIT_RPM] = f"{KIT_RPM}-8.2.1-6353.noarch"
            node.hulft = {"role": role.upper(), "hulexep": "/usr/local/hulft", "myhostname": logical_host}
            for name in ("hulobsd", "hulrcvd", "hulsndd", "hulclusterobs", "hulclusterrcv", "hulclustersnd"):
                write_text(node.fs / "usr/local/hulft/bin" / name, "#!/bin/sh\n")
            for sub in ("tmp", "etc"):
                (node.fs / "usr/local/hulft" / sub).mkdir(mode=0o750, exist_ok=True)
            write_text(node.fs / "usr/local/hulft/.hadrill-installed", f"08.01.02 {role}\n")
            write_text(node.state_dir / "hulexep", "/usr/local/hulft/bin\n")
            with (node.fs / "etc/hosts").open("a") as hosts:
                hosts.write(f"{self.virtual_ip} {logical_host}\n")
        write_text(self.root / "cluster/shared_data/hulft/etc/hulenv.conf", f"MYHOSTNAME={logical_host}\n")
        self.engine.create_hulft(primary, "hulft", "/data")
        self.engine.extend(primary, secondary, "hulft", secondary.priority)

    # ---- what tests and the local world use ---------------------------------------------------------

    @property
    def knobs(self) -> Knobs:
        return self.engine.knobs

    def set_knobs(self, knobs: Knobs) -> None:
        with self.engine.lock:
            self.engine.knobs = knobs
            self.engine.files.knob_hang(knobs.hang_command)
            probe_standins.write_knob_files(self.root / "cluster" / "knobs", knobs)

    def start_receive_listeners(self) -> dict[str, ReceiveListener]:
        """Give each node hulrcvd's receive port on a loopback TCP port, open while hulrcvd runs there
        (the engine tells every change). Returns them by instance id."""
        with self.engine.lock:
            if not self.receive_listeners:
                by_name = {node.name: ReceiveListener(node.name) for node in self.nodes}
                self.receive_listeners = {node.instance_id: by_name[node.name] for node in self.nodes}

                def follow(node: Node) -> None:
                    by_name[node.name].set_listening(self.engine.receive_port_open(node))

                self.engine.on_node_change = follow
                for node in self.nodes:
                    follow(node)
        return self.receive_listeners

    def put_secret(self, secret_id: str, value: str) -> None:
        self._secrets[secret_id] = value

    def put_object(self, bucket: str, key: str, data: bytes) -> None:
        self._objects[(bucket, key)] = data

    def node_for(self, instance_id: str) -> Node:
        for node in self.nodes:
            if node.instance_id == instance_id:
                return node
        raise KeyError(f"no simulated instance {instance_id} in cluster {self.name}")

    def lifekeeper_name(self, instance_id: str) -> str:
        return self.node_for(instance_id).name

    def eni_of(self, instance_id: str) -> str:
        return self.node_for(instance_id).eni

    def addresses_of(self, instance_id: str) -> tuple[str, ...]:
        """The node's two addresses, in comm path order."""
        return self.node_for(instance_id).addresses

    def active_node(self) -> str | None:
        """LifeKeeper name of the node the cluster considers active (None while nobody is)."""
        with self.engine.lock.reading():
            return self.engine.active

    def history(self) -> list[tuple[float, str]]:
        with self.engine.lock.reading():
            return list(self.engine.history)

    # ---- the NodeBackend contract ---------------------------------------------------------------------

    def is_online(self, instance_id: str) -> bool:
        with self.engine.lock.reading():
            return self.node_for(instance_id).online

    def vip_route_target(self) -> str:
        with self.engine.lock.reading():
            return self.engine.vip_route

    def stop_instance(self, instance_id: str) -> None:
        node = self.node_for(instance_id)
        with self.engine.lock:
            if node.power == "running":
                self.engine.shut_down(node)

    def start_instance(self, instance_id: str) -> None:
        node = self.node_for(instance_id)
        with self.engine.lock:
            if node.power == "stopped":
                node.power = "pending"
                self.engine.at(time.time() + self.timings.reboot_seconds, lambda: self.engine.boot(node))

    def reboot_instance(self, instance_id: str) -> None:
        """An EC2 reboot: a running node shuts down and boots; a node whose network is down just boots."""
        node = self.node_for(instance_id)
        with self.engine.lock:
            if node.power != "running":
                return
            if not node.network_up:
                self.engine.power_off(node, graceful=False)
                self.engine.at(time.time() + self.timings.reboot_seconds, lambda: self.engine.boot(node))
                return

            def later() -> None:
                self.engine.at(time.time() + self.timings.reboot_seconds, lambda: self.engine.boot(node))

            self.engine.shut_down(node, then=later)

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        write_text(self.root / "cluster" / "closed", "")
        for timer in self._timers:
            timer.cancel()
        self.engine.stop()
        for listener in self.receive_listeners.values():
            listener.close()
        for process in self._spawned:
            with contextlib.suppress(ProcessLookupError, subprocess.TimeoutExpired):
                process.wait(timeout=1)
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()

    def __enter__(self) -> SimulatedCluster:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ---- documents ---------------------------------------------------------------------------------------

    def document(self, document_name: str) -> dict[str, Any]:
        if document_name not in self._documents:
            path = self.documents_dir / f"{document_name}.json"
            if not path.is_file():
                raise InvalidDocumentParametersError(f"InvalidDocument: {document_name} does not exist")
            self._documents[document_name] = json.loads(path.read_text())
        return self._documents[document_name]

    def validate_parameters(self, document_name: str, parameters: Mapping[str, list[str]]) -> dict[str, str]:
        """What SSM checks before sending: known names, one value each, allowedPattern, defaults."""
        declared: dict[str, dict[str, str]] = self.document(document_name).get("parameters", {})
        unknown = sorted(set(parameters) - set(declared))
        if unknown:
            names = ", ".join(unknown)
            raise InvalidDocumentParametersError(f"InvalidParameters: {document_name} has no parameter {names}")
        values: dict[str, str] = {}
        for name, spec in declared.items():
            given = parameters.get(name)
            if given is None:
                if "default" not in spec:
                    raise InvalidDocumentParametersError(f"InvalidParameters: {name} is required")
                value = spec["default"]
            elif len(given) != 1:
                raise InvalidDocumentParametersError(f"InvalidParameters: {name} takes exactly one value")
            else:
                value = given[0]
            if not re.fullmatch(spec["allowedPattern"], value):
                raise InvalidDocumentParametersError(
                    f"InvalidParameters: {name} does not match its allowedPattern {spec['allowedPattern']}"
                )
            values[name] = value
        return values

    def run_document(
        self, *, instance_id: str, document_name: str, parameters: dict[str, list[str]], timeout_seconds: int
    ) -> CommandOutcome:
        """Run the document's script on the node in real bash; blocks until it ends or times out."""
        node = self.node_for(instance_id)
        document_name = document_name.removeprefix(self.document_prefix)
        try:
            values = self.validate_parameters(document_name, parameters)
        except InvalidDocumentParametersError as error:
            return CommandOutcome("Failed", -1, "", str(error))
        if not self.is_online(instance_id):
            return CommandOutcome(
                "Undeliverable", -1, "", f"{instance_id} is not connected (PingStatus ConnectionLost)"
            )
        lines = self.document(document_name)["mainSteps"][0]["inputs"]["runCommand"]
        workdir = node.root / "commands" / uuid.uuid4().hex
        script = workdir / "_script.sh"
        write_text(script, "\n".join(lines) + "\n")
        env = self._environment(node, workdir, values)
        with self.engine.lock.reading():
            epoch = node.epoch
        if self.engine.knobs.lose_node_during == document_name:
            timer = threading.Timer(self.timings.lose_after_seconds, self._lose, args=(node,))
            self._timers.append(timer)
            timer.start()
        started = time.monotonic()
        process = subprocess.Popen(
            ["bash", str(script)],
            cwd=workdir,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )
        try:
            out, err = process.communicate(timeout=timeout_seconds)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.communicate()
            return CommandOutcome("TimedOut", -1, "", f"command timed out after {timeout_seconds} s")
        with self.engine.lock.reading():
            delivered = node.online and node.epoch == epoch
        if not delivered:
            # The agent lost its connection: the service never hears back and times the command out.
            time.sleep(max(0.0, timeout_seconds - (time.monotonic() - started)))
            return CommandOutcome("TimedOut", -1, "", "the instance stopped responding during the command")
        stdout = out.decode(errors="replace")[:STDOUT_LIMIT]
        stderr = err.decode(errors="replace")[:STDERR_LIMIT]
        breach = contract_breach(document_name, stdout)
        if breach is not None:
            # Not what SSM does: the test double refuses a script that breaks its result model, loudly.
            stderr += f"\nsimulator: {document_name} broke its result contract: {breach}\n"
            return CommandOutcome("Failed", CONTRACT_BREACH_EXIT, stdout, stderr)
        return CommandOutcome("Success" if process.returncode == 0 else "Failed", process.returncode, stdout, stderr)

    def _spawn(self, node: Node, argv: list[str]) -> None:
        """A command the node runs by itself (a systemd timer's service), detached, in the node's
        environment: its commands reach the engine through the stand-ins like any script's."""
        workdir = node.root / "commands" / uuid.uuid4().hex
        workdir.mkdir(parents=True, exist_ok=True)
        self._spawned = [p for p in self._spawned if p.poll() is None]
        self._spawned.append(
            subprocess.Popen(
                argv,
                cwd=workdir,
                env=self._environment(node, workdir, {}),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                start_new_session=True,
            )
        )

    def _lose(self, node: Node) -> None:
        with self.engine.lock:
            self.engine.node_lost(node, "lost during a command (knob)")

    def _environment(self, node: Node, workdir: Path, values: Mapping[str, str]) -> dict[str, str]:
        env = {
            "PATH": f"{self.root / 'bin'}:{os.environ.get('PATH', '/usr/bin:/bin')}",
            "HOME": str(node.fs / "root"),
            "LANG": "C.UTF-8",
            "TMPDIR": str(node.fs / "tmp"),
            "HADRILL_ROOT": str(node.fs),
            "HADRILL_NODE_NAME": node.name,
            "HADRILL_VENDOR_OVERRIDES": str(node.fs / "etc/hadrill/vendor-overrides.sh"),
            "HADRILL_SIM_STATE": str(self.root),
            "HADRILL_SIM_NODE": node.name,
            # Where the stand-ins source _common.sh from (else each finds it with readlink and dirname:
            # two more processes for every stand-in a script runs).
            "HADRILL_SIM_STANDINS": str(STANDINS),
        }
        env.update({f"SSM_{name}": value for name, value in values.items()})
        return env

    # ---- engine inbox -------------------------------------------------------------------------------------

    def _handle_request(self, request: Path) -> None:
        base = request.with_suffix("")
        working = request.with_suffix(".work")
        request.replace(working)
        raw = working.read_bytes()
        head, _, rest = raw.partition(b"\n")
        command, _, rest = rest.partition(b"\n")
        cwd, _, args_raw = rest.partition(b"\n")
        args = [a.decode() for a in args_raw.split(b"\0")[:-1]] if args_raw else []
        node = self.engine.node(head.decode())

        def answer(reply: Reply) -> None:
            write_text(base.with_suffix(".out"), reply.out)
            write_text(base.with_suffix(".err"), reply.err)
            write_text(base.with_suffix(".done"), f"{reply.code}\n")
            working.unlink(missing_ok=True)

        try:
            self.commands.dispatch(node, command.decode(), args, cwd.decode(), answer)
        except Exception as error:  # a simulator bug must not hang the stand-in
            answer(Reply(70, err=f"simulator error in {command.decode()}: {error!r}\n"))
