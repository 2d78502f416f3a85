"""kube-scheduler's cycle over classes of interchangeable nodes, pod by pod (compiled).

Nodes that the scheduler cannot tell apart for a workload (same allocatable, same usage, same
pods of the workload, same capacity for it, same zone and topology domains) form a *base*.  Each
pod goes through the default profile's filters and scores exactly as in kube-scheduler v1.34,
but evaluated once per group of identical nodes instead of once per node:

* filters: a node can take the ``k+1``-th pod while ``k < cap`` (NodeResourcesFit, pods count,
  hostname anti-affinity and host ports, precomputed per base) and, for every DoNotSchedule
  topology spread constraint, ``count(domain) + 1 - min(count) <= maxSkew``;
* scores: NodeResourcesFit (LeastAllocated or MostAllocated over cpu and memory, non-zero
  requests) + NodeResourcesBalancedAllocation + 2 x PodTopologySpread with the system default
  constraints (hostname maxSkew 3, zone maxSkew 5, weights ``ln(size + 2)``, rounded half away
  from zero, normalised ``100 * (max + min - s) // max`` over the feasible nodes);
* ties: the fewest pods of the workload (optional), then the lowest tie key (node index or a
  seeded rank).

Within a base, nodes are kept in tie-key order and a pod always goes to the first node of its
level, so the levels (pods placed so far) never increase along that order: a base is a short list
of *runs* (level, nodes).  The cost per pod is the number of runs, not the number of nodes.

:func:`place_runs` is written in the subset of Python that numba compiles; for checking, the same
function runs as plain Python (``compiled=False``).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import numpy.typing as npt

from podcap.kernels._jit import compiled as _compile
from podcap.kernels._jit import level_score, spread_raw, spread_score

__all__ = ["place_runs"]

IntArray = npt.NDArray[np.int64]


def _place_runs(
    alloc_cpu: IntArray,
    alloc_mem: IntArray,
    used_cpu: IntArray,
    used_mem: IntArray,
    nz_cpu: IntArray,
    nz_mem: IntArray,
    own: IntArray,
    cap: IntArray,
    zone: IntArray,
    first_key: IntArray,
    size: IntArray,
    tie_key: IntArray,
    zone_count: IntArray,
    host_skew: int,
    host_static_min: int,
    dom: IntArray,
    dom_skew: IntArray,
    dom_count: IntArray,
    dom_present: IntArray,
    run_level: IntArray,
    run_count: IntArray,
    nruns: IntArray,
    n: int,
    req_cpu: int,
    req_mem: int,
    pnz_cpu: int,
    pnz_mem: int,
    most: bool,
    balanced: bool,
    soft: bool,
    fewest: bool,
) -> int:
    """Place up to ``n`` identical pods; returns how many were placed (-1: a base ran out of
    run slots, call again with wider ``run_level`` / ``run_count``).

    Per base ``b`` (arrays of length B): allocatable, actual and non-zero requests of one node
    [m], [B]; ``own`` pods of the workload on it before this call; ``cap`` pods of the workload
    it can take; ``zone`` code; ``size`` nodes; ``first_key`` offset of its nodes in ``tie_key``
    (tie keys of its nodes, ascending).  ``zone_count[z]``: pods of the workload in zone ``z``
    on the nodes its node affinity admits.  ``host_skew`` > 0: a DoNotSchedule hostname
    constraint, whose minimum also counts ``host_static_min`` (the nodes outside the bases).
    ``dom[h, b]``, ``dom_skew[h]``, ``dom_count[h, d]``, ``dom_present[h, d]``: the other
    DoNotSchedule constraints (domain code, -1 without the label).  ``run_level``,
    ``run_count`` (B, J) and ``nruns`` (B) hold each base's runs, highest level first; they
    are updated in place, as are ``zone_count`` and ``dom_count``.
    """
    n_bases = alloc_cpu.shape[0]
    width = run_level.shape[1]
    n_dom = dom.shape[0]
    n_zones = zone_count.shape[0]
    feasible = np.zeros(run_level.shape, dtype=np.bool_)
    raw = np.zeros(run_level.shape, dtype=np.int64)
    static = np.zeros(run_level.shape, dtype=np.int64)  # scores that depend on the level only
    fresh = np.zeros(run_level.shape, dtype=np.bool_)
    seen = np.zeros(n_zones, dtype=np.bool_)
    dom_min = np.zeros(max(n_dom, 1), dtype=np.int64)
    placed = 0
    for _ in range(n):
        # the minimum per DoNotSchedule constraint
        host_min = host_static_min
        if host_skew > 0:
            for b in range(n_bases):
                if nruns[b] > 0:
                    low = own[b] + run_level[b, nruns[b] - 1]
                    if low < host_min:
                        host_min = low
        for h in range(n_dom):
            m = -1
            for d in range(dom_count.shape[1]):
                if dom_present[h, d] and (m < 0 or dom_count[h, d] < m):
                    m = dom_count[h, d]
            dom_min[h] = m
        # filters
        n_feasible = 0
        for z in range(n_zones):
            seen[z] = False
        for b in range(n_bases):
            for j in range(nruns[b]):
                k = run_level[b, j]
                ok = k < cap[b]
                if ok and host_skew > 0:
                    ok = own[b] + k + 1 - host_min <= host_skew
                for h in range(n_dom):
                    if not ok:
                        break
                    d = dom[h, b]
                    ok = (
                        d >= 0
                        and dom_min[h] >= 0
                        and dom_count[h, d] + 1 - dom_min[h] <= dom_skew[h]
                    )
                feasible[b, j] = ok
                if ok:
                    n_feasible += run_count[b, j]
                    seen[zone[b]] = True
        if n_feasible == 0:
            break
        # PodTopologySpread raw scores over the feasible nodes
        low_raw = 0
        high_raw = 0
        if soft:
            n_seen = 0
            for z in range(n_zones):
                if seen[z]:
                    n_seen += 1
            w_host = math.log(n_feasible + 2)
            w_zone = math.log(n_seen + 2)
            first = True
            for b in range(n_bases):
                for j in range(nruns[b]):
                    if not feasible[b, j]:
                        continue
                    r = spread_raw(own[b] + run_level[b, j], zone_count[zone[b]], w_host, w_zone)
                    raw[b, j] = r
                    if first or r < low_raw:
                        low_raw = r
                    if first or r > high_raw:
                        high_raw = r
                    first = False
        # scores and the tie rule
        best_b = -1
        best_j = -1
        best_score = 0
        best_own = 0
        best_key = 0
        for b in range(n_bases):
            for j in range(nruns[b]):
                if not feasible[b, j]:
                    continue
                k = run_level[b, j]
                if not fresh[b, j]:  # NodeResourcesFit + BalancedAllocation at this level
                    static[b, j] = level_score(
                        alloc_cpu[b],
                        alloc_mem[b],
                        used_cpu[b],
                        used_mem[b],
                        nz_cpu[b],
                        nz_mem[b],
                        k,
                        req_cpu,
                        req_mem,
                        pnz_cpu,
                        pnz_mem,
                        most,
                        balanced,
                    )
                    fresh[b, j] = True
                score = static[b, j]
                if soft:
                    score += spread_score(raw[b, j], low_raw, high_raw)
                mine = own[b] + k if fewest else 0
                if best_b >= 0 and (
                    score < best_score or (score == best_score and mine > best_own)
                ):
                    continue
                pos = 0
                for i in range(j):
                    pos += run_count[b, i]
                key = tie_key[first_key[b] + pos]
                if best_b >= 0 and score == best_score and mine == best_own and key >= best_key:
                    continue
                best_b, best_j, best_score, best_own, best_key = b, j, score, mine, key
        # bind: the first node of the run moves one level up
        b = best_b
        j = best_j
        k = run_level[b, j]
        if j > 0 and run_level[b, j - 1] == k + 1:
            run_count[b, j - 1] += 1
            run_count[b, j] -= 1
            if run_count[b, j] == 0:
                for i in range(j, nruns[b] - 1):
                    run_level[b, i] = run_level[b, i + 1]
                    run_count[b, i] = run_count[b, i + 1]
                    static[b, i] = static[b, i + 1]
                    fresh[b, i] = fresh[b, i + 1]
                nruns[b] -= 1
        elif run_count[b, j] == 1:
            run_level[b, j] = k + 1
            fresh[b, j] = False
        else:
            if nruns[b] == width:
                return -1
            for i in range(nruns[b], j, -1):
                run_level[b, i] = run_level[b, i - 1]
                run_count[b, i] = run_count[b, i - 1]
                static[b, i] = static[b, i - 1]
                fresh[b, i] = fresh[b, i - 1]
            run_level[b, j] = k + 1
            run_count[b, j] = 1
            fresh[b, j] = False
            run_count[b, j + 1] -= 1
            nruns[b] += 1
        zone_count[zone[b]] += 1
        for h in range(n_dom):
            dom_count[h, dom[h, b]] += 1
        placed += 1
    return placed


def place_runs(*args: Any, compiled: bool = True) -> int:
    """:func:`_place_runs`, compiled with numba on first use (``compiled=False``: plain Python)."""
    return int((_compile(_place_runs) if compiled else _place_runs)(*args))
