"""What the conformance probe (documents/scripts/conformance-probe.sh) asks the simulated nodes.

Each answer says which vendor fact it imitates and where that fact comes from; where the real output
format is unknown, it says so (docs/vendor-commands.md lists the same items with their status):

- ``lkcli resource <verb> <kind> --help``: **format unknown**. No public lkcli help text was found
  (searched: SIOS docs, the AWS Quick Start and aws-ia scripts). The simulated text is invented: a
  usage line and one option per line. The probe only relies on each option appearing as a word.
  The dk options are the ones aws-ia/cfn-ps-sios-protection-suite scripts/CreateMirrorHierarchy.pl
  passes (verified usage); the hulft, ip and ec2 options are our reading in vendor.sh (unverified).
- ``lkping -c 1 -w 2 ADDRESS``: SIOS Japan knowledge base, lkdkuserportal.sios.jp article
  360037695871 ("[Linux] lkping コマンドについて"): ``lkping [options] host``, options as ping's
  except ``-w`` (timeout in seconds) and ``-z``; it checks reachability the same way ping does. Its
  output is therefore imitated from iputils ping (assumed, not seen).
- ``rpm -q NAME``: rpm's own format (``NAME-VERSION-RELEASE.ARCH``, or ``package NAME is not
  installed`` with exit 1), answered by simulator/commands.py; the package names steeleye-lk,
  steeleye-lkDR, steeleye-lkECC are our reading (unverified), steeleye-lkHUL is the blog's.
- The HULFT installer's usage text lives in simulator/media.py (**format unknown**, invented).
"""

from __future__ import annotations

from pathlib import Path

from simulator.model import Knobs

# The options the simulated lkcli accepts, by (verb, kind).
LKCLI_OPTIONS: dict[tuple[str, str], tuple[str, ...]] = {
    ("create", "hulft"): ("--tag", "--hulexep", "--hulpath", "--fstag", "--switchback", "--priority"),
    ("extend", "hulft"): ("--tag", "--dest", "--target_priority", "--template_priority", "--switchback"),
    ("create", "ip"): ("--tag", "--ipaddr", "--netmask", "--device"),
    ("extend", "ip"): ("--tag", "--dest", "--target_priority", "--switchback"),
    ("create", "ec2"): ("--tag", "--type", "--ip_resource"),
    ("extend", "ec2"): ("--tag", "--dest", "--target_priority", "--switchback"),
    ("create", "dk"): ("--tag", "--mode", "--device", "--fstype", "--mount_point", "--fstag", "--hierarchy"),
    ("extend", "dk"): (
        "--tag",
        "--dest",
        "--mode",
        "--laddr",
        "--raddr",
        "--fstag",
        "--switchback",
        "--target_priority",
    ),
}

# Knob files the bash stand-ins read (cluster/knobs/<name>).
MIRROR_REWORDED_FILE = "mirror_status_reworded"


def lkcli_help(args: list[str], knobs: Knobs) -> tuple[int, str, str]:
    """``lkcli resource <verb> <kind> --help``: (exit code, stdout, stderr). Invented format (see above)."""
    words = [a for a in args if a != "--help"]
    key = (words[1], words[2]) if len(words) >= 3 and words[0] == "resource" else None
    if key is None or key not in LKCLI_OPTIONS:
        return 1, "", f"lkcli {' '.join(words)}: unknown command\n"
    options = [o for o in LKCLI_OPTIONS[key] if o != knobs.lkcli_without_option]
    lines = [f"Usage: lkcli resource {key[0]} {key[1]} [options]", "", "Options:"]
    lines += [f"  {option} <value>" for option in options]
    return 0, "\n".join(lines) + "\n", ""


def lkping_reply(address: str, *, answered: bool) -> tuple[int, str, str]:
    """``lkping -c 1 -w 2 ADDRESS`` in iputils ping's words (assumed: lkping behaves like ping)."""
    head = f"PING {address} ({address}) 56(84) bytes of data.\n"
    if answered:
        return (
            0,
            head + f"64 bytes from {address}: icmp_seq=1 ttl=64 time=0.412 ms\n\n"
            f"--- {address} ping statistics ---\n"
            "1 packets transmitted, 1 received, 0% packet loss, time 0ms\n"
            "rtt min/avg/max/mdev = 0.412/0.412/0.412/0.000 ms\n",
            "",
        )
    return (
        1,
        head + f"\n--- {address} ping statistics ---\n1 packets transmitted, 0 received, 100% packet loss, time 0ms\n",
        "",
    )


def write_knob_files(knobs_dir: Path, knobs: Knobs) -> None:
    """The probe's knobs that a bash stand-in reads (mirror_status's wording)."""
    knobs_dir.mkdir(parents=True, exist_ok=True)
    reworded = knobs_dir / MIRROR_REWORDED_FILE
    if knobs.mirror_status_reworded:
        reworded.write_text("")
    else:
        reworded.unlink(missing_ok=True)
