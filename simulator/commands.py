"""Answers to the node commands that engine-call.sh forwards (they change the cluster's state).

Each handler gets the node, the arguments and the caller's working directory, and either answers
at once or later (switchover waits for the takeover to complete). Messages imitate the real tools.
"""

from __future__ import annotations

import re
import shutil
import tarfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from simulator.engine import KIT_RPM, Engine
from simulator.state import DAEMONS, Node, write_text


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

    def cmd_ifdown(self, node: Node, args: list[str], cwd: str, answer: Answer) -> Reply:
        self.engine.node_lost(node, f"ifdown {' '.join(args)}")
        return Reply(0)

    def cmd_service(self, node: Node, args: list[str], cwd: str, answer: Answer) -> Reply:
        if args[:2] == ["network", "stop"]:
            self.engine.node_lost(node, "service network stop")
            return Reply(0, "Shutting down interface eth0:  [  OK  ]\n")
        return Reply(1, err=f"service {' '.join(args)}: not simulated\n")

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
        missing = [k for k in ("HULEXEP", "HULPATH", "MYHOSTNAME", "INSTALLNODE") if k not in info]
        if missing:
            return Reply(1, f"HULFT installation failed: missing {', '.join(missing)}\n")
        programs = node.fs / info["HULEXEP"].lstrip("/") / "bin"
        for name in (*DAEMONS, "hulclusterobs", "hulclusterrcv", "hulclustersnd"):
            write_text(programs / name, "#!/bin/sh\n")
        if info["INSTALLNODE"] == "ACTIVE":
            settings = node.fs / info["HULPATH"].lstrip("/") / "etc"
            if not settings.parent.parent.exists():
                return Reply(1, f"HULFT installation failed: cannot create {info['HULPATH']}\n")
            write_text(settings / "hulenv.conf", f"MYHOSTNAME={info['MYHOSTNAME']}\n")
        node.hulft = {"role": info["INSTALLNODE"], "hulexep": info["HULEXEP"], "myhostname": info["MYHOSTNAME"]}
        write_text(node.state_dir / "hulexep", f"{info['HULEXEP']}/bin\n")
        return Reply(0, f"HULFT installation completed ({info['INSTALLNODE']} node).\n")

    # ---- LifeKeeper ------------------------------------------------------------------------------------

    def cmd_lkcli(self, node: Node, args: list[str], cwd: str, answer: Answer) -> Reply:
        if args[:3] == ["resource", "create", "hulft"]:
            return self._create(node, args)
        if args[:3] == ["resource", "extend", "hulft"]:
            return self._extend(node, args)
        return Reply(1, err=f"lkcli {' '.join(args[:3])}: not simulated\n")

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
        if command and command[0].rsplit("/", 1)[-1] == "perform_action":
            return self.cmd_perform_action(target, command[1:], cwd, answer)
        return Reply(1, err="lcdremexec: only perform_action is simulated\n")

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
