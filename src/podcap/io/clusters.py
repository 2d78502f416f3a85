"""Read the cluster definitions users already keep: eksctl ClusterConfig, kOps Cluster and
InstanceGroups, Terraform (terraform-aws-modules/eks/aws), kubectl snapshots, and podcap's own
cluster file (an edge); nodeadm NodeConfigs beside any of them.

:func:`read_cluster_input` detects the format and returns a :class:`ClusterInput`: the
:class:`~podcap.model.specs.Cluster`, the system pods the format implies, the policies and existing
pods of a snapshot, and everything that was not used.
"""

from __future__ import annotations

import ipaddress
import json
import os
import re
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from podcap import _yaml
from podcap.errors import (
    InvalidManifestError,
    PodcapError,
    PodcapWarning,
    UnknownInstanceTypeError,
)
from podcap.io.fields import mapping_field
from podcap.io.karpenter import is_karpenter, read_karpenter
from podcap.io.manifests import read_text
from podcap.io.nodeadm import (
    API_VERSION as NODEADM_API_VERSION,
)
from podcap.io.nodeadm import (
    NodeConfig,
    apply_node_config,
    apply_to_cluster,
    read_node_configs,
)
from podcap.io.readers import load_cluster, windows_node_group, zone_unknown_note
from podcap.io.snapshot import read_snapshot
from podcap.io.terraform import read_terraform, select_cluster
from podcap.model.addons import eks_system_pods, kops_system_pods
from podcap.model.cluster_autoscaler import ClusterAutoscaler
from podcap.model.instances import check_instance_type, device_resources
from podcap.model.karpenter import Karpenter
from podcap.model.presets import AUTO_MODE_NODE_POOLS, eks_auto_mode
from podcap.model.specs import Cluster, EbsCsiDriver, NodeGroup, VpcCni
from podcap.model.subnets import DEFAULT_NODE_CIDR_MASK_SIZE, PodNetwork, Subnet

__all__ = ["ClusterInput", "read_cluster_input", "read_eksctl", "read_kops", "read_node_pools"]

FORMATS = (
    "podcap cluster file",
    "eksctl ClusterConfig",
    "kOps Cluster + InstanceGroups",
    "Terraform terraform-aws-modules/eks/aws",
    "kubectl JSON snapshot",
)

#: A NodeConfig as read_cluster takes it: a path, YAML / MIME user data text, a parsed document.
NodeConfigSource = str | os.PathLike[str] | Mapping[str, Any]


@dataclass
class ClusterInput:
    """A cluster read from a file, with what the file implies.

    Attributes
    ----------
    cluster : Cluster
    format : str
        Which format was read.
    system_pods : list of dict
        Manifests of the system pods the format implies (aws-node, kube-proxy, CoreDNS, ...).
    manifests : list of dict
        Policies found (LimitRanges, ResourceQuotas of a snapshot).
    existing : pandas.DataFrame or None
        Pods already running (snapshots).
    karpenter : Karpenter or None
        Karpenter NodePools and EC2NodeClasses found beside the nodes.
    cluster_autoscaler : ClusterAutoscaler or None
        A cluster-autoscaler the cluster runs (kOps ``spec.clusterAutoscaler.enabled``).
    skipped : list of str
        What was not used, each named.
    """

    cluster: Cluster
    format: str
    system_pods: list[dict[str, Any]] = field(default_factory=list)
    manifests: list[dict[str, Any]] = field(default_factory=list)
    existing: pd.DataFrame | None = None
    skipped: list[str] = field(default_factory=list)
    karpenter: Karpenter | None = None
    cluster_autoscaler: ClusterAutoscaler | None = None

    @property
    def implied(self) -> list[str]:
        """``namespace/name`` of the implied system workloads."""
        return [f"{m['metadata']['namespace']}/{m['metadata']['name']}" for m in self.system_pods]


def _warn_unknown(where: str, obj: Mapping[str, Any], known: set[str]) -> None:
    extra = sorted(set(obj) - known)
    if extra:
        warnings.warn(
            f"{where}: field(s) not used by podcap, ignored: {', '.join(map(str, extra))}",
            PodcapWarning,
            stacklevel=3,
        )


def _taints(value: Any, where: str) -> list[Any]:
    if value is None:
        return []
    if isinstance(value, Mapping):  # older eksctl form: key: "value:Effect"
        return [f"{k}={v}" if ":" in str(v) else f"{k}:{v}" for k, v in value.items()]
    if isinstance(value, list):
        return list(value)
    raise InvalidManifestError(f"{where}: expected a list of taints, got {value!r}")


def _config_values(addon: Mapping[str, Any], where: str) -> Mapping[str, Any]:
    """An eksctl add-on's ``configurationValues`` (JSON or YAML text, or a mapping)."""
    raw = addon.get("configurationValues")
    if not raw:
        return {}
    try:
        values = _yaml.load(raw, where) if isinstance(raw, str) else raw
    except yaml.YAMLError as exc:
        raise InvalidManifestError(
            f"{where}.configurationValues: not valid JSON/YAML: {exc}"
        ) from None
    if not isinstance(values, Mapping):
        raise InvalidManifestError(f"{where}.configurationValues: expected a mapping")
    return values


def _config_env(addon: Mapping[str, Any], where: str) -> dict[str, str]:
    values = _config_values(addon, where)
    env = values.get("env") or {}
    if not isinstance(env, Mapping):
        raise InvalidManifestError(
            f"{where}.configurationValues.env: expected a mapping of variables"
        )
    return {str(k): str(v) for k, v in env.items()}


_EKSCTL_NG = {
    "name",
    "instanceType",
    "instanceTypes",
    "desiredCapacity",
    "minSize",
    "maxSize",
    "maxPodsPerNode",
    "availabilityZones",
    "labels",
    "taints",
    "subnets",
    "instancesDistribution",
    "amiFamily",
    "spot",
    "privateNetworking",
    "volumeSize",
    "volumeType",
    "iam",
    "ssh",
    "tags",
    "ami",
    "overrideBootstrapCommand",
    "preBootstrapCommands",
    "kubeletExtraConfig",
    "securityGroups",
    "updateConfig",
    "launchTemplate",
    "efaEnabled",
    "instanceSelector",
    "volumeIOPS",
    "volumeThroughput",
    "volumeEncrypted",
    "disableIMDSv1",
    "disablePodIMDS",
    "propagateASGTags",
    "asgSuspendProcesses",
    "enableDetailedMonitoring",
    "containerRuntime",
    "releaseVersion",
    "version",
}

#: eksctl's defaults (``pkg/apis/eksctl.io/v1alpha5/types.go``): the instance type of a node
#: group without one (``DefaultNodeType``, set by ``pkg/eks/nodegroup_service.go`` Normalize),
#: nodes when neither desiredCapacity nor minSize is given (``DefaultNodeCount``), the root
#: volume (``DefaultNodeVolumeSize``, GiB, set by ``defaults.go`` setVolumeDefaults unless a
#: managed group has its own launch template) and the AMI family (``DefaultNodeImageFamily``).
EKSCTL_DEFAULT_INSTANCE_TYPE = "m5.large"
EKSCTL_DEFAULT_NODE_COUNT = 2
EKSCTL_DEFAULT_VOLUME_GIB = 80
EKSCTL_DEFAULT_AMI_FAMILY = "AmazonLinux2023"
#: eksctl's Windows AMI families (``WindowsServer2019FullContainer``,
#: ``WindowsServer2022CoreContainer``, ``WindowsServer2025CoreContainer``, ...;
#: ``pkg/apis/eksctl.io/v1alpha5/types.go``), with the release as group 1.
_EKSCTL_WINDOWS = re.compile(r"WindowsServer(\d{4})(?:Full|Core)Container")
#: The kubelet settings of ``kubeletExtraConfig`` podcap models (eksctl writes them into the
#: kubelet's configuration: nodeadm's ``kubelet.config`` on AL2023).
_KUBELET_MODELLED = {"maxPods", "podsPerCore", "kubeReserved", "systemReserved", "evictionHard"}


def kubelet_config(values: Mapping[str, Any], where: str) -> NodeConfig | None:
    """The kubelet settings of a configuration fragment (eksctl ``kubeletExtraConfig``, kOps
    ``kubelet``) as a NodeConfig, so they are applied by the one function that applies kubelet
    settings (:func:`podcap.io.nodeadm.apply_node_config`).

    Only ``podsPerCore``, ``kubeReserved``, ``systemReserved`` and ``evictionHard`` are taken
    (maxPods is read by each reader, with its own defaults); ``evictionHard`` may be a mapping
    or the kubelet flag's text (``memory.available<100Mi,nodefs.available<10%``, kOps).
    """
    config: dict[str, Any] = {}
    for key in ("podsPerCore", "kubeReserved", "systemReserved", "evictionHard"):
        value = values.get(key)
        if value is None:
            continue
        if key == "evictionHard" and isinstance(value, str):
            pairs = [p.strip() for p in value.split(",") if p.strip()]
            bad = [p for p in pairs if "<" not in p]
            if bad:
                raise InvalidManifestError(
                    f"{where}.evictionHard: {bad[0]!r} is not SIGNAL<QUANTITY (e.g. "
                    "'memory.available<100Mi,nodefs.available<10%')"
                )
            value = dict(p.split("<", 1) for p in pairs)
        config[key] = value
    if not config:
        return None
    doc = {
        "apiVersion": NODEADM_API_VERSION,
        "kind": "NodeConfig",
        "spec": {"kubelet": {"config": config}},
    }
    return NodeConfig.from_document(doc, where)


def _eksctl_node_config(
    ng: Mapping[str, Any], where: str, *, native_managed: bool
) -> NodeConfig | None:
    """The NodeConfig of an eksctl AL2023 node group: ``kubeletExtraConfig`` (eksctl's own part
    of the kubelet configuration), ``overrideBootstrapCommand`` (a NodeConfig, or MIME user data
    with NodeConfig parts) and any NodeConfig among ``preBootstrapCommands`` (eksctl prepends
    them to the user data; nodeadm merges them in order).  On a managed node group without a
    custom ``ami``, EKS appends its own NodeConfig setting maxPods (eksctl's "Node
    bootstrapping" page; eksctl #8037), so the user's maxPods is left out."""
    configs: list[NodeConfig] = []
    kubelet = ng.get("kubeletExtraConfig") or {}
    extra = kubelet_config(kubelet, f"{where}.kubeletExtraConfig")
    if extra is not None:
        configs.append(extra)
    for i, command in enumerate(ng.get("preBootstrapCommands") or []):
        if isinstance(command, str):
            configs += read_node_configs(command, f"{where}.preBootstrapCommands[{i}]")
    override = ng.get("overrideBootstrapCommand")
    if isinstance(override, str):
        configs += read_node_configs(override, f"{where}.overrideBootstrapCommand")
    config = NodeConfig.merged(configs)
    if config is not None and native_managed and config.max_pods is not None:
        warnings.warn(
            f"{config.where}: maxPods {config.max_pods} is overridden by the NodeConfig EKS "
            "appends to a managed node group without a custom ami",
            PodcapWarning,
            stacklevel=3,
        )
        config = replace(config, max_pods=None)
    return config


def _cluster(groups: list[NodeGroup], table: pd.DataFrame | None, source: str) -> Cluster:
    try:
        return Cluster(groups, table=table)
    except UnknownInstanceTypeError as exc:
        raise InvalidManifestError(f"{source}: {exc}") from None


def read_eksctl(
    doc: Mapping[str, Any], source: str = "<eksctl>", *, table: pd.DataFrame | None = None
) -> ClusterInput:
    """Read an eksctl ``ClusterConfig`` (``apiVersion: eksctl.io/v1alpha5``).

    ``nodeGroups`` and ``managedNodeGroups`` become node groups (EKS overhead); a group with
    several instance types (``instanceTypes`` or ``instancesDistribution.instanceTypes``) is split
    into one group per type with the desired capacity shared round-robin (the ASG's real mix
    is not known).  The ``vpc-cni`` add-on's ``configurationValues`` env sets the CNI; with prefix
    delegation and no ``maxPodsPerNode`` the AWS calculator's max pods apply.  Subnets with a
    CIDR under ``vpc.subnets`` become the groups' subnets.

    Parameters
    ----------
    doc : mapping
        The parsed ClusterConfig.
    source : str
        File name for messages.

    Returns
    -------
    ClusterInput
        With the EKS system pods (aws-node, kube-proxy, CoreDNS, and the listed add-ons').
    """
    if doc.get("apiVersion") != "eksctl.io/v1alpha5":
        raise InvalidManifestError(
            f"{source}: apiVersion {doc.get('apiVersion')!r} is not supported; podcap reads "
            "eksctl.io/v1alpha5"
        )
    if doc.get("kind") != "ClusterConfig":
        raise InvalidManifestError(f"{source}: kind {doc.get('kind')!r} is not ClusterConfig")
    _warn_unknown(
        source,
        doc,
        {
            "apiVersion",
            "kind",
            "metadata",
            "vpc",
            "addons",
            "nodeGroups",
            "managedNodeGroups",
            "iam",
            "cloudWatch",
            "availabilityZones",
            "kubernetesNetworkConfig",
            "fargateProfiles",
            "accessConfig",
            "secretsEncryption",
            "karpenter",
            "gitops",
            "autoModeConfig",
        },
    )
    addons = doc.get("addons") or []
    env: dict[str, str] = {}
    addon_names = set()
    ebs_csi: EbsCsiDriver | None = None
    for i, a in enumerate(addons):
        if not isinstance(a, Mapping) or "name" not in a:
            raise InvalidManifestError(f"{source}, addons[{i}]: expected a mapping with 'name'")
        addon_names.add(str(a["name"]))
        if a["name"] == "vpc-cni":
            env = _config_env(a, f"{source}, addons[{i}]")
        if a["name"] == "aws-ebs-csi-driver":
            where_ebs = f"{source}, addons[{i}] (aws-ebs-csi-driver).configurationValues"
            try:
                ebs_csi = EbsCsiDriver.from_helm_values(
                    _config_values(a, f"{source}, addons[{i}]"), where_ebs
                )
            except InvalidManifestError:
                raise
            except PodcapError as exc:
                raise InvalidManifestError(str(exc)) from None
    cni = VpcCni.from_env(env)
    family = ((doc.get("kubernetesNetworkConfig") or {}).get("ipFamily") or "IPv4").lower()
    if family not in ("ipv4", "ipv6"):
        raise InvalidManifestError(
            f"{source}, kubernetesNetworkConfig.ipFamily: invalid {family!r}; valid: IPv4, IPv6"
        )
    if family == "ipv6":
        cni = replace(cni, ip_family="ipv6")
    # subnets by name (AZ name or custom name) with a CIDR
    subnets_by_kind: dict[str, dict[str, Subnet]] = {"private": {}, "public": {}}
    vpc = doc.get("vpc") or {}
    for kind in ("private", "public"):
        for name, spec in ((vpc.get("subnets") or {}).get(kind) or {}).items():
            if not isinstance(spec, Mapping):
                raise InvalidManifestError(
                    f"{source}, vpc.subnets.{kind}.{name}: expected a mapping"
                )
            zone = str(spec.get("az", name))
            if spec.get("cidr"):
                try:
                    sn = Subnet(str(spec["cidr"]), zone, name=str(name))
                except PodcapError as exc:
                    raise InvalidManifestError(
                        f"{source}, vpc.subnets.{kind}.{name}.cidr: {exc}"
                    ) from None
                subnets_by_kind[kind][str(name)] = sn
                if spec.get("id"):
                    subnets_by_kind[kind][str(spec["id"])] = sn
    cluster_zones = doc.get("availabilityZones")
    if cluster_zones is not None and (
        not isinstance(cluster_zones, list) or not all(isinstance(z, str) for z in cluster_zones)
    ):
        raise InvalidManifestError(
            f"{source}.availabilityZones: expected a list of zone names, got {cluster_zones!r}"
        )
    groups: list[NodeGroup] = []
    skipped: list[str] = []
    unknown_zones: list[str] = []
    for section in ("nodeGroups", "managedNodeGroups"):
        for i, ng in enumerate(doc.get(section) or []):
            where = f"{source}, {section}[{i}]"
            if not isinstance(ng, Mapping) or "name" not in ng:
                raise InvalidManifestError(f"{where}: expected a node group with a 'name'")
            _warn_unknown(where, ng, _EKSCTL_NG)
            types = _eksctl_instance_types(ng, where, managed=section == "managedNodeGroups")
            if isinstance(types, str):  # the types cannot be known offline: named, left out
                skipped.append(types)
                warnings.warn(types, PodcapWarning, stacklevel=2)
                continue
            count = _eksctl_count(ng, where)
            zones = ng.get("availabilityZones")
            if zones is not None and (
                not isinstance(zones, list) or not all(isinstance(z, str) for z in zones)
            ):
                raise InvalidManifestError(
                    f"{where}.availabilityZones: expected a list of zone names, got {zones!r}"
                )
            private = bool(ng.get("privateNetworking", False))
            kind_order = ("private", "public") if private else ("public", "private")
            pool = {**subnets_by_kind[kind_order[1]], **subnets_by_kind[kind_order[0]]}
            group_subnets: list[Subnet] = []
            for ref in ng.get("subnets") or []:
                if str(ref) in pool:
                    group_subnets.append(pool[str(ref)])
                else:
                    skipped.append(f"{where}.subnets: {ref} has no CIDR in vpc.subnets")
            if not group_subnets and subnets_by_kind[kind_order[0]]:
                # no explicit subnets: eksctl spreads the group over the VPC's subnets of its kind
                candidates = list(
                    {sn.cidr: sn for sn in subnets_by_kind[kind_order[0]].values()}.values()
                )
                if zones is not None:
                    candidates = [sn for sn in candidates if sn.zone in zones]
                group_subnets = candidates
            if group_subnets:
                zones = sorted({sn.zone for sn in group_subnets})
                group_subnets = list({sn.zone: sn for sn in group_subnets}.values())
            if not zones and cluster_zones:
                # eksctl places a group without its own zones in the cluster's zones
                zones = list(cluster_zones)
            if not zones:
                unknown_zones.append(str(ng["name"]))
                zones = None
            kubelet = ng.get("kubeletExtraConfig") or {}
            if not isinstance(kubelet, Mapping):
                raise InvalidManifestError(f"{where}.kubeletExtraConfig: expected a mapping")
            unused = sorted(set(kubelet) - _KUBELET_MODELLED)
            if unused:
                warnings.warn(
                    f"{where}.kubeletExtraConfig: {', '.join(unused)} not modelled",
                    PodcapWarning,
                    stacklevel=2,
                )
            ami = ng.get("amiFamily") or EKSCTL_DEFAULT_AMI_FAMILY
            windows = _EKSCTL_WINDOWS.fullmatch(str(ami))
            if ami not in ("AmazonLinux2", "AmazonLinux2023") and not windows:
                warnings.warn(
                    f"{where}.amiFamily: {ami} is modelled like AmazonLinux2023 (same max pods and "
                    "kube-reserved formulas)",
                    PodcapWarning,
                    stacklevel=2,
                )
            root_gib = _eksctl_volume(ng, where, managed=section == "managedNodeGroups")
            # eksctl installs the NVIDIA and Neuron device plugins for node groups of those
            # types (--install-nvidia-plugin, --install-neuron-plugin, both true by default;
            # Bottlerocket's NVIDIA variants carry the plugin) and the EFA plugin when a group
            # has efaEnabled (pkg/eks/tasks.go)
            plugins = [] if windows else ["nvidia", "neuron"]
            if ng.get("efaEnabled") is True:
                plugins.append("efa")
            labels = dict(ng.get("labels") or {})
            labels.setdefault("alpha.eksctl.io/nodegroup-name", str(ng["name"]))
            max_pods = ng.get("maxPodsPerNode", kubelet.get("maxPods"))
            policy = "calculator" if cni.prefix_delegation and max_pods is None else "eni-max-pods"
            node_config = _eksctl_node_config(
                ng, where, native_managed=section == "managedNodeGroups" and not ng.get("ami")
            )
            for k, itype in enumerate(types):
                n = count // len(types) + (1 if k < count % len(types) else 0)
                name = (
                    str(ng["name"])
                    if len(types) == 1
                    else f"{ng['name']}-{str(itype).replace('.', '-')}"
                )
                try:
                    check_instance_type(str(itype), table)
                    group = NodeGroup(
                        name.lower(),
                        str(itype),
                        n,
                        zones=None if zones is None else tuple(zones),
                        max_pods=max_pods,
                        max_pods_policy=policy,
                        overhead="eks",
                        cni=cni,
                        labels=labels,
                        taints=tuple(_taints(ng.get("taints"), f"{where}.taints")),
                        subnets=tuple(group_subnets),
                        extended_resources=device_resources(str(itype), plugins, table) or None,
                        # the Auto Scaling group's bounds, for a cluster-autoscaler (a group of
                        # several types is one ASG: its bounds are not split per type)
                        min_count=ng.get("minSize") if len(types) == 1 else None,
                        max_count=ng.get("maxSize") if len(types) == 1 else None,
                    )
                    if windows:
                        group = windows_node_group(group, windows[1], table)
                    if node_config is not None or root_gib is not None:
                        group = apply_node_config(
                            group, node_config, root_volume_gib=root_gib, table=table
                        )
                    groups.append(group)
                except InvalidManifestError:
                    raise
                except PodcapError as exc:
                    raise InvalidManifestError(f"{where}: {exc}") from None
    if unknown_zones:
        why = (
            "neither the group nor the ClusterConfig names availabilityZones or subnets with an "
            "az (eksctl asks EC2 for the region's zones at creation); give availabilityZones"
        )
        skipped.append(zone_unknown_note(unknown_zones, why))
    auto = mapping_field(doc.get("autoModeConfig"), f"{source}.autoModeConfig")
    karpenter = None
    if "enabled" in auto and not isinstance(auto["enabled"], bool):
        raise InvalidManifestError(
            f"{source}.autoModeConfig.enabled: expected true or false, got {auto['enabled']!r}"
        )
    if auto.get("enabled") is True:
        karpenter = _auto_mode(
            auto.get("nodePools", list(AUTO_MODE_NODE_POOLS)),
            f"{source}.autoModeConfig.nodePools",
            cluster_zones or (),
            str((doc.get("metadata") or {}).get("region") or "us-east-1"),
        )
    elif not groups:
        # a valid cluster: no nodes yet, or nodes Karpenter provisions
        skipped.append(f"{source}: no nodeGroups or managedNodeGroups (a cluster of 0 nodes)")
    if ebs_csi is not None:  # the add-on's node plugin runs on every node
        groups = [replace(g, ebs_csi=ebs_csi) for g in groups]
    return ClusterInput(
        _cluster(groups, table, source),
        "eksctl ClusterConfig" + (" (EKS Auto Mode)" if karpenter else ""),
        # Auto Mode runs the VPC CNI, kube-proxy and CoreDNS on the node, not as pods
        [] if karpenter else eks_system_pods(addon_names),
        skipped=skipped,
        karpenter=karpenter,
    )


def _auto_mode(
    node_pools: Any, where: str, zones: Sequence[str], region: str = "us-east-1"
) -> Karpenter:
    """EKS Auto Mode's built-in NodePools (``podcap.presets.eks_auto_mode``)."""
    if not isinstance(node_pools, list) or not all(isinstance(n, str) for n in node_pools):
        raise InvalidManifestError(
            f"{where}: expected a list of built-in NodePool names "
            f"({', '.join(AUTO_MODE_NODE_POOLS)})"
        )
    try:
        pools, node_class = eks_auto_mode(node_pools)
    except PodcapError as exc:
        raise InvalidManifestError(f"{where}: {exc}") from None
    return Karpenter(pools, {node_class.name: node_class}, zones=tuple(zones), region=region)


def _eksctl_instance_types(ng: Mapping[str, Any], where: str, *, managed: bool) -> list[str] | str:
    """A group's instance types as eksctl resolves them: ``instanceType`` (``mixed`` for a
    self-managed group with ``instancesDistribution``), ``instanceTypes`` (managed),
    ``instancesDistribution.instanceTypes``; none of them: eksctl's default type.  When the
    types come from an instance selector or a managed group's own launch template, which podcap
    cannot know offline, the reason the group is left out (a str)."""
    dist = ng.get("instancesDistribution") or {}
    if not isinstance(dist, Mapping):
        raise InvalidManifestError(f"{where}.instancesDistribution: expected a mapping")
    types = list(ng.get("instanceTypes") or dist.get("instanceTypes") or [])
    first = ng.get("instanceType")
    if first and first != "mixed":
        types = [first, *[t for t in types if t != first]]
    if not all(isinstance(t, str) and t for t in types):
        raise InvalidManifestError(
            f"{where}.instanceTypes: expected instance type names, got {types!r}"
        )
    if types:
        return types
    selector = ng.get("instanceSelector")
    if isinstance(selector, Mapping) and any(selector.values()):
        return (
            f"{where} ({ng['name']}) left out: eksctl picks its instance types from EC2 "
            "(instanceSelector) at creation, which podcap cannot know offline; set instanceType "
            "(or instanceTypes) to the types it picked"
        )
    if managed and ng.get("launchTemplate"):
        return (
            f"{where} ({ng['name']}) left out: its instance type is in its own launch template "
            "(launchTemplate), which podcap cannot read; set instanceType (or instanceTypes)"
        )
    if first == "mixed":
        raise InvalidManifestError(
            f"{where}.instanceType: 'mixed' needs instancesDistribution.instanceTypes"
        )
    return [EKSCTL_DEFAULT_INSTANCE_TYPE]


def _eksctl_count(ng: Mapping[str, Any], where: str) -> int:
    """Nodes of a group as eksctl creates it: ``desiredCapacity``, else ``minSize``, else
    ``DefaultNodeCount`` (eksctl ``validation.go`` / ``cfn/builder/nodegroup.go``)."""
    for field_name in ("desiredCapacity", "minSize", "maxSize"):
        value = ng.get(field_name)
        if value is not None and (
            isinstance(value, bool) or not isinstance(value, int) or value < 0
        ):
            raise InvalidManifestError(
                f"{where}.{field_name}: expected an integer >= 0, got {value!r}"
            )
    count = ng.get("desiredCapacity", ng.get("minSize", EKSCTL_DEFAULT_NODE_COUNT))
    low, high = ng.get("minSize"), ng.get("maxSize")
    if low is not None and count < low:
        raise InvalidManifestError(
            f"{where}.desiredCapacity: {count} is below minSize {low} (eksctl refuses it)"
        )
    if high is not None and count > high:
        raise InvalidManifestError(
            f"{where}.desiredCapacity: {count} is above maxSize {high} (eksctl refuses it)"
        )
    return int(count)


def _eksctl_volume(ng: Mapping[str, Any], where: str, *, managed: bool) -> float | None:
    """The root volume of a group [GiB]: ``volumeSize``, else eksctl's 80 (None: a managed
    group's own launch template decides, and the overhead model's default is kept)."""
    size = ng.get("volumeSize")
    if size is None:
        return None if managed and ng.get("launchTemplate") else float(EKSCTL_DEFAULT_VOLUME_GIB)
    if isinstance(size, bool) or not isinstance(size, (int, float)) or size <= 0:
        raise InvalidManifestError(f"{where}.volumeSize: expected a size in GiB > 0, got {size!r}")
    return float(size)


def _kops_env(env: Any, where: str) -> dict[str, str]:
    if env is None:
        return {}
    if not isinstance(env, list):
        raise InvalidManifestError(f"{where}: expected a list of {{name, value}}")
    out = {}
    for i, e in enumerate(env):
        if not isinstance(e, Mapping) or "name" not in e:
            raise InvalidManifestError(f"{where}[{i}]: expected {{name, value}}")
        out[str(e["name"])] = str(e.get("value", ""))
    return out


_KOPS_IG = {
    "role",
    "machineType",
    "minSize",
    "maxSize",
    "subnets",
    "nodeLabels",
    "taints",
    "kubelet",
    "image",
    "rootVolumeSize",
    "rootVolumeType",
    "rootVolume",
    "cloudLabels",
    "mixedInstancesPolicy",
    "maxPrice",
    "associatePublicIp",
    "additionalSecurityGroups",
    "iam",
    "instanceMetadata",
    "manager",
    "additionalUserData",
    "volumes",
    "volumeMounts",
    "hooks",
    "fileAssets",
    "detailedInstanceMonitoring",
    "instanceProtection",
    "sysctlParameters",
    "updatePolicy",
    "warmPool",
    "containerd",
}
_KOPS_CLUSTER = {
    "networking",
    "kubelet",
    "kubeProxy",
    "subnets",
    "cloudProvider",
    "kubernetesVersion",
    "cloudConfig",
    "api",
    "authorization",
    "channel",
    "configBase",
    "etcdClusters",
    "iam",
    "kubeAPIServer",
    "kubeControllerManager",
    "kubeScheduler",
    "kubeDNS",
    "kubernetesApiAccess",
    "masterPublicName",
    "networkCIDR",
    "networkID",
    "nonMasqueradeCIDR",
    "podCIDR",
    "serviceClusterIPRange",
    "sshAccess",
    "topology",
    "containerd",
    "controlPlaneKubelet",
    "masterKubelet",
    "externalDns",
    "certManager",
    "awsLoadBalancerController",
    "metricsServer",
    "clusterAutoscaler",
    "nodeTerminationHandler",
    "additionalPolicies",
    "docker",
    "dnsZone",
    "sshKeyName",
    "cloudLabels",
    "legacyCloudProvider",
    "serviceAccountIssuerDiscovery",
    "kubeProxyReplacement",
    "addons",
    "podIdentityWebhook",
    "snapshotController",
    "karpenter",
    "nodeProblemDetector",
    "fileAssets",
    "hooks",
    "assets",
    "updatePolicy",
    "secretStore",
    "keyStore",
}


def read_kops(
    docs: list[Mapping[str, Any]], source: str = "<kops>", *, table: pd.DataFrame | None = None
) -> ClusterInput:
    """Read ``kops get -o yaml`` output: one Cluster and its InstanceGroups.

    Instance groups become node groups (kOps overhead: no kube-reserved) with ``minSize`` nodes;
    maxPods is the group's ``kubelet.maxPods``, else the cluster's, else kOps' amazonvpc value;
    ControlPlane / Master groups get the control-plane taint; zones and CIDRs come from the
    cluster's ``spec.subnets``; Bastion groups are skipped (they are not nodes).

    Parameters
    ----------
    docs : list of mapping
        The parsed documents (one Cluster, its InstanceGroups).
    source : str
        File name for messages.

    Returns
    -------
    ClusterInput
        With kOps' system pods (aws-node, kube-proxy with ``spec.kubeProxy.cpuRequest``, CoreDNS
        and its autoscaler, the EBS CSI driver unless disabled).
    """
    clusters = [(i, d) for i, d in enumerate(docs) if d.get("kind") == "Cluster"]
    igs = [(i, d) for i, d in enumerate(docs) if d.get("kind") == "InstanceGroup"]
    skipped = [
        f"{d.get('kind')} {(d.get('metadata') or {}).get('name', '?')} ({source}, document {i})"
        for i, d in enumerate(docs)
        if d.get("kind") not in ("Cluster", "InstanceGroup")
    ]
    if len(clusters) != 1:
        raise InvalidManifestError(
            f"{source}: expected exactly one kind: Cluster, found {len(clusters)}"
        )
    if not igs:
        raise InvalidManifestError(f"{source}: no kind: InstanceGroup documents")
    ci, cl = clusters[0]
    spec = cl.get("spec") or {}
    where_c = f"{source}, document {ci} (Cluster)"
    _warn_unknown(f"{where_c}, spec", spec, _KOPS_CLUSTER)
    networking = spec.get("networking") or {}
    if not isinstance(networking, Mapping):
        raise InvalidManifestError(f"{where_c}, spec.networking: expected a mapping")
    net_name, vpc_ipam, pod_network, agent = _kops_networking(spec, networking, where_c)
    vpc = networking.get("amazonvpc") or networking.get("amazonVPC") or {}
    cni = VpcCni.from_env(_kops_env(vpc.get("env"), f"{where_c}, spec.networking.amazonvpc.env"))
    cluster_kubelet = spec.get("kubelet") or {}
    if not isinstance(cluster_kubelet, Mapping):
        raise InvalidManifestError(f"{where_c}, spec.kubelet: expected a mapping")
    cluster_max = cluster_kubelet.get("maxPods")
    nvidia_cluster = _kops_nvidia(spec)
    kube_proxy_cpu = str((spec.get("kubeProxy") or {}).get("cpuRequest") or "100m")
    subnet_zone: dict[str, str] = {}
    subnet_spec: dict[str, Subnet] = {}
    for j, sn in enumerate(spec.get("subnets") or []):
        if not isinstance(sn, Mapping) or "name" not in sn:
            raise InvalidManifestError(
                f"{where_c}, spec.subnets[{j}]: expected {{name, zone, cidr}}"
            )
        subnet_zone[str(sn["name"])] = str(sn.get("zone", sn["name"]))
        if sn.get("cidr"):
            try:
                subnet_spec[str(sn["name"])] = Subnet(
                    str(sn["cidr"]), str(sn.get("zone", sn["name"])), name=str(sn["name"])
                )
            except PodcapError as exc:
                raise InvalidManifestError(f"{where_c}, spec.subnets[{j}].cidr: {exc}") from None
    groups = []
    for i, ig in igs:
        meta = ig.get("metadata") or {}
        where = f"{source}, document {i} (InstanceGroup {meta.get('name', '?')})"
        igs_spec = ig.get("spec") or {}
        if "machineType" not in igs_spec:
            raise InvalidManifestError(f"{where}: missing field spec.machineType")
        role = igs_spec.get("role", "Node")
        _warn_unknown(where, ig, {"apiVersion", "kind", "metadata", "spec"})
        _warn_unknown(f"{where}, spec", igs_spec, _KOPS_IG)
        if role == "Bastion":
            skipped.append(
                f"InstanceGroup {meta.get('name', '?')} (role Bastion: an SSH host, not a node)"
            )
            continue
        if role not in ("Node", "ControlPlane", "Master", "APIServer"):
            raise InvalidManifestError(
                f"{where}, spec.role: invalid {role!r}; valid: Node, ControlPlane, Master, "
                "APIServer, Bastion"
            )
        count = igs_spec.get("minSize", 1)
        if isinstance(count, bool) or not isinstance(count, int) or count < 0:
            raise InvalidManifestError(
                f"{where}, spec.minSize: expected an integer >= 0, got {count!r}"
            )
        top = igs_spec.get("maxSize")
        if top is not None and (isinstance(top, bool) or not isinstance(top, int) or top < count):
            raise InvalidManifestError(
                f"{where}, spec.maxSize: expected an integer >= minSize ({count}), got {top!r}"
            )
        names = [str(s) for s in igs_spec.get("subnets") or []]
        unknown = [s for s in names if s not in subnet_zone]
        if unknown:
            raise InvalidManifestError(
                f"{where}, spec.subnets: {', '.join(unknown)} not in the Cluster's spec.subnets"
            )
        zones = tuple(sorted({subnet_zone[s] for s in names})) or None
        taints = list(igs_spec.get("taints") or [])
        labels = dict(igs_spec.get("nodeLabels") or {})
        if role in ("ControlPlane", "Master"):
            taints.append("node-role.kubernetes.io/control-plane:NoSchedule")
            labels.setdefault("node-role.kubernetes.io/control-plane", "")
        ig_kubelet = igs_spec.get("kubelet") or {}
        if not isinstance(ig_kubelet, Mapping):
            raise InvalidManifestError(f"{where}, spec.kubelet: expected a mapping")
        max_pods = ig_kubelet.get("maxPods", cluster_max)
        # nodeup sets maxPods from the ENIs only for amazonvpc and Cilium's ENI IPAM
        # (nodeup/pkg/model/kubelet.go); any other networking keeps the kubelet's default
        policy = "kops" if vpc_ipam else "kubelet"
        # kOps merges the instance group's kubelet over the cluster's, key by key
        reservations = kubelet_config({**cluster_kubelet, **ig_kubelet}, f"{where}, spec.kubelet")
        extended: dict[str, int] = {}
        if nvidia_cluster or _kops_nvidia(igs_spec):
            extended = (
                device_resources(str(igs_spec["machineType"]), ["nvidia"], table)
                if (_known_type(str(igs_spec["machineType"]), table))
                else {}
            )
            if extended:
                # populate_instancegroup_spec.go: GPU nodes get this label and taint
                labels.setdefault("kops.k8s.io/gpu", "1")
                if not any(str(t).startswith("nvidia.com/gpu") for t in taints):
                    taints.append("nvidia.com/gpu:NoSchedule")
        elif _known_type(str(igs_spec["machineType"]), table) and device_resources(
            str(igs_spec["machineType"]), ["nvidia"], table
        ):
            skipped.append(
                f"{where}: {igs_spec['machineType']} has NVIDIA GPUs but kOps installs the "
                "NVIDIA device plugin only with containerd.nvidiaGPU.enabled: true, so the "
                "nodes offer no nvidia.com/gpu"
            )
        root_gib = igs_spec.get("rootVolumeSize")
        if root_gib is None and isinstance(igs_spec.get("rootVolume"), Mapping):
            root_gib = igs_spec["rootVolume"].get("size")
        if root_gib is not None and (
            isinstance(root_gib, bool) or not isinstance(root_gib, (int, float)) or root_gib <= 0
        ):
            raise InvalidManifestError(
                f"{where}, spec.rootVolumeSize: expected a size in GiB > 0, got {root_gib!r}"
            )
        group_subnets = tuple(
            {subnet_spec[s].zone: subnet_spec[s] for s in names if s in subnet_spec}.values()
        )
        if group_subnets and len(group_subnets) != len(zones or []):
            group_subnets = ()
        try:
            check_instance_type(str(igs_spec["machineType"]), table)
            group = NodeGroup(
                str(meta.get("name", f"ig-{i}")).lower(),
                str(igs_spec["machineType"]),
                count,
                zones=zones,
                max_pods=max_pods,
                max_pods_policy=policy,
                overhead="kops",
                cni=cni,
                labels=labels,
                taints=tuple(taints),
                subnets=group_subnets,
                extended_resources=extended or None,
                pod_network=pod_network,
                min_count=count if top is not None else None,
                max_count=top,
            )
            if reservations is not None or root_gib is not None:
                group = apply_node_config(
                    group,
                    reservations,
                    root_volume_gib=None if root_gib is None else float(root_gib),
                    table=table,
                )
            groups.append(group)
        except InvalidManifestError:
            raise
        except PodcapError as exc:
            raise InvalidManifestError(f"{where}: {exc}") from None
    ebs = ((spec.get("cloudConfig") or {}).get("awsEBSCSIDriver") or {}).get("enabled", True)
    ca_spec = mapping_field(spec.get("clusterAutoscaler"), f"{where_c}, spec.clusterAutoscaler")
    autoscaler = None
    if ca_spec.get("enabled") is True:
        try:
            autoscaler = ClusterAutoscaler(
                expander=ca_spec.get("expander", "least-waste"),
                scale_down_utilization_threshold=float(
                    ca_spec.get("scaleDownUtilizationThreshold", 0.5)
                ),
                skip_nodes_with_system_pods=bool(ca_spec.get("skipNodesWithSystemPods", True)),
            )
        except (PodcapError, TypeError, ValueError) as exc:
            raise InvalidManifestError(f"{where_c}, spec.clusterAutoscaler: {exc}") from None
    zoneless = [g.name for g in groups if not g.zones]
    if zoneless:
        why = "the InstanceGroup names no spec.subnets with a zone in the Cluster's spec.subnets"
        skipped.append(zone_unknown_note(zoneless, why))
    return ClusterInput(
        _cluster(groups, table, source),
        "kOps Cluster + InstanceGroups",
        kops_system_pods(
            kube_proxy_cpu, ebs_csi=bool(ebs), cni=net_name, cni_cpu=agent[0], cni_memory=agent[1]
        ),
        skipped=skipped,
        cluster_autoscaler=autoscaler,
    )


#: kOps' default ``nonMasqueradeCIDR`` (``upup/pkg/fi/cloudup/defaults.go``); its ``podCIDR``
#: defaults to the upper half (``populate_cluster_spec.go`` assignSubnets): 100.96.0.0/11.
KOPS_DEFAULT_NON_MASQUERADE_CIDR = "100.64.0.0/10"
#: kOps networking options and the name podcap models them by.
_KOPS_NETWORKING = {
    "amazonvpc": "amazonvpc",
    "amazonVPC": "amazonvpc",
    "calico": "calico",
    "cilium": "cilium",
    "flannel": "flannel",
    "canal": "canal",
    "kuberouter": "kuberouter",
    "kubeRouter": "kuberouter",
    "kopeio": "kopeio",
    "kindnet": "kindnet",
    "kubenet": "kubenet",
}


def _known_type(instance_type: str, table: pd.DataFrame | None) -> bool:
    try:
        check_instance_type(instance_type, table)
    except UnknownInstanceTypeError:
        return False
    return True


def _kops_nvidia(spec: Mapping[str, Any]) -> bool:
    """``containerd.nvidiaGPU.enabled`` of a cluster or instance group spec."""
    containerd = spec.get("containerd") or {}
    gpu = containerd.get("nvidiaGPU") if isinstance(containerd, Mapping) else None
    return isinstance(gpu, Mapping) and gpu.get("enabled") is True


def _kops_pod_cidr(spec: Mapping[str, Any], networking: Mapping[str, Any]) -> str:
    """The cluster CIDR kube-controller-manager splits into node CIDRs, as kOps sets it:
    ``kubeControllerManager.clusterCIDR``, else ``podCIDR`` (v1alpha2 ``spec.podCIDR``,
    v1alpha3 ``spec.networking.podCIDR``), else the upper half of ``nonMasqueradeCIDR``."""
    kcm = spec.get("kubeControllerManager") or {}
    given = (
        (kcm.get("clusterCIDR") if isinstance(kcm, Mapping) else None)
        or spec.get("podCIDR")
        or networking.get("podCIDR")
    )
    if given:
        return str(given)
    nm = str(
        spec.get("nonMasqueradeCIDR")
        or networking.get("nonMasqueradeCIDR")
        or KOPS_DEFAULT_NON_MASQUERADE_CIDR
    )
    net = ipaddress.ip_network(nm, strict=False)
    if not isinstance(net, ipaddress.IPv4Network) or net.prefixlen >= 32:
        return str(net)
    upper = list(net.subnets(prefixlen_diff=1))[1]
    return str(upper)


def _kops_networking(
    spec: Mapping[str, Any], networking: Mapping[str, Any], where: str
) -> tuple[str, bool, PodNetwork | None, tuple[str | None, str | None]]:
    """The networking option of a kOps cluster: its name, whether pods take VPC addresses
    (amazonvpc, Cilium with ``ipam: eni``), the pod network otherwise, and the CNI agent's
    requests when the spec sets them."""
    options = [k for k in networking if k in _KOPS_NETWORKING]
    other = [
        k
        for k in networking
        if k not in _KOPS_NETWORKING
        and k
        not in (
            "podCIDR",
            "nonMasqueradeCIDR",
            "serviceClusterIPRange",
            "networkCIDR",
            "networkID",
            "subnets",
            "topology",
            "tagSubnets",
            "egressProxy",
            "additionalNetworkCIDRs",
            "isolateControlPlane",
        )
    ]
    if len(options) > 1:
        raise InvalidManifestError(
            f"{where}, spec.networking: one networking option expected, found {', '.join(options)}"
        )
    if not options:
        if other:
            warnings.warn(
                f"{where}: networking {', '.join(other)} is not modelled; pod addresses are "
                "modelled with the VPC CNI",
                PodcapWarning,
                stacklevel=3,
            )
        else:
            warnings.warn(
                f"{where}: no spec.networking option; pod addresses are modelled with the VPC "
                "CNI (amazonvpc)",
                PodcapWarning,
                stacklevel=3,
            )
        return "amazonvpc", True, None, (None, None)
    key = options[0]
    name = _KOPS_NETWORKING[key]
    settings = networking.get(key) or {}
    if not isinstance(settings, Mapping):
        raise InvalidManifestError(f"{where}, spec.networking.{key}: expected a mapping")
    agent = (
        str(settings["cpuRequest"]) if settings.get("cpuRequest") else None,
        str(settings["memoryRequest"]) if settings.get("memoryRequest") else None,
    )
    if name == "amazonvpc":
        return name, True, None, agent
    if name == "cilium" and settings.get("ipam") == "eni":
        warnings.warn(
            f"{where}: Cilium's ENI IPAM is modelled with the VPC CNI's ENI rules (its own "
            "pre-allocation settings are not modelled)",
            PodcapWarning,
            stacklevel=3,
        )
        return name, True, None, agent
    cidr = _kops_pod_cidr(spec, networking)
    kcm = spec.get("kubeControllerManager") or {}
    mask = kcm.get("nodeCIDRMaskSize") if isinstance(kcm, Mapping) else None
    try:
        network = PodNetwork(name, cidr, DEFAULT_NODE_CIDR_MASK_SIZE if mask is None else mask)
    except PodcapError as exc:
        raise InvalidManifestError(f"{where}, spec.networking: {exc}") from None
    return name, False, network, agent


def read_cluster_input(
    source: str | os.PathLike[str],
    *,
    system_pods: bool = True,
    cni: VpcCni | None = None,
    table: pd.DataFrame | None = None,
    variables: Mapping[str, Any] | None = None,
    var_files: Sequence[str | os.PathLike[str]] = (),
    cluster_name: str | None = None,
    node_config: NodeConfigSource | Mapping[str, NodeConfigSource] | None = None,
    ebs_csi: EbsCsiDriver | None = None,
) -> ClusterInput:
    """Read a cluster file as written, detecting its format (:func:`podcap.read_cluster` turns
    this into a cluster state).

    Parameters
    ----------
    source : path
        A podcap cluster file, an eksctl ClusterConfig, a ``kops get -o yaml`` file, a Terraform
        directory (or ``.tf`` file) using terraform-aws-modules/eks/aws, or a kubectl JSON
        snapshot (a file or a directory of JSON files).
    system_pods : bool
        Include the system pods the format implies (False: an empty cluster).
    cni : VpcCni, optional
        VPC CNI settings of a kubectl snapshot (they are not in the objects kubectl returns).
    table : pandas.DataFrame, optional
        The instance table of the cluster (see :class:`podcap.Cluster`); default the bundled one.
    variables : mapping, optional
        Terraform: variable values (``-var``), and values of module-block attributes by
        address (``{"module.eks.eks_managed_node_groups.default.desired_size": 3}``).
    var_files : sequence of path, optional
        Terraform: ``.tfvars`` files to load after ``terraform.tfvars`` and ``*.auto.tfvars``.
    cluster_name : str, optional
        Terraform: the cluster to read when the directory has several (its name or module
        address).
    node_config : path, str, mapping, optional
        nodeadm NodeConfig(s) the nodes boot with: a file or text (YAML or MIME user data) or a
        parsed document, for every node group; or a mapping of node-group name (``"*"`` for
        every group) to one of those.
    ebs_csi : EbsCsiDriver, optional
        The EBS CSI driver's node flags for every node group, over what the file says.

    Raises
    ------
    InvalidManifestError
        When the file is none of the formats: the message lists each format tried and why it
        did not match, or names the field that is wrong in the format it is.
    """
    path = Path(source)
    terraform = (path.is_dir() and any(path.glob("*.tf"))) or (
        path.is_file() and path.suffix == ".tf"
    )
    if terraform:
        clusters = read_terraform(path, variables=variables, var_files=var_files, table=table)
        tc = select_cluster(clusters, cluster_name, str(path))
        auto = (
            None
            if tc.auto_mode is None
            else _auto_mode(list(tc.auto_mode), f"{tc.where}, {tc.address}.compute_config", ())
        )
        result = ClusterInput(
            tc.cluster,
            f"Terraform terraform-aws-modules/eks/aws v{tc.version}: {tc.address} "
            f"(cluster {tc.name})" + (" (EKS Auto Mode)" if auto else ""),
            [] if auto else eks_system_pods(set(tc.addons)),
            skipped=list(tc.skipped),
            karpenter=auto,
        )
    else:
        given = [
            flag
            for flag, value in (
                ("variables", variables),
                ("var_files", var_files),
                ("cluster_name", cluster_name),
            )
            if value
        ]
        if given:
            raise InvalidManifestError(
                f"{path}: {', '.join(given)} (--var, --var-file, --cluster-name) apply to "
                "Terraform directories and .tf files only"
            )
        result = _read_file(path, cni=cni, table=table)
    if node_config is not None:
        if result.format == "kubectl JSON snapshot":
            raise InvalidManifestError(
                f"{path}: a snapshot's nodes report their real allocatable; a NodeConfig does "
                "not apply to them"
            )
        result.cluster = apply_to_cluster(result.cluster, _node_configs(node_config), table=table)
    if ebs_csi is not None:
        groups = [replace(g, ebs_csi=ebs_csi) for g in result.cluster.node_groups]
        result.cluster = Cluster(groups, table=result.cluster.table)
    if not system_pods:
        result.system_pods = []
    return result


def _yaml_documents(path: Path) -> list[tuple[Path, list[Any]]]:
    """The documents of a YAML file, or of each ``*.yaml`` / ``*.yml`` file of a directory."""
    files = sorted([*path.glob("*.yaml"), *path.glob("*.yml")]) if path.is_dir() else [path]
    out = []
    for f in files:
        try:
            out.append((f, [d for d in _yaml.load_all(read_text(f), str(f)) if d is not None]))
        except yaml.YAMLError as exc:
            raise InvalidManifestError(f"{f}: not valid YAML: {exc}") from None
    return out


def read_node_pools(source: str | os.PathLike[str]) -> tuple[Karpenter, list[str]]:
    """Karpenter NodePools and EC2NodeClasses from a YAML file or a directory of them.

    Returns
    -------
    (Karpenter, list of str)
        The settings, and the documents not used (each named).
    """
    path = Path(source)
    found: list[tuple[int, Any]] = []
    skipped: list[str] = []
    for f, docs in _yaml_documents(path):
        for i, d in enumerate(docs):
            if is_karpenter(d):
                found.append((i, d))
            else:
                kind = d.get("kind", "?") if isinstance(d, Mapping) else type(d).__name__
                skipped.append(f"{kind} ({f}, document {i}: not a Karpenter object)")
    if not any(d.get("kind") == "NodePool" for _, d in found):
        raise InvalidManifestError(
            f"{path}: no Karpenter NodePool (apiVersion karpenter.sh/v1, kind NodePool) in it"
        )
    karpenter, extra = read_karpenter(found, str(path))
    return karpenter, [*skipped, *extra]


def _node_configs(
    value: NodeConfigSource | Mapping[str, NodeConfigSource],
) -> dict[str, NodeConfig]:
    """NodeConfigs by node group (``"*"``: every group)."""
    if isinstance(value, Mapping) and not ({"apiVersion", "kind", "spec"} & set(value)):
        return {str(k): _node_config(v) for k, v in value.items()}
    return {"*": _node_config(value)}


def _node_config(value: NodeConfigSource) -> NodeConfig:
    if isinstance(value, Mapping):
        return NodeConfig.from_document(value, "<NodeConfig>")
    text_source = os.fspath(value)
    if isinstance(text_source, str) and "\n" in text_source:
        where, text = "<NodeConfig text>", text_source
    else:
        where = str(text_source)
        text = read_text(Path(text_source))
    configs = read_node_configs(text, where)
    merged = NodeConfig.merged(configs)
    if merged is None:
        raise InvalidManifestError(
            f"{where}: no NodeConfig (apiVersion node.eks.aws/v1alpha1, kind NodeConfig) in it, "
            "nor in a MIME part of type application/node.eks.aws"
        )
    return merged


def _read_file(path: Path, *, cni: VpcCni | None, table: pd.DataFrame | None) -> ClusterInput:
    """A cluster file (or snapshot directory) in any format but Terraform."""
    if path.is_dir():
        files = sorted(path.glob("*.json"))
        karpenter_docs: list[tuple[int, Any]] = []
        other: list[Any] = []
        for _, docs in _yaml_documents(path):
            karpenter_docs += [(i, d) for i, d in enumerate(docs) if is_karpenter(d)]
            other += [d for d in docs if not is_karpenter(d)]
        if not files and not karpenter_docs:
            raise InvalidManifestError(
                f"{path}: a snapshot directory needs *.json files from kubectl (or *.yaml "
                "Karpenter NodePools and EC2NodeClasses beside them)"
            )
        if files:
            snap = read_snapshot(files, cni=cni, table=table)
            result = ClusterInput(
                snap.cluster,
                "kubectl JSON snapshot",
                [],
                snap.manifests,
                snap.existing,
                snap.skipped,
            )
            karpenter_docs = [*snap.karpenter, *karpenter_docs]
        elif other:
            result = _read_docs(path, other, cni=cni, table=table, whole=False)
        else:
            result = ClusterInput(
                _cluster([], table, str(path)), "Karpenter NodePools", eks_system_pods()
            )
        if karpenter_docs:
            karpenter, extra = read_karpenter(karpenter_docs, str(path))
            result.karpenter = karpenter
            result.skipped = [*result.skipped, *extra]
        return result
    text = read_text(path)
    stripped = text.lstrip()
    if stripped.startswith(("{", "[")):
        try:
            parsed = json.loads(text)
        except json.JSONDecodeError as exc:
            raise InvalidManifestError(
                f"{path}: malformed JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}"
            ) from None
        looks_like_kubectl = isinstance(parsed, Mapping) and (
            parsed.get("kind") in ("List", "Node", "NodeList", "PodList", "Pod")
            or isinstance(parsed.get("items"), list)
        )
        if isinstance(parsed, Mapping) and not looks_like_kubectl:
            text = yaml.safe_dump(parsed)  # eksctl, kOps or podcap cluster files written as JSON
            stripped = ""
    if stripped.startswith(("{", "[")):
        snap = read_snapshot(path, cni=cni, table=table)
        result = ClusterInput(
            snap.cluster, "kubectl JSON snapshot", [], snap.manifests, snap.existing, snap.skipped
        )
        if snap.karpenter:  # kubectl get nodepools,ec2nodeclasses -o json in the same List
            result.karpenter, extra = read_karpenter(snap.karpenter, str(path))
            result.skipped = [*result.skipped, *extra]
        return result
    try:
        docs = [d for d in _yaml.load_all(text, str(path)) if d is not None]
    except yaml.YAMLError as exc:
        raise InvalidManifestError(f"{path}: not valid YAML or JSON: {exc}") from None
    karpenter_docs = [(i, d) for i, d in enumerate(docs) if is_karpenter(d)]
    maps = [d for d in docs if isinstance(d, Mapping) and not is_karpenter(d)]
    if karpenter_docs:
        karpenter, karpenter_skipped = read_karpenter(karpenter_docs, str(path))
        if not maps:
            # NodePools alone: an EKS cluster whose nodes Karpenter launches
            return ClusterInput(
                _cluster([], table, str(path)),
                "Karpenter NodePools",
                eks_system_pods(),
                skipped=karpenter_skipped,
                karpenter=karpenter,
            )
        rest = [d for d in docs if not is_karpenter(d)]
        result = _read_docs(path, rest, cni=cni, table=table, whole=False)
        result.karpenter = karpenter
        result.skipped = [*result.skipped, *karpenter_skipped]
        return result
    return _read_docs(path, docs, cni=cni, table=table)


def _read_docs(
    path: Path,
    docs: list[Any],
    *,
    cni: VpcCni | None,
    table: pd.DataFrame | None,
    whole: bool = True,
) -> ClusterInput:
    """The cluster of a YAML file's documents (eksctl, kOps or a podcap cluster file)."""
    reasons: list[str] = []
    maps = [d for d in docs if isinstance(d, Mapping)]
    api = {str(d.get("apiVersion", "")) for d in maps}
    if any(a.startswith("eksctl.io/") for a in api):
        doc = next(d for d in maps if str(d.get("apiVersion", "")).startswith("eksctl.io/"))
        result = read_eksctl(doc, str(path), table=table)
    elif any(a.startswith("kops.k8s.io/") for a in api):
        result = read_kops(maps, str(path), table=table)
    elif len(maps) == 1 and "nodeGroups" in maps[0] and not maps[0].get("apiVersion"):
        cluster = load_cluster(path if whole else maps[0], table=table)
        zoneless = [g.name for g in cluster.node_groups if not g.zones]
        notes = [zone_unknown_note(zoneless, "no zones given")] if zoneless else []
        result = ClusterInput(cluster, "podcap cluster file", [], skipped=notes)
    else:
        reasons.append("podcap cluster file: needs a top-level 'nodeGroups' list and no apiVersion")
        reasons.append(
            f"eksctl ClusterConfig: needs apiVersion eksctl.io/v1alpha5 (found {', '.join(sorted(api)) or 'none'})"
        )
        reasons.append(
            "kOps: needs apiVersion kops.k8s.io/v1alpha2 documents (Cluster, InstanceGroup)"
        )
        reasons.append("kubectl JSON snapshot: needs JSON from kubectl get nodes -o json")
        reasons.append("Terraform: needs a directory of .tf files or a .tf file")
        raise InvalidManifestError(
            f"{path}: not a cluster file podcap knows. Tried: " + "; ".join(reasons)
        )
    return result
