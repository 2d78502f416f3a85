"""Specs: small frozen dataclasses describing node groups, the VPC CNI and the cluster.

Validation happens here, once, with errors naming the field and what is valid.  Workload specs
(pods, containers, LimitRange, ResourceQuota) live in :mod:`podcap.model.workloads`.
"""

from __future__ import annotations

import numbers
import re
import warnings
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, ClassVar, Literal

import numpy as np
import pandas as pd

from podcap.errors import InvalidSpecError, PodcapWarning, UnknownInstanceTypeError, short_repr
from podcap.model.capacity import (
    DEFAULT_CNI_VERSION,
    OVERHEADS,
    POLICIES,
    cni_feature_error,
    cni_version_supports,
    cni_version_supports_prefix,
    default_max_pods_policy,
)
from podcap.model.instances import lookup
from podcap.model.subnets import PodNetwork, Subnet, check_disjoint
from podcap.model.validation import invalid_label, label_key_errors, label_value_errors

__all__ = [
    "Cluster",
    "EbsCsiDriver",
    "NodeGroup",
    "Taint",
    "Toleration",
    "VpcCni",
    "toleration_problem",
]

TaintEffect = Literal["NoSchedule", "PreferNoSchedule", "NoExecute"]
EFFECTS = ("NoSchedule", "PreferNoSchedule", "NoExecute")
_TAINT_TEXT = re.compile(r"^(?P<key>[^=:\s]+)(?:=(?P<value>[^:\s]*))?:(?P<effect>\w+)$")


def _subnets(value: Any, where: str) -> tuple[Subnet, ...]:
    """A sequence of :class:`Subnet` as a tuple, each item checked."""
    subnets = tuple(value or ())
    for i, sn in enumerate(subnets):
        if not isinstance(sn, Subnet):
            raise InvalidSpecError(f"{where}[{i}] must be a podcap.Subnet, got {sn!r}")
    return subnets


def _repeated(values: Iterable[str]) -> list[str]:
    """The values that occur more than once, sorted (one pass: linear in the values)."""
    return sorted(v for v, k in Counter(values).items() if k > 1)


@dataclass(frozen=True)
class Taint:
    """A node taint ``key[=value]:effect``.

    Parameters
    ----------
    key : str
    value : str
    effect : {"NoSchedule", "PreferNoSchedule", "NoExecute"}
    """

    key: str
    value: str = ""
    effect: TaintEffect = "NoSchedule"

    def __post_init__(self) -> None:
        if not self.key:
            raise InvalidSpecError("taint key must not be empty")
        if self.effect not in EFFECTS:
            raise InvalidSpecError(
                f"taint {short_repr(self.key)}: invalid effect {short_repr(self.effect)}; valid: "
                f"{', '.join(EFFECTS)}"
            )
        # core validation validateNodeTaints: the key a label key, the value a label value
        problem = invalid_label(self.key, self.value)
        if problem:
            raise InvalidSpecError(f"taint {short_repr(str(self))}: {problem}")

    @classmethod
    def parse(cls, value: Any, *, where: str = "taints") -> Taint:
        """Build a taint from ``"key=value:Effect"``, a mapping or a Taint."""
        if isinstance(value, Taint):
            return value
        if isinstance(value, str):
            m = _TAINT_TEXT.match(value.strip())
            if m is None:
                raise InvalidSpecError(
                    f"{where}: invalid taint {short_repr(value)}; expected 'key=value:Effect' or "
                    f"'key:Effect' with Effect one of {', '.join(EFFECTS)}"
                )
            return cls._at(where, m["key"], m["value"] or "", m["effect"])
        if isinstance(value, Mapping):
            if "key" not in value or "effect" not in value:
                raise InvalidSpecError(
                    f"{where}: a taint needs 'key' and 'effect' (one of {', '.join(EFFECTS)}), "
                    f"got {short_repr(dict(value))}"
                )
            return cls._at(where, str(value["key"]), str(value.get("value") or ""), value["effect"])
        raise InvalidSpecError(f"{where}: invalid taint {short_repr(value)}")

    @classmethod
    def _at(cls, where: str, key: str, value: str, effect: Any) -> Taint:
        try:
            return cls(key, value, effect)  # the effect is checked in __post_init__
        except InvalidSpecError as exc:
            raise InvalidSpecError(f"{where}: {exc}") from None

    def __str__(self) -> str:
        return f"{self.key}{'=' + self.value if self.value else ''}:{self.effect}"


@dataclass(frozen=True)
class Toleration:
    """A pod toleration (``operator`` Exists or Equal; empty key with Exists tolerates all).

    Parameters
    ----------
    key : str
    operator : {"Exists", "Equal"}
    value : str
    effect : str
        Empty matches every effect.
    """

    key: str = ""
    operator: Literal["Exists", "Equal"] = "Equal"
    value: str = ""
    effect: str = ""

    def __post_init__(self) -> None:
        problem = toleration_problem(self.key, self.operator, self.value, self.effect)
        if problem:
            raise InvalidSpecError(f"toleration {short_repr(self.key)}, {problem[0]}: {problem[1]}")

    def tolerates(self, taint: Taint) -> bool:
        """Whether this toleration tolerates ``taint`` (Kubernetes ``ToleratesTaint``)."""
        if self.effect and self.effect != taint.effect:
            return False
        if self.key and self.key != taint.key:
            return False
        if self.operator == "Exists":
            return True
        return self.key == taint.key and self.value == taint.value


def toleration_problem(
    key: str, operator: str, value: str, effect: str, *, seconds: bool = False
) -> tuple[str, str] | None:
    """The first rule of the API server a toleration breaks, as ``(field, message)``, or None.

    Core validation ``ValidateTolerations``: a non-empty key is a label key; an empty key needs
    operator Exists (it tolerates every taint); ``tolerationSeconds`` needs effect NoExecute;
    operator Equal needs a label value, Exists an empty one; the effect is empty (every effect)
    or one of NoSchedule, PreferNoSchedule, NoExecute.

    Parameters
    ----------
    key, operator, value, effect : str
        The toleration's fields (an empty operator is Equal, as the API defaults it).
    seconds : bool
        Whether ``tolerationSeconds`` is set.

    Returns
    -------
    tuple of str or None
        The field (``key``, ``operator``, ``value`` or ``effect``) and the message.
    """
    if key:
        errors = label_key_errors(key)
        if errors:
            return "key", f"Invalid value: {short_repr(key)}: {'; '.join(errors)}"
    operator = operator or "Equal"
    if not key and operator != "Exists":
        return "operator", (
            f"Invalid value: {short_repr(operator)}: operator must be Exists when `key` is "
            'empty, which means "match all values and all keys"'
        )
    if seconds and effect != "NoExecute":
        return "effect", (
            f"Invalid value: {short_repr(effect)}: effect must be 'NoExecute' when "
            "`tolerationSeconds` is set"
        )
    if operator == "Equal":
        errors = label_value_errors(value)
        if errors:
            return "value", f"Invalid value: {short_repr(value)}: {'; '.join(errors)}"
    elif operator == "Exists":
        if value:
            return "value", (
                f"Invalid value: {short_repr(value)}: value must be empty when `operator` is "
                "'Exists'"
            )
    else:
        return "operator", (
            f'Unsupported value: {short_repr(operator)}: supported values: "Equal", "Exists"'
        )
    if effect and effect not in EFFECTS:
        return "effect", (
            f"Unsupported value: {short_repr(effect)}: supported values: "
            + ", ".join(f'"{e}"' for e in EFFECTS)
        )
    return None


@dataclass(frozen=True)
class VpcCni:
    """Settings of the AWS VPC CNI (aws-node) that decide pod IPs.

    Parameters
    ----------
    prefix_delegation : bool
        ``ENABLE_PREFIX_DELEGATION``: /28 prefixes instead of secondary IPs (Nitro / bare metal).
    custom_networking : bool
        ``AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG``: the primary ENI holds no pod IPs.
    pod_eni : bool
        ``ENABLE_POD_ENI``: security groups for pods (a trunk ENI; branch ENIs for SG pods).
    max_eni : int, optional
        ``MAX_ENI`` [count].
    ip_family : {"ipv4", "ipv6"}
        ``ENABLE_IPv6``: one /80 prefix per node; only maxPods limits pods.
    cni_version : str
        VPC CNI version; prefix delegation needs 1.9 or later.
    warm_eni_target, warm_ip_target, minimum_ip_target, warm_prefix_target : int, optional
        ``WARM_ENI_TARGET``, ``WARM_IP_TARGET``, ``MINIMUM_IP_TARGET``, ``WARM_PREFIX_TARGET``
        [count]; None = unset as in aws-node (then WARM_ENI_TARGET 1 and WARM_PREFIX_TARGET 1,
        the shipped defaults, apply).
    pod_subnets : sequence of Subnet, optional
        ENIConfig subnets for custom networking, one per zone: pod ENIs take their addresses
        there instead of the node's subnet.
    multi_nic : bool
        ``ENABLE_MULTI_NIC`` (v1.20.0+): ipamd attaches ENIs on every network card of a
        multi-card type, so their addresses count as pod IPs too.
    subnet_discovery : bool, optional
        ``ENABLE_SUBNET_DISCOVERY`` (v1.18.0+); None: the CNI's default, on from v1.18.0.
    discovery_subnets : sequence of Subnet, optional
        The VPC's subnets tagged ``kubernetes.io/role/cni`` (any value but ``0``): with subnet
        discovery on (and no custom networking), each new secondary ENI of a node goes to
        whichever of the node's subnet and these subnets of its zone has the most free
        addresses at that moment (:func:`podcap.model.subnets.discovery_order`).
    """

    prefix_delegation: bool = False
    custom_networking: bool = False
    pod_eni: bool = False
    max_eni: int | None = None
    ip_family: Literal["ipv4", "ipv6"] = "ipv4"
    cni_version: str = DEFAULT_CNI_VERSION
    warm_eni_target: int | None = None
    warm_ip_target: int | None = None
    minimum_ip_target: int | None = None
    warm_prefix_target: int | None = None
    pod_subnets: tuple[Subnet, ...] = ()
    multi_nic: bool = False
    subnet_discovery: bool | None = None
    discovery_subnets: tuple[Subnet, ...] = ()

    def __post_init__(self) -> None:
        _as_int(
            self,
            (
                "max_eni",
                "warm_eni_target",
                "warm_ip_target",
                "minimum_ip_target",
                "warm_prefix_target",
            ),
        )
        for name in ("prefix_delegation", "custom_networking", "pod_eni", "multi_nic"):
            if isinstance(getattr(self, name), np.bool_):
                object.__setattr__(self, name, bool(getattr(self, name)))
            if not isinstance(getattr(self, name), bool):
                raise InvalidSpecError(
                    f"VpcCni.{name} must be True or False, got {getattr(self, name)!r}"
                )
        if self.max_eni is not None and (
            isinstance(self.max_eni, bool) or not isinstance(self.max_eni, int) or self.max_eni < 1
        ):
            raise InvalidSpecError(
                f"VpcCni.max_eni must be an integer >= 1 or None, got {self.max_eni!r}"
            )
        if self.ip_family not in ("ipv4", "ipv6"):
            raise InvalidSpecError(
                f"VpcCni.ip_family must be 'ipv4' or 'ipv6', got {self.ip_family!r}"
            )
        try:
            cni_version_supports_prefix(self.cni_version)
        except ValueError as exc:
            raise InvalidSpecError(f"VpcCni.cni_version: {exc}") from None
        for name in ("pod_eni", "multi_nic"):
            if getattr(self, name) and not cni_version_supports(name, self.cni_version):
                raise InvalidSpecError(f"VpcCni: {cni_feature_error(name, self.cni_version)}")
        for name in (
            "warm_eni_target",
            "warm_ip_target",
            "minimum_ip_target",
            "warm_prefix_target",
        ):
            value = getattr(self, name)
            if value is not None and not _is_count(value, _INT32_MAX):
                raise InvalidSpecError(
                    f"VpcCni.{name} must be an integer from 0 to {_INT32_MAX} or None (unset), "
                    f"got {value!r}"
                )
        subnets = _subnets(self.pod_subnets, "VpcCni.pod_subnets")
        dup = _repeated(sn.zone for sn in subnets)
        if dup:
            raise InvalidSpecError(
                f"VpcCni.pod_subnets: more than one ENIConfig subnet in zone(s) {', '.join(dup)}"
            )
        if subnets and not self.custom_networking:
            raise InvalidSpecError(
                "VpcCni.pod_subnets needs custom_networking=True (ENIConfig subnets)"
            )
        object.__setattr__(self, "pod_subnets", subnets)
        if isinstance(self.subnet_discovery, np.bool_):
            object.__setattr__(self, "subnet_discovery", bool(self.subnet_discovery))
        if self.subnet_discovery not in (None, True, False):
            raise InvalidSpecError(
                f"VpcCni.subnet_discovery must be True, False or None (the CNI's default), got "
                f"{self.subnet_discovery!r}"
            )
        if self.subnet_discovery and not cni_version_supports("subnet_discovery", self.cni_version):
            raise InvalidSpecError(
                f"VpcCni: {cni_feature_error('subnet_discovery', self.cni_version)}"
            )
        tagged = _subnets(self.discovery_subnets, "VpcCni.discovery_subnets")
        dup = _repeated(sn.cidr for sn in tagged)
        if dup:
            raise InvalidSpecError(
                f"VpcCni.discovery_subnets: subnet(s) {', '.join(dup)} given more than once"
            )
        object.__setattr__(self, "discovery_subnets", tagged)

    @property
    def discovers_subnets(self) -> bool:
        """Subnet discovery places new secondary ENIs: ``ENABLE_SUBNET_DISCOVERY`` is on (by
        default from v1.18.0), custom networking is off (its ENIConfig subnet wins) and the
        pods take IPv4 addresses."""
        on = (
            cni_version_supports("subnet_discovery", self.cni_version)
            if self.subnet_discovery is None
            else self.subnet_discovery
        )
        return on and not self.custom_networking and self.ip_family == "ipv4"

    @property
    def prefixes(self) -> bool:
        """Prefix delegation is asked for and this CNI version supports it (a node assigns /28
        prefixes when its type is also prefix capable)."""
        return self.prefix_delegation and cni_version_supports_prefix(self.cni_version)

    @property
    def warm_settings(self) -> dict[str, int]:
        """The warm-pool settings in force (unset ones at aws-node's behaviour)."""
        return {
            "warm_eni_target": 1 if self.warm_eni_target is None else self.warm_eni_target,
            "warm_ip_target": self.warm_ip_target or 0,
            "minimum_ip_target": self.minimum_ip_target or 0,
            "warm_prefix_target": 1 if self.warm_prefix_target is None else self.warm_prefix_target,
        }

    # aws-node environment variables podcap reads, and those it knows but that do not change
    # pod capacity (accepted silently).
    _ENV_BOOL: ClassVar[dict[str, str]] = {
        "ENABLE_PREFIX_DELEGATION": "prefix_delegation",
        "AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG": "custom_networking",
        "ENABLE_POD_ENI": "pod_eni",
        "ENABLE_MULTI_NIC": "multi_nic",
        "ENABLE_SUBNET_DISCOVERY": "subnet_discovery",
    }
    _ENV_INT: ClassVar[dict[str, str]] = {
        "WARM_ENI_TARGET": "warm_eni_target",
        "WARM_IP_TARGET": "warm_ip_target",
        "MINIMUM_IP_TARGET": "minimum_ip_target",
        "WARM_PREFIX_TARGET": "warm_prefix_target",
    }
    _ENV_IGNORED: ClassVar[frozenset[str]] = frozenset(
        {
            "ADDITIONAL_ENI_TAGS",
            "ANNOTATE_POD_IP",
            "AWS_VPC_CNI_NODE_PORT_SUPPORT",
            "AWS_VPC_ENI_MTU",
            "AWS_VPC_K8S_CNI_CONFIGURE_RPFILTER",
            "AWS_VPC_K8S_CNI_EXTERNALSNAT",
            "AWS_VPC_K8S_CNI_LOGLEVEL",
            "AWS_VPC_K8S_CNI_LOG_FILE",
            "AWS_VPC_K8S_CNI_RANDOMIZESNAT",
            "AWS_VPC_K8S_CNI_VETHPREFIX",
            "AWS_VPC_K8S_PLUGIN_LOG_FILE",
            "AWS_VPC_K8S_PLUGIN_LOG_LEVEL",
            "CLUSTER_NAME",
            "DISABLE_INTROSPECTION",
            "DISABLE_METRICS",
            "DISABLE_NETWORK_RESOURCE_PROVISIONING",
            "ENABLE_BANDWIDTH_PLUGIN",
            "ENABLE_NFTABLES",
            "ENABLE_V4_EGRESS",
            "ENABLE_V6_EGRESS",
            "ENI_CONFIG_ANNOTATION_DEF",
            "ENI_CONFIG_LABEL_DEF",
            "MY_NODE_NAME",
            "MY_POD_NAME",
            "NETWORK_POLICY_ENFORCING_MODE",
            "POD_SECURITY_GROUP_ENFORCING_MODE",
            "VPC_ID",
            "DISABLE_TCP_EARLY_DEMUX",
            "AWS_EXTERNAL_SNAT",
            "CLUSTER_ENDPOINT",
            "DISABLE_LEAKED_ENI_CLEANUP",
            "DISABLE_POD_V6",
            "INTROSPECTION_BIND_ADDRESS",
        }
    )

    @classmethod
    def from_env(cls, env: Mapping[str, Any], *, cni_version: str = DEFAULT_CNI_VERSION) -> VpcCni:
        """Build settings from aws-node environment variables.

        Parameters
        ----------
        env : mapping
            ``{"ENABLE_PREFIX_DELEGATION": "true", "MAX_ENI": "2", "ENABLE_IPv6": "false", ...}``.
            Variables podcap does not know raise a :class:`PodcapWarning` naming them.
        cni_version : str
            VPC CNI version.

        Returns
        -------
        VpcCni
        """
        kwargs: dict[str, Any] = {"cni_version": cni_version}
        unknown = []
        for name, raw in env.items():
            text = str(raw).strip()
            if name in cls._ENV_BOOL:
                if text.lower() not in ("true", "false"):
                    raise InvalidSpecError(
                        f"aws-node env {name}: expected 'true' or 'false', got {raw!r}"
                    )
                kwargs[cls._ENV_BOOL[name]] = text.lower() == "true"
            elif name == "ENABLE_IPv6":
                if text.lower() not in ("true", "false"):
                    raise InvalidSpecError(
                        f"aws-node env {name}: expected 'true' or 'false', got {raw!r}"
                    )
                kwargs["ip_family"] = "ipv6" if text.lower() == "true" else "ipv4"
            elif name in cls._ENV_INT:
                if not text.isdigit():
                    raise InvalidSpecError(
                        f"aws-node env {name}: expected a whole number >= 0, got {raw!r}"
                    )
                kwargs[cls._ENV_INT[name]] = int(text)
            elif name == "MAX_ENI":
                if not text.isdigit() or int(text) < 1:
                    raise InvalidSpecError(
                        f"aws-node env MAX_ENI: expected an integer >= 1, got {raw!r}"
                    )
                kwargs["max_eni"] = int(text)
            elif name not in cls._ENV_IGNORED:
                unknown.append(name)
        if unknown:
            warnings.warn(
                f"aws-node env variable(s) not modelled by podcap, ignored: {', '.join(sorted(unknown))}",
                PodcapWarning,
                stacklevel=2,
            )
        return cls(**kwargs)

    def with_env(self, env: Mapping[str, Any]) -> VpcCni:
        """These settings with aws-node environment variables changed (the rest kept)."""
        parsed = VpcCni.from_env(env, cni_version=self.cni_version)
        names = {
            **self._ENV_BOOL,
            **self._ENV_INT,
            "MAX_ENI": "max_eni",
            "ENABLE_IPv6": "ip_family",
        }
        changed = {names[k]: getattr(parsed, names[k]) for k in env if k in names}
        return replace(self, **changed)


_INT32_MAX = 2**31 - 1
_INT64_MAX = 2**63 - 1
#: The most nodes one group may have: per-node arrays of a larger fleet would not fit in memory.
MAX_GROUP_NODES = 10_000_000


def _is_count(value: Any, high: int) -> bool:
    """``value`` is an integer (not a bool) from 0 to ``high``."""
    return (
        not isinstance(value, bool)
        and isinstance(value, numbers.Integral)
        and 0 <= int(value) <= high
    )


def _as_int(obj: Any, names: tuple[str, ...]) -> None:
    """Turn numpy integers (from sweeps and notebooks) into plain ints, in place."""
    for name in names:
        value = getattr(obj, name)
        if isinstance(value, numbers.Integral) and not isinstance(value, (bool, int)):
            object.__setattr__(obj, name, int(value))


def _labels(value: Any, where: str) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise InvalidSpecError(
            f"{where}: labels must be a mapping of str to str, got {short_repr(value)}"
        )
    labels = {str(k): "" if v is None else str(v) for k, v in value.items()}
    for key, text in labels.items():
        problem = invalid_label(key, text)
        if problem:
            raise InvalidSpecError(f"{where}: {problem}")
    return labels


@dataclass(frozen=True)
class EbsCsiDriver:
    """The EBS CSI driver's node plugin settings that change a node's attachment limit.

    Parameters
    ----------
    volume_attach_limit : int, optional
        ``--volume-attach-limit``: the limit itself [volumes].
    reserved_volume_attachments : int, optional
        ``--reserved-volume-attachments`` [volumes]; default the block device mappings + 1.
    block_device_mappings : int
        EBS volumes the node's launch template attaches besides the root volume [volumes].
    """

    volume_attach_limit: int | None = None
    reserved_volume_attachments: int | None = None
    block_device_mappings: int = 0

    @classmethod
    def from_helm_values(
        cls, values: Any, where: str = "configurationValues"
    ) -> EbsCsiDriver | None:
        """The node plugin's flags from the aws-ebs-csi-driver chart's values (also the EKS
        add-on's configuration values): ``node.volumeAttachLimit`` and
        ``node.reservedVolumeAttachments``.

        The chart (``charts/aws-ebs-csi-driver``: ``values.schema.json``, integers or null,
        ``volumeAttachLimit`` >= 0, ``reservedVolumeAttachments`` >= -1; the node template
        renders each with ``{{- with }}``) passes ``--volume-attach-limit`` and
        ``--reserved-volume-attachments`` only for a value other than null and 0, and -1 is the
        driver's own "not set".  The two cannot be given together.

        Parameters
        ----------
        values : mapping
            The parsed values document.
        where : str
            Where the values come from, for messages.

        Returns
        -------
        EbsCsiDriver or None
            None when the values set neither flag.

        Raises
        ------
        InvalidSpecError
            For a value that is not an integer in range, a ``node`` that is not a mapping, or
            both flags at once.
        """
        if not isinstance(values, Mapping):
            raise InvalidSpecError(
                f"{where}: expected a mapping of chart values, got {short_repr(values)}"
            )
        node = values.get("node")
        if node is None:
            return None
        if not isinstance(node, Mapping):
            raise InvalidSpecError(f"{where}.node: expected a mapping, got {short_repr(node)}")
        flags: dict[str, int] = {}
        for key, attr, low in (
            ("volumeAttachLimit", "volume_attach_limit", 0),
            ("reservedVolumeAttachments", "reserved_volume_attachments", -1),
        ):
            value = node.get(key)
            if value is None:
                continue
            if isinstance(value, bool) or not isinstance(value, int) or value < low:
                raise InvalidSpecError(
                    f"{where}.node.{key}: expected an integer >= {low} or null (the chart's "
                    f"values.schema.json), got {short_repr(value)}"
                )
            if value not in (0, -1):  # rendered as a flag only when set (and -1 is unset)
                flags[attr] = value
        if not flags:
            return None
        try:
            return cls(**flags)
        except InvalidSpecError as exc:
            raise InvalidSpecError(
                f"{where}.node (volumeAttachLimit, reservedVolumeAttachments): {exc}"
            ) from None

    def __post_init__(self) -> None:
        for name in ("volume_attach_limit", "reserved_volume_attachments", "block_device_mappings"):
            value = getattr(self, name)
            if value is None and name != "block_device_mappings":
                continue
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise InvalidSpecError(
                    f"EbsCsiDriver.{name} must be an integer >= 0, got {short_repr(value)}"
                )
        if self.volume_attach_limit is not None and self.reserved_volume_attachments is not None:
            # aws-ebs-csi-driver pkg/driver/options.go Validate: the node plugin does not start
            raise InvalidSpecError(
                "the EBS CSI driver takes a volume attach limit or reserved volume attachments, "
                "not both (only one of --volume-attach-limit and --reserved-volume-attachments "
                "may be specified); keep one"
            )


@dataclass(frozen=True)
class NodeGroup:
    """A group of identical nodes.

    Parameters
    ----------
    name : str
        Node group name (nodes are named ``<name>-<i>``).
    instance_type : str
        EC2 instance type, a name in the cluster's instance table (checked by :class:`Cluster`).
    count : int
        Nodes in the group [count].
    zones : sequence of str, optional
        Availability zones, assigned round-robin; None: the zone is unknown, and the nodes
        have no ``topology.kubernetes.io/zone`` label (zone spreading and zone affinity then
        skip them, as the scheduler does).
    max_pods : int, optional
        kubelet ``maxPods`` [pods]; None uses ``max_pods_policy``.
    max_pods_policy : str, optional
        Policy for the default max pods (see :func:`podcap.max_pods`); default
        ``"eni-max-pods"`` for overhead eks, ``"karpenter"`` for karpenter, ``"kops"`` for kops.
    overhead : {"eks", "karpenter", "kops", "none"}
        Allocatable model (see :func:`podcap.allocatable`).
    cni : VpcCni, optional
        VPC CNI settings; default ``VpcCni()``.
    labels : mapping, optional
        Extra node labels.
    taints : sequence, optional
        Taints as ``"key=value:Effect"`` strings, mappings or :class:`Taint`.
    unschedulable : bool
        Cordoned nodes.
    extended_resources : mapping, optional
        Extended resources per node, e.g. ``{"nvidia.com/gpu": 8}`` [count], and pre-allocated
        huge pages, e.g. ``{"hugepages-2Mi": 1 << 30}`` [bytes] (they come out of allocatable
        memory, as the kubelet reports them).
    subnets : sequence of Subnet, optional
        The group's subnets, at most one per zone; every zone of the group needs one when any is
        given.  Nodes take their addresses there (node launches, ENIs, IPs, prefixes).
    allocatable : mapping, optional
        The nodes' real allocatable (from ``kubectl get nodes``) instead of the overhead model:
        ``{"cpu": millicores, "memory": bytes, "ephemeral-storage": bytes, "pods": count}``;
        missing keys keep the model's value.
    node_names : sequence of str, optional
        Names of the nodes (one per node) instead of ``<group>-<i>``.
    node_zones : sequence of str, optional
        The zone of each node (one per node, each one of ``zones``) instead of round-robin.
    min_count, max_count : int, optional
        The group's scaling bounds (an Auto Scaling group's min and max size) [count]: a
        cluster-autoscaler adds nodes up to ``max_count`` for pending pods and removes
        underused ones down to ``min_count``.  None: not autoscaled.
    ebs_csi : EbsCsiDriver, optional
        The EBS CSI driver's node plugin flags (attachment limit overrides).
    pod_network : PodNetwork, optional
        An overlay or routed CNI (Calico, Cilium, flannel, ...) instead of the VPC CNI: pods
        take addresses from the node's pod CIDR, not from ENIs (``cni`` is then unused).
    """

    name: str
    instance_type: str
    count: int
    zones: tuple[str, ...] | None = None
    max_pods: int | None = None
    max_pods_policy: str | None = None
    overhead: str = "eks"
    cni: VpcCni | None = None
    labels: Mapping[str, str] | None = None
    taints: tuple[Taint, ...] = field(default=())
    unschedulable: bool = False
    extended_resources: Mapping[str, int] | None = None
    subnets: tuple[Subnet, ...] = ()
    allocatable: Mapping[str, int] | None = None
    node_names: tuple[str, ...] = ()
    node_zones: tuple[str, ...] = ()
    min_count: int | None = None
    max_count: int | None = None
    ebs_csi: EbsCsiDriver | None = None
    pod_network: PodNetwork | None = None

    def __post_init__(self) -> None:
        if self.pod_network is not None and not isinstance(self.pod_network, PodNetwork):
            raise InvalidSpecError(
                f"NodeGroup {self.name!r}: pod_network must be a podcap.PodNetwork, got "
                f"{type(self.pod_network).__name__}"
            )
        where = f"NodeGroup {self.name!r}"
        _as_int(self, ("count", "max_pods"))
        raw_ext = self.extended_resources or {}
        if not isinstance(raw_ext, Mapping):
            raise InvalidSpecError(
                f"{where}: extended_resources must map names like 'nvidia.com/gpu' to integers "
                f">= 0, got {raw_ext!r}"
            )
        ext = dict(raw_ext)
        for key, amount in ext.items():
            if (
                not isinstance(key, str)
                or ("/" not in key and not key.startswith("hugepages-"))
                or isinstance(amount, bool)
                or not isinstance(amount, int)
                or not 0 <= amount <= _INT64_MAX
            ):
                raise InvalidSpecError(
                    f"{where}: extended_resources must map names like 'nvidia.com/gpu' to "
                    f"integers >= 0, got {key!r}: {amount!r}"
                )
        object.__setattr__(self, "extended_resources", ext)
        if not isinstance(self.name, str) or not re.fullmatch(
            r"[a-z0-9]([-a-z0-9.]*[a-z0-9])?", self.name
        ):
            raise InvalidSpecError(
                f"NodeGroup name {self.name!r} is invalid: use lower-case letters, digits, '-' and '.'"
            )
        if not isinstance(self.instance_type, str):
            raise InvalidSpecError(
                f"{where}: instance_type must be a string, got {self.instance_type!r}"
            )
        if (
            isinstance(self.count, bool)
            or not isinstance(self.count, int)
            or not 0 <= self.count <= MAX_GROUP_NODES
        ):
            raise InvalidSpecError(
                f"{where}: count must be an integer from 0 to {MAX_GROUP_NODES:,}, got "
                f"{self.count!r}"
            )
        if self.max_pods is not None and (
            isinstance(self.max_pods, bool)
            or not isinstance(self.max_pods, int)
            or not 1 <= self.max_pods <= _INT32_MAX
        ):
            raise InvalidSpecError(
                f"{where}: max_pods must be an integer from 1 to {_INT32_MAX} (the kubelet's "
                f"int32) or None, got {self.max_pods!r}"
            )
        if self.max_pods_policy is not None and self.max_pods_policy not in POLICIES:
            raise InvalidSpecError(
                f"{where}: unknown max_pods_policy {self.max_pods_policy!r}; valid: {', '.join(POLICIES)}"
            )
        if self.overhead not in OVERHEADS:
            raise InvalidSpecError(
                f"{where}: unknown overhead {self.overhead!r}; valid: {', '.join(OVERHEADS)}"
            )
        if self.cni is not None and not isinstance(self.cni, VpcCni):
            raise InvalidSpecError(
                f"{where}: cni must be a podcap.VpcCni, got {type(self.cni).__name__}"
            )
        zones = self.zones
        if zones is not None:
            if (
                not isinstance(zones, (list, tuple))
                or not all(isinstance(z, str) and z for z in zones)
                or not zones
            ):
                raise InvalidSpecError(
                    f"{where}: zones must be a non-empty list of zone names, got {zones!r}"
                )
            object.__setattr__(self, "zones", tuple(zones))
        object.__setattr__(self, "labels", _labels(self.labels, f"{where}.labels"))
        raw: Any = self.taints or ()
        if isinstance(raw, (str, Mapping, Taint)):
            raw = (raw,)
        parsed = tuple(Taint.parse(t, where=f"{where}.taints[{i}]") for i, t in enumerate(raw))
        object.__setattr__(self, "taints", parsed)
        subnets = tuple(self.subnets or ())
        for i, sn in enumerate(subnets):
            if not isinstance(sn, Subnet):
                raise InvalidSpecError(f"{where}.subnets[{i}] must be a podcap.Subnet, got {sn!r}")
        if subnets and not self.zone_list:
            raise InvalidSpecError(
                f"{where}: subnets need the group's zones (one subnet per zone); give "
                f"zones=[...] naming the zones of the subnets "
                f"({', '.join(sorted({sn.zone for sn in subnets}))})"
            )
        if subnets:
            sn_zones = [sn.zone for sn in subnets]
            dup = _repeated(sn_zones)
            if dup:
                raise InvalidSpecError(f"{where}: more than one subnet in zone(s) {', '.join(dup)}")
            extra = sorted(set(sn_zones) - set(self.zone_list))
            if extra:
                raise InvalidSpecError(
                    f"{where}: subnet zone(s) {', '.join(extra)} are not zones of the group "
                    f"({', '.join(self.zone_list)})"
                )
            missing = sorted(set(self.zone_list) - set(sn_zones))
            if missing:
                raise InvalidSpecError(f"{where}: no subnet for zone(s) {', '.join(missing)}")
            cni = self.cni_settings
            if cni.pod_subnets:
                stray = sorted({sn.zone for sn in cni.pod_subnets} - set(self.zone_list))
                if stray:
                    raise InvalidSpecError(
                        f"{where}: ENIConfig pod subnet zone(s) {', '.join(stray)} are not zones of the "
                        f"group ({', '.join(self.zone_list)})"
                    )
                lacking = sorted(set(self.zone_list) - {sn.zone for sn in cni.pod_subnets})
                if lacking:
                    raise InvalidSpecError(
                        f"{where}: custom networking has no ENIConfig pod subnet for zone(s) {', '.join(lacking)}"
                    )
        tagged = self.cni_settings.discovery_subnets
        if tagged:
            if not subnets:
                raise InvalidSpecError(
                    f"{where}: the CNI's discovery_subnets need the group's own subnets (the "
                    "node subnet of each zone is always a candidate); give subnets=[...]"
                )
            stray = sorted({sn.zone for sn in tagged} - set(self.zone_list))
            if stray:
                raise InvalidSpecError(
                    f"{where}: discovery subnet zone(s) {', '.join(stray)} are not zones of the "
                    f"group ({', '.join(self.zone_list)})"
                )
            same = sorted({sn.cidr for sn in tagged} & {sn.cidr for sn in subnets})
            if same:
                raise InvalidSpecError(
                    f"{where}: {', '.join(same)} is a node subnet of the group and also in the "
                    "CNI's discovery_subnets; the node subnet is always a candidate, list only "
                    "the other tagged subnets"
                )
        object.__setattr__(self, "subnets", subnets)
        alloc = dict(self.allocatable or {})
        for key, value in alloc.items():
            if key not in ("cpu", "memory", "ephemeral-storage", "pods") or not _is_count(
                value, _INT64_MAX
            ):
                raise InvalidSpecError(
                    f"{where}: allocatable takes cpu (millicores), memory and ephemeral-storage "
                    f"(bytes) and pods as integers >= 0, got {key!r}: {value!r}"
                )
        object.__setattr__(self, "allocatable", {k: int(v) for k, v in alloc.items()})
        node_names = tuple(str(n) for n in (self.node_names or ()))
        if node_names and len(node_names) != self.count:
            raise InvalidSpecError(
                f"{where}: node_names has {len(node_names)} names for count={self.count}"
            )
        if len(set(node_names)) != len(node_names):
            raise InvalidSpecError(f"{where}: node_names has duplicates")
        object.__setattr__(self, "node_names", node_names)
        node_zones = tuple(str(z) for z in (self.node_zones or ()))
        if node_zones and len(node_zones) != self.count:
            raise InvalidSpecError(
                f"{where}: node_zones has {len(node_zones)} zones for count={self.count}"
            )
        if node_zones and not self.zone_list:
            raise InvalidSpecError(
                f"{where}: node_zones needs the group's zones; give zones=[...] too"
            )
        stray_zones = sorted(set(node_zones) - set(self.zone_list))
        if stray_zones:
            raise InvalidSpecError(
                f"{where}: node_zones names zone(s) {', '.join(stray_zones)} that are not zones "
                f"of the group ({', '.join(self.zone_list)})"
            )
        object.__setattr__(self, "node_zones", node_zones)
        for bound in ("min_count", "max_count"):
            value = getattr(self, bound)
            if value is not None and not _is_count(value, MAX_GROUP_NODES):
                raise InvalidSpecError(
                    f"{where}: {bound} must be an integer from 0 to {MAX_GROUP_NODES:,} or None, "
                    f"got {value!r}"
                )
        if (
            self.max_count is not None
            and self.min_count is not None
            and (self.min_count > self.max_count)
        ):
            raise InvalidSpecError(
                f"{where}: min_count {self.min_count} is above max_count {self.max_count}"
            )

    @property
    def zone_list(self) -> tuple[str, ...]:
        """Zones used for round-robin assignment (empty: the zone is unknown)."""
        return self.zones or ()

    @property
    def cni_settings(self) -> VpcCni:
        """The CNI settings (default ``VpcCni()``)."""
        return self.cni or _DEFAULT_CNI

    @property
    def all_subnets(self) -> tuple[Subnet, ...]:
        """The group's subnets, its ENIConfig subnets and its CNI's discovery subnets."""
        cni = self.cni_settings
        return (*self.subnets, *cni.pod_subnets, *cni.discovery_subnets)

    @property
    def policy(self) -> str:
        """The max-pods policy in force when ``max_pods`` is None."""
        if self.max_pods_policy:
            return self.max_pods_policy
        return default_max_pods_policy(self.overhead)


@dataclass(frozen=True)
class Cluster:
    """A set of node groups.

    Parameters
    ----------
    node_groups : sequence of NodeGroup
        Groups with unique names.
    table : pandas.DataFrame, optional
        The instance table (from :func:`podcap.load_instance_table`) every calculation on this
        cluster uses: max pods, pod IPs, allocatable, prefix and trunking support, labels.
        Default the bundled table.

    Raises
    ------
    UnknownInstanceTypeError
        For a group whose instance type is not in the table (with suggestions).
    """

    node_groups: tuple[NodeGroup, ...]
    table: pd.DataFrame | None = field(default=None, compare=False, repr=False)

    def __init__(
        self, node_groups: Iterable[NodeGroup], *, table: pd.DataFrame | None = None
    ) -> None:
        groups = tuple(node_groups)
        for i, g in enumerate(groups):
            if not isinstance(g, NodeGroup):
                raise InvalidSpecError(
                    f"Cluster node_groups[{i}] must be a podcap.NodeGroup, got {type(g).__name__}"
                )
        types = np.array([g.instance_type for g in groups], dtype=object)
        try:
            lookup(types, table)
        except UnknownInstanceTypeError as exc:
            bad = set(exc.names)
            where = ", ".join(f"NodeGroup {g.name!r}" for g in groups if g.instance_type in bad)
            raise UnknownInstanceTypeError(exc.names, exc.known, where=where) from None
        dupes = _repeated(g.name for g in groups)
        if dupes:
            raise InvalidSpecError(f"Cluster: duplicate node group name(s) {', '.join(dupes)}")
        check_disjoint([sn for g in groups for sn in g.all_subnets])
        clash = _repeated(n for g in groups for n in g.node_names)
        if clash:
            raise InvalidSpecError(f"Cluster: node name(s) used twice: {', '.join(clash[:10])}")
        object.__setattr__(self, "node_groups", groups)
        object.__setattr__(self, "table", table)

    @property
    def node_count(self) -> int:
        """Total nodes [count]."""
        return sum(g.count for g in self.node_groups)

    def with_group(self, name: str, **changes: Any) -> Cluster:
        """A copy with one node group's fields changed (for what-if studies)."""
        if name not in {g.name for g in self.node_groups}:
            raise InvalidSpecError(
                f"no node group {name!r}; node groups: {', '.join(g.name for g in self.node_groups)}"
            )
        return Cluster(
            (replace(g, **changes) if g.name == name else g for g in self.node_groups),
            table=self.table,
        )


_DEFAULT_CNI = VpcCni()  # a node group's default CNI settings (frozen: one shared instance)
