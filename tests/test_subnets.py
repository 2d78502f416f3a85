"""Subnets: CIDR arithmetic, reservations, the address allocator, fragmentation, capacity, simulate.

Facts used (expected numbers are computed by hand in comments from these):

* AWS VPC User Guide, "Subnet CIDR blocks" (and the EC2 CreateSubnet API reference): a subnet
  is /16 (65,536 addresses) to /28 (16 addresses); AWS reserves the first four and the last
  address of every subnet (for 10.0.0.0/24: .0 network, .1 VPC router, .2 DNS, .3 future use,
  .255 broadcast).  So a /24 has 256 - 5 = 251 usable addresses.
* A /28 prefix is 16 contiguous addresses aligned on a multiple of 16 (prefix delegation needs
  free aligned blocks; a fragmented subnet returns InsufficientCidrBlocks although single
  addresses are free: docs/domain.md section 4, tests/data/WARM_POOL_NOTES.md section 11).
* Warm pool (docs/domain.md section 4, WARM_POOL_NOTES.md sections 2 and 7): every ENI's primary
  address is a subnet address; with WARM_ENI_TARGET=1 a node holds the smallest n ENIs with
  n*S - P >= S, at most E.  m5.large: 3 ENIs x 10 IPv4 -> S = 9, 27 pod IPs, eni-max-pods 29.
* podcap's allocator (``podcap.kernels.addresses`` docstring) hands out the lowest free addresses
  first and serves requests in order; where a test relies on positions it says so.
"""

from __future__ import annotations

import ipaddress
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import podcap
from podcap import Cluster, NodeGroup, Subnet, SubnetReservation, VpcCni
from podcap.kernels.addresses import (
    AWS_RESERVED,
    EXPLICIT,
    FREE,
    PREFIX_ONLY,
    USED,
    allocate_prefixes,
    allocate_singles,
)

BLOCK = 16
SINGLE = USED + 1  # codes the tests mark handed-out addresses with (>= USED)
PREFIX = USED + 2


def _usable(sn: Subnet) -> int:
    state = sn.initial_state()
    return int(np.count_nonzero((state == FREE) | (state == PREFIX_ONLY)))


# ---------------------------------------------------------------------------------------------
# Subnet spec: CIDR arithmetic


@pytest.mark.parametrize(
    ("cidr", "size", "usable"),
    [
        ("10.0.0.0/24", 256, 251),  # 2**8 = 256, minus AWS's 5
        ("10.0.0.0/28", 16, 11),  # the smallest subnet: 2**4 = 16, minus 5
        ("10.0.0.0/26", 64, 59),
        ("10.0.0.0/16", 65536, 65531),  # the largest: 2**16, minus 5
    ],
)
def test_size_and_usable(cidr: str, size: int, usable: int) -> None:
    sn = Subnet(cidr, "zone-a")
    assert sn.size == size
    assert _usable(sn) == usable
    assert podcap.subnet_capacity(sn, "m5.large")["usable_addresses"] == usable


def test_aws_reserves_first_four_and_last() -> None:
    state = Subnet("10.0.0.0/24", "zone-a").initial_state()
    reserved = np.flatnonzero(state == AWS_RESERVED).tolist()
    # 10.0.0.0, .1, .2, .3 and .255
    assert reserved == [0, 1, 2, 3, 255]


def test_name_defaults_to_cidr() -> None:
    assert Subnet("10.0.0.0/24", "zone-a").name == "10.0.0.0/24"
    assert Subnet("10.0.0.0/24", "zone-a", name="pods-a").name == "pods-a"


@pytest.mark.parametrize("cidr", ["10.0.0.0/29", "10.0.0.0/30", "10.0.0.0/15", "10.0.0.0/8"])
def test_outside_16_to_28_rejected(cidr: str) -> None:
    with pytest.raises(podcap.InvalidSpecError, match="/16 to /28"):
        Subnet(cidr, "zone-a")


@pytest.mark.parametrize("cidr", ["10.0.0.0/33", "abc", "10.0.0/24", "300.0.0.0/24", ""])
def test_invalid_cidr_text_rejected(cidr: str) -> None:
    with pytest.raises(podcap.InvalidSpecError, match="invalid CIDR"):
        Subnet(cidr, "zone-a")


def test_host_bits_set_rejected() -> None:
    with pytest.raises(podcap.InvalidSpecError, match=r"10\.0\.0\.1/24"):
        Subnet("10.0.0.1/24", "zone-a")


def test_ipv6_subnet_rejected() -> None:
    with pytest.raises(podcap.InvalidSpecError, match="IPv6"):
        Subnet("2001:db8::/64", "zone-a")


def test_empty_zone_rejected() -> None:
    with pytest.raises(podcap.InvalidSpecError, match="zone"):
        Subnet("10.0.0.0/24", "")


# ---------------------------------------------------------------------------------------------
# addresses in use


def test_used_count_takes_lowest_free() -> None:
    state = Subnet("10.0.0.0/24", "zone-a", used=10).initial_state()
    assert np.count_nonzero(state >= USED) == 10
    assert _usable(Subnet("10.0.0.0/24", "zone-a", used=10)) == 251 - 10
    # lowest free first: offsets 4..13 (0-3 are AWS's)
    assert np.flatnonzero(state >= USED).tolist() == list(range(4, 14))


@pytest.mark.parametrize("used", [-1, 252])
def test_used_count_out_of_range_rejected(used: int) -> None:
    # at most the 251 usable addresses of a /24
    with pytest.raises(podcap.InvalidSpecError, match="used"):
        Subnet("10.0.0.0/24", "zone-a", used=used)


def test_used_count_251_fills_the_subnet() -> None:
    assert _usable(Subnet("10.0.0.0/24", "zone-a", used=251)) == 0


def test_used_address_list_inside() -> None:
    # one address + a /30 (4 addresses) = 5 in use
    sn = Subnet("10.0.0.0/24", "zone-a", used=["10.0.0.10", "10.0.0.20/30"])
    state = sn.initial_state()
    assert np.flatnonzero(state >= USED).tolist() == [10, 20, 21, 22, 23]
    assert _usable(sn) == 251 - 5


@pytest.mark.parametrize("used", [["10.0.1.5"], ["10.0.0.0/23"], ["not-an-ip"]])
def test_used_address_outside_or_invalid_rejected(used: list[str]) -> None:
    with pytest.raises(podcap.InvalidSpecError, match="used address"):
        Subnet("10.0.0.0/24", "zone-a", used=used)


# ---------------------------------------------------------------------------------------------
# subnet CIDR reservations


def test_prefix_reservation_is_free_for_prefixes_only() -> None:
    sn = Subnet("10.0.0.0/24", "zone-a", reservations=("10.0.0.64/28",))
    state = sn.initial_state()
    assert np.flatnonzero(state == PREFIX_ONLY).tolist() == list(range(64, 80))
    assert _usable(sn) == 251  # still free (for prefixes)
    # single addresses never come from a prefix reservation: take all 251 - 16 = 235 others
    granted = allocate_singles(state, np.array([300]), SINGLE)
    assert granted.tolist() == [235]
    assert np.count_nonzero(state == PREFIX_ONLY) == 16


def test_explicit_reservation_is_never_assigned() -> None:
    sn = Subnet(
        "10.0.0.0/24",
        "zone-a",
        reservations=[SubnetReservation("10.0.0.128/26", "explicit")],
    )
    state = sn.initial_state()
    assert np.count_nonzero(state == EXPLICIT) == 64
    assert _usable(sn) == 251 - 64
    allocate_singles(state, np.array([1000]), SINGLE)
    allocate_prefixes(state, np.array([1000]), PREFIX)
    assert np.count_nonzero(state == EXPLICIT) == 64


def test_reservation_as_dict() -> None:
    sn = Subnet("10.0.0.0/24", "zone-a", reservations=[{"cidr": "10.0.0.0/28", "type": "prefix"}])
    assert sn.reservations == (SubnetReservation("10.0.0.0/28", "prefix"),)


def test_reservation_outside_subnet_rejected() -> None:
    with pytest.raises(podcap.InvalidSpecError, match="outside"):
        Subnet("10.0.0.0/24", "zone-a", reservations=["10.0.1.0/28"])


def test_reservation_bad_type_rejected() -> None:
    with pytest.raises(podcap.InvalidSpecError, match="explicit"):
        Subnet("10.0.0.0/24", "zone-a", reservations=[{"cidr": "10.0.0.0/28", "type": "x"}])


# ---------------------------------------------------------------------------------------------
# node groups and clusters


def test_overlapping_subnets_in_one_cluster_rejected() -> None:
    a = NodeGroup("a", "m5.large", 1, zones=("zone-a",), subnets=(Subnet("10.0.0.0/24", "zone-a"),))
    b = NodeGroup(
        "b", "m5.large", 1, zones=("zone-a",), subnets=(Subnet("10.0.0.128/25", "zone-a"),)
    )
    with pytest.raises(podcap.InvalidSpecError) as info:
        podcap.simulate(Cluster([a, b]), [])
    assert "10.0.0.0/24" in str(info.value)
    assert "10.0.0.128/25" in str(info.value)
    assert "overlap" in str(info.value)


def test_node_and_pod_subnets_overlapping_rejected() -> None:
    cni = VpcCni(custom_networking=True, pod_subnets=(Subnet("10.0.0.0/25", "zone-a"),))
    g = NodeGroup(
        "a", "m5.large", 1, zones=("zone-a",), subnets=(Subnet("10.0.0.0/24", "zone-a"),), cni=cni
    )
    with pytest.raises(podcap.InvalidSpecError, match=r"10\.0\.0\.0/25"):
        podcap.simulate(Cluster([g]), [])


def test_shared_subnet_between_groups_is_allowed() -> None:
    sn = Subnet("10.0.0.0/24", "zone-a")
    a = NodeGroup("a", "m5.large", 1, zones=("zone-a",), subnets=(sn,))
    b = NodeGroup("b", "m5.large", 1, zones=("zone-a",), subnets=(sn,))
    result = podcap.simulate(Cluster([a, b]), [])
    assert len(result.subnets) == 1
    # two idle m5.large nodes: 1 ENI + 9 IPs each = 10 addresses each -> 20
    r = result.subnets.iloc[0]
    assert int(r["used_by_nodes"]) + int(r["held_warm"]) == 20


def test_subnet_in_a_zone_the_group_does_not_use_rejected() -> None:
    with pytest.raises(podcap.InvalidSpecError, match="zone-b"):
        NodeGroup(
            "a",
            "m5.large",
            1,
            zones=("zone-a",),
            subnets=(Subnet("10.0.0.0/24", "zone-a"), Subnet("10.0.1.0/24", "zone-b")),
        )


def test_group_zone_without_subnet_rejected() -> None:
    with pytest.raises(podcap.InvalidSpecError, match="zone-b"):
        NodeGroup(
            "a",
            "m5.large",
            2,
            zones=("zone-a", "zone-b"),
            subnets=(Subnet("10.0.0.0/24", "zone-a"),),
        )


# ---------------------------------------------------------------------------------------------
# allocator invariants (Hypothesis)


@st.composite
def subnets(draw: Any) -> Subnet:
    prefixlen = draw(st.integers(24, 28))
    size = 2 ** (32 - prefixlen)
    blocks = size // BLOCK
    chosen = draw(st.lists(st.integers(0, blocks - 1), unique=True, max_size=min(blocks, 4)))
    kinds = draw(
        st.lists(
            st.sampled_from(["prefix", "explicit"]), min_size=len(chosen), max_size=len(chosen)
        )
    )
    net = ipaddress.IPv4Network(f"10.0.0.0/{prefixlen}")
    reservations = tuple(
        SubnetReservation(f"{net.network_address + b * BLOCK}/28", k)
        for b, k in zip(chosen, kinds, strict=True)
    )
    # addresses neither AWS's 5 nor in a reservation: only those can be "used" by count
    aws = {0, 1, 2, 3, size - 1}
    in_res = {b * BLOCK + i for b in chosen for i in range(BLOCK)}
    open_addresses = size - len(aws | in_res)
    used = draw(st.integers(0, open_addresses))
    return Subnet(str(net), "zone-a", used=used, reservations=reservations)


def _greedy(demand: list[int], available: int) -> list[int]:
    """Requests served in order, each getting what is left when its turn comes."""
    out = []
    for d in demand:
        g = min(d, available)
        out.append(g)
        available -= g
    return out


def _free_blocks(state: np.ndarray) -> tuple[list[int], list[int]]:
    """Start offsets of aligned all-free /28 blocks: inside prefix reservations, and others."""
    res, other = [], []
    for start in range(0, state.shape[0] - BLOCK + 1, BLOCK):
        blk = state[start : start + BLOCK].tolist()
        if all(c in (FREE, PREFIX_ONLY) for c in blk):
            (res if all(c == PREFIX_ONLY for c in blk) else other).append(start)
    return res, other


DEMANDS = st.lists(st.integers(0, 80), max_size=8)


@settings(max_examples=100, deadline=None)
@given(sn=subnets(), singles=DEMANDS, prefixes=st.lists(st.integers(0, 6), max_size=6))
def test_allocator_invariants(sn: Subnet, singles: list[int], prefixes: list[int]) -> None:
    before = sn.initial_state()
    size = sn.size
    used_before = int(np.count_nonzero(before >= USED))
    explicit_before = int(np.count_nonzero(before == EXPLICIT))
    state = before.copy()

    # --- single addresses
    free_singles = int(np.count_nonzero(state == FREE))
    granted = allocate_singles(state, np.array(singles, dtype=np.int64), SINGLE).tolist()
    assert len(granted) == len(singles)
    assert all(0 <= g <= d for g, d in zip(granted, singles, strict=True))
    assert sum(granted) <= free_singles  # never more than it has
    assert granted == _greedy(singles, free_singles)  # earlier requests first, in full
    # never the same address twice: each handed-out address carries the code exactly once
    assert int(np.count_nonzero(state == SINGLE)) == sum(granted)
    changed = np.flatnonzero(state != before)
    assert (before[changed] == FREE).all()  # only free addresses, never a prefix reservation

    # --- /28 prefixes
    mid = state.copy()
    res_blocks, other_blocks = _free_blocks(mid)
    n_blocks = len(res_blocks) + len(other_blocks)
    got = allocate_prefixes(state, np.array(prefixes, dtype=np.int64), PREFIX).tolist()
    assert all(0 <= g <= d for g, d in zip(got, prefixes, strict=True))
    assert sum(got) <= n_blocks
    assert got == _greedy(prefixes, n_blocks)
    offsets = np.flatnonzero(state == PREFIX)
    assert offsets.shape[0] == BLOCK * sum(got)  # 16 addresses per prefix, none twice
    rows = offsets.reshape(-1, BLOCK)
    for r in rows:
        assert r[0] % BLOCK == 0  # 16-aligned
        assert r.tolist() == list(range(r[0], r[0] + BLOCK))  # 16 contiguous addresses
        assert all(mid[a] in (FREE, PREFIX_ONLY) for a in r)  # were free
    # prefix reservations are used before other blocks
    taken = set(rows[:, 0].tolist()) if rows.size else set()
    assert len(taken & set(res_blocks)) == min(len(res_blocks), sum(got))
    assert (state[np.flatnonzero(mid == SINGLE)] == SINGLE).all()  # singles untouched

    # --- conservation: free + used + reserved == size
    free = int(np.count_nonzero((state == FREE) | (state == PREFIX_ONLY)))
    used = int(np.count_nonzero(state >= USED))
    reserved = int(np.count_nonzero((state == AWS_RESERVED) | (state == EXPLICIT)))
    assert free + used + reserved == size
    assert used == used_before + sum(granted) + BLOCK * sum(got)
    assert int(np.count_nonzero(state == AWS_RESERVED)) == 5
    assert int(np.count_nonzero(state == EXPLICIT)) == explicit_before


# ---------------------------------------------------------------------------------------------
# fragmentation

# /26 = 64 addresses = four /28 blocks (0-15, 16-31, 32-47, 48-63).  One used address in each
# block: none of the four is entirely free.  (Blocks 0 and 3 also hold AWS's .0-.3 and .63.)
SCATTERED = ["10.0.0.8", "10.0.0.20", "10.0.0.40", "10.0.0.56"]


def test_fragmented_subnet_has_free_singles_but_no_free_blocks() -> None:
    sn = Subnet("10.0.0.0/26", "zone-a", used=SCATTERED)
    state = sn.initial_state()
    # 64 - 5 (AWS) - 4 (used) = 55 free single addresses
    assert int(np.count_nonzero(state == FREE)) == 55
    assert _free_blocks(state) == ([], [])
    assert allocate_prefixes(state.copy(), np.array([1]), PREFIX).tolist() == [0]


def test_fragmentation_prefix_delegation_fits_no_node_secondary_does() -> None:
    fragmented = Subnet("10.0.0.0/26", "zone-a", used=SCATTERED)
    pd_cni = VpcCni(prefix_delegation=True)
    # PD, m5.large, 10 pods per node, WARM_PREFIX_TARGET=1: ceil(10/16) + 1 = 2 prefixes + 1 ENI
    # primary.  No free aligned /28 block -> not even one node (InsufficientCidrBlocks).
    cap = podcap.subnet_capacity(fragmented, "m5.large", cni=pd_cni, pods_per_node=10, max_pods=110)
    assert cap["usable_addresses"] == 55
    assert cap["max_nodes_full"] == 0
    assert cap["max_nodes_idle"] == 0
    assert cap["max_pods"] == 0
    # The same /26 unfragmented has two free blocks (16-31, 32-47; 0-15 and 48-63 hold AWS's
    # addresses) -> exactly one such node fits.
    clean = podcap.subnet_capacity(
        "10.0.0.0/26", "m5.large", cni=pd_cni, pods_per_node=10, max_pods=110
    )
    assert clean["max_nodes_full"] == 1
    # Secondary IPs, same fragmented /26, 10 pods: n = ceil(10/9) + 1 = 3 ENIs -> 27 IPs + 3
    # primaries = 30 addresses -> floor(55/30) = 1 node; idle: 1 ENI + 9 IPs = 10 ->
    # floor(55/10) = 5 nodes.
    sec = podcap.subnet_capacity(fragmented, "m5.large", pods_per_node=10, max_pods=29)
    assert sec["addresses_per_node_full"] == 30
    assert sec["max_nodes_full"] == 1
    assert sec["addresses_per_node_idle"] == 10
    assert sec["max_nodes_idle"] == 5


def test_prefix_reservation_used_before_other_blocks() -> None:
    sn = Subnet("10.0.0.0/24", "zone-a", reservations=["10.0.0.192/28"])
    state = sn.initial_state()
    # 1st prefix: the reserved block at 192; 2nd: the lowest other free block, 16 (block 0
    # holds AWS's .0-.3).
    assert allocate_prefixes(state, np.array([2]), PREFIX).tolist() == [2]
    starts = np.flatnonzero(state == PREFIX)[::BLOCK].tolist()
    assert sorted(starts) == [16, 192]
    # the reserved block was taken whole
    assert not (state[192:208] == PREFIX_ONLY).any()


# ---------------------------------------------------------------------------------------------
# subnet_capacity and rollout_addresses, by hand


def test_subnet_capacity_m5_large_slash_24() -> None:
    # m5.large: 3 ENIs x 10 IPv4 -> S = 9; pod IPs 27; maxPods (AWS calculator) 3*9+2 = 29.
    # Full load: min(29 - 2, 27) = 27 pods.  WARM_ENI_TARGET=1: smallest n with 9n - 27 >= 9
    # is 4 > 3 ENIs -> 3 ENIs: 3 primaries + 27 secondary IPs = 30 addresses per node.
    # /24: 256 - 5 = 251 usable -> floor(251/30) = 8 full nodes (8*30 = 240 <= 251 < 270).
    # Idle: 1 ENI + 9 IPs = 10 -> floor(251/10) = 25 nodes.
    cap = podcap.subnet_capacity(podcap.Subnet("10.0.0.0/24", "zone-a"), "m5.large")
    assert cap["usable_addresses"] == 251
    assert cap["pods_per_node"] == 27
    assert cap["addresses_per_node_full"] == 30
    assert cap["max_nodes_full"] == 8
    assert cap["max_pods"] == 8 * 27
    assert cap["addresses_per_node_idle"] == 10
    assert cap["max_nodes_idle"] == 25


def test_subnet_capacity_string_cidr_and_used() -> None:
    # 12 addresses in use: 251 - 12 = 239 -> floor(239/30) = 7 full nodes.
    cap = podcap.subnet_capacity(Subnet("10.0.0.0/24", "zone-a", used=12), "m5.large")
    assert cap["usable_addresses"] == 239
    assert cap["max_nodes_full"] == 7
    assert podcap.subnet_capacity("10.0.0.0/24", "m5.large")["max_nodes_full"] == 8


def test_subnet_capacity_prefix_delegation() -> None:
    # PD, m5.large: maxPods (calculator, 2 vCPUs) 110; pods per node min(110 - 2, 3*9*16) = 108.
    # WARM_PREFIX_TARGET=1: ceil(108/16) + 1 = 8 prefixes, but 7 prefixes = 112 >= 110 = maxPods
    # already stops growth -> 7 prefixes on 1 ENI = 1 + 112 = 113 addresses.
    # /24 has 16 aligned blocks; block 0 (.0-.3) and block 15 (.255) hold AWS addresses -> 14
    # free blocks -> floor(14/7) = 2 nodes (their 2 primaries come from block 0's .4, .5).
    cap = podcap.subnet_capacity("10.0.0.0/24", "m5.large", cni=VpcCni(prefix_delegation=True))
    assert cap["pods_per_node"] == 108
    assert cap["addresses_per_node_full"] == 113
    assert cap["max_nodes_full"] == 2
    assert cap["max_pods"] == 216


def test_rollout_addresses_one_full_node() -> None:
    # 27 replicas on 1 m5.large: 3 ENIs, 27 IPs -> 30 addresses, all 27 pods have one, warm 0.
    r = podcap.rollout_addresses("m5.large", 27, 1)
    assert r["subnet_addresses"] == 30
    assert r["pod_addresses"] == 27
    assert r["eni_primary_addresses"] == 3
    assert r["warm_addresses"] == 0
    assert r["pods_without_address"] == 0


def test_rollout_addresses_spread() -> None:
    # 30 replicas on 2 nodes: 15 each; n = ceil(15/9) + 1 = 3 ENIs, 27 IPs -> 30 per node, 60.
    # pods 30; ENI primaries 6; warm = 60 - 30 - 6 = 24.
    r = podcap.rollout_addresses("m5.large", 30, 2)
    assert r["pods_per_node"] == 15
    assert r["subnet_addresses"] == 60
    assert r["pod_addresses"] == 30
    assert r["eni_primary_addresses"] == 6
    assert r["warm_addresses"] == 24
    # 10 replicas on 3 nodes: 4, 3, 3; each ceil(p/9) + 1 = 2 ENIs, 18 IPs -> 20 each -> 60.
    r = podcap.rollout_addresses("m5.large", 10, 3)
    assert r["pods_per_node"] == 4
    assert r["subnet_addresses"] == 60


def test_rollout_addresses_beyond_pod_ips() -> None:
    # 60 replicas on 2 m5.large: 30 each > 27 pod IPs -> 3 without an address per node = 6.
    r = podcap.rollout_addresses("m5.large", 60, 2, max_pods=110)
    assert r["pod_addresses"] == 54
    assert r["pods_without_address"] == 6


# ---------------------------------------------------------------------------------------------
# simulate


def _deployment(name: str, replicas: int) -> dict[str, Any]:
    labels = {"app": name}
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": "default"},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": labels},
            "template": {
                "metadata": {"labels": labels},
                "spec": {"containers": [{"name": "app", "image": "app"}]},
            },
        },
    }


SUBNET_COLUMNS = [
    "subnet",
    "name",
    "zone",
    "size",
    "reserved",
    "used_before",
    "used_by_nodes",
    "used_by_pods",
    "held_warm",
    "free",
    "free_28_blocks",
]
ADDRESS_COLUMNS = ["reserved", "used_before", "used_by_nodes", "used_by_pods", "held_warm", "free"]


def _check_adds_up(result: podcap.SimulationResult) -> None:
    assert list(result.subnets.columns) == SUBNET_COLUMNS
    for _, r in result.subnets.iterrows():
        assert sum(int(r[c]) for c in ADDRESS_COLUMNS) == int(r["size"]), r["subnet"]
        assert all(int(r[c]) >= 0 for c in ADDRESS_COLUMNS)


def _workload(result: podcap.SimulationResult, name: str) -> Any:
    w = result.workloads
    return w[w["name"] == name].iloc[0]


def test_nodes_without_a_primary_address_do_not_start() -> None:
    # /28: 11 usable, 9 in use -> 2 free: nodes ng-0 and ng-1 get a primary address, ng-2 none.
    sn = Subnet("10.0.0.0/28", "zone-a", used=9)
    result = podcap.simulate(
        Cluster([NodeGroup("ng", "m5.large", 3, zones=("zone-a",), subnets=(sn,))]), []
    )
    g = result.node_groups.set_index("node_group").loc["ng"]
    assert (int(g["nodes"]), int(g["started"]), int(g["not_started"])) == (3, 2, 1)
    assert "InsufficientFreeAddressesInSubnet" in g["reason"]
    assert sorted(result.nodes["node"]) == ["ng-0", "ng-1"]
    _check_adds_up(result)


def test_all_nodes_start_when_the_subnet_has_room() -> None:
    sn = Subnet("10.0.0.0/24", "zone-a")
    result = podcap.simulate(
        Cluster([NodeGroup("ng", "m5.large", 3, zones=("zone-a",), subnets=(sn,))]), []
    )
    g = result.node_groups.set_index("node_group").loc["ng"]
    assert (int(g["started"]), int(g["not_started"]), g["reason"]) == (3, 0, "")


def test_pods_beyond_subnet_addresses_secondary_ip() -> None:
    # m5.large, WARM_IP_TARGET=1, 8 pods: T = 8 + 1 = 9 IPs on the primary ENI (no 2nd ENI).
    # /28 with 5 in use: 11 - 5 = 6 free; node primary -> 5 left -> 5 pod IPs.
    # 5 running, 8 - 5 = 3 ContainerCreating with InsufficientFreeAddressesInSubnet.
    sn = Subnet("10.0.0.0/28", "zone-a", used=5)
    g = NodeGroup(
        "ng", "m5.large", 1, zones=("zone-a",), subnets=(sn,), cni=VpcCni(warm_ip_target=1)
    )
    result = podcap.simulate(Cluster([g]), [_deployment("app", 8)])
    w = _workload(result, "app")
    assert (int(w["running"]), int(w["container_creating"])) == (5, 3)
    assert "InsufficientFreeAddressesInSubnet" in w["reason"]
    assert "failed to assign an IP address to container" in w["reason"]
    _check_adds_up(result)
    r = result.subnets.iloc[0]
    # 16 = 5 AWS + 5 used before + 1 node primary + 5 pods + 0 warm + 0 free
    assert [int(r[c]) for c in ADDRESS_COLUMNS] == [5, 5, 1, 5, 0, 0]


def test_pods_beyond_subnet_addresses_fill_attached_eni_first() -> None:
    # m5.large, default WARM_ENI_TARGET=1, 10 pods; /28: 11 usable, node primary -> 10 left.
    # ipamd: primary ENI gets its 9 secondary IPs (1 left), then a 2nd ENI would need a primary
    # address and IPs: at most the last address goes to its primary, none to pods.
    # -> 9 pods get an address, 1 ContainerCreating.
    sn = Subnet("10.0.0.0/28", "zone-a")
    g = NodeGroup("ng", "m5.large", 1, zones=("zone-a",), subnets=(sn,))
    result = podcap.simulate(Cluster([g]), [_deployment("app", 10)])
    w = _workload(result, "app")
    assert (int(w["running"]), int(w["container_creating"])) == (9, 1)


def test_pods_beyond_subnet_prefix_delegation_insufficient_cidr_blocks() -> None:
    # PD, m5.large, maxPods 110, 40 pods: ceil(40/16) + 1 = 4 prefixes wanted on 1 ENI.
    # /26: blocks 16-31 and 32-47 are the only free aligned /28s -> 2 prefixes = 32 pod IPs.
    # 32 running, 8 ContainerCreating with InsufficientCidrBlocks.
    sn = Subnet("10.0.0.0/26", "zone-a")
    g = NodeGroup(
        "ng",
        "m5.large",
        1,
        max_pods=110,
        zones=("zone-a",),
        subnets=(sn,),
        cni=VpcCni(prefix_delegation=True),
    )
    result = podcap.simulate(Cluster([g]), [_deployment("app", 40)])
    w = _workload(result, "app")
    assert (int(w["running"]), int(w["container_creating"])) == (32, 8)
    assert "InsufficientCidrBlocks" in w["reason"]
    _check_adds_up(result)
    r = result.subnets.iloc[0]
    # 64 = 5 AWS + 0 + 1 node primary + 32 pods + 0 warm + 26 free (64 - 5 - 1 - 32)
    assert [int(r[c]) for c in ADDRESS_COLUMNS] == [5, 0, 1, 32, 0, 26]
    assert int(r["free_28_blocks"]) == 0


def test_pd_node_in_a_slash_28_gets_no_prefix() -> None:
    # A /28 holds AWS's .0-.3 and .15, so it never has a free aligned /28 block: every pod of a
    # PD node in it waits (InsufficientCidrBlocks) while 10 single addresses are still free.
    sn = Subnet("10.0.0.0/28", "zone-a")
    g = NodeGroup(
        "ng",
        "m5.large",
        1,
        max_pods=110,
        zones=("zone-a",),
        subnets=(sn,),
        cni=VpcCni(prefix_delegation=True),
    )
    result = podcap.simulate(Cluster([g]), [_deployment("app", 5)])
    w = _workload(result, "app")
    assert (int(w["running"]), int(w["container_creating"])) == (0, 5)
    assert "InsufficientCidrBlocks" in w["reason"]
    assert int(result.subnets.iloc[0]["free"]) == 16 - 5 - 1


def test_subnets_frame_in_a_roomy_subnet() -> None:
    # 1 m5.large, 10 pods, WARM_ENI_TARGET=1: n = ceil(10/9) + 1 = 3 ENIs, 27 IPs.
    # used_by_nodes 3 (ENI primaries), used_by_pods 10, held_warm 27 - 10 = 17,
    # free 256 - 5 - 3 - 27 = 221.  With podcap's lowest-first allocation the 30 addresses are
    # .4-.33, so blocks 0, 1, 2 and 15 (.255) are not free: 16 - 4 = 12 free /28 blocks.
    sn = Subnet("10.0.0.0/24", "zone-a", name="nodes-a")
    result = podcap.simulate(
        Cluster([NodeGroup("ng", "m5.large", 1, zones=("zone-a",), subnets=(sn,))]),
        [_deployment("app", 10)],
    )
    assert int(_workload(result, "app")["running"]) == 10
    _check_adds_up(result)
    r = result.subnets.iloc[0]
    assert (r["subnet"], r["name"], r["zone"], int(r["size"])) == (
        "10.0.0.0/24",
        "nodes-a",
        "zone-a",
        256,
    )
    assert [int(r[c]) for c in ADDRESS_COLUMNS] == [5, 0, 3, 10, 17, 221]
    assert int(r["free_28_blocks"]) == 12


def test_no_subnets_gives_an_empty_frame() -> None:
    result = podcap.simulate(Cluster([NodeGroup("ng", "m5.large", 1)]), [_deployment("app", 3)])
    assert result.subnets.empty
    assert list(result.subnets.columns) == SUBNET_COLUMNS


def test_custom_networking_pod_addresses_from_the_pod_subnet() -> None:
    # Custom networking, m5.large: Ep = 3 - 1 = 2 pod ENIs (WARM_POOL_NOTES.md section 9).
    # 10 pods, W=1: n = ceil(10/9) + 1 = 2 pod ENIs, 18 secondary IPs.
    # Node subnet: only the node's primary address.  Pod subnet: 2 ENI primaries, 10 pod IPs,
    # 18 - 10 = 8 warm, free 256 - 5 - 2 - 18 = 231.
    node_sn = Subnet("10.0.0.0/24", "zone-a", name="nodes")
    pod_sn = Subnet("100.64.0.0/24", "zone-a", name="pods")
    cni = VpcCni(custom_networking=True, pod_subnets=(pod_sn,))
    g = NodeGroup("ng", "m5.large", 1, zones=("zone-a",), subnets=(node_sn,), cni=cni)
    result = podcap.simulate(Cluster([g]), [_deployment("app", 10)])
    assert int(_workload(result, "app")["running"]) == 10
    _check_adds_up(result)
    frame = result.subnets.set_index("name")
    nodes = frame.loc["nodes"]
    pods = frame.loc["pods"]
    assert [int(nodes[c]) for c in ADDRESS_COLUMNS] == [5, 0, 1, 0, 0, 250]
    assert [int(pods[c]) for c in ADDRESS_COLUMNS] == [5, 0, 2, 10, 8, 231]


def test_cluster_rejects_overlapping_subnets_at_construction() -> None:
    a = podcap.NodeGroup(
        "a", "m5.large", 1, zones=["z1"], subnets=[podcap.Subnet("10.0.0.0/24", "z1")]
    )
    b = podcap.NodeGroup(
        "b", "m5.large", 1, zones=["z1"], subnets=[podcap.Subnet("10.0.0.128/25", "z1")]
    )
    with pytest.raises(podcap.InvalidSpecError, match=r"10\.0\.0\.0/24.*10\.0\.0\.128/25"):
        podcap.Cluster([a, b])


def test_pod_subnet_in_a_zone_the_group_does_not_use() -> None:
    cni = podcap.VpcCni(
        custom_networking=True,
        pod_subnets=[podcap.Subnet("100.64.0.0/20", "z1"), podcap.Subnet("100.64.16.0/20", "z9")],
    )
    with pytest.raises(podcap.InvalidSpecError, match="z9"):
        podcap.NodeGroup(
            "a", "m5.large", 1, zones=["z1"], subnets=[podcap.Subnet("10.0.0.0/24", "z1")], cni=cni
        )
