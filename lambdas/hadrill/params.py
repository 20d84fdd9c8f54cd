"""Parameters of the SSM documents, as pydantic models (the Python side of validation).

Field aliases are the SSM parameter names; the scripts read them as ``SSM_<alias>``. The document
builder derives each document's ``parameters`` block from these models, so the JSON documents and
the Python validation share one definition (patterns from :mod:`hadrill.patterns`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field

from hadrill import patterns as p

if TYPE_CHECKING:
    from hadrill.facts import ClusterFacts


def _param(alias: str, pattern: str, description: str, default: str | None = None) -> Any:
    if default is None:
        return Field(alias=alias, pattern=pattern, description=description)
    return Field(default, alias=alias, pattern=pattern, description=description)


class DocumentParameters(BaseModel):
    # defer_build: a document's validator is built when a command for it is first made, not at import
    # (eighteen models; a cold start needs two or three of them).
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True, defer_build=True)

    def to_ssm(self) -> dict[str, list[str]]:
        """The ``Parameters`` argument of ``ssm:SendCommand``."""
        return {k: [str(v)] for k, v in self.model_dump(by_alias=True).items()}


_TAG = "LifeKeeper tag of the HULFT resource hierarchy."
_DATA = "Mount point of the DataKeeper-mirrored file system."
_STAGING = "Directory on the node that holds the staged install media."
STAGING_DIR = "/var/tmp/hadrill-media"  # noqa: S108 - a root-owned 0700 directory on the node


class NodeStatusParameters(DocumentParameters):
    logical_host: str = _param("LogicalHost", p.HOSTNAME, "Logical host name of the virtual IP.")
    hulft_tag: str = _param("HulftTag", p.LK_TAG, _TAG, "hulft")
    mirror_tag: str = _param("MirrorTag", p.LK_TAG, "LifeKeeper tag of the DataKeeper mirror.", "datarep-data")
    hulft_install_dir: str = _param("HulftInstallDir", p.ABSOLUTE_PATH, "HULFT program directory.", "/usr/local/hulft")
    data_mount: str = _param("DataMount", p.ABSOLUTE_PATH, _DATA, "/data")


def node_status_parameters(facts: ClusterFacts) -> NodeStatusParameters:
    """HADrill-NodeStatus's parameters for this cluster (setup, drill, switch and status all send it)."""
    return NodeStatusParameters(
        logical_host=facts.logical_host,
        hulft_tag=facts.hulft_tag,
        mirror_tag=facts.mirror_tag,
        hulft_install_dir=facts.hulft_install_dir,
        data_mount=facts.data_mount,
    )


class HostsEntryParameters(DocumentParameters):
    virtual_ip: str = _param("VirtualIp", p.IPV4, "Virtual IP address (outside the VPC CIDR).")
    logical_host: str = _param("LogicalHost", p.HOSTNAME, "Logical host name for the virtual IP.")


class StageMediaParameters(DocumentParameters):
    media_bucket: str = _param("MediaBucket", p.S3_BUCKET, "S3 bucket that holds the install media.")
    hulft_media_key: str = _param("HulftMediaKey", p.S3_KEY, "S3 key of the HULFT ISO image.")
    hulft_media_sha256: str = _param("HulftMediaSha256", p.SHA256, "Expected SHA-256 of the HULFT image.")
    recovery_kit_key: str = _param("RecoveryKitKey", p.S3_KEY, "S3 key of the Recovery Kit ISO or rpm.")
    recovery_kit_sha256: str = _param("RecoveryKitSha256", p.SHA256, "Expected SHA-256 of the Recovery Kit.")
    staging_dir: str = _param("StagingDir", p.ABSOLUTE_PATH, _STAGING, STAGING_DIR)


class InstallHulftParameters(DocumentParameters):
    role: str = _param("Role", p.INSTALL_ROLE, "active on the primary (full install), standby on the secondary.")
    logical_host: str = _param("LogicalHost", p.HOSTNAME, "MYHOSTNAME: the logical host of the virtual IP.")
    secret_id: str = _param("SecretId", p.SECRET_ID, 'Secrets Manager secret with {"serial", "productKey"}.')
    hulft_media_file: str = _param("HulftMediaFile", p.FILE_NAME, "File name of the staged HULFT ISO.")
    hulft_version: str = _param("HulftVersion", p.HULFT_VERSION, "HULFT version on the media.", "08.01.02")
    staging_dir: str = _param("StagingDir", p.ABSOLUTE_PATH, _STAGING, STAGING_DIR)
    hulft_install_dir: str = _param(
        "HulftInstallDir", p.ABSOLUTE_PATH, "HULEXEP given to the installer.", "/usr/local/hulft"
    )
    hulft_settings_dir: str = _param(
        "HulftSettingsDir", p.ABSOLUTE_PATH, "HULPATH given to the installer (on the mirror).", "/data/hulft"
    )
    data_mount: str = _param("DataMount", p.ABSOLUTE_PATH, _DATA, "/data")


class InstallRecoveryKitParameters(DocumentParameters):
    recovery_kit_file: str = _param("RecoveryKitFile", p.FILE_NAME, "File name of the staged Recovery Kit ISO or rpm.")
    rpm_name: str = _param("RpmName", p.RPM_NAME, "Package name of the HULFT Recovery Kit.", "steeleye-lkHUL")
    rpm_version: str = _param("RpmVersion", p.RPM_VERSION, "Version-release of the Recovery Kit rpm.", "8.2.1-6353")
    staging_dir: str = _param("StagingDir", p.ABSOLUTE_PATH, _STAGING, STAGING_DIR)


class CreateHulftResourceParameters(DocumentParameters):
    target_node: str = _param("TargetNode", p.NODE_NAME, "LifeKeeper name of the standby node (extend target).")
    hulft_tag: str = _param("HulftTag", p.LK_TAG, _TAG, "hulft")
    hulexep: str = _param("Hulexep", p.ABSOLUTE_PATH, "HULEXEP path of the resource.", "/usr/local/hulft/bin")
    hulpath: str = _param("Hulpath", p.ABSOLUTE_PATH, "HULPATH path of the resource.", "/data/hulft/etc")
    filesystem_tag: str = _param(
        "FilesystemTag", p.FILESYSTEM_TAG, "Tag of the file system resource, or none.", "/data"
    )
    template_priority: str = _param("TemplatePriority", p.PRIORITY, "Priority on the primary.", "1")
    target_priority: str = _param("TargetPriority", p.PRIORITY, "Priority on the standby.", "10")
    switchback: str = _param("SwitchbackType", p.SWITCHBACK, "Switchback type.", "intelligent")
    vip_tag: str = _param(
        "VipTag", p.OPTIONAL_TAG, "Tag of the virtual IP resource the hierarchy depends on, or none.", "none"
    )


class WatchTakeoverParameters(DocumentParameters):
    hulft_tag: str = _param("HulftTag", p.LK_TAG, _TAG, "hulft")
    poll_millis: str = _param("PollMillis", p.MILLISECONDS, "Polling period in milliseconds.", "100")
    timeout_seconds: str = _param("TimeoutSeconds", p.SECONDS, "Give up after this many seconds.", "300")
    mode: str = _param("Mode", p.WATCH_MODE, "watch (poll), or status: is a watcher running here, since when.", "watch")


class InjectFaultParameters(DocumentParameters):
    fault: str = _param(
        "Fault", p.FAULT, "network-down, hulft-daemon-kill or switchover; network-down-stamp reads the last stamp."
    )
    hulft_tag: str = _param("HulftTag", p.LK_TAG, _TAG, "hulft")
    daemon: str = _param("Daemon", p.HULFT_DAEMON, "Daemon to kill for hulft-daemon-kill.", "hulsndd")
    target_node: str = _param("TargetNode", p.NODE_NAME, "Standby's LifeKeeper name (switchover only).", "none")
    interface: str = _param("Interface", p.INTERFACE, "Network interface to take down.", "eth0")
    delay_seconds: str = _param("DelaySeconds", p.SECONDS, "network-down starts this long after the command.", "2")
    # The dead-man switch (issue 17, hadrill.drill.deadman): armed before a network-down fault.
    dead_man_seconds: str = _param(
        "DeadManSeconds", p.SECONDS, "network-down: reboot this node after this many seconds (0: no switch).", "0"
    )
    dead_man_unit: str = _param(
        "DeadManUnit", p.OPTIONAL_DEAD_MAN_UNIT, "The dead-man switch's systemd unit name (none: no switch).", "none"
    )


class DisarmDeadManParameters(DocumentParameters):
    unit: str = _param("Unit", p.DEAD_MAN_UNIT, "The dead-man switch's systemd unit name (hadrill-deadman-<drill id>).")


class HealthCheckParameters(DocumentParameters):
    expected_role: str = _param("ExpectedRole", p.EXPECTED_ROLE, "active or standby: what this node should be.")
    hulft_tag: str = _param("HulftTag", p.LK_TAG, _TAG, "hulft")
    mirror_tag: str = _param("MirrorTag", p.LK_TAG, "LifeKeeper tag of the DataKeeper mirror.", "datarep-data")
    data_mount: str = _param("DataMount", p.ABSOLUTE_PATH, _DATA, "/data")
    wait_seconds: str = _param("WaitSeconds", p.SECONDS, "Keep checking up to this long until healthy.", "0")


class DataMarkerParameters(DocumentParameters):
    action: str = _param("Action", p.MARKER_ACTION, "write before the fault, check after the takeover, remove after.")
    marker: str = _param("Marker", p.FILE_NAME, "Marker file name (the drill id).")
    data_mount: str = _param("DataMount", p.ABSOLUTE_PATH, _DATA, "/data")


# ---- the cluster base (license, comm paths, virtual IP, /data mirror) --------------------------------


class LicenseAndStartParameters(DocumentParameters):
    secret_id: str = _param("SecretId", p.SECRET_ID, "Secrets Manager secret holding the LifeKeeper license file.")
    wait_seconds: str = _param("WaitSeconds", p.SECONDS, "Wait this long for LK_INITDONE after lkstart.", "300")


class CommPathsParameters(DocumentParameters):
    peer_node: str = _param("PeerNode", p.NODE_NAME, "LifeKeeper name of the other node.")
    local_addresses: str = _param(
        "LocalAddresses", p.ADDRESS_LIST, "This node's comm path addresses, comma-separated (one or two)."
    )
    peer_addresses: str = _param(
        "PeerAddresses", p.ADDRESS_LIST, "The peer's addresses, in the same order (one path per pair)."
    )
    wait_seconds: str = _param("WaitSeconds", p.SECONDS, "Wait this long for every path to be ALIVE.", "120")


class VirtualIpResourceParameters(DocumentParameters):
    target_node: str = _param("TargetNode", p.NODE_NAME, "LifeKeeper name of the standby node (extend target).")
    virtual_ip: str = _param("VirtualIp", p.IPV4, "Virtual IP address (outside the VPC CIDR).")
    ip_tag: str = _param("IpTag", p.LK_TAG, "Tag of the IP resource for the virtual IP.", "ip-vip")
    ec2_tag: str = _param("Ec2Tag", p.LK_TAG, "Tag of the EC2 Recovery Kit resource (route table).", "ec2-vip")
    netmask: str = _param("Netmask", p.IPV4, "Netmask of the IP resource.", "255.255.255.255")
    interface: str = _param("Interface", p.INTERFACE, "Interface the IP resource configures.", "eth0")
    target_priority: str = _param("TargetPriority", p.PRIORITY, "Priority on the standby.", "10")
    switchback: str = _param("SwitchbackType", p.SWITCHBACK, "Switchback type.", "intelligent")


class DataMirrorParameters(DocumentParameters):
    target_node: str = _param("TargetNode", p.NODE_NAME, "LifeKeeper name of the standby node (mirror target).")
    mirror_tag: str = _param("MirrorTag", p.LK_TAG, "LifeKeeper tag of the DataKeeper mirror.", "datarep-data")
    data_mount: str = _param("DataMount", p.ABSOLUTE_PATH, "Mount point (and file system tag).", "/data")
    data_device: str = _param("DataDevice", p.DEVICE_PATH, "Block device of the /data volume.", "/dev/nvme1n1")
    fstype: str = _param("Fstype", p.FSTYPE, "File system (created only when the device has none).", "xfs")
    mode: str = _param("MirrorMode", p.MIRROR_MODE, "DataKeeper replication mode.", "synchronous")
    target_priority: str = _param("TargetPriority", p.PRIORITY, "Priority on the standby.", "10")
    switchback: str = _param("SwitchbackType", p.SWITCHBACK, "Switchback type.", "intelligent")
    wait_seconds: str = _param(
        "WaitSeconds", p.SECONDS, "Wait this long for the full resync, then fail with its progress.", "600"
    )


# ---- the conformance probe (read-only, the first step of setup; issue 14) ----------------------------


class ConformanceProbeParameters(DocumentParameters):
    peer_addresses: str = _param(
        "PeerAddresses",
        p.OPTIONAL_ADDRESS_LIST,
        "The peer's comm path addresses, comma-separated, lkping'd one by one (none: not known).",
    )
    configure_base: str = _param(
        "ConfigureBase", p.YES_NO, "yes when the setup builds the cluster base (LifeKeeper may be stopped).", "yes"
    )
    data_device: str = _param("DataDevice", p.DEVICE_PATH, "Block device of the /data volume.", "/dev/nvme1n1")
    fstype: str = _param("Fstype", p.FSTYPE, "File system the /data volume has or gets.", "xfs")
    mirror_tag: str = _param("MirrorTag", p.LK_TAG, "LifeKeeper tag of the DataKeeper mirror.", "datarep-data")
    hulft_media_file: str = _param("HulftMediaFile", p.FILE_NAME, "File name of the staged HULFT ISO.")
    staging_dir: str = _param("StagingDir", p.ABSOLUTE_PATH, _STAGING, STAGING_DIR)
