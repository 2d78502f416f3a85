"""Side-by-side reports built from the capacity functions."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from podcap.errors import MissingInstanceDataError
from podcap.model.capacity import DEFAULT_CNI_VERSION, allocatable, max_pods, pod_ip_capacity
from podcap.model.instances import instance_types

__all__ = ["instance_report"]


def _or_missing(func: Any, names: list[str], **kwargs: Any) -> pd.Series:
    """Evaluate ``func`` for all names; names lacking table data get <NA> instead of failing."""
    try:
        return pd.Series(func(names, **kwargs), index=names, dtype="Int64")
    except MissingInstanceDataError:
        values = []
        for name in names:  # only reached for types with missing vCPU / memory data
            try:
                values.append(np.asarray(func([name], **kwargs))[0])
            except MissingInstanceDataError:
                values.append(pd.NA)
        return pd.Series(values, index=names, dtype="Int64")


def instance_report(
    instance_type: str | list[str],
    *,
    prefix_delegation: bool = False,
    custom_networking: bool = False,
    cni_version: str = DEFAULT_CNI_VERSION,
    table: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Max pods under every policy, pod IP capacity and allocatable, side by side.

    Answers "which max pods is right for my nodes?".

    Parameters
    ----------
    instance_type : str or list of str
        EC2 instance type name(s).
    prefix_delegation, custom_networking : bool
        VPC CNI settings used by the calculator column and the pod IP capacity.
    cni_version : str
        VPC CNI version for the calculator (prefix delegation needs >= 1.9).
    table : pandas.DataFrame, optional
        Instance table; default the bundled one.

    Returns
    -------
    pandas.DataFrame
        One row per type: ``enis``, ``ipv4_per_eni``, ``hypervisor``, ``vcpus``, ``memory_mib``,
        max pods per policy (``eni_max_pods``, ``calculator``, ``calculator_max_allowed``,
        ``nodeadm``, ``karpenter``, ``kops``), ``pod_ips`` [addresses] and the EKS-AMI
        allocatable ``allocatable_cpu_millicores`` [m], ``allocatable_memory_mib`` [MiB],
        ``allocatable_pods``.  <NA> where the instance table lacks vCPU or memory data.
    """
    names = [instance_type] if isinstance(instance_type, str) else list(instance_type)
    base = instance_types(table)
    pod_ips = pod_ip_capacity(
        names,
        prefix_delegation=prefix_delegation,
        custom_networking=custom_networking,
        cni_version=cni_version,
        table=table,
    )
    calc = {
        "prefix_delegation": prefix_delegation,
        "custom_networking": custom_networking,
        "cni_version": cni_version,
    }
    rows = base.loc[names, ["enis", "ipv4_per_eni", "hypervisor", "vcpus", "memory_mib"]]
    out = pd.DataFrame(
        {
            "enis": rows["enis"].to_numpy(),
            "ipv4_per_eni": rows["ipv4_per_eni"].to_numpy(),
            "hypervisor": rows["hypervisor"].to_numpy(),
            "vcpus": rows["vcpus"].astype("Int64").array,
            "memory_mib": rows["memory_mib"].astype("Int64").array,
            "eni_max_pods": np.asarray(max_pods(names, table=table)),
            "calculator": _or_missing(
                lambda n, **k: max_pods(n, policy="calculator", table=table, **k), names, **calc
            ).array,
            "calculator_max_allowed": np.asarray(
                max_pods(names, policy="calculator", show_max_allowed=True, table=table, **calc)
            ),
            "nodeadm": np.asarray(max_pods(names, policy="nodeadm", table=table)),
            "karpenter": np.asarray(max_pods(names, policy="karpenter", table=table)),
            "kops": np.asarray(max_pods(names, policy="kops", table=table)),
            "pod_ips": np.asarray(pod_ips),
        },
        index=pd.Index(names, name="instance_type"),
    )
    for column, key in (
        ("allocatable_cpu_millicores", "cpu_millicores"),
        ("allocatable_memory_mib", "memory_mib"),
        ("allocatable_pods", "pods"),
    ):
        out[column] = _or_missing(
            lambda n, _k=key: np.asarray(allocatable(n, table=table)[_k]), names
        ).array
    return out
