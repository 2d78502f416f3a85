"""What-if studies: sweeps, executors, inverse questions, plots and the example notebook."""

from __future__ import annotations

import json
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import matplotlib
import pandas as pd
import pytest

import podcap

matplotlib.use("Agg")

ROOT = Path(__file__).resolve().parents[1]
SEED = ROOT / "examples" / "seed"
VARY = {
    "workers.max_pods": [100, 200],
    "limits.present": [True, False],
    "nginx.replicas": [80, 150],
}


@pytest.fixture(scope="module")
def cluster() -> podcap.Cluster:
    return podcap.load_cluster(SEED / "cluster.yaml")


def test_sweep_equals_individual_simulations(cluster: podcap.Cluster) -> None:
    frame = podcap.sweep(cluster, SEED / "manifests", VARY, progress=False)
    assert frame["case"].nunique() == 8  # 2 x 2 x 2 grid
    for case_id, part in frame.groupby("case"):
        first = part.iloc[0]
        case = {k: first[k] for k in VARY}
        from podcap.analysis.sweep import apply_case

        c, m = apply_case(cluster, podcap.load_manifests(SEED / "manifests"), case)
        alone = podcap.simulate(c, m).workloads.reset_index(drop=True)
        got = part[list(alone.columns)].reset_index(drop=True)
        pd.testing.assert_frame_equal(got, alone, check_dtype=False, obj=f"case {case_id}")


def test_sweep_seed_numbers(cluster: podcap.Cluster) -> None:
    frame = podcap.sweep(cluster, SEED / "manifests", VARY, progress=False)
    nginx = frame[frame["name"] == "nginx"].set_index(list(VARY))
    # With the LimitRange the 100m requests bind at 33 whatever maxPods or replicas.
    assert nginx.loc[(100, True, 80), "running"] == 33
    assert nginx.loc[(200, True, 150), "running"] == 33
    assert nginx.loc[(100, True, 80), "binding_limit"] == "cpu"
    # Without it, maxPods 100 binds: 2 x 100 pods minus the system pods on the workers
    # (3 DaemonSets each, coredns x2, autoscaler, ebs controller = 10) = 190 >= 150.
    assert nginx.loc[(100, False, 150), "running"] == 150


def test_executors_give_identical_frames(cluster: podcap.Cluster) -> None:
    serial = podcap.sweep(cluster, SEED / "manifests", VARY, progress=False)
    with ProcessPoolExecutor(max_workers=2) as pool:
        parallel = podcap.sweep(cluster, SEED / "manifests", VARY, executor=pool, progress=False)
    pd.testing.assert_frame_equal(serial, parallel)


def test_dask_executor_gives_identical_frames(cluster: podcap.Cluster) -> None:
    distributed = pytest.importorskip("distributed")
    serial = podcap.sweep(cluster, SEED / "manifests", VARY, progress=False)
    with (
        distributed.LocalCluster(
            n_workers=1, threads_per_worker=2, processes=False, dashboard_address=None
        ) as lc,
        distributed.Client(lc) as client,
    ):
        frame = podcap.sweep(
            cluster, SEED / "manifests", VARY, executor=client.get_executor(), progress=False
        )
    pd.testing.assert_frame_equal(serial, frame)


def test_sweep_errors(cluster: podcap.Cluster) -> None:
    with pytest.raises(podcap.InvalidOptionError, match=r"unknown parameter 'workers\.maxpods'"):
        podcap.sweep(cluster, SEED / "manifests", {"workers.maxpods": [1]})
    with pytest.raises(podcap.InvalidOptionError, match="empty"):
        podcap.sweep(cluster, SEED / "manifests", {})
    with pytest.raises(podcap.InvalidOptionError, match="grid is empty"):
        podcap.sweep(cluster, SEED / "manifests", {"workers.count": []})
    with pytest.raises(podcap.InvalidOptionError, match="case"):
        podcap.sweep(cluster, SEED / "manifests", {"workers.count": [-1]})


def test_explicit_cases(cluster: podcap.Cluster) -> None:
    cases: list[dict[str, Any]] = [
        {"workers.instance_type": "c5d.large"},
        {"workers.instance_type": "c5d.xlarge"},
    ]
    frame = podcap.sweep(cluster, SEED / "manifests", cases, progress=False)
    running = frame[frame["name"] == "nginx"].set_index("workers.instance_type")["running"]
    assert running["c5d.large"] == 33
    # c5d.xlarge: 4 vCPU -> 4000m per worker (kOps: no kube-reserved). Each worker runs 180m of
    # DaemonSets and one coredns (100m); the autoscaler (20m) and the EBS controller (60m) take
    # one worker each: floor(3700 / 100) + floor(3660 / 100) = 37 + 36 = 73.
    assert running["c5d.xlarge"] == 73


def test_min_nodes_is_minimal(cluster: podcap.Cluster) -> None:
    answer = podcap.min_nodes(cluster, SEED / "manifests", "workers", workload="nginx")
    n = int(answer["nodes"])
    ms = podcap.load_manifests(SEED / "manifests")

    def nginx_running(count: int) -> int:
        r = podcap.simulate(cluster.with_group("workers", count=count), ms)
        return int(r.workloads.set_index("name").loc["nginx", "running"])

    assert nginx_running(n) == 80
    assert nginx_running(n - 1) < 80  # one node fewer does not fit
    assert answer["binding_limit"] == "cpu"


def test_min_nodes_impossible() -> None:
    c = podcap.Cluster([podcap.NodeGroup("w", "t3.micro", 1)])
    huge = {
        "kind": "Deployment",
        "metadata": {"name": "big"},
        "spec": {
            "replicas": 1,
            "template": {
                "spec": {"containers": [{"name": "c", "resources": {"requests": {"cpu": "64"}}}]}
            },
        },
    }
    with pytest.raises(podcap.PodcapError, match="do not run every replica"):
        podcap.min_nodes(c, [huge], "w", max_count=8)


def test_cheapest_instance_type(cluster: podcap.Cluster) -> None:
    prices = {"c5d.large": 1.0, "c5d.xlarge": 1.5}
    frame = podcap.cheapest_instance_type(
        cluster,
        SEED / "manifests",
        "workers",
        ["c5d.large", "c5d.xlarge"],
        prices=prices,
        workload="nginx",
    )
    assert list(frame.columns[:4]) == ["node_group", "instance_type", "nodes", "binding_limit"]
    assert (frame["total_price"] == frame["price_per_node"] * frame["nodes"]).all()
    assert frame["total_price"].is_monotonic_increasing
    with pytest.raises(podcap.InvalidOptionError, match="prices has no entry"):
        podcap.cheapest_instance_type(
            cluster, SEED / "manifests", "workers", ["m5.large"], prices=prices
        )


def test_plots_render_without_a_display(cluster: podcap.Cluster, tmp_path: Path) -> None:
    result = podcap.simulate(cluster, SEED / "manifests")
    ax = result.plot()
    assert len(ax.patches) == 4 * len(result.nodes)  # four limits per node
    ax.figure.savefig(tmp_path / "nodes.png")
    timeline = podcap.Scenario.from_yaml(SEED / "scenario.yaml").run()
    ax = timeline.plot(workload="nginx")
    ax.figure.savefig(tmp_path / "timeline.png")
    frame = podcap.sweep(cluster, SEED / "manifests", {"workers.count": [2, 3]}, progress=False)
    ax = frame.pipe(podcap.plot.sweep, x="workers.count", workload="nginx")
    assert list(ax.lines[0].get_ydata()) == [33, 51]
    ax = podcap.plot.sweep_heatmap(
        podcap.sweep(
            cluster,
            SEED / "manifests",
            {"workers.count": [2, 3], "nginx.replicas": [40, 80]},
            progress=False,
        ),
        x="workers.count",
        y="nginx.replicas",
        workload="nginx",
    )
    ax.figure.savefig(tmp_path / "heat.png")
    for name in ("nodes.png", "timeline.png", "heat.png"):
        assert (tmp_path / name).stat().st_size > 1000
    with pytest.raises(podcap.InvalidOptionError, match="not in the sweep frame"):
        podcap.plot.sweep(frame, x="nope")


def test_example_notebook_runs() -> None:
    # Execute every code cell of the example notebook in one namespace (no Jupyter needed).
    nb = json.loads((ROOT / "examples" / "capacity_study.ipynb").read_text())
    namespace: dict[str, Any] = {"__name__": "__notebook__"}
    import os

    cwd = os.getcwd()
    os.chdir(ROOT / "examples")
    try:
        for cell in nb["cells"]:
            if cell["cell_type"] == "code":
                exec(compile("".join(cell["source"]), "capacity_study.ipynb", "exec"), namespace)
    finally:
        os.chdir(cwd)
    steps = namespace["steps"]
    assert list(steps["running"]) == [33, 33, 66, 80, 150]
    ranking = namespace["ranking"]
    assert ranking["total_price"].is_monotonic_increasing
    assert set(ranking["instance_type"]) == set(namespace["candidates"])
