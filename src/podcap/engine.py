"""Placement engines: the vectorized engine and the pod-by-pod reference oracle.

Both place the pods of one workload at a time on a :class:`NodeState`, with the same filters,
the same scores and the same tie rule:

* filters: cordon, NoSchedule/NoExecute taints, nodeSelector and required node affinity, pod
  count, cpu, memory, ephemeral-storage and ``vpc.amazonaws.com/pod-eni``, required pod
  anti-affinity on hostname (one pod of the workload per node), required topology spread
  (DoNotSchedule) on any node label;
* score: NodeResourcesFit (LeastAllocated or MostAllocated) + BalancedAllocation, and for pods of
  Deployments, ReplicaSets and StatefulSets a per-pod decrement standing in for the default soft
  topology spreading (:func:`podcap.kernels.scheduling.spread_delta`, iterated to a fixed point);
* ties: the node with the fewest pods of the workload, then the lowest node index (or, with a
  seed, the lowest rank in a seeded random permutation of the nodes).

The vectorized engine computes every node's score curve at once and takes the best slots
(:func:`podcap.kernels.scheduling.greedy_counts`); workloads with DoNotSchedule topology spread
constraints are placed one pod at a time with vectorized filters.  The reference engine loops
over pods and nodes in plain Python and is meant as a test oracle for small fleets.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from podcap.kernels.scheduling import greedy_counts, slot_scores, spread_delta
from podcap.workloads import SpreadConstraint

__all__ = ["NodeState", "PodClass", "place_fast", "place_reference"]

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]
_SPREAD_ITERATIONS = 6


@dataclass
class NodeState:
    """Mutable per-node usage: actual requests, non-zero requests, pods, pod IPs."""

    alloc: IntArray  # (R, n)
    pods_alloc: IntArray
    used: IntArray  # (R, n)
    nz_cpu: IntArray
    nz_memory: IntArray
    pods: IntArray

    @classmethod
    def empty(cls, alloc: IntArray, pods_alloc: IntArray) -> NodeState:
        """A state with nothing placed."""
        n = pods_alloc.shape[0]
        return cls(
            alloc=alloc,
            pods_alloc=pods_alloc,
            used=np.zeros_like(alloc),
            nz_cpu=np.zeros(n, np.int64),
            nz_memory=np.zeros(n, np.int64),
            pods=np.zeros(n, np.int64),
        )

    def add(self, pc: PodClass, counts: IntArray) -> None:
        """Account ``counts`` pods of class ``pc`` per node."""
        self.used += pc.request[:, None] * counts[None, :]
        self.nz_cpu += pc.nz_cpu * counts
        self.nz_memory += pc.nz_memory * counts
        self.pods += counts


@dataclass(frozen=True)
class PodClass:
    """What the scheduler needs to know about the (identical) pods of one workload."""

    request: IntArray  # (R,) actual requests
    nz_cpu: int
    nz_memory: int
    eligible: BoolArray  # taints, cordon, selector / affinity all pass
    affinity: BoolArray  # selector / affinity pass (topology spread domains)
    anti_affinity: bool = False
    soft_spread: bool = False
    hard_spread: tuple[SpreadConstraint, ...] = ()
    zone: IntArray | None = None  # zone code per node (soft spread)
    domains: tuple[IntArray, ...] = ()  # per hard constraint: domain code per node (-1: no label)


def capacity(state: NodeState, pc: PodClass, own: IntArray) -> IntArray:
    """Pods of ``pc`` each node can still take [pods] (0 where filtered out)."""
    free_pods = state.pods_alloc - state.pods
    cap = free_pods.copy()
    free = state.alloc - state.used
    for r in np.nonzero(pc.request > 0)[0]:
        cap = np.minimum(cap, free[r] // pc.request[r])
    cap = np.where(pc.eligible, np.maximum(cap, 0), 0)
    if pc.anti_affinity:
        cap = np.minimum(cap, np.maximum(1 - own, 0))
    return cap.astype(np.int64)


def fits_one(state: NodeState, pc: PodClass) -> BoolArray:
    ok = state.pods + 1 <= state.pods_alloc
    free = state.alloc - state.used
    for r in np.nonzero(pc.request > 0)[0]:
        ok &= pc.request[r] <= free[r]
    return ok


# ---------------------------------------------------------------------------------------------
# vectorized engine


def _greedy_fast(
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


def hard_spread_ok(pc: PodClass, counts: IntArray) -> BoolArray:
    """Nodes where one more pod keeps every DoNotSchedule constraint within its max skew."""
    ok = np.ones(counts.shape[0], dtype=bool)
    for c, dom in zip(pc.hard_spread, pc.domains, strict=True):
        labelled = (dom >= 0) & pc.affinity
        if not labelled.any():
            return np.zeros_like(ok)
        ndom = int(dom.max()) + 1
        per_dom = np.bincount(dom[labelled], weights=counts[labelled], minlength=ndom).astype(
            np.int64
        )
        present = np.bincount(dom[labelled], minlength=ndom) > 0
        minimum = int(per_dom[present].min())
        safe_dom = np.maximum(dom, 0)
        ok &= (dom >= 0) & (per_dom[safe_dom] + 1 - minimum <= c.max_skew)
    return ok


def _stepwise_fast(
    state: NodeState,
    pc: PodClass,
    n: int,
    own: IntArray,
    delta: npt.NDArray[np.float64],
    most: bool,
    rank: IntArray | None = None,
) -> IntArray:
    """One pod at a time with vectorized filters and scores (DoNotSchedule spreading)."""
    placed = np.zeros(state.pods.shape[0], dtype=np.int64)
    base_cap = capacity(state, pc, own)
    idx = np.arange(placed.shape[0])
    for _ in range(n):
        feasible = (placed < base_cap) & hard_spread_ok(pc, own + placed)
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
    """Place ``n`` pods of ``pc`` with the vectorized engine; returns pods per node.

    ``rank`` (a permutation of the nodes) replaces the node index in the tie rule.  The state is
    not modified; call ``state.add(pc, counts)`` to commit.
    """
    own_ = np.zeros(state.pods.shape[0], dtype=np.int64) if own is None else own
    feasible = capacity(state, pc, own_) > 0
    if pc.hard_spread:
        return _with_soft_spread(
            lambda d: _stepwise_fast(state, pc, n, own_, d, most_allocated, rank),
            pc,
            feasible,
            own_,
        )
    return _with_soft_spread(
        lambda d: _greedy_fast(state, pc, n, own_, d, most_allocated, rank), pc, feasible, own_
    )


# ---------------------------------------------------------------------------------------------
# reference engine (plain Python, pod by pod)


def _py_least(alloc: int, requested: int) -> int:
    if alloc <= 0 or requested > alloc:
        return 0
    return ((alloc - requested) * 100) // alloc


def _py_most(alloc: int, requested: int) -> int:
    if alloc <= 0:
        return 0
    return (min(requested, alloc) * 100) // alloc


def _py_score(
    alloc_cpu: int, alloc_mem: int, cpu: int, mem: int, nz_cpu: int, nz_mem: int, most: bool
) -> float:
    """kube-scheduler fit + balanced score in plain Python (written independently of the kernels)."""
    f = _py_most if most else _py_least
    fit = (f(alloc_cpu, nz_cpu) + f(alloc_mem, nz_mem)) // 2
    fc = min(cpu / alloc_cpu, 1.0) if alloc_cpu > 0 else 1.0
    fm = min(mem / alloc_mem, 1.0) if alloc_mem > 0 else 1.0
    balanced = int((1.0 - abs(fc - fm) / 2.0) * 100)
    return float(fit + balanced)


def _reference_once(
    state: NodeState,
    pc: PodClass,
    n: int,
    own: list[int],
    delta: list[float],
    most: bool,
    rank: list[int],
) -> list[int]:
    nodes = state.pods.shape[0]
    alloc = state.alloc.tolist()
    used = [row[:] for row in state.used.tolist()]
    pods = state.pods.tolist()
    nz_cpu = state.nz_cpu.tolist()
    nz_mem = state.nz_memory.tolist()
    req = pc.request.tolist()
    placed = [0] * nodes
    eligible = pc.eligible.tolist()
    affinity = pc.affinity.tolist()
    domains = [d.tolist() for d in pc.domains]
    for _ in range(n):
        # hard spread: counts per domain over nodes passing selector/affinity with the label
        spread_ok = [True] * nodes
        for c, dom in zip(pc.hard_spread, domains, strict=True):
            per: dict[int, int] = {}
            for i in range(nodes):
                if affinity[i] and dom[i] >= 0:
                    per[dom[i]] = per.get(dom[i], 0) + own[i] + placed[i]
            low = min(per.values()) if per else 0
            for i in range(nodes):
                if dom[i] < 0 or not per or per.get(dom[i], 0) + 1 - low > c.max_skew:
                    spread_ok[i] = False
        best_i = -1
        best_key: tuple[float, int, int] | None = None
        for i in range(nodes):
            if not eligible[i] or not spread_ok[i]:
                continue
            if pods[i] + placed[i] + 1 > int(state.pods_alloc[i]):
                continue
            if any(req[r] > 0 and used[r][i] + req[r] > alloc[r][i] for r in range(len(req))):
                continue
            if pc.anti_affinity and own[i] + placed[i] > 0:
                continue
            score = _py_score(
                alloc[0][i],
                alloc[1][i],
                used[0][i] + req[0],
                used[1][i] + req[1],
                nz_cpu[i] + pc.nz_cpu,
                nz_mem[i] + pc.nz_memory,
                most,
            ) - delta[i] * (own[i] + placed[i])
            key = (score, -(own[i] + placed[i]), -rank[i])
            if best_key is None or key > best_key:
                best_key, best_i = key, i
        if best_i < 0:
            break
        placed[best_i] += 1
        for r in range(len(req)):
            used[r][best_i] += req[r]
        nz_cpu[best_i] += pc.nz_cpu
        nz_mem[best_i] += pc.nz_memory
    return placed


def place_reference(
    state: NodeState,
    pc: PodClass,
    n: int,
    *,
    most_allocated: bool = False,
    own: IntArray | None = None,
    rank: IntArray | None = None,
) -> IntArray:
    """Place ``n`` pods of ``pc`` one at a time, looping over nodes in plain Python (oracle)."""
    nodes = state.pods.shape[0]
    rank_list = list(range(nodes)) if rank is None else [int(x) for x in rank]
    own_list = [0] * nodes if own is None else [int(x) for x in own]
    own_arr = np.asarray(own_list, dtype=np.int64)
    feasible = capacity(state, pc, own_arr) > 0

    def place(delta: npt.NDArray[np.float64]) -> IntArray:
        return np.asarray(
            _reference_once(state, pc, n, own_list, delta.tolist(), most_allocated, rank_list),
            dtype=np.int64,
        )

    return _with_soft_spread(place, pc, feasible, own_arr)
