"""Karpenter provisioning: NodePools, EC2NodeClasses, NodeClaims.

Reference cases restate behaviours asserted by Karpenter's own test suites
(kubernetes-sigs/karpenter ``pkg/controllers/provisioning/scheduling/suite_test.go``,
``instance_selection_test.go``, ``topology_test.go`` and
``pkg/controllers/provisioning/suite_test.go``, v1.14) with real instance types.  Expected
instance types and prices are worked out by hand from the public tables: vCPUs from the EC2
type (m5.large 2, m5.xlarge 4, m5.2xlarge 8, m5.4xlarge 16, m5.8xlarge 32), Karpenter's
kube-reserved cpu bands (6 % of the first core, 1 % of the second, 0.5 % of cores 3-4, 0.25 %
above) and the on-demand prices Karpenter ships for us-east-1 (m5.large $0.096/h,
m5.8xlarge $1.536/h, c5.large $0.085/h, r5.large $0.126/h).
"""

from __future__ import annotations

import json

import pandas as pd
import pytest

import podcap
from podcap import Cluster, ClusterState, NodeClass, NodePool, Requirement
from podcap.errors import InvalidManifestError, InvalidSpecError
from podcap.io.clusters import read_node_pools

M5_OD = (
    Requirement("karpenter.k8s.aws/instance-family", "In", ("m5",)),
    Requirement("karpenter.sh/capacity-type", "In", ("on-demand",)),
)
ZONES = ("us-east-1a", "us-east-1b", "us-east-1c")


def deployment(name: str, replicas: int, cpu: str, memory: str, **spec: object) -> dict:
    pod_spec = {
        "containers": [
            {"name": "c", "image": "x", "resources": {"requests": {"cpu": cpu, "memory": memory}}}
        ],
        **spec,
    }
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": name}},
            "template": {"metadata": {"labels": {"app": name}}, "spec": pod_spec},
        },
    }


def run(pools, manifests, classes=(), **options):
    state = ClusterState.of(Cluster([])).with_node_pools(
        pools, classes, zones=options.pop("zones", ZONES), **options
    )
    return podcap.simulate(state, manifests)


def test_m5_on_demand_30_pods_of_one_cpu_give_one_m5_8xlarge():
    # 30 x 1 cpu: m5.4xlarge allocates 15,890m (16,000 - 60 - 10 - 10 - 30), too small;
    # m5.8xlarge allocates 31,850m and is the cheapest m5 that holds all 30.
    r = run([NodePool("default", M5_OD)], [deployment("web", 30, "1", "1Gi")])
    claims = r.nodeclaims
    assert len(claims) == 1
    row = claims.iloc[0]
    assert (row.instance_type, row.capacity_type, row.pods) == ("m5.8xlarge", "on-demand", 30)
    assert row.cpu_allocatable_millicores == 31850
    assert row.price_per_hour == pytest.approx(1.536)
    assert r.cost_per_hour == pytest.approx(1.536)
    assert int(r.workloads["running"].sum()) == 30


def test_one_small_pod_gets_the_cheapest_type():
    # instance_selection_test.go "should schedule on one of the cheapest instances"
    r = run([NodePool("default", M5_OD)], [deployment("one", 1, "1", "1Gi")])
    assert list(r.nodeclaims["instance_type"]) == ["m5.large"]
    assert r.cost_per_hour == pytest.approx(0.096)


def test_cpu_limit_leaves_pods_pending_with_karpenters_reason():
    # provisioning suite_test.go "should not schedule when limits are exceeded": a cpu limit of
    # 16 keeps types of at most 16 vCPUs; the m5.4xlarge NodeClaim (15,890m allocatable) takes
    # 15 pods and uses up the limit, so the other 15 stay pending.
    pool = NodePool("default", M5_OD, limits={"cpu": 16_000})
    r = run([pool], [deployment("web", 30, "1", "1Gi")])
    assert list(r.nodeclaims["instance_type"]) == ["m5.4xlarge"]
    web = r.workloads.set_index("name").loc["web"]
    assert (web.running, web.pending) == (15, 15)
    assert "all available instance types exceed limits for nodepool" in web.reason
    assert "karpenter" in web.limits


def test_node_limit():
    pool = NodePool("default", M5_OD, limits={"nodes": 2})
    anti = {
        "affinity": {
            "podAntiAffinity": {
                "requiredDuringSchedulingIgnoredDuringExecution": [
                    {
                        "labelSelector": {"matchLabels": {"app": "spread"}},
                        "topologyKey": "kubernetes.io/hostname",
                    }
                ]
            }
        }
    }
    r = run([pool], [deployment("spread", 4, "100m", "100Mi", **anti)])
    # instance capacity has no "nodes" entry: NodeClaims of one batch do not use up a nodes
    # limit (scheduler.go); the next batch sees the nodes and stops
    spread = r.workloads.set_index("name").loc["spread"]
    assert spread.running == 4
    assert len(r.nodeclaims) == 4


def test_weighted_node_pools():
    # provisioning suite_test.go "Weighted NodePools": the highest weight wins
    c5 = NodePool("cheap", (Requirement("node.kubernetes.io/instance-type", "In", ("c5.large",)),))
    r5 = NodePool(
        "memory", (Requirement("node.kubernetes.io/instance-type", "In", ("r5.large",)),), weight=50
    )
    r = run([c5, r5], [deployment("one", 1, "500m", "1Gi")])
    assert list(r.nodeclaims["nodepool"]) == ["memory"]
    assert list(r.nodeclaims["instance_type"]) == ["r5.large"]


def test_taints_need_tolerations():
    tainted = NodePool("gpu", M5_OD, taints=(podcap.Taint("dedicated", "gpu", "NoSchedule"),))
    r = run([tainted], [deployment("plain", 1, "1", "1Gi")])
    plain = r.workloads.set_index("name").loc["plain"]
    assert plain.pending == 1
    assert r.nodeclaims.empty
    assert "did not tolerate taint (taint=dedicated=gpu:NoSchedule)" in plain.reason
    tol = {"tolerations": [{"key": "dedicated", "operator": "Exists"}]}
    r = run([tainted], [deployment("tolerant", 1, "1", "1Gi", **tol)])
    assert int(r.workloads["running"].sum()) == 1
    assert len(r.nodeclaims) == 1


def test_max_pods_from_the_node_class():
    # suite_test.go binpacking "should take pod runtime class / pods-per-node limit into
    # account": with maxPods 10 every type holds 10 pods, so 25 pods need 3 NodeClaims, each
    # the cheapest m5 (m5.large)
    nc = NodeClass("default", max_pods=10)
    r = run([NodePool("default", M5_OD)], [deployment("tiny", 25, "10m", "10Mi")], [nc])
    assert list(r.nodeclaims["instance_type"]) == ["m5.large"] * 3
    assert sorted(r.nodeclaims["pods"]) == [5, 10, 10]
    assert int(r.workloads["running"].sum()) == 25


def test_zone_spread_pins_nodeclaims_to_zones():
    # topology_test.go "should balance pods across zones"
    spread = {
        "topologySpreadConstraints": [
            {
                "maxSkew": 1,
                "topologyKey": "topology.kubernetes.io/zone",
                "whenUnsatisfiable": "DoNotSchedule",
                "labelSelector": {"matchLabels": {"app": "api"}},
            }
        ]
    }
    r = run([NodePool("default", M5_OD)], [deployment("api", 6, "1", "1Gi", **spread)])
    assert sorted(r.nodeclaims["zone"]) == list(ZONES)
    per_zone = r.nodes.groupby("zone")["pods"].sum()
    assert list(per_zone) == [2, 2, 2]


def test_required_anti_affinity_gives_one_node_per_pod():
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
    r = run([NodePool("default", M5_OD)], [deployment("db", 3, "100m", "100Mi", **anti)])
    assert list(r.nodeclaims["pods"]) == [1, 1, 1]
    assert list(r.nodeclaims["instance_type"]) == ["m5.large"] * 3


def test_preferred_anti_affinity_is_required_first():
    # preferences.go: a preferred term is treated as required until the pod fails
    anti = {
        "affinity": {
            "podAntiAffinity": {
                "preferredDuringSchedulingIgnoredDuringExecution": [
                    {
                        "weight": 100,
                        "podAffinityTerm": {
                            "labelSelector": {"matchLabels": {"app": "web"}},
                            "topologyKey": "kubernetes.io/hostname",
                        },
                    }
                ]
            }
        }
    }
    r = run([NodePool("default", M5_OD)], [deployment("web", 3, "100m", "100Mi", **anti)])
    assert len(r.nodeclaims) == 3
    # with a node limit of 1 the preference is relaxed: one node takes all three
    pool = NodePool("default", M5_OD, limits={"cpu": 2000})
    r = run([pool], [deployment("web", 3, "100m", "100Mi", **anti)])
    assert len(r.nodeclaims) == 1
    assert int(r.workloads["running"].sum()) == 3


def test_incompatible_requirements_and_unknown_labels():
    arm = {"nodeSelector": {"kubernetes.io/arch": "arm64"}}
    r = run([NodePool("default", M5_OD)], [deployment("arm", 1, "1", "1Gi", **arm)])
    row = r.workloads.set_index("name").loc["arm"]
    assert row.pending == 1
    assert r.nodeclaims.empty
    assert "no instance type met the scheduling requirements" in row.reason
    team = {"nodeSelector": {"team": "a"}}
    r = run([NodePool("default", M5_OD)], [deployment("team", 1, "1", "1Gi", **team)])
    assert 'label "team" does not have known values' in r.workloads.iloc[0].reason
    # a NodePool label defines the key
    pool = NodePool("default", M5_OD, labels={"team": "a"})
    r = run([pool], [deployment("team", 1, "1", "1Gi", **team)])
    assert int(r.workloads["running"].sum()) == 1


def test_spot_when_allowed_and_spot_prices_only_from_the_user():
    spot = (
        Requirement("karpenter.k8s.aws/instance-family", "In", ("m5",)),
        Requirement("karpenter.sh/capacity-type", "In", ("spot", "on-demand")),
    )
    r = run([NodePool("default", spot)], [deployment("one", 1, "1", "1Gi")])
    row = r.nodeclaims.iloc[0]
    assert (row.capacity_type, row.price_per_hour) == ("spot", None)
    assert r.cost_per_hour is None
    prices = pd.DataFrame(
        {
            "instance_type": ["m5.large", "m5.xlarge"],
            "capacity_type": ["spot", "spot"],
            "usd_per_hour": [0.05, 0.03],
        }
    )
    r = run([NodePool("default", spot)], [deployment("one", 1, "1", "1Gi")], prices=prices)
    row = r.nodeclaims.iloc[0]
    assert (row.instance_type, row.capacity_type, row.price_per_hour) == (
        "m5.xlarge",
        "spot",
        0.03,
    )


def test_metal_only_when_nothing_else_fits():
    pool = NodePool("default", (Requirement("karpenter.k8s.aws/instance-family", "In", ("m5",)),))
    r = run([pool], [deployment("big", 1, "90", "1Gi")])
    assert list(r.nodeclaims["instance_type"]) == ["m5.24xlarge"]


def test_daemonset_overhead_counts():
    # provisioning suite_test.go "should account for daemonsets": 1 cpu pod + a 1 cpu
    # DaemonSet do not fit an m5.large (1,930m allocatable); m5.xlarge (3,920m) does
    ds = {
        "apiVersion": "apps/v1",
        "kind": "DaemonSet",
        "metadata": {"name": "agent"},
        "spec": {
            "selector": {"matchLabels": {"app": "agent"}},
            "template": {
                "metadata": {"labels": {"app": "agent"}},
                "spec": {
                    "containers": [
                        {"name": "a", "image": "a", "resources": {"requests": {"cpu": "1"}}}
                    ]
                },
            },
        },
    }
    r = run([NodePool("default", M5_OD)], [ds, deployment("one", 1, "1", "1Gi")])
    assert list(r.nodeclaims["instance_type"]) == ["m5.xlarge"]
    assert int(r.workloads["running"].sum()) == 2


def test_read_nodepools_and_cli_json(tmp_path, capsys):
    from podcap.cli import main

    code = main(
        [
            "simulate",
            "examples/karpenter/app.yaml",
            "--cluster",
            "examples/karpenter/nodepools.yaml",
            "--output",
            "json",
        ]
    )
    assert code == 0
    out = json.loads(capsys.readouterr().out)
    assert out["nodeclaims"]
    for claim in out["nodeclaims"]:
        assert set(claim) == {
            "nodepool",
            "instance_type",
            "capacity_type",
            "zone",
            "pods",
            "price_per_hour",
        }
        assert claim["capacity_type"] in ("on-demand", "spot")
    assert all(w["pending"] == 0 for w in out["workloads"])


def test_reader_errors(tmp_path):
    bad = tmp_path / "pools.yaml"
    bad.write_text(
        "apiVersion: karpenter.sh/v1\nkind: NodePool\nmetadata: {name: a}\nspec:\n"
        "  template:\n    spec:\n      nodeClassRef: {name: default}\n"
        "      requirements: [{key: x, operator: Bigger, values: ['1']}]\n"
    )
    with pytest.raises(InvalidManifestError, match=r"requirements\[0\]\.operator: 'Bigger'"):
        podcap.read_cluster(bad)
    bad.write_text(
        "apiVersion: karpenter.sh/v1\nkind: NodePool\nmetadata: {name: a}\nspec:\n"
        "  template:\n    spec:\n      nodeClassRef: {name: missing}\n"
    )
    with pytest.raises(InvalidManifestError, match=r"EC2NodeClass 'missing'"):
        podcap.read_cluster(bad)
    bad.write_text("apiVersion: karpenter.sh/v1beta1\nkind: NodePool\nmetadata: {name: a}\n")
    with pytest.raises(InvalidManifestError, match=r"karpenter\.sh/v1"):
        podcap.read_cluster(bad)
    with pytest.raises(InvalidSpecError, match=r"Gt takes exactly one integer"):
        Requirement("karpenter.k8s.aws/instance-cpu", "Gt", ("four",))


def gpu_pod(name: str, gpus: int) -> dict:
    wl = deployment(name, 1, "2", "8Gi")
    res = wl["spec"]["template"]["spec"]["containers"][0]["resources"]
    res["limits"] = {"nvidia.com/gpu": str(gpus)}
    return wl


def test_gpu_pods_get_gpu_types_and_others_do_not():
    # suite_test.go "should schedule pods requesting GPUs on GPU instance types"; the AWS launch
    # filter drops GPU types for NodeClaims that can use others.  g5.xlarge: 4 vCPUs, 1 A10G,
    # the smallest g5 (us-east-1 $1.006/h); a 2-GPU pod needs g5.12xlarge (4 GPUs; the g5 sizes
    # up to 16xlarge have 1).
    pool = NodePool(
        "mixed",
        (
            Requirement("karpenter.k8s.aws/instance-family", "In", ("g5", "m5")),
            Requirement("karpenter.sh/capacity-type", "In", ("on-demand",)),
        ),
    )
    r = run([pool], [gpu_pod("train", 1)])
    assert list(r.nodeclaims["instance_type"]) == ["g5.xlarge"]
    assert r.cost_per_hour == pytest.approx(1.006)
    r = run([pool], [deployment("web", 1, "1", "1Gi")])
    assert list(r.nodeclaims["instance_type"]) == ["m5.large"]
    # without a taint, Karpenter packs a plain pod onto the GPU NodeClaim when it fits there
    r = run([pool], [gpu_pod("train", 1), deployment("web", 1, "1", "1Gi")])
    assert list(r.nodeclaims["instance_type"]) == ["g5.xlarge"]
    assert int(r.workloads["running"].sum()) == 2
    r = run([pool], [gpu_pod("big", 2)])
    assert list(r.nodeclaims["instance_type"]) == ["g5.12xlarge"]


def test_eks_auto_mode_preset_and_eksctl_switch(tmp_path):
    # set-builtin-node-pools.adoc: general-purpose is amd64 only, C/M/R, generation 5 or newer,
    # on-demand; system carries the CriticalAddonsOnly taint.  create-node-class.adoc: at most
    # 110 pods per node.
    pools, node_class = podcap.presets.eks_auto_mode()
    assert [p.name for p in pools] == ["general-purpose", "system"]
    state = ClusterState.of(Cluster([])).with_node_pools(pools, [node_class], zones=ZONES)
    r = podcap.simulate(state, [deployment("web", 1, "1", "1Gi")])
    row = r.nodeclaims.iloc[0]
    assert row.nodepool == "general-purpose"  # the pod does not tolerate CriticalAddonsOnly
    labels = podcap.model.karpenter.instance_labels().loc[row.instance_type]
    assert labels["karpenter.k8s.aws/instance-category"] in ("c", "m", "r")
    assert int(labels["karpenter.k8s.aws/instance-generation"]) >= 5
    assert labels["kubernetes.io/arch"] == "amd64"
    assert row.capacity_type == "on-demand"
    big = podcap.simulate(state, [deployment("many", 400, "10m", "10Mi")])
    assert int(big.nodes["pods_allocatable"].max()) == 110
    with pytest.raises(InvalidSpecError, match="no built-in NodePool 'gpu'"):
        podcap.presets.eks_auto_mode(["gpu"])
    cfg = tmp_path / "auto.yaml"
    cfg.write_text(
        "apiVersion: eksctl.io/v1alpha5\nkind: ClusterConfig\n"
        "metadata: {name: auto, region: us-west-2}\n"
        "availabilityZones: [us-west-2a, us-west-2b]\n"
        "autoModeConfig: {enabled: true, nodePools: [general-purpose]}\n"
    )
    state = podcap.read_cluster(cfg)
    assert state.karpenter is not None
    assert [p.name for p in state.karpenter.node_pools] == ["general-purpose"]
    assert state.implied == ()
    r = podcap.simulate(state, [deployment("web", 2, "1", "1Gi")])
    assert int(r.workloads["running"].sum()) == 2
    assert set(r.nodes["zone"]) <= {"us-west-2a", "us-west-2b"}


def test_min_values_keeps_enough_instance_types_open():
    # instance_selection_test.go "should schedule respecting the minValues from instance-type
    # requirement".  Nine m5 types; with minValues 8 a NodeClaim keeps pods only while 8 of its
    # types hold them all: m5.xlarge and larger (8 types, 3,920m and up) hold 3 pods of 1 cpu,
    # 4 pods need m5.2xlarge and larger (7 types).  So 6 pods make two NodeClaims of 3, each
    # launched as its cheapest type, m5.xlarge; minValues 10 cannot be met by 9 types.
    family = Requirement(
        "node.kubernetes.io/instance-type",
        "In",
        tuple(
            f"m5.{s}"
            for s in (
                "large",
                "xlarge",
                "2xlarge",
                "4xlarge",
                "8xlarge",
                "12xlarge",
                "16xlarge",
                "24xlarge",
                "metal",
            )
        ),
        min_values=8,
    )
    pool = NodePool(
        "default", (family, Requirement("karpenter.sh/capacity-type", "In", ("on-demand",)))
    )
    r = run([pool], [deployment("web", 6, "1", "1Gi")])
    assert list(r.nodeclaims["pods"]) == [3, 3]
    assert list(r.nodeclaims["instance_type"]) == ["m5.xlarge", "m5.xlarge"]
    # minValues 9: only one pod per NodeClaim keeps all nine types open
    nine = Requirement(family.key, "In", family.values, min_values=9)
    r = run([NodePool("default", (nine, M5_OD[1]))], [deployment("web", 3, "1", "1Gi")])
    assert list(r.nodeclaims["pods"]) == [1, 1, 1]
    # a pod that narrows the types below minValues is refused with Karpenter's reason
    two = {"nodeSelector": {"node.kubernetes.io/instance-type": "m5.large"}}
    r = run([pool], [deployment("one", 1, "1", "1Gi", **two)])
    assert "minValues requirement is not met" in r.workloads.iloc[0].reason
    # the CRD refuses minValues above the number of values given
    with pytest.raises(InvalidSpecError, match="minValues 10 is more than the 9 value"):
        Requirement(family.key, "In", family.values, min_values=10)


NODECLASS = (
    "---\napiVersion: karpenter.k8s.aws/v1\nkind: EC2NodeClass\nmetadata: {name: default}\n"
    "spec: {amiSelectorTerms: [{alias: al2023@latest}]}\n"
)


def pool_yaml(spec: str = "", template: str = "", meta: str = "{name: a}") -> str:
    return (
        f"apiVersion: karpenter.sh/v1\nkind: NodePool\nmetadata: {meta}\nspec:\n"
        f"  template:\n    spec:\n      nodeClassRef: {{name: default}}\n{template}{spec}"
        + NODECLASS
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (pool_yaml(meta="[a]"), r"expected a mapping"),
        (
            pool_yaml(template="    metadata: {labels: {team: null}}\n"),
            r"labels.team: a label value must be a string",
        ),
        (
            pool_yaml(template="      requirements: [{key: team, operator: In}]\n"),
            r"operator In needs at least one value",
        ),
        (
            pool_yaml(
                template="      requirements: [{key: karpenter.k8s.aws/instance-cpu, "
                "operator: Gt, values: ['-1']}]\n"
            ),
            r"one integer >= 0",
        ),
        (
            pool_yaml(
                template="      requirements: [{key: kubernetes.io/hostname, operator: In, "
                "values: [a]}]\n"
            ),
            r"'kubernetes.io/hostname' is restricted",
        ),
        (
            pool_yaml(spec="  disruption: {budgets: [{nodes: '10%', reasons: [Bored]}]}\n"),
            r"budgets\[0\]\.reasons",
        ),
    ],
)
def test_hostile_node_pools_are_clear_errors(tmp_path, text, message):
    f = tmp_path / "pools.yaml"
    f.write_text(text)
    with pytest.raises(InvalidManifestError, match=message):
        podcap.read_cluster(f)


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("{amiSelectorTerms: [{id: ami-123}]}", r"amiFamily: required unless"),
        ("{amiFamily: AL2023, amiSelectorTerms: abc}", r"amiSelectorTerms: expected a list"),
        ("{amiFamily: AL2023, kubelet: {kubeReserved: {cpu: lots}}}", r"kubeReserved.cpu"),
    ],
)
def test_hostile_node_classes_are_clear_errors(tmp_path, spec, message):
    f = tmp_path / "pools.yaml"
    f.write_text(
        pool_yaml().split("---")[0]
        + f"---\napiVersion: karpenter.k8s.aws/v1\nkind: EC2NodeClass\nmetadata: {{name: default}}\n"
        f"spec: {spec}\n"
    )
    with pytest.raises(InvalidManifestError, match=message):
        podcap.read_cluster(f)


def test_node_class_eviction_thresholds_may_be_percentages(tmp_path):
    # EC2NodeClass spec.kubelet.evictionHard takes kubelet's thresholds, percentages included
    # (memory.available: 5%); reservations do not
    f = tmp_path / "pools.yaml"
    kubelet = "{evictionHard: {memory.available: 5%}, kubeReserved: {memory: 1Gi}}"
    f.write_text(
        pool_yaml().split("---")[0]
        + "---\napiVersion: karpenter.k8s.aws/v1\nkind: EC2NodeClass\nmetadata: {name: default}\n"
        f"spec: {{amiFamily: AL2023, kubelet: {kubelet}}}\n"
    )
    karpenter, _ = read_node_pools(f)
    node_class = karpenter.node_classes["default"]
    assert node_class.eviction_hard == {"memory.available": "5%"}
    assert node_class.kube_reserved == {"memory": "1Gi"}
    f.write_text(f.read_text().replace("kubeReserved: {memory: 1Gi}", "kubeReserved: {memory: 5%}"))
    with pytest.raises(InvalidManifestError, match=r"kubeReserved\.memory"):
        read_node_pools(f)


def test_budgets_limited_to_a_reason_apply_to_that_reason_only():
    # nodepool.go: a budget with reasons applies to those reasons; a 0-node Drifted budget
    # does not stop emptiness
    pool = NodePool("default", M5_OD, budgets=("100%", ("0", ("Drifted",))))
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
    state = ClusterState.of(Cluster([])).with_node_pools([pool], zones=ZONES)
    state, _ = podcap.step(state, [deployment("db", 2, "100m", "100Mi", **anti)])
    state, _ = podcap.settle(state.scale(state.find("db"), 0))
    c = podcap.consolidate(state)
    assert [len(n.split(",")) for n in c.commands["nodes"]] == [2]


def test_gpu_shortage_names_the_gpus():
    pool = NodePool("default", M5_OD)
    r = run([pool], [gpu_pod("train", 1)])
    assert '"nvidia.com/gpu":"1"' in r.workloads.iloc[0].reason or (
        "no instance type met" in r.workloads.iloc[0].reason
    )


def test_fleet_plot_shows_the_nodes_added():
    pytest.importorskip("matplotlib")
    import matplotlib

    matplotlib.use("Agg")
    r = run([NodePool("default", M5_OD)], [deployment("web", 30, "1", "1Gi")])
    ax = podcap.plot.fleet(r)
    assert [t.get_text() for t in ax.get_xticklabels()] == ["default\nm5.8xlarge (on-demand)"]
    assert [p.get_height() for p in ax.patches] == [1]
    assert "$1.536/h" in ax.get_title()
    empty = podcap.simulate(Cluster([]), [deployment("web", 1, "1", "1Gi")])
    with pytest.raises(podcap.InvalidOptionError, match="no nodes were added"):
        podcap.plot.fleet(empty)


def test_node_pools_in_a_kubectl_snapshot(tmp_path):
    import json

    node = {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {
            "name": "ip-10-0-1-1.ec2.internal",
            "labels": {
                "node.kubernetes.io/instance-type": "m5.large",
                "topology.kubernetes.io/zone": "us-east-1a",
                "karpenter.sh/nodepool": "default",
                "karpenter.sh/capacity-type": "on-demand",
                "kubernetes.io/arch": "amd64",
            },
        },
        "status": {
            "capacity": {"cpu": "2", "memory": "7935188Ki", "pods": "29"},
            "allocatable": {
                "cpu": "1930m",
                "memory": "7068884Ki",
                "pods": "29",
                "ephemeral-storage": "18242267924",
            },
        },
    }
    pool = {
        "apiVersion": "karpenter.sh/v1",
        "kind": "NodePool",
        "metadata": {"name": "default"},
        "spec": {
            "template": {
                "spec": {
                    "nodeClassRef": {
                        "group": "karpenter.k8s.aws",
                        "kind": "EC2NodeClass",
                        "name": "default",
                    },
                    "requirements": [
                        {
                            "key": "karpenter.k8s.aws/instance-family",
                            "operator": "In",
                            "values": ["m5"],
                        },
                        {
                            "key": "karpenter.sh/capacity-type",
                            "operator": "In",
                            "values": ["on-demand"],
                        },
                    ],
                }
            },
            "limits": {"nodes": "2"},
        },
    }
    node_class = {
        "apiVersion": "karpenter.k8s.aws/v1",
        "kind": "EC2NodeClass",
        "metadata": {"name": "default"},
        "spec": {"amiSelectorTerms": [{"alias": "al2023@latest"}]},
    }
    f = tmp_path / "snapshot.json"
    f.write_text(
        json.dumps({"apiVersion": "v1", "kind": "List", "items": [node, pool, node_class]})
    )
    state = podcap.read_cluster(f)
    assert state.karpenter is not None
    assert [p.name for p in state.karpenter.node_pools] == ["default"]
    # the existing node is one of the NodePool's nodes (its label): with a nodes limit of 2,
    # one batch may still open NodeClaims for every pod (instance capacity has no "nodes"
    # entry), the next batch finds the limit used up
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
    state, r = podcap.step(state, [deployment("db", 3, "100m", "100Mi", **anti)])
    assert len(r.nodeclaims) == 2
    assert int(r.workloads.set_index("name").loc["db"].running) == 3
    state, r = podcap.step(state, [deployment("db", 4, "100m", "100Mi", **anti)])
    db = r.workloads.set_index("name").loc["db"]
    assert (db.running, db.pending) == (3, 1)
    assert "node limits have been exhausted" in db.reason


def test_check_says_what_karpenter_launches():
    state = ClusterState.of(Cluster([])).with_node_pools([NodePool("default", M5_OD)], zones=ZONES)
    report = podcap.check(state, [deployment("web", 30, "1", "1Gi")])
    assert report.ok
    assert str(report).splitlines()[1] == "Karpenter launches 1 node(s) (1 x m5.8xlarge): $1.5360/h"
    assert report.to_dict()["autoscaling"] == {
        "nodeclaims": 1,
        "scale_up_nodes": 0,
        "cost_per_hour": pytest.approx(1.536),
    }


def test_no_nodeclaim_for_a_pod_pinned_to_a_hostname():
    # nodeclaim.go: a new NodeClaim's hostname is a placeholder, so a pod requiring a given
    # hostname cannot join one
    pinned = {"nodeSelector": {"kubernetes.io/hostname": "ip-10-0-0-1.ec2.internal"}}
    r = run([NodePool("default", M5_OD)], [deployment("pinned", 1, "1", "1Gi", **pinned)])
    assert r.nodeclaims.empty
    assert "key kubernetes.io/hostname" in r.workloads.iloc[0].reason


def _pv_in(zone: str) -> list[dict]:
    pv = {
        "apiVersion": "v1",
        "kind": "PersistentVolume",
        "metadata": {"name": "data-pv"},
        "spec": {
            "csi": {"driver": "ebs.csi.aws.com", "volumeHandle": "vol-1"},
            "claimRef": {"namespace": "default", "name": "data"},
            "nodeAffinity": {
                "required": {
                    "nodeSelectorTerms": [
                        {
                            "matchExpressions": [
                                {
                                    "key": "topology.ebs.csi.aws.com/zone",
                                    "operator": "In",
                                    "values": [zone],
                                }
                            ]
                        }
                    ]
                }
            },
        },
    }
    pvc = {
        "apiVersion": "v1",
        "kind": "PersistentVolumeClaim",
        "metadata": {"name": "data"},
        "spec": {"storageClassName": "", "volumeName": "data-pv"},
    }
    return [pv, pvc]


def test_volume_topology_pins_the_nodeclaim():
    # volumetopology.go: a bound volume's node affinity joins the pod's requirements
    vol = {"volumes": [{"name": "d", "persistentVolumeClaim": {"claimName": "data"}}]}
    r = run(
        [NodePool("default", M5_OD)],
        [*_pv_in("us-east-1b"), deployment("db", 1, "1", "1Gi", **vol)],
    )
    assert list(r.nodeclaims["zone"]) == ["us-east-1b"]
    assert int(r.workloads.iloc[0].running) == 1
    # a volume in a zone the NodePool cannot use: no NodeClaim, Karpenter's reason
    r = run(
        [NodePool("default", M5_OD)],
        [*_pv_in("us-east-1d"), deployment("db", 1, "1", "1Gi", **vol)],
    )
    assert r.nodeclaims.empty
    assert "key topology.kubernetes.io/zone" in r.workloads.iloc[0].reason


def test_ephemeral_storage_limit_counts_the_root_volume():
    # types.go: instance capacity includes ephemeral-storage (the root volume, 20 GiB)
    pool = NodePool("default", M5_OD, limits={"ephemeral-storage": 1 << 30})
    r = run([pool], [deployment("web", 1, "1", "1Gi")])
    assert r.nodeclaims.empty
    assert "all available instance types exceed limits" in r.workloads.iloc[0].reason


def test_more_hostile_inputs(tmp_path):
    with pytest.raises(InvalidSpecError, match="restricted domain"):
        NodePool("p", labels={"node-role.kubernetes.io/worker": "x"})
    with pytest.raises(InvalidSpecError, match="Invalid value"):
        NodePool("p", labels={"bad key!": "x"})
    assert NodePool("p", taints=podcap.Taint("a", "b", "NoSchedule")).taints[0].key == "a"
    with pytest.raises(InvalidSpecError, match="not an AWS region"):
        ClusterState.of(Cluster([])).with_node_pools([NodePool("p")], region="mars-1")
    cfg = tmp_path / "auto.yaml"
    cfg.write_text(
        "apiVersion: eksctl.io/v1alpha5\nkind: ClusterConfig\nmetadata: {name: a, region: us-east-1}\n"
        "autoModeConfig: {enabled: 'yes'}\n"
    )
    with pytest.raises(
        InvalidManifestError, match=r"autoModeConfig\.enabled: expected true or false"
    ):
        podcap.read_cluster(cfg)


def test_the_readme_karpenter_example_prints_what_the_readme_shows():
    import io
    import re
    from pathlib import Path

    from podcap.cli import main

    root = Path(__file__).resolve().parents[1]
    readme = (root / "README.md").read_text()
    block = readme.split("## Karpenter: which nodes would it launch?", 1)[1].split("```", 2)[1]
    command = block.splitlines()[1].removeprefix("$ podcap ").split()
    shown = [line for line in block.splitlines()[2:] if line.strip() and line.strip() != "..."]
    out = io.StringIO()
    argv = [str(root / a) if (root / a).exists() else a for a in command]
    assert main(argv, stream=out) == 0
    printed = out.getvalue().splitlines()
    for line in shown:
        assert re.sub(r"\s+", " ", line.strip()) in {
            re.sub(r"\s+", " ", p.strip()) for p in printed
        }
