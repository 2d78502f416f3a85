"""kube-scheduler's cycle with node sampling, pod by pod, node by node (compiled).

With ``percentageOfNodesToScore``, kube-scheduler v1.34 does not look at every node: it walks its
node list (zones interleaved) from ``nextStartNodeIndex``, stops after ``numNodesToFind``
feasible nodes, scores only those, and advances the start index by the nodes it processed.
Which nodes a pod sees therefore depends on where the previous pod stopped, so nodes cannot be
grouped; this kernel walks them one by one, with the same filters, scores and tie rule as
:mod:`podcap.kernels.heaps`:

* filters: ``placed < cap`` (resources, pods count, hostname anti-affinity and host ports,
  precomputed per node) and every DoNotSchedule topology spread constraint;
* scores over the sampled feasible nodes: NodeResourcesFit (LeastAllocated or MostAllocated,
  non-zero requests) + NodeResourcesBalancedAllocation + 2 x PodTopologySpread with the system
  default constraints, normalised over the sample;
* ties: the fewest pods of the workload (optional), then the lowest tie key.

The cost per pod is the number of nodes processed.  :func:`place_sampled` runs compiled with
numba, or as plain Python (``compiled=False``) for checking.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import numpy.typing as npt

from podcap.kernels._jit import compiled as _compile
from podcap.kernels._jit import level_score, spread_raw, spread_score

__all__ = ["place_sampled"]

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]


def _place_sampled(
    alloc_cpu: IntArray,
    alloc_mem: IntArray,
    used_cpu: IntArray,
    used_mem: IntArray,
    nz_cpu: IntArray,
    nz_mem: IntArray,
    own: IntArray,
    cap: IntArray,
    zone: IntArray,
    counted: BoolArray,
    tie_key: IntArray,
    order: IntArray,
    zone_count: IntArray,
    host_skew: int,
    dom: IntArray,
    dom_skew: IntArray,
    dom_count: IntArray,
    dom_present: IntArray,
    placed: IntArray,
    n: int,
    to_find: int,
    start: int,
    req_cpu: int,
    req_mem: int,
    pnz_cpu: int,
    pnz_mem: int,
    most: bool,
    balanced: bool,
    soft: bool,
    fewest: bool,
) -> tuple[int, int]:
    """Place up to ``n`` identical pods; returns (pods placed, next start index).

    Per node (arrays of length N): allocatable, actual and non-zero requests [m], [B]; ``own``
    pods of the workload before this call; ``cap`` pods of the workload it can take; ``zone``
    code; ``counted``: its node affinity admits the pod (topology counts); ``tie_key``.
    ``order``: the scheduler's node list (node indices).  ``zone_count[z]``: pods of the
    workload in zone ``z`` on counted nodes.  ``host_skew`` > 0: a DoNotSchedule hostname
    constraint.  ``dom[h, i]``, ``dom_skew[h]``, ``dom_count[h, d]``, ``dom_present[h, d]``:
    the other DoNotSchedule constraints (domain code, -1 without the label).  ``placed`` (N)
    receives the pods placed; ``zone_count`` and ``dom_count`` are updated in place.
    """
    n_nodes = order.shape[0]
    n_dom = dom.shape[0]
    n_zones = zone_count.shape[0]
    sample = np.zeros(max(to_find, 1), dtype=np.int64)
    raw = np.zeros(max(to_find, 1), dtype=np.int64)
    seen = np.zeros(n_zones, dtype=np.bool_)
    dom_min = np.zeros(max(n_dom, 1), dtype=np.int64)
    static = np.zeros(alloc_cpu.shape[0], dtype=np.int64)  # scores that depend on the level only
    fresh = np.zeros(alloc_cpu.shape[0], dtype=np.bool_)
    # hostname constraint: how many counted nodes hold each count, and the smallest count
    top = 1
    if host_skew > 0:
        for i in range(alloc_cpu.shape[0]):
            if counted[i] and own[i] + 1 > top:
                top = own[i] + 1
    hist = np.zeros(top + n + 1 if host_skew > 0 else 1, dtype=np.int64)
    host_min = 0
    if host_skew > 0:
        host_min = top + n
        for i in range(alloc_cpu.shape[0]):
            if counted[i]:
                hist[own[i]] += 1
                if own[i] < host_min:
                    host_min = own[i]
    done = 0
    for _ in range(n):
        for h in range(n_dom):
            m = -1
            for d in range(dom_count.shape[1]):
                if dom_present[h, d] and (m < 0 or dom_count[h, d] < m):
                    m = dom_count[h, d]
            dom_min[h] = m
        # filters, from the start index, until enough feasible nodes are found
        found = 0
        processed = 0
        for j in range(n_nodes):
            i = order[(start + j) % n_nodes]
            processed += 1
            ok = placed[i] < cap[i]
            if ok and host_skew > 0:
                ok = own[i] + placed[i] + 1 - host_min <= host_skew
            for h in range(n_dom):
                if not ok:
                    break
                d = dom[h, i]
                ok = d >= 0 and dom_min[h] >= 0 and dom_count[h, d] + 1 - dom_min[h] <= dom_skew[h]
            if ok:
                sample[found] = i
                found += 1
                if found >= to_find:
                    break
        if n_nodes > 0:
            start = (start + processed) % n_nodes
        if found == 0:
            break
        # PodTopologySpread raw scores over the sample
        low_raw = 0
        high_raw = 0
        if soft:
            for z in range(n_zones):
                seen[z] = False
            n_seen = 0
            for s in range(found):
                z = zone[sample[s]]
                if not seen[z]:
                    seen[z] = True
                    n_seen += 1
            w_host = math.log(found + 2)
            w_zone = math.log(n_seen + 2)
            for s in range(found):
                i = sample[s]
                r = spread_raw(own[i] + placed[i], zone_count[zone[i]], w_host, w_zone)
                raw[s] = r
                if s == 0 or r < low_raw:
                    low_raw = r
                if s == 0 or r > high_raw:
                    high_raw = r
        # scores and the tie rule
        best = -1
        best_score = 0
        best_own = 0
        best_key = 0
        for s in range(found):
            i = sample[s]
            k = placed[i]
            if not fresh[i]:  # NodeResourcesFit + BalancedAllocation at this node's level
                static[i] = level_score(
                    alloc_cpu[i],
                    alloc_mem[i],
                    used_cpu[i],
                    used_mem[i],
                    nz_cpu[i],
                    nz_mem[i],
                    k,
                    req_cpu,
                    req_mem,
                    pnz_cpu,
                    pnz_mem,
                    most,
                    balanced,
                )
                fresh[i] = True
            score = static[i]
            if soft:
                score += spread_score(raw[s], low_raw, high_raw)
            mine = own[i] + k if fewest else 0
            key = tie_key[i]
            if best >= 0 and (
                score < best_score
                or (score == best_score and mine > best_own)
                or (score == best_score and mine == best_own and key > best_key)
            ):
                continue
            best, best_score, best_own, best_key = i, score, mine, key
        # bind
        i = best
        if host_skew > 0:
            c = own[i] + placed[i]
            hist[c] -= 1
            hist[c + 1] += 1
            while hist[host_min] == 0:
                host_min += 1
        placed[i] += 1
        fresh[i] = False
        zone_count[zone[i]] += 1
        for h in range(n_dom):
            dom_count[h, dom[h, i]] += 1
        done += 1
    return done, start


def place_sampled(*args: Any, compiled: bool = True) -> tuple[int, int]:
    """:func:`_place_sampled`, compiled with numba on first use (``compiled=False``: plain
    Python)."""
    done, start = (_compile(_place_sampled) if compiled else _place_sampled)(*args)
    return int(done), int(start)
