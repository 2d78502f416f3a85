"""Per-node capacity by instance type: max pods, pod IPs and allocatable.

Every function takes one instance type name, an array-like of names or a pandas Series of names,
and returns the same shape (scalar -> scalar, array -> ndarray, Series -> Series on the same
index; :func:`allocatable` returns a DataFrame with one row per name).  All work is vectorized
over the names.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal, get_args

import numpy as np
import numpy.typing as npt
import pandas as pd

from podcap import kernels
from podcap.errors import InvalidOptionError, MissingInstanceDataError
from podcap.model.instances import Columns, lookup
from podcap.model.quantity import parse_cpu, parse_memory, parse_quantity

#: The VPC CNI version podcap assumes when none is given (any version from 1.9.0 on has prefix
#: delegation, so the choice changes no result).
DEFAULT_CNI_VERSION = "1.18.0"

__all__ = [
    "WINDOWS_IP_RESOURCE",
    "AMIFamily",
    "MaxPodsPolicy",
    "Overhead",
    "allocatable",
    "managed_node_group_max_pods",
    "max_pods",
    "memory_capacity",
    "pod_ip_capacity",
    "windows_pod_addresses",
]

MaxPodsPolicy = Literal[
    "eni-max-pods", "calculator", "nodeadm", "karpenter", "kops", "kubelet", "windows"
]
Overhead = Literal["eks", "karpenter", "kops", "none"]
MemoryCapacity = Literal["nominal", "reported", "karpenter"]
MEMORY_CAPACITIES: tuple[str, ...] = get_args(MemoryCapacity)
AMIFamily = Literal[
    "AL2", "AL2023", "Bottlerocket", "Windows2019", "Windows2022", "Windows2025", "Custom"
]
IPFamily = Literal["ipv4", "ipv6"]

POLICIES: tuple[str, ...] = get_args(MaxPodsPolicy)
OVERHEADS: tuple[str, ...] = get_args(Overhead)
AMI_FAMILIES: tuple[str, ...] = get_args(AMIFamily)

_POLICY_OPTIONS: dict[str, tuple[str, ...]] = {
    "eni-max-pods": (),
    "nodeadm": (),
    "kops": (),
    "kubelet": (),
    "windows": (),
    "calculator": (
        "cni_version",
        "prefix_delegation",
        "custom_networking",
        "max_eni",
        "show_max_allowed",
    ),
    "karpenter": ("reserved_enis", "max_pods", "pods_per_core", "ami_family"),
}


@dataclass(frozen=True)
class _AmiFlags:
    eni_limited_pods: bool
    pods_per_core: bool
    eni_limited_memory: bool


# Karpenter's per-AMI-family feature flags (pkg/providers/amifamily).
_AMI_FLAGS = {
    "AL2": _AmiFlags(True, True, True),
    "AL2023": _AmiFlags(True, True, True),
    "Bottlerocket": _AmiFlags(True, False, False),
    "Windows2019": _AmiFlags(False, True, False),
    "Windows2022": _AmiFlags(False, True, False),
    "Windows2025": _AmiFlags(False, True, False),
    "Custom": _AmiFlags(True, True, True),
}


# ---------------------------------------------------------------------------------------------
# input / output shapes


@dataclass(frozen=True)
class _Names:
    values: npt.NDArray[np.object_]
    kind: Literal["scalar", "array", "series"]
    index: pd.Index | None


def _as_names(instance_type: Any) -> _Names:
    if isinstance(instance_type, str):
        return _Names(np.array([instance_type], dtype=object), "scalar", None)
    if isinstance(instance_type, pd.Series):
        return _Names(instance_type.to_numpy(dtype=object), "series", instance_type.index)
    if isinstance(instance_type, pd.Index):
        return _Names(instance_type.to_numpy(dtype=object), "array", None)
    arr = np.asarray(instance_type, dtype=object)
    if arr.ndim != 1:
        raise InvalidOptionError(
            "instance_type must be a name, a 1-d array-like of names or a pandas Series; "
            f"got an array of shape {arr.shape}"
        )
    return _Names(arr, "array", None)


def _shape_like(names: _Names, values: npt.NDArray[Any], name: str) -> Any:
    if names.kind == "scalar":
        return values[0].item()
    if names.kind == "series":
        return pd.Series(values, index=names.index, name=name)
    return values


def _require(
    known: npt.NDArray[np.bool_],
    cols: Columns,
    pos: npt.NDArray[np.intp],
    what: str,
    rows: npt.NDArray[np.intp] | None = None,
) -> None:
    """Raise when ``known[pos]`` is False anywhere; ``rows`` maps positions to table rows."""
    missing = ~known[pos]
    if missing.any():
        table_rows = (pos if rows is None else rows)[missing]
        bad = pd.unique(cols.names[table_rows])
        listed = ", ".join(repr(b) for b in bad[:10])
        more = f" and {len(bad) - 10} more" if len(bad) > 10 else ""
        raise MissingInstanceDataError(
            f"no {what} is known for instance type(s) {listed}{more}; add them to a table "
            "loaded with podcap.load_instance_table(path) and pass it as table="
        )


# ---------------------------------------------------------------------------------------------
# option checking


def _check_bool(name: str, value: Any) -> bool:
    if not isinstance(value, (bool, np.bool_)):
        raise InvalidOptionError(f"option {name!r} must be True or False, got {value!r}")
    return bool(value)


def _check_count(name: str, value: Any, *, allow_none: bool = True, minimum: int = 0) -> int | None:
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        valid = f"an integer >= {minimum}" + (" or None" if allow_none else "")
        raise InvalidOptionError(f"option {name!r} must be {valid}, got {value!r}")
    return int(value)


_VERSION = re.compile(r"^v?([0-9]+)\.([0-9]+)(?:\.[0-9]+)?(?:[-+].*)?$")


def cni_version_supports_prefix(version: str) -> bool:
    """Whether a VPC CNI version has prefix delegation (1.9.0 and later).

    Parameters
    ----------
    version : str
        ``"1.9.0"``, ``"v1.12.6"`` or ``"1.18"``.

    Returns
    -------
    bool
    """
    match = _VERSION.match(str(version).strip())
    if match is None:
        raise InvalidOptionError(
            f"option 'cni_version' must look like '1.9.0' or 'v1.18.2', got {version!r}"
        )
    major, minor = int(match[1]), int(match[2])
    return (major, minor) >= (1, 9)


#: The first VPC CNI release that reads each setting (amazon-vpc-cni-k8s README, "(v1.x.0+)"
#: beside each variable); an older aws-node ignores the variable.
CNI_FEATURE_VERSIONS: dict[str, tuple[int, int]] = {
    "pod_eni": (1, 7),
    "prefix_delegation": (1, 9),
    "subnet_discovery": (1, 18),
    "multi_nic": (1, 20),
}


def cni_version_supports(feature: str, version: str) -> bool:
    """Whether a VPC CNI version reads a setting: ``ENABLE_POD_ENI`` (security groups for
    pods, trunk ENI) from 1.7.0, ``ENABLE_PREFIX_DELEGATION`` from 1.9.0,
    ``ENABLE_SUBNET_DISCOVERY`` from 1.18.0, ``ENABLE_MULTI_NIC`` from 1.20.0.

    Parameters
    ----------
    feature : {"pod_eni", "prefix_delegation", "subnet_discovery", "multi_nic"}
    version : str
        ``"1.20.0"``, ``"v1.18.2"`` or ``"1.7"``.

    Returns
    -------
    bool
    """
    if feature not in CNI_FEATURE_VERSIONS:
        raise InvalidOptionError(
            f"unknown VPC CNI feature {feature!r}; valid: {', '.join(CNI_FEATURE_VERSIONS)}"
        )
    cni_version_supports_prefix(version)  # validates the spelling
    match = _VERSION.match(str(version).strip())
    assert match is not None
    return (int(match[1]), int(match[2])) >= CNI_FEATURE_VERSIONS[feature]


_CNI_FEATURE_ENV = {
    "pod_eni": "ENABLE_POD_ENI",
    "prefix_delegation": "ENABLE_PREFIX_DELEGATION",
    "subnet_discovery": "ENABLE_SUBNET_DISCOVERY",
    "multi_nic": "ENABLE_MULTI_NIC",
}


def cni_feature_error(feature: str, version: str) -> str:
    """The message for a setting asked of a VPC CNI version that does not read it."""
    major, minor = CNI_FEATURE_VERSIONS[feature]
    return (
        f"{_CNI_FEATURE_ENV[feature]} ({feature}=True) needs VPC CNI v{major}.{minor}.0 or later; "
        f"cni_version is {version!r}: raise cni_version or turn {feature} off"
    )


def _check_options(policy: str, options: Mapping[str, Any]) -> None:
    if policy not in _POLICY_OPTIONS:
        raise InvalidOptionError(
            f"unknown max-pods policy {policy!r}; valid policies: {', '.join(POLICIES)}"
        )
    allowed = _POLICY_OPTIONS[policy]
    unknown = sorted(set(options) - set(allowed))
    if unknown:
        valid = ", ".join(allowed) if allowed else "none"
        raise InvalidOptionError(
            f"max-pods policy {policy!r} takes no option(s) {', '.join(map(repr, unknown))}; "
            f"valid options: {valid}"
        )


# ---------------------------------------------------------------------------------------------
# max pods


def _max_pods_arrays(
    cols: Columns, pos: npt.NDArray[np.intp], policy: str, options: Mapping[str, Any]
) -> npt.NDArray[np.int64]:
    _check_options(policy, options)
    enis = cols.enis[pos]
    ipv4 = cols.ipv4_per_eni[pos]
    if policy in ("eni-max-pods", "nodeadm"):
        return np.asarray(kernels.eni_max_pods(enis, ipv4), dtype=np.int64)
    if policy in ("kubelet", "windows"):
        # the kubelet's default; the EKS Windows bootstrap sets no maxPods (docs/domain.md 12)
        return np.full(len(pos), 110, dtype=np.int64)
    if policy == "kops":
        return np.asarray(kernels.kops_max_pods(cols.max_enis_all_cards[pos], ipv4), dtype=np.int64)
    if policy == "calculator":
        version = options.get("cni_version", DEFAULT_CNI_VERSION)
        supports = cni_version_supports_prefix(version)
        pd_on = _check_bool("prefix_delegation", options.get("prefix_delegation", False))
        cn_on = _check_bool("custom_networking", options.get("custom_networking", False))
        show = _check_bool("show_max_allowed", options.get("show_max_allowed", False))
        max_eni = _check_count("max_eni", options.get("max_eni"), minimum=1)
        pods = np.asarray(
            kernels.aws_calculator_max_pods(
                enis,
                ipv4,
                cols.nitro[pos],  # max-pods-calculator.sh tests the hypervisor only
                cols.vcpus[pos],
                prefix_delegation=pd_on,
                custom_networking=cn_on,
                max_eni=max_eni,
                show_max_allowed=True,
                cni_supports_prefix=supports,
            ),
            dtype=np.int64,
        )
        if show:
            return pods
        # The cap depends on vCPUs only where the uncapped value exceeds 110.
        needs_vcpus = pods > 110
        _require(
            ~needs_vcpus | cols.vcpus_known[pos],
            cols,
            np.arange(len(pos)),
            "vCPU count (needed for the calculator's 110/250 cap)",
            rows=pos,
        )
        cap = np.where(cols.vcpus[pos] > 30, 250, 110)
        return np.minimum(pods, cap)
    # karpenter
    family = options.get("ami_family", "AL2023")
    if family not in _AMI_FLAGS:
        raise InvalidOptionError(f"unknown ami_family {family!r}; valid: {', '.join(AMI_FAMILIES)}")
    flags = _AMI_FLAGS[family]
    reserved = _check_count("reserved_enis", options.get("reserved_enis", 0), allow_none=False)
    explicit = _check_count("max_pods", options.get("max_pods"))
    per_core = _check_count("pods_per_core", options.get("pods_per_core"))
    if per_core and flags.pods_per_core:
        _require(cols.vcpus_known, cols, pos, "vCPU count (needed for pods_per_core)")
    return np.asarray(
        kernels.karpenter_max_pods(
            enis,
            ipv4,
            cols.vcpus[pos],
            reserved_enis=reserved or 0,
            max_pods=explicit,
            pods_per_core=per_core,
            eni_limited=flags.eni_limited_pods,
            pods_per_core_enabled=flags.pods_per_core,
        ),
        dtype=np.int64,
    )


def max_pods(
    instance_type: Any,
    *,
    policy: MaxPodsPolicy = "eni-max-pods",
    table: pd.DataFrame | None = None,
    **options: Any,
) -> Any:
    """Max pods per node (the kubelet's ``maxPods``) under a published policy.

    Parameters
    ----------
    instance_type : str, array-like of str or pandas.Series
        EC2 instance type name(s).
    policy : {"eni-max-pods", "calculator", "nodeadm", "karpenter", "kops", "kubelet", "windows"}
        * ``"eni-max-pods"``: the EKS table ``E * (ipv4_per_eni - 1) + 2`` (default-card ENIs).
        * ``"calculator"``: AWS ``max-pods-calculator.sh``; options ``cni_version`` (str,
          default :data:`DEFAULT_CNI_VERSION`), ``prefix_delegation``, ``custom_networking``, ``max_eni``,
          ``show_max_allowed``.
        * ``"nodeadm"``: AL2023's value (the ENI formula, uncapped, no prefix awareness).
        * ``"karpenter"``: options ``reserved_enis``, ``max_pods``, ``pods_per_core``,
          ``ami_family`` (``"AL2023"`` default, ``"AL2"``, ``"Bottlerocket"``, ``"Windows2022"``...).
        * ``"kops"``: kOps ``amazonvpc``: ``min(110, E_all_cards * (ipv4_per_eni - 1) + 2)``.
        * ``"kubelet"``: the kubelet default, 110.
        * ``"windows"``: an EKS Windows node's kubelet: 110, the kubelet default (the Windows
          bootstrap sets no ``maxPods``; a real node reports ``pods: 110``, aws/containers-roadmap
          #481).  Its pods are limited by their addresses instead, the extended resource
          :data:`WINDOWS_IP_RESOURCE` (:func:`windows_pod_addresses`).
    table : pandas.DataFrame, optional
        Instance table from :func:`podcap.load_instance_table`; default the bundled one.
    **options
        Policy options (see above).  Unknown names raise :class:`InvalidOptionError`.

    Returns
    -------
    int, numpy.ndarray or pandas.Series
        Max pods [pods], shaped like ``instance_type``.

    Raises
    ------
    UnknownInstanceTypeError
        For names not in the table (every unknown name is listed, with suggestions).
    InvalidOptionError
        For an unknown policy or option, or an invalid option value.

    Examples
    --------
    >>> max_pods("m5.large")
    29
    >>> max_pods("m5.large", policy="calculator", prefix_delegation=True)
    110
    """
    names = _as_names(instance_type)
    _check_options(policy, options)
    cols, pos = lookup(names.values, table)
    return _shape_like(names, _max_pods_arrays(cols, pos, policy, options), "max_pods")


#: The extended resource of pod addresses on EKS Windows nodes: the VPC resource controller
#: advertises :func:`windows_pod_addresses` of it on each Windows node, and its webhook adds 1 to
#: every Windows pod (:func:`podcap.model.admission.vpc_resource_webhook`).
WINDOWS_IP_RESOURCE = "vpc.amazonaws.com/PrivateIPv4Address"


def windows_pod_addresses(instance_type: Any, *, table: pd.DataFrame | None = None) -> Any:
    """Pod addresses of an EKS Windows node: :data:`WINDOWS_IP_RESOURCE` it advertises.

    The VPC resource controller, not ipamd, gives Windows pods their addresses: the secondary
    IPv4 addresses of the primary ENI only, ``ipv4_per_eni - 1`` (amazon-vpc-resource-controller-k8s
    ``pkg/provider/ip/provider.go`` ``getCapacity``; EKS User Guide, "Deploy Windows nodes on EKS
    clusters": "the number of IP addresses available per elastic network interface for the
    node's instance type, minus one").

    Parameters
    ----------
    instance_type : str, array-like of str or pandas.Series
        EC2 instance type name(s).
    table : pandas.DataFrame, optional
        Instance table; default the bundled one.

    Returns
    -------
    int, numpy.ndarray or pandas.Series
        Addresses [count], shaped like ``instance_type``.

    Examples
    --------
    >>> windows_pod_addresses("m5.large")
    9
    """
    names = _as_names(instance_type)
    cols, pos = lookup(names.values, table)
    addresses = np.maximum(cols.ipv4_per_eni[pos] - 1, 0).astype(np.int64)
    return _shape_like(names, addresses, "windows_pod_addresses")


def managed_node_group_max_pods(
    instance_types: Any,
    *,
    prefix_delegation: bool = False,
    custom_networking: bool = False,
    cni_version: str = DEFAULT_CNI_VERSION,
    table: pd.DataFrame | None = None,
) -> int:
    """The one ``maxPods`` EKS writes for every node of a managed node group.

    A managed node group launched without a custom AMI (no AMI ID in its launch template) gets
    its bootstrap user data from EKS, which sets the kubelet's ``maxPods``: the AWS max-pods
    calculator's value for the cluster's VPC CNI settings (prefix delegation, custom
    networking), capped at 110 below 30 vCPUs and 250 above, with or without prefix delegation
    (EKS User Guide, "Increase the available IP addresses for your Amazon EKS node":
    "Managed node groups automatically calculates the maximum number of Pods for you" and
    "enforces a maximum number on the value of maxPods").  A group with several instance types
    gets one value for all of its nodes: the smallest of the types' values (EKS Best Practices,
    "Prefix Mode for Linux": "The maximum pod count for all nodes in a particular node group is
    defined by the lowest maximum pod count of any single instance type in the node group";
    observed in aws-cdk #29418, where a t3a.xlarge of a mixed group got 17 pods).  The value
    cannot be raised from the launch template's user data (terraform-aws-eks #2183, #2297,
    #2551; eksctl #8037 for AL2023, where EKS appends its own ``NodeConfig``).

    Parameters
    ----------
    instance_types : str or sequence of str
        The group's instance types.
    prefix_delegation, custom_networking : bool
        The cluster's ``ENABLE_PREFIX_DELEGATION`` and ``AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG``.
    cni_version : str
        The VPC CNI version (prefix delegation counts from 1.9).
    table : pandas.DataFrame, optional
        Instance table; default the bundled one.

    Returns
    -------
    int
        maxPods of every node of the group [pods].

    Examples
    --------
    >>> managed_node_group_max_pods(["m5.large", "m5.xlarge"])  # 29 and 58
    29
    >>> managed_node_group_max_pods(["m5.large", "m5.4xlarge"], prefix_delegation=True)
    110
    """
    types = [instance_types] if isinstance(instance_types, str) else list(instance_types)
    if not types:
        raise InvalidOptionError("managed_node_group_max_pods needs at least one instance type")
    values = max_pods(
        types,
        policy="calculator",
        prefix_delegation=prefix_delegation,
        custom_networking=custom_networking,
        cni_version=cni_version,
        table=table,
    )
    return int(np.min(values))


# ---------------------------------------------------------------------------------------------
# pod IPs


def _pod_ip_arrays(
    cols: Columns,
    pos: npt.NDArray[np.intp],
    *,
    prefix_delegation: bool,
    custom_networking: bool,
    pod_eni: bool,
    max_eni: int | None,
    ip_family: str,
    cni_version: str,
    multi_nic: bool = False,
) -> npt.NDArray[np.int64]:
    if ip_family not in ("ipv4", "ipv6"):
        raise InvalidOptionError(f"option 'ip_family' must be 'ipv4' or 'ipv6', got {ip_family!r}")
    _check_bool("prefix_delegation", prefix_delegation)
    _check_bool("custom_networking", custom_networking)
    _check_bool("pod_eni", pod_eni)
    _check_bool("multi_nic", multi_nic)
    max_eni = _check_count("max_eni", max_eni, minimum=1)
    supports_prefix = cni_version_supports_prefix(cni_version)
    for feature, on in (("pod_eni", pod_eni), ("multi_nic", multi_nic)):
        if on and not cni_version_supports(feature, cni_version):
            raise InvalidOptionError(cni_feature_error(feature, cni_version))
    if ip_family == "ipv6":
        return np.full(len(pos), kernels.IPV6_POD_ADDRESSES, dtype=np.int64)
    pd_on = prefix_delegation and supports_prefix
    enis = kernels.usable_pod_enis(
        cols.enis[pos],
        cols.trunking[pos],
        custom_networking=custom_networking,
        pod_eni=pod_eni,
        max_eni=max_eni,
        other_card_enis=other_card_enis(
            cols.enis[pos],
            cols.max_enis_all_cards[pos],
            max_eni=max_eni,
            multi_nic=multi_nic,
        ),
    )
    return np.asarray(
        kernels.vpc_cni_pod_ips(
            enis, cols.ipv4_per_eni[pos], cols.prefix_capable[pos], prefix_delegation=pd_on
        ),
        dtype=np.int64,
    )


def other_card_enis(
    enis: Any, enis_all_cards: Any, *, max_eni: int | None = None, multi_nic: bool = False
) -> npt.NDArray[np.int64]:
    """ENIs the VPC CNI manages beyond network card 0 (``ENABLE_MULTI_NIC``, v1.20.0+).

    Without multi-NIC ipamd marks every card but card 0 unmanaged (0 here); with it, every
    card is managed (``pkg/ipamd/ipamd.go`` ``markUnmanagedNetworkCards``; cards holding only an
    EFA-only interface excepted, which podcap does not model) and ``MAX_ENI`` limits each card
    (``hasRoomForEni``).  The other cards are taken to be the size of card 0.

    Parameters
    ----------
    enis, enis_all_cards : array-like of int
        ENIs on card 0 and on all cards [count].
    max_eni : int, optional
        ``MAX_ENI`` [count].
    multi_nic : bool
        ``ENABLE_MULTI_NIC`` in force.

    Returns
    -------
    numpy.ndarray
        ENIs [count].
    """
    card0 = np.asarray(enis, dtype=np.int64)
    other = np.maximum(np.asarray(enis_all_cards, dtype=np.int64) - card0, 0)
    if not multi_nic:
        return np.zeros_like(other)
    if max_eni is not None:
        cards = -(-other // np.maximum(card0, 1))
        other = np.minimum(other, cards * max_eni)
    return np.asarray(other, dtype=np.int64)


def pod_ip_capacity(
    instance_type: Any,
    *,
    prefix_delegation: bool = False,
    custom_networking: bool = False,
    pod_eni: bool = False,
    max_eni: int | None = None,
    ip_family: IPFamily = "ipv4",
    cni_version: str = DEFAULT_CNI_VERSION,
    multi_nic: bool = False,
    table: pd.DataFrame | None = None,
) -> Any:
    """VPC addresses the VPC CNI can give to pods on one node.

    Usable ENIs ``Ep = min(max_eni, E)``, minus the primary ENI with custom networking, minus the
    trunk ENI with security groups for pods on trunking-compatible types (CNI >= 1.7), plus
    with multi-NIC (CNI >= 1.20) the ENIs of every other network card.  Secondary-IP mode
    gives ``Ep * (ipv4_per_eni - 1)`` addresses; prefix delegation (Nitro or bare metal, CNI
    >= 1.9) gives 16 per slot.  Host-network pods need none; security-group pods use branch ENIs.

    Parameters
    ----------
    instance_type : str, array-like of str or pandas.Series
        EC2 instance type name(s).
    prefix_delegation : bool
        ``ENABLE_PREFIX_DELEGATION``.
    custom_networking : bool
        ``AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG`` (the primary ENI holds no pod IPs).
    pod_eni : bool
        ``ENABLE_POD_ENI`` (security groups for pods: one ENI becomes the trunk).
    max_eni : int, optional
        ``MAX_ENI`` [count].
    ip_family : {"ipv4", "ipv6"}
        IPv6 gives every node one /80 prefix: 2**48 addresses (only maxPods limits pods).
    cni_version : str
        VPC CNI version; security groups for pods need 1.7, prefix delegation 1.9, multi-NIC
        1.20 (an older aws-node ignores the setting).
    multi_nic : bool
        ``ENABLE_MULTI_NIC``: ipamd manages ENIs on every network card; an ordinary pod takes
        one address from any card, a pod annotated ``k8s.amazonaws.com/nicConfig:
        multi-nic-attachment`` one from each.
    table : pandas.DataFrame, optional
        Instance table; default the bundled one.

    Returns
    -------
    int, numpy.ndarray or pandas.Series
        Pod IPs [addresses], shaped like ``instance_type``.

    Examples
    --------
    >>> pod_ip_capacity("m5.large"), pod_ip_capacity("m5.large", prefix_delegation=True)
    (27, 432)
    """
    names = _as_names(instance_type)
    cols, pos = lookup(names.values, table)
    values = _pod_ip_arrays(
        cols,
        pos,
        prefix_delegation=prefix_delegation,
        custom_networking=custom_networking,
        pod_eni=pod_eni,
        max_eni=max_eni,
        ip_family=ip_family,
        cni_version=cni_version,
        multi_nic=multi_nic,
    )
    return _shape_like(names, values, "pod_ips")


# ---------------------------------------------------------------------------------------------
# memory capacity


def _memory_capacity_arrays(
    cols: Columns, pos: npt.NDArray[np.intp], model: str, vm_memory_overhead_percent: float
) -> npt.NDArray[np.int64]:
    if model not in MEMORY_CAPACITIES:
        raise InvalidOptionError(
            f"unknown memory capacity model {model!r}; valid: {', '.join(MEMORY_CAPACITIES)}"
        )
    if (
        isinstance(vm_memory_overhead_percent, bool)
        or not isinstance(vm_memory_overhead_percent, (int, float))
        or not 0 <= vm_memory_overhead_percent < 1
    ):
        raise InvalidOptionError(
            "option 'vm_memory_overhead_percent' must be a fraction in [0, 1), got "
            f"{vm_memory_overhead_percent!r}"
        )
    nominal = cols.memory_mib[pos]
    if model == "karpenter":
        out = kernels.karpenter_memory_capacity_mib(
            nominal, cols.arm64[pos], vm_memory_overhead_percent=vm_memory_overhead_percent
        )
    elif model == "reported":
        out = kernels.reported_memory_capacity_mib(nominal, cols.nitro[pos], cols.bare_metal[pos])
    else:
        out = nominal
    return np.asarray(out, dtype=np.int64)


def memory_capacity(
    instance_type: Any,
    *,
    model: MemoryCapacity = "reported",
    vm_memory_overhead_percent: float = 0.075,
    table: pd.DataFrame | None = None,
) -> Any:
    """A node's memory capacity (``status.capacity.memory``) by instance type.

    Parameters
    ----------
    instance_type : str, array-like of str or pandas.Series
        EC2 instance type name(s).
    model : {"reported", "nominal", "karpenter"}
        * ``"reported"``: what the kubelet reports (the kernel's ``MemTotal``): nominal minus
          ``ceil(a + b * nominal)`` MiB, Nitro virtual 86 MiB + 3.48 %, bare metal 326 MiB +
          1.66 %, Xen 65 MiB + 1.83 %; fitted to 651 types Karpenter's maintainers launched
          (Bottlerocket, 2023; mean error 0.6 % Nitro, 0.1 % metal, 0.3 % Xen; docs/domain.md
          section 5).
        * ``"nominal"``: EC2's ``MemoryInfo.SizeInMiB``.
        * ``"karpenter"``: Karpenter's estimate before launch: nominal minus 64 MiB on arm64,
          minus ``ceil(vm_memory_overhead_percent)`` of it.
    vm_memory_overhead_percent : float
        Karpenter's ``VM_MEMORY_OVERHEAD_PERCENT`` (a fraction; only for ``"karpenter"``).
    table : pandas.DataFrame, optional
        Instance table; default the bundled one.

    Returns
    -------
    int, numpy.ndarray or pandas.Series
        Memory capacity [MiB], shaped like ``instance_type``.

    Examples
    --------
    >>> memory_capacity("m6i.large"), memory_capacity("m6i.large", model="nominal")
    (7820, 8192)
    """
    names = _as_names(instance_type)
    cols, pos = lookup(names.values, table)
    _require(cols.memory_known, cols, pos, "memory size")
    values = _memory_capacity_arrays(cols, pos, model, vm_memory_overhead_percent)
    return _shape_like(names, values, "memory_mib")


# ---------------------------------------------------------------------------------------------
# allocatable

_DEFAULT_POLICY = {
    "eks": "eni-max-pods",
    "karpenter": "karpenter",
    "kops": "kops",
    "none": "kubelet",
}


def default_max_pods_policy(overhead: str) -> str:
    """The max-pods policy in force for an overhead model when none is given: the one place
    podcap decides it (EKS AMI: eni-max-pods; Karpenter: karpenter; kOps: kops; none: the
    kubelet's 110)."""
    return _DEFAULT_POLICY[overhead]


_DEFAULT_ROOT_GIB = {"eks": 20.0, "karpenter": 20.0, "kops": 128.0, "none": 20.0}


def default_root_volume_gib(overhead: str, ami_family: str = "") -> float:
    """The root volume (node filesystem) an overhead model assumes when none is given [GiB]:
    20 (EKS AMIs, Karpenter), 128 (kOps); Karpenter's Windows families 50."""
    if overhead == "karpenter" and ami_family.startswith("Windows"):
        return 50.0  # Karpenter's default Windows root volume
    return _DEFAULT_ROOT_GIB[overhead]


_RESERVED_KEYS = ("cpu", "memory", "ephemeral-storage")
_EVICTION_KEYS = ("memory.available", "nodefs.available")
_GIB = float(1 << 30)


def _reserved(name: str, value: Mapping[str, Any] | None) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise InvalidOptionError(
            f"option {name!r} must be a mapping such as {{'cpu': '100m', 'memory': '1Gi'}}, "
            f"got {value!r}"
        )
    unknown = sorted(set(value) - set(_RESERVED_KEYS))
    if unknown:
        raise InvalidOptionError(
            f"option {name!r} has unknown key(s) {', '.join(map(repr, unknown))}; "
            f"valid keys: {', '.join(_RESERVED_KEYS)}"
        )
    out: dict[str, Any] = {}
    for key, qty in value.items():
        field = f"{name}[{key!r}]"
        out[key] = parse_cpu(qty, field=field) if key == "cpu" else parse_memory(qty, field=field)
        if out[key] < 0:
            raise InvalidOptionError(f"{field} must not be negative, got {qty!r}")
    return out


def _eviction(value: Mapping[str, Any] | None) -> dict[str, tuple[str, float]]:
    """Parse eviction-hard thresholds into ('abs', bytes) or ('pct', fraction)."""
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise InvalidOptionError(
            "option 'eviction_hard' must be a mapping such as "
            f"{{'memory.available': '100Mi', 'nodefs.available': '10%'}}, got {value!r}"
        )
    unknown = sorted(set(value) - set(_EVICTION_KEYS))
    if unknown:
        raise InvalidOptionError(
            f"option 'eviction_hard' has unknown key(s) {', '.join(map(repr, unknown))}; "
            f"valid keys: {', '.join(_EVICTION_KEYS)}"
        )
    out: dict[str, tuple[str, float]] = {}
    for key, qty in value.items():
        field = f"eviction_hard[{key!r}]"
        if isinstance(qty, str) and qty.strip().endswith("%"):
            try:
                pct = float(parse_quantity(qty.strip()[:-1], field=field))
            except ValueError as exc:
                raise InvalidOptionError(f"{field}: invalid percentage {qty!r}") from exc
            if not 0 <= pct <= 100:
                raise InvalidOptionError(f"{field}: percentage must be within 0-100, got {qty!r}")
            # kubelet ignores 0% and 100% thresholds (no eviction threshold at all)
            out[key] = ("pct", 0.0 if pct in (0, 100) else pct / 100)
        else:
            out[key] = ("abs", float(parse_memory(qty, field=field)))
    return out


def allocatable(
    instance_type: Any,
    *,
    overhead: Overhead = "eks",
    max_pods: int | None = None,
    max_pods_policy: MaxPodsPolicy | None = None,
    kube_reserved: Mapping[str, Any] | None = None,
    system_reserved: Mapping[str, Any] | None = None,
    eviction_hard: Mapping[str, Any] | None = None,
    root_volume_gib: float | None = None,
    vm_memory_overhead_percent: float = 0.075,
    memory_capacity: MemoryCapacity | None = None,
    table: pd.DataFrame | None = None,
    **policy_options: Any,
) -> pd.DataFrame:
    """Node allocatable: capacity minus kube-reserved, system-reserved and eviction-hard.

    Parameters
    ----------
    instance_type : str, array-like of str or pandas.Series
        EC2 instance type name(s).
    overhead : {"eks", "karpenter", "kops", "none"}
        * ``"eks"``: EKS AMI / nodeadm: kube-reserved cpu bands and ``11 * P + 255`` MiB memory
          with ``P`` the ENI-limited max pods (even when ``max_pods`` is overridden), 1 GiB
          ephemeral storage; eviction-hard ``memory.available`` 100Mi, ``nodefs.available`` 10%.
        * ``"karpenter"``: Karpenter's estimate: like ``"eks"``, with memory capacity reduced by
          64 MiB on arm64 and by ``vm_memory_overhead_percent``, and Karpenter's pods (AMI
          family rules: Bottlerocket and Windows reserve memory for the final max pods).
        * ``"kops"``: no kube-reserved; eviction-hard 100Mi / 10% (kOps defaults).
        * ``"none"``: capacity as allocatable.
    max_pods : int, optional
        Explicit kubelet ``maxPods`` [pods]; default the policy's value.
    max_pods_policy : str, optional
        Max-pods policy (see :func:`max_pods`); default ``"eni-max-pods"`` for eks,
        ``"karpenter"`` for karpenter, ``"kops"`` for kops, ``"kubelet"`` for none.
    kube_reserved, system_reserved : mapping, optional
        Quantities per resource (``{"cpu": "100m", "memory": "1Gi", "ephemeral-storage":
        "1Gi"}``); each key given replaces the overhead model's value for that key.
    eviction_hard : mapping, optional
        ``{"memory.available": "100Mi", "nodefs.available": "10%"}``; each key given replaces
        the model's threshold (absolute quantities or percentages of capacity).
    root_volume_gib : float, optional
        Root volume (node filesystem) size [GiB]; default 20 (eks, karpenter) or 128 (kops).
    vm_memory_overhead_percent : float
        Karpenter's VM memory overhead fraction (only for ``memory_capacity="karpenter"``).
    memory_capacity : {"nominal", "reported", "karpenter"}, optional
        Memory capacity the reservations are taken from (see :func:`memory_capacity`); default
        ``"karpenter"`` for ``overhead="karpenter"`` (what Karpenter computes before a launch)
        and ``"nominal"`` otherwise (the EKS AMI and kOps formulas as published);
        ``"reported"`` is what a launched node reports.
    table : pandas.DataFrame, optional
        Instance table; default the bundled one.
    **policy_options
        Options of the max-pods policy (e.g. ``ami_family="Bottlerocket"`` for karpenter).

    Returns
    -------
    pandas.DataFrame
        Columns ``cpu_millicores`` [m], ``memory_mib`` [MiB], ``ephemeral_storage_gib`` [GiB],
        ``pods`` [pods]; one row per name (index: the names, or the Series' index).

    Examples
    --------
    >>> allocatable("m5.large", overhead="karpenter").iloc[0].to_dict()  # doctest: +NORMALIZE_WHITESPACE
    {'cpu_millicores': 1930.0, 'memory_mib': 6903.0, 'ephemeral_storage_gib': 17.0, 'pods': 29.0}
    """
    if overhead not in OVERHEADS:
        raise InvalidOptionError(
            f"unknown overhead model {overhead!r}; valid: {', '.join(OVERHEADS)}"
        )
    names = _as_names(instance_type)
    policy = max_pods_policy or _DEFAULT_POLICY[overhead]
    _check_options(policy, policy_options)
    explicit_pods = _check_count("max_pods", max_pods)
    cols, pos = lookup(names.values, table)
    _require(cols.vcpus_known, cols, pos, "vCPU count")
    _require(cols.memory_known, cols, pos, "memory size")
    memory_model = memory_capacity or ("karpenter" if overhead == "karpenter" else "nominal")
    memory_mib = _memory_capacity_arrays(cols, pos, memory_model, vm_memory_overhead_percent)
    root_gib = (
        default_root_volume_gib(overhead, str(policy_options.get("ami_family", "")))
        if root_volume_gib is None
        else root_volume_gib
    )
    if isinstance(root_gib, bool) or not isinstance(root_gib, (int, float)) or root_gib <= 0:
        raise InvalidOptionError(
            f"option 'root_volume_gib' must be a positive number, got {root_gib!r}"
        )

    vcpus = cols.vcpus[pos]
    if policy == "karpenter" and explicit_pods is not None:
        policy_options = {**policy_options, "max_pods": explicit_pods}
    pods = _max_pods_arrays(cols, pos, policy, policy_options)
    if explicit_pods is not None:
        pods = np.full(len(pos), explicit_pods, dtype=np.int64)

    # capacity
    cpu = vcpus * 1000
    mem_bytes = memory_mib.astype(np.float64) * (1 << 20)
    storage_bytes = float(root_gib) * _GIB

    # kube-reserved of the model
    n = len(pos)
    kr_cpu = np.zeros(n, dtype=np.int64)
    kr_mem = np.zeros(n, dtype=np.float64)
    kr_storage = 0.0
    eviction: dict[str, tuple[str, float]] = {}
    if overhead in ("eks", "karpenter"):
        kr_cpu = np.asarray(kernels.kube_reserved_cpu(vcpus), dtype=np.int64)
        if overhead == "eks":
            memory_pods = np.asarray(
                kernels.eni_max_pods(cols.enis[pos], cols.ipv4_per_eni[pos]), dtype=np.int64
            )
        else:
            family = policy_options.get("ami_family", "AL2023")
            if _AMI_FLAGS[family].eni_limited_memory:
                # Karpenter computes this with 0 reserved ENIs, whatever RESERVED_ENIS says.
                memory_pods = np.asarray(
                    kernels.karpenter_max_pods(
                        cols.enis[pos], cols.ipv4_per_eni[pos], vcpus, reserved_enis=0
                    ),
                    dtype=np.int64,
                )
            else:
                memory_pods = pods
        kr_mem = np.asarray(kernels.kube_reserved_memory_mib(memory_pods), dtype=np.float64) * (
            1 << 20
        )
        kr_storage = _GIB
    if overhead != "none":
        eviction = {
            "memory.available": ("abs", 100.0 * (1 << 20)),
            "nodefs.available": ("pct", 0.10),
        }

    user_kr = _reserved("kube_reserved", kube_reserved)
    if "cpu" in user_kr:
        kr_cpu = np.full(n, user_kr["cpu"], dtype=np.int64)
    if "memory" in user_kr:
        kr_mem = np.full(n, float(user_kr["memory"]))
    if "ephemeral-storage" in user_kr:
        kr_storage = float(user_kr["ephemeral-storage"])
    sr = _reserved("system_reserved", system_reserved)
    eviction.update(_eviction(eviction_hard))

    def threshold(key: str, capacity: Any) -> Any:
        kind, amount = eviction.get(key, ("abs", 0.0))
        return np.ceil(capacity * amount) if kind == "pct" else amount

    alloc_cpu = cpu - kr_cpu - sr.get("cpu", 0)
    alloc_mem = mem_bytes - kr_mem - sr.get("memory", 0) - threshold("memory.available", mem_bytes)
    alloc_storage = (
        storage_bytes
        - kr_storage
        - sr.get("ephemeral-storage", 0)
        - threshold("nodefs.available", storage_bytes)
    )
    frame = pd.DataFrame(
        {
            "cpu_millicores": np.maximum(alloc_cpu, 0).astype(np.int64),
            "memory_mib": np.maximum(np.floor(alloc_mem / (1 << 20)), 0).astype(np.int64),
            "ephemeral_storage_gib": np.maximum(
                np.full(n, alloc_storage, dtype=np.float64) / _GIB, 0.0
            ),
            "pods": pods.astype(np.int64),
        },
        index=names.index
        if names.kind == "series"
        else pd.Index(names.values, name="instance_type"),
    )
    return frame
