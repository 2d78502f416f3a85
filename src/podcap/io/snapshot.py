"""Read ``kubectl get ... -o json`` snapshots: nodes with their real allocatable, the pods
already running, LimitRanges and ResourceQuotas (an edge: no model logic here).

A new rollout is then simulated on top of that load::

    snap = podcap.read_snapshot(["nodes.json", "pods.json", "policies.json"])
    podcap.simulate(snap.cluster, ["app.yaml", *snap.manifests], existing=snap.existing)
"""

from __future__ import annotations

import gc
import json
import os
import re
import warnings
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import repeat
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from podcap.errors import (
    InvalidManifestError,
    InvalidQuantityError,
    PodcapError,
    PodcapWarning,
    short_repr,
)
from podcap.io.manifests import read_text
from podcap.model.admission import AdmittedPod, nonzero_requests, pod_requests
from podcap.model.capacity import pod_ip_capacity
from podcap.model.fleet import POD_ENI
from podcap.model.instances import check_instance_type, with_unlisted_type
from podcap.model.quantity import parse_quantities
from podcap.model.specs import Cluster, NodeGroup, Taint, VpcCni
from podcap.model.workloads import Container

__all__ = ["EXISTING_COLUMNS", "Snapshot", "read_snapshot"]

#: Columns of :attr:`Snapshot.existing` (pods per node with identical requests).
EXISTING_COLUMNS = (
    "node",
    "namespace",
    "owner_kind",
    "owner",
    "pods",
    "cpu_millicores",
    "memory_bytes",
    "ephemeral_storage_bytes",
    "pod_eni",
    "nonzero_cpu_millicores",
    "nonzero_memory_bytes",
    "host_network",
)
_FINISHED = frozenset({"Succeeded", "Failed"})  # pod phases that hold no resources
#: Allocatable resources podcap reads itself (others are extended resources or dropped).
_PLAIN_ALLOCATABLE = frozenset({"cpu", "memory", "pods", "ephemeral-storage", POD_ENI})
_OWN_LABELS = {
    "kubernetes.io/hostname",
    "topology.kubernetes.io/zone",
    "failure-domain.beta.kubernetes.io/zone",
    "node.kubernetes.io/instance-type",
    "beta.kubernetes.io/instance-type",
}


@dataclass
class Snapshot:
    """What a set of kubectl JSON files describes.

    Attributes
    ----------
    cluster : Cluster
        One node group per set of identical nodes, with the nodes' real names, allocatable,
        labels and taints.
    existing : pandas.DataFrame
        Pods bound to nodes, aggregated (columns :data:`EXISTING_COLUMNS`).
    manifests : list of dict
        LimitRanges and ResourceQuotas found (pass them to :func:`podcap.simulate`).
    skipped : list of str
        Objects not used (other kinds, pods not bound to a node, finished pods), each named.
    karpenter : list of (int, dict)
        Karpenter objects (NodePools, EC2NodeClasses) with their index in their List.
    """

    cluster: Cluster
    existing: pd.DataFrame
    manifests: list[dict[str, Any]] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    karpenter: list[tuple[int, Mapping[str, Any]]] = field(default_factory=list)


# An object of the snapshot: (source, index in its List or -1, the object); its location is
# only spelt out for a message.
_Located = tuple[str, int, Mapping[str, Any]]


def _field(obj: Any, *path: str, default: Any = None) -> Any:
    """``obj[path[0]][path[1]]...``, or ``default`` where a step is missing or not an object
    (for messages about objects that may be malformed)."""
    for key in path:
        if not isinstance(obj, Mapping) or key not in obj:
            return default
        obj = obj[key]
    return obj


def _where(source: str, index: int) -> str:
    return source if index < 0 else f"{source}, items[{index}]"


#: The instance type podcap gives nodes without an instance-type label.
UNLABELLED_TYPE = "unlabelled"
#: Node-group labels, in the order a node's group name is taken from them: EKS managed node
#: groups, eksctl, kOps instance groups, Karpenter NodePools.
GROUP_LABELS = (
    "eks.amazonaws.com/nodegroup",
    "alpha.eksctl.io/nodegroup-name",
    "kops.k8s.io/instancegroup",
    "karpenter.sh/nodepool",
)


def object_kind(item: Mapping[str, Any], where: str, list_kind: str | None = None) -> str | None:
    """An object's kind: its ``kind``, the kind its List names (``NodeList``), or its shape
    (kubectl's output always has ``kind``; some exporters and ``-o jsonpath`` leave it out).

    A Node has ``status.capacity`` / ``status.allocatable`` or ``status.nodeInfo`` and no
    ``spec.containers``; a Pod has ``spec.containers``; a LimitRange ``spec.limits``; a
    ResourceQuota ``spec.hard``.  None for an object of none of these shapes (it is then
    named as skipped).

    Raises
    ------
    InvalidManifestError
        When the shape fits more than one kind (the message names the object and asks for
        ``kind``).
    """
    kind = item.get("kind")
    if isinstance(kind, str) and kind:
        return kind
    if list_kind and list_kind.endswith("List") and list_kind != "List":
        return list_kind[: -len("List")]
    raw_spec, raw_status = item.get("spec"), item.get("status")
    spec: Mapping[str, Any] = raw_spec if isinstance(raw_spec, Mapping) else {}
    status: Mapping[str, Any] = raw_status if isinstance(raw_status, Mapping) else {}
    shapes = []
    if isinstance(spec.get("containers"), list):
        shapes.append("Pod")
    if (
        any(k in status for k in ("capacity", "allocatable", "nodeInfo"))
        and "containers" not in spec
    ):
        shapes.append("Node")
    if "limits" in spec and isinstance(spec.get("limits"), list):
        shapes.append("LimitRange")
    if isinstance(spec.get("hard"), Mapping):
        shapes.append("ResourceQuota")
    if len(shapes) > 1:
        raise InvalidManifestError(
            f"{where}: an object without 'kind' that looks like a {' and a '.join(shapes)}; "
            "add kind: Node or kind: Pod (kubectl get -o json prints it)"
        )
    return shapes[0] if shapes else None


def _items(doc: Any, source: str) -> tuple[list[_Located], str | None]:
    """The objects of a document (the items of a List, or the object itself), and the
    ``kind`` they all have when :func:`_one_kind` finds one."""
    if not isinstance(doc, Mapping):
        raise InvalidManifestError(
            f"{source}: expected a Kubernetes object or List, got {type(doc).__name__}"
        )
    if "items" in doc and (
        doc.get("kind") in (None, "List") or str(doc.get("kind", "")).endswith("List")
    ):
        items = doc["items"]
        if not isinstance(items, list):
            raise InvalidManifestError(f"{source}, field items: expected a list")
        kind = None
        if set(map(type, items)) <= {dict}:  # all dicts, as JSON gives them
            kind = _one_kind(items)
        else:
            for i, item in enumerate(items):
                if type(item) is not dict and not isinstance(item, Mapping):
                    raise InvalidManifestError(f"{source}, items[{i}]: expected an object")
        return list(zip(repeat(source), range(len(items)), items)), kind
    return [(source, -1, doc)], None


def _one_kind(items: list[dict[str, Any]]) -> str | None:
    """``Pod`` or ``Node`` when every object (a dict) has that ``kind`` (kubectl's output of
    one resource), else None: each object is then classified on its own."""
    kinds = list(map(dict.get, items, repeat("kind")))
    try:
        first = kinds[0] if kinds else None
        if first in ("Pod", "Node") and kinds.count(first) == len(kinds):
            return "Pod" if first == "Pod" else "Node"
    except Exception:  # a kind that cannot be compared (a NumPy array): each on its own
        pass
    return None


@contextmanager
def _gc_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector while millions of acyclic objects (decoded
    JSON, per-pod tuples) are created: each collection would walk all of them (126 MiB of
    kubectl JSON, 100,000 pods, decode in about 1.3 s paused, 4 s otherwise)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _load(src: Any, n: int) -> tuple[str, Any]:
    if isinstance(src, Mapping):
        return f"<object {n}>", src
    if not isinstance(src, (str, os.PathLike)):
        raise InvalidManifestError(
            f"snapshot source {n}: expected a path or a parsed kubectl object (a mapping), "
            f"got {type(src).__name__}"
        )
    path = Path(src)
    text = read_text(path)
    try:
        return str(path), json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidManifestError(
            f"{path}: malformed JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}"
        ) from None


def _quantities(
    values: list[Any],
    cpu: bool,
    where: str | Callable[[int], str],
    fields: str | list[str],
) -> list[int]:
    """Parse quantities in bulk (:func:`podcap.parse_quantities`: millicores [m] for cpu, base
    units otherwise); an invalid one is reported with its file, item (``where``, or
    ``where(i)`` for value ``i``) and field (one for all, or one per value)."""
    failed: list[int] = []

    def field_of(i: int) -> str:
        failed.append(i)
        return fields if isinstance(fields, str) else fields[i]

    try:
        return parse_quantities(values, milli=cpu, fields=field_of).tolist()  # type: ignore[no-any-return]
    except InvalidQuantityError as exc:
        at = where if isinstance(where, str) else where(failed[0])
        raise InvalidManifestError(f"{at}: {exc}") from None


def _requests_key(spec: Mapping[str, Any]) -> tuple[Any, ...]:
    """What decides a pod's requests, as written: each container's role and its requests and
    limits (as ``(name, value)`` items), then the overhead.  Pods with equal keys have equal
    requests, so each distinct key is parsed once.  A pod that is not plain mappings of
    values gets a key of its own, and is then read field by field (its errors named)."""
    parts: list[Any] = []
    try:
        init = spec.get("initContainers")
        if init:
            for c in init:
                role = "sidecar" if c.get("restartPolicy") == "Always" else "init"
                _add_resources(parts, role, c.get("resources"))
        for c in spec.get("containers") or ():
            _add_resources(parts, "app", c.get("resources"))
        overhead = spec.get("overhead")
        if overhead:
            parts += ("overhead", *overhead.items())
        key = tuple(parts)
        hash(key)
    except (AttributeError, TypeError):
        return ("unusual", id(spec))
    return key


def _add_resources(parts: list[Any], role: str, r: Any) -> None:
    """Append a container's part of a requests key: its role, then ``requests`` and
    ``limits`` with their ``(name, value)`` items (those given)."""
    if not r:
        parts.append(role)
        return
    req, lim = r.get("requests"), r.get("limits")
    if req:
        if lim:
            parts += (role, "requests", *req.items(), "limits", *lim.items())
        else:
            parts += (role, "requests", *req.items())
    elif lim:
        parts += (role, "limits", *lim.items())
    else:
        parts.append(role)


def _with_types(key: tuple[Any, ...]) -> tuple[Any, ...]:
    """A requests key with the type of each value (``True == 1`` as a dict key, and a
    boolean is no quantity)."""
    return (*key, *(type(x[1]) for x in key if type(x) is tuple))


def _only_text(keys: Iterable[tuple[Any, ...]]) -> bool:
    """Whether every quantity in these requests keys is a string (as kubectl prints them)."""
    return all(
        key[:1] == ("unusual",) or all(type(x) is not tuple or type(x[1]) is str for x in key)
        for key in keys
    )


def _pod_requests(where: str, spec: Mapping[str, Any]) -> tuple[int, ...]:
    """Effective pod requests as the scheduler sees them (requests, else limits), by the one
    rule of :func:`podcap.model.admission.pod_requests`: cpu [m], memory [B], ephemeral-storage
    [B], pod ENIs [count], and the scheduler's non-zero cpu [m] and memory [B] requests."""
    values: list[Any] = []
    fields: list[str] = []
    slots: list[tuple[int, str, str]] = []  # (container, src, resource name)
    specs: list[tuple[str, str]] = []  # (container name, role)

    def mapping(obj: Any, path: str) -> Mapping[Any, Any]:
        if not obj:
            return {}
        if not isinstance(obj, Mapping):
            raise InvalidManifestError(f"{where}: {path}: expected a mapping")
        return obj

    for kind in ("initContainers", "containers"):
        listed = spec.get(kind) or []
        if not isinstance(listed, list):
            raise InvalidManifestError(f"{where}: spec.{kind}: expected a list")
        for i, c in enumerate(listed):
            if not isinstance(c, Mapping):
                raise InvalidManifestError(f"{where}: spec.{kind}[{i}]: expected an object")
            role = (
                "app"
                if kind == "containers"
                else "sidecar"
                if c.get("restartPolicy") == "Always"
                else "init"
            )
            specs.append((str(c.get("name", "")), role))
            r = mapping(c.get("resources"), f"spec.{kind}[{i}].resources")
            for src in ("limits", "requests"):  # requests win; limits stand in when absent
                for name, q in mapping(r.get(src), f"spec.{kind}[{i}].resources.{src}").items():
                    slots.append((len(specs) - 1, src, str(name)))
                    values.append(q)
                    fields.append(f"spec.{kind}[{i}].resources.{src}.{name}")
    for name, q in mapping(spec.get("overhead"), "spec.overhead").items():
        slots.append((-1, "overhead", str(name)))
        values.append(q)
        fields.append(f"spec.overhead.{name}")
    amounts = [0] * len(values)
    for is_cpu in (True, False):
        idx = [k for k, (_, _, name) in enumerate(slots) if (name == "cpu") == is_cpu]
        parsed = _quantities([values[k] for k in idx], is_cpu, where, [fields[k] for k in idx])
        for k, amount in zip(idx, parsed, strict=True):
            amounts[k] = amount
    requests: list[dict[str, int]] = [{} for _ in specs]
    overhead: dict[str, int] = {}
    for (c, _src, name), amount in zip(slots, amounts, strict=True):
        (overhead if c < 0 else requests[c])[name] = amount  # requests after limits: they win
    containers = [
        Container(name, req, {}, role)  # type: ignore[arg-type]
        for (name, role), req in zip(specs, requests, strict=True)
    ]
    total = pod_requests(containers, overhead)
    nz_cpu, nz_mem = nonzero_requests(AdmittedPod(tuple(containers), total, {}, "", overhead))
    return (
        total.get("cpu", 0),
        total.get("memory", 0),
        total.get("ephemeral-storage", 0),
        total.get(POD_ENI, 0),
        nz_cpu,
        nz_mem,
    )


def read_snapshot(
    sources: Any, *, cni: VpcCni | None = None, table: pd.DataFrame | None = None
) -> Snapshot:
    """Read kubectl JSON (files or parsed objects): nodes, pods, LimitRanges, ResourceQuotas.

    Quantities are parsed in bulk, each distinct text once, and each distinct set of container
    resources once; a pod whose containers equal those of the last pod of its owner, and a
    node whose labels (but the hostname) equal another's, reuse what was read for it:
    10,000 nodes and 100,000 pods take about 0.4 s once decoded (decoding 126 MiB of JSON,
    and freeing it, takes Python's parser about 1.3 s more; ``benchmarks/bench_snapshot.py``).
    Python's garbage collector is paused while the objects are read.

    Parameters
    ----------
    sources : path, dict or list of those
        Output of ``kubectl get nodes -o json``, ``kubectl get pods -A -o json``,
        ``kubectl get limitranges,resourcequotas -A -o json`` (separate files or one List).
    cni : VpcCni, optional
        The cluster's VPC CNI settings (not visible in these objects); default ``VpcCni()``.
    table : pandas.DataFrame, optional
        The instance table of the cluster (see :class:`podcap.Cluster`); default the bundled one.

    Returns
    -------
    Snapshot

    Raises
    ------
    InvalidManifestError
        Malformed JSON, or a node / pod missing a field podcap needs; the message names the
        file, the item and the field.
    """
    with _gc_paused():  # the decoded files are freed (by reference counts) before it resumes
        snap = _read_snapshot(sources, cni, table)
    if snap.skipped:
        skipped = snap.skipped
        warnings.warn(
            f"snapshot: {len(skipped)} object(s) not used: {'; '.join(skipped[:20])}"
            + (" ..." if len(skipped) > 20 else ""),
            PodcapWarning,
            stacklevel=2,
        )
    return snap


def _read_snapshot(sources: Any, cni: VpcCni | None, table: pd.DataFrame | None) -> Snapshot:
    if isinstance(sources, (str, os.PathLike, Mapping)):
        sources = [sources]
    nodes: list[_Located] = []
    pods: list[_Located] = []
    manifests: list[dict[str, Any]] = []
    skipped: list[str] = []
    karpenter: list[tuple[int, Mapping[str, Any]]] = []
    for n, src in enumerate(sources):
        source, doc = _load(src, n)
        list_kind = doc.get("kind") if isinstance(doc, Mapping) and "items" in doc else None
        list_kind = list_kind if isinstance(list_kind, str) else None
        located_items, kind = _items(doc, source)
        if kind == "Pod":  # kubectl get pods -o json: every item a Pod
            pods.extend(located_items)
            continue
        if kind == "Node":
            nodes.extend(located_items)
            continue
        for located in located_items:
            item = located[2]
            kind = item.get("kind")  # as kubectl prints it; else from the List or the shape
            if type(kind) is not str or not kind:
                kind = object_kind(item, _where(located[0], located[1]), list_kind)
            if kind == "Pod":
                pods.append(located)
            elif kind == "Node":
                nodes.append(located)
            elif kind in ("LimitRange", "ResourceQuota", "PriorityClass"):
                manifests.append({"apiVersion": "v1", **item, "kind": kind})
            elif str(item.get("apiVersion", "")).startswith(
                ("karpenter.sh/", "karpenter.k8s.aws/")
            ):
                karpenter.append((located[1], {**item, "kind": kind}))
            else:
                name = _field(item, "metadata", "name", default="?")
                skipped.append(f"{kind} {name} ({_where(located[0], located[1])})")
    if not nodes:
        raise InvalidManifestError("the snapshot has no Node objects (kubectl get nodes -o json)")
    node_groups, node_set, table, notes = _node_groups(nodes, cni, table)
    skipped.extend(notes)
    existing = _existing(pods, node_set, skipped)
    return Snapshot(Cluster(node_groups, table=table), existing, manifests, skipped, karpenter)


def _node_groups(
    nodes: list[_Located], cni: VpcCni | None, table: pd.DataFrame | None
) -> tuple[list[NodeGroup], set[str], pd.DataFrame | None, list[str]]:
    """One node group per set of identical nodes (type, zone, allocatable, taints, labels,
    cordon, pod ENIs), with the nodes' names; and the set of node names."""
    seen: list[tuple[Any, ...]] = []  # per node: name, type, zone, taints, labels, cordon, ENIs
    unlabelled: list[str] = []
    unzoned: list[str] = []
    dropped: set[str] = set()
    extended_raw: list[tuple[tuple[str, Any], ...]] = []
    raw: dict[str, list[Any]] = {"cpu": [], "memory": [], "pods": []}
    ephemeral: list[tuple[int, Any]] = []
    # what a node's labels give (instance type, zone, other labels), per distinct set of
    # labels but the hostname: a node group's nodes share them
    by_labels: dict[tuple[Any, ...], tuple[str | None, str | None, tuple[tuple[str, str], ...]]]
    by_labels = {}
    for k, (source, index, node) in enumerate(nodes):
        try:
            meta = node.get("metadata") or {}
            name = meta.get("name")
            if not name:
                raise InvalidManifestError(f"{_where(source, index)}: missing field metadata.name")
            raw_labels = meta.get("labels") or {}
            if type(raw_labels) is dict:
                shared = raw_labels.copy()
                shared.pop("kubernetes.io/hostname", None)
                labels_key = tuple(shared.items())
                try:
                    derived = by_labels.get(labels_key)
                    hashable = True
                except TypeError:  # a value that cannot be hashed (a list)
                    derived, hashable = None, False
                if derived is None:
                    derived = _from_labels(raw_labels)
                    if hashable and _only_strings(labels_key):
                        by_labels[labels_key] = derived  # equal text: the same labels
            else:
                derived = _from_labels(raw_labels)
            itype, zone, extra = derived
            if not itype:
                # no instance-type label (not a cloud node, or a stripped export): the node's
                # own capacity and allocatable are used, under a type named for them
                itype = UNLABELLED_TYPE
                unlabelled.append(str(name))
            alloc_raw = (node.get("status") or {}).get("allocatable")
            if (
                not isinstance(alloc_raw, Mapping)
                or "cpu" not in alloc_raw
                or "memory" not in alloc_raw
            ):
                raise InvalidManifestError(
                    f"{_where(source, index)} (node {name}): missing field status.allocatable "
                    "(cpu, memory, pods)"
                )
            if alloc_raw.keys() <= _PLAIN_ALLOCATABLE:
                extended_raw.append(())
            else:
                ext = []
                for key, value in alloc_raw.items():
                    key = str(key)
                    if key in _PLAIN_ALLOCATABLE:
                        continue
                    if "/" in key or key.startswith("hugepages-"):
                        ext.append((key, value))
                    elif str(value).strip() not in ("0", ""):
                        dropped.add(f"{key} (node {name})")
                extended_raw.append(tuple(sorted(ext)))
            raw["cpu"].append(alloc_raw["cpu"])
            raw["memory"].append(alloc_raw["memory"])
            raw["pods"].append(alloc_raw.get("pods", 110))
            if "ephemeral-storage" in alloc_raw:
                ephemeral.append((k, alloc_raw["ephemeral-storage"]))
            elif itype == UNLABELLED_TYPE:
                raise InvalidManifestError(
                    f"{_where(source, index)} (node {name}): a node without the "
                    'metadata.labels["node.kubernetes.io/instance-type"] label is read from its '
                    "status.allocatable, which must then give cpu, memory, pods and "
                    "ephemeral-storage"
                )
            spec = node.get("spec") or {}
            taints = []
            for i, t in enumerate(spec.get("taints") or []):
                try:
                    taints.append(
                        Taint.parse(t, where=f"{_where(source, index)}, spec.taints[{i}]")
                    )
                except PodcapError as exc:
                    raise InvalidManifestError(str(exc)) from None
            if not zone:
                unzoned.append(str(name))
            seen.append(
                (
                    str(name),
                    itype,
                    zone,
                    tuple(taints),
                    extra,
                    bool(spec.get("unschedulable", False)),
                    None if POD_ENI not in alloc_raw else str(alloc_raw[POD_ENI]),
                )
            )
        except (AttributeError, TypeError):  # a field that is not what kubectl prints
            raise InvalidManifestError(
                f"{_where(source, index)} (node {_text(_field(node, 'metadata', 'name'))}): "
                "expected a Node object as kubectl prints it (metadata, labels, spec and "
                "status.allocatable objects)"
            ) from None

    def node_where(k: int) -> str:
        source, index, node = nodes[k]
        return f"{_where(source, index)} (node {_text(_field(node, 'metadata', 'name'))})"

    alloc = {
        key: _quantities(values, key == "cpu", node_where, f"status.allocatable.{key}")
        for key, values in raw.items()
    }
    eph = _quantities(
        [v for _, v in ephemeral],
        False,
        lambda j: node_where(ephemeral[j][0]),
        "status.allocatable.ephemeral-storage",
    )
    eph_of = {k: amount for (k, _), amount in zip(ephemeral, eph, strict=True)}
    extended_of: list[tuple[tuple[str, int], ...]] = []
    for k, pairs in enumerate(extended_raw):
        if not pairs:  # most nodes
            extended_of.append(())
            continue
        ext_amounts = _quantities(
            [v for _, v in pairs],
            False,
            _node_at(node_where, k),
            "status.allocatable (extended resources)",
        )
        extended_of.append(
            tuple((key, int(a)) for (key, _), a in zip(pairs, ext_amounts, strict=True))
        )
    groups: dict[tuple[Any, ...], list[str]] = {}
    signature_of: dict[tuple[Any, ...], dict[str, Any]] = {}
    cpus, memories, slots = alloc["cpu"], alloc["memory"], alloc["pods"]
    for k, (name, itype, zone, taints, extra, unschedulable, pod_eni) in enumerate(seen):
        key = (
            extended_of[k],
            itype,
            zone,
            cpus[k],
            memories[k],
            slots[k],
            eph_of.get(k),
            tuple(str(t) for t in taints) if taints else (),
            extra,
            unschedulable,
            pod_eni,
        )
        names = groups.get(key)
        if names is None:
            amounts = {"cpu": cpus[k], "memory": memories[k], "pods": slots[k]}
            if k in eph_of:
                amounts["ephemeral-storage"] = eph_of[k]
            groups[key] = names = []
            signature_of[key] = {
                "instance_type": itype,
                "zone": zone,
                "alloc": amounts,
                "taints": taints,
                "labels": dict(extra),
                "unschedulable": unschedulable,
                "extended": dict(extended_of[k]),
            }
        names.append(name)
    if unlabelled:
        warnings.warn(
            f"snapshot: node(s) {', '.join(unlabelled[:5])}{' ...' if len(unlabelled) > 5 else ''}"
            " have no node.kubernetes.io/instance-type label: their reported allocatable is "
            f"used, as instance type {UNLABELLED_TYPE!r}, with no pod-IP limit (the ENIs of "
            "their type are unknown)",
            PodcapWarning,
            stacklevel=4,
        )
        table = with_unlisted_type(
            table,
            UNLABELLED_TYPE,
            max(int(p) for p in alloc["pods"]) if len(alloc["pods"]) else 110,
        )
    notes = []
    if unzoned:
        notes.append(
            f"zone unknown for node(s) {', '.join(unzoned[:5])}"
            f"{' ...' if len(unzoned) > 5 else ''}: no topology.kubernetes.io/zone label"
        )
    if dropped:
        notes.append("allocatable resources not modelled: " + ", ".join(sorted(dropped)[:10]))
    checked: set[str] = set()  # each instance type once, named with its first group's nodes
    for key, names in groups.items():
        itype = signature_of[key]["instance_type"]
        if itype in checked:
            continue
        try:
            check_instance_type(itype, table)
        except PodcapError as exc:
            raise InvalidManifestError(f"nodes {', '.join(names[:3])}: {exc}") from None
        checked.add(itype)
    if cni is None:
        ip_capacity: dict[str, Any] = {}
        for itype in checked:
            ip_capacity[itype] = pod_ip_capacity(itype, table=table)
        hint = sorted(
            {
                sig["instance_type"]
                for sig in signature_of.values()
                if sig["alloc"]["pods"] > ip_capacity[sig["instance_type"]] + 2
            }
        )
        if hint:
            warnings.warn(
                f"snapshot: nodes of type(s) {', '.join(hint)} allow more pods than their secondary "
                "IPs give; the cluster probably runs prefix delegation: pass "
                "cni=VpcCni(prefix_delegation=True) (command line: --aws-node-env "
                "ENABLE_PREFIX_DELEGATION=true)",
                PodcapWarning,
                stacklevel=5,  # _node_groups, _read_snapshot, read_snapshot, its caller
            )
    node_groups = []
    group_names = _group_names([signature_of[key] for key in groups])
    for k, (key, names) in enumerate(groups.items()):
        sig = signature_of[key]
        try:
            node_groups.append(
                NodeGroup(
                    group_names[k],
                    sig["instance_type"],
                    len(names),
                    zones=None if sig["zone"] is None else (sig["zone"],),
                    extended_resources=sig["extended"] or None,
                    overhead="none",
                    cni=cni,
                    labels=sig["labels"],
                    taints=sig["taints"],
                    unschedulable=sig["unschedulable"],
                    allocatable=sig["alloc"],
                    node_names=tuple(names),
                )
            )
        except PodcapError as exc:
            raise InvalidManifestError(f"nodes {', '.join(names[:3])}: {exc}") from None
    return node_groups, {n for names in groups.values() for n in names}, table, notes


def _from_labels(
    raw_labels: Any,
) -> tuple[str | None, str | None, tuple[tuple[str, str], ...]]:
    """A node's instance type and zone (None or empty when not labelled) and its other labels
    (sorted ``(key, value)`` text pairs, without :data:`_OWN_LABELS`)."""
    labels = {str(key): str(v) for key, v in raw_labels.items()}
    itype = labels.get("node.kubernetes.io/instance-type") or labels.get(
        "beta.kubernetes.io/instance-type"
    )
    zone = labels.get("topology.kubernetes.io/zone") or labels.get(
        "failure-domain.beta.kubernetes.io/zone"
    )
    extra = tuple(sorted((key, v) for key, v in labels.items() if key not in _OWN_LABELS))
    return itype, zone, extra


def _only_strings(pairs: tuple[tuple[Any, Any], ...]) -> bool:
    """Whether these ``(key, value)`` pairs are all text (then equal pairs are the same
    labels; ``1 == True`` but ``str(1) != str(True)``, and a list cannot be hashed)."""
    return all(type(key) is str and type(value) is str for key, value in pairs)


def _node_at(node_where: Callable[[int], str], k: int) -> Callable[[int], str]:
    """Where node ``k`` is, whatever the index of the value asked about."""
    return lambda _j: node_where(k)


def _group_names(signatures: list[dict[str, Any]]) -> list[str]:
    """A name per group of identical nodes: the node-group label's value (:data:`GROUP_LABELS`),
    else the instance type and zone; ``-2``, ``-3`` ... where several groups share one."""
    bases = []
    for sig in signatures:
        labels = sig["labels"]
        base = next((labels[k] for k in GROUP_LABELS if labels.get(k)), None)
        if base is None:
            base = f"{sig['instance_type']}-{sig['zone'] or 'no-zone'}"
        clean = re.sub(r"[^a-z0-9.-]+", "-", str(base).lower()).strip("-.") or "nodes"
        bases.append(clean)
    counts: dict[str, int] = {}
    out = []
    for base in bases:
        counts[base] = counts.get(base, 0) + 1
        out.append(base if counts[base] == 1 else f"{base}-{counts[base]}")
    if len(set(out)) != len(out):  # a label value that already ends in -N
        out = [f"{name}-g{i}" for i, name in enumerate(out)]
    return out


def _existing(
    pods: list[_Located], node_set: set[str], skipped: list[str], typed: bool = False
) -> pd.DataFrame:
    """Pods bound to the snapshot's nodes, one row per node, owner and requests (columns
    :data:`EXISTING_COLUMNS`, rows in the order their first pod comes); finished, unbound and
    stray pods are named in ``skipped``.

    One pass over the pods numbers each pod's node and shape (owner, host network, and a
    hashable key of what decides its requests); a pod whose containers, init containers and
    overhead equal (``is True``) those of the last pod of its owner takes that pod's shape with
    no key built (the pods of a ReplicaSet or DaemonSet).  Each distinct requests key is then
    parsed once, its quantities in bulk, and the pods are counted per node and shape with
    numpy.  Quantities that are not all text (``1`` and ``true`` are equal dictionary keys)
    make a second pass with typed keys and no reuse.
    """
    node_index = {name: i for i, name in enumerate(node_set)}
    at: list[int] = []  # per pod used: its node's number
    shape_of: list[int] = []  # per pod used: its shape's number
    shape_ids: dict[tuple[Any, ...], int] = {}  # (namespace, kind, owner, host, key)
    first_of_shape: list[int] = []  # per shape, the first pod that has it
    # per owner (namespace, kind, name, host network): its last pod's containers, init
    # containers and overhead, and their shape's number
    last_of: dict[tuple[str, str, str, bool], tuple[Any, Any, Any, int]] = {}
    not_used: list[str] = []
    add_at, add_shape, finished = at.append, shape_of.append, _FINISHED
    for k, (_, _, pod) in enumerate(pods):
        try:
            try:  # a pod as kubectl prints it
                meta = pod["metadata"]
                spec = pod["spec"]
                bound_to = spec["nodeName"]
                phase = pod["status"]["phase"]
                owner = meta["ownerReferences"][0]
                namespace = meta["namespace"]
                owner_kind = owner["kind"]
                owner_name = owner["name"]
            except (KeyError, IndexError, TypeError):  # fields left out: their defaults
                meta, spec, bound_to, phase, namespace, owner_kind, owner_name = _pod_fields(pod)
            node = None if phase in finished else node_index.get(bound_to)
            if node is None:
                not_used.append(_skip(pod))
                continue
            if type(namespace) is not str or type(owner_kind) is not str:
                raise TypeError
            if type(owner_name) is not str:
                raise TypeError
            host = "hostNetwork" in spec and bool(spec["hostNetwork"])
            if not typed:
                # the last pod of the same owner (and host network) before it, if its
                # containers, init containers and overhead are equal: the same requests
                owned = (namespace, owner_kind, owner_name, host)
                parts = (spec.get("containers"), spec.get("initContainers"), spec.get("overhead"))
                last = last_of.get(owned)
                if last is not None:
                    try:  # True itself, not an object's own idea of equality (NumPy's)
                        equal = (
                            (parts[0] == last[0]) is True
                            and (parts[1] == last[1]) is True
                            and (parts[2] == last[2]) is True
                        )
                    except Exception:  # not comparable (nested deeper than Python compares)
                        equal = False
                    if equal:
                        add_at(node)
                        add_shape(last[3])
                        continue
                shape = (namespace, owner_kind, owner_name, host, _requests_key(spec))
            else:
                shape = (namespace, owner_kind, owner_name, host, _with_types(_requests_key(spec)))
            sid = shape_ids.get(shape)
            if sid is None:
                sid = shape_ids[shape] = len(first_of_shape)
                first_of_shape.append(k)
            if not typed:
                last_of[owned] = (*parts, sid)
            add_at(node)
            add_shape(sid)
        except (AttributeError, TypeError, KeyError, IndexError):
            raise InvalidManifestError(
                f"{_pod_where(pods[k])}: expected a Pod object (metadata, spec, status as "
                "kubectl prints them: objects, names and namespace strings, ownerReferences a "
                "list of objects)"
            ) from None
    if not typed and not _only_text(shape[4] for shape in shape_ids):
        return _existing(pods, node_set, skipped, typed=True)  # numbers as quantities: typed keys
    skipped.extend(not_used)
    # each distinct requests key, numbered in the order of its first pod
    key_ids: dict[tuple[Any, ...], int] = {}
    first: list[int] = []  # per distinct requests key, the first pod that has it
    rid_of_shape: list[int] = []
    for shape, sid in shape_ids.items():
        rid = key_ids.get(shape[4])
        if rid is None:
            rid = key_ids[shape[4]] = len(first)
            first.append(first_of_shape[sid])
        rid_of_shape.append(rid)
    requests = [_pod_requests(_pod_where(pods[k]), pods[k][2].get("spec") or {}) for k in first]
    if not at:
        return pd.DataFrame([], columns=list(EXISTING_COLUMNS))
    # keys spelt differently ("1", "1000m") with the same requests make one shape
    canonical: dict[tuple[int, ...], int] = {}
    same = [canonical.setdefault(req, rid) for rid, req in enumerate(requests)]
    merged: dict[tuple[Any, ...], int] = {}
    merged_of = np.array(
        [
            merged.setdefault((ns, kind, owner, same[rid], host), len(merged))
            for (ns, kind, owner, host, _), rid in zip(shape_ids, rid_of_shape, strict=True)
        ],
        dtype=np.int64,
    )
    # one row per (node, shape), in the order of its first pod, with its number of pods
    combined = np.array(at, dtype=np.int64) * len(merged) + merged_of[np.array(shape_of)]
    uniques, first_pod, counts = np.unique(combined, return_index=True, return_counts=True)
    order = np.argsort(first_pod, kind="stable")
    row_node, row_shape = np.divmod(uniques[order], len(merged))
    shapes = list(merged)

    def strings(values: list[str], rows: Any) -> pd.Series:
        # each distinct string once, as pandas stores strings, then taken per row
        return pd.Series(values).take(rows).reset_index(drop=True)

    amounts = np.array(requests, dtype=np.int64).reshape(-1, 6)[
        np.array([s[3] for s in shapes], dtype=np.int64)[row_shape]
    ]
    columns: dict[str, Any] = {
        "node": strings(list(node_index), row_node),
        "namespace": strings([s[0] for s in shapes], row_shape),
        "owner_kind": strings([s[1] for s in shapes], row_shape),
        "owner": strings([s[2] for s in shapes], row_shape),
        "pods": counts[order],
    }
    for i, name in enumerate(EXISTING_COLUMNS[5:11]):
        columns[name] = amounts[:, i]
    columns["host_network"] = np.array([s[4] for s in shapes], dtype=bool)[row_shape]
    return pd.DataFrame(columns)


def _pod_where(located: _Located) -> str:
    source, index, pod = located
    return f"{_where(source, index)} (pod {_pod_name(pod)})"


def _pod_name(pod: Mapping[str, Any]) -> str:
    namespace = _field(pod, "metadata", "namespace", default="default")
    return f"{_text(namespace)}/{_text(_field(pod, 'metadata', 'name', default='?'))}"


def _text(value: Any) -> str:
    return value if isinstance(value, str) else short_repr(value, 60)


def _pod_fields(pod: Mapping[str, Any]) -> tuple[Any, ...]:
    """metadata, spec, spec.nodeName, status.phase, namespace, owner kind and name of a pod
    that leaves some out (namespace ``default``; no owner: the pod itself)."""
    meta = pod.get("metadata") or {}
    spec = pod.get("spec") or {}
    owners = meta.get("ownerReferences")
    owner = owners[0] if owners else {}
    return (
        meta,
        spec,
        spec.get("nodeName"),
        (pod.get("status") or {}).get("phase"),
        meta.get("namespace", "default"),
        owner.get("kind", "Pod"),
        owner["name"] if "name" in owner else meta.get("name", "?"),
    )


def _skip(pod: Mapping[str, Any]) -> str:
    """Why a pod is not used."""
    name = _pod_name(pod)
    phase = _field(pod, "status", "phase")
    bound_to = _field(pod, "spec", "nodeName")
    if phase in ("Succeeded", "Failed"):
        return f"Pod {name} ({phase}, holds no resources)"
    if not bound_to:
        return f"Pod {name} (not bound to a node; not simulated)"
    return f"Pod {name} (on node {bound_to}, which is not in the snapshot)"
