"""Benchmark subnet accounting: warm pools and address allocation for 100,000 nodes.

Every node holds its steady-state warm pool (secondary IPs for half the node groups, /28 prefixes
for the other half) and takes its addresses from /16 subnets in node order.  Prints a table and
writes JSON to ``benchmarks/results/subnets.json``.

Usage::

    python benchmarks/bench_subnets.py [--nodes 100000]
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from pathlib import Path

import numpy as np

import podcap
from podcap.kernels.addresses import allocate_prefixes, allocate_singles
from podcap.model.ipam import node_pool
from podcap.model.subnets import NODE, POD


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nodes", type=int, default=100_000)
    parser.add_argument(
        "--out", type=Path, default=Path(__file__).parent / "results" / "subnets.json"
    )
    args = parser.parse_args()
    n = args.nodes
    rng = np.random.default_rng(0)
    pods = rng.integers(0, 60, size=n)
    # m5.xlarge: 4 ENIs x 15 IPv4; maxPods 58 (secondary) or 110 (prefixes)
    half = n // 2
    start = time.perf_counter()
    sec = node_pool(
        np.full(half, 4),
        np.full(half, 15),
        np.ones(half, bool),
        np.ones(half, bool),
        np.minimum(pods[:half], 56),
        np.full(half, 58),
        podcap.VpcCni(),
    )
    pfx = node_pool(
        np.full(n - half, 4),
        np.full(n - half, 15),
        np.ones(n - half, bool),
        np.ones(n - half, bool),
        pods[half:],
        np.full(n - half, 110),
        podcap.VpcCni(prefix_delegation=True),
    )
    pool_seconds = time.perf_counter() - start
    need = int(sec.subnet_addresses.sum() + pfx.subnet_addresses.sum())
    subnets = [podcap.Subnet(f"10.{i}.0.0/16", "us-east-1a") for i in range(need // 60_000 + 2)]
    states = [s.initial_state() for s in subnets]
    start = time.perf_counter()
    # nodes are spread over the subnets in contiguous slices, each served in node order
    bounds = np.linspace(0, n, len(states) + 1).astype(int)
    singles = np.concatenate(
        [1 + sec.extra_eni_primaries + sec.secondary_ips, 1 + pfx.extra_eni_primaries]
    )
    prefixes = np.concatenate([np.zeros(half, np.int64), pfx.prefixes])
    granted_singles = 0
    granted_prefixes = 0
    for st, lo, hi in zip(states, bounds[:-1], bounds[1:], strict=True):
        granted_singles += int(allocate_singles(st, singles[lo:hi], NODE).sum())
        granted_prefixes += int(allocate_prefixes(st, prefixes[lo:hi], POD).sum())
    alloc_seconds = time.perf_counter() - start
    result = {
        "machine": {"platform": platform.platform(), "python": platform.python_version()},
        "nodes": n,
        "subnets": len(states),
        "addresses_needed": need,
        "single_addresses_granted": granted_singles,
        "prefixes_granted": granted_prefixes,
        "warm_pool_seconds": pool_seconds,
        "allocation_seconds": alloc_seconds,
    }
    print(f"nodes {n:,}, /16 subnets {len(states)}, addresses needed {need:,}")
    print(
        f"warm pools: {pool_seconds:.3f} s; allocation: {alloc_seconds:.3f} s "
        f"({granted_singles:,} single addresses, {granted_prefixes:,} prefixes)"
    )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
