"""The fast engine's compiled cycles (:mod:`podcap.kernels.compiled`)
against the reference.

On fleets of fewer than 100 nodes kube-scheduler scores every node and the fast engine places
default-spread and DoNotSchedule-spread workloads with the grouped-heaps kernel; on larger fleets
it samples nodes as the scheduler does, node by node.  Both must
give the reference cycle's placements, node for node.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import podcap
from podcap.kernels import compiled as kernels
from test_engine import (
    INSTANCE_TYPES,
    PRIORITY_CLASSES,
    SCORINGS,
    ZONES,
    clusters,
    workload_lists,
)

SETTINGS = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
SPREAD_KINDS = ["Deployment", "StatefulSet", "Job"]


def group_zones() -> st.SearchStrategy[tuple[str, ...] | None]:
    """A group's zones, or None (about one group in four): its nodes have no zone label, so
    fleets mix zoned and zone-less nodes."""
    some = st.lists(st.sampled_from(ZONES), min_size=1, max_size=3, unique=True).map(tuple)
    return st.one_of(some, some, some, st.none())


@st.composite
def fleets(draw: st.DrawFn) -> podcap.Cluster:
    """Up to 99 nodes in a few groups (identical nodes: the classes have many members)."""
    groups = []
    total = 0
    for g in range(draw(st.integers(1, 5))):
        count = min(draw(st.integers(0, 40)), 99 - total)
        total += count
        groups.append(
            podcap.NodeGroup(
                f"ng{g}",
                draw(st.sampled_from(INSTANCE_TYPES)),
                count,
                zones=draw(group_zones()),
                max_pods=draw(st.integers(4, 30)),
            )
        )
    return podcap.Cluster(groups)


def _same(cluster: podcap.Cluster, manifests: list[dict[str, Any]], **kw: Any) -> None:
    fast = podcap.simulate(cluster, manifests, engine="fast", **kw)
    ref = podcap.simulate(cluster, manifests, engine="reference", **kw)
    pd.testing.assert_frame_equal(fast.workloads, ref.workloads)
    pd.testing.assert_frame_equal(fast.nodes, ref.nodes)
    pd.testing.assert_frame_equal(fast.placements, ref.placements)


@pytest.mark.parametrize("scoring", SCORINGS)
@SETTINGS
@given(cluster=fleets(), manifests=workload_lists(SPREAD_KINDS))
def test_class_engine_equals_reference(
    scoring: str, cluster: podcap.Cluster, manifests: list[dict[str, Any]]
) -> None:
    _same(cluster, manifests, scoring=scoring)


@SETTINGS
@given(cluster=fleets(), manifests=workload_lists(SPREAD_KINDS), seed=st.integers(0, 2**31 - 1))
def test_class_engine_equals_reference_with_seeded_ties(
    cluster: podcap.Cluster, manifests: list[dict[str, Any]], seed: int
) -> None:
    _same(cluster, manifests, seed=seed)


@pytest.mark.parametrize("grouped", [True, False])
@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(cluster=fleets(), manifests=workload_lists(SPREAD_KINDS), seed=st.integers(0, 3))
def test_classes_of_equal_nodes_place_as_single_nodes_do(
    monkeypatch: pytest.MonkeyPatch,
    grouped: bool,
    cluster: podcap.Cluster,
    manifests: list[dict[str, Any]],
    seed: int,
) -> None:
    # The kernel handles equal nodes as one class (a run per level, its head in the heap) or
    # each node alone; forced either way, the placements are the reference cycle's.
    real = kernels.place_heaps

    def forced(*args: Any, **kw: Any) -> int:
        return real(*args[:-1], grouped, **kw)

    monkeypatch.setattr("podcap.scheduler.fast.place_heaps", forced)
    _same(cluster, manifests, seed=seed if seed else None)


def test_classes_hold_equal_nodes_in_tie_order() -> None:
    # Nodes 0, 2 and 4 are equal in every column, 1 and 3 differ in one each; 5 has no room.
    one = np.ones(6, dtype=np.int64)
    used = np.array([5, 5, 5, 6, 5, 5], dtype=np.int64)
    cap = np.array([3, 3, 3, 3, 3, 0], dtype=np.int64)
    own = np.array([0, 1, 0, 0, 0, 0], dtype=np.int64)
    node_of_key = np.array([4, 3, 2, 1, 0, 5], dtype=np.int64)  # tie order: 4, 3, 2, 1, 0
    cls, members, bounds = kernels._classes(
        one, one, used, used, used, used, own, cap, np.zeros(6, dtype=np.int64), node_of_key, True
    )
    groups = [members[bounds[c] : bounds[c + 1]].tolist() for c in range(bounds.shape[0] - 1)]
    assert sorted(groups) == [[1], [3], [4, 2, 0]]
    assert cls[5] == -1
    assert all(cls[i] == c for c, g in enumerate(groups) for i in g)
    single = kernels._classes(
        one, one, used, used, used, used, own, cap, np.zeros(6, dtype=np.int64), node_of_key, False
    )
    assert single[1].tolist() == [4, 3, 2, 1, 0]


def test_the_kernel_is_what_places_them(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = []
    real = kernels.place_heaps

    def spy(*args: Any, **kw: Any) -> int:
        calls.append(args[20])
        return real(*args, **kw)

    monkeypatch.setattr("podcap.scheduler.fast.place_heaps", spy)
    cluster = podcap.Cluster([podcap.NodeGroup("a", "m5.large", 30, zones=("z1", "z2", "z3"))])
    deploy = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web"},
        "spec": {
            "replicas": 100,
            "selector": {"matchLabels": {"app": "web"}},
            "template": {
                "metadata": {"labels": {"app": "web"}},
                "spec": {"containers": [{"name": "c", "resources": {"requests": {"cpu": "50m"}}}]},
            },
        },
    }
    res = podcap.simulate(cluster, [deploy])
    assert calls == [100]
    zone = res.placements["node"].map(res.nodes.set_index("node")["zone"])
    per_zone = res.placements.groupby(zone)["pods"].sum()
    assert sorted(per_zone.tolist()) == [33, 33, 34]


def _spread_deployment(
    replicas: int, cpu: str, key: str, skew: int, name: str = "api"
) -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {
                    "containers": [{"name": "c", "resources": {"requests": {"cpu": cpu}}}],
                    "topologySpreadConstraints": [
                        {
                            "maxSkew": skew,
                            "topologyKey": key,
                            "whenUnsatisfiable": "DoNotSchedule",
                            "labelSelector": {"matchLabels": {"app": name}},
                        }
                    ],
                },
            },
        },
    }


@pytest.mark.parametrize("skew", [1, 2])
def test_hostname_skew_counts_nodes_the_pod_cannot_use(skew: int) -> None:
    # 20 m5.2xlarge take the 2.5-cpu pods (3 each); 10 t3.medium cannot, but they pass the node
    # affinity, so their 0 pods are the minimum: at most maxSkew pods per m5.2xlarge.
    cluster = podcap.Cluster(
        [
            podcap.NodeGroup("big", "m5.2xlarge", 20, zones=("z1", "z2")),
            podcap.NodeGroup("small", "t3.medium", 10, zones=("z1", "z2")),
        ]
    )
    manifests = [_spread_deployment(100, "2500m", "kubernetes.io/hostname", skew)]
    res = podcap.simulate(cluster, manifests)
    row = res.workloads.iloc[0]
    assert int(row["running"]) + int(row["container_creating"]) == 20 * skew
    _same(cluster, manifests)


def test_zone_skew_with_a_short_zone() -> None:
    # z3 has one node that holds 3 pods; maxSkew 1 caps the other zones at 4.
    cluster = podcap.Cluster(
        [
            podcap.NodeGroup("a", "m5.2xlarge", 10, zones=("z1", "z2")),
            podcap.NodeGroup("b", "m5.2xlarge", 1, zones=("z3",), max_pods=3 + 4),
        ]
    )
    manifests = [_spread_deployment(100, "100m", "topology.kubernetes.io/zone", 1)]
    res = podcap.simulate(cluster, manifests)
    _same(cluster, manifests)
    assert int(res.workloads.iloc[0]["pending"]) > 0


def test_plain_python_kernel_gives_the_compiled_placements(monkeypatch: pytest.MonkeyPatch) -> None:
    # The kernel is plain Python that numba compiles; run uncompiled it must place the same.
    cluster = podcap.Cluster(
        [
            podcap.NodeGroup("a", "m5.large", 7, zones=("z1", "z2", "z3")),
            podcap.NodeGroup("b", "m5.xlarge", 5, zones=("z1", "z2")),
        ]
    )
    manifests = [
        _spread_deployment(40, "300m", "topology.kubernetes.io/zone", 2),
        _spread_deployment(50, "250m", "kubernetes.io/hostname", 1, name="web"),
    ]
    compiled = podcap.simulate(cluster, manifests)
    real = kernels.place_heaps
    calls: list[int] = []

    def plain_python(*args: Any, **kw: Any) -> int:
        calls.append(args[20])
        return real(*args, compiled=False)

    monkeypatch.setattr("podcap.scheduler.fast.place_heaps", plain_python)
    plain = podcap.simulate(cluster, manifests)
    assert calls == [40, 50]
    pd.testing.assert_frame_equal(compiled.placements, plain.placements)
    assert compiled.placements["pods"].sum() == 40 + 10  # hostname maxSkew 1: one per node


@pytest.mark.parametrize("compiled", [True, False])
def test_a_score_outside_its_range_is_an_error(
    monkeypatch: pytest.MonkeyPatch, compiled: bool
) -> None:
    # The cycle lists groups by a score of 0-200; an input giving another (negative requests on
    # a node, which no caller builds) must stop it rather than index outside its lists.
    captured: list[tuple[Any, ...]] = []
    real = kernels.place_heaps

    def spy(*args: Any, **kw: Any) -> int:
        captured.append(tuple(a.copy() if isinstance(a, np.ndarray) else a for a in args))
        return real(*args, **kw)

    monkeypatch.setattr("podcap.scheduler.fast.place_heaps", spy)
    cluster = podcap.Cluster([podcap.NodeGroup("a", "m5.large", 4, zones=("z1", "z2"))])
    podcap.simulate(cluster, [_spread_deployment(6, "100m", "kubernetes.io/hostname", 3)])
    args = list(captured[0])
    args[4] = np.full_like(args[4], -(10**9))  # non-zero requested cpu: a fit score of millions
    with pytest.raises(ValueError, match="outside 0-200"):
        real(*args, compiled=compiled)


@st.composite
def large_fleets(draw: st.DrawFn) -> podcap.Cluster:
    """100-260 nodes: kube-scheduler samples them (percentageOfNodesToScore)."""
    groups = []
    for g in range(draw(st.integers(2, 4))):
        groups.append(
            podcap.NodeGroup(
                f"ng{g}",
                draw(st.sampled_from(INSTANCE_TYPES)),
                draw(st.integers(30, 65)),
                zones=draw(group_zones()),
                max_pods=draw(st.integers(4, 30)),
            )
        )
    return podcap.Cluster(groups)


@st.composite
def with_budgets(draw: st.DrawFn, manifests: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The manifests with a PodDisruptionBudget on some workloads (preemption honours them)."""
    out = list(manifests)
    for m in manifests:
        if m["kind"] == "PriorityClass" or not draw(st.booleans()):
            continue
        name = m["metadata"]["name"]
        field, value = draw(
            st.sampled_from(
                [
                    ("minAvailable", 1),
                    ("minAvailable", "80%"),
                    ("minAvailable", 100),
                    ("maxUnavailable", 0),
                    ("maxUnavailable", "50%"),
                ]
            )
        )
        out.append(
            {
                "apiVersion": "policy/v1",
                "kind": "PodDisruptionBudget",
                "metadata": {"name": f"{name}-pdb"},
                "spec": {"selector": {"matchLabels": {"app": name}}, field: value},
            }
        )
    return out


@st.composite
def crowded(draw: st.DrawFn) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Low-priority Deployments that fill the nodes (some with budgets), then a high-priority one."""
    low = []
    for i in range(draw(st.integers(1, 3))):
        d = _spread_deployment(draw(st.integers(2, 30)), f"{draw(st.integers(2, 9))}00m", "", 1)
        _rename_deployment(d, f"low{i}", "low")
        low.append(d)
    urgent = _spread_deployment(draw(st.integers(1, 6)), f"{draw(st.integers(3, 15))}00m", "", 1)
    _rename_deployment(urgent, "urgent", "high")
    return draw(with_budgets([*PRIORITY_CLASSES, *low])), [*PRIORITY_CLASSES, urgent]


def _rename_deployment(d: dict[str, Any], name: str, priority: str) -> None:
    d["metadata"]["name"] = name
    d["spec"]["selector"]["matchLabels"]["app"] = name
    tpl = d["spec"]["template"]
    tpl["metadata"]["labels"]["app"] = name
    tpl["spec"].pop("topologySpreadConstraints")
    tpl["spec"]["priorityClassName"] = priority


@SETTINGS
@given(cluster=clusters(), phases=crowded())
def test_engines_agree_on_preemption_with_disruption_budgets(
    cluster: podcap.Cluster, phases: tuple[list[dict[str, Any]], list[dict[str, Any]]]
) -> None:
    out = []
    for engine in ("fast", "reference"):
        sc = podcap.Scenario(cluster, engine=engine)  # type: ignore[arg-type]
        last = sc.apply(phases[0]).apply(phases[1]).run().results[-1]
        out.append(last)
    pd.testing.assert_frame_equal(out[0].workloads, out[1].workloads)
    pd.testing.assert_frame_equal(out[0].placements, out[1].placements)


SAMPLED = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


@SAMPLED
@given(
    cluster=large_fleets(),
    manifests=workload_lists(),
    percentage=st.sampled_from([0, 0, 10, 40]),
)
def test_sampled_placements_equal_the_reference(
    cluster: podcap.Cluster, manifests: list[dict[str, Any]], percentage: int
) -> None:
    _same(cluster, manifests, percentage_of_nodes_to_score=percentage)


@SAMPLED
@given(cluster=large_fleets(), manifests=workload_lists(), seed=st.integers(0, 2**31 - 1))
def test_sampled_placements_equal_the_reference_with_seeded_ties(
    cluster: podcap.Cluster, manifests: list[dict[str, Any]], seed: int
) -> None:
    _same(cluster, manifests, seed=seed)


def test_sampled_plain_python_kernel_gives_the_compiled_placements(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    cluster = podcap.Cluster(
        [
            podcap.NodeGroup("a", "m5.large", 80, zones=("z1", "z2", "z3")),
            podcap.NodeGroup("b", "m5.xlarge", 70, zones=("z1", "z2")),
        ]
    )
    manifests = [
        _spread_deployment(300, "300m", "topology.kubernetes.io/zone", 2),
        _spread_deployment(200, "250m", "kubernetes.io/hostname", 2, name="web"),
        {**_spread_deployment(100, "100m", "kubernetes.io/hostname", 1, name="spread")},
    ]
    compiled = podcap.simulate(cluster, manifests)
    real = kernels.place_sampled
    calls: list[int] = []

    def plain_python(*args: Any, **kw: Any) -> tuple[int, int]:
        calls.append(args[19])
        return real(*args, compiled=False)

    monkeypatch.setattr("podcap.scheduler.fast.place_sampled", plain_python)
    plain = podcap.simulate(cluster, manifests)
    assert calls == [300, 200, 100]
    pd.testing.assert_frame_equal(compiled.placements, plain.placements)
    assert compiled.placements["pods"].sum() > 300


def test_sampled_default_spreading_on_a_mixed_fleet() -> None:
    # 180 nodes of two sizes in uneven zones: 100 nodes are sampled per pod.
    cluster = podcap.Cluster(
        [
            podcap.NodeGroup("large", "m5.large", 120, zones=tuple(ZONES)),
            podcap.NodeGroup("xlarge", "m5.xlarge", 40, zones=tuple(ZONES[:2])),
            podcap.NodeGroup("one", "m5.xlarge", 20, zones=tuple(ZONES[:1])),
        ]
    )
    for replicas in (90, 1200):
        deploy = _spread_deployment(replicas, "100m", "topology.kubernetes.io/zone", 1)
        deploy["spec"]["template"]["spec"].pop("topologySpreadConstraints")
        _same(cluster, [deploy])


@pytest.mark.parametrize("skew", [1, 2])
def test_sampled_hostname_skew_counts_nodes_the_pod_cannot_use(skew: int) -> None:
    cluster = podcap.Cluster(
        [
            podcap.NodeGroup("big", "m5.2xlarge", 90, zones=("z1", "z2")),
            podcap.NodeGroup("small", "t3.medium", 30, zones=("z1", "z2")),
        ]
    )
    manifests = [_spread_deployment(400, "2500m", "kubernetes.io/hostname", skew)]
    res = podcap.simulate(cluster, manifests)
    row = res.workloads.iloc[0]
    assert int(row["running"]) + int(row["container_creating"]) == 90 * skew
    _same(cluster, manifests)


def _preferring(
    name: str, replicas: int, cpu: str, terms: list[tuple[str, str, int]]
) -> dict[str, Any]:
    d = _spread_deployment(replicas, cpu, "", 1, name=name)
    spec = d["spec"]["template"]["spec"]
    spec.pop("topologySpreadConstraints")
    affinity: dict[str, Any] = {}
    for kind, key, weight in terms:
        affinity.setdefault(kind, {}).setdefault(
            "preferredDuringSchedulingIgnoredDuringExecution", []
        ).append(
            {
                "weight": weight,
                "podAffinityTerm": {
                    "labelSelector": {"matchLabels": {"app": name}},
                    "topologyKey": key,
                },
            }
        )
    spec["affinity"] = affinity
    return d


HOST, ZONE = "kubernetes.io/hostname", "topology.kubernetes.io/zone"


@st.composite
def preferring(draw: st.DrawFn) -> list[dict[str, Any]]:
    out = []
    for i in range(draw(st.integers(1, 3))):
        terms = draw(
            st.lists(
                st.tuples(
                    st.sampled_from(["podAntiAffinity", "podAffinity"]),
                    st.sampled_from([HOST, ZONE]),
                    st.integers(1, 100),
                ),
                min_size=1,
                max_size=2,
            )
        )
        d = _preferring(f"p{i}", draw(st.integers(1, 80)), f"{draw(st.integers(1, 9))}00m", terms)
        if draw(st.booleans()):
            d["kind"] = "Job"
            d["spec"]["parallelism"] = d["spec"].pop("replicas")
            d["spec"].pop("selector")
            d["spec"]["template"]["spec"]["restartPolicy"] = "Never"
        out.append(d)
    return out


@SETTINGS
@given(cluster=fleets(), manifests=preferring(), scoring=st.sampled_from(SCORINGS))
def test_preferred_affinity_to_own_pods_equals_the_reference(
    cluster: podcap.Cluster, manifests: list[dict[str, Any]], scoring: str
) -> None:
    _same(cluster, manifests, scoring=scoring)


@SAMPLED
@given(cluster=large_fleets(), manifests=preferring())
def test_sampled_preferred_affinity_to_own_pods_equals_the_reference(
    cluster: podcap.Cluster, manifests: list[dict[str, Any]]
) -> None:
    _same(cluster, manifests)


def test_preferred_anti_affinity_to_own_pods_is_not_sent_to_the_reference(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls: list[int] = []
    real = kernels.place_heaps

    def spy(*args: Any, **kw: Any) -> int:
        calls.append(args[20])
        return real(*args, **kw)

    monkeypatch.setattr("podcap.scheduler.fast.place_heaps", spy)
    cluster = podcap.Cluster([podcap.NodeGroup("a", "m5.large", 6, zones=("z1", "z2"))])
    res = podcap.simulate(
        cluster, [_preferring("web", 12, "100m", [("podAntiAffinity", HOST, 100)])]
    )
    assert calls == [12]
    assert res.placements["pods"].tolist() == [2] * 6


# ---------------------------------------------------------------------------------------------
# Volumes (NodeVolumeLimits, VolumeBinding) and pod resources (pod-level, RuntimeClass overhead)

STORAGE = [
    {
        "apiVersion": "storage.k8s.io/v1",
        "kind": "StorageClass",
        "metadata": {
            "name": "gp3",
            "annotations": {"storageclass.kubernetes.io/is-default-class": "true"},
        },
        "provisioner": "ebs.csi.aws.com",
        "volumeBindingMode": "WaitForFirstConsumer",
    },
    {
        "apiVersion": "storage.k8s.io/v1",
        "kind": "StorageClass",
        "metadata": {"name": "zonal"},
        "provisioner": "kubernetes.io/aws-ebs",
        "volumeBindingMode": "WaitForFirstConsumer",
        "allowedTopologies": [
            {
                "matchLabelExpressions": [
                    {"key": "topology.ebs.csi.aws.com/zone", "values": ZONES[:2]}
                ]
            }
        ],
    },
    {
        "apiVersion": "node.k8s.io/v1",
        "kind": "RuntimeClass",
        "metadata": {"name": "kata"},
        "handler": "kata",
        "overhead": {"podFixed": {"cpu": "250m", "memory": "160Mi"}},
    },
]


@st.composite
def with_volumes(draw: st.DrawFn, manifests: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The workloads with EBS claims (claim templates, ephemeral volumes), pod-level resources
    and a RuntimeClass drawn onto them."""
    out = [*STORAGE]
    for doc in manifests:
        if doc.get("kind") not in ("Deployment", "StatefulSet", "Job"):
            out.append(doc)
            continue
        spec = doc["spec"]["template"]["spec"]
        classes = st.sampled_from([None, "gp3", "zonal"])
        for v in range(draw(st.integers(0, 2))):
            sc = draw(classes)
            claim: dict[str, Any] = {"accessModes": ["ReadWriteOnce"]}
            if sc is not None:
                claim["storageClassName"] = sc
            if doc["kind"] == "StatefulSet" and draw(st.booleans()):
                doc["spec"].setdefault("volumeClaimTemplates", []).append(
                    {"metadata": {"name": f"data{v}"}, "spec": claim}
                )
            else:
                spec.setdefault("volumes", []).append(
                    {"name": f"scratch{v}", "ephemeral": {"volumeClaimTemplate": {"spec": claim}}}
                )
        if draw(st.booleans()):
            spec["runtimeClassName"] = "kata"
        if draw(st.booleans()):
            spec["resources"] = {"limits": {"cpu": f"{draw(st.integers(1500, 3000))}m"}}
        out.append(doc)
    return out


@st.composite
def volume_fleets(draw: st.DrawFn) -> podcap.Cluster:
    """A few node groups whose EBS attach limits bind early (``--volume-attach-limit``)."""
    base = draw(fleets())
    groups = [
        replace(
            g,
            ebs_csi=draw(
                st.sampled_from(
                    [None, podcap.EbsCsiDriver(volume_attach_limit=draw(st.integers(1, 6)))]
                )
            ),
        )
        for g in base.node_groups
    ]
    return podcap.Cluster(groups)


@SETTINGS
@given(
    cluster=volume_fleets(),
    manifests=workload_lists(SPREAD_KINDS).flatmap(with_volumes),
    scoring=st.sampled_from(SCORINGS),
)
def test_volumes_and_pod_resources_equal_the_reference(
    cluster: podcap.Cluster, manifests: list[dict[str, Any]], scoring: str
) -> None:
    _same(cluster, manifests, scoring=scoring)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cluster=clusters(), phases=crowded(), limit=st.integers(1, 4))
def test_volumes_under_preemption_equal_the_reference(
    cluster: podcap.Cluster,
    phases: tuple[list[dict[str, Any]], list[dict[str, Any]]],
    limit: int,
) -> None:
    """Preemption frees the victims' attachments: the engines agree on who is evicted."""
    limited = podcap.Cluster(
        [
            replace(g, ebs_csi=podcap.EbsCsiDriver(volume_attach_limit=limit))
            for g in cluster.node_groups
        ]
    )
    claim = {"name": "v", "ephemeral": {"volumeClaimTemplate": {"spec": {}}}}
    for docs in phases:
        for doc in docs:
            if doc.get("kind") == "Deployment":
                doc["spec"]["template"]["spec"]["volumes"] = [claim]
    out = []
    for engine in ("fast", "reference"):
        sc = podcap.Scenario(limited, engine=engine)  # type: ignore[arg-type]
        last = sc.apply([STORAGE[0], *phases[0]]).apply(phases[1]).run().results[-1]
        out.append(last)
    pd.testing.assert_frame_equal(out[0].workloads, out[1].workloads)
    pd.testing.assert_frame_equal(out[0].placements, out[1].placements)


# ---------------------------------------------------------------------------------------------
# Nodes whose zone is unknown: no topology.kubernetes.io/zone label


def _zoned_and_zoneless(zoneless: int = 2) -> podcap.Cluster:
    return podcap.Cluster(
        [
            podcap.NodeGroup("a", "m5.large", 1, zones=("z1",)),
            podcap.NodeGroup("b", "m5.large", zoneless),
        ]
    )


@pytest.mark.parametrize("engine", ["fast", "reference"])
def test_default_spreading_scores_zoneless_nodes_without_a_zone_term(engine: str) -> None:
    # kube-scheduler v1.34.1 podtopologyspread/scoring.go: the system default constraints do
    # not require every topology key (requireAllTopologies is false), so a node without the
    # zone label keeps its hostname term and has no zone term; its value "" still counts as a
    # zone in the topology size.  By hand, nodes a-0 (z1), b-0, b-1 (no zone), pods of 100m:
    # w_host = ln(3 + 2), w_zone = ln(2 + 2) (domains z1 and ""); raw = host * w_host + 2
    # (+ zone * w_zone + 4 on a-0), normalised 100 * (max + min - raw) // max, weight 2.
    # Pod 1: a-0 raw 6, b nodes 2 -> b-0; pod 2 -> b-1 (b-0 raw round(3.61) = 4); pods 3-6
    # alternate on b-0 / b-1 until they hold 3 each (raw round(3 * 1.61 + 2) = 7 > a-0's 6);
    # pod 7 -> a-0.
    deploy = _spread_deployment(7, "100m", "", 1, name="web")
    deploy["spec"]["template"]["spec"].pop("topologySpreadConstraints")
    res = podcap.simulate(_zoned_and_zoneless(), [deploy], engine=engine)  # type: ignore[arg-type]
    pods = dict(zip(res.placements["node"], res.placements["pods"], strict=True))
    assert pods == {"a-0": 1, "b-0": 3, "b-1": 3}
    assert res.nodes.set_index("node")["zone"].to_dict() == {"a-0": "z1", "b-0": None, "b-1": None}


@pytest.mark.parametrize("engine", ["fast", "reference"])
def test_zone_do_not_schedule_rejects_nodes_without_the_label(engine: str) -> None:
    # podtopologyspread/filtering.go Filter: a node without the constraint's key is
    # UnschedulableAndUnresolvable, ErrReasonNodeLabelNotMatch "node(s) didn't match pod
    # topology spread constraints (missing required label)"; the domains counted are z1 only.
    cluster = _zoned_and_zoneless()
    deploy = _spread_deployment(20, "100m", "topology.kubernetes.io/zone", 1)
    res = podcap.simulate(cluster, [deploy], engine=engine)  # type: ignore[arg-type]
    assert res.placements["node"].tolist() == ["a-0"]
    row = res.workloads.iloc[0]
    assert int(row["running"]) + int(row["container_creating"]) == int(
        res.nodes.set_index("node").loc["a-0", "pods"]
    )
    assert (
        "2 node(s) didn't match pod topology spread constraints (missing required label)"
        in (row["reason"])
    )
    _same(cluster, [deploy])


@pytest.mark.parametrize(
    ("operator", "nodes"), [("In", ["a-0"]), ("NotIn", ["b-0", "b-1"]), ("Exists", ["a-0"])]
)
def test_zone_node_affinity_and_zoneless_nodes(operator: str, nodes: list[str]) -> None:
    # component-helpers nodeaffinity: In and Exists need the label; NotIn matches a node
    # without it (labels.Selector semantics)
    deploy = _spread_deployment(3, "100m", "", 1, name="web")
    spec = deploy["spec"]["template"]["spec"]
    spec.pop("topologySpreadConstraints")
    req: dict[str, Any] = {"key": "topology.kubernetes.io/zone", "operator": operator}
    if operator != "Exists":
        req["values"] = ["z1"]
    spec["affinity"] = {
        "nodeAffinity": {
            "requiredDuringSchedulingIgnoredDuringExecution": {
                "nodeSelectorTerms": [{"matchExpressions": [req]}]
            }
        }
    }
    cluster = _zoned_and_zoneless()
    res = podcap.simulate(cluster, [deploy])
    assert sorted(res.placements["node"]) == nodes
    _same(cluster, [deploy])


def test_zoneless_nodes_form_one_zone_of_the_node_tree() -> None:
    # nodeTree (pkg/scheduler/backend/cache/node_tree.go): nodes without zone and region
    # labels are one zone, key ""; zones take turns in the order their first node came
    from podcap.scheduler.fast import tree_positions

    zone = np.array([-1, 0, -1, 1, 0], dtype=np.int64)
    # zones in order: "" (nodes 0, 2), z0 (1, 4), z1 (3): list 0, 1, 3, 2, 4
    assert tree_positions(zone).tolist() == [0, 1, 3, 2, 4]
