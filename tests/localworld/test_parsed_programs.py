"""Definitions parsed once, JSONPath compiled once, moto's dispatch lookup kept, the deployed graph
frozen: the world's CPU savings for a fleet drill (issue 18), and that executions behave as before."""

from __future__ import annotations

import gc
import importlib
import json
import re
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError
from lw_support import lambda_task, machine  # type: ignore[import-not-found]

from localworld import LocalWorld
from localworld.dispatch import RESPONSES_MODULE, MethodNames, RequestJson
from localworld.stepfunctions import JSON_PATH_MODULE, PARSER_MODULE, ParsedPrograms, ShapeTokens, two_stage_parse

STATE_MACHINES = Path(__file__).resolve().parents[2] / "statemachines"

COPY_STATES: dict[str, Any] = {
    # JSONPath in Parameters, ResultSelector, ResultPath and a Choice: all read per execution.
    "Copy": {"Type": "Pass", "Parameters": {"n.$": "$.n", "fixed": "x"}, "ResultPath": "$.copied", "Next": "Echo"},
    "Echo": lambda_task("Which", ResultSelector={"echoed.$": "$.copied.n"}, ResultPath="$.echo"),
    "Which": {
        "Type": "Choice",
        "Choices": [{"Variable": "$.n", "NumericEquals": 1, "Next": "One"}],
        "Default": "Other",
    },
    "One": {"Type": "Pass", "Result": "one", "ResultPath": "$.which", "End": True},
    "Other": {"Type": "Pass", "Result": "other", "ResultPath": "$.which", "End": True},
}


def _programs(world: LocalWorld) -> ParsedPrograms:
    assert world.parsed_programs is not None
    return world.parsed_programs


def test_executions_of_one_definition_parse_it_once_with_their_own_results(world: LocalWorld) -> None:
    fn = world.add_lambda("echo", "lw_handlers.echo")
    programs = _programs(world)
    before = programs.parsed
    arn = machine(world, "copy", COPY_STATES, "Copy", Fn=fn)
    assert programs.parsed == before + 1  # CreateStateMachine's validation

    # Started together, so the two run the one program at the same time.
    first = world.start_execution(arn, {"n": 1}, name="copy-1")
    second = world.start_execution(arn, {"n": 2}, name="copy-2")
    one, two = world.wait_execution(first), world.wait_execution(second)

    assert programs.parsed == before + 1  # neither execution parsed the definition again
    assert len(programs) >= 1  # the programs, without their parse trees
    assert programs.reused >= 2
    assert one.output == {"n": 1, "copied": {"n": 1, "fixed": "x"}, "echo": {"echoed": 1}, "which": "one"}
    assert two.output == {"n": 2, "copied": {"n": 2, "fixed": "x"}, "echo": {"echoed": 2}, "which": "other"}
    assert one.states_entered == [*two.states_entered[:-1], "One"]


def test_a_changed_definition_is_parsed_again(world: LocalWorld) -> None:
    programs = _programs(world)
    before = programs.parsed
    first = machine(world, "a", {"P": {"Type": "Pass", "Result": {"v": "a"}, "End": True}}, "P")
    second = machine(world, "b", {"P": {"Type": "Pass", "Result": {"v": "b"}, "End": True}}, "P")
    assert programs.parsed == before + 2
    assert world.run_execution(first, {}, name="a-1").output == {"v": "a"}
    assert world.run_execution(second, {}, name="b-1").output == {"v": "b"}
    assert programs.parsed == before + 2


def test_a_definition_differing_only_in_function_names_is_not_parsed_until_it_runs(world: LocalWorld) -> None:
    """A fleet's clusters create one definition with their own functions: validated once per shape."""
    first_fn, second_fn = (
        world.add_lambda("shape-a", "lw_handlers.echo"),
        world.add_lambda("shape-b", "lw_handlers.echo"),
    )
    programs, shapes = _programs(world), world.validated_shapes
    assert shapes is not None
    states = {"Echo": lambda_task(Comment="shape test")}
    parsed, passed = programs.parsed, shapes.passed
    first = machine(world, "shape-1", states, "Echo", Fn=first_fn)
    assert (programs.parsed, shapes.passed) == (parsed + 1, passed)  # the first of its shape: parsed
    second = machine(world, "shape-2", states, "Echo", Fn=second_fn)
    assert (programs.parsed, shapes.passed) == (parsed + 1, passed + 1)  # same shape: passed unparsed
    # It runs its own function: parsed at its first execution, from its own text.
    assert world.run_execution(second, {"v": 2}, name="shape-2-1").output == {"v": 2}
    assert world.run_execution(first, {"v": 1}, name="shape-1-1").output == {"v": 1}
    assert programs.parsed == parsed + 2


@pytest.mark.parametrize(
    ("broken", "said"),
    [
        ({"Echo": {**lambda_task(), "Next": "Nowhere"}}, "Next redefines End"),  # same function, End and Next
        ({"Echo": lambda_task(Retry="always")}, "CreateStateMachine"),  # Retry must be a list
    ],
)
def test_a_broken_definition_is_refused_as_moto_refuses_it(
    world: LocalWorld, broken: dict[str, Any], said: str
) -> None:
    """After a valid definition of the same function: a changed shape is validated, and refused."""
    fn = world.add_lambda("shape-c", "lw_handlers.echo")
    machine(world, "shape-ok", {"Echo": lambda_task()}, "Echo", Fn=fn)
    with pytest.raises(ClientError, match=said):
        machine(world, "shape-broken", broken, "Echo", Fn=fn)


def test_retries_count_per_execution_on_a_shared_program(world: LocalWorld) -> None:
    # Retry keeps its attempt count and backoff in the execution's heap, under the component's heap_key:
    # a program shared by two executions must not let one's attempts use up the other's.
    fn = world.add_lambda("flaky", "lw_handlers.flaky")
    retry = [{"ErrorEquals": ["TransientError"], "IntervalSeconds": 1, "BackoffRate": 2.0, "MaxAttempts": 2}]
    arn = machine(world, "flaky-shared", {"Try": lambda_task(Retry=retry)}, "Try", Fn=fn)
    for key in ("shared-1", "shared-2"):
        result = world.run_execution(arn, {"key": key, "failures": 2}, name=key)
        assert result.succeeded and result.output == {"attempts": 3}


def test_an_invalid_definition_is_refused_every_time(world: LocalWorld) -> None:
    programs = _programs(world)
    size = len(programs)
    for name in ("bad-1", "bad-2"):
        with pytest.raises(ClientError, match="ASLParserException"):
            world.create_state_machine(name, json.dumps({"StartAt": "X", "States": {"X": {"Type": "Nope"}}}))
    assert len(programs) == size  # a failed parse is not kept


def test_programs_are_kept_bounded_least_recently_used_first() -> None:
    calls: list[str] = []

    def parse(definition: str) -> tuple[Any, Any]:
        calls.append(definition)
        return [definition], f"tree of {definition}"

    programs = ParsedPrograms(parse, max_entries=2)
    assert programs.parse("a") == (["a"], "tree of a")  # the parser's answer, tree and all
    a = programs.program("a")
    assert a == ["a"] and calls == ["a"]  # kept from the parse
    programs.program("b")
    assert programs.program("a") is a  # a is now the most recently used
    programs.program("c")  # b goes
    assert len(programs) == 2
    assert programs.program("a") is a
    programs.program("b")
    assert calls == ["a", "b", "c", "b"]
    assert (programs.parsed, programs.reused) == (4, 3)
    with pytest.raises(ValueError):
        ParsedPrograms(parse, max_entries=0)


def test_every_component_is_named_before_the_program_is_shared(world: LocalWorld) -> None:
    # heap_key is made on first use: ParsedPrograms makes it for every component at parse time. Found
    # by what the parse created (gc), not by the walk under test.
    from moto.stepfunctions.parser.asl.component.eval_component import EvalComponent

    parser = importlib.import_module(PARSER_MODULE).AmazonStateLanguageParser
    function = "arn:aws:lambda:us-east-1:123456789012:function:f"
    definition = json.dumps({"StartAt": "Copy", "States": COPY_STATES}).replace("${Fn}", function)
    known = {id(o) for o in gc.get_objects() if isinstance(o, EvalComponent)}
    program, _ = parser.parse(definition)
    created = [o for o in gc.get_objects() if isinstance(o, EvalComponent) and id(o) not in known]
    assert len(created) > 20
    assert all(o.__dict__.get("_EvalComponent__heap_key") for o in created)
    assert _programs(world).program(definition) is program  # the one executions of it will run


def test_jsonpath_is_compiled_once_per_path(world: LocalWorld) -> None:
    module = importlib.import_module(JSON_PATH_MODULE)
    compiled = module.parse
    assert compiled("$.a.b") is compiled("$.a.b")
    assert compiled.cache_info().hits >= 1
    assert module.extract_json("$.a.b", {"a": {"b": 7}}) == 7


def test_the_world_undoes_its_caches_at_close() -> None:
    parser = importlib.import_module(PARSER_MODULE).AmazonStateLanguageParser
    responses = importlib.import_module(RESPONSES_MODULE)
    json_path = importlib.import_module(JSON_PATH_MODULE)
    originals = (parser.__dict__["parse"], responses.method_names_from_class, json_path.parse, responses.json)
    with LocalWorld() as world:
        assert isinstance(responses.method_names_from_class, MethodNames)
        assert world.parsed_programs is not None
    assert (parser.__dict__["parse"], responses.method_names_from_class, json_path.parse, responses.json) == originals


def test_dispatch_names_are_found_once_per_class_until_it_changes() -> None:
    found: list[type] = []

    def find(clazz: Any) -> list[str]:
        found.append(clazz)
        return sorted(k for k, v in vars(clazz).items() if callable(v))

    class Answers:
        def describe(self) -> None: ...

    names = MethodNames(find)
    assert names(Answers) == {"describe"} and names(Answers) == {"describe"}
    assert found == [Answers]
    Answers.listing = lambda self: None  # type: ignore[attr-defined]  # a patch adding an action
    assert names(Answers) == {"describe", "listing"}
    del Answers.listing  # type: ignore[attr-defined]  # and its undoing
    assert names(Answers) == {"describe"}
    assert found == [Answers] * 3


def test_a_request_body_is_parsed_once_and_each_read_gets_its_own_copy() -> None:
    request_json = RequestJson()
    body = json.dumps({"Name": "doc", "Tags": [{"Key": "a", "Value": "1"}], "Content": "x" * 1000})
    first, second = request_json.loads(body)["Tags"], request_json.loads(body)["Tags"]
    assert first == second == [{"Key": "a", "Value": "1"}] and request_json.parsed == 1
    first.append("changed by a caller")
    assert request_json.loads(body)["Tags"] == [{"Key": "a", "Value": "1"}]
    assert request_json.loads("".join(body)) == json.loads(body)  # an equal text, another string object
    with pytest.raises(ValueError):
        request_json.loads("{broken")
    assert request_json.loads(body)["Name"] == "doc" and request_json.dumps([1]) == "[1]"


def test_create_document_parses_its_body_once(world: LocalWorld) -> None:
    responses = importlib.import_module(RESPONSES_MODULE)
    assert isinstance(responses.json, RequestJson)
    before = responses.json.parsed
    content = json.dumps(
        {
            "schemaVersion": "2.2",
            "mainSteps": [{"action": "aws:runShellScript", "name": "x", "inputs": {"runCommand": ["true"]}}],
        }
    )
    world.client("ssm").create_document(Content=content, Name="once", DocumentType="Command", DocumentFormat="JSON")
    assert responses.json.parsed == before + 1  # moto reads Content, Name, DocumentType ... from one parse


def test_added_response_methods_still_answer(world: LocalWorld) -> None:
    # install_ssm adds DescribeInstanceInformation to moto's SSM responses; the cached lookup sees it.
    listed = world.client("ssm").describe_instance_information()["InstanceInformationList"]
    assert {item["InstanceId"] for item in listed} == set(world.instance_ids)


def test_freeze_deployed_is_undone_at_close() -> None:
    before = gc.get_freeze_count()
    with LocalWorld() as world:
        world.freeze_deployed()
        assert gc.get_freeze_count() > before
    assert gc.get_freeze_count() == 0


def _shape(value: Any, seen: dict[int, int]) -> Any:
    """A program as plain data: each object's type and attributes (shared and cyclic references by
    the order they were first met), so two parses compare with ==."""
    if value is None or isinstance(value, str | int | float | bool | bytes):
        return value
    if id(value) in seen:
        return ("seen", seen[id(value)])
    seen[id(value)] = len(seen)
    if isinstance(value, list | tuple):
        return (type(value).__name__, [_shape(item, seen) for item in value])
    if isinstance(value, dict):
        return ("dict", [(_shape(k, seen), _shape(v, seen)) for k, v in value.items()])
    if isinstance(value, type) or not hasattr(value, "__dict__"):
        return (type(value).__qualname__, repr(value))
    return (type(value).__qualname__, [(k, _shape(v, seen)) for k, v in vars(value).items()])


@pytest.mark.parametrize("path", sorted(STATE_MACHINES.glob("*.asl.json")), ids=lambda p: p.name)
def test_two_stage_parse_builds_the_program_moto_builds(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every project definition: SLL alone accepts it (moto's error listener is never made), and the
    program is the one moto's LL parse builds, component for component."""
    parser = importlib.import_module(PARSER_MODULE)
    definition = path.read_text()
    moto_program, _ = parser.AmazonStateLanguageParser.parse(definition)
    second_stage: list[object] = []

    class Listener(parser.SyntaxErrorListener):  # type: ignore[misc,name-defined]
        def __init__(self) -> None:
            super().__init__()
            second_stage.append(self)

    monkeypatch.setattr(parser, "SyntaxErrorListener", Listener)
    program, tree = two_stage_parse(definition)
    assert second_stage == []
    assert _shape(program, {}) == _shape(moto_program, {})
    assert tree.getText() == parser.AmazonStateLanguageParser.parse(definition)[1].getText()


def _with_functions(definition: str, cluster: str) -> str:
    """A project definition as a cluster deploys it: each ``${...FunctionArn}`` a Lambda function ARN."""
    arn = f"arn:aws:lambda:us-east-1:123456789012:function:{cluster}-"
    return re.sub(r"\$\{(\w+)\}", lambda match: arn + match.group(1)[:40], definition)


@pytest.mark.parametrize("path", sorted(STATE_MACHINES.glob("*.asl.json")), ids=lambda p: p.name)
def test_a_definition_of_a_lexed_shape_gets_the_program_moto_builds(path: Path) -> None:
    """A fleet's second cluster: its definition is parsed from the first cluster's tokens with its own
    function names put back, and the program and tree are the ones moto's own parse of its text builds."""
    parser = importlib.import_module(PARSER_MODULE)
    shape_tokens = ShapeTokens()
    first, second = (_with_functions(path.read_text(), cluster) for cluster in ("hulft-demo-01", "hulft-demo-02"))
    two_stage_parse(first, shape_tokens)
    program, tree = two_stage_parse(second, shape_tokens)
    assert (shape_tokens.lexed, shape_tokens.reused) == (1, 1)
    moto_program, moto_tree = parser.AmazonStateLanguageParser.parse(second)
    assert _shape(program, {}) == _shape(moto_program, {})
    assert tree.getText() == moto_tree.getText() and "hulft-demo-02-" in tree.getText()
    assert "hulft-demo-01-" not in tree.getText()


def test_a_shape_with_a_literal_masked_name_is_lexed_itself() -> None:
    # "function:*" already in the text: the shape has one more masked name than the definition has names.
    shape_tokens = ShapeTokens()
    arn = "arn:aws:lambda:us-east-1:123456789012:function:"
    states = {
        "A": {"Type": "Pass", "Result": f"{arn}*", "Next": "B"},
        "B": {"Type": "Task", "Resource": f"{arn}b", "End": True},
    }
    definition = json.dumps({"StartAt": "A", "States": states})
    assert shape_tokens.tokens(definition) is None
    program, _ = two_stage_parse(definition, shape_tokens)
    moto_program, _ = importlib.import_module(PARSER_MODULE).AmazonStateLanguageParser.parse(definition)
    assert _shape(program, {}) == _shape(moto_program, {})


@pytest.mark.parametrize(
    "definition",
    [
        '{"StartAt": "X", "States": {"X": {"Type": "Pass", "End": true},}}',  # a trailing comma
        '{"StartAt": "X", "States": {"X": {"Type": "Nope"}}}',
        '{"StartAt": "X" "States": {}}',
        "{",
    ],
)
def test_two_stage_parse_refuses_as_moto_does(definition: str) -> None:
    """A definition SLL refuses goes to the second stage: moto's errors, word for word."""
    parser = importlib.import_module(PARSER_MODULE)
    with pytest.raises(parser.ASLParserException) as moto_refusal:
        parser.AmazonStateLanguageParser.parse(definition)
    with pytest.raises(parser.ASLParserException) as refusal:
        two_stage_parse(definition)
    assert refusal.value.errors == moto_refusal.value.errors and refusal.value.errors
