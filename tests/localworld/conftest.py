"""Fixtures for the localworld tests: a fake two-node cluster and a world holding it."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

HERE = Path(__file__).parent
# pytest imports test files without putting their folder on sys.path (importlib mode): the fake
# cluster and the helpers live beside them, and the Lambda handlers are found by handler_paths.
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

from lw_fakes import FakeCluster  # type: ignore[import-not-found]  # noqa: E402
from lw_support import NODES  # type: ignore[import-not-found]  # noqa: E402

from localworld import LocalWorld  # noqa: E402


@pytest.fixture
def cluster() -> FakeCluster:
    return FakeCluster(NODES)


@pytest.fixture
def world(cluster: FakeCluster) -> Iterator[LocalWorld]:
    with LocalWorld(time_scale=0.01, delivery_timeout_s=0.3, handler_paths=[HERE], close_timeout_s=2) as w:
        w.add_nodes(cluster, names=["primary", "secondary"])
        yield w
        cluster.release.set()  # let held commands end before close waits for them
