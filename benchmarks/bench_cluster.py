"""Benchmark ``podcap.Cluster(...)`` construction against the number of node groups.

Node groups of 10 instance types over 3 zones, each with its node names and a subnet per zone
(the validation a Cluster does: instance types, unique group names, disjoint subnets, unique
node names).  The groups are built first; ``Cluster(groups)`` is timed (best of
``--repeat``), then ``ClusterState.of(cluster)`` (the fleet built, every node given its primary
address in its group's subnet) up to ``--max-state-groups``.  Linear work keeps the time per
group flat as groups grow.  Prints a table and writes JSON to
``benchmarks/results/cluster.json``.

Usage::

    python benchmarks/bench_cluster.py [--repeat 3] [--max-groups 64000] [--max-state-groups 16000]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from pathlib import Path

import podcap

TYPES = ("m5.large", "m5.xlarge", "c5.xlarge", "r5.large", "t3.large")
ZONES = ("us-east-1a", "us-east-1b", "us-east-1c")


def groups(n: int) -> list[podcap.NodeGroup]:
    """``n`` node groups of 2 named nodes, each with a /26 in each of its 3 zones."""
    out = []
    for i in range(n):
        subnets = []
        for z, zone in enumerate(ZONES):
            j = 3 * i + z  # the j-th /26 of 10.0.0.0/8
            cidr = f"10.{j >> 10}.{(j >> 2) & 255}.{(j & 3) * 64}/26"
            subnets.append(podcap.Subnet(cidr, zone))
        out.append(
            podcap.NodeGroup(
                f"g{i}",
                TYPES[i % len(TYPES)],
                2,
                zones=list(ZONES),
                subnets=subnets,
                node_names=[f"g{i}-a", f"g{i}-b"],
            )
        )
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--max-groups", type=int, default=64_000)
    parser.add_argument("--max-state-groups", type=int, default=16_000)
    parser.add_argument(
        "--out", type=Path, default=Path(__file__).parent / "results" / "cluster.json"
    )
    args = parser.parse_args()
    podcap.Cluster(groups(1))  # load the instance table outside the timings
    rows = []
    print(
        f"{'groups':>8} {'Cluster() s':>12} {'us per group':>13} "
        f"{'ClusterState.of s':>18} {'us per group':>13}"
    )
    for n in (k for k in (1_000, 4_000, 16_000, 64_000) if k <= args.max_groups):
        built = groups(n)
        best = float("inf")
        for _ in range(args.repeat):
            start = time.perf_counter()
            podcap.Cluster(built)
            best = min(best, time.perf_counter() - start)
        row: dict[str, float] = {"groups": n, "seconds": best, "us_per_group": best / n * 1e6}
        line = f"{n:>8,} {best:12.3f} {best / n * 1e6:13.1f}"
        if n <= args.max_state_groups:
            cluster = podcap.Cluster(built)
            state = float("inf")
            for _ in range(args.repeat):
                start = time.perf_counter()
                podcap.ClusterState.of(cluster)
                state = min(state, time.perf_counter() - start)
            row.update(state_seconds=state, state_us_per_group=state / n * 1e6)
            line += f" {state:18.3f} {state / n * 1e6:13.1f}"
        rows.append(row)
        print(line, flush=True)
    result = {
        "machine": {
            "platform": platform.platform(),
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
        },
        "cases": rows,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
