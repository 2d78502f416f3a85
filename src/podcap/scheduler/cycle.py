"""The scheduling cycle's plugin-independent parts: the static filters of a pod, the scheduler's
view of a pod (:class:`PodClass`) and the FailedScheduling diagnosis.

Nothing here names a plugin: the profile (:data:`podcap.scheduler.profile.FILTERS`) lists them,
and each plugin answers for itself.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from podcap.model.admission import AdmittedPod, nonzero_requests
from podcap.model.fleet import Fleet
from podcap.model.specs import Toleration
from podcap.model.volumes import EBS_VOLUMES
from podcap.model.workloads import SPREAD_BY_DEFAULT, PodTemplate, Workload
from podcap.scheduler.framework import FilterContext, Filters, NodeState, PodClass
from podcap.scheduler.plugins import node_affinity, node_name, pod_topology_spread, volume_binding
from podcap.scheduler.profile import FILTERS

__all__ = [
    "Diagnosis",
    "diagnose",
    "failed_scheduling_message",
    "node_filters",
    "pod_class",
    "scheduling_failure",
]


def node_filters(fleet: Fleet, template: PodTemplate, tolerations: Sequence[Toleration]) -> Filters:
    """Every static filter's nodes for a pod of ``template`` with ``tolerations``.

    A pod with ``spec.nodeName`` bypasses the scheduler: only that node, whatever its taints.
    """
    pinned = node_name.static(fleet, template, tolerations)
    if pinned is not None:
        return Filters({node_name.NAME: pinned}, {node_name.NAME: "node_name"}, pinned)
    static: dict[str, npt.NDArray[np.bool_]] = {}
    codes: dict[str, str] = {}
    eligible = np.ones(fleet.size, dtype=bool)
    for plugin in FILTERS:
        mask = plugin.static(fleet, template, tolerations)
        if mask is not None:
            static[plugin.name] = mask
            codes[plugin.name] = plugin.code
            eligible &= mask
    return Filters(static, codes, eligible)


def pod_class(fleet: Fleet, wl: Workload, pod: AdmittedPod, filters: Filters) -> PodClass:
    """The scheduler's view of the pods of ``wl`` admitted as ``pod``."""
    req = np.array([pod.requests.get(r, 0) for r in fleet.resources], dtype=np.int64)
    if EBS_VOLUMES in fleet.resources:  # NodeVolumeLimits: the EBS volumes each pod attaches
        req[fleet.resources.index(EBS_VOLUMES)] = wl.template.volume_attach
    nz_cpu, nz_mem = nonzero_requests(pod)
    labels = wl.template.labels
    hard = tuple(
        c
        for c in wl.template.spread
        if c.when_unsatisfiable == "DoNotSchedule"
        and (sel := c.selector_for(labels)) is not None
        and sel.matches(labels)
    )
    # topology spreading counts the pods on the nodes that pass the pod's node affinity
    counted = filters.static.get(node_affinity.NAME, filters.eligible)
    # preferred terms against the workload's own pods: each own pod counts twice, once for the
    # incoming pod's term and once for the same term of the pod already there
    per_key = {"kubernetes.io/hostname": 0, "topology.kubernetes.io/zone": 0}
    terms = [(w.weight, w.term) for w in wl.template.preferred_pod_affinity] + [
        (-w.weight, w.term) for w in wl.template.preferred_pod_anti_affinity
    ]
    for weight, term in terms:
        if term.topology_key in per_key:
            per_key[term.topology_key] += 2 * weight
    return PodClass(
        request=req,
        nz_cpu=int(nz_cpu),
        nz_memory=int(nz_mem),
        eligible=filters.eligible,
        affinity=counted,
        anti_affinity=wl.template.anti_affinity_hostname,
        host_ports=bool(wl.template.host_ports),
        soft_spread=wl.kind in SPREAD_BY_DEFAULT and not wl.template.spread,
        hard_spread=hard,
        zone=fleet.zone,
        domains=tuple(pod_topology_spread.domains(fleet, c) for c in hard),
        affinity_host=per_key["kubernetes.io/hostname"],
        affinity_zone=per_key["topology.kubernetes.io/zone"],
        volume_conflicts=volume_binding.conflicts(fleet, wl.template),
        volume_block=wl.template.volume_block,
    )


@dataclass(frozen=True)
class Diagnosis:
    """Why one more pod fits on no node: reasons per text (node counts), limit codes, and the
    nodes where evicting lower-priority pods could help (status Unschedulable)."""

    counts: dict[str, int]
    codes: frozenset[str]
    resolvable: npt.NDArray[np.bool_]
    rejected: npt.NDArray[np.bool_]


def diagnose(
    fleet: Fleet,
    state: NodeState,
    pc: PodClass,
    filters: Filters,
    tolerations: Sequence[Toleration],
    own: npt.NDArray[np.int64],
    only: npt.NDArray[np.bool_] | None = None,
    nodes: npt.NDArray[np.bool_] | None = None,
) -> Diagnosis:
    """Run every plugin's reasons for one more pod of ``pc``; each node counts under the first
    plugin (profile order) that rejects it, with every reason that plugin gives; PreFilter
    rejections come first.  ``nodes`` restricts the counts to some nodes."""
    n = fleet.size
    ctx = FilterContext(fleet, state, pc, filters, tuple(tolerations), own, only)
    counts: dict[str, int] = {}
    codes: set[str] = set()
    pending = np.ones(n, dtype=bool) if nodes is None else nodes.copy()
    resolvable = np.zeros(n, dtype=bool)
    for stage in ("prefilter", "reasons"):
        for plugin in FILTERS:
            rejected = np.zeros(n, dtype=bool)
            helps = np.ones(n, dtype=bool)
            for reason in getattr(plugin, stage)(ctx):
                hit = reason.nodes & pending
                count = int(hit.sum())
                if count:
                    counts[reason.text] = counts.get(reason.text, 0) + count
                    codes.add(reason.code)
                rejected |= reason.nodes
                helps &= ~reason.nodes | reason.resolvable
            if stage == "reasons":
                resolvable |= pending & rejected & helps
            pending &= ~rejected
    return Diagnosis(counts, frozenset(codes), resolvable, ~pending)


def _histogram(counts: dict[str, int]) -> str:
    return ", ".join(sorted(f"{count} {text}" for text, count in counts.items() if count))


# The DynamicResources plugin's PostFilter runs before DefaultPreemption's (v1.34 default profile).
_POST_FILTER = "no new claims to deallocate, "


def scheduling_failure(
    fleet: Fleet,
    state: NodeState,
    pc: PodClass,
    filters: Filters,
    tolerations: Sequence[Toleration],
    own: npt.NDArray[np.int64],
    only: npt.NDArray[np.bool_] | None = None,
    lower: npt.NDArray[np.bool_] | None = None,
    relieved: NodeState | None = None,
    may_preempt: bool = True,
    relieved_pc: PodClass | None = None,
) -> tuple[str, frozenset[str]]:
    """kube-scheduler's FailedScheduling text for one more pod of ``pc``, and the limits that
    stop it as data: ``nodeAffinity``, ``unschedulable``, ``taint``, ``pods``, a resource name
    (``cpu``, ``memory``, ...), ``topologySpread``, ``podAntiAffinity``, or ``nodes`` when
    there are none.

    The text is the filters' part (:func:`diagnose`), then the PostFilter part:
    DefaultPreemption's dry run per node: ``Preemption is not helpful for scheduling`` where
    no eviction could help, ``No preemption victims found for incoming pod`` where no pod of
    lower priority runs (``lower``: the nodes that host one), or the filters' reasons on the
    node with those pods gone (``relieved``: the state without them; ``relieved_pc``: the pod
    class with only the host ports that pods of its priority or higher hold); ``not eligible`` for a
    pod whose preemptionPolicy is Never (``may_preempt`` False).
    """
    n = fleet.size
    if n == 0:
        return "no nodes available to schedule pods", frozenset({"nodes"})
    if pc.volume_block:
        # a PreFilter refusal: its message instead of the per-node reasons; no node can help
        text = f"0/{n} nodes are available: {pc.volume_block}."
        if not may_preempt:
            post = "preemption: not eligible due to preemptionPolicy=Never."
        else:
            post = f"preemption: 0/{n} nodes are available: {n} Preemption is not helpful for scheduling."
        return f"{text} {_POST_FILTER}{post}", frozenset({"volumes"})
    diag = diagnose(fleet, state, pc, filters, tolerations, own, only)
    text = f"0/{n} nodes are available: {_histogram(diag.counts)}."
    if not may_preempt:
        post = "preemption: not eligible due to preemptionPolicy=Never."
        return f"{text} {_POST_FILTER}{post}", diag.codes
    potential = diag.resolvable
    victims = potential & (np.zeros(n, dtype=bool) if lower is None else lower)
    after: dict[str, int] = {
        "No preemption victims found for incoming pod": int((potential & ~victims).sum()),
    }
    if victims.any() and relieved is not None:
        kept = pc if relieved_pc is None else relieved_pc
        dry = diagnose(fleet, relieved, kept, filters, tolerations, own, only, victims)
        for reason, count in dry.counts.items():
            after[reason] = after.get(reason, 0) + count
    after["Preemption is not helpful for scheduling"] = n - int(potential.sum())
    post = f"preemption: 0/{n} nodes are available: {_histogram(after)}."
    return f"{text} {_POST_FILTER}{post}", diag.codes


def failed_scheduling_message(
    fleet: Fleet,
    state: NodeState,
    pc: PodClass,
    filters: Filters,
    tolerations: Sequence[Toleration],
    own: npt.NDArray[np.int64],
    only: npt.NDArray[np.bool_] | None = None,
) -> str:
    """kube-scheduler's FailedScheduling text for one more pod of ``pc``."""
    return scheduling_failure(fleet, state, pc, filters, tolerations, own, only)[0]
