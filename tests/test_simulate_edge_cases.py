"""Edge cases of simulate: each test states the Kubernetes behaviour it pins."""

from __future__ import annotations

import warnings
from typing import Any

import pytest

import podcap


def deployment(name: str, replicas: int, cpu: str = "100m", **spec: Any) -> dict[str, Any]:
    labels = spec.pop("labels", {"app": name})
    kind = spec.pop("kind", "Deployment")
    extra = spec.pop("controller", {})
    if kind != "DaemonSet":  # a DaemonSet has no replicas field
        extra = {"replicas": replicas, **extra}
    return {
        "kind": kind,
        "metadata": {"name": name},
        "spec": {
            **extra,
            "template": {
                "metadata": {"labels": labels},
                "spec": {
                    "containers": [{"name": "c", "resources": {"requests": {"cpu": cpu}}}],
                    **spec,
                },
            },
        },
    }


def row(result: podcap.SimulationResult, name: str) -> Any:
    return result.workloads.set_index("name").loc[name]


def outcome(result: podcap.SimulationResult, name: str) -> tuple[int, ...]:
    r = row(result, name)
    return tuple(
        int(r[c])
        for c in ("desired", "running", "pending", "container_creating", "not_created", "rejected")
    )


@pytest.mark.parametrize("engine", ["fast", "reference"])
def test_spread_on_a_label_some_nodes_lack(engine: str) -> None:
    # PodTopologySpread: nodes without the topology key are not candidates ("missing required
    # label"); a-0 (m5.large, 1930m) takes floor(1930 / 100) = 19 of 20 pods.
    c = podcap.Cluster(
        [
            podcap.NodeGroup("a", "m5.large", 1, labels={"rack": "r1"}),
            podcap.NodeGroup("b", "m5.large", 2),
        ]
    )
    spread = [
        {
            "maxSkew": 1,
            "topologyKey": "rack",
            "whenUnsatisfiable": "DoNotSchedule",
            "labelSelector": {"matchLabels": {"app": "web"}},
        }
    ]
    r = podcap.simulate(c, [deployment("web", 20, topologySpreadConstraints=spread)], engine=engine)
    assert outcome(r, "web") == (20, 19, 1, 0, 0, 0)
    assert row(r, "web")["reason"] == (
        "0/3 nodes are available: 1 Insufficient cpu, 2 node(s) didn't match pod topology "
        "spread constraints (missing required label). no new claims to deallocate, preemption: "
        "0/3 nodes are available: 1 No preemption victims found for incoming pod, "
        "2 Preemption is not helpful for scheduling."
    )


def test_spread_selector_that_matches_no_pod_has_no_effect() -> None:
    # The constraint counts pods matching its labelSelector; a selector for other pods (or none)
    # counts nothing here, so it never limits this workload: 8 x 100m all run on two nodes.
    c = podcap.Cluster([podcap.NodeGroup("a", "m5.large", 2)])
    spread = [
        {
            "maxSkew": 1,
            "topologyKey": "kubernetes.io/hostname",
            "whenUnsatisfiable": "DoNotSchedule",
            "labelSelector": {"matchLabels": {"app": "other"}},
        }
    ]
    r = podcap.simulate(c, [deployment("web", 8, topologySpreadConstraints=spread)])
    assert outcome(r, "web") == (8, 8, 0, 0, 0, 0)


def test_anti_affinity_with_match_expressions() -> None:
    # Required anti-affinity on hostname against the pod's own labels, written with
    # matchExpressions (the form of the Kubernetes docs' examples): one pod per node.
    c = podcap.Cluster([podcap.NodeGroup("a", "m5.large", 3)])
    affinity = {
        "podAntiAffinity": {
            "requiredDuringSchedulingIgnoredDuringExecution": [
                {
                    "labelSelector": {
                        "matchExpressions": [{"key": "app", "operator": "In", "values": ["web"]}]
                    },
                    "topologyKey": "kubernetes.io/hostname",
                }
            ]
        }
    }
    r = podcap.simulate(c, [deployment("web", 5, affinity=affinity)])
    assert outcome(r, "web") == (5, 3, 2, 0, 0, 0)
    assert "didn't match pod anti-affinity rules" in row(r, "web")["reason"]


@pytest.mark.parametrize("engine", ["fast", "reference"])
def test_required_pod_affinity_to_a_missing_workload(engine: str) -> None:
    # InterPodAffinity: no pod matches the term and the pod does not match it itself, so no
    # node qualifies (UnschedulableAndUnresolvable: preemption cannot help)
    c = podcap.Cluster([podcap.NodeGroup("a", "m5.large", 1)])
    affinity = {
        "podAffinity": {
            "requiredDuringSchedulingIgnoredDuringExecution": [
                {
                    "labelSelector": {"matchLabels": {"app": "db"}},
                    "topologyKey": "kubernetes.io/hostname",
                }
            ]
        }
    }
    r = podcap.simulate(c, [deployment("web", 1, affinity=affinity)], engine=engine)  # type: ignore[arg-type]
    assert outcome(r, "web") == (1, 0, 1, 0, 0, 0)
    assert row(r, "web")["reason"] == (
        "0/1 nodes are available: 1 node(s) didn't match pod affinity rules. no new claims to "
        "deallocate, preemption: 0/1 nodes are available: 1 Preemption is not helpful for "
        "scheduling."
    )


def test_statefulset_ordered_ready_stops_at_the_first_pod_that_cannot_run() -> None:
    # OrderedReady: pod n+1 is created only once pod n runs.  One m5.large (1930m) and 5 pods of
    # 500m: 3 run, the 4th is Pending, the 5th is never created.
    c = podcap.Cluster([podcap.NodeGroup("a", "m5.large", 1)])
    r = podcap.simulate(c, [deployment("db", 5, cpu="500m", kind="StatefulSet")])
    assert outcome(r, "db") == (5, 3, 1, 0, 1, 0)
    parallel = deployment(
        "db", 5, cpu="500m", kind="StatefulSet", controller={"podManagementPolicy": "Parallel"}
    )
    assert outcome(podcap.simulate(c, [parallel]), "db") == (5, 3, 2, 0, 0, 0)


def test_statefulset_ordered_ready_blocked_by_missing_ip() -> None:
    # m5.large with maxPods 110 has 27 pod IPs: pod 28 waits for an address, 29 and 30 are
    # never created.
    c = podcap.Cluster([podcap.NodeGroup("a", "m5.large", 1, max_pods=110)])
    r = podcap.simulate(c, [deployment("db", 30, cpu="10m", kind="StatefulSet")])
    assert outcome(r, "db") == (30, 27, 0, 1, 2, 0)


def test_objects_applied_twice_later_wins() -> None:
    c = podcap.Cluster([podcap.NodeGroup("a", "m5.xlarge", 2)])

    def quota(pods: int) -> dict[str, Any]:
        return {
            "kind": "ResourceQuota",
            "metadata": {"name": "q"},
            "spec": {"hard": {"pods": pods}},
        }

    r = podcap.simulate(c, [quota(4), quota(4), deployment("a", 2), deployment("b", 2)])
    assert outcome(r, "b") == (2, 2, 0, 0, 0, 0)

    def limits(cpu: str) -> dict[str, Any]:
        return {
            "kind": "LimitRange",
            "metadata": {"name": "l"},
            "spec": {"limits": [{"type": "Container", "defaultRequest": {"cpu": cpu}}]},
        }

    bare = deployment("web", 1)
    bare["spec"]["template"]["spec"]["containers"][0]["resources"] = {}
    r = podcap.simulate(c, [limits("500m"), limits("100m"), bare])
    assert row(r, "web")["cpu_request_millicores"] == 100


@pytest.mark.parametrize(
    ("field", "value"),
    [("cniVersion", 1.10), ("unschedulable", "false")],
)
def test_cluster_file_rejects_wrong_types(tmp_path: Any, field: str, value: Any) -> None:
    import yaml

    path = tmp_path / "cluster.yaml"
    group = {"name": "w", "instanceType": "m5.large", "count": 1, field: value}
    path.write_text(yaml.safe_dump({"nodeGroups": [group]}))
    with pytest.raises(podcap.PodcapError, match=field):
        podcap.load_cluster(path)


def test_host_network_must_be_a_boolean() -> None:
    c = podcap.Cluster([podcap.NodeGroup("a", "m5.large", 1)])
    with pytest.raises(podcap.InvalidManifestError, match="hostNetwork"):
        podcap.simulate(c, [deployment("web", 1, hostNetwork="false")])


def test_host_network_daemonset_tolerates_network_unavailable() -> None:
    # The DaemonSet controller adds node.kubernetes.io/network-unavailable:NoSchedule for
    # hostNetwork pods (AddOrUpdateDaemonPodTolerations).
    c = podcap.Cluster(
        [
            podcap.NodeGroup("a", "m5.large", 2),
            podcap.NodeGroup(
                "b", "m5.large", 1, taints=["node.kubernetes.io/network-unavailable:NoSchedule"]
            ),
        ]
    )
    ds = deployment("cni", 0, kind="DaemonSet", hostNetwork=True)
    assert row(podcap.simulate(c, [ds]), "cni")["desired"] == 3


def test_no_nodes() -> None:
    c = podcap.Cluster([podcap.NodeGroup("a", "m5.large", 0)])
    r = podcap.simulate(c, [deployment("web", 2)])
    assert outcome(r, "web") == (2, 0, 2, 0, 0, 0)
    assert row(r, "web")["reason"] == "no nodes available to schedule pods"


@pytest.mark.parametrize(
    "doc",
    [
        {"kind": None, "metadata": {"name": "x"}},
        {"kind": 5, "metadata": {"name": "x"}},
        {
            "kind": "Deployment",
            "metadata": {"name": "x"},
            "spec": {
                "template": {"metadata": {"labels": ["a"]}, "spec": {"containers": [{"name": "c"}]}}
            },
        },
        {
            "kind": "Pod",
            "metadata": {"name": "x"},
            "spec": {"containers": [{"name": "c"}], "affinity": {"nodeAffinity": []}},
        },
        {
            "kind": "Pod",
            "metadata": {"name": "x"},
            "spec": {"containers": [{"name": "c"}], "topologySpreadConstraints": ["x"]},
        },
        {"kind": "LimitRange", "metadata": {"name": "x"}, "spec": {"limits": ["x"]}},
        {"kind": "ResourceQuota", "metadata": {"name": "x"}, "spec": {"hard": ["x"]}},
    ],
)
def test_malformed_objects_give_manifest_errors(doc: dict[str, Any]) -> None:
    c = podcap.Cluster([podcap.NodeGroup("a", "m5.large", 1)])
    with pytest.raises(podcap.InvalidManifestError):
        podcap.simulate(c, [doc])


def test_unreadable_and_missing_files(tmp_path: Any) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_bytes(b"\xff\xfe kind: Pod")
    c = podcap.Cluster([podcap.NodeGroup("a", "m5.large", 1)])
    with pytest.raises(podcap.InvalidManifestError, match="UTF-8"):
        podcap.simulate(c, bad)
    with pytest.raises(podcap.InvalidManifestError, match="no such file"):
        podcap.simulate(c, "manifests")
    with pytest.raises(podcap.InvalidManifestError):
        podcap.simulate(c, "x" * 400)


def test_global_default_priority_class() -> None:
    # Pods without priorityClassName get the globalDefault class's value: "first" and "second"
    # tie on priority and go in apply order on 2 x m5.large (1930m): first 1 running, second
    # 1 running and 1 pending.
    c = podcap.Cluster([podcap.NodeGroup("a", "m5.large", 2)])
    pcs = {
        "kind": "PriorityClass",
        "metadata": {"name": "high"},
        "value": 1000,
        "globalDefault": True,
    }
    second = deployment("second", 2, cpu="1500m", priorityClassName="high")
    r = podcap.simulate(c, [pcs, deployment("first", 1, cpu="1500m"), second])
    assert outcome(r, "first") == (1, 1, 0, 0, 0, 0)
    assert outcome(r, "second") == (2, 1, 1, 0, 0, 0)


def test_node_name_bypasses_the_scheduler() -> None:
    c = podcap.Cluster(
        [
            podcap.NodeGroup("w", "m5.large", 1),
            podcap.NodeGroup(
                "cp", "m5.large", 1, taints=["node-role.kubernetes.io/control-plane:NoSchedule"]
            ),
        ]
    )
    pod = {
        "kind": "Pod",
        "metadata": {"name": "pinned"},
        "spec": {
            "nodeName": "cp-0",
            "containers": [{"name": "c", "resources": {"requests": {"cpu": "100m"}}}],
        },
    }
    r = podcap.simulate(c, [pod])
    assert r.placements.set_index("name").loc["pinned", "node"] == "cp-0"


def test_empty_node_selector_term_matches_nothing() -> None:
    c = podcap.Cluster([podcap.NodeGroup("w", "m5.large", 1)])
    affinity = {
        "nodeAffinity": {
            "requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [{}]}
        }
    }
    r = podcap.simulate(c, [deployment("web", 1, affinity=affinity)])
    assert outcome(r, "web") == (1, 0, 1, 0, 0, 0)


def test_misspelt_resource_name_is_an_error() -> None:
    c = podcap.Cluster([podcap.NodeGroup("w", "m5.large", 1)])
    bad = deployment("web", 1)
    bad["spec"]["template"]["spec"]["containers"][0]["resources"] = {"requests": {"memroy": "1Gi"}}
    with pytest.raises(podcap.InvalidManifestError, match="memroy"):
        podcap.simulate(c, [bad])


def test_request_above_limit_names_the_controller() -> None:
    c = podcap.Cluster([podcap.NodeGroup("w", "m5.large", 1)])
    bad = deployment("web", 2)
    bad["spec"]["template"]["spec"]["containers"][0]["resources"] = {
        "requests": {"cpu": "2"},
        "limits": {"cpu": "1"},
    }
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        r = podcap.simulate(c, [bad])
    assert outcome(r, "web") == (2, 0, 0, 0, 0, 2)
    assert row(r, "web")["reason"].startswith(
        'Deployment.apps "web" is invalid: spec.template.spec.containers[0].resources.requests'
    )


@pytest.mark.parametrize("engine", ["fast", "reference"])
def test_host_ports_one_pod_per_node_and_free_ports_only(engine: str) -> None:
    # NodePorts: 5 pods with hostPort 8080 on 3 nodes run 3; a hostNetwork DaemonSet whose
    # container port is 8080 (a host port by API defaulting) then finds every node taken.
    c = podcap.Cluster([podcap.NodeGroup("a", "m5.large", 3)])
    ports = {
        "containers": [
            {"name": "c", "image": "x", "ports": [{"containerPort": 8080, "hostPort": 8080}]}
        ]
    }
    job = {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {"name": "web"},
        "spec": {"parallelism": 5, "template": {"spec": {"restartPolicy": "Never", **ports}}},
    }
    agent = {
        "apiVersion": "apps/v1",
        "kind": "DaemonSet",
        "metadata": {"name": "agent"},
        "spec": {
            "selector": {"matchLabels": {"app": "agent"}},
            "template": {
                "metadata": {"labels": {"app": "agent"}},
                "spec": {
                    "hostNetwork": True,
                    "containers": [{"name": "c", "image": "x", "ports": [{"containerPort": 8080}]}],
                },
            },
        },
    }
    r = podcap.simulate(c, [job, agent], engine=engine)  # type: ignore[arg-type]
    assert outcome(r, "web") == (5, 3, 2, 0, 0, 0)
    assert outcome(r, "agent") == (3, 0, 3, 0, 0, 0)
    assert row(r, "web")["reason"].startswith(
        "0/3 nodes are available: 3 node(s) didn't have free ports for the requested pod ports."
    )
    assert "hostPort" in row(r, "agent")["limits"]


def test_a_sidecars_host_port_counts() -> None:
    # GetHostPorts counts restartable init containers (sidecars) too: 2 nodes take 2 of 3 pods
    c = podcap.Cluster([podcap.NodeGroup("a", "m5.large", 2)])
    sidecar = {
        "name": "s",
        "image": "x",
        "restartPolicy": "Always",
        "ports": [{"containerPort": 9100, "hostPort": 9100}],
    }
    r = podcap.simulate(c, [deployment("web", 3, initContainers=[sidecar])])
    assert outcome(r, "web") == (3, 2, 1, 0, 0, 0)
