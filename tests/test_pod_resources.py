"""Pod resources as admission, scheduling and reporting see them: pod-level ``resources``,
RuntimeClass overhead, hugepages, ephemeral storage.

Reference values are computed by hand from:

* ``staging/src/k8s.io/component-helpers/resource/helpers.go`` ``PodRequests`` /
  ``PodLimits`` (Kubernetes 1.34): pod-level requests replace the containers' aggregate for cpu,
  memory and hugepages; overhead is added to every request, and only to non-zero limits;
* ``pkg/apis/core/v1/defaults.go`` ``defaultPodRequests``: with pod-level limits, a missing
  pod-level request takes the containers' aggregate request, else the pod-level limit;
* ``plugin/pkg/admission/runtimeclass/admission.go``: the class's ``overhead.podFixed`` becomes
  the pod's overhead; an unknown class refuses the pod;
* ``pkg/kubelet/nodestatus/setters.go`` ``MachineInfo``: pre-allocated huge pages come out of
  allocatable memory;
* EKS AMI allocatable for m5.large: cpu 2000m - 70m kube-reserved = 1930m; ephemeral storage
  20 GiB root - 1 GiB kube-reserved - 10% ``nodefs.available`` = 17 GiB.
"""

from __future__ import annotations

from typing import Any

import pytest

import podcap
from podcap.errors import InvalidManifestError
from podcap.model.admission import admit, nonzero_requests
from podcap.model.workloads import Container, PodTemplate, RuntimeClass

MI = 1 << 20
GI = 1 << 30


def template(*containers: Container, **kw: Any) -> PodTemplate:
    return PodTemplate(containers=containers, **kw)


def test_pod_level_requests_replace_the_containers_aggregate() -> None:
    pod = admit(
        template(
            Container("a", {"cpu": 100, "memory": 64 * MI}),
            Container("b", {"cpu": 200}),
            pod_resource_requests={"cpu": 500},
        ),
        [],
    )
    assert pod.ok
    assert pod.requests == {"cpu": 500, "memory": 64 * MI}  # memory: the containers' sum
    # scheduling's non-zero requests: pod-level cpu; memory 64Mi + 200Mi for b
    assert nonzero_requests(pod) == (500, 64 * MI + 200 * MI)


def test_pod_level_limits_default_the_pod_level_requests() -> None:
    """cpu: a container requests it, so the aggregate (300m); memory: none does, so the limit."""
    pod = admit(
        template(
            Container("a", {"cpu": 100}),
            Container("b", {"cpu": 200}),
            pod_resource_limits={"cpu": 1000, "memory": GI},
        ),
        [],
    )
    assert pod.requests == {"cpu": 300, "memory": GI}
    assert pod.limits == {"cpu": 1000, "memory": GI}


def test_pod_level_request_below_the_containers_is_invalid() -> None:
    pod = admit(
        template(
            Container("a", {"cpu": 100}),
            Container("b", {"cpu": 200}),
            pod_resource_requests={"cpu": 200},
        ),
        [],
    )
    assert pod.error == (
        'Pod is invalid: spec.resources.requests[cpu]: Invalid value: "200m": must be greater '
        "than or equal to aggregate container requests of 300m"
    )


def test_runtime_class_overhead_is_added_to_requests_and_to_set_limits_only() -> None:
    kata = RuntimeClass("kata", "kata", {"cpu": 250, "memory": 160 * MI})
    pod = admit(
        template(Container("a", {"cpu": 500}, {"memory": GI}), runtime_class_name="kata"),
        [],
        {"kata": kata},
    )
    assert pod.requests == {"cpu": 750, "memory": GI + 160 * MI}
    assert pod.limits == {"memory": GI + 160 * MI}  # no cpu limit: no overhead on it


def test_an_unknown_runtime_class_refuses_the_pod() -> None:
    pod = admit(template(Container("a"), runtime_class_name="gvisor"), [], {})
    assert pod.error == 'forbidden: pod rejected: RuntimeClass "gvisor" not found'
    other = admit(
        template(Container("a"), runtime_class_name="kata", overhead={"cpu": 1}),
        [],
        {"kata": RuntimeClass("kata", "kata", {"cpu": 250})},
    )
    assert "Pod's Overhead doesn't match RuntimeClass's defined Overhead" in other.error


def _deployment(spec: dict[str, Any], replicas: int = 10) -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web"},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": "web"}},
            "template": {"metadata": {"labels": {"app": "web"}}, "spec": spec},
        },
    }


KATA = {
    "apiVersion": "node.k8s.io/v1",
    "kind": "RuntimeClass",
    "metadata": {"name": "kata"},
    "handler": "kata",
    "overhead": {"podFixed": {"cpu": "250m"}},
}
ENGINES = ["fast", "reference"]


@pytest.mark.parametrize("engine", ENGINES)
def test_overhead_and_pod_level_requests_are_what_the_scheduler_fits(engine: str) -> None:
    """1930m per m5.large node: pods of 500m + 250m overhead fit 2 per node (3 x 750m = 2250m
    > 1930m); without the RuntimeClass 3 (4 x 500m = 2000m > 1930m)."""
    cluster = podcap.Cluster([podcap.NodeGroup("w", "m5.large", 2, max_pods=110)])
    containers = [{"name": "c", "resources": {"requests": {"cpu": "100m"}}}]
    spec = {"containers": containers, "resources": {"requests": {"cpu": "500m"}}}
    with_rc = podcap.simulate(
        cluster, [KATA, _deployment({**spec, "runtimeClassName": "kata"})], engine=engine
    )
    plain = podcap.simulate(cluster, [_deployment(spec)], engine=engine)
    assert int(with_rc.workloads.iloc[0]["running"]) == 4
    assert int(with_rc.workloads.iloc[0]["cpu_request_millicores"]) == 750
    assert int(plain.workloads.iloc[0]["running"]) == 6


def test_an_unknown_runtime_class_is_a_rejection_with_the_api_servers_text() -> None:
    cluster = podcap.Cluster([podcap.NodeGroup("w", "m5.large", 1)])
    spec = {"containers": [{"name": "c"}], "runtimeClassName": "gvisor"}
    row = podcap.simulate(cluster, [_deployment(spec, 3)]).workloads.iloc[0]
    assert row["rejected"] == 3
    assert (
        row["reason"] == 'pods "web-" is forbidden: pod rejected: RuntimeClass "gvisor" not found'
    )


@pytest.mark.parametrize("engine", ENGINES)
def test_hugepages_only_on_nodes_that_advertise_them(engine: str) -> None:
    """1Gi of 2Mi pages on the "huge" node: two pods of 512Mi; the other node has none."""
    cluster = podcap.Cluster(
        [
            podcap.NodeGroup(
                "huge", "m5.large", 1, max_pods=110, extended_resources={"hugepages-2Mi": GI}
            ),
            podcap.NodeGroup("plain", "m5.large", 1, max_pods=110),
        ]
    )
    res = {
        "requests": {"memory": "64Mi", "hugepages-2Mi": "512Mi"},
        "limits": {"hugepages-2Mi": "512Mi"},
    }
    spec = {"containers": [{"name": "c", "resources": res}]}
    r = podcap.simulate(cluster, [_deployment(spec, 3)], engine=engine)
    row = r.workloads.iloc[0]
    assert row["running"] == 2
    assert set(r.placements["node"]) == {"huge-0"}
    # the node without pages can never hold one: preemption is not helpful there
    assert row["reason"] == (
        "0/2 nodes are available: 2 Insufficient hugepages-2Mi. no new claims to deallocate, "
        "preemption: 0/2 nodes are available: 1 No preemption victims found for incoming pod, "
        "1 Preemption is not helpful for scheduling."
    )
    # the kubelet takes the pages out of allocatable memory: 7518Mi - 1024Mi
    nodes = r.nodes.set_index("node")["memory_allocatable_mib"]
    assert (nodes["plain-0"], nodes["huge-0"]) == (7518, 7518 - 1024)


@pytest.mark.parametrize("engine", ENGINES)
def test_ephemeral_storage_against_the_root_volume(engine: str) -> None:
    """17 GiB allocatable ephemeral storage (EKS AMI, 20 GiB root): two pods of 8Gi per node."""
    cluster = podcap.Cluster([podcap.NodeGroup("w", "m5.large", 2, max_pods=110)])
    spec = {"containers": [{"name": "c", "resources": {"requests": {"ephemeral-storage": "8Gi"}}}]}
    row = podcap.simulate(cluster, [_deployment(spec, 6)], engine=engine).workloads.iloc[0]
    assert row["running"] == 4
    assert row["reason"].startswith("0/2 nodes are available: 2 Insufficient ephemeral-storage.")


def test_pod_level_resources_only_for_cpu_memory_and_hugepages() -> None:
    spec = {"containers": [{"name": "c"}], "resources": {"requests": {"nvidia.com/gpu": 1}}}
    with pytest.raises(
        InvalidManifestError,
        match=r"field spec.template.spec.resources.requests.nvidia.com/gpu: Unsupported value",
    ):
        podcap.load_manifests([_deployment(spec)])
