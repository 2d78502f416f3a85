"""The VPC CNI's IP address management on a node: warm pool, subnet addresses, what-ifs.

Public functions take instance type names and :class:`~podcap.model.specs.VpcCni` settings; the
arithmetic lives in :mod:`podcap.kernels.warmpool`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from podcap import kernels
from podcap.errors import InvalidOptionError, MissingInstanceDataError
from podcap.kernels.addresses import FREE, PREFIX_ONLY, USED, allocate_prefixes, allocate_singles
from podcap.kernels.maxpods import PREFIX_SIZE
from podcap.kernels.warmpool import warm_pool_prefixes, warm_pool_secondary
from podcap.model.capacity import max_pods, other_card_enis, pod_ip_capacity
from podcap.model.instances import lookup
from podcap.model.specs import VpcCni
from podcap.model.subnets import Subnet

__all__ = [
    "NodePool",
    "compare_warm_settings",
    "default_max_pods",
    "node_pool",
    "rollout_addresses",
    "subnet_capacity",
    "warm_pool",
]

Ints = npt.NDArray[np.int64]
Bools = npt.NDArray[np.bool_]


@dataclass(frozen=True)
class NodePool:
    """Steady-state VPC CNI holdings of nodes (arrays, one value per node)."""

    prefix_mode: Bools
    enis: Ints  # ENIs attached in total (primary, pod ENIs, trunk)
    secondary_ips: Ints
    prefixes: Ints
    pod_ips_held: Ints  # addresses held for pods (secondary IPs or 16 per prefix)
    node_subnet_addresses: Ints
    pod_subnet_addresses: Ints
    extra_eni_primaries: Ints  # ENI primary addresses beyond the node's own
    stable: Bools

    @property
    def subnet_addresses(self) -> Ints:
        """All subnet addresses held [addresses]."""
        return self.node_subnet_addresses + self.pod_subnet_addresses


def _other_enis(cols: Any, i: int, cni: VpcCni) -> int:
    """ENIs on the other network cards of type row ``i`` with ``ENABLE_MULTI_NIC``."""
    return int(
        other_card_enis(
            cols.enis[i], cols.max_enis_all_cards[i], max_eni=cni.max_eni, multi_nic=cni.multi_nic
        )
    )


def node_pool(
    enis: Ints,
    ipv4_per_eni: Ints,
    prefix_capable: Bools,
    trunking: Bools,
    pods: Ints,
    max_pods_: Ints,
    cni: VpcCni,
    branch_pods: Ints | int = 0,
    other_enis: Ints | int = 0,
) -> NodePool:
    """What the VPC CNI holds on each node at ``pods`` address-consuming pods (vectorized).

    Parameters
    ----------
    enis, ipv4_per_eni : array of int
        Instance limits (default network card).
    prefix_capable : array of bool
        Nitro or bare metal.
    trunking : array of bool
        Trunking-compatible types (security groups for pods).
    pods : array of int
        Pods needing a VPC address from the pool [pods].
    max_pods_ : array of int
        kubelet maxPods [pods].
    cni : VpcCni
    branch_pods : array of int or int
        Security-group pods (one branch ENI, one address each) [pods].
    other_enis : array of int or int
        ENIs ipamd manages on the other network cards (``ENABLE_MULTI_NIC``:
        :func:`podcap.model.capacity.other_card_enis`) [count].
    """
    n = np.broadcast(enis, pods).shape
    p = np.broadcast_to(np.asarray(pods, dtype=np.int64), n)
    branch = np.broadcast_to(np.asarray(branch_pods, dtype=np.int64), n)
    trunk = (np.asarray(trunking, dtype=bool) & cni.pod_eni).astype(np.int64) * np.ones(n, np.int64)
    zeros = np.zeros(n, dtype=np.int64)
    if cni.ip_family == "ipv6":
        one = np.ones(n, dtype=np.int64)
        return NodePool(
            np.zeros(n, bool),
            one + trunk,
            zeros,
            one,
            np.full(n, kernels.IPV6_POD_ADDRESSES),
            one + trunk + branch,
            zeros,
            trunk + branch,
            np.ones(n, bool),
        )
    ep = np.asarray(
        kernels.usable_pod_enis(
            np.asarray(enis, dtype=np.int64),
            np.asarray(trunking, dtype=bool),
            custom_networking=cni.custom_networking,
            pod_eni=cni.pod_eni,
            max_eni=cni.max_eni,
        ),
        dtype=np.int64,
    ) + np.asarray(other_enis, dtype=np.int64)
    slots = np.asarray(ipv4_per_eni, dtype=np.int64) - 1
    w = cni.warm_settings
    pd_mode = np.asarray(prefix_capable, dtype=bool) & cni.prefixes
    pd_mode = np.broadcast_to(pd_mode, n)
    n_sec, ips, st_sec = warm_pool_secondary(
        p,
        ep,
        slots,
        max_pods_,
        warm_eni_target=w["warm_eni_target"],
        warm_ip_target=w["warm_ip_target"],
        minimum_ip_target=w["minimum_ip_target"],
    )
    n_pd, prefixes, st_pd = warm_pool_prefixes(
        p,
        ep,
        slots,
        max_pods_,
        warm_prefix_target=w["warm_prefix_target"],
        warm_ip_target=w["warm_ip_target"],
        minimum_ip_target=w["minimum_ip_target"],
    )
    pod_enis = np.where(pd_mode, n_pd, n_sec).astype(np.int64)
    secondary = np.where(pd_mode, 0, ips).astype(np.int64)
    prefixes = np.where(pd_mode, prefixes, 0).astype(np.int64)
    held = secondary + PREFIX_SIZE * prefixes
    stable = np.where(pd_mode, st_pd, st_sec).astype(bool)
    if cni.custom_networking:
        total = 1 + pod_enis + trunk
        node_addr = 1 + trunk + branch
        pod_addr = pod_enis + held
        extra = pod_enis + trunk + branch
    else:
        total = np.maximum(pod_enis, 1) + trunk
        node_addr = total + held + branch
        pod_addr = zeros
        extra = total - 1 + branch
    return NodePool(pd_mode, total, secondary, prefixes, held, node_addr, pod_addr, extra, stable)


def _unstable_note(cni: VpcCni, pool: NodePool) -> npt.NDArray[np.object_]:
    notes = np.full(pool.enis.shape, "", dtype=object)
    w = cni.warm_settings
    bad = ~pool.stable
    if not bad.any():
        return notes
    if w["warm_ip_target"] == 0 and w["minimum_ip_target"] == 0:
        pd_text = (
            "WARM_PREFIX_TARGET=0 without WARM_IP_TARGET/MINIMUM_IP_TARGET is not supported with "
            "prefix delegation: ipamd frees and re-allocates prefixes (the pool flaps)"
        )
        sec_text = (
            "WARM_ENI_TARGET=0 with pods filling whole ENIs: ipamd attaches an ENI, finds it "
            "unused and frees it again (the pool flaps)"
        )
        notes[bad] = np.where(pool.prefix_mode[bad], pd_text, sec_text)
    return notes


def default_max_pods(instance_type: Any, cni: VpcCni, table: pd.DataFrame | None = None) -> Any:
    """maxPods the AWS calculator recommends for these CNI settings (uncapped where vCPUs are
    unknown)."""
    opts = {
        "prefix_delegation": cni.prefix_delegation,
        "custom_networking": cni.custom_networking,
        "cni_version": cni.cni_version,
    }
    if cni.max_eni is not None:
        opts["max_eni"] = cni.max_eni
    try:
        return max_pods(instance_type, policy="calculator", table=table, **opts)
    except MissingInstanceDataError:
        return max_pods(
            instance_type, policy="calculator", show_max_allowed=True, table=table, **opts
        )


def warm_pool(
    instance_type: str,
    pods: Any,
    *,
    cni: VpcCni | None = None,
    max_pods: int | None = None,
    branch_pods: int = 0,
    table: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """What the VPC CNI holds on one node at each pod count, in steady state.

    Parameters
    ----------
    instance_type : str
        EC2 instance type.
    pods : int or array-like of int
        Pods on the node that need a VPC address (not hostNetwork, not security-group pods)
        [pods].
    cni : VpcCni, optional
        Settings (warm targets, prefix delegation, custom networking, MAX_ENI, ...).
    max_pods : int, optional
        kubelet maxPods [pods]; default the AWS calculator's value for these settings.  The
        pool does not grow past it.
    branch_pods : int
        Security-group pods (branch ENIs, one address each) [pods].
    table : pandas.DataFrame, optional
        Instance table.

    Returns
    -------
    pandas.DataFrame
        One row per pod count: ``pods``, ``enis`` (attached, including the primary and the
        trunk ENI), ``secondary_ips``, ``prefixes`` (/28), ``pod_ips_available`` (pods that can
        get an address: fewer than ``pods`` only when the pool stops at MINIMUM_IP_TARGET or the
        instance limit), ``subnet_addresses`` (ENI primaries + secondary IPs or 16 per prefix +
        branch ENIs), ``node_subnet_addresses`` / ``pod_subnet_addresses`` (the split under
        custom networking), ``stable`` and ``note`` (why a state flaps).

    Examples
    --------
    >>> warm_pool("t3.small", [0, 5, 9])[["pods", "enis", "secondary_ips"]].values.tolist()
    [[0, 1, 3], [5, 3, 9], [9, 3, 9]]
    """
    cni = cni or VpcCni()
    if not isinstance(cni, VpcCni):
        raise InvalidOptionError(f"cni must be a podcap.VpcCni, got {type(cni).__name__}")
    p = np.atleast_1d(np.asarray(pods))
    if p.ndim != 1 or not np.issubdtype(p.dtype, np.integer) or (p < 0).any():
        raise InvalidOptionError(
            f"pods must be a whole number >= 0 or a list of them, got {pods!r}"
        )
    if not isinstance(branch_pods, int) or isinstance(branch_pods, bool) or branch_pods < 0:
        raise InvalidOptionError(f"branch_pods must be an integer >= 0, got {branch_pods!r}")
    cols, pos = lookup(np.array([instance_type], dtype=object), table)
    i = int(pos[0])
    mp = default_max_pods(instance_type, cni, table) if max_pods is None else max_pods
    if isinstance(mp, bool) or not isinstance(mp, (int, np.integer)) or mp < 1:
        raise InvalidOptionError(f"max_pods must be an integer >= 1 or None, got {max_pods!r}")
    if (p > mp).any():
        raise InvalidOptionError(
            f"pods {int(p.max())} exceed the node's maxPods {int(mp)}: the scheduler would not "
            "place them; give max_pods or fewer pods"
        )
    n = p.shape[0]
    pool = node_pool(
        np.full(n, cols.enis[i]),
        np.full(n, cols.ipv4_per_eni[i]),
        np.full(n, bool(cols.prefix_capable[i])),
        np.full(n, bool(cols.trunking[i])),
        p.astype(np.int64),
        np.full(n, int(mp), dtype=np.int64),
        cni,
        branch_pods,
        _other_enis(cols, i, cni),
    )
    capacity = pod_ip_capacity_for(instance_type, cni, table)
    return pd.DataFrame(
        {
            "pods": p.astype(np.int64),
            "enis": pool.enis,
            "secondary_ips": pool.secondary_ips,
            "prefixes": pool.prefixes,
            "pod_ips_available": np.minimum(p, np.minimum(pool.pod_ips_held, capacity)),
            "subnet_addresses": pool.subnet_addresses,
            "node_subnet_addresses": pool.node_subnet_addresses,
            "pod_subnet_addresses": pool.pod_subnet_addresses,
            "stable": pool.stable,
            "note": _unstable_note(cni, pool),
        }
    )


def compare_warm_settings(
    instance_type: str,
    pods: int,
    settings: Mapping[str, VpcCni] | None = None,
    *,
    base: VpcCni | None = None,
    max_pods: int | None = None,
    table: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Which warm-pool setting wastes the fewest addresses at ``pods`` pods per node.

    Parameters
    ----------
    instance_type : str
    pods : int
        Address-consuming pods per node [pods].
    settings : mapping of label to VpcCni, optional
        Settings to compare; default the usual candidates (WARM_ENI_TARGET 1 and 0, WARM_IP_TARGET
        1, 2 and 5 with MINIMUM_IP_TARGET at the pod count, prefix delegation with
        WARM_PREFIX_TARGET 1 and with WARM_IP_TARGET 1).
    base : VpcCni, optional
        Settings the default candidates start from (custom networking, MAX_ENI, CNI version...).
    max_pods : int, optional
        kubelet maxPods (default per setting, as in :func:`warm_pool`).
    table : pandas.DataFrame, optional

    Returns
    -------
    pandas.DataFrame
        One row per setting, sorted by ``warm_addresses`` (subnet addresses held beyond the pods'
        own, ENI primary addresses included),
        with ``subnet_addresses``, ``pod_ips_available``, ``enis``, ``stable`` and ``note``.
    """
    if settings is None:
        b = replace(
            base or VpcCni(),
            prefix_delegation=False,
            warm_eni_target=None,
            warm_ip_target=None,
            minimum_ip_target=None,
            warm_prefix_target=None,
        )
        settings = {
            "WARM_ENI_TARGET=1 (default)": b,
            "WARM_ENI_TARGET=0": replace(b, warm_eni_target=0),
            f"WARM_IP_TARGET=1, MINIMUM_IP_TARGET={pods}": replace(
                b, warm_ip_target=1, minimum_ip_target=pods
            ),
            f"WARM_IP_TARGET=2, MINIMUM_IP_TARGET={pods}": replace(
                b, warm_ip_target=2, minimum_ip_target=pods
            ),
            "WARM_IP_TARGET=5": replace(b, warm_ip_target=5),
            "prefix delegation, WARM_PREFIX_TARGET=1": replace(b, prefix_delegation=True),
            "prefix delegation, WARM_IP_TARGET=1": replace(
                b, prefix_delegation=True, warm_ip_target=1
            ),
        }
    rows = []
    for label, cni in settings.items():
        try:
            r = warm_pool(instance_type, pods, cni=cni, max_pods=max_pods, table=table).iloc[0]
        except InvalidOptionError as exc:  # e.g. more pods than this setting's maxPods
            rows.append(
                {
                    "setting": label,
                    "pods": pods,
                    "pod_ips_available": 0,
                    "enis": 0,
                    "subnet_addresses": 0,
                    "warm_addresses": 0,
                    "stable": False,
                    "note": str(exc),
                }
            )
            continue
        rows.append(
            {
                "setting": label,
                "pods": pods,
                "pod_ips_available": int(r["pod_ips_available"]),
                "enis": int(r["enis"]),
                "subnet_addresses": int(r["subnet_addresses"]),
                "warm_addresses": int(r["subnet_addresses"]) - int(r["pod_ips_available"]),
                "stable": bool(r["stable"]),
                "note": r["note"],
            }
        )
    frame = pd.DataFrame(rows)
    feasible = frame["pod_ips_available"] > 0
    frame = frame.assign(_bad=~feasible).sort_values(
        ["_bad", "warm_addresses", "setting"], kind="stable"
    )
    return frame.drop(columns="_bad").reset_index(drop=True)


def _as_subnet(subnet: Any) -> Subnet:
    if isinstance(subnet, Subnet):
        return subnet
    if isinstance(subnet, str):
        return Subnet(subnet, "zone-a")
    raise InvalidOptionError(f"subnet must be a podcap.Subnet or a CIDR string, got {subnet!r}")


def _full_pods(instance_type: str, cni: VpcCni, mp: int, table: pd.DataFrame | None) -> int:
    ip_cap = (
        kernels.IPV6_POD_ADDRESSES
        if cni.ip_family == "ipv6"
        else pod_ip_capacity_for(instance_type, cni, table)
    )
    return max(min(mp - 2, ip_cap), 0)


def pod_ip_capacity_for(instance_type: str, cni: VpcCni, table: pd.DataFrame | None = None) -> int:
    """Pod IPs of one node of ``instance_type`` under ``cni`` [addresses]."""
    return int(
        pod_ip_capacity(
            instance_type,
            prefix_delegation=cni.prefix_delegation,
            custom_networking=cni.custom_networking,
            pod_eni=cni.pod_eni,
            max_eni=cni.max_eni,
            ip_family=cni.ip_family,
            cni_version=cni.cni_version,
            table=table,
        )
    )


def _nodes_that_fit(subnet: Subnet, per_node: NodePool, row: int) -> int:
    """Most nodes, each holding ``per_node[row]``'s addresses, that the subnet can serve in full."""
    singles = 1 + int(per_node.extra_eni_primaries[row]) + int(per_node.secondary_ips[row])
    prefixes = int(per_node.prefixes[row])
    base = subnet.initial_state()

    def fits(k: int) -> bool:
        st = base.copy()
        got = allocate_singles(st, np.full(k, singles, dtype=np.int64), USED)
        if (got < singles).any():
            return False
        if prefixes:
            got_p = allocate_prefixes(st, np.full(k, prefixes, dtype=np.int64), USED)
            if (got_p < prefixes).any():
                return False
        return True

    lo, hi = 0, subnet.size
    while lo < hi:  # largest k with fits(k); fits is monotone in k
        mid = (lo + hi + 1) // 2
        if fits(mid):
            lo = mid
        else:
            hi = mid - 1
    return lo


def subnet_capacity(
    subnet: Subnet | str,
    instance_type: str,
    *,
    cni: VpcCni | None = None,
    max_pods: int | None = None,
    pods_per_node: int | None = None,
    table: pd.DataFrame | None = None,
) -> pd.Series:
    """How many nodes of a type, and how many pods, fit in a subnet under these settings.

    Parameters
    ----------
    subnet : Subnet or str
        The subnet (a CIDR string is a subnet with nothing in use).
    instance_type : str
    cni : VpcCni, optional
    max_pods : int, optional
        kubelet maxPods (default: the AWS calculator's value for these settings).
    pods_per_node : int, optional
        Address-consuming pods per node at full load [pods]; default ``maxPods - 2`` (the two
        host-network DaemonSet pods), at most the node's pod IPs.
    table : pandas.DataFrame, optional

    Returns
    -------
    pandas.Series
        ``usable_addresses`` (size minus AWS's 5, reservations and addresses in use),
        ``pods_per_node``, ``addresses_per_node_idle`` and ``addresses_per_node_full`` (warm
        pool included), ``max_nodes_idle`` (nodes that can start and hold their idle warm
        pool), ``max_nodes_full`` and ``max_pods`` (nodes at full load, and their pods).
    """
    cni = cni or VpcCni()
    sn = _as_subnet(subnet)
    mp = int(default_max_pods(instance_type, cni, table)) if max_pods is None else max_pods
    full = _full_pods(instance_type, cni, mp, table) if pods_per_node is None else pods_per_node
    if isinstance(full, bool) or not isinstance(full, int) or full < 0:
        raise InvalidOptionError(f"pods_per_node must be an integer >= 0, got {pods_per_node!r}")
    frame = warm_pool(instance_type, [0, full], cni=cni, max_pods=mp, table=table)
    cols, pos = lookup(np.array([instance_type], dtype=object), table)
    i = int(pos[0])
    pool = node_pool(
        np.full(2, cols.enis[i]),
        np.full(2, cols.ipv4_per_eni[i]),
        np.full(2, bool(cols.prefix_capable[i])),
        np.full(2, bool(cols.trunking[i])),
        np.array([0, full], dtype=np.int64),
        np.full(2, mp, dtype=np.int64),
        cni,
        0,
        _other_enis(cols, i, cni),
    )
    usable = int(
        np.count_nonzero((sn.initial_state() == FREE) | (sn.initial_state() == PREFIX_ONLY))
    )
    nodes_full = _nodes_that_fit(sn, pool, 1)
    available = int(frame["pod_ips_available"].iloc[1])
    return pd.Series(
        {
            "subnet": sn.cidr,
            "instance_type": instance_type,
            "usable_addresses": usable,
            "pods_per_node": available,
            "addresses_per_node_idle": int(frame["subnet_addresses"].iloc[0]),
            "addresses_per_node_full": int(frame["subnet_addresses"].iloc[1]),
            "max_nodes_idle": _nodes_that_fit(sn, pool, 0),
            "max_nodes_full": nodes_full,
            "max_pods": nodes_full * available,
        }
    )


def rollout_addresses(
    instance_type: str,
    replicas: int,
    nodes: int,
    *,
    cni: VpcCni | None = None,
    max_pods: int | None = None,
    table: pd.DataFrame | None = None,
) -> pd.Series:
    """Subnet addresses a rollout of ``replicas`` pods over ``nodes`` nodes holds.

    The replicas are spread evenly (as the scheduler's spreading does on identical nodes); each
    node holds its steady-state warm pool.

    Parameters
    ----------
    instance_type : str
    replicas : int
        Address-consuming pods [pods].
    nodes : int
        Nodes they spread over [count].
    cni : VpcCni, optional
    max_pods : int, optional
        kubelet maxPods (default: the AWS calculator's value for these settings).
    table : pandas.DataFrame, optional

    Returns
    -------
    pandas.Series
        ``replicas``, ``nodes``, ``pods_per_node`` (max), ``subnet_addresses`` (node primaries,
        ENIs, secondary IPs / prefixes), ``pod_addresses`` (those the pods use) and
        ``warm_addresses`` (held but unused), ``pods_without_address`` (beyond the nodes' pod IPs).
    """
    for name, value in (("replicas", replicas), ("nodes", nodes)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise InvalidOptionError(f"{name} must be an integer >= 0, got {value!r}")
    if nodes == 0:
        raise InvalidOptionError("nodes must be at least 1 to place replicas")
    per = np.full(nodes, replicas // nodes, dtype=np.int64)
    per[: replicas % nodes] += 1
    frame = warm_pool(instance_type, per, cni=cni, max_pods=max_pods, table=table)
    got = int(frame["pod_ips_available"].sum())
    total = int(frame["subnet_addresses"].sum())
    return pd.Series(
        {
            "instance_type": instance_type,
            "replicas": replicas,
            "nodes": nodes,
            "pods_per_node": int(per.max()),
            "subnet_addresses": total,
            "pod_addresses": got,
            "warm_addresses": int((frame["subnet_addresses"] - frame["pod_ips_available"]).sum())
            - int(frame["enis"].sum()),
            "eni_primary_addresses": int(frame["enis"].sum()),
            "pods_without_address": replicas - got,
        }
    )
