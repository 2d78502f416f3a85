"""Admission semantics: API defaulting, LimitRange, validation, ResourceQuota, PriorityClass.

Every expected value comes from a Kubernetes documentation page (cited per test) or from a hand
computation written in a comment.  Pages (kubernetes.io/docs/...):

* [LR]       concepts/policy/limit-range/ ("Limit Ranges")
* [CPU-DEF]  tasks/administer-cluster/manage-resources/cpu-default-namespace/
             ("Configure Default CPU Requests and Limits for a Namespace")
* [CPU-MM]   tasks/administer-cluster/manage-resources/cpu-constraint-namespace/
             ("Configure Minimum and Maximum CPU Constraints for a Namespace")
* [RQ]       concepts/policy/resource-quotas/ ("Resource Quotas")
* [RQ-POD]   tasks/administer-cluster/manage-resources/quota-pod-namespace/
* [RQ-MC]    tasks/administer-cluster/manage-resources/quota-memory-cpu-namespace/
* [SIDECAR]  concepts/workloads/pods/sidecar-containers/ ("Resource sharing within containers")
* [INIT]     concepts/workloads/pods/init-containers/ ("Resource sharing within containers")
* [OVERHEAD] concepts/scheduling-eviction/pod-overhead/ ("Pod Overhead")

Where the docs only show an abbreviated message, the wording is checked against the Kubernetes
source that produces it: plugin/pkg/admission/limitranger/admission.go (LimitRanger),
pkg/quota/v1/evaluator/core/pods.go (quota "must specify"), staging/.../resourcequota/controller.go
("exceeded quota"), plugin/pkg/admission/priority/admission.go (PriorityClass).
"""

from __future__ import annotations

from typing import Any

import pytest

import podcap
from podcap.model.admission import admit

MIB = 1 << 20
OUTCOMES = ["running", "pending", "container_creating", "not_created", "rejected"]


# ---------------------------------------------------------------------------------------------
# helpers (plain Kubernetes objects as dicts)


def container(
    name: str = "app",
    requests: dict[str, Any] | None = None,
    limits: dict[str, Any] | None = None,
    restart_policy: str | None = None,
) -> dict[str, Any]:
    c: dict[str, Any] = {"name": name, "image": "nginx"}
    res: dict[str, Any] = {}
    if requests:
        res["requests"] = requests
    if limits:
        res["limits"] = limits
    if res:
        c["resources"] = res
    if restart_policy:
        c["restartPolicy"] = restart_policy
    return c


def pod_spec(
    containers: list[dict[str, Any]],
    init: list[dict[str, Any]] | None = None,
    overhead: dict[str, Any] | None = None,
    priority_class: str | None = None,
) -> dict[str, Any]:
    spec: dict[str, Any] = {"containers": containers}
    if init:
        spec["initContainers"] = init
    if overhead:
        spec["overhead"] = overhead
    if priority_class:
        spec["priorityClassName"] = priority_class
    return spec


def deployment(
    name: str,
    replicas: int = 1,
    namespace: str = "default",
    **spec_kwargs: Any,
) -> dict[str, Any]:
    spec_kwargs.setdefault("containers", [container()])
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": name}},
            "template": {"metadata": {"labels": {"app": name}}, "spec": pod_spec(**spec_kwargs)},
        },
    }


def pod(name: str, namespace: str = "default", **spec_kwargs: Any) -> dict[str, Any]:
    spec_kwargs.setdefault("containers", [container()])
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": namespace},
        "spec": pod_spec(**spec_kwargs),
    }


def limit_range(name: str, *items: dict[str, Any], namespace: str = "default") -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "LimitRange",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {"limits": list(items)},
    }


def quota(name: str, hard: dict[str, Any], namespace: str = "default") -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "ResourceQuota",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {"hard": hard},
    }


def namespace(name: str) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}}


def admitted(objects: list[dict[str, Any]]) -> podcap.model.admission.AdmittedPod:
    """Admit the single workload of ``objects`` with the LimitRanges of its namespace."""
    ms = podcap.load_manifests(objects)
    (wl,) = ms.workloads
    return admit(wl.template, [lr for lr in ms.limit_ranges if lr.namespace == wl.namespace])


def by_name(pod_: podcap.model.admission.AdmittedPod, name: str) -> Any:
    (c,) = [c for c in pod_.containers if c.name == name]
    return c


@pytest.fixture(scope="module")
def cluster() -> podcap.Cluster:
    # 3 x m5.xlarge (4 vCPU, 16 GiB, 4 ENIs x 15 IPv4): plenty of room for the small workloads
    # below, so every created pod runs and admission alone decides the outcome.
    return podcap.Cluster([podcap.NodeGroup("w", "m5.xlarge", 3)])


def run(cluster: podcap.Cluster, objects: list[dict[str, Any]]) -> podcap.SimulationResult:
    result = podcap.simulate(cluster, objects)
    w = result.workloads
    # Every desired pod is accounted for exactly once.
    assert (w[OUTCOMES].sum(axis=1) == w["desired"]).all()
    return result


def row(result: podcap.SimulationResult, name: str) -> dict[str, Any]:
    w = result.workloads
    (rec,) = w[w["name"] == name].to_dict("records")
    return rec


# ---------------------------------------------------------------------------------------------
# [CPU-DEF] Configure Default CPU Requests and Limits for a Namespace.
# LimitRange cpu-limit-range: default cpu 1, defaultRequest cpu 0.5 (type Container).

CPU_DEFAULTS = limit_range(
    "cpu-limit-range", {"type": "Container", "default": {"cpu": 1}, "defaultRequest": {"cpu": 0.5}}
)


def test_default_cpu_demo_no_resources_gets_default_request_and_limit():
    # [CPU-DEF] default-cpu-demo: "a CPU request of 500 millicpus and a CPU limit of 1 cpu".
    p = admitted([CPU_DEFAULTS, pod("default-cpu-demo")])
    assert p.ok
    c = by_name(p, "app")
    assert c.requests["cpu"] == 500
    assert c.limits["cpu"] == 1000


def test_default_cpu_demo_2_limit_only_gets_request_equal_to_limit():
    # [CPU-DEF] default-cpu-demo-2 (limit 1, no request): "the Container's CPU request is set to
    # match its CPU limit. Notice that the Container was not assigned the default CPU request
    # value of 0.5 cpu." -> request 1, limit 1.
    p = admitted(
        [CPU_DEFAULTS, pod("default-cpu-demo-2", containers=[container(limits={"cpu": "1"})])]
    )
    assert p.ok
    c = by_name(p, "app")
    assert c.requests["cpu"] == 1000
    assert c.limits["cpu"] == 1000


def test_default_cpu_demo_3_request_only_gets_default_limit():
    # [CPU-DEF] default-cpu-demo-3 (request 0.75, no limit): request 750m, limit 1 (the default).
    p = admitted(
        [CPU_DEFAULTS, pod("default-cpu-demo-3", containers=[container(requests={"cpu": "0.75"})])]
    )
    assert p.ok
    c = by_name(p, "app")
    assert c.requests["cpu"] == 750
    assert c.limits["cpu"] == 1000


def test_api_defaulting_without_limitrange_request_equals_limit():
    # [CPU-DEF] / domain notes 6: API defaulting alone gives request = limit.
    p = admitted([pod("p", containers=[container(limits={"cpu": "300m", "memory": "64Mi"})])])
    assert p.ok
    assert p.requests == {"cpu": 300, "memory": 64 * MIB}


def test_default_request_applies_to_init_containers_too():
    # [LR] "LimitRange ... apply default request and limit values for all Pods and
    # Containers"; the LimitRanger sets defaults on containers and init containers.
    # init gets request 500m; apps 500m -> effective max(500, 500) = 500m.
    p = admitted([CPU_DEFAULTS, pod("p", init=[container("init")])])
    assert by_name(p, "init").requests["cpu"] == 500
    assert by_name(p, "init").limits["cpu"] == 1000
    assert p.requests["cpu"] == 500


def test_limitrange_default_request_sets_scheduling_request(cluster):
    # Same LimitRange through simulate: each replica requests 500m cpu.
    r = run(cluster, [CPU_DEFAULTS, deployment("web", replicas=2)])
    assert row(r, "web")["cpu_request_millicores"] == 500
    assert row(r, "web")["running"] == 2


# ---------------------------------------------------------------------------------------------
# [CPU-MM] Configure Minimum and Maximum CPU Constraints for a Namespace.
# LimitRange cpu-min-max-demo-lr: max cpu 800m, min cpu 200m.

CPU_MIN_MAX = limit_range(
    "cpu-min-max-demo-lr", {"type": "Container", "max": {"cpu": "800m"}, "min": {"cpu": "200m"}}
)


def test_min_max_limitrange_is_defaulted_from_max():
    # [CPU-MM]: "even though you didn't specify default values ... they were created
    # automatically": default cpu 800m, defaultRequest cpu 800m.
    ms = podcap.load_manifests([CPU_MIN_MAX])
    (item,) = ms.limit_ranges[0].items
    assert item.default == {"cpu": 800}
    assert item.default_request == {"cpu": 800}


def test_constraints_cpu_demo_within_range_is_admitted():
    # [CPU-MM] constraints-cpu-demo: request 500m, limit 800m -> admitted unchanged.
    p = admitted(
        [
            CPU_MIN_MAX,
            pod(
                "constraints-cpu-demo",
                containers=[container(requests={"cpu": "500m"}, limits={"cpu": "800m"})],
            ),
        ]
    )
    assert p.ok
    assert by_name(p, "app").requests["cpu"] == 500
    assert by_name(p, "app").limits["cpu"] == 800


def test_constraints_cpu_demo_2_over_max_is_forbidden(cluster):
    # [CPU-MM] constraints-cpu-demo-2: request 500m, limit 1.5 ->
    # pods "constraints-cpu-demo-2" is forbidden: maximum cpu usage per Container is 800m,
    # but limit is 1500m
    r = run(
        cluster,
        [
            CPU_MIN_MAX,
            pod(
                "constraints-cpu-demo-2",
                containers=[container(requests={"cpu": "500m"}, limits={"cpu": "1.5"})],
            ),
        ],
    )
    rec = row(r, "constraints-cpu-demo-2")
    assert rec["rejected"] == rec["desired"] == 1
    assert rec["reason"].startswith(
        'pods "constraints-cpu-demo-2" is forbidden: '
        "maximum cpu usage per Container is 800m, but limit is 1500m"
    )


def test_constraints_cpu_demo_3_under_min_is_forbidden(cluster):
    # [CPU-MM] constraints-cpu-demo-3: request 100m, limit 800m ->
    # pods "constraints-cpu-demo-3" is forbidden: minimum cpu usage per Container is 200m,
    # but request is 100m
    r = run(
        cluster,
        [
            CPU_MIN_MAX,
            pod(
                "constraints-cpu-demo-3",
                containers=[container(requests={"cpu": "100m"}, limits={"cpu": "800m"})],
            ),
        ],
    )
    rec = row(r, "constraints-cpu-demo-3")
    assert rec["rejected"] == 1
    assert rec["running"] == 0
    assert rec["reason"].startswith(
        'pods "constraints-cpu-demo-3" is forbidden: '
        "minimum cpu usage per Container is 200m, but request is 100m"
    )


def test_constraints_cpu_demo_4_no_resources_gets_max_as_default():
    # [CPU-MM] constraints-cpu-demo-4 (no resources): "a CPU request of 800 millicpu and a CPU
    # limit of 800 millicpu".
    p = admitted([CPU_MIN_MAX, pod("constraints-cpu-demo-4")])
    assert p.ok
    assert by_name(p, "app").requests["cpu"] == 800
    assert by_name(p, "app").limits["cpu"] == 800


def test_limitrange_rejection_rejects_every_replica(cluster):
    # A Deployment whose pod template violates the LimitRange: the ReplicaSet cannot create any
    # replica; all 4 are rejected with the LimitRanger's 403 message.
    r = run(
        cluster,
        [
            CPU_MIN_MAX,
            deployment("web", replicas=4, containers=[container(requests={"cpu": "100m"})]),
        ],
    )
    rec = row(r, "web")
    assert rec["desired"] == 4
    assert rec["rejected"] == 4
    assert rec["running"] == rec["not_created"] == 0
    assert (
        "is forbidden: minimum cpu usage per Container is 200m, but request is 100m"
        in (rec["reason"])
    )


# ---------------------------------------------------------------------------------------------
# LimitRange's own defaulting (SetDefaults_LimitRangeItem, type Container):
# default <- max; defaultRequest <- default, else min.


def test_limitrange_max_only_defaults_default_and_default_request():
    # max cpu 600m only -> default 600m, defaultRequest 600m; a bare container gets 600m/600m.
    lr = limit_range("lr", {"type": "Container", "max": {"cpu": "600m"}})
    p = admitted([lr, pod("p")])
    assert p.ok
    assert by_name(p, "app").requests["cpu"] == 600
    assert by_name(p, "app").limits["cpu"] == 600


def test_limitrange_default_only_defaults_default_request():
    # default cpu 300m only -> defaultRequest 300m.
    lr = limit_range("lr", {"type": "Container", "default": {"cpu": "300m"}})
    ms = podcap.load_manifests([lr])
    assert ms.limit_ranges[0].items[0].default_request == {"cpu": 300}
    p = admitted([lr, pod("p")])
    assert by_name(p, "app").requests["cpu"] == 300
    assert by_name(p, "app").limits["cpu"] == 300


def test_limitrange_min_only_defaults_default_request_to_min():
    # min cpu 250m only -> defaultRequest 250m, no default limit.
    lr = limit_range("lr", {"type": "Container", "min": {"cpu": "250m"}})
    ms = podcap.load_manifests([lr])
    item = ms.limit_ranges[0].items[0]
    assert item.default_request == {"cpu": 250}
    assert item.default == {}
    p = admitted([lr, pod("p")])
    assert p.ok
    assert by_name(p, "app").requests["cpu"] == 250
    assert "cpu" not in by_name(p, "app").limits


def test_limitrange_default_wins_over_max_and_min_for_default_request():
    # max 1, default 400m, min 100m -> default stays 400m, defaultRequest = default = 400m
    # (default beats min).
    lr = limit_range(
        "lr",
        {
            "type": "Container",
            "max": {"cpu": "1"},
            "default": {"cpu": "400m"},
            "min": {"cpu": "100m"},
        },
    )
    item = podcap.load_manifests([lr]).limit_ranges[0].items[0]
    assert item.default == {"cpu": 400}
    assert item.default_request == {"cpu": 400}


# ---------------------------------------------------------------------------------------------
# Validation: request > limit is a 422 Invalid ([LR] "Constraints on resource limits and
# requests", example-conflict-with-limitrange-cpu).


def test_limitrange_default_limit_below_request_is_invalid(cluster):
    # [LR] LimitRange cpu-resource-constraint: default 500m, defaultRequest 500m, max 1,
    # min 100m.  Pod requests 700m without a limit -> limit 500m from default ->
    # Pod "example-conflict-with-limitrange-cpu" is invalid:
    # spec.containers[0].resources.requests: Invalid value: "700m": must be less than or
    # equal to cpu limit
    lr = limit_range(
        "cpu-resource-constraint",
        {
            "type": "Container",
            "default": {"cpu": "500m"},
            "defaultRequest": {"cpu": "500m"},
            "max": {"cpu": "1"},
            "min": {"cpu": "100m"},
        },
    )
    r = run(
        cluster,
        [
            lr,
            pod(
                "example-conflict-with-limitrange-cpu",
                containers=[container("demo", requests={"cpu": "700m"})],
            ),
            pod(
                "example-no-conflict-with-limitrange-cpu",
                containers=[container("demo", requests={"cpu": "700m"}, limits={"cpu": "700m"})],
            ),
        ],
    )
    bad = row(r, "example-conflict-with-limitrange-cpu")
    assert bad["rejected"] == 1
    assert bad["reason"].startswith(
        'Pod "example-conflict-with-limitrange-cpu" is invalid: '
        'spec.containers[0].resources.requests: Invalid value: "700m": '
        "must be less than or equal to cpu limit"
    )
    # [LR]: "If you set both request and limit, then that new Pod will be scheduled successfully
    # even with the same LimitRange in place".
    good = row(r, "example-no-conflict-with-limitrange-cpu")
    assert good["rejected"] == 0
    assert good["running"] == 1


def test_request_above_limit_without_limitrange_is_invalid():
    p = admitted([pod("p", containers=[container(requests={"cpu": "2"}, limits={"cpu": "1"})])])
    assert not p.ok
    assert "must be less than or equal to cpu limit" in p.error


def test_request_above_limit_in_init_container_names_init_containers_path():
    # The API's validation path for the first init container is spec.initContainers[0].
    p = admitted(
        [
            pod(
                "p",
                init=[container("i", requests={"cpu": "2"}, limits={"cpu": "1"})],
            )
        ]
    )
    assert not p.ok
    assert p.error.startswith(
        'Pod is invalid: spec.initContainers[0].resources.requests: Invalid value: "2": '
        "must be less than or equal to cpu limit"
    )


# ---------------------------------------------------------------------------------------------
# maxLimitRequestRatio ([LR]: "Enforce a ratio between request and limit for a resource").


def test_max_limit_request_ratio_exceeded_is_forbidden():
    # ratio 2; request 250m, limit 1 -> 1000/250 = 4 > 2.  LimitRanger text:
    # "cpu max limit to request ratio per Container is 2, but provided ratio is 4.000000"
    lr = limit_range("ratio", {"type": "Container", "maxLimitRequestRatio": {"cpu": "2"}})
    p = admitted(
        [lr, pod("p", containers=[container(requests={"cpu": "250m"}, limits={"cpu": "1"})])]
    )
    assert not p.ok
    assert "forbidden" in p.error
    assert "cpu max limit to request ratio per Container is 2, but provided ratio is 4.000000" in (
        p.error
    )


def test_max_limit_request_ratio_equal_is_admitted():
    # request 500m, limit 1 -> ratio exactly 2, not greater than 2 -> admitted.
    lr = limit_range("ratio", {"type": "Container", "maxLimitRequestRatio": {"cpu": "2"}})
    p = admitted(
        [lr, pod("p", containers=[container(requests={"cpu": "500m"}, limits={"cpu": "1"})])]
    )
    assert p.ok


def test_max_limit_request_ratio_without_limit_message():
    # Request 500m, no limit: kubernetes plugin/pkg/admission/limitranger/admission.go:
    # "%s max limit to request ratio per %s is %s, but no limit is specified or limit is 0"
    lr = limit_range("ratio", {"type": "Container", "maxLimitRequestRatio": {"cpu": "2"}})
    p = admitted([lr, pod("p", containers=[container(requests={"cpu": "500m"})])])
    assert not p.ok
    assert (
        "cpu max limit to request ratio per Container is 2, but no limit is specified or limit is 0"
        in p.error
    )


# ---------------------------------------------------------------------------------------------
# type Pod: [LR] "Enforce minimum and maximum compute resources usage per Pod"; checked on the
# pod's effective values (LimitRanger podRequests / podLimits).


def test_type_pod_max_on_sum_of_app_container_limits():
    # max cpu 1 per Pod; two app containers with limit 600m each -> pod limit 1200m > 1.
    lr = limit_range("pod-max", {"type": "Pod", "max": {"cpu": "1"}})
    p = admitted(
        [
            lr,
            pod(
                "p",
                containers=[
                    container("a", limits={"cpu": "600m"}),
                    container("b", limits={"cpu": "600m"}),
                ],
            ),
        ]
    )
    assert not p.ok
    assert "maximum cpu usage per Pod is 1, but limit is 1200m" in p.error


def test_type_pod_uses_effective_values_not_sum_of_all_containers():
    # init limit 900m, app limit 600m: effective pod limit = max(600, 900) = 900m <= 1 -> ok.
    # (Summing init + app would give 1500m and wrongly reject.)
    lr = limit_range("pod-max", {"type": "Pod", "max": {"cpu": "1"}})
    p = admitted(
        [
            lr,
            pod(
                "p",
                containers=[container("a", limits={"cpu": "600m"})],
                init=[container("i", limits={"cpu": "900m"})],
            ),
        ]
    )
    assert p.ok, p.error
    assert p.limits["cpu"] == 900
    assert p.requests["cpu"] == 900


def test_type_pod_min_on_effective_request():
    # min cpu 500m per Pod; two app containers requesting 200m each -> 400m < 500m.
    lr = limit_range("pod-min", {"type": "Pod", "min": {"cpu": "500m"}})
    p = admitted(
        [
            lr,
            pod(
                "p",
                containers=[
                    container("a", requests={"cpu": "200m"}),
                    container("b", requests={"cpu": "200m"}),
                ],
            ),
        ]
    )
    assert not p.ok
    assert "minimum cpu usage per Pod is 500m, but request is 400m" in p.error


# ---------------------------------------------------------------------------------------------
# Effective pod request = max(sum(app + sidecars), largest init-phase need) + overhead
# ([INIT], [SIDECAR], [OVERHEAD]).


def test_init_container_bigger_than_apps_sets_pod_request(cluster):
    # [INIT]: effective = higher of (sum of app requests, highest init request).
    # apps 500m + 500m = 1000m, 256Mi + 256Mi = 512Mi; init 2 cpu / 1Gi -> 2000m, 1024Mi.
    r = run(
        cluster,
        [
            deployment(
                "web",
                containers=[
                    container("a", requests={"cpu": "500m", "memory": "256Mi"}),
                    container("b", requests={"cpu": "500m", "memory": "256Mi"}),
                ],
                init=[
                    container("i1", requests={"cpu": "2", "memory": "1Gi"}),
                    container("i2", requests={"cpu": "1", "memory": "128Mi"}),
                ],
            )
        ],
    )
    assert row(r, "web")["cpu_request_millicores"] == 2000
    assert row(r, "web")["memory_request_mib"] == 1024


def test_apps_bigger_than_init_set_pod_request(cluster):
    # apps 700m + 700m = 1400m > init 1 cpu -> 1400m.
    r = run(
        cluster,
        [
            deployment(
                "web",
                containers=[
                    container("a", requests={"cpu": "700m"}),
                    container("b", requests={"cpu": "700m"}),
                ],
                init=[container("i", requests={"cpu": "1"})],
            )
        ],
    )
    assert row(r, "web")["cpu_request_millicores"] == 1400


def test_sidecar_adds_to_apps_and_to_later_init_containers(cluster):
    # [SIDECAR] initContainers in order: i1 (1000m), sidecar s (restartPolicy Always, 200m),
    # i2 (900m); app 300m; overhead 100m.
    #   phase i1: 1000                (sidecar not started yet)
    #   phase i2: 900 + 200 = 1100    (sidecar keeps running during later inits)
    #   steady:   300 + 200 = 500     (sidecar runs beside the app)
    #   effective = max(500, 1000, 1100) + 100 overhead = 1200m
    r = run(
        cluster,
        [
            deployment(
                "web",
                containers=[container("app", requests={"cpu": "300m"})],
                init=[
                    container("i1", requests={"cpu": "1"}),
                    container("s", requests={"cpu": "200m"}, restart_policy="Always"),
                    container("i2", requests={"cpu": "900m"}),
                ],
                overhead={"cpu": "100m"},
            )
        ],
    )
    assert row(r, "web")["cpu_request_millicores"] == 1200


def test_sidecar_does_not_add_to_earlier_init_container():
    # Order i1 (1000m), sidecar s (200m); app 300m:
    #   phase i1: 1000 (s starts only after i1); steady: 300 + 200 = 500 -> effective 1000m.
    # (Adding s to i1 would give 1200m.)
    p = admitted(
        [
            pod(
                "p",
                containers=[container("app", requests={"cpu": "300m"})],
                init=[
                    container("i1", requests={"cpu": "1"}),
                    container("s", requests={"cpu": "200m"}, restart_policy="Always"),
                ],
            )
        ]
    )
    assert p.requests["cpu"] == 1000


def test_sidecars_sum_with_apps_when_apps_dominate():
    # Two sidecars 250m + 250m, app 1 cpu, init 1200m:
    #   init phase: 1200 (before any sidecar); steady: 1000 + 500 = 1500 -> 1500m.
    p = admitted(
        [
            pod(
                "p",
                containers=[container("app", requests={"cpu": "1"})],
                init=[
                    container("i", requests={"cpu": "1200m"}),
                    container("s1", requests={"cpu": "250m"}, restart_policy="Always"),
                    container("s2", requests={"cpu": "250m"}, restart_policy="Always"),
                ],
            )
        ]
    )
    assert p.requests["cpu"] == 1500


def test_pod_overhead_example_is_added_to_requests(cluster):
    # [OVERHEAD] test-pod: containers limits 500m/100Mi and 1500m/100Mi (requests default to
    # limits), overhead (RuntimeClass kata-fc) cpu 250m, memory 120Mi:
    # "the scheduler adds the requests and the overhead, then looks for a node that has
    # 2.25 CPU and 320 MiB of memory available".
    r = run(
        cluster,
        [
            pod(
                "test-pod",
                containers=[
                    container("busybox-ctr", limits={"cpu": "500m", "memory": "100Mi"}),
                    container("nginx-ctr", limits={"cpu": "1500m", "memory": "100Mi"}),
                ],
                overhead={"cpu": "250m", "memory": "120Mi"},
            )
        ],
    )
    rec = row(r, "test-pod")
    assert rec["cpu_request_millicores"] == 2250
    assert rec["memory_request_mib"] == 320
    assert rec["running"] == 1


def test_pod_overhead_counts_towards_resource_quota(cluster):
    # [OVERHEAD]: "If a ResourceQuota is defined, the sum of container requests as well as the
    # overhead field are counted."  Per pod: 2000m + 250m overhead = 2250m.  Quota requests.cpu
    # 4400m -> floor(4400 / 2250) = 1 pod created, 2 not created (ignoring the overhead would
    # give floor(4400 / 2000) = 2).
    r = run(
        cluster,
        [
            quota("compute", {"requests.cpu": "4400m"}),
            deployment(
                "web",
                replicas=3,
                containers=[container(requests={"cpu": "2"}, limits={"cpu": "2"})],
                overhead={"cpu": "250m"},
            ),
        ],
    )
    rec = row(r, "web")
    assert rec["running"] == 1
    assert rec["not_created"] == 2
    assert (
        "exceeded quota: compute, requested: requests.cpu=2250m, used: requests.cpu=2250m, "
        "limited: requests.cpu=4400m" in rec["reason"]
    )


# ---------------------------------------------------------------------------------------------
# ResourceQuota ([RQ], [RQ-POD], [RQ-MC]) through simulate.


def test_pod_quota_creates_only_up_to_hard(cluster):
    # [RQ-POD]: quota pods 2, Deployment replicas 3 -> "only two Pods were created because of the
    # quota", message 'exceeded quota: pod-demo, requested: pods=1, used: pods=2,
    # limited: pods=2'.  Same with pods 5 and 8 replicas: 5 created, 3 never created.
    r = run(cluster, [quota("pod-demo", {"pods": "5"}), deployment("web", replicas=8)])
    rec = row(r, "web")
    assert rec["desired"] == 8
    assert rec["running"] == 5
    assert rec["not_created"] == 3
    assert rec["pending"] == 0  # over-quota replicas are never created, so never Pending
    assert (
        "is forbidden: exceeded quota: pod-demo, requested: pods=1, used: pods=5, "
        in (rec["reason"])
    )
    assert rec["reason"].endswith("limited: pods=5")


def test_pod_quota_doc_example_exact(cluster):
    # [RQ-POD] verbatim: pods 2, replicas 3.
    r = run(
        cluster,
        [
            namespace("quota-pod-example"),
            quota("pod-demo", {"pods": "2"}, namespace="quota-pod-example"),
            deployment("pod-quota-demo", replicas=3, namespace="quota-pod-example"),
        ],
    )
    rec = row(r, "pod-quota-demo")
    assert (rec["running"], rec["not_created"]) == (2, 1)
    assert (
        "exceeded quota: pod-demo, requested: pods=1, used: pods=2, limited: pods=2"
        in (rec["reason"])
    )


def test_memory_cpu_quota_doc_example(cluster):
    # [RQ-MC]: quota mem-cpu-demo requests.cpu 1, requests.memory 1Gi, limits.cpu 2,
    # limits.memory 2Gi.  quota-mem-cpu-demo: requests 400m / 600Mi, limits 800m / 800Mi ->
    # created.  quota-mem-cpu-demo-2: requests 400m / 700Mi, limits 800m / 1Gi ->
    # 600Mi + 700Mi > 1Gi:
    # pods "quota-mem-cpu-demo-2" is forbidden: exceeded quota: mem-cpu-demo,
    # requested: requests.memory=700Mi, used: requests.memory=600Mi, limited: requests.memory=1Gi
    ns = "quota-mem-cpu-example"
    r = run(
        cluster,
        [
            namespace(ns),
            quota(
                "mem-cpu-demo",
                {
                    "requests.cpu": "1",
                    "requests.memory": "1Gi",
                    "limits.cpu": "2",
                    "limits.memory": "2Gi",
                },
                namespace=ns,
            ),
            pod(
                "quota-mem-cpu-demo",
                namespace=ns,
                containers=[
                    container(
                        "quota-mem-cpu-demo-ctr",
                        requests={"cpu": "400m", "memory": "600Mi"},
                        limits={"cpu": "800m", "memory": "800Mi"},
                    )
                ],
            ),
            pod(
                "quota-mem-cpu-demo-2",
                namespace=ns,
                containers=[
                    container(
                        "quota-mem-cpu-demo-2-ctr",
                        requests={"cpu": "400m", "memory": "700Mi"},
                        limits={"cpu": "800m", "memory": "1Gi"},
                    )
                ],
            ),
        ],
    )
    assert row(r, "quota-mem-cpu-demo")["running"] == 1
    second = row(r, "quota-mem-cpu-demo-2")
    assert second["not_created"] == 1
    assert second["running"] == 0
    assert second["reason"] == (
        'pods "quota-mem-cpu-demo-2" is forbidden: exceeded quota: mem-cpu-demo, '
        "requested: requests.memory=700Mi, used: requests.memory=600Mi, "
        "limited: requests.memory=1Gi"
    )


def test_cpu_quota_counts_requests(cluster):
    # requests.cpu 1; replicas request 300m each -> floor(1000 / 300) = 3 created, 2 not.
    # Refused message: requested 300m, used 3 * 300m = 900m, limited 1.
    r = run(
        cluster,
        [
            quota("compute", {"requests.cpu": "1"}),
            deployment("web", replicas=5, containers=[container(requests={"cpu": "300m"})]),
        ],
    )
    rec = row(r, "web")
    assert (rec["running"], rec["not_created"]) == (3, 2)
    assert (
        "exceeded quota: compute, requested: requests.cpu=300m, used: requests.cpu=900m, "
        "limited: requests.cpu=1" in rec["reason"]
    )


def test_cpu_quota_requires_every_container_to_specify_cpu(cluster):
    # [RQ]: "If quota is enabled in a namespace for compute resources like cpu and memory, users
    # must specify requests or limits for those values; otherwise, the quota system may reject
    # pod creation."  Quota evaluator text: failed quota: <name>: must specify requests.cpu
    r = run(
        cluster,
        [
            quota("compute", {"requests.cpu": "10"}),
            deployment(
                "web",
                replicas=4,
                containers=[
                    container("app", requests={"cpu": "100m"}),
                    container("log", requests={"memory": "64Mi"}),
                ],
            ),
        ],
    )
    rec = row(r, "web")
    assert rec["not_created"] == 4
    assert rec["running"] == 0
    # Current evaluator wording names the containers: "must specify requests.cpu for: log".
    assert rec["reason"].endswith(
        "is forbidden: failed quota: compute: must specify requests.cpu for: log"
    )


def test_limitrange_default_request_satisfies_cpu_quota(cluster):
    # [CPU-DEF] "Motivation": a default from a LimitRange lets a container without its own value
    # be admitted by a quota that requires it.  defaultRequest 0.5 -> 2 replicas use 1 cpu of 4.
    r = run(
        cluster,
        [
            CPU_DEFAULTS,
            quota("compute", {"requests.cpu": "4", "limits.cpu": "4"}),
            deployment("web", replicas=2),
        ],
    )
    rec = row(r, "web")
    assert rec["running"] == 2
    assert rec["not_created"] == 0


def test_cpu_quota_requires_init_containers_to_specify_cpu(cluster):
    # pkg/quota/v1/evaluator/core/pods.go Constraints(): enforcePodContainerConstraints runs on
    # pod.Spec.Containers AND pod.Spec.InitContainers.  Init container "setup" has no cpu ->
    # failed quota: compute: must specify requests.cpu for: setup; no replica is created.
    r = run(
        cluster,
        [
            quota("compute", {"requests.cpu": "10"}),
            deployment(
                "web",
                replicas=2,
                containers=[container("app", requests={"cpu": "100m"})],
                init=[container("setup", requests={"memory": "64Mi"})],
            ),
        ],
    )
    rec = row(r, "web")
    assert rec["not_created"] == 2
    assert "must specify requests.cpu" in rec["reason"]
    assert "setup" in rec["reason"]


def test_quota_is_shared_by_deployments_in_one_namespace(cluster):
    # pods 10: web 6 created first (apply order), api gets the remaining 10 - 6 = 4 of its 6.
    r = run(
        cluster,
        [
            quota("pods", {"pods": "10"}),
            deployment("web", replicas=6),
            deployment("api", replicas=6),
        ],
    )
    assert (row(r, "web")["running"], row(r, "web")["not_created"]) == (6, 0)
    api = row(r, "api")
    assert (api["running"], api["not_created"]) == (4, 2)
    assert (
        "exceeded quota: pods, requested: pods=1, used: pods=10, limited: pods=10"
        in (api["reason"])
    )


def test_rejected_pods_use_no_quota(cluster):
    # A pod refused by the LimitRanger is never created, so it uses no quota: pods 3, "bad" is
    # rejected (request 100m < min 200m), "good" then gets all 3 pods.
    r = run(
        cluster,
        [
            CPU_MIN_MAX,
            quota("pods", {"pods": "3"}),
            deployment("bad", replicas=2, containers=[container(requests={"cpu": "100m"})]),
            deployment("good", replicas=3),
        ],
    )
    assert row(r, "bad")["rejected"] == 2
    assert (row(r, "good")["running"], row(r, "good")["not_created"]) == (3, 0)


def test_quota_in_another_namespace_has_no_effect(cluster):
    # [RQ]: "A resource quota ... provides constraints that limit aggregate resource consumption
    # per namespace."  Quota pods 1 in team-b does not limit team-a.
    r = run(
        cluster,
        [
            namespace("team-a"),
            namespace("team-b"),
            quota("tight", {"pods": "1"}, namespace="team-b"),
            deployment("web", replicas=6, namespace="team-a"),
        ],
    )
    rec = row(r, "web")
    assert rec["running"] == 6
    assert rec["not_created"] == 0
    assert rec["reason"] == ""


def test_limitrange_in_another_namespace_has_no_effect(cluster):
    # [LR]: "A LimitRange is enforced in a particular namespace when there is a LimitRange object
    # in that namespace."  The min 200m LimitRange lives in team-b; a 100m pod in team-a runs
    # with its own 100m request.
    lr = limit_range(
        "cpu-min-max-demo-lr",
        {"type": "Container", "max": {"cpu": "800m"}, "min": {"cpu": "200m"}},
        namespace="team-b",
    )
    r = run(
        cluster,
        [
            namespace("team-a"),
            namespace("team-b"),
            lr,
            deployment(
                "web",
                replicas=3,
                namespace="team-a",
                containers=[container(requests={"cpu": "100m"})],
            ),
        ],
    )
    rec = row(r, "web")
    assert rec["rejected"] == 0
    assert rec["running"] == 3
    assert rec["cpu_request_millicores"] == 100


# ---------------------------------------------------------------------------------------------
# PriorityClass (Pod Priority and Preemption: the Priority admission controller rejects a pod
# whose priorityClassName does not exist: 'no PriorityClass with name X was found').


def test_unknown_priority_class_rejects_all_replicas(cluster):
    r = run(cluster, [deployment("web", replicas=3, priority_class="does-not-exist")])
    rec = row(r, "web")
    assert rec["rejected"] == 3
    assert rec["running"] == 0
    assert "is forbidden: no PriorityClass with name does-not-exist was found" in rec["reason"]


def test_declared_and_builtin_priority_classes_are_admitted(cluster):
    pc = {
        "apiVersion": "scheduling.k8s.io/v1",
        "kind": "PriorityClass",
        "metadata": {"name": "high"},
        "value": 1000,
    }
    r = run(
        cluster,
        [
            pc,
            deployment("web", replicas=2, priority_class="high"),
            deployment("sys", replicas=1, priority_class="system-cluster-critical"),
        ],
    )
    assert row(r, "web")["running"] == 2
    assert row(r, "sys")["running"] == 1
