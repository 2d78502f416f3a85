"""Workload specs: pod templates, workloads, LimitRange, ResourceQuota, PriorityClass.

Resource amounts are plain integers: ``cpu`` in millicores [m], every other resource (memory,
ephemeral-storage, extended resources) in base units (bytes, counts), parsed from Kubernetes
quantities at the edge (:mod:`podcap.io.manifests`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from podcap.model.specs import Toleration

__all__ = [
    "Container",
    "LimitRange",
    "LimitRangeItem",
    "PodTemplate",
    "PriorityClass",
    "ResourceQuota",
    "SpreadConstraint",
    "Workload",
]

ResourceMap = Mapping[str, int]
WorkloadKind = Literal["Deployment", "ReplicaSet", "StatefulSet", "DaemonSet", "Pod", "Job"]

#: Built-in priority classes [priority value].
BUILTIN_PRIORITIES = {"system-node-critical": 2000001000, "system-cluster-critical": 2000000000}


@dataclass(frozen=True)
class Container:
    """One container's resources as written in the manifest (before admission)."""

    name: str
    requests: ResourceMap = field(default_factory=dict)
    limits: ResourceMap = field(default_factory=dict)
    role: Literal["app", "init", "sidecar"] = "app"


@dataclass(frozen=True)
class SpreadConstraint:
    """A topology spread constraint on the workload's own pods."""

    max_skew: int
    topology_key: str
    when_unsatisfiable: Literal["DoNotSchedule", "ScheduleAnyway"] = "DoNotSchedule"


@dataclass(frozen=True)
class NodeSelectorRequirement:
    """``key operator values`` of a required node affinity term."""

    key: str
    operator: Literal["In", "NotIn", "Exists", "DoesNotExist", "Gt", "Lt"]
    values: tuple[str, ...] = ()


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
class PriorityClass:
    """A cluster-scoped PriorityClass."""

    name: str
    value: int
    source: str = ""
    global_default: bool = False
