"""One pipeline: ``simulate`` is one step, a ``Scenario`` is a fold of the same step.

Expected numbers are computed by hand from Kubernetes rules and the instance data:

* m5.large, EKS overhead: cpu allocatable 2000 - 70 = 1930m, 27 pod IPs, maxPods 29.
* c5d.large, kOps overhead: cpu allocatable = capacity = 2000m (no kube-reserved).
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import podcap
from podcap.cli import main
from podcap.model.admission import admit, nonzero_requests, pod_requests
from podcap.model.workloads import Container, PodTemplate
from test_engine import clusters, workload_lists

MIB = 1 << 20
CP_TAINT = "node-role.kubernetes.io/control-plane:NoSchedule"

# ---------------------------------------------------------------------------------------------
# manifests


def _spec(cpu: str | None = None, **extra: Any) -> dict[str, Any]:
    container: dict[str, Any] = {"name": "app", "image": "app"}
    if cpu is not None:
        container["resources"] = {"requests": {"cpu": cpu}}
    return {"containers": [container], **extra}


def controller(
    kind: str, name: str, replicas: int | None = None, namespace: str = "default", **spec: Any
) -> dict[str, Any]:
    labels = {"app": name}
    body: dict[str, Any] = {
        "selector": {"matchLabels": labels},
        "template": {"metadata": {"labels": labels}, "spec": spec or _spec()},
    }
    if replicas is not None:
        body["replicas"] = replicas
    return {
        "apiVersion": "apps/v1",
        "kind": kind,
        "metadata": {"name": name, "namespace": namespace},
        "spec": body,
    }


def counts(w: pd.DataFrame, name: str) -> tuple[int, ...]:
    """(desired, running, pending, container_creating, not_created, rejected) of a workload."""
    r = w.set_index("name").loc[name]
    cols = ["desired", "running", "pending", "container_creating", "not_created", "rejected"]
    return tuple(int(r[c]) for c in cols)


def placed(result: podcap.SimulationResult, name: str) -> dict[str, int]:
    p = result.placements
    p = p[p["name"] == name]
    return {str(n): int(k) for n, k in zip(p["node"], p["pods"], strict=True) if k}


def m5(count: int = 2) -> podcap.Cluster:
    return podcap.Cluster([podcap.NodeGroup("w", "m5.large", count)])


# ---------------------------------------------------------------------------------------------
# 1. simulate == step 1 of a Scenario


def _same_step(
    cluster: podcap.Cluster, manifests: list[Any], seed: int | None, **opts: Any
) -> None:
    one = podcap.simulate(cluster, manifests, seed=seed, **opts)
    run = podcap.Scenario(cluster, seed=seed, **opts).apply(manifests).run()
    pd.testing.assert_frame_equal(one.workloads, run.workloads[0])
    pd.testing.assert_frame_equal(one.nodes, run.nodes[0])
    pd.testing.assert_frame_equal(one.placements, run.results[0].placements)


PROPERTY = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.mark.parametrize("scoring", ["LeastAllocated", "MostAllocated"])
@pytest.mark.parametrize("engine", ["fast", "reference"])
@PROPERTY
@given(
    cluster=clusters(),
    manifests=workload_lists(),
    seed=st.one_of(st.none(), st.integers(0, 2**31 - 1)),
)
def test_simulate_is_step_one_of_a_scenario(
    engine: str, scoring: str, cluster: podcap.Cluster, manifests: list[Any], seed: int | None
) -> None:
    """``kubectl apply`` once is the same event whether it is a one-off or the first step of a
    timeline: workloads, nodes and placements agree for both engines and scoring strategies."""
    if engine == "reference":  # the pod-by-pod oracle: small fleets only
        room = 6
        for g in cluster.node_groups:
            cluster = cluster.with_group(g.name, count=min(g.count, room))
            room -= min(g.count, room)
    _same_step(cluster, manifests, seed, engine=engine, scoring=scoring)


# ---------------------------------------------------------------------------------------------
# 2. the seed story, with ordinary manifests
#
# Workers: 2 x c5d.large, kOps overhead: cpu allocatable 2000m each (no kube-reserved), maxPods
# 100, 432 pod IPs (prefix delegation): cpu binds.  Control plane: t3.medium, tainted.
# kube-proxy tolerates everything: one pod per node (3), 100m each, hostNetwork (no pod IP).
# nginx has no requests; the LimitRange gives each container cpu 100m; nginx does not tolerate
# the control-plane taint.
# DaemonSet first: kube-proxy pods are created first and, with equal priority (0), are first in
# the queue: each worker keeps 2000 - 100 = 1900m for nginx -> 19 per worker, 38 running,
# 80 - 38 = 42 Pending.

KUBE_PROXY = controller(
    "DaemonSet",
    "kube-proxy",
    namespace="kube-system",
    hostNetwork=True,
    tolerations=[{"operator": "Exists"}],
    containers=[{"name": "kube-proxy", "resources": {"requests": {"cpu": "100m"}}}],
)
KOPS_LIMITS = {
    "apiVersion": "v1",
    "kind": "LimitRange",
    "metadata": {"name": "limits", "namespace": "default"},
    "spec": {"limits": [{"type": "Container", "defaultRequest": {"cpu": "100m"}}]},
}
NGINX = controller("Deployment", "nginx", 80, containers=[{"name": "nginx", "image": "nginx"}])
NGINX_REASON = (
    "0/3 nodes are available: 1 node(s) had untolerated taint "
    "{node-role.kubernetes.io/control-plane: }, 2 Insufficient cpu."
    " no new claims to deallocate, preemption: 0/3 nodes are available: "
    "1 Preemption is not helpful for scheduling, 2 No preemption victims found for incoming pod."
)
CLUSTER_FILE = """\
nodeGroups:
  - name: nodes
    instanceType: c5d.large
    count: 2
    maxPods: 100
    overhead: kops
    zones: [ap-northeast-2a, ap-northeast-2c]
    cni: {ENABLE_PREFIX_DELEGATION: "true"}
  - name: control-plane
    instanceType: t3.medium
    count: 1
    overhead: kops
    taints: ["node-role.kubernetes.io/control-plane:NoSchedule"]
"""


def kops_cluster() -> podcap.Cluster:
    return podcap.Cluster(
        [
            podcap.NodeGroup(
                "nodes",
                "c5d.large",
                count=2,
                max_pods=100,
                overhead="kops",
                cni=podcap.VpcCni(prefix_delegation=True),
                zones=["ap-northeast-2a", "ap-northeast-2c"],
            ),
            podcap.NodeGroup(
                "control-plane", "t3.medium", count=1, overhead="kops", taints=[CP_TAINT]
            ),
        ]
    )


def test_seed_story_with_ordinary_manifests(tmp_path: Path) -> None:
    """kubectl apply of kube-proxy, the kOps LimitRange and nginx (in that order): 38 nginx run,
    42 stay Pending on cpu, kube-proxy runs on all 3 nodes; simulate, Scenario and the CLI agree."""
    docs = [KUBE_PROXY, KOPS_LIMITS, NGINX]
    one = podcap.simulate(kops_cluster(), docs)
    first = podcap.Scenario(kops_cluster()).apply(docs).run().workloads[0]
    for w in (one.workloads, first):
        assert counts(w, "nginx") == (80, 38, 42, 0, 0, 0)
        assert counts(w, "kube-proxy") == (3, 3, 0, 0, 0, 0)
        assert w.set_index("name").loc["nginx", "reason"] == NGINX_REASON
        assert int(w.set_index("name").loc["nginx", "cpu_request_millicores"]) == 100
    assert placed(one, "nginx") == {"nodes-0": 19, "nodes-1": 19}
    nodes = one.nodes.set_index("node")
    assert nodes["cpu_requested_millicores"].to_dict() == {
        "nodes-0": 2000,
        "nodes-1": 2000,
        "control-plane-0": 100,
    }
    assert nodes["pod_ips_used"].to_dict() == {"nodes-0": 19, "nodes-1": 19, "control-plane-0": 0}

    cluster_file = tmp_path / "cluster.yaml"
    cluster_file.write_text(CLUSTER_FILE)
    manifest_file = tmp_path / "apply.yaml"
    manifest_file.write_text(yaml.safe_dump_all(docs))
    out = io.StringIO()
    argv = ["simulate", "--cluster", str(cluster_file), str(manifest_file), "--output", "json"]
    assert main(argv, stream=out) == 0
    rows = {r["name"]: r for r in json.loads(out.getvalue())["workloads"]}
    assert set(rows) == {"kube-proxy", "nginx"}
    got = [(rows[n]["running"], rows[n]["pending"]) for n in ("nginx", "kube-proxy")]
    assert got == [(38, 42), (3, 0)]
    assert rows["nginx"]["reason"] == NGINX_REASON


SEED_SYSTEM = Path(__file__).parent.parent / "examples" / "seed" / "manifests" / "system.yaml"


def _seed_system_without_kube_proxy_priority() -> list[dict[str, Any]]:
    docs = [d for d in yaml.safe_load_all(SEED_SYSTEM.read_text()) if d]
    for d in docs:
        if d["metadata"]["name"] == "kube-proxy":
            del d["spec"]["template"]["spec"]["priorityClassName"]
    return docs


def test_seed_story_with_the_seed_add_ons_and_an_ordinary_kube_proxy(tmp_path: Path) -> None:
    """The seed's system add-ons with kube-proxy as an ordinary DaemonSet (no priorityClass),
    then the kOps LimitRange, then nginx, in one apply: 33 running / 47 Pending, as the real
    scheduler gives.  By hand: per worker 2000m minus aws-node 50m, kube-proxy 100m and
    ebs-csi-node 30m leaves 1820m; coredns (2 x 100m), coredns-autoscaler (20m) and
    ebs-csi-controller (60m) take 280m of the 3640m; 3360m / 100m = 33 nginx pods."""
    docs = [*_seed_system_without_kube_proxy_priority(), KOPS_LIMITS, NGINX]
    one = podcap.simulate(kops_cluster(), docs)
    first = podcap.Scenario(kops_cluster()).apply(docs).run().workloads[0]
    for w in (one.workloads, first):
        assert counts(w, "nginx") == (80, 33, 47, 0, 0, 0)
        assert counts(w, "kube-proxy") == (3, 3, 0, 0, 0, 0)
    cluster_file = tmp_path / "cluster.yaml"
    cluster_file.write_text(CLUSTER_FILE)
    manifest = tmp_path / "all.yaml"
    manifest.write_text(yaml.safe_dump_all(docs))
    out = io.StringIO()
    assert (
        main(
            ["simulate", "--cluster", str(cluster_file), str(manifest), "--output", "json"],
            stream=out,
        )
        == 0
    )
    rows = {r["name"]: r for r in json.loads(out.getvalue())["workloads"]}
    assert (rows["nginx"]["running"], rows["nginx"]["pending"]) == (33, 47)


def test_seed_story_apply_order_decides_between_equal_priorities() -> None:
    """Without a priorityClassName kube-proxy has priority 0, like nginx, so the scheduling queue
    takes pods in creation order.  With nginx applied first its pods are created and scheduled
    first: they fill both workers (2000 / 100 = 20 each, 40 running, 40 Pending) and the
    kube-proxy pods pinned to the workers stay Pending (Insufficient cpu; NodeAffinity's
    PreFilter excludes the two other nodes); only the control-plane one runs.  Kubernetes gives
    system pods precedence only through priority (system-node-critical)."""
    res = podcap.simulate(kops_cluster(), [NGINX, KOPS_LIMITS, KUBE_PROXY])
    assert counts(res.workloads, "nginx") == (80, 40, 40, 0, 0, 0)
    assert counts(res.workloads, "kube-proxy") == (3, 1, 2, 0, 0, 0)
    assert placed(res, "kube-proxy") == {"control-plane-0": 1}
    assert placed(res, "nginx") == {"nodes-0": 20, "nodes-1": 20}
    assert res.workloads.set_index("name").loc["kube-proxy", "reason"] == (
        "0/3 nodes are available: 1 Insufficient cpu, "
        "2 node(s) didn't satisfy plugin(s) [NodeAffinity]."
        " no new claims to deallocate, preemption: 0/3 nodes are available: "
        "1 No preemption victims found for incoming pod, 2 Preemption is not helpful for scheduling."
    )
    # with system-node-critical, the apply order no longer matters: 38 / 42 and 3 / 0
    critical = json.loads(json.dumps(KUBE_PROXY))
    critical["spec"]["template"]["spec"]["priorityClassName"] = "system-node-critical"
    res = podcap.simulate(kops_cluster(), [NGINX, KOPS_LIMITS, critical])
    assert counts(res.workloads, "nginx") == (80, 38, 42, 0, 0, 0)
    assert counts(res.workloads, "kube-proxy") == (3, 3, 0, 0, 0, 0)


# ---------------------------------------------------------------------------------------------
# 3. scale down, then up


def test_scale_down_then_up() -> None:
    """kubectl scale 10 -> 4 -> 10 on 2 m5.large (1930m, 27 pod IPs each; 100m pods): the
    ReplicaSet deletes 6 pods, then creates 6 again, and all run."""
    web = controller("Deployment", "web", 10, **_spec("100m"))
    res = podcap.Scenario(m5()).apply(web).scale("web", 4).scale("web", 10).run()
    assert [counts(w, "web") for w in res.workloads] == [
        (10, 10, 0, 0, 0, 0),
        (4, 4, 0, 0, 0, 0),
        (10, 10, 0, 0, 0, 0),
    ]
    assert [sum(placed(r, "web").values()) for r in res.results] == [10, 4, 10]
    assert [int(n["pod_ips_used"].sum()) for n in res.nodes] == [10, 4, 10]
    assert placed(res.results[2], "web") == {"w-0": 5, "w-1": 5}


def test_scale_down_leaves_no_ghost_pods_on_nodes() -> None:
    """After kubectl scale 10 -> 4 the nodes hold 4 pods and 4 x 100m of requests."""
    web = controller("Deployment", "web", 10, **_spec("100m"))
    res = podcap.Scenario(m5()).apply(web).scale("web", 4).run()
    assert [int(n["pods"].sum()) for n in res.nodes] == [10, 4]
    assert [int(n["cpu_requested_millicores"].sum()) for n in res.nodes] == [1000, 400]


def test_scale_down_makes_room_for_pending_pods_in_the_same_step() -> None:
    """Scaling a Deployment to 0 frees its nodes: the Pending pods of another Deployment are
    scheduled once the deleted pods are gone, in the same step (the scheduler retries
    unschedulable pods when pods are deleted).  2 m5.large, 1800m pods: one per node."""
    big = controller("Deployment", "big", 2, **_spec("1800m"))
    other = controller("Deployment", "other", 2, **_spec("1800m"))
    res = podcap.Scenario(m5()).apply(big).apply(other).scale("big", 0).run()
    assert counts(res.workloads[1], "other") == (2, 0, 2, 0, 0, 0)
    assert counts(res.workloads[2], "other") == (2, 2, 0, 0, 0, 0)


# ---------------------------------------------------------------------------------------------
# 4. extended resources in a timeline

TRAIN = {
    "apiVersion": "v1",
    "kind": "Pod",
    "metadata": {"name": "train"},
    "spec": {"containers": [{"name": "t", "resources": {"limits": {"nvidia.com/gpu": 1}}}]},
}


def test_extended_resource_requested_in_a_later_step() -> None:
    """A pod asking for nvidia.com/gpu (limit 1, so request 1) applied in step 2: no node
    advertises the resource -> Pending with "Insufficient nvidia.com/gpu"; a node group offering
    one GPU per node runs it.  The pods of step 1 stay where they were."""
    web = controller("Deployment", "web", 2, **_spec("100m"))
    res = podcap.Scenario(m5(1)).apply(web).apply(TRAIN).run()
    assert counts(res.workloads[1], "train") == (1, 0, 1, 0, 0, 0)
    reason = res.workloads[1].set_index("name").loc["train", "reason"]
    assert reason == (
        "0/1 nodes are available: 1 Insufficient nvidia.com/gpu. no new claims to deallocate, "
        "preemption: 0/1 nodes are available: 1 Preemption is not helpful for scheduling."
    )
    assert [placed(r, "web") for r in res.results] == [{"w-0": 2}, {"w-0": 2}]

    gpus = podcap.Cluster(
        [
            podcap.NodeGroup("w", "m5.large", 1),
            podcap.NodeGroup("g", "g4dn.xlarge", 1, extended_resources={"nvidia.com/gpu": 1}),
        ]
    )
    res = podcap.Scenario(gpus).apply(web).apply(TRAIN).run()
    assert counts(res.workloads[1], "train") == (1, 1, 0, 0, 0, 0)
    assert placed(res.results[1], "train") == {"g-0": 1}
    assert placed(res.results[1], "web") == placed(res.results[0], "web")


# ---------------------------------------------------------------------------------------------
# 5. StatefulSet OrderedReady


def test_ordered_ready_statefulset_waits_on_its_pending_pod() -> None:
    """OrderedReady: pod n+1 is created only once pod n runs.  One m5.large (1930m), 5 replicas
    of 800m: db-0 and db-1 run (1600m), db-2 is Pending (330m free), db-3 and db-4 are never
    created, in simulate, in step 1 of a Scenario and after an unrelated step that fits."""
    sts = controller("StatefulSet", "db", 5, **_spec("800m"))
    side = controller("Deployment", "side", 1, **_spec("100m"))
    expected = (5, 2, 1, 0, 2, 0)
    assert counts(podcap.simulate(m5(1), sts).workloads, "db") == expected
    res = podcap.Scenario(m5(1)).apply(sts).apply(side).run()
    assert [counts(w, "db") for w in res.workloads] == [expected, expected]
    assert counts(res.workloads[1], "side") == (1, 1, 0, 0, 0, 0)
    assert res.workloads[1].set_index("name").loc["db", "reason"] == (
        "0/1 nodes are available: 1 Insufficient cpu. no new claims to deallocate, preemption: "
        "0/1 nodes are available: 1 No preemption victims found for incoming pod."
    )
    assert [int(n["cpu_requested_millicores"].sum()) for n in res.nodes] == [1600, 1700]


# ---------------------------------------------------------------------------------------------
# 6. DaemonSet pods are queue pods


def test_daemonset_pods_wait_in_the_queue_like_other_pods() -> None:
    """The DaemonSet controller creates pods pinned to their node (matchFields metadata.name)
    and the scheduler treats them like any other pod: equal priority, so creation order.
    2 m5.large (1930m): a Deployment of 2 x 1900m fills them; a 100m DaemonSet applied after it
    stays Pending; applied before it, its pods run and the Deployment's stay Pending."""
    fill = controller("Deployment", "fill", 2, **_spec("1900m"))
    agent = controller("DaemonSet", "agent", namespace="kube-system", **_spec("100m"))
    after = podcap.simulate(m5(), [fill, agent])
    assert counts(after.workloads, "agent") == (2, 0, 2, 0, 0, 0)
    assert counts(after.workloads, "fill") == (2, 2, 0, 0, 0, 0)
    assert after.workloads.set_index("name").loc["agent", "reason"] == (
        "0/2 nodes are available: 1 Insufficient cpu, "
        "1 node(s) didn't satisfy plugin(s) [NodeAffinity]."
        " no new claims to deallocate, preemption: 0/2 nodes are available: "
        "1 No preemption victims found for incoming pod, 1 Preemption is not helpful for scheduling."
    )
    before = podcap.simulate(m5(), [agent, fill])
    assert counts(before.workloads, "agent") == (2, 2, 0, 0, 0, 0)
    assert placed(before, "agent") == {"w-0": 1, "w-1": 1}
    assert counts(before.workloads, "fill") == (2, 0, 2, 0, 0, 0)
    assert before.workloads.set_index("name").loc["fill", "reason"] == (
        "0/2 nodes are available: 2 Insufficient cpu. no new claims to deallocate, preemption: "
        "0/2 nodes are available: 2 No preemption victims found for incoming pod."
    )


# ---------------------------------------------------------------------------------------------
# 7. effective pod requests (KEP-753)


def _kep753(app: list[int], inits: list[tuple[str, int]], overhead: int = 0) -> int:
    """max(sum(app) + sum(sidecars), max over init i of request_i + sidecars before i) + overhead."""
    sidecars = sum(v for role, v in inits if role == "sidecar")
    peak, before = 0, 0
    for role, v in inits:
        if role == "sidecar":
            before += v
            peak = max(peak, before)
        else:
            peak = max(peak, v + before)
    return max(sum(app) + sidecars, peak) + overhead


@pytest.mark.parametrize(
    ("inits", "overhead", "expected"),
    [
        ([("init", 1000), ("sidecar", 500)], 0, 1000),  # max(100 + 500, 1000)
        ([("sidecar", 500), ("init", 1000)], 0, 1500),  # max(600, 1000 + 500)
        ([("init", 1000), ("sidecar", 500)], 250, 1250),
        ([("sidecar", 500), ("init", 1000)], 250, 1750),
    ],
)
def test_pod_requests_follow_kep_753(
    inits: list[tuple[str, int]], overhead: int, expected: int
) -> None:
    """Sidecars (restartable init containers) run beside the app containers and beside every
    init container declared after them; the pod requests the larger phase plus overhead."""
    assert _kep753([100], inits, overhead) == expected
    containers = [Container(f"c{i}", {"cpu": v}, role=role) for i, (role, v) in enumerate(inits)]
    containers.append(Container("app", {"cpu": 100}))
    got = pod_requests(containers, {"cpu": overhead} if overhead else {})
    assert got == {"cpu": expected}


def test_nonzero_requests_fill_only_missing_keys() -> None:
    """The scheduler's non-zero requests give a container without a cpu / memory request 100m /
    200Mi (NonMissingContainerRequests); an explicit 0 is not missing and stays 0."""
    two = PodTemplate(containers=(Container("a"), Container("b")))
    assert nonzero_requests(admit(two, [])) == (200, 2 * 200 * MIB)
    zero = PodTemplate(containers=(Container("a", {"cpu": 0}),))
    assert nonzero_requests(admit(zero, [])) == (0, 200 * MIB)
    mixed = PodTemplate(containers=(Container("a", {"cpu": 0}), Container("b")))
    assert nonzero_requests(admit(mixed, [])) == (100, 2 * 200 * MIB)


# ---------------------------------------------------------------------------------------------
# 8. ReplicaSet scale-down ranks


def test_scale_down_deletes_pods_on_the_busiest_node_first() -> None:
    """ReplicaSet controller (getPodsToDelete, ActivePodsWithRanks): among running, ready pods
    the ones sharing a node with more pods of the workload are deleted first, ranks counted once
    before deleting.  Node a-0 holds 5 older pods, b-0 (added later) the newest one:
    6 -> 4 deletes 2 from a-0 (not the newest pod on b-0); 4 -> 1 deletes all 3 left on a-0."""
    cluster = podcap.Cluster(
        [podcap.NodeGroup("a", "m5.large", 1), podcap.NodeGroup("b", "m5.large", 0)]
    )
    web = controller("Deployment", "web", 5, **_spec("100m"))
    sc = podcap.Scenario(cluster).apply(web).change_node_group("b", count=1)
    res = sc.scale("web", 6).scale("web", 4).scale("web", 1).run()
    assert [placed(r, "web") for r in res.results] == [
        {"a-0": 5},
        {"a-0": 5},
        {"a-0": 5, "b-0": 1},
        {"a-0": 3, "b-0": 1},
        {"b-0": 1},
    ]


KOPS_EXAMPLE = Path(__file__).parent.parent / "examples" / "kops" / "cluster.yaml"
SEED_APP = Path(__file__).parent.parent / "examples" / "seed" / "manifests" / "app.yaml"


def test_what_read_cluster_returns_works_with_every_function() -> None:
    """A cluster read from a kOps file is a state: its implied system workloads are created in
    the first step, before the applied nginx, and every function that takes a cluster takes it."""
    state = podcap.read_cluster(KOPS_EXAMPLE)
    assert isinstance(state, podcap.ClusterState)
    assert state.source == "kOps Cluster + InstanceGroups"
    assert "kube-system/kube-proxy" in state.implied
    assert not state.cohorts  # applied, no pods yet
    one = podcap.simulate(state, SEED_APP)
    assert counts(one.workloads, "nginx") == (80, 33, 47, 0, 0, 0)
    assert counts(one.workloads, "kube-proxy")[:2] == (3, 3)
    timeline = podcap.Scenario(state).apply(SEED_APP).scale("nginx", 20).run()
    assert counts(timeline.workloads[0], "nginx") == (80, 33, 47, 0, 0, 0)
    assert counts(timeline.workloads[1], "nginx") == (20, 20, 0, 0, 0, 0)
    grid = podcap.sweep(state, SEED_APP, {"nodes.count": [2, 5]})
    nginx = grid[grid["name"] == "nginx"].set_index("nodes.count")
    assert nginx.loc[2, "running"] == 33
    assert nginx.loc[5, "running"] == 80
    assert nginx.loc[2, "binding_limit"] == "cpu"
    assert podcap.min_nodes(state, SEED_APP, "nodes", workload="nginx")["nodes"] == 5
    report = podcap.check(state, SEED_APP)
    assert not report.ok
    assert "scale node group nodes from 2 to 5 nodes" in str(report)


def test_the_limits_column_is_data() -> None:
    """What stopped a workload is reported as data, not only in Kubernetes' text."""
    one = podcap.simulate(kops_cluster(), [KOPS_LIMITS, NGINX])
    limits = one.workloads.set_index("name").loc["nginx", "limits"]
    assert limits.split(",") == ["cpu", "taint"]


def _observed(node: str, kind: str, owner: str, pods: int) -> dict[str, Any]:
    return {
        "node": node,
        "namespace": "default",
        "owner_kind": kind,
        "owner": owner,
        "pods": pods,
        "cpu_millicores": 100,
        "memory_bytes": 0,
        "ephemeral_storage_bytes": 0,
        "pod_eni": 0,
        "nonzero_cpu_millicores": 100,
        "nonzero_memory_bytes": 200 * MIB,
        "host_network": False,
    }


def test_drain_recreates_observed_controller_pods_and_keeps_static_pods() -> None:
    """kubectl drain --ignore-daemonsets of group a: the ReplicaSet's pods are recreated on b by
    their controller; the static (mirror) pod stays; a bare Pod is gone, and says so."""
    from podcap.pipeline.state import ClusterState, with_existing

    cluster = podcap.Cluster(
        [podcap.NodeGroup("a", "m5.large", count=2), podcap.NodeGroup("b", "m5.large", count=2)]
    )
    existing = pd.DataFrame(
        [
            _observed("a-0", "ReplicaSet", "web-abc", 3),
            _observed("a-0", "Node", "a-0", 1),
            _observed("a-1", "Pod", "solo", 1),
        ]
    )
    state = with_existing(ClusterState.empty(cluster), existing)
    _, result = podcap.settle(state.drain("a"))
    w = result.workloads.set_index("name")
    assert w.loc["web-abc", ["desired", "running"]].tolist() == [3, 3]
    assert w.loc["a-0", ["desired", "running"]].tolist() == [1, 1]
    assert w.loc["solo", ["desired", "running", "not_created"]].tolist() == [1, 0, 1]
    assert "not recreated" in w.loc["solo", "reason"]
    web = result.placements[result.placements["name"] == "web-abc"]
    assert set(web["node"]) <= {"b-0", "b-1"}


def test_running_ordered_pods_are_not_deleted_when_addresses_shrink() -> None:
    """An OrderedReady StatefulSet whose pods all ran keeps them when a later aws-node change
    lowers the pod IPs: pods are never deleted by a settings change."""
    cluster = podcap.Cluster(
        [
            podcap.NodeGroup(
                "a", "m5.large", count=1, max_pods=110, cni=podcap.VpcCni(prefix_delegation=True)
            )
        ]
    )
    sts = controller(
        "StatefulSet",
        "db",
        40,
        containers=[{"name": "db", "resources": {"requests": {"cpu": "10m"}}}],
    )
    result = (
        podcap.Scenario(cluster).apply([sts]).set_cni({"ENABLE_PREFIX_DELEGATION": "false"}).run()
    )
    before, after = result.workloads
    assert counts(before, "db")[:2] == (40, 40)
    row = after.set_index("name").loc["db"]
    assert row["not_created"] == 0
    assert row["running"] + row["container_creating"] == 40


def test_running_pods_keep_their_addresses_when_the_cni_settings_shrink() -> None:
    # m5.large: 3 ENIs x 10 addresses -> 27 pod IPs.  MAX_ENI=1 leaves 9, but ipamd never takes
    # an address from a running pod: the 20 keep theirs, new pods wait for a free one.
    deploy = (
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n  replicas: 20\n"
        "  selector: {matchLabels: {app: web}}\n  template:\n    metadata: {labels: {app: web}}\n"
        "    spec:\n      containers: [{name: c, image: x, resources: {requests: {cpu: 10m}}}]\n"
    )
    cluster = podcap.Cluster([podcap.NodeGroup("g", "m5.large", 1)])
    sc = (
        podcap.Scenario(cluster)
        .apply(deploy)
        .set_cni({"MAX_ENI": "1"})
        .scale("web", 25)
        .scale("web", 10)
        .scale("web", 12)
    )
    result = sc.run()
    frame = result.frame
    assert list(frame["running"]) == [20, 20, 20, 10, 10]
    assert list(frame["container_creating"]) == [0, 0, 5, 0, 2]
    capacity = [int(r.nodes["pod_ips_capacity"].iloc[0]) for r in result.results]
    assert capacity == [27, 9, 9, 9, 9]


def test_scale_down_removes_pods_waiting_for_an_address_first() -> None:
    # ActivePodsWithRanks: not-ready pods go before ready ones, whatever the node counts.
    # m5.large: maxPods 29 but 27 pod IPs -> 2 pods bound there wait for an address.
    deploy = (
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n  replicas: 100\n"
        "  selector: {matchLabels: {app: web}}\n  template:\n    metadata: {labels: {app: web}}\n"
        "    spec:\n      containers:\n        - name: c\n          image: x\n"
        "          resources: {requests: {cpu: 10m, memory: 16Mi}}\n"
    )
    cluster = podcap.Cluster(
        [podcap.NodeGroup("a", "m5.large", 1), podcap.NodeGroup("b", "m5.4xlarge", 1)]
    )
    result = podcap.Scenario(cluster).apply(deploy).scale("web", 98).run()
    first, second = (r.placements.set_index("node") for r in result.results)
    assert int(first.loc["a-0", "container_creating"]) == 2
    assert int(first.loc["b-0", "pods"]) > int(first.loc["a-0", "pods"])  # b-0 is the busiest
    assert int(second.loc["a-0", "pods"]) == 27
    assert int(second.loc["b-0", "pods"]) == int(first.loc["b-0", "pods"])
    assert list(result.frame["running"]) == [98, 98]
    assert list(result.frame["container_creating"]) == [2, 0]


def test_reapplying_a_workload_keeps_its_creation_order() -> None:
    # kubectl apply of an unchanged object updates it in place: its pods keep their place.
    a = (
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: a}\nspec:\n  replicas: 1\n"
        "  selector: {matchLabels: {app: a}}\n  template:\n    metadata: {labels: {app: a}}\n"
        "    spec: {containers: [{name: c, image: x}]}\n"
    )
    b = a.replace("name: a", "name: b").replace("app: a", "app: b")
    state = podcap.ClusterState.of(podcap.Cluster([podcap.NodeGroup("g", "m5.large", 1)]))
    state = podcap.step(state, a + "---\n" + b)[0]
    again = state.apply(podcap.load_manifests([a]))
    assert [k[2] for k in again.workloads] == ["a", "b"]


def test_kept_addresses_never_overcommit_a_subnet() -> None:
    # /27: 32 - 5 reserved = 27 addresses.  23 pods on one m5.large, then 2 more nodes: the
    # subnet cannot hold all of it; every address column stays consistent (never negative,
    # never more pods with an address than the node was given).
    deploy = (
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n  replicas: 23\n"
        "  selector: {matchLabels: {app: web}}\n  template:\n    metadata: {labels: {app: web}}\n"
        "    spec:\n      containers: [{name: c, image: x, resources: {requests: {cpu: 10m}}}]\n"
    )
    subnet = podcap.Subnet("10.0.0.0/27", "zone-a")
    cluster = podcap.Cluster(
        [podcap.NodeGroup("b", "m5.large", 1, zones=("zone-a",), subnets=(subnet,))]
    )
    result = podcap.Scenario(cluster).apply(deploy).change_node_group("b", count=3).run()
    last = result.results[-1]
    assert (last.subnets[["used_by_nodes", "used_by_pods", "held_warm", "free"]] >= 0).all().all()
    assert int(last.subnets["used_by_nodes"].sum() + last.subnets["used_by_pods"].sum()) <= 27
    assert (last.nodes["pod_ips_used"] <= last.nodes["pod_ips_available"]).all()
    row = last.workloads.set_index("name").loc["web"]
    assert int(row["running"]) + int(row["container_creating"]) == 23


PRIORITIES = [
    {
        "apiVersion": "scheduling.k8s.io/v1",
        "kind": "PriorityClass",
        "metadata": {"name": n},
        "value": v,
    }
    for n, v in (("low", -10), ("high", 1000))
]


def _port_pod(name: str, priority: str) -> dict[str, object]:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name},
        "spec": {
            "priorityClassName": priority,
            "containers": [
                {"name": "c", "image": "x", "ports": [{"containerPort": 80, "hostPort": 8080}]}
            ],
        },
    }


@pytest.mark.parametrize("engine", ["fast", "reference"])
def test_preemption_frees_a_host_port(engine: str) -> None:
    # NodePorts failures are Unschedulable: DefaultPreemption may evict the pod holding the port
    sc = podcap.Scenario(m5(1), engine=engine)  # type: ignore[arg-type]
    sc = sc.apply([*PRIORITIES, _port_pod("old", "low")]).apply([_port_pod("new", "high")])
    last = sc.run().results[-1].workloads.set_index("name")
    assert (int(last.loc["new", "running"]), int(last.loc["old", "preempted"])) == (1, 1)
    assert int(last.loc["old", "not_created"]) == 1  # a bare Pod is not recreated


@pytest.mark.parametrize("engine", ["fast", "reference"])
def test_preempted_ordered_statefulset_recreates_one_pod_at_a_time(engine: str) -> None:
    # OrderedReady: after its pods are preempted on two nodes, the controller recreates db-0
    # and waits for it; the others are not created yet
    low = json.loads(json.dumps(controller("StatefulSet", "db", 4, **_spec("700m"))))
    low["spec"]["template"]["spec"]["priorityClassName"] = "low"
    high = json.loads(json.dumps(controller("Deployment", "web", 2, **_spec("1500m"))))
    high["spec"]["template"]["spec"]["priorityClassName"] = "high"
    sc = podcap.Scenario(m5(2), engine=engine).apply([*PRIORITIES, low]).apply([high])  # type: ignore[arg-type]
    db = sc.run().results[-1].workloads.set_index("name").loc["db"]
    assert (int(db["running"]), int(db["pending"]), int(db["not_created"])) == (0, 1, 3)
