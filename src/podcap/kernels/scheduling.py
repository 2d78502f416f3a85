"""kube-scheduler scoring and greedy placement of identical pods (pure numpy).

Scores follow the default profile: NodeResourcesFit (LeastAllocated or MostAllocated, cpu and
memory weighted 1, with the scheduler's "non-zero" requests of 100m / 200Mi for containers that
request nothing) plus NodeResourcesBalancedAllocation (actual requests), for pods without
spreading when every node is scored (the compiled cycle, :mod:`podcap.kernels.compiled`, does
the rest).

:func:`greedy_counts` places ``n`` identical pods exactly as a pod-by-pod greedy scheduler would
(highest score; ties to the node with the fewest pods of the workload, then the lowest index),
without a loop over pods or nodes: per node the score of its ``k``-th pod is computed for all
``k`` at once, turned into a running minimum, and the ``n`` best slots are taken.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

__all__ = [
    "NONZERO_CPU_MILLICORES",
    "NONZERO_MEMORY_BYTES",
    "balanced_allocation_score",
    "fit_score",
    "greedy_counts",
]

#: Requests the scheduler assumes, for scoring only, for a container without a cpu request [m].
NONZERO_CPU_MILLICORES = 100
#: ... and without a memory request [B].
NONZERO_MEMORY_BYTES = 200 * 1024 * 1024
MAX_NODE_SCORE = 100


def _least(alloc: Any, requested: Any) -> Any:
    safe = np.maximum(alloc, 1)
    return np.where((alloc > 0) & (requested <= alloc), ((alloc - requested) * 100) // safe, 0)


def _most(alloc: Any, requested: Any) -> Any:
    safe = np.maximum(alloc, 1)
    return np.where(alloc > 0, (np.minimum(requested, alloc) * 100) // safe, 0)


def fit_score(
    alloc_cpu: Any,
    alloc_memory: Any,
    nonzero_cpu: Any,
    nonzero_memory: Any,
    *,
    most_allocated: bool = False,
) -> Any:
    """NodeResourcesFit score [0-100] of a node holding the given non-zero requests.

    Parameters
    ----------
    alloc_cpu, alloc_memory : int or array
        Allocatable cpu [m] and memory [B].
    nonzero_cpu, nonzero_memory : int or array
        Non-zero requests on the node including the incoming pod [m], [B].
    most_allocated : bool
        MostAllocated instead of LeastAllocated.

    Returns
    -------
    int or array
        ``(score_cpu + score_memory) // 2``.
    """
    f = _most if most_allocated else _least
    return (f(alloc_cpu, nonzero_cpu) + f(alloc_memory, nonzero_memory)) // 2


def balanced_allocation_score(
    alloc_cpu: Any, alloc_memory: Any, requested_cpu: Any, requested_memory: Any
) -> Any:
    """NodeResourcesBalancedAllocation score [0-100]: ``int((1 - |f_cpu - f_mem| / 2) * 100)``.

    Parameters
    ----------
    alloc_cpu, alloc_memory : int or array
        Allocatable cpu [m] and memory [B].
    requested_cpu, requested_memory : int or array
        Actual requests on the node including the incoming pod [m], [B].

    Returns
    -------
    int or array
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        fc = np.where(
            alloc_cpu > 0,
            np.minimum(np.asarray(requested_cpu, dtype=np.float64) / np.maximum(alloc_cpu, 1), 1.0),
            1.0,
        )
        fm = np.where(
            alloc_memory > 0,
            np.minimum(
                np.asarray(requested_memory, dtype=np.float64) / np.maximum(alloc_memory, 1), 1.0
            ),
            1.0,
        )
    return ((1.0 - np.abs(fc - fm) / 2.0) * MAX_NODE_SCORE).astype(np.int64)


def slot_scores(
    alloc_cpu: Any,
    alloc_memory: Any,
    used_cpu: Any,
    used_memory: Any,
    used_nz_cpu: Any,
    used_nz_memory: Any,
    k: Any,
    *,
    cpu: int,
    memory: int,
    nz_cpu: int,
    nz_memory: int,
    most_allocated: bool,
) -> npt.NDArray[np.float64]:
    """Score of placing a node's ``k+1``-th pod of the workload (``k`` already placed now).

    Arguments broadcast.  A best-effort pod (no cpu and no memory request) is not scored by BalancedAllocation
    (kube-scheduler >= 1.34, kubernetes#129138).
    """
    fit = fit_score(
        alloc_cpu,
        alloc_memory,
        used_nz_cpu + (k + 1) * nz_cpu,
        used_nz_memory + (k + 1) * nz_memory,
        most_allocated=most_allocated,
    )
    if cpu == 0 and memory == 0:
        bal: Any = 0
    else:
        bal = balanced_allocation_score(
            alloc_cpu, alloc_memory, used_cpu + (k + 1) * cpu, used_memory + (k + 1) * memory
        )
    out: npt.NDArray[np.float64] = np.asarray(fit + bal, dtype=np.float64)
    return out


def greedy_counts(
    scores: npt.NDArray[np.float64],
    caps: npt.NDArray[np.int64],
    own: npt.NDArray[np.int64],
    node_class: npt.NDArray[np.int64],
    n: int,
    rank: npt.NDArray[np.int64] | None = None,
    fewest_first: bool = True,
) -> npt.NDArray[np.int64]:
    """Pods per node after placing ``n`` identical pods greedily.

    Parameters
    ----------
    scores : array (classes, K) of float
        ``scores[c, k]``: score of the ``k+1``-th pod on a node of class ``c``.
    caps : array (classes,) of int
        Pods a node of each class can still take [pods] (``<= K``).
    own : array (classes,) of int
        Pods of the workload already on a node of each class [pods] (tie rule).
    node_class : array (nodes,) of int
        Class of every node; nodes of one class are interchangeable.
    n : int
        Pods to place [pods].
    rank : array (nodes,) of int, optional
        Tie-break order of the nodes (a permutation; lower wins); default the node index.
    fewest_first : bool
        Among equal scores, first the node with the fewest pods of the workload (then the
        rank); False: the rank alone.

    Returns
    -------
    array (nodes,) of int
        Pods placed per node; the total is ``min(n, sum of capacities)``.
    """
    n_classes, width = scores.shape
    counts_c = np.bincount(node_class, minlength=n_classes)
    total = int((caps * counts_c).sum())
    if n <= 0 or total == 0:
        return np.zeros(node_class.shape[0], dtype=np.int64)
    if n >= total:
        return caps[node_class].astype(np.int64)
    ks = np.arange(width)
    valid = ks[None, :] < caps[:, None]
    s = np.where(valid, scores, -np.inf)
    running = np.minimum.accumulate(s, axis=1)
    starts = (s == running) & valid
    chain = np.maximum.accumulate(np.where(starts, ks[None, :], -1), axis=1)
    cls, kk = np.nonzero(valid)
    r = running[cls, kk]
    tie = own[cls] + chain[cls, kk] if fewest_first else np.zeros(cls.shape[0], dtype=np.int64)
    order = np.lexsort((tie, -r))
    r_s, tie_s, cls_s = r[order], tie[order], cls[order]
    new_level = np.ones(r_s.shape[0], dtype=bool)
    new_level[1:] = (r_s[1:] != r_s[:-1]) | (tie_s[1:] != tie_s[:-1])
    level = np.cumsum(new_level) - 1
    cum = np.cumsum(counts_c[cls_s])
    boundary = int(level[int(np.searchsorted(cum, n, side="left"))])
    before = level < boundary
    taken_c = np.bincount(cls_s[before], minlength=n_classes)
    remaining = n - int(counts_c[cls_s[before]].sum())
    chain_c = np.bincount(cls_s[level == boundary], minlength=n_classes)
    per_node = chain_c[node_class]
    if rank is None:
        start = np.cumsum(per_node) - per_node
    else:
        by_rank = np.argsort(rank, kind="stable")
        ranked = per_node[by_rank]
        start = np.empty_like(per_node)
        start[by_rank] = np.cumsum(ranked) - ranked
    take = np.clip(remaining - start, 0, per_node)
    result: npt.NDArray[np.int64] = (taken_c[node_class] + take).astype(np.int64)
    return result
