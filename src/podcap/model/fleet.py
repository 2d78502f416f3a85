"""A fleet: node groups expanded into a struct of arrays (one numpy array per column).

Large fleets never become Python objects per node: per-node values are gathered from per-group
values with numpy indexing.
"""

from __future__ import annotations

import functools
import weakref
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from podcap.model.capacity import allocatable, pod_ip_capacity
from podcap.model.instances import TypeFacts, type_facts
from podcap.model.memory import check_simulation_size
from podcap.model.specs import Cluster, NodeGroup

__all__ = ["NO_ZONE", "POD_ENI", "RESOURCES", "Fleet", "build_fleet"]

POD_ENI = "vpc.amazonaws.com/pod-eni"
#: Resources tracked per node, in this order: cpu [m], memory [B], ephemeral-storage [B], pod-eni.
RESOURCES = ("cpu", "memory", "ephemeral-storage", POD_ENI)
#: The zone code of a node whose zone is unknown: it has no ``topology.kubernetes.io/zone`` label.
NO_ZONE = -1
_MIB = 1 << 20
_GIB = 1 << 30


@dataclass(frozen=True)
class Fleet:
    """Per-node arrays of a cluster (index ``i`` is node ``names[i]``)."""

    names: npt.NDArray[np.object_]
    group: npt.NDArray[np.int64]  # index into groups
    zone: npt.NDArray[np.int64]  # index into zones; NO_ZONE (-1): no zone label
    groups: tuple[NodeGroup, ...]
    zones: tuple[str, ...]
    alloc: npt.NDArray[np.int64]  # (len(resources), n)
    pods_alloc: npt.NDArray[np.int64]
    pod_ips: npt.NDArray[np.int64]
    facts: tuple[TypeFacts, ...]  # per group: the instance type's facts from the cluster's table
    resources: tuple[str, ...] = RESOURCES

    @property
    def size(self) -> int:
        """Nodes [count]."""
        return int(self.names.shape[0])

    def take(self, keep: npt.NDArray[np.bool_]) -> Fleet:
        """The fleet restricted to the nodes where ``keep`` is True (node order kept)."""
        return Fleet(
            names=self.names[keep],
            group=self.group[keep],
            zone=self.zone[keep],
            groups=self.groups,
            zones=self.zones,
            alloc=self.alloc[:, keep],
            pods_alloc=self.pods_alloc[keep],
            pod_ips=self.pod_ips[keep],
            facts=self.facts,
            resources=self.resources,
        )

    def zone_of(self, i: int) -> str | None:
        """The zone of node ``i`` (None: unknown, the node has no zone label)."""
        code = int(self.zone[i])
        return None if code == NO_ZONE else self.zones[code]

    def zone_names(self) -> npt.NDArray[np.object_]:
        """Per node, its zone name (None where unknown)."""
        names = np.array([*self.zones, None], dtype=object)
        return names[np.where(self.zone == NO_ZONE, len(self.zones), self.zone)]

    def cells(self) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
        """The nodes grouped by (group, zone), on which every label but the hostname depends:
        the first node of each cell and each node's cell."""
        if not self.size:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
        width = len(self.zones) + 1
        _, first, inverse = np.unique(
            self.group * width + (self.zone + 1), return_index=True, return_inverse=True
        )
        return first.astype(np.int64), inverse.reshape(-1).astype(np.int64)

    def group_labels(self, g: int) -> dict[str, str]:
        """Labels shared by every node of group ``g`` (without hostname and zone)."""
        grp = self.groups[g]
        arch = self.facts[g].arch
        labels = {
            "node.kubernetes.io/instance-type": grp.instance_type,
            "beta.kubernetes.io/instance-type": grp.instance_type,
            "kubernetes.io/os": "linux",
            "beta.kubernetes.io/os": "linux",
        }
        if isinstance(arch, str):
            labels["kubernetes.io/arch"] = arch
            labels["beta.kubernetes.io/arch"] = arch
        if grp.overhead == "eks":
            labels["eks.amazonaws.com/nodegroup"] = grp.name
        if grp.overhead == "karpenter":
            labels["karpenter.sh/nodepool"] = grp.name
        if grp.overhead == "kops":
            labels["kops.k8s.io/instancegroup"] = grp.name
        labels.update(dict(grp.labels or {}))
        return labels

    def labels_of(self, i: int) -> dict[str, str]:
        """All labels of node ``i`` (no zone labels where the zone is unknown)."""
        zone = self.zone_of(i)
        labels = self.group_labels(int(self.group[i]))
        labels["kubernetes.io/hostname"] = str(self.names[i])
        if zone is None:
            return labels
        labels["topology.kubernetes.io/zone"] = zone
        labels["failure-domain.beta.kubernetes.io/zone"] = zone
        if len(zone) > 1 and zone[-1].isalpha() and zone[-2].isdigit():
            labels["topology.kubernetes.io/region"] = zone[:-1]
        return labels


def _allocatable_row(
    instance_type: str,
    overhead: str,
    max_pods: int | None,
    policy: str,
    calculator: tuple[tuple[str, Any], ...] = (),
    table: pd.DataFrame | None = None,
) -> dict[str, float]:
    frame = allocatable(
        instance_type,
        overhead=overhead,  # type: ignore[arg-type]  # validated by NodeGroup
        max_pods=max_pods,
        max_pods_policy=policy,  # type: ignore[arg-type]
        table=table,
        **dict(calculator),
    )
    return {str(k): float(v) for k, v in frame.iloc[0].items()}


def _group_allocatable(
    g: NodeGroup, calculator: tuple[tuple[str, Any], ...], table: pd.DataFrame | None
) -> dict[str, float]:
    key = (g.instance_type, g.overhead, g.max_pods, g.policy, calculator)
    if table is None:
        return _bundled_allocatable(*key)
    return _allocatable_row(*key, table=table)


def _group_pod_ips(g: NodeGroup, table: pd.DataFrame | None) -> int:
    if g.pod_network is not None:
        # pods take addresses from the node's pod CIDR (no VPC address); unlimited per node
        # for a CNI with its own pools
        per_node = g.pod_network.pod_addresses_per_node
        return int(np.iinfo(np.int32).max) if per_node is None else per_node
    cni = g.cni_settings
    key = (
        g.instance_type,
        cni.prefix_delegation,
        cni.custom_networking,
        cni.pod_eni,
        cni.max_eni,
        cni.ip_family,
        cni.cni_version,
        cni.multi_nic,
    )
    if table is None:
        return _bundled_pod_ips(*key)
    return _pod_ips(*key, table=table)


def _pod_ips(
    instance_type: str,
    prefix_delegation: bool,
    custom_networking: bool,
    pod_eni: bool,
    max_eni: int | None,
    ip_family: str,
    cni_version: str,
    multi_nic: bool = False,
    table: pd.DataFrame | None = None,
) -> int:
    return int(
        pod_ip_capacity(
            instance_type,
            prefix_delegation=prefix_delegation,
            custom_networking=custom_networking,
            pod_eni=pod_eni,
            max_eni=max_eni,
            ip_family=ip_family,  # type: ignore[arg-type]
            cni_version=cni_version,
            multi_nic=multi_nic,
            table=table,
        )
    )


# Results for the bundled table are cached across fleets (sweeps build thousands of them); a
# user's table is evaluated afresh for each fleet.
_bundled_pod_ips = functools.lru_cache(maxsize=4096)(_pod_ips)
_bundled_allocatable = functools.lru_cache(maxsize=4096)(_allocatable_row)


# each live node group's generated names (a group is frozen; an entry goes with its group)
_NAMES: dict[int, tuple[weakref.ref[NodeGroup], npt.NDArray[np.object_]]] = {}


def _node_names(group: NodeGroup) -> npt.NDArray[np.object_]:
    """A group's generated node names, ``<name>-0`` to ``<name>-<count - 1>`` (read-only)."""
    key = id(group)
    hit = _NAMES.get(key)
    if hit is not None and hit[0]() is group:
        return hit[1]
    prefix = f"{group.name}-"
    names = np.array([prefix + str(i) for i in range(group.count)], dtype=object)
    names.flags.writeable = False

    def forget(_ref: weakref.ref[NodeGroup], k: int = key) -> None:
        _NAMES.pop(k, None)

    _NAMES[key] = (weakref.ref(group, forget), names)
    return names


def build_fleet(cluster: Cluster, extra_resources: tuple[str, ...] = ()) -> Fleet:
    """Expand a cluster into per-node arrays.

    Parameters
    ----------
    cluster : Cluster
    extra_resources : tuple of str
        Extended resources to track besides :data:`RESOURCES` (e.g. ``nvidia.com/gpu``); a node
        has what its group's ``extended_resources`` gives, else 0.

    Returns
    -------
    Fleet
        Nodes named ``<group>-<i>``; zones assigned round-robin within each group (code
        :data:`NO_ZONE` for the nodes of a group without zones).

    Raises
    ------
    SimulationTooLargeError
        When the per-node arrays would not fit in memory (:func:`check_simulation_size`),
        before any is allocated.
    """
    groups = cluster.node_groups
    provided = {r for g in groups for r in (g.extended_resources or {})}
    resources = RESOURCES + tuple(sorted((set(extra_resources) | provided) - set(RESOURCES)))
    check_simulation_size(cluster.node_count, 0, resources=len(resources))
    zones: list[str] = []
    for g in groups:
        for z in g.zone_list:
            if z not in zones:
                zones.append(z)
    counts = np.array([g.count for g in groups], dtype=np.int64)
    group_idx = np.repeat(np.arange(len(groups), dtype=np.int64), counts)
    within = np.arange(int(counts.sum()), dtype=np.int64) - np.repeat(
        np.cumsum(counts) - counts, counts
    )
    zone_codes = np.full(len(group_idx), NO_ZONE, dtype=np.int64)
    names = np.empty(len(group_idx), dtype=object)
    per_group_alloc = np.zeros((len(resources), len(groups)), dtype=np.int64)
    per_group_pods = np.zeros(len(groups), dtype=np.int64)
    per_group_ips = np.zeros(len(groups), dtype=np.int64)
    facts = tuple(type_facts(g.instance_type, cluster.table) for g in groups)
    ends = np.cumsum(counts)
    for gi, g in enumerate(groups):  # per group, not per node; a group's nodes are adjacent
        sel = slice(int(ends[gi] - counts[gi]), int(ends[gi]))
        zmap = np.array([zones.index(z) for z in g.zone_list], dtype=np.int64)
        if g.node_zones:
            zone_codes[sel] = np.array([zones.index(z) for z in g.node_zones], dtype=np.int64)
        elif zmap.size:
            zone_codes[sel] = zmap[within[sel] % len(zmap)]
        if g.node_names:
            names[sel] = np.array(g.node_names, dtype=object)
        else:
            names[sel] = _node_names(g)
        cni = g.cni_settings
        calc: tuple[tuple[str, Any], ...] = ()
        if g.policy == "calculator":  # the calculator's answer depends on the CNI settings
            calc = (
                ("prefix_delegation", cni.prefix_delegation),
                ("custom_networking", cni.custom_networking),
                ("cni_version", cni.cni_version),
                ("max_eni", cni.max_eni),
            )
        given = g.allocatable or {}
        if all(k in given for k in ("cpu", "memory", "ephemeral-storage", "pods")):
            # the nodes' real allocatable (a snapshot, or given in full): no overhead model, so
            # a type with only its network limits in the table is enough
            alloc = {"cpu_millicores": 0.0, "memory_mib": 0.0, "ephemeral_storage_gib": 0.0}
            alloc["pods"] = float(given["pods"])
        else:
            alloc = _group_allocatable(g, calc, cluster.table)
        per_group_alloc[0, gi] = int(alloc["cpu_millicores"])
        per_group_alloc[1, gi] = int(alloc["memory_mib"]) * _MIB
        per_group_alloc[2, gi] = int(float(alloc["ephemeral_storage_gib"]) * _GIB)
        info = facts[gi]
        if cni.pod_eni and info.trunking and info.branch_interfaces is not None:
            per_group_alloc[3, gi] = info.branch_interfaces
        for name, amount in (g.extended_resources or {}).items():
            per_group_alloc[resources.index(name), gi] = amount
            if name.startswith("hugepages-") and not (g.allocatable or {}).get("memory"):
                # pre-allocated huge pages leave allocatable memory (the kubelet's MachineInfo)
                per_group_alloc[1, gi] = max(int(per_group_alloc[1, gi]) - amount, 0)
        per_group_pods[gi] = int(alloc["pods"])
        for key, value in (g.allocatable or {}).items():
            if key == "pods":
                per_group_pods[gi] = value
            else:
                per_group_alloc[resources.index(key), gi] = value
        per_group_ips[gi] = _group_pod_ips(g, cluster.table)
    return Fleet(
        names=names,
        group=group_idx,
        zone=zone_codes,
        groups=tuple(groups),
        zones=tuple(zones),
        alloc=per_group_alloc[:, group_idx],
        pods_alloc=per_group_pods[group_idx],
        pod_ips=per_group_ips[group_idx],
        facts=facts,
        resources=resources,
    )
