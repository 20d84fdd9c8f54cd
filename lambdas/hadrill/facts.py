"""What the workflows know about one cluster: its nodes, virtual IP, media and names.

The orchestration stack writes this as JSON into each Lambda's environment (HADRILL_CLUSTER);
the local world builds the same JSON for the simulated nodes. Execution input never carries it,
so an execution cannot point a workflow at somebody else's instances.
"""

from __future__ import annotations

import os
from pathlib import PurePosixPath
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from hadrill import patterns as p

NodeRole = Literal["primary", "secondary"]
ENV_VAR = "HADRILL_CLUSTER"


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class NodeFacts(_Frozen):
    role: NodeRole
    name: str = Field(pattern=p.NODE_NAME)  # the LifeKeeper system name (host name)
    instance_id: str
    eni_id: str


class MediaFacts(_Frozen):
    key: str = Field(pattern=p.S3_KEY)
    sha256: str = Field(pattern=p.SHA256)

    @property
    def file_name(self) -> str:
        return PurePosixPath(self.key).name


class ClusterFacts(_Frozen):
    cluster_name: str
    primary: NodeFacts
    secondary: NodeFacts
    virtual_ip: str = Field(pattern=p.IPV4)
    logical_host: str = Field(pattern=p.HOSTNAME)
    route_table_ids: tuple[str, ...]
    media_bucket: str = Field(pattern=p.S3_BUCKET)
    hulft_media: MediaFacts
    recovery_kit_media: MediaFacts
    hulft_license_secret: str = Field(pattern=p.SECRET_ID)
    hulft_version: str = Field(pattern=p.HULFT_VERSION)
    hulexep: str = Field(pattern=p.ABSOLUTE_PATH)  # programs: <install dir>/bin
    hulpath: str = Field(pattern=p.ABSOLUTE_PATH)  # settings: <settings dir>/etc on /data
    hulft_tag: str = Field(default="hulft", pattern=p.LK_TAG)
    filesystem_tag: str = Field(default="/data", pattern=p.FILESYSTEM_TAG)
    mirror_tag: str = Field(default="datarep-data", pattern=p.LK_TAG)
    data_mount: str = Field(default="/data", pattern=p.ABSOLUTE_PATH)
    document_prefix: str = Field(pattern=r"^[A-Za-z0-9_.-]{0,64}$")

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


def load_cluster_facts(environ: dict[str, str] | None = None) -> ClusterFacts:
    """Read the cluster from the Lambda environment; a missing or bad value is a deployment bug."""
    env = os.environ if environ is None else environ
    raw = env.get(ENV_VAR)
    if not raw:
        raise RuntimeError(f"{ENV_VAR} is not set: the orchestration stack sets it on every function")
    return ClusterFacts.model_validate_json(raw)
