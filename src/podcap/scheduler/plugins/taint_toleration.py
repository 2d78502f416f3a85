"""TaintToleration: a node with a NoSchedule or NoExecute taint the pod does not tolerate is
filtered out; the reason names the first such taint (kube-scheduler ``plugins/tainttoleration``).
PreferNoSchedule taints do not filter."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from podcap.model.fleet import Fleet
from podcap.model.specs import Taint, Toleration
from podcap.model.workloads import PodTemplate
from podcap.scheduler.framework import BoolArray, FilterContext, FilterPlugin, Reason

NAME = "TaintToleration"


def untolerated(taints: Sequence[Taint], tolerations: Sequence[Toleration]) -> Taint | None:
    """The first NoSchedule / NoExecute taint no toleration tolerates, or None."""
    for t in taints:
        if t.effect == "PreferNoSchedule":
            continue
        if not any(tol.tolerates(t) for tol in tolerations):
            return t
    return None


def static(fleet: Fleet, template: PodTemplate, tolerations: Sequence[Toleration]) -> BoolArray:
    """Nodes whose filtering taints are all tolerated (decided per node group)."""
    ok = np.array([untolerated(g.taints, tolerations) is None for g in fleet.groups], dtype=bool)
    return ok[fleet.group]


def reasons(ctx: FilterContext) -> list[Reason]:
    """``node(s) had untolerated taint {key: value}`` per node group with such a taint."""
    if NAME not in ctx.filters.static:
        return []
    out = []
    for gi, g in enumerate(ctx.fleet.groups):
        t = untolerated(g.taints, ctx.tolerations)
        if t is not None:
            text = f"node(s) had untolerated taint {{{t.key}: {t.value}}}"
            out.append(Reason(ctx.fleet.group == gi, text, "taint"))
    return out


PLUGIN = FilterPlugin(NAME, "taint", static=static, reasons=reasons)
