"""A fresh simulated cluster per test, with fast failover timings (0.3 s detection, 0.2 s restore)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from simulator import SimulatedCluster, Timings
from simulator.scenario import set_up


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[SimulatedCluster]:
    with SimulatedCluster(tmp_path, name="hd", timings=Timings.fast()) as simulated:
        yield simulated


@pytest.fixture
def ready(cluster: SimulatedCluster) -> SimulatedCluster:
    """A cluster after the whole setup workflow, run through the real scripts."""
    set_up(cluster)
    return cluster


@pytest.fixture
def installed(tmp_path: Path) -> Iterator[SimulatedCluster]:
    """The state the setup workflow leaves (built directly, faster): for the fault and knob tests."""
    with SimulatedCluster(tmp_path, name="hd", timings=Timings.fast(), installed=True) as simulated:
        yield simulated
