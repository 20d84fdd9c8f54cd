"""Value types of the simulator: what a command returned, the knobs, the timings."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class CommandOutcome:
    """How one SSM command ended on one node."""

    status: str  # "Success" | "Failed" | "TimedOut" | "Undeliverable" | "Cancelled"
    response_code: int  # the script's exit code, -1 when it never ran or never reported
    stdout: str
    stderr: str


@dataclass(frozen=True)
class Knobs:
    """Force the bad paths. The defaults give a healthy cluster."""

    standby_never_takes_over: bool = False  # the standby detects the failure but never restores
    mirror_out_of_sync: bool = False  # the mirror never reaches "Fully Operational"
    dead_comm_path: bool = False  # the second comm path stays DEAD on both nodes
    hang_command: str | None = None  # a node command (e.g. "lcdstatus") that never returns
    lose_node_during: str | None = None  # a document name: the node drops off while running it
    install_fails: bool = False  # the HULFT installer exits non-zero
    secret_missing: bool = False  # Secrets Manager answers ResourceNotFoundException
    shutdown_switchover: bool = True  # LifeKeeper shutdown strategy: stop/reboot switches over first
    # Mismatches for the conformance probe (simulator/probe_standins.py):
    lkcli_without_option: str | None = None  # an older lkcli whose --help lacks this option ("--hulexep")
    mirror_status_reworded: bool = False  # mirror_status words its status differently ("Synchronized: 100%")
    no_icmp: bool = False  # ICMP echo blocked between the nodes: lkping gets no answer
    # network-down: ifdown (or service network stop) takes this long before the interface is down, so
    # the fault lands later than the drill predicts (InjectFault's time + DelaySeconds).
    fault_delay_seconds: float = 0.0
    # The node that takes the hierarchy over starts hulrcvd, but its receive port stays closed (a host
    # firewall, a wrong bind address): the daemons are up and no partner can connect.
    receive_port_closed_after_takeover: bool = False


@dataclass(frozen=True)
class Timings:
    """Delays of the failover model, in seconds (real wall time).

    Defaults are LifeKeeper's documented ones: a heartbeat every LCMHBEATTIME=5 s and a comm path
    DEAD after LCMNUMHBEATS=3 missed beats (about 15 s) before failover starts; quickCheck every
    LKCHECKINTERVAL=120 s for local recovery. restore_seconds (IP route, /data, three daemons) is
    a few seconds in practice; HULFT_RESTORE_TIMEOUT=60 is only its upper bound.
    """

    heartbeat_seconds: float = 5.0
    missed_heartbeats: int = 3
    restore_seconds: float = 5.0
    local_recovery_seconds: float = 120.0
    reboot_seconds: float = 60.0
    resync_seconds: float = 30.0
    lose_after_seconds: float = 0.2
    lk_start_seconds: float = 10.0  # lkstart until LK_INITDONE

    @property
    def detection_seconds(self) -> float:
        return self.heartbeat_seconds * self.missed_heartbeats

    @classmethod
    def fast(cls) -> Timings:
        """Small values for tests: 0.3 s detection, 0.2 s restore."""
        return cls(
            heartbeat_seconds=0.1,
            missed_heartbeats=3,
            restore_seconds=0.2,
            local_recovery_seconds=0.3,
            reboot_seconds=0.3,
            resync_seconds=0.3,
            lose_after_seconds=0.2,
            lk_start_seconds=0.1,
        )
