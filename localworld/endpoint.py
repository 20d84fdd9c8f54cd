"""The local AWS endpoint: moto served on loopback, with the local world's seams, for `cdk deploy`.

One process holds everything (state lives as long as it does):
- moto's server on 127.0.0.1:PORT, which the cdk CLI, the aws CLI and `hadrill` reach through
  AWS_ENDPOINT_URL;
- Step Functions executing the deployed ASL (moto's interpreter, the world's seams);
- Lambda: the deployed functions from their deployed zip, each in a process of its runtime
  (localworld.deployed_lambdas), their AWS calls recorded for the IAM audit;
- SSM Run Command: the deployed documents run by a simulated cluster bound to the deployed instances,
  ENIs and addresses, learnt from the cluster facts the orchestration stack gives its functions;
- the simulated EC2 Recovery Kit moves the virtual IP with ReplaceRoute through this endpoint;
- the CloudFormation gaps bridged in localworld.endpoint_seams.

Run it with `hadrill local up` (a background process) or ``python -m localworld.endpoint serve``.
"""

from __future__ import annotations

import argparse
import functools
import json
import logging
import os
import signal
import sys
import threading
import time
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from unittest import mock
from urllib.parse import parse_qs

import boto3
from botocore.config import Config
from moto.awslambda import models as lambda_models
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
from werkzeug.serving import BaseWSGIServer, make_server

from hadrill import contracts
from localworld import endpoint_seams, vip_seam
from localworld.deployed_lambdas import DeployedLambdas, read_calls
from localworld.world import LocalWorld
from simulator import SimulatedCluster, Timings
from simulator.cluster import NodeIdentity

LOG = logging.getLogger(__name__)

DEFAULT_PORT = 4599
DEFAULT_REGION = "ap-northeast-1"
# Step Functions Wait and Retry intervals are multiplied by this: the simulated cluster takes over in
# about a second where a real one takes a minute, so the deployed waits would only idle. 1 runs them as deployed.
DEFAULT_TIME_SCALE = 0.01
# Dummy credentials: the endpoint accepts any. Named so that nobody mistakes them for real ones.
CREDENTIALS = {"AWS_ACCESS_KEY_ID": "hadrill-local", "AWS_SECRET_ACCESS_KEY": "hadrill-local"}
SKIPPED_TYPES_FILE = "skipped-types.json"  # resource types moto's CloudFormation did not create
ENV_CLUSTER = contracts.ENV_CLUSTER  # the facts variable of the orchestration functions
ENV_CLIENT_PROBE = contracts.ENV_CLIENT_PROBE  # RunDrillPhase's probe setting
DEFAULT_RECEIVE_PORT = 30000  # HULFT's default receive port (docs/vendor-commands.md); the config's wins


def client_environment(port: int, region: str) -> dict[str, str]:
    """What a client exports to use the endpoint (`hadrill local up` prints it)."""
    return {
        **CREDENTIALS,
        "AWS_REGION": region,
        "AWS_DEFAULT_REGION": region,
        "AWS_ENDPOINT_URL": f"http://127.0.0.1:{port}",
        # The cdk CLI builds the template's S3 URL from this one; with the endpoint's address moto
        # would read "127" as a bucket name.
        "AWS_ENDPOINT_URL_S3_FOR_CLOUDFORMATION": f"http://localhost:{port}",
    }


def endpoint_client(service: str, port: int, region: str) -> Any:
    """A boto3 client of the endpoint serving on ``port`` (for checks and tests run beside it)."""
    env = client_environment(port, region)
    return boto3.client(  # type: ignore[call-overload]  # the service name is a plain str here
        service,
        endpoint_url=env["AWS_ENDPOINT_URL"],
        region_name=region,
        aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"],
    )


@dataclass
class BoundCluster:
    name: str
    cluster: SimulatedCluster
    route_tables: tuple[str, ...]
    virtual_ip: str


@dataclass
class LocalEndpoint:
    """``start()`` serves until ``stop()``; ``bound`` are the simulated clusters bound so far."""

    state_dir: Path
    port: int = DEFAULT_PORT
    region: str = DEFAULT_REGION
    time_scale: float = DEFAULT_TIME_SCALE
    timings: Timings = field(default_factory=Timings.fast)
    bound: dict[str, BoundCluster] = field(default_factory=dict)
    undelivered: list[tuple[str, str]] = field(default_factory=list)  # (rule, target) events could not reach

    def __post_init__(self) -> None:
        from localrunner.deployment import ENV_EXPECTED_SECONDS, ENV_TIME_SCALE, expected_seconds

        self.state_dir = Path(self.state_dir).resolve()
        self._stack = ExitStack()
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None
        self._bind_lock = threading.Lock()
        self.lambdas = DeployedLambdas(
            work_dir=self.state_dir / "lambda",
            call_logs=self.state_dir / "calls",
            environment={
                **client_environment(self.port, self.region),
                # Lambda's runtime gives the X-Ray SDK a trace header per invocation; there is none here.
                "POWERTOOLS_TRACE_DISABLED": "true",
                # The drill sizes its Wait states to what the cluster takes (issue 18): this simulator's
                # durations, where a real cluster's defaults (a 60 s takeover, a 300 s resync) would idle.
                ENV_EXPECTED_SECONDS: json.dumps(expected_seconds(self.timings)),
                # and told how this endpoint shortens Wait states, so a wait asked for is the wall time meant.
                ENV_TIME_SCALE: repr(self.time_scale),
                # The client probe reaches the VIP through this endpoint's seam (localworld.vip_seam).
                vip_seam.ENV_ENDPOINT_SEAM: f"http://127.0.0.1:{self.port}{vip_seam.ENDPOINT_PATH}",
            },
            on_custom_resource_response=endpoint_seams.custom_resource_reply,
        )
        self.world = LocalWorld(
            region=self.region,
            time_scale=self.time_scale,
            strict_documents=True,
            lambda_runner=self.lambdas.invoke,
            close_timeout_s=5.0,
            load_aws_managed_policies=True,
        )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    # -- lifecycle ---------------------------------------------------------------------------------
    def start(self) -> None:
        self.state_dir.mkdir(parents=True, exist_ok=True)
        # The server must be able to bind before anything else is set up (a port in use says so at once).
        app = self._with_vip_seam(DomainDispatcherApplication(create_backend_app))
        self._server = make_server("127.0.0.1", self.port, app, threaded=True, request_handler=MotoRequestHandler)
        self.world.start()
        endpoint_seams.SKIPPED.report_to = self.state_dir / SKIPPED_TYPES_FILE
        try:
            endpoint_seams.install_cloudformation(self._stack)
            endpoint_seams.install_events(self._stack, lambda rule, target: self.undelivered.append((rule, target)))
            self._install_binding()
        except BaseException:
            self.stop()
            raise
        self._thread = threading.Thread(target=self._server.serve_forever, name="local-endpoint", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        if self._server is not None and self._thread is not None:
            self._server.shutdown()
            self._thread.join(timeout=10)
        if self._server is not None:
            self._server.server_close()
            self._server = None
        for bound in self.bound.values():
            bound.cluster.close()
        self.lambdas.close()
        self._stack.close()
        self.world.close()

    def _with_vip_seam(self, app: Any) -> Any:
        """The endpoint's one path of its own: where a deployed function's connect to a VIP goes
        (localworld.vip_seam; asked by localworld/lambda_worker.py), from the function's VpcConfig."""

        def serve(environ: dict[str, Any], start_response: Any) -> Any:
            if environ.get("PATH_INFO") != vip_seam.ENDPOINT_PATH:
                return app(environ, start_response)
            query = {k: v[0] for k, v in parse_qs(environ.get("QUERY_STRING", "")).items()}
            backend = lambda_models.lambda_backends[self.world.account_id][self.world.region]
            try:
                function = backend.get_function(query.get("function", ""))
                where = self.world.vip_seam().resolve_for_function(
                    function.vpc_config, query.get("host", ""), int(query.get("port", "0"))
                )
                body = json.dumps(where.as_json()).encode()
                status = "200 OK"
            except Exception as error:  # the worker reports it as its connect's error
                LOG.warning("vip seam: %s for %s", error, query)
                body = json.dumps({"unanswered": f"{type(error).__name__}: {error}"}).encode()
                status = "200 OK"
            start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
            return [body]

        return serve

    def calls(self) -> list[dict[str, Any]]:
        """Every AWS call the deployed functions (and the simulated nodes' route moves) made."""
        return read_calls(self.state_dir / "calls")

    # -- simulated nodes bound to the deployed instances -----------------------------------------
    def _install_binding(self) -> None:
        original = lambda_models.LambdaBackend.create_function

        def create_function(backend: Any, spec: dict[str, Any]) -> Any:
            function = original(backend, spec)
            variables = (spec.get("Environment") or {}).get("Variables", {})
            facts_json = variables.get(ENV_CLUSTER)
            if facts_json:
                facts = json.loads(facts_json)
                probe = json.loads(variables.get(ENV_CLIENT_PROBE) or "{}")  # RunDrillPhase's: the receive port
                self._bind(facts, int(probe.get("port") or DEFAULT_RECEIVE_PORT))
            return function

        self._stack.enter_context(mock.patch.object(lambda_models.LambdaBackend, "create_function", create_function))

    def _bind(self, facts: dict[str, Any], receive_port: int = DEFAULT_RECEIVE_PORT) -> None:
        """A simulated cluster standing for the deployed nodes named by ``facts`` (once per cluster)."""
        name = str(facts["cluster_name"])
        with self._bind_lock:
            if name in self.bound:
                if receive_port != DEFAULT_RECEIVE_PORT:  # the port the config gives (RunDrillPhase's setting)
                    self._register_listeners(self.bound[name].cluster, receive_port)
                return
            nodes = (facts["primary"], facts["secondary"])
            identities = tuple(
                NodeIdentity(
                    instance_id=str(node["instance_id"]),
                    eni=str(node["eni_id"]),
                    addresses=tuple(str(a) for a in node.get("addresses") or ()),
                )
                for node in nodes
            )
            routes = tuple(str(t) for t in facts["route_table_ids"])
            virtual_ip = str(facts["virtual_ip"])
            cluster = SimulatedCluster(
                self.state_dir / "nodes",
                name=name,
                timings=self.timings,
                virtual_ip=virtual_ip,
                node_names=(str(nodes[0]["name"]), str(nodes[1]["name"])),
                document_prefix=f"{name}-",
                secrets=self.world.read_secret,
                objects=self.world.read_object,
                bare=bool(facts.get("created_by_app", True)),
                data_device=str(facts.get("data_device") or "/dev/nvme1n1"),
                identities=(identities[0], identities[1]),
                on_vip_route=lambda eni: self._move_vip_route(name, eni),
            )
            self.bound[name] = BoundCluster(name, cluster, routes, virtual_ip)
            self.world.add_nodes(cluster, mirror_ec2=False)
            self._register_listeners(cluster, receive_port)
            LOG.info("bound simulated cluster %s to %s", name, ", ".join(cluster.instance_ids))

    def _register_listeners(self, cluster: SimulatedCluster, receive_port: int) -> None:
        """hulrcvd's receive port on each node, where the client probe's connects to the VIP arrive."""
        seam = self.world.vip_seam()
        for instance_id, listener in cluster.start_receive_listeners().items():
            node = cluster.node_for(instance_id)
            seam.register(instance_id, listener, receive_port, functools.partial(_online, node), enis=(node.eni,))

    def _move_vip_route(self, cluster_name: str, eni: str) -> None:
        """What the EC2 Recovery Kit does on the node taking over: ReplaceRoute on the cluster's route
        tables, through this endpoint's EC2 API (recorded like the functions' calls, as the node role's)."""
        bound = self.bound.get(cluster_name)
        if bound is None:  # the engine points the route while the cluster is being built
            return
        ec2 = boto3.client(
            "ec2",
            endpoint_url=self.url,
            region_name=self.region,
            aws_access_key_id=CREDENTIALS["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
            config=Config(retries={"max_attempts": 2}),
        )
        log = self.state_dir / "calls" / "nodes.jsonl"
        log.parent.mkdir(parents=True, exist_ok=True)
        for table in bound.route_tables:
            params = {
                "RouteTableId": table,
                "DestinationCidrBlock": f"{bound.virtual_ip}/32",
                "NetworkInterfaceId": eni,
            }
            ec2.replace_route(**params)
            with log.open("a", encoding="utf-8") as out:
                entry = {"function": f"node:{cluster_name}", "service": "ec2", "operation": "ReplaceRoute"}
                out.write(json.dumps({**entry, "params": params, "region": self.region}) + "\n")


def _online(node: Any) -> bool:
    """Whether a simulated node answers on the network (the VIP seam asks before connecting)."""
    return bool(node.online)


# ---- the background process ----------------------------------------------------------------------------
def serve(state_dir: Path, port: int, region: str, time_scale: float = DEFAULT_TIME_SCALE) -> int:
    """Serve until SIGTERM/SIGINT; write ``ready`` into the state directory once serving."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("moto").setLevel(logging.ERROR)
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    endpoint = LocalEndpoint(state_dir=state_dir, port=port, region=region, time_scale=time_scale)
    stopping = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopping.set())
    signal.signal(signal.SIGINT, lambda *_: stopping.set())
    try:
        endpoint.start()
    except OSError as error:
        print(f"cannot serve on 127.0.0.1:{port}: {error.strerror or error}", file=sys.stderr)
        return 2
    ready = {"pid": os.getpid(), "port": port, "region": region, "started": time.time(), "url": endpoint.url}
    (endpoint.state_dir / "ready").write_text(json.dumps(ready), encoding="utf-8")
    LOG.info("local endpoint serving on %s (region %s)", endpoint.url, region)
    try:
        while not stopping.wait(0.5):
            pass
    finally:
        endpoint.stop()
        (endpoint.state_dir / "ready").unlink(missing_ok=True)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m localworld.endpoint")
    parser.add_argument("command", choices=["serve"])
    parser.add_argument("--state-dir", type=Path, required=True)
    parser.add_argument("--port", type=int, default=DEFAULT_PORT)
    parser.add_argument("--region", default=DEFAULT_REGION)
    parser.add_argument("--time-scale", type=float, default=DEFAULT_TIME_SCALE)
    args = parser.parse_args(argv)
    return serve(args.state_dir, args.port, args.region, args.time_scale)


if __name__ == "__main__":
    sys.exit(main())
