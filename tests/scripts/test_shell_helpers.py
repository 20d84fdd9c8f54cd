"""The shell helpers (lib.sh, vendor.sh) against the same fixtures as the Python parsers.

The polling scripts read lcdstatus and ps in bash; these tests hold that reading to the reference
parser in hadrill, fixture by fixture, and check the JSON the helpers print.
"""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path

import pytest

from hadrill.hulft_ps import parse_hulft_processes, running_daemons
from hadrill.lcdstatus import PathState, parse_lcdstatus

SCRIPTS = Path(__file__).resolve().parents[2] / "documents" / "scripts"
FIXTURES = Path(__file__).resolve().parents[1] / "unit" / "fixtures"


def bash(body: str, *args: str) -> str:
    program = f'set -Eeuo pipefail\n. "{SCRIPTS}/lib.sh"\n. "{SCRIPTS}/vendor.sh"\n{body}'
    done = subprocess.run(
        ["bash", "-c", program, "test", *args],
        capture_output=True,
        text=True,
        check=True,
        env={"PATH": "/usr/bin:/bin", "HADRILL_VENDOR_OVERRIDES": "/nonexistent"},
    )
    return done.stdout


LCD_FIXTURES = [
    "lcdstatus_primary_healthy.txt",
    "lcdstatus_standby_healthy.txt",
    "lcdstatus_after_failover.txt",
    "lcdstatus_all_states.txt",
    "lcdstatus_backup_titles.txt",
    "lcdstatus_header_only.txt",
    "lcdstatus_no_comm_paths.txt",
]


@pytest.mark.parametrize("fixture", LCD_FIXTURES)
@pytest.mark.parametrize("tag", ["hulft", "/data", "pgsql-main", "missing"])
def test_lk_scan_agrees_with_the_reference_parser(fixture: str, tag: str) -> None:
    text = (FIXTURES / fixture).read_text()
    out = bash(
        'lk_scan "$1" "$2"\n'
        'printf "%s\\n%s\\n%s\\n---\\n%s" "$LK_ROOT_STATE" "$LK_PATHS_TOTAL" "$LK_TREE_STATES" "$LK_PATHS_DEAD"',
        text,
        tag,
    )
    root_state, total, rest = out.split("\n", 2)
    tree_text, dead_text = rest.split("---\n")
    status = parse_lcdstatus(text)
    resource = status.resource(tag)
    assert root_state == (resource.state.value if resource else "none")
    assert [line for line in tree_text.splitlines() if line] == [
        f"{r.tag}={r.state.value}" for r in status.hierarchy(tag)
    ]
    assert int(total) == len(status.comm_paths)
    assert len([line for line in dead_text.splitlines() if line]) == len(
        [p for p in status.comm_paths if p.state is PathState.DEAD]
    )


@pytest.mark.parametrize(
    "text",
    [
        (FIXTURES / "ps_blog_wrapped.txt").read_text(),
        (FIXTURES / "ps_active_one_line.txt").read_text(),
        (FIXTURES / "ps_standby_none.txt").read_text(),
        (FIXTURES / "ps_manual_start.txt").read_text(),
        "root  9 1 0 10:00 pts/0 00:00:00 grep hulsndd\nroot 10 1 0 10:00 pts/0 00:00:00 tail -f /x/hulobsd\n",
    ],
)
def test_daemons_up_agrees_with_the_reference_parser(text: str) -> None:
    up = bash('hulft_daemons_up "$1"\nprintf "%s" "$HULFT_UP"', text)
    assert set(up.split()) == set(running_daemons(parse_hulft_processes(text)))


def test_result_line_escapes_everything() -> None:
    """Quotes, backslashes, tabs, newlines and control characters still give one valid JSON line."""
    nasty = 'a "quoted" \\ back\tslash\nnew line \x01\x1f end \u00e9'
    out = bash('hadrill_result true false "$1" str:raw "$1" lines:list "$1"', nasty)
    assert out.count("\n") == 1
    result = json.loads(out)
    assert result["message"] == result["raw"] == nasty.replace("\x01", "").replace("\x1f", "")
    assert result["list"] == ['a "quoted" \\ back\tslash', "new line  end \u00e9"]


def test_result_fields_keep_their_kinds() -> None:
    """Each kind gives its JSON type; an object from hadrill_obj nests as JSON; an empty lines list is []."""
    out = bash(
        'hadrill_result false true "m" int:exit_code 1 int:zero 0 int:negative -12 bool:found false str:empty "" '
        'lines:none "" json:checks "[$(hadrill_obj str:name "a b" bool:passed true)]"'
    )
    assert json.loads(out) == {
        "ok": False,
        "changed": True,
        "message": "m",
        "exit_code": 1,
        "zero": 0,
        "negative": -12,
        "found": False,
        "empty": "",
        "none": [],
        "checks": [{"name": "a b", "passed": True}],
    }


@pytest.mark.parametrize(
    "fields",
    [
        "int:count 007",  # a leading zero is not JSON
        "int:count 12ms",
        "int:count ''",
        "bool:found yes",
        "json:raw ''",
        "float:ratio 1.5",  # no such kind
        "str:Bad-Key x",  # keys are snake_case
        "nokind x",
        "str:dangling",  # a key without its value
    ],
)
def test_a_malformed_field_fails_the_script_naming_it(fields: str) -> None:
    """A script bug never prints broken JSON: the helper exits 70 and says which field."""
    done = subprocess.run(
        ["bash", "-c", f'set -Eeuo pipefail\n. "{SCRIPTS}/lib.sh"\nhadrill_result true false m {fields}'],
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin"},
    )
    assert done.returncode == 70
    assert fields.split()[0] in done.stderr
    result = json.loads(done.stdout.splitlines()[-1])  # the ERR trap's own result line
    assert result["ok"] is False and result["exit_code"] == 70


def test_now_ms_is_epoch_milliseconds() -> None:
    before = int(time.time() * 1000)
    value = int(bash('hadrill_now_ms\nprintf "%s" "$HADRILL_NOW_MS"'))
    assert before <= value <= int(time.time() * 1000)


def test_pause_waits_without_starting_a_program() -> None:
    # PATH names no directory: a `sleep` could not be found, so a pause that returns after its time and
    # succeeds waited in the shell itself; the second pause reuses the same held pipe.
    body = (
        "s=$EPOCHREALTIME; PATH=/nonexistent hadrill_pause 0.15; m=$EPOCHREALTIME; fd=$HADRILL_PAUSE_FD\n"
        "PATH=/nonexistent hadrill_pause 0.05; e=$EPOCHREALTIME\n"
        'printf "%s %s %s %s %s" "$s" "$m" "$e" "$fd" "$HADRILL_PAUSE_FD"'
    )
    start, middle, end, fd, fd_again = bash(body).split()
    assert float(middle) - float(start) >= 0.15 and float(end) - float(middle) >= 0.05
    assert fd == fd_again


def test_no_poll_loop_starts_sleep() -> None:
    for script in sorted(SCRIPTS.glob("*.sh")):
        loops = [line.strip() for line in script.read_text().splitlines() if line.strip().startswith("sleep ")]
        assert loops == [], f"{script.name}: hadrill_pause instead of {loops}"


def _recording_tools(tmp_path: Path) -> tuple[dict[str, str], Path]:
    """lkcli, lcdremexec and the kits' scripts as recorders: each appends its argv to a log (a test
    double of the commands, for the choice of tool; the simulator models lkcli)."""
    log = tmp_path / "calls.log"
    record = f'#!/bin/bash\nprintf "%s\\n" "${{0##*/}} $*" >>"{log}"\n'
    bin_dir = tmp_path / "bin"
    scripts = [bin_dir / "lkcli", tmp_path / "lk/lkadm/bin/extmgrDoExtend.pl"]
    for kit in ("appsuite/hulft", "comm/ip", "gen/ec2"):
        scripts += [tmp_path / "lk/lkadm/subsys" / kit / "bin" / name for name in ("create", "canextend")]
    for script in scripts:
        script.parent.mkdir(parents=True, exist_ok=True)
        script.write_text(record)
        script.chmod(0o755)
    remexec = bin_dir / "lcdremexec"
    remexec.write_text(record + 'while [[ "$1" != -- ]]; do shift; done\nshift\nexec "$@"\n')
    remexec.chmod(0o755)
    env = {
        "PATH": f"{bin_dir}:/usr/bin:/bin",
        "LKROOT": str(tmp_path / "lk"),
        "HADRILL_NODE_NAME": "lk-node1",
        "HADRILL_VENDOR_OVERRIDES": "/nonexistent",
    }
    return env, log


def _calls(env: dict[str, str], body: str) -> subprocess.CompletedProcess[str]:
    program = f'set -Eeuo pipefail\n. "{SCRIPTS}/lib.sh"\n. "{SCRIPTS}/vendor.sh"\n{body}'
    return subprocess.run(["bash", "-c", program], capture_output=True, text=True, env=env, check=False)


RESOURCE_CALLS = (
    "lk_create_hulft hulft /usr/local/hulft/bin /data/hulft/etc /data intelligent 1\n"
    "lk_extend_hulft hulft lk-node2 10 1 intelligent\n"
    "lk_create_ip ip-vip 10.255.0.10 255.255.255.255 eth0\n"
    "lk_create_ec2 ec2-vip ip-vip\n"
    "lk_extend_ec2 ec2-vip lk-node2 10 intelligent\n"
)


def test_resources_are_made_with_lkcli_by_default(tmp_path: Path) -> None:
    env, log = _recording_tools(tmp_path)
    assert _calls(env, RESOURCE_CALLS).returncode == 0
    assert log.read_text().splitlines() == [
        "lkcli resource create hulft --tag hulft --hulexep /usr/local/hulft/bin --hulpath /data/hulft/etc "
        "--fstag /data --switchback intelligent --priority 1",
        "lkcli resource extend hulft --tag hulft --dest lk-node2 --target_priority 10 --template_priority 1 "
        "--switchback intelligent",
        "lkcli resource create ip --tag ip-vip --ipaddr 10.255.0.10 --netmask 255.255.255.255 --device eth0",
        "lkcli resource create ec2 --tag ec2-vip --type RouteTable --ip_resource ip-vip",
        "lkcli resource extend ec2 --tag ec2-vip --dest lk-node2 --target_priority 10 --switchback intelligent",
    ]


def test_kit_scripts_make_the_resources_the_way_sios_scripts_do(tmp_path: Path) -> None:
    """HADRILL_RESOURCE_TOOL=kit-scripts: the kit's create, canextend on the target through lcdremexec
    (this node as the template), then extmgrDoExtend.pl; lkcli is never called."""
    env, log = _recording_tools(tmp_path)
    assert _calls({**env, "HADRILL_RESOURCE_TOOL": "kit-scripts"}, RESOURCE_CALLS).returncode == 0
    assert log.read_text().splitlines() == [
        "create intelligent /usr/local/hulft/bin /data/hulft/etc /data hulft",
        f"lcdremexec -d lk-node2 -- {tmp_path}/lk/lkadm/subsys/appsuite/hulft/bin/canextend lk-node1 hulft",
        "canextend lk-node1 hulft",
        "extmgrDoExtend.pl -p1 -f, hulft lk-node2 10 intelligent hulft",
        "create ip-vip 10.255.0.10 255.255.255.255 eth0",
        "create ec2-vip RouteTable ip-vip",
        f"lcdremexec -d lk-node2 -- {tmp_path}/lk/lkadm/subsys/gen/ec2/bin/canextend lk-node1 ec2-vip",
        "canextend lk-node1 ec2-vip",
        "extmgrDoExtend.pl -p1 -f, ec2-vip lk-node2 10 intelligent ec2-vip",
    ]


def test_an_unknown_resource_tool_fails_naming_the_variable(tmp_path: Path) -> None:
    env, log = _recording_tools(tmp_path)
    body = 'rc=0; lk_create_ip ip-vip 10.255.0.10 255.255.255.255 eth0 || rc=$?; echo "rc=$rc"'
    ran = _calls({**env, "HADRILL_RESOURCE_TOOL": "gui"}, body)
    assert ran.stdout == "rc=2\n" and "HADRILL_RESOURCE_TOOL=gui: expected lkcli or kit-scripts" in ran.stderr
    assert not log.exists()
