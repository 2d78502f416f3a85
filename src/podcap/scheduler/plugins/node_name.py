"""NodeName: a pod with ``spec.nodeName`` fits only that node (kube-scheduler
``plugins/nodename``).  Such a pod bypasses the scheduler; the kubelet admits or rejects it,
with the texts of :func:`kubelet_rejection`."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from podcap.model.fleet import Fleet
from podcap.model.specs import Toleration
from podcap.model.workloads import PodTemplate
from podcap.scheduler.framework import (
    BoolArray,
    FilterContext,
    FilterPlugin,
    NodeState,
    PodClass,
    Reason,
)

NAME = "NodeName"


def static(
    fleet: Fleet, template: PodTemplate, tolerations: Sequence[Toleration]
) -> BoolArray | None:
    """The named node, or None when the pod names none."""
    if not template.node_name:
        return None
    return np.asarray(fleet.names == template.node_name, dtype=bool)


def kubelet_rejection(fleet: Fleet, state: NodeState, pc: PodClass, node_name: str) -> str:
    """Why a pod bound by ``spec.nodeName`` does not run: the node is missing, or the kubelet's
    admission rejects it (``Node didn't have enough resource: <name>``)."""
    where = np.nonzero(fleet.names == node_name)[0]
    if where.size == 0:
        return f"spec.nodeName: node {node_name!r} does not exist; the pod is never scheduled"
    i = int(where[0])
    if state.pods[i] + 1 > state.pods_alloc[i]:
        return "Pod was rejected by the kubelet: Node didn't have enough resource: pods"
    free = state.alloc[:, i] - state.used[:, i]
    for r, name in enumerate(fleet.resources):
        if pc.request[r] > free[r]:
            return f"Pod was rejected by the kubelet: Node didn't have enough resource: {name}"
    return "Pod was rejected by the kubelet"


def _reasons(ctx: FilterContext) -> list[Reason]:
    mask = ctx.filters.static.get(NAME)
    if mask is None:
        return []
    return [Reason(~mask, "node(s) didn't match the requested node name", "nodeName")]


PLUGIN = FilterPlugin(NAME, "node_name", static=static, reasons=_reasons)
