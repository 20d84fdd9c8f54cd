"""The LifeKeeper hierarchy of the reference procedure, as the simulator builds it and the fixtures show it."""

from __future__ import annotations

# Root first, then depth first: /data with its mirror below it, then the three daemon resources.
HULFT_HIERARCHY = ("hulft", "/data", "datarep-data", "hulft-obs", "hulft-rcv", "hulft-snd")
