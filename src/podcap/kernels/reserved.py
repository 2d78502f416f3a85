"""Node overhead models: kube-reserved, Karpenter's memory estimate (pure numpy)."""

from __future__ import annotations

from typing import Any

import numpy as np

from podcap.kernels._shape import elementwise

__all__ = [
    "karpenter_memory_capacity_mib",
    "kube_reserved_cpu",
    "kube_reserved_memory_mib",
    "reported_memory_capacity_mib",
]

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


# Memory a node reports (kubelet capacity, the kernel's MemTotal) below EC2's nominal size:
# (fixed MiB, fraction of nominal) per platform, fitted to Karpenter's measured overheads
# (docs/domain.md section 5; data/reference/node_memory_capacity.csv).
REPORTED_MEMORY_OVERHEAD = {
    "nitro": (86, 0.0348),
    "metal": (326, 0.0166),
    "xen": (65, 0.0183),
}


@elementwise
def reported_memory_capacity_mib(memory_mib: Any, nitro: Any, bare_metal: Any) -> Any:
    """Memory capacity a node reports, from the nominal size [MiB].

    ``nominal - ceil(a + b * nominal)`` with ``(a, b)`` of the platform: Nitro virtual
    86 MiB + 3.48 %, bare metal 326 MiB + 1.66 %, Xen (and unknown hypervisors) 65 MiB + 1.83 %.

    Parameters
    ----------
    memory_mib : int or array-like
        EC2 memory ``MemoryInfo.SizeInMiB`` [MiB].
    nitro, bare_metal : bool or array-like
        Nitro hypervisor; bare metal (no hypervisor).

    Returns
    -------
    int or array-like
        Memory capacity [MiB].
    """
    mib = np.asarray(memory_mib, dtype=np.int64)
    metal = np.asarray(bare_metal, dtype=bool)
    on_nitro = np.asarray(nitro, dtype=bool) & ~metal
    rows = [REPORTED_MEMORY_OVERHEAD[k] for k in ("metal", "nitro", "xen")]
    fixed = np.select([metal, on_nitro], [rows[0][0], rows[1][0]], rows[2][0])
    share = np.select([metal, on_nitro], [rows[0][1], rows[1][1]], rows[2][1])
    overhead = np.ceil(fixed + share * mib).astype(np.int64)
    return np.maximum(mib - overhead, 0)
