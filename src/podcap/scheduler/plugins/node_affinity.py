"""NodeAffinity: ``nodeSelector`` and required node affinity (kube-scheduler
``plugins/nodeaffinity``, ``component-helpers/scheduling/corev1/nodeaffinity``).

Terms are ORed, requirements within a term ANDed.  ``Gt`` / ``Lt`` compare integers and match
nothing when the label or the value is not an integer.  ``kubernetes.io/hostname`` and the
``metadata.name`` field select nodes by name.  Its PreFilter narrows a pod pinned to one node by
``matchFields`` (a DaemonSet pod) to that node.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from podcap.model.fleet import Fleet
from podcap.model.specs import Toleration
from podcap.model.workloads import NodeSelectorRequirement, PodTemplate
from podcap.scheduler.framework import BoolArray, FilterContext, FilterPlugin, Reason

NAME = "NodeAffinity"
_NODE_KEYS = ("kubernetes.io/hostname", "metadata.name")


def requirement_ok(req: NodeSelectorRequirement, value: str | None) -> bool:
    """Whether a label value (None: no such label) meets one node selector requirement."""
    op = req.operator
    if op == "In":
        return value is not None and value in req.values
    if op == "NotIn":
        return value is None or value not in req.values
    if op == "Exists":
        return value is not None
    if op == "DoesNotExist":
        return value is None
    try:
        number = int(value) if value is not None else None
        bound = int(req.values[0]) if req.values else None
    except ValueError:
        return False
    if number is None or bound is None:
        return False
    return number > bound if op == "Gt" else number < bound


def affinity_mask(fleet: Fleet, template: PodTemplate) -> BoolArray:
    """Nodes matching the template's nodeSelector and required node affinity."""
    combos, inverse = np.unique(
        np.stack([fleet.group, fleet.zone], axis=1), axis=0, return_inverse=True
    )
    inverse = inverse.reshape(-1)
    names = fleet.names.astype(str)
    mask = np.zeros(fleet.size, dtype=bool)
    for c, (_g, _z) in enumerate(combos):  # per (group, zone), never per node
        first = int(np.argmax(inverse == c))
        labels = fleet.labels_of(first)
        sel = inverse == c
        ok = np.ones(int(sel.sum()), dtype=bool)
        sel_names = names[sel]
        for key, val in template.node_selector.items():
            if key == "kubernetes.io/hostname":
                ok &= sel_names == val
            else:
                ok &= labels.get(key) == val
        if template.node_affinity:
            any_term = np.zeros_like(ok)
            for term in template.node_affinity:
                term_ok = np.ones_like(ok)
                for req in term:
                    if req.key in _NODE_KEYS:
                        isin = np.isin(sel_names, list(req.values))
                        if req.operator == "In":
                            term_ok &= isin
                        elif req.operator == "NotIn":
                            term_ok &= ~isin
                        elif req.operator == "DoesNotExist":
                            term_ok &= False
                    else:
                        term_ok &= requirement_ok(req, labels.get(req.key))
                any_term |= term_ok
            ok &= any_term
        mask[sel] = ok
    return mask


def static(fleet: Fleet, template: PodTemplate, tolerations: Sequence[Toleration]) -> BoolArray:
    """Nodes matching the selector and the required terms."""
    return affinity_mask(fleet, template)


def prefilter(ctx: FilterContext) -> list[Reason]:
    """A pod pinned to one node: every other node is out before the filters run."""
    if ctx.only is None:
        return []
    return [Reason(~ctx.only, "node(s) didn't satisfy plugin(s) [NodeAffinity]", "nodeAffinity")]


def reasons(ctx: FilterContext) -> list[Reason]:
    """``node(s) didn't match Pod's node affinity/selector``."""
    mask = ctx.filters.static.get(NAME)
    if mask is None:
        return []
    return [Reason(~mask, "node(s) didn't match Pod's node affinity/selector", "nodeAffinity")]


PLUGIN = FilterPlugin(NAME, "node_affinity", static=static, prefilter=prefilter, reasons=reasons)
