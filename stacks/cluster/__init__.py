from stacks.cluster.stack import ClusterStack, ClusterTargets

__all__ = ["ClusterStack", "ClusterTargets"]
