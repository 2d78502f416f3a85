"""Read ``kubectl get ... -o json`` snapshots: nodes with their real allocatable, the pods
already running, LimitRanges and ResourceQuotas (an edge: no model logic here).

A new rollout is then simulated on top of that load::

    snap = podcap.read_snapshot(["nodes.json", "pods.json", "policies.json"])
    podcap.simulate(snap.cluster, ["app.yaml", *snap.manifests], existing=snap.existing)
"""

from __future__ import annotations

import json
import os
import warnings
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from podcap.errors import InvalidManifestError, InvalidQuantityError, PodcapError, PodcapWarning
from podcap.io.manifests import read_text
from podcap.model.admission import AdmittedPod, nonzero_requests, pod_requests
from podcap.model.capacity import pod_ip_capacity
from podcap.model.fleet import POD_ENI
from podcap.model.instances import check_instance_type
from podcap.model.quantity import parse_cpu, parse_memory
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
    """

    cluster: Cluster
    existing: pd.DataFrame
    manifests: list[dict[str, Any]] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


def _items(doc: Any, source: str) -> Iterable[tuple[str, Mapping[str, Any]]]:
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
        for i, item in enumerate(items):
            if not isinstance(item, Mapping):
                raise InvalidManifestError(f"{source}, items[{i}]: expected an object")
            yield f"{source}, items[{i}]", item
    else:
        yield source, doc


def _load(src: Any, n: int) -> tuple[str, Any]:
    if isinstance(src, Mapping):
        return f"<object {n}>", src
    path = Path(src)
    text = read_text(path)
    try:
        return str(path), json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidManifestError(
            f"{path}: malformed JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}"
        ) from None


def _quantity(where: str, field_path: str, value: Any, cpu: bool) -> int:
    try:
        return parse_cpu(value, field=field_path) if cpu else parse_memory(value, field=field_path)
    except InvalidQuantityError as exc:
        raise InvalidManifestError(f"{where}: {exc}") from None


def _pod_requests(where: str, spec: Mapping[str, Any]) -> dict[str, int]:
    """Effective pod requests as the scheduler sees them (requests, else limits), and the
    scheduler's non-zero cpu / memory requests under ``_nz_cpu`` / ``_nz_mem``: both by the one
    rule of :func:`podcap.model.admission.pod_requests`."""

    def container(c: Mapping[str, Any], i: int, kind: str, role: str) -> Container:
        r = c.get("resources") or {}
        requests: dict[str, int] = {}
        for src in ("limits", "requests"):  # requests win; limits stand in when absent
            for name, q in (r.get(src) or {}).items():
                requests[name] = _quantity(
                    where, f"spec.{kind}[{i}].resources.{src}.{name}", q, name == "cpu"
                )
        return Container(str(c.get("name", "")), requests, {}, role)  # type: ignore[arg-type]

    containers = [
        container(
            c, i, "initContainers", "sidecar" if c.get("restartPolicy") == "Always" else "init"
        )
        for i, c in enumerate(spec.get("initContainers") or [])
    ] + [container(c, i, "containers", "app") for i, c in enumerate(spec.get("containers") or [])]
    overhead = {
        k: _quantity(where, f"spec.overhead.{k}", q, k == "cpu")
        for k, q in (spec.get("overhead") or {}).items()
    }
    total = pod_requests(containers, overhead)
    nz_cpu, nz_mem = nonzero_requests(AdmittedPod(tuple(containers), total, {}, "", overhead))
    total["_nz_cpu"] = nz_cpu
    total["_nz_mem"] = nz_mem
    return total


def read_snapshot(
    sources: Any, *, cni: VpcCni | None = None, table: pd.DataFrame | None = None
) -> Snapshot:
    """Read kubectl JSON (files or parsed objects): nodes, pods, LimitRanges, ResourceQuotas.

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
    if isinstance(sources, (str, os.PathLike, Mapping)):
        sources = [sources]
    nodes: list[tuple[str, Mapping[str, Any]]] = []
    pods: list[tuple[str, Mapping[str, Any]]] = []
    manifests: list[dict[str, Any]] = []
    skipped: list[str] = []
    for n, src in enumerate(sources):
        source, doc = _load(src, n)
        for where, item in _items(doc, source):
            kind = item.get("kind")
            if kind == "Node":
                nodes.append((where, item))
            elif kind == "Pod":
                pods.append((where, item))
            elif kind in ("LimitRange", "ResourceQuota", "PriorityClass"):
                manifests.append(dict(item))
            else:
                name = (item.get("metadata") or {}).get("name", "?")
                skipped.append(f"{kind} {name} ({where})")
    if not nodes:
        raise InvalidManifestError("the snapshot has no Node objects (kubectl get nodes -o json)")
    groups: dict[tuple[Any, ...], list[str]] = {}
    signature_of: dict[tuple[Any, ...], dict[str, Any]] = {}
    for where, node in nodes:
        meta = node.get("metadata") or {}
        name = meta.get("name")
        if not name:
            raise InvalidManifestError(f"{where}: missing field metadata.name")
        labels = {str(k): str(v) for k, v in (meta.get("labels") or {}).items()}
        itype = labels.get("node.kubernetes.io/instance-type") or labels.get(
            "beta.kubernetes.io/instance-type"
        )
        if not itype:
            raise InvalidManifestError(
                f'{where} (node {name}): missing field metadata.labels["node.kubernetes.io/instance-type"]'
            )
        alloc_raw = (node.get("status") or {}).get("allocatable")
        if (
            not isinstance(alloc_raw, Mapping)
            or "cpu" not in alloc_raw
            or "memory" not in alloc_raw
        ):
            raise InvalidManifestError(
                f"{where} (node {name}): missing field status.allocatable (cpu, memory, pods)"
            )
        alloc = {
            "cpu": _quantity(where, "status.allocatable.cpu", alloc_raw["cpu"], True),
            "memory": _quantity(where, "status.allocatable.memory", alloc_raw["memory"], False),
            "pods": _quantity(where, "status.allocatable.pods", alloc_raw.get("pods", 110), False),
        }
        if "ephemeral-storage" in alloc_raw:
            alloc["ephemeral-storage"] = _quantity(
                where, "status.allocatable.ephemeral-storage", alloc_raw["ephemeral-storage"], False
            )
        taints = []
        for i, t in enumerate((node.get("spec") or {}).get("taints") or []):
            try:
                taints.append(Taint.parse(t, where=f"{where}, spec.taints[{i}]"))
            except PodcapError as exc:
                raise InvalidManifestError(str(exc)) from None
        zone = (
            labels.get("topology.kubernetes.io/zone")
            or labels.get("failure-domain.beta.kubernetes.io/zone")
            or "zone-a"
        )
        extra = tuple(sorted((k, v) for k, v in labels.items() if k not in _OWN_LABELS))
        pod_eni = alloc_raw.get(POD_ENI)
        key = (
            itype,
            zone,
            tuple(sorted(alloc.items())),
            tuple(str(t) for t in taints),
            extra,
            bool((node.get("spec") or {}).get("unschedulable", False)),
            pod_eni,
        )
        groups.setdefault(key, []).append(str(name))
        signature_of[key] = {
            "instance_type": itype,
            "zone": zone,
            "alloc": alloc,
            "taints": tuple(taints),
            "labels": dict(extra),
            "unschedulable": key[5],
        }
    for key, names in groups.items():
        try:
            check_instance_type(signature_of[key]["instance_type"], table)
        except PodcapError as exc:
            raise InvalidManifestError(f"nodes {', '.join(names[:3])}: {exc}") from None
    if cni is None:
        hint = sorted(
            {
                sig["instance_type"]
                for sig in signature_of.values()
                if sig["alloc"]["pods"] > pod_ip_capacity(sig["instance_type"], table=table) + 2
            }
        )
        if hint:
            warnings.warn(
                f"snapshot: nodes of type(s) {', '.join(hint)} allow more pods than their secondary "
                "IPs give; the cluster probably runs prefix delegation: pass "
                "cni=VpcCni(prefix_delegation=True) (command line: --aws-node-env "
                "ENABLE_PREFIX_DELEGATION=true)",
                PodcapWarning,
                stacklevel=2,
            )
    node_groups = []
    for k, (key, names) in enumerate(groups.items()):
        sig = signature_of[key]
        try:
            check_instance_type(sig["instance_type"], table)
            node_groups.append(
                NodeGroup(
                    f"snapshot-{k}",
                    sig["instance_type"],
                    len(names),
                    zones=(sig["zone"],),
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
    node_set = {n for names in groups.values() for n in names}
    rows: dict[tuple[Any, ...], int] = {}
    for where, pod in pods:
        meta = pod.get("metadata") or {}
        spec = pod.get("spec") or {}
        status = pod.get("status") or {}
        name = f"{meta.get('namespace', 'default')}/{meta.get('name', '?')}"
        phase = status.get("phase")
        bound_to = spec.get("nodeName")
        if phase in ("Succeeded", "Failed"):
            skipped.append(f"Pod {name} ({phase}, holds no resources)")
            continue
        if not bound_to:
            skipped.append(f"Pod {name} (not bound to a node; not simulated)")
            continue
        if bound_to not in node_set:
            skipped.append(f"Pod {name} (on node {bound_to}, which is not in the snapshot)")
            continue
        req = _pod_requests(f"{where} (pod {name})", spec)
        owners = meta.get("ownerReferences") or [{}]
        owner = owners[0]
        pkey = (
            bound_to,
            meta.get("namespace", "default"),
            owner.get("kind", "Pod"),
            owner.get("name", meta.get("name", "?")),
            req.get("cpu", 0),
            req.get("memory", 0),
            req.get("ephemeral-storage", 0),
            req.get(POD_ENI, 0),
            req["_nz_cpu"],
            req["_nz_mem"],
            bool(spec.get("hostNetwork", False)),
        )
        rows[pkey] = rows.get(pkey, 0) + 1
    existing = pd.DataFrame(
        [
            {
                "node": k[0],
                "namespace": k[1],
                "owner_kind": k[2],
                "owner": k[3],
                "pods": v,
                "cpu_millicores": k[4],
                "memory_bytes": k[5],
                "ephemeral_storage_bytes": k[6],
                "pod_eni": k[7],
                "nonzero_cpu_millicores": k[8],
                "nonzero_memory_bytes": k[9],
                "host_network": k[10],
            }
            for k, v in rows.items()
        ],
        columns=list(EXISTING_COLUMNS),
    )
    if skipped:
        warnings.warn(
            f"snapshot: {len(skipped)} object(s) not used: {'; '.join(skipped[:20])}"
            + (" ..." if len(skipped) > 20 else ""),
            PodcapWarning,
            stacklevel=2,
        )
    return Snapshot(Cluster(node_groups, table=table), existing, manifests, skipped)
