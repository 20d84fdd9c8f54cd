"""The fleet: one FleetDrill state machine over the clusters one app deploys (stacks/fleet/stack.py)."""
