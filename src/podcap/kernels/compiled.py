"""kube-scheduler's scheduling cycle, pod by pod, compiled with numba (lazily: ``import podcap``
does not import numba).

Per pod: the filters (``placed < cap``: resources, pods count, hostname anti-affinity and host
ports, precomputed per node; every DoNotSchedule topology spread constraint), the scores
(NodeResourcesFit, LeastAllocated or MostAllocated over the non-zero requests, and
BalancedAllocation: :func:`level_score`; 2 x PodTopologySpread with the system default
constraints: :func:`spread_raw`, :func:`spread_score`; 2 x InterPodAffinity for preferred terms
against the workload's own pods: :func:`affinity_raw`, :func:`affinity_score`), normalised over the scored nodes, and
the tie rule (the highest score, then optionally the fewest pods of the workload, then the lowest
tie key).  Two kernels:

* :func:`place_heaps` scores every node.  A node's fit and balance scores depend on the node
  alone and change only when a pod is bound to it; its spreading and affinity scores depend
  only on its pods of the workload (its *level*) and its zone, and DoNotSchedule decides per
  level and domain.  So the nodes are grouped by (level, cell), a cell being a zone and domain
  combination, each group a max-heap on (fit + balance, lowest tie key), and a pod's node is the
  best top among the groups: ``O(groups + log nodes)`` per pod however different the nodes are.
* :func:`place_sampled` reproduces ``percentageOfNodesToScore``: from ``nextStartNodeIndex`` it
  walks the scheduler's node list (zones interleaved), stops after ``numFeasibleNodesToFind``
  feasible nodes, scores only those and advances the start index by the nodes it processed.
  Which nodes a pod sees depends on where the previous pod stopped, so it goes node by node:
  ``O(nodes processed)`` per pod.

Both are plain Python in the subset numba compiles (``compiled=False`` runs them uncompiled, for
checking).  They live in one module with their helpers so that numba's on-disk cache, keyed on
this file, never pairs a kernel with an older version of a helper.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import numpy.typing as npt

from podcap.kernels._jit import jit

__all__ = [
    "affinity_raw",
    "affinity_score",
    "level_score",
    "place_heaps",
    "place_sampled",
    "spread_raw",
    "spread_score",
]

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]
FloatArray = npt.NDArray[np.float64]

_MAX = 100  # framework.MaxNodeScore
_cache: dict[str, Any] = {}


def level_score(
    alloc_cpu: int,
    alloc_mem: int,
    used_cpu: int,
    used_mem: int,
    nz_cpu: int,
    nz_mem: int,
    k: int,
    req_cpu: int,
    req_mem: int,
    pnz_cpu: int,
    pnz_mem: int,
    most: bool,
    balanced: bool,
) -> int:
    """NodeResourcesFit + NodeResourcesBalancedAllocation of a node for its ``k+1``-th pod.

    NodeResourcesFit (weight 1) over cpu and memory with the non-zero requests: LeastAllocated
    ``(alloc - requested) * 100 // alloc`` (0 when over), or MostAllocated
    ``min(requested, alloc) * 100 // alloc``, averaged over the resources with allocatable;
    BalancedAllocation (weight 1, skipped for best-effort pods): ``int((1 - |f_cpu - f_mem| /
    2) * 100)`` with ``f = min(requested / alloc, 1)`` on actual requests.
    """
    total = 0
    weights = 0
    for r in range(2):
        a = alloc_cpu if r == 0 else alloc_mem
        if a == 0:
            continue
        q = nz_cpu + (k + 1) * pnz_cpu if r == 0 else nz_mem + (k + 1) * pnz_mem
        if most:
            total += (min(q, a) * _MAX) // a
        elif q <= a:
            total += ((a - q) * _MAX) // a
        weights += 1
    score = total // weights if weights > 0 else 0
    if balanced:
        fc = 0.0
        fm = 0.0
        parts = 0
        if alloc_cpu > 0:
            fc = min(float(used_cpu + (k + 1) * req_cpu) / float(alloc_cpu), 1.0)
            parts += 1
        if alloc_mem > 0:
            fm = min(float(used_mem + (k + 1) * req_mem) / float(alloc_mem), 1.0)
            parts += 1
        std = abs((fc - fm) / 2.0) if parts == 2 else 0.0
        score += int((1.0 - std) * _MAX)
    return score


def spread_raw(host_count: int, zone_count: int, w_host: float, w_zone: float, zoned: bool) -> int:
    """PodTopologySpread's raw score with the system default constraints, summed in their order
    (hostname maxSkew 3, then zone maxSkew 5): ``count * weight + (maxSkew - 1)`` each, rounded
    half away from zero (Go's ``math.Round``).  A node without a zone label (``zoned`` False)
    has no zone term."""
    return _spread_sum(_host_term(host_count, w_host), _zone_term(zone_count, w_zone), zoned)


def _host_term(host_count: int, w_host: float) -> float:
    """:func:`spread_raw`'s hostname term."""
    return float(host_count) * w_host + 2.0


def _zone_term(zone_count: int, w_zone: float) -> float:
    """:func:`spread_raw`'s zone term."""
    return float(zone_count) * w_zone + 4.0


def _spread_sum(host_term: float, zone_term: float, zoned: bool) -> int:
    """:func:`spread_raw` from its terms (the cycle computes each term once per level or
    zone)."""
    v = host_term + zone_term if zoned else host_term
    return math.floor(v + 0.5)


def spread_score(raw: int, low: int, high: int) -> int:
    """PodTopologySpread's normalised score, weight 2 applied: ``100 * (max + min - raw) // max``
    over the scored nodes (100 when every raw score is 0)."""
    if high == 0:
        return 2 * _MAX
    return 2 * ((_MAX * (high + low - raw)) // high)


def affinity_raw(host_count: int, zone_count: int, w_host: int, w_zone: int, zoned: bool) -> int:
    """InterPodAffinity's raw score for preferred terms against the workload's own pods: each
    term's weight (negative for anti-affinity) times the pods in the node's hostname domain
    and in its zone, summed per topology (a node without a zone label has no zone term)."""
    return w_host * host_count + (w_zone * zone_count if zoned else 0)


def affinity_score(raw: int, low: int, high: int) -> int:
    """InterPodAffinity's normalised score, weight 2 applied: ``int(100 * (raw - min) /
    (max - min))`` over the scored nodes (0 when they are all equal)."""
    if high == low:
        return 0
    return 2 * int(_MAX * ((raw - low) / (high - low)))


def _compiled(kernel: Callable[..., Any], *helpers: Callable[..., Any]) -> Callable[..., Any]:
    """``kernel`` compiled with numba (once per process; numba caches the machine code on
    disk), its calls to the score helpers of this module and to ``helpers`` (in an order where
    each calls only those before it) bound to their compiled versions."""
    name = kernel.__qualname__
    if name not in _cache:
        bound: dict[str, Any] = {}
        base: tuple[Callable[..., Any], ...] = (
            level_score,
            _host_term,
            _zone_term,
            _spread_sum,
            spread_raw,
            spread_score,
            affinity_raw,
        )
        for helper in (*base, affinity_score, *helpers):
            if helper.__qualname__ not in _cache:
                _cache[helper.__qualname__] = jit(helper, bound, helper in _INLINE)
            bound[helper.__name__] = _cache[helper.__qualname__]
        _cache[name] = jit(kernel, bound)
    return _cache[name]  # type: ignore[no-any-return]


def _node_score(
    i: int,
    k: int,
    alloc_cpu: IntArray,
    alloc_mem: IntArray,
    used_cpu: IntArray,
    used_mem: IntArray,
    nz_cpu: IntArray,
    nz_mem: IntArray,
    req_cpu: int,
    req_mem: int,
    pnz_cpu: int,
    pnz_mem: int,
    most: bool,
    balanced: bool,
) -> int:
    """:func:`level_score` of node ``i`` for its ``k+1``-th pod."""
    return level_score(
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


def _host_histogram(own: IntArray, counted: BoolArray, n: int) -> tuple[IntArray, int]:
    """For a DoNotSchedule hostname constraint: how many counted nodes hold each count of the
    workload's pods (room for ``n`` more), and the smallest count."""
    most_pods = 0
    for i in range(own.shape[0]):
        if counted[i] and own[i] > most_pods:
            most_pods = own[i]
    hist = np.zeros(most_pods + n + 2, dtype=np.int64)
    low = most_pods + n + 1
    for i in range(own.shape[0]):
        if counted[i]:
            hist[own[i]] += 1
            if own[i] < low:
                low = own[i]
    return hist, low


def _host_bind(hist: IntArray, low: int, count: int) -> int:
    """A node holding ``count`` pods takes one more; returns the new smallest count."""
    hist[count] -= 1
    hist[count + 1] += 1
    while hist[low] == 0:
        low += 1
    return low


def _dom_minimums(dom_count: IntArray, dom_present: BoolArray, out: IntArray) -> None:
    """Per DoNotSchedule constraint, the smallest count over its domains (-1: none)."""
    for h in range(dom_count.shape[0]):
        m = -1
        for d in range(dom_count.shape[1]):
            if dom_present[h, d] and (m < 0 or dom_count[h, d] < m):
                m = dom_count[h, d]
        out[h] = m


def _spread_ok(
    level: int,
    host_min: int,
    host_skew: int,
    dom: IntArray,
    col: int,
    dom_count: IntArray,
    dom_min: IntArray,
    dom_skew: IntArray,
) -> bool:
    """Every DoNotSchedule constraint allows one more pod on a node holding ``level`` pods of
    the workload whose domains are column ``col`` of ``dom``."""
    if host_skew > 0 and level + 1 - host_min > host_skew:
        return False
    for h in range(dom.shape[0]):
        d = dom[h, col]
        if d < 0 or dom_min[h] < 0 or dom_count[h, d] + 1 - dom_min[h] > dom_skew[h]:
            return False
    return True


def _worse(score: int, mine: int, key: int, best_score: int, best_own: int, best_key: int) -> bool:
    """The tie rule: a lower score, or an equal one with more pods of the workload, or equal
    both with a higher tie key, loses."""
    if score != best_score:
        return score < best_score
    if mine != best_own:
        return mine > best_own
    return key > best_key


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


def _heap_key(score: int, tie: int, scale: int, n_nodes: int) -> int:
    """A heap entry: the fit and balance ``score`` (0-200: the groups are listed by it) and the
    tie key, larger is better."""
    if score < 0 or score > 2 * _MAX:
        raise ValueError("a node's fit and balance score is outside 0-200")
    return score * scale + (n_nodes - tie)


# small helpers numba inlines into the cycles
_INLINE = (_host_term, _zone_term, _spread_sum, affinity_raw, _heap_key)


def _list_in(g: int, s: int, head: IntArray, nxt: IntArray, prv: IntArray) -> None:
    """Group ``g`` joins the list of top score ``s``."""
    prv[g] = -1
    nxt[g] = head[s]
    if head[s] >= 0:
        prv[head[s]] = g
    head[s] = g


def _list_out(g: int, s: int, head: IntArray, nxt: IntArray, prv: IntArray) -> None:
    """Group ``g`` leaves the list of top score ``s``."""
    if prv[g] >= 0:
        nxt[prv[g]] = nxt[g]
    else:
        head[s] = nxt[g]
    if nxt[g] >= 0:
        prv[nxt[g]] = prv[g]


def _zone_groups(
    level: int,
    z: int,
    step: int,
    n_zones: int,
    per_level_zone: IntArray,
    zone_lo: IntArray,
    zone_hi: IntArray,
) -> None:
    """A group at ``level`` in zone ``z`` gains nodes (``step`` 1) or has none left (-1): the
    zone's groups with nodes per level, and its lowest and highest such level, follow."""
    per_level_zone[level * n_zones + z] += step
    if step > 0:
        zone_lo[z] = min(zone_lo[z], level)
        zone_hi[z] = max(zone_hi[z], level)
        return
    if per_level_zone[level * n_zones + z] > 0:
        return
    while zone_lo[z] <= zone_hi[z] and per_level_zone[zone_lo[z] * n_zones + z] == 0:
        zone_lo[z] += 1
    while zone_hi[z] >= zone_lo[z] and per_level_zone[zone_hi[z] * n_zones + z] == 0:
        zone_hi[z] -= 1
    if zone_hi[z] < zone_lo[z]:
        zone_lo[z] = per_level_zone.shape[0]
        zone_hi[z] = -1


def _classes(
    alloc_cpu: IntArray,
    alloc_mem: IntArray,
    used_cpu: IntArray,
    used_mem: IntArray,
    nz_cpu: IntArray,
    nz_mem: IntArray,
    own: IntArray,
    cap: IntArray,
    cell: IntArray,
    node_of_key: IntArray,
    grouped: bool,
) -> tuple[IntArray, IntArray, IntArray]:
    """The candidate nodes (``cap > 0``) grouped into classes of nodes equal in every column,
    by hashing (``grouped`` False: each node a class of its own, which is exact too, and
    cheaper when there are fewer pods than nodes): returns each node's class (-1: not a
    candidate), the candidates class by class, each class in tie order (``node_of_key``), and
    the classes' bounds in that list (class ``c`` is ``members[bounds[c]:bounds[c + 1]]``)."""
    n_nodes = cap.shape[0]
    if not grouped:
        cls = np.full(n_nodes, -1, dtype=np.int64)
        members = np.zeros(n_nodes, dtype=np.int64)
        n_cls = 0
        for t in range(n_nodes):
            i = node_of_key[t]
            if cap[i] > 0:
                cls[i] = n_cls
                members[n_cls] = i
                n_cls += 1
        return cls, members[:n_cls], np.arange(n_cls + 1)
    size = 4
    bits = 2
    while size < 2 * n_nodes:
        size *= 2
        bits += 1
    mask = size - 1
    table = np.zeros(size, dtype=np.int64)  # class + 1 (0: empty slot)
    first = np.zeros(n_nodes, dtype=np.int64)  # a node of each class
    count = np.zeros(n_nodes + 1, dtype=np.int64)
    cls = np.full(n_nodes, -1, dtype=np.int64)
    n_cls = 0
    for t in range(n_nodes):
        i = node_of_key[t]
        if cap[i] <= 0:
            continue
        h = 0
        # multiply-xor over 63 bits (numba wraps, Python is exact: the same low bits), the
        # slot from the top bits, which every column reaches
        for v in (alloc_cpu[i], alloc_mem[i], used_cpu[i], used_mem[i], nz_cpu[i], nz_mem[i]):
            h = ((h ^ int(v)) * 0x5851F42D4C957F2D) & 0x7FFFFFFFFFFFFFFF
        for v in (own[i], cap[i], cell[i]):
            h = ((h ^ int(v)) * 0x5851F42D4C957F2D) & 0x7FFFFFFFFFFFFFFF
        slot = (h >> (63 - bits)) & mask
        while True:
            e = table[slot]
            if e == 0:
                table[slot] = n_cls + 1
                first[n_cls] = i
                cls[i] = n_cls
                n_cls += 1
                break
            j = first[e - 1]
            if (
                alloc_cpu[i] == alloc_cpu[j]
                and alloc_mem[i] == alloc_mem[j]
                and used_cpu[i] == used_cpu[j]
                and used_mem[i] == used_mem[j]
                and nz_cpu[i] == nz_cpu[j]
                and nz_mem[i] == nz_mem[j]
                and own[i] == own[j]
                and cap[i] == cap[j]
                and cell[i] == cell[j]
            ):
                cls[i] = e - 1
                break
            slot = (slot + 1) & mask
        count[cls[i] + 1] += 1
    bounds = np.cumsum(count[: n_cls + 1])
    fill = bounds[:n_cls].copy()
    members = np.zeros(bounds[n_cls], dtype=np.int64)
    for t in range(n_nodes):
        i = node_of_key[t]
        if cls[i] >= 0:
            members[fill[cls[i]]] = i
            fill[cls[i]] += 1
    return cls, members, bounds


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
    zone_all: IntArray,
    zoned: BoolArray,
    aff_host: int,
    aff_zone: int,
    req_cpu: int,
    req_mem: int,
    pnz_cpu: int,
    pnz_mem: int,
    most: bool,
    balanced: bool,
    soft: bool,
    fewest: bool,
    grouped: bool,
) -> int:
    """Place up to ``n`` identical pods; returns how many were placed.

    Per node (length N): allocatable, actual and non-zero requests [m], [B]; ``own`` pods of the
    workload before this call; ``cap`` pods of the workload it can take (0: not a candidate);
    ``cell`` code; ``counted``: its node affinity admits the pod (topology counts);
    ``tie_key`` (a permutation of 0..N-1) and its inverse ``node_of_key``.  Per cell:
    ``cell_zone`` and, per DoNotSchedule constraint other than the hostname, ``cell_dom[h, c]``
    (-1 without the label).  ``zone_count``, ``dom_count`` (updated in place), ``dom_present``,
    ``dom_skew``, ``host_skew`` (> 0: a DoNotSchedule hostname constraint) as in
    :func:`place_sampled`; ``placed`` (N) receives the pods placed.  ``grouped``: the nodes
    are grouped into classes (:func:`_classes`); the placements are the same either way,
    grouping costs a hash per node and saves heap work per pod.
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
    # the most levels the nodes can reach (a node leaves the groups when full): the per-group
    # arrays are sized for them up front, as an array replaced inside the loop would cost
    # reference counting on every pod
    reach = levels
    for i in range(n_nodes):
        if cap[i] > 0 and own[i] - base + cap[i] > reach:
            reach = own[i] - base + cap[i]
    reach = min(reach, top_level + 2 + n)
    # classes: nodes the pod cannot tell apart (allocatable, requests, pods of the workload, room
    # and cell), each a list of its nodes in tie order.  Along a class's list the pods placed
    # never increase and the nodes holding the same number form a run, so a group needs only the
    # head (the lowest tie key) of each run in its heap: the pod takes the head, the next node
    # of the run becomes the head, and the node heads the next level's run unless it has joined
    # one that already has its head.
    cls, members, bounds = _classes(
        alloc_cpu,
        alloc_mem,
        used_cpu,
        used_mem,
        nz_cpu,
        nz_mem,
        own,
        cap,
        cell,
        node_of_key,
        grouped,
    )
    n_cls = bounds.shape[0] - 1
    # the cycle follows the class lists by position (each class's nodes are adjacent there)
    n_pos = bounds[n_cls]
    pos_of_tie = np.zeros(n_nodes, dtype=np.int64)
    tie_at = np.zeros(n_pos, dtype=np.int64)
    cls_at = np.zeros(n_pos, dtype=np.int64)
    done_at = np.zeros(n_pos, dtype=np.int64)
    for q in range(n_pos):
        i = members[q]
        tie_at[q] = tie_key[i]
        pos_of_tie[tie_key[i]] = q
        cls_at[q] = cls[i]
        done_at[q] = placed[i]
    # heaps: one array per (level, cell), grown on demand; nodes_in: nodes per group
    heaps = [np.zeros(0, dtype=np.int64) for _ in range(levels * n_cells)]
    sizes = np.zeros(reach * n_cells, dtype=np.int64)
    nodes_in = np.zeros(reach * n_cells, dtype=np.int64)
    wanted = np.zeros(levels * n_cells, dtype=np.int64)
    # each heap's top: its score and tie key
    top_score = np.zeros(reach * n_cells, dtype=np.int64)
    top_tie = np.zeros(reach * n_cells, dtype=np.int64)
    for c in range(n_cls):
        i = members[bounds[c]]
        g = (own[i] - base) * n_cells + cell[i]
        nodes_in[g] += bounds[c + 1] - bounds[c]
        wanted[g] += 1
    for g in range(levels * n_cells):
        heaps[g] = np.zeros(max(wanted[g], 4), dtype=np.int64)
    for c in range(n_cls):
        i = members[bounds[c]]
        g = (own[i] - base) * n_cells + cell[i]
        s = _node_score(
            i,
            0,
            alloc_cpu,
            alloc_mem,
            used_cpu,
            used_mem,
            nz_cpu,
            nz_mem,
            req_cpu,
            req_mem,
            pnz_cpu,
            pnz_mem,
            most,
            balanced,
        )
        _push(heaps[g], sizes[g], _heap_key(s, tie_key[i], scale, n_nodes))
        sizes[g] += 1
    for g in range(levels * n_cells):
        if sizes[g] > 0:
            top_score[g] = heaps[g][0] // scale
            top_tie[g] = n_nodes - heaps[g][0] % scale
    # the feasible groups of a pod, listed (a branch per group costs more than the list), and
    # each group's level and zone
    act = np.zeros(reach * n_cells, dtype=np.int64)
    g_level = np.zeros(reach * n_cells, dtype=np.int64)
    g_zone = np.zeros(reach * n_cells, dtype=np.int64)
    for g in range(reach * n_cells):
        g_level[g] = g // n_cells
        g_zone[g] = cell_zone[g % n_cells]
    # the groups with nodes listed by their top score (fit + balance, 0 to 2 x 100), and per zone
    # how many at each level and the lowest and highest such level: without DoNotSchedule
    # constraints a pod looks only at the groups whose top score can still win
    head = np.full(2 * _MAX + 1, -1, dtype=np.int64)
    nxt = np.full(reach * n_cells, -1, dtype=np.int64)
    prv = np.full(reach * n_cells, -1, dtype=np.int64)
    per_level_zone = np.zeros(reach * n_zones, dtype=np.int64)
    zone_lo = np.full(n_zones, reach * n_zones, dtype=np.int64)
    zone_hi = np.full(n_zones, -1, dtype=np.int64)
    top_listed = -1
    for g in range(levels * n_cells):
        if sizes[g] > 0:
            _list_in(g, top_score[g], head, nxt, prv)
            _zone_groups(g_level[g], g_zone[g], 1, n_zones, per_level_zone, zone_lo, zone_hi)
            top_listed = max(top_listed, top_score[g])
    # the hostname constraint's minimum over the counted nodes
    hist = np.zeros(1, dtype=np.int64)
    host_min = 0
    if host_skew > 0:
        hist, host_min = _host_histogram(own, counted, n)
    dom_min = np.zeros(max(n_dom, 1), dtype=np.int64)
    seen = np.zeros(n_zones, dtype=np.bool_)
    feasible = np.zeros(reach * n_cells, dtype=np.bool_)
    raw = np.zeros(reach * n_cells, dtype=np.int64)
    raw_aff = np.zeros(reach * n_cells, dtype=np.int64)
    scored_aff = aff_host != 0 or aff_zone != 0
    hard = host_skew > 0 or n_dom > 0
    # without DoNotSchedule constraints every node with room is feasible: counted as they fill
    room_nodes = 0
    zone_room = np.zeros(n_zones, dtype=np.int64)
    for g in range(levels * n_cells):
        room_nodes += nodes_in[g]
        zone_room[cell_zone[g % n_cells]] += nodes_in[g]
    done = 0
    last_feasible = -1
    last_seen = -1
    w_host = 0.0
    w_zone = 0.0
    zone_term = np.zeros(n_zones, dtype=np.float64)
    lo = 0  # with DoNotSchedule constraints: no group below this level holds a node
    for _ in range(n):
        while hard and lo < levels:
            empty = True
            for c in range(n_cells):
                if sizes[lo * n_cells + c] > 0:
                    empty = False
                    break
            if not empty:
                break
            lo += 1
        n_feasible = room_nodes
        if hard:  # filters, per group
            _dom_minimums(dom_count, dom_present, dom_min)
            n_feasible = 0
            for z in range(n_zones):
                seen[z] = False
            for lv in range(lo, levels):
                for c in range(n_cells):
                    g = lv * n_cells + c
                    ok = sizes[g] > 0 and _spread_ok(
                        lv + base,
                        host_min,
                        host_skew,
                        cell_dom,
                        c,
                        dom_count,
                        dom_min,
                        dom_skew,
                    )
                    feasible[g] = ok
                    if ok:
                        n_feasible += nodes_in[g]
                        seen[cell_zone[c]] = True
        if n_feasible == 0:
            break
        if soft:
            n_seen = 0
            for z in range(n_zones):
                if seen[z] if hard else zone_room[z] > 0:
                    n_seen += 1
            if n_feasible != last_feasible:
                w_host = math.log(n_feasible + 2)
                last_feasible = n_feasible
            if n_seen != last_seen:
                w_zone = math.log(n_seen + 2)
                last_seen = n_seen
            for z in range(n_zones):
                zone_term[z] = _zone_term(zone_count[z], w_zone)
        low_raw = 0
        high_raw = 0
        low_aff = 0
        high_aff = 0
        best = -1
        best_score = 0
        best_own = 0
        best_key = 0
        if hard:
            n_act = 0
            for g in range(lo * n_cells, levels * n_cells):
                act[n_act] = g
                n_act += 1 if feasible[g] else 0
            if soft:
                for a in range(n_act):
                    g = act[a]
                    z = g_zone[g]
                    r = _spread_sum(_host_term(g_level[g] + base, w_host), zone_term[z], zoned[z])
                    raw[g] = r
                    if a == 0 or r < low_raw:
                        low_raw = r
                    if a == 0 or r > high_raw:
                        high_raw = r
            if scored_aff:
                for a in range(n_act):
                    g = act[a]
                    z = g_zone[g]
                    r = affinity_raw(g_level[g] + base, zone_all[z], aff_host, aff_zone, zoned[z])
                    raw_aff[g] = r
                    if a == 0 or r < low_aff:
                        low_aff = r
                    if a == 0 or r > high_aff:
                        high_aff = r
            for a in range(n_act):
                g = act[a]
                mine = g_level[g] if fewest else 0
                score = top_score[g]
                if soft:
                    score += spread_score(raw[g], low_raw, high_raw)
                if scored_aff:
                    score += affinity_score(raw_aff[g], low_aff, high_aff)
                tie = top_tie[g]
                if best >= 0 and _worse(score, mine, tie, best_score, best_own, best_key):
                    continue
                best, best_score, best_own, best_key = g, score, mine, tie
        else:
            # both raw scores are monotone in the level within a zone: their extremes lie at
            # each zone's lowest and highest level with nodes
            first = True
            for z in range(n_zones):
                if zone_hi[z] < zone_lo[z]:
                    continue
                for lv in (zone_lo[z], zone_hi[z]):
                    if soft:
                        r = _spread_sum(_host_term(lv + base, w_host), zone_term[z], zoned[z])
                        if first or r < low_raw:
                            low_raw = r
                        if first or r > high_raw:
                            high_raw = r
                    if scored_aff:
                        r = affinity_raw(lv + base, zone_all[z], aff_host, aff_zone, zoned[z])
                        if first or r < low_aff:
                            low_aff = r
                        if first or r > high_aff:
                            high_aff = r
                    first = False
            # what the normalised scores can add, at most and at least: a group whose top
            # score plus the most cannot reach the best found so far cannot win
            most_added = 0
            if soft:
                most_added += spread_score(low_raw, low_raw, high_raw)
            if scored_aff:
                most_added += affinity_score(high_aff, low_aff, high_aff)
            while top_listed >= 0 and head[top_listed] < 0:
                top_listed -= 1
            for t in range(top_listed, -1, -1):
                if best >= 0 and t + most_added < best_score:
                    break
                g = head[t]
                while g >= 0:
                    score = t
                    z = g_zone[g]
                    lv = g_level[g]
                    if soft:
                        r = _spread_sum(_host_term(lv + base, w_host), zone_term[z], zoned[z])
                        score += spread_score(r, low_raw, high_raw)
                    if scored_aff:
                        r = affinity_raw(lv + base, zone_all[z], aff_host, aff_zone, zoned[z])
                        score += affinity_score(r, low_aff, high_aff)
                    mine = lv if fewest else 0
                    tie = top_tie[g]
                    if best < 0 or not _worse(score, mine, tie, best_score, best_own, best_key):
                        best, best_score, best_own, best_key = g, score, mine, tie
                    g = nxt[g]
        # bind: the head leaves its group (the next node of its run heads it) and, if it has
        # room, joins the next level's (heading that run unless it has a head already)
        g = best
        was_top = top_score[g]
        key = _pop(heaps[g], sizes[g])
        sizes[g] -= 1
        nodes_in[g] -= 1
        p = pos_of_tie[n_nodes - key % scale]
        c = cls_at[p]
        i = members[p]
        if p + 1 < bounds[c + 1] and done_at[p + 1] == done_at[p]:
            _push(heaps[g], sizes[g], _heap_key(key // scale, tie_at[p + 1], scale, n_nodes))
            sizes[g] += 1
        if sizes[g] > 0:
            top_score[g] = heaps[g][0] // scale
            top_tie[g] = n_nodes - heaps[g][0] % scale
            if top_score[g] != was_top:  # never higher: the heap held nothing above its top
                _list_out(g, was_top, head, nxt, prv)
                _list_in(g, top_score[g], head, nxt, prv)
        else:
            _list_out(g, was_top, head, nxt, prv)
            _zone_groups(g_level[g], g_zone[g], -1, n_zones, per_level_zone, zone_lo, zone_hi)
        if host_skew > 0:
            host_min = _host_bind(hist, host_min, own[i] + done_at[p])
        done_at[p] += 1
        cl = cell[i]
        zone_count[cell_zone[cl]] += 1
        zone_all[cell_zone[cl]] += 1
        for h in range(n_dom):
            dom_count[h, cell_dom[h, cl]] += 1
        done += 1
        if done_at[p] == cap[i]:
            room_nodes -= 1
            zone_room[cell_zone[cl]] -= 1
        if done_at[p] < cap[i]:
            level = g // n_cells + 1
            if level >= levels:  # a new level for every cell
                for _c in range(n_cells):
                    heaps.append(np.zeros(4, dtype=np.int64))
                levels += 1
            h2 = level * n_cells + cl
            nodes_in[h2] += 1
            if p > bounds[c] and done_at[p - 1] == done_at[p]:
                continue  # the run it joins has its head
            if sizes[h2] == heaps[h2].shape[0]:
                grown = np.zeros(2 * heaps[h2].shape[0], dtype=np.int64)
                grown[: sizes[h2]] = heaps[h2][: sizes[h2]]
                heaps[h2] = grown
            s = _node_score(
                i,
                done_at[p],
                alloc_cpu,
                alloc_mem,
                used_cpu,
                used_mem,
                nz_cpu,
                nz_mem,
                req_cpu,
                req_mem,
                pnz_cpu,
                pnz_mem,
                most,
                balanced,
            )
            _push(heaps[h2], sizes[h2], _heap_key(s, tie_at[p], scale, n_nodes))
            sizes[h2] += 1
            was_top = top_score[h2]
            top_score[h2] = heaps[h2][0] // scale
            top_tie[h2] = n_nodes - heaps[h2][0] % scale
            if sizes[h2] == 1:
                _list_in(h2, top_score[h2], head, nxt, prv)
                _zone_groups(level, g_zone[h2], 1, n_zones, per_level_zone, zone_lo, zone_hi)
            elif top_score[h2] != was_top:
                _list_out(h2, was_top, head, nxt, prv)
                _list_in(h2, top_score[h2], head, nxt, prv)
            top_listed = max(top_listed, top_score[h2])
    for q in range(n_pos):
        placed[members[q]] = done_at[q]
    return done


def place_heaps(*args: Any, compiled: bool = True) -> int:
    """:func:`_place_heaps`, compiled with numba on first use (``compiled=False``: plain
    Python)."""
    helpers: tuple[Callable[..., Any], ...] = (
        _push,
        _pop,
        _heap_key,
        _classes,
        _list_in,
        _list_out,
        _zone_groups,
        *_HELPERS,
    )
    return int((_compiled(_place_heaps, *helpers) if compiled else _place_heaps)(*args))


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
    dom_present: BoolArray,
    placed: IntArray,
    n: int,
    to_find: int,
    start: int,
    zone_all: IntArray,
    zoned: BoolArray,
    aff_host: int,
    aff_zone: int,
    req_cpu: int,
    req_mem: int,
    pnz_cpu: int,
    pnz_mem: int,
    most: bool,
    balanced: bool,
    soft: bool,
    fewest: bool,
    ties: FloatArray,
) -> tuple[int, int]:
    """Place up to ``n`` identical pods; returns (pods placed, next start index).

    Per node (arrays of length N): allocatable, actual and non-zero requests [m], [B]; ``own``
    pods of the workload before this call; ``cap`` pods of the workload it can take; ``zone``
    code; ``counted``: its node affinity admits the pod (topology counts); ``tie_key``.
    ``order``: the scheduler's node list (node indices).  ``zone_count[z]``: pods of the
    workload in zone ``z`` on counted nodes; ``zoned[z]``: ``z`` is a zone (False: the code of
    the nodes without a zone label, a domain of its own that scores no zone term).  ``host_skew`` > 0: a DoNotSchedule hostname
    constraint.  ``dom[h, i]``, ``dom_skew[h]``, ``dom_count[h, d]``, ``dom_present[h, d]``:
    the other DoNotSchedule constraints (domain code, -1 without the label).  ``placed`` (N)
    receives the pods placed; ``zone_count`` and ``dom_count`` are updated in place.
    """
    n_nodes = order.shape[0]
    n_dom = dom.shape[0]
    n_zones = zone_count.shape[0]
    sample = np.zeros(max(to_find, 1), dtype=np.int64)
    scores = np.zeros(max(to_find, 1), dtype=np.int64)
    top_level = 0
    for i in range(alloc_cpu.shape[0]):
        if cap[i] > 0 and own[i] + cap[i] > top_level:
            top_level = own[i] + cap[i]
    cells = (top_level + 1) * n_zones
    cell_pass = np.zeros(cells, dtype=np.int64)  # pod + 1 that computed its raw scores
    cell_raw = np.zeros(cells, dtype=np.int64)
    cell_aff = np.zeros(cells, dtype=np.int64)
    cell_score = np.zeros(cells, dtype=np.int64)
    cell_list = np.zeros(cells, dtype=np.int64)  # the cells of a pod's sample
    scored_aff = aff_host != 0 or aff_zone != 0
    seen = np.zeros(n_zones, dtype=np.bool_)
    dom_min = np.zeros(max(n_dom, 1), dtype=np.int64)
    static = np.zeros(alloc_cpu.shape[0], dtype=np.int64)  # scores that depend on the level only
    fresh = np.zeros(alloc_cpu.shape[0], dtype=np.bool_)
    hist = np.zeros(1, dtype=np.int64)
    host_min = 0
    if host_skew > 0:
        hist, host_min = _host_histogram(own, counted, n)
    hard = host_skew > 0 or n_dom > 0
    done = 0
    for _ in range(n):
        if hard:
            _dom_minimums(dom_count, dom_present, dom_min)
        # filters, from the start index, until enough feasible nodes are found
        found = 0
        processed = 0
        for z in range(n_zones):
            seen[z] = False
        n_seen = 0
        n_cells = 0
        at = start
        for _j in range(n_nodes):
            i = order[at]
            at += 1
            if at == n_nodes:
                at = 0
            processed += 1
            if placed[i] >= cap[i]:
                continue
            if hard and not _spread_ok(
                own[i] + placed[i], host_min, host_skew, dom, i, dom_count, dom_min, dom_skew
            ):
                continue
            sample[found] = i
            found += 1
            if not seen[zone[i]]:
                seen[zone[i]] = True
                n_seen += 1
            c = (own[i] + placed[i]) * n_zones + zone[i]
            if cell_pass[c] != done + 1:  # a (level, zone) cell new to this pod's sample
                cell_pass[c] = done + 1
                cell_list[n_cells] = c
                n_cells += 1
            if found >= to_find:
                break
        if n_nodes > 0:
            start = (start + processed) % n_nodes
        if found == 0:
            break
        # PodTopologySpread and InterPodAffinity raw scores over the sample: they depend on a
        # node's level (its pods of the workload) and zone only, so they are computed once per
        # (level, zone) cell of the sample (``cell_list``, marked in ``cell_pass``)
        low_raw = 0
        high_raw = 0
        low_aff = 0
        high_aff = 0
        w_host = math.log(found + 2)
        w_zone = math.log(n_seen + 2)
        for k in range(n_cells):
            c = cell_list[k]
            level = c // n_zones
            z = c % n_zones
            if soft:
                r = spread_raw(level, zone_count[z], w_host, w_zone, zoned[z])
                cell_raw[c] = r
                if k == 0 or r < low_raw:
                    low_raw = r
                if k == 0 or r > high_raw:
                    high_raw = r
            if scored_aff:
                r = affinity_raw(level, zone_all[z], aff_host, aff_zone, zoned[z])
                cell_aff[c] = r
                if k == 0 or r < low_aff:
                    low_aff = r
                if k == 0 or r > high_aff:
                    high_aff = r
        # scores and the tie rule
        best = -1
        best_score = 0
        best_own = 0
        best_key = 0
        n_best = 0  # nodes with the best score so far
        for s in range(found):
            i = sample[s]
            k = placed[i]
            if not fresh[i]:  # NodeResourcesFit + BalancedAllocation at this node's level
                static[i] = _node_score(
                    i,
                    k,
                    alloc_cpu,
                    alloc_mem,
                    used_cpu,
                    used_mem,
                    nz_cpu,
                    nz_mem,
                    req_cpu,
                    req_mem,
                    pnz_cpu,
                    pnz_mem,
                    most,
                    balanced,
                )
                fresh[i] = True
            c = (own[i] + k) * n_zones + zone[i]
            if cell_pass[c] == done + 1:  # the cell's normalised scores, once per pod
                cell_pass[c] = -(done + 1)
                extra = 0
                if soft:
                    extra += spread_score(cell_raw[c], low_raw, high_raw)
                if scored_aff:
                    extra += affinity_score(cell_aff[c], low_aff, high_aff)
                cell_score[c] = extra
            score = static[i] + cell_score[c]
            scores[s] = score
            if ties.shape[0] > 0:  # a draw among the best below
                if n_best == 0 or score > best_score:
                    best_score = score
                    n_best = 1
                elif score == best_score:
                    n_best += 1
                continue
            mine = own[i] + k if fewest else 0
            key = tie_key[i]
            if best >= 0 and _worse(score, mine, key, best_score, best_own, best_key):
                continue
            best, best_score, best_own, best_key = i, score, mine, key
        if ties.shape[0] > 0:  # selectHost: each of the best nodes equally likely
            pick = min(int(ties[done] * n_best), n_best - 1)
            for s in range(found):
                if scores[s] == best_score:
                    if pick == 0:
                        best = sample[s]
                        break
                    pick -= 1
        # bind
        i = best
        if host_skew > 0:
            host_min = _host_bind(hist, host_min, own[i] + placed[i])
        placed[i] += 1
        fresh[i] = False
        zone_count[zone[i]] += 1
        zone_all[zone[i]] += 1
        for h in range(n_dom):
            dom_count[h, dom[h, i]] += 1
        done += 1
    return done, start


def place_sampled(*args: Any, compiled: bool = True) -> tuple[int, int]:
    """:func:`_place_sampled`, compiled with numba on first use (``compiled=False``: plain
    Python)."""
    done, start = (_compiled(_place_sampled, *_HELPERS) if compiled else _place_sampled)(*args)
    return int(done), int(start)


# the helpers the kernels call, bound to their compiled versions (_node_score calls level_score)
_HELPERS: tuple[Callable[..., Any], ...] = (
    _node_score,
    _host_histogram,
    _host_bind,
    _dom_minimums,
    _spread_ok,
    _worse,
)
