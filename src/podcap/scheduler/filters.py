"""Node filters of the scheduling cycle and kube-scheduler's FailedScheduling text.

Per pod class: cordon (NodeUnschedulable), NoSchedule / NoExecute taints (TaintToleration),
nodeSelector and required node affinity (NodeAffinity), spec.nodeName (NodeName); the
DaemonSet controller's default tolerations; the text of a FailedScheduling event.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from podcap.admission import AdmittedPod, nonzero_requests
from podcap.engine import NodeState, PodClass, hard_spread_ok
from podcap.fleet import Fleet
from podcap.specs import Taint, Toleration
from podcap.workloads import NodeSelectorRequirement, PodTemplate, Workload

__all__ = [
    "Filters",
    "affinity_mask",
    "failed_scheduling_message",
    "node_filters",
    "node_name_reason",
    "pod_class",
    "pod_tolerations",
    "scheduling_failure",
]

# Tolerations the DaemonSet controller adds to every DaemonSet pod.
_DS_TOLERATIONS = (
    Toleration("node.kubernetes.io/not-ready", "Exists", "", "NoExecute"),
    Toleration("node.kubernetes.io/unreachable", "Exists", "", "NoExecute"),
    Toleration("node.kubernetes.io/disk-pressure", "Exists", "", "NoSchedule"),
    Toleration("node.kubernetes.io/memory-pressure", "Exists", "", "NoSchedule"),
    Toleration("node.kubernetes.io/pid-pressure", "Exists", "", "NoSchedule"),
    Toleration("node.kubernetes.io/unschedulable", "Exists", "", "NoSchedule"),
)
_UNSCHEDULABLE_TAINT = Taint("node.kubernetes.io/unschedulable", "", "NoSchedule")


def _requirement_ok(req: NodeSelectorRequirement, value: str | None) -> bool:
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


_NODE_KEYS = ("kubernetes.io/hostname", "metadata.name")


def affinity_mask(fleet: Fleet, template: PodTemplate) -> npt.NDArray[np.bool_]:
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
                        term_ok &= _requirement_ok(req, labels.get(req.key))
                any_term |= term_ok
            ok &= any_term
        mask[sel] = ok
    return mask


def pod_tolerations(wl: Workload) -> tuple[Toleration, ...]:
    """The pod's tolerations, with those the DaemonSet controller adds to DaemonSet pods."""
    tol = wl.template.tolerations
    if wl.kind == "DaemonSet":
        tol += _DS_TOLERATIONS
        if wl.template.host_network:
            tol += (
                Toleration("node.kubernetes.io/network-unavailable", "Exists", "", "NoSchedule"),
            )
    return tol


def _untolerated(taints: Sequence[Taint], tolerations: Sequence[Toleration]) -> Taint | None:
    for t in taints:
        if t.effect == "PreferNoSchedule":
            continue
        if not any(tol.tolerates(t) for tol in tolerations):
            return t
    return None


@dataclass(frozen=True)
class Filters:
    taint: list[Taint | None]  # per group: first untolerated taint
    cordoned: list[bool]  # per group
    affinity: npt.NDArray[np.bool_]
    eligible: npt.NDArray[np.bool_]


def node_name_reason(fleet: Fleet, state: NodeState, pc: PodClass, node_name: str) -> str:
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


def node_filters(fleet: Fleet, template: PodTemplate, tolerations: Sequence[Toleration]) -> Filters:
    taint = [_untolerated(g.taints, tolerations) for g in fleet.groups]
    cordoned = [
        g.unschedulable and not any(t.tolerates(_UNSCHEDULABLE_TAINT) for t in tolerations)
        for g in fleet.groups
    ]
    if template.node_name:
        # spec.nodeName bypasses the scheduler: only that node, whatever its taints
        pinned = fleet.names == template.node_name
        return Filters([None] * len(fleet.groups), [False] * len(fleet.groups), pinned, pinned)
    aff = affinity_mask(fleet, template)
    group_ok = np.array(
        [t is None and not c for t, c in zip(taint, cordoned, strict=True)], dtype=bool
    )
    eligible = aff & (group_ok[fleet.group] if fleet.size else np.zeros(0, dtype=bool))
    return Filters(taint, cordoned, aff, eligible)


# ---------------------------------------------------------------------------------------------
# FailedScheduling


def scheduling_failure(
    fleet: Fleet,
    state: NodeState,
    pc: PodClass,
    filters: Filters,
    own: npt.NDArray[np.int64],
    only: npt.NDArray[np.bool_] | None = None,
) -> tuple[str, frozenset[str]]:
    """kube-scheduler's FailedScheduling text for one more pod of ``pc``, and the limits that
    stop it as data: ``nodeAffinity``, ``unschedulable``, ``taint``, ``pods``, a resource name
    (``cpu``, ``memory``, ...), ``topologySpread``, ``podAntiAffinity``, or ``nodes`` when
    there are none."""
    n = fleet.size
    if n == 0:
        return "no nodes available to schedule pods", frozenset({"nodes"})
    reasons: dict[str, int] = {}
    codes: set[str] = set()

    def add(mask: npt.NDArray[np.bool_], text: str, code: str) -> None:
        count = int(mask.sum())
        if count:
            reasons[text] = reasons.get(text, 0) + count
            codes.add(code)

    pending = np.ones(n, dtype=bool)
    if only is not None:
        # A pod pinned to one node (DaemonSet matchFields): NodeAffinity's PreFilter drops the others.
        add(~only, "node(s) didn't satisfy plugin(s) [NodeAffinity]", "nodeAffinity")
        pending &= only
    cordoned = np.array(filters.cordoned, dtype=bool)[fleet.group]
    add(pending & cordoned, "node(s) were unschedulable", "unschedulable")
    pending &= ~cordoned
    for gi, t in enumerate(filters.taint):
        if t is not None:
            sel = pending & (fleet.group == gi)
            add(sel, f"node(s) had untolerated taint {{{t.key}: {t.value}}}", "taint")
            pending &= ~sel
    not_aff = ~filters.affinity
    add(pending & not_aff, "node(s) didn't match Pod's node affinity/selector", "nodeAffinity")
    pending &= ~not_aff
    free = state.alloc - state.used
    res_fail = np.zeros(n, dtype=bool)
    too_many = pending & (state.pods + 1 > state.pods_alloc)
    add(too_many, "Too many pods", "pods")
    res_fail |= too_many
    for r, name in enumerate(fleet.resources):
        if pc.request[r] > 0:
            short = pending & (pc.request[r] > free[r])
            add(short, f"Insufficient {name}", name)
            res_fail |= short
    pending &= ~res_fail
    if pc.hard_spread:
        unlabelled = np.zeros(n, dtype=bool)
        for dom in pc.domains:
            unlabelled |= dom < 0
        add(
            pending & unlabelled,
            "node(s) didn't match pod topology spread constraints (missing required label)",
            "topologySpread",
        )
        pending &= ~unlabelled
        bad = pending & ~hard_spread_ok(pc, own)
        add(bad, "node(s) didn't match pod topology spread constraints", "topologySpread")
        pending &= ~bad
    if pc.anti_affinity:
        add(pending & (own > 0), "node(s) didn't match pod anti-affinity rules", "podAntiAffinity")
    parts = sorted(f"{count} {text}" for text, count in reasons.items())
    return f"0/{n} nodes are available: {', '.join(parts)}.", frozenset(codes)


def failed_scheduling_message(
    fleet: Fleet,
    state: NodeState,
    pc: PodClass,
    filters: Filters,
    own: npt.NDArray[np.int64],
    only: npt.NDArray[np.bool_] | None = None,
) -> str:
    """kube-scheduler's FailedScheduling text for one more pod of ``pc``."""
    return scheduling_failure(fleet, state, pc, filters, own, only)[0]


def pod_class(fleet: Fleet, wl: Workload, pod: AdmittedPod, filters: Filters) -> PodClass:
    req = np.array([pod.requests.get(r, 0) for r in fleet.resources], dtype=np.int64)
    nz_cpu, nz_mem = nonzero_requests(pod)
    hard = tuple(c for c in wl.template.spread if c.when_unsatisfiable == "DoNotSchedule")
    domains = []
    for c in hard:
        if c.topology_key == "kubernetes.io/hostname":
            domains.append(np.arange(fleet.size, dtype=np.int64))
        elif c.topology_key in (
            "topology.kubernetes.io/zone",
            "failure-domain.beta.kubernetes.io/zone",
        ):
            domains.append(fleet.zone.copy())
        else:
            group_values = [
                fleet.group_labels(int(g)).get(c.topology_key) for g in range(len(fleet.groups))
            ]
            distinct = sorted({v for v in group_values if v is not None})
            group_codes = np.array(
                [-1 if v is None else distinct.index(v) for v in group_values], dtype=np.int64
            )
            domains.append(group_codes[fleet.group] if fleet.size else np.zeros(0, dtype=np.int64))
    return PodClass(
        request=req,
        nz_cpu=int(nz_cpu),
        nz_memory=int(nz_mem),
        eligible=filters.eligible,
        affinity=filters.affinity,
        anti_affinity=wl.template.anti_affinity_hostname,
        soft_spread=wl.kind in ("Deployment", "ReplicaSet", "StatefulSet")
        and not wl.template.spread,
        hard_spread=hard,
        zone=fleet.zone,
        domains=tuple(domains),
    )
