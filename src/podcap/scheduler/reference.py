"""The reference engine: a literal pod-by-pod, node-by-node scheduler in plain Python.

It is the test oracle of :mod:`podcap.scheduler.fast` and shares no filtering, scoring or
spreading code with it (only the inputs, :class:`NodeState` and :class:`PodClass`); an import
contract keeps it away from the fast engine, the plugins and the kernels.  Rules, written from
kube-scheduler's source:

* filters: the static filters' answer (``PodClass.eligible``), pods count, every requested
  resource, hostname anti-affinity (one pod of the workload per node), and every DoNotSchedule
  topology spread constraint (``count(domain) + 1 - min(count) <= maxSkew`` over labelled nodes
  passing the node affinity);
* score: NodeResourcesFit (LeastAllocated ``(alloc - req) * 100 // alloc`` or MostAllocated
  ``req * 100 // alloc`` over non-zero requests, cpu and memory averaged) plus
  NodeResourcesBalancedAllocation (``int((1 - |f_cpu - f_mem| / 2) * 100)`` over actual
  requests), minus the per-pod soft-spreading decrement podcap uses for the system default
  spreading (the same documented approximation, computed here independently);
* ties: the fewest pods of the workload, then the lowest rank.

Meant for small fleets.
"""

from __future__ import annotations

import math

import numpy as np

from podcap.scheduler.framework import IntArray, NodeState, PodClass

__all__ = ["place_reference"]

_ROUNDS = 6


def _least(alloc: int, requested: int) -> int:
    if alloc <= 0 or requested > alloc:
        return 0
    return ((alloc - requested) * 100) // alloc


def _most(alloc: int, requested: int) -> int:
    if alloc <= 0:
        return 0
    return (min(requested, alloc) * 100) // alloc


def _score(
    alloc_cpu: int, alloc_mem: int, cpu: int, mem: int, nz_cpu: int, nz_mem: int, most: bool
) -> float:
    f = _most if most else _least
    fit = (f(alloc_cpu, nz_cpu) + f(alloc_mem, nz_mem)) // 2
    fc = min(cpu / alloc_cpu, 1.0) if alloc_cpu > 0 else 1.0
    fm = min(mem / alloc_mem, 1.0) if alloc_mem > 0 else 1.0
    balanced = int((1.0 - abs(fc - fm) / 2.0) * 100)
    return float(fit + balanced)


def _spread_cost(counts: list[int], feasible: list[bool], zone: list[int]) -> list[float]:
    """Per-pod score decrement of the default soft spreading (hostname 3, zone 5, weight 2):
    ``200 * (w_h + w_z / nodes_in_zone) / max_raw`` with ``w = ln(domains + 2)`` and
    ``raw = n_host * w_h + 2 + n_zone * w_z + 4``."""
    n = len(counts)
    if not any(feasible):
        return [0.0] * n
    per_zone: dict[int, int] = {}
    nodes_in: dict[int, int] = {}
    for i in range(n):
        if feasible[i]:
            per_zone[zone[i]] = per_zone.get(zone[i], 0) + counts[i]
            nodes_in[zone[i]] = nodes_in.get(zone[i], 0) + 1
    w_h = math.log(sum(feasible) + 2)
    w_z = math.log(len(nodes_in) + 2)
    raw = [counts[i] * w_h + 2 + per_zone.get(zone[i], 0) * w_z + 4 for i in range(n)]
    top = max(raw[i] for i in range(n) if feasible[i])
    return [
        2 * 100 * (w_h + w_z / max(nodes_in.get(zone[i], 0), 1)) / top if feasible[i] else 0.0
        for i in range(n)
    ]


class _Oracle:
    def __init__(self, state: NodeState, pc: PodClass, own: list[int], most: bool) -> None:
        self.n = int(state.pods.shape[0])
        self.alloc = state.alloc.tolist()
        self.used0 = state.used.tolist()
        self.pods = state.pods.tolist()
        self.pods_alloc = state.pods_alloc.tolist()
        self.nz_cpu0 = state.nz_cpu.tolist()
        self.nz_mem0 = state.nz_memory.tolist()
        self.req = pc.request.tolist()
        self.eligible = pc.eligible.tolist()
        self.affinity = pc.affinity.tolist()
        self.domains = [d.tolist() for d in pc.domains]
        self.pc = pc
        self.own = own
        self.most = most

    def fits(self, i: int, placed: list[int], used: list[list[int]]) -> bool:
        if not self.eligible[i]:
            return False
        if self.pods[i] + placed[i] + 1 > self.pods_alloc[i]:
            return False
        for r, amount in enumerate(self.req):
            if amount > 0 and used[r][i] + amount > self.alloc[r][i]:
                return False
        return not (self.pc.anti_affinity and self.own[i] + placed[i] > 0)

    def spread_ok(self, placed: list[int]) -> list[bool]:
        ok = [True] * self.n
        for c, dom in zip(self.pc.hard_spread, self.domains, strict=True):
            per: dict[int, int] = {}
            for i in range(self.n):
                if self.affinity[i] and dom[i] >= 0:
                    per[dom[i]] = per.get(dom[i], 0) + self.own[i] + placed[i]
            low = min(per.values()) if per else 0
            for i in range(self.n):
                if dom[i] < 0 or not per or per.get(dom[i], 0) + 1 - low > c.max_skew:
                    ok[i] = False
        return ok

    def run(self, count: int, delta: list[float], rank: list[int]) -> list[int]:
        placed = [0] * self.n
        used = [row[:] for row in self.used0]
        nz_cpu = self.nz_cpu0[:]
        nz_mem = self.nz_mem0[:]
        for _ in range(count):
            spread_ok = self.spread_ok(placed)
            best_i, best_key = -1, None
            for i in range(self.n):
                if not spread_ok[i] or not self.fits(i, placed, used):
                    continue
                score = _score(
                    self.alloc[0][i],
                    self.alloc[1][i],
                    used[0][i] + self.req[0],
                    used[1][i] + self.req[1],
                    nz_cpu[i] + self.pc.nz_cpu,
                    nz_mem[i] + self.pc.nz_memory,
                    self.most,
                ) - delta[i] * (self.own[i] + placed[i])
                key = (score, -(self.own[i] + placed[i]), -rank[i])
                if best_key is None or key > best_key:
                    best_key, best_i = key, i
            if best_i < 0:
                break
            placed[best_i] += 1
            for r, amount in enumerate(self.req):
                used[r][best_i] += amount
            nz_cpu[best_i] += self.pc.nz_cpu
            nz_mem[best_i] += self.pc.nz_memory
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
    nodes = int(state.pods.shape[0])
    ranks = list(range(nodes)) if rank is None else [int(x) for x in rank]
    own_list = [0] * nodes if own is None else [int(x) for x in own]
    oracle = _Oracle(state, pc, own_list, most_allocated)
    empty = [0] * nodes
    feasible = [oracle.fits(i, empty, oracle.used0) for i in range(nodes)]
    delta = [0.0] * nodes
    placed = oracle.run(n, delta, ranks)
    if pc.soft_spread and pc.zone is not None:
        zone = pc.zone.tolist()
        for _ in range(_ROUNDS):
            total = [own_list[i] + placed[i] for i in range(nodes)]
            new_delta = _spread_cost(total, feasible, zone)
            if new_delta == delta:
                break
            delta = new_delta
            new_placed = oracle.run(n, delta, ranks)
            if new_placed == placed:
                break
            placed = new_placed
    return np.asarray(placed, dtype=np.int64)
