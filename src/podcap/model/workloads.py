"""Workload specs: pod templates, workloads, LimitRange, ResourceQuota, PriorityClass.

Resource amounts are plain integers: ``cpu`` in millicores [m], every other resource (memory,
ephemeral-storage, extended resources) in base units (bytes, counts), parsed from Kubernetes
quantities at the edge (:mod:`podcap.io.manifests`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from podcap.errors import short_repr
from podcap.model.specs import Toleration

__all__ = [
    "Autoscaler",
    "Container",
    "LabelSelector",
    "LimitRange",
    "LimitRangeItem",
    "PodAffinityTerm",
    "PodTemplate",
    "PodVolume",
    "PreferredNodeTerm",
    "PriorityClass",
    "ResourceQuota",
    "RuntimeClass",
    "SpreadConstraint",
    "VolumeTopology",
    "WeightedPodAffinityTerm",
    "Workload",
    "priority_class_problem",
]

ResourceMap = Mapping[str, int]
WorkloadKind = Literal[
    "Deployment",
    "ReplicaSet",
    "StatefulSet",
    "DaemonSet",
    "Pod",
    "Job",
    "ReplicationController",
    "Rollout",
    "CronJob",
]
#: Kinds whose pods a controller's selector picks up, so that kube-scheduler's system-default
#: topology spreading applies to them (``helper.DefaultSelector``: Services, ReplicationControllers,
#: ReplicaSets, StatefulSets; a Deployment's or an Argo Rollout's pods belong to a ReplicaSet).
SPREAD_BY_DEFAULT = ("Deployment", "ReplicaSet", "StatefulSet", "ReplicationController", "Rollout")

#: Built-in priority classes [priority value].
BUILTIN_PRIORITIES = {"system-node-critical": 2000001000, "system-cluster-critical": 2000000000}
#: The highest priority a user's PriorityClass may have (``scheduling.HighestUserDefinablePriority``);
#: higher values are for the built-in ``system-`` classes.
HIGHEST_USER_PRIORITY = 1_000_000_000
INT32_MIN, INT32_MAX = -(2**31), 2**31 - 1


def priority_class_problem(name: str, value: int, global_default: bool) -> tuple[str, str] | None:
    """The first rule of the API server a PriorityClass breaks, as ``(field, message)``, or None.

    ``value`` is an int32; a name starting with ``system-`` is reserved for the built-in classes
    (with their values, not global defaults); any other class is at most
    :data:`HIGHEST_USER_PRIORITY` (``pkg/apis/scheduling/validation.ValidatePriorityClass``,
    ``scheduling/v1.IsKnownSystemPriorityClass``).

    Parameters
    ----------
    name : str
    value : int
        Priority [priority value].
    global_default : bool

    Returns
    -------
    tuple of str or None
        The field (``value`` or ``metadata.name``) and the message.
    """
    if not INT32_MIN <= value <= INT32_MAX:
        return "value", (
            f"Invalid value: {value}: must be an integer from {INT32_MIN} to {INT32_MAX} (int32)"
        )
    if name.startswith("system-"):
        known = BUILTIN_PRIORITIES.get(name)
        if known is None:
            why = f"{short_repr(name)} is not a known system priority class"
        elif value != known:
            why = f"value of {name} PriorityClass must be {known}"
        elif global_default:
            why = f"globalDefault of {name} PriorityClass must be false"
        else:
            return None
        return "metadata.name", (
            "Forbidden: priority class names with 'system-' prefix are reserved for system use "
            f"only. error: {why}"
        )
    if value > HIGHEST_USER_PRIORITY:
        return "value", (
            f"Forbidden: maximum allowed value of a user defined priority is "
            f"{HIGHEST_USER_PRIORITY}, got {value}"
        )
    return None


@dataclass(frozen=True)
class Container:
    """One container's resources as written in the manifest (before admission)."""

    name: str
    requests: ResourceMap = field(default_factory=dict)
    limits: ResourceMap = field(default_factory=dict)
    role: Literal["app", "init", "sidecar"] = "app"


SelectorOperator = Literal["In", "NotIn", "Exists", "DoesNotExist"]


@dataclass(frozen=True)
class LabelSelector:
    """A Kubernetes ``labelSelector``: ``matchLabels`` and ``matchExpressions``, ANDed.

    An empty selector selects every pod; a missing (nil) one is represented by ``None`` where it
    is used and selects nothing (``apimachinery`` ``LabelSelectorAsSelector``).
    """

    match_labels: tuple[tuple[str, str], ...] = ()
    match_expressions: tuple[tuple[str, SelectorOperator, tuple[str, ...]], ...] = ()

    def matches(self, labels: Mapping[str, str]) -> bool:
        """Whether the selector selects a pod with these labels."""
        for key, value in self.match_labels:
            if labels.get(key) != value:
                return False
        for key, op, values in self.match_expressions:
            present = key in labels
            if op == "In" and not (present and labels[key] in values):
                return False
            if op == "NotIn" and present and labels[key] in values:
                return False
            if op == "Exists" and not present:
                return False
            if op == "DoesNotExist" and present:
                return False
        return True

    def with_keys(self, keys: tuple[str, ...], labels: Mapping[str, str]) -> LabelSelector:
        """The selector with ``key In [value]`` added for each of ``keys`` the pod has
        (``matchLabelKeys``); keys the pod lacks are ignored."""
        extra: tuple[tuple[str, SelectorOperator, tuple[str, ...]], ...] = tuple(
            (k, "In", (labels[k],)) for k in keys if k in labels
        )
        if not extra:
            return self
        return LabelSelector(self.match_labels, self.match_expressions + extra)


@dataclass(frozen=True)
class SpreadConstraint:
    """A topology spread constraint (``topologySpreadConstraints[i]``).

    ``selector`` None is a missing labelSelector (it counts no pod); ``min_domains`` None is
    unset; the node inclusion policies default as in the API (affinity Honor, taints Ignore).
    """

    max_skew: int
    topology_key: str
    when_unsatisfiable: Literal["DoNotSchedule", "ScheduleAnyway"] = "DoNotSchedule"
    selector: LabelSelector | None = None
    min_domains: int | None = None
    node_affinity_policy: Literal["Honor", "Ignore"] = "Honor"
    node_taints_policy: Literal["Honor", "Ignore"] = "Ignore"
    match_label_keys: tuple[str, ...] = ()

    def selector_for(self, labels: Mapping[str, str]) -> LabelSelector | None:
        """The selector a pod with ``labels`` counts with (``matchLabelKeys`` merged)."""
        if self.selector is None:
            return None
        return self.selector.with_keys(self.match_label_keys, labels)


@dataclass(frozen=True)
class PodAffinityTerm:
    """One pod (anti-)affinity term: pods selected by ``selector`` in ``namespaces`` (empty: the
    pod's own namespace; ``all_namespaces`` for an empty namespaceSelector), counted per value
    of ``topology_key``."""

    selector: LabelSelector | None
    topology_key: str
    namespaces: tuple[str, ...] = ()
    all_namespaces: bool = False
    match_label_keys: tuple[str, ...] = ()
    mismatch_label_keys: tuple[str, ...] = ()

    def resolved(self, namespace: str, labels: Mapping[str, str]) -> PodAffinityTerm:
        """The term as the API server stores it for a pod in ``namespace`` with ``labels``:
        namespaces defaulted, match / mismatch label keys merged into the selector."""
        sel = self.selector
        if sel is not None:
            sel = sel.with_keys(self.match_label_keys, labels)
            extra: tuple[tuple[str, SelectorOperator, tuple[str, ...]], ...] = tuple(
                (k, "NotIn", (labels[k],)) for k in self.mismatch_label_keys if k in labels
            )
            if extra:
                sel = LabelSelector(sel.match_labels, sel.match_expressions + extra)
        namespaces = self.namespaces or (() if self.all_namespaces else (namespace,))
        return PodAffinityTerm(sel, self.topology_key, namespaces, self.all_namespaces)

    def selects(self, namespace: str, labels: Mapping[str, str]) -> bool:
        """Whether a (resolved) term matches a pod in ``namespace`` with ``labels``."""
        if not (self.all_namespaces or namespace in self.namespaces):
            return False
        return self.selector is not None and self.selector.matches(labels)


@dataclass(frozen=True)
class WeightedPodAffinityTerm:
    """A preferred pod (anti-)affinity term and its weight (1-100)."""

    weight: int
    term: PodAffinityTerm


@dataclass(frozen=True)
class NodeSelectorRequirement:
    """``key operator values`` of a required node affinity term."""

    key: str
    operator: Literal["In", "NotIn", "Exists", "DoesNotExist", "Gt", "Lt"]
    values: tuple[str, ...] = ()


@dataclass(frozen=True)
class PreferredNodeTerm:
    """A preferred node affinity term: a weight (1-100) and ANDed requirements."""

    weight: int
    requirements: tuple[NodeSelectorRequirement, ...]


@dataclass(frozen=True)
class PodVolume:
    """A volume of a pod that is backed by a PersistentVolumeClaim.

    ``source``: ``"claim"`` (``persistentVolumeClaim.claimName``: one claim every pod of the
    workload shares), ``"template"`` (a StatefulSet's ``volumeClaimTemplates``: one claim per
    pod, ``<name>-<statefulset>-<ordinal>``) or ``"ephemeral"`` (a generic ephemeral volume:
    one claim per pod, ``<pod>-<volume>``).  ``storage_class`` is the claim template's
    ``storageClassName`` (None: unset, the default StorageClass; ``""``: no class); for
    ``"claim"`` it is taken from the PersistentVolumeClaim object.
    """

    name: str
    source: Literal["claim", "template", "ephemeral"]
    storage_class: str | None = None


@dataclass(frozen=True)
class VolumeTopology:
    """Where a pod's volume lets it run: nodes matching one of ``terms`` (ORed; each term's
    requirements ANDed), with the scheduler's reason for the others (VolumeBinding)."""

    terms: tuple[tuple[NodeSelectorRequirement, ...], ...]
    reason: str
    volume: str = ""


@dataclass(frozen=True)
class PodTemplate:
    """What every replica of a workload asks for."""

    containers: tuple[Container, ...]
    init_containers: tuple[Container, ...] = ()
    overhead: ResourceMap = field(default_factory=dict)
    node_selector: Mapping[str, str] = field(default_factory=dict)
    # OR of terms; each term is an AND of requirements.
    node_affinity: tuple[tuple[NodeSelectorRequirement, ...], ...] = ()
    tolerations: tuple[Toleration, ...] = ()
    host_network: bool = False
    anti_affinity_hostname: bool = False
    spread: tuple[SpreadConstraint, ...] = ()
    labels: Mapping[str, str] = field(default_factory=dict)
    priority_class_name: str = ""
    node_name: str = ""
    preferred_node_affinity: tuple[PreferredNodeTerm, ...] = ()
    pod_affinity: tuple[PodAffinityTerm, ...] = ()  # required
    pod_anti_affinity: tuple[PodAffinityTerm, ...] = ()  # required
    preferred_pod_affinity: tuple[WeightedPodAffinityTerm, ...] = ()
    preferred_pod_anti_affinity: tuple[WeightedPodAffinityTerm, ...] = ()
    preemption_policy: Literal["PreemptLowerPriority", "Never"] = "PreemptLowerPriority"
    # (protocol, hostIP, port) of the containers' host ports ("0.0.0.0" binds every address)
    host_ports: tuple[tuple[str, str, int], ...] = ()
    # pod-level spec.resources as written (KEP-2837) [m for cpu, base units otherwise]
    pod_resource_requests: ResourceMap = field(default_factory=dict)
    pod_resource_limits: ResourceMap = field(default_factory=dict)
    runtime_class_name: str = ""
    volumes: tuple[PodVolume, ...] = ()
    # what the volumes mean on this cluster (podcap.model.volumes.resolve_volumes): EBS volumes
    # each pod attaches, where they let it run, and why no node can take it (PreFilter)
    volume_attach: int = 0
    volume_topology: tuple[VolumeTopology, ...] = ()
    volume_block: str = ""

    @property
    def has_pod_affinity(self) -> bool:
        """Any pod affinity or anti-affinity term, required or preferred."""
        return bool(
            self.pod_affinity
            or self.pod_anti_affinity
            or self.preferred_pod_affinity
            or self.preferred_pod_anti_affinity
        )


@dataclass(frozen=True)
class Workload:
    """A controller (or bare pod) and the number of pods it wants."""

    kind: WorkloadKind
    namespace: str
    name: str
    replicas: int
    template: PodTemplate
    source: str = ""
    ordered: bool = False  # StatefulSet OrderedReady: pod n+1 only after pod n runs
    run: int = 0  # a CronJob: the pods of one run of its Job (its parallelism)
    desired_from: str = "spec"  # where ``replicas`` came from: the spec, an autoscaler, a what-if

    @property
    def key(self) -> tuple[str, str, str]:
        """``(namespace, kind, name)``."""
        return (self.namespace, self.kind, self.name)


@dataclass(frozen=True)
class LimitRangeItem:
    """One ``spec.limits`` item (type Container or Pod), already defaulted."""

    type: Literal["Container", "Pod", "PersistentVolumeClaim"]
    min: ResourceMap = field(default_factory=dict)
    max: ResourceMap = field(default_factory=dict)
    default: ResourceMap = field(default_factory=dict)
    default_request: ResourceMap = field(default_factory=dict)
    max_limit_request_ratio: Mapping[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class LimitRange:
    """A namespaced LimitRange."""

    namespace: str
    name: str
    items: tuple[LimitRangeItem, ...]
    source: str = ""


@dataclass(frozen=True)
class ResourceQuota:
    """A namespaced ResourceQuota (``spec.hard``; scopes are not modelled)."""

    namespace: str
    name: str
    hard: ResourceMap
    source: str = ""


@dataclass(frozen=True)
class Autoscaler:
    """A HorizontalPodAutoscaler, or a KEDA ScaledObject (``kind``; KEDA drives its target
    through an HPA whose bounds it sets): the bounds it keeps its target's replicas in."""

    namespace: str
    name: str
    target_kind: str
    target_name: str
    min_replicas: int
    max_replicas: int
    source: str = ""
    kind: str = "HorizontalPodAutoscaler"

    @property
    def key(self) -> tuple[str, str, str]:
        """``(namespace, kind, name)``."""
        return (self.namespace, self.kind, self.name)

    def at(self, mode: str, replicas: int) -> int:
        """The target's replicas: as the controller starts (``"start"``, :meth:`desired`), or
        the what-ifs at ``"min"`` or ``"max"``; a target at 0 replicas stays at 0 (scaling is
        disabled)."""
        if replicas == 0 or mode == "start":
            return self.desired(replicas)
        return self.max_replicas if mode == "max" else self.min_replicas

    def desired(self, replicas: int) -> int:
        """The replicas the HPA controller sets when it starts from ``replicas``: nothing at 0
        (scaling is disabled), else clamped to ``[min_replicas, max_replicas]``
        (``pkg/controller/podautoscaler``: ``normalizeDesiredReplicas`` bounds)."""
        if replicas == 0:
            return 0
        return max(self.min_replicas, min(replicas, self.max_replicas))


@dataclass(frozen=True)
class RuntimeClass:
    """A RuntimeClass (``node.k8s.io/v1``): its ``overhead.podFixed`` [m for cpu, base units
    otherwise], which the RuntimeClass admission plugin copies into every pod naming it."""

    name: str
    handler: str
    overhead: ResourceMap = field(default_factory=dict)
    source: str = ""
    scheduling: bool = False  # has a ``scheduling`` section (node selector / tolerations)


@dataclass(frozen=True)
class PriorityClass:
    """A cluster-scoped PriorityClass."""

    name: str
    value: int
    source: str = ""
    global_default: bool = False
