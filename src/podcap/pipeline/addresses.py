"""Pod addresses after scheduling: node launches, the VPC CNI's pod IPs, warm pools, subnets.

Nodes take their primary address in node order (a node without one does not start); after
scheduling, the pods on each node that need a VPC address are served first (in node order),
then every node's warm pool; pods beyond what a node can get stay in ContainerCreating.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from podcap import kernels
from podcap.kernels.addresses import allocate_prefixes, allocate_singles, discover_subnets
from podcap.model.capacity import other_card_enis
from podcap.model.fleet import Fleet
from podcap.model.instances import TypeFacts
from podcap.model.ipam import NodePool, node_pool
from podcap.model.specs import VpcCni
from podcap.model.subnets import (
    NODE,
    POD,
    PRE_USED,
    SubnetState,
)

__all__ = ["CNI_ERROR", "launch", "pod_address_limits", "subnet_error", "subnets_frame"]

CNI_ERROR = (
    'Failed to create pod sandbox: plugin type="aws-cni" name="aws-cni" failed (add): '
    "add cmd: failed to assign an IP address to container"
)


def _node_subnets(fleet: Fleet) -> tuple[npt.NDArray[np.object_], npt.NDArray[np.object_]]:
    """Per node: the CIDR of its node subnet and of its pod subnet ('' when none is modelled):
    the last subnet a node's group gives for its zone (its CNI's pod subnets win for pods)."""
    width = len(fleet.zones) + 1  # a column for nodes of unknown zone, which have none
    node_of = np.full((len(fleet.groups), width), "", dtype=object)
    pod_of = np.full((len(fleet.groups), width), "", dtype=object)
    for gi, g in enumerate(fleet.groups):
        cni = g.cni_settings
        for sn in g.subnets:
            z = fleet.zones.index(sn.zone)
            node_of[gi, z] = sn.cidr
            pod_of[gi, z] = sn.cidr
        for sn in cni.pod_subnets:
            if sn.zone in fleet.zones:
                pod_of[gi, fleet.zones.index(sn.zone)] = sn.cidr
    zone = np.where(fleet.zone < 0, width - 1, fleet.zone)
    return node_of[fleet.group, zone], pod_of[fleet.group, zone]


def _discovery_candidates(fleet: Fleet, node_sn: npt.NDArray[np.object_]) -> dict[int, list[str]]:
    """Per node whose new secondary ENIs subnet discovery places: its node subnet, then its
    CNI's tagged subnets of its zone (nodes without a tagged subnet in their zone: none)."""
    out: dict[int, list[str]] = {}
    tagged_of: dict[tuple[int, int], list[str]] = {}
    for gi, g in enumerate(fleet.groups):
        cni = g.cni_settings
        if g.pod_network is not None or not cni.discovers_subnets:
            continue
        for sn in cni.discovery_subnets:
            if sn.zone in fleet.zones:
                tagged_of.setdefault((gi, fleet.zones.index(sn.zone)), []).append(sn.cidr)
    if not tagged_of:
        return out
    for i in range(fleet.size):
        tagged = tagged_of.get((int(fleet.group[i]), int(fleet.zone[i])))
        if tagged and node_sn[i]:
            out[i] = [str(node_sn[i]), *tagged]
    return out


def _positions(values: npt.NDArray[Any]) -> dict[Any, npt.NDArray[np.intp]]:
    """Per distinct value, the positions that hold it, in order (one pass over ``values``
    instead of one comparison of every node per subnet or group)."""
    codes, uniques = pd.factorize(values)
    order = np.argsort(codes, kind="stable")
    bounds = np.searchsorted(codes[order], np.arange(len(uniques) + 1))
    return {value: order[bounds[u] : bounds[u + 1]] for u, value in enumerate(uniques.tolist())}


def launch(fleet: Fleet) -> tuple[Fleet, SubnetState | None, pd.DataFrame]:
    """Nodes take their primary address in node order; those that get none do not start."""
    started = np.ones(fleet.size, dtype=bool)
    subnet_state: SubnetState | None = None
    all_subnets = [sn for g in fleet.groups for sn in g.all_subnets]
    reasons: dict[int, str] = {}
    if all_subnets:
        subnet_state = SubnetState.of(all_subnets)
        node_sn, _ = _node_subnets(fleet)
        on_subnet = _positions(node_sn)
        none = np.zeros(0, dtype=np.intp)
        for cidr, st in subnet_state.state.items():
            sel = on_subnet.get(cidr, none)
            granted = allocate_singles(st, np.ones(sel.shape[0], dtype=np.int64), NODE)
            failed = sel[granted == 0]
            started[failed] = False
            for gi in np.unique(fleet.group[failed]):
                reasons[int(gi)] = (
                    f"InsufficientFreeAddressesInSubnet: subnet {cidr} has no free address for "
                    "the node's primary network interface"
                )
    for gi, reason in _without_node_cidr(fleet, started).items():
        reasons.setdefault(gi, reason)
    counts = np.bincount(fleet.group, minlength=len(fleet.groups))
    up = np.bincount(fleet.group[started], minlength=len(fleet.groups))
    frame = pd.DataFrame(
        {
            "node_group": [g.name for g in fleet.groups],
            "instance_type": [g.instance_type for g in fleet.groups],
            "nodes": counts.astype(np.int64),
            "started": up.astype(np.int64),
            "not_started": (counts - up).astype(np.int64),
            "reason": [reasons.get(i, "") for i in range(len(fleet.groups))],
        }
    )
    if started.all():
        return fleet, subnet_state, frame
    return fleet.take(started), subnet_state, frame


def _without_node_cidr(fleet: Fleet, started: npt.NDArray[np.bool_]) -> dict[int, str]:
    """Nodes of an overlay pod network beyond its node CIDR blocks get no pod CIDR from
    kube-controller-manager (event ``CIDRNotAvailable``); their CNI has no addresses, so they do
    not become Ready.  Blocks go to nodes in node order; ``started`` is updated in place."""
    reasons: dict[int, str] = {}
    by_network: dict[tuple[str, int], list[int]] = {}
    for gi, g in enumerate(fleet.groups):
        net = g.pod_network
        if net is not None and net.per_node:
            by_network.setdefault((net.cluster_cidr, net.node_cidr_mask_size), []).append(gi)
    for (cidr, mask), group_ids in by_network.items():
        blocks = fleet.groups[group_ids[0]].pod_network.node_blocks  # type: ignore[union-attr]
        nodes = np.flatnonzero(np.isin(fleet.group, group_ids) & started)
        over = nodes[blocks:]
        if over.size == 0:
            continue
        started[over] = False
        for gi in np.unique(fleet.group[over]):
            reasons[int(gi)] = (
                f"CIDRNotAvailable: the pod network {cidr} holds {blocks} node CIDRs of /{mask}; "
                "a node beyond them gets no pod CIDR and its pods no address"
            )
    return reasons


def pod_address_limits(
    fleet: Fleet,
    ip_pods: npt.NDArray[np.int64],
    branch_pods: npt.NDArray[np.int64],
    subnet_state: SubnetState | None,
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.bool_]]:
    """Per node: pods that can get a VPC address, and whether the subnet was the limit."""
    limit = fleet.pod_ips.copy()
    short = np.zeros(fleet.size, dtype=bool)
    # the groups with VPC addresses, by CNI settings (an overlay's pods take node-CIDR
    # addresses, fleet.pod_ips, no VPC ones): the address model runs once per settings
    in_group = _positions(fleet.group)
    batches: dict[VpcCni, list[int]] = {}  # frozen settings, equal ones one key
    for gi, g in enumerate(fleet.groups):
        if gi in in_group and g.pod_network is None:
            batches.setdefault(g.cni_settings, []).append(gi)
    facts = fleet.facts
    enis = np.array([f.enis for f in facts], dtype=np.int64)
    per_eni = np.array([f.ipv4_per_eni for f in facts], dtype=np.int64)
    capable = np.array([f.prefix_capable for f in facts], dtype=bool)
    trunking = np.array([f.trunking for f in facts], dtype=bool)
    pools: list[tuple[npt.NDArray[np.intp], VpcCni, NodePool, npt.NDArray[np.int64]]] = []
    for cni, members in batches.items():
        idx = np.sort(np.concatenate([in_group[gi] for gi in members]))
        grp = fleet.group[idx]
        other = np.zeros(len(facts), dtype=np.int64)
        other[members] = [_other_enis(facts[gi], cni) for gi in members]
        others = other[grp]
        pool = node_pool(
            enis[grp],
            per_eni[grp],
            capable[grp],
            trunking[grp],
            ip_pods[idx],
            fleet.pods_alloc[idx],
            cni,
            branch_pods[idx],
            others,
        )
        w = cni.warm_settings
        if w["minimum_ip_target"] > 0 and w["warm_ip_target"] == 0:
            # MINIMUM_IP_TARGET alone: ipamd stops allocating once the minimum is held
            limit[idx] = np.minimum(limit[idx], pool.pod_ips_held)
        pools.append((idx, cni, pool, others))
    if subnet_state is None:
        return limit, short
    node_sn, pod_sn = _node_subnets(fleet)
    n = fleet.size
    extra = np.zeros(n, dtype=np.int64)  # pod ENIs' primary addresses (beyond the node's own)
    secondary = np.zeros(n, dtype=np.int64)
    prefixes = np.zeros(n, dtype=np.int64)
    prefix_mode = np.zeros(n, dtype=bool)
    ipv6 = np.zeros(n, dtype=bool)
    slots = np.ones(n, dtype=np.int64)
    first_free = np.zeros(n, dtype=np.int64)
    trunk = np.zeros(n, dtype=np.int64)
    for idx, cni, pool, _ in pools:
        grp = fleet.group[idx]
        trunk[idx] = trunking[grp] & cni.pod_eni
        extra[idx] = pool.extra_eni_primaries - trunk[idx] - branch_pods[idx]
        secondary[idx] = pool.secondary_ips
        prefixes[idx] = pool.prefixes
        prefix_mode[idx] = pool.prefix_mode
        ipv6[idx] = cni.ip_family == "ipv6"
        slots[idx] = np.maximum(per_eni[grp] - 1, 1)
        first_free[idx] = 0 if cni.custom_networking else slots[idx]
    # What the pods on each node need first, then the warm surplus: every node's pods are served
    # (in node order) before any node's warm pool.
    need_ips = np.minimum(ip_pods, secondary)
    need_eni_sec = -(-np.maximum(need_ips - first_free, 0) // slots)
    need_pfx = np.minimum(-(-ip_pods // 16), prefixes)
    eni_pfx_total = np.maximum(-(-prefixes // slots), np.where(first_free > 0, 1, 0))
    need_eni_pfx = np.maximum(-(-need_pfx // slots) - np.where(first_free > 0, 1, 0), 0)
    got_pod_ips = np.full(n, np.iinfo(np.int64).max, dtype=np.int64)
    wants_v4 = ~ipv6
    discovered = _discovery_candidates(fleet, node_sn)
    by_discovery = np.zeros(n, dtype=bool)
    by_discovery[list(discovered)] = True
    on_pod_subnet, on_node_subnet = _positions(pod_sn), _positions(node_sn)
    none = np.zeros(0, dtype=np.intp)
    for cidr, st in subnet_state.state.items():
        sel = on_pod_subnet.get(cidr, none)
        sel = sel[wants_v4[sel] & ~by_discovery[sel]]
        if sel.size:
            pdm = prefix_mode[sel]
            sec = ~pdm
            # pass 1: the pods' own addresses
            n_eni = np.where(sec, need_eni_sec[sel], need_eni_pfx[sel])
            got_eni = allocate_singles(st, n_eni, NODE)
            cap_sec = np.minimum(first_free[sel] + got_eni * slots[sel], need_ips[sel])
            got_sec = allocate_singles(st, np.where(sec, cap_sec, 0), POD)
            cap_pfx = np.minimum(
                (got_eni + np.where(first_free[sel] > 0, 1, 0)) * slots[sel], need_pfx[sel]
            )
            got_pfx = allocate_prefixes(st, np.where(pdm, cap_pfx, 0), POD)
            got_pod_ips[sel] = np.where(pdm, got_pfx * 16, got_sec)
            # pass 2: the warm surplus (more ENIs, IPs, prefixes), in node order
            more_eni = np.where(
                sec,
                extra[sel] - need_eni_sec[sel],
                eni_pfx_total[sel] - np.where(first_free[sel] > 0, 1, 0) - need_eni_pfx[sel],
            )
            allocate_singles(st, np.maximum(more_eni, 0), NODE)
            allocate_singles(st, np.where(sec, secondary[sel] - need_ips[sel], 0), POD)
            allocate_prefixes(st, np.where(pdm, prefixes[sel] - need_pfx[sel], 0), POD)
        # trunk and branch ENIs take their addresses in the node's own subnet
        nodes_here = on_node_subnet.get(cidr, none)
        if nodes_here.size:
            allocate_singles(st, trunk[nodes_here] + branch_pods[nodes_here], NODE)
    if discovered:
        new_enis = np.zeros(n, dtype=np.int64)
        for idx, cni, _, others in pools:
            grp = fleet.group[idx]
            ep = kernels.usable_pod_enis(
                enis[grp], trunking[grp], pod_eni=cni.pod_eni, max_eni=cni.max_eni
            )
            new_enis[idx] = np.maximum(np.asarray(ep, dtype=np.int64) + others - 1, 0)
        got = _discovery_addresses(
            subnet_state,
            discovered,
            np.where(prefix_mode, need_pfx, need_ips),
            np.where(prefix_mode, prefixes, secondary),
            slots,
            new_enis,
            prefix_mode,
        )
        for i, granted in got.items():
            got_pod_ips[i] = granted
    short = got_pod_ips < np.minimum(ip_pods, np.where(prefix_mode, prefixes * 16, secondary))
    limit = np.where(short, np.minimum(limit, got_pod_ips), limit)
    return limit, short


def _other_enis(facts: TypeFacts, cni: VpcCni) -> int:
    """ENIs ipamd manages on the type's other network cards (``ENABLE_MULTI_NIC``)."""
    return int(
        other_card_enis(
            facts.enis, facts.enis_all_cards, max_eni=cni.max_eni, multi_nic=cni.multi_nic
        )
    )


def _discovery_addresses(
    subnet_state: SubnetState,
    candidates: dict[int, list[str]],
    need: npt.NDArray[np.int64],
    total: npt.NDArray[np.int64],
    per_eni: npt.NDArray[np.int64],
    new_enis: npt.NDArray[np.int64],
    prefix_mode: npt.NDArray[np.bool_],
) -> dict[int, int]:
    """Pod addresses of the nodes whose secondary ENIs subnet discovery places.

    Units per node: secondary IPs, or /28 prefixes in prefix mode.  ``need``: what the node's
    pods need; ``total``: its steady-state pool; ``per_eni``: slots of one ENI; ``new_enis``:
    the most secondary ENIs it may attach.  As in the vectorised path, every node's pods are
    served (in node order) before any node's warm pool.  The primary ENI, in the node subnet,
    is filled first; a node that still needs addresses attaches a new ENI in the first subnet
    of :func:`~podcap.model.subnets.discovery_order` that holds the ENI's primary address and
    all its IPs / prefixes (EC2 creates an ENI whole or not at all, and ipamd tries the next
    subnet), else in the first that holds its primary address and at least one of them.  Pods
    use the addresses in the order they were granted (``SubnetState.pod_split``).  Returns pod
    addresses per node.

    Compiled (:func:`podcap.kernels.addresses.discover_subnets`): each subnet is scanned once in
    all, not once per ENI; the discovery order's counts
    (:func:`~podcap.model.subnets.available_addresses`) are kept as addresses are taken.
    """
    cidrs = list(dict.fromkeys(c for i in candidates for c in candidates[i]))
    index = {c: k for k, c in enumerate(cidrs)}
    nodes = np.array(sorted(candidates), dtype=np.intp)
    got, split = discover_subnets(
        [subnet_state.state[c] for c in cidrs],
        [[index[c] for c in candidates[int(i)]] for i in nodes],
        need[nodes],
        total[nodes],
        per_eni[nodes],
        new_enis[nodes],
        prefix_mode[nodes],
        NODE,
        POD,
    )
    scale = np.where(prefix_mode[nodes], 16, 1)
    for i, parts, k in zip(nodes.tolist(), split, scale.tolist(), strict=True):
        subnet_state.pod_split[i] = tuple((cidrs[c], units * k) for c, units in parts)
    return dict(zip(nodes.tolist(), (got * scale).tolist(), strict=True))


def subnet_error(fleet: Fleet, i: int, subnet_state: SubnetState | None) -> str:
    node_sn, pod_sn = _node_subnets(fleet)
    cidr = str(pod_sn[i])
    tried = _discovery_candidates(fleet, node_sn).get(i)
    gi = int(fleet.group[i])
    cni = fleet.groups[gi].cni_settings
    prefix_capable = fleet.facts[gi].prefix_capable
    if cni.prefixes and prefix_capable:
        code = "InsufficientCidrBlocks"
        what = "has no free, aligned /28 block for a prefix"
    else:
        code = "InsufficientFreeAddressesInSubnet"
        what = "has no free address left"
    if tried:
        subnets = f"subnets {', '.join(tried)} (subnet discovery)"
        what = what.replace("has no", "have no")
    else:
        subnets = f"subnet {cidr}"
    return f"{CNI_ERROR} (ipamd: {code}: {subnets} {what})"


def subnets_frame(
    fleet: Fleet, subnet_state: SubnetState | None, ips_used: npt.NDArray[np.int64]
) -> pd.DataFrame:
    columns = [
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
    if subnet_state is None:
        return pd.DataFrame(columns=columns)
    _, pod_sn = _node_subnets(fleet)
    rows = subnet_state.summary(
        {PRE_USED: "used_before", NODE: "used_by_nodes", POD: "pod_addresses"}
    )
    v4 = np.array([g.cni_settings.ip_family != "ipv6" for g in fleet.groups], dtype=bool)
    v4_nodes = v4[fleet.group] if fleet.size else np.zeros(0, dtype=bool)
    # the addresses each node's pods use, per subnet: its pod subnet, or with subnet discovery
    # the subnets of the addresses granted to its pods, in the order they were granted
    used_in: dict[str, int] = {}
    split = subnet_state.pod_split
    for i in np.flatnonzero(v4_nodes):
        left = int(ips_used[i])
        for cidr, count in split.get(int(i), ((str(pod_sn[i]), left),)):
            take = min(left, count)
            used_in[cidr] = used_in.get(cidr, 0) + take
            left -= take
    for r in rows:
        used = used_in.get(r["subnet"], 0)
        r["used_by_pods"] = used
        r["held_warm"] = r.pop("pod_addresses") - used
    return pd.DataFrame(rows, columns=columns)
