"""Compiling podcap's kernels with numba, lazily (``import podcap`` does not import numba).

A kernel is plain Python in the subset numba compiles, calling helpers through module globals;
:func:`compiled` compiles the helpers and then the kernel with those globals bound to the
compiled helpers.  Uncompiled, the same functions run as plain Python.
"""

from __future__ import annotations

import math
import types
from collections.abc import Callable
from typing import Any

__all__ = ["compiled", "level_score", "spread_raw", "spread_score"]

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


def spread_raw(host_count: int, zone_count: int, w_host: float, w_zone: float) -> int:
    """PodTopologySpread's raw score with the system default constraints, summed in their order
    (hostname maxSkew 3, then zone maxSkew 5): ``count * weight + (maxSkew - 1)`` each, rounded
    half away from zero (Go's ``math.Round``)."""
    v = 0.0
    v += float(host_count) * w_host + 2.0
    v += float(zone_count) * w_zone + 4.0
    return math.floor(v + 0.5)


def spread_score(raw: int, low: int, high: int) -> int:
    """PodTopologySpread's normalised score, weight 2 applied: ``100 * (max + min - raw) // max``
    over the scored nodes (100 when every raw score is 0)."""
    if high == 0:
        return 2 * _MAX
    return 2 * ((_MAX * (high + low - raw)) // high)


def compiled(kernel: Callable[..., Any], *helpers: Callable[..., Any]) -> Callable[..., Any]:
    """``kernel`` compiled with numba (once per process; numba caches the machine code on
    disk), its calls to the score helpers of this module and to ``helpers`` (functions of its
    own module) bound to their compiled versions."""
    name = f"{kernel.__module__}.{kernel.__qualname__}"
    if name not in _cache:
        import numba

        bound = dict(kernel.__globals__)
        for helper in (level_score, spread_raw, spread_score, *helpers):
            hname = f"{helper.__module__}.{helper.__qualname__}"
            if hname not in _cache:
                _cache[hname] = numba.njit(cache=True, nogil=True)(helper)
            bound[helper.__name__] = _cache[hname]
        clone = types.FunctionType(
            kernel.__code__, bound, kernel.__name__, kernel.__defaults__, kernel.__closure__
        )
        clone.__qualname__ = kernel.__qualname__
        clone.__module__ = kernel.__module__
        _cache[name] = numba.njit(cache=True, nogil=True)(clone)
    return _cache[name]  # type: ignore[no-any-return]
