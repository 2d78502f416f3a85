"""Kernels: pure numpy model functions over arrays.

They never see podcap objects, never read files and never print.  Scalars in give scalars out,
arrays give ndarrays and a pandas Series gives a Series on the same index.
"""

from podcap.kernels.ipam import IPV6_POD_ADDRESSES, usable_pod_enis, vpc_cni_pod_ips
from podcap.kernels.maxpods import (
    aws_calculator_max_pods,
    eni_max_pods,
    karpenter_max_pods,
    kops_max_pods,
)
from podcap.kernels.reserved import (
    karpenter_memory_capacity_mib,
    kube_reserved_cpu,
    kube_reserved_memory_mib,
    reported_memory_capacity_mib,
)

__all__ = [
    "IPV6_POD_ADDRESSES",
    "aws_calculator_max_pods",
    "eni_max_pods",
    "karpenter_max_pods",
    "karpenter_memory_capacity_mib",
    "kops_max_pods",
    "kube_reserved_cpu",
    "kube_reserved_memory_mib",
    "reported_memory_capacity_mib",
    "usable_pod_enis",
    "vpc_cni_pod_ips",
]
