"""Run the real workflows on this machine: moto for AWS, a simulated LifeKeeper + HULFT cluster.

Built from the same wiring as the CDK orchestration stack (stacks/orchestration/wiring.py).
Everything it reports about LifeKeeper or HULFT comes from the simulator, a test double.
"""

from localrunner.deployment import LocalDeployment, deploy_local

__all__ = ["LocalDeployment", "deploy_local"]
