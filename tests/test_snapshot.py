"""kubectl JSON snapshots: ``kubectl get nodes -o json``, ``kubectl get pods -A -o json`` and
``kubectl get limitranges,resourcequotas -A -o json``.

The objects below have the shape kubectl prints (a ``List`` of items; Node ``metadata.labels``
with the well-known ``node.kubernetes.io/instance-type`` and ``topology.kubernetes.io/zone``
labels, ``status.allocatable`` quantities; Pod ``spec.nodeName``, ``spec.containers[].resources``,
``spec.hostNetwork``, ``metadata.ownerReferences``, ``status.phase``), see the Kubernetes API
reference for Node and Pod.  The allocatable values are those of a real EKS m5.large node:
cpu "1930m", memory "7284216Ki", pods "29".  Expected numbers are computed by hand in comments.
"""

from __future__ import annotations

import io
import json
import random
import shutil
import warnings
from pathlib import Path
from typing import Any

import pytest

import podcap
from podcap.cli import main
from podcap.io.clusters import read_cluster_input

REPO = Path(__file__).resolve().parents[1]
EXAMPLE = REPO / "examples" / "snapshot"


def kube_list(items: list[dict[str, Any]]) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "List", "items": items, "metadata": {"resourceVersion": ""}}


def node(
    name: str,
    *,
    instance_type: str = "m5.large",
    zone: str = "us-east-1a",
    cpu: str = "1930m",
    memory: str = "7284216Ki",
    pods: str = "29",
    labels: dict[str, str] | None = None,
    taints: list[dict[str, str]] | None = None,
    unschedulable: bool = False,
) -> dict[str, Any]:
    spec: dict[str, Any] = {"providerID": f"aws:///{zone}/i-0{len(name)}{zone[-1]}"}
    if taints:
        spec["taints"] = taints
    if unschedulable:
        spec["unschedulable"] = True
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {
            "name": name,
            "labels": {
                "kubernetes.io/hostname": name,
                "kubernetes.io/os": "linux",
                "kubernetes.io/arch": "amd64",
                "node.kubernetes.io/instance-type": instance_type,
                "topology.kubernetes.io/zone": zone,
                "topology.kubernetes.io/region": zone[:-1],
                **(labels or {}),
            },
        },
        "spec": spec,
        "status": {
            "capacity": {"cpu": "2", "memory": "7974392Ki", "pods": pods},
            "allocatable": {"cpu": cpu, "memory": memory, "pods": pods},
        },
    }


def pod(
    name: str,
    node_name: str | None,
    *,
    namespace: str = "default",
    cpu: list[str] | None = None,
    memory: str | None = None,
    host_network: bool = False,
    owner: tuple[str, str] | None = ("ReplicaSet", "app-5d78c9869d"),
    phase: str = "Running",
) -> dict[str, Any]:
    containers = []
    for i, c in enumerate(cpu or ["100m"]):
        requests = {"cpu": c}
        if memory and i == 0:
            requests["memory"] = memory
        containers.append({"name": f"c{i}", "image": "x", "resources": {"requests": requests}})
    spec: dict[str, Any] = {"containers": containers}
    if node_name:
        spec["nodeName"] = node_name
    if host_network:
        spec["hostNetwork"] = True
    meta: dict[str, Any] = {"name": name, "namespace": namespace}
    if owner:
        meta["ownerReferences"] = [
            {"apiVersion": "apps/v1", "kind": owner[0], "name": owner[1], "controller": True}
        ]
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": meta,
        "spec": spec,
        "status": {"phase": phase},
    }


def system_pods(node_name: str, suffix: str) -> list[dict[str, Any]]:
    """aws-node (25m + 25m) and kube-proxy (100m), both hostNetwork DaemonSet pods: 150m."""
    return [
        pod(
            f"aws-node-{suffix}",
            node_name,
            namespace="kube-system",
            cpu=["25m", "25m"],
            host_network=True,
            owner=("DaemonSet", "aws-node"),
        ),
        pod(
            f"kube-proxy-{suffix}",
            node_name,
            namespace="kube-system",
            cpu=["100m"],
            host_network=True,
            owner=("DaemonSet", "kube-proxy"),
        ),
    ]


def deployment(
    name: str, replicas: int, cpu: str, *, namespace: str = "default", **spec: Any
) -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {
                    "containers": [
                        {"name": name, "image": "x", "resources": {"requests": {"cpu": cpu}}}
                    ],
                    **spec,
                },
            },
        },
    }


def dump(tmp_path: Path, name: str, doc: Any) -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(doc, indent=2), encoding="utf-8")
    return path


def row(result: podcap.SimulationResult, name: str) -> dict[str, Any]:
    rows = result.workloads[result.workloads["name"] == name].to_dict(orient="records")
    assert len(rows) == 1
    return rows[0]


def outcome(result: podcap.SimulationResult, name: str) -> tuple[int, ...]:
    r = row(result, name)
    return tuple(
        int(r[k]) for k in ("running", "pending", "container_creating", "not_created", "rejected")
    )


A, B, C = "ip-10-0-1-10.ec2.internal", "ip-10-0-2-20.ec2.internal", "ip-10-0-3-30.ec2.internal"
D = "ip-10-0-1-11.ec2.internal"


# ---------------------------------------------------------------------------------------------
# nodes


def test_nodes_keep_real_names_and_allocatable(tmp_path: Path) -> None:
    nodes = dump(
        tmp_path,
        "nodes.json",
        kube_list(
            [
                node(A, zone="us-east-1a"),
                node(B, zone="us-east-1b"),
                node(D, zone="us-east-1a"),
                node(
                    C,
                    instance_type="m5.xlarge",
                    zone="us-east-1b",
                    cpu="3920m",
                    memory="15136204Ki",
                    pods="58",
                ),
            ]
        ),
    )
    snap = podcap.read_snapshot(nodes)
    assert snap.cluster.node_count == 4
    result = podcap.simulate(snap.cluster, [])
    by_node = result.nodes.set_index("node")
    assert set(by_node.index) == {A, B, C, D}
    # A and D are identical (type, zone, allocatable, labels): one group of two named nodes.
    twins = next(g for g in snap.cluster.node_groups if A in g.node_names)
    assert set(twins.node_names) == {A, D}
    assert twins.count == 2
    assert by_node.loc[A, "zone"] == "us-east-1a"
    assert by_node.loc[B, "zone"] == "us-east-1b"
    assert by_node.loc[C, "instance_type"] == "m5.xlarge"
    assert by_node.loc[A, "cpu_allocatable_millicores"] == 1930
    assert by_node.loc[A, "pods_allocatable"] == 29
    assert by_node.loc[C, "cpu_allocatable_millicores"] == 3920
    assert by_node.loc[C, "pods_allocatable"] == 58
    # 7284216Ki = 7284216 x 1024 bytes = 7459037184 bytes = 7113.4921875 MiB.
    m5 = twins
    assert m5.allocatable["memory"] == 7284216 * 1024 == 7459037184
    assert m5.allocatable["cpu"] == 1930
    assert m5.allocatable["pods"] == 29
    assert float(by_node.loc[A, "memory_allocatable_mib"]) == pytest.approx(7113.4921875, abs=1)


def test_node_labels_taints_and_cordon_are_kept(tmp_path: Path) -> None:
    # A: plain; B: tainted dedicated=gpu:NoSchedule; C: cordoned (spec.unschedulable).  A
    # Deployment selecting the nodegroup label (on all three) can only use A:
    # 1930m / 500m = 3 pods (1500m), the 4th pends.
    label = {"eks.amazonaws.com/nodegroup": "workers"}
    nodes = dump(
        tmp_path,
        "nodes.json",
        kube_list(
            [
                node(A, labels=label),
                node(
                    B,
                    labels=label,
                    taints=[{"key": "dedicated", "value": "gpu", "effect": "NoSchedule"}],
                ),
                node(C, labels=label, unschedulable=True),
            ]
        ),
    )
    snap = podcap.read_snapshot(nodes)
    app = deployment("web", 4, "500m", nodeSelector=label)
    result = podcap.simulate(snap.cluster, [app])
    assert outcome(result, "web") == (3, 1, 0, 0, 0)
    assert set(result.placements[result.placements["name"] == "web"]["node"]) == {A}
    # A selector on a label no node has: nothing runs.
    other = deployment("db", 1, "100m", nodeSelector={"eks.amazonaws.com/nodegroup": "db"})
    assert outcome(podcap.simulate(snap.cluster, [other]), "db") == (0, 1, 0, 0, 0)


# ---------------------------------------------------------------------------------------------
# existing load


def test_existing_pods_hold_cpu_before_a_rollout(tmp_path: Path) -> None:
    # A: aws-node 50m + kube-proxy 100m + orders 1000m = 1150m used, 1930 - 1150 = 780m free
    #    -> 1 x 500m.
    # B: 150m used, 1780m free -> 3 x 500m.
    # 6 replicas: 4 running, 2 pending.  Without the existing load: 3 + 3 = 6 would run.
    nodes = dump(tmp_path, "nodes.json", kube_list([node(A), node(B, zone="us-east-1b")]))
    pods = dump(
        tmp_path,
        "pods.json",
        kube_list(
            [
                *system_pods(A, "a"),
                *system_pods(B, "b"),
                pod("orders-7c9f8b6d4-x1", A, namespace="shop", cpu=["1000m"], memory="512Mi"),
            ]
        ),
    )
    snap = podcap.read_snapshot([nodes, pods])
    assert int(snap.existing["pods"].sum()) == 5
    assert snap.skipped == []
    per_node = snap.existing.groupby("node").apply(
        lambda f: int((f["cpu_millicores"] * f["pods"]).sum()), include_groups=False
    )
    assert per_node.to_dict() == {A: 1150, B: 150}
    result = podcap.simulate(
        snap.cluster, [deployment("payments", 6, "500m")], existing=snap.existing
    )
    assert outcome(result, "payments") == (4, 2, 0, 0, 0)
    placed = result.placements[result.placements["name"] == "payments"]
    assert dict(zip(placed["node"], placed["pods"], strict=True)) == {A: 1, B: 3}
    empty = podcap.simulate(snap.cluster, [deployment("payments", 6, "500m")])
    assert outcome(empty, "payments") == (6, 0, 0, 0, 0)


def test_existing_pods_hold_pod_slots(tmp_path: Path) -> None:
    # allocatable pods 6; 4 pods already there (2 hostNetwork ones count too) -> 2 more.
    nodes = dump(tmp_path, "nodes.json", kube_list([node(A, pods="6")]))
    pods = dump(
        tmp_path,
        "pods.json",
        kube_list(
            [*system_pods(A, "a"), pod("app-1", A, cpu=["10m"]), pod("app-2", A, cpu=["10m"])]
        ),
    )
    snap = podcap.read_snapshot([nodes, pods])
    result = podcap.simulate(snap.cluster, [deployment("web", 5, "10m")], existing=snap.existing)
    assert outcome(result, "web") == (2, 3, 0, 0, 0)
    assert "Too many pods" in row(result, "web")["reason"]


def test_existing_pods_hold_pod_ips(tmp_path: Path) -> None:
    # m5.large without prefix delegation: 3 ENIs x (10 - 1) secondary IPs = 27 pod IPs.  The
    # node's maxPods was raised to 110, so pods are not the limit.  20 existing pods that are
    # not hostNetwork hold 20 addresses (aws-node and kube-proxy use the node's), 7 remain:
    # of 10 new pods 7 run and 3 wait in ContainerCreating for an address.
    nodes = dump(tmp_path, "nodes.json", kube_list([node(A, pods="110")]))
    existing = [pod(f"app-{i}", A, cpu=["10m"]) for i in range(20)]
    pods = dump(tmp_path, "pods.json", kube_list([*system_pods(A, "a"), *existing]))
    # maxPods 110 on an m5.large hints at prefix delegation: podcap says so, then models the
    # default CNI it was given.
    with pytest.warns(podcap.PodcapWarning, match="prefix delegation"):
        snap = podcap.read_snapshot([nodes, pods])
    result = podcap.simulate(snap.cluster, [deployment("web", 10, "10m")], existing=snap.existing)
    assert outcome(result, "web") == (7, 0, 3, 0, 0)
    assert int(result.nodes["pod_ips_capacity"].iloc[0]) == 27
    # Told about prefix delegation, the node has 3 x 9 x 16 = 432 pod IPs: all 10 run.
    snap = podcap.read_snapshot([nodes, pods], cni=podcap.VpcCni(prefix_delegation=True))
    result = podcap.simulate(snap.cluster, [deployment("web", 10, "10m")], existing=snap.existing)
    assert outcome(result, "web") == (10, 0, 0, 0, 0)


def test_finished_and_unbound_pods_are_skipped_with_a_warning(tmp_path: Path) -> None:
    # Only the 2 system pods (150m) hold resources: 1930 - 150 = 1780m -> 3 x 500m run.  Had
    # the Succeeded (1500m) or Failed (1500m) pod been counted, none would.
    nodes = dump(tmp_path, "nodes.json", kube_list([node(A)]))
    pods = dump(
        tmp_path,
        "pods.json",
        kube_list(
            [
                *system_pods(A, "a"),
                pod("migrate-28h7x", A, cpu=["1500m"], owner=("Job", "migrate"), phase="Succeeded"),
                pod("report-9kq2z", A, cpu=["1500m"], owner=("Job", "report"), phase="Failed"),
                pod("web-pending", None, cpu=["100m"], phase="Pending"),
                pod("gone-1", "ip-10-0-9-99.ec2.internal", cpu=["100m"]),
            ]
        ),
    )
    with pytest.warns(podcap.PodcapWarning, match="4 object"):
        snap = podcap.read_snapshot([nodes, pods])
    assert len(snap.skipped) == 4
    text = "\n".join(snap.skipped)
    for name, why in (
        ("default/migrate-28h7x", "Succeeded"),
        ("default/report-9kq2z", "Failed"),
        ("default/web-pending", "not bound"),
        ("default/gone-1", "ip-10-0-9-99.ec2.internal"),
    ):
        line = next(s for s in snap.skipped if name in s)
        assert why in line, text
    assert int(snap.existing["pods"].sum()) == 2
    result = podcap.simulate(snap.cluster, [deployment("web", 4, "500m")], existing=snap.existing)
    assert outcome(result, "web") == (3, 1, 0, 0, 0)


@pytest.mark.parametrize(
    ("hard", "created"),
    [
        # pods 5 - 3 existing = 2 left (cpu 2000 - 750 = 1250m would allow 5): 2 created
        ({"pods": "5", "requests.cpu": "2"}, 2),
        # cpu 1000 - 3 x 250 = 250m left -> 1 pod of 250m (pods would allow 7): 1 created
        ({"pods": "10", "requests.cpu": "1"}, 1),
    ],
)
def test_existing_pods_count_against_resource_quota(
    tmp_path: Path, hard: dict[str, str], created: int
) -> None:
    nodes = dump(tmp_path, "nodes.json", kube_list([node(A), node(B, zone="us-east-1b")]))
    shop = [pod(f"orders-{i}", (A, B)[i % 2], namespace="shop", cpu=["250m"]) for i in range(3)]
    pods = dump(
        tmp_path, "pods.json", kube_list([*system_pods(A, "a"), *system_pods(B, "b"), *shop])
    )
    quota = {
        "apiVersion": "v1",
        "kind": "ResourceQuota",
        "metadata": {"name": "shop-quota", "namespace": "shop"},
        "spec": {"hard": hard},
    }
    policies = dump(tmp_path, "policies.json", kube_list([quota]))
    snap = podcap.read_snapshot([nodes, pods, policies])
    assert [m["kind"] for m in snap.manifests] == ["ResourceQuota"]
    app = deployment("payments", 4, "250m", namespace="shop")
    result = podcap.simulate(snap.cluster, [app, *snap.manifests], existing=snap.existing)
    # Nodes have room for all 4 (A: 1930 - 150 - 500 = 1280m, B: 1930 - 150 - 250 = 1530m):
    # only the quota stops them.
    assert outcome(result, "payments") == (created, 0, 0, 4 - created, 0)
    # Without the existing pods the same quota would let more through.
    namespace = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "shop"}}
    fresh = podcap.simulate(snap.cluster, [namespace, app, *snap.manifests])
    assert row(fresh, "payments")["not_created"] < 4 - created


# ---------------------------------------------------------------------------------------------
# directories, read_cluster and the command line


def test_directory_of_json_files_via_read_cluster(tmp_path: Path) -> None:
    snapdir = tmp_path / "snap"
    snapdir.mkdir()
    dump(snapdir, "nodes.json", kube_list([node(A), node(B, zone="us-east-1b")]))
    dump(
        snapdir,
        "pods.json",
        kube_list([*system_pods(A, "a"), *system_pods(B, "b"), pod("big", A, cpu=["1000m"])]),
    )
    ci = read_cluster_input(snapdir)
    assert ci.format == "kubectl JSON snapshot"
    assert ci.system_pods == []  # a snapshot's system pods are its existing pods
    assert ci.existing is not None
    assert int(ci.existing["pods"].sum()) == 5
    # same numbers as test_existing_pods_hold_cpu_before_a_rollout: 1 + 3 of 500m
    app = dump(tmp_path, "app.json", deployment("payments", 6, "500m"))
    stream = io.StringIO()
    assert main(["simulate", "--cluster", str(snapdir), str(app)], stream=stream) == 0
    out = stream.getvalue()
    line = next(x.split() for x in out.splitlines() if " payments " in f" {x} ")
    assert line[3:6] == ["6", "4", "2"]
    assert "existing pods from the snapshot: 5" in out


def test_single_json_file_via_read_cluster(tmp_path: Path) -> None:
    both = dump(tmp_path, "all.json", kube_list([node(A), *system_pods(A, "a")]))
    ci = read_cluster_input(both)
    assert ci.format == "kubectl JSON snapshot"
    assert ci.cluster.node_count == 1
    assert int(ci.existing["pods"].sum()) == 2


def test_example_snapshot_rollout(tmp_path: Path) -> None:
    # examples/snapshot: 3 m5.large (1930m).  Existing: A and B 50 + 100 + coredns 100 +
    # 4 orders x 250 = 1250m (680m free), C 150 + 1000 = 1150m (780m free); the Succeeded
    # migrate pod is skipped.  payments gets 200m from the shop LimitRange.  Quota
    # requests.cpu 6: 12 orders hold 3000m -> 3000m left = 15 pods; pods 40 - 12 = 28.  So 15
    # created, 5 not created; of the 15, 680/200 = 3 + 3 + 780/200 = 3 -> 9 run, 6 pend.
    snapdir = tmp_path / "snapshot"
    shutil.copytree(EXAMPLE, snapdir)
    (snapdir / "rollout.yaml").unlink()
    with pytest.warns(podcap.PodcapWarning, match="migrate"):
        ci = read_cluster_input(snapdir)
    assert len(ci.skipped) == 1
    result = podcap.simulate(
        ci.cluster, [EXAMPLE / "rollout.yaml", *ci.manifests], existing=ci.existing
    )
    assert int(row(result, "payments")["desired"]) == 20
    assert outcome(result, "payments") == (9, 6, 0, 5, 0)


# ---------------------------------------------------------------------------------------------
# errors


def test_node_without_instance_type_label(tmp_path: Path) -> None:
    bad = node(B)
    del bad["metadata"]["labels"]["node.kubernetes.io/instance-type"]
    path = dump(tmp_path, "nodes.json", kube_list([node(A), bad]))
    with pytest.raises(podcap.InvalidManifestError) as info:
        podcap.read_snapshot(path)
    msg = str(info.value)
    assert str(path) in msg
    assert "items[1]" in msg
    assert B in msg
    assert "node.kubernetes.io/instance-type" in msg


def test_node_without_allocatable(tmp_path: Path) -> None:
    bad = node(A)
    del bad["status"]["allocatable"]
    path = dump(tmp_path, "nodes.json", kube_list([bad]))
    with pytest.raises(podcap.InvalidManifestError) as info:
        read_cluster_input(path)
    msg = str(info.value)
    assert str(path) in msg
    assert "items[0]" in msg
    assert "status.allocatable" in msg


def test_malformed_json_names_file_and_line(tmp_path: Path) -> None:
    good = dump(tmp_path, "nodes.json", kube_list([node(A)]))
    bad = tmp_path / "pods.json"
    # line 3 lacks the comma before "items"
    bad.write_text('{\n  "kind": "List",\n  "metadata": {}\n  "items": []\n}\n')
    with pytest.raises(podcap.InvalidManifestError) as info:
        podcap.read_snapshot([good, bad])
    assert str(bad) in str(info.value)
    assert "line 4" in str(info.value)  # where the parser finds the missing comma
    # and through a directory as well
    with pytest.raises(podcap.InvalidManifestError) as info:
        read_cluster_input(tmp_path)
    assert str(bad) in str(info.value)
    assert "line 4" in str(info.value)


def test_bad_quantity_names_the_field(tmp_path: Path) -> None:
    bad = node(A, cpu="lots")
    path = dump(tmp_path, "nodes.json", kube_list([bad]))
    with pytest.raises(podcap.InvalidManifestError) as info:
        podcap.read_snapshot(path)
    assert "status.allocatable.cpu" in str(info.value)
    assert str(path) in str(info.value)


@pytest.mark.parametrize(
    ("init_first", "cpu"),
    [(True, 1000), (False, 1500)],
)
def test_existing_pod_requests_follow_the_sidecar_rule(
    tmp_path: Path, init_first: bool, cpu: int
) -> None:
    # KEP-753: an init container needs its request plus the sidecars declared before it.
    # app 100m + sidecar 500m = 600m; init 1000m alone = 1000m (declared first) or
    # 1000m + 500m = 1500m (declared after the sidecar).
    p = pod("web-1", A, cpu=["100m"])
    init = {"name": "init", "image": "x", "resources": {"requests": {"cpu": "1"}}}
    sidecar = {
        "name": "proxy",
        "image": "x",
        "restartPolicy": "Always",
        "resources": {"requests": {"cpu": "500m"}},
    }
    p["spec"]["initContainers"] = [init, sidecar] if init_first else [sidecar, init]
    nodes = dump(tmp_path, "nodes.json", kube_list([node(A)]))
    pods = dump(tmp_path, "pods.json", kube_list([p]))
    snap = podcap.read_snapshot([nodes, pods])
    assert snap.existing["cpu_millicores"].tolist() == [cpu]
    # non-zero requests: no container names memory, so each counts 200Mi; app + sidecar run
    # together (400Mi), the init phase needs at most 200Mi + 200Mi: 400Mi
    assert snap.existing["nonzero_memory_bytes"].tolist() == [2 * 200 * (1 << 20)]


# ---------------------------------------------------------------------------------------------
# many pods: requests read once per distinct set of resources, quantities in bulk


def _spell_cpu(millicores: int, style: int) -> str | int | float:
    """The same cpu amount as kubectl or a person might write it."""
    if style == 0:
        return f"{millicores}m"
    if style == 1:  # decimal cores, exact: 250 -> "0.25"
        whole, frac = divmod(millicores, 1000)
        return f"{whole}.{frac:03d}".rstrip("0").rstrip(".")
    return millicores / 1000 if millicores % 1000 else millicores // 1000  # a JSON number


def _spell_memory(mib: int, style: int) -> str | int:
    if style == 0:
        return f"{mib}Mi"
    if style == 1:
        return f"{mib * 1024}Ki"
    return mib * 2**20  # a JSON number of bytes


@pytest.mark.parametrize("numbers", [False, True])
def test_random_pods_match_a_hand_written_request_rule(numbers: bool) -> None:
    # Pods with 1-3 app containers and 0-2 init containers (some of them sidecars), requests,
    # limits only, or nothing, spelt in three ways.  The expected requests come from the
    # generator's integers and KEP-753 written out here: the pod needs the larger of (app
    # containers + sidecars) and (each init container + the sidecars declared before it);
    # requests win over limits, a container without either adds 0.  With ``numbers`` some
    # quantities are JSON numbers (read with their types), else all are text (as kubectl).
    rng = random.Random(7)
    names = [f"ip-10-0-0-{i}.ec2.internal" for i in range(6)]
    want: dict[tuple[str, str], list[int]] = {}
    pods = []
    for p in range(400):
        owner = f"app-{p % 9}"
        node_name = names[rng.randrange(len(names))]
        style = rng.randrange(3 if numbers else 2)

        def container(name: str, style: int = style) -> tuple[dict[str, Any], int, int]:
            cpu, mib = rng.choice([0, 10, 100, 250, 1500]), rng.choice([0, 16, 128, 1024])
            which = rng.choice(["requests", "limits", "both", "none"])
            res: dict[str, Any] = {}
            spelt = {"cpu": _spell_cpu(cpu, style), "memory": _spell_memory(mib, style)}
            if which in ("requests", "both"):
                res["requests"] = spelt
            if which == "limits":
                res["limits"] = spelt
            if which == "both":  # a larger limit: the request counts
                res["limits"] = {"cpu": f"{cpu + 1000}m", "memory": f"{mib + 1}Mi"}
            used = which != "none"
            return {"name": name, "resources": res}, cpu if used else 0, mib if used else 0

        apps = [container(f"c{i}") for i in range(rng.randint(1, 3))]
        inits = []
        for i in range(rng.randint(0, 2)):
            c, cpu, mib = container(f"i{i}")
            if rng.random() < 0.5:
                c["restartPolicy"] = "Always"
            inits.append((c, cpu, mib))
        side_cpu = side_mib = 0
        init_cpu = init_mib = 0
        for c, cpu, mib in inits:
            if c.get("restartPolicy") == "Always":
                side_cpu, side_mib = side_cpu + cpu, side_mib + mib
            else:
                init_cpu, init_mib = max(init_cpu, cpu + side_cpu), max(init_mib, mib + side_mib)
        cpu = max(sum(a[1] for a in apps) + side_cpu, init_cpu)
        mib = max(sum(a[2] for a in apps) + side_mib, init_mib)
        total = want.setdefault((node_name, owner), [0, 0, 0])
        total[0] += 1
        total[1] += cpu
        total[2] += mib << 20
        item = pod(f"{owner}-{p}", node_name, owner=("ReplicaSet", owner))
        item["spec"]["containers"] = [a[0] for a in apps]
        if inits:
            item["spec"]["initContainers"] = [c for c, _, _ in inits]
        pods.append(item)
    snap = podcap.read_snapshot([kube_list([node(n) for n in names]), kube_list(pods)])
    e = snap.existing
    got: dict[tuple[str, str], list[int]] = {}
    for r in e.to_dict(orient="records"):
        total = got.setdefault((r["node"], r["owner"]), [0, 0, 0])
        total[0] += int(r["pods"])
        total[1] += int(r["pods"]) * int(r["cpu_millicores"])
        total[2] += int(r["pods"]) * int(r["memory_bytes"])
    assert got == want
    # one row per node, owner and requests: the three spellings of one amount are one row
    assert not e.drop(columns="pods").duplicated().any()


def test_spellings_of_one_request_make_one_row(tmp_path: Path) -> None:
    # "1", "1000m" and "1.0" are one cpu request; 1 (a JSON number) too: one row of 4 pods.
    pods = [pod(f"w-{i}", A, cpu=[c]) for i, c in enumerate(["1", "1000m", "1.0", "1"])]
    pods[3]["spec"]["containers"][0]["resources"]["requests"]["cpu"] = 1
    snap = podcap.read_snapshot([kube_list([node(A)]), kube_list(pods)])
    assert snap.existing[["pods", "cpu_millicores"]].values.tolist() == [[4, 1000]]


@pytest.mark.parametrize("first", [1, "1"])
def test_a_boolean_request_is_an_error_even_after_the_number_one(
    first: object, tmp_path: Path
) -> None:
    # true == 1 for Python dictionaries; the pod with true must still be refused, by field.
    good = pod("good", A, cpu=["100m"])
    good["spec"]["containers"][0]["resources"]["requests"]["cpu"] = first
    bad = pod("bad", A, cpu=["100m"])
    bad["spec"]["containers"][0]["resources"]["requests"]["cpu"] = True
    path = dump(tmp_path, "pods.json", kube_list([good, bad]))
    with pytest.raises(podcap.InvalidManifestError) as info:
        podcap.read_snapshot([kube_list([node(A)]), path])
    msg = str(info.value)
    assert "items[1]" in msg
    assert "pod default/bad" in msg
    assert "spec.containers[0].resources.requests.cpu" in msg
    assert "True" in msg


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda p: p["spec"].__setitem__("containers", {"name": "x"}), "spec.containers"),
        (lambda p: p["spec"]["containers"].__setitem__(0, "web"), "spec.containers[0]"),
        (
            lambda p: p["spec"]["containers"][0].__setitem__("resources", ["cpu"]),
            "spec.containers[0].resources",
        ),
        (
            lambda p: p["spec"]["containers"][0]["resources"].__setitem__("requests", {"cpu": []}),
            "spec.containers[0].resources.requests.cpu",
        ),
        (
            lambda p: p["metadata"].__setitem__("ownerReferences", ["rs"]),
            "ownerReferences",
        ),
    ],
)
def test_malformed_pods_name_the_pod_and_field(change: Any, field: str, tmp_path: Path) -> None:
    bad = pod("web-1", A)
    change(bad)
    path = dump(tmp_path, "pods.json", kube_list([pod("web-0", A), bad]))
    with pytest.raises(podcap.InvalidManifestError) as info:
        podcap.read_snapshot([kube_list([node(A)]), path])
    msg = str(info.value)
    assert str(path) in msg
    assert "items[1]" in msg
    assert "default/web-1" in msg
    assert field in msg


def test_pods_without_namespace_or_owner_take_the_defaults(tmp_path: Path) -> None:
    bare = pod("solo", A, owner=None)
    del bare["metadata"]["namespace"]
    del bare["status"]
    snap = podcap.read_snapshot([kube_list([node(A)]), kube_list([bare])])
    (r,) = snap.existing.to_dict(orient="records")
    assert (r["namespace"], r["owner_kind"], r["owner"], r["pods"]) == ("default", "Pod", "solo", 1)


def test_a_pod_without_containers_holds_a_pod_slot_only() -> None:
    empty = pod("bare", A)
    empty["spec"]["containers"] = []
    snap = podcap.read_snapshot([kube_list([node(A)]), kube_list([empty])])
    (r,) = snap.existing.to_dict(orient="records")
    assert (r["pods"], r["cpu_millicores"], r["memory_bytes"]) == (1, 0, 0)


def test_hostile_snapshots_end_in_a_result_or_a_podcap_error() -> None:
    # Fields of a small snapshot replaced by hostile values (podcap.testing.mutate): reading
    # it gives a snapshot or an InvalidManifestError naming the object, never another error.
    from podcap import testing

    base = [
        kube_list([node(A), node(B, zone="us-east-1b")]),
        kube_list(
            [
                *system_pods(A, "a"),
                pod("web-1", A, cpu=["100m", "50m"], memory="128Mi"),
                pod("job-1", B, phase="Succeeded"),
                pod("x", None),
            ]
        ),
    ]
    rng = random.Random(5)
    outcomes = {"read": 0, "refused": 0}
    for _ in range(300):
        docs = testing.mutate(base, rng)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", podcap.PodcapWarning)
                podcap.read_snapshot(docs)
            outcomes["read"] += 1
        except podcap.PodcapError:
            outcomes["refused"] += 1
    assert outcomes["read"] > 0
    assert outcomes["refused"] > 0


def test_a_source_that_is_neither_a_path_nor_an_object() -> None:
    with pytest.raises(podcap.InvalidManifestError, match="snapshot source 1: expected a path"):
        podcap.read_snapshot([kube_list([node(A)]), [1, 2]])
