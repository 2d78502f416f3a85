"""kube-scheduler's cycle, pod by pod, every node scored, with one heap per group of nodes that
share their spreading score (compiled).

For one workload, a node's total score is ``static + spread``: ``static`` (NodeResourcesFit +
BalancedAllocation, :func:`podcap.kernels._jit.level_score`) depends on the node alone and
changes only when a pod is bound to it; ``spread`` (the system-default PodTopologySpread,
normalised over the scored nodes) depends only on the node's pods of the workload (its *level*)
and its zone.  DoNotSchedule constraints likewise decide per level and per topology domain.
So the nodes are grouped by (level, cell), a cell being a zone and domain combination; each group
keeps its nodes in a max-heap on (static, -tie key), and a pod's best node is the best top among
the groups: ``O(groups + log nodes)`` per pod however different the nodes are.

Ties: the highest score, then (optional) the fewest pods of the workload, then the lowest tie
key, as in :mod:`podcap.kernels.sampled`.  :func:`place_heaps` runs compiled with numba, or as
plain Python (``compiled=False``) for checking.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import numpy.typing as npt

from podcap.kernels._jit import compiled as _compile
from podcap.kernels._jit import level_score, spread_raw, spread_score

__all__ = ["place_heaps"]

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]


def _push(heap: IntArray, size: int, key: int) -> None:
    """Insert ``key`` into the max-heap ``heap[:size]`` (room for one more)."""
    i = size
    heap[i] = key
    while i > 0:
        parent = (i - 1) // 2
        if heap[parent] >= heap[i]:
            break
        heap[parent], heap[i] = heap[i], heap[parent]
        i = parent


def _pop(heap: IntArray, size: int) -> int:
    """Remove and return the largest key of ``heap[:size]``."""
    top = heap[0]
    size -= 1
    heap[0] = heap[size]
    i = 0
    while True:
        left = 2 * i + 1
        if left >= size:
            break
        child = left
        if left + 1 < size and heap[left + 1] > heap[left]:
            child = left + 1
        if heap[i] >= heap[child]:
            break
        heap[i], heap[child] = heap[child], heap[i]
        i = child
    return int(top)


def _place_heaps(
    alloc_cpu: IntArray,
    alloc_mem: IntArray,
    used_cpu: IntArray,
    used_mem: IntArray,
    nz_cpu: IntArray,
    nz_mem: IntArray,
    own: IntArray,
    cap: IntArray,
    cell: IntArray,
    counted: BoolArray,
    tie_key: IntArray,
    node_of_key: IntArray,
    cell_zone: IntArray,
    zone_count: IntArray,
    host_skew: int,
    cell_dom: IntArray,
    dom_skew: IntArray,
    dom_count: IntArray,
    dom_present: BoolArray,
    placed: IntArray,
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
    """Place up to ``n`` identical pods; returns how many were placed.

    Per node (length N): allocatable, actual and non-zero requests [m], [B]; ``own`` pods of the
    workload before this call; ``cap`` pods of the workload it can take (0: not a candidate);
    ``cell`` code; ``counted``: its node affinity admits the pod (topology counts);
    ``tie_key`` (a permutation of 0..N-1) and its inverse ``node_of_key``.  Per cell:
    ``cell_zone`` and, per DoNotSchedule constraint other than the hostname, ``cell_dom[h, c]``
    (-1 without the label).  ``zone_count``, ``dom_count`` (updated in place), ``dom_present``,
    ``dom_skew``, ``host_skew`` (> 0: a DoNotSchedule hostname constraint) as in
    :mod:`podcap.kernels.sampled`; ``placed`` (N) receives the pods placed.
    """
    n_nodes = alloc_cpu.shape[0]
    n_cells = cell_zone.shape[0]
    n_zones = zone_count.shape[0]
    n_dom = cell_dom.shape[0]
    scale = n_nodes + 1  # key = static * scale + (n_nodes - tie key): larger is better
    # the lowest level any candidate has; levels are relative to it
    base = 0
    first = True
    for i in range(n_nodes):
        if cap[i] > 0 and (first or own[i] < base):
            base = own[i]
            first = False
    if first or n <= 0:
        return 0
    top_level = 0
    for i in range(n_nodes):
        if cap[i] > 0 and own[i] - base > top_level:
            top_level = own[i] - base
    levels = top_level + 2
    # heaps: one array per (level, cell), grown on demand
    heaps = [np.zeros(0, dtype=np.int64) for _ in range(levels * n_cells)]
    sizes = np.zeros(levels * n_cells, dtype=np.int64)
    wanted = np.zeros(levels * n_cells, dtype=np.int64)
    for i in range(n_nodes):
        if cap[i] > 0:
            wanted[(own[i] - base) * n_cells + cell[i]] += 1
    for g in range(levels * n_cells):
        heaps[g] = np.zeros(max(wanted[g], 4), dtype=np.int64)
    for i in range(n_nodes):
        if cap[i] > 0:
            g = (own[i] - base) * n_cells + cell[i]
            s = level_score(
                alloc_cpu[i],
                alloc_mem[i],
                used_cpu[i],
                used_mem[i],
                nz_cpu[i],
                nz_mem[i],
                0,
                req_cpu,
                req_mem,
                pnz_cpu,
                pnz_mem,
                most,
                balanced,
            )
            _push(heaps[g], sizes[g], s * scale + (n_nodes - tie_key[i]))
            sizes[g] += 1
    # the hostname constraint's minimum over the counted nodes
    hist = np.zeros(1, dtype=np.int64)
    host_min = 0
    if host_skew > 0:
        most_pods = 0
        for i in range(n_nodes):
            if counted[i] and own[i] > most_pods:
                most_pods = own[i]
        hist = np.zeros(most_pods + n + 2, dtype=np.int64)
        host_min = most_pods + n + 1
        for i in range(n_nodes):
            if counted[i]:
                hist[own[i]] += 1
                if own[i] < host_min:
                    host_min = own[i]
    dom_min = np.zeros(max(n_dom, 1), dtype=np.int64)
    seen = np.zeros(n_zones, dtype=np.bool_)
    feasible = np.zeros(levels * n_cells, dtype=np.bool_)
    raw = np.zeros(levels * n_cells, dtype=np.int64)
    done = 0
    for _ in range(n):
        for h in range(n_dom):
            m = -1
            for d in range(dom_count.shape[1]):
                if dom_present[h, d] and (m < 0 or dom_count[h, d] < m):
                    m = dom_count[h, d]
            dom_min[h] = m
        # filters, per group
        n_feasible = 0
        for z in range(n_zones):
            seen[z] = False
        n_groups = levels * n_cells
        for g in range(n_groups):
            ok = sizes[g] > 0
            level = g // n_cells + base
            c = g % n_cells
            if ok and host_skew > 0:
                ok = level + 1 - host_min <= host_skew
            for h in range(n_dom):
                if not ok:
                    break
                d = cell_dom[h, c]
                ok = d >= 0 and dom_min[h] >= 0 and dom_count[h, d] + 1 - dom_min[h] <= dom_skew[h]
            feasible[g] = ok
            if ok:
                n_feasible += sizes[g]
                seen[cell_zone[c]] = True
        if n_feasible == 0:
            break
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
            for g in range(n_groups):
                if not feasible[g]:
                    continue
                r = spread_raw(
                    g // n_cells + base, zone_count[cell_zone[g % n_cells]], w_host, w_zone
                )
                raw[g] = r
                if first or r < low_raw:
                    low_raw = r
                if first or r > high_raw:
                    high_raw = r
                first = False
        best = -1
        best_score = 0
        best_own = 0
        best_key = 0
        for g in range(n_groups):
            if not feasible[g]:
                continue
            key = heaps[g][0]
            score = key // scale
            if soft:
                score += spread_score(raw[g], low_raw, high_raw)
            mine = g // n_cells if fewest else 0
            tie = n_nodes - key % scale
            if best >= 0 and (
                score < best_score
                or (score == best_score and mine > best_own)
                or (score == best_score and mine == best_own and tie > best_key)
            ):
                continue
            best, best_score, best_own, best_key = g, score, mine, tie
        # bind: the node leaves its group and, if it has room, joins the next level's
        g = best
        key = _pop(heaps[g], sizes[g])
        sizes[g] -= 1
        i = node_of_key[n_nodes - key % scale]
        if host_skew > 0:
            k = own[i] + placed[i]
            hist[k] -= 1
            hist[k + 1] += 1
            while hist[host_min] == 0:
                host_min += 1
        placed[i] += 1
        zone_count[cell_zone[cell[i]]] += 1
        for h in range(n_dom):
            dom_count[h, cell_dom[h, cell[i]]] += 1
        done += 1
        if placed[i] < cap[i]:
            level = g // n_cells + 1
            if level >= levels:  # a new level for every cell
                for _c in range(n_cells):
                    heaps.append(np.zeros(4, dtype=np.int64))
                sizes = np.concatenate((sizes, np.zeros(n_cells, dtype=np.int64)))
                feasible = np.zeros(sizes.shape[0], dtype=np.bool_)
                raw = np.zeros(sizes.shape[0], dtype=np.int64)
                levels += 1
            h2 = level * n_cells + cell[i]
            if sizes[h2] == heaps[h2].shape[0]:
                grown = np.zeros(2 * heaps[h2].shape[0], dtype=np.int64)
                grown[: sizes[h2]] = heaps[h2][: sizes[h2]]
                heaps[h2] = grown
            s = level_score(
                alloc_cpu[i],
                alloc_mem[i],
                used_cpu[i],
                used_mem[i],
                nz_cpu[i],
                nz_mem[i],
                placed[i],
                req_cpu,
                req_mem,
                pnz_cpu,
                pnz_mem,
                most,
                balanced,
            )
            _push(heaps[h2], sizes[h2], s * scale + (n_nodes - tie_key[i]))
            sizes[h2] += 1
    return done


def place_heaps(*args: Any, compiled: bool = True) -> int:
    """:func:`_place_heaps`, compiled with numba on first use (``compiled=False``: plain
    Python)."""
    return int((_compile(_place_heaps, _push, _pop) if compiled else _place_heaps)(*args))
