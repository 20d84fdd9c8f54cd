"""The drill's client probe as deployed (issue 17): a function in the clustering subnets, its own security
group (the VIP's receive port and HTTPS out, nothing in), the nodes admitting it on the receive port only,
least-privilege IAM, and the client-visible RTO on the dashboard."""

from __future__ import annotations

import json
from typing import Any

from stacks.orchestration import wiring
from support.synthesis import Synthesized


def _probe(synth: Synthesized) -> tuple[str, dict[str, Any]]:
    functions = synth.resources("orchestration", "AWS::Lambda::Function")
    (found,) = [
        (i, f["Properties"])
        for i, f in functions.items()
        if f["Properties"].get("Handler") == wiring.CLIENT_PROBE.handler
    ]
    return found


def _probe_group_id(synth: Synthesized) -> str:
    groups = synth.resources("cluster", "AWS::EC2::SecurityGroup")
    (found,) = [i for i, g in groups.items() if g["Properties"]["GroupDescription"].startswith("hadrill client probe")]
    return found


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def test_probe_runs_in_the_clustering_subnets_with_its_own_group(default_synth: Synthesized) -> None:
    _, props = _probe(default_synth)
    vpc = props["VpcConfig"]
    assert len(vpc["SubnetIds"]) == 2  # both clustering subnets, no others exist
    (group,) = vpc["SecurityGroupIds"]
    assert json.dumps(group).count(_probe_group_id(default_synth)) == 1  # imported from the cluster stack
    assert props["MemorySize"] == 128 and props["Timeout"] == wiring.CLIENT_PROBE.timeout_seconds
    assert props["TracingConfig"] == {"Mode": "Active"}
    assert set(props["Environment"]["Variables"]) >= {wiring.ENV_RECORDS_TABLE}
    assert wiring.ENV_CLUSTER not in props["Environment"]["Variables"]  # it needs nothing of the cluster's facts


def test_probe_is_not_retried(default_synth: Synthesized) -> None:
    """A failed probe must not run again after its drill moved on."""
    (config,) = default_synth.resources("orchestration", "AWS::Lambda::EventInvokeConfig").values()
    assert config["Properties"]["MaximumRetryAttempts"] == 0
    assert config["Properties"]["MaximumEventAgeInSeconds"] == 60


def test_probe_group_reaches_only_the_vip_receive_port_and_https(default_synth: Synthesized) -> None:
    config = default_synth.config
    probe_id = _probe_group_id(default_synth)
    group = default_synth.resources("cluster", "AWS::EC2::SecurityGroup")[probe_id]["Properties"]
    assert not group.get("SecurityGroupIngress")  # nothing may connect to the probe
    egress = sorted((r["CidrIp"], r["IpProtocol"], r["FromPort"], r["ToPort"]) for r in group["SecurityGroupEgress"])
    port = config.hulft.receive_port
    assert egress == sorted([(f"{config.virtual_ip.address}/32", "tcp", port, port), ("0.0.0.0/0", "tcp", 443, 443)])
    # The nodes admit the probe on the receive port and nothing else.
    rules = [
        r["Properties"]
        for r in default_synth.resources("cluster", "AWS::EC2::SecurityGroupIngress").values()
        if r["Properties"].get("SourceSecurityGroupId") == {"Fn::GetAtt": [probe_id, "GroupId"]}
    ]
    assert [(r["IpProtocol"], r["FromPort"], r["ToPort"]) for r in rules] == [("tcp", port, port)]


def test_dynamodb_gateway_endpoint_for_the_probe(default_synth: Synthesized) -> None:
    endpoints = default_synth.resources("network", "AWS::EC2::VPCEndpoint").values()
    gateways = [
        json.dumps(e["Properties"]["ServiceName"])
        for e in endpoints
        if e["Properties"].get("VpcEndpointType") == "Gateway"
    ]
    assert any("dynamodb" in name for name in gateways) and any("s3" in name for name in gateways)


def _policy(synth: Synthesized, prefix: str) -> list[dict[str, Any]]:
    for logical_id, policy in synth.resources("orchestration", "AWS::IAM::Policy").items():
        if logical_id.startswith(f"{prefix}ServiceRoleDefaultPolicy"):
            return list(policy["Properties"]["PolicyDocument"]["Statement"])
    raise AssertionError(f"no policy for {prefix}")


def test_probe_may_only_update_its_clusters_items(default_synth: Synthesized) -> None:
    statements = [s for s in _policy(default_synth, "ClientProbe") if not str(s["Action"]).count("xray:")]
    (statement,) = statements
    assert statement["Action"] == "dynamodb:UpdateItem"
    assert "Records" in json.dumps(statement["Resource"]) and "*" not in json.dumps(statement["Resource"])
    assert statement["Condition"] == {
        "ForAllValues:StringEquals": {"dynamodb:LeadingKeys": [default_synth.config.cluster_name]}
    }


def test_only_run_drill_phase_starts_the_probe(default_synth: Synthesized) -> None:
    probe_id, _ = _probe(default_synth)
    invokers = []
    for logical_id, policy in default_synth.resources("orchestration", "AWS::IAM::Policy").items():
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
            if "lambda:InvokeFunction" in _as_list(statement["Action"]) and probe_id in json.dumps(
                statement["Resource"]
            ):
                invokers.append(logical_id)
                assert statement["Resource"] == {"Fn::GetAtt": [probe_id, "Arn"]}  # no versions, no wildcard
    assert len(invokers) == 1 and invokers[0].startswith("RunDrillPhase")
    functions = default_synth.resources("orchestration", "AWS::Lambda::Function")
    run_phase = next(
        f["Properties"] for f in functions.values() if f["Properties"].get("Handler") == "handlers.drill.run_phase"
    )
    setting = json.dumps(run_phase["Environment"]["Variables"][wiring.ENV_CLIENT_PROBE])
    assert probe_id in setting and str(default_synth.config.hulft.receive_port) in setting


def test_dashboard_shows_the_client_rto(default_synth: Synthesized) -> None:
    (dashboard,) = default_synth.resources("orchestration", "AWS::CloudWatch::Dashboard").values()
    body = json.dumps(dashboard["Properties"]["DashboardBody"])
    assert wiring.METRIC_CLIENT_RTO in body and wiring.METRIC_DRILL_RTO in body


def test_bring_your_own_cluster_has_no_probe(byo_synth: Synthesized) -> None:
    functions = byo_synth.resources("orchestration", "AWS::Lambda::Function").values()
    assert not [f for f in functions if f["Properties"].get("Handler") == wiring.CLIENT_PROBE.handler]
