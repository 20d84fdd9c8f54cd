from stacks.orchestration.stack import OrchestrationStack

__all__ = ["OrchestrationStack"]
