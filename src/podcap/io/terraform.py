"""Read EKS clusters from Terraform: the terraform-aws-modules/eks/aws module (an edge).

Module blocks are recognised by their ``source``, whatever they are named: the registry
(``terraform-aws-modules/eks/aws``), git (``github.com/terraform-aws-modules/terraform-aws-eks``,
``git::https://...``, ``git@github.com:...``) or a local path to a copy of the module.  The
stand-alone sub-modules ``//modules/eks-managed-node-group`` and
``//modules/self-managed-node-group`` add their node group to the cluster they name.

What is read, with the module's own defaults (``node_groups.tf``, ``variables.tf`` and
``modules/*/variables.tf`` of terraform-aws-modules/terraform-aws-eks, v20.37 and v21.x; see
``docs/domain.md`` section 11):

* v21 names (``name``, ``kubernetes_version``, ``addons``, ``ip_family``, ``compute_config``)
  and v20 names (``cluster_name``, ``cluster_version``, ``cluster_addons``,
  ``cluster_ip_family``, ``cluster_compute_config``, the ``*_node_group_defaults`` maps, whose
  attributes a group's own attributes replace one by one, as the module's ``try()`` does).
* ``eks_managed_node_groups``: ``instance_types`` (default t3.medium, EKS's), ``desired_size``
  (the nodes simulated; default 1), ``min_size`` / ``max_size`` (checked around it),
  ``capacity_type``, ``labels``, ``taints`` (``{key, value, effect}`` with EKS's effect names),
  ``ami_type`` (family and architecture), ``ami_id`` (a custom AMI), ``disk_size`` (with
  ``use_custom_launch_template = false``) or the root device's ``block_device_mappings``
  ``volume_size``, ``cloudinit_pre_nodeadm`` / ``cloudinit_post_nodeadm`` NodeConfigs,
  ``bootstrap_extra_args`` (AL2 ``--max-pods``, Bottlerocket ``max-pods``).
* ``self_managed_node_groups``: ``instance_type`` (default m6i.large) or the mixed instances
  policy's overrides, ``desired_size``, ``ami_type``, block devices, user data as above.
* The ``vpc-cni`` add-on's ``configuration_values`` (``env``) and ``addon_version``; the cluster's
  IP family.

Max pods: a managed node group without a custom AMI gets the one value EKS writes for all its
instance types (:func:`podcap.model.capacity.managed_node_group_max_pods`); other groups get what
their AMI's bootstrap computes per instance type (AL2 ``bootstrap.sh``: the eni-max-pods table;
AL2023 nodeadm: the same formula or ``maxPodsExpression``; Bottlerocket: the table), unless
their user data sets it.
"""

from __future__ import annotations

import difflib
import json
import os
import re
import tomllib
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from podcap import _yaml
from podcap.errors import InvalidManifestError, PodcapError, PodcapWarning, short_repr
from podcap.io.hcl import (
    Block,
    EvalError,
    Module,
    Unknown,
    find_unknown,
    literal_values,
    parse_file,
    parse_value,
    to_bool,
    to_number,
    to_str,
)
from podcap.io.nodeadm import (
    NodeConfig,
    apply_node_config,
    node_overrides,
    read_node_configs,
)
from podcap.io.readers import windows_node_group, zone_unknown_note
from podcap.model.capacity import MaxPodsPolicy, managed_node_group_max_pods, max_pods
from podcap.model.instances import check_instance_type, device_resources, type_facts
from podcap.model.specs import Cluster, EbsCsiDriver, NodeGroup, Taint, VpcCni

__all__ = ["TerraformCluster", "read_terraform", "select_cluster"]

_MISSING: Any = object()

# EKS's names for taint effects (the EKS API's Taint.effect) and Kubernetes' names for them.
TAINT_EFFECTS = {
    "NO_SCHEDULE": "NoSchedule",
    "NO_EXECUTE": "NoExecute",
    "PREFER_NO_SCHEDULE": "PreferNoSchedule",
}
CAPACITY_TYPES = ("ON_DEMAND", "SPOT", "CAPACITY_BLOCK")
# The AMI types of the module's modules/_user_data/main.tf (ami_type_to_user_data_path).
AMI_FAMILIES = ("AL2_", "AL2023_", "BOTTLEROCKET_", "WINDOWS_")
# The device holding the kubelet's filesystem (nodefs) per family: the root volume of the EKS
# AMIs; Bottlerocket's data volume.
_NODEFS_DEVICE = {
    "AL2": "/dev/xvda",
    "AL2023": "/dev/xvda",
    "BOTTLEROCKET": "/dev/xvdb",
    "WINDOWS": "/dev/sda1",
}
#: Root volume of the EKS AMIs and EKS's default ``disk_size`` [GiB].
DEFAULT_DISK_GIB = 20

_REGISTRY = re.compile(
    r"^(?:(?:registry\.terraform\.io|registry\.opentofu\.org)/)?terraform-aws-modules/eks/aws"
    r"(?://(?P<sub>[^?]*))?$",
    re.I,
)
_GIT = re.compile(
    r"^(?:git::)?(?:(?:https|ssh)://)?(?:git@)?github\.com[/:]terraform-aws-modules/"
    r"terraform-aws-eks(?:\.git)?(?://(?P<sub>[^?]*))?(?:\?(?P<query>.*))?$",
    re.I,
)
_SUBMODULES = {
    "": "eks",
    "modules/eks-managed-node-group": "eks-managed-node-group",
    "modules/self-managed-node-group": "self-managed-node-group",
}


@dataclass
class TerraformCluster:
    """One EKS cluster read from a module block.

    Attributes
    ----------
    name : str
        The EKS cluster's name (the block's address when it cannot be evaluated).
    address : str
        ``module.eks`` (with ``[key]`` for ``count`` / ``for_each`` instances).
    where : str
        ``file:line`` of the block.
    version : int
        The module's major version the block was read as (20 or 21).
    cluster : Cluster
    addons : frozenset of str
        The EKS add-ons it installs.
    skipped : list of str
        What was not used, each named.
    auto_mode : tuple of str or None
        EKS Auto Mode's built-in NodePools enabled by ``compute_config`` (None: Auto Mode off).
    """

    name: str
    address: str
    where: str
    version: int
    cluster: Cluster
    addons: frozenset[str] = frozenset()
    skipped: list[str] = field(default_factory=list)
    auto_mode: tuple[str, ...] | None = None


# ---------------------------------------------------------------------------------------------
# loading a directory


def _load(
    path: Path, variables: Mapping[str, Any], var_files: Sequence[str | os.PathLike[str]]
) -> tuple[Module, list[str], dict[str, Any]]:
    """The root module with its variable values, what was skipped, and attribute overrides."""
    directory = path if path.is_dir() else path.parent
    tf = sorted(directory.glob("*.tf"))
    if not tf:
        raise InvalidManifestError(f"{directory}: no Terraform (*.tf) files")
    skipped: list[str] = []
    json_files = sorted(directory.glob("*.tf.json"))
    if json_files:
        skipped.append(
            f"{', '.join(p.name for p in json_files)}: Terraform JSON syntax is not read by podcap"
        )
    # override files are merged last (Terraform's override files replace what they repeat)
    tf.sort(key=lambda p: (p.name == "override.tf" or p.name.endswith("_override.tf"), p.name))
    files = [parse_file(p) for p in tf]

    values: dict[str, Any] = {}
    sources: dict[str, str] = {}
    auto = [directory / "terraform.tfvars", directory / "terraform.tfvars.json"]
    auto += sorted(directory.glob("*.auto.tfvars")) + sorted(directory.glob("*.auto.tfvars.json"))
    given = [Path(p) for p in var_files]
    for f in [p for p in auto if p.is_file()] + given:
        for name, value in _var_file(f).items():
            values[name] = value
            sources[name] = f.name
    loaded = {p.resolve() for p in auto + given if p.is_file()}
    others = [p.name for p in sorted(directory.glob("*.tfvars")) if p.resolve() not in loaded]
    if others:
        skipped.append(
            f"{', '.join(others)}: Terraform loads these only with -var-file; give them with "
            "--var-file FILE (read_cluster(..., var_files=[...]))"
        )
    module = Module(directory, files, values, sources, root=directory)
    overrides: dict[str, Any] = {}
    unknown_names = []
    for name, value in variables.items():
        if "." in name:
            overrides[name] = value
            continue
        spec = module.variables.get(name)
        if spec is None:
            unknown_names.append(name)
            continue
        values[name] = parse_value(value, spec.type) if isinstance(value, str) else value
        sources[name] = "--var"
    if unknown_names:
        close = {
            n: difflib.get_close_matches(n, list(module.variables), n=1) for n in unknown_names
        }
        listed = ", ".join(
            f"{n!r}" + (f" (did you mean {close[n][0]!r}?)" if close[n] else "")
            for n in unknown_names
        )
        raise InvalidManifestError(
            f"{directory}: no variable block for {listed}; variables: "
            f"{', '.join(sorted(module.variables)) or 'none'} (set an attribute of a module "
            "block with its address, e.g. module.eks.eks_managed_node_groups.default."
            "desired_size=3)"
        )
    # values changed after the Module was built: it reads them lazily
    module.values = values
    module.value_sources = sources
    return module, skipped, overrides


def _var_file(path: Path) -> dict[str, Any]:
    if path.name.endswith(".json"):
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise InvalidManifestError(f"{path}: cannot read: {exc}") from None
        _yaml.check_size(text, str(path))
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise InvalidManifestError(
                f"{path}: malformed JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}"
            ) from None
        if not isinstance(data, dict):
            raise InvalidManifestError(f"{path}: expected a JSON object of variable values")
        return data
    if not path.is_file():
        raise InvalidManifestError(f"{path}: no such variables file")
    return literal_values(parse_file(path))


# ---------------------------------------------------------------------------------------------
# recognising the module


@dataclass(frozen=True)
class _Source:
    kind: str  # eks, eks-managed-node-group, self-managed-node-group, other-eks
    version: int | None
    text: str


def _classify(module: Module, block: Block) -> _Source | None:
    expr = block.attributes.get("source")
    if expr is None:
        return None
    try:
        source = module.evaluate(expr)
    except EvalError:
        return None
    if not isinstance(source, str):
        return None
    version: int | None = None
    sub: str | None = None
    m = _REGISTRY.match(source.strip())
    if m is not None:
        sub = (m["sub"] or "").strip("/")
        version = _major(block, module)
    else:
        g = _GIT.match(source.strip())
        if g is not None:
            sub = (g["sub"] or "").strip("/")
            ref = re.search(r"(?:^|&)ref=v?(\d+)", g["query"] or "")
            version = int(ref[1]) if ref else None
    if sub is not None:
        return _Source(_SUBMODULES.get(sub, "other-eks"), version, source)
    if source.startswith(("./", "../")):
        return _local(module.directory / source, block, source)
    return None


def _major(block: Block, module: Module) -> int | None:
    expr = block.attributes.get("version")
    if expr is None:
        return None
    try:
        text = module.evaluate(expr)
    except EvalError:
        return None
    m = re.search(r"\d+", text) if isinstance(text, str) else None
    return int(m[0]) if m else None


def _local(directory: Path, block: Block, source: str) -> _Source | None:
    texts = ""
    if directory.is_dir():
        for p in sorted(directory.glob("*.tf"))[:50]:
            try:
                texts += p.read_text(encoding="utf-8", errors="replace")[:500_000]
            except OSError:
                continue
    if texts:
        if 'resource "aws_eks_cluster"' in texts and "eks_managed_node_groups" in texts:
            version = 21 if 'variable "kubernetes_version"' in texts else 20
            return _Source("eks", version, source)
        if 'resource "aws_eks_node_group"' in texts:
            return _Source("eks-managed-node-group", None, source)
        if 'resource "aws_autoscaling_group"' in texts and "self-managed" in str(directory):
            return _Source("self-managed-node-group", None, source)
        return None
    # the module is not here (a copied example): recognise it by its path or its arguments
    tail = directory.as_posix().rstrip("/")
    if tail.endswith("modules/eks-managed-node-group"):
        return _Source("eks-managed-node-group", None, source)
    if tail.endswith("modules/self-managed-node-group"):
        return _Source("self-managed-node-group", None, source)
    if tail.endswith("terraform-aws-eks") or (
        _EKS_ONLY & set(block.attributes) and {"name", "cluster_name"} & set(block.attributes)
    ):
        return _Source("eks", None, source)
    return None


# arguments only the EKS module has (with a cluster name, they identify a local copy of it)
_EKS_ONLY = frozenset(
    {
        "eks_managed_node_groups",
        "self_managed_node_groups",
        "fargate_profiles",
        "compute_config",
        "cluster_compute_config",
        "enable_cluster_creator_admin_permissions",
        "access_entries",
        "eks_managed_node_group_defaults",
        "self_managed_node_group_defaults",
    }
)


_V21 = ("name", "kubernetes_version", "addons", "ip_family", "compute_config")
_V20 = (
    "cluster_name",
    "cluster_version",
    "cluster_addons",
    "cluster_ip_family",
    "cluster_compute_config",
    "eks_managed_node_group_defaults",
    "self_managed_node_group_defaults",
)


def _version(source: _Source, block: Block) -> int:
    if source.version is not None:
        return 21 if source.version >= 21 else 20
    if set(_V21) & set(block.attributes):
        return 21
    if set(_V20) & set(block.attributes):
        return 20
    return 21


# ---------------------------------------------------------------------------------------------
# reading one module block


class _Instance:
    """One instance of a module block (``count`` / ``for_each`` give several)."""

    def __init__(
        self,
        module: Module,
        block: Block,
        address: str,
        bindings: Mapping[str, Any],
        overrides: Mapping[str, Any],
    ) -> None:
        self.module = module
        self.block = block
        self.address = address
        self.bindings = bindings
        self.overrides = overrides
        self._cache: dict[str, Any] = {}
        self.used: set[str] = set()

    def attr(self, name: str) -> Any:
        if name in self._cache:
            return self._cache[name]
        expr = self.block.attributes.get(name)
        if expr is None:
            value = _MISSING
        else:
            try:
                value = self.module.evaluate(expr, self.bindings)
            except EvalError as exc:
                raise InvalidManifestError(
                    f"{self.block.file.path}:{expr.line}, {self.block.title}, {name}: "
                    f"{expr.text}: {exc}"
                ) from None
            if isinstance(value, Unknown):
                value = value.within(expr.text)
        self._cache[name] = value
        return value

    def get(self, *path: str) -> Any:
        """The value at an attribute path (an override first), _MISSING when absent or null."""
        key = f"{self.address}.{'.'.join(path)}"
        if key in self.overrides:
            value = self.overrides[key]
            if isinstance(value, str):
                value = parse_value(value, "any")
            return value
        value = self.attr(path[0])
        for step in path[1:]:
            if value is _MISSING or value is None or isinstance(value, Unknown):
                break
            if not isinstance(value, Mapping):
                raise InvalidManifestError(
                    f"{self.location(path[0])}, {'.'.join(path[: path.index(step)])}: expected "
                    f"an object, got {short_repr(value)}"
                )
            value = value.get(step, _MISSING)
        return _MISSING if value is None else value

    def location(self, attribute: str) -> str:
        expr = self.block.attributes.get(attribute)
        line = expr.line if expr is not None else self.block.line
        return f"{self.block.file.path}:{line}, {self.block.title}"

    def need(self, path: Sequence[str], value: Any, *, deep: bool = True) -> Any:
        """``value`` (read at ``path``), or the error saying why it is unknown and how to give
        it; ``deep=False`` for a map whose members are read one by one."""
        unknown = find_unknown(value) if deep else value if isinstance(value, Unknown) else None
        if unknown is None:
            return value
        dotted = ".".join(path)
        expr = unknown.expr or unknown.ref
        if unknown.variable:
            hint = (
                f"give the variable a value: --var {unknown.variable}=VALUE, a terraform.tfvars "
                f"entry, or read_cluster(..., variables={{{unknown.variable!r}: VALUE}})"
            )
        else:
            hint = (
                f"give this value directly: --var {self.address}.{dotted}=VALUE "
                f"(read_cluster(..., variables={{'{self.address}.{dotted}': VALUE}}))"
            )
        raise InvalidManifestError(
            f"{self.location(path[0])}, {dotted}: cannot evaluate `{expr}`: "
            f"{unknown.reason}; {hint}"
        )

    def fail(self, path: Sequence[str], message: str) -> InvalidManifestError:
        return InvalidManifestError(f"{self.location(path[0])}, {'.'.join(path)}: {message}")

    # typed reads ------------------------------------------------------------------------------

    def integer(self, path: Sequence[str], value: Any, minimum: int = 0) -> int:
        value = self.need(path, value)
        try:
            number = to_number(value)
        except EvalError:
            number = -1.5
        if not isinstance(number, int) or number < minimum:
            raise self.fail(path, f"expected a whole number >= {minimum}, got {short_repr(value)}")
        return number

    def string(self, path: Sequence[str], value: Any) -> str:
        value = self.need(path, value)
        try:
            return to_str(value)
        except EvalError:
            raise self.fail(path, f"expected a string, got {short_repr(value)}") from None

    def boolean(self, path: Sequence[str], value: Any) -> bool:
        value = self.need(path, value)
        try:
            return to_bool(value)
        except EvalError:
            raise self.fail(path, f"expected true or false, got {short_repr(value)}") from None

    def strings(self, path: Sequence[str], value: Any) -> list[str]:
        value = self.need(path, value)
        if not isinstance(value, list):
            raise self.fail(path, f"expected a list of strings, got {short_repr(value)}")
        return [self.string(path, v) for v in value]

    def string_map(self, path: Sequence[str], value: Any) -> dict[str, str]:
        value = self.need(path, value)
        if not isinstance(value, Mapping):
            raise self.fail(path, f"expected a map of strings, got {short_repr(value)}")
        return {str(k): self.string([*path, str(k)], v) for k, v in value.items()}


class _Group:
    """Attribute reads for one node group of a map (and its v20 defaults map)."""

    def __init__(
        self, inst: _Instance, section: str, key: str, defaults: str | None, version: int
    ) -> None:
        self.inst = inst
        self.section = section
        self.key = key
        self.defaults = defaults if version == 20 else None
        self.key_name = _group_name(key)

    @property
    def label(self) -> str:
        """``eks_managed_node_groups.default`` (for messages)."""
        return f"{self.section}.{self.key}"

    def path(self, *attr: str) -> list[str]:
        return [self.section, self.key, *attr]

    def raw(self, *attr: str) -> Any:
        value = self.inst.get(self.section, self.key, *attr)
        if value is _MISSING and self.defaults is not None:
            fallback = self.inst.get(self.defaults, *attr)
            if fallback is not _MISSING:
                return fallback
        return value

    def has(self, *attr: str) -> bool:
        return self.raw(*attr) is not _MISSING

    def integer(self, attr: str, default: int) -> int:
        value = self.raw(attr)
        return default if value is _MISSING else self.inst.integer(self.path(attr), value)

    def string(self, attr: str, default: str | None) -> str | None:
        value = self.raw(attr)
        return default if value is _MISSING else self.inst.string(self.path(attr), value)

    def boolean(self, attr: str, default: bool) -> bool:
        value = self.raw(attr)
        return default if value is _MISSING else self.inst.boolean(self.path(attr), value)


class _BlockGroup(_Group):
    """A stand-alone node-group sub-module block: its own attributes are the group's."""

    def __init__(self, inst: _Instance, section: str) -> None:
        super().__init__(inst, section, inst.block.labels[0], None, 21)

    @property
    def label(self) -> str:
        return self.inst.address

    def path(self, *attr: str) -> list[str]:
        return list(attr)

    def raw(self, *attr: str) -> Any:
        return self.inst.get(*attr)


def _family(ami_type: str) -> str:
    for prefix in AMI_FAMILIES:
        if ami_type.startswith(prefix):
            return prefix.rstrip("_")
    return ami_type  # CUSTOM


def _ami_arch(ami_type: str) -> str | None:
    if "_ARM_64" in ami_type:
        return "arm64"
    if "_x86_64" in ami_type:
        return "amd64"
    return None


def _ami_device_plugins(ami_type: str) -> tuple[str, ...]:
    """The device plugins an EKS AMI type runs by itself (EKS User Guide, "Install Kubernetes
    device plugin for GPUs"): Bottlerocket's NVIDIA variants ship NVIDIA's plugin; the AL2 GPU,
    AL2023 NVIDIA and AL2023 Neuron AMIs ship the drivers only, the plugin is installed
    separately (a DaemonSet or Helm chart podcap does not see)."""
    if ami_type.startswith("BOTTLEROCKET_") and "_NVIDIA" in ami_type:
        return ("nvidia",)
    return ()


def _group_name(key: str) -> str:
    name = re.sub(r"[^a-z0-9.-]+", "-", key.lower()).strip("-.")
    return name or "group"


def _version_tuple(text: str | None) -> tuple[int, int] | None:
    m = re.match(r"^v?(\d+)\.(\d+)", text or "")
    return (int(m[1]), int(m[2])) if m else None


@dataclass
class _Cluster:
    inst: _Instance
    version: int
    name: str
    cni: VpcCni
    kubernetes_version: str | None
    table: pd.DataFrame | None
    groups: list[NodeGroup] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


def _taints(inst: _Instance, path: list[str], value: Any) -> list[str]:
    value = inst.need(path, value, deep=False)
    items: list[tuple[str, Any]]
    if isinstance(value, Mapping):
        items = [(str(k), v) for k, v in value.items()]
    elif isinstance(value, list):
        items = [(str(i), v) for i, v in enumerate(value)]
    else:
        raise inst.fail(path, f"expected a map of {{key, value, effect}}, got {short_repr(value)}")
    out = []
    for name, t in items:
        where = [*path, name]
        if not isinstance(t, Mapping) or "key" not in t or "effect" not in t:
            raise inst.fail(where, f"a taint needs key and effect, got {short_repr(t)}")
        effect = inst.string([*where, "effect"], t["effect"])
        if effect not in TAINT_EFFECTS:
            valid = ", ".join(TAINT_EFFECTS)
            raise inst.fail(
                [*where, "effect"],
                f"{effect!r} is not an EKS taint effect; valid: {valid} (NoSchedule, NoExecute "
                "and PreferNoSchedule in Kubernetes)",
            )
        key = inst.string([*where, "key"], t["key"])
        raw_value = t.get("value")
        text = "" if raw_value is None else inst.string([*where, "value"], raw_value)
        out.append(
            f"{key}={text}:{TAINT_EFFECTS[effect]}" if text else f"{key}:{TAINT_EFFECTS[effect]}"
        )
    return out


def _node_configs(inst: _Instance, path: list[str], value: Any) -> list[NodeConfig]:
    """NodeConfigs of a ``cloudinit_pre_nodeadm`` / ``cloudinit_post_nodeadm`` list."""
    if value is _MISSING:
        return []
    value = inst.need(path, value)
    if not isinstance(value, list):
        raise inst.fail(
            path, f"expected a list of {{content_type, content}}, got {short_repr(value)}"
        )
    out: list[NodeConfig] = []
    for i, part in enumerate(value):
        where = [*path, str(i)]
        if not isinstance(part, Mapping) or "content" not in part:
            raise inst.fail(where, "expected {content_type, content}")
        content = inst.string([*where, "content"], part["content"])
        content_type = part.get("content_type")
        media = (
            None if content_type is None else inst.string([*where, "content_type"], content_type)
        )
        label = f"{inst.location(path[0])}, {'.'.join(where)}"
        try:
            out.extend(read_node_configs(content, label, media_type=media))
        except PodcapError as exc:
            raise InvalidManifestError(str(exc)) from None
    return out


_AL2_FLAG = re.compile(r"--(max-pods|node-labels|register-with-taints)[= ]([^\s'\"]+)")


@dataclass
class _Bootstrap:
    """What a group's ``bootstrap_extra_args`` sets on the kubelet."""

    max_pods: int | None = None
    labels: dict[str, str] = field(default_factory=dict)
    taints: list[str] = field(default_factory=list)


def _bootstrap_args(family: str, text: str, where: str) -> _Bootstrap:
    """AL2: ``bootstrap.sh`` arguments (``--kubelet-extra-args '--max-pods=N
    --node-labels=k=v --register-with-taints=k=v:Effect'``); Windows: the same kubelet flags in
    ``Start-EKSBootstrap.ps1``'s ``-KubeletExtraArgs '...'``; Bottlerocket: TOML settings
    (``[settings.kubernetes]`` ``max-pods``, ``node-labels``, ``node-taints``)."""
    out = _Bootstrap()
    if not text.strip():
        return out
    if family in ("AL2", "WINDOWS"):
        for m in _AL2_FLAG.finditer(text):
            if m[1] == "max-pods":
                out.max_pods = int(m[2]) if m[2].isdigit() else None
            elif m[1] == "node-labels":
                for pair in m[2].split(","):
                    key, _, value = pair.partition("=")
                    if key:
                        out.labels[key] = value
            else:
                out.taints.extend(t for t in m[2].split(",") if t)
        return out
    if family != "BOTTLEROCKET":
        return out
    try:
        settings = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InvalidManifestError(
            f"{where}: not valid TOML (Bottlerocket settings): {exc}"
        ) from None
    kubernetes = (settings.get("settings") or {}).get("kubernetes") or {}
    if not isinstance(kubernetes, Mapping):
        return out
    raw = kubernetes.get("max-pods")
    if raw is not None:
        if isinstance(raw, bool) or not str(raw).isdigit():
            raise InvalidManifestError(
                f"{where}: settings.kubernetes.max-pods must be a whole number, got {raw!r}"
            )
        out.max_pods = int(raw)
    labels = kubernetes.get("node-labels") or {}
    taints = kubernetes.get("node-taints") or {}
    if not isinstance(labels, Mapping) or not isinstance(taints, Mapping):
        raise InvalidManifestError(
            f"{where}: settings.kubernetes.node-labels and node-taints must be tables"
        )
    for key, value in labels.items():
        out.labels[str(key)] = str(value)
    for key, value in taints.items():
        for item in value if isinstance(value, list) else [value]:
            text_value, _, effect = str(item).rpartition(":")
            out.taints.append(f"{key}={text_value}:{effect}" if text_value else f"{key}:{effect}")
    return out


def _volume_gib(
    group: _Group, family: str, custom_template: bool, skipped: list[str]
) -> float | None:
    inst = group.inst
    if not custom_template:
        size = group.raw("disk_size")
        if size is _MISSING:
            return None
        return float(inst.integer(group.path("disk_size"), size, minimum=1))
    if group.has("disk_size"):
        skipped.append(
            f"{group.label}.disk_size: ignored by the module with its custom launch "
            "template (it sets block_device_mappings instead)"
        )
    mappings = group.raw("block_device_mappings")
    if mappings is _MISSING:
        return None
    mappings = inst.need(group.path("block_device_mappings"), mappings, deep=False)
    entries = mappings.items() if isinstance(mappings, Mapping) else enumerate(mappings or [])
    device = _NODEFS_DEVICE.get(family, "/dev/xvda")
    for name, m in entries:
        where = group.path("block_device_mappings", str(name))
        if not isinstance(m, Mapping):
            raise inst.fail(where, f"expected {{device_name, ebs}}, got {short_repr(m)}")
        dev = m.get("device_name")
        if dev is None or inst.string([*where, "device_name"], dev) != device:
            continue
        ebs = m.get("ebs")
        size = ebs.get("volume_size") if isinstance(ebs, Mapping) else None
        if size is None:
            return None
        return float(inst.integer([*where, "ebs", "volume_size"], size, minimum=1))
    return None


def _node_groups(
    c: _Cluster,
    group: _Group,
    *,
    managed: bool,
    types: list[str],
    count: int,
    labels: dict[str, str],
    taints: list[str],
    ami_type: str,
    custom_ami: bool,
    custom_template: bool,
    bounds: tuple[int | None, int | None] = (None, None),
) -> list[NodeGroup]:
    """The podcap node groups of one Terraform node group (one per instance type)."""
    inst = group.inst
    family = _family(ami_type)
    attribute = group.path()[0] if group.path() else "source"
    where = f"{inst.location(attribute)}, {group.label}"
    arch = _ami_arch(ami_type)
    for t in types:
        try:
            check_instance_type(t, c.table)
        except PodcapError as exc:
            raise InvalidManifestError(f"{where}: {exc}") from None
        facts = type_facts(t, c.table)
        if arch is not None and facts.arch is not None and facts.arch != arch:
            raise InvalidManifestError(
                f"{where}: instance type {t} is {facts.arch} but ami_type {ami_type} is for "
                f"{arch}; EKS cannot launch it (pick an {facts.arch} AMI type or "
                f"{arch} instance types)"
            )
    volume = _volume_gib(group, family, custom_template, c.skipped)
    # user data: NodeConfigs (AL2023), bootstrap arguments (AL2, Bottlerocket)
    configs = _node_configs(
        inst, group.path("cloudinit_pre_nodeadm"), group.raw("cloudinit_pre_nodeadm")
    )
    bootstrap = (not managed) or group.boolean("enable_bootstrap_user_data", False)
    if bootstrap:
        configs += _node_configs(
            inst, group.path("cloudinit_post_nodeadm"), group.raw("cloudinit_post_nodeadm")
        )
    extra = group.raw("bootstrap_extra_args")
    extra_text = "" if extra is _MISSING else inst.string(group.path("bootstrap_extra_args"), extra)
    # the module renders bootstrap_extra_args into self-managed groups' and custom-AMI groups'
    # user data; on a managed group's EKS AMI only Bottlerocket's TOML is merged with EKS's
    args = (
        _bootstrap_args(family, extra_text, f"{where}.bootstrap_extra_args")
        if bootstrap or family == "BOTTLEROCKET"
        else _Bootstrap()
    )
    labels = {**labels, **args.labels}
    taints = [*taints, *args.taints]
    config = NodeConfig.merged(configs)
    if config is not None and family != "AL2023":
        c.skipped.append(
            f"{group.label}: NodeConfig user data (read by nodeadm on AL2023 only) "
            f"on {ami_type} nodes"
        )
        config = None
    explicit: int | None = None
    # the AMI's own value per instance type (section 11 of docs/domain.md)
    policy: MaxPodsPolicy = "nodeadm" if family == "AL2023" else "eni-max-pods"
    eks_max: int | None = None
    if managed and not custom_ami and family != "WINDOWS":
        cni = c.cni
        eks_max = managed_node_group_max_pods(
            types,
            prefix_delegation=cni.prefix_delegation or cni.ip_family == "ipv6",
            custom_networking=cni.custom_networking,
            cni_version=cni.cni_version,
            table=c.table,
        )
        if args.max_pods is not None:
            c.skipped.append(
                f"{group.label}.bootstrap_extra_args: max-pods {args.max_pods} (EKS sets its own "
                "for a managed node group without a custom AMI)"
            )
    else:
        explicit = args.max_pods
    plugins = _ami_device_plugins(ami_type)
    out = []
    n = len(types)
    for k, t in enumerate(types):
        share = count // n + (1 if k < count % n else 0)
        devices = device_resources(t, plugins, c.table)
        lacking = sorted(set(device_resources(t, table=c.table)) - set(devices))
        if lacking:
            c.skipped.append(
                f"{group.label}: {t} has devices ({', '.join(lacking)}) but {ami_type} runs no "
                "device plugin for them (only Bottlerocket's NVIDIA AMIs ship one; install it "
                "and give the resources with a podcap cluster file): the nodes offer none"
            )
        name = group.key_name if n == 1 else f"{group.key_name}-{t.replace('.', '-')}"
        try:
            g = NodeGroup(
                name,
                t,
                share,
                max_pods=eks_max if eks_max is not None else explicit,
                max_pods_policy=policy,
                overhead="eks",
                cni=c.cni,
                labels=labels,
                taints=tuple(Taint.parse(x, where=where) for x in taints),
                # the Auto Scaling group's bounds, for a cluster-autoscaler (one type only:
                # a mixed group's bounds are the whole group's)
                min_count=bounds[0] if n == 1 else None,
                max_count=bounds[1] if n == 1 else None,
                extended_resources=devices or None,
            )
            if family == "WINDOWS":
                release = re.search(r"_(\d{4})_", ami_type)
                g = windows_node_group(g, release[1] if release else None, c.table)
            if family == "AL2023":
                g = apply_node_config(
                    g, config, eks_max_pods=eks_max, root_volume_gib=volume, table=c.table
                )
            else:
                final = g.max_pods
                reserved: dict[str, str] = {}
                if family == "BOTTLEROCKET":
                    # Bottlerocket reserves memory for the maxPods the node runs with
                    if final is None:
                        final = int(max_pods(t, policy=policy, table=c.table))
                    reserved["memory"] = f"{11 * final + 255}Mi"
                overrides = node_overrides(
                    g,
                    max_pods=final,
                    kube_reserved=reserved,
                    root_volume_gib=volume,
                    table=c.table,
                )
                if overrides:
                    g = replace(g, allocatable=overrides)
        except InvalidManifestError:
            raise
        except PodcapError as exc:
            raise InvalidManifestError(f"{where}: {exc}") from None
        out.append(g)
    return out


def _each_group(
    c: _Cluster, section: str, defaults: str, read: Callable[[_Cluster, _Group], None]
) -> None:
    """Every group of one map of node groups (``eks_managed_node_groups`` or
    ``self_managed_node_groups``), each read with its ``defaults`` map."""
    inst = c.inst
    value = inst.get(section)
    if value is _MISSING:
        return
    groups = inst.need([section], value, deep=False)
    if not isinstance(groups, Mapping):
        raise inst.fail([section], f"expected a map of node groups, got {short_repr(groups)}")
    for key in groups:
        inst.need([section, str(key)], groups[key], deep=False)
        read(c, _Group(inst, section, str(key), defaults, c.version))


def _managed_group(c: _Cluster, group: _Group) -> None:
    """One EKS managed node group (``modules/eks-managed-node-group``)."""
    inst = group.inst
    if not group.boolean("create", True):
        c.skipped.append(f"{group.label}: create = false")
        return
    name = group.string("name", group.key) or group.key
    group.key_name = _group_name(name)
    types_raw = group.raw("instance_types")
    types = [] if types_raw is _MISSING else inst.strings(group.path("instance_types"), types_raw)
    types = types or ["t3.medium"]  # EKS's default (the module's instance_types description)
    count, low, high = _sizes(group, minimum_default=1)
    capacity = group.string("capacity_type", "ON_DEMAND") or "ON_DEMAND"
    if capacity not in CAPACITY_TYPES:
        raise inst.fail(
            group.path("capacity_type"),
            f"{capacity!r} is not a capacity type; valid: {', '.join(CAPACITY_TYPES)}",
        )
    labels_raw = group.raw("labels")
    labels = {} if labels_raw is _MISSING else inst.string_map(group.path("labels"), labels_raw)
    # the labels EKS puts on every node of a managed node group; the group's name is
    # name-<timestamp> unless use_name_prefix = false (the module's default is true)
    if not group.boolean("use_name_prefix", True):
        labels.setdefault("eks.amazonaws.com/nodegroup", name)
    labels.setdefault("eks.amazonaws.com/capacityType", capacity)
    taints_raw = group.raw("taints")
    taints = [] if taints_raw is _MISSING else _taints(inst, group.path("taints"), taints_raw)
    ami_id = group.raw("ami_id")
    custom_ami = ami_id is not _MISSING and (isinstance(ami_id, Unknown) or ami_id != "")
    ami_type = group.string("ami_type", None)
    if ami_type is None:
        ami_type = _default_managed_ami(c)
    _check_ami_type(inst, group.path("ami_type"), ami_type)
    custom_template = group.boolean("use_custom_launch_template", True)
    if (
        custom_template
        and not group.boolean("create_launch_template", True)
        and group.has("launch_template_id")
    ):
        c.skipped.append(
            f"{group.label}.launch_template_id: an external launch template is taken to have "
            "no custom AMI and no user data"
        )
    c.groups.extend(
        _node_groups(
            c,
            group,
            managed=True,
            types=types,
            count=count,
            labels=labels,
            taints=taints,
            ami_type=ami_type,
            custom_ami=custom_ami,
            custom_template=custom_template,
            bounds=(low, high),
        )
    )


def _sizes(group: _Group, *, minimum_default: int) -> tuple[int, int | None, int | None]:
    """desired_size (the nodes simulated), checked within min_size and max_size."""
    inst = group.inst
    count = group.integer("desired_size", 1)
    low = high = None
    raw_low, raw_high = group.raw("min_size"), group.raw("max_size")
    if not isinstance(find_unknown(raw_low), Unknown):
        low = group.integer("min_size", minimum_default)
    if not isinstance(find_unknown(raw_high), Unknown):
        high = group.integer("max_size", 3)
    if low is not None and count < low:
        raise inst.fail(
            group.path("desired_size"),
            f"{count} is below min_size {low}; EKS and Auto Scaling refuse it",
        )
    if high is not None and count > high:
        raise inst.fail(
            group.path("desired_size"),
            f"{count} is above max_size {high}; EKS and Auto Scaling refuse it",
        )
    return count, low, high


def _default_managed_ami(c: _Cluster) -> str:
    """EKS's AMI type for a managed node group that names none: AL2023 from Kubernetes 1.30
    (the module's examples/eks-managed-node-group/eks-al2023.tf: "Starting on 1.30, AL2023 is
    the default AMI type for EKS managed node groups"); v21 passes its own default,
    AL2023_x86_64_STANDARD (modules/eks-managed-node-group/variables.tf)."""
    if c.version >= 21:
        return "AL2023_x86_64_STANDARD"
    version = _version_tuple(c.kubernetes_version)
    if version is not None and version < (1, 30):
        return "AL2_x86_64"
    return "AL2023_x86_64_STANDARD"


def _check_ami_type(inst: _Instance, path: list[str], ami_type: str) -> None:
    if ami_type == "CUSTOM" or ami_type.startswith(AMI_FAMILIES):
        return
    raise inst.fail(
        path,
        f"{ami_type!r} is not an EKS AMI type; valid: AL2023_x86_64_STANDARD, "
        "AL2023_ARM_64_STANDARD, AL2023_x86_64_NVIDIA, AL2_x86_64, AL2_ARM_64, "
        "BOTTLEROCKET_x86_64, BOTTLEROCKET_ARM_64, WINDOWS_CORE_2022_x86_64, ... or CUSTOM",
    )


def _self_managed_group(c: _Cluster, group: _Group) -> None:
    """One self-managed node group (``modules/self-managed-node-group``): an Auto Scaling group
    of EKS-optimized AMIs bootstrapped by the module's user data."""
    inst = group.inst
    if not group.boolean("create", True):
        c.skipped.append(f"{group.label}: create = false")
        return
    name = group.string("name", group.key) or group.key
    group.key_name = _group_name(name)
    types = _self_managed_types(group, c)
    if not types:
        return
    count, low, high = _sizes(group, minimum_default=1 if c.version >= 21 else 0)
    default_ami = "AL2023_x86_64_STANDARD" if c.version >= 21 else "AL2_x86_64"
    ami_type = group.string("ami_type", default_ami) or default_ami
    _check_ami_type(inst, group.path("ami_type"), ami_type)
    c.groups.extend(
        _node_groups(
            c,
            group,
            managed=False,
            types=types,
            count=count,
            labels={},
            taints=[],
            ami_type=ami_type,
            custom_ami=True,
            custom_template=True,
            bounds=(low, high),
        )
    )


def _self_managed_types(group: _Group, c: _Cluster) -> list[str]:
    inst = group.inst
    base = group.string("instance_type", "m6i.large") or "m6i.large"
    if not group.boolean("use_mixed_instances_policy", False):
        if group.has("instance_requirements"):
            return _skip_requirements(group, c)
        return [base]
    policy = group.raw("mixed_instances_policy")
    if policy is _MISSING:
        return [base]
    policy = inst.need(group.path("mixed_instances_policy"), policy, deep=False)
    if not isinstance(policy, Mapping):
        raise inst.fail(group.path("mixed_instances_policy"), "expected an object")
    template = policy.get("launch_template")
    overrides = (
        template.get("override") if isinstance(template, Mapping) else policy.get("override")
    )  # v21: launch_template.override; v20: override
    if overrides is None:
        return [base]
    path = group.path("mixed_instances_policy", "launch_template", "override")
    overrides = inst.need(path, overrides, deep=False)
    types = []
    for i, o in enumerate(overrides if isinstance(overrides, list) else []):
        if isinstance(o, Mapping) and o.get("instance_type") is not None:
            types.append(inst.string([*path, str(i), "instance_type"], o["instance_type"]))
        elif isinstance(o, Mapping) and o.get("instance_requirements") is not None:
            return _skip_requirements(group, c)
    return types or [base]


def _skip_requirements(group: _Group, c: _Cluster) -> list[str]:
    message = (
        f"{group.label}: instance_requirements (attribute-based instance type "
        "selection) does not say which types launch; give them with instance_type or "
        "mixed_instances_policy overrides"
    )
    c.skipped.append(message)
    warnings.warn(
        f"{group.inst.location(group.section)}, {message}; group left out",
        PodcapWarning,
        stacklevel=4,
    )
    return []


def _addons(inst: _Instance, version: int) -> list[tuple[str, list[str]]]:
    """The cluster's add-ons: (name, attribute path) each (the map key, or its ``name``)."""
    section = "addons" if version >= 21 else "cluster_addons"
    raw = inst.get(section)
    if raw is _MISSING:
        return []
    addons = inst.need([section], raw, deep=False)
    if not isinstance(addons, Mapping):
        raise inst.fail([section], f"expected a map of add-ons, got {short_repr(addons)}")
    out = []
    for key, spec in addons.items():
        name = str(key)
        own = spec.get("name") if isinstance(spec, Mapping) else None
        if own is not None:
            name = inst.string([section, str(key), "name"], own)
        out.append((name, [section, str(key)]))
    return out


def _addon_values(inst: _Instance, path: list[str]) -> Mapping[str, Any]:
    """An add-on's ``configuration_values`` (JSON or YAML text), parsed; {} when not set."""
    raw = inst.get(*path, "configuration_values")
    if raw is _MISSING:
        return {}
    text = inst.string([*path, "configuration_values"], raw)
    where = f"{inst.location(path[0])}, {'.'.join([*path, 'configuration_values'])}"
    try:
        values = _yaml.load(text, where) if text.strip() else {}
    except yaml.YAMLError as exc:
        raise InvalidManifestError(f"{where}: not valid JSON or YAML: {exc}") from None
    if values is None:
        return {}
    if not isinstance(values, Mapping):
        raise InvalidManifestError(
            f"{where}: expected a JSON object (the add-on's configuration values), got "
            f"{short_repr(values)}"
        )
    return values


def _ebs_csi(inst: _Instance, version: int) -> EbsCsiDriver | None:
    """The node plugin flags of the ``aws-ebs-csi-driver`` add-on's configuration values."""
    for name, path in _addons(inst, version):
        if name == "aws-ebs-csi-driver":
            where = f"{inst.location(path[0])}, {'.'.join([*path, 'configuration_values'])}"
            try:
                return EbsCsiDriver.from_helm_values(_addon_values(inst, path), where)
            except InvalidManifestError:
                raise
            except PodcapError as exc:
                raise InvalidManifestError(str(exc)) from None
    return None


def _cni(inst: _Instance, version: int) -> tuple[VpcCni, frozenset[str]]:
    section = "addons" if version >= 21 else "cluster_addons"
    names: set[str] = set()
    env: dict[str, str] = {}
    cni_version: str | None = None
    for name, path in _addons(inst, version):
        names.add(name)
        if name != "vpc-cni":
            continue
        env = _cni_env(inst, path)
        addon_version = inst.get(*path, "addon_version")
        if addon_version is not _MISSING:
            cni_version = inst.string([*path, "addon_version"], addon_version)
    family_attr = "ip_family" if version >= 21 else "cluster_ip_family"
    family_raw = inst.get(family_attr)
    family = "ipv4" if family_raw is _MISSING else inst.string([family_attr], family_raw)
    if family not in ("ipv4", "ipv6"):
        raise inst.fail([family_attr], f"{family!r} is not an IP family; valid: ipv4, ipv6")
    try:
        cni = VpcCni.from_env(env)
        if cni_version is not None and _version_tuple(cni_version) is not None:
            cni = VpcCni.from_env(env, cni_version=cni_version)
    except PodcapError as exc:
        raise inst.fail([section, "vpc-cni", "configuration_values"], str(exc)) from None
    if family == "ipv6":
        cni = VpcCni(**{**cni.__dict__, "ip_family": "ipv6"})
    return cni, frozenset(names)


def _cni_env(inst: _Instance, path: list[str]) -> dict[str, str]:
    """aws-node's environment from the ``vpc-cni`` add-on's ``configuration_values``."""
    where = f"{inst.location(path[0])}, {'.'.join([*path, 'configuration_values'])}"
    env = _addon_values(inst, path).get("env") or {}
    if not isinstance(env, Mapping):
        raise InvalidManifestError(f"{where}.env: expected a map of aws-node variables")
    return {str(k): str(v).lower() if isinstance(v, bool) else str(v) for k, v in env.items()}


def _read_cluster(
    module: Module,
    block: Block,
    source: _Source,
    address: str,
    bindings: Mapping[str, Any],
    overrides: Mapping[str, Any],
    table: pd.DataFrame | None,
    skipped: list[str],
) -> TerraformCluster:
    inst = _Instance(module, block, address, bindings, overrides)
    version = _version(source, block)
    name_attr = "name" if version >= 21 else "cluster_name"
    raw_name = inst.get(name_attr)
    if raw_name is _MISSING:
        raw_name = inst.get("cluster_name" if version >= 21 else "name")
    name = raw_name if isinstance(raw_name, str) and raw_name else address
    k8s_attr = "kubernetes_version" if version >= 21 else "cluster_version"
    k8s = inst.get(k8s_attr)
    kubernetes_version = k8s if isinstance(k8s, str) else None
    cni, addons = _cni(inst, version)
    c = _Cluster(inst, version, name, cni, kubernetes_version, table, skipped=list(skipped))
    create = inst.get("create")
    if create is not _MISSING and not inst.boolean(["create"], create):
        c.skipped.append(f"{address}: create = false (no cluster)")
    else:
        _each_group(c, "eks_managed_node_groups", "eks_managed_node_group_defaults", _managed_group)
        _each_group(
            c, "self_managed_node_groups", "self_managed_node_group_defaults", _self_managed_group
        )
    compute = inst.get("compute_config" if version >= 21 else "cluster_compute_config")
    auto_mode: tuple[str, ...] | None = None
    if isinstance(compute, Mapping) and compute.get("enabled") is True:
        pools = compute.get("node_pools", ["general-purpose", "system"])
        if not isinstance(pools, list) or not all(isinstance(p, str) for p in pools):
            raise InvalidManifestError(
                f"{block.where}, {address}.compute_config.node_pools: expected a list of "
                "built-in NodePool names (general-purpose, system)"
            )
        auto_mode = tuple(pools)
    for attr in ("fargate_profiles", "fargate_profile_defaults"):
        if inst.get(attr) not in (_MISSING, {}):
            c.skipped.append(f"{address}.{attr}: Fargate pods run on their own nodes, not modelled")
    _cluster_wide(c, _ebs_csi(inst, version))
    try:
        cluster = Cluster(c.groups, table=table)
    except PodcapError as exc:
        raise InvalidManifestError(f"{block.where}, {block.title}: {exc}") from None
    return TerraformCluster(
        name, address, block.where, version, cluster, addons, c.skipped, auto_mode
    )


def _cluster_wide(c: _Cluster, ebs_csi: EbsCsiDriver | None) -> None:
    """What the cluster gives every group: the EBS CSI add-on's node flags; and the zones it
    does not say."""
    if ebs_csi is not None:  # the add-on's node plugin runs on every node
        c.groups = [replace(g, ebs_csi=ebs_csi) for g in c.groups]
    if c.groups:
        why = (
            "subnet_ids come from the VPC's resources, which podcap does not read; give "
            "zones in a podcap cluster file to spread pods by zone"
        )
        c.skipped.append(zone_unknown_note([g.name for g in c.groups], why))


def _meta_argument(module: Module, block: Block, base: str, name: str) -> Any:
    """The value of a block's ``count`` or ``for_each``; an unknown one is a clear error
    naming it and how to give it."""
    expr = block.attributes[name]
    try:
        value = module.evaluate(expr)
    except EvalError as exc:
        raise InvalidManifestError(f"{block.where}, {block.title}, {name}: {exc}") from None
    if isinstance(value, Unknown):
        _Instance(module, block, base, {}, {}).need([name], value.within(expr.text))
    return value


def _instances(module: Module, block: Block, base: str) -> list[tuple[str, dict[str, Any]]]:
    """(address, bindings) of each instance of a block with count or for_each."""
    if "count" in block.attributes:
        value = _meta_argument(module, block, base, "count")
        n = int(to_number(value)) if not isinstance(value, bool) else int(value)
        return [(f"{base}[{i}]", {"count": {"index": i}}) for i in range(n)]
    if "for_each" in block.attributes:
        value = _meta_argument(module, block, base, "for_each")
        if isinstance(value, Mapping):
            pairs = [(str(k), value[k]) for k in sorted(value)]
        elif isinstance(value, list):
            pairs = [(to_str(v), to_str(v)) for v in value]
        else:
            raise InvalidManifestError(
                f"{block.where}, {block.title}, for_each: expected a map or set, got "
                f"{short_repr(value)}"
            )
        return [(f'{base}["{k}"]', {"each": {"key": k, "value": v}}) for k, v in pairs]
    return [(base, {})]


def read_terraform(
    source: str | os.PathLike[str],
    *,
    variables: Mapping[str, Any] | None = None,
    var_files: Sequence[str | os.PathLike[str]] = (),
    table: pd.DataFrame | None = None,
) -> list[TerraformCluster]:
    """Read every EKS cluster of a Terraform directory (or of one ``.tf`` file in it).

    Parameters
    ----------
    source : path
        A directory of ``.tf`` files (a Terraform root module), or one ``.tf`` file (its
        directory is read; only its module blocks become clusters).
    variables : mapping, optional
        Variable values, as ``-var`` gives them (a string for a variable of type string,
        otherwise parsed as an HCL value; Python values as they are), over the variables'
        defaults, ``terraform.tfvars`` and ``*.auto.tfvars``.  A key with dots sets one
        value of a module block directly: ``{"module.eks.eks_managed_node_groups.default.
        desired_size": 3}``.
    var_files : sequence of path, optional
        More ``.tfvars`` files, in order (``-var-file``).
    table : pandas.DataFrame, optional
        Instance table; default the bundled one.

    Returns
    -------
    list of TerraformCluster
        One per EKS module block instance, in file order.

    Raises
    ------
    InvalidManifestError
        For invalid HCL, no EKS module block, or a value podcap needs and cannot evaluate: the
        message names the file, line, block, attribute path, expression and how to give it.
    """
    path = Path(source)
    module, skipped, overrides = _load(path, variables or {}, var_files)
    only = path.resolve() if path.is_file() else None
    found: list[TerraformCluster] = []
    standalone: list[tuple[Block, _Source]] = []
    others: list[str] = []
    modules = [b for b in module.blocks if b.type == "module" and b.labels]
    # override files repeat a block to replace some of its attributes
    merged: dict[str, Block] = {}
    for b in modules:
        if b.labels[0] in merged:
            first = merged[b.labels[0]]
            merged[b.labels[0]] = Block(
                first.type,
                first.labels,
                {**first.attributes, **b.attributes},
                first.blocks,
                first.file,
                first.line,
            )
        else:
            merged[b.labels[0]] = b
    for block in merged.values():
        if only is not None and block.file.path.resolve() != only:
            continue
        kind = _classify(module, block)
        if kind is None:
            src = block.attributes.get("source")
            others.append(f"{block.labels[0]} ({src.text if src else 'no source'})")
            continue
        if kind.kind == "eks":
            for address, bindings in _instances(module, block, f"module.{block.labels[0]}"):
                found.append(
                    _read_cluster(module, block, kind, address, bindings, overrides, table, skipped)
                )
        elif kind.kind in ("eks-managed-node-group", "self-managed-node-group"):
            standalone.append((block, kind))
        else:
            skipped.append(f"module.{block.labels[0]}: {kind.text} is not a node group")
    for block, kind in standalone:
        _attach(module, block, kind, found, overrides, table)
    unused = sorted(k for k in overrides if not any(k.startswith(c.address + ".") for c in found))
    if unused:
        raise InvalidManifestError(
            f"{path}: {', '.join(unused)}: no such module block; EKS module blocks: "
            f"{', '.join(c.address for c in found) or 'none'}"
        )
    if not found:
        listed = "; ".join(others[:8]) or "none"
        if len(others) > 8:
            listed += f"; and {len(others) - 8} more"
        raise InvalidManifestError(
            f"{path}: no module block of terraform-aws-modules/eks/aws (registry source "
            "terraform-aws-modules/eks/aws, git github.com/terraform-aws-modules/"
            f"terraform-aws-eks, or a local copy of it); module blocks found: {listed}"
        )
    return found


def _attach(
    module: Module,
    block: Block,
    kind: _Source,
    clusters: list[TerraformCluster],
    overrides: Mapping[str, Any],
    table: pd.DataFrame | None,
) -> None:
    """Add a stand-alone node-group sub-module block to the cluster it names."""
    address = f"module.{block.labels[0]}"
    expr = block.attributes.get("cluster_name")
    target: TerraformCluster | None = None
    if expr is not None:
        try:
            value = module.evaluate(expr)
        except EvalError:
            value = None
        for candidate in clusters:
            if (isinstance(value, str) and value == candidate.name) or (
                isinstance(value, Unknown) and value.ref.startswith(candidate.address + ".")
            ):
                target = candidate
    if target is None and len(clusters) == 1:
        target = clusters[0]
    if target is None:
        for other in clusters:
            other.skipped.append(f"{address}: a node group whose cluster podcap cannot tell")
        return
    inst = _Instance(module, block, address, {}, overrides)
    groups = target.cluster.node_groups
    cni = groups[0].cni_settings if groups else VpcCni()
    version = 20 if kind.version is not None and kind.version < 21 else 21
    c = _Cluster(inst, version, target.name, cni, None, table)
    if kind.kind == "eks-managed-node-group":
        _managed_group(c, _BlockGroup(inst, "eks_managed_node_groups"))
    else:
        _self_managed_group(c, _BlockGroup(inst, "self_managed_node_groups"))
    _cluster_wide(c, next((g.ebs_csi for g in groups if g.ebs_csi is not None), None))
    try:
        target.cluster = Cluster([*groups, *c.groups], table=table)
    except PodcapError as exc:
        raise InvalidManifestError(f"{block.where}, {block.title}: {exc}") from None
    target.skipped.extend(c.skipped)


def select_cluster(
    clusters: list[TerraformCluster], name: str | None, where: str
) -> TerraformCluster:
    """The cluster called ``name`` (its EKS name or module address), or the only one."""
    if name is None:
        if len(clusters) == 1:
            return clusters[0]
        listed = ", ".join(f"{c.name} ({c.address}, {c.where})" for c in clusters)
        raise InvalidManifestError(
            f"{where}: {len(clusters)} EKS clusters: {listed}; pick one with --cluster-name "
            "NAME (read_cluster(..., cluster_name=NAME))"
        )
    for c in clusters:
        if name in (c.name, c.address, c.address.removeprefix("module.")):
            return c
    names = [c.name for c in clusters] + [c.address for c in clusters]
    close = difflib.get_close_matches(name, names, n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    raise InvalidManifestError(
        f"{where}: no EKS cluster {name!r}{hint}; clusters: "
        + ", ".join(f"{c.name} ({c.address})" for c in clusters)
    )
