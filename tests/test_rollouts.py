"""Argo Rollouts: the pods of an update held at a canary step or a blue-green preview.

Reference values: Argo Rollouts ``utils/replicaset/canary_test.go``
``TestApproximateWeightedNewStableReplicaCounts`` (commit 9f8d111d8f8e, v1.10.0-rc1-70), the
``CalculateReplicaCountsForTrafficRoutedCanary`` rule ``ceil(replicas * weight / 100)`` with the
stable left at 100% (``utils/replicaset/canary.go``) and ``NewRSNewReplicas`` for
``previewReplicaCount`` (``utils/replicaset/replicaset.go``).
"""

from __future__ import annotations

from typing import Any

import pytest

import podcap
from podcap.model.workloads import RolloutStrategy, canary_weighted_counts, rollout_step

CLUSTER = podcap.Cluster([podcap.NodeGroup("g", "m5.xlarge", 2)])


def rollout(
    strategy: dict[str, Any] | None, replicas: int = 10, cpu: str = "100m"
) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "replicas": replicas,
        "selector": {"matchLabels": {"app": "web"}},
        "template": {
            "metadata": {"labels": {"app": "web"}},
            "spec": {"containers": [{"name": "c", "resources": {"requests": {"cpu": cpu}}}]},
        },
    }
    if strategy is not None:
        spec["strategy"] = strategy
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Rollout",
        "metadata": {"name": "web", "namespace": "default"},
        "spec": spec,
    }


ROUTED = {"nginx": {"stableIngress": "web"}}


def rows(result: podcap.SimulationResult) -> dict[str, tuple[int, str]]:
    w = result.workloads.set_index("name")
    return {n: (int(w.loc[n, "desired"]), str(w.loc[n, "desired_from"])) for n in w.index}


# (replicas, weight, maxSurge) -> (canary, stable): rows of TestApproximateWeightedNewStableReplicaCounts
@pytest.mark.parametrize(
    ("replicas", "weight", "surge", "canary", "stable"),
    [
        (0, 50, 1, 0, 0),
        (1, 49, 0, 0, 1),
        (1, 50, 0, 1, 0),
        (1, 1, 1, 1, 1),
        (1, 100, 1, 1, 0),
        (2, 1, 0, 1, 1),
        (2, 1, 1, 1, 2),
        (2, 99, 1, 2, 1),
        (3, 25, 0, 1, 2),
        (3, 50, 0, 2, 1),
        (3, 10, 1, 1, 3),
        (3, 49, 1, 2, 2),
        (10, 14, 0, 1, 9),
        (10, 15, 0, 2, 8),
        (10, 99, 0, 9, 1),
        (10, 1, 1, 1, 10),
        (10, 19, 1, 2, 9),
        (10, 20, 1, 2, 8),
        (10, 24, 1, 3, 8),
        (10, 99, 1, 10, 1),
    ],
)
def test_basic_canary_counts_match_argo_rollouts(
    replicas: int, weight: int, surge: int, canary: int, stable: int
) -> None:
    assert canary_weighted_counts(replicas, weight, 100, surge) == (canary, stable)


def test_stable_by_default_and_the_canary_step_as_a_what_if() -> None:
    doc = rollout({"canary": {"steps": [{"setWeight": 20}, {"pause": {}}]}})
    assert rows(podcap.simulate(CLUSTER, [doc])) == {"web": (10, "spec")}
    text = "Rollout canary steps[0] (setWeight 20): 2 canary + 8 stable"
    result = podcap.simulate(CLUSTER, [doc], rollout="canary")
    assert rows(result) == {"web": (8, text), "web (canary)": (2, text)}
    assert int(result.workloads["running"].sum()) == 10


def test_a_step_index_takes_the_last_weight_at_or_before_it() -> None:
    steps = [{"pause": {}}, {"setWeight": 40}, {"pause": {}}, {"setWeight": 60}]
    doc = rollout({"canary": {"maxSurge": 0, "steps": steps}})
    # steps[0] sets no weight: 0 (GetCurrentSetWeight); "canary" is the first weight step
    assert rows(podcap.simulate(CLUSTER, [doc], rollout="canary:0"))["web (canary)"][0] == 0
    assert rows(podcap.simulate(CLUSTER, [doc], rollout="canary"))["web (canary)"][0] == 4
    assert rows(podcap.simulate(CLUSTER, [doc], rollout="canary:2"))["web"][0] == 6
    past = rows(podcap.simulate(CLUSTER, [doc], rollout="canary:9"))
    assert past["web (canary)"] == (
        10,
        "Rollout canary after its 4 steps (setWeight 100): 10 canary + 0 stable",
    )


def test_default_max_surge_is_25_percent_rounded_up() -> None:
    # 3 replicas at 10%: with a surge (25% of 3 -> 1) the canary runs beside all 3 stable pods
    doc = rollout({"canary": {"steps": [{"setWeight": 10}]}}, replicas=3)
    assert rows(podcap.simulate(CLUSTER, [doc], rollout="canary"))["web"][0] == 3
    no_surge = rollout({"canary": {"maxSurge": "0%", "steps": [{"setWeight": 10}]}}, replicas=3)
    assert rows(podcap.simulate(CLUSTER, [no_surge], rollout="canary"))["web"][0] == 2


def test_traffic_routed_canary_keeps_the_stable_at_full_size() -> None:
    doc = rollout({"canary": {"trafficRouting": ROUTED, "steps": [{"setWeight": 25}]}})
    text = "Rollout canary steps[0] (setWeight 25): 3 canary + 10 stable"
    assert rows(podcap.simulate(CLUSTER, [doc], rollout="canary")) == {
        "web": (10, text),
        "web (canary)": (3, text),
    }


def test_dynamic_stable_scale_and_set_canary_scale() -> None:
    dynamic = rollout(
        {
            "canary": {
                "trafficRouting": ROUTED,
                "dynamicStableScale": True,
                "steps": [{"setWeight": 25}],
            }
        }
    )
    got = rows(podcap.simulate(CLUSTER, [dynamic], rollout="canary"))
    assert (got["web (canary)"][0], got["web"][0]) == (3, 8)  # ceil(2.5), ceil(7.5)
    scaled = rollout(
        {
            "canary": {
                "trafficRouting": ROUTED,
                "steps": [{"setCanaryScale": {"replicas": 4}}, {"setWeight": 10}],
            }
        }
    )
    got = rows(podcap.simulate(CLUSTER, [scaled], rollout="canary:1"))
    assert (got["web (canary)"][0], got["web"][0]) == (4, 10)
    floor = rollout(
        {
            "canary": {
                "trafficRouting": ROUTED,
                "minPodsPerReplicaSet": 2,
                "steps": [{"setWeight": 5}],
            }
        }
    )
    assert rows(podcap.simulate(CLUSTER, [floor], rollout="canary"))["web (canary)"][0] == 2


def test_blue_green_preview() -> None:
    doc = rollout({"blueGreen": {"activeService": "a", "previewReplicaCount": 2}})
    text = (
        "Rollout blueGreen preview before promotion (previewReplicaCount 2): 2 preview + 10 active"
    )
    assert rows(podcap.simulate(CLUSTER, [doc], rollout="canary")) == {
        "web": (10, text),
        "web (preview)": (2, text),
    }
    full = rollout({"blueGreen": {"activeService": "a"}}, replicas=4)
    assert rows(podcap.simulate(CLUSTER, [full], rollout="canary"))["web (preview)"][0] == 4


def test_the_stable_pods_keep_the_previous_template() -> None:
    steps = {"canary": {"steps": [{"setWeight": 50}]}}
    st = podcap.ClusterState.of(CLUSTER)
    st, _ = podcap.step(st, [rollout(steps, replicas=4, cpu="100m")])
    st, result = podcap.step(st, [rollout(steps, replicas=4, cpu="1")], rollout="canary")
    w = st.workloads
    stable = w[("default", "Rollout", "web")]
    canary = w[("default", "Rollout", "web (canary)")]
    assert stable.template.containers[0].requests["cpu"] == 100
    assert canary.template.containers[0].requests["cpu"] == 1000
    assert rows(result)["web"][0] == 2
    assert rows(result)["web (canary)"][0] == 2
    # promotion (applied again as stable): the canary workload is gone, every pod is new
    st, result = podcap.step(st, [rollout(steps, replicas=4, cpu="1")])
    assert ("default", "Rollout", "web (canary)") not in st.workloads
    assert (
        st.workloads[("default", "Rollout", "web")].template.containers[0].requests["cpu"] == 1000
    )


def test_an_hpa_sets_the_replicas_the_step_splits() -> None:
    hpa = {
        "apiVersion": "autoscaling/v2",
        "kind": "HorizontalPodAutoscaler",
        "metadata": {"name": "web"},
        "spec": {
            "scaleTargetRef": {
                "apiVersion": "argoproj.io/v1alpha1",
                "kind": "Rollout",
                "name": "web",
            },
            "minReplicas": 20,
            "maxReplicas": 30,
        },
    }
    doc = rollout({"canary": {"maxSurge": 0, "steps": [{"setWeight": 20}]}})
    got = rows(podcap.simulate(CLUSTER, [hpa, doc], rollout="canary"))
    assert (got["web (canary)"][0], got["web"][0]) == (4, 16)
    assert "spec.replicas 20 from HorizontalPodAutoscaler web (as it starts)" in got["web"][1]


def test_the_option_is_checked() -> None:
    with pytest.raises(
        podcap.InvalidOptionError, match="unknown rollout mode 'blue'; valid: stable"
    ):
        podcap.simulate(CLUSTER, [rollout(None)], rollout="blue")
    with pytest.raises(podcap.InvalidOptionError, match="canary:<step index>"):
        podcap.Scenario(CLUSTER, rollout="canary:-1")


def test_a_rollout_without_a_strategy_says_so() -> None:
    got = rows(podcap.simulate(CLUSTER, [rollout(None)], rollout="canary"))
    assert got == {"web": (10, "spec (no spec.strategy: no canary or preview pods)")}


@pytest.mark.parametrize(
    ("strategy", "message"),
    [
        (
            {"canary": {"steps": [{"setWeight": 120}]}},
            r"steps\[0\]\.setWeight: must be an integer from 0 to 100",
        ),
        (
            {"canary": {"steps": [{"setCanaryScale": {"replicas": 1}}]}},
            "SetCanaryScale requires TrafficRouting",
        ),
        (
            {"canary": {"maxSurge": 0, "maxUnavailable": "0%"}},
            "MaxSurge and MaxUnavailable both can not be zero",
        ),
        (
            {"canary": {"maxSurge": "a lot"}},
            r"canary\.maxSurge: must be an integer >= 0 or a percentage",
        ),
        (
            {"canary": {"dynamicStableScale": True}},
            "dynamicStableScale can only be used with traffic routing",
        ),
        ({"canary": {}, "blueGreen": {}}, "Multiple Strategies can not be listed"),
        (
            {"blueGreen": {"previewReplicaCount": -1}},
            r"blueGreen\.previewReplicaCount: must be an integer from 0",
        ),
    ],
)
def test_bad_strategies_are_named(strategy: dict[str, Any], message: str) -> None:
    with pytest.raises(podcap.InvalidManifestError, match=message) as err:
        podcap.load_manifests([rollout(strategy)])
    assert "document 0 (Rollout web)" in str(err.value)


def test_rollout_step_reads_the_strategy_directly() -> None:
    s = RolloutStrategy("blueGreen", preview_replicas=0)
    assert (rollout_step(s, 5, None).new, rollout_step(s, 5, None).stable) == (0, 5)


def test_a_scenario_step_equals_simulate() -> None:
    doc = rollout({"canary": {"steps": [{"setWeight": 30}]}})
    once = rows(podcap.simulate(CLUSTER, [doc], rollout="canary"))
    sc = podcap.Scenario(CLUSTER, rollout="canary").apply([doc]).run()
    assert rows(sc.results[-1]) == once


def test_the_cli_takes_the_option(tmp_path: Any) -> None:
    import io

    import yaml

    from podcap.cli import main

    cluster = tmp_path / "cluster.yaml"
    cluster.write_text(
        yaml.safe_dump({"nodeGroups": [{"name": "g", "instanceType": "m5.xlarge", "count": 2}]})
    )
    app = tmp_path / "app.yaml"
    app.write_text(yaml.safe_dump(rollout({"canary": {"steps": [{"setWeight": 20}]}})))
    out = io.StringIO()
    main(["simulate", "--cluster", str(cluster), str(app), "--rollout", "canary"], stream=out)
    assert (
        "web (canary): Rollout canary steps[0] (setWeight 20): 2 canary + 8 stable"
        in out.getvalue()
    )


def test_a_held_rollout_keeps_its_counts_in_later_steps() -> None:
    hpa = {
        "apiVersion": "autoscaling/v2",
        "kind": "HorizontalPodAutoscaler",
        "metadata": {"name": "web"},
        "spec": {
            "scaleTargetRef": {"kind": "Rollout", "name": "web"},
            "minReplicas": 10,
            "maxReplicas": 30,
        },
    }
    doc = rollout({"canary": {"maxSurge": 0, "steps": [{"setWeight": 20}]}})
    other = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "p"},
        "spec": {"containers": [{"name": "c"}]},
    }
    sc = podcap.Scenario(CLUSTER, rollout="canary").apply([hpa, doc]).apply([other]).run()
    got = rows(sc.results[-1])
    assert (got["web"][0], got["web (canary)"][0]) == (8, 2)
