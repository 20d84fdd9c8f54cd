"""The input surfaces `make fuzz` drives, each with its strategy, its own error and its next layer."""

from __future__ import annotations

import contextlib
import io
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

from hypothesis import strategies as st
from pydantic import BaseModel, Field, TypeAdapter, ValidationError

from hadrill import params
from hadrill.conformance import parse_probe_result
from hadrill.drill.model import DrillInput, input_problem
from hadrill.errors import ParseError, RouteError
from hadrill.facts import ClusterFacts
from hadrill.fleet import FleetDrillInput
from hadrill.hulft_ps import parse_hulft_processes
from hadrill.inputs import problem_with
from hadrill.lcdstatus import parse_lcdstatus
from hadrill.results import parse_fault_result, parse_node_status, parse_watch_result
from hadrill.routes import vip_route_target
from hadrill.setup import ALL_STEPS, SetupInput, plan, probe_plan
from stacks import yaml_file
from stacks.config import ConfigError, DeploymentConfig, parse_config
from stacks.orchestration import wiring

REPO = Path(__file__).resolve().parents[1]
DEFAULT_TEXT = (REPO / "config" / "default.yaml").read_text(encoding="utf-8")
MESSAGE_LIMIT = 400  # a refusal longer than this is counted as a crash: messages must stay bounded


class Invalid(Exception):
    """The input was accepted, and the next layer refused it: accepted-but-invalid."""


@dataclass(frozen=True)
class Surface:
    name: str
    inputs: st.SearchStrategy[Any]
    run: Callable[[Any], object]  # raises `refusal` to refuse, Invalid when a later layer refuses
    refusal: tuple[type[BaseException], ...]


# ---- the deployment config: YAML text through the loader, the models and the workflows' plans -----------
def _next_layers(config: DeploymentConfig) -> None:
    """What a config synth accepts must build every setup command and the scheduled drill's input."""
    document = wiring.cluster_facts_document(
        config, nodes=wiring.placeholder_nodes(), route_table_ids=["rtb-0123456789abcdef0"], media_bucket="media-bucket"
    )
    try:
        facts = ClusterFacts.model_validate(document)
        probe_plan(facts, configure_base=True)
        for step in ALL_STEPS:
            plan(step, facts)
    except (ValidationError, ValueError) as error:
        raise Invalid(f"setup refuses what synth accepted: {error}") from None
    for schedule in config.drills.schedules:
        request = wiring.drill_input(
            cluster=config.cluster_name,
            scenario=schedule.scenario,
            switchback=schedule.switchback,
            max_rto_seconds=config.drills.max_rto_seconds,
            takeover_timeout_seconds=config.drills.takeover_timeout_seconds,
            stop_condition_alarms=list(config.drills.stop_condition_alarms),
        )
        problem = input_problem(request)
        if problem:
            raise Invalid(f"the scheduled drill's input is refused: {problem}")


def run_config(raw: bytes) -> object:
    config = parse_config(yaml_file.parse(yaml_file.decode(raw)), source="c.yaml")
    _next_layers(config)
    return config


_VALUES = st.one_of(
    st.text(max_size=120).map(json.dumps),
    st.from_regex(r"[ -~]{0,60}", fullmatch=True),
    st.integers().map(str),
    st.sampled_from(["true", "null", "[]", "{}", "~", "1e999", "2001-02-30", "'9'", "-1", "0", "*a", "&a x"]),
    st.sampled_from(["/bin", "/", "/a/../b", "lk-node-", "rate(1 minutes)", "cron(0 17 * * SUN)", "0.0.0.0"]),  # noqa: S104
    st.sampled_from(["10.0.0.0/8", "10.20.2.0/32", "169.254.169.254", "us-east-1b", "\u0660\u0668.01.02"]),
)


@st.composite
def default_with_one_value(draw: st.DrawFn, values: st.SearchStrategy[str]) -> str:
    """config/default.yaml with the value of one of its `key: value` lines replaced by a drawn one."""
    lines = DEFAULT_TEXT.splitlines()
    candidates = [i for i, line in enumerate(lines) if ": " in line and not line.lstrip().startswith("#")]
    index = draw(st.sampled_from(candidates))
    key = lines[index].split(": ", 1)[0]
    lines[index] = f"{key}: {draw(values)}"
    return "\n".join(lines) + "\n"


def _one_value_changed() -> st.SearchStrategy[bytes]:
    return default_with_one_value(_VALUES).map(str.encode)


_YAML_NOISE = st.text(alphabet=st.sampled_from(list("[]{}&*:-,!?|>'\"#%@`ab1 \n\t.\\<")), max_size=400)
CONFIG = Surface(
    "config file",
    st.one_of(
        _one_value_changed(),
        _YAML_NOISE.map(str.encode),
        st.binary(max_size=2000),
        _one_value_changed().map(lambda raw: raw.decode().encode("shift_jis", errors="replace")),
    ),
    run_config,
    (ConfigError, yaml_file.YamlFileError),
)


# ---- execution inputs ----------------------------------------------------------------------------------
_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4),
    max_leaves=15,
)
_DRILL_KEYS = ["scenario", "dryRun", "switchback", "maxRtoSeconds", "takeoverTimeoutSeconds"]
_DRILL_KEYS += ["recoveryTimeoutSeconds", "stopConditionAlarms", "maxDrillSeconds"]
_FIELD_VALUES = st.one_of(
    _JSON, st.integers(-5, 4000), st.floats(-1, 4000), st.sampled_from(["network-down", "switchover", True, False])
)


def run_execution_input(event: dict[str, Any]) -> object:
    model, name = (DrillInput, "cluster") if "cluster" in event else (FleetDrillInput, "fleet")
    problem = input_problem(event) if model is DrillInput else problem_with(model, event)
    if problem:
        raise ValueError(problem)
    request = model.model_validate(event)
    dumped = request.model_dump(by_alias=True)
    try:  # what a later state validates: the dumped copy, which must still be valid
        model.model_validate(dumped)
        json.dumps(dumped)
    except (ValidationError, TypeError, ValueError) as error:
        raise Invalid(f"{name} input accepted, its copy refused: {error}") from None
    if isinstance(request, DrillInput) and isinstance(request.max_rto_seconds, bool):
        raise Invalid("a boolean became a number")
    return request


EXECUTION_INPUT = Surface(
    "execution input",
    st.one_of(
        st.fixed_dictionaries(
            {"cluster": st.one_of(st.just("hulft-demo"), st.text(max_size=40))},
            optional={k: _FIELD_VALUES for k in _DRILL_KEYS},
        ),
        st.fixed_dictionaries(
            {"fleet": st.one_of(st.just("hulft-fleet"), st.text(max_size=40))},
            optional={k: _FIELD_VALUES for k in [*_DRILL_KEYS[:5], "clusters", "maxConcurrency", "maxFailedDrills"]},
        ),
        st.dictionaries(st.text(max_size=20), _JSON, max_size=5).map(lambda d: {"cluster": "hulft-demo", **d}),
    ),
    run_execution_input,
    (ValueError,),
)


# ---- SSM document parameters ---------------------------------------------------------------------------
_MODELS = [m for m in vars(params).values() if isinstance(m, type) and issubclass(m, params.DocumentParameters)]
_MODELS.remove(params.DocumentParameters)


def run_ssm_parameter(case: tuple[type[params.DocumentParameters], str, str]) -> object:
    """The field's check as the model runs it (pydantic's engine); accepted values must also match in
    Python's engine and hold no line break or leading dash (what an engine's "$" might let through)."""
    model, field, value = case
    pattern = _pattern(model, field)
    try:
        TypeAdapter(Annotated[str, Field(pattern=pattern)]).validate_python(value)
    except ValidationError as error:
        raise ValueError(str(error)) from None
    if not re.fullmatch(pattern, value) or "\n" in value or "\r" in value or value.startswith("-"):
        raise Invalid(f"{model.__name__}.{field} accepts {value!r}")
    return value


def _pattern(model: type[params.DocumentParameters], field: str) -> str:
    return str(next(m.pattern for m in model.model_fields[field].metadata if hasattr(m, "pattern")))


def _ssm_cases() -> st.SearchStrategy[tuple[type[params.DocumentParameters], str, str]]:
    fields = [(m, name) for m in _MODELS for name in m.model_fields]

    @st.composite
    def case(draw: st.DrawFn) -> tuple[type[params.DocumentParameters], str, str]:
        model, name = draw(st.sampled_from(fields))
        base = draw(st.from_regex(_pattern(model, name), fullmatch=True))
        value = draw(
            st.sampled_from([base, base + "\n", "-" + base, base + "/..", " " + base, base + ";id"])
            | st.text(max_size=40)
        )
        return model, name, value

    return case()


SSM_PARAMETERS = Surface("SSM parameter", _ssm_cases(), run_ssm_parameter, (ValueError,))


# ---- node output parsers -------------------------------------------------------------------------------
_LCD_TOKENS = st.sampled_from(
    [
        *("LOCAL TAG ID STATE PRIO PRIMARY", "MACHINE NETWORK ADDRESSES/DEVICE STATE PRIO", "lk-node-a", "hulft"),
        *("ISP", "OSU", "ALIVE", "1", "--", "|--", "\t", "x", "\u00b2", "\u0663", "9" * 5000),
    ]
)
_PARSER_FUNCS: list[Callable[[str], object]] = [
    parse_lcdstatus,
    parse_hulft_processes,
    parse_node_status,
    parse_watch_result,
    parse_fault_result,
    parse_probe_result,
]


def run_parser(case: tuple[int, str]) -> object:
    index, text = case
    return _PARSER_FUNCS[index](text)


PARSERS = Surface(
    "node output parsers",
    st.tuples(
        st.integers(0, len(_PARSER_FUNCS) - 1),
        st.one_of(
            st.text(max_size=400),
            st.lists(st.lists(_LCD_TOKENS, max_size=7).map(" ".join), max_size=10).map("\n".join),
            _JSON.map(json.dumps),
            st.sampled_from(["[" * 50_000, '{"ok":' + "9" * 5000 + "}", "\x00"]),
        ),
    ),
    run_parser,
    (ParseError,),
)


def run_routes(tables: Any) -> object:
    return vip_route_target(tables, "10.254.0.10")


ROUTES = Surface("VIP route lookup", st.one_of(_JSON, st.lists(_JSON, max_size=4)), run_routes, (RouteError,))


# ---- the CLI's arguments -------------------------------------------------------------------------------
class _Reached(Exception):
    """The CLI went on to AWS with this request."""


class _FakeTarget:
    def __init__(self, name: str, **_: Any) -> None:
        self.cluster = name

    def start_execution(self, machine: str, *, name_prefix: str, request: dict[str, Any]) -> tuple[str, str]:
        raise _Reached(machine, request)

    def __getattr__(self, attribute: str) -> Any:
        raise _Reached(attribute, None)


def run_cli(argv: list[str]) -> object:
    from hadrill_cli import main as cli

    names = vars(cli)  # the module's globals: main() looks AwsTarget up there
    original = names["AwsTarget"]
    names["AwsTarget"] = _FakeTarget
    try:
        with contextlib.redirect_stderr(io.StringIO()) as err, contextlib.redirect_stdout(io.StringIO()):
            try:
                code = cli.main([*argv, "--lang", "en"])
            except SystemExit as stop:  # argparse's own refusal (exit 2)
                code = int(stop.code or 0)
            except _Reached as reached:
                machine, request = reached.args
                if request is not None:
                    models: dict[str, type[BaseModel]] = {"Drill": DrillInput, "Setup": SetupInput}
                    model = models.get(str(machine))
                    problem = problem_with(model, request) if model else None
                    if problem:
                        raise Invalid(f"the CLI started an execution the workflow refuses: {problem}") from None
                return "reached AWS"
    finally:
        names["AwsTarget"] = original
    if code == 2:
        line = err.getvalue()
        if len(line) > MESSAGE_LIMIT * 2:
            raise RuntimeError(f"a refusal of {len(line)} characters")
        raise ValueError(line)
    return code


_NAMES = st.one_of(st.text(max_size=40), st.sampled_from(["hulft-demo", "x;rm -rf /", "-rf", "a" * 5000]))
_NUMBERS = st.one_of(st.integers(-10, 4000).map(str), st.sampled_from(["0", "-1", "600", "1e3", "nan", "true"]))
CLI = Surface(
    "CLI arguments",
    st.one_of(
        st.tuples(st.just("setup"), st.just("--cluster"), _NAMES).map(list),
        st.tuples(
            st.just("drill"),
            st.just("--cluster"),
            _NAMES,
            st.just("--max-rto"),
            _NUMBERS,
            st.just("--takeover-timeout"),
        ).flatmap(lambda t: _NUMBERS.map(lambda n: [*t, n])),
        st.tuples(st.just("drill"), st.just("--fleet"), _NAMES).map(list),
        st.tuples(st.just("history"), st.just("--cluster"), _NAMES, st.just("--limit"), _NUMBERS).map(list),
        st.tuples(st.just("report"), _NAMES, st.just("--cluster"), st.just("hulft-demo")).map(list),
        st.tuples(st.just("drill"), st.just("--cluster"), st.just("hulft-demo"), st.just("--stop-alarm"), _NAMES).map(
            list
        ),
    ),
    run_cli,
    (ValueError,),
)

SURFACES = [CONFIG, EXECUTION_INPUT, SSM_PARAMETERS, PARSERS, ROUTES, CLI]
