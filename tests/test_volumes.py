"""Volumes: the EBS CSI driver's attachment limit (NodeVolumeLimits) and where a volume lets a
pod run (VolumeBinding), in both engines.

Reference values are computed by hand from the sources:

* aws-ebs-csi-driver ``pkg/driver/node.go`` ``getVolumesLimit`` (v1.49.0 and later) with
  ``pkg/cloud/limits/volume_limits.go`` ``GetVolumeLimits`` and its generated table: a type
  missing from the table has 27 shared attachments, c5d.large 26 shared (its NVMe instance store
  already taken out), m7i.large 32 dedicated; the root volume is reserved; a shared limit loses
  the ENIs beyond the first.
* kube-scheduler ``pkg/scheduler/framework/plugins/nodevolumelimits/csi.go``
  (``node(s) exceed max volume count``) and ``volumebinding/binder.go`` (``node(s) had volume
  node affinity conflict``, ``node(s) didn't find available persistent volumes to bind``,
  ``pod has unbound immediate PersistentVolumeClaims``).
"""

from __future__ import annotations

import warnings
from typing import Any

import pytest

import podcap
from podcap.errors import InvalidManifestError, PodcapWarning

ZONES = ("us-east-1a", "us-east-1b")
GP3 = {
    "apiVersion": "storage.k8s.io/v1",
    "kind": "StorageClass",
    "metadata": {
        "name": "gp3",
        "annotations": {"storageclass.kubernetes.io/is-default-class": "true"},
    },
    "provisioner": "ebs.csi.aws.com",
    "volumeBindingMode": "WaitForFirstConsumer",
}


def statefulset(replicas: int, claims: int = 1, cls: str | None = None) -> dict[str, Any]:
    spec: dict[str, Any] = {"accessModes": ["ReadWriteOnce"]}
    if cls is not None:
        spec["storageClassName"] = cls
    return {
        "apiVersion": "apps/v1",
        "kind": "StatefulSet",
        "metadata": {"name": "db"},
        "spec": {
            "replicas": replicas,
            "podManagementPolicy": "Parallel",
            "selector": {"matchLabels": {"app": "db"}},
            "template": {
                "metadata": {"labels": {"app": "db"}},
                "spec": {"containers": [{"name": "c", "resources": {"requests": {"cpu": "1m"}}}]},
            },
            "volumeClaimTemplates": [
                {"metadata": {"name": f"data{i}"}, "spec": spec} for i in range(claims)
            ],
        },
    }


PD = podcap.VpcCni(prefix_delegation=True)  # pod IPs never the limit here


def group(instance_type: str, count: int = 1, **kw: Any) -> podcap.NodeGroup:
    kw.setdefault("cni", PD)
    return podcap.NodeGroup("w", instance_type, count, zones=ZONES, max_pods=110, **kw)


def run(cluster: podcap.Cluster, docs: list[dict[str, Any]], engine: str) -> Any:
    return podcap.simulate(cluster, docs, engine=engine)  # type: ignore[arg-type]


ENGINES = ["fast", "reference"]


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize(
    ("instance_type", "cni", "ebs_csi", "per_node"),
    [
        # not in the driver's table: 27 shared - 1 root volume - (1 ENI - 1) = 26
        ("m5.large", PD, None, 26),
        # c5d.large: 26 shared (NVMe instance store out) - 1 root = 25
        ("c5d.large", PD, None, 25),
        # m7i.large: 32 dedicated - 1 root = 31, whatever the ENIs
        ("m7i.large", podcap.VpcCni(prefix_delegation=True, warm_eni_target=2), None, 31),
        # WARM_ENI_TARGET=2: the VPC CNI holds 2 ENIs on an empty m5.large: 27 - 1 - 1 = 25
        ("m5.large", podcap.VpcCni(warm_eni_target=2), None, 25),
        # --volume-attach-limit=5 replaces everything
        ("m5.large", PD, podcap.EbsCsiDriver(volume_attach_limit=5), 5),
        # --reserved-volume-attachments=3: 27 - 3 = 24
        ("m5.large", PD, podcap.EbsCsiDriver(reserved_volume_attachments=3), 24),
        # two more EBS volumes in the launch template: 27 - (2 + 1) = 24
        ("m5.large", PD, podcap.EbsCsiDriver(block_device_mappings=2), 24),
    ],
)
def test_attach_limit_per_node(
    engine: str,
    instance_type: str,
    cni: podcap.VpcCni | None,
    ebs_csi: podcap.EbsCsiDriver | None,
    per_node: int,
) -> None:
    cluster = podcap.Cluster([group(instance_type, 2, cni=cni, ebs_csi=ebs_csi)])
    r = run(cluster, [GP3, statefulset(100)], engine)
    row = r.workloads.iloc[0]
    assert row["running"] == 2 * per_node
    assert row["pending"] == 100 - 2 * per_node
    assert row["reason"] == (
        "0/2 nodes are available: 2 node(s) exceed max volume count. no new claims to "
        "deallocate, preemption: 0/2 nodes are available: 2 No preemption victims found for "
        "incoming pod."
    )
    assert "volumes" in row["limits"].split(",")


@pytest.mark.parametrize("engine", ENGINES)
def test_each_claim_template_is_an_attachment(engine: str) -> None:
    """Two claim templates: each pod attaches two volumes; 26 slots hold 13 pods."""
    cluster = podcap.Cluster([group("m5.large")])
    r = run(cluster, [GP3, statefulset(20, claims=2)], engine)
    assert int(r.workloads.iloc[0]["running"]) == 13


@pytest.mark.parametrize("engine", ENGINES)
def test_volumes_of_other_kinds_do_not_count(engine: str) -> None:
    """An EFS class (not EBS) takes no EBS attachment slot."""
    efs = {**GP3, "metadata": {"name": "efs"}, "provisioner": "efs.csi.aws.com"}
    cluster = podcap.Cluster([group("m5.large")])
    r = run(cluster, [efs, statefulset(40, cls="efs")], engine)
    assert int(r.workloads.iloc[0]["running"]) == 40


def _bound_claim(zone: str) -> list[dict[str, Any]]:
    pv = {
        "apiVersion": "v1",
        "kind": "PersistentVolume",
        "metadata": {"name": "pv-data"},
        "spec": {
            "capacity": {"storage": "10Gi"},
            "accessModes": ["ReadWriteOnce"],
            "csi": {"driver": "ebs.csi.aws.com", "volumeHandle": "vol-0123"},
            "nodeAffinity": {
                "required": {
                    "nodeSelectorTerms": [
                        {
                            "matchExpressions": [
                                {
                                    "key": "topology.ebs.csi.aws.com/zone",
                                    "operator": "In",
                                    "values": [zone],
                                }
                            ]
                        }
                    ]
                }
            },
        },
    }
    pvc = {
        "apiVersion": "v1",
        "kind": "PersistentVolumeClaim",
        "metadata": {"name": "data"},
        "spec": {"storageClassName": "", "volumeName": "pv-data"},
    }
    return [pv, pvc]


def _deployment(name: str, cpu: str, volumes: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name},
        "spec": {
            "replicas": 1,
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {
                    "containers": [{"name": "c", "resources": {"requests": {"cpu": cpu}}}],
                    "volumes": volumes,
                },
            },
        },
    }


CLAIM = [{"name": "data", "persistentVolumeClaim": {"claimName": "data"}}]


@pytest.mark.parametrize("engine", ENGINES)
def test_a_bound_volume_pins_the_pod_to_its_zone(engine: str) -> None:
    cluster = podcap.Cluster([group("m5.large", 4)])  # w-0, w-2 in 1a; w-1, w-3 in 1b
    r = run(cluster, [*_bound_claim("us-east-1b"), _deployment("api", "100m", CLAIM)], engine)
    assert set(r.placements["node"]) <= {"w-1", "w-3"}
    assert int(r.workloads.iloc[0]["running"]) == 1


@pytest.mark.parametrize("engine", ENGINES)
def test_the_zone_of_a_bound_volume_is_the_failed_scheduling_reason(engine: str) -> None:
    """The 1b node is full: 2 nodes of the other zone have the volume's affinity conflict."""
    cluster = podcap.Cluster([group("m5.large", 2)])
    big = _deployment("big", "1800m", [])
    big["spec"]["template"]["spec"]["nodeSelector"] = {"topology.kubernetes.io/zone": ZONES[1]}
    docs = [big, *_bound_claim("us-east-1b"), _deployment("api", "1800m", CLAIM)]
    r = run(cluster, docs, engine)
    row = r.workloads.set_index("name").loc["api"]
    assert row["pending"] == 1
    assert row["reason"].startswith(
        "0/2 nodes are available: 1 Insufficient cpu, 1 node(s) had volume node affinity conflict."
    )


@pytest.mark.parametrize("engine", ENGINES)
def test_allowed_topologies_limit_a_wait_for_first_consumer_claim(engine: str) -> None:
    zonal = {
        **GP3,
        "metadata": {"name": "zonal"},
        "allowedTopologies": [
            {
                "matchLabelExpressions": [
                    {"key": "topology.kubernetes.io/zone", "values": ["us-east-1a"]}
                ]
            }
        ],
    }
    cluster = podcap.Cluster([group("m5.large", 2)])
    r = run(cluster, [zonal, statefulset(30, cls="zonal")], engine)
    row = r.workloads.iloc[0]
    assert set(r.placements["node"]) == {"w-0"}  # w-0 is in us-east-1a
    assert row["running"] == 26
    assert row["reason"].startswith(
        "0/2 nodes are available: 1 node(s) didn't find available persistent volumes to bind, "
        "1 node(s) exceed max volume count."
    )


@pytest.mark.parametrize("engine", ENGINES)
def test_a_claim_nothing_binds_refuses_the_pod_in_pre_filter(engine: str) -> None:
    """No class and no volume: the PV controller never binds it (Immediate), and VolumeBinding's
    PreFilter refuses the pod on every node."""
    pvc = {
        "apiVersion": "v1",
        "kind": "PersistentVolumeClaim",
        "metadata": {"name": "data"},
        "spec": {"storageClassName": ""},
    }
    cluster = podcap.Cluster([group("m5.large", 2)])
    r = run(cluster, [pvc, _deployment("api", "100m", CLAIM)], engine)
    assert r.workloads.iloc[0]["reason"] == (
        "0/2 nodes are available: pod has unbound immediate PersistentVolumeClaims. no new "
        "claims to deallocate, preemption: 0/2 nodes are available: 2 Preemption is not "
        "helpful for scheduling."
    )


def test_objects_missing_from_the_manifests_are_assumed_and_said() -> None:
    cluster = podcap.Cluster([group("m5.large")])
    with pytest.warns(PodcapWarning, match="PersistentVolumeClaim default/data is not among"):
        r = podcap.simulate(cluster, [_deployment("api", "100m", CLAIM)])
    assert int(r.workloads.iloc[0]["running"]) == 1


def test_the_default_storage_class_is_used_for_a_claim_without_class() -> None:
    gp2 = {
        **GP3,
        "metadata": {"name": "gp2"},
        "allowedTopologies": [
            {"matchLabelExpressions": [{"key": "topology.kubernetes.io/zone", "values": ["x"]}]}
        ],
    }
    cluster = podcap.Cluster([group("m5.large")])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        r = podcap.simulate(cluster, [gp2, GP3, statefulset(3)])
    assert int(r.workloads.iloc[0]["running"]) == 3  # gp3 (default), not gp2


@pytest.mark.parametrize(
    ("doc", "message"),
    [
        (
            {**GP3, "volumeBindingMode": "Later"},
            r"field volumeBindingMode: Unsupported value: 'Later': supported values: "
            r'"Immediate", "WaitForFirstConsumer"',
        ),
        (
            {**GP3, "provisioner": None},
            r"\(StorageClass gp3\), field provisioner: Required value",
        ),
        (
            _deployment("api", "1m", [{"name": "x", "persistentVolumeClaim": {}}]),
            r"field spec.template.spec.volumes\[0\].persistentVolumeClaim.claimName: Required",
        ),
    ],
)
def test_bad_storage_input_names_file_document_and_field(doc: dict[str, Any], message: str) -> None:
    with pytest.raises(InvalidManifestError, match=message):
        podcap.load_manifests([doc])


def _labelled_volume(value: str) -> list[dict[str, Any]]:
    """An in-tree EBS volume known only by its zone label (no node affinity), as volumes made
    before CSI migration are: the VolumeZone plugin's case."""
    pv, pvc = _bound_claim("unused")
    del pv["spec"]["nodeAffinity"]
    pv["metadata"]["labels"] = {"topology.kubernetes.io/zone": value}
    return [pv, pvc]


@pytest.mark.parametrize("engine", ENGINES)
def test_volume_zone_labels_pin_the_pod(engine: str) -> None:
    # kubernetes plugins/volumezone/volume_zone.go: a bound volume's zone label must match the
    # node's; "__" separates several zones (LabelZonesToSet)
    cluster = podcap.Cluster([group("m5.large", 4)])  # w-1, w-3 in us-east-1b
    r = run(cluster, [*_labelled_volume("us-east-1b"), _deployment("api", "100m", CLAIM)], engine)
    assert set(r.placements["node"]) <= {"w-1", "w-3"}
    r = run(
        cluster,
        [*_labelled_volume("us-east-1c__us-east-1a"), _deployment("api", "100m", CLAIM)],
        engine,
    )
    assert set(r.placements["node"]) <= {"w-0", "w-2"}


@pytest.mark.parametrize("engine", ENGINES)
def test_volume_zone_conflict_is_the_reason_and_zone_less_nodes_pass(engine: str) -> None:
    cluster = podcap.Cluster([group("m5.large", 2)])  # us-east-1a and us-east-1b
    r = run(cluster, [*_labelled_volume("us-east-1c"), _deployment("api", "100m", CLAIM)], engine)
    row = r.workloads.iloc[0]
    assert row["pending"] == 1
    assert row["reason"].startswith(
        "0/2 nodes are available: 2 node(s) had no available volume zone."
    )
    # a node with no zone or region label passes (hasAnyNodeConstraint: a single-zone cluster)
    bare = podcap.Cluster([podcap.NodeGroup("w", "m5.large", 1, max_pods=110, cni=PD)])
    r = run(bare, [*_labelled_volume("us-east-1c"), _deployment("api", "100m", CLAIM)], engine)
    assert int(r.workloads.iloc[0]["running"]) == 1
