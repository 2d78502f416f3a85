"""Reference values for max pods, pod IPs and allocatable, each taken from a public source.

Sources (see tests/data/*.md and docs/domain.md for the details):

* ENI  - aws/amazon-vpc-cni-k8s ``misc/eni-max-pods.txt`` @ 2aea0fd2453975bea25d13016293dbb9209e13a0
  (rows copied verbatim into tests/data/eni_max_pods_sample.csv).
* KDOC - aws/karpenter-provider-aws ``website/content/en/docs/reference/instance-types.md``
  @ fbab471048e8d3dc4854c2e9f464dfbb126006b6 (rows copied into tests/data/karpenter_published.csv).
* KARP - karpenter-provider-aws ``pkg/providers/instancetype/types.go`` and
  ``pkg/providers/amifamily/*.go`` (tests/data/KARPENTER_NOTES.md).
* CALC - awslabs/amazon-eks-ami ``templates/al2/runtime/max-pods-calculator.sh``
  @ 0a6d499edc0ca838929601700b8b7eb7c7c81b9a (tests/data/CALCULATOR_NOTES.md section 1), and the
  EKS user guide examples (awsdocs/amazon-eks-user-guide ``doc_source/choosing-instance-type.md``
  @ e8f303f7c46ab8243381cb260b39e0dff59bbb44).
* KOPS - kubernetes/kops ``nodeup/pkg/model/kubelet.go`` @ 00d755b0f7d599f8ca163716020cd85da1f31d15
  and ``upup/pkg/fi/nodeup/awsup/machine_types.go`` @ 65f2674f605f7f7ef9903b41c993726c04c22b7e.
* AMI  - awslabs/amazon-eks-ami bootstrap / nodeadm kube-reserved bands (docs/domain.md section 5).
* LIM  - EC2 limits of data/reference/vpc_limits.csv (enis, ipv4_per_eni, hypervisor,
  vcpus); where an expected number is derived from a documented formula, the arithmetic is written
  out next to it with these inputs, so the number does not come from podcap.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

import podcap
from podcap import kernels

DATA = Path(__file__).parent / "data"
KNOWN = set(podcap.instance_types().index)


def _rows(name: str) -> list[dict[str, str]]:
    with (DATA / name).open(newline="") as fh:
        lines = [line for line in fh if line.strip() and not line.startswith("#")]
    return list(csv.DictReader(lines))


def _params(rows: list[dict[str, str]], source: str) -> list:
    out = []
    for row in rows:
        name = row["instance_type"]
        marks = ()
        if name not in KNOWN:
            marks = pytest.mark.skip(reason=f"{name} is not in podcap.instance_types()")
        out.append(pytest.param(row, id=f"{source}:{name}", marks=marks))
    return out


ENI_ROWS = _rows("eni_max_pods_sample.csv")
KARPENTER_ROWS = _rows("karpenter_published.csv")


def test_fixtures_are_complete():
    # Guard against a silently truncated fixture: 105 sampled ENI rows, 70 Karpenter rows.
    assert len(ENI_ROWS) == 105
    assert len(KARPENTER_ROWS) == 70


# ---------------------------------------------------------------------------------------------
# ENI: misc/eni-max-pods.txt @ 2aea0fd2 (AL2 bootstrap table; nodeadm embeds the same file)


@pytest.mark.parametrize("row", _params(ENI_ROWS, "eni-max-pods.txt@2aea0fd2"))
@pytest.mark.parametrize("policy", ["eni-max-pods", "nodeadm"])
def test_eni_max_pods_table(row, policy):
    assert podcap.max_pods(row["instance_type"], policy=policy) == int(row["max_pods"])


# ---------------------------------------------------------------------------------------------
# KDOC: Karpenter published instance-types.md (AL2023, defaults)


@pytest.mark.parametrize("row", _params(KARPENTER_ROWS, "karpenter-instance-types.md@fbab4710"))
def test_karpenter_published_allocatable(row):
    frame = podcap.allocatable(row["instance_type"], overhead="karpenter")
    got = frame.iloc[0]
    assert int(got["cpu_millicores"]) == int(row["cpu_millicores"])
    assert int(got["memory_mib"]) == int(row["memory_mib"])
    assert int(got["pods"]) == int(row["pods"])
    assert got["ephemeral_storage_gib"] == pytest.approx(float(row["ephemeral_storage_gib"]))


@pytest.mark.parametrize("row", _params(KARPENTER_ROWS, "karpenter-instance-types.md@fbab4710"))
def test_karpenter_published_max_pods(row):
    assert podcap.max_pods(row["instance_type"], policy="karpenter") == int(row["pods"])


def test_karpenter_t3_large_35_pods():
    # KDOC row t3.large: pods 35.
    assert podcap.max_pods("t3.large", policy="karpenter") == 35


# ---------------------------------------------------------------------------------------------
# CALC: AWS max-pods-calculator.sh examples, CNI 1.9.0 (docs/domain.md section 2;
# m5.large 29 / 110 / 20 also in the EKS user guide choosing-instance-type.md @ e8f303f7).

CALCULATOR_EXAMPLES = {
    # type: (default, prefix delegation, custom networking, PD + custom networking)
    "t2.micro": (4, 4, 3, 3),
    "t3.medium": (17, 110, 12, 110),
    "m5.large": (29, 110, 20, 110),
    "m4.16xlarge": (234, 234, 205, 205),
    "p5.48xlarge": (100, 250, 51, 250),
}
FLAG_COMBOS = {
    "default": (False, False),
    "pd": (True, False),
    "cn": (False, True),
    "pd+cn": (True, True),
}


@pytest.mark.parametrize(
    ("instance_type", "flags", "expected"),
    [
        pytest.param(t, FLAG_COMBOS[label], values[i], id=f"calculator-docs/domain.md:{t}:{label}")
        for t, values in CALCULATOR_EXAMPLES.items()
        for i, label in enumerate(FLAG_COMBOS)
    ],
)
def test_calculator_examples(instance_type, flags, expected):
    pd_on, cn_on = flags
    got = podcap.max_pods(
        instance_type,
        policy="calculator",
        cni_version="1.9.0",
        prefix_delegation=pd_on,
        custom_networking=cn_on,
    )
    assert got == expected


def test_calculator_eks_user_guide_version_string_with_build_suffix():
    # EKS user guide: `--cni-version 1.9.0-eksbuild.1` -> 29, PD -> 110, custom networking -> 20.
    v = "1.9.0-eksbuild.1"
    assert podcap.max_pods("m5.large", policy="calculator", cni_version=v) == 29
    assert (
        podcap.max_pods("m5.large", policy="calculator", cni_version=v, prefix_delegation=True)
        == 110
    )
    assert (
        podcap.max_pods("m5.large", policy="calculator", cni_version=v, custom_networking=True)
        == 20
    )


def test_calculator_t2_micro_blog_example_xen_ignores_pd():
    # CALCULATOR_NOTES 1.8: t2.micro, --cni-version 1.12.6-eksbuild.1 + PD -> 4 (Xen).
    got = podcap.max_pods(
        "t2.micro", policy="calculator", cni_version="1.12.6-eksbuild.1", prefix_delegation=True
    )
    assert got == 4


# CALC quirks (CALCULATOR_NOTES.md sections 1.1-1.5)


def test_calculator_cni_18_ignores_prefix_delegation():
    # CALC 1.2/1.4: PD needs CNI >= 1.9; otherwise silent fallback. m5.large (LIM 3 x 10): 3*9+2.
    for version in ("1.8.0", "1.8.4", "1.8.4-eksbuild.1"):
        got = podcap.max_pods(
            "m5.large", policy="calculator", cni_version=version, prefix_delegation=True
        )
        assert got == 29, version
        uncapped = podcap.max_pods(
            "m5.large",
            policy="calculator",
            cni_version=version,
            prefix_delegation=True,
            show_max_allowed=True,
        )
        assert uncapped == 29, version


def test_calculator_cni_1_10_counts_as_at_least_1_9():
    # CALC 1.2: integer compare of the minor field, so 1.10.0 supports PD although "1.10" < "1.9"
    # as strings. m5.large: 3 * (9*16) + 2 = 434 uncapped, 110 capped (2 vCPUs).
    assert "1.10.0" < "1.9.0"  # the trap this test is about
    kw = {"policy": "calculator", "cni_version": "1.10.0", "prefix_delegation": True}
    assert podcap.max_pods("m5.large", **kw) == 110
    assert podcap.max_pods("m5.large", show_max_allowed=True, **kw) == 434
    assert podcap.cni_version_supports_prefix("1.10.0") is True
    assert podcap.cni_version_supports_prefix("1.8.9") is False
    assert podcap.cni_version_supports_prefix("2.0.0") is True
    assert podcap.cni_version_supports_prefix("1.9.0") is True


@pytest.mark.parametrize(
    ("instance_type", "expected_uncapped"),
    [
        # LIM a1.metal: 8 ENIs x 30, hypervisor unknown (bare metal): 8*29+2 = 234 (not 3714).
        pytest.param("a1.metal", 234, id="calc-1.1:a1.metal"),
        # LIM m5.metal: 15 x 50: 15*49+2 = 737 (ENI table and KDOC also say 737; PD would be 11762).
        pytest.param("m5.metal", 737, id="calc-1.1:m5.metal"),
    ],
)
def test_calculator_bare_metal_never_gets_prefix_delegation(instance_type, expected_uncapped):
    got = podcap.max_pods(
        instance_type, policy="calculator", prefix_delegation=True, show_max_allowed=True
    )
    assert got == expected_uncapped


def test_calculator_xen_never_gets_prefix_delegation():
    # CALC 1.1: Hypervisor must equal "nitro". LIM m4.16xlarge: xen, 8 x 30 -> 8*29+2 = 234.
    got = podcap.max_pods(
        "m4.16xlarge", policy="calculator", prefix_delegation=True, show_max_allowed=True
    )
    assert got == 234
    # LIM m4.large: xen, 2 x 10 -> 20 (ENI table m4.large 20).
    assert podcap.max_pods("m4.large", policy="calculator", prefix_delegation=True) == 20


def test_calculator_show_max_allowed_prints_uncapped():
    # CALC 1.5: --show-max-allowed exits before the cap.
    # m5.large PD: 3*144+2 = 434 (CALCULATOR_NOTES consistency check).
    assert (
        podcap.max_pods(
            "m5.large", policy="calculator", prefix_delegation=True, show_max_allowed=True
        )
        == 434
    )
    # m5.24xlarge (LIM 15 x 50, 96 vCPUs): 737 in the ENI table; capped -> 250.
    assert podcap.max_pods("m5.24xlarge", policy="calculator", show_max_allowed=True) == 737
    assert podcap.max_pods("m5.24xlarge", policy="calculator") == 250
    # t3.large (2 vCPUs): 35 is below every cap, so the flag changes nothing.
    assert podcap.max_pods("t3.large", policy="calculator", show_max_allowed=True) == 35


def test_no_instance_type_has_30_vcpus():
    # The boundary below is tested on 32 and 24 vCPUs because the table has no 30-vCPU type;
    # the exact boundary (30 vs 31) is tested with a user table further down.
    vcpus = podcap.instance_types().vcpus
    assert not (vcpus == 30).any()
    assert (vcpus == 32).any()


@pytest.mark.parametrize(
    ("instance_type", "pd_on", "expected"),
    [
        # LIM m5.8xlarge: 8 x 30, 32 vCPUs (> 30 -> cap 250). ENI value 8*29+2 = 234 stays 234.
        pytest.param("m5.8xlarge", False, 234, id="calc-1.5:32vcpu:default"),
        # PD: 8*29*16+2 = 3714 -> 250.
        pytest.param("m5.8xlarge", True, 250, id="calc-1.5:32vcpu:pd"),
        # LIM m5zn.6xlarge: 8 x 30, 24 vCPUs (<= 30 -> cap 110): 234 -> 110.
        pytest.param("m5zn.6xlarge", False, 110, id="calc-1.5:24vcpu:default"),
        pytest.param("m5zn.6xlarge", True, 110, id="calc-1.5:24vcpu:pd"),
        # nodeadm doc/references/maxpods.md @ d798ed4b "AL2 Legacy Limit": c5.4xlarge 110,
        # c5.9xlarge 250 (LIM 16 and 36 vCPUs, both 8 x 30 -> PD 3714).
        pytest.param("c5.4xlarge", True, 110, id="nodeadm-maxpods.md:c5.4xlarge"),
        pytest.param("c5.9xlarge", True, 250, id="nodeadm-maxpods.md:c5.9xlarge"),
    ],
)
def test_calculator_cap_by_vcpus(instance_type, pd_on, expected):
    got = podcap.max_pods(instance_type, policy="calculator", prefix_delegation=pd_on)
    assert got == expected


def test_calculator_cap_boundary_is_strictly_greater_than_30(tmp_path):
    # CALC 1.5: "If V > 30 (strictly greater) -> 250 ... So 30 vCPUs -> 110".
    # Two made-up types of 8 x 30 Nitro (PD value 8*29*16+2 = 3714) with 30 and 31 vCPUs.
    path = tmp_path / "boundary.yaml"
    path.write_text(
        "schema_version: 1\n"
        "instance_types:\n"
        "  test.v30:\n"
        "    {enis: 8, ipv4_per_eni: 30, hypervisor: nitro, vcpus: 30, memory_mib: 65536}\n"
        "  test.v31:\n"
        "    {enis: 8, ipv4_per_eni: 30, hypervisor: nitro, vcpus: 31, memory_mib: 65536}\n"
    )
    table = podcap.load_instance_table(path)
    got = podcap.max_pods(
        ["test.v30", "test.v31"], policy="calculator", prefix_delegation=True, table=table
    )
    assert list(got) == [110, 250]


def test_calculator_max_eni_applies_before_custom_networking():
    # CALC 1.3: E = min(N, E) first, then E -= 1. m5.large (3 x 10), N=2, CN: (2-1)*9+2 = 11
    # (custom networking first would give min(2, 3-1)*9+2 = 20).
    got = podcap.max_pods("m5.large", policy="calculator", max_eni=2, custom_networking=True)
    assert got == 11
    # N=1 + CN leaves 0 ENIs: 0*9+2 = 2 (CALC 1.6: "result is 2, not negative").
    got = podcap.max_pods("m5.large", policy="calculator", max_eni=1, custom_networking=True)
    assert got == 2


def test_calculator_max_eni_applies_in_secondary_ip_mode_too():
    # CALC 1.3: "applied in both modes". m5.large N=2: 2*9+2 = 20; N=1: 1*9+2 = 11.
    assert podcap.max_pods("m5.large", policy="calculator", max_eni=2) == 20
    assert podcap.max_pods("m5.large", policy="calculator", max_eni=1) == 11
    # With PD, N=1: 1*144+2 = 146 uncapped.
    got = podcap.max_pods(
        "m5.large", policy="calculator", max_eni=1, prefix_delegation=True, show_max_allowed=True
    )
    assert got == 146


def test_calculator_custom_networking_single_eni_type_gives_2():
    # CALC 1.6: hpc6id.32xlarge has 1 ENI on the default card -> E=0 -> 2.
    assert podcap.max_pods("hpc6id.32xlarge", policy="calculator", custom_networking=True) == 2


@pytest.mark.parametrize("max_eni", [3, 4, 10, 1000])
def test_calculator_max_eni_larger_than_type_has_no_effect(max_eni):
    # CALC 1.3: min(N, E) with N >= E(=3 for m5.large) keeps 29 / 20 / 434.
    assert podcap.max_pods("m5.large", policy="calculator", max_eni=max_eni) == 29
    assert (
        podcap.max_pods("m5.large", policy="calculator", max_eni=max_eni, custom_networking=True)
        == 20
    )
    assert (
        podcap.max_pods(
            "m5.large",
            policy="calculator",
            max_eni=max_eni,
            prefix_delegation=True,
            show_max_allowed=True,
        )
        == 434
    )


def test_calculator_default_cni_version_is_1_9():
    # max_pods docstring: cni_version default "1.9.0" -> PD counts (EKS guide: m5.large PD 110).
    assert podcap.max_pods("m5.large", policy="calculator", prefix_delegation=True) == 110


# ---------------------------------------------------------------------------------------------
# AMI: kube-reserved


@pytest.mark.parametrize(
    ("vcpus", "millicores"),
    [(1, 60), (2, 70), (4, 80), (8, 90), (16, 110), (32, 150), (96, 310)],
    ids=lambda v: f"ami-kube-reserved-cpu:{v}",
)
def test_kube_reserved_cpu_reference(vcpus, millicores):
    assert kernels.kube_reserved_cpu(vcpus) == millicores


def test_m5_xlarge_kube_reserved():
    # AMI / KDOC: m5.xlarge (4 vCPUs, 58 pods) reserves 80m cpu and 11*58+255 = 893 MiB.
    assert kernels.kube_reserved_cpu(4) == 80
    assert kernels.kube_reserved_memory_mib(58) == 893


def test_eks_allocatable_m5_xlarge():
    # AMI: m5.xlarge 4 vCPUs, 16384 MiB: cpu 4000-80, memory 16384-893-100 (eviction 100Mi),
    # pods 58 (ENI table), ephemeral 20Gi - 1Gi - 10% = 17Gi.
    got = podcap.allocatable("m5.xlarge", overhead="eks").iloc[0]
    assert int(got["cpu_millicores"]) == 4000 - 80
    assert int(got["memory_mib"]) == 16384 - 893 - 100
    assert int(got["pods"]) == 58
    assert got["ephemeral_storage_gib"] == pytest.approx(17.0)


def test_eks_allocatable_memory_uses_eni_limited_pods_even_with_max_pods():
    # docs/domain.md 5 (AL2/AL2023): kube-reserved memory uses E*S+2 even when maxPods is overridden.
    got = podcap.allocatable("m5.xlarge", overhead="eks", max_pods=110).iloc[0]
    assert int(got["pods"]) == 110
    assert int(got["memory_mib"]) == 16384 - 893 - 100


def test_kops_allocatable_has_no_kube_reserved():
    # KOPS: no default kubeReserved; eviction-hard memory.available 100Mi.
    # m5.large 2 vCPUs, 8192 MiB, 29 pods (KOPS min(110, 3*9+2)).
    got = podcap.allocatable("m5.large", overhead="kops").iloc[0]
    assert int(got["cpu_millicores"]) == 2000
    assert int(got["memory_mib"]) == 8192 - 100
    assert int(got["pods"]) == 29


# ---------------------------------------------------------------------------------------------
# KARP: Karpenter options (KARPENTER_NOTES.md sections 1-3). m5.large: LIM 3 x 10, 2 vCPUs.


def test_karpenter_reserved_enis_reduce_pods():
    # KARP 1: usable = max(E - reserved, 0); pods = usable*S + 2. m5.large: 2*9+2, 1*9+2.
    assert podcap.max_pods("m5.large", policy="karpenter", reserved_enis=1) == 20
    assert podcap.max_pods("m5.large", policy="karpenter", reserved_enis=2) == 11


@pytest.mark.parametrize("reserved", [3, 4, 10])
def test_karpenter_reserved_enis_at_or_above_enis_gives_zero_pods(reserved):
    # KARP 1: "If usable == 0 the result is 0 pods (not 2)".
    assert podcap.max_pods("m5.large", policy="karpenter", reserved_enis=reserved) == 0


def test_karpenter_explicit_max_pods_wins():
    # KARP 2 step 1.
    assert podcap.max_pods("m5.large", policy="karpenter", max_pods=110) == 110
    assert podcap.max_pods("m5.large", policy="karpenter", max_pods=7) == 7
    assert podcap.max_pods("m5.large", policy="karpenter", max_pods=50, reserved_enis=3) == 50


def test_karpenter_pods_per_core_caps():
    # KARP 2 step 4: min(podsPerCore * vCPUs, value). m5.large 2 vCPUs: min(10*2, 29) = 20.
    assert podcap.max_pods("m5.large", policy="karpenter", pods_per_core=10) == 20
    # 100*2 = 200 > 29: no effect.
    assert podcap.max_pods("m5.large", policy="karpenter", pods_per_core=100) == 29
    # It also caps an explicit maxPods: min(10*2, 110) = 20.
    assert podcap.max_pods("m5.large", policy="karpenter", max_pods=110, pods_per_core=10) == 20
    # m5.xlarge 4 vCPUs: min(10*4, 58) = 40.
    assert podcap.max_pods("m5.xlarge", policy="karpenter", pods_per_core=10) == 40


def test_karpenter_pods_per_core_ignored_on_bottlerocket():
    # KARP 3: Bottlerocket does not honour podsPerCore.
    kw = {"policy": "karpenter", "ami_family": "Bottlerocket", "pods_per_core": 10}
    assert podcap.max_pods("m5.large", **kw) == 29
    assert podcap.max_pods("m5.large", max_pods=110, **kw) == 110


@pytest.mark.parametrize("family", ["Windows2019", "Windows2022", "Windows2025"])
def test_karpenter_windows_gives_110(family):
    # KARP 2 step 3 / 3: Windows has no ENI-limited pod density -> 110.
    assert podcap.max_pods("m5.large", policy="karpenter", ami_family=family) == 110
    assert podcap.max_pods("t3.nano", policy="karpenter", ami_family=family) == 110


def test_karpenter_windows_honours_pods_per_core():
    # KARP 3: Windows honours podsPerCore: min(10*2, 110) = 20.
    got = podcap.max_pods(
        "m5.large", policy="karpenter", ami_family="Windows2022", pods_per_core=10
    )
    assert got == 20


@pytest.mark.parametrize("family", ["AL2", "AL2023", "Bottlerocket", "Custom"])
def test_karpenter_eni_limited_families(family):
    # KARP 3: ENI-limited pod density. m5.large 29, t3.large 35 (KDOC).
    assert podcap.max_pods("m5.large", policy="karpenter", ami_family=family) == 29
    assert podcap.max_pods("t3.large", policy="karpenter", ami_family=family) == 35


# m5.large Karpenter memory capacity: 8192 - ceil(8192 * 0.075) = 8192 - 615 = 7577 MiB (KARP 4).
# kube-reserved memory 11*29+255 = 574 -> 7577 - 574 - 100 = 6903 (the KDOC m5.large row);
# with 110 pods: 11*110+255 = 1465 -> 7577 - 1465 - 100 = 6012.


def test_karpenter_al2023_memory_uses_eni_limited_pods_with_max_pods_110():
    got = podcap.allocatable("m5.large", overhead="karpenter", max_pods=110).iloc[0]
    assert int(got["pods"]) == 110
    assert int(got["memory_mib"]) == 6903
    # Same through the policy option.
    got = podcap.allocatable("m5.large", overhead="karpenter", ami_family="AL2023").iloc[0]
    assert int(got["memory_mib"]) == 6903


def test_karpenter_bottlerocket_memory_uses_final_max_pods():
    got = podcap.allocatable(
        "m5.large", overhead="karpenter", ami_family="Bottlerocket", max_pods=110
    ).iloc[0]
    assert int(got["pods"]) == 110
    assert int(got["memory_mib"]) == 6012
    # Without an override the final pods are the ENI-limited 29 -> 6903.
    got = podcap.allocatable("m5.large", overhead="karpenter", ami_family="Bottlerocket").iloc[0]
    assert int(got["pods"]) == 29
    assert int(got["memory_mib"]) == 6903


def test_karpenter_memory_ignores_reserved_enis_on_al2023():
    # KARP 3: the flag-true families compute kube-reserved memory with reservedENIs = 0.
    got = podcap.allocatable("m5.large", overhead="karpenter", reserved_enis=1).iloc[0]
    assert int(got["pods"]) == 20
    assert int(got["memory_mib"]) == 6903


# ---------------------------------------------------------------------------------------------
# KOPS: all cards' ENIs, cap 110 (CALCULATOR_NOTES.md section 4)


@pytest.mark.parametrize(
    ("instance_type", "expected"),
    [
        # LIM p5.48xlarge: 64 ENIs on all cards x 50 -> min(110, 64*49+2) = 110.
        pytest.param("p5.48xlarge", 110, id="kops-notes:p5.48xlarge"),
        # CALCULATOR_NOTES 4: hpc6id.32xlarge 100 (2 cards x 1 ENI: 2*49+2), vs 51 default card.
        pytest.param("hpc6id.32xlarge", 100, id="kops-notes:hpc6id.32xlarge"),
        # Single-card types below 110 keep the ENI value: m5.large 29, t2.micro 4 (ENI table).
        pytest.param("m5.large", 29, id="kops:m5.large"),
        pytest.param("t2.micro", 4, id="kops:t2.micro"),
        # Large single-card types are capped at 110 (no 250 tier): m5.24xlarge 737 -> 110.
        pytest.param("m5.24xlarge", 110, id="kops:m5.24xlarge"),
    ],
)
def test_kops_max_pods(instance_type, expected):
    assert podcap.max_pods(instance_type, policy="kops") == expected


def test_kubelet_policy_is_110():
    assert podcap.max_pods("t2.micro", policy="kubelet") == 110
    assert podcap.max_pods("p5.48xlarge", policy="kubelet") == 110


# ---------------------------------------------------------------------------------------------
# p5.48xlarge: default card only (2 ENIs x 50) everywhere except kOps


def test_p5_48xlarge_uses_default_card_only():
    # ENI table and KDOC: 100 (= 2*49+2, not 64*49+2 = 3138).
    assert podcap.max_pods("p5.48xlarge") == 100
    assert podcap.max_pods("p5.48xlarge", policy="nodeadm") == 100
    assert podcap.max_pods("p5.48xlarge", policy="karpenter") == 100
    assert podcap.max_pods("p5.48xlarge", policy="calculator") == 100
    assert podcap.max_pods("p5.48xlarge", policy="kops") == 110
    # docs/domain.md 3: pod IPs 2*49 = 98; PD 2*49*16 = 1568.
    assert podcap.pod_ip_capacity("p5.48xlarge") == 98
    assert podcap.pod_ip_capacity("p5.48xlarge", prefix_delegation=True) == 1568


# ---------------------------------------------------------------------------------------------
# Pod IP capacity (docs/domain.md section 3; VPC CNI docs). m5.large: LIM 3 x 10, trunking compatible.


def test_pod_ips_m5_large():
    assert podcap.pod_ip_capacity("m5.large") == 27  # 3*9
    assert podcap.pod_ip_capacity("m5.large", prefix_delegation=True) == 432  # 3*9*16
    assert podcap.pod_ip_capacity("m5.large", custom_networking=True) == 18  # 2*9
    assert (
        podcap.pod_ip_capacity("m5.large", prefix_delegation=True, custom_networking=True) == 288
    )  # 2*9*16


def test_pod_ips_pd_needs_cni_1_9():
    assert podcap.pod_ip_capacity("m5.large", prefix_delegation=True, cni_version="1.8.4") == 27
    assert podcap.pod_ip_capacity("m5.large", prefix_delegation=True, cni_version="1.10.0") == 432


def test_pod_ips_pod_eni_subtracts_trunk_only_on_trunking_types():
    # m5.large is trunking compatible (LIM): one ENI becomes the trunk -> 2*9 = 18.
    assert podcap.pod_ip_capacity("m5.large", pod_eni=True) == 18
    # With custom networking as well: 3-1-1 = 1 ENI -> 9.
    assert podcap.pod_ip_capacity("m5.large", pod_eni=True, custom_networking=True) == 9
    # t3.large is not trunking compatible (LIM): 3*11 = 33 with or without pod_eni.
    assert podcap.pod_ip_capacity("t3.large") == 33
    assert podcap.pod_ip_capacity("t3.large", pod_eni=True) == 33
    # m4.16xlarge (xen, not trunking compatible): 8*29 = 232.
    assert podcap.pod_ip_capacity("m4.16xlarge", pod_eni=True) == 232


def test_pod_ips_pd_on_xen_gives_no_prefixes():
    # m4.16xlarge: xen, 8 x 30 -> 8*29 = 232 with or without PD.
    assert podcap.pod_ip_capacity("m4.16xlarge", prefix_delegation=True) == 232
    assert podcap.pod_ip_capacity("t2.micro", prefix_delegation=True) == 2  # 2*1


def test_pod_ips_pd_on_bare_metal_gives_prefixes():
    # docs/domain.md 3: PD works on nitro **or bare metal** (unlike the calculator).
    # m5.metal: 15 x 50 -> 15*49*16 = 11760; a1.metal 8 x 30 -> 8*29*16 = 3712.
    assert podcap.pod_ip_capacity("m5.metal") == 735
    assert podcap.pod_ip_capacity("m5.metal", prefix_delegation=True) == 11760
    assert podcap.pod_ip_capacity("a1.metal", prefix_delegation=True) == 3712


def test_pod_ips_ipv6():
    # docs/domain.md 3: one /80 per node -> 2**128 / 2**80 = 2**48 addresses.
    assert podcap.pod_ip_capacity("m5.large", ip_family="ipv6") == 2**48
    assert podcap.pod_ip_capacity("t2.micro", ip_family="ipv6", custom_networking=True) == 2**48


def test_pod_ips_max_eni_caps():
    # Ep = min(MAX_ENI, E): m5.large MAX_ENI=2 -> 18, MAX_ENI=1 -> 9, MAX_ENI=10 -> 27.
    assert podcap.pod_ip_capacity("m5.large", max_eni=2) == 18
    assert podcap.pod_ip_capacity("m5.large", max_eni=1) == 9
    assert podcap.pod_ip_capacity("m5.large", max_eni=10) == 27
    assert podcap.pod_ip_capacity("m5.large", max_eni=1, prefix_delegation=True) == 144
    # MAX_ENI=1 with custom networking leaves no ENI for pods (never negative).
    assert podcap.pod_ip_capacity("m5.large", max_eni=1, custom_networking=True) == 0


def test_max_pods_exceeds_pod_ips_by_host_network_pods():
    # docs/domain.md 2/3: the +2 is for host-network pods, so ENI max pods = pod IPs + 2 (m5.large).
    assert podcap.max_pods("m5.large") - podcap.pod_ip_capacity("m5.large") == 2


# ---------------------------------------------------------------------------------------------
# KARP sections 5-6: overrides, eviction thresholds and root volumes (m5.large under Karpenter:
# memory capacity 7577 MiB, kube-reserved 70m / 574 MiB / 1Gi, eviction 100Mi / 10% of 20Gi).


def test_karpenter_ephemeral_storage_by_family():
    # KARP 6: AL2023 and Bottlerocket 20Gi, Windows 50Gi; minus 1Gi kube-reserved and 10%.
    def storage(family):
        frame = podcap.allocatable("m5.large", overhead="karpenter", ami_family=family)
        return frame.iloc[0]["ephemeral_storage_gib"]

    assert storage("AL2023") == pytest.approx(17.0)  # 20 - 1 - 2 (KDOC: 17Gi)
    assert storage("Bottlerocket") == pytest.approx(17.0)
    assert storage("Windows2022") == pytest.approx(44.0)  # 50 - 1 - 5


def test_user_kube_reserved_and_system_reserved_override_per_key():
    # KARP 5: user kubeReserved entries override each key; systemReserved is subtracted as given.
    frame = podcap.allocatable("m5.large", overhead="karpenter", kube_reserved={"cpu": "100m"})
    got = frame.iloc[0]
    assert int(got["cpu_millicores"]) == 2000 - 100
    assert int(got["memory_mib"]) == 6903  # memory key untouched
    got = podcap.allocatable(
        "m5.large", overhead="karpenter", system_reserved={"cpu": "1", "memory": "1Gi"}
    ).iloc[0]
    assert int(got["cpu_millicores"]) == 1930 - 1000
    assert int(got["memory_mib"]) == 6903 - 1024


def test_eviction_hard_overrides():
    # KARP 5: evictionHard replaces the default per key; percentages are ceil(capacity * p/100).
    got = podcap.allocatable(
        "m5.large",
        overhead="karpenter",
        eviction_hard={"memory.available": "500Mi", "nodefs.available": "5%"},
    ).iloc[0]
    assert int(got["memory_mib"]) == 7577 - 574 - 500
    assert got["ephemeral_storage_gib"] == pytest.approx(20 - 1 - 1)


@pytest.mark.parametrize(
    ("overhead", "memory_mib"),
    [("karpenter", 7577 - 574), ("eks", 8192 - 574)],
)
def test_eviction_hard_100_percent_disables_threshold(overhead, memory_mib):
    got = podcap.allocatable(
        "m5.large",
        overhead=overhead,
        eviction_hard={"memory.available": "100%", "nodefs.available": "100%"},
    ).iloc[0]
    assert int(got["memory_mib"]) == memory_mib
    assert got["ephemeral_storage_gib"] == pytest.approx(20 - 1)
