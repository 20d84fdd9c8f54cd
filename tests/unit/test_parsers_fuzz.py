"""The parsers raise their own error and nothing else, with a bounded message (issue 15, class 5).

The phases catch ParseError (RouteError for the route lookup): any other exception from a parser
escapes as an unexplained failure. Unicode digits that pass ``str.isdigit()``, numbers over 4,300
digits (``int()`` raises ValueError), deep nesting (RecursionError) and shapes boto3 never returns
used to do that.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from hadrill.conformance import parse_probe_result
from hadrill.errors import ParseError, RouteError
from hadrill.hulft_ps import parse_hulft_processes
from hadrill.lcdstatus import parse_lcdstatus
from hadrill.results import parse_fault_result, parse_node_status, parse_result_line, parse_watch_result
from hadrill.routes import vip_route_target

# Longest message a parser may give, whatever it was fed (the reason is cut, values are quoted cut).
MESSAGE_LIMIT = 400
HEADER = "LOCAL TAG ID STATE PRIO PRIMARY"
COMM_HEADER = "MACHINE NETWORK ADDRESSES/DEVICE STATE PRIO"
# Digits str.isdigit() accepts that are not 0-9: superscript, Arabic-Indic, fullwidth, Devanagari.
UNICODE_DIGITS = ["\u00b2", "\u0663", "\uff11", "\u0967", "\u2460"]


def _only(error_type: type[Exception], call: Any, *args: Any) -> object:
    """``call(*args)``'s result, or None when it raised ``error_type`` with a bounded one-line message."""
    try:
        return call(*args)
    except error_type as error:
        assert len(str(error)) < MESSAGE_LIMIT, str(error)[:500]
        return None


# ---- lcdstatus -------------------------------------------------------------------------------------------
def _resource_line(tag: str, prio: str, depth: int = 0) -> str:
    return f"lk-node-a {' ' * depth}{tag} id-{tag} ISP {prio} lk-node-a"


@pytest.mark.parametrize("digit", UNICODE_DIGITS)
def test_a_priority_in_unicode_digits_is_a_parse_error(digit: str) -> None:
    with pytest.raises(ParseError, match="priority"):
        parse_lcdstatus(f"{HEADER}\n{_resource_line('hulft', digit)}\n")
    with pytest.raises(ParseError, match="priority"):
        parse_lcdstatus(f"{HEADER}\n{COMM_HEADER}\nlk-node-b TCP 10.0.0.1/10.0.0.2 ALIVE {digit}\n")


def test_a_5000_digit_priority_is_a_parse_error() -> None:
    with pytest.raises(ParseError, match="priority"):
        parse_lcdstatus(f"{HEADER}\n{_resource_line('hulft', '9' * 5000)}\n")
    with pytest.raises(ParseError, match="priority"):
        parse_lcdstatus(f"{HEADER}\n{COMM_HEADER}\nlk-node-b TCP 10.0.0.1/10.0.0.2 ALIVE {'9' * 5000}\n")


def test_a_1000_level_hierarchy_is_walked_without_recursion() -> None:
    lines = [HEADER] + [_resource_line(f"r{i}", "1", depth=i) for i in range(1000)]
    status = parse_lcdstatus("\n".join(lines))
    chain = status.hierarchy("r0")
    assert [r.tag for r in chain] == [f"r{i}" for i in range(1000)]
    assert chain[-1].depth == 999


def test_the_hierarchy_is_listed_parents_first_in_order() -> None:
    text = "\n".join([HEADER, _resource_line("a", "1"), _resource_line("b", "1", 1), _resource_line("c", "1", 2)])
    text += "\n" + _resource_line("d", "1", 1)
    assert [r.tag for r in parse_lcdstatus(text).hierarchy("a")] == ["a", "b", "c", "d"]


def test_a_long_line_is_quoted_cut() -> None:
    with pytest.raises(ParseError) as raised:
        parse_lcdstatus("x" * 100_000)
    assert len(str(raised.value)) < MESSAGE_LIMIT


_TOKENS = st.sampled_from(
    [
        HEADER,
        COMM_HEADER,
        "lk-node-a",
        "hulft",
        "ISP",
        "OSU",
        "ALIVE",
        "DEAD",
        "1",
        "--",
        "|--",
        "\t",
        "  ",
        "x",
        *UNICODE_DIGITS,
        "9" * 5000,
    ]
)


@given(st.lists(st.lists(_TOKENS, max_size=8).map(" ".join), max_size=12).map("\n".join))
@example(f"{HEADER}\n{_resource_line('a', chr(0x00B2))}")
def test_lcdstatus_raises_only_parse_error(text: str) -> None:
    status = _only(ParseError, parse_lcdstatus, text)
    if status is not None:
        for resource in status.resources:  # type: ignore[attr-defined]
            assert 0 <= resource.priority < 10**9


@given(st.text(max_size=500))
def test_lcdstatus_raises_only_parse_error_on_any_text(text: str) -> None:
    _only(ParseError, parse_lcdstatus, text)


# ---- ps -ef ----------------------------------------------------------------------------------------------
PS_HEADER = "UID        PID  PPID  C STIME TTY          TIME CMD"


@pytest.mark.parametrize("pid", [*UNICODE_DIGITS, "9" * 5000])
def test_a_pid_that_is_not_ascii_digits_is_never_a_number(pid: str) -> None:
    line = f"root {pid} 1 0 10:00 ? 00:00:00 /usr/local/hulft/bin/hulrcvd -oplsrc HULFT_CLS_COMMAND"
    processes = _only(ParseError, parse_hulft_processes, f"{PS_HEADER}\n{line}\n")
    assert not processes  # a continuation of nothing (ParseError) or not a process


@given(
    st.lists(
        st.tuples(
            st.sampled_from(["root", "hulft", ""]),
            st.one_of(st.integers(1, 99999).map(str), st.sampled_from([*UNICODE_DIGITS, "9" * 5000, "-1"])),
            st.sampled_from(["hulrcvd", "hulobsd", "/usr/local/hulft/bin/hulsndd", "bash", ""]),
        ).map(lambda t: f"{t[0]} {t[1]} 1 0 10:00 ? 00:00:00 {t[2]}"),
        max_size=10,
    ).map("\n".join)
)
def test_ps_raises_only_parse_error(text: str) -> None:
    processes = _only(ParseError, parse_hulft_processes, text)
    for process in processes or ():  # type: ignore[attr-defined]
        assert 0 < process.pid < 10**10


@given(st.text(max_size=500))
def test_ps_raises_only_parse_error_on_any_text(text: str) -> None:
    _only(ParseError, parse_hulft_processes, text)


# ---- result lines ----------------------------------------------------------------------------------------
_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=20,
)
_KEYS = [
    "ok",
    "changed",
    "message",
    "node",
    "lk_running",
    "lk_initdone",
    "lcdstatus",
    "ps",
    "data_mounted",
    "mirror_in_sync",
    "mirror_status",
    "hosts_entry",
    "packages",
    "hulft_installed",
    "timeline",
    "takeover_epoch_ms",
    "watch_started_epoch_ms",
    "polls",
    "fault",
    "fault_epoch_ms",
    "checks",
    "raw",
    "resource_tool",
    "resource_tool_set",
]
_RESULT = st.fixed_dictionaries(
    {"ok": st.booleans(), "changed": st.booleans(), "message": st.text(max_size=20)},
    optional={key: _JSON for key in _KEYS[3:]},
)
_PARSERS = [parse_result_line, parse_node_status, parse_watch_result, parse_fault_result, parse_probe_result]


@pytest.mark.parametrize(
    "line",
    [
        "[" * 100_000 + "]" * 100_000,
        '{"a":' * 50_000 + "1" + "}" * 50_000,
        '{"ok": true, "changed": false, "message": "x", "polls": ' + "9" * 5000 + "}",
        '{"ok": true, "changed": false, "message": "x", "fault_epoch_ms": -' + "9" * 4301 + "}",
        "1" * 5000,
        "\x00",
    ],
    ids=["deep list", "deep object", "5000-digit int", "4301-digit negative", "bare big number", "NUL"],
)
def test_hostile_result_lines_are_parse_errors(line: str) -> None:
    for parser in _PARSERS:
        with pytest.raises(ParseError) as raised:
            parser(f"noise\n{line}\n")
        assert len(str(raised.value)) < MESSAGE_LIMIT


def test_a_long_script_message_is_cut() -> None:
    line = json.dumps({"ok": False, "changed": False, "message": "m" * 100_000})
    with pytest.raises(ParseError, match="not injected") as raised:
        parse_fault_result(line)
    assert len(str(raised.value)) < MESSAGE_LIMIT


@given(st.sampled_from(_PARSERS), _RESULT)
def test_result_parsers_raise_only_parse_error_on_any_object(parser: Any, result: dict[str, Any]) -> None:
    _only(ParseError, parser, json.dumps(result))


@given(st.sampled_from(_PARSERS), st.text(max_size=300))
def test_result_parsers_raise_only_parse_error_on_any_text(parser: Any, text: str) -> None:
    _only(ParseError, parser, text)


# ---- the VIP route ---------------------------------------------------------------------------------------
_ROUTE = st.fixed_dictionaries(
    {},
    optional={
        "DestinationCidrBlock": st.sampled_from(["10.254.0.10/32", "0.0.0.0/0", 5, None]),
        "NetworkInterfaceId": st.one_of(st.sampled_from(["eni-1", "eni-2", ""]), _JSON),
        "State": st.sampled_from(["active", "blackhole", None]),
    },
)
_TABLE = st.one_of(
    st.fixed_dictionaries(
        {}, optional={"RouteTableId": st.one_of(st.just("rtb-1"), _JSON), "Routes": st.one_of(st.lists(_ROUTE), _JSON)}
    ),
    _JSON,
)


@given(st.one_of(st.lists(_TABLE, max_size=4), _JSON))
@example([{"RouteTableId": "rtb-1", "Routes": None}])
@example([{"RouteTableId": "rtb-1", "Routes": ["not a route"]}])
@example(["not a table"])
@example([{"Routes": [{"DestinationCidrBlock": "10.254.0.10/32", "NetworkInterfaceId": ["eni-1"]}]}])
def test_route_lookup_raises_only_route_error(tables: Any) -> None:
    target = _only(RouteError, vip_route_target, tables, "10.254.0.10")
    assert target is None or (isinstance(target, str) and target)
