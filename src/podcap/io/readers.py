"""Read podcap's cluster YAML into a :class:`~podcap.model.specs.Cluster` (an edge).

Schema (Kubernetes spelling; every field but ``name``, ``instanceType`` and ``count`` optional)::

    nodeGroups:
      - name: workers
        instanceType: c5d.large
        count: 2
        zones: [ap-northeast-2a, ap-northeast-2c]
        maxPods: 100                 # kubelet maxPods; default from maxPodsPolicy
        maxPodsPolicy: kops          # eni-max-pods | calculator | nodeadm | karpenter | kops | kubelet | windows
        overhead: kops               # eks | karpenter | kops | none
        cniVersion: "1.18.0"
        cni:                         # aws-node environment variables
          ENABLE_PREFIX_DELEGATION: "true"
        labels: {team: web}
        taints: ["dedicated=web:NoSchedule"]
        unschedulable: false
        extendedResources: {nvidia.com/gpu: 1}
        subnets:                     # one per zone (optional)
          - {cidr: 10.0.0.0/24, zone: ap-northeast-2a, used: 12}
          - {cidr: 10.0.1.0/24, zone: ap-northeast-2c,
             reservations: [{cidr: 10.0.1.0/26, type: prefix}]}
        podSubnets:                  # ENIConfig subnets with AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG
          - {cidr: 100.64.0.0/20, zone: ap-northeast-2a}
        discoverySubnets:            # subnets tagged kubernetes.io/role/cni (ENABLE_SUBNET_DISCOVERY)
          - {cidr: 100.64.16.0/20, zone: ap-northeast-2c}

``discoverySubnets`` exists only here: eksctl's ``vpc.subnets`` and kOps' ``spec.subnets`` carry
no tags, and the Terraform reader does not read the VPC's subnets.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from podcap import _yaml
from podcap.errors import InvalidManifestError, InvalidSpecError, PodcapError
from podcap.model.capacity import DEFAULT_CNI_VERSION, WINDOWS_IP_RESOURCE, windows_pod_addresses
from podcap.model.instances import check_instance_type
from podcap.model.specs import Cluster, NodeGroup, VpcCni
from podcap.model.subnets import Subnet

__all__ = ["load_cluster", "windows_node_group", "zone_unknown_note"]

#: ``node.kubernetes.io/windows-build`` of the EKS Windows AMIs' nodes, by Windows Server release
#: (real nodes: 10.0.17763 in aws/amazon-vpc-cni-k8s #1783, 10.0.20348 in
#: TensorWorks/DirectX-Device-Plugins #2).
WINDOWS_BUILDS = {"2019": "10.0.17763", "2022": "10.0.20348"}


def zone_unknown_note(groups: list[str], why: str) -> str:
    """What a reader tells the user about node groups whose zone its source does not say: their
    nodes have no zone label (``why``: what the source lacks, and how to give the zones)."""
    return (
        f"zone unknown for node group(s) {', '.join(groups)}: {why}; their nodes have no "
        "topology.kubernetes.io/zone label (zone spreading and zone affinity skip them)"
    )


def windows_node_group(
    group: NodeGroup, release: str | None = None, table: pd.DataFrame | None = None
) -> NodeGroup:
    """A node group of EKS Windows nodes (eksctl ``amiFamily: WindowsServer2022CoreContainer``,
    Terraform ``ami_type = "WINDOWS_CORE_2022_x86_64"``, ...), from the group a reader built.

    On a Windows node the VPC resource controller, not ipamd, hands out pod addresses: secondary
    IPv4 addresses of the primary ENI only (:func:`~podcap.model.capacity.windows_pod_addresses`),
    advertised as :data:`~podcap.model.capacity.WINDOWS_IP_RESOURCE`, which its webhook adds to
    every Windows pod; prefix delegation, custom networking, security groups for pods and IPv6 do
    not apply (EKS User Guide, "Deploy Windows nodes on EKS clusters").  So the group gets the
    kubelet's own maxPods (the ``"windows"`` policy, 110, unless the source gives ``max_pods``),
    pod addresses from one ENI (``VpcCni(max_eni=1)``, secondary IPs), that many
    ``WINDOWS_IP_RESOURCE``, the ``kubernetes.io/os: windows`` labels (and the release's
    ``node.kubernetes.io/windows-build``) and no taint: eksctl and EKS add none, so a pod
    without a node selector may be scheduled there, as it is on a real cluster.

    Parameters
    ----------
    group : NodeGroup
        The group as the reader built it (instance type, count, zones, labels, taints, ...).
    release : str, optional
        The Windows Server release (``"2019"``, ``"2022"``, ``"2025"``).
    table : pandas.DataFrame, optional
        Instance table; default the bundled one.

    Returns
    -------
    NodeGroup

    Raises
    ------
    InvalidSpecError
        For an IPv6 cluster (EKS runs no Windows nodes there).
    """
    cni = group.cni_settings
    if cni.ip_family == "ipv6":
        raise InvalidSpecError(
            f"node group {group.name!r}: Windows nodes cannot join an IPv6 cluster (EKS User "
            "Guide, Deploy Windows nodes on EKS clusters); use an IPv4 cluster or Linux nodes"
        )
    addresses = int(windows_pod_addresses(group.instance_type, table=table))
    labels = {
        **dict(group.labels or {}),
        "kubernetes.io/os": "windows",
        "beta.kubernetes.io/os": "windows",
    }
    if release in WINDOWS_BUILDS:
        labels.setdefault("node.kubernetes.io/windows-build", WINDOWS_BUILDS[release])
    return replace(
        group,
        max_pods_policy="windows",
        cni=VpcCni(max_eni=1, cni_version=cni.cni_version),
        labels=labels,
        extended_resources={**dict(group.extended_resources or {}), WINDOWS_IP_RESOURCE: addresses},
    )


_FIELDS = {
    "name",
    "instanceType",
    "count",
    "zones",
    "maxPods",
    "maxPodsPolicy",
    "overhead",
    "cniVersion",
    "cni",
    "labels",
    "taints",
    "unschedulable",
    "extendedResources",
    "subnets",
    "podSubnets",
    "discoverySubnets",
}


def _subnets(value: Any, loc: str) -> tuple[Subnet, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        raise InvalidManifestError(f"{loc}: expected a list of {{cidr, zone, used, reservations}}")
    out = []
    for i, item in enumerate(value):
        where = f"{loc}[{i}]"
        if not isinstance(item, Mapping) or "cidr" not in item or "zone" not in item:
            raise InvalidManifestError(f"{where}: expected a mapping with 'cidr' and 'zone'")
        unknown = sorted(set(item) - {"cidr", "zone", "used", "reservations", "name"})
        if unknown:
            raise InvalidManifestError(
                f"{where}: unknown field(s) {', '.join(map(str, unknown))}; valid: cidr, zone, used, reservations, name"
            )
        used = item.get("used", 0)
        if isinstance(used, bool) or not isinstance(used, (int, list)):
            raise InvalidManifestError(
                f"{where}.used: expected a number of addresses or a list of addresses, got "
                f"{type(used).__name__}"
            )
        try:
            out.append(
                Subnet(
                    str(item["cidr"]),
                    str(item["zone"]),
                    used=used if isinstance(used, int) else tuple(used),
                    reservations=tuple(item.get("reservations") or ()),
                    name=str(item.get("name") or ""),
                )
            )
        except PodcapError as exc:
            raise InvalidManifestError(f"{where}: {exc}") from None
    return tuple(out)


def _did_you_mean(names: list[str], valid: list[str]) -> str:
    parts = []
    for name in names:
        close = difflib.get_close_matches(name, valid, n=1, cutoff=0.6)
        parts.append(f"{name!r} (did you mean {close[0]!r}?)" if close else repr(name))
    return ", ".join(parts)


def load_cluster(
    source: str | os.PathLike[str] | Mapping[str, Any], *, table: pd.DataFrame | None = None
) -> Cluster:
    """Load a cluster from podcap's cluster YAML (a path, YAML text or a parsed mapping).

    Parameters
    ----------
    source : path, str or mapping
        The file, its YAML text, or the parsed document (schema in this module's docstring).
    table : pandas.DataFrame, optional
        The instance table of the cluster (see :class:`podcap.Cluster`); default the bundled one.

    Returns
    -------
    Cluster

    Raises
    ------
    InvalidManifestError
        When the file is not valid YAML or a field is missing or invalid; the message names the
        file, the node group and the field.
    """
    if isinstance(source, Mapping):
        doc: Any = source
        where = "<cluster>"
    else:
        text_source = str(source)
        path = Path(text_source)
        if "\n" not in text_source and path.is_file():
            where = str(path)
            text = path.read_text()
        elif "\n" in text_source:
            where, text = "<cluster text>", text_source
        else:
            raise InvalidManifestError(f"{text_source}: no such cluster file")
        try:
            doc = _yaml.load(text, where)
        except yaml.YAMLError as exc:
            raise InvalidManifestError(f"{where}: not valid YAML: {exc}") from None
    if (
        not isinstance(doc, Mapping)
        or not isinstance(doc.get("nodeGroups"), list)
        or not doc["nodeGroups"]
    ):
        raise InvalidManifestError(
            f"{where}: expected a mapping with a non-empty list 'nodeGroups'"
        )
    extra = sorted(map(str, set(doc) - {"nodeGroups", "apiVersion", "kind", "metadata"}))
    if extra:
        raise InvalidManifestError(
            f"{where}: unknown top-level field(s) {_did_you_mean(extra, ['nodeGroups'])}; "
            "valid: nodeGroups"
        )
    groups = []
    for i, ng in enumerate(doc["nodeGroups"]):
        loc = f"{where}, nodeGroups[{i}]"
        if not isinstance(ng, Mapping):
            raise InvalidManifestError(f"{loc}: expected a mapping")
        for req in ("name", "instanceType", "count"):
            if req not in ng:
                raise InvalidManifestError(f"{loc}: missing field {req!r}")
        unknown = sorted(map(str, set(ng) - _FIELDS))
        if unknown:
            raise InvalidManifestError(
                f"{loc}: unknown field(s) {_did_you_mean(unknown, sorted(_FIELDS))}; "
                f"valid: {', '.join(sorted(_FIELDS))}"
            )
        try:
            env = ng.get("cni") or {}
            if not isinstance(env, Mapping):
                raise InvalidManifestError(
                    f"{loc}.cni: expected a mapping of aws-node environment variables"
                )
            version = ng.get("cniVersion", DEFAULT_CNI_VERSION)
            if not isinstance(version, str):
                raise InvalidManifestError(
                    f'{loc}.cniVersion: expected a quoted string such as "1.18.0", got {version!r}'
                )
            unschedulable = ng.get("unschedulable", False)
            if not isinstance(unschedulable, bool):
                raise InvalidManifestError(
                    f"{loc}.unschedulable: expected true or false, got {unschedulable!r}"
                )
            taints: Any = ng.get("taints") or ()
            if isinstance(taints, str):
                taints = (taints,)
            if not isinstance(taints, (list, tuple)):
                raise InvalidManifestError(
                    f"{loc}.taints: expected a list of taints like 'key=value:NoSchedule', "
                    f"got {taints!r}"
                )
            subnets = _subnets(ng.get("subnets"), f"{loc}.subnets")
            pod_subnets = _subnets(ng.get("podSubnets"), f"{loc}.podSubnets")
            cni = VpcCni.from_env(env, cni_version=version)
            if pod_subnets:
                cni = replace(cni, pod_subnets=pod_subnets)
            tagged = _subnets(ng.get("discoverySubnets"), f"{loc}.discoverySubnets")
            if tagged:
                cni = replace(cni, discovery_subnets=tagged)
            check_instance_type(str(ng["instanceType"]), table)
            groups.append(
                NodeGroup(
                    name=ng["name"],
                    instance_type=ng["instanceType"],
                    count=ng["count"],
                    zones=ng.get("zones"),
                    max_pods=ng.get("maxPods"),
                    max_pods_policy=ng.get("maxPodsPolicy"),
                    overhead=ng.get("overhead", "eks"),
                    cni=cni,
                    labels=ng.get("labels"),
                    taints=tuple(taints),  # parsed and validated by NodeGroup
                    unschedulable=unschedulable,
                    extended_resources=ng.get("extendedResources"),
                    subnets=subnets,
                )
            )
        except InvalidManifestError:
            raise
        except PodcapError as exc:
            raise InvalidManifestError(f"{loc}: {exc}") from None
    try:
        return Cluster(groups, table=table)
    except PodcapError as exc:
        raise InvalidManifestError(f"{where}: {exc}") from None
