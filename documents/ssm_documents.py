"""Build the SSM Command documents from their scripts and parameter models.

Each document runs one script, kept in ``documents/scripts/`` with the shared helpers it sources
(``lib.sh``, ``vendor.sh``); SSM runs a single script, so the builder puts the helpers' text where the
script sources them (between the ``hadrill:include`` markers). ``documents/build.py`` writes the JSON
files; a test asserts the checked-in files equal what this module builds.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hadrill import contracts, params

INCLUDE_BEGIN = "# hadrill:include-begin"
INCLUDE_END = "# hadrill:include-end"


@dataclass(frozen=True)
class DocumentSpec:
    name: str
    script: str
    description: str
    parameters: type[params.DocumentParameters]
    includes: tuple[str, ...] = ("lib.sh",)

    @property
    def timeout_seconds(self) -> int:
        """The document's own timeout, written once (hadrill.contracts.DOCUMENT_TIMEOUT_SECONDS)."""
        return contracts.DOCUMENT_TIMEOUT_SECONDS[self.name]


DOCUMENTS: tuple[DocumentSpec, ...] = (
    # The first step of setup (issue 14): read-only, checks the vendor assumptions the others rest on.
    DocumentSpec(
        contracts.DOC_CONFORMANCE_PROBE,
        "conformance-probe.sh",
        "Check, read-only, the vendor commands, options, formats and node state that setup relies on.",
        params.ConformanceProbeParameters,
        ("lib.sh", "vendor.sh"),
    ),
    # The cluster base (issue 9): license + start, comm paths, virtual IP, /data mirror.
    DocumentSpec(
        contracts.DOC_LICENSE_AND_START,
        "license-and-start.sh",
        "Install the LifeKeeper license from Secrets Manager, start LifeKeeper, wait for LK_INITDONE (idempotent).",
        params.LicenseAndStartParameters,
        ("lib.sh", "vendor.sh"),
    ),
    DocumentSpec(
        contracts.DOC_COMM_PATHS,
        "comm-paths.sh",
        "Create this node's TCP comm path(s) to the peer and wait until they are ALIVE (idempotent).",
        params.CommPathsParameters,
        ("lib.sh", "vendor.sh"),
    ),
    DocumentSpec(
        contracts.DOC_VIRTUAL_IP_RESOURCE,
        "virtual-ip-resource.sh",
        "Protect the virtual IP (IP + EC2 Recovery Kit, route table) on the primary, extend it (idempotent).",
        params.VirtualIpResourceParameters,
        ("lib.sh", "vendor.sh"),
    ),
    DocumentSpec(
        contracts.DOC_DATA_MIRROR,
        "data-mirror.sh",
        "Create the DataKeeper mirror of /data on the primary, extend it, wait for the resync (idempotent).",
        params.DataMirrorParameters,
        ("lib.sh", "vendor.sh"),
    ),
    DocumentSpec(
        contracts.DOC_NODE_STATUS,
        "node-status.sh",
        "Report LifeKeeper, HULFT, /data, mirror, hosts and package state of one node.",
        params.NodeStatusParameters,
        ("lib.sh", "vendor.sh"),
    ),
    DocumentSpec(
        contracts.DOC_HOSTS_ENTRY,
        "hosts-entry.sh",
        "Map the logical host to the virtual IP in /etc/hosts (idempotent).",
        params.HostsEntryParameters,
    ),
    DocumentSpec(
        contracts.DOC_STAGE_MEDIA,
        "stage-media.sh",
        "Copy the HULFT and Recovery Kit images from S3 and verify their SHA-256.",
        params.StageMediaParameters,
    ),
    DocumentSpec(
        contracts.DOC_INSTALL_HULFT,
        "install-hulft.sh",
        "Install HULFT unattended as the active or standby cluster node (idempotent).",
        params.InstallHulftParameters,
        ("lib.sh", "vendor.sh"),
    ),
    DocumentSpec(
        contracts.DOC_INSTALL_RECOVERY_KIT,
        "install-recovery-kit.sh",
        "Install the HULFT Recovery Kit rpm for LifeKeeper (idempotent).",
        params.InstallRecoveryKitParameters,
    ),
    DocumentSpec(
        contracts.DOC_CREATE_HULFT_RESOURCE,
        "create-hulft-resource.sh",
        "Create the hulft resource hierarchy on the primary and extend it to the standby (idempotent).",
        params.CreateHulftResourceParameters,
        ("lib.sh", "vendor.sh"),
    ),
    DocumentSpec(
        contracts.DOC_WATCH_TAKEOVER,
        "watch-takeover.sh",
        "On the standby, poll until the hierarchy is ISP and the HULFT daemons are up; print a timeline.",
        params.WatchTakeoverParameters,
        ("lib.sh", "vendor.sh"),
    ),
    DocumentSpec(
        contracts.DOC_INJECT_FAULT,
        "inject-fault.sh",
        "Inject a fault on the primary: network-down, hulft-daemon-kill or switchover.",
        params.InjectFaultParameters,
        ("lib.sh", "vendor.sh", "dead-man.sh"),
    ),
    # The dead-man switch (issue 17): the recovery stops the timer InjectFault armed, or learns it fired.
    DocumentSpec(
        contracts.DOC_DISARM_DEAD_MAN,
        "disarm-dead-man.sh",
        "Stop the dead-man switch's reboot timer on the primary, or report that it fired or is gone.",
        params.DisarmDeadManParameters,
        ("lib.sh", "dead-man.sh"),
    ),
    DocumentSpec(
        contracts.DOC_HEALTH_CHECK,
        "health-check.sh",
        "Check comm paths, mirror, hierarchy states and daemons against the node's expected role.",
        params.HealthCheckParameters,
        ("lib.sh", "vendor.sh"),
    ),
    DocumentSpec(
        contracts.DOC_DATA_MARKER,
        "data-marker.sh",
        "Write, check or remove a drill's marker file on the mirrored mount (no data lost in a takeover).",
        params.DataMarkerParameters,
    ),
)


def spec(name: str) -> DocumentSpec:
    for document in DOCUMENTS:
        if document.name == name:
            return document
    raise KeyError(f"no SSM document named {name!r}")


def script_text(document: DocumentSpec, scripts_dir: Path) -> str:
    """The script with the helpers' text in place of the lines that source them."""
    lines = (scripts_dir / document.script).read_text().splitlines()
    try:
        begin, end = lines.index(INCLUDE_BEGIN), lines.index(INCLUDE_END)
    except ValueError:
        raise ValueError(f"{document.script} lacks the {INCLUDE_BEGIN!r} / {INCLUDE_END!r} markers") from None
    included: list[str] = []
    for name in document.includes:
        included += [
            f"# ---- {name} ----",
            *(scripts_dir / name).read_text().splitlines(),
            f"# ---- end of {name} ----",
        ]
    return "\n".join([*lines[:begin], *included, *lines[end + 1 :]]) + "\n"


def ssm_parameters(model: type[params.DocumentParameters]) -> dict[str, dict[str, str]]:
    schema = model.model_json_schema(by_alias=True)
    result: dict[str, dict[str, str]] = {}
    for name, prop in schema["properties"].items():
        entry = {
            "type": "String",
            "description": prop["description"],
            "allowedPattern": prop["pattern"],
            "interpolationType": "ENV_VAR",
        }
        if "default" in prop:
            entry["default"] = prop["default"]
        result[name] = entry
    return result


def build_document(document: DocumentSpec, scripts_dir: Path) -> dict[str, Any]:
    return {
        "schemaVersion": "2.2",
        "description": document.description,
        "parameters": ssm_parameters(document.parameters),
        "mainSteps": [
            {
                "action": "aws:runShellScript",
                "name": "run",
                "inputs": {
                    "timeoutSeconds": str(document.timeout_seconds),
                    "runCommand": script_text(document, scripts_dir).splitlines(),
                },
            }
        ],
    }


def render(document: DocumentSpec, scripts_dir: Path) -> str:
    return json.dumps(build_document(document, scripts_dir), indent=2, ensure_ascii=False) + "\n"


def script_header(document: DocumentSpec, scripts_dir: Path) -> list[str]:
    """The comment block at the top of the script (what it does, its exit codes)."""
    header: list[str] = []
    for line in (scripts_dir / document.script).read_text().splitlines()[1:]:
        if not line.startswith("#"):
            break
        header.append(line[2:] if line.startswith("# ") else line[1:])
    return header


def render_readme(scripts_dir: Path) -> str:
    """documents/README.md: every document, its parameters and what its script says about itself."""
    out = [
        "# SSM documents",
        "",
        "Generated by `documents/build.py` from `documents/scripts/` and `lambdas/hadrill/params.py`; do not edit.",
        "Each document runs one script (with `lib.sh` and, where needed, `vendor.sh` inlined). Parameters reach",
        "the script as environment variables `SSM_<Name>` (`interpolationType: ENV_VAR`, SSM Agent 3.3.2746.0 or",
        "later); each has an `allowedPattern`. The last line on stdout is the JSON result",
        '`{"ok": bool, "changed": bool, "message": str, ...}`, written by `lib.sh`\'s `hadrill_result` from',
        "`<kind>:<key> <value>` fields (the only way a script names a key); each document's keys are its result",
        "model in `lambdas/hadrill/contracts.py` (`SCRIPT_RESULTS`), which the Lambdas parse into and a test holds",
        "the script to. Vendor command lines that public documentation does not pin down live in",
        "`scripts/vendor.sh`; a node overrides them in `/etc/hadrill/vendor-overrides.sh`.",
        "",
    ]
    for document in DOCUMENTS:
        out += [f"## {document.name}", "", f"`scripts/{document.script}`, timeout {document.timeout_seconds} s.", ""]
        out += ["```text", *script_header(document, scripts_dir), "```", ""]
        out += ["| parameter | default | allowedPattern | description |", "|---|---|---|---|"]
        for name, spec in ssm_parameters(document.parameters).items():
            pattern = spec["allowedPattern"].replace("|", "\\|")
            out.append(f"| {name} | {spec.get('default', '(required)')} | `{pattern}` | {spec['description']} |")
        out.append("")
    return "\n".join(out)
