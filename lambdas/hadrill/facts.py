"""What the workflows know about one cluster: its nodes, virtual IP, media and names.

The orchestration stack writes this as JSON into each Lambda's environment (HADRILL_CLUSTER);
the local world builds the same JSON for the simulated nodes. Execution input never carries it,
so an execution cannot point a workflow at somebody else's instances.
"""

from __future__ import annotations

import os
from pathlib import PurePosixPath
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from hadrill import contracts
from hadrill import fields as f
from hadrill import patterns as p

NodeRole = Literal["primary", "secondary"]
ENV_VAR = contracts.ENV_CLUSTER


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class NodeFacts(_Frozen):
    role: NodeRole
    name: f.NodeName  # the LifeKeeper system name (host name)
    instance_id: str
    eni_id: str
    # Addresses the LifeKeeper comm paths use, in order (one or two; a second address pair gives a
    # second comm path). The CDK side fills the ENI's private IP; empty when unknown.
    addresses: tuple[Annotated[str, Field(pattern=p.IPV4)], ...] = Field(default=(), max_length=2)


class MediaFacts(_Frozen):
    key: f.MediaKey
    sha256: f.Sha256

    @property
    def file_name(self) -> str:
        return PurePosixPath(self.key).name


class ClusterFacts(_Frozen):
    cluster_name: f.ClusterName
    primary: NodeFacts
    secondary: NodeFacts
    virtual_ip: f.VirtualIpText
    logical_host: f.LogicalHost
    route_table_ids: tuple[str, ...]
    media_bucket: str = Field(pattern=p.S3_BUCKET)
    hulft_media: MediaFacts
    recovery_kit_media: MediaFacts
    hulft_license_secret: f.SecretName
    hulft_version: f.HulftVersion
    hulexep: f.HulftDir  # programs: <install dir>/bin
    hulpath: f.HulftDir  # settings: <settings dir>/etc on /data
    hulft_tag: str = Field(default="hulft", pattern=p.LK_TAG)
    filesystem_tag: f.FilesystemTag = "/data"
    mirror_tag: str = Field(default="datarep-data", pattern=p.LK_TAG)
    data_mount: str = Field(default="/data", pattern=p.ABSOLUTE_PATH)
    document_prefix: str = Field(pattern=r"^[A-Za-z0-9_.-]{0,64}$")
    # The cluster base (issue 9): LifeKeeper license, comm paths, virtual IP and /data mirror.
    # True when this app created the nodes (cdk deploy): the setup workflow then builds the base by
    # default; false for a bring-your-own cluster, where it runs only when the input asks for it.
    created_by_app: bool = True
    # Secrets Manager secret whose SecretString is the LifeKeeper license file (lkkeyins input);
    # defaults to hadrill/<cluster>/lifekeeper-license.
    lifekeeper_license_secret: f.SecretName = ""
    vip_resource_tag: str = Field(default="ec2-vip", pattern=p.LK_TAG)  # EC2 Recovery Kit (route table)
    ip_resource_tag: str = Field(default="ip-vip", pattern=p.LK_TAG)  # IP Recovery Kit, below it
    data_device: f.DataDevice = "/dev/nvme1n1"  # the /data EBS volume
    data_fstype: str = Field(default="xfs", pattern=p.FSTYPE)
    mirror_mode: str = Field(default="synchronous", pattern=p.MIRROR_MODE)
    # How long the base scripts wait on the node (each inside its document timeout and the Lambda's
    # 900 s): LifeKeeper initialisation, comm paths ALIVE, the mirror's full resync.
    lk_start_wait_seconds: int = Field(default=300, ge=1, le=600)
    comm_path_wait_seconds: int = Field(default=120, ge=1, le=600)
    resync_wait_seconds: int = Field(default=600, ge=1, le=840)
    # CloudWatch Logs group for the node commands' output (the cluster stack's node log group);
    # empty: output stays in the Run Command history only.
    node_log_group: str = Field(default="", pattern=r"^[A-Za-z0-9_/.#-]{0,512}$")

    @model_validator(mode="before")
    @classmethod
    def _default_license_secret(cls, data: Any) -> Any:
        if isinstance(data, dict) and not data.get("lifekeeper_license_secret"):
            data = {**data, "lifekeeper_license_secret": default_lifekeeper_license_secret(data.get("cluster_name"))}
        return data

    @property
    def nodes(self) -> tuple[NodeFacts, NodeFacts]:
        return (self.primary, self.secondary)

    @property
    def hulft_install_dir(self) -> str:
        """The installer's HULEXEP is the parent of the resource's HULEXEP (…/hulft vs …/hulft/bin)."""
        return str(PurePosixPath(self.hulexep).parent)

    @property
    def hulft_settings_dir(self) -> str:
        return str(PurePosixPath(self.hulpath).parent)

    def node(self, role: NodeRole) -> NodeFacts:
        return self.primary if role == "primary" else self.secondary

    def by_instance(self, instance_id: str) -> NodeFacts:
        for node in self.nodes:
            if node.instance_id == instance_id:
                return node
        raise KeyError(f"{instance_id} is not a node of {self.cluster_name}")

    def document(self, name: str) -> str:
        """The deployed name of one of our SSM documents (one set per cluster)."""
        return f"{self.document_prefix}{name}"


def default_lifekeeper_license_secret(cluster_name: object) -> str:
    """Where the LifeKeeper license file lives unless the deployment names another secret."""
    return f"hadrill/{cluster_name}/lifekeeper-license"


def load_cluster_facts(environ: dict[str, str] | None = None) -> ClusterFacts:
    """Read the cluster from the Lambda environment; a missing or bad value is a deployment bug."""
    env = os.environ if environ is None else environ
    raw = env.get(ENV_VAR)
    if not raw:
        raise RuntimeError(f"{ENV_VAR} is not set: the orchestration stack sets it on every function")
    return ClusterFacts.model_validate_json(raw)
