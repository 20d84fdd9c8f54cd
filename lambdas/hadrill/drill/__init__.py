"""The failover drill: input, per-cluster lock, phases (preflight to postflight), report.

The drill state machine (statemachines/drill.asl.json) calls one function per phase through thin
handlers (handlers/drill.py); everything that decides something lives here, so the local runner,
the CLI and the tests use the same code.
"""
