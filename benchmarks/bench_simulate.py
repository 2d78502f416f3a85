"""Benchmark ``podcap.simulate``: the vectorized engine against the pod-by-pod reference.

Peak memory is what numpy and Python allocate during one fast simulation (tracemalloc), measured
in a separate run from the timing.

Fleets of mixed instance types (24 node groups, 3 zones, half with prefix delegation) with two
DaemonSets and one Deployment.  Each case runs in a child process; the reference engine is
stopped after ``--reference-timeout`` seconds.  Prints a table and writes JSON to
``benchmarks/results/simulate.json``.

Usage::

    python benchmarks/bench_simulate.py [--quick]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import platform
import time
import tracemalloc
from pathlib import Path
from typing import Any

TYPES = (
    "m5.large",
    "m5.xlarge",
    "m5.2xlarge",
    "c5.xlarge",
    "c5.2xlarge",
    "r5.large",
    "r5.xlarge",
    "m6g.large",
    "m6g.xlarge",
    "c6g.2xlarge",
    "t3.large",
    "m5.4xlarge",
)
CASES = ((240, 2_000), (1_000, 10_000), (10_000, 100_000), (100_000, 1_000_000), (100_000, 100_000))


def _inputs(nodes: int, replicas: int) -> tuple[Any, list[dict[str, Any]]]:
    import podcap

    groups = 24
    cluster = podcap.Cluster(
        podcap.NodeGroup(
            f"g{i}",
            TYPES[i % len(TYPES)],
            nodes // groups + (1 if i < nodes % groups else 0),
            zones=["us-east-1a", "us-east-1b", "us-east-1c"],
            cni=podcap.VpcCni(prefix_delegation=i % 2 == 0),
        )
        for i in range(groups)
    )

    def pod(cpu: str, mem: str, **extra: Any) -> dict[str, Any]:
        return {
            "containers": [{"name": "c", "resources": {"requests": {"cpu": cpu, "memory": mem}}}],
            **extra,
        }

    manifests = [
        {
            "kind": "DaemonSet",
            "metadata": {"name": "node-agent", "namespace": "kube-system"},
            "spec": {
                "template": {
                    "metadata": {"labels": {"app": "node-agent"}},
                    "spec": pod(
                        "50m", "64Mi", hostNetwork=True, tolerations=[{"operator": "Exists"}]
                    ),
                }
            },
        },
        {
            "kind": "DaemonSet",
            "metadata": {"name": "log-shipper", "namespace": "kube-system"},
            "spec": {
                "template": {
                    "metadata": {"labels": {"app": "log-shipper"}},
                    "spec": pod("100m", "128Mi"),
                }
            },
        },
        {
            "kind": "Deployment",
            "metadata": {"name": "web"},
            "spec": {
                "replicas": replicas,
                "template": {"metadata": {"labels": {"app": "web"}}, "spec": pod("100m", "128Mi")},
            },
        },
    ]
    return cluster, manifests


def _run(nodes: int, replicas: int, engine: str, queue: Any) -> None:
    import podcap

    cluster, manifests = _inputs(nodes, replicas)
    start = time.perf_counter()
    result = podcap.simulate(cluster, manifests, engine=engine)  # type: ignore[arg-type]
    first = time.perf_counter() - start  # includes loading the compiled kernels
    seconds = first
    if engine == "fast":  # a warm call, as in a notebook or a sweep
        start = time.perf_counter()
        result = podcap.simulate(cluster, manifests, engine=engine)  # type: ignore[arg-type]
        seconds = time.perf_counter() - start
    peak = float("nan")
    if engine == "fast":  # memory in a second, traced run (tracing slows Python code down)
        tracemalloc.start()
        podcap.simulate(cluster, manifests, engine="fast")
        peak = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
    web = result.workloads.set_index("name").loc["web"]
    queue.put(
        {
            "seconds": seconds,
            "first_call_seconds": first,
            "peak_mib": peak,
            "running": int(web["running"]),
            "pending": int(web["pending"]),
            "nodes": result.nodes["pods"].to_numpy().tolist(),
        }
    )


def _timed(nodes: int, replicas: int, engine: str, timeout: float) -> dict[str, Any] | None:
    import queue as queue_mod

    queue: Any = mp.Queue()
    proc = mp.Process(target=_run, args=(nodes, replicas, engine, queue))
    proc.start()
    try:
        result: dict[str, Any] | None = queue.get(timeout=timeout)  # before join: large payloads
    except queue_mod.Empty:
        result = None
    if proc.is_alive():
        proc.terminate()
    proc.join()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reference-timeout", type=float, default=60.0)
    parser.add_argument("--quick", action="store_true", help="only the two smallest cases")
    parser.add_argument(
        "--out", type=Path, default=Path(__file__).parent / "results" / "simulate.json"
    )
    args = parser.parse_args()
    rows = []
    cases = CASES[:2] if args.quick else CASES
    print(
        f"{'nodes':>8} {'replicas':>10} {'fast s':>8} {'1st call':>8} {'peak MiB':>9} {'ref s':>8} "
        f"{'ratio':>7} {'same':>5}"
    )
    for nodes, replicas in cases:
        fast = _timed(nodes, replicas, "fast", 600)
        attempted = nodes * replicas <= 10**8  # larger cases would take hours pod by pod
        ref = _timed(nodes, replicas, "reference", args.reference_timeout) if attempted else None
        assert fast is not None
        same = None if ref is None else ref["nodes"] == fast["nodes"]
        row = {
            "nodes": nodes,
            "replicas": replicas,
            "fast_seconds": fast["seconds"],
            "fast_first_call_seconds": fast["first_call_seconds"],
            "fast_peak_mib": fast["peak_mib"],
            "running": fast["running"],
            "pending": fast["pending"],
            "reference_seconds": None if ref is None else ref["seconds"],
            "ratio": None if ref is None else ref["seconds"] / fast["seconds"],
            "identical_placement": same,
            "reference_attempted": attempted,
        }
        rows.append(row)
        if ref:
            ref_s = f"{ref['seconds']:8.2f}"
        else:
            ref_s = f"{'>' + str(int(args.reference_timeout)) if attempted else 'skipped':>8}"
        ratio = f"{row['ratio']:7.0f}" if ref else f"{'-':>7}"
        print(
            f"{nodes:>8,} {replicas:>10,} {fast['seconds']:8.3f} {fast['first_call_seconds']:8.3f} "
            f"{fast['peak_mib']:9.1f} {ref_s} {ratio} {same!s:>5}",
            flush=True,
        )
    result = {
        "machine": {
            "platform": platform.platform(),
            "python": platform.python_version(),
            "cpus": mp.cpu_count(),
        },
        "cases": rows,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
