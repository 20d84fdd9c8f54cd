"""`hadrill plan` summarizes a synthesized assembly, labelled as not deployed."""

from __future__ import annotations

from pathlib import Path

import pytest

from hadrill_cli.main import EXIT_ENVIRONMENT, EXIT_OK, main
from support.synthesis import Synthesized


def test_plan_lists_nodes_vip_and_endpoints(default_synth: Synthesized, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["plan", "--assembly", str(default_synth.outdir)]) == EXIT_OK
    out = capsys.readouterr().out
    assert out.startswith("SYNTHESIZED ONLY - nothing was deployed")
    config = default_synth.config
    assert f"node {config.nodes.primary.name} (primary): {config.nodes.instance_type}, IMDSv2 required" in out
    assert f"node {config.nodes.secondary.name} (secondary)" in out
    assert f"virtual IP route {config.virtual_ip.address}/32 -> primary node ENI" in out
    for service in ("ssm", "ssmmessages", "ec2messages", "ec2", "secretsmanager", "s3"):
        assert f"VPC endpoint {service}\n" in out
    assert "2 x AWS::EC2::Instance" in out


def test_plan_without_assembly_says_what_to_do(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["plan", "--assembly", str(tmp_path / "nowhere")]) == EXIT_ENVIRONMENT
    assert "run `make synth` first" in capsys.readouterr().err
