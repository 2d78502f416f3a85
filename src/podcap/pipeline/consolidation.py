"""Karpenter's consolidation as a what-if: which nodes it would delete or replace.

Written from kubernetes-sigs/karpenter ``pkg/controllers/disruption/`` at v1.14
(``controller.go``, ``emptiness.go``, ``multinodeconsolidation.go``,
``singlenodeconsolidation.go``, ``consolidation.go``, ``helpers.go``, ``types.go``); the rules
and what podcap leaves out are in ``docs/domain.md`` (section 13).  Each pass takes the first
method that yields a command, as Karpenter's disruption loop does:

1. **emptiness**: every candidate without a reschedulable pod (DaemonSet pods do not count),
   within the NodePools' disruption budgets, deleted in one command;
2. **multi-node**: the longest prefix (2-100 candidates, found by binary search) whose pods all
   fit elsewhere with no new node (delete) or with one new node cheaper than the prefix
   (replace);
3. **single-node**: the first candidate that can be deleted or replaced by a cheaper node.

Whether the pods fit elsewhere is decided by podcap's own step: the nodes are removed, their
pods evicted and recreated, the scheduler places them and Karpenter provisions for what is left
(:func:`podcap.pipeline.step.settle`).  Commands repeat until none is found.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd

from podcap.errors import InvalidSpecError
from podcap.model.karpenter import CAPACITY_TYPE, NODEPOOL, NodePool, node_price
from podcap.model.prices import price_table
from podcap.pipeline.results import SimulationResult
from podcap.pipeline.state import ClusterState
from podcap.pipeline.step import settle

__all__ = ["COMMAND_COLUMNS", "ConsolidationResult", "consolidate", "scale_down"]

#: Columns of :attr:`ConsolidationResult.commands`.
COMMAND_COLUMNS = (
    "command",
    "method",
    "action",
    "nodes",
    "nodepools",
    "instance_types",
    "replacement",
    "price_before",
    "price_after",
)
_MAX_MULTI = 100  # multinodeconsolidation.go: at most 100 candidates are considered


@dataclass
class ConsolidationResult:
    """What Karpenter's consolidation would do.

    Attributes
    ----------
    commands : pandas.DataFrame
        One row per command, in order: ``command`` (0, 1, ...), ``method`` (``emptiness``,
        ``multi-node``, ``single-node``), ``action`` (``delete`` or ``replace``), ``nodes``
        (the nodes removed, comma-separated), ``nodepools``, ``instance_types``,
        ``replacement`` (the new node's type, '' for a delete), ``price_before`` and
        ``price_after`` [USD/h].
    removed : list of str
        Every node removed.
    cost_before, cost_after : float or None
        Hourly price of the Karpenter-launched nodes before and after [USD/h] (None when a
        price is unknown, e.g. spot without the user's spot prices).
    not_candidates : pandas.DataFrame
        Karpenter nodes that could not be disrupted, with the ``reason``.
    state : ClusterState
        The cluster after the commands.
    result : SimulationResult
        The last step's result (the pods after the commands; its ``nodeclaims`` are the last
        replacement's).
    kind : str
        ``Karpenter consolidation`` or ``cluster-autoscaler scale-down``.
    """

    commands: pd.DataFrame
    removed: list[str]
    cost_before: float | None
    cost_after: float | None
    not_candidates: pd.DataFrame
    state: ClusterState
    result: SimulationResult | None = field(default=None, repr=False)
    kind: str = "Karpenter consolidation"

    def __repr__(self) -> str:
        def usd(v: float | None) -> str:
            return "unknown" if v is None else f"${v:.4f}/h"

        nodes = "Karpenter nodes" if self.kind.startswith("Karpenter") else "autoscaled nodes"
        lines = [
            f"{self.kind}: {len(self.commands)} command(s), {len(self.removed)} "
            f"node(s) removed; {nodes} cost {usd(self.cost_before)} before, "
            f"{usd(self.cost_after)} after"
        ]
        if len(self.commands):
            with pd.option_context("display.width", 200, "display.max_columns", None):
                lines.append(self.commands.to_string(index=False))
        if len(self.not_candidates):
            lines.append("not disrupted:")
            for row in self.not_candidates.itertuples(index=False):
                lines.append(f"  {row.node}: {row.reason}")
        return "\n".join(lines)


def _prices(state: ClusterState) -> dict[str, float | None]:
    """Hourly price of each node launched by Karpenter (by node name)."""
    k = state.karpenter
    if k is None:
        return {}
    table = price_table(k.region, k.prices)
    fleet = state.fleet
    out: dict[str, float | None] = {}
    for gi, g in enumerate(fleet.groups):
        labels = dict(g.labels or {})
        if NODEPOOL not in labels:
            continue
        price = node_price(table, g.instance_type, labels.get(CAPACITY_TYPE, "on-demand"))
        for name in fleet.names[fleet.group == gi]:
            out[str(name)] = price
    return out


def _pool_of(state: ClusterState) -> dict[str, NodePool]:
    k = state.karpenter
    pools = {p.name: p for p in (k.node_pools if k else ())}
    fleet = state.fleet
    out = {}
    for gi, g in enumerate(fleet.groups):
        pool = pools.get(str((g.labels or {}).get(NODEPOOL, "")))
        if pool is not None:
            for name in fleet.names[fleet.group == gi]:
                out[str(name)] = pool
    return out


def _reschedulable(state: ClusterState) -> np.ndarray:
    """Pods on each node that make it non-empty: not DaemonSet or static pods, and with a
    positive eviction cost (``types.go`` ``IsEmpty``: a pod whose cost clamps to 0 or less, a
    priority of -2^25 or lower, does not count) [pods]."""
    out = np.zeros(state.fleet.size, dtype=np.int64)
    for c in state.cohorts:
        if c.key[1] not in ("DaemonSet", "Node") and _pod_cost(c.priority) > 0:
            out += c.bound
    return out


def _pod_cost(priority: int) -> float:
    """Eviction cost of a pod without a deletion-cost annotation (``types.go``:
    1 + priority / 2^25, clamped to [-10, 10])."""
    return float(min(max(1.0 + priority / 2.0**25, -10.0), 10.0))


def _disruption_cost(state: ClusterState) -> np.ndarray:
    """Per node: 1 + the summed eviction cost of its reschedulable pods."""
    out = np.ones(state.fleet.size, dtype=np.float64)
    for c in state.cohorts:
        if c.key[1] not in ("DaemonSet", "Node"):
            out += c.bound * max(_pod_cost(c.priority), 0.0)
    return out


def _pdb_blocked(state: ClusterState) -> np.ndarray:
    """Nodes holding a pod whose PodDisruptionBudget allows no disruption."""
    blocked = np.zeros(state.fleet.size, dtype=bool)
    allowance = state.budget_allowances()
    for key, budget in state.budgets.items():
        if allowance[key] > 0:
            continue
        for c in state.cohorts:
            wl = state.workloads.get(c.key)
            if wl is not None and budget.covers(c.key[0], wl.template.labels):
                blocked |= c.bound > 0
    return blocked


def _budget(pool: NodePool, total: int, reason: str) -> int:
    """Nodes of a NodePool that may be disrupted at once for ``reason`` (``Empty`` or
    ``Underutilized``): the smallest always-active budget that applies to the reason,
    percentages of the NodePool's nodes rounded up (``BuildDisruptionBudgetMapping``)."""
    allowed = total
    for entry in pool.budgets:
        text, reasons = (entry, ()) if isinstance(entry, str) else entry
        if reasons and reason not in reasons:
            continue
        value = math.ceil(int(text[:-1]) * total / 100) if text.endswith("%") else int(text)
        allowed = min(allowed, value)
    return allowed


def _pending(state: ClusterState) -> int:
    return sum(c.pending for c in state.cohorts if c.pinned is None and c.key[1] != "DaemonSet")


def consolidate(
    state: ClusterState,
    *,
    max_commands: int = 50,
    **options: Any,
) -> ConsolidationResult:
    """What Karpenter's consolidation would delete or replace in a settled cluster.

    Parameters
    ----------
    state : ClusterState
        A cluster with Karpenter (its NodePools) after a step, e.g. the state returned by
        :func:`podcap.step` or a :class:`~podcap.Scenario`.
    max_commands : int
        Stop after this many commands.
    **options
        Scheduler options for the steps (``scoring``, ``engine``, ``seed``,
        ``percentage_of_nodes_to_score``).

    Returns
    -------
    ConsolidationResult
    """
    if not isinstance(state, ClusterState):
        raise InvalidSpecError(
            f"consolidate takes a ClusterState (after a step), got {type(state).__name__}"
        )
    if state.karpenter is None or not state.karpenter.node_pools:
        raise InvalidSpecError(
            "consolidate needs Karpenter NodePools in the cluster (ClusterState.with_node_pools, "
            "or NodePool documents in the cluster file)"
        )
    before = _prices(state)
    cost_before = _total(before.values())
    commands: list[dict[str, Any]] = []
    removed: list[str] = []
    result: SimulationResult | None = None
    skipped: dict[str, str] = {}
    while len(commands) < max_commands:
        found = _next_command(state, skipped, options)
        if found is None:
            break
        row, state, result = found
        row["command"] = len(commands)
        commands.append(row)
        removed += row["nodes"].split(",")
    after = _prices(state)
    frame = pd.DataFrame(commands, columns=list(COMMAND_COLUMNS))
    return ConsolidationResult(
        commands=frame,
        removed=removed,
        cost_before=cost_before,
        cost_after=_total(after.values()),
        not_candidates=pd.DataFrame(
            {"node": list(skipped), "reason": list(skipped.values())}, columns=["node", "reason"]
        ),
        state=state,
        result=result,
    )


def _total(values: Any) -> float | None:
    vals = list(values)
    if any(v is None for v in vals):
        return None
    return float(sum(vals))


def _candidates(state: ClusterState, skipped: dict[str, str]) -> list[str]:
    pools = _pool_of(state)
    blocked = _pdb_blocked(state)
    names = [str(n) for n in state.fleet.names]
    out = []
    skipped.clear()
    for i, name in enumerate(names):
        pool = pools.get(name)
        if pool is None:
            continue
        if pool.consolidate_after is None:
            skipped[name] = f"NodePool {pool.name}: consolidateAfter Never"
        elif blocked[i]:
            skipped[name] = "a PodDisruptionBudget allows no disruption of a pod on it"
        else:
            out.append(name)
    return out


def _next_command(
    state: ClusterState, skipped: dict[str, str], options: dict[str, Any]
) -> tuple[dict[str, Any], ClusterState, SimulationResult] | None:
    names = _candidates(state, skipped)
    if not names:
        return None
    pools = _pool_of(state)
    prices = _prices(state)
    index = {str(n): i for i, n in enumerate(state.fleet.names)}
    pods = _reschedulable(state)
    per_pool: dict[str, int] = {}
    by_name: dict[str, NodePool] = {}
    for pool in pools.values():
        per_pool[pool.name] = per_pool.get(pool.name, 0) + 1
        by_name[pool.name] = pool
    budgets = {
        (p, reason): _budget(pool, per_pool[p], reason)
        for p, pool in by_name.items()
        for reason in ("Empty", "Underutilized")
    }

    def within(chosen: Sequence[str], reason: str) -> list[str]:
        used: dict[str, int] = {}
        out = []
        for n in chosen:
            p = pools[n].name
            if used.get(p, 0) < budgets[(p, reason)]:
                used[p] = used.get(p, 0) + 1
                out.append(n)
        return out

    # 1. emptiness
    empty = within([n for n in names if pods[index[n]] == 0], "Empty")
    if empty:
        tried = _try(state, empty, prices, options)
        if tried is not None and tried[0]["action"] == "delete":
            row, nxt, res = tried
            row["method"] = "emptiness"
            return row, nxt, res
    under = [n for n in names if pools[n].consolidation_policy != "WhenEmpty"]
    if not under:
        return None
    cost = _disruption_cost(state)
    ranked = sorted(
        under,
        key=lambda n: (
            -((prices.get(n) or 0.0) / cost[index[n]]),
            n,
        ),
    )
    ranked = within(ranked, "Underutilized")
    # 2. multi-node: binary search for the longest valid prefix
    if len(ranked) >= 2:
        best = None
        lo, hi = 1, min(len(ranked), _MAX_MULTI) - 1
        while lo <= hi:
            mid = (lo + hi) // 2
            tried = _try(state, ranked[: mid + 1], prices, options, multi=True)
            if tried is not None:
                best = tried
                lo = mid + 1
            else:
                hi = mid - 1
        if best is not None:
            row, nxt, res = best
            row["method"] = "multi-node"
            return row, nxt, res
    # 3. single-node
    for n in ranked:
        tried = _try(state, [n], prices, options)
        if tried is not None:
            row, nxt, res = tried
            row["method"] = "single-node"
            return row, nxt, res
    return None


def _try(
    state: ClusterState,
    nodes: Sequence[str],
    prices: dict[str, float | None],
    options: dict[str, Any],
    *,
    multi: bool = False,
) -> tuple[dict[str, Any], ClusterState, SimulationResult] | None:
    """Remove ``nodes`` and settle: a command when every pod fits without a new node
    (delete) or with one new node cheaper than the nodes removed (replace).  A multi-node
    replacement of one of the candidates' own types must also be cheaper than the dearest
    candidate of that type (``multinodeconsolidation.go`` ``filterOutSameInstanceType``)."""
    pending = _pending(state)
    nxt, result = settle(state.remove_nodes(nodes), **options)
    if _pending(nxt) > pending:
        return None  # a pod of the removed nodes found no place
    claims = result.nodeclaims
    types = sorted(
        {
            str(state.fleet.groups[int(state.fleet.group[i])].instance_type)
            for i in np.flatnonzero(np.isin(state.fleet.names.astype(str), list(nodes)))
        }
    )
    pools = sorted({pool.name for n, pool in _pool_of(state).items() if n in set(nodes)})
    before = _total(prices.get(n) for n in nodes)
    row: dict[str, Any] = {
        "nodes": ",".join(nodes),
        "nodepools": ",".join(pools),
        "instance_types": ",".join(types),
        "price_before": before,
    }
    if len(claims) == 0:
        row.update(action="delete", replacement="", price_after=0.0)
        return row, nxt, result
    if len(claims) > 1:
        return None
    price = claims["price_per_hour"].iloc[0]
    if before is None or price is None or pd.isna(price) or not float(price) < before:
        return None
    replacement = str(claims["instance_type"].iloc[0])
    if multi:
        index = {str(n): i for i, n in enumerate(state.fleet.names)}
        same = [
            prices.get(n)
            for n in nodes
            if state.fleet.groups[int(state.fleet.group[index[n]])].instance_type == replacement
        ]
        known = [p for p in same if p is not None]
        if known and not float(price) < max(known):
            return None
    row.update(action="replace", replacement=replacement, price_after=float(price))
    return row, nxt, result


def _utilization(state: ClusterState) -> np.ndarray:
    """Per node, the larger of requested cpu / allocatable cpu and requested memory /
    allocatable memory, every pod counted (cluster-autoscaler ``simulator/utilization``;
    DaemonSet pods count unless ``--ignore-daemonsets-utilization``)."""
    fleet = state.fleet
    used = np.zeros((2, fleet.size), dtype=np.float64)
    for c in state.cohorts:
        cpu = c.pod.requests.get("cpu", 0)
        mem = c.pod.requests.get("memory", 0)
        used[0] += c.bound * cpu
        used[1] += c.bound * mem
    alloc = fleet.alloc[:2].astype(np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(alloc > 0, used / alloc, 0.0)
    return np.asarray(share.max(axis=0))


def _system_pods(state: ClusterState) -> np.ndarray:
    """Nodes running kube-system pods that are not DaemonSet or static pods."""
    out = np.zeros(state.fleet.size, dtype=bool)
    for c in state.cohorts:
        if c.key[0] == "kube-system" and c.key[1] not in ("DaemonSet", "Node"):
            out |= c.bound > 0
    return out


def _bare_pods(state: ClusterState) -> np.ndarray:
    """Nodes running pods no controller recreates (bare Pods)."""
    out = np.zeros(state.fleet.size, dtype=bool)
    for c in state.cohorts:
        if c.key[1] == "Pod":
            out |= c.bound > 0
    return out


def scale_down(
    state: ClusterState, *, max_commands: int = 50, **options: Any
) -> ConsolidationResult:
    """What cluster-autoscaler's scale-down would remove from a settled cluster.

    A node of a group above its ``min_count`` is unneeded when its utilization (the larger of
    requested / allocatable cpu and memory, DaemonSet pods counted) is below
    ``scale_down_utilization_threshold`` and every pod on it can move to another node without a
    new one; nodes holding kube-system pods (``--skip-nodes-with-system-pods``), bare pods or
    pods whose PodDisruptionBudget allows no disruption are kept (cluster-autoscaler FAQ, "What
    types of pods can prevent CA from removing a node?").  Nodes go one at a time, least
    utilized first, each removal checked by a step.

    Parameters
    ----------
    state : ClusterState
        A cluster with a cluster-autoscaler (:meth:`ClusterState.with_cluster_autoscaler`) after
        a step.
    max_commands : int
        Stop after this many removals.
    **options
        Scheduler options for the steps.
    """
    config = state.cluster_autoscaler
    if config is None:
        raise InvalidSpecError(
            "scale_down needs a cluster-autoscaler in the cluster "
            "(ClusterState.with_cluster_autoscaler)"
        )
    table = price_table(config.region)

    def prices(st: ClusterState) -> dict[str, float | None]:
        out: dict[str, float | None] = {}
        f = st.fleet
        for gi, g in enumerate(f.groups):
            if g.max_count is None:
                continue
            price = node_price(table, g.instance_type, "on-demand")
            for name in f.names[f.group == gi]:
                out[str(name)] = price
        return out

    cost_before = _total(prices(state).values())
    work = _quiet(state)
    commands: list[dict[str, Any]] = []
    removed: list[str] = []
    kept: dict[str, str] = {}
    result: SimulationResult | None = None
    while len(commands) < max_commands:
        fleet = work.fleet
        util = _utilization(work)
        system = _system_pods(work) if config.skip_nodes_with_system_pods else None
        bare = _bare_pods(work)
        blocked = _pdb_blocked(work)
        counts = {g.name: g.count for g in work.cluster.node_groups}
        kept.clear()
        candidates = []
        for i, name in enumerate(str(n) for n in fleet.names):
            g = fleet.groups[int(fleet.group[i])]
            if g.max_count is None:
                continue
            if counts[g.name] <= (g.min_count or 0):
                kept[name] = f"node group {g.name} is at its min size"
            elif util[i] >= config.scale_down_utilization_threshold:
                kept[name] = (
                    f"utilization {util[i]:.2f} >= {config.scale_down_utilization_threshold}"
                )
            elif system is not None and system[i]:
                kept[name] = "runs kube-system pods (--skip-nodes-with-system-pods)"
            elif bare[i]:
                kept[name] = "runs a pod no controller recreates"
            elif blocked[i]:
                kept[name] = "a PodDisruptionBudget allows no disruption of a pod on it"
            else:
                candidates.append((float(util[i]), name, g))
        candidates.sort(key=lambda t: (t[0], t[1]))
        done = False
        for _share, name, g in candidates:
            before = _pending(work)
            nxt, res = settle(work.remove_nodes([name]), **options)
            if _pending(nxt) > before:
                kept[name] = "its pods would not all fit on other nodes"
                continue
            price = prices(work).get(name)
            commands.append(
                {
                    "command": len(commands),
                    "method": "scale-down",
                    "action": "delete",
                    "nodes": name,
                    "nodepools": g.name,
                    "instance_types": g.instance_type,
                    "replacement": "",
                    "price_before": price,
                    "price_after": 0.0,
                }
            )
            removed.append(name)
            work, result = nxt, res
            done = True
            break
        if not done:
            break
    final = replace(work, cluster_autoscaler=config, karpenter=state.karpenter)
    return ConsolidationResult(
        commands=pd.DataFrame(commands, columns=list(COMMAND_COLUMNS)),
        removed=removed,
        cost_before=cost_before,
        cost_after=_total(prices(final).values()),
        not_candidates=pd.DataFrame(
            {"node": list(kept), "reason": list(kept.values())}, columns=["node", "reason"]
        ),
        state=final,
        result=result,
        kind="cluster-autoscaler scale-down",
    )


def _quiet(state: ClusterState) -> ClusterState:
    """The state with no autoscaler acting, for removal checks (a pod must fit the nodes
    left, not new ones)."""
    return replace(state, cluster_autoscaler=None, karpenter=None)
