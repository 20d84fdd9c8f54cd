"""The local world the CLI runs workflows in: moto + the simulated cluster, labelled as such."""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from simulator import Knobs, Timings
from stacks.config import DeploymentConfig
from stacks.orchestration.wiring import LAMBDAS_DIR

if TYPE_CHECKING:
    from localrunner import LocalDeployment
    from localrunner.fleet import LocalFleet

LOCAL_MODE = "local (moto + simulated LifeKeeper/HULFT: a test double, not the real products)"
# Step Functions waits and retry back-off, shortened locally; simulated delays stay real time.
LOCAL_TIME_SCALE = 0.01


def _quiet_local_logs() -> None:
    # moto's interpreter logs every caught task failure at ERROR, and the world warns about node
    # commands still running when it closes (a drill's cancelled watcher): the CLI reports itself.
    logging.getLogger("moto").setLevel(logging.CRITICAL)
    logging.getLogger("localworld").setLevel(logging.ERROR)


@contextmanager
def local_cluster(
    config: DeploymentConfig,
    *,
    timings: Timings | None = None,
    knobs: Knobs | None = None,
    time_scale: float = LOCAL_TIME_SCALE,
) -> Iterator[LocalDeployment]:
    """A local world with one simulated cluster. ``time_scale`` shortens Step Functions waits and retries
    (the bench's real-duration row scales them and the simulator's delays by the same factor)."""
    # Imported here: moto takes about a second to import, which `hadrill --help` need not pay.
    from localrunner import deploy_local
    from localworld import LocalWorld

    _quiet_local_logs()
    with (
        tempfile.TemporaryDirectory(prefix="hadrill-local-") as root,
        LocalWorld(time_scale=time_scale, handler_paths=[LAMBDAS_DIR], strict_documents=True) as world,
    ):
        # Bare nodes, as `cdk deploy` leaves them: setup builds the LifeKeeper base first.
        deployment = deploy_local(
            config, world=world, root=Path(root), timings=timings or Timings.fast(), knobs=knobs, bare=True
        )
        try:
            yield deployment
        finally:
            deployment.cluster.close()


@contextmanager
def local_fleet(
    configs: Sequence[DeploymentConfig],
    *,
    fleet_name: str,
    max_concurrency: int,
    timings: Timings | None = None,
    installed: bool = False,
) -> Iterator[LocalFleet]:
    """Several simulated clusters in one world and the fleet drill state machine over them: bare (as
    `cdk deploy` leaves them, for the setup workflow) or ``installed`` (as setup leaves them)."""
    from localrunner import deploy_local
    from localrunner.fleet import deploy_fleet_local
    from localworld import LocalWorld

    _quiet_local_logs()
    members: list[LocalDeployment] = []
    with (
        tempfile.TemporaryDirectory(prefix="hadrill-fleet-") as root,
        LocalWorld(time_scale=LOCAL_TIME_SCALE, handler_paths=[LAMBDAS_DIR], strict_documents=True) as world,
    ):
        try:
            for config in configs:
                members.append(
                    deploy_local(
                        config,
                        world=world,
                        root=Path(root) / config.cluster_name,
                        timings=timings or Timings.fast(),
                        bare=not installed,
                        installed=installed,
                    )
                )
            yield deploy_fleet_local(world, members, fleet_name=fleet_name, max_concurrency=max_concurrency)
        finally:
            for member in members:
                member.cluster.close()
