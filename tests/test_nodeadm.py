"""nodeadm NodeConfigs (node.eks.aws/v1alpha1) and the kubelet settings they give a node.

Expected values from amazon-eks-ami's nodeadm source, worked by hand:

* ``nodeadm/internal/kubelet/eni_max_pods.go`` ``CalcMaxPods``: maxPods = default ENIs x (IPv4
  per ENI - 1) + 2, or ``maxPodsExpression`` (CEL over default_enis, ips_per_eni, max_pods); a
  failing, non-integer or non-positive expression falls back to the formula.  Its test table
  (``eni_max_pods_test.go``) has the expressions used below.
* ``config.go`` ``withDefaultReservedResources``: kube-reserved memory ``11 x maxPods + 255``
  MiB with nodeadm's maxPods (the expression's, not ``kubelet.config.maxPods``); evictionHard
  ``memory.available: 100Mi``.
* ``internal/api/merge.go``: later NodeConfigs win, maps merge key by key, flags append;
  ``configprovider/mime.go``: ``application/node.eks.aws`` parts of MIME user data.
* The kubelet: flags over config files (a map flag replaces the map); ``podsPerCore`` caps
  maxPods at ``podsPerCore x cores``.

m5.large: 3 ENIs x 10 IPv4, 2 vCPUs: nodeadm maxPods 3 x 9 + 2 = 29, kube-reserved memory
11 x 29 + 255 = 574 MiB.  m5.xlarge: 4 x 15: 58.
"""

from __future__ import annotations

import base64
import io
import json
import textwrap
import warnings
from pathlib import Path

import pytest

import podcap
from podcap.cli import main
from podcap.io.clusters import read_cluster_input
from podcap.io.nodeadm import (
    NodeConfig,
    apply_node_config,
    eval_max_pods_expression,
    nodeadm_max_pods,
    read_node_configs,
)
from podcap.model.fleet import build_fleet

REPO = Path(__file__).resolve().parents[1]
EKSCTL = REPO / "examples" / "eksctl" / "cluster.yaml"
SEED_APP = REPO / "examples" / "seed" / "manifests" / "app.yaml"
MIB = 1 << 20


def node_config(kubelet: str) -> str:
    return (
        "apiVersion: node.eks.aws/v1alpha1\nkind: NodeConfig\nspec:\n  kubelet:\n"
        + textwrap.indent(textwrap.dedent(kubelet).strip("\n"), "    ")
        + "\n"
    )


def one_node(group: podcap.NodeGroup) -> dict[str, int]:
    fleet = build_fleet(podcap.Cluster([group]))
    return {
        "pods": int(fleet.pods_alloc[0]),
        "cpu": int(fleet.alloc[fleet.resources.index("cpu"), 0]),
        "memory": int(fleet.alloc[fleet.resources.index("memory"), 0]),
    }


BASE = podcap.NodeGroup("w", "m5.large", 1, max_pods_policy="nodeadm")


# ---------------------------------------------------------------------------------------------
# maxPodsExpression


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("417", 417),
        ("(default_enis * (ips_per_eni - 1)) + 2", 29),
        ("(default_enis * ((ips_per_eni - 1) * 16)) + 2", 3 * 9 * 16 + 2),
        ("((default_enis - 1) * (ips_per_eni - 1)) + 2", 2 * 9 + 2),
        ("max_pods < 30 ? max_pods : 30", 29),
        ("max_pods + 2", 31),
        ("max_pods / 2 * 2 + max_pods % 2", 29),
        ("-(-max_pods) > 0 && !(max_pods == 1) ? 7 : 8", 7),
    ],
)
def test_max_pods_expression(expression: str, expected: int) -> None:
    assert nodeadm_max_pods("m5.large", expression) == expected


@pytest.mark.parametrize(
    ("expression", "why"),
    [
        ("max_pods - 29", "the result 0 is not a positive integer"),
        ("max_pods - 31", "the result -2 is not a positive integer"),
        ("true", "the result true is not an integer"),
        ("default_enis + fake_variable", "undeclared reference to 'fake_variable'"),
        ("max_pods / 0", "division by zero"),
        ("9223372036854775807 + max_pods", "integer overflow"),
        ("2147483648", "not a positive integer below 2^31"),
    ],
)
def test_expression_fallback_warns(expression: str, why: str) -> None:
    with pytest.warns(podcap.PodcapWarning) as record:
        assert nodeadm_max_pods("m5.large", expression) == 29
    message = str(record[0].message)
    assert why in message
    assert message.endswith("nodeadm falls back to its formula (29 pods)")


def test_expression_podcap_cannot_read_is_an_error() -> None:
    with pytest.raises(podcap.InvalidManifestError) as err:
        eval_max_pods_expression(
            "math.least(max_pods, 50)", default_enis=3, ips_per_eni=10, max_pods=29
        )
    assert str(err.value) == (
        "maxPodsExpression 'math.least(max_pods, 50)': podcap does not evaluate CEL functions "
        "(math); podcap evaluates integers, default_enis, ips_per_eni, max_pods, + - * / %, "
        "comparisons, && || ! and ?: (set spec.kubelet.config.maxPods instead)"
    )


# ---------------------------------------------------------------------------------------------
# reading user data and merging


def test_mime_user_data_merges_parts_in_order() -> None:
    first = node_config(
        """
        config:
          maxPods: 40
          kubeReserved: {cpu: 100m, memory: 1Gi}
        flags: [--node-labels=a=1]
        """
    )
    second = node_config(
        """
        config:
          kubeReserved: {memory: 512Mi}
          evictionHard: {memory.available: 200Mi}
        flags: [--node-labels=b=2]
        """
    )
    encoded = base64.b64encode(second.encode()).decode()
    user_data = (
        'MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary="BOUNDARY"\n\n'
        '--BOUNDARY\nContent-Type: text/x-shellscript; charset="us-ascii"\n\n'
        "#!/bin/bash\necho hello\n\n"
        f"--BOUNDARY\nContent-Type: application/node.eks.aws\n\n{first}\n"
        "--BOUNDARY\nContent-Type: application/node.eks.aws\n"
        f"Content-Transfer-Encoding: base64\n\n{encoded}\n"
        "--BOUNDARY--\n"
    )
    configs = read_node_configs(user_data, "user-data")
    assert [c.where for c in configs] == [
        "user-data, MIME part 2, document 0",
        "user-data, MIME part 3, document 0",
    ]
    merged = NodeConfig.merged(configs)
    assert merged is not None
    assert merged.max_pods == 40
    assert dict(merged.kube_reserved) == {"cpu": "100m", "memory": "512Mi"}  # key by key
    assert dict(merged.eviction_hard) == {"memory.available": "200Mi"}
    assert merged.flags == ("--node-labels=a=1", "--node-labels=b=2")  # appended
    group = apply_node_config(BASE, merged)
    node = one_node(group)
    assert node["pods"] == 40
    assert node["cpu"] == 2000 - 100
    # memory: 512 MiB kube-reserved instead of 574, 200 MiB eviction instead of 100: 38 MiB less
    base = one_node(BASE)
    assert node["memory"] == base["memory"] - 38 * MIB
    assert group.labels == {"a": "1", "b": "2"}


def test_shell_scripts_and_other_documents_are_no_node_config() -> None:
    assert read_node_configs("#!/bin/bash\n/etc/eks/bootstrap.sh my-cluster\n", "x") == []
    script = "#!/bin/bash\ncat <<EOF > /tmp/nc.yaml\n" + node_config("config: {}") + "EOF\n"
    assert read_node_configs(script, "x") == []
    assert read_node_configs("[settings.kubernetes]\nmax-pods = 10\n", "x") == []
    text = "kind: ConfigMap\napiVersion: v1\n---\n" + node_config("config: {maxPods: 9}")
    assert [c.max_pods for c in read_node_configs(text, "x")] == [9]


def test_node_config_errors() -> None:
    with pytest.raises(podcap.InvalidManifestError) as err:
        read_node_configs(node_config("config: {maxPods: many}"), "nc.yaml")
    assert str(err.value) == (
        "nc.yaml, document 0, spec.kubelet.config.maxPods: expected an integer from 1 to "
        "2147483647, got 'many'"
    )
    with pytest.raises(podcap.InvalidManifestError) as err:
        read_node_configs("apiVersion: node.eks.aws/v1beta9\nkind: NodeConfig\n", "nc.yaml")
    assert str(err.value) == (
        "nc.yaml, document 0: expected apiVersion node.eks.aws/v1alpha1, kind NodeConfig; got "
        "'node.eks.aws/v1beta9', 'NodeConfig'"
    )
    with pytest.raises(podcap.InvalidManifestError, match=r"spec\.kubelet\.flags: expected a list"):
        read_node_configs(node_config("flags: --max-pods=3"), "nc.yaml")
    with pytest.raises(podcap.InvalidManifestError) as err:
        read_node_configs(node_config("config: {kubeReserved: {cpu: [1]}}"), "nc.yaml")
    assert "spec.kubelet.config.kubeReserved.cpu: expected a quantity such as 100m" in str(
        err.value
    )
    config = NodeConfig.merged(read_node_configs(node_config("flags: [--eviction-hard=x]"), "f"))
    assert config is not None
    with pytest.raises(podcap.InvalidManifestError) as err:
        apply_node_config(BASE, config)
    assert str(err.value) == (
        "f, document 0, spec.kubelet.flags[0]: expected KEY<VALUE pairs separated by commas, "
        "got 'x'"
    )


# ---------------------------------------------------------------------------------------------
# the kubelet's values


def test_kube_reserved_memory_follows_the_expression_not_config_max_pods() -> None:
    config = NodeConfig.from_document(
        {
            "apiVersion": "node.eks.aws/v1alpha1",
            "kind": "NodeConfig",
            "spec": {"kubelet": {"maxPodsExpression": "max_pods * 2", "config": {"maxPods": 100}}},
        },
        "doc",
    )
    node = one_node(apply_node_config(BASE, config))
    # the kubelet runs with config maxPods 100; nodeadm reserved memory for the expression's
    # 58: 11 * 58 + 255 = 893 MiB instead of 574 (319 MiB more)
    assert node["pods"] == 100
    assert node["memory"] == one_node(BASE)["memory"] - 319 * MIB


def test_flags_over_config() -> None:
    config = NodeConfig.merged(
        read_node_configs(
            node_config(
                """
                config:
                  maxPods: 80
                  kubeReserved: {cpu: 300m, memory: 1Gi}
                flags:
                  - --max-pods=60
                  - --kube-reserved=cpu=150m
                  - --register-with-taints=gpu=true:NoSchedule
                """
            ),
            "nc",
        )
    )
    assert config is not None
    group = apply_node_config(BASE, config)
    node = one_node(group)
    assert node["pods"] == 60  # the flag beats the config
    assert node["cpu"] == 2000 - 150
    # --kube-reserved replaces the whole map: no memory reserved (574 MiB more than the model)
    assert node["memory"] == one_node(BASE)["memory"] + 574 * MIB
    assert [str(t) for t in group.taints] == ["gpu=true:NoSchedule"]


def test_eks_max_pods_overrides_config_max_pods_with_a_warning() -> None:
    config = NodeConfig.merged(read_node_configs(node_config("config: {maxPods: 80}"), "nc"))
    assert config is not None
    with pytest.warns(podcap.PodcapWarning) as record:
        group = apply_node_config(BASE, config, eks_max_pods=29)
    assert one_node(group)["pods"] == 29
    assert str(record[0].message) == (
        "nc, document 0: maxPods 80 is overridden by the NodeConfig EKS appends to a managed "
        "node group's user data (maxPods 29); only a custom AMI (ami_id) or a --max-pods "
        "kubelet flag changes it"
    )


def test_pods_per_core() -> None:
    config = NodeConfig.merged(read_node_configs(node_config("config: {podsPerCore: 10}"), "nc"))
    assert config is not None
    assert one_node(apply_node_config(BASE, config))["pods"] == 20  # min(29, 10 * 2)


# ---------------------------------------------------------------------------------------------
# beside any cluster source


def test_node_config_beside_an_eksctl_file(tmp_path: Path) -> None:
    path = tmp_path / "nc.yaml"
    path.write_text(node_config("config: {maxPods: 20, systemReserved: {cpu: 500m}}"))
    ci = read_cluster_input(EKSCTL, node_config={"batch": path})
    groups = {g.name: g for g in ci.cluster.node_groups}
    batch = one_node(groups["batch"])
    assert batch["pods"] == 20
    assert batch["cpu"] == 8000 - 90 - 500  # c5.2xlarge: 8 vCPUs, bands 90m
    # the other groups are as eksctl's file has them: only eksctl's 80 GiB root volume
    # (DefaultNodeVolumeSize) changes their allocatable
    assert set(groups["general-m5-xlarge"].allocatable or {}) == {"ephemeral-storage"}
    # every group with "*" (a file path as text)
    ci = read_cluster_input(EKSCTL, node_config=str(path))
    assert all(one_node(g)["pods"] == 20 for g in ci.cluster.node_groups)


def test_node_config_sources_errors(tmp_path: Path) -> None:
    path = tmp_path / "nc.yaml"
    path.write_text("#!/bin/bash\necho no config\n")
    with pytest.raises(podcap.InvalidManifestError) as err:
        read_cluster_input(EKSCTL, node_config=path)
    assert str(err.value) == (
        f"{path}: no NodeConfig (apiVersion node.eks.aws/v1alpha1, kind NodeConfig) in it, nor "
        "in a MIME part of type application/node.eks.aws"
    )
    doc = {"apiVersion": "node.eks.aws/v1alpha1", "kind": "NodeConfig", "spec": {}}
    with pytest.raises(podcap.InvalidManifestError, match="NodeConfig for node group 'nope': no"):
        read_cluster_input(EKSCTL, node_config={"nope": doc})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", podcap.PodcapWarning)  # the snapshot's own notes
        with pytest.raises(podcap.InvalidManifestError, match="real allocatable"):
            read_cluster_input(REPO / "examples" / "snapshot", node_config=doc)


def test_eksctl_override_bootstrap_command(tmp_path: Path) -> None:
    path = tmp_path / "cluster.yaml"
    path.write_text(
        textwrap.dedent(
            """
            apiVersion: eksctl.io/v1alpha5
            kind: ClusterConfig
            metadata: {name: c, region: us-east-1, version: "1.31"}
            nodeGroups:
              - name: self
                instanceType: m5.large
                desiredCapacity: 1
                amiFamily: AmazonLinux2023
                overrideBootstrapCommand: |
                  apiVersion: node.eks.aws/v1alpha1
                  kind: NodeConfig
                  spec:
                    kubelet:
                      config:
                        maxPods: 50
            managedNodeGroups:
              - name: managed
                instanceType: m5.large
                desiredCapacity: 1
                amiFamily: AmazonLinux2023
                overrideBootstrapCommand: |
                  apiVersion: node.eks.aws/v1alpha1
                  kind: NodeConfig
                  spec:
                    kubelet:
                      config:
                        maxPods: 50
                        evictionHard: {memory.available: 300Mi}
            """
        )
    )
    with pytest.warns(podcap.PodcapWarning, match="maxPods 50 is overridden by the NodeConfig"):
        ci = read_cluster_input(path)
    groups = {g.name: g for g in ci.cluster.node_groups}
    assert one_node(groups["self"])["pods"] == 50
    managed = one_node(groups["managed"])
    assert managed["pods"] == 29  # EKS's value (no custom ami)
    assert managed["memory"] == one_node(groups["self"])["memory"] - 200 * MIB


def test_cli_node_config(tmp_path: Path) -> None:
    path = tmp_path / "nc.yaml"
    path.write_text(node_config("config: {maxPods: 10}"))
    out = io.StringIO()
    argv = ["simulate", "--cluster", str(EKSCTL), "--node-config", f"batch={path}"]
    assert main([*argv, "--output", "json", str(SEED_APP)], stream=out) == 0
    pods = {n["node"]: n["pods_allocatable"] for n in json.loads(out.getvalue())["nodes"]}
    assert pods["batch-0"] == pods["batch-1"] == 10
    assert pods["general-m5-xlarge-0"] == 110  # eksctl's calculator value, untouched
    assert main([*argv, "--node-config", f"batch={path}", str(SEED_APP)]) == 2
