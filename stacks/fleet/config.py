"""A fleet config: which cluster configs one app deploys, and how the fleet drill runs over them.

`cdk deploy --all -c fleet=config/fleet.yaml` deploys every listed cluster (its network, cluster and
orchestration stacks, exactly as with `-c config=`) plus the fleet stack whose FleetDrill state
machine drills them, `max_concurrency` at a time.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from pydantic import Field, ValidationError, model_validator

from hadrill import contracts
from hadrill import fields as f
from stacks.config import (
    ConfigError,
    DeploymentConfig,
    DrillScenario,
    DrillSchedule,
    _describe,
    _FieldError,
    _Model,
    load_config,
    read_settings_file,
)

MAX_CONCURRENCY_LIMIT = contracts.MAX_FLEET_CONCURRENCY


class FleetDrill(_Model):
    """What a scheduled or default fleet drill asks of every cluster's drill."""

    scenario: DrillScenario = "network-down"
    switchback: bool = True


class FleetConfig(_Model):
    fleet_name: f.ClusterName
    # Cluster config files, relative to the fleet file.
    clusters: Annotated[tuple[str, ...], Field(min_length=1, max_length=200)]
    # How many clusters are drilled at once: each drill is a real takeover, so keep it deliberate.
    max_concurrency: f.StrictWhole = Field(default=5, ge=1, le=MAX_CONCURRENCY_LIMIT)
    # The failure budget: after more than this many failed drills, a fleet drill starts no more
    # (0: stop at the first failure). Absent: every cluster is drilled whatever happens.
    max_failed_drills: Annotated[f.StrictWhole, Field(ge=0, le=200)] | None = None
    drill: FleetDrill = FleetDrill()
    schedules: tuple[DrillSchedule, ...] = Field(default=(), max_length=50)

    @model_validator(mode="after")
    def _consistent(self) -> FleetConfig:
        for index, path in enumerate(self.clusters):
            if path in self.clusters[:index]:
                raise _FieldError(f"clusters.{index}", f"{path!r} is listed twice")
        names = [s.name for s in self.schedules]
        for index, name in enumerate(names):
            if name in names[:index]:
                raise _FieldError(f"schedules.{index}.name", f"{name!r} is used by another schedule")
        return self


class Fleet:
    """A loaded fleet: its settings and each cluster's validated config, in the listed order."""

    def __init__(self, config: FleetConfig, clusters: list[DeploymentConfig]) -> None:
        self.config = config
        self.clusters = clusters

    @property
    def name(self) -> str:
        return self.config.fleet_name


def load_fleet(path: Path | str) -> Fleet:
    """Read and validate the fleet file and every cluster config it lists; one-line ConfigError."""
    path = Path(path)
    data: Any = read_settings_file(path, "fleet file")
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: the file must hold a mapping of settings, got {type(data).__name__}")
    try:
        config = FleetConfig.model_validate(data)
    except ValidationError as error:
        raise ConfigError(f"{path}: {_describe(error)}") from None
    clusters = [load_config(path.parent / relative) for relative in config.clusters]
    _check_members(path, clusters)
    return Fleet(config, clusters)


def _check_members(path: Path, clusters: list[DeploymentConfig]) -> None:
    """The members become stacks of one app in one account and region: distinct names, one region."""
    seen: dict[str, int] = {}
    regions: dict[str, str] = {}
    for index, cluster in enumerate(clusters):
        name = cluster.cluster_name
        if name in seen:
            raise ConfigError(f"{path}: clusters.{index}: cluster_name {name!r} is also clusters.{seen[name]}'s")
        seen[name] = index
        if cluster.network.subnets:
            regions[name] = cluster.network.subnets[0].availability_zone[:-1]
    if len(set(regions.values())) > 1:
        listed = ", ".join(f"{n} in {r}" for n, r in regions.items())
        raise ConfigError(f"{path}: clusters: a fleet deploys into one region, these differ: {listed}")
