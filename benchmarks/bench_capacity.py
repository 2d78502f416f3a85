"""Benchmark the vectorized capacity functions over many instance-type names.

Prints a table and writes JSON to ``benchmarks/results/capacity.json``.

Usage::

    python benchmarks/bench_capacity.py [--n 1000000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

import podcap


def _best_of(repeat: int, func: Callable[[], Any]) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        func()
        best = min(best, time.perf_counter() - start)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000, help="instance-type names per call")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--out", type=Path, default=Path(__file__).parent / "results" / "capacity.json"
    )
    args = parser.parse_args()

    table = podcap.instance_types()
    known = table.index[table["vcpus"].notna() & table["memory_mib"].notna()].to_numpy()
    rng = np.random.default_rng(0)
    names = rng.choice(known, size=args.n)
    podcap.max_pods(names[:10])  # load and cache the table outside the timings

    cases: dict[str, Callable[[], Any]] = {
        "max_pods eni-max-pods": lambda: podcap.max_pods(names),
        "max_pods calculator PD": lambda: podcap.max_pods(
            names, policy="calculator", prefix_delegation=True
        ),
        "max_pods karpenter": lambda: podcap.max_pods(names, policy="karpenter"),
        "pod_ip_capacity PD": lambda: podcap.pod_ip_capacity(names, prefix_delegation=True),
        "allocatable eks": lambda: podcap.allocatable(names),
        "allocatable karpenter": lambda: podcap.allocatable(names, overhead="karpenter"),
    }
    sample = names[:2000]
    scalar_time = _best_of(1, lambda: [podcap.max_pods(str(n)) for n in sample])
    rows = []
    for label, func in cases.items():
        seconds = _best_of(args.repeat, func)
        rows.append(
            {
                "case": label,
                "names": args.n,
                "seconds": seconds,
                "names_per_second": args.n / seconds,
            }
        )
    per_scalar = scalar_time / len(sample)
    result = {
        "machine": {
            "platform": platform.platform(),
            "processor": platform.processor(),
            "python": platform.python_version(),
            "numpy": np.__version__,
        },
        "cases": rows,
        "scalar_call_seconds": per_scalar,
        "vectorized_vs_scalar_loop_ratio_max_pods": per_scalar * args.n / rows[0]["seconds"],
    }
    print(f"{'case':28} {'names':>10} {'seconds':>9} {'names/s':>14}")
    for row in rows:
        print(
            f"{row['case']:28} {row['names']:>10,} {row['seconds']:>9.3f} {row['names_per_second']:>14,.0f}"
        )
    print(
        f"one scalar max_pods call: {per_scalar * 1e6:.1f} us; vectorized is "
        f"{result['vectorized_vs_scalar_loop_ratio_max_pods']:.0f}x a Python loop of scalar calls"
    )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
