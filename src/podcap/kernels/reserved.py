"""Node overhead models: kube-reserved, Karpenter's memory estimate (pure numpy)."""

from __future__ import annotations

from typing import Any

import numpy as np

from podcap.kernels._shape import elementwise

__all__ = ["karpenter_memory_capacity_mib", "kube_reserved_cpu", "kube_reserved_memory_mib"]

# (start, end) in millicores and the share reserved of that band.  EKS AMI / nodeadm / Karpenter.
_CPU_BANDS = ((0, 1000, 6.0), (1000, 2000, 1.0), (2000, 4000, 0.5), (4000, 1 << 31, 0.25))


@elementwise
def kube_reserved_cpu(vcpus: Any) -> Any:
    """kube-reserved cpu of the EKS AMI, nodeadm and Karpenter.

    6% of the first core, 1% of the second, 0.5% of cores 3-4 and 0.25% of every core above 4,
    each band truncated to whole millicores (1 vCPU: 60m, 2: 70m, 4: 80m, 8: 90m, 16: 110m).

    Parameters
    ----------
    vcpus : int or array-like
        vCPUs [count].

    Returns
    -------
    int or array-like
        Reserved cpu [millicores].
    """
    milli = np.asarray(vcpus, dtype=np.int64) * 1000
    total = np.zeros(np.shape(milli), dtype=np.int64)
    for start, end, percent in _CPU_BANDS:
        span = np.clip(milli - start, 0, end - start)
        # percent is per-cent; integer arithmetic truncates exactly like the int64() cast
        total = total + (span * int(percent * 100)) // 10000
    return total


@elementwise
def kube_reserved_memory_mib(max_pods: Any) -> Any:
    """kube-reserved memory ``11 * max_pods + 255`` [MiB] (EKS AMI, nodeadm, Karpenter).

    Parameters
    ----------
    max_pods : int or array-like
        Pods used by the formula [pods]: the ENI-limited value on AL2 / AL2023.

    Returns
    -------
    int or array-like
        Reserved memory [MiB].
    """
    return 11 * np.asarray(max_pods, dtype=np.int64) + 255


@elementwise
def karpenter_memory_capacity_mib(
    memory_mib: Any, arm64: Any, *, vm_memory_overhead_percent: float = 0.075
) -> Any:
    """Karpenter's estimate of a node's memory capacity [MiB].

    EC2 memory, minus 64 MiB on arm64 (reserved CMA memory), minus
    ``ceil(bytes * vm_memory_overhead_percent / 2**20)`` MiB of VM overhead, computed in float64
    in the same order as Karpenter so that rounding matches.

    Parameters
    ----------
    memory_mib : int or array-like
        EC2 memory [MiB].
    arm64 : bool or array-like
        Whether the type is arm64 (Graviton).
    vm_memory_overhead_percent : float
        Karpenter's ``VM_MEMORY_OVERHEAD_PERCENT`` (a fraction, default 0.075).

    Returns
    -------
    int or array-like
        Memory capacity [MiB].
    """
    mib = np.asarray(memory_mib, dtype=np.int64) - np.where(arm64, 64, 0)
    as_bytes = (mib * (1 << 20)).astype(np.float64)
    overhead = np.ceil(as_bytes * vm_memory_overhead_percent / 1024 / 1024).astype(np.int64)
    return mib - overhead
