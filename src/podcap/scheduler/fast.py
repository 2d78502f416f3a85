"""The fast engine: places the pods of one workload on a :class:`NodeState` with vectorised
filters and scores.

* filters: the static ones (``PodClass.eligible``), NodeResourcesFit, InterPodAffinity (hostname
  anti-affinity) and PodTopologySpread (DoNotSchedule), each from its plugin module;
* score: NodeResourcesFit (LeastAllocated or MostAllocated) + NodeResourcesBalancedAllocation,
  and for pods of Deployments, ReplicaSets and StatefulSets a per-pod decrement standing in for
  the default soft topology spreading (:func:`podcap.kernels.scheduling.spread_delta`, iterated
  to a fixed point);
* ties: the node with the fewest pods of the workload, then the lowest node index (or, with a
  seed, the lowest rank in a seeded random permutation of the nodes).

Every node's score curve is computed at once and the best slots taken
(:func:`podcap.kernels.scheduling.greedy_counts`); workloads with DoNotSchedule topology spread
constraints are placed one pod at a time with vectorised filters.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import numpy as np
import numpy.typing as npt

from podcap.kernels.scheduling import greedy_counts, slot_scores, spread_delta
from podcap.model.workloads import PodTemplate
from podcap.scheduler.framework import BoolArray, IntArray, NodeState, PodClass
from podcap.scheduler.plugins import inter_pod_affinity, node_resources_fit, pod_topology_spread

__all__ = ["capacity", "not_modelled", "place_fast"]

_SPREAD_ITERATIONS = 6


def not_modelled(
    template: PodTemplate,
    namespace: str,
    others: Sequence[tuple[str, Mapping[str, str]]],
    daemon: bool = False,
) -> list[str]:
    """What of a pod template the fast engine ignores (the reference engine models all of it).

    ``others`` are the (namespace, labels) of the other workloads' pods: a spread constraint
    that selects none of them and not the pod itself has no effect, so ignoring it is exact.
    ``daemon``: the template is a DaemonSet's.  Its pods' required node affinity is their own
    node, so with the default nodeAffinityPolicy Honor a DoNotSchedule constraint counts only
    that node and never stops them, which is what the fast engine does.
    """
    out = []
    if template.pod_affinity:
        out.append("required pod affinity")
    labels = template.labels
    if any(
        t.topology_key != "kubernetes.io/hostname"
        or t.selector is None
        or not t.selector.matches(labels)
        or t.namespaces
        for t in template.pod_anti_affinity
    ):
        out.append("required pod anti-affinity other than on the hostname against its own pods")
    if template.preferred_pod_affinity or template.preferred_pod_anti_affinity:
        out.append("preferred pod (anti-)affinity")
    if template.preferred_node_affinity:
        out.append("preferred node affinity")
    for c in template.spread:
        sel = c.selector_for(labels)
        if (
            daemon
            and c.when_unsatisfiable == "DoNotSchedule"
            and c.node_affinity_policy == "Ignore"
        ):
            out.append("DoNotSchedule spreading of DaemonSet pods with nodeAffinityPolicy Ignore")
        if c.when_unsatisfiable == "ScheduleAnyway":
            out.append("ScheduleAnyway topology spread constraints")
        elif sel is None or not sel.matches(labels):
            if sel is not None and any(ns == namespace and sel.matches(o) for ns, o in others):
                out.append("topology spread constraints that do not select the pod itself")
        elif c.min_domains or c.node_taints_policy == "Honor" or c.match_label_keys:
            out.append("minDomains, nodeTaintsPolicy and matchLabelKeys of topology spreading")
    return list(dict.fromkeys(out))


def capacity(state: NodeState, pc: PodClass, own: IntArray) -> IntArray:
    """Pods of ``pc`` each node can still take [pods] (0 where filtered out)."""
    cap = np.where(pc.eligible, node_resources_fit.room(state, pc), 0)
    anti = inter_pod_affinity.room(pc, own)
    if anti is not None:
        cap = np.minimum(cap, anti)
    return cap.astype(np.int64)


def _greedy(
    state: NodeState,
    pc: PodClass,
    n: int,
    own: IntArray,
    delta: npt.NDArray[np.float64],
    most: bool,
    rank: IntArray | None = None,
) -> IntArray:
    cap = capacity(state, pc, own)
    if n <= 0 or not cap.any():
        return np.zeros_like(cap)
    features = np.stack(
        [
            state.alloc[0],
            state.alloc[1],
            state.used[0],
            state.used[1],
            state.nz_cpu,
            state.nz_memory,
            cap,
            own,
            delta.view(np.int64),
        ],
        axis=1,
    )
    uniq, node_class = np.unique(features, axis=0, return_inverse=True)
    node_class = node_class.reshape(-1).astype(np.int64)
    width = int(min(int(cap.max()), n))
    k = np.arange(width, dtype=np.int64)[None, :]
    col = [uniq[:, j][:, None] for j in range(uniq.shape[1])]
    class_delta = uniq[:, 8].copy().view(np.float64)[:, None]
    scores = slot_scores(
        col[0],
        col[1],
        col[2],
        col[3],
        col[4],
        col[5],
        col[7],
        class_delta,
        k,
        cpu=int(pc.request[0]),
        memory=int(pc.request[1]),
        nz_cpu=pc.nz_cpu,
        nz_memory=pc.nz_memory,
        most_allocated=most,
    )
    caps = np.minimum(uniq[:, 6], width)
    return greedy_counts(scores, caps, uniq[:, 7], node_class, n, rank)


def _stepwise(
    state: NodeState,
    pc: PodClass,
    n: int,
    own: IntArray,
    delta: npt.NDArray[np.float64],
    most: bool,
    rank: IntArray | None = None,
) -> IntArray:
    """One pod at a time with vectorised filters and scores (DoNotSchedule spreading)."""
    placed = np.zeros(state.pods.shape[0], dtype=np.int64)
    base_cap = capacity(state, pc, own)
    idx = np.arange(placed.shape[0])
    for _ in range(n):
        feasible = (placed < base_cap) & pod_topology_spread.skew_ok(pc, own + placed)
        if not feasible.any():
            break
        s = slot_scores(
            state.alloc[0],
            state.alloc[1],
            state.used[0],
            state.used[1],
            state.nz_cpu,
            state.nz_memory,
            own,
            delta,
            placed,
            cpu=int(pc.request[0]),
            memory=int(pc.request[1]),
            nz_cpu=pc.nz_cpu,
            nz_memory=pc.nz_memory,
            most_allocated=most,
        )
        s = np.where(feasible, s, -np.inf)
        best = s.max()
        cand = feasible & (s == best)
        fewest = (own + placed)[cand].min()
        cand &= (own + placed) == fewest
        chosen = idx[cand]
        placed[chosen[0] if rank is None else chosen[np.argmin(rank[chosen])]] += 1
    return placed


def _with_soft_spread(
    place: Callable[[npt.NDArray[np.float64]], IntArray],
    pc: PodClass,
    feasible: BoolArray,
    own: IntArray,
) -> IntArray:
    delta = np.zeros(feasible.shape[0], dtype=np.float64)
    placed = place(delta)
    if not pc.soft_spread or pc.zone is None:
        return placed
    for _ in range(_SPREAD_ITERATIONS):
        new_delta = spread_delta(own + placed, feasible, pc.zone)
        if np.array_equal(new_delta, delta):
            break
        delta = new_delta
        new_placed = place(delta)
        if np.array_equal(new_placed, placed):
            break
        placed = new_placed
    return placed


def place_fast(
    state: NodeState,
    pc: PodClass,
    n: int,
    *,
    most_allocated: bool = False,
    own: IntArray | None = None,
    rank: IntArray | None = None,
) -> IntArray:
    """Place ``n`` pods of ``pc``; returns pods per node.

    ``rank`` (a permutation of the nodes) replaces the node index in the tie rule.  The state is
    not modified; call ``state.add(pc, counts)`` to commit.
    """
    own_ = np.zeros(state.pods.shape[0], dtype=np.int64) if own is None else own
    feasible = capacity(state, pc, own_) > 0
    method = _stepwise if pc.hard_spread else _greedy
    return _with_soft_spread(
        lambda d: method(state, pc, n, own_, d, most_allocated, rank), pc, feasible, own_
    )
