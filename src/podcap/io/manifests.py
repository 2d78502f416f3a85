"""Read Kubernetes manifests into workload specs (an edge: no model logic here).

Sources may be file paths, directories, YAML text, parsed dicts or lists of those.  Multi-document
YAML and ``kind: List`` are expanded.  Errors name the file, the document index and the field path.
"""

from __future__ import annotations

import contextlib
import os
import re
import warnings
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, get_args

from podcap import _yaml
from podcap.errors import InvalidManifestError, InvalidQuantityError, PodcapWarning, short_repr
from podcap.io.fields import unknown_fields
from podcap.model.admission import is_pod_level_resource
from podcap.model.disruption import DisruptionBudget
from podcap.model.quantity import parse_cpu, parse_memory, parse_quantity
from podcap.model.specs import Toleration, toleration_problem
from podcap.model.validation import invalid_label, label_key_errors, label_value_errors
from podcap.model.volumes import (
    DEFAULT_CLASS_ANNOTATION,
    EBS_PROVISIONERS,
    VOLUME_ZONE_LABELS,
    Claim,
    PersistentVolume,
    StorageClass,
)
from podcap.model.workloads import (
    HIGHEST_USER_PRIORITY,
    INT32_MAX,
    INT32_MIN,
    Autoscaler,
    CanaryStep,
    Container,
    LabelSelector,
    LimitRange,
    LimitRangeItem,
    NodeSelectorRequirement,
    PodAffinityTerm,
    PodTemplate,
    PodVolume,
    PreferredNodeTerm,
    PriorityClass,
    ResourceQuota,
    RolloutStrategy,
    RuntimeClass,
    SpreadConstraint,
    WeightedPodAffinityTerm,
    Workload,
    WorkloadKind,
    priority_class_problem,
)

__all__ = ["Manifests", "load_manifests"]

WORKLOAD_KINDS: tuple[str, ...] = get_args(WorkloadKind)
_YAML_SUFFIXES = (".yaml", ".yml", ".json")


@dataclass
class Manifests:
    """Objects read from manifests, in apply order.

    Attributes
    ----------
    namespaces : list of str
    priority_classes : list of PriorityClass
    limit_ranges : list of LimitRange
    quotas : list of ResourceQuota
    workloads : list of Workload
    skipped : list of str
        Objects of kinds podcap does not simulate, each named with its file and document.
    autoscalers : list of Autoscaler
        HorizontalPodAutoscalers (``autoscaling/v1`` and ``v2``).
    budgets : list of DisruptionBudget
        PodDisruptionBudgets (``policy/v1``).
    runtime_classes : list of RuntimeClass
        RuntimeClasses (``node.k8s.io/v1``).
    storage_classes, claims, persistent_volumes : list
        StorageClasses, PersistentVolumeClaims and PersistentVolumes.
    """

    namespaces: list[str] = field(default_factory=list)
    priority_classes: list[PriorityClass] = field(default_factory=list)
    limit_ranges: list[LimitRange] = field(default_factory=list)
    quotas: list[ResourceQuota] = field(default_factory=list)
    workloads: list[Workload] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    autoscalers: list[Autoscaler] = field(default_factory=list)
    budgets: list[DisruptionBudget] = field(default_factory=list)
    runtime_classes: list[RuntimeClass] = field(default_factory=list)
    storage_classes: list[StorageClass] = field(default_factory=list)
    claims: list[Claim] = field(default_factory=list)
    persistent_volumes: list[PersistentVolume] = field(default_factory=list)


@dataclass(frozen=True)
class _Doc:
    source: str
    index: int
    body: Mapping[str, Any]

    def where(self, path: str = "") -> str:
        kind = _cut(self.body.get("kind", "?"))
        meta = self.body.get("metadata")
        name = _cut(meta.get("name", "?")) if isinstance(meta, Mapping) else "?"
        loc = f"{self.source}, document {self.index} ({kind} {name})"
        return f"{loc}, field {path}" if path else loc


def _cut(value: Any, limit: int = 60) -> str:
    """A name for a message, shortened (a hostile name can be megabytes long)."""
    text = str(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _yaml_docs(text: str, source: str) -> Iterator[_Doc]:
    try:
        docs = list(_yaml.load_all(text, source))
    except _yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise InvalidManifestError(
            f"{source}: not valid YAML{at}: {getattr(exc, 'problem', exc)}"
        ) from None
    for i, doc in enumerate(docs):
        if doc is None:
            continue
        yield from _expand(doc, source, i)


def _expand(doc: Any, source: str, index: int) -> Iterator[_Doc]:
    if not isinstance(doc, Mapping):
        raise InvalidManifestError(
            f"{source}, document {index}: expected a Kubernetes object (a mapping with apiVersion and kind), got {type(doc).__name__}"
        )
    kind = doc.get("kind")
    if "kind" in doc and not isinstance(kind, str):
        raise InvalidManifestError(
            f"{source}, document {index}, field kind: expected a string such as 'Deployment', got {short_repr(kind)}"
        )
    if kind == "List" or (isinstance(kind, str) and kind.endswith("List") and "items" in doc):
        items = doc.get("items") or []
        if not isinstance(items, list):
            raise InvalidManifestError(f"{source}, document {index}, field items: expected a list")
        for item in items:
            yield from _expand(item, source, index)
        return
    if "kind" not in doc:
        raise InvalidManifestError(f"{source}, document {index}: missing field 'kind'")
    yield _Doc(source, index, doc)


def _iter_sources(sources: Any) -> Iterator[_Doc]:
    if isinstance(sources, (str, os.PathLike, Mapping)):
        sources = [sources]
    for n, src in enumerate(sources):
        if isinstance(src, Mapping):
            yield from _expand(src, f"<object {n}>", 0)
        elif isinstance(src, os.PathLike) or (isinstance(src, str) and _looks_like_path(src)):
            path = Path(src)
            try:
                is_dir, is_file = path.is_dir(), path.is_file()
            except OSError as exc:
                raise InvalidManifestError(
                    f"{str(src)[:80]}...: not a readable path ({exc.strerror})"
                ) from None
            if is_dir:
                files = sorted(
                    p for p in path.rglob("*") if p.suffix in _YAML_SUFFIXES and p.is_file()
                )
                if not files:
                    raise InvalidManifestError(
                        f"{path}: directory has no .yaml, .yml or .json files"
                    )
                for f in files:
                    yield from _yaml_docs(read_text(f), str(f))
            elif is_file:
                yield from _yaml_docs(read_text(path), str(path))
            else:
                raise InvalidManifestError(f"{src}: no such file or directory")
        elif isinstance(src, str):
            yield from _yaml_docs(src, f"<text {n}>")
        elif isinstance(src, Iterable):
            yield from _iter_sources(list(src))
        else:
            raise InvalidManifestError(
                f"manifest source {n}: expected a path, YAML text or a dict, got {type(src).__name__}"
            )


def read_text(path: Path) -> str:
    """A file's UTF-8 text; unreadable or non-UTF-8 files raise InvalidManifestError."""
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidManifestError(f"{path}: not UTF-8 text (byte {exc.start})") from None
    except OSError as exc:
        raise InvalidManifestError(f"{path}: cannot read: {exc.strerror}") from None


def _looks_like_path(text: str) -> bool:
    """A one-line string that is not a YAML mapping is taken for a path."""
    stripped = text.strip()
    if not stripped or "\n" in stripped:
        return False
    if stripped.startswith(("apiVersion", "kind", "---", "{", "[", "- ")):
        return False
    return ": " not in stripped


# --------------------------------------------------------------------------------------------


def _get(
    doc: _Doc, obj: Any, key: str, path: str, typ: type | tuple[type, ...], default: Any = None
) -> Any:
    if not isinstance(obj, Mapping):
        raise InvalidManifestError(f"{doc.where(path)}: expected a mapping")
    value = obj.get(key, default)
    if value is None:
        return default
    if not isinstance(value, typ) or (typ is int and isinstance(value, bool)):
        names = typ.__name__ if isinstance(typ, type) else " or ".join(t.__name__ for t in typ)
        raise InvalidManifestError(
            f"{doc.where(f'{path}.{key}' if path else key)}: expected {names}, got {short_repr(value)}"
        )
    return value


def _mapping(doc: _Doc, value: Any, path: str) -> Mapping[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise InvalidManifestError(
            f"{doc.where(path)}: expected a mapping, got {short_repr(value)}"
        )
    return value


def _list(doc: _Doc, value: Any, path: str) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise InvalidManifestError(f"{doc.where(path)}: expected a list, got {short_repr(value)}")
    return value


def _labels(doc: _Doc, value: Any, path: str) -> dict[str, str]:
    """Labels (or a ``nodeSelector``), each key and value checked as the API server does."""
    raw = _mapping(doc, value, path)
    for key, text in raw.items():
        if isinstance(text, (Mapping, list)):
            raise InvalidManifestError(
                f"{doc.where(path)}: label {short_repr(str(key))}: expected a string value, got "
                f"{short_repr(text)}"
            )
    labels = {str(k): "" if v is None else str(v) for k, v in raw.items()}
    for key, text in labels.items():
        problem = invalid_label(key, text)
        if problem:
            raise InvalidManifestError(f"{doc.where(path)}: {problem}")
    return labels


def _label_key(doc: _Doc, key: str, path: str) -> None:
    """A label key where the API server takes one (``ValidateLabelName``)."""
    errors = label_key_errors(key)
    if errors:
        raise InvalidManifestError(
            f"{doc.where(path)}: Invalid value: {short_repr(key)}: {'; '.join(errors)}"
        )


def _bool(doc: _Doc, obj: Mapping[str, Any], key: str, path: str) -> bool:
    value = obj.get(key, False)
    if value is None:
        return False
    if not isinstance(value, bool):
        raise InvalidManifestError(
            f"{doc.where(f'{path}.{key}')}: expected true or false, got {short_repr(value)}"
        )
    return value


_OPERATORS = ("In", "NotIn", "Exists", "DoesNotExist")


def label_selector(doc: _Doc, value: Any, path: str) -> LabelSelector | None:
    """A Kubernetes labelSelector (None when missing: it selects nothing)."""
    if value is None:
        return None
    sel = _mapping(doc, value, path)
    labels = tuple(_labels(doc, sel.get("matchLabels"), f"{path}.matchLabels").items())
    exprs = []
    for j, e in enumerate(_list(doc, sel.get("matchExpressions"), f"{path}.matchExpressions")):
        epath = f"{path}.matchExpressions[{j}]"
        e = _mapping(doc, e, epath)
        op = e.get("operator")
        if op not in _OPERATORS:
            raise InvalidManifestError(
                f"{doc.where(epath + '.operator')}: Invalid value: {short_repr(op)}: not a valid "
                f"selector operator; valid: {', '.join(_OPERATORS)}"
            )
        values = tuple(str(v) for v in _list(doc, e.get("values"), epath + ".values"))
        # apimachinery ValidateLabelSelectorRequirement
        _values_for_operator(doc, op, values, epath)
        key = str(e.get("key") or "")
        _label_key(doc, key, epath + ".key")
        for k, v in enumerate(values):
            errors = label_value_errors(v)
            if errors:
                raise InvalidManifestError(
                    f"{doc.where(f'{epath}.values[{k}]')}: Invalid value: {short_repr(v)}: "
                    + "; ".join(errors)
                )
        exprs.append((key, op, values))
    return LabelSelector(labels, tuple(exprs))


def _values_for_operator(doc: _Doc, op: str, values: tuple[str, ...], path: str) -> None:
    """In / NotIn need values, Exists / DoesNotExist take none (label and node selectors)."""
    if op in ("In", "NotIn") and not values:
        raise InvalidManifestError(
            f"{doc.where(path + '.values')}: Required value: must be specified when "
            "`operator` is 'In' or 'NotIn'"
        )
    if op in ("Exists", "DoesNotExist") and values:
        raise InvalidManifestError(
            f"{doc.where(path + '.values')}: Forbidden: may not be specified when "
            "`operator` is 'Exists' or 'DoesNotExist'"
        )


def label_selector_matches(doc: _Doc, selector: Any, labels: Mapping[str, str], path: str) -> bool:
    """Whether a Kubernetes labelSelector (matchLabels, matchExpressions) selects ``labels``.

    A missing (nil) selector selects nothing, an empty one everything (as for pod affinity and
    topology spread constraints).
    """
    sel = label_selector(doc, selector, path)
    return sel is not None and sel.matches(labels)


def _keys(doc: _Doc, obj: Mapping[str, Any], key: str, path: str) -> tuple[str, ...]:
    return tuple(str(k) for k in _list(doc, obj.get(key), f"{path}.{key}"))


def _weight(doc: _Doc, obj: Mapping[str, Any], path: str) -> int:
    weight = obj.get("weight")
    if isinstance(weight, bool) or not isinstance(weight, int) or not 1 <= weight <= 100:
        raise InvalidManifestError(
            f"{doc.where(path + '.weight')}: expected an integer from 1 to 100, got {short_repr(weight)}"
        )
    return weight


def _affinity_term(doc: _Doc, value: Any, path: str) -> PodAffinityTerm:
    term = _mapping(doc, value, path)
    key = term.get("topologyKey")
    if not isinstance(key, str) or not key:
        raise InvalidManifestError(
            f"{doc.where(path + '.topologyKey')}: Required value: can not be empty (a term "
            "needs a topologyKey, a node label key such as kubernetes.io/hostname)"
        )
    _label_key(doc, key, path + ".topologyKey")
    ns_sel = term.get("namespaceSelector")
    all_ns = False
    if ns_sel is not None:
        parsed = label_selector(doc, ns_sel, path + ".namespaceSelector")
        if parsed == LabelSelector():
            all_ns = True
        else:
            warnings.warn(
                f"{doc.where(path + '.namespaceSelector')}: namespace labels are not known to "
                "podcap; the selector is taken to match no namespace besides those listed",
                PodcapWarning,
                stacklevel=2,
            )
    return PodAffinityTerm(
        selector=label_selector(doc, term.get("labelSelector"), path + ".labelSelector"),
        topology_key=key,
        namespaces=_keys(doc, term, "namespaces", path),
        all_namespaces=all_ns,
        match_label_keys=_keys(doc, term, "matchLabelKeys", path),
        mismatch_label_keys=_keys(doc, term, "mismatchLabelKeys", path),
    )


def _pod_affinity(
    doc: _Doc, affinity: Mapping[str, Any], kind: str, path: str
) -> tuple[tuple[PodAffinityTerm, ...], tuple[WeightedPodAffinityTerm, ...]]:
    block = _mapping(doc, affinity.get(kind), f"{path}.{kind}")
    rpath = f"{path}.{kind}.requiredDuringSchedulingIgnoredDuringExecution"
    required = tuple(
        _affinity_term(doc, t, f"{rpath}[{i}]")
        for i, t in enumerate(
            _list(doc, block.get("requiredDuringSchedulingIgnoredDuringExecution"), rpath)
        )
    )
    ppath = f"{path}.{kind}.preferredDuringSchedulingIgnoredDuringExecution"
    preferred = []
    for i, w in enumerate(
        _list(doc, block.get("preferredDuringSchedulingIgnoredDuringExecution"), ppath)
    ):
        wpath = f"{ppath}[{i}]"
        w = _mapping(doc, w, wpath)
        term = _affinity_term(doc, w.get("podAffinityTerm"), wpath + ".podAffinityTerm")
        preferred.append(WeightedPodAffinityTerm(_weight(doc, w, wpath), term))
    return required, tuple(preferred)


_STANDARD = ("cpu", "memory", "ephemeral-storage")


def _resources(doc: _Doc, mapping: Any, path: str) -> dict[str, int]:
    if mapping is None:
        return {}
    if not isinstance(mapping, Mapping):
        raise InvalidManifestError(
            f"{doc.where(path)}: expected a mapping of resource name to quantity"
        )
    out = {}
    for name, qty in mapping.items():
        field_path = f"{path}.{name}"
        if not (name in _STANDARD or str(name).startswith("hugepages-") or "/" in str(name)):
            raise InvalidManifestError(
                f"{doc.where(field_path)}: Invalid value: {short_repr(name)}: must be a standard resource "
                "type (cpu, memory, ephemeral-storage, hugepages-<size>) or fully qualified "
                "(e.g. nvidia.com/gpu)"
            )
        try:
            value = (
                parse_cpu(qty, field=field_path)
                if name == "cpu"
                else parse_memory(qty, field=field_path)
            )
        except InvalidQuantityError as exc:
            raise InvalidManifestError(f"{doc.where(field_path)}: {exc}") from None
        if value < 0:
            raise InvalidManifestError(
                f"{doc.where(field_path)}: must not be negative, got {short_repr(qty)}"
            )
        out[str(name)] = value
    return out


def _containers(doc: _Doc, items: Any, path: str, role: str) -> list[Container]:
    if items is None:
        return []
    if not isinstance(items, list):
        raise InvalidManifestError(f"{doc.where(path)}: expected a list of containers")
    out = []
    for i, c in enumerate(items):
        cpath = f"{path}[{i}]"
        if not isinstance(c, Mapping):
            raise InvalidManifestError(f"{doc.where(cpath)}: expected a container mapping")
        name = str(c.get("name") or f"container-{i}")
        res = c.get("resources") or {}
        if not isinstance(res, Mapping):
            raise InvalidManifestError(f"{doc.where(cpath + '.resources')}: expected a mapping")
        r = role
        if role == "init" and c.get("restartPolicy") == "Always":
            r = "sidecar"
        out.append(
            Container(
                name=name,
                requests=_resources(doc, res.get("requests"), f"{cpath}.resources.requests"),
                limits=_resources(doc, res.get("limits"), f"{cpath}.resources.limits"),
                role=r,  # type: ignore[arg-type]
            )
        )
    return out


def _host_ports(
    doc: _Doc, items: Any, path: str, host_network: bool
) -> tuple[tuple[str, str, int], ...]:
    """The containers' host ports, defaulted as the API server does (protocol TCP, host IP
    0.0.0.0; on a hostNetwork pod every container port is a host port)."""
    out = []
    for i, c in enumerate(items or []):
        if not isinstance(c, Mapping):
            continue  # reported by _containers
        for j, p in enumerate(_list(doc, c.get("ports"), f"{path}[{i}].ports")):
            ppath = f"{path}[{i}].ports[{j}]"
            p = _mapping(doc, p, ppath)
            host = p.get("hostPort")
            if host is None and host_network:
                host = p.get("containerPort")
            if host is None or host == 0:
                continue
            if isinstance(host, bool) or not isinstance(host, int) or not 1 <= host <= 65535:
                raise InvalidManifestError(
                    f"{doc.where(ppath + '.hostPort')}: must be a port number from 1 to 65535, "
                    f"got {short_repr(host)}"
                )
            protocol = str(p.get("protocol") or "TCP")
            if protocol not in ("TCP", "UDP", "SCTP"):
                raise InvalidManifestError(
                    f"{doc.where(ppath + '.protocol')}: invalid {short_repr(protocol)}; valid: TCP, UDP, SCTP"
                )
            out.append((protocol, str(p.get("hostIP") or "0.0.0.0"), host))
    return tuple(out)


def _node_selector_term(doc: _Doc, term: Any, path: str) -> tuple[NodeSelectorRequirement, ...]:
    term = _mapping(doc, term, path)
    reqs = []
    for j, e in enumerate(_list(doc, term.get("matchExpressions"), f"{path}.matchExpressions")):
        epath = f"{path}.matchExpressions[{j}]"
        e = _mapping(doc, e, epath)
        op = e.get("operator")
        if op not in ("In", "NotIn", "Exists", "DoesNotExist", "Gt", "Lt"):
            raise InvalidManifestError(
                f"{doc.where(epath + '.operator')}: invalid operator {short_repr(op)}; valid: In, "
                "NotIn, Exists, DoesNotExist, Gt, Lt"
            )
        values = tuple(str(v) for v in _list(doc, e.get("values"), epath + ".values"))
        # core validation ValidateNodeSelectorRequirement
        _values_for_operator(doc, op, values, epath)
        if op in ("Gt", "Lt"):
            if len(values) != 1:
                raise InvalidManifestError(
                    f"{doc.where(epath + '.values')}: Required value: must be specified single "
                    "value when `operator` is 'Lt' or 'Gt'"
                )
            try:
                int(values[0])
            except ValueError:
                raise InvalidManifestError(
                    f"{doc.where(epath + '.values[0]')}: Invalid value: {short_repr(values[0])}: must be "
                    "an integer when `operator` is 'Lt' or 'Gt'"
                ) from None
        key = str(e.get("key") or "")
        _label_key(doc, key, epath + ".key")
        reqs.append(NodeSelectorRequirement(key, op, values))
    for e in _list(doc, term.get("matchFields"), f"{path}.matchFields"):
        reqs.append(
            NodeSelectorRequirement(
                "metadata.name",
                e.get("operator", "In"),
                tuple(str(v) for v in e.get("values") or ()),
            )
        )
    return tuple(reqs)


def _node_affinity(
    doc: _Doc, affinity: Mapping[str, Any], path: str
) -> tuple[tuple[tuple[NodeSelectorRequirement, ...], ...], tuple[PreferredNodeTerm, ...]]:
    na = _mapping(doc, affinity.get("nodeAffinity"), f"{path}.nodeAffinity")
    rpath = f"{path}.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution"
    req = _mapping(doc, na.get("requiredDuringSchedulingIgnoredDuringExecution"), rpath)
    terms = _list(doc, req.get("nodeSelectorTerms"), rpath + ".nodeSelectorTerms")
    out = []
    for i, term in enumerate(terms):
        reqs = _node_selector_term(doc, term, f"{rpath}.nodeSelectorTerms[{i}]")
        if not reqs:
            # an empty term matches no node (Kubernetes API: NodeSelectorTerm)
            reqs = (NodeSelectorRequirement("kubernetes.io/hostname", "In", ()),)
        out.append(reqs)
    ppath = f"{path}.nodeAffinity.preferredDuringSchedulingIgnoredDuringExecution"
    preferred = []
    for i, w in enumerate(
        _list(doc, na.get("preferredDuringSchedulingIgnoredDuringExecution"), ppath)
    ):
        wpath = f"{ppath}[{i}]"
        w = _mapping(doc, w, wpath)
        reqs = _node_selector_term(doc, w.get("preference"), wpath + ".preference")
        if reqs:  # an empty preference matches no node: it adds nothing
            preferred.append(PreferredNodeTerm(_weight(doc, w, wpath), reqs))
    return tuple(out), tuple(preferred)


def _anti_affinity_hostname(terms: tuple[PodAffinityTerm, ...], labels: Mapping[str, str]) -> bool:
    """Required anti-affinity of a workload's pods to each other on the hostname (one per node)."""
    return any(
        t.topology_key == "kubernetes.io/hostname"
        and t.selector is not None
        and t.selector.matches(labels)
        and not t.namespaces
        for t in terms
    )


def _toleration(doc: _Doc, value: Any, path: str) -> Toleration:
    """One toleration, checked as the API server checks it (:func:`toleration_problem`)."""
    t = _mapping(doc, value, path)
    key, op = str(t.get("key") or ""), str(t.get("operator") or "Equal")
    text, effect = str(t.get("value") or ""), str(t.get("effect") or "")
    seconds = t.get("tolerationSeconds")
    if seconds is not None and (isinstance(seconds, bool) or not isinstance(seconds, int)):
        raise InvalidManifestError(
            f"{doc.where(path + '.tolerationSeconds')}: expected a whole number of seconds, "
            f"got {short_repr(seconds)}"
        )
    problem = toleration_problem(key, op, text, effect, seconds=seconds is not None)
    if problem:
        raise InvalidManifestError(f"{doc.where(f'{path}.{problem[0]}')}: {problem[1]}")
    return Toleration(key, op, text, effect)  # type: ignore[arg-type]  # op checked above


_WHEN = ("DoNotSchedule", "ScheduleAnyway")
_INCLUSION = ("Honor", "Ignore")


def _spread_constraint(doc: _Doc, value: Any, path: str) -> SpreadConstraint:
    """One topology spread constraint, checked field by field as the API server does
    (core validation ``validateTopologySpreadConstraints``: maxSkew and minDomains greater than
    zero, minDomains only with DoNotSchedule, a topologyKey, the enumerations)."""
    c = _mapping(doc, value, path)
    skew = c.get("maxSkew")
    if isinstance(skew, bool) or not isinstance(skew, int) or skew > INT32_MAX:
        raise InvalidManifestError(
            f"{doc.where(path + '.maxSkew')}: expected an integer from 1 to {INT32_MAX} (int32), "
            f"got {short_repr(skew)}"
        )
    if skew <= 0:
        raise InvalidManifestError(
            f"{doc.where(path + '.maxSkew')}: Invalid value: {skew}: must be greater than zero"
        )
    key = c.get("topologyKey")
    if not isinstance(key, str) or not key:
        raise InvalidManifestError(
            f"{doc.where(path + '.topologyKey')}: Required value: can not be empty (a node label "
            f"key such as topology.kubernetes.io/zone), got {short_repr(key)}"
        )
    when = c.get("whenUnsatisfiable")
    if when not in _WHEN:
        raise InvalidManifestError(
            f"{doc.where(path + '.whenUnsatisfiable')}: Unsupported value: {short_repr(when)}: "
            'supported values: "DoNotSchedule", "ScheduleAnyway"'
        )
    min_domains = c.get("minDomains")
    if min_domains is not None:
        mpath = path + ".minDomains"
        if (
            isinstance(min_domains, bool)
            or not isinstance(min_domains, int)
            or min_domains > INT32_MAX
        ):
            raise InvalidManifestError(
                f"{doc.where(mpath)}: expected an integer from 1 to {INT32_MAX} (int32), got "
                f"{short_repr(min_domains)}"
            )
        if min_domains <= 0:
            raise InvalidManifestError(
                f"{doc.where(mpath)}: Invalid value: {min_domains}: must be greater than zero"
            )
        if when != "DoNotSchedule":
            raise InvalidManifestError(
                f"{doc.where(mpath)}: Invalid value: {min_domains}: can only use minDomains if "
                f"whenUnsatisfiable=DoNotSchedule, not {when}"
            )
    policies: dict[str, Any] = {}
    for name, default in (("nodeAffinityPolicy", "Honor"), ("nodeTaintsPolicy", "Ignore")):
        policy = c.get(name) or default
        if policy not in _INCLUSION:
            raise InvalidManifestError(
                f"{doc.where(f'{path}.{name}')}: Unsupported value: {short_repr(policy)}: "
                'supported values: "Honor", "Ignore"'
            )
        policies[name] = policy
    match_keys = _keys(doc, c, "matchLabelKeys", path)
    for k, label in enumerate(match_keys):
        _label_key(doc, label, f"{path}.matchLabelKeys[{k}]")
    return SpreadConstraint(
        skew,
        key,
        when,
        selector=label_selector(doc, c.get("labelSelector"), path + ".labelSelector"),
        min_domains=min_domains,
        node_affinity_policy=policies["nodeAffinityPolicy"],
        node_taints_policy=policies["nodeTaintsPolicy"],
        match_label_keys=match_keys,
    )


def _class_name(doc: _Doc, spec: Mapping[str, Any], path: str) -> str | None:
    """A claim spec's ``storageClassName``: None when unset (the default class), ``""`` for
    none."""
    value = spec.get("storageClassName")
    if value is not None and not isinstance(value, str):
        raise InvalidManifestError(
            f"{doc.where(path + '.storageClassName')}: expected a StorageClass name, got "
            f"{short_repr(value)}"
        )
    return value


def _volumes(doc: _Doc, items: Any, path: str) -> tuple[PodVolume, ...]:
    """The pod's volumes backed by PersistentVolumeClaims: ``persistentVolumeClaim`` (a named
    claim) and ``ephemeral`` (a claim per pod, from its ``volumeClaimTemplate``)."""
    out = []
    for i, v in enumerate(_list(doc, items, path)):
        vpath = f"{path}[{i}]"
        v = _mapping(doc, v, vpath)
        name = v.get("name")
        if not isinstance(name, str) or not name:
            raise InvalidManifestError(f"{doc.where(vpath + '.name')}: Required value: a name")
        if v.get("persistentVolumeClaim") is not None:
            ref = _mapping(doc, v.get("persistentVolumeClaim"), vpath + ".persistentVolumeClaim")
            claim = ref.get("claimName")
            if not isinstance(claim, str) or not claim:
                raise InvalidManifestError(
                    f"{doc.where(vpath + '.persistentVolumeClaim.claimName')}: Required value: "
                    "the name of a PersistentVolumeClaim in the pod's namespace"
                )
            out.append(PodVolume(claim, "claim"))
        elif v.get("ephemeral") is not None:
            epath = vpath + ".ephemeral.volumeClaimTemplate"
            eph = _mapping(doc, v.get("ephemeral"), vpath + ".ephemeral")
            tmpl = _mapping(doc, eph.get("volumeClaimTemplate"), epath)
            if not tmpl:
                raise InvalidManifestError(
                    f"{doc.where(epath)}: Required value: a generic ephemeral volume needs a "
                    "volumeClaimTemplate"
                )
            spec = _mapping(doc, tmpl.get("spec"), epath + ".spec")
            out.append(PodVolume(name, "ephemeral", _class_name(doc, spec, epath + ".spec")))
    return tuple(out)


def _claim_templates(doc: _Doc, spec: Mapping[str, Any]) -> tuple[PodVolume, ...]:
    """A StatefulSet's ``volumeClaimTemplates``: one claim per pod and template."""
    out = []
    path = "spec.volumeClaimTemplates"
    for i, t in enumerate(_list(doc, spec.get("volumeClaimTemplates"), path)):
        tpath = f"{path}[{i}]"
        t = _mapping(doc, t, tpath)
        meta = _mapping(doc, t.get("metadata"), tpath + ".metadata")
        name = meta.get("name")
        if not isinstance(name, str) or not name:
            raise InvalidManifestError(
                f"{doc.where(tpath + '.metadata.name')}: Required value: a claim template name"
            )
        tspec = _mapping(doc, t.get("spec"), tpath + ".spec")
        out.append(PodVolume(name, "template", _class_name(doc, tspec, tpath + ".spec")))
    return tuple(out)


def _template(
    doc: _Doc, spec: Mapping[str, Any], path: str, labels: Mapping[str, str]
) -> PodTemplate:
    if not isinstance(spec, Mapping):
        raise InvalidManifestError(f"{doc.where(path)}: expected a pod spec mapping")
    containers = _containers(doc, spec.get("containers"), f"{path}.containers", "app")
    if not containers:
        raise InvalidManifestError(
            f"{doc.where(path + '.containers')}: a pod needs at least one container"
        )
    inits = _containers(doc, spec.get("initContainers"), f"{path}.initContainers", "init")
    tolerations = [
        _toleration(doc, t, f"{path}.tolerations[{i}]")
        for i, t in enumerate(_get(doc, spec, "tolerations", path, list, []))
    ]
    affinity = _get(doc, spec, "affinity", path, dict, {})
    constraints = _get(doc, spec, "topologySpreadConstraints", path, list, [])
    spread = [
        _spread_constraint(doc, c, f"{path}.topologySpreadConstraints[{i}]")
        for i, c in enumerate(constraints)
    ]
    pairs = [(c.topology_key, c.when_unsatisfiable) for c in spread]
    for i, pair in enumerate(pairs):
        if pair in pairs[i + 1 :]:
            raise InvalidManifestError(
                f"{doc.where(f'{path}.topologySpreadConstraints[{i}]')}: Duplicate value: "
                f"{{{short_repr(pair[0])}, {pair[1]}}}: one constraint per topologyKey and "
                "whenUnsatisfiable"
            )
    node_selector = _labels(
        doc, _get(doc, spec, "nodeSelector", path, dict, {}), f"{path}.nodeSelector"
    )
    priority = _get(doc, spec, "priority", path, int, None)
    if priority is not None and not INT32_MIN <= priority <= INT32_MAX:
        raise InvalidManifestError(
            f"{doc.where(path + '.priority')}: Invalid value: {priority}: must be an integer from "
            f"{INT32_MIN} to {INT32_MAX} (int32)"
        )
    required_nodes, preferred_nodes = _node_affinity(doc, affinity, f"{path}.affinity")
    affinity_terms, preferred_affinity = _pod_affinity(
        doc, affinity, "podAffinity", f"{path}.affinity"
    )
    anti_terms, preferred_anti = _pod_affinity(doc, affinity, "podAntiAffinity", f"{path}.affinity")
    pod_res = _mapping(doc, spec.get("resources"), f"{path}.resources")
    pod_requests = _resources(doc, pod_res.get("requests"), f"{path}.resources.requests")
    pod_limits = _resources(doc, pod_res.get("limits"), f"{path}.resources.limits")
    for which, values in (("requests", pod_requests), ("limits", pod_limits)):
        for r in values:
            if not is_pod_level_resource(r):
                raise InvalidManifestError(
                    f"{doc.where(f'{path}.resources.{which}.{r}')}: Unsupported value: "
                    f'{short_repr(r)}: supported values: "cpu", "memory", '
                    '"hugepages-<size>" (pod-level resources)'
                )
    runtime_class = _get(doc, spec, "runtimeClassName", path, str, "")
    policy: Any = spec.get("preemptionPolicy") or "PreemptLowerPriority"
    if policy not in ("PreemptLowerPriority", "Never"):
        raise InvalidManifestError(
            f"{doc.where(path + '.preemptionPolicy')}: invalid {short_repr(policy)}; valid: "
            "PreemptLowerPriority, Never"
        )
    return PodTemplate(
        containers=tuple(containers),
        init_containers=tuple(inits),
        overhead=_resources(doc, spec.get("overhead"), f"{path}.overhead"),
        node_selector=node_selector,
        node_affinity=required_nodes,
        tolerations=tuple(tolerations),
        host_network=_bool(doc, spec, "hostNetwork", path),
        anti_affinity_hostname=_anti_affinity_hostname(anti_terms, labels),
        spread=tuple(spread),
        labels=dict(labels),
        priority_class_name=str(spec.get("priorityClassName") or ""),
        node_name=str(spec.get("nodeName") or ""),
        preferred_node_affinity=preferred_nodes,
        pod_affinity=affinity_terms,
        pod_anti_affinity=anti_terms,
        preferred_pod_affinity=preferred_affinity,
        preferred_pod_anti_affinity=preferred_anti,
        preemption_policy=policy,
        pod_resource_requests=pod_requests,
        pod_resource_limits=pod_limits,
        runtime_class_name=runtime_class,
        volumes=_volumes(doc, spec.get("volumes"), f"{path}.volumes"),
        host_ports=_host_ports(
            doc, spec.get("containers"), f"{path}.containers", _bool(doc, spec, "hostNetwork", path)
        )
        + _host_ports(
            doc,
            [
                c
                for c in spec.get("initContainers") or []
                if isinstance(c, Mapping) and c.get("restartPolicy") == "Always"
            ],
            f"{path}.initContainers",
            _bool(doc, spec, "hostNetwork", path),
        ),
    )


_INT_OR_PERCENT = re.compile(r"[0-9]{1,9}%?")


def _int_or_percent(doc: _Doc, obj: Mapping[str, Any], key: str, path: str) -> int | str | None:
    """``maxSurge`` / ``maxUnavailable`` of a Rollout: a count >= 0 or a percentage (Argo
    Rollouts reads a string without ``%`` as a percentage too)."""
    value = obj.get(key)
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= INT32_MAX:
        return value
    if isinstance(value, str) and _INT_OR_PERCENT.fullmatch(value):
        return value
    raise InvalidManifestError(
        f"{doc.where(f'{path}.{key}')}: must be an integer >= 0 or a percentage such as "
        f'"25%", got {short_repr(value)}'
    )


def _count(
    doc: _Doc, obj: Mapping[str, Any], key: str, path: str, low: int, high: int
) -> int | None:
    value = obj.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise InvalidManifestError(
            f"{doc.where(f'{path}.{key}')}: must be an integer from {low} to {high}, got "
            f"{short_repr(value)}"
        )
    return value


def _rollout_strategy(doc: _Doc, spec: Mapping[str, Any]) -> RolloutStrategy | None:
    """An Argo Rollout's ``spec.strategy`` (canary or blueGreen), checked as Argo Rollouts'
    ``pkg/apis/rollouts/validation`` checks it; None when there is none."""
    strategy = _mapping(doc, spec.get("strategy"), "spec.strategy")
    canary, blue = strategy.get("canary"), strategy.get("blueGreen")
    if canary is not None and blue is not None:
        raise InvalidManifestError(
            f"{doc.where('spec.strategy')}: Multiple Strategies can not be listed; give canary "
            "or blueGreen"
        )
    if blue is not None:
        path = "spec.strategy.blueGreen"
        bg = _mapping(doc, blue, path)
        return RolloutStrategy(
            "blueGreen",
            max_unavailable=_int_or_percent(doc, bg, "maxUnavailable", path) or "25%",
            preview_replicas=_count(doc, bg, "previewReplicaCount", path, 0, INT32_MAX),
        )
    if canary is None:
        return None
    path = "spec.strategy.canary"
    c = _mapping(doc, canary, path)
    routing = _mapping(doc, c.get("trafficRouting"), f"{path}.trafficRouting")
    max_weight = (
        _count(doc, routing, "maxTrafficWeight", f"{path}.trafficRouting", 1, INT32_MAX) or 100
    )
    surge = _int_or_percent(doc, c, "maxSurge", path)
    unavailable = _int_or_percent(doc, c, "maxUnavailable", path)
    if (
        surge is not None
        and unavailable is not None
        and int(str(surge).rstrip("%")) == 0
        and int(str(unavailable).rstrip("%")) == 0
    ):
        raise InvalidManifestError(
            f"{doc.where(path + '.maxSurge')}: MaxSurge and MaxUnavailable both can not be zero"
        )
    dynamic = _bool(doc, c, "dynamicStableScale", path)
    if dynamic and not routing:
        raise InvalidManifestError(
            f"{doc.where(path + '.dynamicStableScale')}: Canary dynamicStableScale can only be "
            "used with traffic routing"
        )
    steps = []
    for i, raw in enumerate(_list(doc, c.get("steps"), f"{path}.steps")):
        at = f"{path}.steps[{i}]"
        step = _mapping(doc, raw, at)
        weight = _count(doc, step, "setWeight", at, 0, max_weight)
        scale = step.get("setCanaryScale")
        if scale is None:
            steps.append(CanaryStep(set_weight=weight))
            continue
        if not routing:
            raise InvalidManifestError(
                f"{doc.where(at + '.setCanaryScale')}: SetCanaryScale requires TrafficRouting "
                "to be set"
            )
        sc = _mapping(doc, scale, f"{at}.setCanaryScale")
        steps.append(
            CanaryStep(
                set_weight=weight,
                scale_replicas=_count(doc, sc, "replicas", f"{at}.setCanaryScale", 0, INT32_MAX),
                scale_weight=_count(doc, sc, "weight", f"{at}.setCanaryScale", 0, max_weight),
                match_traffic_weight=_bool(doc, sc, "matchTrafficWeight", f"{at}.setCanaryScale"),
                sets_scale=True,
            )
        )
    return RolloutStrategy(
        "canary",
        tuple(steps),
        max_surge="25%" if surge is None else surge,
        max_unavailable="25%" if unavailable is None else unavailable,
        traffic_routing=bool(routing),
        max_weight=max_weight,
        dynamic_stable_scale=dynamic,
        min_pods_per_replica_set=_count(doc, c, "minPodsPerReplicaSet", path, 1, INT32_MAX),
    )


def _workload(doc: _Doc) -> Workload:
    body = doc.body
    kind = body["kind"]
    meta = _get(doc, body, "metadata", "", dict, {})
    name = meta.get("name")
    if not name:
        raise InvalidManifestError(f"{doc.where('metadata.name')}: missing name")
    namespace = str(meta.get("namespace") or "default")
    own_labels = _labels(doc, meta.get("labels"), "metadata.labels")
    if kind == "Pod":
        spec = _get(doc, body, "spec", "", dict, None)
        if spec is None:
            raise InvalidManifestError(f"{doc.where('spec')}: missing pod spec")
        template = _template(doc, spec, "spec", own_labels)
        return Workload("Pod", namespace, str(name), 1, template, doc.where())
    spec = _get(doc, body, "spec", "", dict, None)
    if spec is None:
        raise InvalidManifestError(f"{doc.where('spec')}: missing spec")
    at = "spec"
    if kind == "CronJob":
        # one run of its Job is a what-if; now, between runs, it has no pods
        job = _get(doc, spec, "jobTemplate", "spec", dict, None)
        if job is None:
            raise InvalidManifestError(f"{doc.where('spec.jobTemplate')}: missing Job template")
        spec = _get(doc, job, "spec", "spec.jobTemplate", dict, {})
        at = "spec.jobTemplate.spec"
    if kind == "Rollout" and "template" not in spec and "workloadRef" in spec:
        raise InvalidManifestError(
            f"{doc.where('spec.workloadRef')}: a Rollout that refers to a Deployment's template "
            "is not supported; give spec.template"
        )
    if kind == "ReplicationController":
        _labels(doc, spec.get("selector"), f"{at}.selector")
    else:
        label_selector(doc, spec.get("selector"), f"{at}.selector")
    tmpl = _get(doc, spec, "template", at, dict, None)
    if tmpl is None:
        raise InvalidManifestError(f"{doc.where(at + '.template')}: missing pod template")
    tmeta = _get(doc, tmpl, "metadata", f"{at}.template", dict, {})
    pod_spec = _get(doc, tmpl, "spec", f"{at}.template", dict, None)
    if pod_spec is None:
        raise InvalidManifestError(f"{doc.where(at + '.template.spec')}: missing pod spec")
    template = _template(
        doc,
        pod_spec,
        f"{at}.template.spec",
        _labels(doc, tmeta.get("labels"), f"{at}.template.metadata.labels"),
    )
    run = 0
    if kind in ("CronJob", "Job"):
        run = _get(doc, spec, "parallelism", at, int, 1)
        completions = spec.get("completions")
        if isinstance(completions, int) and not isinstance(completions, bool):
            run = min(run, completions)
    if kind == "CronJob":
        replicas = 0  # between runs; one run is the what-if ``cronjobs="run"``
    elif kind == "DaemonSet":
        replicas = 0  # decided by the eligible nodes
    elif kind == "Job":
        replicas = run
    else:
        replicas = _get(doc, spec, "replicas", "spec", int, 1)
    ordered = False
    if kind == "StatefulSet":
        claims = _claim_templates(doc, spec)
        if claims:
            template = replace(template, volumes=claims + template.volumes)
        policy = spec.get("podManagementPolicy", "OrderedReady")
        if policy not in ("OrderedReady", "Parallel"):
            raise InvalidManifestError(
                f"{doc.where('spec.podManagementPolicy')}: invalid {short_repr(policy)}; valid: OrderedReady, Parallel"
            )
        ordered = policy == "OrderedReady"
    for count in (replicas, run):
        if not 0 <= count <= INT32_MAX:
            path = f"{at}.parallelism" if kind in ("Job", "CronJob") else "spec.replicas"
            raise InvalidManifestError(
                f"{doc.where(path)}: must be an integer from 0 to {INT32_MAX} (int32), got {count}"
            )
    strategy = _rollout_strategy(doc, spec) if kind == "Rollout" else None
    return Workload(
        kind,
        namespace,
        str(name),
        replicas,
        template,
        doc.where(),
        ordered,
        run=run,
        strategy=strategy,
    )


def _limit_range(doc: _Doc) -> LimitRange:
    meta = _mapping(doc, doc.body.get("metadata"), "metadata")
    items = []
    spec = _mapping(doc, doc.body.get("spec"), "spec")
    for i, item in enumerate(_list(doc, spec.get("limits"), "spec.limits")):
        path = f"spec.limits[{i}]"
        item = _mapping(doc, item, path)
        typ = item.get("type")
        if typ not in ("Container", "Pod", "PersistentVolumeClaim"):
            raise InvalidManifestError(
                f"{doc.where(path + '.type')}: invalid {short_repr(typ)}; valid: Container, Pod, PersistentVolumeClaim"
            )
        mn = _resources(doc, item.get("min"), f"{path}.min")
        mx = _resources(doc, item.get("max"), f"{path}.max")
        default = _resources(doc, item.get("default"), f"{path}.default")
        default_request = _resources(doc, item.get("defaultRequest"), f"{path}.defaultRequest")
        ratio = {}
        for r, q in (item.get("maxLimitRequestRatio") or {}).items():
            try:
                ratio[str(r)] = float(parse_quantity(q))
            except InvalidQuantityError as exc:
                raise InvalidManifestError(
                    f"{doc.where(f'{path}.maxLimitRequestRatio.{r}')}: {exc}"
                ) from None
        if typ == "Container":
            # API-server defaulting of the LimitRange itself: default <- max, defaultRequest <- default, else min.
            for r, v in mx.items():
                default.setdefault(r, v)
            for r, v in default.items():
                default_request.setdefault(r, v)
            for r, v in mn.items():
                default_request.setdefault(r, v)
        items.append(LimitRangeItem(typ, mn, mx, default, default_request, ratio))
    return LimitRange(
        str(meta.get("namespace") or "default"),
        str(meta.get("name") or ""),
        tuple(items),
        doc.where(),
    )


def _autoscaler(doc: _Doc) -> Autoscaler:
    """A HorizontalPodAutoscaler's target and bounds (minReplicas defaults to 1)."""
    meta = _mapping(doc, doc.body.get("metadata"), "metadata")
    spec = _mapping(doc, doc.body.get("spec"), "spec")
    ref = _mapping(doc, spec.get("scaleTargetRef"), "spec.scaleTargetRef")
    kind, name = ref.get("kind"), ref.get("name")
    if not isinstance(kind, str) or not isinstance(name, str) or not kind or not name:
        raise InvalidManifestError(
            f"{doc.where('spec.scaleTargetRef')}: needs the kind and name of the workload to scale"
        )
    low = _get(doc, spec, "minReplicas", "spec", int, 1)
    high = spec.get("maxReplicas")
    if isinstance(high, bool) or not isinstance(high, int):
        raise InvalidManifestError(f"{doc.where('spec.maxReplicas')}: Required value: an integer")
    if not 1 <= low <= INT32_MAX:
        raise InvalidManifestError(
            f"{doc.where('spec.minReplicas')}: must be an integer from 1 to {INT32_MAX}, got {low}"
        )
    if not low <= high <= INT32_MAX:
        raise InvalidManifestError(
            f"{doc.where('spec.maxReplicas')}: must be >= minReplicas ({low}) and at most "
            f"{INT32_MAX}, got {high}"
        )
    return Autoscaler(
        str(meta.get("namespace") or "default"),
        str(meta.get("name") or ""),
        kind,
        name,
        low,
        high,
        doc.where(),
    )


_PERCENT = re.compile(r"[0-9]+%")


def _budget(doc: _Doc) -> DisruptionBudget:
    """A PodDisruptionBudget: its selector and minAvailable or maxUnavailable (a count or a
    percentage; ``ValidatePodDisruptionBudgetSpec``)."""
    meta = _mapping(doc, doc.body.get("metadata"), "metadata")
    spec = _mapping(doc, doc.body.get("spec"), "spec")
    values: dict[str, int | str] = {}
    for key in ("minAvailable", "maxUnavailable"):
        value = spec.get(key)
        if value is None:
            continue
        path = f"spec.{key}"
        if isinstance(value, bool) or not isinstance(value, (int, str)):
            raise InvalidManifestError(
                f'{doc.where(path)}: must be an integer or a percentage such as "50%", got '
                f"{_cut(value)!r}"
            )
        if isinstance(value, int) and not 0 <= value <= INT32_MAX:
            raise InvalidManifestError(
                f"{doc.where(path)}: must be greater than or equal to 0, got {value}"
            )
        if isinstance(value, str):
            if not _PERCENT.fullmatch(value):
                raise InvalidManifestError(
                    f"{doc.where(path)}: a valid percent string must be a numeric string "
                    f"followed by an ending '%', got {_cut(value)!r}"
                )
            if int(value[:-1]) > 100:
                raise InvalidManifestError(
                    f"{doc.where(path)}: must not be greater than 100%, got {_cut(value)!r}"
                )
        values[key] = value
    if len(values) == 2:
        raise InvalidManifestError(
            f"{doc.where('spec')}: minAvailable and maxUnavailable cannot be both set"
        )
    return DisruptionBudget(
        str(meta.get("namespace") or "default"),
        str(meta.get("name") or ""),
        label_selector(doc, spec.get("selector"), "spec.selector"),
        values.get("minAvailable"),
        values.get("maxUnavailable"),
        doc.where(),
    )


def _scaled_object(doc: _Doc) -> Autoscaler:
    """A KEDA ScaledObject (``keda.sh/v1alpha1``): KEDA scales its target through an HPA with
    ``minReplicas`` = ``minReplicaCount`` when above 0, else 1, and ``maxReplicas`` =
    ``maxReplicaCount`` (default 100) (KEDA ``GetHPAMinReplicas`` / ``GetHPAMaxReplicas``), and
    itself to ``idleReplicaCount`` or zero when no trigger is active.  Bounds are checked as
    KEDA's CRD and ``CheckReplicaCountBoundsAreValid`` check them."""
    meta = _mapping(doc, doc.body.get("metadata"), "metadata")
    spec = _mapping(doc, doc.body.get("spec"), "spec")
    ref = _mapping(doc, spec.get("scaleTargetRef"), "spec.scaleTargetRef")
    kind, name = ref.get("kind", "Deployment"), ref.get("name")
    if not isinstance(kind, str) or not isinstance(name, str) or not kind or not name:
        raise InvalidManifestError(
            f"{doc.where('spec.scaleTargetRef')}: needs the name (and kind, default Deployment) "
            "of the workload to scale"
        )
    counts: dict[str, int | None] = {}
    for key, lowest in (
        ("minReplicaCount", 0),
        ("maxReplicaCount", 1),
        ("idleReplicaCount", 0),
        ("initialCooldownPeriod", 0),
    ):
        value = spec.get(key)
        if value is not None and (
            isinstance(value, bool)
            or not isinstance(value, int)
            or not lowest <= value <= INT32_MAX
        ):
            raise InvalidManifestError(
                f"{doc.where('spec.' + key)}: must be an integer from {lowest} to {INT32_MAX}, "
                f"got {short_repr(value)}"
            )
        counts[key] = value
    given_min, idle = counts["minReplicaCount"], counts["idleReplicaCount"]
    high = counts["maxReplicaCount"] or 100
    # the HPA's minimum when minReplicaCount is given, 0 when it is not (KEDA's check)
    low = 0 if given_min is None else max(given_min, 1)
    if low > high:
        raise InvalidManifestError(
            f"{doc.where('spec.minReplicaCount')}: MinReplicaCount={low} must be less than "
            f"MaxReplicaCount={high}"
        )
    if idle is not None and idle >= low:
        raise InvalidManifestError(
            f"{doc.where('spec.idleReplicaCount')}: IdleReplicaCount={idle} must be less than "
            f"MinReplicaCount={low} (set minReplicaCount above idleReplicaCount)"
        )
    annotations = _mapping(doc, meta.get("annotations"), "metadata.annotations")
    paused = sorted(a for a in annotations if str(a).startswith("autoscaling.keda.sh/"))
    if paused:
        warnings.warn(
            f"{doc.where('metadata.annotations')}: {', '.join(map(str, paused))} not modelled; "
            "the ScaledObject is simulated as if it were not annotated",
            PodcapWarning,
            stacklevel=4,
        )
    return Autoscaler(
        str(meta.get("namespace") or "default"),
        str(meta.get("name") or ""),
        kind,
        name,
        max(given_min or 0, 1),
        high,
        doc.where(),
        kind="ScaledObject",
        keda_min=given_min or 0,
        idle_replicas=idle,
        initial_cooldown=counts["initialCooldownPeriod"] or 0,
    )


def _metadata_name(doc: _Doc) -> tuple[Mapping[str, Any], str]:
    """An object's ``metadata`` and its (required) name."""
    meta = _mapping(doc, doc.body.get("metadata"), "metadata")
    name = meta.get("name")
    if not isinstance(name, str) or not name:
        raise InvalidManifestError(f"{doc.where('metadata.name')}: Required value: a name")
    return meta, name


def _runtime_class(doc: _Doc) -> RuntimeClass:
    """A RuntimeClass (``node.k8s.io/v1``): its handler and ``overhead.podFixed``."""
    _, name = _metadata_name(doc)
    handler = doc.body.get("handler")
    if not isinstance(handler, str) or not handler:
        raise InvalidManifestError(
            f"{doc.where('handler')}: Required value: the CRI handler (e.g. runc, kata)"
        )
    overhead = _mapping(doc, doc.body.get("overhead"), "overhead")
    fixed = _resources(doc, overhead.get("podFixed"), "overhead.podFixed")
    scheduling = doc.body.get("scheduling") is not None
    if scheduling:
        warnings.warn(
            f"{doc.where('scheduling')}: the node selector and tolerations a RuntimeClass adds "
            "to its pods are not modelled; only its overhead is",
            PodcapWarning,
            stacklevel=4,
        )
    return RuntimeClass(name, handler, fixed, doc.where(), scheduling)


_BINDING_MODES = ("Immediate", "WaitForFirstConsumer")


def _topology_terms(
    doc: _Doc, items: Any, path: str, key: str
) -> tuple[tuple[NodeSelectorRequirement, ...], ...]:
    """``allowedTopologies`` (``matchLabelExpressions`` of key and values) or a volume's
    ``nodeAffinity.required.nodeSelectorTerms`` (``matchExpressions``) as node selector terms."""
    terms = []
    for i, term in enumerate(_list(doc, items, path)):
        tpath = f"{path}[{i}]"
        if key == "matchExpressions":
            terms.append(_node_selector_term(doc, term, tpath))
            continue
        reqs = []
        term = _mapping(doc, term, tpath)
        for j, e in enumerate(_list(doc, term.get(key), f"{tpath}.{key}")):
            epath = f"{tpath}.{key}[{j}]"
            e = _mapping(doc, e, epath)
            label = e.get("key")
            values = tuple(str(v) for v in _list(doc, e.get("values"), epath + ".values"))
            if not isinstance(label, str) or not label or not values:
                raise InvalidManifestError(
                    f"{doc.where(epath)}: Required value: a key and at least one value (e.g. "
                    "key: topology.kubernetes.io/zone, values: [us-east-1a])"
                )
            reqs.append(NodeSelectorRequirement(label, "In", values))
        terms.append(tuple(reqs))
    return tuple(terms)


def _storage_class(doc: _Doc) -> StorageClass:
    """A StorageClass: provisioner, ``volumeBindingMode`` (default Immediate),
    ``allowedTopologies``, the default-class annotation."""
    meta, name = _metadata_name(doc)
    provisioner = doc.body.get("provisioner")
    if not isinstance(provisioner, str) or not provisioner:
        raise InvalidManifestError(
            f"{doc.where('provisioner')}: Required value: e.g. {EBS_PROVISIONERS[0]}"
        )
    mode: Any = doc.body.get("volumeBindingMode") or "Immediate"
    if mode not in _BINDING_MODES:
        raise InvalidManifestError(
            f"{doc.where('volumeBindingMode')}: Unsupported value: {short_repr(mode)}: supported "
            'values: "Immediate", "WaitForFirstConsumer"'
        )
    notes = _mapping(doc, meta.get("annotations"), "metadata.annotations")
    return StorageClass(
        name,
        provisioner,
        mode,
        _topology_terms(
            doc, doc.body.get("allowedTopologies"), "allowedTopologies", "matchLabelExpressions"
        ),
        str(notes.get(DEFAULT_CLASS_ANNOTATION, "")).lower() == "true",
        doc.where(),
    )


def _claim(doc: _Doc) -> Claim:
    """A PersistentVolumeClaim: its class and the volume it is bound to."""
    meta, name = _metadata_name(doc)
    spec = _mapping(doc, doc.body.get("spec"), "spec")
    return Claim(
        str(meta.get("namespace") or "default"),
        name,
        _class_name(doc, spec, "spec"),
        str(spec.get("volumeName") or ""),
        doc.where(),
    )


def _persistent_volume(doc: _Doc) -> PersistentVolume:
    """A PersistentVolume: EBS or not (``csi.driver`` ebs.csi.aws.com or
    ``awsElasticBlockStore``), its required node affinity and ``claimRef``."""
    meta, name = _metadata_name(doc)
    spec = _mapping(doc, doc.body.get("spec"), "spec")
    csi = _mapping(doc, spec.get("csi"), "spec.csi")
    ebs = csi.get("driver") in EBS_PROVISIONERS or spec.get("awsElasticBlockStore") is not None
    affinity = _mapping(doc, spec.get("nodeAffinity"), "spec.nodeAffinity")
    required = _mapping(doc, affinity.get("required"), "spec.nodeAffinity.required")
    terms = _topology_terms(
        doc,
        required.get("nodeSelectorTerms"),
        "spec.nodeAffinity.required.nodeSelectorTerms",
        "matchExpressions",
    )
    ref = _mapping(doc, spec.get("claimRef"), "spec.claimRef")
    claim = None
    if ref.get("name"):
        claim = (str(ref.get("namespace") or "default"), str(ref["name"]))
    labels = _mapping(doc, meta.get("labels"), "metadata.labels")
    zone_labels = tuple(
        (key, tuple(v for v in str(labels[key]).split("__") if v))
        for key in VOLUME_ZONE_LABELS
        if key in labels and str(labels[key])
    )
    return PersistentVolume(
        name,
        bool(ebs),
        terms,
        claim,
        str(spec.get("storageClassName") or ""),
        doc.where(),
        zone_labels,
    )


def _quota(doc: _Doc) -> ResourceQuota:
    meta = _mapping(doc, doc.body.get("metadata"), "metadata")
    hard_raw = _mapping(doc, _mapping(doc, doc.body.get("spec"), "spec").get("hard"), "spec.hard")
    hard = {}
    for key, qty in hard_raw.items():
        fpath = f"spec.hard.{key}"
        try:
            if key in ("cpu", "requests.cpu", "limits.cpu"):
                hard[str(key)] = parse_cpu(qty, field=fpath)
            else:
                hard[str(key)] = parse_memory(qty, field=fpath)
        except InvalidQuantityError as exc:
            raise InvalidManifestError(f"{doc.where(fpath)}: {exc}") from None
    return ResourceQuota(
        str(meta.get("namespace") or "default"), str(meta.get("name") or ""), hard, doc.where()
    )


@dataclass
class _Unknown:
    """An unknown field path of one file: where it was first seen, the likely meant field, how
    many documents have it."""

    first: str
    close: str | None
    count: int = 0


def _warn_unknown(unknown: Mapping[tuple[str, str], _Unknown]) -> None:
    """One warning per unknown field path and file (``kubectl apply --validate=warn`` style)."""
    for (_, field_path), entry in unknown.items():
        hint = f'; did you mean "{entry.close}"?' if entry.close else ""
        more = entry.count - 1
        also = (
            f" (also in {more} more document{'s' if more > 1 else ''} of this file)" if more else ""
        )
        warnings.warn(
            f'{entry.first}: unknown field "{_cut(field_path, 200)}" ignored{hint}{also}',
            PodcapWarning,
            stacklevel=3,
        )


def _read(docs: list[_Doc], out: Manifests, unknown: dict[tuple[str, str], _Unknown]) -> None:
    """Fill ``out`` from the documents, in order; note unknown fields of workloads in
    ``unknown``."""
    seen: set[tuple[str, str, str]] = set()
    for doc in docs:
        kind = doc.body.get("kind")
        if kind == "Namespace":
            out.namespaces.append(
                str(_mapping(doc, doc.body.get("metadata"), "metadata").get("name"))
            )
        elif kind == "PriorityClass":
            value = doc.body.get("value")
            if not isinstance(value, int) or isinstance(value, bool):
                raise InvalidManifestError(
                    f"{doc.where('value')}: expected an integer priority from {INT32_MIN} to "
                    f"{HIGHEST_USER_PRIORITY} (higher values are for system- classes), got "
                    f"{short_repr(value)}"
                )
            default = doc.body.get("globalDefault", False)
            if not isinstance(default, bool):
                raise InvalidManifestError(
                    f"{doc.where('globalDefault')}: expected true or false, got "
                    f"{short_repr(default)}"
                )
            name = str(_mapping(doc, doc.body.get("metadata"), "metadata").get("name"))
            problem = priority_class_problem(name, value, default)
            if problem:
                raise InvalidManifestError(f"{doc.where(problem[0])}: {problem[1]}")
            out.priority_classes = [pc for pc in out.priority_classes if pc.name != name]
            out.priority_classes.append(PriorityClass(name, value, doc.where(), default))
        elif kind == "LimitRange":
            lr = _limit_range(doc)
            # kubectl apply of the same object twice: the later one wins
            out.limit_ranges = [
                x for x in out.limit_ranges if (x.namespace, x.name) != (lr.namespace, lr.name)
            ]
            out.limit_ranges.append(lr)
        elif kind in ("HorizontalPodAutoscaler", "ScaledObject"):
            hpa = _autoscaler(doc) if kind == "HorizontalPodAutoscaler" else _scaled_object(doc)
            out.autoscalers = [x for x in out.autoscalers if x.key != hpa.key]
            out.autoscalers.append(hpa)
        elif kind == "PodDisruptionBudget":
            pdb = _budget(doc)
            out.budgets = [
                x for x in out.budgets if (x.namespace, x.name) != (pdb.namespace, pdb.name)
            ]
            out.budgets.append(pdb)
        elif kind == "RuntimeClass":
            rc = _runtime_class(doc)
            out.runtime_classes = [x for x in out.runtime_classes if x.name != rc.name]
            out.runtime_classes.append(rc)
        elif kind == "StorageClass":
            out.storage_classes.append(_storage_class(doc))
        elif kind == "PersistentVolumeClaim":
            out.claims.append(_claim(doc))
        elif kind == "PersistentVolume":
            out.persistent_volumes.append(_persistent_volume(doc))
        elif kind == "ResourceQuota":
            q = _quota(doc)
            out.quotas = [x for x in out.quotas if (x.namespace, x.name) != (q.namespace, q.name)]
            out.quotas.append(q)
        elif kind in WORKLOAD_KINDS:
            for field_path, close in unknown_fields(kind, doc.body):
                entry = unknown.setdefault((doc.source, field_path), _Unknown(doc.where(), close))
                entry.count += 1
            w = _workload(doc)
            if w.key in seen:
                # kubectl apply of the same object twice: the later one wins
                out.workloads = [x for x in out.workloads if x.key != w.key]
            seen.add(w.key)
            out.workloads.append(w)
        else:
            meta = doc.body.get("metadata")
            name = meta.get("name", "?") if isinstance(meta, Mapping) else "?"
            out.skipped.append(f"{kind} {name} ({doc.source}, document {doc.index})")


def load_manifests(sources: Any) -> Manifests:
    """Read manifests in ``kubectl apply`` order: files in the order given (a directory's files
    by name), documents in file order.

    Parameters
    ----------
    sources : path, YAML text, dict, or a list of those
        Files, directories (every ``.yaml``/``.yml``/``.json`` inside, sorted), multi-document
        YAML text, parsed objects, ``kind: List``.

    Returns
    -------
    Manifests
        Namespaces, priority classes, LimitRanges, ResourceQuotas and workloads, each in
        document order (an object given twice: the later one wins, in the later place).  When
        they are applied, the policies take effect before any pod is created.  Other kinds are
        listed in ``skipped`` and reported in one :class:`PodcapWarning`.  A field of a
        workload that its Kubernetes API type does not have (a typo such as ``resoures``) is
        ignored and reported in one :class:`PodcapWarning` per field path and file, with the
        field it most resembles (:mod:`podcap.io.fields`).

    Raises
    ------
    InvalidManifestError
        Malformed YAML or a malformed object, or a value the Kubernetes API server would refuse
        (label keys and values, selectors, tolerations, topology spread constraints, priority
        classes, int32 and int64 ranges); the message names file, document, field, the value
        and what is valid.
    """
    docs = list(_iter_sources(sources))
    out = Manifests()
    unknown: dict[tuple[str, str], _Unknown] = {}
    try:
        _read(docs, out, unknown)
    except BaseException:
        # the fields podcap did not know may explain the error: report them first
        with contextlib.suppress(Warning):
            _warn_unknown(unknown)
        raise
    _warn_unknown(unknown)
    if out.skipped:
        kinds: dict[str, int] = {}
        for item in out.skipped:
            kind = item.split(" ", 1)[0]
            kinds[kind] = kinds.get(kind, 0) + 1
        listed = ", ".join(f"{k} ({v})" for k, v in sorted(kinds.items()))
        warnings.warn(
            f"skipped {len(out.skipped)} object(s) of kinds podcap does not simulate: {listed}",
            PodcapWarning,
            stacklevel=2,
        )
    return out
