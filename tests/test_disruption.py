"""PodDisruptionBudgets: the disruption controller's disruptionsAllowed and DefaultPreemption's
use of it (filterPodsWithPDBViolation, pickOneNodeForPreemption), both engines."""

from __future__ import annotations

from typing import Any

import pytest

import podcap
from podcap.model.disruption import DisruptionBudget
from podcap.model.workloads import LabelSelector


def _deployment(
    name: str, replicas: int, cpu: str, pool: str | None, priority: str
) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "containers": [{"name": "c", "resources": {"requests": {"cpu": cpu}}}],
        "priorityClassName": priority,
    }
    if pool:
        spec["nodeSelector"] = {"pool": pool}
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": name}},
            "template": {"metadata": {"labels": {"app": name}}, "spec": spec},
        },
    }


def _pdb(target: str, **spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": "policy/v1",
        "kind": "PodDisruptionBudget",
        "metadata": {"name": f"{target}-pdb"},
        "spec": {"selector": {"matchLabels": {"app": target}}, **spec},
    }


PRIORITIES = [
    {
        "apiVersion": "scheduling.k8s.io/v1",
        "kind": "PriorityClass",
        "metadata": {"name": n},
        "value": v,
    }
    for n, v in (("low", 10), ("high", 1000))
]
CLUSTER = podcap.Cluster(
    [
        podcap.NodeGroup("one", "m5.large", 1, labels={"pool": "one"}),
        podcap.NodeGroup("two", "m5.large", 1, labels={"pool": "two"}),
    ]
)


def _preempted(budgets: list[dict[str, Any]], engine: str) -> dict[str, int]:
    # b runs on node two and is older than a on node one; one 1-cpu pod of "urgent" must evict
    # one 800m pod.  Without budgets the scheduler picks node one (its victim started later).
    manifests = [
        *PRIORITIES,
        _deployment("b", 2, "800m", "two", "low"),
        _deployment("a", 2, "800m", "one", "low"),
        *budgets,
    ]
    sc = podcap.Scenario(CLUSTER, engine=engine).apply(manifests)  # type: ignore[arg-type]
    sc = sc.apply([*PRIORITIES, _deployment("urgent", 1, "1", None, "high")])
    last = sc.run().results[-1].workloads.set_index("name")
    assert int(last.loc["urgent", "running"]) == 1
    return {n: int(last.loc[n, "preempted"]) for n in ("a", "b")}


@pytest.mark.parametrize("engine", ["fast", "reference"])
def test_without_budgets_the_newest_victim_goes(engine: str) -> None:
    assert _preempted([], engine) == {"a": 1, "b": 0}


@pytest.mark.parametrize("engine", ["fast", "reference"])
def test_a_budget_with_no_disruption_left_moves_the_preemption(engine: str) -> None:
    assert _preempted([_pdb("a", minAvailable=2)], engine) == {"a": 0, "b": 1}
    assert _preempted([_pdb("a", maxUnavailable=0)], engine) == {"a": 0, "b": 1}
    assert _preempted([_pdb("a", minAvailable="100%")], engine) == {"a": 0, "b": 1}


@pytest.mark.parametrize("engine", ["fast", "reference"])
def test_a_budget_that_allows_the_disruption_changes_nothing(engine: str) -> None:
    assert _preempted([_pdb("a", minAvailable=1)], engine) == {"a": 1, "b": 0}
    assert _preempted([_pdb("a", maxUnavailable="50%")], engine) == {"a": 1, "b": 0}


@pytest.mark.parametrize("engine", ["fast", "reference"])
def test_budgets_on_both_still_let_the_pod_preempt(engine: str) -> None:
    # every candidate violates one budget: respected where possible, not at any price
    got = _preempted([_pdb("a", minAvailable=2), _pdb("b", minAvailable=2)], engine)
    assert got == {"a": 1, "b": 0}


def test_disruptions_allowed_is_the_controllers_arithmetic() -> None:
    sel = LabelSelector((("app", "web"),))
    # (min_available, max_unavailable, healthy, covered pods, scale) -> disruptionsAllowed
    cases = [
        (2, None, 3, 3, 3, 1),
        (5, None, 3, 3, 3, 0),
        ("50%", None, 3, 4, 4, 1),  # desired = ceil(2) = 2
        ("30%", None, 3, 3, 3, 2),  # desired = ceil(0.9) = 1
        (None, 1, 3, 3, 3, 1),  # desired = 3 - 1
        (None, "34%", 3, 3, 3, 2),  # maxUnavailable rounds up: ceil(1.02) = 2 -> desired 1
        (None, 0, 3, 3, 3, 0),
        (None, None, 3, 3, 3, 0),  # neither: expected 0
        (1, None, 0, 0, 0, 0),
    ]
    for low, high, healthy, covered, scale, want in cases:
        b = DisruptionBudget("default", "p", sel, low, high)
        assert b.allowed(healthy, covered, scale) == want, (low, high, healthy)


def test_an_empty_or_missing_selector_covers_nothing() -> None:
    assert not DisruptionBudget("default", "p", None, 1).covers("default", {"app": "x"})
    assert not DisruptionBudget("default", "p", LabelSelector(), 1).covers("default", {"app": "x"})
    sel = LabelSelector((("app", "x"),))
    assert DisruptionBudget("default", "p", sel, 1).covers("default", {"app": "x"})
    assert not DisruptionBudget("default", "p", sel, 1).covers("other", {"app": "x"})


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        (
            {"minAvailable": 1, "maxUnavailable": 1},
            "field spec: minAvailable and maxUnavailable cannot be both set",
        ),
        (
            {"minAvailable": "half"},
            "field spec.minAvailable: a valid percent string must be a numeric string followed "
            "by an ending '%', got 'half'",
        ),
        ({"maxUnavailable": "150%"}, "field spec.maxUnavailable: must not be greater than 100%"),
        ({"minAvailable": -1}, "field spec.minAvailable: must be greater than or equal to 0"),
        ({"minAvailable": [1]}, "field spec.minAvailable: must be an integer or a percentage"),
    ],
)
def test_bad_budgets_are_named(spec: dict[str, Any], message: str) -> None:
    doc = {"apiVersion": "policy/v1", "kind": "PodDisruptionBudget", "metadata": {"name": "p"}}
    doc["spec"] = {"selector": {"matchLabels": {"app": "a"}}, **spec}
    with pytest.raises(podcap.InvalidManifestError) as err:
        podcap.simulate(CLUSTER, [doc])
    assert "document 0 (PodDisruptionBudget p), " + message in str(err.value)


def test_budgets_are_read_and_kept_by_name() -> None:
    state = podcap.ClusterState.of(CLUSTER).apply([_pdb("a", minAvailable=1)])
    state = state.apply([_pdb("a", maxUnavailable="25%")])
    (budget,) = state.budgets.values()
    assert (budget.namespace, budget.name, budget.max_unavailable) == ("default", "a-pdb", "25%")
    assert budget.min_available is None


def _drain_case(min_available: int):
    import podcap

    cluster = podcap.Cluster(
        [
            podcap.NodeGroup("a", "m5.large", 2, zones=("z1",)),
            podcap.NodeGroup("b", "m5.large", 3, zones=("z1",)),
        ]
    )
    web = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web"},
        "spec": {
            "replicas": 4,
            "selector": {"matchLabels": {"app": "web"}},
            "template": {
                "metadata": {"labels": {"app": "web"}},
                "spec": {"containers": [{"name": "c", "resources": {"requests": {"cpu": "1"}}}]},
            },
        },
    }
    pdb = {
        "apiVersion": "policy/v1",
        "kind": "PodDisruptionBudget",
        "metadata": {"name": "web"},
        "spec": {"minAvailable": min_available, "selector": {"matchLabels": {"app": "web"}}},
    }
    return podcap.Scenario(cluster).apply([web, pdb]).drain("a")


def test_drain_evicts_in_rounds_the_budget_allows():
    # kubectl drain evicts through the Eviction API, which refuses an eviction that would
    # leave fewer than minAvailable healthy pods; kubectl retries.  One pod of 1 cpu fits an
    # m5.large (1,930m): 2 on group a, 2 on group b.  minAvailable 3 lets one go at a time; the
    # first goes to b's free node, then the second may go too and stays Pending.
    out = _drain_case(3).run()
    last = out.states[-1]
    assert last.pods_on("a") == 0
    web = out.results[-1].workloads.set_index("name").loc["web"]
    assert (web.running, web.pending) == (3, 1)


def test_drain_blocked_by_a_budget_keeps_the_pods_and_says_so():
    import pytest

    from podcap.errors import PodcapWarning

    with pytest.warns(PodcapWarning, match="drain of node group a incomplete: 2 pod"):
        out = _drain_case(4).run()
    assert out.states[-1].pods_on("a") == 2
    assert int(out.results[-1].workloads.set_index("name").loc["web"].running) == 4


def test_a_drain_step_reports_the_nodes_its_rounds_added():
    # the drain's rounds settle in between; the step's result keeps what they did
    import podcap

    cluster = podcap.Cluster(
        [
            podcap.NodeGroup("a", "m5.large", 2, zones=("z1",)),
            podcap.NodeGroup("b", "m5.large", 0, zones=("z1",), max_count=5),
        ]
    )
    state = podcap.ClusterState.of(cluster).with_cluster_autoscaler()
    web = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web"},
        "spec": {
            "replicas": 2,
            "selector": {"matchLabels": {"app": "web"}},
            "template": {
                "metadata": {"labels": {"app": "web"}},
                "spec": {"containers": [{"name": "c", "resources": {"requests": {"cpu": "1"}}}]},
            },
        },
    }
    pdb = {
        "apiVersion": "policy/v1",
        "kind": "PodDisruptionBudget",
        "metadata": {"name": "web"},
        "spec": {"maxUnavailable": 1, "selector": {"matchLabels": {"app": "web"}}},
    }
    out = podcap.Scenario(state).apply([web, pdb]).drain("a").run()
    # one pod at a time: each eviction's replacement needs a new node of group b (1 cpu per
    # m5.large), added by the cluster-autoscaler in the round it was evicted
    assert int(out.results[-1].scale_ups["nodes"].sum()) == 2
    assert out.states[-1].pods_on("a") == 0
