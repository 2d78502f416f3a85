"""VPC subnets: CIDR arithmetic, AWS reservations, addresses in use and /28 fragmentation.

A :class:`Subnet` is a spec.  :class:`SubnetState` is the mutable address map used by the
simulation (one numpy array per subnet, see :mod:`podcap.kernels.addresses`).
"""

from __future__ import annotations

import ipaddress
import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from podcap.errors import InvalidSpecError
from podcap.kernels.addresses import (
    AWS_RESERVED,
    BLOCK,
    EXPLICIT,
    FREE,
    PREFIX_ONLY,
    USED,
    free_aligned_blocks,
)

__all__ = [
    "Subnet",
    "SubnetReservation",
    "SubnetState",
    "available_addresses",
    "check_disjoint",
    "discovery_order",
]

#: Addresses AWS reserves in every subnet: the first four and the last (EC2 CreateSubnet docs).
AWS_RESERVED_COUNT = 5
# address codes of the simulation
PRE_USED = USED
NODE = USED + 1  # ENI primary addresses (nodes, extra ENIs, trunk, branch ENIs)
POD = USED + 2  # secondary IPs or prefix addresses


@dataclass(frozen=True)
class SubnetReservation:
    """A subnet CIDR reservation.

    Parameters
    ----------
    cidr : str
        The reserved range, inside the subnet.
    type : {"prefix", "explicit"}
        ``"prefix"``: only for /28 prefixes; ``"explicit"``: never assigned automatically.
    """

    cidr: str
    type: Literal["prefix", "explicit"] = "prefix"


def _network(cidr: Any, where: str) -> ipaddress.IPv4Network:
    try:
        net = ipaddress.ip_network(str(cidr), strict=True)
    except ValueError as exc:
        raise InvalidSpecError(
            f"{where}: invalid CIDR {cidr!r}: {exc}; expected e.g. '10.0.0.0/24'"
        ) from None
    if not isinstance(net, ipaddress.IPv4Network):
        raise InvalidSpecError(f"{where}: {cidr!r} is IPv6; podcap models IPv4 subnets")
    if not 16 <= net.prefixlen <= 28:
        raise InvalidSpecError(
            f"{where}: {cidr!r}: AWS subnets are /16 to /28, got /{net.prefixlen}"
        )
    return net


@dataclass(frozen=True)
class Subnet:
    """A VPC subnet in one availability zone.

    Parameters
    ----------
    cidr : str
        IPv4 CIDR, ``/16`` to ``/28`` (``"10.0.0.0/24"``).
    zone : str
        Availability zone.
    used : int or sequence of str
        Addresses already in use by other things: a count (taken from the lowest free addresses)
        or the addresses / CIDRs themselves.
    reservations : sequence
        Subnet CIDR reservations: :class:`SubnetReservation`, ``"cidr"`` (a prefix
        reservation) or ``{"cidr": ..., "type": "prefix" | "explicit"}``.
    name : str, optional
        A label (default the CIDR).
    """

    cidr: str
    zone: str
    used: int | tuple[str, ...] = 0
    reservations: tuple[SubnetReservation, ...] = field(default=())
    name: str = ""

    def __post_init__(self) -> None:
        where = f"Subnet {self.cidr!r}"
        net = _network(self.cidr, where)
        object.__setattr__(self, "cidr", str(net))
        if not isinstance(self.zone, str) or not self.zone:
            raise InvalidSpecError(f"{where}: zone must be a non-empty string, got {self.zone!r}")
        used: Any = self.used
        if isinstance(used, bool) or not isinstance(used, (int, str, Iterable)):
            raise InvalidSpecError(
                f"{where}: used must be a count or a list of addresses, got {used!r}"
            )
        if isinstance(used, int):
            if used < 0 or used > net.num_addresses - AWS_RESERVED_COUNT:
                raise InvalidSpecError(
                    f"{where}: used must be between 0 and {net.num_addresses - AWS_RESERVED_COUNT} "
                    f"(the usable addresses), got {used}"
                )
        else:
            items = (used,) if isinstance(used, str) else tuple(str(u) for u in used)
            for u in items:
                try:
                    sub = ipaddress.ip_network(u, strict=False)
                except ValueError:
                    raise InvalidSpecError(
                        f"{where}: used address {u!r} is not an IPv4 address or CIDR"
                    ) from None
                if not isinstance(sub, ipaddress.IPv4Network) or not sub.subnet_of(net):
                    raise InvalidSpecError(
                        f"{where}: used address {u!r} is outside {net} (IPv4 addresses only)"
                    )
            object.__setattr__(self, "used", items)
        res = []
        raw: Any = self.reservations
        if isinstance(raw, (str, dict, SubnetReservation)):
            raw = (raw,)
        for i, r in enumerate(raw or ()):
            rwhere = f"{where}.reservations[{i}]"
            if isinstance(r, str):
                r = SubnetReservation(r)
            elif isinstance(r, dict):
                r = SubnetReservation(str(r.get("cidr")), r.get("type", "prefix"))
            if not isinstance(r, SubnetReservation) or r.type not in ("prefix", "explicit"):
                raise InvalidSpecError(
                    f"{rwhere}: expected a CIDR and a type 'prefix' or 'explicit', got {r!r}"
                )
            rnet = _network_any(r.cidr, rwhere)
            if not rnet.subnet_of(net):
                raise InvalidSpecError(f"{rwhere}: {r.cidr} is outside {net}")
            res.append(SubnetReservation(str(rnet), r.type))
        nets = sorted(
            (ipaddress.IPv4Network(r.cidr) for r in res), key=lambda n: int(n.network_address)
        )
        for a, b in itertools.pairwise(nets):
            if a.overlaps(b):
                raise InvalidSpecError(f"{where}: reservations {a} and {b} overlap")
        object.__setattr__(self, "reservations", tuple(res))
        if not self.name:
            object.__setattr__(self, "name", str(net))

    @property
    def network(self) -> ipaddress.IPv4Network:
        """The subnet as an :class:`ipaddress.IPv4Network`."""
        return ipaddress.IPv4Network(self.cidr)

    @property
    def size(self) -> int:
        """Addresses in the CIDR [addresses]."""
        return self.network.num_addresses

    def initial_state(self) -> npt.NDArray[np.uint8]:
        """Address codes before any node starts: AWS reserved, reservations, addresses in use."""
        net = self.network
        state = np.full(net.num_addresses, FREE, dtype=np.uint8)
        base = int(net.network_address)
        for r in self.reservations:
            rnet = ipaddress.IPv4Network(r.cidr)
            lo = int(rnet.network_address) - base
            state[lo : lo + rnet.num_addresses] = EXPLICIT if r.type == "explicit" else PREFIX_ONLY
        state[:4] = AWS_RESERVED
        state[-1] = AWS_RESERVED
        if isinstance(self.used, int):
            free = np.flatnonzero(state == FREE)
            if self.used > free.shape[0]:
                raise InvalidSpecError(
                    f"Subnet {self.cidr!r}: used={self.used} but only {free.shape[0]} addresses are free "
                    "outside reservations"
                )
            state[free[: self.used]] = PRE_USED
        else:
            for u in self.used:
                sub = ipaddress.ip_network(u, strict=False)
                lo = int(sub.network_address) - base
                state[lo : lo + sub.num_addresses] = np.where(
                    state[lo : lo + sub.num_addresses] == AWS_RESERVED, AWS_RESERVED, PRE_USED
                )
        return state


def _network_any(cidr: str, where: str) -> ipaddress.IPv4Network:
    try:
        net = ipaddress.ip_network(str(cidr), strict=True)
    except ValueError as exc:
        raise InvalidSpecError(f"{where}: invalid CIDR {cidr!r}: {exc}") from None
    if not isinstance(net, ipaddress.IPv4Network):
        raise InvalidSpecError(f"{where}: {cidr!r} is not IPv4")
    return net


def check_disjoint(subnets: Sequence[Subnet]) -> None:
    """Raise if two different subnets overlap (the same CIDR twice must be the same subnet)."""
    seen: dict[str, Subnet] = {}
    for s in subnets:
        if s.cidr in seen and seen[s.cidr] != s:
            raise InvalidSpecError(f"subnet {s.cidr} is given twice with different settings")
        seen[s.cidr] = s
    nets = sorted(((s.network, s) for s in seen.values()), key=lambda x: int(x[0].network_address))
    for (a, sa), (b, sb) in itertools.pairwise(nets):
        if a.overlaps(b):
            raise InvalidSpecError(
                f"subnets {sa.cidr} ({sa.zone}) and {sb.cidr} ({sb.zone}) overlap"
            )


def available_addresses(state: npt.NDArray[np.uint8]) -> int:
    """Free addresses of a subnet, as EC2's ``AvailableIpAddressCount`` counts them: neither
    reserved by AWS, nor in an explicit CIDR reservation, nor in use (addresses of prefix
    reservations are free) [addresses]."""
    return int(np.count_nonzero((state == FREE) | (state == PREFIX_ONLY)))


def discovery_order(candidates: Sequence[str], available: Sequence[int]) -> list[str]:
    """The order in which the VPC CNI's subnet discovery tries subnets for a new secondary ENI.

    ipamd lists the subnets of the node's VPC and zone (EC2 ``DescribeSubnets``), sorts them by
    ``AvailableIpAddressCount``, most first, with a stable sort, and creates the ENI in the first
    valid one that takes it, trying the next on failure (amazon-vpc-cni-k8s
    ``pkg/awsutils/awsutils.go`` ``GetVpcSubnets``, ``createENI``; valid: the node's subnet
    unless tagged ``kubernetes.io/role/cni=0``, others tagged ``kubernetes.io/role/cni`` with
    any other value, ``isSubnetValidForENICreation``).  Ties keep EC2's order, which it does not
    document; podcap keeps ``candidates``' order: the node subnet first, then the tagged
    subnets as given.

    Parameters
    ----------
    candidates : sequence of str
        Subnet CIDRs, the node's subnet first.
    available : sequence of int
        Free addresses of each (:func:`available_addresses`) [addresses].

    Returns
    -------
    list of str

    Examples
    --------
    >>> discovery_order(["10.0.0.0/28", "10.0.1.0/24", "10.0.2.0/24"], [10, 251, 251])
    ['10.0.1.0/24', '10.0.2.0/24', '10.0.0.0/28']
    """
    if len(candidates) != len(available):
        raise ValueError(
            f"discovery_order: {len(candidates)} candidates but {len(available)} counts"
        )
    order = sorted(range(len(candidates)), key=lambda k: -int(available[k]))  # stable
    return [candidates[k] for k in order]


@dataclass
class SubnetState:
    """Mutable address maps of several subnets (keyed by CIDR).

    ``pod_split`` records, for nodes whose pod addresses span several subnets (subnet
    discovery), the subnets of the addresses granted to their pods, in the order the pods use
    them: ``{node: ((cidr, addresses), ...)}``.
    """

    subnets: dict[str, Subnet]
    state: dict[str, npt.NDArray[np.uint8]]
    pod_split: dict[int, tuple[tuple[str, int], ...]] = field(default_factory=dict)

    @classmethod
    def of(cls, subnets: Iterable[Subnet]) -> SubnetState:
        """Fresh address maps for the given subnets."""
        uniq = {s.cidr: s for s in subnets}
        check_disjoint(list(uniq.values()))
        return cls(uniq, {c: s.initial_state() for c, s in uniq.items()})

    def summary(self, code_names: dict[int, str]) -> list[dict[str, Any]]:
        """One row per subnet: size, reserved, counts per code, free, free /28 blocks."""
        rows = []
        for cidr, st in self.state.items():
            s = self.subnets[cidr]
            row: dict[str, Any] = {
                "subnet": cidr,
                "name": s.name,
                "zone": s.zone,
                "size": int(st.shape[0]),
                "reserved": int(np.count_nonzero((st == AWS_RESERVED) | (st == EXPLICIT))),
            }
            for code, name in code_names.items():
                row[name] = int(np.count_nonzero(st == code))
            row["free"] = available_addresses(st)
            reserved_blocks, other_blocks = free_aligned_blocks(st)
            row["free_28_blocks"] = int(reserved_blocks.shape[0] + other_blocks.shape[0])
            rows.append(row)
        return rows


__all__ += ["AWS_RESERVED_COUNT", "BLOCK"]


#: CNIs whose pods take addresses from the node's pod CIDR (``node.spec.podCIDR``, allocated by
#: kube-controller-manager), with the addresses of that block a node cannot give to pods besides
#: its network and broadcast addresses: the bridge's gateway (host-local IPAM's ``rangeStart``
#: is the second address), or Cilium's router (``cilium_host``) and health endpoint.
NODE_CIDR_CNIS: dict[str, int] = {
    "kubenet": 1,
    "flannel": 1,
    "canal": 1,
    "kindnet": 1,
    "kuberouter": 1,
    "kopeio": 1,
    "cilium": 2,
}
#: CNIs with their own IP pools (not the node's pod CIDR): Calico's IPAM hands out /26 blocks of
#: its pool to nodes on demand and borrows from other nodes' blocks, so no per-node limit.
POOL_CNIS: tuple[str, ...] = ("calico",)
#: kube-controller-manager ``--node-cidr-mask-size`` for IPv4 (``pkg/controller/nodeipam``
#: ``DefaultNodeMaskCIDRIPv4``).
DEFAULT_NODE_CIDR_MASK_SIZE = 24


@dataclass(frozen=True)
class PodNetwork:
    """A pod network that is not the VPC: an overlay or routed CNI with its own addresses.

    kube-controller-manager (``--allocate-node-cidrs``) splits the cluster CIDR
    (``--cluster-cidr``; kOps ``networking.podCIDR``, by default the upper half of
    ``nonMasqueradeCIDR``) into one block of ``--node-cidr-mask-size`` per node.  CNIs using
    host-local style IPAM give pods addresses from their node's block; a node that finds no free
    block gets none (``CIDRNotAvailable``) and its pods no address.  Pods take no VPC address.

    Parameters
    ----------
    cni : str
        ``calico``, ``cilium``, ``flannel``, ``canal``, ``kindnet``, ``kuberouter``, ``kopeio``,
        ``kubenet``.
    cluster_cidr : str
        The pod network (IPv4 CIDR), e.g. ``100.96.0.0/11``.
    node_cidr_mask_size : int
        Prefix length of each node's block [bits]; default 24.

    Raises
    ------
    InvalidSpecError
        For an unknown CNI, a CIDR that is not IPv4, or a mask not within the cluster CIDR's
        prefix length and 30.
    """

    cni: str
    cluster_cidr: str
    node_cidr_mask_size: int = DEFAULT_NODE_CIDR_MASK_SIZE

    def __post_init__(self) -> None:
        known = (*NODE_CIDR_CNIS, *POOL_CNIS)
        if self.cni not in known:
            raise InvalidSpecError(
                f"PodNetwork.cni: unknown CNI {self.cni!r}; valid: {', '.join(known)} (the VPC "
                "CNI, and Cilium's ENI IPAM, are modelled by VpcCni)"
            )
        net = _network_any(self.cluster_cidr, "PodNetwork.cluster_cidr")
        object.__setattr__(self, "cluster_cidr", str(net))
        mask = self.node_cidr_mask_size
        if isinstance(mask, bool) or not isinstance(mask, int) or not net.prefixlen <= mask <= 30:
            raise InvalidSpecError(
                f"PodNetwork.node_cidr_mask_size: expected an integer from {net.prefixlen} (the "
                f"cluster CIDR's prefix) to 30, got {mask!r}"
            )

    @property
    def per_node(self) -> bool:
        """Whether pods take their addresses from the node's own block."""
        return self.cni in NODE_CIDR_CNIS

    @property
    def usable_addresses(self) -> int:
        """Host addresses of the whole pod network (network and broadcast excluded) [count]."""
        return ipaddress.ip_network(self.cluster_cidr).num_addresses - 2

    @property
    def node_blocks(self) -> int:
        """Node CIDR blocks in the cluster CIDR: the most nodes that get one [count]."""
        prefix = ipaddress.ip_network(self.cluster_cidr).prefixlen
        return 1 << (self.node_cidr_mask_size - prefix)

    @property
    def pod_addresses_per_node(self) -> int | None:
        """Addresses a node can give its pods [count]; None when not limited per node."""
        if not self.per_node:
            return None
        return (1 << (32 - self.node_cidr_mask_size)) - 2 - NODE_CIDR_CNIS[self.cni]


def pod_network_capacity(network: PodNetwork) -> dict[str, int | None]:
    """What a pod network holds.

    Parameters
    ----------
    network : PodNetwork

    Returns
    -------
    dict
        ``usable_addresses`` (the whole network, network and broadcast excluded), ``node_blocks``
        (nodes that can get a pod CIDR; None for a CNI with its own pools),
        ``pod_addresses_per_node`` (None when not limited per node) [count].

    Examples
    --------
    >>> pod_network_capacity(PodNetwork("flannel", "172.30.0.0/16"))["usable_addresses"]
    65534
    """
    return {
        "usable_addresses": network.usable_addresses,
        "node_blocks": network.node_blocks if network.per_node else None,
        "pod_addresses_per_node": network.pod_addresses_per_node,
    }


__all__ += ["DEFAULT_NODE_CIDR_MASK_SIZE", "PodNetwork", "pod_network_capacity"]
