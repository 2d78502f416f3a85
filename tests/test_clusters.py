"""Reading the cluster files users already keep: eksctl ClusterConfig and kOps.

The files below are written from the formats' public documentation:

* eksctl: "Config file schema" (https://eksctl.io/usage/schema/), "Managing nodegroups"
  (https://eksctl.io/usage/nodegroups/), "Spot instances" (``instancesDistribution``),
  "Taints" (list of ``{key, value, effect}``; older eksctl releases took a map
  ``key: "value:Effect"``), "Addons" (``configurationValues`` as a YAML or JSON string) and
  "VPC Networking" (``vpc.subnets.private.<name>: {id, az, cidr}``, node groups' ``subnets``
  naming them).
* kOps: "Cluster spec" (https://kops.sigs.k8s.io/cluster_spec/: ``spec.networking.amazonvpc.env``,
  ``spec.kubelet.maxPods``, ``spec.kubeProxy.cpuRequest``, ``spec.subnets`` with name / zone /
  cidr, ``spec.cloudConfig.awsEBSCSIDriver.enabled``) and "Instance Groups"
  (https://kops.sigs.k8s.io/instance_groups/: ``role``, ``machineType``, ``minSize``/``maxSize``,
  ``subnets``, ``nodeLabels``, ``taints`` as ``key=value:Effect`` strings, ``kubelet``
  overrides), as ``kops get -o yaml`` prints them (one multi-document file).

Expected numbers are computed by hand in the comments.  Allocatable used below:
m5.large under the EKS AMI: 2000m - kube-reserved (6% of the first core + 1% of the second =
70m) = 1930m.  c5d.large under kOps: 2000m (kOps reserves no cpu).  Implied system pods
(podcap.model.addons, the add-ons' published requests): aws-node 25m + 25m, kube-proxy 100m
(DaemonSets, everywhere: they tolerate every taint), coredns 2 x 100m; kOps adds the
coredns-autoscaler 20m, ebs-csi-node 3 x 10m and one ebs-csi-controller 6 x 10m.
"""

from __future__ import annotations

import io
import json
import re
import textwrap
import warnings
from pathlib import Path
from typing import Any

import pytest

import podcap
from podcap.cli import main
from podcap.io.clusters import read_cluster_input

REPO = Path(__file__).resolve().parents[1]
KOPS_EXAMPLE = REPO / "examples" / "kops" / "cluster.yaml"
EKSCTL_EXAMPLE = REPO / "examples" / "eksctl" / "cluster.yaml"
SEED_APP = REPO / "examples" / "seed" / "manifests" / "app.yaml"


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    return path


def deployment(
    name: str,
    replicas: int,
    cpu: str | None = None,
    *,
    namespace: str = "default",
    node_selector: dict[str, str] | None = None,
    tolerations: list[dict[str, str]] | None = None,
) -> dict[str, Any]:
    container: dict[str, Any] = {"name": name, "image": f"{name}:1"}
    if cpu is not None:
        container["resources"] = {"requests": {"cpu": cpu}}
    spec: dict[str, Any] = {"containers": [container]}
    if node_selector:
        spec["nodeSelector"] = node_selector
    if tolerations:
        spec["tolerations"] = tolerations
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": name}},
            "template": {"metadata": {"labels": {"app": name}}, "spec": spec},
        },
    }


def row(result: podcap.SimulationResult, name: str) -> dict[str, Any]:
    rows = result.workloads[result.workloads["name"] == name].to_dict(orient="records")
    assert len(rows) == 1, f"expected one workload {name}, got {len(rows)}"
    return rows[0]


def groups(ci: podcap.ClusterInput) -> dict[str, podcap.NodeGroup]:
    return {g.name: g for g in ci.cluster.node_groups}


def run_cli(*argv: str) -> tuple[int, str]:
    stream = io.StringIO()
    status = main(list(argv), stream=stream)
    return status, stream.getvalue()


def table_row(out: str, name: str) -> list[str]:
    """The cells of the table line of workload ``name`` in ``podcap simulate`` output."""
    rows = [line.split() for line in out.splitlines() if re.search(rf"\s{re.escape(name)}\s", line)]
    rows = [r for r in rows if len(r) == 10 and r[2] == name]
    assert len(rows) == 1, out
    return rows[0]


# ---------------------------------------------------------------------------------------------
# eksctl


EKSCTL_HEADER = """
apiVersion: eksctl.io/v1alpha5
kind: ClusterConfig
metadata:
  name: shop
  region: us-west-2
"""


def eksctl(tmp_path: Path, body: str, name: str = "eksctl.yaml") -> Path:
    return write(tmp_path, name, textwrap.dedent(EKSCTL_HEADER) + textwrap.dedent(body))


def test_eksctl_single_instance_type_and_desired_capacity(tmp_path: Path) -> None:
    # "Managing nodegroups": nodeGroups[].instanceType and desiredCapacity.
    path = eksctl(
        tmp_path,
        """
        nodeGroups:
          - name: ng-1
            instanceType: m5.large
            desiredCapacity: 3
            minSize: 1
            maxSize: 6
        """,
    )
    ci = read_cluster_input(path)
    assert ci.format == "eksctl ClusterConfig"
    g = groups(ci)["ng-1"]
    assert (g.instance_type, g.count) == ("m5.large", 3)  # desiredCapacity, not min or max


def test_eksctl_desired_capacity_defaults_to_two(tmp_path: Path) -> None:
    # eksctl's default node count is 2 ("Managing nodegroups": --nodes defaults to 2).
    path = eksctl(
        tmp_path,
        """
        managedNodeGroups:
          - name: web
            instanceType: m5.large
        """,
    )
    assert groups(read_cluster_input(path))["web"].count == 2


def test_eksctl_managed_node_group_without_instance_type_is_m5_large(tmp_path: Path) -> None:
    # eksctl gives managed node groups m5.large when no instance type is set.
    path = eksctl(tmp_path, "managedNodeGroups:\n  - name: mng\n    desiredCapacity: 1\n")
    g = groups(read_cluster_input(path))["mng"]
    assert (g.instance_type, g.count) == ("m5.large", 1)


def test_eksctl_managed_instance_types_split_round_robin(tmp_path: Path) -> None:
    # managedNodeGroups[].instanceTypes (a mixed-instance ASG): 5 nodes over 3 types, shared
    # round-robin: 2, 2, 1 in list order.
    path = eksctl(
        tmp_path,
        """
        managedNodeGroups:
          - name: mixed
            instanceTypes: ["m5.large", "m5a.large", "m4.large"]
            spot: true
            desiredCapacity: 5
        """,
    )
    ci = read_cluster_input(path)
    got = {g.name: (g.instance_type, g.count) for g in ci.cluster.node_groups}
    assert got == {
        "mixed-m5-large": ("m5.large", 2),
        "mixed-m5a-large": ("m5a.large", 2),
        "mixed-m4-large": ("m4.large", 1),
    }
    assert ci.cluster.node_count == 5


def test_eksctl_instances_distribution_self_managed(tmp_path: Path) -> None:
    # "Spot instances": self-managed nodeGroups with instancesDistribution.instanceTypes and no
    # instanceType.  3 nodes over 2 types: 2 + 1.
    path = eksctl(
        tmp_path,
        """
        nodeGroups:
          - name: spot
            desiredCapacity: 3
            minSize: 2
            maxSize: 5
            instancesDistribution:
              maxPrice: 0.017
              instanceTypes: ["m5.large", "m5a.large"]
              onDemandBaseCapacity: 0
              onDemandPercentageAboveBaseCapacity: 50
              spotInstancePools: 2
        """,
    )
    ci = read_cluster_input(path)
    got = {g.name: (g.instance_type, g.count) for g in ci.cluster.node_groups}
    assert got == {"spot-m5-large": ("m5.large", 2), "spot-m5a-large": ("m5a.large", 1)}
    # Both halves carry the node group's name label, so a nodeSelector on it reaches all 3.
    for g in ci.cluster.node_groups:
        assert g.labels["alpha.eksctl.io/nodegroup-name"] == "spot"


def test_eksctl_instance_type_plus_distribution_list(tmp_path: Path) -> None:
    # instanceType given with a distribution: the named type comes first, no duplicate.
    # 4 nodes over [m5.large, m5a.large]: 2 + 2.
    path = eksctl(
        tmp_path,
        """
        nodeGroups:
          - name: ng
            instanceType: m5.large
            desiredCapacity: 4
            instancesDistribution:
              instanceTypes: ["m5a.large", "m5.large"]
        """,
    )
    got = {g.name: (g.instance_type, g.count) for g in read_cluster_input(path).cluster.node_groups}
    assert got == {"ng-m5-large": ("m5.large", 2), "ng-m5a-large": ("m5a.large", 2)}


def test_eksctl_availability_zones_and_labels(tmp_path: Path) -> None:
    # Node group availabilityZones and labels (schema: nodeGroups[].availabilityZones, labels).
    path = eksctl(
        tmp_path,
        """
        managedNodeGroups:
          - name: web
            instanceType: m5.large
            desiredCapacity: 3
            availabilityZones: ["us-west-2a", "us-west-2b"]
            labels: {role: web}
        """,
    )
    ci = read_cluster_input(path)
    g = groups(ci)["web"]
    assert g.zones == ("us-west-2a", "us-west-2b")
    assert g.labels["role"] == "web"
    result = podcap.simulate(ci.cluster, [])
    zones = result.nodes["zone"].value_counts().to_dict()
    # 3 nodes spread over 2 zones: 2 in one, 1 in the other, none elsewhere.
    assert set(zones) == {"us-west-2a", "us-west-2b"}
    assert sorted(zones.values()) == [1, 2]


TAINTED = {
    "list": """
        managedNodeGroups:
          - name: web
            instanceType: m5.large
            desiredCapacity: 2
            labels: {role: web}
          - name: db
            instanceType: m5.large
            desiredCapacity: 1
            labels: {role: db}
            taints:
              - key: dedicated
                value: db
                effect: NoSchedule
        """,
    # The older eksctl form: a map of key to "value:Effect".
    "map": """
        nodeGroups:
          - name: web
            instanceType: m5.large
            desiredCapacity: 2
            labels: {role: web}
          - name: db
            instanceType: m5.large
            desiredCapacity: 1
            labels: {role: db}
            taints:
              dedicated: "db:NoSchedule"
        """,
}


@pytest.mark.parametrize("form", sorted(TAINTED))
def test_eksctl_taints_and_labels_steer_scheduling(tmp_path: Path, form: str) -> None:
    ci = read_cluster_input(eksctl(tmp_path, TAINTED[form]))
    db = groups(ci)["db"]
    assert [str(t) for t in db.taints] == ["dedicated=db:NoSchedule"]
    assert groups(ci)["web"].taints == ()
    select = {"role": "db"}
    tolerate = [{"key": "dedicated", "operator": "Equal", "value": "db", "effect": "NoSchedule"}]
    # Without the toleration, nothing selecting role=db can run: the only such node is tainted.
    blocked = podcap.simulate(
        ci.cluster, [*ci.system_pods, deployment("pg", 2, "500m", node_selector=select)]
    )
    assert (row(blocked, "pg")["running"], row(blocked, "pg")["pending"]) == (0, 2)
    assert "untolerated taint" in row(blocked, "pg")["reason"]
    # With it: the db node has 1930m - aws-node 50m - kube-proxy 100m = 1780m (coredns does not
    # tolerate the taint), so 3 x 500m fit (1500m) and the 4th (2000m) does not.
    ok = podcap.simulate(
        ci.cluster,
        [*ci.system_pods, deployment("pg", 4, "500m", node_selector=select, tolerations=tolerate)],
    )
    assert (row(ok, "pg")["running"], row(ok, "pg")["pending"]) == (3, 1)
    placed = ok.placements[ok.placements["name"] == "pg"]
    assert set(placed["node"]) == {"db-0"}


def test_eksctl_max_pods_per_node_and_eni_default(tmp_path: Path) -> None:
    # maxPodsPerNode sets kubelet maxPods; without it (and without prefix delegation) EKS uses
    # eni-max-pods.txt: m5.large 3 ENIs x (10 - 1) + 2 = 29.
    path = eksctl(
        tmp_path,
        """
        managedNodeGroups:
          - name: capped
            instanceType: m5.large
            desiredCapacity: 1
            maxPodsPerNode: 17
          - name: default
            instanceType: m5.large
            desiredCapacity: 1
        """,
    )
    result = podcap.simulate(read_cluster_input(path).cluster, [])
    pods = dict(zip(result.nodes["node_group"], result.nodes["pods_allocatable"], strict=True))
    assert pods == {"capped": 17, "default": 29}


VPC_CNI_YAML = """
addons:
  - name: vpc-cni
    version: latest
    configurationValues: |-
      env:
        ENABLE_PREFIX_DELEGATION: "true"
        WARM_PREFIX_TARGET: "1"
managedNodeGroups:
  - name: web
    instanceType: m5.large
    desiredCapacity: 1
"""
# The same settings as a JSON string, the form the "Addons" page shows for configurationValues.
VPC_CNI_JSON = (
    "addons:\n"
    "  - name: vpc-cni\n"
    "    configurationValues: "
    + json.dumps(
        json.dumps({"env": {"ENABLE_PREFIX_DELEGATION": "true", "WARM_PREFIX_TARGET": "1"}})
    )
    + "\nmanagedNodeGroups:\n  - name: web\n    instanceType: m5.large\n    desiredCapacity: 1\n"
)


@pytest.mark.parametrize("body", [VPC_CNI_YAML, VPC_CNI_JSON], ids=["yaml", "json"])
def test_eksctl_vpc_cni_configuration_values_turn_on_prefix_delegation(
    tmp_path: Path, body: str
) -> None:
    ci = read_cluster_input(eksctl(tmp_path, body))
    cni = groups(ci)["web"].cni_settings
    assert cni.prefix_delegation is True
    assert cni.warm_prefix_target == 1
    result = podcap.simulate(ci.cluster, [])
    # Prefix delegation: 3 ENIs x (10 - 1) slots x 16 addresses per /28 prefix = 432 pod IPs.
    assert int(result.nodes["pod_ips_capacity"].iloc[0]) == 432


@pytest.mark.parametrize("body", [VPC_CNI_YAML, VPC_CNI_JSON], ids=["yaml", "json"])
def test_eksctl_prefix_delegation_gives_calculator_max_pods(tmp_path: Path, body: str) -> None:
    # AWS max-pods-calculator.sh with prefix delegation (CNI >= 1.9): 3 ENIs x ((10 - 1) x 16)
    # + 2 = 434, capped at 110 for instances with fewer than 30 vCPUs (m5.large has 2).
    ci = read_cluster_input(eksctl(tmp_path, body))
    result = podcap.simulate(ci.cluster, [])
    assert int(result.nodes["pods_allocatable"].iloc[0]) == 110


def test_eksctl_subnets_reference_vpc_subnets_with_cidrs(tmp_path: Path) -> None:
    # "VPC Networking": custom subnet names with id / az / cidr; node groups' subnets name them
    # (by name or by id).  A reference with no CIDR is listed as skipped, not dropped silently.
    path = eksctl(
        tmp_path,
        """
        vpc:
          id: vpc-0123456789abcdef0
          subnets:
            private:
              private-one:
                id: subnet-0153e560b3129a696
                az: us-west-2a
                cidr: 10.10.0.0/22
              private-two:
                id: subnet-0a2b3c4d5e6f70809
                az: us-west-2b
                cidr: 10.10.4.0/22
        managedNodeGroups:
          - name: web
            instanceType: m5.large
            desiredCapacity: 2
            privateNetworking: true
            subnets: [private-one, subnet-0a2b3c4d5e6f70809, private-three]
        """,
    )
    ci = read_cluster_input(path)
    g = groups(ci)["web"]
    assert {(s.cidr, s.zone) for s in g.subnets} == {
        ("10.10.0.0/22", "us-west-2a"),
        ("10.10.4.0/22", "us-west-2b"),
    }
    assert set(g.zone_list) == {"us-west-2a", "us-west-2b"}
    assert len(ci.skipped) == 1
    assert "private-three" in ci.skipped[0]
    assert "managedNodeGroups[0].subnets" in ci.skipped[0]
    result = podcap.simulate(ci.cluster, [])
    # A /22 holds 2^(32-22) = 1024 addresses.
    assert dict(zip(result.subnets["subnet"], result.subnets["size"], strict=True)) == {
        "10.10.0.0/22": 1024,
        "10.10.4.0/22": 1024,
    }


def test_eksctl_implied_system_pods_follow_addons(tmp_path: Path) -> None:
    base = "managedNodeGroups:\n  - name: web\n    instanceType: m5.large\n    desiredCapacity: 1\n"
    plain = read_cluster_input(eksctl(tmp_path, base, "plain.yaml"))
    assert set(plain.implied) == {
        "kube-system/aws-node",
        "kube-system/kube-proxy",
        "kube-system/coredns",
    }
    with_ebs = read_cluster_input(
        eksctl(tmp_path, "addons:\n  - name: aws-ebs-csi-driver\n" + base, "ebs.yaml")
    )
    assert {"kube-system/ebs-csi-node", "kube-system/ebs-csi-controller"} <= set(with_ebs.implied)
    assert read_cluster_input(eksctl(tmp_path, base, "none.yaml"), system_pods=False).implied == []


def test_eksctl_example_reads(tmp_path: Path) -> None:
    # examples/eksctl: general (4 nodes, m5.xlarge + m5a.xlarge: 2 + 2) and batch (2 x c5.2xlarge,
    # maxPodsPerNode 58, tainted dedicated=batch:NoSchedule, zone us-east-1a).
    ci = read_cluster_input(EKSCTL_EXAMPLE)
    got = {g.name: (g.instance_type, g.count) for g in ci.cluster.node_groups}
    assert got == {
        "general-m5-xlarge": ("m5.xlarge", 2),
        "general-m5a-xlarge": ("m5a.xlarge", 2),
        "batch": ("c5.2xlarge", 2),
    }
    batch = groups(ci)["batch"]
    assert batch.max_pods == 58
    assert [str(t) for t in batch.taints] == ["dedicated=batch:NoSchedule"]
    assert batch.zones == ("us-east-1a",)


# ---------------------------------------------------------------------------------------------
# kOps


def kops(
    tmp_path: Path,
    cluster_spec: str,
    *igs: str,
    name: str = "kops.yaml",
) -> Path:
    docs = [
        "apiVersion: kops.k8s.io/v1alpha2\nkind: Cluster\nmetadata:\n  name: test.k8s.local\n"
        "spec:\n" + textwrap.indent(textwrap.dedent(cluster_spec).strip(), "  ")
    ]
    for ig in igs:
        docs.append(
            "apiVersion: kops.k8s.io/v1alpha2\nkind: InstanceGroup\n" + textwrap.dedent(ig).strip()
        )
    path = tmp_path / name
    path.write_text("\n---\n".join(docs) + "\n", encoding="utf-8")
    return path


KOPS_NET = """
cloudProvider: aws
networking:
  amazonvpc: {}
subnets:
  - {name: us-east-1a, zone: us-east-1a, cidr: 172.20.32.0/19, type: Private}
  - {name: us-east-1b, zone: us-east-1b, cidr: 172.20.64.0/19, type: Private}
"""


def ig(name: str, machine: str, min_size: int, *, role: str = "Node", extra: str = "") -> str:
    return (
        f"metadata:\n  name: {name}\nspec:\n  role: {role}\n  machineType: {machine}\n"
        f"  minSize: {min_size}\n  maxSize: {min_size + 3}\n  subnets: [us-east-1a]\n"
        + textwrap.indent(textwrap.dedent(extra).strip(), "  ")
        + "\n"
    )


@pytest.mark.parametrize("role", ["ControlPlane", "Master"])
def test_kops_control_plane_role_gets_the_taint(tmp_path: Path, role: str) -> None:
    # kOps 1.26+ spells the role ControlPlane, older releases Master; both run tainted nodes.
    path = kops(
        tmp_path,
        KOPS_NET,
        ig("control-plane-us-east-1a", "t3.medium", 1, role=role),
        ig("nodes", "c5d.large", 2),
    )
    ci = read_cluster_input(path)
    assert ci.format == "kOps Cluster + InstanceGroups"
    cp = groups(ci)["control-plane-us-east-1a"]
    assert [str(t) for t in cp.taints] == ["node-role.kubernetes.io/control-plane:NoSchedule"]
    assert groups(ci)["nodes"].taints == ()
    # minSize is the node count (maxSize ignored).
    assert (cp.count, groups(ci)["nodes"].count) == (1, 2)


def test_kops_instance_group_max_pods_overrides_cluster(tmp_path: Path) -> None:
    # Cluster spec.kubelet.maxPods 100; InstanceGroup spec.kubelet.maxPods 20 wins for "small".
    path = kops(
        tmp_path,
        KOPS_NET + "kubelet:\n  maxPods: 100\n",
        ig("small", "c5d.large", 1, extra="kubelet:\n  maxPods: 20"),
        ig("big", "c5d.large", 1),
    )
    result = podcap.simulate(read_cluster_input(path).cluster, [])
    pods = dict(zip(result.nodes["node_group"], result.nodes["pods_allocatable"], strict=True))
    assert pods == {"small": 20, "big": 100}


def test_kops_default_max_pods_from_enis(tmp_path: Path) -> None:
    # No maxPods anywhere: kOps amazonvpc derives it from the ENI limits,
    # min(110, ENIs x (IPv4 per ENI - 1) + 2): c5d.large 3 x 9 + 2 = 29.
    path = kops(tmp_path, KOPS_NET, ig("nodes", "c5d.large", 1))
    result = podcap.simulate(read_cluster_input(path).cluster, [])
    assert int(result.nodes["pods_allocatable"].iloc[0]) == 29


def test_kops_subnets_give_zones_and_cidrs(tmp_path: Path) -> None:
    # spec.subnets names need not be zone names; the InstanceGroup names subnets, the Cluster
    # maps them to zones and CIDRs.
    spec = """
    networking:
      amazonvpc: {}
    subnets:
      - {name: private-a, zone: eu-west-1a, cidr: 10.1.0.0/20, type: Private}
      - {name: private-b, zone: eu-west-1b, cidr: 10.1.16.0/20, type: Private}
      - {name: utility-a, zone: eu-west-1a, cidr: 10.1.200.0/24, type: Utility}
    """
    node_ig = """
    metadata: {name: nodes}
    spec:
      role: Node
      machineType: c5d.large
      minSize: 4
      maxSize: 8
      subnets: [private-a, private-b]
      nodeLabels: {team: web}
      taints: ["dedicated=web:NoSchedule"]
    """
    ci = read_cluster_input(kops(tmp_path, spec, node_ig))
    g = groups(ci)["nodes"]
    assert g.zones == ("eu-west-1a", "eu-west-1b")
    assert {(s.cidr, s.zone) for s in g.subnets} == {
        ("10.1.0.0/20", "eu-west-1a"),
        ("10.1.16.0/20", "eu-west-1b"),
    }
    assert g.labels["team"] == "web"
    assert [str(t) for t in g.taints] == ["dedicated=web:NoSchedule"]
    result = podcap.simulate(ci.cluster, [])
    # 4 nodes over 2 zones: 2 each.
    assert result.nodes["zone"].value_counts().to_dict() == {"eu-west-1a": 2, "eu-west-1b": 2}


def test_kops_prefix_delegation_env(tmp_path: Path) -> None:
    spec = KOPS_NET.replace(
        "amazonvpc: {}",
        'amazonvpc:\n    env:\n      - name: ENABLE_PREFIX_DELEGATION\n        value: "true"',
    )
    ci = read_cluster_input(kops(tmp_path, spec, ig("nodes", "c5d.large", 1)))
    assert groups(ci)["nodes"].cni_settings.prefix_delegation is True
    result = podcap.simulate(ci.cluster, [])
    # 3 ENIs x 9 slots x 16 = 432 pod IPs.
    assert int(result.nodes["pod_ips_capacity"].iloc[0]) == 432


def _one_node_kops(tmp_path: Path, extra_spec: str = "") -> podcap.ClusterInput:
    return read_cluster_input(
        kops(tmp_path, KOPS_NET + extra_spec, ig("nodes", "c5d.large", 1), name="one.yaml")
    )


def test_kops_kube_proxy_cpu_request(tmp_path: Path) -> None:
    # One c5d.large (2000m).  Default kube-proxy 100m: DaemonSets 50 + 100 + 30 = 180m,
    # Deployments coredns 200 + autoscaler 20 + ebs-csi-controller 60 = 280m -> 1540m free ->
    # 15 x 100m.  With spec.kubeProxy.cpuRequest 200m: 1440m free -> 14 x 100m.
    default = _one_node_kops(tmp_path)
    r = podcap.simulate(default.cluster, [*default.system_pods, deployment("web", 20, "100m")])
    assert row(r, "kube-proxy")["cpu_request_millicores"] == 100
    assert row(r, "web")["running"] == 15

    custom = _one_node_kops(tmp_path, "kubeProxy:\n  cpuRequest: 200m\n")
    r = podcap.simulate(custom.cluster, [*custom.system_pods, deployment("web", 20, "100m")])
    assert row(r, "kube-proxy")["cpu_request_millicores"] == 200
    assert (row(r, "web")["running"], row(r, "web")["pending"]) == (14, 6)


def test_kops_ebs_csi_driver_disabled_drops_its_pods(tmp_path: Path) -> None:
    ci = _one_node_kops(tmp_path, "cloudConfig:\n  awsEBSCSIDriver:\n    enabled: false\n")
    assert set(ci.implied) == {
        "kube-system/aws-node",
        "kube-system/kube-proxy",
        "kube-system/coredns",
        "kube-system/coredns-autoscaler",
    }
    # 2000 - (aws-node 50 + kube-proxy 100) - (coredns 200 + autoscaler 20) = 1630m -> 16 x 100m.
    r = podcap.simulate(ci.cluster, [*ci.system_pods, deployment("web", 20, "100m")])
    assert row(r, "web")["running"] == 16
    enabled = _one_node_kops(tmp_path)
    assert {"kube-system/ebs-csi-node", "kube-system/ebs-csi-controller"} <= set(enabled.implied)


def test_kops_cilium_networking_is_an_overlay(tmp_path: Path) -> None:
    # Cluster spec networking: cilium (kOps' default IPAM "kubernetes"): pods take node-CIDR
    # addresses, maxPods is the kubelet's 110, the cilium DaemonSet replaces aws-node.
    path = kops(
        tmp_path, KOPS_NET.replace("amazonvpc: {}", "cilium: {}"), ig("nodes", "c5d.large", 1)
    )
    ci = read_cluster_input(path)
    g = groups(ci)["nodes"]
    assert g.count == 1
    assert g.policy == "kubelet"
    assert g.pod_network is not None
    assert g.pod_network.cni == "cilium"
    assert "kube-system/cilium" in ci.implied
    assert "kube-system/aws-node" not in ci.implied


def test_kops_other_kinds_are_listed_as_skipped(tmp_path: Path) -> None:
    path = kops(tmp_path, KOPS_NET, ig("nodes", "c5d.large", 1))
    extra = (
        "\n---\napiVersion: kops.k8s.io/v1alpha2\nkind: SSHCredential\nmetadata: {name: admin}\n"
    )
    path.write_text(path.read_text() + extra)
    ci = read_cluster_input(path)
    assert len(ci.skipped) == 1
    assert "SSHCredential admin" in ci.skipped[0]
    assert "document 2" in ci.skipped[0]


def test_kops_bastion_is_not_a_node(tmp_path: Path) -> None:
    spec = (
        KOPS_NET
        + "  - {name: utility-us-east-1a, zone: us-east-1a, cidr: 172.20.0.0/22, type: Utility}\n"
    )
    bastion = """
    metadata: {name: bastions}
    spec: {role: Bastion, machineType: t3.micro, minSize: 1, maxSize: 1, subnets: [utility-us-east-1a]}
    """
    ci = read_cluster_input(kops(tmp_path, spec, bastion, ig("nodes", "c5d.large", 2)))
    # Only the 2 worker nodes are Kubernetes nodes: a DaemonSet runs 2 pods, not 3.
    assert ci.cluster.node_count == 2


def test_seed_kops_example_reproduces_33_running_47_pending() -> None:
    # The seed story (tests/test_cli_simulate.py): 2 x c5d.large at 2000m, DaemonSets 180m per
    # node, system Deployments 280m in total; nginx gets 100m from the LimitRange.  Node A
    # (coredns + autoscaler + ebs-csi-controller = 180m) has 1820 - 180 = 1640m -> 16 pods,
    # node B (coredns 100m) 1720m -> 17 pods: 33 running, 80 - 33 = 47 pending.  The tainted
    # t3.medium control plane takes none.
    ci = read_cluster_input(KOPS_EXAMPLE)
    result = podcap.simulate(ci.cluster, [*ci.system_pods, SEED_APP])
    nginx = row(result, "nginx")
    assert (nginx["desired"], nginx["running"], nginx["pending"]) == (80, 33, 47)
    assert "untolerated taint" in nginx["reason"]
    assert "2 Insufficient cpu" in nginx["reason"]
    # via the command line as well
    status, out = run_cli("simulate", "--cluster", str(KOPS_EXAMPLE), str(SEED_APP))
    assert status == 0
    assert table_row(out, "nginx")[3:6] == ["80", "33", "47"]
    assert "implied system pods" in out
    assert "kube-system/aws-node" in out


def test_user_manifest_replaces_implied_one(tmp_path: Path) -> None:
    # A coredns Deployment of the user's with 3 replicas replaces the implied one (2 replicas).
    coredns = deployment("coredns", 3, "100m", namespace="kube-system")
    path = write(tmp_path, "coredns.json", json.dumps(coredns))
    status, out = run_cli("simulate", "--cluster", str(KOPS_EXAMPLE), str(path), str(SEED_APP))
    assert status == 0
    assert table_row(out, "coredns")[3] == "3"
    assert "replaced by your manifests: kube-system/coredns" in out
    # One more coredns pod (100m) costs the nginx rollout one pod.  By hand: the system
    # Deployments now take 3 x 100 + 20 + 60 = 380m of the 2 x 1820m left after DaemonSets:
    # 3260m.  Whatever subset x of {100, 100, 100, 20, 60} lands on node A, the remainders
    # (1820 - x) % 100 + (1440 + x) % 100 add up to 60, so 3200m of whole 100m slots: 32 pods.
    assert table_row(out, "nginx")[3:6] == ["80", "32", "48"]


def test_no_system_pods_leaves_them_out() -> None:
    # Without implied pods: 2 x 2000m / 100m = 40 nginx pods run, 40 pend.
    status, out = run_cli(
        "simulate", "--cluster", str(KOPS_EXAMPLE), "--no-system-pods", str(SEED_APP)
    )
    assert status == 0
    assert table_row(out, "nginx")[3:6] == ["80", "40", "40"]
    assert "aws-node" not in out
    assert "implied system pods" not in out
    assert read_cluster_input(KOPS_EXAMPLE, system_pods=False).system_pods == []


# ---------------------------------------------------------------------------------------------
# errors and warnings


def test_eksctl_self_managed_missing_instance_type(tmp_path: Path) -> None:
    # eksctl's DefaultNodeType (pkg/apis/eksctl.io/v1alpha5/types.go): m5.large
    path = eksctl(tmp_path, "nodeGroups:\n  - name: ng-1\n    desiredCapacity: 2\n")
    ci = read_cluster_input(path)
    assert groups(ci)["ng-1"].instance_type == "m5.large"
    assert groups(ci)["ng-1"].count == 2


def test_eksctl_reader_rejects_other_api_version() -> None:
    doc = {"apiVersion": "v1", "kind": "ClusterConfig", "nodeGroups": []}
    with pytest.raises(podcap.InvalidManifestError) as info:
        podcap.read_eksctl(doc, "cluster.yaml")
    assert "cluster.yaml" in str(info.value)
    assert "apiVersion" in str(info.value)
    assert "'v1'" in str(info.value)


def test_eksctl_unknown_eksctl_api_version(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "old.yaml",
        """
        apiVersion: eksctl.io/v1alpha4
        kind: ClusterConfig
        metadata: {name: old, region: us-west-2}
        nodeGroups:
          - {name: ng-1, instanceType: m5.large, desiredCapacity: 1}
        """,
    )
    error = ""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            read_cluster_input(path)
        except podcap.InvalidManifestError as exc:
            error = str(exc)
    # Either an error naming the field and the version, or at least a warning naming it.
    warned = [str(w.message) for w in caught if "v1alpha4" in str(w.message)]
    assert ("apiVersion" in error and "v1alpha4" in error) or warned


def test_unknown_api_version_lists_formats_tried(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "cluster.yaml",
        """
        apiVersion: example.com/v1
        kind: ClusterConfig
        metadata: {name: x}
        """,
    )
    with pytest.raises(podcap.InvalidManifestError) as info:
        read_cluster_input(path)
    msg = str(info.value)
    assert str(path) in msg
    assert "example.com/v1" in msg  # what was found


def test_kops_instance_group_missing_machine_type(tmp_path: Path) -> None:
    bad = (
        "metadata: {name: nodes}\nspec: {role: Node, minSize: 2, maxSize: 2, subnets: [us-east-1a]}"
    )
    path = kops(tmp_path, KOPS_NET, bad)
    with pytest.raises(podcap.InvalidManifestError) as info:
        read_cluster_input(path)
    msg = str(info.value)
    assert str(path) in msg
    assert "document 1" in msg  # the Cluster is document 0
    assert "InstanceGroup nodes" in msg
    assert "spec.machineType" in msg


def test_kops_subnet_not_in_cluster(tmp_path: Path) -> None:
    bad = ig("nodes", "c5d.large", 2).replace("[us-east-1a]", "[us-east-1a, us-east-1z]")
    path = kops(tmp_path, KOPS_NET, bad)
    with pytest.raises(podcap.InvalidManifestError) as info:
        read_cluster_input(path)
    msg = str(info.value)
    assert str(path) in msg
    assert "document 1" in msg
    assert "spec.subnets" in msg
    assert "us-east-1z" in msg
    assert "us-east-1a," not in msg  # only the unknown one is named


def test_file_of_no_known_format_lists_formats_tried(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "app.yaml",
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec: {replicas: 2}\n",
    )
    with pytest.raises(podcap.InvalidManifestError) as info:
        read_cluster_input(path)
    msg = str(info.value)
    assert str(path) in msg
    for fmt in ("podcap cluster file", "eksctl ClusterConfig", "kOps", "kubectl JSON snapshot"):
        assert fmt in msg
    assert "apps/v1" in msg  # why eksctl did not match: the apiVersion found
    assert "nodeGroups" in msg  # why the podcap cluster file did not match
    # the command line reports it in one line, status 2
    status = main(["simulate", "--cluster", str(path), str(SEED_APP)], stream=io.StringIO())
    assert status == 2


def test_malformed_json_cluster_names_the_line(tmp_path: Path) -> None:
    # The missing comma is at the start of line 4.
    path = write(
        tmp_path,
        "nodes.json",
        '{\n  "apiVersion": "v1",\n  "kind": "List"\n  "items": []\n}\n',
    )
    with pytest.raises(podcap.InvalidManifestError) as info:
        read_cluster_input(path)
    assert str(path) in str(info.value)
    assert "line 4" in str(info.value)


def test_unknown_eksctl_fields_warn_not_crash(tmp_path: Path) -> None:
    path = eksctl(
        tmp_path,
        """
        fooBar: 1
        managedNodeGroups:
          - name: web
            instanceType: m5.large
            desiredCapacity: 2
            volumeEncrypted: true
            bazQux: 2
        """,
    )
    with pytest.warns(podcap.PodcapWarning) as record:
        ci = read_cluster_input(path)
    text = " ".join(str(w.message) for w in record)
    assert "fooBar" in text
    assert "bazQux" in text
    assert "volumeEncrypted" not in text  # an eksctl field podcap knows (it changes nothing)
    assert groups(ci)["web"].count == 2


def test_unknown_kops_fields_warn_not_crash(tmp_path: Path) -> None:
    typo = ig("nodes", "c5d.large", 2, extra="nodeLabel: {team: web}")
    path = kops(tmp_path, KOPS_NET, typo)
    with pytest.warns(podcap.PodcapWarning, match="nodeLabel"):
        ci = read_cluster_input(path)
    assert groups(ci)["nodes"].count == 2


def test_a_typo_in_a_podcap_cluster_file_is_an_error(tmp_path: Path) -> None:
    # podcap's own format is strict: an unknown field is an error with a suggestion
    path = tmp_path / "cluster.yaml"
    path.write_text(
        "nodeGroups:\n  - {name: g, instanceTyp: m5.large, instanceType: m5.large, count: 1}\n"
    )
    with pytest.raises(podcap.InvalidManifestError) as info:
        podcap.read_cluster(path)
    msg = str(info.value)
    assert "nodeGroups[0]" in msg
    assert "'instanceTyp' (did you mean 'instanceType'?)" in msg
    path.write_text("nodeGroup:\n  - {name: g, instanceType: m5.large, count: 1}\nnodeGroups: []\n")
    with pytest.raises(podcap.InvalidManifestError):
        podcap.read_cluster(path)


def test_generated_node_names_follow_each_group_and_are_not_kept_after_it() -> None:
    import dataclasses
    import gc

    from podcap.model import fleet as fleet_module

    base = podcap.NodeGroup("web", "m5.large", 3)
    named = podcap.NodeGroup("db", "m5.large", 2, node_names=("db-a", "db-b"))
    first = fleet_module.build_fleet(podcap.Cluster([base, named]))
    again = fleet_module.build_fleet(podcap.Cluster([base, named]))
    assert first.names.tolist() == ["web-0", "web-1", "web-2", "db-a", "db-b"]
    assert again.names.tolist() == first.names.tolist()
    first.names[0] = "changed"  # a fleet's names are its own
    assert fleet_module.build_fleet(podcap.Cluster([base])).names.tolist()[0] == "web-0"
    # a sweep over counts: each group's names go with the group
    before = len(fleet_module._NAMES)
    for count in range(1, 40):
        grown = dataclasses.replace(base, count=count)
        assert fleet_module.build_fleet(podcap.Cluster([grown])).names[-1] == f"web-{count - 1}"
        del grown
    gc.collect()
    assert len(fleet_module._NAMES) <= before
