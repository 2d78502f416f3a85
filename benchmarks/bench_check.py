"""Benchmark ``podcap check``: 200 small Deployments on 3 nodes.

Three m5.large nodes (EKS overhead: 1930m, 29 pods each) and 200 Deployments of 1 to 3
replicas requesting 50m to 250m cpu and 64Mi to 256Mi memory: about 400 pods for 87 pod slots,
so most workloads fail and the answer is one node-group size for all of them.  The check runs
in a fresh process (first call, as on the command line, and a second call); the benchmark then
verifies the answer independently: with the suggested node count every replica runs, and with
one node fewer some do not (``podcap.simulate``, outside the timing).

Prints a table and writes JSON to ``benchmarks/results/check.json``.

Usage::

    python benchmarks/bench_check.py [--deployments 200] [--timeout 1800] [--src path/to/src]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
CPU = ("50m", "100m", "150m", "250m")
MEMORY = ("64Mi", "128Mi", "256Mi")


def manifests(n: int) -> list[dict[str, Any]]:
    """``n`` Deployments of 1-3 replicas with small, varied requests, in 10 namespaces."""
    out: list[dict[str, Any]] = [
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": f"team-{i}"}}
        for i in range(10)
    ]
    for i in range(n):
        out.append(
            {
                "apiVersion": "apps/v1",
                "kind": "Deployment",
                "metadata": {"name": f"app-{i:03d}", "namespace": f"team-{i % 10}"},
                "spec": {
                    "replicas": 1 + i % 3,
                    "selector": {"matchLabels": {"app": f"app-{i:03d}"}},
                    "template": {
                        "metadata": {"labels": {"app": f"app-{i:03d}"}},
                        "spec": {
                            "containers": [
                                {
                                    "name": "app",
                                    "image": "app:1",
                                    "resources": {
                                        "requests": {
                                            "cpu": CPU[i % len(CPU)],
                                            "memory": MEMORY[(i // len(CPU)) % len(MEMORY)],
                                        }
                                    },
                                }
                            ]
                        },
                    },
                },
            }
        )
    return out


def cluster() -> Any:
    import podcap

    return podcap.Cluster(
        [
            podcap.NodeGroup(
                "workers", "m5.large", 3, zones=["us-east-1a", "us-east-1b", "us-east-1c"]
            )
        ]
    )


_CHILD = """
import json, sys, time
sys.path.insert(0, {bench!r})
import bench_check
t = time.perf_counter()
import podcap
docs = bench_check.manifests({n})
report = podcap.check(bench_check.cluster(), docs)
first = time.perf_counter() - t
second = None
if first < 60:  # a second call, warm (the slow algorithm of old is not run twice)
    t = time.perf_counter()
    podcap.check(bench_check.cluster(), docs)
    second = time.perf_counter() - t
print(json.dumps({{"first": first, "second": second, "text": str(report),
                   "failing": len(report.findings)}}))
"""


def _verify(text: str, n: int) -> dict[str, Any]:
    """Check the suggested node count with podcap.simulate: every replica runs with it, not
    with one node fewer."""
    import podcap

    m = re.search(r"scale node group (\S+) from (\d+) to (\d+) nodes", text)
    if m is None:
        return {"suggested_nodes": None, "all_run": None, "one_fewer_falls_short": None}
    suggested = int(m.group(3))
    docs = manifests(n)

    def all_run(count: int) -> bool:
        state = podcap.ClusterState.of(cluster()).change_node_group("workers", count=count)
        w = podcap.simulate(state, docs).workloads
        return bool((w["running"] == w["desired"]).all())

    return {
        "suggested_nodes": suggested,
        "all_run": all_run(suggested),
        "one_fewer_falls_short": not all_run(suggested - 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--deployments", type=int, default=200)
    parser.add_argument("--timeout", type=float, default=1800.0)
    parser.add_argument("--src", type=Path, default=REPO / "src", help="the package's parent")
    parser.add_argument(
        "--out", type=Path, default=Path(__file__).parent / "results" / "check.json"
    )
    args = parser.parse_args()
    env = dict(os.environ)
    env["PYTHONPATH"] = str(args.src.resolve()) + (
        os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else ""
    )
    code = _CHILD.format(bench=str(Path(__file__).parent), n=args.deployments)
    start = time.perf_counter()
    try:
        done = subprocess.run(
            [sys.executable, "-c", code],
            env=env,
            capture_output=True,
            text=True,
            check=True,
            timeout=args.timeout,
        )
        child = json.loads(done.stdout.strip().splitlines()[-1])
    except subprocess.TimeoutExpired:
        child = None
    wall = time.perf_counter() - start
    row: dict[str, Any] = {"deployments": args.deployments, "src": str(args.src.resolve())}
    if child is None:
        row.update({"first_call_seconds": None, "timed_out_after_seconds": args.timeout})
        print(f"check of {args.deployments} Deployments: no answer within {args.timeout:.0f} s")
    else:
        row.update(
            {
                "first_call_seconds": child["first"],
                "second_call_seconds": child["second"],
                "process_seconds": wall,
                "failing_workloads": child["failing"],
                "answer": child["text"].splitlines()[:3],
            }
        )
        row.update(_verify(child["text"], args.deployments))
        second = "-" if child["second"] is None else f"{child['second']:.2f} s"
        print(
            f"check of {args.deployments} Deployments on 3 nodes: first call "
            f"{child['first']:.2f} s (import included), second {second}; "
            f"{child['failing']} failing workloads"
        )
        print(
            f"suggested {row['suggested_nodes']} nodes; every replica runs with them: "
            f"{row['all_run']}; one node fewer falls short: {row['one_fewer_falls_short']}"
        )
    result = {
        "machine": {
            "platform": platform.platform(),
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
        },
        "cases": [row],
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
