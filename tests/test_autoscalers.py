"""HorizontalPodAutoscalers keep their target's replicas within [minReplicas, maxReplicas]."""

from __future__ import annotations

import pytest

import podcap

CLUSTER = podcap.Cluster([podcap.NodeGroup("g", "m5.xlarge", 2)])


def deployment(replicas: int) -> dict[str, object]:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web", "namespace": "default"},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": "web"}},
            "template": {
                "metadata": {"labels": {"app": "web"}},
                "spec": {
                    "containers": [
                        {"name": "c", "image": "x", "resources": {"requests": {"cpu": "100m"}}}
                    ]
                },
            },
        },
    }


def hpa(api: str, low: int | None, high: int, target: str = "web") -> dict[str, object]:
    spec: dict[str, object] = {
        "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": target},
        "maxReplicas": high,
    }
    if low is not None:
        spec["minReplicas"] = low
    return {
        "apiVersion": api,
        "kind": "HorizontalPodAutoscaler",
        "metadata": {"name": "web", "namespace": "default"},
        "spec": spec,
    }


def desired(result: podcap.SimulationResult) -> int:
    return int(result.workloads.set_index("name").loc["web", "desired"])


@pytest.mark.parametrize("api", ["autoscaling/v2", "autoscaling/v1"])
@pytest.mark.parametrize(
    ("replicas", "low", "high", "expected"),
    [(2, 10, 20, 10), (30, 10, 20, 20), (15, 10, 20, 15), (0, 10, 20, 0), (2, None, 5, 2)],
)
def test_hpa_clamps_the_replicas(
    api: str, replicas: int, low: int | None, high: int, expected: int
) -> None:
    result = podcap.simulate(CLUSTER, [hpa(api, low, high), deployment(replicas)])
    assert desired(result) == expected


def test_hpa_applies_across_steps() -> None:
    # the HPA stays in effect: a later apply of the Deployment with fewer replicas is raised again
    sc = (
        podcap.Scenario(CLUSTER)
        .apply([deployment(3), hpa("autoscaling/v2", 8, 12)])
        .apply([deployment(1)])
    )
    assert [int(w.set_index("name").loc["web", "desired"]) for w in sc.run().workloads] == [8, 8]


def test_hpa_without_its_target_warns() -> None:
    with pytest.warns(podcap.PodcapWarning, match="targets Deployment api, which is not among"):
        podcap.simulate(CLUSTER, [deployment(2), hpa("autoscaling/v2", 3, 5, target="api")])


@pytest.mark.parametrize(
    ("low", "high", "message"),
    [
        (0, 5, "spec.minReplicas: must be an integer from 1"),
        (5, 3, "spec.maxReplicas: must be >= minReplicas"),
    ],
)
def test_hpa_bounds_are_validated(low: int, high: int, message: str) -> None:
    with pytest.raises(podcap.InvalidManifestError, match=message):
        podcap.load_manifests([hpa("autoscaling/v2", low, high)])


def _controller(kind: str, api: str, replicas: int) -> dict[str, object]:
    template = {
        "metadata": {"labels": {"app": "w"}},
        "spec": {
            "containers": [{"name": "c", "image": "x", "resources": {"requests": {"cpu": "100m"}}}]
        },
    }
    return {
        "apiVersion": api,
        "kind": kind,
        "metadata": {"name": "w"},
        "spec": {
            "replicas": replicas,
            # a ReplicationController's selector is a map of labels, not a LabelSelector
            "selector": {"app": "w"}
            if kind == "ReplicationController"
            else {"matchLabels": {"app": "w"}},
            "template": template,
        },
    }


@pytest.mark.parametrize(
    ("kind", "api"), [("ReplicationController", "v1"), ("Rollout", "argoproj.io/v1alpha1")]
)
def test_replication_controllers_and_rollouts_run_like_a_replicaset(kind: str, api: str) -> None:
    # both engines agree with the Deployment of the same template (default spreading included)
    for engine in ("fast", "reference"):
        ours = podcap.simulate(CLUSTER, [_controller(kind, api, 7)], engine=engine)  # type: ignore[arg-type]
        base = podcap.simulate(CLUSTER, [_controller("Deployment", "apps/v1", 7)], engine=engine)  # type: ignore[arg-type]
        row = ours.workloads.iloc[0]
        assert (row["kind"], int(row["desired"]), int(row["running"])) == (kind, 7, 7)
        assert list(ours.placements["pods"]) == list(base.placements["pods"])


def test_a_cronjob_is_listed_with_no_pods_between_runs() -> None:
    cron = {
        "apiVersion": "batch/v1",
        "kind": "CronJob",
        "metadata": {"name": "nightly"},
        "spec": {
            "schedule": "0 2 * * *",
            "jobTemplate": {
                "spec": {
                    "template": {
                        "spec": {
                            "restartPolicy": "Never",
                            "containers": [{"name": "c", "image": "x"}],
                        }
                    }
                }
            },
        },
    }
    manifests = podcap.load_manifests([cron])
    assert manifests.skipped == []
    row = podcap.simulate(CLUSTER, [cron]).workloads.iloc[0]
    assert (row["kind"], row["name"], int(row["desired"])) == ("CronJob", "nightly", 0)


def test_a_rollout_with_a_workload_ref_is_a_clear_error() -> None:
    rollout = {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Rollout",
        "metadata": {"name": "r"},
        "spec": {"replicas": 2, "workloadRef": {"kind": "Deployment", "name": "web"}},
    }
    with pytest.raises(podcap.InvalidManifestError, match=r"spec\.workloadRef"):
        podcap.load_manifests([rollout])


def scaled_object(low: int | None, high: int | None, **extra: object) -> dict[str, object]:
    spec: dict[str, object] = {"scaleTargetRef": {"name": "web"}, **extra}
    if low is not None:
        spec["minReplicaCount"] = low
    if high is not None:
        spec["maxReplicaCount"] = high
    return {
        "apiVersion": "keda.sh/v1alpha1",
        "kind": "ScaledObject",
        "metadata": {"name": "web-scaler", "namespace": "default"},
        "spec": spec,
    }


@pytest.mark.parametrize(
    ("replicas", "low", "high", "expected"),
    [
        (2, 10, 20, 10),  # minReplicaCount > 0 is the HPA's minReplicas
        (30, 10, 20, 20),
        (0, 5, 10, 5),  # KEDA sets a target below minReplicaCount to it, from 0 too
    ],
)
def test_keda_scaled_object_bounds_as_its_hpa(
    replicas: int, low: int | None, high: int | None, expected: int
) -> None:
    result = podcap.simulate(CLUSTER, [scaled_object(low, high), deployment(replicas)])
    assert desired(result) == expected
    row = result.workloads.set_index("name").loc["web"]
    assert row["desired_from"] == "ScaledObject web-scaler (as it starts)"


# KEDA pkg/scaling/executor/scale_scaledobjects.go (kedacore/keda 8b4f083ca8c8, v2.20.1-117),
# RequestScale with no trigger active: idleReplicaCount if set and below the replicas
# (scaleToZeroOrIdle -> getIdleOrMinimumReplicaCount), 0 for minReplicaCount 0, else
# minReplicaCount when below it; initialCooldownPeriod (default 0 s) delays the scale-in.
# With a trigger active a target at 0 or at idle is raised to max(minReplicaCount, 1)
# (scaleFromZeroOrIdle) and the HPA takes it up to maxReplicaCount.
SCALED = "ScaledObject web-scaler"
IDLE = "no trigger active: scaled to zero, minReplicaCount 0"


@pytest.mark.parametrize(
    ("replicas", "extra", "mode", "expected", "how"),
    [
        (3, {}, "start", 0, f"as it starts, {IDLE}"),  # minReplicaCount defaults to 0
        (150, {}, "start", 0, f"as it starts, {IDLE}"),
        (3, {}, "min", 0, f"what-if with {IDLE}"),
        (3, {}, "max", 100, "what-if at maxReplicaCount"),  # maxReplicaCount defaults to 100
        (0, {"maxReplicaCount": 7}, "max", 7, "what-if at maxReplicaCount"),  # from zero
        (
            4,
            {"minReplicaCount": 2, "idleReplicaCount": 0},
            "start",
            0,
            "as it starts, no trigger active: idleReplicaCount 0",
        ),
        (
            4,
            {"minReplicaCount": 2, "idleReplicaCount": 0},
            "min",
            0,
            "what-if with no trigger active: idleReplicaCount 0",
        ),
        (
            1,
            {"minReplicaCount": 5, "idleReplicaCount": 3},
            "start",
            1,
            "as it starts, no trigger active: idleReplicaCount 3",
        ),
        (0, {"minReplicaCount": 3}, "min", 3, "what-if at minReplicaCount"),
        (
            150,
            {"initialCooldownPeriod": 120},
            "start",
            100,
            "as it starts, within initialCooldownPeriod 120s",
        ),
        (
            0,
            {"initialCooldownPeriod": 120},
            "start",
            0,
            "as it starts, within initialCooldownPeriod 120s",
        ),
    ],
)
def test_keda_scale_to_zero_and_idle(
    replicas: int, extra: dict[str, object], mode: str, expected: int, how: str
) -> None:
    doc = scaled_object(None, None, **extra)
    result = podcap.simulate(CLUSTER, [doc, deployment(replicas)], hpa=mode)  # type: ignore[arg-type]
    assert desired(result) == expected
    assert result.workloads.set_index("name").loc["web", "desired_from"] == f"{SCALED} ({how})"


def test_keda_pause_annotations_are_named() -> None:
    doc = scaled_object(None, None)
    doc["metadata"] = {  # type: ignore[index]
        "name": "web-scaler",
        "annotations": {"autoscaling.keda.sh/paused-replicas": "2"},
    }
    with pytest.warns(
        podcap.PodcapWarning, match="autoscaling.keda.sh/paused-replicas not modelled"
    ):
        podcap.load_manifests([doc])


@pytest.mark.parametrize(("mode", "expected"), [("start", 2), ("min", 1), ("max", 40)])
def test_hpa_what_ifs(mode: str, expected: int) -> None:
    result = podcap.simulate(CLUSTER, [hpa("autoscaling/v2", None, 40), deployment(2)], hpa=mode)  # type: ignore[arg-type]
    assert desired(result) == expected
    row = result.workloads.set_index("name").loc["web"]
    how = "as it starts" if mode == "start" else f"what-if at {mode}Replicas"
    assert row["desired_from"] == f"HorizontalPodAutoscaler web ({how})"
    sc = podcap.Scenario(CLUSTER, hpa=mode).apply([hpa("autoscaling/v2", None, 40), deployment(2)])  # type: ignore[arg-type]
    assert int(sc.run().results[-1].workloads.set_index("name").loc["web", "desired"]) == expected


def test_unknown_what_if_modes_are_named() -> None:
    with pytest.raises(podcap.InvalidOptionError, match="unknown hpa mode 'peak'; valid: start"):
        podcap.simulate(CLUSTER, [deployment(1)], hpa="peak")  # type: ignore[arg-type]
    with pytest.raises(podcap.InvalidOptionError, match="unknown cronjobs mode 'all'; valid: idle"):
        podcap.simulate(CLUSTER, [deployment(1)], cronjobs="all")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({"minReplicaCount": 5, "maxReplicaCount": 2}, "MinReplicaCount=5 must be less than"),
        ({"minReplicaCount": 2, "idleReplicaCount": 2}, "IdleReplicaCount=2 must be less than"),
        # KEDA CheckReplicaCountBoundsAreValid: without minReplicaCount the minimum is 0
        ({"idleReplicaCount": 0}, "IdleReplicaCount=0 must be less than MinReplicaCount=0"),
        ({"maxReplicaCount": 0}, "field spec.maxReplicaCount: must be an integer from 1"),
        ({"maxReplicaCount": -1}, "field spec.maxReplicaCount: must be an integer from 1"),
        ({"minReplicaCount": True}, "field spec.minReplicaCount: must be an integer from 0"),
    ],
)
def test_bad_scaled_objects_are_named(spec: dict[str, object], message: str) -> None:
    doc = scaled_object(None, None, **spec)
    with pytest.raises(podcap.InvalidManifestError, match=message):
        podcap.simulate(CLUSTER, [doc, deployment(1)])


def cronjob(parallelism: int | None, completions: int | None) -> dict[str, object]:
    job: dict[str, object] = {
        "template": {
            "spec": {
                "restartPolicy": "Never",
                "containers": [{"name": "c", "resources": {"requests": {"cpu": "100m"}}}],
            }
        }
    }
    if parallelism is not None:
        job["parallelism"] = parallelism
    if completions is not None:
        job["completions"] = completions
    return {
        "apiVersion": "batch/v1",
        "kind": "CronJob",
        "metadata": {"name": "report"},
        "spec": {"schedule": "0 * * * *", "jobTemplate": {"spec": job}},
    }


@pytest.mark.parametrize(
    ("parallelism", "completions", "run"), [(None, None, 1), (4, None, 4), (4, 2, 2), (3, 10, 3)]
)
def test_cronjobs_idle_or_one_run(
    parallelism: int | None, completions: int | None, run: int
) -> None:
    idle = podcap.simulate(CLUSTER, [cronjob(parallelism, completions)])
    row = idle.workloads.set_index("name").loc["report"]
    assert (int(row["desired"]), row["desired_from"]) == (0, "no pods between runs")
    what_if = podcap.simulate(CLUSTER, [cronjob(parallelism, completions)], cronjobs="run")
    row = what_if.workloads.set_index("name").loc["report"]
    assert (int(row["desired"]), int(row["running"])) == (run, run)
    assert row["desired_from"] == "one run of its Job (what-if)"
