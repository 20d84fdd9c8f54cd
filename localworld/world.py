"""LocalWorld: moto with Step Functions executing, Lambdas in-process, SSM on simulated nodes.

One object owns every patch it installs (an ExitStack), so closing it undoes all of them. Only
one world may be open at a time: moto's mock and the patched classes are process-wide.
"""

from __future__ import annotations

import gc
import io
import json
import logging
import os
import sys
import threading
import time
import zipfile
from collections import Counter, defaultdict
from collections.abc import Callable, Mapping, Sequence
from contextlib import ExitStack
from pathlib import Path
from types import TracebackType
from typing import Any
from unittest import mock

from botocore.exceptions import ClientError
from moto import mock_aws
from moto.core.config import DefaultConfig
from moto.ec2 import models as ec2_models
from moto.ssm import models as ssm_models
from moto.ssm.exceptions import SSMException

from localworld import patches
from localworld.async_invoke import AsyncInvocations
from localworld.clients import shared_client
from localworld.documents import DeliveryPlan, plan_delivery, registered_content
from localworld.protocol import NodeBackend
from localworld.results import ExecutionResult, parse_output
from localworld.scheduler import ScheduleRunner
from localworld.ssm import SsmDelivery
from localworld.stepfunctions import ParsedPrograms, ValidatedShapes
from localworld.substitutions import render_definition
from localworld.vip_seam import VipSeam, follow_route_changes

LOG = logging.getLogger(__name__)

ACCOUNT_ID = "123456789012"  # moto's default account
ROLE_NAME = "localworld-role"
# An image id from moto's default list; only a label, as moto does not validate image ids.
DEFAULT_IMAGE_ID = "ami-12c6146b"
# Keys as moto 5.2.5 defines them (moto/core/config.py). lambda.use_docker stays at its default:
# False would route invokes to LambdaSimpleBackend, which echoes and never calls _invoke_lambda.
MOTO_CONFIG: DefaultConfig = {"stepfunctions": {"execute_state_machine": True}}

_FAKE_ENV = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_SESSION_TOKEN": "testing"}
# Settings that would send boto3 elsewhere than moto, or to real credentials.
_UNSAFE_ENV = ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE")
_TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"Service": ["lambda.amazonaws.com", "states.amazonaws.com"]},
            "Action": "sts:AssumeRole",
        }
    ],
}

_ACTIVE_LOCK = threading.Lock()
_active: LocalWorld | None = None


class WorldError(RuntimeError):
    pass


class LocalWorld:
    """A private AWS account in this process. Use it as a context manager.

    time_scale multiplies Step Functions Wait seconds, Retry intervals and SSM delivery timeouts
    (not Task TimeoutSeconds/HeartbeatSeconds, not the simulator's own delays).
    delivery_timeout_s, when set, is how long a command for an offline node stays Delayed before
    it ends TimedOut/DeliveryTimedOut (default: the command's TimeoutSeconds * time_scale).
    handler_paths go on sys.path while the world is open, so handlers import by dotted path.
    strict_documents refuses SendCommand for a document not created in the world (InvalidDocument);
    registered documents always have their parameters checked (see localworld.documents).
    close_timeout_s bounds how long close() waits for commands still running on the nodes.
    lambda_runner, when given, runs every invocation instead of the in-process handler call: the local
    endpoint runs deployed functions from their deployed code (localworld.deployed_lambdas).
    """

    def __init__(
        self,
        *,
        region: str = "us-east-1",
        time_scale: float = 1.0,
        delivery_timeout_s: float | None = None,
        handler_paths: Sequence[str | Path] = (),
        strict_documents: bool = False,
        close_timeout_s: float = 10.0,
        load_default_amis: bool = False,
        lambda_runner: Callable[[Any, Any], tuple[str, bool, str]] | None = None,
        load_aws_managed_policies: bool = False,
    ) -> None:
        if time_scale <= 0:
            raise ValueError("time_scale must be positive")
        self.region = region
        self.account_id = ACCOUNT_ID
        self.role_arn = f"arn:aws:iam::{ACCOUNT_ID}:role/{ROLE_NAME}"
        self.time_scale = time_scale
        self.delivery_timeout_s = delivery_timeout_s
        self.strict_documents = strict_documents
        self.close_timeout_s = close_timeout_s
        self.load_default_amis = load_default_amis
        self._lambda_runner = lambda_runner
        self._moto_config: DefaultConfig = {**MOTO_CONFIG}
        if load_aws_managed_policies:  # so a role's AWS-managed policies attach (the IAM audit reads them)
            self._moto_config["iam"] = {"load_aws_managed_policies": True}
        self.lambda_invocations: Counter[str] = Counter()  # by function name, however invoked
        # What each function printed (its CloudWatch Logs in AWS), one entry per invocation.
        self.function_logs: defaultdict[str, list[str]] = defaultdict(list)
        self.ssm = SsmDelivery(find_backend=self.backend_for, plan=self._plan, delivery_timeout=self._delivery_timeout)
        self._handler_paths = [str(Path(p).resolve()) for p in handler_paths]
        self._stack = ExitStack()
        self._lock = threading.Lock()
        self._open = False
        self._closed = False
        self._nodes: dict[str, NodeBackend] = {}
        self._private_ips: dict[str, str] = {}
        self.scheduler: ScheduleRunner | None = None  # while open: runs due one-time schedules (issue 17)
        self.async_invocations = AsyncInvocations()  # Lambda Event invocations, on threads of their own
        self._vip_seam: VipSeam | None = None
        self.parsed_programs: ParsedPrograms | None = None  # while open: each definition parsed once
        self.validated_shapes: ValidatedShapes | None = None  # while open: each definition shape validated once
        self._frozen = False  # freeze_deployed() moved the objects of the time to the permanent generation

    # -- lifecycle ---------------------------------------------------------------------------
    def __enter__(self) -> LocalWorld:
        self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def start(self) -> None:
        global _active
        if self._closed:
            raise WorldError("a LocalWorld cannot be reopened; make a new one")
        with _ACTIVE_LOCK:
            if _active is not None:
                raise WorldError("another LocalWorld is open in this process; close it first")
            _active = self
        try:
            self._install()
            trust = json.dumps(_TRUST)
            self.client("iam").create_role(RoleName=ROLE_NAME, AssumeRolePolicyDocument=trust)
        except BaseException:
            self._release()
            raise

    def close(self) -> None:
        """Stop running executions, wait for running commands, then undo every patch."""
        if not self._open:
            return
        try:
            self._stop_running_executions()
            if self._vip_seam is not None:
                self._vip_seam.closed = True  # a client probe still running stops at its next connect
            still_invoked = self.async_invocations.join(self.close_timeout_s)
            if still_invoked:
                LOG.warning("localworld: Event invocations still running at close: %s", ", ".join(still_invoked))
            still_running = self.ssm.join(self.close_timeout_s)
            if still_running:
                LOG.warning("localworld: commands still running at close: %s", ", ".join(still_running))
        finally:
            self._release()

    @property
    def is_open(self) -> bool:
        return self._open

    def _install(self) -> None:
        env = {**_FAKE_ENV, "AWS_DEFAULT_REGION": self.region, "AWS_REGION": self.region}
        if not self.load_default_amis:
            # moto parses ~2,600 default AMIs per EC2 backend (0.3 s); run_instances does not
            # validate image ids unless told to, so the nodes do not need them.
            env["MOTO_EC2_LOAD_DEFAULT_AMIS"] = "false"
        self._stack.enter_context(mock.patch.dict(os.environ, env))
        for name in _UNSAFE_ENV:
            os.environ.pop(name, None)  # patch.dict puts them back at close
        # A new list, put back at close: entries added to sys.path meanwhile are dropped then.
        self._stack.enter_context(mock.patch.object(sys, "path", [*self._handler_paths, *sys.path]))
        self._stack.enter_context(mock_aws(config=self._moto_config))
        self._open = True
        if self._lambda_runner is None:
            patches.install_lambda(self._stack, self._count_lambda, self._keep_logs)
        else:
            patches.install_lambda_runner(self._stack, self._lambda_runner, self._count_lambda, self._keep_logs)
        self.async_invocations.install(self._stack)
        self.parsed_programs, self.validated_shapes = patches.install_stepfunctions(self._stack, self.time_scale)
        patches.install_ssm(self._stack, self.ssm, self._check_send, self._nodes, self._private_ips)
        patches.install_ec2(self._stack, self.backend_for)
        patches.install_sns_signing_key(self._stack)
        # issue 17: due one-time schedules run (the dead-man switch's StartInstances).
        self.scheduler = patches.install_scheduler(self._stack, self.account_id, self.region)
        # Last: it answers for the response classes as the patches above leave them (localworld.dispatch).
        patches.install_dispatch_cache(self._stack)

    def freeze_deployed(self) -> None:
        """Call when something is deployed (a cluster, a fleet): the objects alive now (imports, moto's
        state, botocore's models: ~420,000 with one cluster, ~600,000 with 50) stay while the world is
        open, and ``gc.freeze()`` moves them out of the collector's reach, so a full collection, which
        the executions trigger often (they allocate a lot), no longer walks them each time. Garbage goes
        first (a cluster's deploy leaves ~17,000 objects of it, parse trees mostly), not into the frozen
        generation; after the first call that collection only walks what came since. Undone at close, so
        what the world held is collectable again in a process that goes on (the tests)."""
        if not self._open:
            raise WorldError("the LocalWorld is not open")
        gc.collect()
        gc.freeze()
        self._frozen = True

    def _release(self) -> None:
        global _active
        self._open = False
        self._closed = True
        try:
            self._stack.close()  # undoes every patch, stops moto (dropping its state), restores env
        finally:
            if self._frozen:
                gc.unfreeze()  # back into the oldest generation: collected with the rest from now on
                self._frozen = False
            with _ACTIVE_LOCK:
                _active = None

    def client(self, service: str) -> Any:
        """A boto3 client for this world (shared: made once per service and region, thread-safe)."""
        if not self._open:
            raise WorldError("the LocalWorld is not open")  # outside the mock it would reach AWS
        return shared_client(service, self.region)

    # -- nodes ------------------------------------------------------------------------------
    def add_nodes(
        self,
        backend: NodeBackend,
        *,
        mirror_ec2: bool = True,
        names: Sequence[str] | None = None,
        image_id: str = DEFAULT_IMAGE_ID,
        instance_type: str = "t3.medium",
        tags: Mapping[str, str] | None = None,
    ) -> list[str]:
        """Register a simulated cluster's nodes. With mirror_ec2, also create moto EC2 instances
        with the same ids (tagged Name=names[i]) so that the EC2 API describes, stops, starts and
        reboots them. Several clusters may be added; an id may belong to one only."""
        ids = list(backend.instance_ids)
        with self._lock:
            taken = sorted(set(ids) & self._nodes.keys())
            if taken:
                raise WorldError(f"instance id(s) already registered: {', '.join(taken)}")
            for instance_id in ids:
                self._nodes[instance_id] = backend
        if mirror_ec2:
            for index, instance_id in enumerate(ids):
                name = names[index] if names else instance_id
                self._create_instance(instance_id, name, image_id, instance_type, dict(tags or {}))
        return ids

    def backend_for(self, instance_id: str) -> NodeBackend | None:
        return self._nodes.get(instance_id)

    @property
    def instance_ids(self) -> list[str]:
        return list(self._nodes)

    def _create_instance(
        self, instance_id: str, name: str, image_id: str, instance_type: str, tags: dict[str, str]
    ) -> None:
        ec2 = self.client("ec2")
        tag_list = [{"Key": k, "Value": v} for k, v in {"Name": name, **tags}.items()]
        with self._lock, patches.fixed_instance_id(instance_id):
            reservation = ec2.run_instances(
                ImageId=image_id,
                InstanceType=instance_type,
                MinCount=1,
                MaxCount=1,
                TagSpecifications=[{"ResourceType": "instance", "Tags": tag_list}],
            )
        instance = reservation["Instances"][0]
        if instance["InstanceId"] != instance_id:
            raise WorldError(f"moto gave the instance id {instance['InstanceId']}, not {instance_id}")
        self._private_ips[instance_id] = instance.get("PrivateIpAddress", "")

    # -- SSM documents ---------------------------------------------------------------------------
    def add_document(self, name: str, content: str | Mapping[str, Any]) -> str:
        """Create a Command document, so SendCommand checks parameters against it as SSM does."""
        text = content if isinstance(content, str) else json.dumps(content)
        self.client("ssm").create_document(Name=name, Content=text, DocumentType="Command", DocumentFormat="JSON")
        return name

    def add_documents(self, directory: str | Path) -> list[str]:
        """Create one Command document per ``*.json`` in ``directory``, named after the file."""
        paths = sorted(Path(directory).glob("*.json"))
        return [self.add_document(path.stem, path.read_text()) for path in paths]

    # -- what the simulated nodes read from AWS ---------------------------------------------------
    def read_secret(self, secret_id: str) -> str | None:
        """A Secrets Manager secret's string from this world, None when there is none: hand it to
        the simulator (``SimulatedCluster(secrets=world.read_secret)``) so nodes read moto's."""
        try:
            return str(self.client("secretsmanager").get_secret_value(SecretId=secret_id)["SecretString"])
        except ClientError as error:
            if error.response["Error"]["Code"] == "ResourceNotFoundException":
                return None
            raise

    def read_object(self, bucket: str, key: str) -> bytes | None:
        """An S3 object's bytes from this world, None when missing (``SimulatedCluster(objects=...)``)."""
        try:
            return bytes(self.client("s3").get_object(Bucket=bucket, Key=key)["Body"].read())
        except ClientError as error:
            if error.response["Error"]["Code"] in ("NoSuchKey", "NoSuchBucket"):
                return None
            raise

    # -- SendCommand checks -------------------------------------------------------------------
    def _plan(self, document_name: str | None, parameters: dict[str, list[str]]) -> DeliveryPlan:
        """Parameters checked against the registered document, defaults filled in (see documents)."""
        content = registered_content(ssm_models.ssm_backends[self.account_id][self.region], document_name)
        if content is None and self.strict_documents:
            raise SSMException("InvalidDocument", f"Document {document_name} does not exist.")
        return plan_delivery(content, parameters)

    def _check_send(self, document_name: str | None, parameters: dict[str, list[str]], instance_ids: list[str]) -> None:
        """What SSM refuses at SendCommand: bad parameters, unknown or stopped instances."""
        self._plan(document_name, parameters)
        ec2 = ec2_models.ec2_backends[self.account_id][self.region]
        for instance_id in instance_ids:
            instance = ec2.get_instance_by_id(instance_id)
            stopped = instance is not None and instance.state not in ("running", "pending")
            if instance_id not in self._nodes or stopped:
                message = f"Instances [[{instance_id}]] not in a valid state for account {self.account_id}"
                raise SSMException("InvalidInstanceId", message)

    def _delivery_timeout(self, timeout_seconds: int) -> float:
        if self.delivery_timeout_s is not None:
            return self.delivery_timeout_s
        return timeout_seconds * self.time_scale

    @property
    def background_errors(self) -> list[BaseException]:
        """Exceptions raised by backends while running commands (each also failed its command)."""
        return list(self.ssm.errors)

    # -- Lambda and Step Functions ----------------------------------------------------------
    def _keep_logs(self, function_name: str, text: str) -> None:
        if text:
            with self._lock:
                self.function_logs[function_name].append(text)

    def _count_lambda(self, function_name: str) -> None:
        with self._lock:
            self.lambda_invocations[function_name] += 1

    def vip_seam(self) -> VipSeam:
        """The client probe's way to the virtual IP (localworld.vip_seam), put in place at first use."""
        with self._lock:
            if self._vip_seam is None:
                from hadrill import client_probe

                seam = VipSeam(lambda: self.client("ec2"), client_probe.tcp_connect)
                self._stack.enter_context(mock.patch.object(client_probe, "tcp_connect", seam.connect))
                follow_route_changes(self._stack, seam.route_changed)
                self._vip_seam = seam
            return self._vip_seam

    def add_lambda(
        self,
        name: str,
        handler: str,
        *,
        environment: Mapping[str, str] | None = None,
        timeout_s: int = 60,
        memory_mb: int = 256,
        runtime: str = "python3.12",
    ) -> str:
        """Create a function whose handler (dotted path "module.function") runs in this process;
        returns its ARN. The handler sees ``environment`` in os.environ while it runs."""
        response = self.client("lambda").create_function(
            FunctionName=name,
            Runtime=runtime,
            Role=self.role_arn,
            Handler=handler,
            Code={"ZipFile": _EMPTY_ZIP},
            Timeout=timeout_s,
            MemorySize=memory_mb,
            Environment={"Variables": dict(environment or {})},
        )
        return str(response["FunctionArn"])

    def create_state_machine(
        self, name: str, definition: str, substitutions: Mapping[str, str] | None = None, *, allow_unused: bool = False
    ) -> str:
        """Create a state machine from ASL text, ``${Name}`` placeholders rendered strictly."""
        rendered = render_definition(definition, substitutions or {}, allow_unused=allow_unused)
        response = self.client("stepfunctions").create_state_machine(
            name=name, definition=rendered, roleArn=self.role_arn
        )
        return str(response["stateMachineArn"])

    def start_execution(self, state_machine_arn: str, input: Mapping[str, Any], name: str) -> str:
        """Start a named execution (moto needs names: a second unnamed one fails) and return its ARN."""
        response = self.client("stepfunctions").start_execution(
            stateMachineArn=state_machine_arn, name=name, input=json.dumps(input)
        )
        return str(response["executionArn"])

    def wait_execution(
        self, execution_arn: str, *, timeout_s: float = 60.0, poll_s: float = 0.01, commands_before: int = 0
    ) -> ExecutionResult:
        """Poll until the execution leaves RUNNING, or timeout_s passes (the result then says
        RUNNING), and read its history."""
        sfn = self.client("stepfunctions")
        started = time.monotonic()
        deadline = started + timeout_s
        while True:
            described = sfn.describe_execution(executionArn=execution_arn)
            if described["status"] != "RUNNING" or time.monotonic() >= deadline:
                break
            time.sleep(poll_s)
        # Paged as AWS pages it (localworld.stepfunctions.history_page).
        events: list[dict[str, Any]] = []
        for page in sfn.get_paginator("get_execution_history").paginate(executionArn=execution_arn, maxResults=1000):
            events += page["events"]
        return ExecutionResult(
            execution_arn=execution_arn,
            status=described["status"],
            output=parse_output(described.get("output")),
            error=described.get("error"),
            cause=described.get("cause"),
            events=tuple(events),
            elapsed_s=time.monotonic() - started,
            ssm_commands_sent=self.ssm.commands_sent - commands_before,
        )

    def run_execution(
        self, state_machine_arn: str, input: Mapping[str, Any], name: str, timeout_s: float = 60.0
    ) -> ExecutionResult:
        """Start a named execution and wait for its end; see ExecutionResult."""
        before = self.ssm.commands_sent
        arn = self.start_execution(state_machine_arn, input, name)
        return self.wait_execution(arn, timeout_s=timeout_s, commands_before=before)

    def _stop_running_executions(self) -> None:
        # Interpreter threads would outlive the mock and call into unpatched moto: stop every
        # execution still RUNNING, whoever started it.
        sfn = self.client("stepfunctions")
        try:
            machines = [m["stateMachineArn"] for m in sfn.list_state_machines()["stateMachines"]]
            for machine in machines:
                running = sfn.list_executions(stateMachineArn=machine, statusFilter="RUNNING")["executions"]
                for execution in running:
                    sfn.stop_execution(executionArn=execution["executionArn"], error="LocalWorld.Closed")
        except Exception:  # best effort at teardown
            LOG.exception("localworld: could not stop running executions")


def _empty_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("README", "handlers run in-process by localworld\n")
    return buffer.getvalue()


_EMPTY_ZIP = _empty_zip()  # moto wants a deployment package; the code is imported from sys.path
