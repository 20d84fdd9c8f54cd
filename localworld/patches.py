"""Every patch the world puts on moto, each one a ``mock.patch.object`` entered on the world's
ExitStack so that closing the world undoes it. Which moto function each replaces, and why, is
said here; the behaviour behind them lives in lambdas, ssm, ssm_api and stepfunctions.
"""

from __future__ import annotations

import importlib
import os
import sys
import threading
from collections.abc import Callable, Mapping
from contextlib import ExitStack
from typing import Any
from unittest import mock

from moto.awslambda import models as lambda_models
from moto.core.responses import ActionResult
from moto.ec2.models import instances as ec2_instances
from moto.sns import models as sns_models
from moto.ssm import models as ssm_models
from moto.ssm import responses as ssm_responses
from moto.ssm.exceptions import SSMException
from moto.stepfunctions import responses as sfn_responses

from localworld import dispatch, scheduler, ssm_api, stepfunctions
from localworld.clients import INTERPRETER_BOTO3
from localworld.lambdas import ThreadEnviron, ThreadOutput, invoke_in_process
from localworld.protocol import NodeBackend
from localworld.ssm import SsmDelivery


def _patch(stack: ExitStack, target: Any, name: str, replacement: Any, *, create: bool = False) -> None:
    stack.enter_context(mock.patch.object(target, name, replacement, create=create))


def install_lambda(
    stack: ExitStack, on_invoke: Callable[[str], None], on_logs: Callable[[str, str], None] = lambda n, t: None
) -> None:
    """``LambdaFunction._invoke_lambda`` (moto's Docker runner) -> the handler, in this process;
    ``os.environ`` -> a per-thread view, so each handler sees its own function's environment;
    ``sys.stdout``/``sys.stderr`` -> per-thread, so a handler's prints become its function's log."""
    environ = ThreadEnviron(os.environ)
    output = (ThreadOutput(sys.stdout), ThreadOutput(sys.stderr))

    def _invoke_lambda(function: Any, event: Any = None) -> tuple[str, bool, str]:
        return invoke_in_process(function, event, environ, on_invoke, output, on_logs)

    _patch(stack, os, "environ", environ)
    _patch(stack, sys, "stdout", output[0])
    _patch(stack, sys, "stderr", output[1])
    _patch(stack, lambda_models.LambdaFunction, "_invoke_lambda", _invoke_lambda)


def install_lambda_runner(
    stack: ExitStack,
    runner: Callable[[Any, Any], tuple[str, bool, str]],
    on_invoke: Callable[[str], None],
    on_logs: Callable[[str, str], None],
) -> None:
    """``LambdaFunction._invoke_lambda`` -> ``runner(function, event)`` (the deployed code, in processes
    of its own: nothing of this process's environment or output is shared, so nothing is patched)."""

    def _invoke_lambda(function: Any, event: Any = None) -> tuple[str, bool, str]:
        on_invoke(function.function_name)
        payload, errored, logs = runner(function, event)
        on_logs(function.function_name, logs)
        return payload, errored, logs

    _patch(stack, lambda_models.LambdaFunction, "_invoke_lambda", _invoke_lambda)


def install_stepfunctions(
    stack: ExitStack, time_scale: float
) -> tuple[stepfunctions.ParsedPrograms, stepfunctions.ValidatedShapes]:
    """Scaled Wait and Retry, shared clients for Task states, AWS's paging of execution histories,
    definitions parsed once (SLL first), validated once per shape, JSONPath compiled once and JSON values
    copied as JSON (see localworld.stepfunctions). Returns the parsed programs' cache and the validated shapes."""
    parser_cls = importlib.import_module(stepfunctions.PARSER_MODULE).AmazonStateLanguageParser
    worker_cls = importlib.import_module(stepfunctions.WORKER_MODULE).ExecutionWorker
    programs = stepfunctions.ParsedPrograms(stepfunctions.two_stage_parse)

    def evaluation_entrypoint(worker: Any) -> Any:
        return programs.program(worker._evaluation_details.state_machine_details.definition)

    # A staticmethod, as moto's is: moto calls it on the class, and so do its static analysers.
    _patch(stack, parser_cls, "parse", staticmethod(programs.parse))
    backend_cls = importlib.import_module(stepfunctions.VALIDATION_BACKEND).StepFunctionsParserBackend
    shapes = stepfunctions.ValidatedShapes(backend_cls._validate_definition)
    _patch(stack, backend_cls, "_validate_definition", staticmethod(shapes))
    _patch(stack, worker_cls, "_get_evaluation_entrypoint", evaluation_entrypoint)
    for module_name in (stepfunctions.JSON_PATH_MODULE, stepfunctions.RESULT_PATH_MODULE):
        module = importlib.import_module(module_name)
        _patch(stack, module, "parse", stepfunctions.compiled_jsonpath(module.parse))
    wait_module = importlib.import_module(stepfunctions.WAIT_MODULE)
    retrier_module = importlib.import_module(stepfunctions.RETRIER_MODULE)
    client_module = importlib.import_module(stepfunctions.CLIENT_MODULE)
    sfn_task = importlib.import_module(stepfunctions.SFN_TASK_MODULE).StateTaskServiceSfn
    _patch(stack, wait_module.WaitFunction, "_wait_interval", stepfunctions.scaled_wait_interval(time_scale))
    _patch(stack, retrier_module, "time", stepfunctions.ScaledTime(time_scale))
    _patch(stack, client_module, "boto3", INTERPRETER_BOTO3)
    for module_name in stepfunctions.JSON_COPY_MODULES:
        _patch(stack, importlib.import_module(module_name), "copy", stepfunctions.JSON_COPY)
    # Set on the Step Functions task class itself (create=True: moto defines them on the base class),
    # so no other integration's request or response changes.
    _patch(stack, sfn_task, "_normalise_response", stepfunctions.sfn_normalise_response, create=True)
    _patch(stack, sfn_task, "_normalise_parameters", _sfn_parameters(sfn_task), create=True)

    def get_execution_history(response: Any) -> tuple[int, dict[str, str], str]:
        return 200, {"Content-Type": stepfunctions.JSON_CONTENT_TYPE}, stepfunctions.history_page(response)

    _patch(stack, sfn_responses.StepFunctionResponse, "get_execution_history", get_execution_history)
    return programs, shapes


def _sfn_parameters(sfn_task: type) -> Callable[..., None]:
    """StateTaskServiceSfn's own _normalise_parameters (it JSON-encodes Input, then calls its base
    class's) with the base class's no-op replaced by the casing conversion."""
    own = sfn_task.__dict__["_normalise_parameters"]

    def normalise(
        self: Any, parameters: dict[str, Any], boto_service_name: Any = None, service_action_name: Any = None
    ) -> None:
        own(self, parameters, boto_service_name, service_action_name)
        stepfunctions.sfn_normalise_parameters(self, parameters, boto_service_name, service_action_name)

    return normalise


def install_ssm(
    stack: ExitStack,
    delivery: SsmDelivery,
    check_send: Callable[[str | None, dict[str, list[str]], list[str]], None],
    nodes: Mapping[str, NodeBackend],
    private_ips: Mapping[str, str],
) -> None:
    """Run Command on the simulated nodes (see localworld.ssm) and the SSM actions moto lacks."""
    command_cls = ssm_models.Command
    original_get = command_cls.get_invocation
    original_view = command_cls.response_object
    original_send = ssm_models.SimpleSystemManagerBackend.send_command
    original_targets = command_cls._get_instance_ids_from_targets

    def invocation_response(command: Any, instance_id: str, plugin_name: str) -> dict[str, Any]:
        return delivery.start_invocation(command, instance_id, plugin_name)

    def get_invocation(command: Any, instance_id: str, plugin_name: str | None) -> dict[str, Any]:
        return delivery.read_invocation(original_get, command, instance_id, plugin_name)

    def response_object(command: Any) -> dict[str, Any]:
        return delivery.command_view(original_view, command)

    def instance_ids_from_targets(command: Any) -> list[str]:
        # moto turns "no Targets" into "no filters", i.e. every EC2 instance in the region.
        return original_targets(command) if command.targets else []

    def send_command(backend: Any, **kwargs: Any) -> Any:
        # Refuse before moto builds the Command: its constructor already starts the invocations.
        check_send(kwargs.get("document_name"), kwargs.get("parameters") or {}, kwargs.get("instance_ids") or [])
        command = original_send(backend, **kwargs)
        delivery.count_send()
        return command

    def describe_instance_information(response: Any) -> ActionResult:
        try:
            return ActionResult(ssm_api.instance_information(nodes, response._get_param, private_ips))
        except ssm_api.UnsupportedFilterError as exc:
            raise SSMException("InvalidInstanceInformationFilterValue", str(exc)) from exc

    def list_command_invocations(response: Any) -> ActionResult:
        commands = response.ssm_backend.list_commands(response._get_param("CommandId"), None)
        instance_id = response._get_param("InstanceId")
        return ActionResult(ssm_api.command_invocations(commands, instance_id, bool(response._get_param("Details"))))

    def cancel_command(response: Any) -> ActionResult:
        command = response.ssm_backend.get_command_by_id(response._get_param("CommandId"))
        delivery.cancel(command, response._get_param("InstanceIds"))
        return ActionResult({})

    _patch(stack, command_cls, "_get_instance_ids_from_targets", instance_ids_from_targets)
    _patch(stack, command_cls, "invocation_response", invocation_response)
    _patch(stack, command_cls, "get_invocation", get_invocation)
    _patch(stack, command_cls, "response_object", response_object)
    _patch(stack, ssm_models.SimpleSystemManagerBackend, "send_command", send_command)
    # moto dispatches an action to the response method of that name, found afresh on each call
    # (moto.core.utils.method_names_from_class): added methods answer, removed ones vanish.
    responses = ssm_responses.SimpleSystemManagerResponse
    _patch(stack, responses, "describe_instance_information", describe_instance_information, create=True)
    _patch(stack, responses, "list_command_invocations", list_command_invocations, create=True)
    _patch(stack, responses, "cancel_command", cancel_command, create=True)


def install_ec2(stack: ExitStack, backend_for: Callable[[str], NodeBackend | None]) -> None:
    """``InstanceBackend.stop/start/reboot_instances``: moto acts, then the simulated node does."""
    for method, action in (
        ("stop_instances", "stop_instance"),
        ("start_instances", "start_instance"),
        ("reboot_instances", "reboot_instance"),
    ):
        original = getattr(ec2_instances.InstanceBackend, method)
        _patch(stack, ec2_instances.InstanceBackend, method, _forwarding(original, action, backend_for))


def _forwarding(original: Any, action: str, backend_for: Callable[[str], NodeBackend | None]) -> Any:
    def method(ec2: Any, instance_ids: list[str], *args: Any) -> Any:
        result = original(ec2, instance_ids, *args)  # moto validates the ids first
        for instance_id in instance_ids:
            node = backend_for(instance_id)
            if node is not None:
                getattr(node, action)(instance_id)
        return result

    return method


def fixed_instance_id(instance_id: str) -> Any:
    """moto draws EC2 instance ids from ``random_instance_id`` with no override (unlike resources
    that honour the ``_custom_id_`` tag): hand it the simulator's id for one run_instances call."""
    return mock.patch.object(ec2_instances, "random_instance_id", lambda: instance_id)


def install_scheduler(stack: ExitStack, account_id: str, region: str) -> scheduler.ScheduleRunner:
    """EventBridge Scheduler's one-time schedules run when due (moto stores them and never runs them):
    see localworld.scheduler. Entered after moto's mock, so it stops before the mock does."""
    return stack.enter_context(scheduler.running(account_id, region))


def install_sns_signing_key(stack: ExitStack) -> None:
    """``Subscription.private_key`` (moto's SNS) -> one RSA key for every subscription while the world is
    open. moto makes a 2048-bit key for each subscription, at its first message, to sign what it delivers
    (a new certificate for each message, held by moto): about 50 ms each, 2.5 s of CPU for a fleet of 50
    clusters' notification topics. Messages are still signed and their certificates still hold the key
    that signed them; only the key is shared, as one AWS region's SNS shares its signing certificate."""
    key: list[Any] = []
    lock = threading.Lock()
    own = sns_models.Subscription.private_key

    def private_key(subscription: Any) -> Any:
        with lock:
            if not key:
                key.append(getattr(own, "__wrapped__", own)(subscription))  # moto caches it per subscription
            return key[0]

    _patch(stack, sns_models.Subscription, "private_key", private_key)


def install_dispatch_cache(stack: ExitStack) -> dispatch.MethodNames:
    """``method_names_from_class`` as moto's responses module calls it -> a lookup kept per class, and that
    module's ``json`` -> one parse per request body (see localworld.dispatch). Installed last: the patches
    before it add response methods, and as the first undone at close it never answers for classes already
    put back."""
    responses = importlib.import_module(dispatch.RESPONSES_MODULE)
    names = dispatch.MethodNames(responses.method_names_from_class)
    _patch(stack, responses, "method_names_from_class", names)
    _patch(stack, responses, "json", dispatch.RequestJson())
    return names
