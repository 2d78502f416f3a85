"""One step: controllers, the scheduling queue and the VPC CNI act on a cluster state.

:func:`settle` is the only place where pods are created, scheduled and given addresses:

1. **Controllers reconcile**, workload by workload in creation order: missing pods are created
   and admitted under the objects in effect now (LimitRanges, PriorityClasses, quotas; pods
   over quota are never created), surplus pods are removed the way the controller removes them,
   a DaemonSet gets one pod per node it should run on, pinned to that node.
2. **One scheduling queue**: every pending pod, highest priority first, then creation order.
   Pods already bound stay where they are.
3. **Addresses**: pods that need a VPC address take one in the order they were bound; the rest
   stay in ContainerCreating.

:func:`step` is ``kubectl apply`` of manifests followed by :func:`settle`.
"""

from __future__ import annotations

import heapq
import warnings
from collections.abc import Sequence
from dataclasses import replace
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd

from podcap.errors import InvalidOptionError, PodcapWarning
from podcap.io.manifests import Manifests, load_manifests
from podcap.model.admission import AdmittedPod, QuotaState, admit, pod_tolerations
from podcap.model.cluster_autoscaler import ClusterAutoscaler
from podcap.model.disruption import SCALABLE_KINDS, DisruptionBudget
from podcap.model.fleet import POD_ENI, Fleet
from podcap.model.specs import Cluster, NodeGroup
from podcap.model.volumes import resolve_volumes, with_volume_limits
from podcap.model.workloads import (
    SPREAD_BY_DEFAULT,
    PodAffinityTerm,
    Workload,
    rollout_step_index,
)
from podcap.pipeline.addresses import CNI_ERROR, launch, pod_address_limits, subnet_error
from podcap.pipeline.addresses import subnets_frame as _subnets_frame
from podcap.pipeline.cluster_autoscaler import grown, scale_up
from podcap.pipeline.provision import NodeClaim, PendingPods, provision
from podcap.pipeline.results import (
    OUTCOMES,
    SCALE_UP_COLUMNS,
    WORKLOAD_COLUMNS,
    SimulationResult,
    nodeclaims_frame,
    nodes_frame,
)
from podcap.pipeline.state import (
    AutoscalingMode,
    ClusterState,
    Cohort,
    CronJobMode,
    Key,
    RolloutMode,
)
from podcap.scheduler.cycle import diagnose, node_filters, pod_class, scheduling_failure
from podcap.scheduler.fast import (
    Lower,
    node_order,
    not_modelled,
    pick_preemption_node,
    place_fast,
    place_sampled_nodes,
    preemption_candidates,
)
from podcap.scheduler.framework import Filters, NodeState, PodClass, PodSpec
from podcap.scheduler.plugins import node_ports
from podcap.scheduler.plugins.node_name import kubelet_rejection
from podcap.scheduler.plugins.node_resources_fit import fits_one
from podcap.scheduler.profile import nodes_to_find
from podcap.scheduler.reference import explain_reference, place_reference

__all__ = ["Engine", "ScoringStrategy", "settle", "step"]

ScoringStrategy = Literal["LeastAllocated", "MostAllocated"]
Engine = Literal["fast", "reference"]
IntArray = npt.NDArray[np.int64]
_MIB = float(1 << 20)
_API_GROUP = {
    "Job": "batch",
    "CronJob": "batch",
    "Pod": "",
    "ReplicationController": "",
    "Rollout": "argoproj.io",
}


def pod_name(wl: Workload) -> str:
    """How the API server names the pod in its messages (``name-`` for generated names)."""
    return wl.name if wl.kind == "Pod" else f"{wl.name}-"


def _invalid_message(wl: Workload, error: str) -> str:
    """The 422 text for the object the user applied (the pod, or its controller's template)."""
    if wl.kind == "Pod":
        return error.replace("Pod is", f'Pod "{wl.name}" is', 1)
    group = _API_GROUP.get(wl.kind, "apps")
    return error.replace(
        "Pod is invalid: spec.", f'{wl.kind}.{group} "{wl.name}" is invalid: spec.template.spec.', 1
    )


def needs_ip(wl: Workload, pod: AdmittedPod) -> bool:
    """Whether the pod takes a VPC address from the node's pool (not hostNetwork, no branch ENI)."""
    return not wl.template.host_network and pod.requests.get(POD_ENI, 0) == 0


def _check_options(
    scoring: str,
    engine: str,
    seed: Any,
    percentage: Any = 0,
    hpa: Any = "start",
    cronjobs: Any = "idle",
    rollout: Any = "stable",
) -> None:
    if rollout != "stable":
        try:
            rollout_step_index(rollout)
        except ValueError as exc:
            raise InvalidOptionError(str(exc)) from None
    if hpa not in ("start", "min", "max"):
        raise InvalidOptionError(
            f"unknown hpa mode {hpa!r}; valid: start (as the autoscaler starts), min, max"
        )
    if cronjobs not in ("idle", "run"):
        raise InvalidOptionError(
            f"unknown cronjobs mode {cronjobs!r}; valid: idle (no pods between runs), run "
            "(one run of each CronJob)"
        )
    if scoring not in ("LeastAllocated", "MostAllocated"):
        raise InvalidOptionError(
            f"unknown scoring strategy {scoring!r}; valid: LeastAllocated, MostAllocated"
        )
    if engine not in ("fast", "reference"):
        raise InvalidOptionError(f"unknown engine {engine!r}; valid: fast, reference")
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int) or seed < 0):
        raise InvalidOptionError(f"seed must be an integer >= 0 or None, got {seed!r}")
    if (
        isinstance(percentage, bool)
        or not isinstance(percentage, int)
        or not 0 <= percentage <= 100
    ):
        raise InvalidOptionError(
            "percentage_of_nodes_to_score must be an integer from 0 (adaptive, the default) to "
            f"100 (score every node), got {percentage!r}"
        )


def step(
    state: ClusterState,
    manifests: Any,
    *,
    scoring: ScoringStrategy = "LeastAllocated",
    engine: Engine = "fast",
    seed: int | None = None,
    percentage_of_nodes_to_score: int = 0,
    hpa: AutoscalingMode = "start",
    cronjobs: CronJobMode = "idle",
    rollout: RolloutMode = "stable",
) -> tuple[ClusterState, SimulationResult]:
    """``kubectl apply`` of manifests to a state, then :func:`settle`.

    Parameters
    ----------
    state : ClusterState
    manifests : path, YAML text, dict, list of those, or Manifests
        As for :func:`podcap.simulate`.
    scoring, engine, seed, percentage_of_nodes_to_score, hpa, cronjobs, rollout
        As for :func:`podcap.simulate`.

    Returns
    -------
    (ClusterState, SimulationResult)
        The next state and what happened.
    """
    _check_options(scoring, engine, seed, percentage_of_nodes_to_score, hpa, cronjobs, rollout)
    ms = manifests if isinstance(manifests, Manifests) else load_manifests(manifests)
    return settle(
        state.apply(ms, hpa=hpa, cronjobs=cronjobs, rollout=rollout),
        scoring=scoring,
        engine=engine,
        seed=seed,
        percentage_of_nodes_to_score=percentage_of_nodes_to_score,
        skipped=ms.skipped,
    )


def _indices(cohorts: Sequence[Cohort]) -> dict[Key, list[int]]:
    """Positions of each workload's cohorts."""
    out: dict[Key, list[int]] = {}
    for i, c in enumerate(cohorts):
        out.setdefault(c.key, []).append(i)
    return out


def _take_in_order(amount: IntArray, order: IntArray, surplus: int) -> IntArray:
    """Per node, how many of ``amount`` to remove when removing ``surplus`` along ``order``."""
    cum = np.cumsum(amount[order])
    take = np.clip(surplus - (cum - amount[order]), 0, amount[order])
    out = np.zeros_like(amount)
    out[order] = take
    return out


def _shrink(cohorts: list[Cohort], idx: list[int], surplus: int, kind: str) -> None:
    """Remove ``surplus`` pods of one workload the way its controller does.

    Pending pods go first (newest first).  A ReplicaSet then removes pods that are not ready
    (bound but waiting for an address), then bound pods on the nodes holding the most pods of
    the workload first (``ActivePodsWithRanks`` in the ReplicaSet controller: unassigned before
    assigned, not ready before ready, then a pod's rank is the number of the workload's pods on
    its node), newest first on a node; a StatefulSet removes its newest pods (highest ordinals)
    first.
    """
    newest_first = sorted(idx, key=lambda j: -cohorts[j].seq)
    for i in newest_first:
        take = min(cohorts[i].pending, surplus)
        if take:
            cohorts[i] = replace(cohorts[i], pending=cohorts[i].pending - take)
            surplus -= take
    if surplus <= 0:
        return
    if kind == "StatefulSet":
        for i in newest_first:
            bound = cohorts[i].bound
            d = _take_in_order(bound, np.arange(bound.shape[0])[::-1], surplus)
            cohorts[i] = replace(cohorts[i], bound=bound - d)
            surplus -= int(d.sum())
        return
    own = sum((cohorts[i].bound for i in idx), np.zeros_like(cohorts[idx[0]].bound))
    order = np.lexsort((np.arange(own.shape[0]), -own))  # most pods first, then node order
    for i in newest_first:
        c = cohorts[i]
        if c.addressed is None or surplus <= 0:
            continue
        not_ready = c.bound - np.minimum(c.addressed, c.bound)
        d = _take_in_order(not_ready, order, surplus)
        cohorts[i] = replace(c, bound=c.bound - d)
        own = own - d
        surplus -= int(d.sum())
    if surplus <= 0:
        return
    order = np.lexsort((np.arange(own.shape[0]), -own))
    remove = _take_in_order(own, order, surplus)
    for i in newest_first:
        d = np.minimum(cohorts[i].bound, remove)
        cohorts[i] = replace(cohorts[i], bound=cohorts[i].bound - d)
        remove = remove - d


def settle(
    state: ClusterState,
    *,
    scoring: ScoringStrategy = "LeastAllocated",
    engine: Engine = "fast",
    seed: int | None = None,
    percentage_of_nodes_to_score: int = 0,
    skipped: Sequence[str] = (),
) -> tuple[ClusterState, SimulationResult]:
    """Let the controllers, the scheduler and the VPC CNI act on a state.

    Parameters
    ----------
    state : ClusterState
    scoring : {"LeastAllocated", "MostAllocated"}
        NodeResourcesFit scoring strategy.
    engine : {"fast", "reference"}
        The vectorized engine, or the pod-by-pod reference oracle (small fleets only).
    seed : int, optional
        Tie rule: None picks, among equally scored nodes, the one with the fewest pods of the
        workload, then the first; an integer picks at random with this seed: a draw per pod
        where the scheduler samples nodes, a seeded random node order where it scores them
        all.
    percentage_of_nodes_to_score : int
        The scheduler's ``percentageOfNodesToScore`` (0: adaptive, ``50 - nodes / 125`` and at
        least 5; with fewer than 100 nodes every node is scored).  Both engines stop filtering
        after that many feasible nodes, from a start index that rotates from pod to pod and step
        to step; the fast engine does so while the step's work stays within
        ``_SAMPLED_BUDGET`` node evaluations, and scores every node above it.
    skipped : sequence of str
        Objects of the applied manifests that podcap does not simulate (reported as is).

    Returns
    -------
    (ClusterState, SimulationResult)

    Notes
    -----
    With Karpenter in the state (:meth:`ClusterState.with_node_pools`), the pods the scheduler
    leaves pending are packed into NodeClaims as Karpenter does
    (:func:`podcap.pipeline.provision.provision`); the nodes start and the scheduler runs
    again, which places the pending pods on them.  This repeats while Karpenter launches nodes
    (at most ``_PROVISION_ROUNDS`` times).
    """
    _check_options(scoring, engine, seed, percentage_of_nodes_to_score)
    options: dict[str, Any] = dict(
        scoring=scoring,
        engine=engine,
        seed=seed,
        percentage_of_nodes_to_score=percentage_of_nodes_to_score,
        skipped=skipped,
    )
    nxt, result = _settle_once(state, **options)
    karpenter = state.karpenter
    ca = state.cluster_autoscaler
    if ca is not None:
        nxt, result = _cluster_autoscaler(nxt, result, ca, options)
    if karpenter is None or not karpenter.node_pools:
        return nxt, result
    launched: list[NodeClaim] = []
    names: list[str] = []
    batches: list[int] = []
    preempted = result.workloads.set_index(["namespace", "kind", "name"])["preempted"]
    reasons: dict[Key, str] = {}
    for batch in range(_PROVISION_ROUNDS):
        pending = _provisionable(nxt)
        if not pending:
            break
        claims, reasons = provision(
            karpenter,
            nxt.fleet,
            pending,
            nxt.daemonset_pods(),
            nxt.cluster.table,
            first_claim=len(launched),
        )
        if not claims:
            break
        waiting = sum(p.count for p in pending)
        nxt, new_names = _with_claims(nxt, claims, len(launched))
        launched += claims
        names += new_names
        batches += [batch] * len(claims)
        nxt, result = _settle_once(nxt, **options)
        again = result.workloads.set_index(["namespace", "kind", "name"])["preempted"]
        preempted = again.add(preempted, fill_value=0).astype(np.int64)
        if sum(p.count for p in _provisionable(nxt)) >= waiting:
            break  # the scheduler placed none of them on the new nodes: a new batch would too
    frame = _with_autoscaler_reasons(
        result.workloads, preempted, {k: f"Karpenter: {v}" for k, v in reasons.items()}, "karpenter"
    )
    result = replace(result, workloads=frame, nodeclaims=nodeclaims_frame(launched, names, batches))
    return nxt, result


def _with_autoscaler_reasons(
    workloads: pd.DataFrame, preempted: pd.Series, reasons: dict[Key, str], code: str
) -> pd.DataFrame:
    """The workloads frame after an autoscaler's batches: the pods preempted in every pass,
    and the autoscaler's reason (and limit code) for workloads with pods still pending."""
    frame = workloads.copy()
    keys = list(zip(frame["namespace"], frame["kind"], frame["name"], strict=True))
    frame["preempted"] = [int(preempted.get(k, 0)) for k in keys]
    pending_now = frame["pending"].to_numpy(dtype=np.int64)
    for i, key in enumerate(keys):
        why = reasons.get(key)
        if why and pending_now[i] > 0:
            text = str(frame.at[i, "reason"])
            frame.at[i, "reason"] = f"{text}; {why}" if text else why
            codes = {c for c in str(frame.at[i, "limits"]).split(",") if c} | {code}
            frame.at[i, "limits"] = ",".join(sorted(codes))
    return frame


_PROVISION_ROUNDS = 5


def _cluster_autoscaler(
    state: ClusterState,
    result: SimulationResult,
    config: ClusterAutoscaler,
    options: dict[str, Any],
) -> tuple[ClusterState, SimulationResult]:
    """cluster-autoscaler's loop: scale one node group up, let the scheduler place the pods,
    again while a group helps (at most ``_PROVISION_ROUNDS`` times)."""
    rows: list[dict[str, Any]] = []
    preempted = result.workloads.set_index(["namespace", "kind", "name"])["preempted"]
    reasons: dict[Key, str] = {}
    for batch in range(_PROVISION_ROUNDS):
        up, reasons = scale_up(state, config)
        if up is None:
            break
        state = grown(state, up.group, up.nodes)
        rows.append(
            {
                "batch": batch,
                "node_group": up.group,
                "instance_type": up.instance_type,
                "nodes": up.nodes,
                "pods": up.pods,
                "expander": config.expander,
                "options": ",".join(up.options),
                "price_per_hour": up.price_per_hour,
            }
        )
        state, result = _settle_once(state, **options)
        again = result.workloads.set_index(["namespace", "kind", "name"])["preempted"]
        preempted = again.add(preempted, fill_value=0).astype(np.int64)
    frame = _with_autoscaler_reasons(result.workloads, preempted, reasons, "autoscaler")
    scale_ups = pd.DataFrame(rows, columns=list(SCALE_UP_COLUMNS))
    return state, replace(result, workloads=frame, scale_ups=scale_ups)


def _provisionable(state: ClusterState) -> list[PendingPods]:
    """Pending pods Karpenter would see: unschedulable, not DaemonSet pods, no nodeName."""
    fleet = state.fleet
    n_zones = len(fleet.zones)
    out = []
    # the volumes' meaning on the cluster (their topology), as the scheduler sees it
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PodcapWarning)  # said once, by the scheduler's pass
        workloads = resolve_volumes(state.workloads, state.storage)
    for c in state.cohorts:
        wl = workloads.get(c.key)
        if c.pending <= 0 or c.pinned is not None or wl is None or wl.kind == "DaemonSet":
            continue
        if wl.template.node_name:
            continue
        zones: dict[str, int] = {}
        if fleet.size:
            own = state.workload_pods(c.key)
            zoned = fleet.zone >= 0  # pods on nodes of unknown zone are in no zone
            per_zone = np.bincount(fleet.zone[zoned], weights=own[zoned], minlength=n_zones)
            zones = {fleet.zones[z]: int(v) for z, v in enumerate(per_zone) if v}
        out.append(PendingPods(c.key, wl, c.pod, c.pending, c.seq, zones))
    return out


def _with_claims(
    state: ClusterState, claims: Sequence[NodeClaim], first: int
) -> tuple[ClusterState, list[str]]:
    """The state with the NodeClaims' nodes started (one node group per NodeClaim shape)."""
    resources = state.fleet.resources
    shapes: dict[tuple[Any, ...], list[int]] = {}
    for i, c in enumerate(claims):
        shape = (c.nodepool, c.instance_type, c.capacity_type, c.node_zone)
        shapes.setdefault(shape, []).append(i)
    taken = {g.name for g in state.cluster.node_groups}
    used_names = {str(n) for n in state.fleet.names}
    used_names.update(n for g in state.cluster.node_groups for n in g.node_names)
    counter = first
    groups = list(state.cluster.node_groups)
    names = [""] * len(claims)
    for (pool, itype, ct, zone), idx in shapes.items():
        c = claims[idx[0]]
        alloc = c.allocatable
        base = f"{pool}-{itype.replace('.', '-')}-{'od' if ct == 'on-demand' else ct}"
        name = base
        k = 1
        while name in taken:
            k += 1
            name = f"{base}-{k}"
        taken.add(name)
        fresh: list[str] = []
        for _ in idx:
            while f"{pool}-nodeclaim-{counter}" in used_names:
                counter += 1
            fresh.append(f"{pool}-nodeclaim-{counter}")
            used_names.add(fresh[-1])
        node_names = tuple(fresh)
        for i, node in zip(idx, node_names, strict=True):
            names[i] = node
        extended = {
            r: int(alloc[j])
            for j, r in enumerate(resources)
            if r not in ("cpu", "memory", "ephemeral-storage", POD_ENI) and alloc[j] > 0
        }
        groups.append(
            NodeGroup(
                name=name,
                instance_type=itype,
                count=len(idx),
                zones=None if zone is None else (zone,),
                overhead="karpenter",
                labels=dict(c.labels),
                taints=tuple(c.taints),
                extended_resources=extended or None,
                allocatable={
                    "cpu": int(alloc[resources.index("cpu")]),
                    "memory": int(alloc[resources.index("memory")]),
                    "ephemeral-storage": int(alloc[resources.index("ephemeral-storage")]),
                    "pods": int(alloc[-1]),
                },
                node_names=node_names,
            )
        )
    cluster = Cluster(groups, table=state.cluster.table)
    return state.replace_node_groups(cluster), names


def _settle_once(
    state: ClusterState,
    *,
    scoring: ScoringStrategy = "LeastAllocated",
    engine: Engine = "fast",
    seed: int | None = None,
    percentage_of_nodes_to_score: int = 0,
    skipped: Sequence[str] = (),
) -> tuple[ClusterState, SimulationResult]:
    """One pass of the controllers, the scheduler and the VPC CNI (no node is added)."""
    _check_options(scoring, engine, seed, percentage_of_nodes_to_score)
    workloads = resolve_volumes(state.workloads, state.storage)
    fleet = with_volume_limits(state.fleet, workloads, state.cluster.table)
    full = state.full_fleet if state.full_fleet is not None else state.fleet
    _, subnet_state, _ = launch(full)  # a fresh address book with the nodes' own addresses
    n = fleet.size
    rank = None if seed is None else np.random.default_rng(seed).permutation(n).astype(np.int64)
    most = scoring == "MostAllocated"

    # The fast engine places what it models exactly; a workload using anything else
    # (inter-pod affinity either way, preferred terms, PreferNoSchedule taints, ScheduleAnyway
    # spreading, minDomains, ...) is placed by the reference cycle instead.
    exact: set[Key] = set()
    if engine == "fast":
        exact = _needs_reference(state, fleet)
        big = [k for k in exact if fleet.size > _REFERENCE_NODES]
        if big:
            warnings.warn(
                f"{', '.join(f'{k[0]}/{k[2]}' for k in big[:5])}: placed pod by pod by the "
                f"reference cycle on {fleet.size} nodes (inter-pod affinity, preferred terms, "
                "PreferNoSchedule or ScheduleAnyway spreading); this can take a while",
                PodcapWarning,
                stacklevel=3,
            )
    filters: dict[Key, Filters] = {
        key: node_filters(fleet, wl.template, pod_tolerations(wl)) for key, wl in workloads.items()
    }
    classes: dict[tuple[Key, int], PodClass] = {}
    specs: dict[tuple[Key, int, int], PodSpec] = {}

    def pspec(c: Cohort) -> PodSpec:
        k = (c.key, id(c.pod), c.seq)  # created: each cohort's own creation order
        if k not in specs:
            wl = workloads[c.key]
            pc = pclass(c)
            specs[k] = PodSpec(
                key=c.key,
                namespace=c.key[0],
                template=wl.template,
                tolerations=pod_tolerations(wl),
                request=pc.request,
                nz_cpu=pc.nz_cpu,
                nz_memory=pc.nz_memory,
                priority=c.priority,
                default_spread=wl.kind in SPREAD_BY_DEFAULT,
                created=c.seq,
            )
        return specs[k]

    def pclass(c: Cohort) -> PodClass:
        k = (c.key, id(c.pod))
        if k not in classes:
            classes[k] = pod_class(fleet, workloads[c.key], c.pod, filters[c.key])
        return classes[k]

    # 1. controllers reconcile, in creation order: first what they delete (surplus replicas,
    # DaemonSet pods on nodes no longer wanted), then what they create, so deleted pods free
    # their node and quota for the pods created in the same step
    cohorts = list(state.cohorts)
    seq = state.seq
    rows: dict[Key, dict[str, Any]] = {}
    notes: dict[Key, dict[str, str]] = {}
    by_key = _indices(cohorts)
    for key, wl in workloads.items():
        idx = by_key.get(key, [])
        if key in state.observed:
            continue
        if wl.kind == "DaemonSet":
            want = filters[key].eligible
            for i in idx:
                c = cohorts[i]
                pinned = None if c.pinned is None else np.where(want, c.pinned, 0).astype(np.int64)
                cohorts[i] = replace(
                    c,
                    bound=np.where(want, c.bound, 0).astype(np.int64),
                    pinned=pinned,
                    pending=0 if pinned is None else int(pinned.sum()),
                )
        else:
            existing = sum(cohorts[i].total for i in idx)
            if existing > wl.replicas:
                _shrink(cohorts, idx, existing - wl.replicas, wl.kind)

    nodes = NodeState.empty(fleet.alloc, fleet.pods_alloc)
    quota = QuotaState(list(state.quotas.values()))
    for c in cohorts:
        nodes.add(pclass(c), c.bound)
        quota.charge(c.key[0], c.pod, c.total)

    by_key = _indices(cohorts)
    for key, wl in workloads.items():
        idx = by_key.get(key, [])
        row: dict[str, Any] = dict.fromkeys(WORKLOAD_COLUMNS, 0)
        row.update(
            namespace=key[0],
            kind=key[1],
            name=key[2],
            reason="",
            limits="",
            desired_from=(
                "the pods observed"
                if key in state.observed
                else "eligible nodes"
                if wl.kind == "DaemonSet"
                else wl.desired_from
            ),
        )
        note: dict[str, str] = {}
        rows[key], notes[key] = row, note
        newest = cohorts[idx[-1]].pod if idx else None
        existing = sum(cohorts[i].total for i in idx)
        if key in state.observed:
            row["desired"] = wl.replicas
            missing_pods = wl.replicas - existing
            pod = state.observed_pods.get(key)
            if missing_pods > 0 and (key[1] in ("Pod", "Node", "") or pod is None):
                note["gone"] = (
                    "evicted from a drained or replaced node; a bare or static pod is not recreated"
                )
            elif missing_pods > 0 and pod is not None:
                # its controller recreates it; podcap knows the pod only as observed
                created, message = quota.admit_many(key[0], pod, missing_pods, pod_name(wl))
                if message:
                    note["quota"] = message
                if created:
                    seq += 1
                    cohorts.append(Cohort(key, pod, seq, 0, np.zeros(n, np.int64), created))
        elif wl.kind == "DaemonSet":
            want = filters[key].eligible
            have = np.zeros(n, dtype=np.int64)
            for i in idx:
                have += cohorts[i].bound
                pinned = cohorts[i].pinned
                if pinned is not None:
                    have += pinned
            row["desired"] = int(want.sum())
            missing = want & (have == 0)
            if missing.any():
                created, pod = _create(state, wl, int(missing.sum()), quota, row, note)
                if pod is not None:
                    newest = pod
                if created and pod is not None:
                    pins = (missing & (np.cumsum(missing) <= created)).astype(np.int64)
                    seq += 1
                    prio = state.priority_of(wl.template) or 0
                    cohorts.append(
                        Cohort(key, pod, seq, prio, np.zeros(n, np.int64), created, pins)
                    )
        else:
            row["desired"] = wl.replicas
            if existing < wl.replicas and key in state.evicted_bare:
                note["gone"] = (
                    "the Pod was evicted from a replaced node; a bare Pod is not recreated"
                )
            elif existing < wl.replicas:
                if wl.ordered and any(cohorts[i].pending for i in idx):
                    pass  # OrderedReady: no new pod while one is not running
                else:
                    created, pod = _create(state, wl, wl.replicas - existing, quota, row, note)
                    if pod is not None:
                        newest = pod
                    if created and pod is not None:
                        seq += 1
                        prio = state.priority_of(wl.template) or 0
                        cohorts.append(Cohort(key, pod, seq, prio, np.zeros(n, np.int64), created))
        if newest is not None:
            row["cpu_request_millicores"] = int(newest.requests.get("cpu", 0))
            row["memory_request_mib"] = newest.requests.get("memory", 0) / _MIB
    cohorts = [c for c in cohorts if c.total > 0 or (c.pinned is not None and c.pending)]

    # 2. one scheduling queue: priority, then creation order
    own: dict[Key, IntArray] = {}
    for c in cohorts:
        own[c.key] = own[c.key] + c.bound if c.key in own else c.bound.copy()
    positions, node_list = node_order(fleet.zone)
    budgets = list(state.budgets.values())
    queue = [(-c.priority, c.seq, i) for i, c in enumerate(cohorts) if c.pending > 0]
    heapq.heapify(queue)
    newly: list[Cohort] = []
    last: tuple[Cohort, PodClass] | None = None
    start = state.scheduler_start % n if n else 0  # the scheduler's next start index
    preempted: dict[Key, int] = {}

    def bound_now() -> tuple[list[tuple[list[Cohort], int]], list[tuple[PodSpec, IntArray]]]:
        where = [(cohorts, j) for j, b in enumerate(cohorts) if b.bound.any()]
        where += [(newly, j) for j in range(len(newly))]
        return where, [(pspec(lst[j]), lst[j].bound) for lst, j in where]

    def lowers(
        priority: int, ports: tuple[tuple[str, str, int], ...] = ()
    ) -> tuple[list[tuple[list[Cohort], int]], list[Lower]]:
        """The bound cohorts of lower priority than ``priority`` (preemption victims), and
        whether they hold one of ``ports``."""
        where, out = [], []
        for lst, j in bound_now()[0]:
            v = lst[j]
            if v.priority < priority and v.bound.any():
                where.append((lst, j))
                holds = node_ports.conflict(ports, workloads[v.key].template.host_ports)
                covering = tuple(
                    p
                    for p, budget in enumerate(budgets)
                    if budget.covers(v.key[0], workloads[v.key].template.labels)
                )
                out.append(Lower(pclass(v).request, v.bound, v.priority, v.seq, holds, covering))
        return where, out

    def budget_counts(
        current: Key | None = None, placed: IntArray | None = None
    ) -> list[tuple[DisruptionBudget, int, int, int]]:
        """Each PodDisruptionBudget with the pods the disruption controller counts for it now:
        running (bound pods count as healthy, ``placed`` of the workload ``current`` being
        scheduled included), existing, and its controllers' scale."""
        out = []
        for budget in budgets:
            healthy = covered = scale = 0
            for key, wl in workloads.items():
                if not budget.covers(key[0], wl.template.labels):
                    continue
                if key == current and placed is not None:
                    healthy += int(placed.sum())
                for b in [*cohorts, *newly]:
                    if b.key == key:
                        healthy += int(b.bound.sum())
                        covered += b.total
                if wl.kind in SCALABLE_KINDS:
                    scale += wl.replicas
            out.append((budget, healthy, covered, scale))
        return out

    def relieved(priority: int) -> tuple[npt.NDArray[np.bool_], NodeState]:
        """Nodes hosting lower-priority pods, and the node state without them."""
        lower_pods = np.zeros(n, dtype=np.int64)
        state_without = NodeState(
            nodes.alloc,
            nodes.pods_alloc,
            nodes.used.copy(),
            nodes.nz_cpu.copy(),
            nodes.nz_memory.copy(),
            nodes.pods.copy(),
        )
        for lst, j in lowers(priority)[0]:
            v = lst[j]
            lower_pods += v.bound
            state_without.add(pclass(v), -v.bound)
        return lower_pods > 0, state_without

    def preempt_fast(
        c: Cohort,
        pc: PodClass,
        mine: IntArray,
        only: npt.NDArray[np.bool_] | None,
        placed: IntArray,
    ) -> IntArray:
        """DefaultPreemption for the fast engine: evict the victims on the chosen node and bind
        one pod there (pinned pods: on each of the ``only`` nodes in turn, one cycle each);
        ``placed``: the pods of the cohort bound so far.  Returns the pods bound."""
        ports = workloads[c.key].template.host_ports
        got = np.zeros(n, dtype=np.int64)
        tolerations = pod_tolerations(workloads[c.key])
        kept = kept_ports(c).ports_taken  # ports held by pods that stay
        cycles = [None] if only is None else [int(i) for i in np.flatnonzero(only)]
        for node_only in cycles:
            where, low = lowers(c.priority, ports)
            if not low:
                break
            diag = diagnose(fleet, nodes, pc, filters[c.key], tolerations, mine + got)
            potential = diag.resolvable
            if node_only is not None:
                potential = potential & (np.arange(n) == node_only)
            counts_now = budget_counts(c.key, placed + got)
            allowed = np.array([b.allowed(*k) for b, *k in counts_now], dtype=np.int64)
            idx, victims, broken = preemption_candidates(
                nodes, pc, mine + got, potential, low, kept, allowed, positions
            )
            if idx.size == 0:
                continue
            col = pick_preemption_node(idx, victims, low, positions, broken)
            node = int(idx[col])
            evict(
                [(b, node, int(victims[b, col])) for b in range(len(low)) if victims[b, col]], where
            )
            one = np.zeros(n, dtype=np.int64)
            one[node] = 1
            nodes.add(pc, one)
            got += one
        return got

    def evict(
        victims: Sequence[tuple[int, int, int]], where: list[tuple[list[Cohort], int]]
    ) -> None:
        """Victims of a preemption leave their nodes; their controllers recreate them."""
        nonlocal seq
        for b, node, k in victims:
            lst, j = where[b]
            v = lst[j]
            vec = np.zeros(n, dtype=np.int64)
            vec[node] = k
            lst[j] = replace(v, bound=v.bound - vec)
            nodes.add(pclass(v), -vec)
            own[v.key] = own[v.key] - vec
            preempted[v.key] = preempted.get(v.key, 0) + k
            if v.key[1] in ("Pod", "Node", ""):
                notes[v.key]["gone"] = (
                    "preempted by a higher-priority pod; a bare Pod is not recreated"
                )
                continue
            if workloads[v.key].ordered:
                # OrderedReady: the controller recreates one pod and waits for it to run
                if any(x.key == v.key and x.pending for x in cohorts):
                    continue
                k = 1
            seq += 1
            pins = vec if workloads[v.key].kind == "DaemonSet" else None
            cohorts.append(Cohort(v.key, v.pod, seq, v.priority, np.zeros(n, np.int64), k, pins))
            heapq.heappush(queue, (-v.priority, seq, len(cohorts) - 1))

    def with_ports(c: Cohort, pc: PodClass, bound: Sequence[Cohort]) -> PodClass:
        """The pod class with the nodes where other workloads' pods hold a conflicting port."""
        mine = workloads[c.key].template.host_ports
        if not mine:
            return pc
        taken = np.zeros(n, dtype=bool)
        for b in bound:
            others = workloads[b.key].template.host_ports
            if b.key != c.key and b.bound.any() and node_ports.conflict(mine, others):
                taken |= b.bound > 0
        return replace(pc, ports_taken=taken)

    to_find = nodes_to_find(percentage_of_nodes_to_score, n)
    # Node sampling node by node costs about the nodes processed per pod; the step does it when
    # all its fast placements together stay within _SAMPLED_BUDGET, else it scores every node.
    sampling = False
    if engine == "fast" and to_find < n:
        work = 0
        for c in cohorts:
            if c.pending and c.pinned is None and c.key not in exact:
                feasible = max(int(pclass(c).eligible.sum()), 1)
                work += c.pending * min(n, to_find * n // feasible + 1)
        sampling = work <= _SAMPLED_BUDGET

    def draws(c: Cohort) -> npt.NDArray[np.float64] | None:
        """With a seed, one number in [0, 1) per pod of the cohort: where the scheduler samples
        nodes, pod ``j`` picks among its best-scored nodes with the ``j``-th (both engines; the
        fast engine above its sampling budget scores every node and breaks ties by ``rank``).
        Fresh numbers for each scheduling pass (``ClusterState.passes``) and cohort."""
        if seed is None or to_find >= n:
            return None
        if engine == "fast" and not sampling and c.key not in exact:
            return None
        return np.random.default_rng([seed, state.passes, c.seq]).random(c.pending)

    def place(pc: PodClass, k: int, mine: IntArray, ties: Any = None) -> IntArray:
        """The fast engine's placement of ``k`` pods: node by node from the scheduler's start
        index when the step samples, otherwise with every node scored."""
        nonlocal start
        if sampling:
            counts, start = place_sampled_nodes(
                nodes,
                pc,
                k,
                mine,
                node_list,
                to_find,
                start,
                most_allocated=most,
                rank=rank,
                ties=ties,
            )
            return counts
        return place_fast(nodes, pc, k, most_allocated=most, own=mine, rank=rank)

    def kept_ports(c: Cohort) -> PodClass:
        """The pod class with the host ports that pods preemption would keep hold (bound pods of
        the same or higher priority)."""
        keep = [b for b in [*cohorts, *newly] if b.priority >= c.priority and b.bound.any()]
        return with_ports(c, pclass(c), keep)

    while queue:
        i = heapq.heappop(queue)[2]
        c = cohorts[i]
        wl = workloads[c.key]
        pc = pclass(c)
        if wl.template.host_ports:
            pc = with_ports(c, pc, [*cohorts, *newly])
        booked = False  # the placed pods are already in ``nodes``
        if engine == "reference" or c.key in exact:
            spec = pspec(c)
            if c.pinned is not None:
                counts = np.zeros(n, dtype=np.int64)
                for node in np.flatnonzero(c.pinned > 0):
                    only = np.zeros(n, dtype=bool)
                    only[node] = True
                    where, bound = bound_now()
                    bound.append((spec, counts))
                    got = place_reference(
                        fleet,
                        nodes,
                        bound,
                        spec,
                        1,
                        most_allocated=most,
                        rank=rank,
                        only=only,
                        percentage=percentage_of_nodes_to_score,
                        start=start,
                        budgets=budget_counts(c.key, counts),
                    )
                    evict(got.victims, where)
                    start = got.start
                    counts = counts + got.counts
                    nodes.add(pc, got.counts)
                booked = True
            else:
                where, bound = bound_now()
                got = place_reference(
                    fleet,
                    nodes,
                    bound,
                    spec,
                    c.pending,
                    most_allocated=most,
                    rank=rank,
                    percentage=percentage_of_nodes_to_score,
                    start=start,
                    budgets=budget_counts(),
                    ties=draws(c),
                )
                evict(got.victims, where)
                start, counts = got.start, got.counts
        elif c.pinned is not None:
            start = (start + int((c.pinned > 0).sum())) % n  # one cycle per pod, one node each
            free = ~node_ports.blocked(pc, own[c.key])
            # a DaemonSet pod's DoNotSchedule constraints count only its own node, so they stop
            # it only where the node lacks a topology key (PodTopologySpread: missing label)
            labelled = np.ones(n, dtype=bool)
            for dom in pc.domains:
                labelled &= dom >= 0
            counts = ((c.pinned > 0) & pc.eligible & free & labelled & fits_one(nodes, pc)).astype(
                np.int64
            )
            left = (c.pinned > 0) & (counts == 0)
            if left.any() and wl.template.preemption_policy != "Never":
                nodes.add(pc, counts)
                counts = counts + preempt_fast(c, pc, own[c.key] + counts, left, counts)
                booked = True
        else:
            ties = draws(c)
            counts = place(pc, c.pending, own[c.key], ties)
            if int(counts.sum()) < c.pending and wl.template.preemption_policy != "Never":
                nodes.add(pc, counts)
                while int(counts.sum()) < c.pending:
                    taken = preempt_fast(c, pc, own[c.key] + counts, None, counts)
                    if not taken.any():
                        break
                    counts = counts + taken
                    done = int(counts.sum())
                    more = place(
                        pc,
                        c.pending - done,
                        own[c.key] + counts,
                        None if ties is None else ties[done:],
                    )
                    nodes.add(pc, more)
                    counts = counts + more
                booked = True
        if not booked:
            nodes.add(pc, counts)
        own[c.key] = own[c.key] + counts
        pending = c.pending - int(counts.sum())
        if wl.ordered and pending > 1:
            pending = 1  # OrderedReady: the rest are never created
        pinned = None if c.pinned is None else c.pinned - counts
        cohorts[i] = replace(c, pending=pending, pinned=pinned)
        if counts.any():
            newly.append(replace(c, bound=counts, pending=0, pinned=None))
        if wl.kind != "DaemonSet" or last is None or workloads[last[0].key].kind == "DaemonSet":
            last = (c, pc)
    # address order: pods bound before this step, then in the order they were bound now
    bound_before = [replace(c, pending=0, pinned=None) for c in cohorts if c.bound.any()]
    waiting = [replace(c, bound=np.zeros(n, np.int64)) for c in cohorts if c.pending > 0]
    ordered = bound_before + newly

    # 3. addresses
    ip_pods = np.zeros(n, dtype=np.int64)
    branch_pods = np.zeros(n, dtype=np.int64)
    for c in ordered:
        wl = workloads[c.key]
        if needs_ip(wl, c.pod):
            ip_pods += c.bound
        elif not wl.template.host_network:
            branch_pods += c.bound
    ip_limit, subnet_short = pod_address_limits(fleet, ip_pods, branch_pods, subnet_state)
    # a pod keeps the address it holds; the others take what is left, in binding order.  Where
    # the subnet is the limit, podcap books the addresses in node order each step (it does not
    # remember that the held ones were taken before nodes added later), so there the held
    # addresses are kept only up to what the subnet gives the node.
    # (each cohort's arrays are worked on the nodes where it has pods: elsewhere it holds and
    # takes no address)
    where_bound = [np.flatnonzero(c.bound) for c in ordered]
    held: list[IntArray | None] = []
    room = np.where(subnet_short, ip_limit, np.iinfo(np.int64).max)
    ips_used = np.zeros(n, dtype=np.int64)
    for c, at in zip(ordered, where_bound, strict=True):
        if not needs_ip(workloads[c.key], c.pod):
            held.append(None)
            continue
        kept = np.minimum(c.held()[at], np.maximum(room[at] - ips_used[at], 0))
        held.append(kept)
        ips_used[at] += kept
    stuck_of: list[IntArray] = []
    blocked: set[Key] = set()
    for j, c in enumerate(ordered):
        wl = workloads[c.key]
        stuck = np.zeros(n, dtype=np.int64)
        addressed = None
        kept_here, at = held[j], where_bound[j]
        if kept_here is not None:
            pods_here = c.bound[at]
            ok = np.minimum(pods_here - kept_here, np.maximum(ip_limit[at] - ips_used[at], 0))
            addressed = np.zeros(n, dtype=np.int64)
            addressed[at] = kept_here + ok
            stuck[at] = pods_here - kept_here - ok
            ips_used[at] += ok
        else:
            addressed = c.bound  # no VPC address needed: ready once bound
        if wl.ordered and j >= len(bound_before) and (stuck.any() or c.key in blocked):
            # OrderedReady: the first pod bound now without an address blocks the rest (never
            # created); pods bound in earlier steps stay
            removed = stuck.copy()
            if c.key not in blocked:
                removed[int(np.argmax(stuck > 0))] -= 1
            blocked.add(c.key)
            nodes.add(pclass(c), -removed)
            stuck = stuck - removed
            c = replace(c, bound=c.bound - removed)
            addressed = np.minimum(addressed, c.bound)
            newly[j - len(bound_before)] = c  # the scheduler's view (failure texts) too
        ordered[j] = replace(c, addressed=addressed)
        stuck_of.append(stuck)

    # outcomes
    placements: list[tuple[Key, IntArray, IntArray, IntArray]] = []
    per_key: dict[Key, tuple[IntArray, IntArray]] = {}
    for c, stuck in zip(ordered, stuck_of, strict=True):
        if c.key in per_key:
            b, s = per_key[c.key]
            per_key[c.key] = (b + c.bound, s + stuck)
        else:
            per_key[c.key] = (c.bound, stuck)
    waiting_of: dict[Key, list[Cohort]] = {}
    for c in waiting:
        waiting_of.setdefault(c.key, []).append(c)
    for key, row in rows.items():
        wl = workloads[key]
        note = notes[key]
        if key in per_key:
            b, s = per_key[key]
        else:
            b = s = np.zeros(n, np.int64)
        row["container_creating"] = int(s.sum())
        row["running"] = int(b.sum()) - row["container_creating"]
        row["pending"] = sum(c.pending for c in waiting_of.get(key, ()))
        row["preempted"] = preempted.get(key, 0)
        row["not_created"] = (
            row["desired"]
            - row["running"]
            - row["container_creating"]
            - row["pending"]
            - row["rejected"]
        )
        if row["not_created"] < 0:  # pragma: no cover - an internal invariant
            raise AssertionError(f"podcap counted more pods than {key} wants")
        reason = note.get("rejected", "")
        limits: set[str] = {"admission"} if reason else set()
        if row["container_creating"]:
            short = (s > 0) & subnet_short
            limits.add("subnet" if short.any() else "pod_ips")
            if not reason:
                reason = (
                    subnet_error(fleet, int(np.argmax(short)), subnet_state)
                    if short.any()
                    else CNI_ERROR
                )
        if row["pending"]:
            mine = waiting_of[key]
            pc = with_ports(mine[0], pclass(mine[0]), ordered)
            tolerations = pod_tolerations(wl)
            if wl.template.node_name:
                text = kubelet_rejection(fleet, nodes, pc, wl.template.node_name)
                codes: frozenset[str] = frozenset({"nodeName"})
            elif (engine == "reference" or key in exact) and (
                explained := explain_reference(
                    fleet,
                    nodes,
                    [(pspec(b), b.bound) for b in ordered if b.bound.any()],
                    pspec(mine[0]),
                    only=_pin(mine[0], n),
                )
            ):
                text, codes = explained
            elif mine[0].pinned is not None:
                only = np.zeros(n, dtype=bool)
                only[int(np.argmax(mine[0].pinned > 0))] = True
                lower, without = relieved(mine[0].priority)
                text, codes = scheduling_failure(
                    fleet,
                    nodes,
                    pc,
                    filters[key],
                    tolerations,
                    b,
                    only,
                    lower,
                    without,
                    wl.template.preemption_policy != "Never",
                    kept_ports(mine[0]),
                )
            else:
                lower, without = relieved(mine[0].priority)
                text, codes = scheduling_failure(
                    fleet,
                    nodes,
                    pc,
                    filters[key],
                    tolerations,
                    b,
                    None,
                    lower,
                    without,
                    wl.template.preemption_policy != "Never",
                    kept_ports(mine[0]),
                )
            limits |= codes
            reason = reason or text
        if note.get("quota"):
            limits.add("quota")
        if note.get("gone"):
            limits.add("evicted")
        row["reason"] = reason or note.get("quota", "") or note.get("gone", "")
        row["limits"] = ",".join(sorted(limits))
        nz = np.flatnonzero(b)
        if nz.size:
            placements.append((key, nz, b[nz], s[nz]))

    frame = pd.DataFrame(list(rows.values()), columns=list(WORKLOAD_COLUMNS))
    total = frame[list(OUTCOMES)].sum(axis=1)
    if not (total == frame["desired"]).all():  # pragma: no cover - an internal invariant
        raise AssertionError("podcap lost pods: outcome columns do not add up to desired")
    last_wl = None if last is None else workloads[last[0].key]
    node_frame = nodes_frame(
        fleet,
        nodes,
        ips_used,
        ip_limit,
        None if last is None else last[1],
        None if last is None else filters[last[0].key],
        True if last is None or last_wl is None else needs_ip(last_wl, last[0].pod),
    )
    placement = _placement_frame(placements, fleet.names)
    result = SimulationResult(
        frame,
        node_frame,
        placement,
        list(skipped),
        _subnets_frame(fleet, subnet_state, ips_used),
        state.node_groups,
    )
    for c in ordered:
        c.bound.flags.writeable = False
        if c.addressed is not None:
            c.addressed.flags.writeable = False
    next_state = replace(
        state,
        cohorts=tuple(ordered + waiting),
        seq=seq,
        scheduler_start=start,
        passes=state.passes + 1,
    )
    return next_state, result


_REFERENCE_NODES = 2000
# Node evaluations in a step (pods x nodes processed per pod) under which the fast engine
# reproduces node sampling node by node (about 10 ns each); above it, it scores every node.
_SAMPLED_BUDGET = 300_000_000


def _placement_frame(
    placements: Sequence[tuple[Key, IntArray, IntArray, IntArray]], names: Any
) -> pd.DataFrame:
    """One row per (workload, node) with pods: (key, nodes, pods, pods without an address)
    per workload, in one frame."""
    sizes = [nodes.shape[0] for _, nodes, _, _ in placements]

    def column(part: int) -> Any:
        values = np.empty(len(placements), dtype=object)
        values[:] = [key[part] for key, _, _, _ in placements]
        return np.repeat(values, sizes)

    def joined(arrays: list[IntArray]) -> IntArray:
        return np.concatenate(arrays) if arrays else np.zeros(0, dtype=np.int64)

    nodes = joined([nodes for _, nodes, _, _ in placements])
    pods = joined([pods for _, _, pods, _ in placements])
    stuck = joined([stuck for _, _, _, stuck in placements])
    return pd.DataFrame(
        {
            "namespace": column(0),
            "kind": column(1),
            "name": column(2),
            "node": np.asarray(names, dtype=object)[nodes],
            "pods": pods,
            "running": pods - stuck,
            "container_creating": stuck,
        }
    )


def _needs_reference(state: ClusterState, fleet: Fleet) -> set[Key]:
    """Workloads whose pods the fast engine cannot place exactly: what their template asks
    for (see :func:`podcap.scheduler.fast.not_modelled`), PreferNoSchedule taints they do not
    tolerate, and other workloads' pod (anti-)affinity terms that select them."""
    workloads = state.workloads
    population = [(k, (k[0], w.template.labels)) for k, w in workloads.items()]
    prefer = [t for g in fleet.groups for t in g.taints if t.effect == "PreferNoSchedule"]
    # the (anti-)affinity terms of every workload that has any, resolved once
    terms_of: dict[Key, list[PodAffinityTerm]] = {}
    for key, wl in workloads.items():
        tpl = wl.template
        if tpl.has_pod_affinity:
            terms = [
                *tpl.pod_affinity,
                *tpl.pod_anti_affinity,
                *(w.term for w in tpl.preferred_pod_affinity),
                *(w.term for w in tpl.preferred_pod_anti_affinity),
            ]
            terms_of[key] = [t.resolved(key[0], tpl.labels) for t in terms]
    out: set[Key] = set()
    for key, wl in workloads.items():
        if key in state.observed:
            continue
        tolerations = pod_tolerations(wl)
        if (
            not_modelled(
                wl.template,
                key[0],
                [p for k, p in population if k != key],
                wl.kind == "DaemonSet",
            )
            or any(not any(tol.tolerates(t) for tol in tolerations) for t in prefer)
            or any(
                t.selects(key[0], wl.template.labels)
                for other, terms in terms_of.items()
                if other != key
                for t in terms
            )
        ):
            out.add(key)
    return out


def _pin(c: Cohort, n: int) -> npt.NDArray[np.bool_] | None:
    """The node a pending DaemonSet pod is pinned to (its first), or None."""
    if c.pinned is None:
        return None
    only = np.zeros(n, dtype=bool)
    only[int(np.argmax(c.pinned > 0))] = True
    return only


def _create(
    state: ClusterState,
    wl: Workload,
    count: int,
    quota: QuotaState,
    row: dict[str, Any],
    note: dict[str, str],
) -> tuple[int, AdmittedPod | None]:
    """The controller creates ``count`` pods: admission, priority, quota.  Returns the number
    created and the admitted pod (None when the PriorityClass is unknown)."""
    ns = wl.namespace
    lrs = [lr for (lr_ns, _), lr in state.limit_ranges.items() if lr_ns == ns]
    pod = admit(wl.template, lrs, state.runtime_classes)
    pcn = wl.template.priority_class_name
    if state.priority_of(wl.template) is None:
        row["rejected"] += count
        note["rejected"] = (
            f'pods "{pod_name(wl)}" is forbidden: no PriorityClass with name {pcn} was found'
        )
        return 0, pod
    if not pod.ok:
        row["rejected"] += count
        note["rejected"] = (
            f'pods "{pod_name(wl)}" is {pod.error}'
            if pod.error.startswith("forbidden")
            else _invalid_message(wl, pod.error)
        )
        return 0, pod
    created, message = quota.admit_many(ns, pod, count, pod_name(wl))
    if message:
        note["quota"] = message
    return created, pod
