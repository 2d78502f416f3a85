"""A user's instance table is used by every path: capacity, fleets, addresses, readers, CLI.

The private type ``zz9.large`` and an overridden ``m5.large`` (2 ENIs x 5 IPv4) have limits no
bundled type has, so a path that silently used the bundled table gives a different number.
Expected values follow the formulas in docs/domain.md, computed by hand here:

* eni-max-pods: ``enis * (ipv4_per_eni - 1) + 2``.
* pod IPs (secondary-IP mode): ``enis * (ipv4_per_eni - 1)``; prefix delegation: x16.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import podcap
from podcap.cli import main

TABLE = """\
schema_version: 1
instance_types:
  zz9.large:
    enis: 3
    ipv4_per_eni: 7
    hypervisor: nitro
    vcpus: 4
    memory_mib: 16384
    arch: arm64
  m5.large:
    enis: 2
    ipv4_per_eni: 5
    hypervisor: nitro
    vcpus: 2
    memory_mib: 8192
    arch: amd64
"""

DEPLOY = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 40
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
        - name: c
          image: nginx
          resources: {requests: {cpu: 10m, memory: 16Mi}}
"""


@pytest.fixture
def table(tmp_path: Path) -> object:
    path = tmp_path / "table.yaml"
    path.write_text(TABLE)
    return podcap.load_instance_table(path)


def _running(result: podcap.SimulationResult) -> int:
    return int(result.workloads.set_index("name").loc["web", "running"])


def test_cluster_rejects_a_private_type_without_the_table() -> None:
    with pytest.raises(podcap.UnknownInstanceTypeError, match="NodeGroup 'g'"):
        podcap.Cluster([podcap.NodeGroup("g", "zz9.large", 1)])


def test_simulate_uses_the_clusters_table(table: object) -> None:
    # zz9.large: maxPods 3*6+2 = 20, pod IPs 18 -> 18 of 40 replicas run, the rest wait for IPs
    cluster = podcap.Cluster([podcap.NodeGroup("g", "zz9.large", 1)], table=table)
    result = podcap.simulate(cluster, DEPLOY)
    row = result.workloads.set_index("name").loc["web"]
    assert int(row["running"]) == 18
    assert int(row["running"]) + int(row["pending"]) + int(row["container_creating"]) == 40
    nodes = result.nodes
    assert int(nodes["pods_allocatable"].iloc[0]) == 20
    assert int(nodes["pod_ips_capacity"].iloc[0]) == 18


def test_override_of_a_bundled_type_is_used(table: object) -> None:
    # m5.large overridden to 2 ENIs x 5: maxPods 10, 8 pod IPs (bundled: 29 and 27)
    custom = podcap.Cluster([podcap.NodeGroup("g", "m5.large", 1)], table=table)
    bundled = podcap.Cluster([podcap.NodeGroup("g", "m5.large", 1)])
    assert _running(podcap.simulate(custom, DEPLOY)) == 8
    assert _running(podcap.simulate(bundled, DEPLOY)) == 27


def test_labels_come_from_the_table(table: object) -> None:
    # arch comes from the table: an arm64 selector matches the private type only
    manifest = DEPLOY.replace(
        "      containers:", "      nodeSelector: {kubernetes.io/arch: arm64}\n      containers:"
    )
    cluster = podcap.Cluster(
        [podcap.NodeGroup("a", "zz9.large", 1), podcap.NodeGroup("b", "m5.large", 1)],
        table=table,
    )
    placements = podcap.simulate(cluster, manifest).placements
    assert set(placements["node"]) == {"a-0"}


def test_prefix_delegation_with_the_table(table: object) -> None:
    # prefix delegation: 18 slots x 16 = 288 addresses, maxPods from the calculator (110 cap)
    cni = podcap.VpcCni(prefix_delegation=True)
    cluster = podcap.Cluster(
        [podcap.NodeGroup("g", "zz9.large", 1, cni=cni, max_pods=40)], table=table
    )
    result = podcap.simulate(cluster, DEPLOY)
    assert int(result.nodes["pod_ips_capacity"].iloc[0]) == 288
    assert _running(result) == 40


def test_table_survives_every_state_change(table: object) -> None:
    cluster = podcap.Cluster([podcap.NodeGroup("g", "zz9.large", 1)], table=table)
    state = podcap.ClusterState.of(cluster)
    grown = state.change_node_group("g", count=2)
    assert grown.cluster.table is table
    assert grown.set_cni({"WARM_IP_TARGET": "1"}).cluster.table is table
    assert cluster.with_group("g", count=3).table is table
    # 2 nodes x 18 pod IPs
    assert _running(podcap.simulate(grown, DEPLOY)) == 36


def test_scenario_sweep_and_min_nodes_use_the_table(table: object) -> None:
    cluster = podcap.Cluster([podcap.NodeGroup("g", "zz9.large", 1)], table=table)
    sc = podcap.Scenario(cluster).apply(DEPLOY).change_node_group("g", count=3)
    frame = sc.run().frame
    # step 1: 20 pods bound (maxPods), 18 with an IP; step 2: the 20 pending pods run on the two
    # new nodes, the 2 bound without an IP stay ContainerCreating on the first node
    assert list(frame["running"]) == [18, 38]
    assert list(frame["container_creating"]) == [2, 2]
    assert int(podcap.min_nodes(cluster, DEPLOY, "g")["nodes"]) == 3
    swept = podcap.sweep(cluster, DEPLOY, {"g.count": [1, 2]})
    assert list(swept["running"]) == [18, 36]


def test_cheapest_instance_type_uses_the_table(table: object) -> None:
    cluster = podcap.Cluster([podcap.NodeGroup("g", "zz9.large", 1)], table=table)
    frame = podcap.cheapest_instance_type(cluster, DEPLOY, "g", ["zz9.large", "m5.large"])
    nodes = dict(zip(frame["instance_type"], frame["nodes"], strict=True))
    assert nodes == {"zz9.large": 3, "m5.large": 5}


def test_read_cluster_with_a_table(tmp_path: Path, table: object) -> None:
    path = tmp_path / "cluster.yaml"
    path.write_text("nodeGroups:\n  - {name: g, instanceType: zz9.large, count: 1}\n")
    with pytest.raises(podcap.PodcapError, match=r"nodeGroups\[0\].*zz9.large"):
        podcap.read_cluster(path)
    state = podcap.read_cluster(path, table=table)
    assert _running(podcap.simulate(state, DEPLOY)) == 18


def test_eksctl_reader_with_a_table(tmp_path: Path, table: object) -> None:
    path = tmp_path / "eksctl.yaml"
    path.write_text(
        "apiVersion: eksctl.io/v1alpha5\nkind: ClusterConfig\n"
        "metadata: {name: c, region: us-east-1}\n"
        "managedNodeGroups:\n  - {name: g, instanceType: zz9.large, desiredCapacity: 1}\n"
    )
    state = podcap.read_cluster(path, table=table, system_pods=False)
    assert state.cluster.table is table
    assert int(podcap.simulate(state, DEPLOY).nodes["pods_allocatable"].iloc[0]) == 20


def test_cli_table_flag(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "table.yaml").write_text(TABLE)
    (tmp_path / "cluster.yaml").write_text(
        "nodeGroups:\n  - {name: g, instanceType: zz9.large, count: 1}\n"
    )
    (tmp_path / "web.yaml").write_text(DEPLOY)
    args = [str(tmp_path / "web.yaml"), "--cluster", str(tmp_path / "cluster.yaml")]
    assert main(["simulate", *args, "--output", "csv"]) == 2
    capsys.readouterr()
    assert (
        main(["simulate", *args, "--table", str(tmp_path / "table.yaml"), "--output", "csv"]) == 0
    )
    out = capsys.readouterr().out
    assert "web" in out
    import io

    import pandas as pd

    frame = pd.read_csv(io.StringIO(out))
    assert int(frame.set_index("name").loc["web", "running"]) == 18


def test_a_table_edited_in_place_is_derived_afresh(table: object) -> None:
    import pandas as pd

    assert isinstance(table, pd.DataFrame)
    assert int(podcap.max_pods("zz9.large", table=table)) == 3 * 6 + 2
    table.loc["zz9.large", "enis"] = 4
    assert int(podcap.max_pods("zz9.large", table=table)) == 4 * 6 + 2


def test_network_limits_alone_are_enough_with_a_full_allocatable(tmp_path: Path) -> None:
    # only the required fields: no vCPUs or memory, so no overhead model; the nodes' real
    # allocatable is given in full, as a snapshot gives it
    path = tmp_path / "t.yaml"
    path.write_text(
        "schema_version: 1\ninstance_types:\n  zz1.large: {enis: 3, ipv4_per_eni: 10}\n"
    )
    table = podcap.load_instance_table(path, extend_bundled=False)
    alloc = {"cpu": 1930, "memory": 7 << 30, "ephemeral-storage": 18 << 30, "pods": 29}
    group = podcap.NodeGroup("g", "zz1.large", 1, overhead="none", allocatable=alloc)
    result = podcap.simulate(podcap.Cluster([group], table=table), DEPLOY)
    assert int(result.nodes["pod_ips_capacity"].iloc[0]) == 27
    assert _running(result) == 27
