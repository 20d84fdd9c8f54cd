"""lcdstatus -q parsing, from fixtures written in SIOS's documented short-status format."""

from __future__ import annotations

from pathlib import Path

import pytest

from hadrill.errors import LifeKeeperNotRunningError, ParseError
from hadrill.lcdstatus import PathState, ResourceState, parse_lcdstatus
from support.lifekeeper import HULFT_HIERARCHY

FIXTURES = Path(__file__).parent / "fixtures"


def load(name: str) -> str:
    return (FIXTURES / name).read_text()


def test_primary_hierarchy_and_children_from_indentation() -> None:
    """Primary: hulft with /data (and its mirror) and the three daemon resources below it."""
    status = parse_lcdstatus(load("lcdstatus_primary_healthy.txt"))
    hulft = status.resource("hulft")
    assert hulft is not None and hulft.parent is None and hulft.depth == 0
    assert hulft.children == ("/data", "hulft-obs", "hulft-rcv", "hulft-snd")
    mirror = status.resource("datarep-data")
    assert mirror is not None and mirror.parent == "/data" and mirror.depth == 2
    assert [r.tag for r in status.hierarchy("hulft")] == list(HULFT_HIERARCHY)
    assert all(r.state is ResourceState.IN_SERVICE for r in status.hierarchy("hulft"))
    assert hulft.node == "lk-node1" and hulft.priority == 1 and hulft.primary == "lk-node1"


def test_unrelated_hierarchy_is_its_own_root() -> None:
    """The EC2 route resource is a separate root, not part of the hulft hierarchy."""
    status = parse_lcdstatus(load("lcdstatus_primary_healthy.txt"))
    assert [r.tag for r in status.roots()] == ["ec2-vip", "hulft"]
    assert "ec2-vip" not in [r.tag for r in status.hierarchy("hulft")]


def test_comm_paths_several_alive() -> None:
    """Two TCP comm paths to the peer, both ALIVE, with their priorities."""
    status = parse_lcdstatus(load("lcdstatus_primary_healthy.txt"))
    assert [(p.machine, p.addresses, p.state, p.priority) for p in status.comm_paths] == [
        ("lk-node2", "10.0.1.10/10.0.33.10", PathState.ALIVE, 1),
        ("lk-node2", "10.0.2.10/10.0.34.10", PathState.ALIVE, 2),
    ]


def test_standby_view_is_out_of_service() -> None:
    """The standby lists the same hierarchy OSU with its own priority 10 and the primary's name."""
    status = parse_lcdstatus(load("lcdstatus_standby_healthy.txt"))
    assert {r.state for r in status.hierarchy("hulft")} == {ResourceState.OUT_OF_SERVICE}
    hulft = status.resource("hulft")
    assert hulft is not None and hulft.priority == 10 and hulft.primary == "lk-node1"


def test_after_failover_paths_dead() -> None:
    """After failover the standby holds the hierarchy ISP and sees both comm paths DEAD."""
    status = parse_lcdstatus(load("lcdstatus_after_failover.txt"))
    assert {p.state for p in status.comm_paths} == {PathState.DEAD}
    assert status.resource("hulft-snd") is not None
    assert all(r.state.in_service for r in status.hierarchy("hulft"))


def test_every_state_and_tty_path() -> None:
    """ISP, ISU, OSF and OSU each parse; a TTY path's priority "--" becomes None."""
    status = parse_lcdstatus(load("lcdstatus_all_states.txt"))
    states = {r.tag: r.state for r in status.resources}
    assert states["hulft"] is ResourceState.IN_SERVICE_UNPROTECTED
    assert states["hulft-rcv"] is ResourceState.OUT_OF_SERVICE_FAILED
    assert states["pgsql-main"] is ResourceState.OUT_OF_SERVICE
    assert states["hulft-obs"] is ResourceState.IN_SERVICE
    assert states["hulft"].in_service and not states["hulft-rcv"].in_service
    tty = status.comm_paths[-1]
    assert (tty.network, tty.addresses, tty.priority) == ("TTY", "/dev/ttyS0", None)
    assert status.comm_paths[1].state is PathState.DEAD
    pgsql = status.resource("pgsql-main")
    assert pgsql is not None and pgsql.id == "/var/lib/pgsql/data" and pgsql.children == ("/pgdata",)
    assert [r.tag for r in status.roots()] == ["hulft", "pgsql-main", "ip-172.16.0.50"]


def test_backup_column_and_section_titles() -> None:
    """lcdstatus -e: BACKUP column, printed section titles, dashes when there is no backup."""
    status = parse_lcdstatus(load("lcdstatus_backup_titles.txt"))
    assert [r.tag for r in status.hierarchy("hulft")] == ["hulft", "hulft-obs", "hulft-rcv", "hulft-snd"]
    scratch = status.resource("scratch-fs")
    assert scratch is not None and scratch.node == "------" and scratch.parent is None
    assert len(status.comm_paths) == 1


def test_tree_prefix_counts_as_indentation() -> None:
    """ "|--" tree prefixes (as on Windows) mark children like indentation does."""
    status = parse_lcdstatus(load("lcdstatus_tree_prefix.txt"))
    assert [(r.tag, r.parent) for r in status.resources] == [
        ("hulft", None),
        ("hulft-obs", "hulft"),
        ("hulft-rcv", "hulft"),
        ("hulft-snd", "hulft"),
    ]


def test_header_only_is_an_empty_node() -> None:
    """LifeKeeper running, no comm paths, no resources: LifeKeeper 9.8.1 prints only the resource
    header line (docs/vendor-commands.md). That is a node with nothing on it, not a parse error."""
    status = parse_lcdstatus(load("lcdstatus_header_only.txt"))
    assert status.resources == () and status.comm_paths == ()
    assert status.resource("hulft") is None and status.hierarchy("hulft") == ()


def test_either_block_may_be_missing() -> None:
    """Resources without a comm path block mean no comm paths; a comm path block alone means no resources."""
    resources_only = parse_lcdstatus(load("lcdstatus_no_comm_paths.txt"))
    assert [r.tag for r in resources_only.roots()] == ["ec2-vip", "hulft"]
    assert resources_only.comm_paths == ()
    paths_only = parse_lcdstatus(
        "MACHINE   NETWORK ADDRESSES/DEVICE                   STATE   PRIO\n"
        "lk-node2  TCP     10.0.1.10/10.0.33.10               ALIVE      1\n"
    )
    assert paths_only.resources == ()
    assert [(p.machine, p.state) for p in paths_only.comm_paths] == [("lk-node2", PathState.ALIVE)]


def test_lifekeeper_not_running_is_its_own_error() -> None:
    """LifeKeeper down: a dedicated error, never an empty cluster."""
    with pytest.raises(LifeKeeperNotRunningError, match="not appear to be running"):
        parse_lcdstatus(load("lcdstatus_not_running.txt"))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty"),
        ("   \n\n", "empty"),
        (load("lcdstatus_truncated.txt"), "resource line has 3 fields"),
        (load("lcdstatus_bad_state.txt"), "unknown resource state 'RUN'"),
        ("Segmentation fault\n", "text before any header"),
        (load("lcdstatus_primary_healthy.txt").replace("ALIVE        2", "ALIVE"), "comm path line has 4 fields"),
        (load("lcdstatus_primary_healthy.txt").replace("ALIVE        1", "LIVE         1"), "unknown comm path state"),
        (
            load("lcdstatus_primary_healthy.txt").replace(
                "ISP          1  lk-node1\nlk-node1   hulft-obs", "ISP          x  lk-node1\nlk-node1   hulft-obs"
            ),
            "priority 'x'",
        ),
        (load("lcdstatus_primary_healthy.txt") + load("lcdstatus_primary_healthy.txt"), "second"),
        (load("lcdstatus_primary_healthy.txt").replace("hulft-rcv ", "hulft-obs "), "tag listed twice"),
        ("LOCAL TAG ID STATE PRIO PRIMARY\nnode hulft\n\nMACHINE NETWORK ADDRESSES/DEVICE STATE PRIO\n", "2 fields"),
    ],
)
def test_garbled_output_is_a_parse_error(text: str, message: str) -> None:
    """Empty, cut-off or garbled output raises ParseError naming the problem, never a wrong answer."""
    with pytest.raises(ParseError, match=message):
        parse_lcdstatus(text)


def test_parse_error_names_the_line() -> None:
    with pytest.raises(ParseError) as caught:
        parse_lcdstatus(load("lcdstatus_bad_state.txt"))
    assert caught.value.line_number == 7
    assert "line 7" in str(caught.value)


def test_missing_hierarchy_is_empty_not_an_error() -> None:
    """A cluster before the HULFT resource exists: hierarchy('hulft') is empty."""
    status = parse_lcdstatus(load("lcdstatus_all_states.txt"))
    assert status.hierarchy("nope") == ()
    assert status.resource("nope") is None
