"""Synthesize the CDK app from a config into a folder and read its templates."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aws_cdk import assertions

from stacks.app_builder import build_fleet, build_stacks, new_app
from stacks.config import DeploymentConfig, load_config
from stacks.fleet.config import load_fleet

REPO = Path(__file__).resolve().parents[2]
DEFAULT_CONFIG = REPO / "config" / "default.yaml"
BYO_CONFIG = REPO / "config" / "examples" / "byo.yaml"


@dataclass(frozen=True)
class Synthesized:
    config: DeploymentConfig
    outdir: Path
    templates: dict[str, dict[str, Any]]  # by stack role: "network", "cluster"

    def template(self, role: str) -> assertions.Template:
        return assertions.Template.from_json(self.templates[role])

    def resources(self, role: str, kind: str) -> dict[str, dict[str, Any]]:
        return {k: v for k, v in self.templates[role]["Resources"].items() if v["Type"] == kind}


def synthesize(config_path: Path, outdir: Path) -> Synthesized:
    config = load_config(config_path)
    app = new_app(outdir=str(outdir))
    stacks = build_stacks(app, config)
    app.synth()
    templates = {
        role: json.loads((outdir / f"{stack.stack_name}.template.json").read_text()) for role, stack in stacks.items()
    }
    return Synthesized(config=config, outdir=outdir, templates=templates)


FLEET_CONFIG = REPO / "config" / "fleet.yaml"


@dataclass(frozen=True)
class SynthesizedFleet:
    outdir: Path
    templates: dict[str, dict[str, Any]]  # by stack name: "hulft-demo-orchestration", "hulft-fleet-fleet"

    def resources(self, stack: str, kind: str) -> dict[str, dict[str, Any]]:
        return {k: v for k, v in self.templates[stack]["Resources"].items() if v["Type"] == kind}


def synthesize_fleet(fleet_path: Path, outdir: Path) -> SynthesizedFleet:
    app = new_app(outdir=str(outdir))
    built = build_fleet(app, load_fleet(fleet_path))
    app.synth()
    names = [stack.stack_name for stacks in built.values() for stack in stacks.values()]
    templates = {name: json.loads((outdir / f"{name}.template.json").read_text()) for name in names}
    return SynthesizedFleet(outdir=outdir, templates=templates)
