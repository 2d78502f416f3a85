"""Subnet address allocation over a state array.

A subnet of ``N`` addresses is an array of ``N`` small integer codes (:data:`FREE`, ...).  Single
addresses are taken from the lowest free ones outside prefix reservations; /28 prefixes from the
lowest free, 16-aligned blocks of 16 free addresses (prefix reservations first).  Requests are
served in order (node order), each getting what is left when its turn comes; everything is
vectorized with cumulative sums, except subnet discovery (:func:`discover_subnets`), where each
new ENI's subnet depends on every grant before it: a loop compiled with numba (lazily: ``import
podcap`` does not import numba).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from podcap.kernels._jit import jit

__all__ = [
    "AWS_RESERVED",
    "EXPLICIT",
    "FREE",
    "PREFIX_ONLY",
    "USED",
    "allocate_prefixes",
    "allocate_singles",
    "discover_subnets",
    "free_aligned_blocks",
]

FREE = 0
AWS_RESERVED = 1
EXPLICIT = 2  # explicit subnet CIDR reservation: never assigned automatically
PREFIX_ONLY = 3  # prefix subnet CIDR reservation: free, but only for /28 prefixes
USED = 4  # any address handed out (codes >= USED)
BLOCK = 16

Codes = npt.NDArray[np.uint8]
Ints = npt.NDArray[np.int64]


def free_aligned_blocks(state: Codes) -> tuple[Ints, Ints]:
    """Start offsets of free /28 blocks: those inside prefix reservations, then the others.

    Parameters
    ----------
    state : array of uint8
        Address codes of one subnet (length a multiple of 16 for subnets of /28 or larger).

    Returns
    -------
    tuple of arrays
        ``(reserved_blocks, other_blocks)``: start offsets, ascending.
    """
    n = state.shape[0] - state.shape[0] % BLOCK
    blocks = state[:n].reshape(-1, BLOCK)
    all_free = np.all((blocks == FREE) | (blocks == PREFIX_ONLY), axis=1)
    in_reservation = np.all(blocks == PREFIX_ONLY, axis=1)
    starts = np.arange(blocks.shape[0], dtype=np.int64) * BLOCK
    return starts[all_free & in_reservation], starts[all_free & ~in_reservation]


def allocate_singles(state: Codes, demand: Ints, code: int) -> Ints:
    """Give each request, in order, up to ``demand[i]`` single addresses; mark them ``code``.

    Parameters
    ----------
    state : array of uint8
        Address codes; modified in place.
    demand : array of int
        Addresses wanted per request [addresses].
    code : int
        Code to mark the handed-out addresses with (>= :data:`USED`).

    Returns
    -------
    array of int
        Addresses granted per request (the first requests are served in full).
    """
    free = np.flatnonzero(state == FREE)
    demand = np.maximum(np.asarray(demand, dtype=np.int64), 0)
    start = np.cumsum(demand) - demand
    granted: Ints = np.clip(free.shape[0] - start, 0, demand).astype(np.int64)
    total = int(granted.sum())
    state[free[:total]] = code
    return granted


def allocate_prefixes(state: Codes, demand: Ints, code: int) -> Ints:
    """Give each request, in order, up to ``demand[i]`` free aligned /28 blocks.

    Returns
    -------
    array of int
        Prefixes granted per request.
    """
    reserved, other = free_aligned_blocks(state)
    blocks = np.concatenate([reserved, other])
    demand = np.maximum(np.asarray(demand, dtype=np.int64), 0)
    start = np.cumsum(demand) - demand
    granted: Ints = np.clip(blocks.shape[0] - start, 0, demand).astype(np.int64)
    total = int(granted.sum())
    if total:
        idx = (blocks[:total, None] + np.arange(BLOCK)[None, :]).ravel()
        state[idx] = code
    return granted


# --- subnet discovery: the ENIs of many nodes over several subnets, compiled ------------------

Flags = npt.NDArray[np.bool_]
_cache: dict[str, Any] = {}


def _lowest_free(codes: Codes, s: int, sub_lo: Ints, cursor: Ints) -> int:
    """The lowest :data:`FREE` address of subnet ``s`` (an index into ``codes``), -1 when none;
    ``cursor[s]`` (no free address below it) moves up to it."""
    a = cursor[s]
    hi = sub_lo[s + 1]
    while a < hi and codes[a] != FREE:
        a += 1
    cursor[s] = a
    return a if a < hi else -1


def _spoils_block(a: int, s: int, sub_lo: Ints, blk_lo: Ints, status: Codes) -> bool:
    """Whether taking address ``a`` of subnet ``s`` as a single address spoils a free /28 block
    outside prefix reservations (a block in one holds no :data:`FREE` address)."""
    b = (a - sub_lo[s]) // BLOCK
    return bool(blk_lo[s] + b < blk_lo[s + 1] and status[blk_lo[s] + b] == 2)


def _take_singles(
    codes: Codes,
    s: int,
    k: int,
    code: int,
    sub_lo: Ints,
    blk_lo: Ints,
    status: Codes,
    counts: Ints,
    cursor: Ints,
) -> int:
    """Mark the ``k`` lowest free addresses of subnet ``s`` (as many as it has) ``code``."""
    got = int(min(k, counts[s, 0]))
    for _ in range(got):
        a = _lowest_free(codes, s, sub_lo, cursor)
        if _spoils_block(a, s, sub_lo, blk_lo, status):
            status[blk_lo[s] + (a - sub_lo[s]) // BLOCK] = 0
            counts[s, 3] -= 1
        codes[a] = code
        cursor[s] = a + 1
    counts[s, 0] -= got
    counts[s, 1] -= got
    return got


def _take_blocks(
    codes: Codes,
    s: int,
    k: int,
    code: int,
    sub_lo: Ints,
    blk_lo: Ints,
    status: Codes,
    counts: Ints,
    cursor: Ints,
) -> int:
    """Mark the first ``k`` free /28 blocks of subnet ``s`` (those in prefix reservations first,
    each kind lowest first; as many as it has) ``code``."""
    got = int(min(k, counts[s, 2] + counts[s, 3]))
    for _ in range(got):
        kind = 1 if counts[s, 2] > 0 else 2  # reserved blocks first
        b = cursor[s + kind * (sub_lo.shape[0] - 1)]  # the kind's block cursor
        while status[b] != kind:
            b += 1
        cursor[s + kind * (sub_lo.shape[0] - 1)] = b + 1
        status[b] = 0
        counts[s, 1 + kind] -= 1
        a = sub_lo[s] + (b - blk_lo[s]) * BLOCK
        for j in range(a, a + BLOCK):
            if codes[j] == FREE:
                counts[s, 0] -= 1
            codes[j] = code
        counts[s, 1] -= BLOCK
    return got


def _discover(
    codes: Codes,
    sub_lo: Ints,
    cand: Ints,
    cand_lo: Ints,
    need: Ints,
    total: Ints,
    per_eni: Ints,
    new_enis: Ints,
    prefix_mode: Flags,
    node_code: int,
    pod_code: int,
    eni_lo: Ints,
    split_subnet: Ints,
    split_units: Ints,
    split_n: Ints,
    got_pods: Ints,
) -> None:
    """The loop of :func:`discover_subnets` (outputs: the last four arrays and ``codes``)."""
    n_sub = sub_lo.shape[0] - 1
    blk_lo = np.zeros(n_sub + 1, dtype=np.int64)
    for s in range(n_sub):
        blk_lo[s + 1] = blk_lo[s] + (sub_lo[s + 1] - sub_lo[s]) // BLOCK
    # per block: 0 not free, 1 free in a prefix reservation, 2 free otherwise
    status = np.zeros(blk_lo[n_sub], dtype=np.uint8)
    # per subnet: free singles, available addresses, free reserved blocks, other free blocks
    counts = np.zeros((n_sub, 4), dtype=np.int64)
    # cursors: lowest possibly free address, then blocks of each kind (per subnet)
    cursor = np.zeros(3 * n_sub, dtype=np.int64)
    for s in range(n_sub):
        cursor[s] = sub_lo[s]
        cursor[n_sub + s] = blk_lo[s]
        cursor[2 * n_sub + s] = blk_lo[s]
        for a in range(sub_lo[s], sub_lo[s + 1]):
            if codes[a] == FREE:
                counts[s, 0] += 1
                counts[s, 1] += 1
            elif codes[a] == PREFIX_ONLY:
                counts[s, 1] += 1
        for b in range(blk_lo[s], blk_lo[s + 1]):
            a = sub_lo[s] + (b - blk_lo[s]) * BLOCK
            free = 0
            reserved = 0
            for j in range(a, a + BLOCK):
                if codes[j] == FREE:
                    free += 1
                elif codes[j] == PREFIX_ONLY:
                    reserved += 1
            if reserved == BLOCK:
                status[b] = 1
                counts[s, 2] += 1
            elif free + reserved == BLOCK:
                status[b] = 2
                counts[s, 3] += 1
    n = need.shape[0]
    eni_subnet = np.zeros(eni_lo[n], dtype=np.int64)
    eni_held = np.zeros(eni_lo[n], dtype=np.int64)
    eni_n = np.ones(n, dtype=np.int64)
    order = np.zeros(cand.shape[0], dtype=np.int64)
    for phase in range(2):
        for i in range(n):
            pd = prefix_mode[i]
            if phase == 0:
                want = need[i]
                eni_subnet[eni_lo[i]] = cand[cand_lo[i]]  # the primary ENI, in the node subnet
            else:
                want = total[i] - got_pods[i]
            served = 0
            for e in range(eni_lo[i], eni_lo[i] + eni_n[i]):  # the ENIs it has
                if want - served <= 0:
                    break
                k = min(per_eni[i] - eni_held[e], want - served)
                got = 0
                if k > 0:
                    s = eni_subnet[e]
                    if pd:
                        got = _take_blocks(
                            codes, s, k, pod_code, sub_lo, blk_lo, status, counts, cursor
                        )
                    else:
                        got = _take_singles(
                            codes, s, k, pod_code, sub_lo, blk_lo, status, counts, cursor
                        )
                eni_held[e] += got
                served += got
                if phase == 0 and got > 0:
                    split_subnet[eni_lo[i] + split_n[i]] = eni_subnet[e]
                    split_units[eni_lo[i] + split_n[i]] = got
                    split_n[i] += 1
            while want - served > 0 and eni_n[i] - 1 < new_enis[i]:  # new ENIs
                k = min(per_eni[i], want - served)
                # discovery_order: most available addresses first, stable
                m = cand_lo[i + 1] - cand_lo[i]
                for x in range(m):
                    c = cand[cand_lo[i] + x]
                    y = x
                    while y > 0 and counts[order[y - 1], 1] < counts[c, 1]:
                        order[y] = order[y - 1]
                        y -= 1
                    order[y] = c
                placed = -1
                got = 0
                for whole in range(2):
                    for x in range(m):
                        s = order[x]
                        a = _lowest_free(codes, s, sub_lo, cursor)
                        if a < 0:
                            continue  # no address for the ENI itself
                        if pd:
                            room = counts[s, 2] + counts[s, 3]
                            if _spoils_block(a, s, sub_lo, blk_lo, status):
                                room -= 1
                        else:
                            room = counts[s, 0] - 1
                        got = min(k, room) if k > 0 else 0
                        if (got == k) if whole == 0 else (got > 0):
                            placed = s
                            break
                    if placed >= 0:
                        break
                if placed < 0:
                    break
                _take_singles(codes, placed, 1, node_code, sub_lo, blk_lo, status, counts, cursor)
                if got > 0:
                    if pd:
                        _take_blocks(
                            codes, placed, got, pod_code, sub_lo, blk_lo, status, counts, cursor
                        )
                    else:
                        _take_singles(
                            codes, placed, got, pod_code, sub_lo, blk_lo, status, counts, cursor
                        )
                e = eni_lo[i] + eni_n[i]
                eni_subnet[e] = placed
                eni_held[e] = got
                eni_n[i] += 1
                served += got
                if phase == 0:
                    split_subnet[eni_lo[i] + split_n[i]] = placed
                    split_units[eni_lo[i] + split_n[i]] = got
                    split_n[i] += 1
            if phase == 0:
                got_pods[i] = served


def _compiled_discover() -> Callable[..., None]:
    """:func:`_discover` compiled with numba (once per process, machine code cached on disk)."""
    if "_discover" not in _cache:
        bound: dict[str, Any] = {}
        for helper in (_lowest_free, _spoils_block, _take_singles, _take_blocks):
            bound[helper.__name__] = jit(helper, bound)
        _cache["_discover"] = jit(_discover, bound)
    return _cache["_discover"]  # type: ignore[no-any-return]


def discover_subnets(
    states: Sequence[Codes],
    candidates: Sequence[Sequence[int]],
    need: Ints,
    total: Ints,
    per_eni: Ints,
    new_enis: Ints,
    prefix_mode: Flags,
    node_code: int,
    pod_code: int,
    *,
    compiled: bool = True,
) -> tuple[Ints, list[list[tuple[int, int]]]]:
    """Place the secondary ENIs of nodes with subnet discovery, pods first, then warm pools.

    Units per node: secondary IPs, or /28 prefixes in prefix mode.  Every node, in order, is
    given ``need[i]`` units: first in its primary ENI (in ``candidates[i][0]``, ``per_eni[i]``
    units at most), then in new ENIs (``new_enis[i]`` at most, ``per_eni[i]`` units each),
    placed one at a time in the first subnet of the discovery order (candidates by available
    addresses, :data:`FREE` or :data:`PREFIX_ONLY`, most first, stable) that holds the ENI's
    primary address (a single address, marked ``node_code``) and all its units, else the first
    that holds its primary address and at least one.  Then every node, in order, tops up to
    ``total[i]`` the same way: the ENIs it has first, each in its own subnet.  Single addresses
    and prefixes are taken as :func:`allocate_singles` and :func:`allocate_prefixes` take them,
    an ENI's primary address before its units (it can spoil a free /28 block).  Each subnet
    is scanned once in all (cursors only move up; counts are kept as addresses are taken), so
    the cost is the subnets' size plus the addresses granted.

    Parameters
    ----------
    states : sequence of array of uint8
        Address codes of the subnets; modified in place.
    candidates : sequence of sequence of int
        Per node, indices into ``states``: its node subnet, then its tagged subnets.
    need, total : array of int
        Per node: units its pods need; units of its steady-state pool.
    per_eni : array of int
        Per node: units one ENI holds.
    new_enis : array of int
        Per node: the most secondary ENIs it may attach.
    prefix_mode : array of bool
        Per node: whether its units are /28 prefixes.
    node_code, pod_code : int
        Codes for ENI primary addresses and for the units' addresses (>= :data:`USED`).
    compiled : bool
        Run compiled with numba (False: plain Python, for checking).

    Returns
    -------
    tuple
        ``(got_pods, split)``: per node the units granted for its pods, and the
        ``(subnet index, units)`` of those grants in the order granted.
    """
    n = len(candidates)
    got_pods = np.zeros(n, dtype=np.int64)
    if n == 0:
        return got_pods, []
    sizes = np.array([st.shape[0] for st in states], dtype=np.int64)
    sub_lo = np.concatenate([np.zeros(1, dtype=np.int64), np.cumsum(sizes)])
    codes = np.concatenate([np.asarray(st, dtype=np.uint8) for st in states])
    lengths = np.array([len(c) for c in candidates], dtype=np.int64)
    cand = np.concatenate([np.asarray(c, dtype=np.int64) for c in candidates])
    if not lengths.all() or (cand.size and not 0 <= cand.min() <= cand.max() < len(states)):
        raise ValueError(
            "every node needs its node subnet first among its candidates, each one of states"
        )
    cand_lo = np.concatenate([np.zeros(1, dtype=np.int64), np.cumsum(lengths)])
    new_enis = np.asarray(new_enis, dtype=np.int64)
    slots = 1 + np.maximum(new_enis, 0)
    eni_lo = np.concatenate([np.zeros(1, dtype=np.int64), np.cumsum(slots)])
    split_subnet = np.zeros(eni_lo[-1], dtype=np.int64)
    split_units = np.zeros(eni_lo[-1], dtype=np.int64)
    split_n = np.zeros(n, dtype=np.int64)
    kernel = _compiled_discover() if compiled else _discover
    kernel(
        codes,
        sub_lo,
        cand,
        cand_lo,
        np.asarray(need, dtype=np.int64),
        np.asarray(total, dtype=np.int64),
        np.asarray(per_eni, dtype=np.int64),
        new_enis,
        np.asarray(prefix_mode, dtype=np.bool_),
        int(node_code),
        int(pod_code),
        eni_lo,
        split_subnet,
        split_units,
        split_n,
        got_pods,
    )
    for st, lo, hi in zip(states, sub_lo[:-1], sub_lo[1:], strict=True):
        st[:] = codes[lo:hi]
    split = [
        list(
            zip(split_subnet[lo : lo + k].tolist(), split_units[lo : lo + k].tolist(), strict=True)
        )
        for lo, k in zip(eni_lo[:-1].tolist(), split_n.tolist(), strict=True)
    ]
    return got_pods, split
