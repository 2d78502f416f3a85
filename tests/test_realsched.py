"""podcap against the real kube-scheduler v1.34.1 on the scenarios of ``tests/data/realsched``.

Each scenario (see its ``notes.md``) was run through the real scheduler's default profile in the
harness's queue mode, several times; ``answer.json`` holds, per workload, ``[min, max]`` over the
runs of the pods scheduled, pending and preempted and of the pods per zone: the tie noise.  Here
the same nodes (the harness's Node objects: allocatable, labels, taints, cordons) and the same
manifests, phase by phase, go through ``podcap.Scenario``; every number must fall inside its
range.  Bound pods are compared (running + waiting for an address): the harness has no pod IPs.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import podcap
from podcap.model.quantity import parse_cpu, parse_memory

DATA = Path(__file__).resolve().parent / "data" / "realsched"
SCENARIOS = sorted(p.name for p in DATA.iterdir() if (p / "answer.json").is_file())
_STANDARD_LABELS = {
    "kubernetes.io/hostname",
    "kubernetes.io/os",
    "kubernetes.io/arch",
    "beta.kubernetes.io/os",
    "beta.kubernetes.io/arch",
    "node.kubernetes.io/instance-type",
    "beta.kubernetes.io/instance-type",
    "topology.kubernetes.io/zone",
    "failure-domain.beta.kubernetes.io/zone",
    "topology.kubernetes.io/region",
    "failure-domain.beta.kubernetes.io/region",
}
_BASE = ("cpu", "memory", "pods", "ephemeral-storage")


def _cluster(nodes: list[dict[str, Any]]) -> podcap.Cluster:
    groups = []
    for i, node in enumerate(nodes):
        meta, spec = node["metadata"], node.get("spec") or {}
        labels = dict(meta.get("labels") or {})
        alloc = node["status"]["allocatable"]
        allocatable = {
            "cpu": parse_cpu(alloc["cpu"]),
            "memory": parse_memory(alloc["memory"]),
            "pods": int(alloc["pods"]),
            "ephemeral-storage": parse_memory(alloc.get("ephemeral-storage", "1Pi")),
        }
        extended = {k: int(v) for k, v in alloc.items() if k not in _BASE}
        taints = [
            t
            for t in spec.get("taints") or []
            if t["key"] != "node.kubernetes.io/unschedulable"  # podcap adds it for cordons
        ]
        groups.append(
            podcap.NodeGroup(
                f"n{i}",
                labels["node.kubernetes.io/instance-type"],
                1,
                zones=(labels["topology.kubernetes.io/zone"],),
                overhead="none",
                labels={k: v for k, v in labels.items() if k not in _STANDARD_LABELS},
                taints=tuple(taints),
                unschedulable=bool(spec.get("unschedulable", False)),
                extended_resources=extended,
                allocatable=allocatable,
                node_names=(meta["name"],),
            )
        )
    return podcap.Cluster(groups)


def _run(name: str, engine: str) -> tuple[podcap.ScenarioResult, dict[str, Any]]:
    folder = DATA / name
    harness = json.loads((folder / "scenario.json").read_text())
    answer = json.loads((folder / "answer.json").read_text())
    scoring = "MostAllocated" if harness["profile"] == "mostallocated" else "LeastAllocated"
    sc = podcap.Scenario(_cluster(harness["nodes"]), scoring=scoring, engine=engine)  # type: ignore[arg-type]
    for phase in ["manifests.yaml", "phase2.yaml", "phase3.yaml"]:
        if (folder / phase).is_file():
            sc = sc.apply(folder / phase)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", podcap.PodcapWarning)
        return sc.run(), answer["modes"]["queue"]


def _within(value: int, bounds: list[int], what: str) -> None:
    low, high = bounds
    assert low <= value <= high, f"{what}: podcap {value}, real scheduler [{low}, {high}]"


def _check(name: str, engine: str, texts: bool = False) -> None:
    result, real = _run(name, engine)
    last = result.results[-1]
    rows = last.workloads.set_index(["namespace", "name"])
    zone_of = dict(zip(last.nodes["node"], last.nodes["zone"], strict=True))
    placements = last.placements.copy()
    placements["zone"] = placements["node"].map(zone_of)
    for key, want in real["workloads"].items():
        ns, wname = key.split("/")
        row = rows.loc[(ns, wname)]
        bound = int(row["running"]) + int(row["container_creating"])
        _within(bound, want["scheduled"], f"{name} {key} scheduled")
        _within(int(row["pending"]), want["failed"], f"{name} {key} pending")
        preempted = 0
        for step in result.results:
            frame = step.workloads.set_index(["namespace", "name"])
            if (ns, wname) in frame.index:
                preempted += int(frame.loc[(ns, wname), "preempted"])
        _within(preempted, want["preempted"], f"{name} {key} preempted")
        if texts and want["failed"][0] > 0:
            assert row["reason"] == want["final_fail_reason"], key
        mine = placements[(placements["namespace"] == ns) & (placements["name"] == wname)]
        per_zone = mine.groupby("zone")["pods"].sum()
        for zone, bounds in want["per_zone"].items():
            _within(int(per_zone.get(zone, 0)), bounds, f"{name} {key} zone {zone}")


SMALL = [s for s in SCENARIOS if not s.startswith("14-")]


@pytest.mark.parametrize("engine", ["reference", "fast"])
def test_large_fleet_zones_are_within_the_real_spread(engine: str) -> None:
    # 14 with the default (deterministic) tie rule.  The zones are symmetric (60 nodes of the
    # same two groups each); over the five real runs a zone held 499 to 501 pods.
    result, real = _run("14-large-fleet-sampling", engine)
    last = result.results[-1]
    row = last.workloads.set_index("name").loc["api"]
    assert int(row["running"]) + int(row["container_creating"]) == 1500
    zone_of = dict(zip(last.nodes["node"], last.nodes["zone"], strict=True))
    per_zone = last.placements.groupby(last.placements["node"].map(zone_of))["pods"].sum()
    bounds = real["workloads"]["platform/api"]["per_zone"].values()
    low, high = min(b[0] for b in bounds), max(b[1] for b in bounds)
    assert all(low <= int(v) <= high for v in per_zone), per_zone.to_dict()


@pytest.mark.parametrize("name", SMALL)
def test_reference_engine_matches_the_real_scheduler(name: str) -> None:
    _check(name, "reference", texts=True)


@pytest.mark.parametrize("name", SMALL)
def test_fast_engine_matches_the_real_scheduler(name: str) -> None:
    _check(name, "fast", texts=True)


def _large_fleet(engine: str, seed: int) -> podcap.SimulationResult:
    """Scenario 14 with ``seed``."""
    folder = DATA / "14-large-fleet-sampling"
    harness = json.loads((folder / "scenario.json").read_text())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", podcap.PodcapWarning)
        return podcap.simulate(
            _cluster(harness["nodes"]), folder / "manifests.yaml", engine=engine, seed=seed
        )


def _m5_large(result: podcap.SimulationResult) -> int:
    """Pods on the m5.large group (every zone checked on the way)."""
    nodes = result.nodes.set_index("node")
    placed = result.placements.copy()
    placed["group"] = placed["node"].map(nodes["instance_type"])
    placed["zone"] = placed["node"].map(nodes["zone"])
    assert int(placed["pods"].sum()) == 1500
    assert all(abs(int(v) - 500) <= 2 for v in placed.groupby("zone")["pods"].sum())
    return int(placed.loc[placed["group"] == "m5.large", "pods"].sum())


def test_large_fleet_with_random_ties_is_within_the_real_spread() -> None:
    # 14: 1,500 pods on 180 nodes, node sampling.  The real scheduler breaks exact score ties at
    # random (an m5.large with 6 pods and an m5.xlarge with 11 tie here); with seed= each pod of
    # podcap draws among its best nodes too.  Over 20 seeds the mean on the m5.large group is
    # within 1 % of the five real runs' mean (measured: 801.9 against 798, the difference the
    # README states) and every seed within 10 pods of the real range; every zone holds 500 +- 2.
    groups = json.loads((DATA / "14-large-fleet-sampling" / "per_group.json").read_text())
    low, high = groups["per_group"]["ng-large"]
    runs = [run["ng-large"] for run in groups["per_run"].values()]
    real_mean = sum(runs) / len(runs)
    large = [_m5_large(_large_fleet("fast", seed)) for seed in range(1, 21)]
    assert abs(sum(large) / len(large) - real_mean) <= 0.01 * real_mean, large
    assert all(low - 10 <= x <= high + 10 for x in large), large


@pytest.mark.parametrize("seed", [1, 2])
def test_large_fleet_random_ties_are_the_same_in_both_engines(seed: int) -> None:
    fast, ref = _large_fleet("fast", seed), _large_fleet("reference", seed)
    pd.testing.assert_frame_equal(fast.workloads, ref.workloads)
    pd.testing.assert_frame_equal(fast.placements, ref.placements)
