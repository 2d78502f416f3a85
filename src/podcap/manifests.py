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
from typing import Any

import yaml

from podcap.errors import InvalidManifestError, InvalidQuantityError, PodcapWarning
from podcap.quantity import parse_cpu, parse_memory, parse_quantity
from podcap.specs import Toleration
from podcap.workloads import (
    Container,
    LimitRange,
    LimitRangeItem,
    NodeSelectorRequirement,
    PodTemplate,
    PriorityClass,
    ResourceQuota,
    SpreadConstraint,
    Workload,
)

__all__ = ["Manifests", "load_manifests"]

WORKLOAD_KINDS = ("Deployment", "ReplicaSet", "StatefulSet", "DaemonSet", "Pod", "Job")
#: Order in which kinds are applied (then document order).
APPLY_ORDER = ("Namespace", "PriorityClass", "LimitRange", "ResourceQuota", *WORKLOAD_KINDS)
_YAML_SUFFIXES = (".yaml", ".yml", ".json")


@dataclass
class Manifests:
    """Objects read from manifests, in apply order."""

    namespaces: list[str] = field(default_factory=list)
    priority_classes: list[PriorityClass] = field(default_factory=list)
    limit_ranges: list[LimitRange] = field(default_factory=list)
    quotas: list[ResourceQuota] = field(default_factory=list)
    workloads: list[Workload] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class _Doc:
    source: str
    index: int
    body: Mapping[str, Any]

    def where(self, path: str = "") -> str:
        kind = self.body.get("kind", "?")
        name = (self.body.get("metadata") or {}).get("name", "?")
        loc = f"{self.source}, document {self.index} ({kind} {name})"
        return f"{loc}, field {path}" if path else loc


def _yaml_docs(text: str, source: str) -> Iterator[_Doc]:
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        docs = list(yaml.load_all(text, Loader=loader))
    except yaml.YAMLError as exc:
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
    if doc.get("kind") == "List" or (doc.get("kind", "").endswith("List") and "items" in doc):
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
        elif isinstance(src, os.PathLike) or (
            isinstance(src, str)
            and "\n" not in src
            and ":" not in src.split("/")[-1][:1]
            and _looks_like_path(src)
        ):
            path = Path(src)
            if path.is_dir():
                files = sorted(
                    p for p in path.rglob("*") if p.suffix in _YAML_SUFFIXES and p.is_file()
                )
                if not files:
                    raise InvalidManifestError(
                        f"{path}: directory has no .yaml, .yml or .json files"
                    )
                for f in files:
                    yield from _yaml_docs(f.read_text(), str(f))
            elif path.is_file():
                yield from _yaml_docs(path.read_text(), str(path))
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


def _looks_like_path(text: str) -> bool:
    stripped = text.strip()
    if not stripped or stripped.startswith(("apiVersion", "kind", "---", "{", "-")):
        return False
    return "\n" not in stripped and (
        stripped.endswith(_YAML_SUFFIXES) or "/" in stripped or Path(stripped).exists()
    )


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


def _node_affinity(
    doc: _Doc, affinity: Mapping[str, Any], path: str
) -> tuple[tuple[NodeSelectorRequirement, ...], ...]:
    na = affinity.get("nodeAffinity") or {}
    req = na.get("requiredDuringSchedulingIgnoredDuringExecution") or {}
    terms = req.get("nodeSelectorTerms") or []
    out = []
    for i, term in enumerate(terms):
        reqs = []
        for j, e in enumerate(term.get("matchExpressions") or []):
            op = e.get("operator")
            if op not in ("In", "NotIn", "Exists", "DoesNotExist", "Gt", "Lt"):
                raise InvalidManifestError(
                    f"{doc.where(f'{path}.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[{i}].matchExpressions[{j}].operator')}: "
                    f"invalid operator {op!r}; valid: In, NotIn, Exists, DoesNotExist, Gt, Lt"
                )
            reqs.append(
                NodeSelectorRequirement(
                    str(e.get("key")), op, tuple(str(v) for v in e.get("values") or ())
                )
            )
        for e in term.get("matchFields") or []:
            reqs.append(
                NodeSelectorRequirement(
                    "metadata.name",
                    e.get("operator", "In"),
                    tuple(str(v) for v in e.get("values") or ()),
                )
            )
        out.append(tuple(reqs))
    return tuple(out)


def _anti_affinity_hostname(
    doc: _Doc, affinity: Mapping[str, Any], labels: Mapping[str, str]
) -> bool:
    paa = affinity.get("podAntiAffinity") or {}
    for term in paa.get("requiredDuringSchedulingIgnoredDuringExecution") or []:
        if term.get("topologyKey") != "kubernetes.io/hostname":
            continue
        sel = (term.get("labelSelector") or {}).get("matchLabels") or {}
        if sel and all(labels.get(k) == str(v) for k, v in sel.items()):
            return True
    return False


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
        when = c.get("whenUnsatisfiable", "DoNotSchedule")
        skew = c.get("maxSkew")
        if when not in ("DoNotSchedule", "ScheduleAnyway") or not isinstance(skew, int) or skew < 1:
            raise InvalidManifestError(
                f"{doc.where(f'{path}.topologySpreadConstraints[{i}]')}: needs maxSkew >= 1 and whenUnsatisfiable DoNotSchedule or ScheduleAnyway"
            )
        spread.append(SpreadConstraint(skew, str(c.get("topologyKey")), when))
    node_selector = _get(doc, spec, "nodeSelector", path, dict, {})
    return PodTemplate(
        containers=tuple(containers),
        init_containers=tuple(inits),
        overhead=_resources(doc, spec.get("overhead"), f"{path}.overhead"),
        node_selector={str(k): str(v) for k, v in node_selector.items()},
        node_affinity=_node_affinity(doc, affinity, f"{path}.affinity"),
        tolerations=tuple(tolerations),
        host_network=bool(spec.get("hostNetwork", False)),
        anti_affinity_hostname=_anti_affinity_hostname(doc, affinity, labels),
        spread=tuple(spread),
        labels=dict(labels),
        priority_class_name=str(spec.get("priorityClassName") or ""),
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
        template = _template(doc, spec, "spec", meta.get("labels") or {})
        return Workload("Pod", namespace, str(name), 1, template, doc.where())
    spec = _get(doc, body, "spec", "", dict, None)
    if spec is None:
        raise InvalidManifestError(f"{doc.where('spec')}: missing spec")
    tmpl = _get(doc, spec, "template", "spec", dict, None)
    if tmpl is None:
        raise InvalidManifestError(f"{doc.where('spec.template')}: missing pod template")
    tmeta = _get(doc, tmpl, "metadata", "spec.template", dict, {})
    pod_spec = _get(doc, tmpl, "spec", "spec.template", dict, None)
    if pod_spec is None:
        raise InvalidManifestError(f"{doc.where('spec.template.spec')}: missing pod spec")
    template = _template(doc, pod_spec, "spec.template.spec", tmeta.get("labels") or {})
    if kind == "DaemonSet":
        replicas = 0  # decided by the eligible nodes
    elif kind == "Job":
        replicas = _get(doc, spec, "parallelism", "spec", int, 1)
        completions = spec.get("completions")
        if isinstance(completions, int) and not isinstance(completions, bool):
            replicas = min(replicas, completions)
    else:
        replicas = _get(doc, spec, "replicas", "spec", int, 1)
    if replicas < 0:
        path = "spec.parallelism" if kind == "Job" else "spec.replicas"
        raise InvalidManifestError(f"{doc.where(path)}: must be >= 0, got {replicas}")
    return Workload(kind, namespace, str(name), replicas, template, doc.where())


def _limit_range(doc: _Doc) -> LimitRange:
    meta = doc.body.get("metadata") or {}
    items = []
    for i, item in enumerate((doc.body.get("spec") or {}).get("limits") or []):
        path = f"spec.limits[{i}]"
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


def _quota(doc: _Doc) -> ResourceQuota:
    meta = doc.body.get("metadata") or {}
    hard_raw = (doc.body.get("spec") or {}).get("hard") or {}
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
    """Read manifests and sort them into apply order.

    Parameters
    ----------
    sources : path, YAML text, dict, or a list of those
        Files, directories (every ``.yaml``/``.yml``/``.json`` inside, sorted), multi-document
        YAML text, parsed objects, ``kind: List``.

    Returns
    -------
    Manifests
        Namespaces, priority classes, LimitRanges, ResourceQuotas and workloads in apply order
        (kinds in the order Namespace, PriorityClass, LimitRange, ResourceQuota, Deployment,
        ReplicaSet, StatefulSet, DaemonSet, Pod, Job; document order within a kind).  Other
        kinds are listed in ``skipped`` and reported in one :class:`PodcapWarning`.

    Raises
    ------
    InvalidManifestError
        Malformed YAML or a malformed object; the message names file, document and field.
    """
    docs = list(_iter_sources(sources))
    order = {k: i for i, k in enumerate(APPLY_ORDER)}
    docs.sort(key=lambda d: order.get(str(d.body.get("kind")), len(order)))
    out = Manifests()
    seen: set[tuple[str, str, str]] = set()
    for doc in docs:
        kind = doc.body.get("kind")
        if kind == "Namespace":
            out.namespaces.append(str((doc.body.get("metadata") or {}).get("name")))
        elif kind == "PriorityClass":
            value = doc.body.get("value")
            if not isinstance(value, int) or isinstance(value, bool):
                raise InvalidManifestError(f"{doc.where('value')}: expected an integer priority")
            out.priority_classes.append(
                PriorityClass(str((doc.body.get("metadata") or {}).get("name")), value, doc.where())
            )
        elif kind == "LimitRange":
            out.limit_ranges.append(_limit_range(doc))
        elif kind == "ResourceQuota":
            out.quotas.append(_quota(doc))
        elif kind in WORKLOAD_KINDS:
            w = _workload(doc)
            if w.key in seen:
                # kubectl apply of the same object twice: the later one wins
                out.workloads = [x for x in out.workloads if x.key != w.key]
            seen.add(w.key)
            out.workloads.append(w)
        else:
            out.skipped.append(
                f"{kind} {(doc.body.get('metadata') or {}).get('name', '?')} ({doc.source}, document {doc.index})"
            )
    if out.skipped:
        warnings.warn(
            f"podcap skipped {len(out.skipped)} object(s) of kinds it does not simulate: {'; '.join(out.skipped)}",
            PodcapWarning,
            stacklevel=2,
        )
    return out
