"""Results of a step: the workload, node, placement, subnet and node-group frames."""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from podcap.model.fleet import Fleet
from podcap.scheduler.framework import Filters, NodeState, PodClass

__all__ = [
    "NODECLAIM_COLUMNS",
    "OUTCOMES",
    "SCALE_UP_COLUMNS",
    "WORKLOAD_COLUMNS",
    "SimulationResult",
    "binding_limit",
    "empty_nodeclaims",
    "empty_scale_ups",
    "node_usage_frame",
    "nodeclaims_frame",
    "nodes_frame",
]

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
    "preempted",
    "reason",
    "limits",
    "cpu_request_millicores",
    "memory_request_mib",
    "desired_from",
)

#: Columns of ``SimulationResult.nodeclaims``.
NODECLAIM_COLUMNS = (
    "nodeclaim",
    "batch",
    "node",
    "nodepool",
    "instance_type",
    "capacity_type",
    "zone",
    "pods",
    "cpu_requested_millicores",
    "cpu_allocatable_millicores",
    "memory_requested_mib",
    "memory_allocatable_mib",
    "price_per_hour",
)


#: Columns of ``SimulationResult.scale_ups``.
SCALE_UP_COLUMNS = (
    "batch",
    "node_group",
    "instance_type",
    "nodes",
    "pods",
    "expander",
    "options",
    "price_per_hour",
)


def empty_scale_ups() -> pd.DataFrame:
    """A scale_ups frame without rows."""
    return pd.DataFrame({c: pd.Series(dtype=object) for c in SCALE_UP_COLUMNS})


def empty_nodeclaims() -> pd.DataFrame:
    """A nodeclaims frame without rows."""
    return pd.DataFrame({c: pd.Series(dtype=object) for c in NODECLAIM_COLUMNS})


def nodeclaims_frame(claims: Any, nodes: list[str], batches: list[int]) -> pd.DataFrame:
    """One row per NodeClaim (see :attr:`SimulationResult.nodeclaims`)."""
    if not claims:
        return empty_nodeclaims()
    return pd.DataFrame(
        {
            "nodeclaim": [f"{c.nodepool}-{i}" for i, c in enumerate(claims)],
            "batch": np.array(batches, dtype=np.int64),
            "node": nodes,
            "nodepool": [c.nodepool for c in claims],
            "instance_type": [c.instance_type for c in claims],
            "capacity_type": [c.capacity_type for c in claims],
            "zone": pd.Series([c.zone for c in claims], dtype=object),
            "pods": np.array([c.pods for c in claims], dtype=np.int64),
            "cpu_requested_millicores": np.array([c.requested[0] for c in claims], np.int64),
            "cpu_allocatable_millicores": np.array([c.allocatable[0] for c in claims], np.int64),
            "memory_requested_mib": np.array([c.requested[1] / _MIB for c in claims]),
            "memory_allocatable_mib": np.array([c.allocatable[1] / _MIB for c in claims]),
            "price_per_hour": pd.Series([c.price_per_hour for c in claims], dtype=object),
        },
        columns=list(NODECLAIM_COLUMNS),
    )


@dataclass
class SimulationResult:
    """Outcome of :func:`simulate`.

    Attributes
    ----------
    workloads : pandas.DataFrame
        One row per workload (apply order): ``namespace, kind, name, desired, running, pending,
        container_creating, not_created, rejected, reason``, ``limits`` (what stopped the
        workload's pods, as data: comma-separated ``pods``, ``cpu``, ``memory`` or another
        resource, ``pod_ips``, ``subnet``, ``quota``, ``admission``, ``taint``,
        ``nodeAffinity``, ``unschedulable``, ``topologySpread``, ``podAntiAffinity``,
        ``nodeName``, ``evicted``, ``nodes``), ``preempted`` (pods evicted by DefaultPreemption
        in the step), the per-pod requests ``cpu_request_millicores`` [m],
        ``memory_request_mib`` [MiB], and ``desired_from``: where ``desired`` came from (the
        spec, an autoscaler as it starts or a what-if, a CronJob's run, eligible nodes for a
        DaemonSet, the pods observed in a snapshot).
    nodes : pandas.DataFrame
        One row per node: ``node, node_group, instance_type, zone`` (None: unknown),
        ``pods, pods_allocatable, cpu_requested_millicores, cpu_allocatable_millicores,
        memory_requested_mib, memory_allocatable_mib, pod_ips_used, pod_ips_capacity,
        binding_limit``.
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
    nodeclaims : pandas.DataFrame
        The nodes Karpenter launched for pending pods (one row per NodeClaim):
        ``nodeclaim``, ``batch`` (0: Karpenter's answer for the pods the scheduler left
        pending; 1, 2, ...: later batches for pods the scheduler then placed elsewhere than
        Karpenter planned), ``node, nodepool, instance_type, capacity_type`` (``on-demand`` or
        ``spot``), ``zone`` (None when Karpenter leaves the zone to EC2), ``pods`` (planned by
        Karpenter), ``cpu_requested_millicores``, ``cpu_allocatable_millicores``,
        ``memory_requested_mib``, ``memory_allocatable_mib`` (requests include the DaemonSet
        overhead) and ``price_per_hour`` [USD/h] (None when unknown, e.g. spot without the
        user's spot prices).  Empty without NodePools.
    scale_ups : pandas.DataFrame
        cluster-autoscaler's scale-ups (one row each, in order): ``batch, node_group,
        instance_type, nodes`` (added), ``pods`` (its estimate of the pending pods they take),
        ``expander``, ``options`` (the node groups that would have helped) and
        ``price_per_hour`` of one node [USD/h].  Empty without a cluster-autoscaler.
    """

    workloads: pd.DataFrame
    nodes: pd.DataFrame
    placements: pd.DataFrame
    skipped: list[str] = field(default_factory=list)
    subnets: pd.DataFrame = field(default_factory=pd.DataFrame)
    node_groups: pd.DataFrame = field(default_factory=pd.DataFrame)
    nodeclaims: pd.DataFrame = field(default_factory=empty_nodeclaims)
    scale_ups: pd.DataFrame = field(default_factory=empty_scale_ups)

    @property
    def cost_per_hour(self) -> float | None:
        """Hourly price of the nodes the autoscalers added: Karpenter's NodeClaims and
        cluster-autoscaler's scale-ups [USD/h] (None when a price is unknown)."""
        prices = self.nodeclaims["price_per_hour"]
        ups = self.scale_ups
        if prices.isna().any() or ups["price_per_hour"].isna().any():
            return None
        return float(prices.sum()) + float((ups["price_per_hour"] * ups["nodes"]).sum())

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
        inferred = w[~w["desired_from"].isin(("spec", "eligible nodes"))]
        if len(inferred):
            lines.append("")
            lines.append("desired from:")
            for _, row in inferred.iterrows():
                lines.append(f"  {row['namespace']}/{row['name']}: {row['desired_from']}")
        problems = w[w["reason"] != ""]
        if len(problems):
            lines.append("")
            lines.append("why:")
            for _, row in problems.iterrows():
                lines.append(f"  {row['namespace']}/{row['name']}: {row['reason']}")
        ups = self.scale_ups
        if len(ups):
            lines.append("")
            lines.append(f"cluster-autoscaler added {int(ups['nodes'].sum())} node(s):")
            with pd.option_context("display.width", 200, "display.max_columns", None):
                lines.append(
                    ups[
                        ["batch", "node_group", "instance_type", "nodes", "pods", "expander"]
                    ].to_string(index=False)
                )
        claims = self.nodeclaims
        if len(claims):
            lines.append("")
            cost = self.cost_per_hour
            known = claims["price_per_hour"].dropna()
            if cost is not None:
                total = f"${cost:.4f}/h"
            elif len(known):
                total = (
                    f"${float(known.sum()):.4f}/h for {len(known)} of them (no price for the rest)"
                )
            else:
                total = "price unknown (spot prices come only from your prices)"
            lines.append(f"Karpenter launched {len(claims)} node(s), {total}:")
            summary = (
                claims.assign(zone=claims["zone"].fillna("-"))
                .groupby(
                    ["batch", "nodepool", "instance_type", "capacity_type", "zone"], sort=False
                )
                .agg(
                    nodes=("nodeclaim", "size"),
                    pods=("pods", "sum"),
                    price_per_hour=("price_per_hour", "first"),
                )
                .reset_index()
            )
            with pd.option_context("display.width", 200, "display.max_columns", None):
                lines.append(summary.to_string(index=False))
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


def node_usage_frame(
    fleet: Fleet, state: NodeState, more: dict[str, Any] | None = None
) -> pd.DataFrame:
    """Per node: group, type, zone, pods and cpu / memory requested against allocatable, then
    the columns ``more`` gives (one frame built at once)."""
    groups = np.array([g.name for g in fleet.groups], dtype=object)
    types = np.array([g.instance_type for g in fleet.groups], dtype=object)
    return pd.DataFrame(
        {
            "node": fleet.names,
            "node_group": groups[fleet.group] if fleet.size else [],
            "instance_type": types[fleet.group] if fleet.size else [],
            "zone": pd.Series(fleet.zone_names(), dtype=object),  # None: zone unknown
            "pods": state.pods,
            "pods_allocatable": state.pods_alloc,
            "cpu_requested_millicores": state.used[0],
            "cpu_allocatable_millicores": state.alloc[0],
            "memory_requested_mib": state.used[1] / _MIB,
            "memory_allocatable_mib": state.alloc[1] / _MIB,
            **(more or {}),
        }
    )


def nodes_frame(
    fleet: Fleet,
    state: NodeState,
    ips_used: npt.NDArray[np.int64],
    ip_limit: npt.NDArray[np.int64],
    pc: PodClass | None,
    filters: Filters | None,
    needs_ip: bool,
) -> pd.DataFrame:
    return node_usage_frame(
        fleet,
        state,
        {
            "pod_ips_used": ips_used,
            "pod_ips_capacity": fleet.pod_ips,
            "pod_ips_available": ip_limit,
            "binding_limit": binding_limit(fleet, state, ips_used, ip_limit, pc, filters, needs_ip),
        },
    )


def binding_limit(
    fleet: Fleet,
    state: NodeState,
    ips_used: npt.NDArray[np.int64],
    ip_limit: npt.NDArray[np.int64],
    pc: PodClass | None,
    filters: Filters | None,
    needs_ip: bool,
) -> npt.NDArray[np.object_]:
    """Which limit stops the next pod of ``pc`` on each node.

    ``"unschedulable"``, ``"node_name"`` (a pod bound by ``spec.nodeName`` to another node),
    ``"taint"`` or ``"node_affinity"`` when the pod may not go there at all;
    otherwise the limit with the least headroom, in pods: ``"pods"``, ``"cpu"``, ``"memory"``,
    ``"ephemeral-storage"``, ``"vpc.amazonaws.com/pod-eni"`` or ``"pod_ips"`` (the next pod would
    be scheduled but get no address).  ``""`` when no workload was placed.
    """
    n = fleet.size
    if pc is None or filters is None:
        return np.full(n, "", dtype=object)
    big = np.iinfo(np.int64).max
    names = ["pods", *fleet.resources, "pod_ips"]
    headroom = [state.pods_alloc - state.pods]
    free = state.alloc - state.used
    for r in range(len(fleet.resources)):
        headroom.append(free[r] // pc.request[r] if pc.request[r] > 0 else np.full(n, big))
    headroom.append(ip_limit - ips_used if needs_ip else np.full(n, big))
    code = np.argmin(np.stack(headroom), axis=0)
    # where a static filter rejects the node, its code
    first, static_codes = filters.static_rejection()
    code = np.where(first >= 0, first + len(names), code)
    out: npt.NDArray[np.object_] = np.array([*names, *static_codes], dtype=object)[code]
    return out
