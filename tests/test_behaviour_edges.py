"""Edge cases across subnets, snapshots, the CI gate, readers, scenarios and sweeps."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import podcap
from podcap.io.clusters import read_cluster_input

ROOT = Path(__file__).resolve().parents[1]
SEED = ROOT / "examples" / "seed"


def deployment(name: str, replicas: int, cpu: str = "10m", ns: str = "default") -> dict[str, Any]:
    return {
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": ns},
        "spec": {
            "replicas": replicas,
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {"containers": [{"name": "c", "resources": {"requests": {"cpu": cpu}}}]},
            },
        },
    }


def row(result: Any, name: str) -> Any:
    return result.workloads.set_index("name").loc[name]


def test_pods_get_addresses_before_any_warm_pool() -> None:
    # 3 x m5.large, prefix delegation, maxPods 110, one /25: 128 - AWS's 5 - 3 node primaries.
    # /28 blocks: block 0 holds the reserved .0-.3 and the node primaries, block 7 the last
    # address: 6 free blocks.  120 pods, 40 per node, need ceil(40/16) = 3 prefixes each:
    # nodes 0 and 1 get 3 each (80 pods run); the warm prefix (WARM_PREFIX_TARGET=1) comes only
    # after every node's pods, so it never takes a block a later node's pods needed.
    c = podcap.Cluster(
        [
            podcap.NodeGroup(
                "ng",
                "m5.large",
                3,
                zones=["a"],
                max_pods=110,
                cni=podcap.VpcCni(prefix_delegation=True),
                subnets=[podcap.Subnet("10.0.0.0/25", "a")],
            )
        ]
    )
    r = podcap.simulate(c, [deployment("w", 120)])
    assert (int(row(r, "w")["running"]), int(row(r, "w")["container_creating"])) == (80, 40)
    assert "InsufficientCidrBlocks" in row(r, "w")["reason"]
    sub = r.subnets.iloc[0]
    assert int(sub["used_by_pods"]) == 80
    assert int(sub["free_28_blocks"]) == 0


def test_ipv6_pods_take_no_ipv4_subnet_addresses() -> None:
    c = podcap.Cluster(
        [
            podcap.NodeGroup(
                "ng",
                "m5.large",
                2,
                zones=["a"],
                cni=podcap.VpcCni(ip_family="ipv6"),
                subnets=[podcap.Subnet("10.0.0.0/26", "a")],
            )
        ]
    )
    r = podcap.simulate(c, [deployment("w", 40)])
    sub = r.subnets.iloc[0]
    assert (int(sub["used_by_pods"]), int(sub["held_warm"]), int(sub["used_by_nodes"])) == (0, 0, 2)


def _snapshot(tmp_path: Path) -> podcap.Snapshot:
    node = {
        "kind": "Node",
        "metadata": {
            "name": "n1",
            "labels": {
                "node.kubernetes.io/instance-type": "m5.large",
                "topology.kubernetes.io/zone": "a",
            },
        },
        "status": {"allocatable": {"cpu": "1930m", "memory": "7284216Ki", "pods": "29"}},
    }
    pods = [
        {
            "kind": "Pod",
            "metadata": {
                "name": f"web-7d9f8-{i}",
                "namespace": "default",
                "ownerReferences": [{"kind": "ReplicaSet", "name": "web-7d9f8"}],
            },
            "spec": {
                "nodeName": "n1",
                "containers": [{"name": "c", "resources": {"requests": {"cpu": "800m"}}}],
            },
            "status": {"phase": "Running"},
        }
        for i in range(2)
    ]
    (tmp_path / "s.json").write_text(json.dumps({"kind": "List", "items": [node, *pods]}))
    return podcap.read_snapshot(tmp_path / "s.json")


def test_reapplying_a_running_deployment_replaces_its_pods(tmp_path: Path) -> None:
    # The snapshot runs web (2 x 800m, via ReplicaSet web-7d9f8) on a 1930m node.  Applying
    # the same 2-replica Deployment again must not add 2 more: its controller owns the pods.
    snap = _snapshot(tmp_path)
    r = podcap.simulate(snap.cluster, [deployment("web", 2, "800m")], existing=snap.existing)
    assert int(row(r, "web")["running"]) == 2
    assert int(r.nodes["cpu_requested_millicores"].iloc[0]) == 1600
    # Another Deployment does add load: 1930 - 1600 = 330m, one 300m pod fits, not two.
    r = podcap.simulate(snap.cluster, [deployment("api", 2, "300m")], existing=snap.existing)
    assert int(row(r, "api")["running"]) == 1


def test_check_names_each_workloads_own_limit() -> None:
    # heavy (3 x 800m) cannot all fit on one m5.large (1930m); tiny (10m) fits.  The advice for
    # heavy is about cpu, never about pod IPs.
    c = podcap.ClusterInput(podcap.Cluster([podcap.NodeGroup("w", "m5.large", 1)]), "test")
    report = podcap.check(c, [deployment("heavy", 3, "800m"), deployment("tiny", 1, "10m")])
    text = str(report)
    assert not report.ok
    assert "heavy" in text
    assert "lower the cpu request" in text
    assert "prefix delegation" not in text


def test_eksctl_private_and_public_subnets_per_zone(tmp_path: Path) -> None:
    doc = {
        "apiVersion": "eksctl.io/v1alpha5",
        "kind": "ClusterConfig",
        "metadata": {"name": "x", "region": "us-west-2"},
        "kubernetesNetworkConfig": {"ipFamily": "IPv6"},
        "vpc": {
            "subnets": {
                "private": {"us-west-2a": {"id": "subnet-1", "cidr": "10.0.0.0/24"}},
                "public": {"us-west-2a": {"id": "subnet-2", "cidr": "10.0.100.0/28"}},
            }
        },
        "managedNodeGroups": [
            {
                "name": "priv",
                "instanceType": "m5.large",
                "desiredCapacity": 1,
                "privateNetworking": True,
                "subnets": ["us-west-2a"],
            },
        ],
    }
    path = tmp_path / "c.json"
    path.write_text(json.dumps(doc))  # an eksctl file written as JSON is still eksctl
    ci = read_cluster_input(path)
    assert ci.format == "eksctl ClusterConfig"
    group = ci.cluster.node_groups[0]
    assert [s.cidr for s in group.subnets] == ["10.0.0.0/24"]
    assert group.cni_settings.ip_family == "ipv6"


def test_scenario_rejects_scaling_a_bare_pod_and_unknown_priority_classes() -> None:
    c = podcap.Cluster([podcap.NodeGroup("w", "m5.large", 1)])
    pod = {"kind": "Pod", "metadata": {"name": "solo"}, "spec": {"containers": [{"name": "c"}]}}
    with pytest.raises(podcap.PodcapError, match="cannot be scaled"):
        podcap.Scenario(c).apply([pod]).scale("solo", 3).run()
    bad = deployment("web", 2)
    bad["spec"]["template"]["spec"]["priorityClassName"] = "nope"
    result = podcap.Scenario(c).apply([bad]).run()
    assert int(result.workloads[0].set_index("name").loc["web", "rejected"]) == 2


def test_sweep_whole_cni_and_dotted_group_names() -> None:
    c = podcap.Cluster([podcap.NodeGroup("ng.a", "m5.large", 1, max_pods=110)])
    frame = podcap.sweep(
        c,
        [deployment("w", 60)],
        {"ng.a.cni": [podcap.VpcCni(), podcap.VpcCni(prefix_delegation=True)], "ng.a.count": [1]},
        progress=False,
    )
    # 27 pod IPs without prefix delegation, 432 with it (60 pods of 10m fit the cpu).
    assert frame["running"].tolist() == [27, 60]
    assert frame["binding_limit"].tolist()[0] == "pod_ips"


def test_cheapest_instance_type_reports_candidates_that_cannot_fit() -> None:
    c = podcap.Cluster([podcap.NodeGroup("w", "m5.large", 1)])
    frame = podcap.cheapest_instance_type(
        c, [deployment("big", 1, "6")], "w", ["m5.large", "m5.2xlarge"], max_count=4
    )
    got = frame.set_index("instance_type")
    assert int(got.loc["m5.2xlarge", "nodes"]) == 1  # 8 vCPU: 7910m allocatable >= 6000m
    assert pd.isna(got.loc["m5.large", "nodes"])
    assert "do not run every replica" in got.loc["m5.large", "note"]
    with pytest.raises(podcap.InvalidOptionError, match="non-empty list"):
        podcap.cheapest_instance_type(c, [deployment("big", 1)], "w", [])
    with pytest.raises(podcap.InvalidOptionError, match="non-empty list"):
        podcap.cheapest_instance_type(c, [deployment("big", 1)], "w", "m5.large")  # type: ignore[arg-type]


def test_warm_pool_refuses_more_pods_than_max_pods() -> None:
    with pytest.raises(podcap.InvalidOptionError, match="exceed the node's maxPods"):
        podcap.warm_pool("m5.large", 40, max_pods=10)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"used": ("fe80::1",)}, "IPv4"),
        ({"reservations": ("10.0.0.0/26", "10.0.0.32/27")}, "overlap"),
    ],
)
def test_subnet_input_errors(kwargs: dict[str, Any], match: str) -> None:
    with pytest.raises(podcap.InvalidSpecError, match=match):
        podcap.Subnet("10.0.0.0/24", "a", **kwargs)
