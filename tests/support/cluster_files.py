"""What a simulated cluster holds on disk, to prove that a rerun changed nothing."""

from __future__ import annotations

import hashlib

from simulator import SimulatedCluster


def snapshot(cluster: SimulatedCluster) -> dict[str, str]:
    """Every file (content and mode), link and folder of both nodes and the cluster state.

    The per-command scratch folders and the engine's request inbox are left out: every command
    has them, whether or not it changed the node.
    """
    found: dict[str, str] = {}
    for path in sorted(cluster.root.rglob("*")):
        relative = str(path.relative_to(cluster.root))
        if "/commands/" in f"/{relative}/" or "/inbox/" in f"/{relative}":
            continue
        if path.is_symlink():
            found[relative] = f"-> {path.readlink()}"
        elif path.is_file():
            found[relative] = hashlib.sha256(path.read_bytes()).hexdigest() + oct(path.stat().st_mode)
        else:
            found[relative] = "dir"
    return found
