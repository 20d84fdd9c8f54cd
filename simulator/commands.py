"""Answers to the node commands that engine-call.sh forwards (they change the cluster's state).

Each handler gets the node, the arguments and the caller's working directory, and either answers
at once or later (switchover waits for the takeover to complete). Messages imitate the real tools.
Each command here is a row of docs/vendor-commands.md (same name): LifeKeeper (lkkeyins, lkstart,
sys_list, sys_create, net_create, dep_create, dep_list, perform_action, lcdremexec), Resources (lkcli
resource create|extend dk, hulft, ip, ec2), DataKeeper (lsblk, vgcreate, lvcreate, vgdisplay, lvdisplay),
HULFT8 (the installer, hulcluster*, the Recovery Kit rpm), OS and AWS (ifdown, service network stop,
mount of the ISO). Where a row is unverified or overridable, the answer here is our reading too, and a
test against it shows only that the scripts and that reading agree.
"""

from __future__ import annotations

import re
import shutil
import tarfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from simulator import probe_standins
from simulator.engine import KIT_RPM, Engine
from simulator.state import DAEMONS, DATA_MOUNT, Node, write_text


@dataclass
class Reply:
    code: int
    out: str = ""
    err: str = ""


Answer = Callable[[Reply], None]
SecretReader = Callable[[str], str | None]
ObjectReader = Callable[[str, str], bytes | None]

_RPM_FILE = re.compile(r"^(?P<name>.+)-(?P<version>[^-]+)-(?P<release>[^-]+)\.(?P<arch>[^.]+)\.rpm$")
_CLUSTER_COMMANDS = {"hulclusterobs": "hulobsd", "hulclusterrcv": "hulrcvd", "hulclustersnd": "hulsndd"}
S3_NOT_FOUND = "An error occurred (404) when calling the HeadObject operation"
SM_NOT_FOUND = (
    "\nAn error occurred (ResourceNotFoundException) when calling the GetSecretValue operation: "
    "Secrets Manager can't find the specified secret.\n"
)


# Fields of the Installation Information file that Express Installation does not take (HULFT8 UX-INS,
# Table 3.1, "You cannot specify these fields").
_EXPRESS_FIXED = (
    "HULPATH",
    "HULEXEP",
    "INSTALLATIONTYPE",
    "MYHOSTNAME",
    "TMPDIR",
    "HULLANG",
    "CS4TRNSFR",
    "DATEFMT",
    "INSTALLNODE",
    "PIDDIR",
)


# What the simulated lcdremexec runs on the other node (SIOS's scripts use it for these).
_REMOTE_COMMANDS = ("perform_action", "vgdisplay", "vgcreate", "lvdisplay", "lvcreate", "lsblk")


def _leaf(path: str, leaf: str) -> str:
    """HULEXEP/HULPATH: the directory itself when it ends in bin/etc, else that subdirectory of it (the
    rule HULFT's Windows manual states; assumed for UNIX, docs/vendor-commands.md)."""
    path = path.rstrip("/")
    return path if path.rsplit("/", 1)[-1] == leaf else f"{path}/{leaf}"


def _option(args: list[str], name: str) -> str | None:
    if name in args:
        index = args.index(name)
        if index + 1 < len(args):
            return args[index + 1]
    return None


class Commands:
    def __init__(self, engine: Engine, secrets: SecretReader, objects: ObjectReader) -> None:
        self.engine = engine
        self.secrets = secrets
        self.objects = objects
        self.installer_runs: list[dict[str, str]] = []  # what the installer was given (secrets masked)

    def dispatch(self, node: Node, command: str, args: list[str], cwd: str, answer: Answer) -> None:
        handler = getattr(self, "cmd_" + command.replace("-", "_"), None)
        if command in _CLUSTER_COMMANDS:
            answer(self.hulcluster(node, _CLUSTER_COMMANDS[command], args))
        elif handler is None:
            answer(Reply(127, err=f"{command}: not simulated\n"))
        else:
            result = handler(node, args, cwd, answer)
            if result is not None:
                answer(result)

    # ---- network, processes ------------------------------------------------------------------------

    def cmd_ifdown(self, node: Node, args: list[str], cwd: str, answer: Answer) -> Reply | None:
        return self._network_down(node, f"ifdown {' '.join(args)}", Reply(0), answer)

    def cmd_service(self, node: Node, args: list[str], cwd: str, answer: Answer) -> Reply | None:
        if args[:2] == ["network", "stop"]:
            return self._network_down(
                node, "service network stop", Reply(0, "Shutting down interface eth0:  [  OK  ]\n"), answer
            )
        return Reply(1, err=f"service {' '.join(args)}: not simulated\n")

    def _network_down(self, node: Node, why: str, reply: Reply, answer: Answer) -> Reply | None:
        """The node's network goes down when the command returns; Knobs.fault_delay_seconds makes the
        command take that long first (a slow ifdown: the fault lands later than the drill predicts)."""
        delay = self.engine.knobs.fault_delay_seconds
        if delay <= 0:
            self.engine.node_lost(node, why)
            return reply

        def down() -> None:
            self.engine.node_lost(node, why)
            answer(reply)

        self.engine.at(time.time() + delay, down)
        return None

    # ---- systemd (docs/vendor-commands.md, rows "systemd-run", "systemctl"): the dead-man switch --------

    def cmd_systemd_run(self, node: Node, args: list[str], cwd: str, answer: Answer) -> Reply:
        """``systemd-run --unit=U --on-active=Ns [--description=..] [--timer-property=..] COMMAND...``: a
        transient timer that runs COMMAND on this node after N seconds (only the forms the scripts use)."""
        unit, seconds, command = None, None, list(args)
        while command and command[0].startswith("--"):
            option, _, value = command.pop(0).partition("=")
            if option == "--unit":
                unit = value
            elif option == "--on-active":
                match = re.fullmatch(r"([0-9]+)s?", value)
                seconds = float(match[1]) if match else None
        if unit is None or seconds is None or not command:
            return Reply(1, err="systemd-run: only --unit=U --on-active=Ns COMMAND is simulated\n")
        if unit in node.timers:
            return Reply(1, err=f"Failed to start transient timer unit: Unit {unit}.timer already exists.\n")
        self.engine.arm_timer(node, unit, seconds, command)
        return Reply(0, err=f"Running timer as unit: {unit}.timer\nWill run service as unit: {unit}.service\n")

    def cmd_systemctl(self, node: Node, args: list[str], cwd: str, answer: Answer) -> Reply:
        words = [a for a in args if not a.startswith("-")]
        quiet = "--quiet" in args or "-q" in args
        if words == ["reboot"]:
            self.engine.reboot(node)
            return Reply(0)
        if len(words) == 2 and words[0] in ("is-active", "stop") and words[1].endswith(".timer"):
            unit = words[1].removesuffix(".timer")
            if words[0] == "is-active":
                return (
                    Reply(0, "" if quiet else "active\n")
                    if unit in node.timers
                    else Reply(3, "" if quiet else "inactive\n")
                )
            if self.engine.stop_timer(node, unit):
                return Reply(0)
            return Reply(5, err=f"Failed to stop {words[1]}: Unit {words[1]} not loaded.\n")
        return Reply(1, err=f"systemctl {' '.join(args)}: not simulated\n")

    def cmd_pkill(self, node: Node, args: list[str], cwd: str, answer: Answer) -> Reply:
        name = args[-1] if args else ""
        return Reply(0) if self.engine.kill_daemon(node, name) else Reply(1)

    def hulcluster(self, node: Node, daemon: str, args: list[str]) -> Reply:
        if not node.hulft:
            return Reply(1, err="HULFT is not installed\n")
        action = args[0] if args else ""
        if action == "-status":
            return Reply(0 if daemon in node.daemons else 1)
        if action == "-start":
            if daemon not in node.daemons:
                self.engine.start_daemon(node, daemon)
            return Reply(0)
        if action == "-stop":
            self.engine.stop_daemon(node, daemon)
            return Reply(0)
        return Reply(1, err="usage: -start | -stop | -status\n")

    # ---- packages, media -----------------------------------------------------------------------------

    def cmd_rpm(self, node: Node, args: list[str], cwd: str, answer: Answer) -> Reply:
        if args and args[0] == "-q":
            name = args[1] if len(args) > 1 else ""
            if name in node.rpms:
                return Reply(0, f"{node.rpms[name]}\n")
            return Reply(1, f"package {name} is not installed\n")
        if args and args[0] == "-qa":
            pattern = re.compile((args[1] if len(args) > 1 else "*").replace("*", ".*") + "$")
            return Reply(0, "".join(f"{v}\n" for n, v in sorted(node.rpms.items()) if pattern.match(n)))
        if (args and args[0].startswith("-i")) or (args and args[0].startswith("-U")):
            path = Path(cwd, args[-1])
            match = _RPM_FILE.match(path.name)
            if not path.is_file() or not match:
                return Reply(1, err=f"error: open of {args[-1]} failed: No such file or directory\n")
            if match["name"] in node.rpms and "--force" not in args:
                return Reply(1, err=f"package {node.rpms[match['name']]} is already installed\n")
            node.rpms[match["name"]] = path.name[: -len(".rpm")]
            return Reply(
                0, f"Preparing...\nUpdating / installing...\n   1:{path.name[:-4]}  ################# [100%]\n"
            )
        return Reply(1, err="rpm: not simulated\n")

    def cmd_mount(self, node: Node, args: list[str], cwd: str, answer: Answer) -> Reply:
        if len(args) < 2:
            return Reply(1, err="mount: not simulated\n")
        if args[-2] in node.devices:
            return self._mount_device(node, args[-2], Path(args[-1]))
        source, target = Path(cwd, args[-2]), Path(cwd, args[-1])
        if not target.is_dir():
            return Reply(32, err=f"mount: {target}: mount point does not exist.\n")
        try:
            with tarfile.open(source) as image:
                image.extractall(target, filter="data")
        except (OSError, tarfile.TarError):
            return Reply(32, err=f"mount: {target}: wrong fs type, bad option, bad superblock on {source}\n")
        node.mounts.append(str(target))
        self.engine.files.node_basics(node)
        return Reply(0, err="mount: /dev/loop0 is write-protected, mounting read-only\n")

    def _mount_device(self, node: Node, device: str, target: Path) -> Reply:
        if not node.devices[device]:
            return Reply(32, err=f"mount: {target}: wrong fs type, bad option, bad superblock on {device}\n")
        if target != node.fs / DATA_MOUNT.lstrip("/"):
            return Reply(32, err=f"mount: {target}: only {DATA_MOUNT} is simulated\n")
        self.engine.mount_data(node, True)
        return Reply(0)

    def cmd_lsblk(self, node: Node, args: list[str], cwd: str, answer: Answer) -> Reply:
        """lsblk -dno FSTYPE|TYPE <device> (docs/vendor-commands.md, row "lsblk")."""
        device = args[-1] if args else ""
        column = args[-2] if len(args) >= 2 and args[-2] in ("FSTYPE", "TYPE") else "FSTYPE"
        if device not in node.devices:
            return Reply(32, err=f"lsblk: {device}: not a block device\n")
        if column == "TYPE":
            return Reply(0, f"{node.device_types.get(device, 'disk')}\n")
        return Reply(0, f"{node.devices[device]}\n")

    # ---- LVM (docs/vendor-commands.md, rows "vgcreate", "lvcreate", "vgdisplay, lvdisplay") -----------

    def cmd_vgdisplay(self, node: Node, args: list[str], cwd: str, answer: Answer) -> Reply:
        name = args[-1] if args else ""
        if name not in node.volume_groups:
            return Reply(5, err=f'  Volume group "{name}" not found\n')
        return Reply(0, f"  --- Volume group ---\n  VG Name               {name}\n")

    def cmd_vgcreate(self, node: Node, args: list[str], cwd: str, answer: Answer) -> Reply:
        positional = [a for a in args if not a.startswith("-")]
        if len(positional) != 2:
            return Reply(3, err="vgcreate: a volume group name and one physical volume, please (simulated)\n")
        name, device = positional
        if name in node.volume_groups:
            return Reply(5, err=f"  A volume group called {name} already exists.\n")
        if device not in node.devices or node.device_types.get(device, "disk") != "disk":
            return Reply(5, err=f"  No device found for {device}.\n")
        if node.devices[device]:
            return Reply(5, err=f"  Cannot use {device}: device has a {node.devices[device]} signature\n")
        node.devices[device] = "LVM2_member"
        node.volume_groups[name] = device
        created = f'  Physical volume "{device}" successfully created.\n'
        return Reply(0, f'{created}  Volume group "{name}" successfully created\n')

    def cmd_lvdisplay(self, node: Node, args: list[str], cwd: str, answer: Answer) -> Reply:
        path = args[-1] if args else ""
        group, _, volume = path.partition("/")
        if f"/dev/mapper/{group}-{volume}" not in node.devices:
            return Reply(5, err=f'  Failed to find logical volume "{path}"\n')
        return Reply(0, f"  --- Logical volume ---\n  LV Path                /dev/{group}/{volume}\n")

    def cmd_lvcreate(self, node: Node, args: list[str], cwd: str, answer: Answer) -> Reply:
        name, group = _option(args, "--name") or "", args[-1] if args else ""
        if group not in node.volume_groups:
            return Reply(5, err=f'  Volume group "{group}" not found\n')
        device = f"/dev/mapper/{group}-{name}"
        if not name or device in node.devices:
            return Reply(5, err=f'  Logical Volume "{name}" already exists in volume group "{group}"\n')
        node.devices[device] = ""
        node.device_types[device] = "lvm"
        return Reply(0, f'  Logical volume "{name}" created.\n')

    def cmd_umount(self, node: Node, args: list[str], cwd: str, answer: Answer) -> Reply:
        target = Path(cwd, args[-1]) if args else Path()
        if str(target) not in node.mounts:
            return Reply(32, err=f"umount: {target}: not mounted.\n")
        node.mounts.remove(str(target))
        for child in target.iterdir():
            shutil.rmtree(child) if child.is_dir() else child.unlink()
        self.engine.files.node_basics(node)
        return Reply(0)

    def cmd_aws(self, node: Node, args: list[str], cwd: str, answer: Answer) -> Reply:
        if args[:2] == ["s3", "cp"] and len(args) >= 4 and args[2].startswith("s3://"):
            bucket, _, key = args[2][len("s3://") :].partition("/")
            data = self.objects(bucket, key)
            if data is None:
                return Reply(1, err=f'fatal error: {S3_NOT_FOUND}: Key "{key}" does not exist\n')
            Path(cwd, args[3]).write_bytes(data)
            return Reply(0)
        if args[:2] == ["secretsmanager", "get-secret-value"]:
            secret_id = _option(args, "--secret-id") or ""
            value = None if self.engine.knobs.secret_missing else self.secrets(secret_id)
            if value is None:
                return Reply(254, err=SM_NOT_FOUND)
            return Reply(0, f"{value}\n")
        return Reply(252, err=f"aws {' '.join(args[:2])}: not simulated\n")

    def cmd_hadrill_sim_hulft_installer(self, node: Node, args: list[str], cwd: str, answer: Answer) -> Reply:
        """The HULFT8 installer reading an Installation Information file (docs/vendor-commands.md, rows
        "./installer -f", "INSTALLATIONROUTE", "Express: fields not specifiable", "INSTALLNODE", "HULEXEP,
        HULPATH: directory or parent"). Express refuses the fields Table 3.1 marks as not specifiable and
        installs a non-cluster HULFT under /usr/local/HULFT; Custom needs HULEXEP, HULPATH and INSTALLNODE."""
        info_path = Path(cwd, _option(args, "-f") or "")
        if not info_path.is_file():
            return Reply(1, err="installer: Installation Information file not found\n")
        info = dict(line.split("=", 1) for line in info_path.read_text().splitlines() if "=" in line)
        masked = {k: ("<given>" if k in ("SERIAL", "PRODUCTKEY") else v) for k, v in info.items()}
        masked["info_file"] = str(info_path)
        self.installer_runs.append(masked)
        if self.engine.knobs.install_fails:
            return Reply(1, "HULFT installation failed: error while copying programs (simulated)\n")
        if not re.fullmatch(r"[0-9]{13}", info.get("SERIAL", "")) or len(info.get("PRODUCTKEY", "")) < 25:
            return Reply(1, "HULFT installation failed: the serial number or product key is invalid\n")
        route = info.get("INSTALLATIONROUTE", "")
        if route == "EXPRESS":
            refused = [k for k in _EXPRESS_FIXED if k in info]
            if refused:
                return Reply(1, f"HULFT installation failed: {', '.join(refused)} cannot be specified for EXPRESS\n")
            info.update(HULEXEP="/usr/local/HULFT/bin", HULPATH="/usr/local/HULFT/etc", INSTALLNODE="DEFAULT")
        elif route != "CUSTOM":
            return Reply(1, f"HULFT installation failed: INSTALLATIONROUTE {route!r} is not EXPRESS or CUSTOM\n")
        missing = [k for k in ("HULEXEP", "HULPATH", "INSTALLNODE") if k not in info]
        if missing:
            return Reply(1, f"HULFT installation failed: missing {', '.join(missing)}\n")
        if info["INSTALLNODE"] not in ("DEFAULT", "ACTIVE", "STANDBY"):
            return Reply(1, f"HULFT installation failed: INSTALLNODE {info['INSTALLNODE']!r} is unknown\n")
        hulexep, hulpath = _leaf(info["HULEXEP"], "bin"), _leaf(info["HULPATH"], "etc")
        myhostname = info.get("MYHOSTNAME", node.name)  # the manual's default: the local host name
        programs = node.fs / hulexep.lstrip("/")
        for name in (*DAEMONS, "hulclusterobs", "hulclusterrcv", "hulclustersnd"):
            write_text(programs / name, "#!/bin/sh\n")
        if info["INSTALLNODE"] != "STANDBY":
            settings = node.fs / hulpath.lstrip("/")
            if not settings.parent.parent.exists():
                return Reply(1, f"HULFT installation failed: cannot create {hulpath}\n")
            write_text(settings / "hulenv.conf", f"MYHOSTNAME={myhostname}\n")
        node.hulft = {"role": info["INSTALLNODE"], "hulexep": hulexep.removesuffix("/bin"), "myhostname": myhostname}
        write_text(node.state_dir / "hulexep", f"{hulexep}\n")
        return Reply(0, f"HULFT installation completed ({info['INSTALLNODE']} node).\n")

    # ---- LifeKeeper ------------------------------------------------------------------------------------

    def cmd_lkcli(self, node: Node, args: list[str], cwd: str, answer: Answer) -> Reply:
        if "--help" in args:  # the conformance probe reads it (simulator/probe_standins.py)
            return Reply(*probe_standins.lkcli_help(args, self.engine.knobs))
        verbs: dict[tuple[str, ...], Callable[[Node, list[str]], Reply]] = {
            ("resource", "create", "hulft"): self._create,
            ("resource", "extend", "hulft"): self._extend,
            ("resource", "create", "ip"): self._create_ip,
            ("resource", "create", "ec2"): self._create_ec2,
            ("resource", "extend", "ec2"): self._extend_ec2,
            ("resource", "create", "dk"): self._create_dk,
            ("resource", "extend", "dk"): self._extend_dk,
        }
        handler = verbs.get(tuple(args[:3]))
        if handler is None:
            return Reply(1, err=f"lkcli {' '.join(args[:3])}: not simulated\n")
        if not node.lk_running:
            return Reply(1, err="LifeKeeper is not running\n")
        return handler(node, args)

    # ---- the cluster base ------------------------------------------------------------------------------

    def cmd_lkping(self, node: Node, args: list[str], cwd: str, answer: Answer) -> Reply:
        """lkping -c 1 -w 2 ADDRESS (the conformance probe; simulator/probe_standins.py says what it imitates)."""
        address = args[-1] if args else ""
        peer = next((n for n in self.engine.nodes if address in n.addresses), None)
        answered = peer is not None and node.online and peer.online and not self.engine.knobs.no_icmp
        return Reply(*probe_standins.lkping_reply(address, answered=answered))

    def cmd_lkkeyins(self, node: Node, args: list[str], cwd: str, answer: Answer) -> Reply:
        path = Path(cwd, args[-1]) if args else Path()
        if not path.is_file():
            return Reply(1, err=f"lkkeyins: cannot open {args[-1] if args else '(none)'}\n")
        if not any(line.startswith(("FEATURE ", "INCREMENT ")) for line in path.read_text().splitlines()):
            return Reply(1, err="lkkeyins: no valid license key found in the file\n")
        self.engine.install_license(node)
        return Reply(0, "License key(s) installed.\n")

    def cmd_lkstart(self, node: Node, args: list[str], cwd: str, answer: Answer) -> Reply:
        if node.lk_running:
            return Reply(0, "LifeKeeper is already running\n")
        if not node.licensed:
            return Reply(1, err="LifeKeeper: no valid license key is installed; LifeKeeper not started\n")
        self.engine.lk_start(node)
        return Reply(0, "Starting LifeKeeper...\n")

    def cmd_sys_list(self, node: Node, args: list[str], cwd: str, answer: Answer) -> Reply:
        if not node.lk_running:
            return Reply(9, err="sys_list: LifeKeeper is not running\n")
        return Reply(0, "".join(f"{name}\n" for name in (node.name, *node.systems)))

    def cmd_sys_create(self, node: Node, args: list[str], cwd: str, answer: Answer) -> Reply:
        system = _option(args, "-s") or ""
        if not node.lk_running:
            return Reply(9, err="sys_create: LifeKeeper is not running\n")
        if system in (node.name, *node.systems):
            return Reply(4, err=f"sys_create: system {system} already exists\n")
        node.systems.append(system)
        return Reply(0)

    def cmd_net_create(self, node: Node, args: list[str], cwd: str, answer: Answer) -> Reply:
        system, local, remote = (_option(args, flag) or "" for flag in ("-s", "-l", "-r"))
        if not node.lk_running:
            return Reply(9, err="net_create: LifeKeeper is not running\n")
        if _option(args, "-n") != "TCP":
            return Reply(2, err="net_create: only TCP comm paths are simulated\n")
        if system not in node.systems:
            return Reply(7, err=f"net_create: system {system} is not defined on {node.name}\n")
        if local not in node.addresses:
            return Reply(5, err=f"net_create: {local} is not an address of {node.name}\n")
        if (local, remote) in node.paths:
            return Reply(4, err=f"net_create: comm path {local}/{remote} already exists\n")
        self.engine.add_path(node, local, remote)
        return Reply(0)

    def cmd_dep_create(self, node: Node, args: list[str], cwd: str, answer: Answer) -> Reply:
        parent, child = _option(args, "-p") or "", _option(args, "-c") or ""
        if self.engine.definition(parent) is None or self.engine.definition(child) is None:
            return Reply(7, err=f"dep_create: {parent} or {child} does not exist\n")
        if not self.engine.add_dependency(parent, child):
            return Reply(4, err=f"dep_create: {child} already depends on {parent}\n")
        return Reply(0)

    def cmd_dep_list(self, node: Node, args: list[str], cwd: str, answer: Answer) -> Reply:
        parent = _option(args, "-c")
        lines = [f"{d.parent}\001{d.tag}\n" for d in self.engine.defs if d.parent and parent in (None, d.parent)]
        return Reply(0, "".join(lines))

    def _new_tag(self, tag: str) -> Reply | None:
        if not tag:
            return Reply(1, err="Error: --tag is required\n")
        if self.engine.definition(tag) is not None:
            return Reply(1, err=f"Error: resource tag {tag} already exists\n")
        return None

    def _create_ip(self, node: Node, args: list[str]) -> Reply:
        tag, address = _option(args, "--tag") or "", _option(args, "--ipaddr") or ""
        if (refused := self._new_tag(tag)) is not None:
            return refused
        if not address or not _option(args, "--device"):
            return Reply(1, err="Error: --ipaddr and --device are required\n")
        self.engine.create_ip(node, tag, address)
        return Reply(0, f"Resource {tag} ({address}) created and in service on {node.name}\n")

    def _create_ec2(self, node: Node, args: list[str]) -> Reply:
        tag, ip_tag = _option(args, "--tag") or "", _option(args, "--ip_resource") or ""
        if (refused := self._new_tag(tag)) is not None:
            return refused
        if _option(args, "--type") != "RouteTable":
            return Reply(1, err="Error: only the RouteTable type is simulated\n")
        ip = self.engine.definition(ip_tag)
        if ip is None or ip.kind != "ip" or node.resources.get(ip_tag) != "ISP":
            return Reply(1, err=f"Error: IP resource {ip_tag} must exist and be in service on {node.name}\n")
        self.engine.create_ec2(node, tag, ip_tag)
        return Reply(0, f"Resource {tag} created; route for {ip.id} points at {node.eni}\n")

    def _extend_target(self, node: Node, args: list[str]) -> tuple[Node | None, Reply | None]:
        tag, dest = _option(args, "--tag") or "", _option(args, "--dest") or ""
        try:
            target = self.engine.node(dest)
        except KeyError:
            return None, Reply(1, err=f"Error: unknown server {dest}\n")
        if target is node or self.engine.definition(tag) is None or tag not in node.resources:
            return None, Reply(1, err=f"Error: cannot extend {tag} from {node.name} to {dest}\n")
        if not self.engine.reachable(node, target):
            return None, Reply(1, err=f"Error: {dest} is not reachable\n")
        return target, None

    def _extend_ec2(self, node: Node, args: list[str]) -> Reply:
        target, refused = self._extend_target(node, args)
        if target is None:
            return refused or Reply(1)
        tag = _option(args, "--tag") or ""
        self.engine.extend(node, target, tag, int(_option(args, "--target_priority") or "10"))
        return Reply(0, f"Resource {tag} extended to {target.name}\n")

    def _create_dk(self, node: Node, args: list[str]) -> Reply:
        tag, device = _option(args, "--tag") or "", _option(args, "--device") or ""
        fstype, mount = _option(args, "--fstype") or "", _option(args, "--mount_point") or ""
        fs_tag, hierarchy = _option(args, "--fstag") or mount, _option(args, "--hierarchy") or ""
        if (refused := self._new_tag(tag) or self._new_tag(fs_tag)) is not None:
            return refused
        if _option(args, "--mode") not in ("synchronous", "asynchronous"):
            return Reply(1, err="Error: --mode must be synchronous or asynchronous\n")
        if device not in node.devices:
            return Reply(1, err=f"Error: {device} is not a block device on {node.name}\n")
        if node.device_types.get(device, "disk") == "disk":
            # SIOS's own scripts never mirror a whole disk (a GPT partition, later an LVM volume;
            # docs/vendor-commands.md, row "DataKeeper device"): the kit's exact refusal is not public.
            return Reply(1, err=f"Error: {device} is a whole disk; mirror a partition or a logical volume\n")
        if mount != DATA_MOUNT:
            return Reply(1, err=f"Error: only {DATA_MOUNT} is simulated\n")
        if hierarchy == "new" and node.devices[device]:
            return Reply(1, err=f"Error: {device} already holds a {node.devices[device]} file system\n")
        mounted = any(m.endswith(DATA_MOUNT) for m in node.mounts)
        if hierarchy == "existing" and (node.devices[device] != fstype or not mounted):
            return Reply(1, err=f"Error: no {fstype} file system of {device} mounted on {mount}\n")
        if hierarchy not in ("new", "existing"):
            return Reply(1, err="Error: --hierarchy must be new or existing\n")
        self.engine.create_mirror(node, tag, device, fstype, fs_tag)
        made = f"mkfs.{fstype} {device}: done\n" if hierarchy == "new" else ""
        return Reply(0, f"{made}Resource {tag} created; {fs_tag} mounted on {node.name}\n")

    def _extend_dk(self, node: Node, args: list[str]) -> Reply:
        target, refused = self._extend_target(node, args)
        if target is None:
            return refused or Reply(1)
        tag = _option(args, "--tag") or ""
        mirror = self.engine.definition(tag)
        local, remote = _option(args, "--laddr") or "", _option(args, "--raddr") or ""
        if mirror is None or mirror.kind != "mirror" or mirror.parent is None:
            return Reply(1, err=f"Error: {tag} is not a DataKeeper resource\n")
        if mirror.id not in target.devices:
            return Reply(1, err=f"Error: {mirror.id} is not a block device on {target.name}\n")
        if local not in node.addresses or remote not in target.addresses:
            return Reply(1, err=f"Error: {local}/{remote} is not a path between {node.name} and {target.name}\n")
        self.engine.extend_mirror(node, target, mirror.parent, int(_option(args, "--target_priority") or "10"))
        return Reply(0, f"Resource {tag} extended to {target.name}; full resync started\n")

    def _create(self, node: Node, args: list[str]) -> Reply:
        tag, fs_tag = _option(args, "--tag") or "", _option(args, "--fstag") or "none"
        if not node.lk_running:
            return Reply(1, err="LifeKeeper is not running\n")
        if KIT_RPM not in node.rpms:
            return Reply(1, err="Error: the HULFT Recovery Kit is not installed on this server\n")
        if node.hulft.get("role") != "ACTIVE":
            return Reply(1, err="Error: HULFT (active node) is not installed on this server\n")
        if self.engine.definition(tag) is not None:
            return Reply(1, err=f"Error: resource tag {tag} already exists\n")
        if fs_tag != "none" and self.engine.definition(fs_tag) is None:
            return Reply(1, err=f"Error: file system resource {fs_tag} not found\n")
        if self.engine.active != node.name:
            return Reply(1, err="Error: create the resource on the server where the file system is in service\n")
        self.engine.create_hulft(node, tag, fs_tag)
        return Reply(0, f"Resource {tag} created and in service on {node.name}\n")

    def _extend(self, node: Node, args: list[str]) -> Reply:
        tag, dest = _option(args, "--tag") or "", _option(args, "--dest") or ""
        try:
            target = self.engine.node(dest)
        except KeyError:
            return Reply(1, err=f"Error: unknown server {dest}\n")
        if target is node or self.engine.definition(tag) is None or tag not in node.resources:
            return Reply(1, err=f"Error: cannot extend {tag} from {node.name} to {dest}\n")
        if not self.engine.reachable(node, target):
            return Reply(1, err=f"Error: {dest} is not reachable\n")
        if KIT_RPM not in target.rpms or not target.hulft:
            return Reply(1, err=f"Error: HULFT or its Recovery Kit is not installed on {dest}\n")
        self.engine.extend(node, target, tag, int(_option(args, "--target_priority") or "10"))
        return Reply(0, f"Resource {tag} extended to {dest}\n")

    def cmd_lcdremexec(self, node: Node, args: list[str], cwd: str, answer: Answer) -> Reply | None:
        dest = _option(args, "-d") or ""
        command = args[args.index("--") + 1 :] if "--" in args else []
        try:
            target = self.engine.node(dest)
        except KeyError:
            return Reply(1, err=f"lcdremexec: unknown system {dest}\n")
        if not self.engine.reachable(node, target):
            return Reply(1, err=f"lcdremexec: cannot reach {dest}\n")
        name = command[0].rsplit("/", 1)[-1] if command else ""
        handler = getattr(self, "cmd_" + name.replace("-", "_"), None) if name in _REMOTE_COMMANDS else None
        if handler is None:
            return Reply(1, err=f"lcdremexec: {name or '(no command)'} is not simulated on a remote system\n")
        result: Reply | None = handler(target, command[1:], cwd, answer)
        return result

    def cmd_perform_action(self, node: Node, args: list[str], cwd: str, answer: Answer) -> Reply | None:
        tag, action = _option(args, "-t") or "", _option(args, "-a") or ""
        if tag not in node.resources:
            return Reply(1, err=f"perform_action: resource {tag} not found on {node.name}\n")
        if action == "remove":
            self.engine.take_out_of_service(node)
            if self.engine.active == node.name:
                self.engine.active = None
            return Reply(0)
        if action != "restore":
            return Reply(1, err=f"perform_action: action {action} not simulated\n")
        if node.resources[tag] == "ISP":
            return Reply(0, f"{tag} is already in service on {node.name}\n")
        started = time.time()
        self.engine.begin_takeover(
            node,
            planned=True,
            on_done=lambda: answer(
                Reply(0, f"restore of {tag} on {node.name} completed in {time.time() - started:.1f}s\n")
            ),
        )
        return None
