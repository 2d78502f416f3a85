"""Reference cases for Karpenter's provisioning and consolidation.

Each test restates, with real EC2 instance types and the on-demand prices Karpenter ships for
us-east-1 (``data/ec2_on_demand_prices.csv``), a behaviour asserted by a test of
kubernetes-sigs/karpenter; the test it mirrors is named in its docstring as
``file: It("...")``.  Abbreviations: ``scheduling/suite_test.go``,
``scheduling/instance_selection_test.go`` and ``scheduling/topology_test.go`` are under
``pkg/controllers/provisioning/``; ``provisioning/suite_test.go`` is
``pkg/controllers/provisioning/suite_test.go``; ``disruption/*`` is
``pkg/controllers/disruption/``.

Expected values are worked out by hand from public numbers, never from podcap's functions:

* vCPUs, memory and ENIs of the EC2 types (m5.large 2 vCPU / 8 GiB / 3 ENIs x 10 IPv4,
  m5.xlarge 4 / 16 GiB / 4 x 15, m5.2xlarge 8 / 32 GiB / 4 x 15, m5.4xlarge 16 / 64 GiB,
  t3.nano 2 / 512 MiB / 2 x 2, t3.micro 2 / 1 GiB / 2 x 2, m6g.medium 1 / 4 GiB arm64,
  t3a.medium 2 / 4 GiB, c7a.medium 1 / 2 GiB, m3.medium 1 / 3840 MiB);
* Karpenter's allocatable: pods = ENIs x (IPv4 per ENI - 1) + 2; kube-reserved cpu 6 % of
  the first core, 1 % of the second, 0.5 % of cores 3-4, 0.25 % above (2 vCPU 70m, 4 vCPU
  80m, 8 vCPU 90m, 16 vCPU 110m); memory capacity = memory - ceil(7.5 %) (-64 MiB on arm64),
  then kube-reserved 11 x pods + 255 MiB and eviction 100 MiB.  So m5.large 1930m / 6903 MiB
  / 29 pods, m5.xlarge 3920m, m5.2xlarge 7910m, m5.4xlarge 15890m; the capacity limits count
  is vCPUs and the memory after the 7.5 % (m5.large 8192 - 615 = 7577 MiB);
* prices [USD/h]: m5.large 0.096, m5.xlarge 0.192, m5.2xlarge 0.384, m5.4xlarge 0.768,
  t3.nano 0.0052, t3.micro 0.0104, t3.large 0.0832, m6g.medium 0.0385, t3a.medium 0.0376,
  c7a.medium 0.05132, m3.medium 0.067.
"""

from __future__ import annotations

from typing import Any

import pytest

import podcap
from podcap import Cluster, ClusterState, NodeClass, NodeGroup, NodePool, Requirement, Scenario

ZONES = ("us-east-1a", "us-east-1b", "us-east-1c")
FAMILY = "karpenter.k8s.aws/instance-family"
CT = "karpenter.sh/capacity-type"
ZONE = "topology.kubernetes.io/zone"
TYPE = "node.kubernetes.io/instance-type"
ARCH = "kubernetes.io/arch"
HOST = "kubernetes.io/hostname"
ON_DEMAND = Requirement(CT, "In", ("on-demand",))
M5 = (Requirement(FAMILY, "In", ("m5",)), ON_DEMAND)


# --- builders -------------------------------------------------------------------------------


def expr(key: str, op: str, *values: str) -> dict[str, Any]:
    out: dict[str, Any] = {"key": key, "operator": op}
    if values:
        out["values"] = list(values)
    return out


def required(*terms: list[dict[str, Any]]) -> dict[str, Any]:
    """Required node affinity, one OR-term per argument."""
    return {
        "nodeAffinity": {
            "requiredDuringSchedulingIgnoredDuringExecution": {
                "nodeSelectorTerms": [{"matchExpressions": t} for t in terms]
            }
        }
    }


def preferred(*terms: tuple[int, list[dict[str, Any]]]) -> dict[str, Any]:
    return {
        "nodeAffinity": {
            "preferredDuringSchedulingIgnoredDuringExecution": [
                {"weight": w, "preference": {"matchExpressions": e}} for w, e in terms
            ]
        }
    }


def merge(*parts: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for p in parts:
        for k, v in p.items():
            out[k] = {**out.get(k, {}), **v} if isinstance(v, dict) else v
    return out


def anti(app: str, key: str = HOST) -> dict[str, Any]:
    return {
        "podAntiAffinity": {
            "requiredDuringSchedulingIgnoredDuringExecution": [
                {"labelSelector": {"matchLabels": {"app": app}}, "topologyKey": key}
            ]
        }
    }


def spread(app: str, key: str = ZONE, skew: int = 1) -> list[dict[str, Any]]:
    return [
        {
            "maxSkew": skew,
            "topologyKey": key,
            "whenUnsatisfiable": "DoNotSchedule",
            "labelSelector": {"matchLabels": {"app": app}},
        }
    ]


def pod_spec(
    cpu: str | None,
    memory: str | None,
    *,
    affinity: dict[str, Any] | None = None,
    ports: tuple[int, ...] = (),
    init_cpu: str | None = None,
    **spec: Any,
) -> dict[str, Any]:
    requests = {k: v for k, v in (("cpu", cpu), ("memory", memory)) if v is not None}
    container: dict[str, Any] = {"name": "c", "image": "x", "resources": {"requests": requests}}
    if ports:
        container["ports"] = [{"containerPort": p, "hostPort": p} for p in ports]
    out: dict[str, Any] = {"containers": [container], **spec}
    if affinity:
        out["affinity"] = affinity
    if init_cpu is not None:
        out["initContainers"] = [
            {"name": "i", "image": "x", "resources": {"requests": {"cpu": init_cpu}}}
        ]
    return out


def deployment(
    name: str, replicas: int, cpu: str | None = "100m", memory: str | None = "100Mi", **kw: Any
) -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": pod_spec(cpu, memory, **kw),
            },
        },
    }


def daemonset(name: str, cpu: str, memory: str = "10Mi", **kw: Any) -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "DaemonSet",
        "metadata": {"name": name},
        "spec": {
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": pod_spec(cpu, memory, **kw),
            },
        },
    }


def cluster(
    pools: list[NodePool], classes: tuple[NodeClass, ...] = (), groups: tuple = (), **kw: Any
) -> ClusterState:
    return ClusterState.of(Cluster(list(groups))).with_node_pools(
        pools, classes, zones=kw.pop("zones", ZONES), **kw
    )


def run(pools: list[NodePool], manifests: list[dict[str, Any]], **kw: Any):
    return podcap.step(cluster(pools, **kw), manifests)


def wl(result, name: str):
    return result.workloads.set_index("name").loc[name]


def types(result) -> list[str]:
    return sorted(result.nodeclaims["instance_type"])


def pool(name: str = "default", *reqs: Requirement, **kw: Any) -> NodePool:
    return NodePool(name, tuple(reqs) if reqs else M5, **kw)


def node_labels(state: ClusterState) -> list[dict[str, str]]:
    return [dict(g.labels or {}) for g in state.fleet.groups]


# --- requirements on custom labels (scheduling/suite_test.go "Custom Constraints") ----------


def test_nodepool_label_lands_on_the_node_of_an_unconstrained_pod():
    """scheduling/suite_test.go: It("should schedule unconstrained pods that don't have matching
    node selectors") (NodePool with Labels)."""
    state, r = run([pool(labels={"team": "a"})], [deployment("web", 1)])
    assert wl(r, "web").running == 1
    assert types(r) == ["m5.large"]
    assert node_labels(state)[0]["team"] == "a"


def test_conflicting_node_selector_on_a_nodepool_label():
    """scheduling/suite_test.go: It("should not schedule pods that have conflicting node
    selectors")."""
    _, r = run([pool(labels={"team": "a"})], [deployment("web", 1, nodeSelector={"team": "b"})])
    row = wl(r, "web")
    assert (row.running, row.pending) == (0, 1)
    assert r.nodeclaims.empty
    assert 'incompatible with nodepool "default"' in row.reason
    assert "incompatible requirements, key team" in row.reason


@pytest.mark.parametrize(
    ("operator", "runs"),
    [("In", False), ("NotIn", True), ("Exists", False), ("DoesNotExist", True)],
)
def test_operators_on_a_custom_key_the_nodepool_does_not_define(operator, runs):
    """scheduling/suite_test.go (Scheduling Logic): It("should not schedule pods that have node
    selectors with In operator and undefined key"), It("should schedule pods that have node
    selectors with NotIn operator and undefined key"), It("should not schedule pods that have
    node selectors with Exists operator and undefined key"), It("should schedule pods that with
    DoesNotExists operator and undefined key")."""
    values = ("test-value",) if operator in ("In", "NotIn") else ()
    aff = required([expr("test-key", operator, *values)])
    _, r = run([pool()], [deployment("web", 1, affinity=aff)])
    row = wl(r, "web")
    assert row.running == (1 if runs else 0)
    assert len(r.nodeclaims) == (1 if runs else 0)
    if not runs:
        assert 'label "test-key" does not have known values' in row.reason


@pytest.mark.parametrize(
    ("operator", "values"),
    [("NotIn", ("test-value",)), ("DoesNotExist", ()), ("In", ("another-value",))],
)
def test_operators_that_contradict_the_nodepool_requirement(operator, values):
    """scheduling/suite_test.go (Scheduling Logic): It("should not schedule pods that have node
    selectors with matching value and NotIn operator"), It("should not schedule the pod with
    DoesNotExists operator and defined key"), It("should not schedule pods that have node
    selectors with different value and In operator"): the NodePool requires test-key In
    [test-value]."""
    p = pool("default", *M5, Requirement("test-key", "In", ("test-value",)))
    aff = required([expr("test-key", operator, *values)])
    _, r = run([p], [deployment("web", 1, affinity=aff)])
    row = wl(r, "web")
    assert (row.running, row.pending) == (0, 1)
    assert r.nodeclaims.empty
    assert "incompatible requirements, key test-key" in row.reason


def test_exists_does_not_widen_an_in_requirement():
    """scheduling/suite_test.go: It("Exists operator should not overwrite the existing value"):
    zone In [a zone no subnet has] AND zone Exists cannot be met."""
    aff = required([expr(ZONE, "In", "us-east-1z"), expr(ZONE, "Exists")])
    _, r = run([pool()], [deployment("web", 1, affinity=aff)])
    assert wl(r, "web").pending == 1
    assert r.nodeclaims.empty


# --- well-known labels (scheduling/suite_test.go "Well Known Labels") -----------------------


def test_nodepool_zone_requirement_pins_the_nodeclaim():
    """scheduling/suite_test.go: It("should use NodePool constraints") (zone In [test-zone-2])."""
    p = pool("default", *M5, Requirement(ZONE, "In", ("us-east-1b",)))
    _, r = run([p], [deployment("web", 1)])
    assert list(r.nodeclaims["zone"]) == ["us-east-1b"]
    assert list(r.nodes["zone"]) == ["us-east-1b"]


def test_zone_not_in_leaves_the_one_zone_left():
    """scheduling/suite_test.go: It("should schedule compatible requirements with
    Operator=NotIn"): NotIn [zone-1, zone-2, unknown] leaves zone-3."""
    aff = required([expr(ZONE, "NotIn", "us-east-1a", "us-east-1b", "unknown")])
    _, r = run([pool()], [deployment("web", 1, affinity=aff)])
    assert list(r.nodeclaims["zone"]) == ["us-east-1c"]


def test_zone_not_in_every_zone_is_unschedulable():
    """scheduling/suite_test.go: It("should not schedule incompatible preferences and
    requirements with Operator=NotIn")."""
    aff = required([expr(ZONE, "NotIn", *ZONES, "unknown")])
    _, r = run([pool()], [deployment("web", 1, affinity=aff)])
    assert wl(r, "web").pending == 1
    assert r.nodeclaims.empty


def test_zone_selector_outside_the_nodepool_zones():
    """scheduling/suite_test.go: It("should not schedule if node selector outside of NodePool
    constraints")."""
    p = pool("default", *M5, Requirement(ZONE, "In", ("us-east-1a",)))
    _, r = run([p], [deployment("web", 1, nodeSelector={ZONE: "us-east-1b"})])
    assert wl(r, "web").pending == 1
    assert r.nodeclaims.empty


@pytest.mark.parametrize(
    ("op", "bound", "cpu", "expected"),
    [
        # Gt 8 vCPUs: the smallest m5 left is m5.4xlarge (16 vCPUs)
        ("Gt", "8", "100m", "m5.4xlarge"),
        # Gte 16: m5.4xlarge again
        ("Gte", "16", "100m", "m5.4xlarge"),
        # Lt 8: m5.large and m5.xlarge; a 3-cpu pod needs m5.xlarge (3920m)
        ("Lt", "8", "3", "m5.xlarge"),
        # Lte 2: only m5.large
        ("Lte", "2", "100m", "m5.large"),
    ],
)
def test_integer_operators_on_instance_cpu(op, bound, cpu, expected):
    """scheduling/suite_test.go: It("should schedule compatible requirements with Operator=Gt"),
    It("...Operator=Lt"), It("...Operator=Gte"), It("...Operator=Lte") (on an integer instance
    label; here karpenter.k8s.aws/instance-cpu)."""
    p = pool("default", *M5, Requirement("karpenter.k8s.aws/instance-cpu", op, (bound,)))
    _, r = run([p], [deployment("web", 1, cpu=cpu)])
    assert types(r) == [expected]


def test_lte_on_instance_cpu_too_small_for_the_pod():
    """scheduling/suite_test.go: It("should not schedule if requesting more resources than any
    instance type has"): m5 with at most 2 vCPUs (m5.large, 1930m) cannot take 2 cpu."""
    p = pool("default", *M5, Requirement("karpenter.k8s.aws/instance-cpu", "Lte", ("2",)))
    _, r = run([p], [deployment("web", 1, cpu="2")])
    row = wl(r, "web")
    assert row.pending == 1
    assert r.nodeclaims.empty
    assert "Failed to schedule pod" in row.reason


# --- preferences and their relaxation (scheduling/suite_test.go "Preferential Fallback") -----


def test_preferred_zone_within_required_zones_is_taken():
    """scheduling/suite_test.go: It("should schedule compatible preferences and requirements with
    Operator=In")."""
    aff = merge(
        required([expr(ZONE, "In", *ZONES, "unknown")]),
        preferred((1, [expr(ZONE, "In", "us-east-1b", "unknown")])),
    )
    _, r = run([pool()], [deployment("web", 1, affinity=aff)])
    assert list(r.nodeclaims["zone"]) == ["us-east-1b"]


def test_impossible_preference_is_relaxed():
    """scheduling/suite_test.go: It("should schedule incompatible preferences and requirements
    with Operator=In") and It("should relax all terms")."""
    aff = merge(
        required([expr(ZONE, "In", *ZONES, "unknown")]),
        preferred((1, [expr(ZONE, "In", "unknown")]), (1, [expr(TYPE, "In", "invalid")])),
    )
    _, r = run([pool()], [deployment("web", 1, affinity=aff)])
    assert wl(r, "web").running == 1
    assert types(r) == ["m5.large"]


def test_preference_against_the_requirement_does_not_block():
    """scheduling/suite_test.go: It("should schedule even if preference is conflicting with
    requirement")."""
    aff = merge(
        required([expr(ZONE, "In", "us-east-1c")]),
        preferred((1, [expr(ZONE, "NotIn", "us-east-1c")])),
    )
    _, r = run([pool()], [deployment("web", 1, affinity=aff)])
    assert list(r.nodeclaims["zone"]) == ["us-east-1c"]


def test_required_terms_are_tried_in_turn():
    """scheduling/suite_test.go: It("should relax multiple terms"): terms [invalid], [invalid],
    [zone-1], [zone-2]: the first satisfiable term wins."""
    aff = required(
        [expr(ZONE, "In", "invalid")],
        [expr(ZONE, "In", "invalid")],
        [expr(ZONE, "In", "us-east-1a")],
        [expr(ZONE, "In", "us-east-1b")],
    )
    _, r = run([pool()], [deployment("web", 1, affinity=aff)])
    assert list(r.nodeclaims["zone"]) == ["us-east-1a"]


def test_the_last_required_term_is_never_relaxed():
    """scheduling/suite_test.go: It("should not relax the final term")."""
    p = pool("default", *M5, Requirement(ZONE, "In", ("us-east-1a",)))
    aff = required([expr(ZONE, "In", "invalid")])
    _, r = run([p], [deployment("web", 1, affinity=aff)])
    assert wl(r, "web").pending == 1
    assert r.nodeclaims.empty


# --- instance type compatibility and selection ------------------------------------------------


def test_pods_of_different_archs_get_different_nodeclaims():
    """scheduling/suite_test.go: It("should launch pods with different archs on different
    instances"); instance_selection_test.go: It("should schedule on one of the cheapest instances
    (pod arch = arm64)").  m5 (amd64) and m6g (arm64): the amd64 pod gets the cheapest m5
    (m5.large $0.096), the arm64 pod the cheapest m6g (m6g.medium $0.0385: 1 vCPU, 940m)."""
    p = NodePool("default", (Requirement(FAMILY, "In", ("m5", "m6g")), ON_DEMAND))
    amd = deployment("amd", 1, cpu="500m", nodeSelector={ARCH: "amd64"})
    arm = deployment("arm", 1, cpu="500m", nodeSelector={ARCH: "arm64"})
    _, r = run([p], [amd, arm])
    assert types(r) == ["m5.large", "m6g.medium"]
    assert r.cost_per_hour == pytest.approx(0.096 + 0.0385)


def test_instance_type_outside_the_nodepool_arch():
    """scheduling/suite_test.go: It("should exclude instance types that are not supported by the
    pod constraints (node affinity/instance type)"): NodePool amd64 only, pod asks for an arm64
    type."""
    p = NodePool("default", (Requirement(ARCH, "In", ("amd64",)), ON_DEMAND))
    _, r = run([p], [deployment("web", 1, affinity=required([expr(TYPE, "In", "m6g.large")]))])
    row = wl(r, "web")
    assert row.pending == 1
    assert r.nodeclaims.empty
    assert "no instance type met" in row.reason


def test_pods_with_different_zone_selectors_get_different_nodeclaims():
    """scheduling/suite_test.go: It("should launch pods with different zone selectors on
    different instances")."""
    a = deployment("a", 1, nodeSelector={ZONE: "us-east-1a"})
    b = deployment("b", 1, nodeSelector={ZONE: "us-east-1b"})
    _, r = run([pool()], [a, b])
    assert sorted(r.nodeclaims["zone"]) == ["us-east-1a", "us-east-1b"]
    assert types(r) == ["m5.large", "m5.large"]


def test_the_cheapest_option_wins_regardless_of_size():
    """scheduling/suite_test.go: It("should select for valid instance types, regardless of
    price"): three types whose size and price do not correlate (m3.medium 1 vCPU $0.067,
    c7a.medium 1 vCPU $0.05132, t3a.medium 2 vCPU $0.0376); a tiny pod fits all three and the
    largest, cheapest one is launched."""
    p = NodePool(
        "default",
        (Requirement(TYPE, "In", ("m3.medium", "c7a.medium", "t3a.medium")), ON_DEMAND),
    )
    _, r = run([p], [deployment("web", 1, cpu="1m", memory="1Mi")])
    assert types(r) == ["t3a.medium"]
    assert r.cost_per_hour == pytest.approx(0.0376)


def test_smallest_type_that_holds_the_memory():
    """scheduling/suite_test.go (Binpacking): It("should schedule a small pod on the smallest
    instance").  t3.nano: 512 - ceil(38.4) = 473 MiB capacity, 4 pods (2 x 1 + 2),
    kube-reserved 11 x 4 + 255 = 299 MiB, eviction 100 MiB: 74 MiB allocatable, too small for
    100M (95.4 MiB); t3.micro: 1024 - 77 - 299 - 100 = 548 MiB holds it, $0.0104/h."""
    p = NodePool("default", (Requirement(FAMILY, "In", ("t3",)), ON_DEMAND))
    _, r = run([p], [deployment("web", 1, cpu=None, memory="100M")])
    assert types(r) == ["t3.micro"]
    assert r.cost_per_hour == pytest.approx(0.0104)


def test_pods_per_node_limit_opens_new_nodeclaims():
    """scheduling/suite_test.go (Binpacking): It("should create new nodes when a node is at
    capacity due to pod limits per node"): with maxPods 5 every type holds 5 pods, so 25 tiny
    pods need 5 NodeClaims, each the cheapest t3 (t3.nano, $0.0052/h: 1930m, 74 MiB)."""
    p = NodePool("default", (Requirement(FAMILY, "In", ("t3",)), ON_DEMAND))
    _, r = run(
        [p], [deployment("tiny", 25, cpu="1m", memory="1Mi")], classes=(NodeClass(max_pods=5),)
    )
    assert types(r) == ["t3.nano"] * 5
    assert list(r.nodeclaims["pods"]) == [5] * 5
    assert r.cost_per_hour == pytest.approx(5 * 0.0052)


def test_eni_limited_pods_choose_the_type():
    """scheduling/suite_test.go (Binpacking): It("should schedule multiple small pods on the
    smallest possible instance type"): 25 tiny pods fit one NodeClaim; by ENIs t3.small holds
    3 x 3 + 2 = 11 pods, t3.medium 3 x 5 + 2 = 17, t3.large 3 x 11 + 2 = 35: one t3.large."""
    p = NodePool("default", (Requirement(FAMILY, "In", ("t3",)), ON_DEMAND))
    _, r = run([p], [deployment("tiny", 25, cpu="1m", memory="1Mi")])
    assert types(r) == ["t3.large"]
    assert r.cost_per_hour == pytest.approx(0.0832)


def test_large_and_small_pods_pack_together():
    """scheduling/suite_test.go (Binpacking): It("should pack small and large pods together"):
    m5.large only (1930m): two 800m pods leave 330m, room for one 300m pod; 40 large and 20
    small pods need exactly 20 nodes."""
    p = NodePool("default", (Requirement(TYPE, "In", ("m5.large",)), ON_DEMAND))
    big = deployment("big", 40, cpu="800m", memory="100Mi")
    small = deployment("small", 20, cpu="300m", memory="100Mi")
    _, r = run([p], [big, small])
    first = r.nodeclaims[r.nodeclaims["batch"] == 0]
    assert len(first) == 20
    assert sorted(first["pods"]) == [3] * 20


def test_a_pod_that_fills_the_largest_option_gets_its_own_node():
    """scheduling/suite_test.go (Binpacking): It("should pack nodes tightly"): m5 up to 2xlarge;
    7.5 cpu fills an m5.2xlarge (7910m), the 1 cpu pod gets an m5.large."""
    p = NodePool(
        "default", (Requirement(TYPE, "In", ("m5.large", "m5.xlarge", "m5.2xlarge")), ON_DEMAND)
    )
    _, r = run([p], [deployment("big", 1, cpu="7500m"), deployment("small", 1, cpu="1")])
    assert types(r) == ["m5.2xlarge", "m5.large"]


def test_init_container_requests_count():
    """scheduling/suite_test.go (Binpacking): It("should take into account initContainer resource
    requests when binpacking"): 1 cpu container, 2 cpu init container: the pod requests 2 cpu,
    more than m5.large's 1930m: m5.xlarge."""
    _, r = run([pool()], [deployment("web", 1, cpu="1", init_cpu="2")])
    assert types(r) == ["m5.xlarge"]


def test_runtime_class_overhead_counts():
    """scheduling/suite_test.go (Binpacking): It("should take pod runtime class into
    consideration"): 1 cpu plus a RuntimeClass overhead of 2 cpu: 3 cpu, m5.xlarge (3920m)."""
    rc = {
        "apiVersion": "node.k8s.io/v1",
        "kind": "RuntimeClass",
        "metadata": {"name": "kata"},
        "handler": "kata",
        "overhead": {"podFixed": {"cpu": "2"}},
    }
    _, r = run([pool()], [rc, deployment("web", 1, cpu="1", runtimeClassName="kata")])
    assert types(r) == ["m5.xlarge"]


def test_memory_beyond_every_type_is_unschedulable():
    """scheduling/suite_test.go (Binpacking): It("should not schedule pods that exceed every
    instance type's capacity") (2Ti of memory; the largest m5 has 384 GiB)."""
    _, r = run([pool()], [deployment("web", 1, memory="2Ti")])
    row = wl(r, "web")
    assert row.pending == 1
    assert r.nodeclaims.empty
    assert "Failed to schedule pod" in row.reason


# --- host ports -----------------------------------------------------------------------------


def test_same_host_port_needs_two_nodeclaims():
    """scheduling/suite_test.go: It("should schedule pods with the same host port to different
    nodes")."""
    _, r = run([pool()], [deployment("web", 2, ports=(8080,))])
    assert types(r) == ["m5.large", "m5.large"]
    assert wl(r, "web").running == 2


# --- DaemonSet overhead (provisioning/suite_test.go "Daemonsets") ---------------------------


def test_daemonset_without_the_nodepool_toleration_is_ignored():
    """provisioning/suite_test.go: It("should ignore daemonsets without matching tolerations"):
    a 1 cpu DaemonSet that does not tolerate the NodePool's taint does not run there, so a 1 cpu
    pod fits m5.large (1930m); tolerating it, the two need m5.xlarge (3920m)."""
    taint = podcap.Taint("foo", "bar", "NoSchedule")
    tolerate_all = [{"operator": "Exists"}]
    app = deployment("web", 1, cpu="1", tolerations=tolerate_all)
    _, r = run([pool(taints=(taint,))], [daemonset("agent", "1"), app])
    assert types(r) == ["m5.large"]
    _, r = run([pool(taints=(taint,))], [daemonset("agent", "1", tolerations=tolerate_all), app])
    assert types(r) == ["m5.xlarge"]


def test_daemonset_overhead_counts_despite_a_startup_taint():
    """provisioning/suite_test.go: It("should account for daemonsets (with startup taint)")."""
    startup = podcap.Taint("foo.com/taint", "", "NoSchedule")
    _, r = run(
        [pool(startup_taints=(startup,))], [daemonset("agent", "1"), deployment("web", 1, cpu="1")]
    )
    assert types(r) == ["m5.xlarge"]
    assert int(r.workloads.set_index("name").loc["web"].running) == 1


def test_daemonset_overhead_counts_despite_a_prefer_no_schedule_taint():
    """provisioning/suite_test.go: It("should consider a daemonset schedulable with a
    PreferNoSchedule taint")."""
    soft = podcap.Taint("test", "", "PreferNoSchedule")
    _, r = run([pool(taints=(soft,))], [daemonset("agent", "1"), deployment("web", 1, cpu="1")])
    assert types(r) == ["m5.xlarge"]


def test_daemonset_overhead_follows_instance_type_requirements():
    """provisioning/suite_test.go: It("should filter out daemonsets based on instance type
    requirements"): a 500m DaemonSet on size large, a 3 cpu one on the other sizes: an m5.large
    carries 1 cpu + 500m = 1500m of its 1930m."""
    small = daemonset(
        "small", "500m", affinity=required([expr("karpenter.k8s.aws/instance-size", "In", "large")])
    )
    big = daemonset(
        "big", "3", affinity=required([expr("karpenter.k8s.aws/instance-size", "NotIn", "large")])
    )
    _, r = run([pool()], [small, big, deployment("web", 1, cpu="1")])
    assert types(r) == ["m5.large"]


def test_daemonset_that_fits_no_type_is_ignored():
    """provisioning/suite_test.go: It("should ignore daemonsets when no instance types meet the
    daemonset requirements") and It("should ignore daemonsets with an invalid selector")."""
    nowhere = daemonset("nowhere", "2", affinity=required([expr(TYPE, "In", "non-existent")]))
    invalid = daemonset("invalid", "2", nodeSelector={"node": "invalid"})
    _, r = run([pool()], [nowhere, invalid, deployment("web", 1, cpu="1")])
    assert types(r) == ["m5.large"]


def test_daemonset_selecting_the_nodepool_label_counts():
    """provisioning/suite_test.go: It("should account for daemonsets with a custom label
    nodeSelector that matches the nodepool") and It("should consider a daemonset schedulable
    with multiple node affinity terms")."""
    p = pool(labels={"purpose": "monitoring"})
    by_selector = daemonset("mon", "1", nodeSelector={"purpose": "monitoring"})
    _, r = run([p], [by_selector, deployment("web", 1, cpu="1")])
    assert types(r) == ["m5.xlarge"]
    terms = required([expr("purpose", "In", "other")], [expr("purpose", "In", "monitoring")])
    _, r = run([p], [daemonset("mon", "1", affinity=terms), deployment("web", 1, cpu="1")])
    assert types(r) == ["m5.xlarge"]


def test_daemonset_larger_than_every_type():
    """provisioning/suite_test.go: It("should not schedule if daemonset overhead is too
    large")."""
    _, r = run([pool()], [daemonset("huge", "10000"), deployment("web", 1)])
    assert wl(r, "web").pending == 1
    assert r.nodeclaims.empty


# --- taints -----------------------------------------------------------------------------------


def test_every_toleration_form_tolerates_the_taint():
    """provisioning/suite_test.go (Taints): It("should schedule pods that tolerate taints"):
    Equal with value and effect, Exists with effect, Exists on the key, Exists on everything."""
    taint = podcap.Taint("nvidia.com/gpu", "true", "NoSchedule")
    forms = [
        {"key": "nvidia.com/gpu", "operator": "Equal", "value": "true", "effect": "NoSchedule"},
        {"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"},
        {"key": "nvidia.com/gpu", "operator": "Exists"},
        {"operator": "Exists"},
    ]
    apps = [deployment(f"p{i}", 1, tolerations=[f]) for i, f in enumerate(forms)]
    _, r = run([pool(taints=(taint,))], apps)
    assert int(r.workloads["running"].sum()) == 4
    assert int(r.workloads["pending"].sum()) == 0


def test_startup_taint_does_not_need_a_toleration():
    """topology_test.go (Taints): It("should provision nodes with taints and schedule pods if the
    taint is only a startup taint")."""
    startup = podcap.Taint("ignore-me", "nothing-to-see-here", "NoSchedule")
    _, r = run([pool(startup_taints=(startup,))], [deployment("web", 1)])
    assert types(r) == ["m5.large"]


def test_prefer_no_schedule_nodepool_is_avoided_while_another_fits():
    """provisioning/suite_test.go: It("should not match NodePool with PreferNoSchedule taint when
    other NodePool match"): "zeta" comes first by name (descending) but its PreferNoSchedule
    taint is not tolerated on the first try; "alpha" takes the pod."""
    soft = podcap.Taint("foo", "bar", "PreferNoSchedule")
    _, r = run([pool("zeta", taints=(soft,)), pool("alpha")], [deployment("web", 1)])
    assert list(r.nodeclaims["nodepool"]) == ["alpha"]


def test_prefer_no_schedule_is_tolerated_as_the_last_relaxation():
    """provisioning/suite_test.go: It("should tolerate PreferNoSchedule taint only after trying
    to relax Affinity terms")."""
    soft = podcap.Taint("foo", "bar", "PreferNoSchedule")
    aff = preferred((1, [expr(ZONE, "In", "invalid")]), (1, [expr(TYPE, "In", "invalid")]))
    state, r = run([pool(taints=(soft,))], [deployment("web", 1, affinity=aff)])
    assert wl(r, "web").running == 1
    assert state.fleet.groups[0].taints == (soft,)


# --- weights --------------------------------------------------------------------------------


def test_highest_weight_nodepool_always_wins():
    """provisioning/suite_test.go (Weighted NodePools): It("should schedule to the nodepool with
    the highest priority always")."""
    pools = [pool("a"), pool("b", weight=20), pool("c", weight=100)]
    _, r = run(pools, [deployment("web", 3, cpu="1")])
    assert set(r.nodeclaims["nodepool"]) == {"c"}


def test_explicitly_selected_nodepool_beats_weight():
    """provisioning/suite_test.go (Weighted NodePools): It("should schedule to explicitly
    selected nodepool even if other nodePools are higher priority") and (Multiple NodePools)
    It("should schedule to a NodePool by labels")."""
    pools = [pool("a"), pool("b", weight=20), pool("c", weight=100, labels={"x": "1"})]
    _, r = run(pools, [deployment("web", 1, nodeSelector={"karpenter.sh/nodepool": "a"})])
    assert list(r.nodeclaims["nodepool"]) == ["a"]
    pools = [pool("a", weight=100), pool("c", labels={"foo": "bar"})]
    _, r = run(pools, [deployment("web", 1, nodeSelector={"foo": "bar"})])
    assert list(r.nodeclaims["nodepool"]) == ["c"]


# --- limits (provisioning/suite_test.go "Resource Limits") ----------------------------------


def test_cpu_limit_met_exactly():
    """provisioning/suite_test.go: It("should schedule if limits would be met"): a cpu limit of
    2 allows m5.large (2 vCPUs), whose 1930m hold 1.75 cpu."""
    _, r = run([pool(limits={"cpu": 2000})], [deployment("web", 1, cpu="1750m")])
    assert types(r) == ["m5.large"]


def test_cpu_limit_exceeded_by_the_only_fitting_types():
    """provisioning/suite_test.go: It("should not schedule if limits would be exceeded"): 2.1 cpu
    needs m5.xlarge (4 vCPUs) or larger, over a cpu limit of 2.  The limit leaves m5.large
    (scheduler.go filterByRemainingResources), which is too small: the error is about
    resources, not limits."""
    _, r = run([pool(limits={"cpu": 2000})], [deployment("web", 1, cpu="2100m")])
    row = wl(r, "web")
    assert row.pending == 1
    assert r.nodeclaims.empty
    assert "no instance type has enough resources" in row.reason
    assert "exceed limits" not in row.reason


def test_cpu_limit_partially_schedules():
    """provisioning/suite_test.go: It("should partially schedule if limits would be exceeded"):
    cpu limit 3, two 1.5 cpu pods kept apart: the first m5.large uses 2 of the 3 vCPUs and no
    type has 1 vCPU left."""
    _, r = run(
        [pool(limits={"cpu": 3000})], [deployment("foo", 2, cpu="1500m", affinity=anti("foo"))]
    )
    row = wl(r, "foo")
    assert (row.running, row.pending) == (1, 1)
    assert types(r) == ["m5.large"]


def test_memory_limit_counts_capacity_after_the_vm_overhead():
    """provisioning/suite_test.go: It("should not schedule if limits would be exceeded") with
    memory: Karpenter counts m5.large as 8192 - ceil(614.4) = 7577 MiB, so a limit of 7577Mi
    admits it and 7576Mi does not (m5.xlarge: 15155 MiB)."""
    _, r = run([pool(limits={"memory": 7577 << 20})], [deployment("web", 1)])
    assert types(r) == ["m5.large"]
    _, r = run([pool(limits={"memory": 7576 << 20})], [deployment("web", 1)])
    assert r.nodeclaims.empty
    assert "exceed limits" in wl(r, "web").reason


def test_node_limit_across_provisioning_rounds():
    """provisioning/suite_test.go: It("should not schedule if limits would be exceeded (node)"):
    nodes: 2, one pod per round, kept apart: the third round finds the node limit used up."""
    sc = Scenario(cluster([pool(limits={"nodes": 2})]))
    sc.apply([deployment("foo", 1, cpu="1500m", affinity=anti("foo"))])
    sc.scale("foo", 2).scale("foo", 3)
    out = sc.run()
    last = wl(out.results[-1], "foo")
    assert (last.running, last.pending) == (2, 1)
    assert 'node limits have been exhausted for nodepool "default"' in last.reason
    assert len(out.states[-1].fleet.names) == 2


# --- topology (scheduling/topology_test.go) -------------------------------------------------


def pods_per_zone(result) -> list[int]:
    per = result.nodes.groupby("zone")["pods"].sum()
    return sorted(int(v) for v in per if v)


def test_zone_spread_balances_four_pods_over_three_zones():
    """topology_test.go (Zonal): It("should balance pods across zones (match labels)")."""
    _, r = run([pool()], [deployment("api", 4, topologySpreadConstraints=spread("api"))])
    assert pods_per_zone(r) == [1, 1, 2]


def test_zone_spread_within_the_nodepool_zones():
    """topology_test.go (Zonal): It("should respect NodePool zonal constraints (subset) with
    requirements")."""
    p = pool("default", *M5, Requirement(ZONE, "In", ("us-east-1a", "us-east-1b")))
    _, r = run([p], [deployment("api", 4, topologySpreadConstraints=spread("api"))])
    assert pods_per_zone(r) == [2, 2]
    assert set(r.nodeclaims["zone"]) == {"us-east-1a", "us-east-1b"}


def test_zone_spread_with_a_nodepool_zone_label():
    """topology_test.go (Zonal): It("should respect NodePool zonal constraints (subset) with
    labels")."""
    p = pool(labels={ZONE: "us-east-1a"})
    _, r = run([p], [deployment("api", 4, topologySpreadConstraints=spread("api"))])
    assert pods_per_zone(r) == [4]


def test_zone_spread_counts_the_zone_of_an_existing_node():
    """topology_test.go (Zonal): It("should not violate max-skew when unsat = do not
    schedule"): one pod already runs in zone-1 (here on a fixed m5.large node, 1930m, room for
    one 1.1 cpu pod); the NodePool may only use zone-2 and zone-3.  Zone-1 stays a domain with
    one pod, so with maxSkew 1 zone-2 and zone-3 take two pods each: (1, 2, 2), six pending."""
    fixed = NodeGroup("fixed", "m5.large", 1, zones=("us-east-1a",))
    p = pool("default", *M5, Requirement(ZONE, "In", ("us-east-1b", "us-east-1c")))
    state = cluster([p], groups=(fixed,))
    _, r = podcap.step(
        state, [deployment("api", 11, cpu="1100m", topologySpreadConstraints=spread("api"))]
    )
    assert pods_per_zone(r) == [1, 2, 2]
    assert wl(r, "api").pending == 6


def test_hostname_spread_puts_one_pod_per_node():
    """topology_test.go (Hostname): It("should balance pods across nodes")."""
    _, r = run([pool()], [deployment("api", 4, topologySpreadConstraints=spread("api", HOST))])
    assert list(r.nodeclaims["pods"]) == [1, 1, 1, 1]
    assert sorted(r.nodes["pods"]) == [1, 1, 1, 1]


def test_hostname_spread_up_to_max_skew_shares_a_node():
    """topology_test.go (Hostname): It("should balance pods on the same hostname up to
    maxskew")."""
    c = spread("api", HOST, skew=4)
    _, r = run([pool()], [deployment("api", 4, topologySpreadConstraints=c)])
    assert list(r.nodeclaims["pods"]) == [4]


def test_zone_anti_affinity_allows_one_pod_per_zone():
    """topology_test.go (Pod Affinity/Anti-Affinity): It("should support pod anti-affinity with a
    zone topology"): 3 zones, 4 pods that avoid each other per zone: three run, one waits."""
    _, r = run([pool()], [deployment("db", 4, affinity=anti("db", ZONE))])
    row = wl(r, "db")
    assert (row.running, row.pending) == (3, 1)
    assert sorted(r.nodeclaims["zone"]) == list(ZONES)


def test_preferred_anti_affinity_may_be_violated():
    """topology_test.go: It("should allow violation of preferred pod anti-affinity"): a single
    zone and a pod limit of 1 node (cpu 2): the preference first spreads, then gives way."""
    soft = {
        "podAntiAffinity": {
            "preferredDuringSchedulingIgnoredDuringExecution": [
                {
                    "weight": 100,
                    "podAffinityTerm": {
                        "labelSelector": {"matchLabels": {"app": "web"}},
                        "topologyKey": ZONE,
                    },
                }
            ]
        }
    }
    p = pool("default", *M5, Requirement(ZONE, "In", ("us-east-1a",)))
    _, r = run([p], [deployment("web", 3, affinity=soft)])
    assert wl(r, "web").running == 3
    assert list(r.nodeclaims["zone"]) == ["us-east-1a"]


# --- consolidation (disruption/) ------------------------------------------------------------


def spread_nodes(n: int, **pool_kw: Any) -> ClusterState:
    """``n`` m5.large nodes, one pod each (kept apart by anti-affinity), then scaled to 0."""
    state, r = run([pool(**pool_kw)], [deployment("db", n, affinity=anti("db"))])
    assert types(r) == ["m5.large"] * n
    state, _ = podcap.settle(state.scale(state.find("db"), 0))
    return state


def test_emptiness_deletes_empty_nodes():
    """disruption/emptiness_test.go: It("can delete empty nodes") and It("can delete multiple
    empty nodes") (budget 100 %)."""
    c = podcap.consolidate(spread_nodes(3, budgets=("100%",)))
    assert list(c.commands[["method", "action"]].itertuples(index=False, name=None)) == [
        ("emptiness", "delete")
    ]
    assert len(c.removed) == 3
    assert c.cost_before == pytest.approx(3 * 0.096)
    assert c.cost_after == 0.0


def test_emptiness_budget_of_thirty_percent():
    """disruption/consolidation_test.go (Budgets): It("should only allow 3 empty nodes to be
    disrupted"): 30 % of 10 nodes; each later pass takes 30 % of what is left, rounded up
    (7 -> 3, 4 -> 2, 2 -> 1, 1 -> 1)."""
    c = podcap.consolidate(spread_nodes(10, budgets=("30%",)))
    sizes = [len(n.split(",")) for n in c.commands["nodes"]]
    assert sizes == [3, 3, 2, 1, 1]
    assert set(c.commands["method"]) == {"emptiness"}


def test_emptiness_budget_of_zero():
    """disruption/consolidation_test.go (Budgets): It("should allow no empty nodes to be
    disrupted") and emptiness_test.go: It("should allow no empty nodes to be disrupted")."""
    c = podcap.consolidate(spread_nodes(3, budgets=("0%",)))
    assert c.commands.empty
    assert c.cost_after == pytest.approx(3 * 0.096)


def test_a_node_with_only_daemonset_pods_is_empty():
    """disruption/emptiness_test.go: It("will consider a node with a DaemonSet pod as empty")."""
    state, r = run([pool(budgets=("100%",))], [daemonset("agent", "100m"), deployment("web", 1)])
    assert types(r) == ["m5.large"]
    state, _ = podcap.settle(state.scale(state.find("web"), 0))
    c = podcap.consolidate(state)
    assert list(c.commands["method"]) == ["emptiness"]
    assert c.cost_after == 0.0


def test_when_empty_policy_leaves_underused_nodes():
    """disruption/consolidation_test.go (Events): It("should fire an event for
    ConsolidationDisabled when the NodePool has consolidation set to WhenEmpty"): an underused
    m5.8xlarge stays."""
    state, r = run(
        [pool(consolidation_policy="WhenEmpty")], [deployment("web", 30, cpu="1", memory="1Gi")]
    )
    assert types(r) == ["m5.8xlarge"]
    state, _ = podcap.settle(state.scale(state.find("web"), 2))
    c = podcap.consolidate(state)
    assert c.commands.empty
    assert c.cost_after == pytest.approx(1.536)


def test_anti_affinity_blocks_deleting_nodes():
    """disruption/consolidation_test.go (Topology Consideration): It("won't delete node if it
    would violate pod anti-affinity")."""
    state, r = run([pool(budgets=("100%",))], [deployment("db", 2, affinity=anti("db"))])
    assert types(r) == ["m5.large", "m5.large"]
    c = podcap.consolidate(state)
    assert c.commands.empty


def nodes_after_fillers(sizes: list[tuple[str, int, str, str]], **pool_kw: Any) -> ClusterState:
    """One node per entry ``(app, replicas, cpu, filler cpu)``; the fillers are then deleted."""
    sc = Scenario(cluster([pool(**pool_kw)]))
    for i, (app, n, cpu, fill) in enumerate(sizes):
        sc.apply([deployment(app, n, cpu=cpu), deployment(f"fill{i}", 1, cpu=fill)])
    for i in range(len(sizes)):
        sc.delete("Deployment", f"fill{i}")
    state = sc.run().states[-1]
    assert len(state.fleet.names) == len(sizes)
    return state


def test_multi_node_merges_three_nodes_into_one_cheaper_node():
    """disruption/consolidation_test.go (Multi-NodeClaim): DescribeTable("can merge 3 nodes into
    1"): three m5.2xlarge ($0.384) hold 1.2 cpu each once their 6 cpu fillers are gone; one
    m5.xlarge (3920m, $0.192) holds the 3.6 cpu."""
    state = nodes_after_fillers(
        [("a", 1, "1200m", "6"), ("b", 1, "1200m", "6"), ("c", 1, "1200m", "6")],
        budgets=("100%",),
    )
    assert {g.instance_type for g in state.fleet.groups} == {"m5.2xlarge"}
    c = podcap.consolidate(state)
    row = c.commands.iloc[0]
    assert (row.method, row.action, row.replacement) == ("multi-node", "replace", "m5.xlarge")
    assert len(row.nodes.split(",")) == 3
    assert c.cost_before == pytest.approx(3 * 0.384)
    assert c.cost_after == pytest.approx(0.192)


# Cases that pin behaviours podcap once got wrong


# 1. Custom keys defined by a NodePool *requirement* never become node labels.
@pytest.mark.parametrize(
    ("operator", "values"),
    [("In", ("test-value",)), ("Exists", ()), ("NotIn", ("another-value",))],
)
def test_operators_on_a_custom_key_the_nodepool_requires(operator, values):
    """scheduling/suite_test.go: It("should schedule pods that have node selectors with matching
    value and In operator"), It("should schedule the pod with Exists operator and defined key"),
    It("should schedule pods that have node selectors with different value and NotIn operator").
    Karpenter resolves custom requirement keys to node labels (nodeclaimtemplate.go
    resolveCustomLabelsFromRequirements: In -> one of its values), so the node carries
    test-key=test-value and the pod binds to it."""
    p = pool("default", *M5, Requirement("test-key", "In", ("test-value",)))
    aff = required([expr("test-key", operator, *values)])
    state, r = run([p], [deployment("web", 1, affinity=aff)])
    assert wl(r, "web").running == 1
    assert len(r.nodeclaims) == 1  #
    assert node_labels(state)[0]["test-key"] == "test-value"


def test_compatible_pods_share_a_nodeclaim():
    """scheduling/suite_test.go: It("should schedule compatible pods to the same node")."""
    p = pool("default", *M5, Requirement("test-key", "In", ("a", "b")))
    one = deployment("one", 1, affinity=required([expr("test-key", "In", "a")]))
    two = deployment("two", 1, affinity=required([expr("test-key", "NotIn", "b")]))
    state, r = run([p], [one, two])
    assert len(r.nodeclaims) == 1
    assert int(r.workloads["running"].sum()) == 2
    assert node_labels(state)[0]["test-key"] == "a"


# 2. A NodeClaim does not narrow a custom key to the values its pods chose.
def test_incompatible_pods_get_different_nodeclaims():
    """scheduling/suite_test.go: It("should schedule incompatible pods to the different node"):
    NodePool test-key In [a, b]; one pod In [a], the other In [b]: two NodeClaims, labelled a
    and b (nodeclaim.go CanAdd intersects the NodeClaim's requirements with each pod's)."""
    p = pool("default", *M5, Requirement("test-key", "In", ("a", "b")))
    one = deployment("one", 1, affinity=required([expr("test-key", "In", "a")]))
    two = deployment("two", 1, affinity=required([expr("test-key", "In", "b")]))
    state, r = run([p], [one, two])
    first = r.nodeclaims[r.nodeclaims["batch"] == 0]
    assert list(first["pods"]) == [1, 1]
    assert int(r.workloads["running"].sum()) == 2
    assert sorted(lab["test-key"] for lab in node_labels(state)) == ["a", "b"]


# 3. Only the heaviest preferred node-affinity term is ever tried.
def test_preferred_terms_relax_to_lighter_weights():
    """scheduling/suite_test.go: It("should relax to use lighter weights"): the weight-100 term
    is impossible, Karpenter drops it and applies the weight-50 one (preferences.go
    removePreferredNodeAffinityTerm removes the heaviest term only; requirements.go
    NewPodRequirements takes the heaviest remaining)."""
    p = pool("default", *M5, Requirement(ZONE, "In", ("us-east-1a", "us-east-1b")))
    aff = preferred(
        (100, [expr(TYPE, "In", "no-such-type")]),
        (50, [expr(ZONE, "In", "us-east-1b")]),
        (1, [expr(ZONE, "In", "us-east-1a")]),
    )
    _, r = run([p], [deployment("web", 1, affinity=aff)])
    assert list(r.nodeclaims["zone"]) == ["us-east-1b"]


# 4. DaemonSet host ports are not part of the DaemonSet overhead.
def test_daemonset_host_port_blocks_the_pod():
    """provisioning/suite_test.go (Daemonsets): It("should account for daemonset hostports"):
    a DaemonSet on every node uses hostPort 8080; a pod with hostPort 8080 cannot share a new
    node with it, so Karpenter launches nothing (scheduler.go buildDaemonOverheadGroups keeps
    the DaemonSets' host ports; nodeclaim.go CanAdd checks them)."""
    _, r = run(
        [pool()], [daemonset("agent", "100m", ports=(8080,)), deployment("web", 1, ports=(8080,))]
    )
    assert wl(r, "web").pending == 1
    assert r.nodeclaims.empty
    assert wl(r, "agent").pending == 0


# 5. Multi-node consolidation does not filter out the candidates' own instance type.
def test_multi_node_does_not_replace_nodes_by_one_of_their_own_type():
    """disruption/consolidation_test.go: DescribeTable("won't merge 2 nodes into 1 of the same
    type") (multinodeconsolidation.go filterOutSameInstanceType)."""
    state = nodes_after_fillers(
        [("one", 1, "500m", "1400m"), ("two", 2, "500m", "900m")], budgets=("100%",)
    )
    c = podcap.consolidate(state)
    assert list(c.commands[["method", "action"]].itertuples(index=False, name=None)) == [
        ("single-node", "delete")
    ]


def test_multi_node_deletes_two_when_three_would_need_a_node_of_their_type():
    """disruption/consolidation_test.go: DescribeTable("won't merge 2 nodes into 1 of the same
    type"), applied to three m5.large with 600m each."""
    state = nodes_after_fillers(
        [("a", 1, "600m", "1200m"), ("b", 1, "600m", "1200m"), ("c", 1, "600m", "1200m")],
        budgets=("100%",),
    )
    c = podcap.consolidate(state)
    row = c.commands.iloc[0]
    assert (row.method, row.action) == ("multi-node", "delete")
    assert len(row.nodes.split(",")) == 2


# 6. A `pods` limit is not applied (instance capacity has no pods entry in podcap).
def test_pods_limit_counts_each_types_pod_capacity():
    """provisioning/suite_test.go (Resource Limits): It("should not schedule if limits would be
    exceeded (GPU)") (its limit is `pods: 1`): Karpenter's instance capacity includes pods (the
    AWS provider's capacity has the type's max pods), so limits.pods 28 drops m5.large
    (29 pods) and every larger m5."""
    _, r = run([pool(limits={"pods": 28})], [deployment("web", 1)])
    assert r.nodeclaims.empty
    assert "all available instance types exceed limits" in wl(r, "web").reason
    _, r = run([pool(limits={"pods": 29})], [deployment("web", 1)])
    assert types(r) == ["m5.large"]
