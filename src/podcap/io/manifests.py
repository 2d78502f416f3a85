"""Read Kubernetes manifests into workload specs (an edge: no model logic here).

Sources may be file paths, directories, YAML text, parsed dicts or lists of those.  Multi-document
YAML and ``kind: List`` are expanded.  Errors name the file, the document index and the field path.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, get_args

from podcap import _yaml
from podcap.errors import InvalidManifestError, InvalidQuantityError, PodcapWarning
from podcap.model.quantity import parse_cpu, parse_memory, parse_quantity
from podcap.model.specs import Toleration
from podcap.model.workloads import (
    Autoscaler,
    Container,
    LabelSelector,
    LimitRange,
    LimitRangeItem,
    NodeSelectorRequirement,
    PodAffinityTerm,
    PodTemplate,
    PreferredNodeTerm,
    PriorityClass,
    ResourceQuota,
    SpreadConstraint,
    WeightedPodAffinityTerm,
    Workload,
    WorkloadKind,
)

__all__ = ["Manifests", "load_manifests"]

_INT32_MAX = 2**31 - 1
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
    """

    namespaces: list[str] = field(default_factory=list)
    priority_classes: list[PriorityClass] = field(default_factory=list)
    limit_ranges: list[LimitRange] = field(default_factory=list)
    quotas: list[ResourceQuota] = field(default_factory=list)
    workloads: list[Workload] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    autoscalers: list[Autoscaler] = field(default_factory=list)


@dataclass(frozen=True)
class _Doc:
    source: str
    index: int
    body: Mapping[str, Any]

    def where(self, path: str = "") -> str:
        kind = self.body.get("kind", "?")
        meta = self.body.get("metadata")
        name = meta.get("name", "?") if isinstance(meta, Mapping) else "?"
        loc = f"{self.source}, document {self.index} ({kind} {name})"
        return f"{loc}, field {path}" if path else loc


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
            f"{source}, document {index}, field kind: expected a string such as 'Deployment', got {kind!r}"
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
            f"{doc.where(f'{path}.{key}' if path else key)}: expected {names}, got {value!r}"
        )
    return value


def _mapping(doc: _Doc, value: Any, path: str) -> Mapping[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise InvalidManifestError(f"{doc.where(path)}: expected a mapping, got {value!r}")
    return value


def _list(doc: _Doc, value: Any, path: str) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise InvalidManifestError(f"{doc.where(path)}: expected a list, got {value!r}")
    return value


def _labels(doc: _Doc, value: Any, path: str) -> dict[str, str]:
    return {str(k): "" if v is None else str(v) for k, v in _mapping(doc, value, path).items()}


def _bool(doc: _Doc, obj: Mapping[str, Any], key: str, path: str) -> bool:
    value = obj.get(key, False)
    if value is None:
        return False
    if not isinstance(value, bool):
        raise InvalidManifestError(
            f"{doc.where(f'{path}.{key}')}: expected true or false, got {value!r}"
        )
    return value


_OPERATORS = ("In", "NotIn", "Exists", "DoesNotExist")


def label_selector(doc: _Doc, value: Any, path: str) -> LabelSelector | None:
    """A Kubernetes labelSelector (None when missing: it selects nothing)."""
    if value is None:
        return None
    sel = _mapping(doc, value, path)
    labels = tuple(
        (str(k), "" if v is None else str(v))
        for k, v in _mapping(doc, sel.get("matchLabels"), f"{path}.matchLabels").items()
    )
    exprs = []
    for j, e in enumerate(_list(doc, sel.get("matchExpressions"), f"{path}.matchExpressions")):
        epath = f"{path}.matchExpressions[{j}]"
        e = _mapping(doc, e, epath)
        op = e.get("operator")
        if op not in _OPERATORS:
            raise InvalidManifestError(
                f"{doc.where(epath + '.operator')}: invalid {op!r}; valid: {', '.join(_OPERATORS)}"
            )
        values = tuple(str(v) for v in _list(doc, e.get("values"), epath + ".values"))
        exprs.append((str(e.get("key")), op, values))
    return LabelSelector(labels, tuple(exprs))


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
            f"{doc.where(path + '.weight')}: expected an integer from 1 to 100, got {weight!r}"
        )
    return weight


def _affinity_term(doc: _Doc, value: Any, path: str) -> PodAffinityTerm:
    term = _mapping(doc, value, path)
    key = term.get("topologyKey")
    if not isinstance(key, str) or not key:
        raise InvalidManifestError(
            f"{doc.where(path + '.topologyKey')}: a term needs a topologyKey"
        )
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
                f"{doc.where(field_path)}: Invalid value: {name!r}: must be a standard resource "
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
                f"{doc.where(field_path)}: must not be negative, got {qty!r}"
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
                    f"got {host!r}"
                )
            protocol = str(p.get("protocol") or "TCP")
            if protocol not in ("TCP", "UDP", "SCTP"):
                raise InvalidManifestError(
                    f"{doc.where(ppath + '.protocol')}: invalid {protocol!r}; valid: TCP, UDP, SCTP"
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
                f"{doc.where(epath + '.operator')}: invalid operator {op!r}; valid: In, NotIn, "
                "Exists, DoesNotExist, Gt, Lt"
            )
        values = tuple(str(v) for v in _list(doc, e.get("values"), epath + ".values"))
        # apimachinery ValidateNodeSelectorRequirement
        if op in ("In", "NotIn") and not values:
            raise InvalidManifestError(
                f"{doc.where(epath + '.values')}: Required value: must be specified when "
                "`operator` is 'In' or 'NotIn'"
            )
        if op in ("Exists", "DoesNotExist") and values:
            raise InvalidManifestError(
                f"{doc.where(epath + '.values')}: Forbidden: may not be specified when "
                "`operator` is 'Exists' or 'DoesNotExist'"
            )
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
                    f"{doc.where(epath + '.values[0]')}: Invalid value: {values[0]!r}: must be "
                    "an integer when `operator` is 'Lt' or 'Gt'"
                ) from None
        reqs.append(NodeSelectorRequirement(str(e.get("key")), op, values))
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
    tolerations = []
    for i, t in enumerate(_get(doc, spec, "tolerations", path, list, [])):
        if not isinstance(t, Mapping):
            raise InvalidManifestError(
                f"{doc.where(f'{path}.tolerations[{i}]')}: expected a mapping"
            )
        op = t.get("operator", "Equal")
        if op not in ("Equal", "Exists"):
            raise InvalidManifestError(
                f"{doc.where(f'{path}.tolerations[{i}].operator')}: invalid {op!r}; valid: Equal, Exists"
            )
        tolerations.append(
            Toleration(
                str(t.get("key") or ""), op, str(t.get("value") or ""), str(t.get("effect") or "")
            )
        )
    affinity = _get(doc, spec, "affinity", path, dict, {})
    spread = []
    for i, c in enumerate(_get(doc, spec, "topologySpreadConstraints", path, list, [])):
        cpath = f"{path}.topologySpreadConstraints[{i}]"
        c = _mapping(doc, c, cpath)
        when = c.get("whenUnsatisfiable", "DoNotSchedule")
        skew = c.get("maxSkew")
        key = c.get("topologyKey")
        if (
            when not in ("DoNotSchedule", "ScheduleAnyway")
            or not isinstance(skew, int)
            or isinstance(skew, bool)
            or skew < 1
            or not isinstance(key, str)
            or not key
        ):
            raise InvalidManifestError(
                f"{doc.where(cpath)}: needs maxSkew >= 1, a topologyKey and whenUnsatisfiable "
                "DoNotSchedule or ScheduleAnyway"
            )
        min_domains = c.get("minDomains")
        if min_domains is not None and (
            isinstance(min_domains, bool) or not isinstance(min_domains, int) or min_domains < 1
        ):
            raise InvalidManifestError(
                f"{doc.where(cpath + '.minDomains')}: expected an integer >= 1, got {min_domains!r}"
            )
        policies: dict[str, Any] = {}
        for name, default in (("nodeAffinityPolicy", "Honor"), ("nodeTaintsPolicy", "Ignore")):
            value = c.get(name) or default
            if value not in ("Honor", "Ignore"):
                raise InvalidManifestError(
                    f"{doc.where(f'{cpath}.{name}')}: invalid {value!r}; valid: Honor, Ignore"
                )
            policies[name] = value
        spread.append(
            SpreadConstraint(
                skew,
                key,
                when,
                selector=label_selector(doc, c.get("labelSelector"), cpath + ".labelSelector"),
                min_domains=min_domains,
                node_affinity_policy=policies["nodeAffinityPolicy"],
                node_taints_policy=policies["nodeTaintsPolicy"],
                match_label_keys=_keys(doc, c, "matchLabelKeys", cpath),
            )
        )
    node_selector = _get(doc, spec, "nodeSelector", path, dict, {})
    required_nodes, preferred_nodes = _node_affinity(doc, affinity, f"{path}.affinity")
    affinity_terms, preferred_affinity = _pod_affinity(
        doc, affinity, "podAffinity", f"{path}.affinity"
    )
    anti_terms, preferred_anti = _pod_affinity(doc, affinity, "podAntiAffinity", f"{path}.affinity")
    policy: Any = spec.get("preemptionPolicy") or "PreemptLowerPriority"
    if policy not in ("PreemptLowerPriority", "Never"):
        raise InvalidManifestError(
            f"{doc.where(path + '.preemptionPolicy')}: invalid {policy!r}; valid: "
            "PreemptLowerPriority, Never"
        )
    return PodTemplate(
        containers=tuple(containers),
        init_containers=tuple(inits),
        overhead=_resources(doc, spec.get("overhead"), f"{path}.overhead"),
        node_selector={str(k): str(v) for k, v in node_selector.items()},
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


def _workload(doc: _Doc) -> Workload:
    body = doc.body
    kind = body["kind"]
    meta = _get(doc, body, "metadata", "", dict, {})
    name = meta.get("name")
    if not name:
        raise InvalidManifestError(f"{doc.where('metadata.name')}: missing name")
    namespace = str(meta.get("namespace") or "default")
    if kind == "Pod":
        spec = _get(doc, body, "spec", "", dict, None)
        if spec is None:
            raise InvalidManifestError(f"{doc.where('spec')}: missing pod spec")
        template = _template(doc, spec, "spec", _labels(doc, meta.get("labels"), "metadata.labels"))
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
    if kind == "CronJob":
        replicas = 0
    elif kind == "DaemonSet":
        replicas = 0  # decided by the eligible nodes
    elif kind == "Job":
        replicas = _get(doc, spec, "parallelism", "spec", int, 1)
        completions = spec.get("completions")
        if isinstance(completions, int) and not isinstance(completions, bool):
            replicas = min(replicas, completions)
    else:
        replicas = _get(doc, spec, "replicas", "spec", int, 1)
    ordered = False
    if kind == "StatefulSet":
        policy = spec.get("podManagementPolicy", "OrderedReady")
        if policy not in ("OrderedReady", "Parallel"):
            raise InvalidManifestError(
                f"{doc.where('spec.podManagementPolicy')}: invalid {policy!r}; valid: OrderedReady, Parallel"
            )
        ordered = policy == "OrderedReady"
    if not 0 <= replicas <= _INT32_MAX:
        path = "spec.parallelism" if kind == "Job" else "spec.replicas"
        raise InvalidManifestError(
            f"{doc.where(path)}: must be an integer from 0 to {_INT32_MAX} (int32), got {replicas}"
        )
    return Workload(kind, namespace, str(name), replicas, template, doc.where(), ordered)


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
                f"{doc.where(path + '.type')}: invalid {typ!r}; valid: Container, Pod, PersistentVolumeClaim"
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
    if not 1 <= low <= _INT32_MAX:
        raise InvalidManifestError(
            f"{doc.where('spec.minReplicas')}: must be an integer from 1 to {_INT32_MAX}, got {low}"
        )
    if not low <= high <= _INT32_MAX:
        raise InvalidManifestError(
            f"{doc.where('spec.maxReplicas')}: must be >= minReplicas ({low}) and at most "
            f"{_INT32_MAX}, got {high}"
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
        listed in ``skipped`` and reported in one :class:`PodcapWarning`.

    Raises
    ------
    InvalidManifestError
        Malformed YAML or a malformed object; the message names file, document and field.
    """
    docs = list(_iter_sources(sources))
    out = Manifests()
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
                raise InvalidManifestError(f"{doc.where('value')}: expected an integer priority")
            default = doc.body.get("globalDefault", False)
            if not isinstance(default, bool):
                raise InvalidManifestError(f"{doc.where('globalDefault')}: expected true or false")
            name = str(_mapping(doc, doc.body.get("metadata"), "metadata").get("name"))
            out.priority_classes = [pc for pc in out.priority_classes if pc.name != name]
            out.priority_classes.append(PriorityClass(name, value, doc.where(), default))
        elif kind == "LimitRange":
            lr = _limit_range(doc)
            # kubectl apply of the same object twice: the later one wins
            out.limit_ranges = [
                x for x in out.limit_ranges if (x.namespace, x.name) != (lr.namespace, lr.name)
            ]
            out.limit_ranges.append(lr)
        elif kind == "HorizontalPodAutoscaler":
            hpa = _autoscaler(doc)
            out.autoscalers = [
                x for x in out.autoscalers if (x.namespace, x.name) != (hpa.namespace, hpa.name)
            ]
            out.autoscalers.append(hpa)
        elif kind == "ResourceQuota":
            q = _quota(doc)
            out.quotas = [x for x in out.quotas if (x.namespace, x.name) != (q.namespace, q.name)]
            out.quotas.append(q)
        elif kind in WORKLOAD_KINDS:
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
