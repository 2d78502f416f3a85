"""The memory guard: a simulation whose arrays cannot fit is refused before they are allocated."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import yaml

import podcap
from podcap.cli import main


def huge_cluster() -> podcap.Cluster:
    # 200 groups of the largest size a group may have: 2,000,000,000 nodes, about 1.3 TiB of
    # per-node arrays
    groups = [podcap.NodeGroup(f"g{i}", "m5.large", 10_000_000) for i in range(200)]
    return podcap.Cluster(groups)


def test_a_huge_fleet_is_refused_before_anything_is_allocated() -> None:
    start = time.perf_counter()
    with pytest.raises(podcap.SimulationTooLargeError) as info:
        podcap.simulate(huge_cluster(), [])
    assert time.perf_counter() - start < 5
    message = str(info.value)
    assert message.startswith(
        "a simulation of 2,000,000,000 nodes and 0 workloads needs about 1,303.9 GiB for its "
        "arrays, more than the "
    )
    assert "simulate fewer nodes" in message
    assert "set PODCAP_MEMORY_LIMIT (bytes, or a quantity such as 64Gi)" in message


def test_the_error_is_a_memory_error_and_a_podcap_error() -> None:
    assert issubclass(podcap.SimulationTooLargeError, MemoryError)
    assert issubclass(podcap.SimulationTooLargeError, podcap.PodcapError)


def test_the_limit_can_be_set(monkeypatch: pytest.MonkeyPatch) -> None:
    cluster = podcap.Cluster([podcap.NodeGroup("g", "m5.large", 10_000)])
    monkeypatch.setenv("PODCAP_MEMORY_LIMIT", "1Mi")
    with pytest.raises(podcap.SimulationTooLargeError) as info:
        podcap.simulate(cluster, [])
    assert str(info.value).startswith(
        "a simulation of 10,000 nodes and 0 workloads needs about 6.7 MiB for its arrays, more "
        "than the 1.0 MiB of PODCAP_MEMORY_LIMIT=1Mi; "
    )
    monkeypatch.setenv("PODCAP_MEMORY_LIMIT", str(64 << 20))  # plain bytes
    assert podcap.simulate(cluster, []).nodes.shape[0] == 10_000


def test_workloads_count_per_node(monkeypatch: pytest.MonkeyPatch) -> None:
    # 2,000 nodes: 1.3 MiB for the fleet; each workload adds 96 B per node (about 0.18 MiB)
    cluster = podcap.Cluster([podcap.NodeGroup("g", "m5.large", 2_000)])
    pods = [
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": f"p{i}"},
            "spec": {"containers": [{"name": "c", "image": "x"}]},
        }
        for i in range(20)
    ]
    monkeypatch.setenv("PODCAP_MEMORY_LIMIT", "4Mi")
    assert podcap.check_simulation_size(2_000, 5, 5) < 4 << 20
    with pytest.raises(
        podcap.SimulationTooLargeError, match=r"^a simulation of 2,000 nodes and 20 workloads"
    ):
        podcap.simulate(cluster, pods)


def test_the_estimate() -> None:
    assert podcap.check_simulation_size(1_000, 2, 500) == 1_000 * 700 + 2_000 * 96 + 500 * 64
    assert podcap.check_simulation_size(0, 0) == 0
    # extended resources beyond the four standard ones
    assert podcap.check_simulation_size(10, 0, resources=6) == 10 * (700 + 2 * 16)


@pytest.mark.parametrize("raw", ["lots", "0", "-5Gi", ""])
def test_a_bad_limit_setting_is_named(monkeypatch: pytest.MonkeyPatch, raw: str) -> None:
    monkeypatch.setenv("PODCAP_MEMORY_LIMIT", raw)
    with pytest.raises(podcap.InvalidOptionError) as info:
        podcap.check_simulation_size(10)
    assert str(info.value) == (
        f"environment variable PODCAP_MEMORY_LIMIT={raw!r}: expected bytes as a whole number or "
        "a quantity such as '64Gi'"
    )


def test_the_command_line_prints_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    cluster = tmp_path / "cluster.yaml"
    groups = [{"name": f"g{i}", "instanceType": "m5.large", "count": 10_000_000} for i in range(3)]
    cluster.write_text(yaml.safe_dump({"nodeGroups": groups}))
    pod = tmp_path / "pod.yaml"
    pod.write_text(
        "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {containers: [{name: c}]}\n"
    )
    monkeypatch.setenv("PODCAP_MEMORY_LIMIT", "16Gi")
    assert main(["simulate", "--cluster", str(cluster), str(pod)]) == 2
    err = capsys.readouterr().err
    assert err.splitlines() == [
        "podcap: error: a simulation of 30,000,000 nodes and 0 workloads needs about 19.6 GiB "
        "for its arrays, more than the 16.0 GiB of PODCAP_MEMORY_LIMIT=16Gi; simulate fewer "
        "nodes (the nodes of a group are identical, so a fraction of each group with the same "
        "fraction of the replicas shows the same limits), or set PODCAP_MEMORY_LIMIT (bytes, or "
        "a quantity such as 64Gi) on a machine with more memory"
    ]
