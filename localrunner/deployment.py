"""One cluster deployed into a LocalWorld the way `cdk deploy` deploys it into an account."""

from __future__ import annotations

import functools
import json
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from moto.ec2 import models as ec2_models

from hadrill import contracts
from hadrill.facts import ClusterFacts
from localworld import LocalWorld
from simulator import Knobs, SimulatedCluster, Timings
from simulator import media as sim_media
from simulator.scenario import LK_LICENSE
from stacks.config import DeploymentConfig
from stacks.orchestration import wiring

LOCAL_BUCKET_SUFFIX = "media-local"
# Local Lambdas poll SSM often: the simulated commands take milliseconds, not minutes.
LOCAL_POLL_SECONDS = "0.05"
# What the drill's functions expect the cluster to take (hadrill.drill.phases.Expected) and how the world
# shortens Wait states: their waits are sized to the simulator, as a real cluster's are to LifeKeeper's.
ENV_TIME_SCALE = contracts.ENV_TIME_SCALE
ENV_EXPECTED_SECONDS = contracts.ENV_EXPECTED_SECONDS
LICENSE_SECRET_VALUE = json.dumps({"serial": "0000000000000", "productKey": "SIMULATED-PRODUCT-KEY-00000"})


@dataclass
class LocalDeployment:
    world: LocalWorld
    cluster: SimulatedCluster
    facts: ClusterFacts
    records_table: str
    topic_arn: str
    reports_bucket: str
    routes: VipRoutes | None = None
    config: DeploymentConfig | None = None
    state_machines: dict[str, str] = field(default_factory=dict)  # name -> ARN
    function_names: dict[str, str] = field(default_factory=dict)  # spec name -> deployed name

    def notifications(self) -> list[dict[str, Any]]:
        """Messages published to the topic (read back from a subscribed queue)."""
        sqs = self.world.client("sqs")
        url = sqs.get_queue_url(QueueName=_queue_name(self.facts.cluster_name))["QueueUrl"]
        messages: list[dict[str, Any]] = []
        while True:
            batch = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
            if not batch:
                return messages
            for message in batch:
                body = json.loads(message["Body"])
                messages.append({"subject": body.get("Subject"), "message": body.get("Message")})
                sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])


def deploy_local(
    config: DeploymentConfig,
    *,
    world: LocalWorld,
    root: Path,
    timings: Timings | None = None,
    knobs: Knobs | None = None,
    bare: bool = False,
    installed: bool = False,
    facts_overrides: dict[str, Any] | None = None,
) -> LocalDeployment:
    """Create the simulated nodes and every orchestration resource in the open `world`.

    ``bare`` nodes are what ``cdk deploy`` gives (LifeKeeper installed, nothing configured): the setup
    workflow's base stage then builds the cluster base. Without it the nodes start from the hand-built
    base of the blog, like a bring-your-own cluster (``created_by_app`` false: no base stage by default);
    ``installed`` nodes also have what the setup workflow leaves (HULFT and the hulft hierarchy), so a
    drill can run at once.
    """
    name = config.cluster_name
    bucket = f"{name}-{LOCAL_BUCKET_SUFFIX}"
    hulft_image = sim_media.hulft_iso(config.hulft.version)
    kit_image = sim_media.recovery_kit_iso()

    s3 = world.client("s3")
    secrets = world.client("secretsmanager")
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key=config.media.hulft.key, Body=hulft_image)
    s3.put_object(Bucket=bucket, Key=config.media.recovery_kit.key, Body=kit_image)
    secrets.create_secret(Name=config.secrets.hulft_license, SecretString=LICENSE_SECRET_VALUE)
    secrets.create_secret(Name=config.lifekeeper_license_secret, SecretString=LK_LICENSE)

    cluster = SimulatedCluster(
        root,
        name=name,
        knobs=knobs,
        timings=timings,
        virtual_ip=str(config.virtual_ip.address),
        node_names=(config.nodes.primary.name, config.nodes.secondary.name),
        document_prefix=wiring.document_prefix(name),
        secrets=world.read_secret,
        objects=world.read_object,
        bare=bare,
        installed=installed,
    )
    world.add_nodes(
        cluster,
        names=[config.nodes.primary.name, config.nodes.secondary.name],
        tags={"hadrill:cluster": name},
    )
    primary, secondary = cluster.instance_ids
    routes = VipRoutes.create(world, cluster, str(config.virtual_ip.address))
    facts_document = wiring.cluster_facts_document(
        config,
        cluster_name=name,
        nodes={
            "primary": {
                "instance_id": primary,
                "eni_id": routes.eni_of[primary],
                "addresses": list(cluster.addresses_of(primary)),
            },
            "secondary": {
                "instance_id": secondary,
                "eni_id": routes.eni_of[secondary],
                "addresses": list(cluster.addresses_of(secondary)),
            },
        },
        route_table_ids=list(routes.table_ids),
        media_bucket=bucket,
        # The local media are generated here, so their checksums are too (the config's are placeholders).
        media={
            "hulft": {"key": config.media.hulft.key, "sha256": sim_media.sha256(hulft_image)},
            "recovery_kit": {"key": config.media.recovery_kit.key, "sha256": sim_media.sha256(kit_image)},
        },
        # Bare simulated nodes are what `cdk deploy` gives; the hand-built ones stand for a
        # bring-your-own cluster, whose base the setup workflow leaves alone unless asked.
        created_by_app=bare,
        node_log_group=f"/hadrill/{name}/nodes",
    )
    facts_document.update(facts_overrides or {})  # e.g. shorter base waits in tests
    facts = ClusterFacts.model_validate(facts_document)

    ssm = world.client("ssm")
    for path in wiring.document_files():
        ssm.create_document(
            Content=path.read_text(encoding="utf-8"),
            Name=facts.document(path.stem),
            DocumentType="Command",
            DocumentFormat="JSON",
        )

    dead_man_group, dead_man_role = create_dead_man_schedules(world, name, list(cluster.instance_ids))
    table = create_records_table(world.client("dynamodb"), f"{name}-records")
    reports_bucket = f"{name}-reports-local"
    s3.create_bucket(Bucket=reports_bucket)
    topic_arn = world.client("sns").create_topic(Name=f"{name}-notifications")["TopicArn"]
    _subscribe_queue(world, topic_arn, _queue_name(name))

    environment = {
        wiring.ENV_CLUSTER: facts.model_dump_json(),
        wiring.ENV_RECORDS_TABLE: table,
        wiring.ENV_TOPIC_ARN: topic_arn,
        wiring.ENV_POLL_SECONDS: LOCAL_POLL_SECONDS,
        ENV_TIME_SCALE: repr(world.time_scale),
        contracts.ENV_STRICT_CONTRACTS: "1",
        ENV_EXPECTED_SECONDS: json.dumps(expected_seconds(cluster.timings)),
        wiring.ENV_REPORTS_BUCKET: reports_bucket,
        contracts.ENV_DEAD_MAN_SCHEDULE_GROUP: dead_man_group,
        contracts.ENV_DEAD_MAN_ROLE_ARN: dead_man_role,
        contracts.ENV_METRICS_NAMESPACE: contracts.METRIC_NAMESPACE,
        contracts.ENV_LOG_LEVEL: "WARNING",
        # client-visible RTO (issue 17): the probe RunDrillPhase starts, and how it reaches the VIP here.
        wiring.ENV_CLIENT_PROBE: wiring.client_probe_setting(
            f"{name}-{wiring.CLIENT_PROBE.name}", config.hulft.receive_port
        ),
    }
    deployment = LocalDeployment(
        world=world,
        cluster=cluster,
        facts=facts,
        records_table=table,
        topic_arn=topic_arn,
        reports_bucket=reports_bucket,
        routes=routes,
        config=config,
    )
    arns: dict[str, str] = {}
    for spec in wiring.all_functions():
        function_name = f"{name}-{spec.name}"
        arns[spec.name] = world.add_lambda(
            function_name, spec.handler, environment=environment, timeout_s=spec.timeout_seconds
        )
        deployment.function_names[spec.name] = function_name
    add_client_probe(deployment, config.hulft.receive_port)
    for machine in wiring.STATE_MACHINES:
        deployment.state_machines[machine.name] = world.create_state_machine(
            f"{name}-{machine.name}",
            machine.definition(),
            {spec.substitution: arns[spec.name] for spec in machine.functions},
        )
    # What the world holds now stays while it is open: out of the collector's way from here on. After the
    # first cluster, that is most of what a fleet's world will hold (imports, moto, botocore's models), so
    # the full collections while later clusters deploy (and the one here) walk only what came since.
    world.freeze_deployed()
    return deployment


def add_client_probe(deployment: LocalDeployment, receive_port: int) -> None:
    """The client probe function, the nodes' hulrcvd listeners on loopback ports, and the VIP seam that
    leads the probe's connects along the route table in moto to the active node's listener."""
    world, cluster, facts = deployment.world, deployment.cluster, deployment.facts
    spec = wiring.CLIENT_PROBE
    function_name = f"{facts.cluster_name}-{spec.name}"
    world.add_lambda(
        function_name,
        spec.handler,
        environment={
            wiring.ENV_CLUSTER: facts.model_dump_json(),  # the seam reads the VIP and route tables from it
            wiring.ENV_RECORDS_TABLE: deployment.records_table,
            # Write every 0.4 s: the stop request is seen within two attempts (the simulated drill is short).
            wiring.ENV_PROBE_HEARTBEAT_MS: "400",
            # Connect every 100 ms: a simulated switchover's outage lasts a few hundred ms (in AWS, 200 ms;
            # at 200 ms here 2 of 5 switchover tests missed it, at 50 ms ten probes of a fleet cost 15 s of CPU).
            contracts.ENV_PROBE_INTERVAL_MS: "100",
            "POWERTOOLS_LOG_LEVEL": "WARNING",
        },
        timeout_s=spec.timeout_seconds,
        memory_mb=spec.memory_mb,
    )
    deployment.function_names[spec.name] = function_name
    seam = world.vip_seam()
    for instance_id, listener in cluster.start_receive_listeners().items():
        node = cluster.node_for(instance_id)
        enis = (deployment.routes.eni_of[instance_id],) if deployment.routes else ()
        seam.register(instance_id, listener, receive_port, functools.partial(_online, node), enis=enis)


def expected_seconds(timings: Timings) -> dict[str, float]:
    """The simulator's durations as the drill expects them (hadrill.drill.phases.Expected's fields)."""
    return {
        "takeover": timings.detection_seconds + timings.restore_seconds,
        "local_recovery": timings.local_recovery_seconds,
        "boot": timings.reboot_seconds,
        "resync": timings.resync_seconds,
        "switchover": timings.restore_seconds,
    }


def create_dead_man_schedules(world: LocalWorld, cluster_name: str, instance_ids: list[str]) -> tuple[str, str]:
    """The dead-man switch's schedule group and the role its schedules run as (issue 17), as the
    orchestration stack defines them (stacks/orchestration/deadman.py): the role may only start the
    cluster's two instances. Returns (group name, role ARN)."""
    group = wiring.dead_man_schedule_group(cluster_name)
    world.client("scheduler").create_schedule_group(Name=group)
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "scheduler.amazonaws.com"}, "Action": "sts:AssumeRole"}
        ],
    }
    iam = world.client("iam")
    role = iam.create_role(RoleName=f"{cluster_name}-dead-man-scheduler", AssumeRolePolicyDocument=json.dumps(trust))
    instances = [f"arn:aws:ec2:{world.region}:{world.account_id}:instance/{i}" for i in instance_ids]
    policy = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "ec2:StartInstances", "Resource": instances}],
    }
    iam.put_role_policy(
        RoleName=role["Role"]["RoleName"], PolicyName="StartClusterInstances", PolicyDocument=json.dumps(policy)
    )
    return group, str(role["Role"]["Arn"])


def create_records_table(dynamodb: Any, name: str) -> str:
    """The records table as the orchestration stack defines it (cluster + recordId), on demand."""
    dynamodb.create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "cluster", "KeyType": "HASH"}, {"AttributeName": "recordId", "KeyType": "RANGE"}],
        AttributeDefinitions=[
            {"AttributeName": "cluster", "AttributeType": "S"},
            {"AttributeName": "recordId", "AttributeType": "S"},
        ],
        BillingMode="PAY_PER_REQUEST",
    )
    return name


class VipRoutes:
    """The cluster's two route tables in moto, each with the virtual IP's /32 route, kept pointing
    where the simulated cluster says it points.

    In AWS the EC2 Recovery Kit on the node that takes over calls ReplaceRoute; the simulator moves
    its own route instead, so a thread here replays each move on moto's route tables (through the
    backend, not a client: it may still run while the world closes). The workflows then check the
    route through the EC2 API, as they do in AWS. The nodes' ENIs are the moto instances' own.
    """

    # The engine says when it moves the route (its on_vip_route); this is only how often the thread also
    # looks without being told. Polling every 10 ms for each of 50 simulated clusters took a core.
    POLL_SECONDS = 1.0

    def __init__(self, world: LocalWorld, cluster: SimulatedCluster, virtual_ip: str) -> None:
        self.world = world
        self.cluster = cluster
        self.destination = f"{virtual_ip}/32"
        self.table_ids: tuple[str, ...] = ()
        self.eni_of: dict[str, str] = {}  # instance id -> moto ENI id
        self._moto_eni: dict[str, str] = {}  # simulator ENI id -> moto ENI id
        self._stop = threading.Event()
        self._moved = threading.Event()
        self._thread = threading.Thread(target=self._follow, name=f"vip-route-{cluster.name}", daemon=True)
        told = cluster.engine.on_vip_route

        def moved(eni: str) -> None:
            if told is not None:
                told(eni)
            self._moved.set()

        cluster.engine.on_vip_route = moved

    @classmethod
    def create(cls, world: LocalWorld, cluster: SimulatedCluster, virtual_ip: str) -> VipRoutes:
        routes = cls(world, cluster, virtual_ip)
        ec2 = world.client("ec2")
        described = ec2.describe_instances(InstanceIds=list(cluster.instance_ids))
        instances = {i["InstanceId"]: i for r in described["Reservations"] for i in r["Instances"]}
        for instance_id in cluster.instance_ids:
            eni = instances[instance_id]["NetworkInterfaces"][0]["NetworkInterfaceId"]
            routes.eni_of[instance_id] = eni
            routes._moto_eni[cluster.eni_of(instance_id)] = eni
        vpc_id = instances[cluster.instance_ids[0]]["VpcId"]
        tables = []
        for letter in "ab":
            table = ec2.create_route_table(
                VpcId=vpc_id,
                TagSpecifications=[
                    {"ResourceType": "route-table", "Tags": [{"Key": "Name", "Value": f"{cluster.name}-{letter}"}]}
                ],
            )["RouteTable"]["RouteTableId"]
            ec2.create_route(
                RouteTableId=table,
                DestinationCidrBlock=routes.destination,
                NetworkInterfaceId=routes._moto_eni[cluster.vip_route_target()],
            )
            tables.append(table)
        routes.table_ids = tuple(tables)
        routes._thread.start()
        return routes

    def _follow(self) -> None:
        last = self.cluster.vip_route_target()
        while not self._stop.is_set() and self.world.is_open:
            self._moved.wait(self.POLL_SECONDS)
            self._moved.clear()
            if self._stop.is_set() or not self.world.is_open:
                return
            current = self.cluster.vip_route_target()
            if current == last:
                continue
            backend = ec2_models.ec2_backends[self.world.account_id][self.world.region]
            for table in self.table_ids:
                backend.replace_route(table, self.destination, interface_id=self._moto_eni.get(current, current))
            last = current

    def stop(self) -> None:
        self._stop.set()
        self._moved.set()
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join(timeout=1)


def _queue_name(cluster_name: str) -> str:
    return f"{cluster_name}-notifications-inbox"


def _subscribe_queue(world: LocalWorld, topic_arn: str, queue_name: str) -> None:
    sqs = world.client("sqs")
    url = sqs.create_queue(QueueName=queue_name)["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    world.client("sns").subscribe(TopicArn=topic_arn, Protocol="sqs", Endpoint=queue_arn)


def _online(node: Any) -> bool:
    """Whether a simulated node answers on the network (the VIP seam asks before connecting)."""
    return bool(node.online)
