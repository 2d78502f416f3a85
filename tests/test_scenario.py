"""Timelines: pods keep the requests they were admitted with."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

import podcap
import podcap.cli

ROOT = Path(__file__).resolve().parents[1]
SEED = ROOT / "examples" / "seed"


def nginx(result: podcap.ScenarioResult, step: int) -> tuple[int, int]:
    row = result.workloads[step].set_index("name").loc["nginx"]
    return int(row["running"]), int(row["pending"])


def test_seed_story_timeline() -> None:
    # Step 1: 33 Running (see tests/test_simulate.py for the arithmetic).
    # Step 2: deleting the LimitRange changes no existing pod: still 33 / 47.
    # Step 3: maxPods 100 -> 200 with a node replacement: the 33 evicted pods are recreated
    #   without requests (no LimitRange any more); the 47 Pending pods are older and keep 100m,
    #   so they are scheduled first and again only 33 of them fit the cpu (same nodes, same system
    #   pods); the 33 recreated zero-request pods all fit (maxPods 200): 66 Running, 14 Pending.
    # Step 4: rollout restart recreates all 80 without requests: 80 Running.
    # Step 5: 150 replicas without requests, maxPods 200 and 432 pod IPs per worker: 150 Running.
    result = podcap.Scenario.from_yaml(SEED / "scenario.yaml").run()
    assert [nginx(result, i) for i in range(5)] == [(33, 47), (33, 47), (66, 14), (80, 0), (150, 0)]
    cpu = [
        int(w.set_index("name").loc["nginx", "cpu_request_millicores"]) for w in result.workloads
    ]
    assert cpu[0] == 100
    assert cpu[3] == 0


def test_outcomes_add_up_every_step() -> None:
    result = podcap.Scenario.from_yaml(SEED / "scenario.yaml").run()
    frame = result.frame
    outcome = frame[["running", "pending", "container_creating", "not_created", "rejected"]]
    assert (outcome.sum(axis=1) == frame["desired"]).all()
    assert list(frame["step"].unique()) == [1, 2, 3, 4, 5]


def test_cli_scenario_json() -> None:
    out = io.StringIO()
    assert (
        podcap.cli.main(["scenario", str(SEED / "scenario.yaml"), "--output", "json"], stream=out)
        == 0
    )
    steps = json.loads(out.getvalue())
    assert len(steps) == 5
    assert set(steps[0]) == {"step", "workloads"}
    running = [next(w["running"] for w in s["workloads"] if w["name"] == "nginx") for s in steps]
    assert running == [33, 33, 66, 80, 150]


def test_unknown_workload_in_a_step() -> None:
    cluster = podcap.load_cluster(SEED / "cluster.yaml")
    sc = podcap.Scenario(cluster).apply(SEED / "manifests").scale("nginxx", 3)
    with pytest.raises(podcap.PodcapError, match="no workload default/nginxx"):
        sc.run()


def test_unknown_node_group_in_a_step() -> None:
    cluster = podcap.load_cluster(SEED / "cluster.yaml")
    sc = podcap.Scenario(cluster).apply(SEED / "manifests").change_node_group("nope", max_pods=3)
    with pytest.raises(podcap.PodcapError, match="no node group 'nope'"):
        sc.run()


def test_scale_down_removes_pending_first() -> None:
    cluster = podcap.load_cluster(SEED / "cluster.yaml")
    result = podcap.Scenario(cluster).apply(SEED / "manifests").scale("nginx", 40).run()
    # 40 replicas: the 33 running stay, 7 of the 47 pending remain.
    assert nginx(result, 1) == (33, 7)


def test_bad_scenario_file(tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    path.write_text("cluster: x.yaml\nsteps:\n  - jump: {}\n")
    with pytest.raises(podcap.PodcapError):
        podcap.Scenario.from_yaml(path)
