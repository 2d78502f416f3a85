"""VPC CNI subnet discovery (``ENABLE_SUBNET_DISCOVERY``, v1.18.0+, on by default).

Rules (amazon-vpc-cni-k8s b52188387f2e, ``pkg/awsutils/awsutils.go``): ``GetVpcSubnets`` lists
the subnets of the node's VPC and zone and sorts them by ``AvailableIpAddressCount``, most
first (``sort.SliceStable``: ties keep EC2's order, which podcap takes as the node subnet
first, then the tagged subnets as given); ``createENI`` tries each valid one in turn
(``isSubnetValidForENICreation``: the node's subnet unless tagged ``kubernetes.io/role/cni=0``,
others only when tagged ``kubernetes.io/role/cni``); the primary ENI stays in the node subnet.
README: "(v1.18.0+) ... Default: true".

Hand-worked numbers: m5.large has 3 ENIs x 10 IPv4 (9 secondary IPs an ENI); a /28 has 16
addresses, AWS keeps 5 (11 free); a /24 251 free.  27 pods need 27 IPs: the pool at 27 pods
is 3 ENIs, 27 IPs (WARM_ENI_TARGET=1, at most 3 ENIs), so nothing is held warm.
"""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import pytest

import podcap
from podcap import Cluster, NodeGroup, Subnet, VpcCni
from podcap.model.subnets import discovery_order

ZONE = "z-a"
NODE_28 = Subnet("10.0.0.0/28", ZONE)
TAGGED = Subnet("10.0.1.0/24", ZONE)


def deployment(replicas: int) -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web"},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": "web"}},
            "template": {
                "metadata": {"labels": {"app": "web"}},
                "spec": {
                    "containers": [
                        {"name": "c", "image": "x", "resources": {"requests": {"cpu": "10m"}}}
                    ]
                },
            },
        },
    }


def run(node: Subnet, cni: VpcCni, replicas: int = 27) -> podcap.SimulationResult:
    group = NodeGroup("w", "m5.large", 1, zones=[ZONE], subnets=[node], cni=cni)
    return podcap.simulate(Cluster([group]), [deployment(replicas)])


def subnet_rows(result: podcap.SimulationResult) -> dict[str, tuple[int, ...]]:
    cols = ["used_before", "used_by_nodes", "used_by_pods", "held_warm", "free"]
    frame = result.subnets.set_index("subnet")[cols]
    return {str(k): tuple(int(x) for x in v) for k, v in frame.iterrows()}


def outcome(result: podcap.SimulationResult) -> tuple[int, int, int]:
    w = result.workloads.set_index("name").loc["web"]
    return int(w["running"]), int(w["container_creating"]), int(w["pending"])


def test_a_28_node_subnet_and_a_24_tagged_subnet() -> None:
    # node subnet: 11 free - the node's address - the primary ENI's 9 IPs = 1 left; the two
    # secondary ENIs go to the /24 (251 and then 241 free against 1): 2 ENI addresses + 18 IPs
    result = run(NODE_28, VpcCni(discovery_subnets=(TAGGED,)))
    assert outcome(result) == (27, 0, 0)
    assert subnet_rows(result) == {
        "10.0.0.0/28": (0, 1, 9, 0, 1),
        "10.0.1.0/24": (0, 2, 18, 0, 256 - 5 - 2 - 18),
    }


def test_discovery_off_keeps_every_eni_in_the_node_subnet() -> None:
    # 10 free after the node: 2 ENI addresses, then 8 IPs; 8 pods run, 19 wait for an address
    result = run(NODE_28, VpcCni(subnet_discovery=False, discovery_subnets=(TAGGED,)))
    assert outcome(result) == (8, 19, 0)
    assert subnet_rows(result) == {
        "10.0.0.0/28": (0, 3, 8, 0, 0),
        "10.0.1.0/24": (0, 0, 0, 0, 251),
    }
    reason = result.workloads.set_index("name").loc["web", "reason"]
    assert reason.endswith(
        "(ipamd: InsufficientFreeAddressesInSubnet: subnet 10.0.0.0/28 has no free address left)"
    )


def test_cni_before_1_18_has_no_discovery() -> None:
    cni = VpcCni(cni_version="1.17.1", discovery_subnets=(TAGGED,))
    assert not cni.discovers_subnets
    assert outcome(run(NODE_28, cni)) == (8, 19, 0)
    with pytest.raises(podcap.InvalidSpecError, match=r"ENABLE_SUBNET_DISCOVERY .* v1\.18\.0"):
        VpcCni(cni_version="1.17.1", subnet_discovery=True)


def test_ties_go_to_the_node_subnet_then_the_tagged_subnets_in_order() -> None:
    # node /24: 251 - 1 (node) - 9 (primary ENI) = 241; tagged /24 with 10 in use: 241.  Tie:
    # ENI 1 in the node subnet (231 left), ENI 2 in the tagged one (241 > 231).
    tagged = Subnet("10.0.1.0/24", ZONE, used=10)
    result = run(Subnet("10.0.0.0/24", ZONE), VpcCni(discovery_subnets=(tagged,)))
    assert outcome(result) == (27, 0, 0)
    assert subnet_rows(result) == {
        "10.0.0.0/24": (0, 2, 18, 0, 231),
        "10.0.1.0/24": (10, 1, 9, 0, 231),
    }
    # two equal tagged subnets: the first listed takes ENI 1 (251 each), the other ENI 2
    other = Subnet("10.0.2.0/24", ZONE)
    result = run(NODE_28, VpcCni(discovery_subnets=(TAGGED, other)))
    rows = subnet_rows(result)
    assert rows["10.0.1.0/24"] == (0, 1, 9, 0, 241)
    assert rows["10.0.2.0/24"] == (0, 1, 9, 0, 241)
    assert discovery_order(["n", "a", "b"], [5, 7, 7]) == ["a", "b", "n"]


def test_prefixes_in_a_tagged_subnet() -> None:
    # a /28 node subnet holds no free aligned /28 block (its only block has AWS's addresses):
    # without discovery no pod gets an address.  With it the primary ENI gets no prefix, so
    # ipamd attaches an ENI in the /24: its address (.4) and 2 prefixes (27 pods / 16; the pool
    # stops at maxPods 29, so no third prefix): 32 addresses, 27 used, 5 warm.
    pd = VpcCni(prefix_delegation=True, discovery_subnets=(TAGGED,))
    result = run(NODE_28, pd)
    assert outcome(result) == (27, 0, 0)
    assert subnet_rows(result) == {
        "10.0.0.0/28": (0, 1, 0, 0, 10),
        "10.0.1.0/24": (0, 1, 27, 5, 256 - 5 - 1 - 32),
    }
    off = run(NODE_28, VpcCni(prefix_delegation=True, subnet_discovery=False))
    assert outcome(off) == (0, 27, 0)


def test_a_full_node_subnet_still_keeps_the_node_from_starting() -> None:
    result = run(Subnet("10.0.0.0/28", ZONE, used=11), VpcCni(discovery_subnets=(TAGGED,)))
    assert outcome(result) == (0, 0, 27)
    (row,) = result.node_groups.itertuples()
    assert (row.started, row.not_started) == (0, 1)
    assert "InsufficientFreeAddressesInSubnet: subnet 10.0.0.0/28" in row.reason


def test_every_candidate_full_names_them_all() -> None:
    # node /28: 1 free after the node and the primary ENI's 9 IPs; tagged /28: 11 free.  ENI 1
    # goes to the tagged one (1 + 9 of its 11, 1 left); ENI 2 would need its address and at
    # least one IP, 2 addresses, and each subnet has 1: 9 + 9 pods get addresses, 9 do not.
    small = Subnet("10.0.1.0/28", ZONE)
    result = run(NODE_28, VpcCni(discovery_subnets=(small,)))
    running, creating, _ = outcome(result)
    assert (running, creating) == (18, 9)
    reason = result.workloads.set_index("name").loc["web", "reason"]
    assert reason.endswith(
        "(ipamd: InsufficientFreeAddressesInSubnet: subnets 10.0.0.0/28, 10.0.1.0/28 (subnet "
        "discovery) have no free address left)"
    )


def test_errors() -> None:
    tagged = (TAGGED,)
    with pytest.raises(podcap.InvalidSpecError, match="need the group's own subnets"):
        NodeGroup("w", "m5.large", 1, zones=[ZONE], cni=VpcCni(discovery_subnets=tagged))
    with pytest.raises(podcap.InvalidSpecError, match=r"zone.* z-b are not zones of the group"):
        NodeGroup(
            "w",
            "m5.large",
            1,
            zones=[ZONE],
            subnets=[NODE_28],
            cni=VpcCni(discovery_subnets=(Subnet("10.0.1.0/24", "z-b"),)),
        )
    with pytest.raises(podcap.InvalidSpecError, match=r"10\.0\.0\.0/28 is a node subnet"):
        NodeGroup(
            "w", "m5.large", 1, zones=[ZONE], subnets=[NODE_28],
            cni=VpcCni(discovery_subnets=(NODE_28,)),
        )  # fmt: skip
    with pytest.raises(podcap.InvalidSpecError, match="given more than once"):
        VpcCni(discovery_subnets=(TAGGED, TAGGED))
    with pytest.raises(podcap.InvalidSpecError, match=r"must be a podcap\.Subnet"):
        VpcCni(discovery_subnets=("10.0.1.0/24",))  # type: ignore[arg-type]


def test_from_env() -> None:
    assert VpcCni.from_env({}).subnet_discovery is None
    assert VpcCni.from_env({}).discovers_subnets  # default version 1.18.0
    off = VpcCni.from_env({"ENABLE_SUBNET_DISCOVERY": "false"})
    assert off.subnet_discovery is False
    assert not off.discovers_subnets
    assert VpcCni(custom_networking=True).discovers_subnets is False  # ENIConfig wins
    assert VpcCni().with_env({"ENABLE_SUBNET_DISCOVERY": "false"}).subnet_discovery is False


def test_podcap_cluster_file(tmp_path: Path) -> None:
    text = textwrap.dedent(
        """
        nodeGroups:
          - name: w
            instanceType: m5.large
            count: 1
            zones: [z-a]
            subnets: [{cidr: 10.0.0.0/28, zone: z-a}]
            discoverySubnets: [{cidr: 10.0.1.0/24, zone: z-a}]
        """
    )
    cluster = podcap.load_cluster(text)
    (group,) = cluster.node_groups
    assert group.cni_settings.discovery_subnets == (TAGGED,)
    result = podcap.simulate(cluster, [deployment(27)])
    assert outcome(result) == (27, 0, 0)
    off = podcap.load_cluster(text + "    cni: {ENABLE_SUBNET_DISCOVERY: 'false'}\n")
    assert outcome(podcap.simulate(off, [deployment(27)])) == (8, 19, 0)
