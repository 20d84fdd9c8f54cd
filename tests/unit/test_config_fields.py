"""One validation layer (issue 15, classes 1 and 2): what the config accepts, the workflows accept.

The config (stacks.config) and the workflows' models (cluster facts, SSM document parameters) share
the field types of hadrill.fields, on ASCII-only patterns; values AWS or LifeKeeper would refuse
(schedule expressions, VPC and subnet sizes, virtual IP classes, AZs of two regions) stop synth with
one line naming the field.
"""

from __future__ import annotations

import copy
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import example, given
from hypothesis import strategies as st
from pydantic import BaseModel

from hadrill import params
from hadrill import patterns as p
from hadrill.drill.model import DrillInput
from hadrill.facts import ClusterFacts
from hadrill.schedules import schedule_problem
from hadrill.setup import ALL_STEPS, SetupInput, plan, probe_plan
from stacks.config import ConfigError, DeploymentConfig, parse_config
from stacks.orchestration import wiring

REPO = Path(__file__).resolve().parents[2]
DEFAULT: dict[str, Any] = yaml.safe_load((REPO / "config" / "default.yaml").read_text(encoding="utf-8"))


def _with(path: str, value: Any) -> dict[str, Any]:
    """The default config with the dotted ``path`` set to ``value`` (list indexes are numbers)."""
    data: dict[str, Any] = copy.deepcopy(DEFAULT)
    *parents, last = path.split(".")
    target: Any = data
    for part in parents:
        target = target[int(part)] if isinstance(target, list) else target.setdefault(part, {})
    if isinstance(target, list):
        target[int(last)] = value
    else:
        target[last] = value
    return data


def _facts(config: DeploymentConfig) -> ClusterFacts:
    """The cluster facts the orchestration stack would write for this config (ids made up)."""
    document = wiring.cluster_facts_document(
        config,
        nodes=wiring.placeholder_nodes(),
        route_table_ids=["rtb-0123456789abcdef0"],
        media_bucket="hulft-demo-media-bucket",
        node_log_group="/hadrill/hulft-demo/nodes",
    )
    return ClusterFacts.model_validate(document)


def _every_command_builds(config: DeploymentConfig) -> None:
    """Setup's whole plan for this config: every step's SSM parameters validate."""
    facts = _facts(config)
    probe_plan(facts, configure_base=True)
    for step in ALL_STEPS:
        plan(step, facts)
    DrillInput.model_validate(
        {
            "cluster": config.cluster_name,
            "maxRtoSeconds": config.drills.max_rto_seconds,
            "takeoverTimeoutSeconds": config.drills.takeover_timeout_seconds,
            "stopConditionAlarms": list(config.drills.stop_condition_alarms),
        }
    )
    SetupInput.model_validate({"cluster": config.cluster_name})


def test_the_default_config_builds_every_command() -> None:
    _every_command_builds(parse_config(DEFAULT))


# ---- class 1: values the config accepted and setup then refused with a traceback --------------------
REFUSED_BY_BOTH = [
    ("hulft.hulexep", "/usr/local/hulft/bin/"),
    ("hulft.hulexep", "/usr/local/../bin"),
    ("hulft.hulexep", "/bin"),
    ("hulft.hulpath", "/data/hulft/etc/"),
    ("hulft.hulpath", "/data/hulft/.."),
    ("hulft.hulpath", "//data"),
    ("hulft.filesystem_tag", "/"),
    ("hulft.filesystem_tag", "/data/"),
    ("nodes.primary.name", "lk-node-"),
    ("nodes.secondary.name", "lk-node-b-"),
    ("virtual_ip.logical_host", "hulft-vip-"),
    ("virtual_ip.logical_host", "a.b.c.d.e.f.g.h.i.j"),
    ("secrets.hulft_license", "/hadrill/hulft-demo/hulft-license"),
    ("secrets.lifekeeper_license", "/lk-license"),
    ("hulft.version", "\uff10\uff18.\uff10\uff11.\uff10\uff12"),  # fullwidth digits
    ("hulft.version", "\u0660\u0668.\u0660\u0661.\u0660\u0662"),  # Arabic-Indic digits
    ("network.subnets.0.availability_zone", "ap-northeast-\u0661a"),
    ("media.hulft.key", "media/.."),
    ("media.hulft.key", "media/"),
    ("media.recovery_kit.key", "media//kit.iso"),
]


@pytest.mark.parametrize(("field", "value"), REFUSED_BY_BOTH, ids=[f"{f}={v!r}" for f, v in REFUSED_BY_BOTH])
def test_config_refuses_what_the_workflows_refuse(field: str, value: str) -> None:
    with pytest.raises(ConfigError) as raised:
        parse_config(_with(field, value), source="c.yaml")
    message = str(raised.value)
    assert message.startswith(f"c.yaml: {field}: "), message
    assert "\n" not in message


# The patterns the config used before issue 15: hypothesis draws from them, as a user would write.
_OLD_CONFIG_SHAPES = {
    "hulft.hulexep": r"/[A-Za-z0-9_.\-/]{1,40}",
    "hulft.hulpath": r"/[A-Za-z0-9_.\-/]{1,40}",
    "hulft.filesystem_tag": r"(none|/[A-Za-z0-9._/-]{0,40})",
    "nodes.primary.name": r"[a-z][a-z0-9-]{0,20}",
    "virtual_ip.logical_host": r"[a-z][a-z0-9-]{0,8}(\.[a-z0-9][a-z0-9-]{0,8}){0,11}",
    "secrets.hulft_license": r"[A-Za-z0-9/_+=.@-]{1,40}",
    "hulft.version": r"\d{2}\.\d{2}\.\d{2}",
    "media.hulft.key": r"[A-Za-z0-9][A-Za-z0-9_.\-/]{0,40}",
    "lifekeeper.data_device": r"/dev/[a-z0-9]{1,10}",
}


@st.composite
def _config_edits(draw: st.DrawFn) -> tuple[str, str]:
    field = draw(st.sampled_from(sorted(_OLD_CONFIG_SHAPES)))
    value = draw(st.one_of(st.from_regex(_OLD_CONFIG_SHAPES[field], fullmatch=True), st.text(max_size=40)))
    return field, value


@given(_config_edits())
@example(("hulft.hulexep", "/bin"))
@example(("hulft.filesystem_tag", "/"))
@example(("hulft.version", "\u0660\u0668.\u0660\u0661.\u0660\u0662"))
@example(("secrets.hulft_license", "/x"))
def test_whatever_the_config_accepts_every_setup_command_accepts(edit: tuple[str, str]) -> None:
    field, value = edit
    try:
        config = parse_config(_with(field, value))
    except ConfigError:
        return
    _every_command_builds(config)


# ---- ASCII-only, anchored patterns everywhere --------------------------------------------------------
def _patterns_of(model: type[BaseModel], seen: set[type[BaseModel]] | None = None) -> list[tuple[str, str]]:
    """(model.field, pattern) for every constrained string field, nested models included."""
    seen = set() if seen is None else seen
    if model in seen:
        return []
    seen.add(model)
    found: list[tuple[str, str]] = []
    for name, info in model.model_fields.items():
        for meta in info.metadata:
            pattern = getattr(meta, "pattern", None)
            if isinstance(pattern, str):
                found.append((f"{model.__name__}.{name}", pattern))
        for nested in _nested_models(info.annotation):
            found += _patterns_of(nested, seen)
        for arg in _annotated_args(info.annotation):
            pattern = getattr(arg, "pattern", None)
            if isinstance(pattern, str):
                found.append((f"{model.__name__}.{name}[]", pattern))
    return found


def _walk_types(annotation: Any) -> list[Any]:
    out = [annotation]
    for arg in getattr(annotation, "__args__", ()) or ():
        out += _walk_types(arg)
    for meta in getattr(annotation, "__metadata__", ()) or ():
        out.append(meta)
    return out


def _nested_models(annotation: Any) -> list[type[BaseModel]]:
    return [t for t in _walk_types(annotation) if isinstance(t, type) and issubclass(t, BaseModel)]


def _annotated_args(annotation: Any) -> list[Any]:
    return [t for t in _walk_types(annotation) if not isinstance(t, type)]


MODELS: list[type[BaseModel]] = [DeploymentConfig, ClusterFacts, DrillInput, SetupInput]
MODELS += [m for m in vars(params).values() if isinstance(m, type) and issubclass(m, params.DocumentParameters)]
ALL_PATTERNS = [(f"patterns.{n}", v) for n, v in vars(p).items() if n[0].isupper() and isinstance(v, str)]
for _model in MODELS:
    ALL_PATTERNS += _patterns_of(_model)


def test_every_model_pattern_was_found() -> None:
    names = {name for name, _ in ALL_PATTERNS}
    assert {"Hulft.hulexep", "ClusterFacts.hulexep", "DrillInput.cluster", "InjectFaultParameters.interface"} <= names


@pytest.mark.parametrize(("name", "pattern"), ALL_PATTERNS, ids=[n for n, _ in ALL_PATTERNS])
def test_patterns_are_ascii_and_anchored(name: str, pattern: str) -> None:
    """The pattern text itself is ASCII (TAG_VALUE's class is too: it excludes ASCII controls)."""
    assert pattern.isascii(), name
    # \d, \w, \s and \b match any Unicode digit, letter or space in Python and in pydantic's engine.
    assert not re.search(r"\\[dDwWsSbB]", pattern), f"{name}: {pattern}"
    assert pattern.startswith("^") and pattern.endswith("$"), f"{name}: {pattern}"


# Tag values are free text (AWS allows Unicode letters, and Japanese users write them): they reach tags
# only, never a shell, an SSM parameter or a file name. Every other pattern is ASCII-only.
FREE_TEXT = {"patterns.TAG_VALUE"}


@given(st.data())
def test_what_a_pattern_matches_is_ascii_without_line_breaks(data: st.DataObject) -> None:
    name, pattern = data.draw(st.sampled_from([(n, v) for n, v in ALL_PATTERNS if n not in FREE_TEXT]))
    value = data.draw(st.from_regex(pattern, fullmatch=True))
    assert value.isascii() and "\n" not in value and "\r" not in value, (name, value)


# ---- class 2: values AWS or LifeKeeper would refuse ----------------------------------------------------
SCHEDULES_REFUSED = [
    "cron(0 17 * * SUN)",  # five fields
    "cron(0 17 * * * *)",  # * in both day fields
    "cron(0 17 1 * SUN *)",  # a value in both day fields
    "cron(60 17 ? * SUN *)",
    "cron(0 24 ? * SUN *)",
    "cron(0 17 32 * ? *)",
    "cron(0 17 ? 13 SUN *)",
    "cron(0 17 ? * 8 *)",
    "cron(0 17 ? * SUN 1969)",
    "cron( )",
    "cron()",
    "cron(0  17 ? * SUN *)",
    "rate(1 minutes)",
    "rate(5 minute)",
    "rate(0 minutes)",
    "rate(01 minute)",
    "rate(5 weeks)",
    "cron(0 17 ? * SUN#6 *)",
    "cron(*/0 * ? * * *)",
    "cron(0 17 ? * MON/2 *)",
]
SCHEDULES_ACCEPTED = [
    "cron(0 17 ? * SUN *)",
    "cron(0/15 * * * ? *)",
    "cron(0 2 ? * MON-FRI *)",
    "cron(0 0 L * ? *)",
    "cron(0 0 ? * 6L *)",
    "cron(0 0 ? * 2#1 *)",
    "cron(15 10 ? * 6L 2002-2005)",
    "cron(0 9 1,15 JAN,JUL ? *)",
    "cron(0 0 15W * ? *)",
    "rate(1 minute)",
    "rate(5 minutes)",
    "rate(1 day)",
    "rate(7 days)",
    "rate(2 hours)",
]


@pytest.mark.parametrize("schedule", SCHEDULES_REFUSED)
def test_schedules_eventbridge_refuses_are_refused(schedule: str) -> None:
    config = _with("drills.schedules", [{"name": "weekly", "schedule": schedule}])
    with pytest.raises(ConfigError) as raised:
        parse_config(config, source="c.yaml")
    assert str(raised.value).startswith("c.yaml: drills.schedules.0.schedule: "), str(raised.value)


@pytest.mark.parametrize("schedule", SCHEDULES_ACCEPTED)
def test_schedules_eventbridge_accepts_are_accepted(schedule: str) -> None:
    assert schedule_problem(schedule) is None
    parse_config(_with("drills.schedules", [{"name": "weekly", "schedule": schedule}]))


_MINUTE = st.integers(0, 59).map(str)
_HOUR = st.integers(0, 23).map(str)
_DOM = st.one_of(st.integers(1, 31).map(str), st.just("L"), st.just("*"))
_MONTH = st.one_of(st.integers(1, 12).map(str), st.sampled_from(["JAN", "JUN", "DEC", "*"]))
_DOW = st.one_of(st.integers(1, 7).map(str), st.sampled_from(["SUN", "MON-FRI", "*", "L", "3#2"]))
_YEAR = st.one_of(st.integers(1970, 2199).map(str), st.just("*"))


@st.composite
def _valid_crons(draw: st.DrawFn) -> str:
    day_of_month, day_of_week = draw(_DOM), draw(_DOW)
    if draw(st.booleans()):
        day_of_month = "?"
    else:
        day_of_week = "?"
    fields = [draw(_MINUTE), draw(_HOUR), day_of_month, draw(_MONTH), day_of_week, draw(_YEAR)]
    return f"cron({' '.join(fields)})"


@given(_valid_crons())
def test_every_valid_cron_is_accepted(expression: str) -> None:
    assert schedule_problem(expression) is None, expression


@given(_valid_crons(), st.integers(0, 5), st.sampled_from(["99", "-1", "x", "", "*/0", "1-", "\u0661"]))
def test_a_cron_with_one_bad_field_is_refused(expression: str, index: int, bad: str) -> None:
    fields = expression[5:-1].split(" ")
    fields[index] = bad
    if bad == "*/0" or (bad == "99" and index == 5):
        pass  # still invalid: an increment of 0, or year 99
    assert schedule_problem(f"cron({' '.join(fields)})") is not None


@given(st.text(max_size=60))
def test_any_text_as_a_schedule_is_refused_or_a_valid_expression(text: str) -> None:
    problem = schedule_problem(text)
    if problem is None:
        assert re.fullmatch(r"(cron|rate)\([ -~]+\)", text, flags=re.ASCII), text
    else:
        assert len(problem) < 300


VALUES_AWS_REFUSES = [
    ("network.vpc_cidr", "10.0.0.0/8", "network.vpc_cidr", "/16 to /28"),
    ("network.vpc_cidr", "10.20.0.0/29", "network.vpc_cidr", "/16 to /28"),
    ("network.subnets.1.cidr", "10.20.2.0/32", "network.subnets.1.cidr", "/16 to /28"),
    ("network.subnets.0.cidr", "10.20.1.0/30", "network.subnets.0.cidr", "/16 to /28"),
    ("virtual_ip.address", "0.0.0.0", "virtual_ip.address", "this network"),  # noqa: S104
    ("virtual_ip.address", "255.255.255.255", "virtual_ip.address", "broadcast"),
    ("virtual_ip.address", "127.0.0.1", "virtual_ip.address", "loopback"),
    ("virtual_ip.address", "224.0.0.5", "virtual_ip.address", "multicast"),
    ("virtual_ip.address", "169.254.10.10", "virtual_ip.address", "link-local"),
    ("virtual_ip.address", "169.254.169.254", "virtual_ip.address", "instance metadata"),
    ("virtual_ip.address", "240.0.0.1", "virtual_ip.address", "reserved"),
    ("network.subnets.1.availability_zone", "us-east-1b", "network.subnets.1.availability_zone", "one region"),
    ("drills.max_rto_seconds", True, "drills.max_rto_seconds", "valid integer"),
    ("drills.takeover_timeout_seconds", False, "drills.takeover_timeout_seconds", "valid integer"),
    ("hulft.receive_port", True, "hulft.receive_port", "valid integer"),
]


@pytest.mark.parametrize(
    ("path", "value", "field", "reason"), VALUES_AWS_REFUSES, ids=[f"{p}={v!r}" for p, v, _, _ in VALUES_AWS_REFUSES]
)
def test_values_aws_or_lifekeeper_would_refuse_stop_synth(path: str, value: Any, field: str, reason: str) -> None:
    with pytest.raises(ConfigError) as raised:
        parse_config(_with(path, value), source="c.yaml")
    message = str(raised.value)
    assert message.startswith(f"c.yaml: {field}: "), message
    assert reason in message, message
    assert "\n" not in message


@given(st.ip_addresses(v=4))
def test_a_virtual_ip_is_accepted_only_when_unicast_and_routable(address: Any) -> None:
    refused_class = (
        address.is_loopback
        or address.is_multicast
        or address.is_link_local
        or address.is_reserved
        or str(address).startswith("0.")
        or str(address) == "255.255.255.255"
    )
    inside_vpc = str(address).startswith("10.20.")
    try:
        config = parse_config(_with("virtual_ip.address", str(address)))
    except ConfigError as error:
        assert refused_class or inside_vpc, str(error)
        return
    assert not refused_class and not inside_vpc
    ClusterFacts.model_validate({**_facts(config).model_dump(), "virtual_ip": str(address)})
