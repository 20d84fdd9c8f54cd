"""Synthesize each example config once per test session; tests read the templates."""

from __future__ import annotations

import pytest

from support.synthesis import BYO_CONFIG, DEFAULT_CONFIG, Synthesized, synthesize


@pytest.fixture(scope="session")
def default_synth(tmp_path_factory: pytest.TempPathFactory) -> Synthesized:
    return synthesize(DEFAULT_CONFIG, tmp_path_factory.mktemp("cdk-default"))


@pytest.fixture(scope="session")
def byo_synth(tmp_path_factory: pytest.TempPathFactory) -> Synthesized:
    return synthesize(BYO_CONFIG, tmp_path_factory.mktemp("cdk-byo"))
