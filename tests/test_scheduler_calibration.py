"""Calibration of the placement engines against real kube-scheduler v1.34.1 placements.

The scenarios come from ``tests/data/kube_scheduler_sample.json`` (see the README next to
it): the real scheduler's default profile placing the replicas of one ReplicaSet on a few nodes.
Each scenario runs through ``podcap.simulate`` with both engines: one node group per node with
the node's real allocatable, and a Deployment (so the system-default spreading applies, as it
does to the ReplicaSet's pods in the real runs).
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path
from typing import Any

import pytest

import podcap

REFERENCE = Path(__file__).resolve().parents[1] / "tests" / "data"
SAMPLE = REFERENCE / "kube_scheduler_sample.json"

pytestmark = pytest.mark.skipif(
    not SAMPLE.is_file(), reason=f"real kube-scheduler sample not found at {SAMPLE}"
)

#: Effectively unlimited ephemeral storage [B] (the scenarios do not constrain it).
_LARGE_STORAGE = 1 << 50
ENGINES = ("fast", "reference")


def _scenarios() -> list[dict[str, Any]]:
    if not SAMPLE.is_file():
        return []
    data = json.loads(SAMPLE.read_text())
    return list(data["scenarios"])


SCENARIOS = _scenarios()
IDS = [s["id"] for s in SCENARIOS]


def _scenario(prefix: str) -> dict[str, Any]:
    matches = [s for s in SCENARIOS if s["id"].startswith(prefix)]
    assert len(matches) == 1, f"expected one scenario starting with {prefix!r}, got {IDS}"
    return matches[0]


def _cluster(scenario: dict[str, Any]) -> podcap.Cluster:
    groups = []
    for i, nd in enumerate(scenario["input"]["nodes"]):
        groups.append(
            podcap.NodeGroup(
                f"n{i}",
                "m5.large",
                1,
                zones=(nd["zone"],),
                allocatable={
                    "cpu": nd["cpu_milli"],
                    "memory": nd["memory_bytes"],
                    "pods": nd["pods_allocatable"],
                    "ephemeral-storage": _LARGE_STORAGE,
                },
                node_names=(nd["name"],),
            )
        )
    return podcap.Cluster(groups)


def _deployment(scenario: dict[str, Any]) -> dict[str, Any]:
    pod = scenario["input"]["pod"]
    requests = {"cpu": f"{pod['cpu_milli']}m"}
    if pod["memory_bytes"]:
        requests["memory"] = str(pod["memory_bytes"])
    labels = {"app": "sample"}
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "sample"},
        "spec": {
            "replicas": int(scenario["input"]["replicas"]),
            "selector": {"matchLabels": labels},
            "template": {
                "metadata": {"labels": labels},
                "spec": {
                    "hostNetwork": True,  # no pod IPs: the scenarios are about scheduling
                    "containers": [
                        {"name": "c", "image": "x", "resources": {"requests": requests}}
                    ],
                },
            },
        },
    }


def _simulate(engine: str, scenario: dict[str, Any]) -> podcap.SimulationResult:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", podcap.PodcapWarning)
        return podcap.simulate(_cluster(scenario), [_deployment(scenario)], engine=engine)  # type: ignore[arg-type]


def _place(engine: str, scenario: dict[str, Any]) -> dict[str, int]:
    result = _simulate(engine, scenario)
    bound = result.placements.groupby("node")["pods"].sum()
    return {nd["name"]: int(bound.get(nd["name"], 0)) for nd in scenario["input"]["nodes"]}


def _real_runs(scenario: dict[str, Any]) -> list[dict[str, Any]]:
    return [*scenario["runs"], scenario["seeded_reproducible_run"]]


def test_sample_has_the_calibration_scenarios() -> None:
    assert {i.split("_")[0] for i in IDS} >= {"s1", "s3", "s6"}
    for s in SCENARIOS:
        assert len(s["runs"]) == 6
        assert s["seeded_reproducible_run"]["seed"] == 1


@pytest.mark.parametrize("engine", sorted(ENGINES))
@pytest.mark.parametrize("scenario", SCENARIOS, ids=IDS)
def test_scheduled_count_matches_real_scheduler(scenario: dict[str, Any], engine: str) -> None:
    counts = _place(engine, scenario)
    real = {r["scheduled"] for r in _real_runs(scenario)}
    assert len(real) == 1, "the number scheduled is order-independent in the real runs"
    (scheduled,) = real
    assert sum(counts.values()) == scheduled
    failed = {r["failed"] for r in _real_runs(scenario)}
    assert failed == {scenario["input"]["replicas"] - scheduled}


@pytest.mark.parametrize("engine", sorted(ENGINES))
@pytest.mark.parametrize("scenario", SCENARIOS, ids=IDS)
def test_per_node_counts_match_real_scheduler(scenario: dict[str, Any], engine: str) -> None:
    counts = _place(engine, scenario)
    runs = _real_runs(scenario)
    outcomes = {tuple(sorted(r["per_node"].items())) for r in runs}
    seeded = scenario["seeded_reproducible_run"]["per_node"]
    if len(outcomes) == 1:
        # every real run agrees: the placement is not tie noise, match it exactly
        assert counts == seeded
    else:
        # tie noise: within one pod per node of some real run
        distance = [max(abs(counts[k] - r["per_node"][k]) for k in counts) for r in runs]
        assert min(distance) <= 1, f"podcap {counts}; real runs {[r['per_node'] for r in runs]}"


@pytest.mark.parametrize("engine", sorted(ENGINES))
@pytest.mark.parametrize("prefix", ["s1", "s3"])
def test_unanimous_scenarios_are_matched_exactly(prefix: str, engine: str) -> None:
    scenario = _scenario(prefix)
    runs = _real_runs(scenario)
    assert all(r["per_node"] == runs[0]["per_node"] for r in runs)
    assert _place(engine, scenario) == scenario["seeded_reproducible_run"]["per_node"]


@pytest.mark.parametrize("engine", sorted(ENGINES))
def test_s6_tie_noise_is_within_one_pod(engine: str) -> None:
    scenario = _scenario("s6")
    runs = _real_runs(scenario)
    assert len({tuple(sorted(r["per_node"].items())) for r in runs}) > 1
    counts = _place(engine, scenario)
    assert sum(counts.values()) == 30
    assert any(max(abs(counts[k] - r["per_node"][k]) for k in counts) <= 1 for r in runs)


def test_fast_and_reference_agree_on_the_samples() -> None:
    for scenario in SCENARIOS:
        assert _place("fast", scenario) == _place("reference", scenario), scenario["id"]


@pytest.mark.parametrize("engine", sorted(ENGINES))
def test_s3_failed_scheduling_text(engine: str) -> None:
    scenario = _scenario("s3")
    result = _simulate(engine, scenario)
    text = str(result.workloads.set_index("name").loc["sample", "reason"])
    real = scenario["seeded_reproducible_run"]["fail_reason"]
    first_sentence = real[: real.index(".") + 1]
    assert first_sentence == "0/4 nodes are available: 4 Insufficient memory."
    assert {r["fail_reason"] for r in _real_runs(scenario)} == {real}
    assert text.startswith(first_sentence), text
