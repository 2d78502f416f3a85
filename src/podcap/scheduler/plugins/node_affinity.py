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
    """Nodes matching the template's nodeSelector and required node affinity.

    Labels are the same on every node of a (group, zone), so they are checked once per pair;
    only requirements on the node's name are checked per node."""
    if not template.node_selector and not template.node_affinity:
        return np.ones(fleet.size, dtype=bool)
    first, inverse = fleet.cells()
    by_name = any(k == "kubernetes.io/hostname" for k in template.node_selector) or any(
        req.key in _NODE_KEYS for term in template.node_affinity for req in term
    )
    names = fleet.names.astype(str) if by_name else None
    mask = np.zeros(fleet.size, dtype=bool)
    for c, i in enumerate(first):  # per (group, zone), never per node
        labels = fleet.labels_of(int(i))
        sel: slice | BoolArray = inverse == c if by_name else slice(None)
        node_names = names[sel] if names is not None else None
        ok: bool | BoolArray = True
        for key, val in template.node_selector.items():
            if key == "kubernetes.io/hostname" and node_names is not None:
                ok = ok & (node_names == val)
            else:
                ok = ok & (labels.get(key) == val)
        if template.node_affinity:
            any_term: bool | BoolArray = False
            for term in template.node_affinity:
                term_ok: bool | BoolArray = True
                for req in term:
                    if req.key in _NODE_KEYS and node_names is not None:
                        isin = np.isin(node_names, list(req.values))
                        if req.operator == "In":
                            term_ok = term_ok & isin
                        elif req.operator == "NotIn":
                            term_ok = term_ok & ~isin
                        elif req.operator == "DoesNotExist":
                            term_ok = False
                    else:
                        term_ok = term_ok & requirement_ok(req, labels.get(req.key))
                any_term = any_term | term_ok
            ok = ok & any_term
        if by_name:
            mask[inverse == c] = ok
        elif ok:
            mask[inverse == c] = True
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
