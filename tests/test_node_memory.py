"""Memory capacity as nodes report it, and the VPC CNI settings gated by version.

Sources:

* MEAS - aws/karpenter-provider-aws ``pkg/providers/instancetype/zz_generated.memory_overhead.go``
  @ 33450d8f82ded870ce65fbde3cec14dbb2c04f50 (2023-08-29): ``SizeInMiB - capacity.memory``
  measured on one Bottlerocket node per type; copied into data/reference/node_memory_capacity.csv.
* CNI  - aws/amazon-vpc-cni-k8s README.md @ b52188387f2e (v1.23.1): ``ENABLE_POD_ENI (v1.7.0+)``,
  ``ENABLE_PREFIX_DELEGATION (v1.9.0+)``, ``ENABLE_SUBNET_DISCOVERY (v1.18.0+)``,
  ``ENABLE_MULTI_NIC (v1.20.0+)``; ``pkg/ipamd/ipamd.go`` ``markUnmanagedNetworkCards`` (every card
  managed with multi-NIC, only card 0 without) and ``hasRoomForEni`` (``MAX_ENI`` per card).
* LIM  - EC2 limits of data/reference/vpc_limits.csv (p5.48xlarge: 2 ENIs on card 0, 64 on its
  32 cards, 50 IPv4 per ENI; c6in.32xlarge: 8 on card 0, 16 on 2 cards, 50 per ENI).
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest

import podcap
from podcap.errors import InvalidOptionError, InvalidSpecError
from podcap.model.capacity import cni_version_supports, memory_capacity, pod_ip_capacity

CSV = Path(__file__).parents[1] / "data" / "reference" / "node_memory_capacity.csv"


def _rows() -> list[dict[str, str]]:
    with CSV.open(newline="") as fh:
        return list(csv.DictReader(line for line in fh if not line.startswith("#")))


ROWS = _rows()
TYPES = podcap.instance_types()


def test_measurements_are_complete():
    assert len(ROWS) == 651


# MEAS rows, values as published (reported MiB), one per platform and size class.
@pytest.mark.parametrize(
    ("instance_type", "reported"),
    [
        ("m6i.large", 8192 - 405),
        ("m6i.32xlarge", 524288 - 16441),
        ("m6g.2xlarge", 32768 - 1392),
        ("r6a.48xlarge", 1572864 - 57072),
        ("t3.medium", 4096 - 253),
        ("m5.metal", 393216 - 6652),
        ("c6i.metal", 262144 - 4414),
        ("m4.large", 8192 - 266),
        ("r4.16xlarge", 499712 - 7961),
    ],
)
def test_reported_capacity_within_stated_error(instance_type, reported):
    row = next(r for r in ROWS if r["instance_type"] == instance_type)
    assert int(row["reported_mib"]) == reported
    got = memory_capacity(instance_type)
    assert abs(got - reported) / reported < 0.01


def test_error_per_platform_as_documented():
    # docs/domain.md section 5: mean |error| 0.6 % (Nitro), 0.1 % (metal), 0.3 % (Xen); max 5 %.
    names = [r["instance_type"] for r in ROWS]
    reported = np.array([int(r["reported_mib"]) for r in ROWS])
    err = np.abs(np.asarray(memory_capacity(names)) - reported) / reported * 100
    facts = TYPES.loc[names]
    metal = facts["bare_metal"].to_numpy(dtype=bool)
    nitro = (facts["hypervisor"] == "nitro").to_numpy() & ~metal
    xen = ~metal & ~nitro
    assert err[nitro].mean() < 0.7
    assert err[metal].mean() < 0.15
    assert err[xen].mean() < 0.35
    assert err.max() < 5.1


def test_nominal_and_karpenter_models():
    assert memory_capacity("m5.large", model="nominal") == 8192
    # Karpenter instance-types.md: m5.large memory capacity estimate 8192 - ceil(614.4) = 7577
    assert memory_capacity("m5.large", model="karpenter") == 7577


def test_allocatable_reported_memory():
    # AMI kube-reserved 11*29+255 = 574 MiB, eviction 100 MiB, from the reported capacity.
    cap = memory_capacity("m5.large")
    got = podcap.allocatable("m5.large", memory_capacity="reported").iloc[0]
    assert int(got["memory_mib"]) == cap - 574 - 100
    # the defaults keep the published formulas
    assert int(podcap.allocatable("m5.large").iloc[0]["memory_mib"]) == 8192 - 574 - 100
    assert int(podcap.allocatable("m5.large", overhead="karpenter").iloc[0]["memory_mib"]) == 6903


def test_memory_capacity_errors():
    with pytest.raises(InvalidOptionError, match="unknown memory capacity model 'real'"):
        memory_capacity("m5.large", model="real")
    with pytest.raises(InvalidOptionError, match="memory capacity model"):
        podcap.allocatable("m5.large", memory_capacity="bogus")


# ---------------------------------------------------------------------------------------------
# CNI: version gates and ENABLE_MULTI_NIC


@pytest.mark.parametrize(
    ("feature", "first"),
    [
        ("pod_eni", "1.7.0"),
        ("prefix_delegation", "1.9.0"),
        ("subnet_discovery", "1.18.0"),
        ("multi_nic", "1.20.0"),
    ],
)
def test_cni_feature_versions(feature, first):
    major, minor = map(int, first.split(".")[:2])
    assert cni_version_supports(feature, first)
    assert not cni_version_supports(feature, f"v{major}.{minor - 1}.9")


def test_multi_nic_counts_every_card():
    # LIM p5.48xlarge: 64 ENIs x 49 secondary IPs with multi-NIC; 2 x 49 without.
    assert pod_ip_capacity("p5.48xlarge", cni_version="1.20.0") == 2 * 49
    assert pod_ip_capacity("p5.48xlarge", multi_nic=True, cni_version="1.20.0") == 64 * 49
    # MAX_ENI=1 per card: 32 cards x 1 ENI.
    assert (
        pod_ip_capacity("p5.48xlarge", multi_nic=True, max_eni=1, cni_version="1.20.0") == 32 * 49
    )
    # c6in.32xlarge: 16 ENIs on 2 cards; custom networking frees only card 0's primary ENI.
    assert pod_ip_capacity("c6in.32xlarge", multi_nic=True, cni_version="1.20.0") == 16 * 49
    assert (
        pod_ip_capacity(
            "c6in.32xlarge", multi_nic=True, custom_networking=True, cni_version="1.20.0"
        )
        == 15 * 49
    )
    # single-card types are unchanged
    assert pod_ip_capacity("m5.large", multi_nic=True, cni_version="1.20.0") == 27


def test_features_need_their_cni_version():
    with pytest.raises(InvalidOptionError, match=r"ENABLE_MULTI_NIC .* v1\.20\.0 or later"):
        pod_ip_capacity("p5.48xlarge", multi_nic=True, cni_version="1.19.2")
    with pytest.raises(InvalidOptionError, match=r"ENABLE_POD_ENI .* v1\.7\.0 or later"):
        pod_ip_capacity("m5.large", pod_eni=True, cni_version="1.6.3")
    with pytest.raises(InvalidSpecError, match=r"VpcCni: ENABLE_MULTI_NIC"):
        podcap.VpcCni(multi_nic=True)  # default version 1.18.0
    with pytest.raises(InvalidSpecError, match=r"VpcCni: ENABLE_POD_ENI"):
        podcap.VpcCni(pod_eni=True, cni_version="1.6.0")


def test_multi_nic_from_env_and_in_a_fleet():
    cni = podcap.VpcCni.from_env({"ENABLE_MULTI_NIC": "true"}, cni_version="1.20.0")
    assert cni.multi_nic
    group = podcap.NodeGroup("gpu", "p5.48xlarge", count=1, max_pods=250, cni=cni)
    from podcap.model.fleet import build_fleet

    fleet = build_fleet(podcap.Cluster([group]))
    assert int(fleet.pod_ips[0]) == 64 * 49


def test_multi_nic_enis_count_in_the_subnet_and_the_warm_pool():
    # ENABLE_MULTI_NIC: a pod's address may come from any card's ENI, and each of those ENIs
    # takes its own primary address from the node's subnet.  A /25 has 123 usable addresses:
    # the pods that find none stay in ContainerCreating, and no subnet count goes negative.
    import podcap

    subnet = podcap.Subnet("10.0.0.0/25", "us-east-1a")
    group = podcap.NodeGroup(
        "gpu",
        "p5.48xlarge",
        1,
        zones=("us-east-1a",),
        max_pods=250,
        subnets=(subnet,),
        cni=podcap.VpcCni(multi_nic=True, cni_version="1.20.0"),
    )
    web = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web"},
        "spec": {
            "replicas": 240,
            "selector": {"matchLabels": {"app": "web"}},
            "template": {
                "metadata": {"labels": {"app": "web"}},
                "spec": {"containers": [{"name": "c", "resources": {"requests": {"cpu": "10m"}}}]},
            },
        },
    }
    r = podcap.simulate(podcap.Cluster([group]), [web])
    row = r.workloads.iloc[0]
    sn = r.subnets.iloc[0]
    assert row.running + row.container_creating == 240
    assert row.running == sn.used_by_pods
    assert int(sn.used_by_nodes) + int(sn.used_by_pods) <= 123
    assert (r.subnets[["used_by_nodes", "used_by_pods", "held_warm", "free"]] >= 0).all().all()
    assert row.container_creating > 0
