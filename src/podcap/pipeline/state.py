"""The cluster state: nodes as arrays, the pods bound to them per workload, the policies in effect.

A :class:`ClusterState` is an immutable value.  Changes (``kubectl apply``, ``scale``,
``delete``, ``rollout restart``, node group changes, drains) are pure functions from a state to
the next state; :func:`podcap.pipeline.step.settle` then lets the controllers, the scheduler and
the VPC CNI act on it.  :func:`podcap.simulate` is one apply and one settle; a
:class:`~podcap.Scenario` is a fold of the same functions.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Literal, cast

import numpy as np
import numpy.typing as npt
import pandas as pd

from podcap.errors import InvalidOptionError, InvalidSpecError, PodcapWarning
from podcap.io.clusters import ClusterInput
from podcap.io.manifests import Manifests, load_manifests
from podcap.io.snapshot import EXISTING_COLUMNS
from podcap.model.admission import AdmittedPod, admit
from podcap.model.cluster_autoscaler import ClusterAutoscaler, Expander
from podcap.model.disruption import SCALABLE_KINDS, DisruptionBudget
from podcap.model.fleet import RESOURCES, Fleet, build_fleet
from podcap.model.karpenter import Karpenter, NodeClass, NodePool
from podcap.model.specs import Cluster
from podcap.model.volumes import Storage
from podcap.model.workloads import (
    BUILTIN_PRIORITIES,
    NEW_POD_SUFFIXES,
    Autoscaler,
    Container,
    LimitRange,
    PodTemplate,
    PriorityClass,
    ResourceQuota,
    RuntimeClass,
    Workload,
    WorkloadKind,
    new_pods_name,
    rollout_cohorts,
    rollout_step_index,
)
from podcap.pipeline.addresses import launch

__all__ = ["AutoscalingMode", "ClusterState", "Cohort", "CronJobMode", "Key", "RolloutMode"]

AutoscalingMode = Literal["start", "min", "max"]
CronJobMode = Literal["idle", "run"]
#: ``"stable"``, ``"canary"`` or ``"canary:<step index>"`` (:data:`podcap.model.workloads.ROLLOUT_MODES`).
RolloutMode = str

Key = tuple[str, str, str]  # namespace, kind, name
IntArray = npt.NDArray[np.int64]

BUILTIN_NAMESPACES = frozenset({"default", "kube-system", "kube-public", "kube-node-lease"})


def _frozen(a: IntArray) -> IntArray:
    a = np.ascontiguousarray(a, dtype=np.int64)
    a.flags.writeable = False
    return a


@dataclass(frozen=True)
class Cohort:
    """Pods of one workload created at the same moment, so with the same admitted requests.

    Attributes
    ----------
    key : tuple of str
        ``(namespace, kind, name)`` of the owning workload.
    pod : AdmittedPod
        The pods' requests and limits as admitted at creation.
    seq : int
        Creation order (lower is older); the scheduling queue orders equal priorities by it.
    priority : int
        Pod priority, resolved from its PriorityClass at creation.
    bound : numpy.ndarray of int
        Pods bound per node [pods] (index into :attr:`ClusterState.fleet`).
    pending : int
        Pods created but not bound [pods].
    pinned : numpy.ndarray of int, optional
        DaemonSet pods: the pending pods per node they are pinned to (sums to ``pending``).
    addressed : numpy.ndarray of int, optional
        Of the bound pods, those holding a VPC address per node [pods]: a pod keeps its address
        while it exists, whatever later changes to the CNI settings.  None: not settled yet.
    """

    key: Key
    pod: AdmittedPod
    seq: int
    priority: int
    bound: IntArray
    pending: int = 0
    pinned: IntArray | None = None
    addressed: IntArray | None = None

    def held(self) -> IntArray:
        """Bound pods holding an address per node [pods] (pods deleted since were not ready
        first, so the held count is capped by what is still bound)."""
        if self.addressed is None:
            return np.zeros_like(self.bound)
        out: IntArray = np.minimum(self.addressed, self.bound)
        return out

    @property
    def total(self) -> int:
        """Pods of the cohort [pods]."""
        return int(self.bound.sum()) + self.pending


@dataclass(frozen=True)
class ClusterState:
    """A cluster at one moment: nodes, the objects in effect and the pods that exist.

    Build one with :meth:`of` (from a :class:`~podcap.Cluster`, a state, or what
    :func:`podcap.read_cluster` returns); change it with the methods below, each of which
    returns a new state; settle it with :func:`podcap.pipeline.step.settle`.

    Attributes
    ----------
    cluster : Cluster
        The node groups.
    fleet : Fleet
        The nodes that started, as arrays (node ``i`` is ``fleet.names[i]``).
    node_groups : pandas.DataFrame
        Per node group: ``nodes, started, not_started, reason``.
    namespaces : frozenset of str
        Namespaces declared (besides the built-in ones).
    priority_classes, limit_ranges, quotas, autoscalers, budgets : mapping
        Policy objects in effect (PriorityClasses, LimitRanges, ResourceQuotas,
        HorizontalPodAutoscalers, PodDisruptionBudgets), by name (``(namespace, name)`` for
        namespaced ones).
    workloads : mapping
        Workloads in effect by ``(namespace, kind, name)``, in creation order.
    runtime_classes : mapping
        RuntimeClasses by name (their overhead is admission's).
    storage : Storage
        StorageClasses, PersistentVolumeClaims and PersistentVolumes in effect.
    cohorts : tuple of Cohort
        The pods that exist, in the order they took their addresses.
    observed : frozenset of key
        Workloads known only from their pods (a kubectl snapshot): never scaled; an evicted
        pod is recreated with the requests it was observed with when its owner is a controller
        (ReplicaSet, StatefulSet, Job, ...), and is gone when it is a bare or static pod.
    karpenter : Karpenter, optional
        Karpenter's NodePools and EC2NodeClasses: when the state settles, pods the scheduler
        leaves pending get new nodes as Karpenter would launch them.
    cluster_autoscaler : ClusterAutoscaler, optional
        cluster-autoscaler: node groups with ``max_count`` grow for pods left pending.
    source : str
        What the state was read from (``"podcap cluster file"``, ``"kubectl JSON snapshot"``,
        ...; empty for a state built in code).
    skipped : tuple of str
        What the source held that podcap does not use, each named.
    """

    cluster: Cluster
    fleet: Fleet
    node_groups: pd.DataFrame
    namespaces: frozenset[str] = frozenset()
    priority_classes: Mapping[str, PriorityClass] = field(default_factory=dict)
    limit_ranges: Mapping[tuple[str, str], LimitRange] = field(default_factory=dict)
    quotas: Mapping[tuple[str, str], ResourceQuota] = field(default_factory=dict)
    autoscalers: Mapping[tuple[str, str], Autoscaler] = field(default_factory=dict)
    budgets: Mapping[tuple[str, str], DisruptionBudget] = field(default_factory=dict)
    workloads: Mapping[Key, Workload] = field(default_factory=dict)
    runtime_classes: Mapping[str, RuntimeClass] = field(default_factory=dict)
    storage: Storage = field(default_factory=Storage)
    cohorts: tuple[Cohort, ...] = ()
    observed: frozenset[Key] = frozenset()
    observed_pods: dict[Key, AdmittedPod] = field(default_factory=dict)
    evicted_bare: frozenset[Key] = frozenset()
    seq: int = 0
    scheduler_start: int = 0  # the scheduler's next start index into its node list
    passes: int = 0  # scheduling passes run so far (seeded ties draw afresh in each)
    source: str = ""
    skipped: tuple[str, ...] = ()
    implied: tuple[str, ...] = ()
    full_fleet: Fleet | None = None
    karpenter: Karpenter | None = None
    cluster_autoscaler: ClusterAutoscaler | None = None

    # ---- construction --------------------------------------------------------------------
    @classmethod
    def empty(cls, cluster: Cluster, extra_resources: Iterable[str] = ()) -> ClusterState:
        """A state with the cluster's nodes started and nothing on them."""
        if not isinstance(cluster, Cluster):
            raise InvalidSpecError(
                f"cluster must be a podcap.Cluster, a ClusterState or what podcap.read_cluster "
                f"returns, got {type(cluster).__name__}"
            )
        full = build_fleet(cluster, tuple(sorted(set(extra_resources) - set(RESOURCES))))
        fleet, _, frame = launch(full)
        return cls(cluster=cluster, fleet=fleet, node_groups=frame, full_fleet=full)

    @classmethod
    def of(cls, cluster: Any) -> ClusterState:
        """The state of anything that describes a cluster.

        Parameters
        ----------
        cluster : Cluster, ClusterState or ClusterInput
            A cluster built in code, a state, or what :func:`podcap.read_cluster` returns.
        """
        if isinstance(cluster, ClusterState):
            return cluster
        if isinstance(cluster, Cluster):
            return cls.empty(cluster)
        if isinstance(cluster, ClusterInput):
            return _from_input(cluster)
        raise InvalidSpecError(
            f"cluster must be a podcap.Cluster, a ClusterState or what podcap.read_cluster "
            f"returns, got {type(cluster).__name__}"
        )

    # ---- views ---------------------------------------------------------------------------
    def workload_pods(self, key: Key) -> IntArray:
        """Pods of a workload bound per node [pods]."""
        out = np.zeros(self.fleet.size, dtype=np.int64)
        for c in self.cohorts:
            if c.key == key:
                out += c.bound
        return out

    def daemonset_pods(self) -> list[tuple[Workload, AdmittedPod]]:
        """Each DaemonSet with its pod: its newest pod (so admission defaults count), else its
        template admitted now; DaemonSets whose pods admission refuses are left out.  What
        an autoscaler adds to every new node the DaemonSet would run on."""
        out = []
        for key, wl in self.workloads.items():
            if wl.kind != "DaemonSet":
                continue
            mine = [c for c in self.cohorts if c.key == key]
            if mine:
                pod = max(mine, key=lambda c: c.seq).pod
            else:
                lrs = [lr for (ns, _), lr in self.limit_ranges.items() if ns == key[0]]
                pod = admit(wl.template, lrs)
            if pod.ok:
                out.append((wl, pod))
        return out

    def priority_of(self, template: PodTemplate) -> int | None:
        """The priority a new pod of ``template`` gets, or None for an unknown PriorityClass."""
        name = template.priority_class_name
        if name:
            if name in self.priority_classes:
                return self.priority_classes[name].value
            return BUILTIN_PRIORITIES.get(name)
        defaults = [pc.value for pc in self.priority_classes.values() if pc.global_default]
        return max(defaults, default=0)

    # ---- changes -------------------------------------------------------------------------
    def with_resources(self, names: Iterable[str]) -> ClusterState:
        """The state tracking extra resources per node (extended resources pods request)."""
        missing = set(names) - set(self.fleet.resources)
        if not missing:
            return self
        extra = tuple(sorted((set(self.fleet.resources) | missing) - set(RESOURCES)))
        full = build_fleet(self.cluster, extra)
        fleet, _, _ = launch(full)
        return replace(self, fleet=fleet, full_fleet=full)

    def apply(
        self,
        manifests: Any,
        *,
        hpa: AutoscalingMode = "start",
        cronjobs: CronJobMode = "idle",
        rollout: RolloutMode = "stable",
    ) -> ClusterState:
        """``kubectl apply``: policies take effect, workloads are created or updated.

        ``manifests`` is what :func:`podcap.simulate` takes (paths, YAML text, ``Manifests``).
        ``hpa``: autoscaled workloads (HorizontalPodAutoscalers, KEDA ScaledObjects) as the
        controller starts them (``"start"``: their replicas within the bounds), or the what-ifs
        at ``"min"`` or ``"max"``.  ``cronjobs``: ``"idle"`` (no pods between runs) or the
        what-if ``"run"`` (the pods of one run of each CronJob's Job).  ``rollout``: the Argo
        Rollouts applied here with their stable pods only (``"stable"``), or held at an update
        step (``"canary"``, ``"canary:<step index>"``; a blue-green update's preview): their
        canary or preview pods are a second workload ``<name> (canary)`` / ``<name> (preview)``
        with the applied template, the stable pods keep the template in effect before (the
        applied one when there was none) (:func:`podcap.model.workloads.rollout_step`).  The
        workloads table says which (``desired_from``).

        A workload applied with a new pod template is rolled out: its pods are recreated.
        Pods of observed workloads (a snapshot) that an applied workload owns are replaced by it.
        No pod is created here; :func:`~podcap.pipeline.step.settle` does that.
        """
        if not isinstance(manifests, Manifests):
            manifests = load_manifests(manifests)
        priority_classes = dict(self.priority_classes)
        for pc in manifests.priority_classes:
            priority_classes[pc.name] = pc
        limit_ranges = dict(self.limit_ranges)
        for lr in manifests.limit_ranges:
            limit_ranges[(lr.namespace, lr.name)] = lr
        quotas = dict(self.quotas)
        for q in manifests.quotas:
            quotas[(q.namespace, q.name)] = q
        namespaces = self.namespaces | set(manifests.namespaces)
        workloads = dict(self.workloads)
        cohorts = list(self.cohorts)
        observed = set(self.observed)
        evicted = set(self.evicted_bare)
        step_index = None if rollout == "stable" else rollout_step_index(rollout)
        new_templates: dict[Key, PodTemplate] = {}  # Rollouts held at a step: the new template
        for wl in manifests.workloads:
            old = workloads.get(wl.key)  # an update keeps the workload's place (creation order)
            if wl.kind == "Rollout" and wl.strategy is not None:
                for name in (wl.name + suffix for suffix in NEW_POD_SUFFIXES):
                    gone = (wl.namespace, "Rollout", name)
                    if rollout == "stable" or name != new_pods_name(wl.name, wl.strategy):
                        workloads.pop(gone, None)
                        cohorts = [c for c in cohorts if c.key != gone]
                if rollout != "stable":
                    new_templates[wl.key] = wl.template
                    if old is not None:
                        wl = replace(wl, template=old.template)  # the stable pods keep theirs
            elif wl.kind == "Rollout" and rollout != "stable":
                wl = replace(wl, desired_from="spec (no spec.strategy: no canary or preview pods)")
            if old is not None and old.template != wl.template:
                cohorts = [c for c in cohorts if c.key != wl.key]  # new template: a rollout
            for key in [k for k in observed if _owns(wl, k)]:
                observed.discard(key)
                workloads.pop(key, None)
                cohorts = [c for c in cohorts if c.key != key]
            workloads[wl.key] = wl
            evicted.discard(wl.key)
        runtime_classes = {
            **self.runtime_classes,
            **{rc.name: rc for rc in manifests.runtime_classes},
        }
        storage = self.storage.merged(
            manifests.storage_classes, manifests.claims, manifests.persistent_volumes
        )
        budgets = dict(self.budgets)
        for pdb in manifests.budgets:
            budgets[(pdb.namespace, pdb.name)] = pdb
        autoscalers = dict(self.autoscalers)
        for scaler in manifests.autoscalers:
            autoscalers[scaler.key] = scaler
        applied = {w.key for w in manifests.workloads}
        for scaler in autoscalers.values():
            key = (scaler.namespace, scaler.target_kind, scaler.target_name)
            held = key not in applied and any(
                (key[0], key[1], key[2] + suffix) in workloads for suffix in NEW_POD_SUFFIXES
            )
            if key in workloads and not held:  # a Rollout held at a step keeps its counts
                wl = workloads[key]
                replicas, how = scaler.scale(hpa, wl.replicas)
                workloads[key] = replace(
                    wl, replicas=replicas, desired_from=f"{scaler.kind} {scaler.name} ({how})"
                )
            elif key not in workloads and scaler in manifests.autoscalers:
                warnings.warn(
                    f"{scaler.source}: {scaler.kind} {scaler.namespace}/{scaler.name} targets "
                    f"{scaler.target_kind} {scaler.target_name}, which is not among the "
                    "workloads; it scales nothing",
                    PodcapWarning,
                    stacklevel=3,
                )
        for key, template in new_templates.items():
            stable, new_pods = rollout_cohorts(workloads[key], step_index, template)
            before = workloads.get(new_pods.key)
            if before is not None and before.template != new_pods.template:
                cohorts = [c for c in cohorts if c.key != new_pods.key]
            workloads.pop(new_pods.key, None)
            order = list(workloads.items())
            at = [k for k, _ in order].index(key)
            order[at] = (key, stable)
            order.insert(at + 1, (new_pods.key, new_pods))
            workloads = dict(order)
        for key, wl in workloads.items():
            if wl.kind != "CronJob":
                continue
            if cronjobs == "run":
                workloads[key] = replace(
                    wl, replicas=wl.run, desired_from="one run of its Job (what-if)"
                )
            else:
                workloads[key] = replace(wl, replicas=0, desired_from="no pods between runs")
        known = namespaces | BUILTIN_NAMESPACES | {k[0] for k in self.workloads}
        missing = sorted({w.namespace for w in manifests.workloads} - known)
        if missing:
            warnings.warn(
                f"namespace(s) {', '.join(missing)} are used but not declared; assumed to exist",
                PodcapWarning,
                stacklevel=3,
            )
        requested = {
            r
            for w in manifests.workloads
            for c in (*w.template.containers, *w.template.init_containers)
            for r in (*c.requests, *c.limits)
        } | {r for w in manifests.workloads for r in w.template.overhead}
        requested |= {
            r
            for w in manifests.workloads
            for r in (*w.template.pod_resource_requests, *w.template.pod_resource_limits)
        } | {r for rc in manifests.runtime_classes for r in rc.overhead}
        return replace(
            self.with_resources(requested),
            namespaces=frozenset(namespaces),
            priority_classes=dict(priority_classes),
            limit_ranges=dict(limit_ranges),
            quotas=dict(quotas),
            autoscalers=autoscalers,
            budgets=budgets,
            runtime_classes=runtime_classes,
            storage=storage,
            workloads=dict(workloads),
            cohorts=tuple(cohorts),
            observed=frozenset(observed),
            observed_pods={k: v for k, v in self.observed_pods.items() if k in observed},
            evicted_bare=frozenset(evicted),
        )

    def find(self, name: str, namespace: str = "default", kind: str | None = None) -> Key:
        """The key of a workload, by name (and kind when several kinds share the name)."""
        keys = [
            k
            for k in self.workloads
            if k[0] == namespace and k[2] == name and (kind is None or k[1] == kind)
        ]
        if not keys:
            known = ", ".join(f"{k[1]} {k[0]}/{k[2]}" for k in self.workloads) or "none"
            raise InvalidSpecError(f"no workload {namespace}/{name}; workloads: {known}")
        return keys[0]

    def scale(self, key: Key, replicas: int) -> ClusterState:
        """``kubectl scale --replicas``: the controller adds or removes pods when settled."""
        if isinstance(replicas, bool) or not isinstance(replicas, int) or replicas < 0:
            raise InvalidSpecError(f"replicas must be an integer >= 0, got {replicas!r}")
        wl = self.workloads[key]
        if wl.kind in ("DaemonSet", "Pod") or key in self.observed:
            what = "an observed workload" if key in self.observed else f"a {wl.kind}"
            raise InvalidSpecError(f"{key[1]} {key[0]}/{key[2]}: {what} cannot be scaled")
        workloads = dict(self.workloads)
        workloads[key] = replace(wl, replicas=replicas)
        return replace(self, workloads=dict(workloads))

    def delete(self, kind: str, name: str, namespace: str = "default") -> ClusterState:
        """``kubectl delete``: a workload (and its pods) or a policy object."""
        if kind == "LimitRange" and (namespace, name) in self.limit_ranges:
            lrs = {k: v for k, v in self.limit_ranges.items() if k != (namespace, name)}
            return replace(self, limit_ranges=dict(lrs))
        if kind == "ResourceQuota" and (namespace, name) in self.quotas:
            qs = {k: v for k, v in self.quotas.items() if k != (namespace, name)}
            return replace(self, quotas=dict(qs))
        if kind == "PriorityClass" and name in self.priority_classes:
            pcs = {k: v for k, v in self.priority_classes.items() if k != name}
            return replace(self, priority_classes=dict(pcs))
        key = (namespace, kind, name)
        if key in self.workloads:
            workloads = {k: v for k, v in self.workloads.items() if k != key}
            return replace(
                self,
                workloads=dict(workloads),
                cohorts=tuple(c for c in self.cohorts if c.key != key),
                observed=self.observed - {key},
                observed_pods={k: v for k, v in self.observed_pods.items() if k != key},
            )
        raise InvalidSpecError(f"there is no {kind} {namespace}/{name} to delete")

    def rollout_restart(self, key: Key) -> ClusterState:
        """``kubectl rollout restart``: every pod of the workload is recreated (admitted again)."""
        if key[1] in ("Pod", "Job") or key in self.observed:
            raise InvalidSpecError(
                "rollout restart works on Deployments, StatefulSets and DaemonSets applied to "
                f"the cluster, not on {key[1]} {key[0]}/{key[2]}"
            )
        return replace(self, cohorts=tuple(c for c in self.cohorts if c.key != key))

    def replace_node_groups(
        self, cluster: Cluster, replaced: Iterable[str] = (), drained: Iterable[str] = ()
    ) -> ClusterState:
        """New node groups.  Nodes of ``replaced`` groups are new machines: their pods are
        evicted.  Nodes of ``drained`` groups keep only their DaemonSet pods.  Evicted pods are
        recreated by their controllers when the state settles; a bare Pod is gone for good.
        Pods on nodes that no longer exist are evicted too.
        """
        extra = tuple(r for r in self.fleet.resources if r not in RESOURCES)
        full = build_fleet(cluster, extra)
        fleet, _, frame = launch(full)
        old = self.fleet
        gone = {*replaced, *drained}
        lost = np.array([g.name in gone for g in old.groups], dtype=bool)
        drain_only = np.array([g.name in set(drained) for g in old.groups], dtype=bool)
        pos = pd.Index(fleet.names.astype(str)).get_indexer(pd.Index(old.names.astype(str)))
        keep_any = (pos >= 0) & ~(lost[old.group] if old.size else np.zeros(0, bool))
        keep_ds = (pos >= 0) & ~((lost & ~drain_only)[old.group] if old.size else np.zeros(0, bool))
        cohorts: list[Cohort] = []
        evicted = set(self.evicted_bare)
        for c in self.cohorts:
            # kubectl drain leaves DaemonSet pods and static (mirror) pods, owned by the Node
            keep = keep_ds if c.key[1] in ("DaemonSet", "Node") else keep_any
            bound = np.zeros(fleet.size, dtype=np.int64)
            np.add.at(bound, pos[keep], c.bound[keep])
            addressed = None
            if c.addressed is not None:
                addressed = np.zeros(fleet.size, dtype=np.int64)
                np.add.at(addressed, pos[keep], c.addressed[keep])
                addressed = _frozen(addressed)
            pinned = None
            pending = c.pending
            if c.pinned is not None:
                pinned = np.zeros(fleet.size, dtype=np.int64)
                ok = pos >= 0
                np.add.at(pinned, pos[ok], c.pinned[ok])
                pending = int(pinned.sum())
            if c.key[1] == "Pod" and int(c.bound[~keep].sum()):
                evicted.add(c.key)
            new = replace(
                c, bound=_frozen(bound), pending=pending, pinned=pinned, addressed=addressed
            )
            if new.total:
                cohorts.append(new)
        return replace(
            self,
            cluster=cluster,
            fleet=fleet,
            full_fleet=full,
            node_groups=frame,
            cohorts=tuple(cohorts),
            evicted_bare=frozenset(evicted),
        )

    def with_cluster(self, cluster: Cluster) -> ClusterState:
        """The state on other node groups: a group whose fields changed (other than ``count``)
        gets new nodes; a group only resized keeps its nodes and their pods."""
        old = {g.name: g for g in self.cluster.node_groups}
        replaced = []
        for g in cluster.node_groups:
            before = old.get(g.name)
            if before is not None and replace(before, count=g.count, node_names=g.node_names) != g:
                replaced.append(g.name)
        return self.replace_node_groups(cluster, replaced)

    def change_node_group(self, name: str, **changes: Any) -> ClusterState:
        """Change a node group's fields; any change but ``count`` replaces its nodes."""
        names = [g.name for g in self.cluster.node_groups]
        if name not in names:
            raise InvalidSpecError(f"no node group {name!r}; node groups: {', '.join(names)}")
        if not changes:
            raise InvalidSpecError(f"node group {name!r}: give at least one field to change")
        group = next(g for g in self.cluster.node_groups if g.name == name)
        count = changes.get("count")
        if isinstance(count, int) and group.node_names and "node_names" not in changes:
            # named nodes (a snapshot) keep their names; new ones get fresh names
            extra = tuple(f"{name}-new-{i}" for i in range(max(count - group.count, 0)))
            changes["node_names"] = (group.node_names + extra)[: max(count, 0)]
        try:
            cluster = self.cluster.with_group(name, **changes)
        except TypeError as exc:
            raise InvalidSpecError(f"node group {name!r}: {exc}") from None
        return self.replace_node_groups(
            cluster, [name] if set(changes) - {"count", "node_names"} else []
        )

    def set_cni(self, env: Mapping[str, Any], node_group: str | None = None) -> ClusterState:
        """Change aws-node environment variables of every node group (or one); nodes stay."""
        names = [g.name for g in self.cluster.node_groups]
        if node_group is not None and node_group not in names:
            raise InvalidSpecError(f"no node group {node_group!r}; node groups: {', '.join(names)}")
        groups = []
        for g in self.cluster.node_groups:
            if node_group is None or g.name == node_group:
                g = replace(g, cni=g.cni_settings.with_env(env))
            groups.append(g)
        return self.replace_node_groups(Cluster(groups, table=self.cluster.table))

    def remove_nodes(self, names: Iterable[str]) -> ClusterState:
        """The nodes terminated: their pods are evicted (their controllers recreate them when
        the state settles; a bare Pod is gone).  For "these nodes go: what stays pending?".

        Parameters
        ----------
        names : iterable of str
            Node names (``result.nodes["node"]``).
        """
        gone = np.array([str(n) for n in names], dtype=object)
        started = self.fleet.names.astype(str)
        unknown = sorted(set(gone.tolist()) - set(started.tolist()))
        if unknown:
            raise InvalidSpecError(
                f"no node(s) {', '.join(unknown[:5])} in the cluster ({self.fleet.size} nodes)"
            )
        # every node of the groups, started or not: a group keeps the nodes that did not start
        full = self.full_fleet if self.full_fleet is not None else self.fleet
        all_names = full.names.astype(str)
        zone_names = full.zone_names()
        dropped = np.isin(all_names, gone.astype(str))
        groups = []
        for gi, g in enumerate(self.cluster.node_groups):
            sel = full.group == gi
            if not (dropped & sel).any():
                groups.append(g)
                continue
            keep = sel & ~dropped
            if keep.any():
                groups.append(
                    replace(
                        g,
                        count=int(keep.sum()),
                        node_names=tuple(all_names[keep].tolist()),
                        node_zones=tuple(zone_names[keep].tolist()) if g.zones else (),
                    )
                )
        return self.replace_node_groups(Cluster(groups, table=self.cluster.table))

    def with_node_pools(
        self,
        node_pools: Iterable[NodePool],
        node_classes: NodeClass | Iterable[NodeClass] = (),
        *,
        zones: Iterable[str] = (),
        region: str = "us-east-1",
        prices: pd.DataFrame | None = None,
    ) -> ClusterState:
        """Karpenter in the cluster: pods left pending get nodes from these NodePools.

        Parameters
        ----------
        node_pools : iterable of NodePool
        node_classes : NodeClass or iterable of NodeClass
            The EC2NodeClasses the NodePools name; default one ``NodeClass()`` named
            ``default``.
        zones : iterable of str
            Zones of the EC2NodeClass's subnets (unknowable offline); default the NodePools'
            zone requirements, else the zones of the cluster's nodes.
        region : str
            Region for the bundled on-demand prices (others are priced from us-east-1).
        prices : pandas.DataFrame, optional
            The user's prices: ``instance_type, capacity_type, usd_per_hour``.
        """
        given = [node_classes] if isinstance(node_classes, NodeClass) else list(node_classes)
        classes = {c.name: c for c in given} or {"default": NodeClass()}
        karpenter = Karpenter(
            tuple(node_pools), classes, zones=tuple(zones), region=region, prices=prices
        )
        for pool in karpenter.node_pools:
            if pool.node_class not in classes:
                raise InvalidSpecError(
                    f"NodePool {pool.name!r}: nodeClassRef names EC2NodeClass "
                    f"{pool.node_class!r}, which is not given; EC2NodeClasses: "
                    f"{', '.join(sorted(classes))}"
                )
        return replace(self, karpenter=karpenter)

    def with_cluster_autoscaler(
        self,
        expander: Expander = "least-waste",
        *,
        priorities: Mapping[int, Iterable[str]] | None = None,
        scale_down_utilization_threshold: float = 0.5,
        region: str = "us-east-1",
        seed: int = 0,
    ) -> ClusterState:
        """cluster-autoscaler in the cluster: node groups with ``max_count`` grow (up to it) for
        pods the scheduler leaves pending.

        Parameters
        ----------
        expander : {"least-waste", "most-pods", "price", "priority", "random"}
            ``--expander``.
        priorities : mapping of int to iterable of str, optional
            The priority expander's priorities (priority -> node-group name regexes).
        scale_down_utilization_threshold : float
            ``--scale-down-utilization-threshold`` [fraction].
        region : str
            Region for node prices.
        seed : int
            Seed of the random choice among equally good node groups.
        """
        if not any(g.max_count is not None for g in self.cluster.node_groups):
            warnings.warn(
                "no node group has max_count (an Auto Scaling group's max size; groups of "
                "several instance types are left without one): the cluster-autoscaler has "
                "nothing to scale",
                PodcapWarning,
                stacklevel=2,
            )
        config = ClusterAutoscaler(
            expander=expander,
            priorities={k: tuple(v) for k, v in (priorities or {}).items()},
            scale_down_utilization_threshold=scale_down_utilization_threshold,
            region=region,
            seed=seed,
        )
        return replace(self, cluster_autoscaler=config)

    def budget_allowances(self) -> dict[tuple[str, str], int]:
        """Each PodDisruptionBudget's ``status.disruptionsAllowed`` now
        (:meth:`DisruptionBudget.allowed` over the pods it covers: bound pods are healthy;
        the expected scale is the replicas of their controllers)."""
        out: dict[tuple[str, str], int] = {}
        for key, budget in self.budgets.items():
            covered = [
                c
                for c in self.cohorts
                if (wl := self.workloads.get(c.key)) is not None
                and budget.covers(c.key[0], wl.template.labels)
            ]
            healthy = sum(int(c.bound.sum()) for c in covered)
            total = sum(c.total for c in covered)
            keys = {c.key for c in covered}
            scale = sum(self.workloads[k].replicas for k in keys if k[1] in SCALABLE_KINDS)
            out[key] = budget.allowed(healthy, total, scale)
        return out

    def drain(self, node_group: str) -> ClusterState:
        """``kubectl drain --ignore-daemonsets`` of every node of a group: the nodes are cordoned
        and their pods evicted through the Eviction API, except DaemonSet pods.  An eviction
        that would break a PodDisruptionBudget is refused (the API answers 429): of the pods a
        budget covers, at most its ``disruptionsAllowed`` go in this round; the others stay on
        the cordoned nodes until a later round (:meth:`podcap.Scenario.drain` repeats the
        drain after each settle, as kubectl retries)."""
        names = [g.name for g in self.cluster.node_groups]
        if node_group not in names:
            raise InvalidSpecError(f"no node group {node_group!r}; node groups: {', '.join(names)}")
        fleet = self.fleet
        gi = (
            [g.name for g in fleet.groups].index(node_group)
            if any(g.name == node_group for g in fleet.groups)
            else -1
        )
        on = fleet.group == gi
        allowance = self.budget_allowances()
        cohorts = []
        evicted_bare = set(self.evicted_bare)
        for c in self.cohorts:
            wl = self.workloads.get(c.key)
            here = c.bound * on
            if c.key[1] in ("DaemonSet", "Node") or not here.any():
                cohorts.append(c)
                continue
            n_here = int(here.sum())
            covering = [
                k
                for k, b in self.budgets.items()
                if wl is not None and b.covers(c.key[0], wl.template.labels)
            ]
            may = min([n_here, *(max(allowance[k], 0) for k in covering)])
            for k in covering:
                allowance[k] -= may
            # evict ``may`` pods, from the group's nodes in order
            cum = np.cumsum(here)
            out = np.minimum(here, np.maximum(may - (cum - here), 0))
            if c.key[1] == "Pod" and out.any():
                evicted_bare.add(c.key)
            addressed = (
                None if c.addressed is None else _frozen(np.minimum(c.addressed, c.bound - out))
            )
            cohorts.append(replace(c, bound=_frozen(c.bound - out), addressed=addressed))
        cluster = self.cluster.with_group(node_group, unschedulable=True)
        moved = replace(
            self, cohorts=tuple(c for c in cohorts if c.total), evicted_bare=frozenset(evicted_bare)
        )
        return moved.replace_node_groups(cluster)

    def pods_on(self, node_group: str) -> int:
        """Pods bound to a node group's nodes, DaemonSet and static pods left out [pods]."""
        gi = [g.name for g in self.fleet.groups]
        if node_group not in gi:
            return 0
        on = self.fleet.group == gi.index(node_group)
        return sum(
            int(c.bound[on].sum()) for c in self.cohorts if c.key[1] not in ("DaemonSet", "Node")
        )


def _owns(wl: Workload, key: Key) -> bool:
    """Whether applying ``wl`` replaces the observed pods of ``key`` (same namespace and owner;
    a Deployment owns the pods of its ReplicaSets, named ``<deployment>-<hash>``)."""
    if key[0] != wl.namespace:
        return False
    if wl.kind == "Deployment":
        return key[1] == "ReplicaSet" and key[2].rsplit("-", 1)[0] == wl.name
    return key[1] == wl.kind and key[2] == wl.name


def _from_input(ci: ClusterInput) -> ClusterState:
    """The state of a cluster read from a file: existing pods bound, policies in effect, the
    system workloads the format implies applied (their pods are created when it settles)."""
    existing = ci.existing
    state = ClusterState.empty(ci.cluster)
    if existing is not None and len(existing):
        state = with_existing(state, existing)
    docs = [*ci.system_pods, *ci.manifests]
    if docs:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", PodcapWarning)
            state = state.apply(load_manifests(docs))
    return replace(
        state,
        karpenter=ci.karpenter,
        cluster_autoscaler=ci.cluster_autoscaler,
        source=str(ci.format),
        skipped=tuple(ci.skipped),
        implied=tuple(ci.implied),
    )


def with_existing(state: ClusterState, existing: pd.DataFrame) -> ClusterState:
    """Bind pods that already run (one observed workload per namespace and owner)."""
    missing = [c for c in EXISTING_COLUMNS if c not in existing.columns]
    if missing:
        raise InvalidOptionError(
            f"existing pods lack column(s) {', '.join(missing)}; use podcap.read_snapshot"
        )
    fleet = state.fleet
    pos = pd.Index(fleet.names.astype(str)).get_indexer(pd.Index(existing["node"].astype(str)))
    if (pos < 0).any():
        unknown = sorted(set(existing["node"][pos < 0].astype(str)))
        raise InvalidOptionError(
            f"existing pods on node(s) not in the cluster: {', '.join(unknown[:10])}"
        )
    shape = [c for c in EXISTING_COLUMNS if c not in ("node", "pods")]
    # the rows of each shape, shapes in the order they first come (as groupby iterates them;
    # rows with a missing value in a shape column belong to none)
    grouped = existing.groupby(shape, sort=False)
    codes = grouped.ngroup().to_numpy(dtype=np.float64)
    rows = np.flatnonzero(~np.isnan(codes))
    rows = rows[np.argsort(codes[rows], kind="stable")]
    bounds = np.searchsorted(codes[rows], np.arange(grouped.ngroups + 1))
    row_pos = pos[rows].astype(np.int64)
    row_pods = existing["pods"].iloc[rows].to_numpy(np.int64)
    shape_values = [existing[c].to_numpy() for c in shape]
    workloads = dict(state.workloads)
    cohorts = list(state.cohorts)
    observed_pods = dict(state.observed_pods)
    seq = state.seq
    for start, stop in zip(bounds[:-1].tolist(), bounds[1:].tolist(), strict=True):
        if start == stop:  # a category no row has
            continue
        values: tuple[Any, ...] = tuple(column[rows[start]] for column in shape_values)
        ns, kind, owner = str(values[0]), str(values[1]), str(values[2])
        requests = {
            "cpu": int(values[3]),
            "memory": int(values[4]),
            "ephemeral-storage": int(values[5]),
        }
        if int(values[6]):
            requests["vpc.amazonaws.com/pod-eni"] = int(values[6])
        requests = {k: v for k, v in requests.items() if v}
        template = PodTemplate(
            containers=(Container("observed", requests),), host_network=bool(values[9])
        )
        pod = AdmittedPod(
            template.containers,
            requests,
            {},
            nonzero=(int(values[7]), int(values[8])),
        )
        key = (ns, kind, owner)
        observed_pods[key] = pod
        bound = np.zeros(fleet.size, dtype=np.int64)
        np.add.at(bound, row_pos[start:stop], row_pods[start:stop])
        seq += 1
        cohorts.append(Cohort(key, pod, seq, 0, _frozen(bound)))
        old = workloads.get(key)
        if old is None:
            # the owner's kind as the snapshot names it (ReplicaSet, Node, ...)
            workloads[key] = Workload(
                cast(WorkloadKind, kind), ns, owner, int(bound.sum()), template, "existing pods"
            )
        else:
            workloads[key] = replace(old, replicas=old.replicas + int(bound.sum()))
    return replace(
        state,
        workloads=dict(workloads),
        cohorts=tuple(cohorts),
        observed=state.observed | {k for k in workloads if k not in state.workloads},
        observed_pods=observed_pods,
        seq=seq,
    )
