"""The one definition of "takeover complete" (hadrill.verdicts.takeover_verdict), applied to what the
watcher saw (hadrill.drill.watch) and to a node's status (takeover_complete)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hadrill.drill.watch import Seen, parse_seen, takeover_seen, watch_outcome
from hadrill.errors import ParseError
from hadrill.hulft_ps import parse_hulft_processes
from hadrill.lcdstatus import parse_lcdstatus
from hadrill.verdicts import takeover_complete, takeover_verdict

FIXTURES = Path(__file__).parent / "fixtures"
WATCHED = (FIXTURES / "watch_takeover_network_down.txt").read_text()
ALL_UP = frozenset({"hulobsd", "hulrcvd", "hulsndd"})


def test_seen_is_parsed_per_resource_oldest_first() -> None:
    """The captured watcher output: three changes, each with every resource of the hierarchy."""
    seen = parse_seen(WATCHED)
    assert [s.epoch_ms for s in seen] == sorted(s.epoch_ms for s in seen) and len(seen) == 3
    assert dict(seen[0].resources)["hulft"] == "OSU" and seen[0].daemons == frozenset()
    assert dict(seen[1].resources) == {
        "hulft": "OSU",
        "/data": "ISP",
        "datarep-data": "ISP",
        "hulft-obs": "ISP",
        "hulft-rcv": "ISP",
        "hulft-snd": "ISP",
    }


def test_the_takeover_is_the_first_change_with_the_whole_hierarchy_isp_and_the_daemons_up() -> None:
    """Children ISP and daemons up one poll before the root: not yet complete; the root's poll is."""
    seen = parse_seen(WATCHED)
    complete = takeover_seen(seen, "hulft")
    assert complete is seen[2]
    assert not seen[1].verdict("hulft").passed
    outcome = watch_outcome(WATCHED, "hulft")
    assert outcome.complete and outcome.takeover_epoch_ms == seen[2].epoch_ms


def test_root_isp_with_a_child_not_in_service_is_no_takeover() -> None:
    """The old bash rule (root ISP and daemons) would have stopped here; the one definition does not."""
    seen = Seen(1, (("hulft", "ISP"), ("/data", "OSF"), ("hulft-obs", "ISP")), ALL_UP)
    verdict = seen.verdict("hulft")
    assert not verdict.passed
    assert [c.detail for c in verdict.failures] == ["expected ISP: /data=OSF"]
    assert takeover_seen((seen,), "hulft") is None


def test_a_watcher_that_stopped_early_is_overruled() -> None:
    """A watcher claiming completion at a state that is not a takeover: the Python verdict decides."""
    result = json.loads(WATCHED.splitlines()[-1])
    result["seen"] = result["seen"][:2]  # as if it had stopped at the children's change
    outcome = watch_outcome(json.dumps(result), "hulft")
    assert not outcome.complete and outcome.takeover_epoch_ms is None
    assert "hierarchy hulft ISP: expected ISP: hulft=OSU" in outcome.message


def test_same_definition_for_a_node_status() -> None:
    """takeover_complete (VerifyTakeover) and the watcher's verdict agree on the same states."""
    status = parse_lcdstatus((FIXTURES / "lcdstatus_after_failover.txt").read_text())
    processes = parse_hulft_processes((FIXTURES / "ps_active_one_line.txt").read_text())
    from_status = takeover_complete(status, processes, "hulft")
    states = {r.tag: r.state.value for r in status.hierarchy("hulft")}
    daemons = frozenset(p.daemon for p in processes)
    assert from_status == takeover_verdict(states, daemons, "hulft") and from_status.passed


@pytest.mark.parametrize(
    "seen",
    [
        "[1]",
        '[{"epoch_ms": "x", "resources": {}, "daemons": []}]',
        '[{"epoch_ms": 1, "resources": [], "daemons": []}]',
        '[{"epoch_ms": 1, "resources": {"a": 1}, "daemons": []}]',
        '[{"epoch_ms": 1, "resources": {}, "daemons": "hulobsd"}]',
        '"none"',
    ],
)
def test_malformed_seen_is_a_parse_error(seen: str) -> None:
    line = f'{{"ok": true, "changed": false, "message": "m", "seen": {seen}}}'
    with pytest.raises(ParseError):
        parse_seen(line)
