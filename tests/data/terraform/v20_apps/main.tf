provider "aws" {
  region = "eu-central-1"
}

data "aws_ami" "eks_al2" {
  most_recent = true
  owners      = ["amazon"]

  filter {
    name   = "name"
    values = ["amazon-eks-node-${local.k8s}-v*"]
  }
}

locals {
  k8s  = var.kubernetes_version
  name = "${var.prefix}-apps"

  common_labels = {
    team = "apps"
  }
}

# Not named "eks": recognised by its source.
module "cluster" {
  source  = "registry.terraform.io/terraform-aws-modules/eks/aws"
  version = "20.37.2"

  cluster_name    = local.name
  cluster_version = local.k8s

  cluster_endpoint_public_access = true

  cluster_addons = {
    coredns    = {}
    kube-proxy = {}
    vpc-cni = {
      addon_version = "v1.18.3-eksbuild.1"
      configuration_values = jsonencode({
        env = {
          AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG = "true"
          ENI_CONFIG_LABEL_DEF               = "topology.kubernetes.io/zone"
        }
      })
    }
    aws-ebs-csi-driver = {
      most_recent              = true
      service_account_role_arn = aws_iam_role.ebs_csi.arn
    }
  }

  vpc_id     = var.vpc_id
  subnet_ids = var.subnet_ids

  eks_managed_node_group_defaults = {
    instance_types = ["t3.large"]
    desired_size   = 2
    labels         = local.common_labels
  }

  eks_managed_node_groups = {
    # everything from the defaults
    default = {}

    # EKS's own launch template: disk_size applies
    legacy = {
      use_custom_launch_template = false
      disk_size                  = 50

      instance_types = ["m5.large", "t3.medium"]
      min_size       = 1
      max_size       = 5
      desired_size   = 3

      labels = {
        tier = "legacy"
      }
      taints = [
        {
          key    = "legacy"
          value  = "true"
          effect = "PREFER_NO_SCHEDULE"
        }
      ]
    }

    # a custom AMI bootstrapped by the module's AL2 user data
    pinned = {
      ami_id                     = data.aws_ami.eks_al2.image_id
      ami_type                   = "AL2_x86_64"
      enable_bootstrap_user_data = true
      bootstrap_extra_args       = "--kubelet-extra-args '--max-pods=40 --node-labels=pinned=yes'"

      instance_types = ["m5.xlarge"]
      desired_size   = 1
      min_size       = 1
    }
  }

  self_managed_node_groups = {
    mixed = {
      desired_size = 4
      max_size     = 6

      use_mixed_instances_policy = true
      mixed_instances_policy = {
        instances_distribution = {
          on_demand_base_capacity = 0
        }
        override = [
          { instance_type = "m5.large" },
          { instance_type = "m6i.large" },
        ]
      }
    }
  }

  tags = {
    Cluster = local.name
  }
}

resource "aws_iam_role" "ebs_csi" {
  name               = "${local.name}-ebs-csi"
  assume_role_policy = "{}"
}
