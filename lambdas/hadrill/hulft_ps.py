"""Find HULFT's daemons in ``ps -ef`` output.

Columns: UID PID PPID C STIME TTY TIME CMD. In cluster mode the daemons run as
``<HULEXEP>/hulrcvd -pipe 20 -oplsrc HULFT_CLS_COMMAND ...``; a daemon may fork workers (a child whose
parent is the same daemon). Long command lines may arrive wrapped (as in the reference blog): a line
that does not start with the UID/PID/PPID columns continues the previous process.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from hadrill.errors import ParseError, shown

DAEMONS = ("hulobsd", "hulrcvd", "hulsndd")
_WHAT = "ps -ef output"
# ASCII digits only (\d would take any Unicode digit) and PIDs short enough for int().
_PROCESS = re.compile(
    r"^[ \t]*(?P<uid>[^ \t]+)[ \t]+(?P<pid>[0-9]{1,10})[ \t]+(?P<ppid>[0-9]{1,10})[ \t]+[0-9]{1,10}[ \t]+[^ \t]+"
    r"[ \t]+[^ \t]+[ \t]+[0-9:.-]+(?:[ \t]+(?P<cmd>.*))?$",
    flags=re.ASCII,
)
_HEADER = re.compile(r"^[ \t]*UID[ \t]+PID[ \t]+PPID([ \t]|$)", flags=re.ASCII)


@dataclass(frozen=True)
class HulftProcess:
    daemon: str  # hulobsd | hulrcvd | hulsndd
    pid: int
    ppid: int
    user: str
    path: str  # the program path, e.g. /usr/local/hulft/bin/hulrcvd
    cluster_mode: bool  # started by the cluster commands (-oplsrc HULFT_CLS_COMMAND)


def _records(text: str) -> list[tuple[str, str, str, str, int]]:
    records: list[tuple[str, str, str, str, int]] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or _HEADER.match(line):
            continue
        match = _PROCESS.match(line)
        if match:
            records.append((match["uid"], match["pid"], match["ppid"], match["cmd"] or "", number))
        elif records:
            uid, pid, ppid, cmd, first = records[-1]
            records[-1] = (uid, pid, ppid, f"{cmd} {line.strip()}".strip(), first)
        else:
            raise ParseError(
                _WHAT, f"expected 'UID PID PPID C STIME TTY TIME CMD' columns: {shown(line.strip())}", number
            )
    return records


def parse_hulft_processes(text: str) -> tuple[HulftProcess, ...]:
    """Every HULFT daemon process in the listing (other processes are ignored)."""
    found: list[HulftProcess] = []
    for uid, pid, ppid, cmd, _ in _records(text):
        words = cmd.split()
        if not words:
            continue
        program = words[0]
        name = program.rsplit("/", 1)[-1]
        if name in DAEMONS:
            found.append(HulftProcess(name, int(pid), int(ppid), uid, program, "HULFT_CLS_COMMAND" in words[1:]))
    return tuple(found)


def running_daemons(processes: tuple[HulftProcess, ...]) -> frozenset[str]:
    """Names of the daemons that have at least one process."""
    return frozenset(p.daemon for p in processes)


def main_processes(processes: tuple[HulftProcess, ...]) -> tuple[HulftProcess, ...]:
    """The daemons themselves, without the workers they forked."""
    pids = {p.pid: p for p in processes}
    return tuple(p for p in processes if not (p.ppid in pids and pids[p.ppid].daemon == p.daemon))
