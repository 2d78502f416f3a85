"""cluster-autoscaler's scale-up, one decision: which node group grows, and by how many nodes.

Written from kubernetes/autoscaler ``cluster-autoscaler/core/scaleup/orchestrator/`` and
``estimator/``: for each node group below its maximum, a node built from the group's template
(with the DaemonSet pods that would run on it) is checked against each pending pod (taints,
node selector and affinity, resources); the pods that fit are bin-packed first-fit onto new
nodes in decreasing size (``binpacking_estimator.go``, ``decreasing_pod_orderer.go``: cpu over
allocatable cpu plus memory over allocatable memory), within the group's maximum; the expander
picks one option (``podcap.model.cluster_autoscaler.best_option``).  The nodes start and the
scheduler places the pods (:func:`podcap.pipeline.step.settle`).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import numpy.typing as npt
import pandas as pd

from podcap.model.admission import pod_tolerations
from podcap.model.cluster_autoscaler import ClusterAutoscaler, Option, best_option
from podcap.model.fleet import RESOURCES, build_fleet
from podcap.model.instances import instance_types
from podcap.model.karpenter import node_price
from podcap.model.prices import price_table
from podcap.model.specs import Cluster, NodeGroup
from podcap.model.workloads import Workload
from podcap.pipeline.state import ClusterState, Cohort, Key
from podcap.scheduler.cycle import node_filters, pod_class

__all__ = ["ScaleUp", "grown", "scale_up"]

IntArray = npt.NDArray[np.int64]
_MIB = 1 << 20
_HOST = "kubernetes.io/hostname"

# what a template node's static filters say, as the autoscaler's event phrases them
_PHRASES = {
    "taint": "node(s) had untolerated taint",
    "nodeAffinity": "node(s) didn't match Pod's node affinity/selector",
    "unschedulable": "node(s) were unschedulable",
    "node_affinity": "node(s) didn't match Pod's node affinity/selector",
}


@dataclass(frozen=True)
class ScaleUp:
    """One scale-up: the group, the nodes added and what the expander saw."""

    group: str
    instance_type: str
    nodes: int
    pods: int
    price_per_hour: float | None
    options: tuple[str, ...]


def _room(spare: IntArray, spare_pods: int, req: IntArray, cap: int | None, own: int) -> int:
    """Pods of request ``req`` a node with ``spare`` resources and pod slots can still take."""
    per = [int(spare[r] // req[r]) for r in range(len(req)) if req[r] > 0]
    k = min([*per, spare_pods])
    if cap is not None:
        k = min(k, cap - own)
    return max(k, 0)


def _per_node_cap(wl: Workload) -> int | None:
    """Pods of the workload one node can hold under hostname anti-affinity, host ports or
    hostname spreading to its own pods."""
    t = wl.template
    if t.anti_affinity_hostname or t.host_ports:
        return 1
    caps = [
        sc.max_skew
        for sc in t.spread
        if sc.topology_key == _HOST
        and sc.when_unsatisfiable == "DoNotSchedule"
        and (sel := sc.selector_for(t.labels)) is not None
        and sel.matches(t.labels)
    ]
    return min(caps) if caps else None


def scale_up(
    state: ClusterState, config: ClusterAutoscaler
) -> tuple[ScaleUp | None, dict[Key, str]]:
    """The node group cluster-autoscaler grows for the pending pods of ``state``.

    Returns
    -------
    (ScaleUp or None, dict)
        The scale-up (None: no group helps), and per workload whose pods no group takes, the
        autoscaler's ``NotTriggerScaleUp`` reason.
    """
    pending = [
        c
        for c in state.cohorts
        if c.pending > 0
        and c.pinned is None
        and (wl := state.workloads.get(c.key)) is not None
        and wl.kind != "DaemonSet"
        and not wl.template.node_name
    ]
    if not pending:
        return None, {}
    extra = tuple(r for r in state.fleet.resources if r not in RESOURCES)
    table = state.cluster.table
    facts = instance_types(table)
    prices = price_table(config.region)
    daemons = state.daemonset_pods()
    options: list[Option] = []
    sizes: dict[str, ScaleUp] = {}
    why: dict[Key, dict[str, int]] = {}
    for g in state.cluster.node_groups:
        if g.max_count is None:
            continue
        room = g.max_count - g.count
        if room <= 0:
            for c in pending:
                why.setdefault(c.key, {})
                why[c.key]["max node group size reached"] = (
                    why[c.key].get("max node group size reached", 0) + 1
                )
            continue
        probe = replace(g, count=1, node_names=(), node_zones=(), min_count=None, max_count=None)
        template = build_fleet(Cluster([probe], table=table), extra)
        resources = template.resources
        ds = np.zeros(len(resources), dtype=np.int64)
        ds_pods = 0
        for wl, pod in daemons:
            f = node_filters(template, wl.template, pod_tolerations(wl))
            if f.eligible[0]:
                ds += pod_class(template, wl, pod, f).request
                ds_pods += 1
        free = template.alloc[:, 0] - ds
        free_pods = int(template.pods_alloc[0]) - ds_pods
        fits: list[tuple[Cohort, IntArray, int | None]] = []
        for c in pending:
            wl = state.workloads[c.key]
            f = node_filters(template, wl.template, pod_tolerations(wl))
            if not f.eligible[0]:
                code = str(f.static_limit()[0])
                text = _PHRASES.get(code, f"node(s) rejected by {code}")
                why.setdefault(c.key, {})[text] = why.get(c.key, {}).get(text, 0) + 1
                continue
            req = pod_class(template, wl, c.pod, f).request
            short = [resources[i] for i in np.flatnonzero(req > free)]
            if short or free_pods < 1:
                text = f"Insufficient {short[0] if short else 'pods'}"
                why.setdefault(c.key, {})[text] = why.get(c.key, {}).get(text, 0) + 1
                continue
            fits.append((c, req, _per_node_cap(wl)))
        if not fits:
            continue
        cpu_i, mem_i = resources.index("cpu"), resources.index("memory")
        alloc_cpu = max(int(template.alloc[cpu_i, 0]), 1)
        alloc_mem = max(int(template.alloc[mem_i, 0]), 1)
        order = sorted(
            range(len(fits)),
            key=lambda i: -(fits[i][1][cpu_i] / alloc_cpu + fits[i][1][mem_i] / alloc_mem),
        )
        nodes_used: list[IntArray] = []
        nodes_pods: list[int] = []
        nodes_own: list[dict[Key, int]] = []
        placed = 0
        req_cpu = req_mem = 0
        for i in order:
            c, req, cap = fits[i]
            left = c.pending

            for j in range(len(nodes_used)):  # nodes added so far, first fit
                if left == 0:
                    break
                k = min(
                    _room(
                        free - nodes_used[j],
                        free_pods - nodes_pods[j],
                        req,
                        cap,
                        nodes_own[j].get(c.key, 0),
                    ),
                    left,
                )
                if k:
                    nodes_used[j] = nodes_used[j] + req * k
                    nodes_pods[j] += k
                    nodes_own[j][c.key] = nodes_own[j].get(c.key, 0) + k
                    left -= k
            while left > 0 and len(nodes_used) < room:
                nodes_used.append(np.zeros(len(resources), dtype=np.int64))
                nodes_pods.append(0)
                nodes_own.append({})
                k = min(_room(free, free_pods, req, cap, 0), left)
                if k == 0:
                    nodes_used.pop()
                    nodes_pods.pop()
                    nodes_own.pop()
                    break
                nodes_used[-1] = nodes_used[-1] + req * k
                nodes_pods[-1] += k
                nodes_own[-1][c.key] = k
                left -= k
            took = c.pending - left
            placed += took
            req_cpu += int(req[cpu_i]) * took
            req_mem += int(req[mem_i]) * took
        count = sum(1 for p in nodes_pods if p > 0)
        if not count:
            continue
        row = facts.loc[g.instance_type] if g.instance_type in facts.index else None
        vcpus = row["vcpus"] if row is not None else None
        memory = row["memory_mib"] if row is not None else None
        node_cpu = int(vcpus) * 1000 if vcpus is not None and not pd.isna(vcpus) else alloc_cpu
        node_mem = int(memory) * _MIB if memory is not None and not pd.isna(memory) else alloc_mem
        price = node_price(prices, g.instance_type, "on-demand")
        options.append(Option(g.name, count, placed, req_cpu, req_mem, node_cpu, node_mem, price))
        sizes[g.name] = ScaleUp(g.name, g.instance_type, count, placed, price, ())
    pick, _ = best_option(options, config)
    reasons: dict[Key, str] = {}
    if pick is None:
        for c in pending:
            parts = why.get(c.key, {})
            text = ", ".join(f"{n} {t}" for t, n in parts.items()) or (
                "no node group can grow (only node groups of one instance type with a max size "
                "are scaled)"
            )
            reasons[c.key] = f"pod didn't trigger scale-up: {text}"
        return None, reasons
    return replace(sizes[pick.group], options=tuple(o.group for o in options)), reasons


def grown(state: ClusterState, group: str, nodes: int) -> ClusterState:
    """The state with ``nodes`` more nodes in a group (its pods stay)."""
    groups: list[NodeGroup] = []
    for g in state.cluster.node_groups:
        if g.name == group:
            count = g.count + nodes
            names = g.node_names
            zones = g.node_zones
            if names:
                taken = set(names)
                fresh: list[str] = []
                i = 0
                while len(fresh) < nodes:
                    candidate = f"{g.name}-scaled-{i}"
                    if candidate not in taken:
                        fresh.append(candidate)
                    i += 1
                names = names + tuple(fresh)
            if zones:
                cycle = g.zone_list
                zones = zones + tuple(cycle[(len(zones) + k) % len(cycle)] for k in range(nodes))
            g = replace(g, count=count, node_names=names, node_zones=zones)
        groups.append(g)
    return state.with_cluster(Cluster(groups, table=state.cluster.table))
