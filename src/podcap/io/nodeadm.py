"""nodeadm's ``NodeConfig`` (``node.eks.aws/v1alpha1``): the kubelet settings AL2023 nodes boot
with (an edge).

Read from amazon-eks-ami's nodeadm source:

* ``nodeadm/api/v1alpha1/nodeconfig_types.go``: ``spec.kubelet.config`` (a kubelet
  configuration document), ``spec.kubelet.flags`` and ``spec.kubelet.maxPodsExpression``.
* ``nodeadm/internal/configprovider/mime.go``: user data is a MIME multi-part document whose
  parts of media type ``application/node.eks.aws`` are NodeConfigs (each possibly base64 or
  gzip), or a single NodeConfig.
* ``nodeadm/internal/api/merge.go``: several NodeConfigs merge in order; later values win,
  maps (``kubelet.config``) merge key by key, kubelet flags are appended.
* ``nodeadm/internal/kubelet/config.go`` (``withDefaultReservedResources``) and
  ``eni_max_pods.go`` (``CalcMaxPods``): nodeadm's maxPods is ``default ENIs x (IPv4 per ENI -
  1) + 2``, or the value of ``maxPodsExpression`` (a CEL expression over ``default_enis``,
  ``ips_per_eni`` and ``max_pods``; one that fails, is not an integer, or is not in
  1..2147483647 falls back to the formula with a warning); kube-reserved memory is ``11 x that
  maxPods + 255`` MiB even when ``kubelet.config.maxPods`` is set (the user's kubelet config is
  a drop-in the kubelet merges over nodeadm's file, after nodeadm computed the reservation);
  kube-reserved cpu follows the EKS bands and ephemeral-storage is 1Gi; evictionHard is
  ``memory.available: 100Mi, nodefs.available: 10%, nodefs.inodesFree: 5%``.
* The kubelet: command-line flags override its configuration files (a map-valued flag such
  as ``--kube-reserved`` replaces the whole map); ``podsPerCore`` caps maxPods at
  ``podsPerCore x cores``.

A managed node group without a custom AMI gets one more NodeConfig from EKS, appended after the
launch template's parts, that sets ``maxPods`` (see
:func:`podcap.model.capacity.managed_node_group_max_pods`): it overrides the ``maxPods`` of the
user's documents but not their reservations.
"""

from __future__ import annotations

import base64
import binascii
import email
import email.policy
import gzip
import re
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd
import yaml

from podcap import _yaml
from podcap.errors import InvalidManifestError, PodcapError, PodcapWarning, short_repr
from podcap.io.fields import mapping_field, quantity_map
from podcap.model.capacity import allocatable
from podcap.model.instances import lookup, type_facts
from podcap.model.specs import Cluster, NodeGroup, Taint

__all__ = [
    "API_VERSION",
    "NodeConfig",
    "apply_node_config",
    "apply_to_cluster",
    "eval_max_pods_expression",
    "node_overrides",
    "nodeadm_max_pods",
    "read_node_configs",
]

API_VERSION = "node.eks.aws/v1alpha1"
MEDIA_TYPE = "application/node.eks.aws"
_INT32_MAX = 2**31 - 1
_RESERVED_KEYS = ("cpu", "memory", "ephemeral-storage")
_EVICTION_KEYS = ("memory.available", "nodefs.available")


@dataclass(frozen=True)
class NodeConfig:
    """The parts of a (merged) NodeConfig that change a node's capacity.

    Attributes
    ----------
    max_pods : int or None
        ``spec.kubelet.config.maxPods``.
    max_pods_expression : str or None
        ``spec.kubelet.maxPodsExpression``.
    pods_per_core : int or None
        ``spec.kubelet.config.podsPerCore``.
    kube_reserved, system_reserved : mapping of str to str
        ``spec.kubelet.config.kubeReserved`` / ``systemReserved`` (quantities by resource).
    eviction_hard : mapping of str to str
        ``spec.kubelet.config.evictionHard`` (``memory.available: 200Mi``, ...).
    flags : tuple of str
        ``spec.kubelet.flags``, in order.
    sources : tuple of str
        Where each merged document came from.
    """

    max_pods: int | None = None
    max_pods_expression: str | None = None
    pods_per_core: int | None = None
    kube_reserved: Mapping[str, str] = field(default_factory=dict)
    system_reserved: Mapping[str, str] = field(default_factory=dict)
    eviction_hard: Mapping[str, str] = field(default_factory=dict)
    flags: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()

    @property
    def where(self) -> str:
        """The documents this config was merged from."""
        return " + ".join(self.sources) or "<NodeConfig>"

    @classmethod
    def from_document(cls, doc: Any, where: str) -> NodeConfig:
        """Read one parsed NodeConfig document (``apiVersion: node.eks.aws/v1alpha1``)."""
        if not isinstance(doc, Mapping):
            raise InvalidManifestError(f"{where}: a NodeConfig must be a mapping")
        if doc.get("kind") != "NodeConfig" or doc.get("apiVersion") != API_VERSION:
            raise InvalidManifestError(
                f"{where}: expected apiVersion {API_VERSION}, kind NodeConfig; got "
                f"{short_repr(doc.get('apiVersion'))}, {short_repr(doc.get('kind'))}"
            )
        spec = mapping_field(doc.get("spec"), f"{where}, spec")
        kubelet = mapping_field(spec.get("kubelet"), f"{where}, spec.kubelet")
        config = mapping_field(kubelet.get("config"), f"{where}, spec.kubelet.config")
        flags = kubelet.get("flags") or []
        if not isinstance(flags, list) or not all(isinstance(f, str) for f in flags):
            raise InvalidManifestError(f"{where}, spec.kubelet.flags: expected a list of strings")
        expression = kubelet.get("maxPodsExpression")
        if expression is not None and not isinstance(expression, str):
            raise InvalidManifestError(
                f"{where}, spec.kubelet.maxPodsExpression: expected a CEL expression as a "
                f"string, got {short_repr(expression)}"
            )
        return cls(
            max_pods=_count(config.get("maxPods"), f"{where}, spec.kubelet.config.maxPods"),
            max_pods_expression=expression or None,
            pods_per_core=_count(
                config.get("podsPerCore"), f"{where}, spec.kubelet.config.podsPerCore", zero=True
            ),
            kube_reserved=quantity_map(
                config.get("kubeReserved"), f"{where}, spec.kubelet.config.kubeReserved"
            ),
            system_reserved=quantity_map(
                config.get("systemReserved"), f"{where}, spec.kubelet.config.systemReserved"
            ),
            eviction_hard=quantity_map(
                config.get("evictionHard"),
                f"{where}, spec.kubelet.config.evictionHard",
                eviction=True,
            ),
            flags=tuple(flags),
            sources=(where,),
        )

    def merge(self, later: NodeConfig) -> NodeConfig:
        """This config with a later one merged over it, as nodeadm merges them."""
        return NodeConfig(
            max_pods=later.max_pods if later.max_pods is not None else self.max_pods,
            max_pods_expression=later.max_pods_expression or self.max_pods_expression,
            pods_per_core=later.pods_per_core
            if later.pods_per_core is not None
            else self.pods_per_core,
            kube_reserved={**self.kube_reserved, **later.kube_reserved},
            system_reserved={**self.system_reserved, **later.system_reserved},
            eviction_hard={**self.eviction_hard, **later.eviction_hard},
            flags=self.flags + later.flags,
            sources=self.sources + later.sources,
        )

    @classmethod
    def merged(cls, configs: list[NodeConfig]) -> NodeConfig | None:
        """Several configs merged in order (None for none)."""
        if not configs:
            return None
        out = configs[0]
        for c in configs[1:]:
            out = out.merge(c)
        return out

    def kubelet(self) -> _Kubelet:
        """What the kubelet ends up with: the config, then the flags over it."""
        k = _Kubelet(
            max_pods=self.max_pods,
            pods_per_core=self.pods_per_core,
            kube_reserved=dict(self.kube_reserved),
            system_reserved=dict(self.system_reserved),
            eviction_hard=dict(self.eviction_hard),
        )
        for i, raw in enumerate(self.flags):
            where = f"{self.where}, spec.kubelet.flags[{i}]"
            name, sep, value = raw.strip().partition("=")
            if not sep:
                name, _, value = raw.strip().partition(" ")
            name, value = name.strip(), value.strip().strip("'\"")
            if name == "--max-pods":
                k.max_pods = _count(_int_text(value, where), where)
            elif name == "--pods-per-core":
                k.pods_per_core = _count(_int_text(value, where), where, zero=True)
            elif name in ("--kube-reserved", "--system-reserved"):
                pairs = _flag_map(value, "=", where)
                full = {key: "0" for key in _RESERVED_KEYS}  # the flag replaces the whole map
                full.update(pairs)
                if name == "--kube-reserved":
                    k.kube_reserved = full
                else:
                    k.system_reserved = full
            elif name == "--eviction-hard":
                pairs = _flag_map(value, "<", where)
                full = {key: "0" for key in _EVICTION_KEYS}
                full.update(pairs)
                k.eviction_hard = full
            elif name == "--node-labels":
                k.labels.update(_flag_map(value, "=", where))
            elif name == "--register-with-taints":
                k.taints.extend(t for t in value.split(",") if t)
        return k


@dataclass
class _Kubelet:
    max_pods: int | None
    pods_per_core: int | None
    kube_reserved: dict[str, str]
    system_reserved: dict[str, str]
    eviction_hard: dict[str, str]
    labels: dict[str, str] = field(default_factory=dict)
    taints: list[str] = field(default_factory=list)


def _count(value: Any, where: str, *, zero: bool = False) -> int | None:
    if value is None:
        return None
    low = 0 if zero else 1
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= _INT32_MAX:
        raise InvalidManifestError(
            f"{where}: expected an integer from {low} to {_INT32_MAX}, got {short_repr(value)}"
        )
    return value


def _int_text(text: str, where: str) -> int:
    if not re.fullmatch(r"\d+", text):
        raise InvalidManifestError(f"{where}: expected a whole number, got {short_repr(text)}")
    return int(text)


def _flag_map(value: str, sep: str, where: str) -> dict[str, str]:
    out = {}
    for item in value.split(","):
        if not item.strip():
            continue
        key, found, val = item.partition(sep)
        if not found:
            raise InvalidManifestError(
                f"{where}: expected KEY{sep}VALUE pairs separated by commas, got {short_repr(item)}"
            )
        out[key.strip()] = val.strip()
    return out


# ---------------------------------------------------------------------------------------------
# reading user data


def _decode_part(payload: bytes) -> bytes:
    """A MIME part's bytes, base64-decoded and gunzipped when they are (as nodeadm does)."""
    stripped = payload.strip()
    if stripped and re.fullmatch(rb"[A-Za-z0-9+/=\s]+", stripped):
        try:
            decoded = base64.b64decode(stripped, validate=False)
        except (binascii.Error, ValueError):
            decoded = b""
        if decoded.startswith(b"\x1f\x8b") or decoded.lstrip().startswith(
            (b"apiVersion", b"---", b"kind", b"{")
        ):
            payload = decoded
    if payload.startswith(b"\x1f\x8b"):
        try:
            payload = gzip.decompress(payload)
        except OSError:
            raise InvalidManifestError("a gzip NodeConfig part is corrupt") from None
    return payload


def _documents(text: str, where: str) -> list[NodeConfig]:
    try:
        docs = [d for d in _yaml.load_all(text, where) if d is not None]
    except yaml.YAMLError as exc:
        raise InvalidManifestError(f"{where}: a NodeConfig that is not valid YAML: {exc}") from None
    out = []
    for i, doc in enumerate(docs):
        if isinstance(doc, Mapping) and doc.get("kind") == "NodeConfig":
            out.append(NodeConfig.from_document(doc, f"{where}, document {i}"))
    return out


_NODECONFIG_KIND = re.compile(r"^\s*[\"']?kind[\"']?\s*:\s*[\"']?NodeConfig\b", re.M)


def read_node_configs(text: str, where: str, *, media_type: str | None = None) -> list[NodeConfig]:
    """The NodeConfigs in user data, in the order nodeadm merges them.

    Parameters
    ----------
    text : str
        A NodeConfig YAML (one or more documents), or MIME multi-part user data whose
        ``application/node.eks.aws`` parts are NodeConfigs (base64 or gzip parts too).  Shell
        scripts and other parts are not NodeConfigs and give nothing.
    where : str
        The source, for messages.
    media_type : str, optional
        The content type the text was declared with (a Terraform ``cloudinit_pre_nodeadm``
        part's ``content_type``): only ``application/node.eks.aws`` parts are read.

    Returns
    -------
    list of NodeConfig
    """
    declared_other = media_type is not None and media_type.split(";")[0].strip() != MEDIA_TYPE
    if declared_other and not text.lstrip().startswith(("MIME-Version", "Content-Type")):
        return []
    head = text.lstrip()[:2000]
    if head.startswith(("MIME-Version", "Content-Type")) and "multipart/" in head:
        message = email.message_from_string(text.lstrip(), policy=email.policy.compat32)
        if message.is_multipart():
            configs: list[NodeConfig] = []
            for i, part in enumerate(message.walk()):
                if part.is_multipart() or part.get_content_type() != MEDIA_TYPE:
                    continue
                raw = part.get_payload(decode=True)
                payload = raw if isinstance(raw, bytes) else str(part.get_payload()).encode()
                try:
                    body = _decode_part(payload).decode("utf-8")
                except UnicodeDecodeError:
                    raise InvalidManifestError(
                        f"{where}, MIME part {i}: a NodeConfig that is not UTF-8 text"
                    ) from None
                configs.extend(_documents(body, f"{where}, MIME part {i}"))
            return configs
    if media_type is None and (text.lstrip().startswith("#!") or not _NODECONFIG_KIND.search(text)):
        return []  # a shell script, TOML settings...
    return _documents(text, where)


# ---------------------------------------------------------------------------------------------
# maxPodsExpression: the CEL integer expressions nodeadm evaluates

_CEL_TOKEN = re.compile(
    r"\s*(?:(?P<int>0x[0-9a-fA-F]+|\d+)|(?P<name>[A-Za-z_][A-Za-z0-9_]*)"
    r"|(?P<op>\|\||&&|==|!=|<=|>=|[-+*/%<>!?:(),.]))"
)
_CEL_VARIABLES = ("default_enis", "ips_per_eni", "max_pods")
_INT64 = (-(2**63), 2**63 - 1)


class _CelFallback(Exception):
    """nodeadm cannot use the expression and falls back to its formula (with a warning)."""


class _Cel:
    def __init__(self, text: str, env: Mapping[str, int]) -> None:
        self.text = text
        self.env = env
        self.tokens: list[tuple[str, str]] = []
        pos = 0
        while pos < len(text):
            if text[pos:].strip() == "":
                break
            m = _CEL_TOKEN.match(text, pos)
            if m is None:
                raise ValueError(f"cannot read {short_repr(text[pos:].strip())}")
            kind = m.lastgroup or "op"
            self.tokens.append((kind, m[kind]))
            pos = m.end()
        self.i = 0

    def peek(self) -> str | None:
        return self.tokens[self.i][1] if self.i < len(self.tokens) else None

    def take(self, expected: str | None = None) -> tuple[str, str]:
        if self.i >= len(self.tokens):
            raise ValueError("the expression ends too early")
        tok = self.tokens[self.i]
        if expected is not None and tok[1] != expected:
            raise ValueError(f"expected {expected!r}, found {tok[1]!r}")
        self.i += 1
        return tok

    def parse(self) -> Any:
        value = self.ternary()
        if self.i != len(self.tokens):
            raise ValueError(f"unexpected {self.tokens[self.i][1]!r}")
        return value

    def ternary(self) -> Any:
        cond = self.binary(0)
        if self.peek() == "?":
            self.take("?")
            yes = self.ternary()
            self.take(":")
            no = self.ternary()
            if not isinstance(cond, bool):
                raise _CelFallback("the condition of ?: is not a bool")
            return yes if cond else no
        return cond

    _LEVELS = (("||",), ("&&",), ("==", "!=", "<", "<=", ">", ">="), ("+", "-"), ("*", "/", "%"))

    def binary(self, level: int) -> Any:
        if level == len(self._LEVELS):
            return self.unary()
        left = self.binary(level + 1)
        while self.peek() in self._LEVELS[level]:
            op = self.take()[1]
            right = self.binary(level + 1)
            left = self.apply(op, left, right)
        return left

    def apply(self, op: str, a: Any, b: Any) -> Any:
        if op in ("||", "&&"):
            if not (isinstance(a, bool) and isinstance(b, bool)):
                raise _CelFallback(f"no matching overload for {op} on int")
            return (a or b) if op == "||" else (a and b)
        if isinstance(a, bool) != isinstance(b, bool):
            raise _CelFallback(f"no matching overload for {op} on int and bool")
        if op == "==":
            return a == b
        if op == "!=":
            return a != b
        if isinstance(a, bool):
            raise _CelFallback(f"no matching overload for {op} on bool")
        if op in ("<", "<=", ">", ">="):
            return {"<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b}[op]
        if op in ("/", "%") and b == 0:
            raise _CelFallback("division by zero")
        if op == "+":
            result = a + b
        elif op == "-":
            result = a - b
        elif op == "*":
            result = a * b
        elif op == "/":
            result = abs(a) // abs(b) * (1 if (a >= 0) == (b >= 0) else -1)
        else:
            result = abs(a) % abs(b) * (1 if a >= 0 else -1)
        if not _INT64[0] <= result <= _INT64[1]:
            raise _CelFallback("integer overflow")
        return result

    def unary(self) -> Any:
        op = self.peek()
        if op in ("-", "!"):
            self.take()
            value = self.unary()
            if op == "!":
                if not isinstance(value, bool):
                    raise _CelFallback("no matching overload for ! on int")
                return not value
            if isinstance(value, bool):
                raise _CelFallback("no matching overload for - on bool")
            return -value
        return self.primary()

    def primary(self) -> Any:
        kind, text = self.take()
        if text == "(":
            value = self.ternary()
            self.take(")")
            return value
        if kind == "int":
            return int(text, 16) if text.startswith("0x") else int(text)
        if kind == "name":
            if self.peek() == "(" or self.peek() == ".":
                raise ValueError(f"podcap does not evaluate CEL functions ({text})")
            if text in ("true", "false"):
                return text == "true"
            if text not in self.env:
                raise _CelFallback(f"undeclared reference to {text!r}")
            return self.env[text]
        raise ValueError(f"unexpected {text!r}")


def eval_max_pods_expression(
    expression: str, *, default_enis: int, ips_per_eni: int, max_pods: int
) -> int:
    """Evaluate a ``maxPodsExpression`` as nodeadm does (``CalcMaxPods``).

    Parameters
    ----------
    expression : str
        CEL over ``default_enis``, ``ips_per_eni`` and ``max_pods`` (integers, ``+ - * / %``,
        comparisons, ``&& || !`` and ``?:``).
    default_enis, ips_per_eni : int
        The instance type's ENIs (default network card) and IPv4 addresses per ENI [count].
    max_pods : int
        nodeadm's formula ``default_enis * (ips_per_eni - 1) + 2`` [pods].

    Returns
    -------
    int
        The value nodeadm uses [pods]: the expression's, or ``max_pods`` when nodeadm would
        fall back (the expression fails, is not an integer, or is not within 1..2147483647),
        with a :class:`PodcapWarning` saying why.

    Raises
    ------
    InvalidManifestError
        For syntax podcap does not evaluate (CEL functions, strings, floats).
    """
    env = {"default_enis": default_enis, "ips_per_eni": ips_per_eni, "max_pods": max_pods}
    try:
        value = _Cel(expression, env).parse()
        if isinstance(value, bool):
            raise _CelFallback(f"the result {str(value).lower()} is not an integer")
        if not 0 < value <= _INT32_MAX:
            raise _CelFallback(f"the result {value} is not a positive integer below 2^31")
    except _CelFallback as exc:
        warnings.warn(
            f"maxPodsExpression {expression!r}: {exc}; nodeadm falls back to its formula "
            f"({max_pods} pods)",
            PodcapWarning,
            stacklevel=3,
        )
        return max_pods
    except ValueError as exc:
        raise InvalidManifestError(
            f"maxPodsExpression {expression!r}: {exc}; podcap evaluates integers, "
            f"{', '.join(_CEL_VARIABLES)}, + - * / %, comparisons, && || ! and ?: (set "
            "spec.kubelet.config.maxPods instead)"
        ) from None
    return int(value)


def nodeadm_max_pods(
    instance_type: str, expression: str | None = None, *, table: pd.DataFrame | None = None
) -> int:
    """nodeadm's maxPods for an instance type: its formula, or ``maxPodsExpression``.

    Parameters
    ----------
    instance_type : str
    expression : str, optional
        ``spec.kubelet.maxPodsExpression``.
    table : pandas.DataFrame, optional
        Instance table; default the bundled one.

    Returns
    -------
    int
        [pods]; also the value nodeadm reserves memory for (``11 x maxPods + 255`` MiB).
    """
    facts = type_facts(instance_type, table)
    standard = facts.enis * (facts.ipv4_per_eni - 1) + 2
    if not expression:
        return standard
    return eval_max_pods_expression(
        expression, default_enis=facts.enis, ips_per_eni=facts.ipv4_per_eni, max_pods=standard
    )


# ---------------------------------------------------------------------------------------------
# applying settings to a node group


def node_overrides(
    group: NodeGroup,
    *,
    max_pods: int | None,
    kube_reserved: Mapping[str, str] | None = None,
    system_reserved: Mapping[str, str] | None = None,
    eviction_hard: Mapping[str, str] | None = None,
    root_volume_gib: float | None = None,
    table: pd.DataFrame | None = None,
) -> dict[str, int]:
    """The allocatable values of a group's nodes that differ from its overhead model's.

    Parameters
    ----------
    group : NodeGroup
    max_pods : int, optional
        The kubelet's maxPods [pods].
    kube_reserved, system_reserved, eviction_hard : mapping, optional
        The kubelet's settings, each key replacing the model's (see :func:`podcap.allocatable`).
    root_volume_gib : float, optional
        The node filesystem's size [GiB].
    table : pandas.DataFrame, optional

    Returns
    -------
    dict
        ``cpu`` [millicores], ``memory`` and ``ephemeral-storage`` [bytes] for
        :attr:`NodeGroup.allocatable` (only the keys that change).
    """
    kr = {k: v for k, v in (kube_reserved or {}).items() if k in _RESERVED_KEYS}
    sr = {k: v for k, v in (system_reserved or {}).items() if k in _RESERVED_KEYS}
    ev = {k: v for k, v in (eviction_hard or {}).items() if k in _EVICTION_KEYS}
    if not (kr or sr or ev or root_volume_gib is not None):
        return {}
    overhead: Any = group.overhead
    base = allocatable(group.instance_type, overhead=overhead, max_pods=max_pods, table=table).iloc[
        0
    ]
    mine = allocatable(
        group.instance_type,
        overhead=overhead,
        max_pods=max_pods,
        kube_reserved=kr or None,
        system_reserved=sr or None,
        eviction_hard=ev or None,
        root_volume_gib=root_volume_gib,
        table=table,
    ).iloc[0]
    out: dict[str, int] = {}
    if mine["cpu_millicores"] != base["cpu_millicores"]:
        out["cpu"] = int(mine["cpu_millicores"])
    if mine["memory_mib"] != base["memory_mib"]:
        out["memory"] = int(mine["memory_mib"]) * (1 << 20)
    if mine["ephemeral_storage_gib"] != base["ephemeral_storage_gib"]:
        out["ephemeral-storage"] = int(float(mine["ephemeral_storage_gib"]) * (1 << 30))
    return out


def _vcpus(instance_type: str, table: pd.DataFrame | None) -> int | None:
    cols, pos = lookup(np.array([instance_type], dtype=object), table)
    i = int(pos[0])
    return int(cols.vcpus[i]) if cols.vcpus_known[i] else None


def apply_node_config(
    group: NodeGroup,
    config: NodeConfig | None,
    *,
    eks_max_pods: int | None = None,
    root_volume_gib: float | None = None,
    table: pd.DataFrame | None = None,
) -> NodeGroup:
    """A node group booted by nodeadm with a NodeConfig (AL2023).

    Parameters
    ----------
    group : NodeGroup
    config : NodeConfig, optional
        The merged NodeConfig of the group's user data (None: nodeadm's defaults).
    eks_max_pods : int, optional
        The ``maxPods`` EKS appends for a managed node group without a custom AMI
        (:func:`podcap.model.capacity.managed_node_group_max_pods`): it overrides the
        config's ``maxPods`` (not a ``--max-pods`` flag, which the kubelet takes over every
        configuration file).
    root_volume_gib : float, optional
        The node filesystem's size [GiB].
    table : pandas.DataFrame, optional

    Returns
    -------
    NodeGroup
        With ``max_pods`` and the ``allocatable`` values the settings change.
    """
    where = config.where if config is not None else f"NodeGroup {group.name!r}"
    settings = (config or NodeConfig()).kubelet()
    expression = config.max_pods_expression if config is not None else None
    reserve_pods = nodeadm_max_pods(group.instance_type, expression, table=table)
    flagged = any(
        f.strip().startswith("--max-pods") for f in (config.flags if config is not None else ())
    )
    if (
        config is not None
        and config.max_pods is not None
        and eks_max_pods is not None
        and not flagged
    ):
        warnings.warn(
            f"{where}: maxPods {config.max_pods} is overridden by the NodeConfig EKS appends to "
            f"a managed node group's user data (maxPods {eks_max_pods}); only a custom AMI "
            "(ami_id) or a --max-pods kubelet flag changes it",
            PodcapWarning,
            stacklevel=2,
        )
    if flagged:
        final: int | None = settings.max_pods
    elif eks_max_pods is not None:
        final = eks_max_pods
    elif settings.max_pods is not None:
        final = settings.max_pods
    elif expression:
        final = reserve_pods
    else:
        final = group.max_pods
    if settings.pods_per_core:
        cores = _vcpus(group.instance_type, table)
        if cores is not None:
            current = final if final is not None else reserve_pods
            final = min(current, settings.pods_per_core * cores)
    kube_reserved = dict(settings.kube_reserved)
    if group.overhead == "eks" and "memory" not in kube_reserved:
        standard = nodeadm_max_pods(group.instance_type, table=table)
        if reserve_pods != standard:
            kube_reserved["memory"] = f"{11 * reserve_pods + 255}Mi"
    try:
        overrides = node_overrides(
            group,
            max_pods=final,
            kube_reserved=kube_reserved,
            system_reserved=settings.system_reserved,
            eviction_hard=settings.eviction_hard,
            root_volume_gib=root_volume_gib,
            table=table,
        )
        labels = {**(group.labels or {}), **settings.labels}
        taints = (*group.taints, *(Taint.parse(t, where=where) for t in settings.taints))
        return replace(
            group,
            max_pods=final,
            allocatable={**(group.allocatable or {}), **overrides} or None,
            labels=labels,
            taints=taints,
        )
    except PodcapError as exc:
        raise InvalidManifestError(f"{where}: {exc}") from None


def apply_to_cluster(
    cluster: Cluster,
    configs: Mapping[str, NodeConfig],
    *,
    table: pd.DataFrame | None = None,
) -> Cluster:
    """A cluster whose node groups boot with NodeConfigs.

    Parameters
    ----------
    cluster : Cluster
    configs : mapping of str to NodeConfig
        By node group: ``"*"`` for every group, else a group's name (or the name its several
        instance types were split from, ``workers`` for ``workers-m5-large``).  A group's
        own config is merged over the ``"*"`` one.
    table : pandas.DataFrame, optional

    Returns
    -------
    Cluster
    """
    names = {g.name for g in cluster.node_groups}
    for key in configs:
        if key != "*" and key not in names and not any(n.startswith(f"{key}-") for n in names):
            raise InvalidManifestError(
                f"NodeConfig for node group {key!r}: no such node group; node groups: "
                f"{', '.join(sorted(names)) or 'none'}"
            )
    groups = []
    for g in cluster.node_groups:
        parts = [configs["*"]] if "*" in configs else []
        for key, c in configs.items():
            if key != "*" and (g.name == key or g.name.startswith(f"{key}-")):
                parts.append(c)
        merged = NodeConfig.merged(parts)
        groups.append(g if merged is None else apply_node_config(g, merged, table=table))
    return Cluster(groups, table=table)
