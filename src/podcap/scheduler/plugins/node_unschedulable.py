"""NodeUnschedulable: cordoned nodes (``spec.unschedulable``) take only pods that tolerate the
``node.kubernetes.io/unschedulable:NoSchedule`` taint (kube-scheduler
``plugins/nodeunschedulable``)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from podcap.model.fleet import Fleet
from podcap.model.specs import Taint, Toleration
from podcap.model.workloads import PodTemplate
from podcap.scheduler.framework import BoolArray, FilterContext, FilterPlugin, Reason

NAME = "NodeUnschedulable"
_UNSCHEDULABLE_TAINT = Taint("node.kubernetes.io/unschedulable", "", "NoSchedule")


def static(fleet: Fleet, template: PodTemplate, tolerations: Sequence[Toleration]) -> BoolArray:
    """Nodes that are not cordoned, or cordoned and tolerated."""
    tolerated = any(t.tolerates(_UNSCHEDULABLE_TAINT) for t in tolerations)
    ok = np.array([not g.unschedulable or tolerated for g in fleet.groups], dtype=bool)
    return ok[fleet.group]


def reasons(ctx: FilterContext) -> list[Reason]:
    """``node(s) were unschedulable`` for the cordoned nodes."""
    mask = ctx.filters.static.get(NAME)
    if mask is None:
        return []
    return [Reason(~mask, "node(s) were unschedulable", "unschedulable")]


PLUGIN = FilterPlugin(NAME, "unschedulable", static=static, reasons=reasons)
