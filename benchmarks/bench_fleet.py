"""Fleet-scale benchmark runner: every case in its own process, beside the reference engine and
the real kube-scheduler.

Cases (each in a fresh interpreter, so first calls, imports and peak memory are the case's own):

* the fleet cases, on 100,000 nodes in 50 node groups of 10 instance types over 3 zones: one
  Deployment of 1,000,000 replicas (the headline); 100 Deployments x 10,000 replicas in 6
  request shapes; 1,000,000 replicas with a zone spread maxSkew 1 DoNotSchedule; 1,000,000
  replicas with the default soft spreading and preferred hostname anti-affinity; 100,000
  replicas with required hostname anti-affinity.  Each is timed with the fast engine (first call
  in the process, then the median of three warm calls), its memory measured (the process's peak resident set,
  ``VmHWM``, inputs and all three calls included, and what numpy and Python allocate during one
  call, from ``tracemalloc`` in a separate call), and run again at 300 nodes with the same pods per node through both engines:
  the reference engine (the oracle, pod by pod) and the fast engine must give the same counts
  and the same placements there;
* ``read_cluster`` of a kubectl snapshot of 10,000 nodes / 100,000 pods, ``podcap check`` of
  200 small Deployments on 3 nodes (first call in a fresh process, import included, then warm),
  and ``import podcap``;
* how time grows: one Deployment, time against nodes (1,000 to 100,000 nodes, 10,000 replicas)
  and against pods (10,000 to 1,000,000 replicas on 100,000 nodes), with the log-log slope
  between neighbouring points;
* the real scheduler's shape: the kube-scheduler harness's synthetic cluster (N nodes of 3920m /
  15147324Ki / 110 pods over 3 zones, one Deployment of 100m / 128Mi pods) at 100, 1,000 and
  5,000 nodes, through podcap's fast and reference engines and, with ``--harness PATH`` (a
  kube-scheduler-peer binary), through the real kube-scheduler v1.34.1 in its queue and direct
  modes.  Without ``--harness`` the real scheduler's figures are read from
  ``benchmarks/realsched_throughput.json`` (measured on this machine, with its date);
  with it they are measured in this run and that file is rewritten.

Writes ``benchmarks/results/fleet.json`` and ``benchmarks/results/fleet.md`` (the tables
printed).  The default run takes a few minutes on 2 cores (more with ``--harness``); it is not
part of the test suite.

Usage::

    python benchmarks/bench_fleet.py [--quick] [--harness PATH] [--repeat-harness 3]
"""

from __future__ import annotations

import argparse
import datetime
import hashlib
import itertools
import json
import math
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
REALSCHED = HERE / "realsched_throughput.json"
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
    "t3.large",
)
ZONES = ("us-east-1a", "us-east-1b", "us-east-1c")
SHAPES = (
    ("50m", "64Mi"),
    ("100m", "128Mi"),
    ("100m", "512Mi"),
    ("250m", "256Mi"),
    ("200m", "1Gi"),
    ("500m", "512Mi"),
)
SMALL_NODES = 300  # where the reference engine runs each fleet case
# (name, replicas per 100,000 nodes, target on 100,000 nodes [s])
FLEET = (
    ("headline", 1_000_000, 0.2),
    ("100-deployments", 1_000_000, 1.0),
    ("zone-donotschedule", 1_000_000, 1.0),
    ("soft-spread-preferred-anti-affinity", 1_000_000, 2.0),
    ("required-anti-affinity", 100_000, 0.3),
)
LABELS = {
    "headline": "1 Deployment, 1,000,000 replicas",
    "100-deployments": "100 Deployments x 10,000 replicas, 6 request shapes",
    "zone-donotschedule": "1,000,000 replicas, zone spread maxSkew 1 DoNotSchedule",
    "soft-spread-preferred-anti-affinity": (
        "1,000,000 replicas, default soft spreading + preferred hostname anti-affinity"
    ),
    "required-anti-affinity": "100,000 replicas, required hostname anti-affinity",
}
GROWTH_NODES = (1_000, 3_000, 10_000, 30_000, 100_000)
GROWTH_PODS = (10_000, 30_000, 100_000, 300_000, 1_000_000)
SYNTH = ((100, 1_000), (1_000, 5_000), (5_000, 10_000))


# ---------------------------------------------------------------- inputs


def _deployment(name: str, replicas: int, cpu: str, memory: str, **spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": "default"},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {
                    "containers": [
                        {
                            "name": "c",
                            "image": "registry.k8s.io/pause:3.10",
                            "resources": {"requests": {"cpu": cpu, "memory": memory}},
                        }
                    ],
                    **spec,
                },
            },
        },
    }


def fleet(nodes: int) -> Any:
    """``nodes`` nodes in 50 node groups of 10 instance types, each over 3 zones."""
    import podcap

    groups = 50
    return podcap.Cluster(
        podcap.NodeGroup(
            f"ng-{i}",
            TYPES[i % len(TYPES)],
            nodes // groups + (1 if i < nodes % groups else 0),
            zones=ZONES,
        )
        for i in range(groups)
    )


def fleet_manifests(case: str, nodes: int) -> list[dict[str, Any]]:
    """The manifests of a fleet case, scaled to ``nodes`` (the same pods per node)."""
    per = dict((name, replicas) for name, replicas, _ in FLEET)[case]
    replicas = max(1, per * nodes // 100_000)
    anti = {
        "labelSelector": {"matchLabels": {"app": "web"}},
        "topologyKey": "kubernetes.io/hostname",
    }
    if case == "headline":
        return [_deployment("web", replicas, "100m", "128Mi")]
    if case == "100-deployments":
        each = max(1, replicas // 100)
        return [_deployment(f"app-{i:03d}", each, *SHAPES[i % len(SHAPES)]) for i in range(100)]
    if case == "zone-donotschedule":
        spread = {
            "maxSkew": 1,
            "topologyKey": "topology.kubernetes.io/zone",
            "whenUnsatisfiable": "DoNotSchedule",
            "labelSelector": {"matchLabels": {"app": "web"}},
        }
        return [_deployment("web", replicas, "100m", "128Mi", topologySpreadConstraints=[spread])]
    if case == "soft-spread-preferred-anti-affinity":
        affinity = {
            "podAntiAffinity": {
                "preferredDuringSchedulingIgnoredDuringExecution": [
                    {"weight": 100, "podAffinityTerm": anti}
                ]
            }
        }
        return [_deployment("web", replicas, "100m", "128Mi", affinity=affinity)]
    if case == "required-anti-affinity":
        affinity = {"podAntiAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [anti]}}
        return [_deployment("web", replicas, "100m", "128Mi", affinity=affinity)]
    raise ValueError(case)


def synth(nodes: int) -> Any:
    """The kube-scheduler harness's synthetic cluster (``-synth-nodes``) as a podcap Cluster."""
    import podcap

    return podcap.Cluster(
        [
            podcap.NodeGroup(
                "synth",
                "m5.xlarge",
                nodes,
                zones=ZONES,
                overhead="none",
                allocatable={
                    "cpu": 3920,
                    "memory": 15147324 * 1024,
                    "pods": 110,
                    "ephemeral-storage": 76224326324,
                },
            )
        ]
    )


# ---------------------------------------------------------------- children


def _summary(result: Any) -> dict[str, Any]:
    """Counts per workload and a digest of the placements (to compare engines)."""
    w = result.workloads
    outcome = ["running", "pending", "container_creating", "not_created", "rejected"]
    placed = result.placements.sort_values(["namespace", "name", "node"])
    text = placed[["namespace", "name", "node", "pods"]].to_csv(index=False)
    return {
        "desired": int(w["desired"].sum()),
        "running": int(w["running"].sum()),
        "pending": int(w["pending"].sum()),
        "counts": {
            f"{r.namespace}/{r.name}": [int(getattr(r, c)) for c in ["desired", *outcome]]
            for r in w.itertuples()
        },
        "outcomes_sum_to_desired": bool((w[outcome].sum(axis=1) == w["desired"]).all()),
        "placement_sha256": hashlib.sha256(text.encode()).hexdigest(),
    }


def _child_simulate(params: dict[str, Any]) -> dict[str, Any]:
    import warnings

    start = time.perf_counter()
    import podcap

    import_seconds = time.perf_counter() - start
    warnings.simplefilter("ignore", podcap.PodcapWarning)
    nodes, engine = params["nodes"], params["engine"]
    start = time.perf_counter()
    if params["case"] == "synth":
        cluster = synth(nodes)
        manifests = [_deployment("web", params["pods"], "100m", "128Mi")]
    else:
        cluster = fleet(nodes)
        manifests = (
            [_deployment("web", params["pods"], "100m", "128Mi")]
            if params["case"] == "growth"
            else fleet_manifests(params["case"], nodes)
        )
    inputs_seconds = time.perf_counter() - start
    start = time.perf_counter()
    result = podcap.simulate(cluster, manifests, engine=engine)
    out: dict[str, Any] = {
        "import_seconds": import_seconds,
        "inputs_seconds": inputs_seconds,
        "first_seconds": time.perf_counter() - start,
    }
    if params.get("warm"):
        warm = []
        for _ in range(3):
            start = time.perf_counter()
            result = podcap.simulate(cluster, manifests, engine=engine)
            warm.append(time.perf_counter() - start)
        out["warm_seconds"] = sorted(warm)[1]  # the median of three
        out["warm_runs"] = warm
    if params.get("trace"):
        import tracemalloc

        tracemalloc.start()
        podcap.simulate(cluster, manifests, engine=engine)
        out["traced_peak_mib"] = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
    out.update(_summary(result))
    return out


def _child_make_snapshot(params: dict[str, Any]) -> dict[str, Any]:
    sys.path.insert(0, str(HERE))
    import bench_snapshot

    nodes, pods, _ = bench_snapshot.make_snapshot(params["nodes"], params["pods"])
    (Path(params["directory"]) / "nodes.json").write_text(json.dumps(nodes))
    (Path(params["directory"]) / "pods.json").write_text(json.dumps(pods))
    return {}


def _child_snapshot(params: dict[str, Any]) -> dict[str, Any]:
    import warnings

    import podcap

    warnings.simplefilter("ignore", podcap.PodcapWarning)
    times, state = [], None
    for _ in range(4):
        start = time.perf_counter()
        state = podcap.read_cluster(params["directory"], system_pods=False)
        times.append(time.perf_counter() - start)
    return {
        "first_seconds": times[0],
        "warm_seconds": sorted(times[1:])[1],  # the median of three
        "repr": type(state).__name__,
    }


def _child_check(params: dict[str, Any]) -> dict[str, Any]:
    sys.path.insert(0, str(HERE))
    import bench_check

    docs = bench_check.manifests(params["deployments"])
    start = time.perf_counter()
    import podcap

    report = podcap.check(bench_check.cluster(), docs)
    first = time.perf_counter() - start
    warm = []
    for _ in range(3):
        start = time.perf_counter()
        podcap.check(bench_check.cluster(), docs)
        warm.append(time.perf_counter() - start)
    return {
        "first_seconds": first,
        "warm_seconds": sorted(warm)[1],  # the median of three
        "failing": len(report.findings),
        "answer": str(report).splitlines()[:3],
    }


def _child_import(params: dict[str, Any]) -> dict[str, Any]:
    start = time.perf_counter()
    import podcap  # noqa: F401

    return {"first_seconds": time.perf_counter() - start}


CHILDREN = {
    "simulate": _child_simulate,
    "make_snapshot": _child_make_snapshot,
    "snapshot": _child_snapshot,
    "check": _child_check,
    "import": _child_import,
}


# ---------------------------------------------------------------- processes


def _spawn(argv: list[str], timeout: float) -> tuple[str | None, float, float, str]:
    """Run ``argv``: its stdout (None on timeout or failure), wall time [s], peak RSS [MiB] and
    what went wrong ("" when nothing did)."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(argv, stdout=out, stderr=err)
        deadline = start + timeout
        status, usage = 0, None
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if time.perf_counter() > deadline:
                proc.kill()
                os.wait4(proc.pid, 0)
                proc.returncode = -9
                return None, time.perf_counter() - start, math.nan, f"no answer in {timeout:.0f} s"
            time.sleep(0.02)
        proc.returncode = os.waitstatus_to_exitcode(status)
        wall = time.perf_counter() - start
        rss = usage.ru_maxrss / 1024  # KiB on Linux
        if proc.returncode != 0:
            err.seek(0)
            sys.stderr.write(err.read().decode(errors="replace")[-2000:])
            return None, wall, rss, f"failed (exit {proc.returncode})"
        out.seek(0)
        return out.read().decode(), wall, rss, ""


FAILURES: list[str] = []  # the cases without a result, and why


def child(kind: str, timeout: float, **params: Any) -> dict[str, Any] | None:
    """Run one case in a fresh interpreter: its result with ``wall_seconds`` and
    ``peak_rss_mib``, or None (then the case and the reason are added to ``FAILURES``)."""
    text, wall, rss, why = _spawn(
        [sys.executable, str(Path(__file__).resolve()), "--child", kind, json.dumps(params)],
        timeout,
    )
    if text is None:
        FAILURES.append(f"{kind} {params}: {why}")
        print(FAILURES[-1], file=sys.stderr, flush=True)
        return None
    result: dict[str, Any] = json.loads(text.strip().splitlines()[-1])
    result.update({"wall_seconds": wall, "peak_rss_mib": result.pop("vm_hwm_mib", rss)})
    return result


def harness(binary: str, nodes: int, pods: int, mode: str, timeout: float) -> dict[str, Any]:
    text, wall, rss, why = _spawn(
        [binary, "-synth-nodes", str(nodes), "-synth-pods", str(pods), "-mode", mode], timeout
    )
    if text is None:
        return {"seconds": None, "wall_seconds": wall, "failed": why}
    doc = json.loads(text)
    scheduled = sum(w["scheduled"] for w in doc["workloads"].values())
    return {
        "seconds": doc["seconds"],
        "scheduled": scheduled,
        "pods_per_second": scheduled / doc["seconds"],
        "wall_seconds": wall,
        "peak_rss_mib": rss,
    }


# ---------------------------------------------------------------- formatting


def _s(value: float | None, digits: int = 3) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    if value >= 100:
        return f"{value:,.0f}"
    return f"{value:.{digits}f}"


def _rate(pods: int, seconds: float | None) -> str:
    return "-" if not seconds else f"{pods / seconds:,.0f}"


def _slopes(points: list[tuple[int, float | None]]) -> list[str]:
    out = ["-"]
    for (x0, t0), (x1, t1) in itertools.pairwise(points):
        if t0 and t1:
            out.append(f"{math.log(t1 / t0) / math.log(x1 / x0):.2f}")
        else:
            out.append("-")
    return out


def _vm_hwm_mib() -> float:
    """This process's peak resident set [MiB] (``VmHWM``: its own, not inherited over exec)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _machine() -> dict[str, Any]:
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    import numpy

    return {
        "platform": platform.platform(),
        "cpu": model,
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "numpy": numpy.__version__,
    }


# ---------------------------------------------------------------- main


def _fleet_rows(args: argparse.Namespace, lines: list[str]) -> list[dict[str, Any]]:
    rows = []
    lines += [
        "## Fleet cases (100,000 nodes, 50 groups, 10 types, 3 zones)",
        "",
        f"| case | pods | first call [s] | warm [s]: median over {args.processes} processes "
        "(range) of each one's median of 3 calls | target [s] | pods/s (warm) | peak RSS [MiB] | "
        f"traced peak [MiB] | running / pending | at {SMALL_NODES} nodes: reference [s] | "
        "fast [s] | same counts | same placements |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    nodes = args.nodes
    for case, _, target in FLEET:
        # the same case in several fresh processes: a process's timings are steady, but can
        # differ from the next process's (the measured range is reported)
        runs = [
            child(
                "simulate",
                args.timeout,
                case=case,
                nodes=nodes,
                engine="fast",
                warm=True,
                trace=(k == 0),
            )
            for k in range(args.processes)
        ]
        done = [r for r in runs if r is not None]
        big = done[0] if done else None
        warm_range = "-"
        if big is not None:
            per_process = sorted(r["warm_seconds"] for r in done)
            big["warm_seconds_per_process"] = per_process
            big["warm_seconds"] = per_process[(len(per_process) - 1) // 2]
            warm_range = f"{_s(big['warm_seconds'])} ({_s(per_process[0])}-{_s(per_process[-1])})"
        ref = child(
            "simulate", args.reference_timeout, case=case, nodes=SMALL_NODES, engine="reference"
        )
        small = child("simulate", args.timeout, case=case, nodes=SMALL_NODES, engine="fast")
        same_counts = same_place = None
        if ref is not None and small is not None:
            same_counts = ref["counts"] == small["counts"]
            same_place = ref["placement_sha256"] == small["placement_sha256"]
        row = {
            "case": case,
            "nodes": nodes,
            "target_seconds": target,
            "fast": big,
            "small_nodes": SMALL_NODES,
            "small_reference": ref,
            "small_fast": small,
            "same_counts_as_reference": same_counts,
            "same_placements_as_reference": same_place,
        }
        rows.append(row)
        desired = big["desired"] if big else 0
        lines.append(
            "| "
            + " | ".join(
                [
                    LABELS[case],
                    f"{desired:,}",
                    _s(big and big["first_seconds"]),
                    warm_range,
                    f"<= {target}",
                    _rate(desired, big and big["warm_seconds"]),
                    _s(big and big["peak_rss_mib"], 0),
                    _s(big and big["traced_peak_mib"], 0),
                    f"{big['running']:,} / {big['pending']:,}" if big else "-",
                    _s(ref["first_seconds"], 2) if ref else "no result",
                    _s(small and small["first_seconds"], 3),
                    str(same_counts),
                    str(same_place),
                ]
            )
            + " |"
        )
        print(lines[-1], flush=True)
    return rows


def _edge_rows(args: argparse.Namespace, lines: list[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    lines += [
        "",
        "## Edges",
        "",
        "| case | first call [s] | warm, median of 3 [s] | target [s] | peak RSS [MiB] |",
        "|---|---|---|---|---|",
    ]
    with tempfile.TemporaryDirectory() as tmp:
        snap_nodes, snap_pods = (10_000, 100_000) if not args.quick else (1_000, 10_000)
        child("make_snapshot", args.timeout, directory=tmp, nodes=snap_nodes, pods=snap_pods)
        snap = child("snapshot", args.timeout, directory=tmp)
    out["snapshot"] = {"nodes": snap_nodes, "pods": snap_pods, **(snap or {})}
    check = child("check", args.timeout, deployments=200)
    out["check"] = {"deployments": 200, **(check or {})}
    imports = [child("import", 60) for _ in range(5)]
    best = min((r["first_seconds"] for r in imports if r), default=None)
    out["import"] = {"best_of_5_seconds": best, "runs": imports}
    for label, row, target in (
        (f"`read_cluster`, kubectl snapshot {snap_nodes:,} nodes / {snap_pods:,} pods", snap, 0.5),
        ("`podcap check`, 200 Deployments on 3 nodes (first call: import included)", check, 3.0),
    ):
        lines.append(
            f"| {label} | {_s(row and row['first_seconds'])} | {_s(row and row['warm_seconds'])} "
            f"| <= {target} | {_s(row and row['peak_rss_mib'], 0)} |"
        )
        print(lines[-1], flush=True)
    lines.append(f"| `import podcap` (best of 5 processes) | {_s(best)} | - | <= 0.3 | - |")
    print(lines[-1], flush=True)
    return out


def _growth_rows(args: argparse.Namespace, lines: list[str]) -> dict[str, Any]:
    out: dict[str, Any] = {"vs_nodes": [], "vs_pods": []}
    pods_fixed, nodes_fixed = args.growth_pods, args.nodes
    node_points, pod_points = [], []
    for n in args.growth_nodes:
        r = child(
            "simulate",
            args.timeout,
            case="growth",
            nodes=n,
            pods=pods_fixed,
            engine="fast",
            warm=True,
        )
        out["vs_nodes"].append({"nodes": n, "pods": pods_fixed, **(r or {})})
        node_points.append((n, r and r["warm_seconds"]))
        print(
            f"growth: {n:,} nodes, {pods_fixed:,} pods: {_s(r and r['warm_seconds'])} s", flush=True
        )
    for p in args.growth_pod_counts:
        r = child(
            "simulate",
            args.timeout,
            case="growth",
            nodes=nodes_fixed,
            pods=p,
            engine="fast",
            warm=True,
        )
        out["vs_pods"].append({"nodes": nodes_fixed, "pods": p, **(r or {})})
        pod_points.append((p, r and r["warm_seconds"]))
        print(
            f"growth: {nodes_fixed:,} nodes, {p:,} pods: {_s(r and r['warm_seconds'])} s",
            flush=True,
        )
    lines += [
        "",
        f"## Time against nodes (one Deployment of {pods_fixed:,} x 100m / 128Mi, fast engine, warm)",
        "",
        "| nodes | seconds | pods/s | peak RSS [MiB] | log-log slope |",
        "|---|---|---|---|---|",
    ]
    for row, slope in zip(out["vs_nodes"], _slopes(node_points), strict=True):
        lines.append(
            f"| {row['nodes']:,} | {_s(row.get('warm_seconds'), 4)} | "
            f"{_rate(row['pods'], row.get('warm_seconds'))} | {_s(row.get('peak_rss_mib'), 0)} | {slope} |"
        )
    lines += [
        "",
        f"## Time against pods (one Deployment on {nodes_fixed:,} nodes, fast engine, warm)",
        "",
        "| pods | seconds | pods/s | peak RSS [MiB] | log-log slope |",
        "|---|---|---|---|---|",
    ]
    for row, slope in zip(out["vs_pods"], _slopes(pod_points), strict=True):
        lines.append(
            f"| {row['pods']:,} | {_s(row.get('warm_seconds'), 4)} | "
            f"{_rate(row['pods'], row.get('warm_seconds'))} | {_s(row.get('peak_rss_mib'), 0)} | {slope} |"
        )
    return out


def _real_rows(args: argparse.Namespace, lines: list[str]) -> dict[str, Any]:
    measured: dict[str, Any] | None = None
    if args.harness:
        cases = []
        for nodes, pods in args.synth:
            for mode in ("queue", "direct"):
                runs = [
                    harness(args.harness, nodes, pods, mode, args.timeout)
                    for _ in range(args.repeat_harness)
                ]
                rates = [r["pods_per_second"] for r in runs if r.get("seconds")]
                cases.append(
                    {
                        "nodes": nodes,
                        "pods": pods,
                        "mode": mode,
                        "pods_per_second": [min(rates), max(rates)] if rates else None,
                        "runs": runs,
                    }
                )
                print(f"real scheduler {mode}: {nodes:,} nodes, {pods:,} pods: {rates}", flush=True)
        measured = {
            "measured": datetime.date.today().isoformat(),
            "machine": _machine(),
            "scheduler": (
                "kube-scheduler v1.34.1 framework (k8s.io/kubernetes v1.34.1 as vendored in "
                "sigs.k8s.io/cluster-capacity @3cb0ea2898a6), default profile, through the "
                "kube-scheduler-peer harness (-synth-nodes N -synth-pods M); pods/s = pods bound "
                "/ the harness's timed region"
            ),
            "cases": cases,
        }
        REALSCHED.write_text(json.dumps(measured, indent=2) + "\n")
        real, source = measured, "measured in this run"
    elif REALSCHED.is_file():
        real = json.loads(REALSCHED.read_text())
        source = f"from {REALSCHED.name}, measured {real['measured']} on this machine type"
    else:
        real, source = {"cases": []}, "not available"
    rows = []
    for nodes, pods in args.synth:
        fast = child(
            "simulate", args.timeout, case="synth", nodes=nodes, pods=pods, engine="fast", warm=True
        )
        ref = None
        if nodes * pods <= args.reference_limit:
            ref = child(
                "simulate",
                args.reference_timeout,
                case="synth",
                nodes=nodes,
                pods=pods,
                engine="reference",
            )
        rows.append({"nodes": nodes, "pods": pods, "fast": fast, "reference": ref})
        print(
            f"synth {nodes:,} nodes, {pods:,} pods: fast {_s(fast and fast['warm_seconds'])} s, "
            f"reference {_s(ref and ref['first_seconds'])} s",
            flush=True,
        )
    lines += [
        "",
        "## Against the real kube-scheduler (the harness's synthetic cluster: 3920m / 110-pod "
        "nodes over 3 zones, one Deployment of 100m / 128Mi)",
        "",
        f"Real scheduler: {source}.",
        "",
        "| nodes | pods | real, queue mode [pods/s] | real, direct mode [pods/s] | podcap reference "
        "[pods/s] | podcap fast, first call [pods/s] | podcap fast, warm [pods/s] | same counts |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        nodes, pods, fast, ref = row["nodes"], row["pods"], row["fast"], row["reference"]
        got = {c["mode"]: c for c in real["cases"] if c["nodes"] == nodes and c["pods"] == pods}

        def span(mode: str, got: dict[str, Any] = got) -> str:
            c = got.get(mode)
            if not c or not c["pods_per_second"]:
                return "-"
            lo, hi = c["pods_per_second"]
            return f"{lo:,.0f}-{hi:,.0f}"

        same = None if not (fast and ref) else fast["counts"] == ref["counts"]
        refcell = (
            _rate(pods, ref["first_seconds"])
            if ref
            else ("no result" if nodes * pods <= args.reference_limit else "not run")
        )
        lines.append(
            f"| {nodes:,} | {pods:,} | {span('queue')} | {span('direct')} | {refcell} | "
            f"{_rate(pods, fast and fast['first_seconds'])} | {_rate(pods, fast and fast['warm_seconds'])} | {same} |"
        )
    return {"real": real, "real_source": source, "podcap": rows}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--child", nargs=2, metavar=("KIND", "JSON"), help=argparse.SUPPRESS)
    parser.add_argument("--quick", action="store_true", help="10,000 nodes instead of 100,000")
    parser.add_argument("--harness", help="kube-scheduler-peer binary: measure the real scheduler")
    parser.add_argument("--repeat-harness", type=int, default=3)
    parser.add_argument(
        "--processes", type=int, default=3, help="fresh processes per fleet case (median reported)"
    )
    parser.add_argument("--timeout", type=float, default=300.0, help="per case [s]")
    parser.add_argument("--reference-timeout", type=float, default=120.0)
    parser.add_argument("--out", type=Path, default=RESULTS / "fleet.json")
    args = parser.parse_args()
    if args.child:
        kind, params = args.child
        out = CHILDREN[kind](json.loads(params))
        out["vm_hwm_mib"] = _vm_hwm_mib()
        print(json.dumps(out))
        return
    args.nodes = 10_000 if args.quick else 100_000
    args.growth_nodes = GROWTH_NODES[:3] if args.quick else GROWTH_NODES
    args.growth_pods = 10_000
    args.growth_pod_counts = GROWTH_PODS[:3] if args.quick else GROWTH_PODS
    args.synth = SYNTH[:2] if args.quick else SYNTH
    args.reference_limit = 5_000_000  # nodes x pods the reference engine is given
    started = time.perf_counter()
    machine = _machine()
    today = datetime.date.today().isoformat()
    lines = [
        f"# Fleet benchmarks ({today})",
        "",
        f"Machine: {machine['cpu'] or 'unknown cpu'}, {machine['cpus']} cores, "
        f"{machine['platform']}, Python {machine['python']}, NumPy {machine['numpy']}. "
        "Every case ran in its own process, one after another, in this run.",
        "",
    ]
    doc: dict[str, Any] = {"date": today, "machine": machine}
    doc["fleet"] = _fleet_rows(args, lines)
    doc["edges"] = _edge_rows(args, lines)
    doc["growth"] = _growth_rows(args, lines)
    doc["real_scheduler"] = _real_rows(args, lines)
    doc["runner_seconds"] = time.perf_counter() - started
    doc["failures"] = FAILURES
    if FAILURES:
        lines += ["", "Cases without a result: " + "; ".join(FAILURES) + "."]
    lines += ["", f"Whole run: {doc['runner_seconds']:.0f} s."]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(doc, indent=2) + "\n")
    args.out.with_suffix(".md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    print(f"wrote {args.out} and {args.out.with_suffix('.md')}")


if __name__ == "__main__":
    main()
