"""Benchmark the autoscalers: Karpenter provisioning, consolidation and cluster-autoscaler.

Cases (each in its own process, first call and a warm second call):

* ``karpenter-<pods>``: a cluster with only a NodePool (c, m and r families, on-demand, 3
  zones) and 20 Deployments of 6 request shapes totalling ``pods`` pods, all pending: the
  NodeClaims Karpenter launches, then the scheduler binding the pods to them.
* ``karpenter-zone-spread``: the same with every Deployment spread over zones (DoNotSchedule).
* ``consolidate``: consolidation after the ``karpenter-10000`` workloads are scaled to a tenth.
* ``cluster-autoscaler``: 10 node groups of 5 types (max 200 nodes each) and the same pods.

Prints a table and writes JSON to ``benchmarks/results/autoscaling.json``.

Usage::

    python benchmarks/bench_autoscaling.py [--quick]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
SHAPES = (
    ("250m", "512Mi"),
    ("500m", "1Gi"),
    ("1", "2Gi"),
    ("2", "4Gi"),
    ("100m", "128Mi"),
    ("4", "16Gi"),
)
ZONES = ("us-east-1a", "us-east-1b", "us-east-1c")


def deployment(name: str, replicas: int, cpu: str, memory: str, spread: bool) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "containers": [
            {"name": "c", "image": "x", "resources": {"requests": {"cpu": cpu, "memory": memory}}}
        ]
    }
    if spread:
        spec["topologySpreadConstraints"] = [
            {
                "maxSkew": 1,
                "topologyKey": "topology.kubernetes.io/zone",
                "whenUnsatisfiable": "DoNotSchedule",
                "labelSelector": {"matchLabels": {"app": name}},
            }
        ]
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": name}},
            "template": {"metadata": {"labels": {"app": name}}, "spec": spec},
        },
    }


def workloads(pods: int, spread: bool = False) -> list[dict[str, Any]]:
    return [deployment(f"w{i}", pods // 20, *SHAPES[i % 6], spread) for i in range(20)]


def run_case(case: str, pods: int) -> dict[str, Any]:
    """Run one case in this process; returns timings and the outcome."""
    import podcap
    from podcap import NodePool, Requirement

    pool = NodePool(
        "default",
        (
            Requirement("karpenter.k8s.aws/instance-category", "In", ("c", "m", "r")),
            Requirement("karpenter.sh/capacity-type", "In", ("on-demand",)),
        ),
    )
    karpenter = podcap.ClusterState.of(podcap.Cluster([])).with_node_pools([pool], zones=ZONES)
    out: dict[str, Any] = {"case": case, "pods": pods}
    if case.startswith("karpenter"):
        m = podcap.load_manifests(workloads(pods, spread=case.endswith("zone-spread")))
        times = []
        for _ in range(2):
            t = time.perf_counter()
            r = podcap.simulate(karpenter, m)
            times.append(time.perf_counter() - t)
        out.update(
            first_s=times[0],
            warm_s=times[1],
            nodes=len(r.nodeclaims),
            running=int(r.workloads["running"].sum()),
            pending=int(r.workloads["pending"].sum()),
            cost_per_hour=r.cost_per_hour,
        )
    elif case == "consolidate":
        state, _ = podcap.step(karpenter, workloads(pods))
        for i in range(20):
            state = state.scale(state.find(f"w{i}"), pods // 200)
        state, _ = podcap.settle(state)
        t = time.perf_counter()
        c = podcap.consolidate(state)
        out.update(
            first_s=time.perf_counter() - t,
            warm_s=None,
            commands=len(c.commands),
            removed=len(c.removed),
            cost_before=c.cost_before,
            cost_after=c.cost_after,
        )
    elif case == "cluster-autoscaler":
        types = ("m5.xlarge", "m5.4xlarge", "c5.2xlarge", "r5.2xlarge", "m6i.8xlarge")
        cluster = podcap.Cluster(
            podcap.NodeGroup(f"ng-{i}", types[i % 5], 1, zones=ZONES, min_count=1, max_count=200)
            for i in range(10)
        )
        state = podcap.ClusterState.of(cluster).with_cluster_autoscaler("least-waste")
        m = podcap.load_manifests(workloads(pods))
        times = []
        for _ in range(2):
            t = time.perf_counter()
            r = podcap.simulate(state, m)
            times.append(time.perf_counter() - t)
        out.update(
            first_s=times[0],
            warm_s=times[1],
            nodes=int(r.scale_ups["nodes"].sum()),
            running=int(r.workloads["running"].sum()),
            pending=int(r.workloads["pending"].sum()),
            cost_per_hour=r.cost_per_hour,
        )
    else:
        raise ValueError(case)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller cases")
    parser.add_argument("--case", help=argparse.SUPPRESS)
    parser.add_argument("--pods", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.case:  # a child process
        print(json.dumps(run_case(args.case, args.pods)))
        return
    big = 20_000 if args.quick else 100_000
    cases = [
        ("karpenter-10000", 10_000),
        (f"karpenter-{big}", big),
        ("karpenter-zone-spread", 10_000),
        ("consolidate", 10_000 if not args.quick else 2_000),
        ("cluster-autoscaler", 10_000),
    ]
    env = {**os.environ, "PYTHONPATH": str(REPO / "src")}
    rows = []
    for case, pods in cases:
        done = subprocess.run(
            [sys.executable, __file__, "--case", case, "--pods", str(pods)],
            capture_output=True,
            text=True,
            env=env,
            check=True,
        )
        row = json.loads(done.stdout.strip().splitlines()[-1])
        row["case"] = case
        rows.append(row)
        warm = row.get("warm_s")
        print(
            f"{case:24s} pods={pods:>7,}  first {row['first_s']:6.2f} s"
            + (f"  warm {warm:6.2f} s" if warm is not None else "")
            + "  "
            + ", ".join(
                f"{k}={v}" for k, v in row.items() if k not in ("case", "pods", "first_s", "warm_s")
            )
        )
    result = {
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform()},
        "date": time.strftime("%Y-%m-%d"),
        "rows": rows,
    }
    out = REPO / "benchmarks" / "results" / "autoscaling.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
