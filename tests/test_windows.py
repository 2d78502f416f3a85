"""EKS Windows node groups: max pods, pod addresses, labels and system pods.

Sources of the expected values (each worked by hand below):

* EKS User Guide, "Deploy Windows nodes on EKS clusters" (windows-support): Windows nodes use
  one elastic network interface; the pods a Windows node runs are "the number of IP addresses
  available per elastic network interface for the node's instance type, minus one"; no custom
  networking, security groups for pods or IPv6 with Windows nodes.
* aws/amazon-vpc-resource-controller-k8s (b409a14c11c9, ``pkg/provider/ip/provider.go``
  ``getCapacity``): ``IPv4PerInterface - 1`` for Windows, advertised as
  ``vpc.amazonaws.com/PrivateIPv4Address``; ``webhooks/core/pod_webhook.go`` (cef0044c6dcf;
  ``WhichPod``, ``hasWindowsNodeSelector``, ``HandleWindowsPod``) adds a request and a limit of
  one to the first container of pods with the nodeSelector ``kubernetes.io/os: windows`` (or
  ``beta.kubernetes.io/os``), not hostNetwork and not labelled
  ``eks.amazonaws.com/fargate-profile``.
* The kubelet's maxPods on an EKS Windows node: 110, the kubelet default; a real Windows
  node reports ``"pods": "110"`` beside ``"vpc.amazonaws.com/PrivateIPv4Address": "11"`` in
  its capacity and allocatable (aws/containers-roadmap #481, 2019-09), and eksctl passes
  ``max-pods`` to the Windows bootstrap only for ``maxPodsPerNode`` (eksctl 99984adb6164,
  ``pkg/nodebootstrap/windows.go``).
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
from podcap.io.terraform import read_terraform
from podcap.model.admission import admit
from podcap.model.capacity import WINDOWS_IP_RESOURCE
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
def test_windows_pod_addresses(instance_type: str, expected: int) -> None:
    assert podcap.windows_pod_addresses(instance_type) == expected


def test_windows_kubelet_max_pods_is_110() -> None:
    # the kubelet's default: the Windows bootstrap sets none (containers-roadmap #481: 110)
    assert podcap.max_pods(["m5.large", "t3.medium"], policy="windows").tolist() == [110, 110]
    assert podcap.windows_pod_addresses(["m5.large", "t3.medium"]).tolist() == [9, 5]
    assert podcap.allocatable("m5.large", max_pods_policy="windows").iloc[0]["pods"] == 110


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
    # the kubelet's 110 pods; 9 addresses (10 IPv4 per ENI - 1), the same as the resource
    assert (int(fleet.pods_alloc[w]), int(fleet.pod_ips[w])) == (110, 9)
    assert (int(fleet.pods_alloc[lx]), int(fleet.pod_ips[lx])) == (29, 27)
    assert fleet.labels_of(w)["kubernetes.io/os"] == "windows"
    assert fleet.labels_of(lx)["kubernetes.io/os"] == "linux"


def test_windows_pods_fill_nine_per_m5_large_and_no_linux_daemonsets(tmp_path: Path) -> None:
    state = eksctl(tmp_path)
    app = write(tmp_path, WINDOWS_APP, "app.yaml")
    w = podcap.simulate(state, [app]).workloads.set_index("name")
    # 2 Windows m5.large nodes x 9 addresses = 18; the Linux node does not match the selector.
    # The kubelet would take 110 pods: the webhook's resource is what stops the 19th pod.
    assert (w.loc["iis", "running"], w.loc["iis", "pending"]) == (18, 12)
    assert "2 Insufficient vpc.amazonaws.com/PrivateIPv4Address" in w.loc["iis", "reason"]
    assert "Too many pods" not in w.loc["iis", "reason"]
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
    # No webhook resource without the selector: the Windows nodes take pods up to the kubelet's
    # 110, but have 9 addresses each, so every pod is scheduled and those beyond 9 on a Windows
    # node wait in ContainerCreating (the spreading puts 8 / 9 / 13 on linux-0 / windows-0 /
    # windows-1: 13 - 9 = 4 without an address).
    assert (w.loc["iis", "pending"], w.loc["iis", "container_creating"]) == (0, 4)
    assert w.loc["iis", "running"] == 26


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
    # Linux: calculator with prefix delegation, capped at 110; Windows: the kubelet's 110, and
    # still 10 - 1 secondary IPs
    assert pods == {"linux": 110, "windows": 110}
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
    assert groups["windows"].max_pods is None  # the kubelet's default, 110
    assert groups["small"].max_pods == 6  # maxPodsPerNode: eksctl passes --max-pods
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
    # the kubelet's 110 everywhere (not the managed Linux rule's one value for the group);
    # each type its own addresses
    assert pods == {"win-m5-large": 110, "win-t3-medium": 110, "legacy": 110}
    assert {n: g.extended_resources for n, g in groups.items()} == {
        "win-m5-large": {WINDOWS_IP_RESOURCE: 9},
        "win-t3-medium": {WINDOWS_IP_RESOURCE: 5},
        "legacy": {WINDOWS_IP_RESOURCE: 11},  # t3.large: 12 - 1, as #481's node reports
    }
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


def _pod(
    spec: dict[str, object], labels: dict[str, str] | None = None
) -> podcap.model.admission.AdmittedPod:
    doc = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "p", "labels": labels or {"app": "p"}},
        "spec": {
            "initContainers": [{"name": "init", "image": "i"}],
            "containers": [
                {"name": "a", "image": "a", "resources": {"requests": {"cpu": "100m"}}},
                {"name": "b", "image": "b"},
            ],
            **spec,
        },
    }
    (wl,) = podcap.load_manifests([doc]).workloads
    return admit(wl.template, [])


@pytest.mark.parametrize(
    ("spec", "labels", "expected"),
    [
        ({"nodeSelector": {"kubernetes.io/os": "windows"}}, None, 1),
        ({"nodeSelector": {"beta.kubernetes.io/os": "windows"}}, None, 1),
        # hostNetwork pods are left alone (WhichPod: HostNetworking first)
        ({"nodeSelector": {"kubernetes.io/os": "windows"}, "hostNetwork": True}, None, 0),
        # a Fargate pod is handled as Fargate, before the Windows test
        (
            {"nodeSelector": {"kubernetes.io/os": "windows"}},
            {"eks.amazonaws.com/fargate-profile": "fp"},
            0,
        ),
        ({"nodeSelector": {"kubernetes.io/os": "linux"}}, None, 0),
        ({}, None, 0),
        # node affinity is not looked at, only the nodeSelector
        (
            {
                "affinity": {
                    "nodeAffinity": {
                        "requiredDuringSchedulingIgnoredDuringExecution": {
                            "nodeSelectorTerms": [
                                {
                                    "matchExpressions": [
                                        {
                                            "key": "kubernetes.io/os",
                                            "operator": "In",
                                            "values": ["windows"],
                                        }
                                    ]
                                }
                            ]
                        }
                    }
                }
            },
            None,
            0,
        ),
    ],
)
def test_vpc_resource_webhook(
    spec: dict[str, object], labels: dict[str, str] | None, expected: int
) -> None:
    pod = _pod(spec, labels)
    assert pod.ok
    assert pod.requests.get(WINDOWS_IP_RESOURCE, 0) == expected
    assert pod.limits.get(WINDOWS_IP_RESOURCE, 0) == expected
    first, second = (c for c in pod.containers if c.role == "app")
    # the first container gets it, request and limit; the others and init containers do not
    assert first.requests.get(WINDOWS_IP_RESOURCE, 0) == expected
    assert first.limits.get(WINDOWS_IP_RESOURCE, 0) == expected
    assert first.requests["cpu"] == 100
    assert WINDOWS_IP_RESOURCE not in second.requests
    assert all(WINDOWS_IP_RESOURCE not in c.requests for c in pod.containers if c.role != "app")
