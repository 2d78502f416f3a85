"""Hypothesis strategies for podcap's inputs: manifests, cluster files and spec objects, valid or
made hostile.

For podcap's own property tests and for yours::

    from hypothesis import given

    import podcap
    from podcap import testing

    @given(cluster=testing.clusters(), text=testing.manifests())
    def test_every_replica_is_accounted_for(cluster, text):
        result = podcap.simulate(cluster, text)
        ...

What the valid strategies draw is accepted by podcap and would be by the Kubernetes API server
(label keys and values, selectors that match their template, tolerations, topology spread
constraints, priority classes); :func:`mutated` (and :func:`mutate`, its seeded counterpart for
scripts) replaces fields with hostile values, which podcap must answer with a result or a
:class:`~podcap.PodcapError`.

Importing this module imports Hypothesis (``pip install hypothesis``, part of podcap's ``test``
extra); ``import podcap`` does not.
"""

from __future__ import annotations

import contextlib
import copy
import random
from collections.abc import Iterator, Sequence
from typing import Any, TypeVar, cast

import yaml

try:
    from hypothesis import strategies as st
except ImportError as exc:  # pragma: no cover - depends on the environment
    raise ImportError(
        "podcap.testing needs Hypothesis: pip install hypothesis (or podcap[test])"
    ) from exc

from podcap.model.specs import EFFECTS, Cluster, NodeGroup, Toleration
from podcap.model.workloads import (
    Container,
    LabelSelector,
    PodTemplate,
    SpreadConstraint,
    Workload,
)

__all__ = [
    "HOSTILE_CLUSTER_VALUES",
    "HOSTILE_VALUES",
    "INSTANCE_TYPES",
    "WORKLOAD_KINDS",
    "ZONES",
    "cluster_documents",
    "cluster_files",
    "clusters",
    "label_keys",
    "label_values",
    "manifest_documents",
    "manifests",
    "mutate",
    "mutated",
    "node_groups",
    "workloads",
]

T = TypeVar("T")

#: Instance types the strategies draw from (all in the bundled table).
INSTANCE_TYPES = ("t3.medium", "m5.large", "c5.xlarge", "r5.large", "m5.2xlarge")
#: Zones the strategies draw from.
ZONES = ("us-east-1a", "us-east-1b", "us-east-1c")
#: Workload kinds :func:`manifest_documents` and :func:`workloads` draw from.
WORKLOAD_KINDS = ("Deployment", "StatefulSet", "DaemonSet", "Job", "Pod")
#: Values of the wrong type or out of range that :func:`mutated` and :func:`mutate` put into
#: otherwise valid documents.
HOSTILE_VALUES: tuple[Any, ...] = (
    None, True, 0, -1, 2**40, 2**70, 1.5, float("nan"), "", "x", "-1", "1e400", [], [1], {},
    {"a": 1}, "=", "Gt",
)  # fmt: skip
#: :data:`HOSTILE_VALUES` and values hostile to cluster files (a bad CIDR, an unknown zone,
#: duplicate zones).
HOSTILE_CLUSTER_VALUES: tuple[Any, ...] = (*HOSTILE_VALUES, "10.0.0.0/33", "us-east-1z", ["a", "a"])

_NAME = r"[A-Za-z0-9]([-A-Za-z0-9_.]{0,14}[A-Za-z0-9])?"
_PREFIX = r"[a-z0-9]([-a-z0-9]{0,6}[a-z0-9])?(\.[a-z0-9]([-a-z0-9]{0,6}[a-z0-9])?){0,2}"
_ZONE_KEY = "topology.kubernetes.io/zone"
_HOST_KEY = "kubernetes.io/hostname"
# taint keys and values shared by node groups and tolerations, so that some tolerations match
_TAINT_KEYS = ("dedicated", "example.com/gpu")
_TAINT_VALUES = ("", "infra", "true")
_PRIORITY_CLASSES = ({"name": "low", "value": -10}, {"name": "high", "value": 1000})


# ---- labels ----------------------------------------------------------------------------------


def label_keys() -> st.SearchStrategy[str]:
    """Valid label keys: a name of 1 to 16 characters, with or without a DNS-subdomain prefix
    (``app``, ``example.com/tier``).

    Returns
    -------
    hypothesis.strategies.SearchStrategy of str
    """
    name = st.from_regex(_NAME, fullmatch=True)
    prefixed = st.tuples(st.from_regex(_PREFIX, fullmatch=True), name).map("/".join)
    return st.one_of(name, prefixed)


def label_values() -> st.SearchStrategy[str]:
    """Valid label values: empty, or 1 to 16 characters of the label alphabet.

    Returns
    -------
    hypothesis.strategies.SearchStrategy of str
    """
    return st.one_of(st.just(""), st.from_regex(_NAME, fullmatch=True))


def _labels(max_size: int = 2) -> st.SearchStrategy[dict[str, str]]:
    return st.dictionaries(label_keys(), label_values(), max_size=max_size)


def _taint_key() -> st.SearchStrategy[str]:
    return st.one_of(st.sampled_from(_TAINT_KEYS), label_keys())


def _taint_value() -> st.SearchStrategy[str]:
    return st.one_of(st.sampled_from(_TAINT_VALUES), label_values())


@st.composite
def _taint(draw: st.DrawFn) -> str:
    key = draw(_taint_key())
    value = draw(_taint_value())
    effect = draw(st.sampled_from(EFFECTS))
    return f"{key}={value}:{effect}" if value else f"{key}:{effect}"


def _taints() -> st.SearchStrategy[list[str]]:
    # the API server keeps one taint per key and effect ("key[=value]:Effect")
    return st.lists(
        _taint(),
        max_size=2,
        unique_by=lambda t: (t.split("=")[0].split(":")[0], t.rsplit(":", 1)[1]),
    )


# ---- spec objects ----------------------------------------------------------------------------


@st.composite
def node_groups(
    draw: st.DrawFn,
    *,
    name: str | None = None,
    instance_types: Sequence[str] = INSTANCE_TYPES,
    max_count: int = 4,
) -> NodeGroup:
    """Node groups: an instance type, 0 to ``max_count`` nodes over 1 to 3 zones, and sometimes
    labels, taints, a maxPods, extended resources or cordoned nodes.

    Parameters
    ----------
    name : str, optional
        The group's name (default: drawn).
    instance_types : sequence of str
        Types to draw from; each must be in the bundled instance table.
    max_count : int
        Most nodes in the group [count].

    Returns
    -------
    hypothesis.strategies.SearchStrategy of NodeGroup
    """
    zones = draw(st.lists(st.sampled_from(ZONES), min_size=1, max_size=3, unique=True))
    return NodeGroup(
        name or draw(st.from_regex(r"[a-z][a-z0-9]{0,6}", fullmatch=True)),
        draw(st.sampled_from(list(instance_types))),
        draw(st.integers(0, max(max_count, 0))),
        zones=tuple(zones),
        max_pods=draw(st.none() | st.integers(4, 110)),
        labels=draw(_labels()),
        taints=cast(Any, tuple(draw(_taints()))),  # "key=value:Effect", parsed by NodeGroup
        unschedulable=draw(st.sampled_from([False, False, False, True])),
        extended_resources=draw(st.sampled_from([{}, {}, {"nvidia.com/gpu": 1}])),
    )


@st.composite
def clusters(draw: st.DrawFn, *, max_groups: int = 3, max_nodes: int = 12) -> Cluster:
    """Clusters of 1 to ``max_groups`` node groups (:func:`node_groups`) named ``ng0``, ``ng1``,
    ... with at most ``max_nodes`` nodes in all.

    Parameters
    ----------
    max_groups : int
        Most node groups [count].
    max_nodes : int
        Most nodes in all [count].

    Returns
    -------
    hypothesis.strategies.SearchStrategy of Cluster
    """
    groups = []
    total = 0
    for g in range(draw(st.integers(1, max_groups))):
        group = draw(node_groups(name=f"ng{g}", max_count=min(4, max_nodes - total)))
        total += group.count
        groups.append(group)
    return Cluster(groups)


def _requests(draw: st.DrawFn) -> dict[str, int]:
    out = {}
    cpu = draw(st.integers(0, 1500))
    memory = draw(st.integers(0, 2048))
    if cpu:
        out["cpu"] = cpu
    if memory:
        out["memory"] = memory << 20
    return out


@st.composite
def _toleration_fields(draw: st.DrawFn) -> dict[str, str]:
    effect = draw(st.sampled_from(("", *EFFECTS)))
    shape = draw(st.integers(0, 2))
    if shape == 0:
        out = {"operator": "Exists"}  # tolerates every taint
    elif shape == 1:
        out = {"key": draw(_taint_key()), "operator": "Exists"}
    else:
        out = {"key": draw(_taint_key()), "operator": "Equal", "value": draw(_taint_value())}
    if effect:
        out["effect"] = effect
    return out


@st.composite
def workloads(
    draw: st.DrawFn, *, name: str = "w0", kinds: Sequence[str] = WORKLOAD_KINDS
) -> Workload:
    """Workload spec objects (as :func:`podcap.load_manifests` returns them): 1 or 2 containers
    with requests, and sometimes tolerations, a zone nodeSelector or a spread constraint.

    Parameters
    ----------
    name : str
        The workload's name (its pods are labelled ``app: <name>``).
    kinds : sequence of str
        Kinds to draw from.

    Returns
    -------
    hypothesis.strategies.SearchStrategy of Workload
    """
    kind = draw(st.sampled_from(list(kinds)))
    containers = tuple(Container(f"c{i}", _requests(draw)) for i in range(draw(st.integers(1, 2))))
    labels = {**draw(_labels()), "app": name}
    spread: tuple[SpreadConstraint, ...] = ()
    if draw(st.integers(0, 3)) == 0:
        when: Any = draw(st.sampled_from(["DoNotSchedule", "ScheduleAnyway"]))
        spread = (
            SpreadConstraint(
                draw(st.integers(1, 3)),
                draw(st.sampled_from([_ZONE_KEY, _HOST_KEY])),
                when,
                selector=LabelSelector((("app", name),)),
            ),
        )
    tolerations = tuple(
        Toleration(
            t.get("key", ""),
            t["operator"],  # type: ignore[arg-type]  # drawn from Exists, Equal
            t.get("value", ""),
            t.get("effect", ""),
        )
        for t in draw(st.lists(_toleration_fields(), max_size=2))
    )
    selector = draw(st.sampled_from([{}, {}, {_ZONE_KEY: ZONES[0]}]))
    template = PodTemplate(
        containers=containers,
        node_selector=selector,
        tolerations=tolerations,
        spread=spread,
        labels=labels,
    )
    replicas = {"Pod": 1, "DaemonSet": 0}.get(kind, draw(st.integers(0, 30)))
    return Workload(kind, "default", name, replicas, template)  # type: ignore[arg-type]


# ---- Kubernetes manifests --------------------------------------------------------------------


@st.composite
def _pod_spec(draw: st.DrawFn, name: str, priority_classes: Sequence[str]) -> dict[str, Any]:
    containers = []
    for i in range(draw(st.integers(1, 2))):
        container: dict[str, Any] = {"name": f"c{i}", "image": "registry.example/app:1"}
        resources: dict[str, Any] = {}
        cpu, memory = draw(st.integers(0, 1500)), draw(st.integers(0, 2048))
        requests = {}
        if cpu:
            requests["cpu"] = f"{cpu}m"
        if memory:
            requests["memory"] = f"{memory}Mi"
        if requests:
            resources["requests"] = requests
        if draw(st.integers(0, 3)) == 0:  # limits at or above the requests
            extra = draw(st.integers(0, 500))
            resources["limits"] = {
                "cpu": f"{cpu + extra + 1}m",
                "memory": f"{memory + extra + 1}Mi",
            }
        if resources:
            container["resources"] = resources
        if i == 0 and draw(st.integers(0, 5)) == 0:
            port = draw(st.sampled_from([8080, 9090]))
            container["ports"] = [{"containerPort": port, "hostPort": port, "protocol": "TCP"}]
        containers.append(container)
    spec: dict[str, Any] = {"containers": containers}
    if draw(st.integers(0, 4)) == 0:
        spec["initContainers"] = [
            {
                "name": "init",
                "image": "registry.example/init:1",
                "resources": {"requests": {"cpu": "50m"}},
            }
        ]
    tolerations = draw(st.lists(_toleration_fields(), max_size=2))
    if tolerations:
        spec["tolerations"] = tolerations
    if len(priority_classes) > 0 and draw(st.booleans()):
        spec["priorityClassName"] = draw(st.sampled_from(list(priority_classes)))
    choice = draw(st.integers(0, 5))
    if choice == 1:
        spec["nodeSelector"] = {_ZONE_KEY: draw(st.sampled_from(ZONES))}
    elif choice == 2:
        spec["affinity"] = {
            "nodeAffinity": {
                "requiredDuringSchedulingIgnoredDuringExecution": {
                    "nodeSelectorTerms": [
                        {
                            "matchExpressions": [
                                {
                                    "key": _ZONE_KEY,
                                    "operator": "In",
                                    "values": draw(
                                        st.lists(st.sampled_from(ZONES), min_size=1, unique=True)
                                    ),
                                }
                            ]
                        }
                    ]
                }
            }
        }
    elif choice == 3:
        spec["affinity"] = {
            "podAntiAffinity": {
                "requiredDuringSchedulingIgnoredDuringExecution": [
                    {"labelSelector": {"matchLabels": {"app": name}}, "topologyKey": _HOST_KEY}
                ]
            }
        }
    if draw(st.integers(0, 3)) == 0:
        when = draw(st.sampled_from(["DoNotSchedule", "ScheduleAnyway"]))
        constraint: dict[str, Any] = {
            "maxSkew": draw(st.integers(1, 3)),
            "topologyKey": draw(st.sampled_from([_ZONE_KEY, _HOST_KEY])),
            "whenUnsatisfiable": when,
            "labelSelector": {"matchLabels": {"app": name}},
        }
        if when == "DoNotSchedule" and draw(st.booleans()):
            constraint["minDomains"] = draw(st.integers(1, 3))
        spec["topologySpreadConstraints"] = [constraint]
    return spec


@st.composite
def _workload_document(
    draw: st.DrawFn, name: str, kind: str, priority_classes: Sequence[str]
) -> dict[str, Any]:
    labels = {**draw(_labels()), "app": name}
    pod_spec = draw(_pod_spec(name, priority_classes))
    if kind == "Pod":
        return {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": name, "labels": labels},
            "spec": pod_spec,
        }
    body: dict[str, Any] = {
        "selector": {"matchLabels": {"app": name}},
        "template": {"metadata": {"labels": labels}, "spec": pod_spec},
    }
    if kind in ("Deployment", "StatefulSet"):
        body["replicas"] = draw(st.integers(0, 30))
    if kind == "StatefulSet":
        body["serviceName"] = name
        body["podManagementPolicy"] = draw(st.sampled_from(["OrderedReady", "Parallel"]))
    if kind == "Job":
        del body["selector"]  # the Job controller generates it
        body["parallelism"] = draw(st.integers(0, 10))
        if draw(st.booleans()):
            body["completions"] = draw(st.integers(1, 10))
        pod_spec["restartPolicy"] = "Never"
    api = "batch/v1" if kind == "Job" else "apps/v1"
    return {"apiVersion": api, "kind": kind, "metadata": {"name": name}, "spec": body}


@st.composite
def manifest_documents(
    draw: st.DrawFn,
    *,
    kinds: Sequence[str] = WORKLOAD_KINDS,
    min_size: int = 1,
    max_size: int = 4,
) -> list[dict[str, Any]]:
    """Valid Kubernetes objects as parsed YAML: sometimes PriorityClasses ``low`` and ``high``,
    then ``min_size`` to ``max_size`` workloads named ``w0``, ``w1``, ... with requests and
    limits, selectors, tolerations, node selectors or affinity, topology spread and host ports.

    Parameters
    ----------
    kinds : sequence of str
        Workload kinds to draw from (default :data:`WORKLOAD_KINDS`).
    min_size, max_size : int
        Workloads [count].

    Returns
    -------
    hypothesis.strategies.SearchStrategy of list of dict
    """
    docs: list[dict[str, Any]] = []
    names: list[str] = []
    if draw(st.booleans()):
        for pc in _PRIORITY_CLASSES:
            docs.append(
                {
                    "apiVersion": "scheduling.k8s.io/v1",
                    "kind": "PriorityClass",
                    "metadata": {"name": pc["name"]},
                    "value": pc["value"],
                }
            )
            names.append(str(pc["name"]))
    for i in range(draw(st.integers(min_size, max_size))):
        kind = draw(st.sampled_from(list(kinds)))
        docs.append(draw(_workload_document(f"w{i}", kind, names)))
    return docs


def manifests(
    *, kinds: Sequence[str] = WORKLOAD_KINDS, min_size: int = 1, max_size: int = 4
) -> st.SearchStrategy[str]:
    """Multi-document YAML text of :func:`manifest_documents`, as ``kubectl apply -f`` reads it.

    Parameters
    ----------
    kinds : sequence of str
        Workload kinds to draw from.
    min_size, max_size : int
        Workloads [count].

    Returns
    -------
    hypothesis.strategies.SearchStrategy of str
    """
    return manifest_documents(kinds=kinds, min_size=min_size, max_size=max_size).map(
        lambda docs: yaml.safe_dump_all(docs, sort_keys=False)
    )


# ---- podcap cluster files --------------------------------------------------------------------


@st.composite
def _cluster_group(draw: st.DrawFn, index: int, max_count: int) -> dict[str, Any]:
    zones = draw(st.lists(st.sampled_from(ZONES), min_size=1, max_size=3, unique=True))
    group: dict[str, Any] = {
        "name": f"ng{index}",
        "instanceType": draw(st.sampled_from(INSTANCE_TYPES)),
        "count": draw(st.integers(0, max(max_count, 0))),
        "zones": zones,
    }
    if draw(st.booleans()):
        group["maxPods"] = draw(st.integers(4, 110))
    if draw(st.integers(0, 3)) == 0:
        group["overhead"] = draw(st.sampled_from(["eks", "karpenter", "kops", "none"]))
    labels = draw(_labels())
    if labels:
        group["labels"] = labels
    taints = draw(_taints())
    if taints:
        group["taints"] = taints
    if draw(st.integers(0, 3)) == 0:
        group["cni"] = {
            "ENABLE_PREFIX_DELEGATION": draw(st.sampled_from(["true", "false"])),
            "WARM_IP_TARGET": str(draw(st.integers(0, 5))),
        }
    if draw(st.integers(0, 3)) == 0:  # one /24 per zone, disjoint across groups
        group["subnets"] = [
            {"cidr": f"10.{index}.{j}.0/24", "zone": zone, "used": draw(st.integers(0, 20))}
            for j, zone in enumerate(zones)
        ]
    if draw(st.integers(0, 4)) == 0:
        group["extendedResources"] = {"nvidia.com/gpu": draw(st.integers(0, 8))}
    if draw(st.integers(0, 5)) == 0:
        group["unschedulable"] = True
    return group


@st.composite
def cluster_documents(
    draw: st.DrawFn, *, max_groups: int = 3, max_nodes: int = 12
) -> dict[str, Any]:
    """Valid podcap cluster files as parsed YAML (schema in :mod:`podcap.io.readers`): 1 to
    ``max_groups`` node groups with zones, maxPods, overhead models, labels, taints, aws-node
    settings, subnets and extended resources, at most ``max_nodes`` nodes in all.

    Parameters
    ----------
    max_groups : int
        Most node groups [count].
    max_nodes : int
        Most nodes in all [count].

    Returns
    -------
    hypothesis.strategies.SearchStrategy of dict
    """
    groups = []
    total = 0
    for g in range(draw(st.integers(1, max_groups))):
        group = draw(_cluster_group(g, min(4, max_nodes - total)))
        total += group["count"]
        groups.append(group)
    return {"nodeGroups": groups}


def cluster_files(*, max_groups: int = 3, max_nodes: int = 12) -> st.SearchStrategy[str]:
    """YAML text of :func:`cluster_documents` (what :func:`podcap.load_cluster` reads).

    Parameters
    ----------
    max_groups, max_nodes : int
        As for :func:`cluster_documents`.

    Returns
    -------
    hypothesis.strategies.SearchStrategy of str
    """
    return cluster_documents(max_groups=max_groups, max_nodes=max_nodes).map(
        lambda doc: yaml.safe_dump(doc, sort_keys=False)
    )


# ---- hostile input ---------------------------------------------------------------------------


def _paths(obj: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    yield path
    if isinstance(obj, dict):
        for key, value in obj.items():
            yield from _paths(value, (*path, key))
    elif isinstance(obj, list):
        for i, value in enumerate(obj):
            yield from _paths(value, (*path, i))


def _set(obj: Any, path: tuple[Any, ...], value: Any) -> None:
    for key in path[:-1]:
        obj = obj[key]
    obj[path[-1]] = value


def mutate(documents: T, rng: random.Random, values: Sequence[Any] = HOSTILE_VALUES) -> T:
    """A copy of ``documents`` with 1 to 3 random fields replaced by hostile ``values`` (seeded:
    the same ``rng`` state gives the same copy).

    Parameters
    ----------
    documents : dict or list
        Parsed YAML (manifests or a cluster file); not changed.
    rng : random.Random
    values : sequence
        Replacement values (default :data:`HOSTILE_VALUES`).

    Returns
    -------
    dict or list
    """
    docs = copy.deepcopy(documents)
    paths = [p for p in _paths(docs) if p]
    for _ in range(rng.randint(1, 3)):
        path = rng.choice(paths)
        # the path may have gone away with an earlier mutation
        with contextlib.suppress(KeyError, IndexError, TypeError):
            _set(docs, path, copy.deepcopy(rng.choice(values)))
    return docs


@st.composite
def mutated(
    draw: st.DrawFn, documents: st.SearchStrategy[T], values: Sequence[Any] = HOSTILE_VALUES
) -> T:
    """Documents drawn from ``documents`` with 1 to 3 fields replaced by hostile ``values``.

    Parameters
    ----------
    documents : SearchStrategy of dict or list
        Valid parsed YAML, e.g. :func:`manifest_documents` or :func:`cluster_documents`.
    values : sequence
        Replacement values (default :data:`HOSTILE_VALUES`).

    Returns
    -------
    hypothesis.strategies.SearchStrategy
        Of the same type as ``documents``.
    """
    docs = copy.deepcopy(draw(documents))
    paths = [p for p in _paths(docs) if p]
    if not paths:
        return docs
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(paths))
        with contextlib.suppress(KeyError, IndexError, TypeError):
            _set(docs, path, copy.deepcopy(draw(st.sampled_from(list(values)))))
    return docs
