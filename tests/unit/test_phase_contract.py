"""What a phase returns is held to hadrill.contracts.PhaseResult where contracts are strict.

The tests and the local world run strict (HADRILL_STRICT_CONTRACTS=1), so every phase result the
workflow tests produce is checked; AWS passes results on unchecked, like the documents' tolerance.
"""

from __future__ import annotations

import pytest

from hadrill import contracts
from hadrill.drill.runtime import ContractBreach, checked_result

RESULT = {
    "summary": "takeover complete on lk-node-b: RTO 0.633 s",
    "checks": [{"name": "RTO within SLO", "passed": True, "detail": "0.633 s <= 120 s"}],
    "events": [{"phase": "takeover complete on lk-node-b", "epochMs": 1795655739694}],
    "ssmCommands": 2,
    "rtoSeconds": 0.633,
    "rtoStart": {"epochMs": 1795655739061, "source": "observed", "observed": True, "predictedEpochMs": None},
    "toNode": "lk-node-b",
    "clocks": [{"node": "lk-node-b", "when": "after the takeover", "known": False, "why": "no chronyc"}],
}


def test_a_result_the_model_names_passes_unchanged() -> None:
    assert checked_result(dict(RESULT)) == RESULT


@pytest.mark.parametrize(
    ("change", "said"),
    [
        ({"rtoSecs": 0.6}, "keys not in PhaseResult: rtoSecs"),
        ({"rtoStart": {**RESULT["rtoStart"], "stamp": 1}}, "keys not in PhaseResult: rtoStart.stamp"),  # type: ignore[dict-item]
        ({"rtoSeconds": "0.633"}, "rtoSeconds"),  # a number as text
        ({"checks": [{"name": "x", "passed": "yes", "detail": ""}]}, "checks.0.passed"),
    ],
)
def test_a_result_that_breaks_the_model_is_refused(change: dict[str, object], said: str) -> None:
    with pytest.raises(ContractBreach, match=said.replace(".", r"\.")):
        checked_result({**RESULT, **change})


def test_aws_passes_results_on_unchecked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(contracts.ENV_STRICT_CONTRACTS)
    odd = {**RESULT, "rtoSecs": 0.6}
    assert checked_result(odd) is odd
