"""NodeResourcesFit: the pod's requests must fit the node's free allocatable, for the pod count
and every resource it requests (cpu, memory, ephemeral-storage, ``hugepages-*``,
``vpc.amazonaws.com/pod-eni``, extended resources) (kube-scheduler
``plugins/noderesources/fit.go``).  :func:`fits_one` and :func:`room` also count the per-node
attach limits podcap tracks as resources (``attachable-volumes-*``), whose reason is
NodeVolumeLimits' (:mod:`podcap.scheduler.plugins.node_volume_limits`).

Its score (LeastAllocated or MostAllocated over the non-zero requests) is
:func:`podcap.kernels.scheduling.fit_score`.
"""

from __future__ import annotations

import numpy as np

from podcap.scheduler.framework import (
    BoolArray,
    FilterContext,
    FilterPlugin,
    IntArray,
    NodeState,
    PodClass,
    Reason,
)

NAME = "NodeResourcesFit"


def fits_one(state: NodeState, pc: PodClass) -> BoolArray:
    """Nodes with room for one more pod of ``pc`` (pod count and every requested resource)."""
    ok = state.pods + 1 <= state.pods_alloc
    free = state.alloc - state.used
    for r in np.nonzero(pc.request > 0)[0]:
        ok &= pc.request[r] <= free[r]
    return ok


def room(state: NodeState, pc: PodClass) -> IntArray:
    """Pods of ``pc`` each node can still hold by count and resources [pods] (>= 0)."""
    cap = state.pods_alloc - state.pods
    for r in np.nonzero(pc.request > 0)[0]:
        np.minimum(cap, (state.alloc[r] - state.used[r]) // pc.request[r], out=cap)
    out: IntArray = np.maximum(cap, 0).astype(np.int64, copy=False)
    return out


def reasons(ctx: FilterContext) -> list[Reason]:
    """``Too many pods`` and ``Insufficient <resource>``; a node can have several."""
    state, pc = ctx.state, ctx.pc
    out = [Reason(state.pods + 1 > state.pods_alloc, "Too many pods", "pods", resolvable=True)]
    free = state.alloc - state.used
    for r, name in enumerate(ctx.fleet.resources):
        if pc.request[r] > 0 and not name.startswith("attachable-volumes-"):
            # more than the node's whole allocatable: no preemption can help
            whole = pc.request[r] <= state.alloc[r]
            out.append(Reason(pc.request[r] > free[r], f"Insufficient {name}", name, whole))
    return out


PLUGIN = FilterPlugin(NAME, reasons=reasons)
