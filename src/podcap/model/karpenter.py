"""Karpenter v1: NodePools, EC2NodeClasses and the instance types a NodePool can launch.

Written from kubernetes-sigs/karpenter (``pkg/apis/v1/nodepool.go``, ``pkg/scheduling/
requirements.go``, ``pkg/controllers/provisioning/scheduling/``) and aws/karpenter-provider-aws
(``pkg/apis/v1/ec2nodeclass.go``, ``pkg/providers/instancetype/types.go``) at v1.14; the rules
and their sources are listed in ``docs/domain.md`` ("Karpenter").

* :class:`Requirement` is one ``{key, operator, values, minValues}`` entry, evaluated on label
  values (a label a type does not have is "does not exist").
* :func:`instance_labels` gives each instance type's values for the well-known keys Karpenter
  resolves per type (``node.kubernetes.io/instance-type``, ``kubernetes.io/arch``,
  ``karpenter.k8s.aws/instance-family``, ...).
* :func:`candidate_types` is what a NodePool with its EC2NodeClass can launch: the types its
  requirements allow, with the allocatable Karpenter computes for them, the capacity its limits
  count, and their prices.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd

from podcap import kernels
from podcap.errors import InvalidSpecError
from podcap.model.capacity import allocatable, default_root_volume_gib
from podcap.model.instances import device_resources, instance_types, lookup
from podcap.model.prices import check_region
from podcap.model.specs import Taint
from podcap.model.validation import invalid_label

__all__ = [
    "AMI_FAMILIES",
    "CAPACITY_TYPE",
    "DISRUPTION_REASONS",
    "OPERATORS",
    "WELL_KNOWN",
    "Karpenter",
    "NodeClass",
    "NodePool",
    "Requirement",
    "candidate_types",
    "instance_labels",
    "node_price",
    "restricted_label",
]

Operator = Literal["In", "NotIn", "Exists", "DoesNotExist", "Gt", "Lt", "Gte", "Lte"]
OPERATORS: tuple[str, ...] = ("In", "NotIn", "Exists", "DoesNotExist", "Gt", "Lt", "Gte", "Lte")
AMI_FAMILIES = (
    "AL2",
    "AL2023",
    "Bottlerocket",
    "Custom",
    "Windows2019",
    "Windows2022",
    "Windows2025",
)
#: Reasons a disruption budget can be limited to (``pkg/apis/v1/nodepool.go``).
DISRUPTION_REASONS = ("Empty", "Underutilized", "Drifted")
ConsolidationPolicy = Literal["WhenEmptyOrUnderutilized", "WhenEmpty", "Balanced"]

ZONE = "topology.kubernetes.io/zone"
CAPACITY_TYPE = "karpenter.sh/capacity-type"
NODEPOOL = "karpenter.sh/nodepool"
_K = "karpenter.k8s.aws/"
_EKS = "eks.amazonaws.com/"
#: Keys Karpenter resolves per instance type (besides zone and capacity type, which depend on the
#: offering): a requirement on one of them filters instance types.
TYPE_KEYS: tuple[str, ...] = (
    "node.kubernetes.io/instance-type",
    "beta.kubernetes.io/instance-type",
    "kubernetes.io/arch",
    "beta.kubernetes.io/arch",
    "kubernetes.io/os",
    "beta.kubernetes.io/os",
    _K + "instance-category",
    _K + "instance-family",
    _K + "instance-generation",
    _K + "instance-size",
    _K + "instance-cpu",
    _K + "instance-memory",
    _K + "instance-hypervisor",
    _K + "instance-cpu-manufacturer",
    _K + "instance-gpu-count",
    _K + "instance-gpu-name",
    _K + "instance-gpu-manufacturer",
    _K + "instance-gpu-memory",
    _K + "instance-network-bandwidth",
    _K + "instance-local-nvme",
)
TYPE_KEYS = TYPE_KEYS + tuple(_EKS + k[len(_K) :] for k in TYPE_KEYS if k.startswith(_K))
#: Well-known keys: a pod may require one of them without the NodePool defining it
#: (kubernetes-sigs/karpenter ``pkg/apis/v1/labels.go`` WellKnownLabels and the AWS provider's).
WELL_KNOWN = frozenset(
    (
        *TYPE_KEYS,
        ZONE,
        "failure-domain.beta.kubernetes.io/zone",
        "topology.kubernetes.io/region",
        "failure-domain.beta.kubernetes.io/region",
        "topology.k8s.aws/zone-id",
        CAPACITY_TYPE,
        NODEPOOL,
        "kubernetes.io/hostname",
        "node.kubernetes.io/windows-build",
        _K + "ec2nodeclass",
        _K + "instance-tenancy",
        _K + "instance-capability-flex",
        _K + "instance-ebs-bandwidth",
        _K + "instance-encryption-in-transit-supported",
        _K + "instance-accelerator-name",
        _K + "instance-accelerator-manufacturer",
        _K + "instance-accelerator-count",
    )
)
_INTEGER_OPS = ("Gt", "Lt", "Gte", "Lte")


@dataclass(frozen=True)
class Requirement:
    """One NodePool (or pod) requirement: ``{key, operator, values, minValues}``.

    Parameters
    ----------
    key : str
        Label key.
    operator : {"In", "NotIn", "Exists", "DoesNotExist", "Gt", "Lt", "Gte", "Lte"}
    values : tuple of str
        Values (``Gt``/``Lt``/``Gte``/``Lte`` take exactly one integer).
    min_values : int, optional
        ``minValues``: the instance types left must cover at least this many distinct values of
        the key [count].
    """

    key: str
    operator: Operator
    values: tuple[str, ...] = ()
    min_values: int | None = None

    def __post_init__(self) -> None:
        where = f"requirement {self.key!r}"
        if not isinstance(self.key, str) or not self.key:
            raise InvalidSpecError(f"requirement key must be a non-empty string, got {self.key!r}")
        if self.operator not in OPERATORS:
            raise InvalidSpecError(
                f"{where}: operator {self.operator!r} is not one of {', '.join(OPERATORS)}"
            )
        values = tuple(str(v) for v in (self.values or ()))
        object.__setattr__(self, "values", values)
        if self.operator in ("In", "NotIn") and not values:
            raise InvalidSpecError(f"{where}: operator {self.operator} needs at least one value")
        if self.operator in _INTEGER_OPS and (
            len(values) != 1 or not re.fullmatch(r"\d+", values[0])
        ):
            raise InvalidSpecError(
                f"{where}: operator {self.operator} takes exactly one integer >= 0, got "
                f"{list(values)}"
            )
        if self.operator in ("Exists", "DoesNotExist") and values:
            raise InvalidSpecError(
                f"{where}: operator {self.operator} takes no values, got {list(values)}"
            )
        if self.min_values is not None and (
            isinstance(self.min_values, bool)
            or not isinstance(self.min_values, int)
            or not 1 <= self.min_values <= 50
        ):
            raise InvalidSpecError(
                f"{where}: minValues must be an integer from 1 to 50, got {self.min_values!r}"
            )
        if self.min_values is not None and self.operator == "In" and self.min_values > len(values):
            raise InvalidSpecError(
                f"{where}: minValues {self.min_values} is more than the {len(values)} value(s) "
                "given"
            )

    def matches(self, value: str | None) -> bool:
        """Whether a label value (None: the label does not exist) satisfies the requirement."""
        op = self.operator
        if op == "In":
            return value is not None and value in self.values
        if op == "NotIn":
            return value is None or value not in self.values
        if op == "Exists":
            return value is not None
        if op == "DoesNotExist":
            return value is None
        if value is None or not re.fullmatch(r"-?\d+", value):
            return False
        v, bound = int(value), int(self.values[0])
        return {"Gt": v > bound, "Lt": v < bound, "Gte": v >= bound, "Lte": v <= bound}[op]

    def __str__(self) -> str:
        if self.operator in ("Exists", "DoesNotExist"):
            return f"{self.key} {self.operator}"
        return f"{self.key} {self.operator} [{','.join(self.values)}]"


@dataclass(frozen=True)
class NodeClass:
    """The capacity-related fields of a ``karpenter.k8s.aws/v1`` EC2NodeClass.

    Parameters
    ----------
    name : str
    ami_family : str
        ``AL2``, ``AL2023`` (default), ``Bottlerocket``, ``Custom`` or ``Windows2019/2022/2025``
        (from ``amiFamily`` or the ``amiSelectorTerms`` alias).
    max_pods, pods_per_core : int, optional
        ``spec.kubelet.maxPods`` / ``podsPerCore`` [pods].
    kube_reserved, system_reserved, eviction_hard : mapping
        ``spec.kubelet`` reservations as quantities (``{"cpu": "100m"}``).
    root_volume_gib : float, optional
        Size of the ``rootVolume`` block device mapping [GiB]; default the AMI family's.
    max_pods_cap : int, optional
        An upper bound on the pods Karpenter computes for a type (EKS Auto Mode: 110).
    """

    name: str = "default"
    ami_family: str = "AL2023"
    max_pods: int | None = None
    pods_per_core: int | None = None
    kube_reserved: Mapping[str, str] = field(default_factory=dict)
    system_reserved: Mapping[str, str] = field(default_factory=dict)
    eviction_hard: Mapping[str, str] = field(default_factory=dict)
    root_volume_gib: float | None = None
    max_pods_cap: int | None = None

    def __post_init__(self) -> None:
        if self.ami_family not in AMI_FAMILIES:
            raise InvalidSpecError(
                f"EC2NodeClass {self.name!r}: amiFamily {self.ami_family!r} is not one of "
                f"{', '.join(AMI_FAMILIES)}"
            )


@dataclass(frozen=True)
class NodePool:
    """A ``karpenter.sh/v1`` NodePool: what it may launch and when it consolidates.

    Parameters
    ----------
    name : str
    requirements : tuple of Requirement
        ``spec.template.spec.requirements``; template labels are added as one-value ``In``
        requirements by :meth:`all_requirements`.
    labels : mapping
        ``spec.template.metadata.labels`` (put on the nodes).
    taints, startup_taints : tuple of Taint
        ``spec.template.spec.taints`` (pods must tolerate them) and ``startupTaints``
        (ignored when fitting pods, as Karpenter does).
    limits : mapping
        ``spec.limits``: ``cpu`` [m], ``memory`` [B], ``nodes``, ``pods`` and extended
        resources [count]; absent = unlimited.
    weight : int
        ``spec.weight`` (0-100): NodePools are tried by weight, highest first, then by name
        descending.
    node_class : str
        The EC2NodeClass named by ``spec.template.spec.nodeClassRef``.
    consolidation_policy : {"WhenEmptyOrUnderutilized", "WhenEmpty", "Balanced"}
    consolidate_after : float or None
        ``consolidateAfter`` [s]; None is ``Never``.
    budgets : tuple of str or (str, tuple of str)
        ``disruption.budgets[].nodes`` (``"10%"`` or a count) of the always-active budgets, each
        alone (every reason) or with the ``reasons`` it applies to (``Empty``,
        ``Underutilized``, ``Drifted``).
    """

    name: str
    requirements: tuple[Requirement, ...] = ()
    labels: Mapping[str, str] = field(default_factory=dict)
    taints: tuple[Taint, ...] = ()
    startup_taints: tuple[Taint, ...] = ()
    limits: Mapping[str, int] = field(default_factory=dict)
    weight: int = 0
    node_class: str = "default"
    consolidation_policy: ConsolidationPolicy = "WhenEmptyOrUnderutilized"
    consolidate_after: float | None = 0.0
    budgets: tuple[str | tuple[str, tuple[str, ...]], ...] = ("10%",)

    def __post_init__(self) -> None:
        where = f"NodePool {self.name!r}"
        if not isinstance(self.name, str) or not re.fullmatch(
            r"[a-z0-9]([-a-z0-9.]*[a-z0-9])?", self.name
        ):
            raise InvalidSpecError(
                f"NodePool name {self.name!r} is invalid: use lower-case letters, digits, '-' "
                "and '.'"
            )
        requirements = (
            (self.requirements,)
            if isinstance(self.requirements, Requirement)
            else tuple(self.requirements)
        )
        for r in requirements:
            if not isinstance(r, Requirement):
                raise InvalidSpecError(
                    f"{where}: requirements must be podcap.Requirement objects, got {r!r}"
                )
        object.__setattr__(self, "requirements", requirements)
        for name in ("taints", "startup_taints"):
            raw = getattr(self, name)
            items = (raw,) if isinstance(raw, (str, Mapping, Taint)) else tuple(raw or ())
            parsed = tuple(
                Taint.parse(t, where=f"{where}.{name}[{i}]") for i, t in enumerate(items)
            )
            object.__setattr__(self, name, parsed)
        if not isinstance(self.labels, Mapping):
            raise InvalidSpecError(f"{where}: labels must map keys to values, got {self.labels!r}")
        for key, value in self.labels.items():
            problem = (
                invalid_label(str(key), str(value))
                if isinstance(value, str)
                else (f"label {key!r}: the value must be a string, got {value!r}")
            )
            if problem:
                raise InvalidSpecError(f"{where}.labels: {problem}")
            restricted = restricted_label(str(key))
            if restricted:
                raise InvalidSpecError(f"{where}.labels: {restricted}")
        if isinstance(self.weight, bool) or not isinstance(self.weight, int):
            raise InvalidSpecError(f"{where}: weight must be an integer from 0 to 100")
        if not 0 <= self.weight <= 100:
            raise InvalidSpecError(f"{where}: weight must be from 0 to 100, got {self.weight}")
        for b in self.budgets:
            nodes, reasons = (b, ()) if isinstance(b, str) else b
            if not isinstance(nodes, str) or not re.fullmatch(r"\d+%?", nodes):
                raise InvalidSpecError(
                    f"{where}: budgets take node counts or percentages ('10%', '5'), got {b!r}"
                )
            if not set(reasons) <= set(DISRUPTION_REASONS):
                raise InvalidSpecError(
                    f"{where}: budget reasons are {', '.join(DISRUPTION_REASONS)}, got {reasons!r}"
                )
        for key, amount in self.limits.items():
            if isinstance(amount, bool) or not isinstance(amount, int) or amount < 0:
                raise InvalidSpecError(f"{where}: limits.{key} must be >= 0, got {amount!r}")

    def all_requirements(self) -> tuple[Requirement, ...]:
        """The requirements with the template labels as ``In`` requirements
        (``NewNodeClaimTemplate`` in kubernetes-sigs/karpenter)."""
        from_labels = tuple(Requirement(k, "In", (v,)) for k, v in self.labels.items())
        return (*self.requirements, *from_labels, Requirement(NODEPOOL, "In", (self.name,)))


@dataclass(frozen=True)
class Karpenter:
    """Karpenter in a cluster: its NodePools and EC2NodeClasses, and what podcap cannot know
    offline.

    Parameters
    ----------
    node_pools : tuple of NodePool
    node_classes : mapping of str to NodeClass
        EC2NodeClasses by name.
    zones : tuple of str
        The zones of the EC2NodeClass's subnets (not knowable offline); empty: the NodePool's
        zone requirement, else the zones of the cluster's nodes.
    region : str
        Region for the prices (default ``us-east-1``).
    prices : pandas.DataFrame, optional
        The user's prices (see :func:`podcap.model.prices.price_table`); spot prices come only
        from here.
    """

    node_pools: tuple[NodePool, ...] = ()
    node_classes: Mapping[str, NodeClass] = field(default_factory=dict)
    zones: tuple[str, ...] = ()
    region: str = "us-east-1"
    prices: pd.DataFrame | None = field(default=None, compare=False, repr=False)

    def __post_init__(self) -> None:
        names = [p.name for p in self.node_pools]
        dup = sorted({n for n in names if names.count(n) > 1})
        if dup:
            raise InvalidSpecError(f"NodePool name(s) given twice: {', '.join(dup)}")
        if not all(isinstance(z, str) and z and " " not in z for z in self.zones):
            raise InvalidSpecError(f"zones must be zone names, got {list(self.zones)!r}")
        check_region(self.region)
        object.__setattr__(self, "zones", tuple(self.zones))


#: Label domains a NodePool may not use for its own labels, and the exceptions
#: (kubernetes-sigs/karpenter ``pkg/apis/v1/labels.go`` RestrictedLabelDomains,
#: LabelDomainExceptions, IsRestrictedLabel; well-known labels are allowed).
RESTRICTED_LABEL_DOMAINS = ("kubernetes.io", "k8s.io", "karpenter.sh")
LABEL_DOMAIN_EXCEPTIONS = ("kops.k8s.io", "node.kubernetes.io")


def restricted_label(key: str) -> str:
    """Why a NodePool may not set or require a label key ('' when it may)."""
    if key in ("kubernetes.io/hostname", NODEPOOL):
        return f"label {key!r} is restricted; a NodePool may not set it (Karpenter rejects it)"
    if key in WELL_KNOWN:
        return ""
    domain = key.split("/", 1)[0] if "/" in key else ""
    if any(domain == d or domain.endswith("." + d) for d in LABEL_DOMAIN_EXCEPTIONS):
        return ""
    if any(domain == d or domain.endswith("." + d) for d in RESTRICTED_LABEL_DOMAINS):
        return (
            f"label {key!r} is in a restricted domain ({', '.join(RESTRICTED_LABEL_DOMAINS)}); "
            "a NodePool may not set it (Karpenter rejects it)"
        )
    return ""


def _name_parts(name: str) -> tuple[str, str, str | None, str | None]:
    """Family, size, category and generation of a type name, as the AWS provider derives the
    ``instance-family/-size/-category/-generation`` labels (a ``-NNtb`` part is skipped)."""
    family, _, size = name.partition(".")
    m = re.match(r"([a-z]+)(?:-\d+tb)?(\d+)", family)
    category = m.group(1) if m else None
    generation = m.group(2) if m else None
    return family, size, category, generation


def _text(value: Any) -> str | None:
    if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)):
        return None
    if isinstance(value, (float, np.floating)) and float(value).is_integer():
        return str(int(value))
    if isinstance(value, (bool, np.bool_)):
        return "true" if value else "false"
    return str(value)


def _labels_of(table: pd.DataFrame) -> pd.DataFrame:
    names = [str(n) for n in table.index]
    parts = [_name_parts(n) for n in names]
    gpus = (
        table["gpu_count"] if "gpu_count" in table.columns else pd.Series(None, index=table.index)
    )

    def col(name: str) -> list[str | None]:
        if name not in table.columns:
            return [None] * len(names)
        return [_text(v) for v in table[name]]

    def named(column: str, derived: list[str | None]) -> list[str | None]:
        given = col(column)
        return [g if g is not None else d for g, d in zip(given, derived, strict=True)]

    hyper = [None if h in (None, "unknown") else h for h in col("hypervisor")]
    gpu_count = [None if g in (None, "0") else g for g in (_text(v) for v in gpus)]
    nvme = [None if g in (None, "0") else g for g in col("local_nvme_gb")]
    arch = col("arch")
    out = pd.DataFrame(
        {
            "node.kubernetes.io/instance-type": names,
            "beta.kubernetes.io/instance-type": names,
            "kubernetes.io/arch": arch,
            "beta.kubernetes.io/arch": arch,
            "kubernetes.io/os": "linux",
            "beta.kubernetes.io/os": "linux",
            _K + "instance-category": named("category", [p[2] for p in parts]),
            _K + "instance-family": named("family", [p[0] for p in parts]),
            _K + "instance-generation": named("generation", [p[3] for p in parts]),
            _K + "instance-size": named("size", [p[1] for p in parts]),
            _K + "instance-cpu": col("vcpus"),
            _K + "instance-memory": col("memory_mib"),
            _K + "instance-hypervisor": hyper,
            _K + "instance-cpu-manufacturer": col("cpu_manufacturer"),
            _K + "instance-gpu-count": gpu_count,
            _K + "instance-gpu-name": col("gpu_name"),
            _K + "instance-gpu-manufacturer": col("gpu_manufacturer"),
            _K + "instance-gpu-memory": col("gpu_memory_mib"),
            _K + "instance-network-bandwidth": col("network_bandwidth_mbps"),
            _K + "instance-local-nvme": nvme,
        },
        index=pd.Index(names, name="instance_type"),
        dtype=object,
    )
    for key in [c for c in out.columns if c.startswith(_K)]:
        out[_EKS + key[len(_K) :]] = out[key]  # EKS Auto Mode's spelling of the same labels
    return out


@functools.cache
def _bundled_labels() -> pd.DataFrame:
    return _labels_of(instance_types())


def instance_labels(table: pd.DataFrame | None = None) -> pd.DataFrame:
    """Each instance type's value of every key Karpenter resolves per type.

    Parameters
    ----------
    table : pandas.DataFrame, optional
        Instance table; default the bundled one.

    Returns
    -------
    pandas.DataFrame
        One row per type, one column per key of ``TYPE_KEYS``; None where the type has no such
        label (e.g. ``instance-gpu-count`` of a type without GPUs).
    """
    return _bundled_labels() if table is None else _labels_of(instance_types(table))


def type_mask(labels: pd.DataFrame, requirements: Iterable[Requirement]) -> npt.NDArray[np.bool_]:
    """Instance types (rows of :func:`instance_labels`) that satisfy every requirement on a
    per-type key; requirements on other keys do not filter types."""
    mask = np.ones(len(labels), dtype=bool)
    for req in requirements:
        if req.key in labels.columns:
            values = labels[req.key].to_numpy()
            mask &= np.fromiter((req.matches(v) for v in values), dtype=bool, count=len(values))
    return mask


@dataclass(frozen=True)
class Candidates:
    """What one NodePool can launch (one row per instance type).

    Attributes
    ----------
    names : numpy.ndarray of str
    alloc : numpy.ndarray of int, shape (resources, types)
        Allocatable per resource as Karpenter computes it (cpu [m], memory [B],
        ephemeral-storage [B], then extended resources [count]).
    pods : numpy.ndarray of int
        Max pods [pods].
    capacity : dict of str to numpy.ndarray
        Capacity counted against ``spec.limits`` (``cpu`` [m], ``memory`` [B], extended
        resources), Karpenter's instance-type capacity.
    price : dict of str to numpy.ndarray
        ``on-demand`` and ``spot`` prices [USD/h], NaN where unknown.
    labels : pandas.DataFrame
        The types' rows of :func:`instance_labels`.
    """

    names: npt.NDArray[np.object_]
    alloc: npt.NDArray[np.int64]
    pods: npt.NDArray[np.int64]
    capacity: dict[str, npt.NDArray[np.int64]]
    price: dict[str, npt.NDArray[np.float64]]
    labels: pd.DataFrame


_MIB = 1 << 20
_GIB = 1 << 30


def candidate_types(
    pool: NodePool,
    node_class: NodeClass,
    resources: tuple[str, ...],
    prices: pd.DataFrame,
    table: pd.DataFrame | None = None,
) -> Candidates:
    """The instance types a NodePool may launch, with their allocatable, capacity and prices.

    Types whose labels fail a requirement of the NodePool, whose size is unknown, or which have
    no known price (Karpenter: no price, no available offering) are left out.

    Parameters
    ----------
    pool : NodePool
    node_class : NodeClass
    resources : tuple of str
        Resource names, in the order of the fleet's arrays (``cpu``, ``memory``,
        ``ephemeral-storage``, ...).
    prices : pandas.DataFrame
        From :func:`podcap.model.prices.price_table`.
    table : pandas.DataFrame, optional
        Instance table; default the bundled one.
    """
    labels = instance_labels(table)
    facts = instance_types(table)
    mask = type_mask(labels, pool.all_requirements())
    mask &= facts["vcpus"].notna().to_numpy() & facts["memory_mib"].notna().to_numpy()
    od = prices["on-demand"].reindex(labels.index).to_numpy(dtype=np.float64)
    spot = prices["spot"].reindex(labels.index).to_numpy(dtype=np.float64)
    allowed = capacity_types(pool)
    priced = np.zeros(len(labels), dtype=bool)
    if "on-demand" in allowed:
        priced |= ~np.isnan(od)
    if "spot" in allowed:
        # spot offerings are priced like on-demand until the spot price history is read
        priced |= ~np.isnan(spot) | ~np.isnan(od)
    mask &= priced
    names = labels.index.to_numpy(dtype=object)[mask]
    sub = labels[mask]
    options: dict[str, Any] = {"ami_family": node_class.ami_family}
    if node_class.pods_per_core is not None:
        options["pods_per_core"] = node_class.pods_per_core

    def karpenter_allocatable(types: Any, max_pods: int | None) -> pd.DataFrame:
        return allocatable(
            types,
            overhead="karpenter",
            max_pods=max_pods,
            kube_reserved=dict(node_class.kube_reserved) or None,
            system_reserved=dict(node_class.system_reserved) or None,
            eviction_hard=dict(node_class.eviction_hard) or None,
            root_volume_gib=node_class.root_volume_gib,
            table=table,
            **options,
        )

    alloc_frame = karpenter_allocatable(names, node_class.max_pods)
    cap = node_class.max_pods_cap
    if cap is not None and node_class.max_pods is None:
        capped = alloc_frame["pods"].to_numpy(dtype=np.int64) > cap
        if capped.any():  # the capped types reserve memory for the capped count
            alloc_frame = alloc_frame.copy()
            again = karpenter_allocatable(names[capped], cap)
            alloc_frame.iloc[np.flatnonzero(capped)] = again.to_numpy()
    n = len(names)
    alloc = np.zeros((len(resources), n), dtype=np.int64)
    alloc[resources.index("cpu")] = alloc_frame["cpu_millicores"].to_numpy(dtype=np.int64)
    alloc[resources.index("memory")] = alloc_frame["memory_mib"].to_numpy(dtype=np.int64) * _MIB
    alloc[resources.index("ephemeral-storage")] = (
        alloc_frame["ephemeral_storage_gib"].to_numpy(dtype=np.float64) * _GIB
    ).astype(np.int64)
    cols, pos = lookup(names, table)
    capacity = {
        "cpu": (cols.vcpus[pos] * 1000).astype(np.int64),
        "memory": np.asarray(
            kernels.karpenter_memory_capacity_mib(cols.memory_mib[pos], cols.arm64[pos]),
            dtype=np.int64,
        )
        * _MIB,
    }
    capacity["pods"] = alloc_frame["pods"].to_numpy(dtype=np.int64)
    root = node_class.root_volume_gib
    if root is None:
        root = default_root_volume_gib("karpenter", node_class.ami_family)
    capacity["ephemeral-storage"] = np.full(n, int(root * _GIB), dtype=np.int64)
    for j, name in enumerate(names):
        for key, amount in device_resources(str(name), table=table).items():
            capacity.setdefault(key, np.zeros(n, dtype=np.int64))[j] = amount
            if key in resources:
                alloc[resources.index(key), j] = amount
    return Candidates(
        names=names,
        alloc=alloc,
        pods=alloc_frame["pods"].to_numpy(dtype=np.int64),
        capacity=capacity,
        price={"on-demand": od[mask], "spot": spot[mask]},
        labels=sub,
    )


def capacity_types(pool: NodePool, requirements: Iterable[Requirement] = ()) -> set[str]:
    """Capacity types a NodePool allows (``karpenter.sh/capacity-type``; none given: both
    ``on-demand`` and ``spot``, Karpenter v1 has no default), narrowed by a pod's
    ``requirements``."""
    allowed = {"on-demand", "spot"}
    for req in (*pool.all_requirements(), *requirements):
        if req.key == CAPACITY_TYPE:
            allowed = {c for c in allowed if req.matches(c)}
    return allowed


def node_price(prices: pd.DataFrame, instance_type: str, capacity_type: str) -> float | None:
    """A node's hourly price from :func:`podcap.model.prices.price_table` [USD/h]; None when
    unknown (spot without the user's spot prices, a type without a price)."""
    if instance_type not in prices.index or capacity_type not in prices.columns:
        return None
    value = float(prices[capacity_type].to_dict()[instance_type])
    return None if np.isnan(value) else value
