"""VPC CNI pod IP capacity of a node (pure numpy)."""

from __future__ import annotations

from typing import Any

import numpy as np

from podcap.kernels._shape import elementwise
from podcap.kernels.maxpods import PREFIX_SIZE

__all__ = ["IPV6_POD_ADDRESSES", "usable_pod_enis", "vpc_cni_pod_ips"]

#: Addresses in the /80 IPv6 prefix the VPC CNI assigns a node in IPv6 mode.
IPV6_POD_ADDRESSES = 2**48


@elementwise
def usable_pod_enis(
    enis: Any,
    trunking_compatible: Any,
    *,
    custom_networking: bool = False,
    pod_eni: bool = False,
    max_eni: int | None = None,
    other_card_enis: Any = 0,
) -> Any:
    """ENIs whose secondary IPs / prefixes can go to pods.

    ``min(MAX_ENI, E)``, minus the primary ENI with custom networking, minus the trunk ENI with
    security groups for pods on a trunking-compatible type; never below 0.  With
    ``ENABLE_MULTI_NIC`` the ENIs of the other network cards are added (ipamd attaches them
    itself; the primary and the trunk ENI are on card 0).

    Parameters
    ----------
    enis : int or array-like
        ENIs on the default network card [count].
    trunking_compatible : bool or array-like
        Whether the type supports ENI trunking.
    custom_networking, pod_eni : bool
        ``AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG`` and ``ENABLE_POD_ENI``.
    max_eni : int, optional
        ``MAX_ENI`` [count].
    other_card_enis : int or array-like
        ENIs ipamd manages on network cards other than card 0 (``ENABLE_MULTI_NIC``), each
        card's already limited by ``MAX_ENI`` [count]; 0 without multi-NIC.

    Returns
    -------
    int or array-like
        ENIs [count].
    """
    e = enis if max_eni is None else np.minimum(enis, max_eni)
    if custom_networking:
        e = e - 1
    if pod_eni:
        e = e - np.asarray(trunking_compatible, dtype=np.int64)
    return np.maximum(e, 0) + np.asarray(other_card_enis, dtype=np.int64)


@elementwise
def vpc_cni_pod_ips(
    pod_enis: Any,
    ipv4_per_eni: Any,
    prefix_capable: Any,
    *,
    prefix_delegation: bool = False,
) -> Any:
    """IPv4 addresses the VPC CNI can hand to pods: ``Ep * S`` or ``Ep * S * 16`` with prefixes.

    Parameters
    ----------
    pod_enis : int or array-like
        ENIs usable for pods (:func:`usable_pod_enis`) [count].
    ipv4_per_eni : int or array-like
        IPv4 addresses per ENI, including the primary [count].
    prefix_capable : bool or array-like
        Nitro or bare metal (prefix delegation works there only).
    prefix_delegation : bool
        ``ENABLE_PREFIX_DELEGATION`` (with a CNI version of at least 1.9).

    Returns
    -------
    int or array-like
        Pod IPs [addresses].
    """
    slots = pod_enis * (ipv4_per_eni - 1)
    if not prefix_delegation:
        return slots
    return np.where(prefix_capable, slots * PREFIX_SIZE, slots)
