"""PodTopologySpread (kube-scheduler ``plugins/podtopologyspread``).

Filter: for every ``DoNotSchedule`` constraint, a node qualifies when it has the topology key and
one more pod there keeps ``count(domain) + 1 - min(count) <= maxSkew``, counting pods of the
workload on the nodes that pass its node affinity.

Score: the system-default spreading of pods that a Service, ReplicaSet or StatefulSet selects
(hostname maxSkew 3, zone maxSkew 5), normalised over the scored nodes, is computed by the fast
engine's compiled cycles (:mod:`podcap.kernels.compiled`).
"""

from __future__ import annotations

import numpy as np

from podcap.model.fleet import Fleet
from podcap.model.workloads import SpreadConstraint
from podcap.scheduler.framework import (
    BoolArray,
    FilterContext,
    FilterPlugin,
    IntArray,
    PodClass,
    Reason,
)

NAME = "PodTopologySpread"
_ZONE_KEYS = ("topology.kubernetes.io/zone", "failure-domain.beta.kubernetes.io/zone")


def domains(fleet: Fleet, constraint: SpreadConstraint) -> IntArray:
    """Domain code per node for the constraint's topology key (-1: the node lacks the label)."""
    if constraint.topology_key == "kubernetes.io/hostname":
        return np.arange(fleet.size, dtype=np.int64)
    if constraint.topology_key in _ZONE_KEYS:
        return fleet.zone.copy()
    values = [fleet.group_labels(g).get(constraint.topology_key) for g in range(len(fleet.groups))]
    distinct = sorted({v for v in values if v is not None})
    codes = np.array([-1 if v is None else distinct.index(v) for v in values], dtype=np.int64)
    return codes[fleet.group] if fleet.size else np.zeros(0, dtype=np.int64)


def counted_nodes(pc: PodClass) -> BoolArray:
    """The nodes whose pods the DoNotSchedule constraints count: those the pod's node affinity
    admits (nodeAffinityPolicy Honor) that carry every constraint's topology key
    (``calPreFilterState`` skips a node missing any of them)."""
    out = pc.affinity.copy()
    for dom in pc.domains:
        out &= dom >= 0
    return out


def _within(c: SpreadConstraint, dom: IntArray, counted: BoolArray, counts: IntArray) -> BoolArray:
    """Nodes with the constraint's key where one more pod keeps its skew within maxSkew (the
    minimum over the counted domains; with none, every labelled node passes, as the
    scheduler's minimum is then MaxInt32)."""
    if not counted.any():
        return dom >= 0
    ndom = int(dom.max()) + 1
    per_dom = np.bincount(dom[counted], weights=counts[counted], minlength=ndom).astype(np.int64)
    present = np.bincount(dom[counted], minlength=ndom) > 0
    minimum = int(per_dom[present].min())
    out: BoolArray = (dom >= 0) & (per_dom[np.maximum(dom, 0)] + 1 - minimum <= c.max_skew)
    return out


def skew_ok(pc: PodClass, counts: IntArray) -> BoolArray:
    """Nodes where one more pod keeps every DoNotSchedule constraint within its max skew."""
    ok = np.ones(counts.shape[0], dtype=bool)
    counted = counted_nodes(pc)
    for c, dom in zip(pc.hard_spread, pc.domains, strict=True):
        ok &= _within(c, dom, counted, counts)
    return ok


def reasons(ctx: FilterContext) -> list[Reason]:
    """Per node, the constraints in order: the first that fails decides, a missing topology
    label or the skew (the scheduler's Filter returns at the first)."""
    pc = ctx.pc
    if not pc.hard_spread:
        return []
    n = ctx.fleet.size
    decided = np.zeros(n, dtype=bool)
    missing = np.zeros(n, dtype=bool)
    skewed = np.zeros(n, dtype=bool)
    counted = counted_nodes(pc)
    for c, dom in zip(pc.hard_spread, pc.domains, strict=True):
        lacks = (dom < 0) & ~decided
        missing |= lacks
        decided |= lacks
        over = ~decided & ~_within(c, dom, counted, ctx.own)
        skewed |= over
        decided |= over
    text = "node(s) didn't match pod topology spread constraints"
    return [
        Reason(missing, f"{text} (missing required label)", "topologySpread"),
        Reason(skewed, text, "topologySpread", resolvable=True),
    ]


PLUGIN = FilterPlugin(NAME, reasons=reasons)
