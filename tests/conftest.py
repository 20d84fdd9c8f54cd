"""Shared test setup.

The CDK's jsii runtime must find the project's Node 22 first on PATH, and each example config is
synthesized once per test session for every test that reads templates.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

# Property tests (issue 15): derandomized with few examples in `make test`; `make fuzz` selects the
# "fuzz" profile (HADRILL_HYPOTHESIS_PROFILE=fuzz) for many more, still derandomized.
settings.register_profile(
    "test", max_examples=60, derandomize=True, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile(
    "fuzz", max_examples=2000, derandomize=True, deadline=None, suppress_health_check=list(HealthCheck)
)
settings.load_profile(os.environ.get("HADRILL_HYPOTHESIS_PROFILE", "test"))

# Every phase result a test produces is checked against hadrill.contracts.PhaseResult (as in the local world).
os.environ.setdefault("HADRILL_STRICT_CONTRACTS", "1")
# Every response body the local world writes itself (not through moto's serializer) is checked against moto's.
os.environ.setdefault("HADRILL_CHECK_SHORTCUTS", "1")

REPO = Path(__file__).resolve().parent.parent
NODE_BIN = REPO / "node_modules" / ".bin"

if NODE_BIN.is_dir() and not os.environ.get("PATH", "").startswith(str(NODE_BIN)):
    os.environ["PATH"] = f"{NODE_BIN}{os.pathsep}{os.environ.get('PATH', '')}"

from support.synthesis import (  # noqa: E402  (needs PATH above)
    BYO_CONFIG,
    DEFAULT_CONFIG,
    FLEET_CONFIG,
    Synthesized,
    SynthesizedFleet,
    synthesize,
    synthesize_fleet,
)


@pytest.fixture(scope="session")
def default_synth(tmp_path_factory: pytest.TempPathFactory) -> Synthesized:
    return synthesize(DEFAULT_CONFIG, tmp_path_factory.mktemp("cdk-default"))


@pytest.fixture(scope="session")
def byo_synth(tmp_path_factory: pytest.TempPathFactory) -> Synthesized:
    return synthesize(BYO_CONFIG, tmp_path_factory.mktemp("cdk-byo"))


@pytest.fixture(scope="session")
def fleet_synth(tmp_path_factory: pytest.TempPathFactory) -> SynthesizedFleet:
    return synthesize_fleet(FLEET_CONFIG, tmp_path_factory.mktemp("cdk-fleet"))


@pytest.fixture
def english_messages(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The CLI's English lines, whatever the test machine's locale (tests that read them use this)."""
    from hadrill_cli import messages

    for variable in ("HADRILL_LANG", "LC_ALL", "LC_MESSAGES"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("LANG", "C.UTF-8")
    yield
    messages.use("en")  # the language is process-wide: a Japanese test must not leak into the next
