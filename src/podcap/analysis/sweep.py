"""What-if studies: sweeps over parameters, and the inverse question "how many nodes?".

A sweep runs :func:`podcap.simulate` once per case on modified copies of a cluster and its
manifests, and returns one tidy DataFrame.  Cases can run on any
:class:`concurrent.futures.Executor` (a process pool, or a Dask client's ``get_executor()``);
results do not depend on the executor.

Parameters are named by dotted paths:

* ``"<group>.<field>"``: a NodeGroup field (``instance_type``, ``count``, ``max_pods``,
  ``max_pods_policy``, ``overhead``, ``zones``, ``subnets``, ...);
* ``"<group>.cni.<field>"``: a VpcCni field (``prefix_delegation``, ``warm_ip_target``, ...);
* ``"<workload>.replicas"``, ``"<workload>.cpu"``, ``"<workload>.memory"``: replicas, or the
  request of every container of the workload (Kubernetes quantities); ``<workload>`` is
  ``name`` or ``namespace/name``;
* ``"<LimitRange or ResourceQuota name>.present"``: True / False to keep or drop the object.
"""

from __future__ import annotations

import itertools
import sys
import time
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import Executor
from dataclasses import fields, replace
from typing import Any

import pandas as pd

from podcap.errors import InvalidOptionError, PodcapError
from podcap.io.manifests import Manifests, load_manifests
from podcap.model.quantity import parse_cpu, parse_memory
from podcap.model.specs import Cluster, NodeGroup, VpcCni
from podcap.model.workloads import Container, Workload
from podcap.pipeline.simulate import simulate
from podcap.pipeline.state import ClusterState
from podcap.pipeline.step import ScoringStrategy

__all__ = ["cheapest_instance_type", "min_nodes", "sweep"]

_GROUP_FIELDS = tuple(f.name for f in fields(NodeGroup) if f.name != "name")
_CNI_FIELDS = tuple(f.name for f in fields(VpcCni))
_WORKLOAD_FIELDS = ("replicas", "cpu", "memory")


def _valid_names(cluster: Cluster, ms: Manifests) -> list[str]:
    names = [f"{g.name}.{f}" for g in cluster.node_groups for f in _GROUP_FIELDS]
    names += [f"{g.name}.cni.{f}" for g in cluster.node_groups for f in _CNI_FIELDS]
    names += [f"{w.name}.{f}" for w in ms.workloads for f in _WORKLOAD_FIELDS]
    names += [f"{lr.name}.present" for lr in ms.limit_ranges]
    names += [f"{q.name}.present" for q in ms.quotas]
    return names


def _workload_index(ms: Manifests, ref: str) -> list[int]:
    ns, _, name = ref.rpartition("/")
    return [
        i for i, w in enumerate(ms.workloads) if w.name == name and (not ns or w.namespace == ns)
    ]


def _split_group(cluster: Cluster, name: str) -> tuple[str, list[str]] | None:
    """``("<group>", [field parts])`` for a parameter on a node group (names may hold dots)."""
    best = None
    for g in cluster.node_groups:
        if name.startswith(g.name + ".") and (best is None or len(g.name) > len(best)):
            best = g.name
    return None if best is None else (best, name[len(best) + 1 :].split("."))


def _check_parameter(cluster: Cluster, ms: Manifests, name: str) -> None:
    parts = name.split(".")
    on_group = _split_group(cluster, name)
    ok = False
    if on_group is not None:
        fields_ = on_group[1]
        ok = (len(fields_) == 1 and fields_[0] in _GROUP_FIELDS) or (
            len(fields_) == 2 and fields_[0] == "cni" and fields_[1] in _CNI_FIELDS
        )
    elif len(parts) == 2 and parts[1] == "present":
        ok = any(lr.name == parts[0] for lr in ms.limit_ranges) or any(
            q.name == parts[0] for q in ms.quotas
        )
    elif len(parts) >= 2 and parts[-1] in _WORKLOAD_FIELDS:
        ok = bool(_workload_index(ms, ".".join(parts[:-1])))
    if not ok:
        valid = _valid_names(cluster, ms)
        shown = ", ".join(valid[:40]) + (" ..." if len(valid) > 40 else "")
        raise InvalidOptionError(f"cannot vary unknown parameter {name!r}; valid: {shown}")


def _scale_containers(wl: Workload, resource: str, amount: int) -> Workload:
    def fix(c: Container) -> Container:
        req = dict(c.requests)
        req[resource] = amount
        lim = dict(c.limits)
        if resource in lim and lim[resource] < amount:
            lim[resource] = amount
        return replace(c, requests=req, limits=lim)

    t = wl.template
    return replace(wl, template=replace(t, containers=tuple(fix(c) for c in t.containers)))


def apply_case(
    cluster: Cluster, ms: Manifests, case: Mapping[str, Any]
) -> tuple[Cluster, Manifests]:
    """A copy of ``cluster`` and ``ms`` with the case's parameters set."""
    groups = {g.name: g for g in cluster.node_groups}
    workloads = list(ms.workloads)
    limit_ranges, quotas = list(ms.limit_ranges), list(ms.quotas)
    for name, value in case.items():
        parts = name.split(".")
        on_group = _split_group(cluster, name)
        if on_group is not None:
            g = groups[on_group[0]]
            fields_ = on_group[1]
            if fields_[0] == "cni" and len(fields_) == 2:
                groups[g.name] = replace(g, cni=replace(g.cni_settings, **{fields_[1]: value}))
            else:
                groups[g.name] = replace(g, **{fields_[0]: value})
        elif parts[-1] == "present":
            if not value:
                limit_ranges = [o for o in limit_ranges if o.name != parts[0]]
                quotas = [o for o in quotas if o.name != parts[0]]
        else:
            field = parts[-1]
            for i in _workload_index(ms, ".".join(parts[:-1])):
                wl = workloads[i]
                if field == "replicas":
                    workloads[i] = replace(wl, replicas=int(value))
                elif field == "cpu":
                    workloads[i] = _scale_containers(wl, "cpu", parse_cpu(value, field=name))
                else:
                    workloads[i] = _scale_containers(wl, "memory", parse_memory(value, field=name))
    new_ms = Manifests(
        namespaces=list(ms.namespaces),
        priority_classes=list(ms.priority_classes),
        limit_ranges=limit_ranges,
        quotas=quotas,
        workloads=workloads,
        skipped=list(ms.skipped),
    )
    return Cluster((groups[g.name] for g in cluster.node_groups), table=cluster.table), new_ms


def _cases(vary: Mapping[str, Sequence[Any]] | Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    if isinstance(vary, Mapping):
        if not vary:
            raise InvalidOptionError("vary is empty: give at least one parameter and its values")
        names = list(vary)
        for n in names:
            values = vary[n]
            if isinstance(values, (str, bytes)) or not isinstance(values, Iterable):
                raise InvalidOptionError(f"vary[{n!r}] must be a list of values, got {values!r}")
        lists = [list(vary[n]) for n in names]
        empty = [n for n, v in zip(names, lists, strict=True) if not v]
        if empty:
            raise InvalidOptionError(
                f"vary has no values for {', '.join(empty)}: the grid is empty"
            )
        return [dict(zip(names, combo, strict=True)) for combo in itertools.product(*lists)]
    cases = [dict(c) for c in vary]
    if not cases:
        raise InvalidOptionError("the list of cases is empty")
    return cases


def _row_limit(limits: str) -> str:
    """The one limit to report for a workload row, from its ``limits`` (empty when none)."""
    found = [x for x in limits.split(",") if x]
    for name in ("subnet", "pod_ips", "pods", "cpu", "memory", "quota", "admission"):
        if name in found:
            return name
    return found[0] if found else ""


def _binding(result: Any) -> str:
    limits = result.nodes["binding_limit"]
    limits = limits[limits != ""]
    return str(limits.value_counts().index[0]) if len(limits) else ""


def _run_case(args: tuple[ClusterState, Manifests, dict[str, Any], str]) -> pd.DataFrame:
    state, ms, case, scoring = args
    c, m = apply_case(state.cluster, ms, case)
    result = simulate(state.with_cluster(c), m, scoring=scoring)  # type: ignore[arg-type]
    frame = result.workloads.copy()
    case_limit = _binding(result)
    limits = [_row_limit(str(r)) for r in frame["limits"]]
    last = len(frame) - 1
    frame["binding_limit"] = [
        lim or (case_limit if i == last else "") for i, lim in enumerate(limits)
    ]
    for name in reversed(list(case)):
        value = case[name]
        frame.insert(0, name, [value] * len(frame))
    return frame


class _Progress:
    def __init__(self, total: int, enabled: bool | None) -> None:
        self.total = total
        self.enabled = sys.stderr.isatty() if enabled is None else enabled
        self.done = 0
        self.start = time.perf_counter()
        self.last = 0.0

    def step(self) -> None:
        self.done += 1
        if not self.enabled:
            return
        now = time.perf_counter()
        if now - self.last < 0.2 and self.done < self.total:
            return
        self.last = now
        width = 30
        filled = int(width * self.done / self.total)
        sys.stderr.write(
            f"\rpodcap sweep [{'#' * filled}{'.' * (width - filled)}] {self.done}/{self.total} "
            f"{now - self.start:5.1f}s"
        )
        if self.done == self.total:
            sys.stderr.write("\n")
        sys.stderr.flush()


def sweep(
    cluster: Any,
    manifests: Any,
    vary: Mapping[str, Sequence[Any]] | Sequence[Mapping[str, Any]],
    *,
    executor: Executor | None = None,
    scoring: ScoringStrategy = "LeastAllocated",
    progress: bool | None = None,
) -> pd.DataFrame:
    """Simulate every case of a grid (or list) of parameter values.

    Parameters
    ----------
    cluster : Cluster
    manifests : path, YAML text, dict, list of those, or Manifests
    vary : mapping of parameter to values, or list of mappings
        A mapping is a grid (every combination); a list gives the cases explicitly.  Parameter
        names are described in :mod:`podcap.analysis.sweep`.
    executor : concurrent.futures.Executor, optional
        Where cases run (default: in this process, one after another).  A
        ``ProcessPoolExecutor`` or a Dask client's ``get_executor()`` spread them out.
    scoring : {"LeastAllocated", "MostAllocated"}
    progress : bool, optional
        Show a progress bar on stderr; default only when stderr is a terminal.

    Returns
    -------
    pandas.DataFrame
        One row per case and workload: the varied parameters, then the columns of
        ``SimulationResult.workloads``, then ``binding_limit`` and ``case`` (the case number).
        ``binding_limit`` is the limit the row's own reason names (``cpu``, ``memory``,
        ``pods``, ``pod_ips``, ``subnet``, ``quota``, ``admission``); for a workload that fully
        runs it is empty, except on the last workload, where it is the limit most nodes would
        hit for one more pod.

    Raises
    ------
    InvalidOptionError
        An unknown parameter (the message lists the valid ones) or an empty grid.
    """
    state = ClusterState.of(cluster)
    ms = manifests if isinstance(manifests, Manifests) else load_manifests(manifests)
    cases = _cases(vary)
    for name in {n for c in cases for n in c}:
        _check_parameter(state.cluster, ms, name)
    for c in cases:  # fail before running anything on an invalid value
        try:
            apply_case(state.cluster, ms, c)
        except (PodcapError, TypeError, ValueError) as exc:
            raise InvalidOptionError(f"case {c}: {exc}") from None
    bar = _Progress(len(cases), progress)
    jobs = [(state, ms, c, scoring) for c in cases]
    frames: list[pd.DataFrame] = []
    if executor is None:
        for job in jobs:
            frames.append(_run_case(job))
            bar.step()
    else:
        for frame in executor.map(_run_case, jobs):
            frames.append(frame)
            bar.step()
    for i, f in enumerate(frames):
        f["case"] = i
    return pd.concat(frames, ignore_index=True)


def _all_run(cluster: ClusterState, ms: Manifests, workload: str | None) -> tuple[bool, Any]:
    result = simulate(cluster, ms)
    w = result.workloads
    if workload is not None:
        idx = _workload_index(ms, workload)
        names = {ms.workloads[i].name for i in idx}
        w = w[w["name"].isin(names)]
    return bool((w["running"] == w["desired"]).all()), result


def min_nodes(
    cluster: Any,
    manifests: Any,
    node_group: str,
    *,
    workload: str | None = None,
    max_count: int = 100_000,
) -> pd.Series:
    """The fewest nodes of a group for every replica (of one workload, or all) to run.

    Parameters
    ----------
    cluster : Cluster, ClusterState or what :func:`podcap.read_cluster` returns
    manifests : manifests as for :func:`podcap.simulate`
    node_group : str
        The group whose ``count`` is searched.
    workload : str, optional
        ``name`` or ``namespace/name``; default every workload.
    max_count : int
        Give up above this many nodes.

    Returns
    -------
    pandas.Series
        ``node_group``, ``instance_type``, ``nodes`` (minimal: one fewer does not fit),
        ``binding_limit`` at that count (what stops one more pod), ``running``.

    Raises
    ------
    PodcapError
        When even ``max_count`` nodes do not suffice (e.g. a pod larger than any node).
    """
    state = ClusterState.of(cluster)
    ms = manifests if isinstance(manifests, Manifests) else load_manifests(manifests)
    if node_group not in {g.name for g in state.cluster.node_groups}:
        raise InvalidOptionError(
            f"no node group {node_group!r}; node groups: {', '.join(g.name for g in state.cluster.node_groups)}"
        )
    if workload is not None and not _workload_index(ms, workload):
        raise InvalidOptionError(
            f"no workload {workload!r}; workloads: {', '.join(w.name for w in ms.workloads)}"
        )

    def fits(n: int) -> tuple[bool, Any]:
        return _all_run(state.change_node_group(node_group, count=n), ms, workload)

    hi = 1
    ok, res = fits(hi)
    while not ok:
        if hi >= max_count:
            raise PodcapError(
                f"even {max_count} nodes of {node_group!r} do not run every replica; "
                "check the requests against the instance type (or raise max_count)"
            )
        hi = min(hi * 2, max_count)
        ok, res = fits(hi)
    lo = hi // 2  # fits(lo) is False (or lo == 0)
    best = res
    while hi - lo > 1:
        mid = (lo + hi) // 2
        ok, r = fits(mid)
        if ok:
            hi, best = mid, r
        else:
            lo = mid
    if hi > 1 and fits(hi - 1)[0]:  # pragma: no cover - non-monotone corner (address limits)
        while hi > 1 and fits(hi - 1)[0]:
            hi -= 1
        best = fits(hi)[1]
    group = next(g for g in state.cluster.node_groups if g.name == node_group)
    w = best.workloads
    return pd.Series(
        {
            "node_group": node_group,
            "instance_type": group.instance_type,
            "nodes": hi,
            "binding_limit": _binding(best),
            "running": int(w["running"].sum()),
        }
    )


def cheapest_instance_type(
    cluster: Any,
    manifests: Any,
    node_group: str,
    instance_types: Sequence[str],
    *,
    prices: Mapping[str, float] | None = None,
    workload: str | None = None,
    max_count: int = 100_000,
) -> pd.DataFrame:
    """For each candidate instance type, the fewest nodes that run every replica, and the cost.

    Parameters
    ----------
    cluster, manifests, node_group, workload, max_count
        As for :func:`min_nodes`.
    instance_types : sequence of str
        Candidates for the group's instance type.
    prices : mapping of instance type to price, optional
        Your price per node and hour (podcap ships no prices); adds ``price_per_node`` and
        ``total_price`` and sorts by total price.

    Returns
    -------
    pandas.DataFrame
        One row per candidate: ``instance_type``, ``nodes``, ``binding_limit``, ``running``,
        ``note`` (why a candidate cannot run every replica; its ``nodes`` is then empty), and
        with prices ``price_per_node`` and ``total_price``; sorted by total price, or without
        prices by node count (fewest nodes is not cheapest when types differ in size).
    """
    if isinstance(instance_types, str) or not instance_types:
        raise InvalidOptionError(
            "instance_types must be a non-empty list of instance type names, "
            f"got {instance_types!r}"
        )
    if prices is not None:
        missing = [t for t in instance_types if t not in prices]
        if missing:
            raise InvalidOptionError(f"prices has no entry for {', '.join(missing)}")
    state = ClusterState.of(cluster)
    rows: list[dict[str, Any]] = []
    for t in instance_types:
        c = state.change_node_group(node_group, instance_type=t)
        try:
            r = min_nodes(c, manifests, node_group, workload=workload, max_count=max_count)
        except PodcapError as exc:
            rows.append(
                {
                    "node_group": node_group,
                    "instance_type": t,
                    "nodes": None,
                    "binding_limit": "",
                    "running": None,
                    "note": str(exc),
                }
            )
            if prices is not None:
                rows[-1]["price_per_node"] = float(prices[t])
                rows[-1]["total_price"] = None
            continue
        row: dict[str, Any] = {str(k): v for k, v in r.items()}
        row["note"] = ""
        if prices is not None:
            row["price_per_node"] = float(prices[t])
            row["total_price"] = float(prices[t]) * int(r["nodes"])
        rows.append(row)
    frame = pd.DataFrame(rows)
    key = "total_price" if prices is not None else "nodes"
    frame = frame.sort_values([key, "instance_type"], kind="stable", na_position="last")
    return frame.reset_index(drop=True)
