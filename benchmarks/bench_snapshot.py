"""Benchmark reading a kubectl JSON snapshot: ``read_snapshot`` and ``read_cluster``.

A synthetic snapshot in the shape ``kubectl get nodes -o json`` and ``kubectl get pods -A -o
json`` print: 10,000 nodes of 10 instance types in 50 node groups over 3 zones (allocatable as
EKS reports it: cpu in millicores, memory in Ki), and 100,000 pods: aws-node and kube-proxy on
every node (DaemonSets, hostNetwork), Deployments' pods in 20 namespaces with requests and
limits spelt the many ways manifests spell them (``100m``, ``0.25``, ``1``, ``512Mi``, ``1Gi``,
``500M``, ``1.5Gi``, limits only, init containers, sidecars, none), plus a few finished Job pods
and unbound pods (skipped).  The generator keeps every request as an integer, so the benchmark
checks podcap's totals against it (an independent reference, not podcap's own parse).

Each case runs in a fresh child process (best of ``--repeat``).  Timed:

* ``json``: ``json.loads`` of the two files (Python's parser, outside podcap), as ``json.load``
  runs it and with the garbage collector paused (as ``read_snapshot`` decodes files);
* ``read_snapshot(objects)``: podcap's work on the objects, decoded once beforehand;
* ``read_snapshot(files)``: the same from the files (``json`` included);
* ``read_cluster(dir)``: the files to a :class:`podcap.ClusterState` (pods bound, the state's
  arrays built).

With ``--before SRC`` (the ``src`` directory of another version of podcap, e.g. one
extracted with ``git archive``), every case also runs on that code, side by side in the same
run on the same files.  Prints a table and writes JSON to ``benchmarks/results/snapshot.json``.

Usage::

    python benchmarks/bench_snapshot.py [--nodes 10000] [--pods 100000] [--repeat 3]
        [--before path/to/src]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import multiprocessing as mp
import platform
import random
import sys
import tempfile
import time
import warnings
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
    "t3.large",
)
ZONES = ("us-east-1a", "us-east-1b", "us-east-1c")
GROUPS = 50
NAMESPACES = 20

# (cpu text, millicores), (memory text, bytes): one request, spelt as manifests spell it
CPU = (("100m", 100), ("0.25", 250), ("1", 1000), ("500m", 500), ("50m", 50), ("1.5", 1500))
MEMORY = (
    ("128Mi", 128 << 20),
    ("256Mi", 256 << 20),
    ("1Gi", 1 << 30),
    ("500M", 500_000_000),
    ("1.5Gi", 3 << 29),
    ("64Mi", 64 << 20),
)


def _node(
    i: int, name: str, itype: str, zone: str, group: str, alloc: dict[str, int]
) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {
            "name": name,
            "uid": f"uid-{name}",
            "labels": {
                "kubernetes.io/hostname": name,
                "kubernetes.io/os": "linux",
                "kubernetes.io/arch": "arm64" if "g." in itype else "amd64",
                "node.kubernetes.io/instance-type": itype,
                "topology.kubernetes.io/zone": zone,
                "topology.kubernetes.io/region": zone[:-1],
                "eks.amazonaws.com/nodegroup": group,
                "eks.amazonaws.com/capacityType": "ON_DEMAND",
            },
        },
        "spec": {"providerID": f"aws:///{zone}/i-{i:017x}"},
        "status": {
            "capacity": {
                "cpu": str(alloc["cpu"] // 1000 + 1),
                "memory": f"{alloc['memory'] // 1024 + 700_000}Ki",
                "pods": str(alloc["pods"]),
            },
            "allocatable": {
                "cpu": f"{alloc['cpu']}m",
                "memory": f"{alloc['memory'] // 1024}Ki",
                "pods": str(alloc["pods"]),
                "ephemeral-storage": str(alloc["ephemeral-storage"]),
            },
            "conditions": [{"type": "Ready", "status": "True", "reason": "KubeletReady"}],
        },
    }


def _container(name: str, resources: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {
        "name": name,
        "image": f"registry.example.com/{name}:1.2.3",
        "imagePullPolicy": "IfNotPresent",
        "resources": resources,
        "terminationMessagePath": "/dev/termination-log",
        "volumeMounts": [
            {"name": "kube-api-access", "mountPath": "/var/run/secrets", "readOnly": True}
        ],
        **extra,
    }


def _pod(
    name: str,
    namespace: str,
    owner: tuple[str, str],
    node: str | None,
    containers: list[dict[str, Any]],
    *,
    init: list[dict[str, Any]] | None = None,
    host_network: bool = False,
    phase: str = "Running",
) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "containers": containers,
        "restartPolicy": "Always",
        "schedulerName": "default-scheduler",
        "serviceAccountName": "default",
        "priority": 0,
        "tolerations": [
            {"key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": "NoExecute"},
            {"key": "node.kubernetes.io/unreachable", "operator": "Exists", "effect": "NoExecute"},
        ],
    }
    if node:
        spec["nodeName"] = node
    if init:
        spec["initContainers"] = init
    if host_network:
        spec["hostNetwork"] = True
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": name,
            "namespace": namespace,
            "uid": f"uid-{namespace}-{name}",
            "labels": {"app": owner[1].rsplit("-", 1)[0]},
            "ownerReferences": [
                {"apiVersion": "apps/v1", "kind": owner[0], "name": owner[1], "controller": True}
            ],
        },
        "spec": spec,
        "status": {"phase": phase, "qosClass": "Burstable", "podIP": "10.0.0.1"},
    }


def make_snapshot(
    n_nodes: int, n_pods: int, seed: int = 0
) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """A kubectl snapshot and the reference totals it was built from.

    Returns
    -------
    nodes, pods : dict
        ``kind: List`` documents as kubectl prints them.
    expected : dict
        Per node name, the pods bound and their summed cpu [m] and memory [B] requests as the
        scheduler counts them (requests, else limits; init containers by KEP-753), from the
        generator's integers.
    """
    import podcap

    rng = random.Random(seed)
    alloc = {}
    for itype in TYPES:
        a = podcap.allocatable(itype).iloc[0]
        alloc[itype] = {
            "cpu": int(a["cpu_millicores"]),
            "memory": int(a["memory_mib"]) << 20,
            "pods": int(a["pods"]),
            "ephemeral-storage": int(a["ephemeral_storage_gib"] * 2**30),
        }
    nodes = []
    for i in range(n_nodes):
        g = i % GROUPS
        itype, zone = TYPES[g % len(TYPES)], ZONES[i % len(ZONES)]
        nodes.append(
            _node(
                i,
                f"ip-10-{i >> 16}-{(i >> 8) & 255}-{i & 255}.ec2.internal",
                itype,
                zone,
                f"ng-{g}",
                alloc[itype],
            )
        )
    names = [n["metadata"]["name"] for n in nodes]
    expected = {n: {"pods": 0, "cpu": 0, "memory": 0} for n in names}

    def book(node: str, cpu: int, memory: int) -> None:
        e = expected[node]
        e["pods"] += 1
        e["cpu"] += cpu
        e["memory"] += memory

    pods = []
    for node in names:  # DaemonSets: aws-node (two containers) and kube-proxy
        pods.append(
            _pod(
                f"aws-node-{node[3:]}",
                "kube-system",
                ("DaemonSet", "aws-node"),
                node,
                [
                    _container("aws-node", {"requests": {"cpu": "25m"}}),
                    _container("aws-eks-nodeagent", {"requests": {"cpu": "25m"}}),
                ],
                host_network=True,
            )
        )
        book(node, 50, 0)
        pods.append(
            _pod(
                f"kube-proxy-{node[3:]}",
                "kube-system",
                ("DaemonSet", "kube-proxy"),
                node,
                [_container("kube-proxy", {"requests": {"cpu": "100m"}})],
                host_network=True,
            )
        )
        book(node, 100, 0)
    rest = max(n_pods - len(pods), 0)
    replicas = 100
    d = 0
    while rest > 0:
        ns = f"team-{d % NAMESPACES}"
        rs = f"app-{d}-7d9f8c{d % 97:02d}"
        (cpu_t, cpu), (mem_t, mem) = CPU[d % len(CPU)], MEMORY[(d // len(CPU)) % len(MEMORY)]
        style = d % 5
        for r in range(min(replicas, rest)):
            node = names[rng.randrange(len(names))]
            init = None
            if style == 0:  # requests
                containers = [_container("app", {"requests": {"cpu": cpu_t, "memory": mem_t}})]
                c, m = cpu, mem
            elif style == 1:  # limits only: the limits stand in for requests
                containers = [_container("app", {"limits": {"cpu": cpu_t, "memory": mem_t}})]
                c, m = cpu, mem
            elif style == 2:  # two containers, and an init container larger than both
                containers = [
                    _container("app", {"requests": {"cpu": cpu_t, "memory": mem_t}}),
                    _container("proxy", {"requests": {"cpu": "10m", "memory": "32Mi"}}),
                ]
                init = [_container("migrate", {"requests": {"cpu": "2", "memory": "64Mi"}})]
                c, m = max(cpu + 10, 2000), max(mem + (32 << 20), 64 << 20)
            elif style == 3:  # a sidecar (restartPolicy Always init container)
                containers = [_container("app", {"requests": {"cpu": cpu_t, "memory": mem_t}})]
                init = [
                    _container(
                        "log",
                        {"requests": {"cpu": "20m", "memory": "16Mi"}},
                        restartPolicy="Always",
                    )
                ]
                c, m = cpu + 20, mem + (16 << 20)
            else:  # no requests (BestEffort)
                containers = [_container("app", {})]
                c, m = 0, 0
            pods.append(_pod(f"{rs}-{r:05x}", ns, ("ReplicaSet", rs), node, containers, init=init))
            book(node, c, m)
            rest -= 1
        d += 1
    # objects podcap skips: finished Job pods and a pod not bound to a node
    for j in range(20):
        pods.append(
            _pod(
                f"report-{j}",
                "batch",
                ("Job", f"report-{j}"),
                names[j],
                [_container("r", {})],
                phase="Succeeded",
            )
        )
    pods.append(
        _pod(
            "pending-0",
            "team-0",
            ("ReplicaSet", "app-x"),
            None,
            [_container("x", {})],
            phase="Pending",
        )
    )
    return (
        {"apiVersion": "v1", "kind": "List", "items": nodes, "metadata": {"resourceVersion": ""}},
        {"apiVersion": "v1", "kind": "List", "items": pods, "metadata": {"resourceVersion": ""}},
        expected,
    )


def _check(snap: Any, expected: dict[str, dict[str, int]]) -> dict[str, Any]:
    """podcap's totals per node against the generator's integers, and a digest of the whole
    snapshot read (existing pods with their dtypes, node groups, manifests, skipped)."""
    import pandas as pd

    e = snap.existing
    per_node = (
        e.assign(cpu=e["cpu_millicores"] * e["pods"], memory=e["memory_bytes"] * e["pods"])
        .groupby("node")[["pods", "cpu", "memory"]]
        .sum()
    )
    got = {
        str(k): {c: int(v[c]) for c in ("pods", "cpu", "memory")} for k, v in per_node.iterrows()
    }
    want = {k: v for k, v in expected.items() if v["pods"]}
    digest = hashlib.sha256()  # the whole result, to compare versions by
    digest.update(pd.util.hash_pandas_object(e).to_numpy().tobytes())
    for part in (list(e.columns), [str(t) for t in e.dtypes], snap.cluster.node_groups):
        digest.update(repr(part).encode())
    digest.update(repr((snap.manifests, snap.skipped)).encode())
    return {
        "nodes": snap.cluster.node_count,
        "node_groups": len(snap.cluster.node_groups),
        "pods": int(e["pods"].sum()),
        "rows": len(e),
        "skipped": len(snap.skipped),
        "totals_match_generator": got == want,
        "result_sha256": digest.hexdigest(),
    }


def _run(directory: str, case: str, repeat: int, queue: Any, src: str | None = None) -> None:
    """Time one case in this (fresh) process; best of ``repeat`` (podcap from ``src`` if given)."""
    import gc

    if src:
        sys.path.insert(0, src)
    import podcap

    nodes_path, pods_path = Path(directory) / "nodes.json", Path(directory) / "pods.json"
    warnings.simplefilter("ignore", podcap.PodcapWarning)

    def best(func: Any) -> float:
        times = []
        for _ in range(repeat):
            start = time.perf_counter()
            func()
            times.append(time.perf_counter() - start)
        return min(times)

    def decode() -> list[Any]:
        return [json.loads(nodes_path.read_text()), json.loads(pods_path.read_text())]

    out: dict[str, Any] = {}
    if case == "json":  # Python's decoder as json.load runs it, then with the collector paused
        out["json_seconds"] = best(decode)
        gc.disable()
        out["json_gc_paused_seconds"] = best(decode)
        gc.enable()
    elif case == "objects":  # podcap's work on objects decoded once, as a caller would
        docs = decode()
        snaps: list[Any] = [None]
        out["objects_seconds"] = best(lambda: snaps.__setitem__(0, podcap.read_snapshot(docs)))
        expected = json.loads((Path(directory) / "expected.json").read_text())
        out.update(_check(snaps[0], expected))
    elif case == "files":
        out["files_seconds"] = best(lambda: podcap.read_snapshot([nodes_path, pods_path]))
    else:
        out["read_cluster_seconds"] = best(
            lambda: podcap.read_cluster(directory, system_pods=False)
        )
    queue.put(out)


def _in_child(directory: str, case: str, repeat: int, src: str | None = None) -> dict[str, Any]:
    ctx = mp.get_context("spawn")
    queue: Any = ctx.Queue()
    proc = ctx.Process(target=_run, args=(directory, case, repeat, queue, src))
    proc.start()
    proc.join()
    if queue.empty():
        raise SystemExit(f"case {case} failed (src {src or 'this checkout'}): see above")
    out: dict[str, Any] = queue.get()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nodes", type=int, default=10_000)
    parser.add_argument("--pods", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--before", type=Path, help="src directory of the code to compare with")
    parser.add_argument(
        "--out", type=Path, default=Path(__file__).parent / "results" / "snapshot.json"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        nodes, pods, expected = make_snapshot(args.nodes, args.pods)
        (Path(tmp) / "nodes.json").write_text(json.dumps(nodes))
        (Path(tmp) / "pods.json").write_text(json.dumps(pods))
        (Path(tmp) / "expected.json").write_text(json.dumps(expected))
        size = sum((Path(tmp) / f).stat().st_size for f in ("nodes.json", "pods.json"))
        del nodes, pods, expected
        row: dict[str, Any] = {}
        before: dict[str, Any] = {}
        for case in ("json", "objects", "files", "read_cluster"):
            if args.before:  # the two versions alternate, case by case
                before.update(_in_child(tmp, case, args.repeat, str(args.before.resolve())))
            row.update(_in_child(tmp, case, args.repeat))
    if before:
        row["before"] = {"src": str(args.before), **before}
    row.update(
        {"nodes_in_snapshot": args.nodes, "pods_in_snapshot": args.pods, "json_mib": size / 2**20}
    )
    print(f"snapshot: {args.nodes:,} nodes, {args.pods:,} pods, {size / 2**20:.0f} MiB of JSON")
    print(f"{'step':<28} {'before s' if before else '':>8} {'seconds':>8}")
    for label, key in (
        ("json.loads (Python)", "json_seconds"),
        ("json.loads, collector paused", "json_gc_paused_seconds"),
        ("read_snapshot(objects)", "objects_seconds"),
        ("read_snapshot(files)", "files_seconds"),
        ("read_cluster(directory)", "read_cluster_seconds"),
    ):
        was = f"{before[key]:8.3f}" if before else ""
        print(f"{label:<28} {was:>8} {row[key]:8.3f}")
    if before:
        print(
            f"before: {before['node_groups']} node groups, {before['pods']:,} pods in "
            f"{before['rows']:,} rows; totals match the generator: "
            f"{before['totals_match_generator']}; the same result as now: "
            f"{before['result_sha256'] == row['result_sha256']}"
        )
    print(
        f"{row['node_groups']} node groups, {row['pods']:,} pods in {row['rows']:,} rows, "
        f"{row['skipped']} skipped; totals match the generator: {row['totals_match_generator']}"
    )
    result = {
        "machine": {
            "platform": platform.platform(),
            "python": platform.python_version(),
            "cpus": mp.cpu_count(),
        },
        "cases": [row],
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
