"""InterPodAffinity (kube-scheduler ``plugins/interpodaffinity``): podcap models required pod
anti-affinity of a workload's pods to each other on ``kubernetes.io/hostname`` (one pod of the
workload per node)."""

from __future__ import annotations

import numpy as np

from podcap.scheduler.framework import FilterContext, FilterPlugin, IntArray, PodClass, Reason

NAME = "InterPodAffinity"


def room(pc: PodClass, own: IntArray) -> IntArray | None:
    """Pods of the workload each node can still take under its anti-affinity (None: no limit)."""
    if not pc.anti_affinity:
        return None
    return np.maximum(1 - own, 0).astype(np.int64)


def reasons(ctx: FilterContext) -> list[Reason]:
    """``node(s) didn't match pod anti-affinity rules`` where a pod of the workload runs."""
    if not ctx.pc.anti_affinity:
        return []
    text = "node(s) didn't match pod anti-affinity rules"
    return [Reason(ctx.own > 0, text, "podAntiAffinity", resolvable=True)]


PLUGIN = FilterPlugin(NAME, reasons=reasons)
