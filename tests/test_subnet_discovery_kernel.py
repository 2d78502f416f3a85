"""Subnet discovery's compiled loop (``podcap.kernels.addresses.discover_subnets``, behind
``podcap.pipeline.addresses._discovery_addresses``) against the reference oracle below.

The oracle is the original per-node Python loop, kept here verbatim as the reference: it rescans
each candidate subnet (``available_addresses``, ``free_aligned_blocks``) and tries every ENI on
a copy of the subnet's address map.  The compiled loop must give exactly the same pod addresses,
address maps and ``SubnetState.pod_split``.
"""

from __future__ import annotations

import copy
from typing import Any

import numpy as np
import numpy.typing as npt
from hypothesis import given, settings
from hypothesis import strategies as st

from podcap.kernels.addresses import (
    AWS_RESERVED,
    EXPLICIT,
    FREE,
    PREFIX_ONLY,
    allocate_prefixes,
    allocate_singles,
    discover_subnets,
)
from podcap.model.subnets import (
    NODE,
    POD,
    PRE_USED,
    SubnetState,
    available_addresses,
    discovery_order,
)
from podcap.pipeline.addresses import _discovery_addresses

# ---------------------------------------------------------------------------------------------
# THE REFERENCE ORACLE: the original per-node loop of pipeline/addresses.py, unchanged.  Slow
# (every ENI rescans whole subnets); for tests only.


def _reference_discovery_addresses(
    subnet_state: SubnetState,
    candidates: dict[int, list[str]],
    need: npt.NDArray[np.int64],
    total: npt.NDArray[np.int64],
    per_eni: npt.NDArray[np.int64],
    new_enis: npt.NDArray[np.int64],
    prefix_mode: npt.NDArray[np.bool_],
) -> dict[int, int]:
    """Reference: see ``podcap.pipeline.addresses._discovery_addresses``."""
    state = subnet_state.state
    enis: dict[int, list[list[Any]]] = {}  # node -> [cidr, held, capacity] per ENI
    split: dict[int, list[tuple[str, int]]] = {}

    def grant(st: npt.NDArray[np.uint8], k: int, pd_mode: bool) -> int:
        alloc = allocate_prefixes if pd_mode else allocate_singles
        return int(alloc(st, np.array([k], dtype=np.int64), POD)[0]) if k > 0 else 0

    def attach(i: int, k: int) -> tuple[str, int] | None:
        pd_mode = bool(prefix_mode[i])
        order = discovery_order(
            candidates[i], [available_addresses(state[c]) for c in candidates[i]]
        )
        for whole in (True, False):
            for c in order:
                trial = state[c].copy()
                if allocate_singles(trial, np.ones(1, dtype=np.int64), NODE)[0] != 1:
                    continue
                got = grant(trial, k, pd_mode)
                if got == k if whole else got > 0:
                    state[c][:] = trial
                    return c, got
        return None

    def serve(i: int, want: int, pods: bool) -> int:
        pd_mode = bool(prefix_mode[i])
        served = 0
        for eni in enis[i]:  # fill the ENIs it has, each in its own subnet
            if want - served <= 0:
                break
            got = grant(state[eni[0]], min(int(eni[2]) - int(eni[1]), want - served), pd_mode)
            eni[1] += got
            served += got
            if pods and got:
                split[i].append((eni[0], got))
        while want - served > 0 and len(enis[i]) - 1 < int(new_enis[i]):
            placed = attach(i, min(int(per_eni[i]), want - served))
            if placed is None:
                break
            enis[i].append([placed[0], placed[1], int(per_eni[i])])
            served += placed[1]
            if pods:
                split[i].append(placed)
        return served

    got_pods: dict[int, int] = {}
    for i in sorted(candidates):
        enis[i] = [[candidates[i][0], 0, int(per_eni[i])]]  # the primary ENI
        split[i] = []
        got_pods[i] = serve(i, int(need[i]), pods=True)
    for i in sorted(candidates):
        serve(i, int(total[i]) - got_pods[i], pods=False)
    scale = {i: 16 if prefix_mode[i] else 1 for i in candidates}
    for i, parts in split.items():
        subnet_state.pod_split[i] = tuple((c, k * scale[i]) for c, k in parts)
    return {i: got * scale[i] for i, got in got_pods.items()}


# ---------------------------------------------------------------------------------------------
# random inputs


@st.composite
def address_map(draw: Any, prefixlen: int) -> npt.NDArray[np.uint8]:
    """A subnet's codes: AWS's five, a few reservations (prefix or explicit, /30 to half the
    subnet, so some /28 blocks are only partly reserved and some subnets have far more available
    addresses than free single ones), addresses in use (scattered and in runs), and now and then
    addresses nodes or pods already hold."""
    size = 2 ** (32 - prefixlen)
    state = np.full(size, FREE, dtype=np.uint8)
    for _ in range(draw(st.integers(0, 4))):
        bits = draw(st.integers(2, min(9, 31 - prefixlen)))  # /30 to /23, at most half
        start = draw(st.integers(0, size // 2**bits - 1)) * 2**bits
        state[start : start + 2**bits] = draw(st.sampled_from([PREFIX_ONLY, PREFIX_ONLY, EXPLICIT]))
    state[:4] = AWS_RESERVED
    state[-1] = AWS_RESERVED
    used = draw(st.lists(st.integers(0, size - 1), max_size=12))
    state[used] = draw(st.sampled_from([PRE_USED, NODE, POD]))
    for _ in range(draw(st.integers(0, 2))):
        lo = draw(st.integers(0, size - 1))
        state[lo : lo + draw(st.integers(1, size // 2))] = PRE_USED
    if draw(st.booleans()):
        state[: draw(st.integers(0, size))] = PRE_USED  # a nearly full subnet
    return state


@st.composite
def discovery_inputs(draw: Any) -> tuple[Any, ...]:
    n_subnets = draw(st.integers(1, 4))
    prefixes = draw(
        st.lists(
            st.sampled_from([20, 22, 24, 25, 26, 27, 28, 28]),
            min_size=n_subnets,
            max_size=n_subnets,
        )
    )
    states: dict[str, npt.NDArray[np.uint8]] = {}
    for k, p in enumerate(prefixes):
        same = [c for c in states if c.endswith(f"/{p}")]
        if same and draw(st.booleans()):  # a copy of an earlier subnet: ties in the order
            states[f"10.{k}.0.0/{p}"] = states[draw(st.sampled_from(same))].copy()
        else:
            states[f"10.{k}.0.0/{p}"] = draw(address_map(p))
    cidrs = list(states)
    n_nodes = draw(st.integers(1, 12))
    nodes = sorted(
        draw(st.lists(st.integers(0, 3 * n_nodes), min_size=n_nodes, max_size=n_nodes, unique=True))
    )
    size = nodes[-1] + 1
    candidates = {}
    for i in draw(st.permutations(nodes)):  # dict order need not be node order
        picked = draw(st.permutations(cidrs))
        candidates[i] = picked[: draw(st.integers(1, len(picked)))]
    ints = st.integers(0, 60)
    need = np.array(draw(st.lists(ints, min_size=size, max_size=size)), dtype=np.int64)
    extra = np.array(draw(st.lists(st.integers(-5, 40), min_size=size, max_size=size)))
    total = np.maximum(need + extra, 0).astype(np.int64)
    per_eni = np.array(
        draw(st.lists(st.integers(1, 30), min_size=size, max_size=size)), dtype=np.int64
    )
    new_enis = np.array(
        draw(st.lists(st.integers(0, 5), min_size=size, max_size=size)), dtype=np.int64
    )
    prefix_mode = np.array(draw(st.lists(st.booleans(), min_size=size, max_size=size)))
    # prefix nodes count /28s: smaller numbers, so that subnets run out of both kinds
    need = np.where(prefix_mode, need // 8, need)
    total = np.where(prefix_mode, total // 8, total)
    per_eni = np.where(prefix_mode, np.maximum(per_eni // 3, 1), per_eni)
    return states, candidates, need, total, per_eni, new_enis, prefix_mode


def _run(
    function: Any, states: dict[str, npt.NDArray[np.uint8]], *args: Any
) -> tuple[dict[int, int], dict[str, npt.NDArray[np.uint8]], dict[int, Any]]:
    subnet_state = SubnetState({}, copy.deepcopy(states))
    got = function(subnet_state, *args)
    return got, subnet_state.state, subnet_state.pod_split


def _same(a: Any, b: Any) -> None:
    got_a, state_a, split_a = a
    got_b, state_b, split_b = b
    assert got_a == got_b
    assert list(state_a) == list(state_b)
    for cidr in state_a:
        np.testing.assert_array_equal(state_a[cidr], state_b[cidr], err_msg=cidr)
    assert split_a == split_b


@settings(max_examples=300, deadline=None)
@given(inputs=discovery_inputs())
def test_compiled_discovery_matches_the_reference(inputs: tuple[Any, ...]) -> None:
    states, *args = inputs
    reference = _run(_reference_discovery_addresses, states, *args)
    _same(_run(_discovery_addresses, states, *args), reference)
    # the address maps are changed in place, as before
    subnet_state = SubnetState({}, copy.deepcopy(states))
    arrays = dict(subnet_state.state)
    _discovery_addresses(subnet_state, *args)
    assert all(subnet_state.state[c] is arrays[c] for c in arrays)


@settings(max_examples=40, deadline=None)
@given(inputs=discovery_inputs())
def test_uncompiled_kernel_matches_the_compiled_one(inputs: tuple[Any, ...]) -> None:
    states, candidates, need, total, per_eni, new_enis, prefix_mode = inputs
    cidrs = list(states)
    nodes = sorted(candidates)
    args = (
        [[cidrs.index(c) for c in candidates[i]] for i in nodes],
        need[nodes],
        total[nodes],
        per_eni[nodes],
        new_enis[nodes],
        prefix_mode[nodes],
        NODE,
        POD,
    )
    runs = []
    for compiled in (True, False):
        maps = [states[c].copy() for c in cidrs]
        got, split = discover_subnets(maps, *args, compiled=compiled)
        runs.append((got.tolist(), [m.tolist() for m in maps], split))
    assert runs[0] == runs[1]


def test_many_nodes_over_large_subnets() -> None:
    """A seeded case at a larger scale: 300 nodes over a /20 node subnet (mostly in use) and
    three tagged subnets that fill up part-way, with a prefix reservation."""
    rng = np.random.default_rng(7)
    states = {
        "10.0.0.0/20": np.full(4096, FREE, dtype=np.uint8),
        "10.1.0.0/22": np.full(1024, FREE, dtype=np.uint8),
        "10.2.0.0/22": np.full(1024, FREE, dtype=np.uint8),
        "10.3.0.0/24": np.full(256, FREE, dtype=np.uint8),
    }
    states["10.0.0.0/20"][: 4096 - 600] = PRE_USED
    states["10.1.0.0/22"][256:512] = PREFIX_ONLY
    states["10.2.0.0/22"][rng.choice(1024, 300, replace=False)] = PRE_USED
    for st_ in states.values():
        st_[:4] = AWS_RESERVED
        st_[-1] = AWS_RESERVED
    n = 300
    tagged = ["10.1.0.0/22", "10.2.0.0/22", "10.3.0.0/24"]
    candidates = {i: ["10.0.0.0/20", *tagged] for i in range(n)}
    prefix_mode = rng.random(n) < 0.3
    need = np.where(prefix_mode, rng.integers(0, 4, n), rng.integers(0, 30, n))
    total = need + np.where(prefix_mode, rng.integers(0, 3, n), rng.integers(0, 12, n))
    per_eni = np.full(n, 9, dtype=np.int64)
    new_enis = np.full(n, 2, dtype=np.int64)
    args = (candidates, need, total, per_eni, new_enis, prefix_mode)
    reference = _run(_reference_discovery_addresses, states, *args)
    _same(_run(_discovery_addresses, states, *args), reference)
    assert sum(reference[0].values()) > 0
    assert available_addresses(reference[1]["10.3.0.0/24"]) < 20  # the tagged subnets fill up


def test_the_enis_own_address_can_spoil_a_free_block() -> None:
    """Prefix mode: an ENI's primary address is the subnet's lowest free address, and when that
    lies in a free /28 block, the block is gone.  A (63 free) comes first in the order, but its
    lowest free address (.16) is in its first free block: after it, 2 blocks, not the 3 the ENI
    wants; B (49 free) has its lowest free address (.0) outside its 3 free blocks, so the ENI
    goes to B whole."""
    a = np.full(80, PRE_USED, dtype=np.uint8)
    a[16:64] = FREE  # blocks 1-3 free
    a[64:79] = FREE  # 15 more free addresses, no free block
    b = np.full(80, PRE_USED, dtype=np.uint8)
    b[0] = FREE
    b[16:64] = FREE
    assert (available_addresses(a), available_addresses(b)) == (63, 49)
    states = {"node": np.full(16, PRE_USED, dtype=np.uint8), "a": a, "b": b}
    one = np.array([0], dtype=np.int64)
    args = (
        {0: ["node", "a", "b"]},
        one + 3,
        one + 3,
        one + 3,
        one + 1,
        np.array([True]),
    )
    got, state, split = _run(_discovery_addresses, states, *args)
    assert got == {0: 48}
    assert split == {0: (("b", 48),)}
    assert state["b"][0] == NODE
    assert (state["b"][16:64] == POD).all()
    np.testing.assert_array_equal(state["a"], a)
    _same((got, state, split), _run(_reference_discovery_addresses, states, *args))


def test_no_candidates() -> None:
    got, split = discover_subnets(
        [], [], *(np.zeros(0, dtype=np.int64),) * 4, np.zeros(0, dtype=bool), NODE, POD
    )
    assert got.shape == (0,)
    assert split == []
