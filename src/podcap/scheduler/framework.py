"""The scheduler's view of a cluster and of a pod, and the cycle that runs the plugins.

:class:`NodeState` (usage per node) and :class:`PodClass` (what the scheduler needs of a set of
identical pods) are the inputs both engines share; nothing else is shared between the fast
engine (:mod:`podcap.scheduler.fast`) and the oracle (:mod:`podcap.scheduler.reference`).

The cycle knows no plugin: :func:`node_filters` asks every plugin of the profile
(:mod:`podcap.scheduler.profile`) which nodes it leaves for a pod, and :func:`scheduling_failure`
collects the plugins' reasons, as data (codes) and as kube-scheduler's FailedScheduling text.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from podcap.model.fleet import Fleet
from podcap.model.specs import Toleration
from podcap.model.workloads import PodTemplate, SpreadConstraint

__all__ = [
    "FilterContext",
    "FilterPlugin",
    "Filters",
    "NodeState",
    "PodClass",
    "PodSpec",
    "Reason",
]

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]


@dataclass
class NodeState:
    """Mutable per-node usage: actual requests, non-zero requests, pods."""

    alloc: IntArray  # (R, n)
    pods_alloc: IntArray
    used: IntArray  # (R, n)
    nz_cpu: IntArray
    nz_memory: IntArray
    pods: IntArray

    @classmethod
    def empty(cls, alloc: IntArray, pods_alloc: IntArray) -> NodeState:
        """A state with nothing placed."""
        n = pods_alloc.shape[0]
        return cls(
            alloc=alloc,
            pods_alloc=pods_alloc,
            used=np.zeros_like(alloc),
            nz_cpu=np.zeros(n, np.int64),
            nz_memory=np.zeros(n, np.int64),
            pods=np.zeros(n, np.int64),
        )

    def add(self, pc: PodClass, counts: IntArray) -> None:
        """Account ``counts`` pods of class ``pc`` per node."""
        idx = np.flatnonzero(counts)
        if idx.shape[0] * 4 > counts.shape[0]:
            self.used += pc.request[:, None] * counts[None, :]
            self.nz_cpu += pc.nz_cpu * counts
            self.nz_memory += pc.nz_memory * counts
            self.pods += counts
            return
        k = counts[idx]
        for r in np.flatnonzero(pc.request):
            self.used[r, idx] += pc.request[r] * k
        self.nz_cpu[idx] += pc.nz_cpu * k
        self.nz_memory[idx] += pc.nz_memory * k
        self.pods[idx] += k


@dataclass(frozen=True)
class PodClass:
    """What the scheduler needs to know about the (identical) pods of one workload."""

    request: IntArray  # (R,) actual requests
    nz_cpu: int
    nz_memory: int
    eligible: BoolArray  # every static filter passes (cordon, taints, selector / affinity)
    affinity: BoolArray  # selector / affinity pass (topology spread domains)
    anti_affinity: bool = False
    soft_spread: bool = False
    hard_spread: tuple[SpreadConstraint, ...] = ()
    zone: IntArray | None = None  # zone code per node (soft spread)
    domains: tuple[IntArray, ...] = ()  # per hard constraint: domain code per node (-1: no label)
    host_ports: bool = False  # the pod binds host ports: one per node, and not where taken
    ports_taken: BoolArray | None = None  # nodes where other pods hold a conflicting host port
    # InterPodAffinity score of preferred (anti-)affinity terms against the workload's own pods:
    # raw points per own pod on the node (hostname terms) and in its zone (zone terms)
    affinity_host: int = 0
    affinity_zone: int = 0
    # VolumeBinding: per reason, the nodes the pod's volumes rule out (static), and the
    # PreFilter's refusal on every node ("": none)
    volume_conflicts: tuple[tuple[str, BoolArray], ...] = ()
    volume_block: str = ""


@dataclass(frozen=True)
class PodSpec:
    """What the scheduler knows of the identical pods of one cohort (the reference engine's
    input): owner, namespace, template (labels, affinity, spreading), tolerations with those
    the controller adds, requests per resource in fleet order, non-zero requests, priority, and
    whether a controller's selector makes the system-default spreading apply."""

    key: tuple[str, str, str]
    namespace: str
    template: PodTemplate
    tolerations: tuple[Toleration, ...]
    request: IntArray
    nz_cpu: int
    nz_memory: int
    priority: int = 0
    default_spread: bool = False
    created: int = 0  # creation order: an older pod (lower) started earlier


@dataclass(frozen=True)
class Filters:
    """The static filters' answers for one pod template (they do not change with usage).

    ``static`` maps a plugin name to the nodes it leaves, in profile order; ``codes`` maps it to
    the limit code of the nodes it rejects; ``eligible`` is their conjunction.
    """

    static: dict[str, BoolArray]
    codes: dict[str, str]
    eligible: BoolArray

    def static_rejection(self) -> tuple[npt.NDArray[np.intp], list[str]]:
        """Per node, which static filter rejects it first, in profile order (-1: none), as a
        position in the list of their codes returned with it."""
        first = np.full(self.eligible.shape[0], -1, dtype=np.intp)
        names = list(self.static)
        for k in range(len(names) - 1, -1, -1):
            first[~self.static[names[k]]] = k
        return first, [self.codes[name] for name in names]

    def static_limit(self) -> npt.NDArray[np.object_]:
        """Per node, the code of the first static filter that rejects it (``""``: none)."""
        first, codes = self.static_rejection()
        out: npt.NDArray[np.object_] = np.array([*codes, ""], dtype=object)[first]
        return out


@dataclass(frozen=True)
class Reason:
    """Nodes a plugin rejects, kube-scheduler's text for them, a code naming the limit, and
    whether evicting lower-priority pods could help (status Unschedulable rather than
    UnschedulableAndUnresolvable): True, False, or per node."""

    nodes: BoolArray
    text: str
    code: str
    resolvable: bool | BoolArray = False


@dataclass(frozen=True)
class FilterContext:
    """Everything a filter plugin may look at to explain why one more pod does not fit."""

    fleet: Fleet
    state: NodeState
    pc: PodClass
    filters: Filters
    tolerations: tuple[Toleration, ...]  # the pod's, with those its controller adds
    own: IntArray  # pods of the workload per node
    only: BoolArray | None  # a PreFilter node set (a DaemonSet pod's node), or None


StaticFilter = Callable[[Fleet, PodTemplate, Sequence[Toleration]], BoolArray | None]
ReasonsOf = Callable[[FilterContext], list[Reason]]


def _no_static(fleet: Fleet, template: PodTemplate, tolerations: Sequence[Toleration]) -> None:
    return None


def _no_reasons(ctx: FilterContext) -> list[Reason]:
    return []


@dataclass(frozen=True)
class FilterPlugin:
    """One filter plugin of the profile, named as in kube-scheduler.

    ``static`` gives the nodes it leaves whatever their usage (None when it depends on usage);
    ``prefilter`` the reasons of its PreFilter (nodes it removes before any filter runs);
    ``reasons`` the nodes its Filter rejects for one more pod, with their texts and codes.
    """

    name: str
    code: str = ""  # the limit code of a node its static mask rejects
    static: StaticFilter = _no_static
    prefilter: ReasonsOf = _no_reasons
    reasons: ReasonsOf = _no_reasons
