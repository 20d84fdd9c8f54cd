"""A simulated two-node SIOS LifeKeeper cluster running HULFT, for tests and the local world.

The SSM documents' real scripts run in bash against it: stand-ins for the node commands they call
(``simulator/standins``) come first on PATH and print the vendors' documented formats, and a failover
engine moves the cluster through time (detection, takeover, local recovery, reboot, resync).
"""

from simulator.cluster import InvalidDocumentParametersError, SimulatedCluster
from simulator.model import CommandOutcome, Knobs, Timings

__all__ = ["CommandOutcome", "InvalidDocumentParametersError", "Knobs", "SimulatedCluster", "Timings"]
