"""Karpenter consolidation what-ifs.

The behaviours restate kubernetes-sigs/karpenter ``pkg/controllers/disruption/`` tests
(``consolidation_test.go``, ``emptiness_test.go``, ``singlenodeconsolidation_test.go``, v1.14)
with real types; prices are Karpenter's us-east-1 table (m5.large $0.096/h, m5.xlarge
$0.192/h, m5.8xlarge $1.536/h).
"""

from __future__ import annotations

import pytest

import podcap
from podcap import Cluster, ClusterState, NodePool, Scenario
from podcap.errors import InvalidSpecError
from test_karpenter import M5_OD, ZONES, deployment


def cluster(**pool: object) -> ClusterState:
    return ClusterState.of(Cluster([])).with_node_pools(
        [NodePool("default", M5_OD, **pool)], zones=ZONES
    )


def anti(app: str) -> dict:
    return {
        "affinity": {
            "podAntiAffinity": {
                "requiredDuringSchedulingIgnoredDuringExecution": [
                    {
                        "labelSelector": {"matchLabels": {"app": app}},
                        "topologyKey": "kubernetes.io/hostname",
                    }
                ]
            }
        }
    }


def test_underused_node_is_replaced_by_a_cheaper_one():
    # consolidation_test.go "can replace node": 30 x 1 cpu on an m5.8xlarge, scaled to 2;
    # 2 x 1 cpu + 3 x 100m = 2,300m fit an m5.xlarge (3,920m allocatable), not an m5.large
    state, r = podcap.step(
        cluster(), [deployment("web", 30, "1", "1Gi"), deployment("api", 3, "100m", "100Mi")]
    )
    assert list(r.nodeclaims["instance_type"]) == ["m5.8xlarge"]
    state, _ = podcap.settle(state.scale(state.find("web"), 2))
    c = podcap.consolidate(state)
    assert list(
        c.commands[["method", "action", "replacement"]].itertuples(index=False, name=None)
    ) == [("single-node", "replace", "m5.xlarge")]
    assert c.cost_before == pytest.approx(1.536)
    assert c.cost_after == pytest.approx(0.192)
    assert int(c.result.workloads["running"].sum()) == 5


def test_empty_nodes_are_deleted_within_the_budget():
    # emptiness_test.go: empty nodes go; the default budget is 10 % of the NodePool's nodes,
    # rounded up (1 of 3), so one node per command
    state, r = podcap.step(cluster(), [deployment("db", 3, "100m", "100Mi", **anti("db"))])
    assert len(r.nodeclaims) == 3
    state, _ = podcap.settle(state.scale(state.find("db"), 0))
    c = podcap.consolidate(state)
    assert list(c.commands["method"]) == ["emptiness"] * 3
    assert [len(n.split(",")) for n in c.commands["nodes"]] == [1, 1, 1]
    assert c.cost_after == 0.0
    # a budget of 100 % deletes them in one command
    state, _ = podcap.step(
        cluster(budgets=("100%",)), [deployment("db", 3, "100m", "100Mi", **anti("db"))]
    )
    state, _ = podcap.settle(state.scale(state.find("db"), 0))
    c = podcap.consolidate(state)
    assert [len(n.split(",")) for n in c.commands["nodes"]] == [3]


def three_half_empty_nodes(**pool: object) -> ClusterState:
    # three m5.large hold 600m each once their 1,200m fillers are gone
    sc = Scenario(cluster(**pool))
    for i in range(3):
        sc.apply(
            [deployment(f"a{i}", 1, "600m", "100Mi"), deployment(f"f{i}", 1, "1200m", "100Mi")]
        )
    for i in range(3):
        sc.delete("Deployment", f"f{i}")
    state = sc.run().states[-1]
    assert len(state.fleet.names) == 3
    return state


def test_multi_node_consolidation_deletes_two_nodes_rather_than_replace_three_by_their_type():
    # multinodeconsolidation.go: the longest prefix that can be deleted or replaced by one
    # cheaper node; a replacement of the candidates' own type must be cheaper than the dearest
    # of them (filterOutSameInstanceType).  Three m5.large at 600m each: replacing all three by
    # an m5.large is filtered out, deleting two (their pods fit the third: 1,800m of 1,930m)
    # is valid.
    c = podcap.consolidate(three_half_empty_nodes(budgets=("100%",)))
    row = c.commands.iloc[0]
    assert (row.method, row.action, row.replacement) == ("multi-node", "delete", "")
    assert len(row.nodes.split(",")) == 2
    assert c.cost_before == pytest.approx(0.288)
    assert c.cost_after == pytest.approx(0.096)


def test_default_budget_disrupts_one_of_three_nodes_at_a_time():
    # 10 % of 3 nodes, rounded up, is 1: multi-node consolidation needs 2 candidates, so single
    # nodes are deleted one command at a time, ending on one node as well
    c = podcap.consolidate(three_half_empty_nodes())
    assert list(c.commands[["method", "action"]].itertuples(index=False, name=None)) == [
        ("single-node", "delete"),
        ("single-node", "delete"),
    ]
    assert c.cost_after == pytest.approx(0.096)
    assert int(c.result.workloads["running"].sum()) == 3


def test_nothing_when_no_cheaper_option():
    sc = Scenario(cluster())
    sc.apply([deployment("a", 1, "1", "100Mi")]).apply([deployment("b", 1, "1", "100Mi")])
    state = sc.run().states[-1]
    assert len(state.fleet.names) == 2
    c = podcap.consolidate(state)
    assert c.commands.empty
    assert c.cost_before == c.cost_after == pytest.approx(0.192)


def test_pdb_and_consolidate_after_never_block():
    pdb = {
        "apiVersion": "policy/v1",
        "kind": "PodDisruptionBudget",
        "metadata": {"name": "web"},
        "spec": {"minAvailable": 2, "selector": {"matchLabels": {"app": "web"}}},
    }
    state, _ = podcap.step(cluster(), [deployment("web", 30, "1", "1Gi"), pdb])
    state, _ = podcap.settle(state.scale(state.find("web"), 2))
    c = podcap.consolidate(state)
    assert c.commands.empty
    assert "PodDisruptionBudget" in c.not_candidates["reason"].iloc[0]
    state, _ = podcap.step(cluster(consolidate_after=None), [deployment("web", 1, "1", "1Gi")])
    state, _ = podcap.settle(state.scale(state.find("web"), 0))
    c = podcap.consolidate(state)
    assert c.commands.empty
    assert "consolidateAfter Never" in c.not_candidates["reason"].iloc[0]


def test_consolidate_needs_node_pools_and_is_a_scenario_step():
    with pytest.raises(InvalidSpecError, match="NodePools"):
        podcap.consolidate(ClusterState.of(Cluster([])))
    sc = Scenario(cluster())
    sc.apply([deployment("web", 30, "1", "1Gi")]).scale("web", 2).consolidate()
    out = sc.run()
    last = out.results[-1]
    assert int(last.workloads["running"].sum()) == 2
    # 2 x 1 cpu (2,000m) need an m5.xlarge (3,920m); the m5.8xlarge is replaced
    types = {g.instance_type for g in out.states[-1].fleet.groups}
    assert types == {"m5.xlarge"}


def test_remove_nodes_keeps_the_other_nodes_and_their_zones():
    cluster = Cluster([podcap.NodeGroup("ng", "m5.large", 3, zones=("a", "b", "c"))])
    state = ClusterState.of(cluster)
    after = state.remove_nodes(["ng-1"])
    assert list(after.fleet.names) == ["ng-0", "ng-2"]
    assert list(after.fleet.zone_names()) == ["a", "c"]
    with pytest.raises(InvalidSpecError, match="no node"):
        state.remove_nodes(["ng-9"])
