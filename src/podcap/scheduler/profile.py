"""The default profile: the filter plugins in kube-scheduler's order
(``pkg/scheduler/apis/config/v1/default_plugins.go``), of those podcap models.

Scores of the default profile modelled by the engines: NodeResourcesFit (weight 1,
LeastAllocated or MostAllocated), NodeResourcesBalancedAllocation (weight 1) and the default
PodTopologySpread (weight 2, approximated: see :mod:`podcap.scheduler.plugins.pod_topology_spread`).
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
    pod_topology_spread,
    taint_toleration,
)

__all__ = ["FILTERS"]

FILTERS: tuple[FilterPlugin, ...] = (
    node_unschedulable.PLUGIN,
    node_name.PLUGIN,
    taint_toleration.PLUGIN,
    node_affinity.PLUGIN,
    node_ports.PLUGIN,
    node_resources_fit.PLUGIN,
    pod_topology_spread.PLUGIN,
    inter_pod_affinity.PLUGIN,
)
