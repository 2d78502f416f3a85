"""VPC CNI warm pool: what ipamd holds on a node in steady state (pure numpy).

Rules (aws/amazon-vpc-cni-k8s ``docs/eni-and-ip-target.md``, ``docs/prefix-and-ip-target.md``,
README and ``pkg/ipamd``), with ``S = ipv4_per_eni - 1`` slots per ENI, ``Ep`` ENIs usable for pod
addresses and ``P`` pods that need a VPC address:

* secondary IPs, ``WARM_ENI_TARGET = W``: the smallest ``n`` ENIs with ``n*S - P >= S*W``
  (``W = 0``: ``floor(P/S) + 1``), at most ``Ep``, and no growth once ``n*S >= maxPods``;
  ``n*S`` secondary IPs.  ``W = 0`` at a multiple of ``S`` flaps (an empty ENI is freed and
  attached again).
* secondary IPs, ``WARM_IP_TARGET = WIT`` and/or ``MINIMUM_IP_TARGET = MIT`` (either > 0;
  ``WARM_ENI_TARGET`` is then ignored): ``T = max(P + WIT, MIT)`` addresses when ``WIT > 0``,
  ``T = MIT`` when only MIT is set (ipamd stops allocating once MIT is reached), at most ``Ep*S``
  and ``maxPods``; ``n = max(1, ceil(T/S))`` ENIs.
* prefix delegation, ``WARM_PREFIX_TARGET = WP``: ``ceil(P/16) + WP`` prefixes; with WIT/MIT
  ``max(ceil((P + WIT)/16), ceil(MIT/16), 1)`` (only ``ceil(MIT/16)`` without WIT); at most
  ``Ep*S`` prefixes and no growth past ``maxPods``; ``n = max(1, ceil(prefixes/S))`` ENIs.
  ``WP = 0`` without WIT/MIT is not supported by the VPC CNI (the pool flaps).

Subnet addresses a node holds = one primary address per attached ENI + the secondary IPs, or 16
per prefix.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from podcap.kernels.maxpods import PREFIX_SIZE

__all__ = ["warm_pool_prefixes", "warm_pool_secondary"]


def _ceil_div(a: Any, b: Any) -> Any:
    return -(-a // b)


def warm_pool_secondary(
    pods: Any,
    pod_enis: Any,
    slots: Any,
    max_pods: Any,
    *,
    warm_eni_target: int = 1,
    warm_ip_target: int = 0,
    minimum_ip_target: int = 0,
) -> tuple[Any, Any, Any]:
    """Secondary-IP mode: ENIs holding pod addresses, secondary IPs held, stability.

    Parameters
    ----------
    pods : int or array
        Pods on the node that need a VPC address [pods].
    pod_enis : int or array
        ENIs usable for pod addresses (``Ep``) [count].
    slots : int or array
        Secondary IPs per ENI (``ipv4_per_eni - 1``) [addresses].
    max_pods : int or array
        kubelet maxPods; the pool does not grow past it [pods].
    warm_eni_target, warm_ip_target, minimum_ip_target : int
        aws-node settings (0 = unset for WIT / MIT).

    Returns
    -------
    tuple of arrays
        ``(enis, secondary_ips, stable)``: ENIs holding pod addresses [count] (0 when
        ``Ep = 0``), secondary IPs held [addresses], and whether the state is steady.
    """
    p = np.asarray(pods, dtype=np.int64)
    ep = np.asarray(pod_enis, dtype=np.int64)
    s = np.maximum(np.asarray(slots, dtype=np.int64), 1)
    mp = np.asarray(max_pods, dtype=np.int64)
    if warm_ip_target > 0 or minimum_ip_target > 0:
        target = (
            np.maximum(p + warm_ip_target, minimum_ip_target)
            if warm_ip_target > 0
            else np.full_like(p, minimum_ip_target)
        )
        target = np.minimum(np.minimum(target, ep * s), np.maximum(mp, np.minimum(p, ep * s)))
        enis = np.where(ep > 0, np.maximum(1, _ceil_div(target, s)), 0)
        stable = np.ones(np.broadcast(p, ep, s).shape, dtype=bool)
        return enis, target, stable
    w = warm_eni_target
    n = p // s + 1 if w == 0 else _ceil_div(p, s) + w
    n = np.minimum(n, np.maximum(_ceil_div(mp, s), _ceil_div(p, s)))
    n = np.minimum(np.maximum(n, 1), ep)
    stable = np.ones(np.broadcast(p, ep, s).shape, dtype=bool)
    if w == 0:
        stable = ~((p % s == 0) & (n * s > p))
    return n, n * s, stable


def warm_pool_prefixes(
    pods: Any,
    pod_enis: Any,
    slots: Any,
    max_pods: Any,
    *,
    warm_prefix_target: int = 1,
    warm_ip_target: int = 0,
    minimum_ip_target: int = 0,
) -> tuple[Any, Any, Any]:
    """Prefix-delegation mode: ENIs holding prefixes, /28 prefixes held, stability.

    Parameters
    ----------
    pods : int or array
        Pods on the node that need a VPC address [pods].
    pod_enis : int or array
        ENIs usable for pod prefixes (``Ep``) [count].
    slots : int or array
        Prefix slots per ENI (``ipv4_per_eni - 1``) [prefixes].
    max_pods : int or array
        kubelet maxPods; the pool does not grow past it [pods].
    warm_prefix_target, warm_ip_target, minimum_ip_target : int
        aws-node settings (0 = unset for WIT / MIT).

    Returns
    -------
    tuple of arrays
        ``(enis, prefixes, stable)``.
    """
    p = np.asarray(pods, dtype=np.int64)
    ep = np.asarray(pod_enis, dtype=np.int64)
    s = np.maximum(np.asarray(slots, dtype=np.int64), 1)
    mp = np.asarray(max_pods, dtype=np.int64)
    shape = np.broadcast(p, ep, s).shape
    if warm_ip_target > 0 or minimum_ip_target > 0:
        need = _ceil_div(minimum_ip_target, PREFIX_SIZE) + np.zeros_like(p)
        if warm_ip_target > 0:
            need = np.maximum(need, _ceil_div(p + warm_ip_target, PREFIX_SIZE))
        prefixes = np.maximum(need, 1)
        stable = np.ones(shape, dtype=bool)
    else:
        wp = warm_prefix_target
        prefixes = p // PREFIX_SIZE + 1 if wp == 0 else _ceil_div(p, PREFIX_SIZE) + wp
        stable = np.full(shape, wp > 0)
    cap_pods = np.maximum(_ceil_div(mp, PREFIX_SIZE), _ceil_div(p, PREFIX_SIZE))
    prefixes = np.minimum(np.minimum(prefixes, cap_pods), ep * s)
    prefixes = np.where(ep > 0, np.maximum(prefixes, np.minimum(1, ep * s)), 0)
    enis = np.where(ep > 0, np.maximum(1, _ceil_div(prefixes, s)), 0)
    return enis, prefixes, stable
