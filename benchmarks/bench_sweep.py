"""Benchmark sweeps: many cases over a 1,000-node fleet, serially and on a process pool.

Prints a table and writes JSON to ``benchmarks/results/sweep.json``.

Usage::

    python benchmarks/bench_sweep.py [--cases 10000] [--nodes 1000] [--workers 2]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import podcap

TYPES = ("m5.large", "m5.xlarge", "c5.xlarge", "r5.large", "m6g.large", "t3.large")


def _inputs(nodes: int) -> tuple[podcap.Cluster, list[dict[str, Any]]]:
    groups = 10
    cluster = podcap.Cluster(
        podcap.NodeGroup(
            f"g{i}",
            TYPES[i % len(TYPES)],
            nodes // groups,
            zones=["us-east-1a", "us-east-1b", "us-east-1c"],
        )
        for i in range(groups)
    )

    def pod(cpu: str, mem: str) -> dict[str, Any]:
        return {
            "containers": [{"name": "c", "resources": {"requests": {"cpu": cpu, "memory": mem}}}]
        }

    manifests = [
        {
            "kind": "DaemonSet",
            "metadata": {"name": "agent", "namespace": "kube-system"},
            "spec": {
                "template": {"metadata": {"labels": {"app": "agent"}}, "spec": pod("50m", "64Mi")}
            },
        },
        {
            "kind": "Deployment",
            "metadata": {"name": "web"},
            "spec": {
                "replicas": 5000,
                "template": {"metadata": {"labels": {"app": "web"}}, "spec": pod("100m", "128Mi")},
            },
        },
    ]
    return cluster, manifests


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=10_000)
    parser.add_argument("--nodes", type=int, default=1_000)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    parser.add_argument(
        "--out", type=Path, default=Path(__file__).parent / "results" / "sweep.json"
    )
    args = parser.parse_args()
    cluster, manifests = _inputs(args.nodes)
    ms = podcap.load_manifests(manifests)
    replicas = list(range(1000, 1000 + args.cases))
    vary = {"web.replicas": replicas}
    start = time.perf_counter()
    serial = podcap.sweep(cluster, ms, vary, progress=False)
    serial_s = time.perf_counter() - start
    start = time.perf_counter()
    with ProcessPoolExecutor(max_workers=args.workers) as pool:
        parallel = podcap.sweep(cluster, ms, vary, executor=pool, progress=False)
    pool_s = time.perf_counter() - start
    same = serial.equals(parallel)
    result = {
        "machine": {
            "platform": platform.platform(),
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
        },
        "cases": args.cases,
        "nodes": args.nodes,
        "serial_seconds": serial_s,
        "pool_seconds": pool_s,
        "pool_workers": args.workers,
        "seconds_per_case_serial": serial_s / args.cases,
        "speedup": serial_s / pool_s,
        "identical": same,
    }
    print(
        f"{args.cases:,} cases x {args.nodes:,} nodes: serial {serial_s:.1f} s "
        f"({1000 * serial_s / args.cases:.1f} ms/case), process pool ({args.workers} workers) "
        f"{pool_s:.1f} s, speed-up {serial_s / pool_s:.2f}x, identical: {same}"
    )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
