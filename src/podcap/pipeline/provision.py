"""Karpenter's provisioning, one batch: pending pods packed into new NodeClaims.

Written from kubernetes-sigs/karpenter ``pkg/controllers/provisioning/scheduling/``
(``queue.go``, ``scheduler.go``, ``nodeclaim.go``, ``topology.go``) and the AWS provider's
launch (``pkg/providers/instance/instance.go``), at v1.14; ``docs/domain.md`` ("Karpenter")
lists each rule with its source.  In short:

* pods are taken by cpu request, then memory request, descending, then creation order;
* each pod first tries the NodeClaims opened earlier in the batch, fewest pods first, then
  opens a new NodeClaim from the NodePools by weight (highest first, then name descending);
* a NodeClaim keeps every instance type that still holds all its pods plus the DaemonSet
  overhead of that type, so it takes pods while any option (often a large type) can hold them;
* preferences (preferred node affinity, preferred pod anti-affinity, ScheduleAnyway spreading,
  PreferNoSchedule taints) are required first and relaxed only for a pod that fails;
* limits: before a NodeClaim opens, types whose capacity exceeds what is left of a limit are
  dropped; once it opens, the largest capacity among its options is subtracted;
* at launch the cheapest option is taken (metal and GPU types only when nothing else fits);
  spot when the NodePool allows it.

The pods Karpenter plans on a NodeClaim are not bound by it: the nodes start, and the
scheduler places the pending pods (:func:`podcap.pipeline.step.settle` runs it again).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from podcap.errors import InvalidSpecError
from podcap.model.admission import AdmittedPod, pod_tolerations
from podcap.model.fleet import Fleet
from podcap.model.karpenter import (
    CAPACITY_TYPE,
    NODEPOOL,
    TYPE_KEYS,
    WELL_KNOWN,
    ZONE,
    Candidates,
    Karpenter,
    NodeClass,
    NodePool,
    Requirement,
    candidate_types,
    capacity_types,
    type_mask,
)
from podcap.model.prices import price_table
from podcap.model.specs import Taint
from podcap.model.workloads import PodTemplate, SpreadConstraint, Workload

__all__ = ["NodeClaim", "PendingPods", "provision", "unsupported"]

IntArray = npt.NDArray[np.int64]
_ZONE_KEYS = (ZONE, "failure-domain.beta.kubernetes.io/zone")
_HOST = "kubernetes.io/hostname"
_PLACEHOLDER_HOST = "hostname-placeholder"
#: The EBS CSI driver's zone key: the driver labels each node with its zone, so a volume's
#: requirement on it is a requirement on the zone.
_EBS_ZONE = "topology.ebs.csi.aws.com/zone"


@dataclass(frozen=True)
class PendingPods:
    """Identical pending pods of one workload, as Karpenter's queue sees them."""

    key: tuple[str, str, str]
    workload: Workload
    pod: AdmittedPod
    count: int
    seq: int
    bound_zones: Mapping[str, int]  # the workload's pods bound per zone (topology counts)


@dataclass(frozen=True)
class NodeClaim:
    """A node Karpenter launches.

    Attributes
    ----------
    nodepool, instance_type, capacity_type : str
    zone : str or None
        The zone Karpenter pins (topology or requirements), None when EC2 chooses.
    node_zone : str or None
        The zone podcap gives the simulated node (``zone`` or, when EC2 chooses, the NodePool's
        zones in turn).
    pods : int
        Pods Karpenter planned on it [pods] (the scheduler then binds pods itself).
    requested, allocatable : numpy.ndarray of int
        Per resource of the fleet, plus pods last: the planned pods' requests with the
        DaemonSet overhead, and the node's allocatable.
    price_per_hour : float or None
        [USD/h]; None for spot without a spot price in the user's table.
    labels : dict of str to str
    taints : tuple of Taint
    """

    nodepool: str
    instance_type: str
    capacity_type: str
    zone: str | None
    node_zone: str | None
    pods: int
    requested: IntArray
    allocatable: IntArray
    price_per_hour: float | None
    labels: Mapping[str, str] = field(default_factory=dict)
    taints: tuple[Taint, ...] = ()


@dataclass
class _Pool:
    pool: NodePool
    node_class: NodeClass
    cand: Candidates
    overhead: IntArray  # (R, T) DaemonSet requests per type
    ds_pods: IntArray  # (T,)
    zones: tuple[str, ...]
    zone_known: bool
    remaining: dict[str, int]  # limits left (cpu m, memory B, nodes, ...)
    capacity_types: set[str]
    # minValues: (key, at least this many distinct values, the value code of each type)
    min_values: list[tuple[str, int, IntArray]] = field(default_factory=list)
    ds_ports: set[tuple[str, str, int]] = field(default_factory=set)  # DaemonSet host ports
    resources: tuple[str, ...] = ()

    def min_values_problem(self, mask: npt.NDArray[np.bool_]) -> str:
        """The minValues requirements the types in ``mask`` fail (``SatisfiesMinValues``)."""
        short = [key for key, n, codes in self.min_values if np.unique(codes[mask]).size < n]
        if short:
            return f"minValues requirement is not met for label(s) (label(s)=[{', '.join(short)}])"
        return ""


@dataclass
class _Claim:
    p: int  # pool index
    order: int
    mask: npt.NDArray[np.bool_]
    zones: frozenset[str] | None  # None: any zone of the pool
    cts: frozenset[str]
    used: IntArray  # (R,) requests of the planned pods
    pods: int = 0
    own: dict[tuple[str, str, str], int] = field(default_factory=dict)
    ports: set[tuple[str, str, int]] = field(default_factory=set)
    # custom label keys: allowed values (None: any) and excluded values, narrowed by the pods
    custom: dict[str, tuple[frozenset[str] | None, frozenset[str]]] = field(default_factory=dict)


@dataclass(frozen=True)
class _Wants:
    """A pod's constraints at one relaxation level."""

    reqs: tuple[Requirement, ...]
    tolerate_prefer: bool  # PreferNoSchedule taints tolerated
    zone_spread: SpreadConstraint | None
    host_spread: int | None  # max pods of the workload per node
    zone_single: bool  # required (or preferred, unrelaxed) zone anti-affinity to its own pods


def _requirements(t: PodTemplate, term: int) -> tuple[Requirement, ...]:
    """The pod's node requirements: its node selector, one required node-affinity OR-term,
    and its volumes' topology (``volumetopology.go``: a bound volume's node affinity, an unbound
    claim's StorageClass ``allowedTopologies``; the first term of each; the EBS CSI driver's
    zone key is the zone)."""
    out = [Requirement(k, "In", (v,)) for k, v in t.node_selector.items()]
    if t.node_affinity:
        for r in t.node_affinity[term]:
            out.append(Requirement(r.key, r.operator, r.values))
    for topo in t.volume_topology:
        for r in topo.terms[0] if topo.terms else ():
            key = ZONE if r.key == _EBS_ZONE else r.key
            out.append(Requirement(key, r.operator, r.values))
    return tuple(out)


def _own(sel: Any, t: PodTemplate) -> bool:
    return sel is not None and sel.matches(t.labels)


def _levels(wl: Workload) -> list[_Wants]:
    """The pod's constraints, strictest first, relaxed one step at a time
    (``preferences.go`` Relax: required node-affinity terms, preferred pod anti-affinity,
    preferred node affinity, ScheduleAnyway spreading, PreferNoSchedule taints)."""
    t = wl.template
    zone_spread = None
    host_spread: int | None = None
    soft_zone = None
    soft_host: int | None = None
    for sc in t.spread:
        if not _own(sc.selector_for(t.labels), t):
            continue
        if sc.topology_key in _ZONE_KEYS:
            if sc.when_unsatisfiable == "DoNotSchedule":
                zone_spread = sc
            else:
                soft_zone = sc
        elif sc.topology_key == _HOST:
            if sc.when_unsatisfiable == "DoNotSchedule":
                host_spread = sc.max_skew
            else:
                soft_host = sc.max_skew
    if t.anti_affinity_hostname:
        host_spread = 1
    zone_single = any(
        term.topology_key in _ZONE_KEYS and _own(term.selector, t) for term in t.pod_anti_affinity
    )
    soft_anti_host = any(
        w.term.topology_key == _HOST and _own(w.term.selector, t)
        for w in t.preferred_pod_anti_affinity
    )
    soft_anti_zone = any(
        w.term.topology_key in _ZONE_KEYS and _own(w.term.selector, t)
        for w in t.preferred_pod_anti_affinity
    )
    prefs = [
        tuple(Requirement(r.key, r.operator, r.values) for r in p.requirements)
        for p in sorted(t.preferred_node_affinity, key=lambda p: -p.weight)
    ]
    terms = max(len(t.node_affinity), 1)
    # Relax removes one thing at a time, in this order: a required node-affinity OR-term
    # (while several are left), the preferred pod anti-affinity, the heaviest preferred
    # node-affinity term (the next heaviest then applies), ScheduleAnyway spreading, and last
    # tolerates PreferNoSchedule taints
    term, anti, pref, soft, tolerate = 0, True, 0, True, False
    levels: list[_Wants] = []
    while True:
        reqs = _requirements(t, term) + (prefs[pref] if pref < len(prefs) else ())
        level = _Wants(
            reqs=reqs,
            tolerate_prefer=tolerate,
            zone_spread=zone_spread or (soft_zone if soft else None),
            host_spread=_least(
                host_spread, soft_host if soft else None, 1 if anti and soft_anti_host else None
            ),
            zone_single=zone_single or (anti and soft_anti_zone),
        )
        if not levels or level != levels[-1]:
            levels.append(level)
        if term < terms - 1:
            term += 1
        elif anti and (soft_anti_host or soft_anti_zone):
            anti = False
        elif pref < len(prefs):
            pref += 1
        elif soft and (soft_zone is not None or soft_host is not None):
            soft = False
        elif not tolerate:
            tolerate = True
        else:
            return levels


def _least(*values: int | None) -> int | None:
    given = [v for v in values if v is not None]
    return min(given) if given else None


def unsupported(wl: Workload) -> str:
    """Why podcap does not plan Karpenter's nodes for a workload's pods ('' when it does)."""
    t = wl.template
    if t.pod_affinity or t.preferred_pod_affinity:
        return "pod affinity"
    for term in t.pod_anti_affinity:
        if not _own(term.selector, t) or term.topology_key not in (_HOST, *_ZONE_KEYS):
            return "pod anti-affinity to other pods"
    for w in t.preferred_pod_anti_affinity:
        if not _own(w.term.selector, t) or w.term.topology_key not in (_HOST, *_ZONE_KEYS):
            return "pod anti-affinity to other pods"
    for sc in t.spread:
        sel = sc.selector_for(t.labels)
        if sel is not None and not _own(sel, t):
            return "topology spreading over other pods"
        if sc.topology_key not in (_HOST, *_ZONE_KEYS):
            return f"topology spreading on {sc.topology_key}"
        if sc.min_domains is not None:
            return "minDomains"
    return ""


def _taint_problem(pool: NodePool, wl: Workload, tolerate_prefer: bool) -> str:
    tols = pod_tolerations(wl)
    for taint in pool.taints:
        if taint.effect == "PreferNoSchedule" and tolerate_prefer:
            continue
        if not any(tol.tolerates(taint) for tol in tols):
            value = f"={taint.value}" if taint.value else ""
            return f"did not tolerate taint (taint={taint.key}{value}:{taint.effect})"
    return ""


def _pool_defines(pool: NodePool, key: str) -> tuple[bool, tuple[str, ...] | None]:
    """Whether the NodePool defines a custom key, and its values (None: any)."""
    if key in pool.labels:
        return True, (pool.labels[key],)
    for r in pool.requirements:
        if r.key == key:
            if r.operator == "In":
                return True, r.values
            if r.operator in ("Exists", "NotIn"):
                return True, None
    return False, None


def _custom_problem(pool: NodePool, reqs: Sequence[Requirement]) -> str:
    for r in reqs:
        if r.key in TYPE_KEYS or r.key in (*_ZONE_KEYS, CAPACITY_TYPE):
            continue
        if r.key == NODEPOOL:
            if not r.matches(pool.name):
                return f"incompatible requirements, key {NODEPOOL}, {r} not in {pool.name}"
            continue
        if r.key == _HOST:
            # a new NodeClaim's hostname is a placeholder no pod can name (nodeclaim.go)
            if not r.matches(_PLACEHOLDER_HOST):
                return f"incompatible requirements, key {_HOST}, {r} not in {_PLACEHOLDER_HOST}"
            continue
        defined, values = _pool_defines(pool, r.key)
        if not defined:
            if r.key in WELL_KNOWN or r.operator in ("NotIn", "DoesNotExist"):
                continue
            return f'label "{r.key}" does not have known values'
        if values is not None and not any(r.matches(v) for v in values):
            return f"incompatible requirements, key {r.key}, {r} not in {','.join(values)}"
    return ""


def _is_custom(key: str) -> bool:
    return key not in TYPE_KEYS and key not in (*_ZONE_KEYS, CAPACITY_TYPE, NODEPOOL, _HOST)


def _custom_start(pool: NodePool) -> dict[str, tuple[frozenset[str] | None, frozenset[str]]]:
    """The custom keys a NodePool defines (labels and requirements), as a new NodeClaim has
    them (``NewNodeClaimTemplate``: template labels and requirements together)."""
    out: dict[str, tuple[frozenset[str] | None, frozenset[str]]] = {}
    for key, value in pool.labels.items():
        if _is_custom(key):
            out[key] = (frozenset({value}), frozenset())
    for r in pool.requirements:
        if not _is_custom(r.key):
            continue
        allowed, excluded = out.get(r.key, (None, frozenset()))
        if r.operator == "In":
            allowed = frozenset(r.values) if allowed is None else allowed & set(r.values)
        elif r.operator == "NotIn":
            excluded = excluded | set(r.values)
        elif r.operator != "Exists":
            continue
        out[r.key] = (allowed, excluded)
    return out


def _custom_narrow(
    current: dict[str, tuple[frozenset[str] | None, frozenset[str]]],
    reqs: Sequence[Requirement],
) -> dict[str, tuple[frozenset[str] | None, frozenset[str]]] | None:
    """A NodeClaim's custom keys once a pod with ``reqs`` joins (``CanAdd`` intersects the
    requirements); None when they no longer allow any value."""
    out = dict(current)
    for r in reqs:
        if not _is_custom(r.key):
            continue
        if r.key not in out:
            if r.operator in ("In", "Exists", "Gt", "Lt", "Gte", "Lte"):
                return None  # the key is not on the node (the NodePool does not define it)
            continue
        allowed, excluded = out[r.key]
        if r.operator == "DoesNotExist":
            return None
        if r.operator == "In":
            allowed = frozenset(r.values) if allowed is None else allowed & set(r.values)
        elif r.operator == "NotIn":
            excluded = excluded | set(r.values)
        elif r.operator != "Exists" and allowed is not None:
            allowed = frozenset(v for v in allowed if r.matches(v))
        if allowed is not None and not allowed - excluded:
            return None
        out[r.key] = (allowed, excluded)
    return out


def _custom_labels(
    custom: dict[str, tuple[frozenset[str] | None, frozenset[str]]],
) -> dict[str, str]:
    """The node labels of a NodeClaim's custom keys: one allowed value each
    (``resolveCustomLabelsFromRequirements``; Karpenter takes any allowed value, podcap the
    first in sorted order, and for a key that allows any value a placeholder)."""
    out = {}
    for key, (allowed, excluded) in custom.items():
        if allowed is None:
            out[key] = "any"  # Exists / NotIn only: Karpenter makes up a value
        else:
            out[key] = sorted(allowed - excluded)[0]
    return out


def _vector(requests: Mapping[str, int], resources: Sequence[str]) -> IntArray:
    return np.array([int(requests.get(r, 0)) for r in resources], dtype=np.int64)


def _daemon_overhead(
    pool: NodePool,
    cand: Candidates,
    daemons: Sequence[tuple[Workload, AdmittedPod]],
    resources: Sequence[str],
    zones: Sequence[str],
) -> tuple[IntArray, IntArray, set[tuple[str, str, int]]]:
    """DaemonSet requests (and pods, and host ports) each candidate type would carry in this
    NodePool: the
    DaemonSets whose pods tolerate the NodePool's taints and whose node selector and required
    node affinity (any OR-term) fit the NodePool and the type
    (``buildDaemonOverheadGroups``)."""
    t_count = len(cand.names)
    overhead = np.zeros((len(resources), t_count), dtype=np.int64)
    pods = np.zeros(t_count, dtype=np.int64)
    ports: set[tuple[str, str, int]] = set()
    for wl, pod in daemons:
        if _taint_problem(pool, wl, True):
            continue
        fits = np.zeros(t_count, dtype=bool)
        for term in range(max(len(wl.template.node_affinity), 1)):
            reqs = _requirements(wl.template, term)
            allowed = _zones_for(reqs, zones, bool(zones))
            if _custom_problem(pool, reqs) or (allowed is not None and not allowed):
                continue
            if not capacity_types(pool, reqs):
                continue
            fits |= _type_mask(cand, reqs)
        overhead += np.outer(_vector(pod.requests, resources), fits.astype(np.int64))
        pods += fits
        if fits.any():
            ports |= set(wl.template.host_ports)
    return overhead, pods, ports


def _type_mask(cand: Candidates, reqs: Sequence[Requirement]) -> npt.NDArray[np.bool_]:
    return type_mask(cand.labels, reqs)


def _zones_for(
    reqs: Sequence[Requirement], zones: Sequence[str], known: bool
) -> frozenset[str] | None:
    """Zones a pod's requirements allow among the NodePool's (empty: none).  None when the
    zones are not known offline and the requirements do not need one; empty when they need a
    zone podcap cannot know."""
    zone_reqs = [r for r in reqs if r.key in _ZONE_KEYS]
    if not known:
        return frozenset() if any(not r.matches(None) for r in zone_reqs) else None
    return frozenset(z for z in zones if all(r.matches(z) for r in zone_reqs))


def _pools(
    karpenter: Karpenter,
    fleet: Fleet,
    daemons: Sequence[tuple[Workload, AdmittedPod]],
    table: pd.DataFrame | None,
) -> list[_Pool]:
    prices = price_table(karpenter.region, karpenter.prices)
    order = sorted(karpenter.node_pools, key=lambda p: p.name, reverse=True)
    order.sort(key=lambda p: -p.weight)  # weight descending, then name descending
    out = []
    for pool in order:
        node_class = karpenter.node_classes.get(pool.node_class)
        if node_class is None:
            raise InvalidSpecError(
                f"NodePool {pool.name!r}: nodeClassRef names EC2NodeClass {pool.node_class!r}, "
                f"which is not given; EC2NodeClasses: "
                f"{', '.join(sorted(karpenter.node_classes)) or 'none'}"
            )
        cand = candidate_types(pool, node_class, fleet.resources, prices, table)
        zones, known = _pool_zones(pool, karpenter, fleet)
        overhead, ds_pods, ds_ports = _daemon_overhead(pool, cand, daemons, fleet.resources, zones)
        remaining = dict(pool.limits)
        if remaining:
            mine = np.array(
                [(g.labels or {}).get(NODEPOOL) == pool.name for g in fleet.groups], dtype=bool
            )
            on = mine[fleet.group] if fleet.size else np.zeros(0, bool)
            if "nodes" in remaining:
                remaining["nodes"] -= int(on.sum())
            for g_i, g in enumerate(fleet.groups):
                if not mine[g_i]:
                    continue
                n_g = int((fleet.group[on] == g_i).sum())
                for key in remaining:
                    if key == "nodes":
                        continue
                    remaining[key] -= n_g * _group_capacity(g.instance_type, key, cand)
        min_values = [
            (r.key, r.min_values, pd.factorize(cand.labels[r.key].to_numpy())[0].astype(np.int64))
            for r in pool.all_requirements()
            if r.min_values is not None and r.key in cand.labels.columns
        ]
        out.append(
            _Pool(
                pool,
                node_class,
                cand,
                overhead,
                ds_pods,
                zones,
                known,
                remaining,
                capacity_types(pool),
                min_values,
                ds_ports,
                tuple(fleet.resources),
            )
        )
    return out


def _group_capacity(instance_type: str, key: str, cand: Candidates) -> int:
    hit = np.flatnonzero(cand.names == instance_type)
    if hit.size and key in cand.capacity:
        return int(cand.capacity[key][int(hit[0])])
    return 0


def _pool_zones(pool: NodePool, karpenter: Karpenter, fleet: Fleet) -> tuple[tuple[str, ...], bool]:
    """The NodePool's zones: its zone requirement, narrowed to the zones given (the subnets),
    else the zones of the cluster's nodes.  Unknown when none of these says."""
    base = list(karpenter.zones) or list(fleet.zones)
    reqs = [r for r in pool.all_requirements() if r.key in _ZONE_KEYS]
    in_values = [r for r in reqs if r.operator == "In"]
    if not base and in_values:
        base = list(in_values[0].values)
    zones = [z for z in base if all(r.matches(z) for r in reqs)]
    return tuple(zones), bool(base)


class _Limits(Exception):
    pass


def provision(
    karpenter: Karpenter,
    fleet: Fleet,
    pending: Sequence[PendingPods],
    daemons: Sequence[tuple[Workload, AdmittedPod]],
    table: pd.DataFrame | None = None,
    first_claim: int = 0,
) -> tuple[list[NodeClaim], dict[tuple[str, str, str], str]]:
    """Karpenter's scheduling of one batch of pending pods onto new NodeClaims.

    Parameters
    ----------
    karpenter : Karpenter
        NodePools, EC2NodeClasses, zones, region and prices.
    fleet : Fleet
        The nodes that exist (limits count the NodePool's nodes among them).
    pending : sequence of PendingPods
        The pods the scheduler left pending.
    daemons : sequence of (Workload, AdmittedPod)
        DaemonSets, with their admitted pod (overhead on every new node they would run on).
    table : pandas.DataFrame, optional
        Instance table.
    first_claim : int
        Number of NodeClaims launched before (zones of unpinned NodeClaims rotate on).

    Returns
    -------
    (list of NodeClaim, dict)
        The NodeClaims, and per workload the reason when some of its pods got no NodeClaim.
    """
    resources = fleet.resources
    pools = _pools(karpenter, fleet, daemons, table)
    claims: list[_Claim] = []
    reasons: dict[tuple[str, str, str], str] = {}
    zone_counts: dict[tuple[str, str, str], dict[str, int]] = {}
    queue = sorted(
        pending,
        key=lambda p: (
            -int(p.pod.requests.get("cpu", 0)),
            -int(p.pod.requests.get("memory", 0)),
            p.seq,
        ),
    )
    for pp in queue:
        why = unsupported(pp.workload)
        if why:
            reasons[pp.key] = (
                f"podcap does not plan Karpenter's nodes for pods with {why}; they stay pending"
            )
            continue
        counts = zone_counts.setdefault(pp.key, dict(pp.bound_zones))
        r = _vector(pp.pod.requests, resources)
        levels = [_Level(w) for w in _levels(pp.workload)]
        left = pp.count
        while left > 0:
            placed = 0
            errors: list[str] = []
            for level in levels:
                if level.dead:
                    errors = level.errors
                    continue
                placed, errors = _place(pools, claims, pp, r, level, left, counts)
                if placed:
                    break
                wants = level.wants
                if wants.zone_spread is None and not wants.zone_single:
                    # claims only fill up and limits only shrink: later pods of the cohort
                    # fail at this level too
                    level.dead, level.errors = True, errors
            if not placed:
                reasons[pp.key] = "Failed to schedule pod, " + "; ".join(errors)
                break
            left -= placed
    return _launch(pools, claims, resources, first_claim), reasons


def _fit_counts(pl: _Pool, c: _Claim, r: IntArray, mask: npt.NDArray[np.bool_]) -> IntArray:
    """Pods of request ``r`` that each option of the claim can still take [pods]."""
    alloc = pl.cand.alloc[:, mask] - pl.overhead[:, mask] - c.used[:, None]
    with np.errstate(divide="ignore"):
        per = np.where(
            r[:, None] > 0,
            np.floor_divide(np.maximum(alloc, -1), np.maximum(r, 1)[:, None]),
            np.iinfo(np.int64).max,
        )
    per = np.where(alloc < 0, -1, per)
    k = per.min(axis=0) if per.shape[0] else np.full(int(mask.sum()), np.iinfo(np.int64).max)
    room = pl.cand.pods[mask] - pl.ds_pods[mask] - c.pods
    out = np.zeros(mask.shape[0], dtype=np.int64)
    out[mask] = np.minimum(k, room)
    return out


def _zone_choice(
    wants: _Wants, zones: frozenset[str], counts: Mapping[str, int], domains: Sequence[str]
) -> list[str]:
    """Zones a pod may take among ``zones`` under its zone constraints, lowest count first."""
    allowed = sorted(zones, key=lambda z: (counts.get(z, 0), z))
    if wants.zone_single:
        allowed = [z for z in allowed if counts.get(z, 0) == 0]
    sc = wants.zone_spread
    if sc is not None:
        lowest = min((counts.get(z, 0) for z in domains), default=0)
        allowed = [z for z in allowed if counts.get(z, 0) + 1 - lowest <= sc.max_skew]
    return allowed


@dataclass
class _Level:
    """One relaxation level of a cohort's pods, with what is known to fail there."""

    wants: _Wants
    skip: set[int] = field(default_factory=set)  # claims that cannot take another pod
    static: dict[int, tuple[str, npt.NDArray[np.bool_]]] = field(default_factory=dict)
    dead: bool = False
    errors: list[str] = field(default_factory=list)


def _place(
    pools: list[_Pool],
    claims: list[_Claim],
    pp: PendingPods,
    r: IntArray,
    level: _Level,
    left: int,
    counts: dict[str, int],
) -> tuple[int, list[str]]:
    """Place up to ``left`` pods (the first one at least) at one relaxation level; returns how
    many were placed, or 0 with each NodePool's error."""
    wants = level.wants
    t = pp.workload.template
    ports = set(t.host_ports)
    topo = wants.zone_spread is not None or wants.zone_single
    # 1. NodeClaims opened earlier, fewest pods first; a claim that cannot take a pod of the
    # cohort (requirements, taints, ports, resources) cannot take the next one either
    for c in sorted(
        (c for c in claims if c.order not in level.skip), key=lambda c: (c.pods, c.order)
    ):
        pl = pools[c.p]
        if c.p not in level.static:
            problem = _taint_problem(pl.pool, pp.workload, wants.tolerate_prefer)
            problem = problem or _custom_problem(pl.pool, wants.reqs)
            level.static[c.p] = (problem, _type_mask(pl.cand, wants.reqs))
        problem, pool_mask = level.static[c.p]
        if problem:
            level.skip.add(c.order)
            continue
        mask = c.mask & pool_mask
        cts = c.cts & capacity_types(pl.pool, wants.reqs)
        zones = _zones_for(
            wants.reqs, sorted(c.zones) if c.zones is not None else pl.zones, pl.zone_known
        )
        narrowed = _custom_narrow(c.custom, wants.reqs)
        if (
            narrowed is None
            or not mask.any()
            or not cts
            or (zones is not None and not zones)
            or ports & c.ports
        ):
            level.skip.add(c.order)
            continue
        own = c.own.get(pp.key, 0)
        if wants.host_spread is not None and own + 1 > wants.host_spread:
            level.skip.add(c.order)
            continue
        pick: str | None = None
        if topo:
            if not pl.zone_known:
                continue
            choice = _zone_choice(wants, zones or frozenset(), counts, _domains(pl, wants))
            if not choice:
                continue
            pick = choice[0]
        fit = _fit_counts(pl, c, r, mask)
        if fit.max(initial=0) < 1:
            level.skip.add(c.order)
            continue
        # how many to add at once: the claim stays the one with the fewest pods until it has
        # one more than the next; topology and per-node caps take pods one at a time
        others = [o.pods for o in claims if o is not c]
        gap = (min(others) - c.pods + 1) if others else left
        take = 1 if (topo or ports or pl.min_values) else max(1, min(left, int(fit.max()), gap))
        if wants.host_spread is not None:
            take = min(take, wants.host_spread - own)
        if pl.min_values and pl.min_values_problem(mask & (fit >= take)):
            level.skip.add(c.order)  # joining would leave too few distinct values
            continue
        c.custom = narrowed
        _add(c, pl, mask, fit, cts, zones, pick, pp, r, take, ports, counts)
        return take, []
    # 2. a new NodeClaim, NodePools by weight
    errors: list[str] = []
    for p_i, pl in enumerate(pools):
        err = _open(pools, claims, p_i, pl, pp, r, wants, left, counts, ports, topo)
        if isinstance(err, int):
            return err, []
        errors.append(err)
    return 0, errors


def _domains(pl: _Pool, wants: _Wants) -> list[str]:
    sc = wants.zone_spread
    if sc is not None and sc.node_affinity_policy == "Honor":
        return sorted(_zones_for(wants.reqs, pl.zones, pl.zone_known) or ())
    return list(pl.zones)


def _open(
    pools: list[_Pool],
    claims: list[_Claim],
    p_i: int,
    pl: _Pool,
    pp: PendingPods,
    r: IntArray,
    wants: _Wants,
    left: int,
    counts: dict[str, int],
    ports: set[tuple[str, str, int]],
    topo: bool,
) -> int | str:
    name = pl.pool.name
    head = f'incompatible with nodepool "{name}"'
    problem = _taint_problem(pl.pool, pp.workload, wants.tolerate_prefer) or _custom_problem(
        pl.pool, wants.reqs
    )
    if problem:
        return f"{head}, {problem}"
    cts = frozenset(capacity_types(pl.pool, wants.reqs))
    if not cts:
        return f"{head}, incompatible requirements, key {CAPACITY_TYPE}"
    zones = _zones_for(wants.reqs, pl.zones, pl.zone_known)
    if zones is not None and not zones:
        if not pl.zone_known:
            return (
                f"{head}, the pod needs a zone and the NodePool's zones are not known offline "
                "(give them: zones=... or --zones)"
            )
        return f"{head}, incompatible requirements, key {ZONE}"
    if ports & pl.ds_ports:
        return f"{head}, a DaemonSet on its nodes uses the pod's host port"
    pick: str | None = None
    if topo:
        if not pl.zone_known:
            return (
                f"{head}, the NodePool's zones are not known offline: give them (zones=...) for "
                "zone topology"
            )
        choice = _zone_choice(wants, zones or frozenset(), counts, _domains(pl, wants))
        if not choice:
            return (
                f"unsatisfiable topology constraint for {'topology spread' if wants.zone_spread else 'pod anti-affinity'}, "
                f"key={ZONE} (counts = {dict(sorted(counts.items()))})"
            )
        pick = choice[0]
    if "nodes" in pl.remaining and pl.remaining["nodes"] <= 0:
        return f'node limits have been exhausted for nodepool "{name}"'
    mask = _type_mask(pl.cand, wants.reqs)
    for key, amount in pl.remaining.items():
        if key in pl.cand.capacity:
            mask &= pl.cand.capacity[key] <= amount
    limited = any(k in pl.cand.capacity for k in pl.remaining)
    if limited and not mask.any() and _type_mask(pl.cand, wants.reqs).any():
        return f'all available instance types exceed limits for nodepool: "{name}"'
    custom = _custom_narrow(_custom_start(pl.pool), wants.reqs)
    if custom is None:
        return f"{head}, incompatible requirements on a label the NodePool defines"
    c = _Claim(
        p=p_i,
        order=len(claims),
        mask=mask,
        zones=None,
        cts=cts,
        used=np.zeros(r.shape[0], dtype=np.int64),
        ports=set(pl.ds_ports),
        custom=custom,
    )
    fit = _fit_counts(pl, c, r, mask)
    if fit.max(initial=0) < 1:
        overhead = _fmt_requests(pl, mask, r)
        return f"{head}, {overhead}"
    short = pl.min_values_problem(mask & (fit >= 1))
    if short:
        return f"{head}, {short}"
    take = 1 if (topo or ports or pl.min_values) else max(1, min(left, int(fit.max())))
    if wants.host_spread is not None:
        take = min(take, wants.host_spread)
    _add(c, pl, mask, fit, cts, zones, pick, pp, r, take, ports, counts)
    claims.append(c)
    # limits: the largest capacity among the new NodeClaim's options is used up
    for key in list(pl.remaining):
        if key == "nodes":
            continue  # instance capacity has no "nodes" entry: later claims of the batch pass
        if key in pl.cand.capacity and c.mask.any():
            pl.remaining[key] -= int(pl.cand.capacity[key][c.mask].max())
    return take


def _fmt_requests(pl: _Pool, mask: npt.NDArray[np.bool_], r: IntArray) -> str:
    if not mask.any():
        return "no instance type met the scheduling requirements or had a required offering"
    ds = pl.overhead[:, mask].min(axis=1)
    total = r + ds
    resources = pl.resources
    parts = {}
    for i, name in enumerate(resources):
        if total[i] <= 0:
            continue
        if name == "cpu":
            parts[name] = f"{int(total[i])}m"
        elif name in ("memory", "ephemeral-storage"):
            parts[name] = f"{int(total[i]) // (1 << 20)}Mi"
        else:
            parts[name] = str(int(total[i]))
    parts["pods"] = str(1 + int(pl.ds_pods[mask].min()))
    text = ",".join(f'"{k}":"{v}"' for k, v in parts.items())
    return f"no instance type has enough resources, resources={{{text}}}"


def _add(
    c: _Claim,
    pl: _Pool,
    mask: npt.NDArray[np.bool_],
    fit: IntArray,
    cts: frozenset[str],
    zones: frozenset[str] | None,
    pick: str | None,
    pp: PendingPods,
    r: IntArray,
    take: int,
    ports: set[tuple[str, str, int]],
    counts: dict[str, int],
) -> None:
    c.mask = mask & (fit >= take)
    c.cts = cts
    if pl.zone_known:
        c.zones = frozenset({pick}) if pick is not None else zones
    c.used = c.used + r * take
    c.pods += take
    c.own[pp.key] = c.own.get(pp.key, 0) + take
    c.ports |= ports
    if pick is not None:
        counts[pick] = counts.get(pick, 0) + take


def _exotic(labels: pd.DataFrame) -> npt.NDArray[np.bool_]:
    """Metal sizes and accelerator types, which Karpenter launches only when nothing else fits
    (the AWS provider's launch filter)."""
    size = labels["karpenter.k8s.aws/instance-size"].to_numpy()
    gpu = labels["karpenter.k8s.aws/instance-gpu-count"].to_numpy()
    return np.array(
        [s == "metal" or g is not None for s, g in zip(size, gpu, strict=True)], dtype=bool
    )


def _launch(
    pools: list[_Pool], claims: list[_Claim], resources: Sequence[str], first: int
) -> list[NodeClaim]:
    out: list[NodeClaim] = []
    turn = first
    for c in claims:
        pl = pools[c.p]
        cand = pl.cand
        ok = c.mask.copy()
        exotic = _exotic(cand.labels)
        if (ok & ~exotic).any() and not pl.min_values:  # the filter is skipped with minValues
            ok &= ~exotic
        ct = "spot" if "spot" in c.cts else "on-demand"
        od = cand.price["on-demand"]
        spot = cand.price["spot"]
        order_price = np.where(np.isnan(spot), od, spot) if ct == "spot" else od
        idx = np.flatnonzero(ok & ~np.isnan(order_price))
        best = int(idx[np.lexsort((cand.names[idx].astype(str), order_price[idx]))[0]])
        price = float(spot[best]) if ct == "spot" else float(od[best])
        zone = None
        node_zone = None
        if pl.zone_known and c.zones is not None:
            zones = sorted(c.zones)
            if len(zones) == 1:
                zone = zones[0]
                node_zone = zone
            elif zones:
                node_zone = zones[turn % len(zones)]
                turn += 1
        requested = np.append(c.used + pl.overhead[:, best], c.pods + pl.ds_pods[best])
        alloc = np.append(cand.alloc[:, best], cand.pods[best])
        labels = {
            **pl.pool.labels,
            **_custom_labels(c.custom),
            NODEPOOL: pl.pool.name,
            CAPACITY_TYPE: ct,
            "karpenter.k8s.aws/ec2nodeclass": pl.node_class.name,
        }
        for key in cand.labels.columns:
            v = cand.labels.iloc[best][key]
            if v is not None and key.startswith("karpenter.k8s.aws/"):
                labels[key] = str(v)
        out.append(
            NodeClaim(
                nodepool=pl.pool.name,
                instance_type=str(cand.names[best]),
                capacity_type=ct,
                zone=zone,
                node_zone=node_zone,
                pods=c.pods,
                requested=requested,
                allocatable=alloc,
                price_per_hour=None if np.isnan(price) else price,
                labels=labels,
                taints=pl.pool.taints,
            )
        )
    return out
