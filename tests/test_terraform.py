"""Reading EKS clusters from Terraform (terraform-aws-modules/eks/aws).

Sources of the expected values (each worked by hand below):

* The module (terraform-aws-modules/terraform-aws-eks, v20.37 and v21.x): ``node_groups.tf``
  (v20: ``try(each.value.X, var.eks_managed_node_group_defaults.X, default)`` with
  desired_size 1, min_size 1, max_size 3 for managed groups and min_size 0, desired_size 1,
  ami_type AL2_x86_64, instance_type m6i.large for self-managed ones) and
  ``modules/*/variables.tf`` (v21: desired_size 1, min_size 1, max_size 3, ami_type
  AL2023_x86_64_STANDARD, capacity_type ON_DEMAND, instance_types null = EKS's t3.medium,
  use_custom_launch_template true, use_name_prefix true; self-managed instance_type m6i.large).
* EKS managed node groups without a custom AMI: maxPods is the AWS calculator's value for the
  cluster's VPC CNI settings, capped at 110 (<= 30 vCPUs) or 250, one value for the whole group:
  the smallest of its instance types' (EKS User Guide, EKS Best Practices "Prefix Mode for
  Linux").  The calculator: ``E * S + 2``; custom networking ``(E - 1) * S + 2``; prefix
  delegation ``E * S * 16 + 2`` (E ENIs, S = IPv4 per ENI - 1).
* AL2 bootstrap.sh / Bottlerocket: the eni-max-pods table ``E * S + 2`` per instance type;
  nodeadm (AL2023): the same, or maxPodsExpression; kube-reserved memory ``11 * P + 255`` MiB
  with P nodeadm's value (Bottlerocket: the final maxPods).
* Allocatable ephemeral storage: volume - 1 GiB kube-reserved - 10% (nodefs.available).

Instance facts (AWS EC2, podcap's table): m5.large 3 ENIs x 10 IPv4, 2 vCPUs; m5.xlarge 4 x 15,
4 vCPUs; m5.4xlarge 8 x 30, 16 vCPUs; m5.8xlarge 8 x 30, 32 vCPUs; t3.medium 3 x 6, 2 vCPUs;
t3.large 3 x 12, 2 vCPUs; c5.large 3 x 10; c7g.xlarge 4 x 15, 4 vCPUs, arm64.
"""

from __future__ import annotations

import io
import textwrap
from pathlib import Path
from typing import Any

import pytest

import podcap
from podcap.cli import main
from podcap.io.clusters import read_cluster_input
from podcap.io.hcl import EvalError, Module, Unknown, parse_file
from podcap.io.terraform import read_terraform
from podcap.model.capacity import managed_node_group_max_pods
from podcap.model.fleet import build_fleet

REPO = Path(__file__).resolve().parents[1]
DATA = REPO / "tests" / "data" / "terraform"
V20 = DATA / "v20_apps"
V21 = DATA / "v21_blue_green"
EXAMPLE = REPO / "examples" / "terraform"
SEED_APP = REPO / "examples" / "seed" / "manifests" / "app.yaml"
GIB = 1 << 30
MIB = 1 << 20


def write(tmp_path: Path, text: str, name: str = "main.tf") -> Path:
    (tmp_path / name).write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    return tmp_path


def groups(cluster: podcap.Cluster) -> dict[str, podcap.NodeGroup]:
    return {g.name: g for g in cluster.node_groups}


def nodes(cluster: podcap.Cluster) -> dict[str, dict[str, int]]:
    """Per node group, what the scheduler sees on one of its nodes."""
    fleet = build_fleet(cluster)
    out: dict[str, dict[str, int]] = {}
    for i in range(len(fleet.names)):
        group = fleet.groups[int(fleet.group[i])].name
        out.setdefault(
            group,
            {
                "pods": int(fleet.pods_alloc[i]),
                "cpu": int(fleet.alloc[fleet.resources.index("cpu"), i]),
                "memory": int(fleet.alloc[fleet.resources.index("memory"), i]),
                "storage": int(fleet.alloc[fleet.resources.index("ephemeral-storage"), i]),
            },
        )
    return out


def model_node(instance_type: str) -> dict[str, int]:
    """The EKS overhead model's node of a type (what no Terraform setting changes)."""
    row = podcap.allocatable(instance_type).iloc[0]
    return {"cpu": int(row["cpu_millicores"]), "memory": int(row["memory_mib"]) * MIB}


MODULE = """
module "eks" {{
  source  = "terraform-aws-modules/eks/aws"
  version = "~> 21.0"

  name               = "t"
  kubernetes_version = "1.33"
{body}
}}
"""


def cluster_of(tmp_path: Path, body: str, **kwargs: Any) -> podcap.Cluster:
    write(tmp_path, MODULE.format(body=textwrap.indent(textwrap.dedent(body), "  ")))
    (tc,) = read_terraform(tmp_path, **kwargs)
    return tc.cluster


# ---------------------------------------------------------------------------------------------
# the managed-node-group max pods rule (one function in the model)


def test_managed_node_group_max_pods_is_the_smallest_of_the_types() -> None:
    # m5.large 3 * 9 + 2 = 29, m5.xlarge 4 * 14 + 2 = 58: every node of the group gets 29
    assert managed_node_group_max_pods(["m5.large", "m5.xlarge"]) == 29
    assert managed_node_group_max_pods(["m5.xlarge", "m5.large"]) == 29
    # m5.4xlarge: 8 * 29 + 2 = 234, capped at 110 (16 vCPUs)
    assert managed_node_group_max_pods("m5.4xlarge") == 110
    # custom networking: t3.large (3 - 1) * 11 + 2 = 24, t3.medium (3 - 1) * 5 + 2 = 12
    assert managed_node_group_max_pods(["t3.large", "t3.medium"], custom_networking=True) == 12
    # prefix delegation: m5.4xlarge 110 (16 vCPUs), m5.8xlarge 250 (32 vCPUs): 110 for both
    assert managed_node_group_max_pods(["m5.4xlarge", "m5.8xlarge"], prefix_delegation=True) == 110
    assert managed_node_group_max_pods(["m5.8xlarge"], prefix_delegation=True) == 250
    # before CNI 1.9 prefix delegation does not count: 3 * 9 + 2 = 29
    assert (
        managed_node_group_max_pods("m5.large", prefix_delegation=True, cni_version="1.8.0") == 29
    )


def test_managed_node_group_max_pods_needs_a_type() -> None:
    with pytest.raises(podcap.InvalidOptionError, match="needs at least one instance type"):
        managed_node_group_max_pods([])


def test_example_group_of_two_types_gets_one_max_pods() -> None:
    tc = read_terraform(EXAMPLE)[0]
    g = groups(tc.cluster)
    # desired 3 (terraform.tfvars) round-robin over the two types: 2 m5.large, 1 m5.xlarge
    assert (g["general-m5-large"].count, g["general-m5-xlarge"].count) == (2, 1)
    per_node = nodes(tc.cluster)
    assert per_node["general-m5-large"]["pods"] == 29
    assert per_node["general-m5-xlarge"]["pods"] == 29  # not its own 58
    # without the rule an m5.xlarge of a self-managed group keeps its own value
    assert podcap.max_pods("m5.xlarge") == 58


# ---------------------------------------------------------------------------------------------
# v20 names, defaults maps, variables


def test_v20_directory() -> None:
    (tc,) = read_terraform(V20)
    assert tc.address == "module.cluster"  # recognised by source, whatever its name
    assert tc.version == 20  # version = "20.37.2"
    # prefix from terraform.tfvars; kubernetes_version: default 1.31 < terraform.tfvars 1.30
    # < zz.auto.tfvars 1.29
    assert tc.name == "acme-apps"
    assert tc.addons == {"coredns", "kube-proxy", "vpc-cni", "aws-ebs-csi-driver"}
    assert any("prod.tfvars" in s and "--var-file" in s for s in tc.skipped)
    g = groups(tc.cluster)
    assert set(g) == {
        "default",
        "legacy-m5-large",
        "legacy-t3-medium",
        "pinned",
        "mixed-m5-large",
        "mixed-m6i-large",
    }
    cni = g["default"].cni_settings
    assert cni.custom_networking
    assert not cni.prefix_delegation
    assert cni.cni_version == "v1.18.3-eksbuild.1"
    per_node = nodes(tc.cluster)

    # default = {}: instance_types and desired_size from eks_managed_node_group_defaults;
    # EKS AMI, custom networking: t3.large (3 - 1) * 11 + 2 = 24
    assert (g["default"].instance_type, g["default"].count) == ("t3.large", 2)
    assert per_node["default"]["pods"] == 24
    # labels from the defaults (the group sets none); capacity type label from EKS; no
    # eks.amazonaws.com/nodegroup label (the module names the group default-<timestamp>)
    assert dict(g["default"].labels or {}) == {
        "team": "apps",
        "eks.amazonaws.com/capacityType": "ON_DEMAND",
    }

    # legacy: its own labels replace the defaults' (the module's try(), not a merge); desired 3
    # round-robin over m5.large, t3.medium; one maxPods for both: min(20, 12) = 12
    assert (g["legacy-m5-large"].count, g["legacy-t3-medium"].count) == (2, 1)
    assert per_node["legacy-m5-large"]["pods"] == per_node["legacy-t3-medium"]["pods"] == 12
    assert g["legacy-m5-large"].labels["tier"] == "legacy"
    assert "team" not in (g["legacy-m5-large"].labels or {})
    assert [str(t) for t in g["legacy-m5-large"].taints] == ["legacy=true:PreferNoSchedule"]
    # disk_size 50 (EKS's launch template): 50 - 1 - 5 = 44 GiB
    assert per_node["legacy-m5-large"]["storage"] == 44 * GIB

    # pinned: a custom AMI (a data source: not known, but set): no EKS max pods; the module's
    # AL2 bootstrap.sh gets --max-pods=40 and --node-labels=pinned=yes
    assert per_node["pinned"]["pods"] == 40
    assert g["pinned"].labels["pinned"] == "yes"

    # self-managed mixed: v20 override list; AL2 bootstrap.sh uses the eni-max-pods table
    # (no custom-networking awareness): m5.large and m6i.large 3 * 9 + 2 = 29
    assert (g["mixed-m5-large"].count, g["mixed-m6i-large"].count) == (2, 2)
    assert per_node["mixed-m5-large"]["pods"] == per_node["mixed-m6i-large"]["pods"] == 29
    # the default root volume: 20 - 1 - 2 = 17 GiB
    assert per_node["mixed-m5-large"]["storage"] == 17 * GIB


def test_v20_managed_group_ami_follows_the_kubernetes_version(tmp_path: Path) -> None:
    # v20 passes ami_type null to EKS: AL2 before 1.30, AL2023 from 1.30.  A NodeConfig is read
    # by nodeadm (AL2023) only.
    body = """
    module "eks" {
      source          = "terraform-aws-modules/eks/aws"
      version         = "~> 20.0"
      cluster_name    = "v"
      cluster_version = var.k8s
      eks_managed_node_groups = {
        a = {
          instance_types = ["m5.large"]
          ami_id                     = "ami-0123456789abcdef0"
          enable_bootstrap_user_data = true
          cloudinit_pre_nodeadm = [{
            content_type = "application/node.eks.aws"
            content      = <<-EOT
              apiVersion: node.eks.aws/v1alpha1
              kind: NodeConfig
              spec:
                kubelet:
                  config:
                    maxPods: 70
            EOT
          }]
        }
      }
    }
    variable "k8s" {
      type    = string
      default = "1.29"
    }
    """
    write(tmp_path, body)
    (tc,) = read_terraform(tmp_path)
    assert nodes(tc.cluster)["a"]["pods"] == 29  # AL2: eni-max-pods, NodeConfig not read
    assert any("NodeConfig" in s and "AL2_x86_64" in s for s in tc.skipped)
    (tc,) = read_terraform(tmp_path, variables={"k8s": "1.30"})
    assert nodes(tc.cluster)["a"]["pods"] == 70  # AL2023 custom AMI: the NodeConfig's


# ---------------------------------------------------------------------------------------------
# v21, several clusters, Bottlerocket, NodeConfig in cloudinit


def test_directory_with_two_clusters_needs_a_name() -> None:
    with pytest.raises(podcap.InvalidManifestError) as err:
        read_cluster_input(V21, variables={"green_nodes": 3})
    message = str(err.value)
    assert "2 EKS clusters: blue (module.eks_blue, " in message
    assert "green (module.green, " in message
    assert "pick one with --cluster-name NAME (read_cluster(..., cluster_name=NAME))" in message


def test_unknown_cluster_name_is_named() -> None:
    with pytest.raises(podcap.InvalidManifestError, match=r"no EKS cluster 'blu' \(did you mean"):
        read_cluster_input(V21, variables={"green_nodes": 3}, cluster_name="blu")


def test_blue_cluster() -> None:
    ci = read_cluster_input(V21, variables={"green_nodes": 3}, cluster_name="blue")
    assert (
        ci.format == "Terraform terraform-aws-modules/eks/aws v21: module.eks_blue (cluster blue)"
    )
    g = groups(ci.cluster)
    per_node = nodes(ci.cluster)
    assert g["big-m5-4xlarge"].cni_settings.prefix_delegation
    # prefix delegation: m5.4xlarge capped at 110 (16 vCPUs), m5.8xlarge at 250: 110 for both
    assert per_node["big-m5-4xlarge"]["pods"] == per_node["big-m5-8xlarge"]["pods"] == 110

    # Bottlerocket on EKS's AMI: EKS's 110 (t3.medium with prefix delegation: 3 * 80 + 2 = 242,
    # capped); Bottlerocket reserves memory for the final maxPods: 11 * 110 + 255 = 1465 MiB
    # where the model reserves 11 * 17 + 255 = 442 MiB: 1023 MiB less
    assert per_node["rocket"]["pods"] == 110
    assert per_node["rocket"]["memory"] == model_node("t3.medium")["memory"] - 1023 * MIB
    # labels and taints from the TOML settings
    assert g["rocket"].labels["example.com/os"] == "bottlerocket"
    assert [str(t) for t in g["rocket"].taints] == ["example.com/dedicated=rocket:NoSchedule"]

    # self-managed AL2023 (v21 default ami_type), NodeConfig from yamlencode(): the expression
    # gives max_pods < 50 ? 50 : max_pods = 50 on an m5.large (29); nodeadm reserves
    # 11 * 50 + 255 = 805 MiB instead of 574 (231 MiB more), and systemReserved takes 256 MiB
    assert per_node["dense"]["pods"] == 50
    assert per_node["dense"]["memory"] == model_node("m5.large")["memory"] - (231 + 256) * MIB
    assert per_node["dense"]["cpu"] == model_node("m5.large")["cpu"]


def test_green_cluster_from_a_local_copy_with_a_variable() -> None:
    ci = read_cluster_input(
        V21, variables={"green_nodes": "4"}, cluster_name="module.green", system_pods=False
    )
    g = groups(ci.cluster)
    assert g["workers"].count == 4  # "4" read as the number the variable's type asks for
    # v21 defaults: AL2023 on EKS's AMI: c5.large 3 * 9 + 2 = 29
    assert nodes(ci.cluster)["workers"]["pods"] == 29
    assert ci.system_pods == []


def test_variable_without_value_is_an_error_naming_the_way_to_give_it() -> None:
    with pytest.raises(podcap.InvalidManifestError) as err:
        read_terraform(V21)
    main_tf = V21 / "main.tf"
    assert str(err.value) == (
        f'{main_tf}:80, module "green", eks_managed_node_groups.workers.desired_size: cannot '
        f"evaluate `var.green_nodes`: variable 'green_nodes' ({main_tf}:89) has no default and "
        "no value in terraform.tfvars or *.auto.tfvars; give the variable a value: --var "
        "green_nodes=VALUE, a terraform.tfvars entry, or read_cluster(..., "
        "variables={'green_nodes': VALUE})"
    )


def test_data_source_value_error_names_the_attribute_override(tmp_path: Path) -> None:
    body = """
    data "aws_ssm_parameter" "size" {
      name = "/eks/size"
    }
    module "eks" {
      source  = "terraform-aws-modules/eks/aws"
      name    = "d"
      eks_managed_node_groups = {
        web = {
          desired_size = tonumber(data.aws_ssm_parameter.size.value)
        }
      }
    }
    """
    write(tmp_path, body)
    with pytest.raises(podcap.InvalidManifestError) as err:
        read_terraform(tmp_path)
    assert str(err.value) == (
        f'{tmp_path / "main.tf"}:7, module "eks", eks_managed_node_groups.web.desired_size: '
        "cannot evaluate `tonumber(data.aws_ssm_parameter.size.value)`: "
        "data.aws_ssm_parameter.size is a data source, which podcap does not query; give this "
        "value directly: --var module.eks.eks_managed_node_groups.web.desired_size=VALUE "
        "(read_cluster(..., variables={'module.eks.eks_managed_node_groups.web.desired_size': "
        "VALUE}))"
    )
    # the override it names works (a string is read as an HCL value: 3, the default max_size)
    (tc,) = read_terraform(
        tmp_path, variables={"module.eks.eks_managed_node_groups.web.desired_size": "3"}
    )
    assert groups(tc.cluster)["web"].count == 3


def test_unknown_values_that_are_not_needed_are_no_error(tmp_path: Path) -> None:
    # tags, subnets and IAM from other modules / resources do not matter to podcap
    cluster = cluster_of(
        tmp_path,
        """
        vpc_id     = module.vpc.vpc_id
        subnet_ids = module.vpc.private_subnets
        eks_managed_node_groups = {
          a = {
            instance_types = ["m5.large"]
            iam_role_additional_policies = { x = aws_iam_policy.extra.arn }
            tags = merge(module.labels.tags, { Name = "a" })
          }
        }
        """,
    )
    assert groups(cluster)["a"].count == 1  # v21 default desired_size


def test_v21_defaults(tmp_path: Path) -> None:
    cluster = cluster_of(tmp_path, "eks_managed_node_groups = {\n  plain = {}\n}\n")
    (g,) = cluster.node_groups
    # instance_types null: EKS's t3.medium; desired_size 1; AL2023 on EKS's AMI: 3 * 5 + 2 = 17
    assert (g.name, g.instance_type, g.count) == ("plain", "t3.medium", 1)
    assert nodes(cluster)["plain"]["pods"] == 17
    assert g.labels == {"eks.amazonaws.com/capacityType": "ON_DEMAND"}


def test_use_name_prefix_false_gives_the_nodegroup_label(tmp_path: Path) -> None:
    cluster = cluster_of(
        tmp_path,
        """
        eks_managed_node_groups = {
          web_tier = {
            use_name_prefix = false
            capacity_type   = "SPOT"
          }
        }
        """,
    )
    (g,) = cluster.node_groups
    assert g.name == "web-tier"  # a node group name podcap accepts
    assert g.labels == {
        "eks.amazonaws.com/nodegroup": "web_tier",
        "eks.amazonaws.com/capacityType": "SPOT",
    }


def test_example_batch_group_settings() -> None:
    tc = read_terraform(EXAMPLE)[0]
    per_node = nodes(tc.cluster)
    g = groups(tc.cluster)["batch"]
    assert [str(t) for t in g.taints] == ["workload=batch:NoSchedule"]
    assert g.labels["eks.amazonaws.com/capacityType"] == "SPOT"
    # c7g.xlarge, AL2023 ARM on EKS's AMI: 4 * 14 + 2 = 58
    assert per_node["batch"]["pods"] == 58
    # kubeReserved cpu 250m replaces the bands' 80m (4 vCPUs: 60 + 10 + 5 + 5)
    assert per_node["batch"]["cpu"] == 4000 - 250
    # evictionHard memory.available 500Mi instead of 100Mi: 400 MiB less
    assert per_node["batch"]["memory"] == model_node("c7g.xlarge")["memory"] - 400 * MIB
    # 100 GiB root volume: 100 - 1 - 10 = 89 GiB
    assert per_node["batch"]["storage"] == 89 * GIB


def test_prefix_delegation_variable_changes_the_managed_max_pods() -> None:
    (tc,) = read_terraform(EXAMPLE, variables={"prefix_delegation": "true"})
    per_node = nodes(tc.cluster)
    # m5.large with prefix delegation: 3 * 144 + 2 = 434, capped at 110; m5.xlarge 110
    assert per_node["general-m5-large"]["pods"] == per_node["general-m5-xlarge"]["pods"] == 110
    assert per_node["batch"]["pods"] == 110


def test_single_tf_file_and_count(tmp_path: Path) -> None:
    write(
        tmp_path,
        """
        module "eks" {
          source = "github.com/terraform-aws-modules/terraform-aws-eks?ref=v20.8.4"
          count  = var.enabled ? 1 : 0
          cluster_name = "c"
          eks_managed_node_groups = { a = { instance_types = ["m5.large"] } }
        }
        variable "enabled" {
          type    = bool
          default = true
        }
        """,
        "cluster.tf",
    )
    write(
        tmp_path,
        'module "other" {\n  source = "terraform-aws-modules/eks/aws"\n  name = "x"\n}\n',
        "other.tf",
    )
    # the file's blocks only
    (tc,) = read_terraform(tmp_path / "cluster.tf")
    assert (tc.address, tc.version) == ("module.eks[0]", 20)
    with pytest.raises(podcap.InvalidManifestError, match="no module block"):
        read_terraform(tmp_path / "cluster.tf", variables={"enabled": "false"})


def test_standalone_node_group_submodule_joins_its_cluster(tmp_path: Path) -> None:
    write(
        tmp_path,
        """
        module "eks" {
          source = "terraform-aws-modules/eks/aws"
          name   = "main"
        }
        module "extra_nodes" {
          source       = "terraform-aws-modules/eks/aws//modules/eks-managed-node-group"
          name         = "extra"
          cluster_name = module.eks.cluster_name
          instance_types = ["m5.large", "m5.xlarge"]
          desired_size   = 2
        }
        module "asg" {
          source        = "terraform-aws-modules/eks/aws//modules/self-managed-node-group"
          name          = "asg"
          cluster_name  = "main"
          instance_type = "m5.xlarge"
        }
        """,
    )
    (tc,) = read_terraform(tmp_path)
    per_node = nodes(tc.cluster)
    assert per_node["extra-m5-large"]["pods"] == per_node["extra-m5-xlarge"]["pods"] == 29
    assert per_node["asg"]["pods"] == 58  # self-managed: nodeadm's own value


# ---------------------------------------------------------------------------------------------
# VPC CNI settings


def test_vpc_cni_configuration_values(tmp_path: Path) -> None:
    cluster = cluster_of(
        tmp_path,
        """
        addons = {
          vpc-cni = {
            addon_version = "v1.19.2-eksbuild.1"
            configuration_values = jsonencode({
              env = {
                ENABLE_PREFIX_DELEGATION = true
                WARM_PREFIX_TARGET       = 2
                WARM_IP_TARGET           = "5"
                MINIMUM_IP_TARGET        = "10"
                ENABLE_POD_ENI           = "true"
              }
            })
          }
        }
        ip_family = "ipv4"
        eks_managed_node_groups = { a = {} }
        """,
    )
    cni = cluster.node_groups[0].cni_settings
    assert cni.prefix_delegation
    assert cni.pod_eni
    assert (cni.warm_prefix_target, cni.warm_ip_target, cni.minimum_ip_target) == (2, 5, 10)
    assert cni.cni_version == "v1.19.2-eksbuild.1"


def test_ipv6_cluster(tmp_path: Path) -> None:
    cluster = cluster_of(tmp_path, 'ip_family = "ipv6"\neks_managed_node_groups = { a = {} }\n')
    (g,) = cluster.node_groups
    assert g.cni_settings.ip_family == "ipv6"
    # IPv6 is prefix mode: t3.medium 3 * 80 + 2 = 242, capped at 110
    assert nodes(cluster)["a"]["pods"] == 110


def test_unknown_aws_node_variable_warns(tmp_path: Path) -> None:
    with pytest.warns(podcap.PodcapWarning, match="NOT_A_SETTING"):
        cluster_of(
            tmp_path,
            """
            addons = {
              vpc-cni = {
                configuration_values = "{\\"env\\":{\\"NOT_A_SETTING\\":\\"1\\"}}"
              }
            }
            """,
        )


# ---------------------------------------------------------------------------------------------
# error messages


def test_errors(tmp_path: Path) -> None:
    cases = {
        # EKS's effect names
        """
        eks_managed_node_groups = {
          a = {
            taints = { t = { key = "k", value = "v", effect = "NoSchedule" } }
          }
        }
        """: "eks_managed_node_groups.a.taints.t.effect: 'NoSchedule' is not an EKS taint effect; "
        "valid: NO_SCHEDULE, NO_EXECUTE, PREFER_NO_SCHEDULE (NoSchedule, NoExecute and "
        "PreferNoSchedule in Kubernetes)",
        # desired within min and max
        "eks_managed_node_groups = { a = { desired_size = 0 } }": (
            "eks_managed_node_groups.a.desired_size: 0 is below min_size 1; EKS and Auto "
            "Scaling refuse it"
        ),
        "eks_managed_node_groups = { a = { desired_size = 9, max_size = 4 } }": (
            "eks_managed_node_groups.a.desired_size: 9 is above max_size 4"
        ),
        "eks_managed_node_groups = { a = { desired_size = 1.5 } }": (
            "eks_managed_node_groups.a.desired_size: expected a whole number >= 0, got 1.5"
        ),
        # architecture from the AMI type
        """
        eks_managed_node_groups = {
          a = {
            ami_type       = "AL2023_ARM_64_STANDARD"
            instance_types = ["m5.large"]
          }
        }
        """: "eks_managed_node_groups.a: instance type m5.large is amd64 but ami_type "
        "AL2023_ARM_64_STANDARD is for arm64; EKS cannot launch it",
        'eks_managed_node_groups = { a = { ami_type = "UBUNTU" } }': (
            "eks_managed_node_groups.a.ami_type: 'UBUNTU' is not an EKS AMI type; valid: "
            "AL2023_x86_64_STANDARD"
        ),
        'eks_managed_node_groups = { a = { capacity_type = "RESERVED" } }': (
            "'RESERVED' is not a capacity type; valid: ON_DEMAND, SPOT, CAPACITY_BLOCK"
        ),
        'eks_managed_node_groups = { a = { instance_types = ["m5.larg"] } }': (
            "eks_managed_node_groups.a: unknown instance type 'm5.larg'; did you mean"
        ),
        "eks_managed_node_groups = [1]": (
            "eks_managed_node_groups: expected a map of node groups, got [1]"
        ),
        # a wrong expression is an error with the expression
        "eks_managed_node_groups = { a = { desired_size = local.nodes } }": (
            'module "eks", eks_managed_node_groups: { a = { desired_size = local.nodes } }: '
            "local.nodes is not defined in a locals block"
        ),
        # functions podcap does not evaluate
        "eks_managed_node_groups = { a = { desired_size = timeadd(1, 2) } }": (
            "cannot evaluate `timeadd(1, 2)`: podcap does not evaluate the function timeadd(); "
            "give this value directly: --var "
            "module.eks.eks_managed_node_groups.a.desired_size=VALUE"
        ),
        # template directives
        'eks_managed_node_groups = { a = { name = "%{if true}x%{endif}" } }': (
            "podcap does not evaluate template directives (%{if}, %{for})"
        ),
        'addons = { vpc-cni = { configuration_values = "{env: [" } }': (
            "addons.vpc-cni.configuration_values: not valid JSON or YAML"
        ),
        'ip_family = "ipv5"': "ip_family: 'ipv5' is not an IP family; valid: ipv4, ipv6",
    }
    for i, (body, expected) in enumerate(cases.items()):
        directory = tmp_path / str(i)
        directory.mkdir()
        with pytest.raises(podcap.InvalidManifestError) as err:
            cluster_of(directory, body)
        assert expected in str(err.value), (body, str(err.value))
        assert str(directory / "main.tf") in str(err.value)


def test_no_eks_module_block(tmp_path: Path) -> None:
    write(tmp_path, 'module "vpc" {\n  source = "terraform-aws-modules/vpc/aws"\n}\n')
    with pytest.raises(podcap.InvalidManifestError) as err:
        read_terraform(tmp_path)
    assert str(err.value) == (
        f"{tmp_path}: no module block of terraform-aws-modules/eks/aws (registry source "
        "terraform-aws-modules/eks/aws, git github.com/terraform-aws-modules/terraform-aws-eks, "
        'or a local copy of it); module blocks found: vpc ("terraform-aws-modules/vpc/aws")'
    )


def test_no_tf_files_and_invalid_hcl(tmp_path: Path) -> None:
    with pytest.raises(podcap.InvalidManifestError, match=r"no Terraform \(\*\.tf\) files"):
        read_terraform(tmp_path)
    write(tmp_path, 'module "eks" {\n  source = "x"\n  name = = 3\n}\n')
    with pytest.raises(podcap.InvalidManifestError) as err:
        read_terraform(tmp_path)
    assert str(err.value).startswith(f"{tmp_path / 'main.tf'}:3:")
    assert "not valid HCL: unexpected" in str(err.value)


def test_undeclared_variable_and_unused_override(tmp_path: Path) -> None:
    cluster_of(tmp_path, "")
    with pytest.raises(podcap.InvalidManifestError) as err:
        read_terraform(tmp_path, variables={"node_count": "3"})
    assert "no variable block for 'node_count'; variables: none" in str(err.value)
    with pytest.raises(podcap.InvalidManifestError) as err:
        read_terraform(tmp_path, variables={"module.ekss.name": "x"})
    assert "module.ekss.name: no such module block; EKS module blocks: module.eks" in str(err.value)


def test_tfvars_takes_literal_values(tmp_path: Path) -> None:
    cluster_of(tmp_path, "")
    write(tmp_path, "x = var.y\n", "terraform.tfvars")
    with pytest.raises(podcap.InvalidManifestError) as err:
        read_terraform(tmp_path)
    assert str(err.value) == (
        f"{tmp_path / 'terraform.tfvars'}:1: x = var.y: var: a reference is not allowed here, "
        "only literal values"
    )


def test_var_file_and_missing_var_file(tmp_path: Path) -> None:
    write(
        tmp_path,
        MODULE.format(
            body="eks_managed_node_groups = { a = { desired_size = var.n, max_size = 5 } }"
        )
        + 'variable "n" {\n  type = number\n}\n',
    )
    write(tmp_path, "n = 4\n", "prod.tfvars")
    (tc,) = read_terraform(tmp_path, var_files=[tmp_path / "prod.tfvars"])
    assert tc.cluster.node_groups[0].count == 4
    with pytest.raises(podcap.InvalidManifestError, match="no such variables file"):
        read_terraform(tmp_path, var_files=[tmp_path / "nope.tfvars"])


def test_instance_requirements_group_is_left_out_with_a_warning(tmp_path: Path) -> None:
    with pytest.warns(podcap.PodcapWarning, match="instance_requirements"):
        cluster = cluster_of(
            tmp_path,
            """
            self_managed_node_groups = {
              flex = {
                instance_requirements = { vcpu_count = { min = 2 } }
              }
            }
            """,
        )
    assert cluster.node_groups == ()


def test_auto_mode_gives_its_built_in_node_pools_and_fargate_is_named(tmp_path: Path) -> None:
    write(
        tmp_path,
        MODULE.format(
            body='compute_config = { enabled = true, node_pools = ["general-purpose"] }\n'
            'fargate_profiles = { kube = { selectors = [{ namespace = "kube-system" }] } }'
        ),
    )
    ci = read_cluster_input(tmp_path)
    assert ci.cluster.node_count == 0  # nodes come from the built-in NodePool
    assert ci.karpenter is not None
    assert [p.name for p in ci.karpenter.node_pools] == ["general-purpose"]
    assert "EKS Auto Mode" in ci.format
    assert ci.system_pods == []  # Auto Mode runs CoreDNS, kube-proxy and the CNI on the node
    assert any("Fargate" in s for s in ci.skipped)


def test_options_for_terraform_only() -> None:
    with pytest.raises(podcap.InvalidManifestError) as err:
        read_cluster_input(REPO / "examples" / "eksctl" / "cluster.yaml", cluster_name="x")
    assert "cluster_name (--var, --var-file, --cluster-name) apply to Terraform" in str(err.value)


# ---------------------------------------------------------------------------------------------
# HCL evaluation


def evaluate(tmp_path: Path, text: str, **values: Any) -> dict[str, Any]:
    path = tmp_path / "e.tf"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    module = Module(tmp_path, [parse_file(path)], values, root=tmp_path)
    return {name: module.local(name) for name in module.locals}


def test_expressions(tmp_path: Path) -> None:
    out = evaluate(
        tmp_path,
        """
        variable "n" {
          type    = number
          default = 3
        }
        variable "env" {}
        locals {
          s       = "ex-${var.env}-${var.n + 1}"
          cond    = var.n > 2 ? "big" : "small"
          merged  = merge({ a = 1, b = 2 }, { b = 3 }, null)
          cat     = concat(["a"], ["b", "c"])
          m       = tomap({ x = "1" })
          js      = jsonencode({ b = true, a = [1, "x"] })
          decoded = jsondecode("{\\"k\\": [1, 2]}")
          tried   = try(local.merged.missing, "fallback")
          can     = can(local.merged.missing)
          look    = lookup(local.merged, "c", 0)
          squares = [for i in range(4) : i * i if i % 2 == 1]
          byname  = { for k, v in local.merged : upper(k) => v }
          grouped = { for s in ["a1", "a2", "b1"] : substr(s, 0, 1) => s... }
          splat   = [{ n = 1 }, { n = 2 }][*].n
          sub     = cidrsubnet("10.0.0.0/16", 4, 2)
          heredoc = <<-EOT
            line ${var.n}
              indented
          EOT
          escaped = "$${literal} %%{x}"
          div     = 7 / 2
          mod     = -7 % 3
          coal    = coalesce("", null, "first")
          fmt     = format("%s-%03d", "n", 7)
          rep     = replace("a.b.c", ".", "-")
          regex   = replace("m5.large", "/^(\\\\w+)\\\\.(\\\\w+)$/", "$2-$1")
          one     = one(["x"])
          joined  = join(",", sort(["b", "a"]))
          keys    = keys({ b = 1, a = 2 })
          name    = basename(path.module)
        }
        """,
        env="prod",
    )
    assert out["s"] == "ex-prod-4"
    assert out["cond"] == "big"
    assert out["merged"] == {"a": 1, "b": 3}
    assert out["cat"] == ["a", "b", "c"]
    assert out["m"] == {"x": "1"}
    assert out["js"] == '{"a":[1,"x"],"b":true}'  # Terraform sorts object keys
    assert out["decoded"] == {"k": [1, 2]}
    assert out["tried"] == "fallback"
    assert out["can"] is False
    assert out["look"] == 0
    assert out["squares"] == [1, 9]
    assert out["byname"] == {"A": 1, "B": 3}
    assert out["grouped"] == {"a": ["a1", "a2"], "b": ["b1"]}
    assert out["splat"] == [1, 2]
    assert out["sub"] == "10.0.32.0/20"
    assert out["heredoc"] == "line 3\n  indented\n"
    assert out["escaped"] == "${literal} %{x}"
    assert out["div"] == 3.5
    assert out["mod"] == -1
    assert out["coal"] == "first"
    assert out["fmt"] == "n-007"
    assert out["rep"] == "a-b-c"
    assert isinstance(out["regex"], Unknown)  # RE2 is not Python's re
    assert out["regex"].reason == "podcap does not evaluate regular expressions"
    assert out["one"] == "x"
    assert out["joined"] == "a,b"
    assert out["keys"] == ["a", "b"]
    assert out["name"] == tmp_path.name


def test_unknowns_propagate_and_say_why(tmp_path: Path) -> None:
    out = evaluate(
        tmp_path,
        """
        variable "x" {}
        locals {
          arn   = aws_iam_role.node.arn
          azs   = slice(data.aws_availability_zones.available.names, 0, 3)
          sub   = module.vpc.private_subnets[0]
          name  = "n-${var.x}"
          fn    = timestamp()
          known = length([aws_iam_role.node.arn, 1])
        }
        """,
    )
    assert isinstance(out["arn"], Unknown)
    assert out["arn"].ref == "aws_iam_role.node.arn"
    assert "resource, known only once Terraform has created it" in out["arn"].reason
    assert isinstance(out["azs"], Unknown)
    assert out["azs"].ref == "data.aws_availability_zones.available.names"
    assert isinstance(out["sub"], Unknown)
    assert out["sub"].ref == "module.vpc.private_subnets[0]"
    assert isinstance(out["name"], Unknown)
    assert out["name"].variable == "x"
    assert isinstance(out["fn"], Unknown)
    assert out["known"] == 2  # the length of a list with an unknown member is known


def test_local_cycle_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "c.tf"
    path.write_text("locals {\n  a = local.b\n  b = local.a\n}\n", encoding="utf-8")
    module = Module(tmp_path, [parse_file(path)], root=tmp_path)
    with pytest.raises(EvalError, match=r"local\.a refers to itself"):
        module.local("a")


# ---------------------------------------------------------------------------------------------
# the command line


def test_cli_simulate_terraform_example() -> None:
    out = io.StringIO()
    status = main(
        ["simulate", "--cluster", str(EXAMPLE), str(SEED_APP), "--var", "general_nodes=4"],
        stream=out,
    )
    assert status == 0
    text = out.getvalue()
    # 4 general nodes (2 m5.large, 2 m5.xlarge) + 2 batch nodes
    assert "podcap simulation: 6 nodes" in text
    assert "cluster read as: Terraform terraform-aws-modules/eks/aws v21: module.eks" in text


def test_cli_errors(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["simulate", "--cluster", str(V21), str(SEED_APP)]) == 2
    assert "--var green_nodes=VALUE" in capsys.readouterr().err
    assert main(["simulate", "--cluster", str(EXAMPLE), "--var", "novalue", str(SEED_APP)]) == 2
    assert "--var expects NAME=VALUE, got 'novalue'" in capsys.readouterr().err
    argv = ["check", "--cluster", str(V21), "--var", "green_nodes=2", str(SEED_APP)]
    assert main([*argv, "--cluster-name", "green"]) in (0, 1)


def test_hostile_expressions_end_in_an_error(tmp_path: Path) -> None:
    cases = {
        "range(10000000)": "a collection of 10,000,000 elements is more than podcap evaluates",
        "[for a in range(3000) : [for b in range(3000) : a * b]]": "steps to evaluate",
        'format("%99999999s", "x")': "a field wider than 10,000 characters",
        "(" * 3000 + "1" + ")" * 3000: "",
    }
    for i, (expr, expected) in enumerate(cases.items()):
        directory = tmp_path / str(i)
        directory.mkdir()
        with pytest.raises(podcap.InvalidManifestError) as err:
            cluster_of(
                directory, f"eks_managed_node_groups = {{ a = {{ desired_size = {expr} }} }}"
            )
        assert expected in str(err.value)


# ---------------------------------------------------------------------------------------------
# accelerated AMI types, the EBS CSI add-on, zones


@pytest.mark.parametrize(
    ("ami_type", "itype", "offered", "named"),
    [
        # EKS User Guide, "Install Kubernetes device plugin for GPUs": Bottlerocket's NVIDIA
        # AMIs include the NVIDIA device plugin; g5.xlarge has 1 A10G (karpenter-provider-aws
        # instance-types.md), g5.12xlarge 4
        ("BOTTLEROCKET_x86_64_NVIDIA", "g5.xlarge", {"nvidia.com/gpu": 1}, False),
        ("BOTTLEROCKET_x86_64_NVIDIA", "g5.12xlarge", {"nvidia.com/gpu": 4}, False),
        # the AL2023 NVIDIA AMIs need the plugin installed; so did AL2's GPU AMI ("you must
        # apply the NVIDIA device plugin for Kubernetes as a daemon set")
        ("AL2023_x86_64_NVIDIA", "g5.xlarge", {}, True),
        ("AL2_x86_64_GPU", "g5.xlarge", {}, True),
        # Inferentia / Trainium on AL2023 or Bottlerocket: the Neuron plugin is installed
        # separately; inf2.xlarge has 1 Inferentia2 device with 2 NeuronCores
        ("AL2023_x86_64_NEURON", "inf2.xlarge", {}, True),
        ("BOTTLEROCKET_x86_64", "inf2.xlarge", {}, True),
        ("AL2023_x86_64_STANDARD", "m5.large", {}, False),
    ],
)
def test_accelerated_ami_types_offer_what_their_plugin_advertises(
    tmp_path: Path, ami_type: str, itype: str, offered: dict[str, int], named: bool
) -> None:
    write(
        tmp_path,
        MODULE.format(
            body=f'  eks_managed_node_groups = {{ gpu = {{ ami_type = "{ami_type}"\n'
            f'    instance_types = ["{itype}"] }} }}\n'
        ),
    )
    (tc,) = read_terraform(tmp_path)
    (g,) = tc.cluster.node_groups
    assert dict(g.extended_resources or {}) == offered
    notes = [s for s in tc.skipped if "runs no device plugin" in s]
    assert bool(notes) == named
    if named:
        assert itype in notes[0]
        assert ami_type in notes[0]


def test_gpu_pods_run_on_a_bottlerocket_nvidia_group(tmp_path: Path) -> None:
    cluster = cluster_of(
        tmp_path,
        """
        eks_managed_node_groups = {
          gpu = {
            ami_type       = "BOTTLEROCKET_x86_64_NVIDIA"
            instance_types = ["g5.xlarge"]
            desired_size   = 2
          }
        }
        """,
    )
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "cuda"},
        "spec": {"containers": [{"name": "c", "resources": {"limits": {"nvidia.com/gpu": 1}}}]},
    }
    docs = [{**pod, "metadata": {"name": f"cuda-{i}"}} for i in range(3)]
    res = podcap.simulate(cluster, docs)
    assert int(res.workloads["running"].sum()) == 2  # one GPU per g5.xlarge
    assert int(res.workloads["pending"].sum()) == 1


def test_ebs_csi_addon_configuration_values(tmp_path: Path) -> None:
    # the aws-ebs-csi-driver chart's node.volumeAttachLimit -> --volume-attach-limit
    cluster = cluster_of(
        tmp_path,
        """
        addons = {
          aws-ebs-csi-driver = {
            configuration_values = jsonencode({ node = { volumeAttachLimit = 8 } })
          }
        }
        eks_managed_node_groups = { a = {}, b = {} }
        """,
    )
    assert [g.ebs_csi for g in cluster.node_groups] == [
        podcap.EbsCsiDriver(volume_attach_limit=8)
    ] * 2


def test_ebs_csi_addon_bad_value_is_named(tmp_path: Path) -> None:
    write(
        tmp_path,
        MODULE.format(
            body="""  addons = {
    aws-ebs-csi-driver = {
      configuration_values = jsonencode({ node = { reservedVolumeAttachments = -5 } })
    }
  }
"""
        ),
    )
    with pytest.raises(podcap.InvalidManifestError) as info:
        read_terraform(tmp_path)
    msg = str(info.value)
    assert "main.tf" in msg
    assert "addons.aws-ebs-csi-driver.configuration_values.node.reservedVolumeAttachments" in msg
    assert "expected an integer >= -1 or null" in msg


def test_zones_are_unknown_and_said(tmp_path: Path) -> None:
    write(tmp_path, MODULE.format(body="  eks_managed_node_groups = { a = {} }\n"))
    (tc,) = read_terraform(tmp_path)
    assert [g.zones for g in tc.cluster.node_groups] == [None]
    assert any(s.startswith("zone unknown for node group(s) a:") for s in tc.skipped)
