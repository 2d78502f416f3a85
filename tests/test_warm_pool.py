"""``podcap.warm_pool``: what the VPC CNI (ipamd) holds on a node in steady state.

Expected values come from two places only:

* ``tests/data/vpc_cni_warm_pool_tables.csv``: the worked-example tables of the AWS VPC CNI docs
  (``docs/eni-and-ip-target.md`` and ``docs/prefix-and-ip-target.md``), copied verbatim; one
  parametrized test per row.
* hand computation in comments, from ``tests/data/WARM_POOL_NOTES.md`` (cited by section) and
  ``docs/domain.md`` sections 3-4.

Instance limits (AWS, and the same as the docs use):
  t3.small       3 ENIs x  4 IPv4 -> S = 3 secondary IPs (or /28 prefixes) per ENI
  p3dn.24xlarge 15 ENIs x 50 IPv4 -> S = 49
  m5.large       3 ENIs x 10 IPv4 -> S = 9 (trunking-compatible: security groups for pods)
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import podcap
from podcap import VpcCni, warm_pool

DATA = Path(__file__).resolve().parent / "data"
TABLE = DATA / "vpc_cni_warm_pool_tables.csv"
PREFIX = 16  # addresses in a /28 prefix


def _load_rows() -> list[dict[str, str]]:
    with TABLE.open(newline="") as fh:
        lines = [line for line in fh if not line.startswith("#")]
    return list(csv.DictReader(lines))


ROWS = _load_rows()
SECONDARY_ROWS = [r for r in ROWS if r["prefix_delegation"] == "false"]
PREFIX_ROWS = [r for r in ROWS if r["prefix_delegation"] == "true"]


def _opt(value: str) -> int | None:
    return None if value == "" else int(value)


def _cni(row: dict[str, str]) -> VpcCni:
    return VpcCni(
        prefix_delegation=row["prefix_delegation"] == "true",
        warm_eni_target=_opt(row["warm_eni_target"]),
        warm_ip_target=_opt(row["warm_ip_target"]),
        minimum_ip_target=_opt(row["minimum_ip_target"]),
        warm_prefix_target=_opt(row["warm_prefix_target"]),
    )


def _row_id(row: dict[str, str]) -> str:
    doc = "prefix" if row["prefix_delegation"] == "true" else "eni"
    return f"{doc}-row{row['table_row']}-{row['instance_type']}-pods{row['pods']}"


def _one(instance_type: str, pods: int, **kw: Any) -> pd.Series:
    frame = warm_pool(instance_type, [pods], **kw)
    assert len(frame) == 1
    return frame.iloc[0]


def test_table_has_every_doc_row() -> None:
    # 16 rows in the eni doc's "Some example cases", 20 in the prefix doc's "Examples".
    assert len(SECONDARY_ROWS) == 16
    assert len(PREFIX_ROWS) == 20
    assert {r["instance_type"] for r in ROWS} == {"t3.small", "p3dn.24xlarge"}


# ---------------------------------------------------------------------------------------------
# docs/eni-and-ip-target.md: secondary-IP mode, maxPods at the default (AWS calculator)


@pytest.mark.parametrize("row", SECONDARY_ROWS, ids=_row_id)
def test_eni_doc_row(row: dict[str, str]) -> None:
    pods = int(row["pods"])
    got = _one(row["instance_type"], pods, cni=_cni(row))
    assert int(got["enis"]) == int(row["enis"]), "Attached ENIs"
    assert int(got["secondary_ips"]) == int(row["secondary_ips"]), "Attached Secondary IPs"
    assert int(got["prefixes"]) == 0
    # "Unused IPs" = addresses held for pods minus pods
    held = int(got["secondary_ips"]) + PREFIX * int(got["prefixes"])
    assert held - pods == int(row["unused_ips"]), "Unused IPs"
    # "IPs per ENI" lists one entry per attached ENI and sums to the secondary IPs
    per_eni = [int(x) for x in row["ips_per_eni"].split(",")]
    assert len(per_eni) == int(got["enis"])
    assert sum(per_eni) == int(got["secondary_ips"])
    # every ENI's own primary address is a subnet address too (WARM_POOL_NOTES.md section 7)
    assert int(got["subnet_addresses"]) == int(row["enis"]) + int(row["secondary_ips"])
    assert bool(got["stable"])


# ---------------------------------------------------------------------------------------------
# docs/prefix-and-ip-target.md: prefix delegation
#
# max_pods=110: the docs' examples assume a maxPods sized for prefix delegation (row 5 runs 58
# pods on a t3.small, whose secondary-IP maxPods is 3*3+2 = 11).  podcap stops the pool growing
# once it holds maxPods addresses (WARM_POOL_NOTES.md section 2, last bullet), so with the
# default t3.small maxPods of 11 one prefix (16 >= 11) would already be the ceiling.

PD_MAX_PODS = 110
P3DN_PD_ENI_ROWS = {"15", "16", "20"}
ROW10_REASON = (
    "prefix doc row 10 is inconsistent within itself (WARM_POOL_NOTES.md section 12): "
    "'Attached Prefixes'=1 and 'Unused IPs'=16, but 'Pod per Prefixes'=0,0 and 'Prefixes per ENI'=2 "
    "imply 2 prefixes"
)
P3DN_ENI_REASON = (
    "WARM_POOL_NOTES.md section 12: the p3dn.24xlarge PD rows print extra ENIs with 0 prefixes "
    "('2,0', '7,0,0', '4,0') that no documented rule or the code explains; not a test of ENI counts"
)


@pytest.mark.parametrize("row", PREFIX_ROWS, ids=_row_id)
def test_prefix_doc_row_prefixes(row: dict[str, str]) -> None:
    if row["table_row"] == "10":
        pytest.skip(ROW10_REASON)
    pods = int(row["pods"])
    got = _one(row["instance_type"], pods, cni=_cni(row), max_pods=PD_MAX_PODS)
    assert int(got["prefixes"]) == int(row["prefixes"]), "Attached Prefixes"
    assert int(got["secondary_ips"]) == 0
    held = int(got["secondary_ips"]) + PREFIX * int(got["prefixes"])
    assert held - pods == int(row["unused_ips"]), "Unused IPs"
    assert bool(got["stable"])


@pytest.mark.parametrize("row", PREFIX_ROWS, ids=_row_id)
def test_prefix_doc_row_enis(row: dict[str, str]) -> None:
    if row["instance_type"] == "p3dn.24xlarge" and row["table_row"] in P3DN_PD_ENI_ROWS:
        pytest.skip(P3DN_ENI_REASON)
    if row["table_row"] == "10":
        pytest.skip(ROW10_REASON)
    got = _one(row["instance_type"], int(row["pods"]), cni=_cni(row), max_pods=PD_MAX_PODS)
    assert int(got["enis"]) == int(row["enis"]), "ENIs"
    # "Prefixes per ENI" has one entry per ENI and sums to the prefixes
    per_eni = [int(x) for x in row["prefixes_per_eni"].split(",")]
    assert len(per_eni) == int(got["enis"])
    assert sum(per_eni) == int(got["prefixes"])
    # subnet addresses: one primary per ENI + 16 per prefix (WARM_POOL_NOTES.md section 7)
    assert int(got["subnet_addresses"]) == int(row["enis"]) + PREFIX * int(got["prefixes"])


def test_prefix_doc_row10_by_its_consistent_columns() -> None:
    # Row 10 (t3.small, WIT=7, MIT=20, 0 pods): "Prefixes per ENI" = 2 and "Pod per Prefixes" =
    # "0,0" say 2 prefixes on 1 ENI; the prefix doc's own bullet says MIT=20 "is equally as asking
    # 32" (WARM_POOL_NOTES.md section 6): max(ceil((0+7)/16), ceil(20/16), 1) = max(1, 2, 1) = 2.
    got = _one(
        "t3.small",
        0,
        cni=VpcCni(prefix_delegation=True, warm_ip_target=7, minimum_ip_target=20),
        max_pods=PD_MAX_PODS,
    )
    assert int(got["prefixes"]) == 2
    assert int(got["enis"]) == 1
    # unused = 2*16 - 0 = 32; subnet addresses = 1 ENI primary + 32 = 33
    assert int(got["subnet_addresses"]) == 33


def test_t3_small_default_max_pods_caps_prefixes() -> None:
    # Why the docs' PD rows need a PD-sized maxPods: with t3.small's default maxPods 11, one
    # prefix (16 addresses >= 11) is the ceiling, while the doc's row 2 (5 pods, WP=1) shows
    # ceil(5/16) + 1 = 2 prefixes.
    got = _one("t3.small", 5, cni=VpcCni(prefix_delegation=True), max_pods=11)
    assert int(got["prefixes"]) == 1
    got = _one("t3.small", 5, cni=VpcCni(prefix_delegation=True), max_pods=PD_MAX_PODS)
    assert int(got["prefixes"]) == 2


# ---------------------------------------------------------------------------------------------
# flapping settings (WARM_POOL_NOTES.md section 11)


def test_warm_eni_target_zero_unstable_at_multiples_of_s() -> None:
    # t3.small S = 3, WARM_ENI_TARGET=0: the pool is "too low" only when available == 0
    # (section 2), so n = floor(P/3) + 1 ENIs.  When P is a multiple of 3 (and an ENI can still
    # be attached), the ENIs in use are exactly full: ipamd attaches one more, which is then
    # entirely free (available = S >= (W+1)*S = S) and gets freed -> a loop (section 11,
    # issue aws/amazon-vpc-cni-k8s#1775).
    pods = list(range(9))
    frame = warm_pool("t3.small", pods, cni=VpcCni(warm_eni_target=0))
    expected_unstable = [p % 3 == 0 for p in pods]
    assert [not s for s in frame["stable"]] == expected_unstable
    # n = floor(P/3) + 1: 0..2 -> 1, 3..5 -> 2, 6..8 -> 3
    assert frame["enis"].tolist() == [1, 1, 1, 2, 2, 2, 3, 3, 3]
    for unstable, note in zip(expected_unstable, frame["note"], strict=True):
        if unstable:
            assert "WARM_ENI_TARGET=0" in note
            assert "flap" in note
        else:
            assert note == ""


def test_warm_eni_target_zero_at_the_eni_limit_is_steady() -> None:
    # t3.small, 9 pods: the 3 ENIs are full and no 4th can be attached (at most E ENIs,
    # section 2 / section 8), so there is nothing to attach and free again.
    got = _one("t3.small", 9, cni=VpcCni(warm_eni_target=0))
    assert int(got["enis"]) == 3
    assert int(got["secondary_ips"]) == 9
    assert bool(got["stable"])


def test_prefix_delegation_warm_prefix_target_zero_is_unstable() -> None:
    # "setting WARM_PREFIX_TARGET ... to zero is not supported with prefix delegation" (section 11)
    frame = warm_pool(
        "t3.small",
        [0, 5, 16, 17],
        cni=VpcCni(prefix_delegation=True, warm_prefix_target=0),
        max_pods=PD_MAX_PODS,
    )
    assert not frame["stable"].any()
    assert all("WARM_PREFIX_TARGET=0" in n for n in frame["note"])


def test_prefix_delegation_zero_prefix_target_with_warm_ip_target_is_stable() -> None:
    # WARM_IP_TARGET overrides WARM_PREFIX_TARGET with PD (section 4): a warm IP target is set,
    # so there is a steady state: max(ceil((5+1)/16), 1) = 1 prefix.
    got = _one(
        "t3.small",
        5,
        cni=VpcCni(prefix_delegation=True, warm_prefix_target=0, warm_ip_target=1),
        max_pods=PD_MAX_PODS,
    )
    assert bool(got["stable"])
    assert int(got["prefixes"]) == 1


# ---------------------------------------------------------------------------------------------
# MINIMUM_IP_TARGET without WARM_IP_TARGET stops at MIT (section 3, README rule)


def test_minimum_ip_target_without_warm_ip_target_stops_at_mit() -> None:
    # t3.small, MIT=5, WIT unset: the node holds MIT = 5 IPs and "no further ENIs/IPs are
    # allocated" -> ceil(5/3) = 2 ENIs, 5 secondary IPs at every pod count; pods beyond 5 get
    # no address.
    pods = [0, 3, 5, 7, 9]
    frame = warm_pool("t3.small", pods, cni=VpcCni(minimum_ip_target=5))
    assert frame["secondary_ips"].tolist() == [5] * 5
    assert frame["enis"].tolist() == [2] * 5
    assert frame["pod_ips_available"].tolist() == [0, 3, 5, 5, 5]
    beyond = frame[frame["pods"] > 5]
    assert (beyond["pod_ips_available"] < beyond["pods"]).all()


def test_warm_eni_target_ignored_when_warm_ip_target_set() -> None:
    # Section 4: with WIT set, WARM_ENI_TARGET is ignored.  t3.small WIT=1 at 5 pods -> T = 6,
    # 2 ENIs (eni doc row 5), whatever WARM_ENI_TARGET says.
    a = _one("t3.small", 5, cni=VpcCni(warm_ip_target=1, warm_eni_target=3))
    assert (int(a["enis"]), int(a["secondary_ips"])) == (2, 6)


# ---------------------------------------------------------------------------------------------
# custom networking, security groups for pods, MAX_ENI, IPv6, maxPods


def test_custom_networking_splits_node_and_pod_subnet_addresses() -> None:
    # m5.large, custom networking: the primary ENI holds no pod IPs (section 9) -> Ep = 3-1 = 2.
    # 5 pods, WARM_ENI_TARGET=1: n = ceil(5/9) + 1 = 2 pod ENIs (<= Ep), 2*9 = 18 secondary IPs.
    # Node subnet: the primary ENI's address only = 1.
    # Pod (ENIConfig) subnet: 2 pod-ENI primaries + 18 secondary IPs = 20.
    got = _one("m5.large", 5, cni=VpcCni(custom_networking=True), max_pods=20)
    assert int(got["enis"]) == 3  # primary + 2 pod ENIs
    assert int(got["secondary_ips"]) == 18
    assert int(got["node_subnet_addresses"]) == 1
    assert int(got["pod_subnet_addresses"]) == 20
    assert int(got["subnet_addresses"]) == 21


def test_without_custom_networking_everything_is_in_the_node_subnet() -> None:
    # m5.large, 5 pods: n = ceil(5/9) + 1 = 2 ENIs, 18 IPs -> 2 + 18 = 20 in the node subnet.
    got = _one("m5.large", 5, max_pods=29)
    assert int(got["node_subnet_addresses"]) == 20
    assert int(got["pod_subnet_addresses"]) == 0


def test_pod_eni_adds_a_trunk_eni_on_trunking_types() -> None:
    # m5.large (trunking-compatible), 0 pods: without pod ENI 1 ENI + 9 IPs = 10 addresses.
    # ENABLE_POD_ENI: the trunk ENI is attached and never holds pod IPs (section 10):
    # 1 ENI with 9 IPs + the trunk = 2 ENIs, 11 addresses.
    plain = _one("m5.large", 0, max_pods=29)
    assert (int(plain["enis"]), int(plain["subnet_addresses"])) == (1, 10)
    sg = _one("m5.large", 0, cni=VpcCni(pod_eni=True), max_pods=29)
    assert (int(sg["enis"]), int(sg["secondary_ips"]), int(sg["subnet_addresses"])) == (2, 9, 11)
    # At 10 pods the trunk takes the 3rd ENI slot: Ep = 2 -> 2 ENIs, 18 IPs (not 3 and 27).
    sg10 = _one("m5.large", 10, cni=VpcCni(pod_eni=True), max_pods=29)
    assert (int(sg10["enis"]), int(sg10["secondary_ips"])) == (3, 18)
    # Each security-group pod's branch ENI takes one address (section 10): + 4.
    branch = _one("m5.large", 0, cni=VpcCni(pod_eni=True), max_pods=29, branch_pods=4)
    assert int(branch["subnet_addresses"]) == 11 + 4


def test_pod_eni_on_a_non_trunking_type_changes_nothing() -> None:
    # t3.small is not trunking-compatible: no trunk ENI; 0 pods -> 1 ENI, 3 IPs.
    got = _one("t3.small", 0, cni=VpcCni(pod_eni=True))
    assert (int(got["enis"]), int(got["secondary_ips"]), int(got["subnet_addresses"])) == (1, 3, 4)


def test_max_eni_caps_enis() -> None:
    # t3.small, 5 pods, W=1 wants n = ceil(5/3) + 1 = 3 ENIs (eni doc row 2); MAX_ENI=2 caps at
    # 2 ENIs and 6 IPs.  m5.large, MAX_ENI=1: 1 ENI, 9 IPs, however many pods.
    got = _one("t3.small", 5, cni=VpcCni(max_eni=2))
    assert (int(got["enis"]), int(got["secondary_ips"])) == (2, 6)
    frame = warm_pool("m5.large", [0, 5, 20], cni=VpcCni(max_eni=1), max_pods=29)
    assert frame["enis"].tolist() == [1, 1, 1]
    assert frame["secondary_ips"].tolist() == [9, 9, 9]
    assert frame["pod_ips_available"].tolist() == [0, 5, 9]


def test_ipv6_one_eni_no_ipv4_secondary_ips() -> None:
    # IPv6: one /80 prefix per node, only maxPods limits (docs/domain.md section 3).  The node keeps
    # its primary ENI only and holds no IPv4 secondary IPs.
    frame = warm_pool("m5.large", [0, 50], cni=VpcCni(ip_family="ipv6"), max_pods=110)
    assert frame["enis"].tolist() == [1, 1]
    assert frame["secondary_ips"].tolist() == [0, 0]
    assert frame["pod_ips_available"].tolist() == [0, 50]
    assert frame["subnet_addresses"].tolist() == [1, 1]


def test_max_pods_caps_growth() -> None:
    # m5.large, 5 pods, W=1: uncapped n = ceil(5/9) + 1 = 2 ENIs (18 IPs).  With maxPods 9 the
    # first ENI already holds 9 >= maxPods addresses, so the pool stops there (section 2).
    assert int(_one("m5.large", 5, max_pods=29)["enis"]) == 2
    capped = _one("m5.large", 5, max_pods=9)
    assert (int(capped["enis"]), int(capped["secondary_ips"])) == (1, 9)
    # PD, t3.small, 17 pods, WP=1: ceil(17/16) + 1 = 3 prefixes; maxPods 20 -> 2 prefixes
    # (32 >= 20) is the ceiling.
    pd_capped = _one("t3.small", 17, cni=VpcCni(prefix_delegation=True), max_pods=20)
    assert int(pd_capped["prefixes"]) == 2


# ---------------------------------------------------------------------------------------------
# VpcCni: environment and validation


def test_from_env_reads_warm_targets() -> None:
    cni = VpcCni.from_env(
        {
            "WARM_ENI_TARGET": "0",
            "WARM_IP_TARGET": "5",
            "MINIMUM_IP_TARGET": "10",
            "WARM_PREFIX_TARGET": "2",
        }
    )
    assert cni.warm_eni_target == 0
    assert cni.warm_ip_target == 5
    assert cni.minimum_ip_target == 10
    assert cni.warm_prefix_target == 2


def test_from_env_unset_means_none() -> None:
    cni = VpcCni.from_env({})
    assert cni.warm_eni_target is None
    assert cni.warm_ip_target is None
    assert cni.minimum_ip_target is None
    assert cni.warm_prefix_target is None


ENV_NAMES = ["WARM_ENI_TARGET", "WARM_IP_TARGET", "MINIMUM_IP_TARGET", "WARM_PREFIX_TARGET"]


@pytest.mark.parametrize("name", ENV_NAMES)
@pytest.mark.parametrize("raw", ["abc", "-1", "1.5"])
def test_from_env_rejects_bad_numbers(name: str, raw: str) -> None:
    with pytest.raises(podcap.InvalidSpecError, match=name) as info:
        VpcCni.from_env({name: raw})
    assert raw in str(info.value)


@pytest.mark.parametrize(
    "field", ["warm_eni_target", "warm_ip_target", "minimum_ip_target", "warm_prefix_target"]
)
def test_negative_warm_target_rejected(field: str) -> None:
    with pytest.raises(podcap.InvalidSpecError, match=field):
        VpcCni(**{field: -1})


def test_warm_ip_target_negative_rejected() -> None:
    with pytest.raises(podcap.InvalidSpecError, match="warm_ip_target"):
        VpcCni(warm_ip_target=-1)


# ---------------------------------------------------------------------------------------------
# compare_warm_settings


def test_compare_warm_settings_sorted_with_default_row() -> None:
    frame = podcap.compare_warm_settings("m5.large", 20)
    wasted = frame["warm_addresses"].tolist()
    assert wasted == sorted(wasted)
    default = frame[frame["setting"] == "WARM_ENI_TARGET=1 (default)"]
    assert len(default) == 1
    d = default.iloc[0]
    # m5.large, 20 pods, W=1: ceil(20/9) + 1 = 4 ENIs wanted, capped at 3 -> 27 IPs;
    # 3 primaries + 27 = 30 addresses; all 20 pods get one; warm = 30 - 20 = 10.
    assert int(d["enis"]) == 3
    assert int(d["subnet_addresses"]) == 30
    assert int(d["pod_ips_available"]) == 20
    assert int(d["warm_addresses"]) == 10
