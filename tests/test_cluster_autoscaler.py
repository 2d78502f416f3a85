"""cluster-autoscaler scale-up: the binpacking estimator and the expanders.

Rules from kubernetes/autoscaler ``cluster-autoscaler/estimator/binpacking_estimator.go``
(first-fit decreasing onto new template nodes, within the group's max) and
``cluster-autoscaler/expander/`` (``waste.go``: unused share of cpu plus unused share of memory
of the new nodes' capacity; ``mostpods.go``; ``priority.go``: highest priority whose regex
matches, random among all when none does).  Instance sizes from the EC2 tables (c5.xlarge
4 vCPUs / 8 GiB, r5.xlarge 4 vCPUs / 32 GiB, EKS allocatable cpu 3,920m) and Karpenter's
us-east-1 prices (c5.xlarge $0.17/h, r5.xlarge $0.252/h).
"""

from __future__ import annotations

import pytest

import podcap
from podcap import Cluster, ClusterState, NodeGroup
from podcap.errors import InvalidSpecError
from podcap.model.cluster_autoscaler import ClusterAutoscaler, Option, best_option
from test_karpenter import deployment


def two_groups(**c5: int) -> Cluster:
    return Cluster(
        [
            NodeGroup(
                "cpu", "c5.xlarge", 1, zones=("a",), min_count=1, max_count=c5.get("max", 10)
            ),
            NodeGroup("mem", "r5.xlarge", 1, zones=("a",), min_count=1, max_count=10),
        ]
    )


def run(cluster: Cluster, manifests: list, expander: str = "least-waste", **kw: object):
    state = ClusterState.of(cluster).with_cluster_autoscaler(expander, **kw)
    return podcap.simulate(state, manifests)


def test_least_waste_prefers_the_group_that_wastes_less_memory():
    # 10 pods of 1 cpu / 1 GiB: the two nodes take 3 each (3,920m), 4 stay pending.
    # c5.xlarge: 2 nodes, waste (8000-4000)/8000 + (16-4)/16 = 1.25;
    # r5.xlarge: 2 nodes, waste 0.5 + (64-4)/64 = 1.4375
    r = run(two_groups(), [deployment("web", 10, "1", "1Gi")])
    ups = r.scale_ups
    assert list(ups[["node_group", "nodes", "pods"]].itertuples(index=False, name=None)) == [
        ("cpu", 2, 4)
    ]
    assert ups["options"].iloc[0] == "cpu,mem"
    assert int(r.workloads["running"].sum()) == 10
    assert r.cost_per_hour == pytest.approx(2 * 0.17)


def test_priority_expander():
    r = run(
        two_groups(), [deployment("web", 10, "1", "1Gi")], "priority", priorities={10: ["^mem"]}
    )
    assert list(r.scale_ups["node_group"]) == ["mem"]


def test_price_expander_takes_the_cheaper_nodes_per_pod():
    r = run(two_groups(), [deployment("web", 10, "1", "1Gi")], "price")
    assert list(r.scale_ups["node_group"]) == ["cpu"]


def test_max_count_bounds_the_scale_up_and_the_rest_stay_pending():
    # the cpu group may add one node (3 pods); least-waste still prefers it, then the next loop
    # grows the memory group for the last pod
    r = run(two_groups(max=2), [deployment("web", 10, "1", "1Gi")])
    assert list(r.scale_ups[["node_group", "nodes"]].itertuples(index=False, name=None)) == [
        ("cpu", 1),
        ("mem", 1),
    ]
    assert int(r.workloads["running"].sum()) == 10


def test_pods_no_group_can_take_give_the_autoscaler_reason():
    big = deployment("big", 1, "16", "1Gi")
    r = run(two_groups(), [big])
    row = r.workloads.iloc[0]
    assert row.pending == 1
    assert "pod didn't trigger scale-up: 2 Insufficient cpu" in row.reason
    assert "autoscaler" in row.limits


def test_anti_affinity_needs_one_node_per_pod():
    anti = {
        "affinity": {
            "podAntiAffinity": {
                "requiredDuringSchedulingIgnoredDuringExecution": [
                    {
                        "labelSelector": {"matchLabels": {"app": "db"}},
                        "topologyKey": "kubernetes.io/hostname",
                    }
                ]
            }
        }
    }
    cluster = Cluster([NodeGroup("ng", "m5.large", 1, zones=("a",), max_count=5)])
    r = run(cluster, [deployment("db", 4, "100m", "100Mi", **anti)])
    assert list(r.scale_ups["nodes"]) == [3]
    assert int(r.workloads["running"].sum()) == 4


def test_expander_ties_are_a_seeded_choice_among_the_best():
    a = Option("a", 1, 2, 1000, 1 << 30, 2000, 8 << 30)
    b = Option("b", 1, 2, 1000, 1 << 30, 2000, 8 << 30)
    pick, tied = best_option([a, b], ClusterAutoscaler("least-waste", seed=0))
    assert {o.group for o in tied} == {"a", "b"}
    assert pick in (a, b)
    assert best_option([a, b], ClusterAutoscaler("least-waste", seed=0))[0] == pick
    with pytest.raises(InvalidSpecError, match="expander 'cheapest'"):
        ClusterAutoscaler("cheapest")  # type: ignore[arg-type]
    with pytest.raises(InvalidSpecError, match="priority expander needs priorities"):
        ClusterAutoscaler("priority")


def test_eksctl_bounds_and_the_command_line(tmp_path, capsys):
    from podcap.cli import main

    cfg = tmp_path / "cluster.yaml"
    cfg.write_text(
        "apiVersion: eksctl.io/v1alpha5\nkind: ClusterConfig\n"
        "metadata: {name: c, region: us-east-1}\n"
        "managedNodeGroups:\n"
        "  - {name: ng, instanceType: m5.large, desiredCapacity: 1, minSize: 1, maxSize: 4,\n"
        "     availabilityZones: [us-east-1a]}\n"
    )
    state = podcap.read_cluster(cfg, system_pods=False)
    (group,) = state.cluster.node_groups
    assert (group.count, group.min_count, group.max_count) == (1, 1, 4)
    app = tmp_path / "app.yaml"
    import yaml

    app.write_text(yaml.safe_dump(deployment("web", 5, "1", "1Gi")))
    code = main(
        [
            "simulate",
            str(app),
            "--cluster",
            str(cfg),
            "--no-system-pods",
            "--cluster-autoscaler",
            "least-waste",
            "--output",
            "json",
        ]
    )
    assert code == 0
    import json

    out = json.loads(capsys.readouterr().out)
    # m5.large: one 1-cpu pod per node (1,930m); 4 more nodes would be needed, 3 are allowed
    assert [(u["node_group"], u["nodes"]) for u in out["scale_ups"]] == [("ng", 3)]
    web = out["workloads"][0]
    assert (web["running"], web["pending"]) == (4, 1)
    assert "max node group size reached" in web["reason"]


def test_kops_cluster_autoscaler_is_read(tmp_path):
    cfg = tmp_path / "kops.yaml"
    cfg.write_text(
        "apiVersion: kops.k8s.io/v1alpha2\nkind: Cluster\nmetadata: {name: k}\n"
        "spec:\n  networking: {amazonvpc: {}}\n"
        "  clusterAutoscaler: {enabled: true, expander: most-pods}\n"
        "  subnets: [{name: us-east-1a, zone: us-east-1a}]\n"
        "---\napiVersion: kops.k8s.io/v1alpha2\nkind: InstanceGroup\nmetadata: {name: nodes}\n"
        "spec: {role: Node, machineType: m5.large, minSize: 2, maxSize: 6, subnets: [us-east-1a]}\n"
    )
    state = podcap.read_cluster(cfg)
    assert state.cluster_autoscaler is not None
    assert state.cluster_autoscaler.expander == "most-pods"
    (group,) = state.cluster.node_groups
    assert (group.count, group.min_count, group.max_count) == (2, 2, 6)


def test_scale_down_removes_underused_nodes_down_to_min():
    # 4 m5.large hold one 1-cpu pod each (52 % of 1,930m: kept); scaled to 2 pods of 100m the
    # nodes run at 5 %: the autoscaler removes the empty ones down to min_count 1 and then the
    # node whose pod fits on the other
    cluster = Cluster([NodeGroup("ng", "m5.large", 1, zones=("a",), min_count=1, max_count=6)])
    state = ClusterState.of(cluster).with_cluster_autoscaler()
    state, r = podcap.step(state, [deployment("web", 4, "1", "1Gi")])
    assert int(r.scale_ups["nodes"].sum()) == 3
    kept = podcap.scale_down(state)
    assert kept.commands.empty
    assert kept.not_candidates["reason"].str.startswith("utilization 0.5").all()
    state, _ = podcap.step(state, [deployment("web", 2, "100m", "1Gi")])
    out = podcap.scale_down(state)
    assert list(out.commands["method"]) == ["scale-down"] * 3
    assert len(out.state.fleet.names) == 1
    assert int(out.result.workloads["running"].sum()) == 2
    assert out.cost_before == pytest.approx(4 * 0.096)
    assert out.cost_after == pytest.approx(0.096)
    with pytest.raises(InvalidSpecError, match="needs a cluster-autoscaler"):
        podcap.scale_down(ClusterState.of(cluster))
