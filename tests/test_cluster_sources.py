"""Clusters as users keep them: accelerators and EBS limits in the instance table, eksctl
defaults, kOps overlay networking, kubectl snapshots without ``kind``.

Reference values are taken from the public sources named at each test, not from podcap.
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import Any

import pytest

import podcap
from podcap.io.clusters import read_cluster_input
from podcap.model.instances import (
    device_resources,
    ebs_attachment_limits,
    ebs_volume_limit,
    load_instance_table,
)
from podcap.model.subnets import PodNetwork, pod_network_capacity

# ---------------------------------------------------------------------------------------------
# the instance table: Karpenter's labels and device resources


@pytest.mark.parametrize(
    ("itype", "column", "value"),
    [
        # karpenter-provider-aws website/content/en/docs/reference/instance-types.md (v1.14.0)
        ("g5.xlarge", "gpu_count", 1),
        ("g5.xlarge", "gpu_name", "a10g"),
        ("g5.xlarge", "gpu_manufacturer", "nvidia"),
        ("g5.xlarge", "gpu_memory_mib", 22888),
        ("g5.xlarge", "local_nvme_gb", 250),
        ("g5.xlarge", "family", "g5"),
        ("g5.xlarge", "size", "xlarge"),
        ("g5.xlarge", "generation", 5),
        ("g5.xlarge", "category", "g"),
        ("g5.xlarge", "cpu_manufacturer", "amd"),
        ("g5.xlarge", "network_bandwidth_mbps", 2500),
        ("p3.8xlarge", "gpu_memory_mib", 16384),  # per GPU (V100 16 GB), 4 GPUs
        ("inf2.xlarge", "accelerator_name", "inferentia2"),
        ("inf2.xlarge", "accelerator_count", 1),
        ("m6gd.2xlarge", "local_nvme_gb", 474),
        ("m5.large", "cpu_manufacturer", "intel"),
    ],
)
def test_karpenter_labels(itype: str, column: str, value: Any) -> None:
    assert podcap.instance_types().loc[itype, column] == value


def test_types_without_gpus_have_none() -> None:
    row = podcap.instance_types().loc["m5.large"]
    for column in ("gpu_count", "gpu_name", "gpu_memory_mib", "local_nvme_gb"):
        assert podcap.instance_types()[column].isna()["m5.large"], (column, row[column])


@pytest.mark.parametrize(
    ("itype", "plugins", "expected"),
    [
        # the Resources tables of the same Karpenter page
        ("g5.xlarge", ("nvidia",), {"nvidia.com/gpu": 1}),
        ("p4d.24xlarge", ("nvidia", "efa"), {"nvidia.com/gpu": 8, "vpc.amazonaws.com/efa": 4}),
        ("inf2.xlarge", ("neuron",), {"aws.amazon.com/neuron": 1, "aws.amazon.com/neuroncore": 2}),
        (
            "trn2.48xlarge",
            ("neuron", "efa"),
            {
                "aws.amazon.com/neuron": 16,
                "aws.amazon.com/neuroncore": 128,
                "vpc.amazonaws.com/efa": 16,
            },
        ),
        ("g4ad.xlarge", ("nvidia", "amd"), {"amd.com/gpu": 1}),
        ("g6f.large", ("nvidia",), {}),  # a fractional L4: no nvidia.com/gpu
        ("m5.large", ("nvidia", "neuron", "efa"), {}),
    ],
)
def test_device_resources(itype: str, plugins: tuple[str, ...], expected: dict[str, int]) -> None:
    assert device_resources(itype, plugins) == expected


def test_device_resources_errors() -> None:
    with pytest.raises(ValueError, match=r"unknown device plugin.*'intel'.*valid: nvidia"):
        device_resources("g5.xlarge", ["intel"])
    with pytest.raises(podcap.UnknownInstanceTypeError):
        device_resources("g5.xlargee")


@pytest.mark.parametrize(
    ("itype", "enis", "reserved", "expected"),
    [
        # kubernetes-sigs/aws-ebs-csi-driver pkg/driver/node_test.go TestGetVolumesLimit (v1.64)
        ("t2.medium", 1, None, 38),
        ("t2.medium", 1, 3, 36),
        ("m5d.large", 3, None, 23),
        ("d3en.12xlarge", 1, None, 2),
        ("d3.8xlarge", 1, None, 2),
        ("m7i.48xlarge", 1, None, 127),
        ("t3.xlarge", 40, None, 1),
        ("mac1.metal", 1, None, 15),
        ("g4dn.xlarge", 1, None, 24),
        ("g4ad.xlarge", 1, None, 24),
        ("g4dn.12xlarge", 1, None, 21),
        ("inf1.6xlarge", 1, None, 22),
        ("inf1.24xlarge", 1, None, 10),
    ],
)
def test_ebs_volume_limit_matches_the_driver(
    itype: str, enis: int, reserved: int | None, expected: int
) -> None:
    got = ebs_volume_limit(itype, attached_enis=enis, reserved_volume_attachments=reserved)
    assert got == expected


def test_ebs_limits_defaults_and_override() -> None:
    assert ebs_attachment_limits("m5.large") == (27, "shared")  # not in the driver's table
    assert ebs_attachment_limits("c1.medium") == (39, "dedicated")  # Xen
    assert ebs_volume_limit("t2.medium", volume_attach_limit=10) == 10
    with pytest.raises(ValueError, match="attached_enis"):
        ebs_volume_limit("m5.large", attached_enis=0)


def test_a_table_without_the_new_columns_loads(tmp_path: Path) -> None:
    path = tmp_path / "mine.yaml"
    path.write_text(
        "schema_version: 1\ninstance_types:\n  zz1.large: {enis: 3, ipv4_per_eni: 10}\n"
    )
    table = load_instance_table(path, extend_bundled=False)
    assert table["gpu_count"].isna().all()
    assert device_resources("zz1.large", table=table) == {}
    assert ebs_attachment_limits("zz1.large", table=table) == (27, "shared")


def test_bad_new_column_value_is_named(tmp_path: Path) -> None:
    path = tmp_path / "mine.yaml"
    path.write_text(
        "schema_version: 1\ninstance_types:\n"
        "  zz1.large: {enis: 3, ipv4_per_eni: 10, ebs_attachment_limit_type: both}\n"
    )
    with pytest.raises(podcap.InstanceTableError) as info:
        load_instance_table(path)
    msg = str(info.value)
    assert "zz1.large.ebs_attachment_limit_type" in msg
    assert "'shared', 'dedicated' or null" in msg


# ---------------------------------------------------------------------------------------------
# eksctl

EKSCTL = """\
apiVersion: eksctl.io/v1alpha5
kind: ClusterConfig
metadata: {name: demo, region: us-west-2}
"""


def eksctl(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "eksctl.yaml"
    path.write_text(EKSCTL + textwrap.dedent(body))
    return path


GPU_POD = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: inference}
spec:
  replicas: 3
  selector: {matchLabels: {app: inference}}
  template:
    metadata: {labels: {app: inference}}
    spec:
      containers:
        - name: model
          image: model
          resources: {limits: {nvidia.com/gpu: 1}, requests: {cpu: 500m, memory: 1Gi}}
"""


def test_eksctl_gpu_group_offers_nvidia_gpus(tmp_path: Path) -> None:
    # eksctl installs the NVIDIA device plugin for GPU types (--install-nvidia-plugin, default
    # true); the plugin advertises one nvidia.com/gpu per GPU
    path = eksctl(
        tmp_path,
        """
        availabilityZones: [us-west-2a, us-west-2b]
        managedNodeGroups:
          - name: gpu
            instanceType: g5.xlarge
            desiredCapacity: 2
        """,
    )
    ci = read_cluster_input(path)
    (g,) = ci.cluster.node_groups
    assert g.extended_resources == {"nvidia.com/gpu": 1}
    assert g.zones == ("us-west-2a", "us-west-2b")
    state = podcap.read_cluster(path)
    _, result = podcap.step(state, podcap.load_manifests(GPU_POD))
    row = result.workloads.set_index("name").loc["inference"]
    assert (int(row["running"]), int(row["pending"])) == (2, 1)
    assert "nvidia.com/gpu" in str(row["reason"])


def test_eksctl_defaults(tmp_path: Path) -> None:
    # pkg/apis/eksctl.io/v1alpha5/types.go: DefaultNodeType m5.large, DefaultNodeCount 2,
    # DefaultNodeVolumeSize 80 (GiB)
    path = eksctl(tmp_path, "nodeGroups:\n  - name: ng-1\n")
    ci = read_cluster_input(path)
    (g,) = ci.cluster.node_groups
    assert (g.instance_type, g.count) == ("m5.large", 2)
    eph = podcap.allocatable("m5.large", root_volume_gib=80).iloc[0]["ephemeral_storage_gib"]
    assert g.allocatable is not None
    assert g.allocatable["ephemeral-storage"] == int(float(eph) * (1 << 30))
    # the zones are not invented: eksctl asks EC2 for them, and podcap says so
    assert g.zones is None
    assert any("zone unknown" in s and "ng-1" in s for s in ci.skipped)


def test_eksctl_without_node_groups_is_an_empty_cluster(tmp_path: Path) -> None:
    ci = read_cluster_input(eksctl(tmp_path, "availabilityZones: [us-west-2a]\n"))
    assert ci.cluster.node_count == 0
    assert any("0 nodes" in s for s in ci.skipped)


def test_eksctl_instance_selector_group_is_left_out_and_named(tmp_path: Path) -> None:
    path = eksctl(
        tmp_path,
        """
        nodeGroups:
          - name: picked
            instanceSelector: {vCPUs: 2, memory: 4}
          - name: fixed
            instanceType: c5.large
        """,
    )
    with pytest.warns(podcap.PodcapWarning, match="picked.*instanceSelector"):
        ci = read_cluster_input(path)
    assert [g.name for g in ci.cluster.node_groups] == ["fixed"]
    assert any("picked" in s for s in ci.skipped)


def test_eksctl_kubelet_extra_config_reservations(tmp_path: Path) -> None:
    path = eksctl(
        tmp_path,
        """
        nodeGroups:
          - name: ng
            instanceType: m5.large
            kubeletExtraConfig:
              kubeReserved: {cpu: 300m, memory: 300Mi, ephemeral-storage: 1Gi}
              evictionHard: {memory.available: 200Mi, nodefs.available: 10%}
        """,
    )
    (g,) = read_cluster_input(path).cluster.node_groups
    want = podcap.allocatable(
        "m5.large",
        kube_reserved={"cpu": "300m", "memory": "300Mi", "ephemeral-storage": "1Gi"},
        eviction_hard={"memory.available": "200Mi", "nodefs.available": "10%"},
        root_volume_gib=80,
    ).iloc[0]
    assert g.allocatable is not None
    assert g.allocatable["cpu"] == int(want["cpu_millicores"])
    assert g.allocatable["memory"] == int(want["memory_mib"]) << 20


def test_eksctl_bad_volume_size(tmp_path: Path) -> None:
    path = eksctl(tmp_path, "nodeGroups:\n  - name: ng\n    volumeSize: -5\n")
    with pytest.raises(podcap.InvalidManifestError, match=r"nodeGroups\[0\]\.volumeSize.*> 0"):
        read_cluster_input(path)


# ---------------------------------------------------------------------------------------------
# kOps overlay networking


def kops(
    tmp_path: Path,
    networking: str,
    *,
    cluster_extra: str = "",
    ig_extra: str = "",
    machine: str = "c5.large",
    nodes: int = 2,
) -> Path:
    text = f"""\
apiVersion: kops.k8s.io/v1alpha2
kind: Cluster
metadata: {{name: demo.k8s.local}}
spec:
  cloudProvider: aws
  networking:
{textwrap.indent(textwrap.dedent(networking).strip(), "    ")}
  subnets:
    - {{name: us-east-1a, zone: us-east-1a, cidr: 172.20.32.0/19, type: Private}}
{textwrap.indent(textwrap.dedent(cluster_extra).strip(), "  ")}
---
apiVersion: kops.k8s.io/v1alpha2
kind: InstanceGroup
metadata: {{name: nodes}}
spec:
  role: Node
  machineType: {machine}
  minSize: {nodes}
  maxSize: {nodes}
  subnets: [us-east-1a]
{textwrap.indent(textwrap.dedent(ig_extra).strip(), "  ")}
"""
    path = tmp_path / "kops.yaml"
    path.write_text(text)
    return path


@pytest.mark.parametrize(
    ("networking", "daemonset"),
    [
        ("flannel: {}", "kube-flannel-ds"),
        ("calico: {}", "calico-node"),
        ("kuberouter: {}", "kube-router"),
        ("kopeio: {}", "kopeio-networking-agent"),
    ],
)
def test_kops_overlay_max_pods_and_daemonset(
    tmp_path: Path, networking: str, daemonset: str
) -> None:
    # nodeup/pkg/model/kubelet.go: maxPods from the ENIs only for amazonvpc and Cilium's ENI
    # IPAM; kubelet default 110 otherwise (a t3.medium would get 17 from the ENI formula)
    ci = read_cluster_input(kops(tmp_path, networking, machine="t3.medium"))
    (g,) = ci.cluster.node_groups
    assert g.max_pods is None
    assert g.policy == "kubelet"
    state = podcap.read_cluster(kops(tmp_path, networking, machine="t3.medium"))
    assert int(state.fleet.pods_alloc[0]) == 110
    assert g.pod_network is not None
    # kOps' default podCIDR: the upper half of nonMasqueradeCIDR 100.64.0.0/10
    assert g.pod_network.cluster_cidr == "100.96.0.0/11"
    assert f"kube-system/{daemonset}" in ci.implied
    assert "kube-system/aws-node" not in ci.implied


def test_kops_cilium_eni_ipam_keeps_the_eni_rules(tmp_path: Path) -> None:
    with pytest.warns(podcap.PodcapWarning, match="ENI IPAM"):
        ci = read_cluster_input(kops(tmp_path, "cilium: {ipam: eni}", machine="t3.medium"))
    (g,) = ci.cluster.node_groups
    assert g.pod_network is None
    assert "kube-system/cilium" in ci.implied


def test_seed_pod_network_row() -> None:
    # the seed story's pod network: a /16 holds 65,534 usable host addresses
    cap = pod_network_capacity(PodNetwork("flannel", "172.30.0.0/16"))
    assert cap["usable_addresses"] == 65534
    assert cap["node_blocks"] == 256  # /24 node CIDRs
    # host-local: the node CIDR's .2 to .254 (the .1 is the bridge's gateway)
    assert cap["pod_addresses_per_node"] == 253


def test_pod_network_errors() -> None:
    with pytest.raises(podcap.InvalidSpecError, match="unknown CNI 'weave'"):
        PodNetwork("weave", "10.0.0.0/16")
    with pytest.raises(podcap.InvalidSpecError, match=r"node_cidr_mask_size.*16.*30"):
        PodNetwork("flannel", "10.0.0.0/16", 8)


def test_kops_nodes_beyond_the_pod_network_do_not_start(tmp_path: Path) -> None:
    # a /22 pod network of /24 node CIDRs holds 4 nodes; the 5th gets no pod CIDR
    path = kops(
        tmp_path,
        "flannel: {}",
        cluster_extra="podCIDR: 10.200.0.0/22",
        nodes=5,
    )
    state = podcap.read_cluster(path)
    _, result = podcap.step(state, [])
    row = result.node_groups.set_index("node_group").loc["nodes"]
    assert (int(row["started"]), int(row["not_started"])) == (4, 1)
    assert "CIDRNotAvailable" in str(row["reason"])


def test_kops_node_cidr_limits_pods_per_node(tmp_path: Path) -> None:
    # maxPods 300 on a /24 node CIDR: 253 addresses, the rest wait in ContainerCreating
    path = kops(
        tmp_path,
        "flannel: {}",
        cluster_extra="kubelet: {maxPods: 300}",
        machine="m5.24xlarge",
        nodes=1,
    )
    app = (
        GPU_POD.replace("inference", "small")
        .replace("replicas: 3", "replicas: 290")
        .replace(
            "resources: {limits: {nvidia.com/gpu: 1}, requests: {cpu: 500m, memory: 1Gi}}",
            "resources: {requests: {cpu: 10m, memory: 10Mi}}",
        )
    )
    state = podcap.read_cluster(path, system_pods=False)
    _, result = podcap.step(state, podcap.load_manifests(app))
    row = result.workloads.set_index("name").loc["small"]
    assert int(row["running"]) == 253
    assert int(row["container_creating"]) == 290 - 253


def test_kops_nvidia_gpu_nodes(tmp_path: Path) -> None:
    # kOps installs the NVIDIA device plugin with containerd.nvidiaGPU.enabled and gives GPU
    # nodes the label kops.k8s.io/gpu=1 and the taint nvidia.com/gpu:NoSchedule
    # (upup/pkg/fi/cloudup/populate_instancegroup_spec.go)
    path = kops(
        tmp_path,
        "amazonvpc: {}",
        cluster_extra="containerd: {nvidiaGPU: {enabled: true}}",
        machine="g5.xlarge",
    )
    (g,) = read_cluster_input(path).cluster.node_groups
    assert g.extended_resources == {"nvidia.com/gpu": 1}
    assert g.labels is not None
    assert g.labels["kops.k8s.io/gpu"] == "1"
    assert [str(t) for t in g.taints] == ["nvidia.com/gpu:NoSchedule"]


def test_kops_gpu_without_the_device_plugin_is_named(tmp_path: Path) -> None:
    ci = read_cluster_input(kops(tmp_path, "amazonvpc: {}", machine="g5.xlarge"))
    (g,) = ci.cluster.node_groups
    assert not g.extended_resources
    assert any("nvidiaGPU" in s for s in ci.skipped)


def test_kops_kubelet_reservations(tmp_path: Path) -> None:
    path = kops(
        tmp_path,
        "amazonvpc: {}",
        cluster_extra="""
        kubelet:
          kubeReserved: {cpu: 100m, memory: 256Mi}
          evictionHard: memory.available<200Mi,nodefs.available<10%
        """,
    )
    (g,) = read_cluster_input(path).cluster.node_groups
    want = podcap.allocatable(
        "c5.large",
        overhead="kops",
        kube_reserved={"cpu": "100m", "memory": "256Mi"},
        eviction_hard={"memory.available": "200Mi", "nodefs.available": "10%"},
    ).iloc[0]
    assert g.allocatable is not None
    assert g.allocatable["memory"] == int(want["memory_mib"]) << 20
    assert g.allocatable["cpu"] == int(want["cpu_millicores"])


# ---------------------------------------------------------------------------------------------
# kubectl snapshots


def node_json(name: str, labels: dict[str, str], alloc: dict[str, str]) -> dict[str, Any]:
    return {
        "metadata": {"name": name, "labels": {"kubernetes.io/hostname": name, **labels}},
        "spec": {},
        "status": {"capacity": dict(alloc), "allocatable": dict(alloc), "nodeInfo": {}},
    }


ALLOC = {"cpu": "3920m", "memory": "14162Mi", "pods": "58", "ephemeral-storage": "76Gi"}


def test_snapshot_without_kind_groups_and_gpus(tmp_path: Path) -> None:
    nodes = {
        "items": [
            node_json(
                f"gpu-{i}",
                {
                    "node.kubernetes.io/instance-type": "g5.xlarge",
                    "topology.kubernetes.io/zone": "us-west-2a",
                    "eks.amazonaws.com/nodegroup": "gpu-workers",
                },
                {**ALLOC, "nvidia.com/gpu": "1"},
            )
            for i in range(2)
        ]
    }
    pods = {
        "items": [
            {
                "metadata": {"name": "web-1", "namespace": "default"},
                "spec": {
                    "nodeName": "gpu-0",
                    "containers": [{"name": "c", "resources": {"requests": {"cpu": "1"}}}],
                },
                "status": {"phase": "Running"},
            }
        ]
    }
    (tmp_path / "nodes.json").write_text(json.dumps(nodes))
    (tmp_path / "pods.json").write_text(json.dumps(pods))
    snap = podcap.read_snapshot([tmp_path / "nodes.json", tmp_path / "pods.json"])
    (g,) = snap.cluster.node_groups
    assert g.name == "gpu-workers"
    assert g.extended_resources == {"nvidia.com/gpu": 1}
    assert int(snap.existing["pods"].sum()) == 1


def test_snapshot_node_without_instance_type_label(tmp_path: Path) -> None:
    doc = {"kind": "List", "items": [node_json("bare-0", {}, ALLOC)]}
    (tmp_path / "nodes.json").write_text(json.dumps(doc))
    with pytest.warns(podcap.PodcapWarning) as record:
        snap = podcap.read_snapshot(tmp_path / "nodes.json")
    text = " ".join(str(w.message) for w in record)
    assert "bare-0" in text
    assert "instance-type" in text
    (g,) = snap.cluster.node_groups
    assert g.allocatable is not None
    assert g.allocatable["pods"] == 58
    assert any("zone unknown" in s for s in snap.skipped)


def test_snapshot_ambiguous_object_is_refused(tmp_path: Path) -> None:
    odd = {"metadata": {"name": "odd"}, "spec": {"limits": [], "hard": {"pods": "10"}}}
    (tmp_path / "x.json").write_text(json.dumps({"items": [node_json("n", {}, ALLOC), odd]}))
    with pytest.raises(podcap.InvalidManifestError) as info:
        podcap.read_snapshot(tmp_path / "x.json")
    msg = str(info.value)
    assert "x.json, items[1]" in msg
    assert "LimitRange and a ResourceQuota" in msg
    assert "kind" in msg


# ---------------------------------------------------------------------------------------------
# zones the source does not say: no zone label, and the reader says so


def test_podcap_cluster_file_without_zones(tmp_path: Path) -> None:
    path = tmp_path / "cluster.yaml"
    path.write_text(
        "nodeGroups:\n"
        "  - {name: web, instanceType: m5.large, count: 2}\n"
        "  - {name: db, instanceType: m5.large, count: 1, zones: [us-east-1a]}\n"
    )
    ci = read_cluster_input(path)
    by_name = {g.name: g for g in ci.cluster.node_groups}
    assert by_name["web"].zones is None
    assert by_name["db"].zones == ("us-east-1a",)
    (note,) = [s for s in ci.skipped if "zone unknown" in s]
    assert "web" in note
    assert "db" not in note
    result = podcap.simulate(ci.cluster, [])
    assert result.nodes.set_index("node")["zone"].to_dict() == {
        "web-0": None,
        "web-1": None,
        "db-0": "us-east-1a",
    }


def test_kops_instance_group_without_subnets_has_no_zone(tmp_path: Path) -> None:
    path = kops(tmp_path, "amazonvpc: {}")
    path.write_text(path.read_text().replace("  subnets: [us-east-1a]\n", ""))
    ci = read_cluster_input(path)
    (g,) = ci.cluster.node_groups
    assert g.zones is None
    assert any("zone unknown" in s and "nodes" in s for s in ci.skipped)


def test_subnets_without_zones_are_an_error() -> None:
    with pytest.raises(podcap.InvalidSpecError) as info:
        podcap.NodeGroup("a", "m5.large", 1, subnets=(podcap.Subnet("10.0.0.0/24", "z1"),))
    assert "subnets need the group's zones" in str(info.value)
    assert "zones=[...]" in str(info.value)
    assert "(z1)" in str(info.value)
    with pytest.raises(podcap.InvalidSpecError, match="node_zones needs the group's zones"):
        podcap.NodeGroup("a", "m5.large", 1, node_zones=("z1",))


# ---------------------------------------------------------------------------------------------
# the EBS CSI driver's node flags: chart values, eksctl and Terraform add-ons, the CLI


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        # charts/aws-ebs-csi-driver: templates render each flag with {{- with }} (not for null
        # or 0); -1 is the driver's own "unset" (pkg/driver/options.go)
        ({"node": {"volumeAttachLimit": 20}}, podcap.EbsCsiDriver(volume_attach_limit=20)),
        (
            {"node": {"reservedVolumeAttachments": 2}},
            podcap.EbsCsiDriver(reserved_volume_attachments=2),
        ),
        ({"node": {"volumeAttachLimit": 0}}, None),
        ({"node": {"reservedVolumeAttachments": -1, "volumeAttachLimit": None}}, None),
        (
            {"node": {"reservedVolumeAttachments": 0, "volumeAttachLimit": 5}},
            podcap.EbsCsiDriver(volume_attach_limit=5),
        ),
        ({"controller": {"replicaCount": 1}}, None),
    ],
)
def test_ebs_csi_from_chart_values(values: dict[str, Any], expected: Any) -> None:
    assert podcap.EbsCsiDriver.from_helm_values(values) == expected


@pytest.mark.parametrize(
    ("values", "message"),
    [
        # values.schema.json: integers or null, volumeAttachLimit >= 0, reserved >= -1
        ({"node": {"volumeAttachLimit": -1}}, "node.volumeAttachLimit: expected an integer >= 0"),
        ({"node": {"volumeAttachLimit": "20"}}, "node.volumeAttachLimit: expected an integer >= 0"),
        (
            {"node": {"reservedVolumeAttachments": -2}},
            "node.reservedVolumeAttachments: expected an integer >= -1",
        ),
        ({"node": "x"}, "node: expected a mapping"),
        # pkg/driver/options.go Validate: the node plugin refuses both
        (
            {"node": {"volumeAttachLimit": 20, "reservedVolumeAttachments": 2}},
            "only one of --volume-attach-limit and --reserved-volume-attachments",
        ),
    ],
)
def test_ebs_csi_chart_value_errors(values: dict[str, Any], message: str) -> None:
    with pytest.raises(podcap.InvalidSpecError, match="here") as info:
        podcap.EbsCsiDriver.from_helm_values(values, "here")
    assert message in str(info.value)


def test_eksctl_ebs_csi_addon_configuration_values(tmp_path: Path) -> None:
    path = eksctl(
        tmp_path,
        """\
        addons:
          - name: aws-ebs-csi-driver
            configurationValues: '{"node": {"volumeAttachLimit": 12}}'
        nodeGroups:
          - {name: ng-1, instanceType: m5.large, desiredCapacity: 2}
        """,
    )
    (g,) = read_cluster_input(path).cluster.node_groups
    assert g.ebs_csi == podcap.EbsCsiDriver(volume_attach_limit=12)
    bad = eksctl(
        tmp_path,
        """\
        addons:
          - name: aws-ebs-csi-driver
            configurationValues: '{"node": {"volumeAttachLimit": "many"}}'
        nodeGroups:
          - {name: ng-1, instanceType: m5.large}
        """,
    )
    with pytest.raises(podcap.InvalidManifestError) as info:
        read_cluster_input(bad)
    msg = str(info.value)
    assert "eksctl.yaml, addons[0] (aws-ebs-csi-driver).configurationValues" in msg
    assert "node.volumeAttachLimit: expected an integer >= 0 or null" in msg


def test_read_cluster_ebs_csi_overrides_every_group(tmp_path: Path) -> None:
    path = eksctl(tmp_path, "nodeGroups:\n  - {name: ng-1, instanceType: m5.large}\n")
    driver = podcap.EbsCsiDriver(reserved_volume_attachments=3)
    state = podcap.read_cluster(path, ebs_csi=driver)
    assert [g.ebs_csi for g in state.cluster.node_groups] == [driver]
