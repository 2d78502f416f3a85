"""EKS Windows node groups: max pods, pod addresses, labels and system pods.

Sources of the expected values (each worked by hand below):

* EKS User Guide, "Deploy Windows nodes on EKS clusters" (windows-support): Windows nodes use
  one elastic network interface; the pods a Windows node runs are "the number of IP addresses
  available per elastic network interface for the node's instance type, minus one"; no custom
  networking, security groups for pods or IPv6 with Windows nodes.
* aws/amazon-vpc-resource-controller-k8s (b409a14c11c9, ``pkg/provider/ip/provider.go``
  ``getCapacity``): ``IPv4PerInterface - 1`` for Windows, advertised as
  ``vpc.amazonaws.com/PrivateIPv4Address``; ``webhooks/core/pod_webhook.go`` (cef0044c6dcf)
  adds one to pods with the nodeSelector ``kubernetes.io/os: windows`` only.
* EC2 "IP addresses per network interface per instance type": m5.large 3 ENIs x 10 IPv4,
  m5.xlarge 4 x 15, t3.medium 3 x 6, t3.large 3 x 12, c5.4xlarge 8 x 30.
* Observed: aws/containers-roadmap #69 (2019-09): a Windows t3.medium runs 5 pods where the
  Linux one runs 17.
* aws-node's manifest (amazon-vpc-cni-k8s ``config/master/aws-k8s-cni.yaml`` at f3efb24fa4be)
  requires ``kubernetes.io/os In [linux]``.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

import podcap
from podcap.io.readers import WINDOWS_IP_RESOURCE
from podcap.io.terraform import read_terraform
from podcap.model.fleet import build_fleet


@pytest.mark.parametrize(
    ("instance_type", "expected"),
    [
        ("m5.large", 9),  # 10 IPv4 per ENI - 1 (Linux: 3 * 9 + 2 = 29)
        ("m5.xlarge", 14),  # 15 - 1
        ("t3.medium", 5),  # 6 - 1; containers-roadmap #69 saw 5
        ("t3.large", 11),  # 12 - 1
        ("c5.4xlarge", 29),  # 30 - 1
    ],
)
def test_windows_max_pods_policy(instance_type: str, expected: int) -> None:
    assert podcap.max_pods(instance_type, policy="windows") == expected


def test_windows_max_pods_is_vectorised() -> None:
    got = podcap.max_pods(["m5.large", "t3.medium"], policy="windows")
    assert got.tolist() == [9, 5]
    assert podcap.allocatable("m5.large", max_pods_policy="windows").iloc[0]["pods"] == 9


def write(tmp_path: Path, text: str, name: str = "cluster.yaml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    return path


EKSCTL = """
apiVersion: eksctl.io/v1alpha5
kind: ClusterConfig
metadata: {{name: shop, region: us-west-2}}
availabilityZones: [us-west-2a, us-west-2b]
{extra}
nodeGroups:
  - name: linux
    instanceType: m5.large
    desiredCapacity: 1
  - name: windows
    amiFamily: {family}
    instanceType: m5.large
    desiredCapacity: 2
{more}
"""


def eksctl(
    tmp_path: Path, family: str = "WindowsServer2022CoreContainer", extra: str = "", more: str = ""
) -> podcap.ClusterState:
    return podcap.read_cluster(
        write(tmp_path, EKSCTL.format(family=family, extra=extra, more=more))
    )


WINDOWS_APP = """
apiVersion: apps/v1
kind: Deployment
metadata: {name: iis}
spec:
  replicas: 30
  selector: {matchLabels: {app: iis}}
  template:
    metadata: {labels: {app: iis}}
    spec:
      nodeSelector: {kubernetes.io/os: windows}
      containers: [{name: iis, image: iis, resources: {requests: {cpu: 10m}}}]
"""


def test_eksctl_windows_group(tmp_path: Path) -> None:
    state = eksctl(tmp_path)
    g = {x.name: x for x in state.cluster.node_groups}["windows"]
    assert g.max_pods_policy == "windows"
    assert g.max_pods is None
    assert g.labels is not None
    assert g.labels["kubernetes.io/os"] == "windows"
    assert g.labels["node.kubernetes.io/windows-build"] == "10.0.20348"
    assert g.taints == ()  # eksctl adds none
    assert g.extended_resources == {WINDOWS_IP_RESOURCE: 9}
    fleet = build_fleet(state.cluster)
    by_group = {fleet.groups[int(fleet.group[i])].name: i for i in range(len(fleet.names))}
    w, lx = by_group["windows"], by_group["linux"]
    assert (int(fleet.pods_alloc[w]), int(fleet.pod_ips[w])) == (9, 9)
    assert (int(fleet.pods_alloc[lx]), int(fleet.pod_ips[lx])) == (29, 27)
    assert fleet.labels_of(w)["kubernetes.io/os"] == "windows"
    assert fleet.labels_of(lx)["kubernetes.io/os"] == "linux"


def test_windows_pods_fill_nine_per_m5_large_and_no_linux_daemonsets(tmp_path: Path) -> None:
    state = eksctl(tmp_path)
    app = write(tmp_path, WINDOWS_APP, "app.yaml")
    w = podcap.simulate(state, [app]).workloads.set_index("name")
    # 2 Windows m5.large nodes x 9 = 18; the Linux node does not match the selector
    assert (w.loc["iis", "running"], w.loc["iis", "pending"]) == (18, 12)
    assert "2 Too many pods" in w.loc["iis", "reason"]
    assert "1 node(s) didn't match Pod's node affinity/selector" in w.loc["iis", "reason"]
    # aws-node and kube-proxy select Linux nodes: one pod each, on the Linux node
    assert (w.loc["aws-node", "desired"], w.loc["kube-proxy", "desired"]) == (1, 1)


def test_linux_pods_without_a_selector_land_on_windows_nodes(tmp_path: Path) -> None:
    # eksctl taints no Windows node, so the scheduler places a pod without a node selector
    # there too (on a real cluster its Linux image then fails to start).
    state = eksctl(tmp_path)
    app = write(
        tmp_path,
        WINDOWS_APP.replace("      nodeSelector: {kubernetes.io/os: windows}\n", ""),
        "app.yaml",
    )
    w = podcap.simulate(state, [app]).workloads.set_index("name")
    # the Linux node has room for 29 - aws-node, kube-proxy, 2 coredns = 25 of the 30 replicas;
    # all 30 run, so at least 5 are on the Windows nodes (2 x 9 = 18 slots)
    assert w.loc["iis", "running"] == 30


def test_windows_ignores_prefix_delegation_and_custom_networking(tmp_path: Path) -> None:
    extra = """
addons:
  - name: vpc-cni
    configurationValues: '{"env": {"ENABLE_PREFIX_DELEGATION": "true"}}'
"""
    state = eksctl(tmp_path, extra=extra)
    fleet = build_fleet(state.cluster)
    pods = {
        fleet.groups[int(fleet.group[i])].name: int(fleet.pods_alloc[i])
        for i in range(len(fleet.names))
    }
    ips = {
        fleet.groups[int(fleet.group[i])].name: int(fleet.pod_ips[i])
        for i in range(len(fleet.names))
    }
    # Linux: calculator with prefix delegation, capped at 110; Windows: still 10 - 1 secondary IPs
    assert pods == {"linux": 110, "windows": 9}
    assert ips["windows"] == 9


def test_windows_server_2019_full_and_explicit_max_pods(tmp_path: Path) -> None:
    more = """  - name: small
    amiFamily: WindowsServer2019FullContainer
    instanceType: m5.xlarge
    desiredCapacity: 1
    maxPodsPerNode: 6
"""
    state = eksctl(tmp_path, family="WindowsServer2019FullContainer", more=more)
    groups = {g.name: g for g in state.cluster.node_groups}
    assert groups["windows"].labels["node.kubernetes.io/windows-build"] == "10.0.17763"
    assert groups["small"].max_pods == 6  # below the 14 addresses: the kubelet's limit
    assert groups["small"].extended_resources == {WINDOWS_IP_RESOURCE: 14}


def test_windows_in_an_ipv6_cluster_is_an_error(tmp_path: Path) -> None:
    extra = "kubernetesNetworkConfig: {ipFamily: IPv6}"
    with pytest.raises(podcap.InvalidManifestError) as info:
        eksctl(tmp_path, extra=extra)
    assert str(info.value) == (
        f"{tmp_path / 'cluster.yaml'}, nodeGroups[1]: node group 'windows': Windows nodes cannot "
        "join an IPv6 cluster (EKS User Guide, Deploy Windows nodes on EKS clusters); use an "
        "IPv4 cluster or Linux nodes"
    )


MODULE = """
module "eks" {
  source  = "terraform-aws-modules/eks/aws"
  version = "~> 21.0"

  name               = "t"
  kubernetes_version = "1.33"

  eks_managed_node_groups = {
    win = {
      ami_type       = "WINDOWS_CORE_2022_x86_64"
      instance_types = ["m5.large", "t3.medium"]
      desired_size   = 2
    }
  }
  self_managed_node_groups = {
    legacy = {
      ami_type      = "WINDOWS_FULL_2019_x86_64"
      instance_type = "t3.large"
      desired_size  = 1
    }
  }
}
"""


def test_terraform_windows_groups(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text(MODULE, encoding="utf-8")
    (tc,) = read_terraform(tmp_path)
    groups = {g.name: g for g in tc.cluster.node_groups}
    assert set(groups) == {"win-m5-large", "win-t3-medium", "legacy"}
    fleet = build_fleet(tc.cluster)
    pods = {
        fleet.groups[int(fleet.group[i])].name: int(fleet.pods_alloc[i])
        for i in range(len(fleet.names))
    }
    # each type its own addresses (not the managed Linux rule's one value for the group)
    assert pods == {"win-m5-large": 9, "win-t3-medium": 5, "legacy": 11}
    assert groups["legacy"].labels["node.kubernetes.io/windows-build"] == "10.0.17763"
    assert groups["win-m5-large"].labels["kubernetes.io/os"] == "windows"
    assert groups["win-t3-medium"].extended_resources == {WINDOWS_IP_RESOURCE: 5}


def test_terraform_windows_bootstrap_kubelet_flags(tmp_path: Path) -> None:
    text = MODULE.replace(
        "      desired_size  = 1\n",
        "      desired_size  = 1\n"
        "      bootstrap_extra_args = \"-KubeletExtraArgs '--node-labels=team=dotnet "
        "--register-with-taints=os=windows:NoSchedule'\"\n",
    )
    (tmp_path / "main.tf").write_text(text, encoding="utf-8")
    (tc,) = read_terraform(tmp_path)
    legacy = {g.name: g for g in tc.cluster.node_groups}["legacy"]
    assert legacy.labels["team"] == "dotnet"
    assert [str(t) for t in legacy.taints] == ["os=windows:NoSchedule"]
