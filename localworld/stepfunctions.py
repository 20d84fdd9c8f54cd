"""Seams in moto's Step Functions interpreter (LocalStack's, vendored under moto.stepfunctions.parser).

- Wait states block in ``WaitFunction._wait_interval(self, env, wait_seconds)``; it rounds the
  time waited to whole seconds, so it cannot simply be handed a fraction: it is replaced by a
  scaled wait that still wakes up when the execution is stopped.
- Retry backoff is ``time.sleep(interval)`` in ``retrier_decl``: that module's ``time`` is
  replaced by one whose ``sleep`` is scaled.
- Every Task builds a new boto3 client through ``boto_client_for`` (``boto3.client(...)``), which
  costs about as much as the call itself; that module's ``boto3`` is replaced by
  ``localworld.clients.INTERPRETER_BOTO3``, which hands out one client per service and region.
- The ``states:startExecution`` integration (the fleet drill's nested drills) takes the request in
  Step Functions' casing (``StateMachineArn``, ``Input``, ``Name``) and answers in it (``Status``,
  ``Output``, ``ExecutionArn``). LocalStack converts between that and boto3's casing in
  ``StateTaskService._normalise_parameters`` / ``_normalise_response``; moto's copy has both as
  no-ops, so its nested executions fail on ``KeyError: 'StateMachineArn'``. For the Step Functions
  integration only, the two are given LocalStack's conversion back (by the operation's shapes).
- ``GetExecutionHistory`` in moto ignores ``maxResults``, ``reverseOrder`` and ``nextToken``: every
  call deep-copies and serializes the whole history. A client following a long execution (the fleet
  drill's, with 50 drills' outputs in it, polled twice a second) then spends a quarter of the world's
  CPU on it. It is given AWS's paging instead (pages of ``maxResults``, 100 by default, at most 1000;
  newest first with ``reverseOrder``), reading only the page's events out of the event manager. moto's
  generic serializer then still cost more than the rest of the call (it walks the operation's shapes for
  every key of every event); the page's body is written directly (``history_json``), and the tests
  compare every such body with the serializer's (``HADRILL_CHECK_SHORTCUTS``).
- ``AmazonStateLanguageParser.parse(definition)`` (ANTLR lexing and parsing, then the preprocessor that
  builds the program's components, a tenth of a second for a drill definition) runs at CreateStateMachine,
  to validate, and again at the start of every execution (``ExecutionWorker._get_evaluation_entrypoint``).
  ``ParsedPrograms`` keeps the program validation built, and executions take it (see its docstring for
  why sharing the program between executions is safe).
- That parse predicts with ANTLR's full LL mode throughout; ``two_stage_parse`` tries the cheaper SLL mode
  first (stopping at the first syntax error) and parses again as moto does, LL with moto's error listener,
  only when SLL fails: ANTLR's two-stage strategy. ANTLR's contract for SLL is that it either builds the
  tree LL would have built or reports an error, so a definition SLL accepts gets the same program, and one
  it does not gets moto's answer, error messages included. SLL predicts a drill definition's parse in
  about half the time (a fleet of 50 creates 151 state machines).
- CreateStateMachine validates by parsing. A fleet's clusters create the same three definitions with
  only their Lambda function names changed; a state machine that is never run (a fleet drill runs no
  setup or switch) need not be parsed again to know it is valid. ``ValidatedShapes`` parses the first
  definition of each shape (the text with every Lambda function ARN's name masked) and lets later ones of
  that shape through unparsed; a definition is parsed anyway when its first execution starts. Only the
  name is masked: the ARN's service, region, account and ``function:`` (what decides an integration) stay,
  and a name is a plain string to the ASL lexer, so the mask never hides an error moto would report.
- That first execution's parse then lexed the whole text again for every cluster (lexing is most of a
  parse). ``ShapeTokens`` keeps each shape's tokens, and a definition of a known shape is parsed from them
  with its own function names put back into the tokens that held them.
- JSONPath expressions (``$.cluster``, ResultPath ...) are compiled by jsonpath_ng's parser (a PLY
  parser built anew for each call) every time a state reads or writes one: ``compiled_jsonpath``
  compiles each path once.
- The interpreter deep-copies the state's JSON value at every step (``$``, a path's value, the result,
  the stack), a drill's whole state several times per state: a tenth of a fleet's world CPU in
  ``copy.deepcopy``, which handles any Python object (memo, reductors). ``JSON_COPY`` stands in for the
  ``copy`` module of the modules listed in ``JSON_COPY_MODULES``: a JSON value (dicts, lists, strings,
  numbers, booleans, None) is copied by a plain recursion, anything else by ``copy.deepcopy`` itself.
"""

from __future__ import annotations

import copy
import functools
import importlib
import json
import os
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from botocore.model import OperationModel

from localworld.clients import shared_session
from localworld.json_copy import JSON_COPY as JSON_COPY  # the interpreter's copy module (patches.py)

SFN_TASK_MODULE = "moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service_sfn"
WAIT_MODULE = "moto.stepfunctions.parser.asl.component.state.wait.wait_function.wait_function"
RETRIER_MODULE = "moto.stepfunctions.parser.asl.component.common.retry.retrier_decl"
CLIENT_MODULE = "moto.stepfunctions.parser.asl.utils.boto_client"
PARSER_MODULE = "moto.stepfunctions.parser.asl.parse.asl_parser"
WORKER_MODULE = "moto.stepfunctions.parser.backend.execution_worker"
JSON_PATH_MODULE = "moto.stepfunctions.parser.asl.utils.json_path"  # extract_json: jsonpath_ng.ext's parse
RESULT_PATH_MODULE = "moto.stepfunctions.parser.asl.component.common.path.result_path"  # jsonpath_ng's parse
VALIDATION_BACKEND = "moto.stepfunctions.parser.models"  # StepFunctionsParserBackend._validate_definition
# A Lambda function ARN in a definition; its name is what differs between clusters.
_FUNCTION_ARN = re.compile(r"(arn:aws:lambda:[a-z0-9-]+:[0-9]{12}:function:)([A-Za-z0-9_-]{1,64})")
_MASKED_FUNCTION_ARN = re.compile(r"(arn:aws:lambda:[a-z0-9-]+:[0-9]{12}:function:)\*")
# The interpreter's modules whose ``copy.deepcopy`` copies JSON values (their ``copy`` becomes JSON_COPY).
JSON_COPY_MODULES = (
    "moto.stepfunctions.parser.asl.component.common.string.string_expression",
    "moto.stepfunctions.parser.asl.component.common.path.result_path",
    "moto.stepfunctions.parser.asl.eval.states",
    "moto.stepfunctions.parser.asl.component.state.exec.execute_state",
    "moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service",
    "moto.stepfunctions.parser.asl.component.state.exec.state_parallel.state_parallel",
    "moto.stepfunctions.parser.asl.component.state.exec.state_map.state_map",
    "moto.stepfunctions.parser.asl.eval.event.event_manager",
)
HISTORY_PAGE_DEFAULT = 100
HISTORY_PAGE_MAX = 1000
# Set by the tests: each body the world writes directly is checked against moto's serializer.
ENV_CHECK_SHORTCUTS = "HADRILL_CHECK_SHORTCUTS"
JSON_CONTENT_TYPE = "application/x-amz-json-1.0"  # Step Functions' protocol (awsJson1_0)


class ScaledTime:
    """Stands in for the ``time`` module inside the retrier: sleeps are scaled, the rest is time's."""

    def __init__(self, scale: float) -> None:
        self._scale = scale

    def sleep(self, seconds: float) -> None:
        time.sleep(max(0.0, seconds * self._scale))

    def __getattr__(self, name: str) -> Any:
        return getattr(time, name)


def scaled_wait_interval(scale: float) -> Any:
    """A replacement for ``WaitFunction._wait_interval`` that waits ``wait_seconds * scale``."""

    def _wait_interval(self: Any, env: Any, wait_seconds: float) -> None:
        deadline = time.monotonic() + max(0.0, wait_seconds * scale)
        # program_state_event is set when the execution stops: stop waiting then, as moto does.
        while env.is_running():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return
            env.program_state_event.wait(remaining)

    return _wait_interval


def _operation_model(task: Any, service_action_name: str | None) -> OperationModel | None:
    """The botocore operation behind a Step Functions task (``startExecution`` -> StartExecution)."""
    service = shared_session()._session.get_service_model(task._get_boto_service_name())
    wanted = task._get_boto_service_action(service_action_name)  # snake case, e.g. start_execution
    for name in service.operation_names:
        if _snake(name) == wanted:
            return service.operation_model(name)
    return None


def _snake(name: str) -> str:
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in name).lstrip("_")


def sfn_normalise_parameters(
    self: Any, parameters: dict[str, Any], boto_service_name: str | None = None, service_action_name: str | None = None
) -> None:
    """Replaces the no-op ``StateTaskService._normalise_parameters`` for the Step Functions task only:
    ASL casing -> boto3 casing (LocalStack's behaviour)."""
    operation = _operation_model(self, service_action_name)
    if operation is not None and operation.input_shape is not None:
        self._to_boto_request(parameters, operation.input_shape)


def sfn_normalise_response(
    self: Any, response: Any, boto_service_name: str | None = None, service_action_name: str | None = None
) -> None:
    """Replaces the no-op ``StateTaskService._normalise_response`` for the Step Functions task only:
    boto3 casing -> ASL casing (``executionArn`` -> ``ExecutionArn``, ``status`` -> ``Status``)."""
    operation = _operation_model(self, service_action_name)
    if operation is not None and operation.output_shape is not None:
        self._from_boto_response(response, operation.output_shape)


def history_page(response: Any) -> str:
    """Replaces ``StepFunctionResponse.get_execution_history``'s answer: one page of the execution's
    history as AWS pages it, as the JSON body moto's serializer would write (``history_json``). The token
    names the next event id to return (ids count from 1 in the order events were added), so a page read
    while the execution adds events neither repeats nor skips one. The page is written under the event
    manager's mutex (moto deep-copies the whole history under it)."""
    execution = response.stepfunction_backend.describe_execution(response._get_param("executionArn"))
    size = int(response._get_param("maxResults") or 0) or HISTORY_PAGE_DEFAULT
    if not 0 < size <= HISTORY_PAGE_MAX:
        raise ValueError(f"maxResults must be between 0 and {HISTORY_PAGE_MAX}, not {size}")
    reverse = bool(response._get_param("reverseOrder"))
    # includeExecutionData (AWS's default true): false leaves out each event's input and output.
    with_data = response._get_param("includeExecutionData") in (None, True)
    token = response._get_param("nextToken")
    start = None if token is None else int(token)
    env = execution.exec_worker.env if execution.exec_worker is not None else None
    if env is None:  # not started yet
        return history_json([], None, with_data=with_data)
    manager = env.event_manager
    with manager._mutex:
        events = manager._history_event_list
        count = len(events)
        if reverse:  # ids top, top-1, ... down to low+1 (event id n is events[n - 1])
            top = count if start is None else min(start, count)
            low = max(0, top - size)
            page, next_start = events[low:top][::-1], (low if low > 0 else None)
        else:
            first = 1 if start is None else start
            high = min(count, first - 1 + size)
            page, next_start = events[first - 1 : high], (high + 1 if high < count else None)
        return history_json(page, None if next_start is None else str(next_start), with_data=with_data)


def history_json(events: list[dict[str, Any]], next_token: str | None, *, with_data: bool) -> str:
    """The GetExecutionHistory body for ``events`` (moto's history events: dicts in the API's own names,
    the timestamp an ISO 8601 string). moto's generic serializer walks the operation's shapes for every
    key of every event, the largest share of a fleet follower's cost; the events already have the shapes'
    names, so the body is written directly: each timestamp as moto writes it (epoch seconds, to the
    millisecond) and, without data, no input or output. With HADRILL_CHECK_SHORTCUTS=1 (the tests) every
    body is compared with moto's serializer's, and a difference raises ``ShortcutDiverged``."""
    lean = [_history_event(event, with_data) for event in events]
    token = {} if next_token is None else {"nextToken": next_token}
    body = json.dumps({"events": [{**e, "timestamp": _epoch_seconds(e["timestamp"])} for e in lean], **token})
    if os.environ.get(ENV_CHECK_SHORTCUTS) == "1":
        _check_against_moto("GetExecutionHistory", {"events": copy.deepcopy(lean), **token}, body)
    return body


def _history_event(event: dict[str, Any], with_data: bool) -> dict[str, Any]:
    """The event's members that are set; without data, its details lose their input and output."""
    kept = {key: value for key, value in event.items() if value is not None}
    if not with_data:
        for key, value in kept.items():
            if key.endswith("EventDetails") and isinstance(value, dict):
                kept[key] = {k: v for k, v in value.items() if k not in ("input", "output")}
    return kept


@functools.lru_cache(maxsize=4096)
def _epoch_seconds(timestamp: str) -> int | float:
    """moto's own conversion of a history timestamp for the JSON protocol."""
    from botocore.utils import parse_to_aware_datetime
    from moto.core.serialize import TimestampSerializer

    return TimestampSerializer._timestamp_unixtimestamp(parse_to_aware_datetime(timestamp))


class ShortcutDiverged(AssertionError):
    """A body the world wrote directly differs from what moto's serializer writes for the same answer."""


def _check_against_moto(operation: str, answer: dict[str, Any], body: str) -> None:
    from moto.core.serialize import JSONSerializer, XFormedAttributePicker
    from moto.core.utils import get_service_model

    model = get_service_model("stepfunctions").operation_model(operation)
    serializer = JSONSerializer(operation_model=model, value_picker=XFormedAttributePicker())
    expected = str(serializer.serialize(answer)["body"])
    if json.loads(expected) != json.loads(body):
        raise ShortcutDiverged(f"{operation}: the world wrote {body[:300]}, moto's serializer {expected[:300]}")


class ShapeTokens:
    """The ASL lexer's tokens for each definition shape (see ``definition_shape``), so that a definition of a
    shape already lexed is not lexed again: its tokens are the shape's, with each masked function name put
    back. Lexing is most of a parse (ANTLR's Python lexer walks the text a character at a time; a drill
    definition is 20,000 characters), and a fleet's clusters run one drill definition with only their
    function names changed: each cluster's first execution parsed it whole.

    The tokens are the same because a masked ARN and the ARN it stands for lex alike: both are one JSON
    string starting ``"arn:aws:lambda:``, which only the generic STRING rule matches, and a function name
    is letters, digits, ``-`` and ``_``, plain characters to that rule. When the shape holds a ``function:*``
    that masked no name (a literal one), the count of names differs and the definition is lexed itself."""

    def __init__(self, max_entries: int = 32) -> None:
        self._lock = threading.Lock()
        self._tokens: OrderedDict[str, list[Any]] = OrderedDict()
        self.max_entries = max_entries
        self.lexed = 0  # shapes lexed
        self.reused = 0  # definitions of a shape lexed before

    def tokens(self, definition: str) -> list[Any] | None:
        """The definition's tokens made from its shape's (the shape lexed now if new), or None when the
        definition names no function or its names cannot be put back."""
        names = [match.group(2) for match in _FUNCTION_ARN.finditer(definition)]
        if not names:
            return None
        shape = definition_shape(definition)
        with self._lock:
            known = self._tokens.get(shape)
            if known is not None:
                self._tokens.move_to_end(shape)
                self.reused += 1
        if known is None:
            known = _lex(shape)
            with self._lock:
                self.lexed += 1
                self._tokens[shape] = known
                while len(self._tokens) > self.max_entries:
                    self._tokens.popitem(last=False)
        return self._put_back(known, names)

    def _put_back(self, shape_tokens: list[Any], names: list[str]) -> list[Any] | None:
        pending = iter(names)
        missing = False

        def name(match: re.Match[str]) -> str:
            nonlocal missing
            value = next(pending, None)
            missing = missing or value is None
            return f"{match.group(1)}{value}"

        tokens = []
        for token in shape_tokens:
            copy_of = token.clone()  # its own object: the parser numbers the tokens it reads
            if "function:*" in copy_of.text:
                copy_of.text = _MASKED_FUNCTION_ARN.sub(name, copy_of.text)
            tokens.append(copy_of)
        if missing or next(pending, None) is not None:
            return None
        return tokens


def _lex(text: str) -> list[Any]:
    """Every token of ``text``, the lexer's own end-of-file token last (as a parser reading the lexer sees it)."""
    from antlr4 import InputStream, Token

    lexer = importlib.import_module(PARSER_MODULE).ASLLexer(InputStream(text))
    tokens = [lexer.nextToken()]
    while tokens[-1].type != Token.EOF:
        tokens.append(lexer.nextToken())
    return tokens


SHAPE_TOKENS = ShapeTokens()


def two_stage_parse(definition: str, shape_tokens: ShapeTokens | None = SHAPE_TOKENS) -> tuple[Any, Any]:
    """``AmazonStateLanguageParser.parse(definition)``'s answer (program, tree), predicted in SLL mode when
    that succeeds; otherwise moto's own parse (LL, its error listener and exception) on the same tokens.
    The tokens are the definition's shape's when ``shape_tokens`` has them (a definition they do not
    parse is lexed and parsed again from its own text, for moto's own errors and positions)."""
    from antlr4 import CommonTokenStream, InputStream
    from antlr4.atn.PredictionMode import PredictionMode
    from antlr4.error.Errors import ParseCancellationException
    from antlr4.error.ErrorStrategy import BailErrorStrategy
    from antlr4.ListTokenSource import ListTokenSource

    asl = importlib.import_module(PARSER_MODULE)
    reused = shape_tokens.tokens(definition) if shape_tokens is not None else None
    source = asl.ASLLexer(InputStream(definition)) if reused is None else ListTokenSource(reused)
    stream = CommonTokenStream(source)
    parser = asl.ASLParser(stream)
    parser.removeErrorListeners()
    parser._errHandler = BailErrorStrategy()
    parser._interp.predictionMode = PredictionMode.SLL
    try:
        tree = parser.state_machine()
    except ParseCancellationException:
        if reused is not None:
            return two_stage_parse(definition, None)
        # A syntax error, or input that needs full LL: the second stage is moto's parse, token for token.
        stream.seek(0)
        errors = asl.SyntaxErrorListener()
        parser = asl.ASLParser(stream)
        parser.removeErrorListeners()
        parser.addErrorListener(errors)
        tree = parser.state_machine()
        if errors.errors:
            raise asl.ASLParserException(errors=errors.errors) from None
    return asl.Preprocessor().visit(tree), tree


def definition_shape(definition: str) -> str:
    """The definition with every Lambda function ARN's name masked: what validation depends on."""
    return _FUNCTION_ARN.sub(r"\1*", definition)


class ValidatedShapes:
    """Stands in for ``StepFunctionsParserBackend._validate_definition``: validates (moto's parse, its
    errors) the first definition of each shape, and passes later definitions of a shape already valid."""

    def __init__(self, validate: Callable[[str], None]) -> None:
        self._validate = validate
        self._lock = threading.Lock()
        self._valid: set[str] = set()
        self.validated = 0  # definitions parsed to validate them
        self.passed = 0  # definitions passed by their shape

    def __call__(self, definition: str) -> None:
        shape = definition_shape(definition)
        with self._lock:
            if shape in self._valid:
                self.passed += 1
                return
        self._validate(definition)  # raises InvalidDefinition as moto does
        with self._lock:
            self._valid.add(shape)
            self.validated += 1


class ParsedPrograms:
    """Each definition text parsed once for every execution of it. Two seams use it:

    - ``AmazonStateLanguageParser.parse`` (CreateStateMachine's validation; any other caller) still
      parses, and answers as moto's does, but the program it built is kept;
    - ``ExecutionWorker._get_evaluation_entrypoint`` (the start of every execution) takes the kept
      program of its definition, parsing only when there is none.

    So a state machine is parsed once however often it runs: at creation, or, when ValidatedShapes passed
    it by its shape, at its first execution. Only the program is kept, not
    the parse tree: a drill definition's tree (its tokens, the ANTLR contexts) weighs about a megabyte
    against the program's 0.15 MB, and nothing but the parser's callers uses it, once.

    Sharing the program between executions is what moto's interpreter already does within one: a Map's
    iterations, run on threads at once, all evaluate the one iterator program. The components keep
    nothing of an evaluation on themselves (its state is in the execution's Environment: stack, heap,
    context object); the one exception is ``EvalComponent.heap_key``, a name made on first use, which
    is made for every component here, before the program is shared, so two executions cannot race to
    give one component two names.

    Keyed by the text itself (not a hash of it): a different definition parses again. Bounded at
    ``max_entries`` (least recently used first out), so a long-lived process creating machines with
    ever new definitions (the test suite) keeps only the latest. A definition that fails to parse is
    not kept: every caller gets the parser's own error.
    """

    def __init__(self, parse: Callable[[str], tuple[Any, Any]], max_entries: int = 512) -> None:
        if max_entries < 1:
            raise ValueError("max_entries must be at least 1")
        self._parse = parse
        self.max_entries = max_entries
        self._lock = threading.Lock()
        self._programs: OrderedDict[str, Any] = OrderedDict()
        self.parsed = 0  # definitions parsed
        self.reused = 0  # executions that took a kept program

    def parse(self, definition: str) -> tuple[Any, Any]:
        """Stands in for ``AmazonStateLanguageParser.parse``: moto's answer, its program kept."""
        program, tree = self._parse(definition)
        self._keep(definition, program)
        return program, tree

    def program(self, definition: str) -> Any:
        """The program of ``definition``: the kept one, or parsed now (and kept)."""
        with self._lock:
            program = self._programs.get(definition)
            if program is not None:
                self._programs.move_to_end(definition)
                self.reused += 1
                return program
        # Parsed outside the lock: it takes a tenth of a second, and other definitions need not wait.
        # Two executions parsing one new text at once each get a good program; the first one kept stays.
        return self._keep(definition, self._parse(definition)[0])

    def _keep(self, definition: str, program: Any) -> Any:
        name_components(program)
        with self._lock:
            self.parsed += 1
            kept = self._programs.setdefault(definition, program)
            self._programs.move_to_end(definition)
            while len(self._programs) > self.max_entries:
                self._programs.popitem(last=False)
        return kept

    def __len__(self) -> int:
        return len(self._programs)


def name_components(program: Any) -> None:
    """Give every evaluation component reachable from ``program`` its ``heap_key`` now (see
    ParsedPrograms). Components reference each other through attributes, lists, tuples and dicts."""
    from moto.stepfunctions.parser.asl.component.component import Component
    from moto.stepfunctions.parser.asl.component.eval_component import EvalComponent

    seen: set[int] = set()
    pending: list[Any] = [program]
    while pending:
        item = pending.pop()
        if id(item) in seen:
            continue
        seen.add(id(item))
        if isinstance(item, EvalComponent):
            _ = item.heap_key
        if isinstance(item, Component):
            pending.extend(vars(item).values())
        elif isinstance(item, list | tuple | set | frozenset):
            pending.extend(item)
        elif isinstance(item, dict):
            pending.extend(item.values())


def compiled_jsonpath(parse: Callable[[str], Any], maxsize: int = 1024) -> Callable[[str], Any]:
    """``parse`` (jsonpath_ng's, or its extended parser's) with each path compiled once. A compiled
    path is not changed by ``find`` or ``update_or_create``, so one object serves every caller; the
    paths come from definitions, a few hundred at most (bounded all the same)."""
    return functools.lru_cache(maxsize=maxsize)(parse)
