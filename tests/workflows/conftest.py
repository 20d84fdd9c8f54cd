"""One local world per test module; each test deploys its own simulated cluster into it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from localworld import LocalWorld
from support.local_cluster import open_world


@pytest.fixture(scope="module")
def world() -> Iterator[LocalWorld]:
    with open_world() as opened:
        yield opened
