"""Plots (needs the optional ``plot`` extra: ``pip install "podcap[plot]"``).

* :func:`nodes`: per node, how much of each limit is used (pods vs maxPods, cpu, memory, pod IPs),
  so the binding limit is visible at a glance (``result.plot()``).
* :func:`sweep`: an outcome against a varied parameter, one line per value of another
  (``frame.pipe(podcap.plot.sweep, x="workers.count")``); :func:`sweep_heatmap` for two
  parameters.
* :func:`timeline`: outcomes of a workload after each step of a scenario (``result.plot()``).
* :func:`fleet`: the nodes the autoscalers added (Karpenter's NodeClaims, cluster-autoscaler's
  scale-ups): nodes per instance type, their pods and hourly cost.

Every function returns the matplotlib Axes it drew on.
"""

from __future__ import annotations

import textwrap
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from podcap.errors import InvalidOptionError, PodcapError

if TYPE_CHECKING:  # pragma: no cover
    from podcap.pipeline.results import SimulationResult
    from podcap.pipeline.scenario import ScenarioResult

__all__ = ["MissingDependencyError", "fleet", "nodes", "sweep", "sweep_heatmap", "timeline"]

_OUTCOMES = ("running", "pending", "container_creating", "not_created", "rejected")
_COLORS = {
    "running": "#2a9d8f",
    "pending": "#e9c46a",
    "container_creating": "#f4a261",
    "not_created": "#e76f51",
    "rejected": "#8d99ae",
}


class MissingDependencyError(ImportError, PodcapError):
    """An optional dependency (matplotlib, dask) is not installed."""


def _plt() -> Any:
    try:
        import matplotlib.pyplot as plt
    except ImportError:  # pragma: no cover - depends on the environment
        raise MissingDependencyError(
            'podcap plots need matplotlib: pip install "podcap[plot]"'
        ) from None
    return plt


def _axes(ax: Any, figsize: tuple[float, float]) -> Any:
    if ax is not None:
        return ax
    _, ax = _plt().subplots(figsize=figsize)
    return ax


def nodes(result: SimulationResult, *, max_nodes: int = 40, ax: Any = None) -> Any:
    """Share of each limit used on every node: pods / maxPods, cpu, memory, pod IPs.

    Parameters
    ----------
    result : SimulationResult
    max_nodes : int
        Show at most this many nodes (the first ones).
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib Axes
    """
    frame = result.nodes.head(max_nodes)
    with np.errstate(divide="ignore", invalid="ignore"):
        shares = {
            "maxPods": frame["pods"] / frame["pods_allocatable"],
            "cpu": frame["cpu_requested_millicores"] / frame["cpu_allocatable_millicores"],
            "memory": frame["memory_requested_mib"] / frame["memory_allocatable_mib"],
            "pod IPs": frame["pod_ips_used"] / frame["pod_ips_available"].clip(lower=1),
        }
    ax = _axes(ax, (max(6.0, 0.6 * len(frame) + 2), 4.0))
    x = np.arange(len(frame))
    width = 0.2
    for i, (label, values) in enumerate(shares.items()):
        ax.bar(
            x + (i - 1.5) * width, np.nan_to_num(values.to_numpy(dtype=float)), width, label=label
        )
    ax.axhline(1.0, color="black", linewidth=0.8, linestyle="--")
    ax.set_xticks(x)
    ax.set_xticklabels(
        [
            f"{n}\n({b})" if b else str(n)
            for n, b in zip(frame["node"], frame["binding_limit"], strict=True)
        ],
        rotation=90 if len(frame) > 8 else 0,
        fontsize=8,
    )
    ax.set_ylabel("share of the limit used")
    ax.set_ylim(0, 1.15)
    ax.set_title("Pods per node against each limit (binding limit in brackets)")
    ax.legend(loc="upper right", fontsize=8, ncols=4)
    return ax


def fleet(result: SimulationResult, *, ax: Any = None) -> Any:
    """The nodes the autoscalers added: one bar per (node pool or group, instance type,
    capacity type) with its node count, labelled with the pods planned on them and the hourly
    cost.

    Parameters
    ----------
    result : SimulationResult
        With ``nodeclaims`` (Karpenter) or ``scale_ups`` (cluster-autoscaler) rows.
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib Axes
    """
    rows = []
    claims = result.nodeclaims
    if len(claims):
        grouped = claims.assign(price=claims["price_per_hour"].astype(float)).groupby(
            ["nodepool", "instance_type", "capacity_type"], sort=False
        )
        for (pool, itype, ct), g in grouped:
            rows.append((f"{pool}\n{itype} ({ct})", len(g), int(g["pods"].sum()), g["price"].sum()))
    ups = result.scale_ups
    if len(ups):
        for (group, itype), g in ups.groupby(["node_group", "instance_type"], sort=False):
            price = (g["price_per_hour"].astype(float) * g["nodes"]).sum()
            rows.append((f"{group}\n{itype}", int(g["nodes"].sum()), int(g["pods"].sum()), price))
    if not rows:
        raise InvalidOptionError(
            "no nodes were added: the result has no Karpenter NodeClaims or cluster-autoscaler "
            "scale-ups to plot"
        )
    ax = _axes(ax, (max(6.0, 1.2 * len(rows) + 2), 4.0))
    x = np.arange(len(rows))
    bars = ax.bar(x, [r[1] for r in rows], color="#2a9d8f")
    for bar, (_, _, pods, price) in zip(bars, rows, strict=True):
        cost = "price unknown" if np.isnan(price) else f"${price:.3f}/h"
        ax.annotate(
            f"{pods} pods\n{cost}",
            (bar.get_x() + bar.get_width() / 2, bar.get_height()),
            ha="center",
            va="bottom",
            fontsize=8,
        )
    ax.set_xticks(x)
    ax.set_xticklabels([r[0] for r in rows], fontsize=8)
    ax.set_ylabel("nodes added")
    total = result.cost_per_hour
    ax.set_title(
        "Nodes the autoscalers added"
        + (f" (${total:.3f}/h)" if total is not None else " (some prices unknown)")
    )
    ax.set_ylim(0, max(r[1] for r in rows) * 1.3 + 0.5)
    return ax


def _workload_rows(frame: pd.DataFrame, workload: str | None) -> pd.DataFrame:
    if workload is None:
        names = frame["name"].unique()
        if len(names) == 1:
            return frame
        workload = str(frame.groupby("name")["desired"].sum().idxmax())
    rows = frame[frame["name"] == workload]
    if rows.empty:
        raise InvalidOptionError(
            f"no workload {workload!r} in the frame; workloads: {', '.join(map(str, frame['name'].unique()))}"
        )
    return rows


def sweep(
    frame: pd.DataFrame,
    x: str,
    y: str = "running",
    *,
    by: str | None = None,
    workload: str | None = None,
    ax: Any = None,
) -> Any:
    """An outcome of one workload against a varied parameter.

    Parameters
    ----------
    frame : pandas.DataFrame
        A :func:`podcap.analysis.sweep` result.
    x : str
        The varied parameter on the x axis.
    y : str
        The outcome column (``running``, ``pending``, ...).
    by : str, optional
        Another varied parameter: one line per value.
    workload : str, optional
        The workload (default the one with the most desired pods).
    ax : matplotlib Axes, optional
    """
    for col in (x, y, *([by] if by else [])):
        if col not in frame.columns:
            raise InvalidOptionError(
                f"column {col!r} is not in the sweep frame; columns: {', '.join(map(str, frame.columns))}"
            )
    rows = _workload_rows(frame, workload)
    ax = _axes(ax, (6.0, 4.0))
    groups = rows.groupby(by, sort=True) if by else [(None, rows)]
    for key, part in groups:
        part = part.sort_values(x)
        ax.plot(
            part[x].astype(str) if part[x].dtype == object else part[x],
            part[y],
            marker="o",
            label=None if key is None else f"{by}={key!s}",
        )
    ax.set_xlabel(x)
    ax.set_ylabel(f"{y} ({rows['name'].iloc[0]})")
    if by:
        ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    return ax


def sweep_heatmap(
    frame: pd.DataFrame,
    x: str,
    y: str,
    value: str = "running",
    *,
    workload: str | None = None,
    ax: Any = None,
) -> Any:
    """A heat map of an outcome over two varied parameters.

    Parameters
    ----------
    frame : pandas.DataFrame
        A :func:`podcap.analysis.sweep` result.
    x, y : str
        The varied parameters on the axes.
    value : str
        The outcome column shown.
    workload : str, optional
        The workload (default the one with the most desired pods).
    ax : matplotlib Axes, optional
    """
    for col in (x, y, value):
        if col not in frame.columns:
            raise InvalidOptionError(f"column {col!r} is not in the sweep frame")
    rows = _workload_rows(frame, workload)
    table = rows.pivot_table(index=y, columns=x, values=value, aggfunc="first")
    ax = _axes(ax, (6.0, 4.5))
    image = ax.imshow(table.to_numpy(dtype=float), aspect="auto", origin="lower", cmap="viridis")
    ax.set_xticks(range(len(table.columns)))
    ax.set_xticklabels([str(c) for c in table.columns], rotation=45, fontsize=8)
    ax.set_yticks(range(len(table.index)))
    ax.set_yticklabels([str(i) for i in table.index], fontsize=8)
    for (i, j), v in np.ndenumerate(table.to_numpy(dtype=float)):
        ax.text(j, i, f"{v:.0f}", ha="center", va="center", color="white", fontsize=7)
    ax.set_xlabel(x)
    ax.set_ylabel(y)
    ax.figure.colorbar(image, ax=ax, label=f"{value} ({rows['name'].iloc[0]})")
    return ax


def timeline(result: ScenarioResult, *, workload: str | None = None, ax: Any = None) -> Any:
    """Outcomes of one workload after each step of a scenario (stacked bars).

    Parameters
    ----------
    result : ScenarioResult
    workload : str, optional
        The workload (default the one with the most desired pods).
    ax : matplotlib Axes, optional
    """
    frame = result.frame
    rows = _workload_rows(frame, workload)
    ax = _axes(ax, (max(6.0, 1.4 * len(rows) + 2), 4.0))
    bottom = np.zeros(len(rows))
    x = np.arange(len(rows))
    for outcome in _OUTCOMES:
        values = rows[outcome].to_numpy(dtype=float)
        if values.any():
            ax.bar(x, values, bottom=bottom, color=_COLORS[outcome], label=outcome)
            bottom += values
    ax.set_xticks(x)
    labels = [
        textwrap.fill(f"{s}. {d}", 24, max_lines=3, placeholder=" ...")
        for s, d in zip(rows["step"], rows["description"], strict=True)
    ]
    ax.set_xticks(x)
    ax.set_xticklabels(labels, fontsize=7)
    ax.set_ylabel(f"pods of {rows['name'].iloc[0]}")
    ax.set_title("State after each step")
    ax.legend(fontsize=8)
    return ax
