"""``podcap check``: will every replica run?  A yes/no answer with what would fix a no."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from podcap.analysis.sweep import _scale_containers
from podcap.errors import InvalidManifestError
from podcap.io.manifests import Manifests, load_manifests
from podcap.model.quantity import format_cpu, format_memory
from podcap.pipeline.results import SimulationResult
from podcap.pipeline.simulate import simulate
from podcap.pipeline.state import ClusterState

__all__ = ["CheckReport", "check"]


@dataclass
class CheckReport:
    """The outcome of :func:`check`.

    Attributes
    ----------
    ok : bool
        Every replica runs.
    result : SimulationResult
        The simulation behind the answer.
    problems : list of str
        Lines explaining each failing workload and what would fix it.
    """

    ok: bool
    result: SimulationResult
    problems: list[str] = field(default_factory=list)
    findings: list[dict[str, Any]] = field(default_factory=list)

    def __str__(self) -> str:
        if self.ok:
            w = self.result.workloads
            return f"OK: every replica runs ({int(w['running'].sum())} pods of {len(w)} workloads)."
        return "\n".join(["FAIL: not every replica would run.", *self.problems])

    def to_dict(self) -> dict[str, Any]:
        """The answer as data: ``ok``, and per failing workload its outcome, Kubernetes'
        reason, the limits that stop it (codes) and the fixes that would work."""
        return {"ok": self.ok, "findings": self.findings}

    def to_markdown(self) -> str:
        """The answer for a CI job summary or a pull-request comment."""
        if self.ok:
            return f"### podcap check: OK\n\n{self}\n"
        lines = [
            "### podcap check: FAIL",
            "",
            "| workload | running | pending | waiting for an IP | not created | rejected |",
            "| --- | --- | --- | --- | --- | --- |",
        ]
        for f in self.findings:
            lines.append(
                f"| {f['kind']} {f['namespace']}/{f['name']} | {f['running']}/{f['desired']} | "
                f"{f['pending']} | {f['container_creating']} | {f['not_created']} | "
                f"{f['rejected']} |"
            )
        for f in self.findings:
            lines += ["", f"**{f['kind']} {f['namespace']}/{f['name']}**", ""]
            lines.append(f"- why: `{f['reason']}`")
            for fix in f["fixes"]:
                lines.append(f"- would fix it: {fix}")
        return "\n".join(lines) + "\n"


def _fits(state: ClusterState, ms: Manifests, key: tuple[str, str, str]) -> bool:
    r = simulate(state, ms)
    row = r.workloads[
        (r.workloads["namespace"] == key[0])
        & (r.workloads["kind"] == key[1])
        & (r.workloads["name"] == key[2])
    ]
    return bool((row["running"] == row["desired"]).all())


def _more_nodes(
    ci: ClusterState, ms: Manifests, key: tuple[str, str, str], group: str
) -> int | None:
    current = next(g.count for g in ci.cluster.node_groups if g.name == group)
    n = current
    for _ in range(12):  # doubling search, then bisection
        n = max(1, n * 2)
        if _fits(ci.change_node_group(group, count=n), ms, key):
            break
    else:
        return None
    lo, hi = current, n
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if _fits(ci.change_node_group(group, count=mid), ms, key):
            hi = mid
        else:
            lo = mid
    return hi


def _smaller_request(
    ms: Manifests, ci: ClusterState, idx: int, resource: str, current: int
) -> int | None:
    lo, hi = 0, current  # largest request (per container) that lets every replica run
    key = ms.workloads[idx].key
    if current <= 1:
        return None

    def with_request(amount: int) -> Manifests:
        workloads = list(ms.workloads)
        workloads[idx] = _scale_containers(workloads[idx], resource, amount)
        return replace(ms, workloads=workloads)

    if not _fits(ci, with_request(1), key):
        return None
    lo = 1
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if _fits(ci, with_request(mid), key):
            lo = mid
        else:
            hi = mid
    return lo


def check(cluster: Any, manifests: Any) -> CheckReport:
    """Simulate ``manifests`` on a cluster (with its implied system pods and existing load) and
    explain every workload of ``manifests`` that would not fully run.

    Parameters
    ----------
    cluster : Cluster, ClusterState or what :func:`podcap.read_cluster` returns
        The cluster, with its implied system workloads and existing load.
    manifests : path, YAML text, dict, list of those, or Manifests
        The workloads to check.

    Returns
    -------
    CheckReport
        ``ok`` is True when every replica of ``manifests`` runs; ``problems`` holds, per failing
        workload, the outcome, Kubernetes' reason and the fixes that would work (more nodes of a
        group, maxPods, prefix delegation, a smaller request), each verified by simulation.
    """
    ci = ClusterState.of(cluster)
    user = manifests if isinstance(manifests, Manifests) else load_manifests(manifests)
    if not user.workloads:
        raise InvalidManifestError(
            "podcap check: the manifests hold no workload (Deployment, StatefulSet, DaemonSet, "
            "ReplicaSet, ReplicationController, Rollout, Job, CronJob or Pod) to check"
        )
    result = simulate(ci, user)
    problems: list[str] = []
    findings: list[dict[str, Any]] = []
    by_key = {
        (str(r["namespace"]), str(r["kind"]), str(r["name"])): r
        for r in result.workloads.to_dict(orient="records")
    }
    for w in user.workloads:
        row = by_key[w.key]
        if int(row["running"]) == int(row["desired"]):
            continue
        parts = [
            f"{k}={int(row[k])}"
            for k in ("pending", "container_creating", "not_created", "rejected")
            if int(row[k])
        ]
        problems.append(
            f"- {w.kind} {w.namespace}/{w.name}: {int(row['running'])}/{int(row['desired'])} running ({', '.join(parts)})"
        )
        problems.append(f"  why: {row['reason']}")
        idx = next(i for i, x in enumerate(user.workloads) if x.key == w.key)
        fixes: list[str] = []
        if int(row["rejected"]):
            fixes.append(
                "fix the request/limit so it passes the namespace's LimitRange (or the pod's own limits)"
            )
        if int(row["not_created"]):
            fixes.append("raise the namespace's ResourceQuota, or lower the workload's requests")
        limits_hit = set(str(row["limits"]).split(","))
        if int(row["pending"]) or int(row["container_creating"]):
            groups = [g for g in ci.cluster.node_groups if g.count > 0]
            placed_on = set(result.placements[result.placements["name"] == w.name]["node"])
            groups_with_pods = [
                g.name
                for g in groups
                if any(
                    str(n) in placed_on or (str(n).startswith(f"{g.name}-") and str(n) in placed_on)
                    for n in (g.node_names or [f"{g.name}-{i}" for i in range(g.count)])
                )
            ] or [g.name for g in groups]
            for g in groups_with_pods[:2]:
                n = _more_nodes(ci, user, w.key, g)
                current = next(x.count for x in ci.cluster.node_groups if x.name == g)
                if n is not None:
                    fixes.append(f"scale node group {g} from {current} to {n} nodes")
            if "pods" in limits_hit:
                fixes.append(
                    "raise kubelet maxPods (the instance type's pod IPs allow more with prefix delegation)"
                )
            if "subnet" in limits_hit:
                fixes.append("give the node group a larger subnet (or a prefix CIDR reservation)")
            elif "pod_ips" in limits_hit:
                cni_on = all(g.cni_settings.prefix_delegation for g in ci.cluster.node_groups)
                fixes.append(
                    "use a type with more ENIs or IPs per ENI"
                    if cni_on
                    else "enable prefix delegation (ENABLE_PREFIX_DELEGATION=true) or use a type with more ENIs"
                )
            admitted = {
                "cpu": int(row["cpu_request_millicores"]),
                "memory": int(float(row["memory_request_mib"]) * (1 << 20)),
            }
            for resource, fmt in (("cpu", format_cpu), ("memory", format_memory)):
                n_containers = max(len(user.workloads[idx].template.containers), 1)
                current = admitted[resource] // n_containers
                if resource in limits_hit and current > 0:
                    smaller = _smaller_request(user, ci, idx, resource, current)
                    if smaller is not None:
                        fixes.append(
                            f"lower the {resource} request per container from {fmt(current)} to {fmt(smaller)}"
                        )
        if fixes:
            problems.append("  would fix it: " + "; or ".join(fixes))
        findings.append(
            {
                "namespace": w.namespace,
                "kind": w.kind,
                "name": w.name,
                **{
                    k: int(row[k])
                    for k in (
                        "desired",
                        "running",
                        "pending",
                        "container_creating",
                        "not_created",
                        "rejected",
                    )
                },
                "reason": str(row["reason"]),
                "limits": [x for x in str(row["limits"]).split(",") if x],
                "fixes": fixes,
            }
        )
    return CheckReport(not problems, result, problems, findings)
