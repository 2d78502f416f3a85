"""``simulate``: one step (``kubectl apply`` of manifests, then settle) on a cluster state."""

from __future__ import annotations

from typing import Any

import pandas as pd

from podcap.io.manifests import Manifests, load_manifests
from podcap.model.memory import check_simulation_size
from podcap.pipeline.results import SimulationResult
from podcap.pipeline.state import (
    AutoscalingMode,
    ClusterState,
    CronJobMode,
    RolloutMode,
    with_existing,
)
from podcap.pipeline.step import Engine, ScoringStrategy, step

__all__ = ["simulate", "simulate_with_state"]


def simulate(
    cluster: Any,
    manifests: Any,
    *,
    scoring: ScoringStrategy = "LeastAllocated",
    engine: Engine = "fast",
    seed: int | None = None,
    existing: pd.DataFrame | None = None,
    percentage_of_nodes_to_score: int = 0,
    hpa: AutoscalingMode = "start",
    cronjobs: CronJobMode = "idle",
    rollout: RolloutMode = "stable",
) -> SimulationResult:
    """Simulate ``kubectl apply`` of manifests on a cluster.

    Parameters
    ----------
    cluster : Cluster, ClusterState or what :func:`podcap.read_cluster` returns
        The nodes, and whatever already runs on them or is in effect.
    manifests : path, YAML text, dict, list of those, or Manifests
        What a user would ``kubectl apply`` (see :func:`podcap.io.manifests.load_manifests`):
        files in the order given, documents in file order.
    scoring : {"LeastAllocated", "MostAllocated"}
        NodeResourcesFit scoring strategy.
    engine : {"fast", "reference"}
        The vectorized engine, or the pod-by-pod reference oracle (small fleets only).
    seed : int, optional
        Tie rule.  None (default): among equally scored nodes the one with the fewest pods of the
        workload, then the first node (group order, then index within the group).  An integer:
        random ties, as the real scheduler breaks them: where it samples nodes (100 nodes or
        more and ``percentage_of_nodes_to_score`` below 100) each pod picks one of its
        best-scored nodes with a number drawn from the seed; where every node is scored, the
        first in a random permutation of the nodes drawn with the seed.
    existing : pandas.DataFrame, optional
        Pods already on the nodes (``Snapshot.existing``); a state read with
        :func:`podcap.read_cluster` already holds them.
    percentage_of_nodes_to_score : int
        kube-scheduler's ``percentageOfNodesToScore``: 0 (default) is its adaptive value, 100
        scores every node.  The fast engine samples as the scheduler does while a step's
        placements stay within its budget, and scores every node above it.
    hpa : {"start", "min", "max"}
        Workloads a HorizontalPodAutoscaler or a KEDA ScaledObject scales: as the autoscaler
        starts (their replicas kept within its bounds; the default), or the what-ifs at its
        minimum or maximum.
    cronjobs : {"idle", "run"}
        CronJobs: no pods between runs (the default), or the what-if of one run of each.
    rollout : {"stable", "canary"} or "canary:<step index>"
        Argo Rollouts: the stable pods only (the default), or the what-if of an update held at
        a step: its canary pods at the first canary step that sets a weight or a scale (or at
        ``spec.strategy.canary.steps[<step index>]``), a blue-green update's preview pods.  They
        are the workload ``<name> (canary)`` (or ``(preview)``) beside the stable pods
        (:func:`podcap.model.workloads.rollout_step`).

    Returns
    -------
    SimulationResult
        One row per workload in the state after the step (those already running first).

    Raises
    ------
    InvalidManifestError
        A malformed manifest (the message names file, document and field).
    SimulationTooLargeError
        When the arrays of this many nodes and workloads would not fit in memory
        (:func:`podcap.check_simulation_size`), before they are allocated.

    Notes
    -----
    This is exactly one :func:`podcap.pipeline.step.step` on ``ClusterState.of(cluster)``:
    the policies take effect, each workload's pods are created in document order, and all
    pending pods enter one scheduling queue (priority, then creation order); DaemonSet pods are
    ordinary pods of that queue, pinned to their nodes.  After scheduling, pods that need a VPC
    address take the node's pod IPs in the order they were bound; the rest stay in
    ContainerCreating.  A pod that fits nowhere may preempt lower-priority pods
    (DefaultPreemption); its victims are recreated by their controllers.

    The reference engine is kube-scheduler v1.34's default profile, plugin by plugin (see
    :mod:`podcap.scheduler.reference`).  The fast engine gives the same placements: vectorised
    for pods without spreading, pod by pod in compiled kernels for the system-default and
    DoNotSchedule spreading, node by node with the scheduler's node sampling on fleets of 100
    nodes or more while a step's work stays within a budget (every node scored above it).
    Workloads with inter-pod affinity, preferred terms, PreferNoSchedule taints or ScheduleAnyway
    spreading are placed by the reference cycle in either engine.
    """
    return simulate_with_state(
        cluster,
        manifests,
        scoring=scoring,
        engine=engine,
        seed=seed,
        existing=existing,
        percentage_of_nodes_to_score=percentage_of_nodes_to_score,
        hpa=hpa,
        cronjobs=cronjobs,
        rollout=rollout,
    )[1]


def simulate_with_state(
    cluster: Any,
    manifests: Any,
    *,
    scoring: ScoringStrategy = "LeastAllocated",
    engine: Engine = "fast",
    seed: int | None = None,
    existing: pd.DataFrame | None = None,
    percentage_of_nodes_to_score: int = 0,
    hpa: AutoscalingMode = "start",
    cronjobs: CronJobMode = "idle",
    rollout: RolloutMode = "stable",
) -> tuple[ClusterState, SimulationResult]:
    """:func:`simulate`, returning the state after the step too (its pods per node, for
    analyses that read the capacity arrays); parameters as for :func:`simulate`."""
    state = ClusterState.of(cluster)
    if existing is not None and len(existing):
        state = with_existing(state, existing)
    if not isinstance(manifests, Manifests):
        manifests = load_manifests(manifests)
    new = [w for w in manifests.workloads if w.key not in state.workloads]
    daemonsets = sum(w.kind == "DaemonSet" for w in (*state.workloads.values(), *new))
    check_simulation_size(
        state.fleet.size,
        len(state.workloads) + len(new),
        sum(w.replicas for w in manifests.workloads) + daemonsets * state.fleet.size,
        resources=len(state.fleet.resources),
    )
    return step(
        state,
        manifests,
        scoring=scoring,
        engine=engine,
        seed=seed,
        percentage_of_nodes_to_score=percentage_of_nodes_to_score,
        hpa=hpa,
        cronjobs=cronjobs,
        rollout=rollout,
    )
