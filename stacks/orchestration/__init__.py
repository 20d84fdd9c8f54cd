"""Orchestration: the wiring description (no CDK import) and the stack (stacks.orchestration.stack)."""
