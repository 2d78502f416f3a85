"""The fast engine: places the pods of one workload on a :class:`NodeState`.

* filters: the static ones (``PodClass.eligible``), NodeResourcesFit, InterPodAffinity (hostname
  anti-affinity), NodePorts and PodTopologySpread (DoNotSchedule), each from its plugin module;
* scores: NodeResourcesFit (LeastAllocated or MostAllocated) + NodeResourcesBalancedAllocation,
  and for pods of Deployments, ReplicaSets and StatefulSets the system-default PodTopologySpread;
* ties: the node with the fewest pods of the workload, then the lowest node index (or, with a
  seed, the lowest rank in a seeded random permutation of the nodes; where nodes are sampled,
  a given draw per pod among the best, :func:`place_sampled_nodes`).

Workloads without spreading: every node's score curve is computed at once and the best slots
taken (:func:`podcap.kernels.scheduling.greedy_counts`).  Workloads with the default spreading or
DoNotSchedule constraints: the cycle pod by pod, nodes grouped by what their spreading score
depends on (:func:`podcap.kernels.compiled.place_heaps`, compiled).  Both are exact: they give the reference
cycle's placements when it scores every node.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

import numpy as np
import numpy.typing as npt

from podcap.kernels.compiled import place_heaps, place_sampled
from podcap.kernels.scheduling import greedy_counts, slot_scores
from podcap.model.workloads import LabelSelector, PodTemplate
from podcap.scheduler.framework import BoolArray, IntArray, NodeState, PodClass
from podcap.scheduler.plugins import (
    inter_pod_affinity,
    node_ports,
    node_resources_fit,
    pod_topology_spread,
)

__all__ = [
    "Lower",
    "capacity",
    "node_order",
    "not_modelled",
    "pick_preemption_node",
    "place_fast",
    "place_sampled_nodes",
    "preemption_candidates",
    "tree_positions",
]


def not_modelled(
    template: PodTemplate,
    namespace: str,
    others: Sequence[tuple[str, Mapping[str, str]]],
    daemon: bool = False,
) -> list[str]:
    """What of a pod template the fast engine ignores (the reference engine models all of it).

    ``others`` are the (namespace, labels) of the other workloads' pods.  The fast engine counts
    a workload's own pods for its topology spread constraints and hostname anti-affinity: exact
    when their selector picks the pod itself and no other workload's pods.  ``daemon``: the template is a DaemonSet's.  Its pods'
    required node affinity is their own node, so with the default nodeAffinityPolicy Honor a
    DoNotSchedule constraint counts only that node and never stops them, which is what the fast
    engine does.
    """

    def selects_others(sel: LabelSelector | None) -> bool:
        return sel is not None and any(ns == namespace and sel.matches(o) for ns, o in others)

    out = []
    if template.pod_affinity:
        out.append("required pod affinity")
    labels = template.labels
    if any(
        t.topology_key != "kubernetes.io/hostname"
        or t.selector is None
        or not t.selector.matches(labels)
        or t.namespaces
        or t.all_namespaces
        or t.match_label_keys
        or t.mismatch_label_keys
        or selects_others(t.selector)
        for t in template.pod_anti_affinity
    ):
        out.append(
            "required pod anti-affinity other than on the hostname against its own pods only"
        )
    if any(
        w.term.topology_key not in ("kubernetes.io/hostname", "topology.kubernetes.io/zone")
        or w.term.selector is None
        or not w.term.selector.matches(labels)
        or w.term.namespaces
        or w.term.all_namespaces
        or w.term.match_label_keys
        or w.term.mismatch_label_keys
        or selects_others(w.term.selector)
        for w in (*template.preferred_pod_affinity, *template.preferred_pod_anti_affinity)
    ):
        out.append(
            "preferred pod (anti-)affinity other than on the hostname or zone against its own "
            "pods only"
        )
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
        elif c.node_affinity_policy == "Ignore" and not daemon:
            out.append("nodeAffinityPolicy Ignore of topology spreading")
        elif sel is None or not sel.matches(labels) or selects_others(sel):
            out.append("topology spread constraints that select other pods than the workload's")
        elif c.min_domains or c.node_taints_policy == "Honor" or c.match_label_keys:
            out.append("minDomains, nodeTaintsPolicy and matchLabelKeys of topology spreading")
    return list(dict.fromkeys(out))


def capacity(state: NodeState, pc: PodClass, own: IntArray) -> IntArray:
    """Pods of ``pc`` each node can still take [pods] (0 where filtered out)."""
    cap = np.where(pc.eligible, node_resources_fit.room(state, pc), 0)
    for limit in (inter_pod_affinity.room(pc, own), node_ports.room(pc, own)):
        if limit is not None:
            cap = np.minimum(cap, limit)
    return cap.astype(np.int64)


def _greedy(
    state: NodeState,
    pc: PodClass,
    n: int,
    own: IntArray,
    most: bool,
    rank: IntArray | None = None,
    fewest_first: bool = True,
) -> IntArray:
    """Every node's score curve at once, the best slots taken (no spreading score)."""
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
        ],
        axis=1,
    )
    uniq, node_class = np.unique(features, axis=0, return_inverse=True)
    node_class = node_class.reshape(-1).astype(np.int64)
    width = int(min(int(cap.max()), n))
    k = np.arange(width, dtype=np.int64)[None, :]
    col = [uniq[:, j][:, None] for j in range(uniq.shape[1])]
    scores = slot_scores(
        col[0],
        col[1],
        col[2],
        col[3],
        col[4],
        col[5],
        k,
        cpu=int(pc.request[0]),
        memory=int(pc.request[1]),
        nz_cpu=pc.nz_cpu,
        nz_memory=pc.nz_memory,
        most_allocated=most,
    )
    caps = np.minimum(uniq[:, 6], width)
    return greedy_counts(scores, caps, uniq[:, 7], node_class, n, rank, fewest_first)


@dataclass(frozen=True)
class _Topology:
    """What the kernels need of a workload's topology spreading, per node."""

    zone: IntArray  # zone code; the nodes without a zone label share the last code
    zone_first: IntArray  # per zone code present, its first node
    zone_cell: IntArray  # per node, the rank of its zone code among those present
    zoned: BoolArray  # per zone code: a real zone (False: the nodes without the label)
    zone_count: IntArray  # pods of the workload per zone, on the nodes its affinity admits
    zone_all: IntArray  # pods of the workload per zone, on every node (InterPodAffinity)
    host_skew: int  # a DoNotSchedule hostname constraint's max skew (0: none)
    dom: IntArray  # (H, N) the other DoNotSchedule constraints' domain codes (-1: no label)
    dom_skew: IntArray  # (H,)
    dom_count: IntArray  # (H, D) pods of the workload per domain
    dom_present: BoolArray  # (H, D) domains with a node the affinity admits
    hard_counted: BoolArray  # the nodes the DoNotSchedule constraints count


# the last fleet's zone codes and what the cycles derive from them alone (each workload of a step
# has the same; compared by value, so a changed array is never mistaken for it)
_last_zones: list[tuple[IntArray, IntArray, int, IntArray, IntArray]] = []


def _zone_codes(fleet_zone: IntArray) -> tuple[IntArray, int, IntArray, IntArray]:
    """The zone code per node with the nodes without a zone label as one more code (the last),
    the number of codes, and :func:`_cells` of them."""
    last = _last_zones[0] if _last_zones else None
    if last is not None and np.array_equal(last[0], fleet_zone):
        return last[1], last[2], last[3], last[4]
    size = fleet_zone.shape[0]
    # the nodes without a zone label are one more domain: the system default spreading counts
    # the value "" among the zones (its topology size), but scores them without a zone term
    n_zones = int(fleet_zone.max()) + 2 if size else 1
    zone = np.where(fleet_zone < 0, n_zones - 1, fleet_zone).astype(np.int64)
    first, cell = _cells(zone) if size else (np.zeros(0, np.int64), np.zeros(0, np.int64))
    _last_zones[:] = [(fleet_zone.copy(), zone, n_zones, first, cell)]
    return zone, n_zones, first, cell


def _topology(pc: PodClass, own: IntArray) -> _Topology:
    size = own.shape[0]
    fleet_zone = pc.zone if pc.zone is not None else np.zeros(size, dtype=np.int64)
    zone, n_zones, zone_first, zone_cell = _zone_codes(fleet_zone)
    zoned = np.ones(n_zones, dtype=np.bool_)
    zoned[n_zones - 1] = False
    host = [c.max_skew for c, d in zip(pc.hard_spread, pc.domains, strict=True) if _is_host(d)]
    other = [
        (c.max_skew, d) for c, d in zip(pc.hard_spread, pc.domains, strict=True) if not _is_host(d)
    ]
    hard_counted = pod_topology_spread.counted_nodes(pc)
    # the workload's pods per zone and domain, counted over the nodes that hold some
    mine = np.flatnonzero(own)
    pods, mine_zone = own[mine], zone[mine]

    def count(codes: IntArray, where: BoolArray, width: int) -> IntArray:
        out: IntArray = np.zeros(width, dtype=np.int64)
        np.add.at(out, codes[where], pods[where])
        return out

    zone_count = count(mine_zone, pc.affinity[mine], n_zones)
    width = max([int(d.max()) + 1 for _, d in other] + [1])
    dom = np.zeros((len(other), size), dtype=np.int64)
    dom_count = np.zeros((len(other), width), dtype=np.int64)
    dom_present = np.zeros((len(other), width), dtype=np.bool_)
    for h, (_, d) in enumerate(other):
        dom[h] = d
        dom_count[h] = count(d[mine], hard_counted[mine], width)
        dom_present[h] = np.bincount(d[hard_counted], minlength=width) > 0
    return _Topology(
        zone=zone,
        zone_first=zone_first,
        zone_cell=zone_cell,
        zoned=zoned,
        zone_count=zone_count,
        zone_all=count(mine_zone, np.ones(mine.shape[0], dtype=np.bool_), n_zones),
        host_skew=int(min(host)) if host else 0,
        dom=dom,
        dom_skew=np.array([k for k, _ in other], dtype=np.int64),
        dom_count=dom_count,
        dom_present=dom_present,
        hard_counted=hard_counted,
    )


def _pod_args(pc: PodClass, most: bool, fewest_first: bool) -> tuple[int | bool, ...]:
    return (
        int(pc.affinity_host),
        int(pc.affinity_zone),
        int(pc.request[0]),
        int(pc.request[1]),
        int(pc.nz_cpu),
        int(pc.nz_memory),
        bool(most),
        bool(pc.request[0] != 0 or pc.request[1] != 0),  # BalancedAllocation skips best-effort
        bool(pc.soft_spread and pc.zone is not None),
        bool(fewest_first),
    )


def _cells(key: IntArray) -> tuple[IntArray, IntArray]:
    """The distinct values of ``key`` in increasing order, as (first index of each, code of each
    element): ``np.unique(return_index, return_inverse)``, by counting when the values span a
    small range (the usual case: zones and a few domains)."""
    low, high = int(key.min()), int(key.max())
    if high - low < 1 << 16:
        shifted = key - low
        present = np.bincount(shifted, minlength=high - low + 1) > 0
        code = np.cumsum(present) - 1
        cell = code[shifted].astype(np.int64)
        first = np.full(int(present.sum()), key.shape[0], dtype=np.int64)
        np.minimum.at(first, cell, np.arange(key.shape[0], dtype=np.int64))
        return first, cell
    _, first, cell = np.unique(key, return_index=True, return_inverse=True)
    return first.astype(np.int64), cell.reshape(-1).astype(np.int64)


def _by_heaps(
    state: NodeState,
    pc: PodClass,
    n: int,
    own: IntArray,
    most: bool,
    rank: IntArray | None = None,
    fewest_first: bool = True,
    grouped: bool | None = None,
) -> IntArray:
    """The scheduling cycle pod by pod, every node scored, nodes grouped by their pods of the
    workload and their zone and domains (:func:`podcap.kernels.compiled.place_heaps`).
    ``grouped``: equal nodes handled as classes (None: when there are at least as many pods
    as candidate nodes); the placements do not depend on it."""
    size = state.pods.shape[0]
    placed = np.zeros(size, dtype=np.int64)
    if n <= 0 or size == 0:
        return placed
    topo = _topology(pc, own)
    if topo.dom.shape[0]:
        key = topo.zone.astype(np.int64)
        for d in topo.dom:
            key = key * (int(d.max()) + 2) + (d + 1)
        first, cell = _cells(key)
    else:  # cells are zones
        first, cell = topo.zone_first, topo.zone_cell
    tie = np.arange(size, dtype=np.int64) if rank is None else rank.astype(np.int64)
    node_of_key = tie if rank is None else np.argsort(tie).astype(np.int64)
    cap = capacity(state, pc, own)
    # classes of equal nodes pay off when there are at least as many pods as candidate nodes
    grouped = n >= int(np.count_nonzero(cap)) if grouped is None else grouped
    place_heaps(
        state.alloc[0],
        state.alloc[1],
        state.used[0],
        state.used[1],
        state.nz_cpu,
        state.nz_memory,
        own,
        cap,
        cell,
        topo.hard_counted,
        tie,
        node_of_key,
        topo.zone[first].astype(np.int64),
        topo.zone_count.copy(),
        topo.host_skew,
        np.ascontiguousarray(topo.dom[:, first]),
        topo.dom_skew,
        topo.dom_count.copy(),
        topo.dom_present,
        placed,
        int(n),
        topo.zone_all.copy(),
        topo.zoned,
        *_pod_args(pc, most, fewest_first),
        grouped,
    )
    return placed


def place_sampled_nodes(
    state: NodeState,
    pc: PodClass,
    n: int,
    own: IntArray,
    order: IntArray,
    to_find: int,
    start: int,
    *,
    most_allocated: bool = False,
    rank: IntArray | None = None,
    ties: npt.NDArray[np.float64] | None = None,
) -> tuple[IntArray, int]:
    """Place ``n`` pods of ``pc`` the way kube-scheduler samples nodes: from ``start`` in its
    node list ``order``, the first ``to_find`` feasible nodes are scored
    (:func:`podcap.kernels.compiled.place_sampled`).  Returns pods per node and the next start
    index.  The state is not modified.  ``ties`` (one number in [0, 1) per pod, at least
    ``n``): pod ``j`` takes the ``floor(ties[j] * k)``-th of the ``k`` best-scored nodes of its
    sample, in sample order, as the scheduler picks one of them at random; else the tie rule
    of ``rank``."""
    size = state.pods.shape[0]
    placed = np.zeros(size, dtype=np.int64)
    if n <= 0 or size == 0:
        return placed, start
    topo = _topology(pc, own)
    tie = np.arange(size, dtype=np.int64) if rank is None else rank.astype(np.int64)
    _, start = place_sampled(
        state.alloc[0],
        state.alloc[1],
        state.used[0],
        state.used[1],
        state.nz_cpu,
        state.nz_memory,
        own,
        capacity(state, pc, own),
        topo.zone,
        topo.hard_counted,
        tie,
        order,
        topo.zone_count.copy(),
        topo.host_skew,
        topo.dom,
        topo.dom_skew,
        topo.dom_count.copy(),
        topo.dom_present,
        placed,
        int(n),
        int(to_find),
        int(start),
        topo.zone_all.copy(),
        topo.zoned,
        *_pod_args(pc, most_allocated, rank is None and ties is None),
        np.zeros(0, dtype=np.float64) if ties is None else np.ascontiguousarray(ties, np.float64),
    )
    return placed, start


def _affinity_scored(pc: PodClass) -> bool:
    return bool(pc.affinity_host or pc.affinity_zone)


def _is_host(domain: IntArray) -> bool:
    return bool(domain.shape[0] == 0 or np.array_equal(domain, np.arange(domain.shape[0])))


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
    if pc.hard_spread or (pc.soft_spread and pc.zone is not None) or _affinity_scored(pc):
        return _by_heaps(state, pc, n, own_, most_allocated, rank, rank is None)
    return _greedy(state, pc, n, own_, most_allocated, rank, rank is None)


# ---------------------------------------------------------------------------------------------
# DefaultPreemption


@dataclass(frozen=True)
class Lower:
    """Pods of lower priority than the preemptor, of one cohort: requests, pods per node,
    priority, creation order (an older pod started earlier)."""

    request: IntArray
    counts: IntArray
    priority: int
    created: int
    ports: bool = False  # holds a host port the preemptor wants: never reprieved
    budgets: tuple[int, ...] = ()  # the PodDisruptionBudgets that cover these pods


_last_order: list[tuple[IntArray, IntArray, IntArray]] = []


def node_order(zone: IntArray) -> tuple[IntArray, IntArray]:
    """:func:`tree_positions` of the nodes and its inverse, the scheduler's node list (node
    numbers in list order); kept for the last fleet, compared by value, read-only."""
    last = _last_order[0] if _last_order else None
    if last is not None and np.array_equal(last[0], zone):
        return last[1], last[2]
    positions = tree_positions(zone)
    node_list = np.empty_like(positions)
    node_list[positions] = np.arange(positions.shape[0])
    positions.flags.writeable = False
    node_list.flags.writeable = False
    _last_order[:] = [(zone.copy(), positions, node_list)]
    return positions, node_list


def tree_positions(zone: IntArray) -> IntArray:
    """Each node's position in the scheduler's node list: zones in the order their first node
    appears, one node of each zone in turn (``nodeTree.list``).  The nodes without a zone
    (code -1) are one zone of the tree, the scheduler's zone key ``""``."""
    n = zone.shape[0]
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    zone = zone + 1
    _, first = np.unique(zone, return_index=True)
    zone_rank = np.empty(int(zone.max()) + 1, dtype=np.int64)
    zone_rank[zone[np.sort(first)]] = np.arange(first.shape[0])
    by_zone = np.argsort(zone, kind="stable")
    depth = np.empty(n, dtype=np.int64)
    sorted_zone = zone[by_zone]
    starts = np.r_[0, np.flatnonzero(np.diff(sorted_zone)) + 1]
    run = np.repeat(starts, np.diff(np.r_[starts, n]))
    depth[by_zone] = np.arange(n) - run
    order = np.lexsort((zone_rank[zone], depth))
    pos = np.empty(n, dtype=np.int64)
    pos[order] = np.arange(n)
    return pos


def preemption_candidates(
    state: NodeState,
    pc: PodClass,
    own: IntArray,
    potential: BoolArray,
    lowers: Sequence[Lower],
    ports_kept: BoolArray | None = None,
    allowed: IntArray | None = None,
    positions: IntArray | None = None,
) -> tuple[IntArray, IntArray, IntArray]:
    """DefaultPreemption's dry run on every ``potential`` node (status Unschedulable): remove
    all lower-priority pods; where the pod then fits, add them back while it still fits, first
    those whose eviction would violate a PodDisruptionBudget, then the others, each most
    important first (higher priority, then older); the rest are the victims.

    ``ports_kept``: the nodes where pods that are not victims hold a host port the pod wants.
    ``allowed``: each budget's ``disruptionsAllowed``, spent per node by the lower-priority pods
    it covers in order of importance; a pod past its budget is violating.  ``positions``: the
    nodes' places in the scheduler's node list: the dry run walks the potential nodes in that
    order (podcap's offset 0 where the scheduler starts at a random one) and stops once it has
    ``max(10% of them, 100)`` candidates, one of them without violations
    (``DryRunPreemption``, ``calculateNumCandidates``).
    Returns the candidate nodes, the victims (one row per entry of ``lowers``, one column per
    candidate) [pods] and the victims that violate a budget, per candidate [pods].
    """
    n = state.pods.shape[0]
    if not lowers:
        empty = np.zeros(0, dtype=np.int64)
        return empty, np.zeros((0, 0), dtype=np.int64), empty
    lower_used = sum(
        (lw.request[:, None] * lw.counts[None, :] for lw in lowers), np.zeros_like(state.used)
    )
    lower_pods = sum((lw.counts for lw in lowers), np.zeros(n, dtype=np.int64))
    relieved = NodeState(
        state.alloc,
        state.pods_alloc,
        state.used - lower_used,
        state.nz_cpu,
        state.nz_memory,
        state.pods - lower_pods,
    )
    if pc.host_ports:
        pc = replace(pc, ports_taken=ports_kept)
    fits = capacity(relieved, pc, own) > 0
    if pc.hard_spread:
        fits &= pod_topology_spread.skew_ok(pc, own)
    idx = np.flatnonzero(potential & fits & (lower_pods > 0))
    victims = np.zeros((len(lowers), idx.shape[0]), dtype=np.int64)
    if idx.size == 0:
        return idx.astype(np.int64), victims, np.zeros(0, dtype=np.int64)
    order = sorted(range(len(lowers)), key=lambda s: (-lowers[s].priority, lowers[s].created))
    # filterPodsWithPDBViolation, per node: the budgets spent in order of importance
    violating = np.zeros((len(lowers), idx.shape[0]), dtype=np.int64)
    if allowed is not None and allowed.size:
        left = np.repeat(allowed.astype(np.int64)[:, None], idx.shape[0], axis=1)
        for s in order:
            lw = lowers[s]
            cnt = lw.counts[idx]
            for p in lw.budgets:
                violating[s] = np.maximum(violating[s], cnt - np.clip(left[p], 0, cnt))
                left[p] -= cnt
    free = state.alloc[:, idx] - relieved.used[:, idx] - pc.request[:, None]
    pods_free = state.pods_alloc[idx] - relieved.pods[idx] - 1
    back = np.zeros_like(victims)
    broken = np.zeros(idx.shape[0], dtype=np.int64)  # violating pods not reprieved
    for part in (violating, None):
        for s in order:
            lw = lowers[s]
            cnt = lw.counts[idx]
            want = violating[s] if part is not None else cnt - violating[s]
            room = np.minimum(want, np.maximum(pods_free, 0))
            if lw.ports:
                room = np.zeros_like(room)
            for r in np.flatnonzero(lw.request > 0):
                room = np.minimum(room, np.maximum(free[r], 0) // lw.request[r])
            free -= lw.request[:, None] * room[None, :]
            pods_free -= room
            back[s] += room
            if part is not None:
                broken += violating[s] - room
    victims = np.stack([lw.counts[idx] for lw in lowers]) - back
    if positions is not None:
        total = int(potential.sum())
        wanted = min(max(total * 10 // 100, 100), total)
        walk = np.argsort(positions[idx], kind="stable")
        clean = np.cumsum(broken[walk] == 0)
        enough = np.flatnonzero((clean > 0) & (np.arange(1, walk.shape[0] + 1) >= wanted))
        if enough.size:
            walk = walk[: int(enough[0]) + 1]
        walk = np.sort(walk)
        idx, victims, broken = idx[walk], victims[:, walk], broken[walk]
    return idx.astype(np.int64), victims, broken


def pick_preemption_node(
    idx: IntArray,
    victims: IntArray,
    lowers: Sequence[Lower],
    positions: IntArray,
    violations: IntArray | None = None,
) -> int:
    """``pickOneNodeForPreemption``: the fewest PodDisruptionBudget violations, the lowest
    highest-victim priority, the lowest priority sum, the fewest victims, the latest start of
    the earliest highest-priority victim; then the first in the scheduler's node list.  Returns
    a column of ``idx``."""
    prio = np.array([lw.priority for lw in lowers], dtype=np.int64)[:, None]
    created = np.array([lw.created for lw in lowers], dtype=np.int64)[:, None]
    has = victims > 0
    big = np.iinfo(np.int64).max
    highest = np.where(has, prio, np.iinfo(np.int64).min).max(axis=0)
    total = (victims * (prio + 2**31)).sum(axis=0)
    count = victims.sum(axis=0)
    earliest = np.where(has & (prio == highest[None, :]), created, big).min(axis=0)
    broken = np.zeros(idx.shape[0], dtype=np.int64) if violations is None else violations
    order = np.lexsort((positions[idx], -earliest, count, total, highest, broken))
    return int(order[0])
