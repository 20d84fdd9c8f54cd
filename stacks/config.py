"""The deployment config: one YAML file, loaded into frozen, validated models.

A bad value must stop `cdk synth` before any construct is built, with one line that names
the field and says why (see `load_config` and `ConfigError`). The models hold no CDK types
so the CLI and the local runner can read the same file without importing the CDK.
"""

from __future__ import annotations

import ipaddress
import re
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from hadrill import fields as f
from hadrill.errors import shown
from stacks import yaml_file

DEFAULT_CONFIG_PATH = Path("config/default.yaml")

# The field types (hadrill.fields) are the workflows' own: a value synth accepts, setup accepts too.
Port = f.Port


class ConfigError(Exception):
    """A config that cannot be deployed. `str()` is one line naming the field."""


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class Subnet(_Model):
    """One clustering subnet; each node lives in one, each in its own AZ."""

    name: f.Name
    cidr: f.SubnetCidr
    availability_zone: f.AvailabilityZone


class Network(_Model):
    vpc_cidr: f.VpcCidr
    # Absent for a bring-your-own cluster, whose subnets already exist.
    subnets: tuple[Subnet, Subnet] | None = None

    @field_validator("subnets", mode="before")
    @classmethod
    def _exactly_two(cls, value: Any) -> Any:
        if isinstance(value, list | tuple) and len(value) != 2:
            raise ValueError(f"give exactly two clustering subnets, one per AZ (got {len(value)})")
        return value

    @model_validator(mode="after")
    def _subnets_fit(self) -> Network:
        if self.subnets is None:
            return self
        a, b = self.subnets
        for index, subnet in enumerate(self.subnets):
            if not subnet.cidr.subnet_of(self.vpc_cidr):
                raise _FieldError(f"subnets.{index}.cidr", f"{subnet.cidr} is not inside vpc_cidr {self.vpc_cidr}")
        if f.region_of(a.availability_zone) != f.region_of(b.availability_zone):
            raise _FieldError(
                "subnets.1.availability_zone",
                f"{b.availability_zone} is in region {f.region_of(b.availability_zone)}, subnets.0 in "
                f"{f.region_of(a.availability_zone)}; a stack deploys into one region",
            )
        if a.availability_zone == b.availability_zone:
            raise _FieldError(
                "subnets.1.availability_zone",
                f"both subnets are in {a.availability_zone}; the nodes need two AZs to survive an AZ outage",
            )
        if a.cidr.overlaps(b.cidr):
            raise _FieldError("subnets.1.cidr", f"{b.cidr} overlaps {a.cidr}")
        if a.name == b.name:
            raise _FieldError("subnets.1.name", f"both subnets are named {a.name!r}")
        return self


class VirtualIp(_Model):
    """The address clients use; a /32 route points it at the active node's ENI."""

    address: f.VirtualIpAddress
    logical_host: f.LogicalHost


class Ami(_Model):
    """Exactly one of an SSM parameter path (resolved at deploy time) or an AMI id."""

    ssm_parameter: f.SsmParameterPath | None = None
    id: f.AmiId | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> Ami:
        if (self.ssm_parameter is None) == (self.id is None):
            raise ValueError("give exactly one of ssm_parameter or id")
        return self


class Node(_Model):
    name: f.NodeName


class Nodes(_Model):
    primary: Node
    secondary: Node
    instance_type: f.InstanceType = "t3.large"
    ami: Ami | None = None
    # RHEL-family AMIs name their root device /dev/sda1; a wrong name adds a volume instead.
    root_device_name: f.RootDevice = "/dev/sda1"
    root_volume_gib: f.StrictWhole = Field(default=30, ge=10, le=1024)
    data_volume_gib: f.StrictWhole = Field(default=20, ge=1, le=16384)
    termination_protection: bool = True

    @model_validator(mode="after")
    def _two_nodes(self) -> Nodes:
        if self.primary.name == self.secondary.name:
            raise _FieldError("secondary.name", f"is {self.secondary.name!r}, the same as primary.name")
        return self


class Hulft(_Model):
    version: f.HulftVersion = "08.01.02"
    hulexep: f.HulftDir = "/usr/local/hulft/bin"
    hulpath: f.HulftDir = "/data/hulft/etc"
    # LifeKeeper tag of the /data file system resource the hulft hierarchy depends on; "none" as
    # in the blog when HULFT should not depend on it.
    filesystem_tag: f.FilesystemTag = "/data"
    receive_port: Port = 30000
    observe_port: Port = 31000
    # Partners that send to / request from this HULFT; may be empty until there are any.
    client_cidrs: tuple[ipaddress.IPv4Network, ...] = Field(default=(), max_length=50)

    @field_validator("client_cidrs")
    @classmethod
    def _no_world(cls, value: tuple[ipaddress.IPv4Network, ...]) -> tuple[ipaddress.IPv4Network, ...]:
        for index, cidr in enumerate(value):
            if cidr.prefixlen == 0:
                raise _FieldError(str(index), "0.0.0.0/0 would open HULFT to the world; name the partners")
        return value

    @model_validator(mode="after")
    def _ports_differ(self) -> Hulft:
        if self.receive_port == self.observe_port:
            raise _FieldError("observe_port", f"is {self.observe_port}, the same as receive_port")
        return self


class MediaObject(_Model):
    key: f.MediaKey
    sha256: f.Sha256


class Media(_Model):
    hulft: MediaObject
    recovery_kit: MediaObject


class Secrets(_Model):
    # The secret holds the HULFT serial and product key; it is read on the node only.
    hulft_license: f.SecretName
    # The LifeKeeper license file (lkkeyins input) for the base stage; default
    # hadrill/<cluster_name>/lifekeeper-license.
    lifekeeper_license: f.SecretName | None = None


class LifeKeeper(_Model):
    """The cluster base the setup workflow builds on nodes this app created."""

    # DataKeeper replication of /data: synchronous keeps the standby's copy identical at takeover.
    mirror_mode: Literal["synchronous", "asynchronous"] = "synchronous"
    # The /data EBS volume as the node sees it (attached as /dev/sdf; NVMe on Nitro instances).
    data_device: f.DataDevice = "/dev/nvme1n1"
    data_fstype: Literal["xfs", "ext4"] = "xfs"
    # Switchback type of every resource hierarchy the setup creates. Only intelligent: the hierarchy
    # holds a DataKeeper resource, and DataKeeper resources do not support automatic switchback (SIOS
    # 9.9.0 "Intelligent Versus Automatic Switchback"; docs/vendor-commands.md).
    switchback_type: Literal["intelligent", "automatic"] = "intelligent"

    @model_validator(mode="after")
    def _no_automatic_switchback(self) -> LifeKeeper:
        if self.switchback_type == "automatic":
            raise _FieldError(
                "switchback_type",
                "automatic is not supported: the hierarchy holds a DataKeeper resource, which does not support "
                "automatic switchback (SIOS: the hierarchy would never switch back); use intelligent",
            )
        return self


MAX_TAKEOVER_TIMEOUT_SECONDS = 780
DrillScenario = Literal["network-down", "instance-stop", "instance-reboot", "hulft-daemon-kill", "switchover"]


class DrillSchedule(_Model):
    """One EventBridge rule that starts a drill on a schedule."""

    name: f.Name
    schedule: f.ScheduleExpression
    scenario: DrillScenario = "network-down"
    # Off by default: a drill takes production HULFT through a real takeover.
    enabled: bool = False
    switchback: bool = True


class Drills(_Model):
    # The SLO: a takeover slower than this makes the drill FAILED (it still recovers).
    max_rto_seconds: f.StrictWhole = Field(default=120, ge=1, le=3600)
    # At most the drill workflow's own limit (hadrill.drill.model.MAX_TAKEOVER_TIMEOUT_SECONDS: the
    # wait runs inside one 900 s Lambda invocation), or every scheduled drill would be refused.
    takeover_timeout_seconds: f.StrictWhole = Field(default=300, ge=10, le=MAX_TAKEOVER_TIMEOUT_SECONDS)
    # CloudWatch alarms that, in ALARM, stop a drill before the fault or abort it while waiting.
    stop_condition_alarms: tuple[f.AlarmName, ...] = Field(default=(), max_length=20)
    schedules: tuple[DrillSchedule, ...] = Field(default=(), max_length=50)

    @model_validator(mode="after")
    def _consistent(self) -> Drills:
        names = [s.name for s in self.schedules]
        for index, name in enumerate(names):
            if name in names[:index]:
                raise _FieldError(f"schedules.{index}.name", f"{name!r} is used by another schedule")
        if self.takeover_timeout_seconds < self.max_rto_seconds:
            raise _FieldError(
                "takeover_timeout_seconds",
                f"{self.takeover_timeout_seconds} is shorter than max_rto_seconds {self.max_rto_seconds}",
            )
        return self


class ExistingNode(_Model):
    instance_id: f.InstanceId
    eni_id: f.EniId


class ExistingCluster(_Model):
    """Bring your own cluster: two running LifeKeeper nodes this app does not create."""

    vpc_id: f.VpcId
    primary: ExistingNode
    secondary: ExistingNode
    route_table_ids: tuple[f.RouteTableId, ...] = Field(min_length=1, max_length=50)

    @model_validator(mode="after")
    def _two_nodes(self) -> ExistingCluster:
        if self.primary.instance_id == self.secondary.instance_id:
            raise _FieldError("secondary.instance_id", "is the same instance as primary.instance_id")
        if self.primary.eni_id == self.secondary.eni_id:
            raise _FieldError("secondary.eni_id", "is the same ENI as primary.eni_id")
        if len(set(self.route_table_ids)) != len(self.route_table_ids):
            raise _FieldError("route_table_ids", "lists a route table twice")
        return self


class DeploymentConfig(_Model):
    cluster_name: f.ClusterName
    network: Network
    virtual_ip: VirtualIp
    nodes: Nodes
    hulft: Hulft = Hulft()
    media: Media
    secrets: Secrets
    lifekeeper: LifeKeeper = LifeKeeper()
    drills: Drills = Drills()
    tags: dict[f.TagKey, f.TagValue] = Field(default={}, max_length=50)
    existing_cluster: ExistingCluster | None = None

    @property
    def creates_nodes(self) -> bool:
        return self.existing_cluster is None

    @property
    def lifekeeper_license_secret(self) -> str:
        return self.secrets.lifekeeper_license or f"hadrill/{self.cluster_name}/lifekeeper-license"

    @model_validator(mode="after")
    def _consistent(self) -> DeploymentConfig:
        if self.virtual_ip.address in self.network.vpc_cidr:
            raise _FieldError(
                "virtual_ip.address",
                f"{self.virtual_ip.address} is inside vpc_cidr {self.network.vpc_cidr}; the EC2 Recovery Kit's "
                "route-table scenario needs an address outside the VPC CIDR",
            )
        if self.existing_cluster is None:
            if self.network.subnets is None:
                raise _FieldError(
                    "network.subnets", "two clustering subnets are required when this app creates the nodes"
                )
            if self.nodes.ami is None:
                raise _FieldError("nodes.ami", "an AMI is required when this app creates the nodes")
        elif self.network.subnets is not None:
            raise _FieldError("network.subnets", "must be left out with existing_cluster: those subnets already exist")
        if "hadrill:cluster" in self.tags:
            raise _FieldError("tags", "'hadrill:cluster' is set by the app itself")
        return self


class _FieldError(ValueError):
    """A validator's complaint about one nested field, relative to the model that raised it."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")


def parse_config(data: Any, *, source: str = "config") -> DeploymentConfig:
    """Validate already-loaded YAML data; raise ConfigError with one line on the first problem."""
    if not isinstance(data, dict):
        raise ConfigError(f"{source}: the file must hold a mapping of settings, got {type(data).__name__}")
    try:
        return DeploymentConfig.model_validate(data)
    except ValidationError as error:
        raise ConfigError(f"{source}: {_describe(error)}") from None
    except RecursionError:  # a structure pydantic cannot walk; yaml_file bounds depth, data may not be from it
        raise ConfigError(f"{source}: the settings are nested too deeply") from None


def read_settings_file(path: Path, what: str = "config file") -> Any:
    """The YAML data in ``path``; ConfigError ("PATH: ...", one line) for anything unreadable."""
    try:
        return yaml_file.read(path)
    except OSError as error:
        raise ConfigError(f"{path}: cannot read the {what} ({error.strerror or type(error).__name__})") from None
    except yaml_file.YamlFileError as error:
        raise ConfigError(f"{path}: {error}") from None


def load_config(path: Path | str = DEFAULT_CONFIG_PATH) -> DeploymentConfig:
    path = Path(path)
    return parse_config(read_settings_file(path), source=str(path))


# How much of a field path a message shows: a long unknown key is cut like any other quoted value.
_FIELD_PART_LIMIT = 64


def _describe(error: ValidationError) -> str:
    """One line: the dotted field path and the reason, plus how many more problems there are. Every
    value it quotes (the input, an unknown key) is cut to a few dozen characters."""
    problems = error.errors(include_url=False)
    first = problems[0]
    location = [_field_part(part) for part in first["loc"]]
    message = str(first["msg"])
    # Our own validators name a nested field in the message ("subnets.1.cidr: ...").
    match = re.match(r"^(?:Value error, )?([a-z0-9_][a-z0-9_.]*): (.*)$", message, flags=re.DOTALL | re.ASCII)
    if match:
        location += match.group(1).split(".")
        message = match.group(2)
    elif message.startswith("Value error, "):
        message = message.removeprefix("Value error, ")
    if first["type"] == "extra_forbidden":
        message = "unknown setting (check the spelling against the config reference in README.md)"
    elif first["type"] == "missing":
        message = "required setting is missing"
    elif first["type"] == "string_pattern_mismatch":
        message = f"{shown(first['input'])} is not valid here (expected to match {first['ctx']['pattern']})"
    elif "input" in first and first["type"] not in ("value_error", "assertion_error"):
        message = f"{_without_input(message)} (got {shown(first['input'])})"
    field = ".".join(part for part in location if not part.startswith("function-")) or "(top level)"
    more = f" (and {len(problems) - 1} more problem(s))" if len(problems) > 1 else ""
    return " ".join(f"{field}: {message}{more}".split())


def _field_part(part: object) -> str:
    text = str(part)
    return text if len(text) <= _FIELD_PART_LIMIT and text.isprintable() else shown(text, _FIELD_PART_LIMIT)


def _without_input(message: str) -> str:
    """pydantic's own message, which may repeat the input (an enum's or a literal's), cut."""
    return message if len(message) <= 200 else message[:200] + "\u2026"
