locals {
  dense_node_config = {
    apiVersion = "node.eks.aws/v1alpha1"
    kind       = "NodeConfig"
    spec = {
      kubelet = {
        maxPodsExpression = "max_pods < 50 ? 50 : max_pods"
        config = {
          systemReserved = {
            memory = "256Mi"
          }
        }
      }
    }
  }
}

module "eks_blue" {
  source = "git::https://github.com/terraform-aws-modules/terraform-aws-eks.git?ref=v21.3.1"

  name               = "blue"
  kubernetes_version = "1.33"

  addons = {
    vpc-cni = {
      before_compute = true
      configuration_values = jsonencode({
        env = {
          ENABLE_PREFIX_DELEGATION = "true"
        }
      })
    }
  }

  eks_managed_node_groups = {
    big = {
      instance_types = ["m5.4xlarge", "m5.8xlarge"]
      desired_size   = 2
      max_size       = 4
    }

    rocket = {
      ami_type       = "BOTTLEROCKET_x86_64"
      instance_types = ["t3.medium"]
      desired_size   = 1

      bootstrap_extra_args = <<-EOT
        [settings.kubernetes.node-labels]
        "example.com/os" = "bottlerocket"

        [settings.kubernetes.node-taints]
        "example.com/dedicated" = ["rocket:NoSchedule"]
      EOT
    }
  }

  self_managed_node_groups = {
    dense = {
      instance_type = "m5.large"
      desired_size  = 2

      cloudinit_pre_nodeadm = [
        {
          content_type = "application/node.eks.aws"
          content      = yamlencode(local.dense_node_config)
        }
      ]
    }
  }
}

# A copy of the module kept next to this configuration (not present here): recognised by its
# arguments.
module "green" {
  source = "./modules/terraform-aws-eks"

  name               = "green"
  kubernetes_version = "1.33"

  eks_managed_node_groups = {
    workers = {
      instance_types = ["c5.large"]
      desired_size   = var.green_nodes
      max_size       = 10
    }
  }
}

variable "green_nodes" {
  description = "no default and no tfvars: give it with --var green_nodes=N"
  type        = number
}
