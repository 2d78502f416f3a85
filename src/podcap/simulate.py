"""``simulate``: admission, then placement, then pod IPs, for manifests on a cluster."""

from __future__ import annotations

import html
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd

from podcap.admission import AdmittedPod, QuotaState, admit
from podcap.capacity import cni_version_supports_prefix
from podcap.engine import (
    NodeState,
    PodClass,
    fits_one,
    hard_spread_ok,
    place_fast,
    place_reference,
)
from podcap.errors import InvalidOptionError, InvalidSpecError, PodcapWarning
from podcap.fleet import POD_ENI, RESOURCES, Fleet, build_fleet
from podcap.instances import type_info
from podcap.ipam import NodePool, node_pool
from podcap.kernels.addresses import allocate_prefixes, allocate_singles
from podcap.kernels.scheduling import NONZERO_CPU_MILLICORES, NONZERO_MEMORY_BYTES
from podcap.manifests import Manifests, load_manifests
from podcap.specs import Cluster, Taint, Toleration
from podcap.subnets import NODE, POD, PRE_USED, SubnetState
from podcap.workloads import BUILTIN_PRIORITIES, NodeSelectorRequirement, PodTemplate, Workload

__all__ = ["ScoringStrategy", "SimulationResult", "simulate"]

ScoringStrategy = Literal["LeastAllocated", "MostAllocated"]
Engine = Literal["fast", "reference"]

_MIB = float(1 << 20)
#: Outcome columns of ``SimulationResult.workloads``; they add up to ``desired``.
OUTCOMES = ("running", "pending", "container_creating", "not_created", "rejected")
#: Columns of ``SimulationResult.workloads``.
WORKLOAD_COLUMNS = (
    "namespace",
    "kind",
    "name",
    "desired",
    *OUTCOMES,
    "reason",
    "cpu_request_millicores",
    "memory_request_mib",
)
CNI_ERROR = (
    'Failed to create pod sandbox: plugin type="aws-cni" name="aws-cni" failed (add): '
    "add cmd: failed to assign an IP address to container"
)
_BUILTIN_NAMESPACES = {"default", "kube-system", "kube-public", "kube-node-lease"}
# Tolerations the DaemonSet controller adds to every DaemonSet pod.
_DS_TOLERATIONS = (
    Toleration("node.kubernetes.io/not-ready", "Exists", "", "NoExecute"),
    Toleration("node.kubernetes.io/unreachable", "Exists", "", "NoExecute"),
    Toleration("node.kubernetes.io/disk-pressure", "Exists", "", "NoSchedule"),
    Toleration("node.kubernetes.io/memory-pressure", "Exists", "", "NoSchedule"),
    Toleration("node.kubernetes.io/pid-pressure", "Exists", "", "NoSchedule"),
    Toleration("node.kubernetes.io/unschedulable", "Exists", "", "NoSchedule"),
)
_UNSCHEDULABLE_TAINT = Taint("node.kubernetes.io/unschedulable", "", "NoSchedule")


@dataclass
class SimulationResult:
    """Outcome of :func:`simulate`.

    Attributes
    ----------
    workloads : pandas.DataFrame
        One row per workload (apply order): ``namespace, kind, name, desired, running, pending,
        container_creating, not_created, rejected, reason`` and the per-pod requests
        ``cpu_request_millicores`` [m], ``memory_request_mib`` [MiB].
    nodes : pandas.DataFrame
        One row per node: ``node, node_group, instance_type, zone, pods, pods_allocatable,
        cpu_requested_millicores, cpu_allocatable_millicores, memory_requested_mib,
        memory_allocatable_mib, pod_ips_used, pod_ips_capacity, binding_limit``.
    placements : pandas.DataFrame
        Pods per (workload, node): ``namespace, kind, name, node, pods, running,
        container_creating`` (rows with pods only).
    skipped : list of str
        Objects in the manifests that podcap does not simulate.
    subnets : pandas.DataFrame
        One row per subnet (when node groups have subnets): ``subnet, name, zone, size,
        reserved`` (AWS's 5 and explicit reservations), ``used_before``, ``used_by_nodes`` (ENI
        primary addresses, branch ENIs), ``used_by_pods``, ``held_warm`` (secondary IPs and
        prefix addresses held but unused), ``free`` and ``free_28_blocks``; the address columns
        add up to ``size``.
    node_groups : pandas.DataFrame
        One row per node group: ``nodes``, ``started``, ``not_started`` and the ``reason``
        (a node without a free address in its subnet does not start).
    """

    workloads: pd.DataFrame
    nodes: pd.DataFrame
    placements: pd.DataFrame
    skipped: list[str] = field(default_factory=list)
    subnets: pd.DataFrame = field(default_factory=pd.DataFrame)
    node_groups: pd.DataFrame = field(default_factory=pd.DataFrame)

    def __repr__(self) -> str:
        w = self.workloads
        lines = [
            f"podcap simulation: {len(self.nodes)} nodes, {len(w)} workloads, "
            f"{int(w['desired'].sum())} pods desired, {int(w['running'].sum())} running"
        ]
        cols = list(WORKLOAD_COLUMNS[: WORKLOAD_COLUMNS.index("reason")])
        with pd.option_context(
            "display.width", 200, "display.max_columns", None, "display.max_rows", 50
        ):
            lines.append(w[cols].to_string(index=False))
        problems = w[w["reason"] != ""]
        if len(problems):
            lines.append("")
            lines.append("why:")
            for _, row in problems.iterrows():
                lines.append(f"  {row['namespace']}/{row['name']}: {row['reason']}")
        if self.skipped:
            lines.append(f"skipped {len(self.skipped)} object(s): {'; '.join(self.skipped)}")
        return "\n".join(lines)

    def plot(self, **kwargs: Any) -> Any:
        """Share of each limit used per node (see :func:`podcap.plot.nodes`)."""
        from podcap import plot

        return plot.nodes(self, **kwargs)

    def _repr_html_(self) -> str:
        head = html.escape(self.__repr__().splitlines()[0])
        return (
            f"<div><p><b>{head}</b></p>{self.workloads.to_html(index=False)}"
            f"<details><summary>nodes ({len(self.nodes)})</summary>"
            f"{self.nodes.head(200).to_html(index=False)}</details></div>"
        )


# ---------------------------------------------------------------------------------------------
# node matching


def _requirement_ok(req: NodeSelectorRequirement, value: str | None) -> bool:
    op = req.operator
    if op == "In":
        return value is not None and value in req.values
    if op == "NotIn":
        return value is None or value not in req.values
    if op == "Exists":
        return value is not None
    if op == "DoesNotExist":
        return value is None
    try:
        number = int(value) if value is not None else None
        bound = int(req.values[0]) if req.values else None
    except ValueError:
        return False
    if number is None or bound is None:
        return False
    return number > bound if op == "Gt" else number < bound


_NODE_KEYS = ("kubernetes.io/hostname", "metadata.name")


def affinity_mask(fleet: Fleet, template: PodTemplate) -> npt.NDArray[np.bool_]:
    """Nodes matching the template's nodeSelector and required node affinity."""
    combos, inverse = np.unique(
        np.stack([fleet.group, fleet.zone], axis=1), axis=0, return_inverse=True
    )
    inverse = inverse.reshape(-1)
    names = fleet.names.astype(str)
    mask = np.zeros(fleet.size, dtype=bool)
    for c, (_g, _z) in enumerate(combos):  # per (group, zone), never per node
        first = int(np.argmax(inverse == c))
        labels = fleet.labels_of(first)
        sel = inverse == c
        ok = np.ones(int(sel.sum()), dtype=bool)
        sel_names = names[sel]
        for key, val in template.node_selector.items():
            if key == "kubernetes.io/hostname":
                ok &= sel_names == val
            else:
                ok &= labels.get(key) == val
        if template.node_affinity:
            any_term = np.zeros_like(ok)
            for term in template.node_affinity:
                term_ok = np.ones_like(ok)
                for req in term:
                    if req.key in _NODE_KEYS:
                        isin = np.isin(sel_names, list(req.values))
                        if req.operator == "In":
                            term_ok &= isin
                        elif req.operator == "NotIn":
                            term_ok &= ~isin
                        elif req.operator == "DoesNotExist":
                            term_ok &= False
                    else:
                        term_ok &= _requirement_ok(req, labels.get(req.key))
                any_term |= term_ok
            ok &= any_term
        mask[sel] = ok
    return mask


def pod_tolerations(wl: Workload) -> tuple[Toleration, ...]:
    """The pod's tolerations, with those the DaemonSet controller adds to DaemonSet pods."""
    tol = wl.template.tolerations
    if wl.kind == "DaemonSet":
        tol += _DS_TOLERATIONS
        if wl.template.host_network:
            tol += (
                Toleration("node.kubernetes.io/network-unavailable", "Exists", "", "NoSchedule"),
            )
    return tol


def _untolerated(taints: Sequence[Taint], tolerations: Sequence[Toleration]) -> Taint | None:
    for t in taints:
        if t.effect == "PreferNoSchedule":
            continue
        if not any(tol.tolerates(t) for tol in tolerations):
            return t
    return None


@dataclass(frozen=True)
class _Filters:
    taint: list[Taint | None]  # per group: first untolerated taint
    cordoned: list[bool]  # per group
    affinity: npt.NDArray[np.bool_]
    eligible: npt.NDArray[np.bool_]


def _node_name_reason(fleet: Fleet, state: NodeState, pc: PodClass, node_name: str) -> str:
    where = np.nonzero(fleet.names == node_name)[0]
    if where.size == 0:
        return f"spec.nodeName: node {node_name!r} does not exist; the pod is never scheduled"
    i = int(where[0])
    if state.pods[i] + 1 > state.pods_alloc[i]:
        return "Pod was rejected by the kubelet: Node didn't have enough resource: pods"
    free = state.alloc[:, i] - state.used[:, i]
    for r, name in enumerate(fleet.resources):
        if pc.request[r] > free[r]:
            return f"Pod was rejected by the kubelet: Node didn't have enough resource: {name}"
    return "Pod was rejected by the kubelet"


def _filters(fleet: Fleet, template: PodTemplate, tolerations: Sequence[Toleration]) -> _Filters:
    taint = [_untolerated(g.taints, tolerations) for g in fleet.groups]
    cordoned = [
        g.unschedulable and not any(t.tolerates(_UNSCHEDULABLE_TAINT) for t in tolerations)
        for g in fleet.groups
    ]
    if template.node_name:
        # spec.nodeName bypasses the scheduler: only that node, whatever its taints
        pinned = fleet.names == template.node_name
        return _Filters([None] * len(fleet.groups), [False] * len(fleet.groups), pinned, pinned)
    aff = affinity_mask(fleet, template)
    group_ok = np.array(
        [t is None and not c for t, c in zip(taint, cordoned, strict=True)], dtype=bool
    )
    eligible = aff & (group_ok[fleet.group] if fleet.size else np.zeros(0, dtype=bool))
    return _Filters(taint, cordoned, aff, eligible)


# ---------------------------------------------------------------------------------------------
# FailedScheduling


def failed_scheduling_message(
    fleet: Fleet,
    state: NodeState,
    pc: PodClass,
    filters: _Filters,
    own: npt.NDArray[np.int64],
    only: npt.NDArray[np.bool_] | None = None,
) -> str:
    """kube-scheduler's FailedScheduling text for one more pod of ``pc``."""
    n = fleet.size
    if n == 0:
        return "no nodes available to schedule pods"
    reasons: dict[str, int] = {}

    def add(mask: npt.NDArray[np.bool_], text: str) -> None:
        count = int(mask.sum())
        if count:
            reasons[text] = reasons.get(text, 0) + count

    pending = np.ones(n, dtype=bool)
    if only is not None:
        # A pod pinned to one node (DaemonSet matchFields): NodeAffinity's PreFilter drops the others.
        add(~only, "node(s) didn't satisfy plugin(s) [NodeAffinity]")
        pending &= only
    cordoned = np.array(filters.cordoned, dtype=bool)[fleet.group]
    add(pending & cordoned, "node(s) were unschedulable")
    pending &= ~cordoned
    for gi, t in enumerate(filters.taint):
        if t is not None:
            sel = pending & (fleet.group == gi)
            add(sel, f"node(s) had untolerated taint {{{t.key}: {t.value}}}")
            pending &= ~sel
    not_aff = ~filters.affinity
    add(pending & not_aff, "node(s) didn't match Pod's node affinity/selector")
    pending &= ~not_aff
    free = state.alloc - state.used
    res_fail = np.zeros(n, dtype=bool)
    too_many = pending & (state.pods + 1 > state.pods_alloc)
    add(too_many, "Too many pods")
    res_fail |= too_many
    for r, name in enumerate(fleet.resources):
        if pc.request[r] > 0:
            short = pending & (pc.request[r] > free[r])
            add(short, f"Insufficient {name}")
            res_fail |= short
    pending &= ~res_fail
    if pc.hard_spread:
        unlabelled = np.zeros(n, dtype=bool)
        for dom in pc.domains:
            unlabelled |= dom < 0
        add(
            pending & unlabelled,
            "node(s) didn't match pod topology spread constraints (missing required label)",
        )
        pending &= ~unlabelled
        bad = pending & ~hard_spread_ok(pc, own)
        add(bad, "node(s) didn't match pod topology spread constraints")
        pending &= ~bad
    if pc.anti_affinity:
        add(pending & (own > 0), "node(s) didn't match pod anti-affinity rules")
    parts = sorted(f"{count} {text}" for text, count in reasons.items())
    return f"0/{n} nodes are available: {', '.join(parts)}."


# ---------------------------------------------------------------------------------------------
# orchestration


def _pod_class(fleet: Fleet, wl: Workload, pod: AdmittedPod, filters: _Filters) -> PodClass:
    req = np.array([pod.requests.get(r, 0) for r in fleet.resources], dtype=np.int64)
    apps = [c for c in pod.containers if c.role != "init"]
    nz_cpu = sum(c.requests.get("cpu", 0) or NONZERO_CPU_MILLICORES for c in apps)
    nz_mem = sum(c.requests.get("memory", 0) or NONZERO_MEMORY_BYTES for c in apps)
    nz_cpu = max(nz_cpu, pod.requests.get("cpu", 0))
    nz_mem = max(nz_mem, pod.requests.get("memory", 0))
    hard = tuple(c for c in wl.template.spread if c.when_unsatisfiable == "DoNotSchedule")
    domains = []
    for c in hard:
        if c.topology_key == "kubernetes.io/hostname":
            domains.append(np.arange(fleet.size, dtype=np.int64))
        elif c.topology_key in (
            "topology.kubernetes.io/zone",
            "failure-domain.beta.kubernetes.io/zone",
        ):
            domains.append(fleet.zone.copy())
        else:
            group_values = [
                fleet.group_labels(int(g)).get(c.topology_key) for g in range(len(fleet.groups))
            ]
            distinct = sorted({v for v in group_values if v is not None})
            group_codes = np.array(
                [-1 if v is None else distinct.index(v) for v in group_values], dtype=np.int64
            )
            domains.append(group_codes[fleet.group] if fleet.size else np.zeros(0, dtype=np.int64))
    return PodClass(
        request=req,
        nz_cpu=int(nz_cpu),
        nz_memory=int(nz_mem),
        eligible=filters.eligible,
        affinity=filters.affinity,
        anti_affinity=wl.template.anti_affinity_hostname,
        soft_spread=wl.kind in ("Deployment", "ReplicaSet", "StatefulSet")
        and not wl.template.spread,
        hard_spread=hard,
        zone=fleet.zone,
        domains=tuple(domains),
    )


def _needs_ip(wl: Workload, pod: AdmittedPod) -> bool:
    return not wl.template.host_network and pod.requests.get(POD_ENI, 0) == 0


_API_GROUP = {"Job": "batch", "Pod": ""}


def _invalid_message(wl: Workload, error: str) -> str:
    """The 422 text for the object the user applied (the pod, or its controller's template)."""
    if wl.kind == "Pod":
        return error.replace("Pod is", f'Pod "{wl.name}" is', 1)
    group = _API_GROUP.get(wl.kind, "apps")
    return error.replace(
        "Pod is invalid: spec.", f'{wl.kind}.{group} "{wl.name}" is invalid: spec.template.spec.', 1
    )


def _pod_name(wl: Workload) -> str:
    return wl.name if wl.kind == "Pod" else f"{wl.name}-"


def simulate(
    cluster: Cluster,
    manifests: Any,
    *,
    scoring: ScoringStrategy = "LeastAllocated",
    engine: Engine = "fast",
    seed: int | None = None,
    existing: pd.DataFrame | None = None,
) -> SimulationResult:
    """Simulate ``kubectl apply`` of manifests on a cluster.

    Parameters
    ----------
    cluster : Cluster
        Node groups.
    manifests : path, YAML text, dict, list of those, or Manifests
        What a user would ``kubectl apply`` (see :func:`podcap.manifests.load_manifests`).
    scoring : {"LeastAllocated", "MostAllocated"}
        NodeResourcesFit scoring strategy.
    engine : {"fast", "reference"}
        The vectorized engine, or the pod-by-pod reference oracle (small fleets only).
    seed : int, optional
        Tie rule.  None (default): among equally scored nodes the one with the fewest pods of the
        workload, then the first node (group order, then index within the group).  An integer:
        the first node in a random permutation of the nodes drawn with this seed (the real
        scheduler breaks ties at random).
    existing : pandas.DataFrame, optional
        Pods already on the nodes (``Snapshot.existing`` from :func:`podcap.read_snapshot`):
        they hold their requests, pod slots and addresses before anything new is placed.

    Returns
    -------
    SimulationResult

    Notes
    -----
    Workloads are admitted in apply order and scheduled by priority (highest first), then in
    apply order; DaemonSet pods go to every eligible node.  After scheduling, pods that need a
    VPC address take the node's pod IPs in scheduling order; the rest stay in
    ContainerCreating.  Preemption, PreferNoSchedule taints, preferred affinities and inter-pod
    affinity other than required hostname anti-affinity on the pod's own labels are not modelled.
    """
    if not isinstance(cluster, Cluster):
        raise InvalidSpecError(f"cluster must be a podcap.Cluster, got {type(cluster).__name__}")
    if scoring not in ("LeastAllocated", "MostAllocated"):
        raise InvalidOptionError(
            f"unknown scoring strategy {scoring!r}; valid: LeastAllocated, MostAllocated"
        )
    if engine not in ("fast", "reference"):
        raise InvalidOptionError(f"unknown engine {engine!r}; valid: fast, reference")
    ms = manifests if isinstance(manifests, Manifests) else load_manifests(manifests)
    requested = {
        r
        for w in ms.workloads
        for c in (*w.template.containers, *w.template.init_containers)
        for r in (*c.requests, *c.limits)
    } | {r for w in ms.workloads for r in w.template.overhead}
    fleet = build_fleet(cluster, tuple(sorted(requested - set(RESOURCES))))
    fleet, subnet_state, node_groups = _launch(fleet)
    state = NodeState.empty(fleet.alloc, fleet.pods_alloc)
    existing = _without_replaced(existing, ms.workloads)
    existing_ip = _load_existing(fleet, state, existing)
    place = place_fast if engine == "fast" else place_reference
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
        raise InvalidOptionError(f"seed must be an integer or None, got {seed!r}")
    rank = (
        None
        if seed is None
        else np.random.default_rng(seed).permutation(fleet.size).astype(np.int64)
    )
    most = scoring == "MostAllocated"

    known_ns = set(ms.namespaces)
    if existing is not None and len(existing):
        known_ns |= set(existing["namespace"].astype(str))
    missing_ns = sorted({w.namespace for w in ms.workloads} - _BUILTIN_NAMESPACES - known_ns)
    if missing_ns:
        warnings.warn(
            f"namespace(s) {', '.join(missing_ns)} are used but not declared; assumed to exist",
            PodcapWarning,
            stacklevel=2,
        )
    priorities = dict(BUILTIN_PRIORITIES)
    priorities.update({pc.name: pc.value for pc in ms.priority_classes})
    defaults = [pc for pc in ms.priority_classes if pc.global_default]
    default_priority = max((pc.value for pc in defaults), default=0)
    quota = QuotaState(ms.quotas)
    if existing is not None and len(existing):
        _preload_quota(quota, existing)

    rows: list[dict[str, Any]] = []
    plans: list[tuple[int, int, Workload, AdmittedPod, _Filters, int]] = []
    for order, wl in enumerate(ms.workloads):
        lrs = [lr for lr in ms.limit_ranges if lr.namespace == wl.namespace]
        pod = admit(wl.template, lrs)
        tolerations = pod_tolerations(wl)
        filters = _filters(fleet, wl.template, tolerations)
        desired = int(filters.eligible.sum()) if wl.kind == "DaemonSet" else wl.replicas
        row: dict[str, Any] = {
            "namespace": wl.namespace,
            "kind": wl.kind,
            "name": wl.name,
            "desired": desired,
            "running": 0,
            "pending": 0,
            "container_creating": 0,
            "not_created": 0,
            "rejected": 0,
            "reason": "",
            "cpu_request_millicores": int(pod.requests.get("cpu", 0)),
            "memory_request_mib": pod.requests.get("memory", 0) / _MIB,
        }
        rows.append(row)
        pcn = wl.template.priority_class_name
        if pcn and pcn not in priorities:
            row["rejected"] = desired
            row["reason"] = (
                f'pods "{_pod_name(wl)}" is forbidden: no PriorityClass with name {pcn} was found'
            )
            continue
        if not pod.ok:
            row["rejected"] = desired
            row["reason"] = (
                f'pods "{_pod_name(wl)}" is {pod.error}'
                if pod.error.startswith("forbidden")
                else _invalid_message(wl, pod.error)
            )
            continue
        created, quota_msg = quota.admit_many(wl.namespace, pod, desired, _pod_name(wl))
        row["not_created"] = desired - created
        if quota_msg:
            row["_quota"] = quota_msg
        plans.append((-priorities.get(pcn, default_priority), order, wl, pod, filters, created))

    # Phase 1: scheduling, by priority then apply order.
    @dataclass
    class _Placed:
        order: int
        wl: Workload
        pod: AdmittedPod
        pc: PodClass
        filters: _Filters
        created: int
        counts: npt.NDArray[np.int64]
        pending: int

    placed_list: list[_Placed] = []
    for _, order, wl, pod, filters, created in sorted(plans, key=lambda p: (p[0], p[1])):
        pc = _pod_class(fleet, wl, pod, filters)
        if wl.kind == "DaemonSet":
            # one pod per eligible node, created in node order up to the quota's allowance
            fits = pc.eligible & fits_one(state, pc)
            allowed = np.cumsum(pc.eligible) <= created
            counts = (fits & allowed).astype(np.int64)
        else:
            counts = place(state, pc, created, most_allocated=most, rank=rank)
        pending = created - int(counts.sum())
        if wl.ordered and pending:
            pending = 1  # StatefulSet OrderedReady: the first pod that cannot run blocks the rest
        state.add(pc, counts)
        placed_list.append(_Placed(order, wl, pod, pc, filters, created, counts, pending))

    # Phase 2: what the VPC CNI can give each node (instance limit, warm pool, subnets).
    ip_pods = existing_ip[0].copy()
    branch_pods = existing_ip[1].copy()
    for pl in placed_list:
        if _needs_ip(pl.wl, pl.pod):
            ip_pods += pl.counts
        elif not pl.wl.template.host_network:
            branch_pods += pl.counts
    ip_limit, subnet_short = _pod_address_limits(fleet, ip_pods, branch_pods, subnet_state)

    # Phase 3: pods take addresses in scheduling order; outcomes and reasons.
    placements: list[pd.DataFrame] = []
    ips_used = np.minimum(existing_ip[0], ip_limit)  # pods already running hold their addresses
    last: _Placed | None = None
    for pl in placed_list:
        row = rows[pl.order]
        wl, pc, counts = pl.wl, pl.pc, pl.counts
        stuck = np.zeros_like(counts)
        if _needs_ip(wl, pl.pod):
            free_ips = np.maximum(ip_limit - ips_used, 0)
            stuck = counts - np.minimum(counts, free_ips)
        pending = pl.pending
        if wl.ordered and stuck.any():
            # OrderedReady: the first pod without an address blocks the rest (never created)
            first = int(np.argmax(stuck > 0))
            removed = stuck.copy()
            removed[first] -= 1
            state.add(pc, -removed)
            counts = counts - removed
            stuck = np.zeros_like(stuck)
            stuck[first] = 1
            pending = 0
        row["not_created"] += pl.created - int(counts.sum()) - pending
        if _needs_ip(wl, pl.pod):
            ips_used += counts - stuck
        placed = int(counts.sum())
        row["pending"] = pending
        row["container_creating"] = int(stuck.sum())
        row["running"] = placed - int(stuck.sum())
        own = np.zeros(fleet.size, dtype=np.int64)
        if row["container_creating"]:
            short = stuck > 0
            if (short & subnet_short).any():
                i = int(np.argmax(short & subnet_short))
                row["reason"] = _subnet_error(fleet, i, subnet_state)
            else:
                row["reason"] = CNI_ERROR
        elif row["pending"]:
            if wl.template.node_name:
                row["reason"] = _node_name_reason(fleet, state, pc, wl.template.node_name)
            elif wl.kind == "DaemonSet":
                missing = pc.eligible & (np.cumsum(pc.eligible) <= pl.created) & (counts == 0)
                node = int(np.argmax(missing))
                only = np.zeros(fleet.size, dtype=bool)
                only[node] = True
                row["reason"] = failed_scheduling_message(fleet, state, pc, pl.filters, own, only)
            else:
                row["reason"] = failed_scheduling_message(
                    fleet, state, pc, pl.filters, own + counts
                )
        elif row.get("_quota"):
            row["reason"] = row["_quota"]
        nz = np.nonzero(counts)[0]
        placements.append(
            pd.DataFrame(
                {
                    "namespace": wl.namespace,
                    "kind": wl.kind,
                    "name": wl.name,
                    "node": fleet.names[nz],
                    "pods": counts[nz],
                    "running": (counts - stuck)[nz],
                    "container_creating": stuck[nz],
                }
            )
        )
        if wl.kind != "DaemonSet" or last is None or last.wl.kind == "DaemonSet":
            last = pl
    for row in rows:
        if not row["reason"] and row.get("_quota"):
            row["reason"] = row["_quota"]
        row.pop("_quota", None)

    workloads = pd.DataFrame(rows, columns=list(WORKLOAD_COLUMNS))
    total = workloads[list(OUTCOMES)].sum(axis=1)
    if not (total == workloads["desired"]).all():  # pragma: no cover - an internal invariant
        raise AssertionError("podcap lost pods: outcome columns do not add up to desired")
    nodes = _nodes_frame(
        fleet,
        state,
        ips_used,
        ip_limit,
        None if last is None else last.pc,
        None if last is None else last.filters,
        True if last is None else _needs_ip(last.wl, last.pod),
    )
    placement = (
        pd.concat(placements, ignore_index=True)
        if placements
        else pd.DataFrame(
            columns=["namespace", "kind", "name", "node", "pods", "running", "container_creating"]
        )
    )
    subnets = _subnets_frame(fleet, subnet_state, ips_used)
    return SimulationResult(workloads, nodes, placement, list(ms.skipped), subnets, node_groups)


def _without_replaced(
    existing: pd.DataFrame | None, workloads: Sequence[Workload]
) -> pd.DataFrame | None:
    """Drop existing pods that the applied workloads replace (``kubectl apply`` of an object
    that already runs does not add pods to it: its controller owns them).

    Pods are matched by namespace and owner: a Deployment owns the pods of its ReplicaSets
    (named ``<deployment>-<hash>``); DaemonSets, StatefulSets, ReplicaSets and Jobs own their
    pods by name; a bare Pod by its own name.
    """
    if existing is None or len(existing) == 0 or not workloads:
        return existing
    ns = existing["namespace"].astype(str)
    owner = existing["owner"].astype(str)
    kind = existing["owner_kind"].astype(str)
    rs_parent = owner.str.rsplit("-", n=1).str[0]
    drop = np.zeros(len(existing), dtype=bool)
    for w in workloads:
        same_ns = (ns == w.namespace).to_numpy()
        if w.kind == "Deployment":
            mine = (kind == "ReplicaSet") & (rs_parent == w.name)
        else:
            mine = (kind == w.kind) & (owner == w.name)
        drop |= same_ns & mine.to_numpy()
    return existing[~drop].reset_index(drop=True)


def _preload_quota(quota: QuotaState, existing: pd.DataFrame) -> None:
    """Count the pods already in a namespace against its ResourceQuotas (requests and pods)."""
    per_ns = (
        existing.assign(
            cpu=existing["cpu_millicores"] * existing["pods"],
            memory=existing["memory_bytes"] * existing["pods"],
            storage=existing["ephemeral_storage_bytes"] * existing["pods"],
        )
        .groupby("namespace")[["pods", "cpu", "memory", "storage"]]
        .sum()
    )
    column = {
        "pods": "pods",
        "count/pods": "pods",
        "cpu": "cpu",
        "requests.cpu": "cpu",
        "memory": "memory",
        "requests.memory": "memory",
        "ephemeral-storage": "storage",
        "requests.ephemeral-storage": "storage",
    }
    for q in quota.quotas:
        if q.namespace not in per_ns.index:
            continue
        used = quota.used.setdefault((q.namespace, q.name), dict.fromkeys(q.hard, 0))
        for key in q.hard:
            if key in column:
                used[key] += int(per_ns[column[key]].to_dict()[q.namespace])


def _load_existing(
    fleet: Fleet, state: NodeState, existing: pd.DataFrame | None
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Account pods already on the nodes; returns (address-consuming, branch-ENI) pods per node."""
    ip = np.zeros(fleet.size, dtype=np.int64)
    branch = np.zeros(fleet.size, dtype=np.int64)
    if existing is None or len(existing) == 0:
        return ip, branch
    from podcap.snapshot import EXISTING_COLUMNS

    missing = [c for c in EXISTING_COLUMNS if c not in existing.columns]
    if missing:
        raise InvalidOptionError(
            f"existing pods lack column(s) {', '.join(missing)}; use podcap.read_snapshot"
        )
    pos = pd.Index(fleet.names.astype(str)).get_indexer(pd.Index(existing["node"].astype(str)))
    if (pos < 0).any():
        unknown = sorted(set(existing["node"][pos < 0].astype(str)))
        raise InvalidOptionError(
            f"existing pods on node(s) not in the cluster: {', '.join(unknown[:10])}"
        )
    count = existing["pods"].to_numpy(dtype=np.int64)
    columns = {
        "cpu": "cpu_millicores",
        "memory": "memory_bytes",
        "ephemeral-storage": "ephemeral_storage_bytes",
        POD_ENI: "pod_eni",
    }
    for r, name in enumerate(fleet.resources):
        if name in columns:
            np.add.at(state.used[r], pos, existing[columns[name]].to_numpy(dtype=np.int64) * count)
    np.add.at(
        state.nz_cpu, pos, existing["nonzero_cpu_millicores"].to_numpy(dtype=np.int64) * count
    )
    np.add.at(
        state.nz_memory, pos, existing["nonzero_memory_bytes"].to_numpy(dtype=np.int64) * count
    )
    np.add.at(state.pods, pos, count)
    host = existing["host_network"].to_numpy(dtype=bool)
    eni = existing["pod_eni"].to_numpy(dtype=np.int64) > 0
    np.add.at(ip, pos[~host & ~eni], count[~host & ~eni])
    np.add.at(branch, pos[~host & eni], count[~host & eni])
    return ip, branch


def _node_subnets(fleet: Fleet) -> tuple[npt.NDArray[np.object_], npt.NDArray[np.object_]]:
    """Per node: the CIDR of its node subnet and of its pod subnet ('' when none is modelled)."""
    node_sn = np.full(fleet.size, "", dtype=object)
    pod_sn = np.full(fleet.size, "", dtype=object)
    for gi, g in enumerate(fleet.groups):
        cni = g.cni_settings
        for sn in g.subnets:
            sel = (fleet.group == gi) & (fleet.zone == fleet.zones.index(sn.zone))
            node_sn[sel] = sn.cidr
            pod_sn[sel] = sn.cidr
        for sn in cni.pod_subnets:
            if sn.zone in fleet.zones:
                sel = (fleet.group == gi) & (fleet.zone == fleet.zones.index(sn.zone))
                pod_sn[sel] = sn.cidr
    return node_sn, pod_sn


def _launch(fleet: Fleet) -> tuple[Fleet, SubnetState | None, pd.DataFrame]:
    """Nodes take their primary address in node order; those that get none do not start."""
    started = np.ones(fleet.size, dtype=bool)
    subnet_state: SubnetState | None = None
    all_subnets = [sn for g in fleet.groups for sn in (*g.subnets, *g.cni_settings.pod_subnets)]
    reasons: dict[int, str] = {}
    if all_subnets:
        subnet_state = SubnetState.of(all_subnets)
        node_sn, _ = _node_subnets(fleet)
        for cidr, st in subnet_state.state.items():
            sel = np.flatnonzero(node_sn == cidr)
            granted = allocate_singles(st, np.ones(sel.shape[0], dtype=np.int64), NODE)
            failed = sel[granted == 0]
            started[failed] = False
            for gi in np.unique(fleet.group[failed]):
                reasons[int(gi)] = (
                    f"InsufficientFreeAddressesInSubnet: subnet {cidr} has no free address for "
                    "the node's primary network interface"
                )
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


def _pod_address_limits(
    fleet: Fleet,
    ip_pods: npt.NDArray[np.int64],
    branch_pods: npt.NDArray[np.int64],
    subnet_state: SubnetState | None,
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.bool_]]:
    """Per node: pods that can get a VPC address, and whether the subnet was the limit."""
    limit = fleet.pod_ips.copy()
    short = np.zeros(fleet.size, dtype=bool)
    pools: list[tuple[npt.NDArray[np.int64], NodePool]] = []
    for gi, g in enumerate(fleet.groups):
        idx = np.flatnonzero(fleet.group == gi)
        if idx.size == 0:
            continue
        cni = g.cni_settings
        row: Any = type_info(g.instance_type)
        n = idx.size
        pool = node_pool(
            np.full(n, int(row["enis"])),
            np.full(n, int(row["ipv4_per_eni"])),
            np.full(n, row["hypervisor"] == "nitro" or bool(row["bare_metal"])),
            np.full(n, row["trunking_compatible"] is not False),
            ip_pods[idx],
            fleet.pods_alloc[idx],
            cni,
            branch_pods[idx],
        )
        w = cni.warm_settings
        if w["minimum_ip_target"] > 0 and w["warm_ip_target"] == 0:
            # MINIMUM_IP_TARGET alone: ipamd stops allocating once the minimum is held
            limit[idx] = np.minimum(limit[idx], pool.pod_ips_held)
        pools.append((idx, pool))
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
    for idx, pool in pools:
        g = fleet.groups[int(fleet.group[idx[0]])]
        row_t: Any = type_info(g.instance_type)
        cni = g.cni_settings
        trunk[idx] = int(cni.pod_eni and row_t["trunking_compatible"] is not False)
        extra[idx] = pool.extra_eni_primaries - trunk[idx] - branch_pods[idx]
        secondary[idx] = pool.secondary_ips
        prefixes[idx] = pool.prefixes
        prefix_mode[idx] = pool.prefix_mode
        ipv6[idx] = cni.ip_family == "ipv6"
        slots[idx] = max(int(row_t["ipv4_per_eni"]) - 1, 1)
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
    for cidr, st in subnet_state.state.items():
        sel = np.flatnonzero((pod_sn == cidr) & wants_v4)
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
        nodes_here = np.flatnonzero(node_sn == cidr)
        if nodes_here.size:
            allocate_singles(st, trunk[nodes_here] + branch_pods[nodes_here], NODE)
    short = got_pod_ips < np.minimum(ip_pods, np.where(prefix_mode, prefixes * 16, secondary))
    limit = np.where(short, np.minimum(limit, got_pod_ips), limit)
    return limit, short


def _subnet_error(fleet: Fleet, i: int, subnet_state: SubnetState | None) -> str:
    _, pod_sn = _node_subnets(fleet)
    cidr = str(pod_sn[i])
    g = fleet.groups[int(fleet.group[i])]
    cni = g.cni_settings
    info: Any = type_info(g.instance_type)
    prefix_capable = info["hypervisor"] == "nitro" or bool(info["bare_metal"])
    if cni.prefix_delegation and prefix_capable and cni_version_supports_prefix(cni.cni_version):
        code = "InsufficientCidrBlocks"
        what = "has no free, aligned /28 block for a prefix"
    else:
        code = "InsufficientFreeAddressesInSubnet"
        what = "has no free address left"
    return f"{CNI_ERROR} (ipamd: {code}: subnet {cidr} {what})"


def _subnets_frame(
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
    for r in rows:
        used = int(ips_used[(pod_sn == r["subnet"]) & v4_nodes].sum())
        r["used_by_pods"] = used
        r["held_warm"] = r.pop("pod_addresses") - used
    return pd.DataFrame(rows, columns=columns)


def node_usage_frame(fleet: Fleet, state: NodeState) -> pd.DataFrame:
    """Per node: group, type, zone, pods and cpu / memory requested against allocatable."""
    groups = np.array([g.name for g in fleet.groups], dtype=object)
    types = np.array([g.instance_type for g in fleet.groups], dtype=object)
    zones = np.array(fleet.zones, dtype=object)
    return pd.DataFrame(
        {
            "node": fleet.names,
            "node_group": groups[fleet.group] if fleet.size else [],
            "instance_type": types[fleet.group] if fleet.size else [],
            "zone": zones[fleet.zone] if fleet.size else [],
            "pods": state.pods,
            "pods_allocatable": state.pods_alloc,
            "cpu_requested_millicores": state.used[0],
            "cpu_allocatable_millicores": state.alloc[0],
            "memory_requested_mib": state.used[1] / _MIB,
            "memory_allocatable_mib": state.alloc[1] / _MIB,
        }
    )


def _nodes_frame(
    fleet: Fleet,
    state: NodeState,
    ips_used: npt.NDArray[np.int64],
    ip_limit: npt.NDArray[np.int64],
    pc: PodClass | None,
    filters: _Filters | None,
    needs_ip: bool,
) -> pd.DataFrame:
    frame = node_usage_frame(fleet, state)
    frame["pod_ips_used"] = ips_used
    frame["pod_ips_capacity"] = fleet.pod_ips
    frame["pod_ips_available"] = ip_limit
    frame["binding_limit"] = binding_limit(fleet, state, ips_used, ip_limit, pc, filters, needs_ip)
    return frame


def binding_limit(
    fleet: Fleet,
    state: NodeState,
    ips_used: npt.NDArray[np.int64],
    ip_limit: npt.NDArray[np.int64],
    pc: PodClass | None,
    filters: _Filters | None,
    needs_ip: bool,
) -> npt.NDArray[np.object_]:
    """Which limit stops the next pod of ``pc`` on each node.

    ``"unschedulable"``, ``"taint"`` or ``"node_affinity"`` when the pod may not go there at all;
    otherwise the limit with the least headroom, in pods: ``"pods"``, ``"cpu"``, ``"memory"``,
    ``"ephemeral-storage"``, ``"vpc.amazonaws.com/pod-eni"`` or ``"pod_ips"`` (the next pod would
    be scheduled but get no address).  ``""`` when no workload was placed.
    """
    n = fleet.size
    out = np.full(n, "", dtype=object)
    if pc is None or filters is None:
        return out
    big = np.iinfo(np.int64).max
    names = ["pods", *fleet.resources, "pod_ips"]
    headroom = [state.pods_alloc - state.pods]
    free = state.alloc - state.used
    for r in range(len(fleet.resources)):
        headroom.append(free[r] // pc.request[r] if pc.request[r] > 0 else np.full(n, big))
    headroom.append(ip_limit - ips_used if needs_ip else np.full(n, big))
    stack = np.stack(headroom)
    out[:] = np.array(names, dtype=object)[np.argmin(stack, axis=0)]
    out[~filters.affinity] = "node_affinity"
    taint_groups = np.array([t is not None for t in filters.taint], dtype=bool)
    out[taint_groups[fleet.group]] = "taint"
    cordoned = np.array(filters.cordoned, dtype=bool)
    out[cordoned[fleet.group]] = "unschedulable"
    return out
