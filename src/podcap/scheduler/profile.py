"""The default profile: the filter plugins in kube-scheduler's order
(``pkg/scheduler/apis/config/v1/default_plugins.go``), of those podcap models.

Scores of the default profile modelled by the fast engine: NodeResourcesFit (weight 1,
LeastAllocated or MostAllocated), NodeResourcesBalancedAllocation (weight 1) and the system-default
PodTopologySpread (weight 2); the reference engine models every score plugin.

Node sampling: :func:`nodes_to_find` (``percentageOfNodesToScore``).
"""

from __future__ import annotations

from podcap.scheduler.framework import FilterPlugin
from podcap.scheduler.plugins import (
    inter_pod_affinity,
    node_affinity,
    node_name,
    node_ports,
    node_resources_fit,
    node_unschedulable,
    node_volume_limits,
    pod_topology_spread,
    taint_toleration,
    volume_binding,
)

__all__ = ["FILTERS", "nodes_to_find"]

# schedule_one.go: minFeasibleNodesToFind, minFeasibleNodesPercentageToFind
_MIN_NODES = 100
_MIN_PERCENTAGE = 5

FILTERS: tuple[FilterPlugin, ...] = (
    node_unschedulable.PLUGIN,
    node_name.PLUGIN,
    taint_toleration.PLUGIN,
    node_affinity.PLUGIN,
    node_ports.PLUGIN,
    node_resources_fit.PLUGIN,
    node_volume_limits.PLUGIN,
    volume_binding.PLUGIN,
    pod_topology_spread.PLUGIN,
    inter_pod_affinity.PLUGIN,
)


def nodes_to_find(percentage: int, nodes: int) -> int:
    """kube-scheduler's ``numFeasibleNodesToFind``: feasible nodes it looks for before it stops
    filtering and scores them.

    Parameters
    ----------
    percentage : int
        ``percentageOfNodesToScore`` [%]; 0 is the adaptive default ``50 - nodes / 125``, at
        least 5.
    nodes : int
        Nodes in the scheduler's list.

    Returns
    -------
    int
        Every node below 100 nodes or at 100%; otherwise the percentage of the nodes, at least
        100.
    """
    if nodes < _MIN_NODES or percentage >= 100:
        return nodes
    share = percentage if percentage > 0 else max(50 - nodes // 125, _MIN_PERCENTAGE)
    return max(nodes * share // 100, _MIN_NODES)
