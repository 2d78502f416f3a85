"""The shortcuts of :func:`podcap.read_snapshot` give the answers of its plain path.

Reading a large snapshot takes shortcuts: a pod whose containers, init containers and overhead
equal those of the last pod of its owner takes that pod's requests; nodes with the same labels
(but the hostname) share what the labels give; a List whose items are all Pods (or all Nodes)
is taken whole.  Each test here reads tricky objects both ways and compares: the shortcuts
against the plain path (objects that are not plain dicts, or pods read one at a time, take no
shortcut) and against numbers worked out by hand.
"""

from __future__ import annotations

import copy
import sys
import warnings
from collections.abc import Iterator, Mapping
from typing import Any

import numpy as np
import pandas as pd
import pytest

import podcap
from podcap.io import snapshot
from test_snapshot import A, B, kube_list, node, pod, system_pods

QUANTITIES = ["1.5Gi", "100m", "1e3", "0.1", "12Ki", "1E", "1", "1000m", "250m", "0.25"]
INVALID = ["1.5.5", "", "x", "1Qi", "--1", "1e400"]


class Frozen(Mapping[str, Any]):
    """A read-only mapping that is not a dict and equals only itself: no shortcut applies to
    it (a pod's containers made of them never equal another pod's)."""

    def __init__(self, data: Mapping[str, Any]) -> None:
        self._data = dict(data)

    def __eq__(self, other: object) -> bool:
        return self is other

    __hash__ = None  # type: ignore[assignment]

    def __getitem__(self, key: str) -> Any:
        return self._data[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)


def frozen(value: Any) -> Any:
    """``value`` with every dict made a :class:`Frozen` mapping (lists stay lists)."""
    if isinstance(value, dict):
        return Frozen({k: frozen(v) for k, v in value.items()})
    if isinstance(value, list):
        return [frozen(v) for v in value]
    return value


def read(docs: list[Any]) -> podcap.Snapshot:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", podcap.PodcapWarning)
        return podcap.read_snapshot(copy.deepcopy(docs))


def outcome(docs: list[Any]) -> tuple[Any, ...]:
    """What reading ``docs`` gives: the snapshot's parts, or the error's text."""
    try:
        snap = read(docs)
    except podcap.PodcapError as exc:
        return ("error", type(exc).__name__, str(exc))
    groups = [
        (g.name, g.instance_type, g.count, g.labels, g.allocatable, g.node_names)
        for g in snap.cluster.node_groups
    ]
    return ("read", snap.existing.to_dict(orient="list"), snap.skipped, groups)


def plain(docs: list[Any]) -> tuple[Any, ...]:
    """:func:`outcome` with no shortcut: every object a mapping that is not a dict and equals
    only itself."""
    return outcome([frozen(d) for d in docs])


def with_requests(p: dict[str, Any], requests: dict[str, Any]) -> dict[str, Any]:
    p["spec"]["containers"][0]["resources"] = {"requests": requests}
    return p


def per_node(existing: pd.DataFrame) -> dict[str, tuple[int, int, int]]:
    e = existing.assign(
        cpu=existing["cpu_millicores"] * existing["pods"],
        memory=existing["memory_bytes"] * existing["pods"],
    )
    sums = e.groupby("node")[["pods", "cpu", "memory"]].sum()
    return {str(n): (int(r["pods"]), int(r["cpu"]), int(r["memory"])) for n, r in sums.iterrows()}


def test_the_plain_path_is_taken_for_mappings_that_are_not_dicts() -> None:
    nodes, pods = kube_list([node(A)]), kube_list([pod("w", A)])
    assert snapshot._items(nodes, "n")[1] == "Node"
    assert snapshot._items(pods, "p")[1] == "Pod"
    assert snapshot._items(frozen(pods), "p")[1] is None
    mixed = kube_list([pod("w", A), node(B)])
    assert snapshot._items(mixed, "m")[1] is None
    odd = kube_list([pod("w", A), {**pod("v", A), "kind": {"a": 1}}])
    assert snapshot._items(odd, "o")[1] is None
    assert snapshot._items(kube_list([]), "e")[1] is None


@pytest.mark.parametrize("value", QUANTITIES)
def test_pods_of_one_owner_with_other_requests_keep_their_own(value: str) -> None:
    # Four pods of one ReplicaSet on A and B: two with the quantity, two with 100m / 64Mi.
    # The shortcut reuses a pod's requests only for equal containers.
    pods = [
        with_requests(pod("w-0", A), {"cpu": value, "memory": value}),
        with_requests(pod("w-1", B), {"cpu": "100m", "memory": "64Mi"}),
        with_requests(pod("w-2", A), {"cpu": value, "memory": value}),
        with_requests(pod("w-3", B), {"cpu": "100m", "memory": "64Mi"}),
    ]
    docs = [kube_list([node(A), node(B)]), kube_list(pods)]
    got = outcome(docs)
    assert got == plain(docs)
    if value == "1E":  # 10**18 cores: beyond int64 millicores, refused naming the first pod
        assert got[0] == "error"
        assert "items[0]" in got[2]
        assert "w-0" in got[2]
        return
    cpu = podcap.parse_cpu(value)
    memory = podcap.parse_memory(value)
    assert per_node(read(docs).existing) == {
        A: (2, 2 * cpu, 2 * memory),
        B: (2, 2 * 100, 2 * (64 << 20)),
    }


@pytest.mark.parametrize("bad", INVALID)
@pytest.mark.parametrize("position", [1, 3])
def test_an_invalid_request_after_equal_pods_is_refused_by_pod(bad: str, position: int) -> None:
    pods = [with_requests(pod(f"w-{i}", A), {"cpu": "100m"}) for i in range(4)]
    with_requests(pods[position], {"cpu": bad})
    docs = [kube_list([node(A)]), kube_list(pods)]
    got = outcome(docs)
    assert got == plain(docs)
    assert got[0] == "error"
    assert f"items[{position}]" in got[2]
    assert f"default/w-{position}" in got[2]
    assert "spec.containers[0].resources.requests.cpu" in got[2]


@pytest.mark.parametrize(
    "values",
    [
        ["1", 1, 1.0, "1000m"],  # one request spelt four ways: one row
        [1, 1.0, "1"],
        ["0.5", 0.5, "500m"],
        [True, 1],
        [1, True],
        ["1", True],
        [None, "1"],
    ],
)
def test_numbers_and_booleans_after_equal_numbers_match_the_plain_path(
    values: list[Any],
) -> None:
    # 1 == 1.0 == True for Python, not for a quantity: the shortcut must not merge them.
    pods = [with_requests(pod(f"w-{i}", A), {"cpu": v}) for i, v in enumerate(values)]
    docs = [kube_list([node(A)]), kube_list(pods)]
    got = outcome(docs)
    assert got == plain(docs)
    if any(v is True or v is None for v in values):
        assert got[0] == "error"
    else:
        assert got[0] == "read"
        assert got[1]["pods"] == [len(values)]


def test_requests_in_another_order_make_one_row() -> None:
    # {"cpu", "memory"} and {"memory", "cpu"} are equal requests: one row of 3 pods.
    pods = [
        with_requests(pod("w-0", A), {"cpu": "100m", "memory": "1.5Gi"}),
        with_requests(pod("w-1", A), {"memory": "1.5Gi", "cpu": "100m"}),
        with_requests(pod("w-2", A), {"cpu": "0.1", "memory": "1536Mi"}),
    ]
    docs = [kube_list([node(A)]), kube_list(pods)]
    snap = read(docs)
    assert snap.existing[["pods", "cpu_millicores", "memory_bytes"]].values.tolist() == [
        [3, 100, 3 << 29]
    ]
    assert outcome(docs) == plain(docs)


def test_init_containers_and_overhead_are_compared_too() -> None:
    # One owner: the same app container, then an init container (2 cpu wins), a sidecar
    # (100m + 1 cpu), an overhead (100m + 50m), and back to the plain pod (100m).
    def web(i: int) -> dict[str, Any]:
        return with_requests(pod(f"w-{i}", A), {"cpu": "100m"})

    init, sidecar, overhead = web(1), web(2), web(3)
    init["spec"]["initContainers"] = [{"name": "i", "resources": {"requests": {"cpu": "2"}}}]
    sidecar["spec"]["initContainers"] = [
        {"name": "i", "restartPolicy": "Always", "resources": {"requests": {"cpu": "1"}}}
    ]
    overhead["spec"]["overhead"] = {"cpu": "50m"}
    docs = [kube_list([node(A)]), kube_list([web(0), init, sidecar, overhead, web(4)])]
    snap = read(docs)
    rows = snap.existing[["pods", "cpu_millicores"]].values.tolist()
    assert sorted(rows) == sorted([[2, 100], [1, 2000], [1, 1100], [1, 150]])
    assert outcome(docs) == plain(docs)


def test_the_shortcut_matches_pods_read_one_at_a_time() -> None:
    # A mixed snapshot read whole equals the sum of its pods read one by one.
    pods = [*system_pods(A, "a"), *system_pods(B, "b")]
    for i, value in enumerate(QUANTITIES[:6] * 2):
        if value == "1E":
            value = "1k"
        p = with_requests(pod(f"w-{i}", A if i % 2 else B), {"cpu": value, "memory": value})
        if i % 3 == 0:
            p["spec"]["initContainers"] = [
                {"name": "i", "resources": {"limits": {"cpu": "1", "memory": "12Ki"}}}
            ]
        pods.append(p)
    nodes = kube_list([node(A), node(B)])
    whole = per_node(read([nodes, kube_list(pods)]).existing)
    alone: dict[str, tuple[int, int, int]] = {}
    for p in pods:
        for name, (n, c, m) in per_node(read([nodes, kube_list([p])]).existing).items():
            old = alone.get(name, (0, 0, 0))
            alone[name] = (old[0] + n, old[1] + c, old[2] + m)
    assert whole == alone
    docs = [nodes, kube_list(pods)]
    assert outcome(docs) == plain(docs)


def test_values_that_cannot_be_compared_take_the_plain_path() -> None:
    # Containers nested deeper than Python compares, and a NumPy array (objects passed in
    # by a program): the pods are then read on their own.
    deep: list[Any] = []
    for _ in range(sys.getrecursionlimit() + 100):
        deep = [deep]
    pods = []
    for i in range(3):
        p = with_requests(pod(f"w-{i}", A), {"cpu": "100m"})
        p["spec"]["containers"][0]["args"] = deep
        pods.append(p)
    for i in range(3, 5):
        p = with_requests(pod(f"w-{i}", A), {"cpu": "100m"})
        p["spec"]["containers"][0]["ports"] = np.arange(3)
        pods.append(p)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", podcap.PodcapWarning)
        snap = podcap.read_snapshot([kube_list([node(A)]), kube_list(pods)])
    assert snap.existing[["pods", "cpu_millicores"]].values.tolist() == [[5, 100]]


def test_nodes_with_equal_labels_but_the_hostname_share_one_group() -> None:
    names = [f"ip-{i}" for i in range(4)]
    docs = [kube_list([node(n, labels={"team": "a"}) for n in names])]
    snap = read(docs)
    (group,) = snap.cluster.node_groups
    assert group.node_names == tuple(names)
    assert group.labels["team"] == "a"
    assert outcome(docs) == plain(docs)


@pytest.mark.parametrize(
    "values",
    [
        ["1", 1, True, 1.0],  # equal for Python, four labels as text: 1, 1, True, 1.0
        [True, 1],
        [1.0, "1.0"],
        [None, "None"],
        [["a"], ["a"]],  # a list cannot be hashed: "['a']" is no label value
        [{"a": 1}, {"a": 1}],
    ],
)
def test_label_values_that_are_not_text_are_read_as_before(values: list[Any]) -> None:
    nodes, plain_nodes = [], []
    for i, v in enumerate(values):
        n = node(f"ip-{i}")
        n["metadata"]["labels"]["team"] = v
        nodes.append(n)
        shallow = copy.deepcopy(n)  # labels a mapping that is not a dict: no shortcut
        shallow["metadata"]["labels"] = Frozen(shallow["metadata"]["labels"])
        plain_nodes.append(shallow)
    got = outcome([kube_list(nodes)])
    assert got == outcome([kube_list(plain_nodes)])
    if isinstance(values[0], (list, dict)):
        assert got[0] == "error"
        assert "nodes ip-0, ip-1: NodeGroup 'm5.large-us-east-1a'.labels" in got[2]
        assert repr(str(values[0])) in got[2]
        return
    labels = {name: g[3]["team"] for g in got[3] for name in g[5]}
    assert labels == {f"ip-{i}": str(v) for i, v in enumerate(values)}


def test_node_errors_are_the_same_either_way() -> None:
    bad_labels = node("ip-1")
    bad_labels["metadata"]["labels"] = ["team", "a"]
    no_alloc = node("ip-2")
    del no_alloc["status"]["allocatable"]
    extended = node("ip-3")
    extended["status"]["allocatable"]["nvidia.com/gpu"] = "x"
    for broken in (bad_labels, no_alloc, extended):
        docs = [kube_list([node("ip-0"), broken])]
        got = outcome(docs)
        assert got[0] == "error"
        assert got == plain(docs)


class Agreeable(list[Any]):
    """A list that calls itself equal to anything, without saying ``True``."""

    def __eq__(self, other: object) -> Any:
        return "equal"

    __hash__ = None  # type: ignore[assignment]


def test_an_objects_own_idea_of_equality_is_not_trusted() -> None:
    # Containers that compare "equal" (not True) to anything: each pod is read on its own.
    pods = [
        with_requests(pod("w-0", A), {"cpu": "100m"}),
        with_requests(pod("w-1", A), {"cpu": "250m"}),
    ]
    for p in pods:
        p["spec"]["containers"] = Agreeable(p["spec"]["containers"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", podcap.PodcapWarning)
        snap = podcap.read_snapshot([kube_list([node(A)]), kube_list(pods)])
    assert sorted(snap.existing["cpu_millicores"].tolist()) == [100, 250]
