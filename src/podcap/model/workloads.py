"""Workload specs: pod templates, workloads, LimitRange, ResourceQuota, PriorityClass.

Resource amounts are plain integers: ``cpu`` in millicores [m], every other resource (memory,
ephemeral-storage, extended resources) in base units (bytes, counts), parsed from Kubernetes
quantities at the edge (:mod:`podcap.io.manifests`).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Literal

from podcap.errors import short_repr
from podcap.model.specs import Toleration

__all__ = [
    "Autoscaler",
    "CanaryStep",
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
    "RolloutStep",
    "RolloutStrategy",
    "RuntimeClass",
    "SpreadConstraint",
    "VolumeTopology",
    "WeightedPodAffinityTerm",
    "Workload",
    "canary_weighted_counts",
    "int_or_percent",
    "new_pods_name",
    "priority_class_problem",
    "rollout_cohorts",
    "rollout_step",
    "rollout_step_index",
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
class CanaryStep:
    """One step of an Argo Rollouts canary (``spec.strategy.canary.steps[i]``): what sizes the
    canary (``setWeight``, ``setCanaryScale``); other steps (pause, analysis, experiment, ...)
    only hold the rollout where it is."""

    set_weight: int | None = None
    scale_replicas: int | None = None  # setCanaryScale.replicas
    scale_weight: int | None = None  # setCanaryScale.weight
    match_traffic_weight: bool = False  # setCanaryScale.matchTrafficWeight
    sets_scale: bool = False  # has a setCanaryScale

    @property
    def sizes_canary(self) -> bool:
        """Whether the step changes how many canary pods there are."""
        return self.set_weight is not None or self.sets_scale


@dataclass(frozen=True)
class RolloutStrategy:
    """An Argo Rollout's ``spec.strategy`` as far as it decides how many pods exist.

    ``max_surge`` and ``max_unavailable`` are counts or percentages as written (``"25%"``, the
    defaults ``utils/defaults``: ``DefaultMaxSurge``, ``DefaultMaxUnavailable``).
    """

    kind: Literal["canary", "blueGreen"]
    steps: tuple[CanaryStep, ...] = ()
    max_surge: int | str = "25%"
    max_unavailable: int | str = "25%"
    traffic_routing: bool = False
    max_weight: int = 100  # trafficRouting.maxTrafficWeight
    dynamic_stable_scale: bool = False
    min_pods_per_replica_set: int | None = None
    preview_replicas: int | None = None  # blueGreen.previewReplicaCount


@dataclass(frozen=True)
class RolloutStep:
    """The pods of an Argo Rollout while it holds at a step: ``new`` pods of the new template
    (canary or blue-green preview) and ``stable`` pods of the stable (or active) template."""

    new: int
    stable: int
    description: str


#: What ``rollout=`` accepts.
ROLLOUT_MODES = (
    "stable (the stable ReplicaSet's pods only), canary (the pods while the update holds at "
    "the first canary step that sets a weight or a scale; a blue-green update's preview), or "
    "canary:<step index> (at spec.strategy.canary.steps[<step index>], from 0)"
)
_CANARY_AT = re.compile(r"canary:([0-9]{1,9})")


def rollout_step_index(mode: object) -> int | None:
    """The canary step a ``rollout=`` mode holds at: None for ``"canary"`` (the first step that
    sets a weight or a scale), the index for ``"canary:<index>"``.

    Raises
    ------
    ValueError
        ``"stable"`` or anything that is not a canary mode (the message lists what is valid).
    """
    if mode == "canary":
        return None
    if isinstance(mode, str):
        m = _CANARY_AT.fullmatch(mode)
        if m:
            return int(m.group(1))
    raise ValueError(f"unknown rollout mode {mode!r}; valid: {ROLLOUT_MODES}")


def int_or_percent(value: int | str, total: int, round_up: bool) -> int:
    """A count from an int-or-percent value as Argo Rollouts reads ``maxSurge`` and
    ``maxUnavailable`` (apimachinery ``intstr.GetValueFromIntOrPercent``, the legacy reading:
    an integer is a count, a string is a percentage of ``total`` with or without its ``%``),
    rounded up or down [pods]."""
    if isinstance(value, int):
        return value
    scaled = int(value.replace("%", "")) * total
    return -(-scaled // 100) if round_up else scaled // 100


def canary_max_surge(strategy: RolloutStrategy, replicas: int) -> int:
    """The pods a canary may run above ``replicas`` [pods] (Argo Rollouts
    ``utils/replicaset/replicaset.go`` ``MaxSurge`` / ``resolveFenceposts``: ``maxSurge`` rounded
    up; 0 for blue-green)."""
    if strategy.kind != "canary":
        return 0
    return int_or_percent(strategy.max_surge, replicas, round_up=True)


def canary_weighted_counts(
    replicas: int, weight: int, max_weight: int, max_surge: int
) -> tuple[int, int]:
    """Canary and stable pods of a basic canary at ``weight`` (Argo Rollouts
    ``utils/replicaset/canary.go`` ``approximateWeightedCanaryStableReplicaCounts``).

    The canary count is the floor or ceiling of ``replicas * weight / max_weight`` over a total of
    ``replicas``, or ``replicas + 1`` when the rollout may surge, whichever option comes closest
    to the weight (the first such option on a tie; the ceiling first).  A weight strictly
    between 0 and ``max_weight`` keeps at least one pod on each side once two pods can run.

    Returns
    -------
    (int, int)
        Canary pods, stable pods.
    """
    if replicas == 0:
        return 0, 0
    share = replicas * weight / max_weight
    ceil_, floor_ = math.ceil(share), math.floor(share)

    def tied(total: int) -> bool:
        return math.modf(total * (weight / max_weight))[0] == 0.5

    zero_ok = weight in (0, max_weight) or (replicas == 1 and max_surge == 0)
    options: list[tuple[int, int]] = []
    if ceil_ < replicas or zero_ok:
        options.append((ceil_, replicas))
    if not tied(replicas) and (floor_ != 0 or zero_ok):
        options.append((floor_, replicas))
    if max_surge > 0:
        options.append((ceil_, replicas + 1))
        if not tied(replicas + 1) and (floor_ != 0 or zero_ok):
            options.append((floor_, replicas + 1))
    if not options:
        return 0, replicas

    def delta(option: tuple[int, int]) -> float:
        return abs(option[0] * max_weight / option[1] - weight)

    best = options[0]
    for option in options[1:]:
        if delta(option) < delta(best):
            best = option
    return best[0], best[1] - best[0]


def _weight_to_replicas(replicas: int, weight: int, max_weight: int) -> int:
    """``trafficWeightToReplicas``: ``ceil(weight * replicas / max_weight)`` [pods]."""
    return -(-weight * replicas // max_weight)


def rollout_step(strategy: RolloutStrategy, replicas: int, index: int | None) -> RolloutStep:
    """The pods of an Argo Rollout update holding at canary step ``index`` (None: the first
    step that sets a weight or a scale), or a blue-green update before its promotion.

    Parameters
    ----------
    strategy : RolloutStrategy
    replicas : int
        The Rollout's ``spec.replicas`` (after its autoscaler) [pods].
    index : int or None
        ``status.currentStepIndex``: 0 is the first step; past the last step the canary has
        the whole weight (before the stable is replaced).

    Returns
    -------
    RolloutStep
        Once the controller has reached the step (the counts it converges to and holds while
        paused there), from Argo Rollouts ``utils/replicaset/canary.go``:

        - basic canary: ``CalculateReplicaCountsForBasicCanary``'s target,
          :func:`canary_weighted_counts` at the step's weight (the last ``setWeight`` at or
          before the step, 0 if none; ``GetCurrentSetWeight``); ``maxSurge`` decides whether
          one pod more than ``replicas`` may run;
        - traffic-routed canary (``CalculateReplicaCountsForTrafficRoutedCanary``): the canary
          is ``setCanaryScale.replicas``, or ``ceil(replicas * weight / maxTrafficWeight)`` with
          the weight of ``setCanaryScale.weight`` or the step; the stable stays at
          ``replicas``, or with ``dynamicStableScale`` ``ceil(replicas * (max - weight) / max)``
          (the larger of the scale's and the traffic's weight); ``minPodsPerReplicaSet`` raises
          a non-zero count (capped at ``replicas``);
        - blue-green (``NewRSNewReplicas``): ``previewReplicaCount`` (default ``replicas``)
          preview pods beside ``replicas`` active pods.
    """
    if strategy.kind == "blueGreen":
        preview = replicas if strategy.preview_replicas is None else strategy.preview_replicas
        how = (
            f"previewReplicaCount {strategy.preview_replicas}"
            if strategy.preview_replicas is not None
            else "no previewReplicaCount: full size"
        )
        return RolloutStep(
            preview,
            replicas,
            f"Rollout blueGreen preview before promotion ({how}): {preview} preview + "
            f"{replicas} active",
        )
    steps = strategy.steps
    if index is None:
        index = next((i for i, s in enumerate(steps) if s.sizes_canary), len(steps))
    max_weight = strategy.max_weight if strategy.traffic_routing else 100
    past = index >= len(steps)
    weight = (
        max_weight
        if past
        else next((s.set_weight for s in steps[index::-1] if s.set_weight is not None), 0)
    )
    where = f"after its {len(steps)} steps" if past else f"steps[{index}]"
    if not strategy.traffic_routing:
        canary, stable = canary_weighted_counts(
            replicas, weight, max_weight, canary_max_surge(strategy, replicas)
        )
        return RolloutStep(
            canary,
            stable,
            f"Rollout canary {where} (setWeight {weight}): {canary} canary + {stable} stable",
        )
    scale = None
    if not past:
        for s in steps[index::-1]:
            if s.sets_scale:
                scale = None if s.match_traffic_weight else s
                break

    def at_least(count: int) -> int:
        low = strategy.min_pods_per_replica_set
        return count if count == 0 or low is None else max(count, min(low, replicas))

    scale_weight = weight
    how = f"setWeight {weight}"
    if scale is not None and scale.scale_replicas is not None:
        canary, scale_weight = scale.scale_replicas, 0
        how = f"setCanaryScale replicas {canary}, setWeight {weight}"
    else:
        if scale is not None and scale.scale_weight is not None:
            scale_weight = scale.scale_weight
            how = f"setCanaryScale weight {scale_weight}, setWeight {weight}"
        canary = at_least(_weight_to_replicas(replicas, scale_weight, max_weight))
    stable = replicas
    if strategy.dynamic_stable_scale:
        stable = at_least(
            max(
                _weight_to_replicas(replicas, max_weight - scale_weight, max_weight),
                _weight_to_replicas(replicas, max_weight - weight, max_weight),
            )
        )
        canary = at_least(canary)
        how += ", dynamicStableScale"
    return RolloutStep(
        canary,
        stable,
        f"Rollout canary {where} ({how}): {canary} canary + {stable} stable",
    )


#: Name suffixes of the workload podcap gives a Rollout's canary (or preview) pods.
NEW_POD_SUFFIXES = (" (canary)", " (preview)")


def new_pods_name(name: str, strategy: RolloutStrategy) -> str:
    """The name podcap gives the workload of a Rollout's canary or preview pods."""
    return name + NEW_POD_SUFFIXES[strategy.kind == "blueGreen"]


def rollout_cohorts(
    stable: Workload, index: int | None, new_template: PodTemplate
) -> tuple[Workload, Workload]:
    """A Rollout held at an update step as two workloads: its stable pods (``stable``'s
    template, ``replicas`` from :func:`rollout_step`) and its canary or preview pods
    (``new_template``), named ``<name> (canary)`` or ``<name> (preview)``.

    ``stable.replicas`` is the Rollout's ``spec.replicas``; both get the step's description as
    ``desired_from``.  The two are separate ReplicaSets in Argo Rollouts (each with its own
    ``rollouts-pod-template-hash``), so each spreads its own pods.
    """
    if stable.strategy is None:
        raise ValueError(f"Rollout {stable.name} has no spec.strategy")
    at = rollout_step(stable.strategy, stable.replicas, index)
    text = at.description
    if stable.desired_from != "spec":
        text += f" (spec.replicas {stable.replicas} from {stable.desired_from})"
    return (
        replace(stable, replicas=at.stable, desired_from=text),
        replace(
            stable,
            name=new_pods_name(stable.name, stable.strategy),
            template=new_template,
            replicas=at.new,
            desired_from=text,
            strategy=None,
        ),
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
    strategy: RolloutStrategy | None = None  # an Argo Rollout's update strategy

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
    through an HPA whose bounds it sets): the bounds it keeps its target's replicas in.

    For a ScaledObject, ``min_replicas`` is its HPA's (``minReplicaCount`` when above 0, else
    1); ``keda_min`` is ``minReplicaCount`` itself (default 0), ``idle_replicas`` its
    ``idleReplicaCount`` and ``initial_cooldown`` its ``initialCooldownPeriod`` [s].
    """

    namespace: str
    name: str
    target_kind: str
    target_name: str
    min_replicas: int
    max_replicas: int
    source: str = ""
    kind: str = "HorizontalPodAutoscaler"
    keda_min: int = 0
    idle_replicas: int | None = None
    initial_cooldown: int = 0

    @property
    def key(self) -> tuple[str, str, str]:
        """``(namespace, kind, name)``."""
        return (self.namespace, self.kind, self.name)

    def at(self, mode: str, replicas: int) -> int:
        """The target's replicas: as the controller starts (``"start"``), or the what-ifs at
        ``"min"`` or ``"max"`` (:meth:`scale`)."""
        return self.scale(mode, replicas)[0]

    def scale(self, mode: str, replicas: int) -> tuple[int, str]:
        """The target's replicas and how they came about, from ``replicas`` (its spec).

        An HPA: as it starts (:meth:`desired`), or at ``minReplicas`` / ``maxReplicas``; a
        target at 0 replicas stays at 0 (scaling is disabled).  A ScaledObject: :meth:`keda`.
        """
        if self.kind == "ScaledObject":
            return self.keda(mode, replicas)
        if replicas == 0 or mode == "start":
            return self.desired(replicas), "as it starts"
        value = self.max_replicas if mode == "max" else self.min_replicas
        return value, f"what-if at {mode}Replicas"

    def keda(self, mode: str, replicas: int) -> tuple[int, str]:
        """The replicas KEDA gives its target, and why (KEDA ``pkg/scaling/executor/
        scale_scaledobjects.go`` ``RequestScale``).

        - ``"start"``: as KEDA starts, before any trigger reports activity (podcap has no
          metrics).  With ``idleReplicaCount`` the target goes to it (when above it), with
          ``minReplicaCount`` 0 to zero (``scaleToZeroOrIdle``, at once: the initial cooldown
          is 0 s by default; within a longer ``initialCooldownPeriod`` the HPA keeps it within
          its bounds and 0 stays 0); otherwise a target below ``minReplicaCount`` (even at 0)
          is set to it and the HPA keeps it at most ``maxReplicaCount``.
        - ``"min"``: with no trigger active for the cooldown, ``idleReplicaCount`` if set, else
          ``minReplicaCount`` (``getIdleOrMinimumReplicaCount``; 0 is scale to zero).
        - ``"max"``: every trigger active and at its peak: ``maxReplicaCount``, from zero too
          (``scaleFromZeroOrIdle`` activates the target, then the HPA scales it).
        """
        if mode == "max":
            return self.max_replicas, "what-if at maxReplicaCount"
        if mode == "min":
            if self.idle_replicas is not None:
                return self.idle_replicas, (
                    f"what-if with no trigger active: idleReplicaCount {self.idle_replicas}"
                )
            if self.keda_min == 0:
                return 0, "what-if with no trigger active: scaled to zero, minReplicaCount 0"
            return self.keda_min, "what-if at minReplicaCount"
        if self.idle_replicas is None and self.keda_min > 0:
            return max(self.keda_min, min(replicas, self.max_replicas)), "as it starts"
        if self.initial_cooldown > 0:
            return self.desired(replicas), (
                f"as it starts, within initialCooldownPeriod {self.initial_cooldown}s"
            )
        if self.idle_replicas is not None:
            return min(replicas, self.idle_replicas), (
                f"as it starts, no trigger active: idleReplicaCount {self.idle_replicas}"
            )
        return 0, "as it starts, no trigger active: scaled to zero, minReplicaCount 0"

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
