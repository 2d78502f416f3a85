"""Timelines: what a cluster looks like after each of a sequence of changes.

A :class:`Scenario` keeps the pods that exist between steps.  Pods keep the requests they were
admitted with: deleting a LimitRange changes nothing until pods are recreated.  After every
step the controllers reconcile (missing pods are created and admitted under the objects of that
moment; surplus pods are removed, pending ones first), then pending pods are scheduled by
priority and creation order, and pods take VPC addresses in creation order.

Steps: apply manifests, delete an object, scale a workload, ``kubectl rollout restart``, change a
node group (instance type, maxPods, count, CNI settings) with a replacement of its nodes, change
aws-node settings.  A node replacement evicts the pods on the replaced nodes; their controllers
recreate them, while pods that were already Pending keep the requests they were created with.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from podcap import _yaml
from podcap.errors import InvalidManifestError, InvalidSpecError, PodcapWarning
from podcap.io.manifests import load_manifests
from podcap.io.readers import load_cluster
from podcap.pipeline.consolidation import consolidate, scale_down
from podcap.pipeline.results import WORKLOAD_COLUMNS, SimulationResult
from podcap.pipeline.state import AutoscalingMode, ClusterState, CronJobMode, RolloutMode
from podcap.pipeline.step import Engine, ScoringStrategy, _check_options, settle

__all__ = ["Scenario", "ScenarioResult"]

_STEP_KINDS = (
    "apply",
    "delete",
    "scale",
    "rolloutRestart",
    "changeNodeGroup",
    "setCni",
    "drain",
    "removeNodes",
    "consolidate",
    "scaleDown",
)
Change = Callable[[ClusterState], ClusterState]


@dataclass
class ScenarioResult:
    """The state after each step.

    Attributes
    ----------
    steps : list of str
        Step descriptions, in order.
    workloads : list of pandas.DataFrame
        After each step, one row per workload (columns of ``SimulationResult.workloads``).
    nodes : list of pandas.DataFrame
        After each step, one row per node (columns of ``SimulationResult.nodes``).
    results : list of SimulationResult
        After each step, everything :func:`podcap.simulate` reports (placements, subnets, ...).
    states : list of ClusterState
        The cluster state after each step.
    """

    steps: list[str] = field(default_factory=list)
    workloads: list[pd.DataFrame] = field(default_factory=list)
    nodes: list[pd.DataFrame] = field(default_factory=list)
    results: list[SimulationResult] = field(default_factory=list)
    states: list[ClusterState] = field(default_factory=list)

    @property
    def frame(self) -> pd.DataFrame:
        """All steps in one tidy frame: ``step`` (1-based), ``description`` and workload rows."""
        parts = [
            w.assign(step=i + 1, description=d)
            for i, (d, w) in enumerate(zip(self.steps, self.workloads, strict=True))
        ]
        if not parts:
            return pd.DataFrame(columns=["step", "description", *WORKLOAD_COLUMNS])
        out = pd.concat(parts, ignore_index=True)
        return out[["step", "description", *WORKLOAD_COLUMNS]]

    def to_json_records(self) -> list[dict[str, Any]]:
        """``[{"step": description, "workloads": [rows...]}, ...]`` for JSON output."""
        out = []
        for desc, w in zip(self.steps, self.workloads, strict=True):
            rows = []
            for rec in w.to_dict(orient="records"):
                rows.append({k: (v.item() if hasattr(v, "item") else v) for k, v in rec.items()})
            out.append({"step": desc, "workloads": rows})
        return out

    def __repr__(self) -> str:
        lines = [f"podcap scenario: {len(self.steps)} steps"]
        cols = [
            "namespace",
            "name",
            "desired",
            "running",
            "pending",
            "container_creating",
            "not_created",
            "rejected",
        ]
        for i, (desc, w) in enumerate(zip(self.steps, self.workloads, strict=True), 1):
            lines.append(f"\n[{i}] {desc}")
            lines.append(w[cols].to_string(index=False))
        return "\n".join(lines)

    def plot(self, **kwargs: Any) -> Any:
        """Outcomes after each step (see :func:`podcap.plot.timeline`)."""
        from podcap import plot

        return plot.timeline(self, **kwargs)

    def _repr_html_(self) -> str:
        return self.frame.to_html(index=False)


class Scenario:
    """An ordered list of steps on a cluster, with the state after each.

    Parameters
    ----------
    cluster : Cluster
        The cluster at the start.
    scoring, engine, seed, percentage_of_nodes_to_score, hpa, cronjobs, rollout
        As for :func:`podcap.simulate`, for every step (``hpa``, ``cronjobs`` and ``rollout``
        apply to the manifests each ``apply`` step applies).

    Examples
    --------
    >>> sc = Scenario(cluster)                                     # doctest: +SKIP
    >>> sc.apply("examples/seed/manifests")                        # doctest: +SKIP
    >>> sc.delete("LimitRange", "limits", namespace="default")     # doctest: +SKIP
    >>> sc.change_node_group("workers", max_pods=200)              # doctest: +SKIP
    >>> sc.rollout_restart("nginx")                                # doctest: +SKIP
    >>> sc.scale("nginx", 150)                                     # doctest: +SKIP
    >>> result = sc.run()                                          # doctest: +SKIP
    """

    def __init__(
        self,
        cluster: Any,
        *,
        scoring: ScoringStrategy = "LeastAllocated",
        engine: Engine = "fast",
        seed: int | None = None,
        percentage_of_nodes_to_score: int = 0,
        hpa: AutoscalingMode = "start",
        cronjobs: CronJobMode = "idle",
        rollout: RolloutMode = "stable",
    ) -> None:
        _check_options(scoring, engine, seed, percentage_of_nodes_to_score, hpa, cronjobs, rollout)
        self.state = ClusterState.of(cluster)
        self.options: dict[str, Any] = {
            "scoring": scoring,
            "engine": engine,
            "seed": seed,
            "percentage_of_nodes_to_score": percentage_of_nodes_to_score,
        }
        self.what_if: dict[str, Any] = {"hpa": hpa, "cronjobs": cronjobs, "rollout": rollout}
        # the results of the settles a step runs inside its change (a drain's rounds)
        self._between: list[SimulationResult] = []
        self._steps: list[tuple[str, Change, Sequence[str]]] = []

    @property
    def cluster(self) -> Any:
        """The node groups at the start."""
        return self.state.cluster

    # ---- building ------------------------------------------------------------------------
    def apply(self, manifests: Any, description: str | None = None) -> Scenario:
        """``kubectl apply`` manifests (paths, YAML text or dicts)."""
        ms = load_manifests(manifests)
        self._steps.append(
            (
                description or f"apply {_describe(manifests)}",
                lambda st: st.apply(ms, **self.what_if),
                ms.skipped,
            )
        )
        return self

    def delete(
        self, kind: str, name: str, *, namespace: str = "default", description: str | None = None
    ) -> Scenario:
        """``kubectl delete KIND NAME``: a workload, LimitRange, ResourceQuota or PriorityClass."""
        self._steps.append(
            (
                description or f"delete {kind} {namespace}/{name}",
                lambda st: st.delete(kind, name, namespace),
                (),
            )
        )
        return self

    def scale(
        self,
        name: str,
        replicas: int,
        *,
        namespace: str = "default",
        kind: str | None = None,
        description: str | None = None,
    ) -> Scenario:
        """``kubectl scale --replicas``."""
        if isinstance(replicas, bool) or not isinstance(replicas, int) or replicas < 0:
            raise InvalidSpecError(
                f"scale {name}: replicas must be an integer >= 0, got {replicas!r}"
            )
        self._steps.append(
            (
                description or f"scale {namespace}/{name} to {replicas}",
                lambda st: st.scale(st.find(name, namespace, kind), replicas),
                (),
            )
        )
        return self

    def rollout_restart(
        self,
        name: str,
        *,
        namespace: str = "default",
        kind: str | None = None,
        description: str | None = None,
    ) -> Scenario:
        """``kubectl rollout restart``: every pod of the workload is recreated (admitted again)."""
        self._steps.append(
            (
                description or f"rollout restart {namespace}/{name}",
                lambda st: st.rollout_restart(st.find(name, namespace, kind)),
                (),
            )
        )
        return self

    def change_node_group(
        self, name: str, *, description: str | None = None, **changes: Any
    ) -> Scenario:
        """Change a node group's fields (``instance_type``, ``max_pods``, ``count``, ``cni``, ...)
        and replace its nodes; pods on replaced nodes are evicted and recreated by their
        controllers.  Only ``count`` changes keep the existing nodes (scale out / in)."""
        if not changes:
            raise InvalidSpecError(f"change_node_group {name!r}: give at least one field to change")
        text = ", ".join(f"{k}={v}" for k, v in changes.items())
        self._steps.append(
            (
                description or f"node group {name}: {text}",
                lambda st: st.change_node_group(name, **changes),
                (),
            )
        )
        return self

    def set_cni(
        self,
        env: Mapping[str, Any],
        *,
        node_group: str | None = None,
        description: str | None = None,
    ) -> Scenario:
        """Change aws-node environment variables (all node groups, or one)."""
        text = ", ".join(f"{k}={v}" for k, v in env.items())
        env = dict(env)
        self._steps.append(
            (description or f"aws-node {text}", lambda st: st.set_cni(env, node_group), ())
        )
        return self

    def drain(self, node_group: str, *, description: str | None = None) -> Scenario:
        """``kubectl drain --ignore-daemonsets`` of every node of a group: cordoned, and every
        pod but DaemonSet pods evicted (their controllers recreate them elsewhere).  Evictions
        honour PodDisruptionBudgets: kubectl retries a refused eviction, so the drain goes on
        in rounds (evict what the budgets allow, let the replacements start) until the nodes
        are empty or no budget allows more; pods left behind are said in a warning."""
        options = self.options

        def change(st: ClusterState) -> ClusterState:
            for _ in range(_DRAIN_ROUNDS):
                before = st.pods_on(node_group)
                st = st.drain(node_group)
                left = st.pods_on(node_group)
                if left == 0:
                    return st
                if left == before:
                    break
                st, between = settle(st, **options)
                self._between.append(between)
            left = st.pods_on(node_group)
            if left:
                warnings.warn(
                    f"drain of node group {node_group} incomplete: {left} pod(s) stay on it, "
                    "their PodDisruptionBudgets allowing no eviction (kubectl drain would keep "
                    "retrying)",
                    PodcapWarning,
                    stacklevel=2,
                )
            return st

        self._steps.append((description or f"drain node group {node_group}", change, ()))
        return self

    def remove_nodes(self, names: Sequence[str], *, description: str | None = None) -> Scenario:
        """These nodes are terminated: their pods are evicted (controllers recreate them)."""
        gone = [str(n) for n in names]
        self._steps.append(
            (
                description
                or f"remove node(s) {', '.join(gone[:3])}"
                + (f" and {len(gone) - 3} more" if len(gone) > 3 else ""),
                lambda st: st.remove_nodes(gone),
                (),
            )
        )
        return self

    def consolidate(self, *, description: str | None = None) -> Scenario:
        """Karpenter's consolidation: the nodes it would delete or replace are
        (:func:`podcap.consolidate`)."""
        options = self.options

        def change(st: ClusterState) -> ClusterState:
            return consolidate(st, **options).state

        self._steps.append((description or "Karpenter consolidation", change, ()))
        return self

    def scale_down(self, *, description: str | None = None) -> Scenario:
        """cluster-autoscaler's scale-down: the underused nodes it would remove are
        (:func:`podcap.scale_down`)."""
        options = self.options

        def change(st: ClusterState) -> ClusterState:
            return scale_down(st, **options).state

        self._steps.append((description or "cluster-autoscaler scale-down", change, ()))
        return self

    @classmethod
    def from_yaml(
        cls, path: str | os.PathLike[str], *, table: pd.DataFrame | None = None
    ) -> Scenario:
        """Read a scenario file::

        cluster: cluster.yaml          # a cluster file (relative to this file) or inline
        steps:
          - apply: [manifests/]
          - delete: {kind: LimitRange, name: limits, namespace: default}
          - changeNodeGroup: {name: workers, maxPods: 200}
          - rolloutRestart: {name: nginx}
          - scale: {name: nginx, replicas: 150}
          - setCni: {env: {WARM_IP_TARGET: "5"}, nodeGroup: workers}
          - removeNodes: [workers-0, workers-1]
          - consolidate: {}               # Karpenter's consolidation (NodePools needed)
          - scaleDown: {}                 # cluster-autoscaler's scale-down

        ``table`` is the instance table of the cluster (see :class:`podcap.Cluster`).
        """
        p = Path(path)
        try:
            doc = _yaml.load(p.read_text(), str(p))
        except OSError as exc:
            raise InvalidManifestError(f"{p}: cannot read scenario file: {exc.strerror}") from None
        except yaml.YAMLError as exc:
            raise InvalidManifestError(f"{p}: not valid YAML: {exc}") from None
        if (
            not isinstance(doc, Mapping)
            or "cluster" not in doc
            or not isinstance(doc.get("steps"), list)
        ):
            raise InvalidManifestError(f"{p}: a scenario needs 'cluster' and a list of 'steps'")
        base = p.parent
        cl = doc["cluster"]
        if isinstance(cl, str):
            from podcap.pipeline.sources import read_cluster

            sc = cls(
                read_cluster(base / cl, table=table)
            )  # implied system pods are created in step 1
        else:
            sc = cls(load_cluster(cl, table=table))
        for i, step in enumerate(doc["steps"]):
            where = f"{p}, steps[{i}]"
            if not isinstance(step, Mapping) or len(step) - ("description" in step) != 1:
                raise InvalidManifestError(
                    f"{where}: expected one of {', '.join(_STEP_KINDS)} (and an optional description)"
                )
            desc = step.get("description")
            ((kind, body),) = ((k, v) for k, v in step.items() if k != "description")
            try:
                if kind == "apply":
                    items = body if isinstance(body, list) else [body]
                    if not items:
                        raise InvalidManifestError(f"{where}.apply: give at least one manifest")
                    sc.apply(
                        [base / x if isinstance(x, str) and "\n" not in x else x for x in items],
                        desc,
                    )
                elif kind == "delete":
                    sc.delete(
                        body["kind"],
                        body["name"],
                        namespace=body.get("namespace", "default"),
                        description=desc,
                    )
                elif kind == "scale":
                    sc.scale(
                        body["name"],
                        body["replicas"],
                        namespace=body.get("namespace", "default"),
                        kind=body.get("kind"),
                        description=desc,
                    )
                elif kind == "rolloutRestart":
                    sc.rollout_restart(
                        body["name"],
                        namespace=body.get("namespace", "default"),
                        kind=body.get("kind"),
                        description=desc,
                    )
                elif kind == "changeNodeGroup":
                    fields = {_SNAKE.get(k, k): v for k, v in body.items() if k != "name"}
                    env = fields.pop("cni", None)
                    if env is not None:  # aws-node variables, merged into the group's settings
                        sc.set_cni(env, node_group=body["name"], description=desc)
                    if fields:
                        sc.change_node_group(body["name"], description=desc, **fields)
                elif kind == "setCni":
                    sc.set_cni(body["env"], node_group=body.get("nodeGroup"), description=desc)
                elif kind == "drain":
                    sc.drain(body["nodeGroup"], description=desc)
                elif kind == "removeNodes":
                    if not isinstance(body, list) or not body:
                        raise InvalidManifestError(
                            f"{where}.removeNodes: give a list of node names"
                        )
                    sc.remove_nodes(body, description=desc)
                elif kind == "consolidate":
                    sc.consolidate(description=desc)
                elif kind == "scaleDown":
                    sc.scale_down(description=desc)
                else:
                    raise InvalidManifestError(
                        f"{where}: unknown step {kind!r}; valid: {', '.join(_STEP_KINDS)}"
                    )
            except KeyError as exc:
                raise InvalidManifestError(f"{where}.{kind}: missing field {exc}") from None
            except TypeError as exc:
                raise InvalidManifestError(f"{where}.{kind}: {exc}") from None
        return sc

    # ---- running -------------------------------------------------------------------------
    def run(self) -> ScenarioResult:
        """Run every step; returns the state after each.

        Each step changes the state, then :func:`podcap.pipeline.step.settle` lets the
        controllers, the scheduler and the VPC CNI act: the same function :func:`podcap.simulate`
        runs, so step 1 of ``Scenario(c).apply(m)`` is ``simulate(c, m)``.
        """
        result = ScenarioResult()
        state = self.state
        for description, change, skipped in self._steps:
            self._between = []
            try:
                state = change(state)
            except InvalidSpecError as exc:
                raise InvalidSpecError(f"step {description!r}: {exc}") from None
            state, outcome = settle(state, skipped=skipped, **self.options)
            outcome = _with_between(outcome, self._between)
            result.steps.append(description)
            result.workloads.append(outcome.workloads)
            result.nodes.append(outcome.nodes)
            result.results.append(outcome)
            result.states.append(state)
        return result


_DRAIN_ROUNDS = 20


def _with_between(outcome: SimulationResult, between: list[SimulationResult]) -> SimulationResult:
    """A step's result with what the settles inside the step did: their preemptions, the
    NodeClaims Karpenter launched and the nodes the cluster-autoscaler added."""
    if not between:
        return outcome
    keys = ["namespace", "kind", "name"]
    preempted = outcome.workloads.set_index(keys)["preempted"]
    for r in between:
        preempted = preempted.add(r.workloads.set_index(keys)["preempted"], fill_value=0)
    frame = outcome.workloads.copy()
    index = list(zip(frame["namespace"], frame["kind"], frame["name"], strict=True))
    frame["preempted"] = [int(preempted.get(k, 0)) for k in index]
    claims = [r.nodeclaims for r in (*between, outcome) if len(r.nodeclaims)]
    ups = [r.scale_ups for r in (*between, outcome) if len(r.scale_ups)]
    return replace(
        outcome,
        workloads=frame,
        nodeclaims=pd.concat(claims, ignore_index=True) if claims else outcome.nodeclaims,
        scale_ups=pd.concat(ups, ignore_index=True) if ups else outcome.scale_ups,
    )


_SNAKE = {
    "instanceType": "instance_type",
    "maxPods": "max_pods",
    "maxPodsPolicy": "max_pods_policy",
}


def _describe(manifests: Any) -> str:
    if isinstance(manifests, (str, os.PathLike)):
        return str(manifests) if "\n" not in str(manifests) else "manifests"
    if isinstance(manifests, Sequence):
        return ", ".join(_describe(m) for m in manifests)
    return "manifests"
