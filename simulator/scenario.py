"""Drive a simulated cluster through the documents, as the setup workflow would (tests, demos)."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from hadrill.contracts import DOCUMENT_NAME_PREFIX
from simulator import media
from simulator.cluster import SimulatedCluster
from simulator.model import CommandOutcome

BUCKET = "hadrill-media"
HULFT_KEY = "hulft/hulft-unix-linux-v812.iso"
KIT_KEY = "lifekeeper/HULFTARK072814.iso"
SECRET_ID = "hadrill/hulft-license"  # noqa: S105 - the secret's name
LICENSE = json.dumps({"serial": "1234567890123", "productKey": "ABCDE-12345-FGHIJ-67890-KL"[:25]})
LOGICAL_HOST = "hulft-vip"
LK_SECRET_ID = "hadrill/lifekeeper-license"  # noqa: S105 - the secret's name
# A LifeKeeper license file as lkkeyins reads it (FlexNet-style FEATURE lines; a made-up key).
LK_LICENSE = (
    "FEATURE lklc steeleye 9.8 permanent uncounted HOSTID=ANY SIGN=0123456789AB\n"
    "FEATURE lkDR steeleye 9.8 permanent uncounted HOSTID=ANY SIGN=BA9876543210\n"
)


@dataclass(frozen=True)
class Ran:
    outcome: CommandOutcome
    result: dict[str, Any]  # the JSON result line ({} when there was none)


def result_of(outcome: CommandOutcome) -> dict[str, Any]:
    lines = [line for line in outcome.stdout.splitlines() if line.strip()]
    if not lines:
        return {}
    try:
        parsed = json.loads(lines[-1])
    except json.JSONDecodeError:
        return {}
    return parsed if isinstance(parsed, dict) else {}


def run(cluster: SimulatedCluster, node: int, document: str, *, timeout: int = 60, **parameters: str) -> Ran:
    """Run ``HADrill-<document>`` on node 0 (primary) or 1 (secondary); ``timeout`` is the execution timeout."""
    outcome = cluster.run_document(
        instance_id=cluster.instance_ids[node],
        document_name=f"{DOCUMENT_NAME_PREFIX}{document}",
        parameters={name: [value] for name, value in parameters.items()},
        timeout_seconds=timeout,
    )
    return Ran(outcome, result_of(outcome))


def run_with(cluster: SimulatedCluster, node: int, document: str, parameters: dict[str, str], timeout: int = 60) -> Ran:
    return run(cluster, node, document, timeout=timeout, **parameters)


def seed(cluster: SimulatedCluster) -> None:
    """Media in the simulated S3 bucket, the license in the simulated Secrets Manager."""
    cluster.put_object(BUCKET, HULFT_KEY, media.hulft_iso())
    cluster.put_object(BUCKET, KIT_KEY, media.recovery_kit_iso())
    cluster.put_secret(SECRET_ID, LICENSE)
    cluster.put_secret(LK_SECRET_ID, LK_LICENSE)


def base_steps(cluster: SimulatedCluster) -> list[tuple[int, str, dict[str, str]]]:
    """The setup workflow's base stage, in order: (node, document, parameters). The comm path steps of
    the two nodes must run at the same time (each waits for the other's side): see :func:`build_base`."""
    standby = {"TargetNode": cluster.nodes[1].name}
    return [
        (0, "LicenseAndStart", {"SecretId": LK_SECRET_ID}),
        (1, "LicenseAndStart", {"SecretId": LK_SECRET_ID}),
        (0, "CommPaths", comm_path_parameters(cluster, 0)),
        (1, "CommPaths", comm_path_parameters(cluster, 1)),
        (0, "VirtualIpResource", {**standby, "VirtualIp": cluster.virtual_ip}),
        (0, "DataMirror", {**standby, "DataDevice": cluster.data_device}),
    ]


def comm_path_parameters(cluster: SimulatedCluster, node: int) -> dict[str, str]:
    this, peer = cluster.nodes[node], cluster.nodes[1 - node]
    return {
        "PeerNode": peer.name,
        "LocalAddresses": ",".join(this.addresses),
        "PeerAddresses": ",".join(peer.addresses),
        "WaitSeconds": "5",
    }


def build_base(cluster: SimulatedCluster) -> list[Ran]:
    """Seed and run the base stage on a bare cluster (both comm path steps at once); raise on failure."""
    seed(cluster)
    done: list[Ran] = []
    steps = base_steps(cluster)
    for node, document, parameters in steps[:2]:
        done.append(run_with(cluster, node, document, parameters))
    with ThreadPoolExecutor(max_workers=2) as pool:
        done += list(pool.map(lambda step: run_with(cluster, step[0], step[1], step[2]), steps[2:4]))
    for node, document, parameters in steps[4:]:
        done.append(run_with(cluster, node, document, parameters))
    for ran in done:
        if ran.outcome.status != "Success":
            raise AssertionError(f"base step failed: {ran.outcome}")
    return done


def stage_parameters() -> dict[str, str]:
    return {
        "MediaBucket": BUCKET,
        "HulftMediaKey": HULFT_KEY,
        "HulftMediaSha256": media.sha256(media.hulft_iso()),
        "RecoveryKitKey": KIT_KEY,
        "RecoveryKitSha256": media.sha256(media.recovery_kit_iso()),
    }


def setup_steps(cluster: SimulatedCluster) -> list[tuple[int, str, dict[str, str]]]:
    """The setup workflow's node steps, in order: (node, document, parameters)."""
    standby = cluster.nodes[1].name
    hulft = {"LogicalHost": LOGICAL_HOST, "SecretId": SECRET_ID, "HulftMediaFile": HULFT_KEY.rsplit("/", 1)[-1]}
    kit = {"RecoveryKitFile": KIT_KEY.rsplit("/", 1)[-1]}
    return [
        (0, "HostsEntry", {"VirtualIp": cluster.virtual_ip, "LogicalHost": LOGICAL_HOST}),
        (1, "HostsEntry", {"VirtualIp": cluster.virtual_ip, "LogicalHost": LOGICAL_HOST}),
        (0, "StageMedia", stage_parameters()),
        (1, "StageMedia", stage_parameters()),
        (0, "InstallHulft", {"Role": "active", **hulft}),
        (1, "InstallHulft", {"Role": "standby", **hulft}),
        (0, "InstallRecoveryKit", kit),
        (1, "InstallRecoveryKit", kit),
        (0, "CreateHulftResource", {"TargetNode": standby}),
    ]


def set_up(cluster: SimulatedCluster) -> list[Ran]:
    """Seed and run every setup step; raise when one does not succeed."""
    seed(cluster)
    done = []
    for node, document, parameters in setup_steps(cluster):
        ran = run_with(cluster, node, document, parameters)
        if ran.outcome.status != "Success":
            raise AssertionError(f"{document} on node {node}: {ran.outcome}")
        done.append(ran)
    return done
