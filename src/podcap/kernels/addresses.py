"""Subnet address allocation over a state array (pure numpy).

A subnet of ``N`` addresses is an array of ``N`` small integer codes (:data:`FREE`, ...).  Single
addresses are taken from the lowest free ones outside prefix reservations; /28 prefixes from the
lowest free, 16-aligned blocks of 16 free addresses (prefix reservations first).  Requests are
served in order (node order), each getting what is left when its turn comes; everything is
vectorized with cumulative sums.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

__all__ = [
    "AWS_RESERVED",
    "EXPLICIT",
    "FREE",
    "PREFIX_ONLY",
    "USED",
    "allocate_prefixes",
    "allocate_singles",
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
