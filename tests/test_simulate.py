"""``podcap.simulate``: admission, scheduling and pod IPs of a ``kubectl apply``.

Every expected number below is computed by hand in a comment, from the facts in
docs/domain.md (sections 3, 5, 7, 8) and the instance data published by AWS:

* m5.large: 2 vCPU, 8192 MiB, 3 ENIs x 10 IPv4 -> S = 9 pod slots per ENI;
  pod IPs (secondary IPs) = 3 * 9 = 27; with prefix delegation 3 * 9 * 16 = 432;
  eni-max-pods = 3 * 9 + 2 = 29.
  EKS allocatable: cpu 2000 - 70 (6% of core 1 + 1% of core 2) = 1930m;
  memory 8192 - (11 * 29 + 255 = 574) - 100 (eviction) = 7518 MiB.
* m5.xlarge: 4 vCPU; EKS allocatable cpu 4000 - 80 = 3920m.
* c5d.large: 2 vCPU, 4096 MiB, 3 ENIs x 10 IPv4; t3.medium: 2 vCPU, 3 ENIs x 6 IPv4.
* kOps: no kube-reserved (cpu allocatable = capacity), eviction-hard memory 100Mi.

FailedScheduling text (kube-scheduler): "0/N nodes are available: " + the "<count> <reason>"
buckets sorted as strings, joined by ", ", then ".".
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import podcap

REPO = Path(__file__).resolve().parents[1]
SEED = REPO / "examples" / "seed"
SEED_CLUSTER = SEED / "cluster.yaml"
SEED_MANIFESTS = SEED / "manifests"

SEED_REASON = (
    "0/3 nodes are available: 1 node(s) had untolerated taint "
    "{node-role.kubernetes.io/control-plane: }, 2 Insufficient cpu."
    " no new claims to deallocate, preemption: 0/3 nodes are available: "
    "1 Preemption is not helpful for scheduling, 2 No preemption victims found for incoming pod."
)
WORKLOAD_COLUMNS = [
    "namespace",
    "kind",
    "name",
    "desired",
    "running",
    "pending",
    "container_creating",
    "not_created",
    "rejected",
    "preempted",
    "reason",
]
NODE_COLUMNS = [
    "node",
    "node_group",
    "instance_type",
    "zone",
    "pods",
    "pods_allocatable",
    "cpu_requested_millicores",
    "cpu_allocatable_millicores",
    "memory_requested_mib",
    "memory_allocatable_mib",
    "pod_ips_used",
    "pod_ips_capacity",
    "pod_ips_available",
    "binding_limit",
]
CNI_TEXT = "failed to assign an IP address to container"
ENGINES = pytest.mark.parametrize("engine", ["fast", "reference"])


# ---------------------------------------------------------------------------------------------
# manifest helpers


def _pod_spec(cpu: str | None = None, memory: str | None = None, **extra: Any) -> dict[str, Any]:
    requests: dict[str, str] = {}
    if cpu is not None:
        requests["cpu"] = cpu
    if memory is not None:
        requests["memory"] = memory
    container: dict[str, Any] = {"name": "app", "image": "app"}
    if requests:
        container["resources"] = {"requests": requests}
    return {"containers": [container], **extra}


def deployment(
    name: str,
    replicas: int,
    *,
    cpu: str | None = None,
    memory: str | None = None,
    namespace: str = "default",
    **extra: Any,
) -> dict[str, Any]:
    labels = {"app": name}
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": labels},
            "template": {"metadata": {"labels": labels}, "spec": _pod_spec(cpu, memory, **extra)},
        },
    }


def daemonset(
    name: str,
    *,
    cpu: str | None = None,
    memory: str | None = None,
    namespace: str = "kube-system",
    **extra: Any,
) -> dict[str, Any]:
    labels = {"app": name}
    return {
        "apiVersion": "apps/v1",
        "kind": "DaemonSet",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {
            "selector": {"matchLabels": labels},
            "template": {"metadata": {"labels": labels}, "spec": _pod_spec(cpu, memory, **extra)},
        },
    }


def row(result: podcap.SimulationResult, name: str) -> pd.Series:
    w = result.workloads
    match = w[w["name"] == name]
    assert len(match) == 1, f"expected one workload named {name!r}"
    return match.iloc[0]


def outcome(result: podcap.SimulationResult, name: str) -> tuple[int, ...]:
    """(desired, running, pending, container_creating, not_created, rejected)."""
    r = row(result, name)
    cols = ["desired", "running", "pending", "container_creating", "not_created", "rejected"]
    return tuple(int(r[c]) for c in cols)


def pods_on(result: podcap.SimulationResult, name: str) -> dict[str, int]:
    p = result.placements
    sel = p[(p["name"] == name) & (p["pods"] > 0)]
    return {str(n): int(k) for n, k in zip(sel["node"], sel["pods"], strict=True)}


def group(name: str, instance_type: str = "m5.large", count: int = 1, **kw: Any) -> Any:
    return podcap.NodeGroup(name=name, instance_type=instance_type, count=count, **kw)


def cluster(*groups: Any) -> podcap.Cluster:
    return podcap.Cluster(groups)


# ---------------------------------------------------------------------------------------------
# the seed story (docs/domain.md section 8)
#
# Workers: 2 x c5d.large, kOps overhead -> no kube-reserved -> cpu allocatable 2000m each.
# Control plane: t3.medium tainted node-role.kubernetes.io/control-plane:NoSchedule.
# System requests (examples/seed/manifests/system.yaml):
#   DaemonSets (tolerate everything, so on all 3 nodes): aws-node 25m + 25m = 50m,
#   kube-proxy 100m, ebs-csi-node 3 x 10m = 30m  -> 180m per node.
#   Deployments (do not tolerate the control-plane taint -> workers only):
#   coredns 2 x 100m, coredns-autoscaler 20m, ebs-csi-controller 6 x 10m = 60m -> 280m.
# All system pods have system-*-critical priority, so they are scheduled before nginx.
# Free cpu on the workers: 2 * 2000 - 2 * 180 - 280 = 3360m.
# nginx has no requests; the kOps LimitRange gives each pod cpu 100m.
# Per worker, free = 1820 - (its share of 200 / 20 / 60): whatever the split, the remainders
# mod 100 add up to 60m (1820 has remainder 20; taking the 20m pod makes it 0, the 60m pod 60,
# both 40 with the other node 20), so floor(free_a/100) + floor(free_b/100) = (3360 - 60)/100 = 33.
# maxPods 100 and 432 pod IPs (prefix delegation: 3 * 9 * 16) do not bind; nginx does not
# tolerate the control-plane taint. -> 33 running, 80 - 33 = 47 pending.
# FailedScheduling: 1 tainted node, 2 workers without 100m free; "1 node(s)..." < "2 Insuff..."


@pytest.fixture(scope="module")
def seed_result() -> podcap.SimulationResult:
    return podcap.simulate(podcap.load_cluster(SEED_CLUSTER), SEED_MANIFESTS)


def seed_cluster_in_code() -> podcap.Cluster:
    return podcap.Cluster(
        [
            podcap.NodeGroup(
                name="workers",
                instance_type="c5d.large",
                count=2,
                max_pods=100,
                overhead="kops",
                zones=("ap-northeast-2a", "ap-northeast-2c"),
                cni=podcap.VpcCni(prefix_delegation=True),
            ),
            podcap.NodeGroup(
                name="control-plane",
                instance_type="t3.medium",
                count=1,
                overhead="kops",
                zones=("ap-northeast-2a",),
                taints=(podcap.Taint("node-role.kubernetes.io/control-plane", "", "NoSchedule"),),
            ),
        ]
    )


def test_seed_nginx_33_running_47_pending(seed_result: podcap.SimulationResult) -> None:
    assert outcome(seed_result, "nginx") == (80, 33, 47, 0, 0, 0)
    assert row(seed_result, "nginx")["reason"] == SEED_REASON
    # the LimitRange default request is what the pods carry
    assert int(row(seed_result, "nginx")["cpu_request_millicores"]) == 100
    assert row(seed_result, "nginx")["namespace"] == "default"
    assert row(seed_result, "nginx")["kind"] == "Deployment"


def test_seed_system_pods_all_run(seed_result: podcap.SimulationResult) -> None:
    for ds in ("aws-node", "kube-proxy", "ebs-csi-node"):
        assert outcome(seed_result, ds) == (3, 3, 0, 0, 0, 0), ds
        assert row(seed_result, ds)["reason"] == ""
    assert outcome(seed_result, "coredns") == (2, 2, 0, 0, 0, 0)
    assert outcome(seed_result, "coredns-autoscaler") == (1, 1, 0, 0, 0, 0)
    assert outcome(seed_result, "ebs-csi-controller") == (1, 1, 0, 0, 0, 0)
    # no Deployment pod lands on the tainted control plane
    for name in ("coredns", "coredns-autoscaler", "ebs-csi-controller", "nginx"):
        assert "control-plane-0" not in pods_on(seed_result, name)


def test_seed_nodes(seed_result: podcap.SimulationResult) -> None:
    nodes = seed_result.nodes.set_index("node")
    assert sorted(nodes.index) == ["control-plane-0", "workers-0", "workers-1"]
    workers = nodes.loc[["workers-0", "workers-1"]]
    cp = nodes.loc["control-plane-0"]
    # kOps: no kube-reserved -> 2000m; c5d.large 4096 MiB - 100 MiB eviction-hard
    assert (workers["cpu_allocatable_millicores"] == 2000).all()
    assert (workers["memory_allocatable_mib"] == 3996).all()
    assert (workers["pods_allocatable"] == 100).all()
    # prefix delegation: 3 ENIs * (10 - 1) * 16 = 432; control plane (no PD): 3 * (6 - 1) = 15
    assert (workers["pod_ips_capacity"] == 432).all()
    assert int(cp["pod_ips_capacity"]) == 15
    # kops max pods on t3.medium: min(110, 3 * 5 + 2) = 17
    assert int(cp["pods_allocatable"]) == 17
    # cpu requested on the workers: 2 * 180 + 280 + 33 * 100 = 3940; each below 2000 and within
    # 100m of it (otherwise one more nginx would fit)
    assert int(workers["cpu_requested_millicores"].sum()) == 3940
    assert (
        (workers["cpu_requested_millicores"] > 1900) & (workers["cpu_requested_millicores"] <= 2000)
    ).all()
    assert int(cp["cpu_requested_millicores"]) == 180
    # pods: workers 3 DS * 2 + 4 system Deployment pods + 33 nginx = 43; control plane 3 DS pods
    assert int(workers["pods"].sum()) == 43
    assert int(cp["pods"]) == 3
    # pod IPs: aws-node and kube-proxy are hostNetwork; ebs-csi-node (1 per node), coredns 2,
    # autoscaler 1, ebs-csi-controller 1 and 33 nginx take one each -> workers 2 + 4 + 33 = 39
    assert int(workers["pod_ips_used"].sum()) == 39
    assert int(cp["pod_ips_used"]) == 1
    # memory: ebs-csi-node 120Mi per node, coredns 2 * 70, autoscaler 10, controller 6 * 40
    assert float(workers["memory_requested_mib"].sum()) == pytest.approx(240 + 140 + 10 + 240)
    assert float(cp["memory_requested_mib"]) == pytest.approx(120)
    # what stops the next nginx: cpu on the workers (< 100m free), the taint on the control plane
    assert list(workers["binding_limit"]) == ["cpu", "cpu"]
    assert cp["binding_limit"] == "taint"
    # zones round-robin in each group
    assert nodes.loc["workers-0", "zone"] == "ap-northeast-2a"
    assert nodes.loc["workers-1", "zone"] == "ap-northeast-2c"
    assert cp["zone"] == "ap-northeast-2a"
    assert cp["node_group"] == "control-plane"
    assert cp["instance_type"] == "t3.medium"
    assert list(workers["instance_type"]) == ["c5d.large", "c5d.large"]


def test_seed_python_api_equals_yaml(seed_result: podcap.SimulationResult) -> None:
    in_code = seed_cluster_in_code()

    # the reader always builds a VpcCni (from the aws-node env); NodeGroup(cni=None) means the
    # default VpcCni(), so compare the settings in force
    def normalized(c: podcap.Cluster) -> list[podcap.NodeGroup]:
        return [dataclasses.replace(g, cni=g.cni_settings) for g in c.node_groups]

    assert normalized(in_code) == normalized(podcap.load_cluster(SEED_CLUSTER))
    result = podcap.simulate(in_code, SEED_MANIFESTS)
    pd.testing.assert_frame_equal(result.workloads, seed_result.workloads)
    pd.testing.assert_frame_equal(result.nodes, seed_result.nodes)
    assert outcome(result, "nginx") == (80, 33, 47, 0, 0, 0)


def test_seed_reference_engine_agrees(seed_result: podcap.SimulationResult) -> None:
    # 33 is order-independent (docs/domain.md section 7), so the pod-by-pod oracle must agree
    result = podcap.simulate(podcap.load_cluster(SEED_CLUSTER), SEED_MANIFESTS, engine="reference")
    assert outcome(result, "nginx") == (80, 33, 47, 0, 0, 0)
    assert row(result, "nginx")["reason"] == SEED_REASON


def test_seed_without_limitrange_all_80_run() -> None:
    # Without the LimitRange nginx requests nothing: cpu no longer binds; 80 + 4 system pods on
    # 2 workers stay below maxPods 100 each (200 in total), and 432 IPs per worker.
    docs = [p.read_text() for p in sorted(SEED_MANIFESTS.glob("*.yaml")) if p.name != "app.yaml"]
    docs.append((SEED_MANIFESTS / "app.yaml").read_text().split("---", 1)[1])  # the Deployment only
    result = podcap.simulate(podcap.load_cluster(SEED_CLUSTER), docs)
    assert outcome(result, "nginx") == (80, 80, 0, 0, 0, 0)
    assert row(result, "nginx")["reason"] == ""


# ---------------------------------------------------------------------------------------------
# maxPods above the pod IP capacity (docs/domain.md section 3)

# aws-node and kube-proxy: hostNetwork, system-node-critical (as shipped), so they are scheduled
# before the app and the app is the last workload placed (binding_limit describes that one).
HOST_DS = [
    daemonset(
        name,
        cpu=cpu,
        hostNetwork=True,
        priorityClassName="system-node-critical",
        tolerations=[{"operator": "Exists"}],
    )
    for name, cpu in (("aws-node", "25m"), ("kube-proxy", "100m"))
]


def one_m5_large(prefix_delegation: bool = False) -> podcap.Cluster:
    return cluster(
        group(
            "ng",
            max_pods=110,
            overhead="eks",
            cni=podcap.VpcCni(prefix_delegation=prefix_delegation),
        )
    )


@ENGINES
def test_pods_beyond_pod_ips_are_container_creating(engine: str) -> None:
    # One m5.large, maxPods 110, no prefix delegation: 3 ENIs * (10 - 1) = 27 pod IPs.
    # DaemonSets aws-node (25m) and kube-proxy (100m) are hostNetwork: 2 pods, no VPC IP.
    # App: 60 x 10m = 600m; cpu 125 + 600 = 725m <= 1930m; pods 2 + 60 = 62 <= 110 -> all 60 are
    # scheduled; 27 get an IP and run, 60 - 27 = 33 stay in ContainerCreating.
    result = podcap.simulate(
        one_m5_large(), [*HOST_DS, deployment("app", 60, cpu="10m")], engine=engine
    )
    assert outcome(result, "app") == (60, 27, 0, 33, 0, 0)
    assert CNI_TEXT in row(result, "app")["reason"]
    assert outcome(result, "aws-node") == (1, 1, 0, 0, 0, 0)
    assert outcome(result, "kube-proxy") == (1, 1, 0, 0, 0, 0)
    node = result.nodes.iloc[0]
    assert int(node["pods"]) == 62
    assert int(node["pods_allocatable"]) == 110
    assert int(node["pod_ips_capacity"]) == 27
    assert int(node["pod_ips_used"]) == 27
    assert int(node["cpu_requested_millicores"]) == 725
    assert int(node["cpu_allocatable_millicores"]) == 1930
    assert node["binding_limit"] == "pod_ips"
    assert int(result.placements.query("name == 'app'")["container_creating"].sum()) == 33


@ENGINES
def test_host_network_pods_take_no_ip(engine: str) -> None:
    # 60 hostNetwork pods of 10m on the same node: no VPC address needed, all Running
    # (62 pods <= 110, 725m <= 1930m).
    result = podcap.simulate(
        one_m5_large(),
        [*HOST_DS, deployment("hostnet", 60, cpu="10m", hostNetwork=True)],
        engine=engine,
    )
    assert outcome(result, "hostnet") == (60, 60, 0, 0, 0, 0)
    assert row(result, "hostnet")["reason"] == ""
    assert int(result.nodes.iloc[0]["pod_ips_used"]) == 0


def test_host_network_pods_leave_the_ips_to_others() -> None:
    # 40 hostNetwork pods + 30 ordinary pods (10m each): 72 pods <= 110, 825m <= 1930m.
    # The hostNetwork ones take no IP, so the ordinary ones get 27 IPs: 27 run, 3 wait.
    result = podcap.simulate(
        one_m5_large(),
        [
            *HOST_DS,
            deployment("hostnet", 40, cpu="10m", hostNetwork=True),
            deployment("app", 30, cpu="10m"),
        ],
    )
    assert outcome(result, "hostnet") == (40, 40, 0, 0, 0, 0)
    assert outcome(result, "app") == (30, 27, 0, 3, 0, 0)


def test_prefix_delegation_gives_432_ips() -> None:
    # With prefix delegation: 3 ENIs * 9 slots * 16 = 432 pod IPs >= 60 -> all 60 run.
    result = podcap.simulate(
        one_m5_large(prefix_delegation=True), [*HOST_DS, deployment("app", 60, cpu="10m")]
    )
    assert outcome(result, "app") == (60, 60, 0, 0, 0, 0)
    assert row(result, "app")["reason"] == ""
    node = result.nodes.iloc[0]
    assert int(node["pod_ips_capacity"]) == 432
    assert int(node["pod_ips_used"]) == 60


# ---------------------------------------------------------------------------------------------
# DaemonSets


def tainted_cluster() -> podcap.Cluster:
    # 2 plain m5.large + 3 m5.large tainted dedicated=gpu:NoSchedule
    return cluster(
        group("plain", count=2),
        group("gpu", count=3, taints=("dedicated=gpu:NoSchedule",)),
    )


def test_daemonset_one_pod_per_node() -> None:
    c = cluster(group("a", count=2), group("b", "m5.xlarge", count=3))
    result = podcap.simulate(c, [daemonset("agent", cpu="50m")])
    assert outcome(result, "agent") == (5, 5, 0, 0, 0, 0)
    assert pods_on(result, "agent") == {f"a-{i}": 1 for i in range(2)} | {
        f"b-{i}": 1 for i in range(3)
    }


def test_daemonset_skips_untolerated_taint() -> None:
    result = podcap.simulate(tainted_cluster(), [daemonset("agent", cpu="50m")])
    # desired counts only the 2 eligible (untainted) nodes; nothing pending
    assert outcome(result, "agent") == (2, 2, 0, 0, 0, 0)
    assert row(result, "agent")["reason"] == ""
    assert pods_on(result, "agent") == {"plain-0": 1, "plain-1": 1}


def test_daemonset_toleration_exists_covers_all() -> None:
    ds = daemonset("agent", cpu="50m", tolerations=[{"operator": "Exists"}])
    result = podcap.simulate(tainted_cluster(), [ds])
    assert outcome(result, "agent") == (5, 5, 0, 0, 0, 0)


def test_daemonset_toleration_equal_must_match_value() -> None:
    good = daemonset(
        "good",
        cpu="50m",
        tolerations=[
            {"key": "dedicated", "operator": "Equal", "value": "gpu", "effect": "NoSchedule"}
        ],
    )
    bad = daemonset(
        "bad",
        cpu="50m",
        tolerations=[
            {"key": "dedicated", "operator": "Equal", "value": "cpu", "effect": "NoSchedule"}
        ],
    )
    result = podcap.simulate(tainted_cluster(), [good, bad])
    assert outcome(result, "good") == (5, 5, 0, 0, 0, 0)
    assert outcome(result, "bad") == (2, 2, 0, 0, 0, 0)


def test_daemonset_runs_on_cordoned_nodes() -> None:
    # The DaemonSet controller adds a node.kubernetes.io/unschedulable:NoSchedule toleration:
    # DaemonSet pods go to cordoned nodes; Deployment pods do not.
    c = cluster(group("live", count=1), group("cordoned", count=2, unschedulable=True))
    result = podcap.simulate(c, [daemonset("agent", cpu="50m"), deployment("web", 3, cpu="100m")])
    assert outcome(result, "agent") == (3, 3, 0, 0, 0, 0)
    assert set(pods_on(result, "web")) == {"live-0"}


@ENGINES
def test_daemonset_pod_that_does_not_fit(engine: str) -> None:
    # big-0: m5.xlarge, 3920m allocatable; small-0/1: m5.large, 1930m. A 2500m DaemonSet pod
    # fits only on big-0. The pending pod for small-0 is pinned there (matchFields on the node
    # name); NodeAffinity's PreFilter narrows the candidates to small-0, so the other two nodes
    # report "didn't satisfy plugin(s) [NodeAffinity]" (kube-scheduler schedule_one.go,
    # SetAbsentNodesStatus) and small-0 reports "Insufficient cpu".
    # Buckets "1 Insufficient cpu" < "2 node(s) didn't..." as strings.
    c = cluster(group("big", "m5.xlarge", count=1), group("small", count=2))
    result = podcap.simulate(c, [daemonset("heavy", cpu="2500m")], engine=engine)
    assert outcome(result, "heavy") == (3, 1, 2, 0, 0, 0)
    assert pods_on(result, "heavy") == {"big-0": 1}
    assert row(result, "heavy")["reason"] == (
        "0/3 nodes are available: 1 Insufficient cpu, "
        "2 node(s) didn't satisfy plugin(s) [NodeAffinity]."
        " no new claims to deallocate, preemption: 0/3 nodes are available: "
        "3 Preemption is not helpful for scheduling."
    )


# ---------------------------------------------------------------------------------------------
# scheduler filters (docs/domain.md section 7); m5.large with EKS overhead unless said otherwise:
# 1930m cpu, 7518 MiB memory, 29 pods, 27 pod IPs.


def labelled_cluster() -> podcap.Cluster:
    return cluster(group("web", labels={"team": "web"}), group("batch", labels={"team": "batch"}))


@ENGINES
def test_node_selector(engine: str) -> None:
    # 25 x 100m on web-0 only: floor(1930 / 100) = 19 fit (19 pods <= 29, 19 IPs <= 27); 6 pending.
    result = podcap.simulate(
        labelled_cluster(),
        [deployment("api", 25, cpu="100m", nodeSelector={"team": "web"})],
        engine=engine,
    )
    assert outcome(result, "api") == (25, 19, 6, 0, 0, 0)
    assert pods_on(result, "api") == {"web-0": 19}
    assert row(result, "api")["reason"] == (
        "0/2 nodes are available: 1 Insufficient cpu, "
        "1 node(s) didn't match Pod's node affinity/selector."
        " no new claims to deallocate, preemption: 0/2 nodes are available: "
        "1 No preemption victims found for incoming pod, 1 Preemption is not helpful for scheduling."
    )


def _required_affinity(operator: str, values: list[str]) -> dict[str, Any]:
    return {
        "nodeAffinity": {
            "requiredDuringSchedulingIgnoredDuringExecution": {
                "nodeSelectorTerms": [
                    {"matchExpressions": [{"key": "team", "operator": operator, "values": values}]}
                ]
            }
        }
    }


@ENGINES
@pytest.mark.parametrize(
    ("operator", "values", "node"),
    [("In", ["batch"], "batch-0"), ("NotIn", ["web"], "batch-0"), ("In", ["web", "x"], "web-0")],
)
def test_required_node_affinity(engine: str, operator: str, values: list[str], node: str) -> None:
    result = podcap.simulate(
        labelled_cluster(),
        [deployment("job", 5, cpu="100m", affinity=_required_affinity(operator, values))],
        engine=engine,
    )
    assert outcome(result, "job") == (5, 5, 0, 0, 0, 0)
    assert pods_on(result, "job") == {node: 5}


@ENGINES
def test_required_pod_anti_affinity_one_per_node(engine: str) -> None:
    anti = {
        "podAntiAffinity": {
            "requiredDuringSchedulingIgnoredDuringExecution": [
                {
                    "labelSelector": {"matchLabels": {"app": "db"}},
                    "topologyKey": "kubernetes.io/hostname",
                }
            ]
        }
    }
    result = podcap.simulate(
        cluster(group("ng", count=3)),
        [deployment("db", 5, cpu="100m", affinity=anti)],
        engine=engine,
    )
    # 3 nodes, at most one db pod each: 3 running, 2 pending
    assert outcome(result, "db") == (5, 3, 2, 0, 0, 0)
    assert pods_on(result, "db") == {"ng-0": 1, "ng-1": 1, "ng-2": 1}
    assert row(result, "db")["reason"] == (
        "0/3 nodes are available: 3 node(s) didn't match pod anti-affinity rules."
        " no new claims to deallocate, preemption: 0/3 nodes are available: "
        "3 No preemption victims found for incoming pod."
    )


@ENGINES
def test_topology_spread_do_not_schedule_zones(engine: str) -> None:
    # zone-a: one m5.large; zone-b: two m5.large. Pods of 500m: zone-a holds floor(1930/500) = 3.
    # maxSkew 1 on topology.kubernetes.io/zone: zone-b may hold at most 3 + 1 = 4 pods.
    # -> 3 + 4 = 7 running of 10, 3 pending. For the next pod: a-0 lacks cpu (1 node); the two
    # zone-b nodes would make the skew 5 - 3 = 2 > 1.
    c = cluster(group("a", zones=("zone-a",)), group("b", count=2, zones=("zone-b",)))
    spread = [
        {
            "maxSkew": 1,
            "topologyKey": "topology.kubernetes.io/zone",
            "whenUnsatisfiable": "DoNotSchedule",
            "labelSelector": {"matchLabels": {"app": "spread"}},
        }
    ]
    result = podcap.simulate(
        c, [deployment("spread", 10, cpu="500m", topologySpreadConstraints=spread)], engine=engine
    )
    assert outcome(result, "spread") == (10, 7, 3, 0, 0, 0)
    placed = pods_on(result, "spread")
    assert placed.get("a-0", 0) == 3
    assert placed.get("b-0", 0) + placed.get("b-1", 0) == 4
    assert row(result, "spread")["reason"] == (
        "0/3 nodes are available: 1 Insufficient cpu, "
        "2 node(s) didn't match pod topology spread constraints."
        " no new claims to deallocate, preemption: 0/3 nodes are available: "
        "3 No preemption victims found for incoming pod."
    )


@ENGINES
def test_too_many_pods(engine: str) -> None:
    # max_pods 5: 8 tiny pods -> 5 running, 3 pending
    result = podcap.simulate(
        cluster(group("ng", max_pods=5)), [deployment("tiny", 8, cpu="10m")], engine=engine
    )
    assert outcome(result, "tiny") == (8, 5, 3, 0, 0, 0)
    assert row(result, "tiny")["reason"] == (
        "0/1 nodes are available: 1 Too many pods. no new claims to deallocate, preemption: "
        "0/1 nodes are available: 1 No preemption victims found for incoming pod."
    )
    assert result.nodes.iloc[0]["binding_limit"] == "pods"


@ENGINES
def test_insufficient_memory(engine: str) -> None:
    # 7518 MiB allocatable; 1Gi pods: floor(7518 / 1024) = 7 running of 10 (70m cpu is nothing)
    result = podcap.simulate(
        cluster(group("ng")), [deployment("mem", 10, cpu="10m", memory="1Gi")], engine=engine
    )
    assert outcome(result, "mem") == (10, 7, 3, 0, 0, 0)
    assert row(result, "mem")["reason"] == (
        "0/1 nodes are available: 1 Insufficient memory. no new claims to deallocate, "
        "preemption: 0/1 nodes are available: 1 No preemption victims found for incoming pod."
    )
    node = result.nodes.iloc[0]
    assert float(node["memory_allocatable_mib"]) == pytest.approx(7518)
    assert float(node["memory_requested_mib"]) == pytest.approx(7 * 1024)
    assert node["binding_limit"] == "memory"


def test_cordoned_group() -> None:
    c = cluster(group("ng", count=2, unschedulable=True))
    result = podcap.simulate(c, [deployment("web", 3, cpu="100m")])
    assert outcome(result, "web") == (3, 0, 3, 0, 0, 0)
    assert row(result, "web")["reason"] == (
        "0/2 nodes are available: 2 node(s) were unschedulable. no new claims to deallocate, "
        "preemption: 0/2 nodes are available: 2 Preemption is not helpful for scheduling."
    )
    assert set(result.nodes["binding_limit"]) == {"unschedulable"}


def test_cordoned_and_full_buckets() -> None:
    # live-0 takes floor(1930/1000) = 1 pod of 1000m; the second pod: 1 Insufficient cpu,
    # 2 cordoned nodes.
    c = cluster(group("live"), group("off", count=2, unschedulable=True))
    result = podcap.simulate(c, [deployment("web", 2, cpu="1000m")])
    assert outcome(result, "web") == (2, 1, 1, 0, 0, 0)
    assert row(result, "web")["reason"] == (
        "0/3 nodes are available: 1 Insufficient cpu, 2 node(s) were unschedulable."
        " no new claims to deallocate, preemption: 0/3 nodes are available: "
        "1 No preemption victims found for incoming pod, 2 Preemption is not helpful for scheduling."
    )


def test_buckets_sorted_as_strings() -> None:
    # 10 tainted nodes and 2 m5.large; 500m pods: 2 * floor(1930/500) = 6 run of 20.
    # Sorted as strings "10 node(s)..." comes before "2 Insufficient cpu" (numerically it would not).
    c = cluster(
        group("gpu", count=10, taints=("dedicated=gpu:NoSchedule",)),
        group("ng", count=2),
    )
    result = podcap.simulate(c, [deployment("web", 20, cpu="500m")])
    assert outcome(result, "web") == (20, 6, 14, 0, 0, 0)
    assert row(result, "web")["reason"] == (
        "0/12 nodes are available: 10 node(s) had untolerated taint {dedicated: gpu}, "
        "2 Insufficient cpu. no new claims to deallocate, preemption: 0/12 nodes are available: "
        "10 Preemption is not helpful for scheduling, 2 No preemption victims found for incoming pod."
    )


@ENGINES
def test_priority_schedules_critical_first(engine: str) -> None:
    # One m5.large (1930m). "app" (20 x 100m) is listed first, "critical" (1 x 500m,
    # system-node-critical) after it. Priority first: critical takes 500m; app gets
    # floor(1430 / 100) = 14, 6 pending. In apply order app would take 19 (1900m) and leave
    # 30m, so critical could not fit.
    manifests = [
        deployment("app", 20, cpu="100m"),
        deployment(
            "critical",
            1,
            cpu="500m",
            namespace="kube-system",
            priorityClassName="system-node-critical",
        ),
    ]
    result = podcap.simulate(cluster(group("ng")), manifests, engine=engine)
    assert outcome(result, "critical") == (1, 1, 0, 0, 0, 0)
    assert outcome(result, "app") == (20, 14, 6, 0, 0, 0)
    assert row(result, "app")["reason"] == (
        "0/1 nodes are available: 1 Insufficient cpu. no new claims to deallocate, preemption: "
        "0/1 nodes are available: 1 No preemption victims found for incoming pod."
    )
    # rows stay in apply order
    assert list(result.workloads["name"]) == ["app", "critical"]


# ---------------------------------------------------------------------------------------------
# result contract


def test_result_columns(seed_result: podcap.SimulationResult) -> None:
    assert list(seed_result.workloads.columns[: len(WORKLOAD_COLUMNS)]) == WORKLOAD_COLUMNS
    assert list(seed_result.nodes.columns) == NODE_COLUMNS
    assert len(seed_result.workloads) == 7
    assert len(seed_result.nodes) == 3
    outcomes = seed_result.workloads[
        ["running", "pending", "container_creating", "not_created", "rejected"]
    ].sum(axis=1)
    assert (outcomes == seed_result.workloads["desired"]).all()


def test_zones_round_robin() -> None:
    c = cluster(group("ng", count=5, zones=("us-east-1a", "us-east-1b")))
    result = podcap.simulate(c, [deployment("web", 1, cpu="10m")])
    nodes = result.nodes.set_index("node")
    assert [nodes.loc[f"ng-{i}", "zone"] for i in range(5)] == [
        "us-east-1a",
        "us-east-1b",
        "us-east-1a",
        "us-east-1b",
        "us-east-1a",
    ]


def test_print_is_readable(
    seed_result: podcap.SimulationResult, capsys: pytest.CaptureFixture[str]
) -> None:
    print(seed_result)
    out = capsys.readouterr().out
    # header: 3 nodes, 7 workloads; desired 3 DS * 3 + 2 + 1 + 1 + 80 = 93;
    # running 9 + 4 + 33 = 46
    assert "3 nodes" in out
    assert "93 pods desired" in out
    assert "46 running" in out
    assert SEED_REASON in out
    nginx_lines = [line.split() for line in out.splitlines() if " nginx " in f" {line} "]
    assert ["default", "Deployment", "nginx", "80", "33", "47", "0", "0", "0", "0"] in nginx_lines


def test_repr_html(seed_result: podcap.SimulationResult) -> None:
    text = seed_result._repr_html_()
    assert "<table" in text
    assert "</table>" in text
    assert "nginx" in text
    assert "workers-0" in text


# ---------------------------------------------------------------------------------------------
# errors


def test_unknown_instance_type() -> None:
    with pytest.raises(podcap.PodcapError) as info:
        podcap.Cluster([podcap.NodeGroup(name="ng", instance_type="m5.larg", count=1)])
    assert isinstance(info.value, podcap.UnknownInstanceTypeError)
    msg = str(info.value)
    assert "NodeGroup 'ng'" in msg
    assert "instance type" in msg
    assert "'m5.larg'" in msg
    assert "m5.large" in msg.replace("'m5.larg'", "")  # the suggestion


def test_negative_count() -> None:
    with pytest.raises(podcap.InvalidSpecError) as info:
        podcap.NodeGroup(name="ng", instance_type="m5.large", count=-1)
    assert isinstance(info.value, podcap.PodcapError)
    msg = str(info.value)
    assert "count" in msg
    assert "from 0 to 10,000,000" in msg
    assert "-1" in msg


def test_taint_without_effect() -> None:
    with pytest.raises(podcap.InvalidSpecError) as info:
        podcap.NodeGroup(name="ng", instance_type="m5.large", count=1, taints=("a=b",))
    assert isinstance(info.value, podcap.PodcapError)
    msg = str(info.value)
    assert "taint" in msg
    assert "a=b" in msg
    for effect in ("NoSchedule", "PreferNoSchedule", "NoExecute"):
        assert effect in msg


def test_unknown_overhead() -> None:
    with pytest.raises(podcap.InvalidSpecError) as info:
        podcap.NodeGroup(name="ng", instance_type="m5.large", count=1, overhead="gke")
    assert isinstance(info.value, podcap.PodcapError)
    msg = str(info.value)
    assert "overhead" in msg
    assert "gke" in msg
    for valid in ("eks", "karpenter", "kops", "none"):
        assert valid in msg


def test_unknown_scoring() -> None:
    with pytest.raises(podcap.InvalidOptionError) as info:
        podcap.simulate(cluster(group("ng")), [deployment("web", 1)], scoring="Foo")  # type: ignore[arg-type]
    assert isinstance(info.value, podcap.PodcapError)
    msg = str(info.value)
    assert "Foo" in msg
    assert "LeastAllocated" in msg
    assert "MostAllocated" in msg


def test_extended_resources_are_never_ignored() -> None:
    # A GPU request must find a node that offers the resource; nodes without it report
    # "Insufficient nvidia.com/gpu" (kube-scheduler NodeResourcesFit on extended resources).
    cluster = podcap.Cluster(
        [
            podcap.NodeGroup("cpu", "m5.large", 2),
            podcap.NodeGroup("gpu", "g5.xlarge", 1, extended_resources={"nvidia.com/gpu": 1}),
        ]
    )
    train = {
        "kind": "Deployment",
        "metadata": {"name": "train"},
        "spec": {
            "replicas": 3,
            "template": {
                "spec": {
                    "containers": [{"name": "c", "resources": {"limits": {"nvidia.com/gpu": 1}}}]
                }
            },
        },
    }
    row = podcap.simulate(cluster, [train]).workloads.iloc[0]
    assert (row["running"], row["pending"]) == (1, 2)
    assert row["reason"] == (
        "0/3 nodes are available: 3 Insufficient nvidia.com/gpu. no new claims to deallocate, "
        "preemption: 0/3 nodes are available: 1 No preemption victims found for incoming pod, "
        "2 Preemption is not helpful for scheduling."
    )


def test_extended_resources_validation() -> None:
    with pytest.raises(podcap.PodcapError, match="extended_resources"):
        podcap.NodeGroup("gpu", "g5.xlarge", 1, extended_resources={"nvidia.com/gpu": -1})
