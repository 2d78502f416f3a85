"""Max-pods formulas of the policies in use on AWS (pure numpy).

Every function takes per-instance numbers (scalars, arrays or pandas Series) and returns the same
shape.  ``E`` is the ENI count of the default network card, ``S = ipv4_per_eni - 1`` the secondary
slots per ENI.  Sources are named on each function.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from podcap.kernels._shape import elementwise

__all__ = [
    "aws_calculator_max_pods",
    "eni_max_pods",
    "karpenter_max_pods",
    "kops_max_pods",
]

#: Host-network pods (aws-node, kube-proxy) the formulas add on top of the pod IPs.
HOST_NETWORK_PODS = 2
#: IPv4 addresses in a /28 prefix.
PREFIX_SIZE = 16


@elementwise
def eni_max_pods(enis: Any, ipv4_per_eni: Any) -> Any:
    """ENI-limited max pods ``E * (ipv4_per_eni - 1) + 2``.

    The formula of the EKS table ``eni-max-pods.txt`` (amazon-vpc-cni-k8s ``misc/``), the AL2
    bootstrap script and nodeadm (AL2023).

    Parameters
    ----------
    enis : int or array-like
        ENIs on the default network card [count].
    ipv4_per_eni : int or array-like
        IPv4 addresses per ENI, including the primary [count].

    Returns
    -------
    int or array-like
        Max pods [pods].
    """
    return enis * (ipv4_per_eni - 1) + HOST_NETWORK_PODS


@elementwise
def aws_calculator_max_pods(
    enis: Any,
    ipv4_per_eni: Any,
    nitro: Any,
    vcpus: Any,
    *,
    prefix_delegation: bool = False,
    custom_networking: bool = False,
    max_eni: int | None = None,
    show_max_allowed: bool = False,
    cni_supports_prefix: bool = True,
) -> Any:
    """Max pods printed by the AWS ``max-pods-calculator.sh`` (amazon-eks-ami).

    Parameters
    ----------
    enis : int or array-like
        ENIs on the default network card [count].
    ipv4_per_eni : int or array-like
        IPv4 addresses per ENI, including the primary [count].
    nitro : bool or array-like
        Whether EC2 reports the ``nitro`` hypervisor (bare metal reports none).
    vcpus : int or array-like
        Default vCPUs [count]; only used for the 110 / 250 cap.
    prefix_delegation : bool
        ``--cni-prefix-delegation-enabled``.
    custom_networking : bool
        ``--cni-custom-networking-enabled`` (one ENI fewer).
    max_eni : int, optional
        ``--cni-max-eni``: caps the ENI count before custom networking is applied.
    show_max_allowed : bool
        ``--show-max-allowed``: print the uncapped value.
    cni_supports_prefix : bool
        Whether the ``--cni-version`` is at least 1.9 (prefix delegation's first release).

    Returns
    -------
    int or array-like
        Max pods [pods]: ``min(pods, 250 if vcpus > 30 else 110)`` unless ``show_max_allowed``.
    """
    e = enis
    if max_eni is not None:
        e = np.minimum(e, max_eni)
    if custom_networking:
        e = e - 1
    slots = ipv4_per_eni - 1
    use_prefix = np.logical_and(nitro, prefix_delegation and cni_supports_prefix)
    pods = np.where(use_prefix, e * slots * PREFIX_SIZE, e * slots) + HOST_NETWORK_PODS
    if show_max_allowed:
        return pods
    cap = np.where(vcpus > 30, 250, 110)
    return np.minimum(pods, cap)


@elementwise
def karpenter_max_pods(
    enis: Any,
    ipv4_per_eni: Any,
    vcpus: Any,
    *,
    reserved_enis: int = 0,
    max_pods: int | None = None,
    pods_per_core: int | None = None,
    eni_limited: bool = True,
    pods_per_core_enabled: bool = True,
) -> Any:
    """Max pods Karpenter gives a node (karpenter-provider-aws ``pkg/providers/instancetype``).

    Parameters
    ----------
    enis : int or array-like
        ENIs on the default network card [count].
    ipv4_per_eni : int or array-like
        IPv4 addresses per ENI, including the primary [count].
    vcpus : int or array-like
        Default vCPUs [count] (for ``pods_per_core``).
    reserved_enis : int
        ENIs Karpenter keeps out of the count (its ``RESERVED_ENIS`` setting).
    max_pods : int, optional
        Explicit ``kubelet.maxPods``; wins over the ENI-limited value.
    pods_per_core : int, optional
        ``kubelet.podsPerCore``; caps at ``pods_per_core * vcpus`` when the AMI family honours it.
    eni_limited : bool
        Whether the AMI family uses ENI-limited pod density (False: 110, e.g. Windows).
    pods_per_core_enabled : bool
        Whether the AMI family honours ``podsPerCore`` (False on Bottlerocket).

    Returns
    -------
    int or array-like
        Max pods [pods].  0 when no ENI is left after ``reserved_enis``.
    """
    if max_pods is not None:
        count = np.broadcast_to(np.int64(max_pods), np.shape(enis)).astype(np.int64)
    elif eni_limited:
        usable = np.maximum(enis - reserved_enis, 0)
        count = np.where(usable == 0, 0, usable * (ipv4_per_eni - 1) + HOST_NETWORK_PODS)
    else:
        count = np.broadcast_to(np.int64(110), np.shape(enis)).astype(np.int64)
    if pods_per_core is not None and pods_per_core > 0 and pods_per_core_enabled:
        count = np.minimum(count, pods_per_core * vcpus)
    return count


@elementwise
def kops_max_pods(enis_all_cards: Any, ipv4_per_eni: Any) -> Any:
    """Max pods kOps sets for ``amazonvpc`` networking: ``min(110, E_all * S + 2)``.

    Parameters
    ----------
    enis_all_cards : int or array-like
        ENIs on **all** network cards [count] (kOps reads the instance total).
    ipv4_per_eni : int or array-like
        IPv4 addresses per ENI, including the primary [count].

    Returns
    -------
    int or array-like
        Max pods [pods].
    """
    return np.minimum(110, enis_all_cards * (ipv4_per_eni - 1) + HOST_NETWORK_PODS)
