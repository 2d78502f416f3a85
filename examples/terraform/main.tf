# An EKS cluster built with terraform-aws-modules/eks/aws (v21 argument names), as podcap reads
# it: `podcap simulate --cluster examples/terraform MANIFEST`.

locals {
  name = "shop-${var.environment}"

  tags = {
    Environment = var.environment
    Team        = "platform"
  }
}

module "vpc" {
  source  = "terraform-aws-modules/vpc/aws"
  version = "~> 6.0"

  name            = local.name
  cidr            = "10.30.0.0/16"
  azs             = ["eu-west-1a", "eu-west-1b"]
  private_subnets = ["10.30.0.0/20", "10.30.16.0/20"]
  public_subnets  = ["10.30.64.0/24", "10.30.65.0/24"]

  tags = local.tags
}

module "eks" {
  source  = "terraform-aws-modules/eks/aws"
  version = "~> 21.0"

  name               = local.name
  kubernetes_version = "1.33"

  addons = {
    coredns                = {}
    kube-proxy             = {}
    eks-pod-identity-agent = { before_compute = true }
    vpc-cni = {
      before_compute = true
      configuration_values = jsonencode({
        env = {
          ENABLE_PREFIX_DELEGATION = tostring(var.prefix_delegation)
          WARM_PREFIX_TARGET       = "1"
        }
      })
    }
  }

  vpc_id     = module.vpc.vpc_id
  subnet_ids = module.vpc.private_subnets

  eks_managed_node_groups = {
    # Two instance types in one managed node group: EKS gives every node the smaller
    # maxPods of the two.
    general = {
      instance_types = ["m5.large", "m5.xlarge"]
      min_size       = 2
      max_size       = 8
      desired_size   = var.general_nodes

      labels = { workload = "general" }
    }

    # Graviton spot nodes for batch work, with their own kubelet reservations.
    batch = {
      ami_type       = "AL2023_ARM_64_STANDARD"
      instance_types = ["c7g.xlarge"]
      capacity_type  = "SPOT"
      min_size       = 0
      max_size       = 10
      desired_size   = 2

      taints = {
        batch = {
          key    = "workload"
          value  = "batch"
          effect = "NO_SCHEDULE"
        }
      }

      block_device_mappings = {
        xvda = {
          device_name = "/dev/xvda"
          ebs         = { volume_size = 100, volume_type = "gp3" }
        }
      }

      cloudinit_pre_nodeadm = [
        {
          content_type = "application/node.eks.aws"
          content      = <<-EOT
            ---
            apiVersion: node.eks.aws/v1alpha1
            kind: NodeConfig
            spec:
              kubelet:
                config:
                  kubeReserved:
                    cpu: 250m
                  evictionHard:
                    memory.available: 500Mi
          EOT
        }
      ]
    }
  }

  tags = local.tags
}
