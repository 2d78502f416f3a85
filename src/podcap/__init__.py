"""podcap: Kubernetes pod capacity on AWS.

How many pods run, stay Pending, get stuck without an IP or are never created when a workload
is rolled out to EC2 node groups, and why.  A pure simulation and analysis library: no cloud
calls, no cluster.

Glossary (names used across the API; units in brackets)
-------------------------------------------------------
eni_count / enis
    ENIs of the default network card that the VPC CNI may use [count].
ipv4_per_eni
    IPv4 addresses per ENI, including the ENI's primary address [count].
max_pods
    The kubelet's ``maxPods``, i.e. ``allocatable.pods`` [pods].
pod_ips
    VPC addresses the CNI can give to pods on a node [addresses].
cpu_millicores
    CPU [millicores, m]; ``"100m"`` is 100, ``"2"`` is 2000.
memory_mib
    Memory [MiB]; quantities are parsed to bytes at the edges and converted once.
allocatable_*
    Capacity minus kube-reserved, system-reserved and eviction thresholds.
requested_*
    Sum of the requests of the pods on a node.

Importing podcap is quick: each name below loads its module (and numpy, pandas) the first time
it is used, so ``import podcap`` neither imports pandas nor matplotlib, and the command line
loads only what its command needs.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from podcap._version import __version__
from podcap.errors import (
    InstanceTableError,
    InvalidManifestError,
    InvalidOptionError,
    InvalidQuantityError,
    InvalidSpecError,
    MissingInstanceDataError,
    PodcapError,
    PodcapWarning,
    SimulationTooLargeError,
    UnknownInstanceTypeError,
)

if TYPE_CHECKING:  # what each name is, for type checkers and editors (loaded on first use)
    from podcap import plot, presets
    from podcap.analysis.check import CheckReport, check
    from podcap.analysis.report import instance_report
    from podcap.analysis.sweep import cheapest_instance_type, min_nodes, sweep
    from podcap.io.clusters import ClusterInput, read_eksctl, read_kops
    from podcap.io.manifests import Manifests, load_manifests
    from podcap.io.readers import load_cluster
    from podcap.io.snapshot import Snapshot, read_snapshot
    from podcap.model.capacity import (
        AMIFamily,
        MaxPodsPolicy,
        Overhead,
        allocatable,
        cni_version_supports,
        cni_version_supports_prefix,
        max_pods,
        memory_capacity,
        pod_ip_capacity,
        windows_pod_addresses,
    )
    from podcap.model.instances import (
        device_resources,
        ebs_volume_limit,
        instance_types,
        load_instance_table,
    )
    from podcap.model.ipam import (
        compare_warm_settings,
        rollout_addresses,
        subnet_capacity,
        warm_pool,
    )
    from podcap.model.karpenter import NodeClass, NodePool, Requirement
    from podcap.model.memory import check_simulation_size
    from podcap.model.quantity import (
        format_cpu,
        format_memory,
        parse_cpu,
        parse_memory,
        parse_quantities,
        parse_quantity,
    )
    from podcap.model.specs import Cluster, EbsCsiDriver, NodeGroup, Taint, Toleration, VpcCni
    from podcap.model.subnets import PodNetwork, Subnet, SubnetReservation, pod_network_capacity
    from podcap.pipeline.consolidation import ConsolidationResult, consolidate, scale_down
    from podcap.pipeline.results import SimulationResult
    from podcap.pipeline.scenario import Scenario, ScenarioResult
    from podcap.pipeline.simulate import simulate
    from podcap.pipeline.sources import read_cluster
    from podcap.pipeline.state import ClusterState
    from podcap.pipeline.step import ScoringStrategy, settle, step

# public name -> the module that defines it ("plot" is the submodule podcap.plot itself)
_LAZY = {
    "plot": "podcap.plot",
    "presets": "podcap.presets",
    **dict.fromkeys(("CheckReport", "check"), "podcap.analysis.check"),
    "instance_report": "podcap.analysis.report",
    **dict.fromkeys(("cheapest_instance_type", "min_nodes", "sweep"), "podcap.analysis.sweep"),
    **dict.fromkeys(("ClusterInput", "read_eksctl", "read_kops"), "podcap.io.clusters"),
    **dict.fromkeys(("Manifests", "load_manifests"), "podcap.io.manifests"),
    "load_cluster": "podcap.io.readers",
    **dict.fromkeys(("Snapshot", "read_snapshot"), "podcap.io.snapshot"),
    **dict.fromkeys(
        (
            "AMIFamily",
            "MaxPodsPolicy",
            "Overhead",
            "allocatable",
            "cni_version_supports",
            "cni_version_supports_prefix",
            "max_pods",
            "memory_capacity",
            "pod_ip_capacity",
            "windows_pod_addresses",
        ),
        "podcap.model.capacity",
    ),
    **dict.fromkeys(
        ("device_resources", "ebs_volume_limit", "instance_types", "load_instance_table"),
        "podcap.model.instances",
    ),
    **dict.fromkeys(("NodeClass", "NodePool", "Requirement"), "podcap.model.karpenter"),
    **dict.fromkeys(
        ("compare_warm_settings", "rollout_addresses", "subnet_capacity", "warm_pool"),
        "podcap.model.ipam",
    ),
    "check_simulation_size": "podcap.model.memory",
    **dict.fromkeys(
        (
            "format_cpu",
            "format_memory",
            "parse_cpu",
            "parse_memory",
            "parse_quantities",
            "parse_quantity",
        ),
        "podcap.model.quantity",
    ),
    **dict.fromkeys(
        ("Cluster", "EbsCsiDriver", "NodeGroup", "Taint", "Toleration", "VpcCni"),
        "podcap.model.specs",
    ),
    **dict.fromkeys(
        ("PodNetwork", "Subnet", "SubnetReservation", "pod_network_capacity"),
        "podcap.model.subnets",
    ),
    **dict.fromkeys(
        ("ConsolidationResult", "consolidate", "scale_down"), "podcap.pipeline.consolidation"
    ),
    "SimulationResult": "podcap.pipeline.results",
    **dict.fromkeys(("Scenario", "ScenarioResult"), "podcap.pipeline.scenario"),
    "simulate": "podcap.pipeline.simulate",
    "read_cluster": "podcap.pipeline.sources",
    "ClusterState": "podcap.pipeline.state",
    **dict.fromkeys(("ScoringStrategy", "settle", "step"), "podcap.pipeline.step"),
}


def __getattr__(name: str) -> Any:
    """Load a public name's module on first use (PEP 562) and keep the name here."""
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'podcap' has no attribute {name!r}")
    loaded = importlib.import_module(module)
    value = loaded if module == f"{__name__}.{name}" else getattr(loaded, name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})


__all__ = [
    "AMIFamily",
    "CheckReport",
    "Cluster",
    "ClusterInput",
    "ClusterState",
    "ConsolidationResult",
    "EbsCsiDriver",
    "InstanceTableError",
    "InvalidManifestError",
    "InvalidOptionError",
    "InvalidQuantityError",
    "InvalidSpecError",
    "Manifests",
    "MaxPodsPolicy",
    "MissingInstanceDataError",
    "NodeClass",
    "NodeGroup",
    "NodePool",
    "Overhead",
    "PodNetwork",
    "PodcapError",
    "PodcapWarning",
    "Requirement",
    "Scenario",
    "ScenarioResult",
    "ScoringStrategy",
    "SimulationResult",
    "SimulationTooLargeError",
    "Snapshot",
    "Subnet",
    "SubnetReservation",
    "Taint",
    "Toleration",
    "UnknownInstanceTypeError",
    "VpcCni",
    "__version__",
    "allocatable",
    "cheapest_instance_type",
    "check",
    "check_simulation_size",
    "cni_version_supports",
    "cni_version_supports_prefix",
    "compare_warm_settings",
    "consolidate",
    "device_resources",
    "ebs_volume_limit",
    "format_cpu",
    "format_memory",
    "instance_report",
    "instance_types",
    "load_cluster",
    "load_instance_table",
    "load_manifests",
    "max_pods",
    "memory_capacity",
    "min_nodes",
    "parse_cpu",
    "parse_memory",
    "parse_quantities",
    "parse_quantity",
    "plot",
    "pod_ip_capacity",
    "pod_network_capacity",
    "presets",
    "read_cluster",
    "read_eksctl",
    "read_kops",
    "read_snapshot",
    "rollout_addresses",
    "scale_down",
    "settle",
    "simulate",
    "step",
    "subnet_capacity",
    "sweep",
    "warm_pool",
    "windows_pod_addresses",
]
