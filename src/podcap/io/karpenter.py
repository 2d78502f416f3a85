"""Karpenter documents: ``karpenter.sh/v1`` NodePool and ``karpenter.k8s.aws/v1`` EC2NodeClass.

Fields follow the v1 CRDs (kubernetes-sigs/karpenter ``pkg/apis/crds/karpenter.sh_nodepools.yaml``,
aws/karpenter-provider-aws ``pkg/apis/crds/karpenter.k8s.aws_ec2nodeclasses.yaml``).  Fields that
do not change what fits where (subnet and security-group selectors, the role, tags, user data)
are accepted and not used; a field podcap does not know is a warning.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Mapping, Sequence
from typing import Any

from podcap.errors import InvalidManifestError, PodcapError, PodcapWarning
from podcap.io.fields import mapping_field, quantity_map
from podcap.model.karpenter import (
    AMI_FAMILIES,
    DISRUPTION_REASONS,
    OPERATORS,
    Karpenter,
    NodeClass,
    NodePool,
    Requirement,
    restricted_label,
)
from podcap.model.quantity import parse_cpu, parse_memory, parse_quantity
from podcap.model.specs import Taint

__all__ = ["KARPENTER_APIS", "is_karpenter", "read_karpenter"]

#: API groups of the documents this module reads.
KARPENTER_APIS = ("karpenter.sh/", "karpenter.k8s.aws/")

_NODEPOOL_SPEC = {"template", "disruption", "limits", "weight", "replicas"}
_TEMPLATE_SPEC = {
    "requirements",
    "taints",
    "startupTaints",
    "nodeClassRef",
    "expireAfter",
    "terminationGracePeriod",
}
_NODECLASS_SPEC = {
    "amiFamily",
    "amiSelectorTerms",
    "kubelet",
    "blockDeviceMappings",
    "instanceStorePolicy",
    "subnetSelectorTerms",
    "securityGroupSelectorTerms",
    "capacityReservationSelectorTerms",
    "role",
    "instanceProfile",
    "tags",
    "userData",
    "metadataOptions",
    "detailedMonitoring",
    "associatePublicIPAddress",
    "context",
    "networkInterfaces",
    "ipPrefixCount",
}
_KUBELET = {
    "maxPods",
    "podsPerCore",
    "kubeReserved",
    "systemReserved",
    "evictionHard",
    "evictionSoft",
    "evictionSoftGracePeriod",
    "evictionMaxPodGracePeriod",
    "imageGCHighThresholdPercent",
    "imageGCLowThresholdPercent",
    "cpuCFSQuota",
    "clusterDNS",
}
_ALIASES = {
    "al2": "AL2",
    "al2023": "AL2023",
    "bottlerocket": "Bottlerocket",
    "windows2019": "Windows2019",
    "windows2022": "Windows2022",
    "windows2025": "Windows2025",
}
_GIB = 1 << 30


def is_karpenter(doc: Any) -> bool:
    """Whether a parsed document is a Karpenter object."""
    return isinstance(doc, Mapping) and str(doc.get("apiVersion", "")).startswith(KARPENTER_APIS)


def _warn(where: str, obj: Mapping[str, Any], known: set[str]) -> None:
    extra = sorted(str(k) for k in set(obj) - known)
    if extra:
        warnings.warn(
            f"{where}: field(s) not used by podcap, ignored: {', '.join(extra)}",
            PodcapWarning,
            stacklevel=3,
        )


def _duration(value: Any, where: str) -> float | None:
    """A Go duration (``30s``, ``1h30m``) in seconds; ``Never`` is None."""
    if value is None:
        return 0.0
    text = str(value)
    if text == "Never":
        return None
    parts = re.findall(r"(\d+(?:\.\d+)?)(h|ms|m|s)", text)
    if not parts or "".join(n + u for n, u in parts) != text:
        raise InvalidManifestError(
            f"{where}: {text!r} is not a duration like 30s, 5m, 1h30m or Never"
        )
    scale = {"h": 3600.0, "m": 60.0, "s": 1.0, "ms": 0.001}
    return sum(float(n) * scale[u] for n, u in parts)


def _restricted(key: str, where: str) -> None:
    problem = restricted_label(key)
    if problem:
        raise InvalidManifestError(f"{where}: {problem}")


def _requirement(raw: Any, where: str) -> Requirement:
    if not isinstance(raw, Mapping):
        raise InvalidManifestError(f"{where}: expected {{key, operator, values}}")
    _warn(where, raw, {"key", "operator", "values", "minValues"})
    op = raw.get("operator")
    if op not in OPERATORS:
        raise InvalidManifestError(f"{where}.operator: {op!r} is not one of {', '.join(OPERATORS)}")
    values = raw.get("values") or []
    if not isinstance(values, list):
        raise InvalidManifestError(f"{where}.values: expected a list")
    _restricted(str(raw.get("key", "")), where)
    try:
        return Requirement(
            str(raw.get("key", "")), op, tuple(str(v) for v in values), raw.get("minValues")
        )
    except PodcapError as exc:
        raise InvalidManifestError(f"{where}: {exc}") from None


def _taints(raw: Any, where: str) -> tuple[Taint, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise InvalidManifestError(f"{where}: expected a list of {{key, value, effect}}")
    try:
        return tuple(Taint.parse(t, where=f"{where}[{i}]") for i, t in enumerate(raw))
    except PodcapError as exc:
        raise InvalidManifestError(str(exc)) from None


def _limits(raw: Any, where: str) -> dict[str, int]:
    out: dict[str, int] = {}
    for key, value in mapping_field(raw, where).items():
        field = f"{where}.{key}"
        try:
            if key == "cpu":
                out["cpu"] = parse_cpu(value, field=field)
            elif key == "memory" or key.startswith("hugepages-") or key == "ephemeral-storage":
                out[str(key)] = parse_memory(value, field=field)
            else:
                q = parse_quantity(value, field=field)
                if q.denominator != 1 or q < 0:
                    raise InvalidManifestError(f"{field}: expected a whole count, got {value!r}")
                out[str(key)] = int(q)
        except InvalidManifestError:
            raise
        except PodcapError as exc:
            raise InvalidManifestError(str(exc)) from None
    return out


def _named(doc: Mapping[str, Any], where: str, kind: str) -> tuple[str, str]:
    """An object's (required) name, and ``where`` naming it."""
    meta = mapping_field(doc.get("metadata"), f"{where}.metadata")
    name = str(meta.get("name") or "")
    if not name:
        raise InvalidManifestError(f"{where}: metadata.name is required")
    return name, f"{where} ({kind} {name})"


def _node_pool(doc: Mapping[str, Any], where: str) -> NodePool | None:
    name, where = _named(doc, where, "NodePool")
    spec = mapping_field(doc.get("spec"), f"{where}.spec")
    _warn(f"{where}, spec", spec, _NODEPOOL_SPEC)
    if "replicas" in spec:
        return None  # a static NodePool: a fixed node count, not provisioned for pods
    template = mapping_field(spec.get("template"), f"{where}, spec.template")
    tmeta = mapping_field(template.get("metadata"), f"{where}, spec.template.metadata")
    tspec = mapping_field(template.get("spec"), f"{where}, spec.template.spec")
    _warn(f"{where}, spec.template.spec", tspec, _TEMPLATE_SPEC)
    if "kubelet" in tspec:
        raise InvalidManifestError(
            f"{where}, spec.template.spec.kubelet: kubelet settings moved to the EC2NodeClass in "
            "karpenter.sh/v1 (spec.kubelet there)"
        )
    reqs_raw = tspec.get("requirements") or []
    if not isinstance(reqs_raw, list):
        raise InvalidManifestError(f"{where}, spec.template.spec.requirements: expected a list")
    reqs = tuple(
        _requirement(r, f"{where}, spec.template.spec.requirements[{i}]")
        for i, r in enumerate(reqs_raw)
    )
    ref = mapping_field(tspec.get("nodeClassRef"), f"{where}, spec.template.spec.nodeClassRef")
    if not ref.get("name"):
        raise InvalidManifestError(
            f"{where}, spec.template.spec.nodeClassRef.name is required (the EC2NodeClass)"
        )
    disruption = mapping_field(spec.get("disruption"), f"{where}, spec.disruption")
    policy = disruption.get("consolidationPolicy", "WhenEmptyOrUnderutilized")
    if policy not in ("WhenEmptyOrUnderutilized", "WhenEmpty", "Balanced"):
        raise InvalidManifestError(
            f"{where}, spec.disruption.consolidationPolicy: {policy!r} is not one of "
            "WhenEmptyOrUnderutilized, WhenEmpty, Balanced"
        )
    budgets_raw = disruption.get("budgets") or [{"nodes": "10%"}]
    if not isinstance(budgets_raw, list):
        raise InvalidManifestError(f"{where}, spec.disruption.budgets: expected a list")
    budgets = []
    for j, b in enumerate(budgets_raw):
        if not isinstance(b, Mapping):
            raise InvalidManifestError(f"{where}, spec.disruption.budgets[{j}]: expected a mapping")
        if b.get("schedule"):
            continue  # active only in its schedule's windows: not applied offline
        nodes = str(b.get("nodes", "10%"))
        if not re.fullmatch(r"\d+%?", nodes) or (nodes.endswith("%") and int(nodes[:-1]) > 100):
            raise InvalidManifestError(
                f"{where}, spec.disruption.budgets[{j}].nodes: {nodes!r}; valid: a count such "
                "as 5 or a percentage from 0% to 100%"
            )
        reasons = b.get("reasons") or []
        if not isinstance(reasons, list) or not set(reasons) <= set(DISRUPTION_REASONS):
            raise InvalidManifestError(
                f"{where}, spec.disruption.budgets[{j}].reasons: {reasons!r}; valid: a list of "
                f"{', '.join(DISRUPTION_REASONS)}"
            )
        budgets.append((nodes, tuple(reasons)) if reasons else nodes)
    weight = spec.get("weight", 0)
    labels = {}
    for key, value in mapping_field(
        tmeta.get("labels"), f"{where}, spec.template.metadata.labels"
    ).items():
        if not isinstance(value, (str, int, float)) or isinstance(value, bool):
            raise InvalidManifestError(
                f"{where}, spec.template.metadata.labels.{key}: a label value must be a string, "
                f"got {value!r}"
            )
        _restricted(str(key), f"{where}, spec.template.metadata.labels")
        labels[str(key)] = str(value)
    try:
        return NodePool(
            name=name,
            requirements=reqs,
            labels=labels,
            taints=_taints(tspec.get("taints"), f"{where}, spec.template.spec.taints"),
            startup_taints=_taints(
                tspec.get("startupTaints"), f"{where}, spec.template.spec.startupTaints"
            ),
            limits=_limits(spec.get("limits"), f"{where}, spec.limits"),
            weight=weight,
            node_class=str(ref["name"]),
            consolidation_policy=policy,
            consolidate_after=_duration(
                disruption.get("consolidateAfter"), f"{where}, spec.disruption.consolidateAfter"
            ),
            budgets=tuple(budgets),
        )
    except InvalidManifestError:
        raise
    except PodcapError as exc:
        raise InvalidManifestError(f"{where}: {exc}") from None


def _node_class(doc: Mapping[str, Any], where: str) -> NodeClass:
    name, where = _named(doc, where, "EC2NodeClass")
    spec = mapping_field(doc.get("spec"), f"{where}.spec")
    _warn(f"{where}, spec", spec, _NODECLASS_SPEC)
    family = spec.get("amiFamily")
    for field_name in ("amiSelectorTerms", "blockDeviceMappings"):
        if spec.get(field_name) is not None and not isinstance(spec.get(field_name), list):
            raise InvalidManifestError(f"{where}, spec.{field_name}: expected a list")
    for i, term in enumerate(spec.get("amiSelectorTerms") or []):
        alias = str((term or {}).get("alias", "")) if isinstance(term, Mapping) else ""
        if alias:
            head = alias.split("@", 1)[0].lower()
            if head not in _ALIASES:
                raise InvalidManifestError(
                    f"{where}, spec.amiSelectorTerms[{i}].alias: {alias!r}; valid families: "
                    f"{', '.join(_ALIASES)} (as family@version)"
                )
            family = family or _ALIASES[head]
    if family is None:
        raise InvalidManifestError(
            f"{where}, spec.amiFamily: required unless spec.amiSelectorTerms has an alias "
            f"(such as al2023@latest); valid families: {', '.join(AMI_FAMILIES)}"
        )
    if family not in AMI_FAMILIES:
        raise InvalidManifestError(
            f"{where}, spec.amiFamily: {family!r} is not one of {', '.join(AMI_FAMILIES)}"
        )
    kubelet = mapping_field(spec.get("kubelet"), f"{where}, spec.kubelet")
    _warn(f"{where}, spec.kubelet", kubelet, _KUBELET)
    counts: dict[str, int | None] = {}
    for key in ("maxPods", "podsPerCore"):
        value = kubelet.get(key)
        if value is not None and (
            isinstance(value, bool) or not isinstance(value, int) or value < 0
        ):
            raise InvalidManifestError(
                f"{where}, spec.kubelet.{key}: expected an integer >= 0, got {value!r}"
            )
        counts[key] = value
    root: float | None = None
    for i, bdm in enumerate(spec.get("blockDeviceMappings") or []):
        if isinstance(bdm, Mapping) and bdm.get("rootVolume"):
            size = (
                mapping_field(bdm.get("ebs"), f"{where}, spec.blockDeviceMappings[{i}].ebs")
            ).get("volumeSize")
            if size is not None:
                try:
                    root = (
                        parse_memory(
                            size, field=f"{where}, spec.blockDeviceMappings[{i}].ebs.volumeSize"
                        )
                        / _GIB
                    )
                except PodcapError as exc:
                    raise InvalidManifestError(str(exc)) from None
    return NodeClass(
        name=name,
        ami_family=family,
        max_pods=counts["maxPods"],
        pods_per_core=counts["podsPerCore"] or None,
        kube_reserved=quantity_map(
            kubelet.get("kubeReserved"), f"{where}, spec.kubelet.kubeReserved"
        ),
        system_reserved=quantity_map(
            kubelet.get("systemReserved"), f"{where}, spec.kubelet.systemReserved"
        ),
        eviction_hard=quantity_map(
            kubelet.get("evictionHard"), f"{where}, spec.kubelet.evictionHard", eviction=True
        ),
        root_volume_gib=root,
    )


def read_karpenter(
    docs: Sequence[tuple[int, Mapping[str, Any]]],
    source: str,
    *,
    zones: Sequence[str] = (),
    region: str = "us-east-1",
) -> tuple[Karpenter, list[str]]:
    """NodePools and EC2NodeClasses from parsed documents.

    Parameters
    ----------
    docs : sequence of (int, mapping)
        The documents with their index in the file.
    source : str
        File name for messages.
    zones, region
        As for :meth:`podcap.pipeline.state.ClusterState.with_node_pools`.

    Returns
    -------
    (Karpenter, list of str)
        The Karpenter settings and the objects not used, each named.
    """
    pools: list[NodePool] = []
    classes: dict[str, NodeClass] = {}
    skipped: list[str] = []
    for i, doc in docs:
        where = f"{source}, document {i}"
        api = str(doc.get("apiVersion", ""))
        kind = doc.get("kind")
        meta = doc.get("metadata")
        name = meta.get("name", "?") if isinstance(meta, Mapping) else "?"
        if kind == "NodePool" and api != "karpenter.sh/v1":
            raise InvalidManifestError(
                f"{where}: NodePool {name} is {api}; podcap reads karpenter.sh/v1 (convert it as "
                "Karpenter's v1 upgrade guide says)"
            )
        if kind == "EC2NodeClass" and api != "karpenter.k8s.aws/v1":
            raise InvalidManifestError(
                f"{where}: EC2NodeClass {name} is {api}; podcap reads karpenter.k8s.aws/v1"
            )
        if kind == "NodePool":
            pool = _node_pool(doc, where)
            if pool is None:
                skipped.append(f"NodePool {name} ({where}: spec.replicas, a static NodePool)")
            else:
                pools.append(pool)
        elif kind == "EC2NodeClass":
            nc = _node_class(doc, where)
            if nc.name in classes:
                raise InvalidManifestError(f"{where}: EC2NodeClass {nc.name} given twice")
            classes[nc.name] = nc
        else:
            skipped.append(f"{kind} {name} ({where}: a Karpenter object podcap does not use)")
    for pool in pools:
        if pool.node_class not in classes:
            raise InvalidManifestError(
                f"{source}: NodePool {pool.name} names EC2NodeClass {pool.node_class!r} in "
                f"spec.template.spec.nodeClassRef, which is not in the input; EC2NodeClasses: "
                f"{', '.join(sorted(classes)) or 'none'}"
            )
    try:
        return Karpenter(tuple(pools), classes, zones=tuple(zones), region=region), skipped
    except PodcapError as exc:
        raise InvalidManifestError(f"{source}: {exc}") from None
