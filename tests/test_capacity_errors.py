"""Error contract of the capacity functions: exception types and what the messages say."""

from __future__ import annotations

import pandas as pd
import pytest

import podcap
from podcap import InvalidOptionError, PodcapError

# ---------------------------------------------------------------------------------------------
# unknown instance types


@pytest.mark.parametrize(
    "call",
    [
        lambda n: podcap.max_pods(n),
        lambda n: podcap.max_pods(n, policy="calculator"),
        lambda n: podcap.pod_ip_capacity(n),
        lambda n: podcap.allocatable(n),
    ],
    ids=["max_pods", "calculator", "pod_ip_capacity", "allocatable"],
)
def test_unknown_type_suggests_close_name(call):
    with pytest.raises(podcap.UnknownInstanceTypeError) as info:
        call("m5.lage")
    err = info.value
    assert isinstance(err, KeyError)
    assert isinstance(err, PodcapError)
    assert "'m5.lage'" in str(err)
    assert "'m5.large'" in str(err)


def test_unknown_type_is_catchable_as_keyerror():
    with pytest.raises(KeyError):
        podcap.max_pods("nope.nano")


def test_unknown_type_message_is_not_double_quoted():
    with pytest.raises(podcap.UnknownInstanceTypeError) as info:
        podcap.max_pods("m5.lage")
    assert not str(info.value).startswith('"')


def test_every_unknown_name_in_an_array_call_is_listed():
    names = ["m5.large", "m5.lage", "t3.large", "zz9.plural", "c5.xlarg"]
    with pytest.raises(podcap.UnknownInstanceTypeError) as info:
        podcap.max_pods(names)
    msg = str(info.value)
    for bad in ("m5.lage", "zz9.plural", "c5.xlarg"):
        assert repr(bad) in msg
    assert "'c5.xlarge'" in msg
    # known names are not reported as unknown
    assert "unknown instance type 'm5.large'" not in msg
    assert "unknown instance type 't3.large'" not in msg


def test_unknown_names_in_a_series_call_are_listed():
    s = pd.Series(["m5.large", "foo.bar", "baz.qux"], index=[5, 6, 7])
    with pytest.raises(podcap.UnknownInstanceTypeError) as info:
        podcap.pod_ip_capacity(s)
    assert "'foo.bar'" in str(info.value)
    assert "'baz.qux'" in str(info.value)


def test_non_string_name_is_reported():
    with pytest.raises(podcap.UnknownInstanceTypeError) as info:
        podcap.max_pods(["m5.large", 42])
    assert "42" in str(info.value)


# ---------------------------------------------------------------------------------------------
# policies and options


def _raises_invalid(func, *args, must_contain, **kwargs):
    with pytest.raises(InvalidOptionError) as info:
        func(*args, **kwargs)
    err = info.value
    assert isinstance(err, PodcapError)
    assert isinstance(err, ValueError)
    msg = str(err)
    for text in must_contain:
        assert text in msg, f"{text!r} not in {msg!r}"
    return msg


def test_unknown_policy():
    _raises_invalid(
        podcap.max_pods,
        "m5.large",
        policy="eks-magic",
        must_contain=["'eks-magic'", "eni-max-pods", "calculator", "nodeadm", "karpenter", "kops"],
    )


def test_unknown_max_pods_policy_in_allocatable():
    _raises_invalid(
        podcap.allocatable,
        "m5.large",
        max_pods_policy="eks-magic",
        must_contain=["'eks-magic'", "eni-max-pods", "karpenter"],
    )


def test_kops_takes_no_prefix_delegation():
    _raises_invalid(
        podcap.max_pods,
        "m5.large",
        policy="kops",
        prefix_delegation=True,
        must_contain=["'kops'", "'prefix_delegation'", "valid options: none"],
    )


def test_unknown_calculator_option_lists_valid_ones():
    _raises_invalid(
        podcap.max_pods,
        "m5.large",
        policy="calculator",
        reserved_enis=1,
        must_contain=[
            "'reserved_enis'",
            "cni_version",
            "prefix_delegation",
            "custom_networking",
            "max_eni",
            "show_max_allowed",
        ],
    )


def test_unknown_karpenter_option_lists_valid_ones():
    _raises_invalid(
        podcap.max_pods,
        "m5.large",
        policy="karpenter",
        prefix_delegation=True,
        must_contain=["'prefix_delegation'", "reserved_enis", "pods_per_core", "ami_family"],
    )


def test_default_policy_takes_no_options():
    _raises_invalid(
        podcap.max_pods,
        "m5.large",
        custom_networking=True,
        must_contain=["'eni-max-pods'", "'custom_networking'"],
    )


def test_unknown_policy_option_in_allocatable():
    _raises_invalid(
        podcap.allocatable,
        "m5.large",
        overhead="kops",
        prefix_delegation=True,
        must_contain=["'kops'", "'prefix_delegation'"],
    )


@pytest.mark.parametrize("bad", [0, -1, -5])
def test_calculator_max_eni_must_be_positive(bad):
    _raises_invalid(
        podcap.max_pods,
        "m5.large",
        policy="calculator",
        max_eni=bad,
        must_contain=["'max_eni'", ">= 1", repr(bad)],
    )


@pytest.mark.parametrize("bad", [0, -1])
def test_pod_ip_max_eni_must_be_positive(bad):
    _raises_invalid(
        podcap.pod_ip_capacity,
        "m5.large",
        max_eni=bad,
        must_contain=["'max_eni'", ">= 1", repr(bad)],
    )


@pytest.mark.parametrize("bad", [2.5, "3", True])
def test_max_eni_must_be_an_integer(bad):
    _raises_invalid(
        podcap.max_pods,
        "m5.large",
        policy="calculator",
        max_eni=bad,
        must_contain=["'max_eni'", "integer", repr(bad)],
    )


@pytest.mark.parametrize("flag", ["prefix_delegation", "custom_networking", "show_max_allowed"])
@pytest.mark.parametrize("bad", ["yes", 1, None])
def test_calculator_flag_must_be_bool(flag, bad):
    _raises_invalid(
        podcap.max_pods,
        "m5.large",
        policy="calculator",
        **{flag: bad},
        must_contain=[repr(flag), "True or False", repr(bad)],
    )


@pytest.mark.parametrize("flag", ["prefix_delegation", "custom_networking", "pod_eni"])
@pytest.mark.parametrize("bad", ["true", 0])
def test_pod_ip_flag_must_be_bool(flag, bad):
    _raises_invalid(
        podcap.pod_ip_capacity,
        "m5.large",
        **{flag: bad},
        must_contain=[repr(flag), "True or False", repr(bad)],
    )


@pytest.mark.parametrize("bad", ["abc", "1", "", "1.x.0"])
def test_calculator_bad_cni_version(bad):
    _raises_invalid(
        podcap.max_pods,
        "m5.large",
        policy="calculator",
        cni_version=bad,
        must_contain=["'cni_version'", repr(bad), "1.9.0"],
    )


def test_pod_ip_bad_cni_version_with_prefix_delegation():
    _raises_invalid(
        podcap.pod_ip_capacity,
        "m5.large",
        prefix_delegation=True,
        cni_version="abc",
        must_contain=["'cni_version'", "'abc'", "1.9.0"],
    )


def test_pod_ip_bad_cni_version_without_prefix_delegation():
    with pytest.raises(InvalidOptionError):
        podcap.pod_ip_capacity("m5.large", cni_version="abc")


def test_cni_version_supports_prefix_rejects_garbage():
    with pytest.raises(InvalidOptionError) as info:
        podcap.cni_version_supports_prefix("abc")
    assert "'abc'" in str(info.value)


def test_unknown_ip_family():
    _raises_invalid(
        podcap.pod_ip_capacity,
        "m5.large",
        ip_family="ipv5",
        must_contain=["'ip_family'", "'ipv5'", "'ipv4'", "'ipv6'"],
    )


def test_unknown_ami_family():
    _raises_invalid(
        podcap.max_pods,
        "m5.large",
        policy="karpenter",
        ami_family="Ubuntu",
        must_contain=["'Ubuntu'", "AL2023", "Bottlerocket", "Windows2022"],
    )


def test_unknown_ami_family_in_allocatable():
    _raises_invalid(
        podcap.allocatable,
        "m5.large",
        overhead="karpenter",
        ami_family="Ubuntu",
        must_contain=["'Ubuntu'", "AL2023", "Bottlerocket"],
    )


@pytest.mark.parametrize(
    ("option", "bad"),
    [("reserved_enis", -1), ("reserved_enis", None), ("max_pods", -3), ("pods_per_core", 1.5)],
)
def test_karpenter_bad_counts(option, bad):
    _raises_invalid(
        podcap.max_pods,
        "m5.large",
        policy="karpenter",
        **{option: bad},
        must_contain=[repr(option), "integer", repr(bad)],
    )


# ---------------------------------------------------------------------------------------------
# allocatable options


def test_unknown_overhead():
    _raises_invalid(
        podcap.allocatable,
        "m5.large",
        overhead="gke",
        must_contain=["'gke'", "eks", "karpenter", "kops", "none"],
    )


@pytest.mark.parametrize("bad", [-1, 2.5, "110"])
def test_allocatable_bad_max_pods(bad):
    _raises_invalid(
        podcap.allocatable,
        "m5.large",
        max_pods=bad,
        must_contain=["'max_pods'", "integer", repr(bad)],
    )


@pytest.mark.parametrize("option", ["kube_reserved", "system_reserved"])
def test_bad_reserved_quantity(option):
    with pytest.raises(podcap.InvalidQuantityError) as info:
        podcap.allocatable("m5.large", **{option: {"cpu": "10x"}})
    err = info.value
    assert isinstance(err, PodcapError)
    assert isinstance(err, ValueError)
    msg = str(err)
    assert "'10x'" in msg
    assert option in msg
    assert "cpu" in msg
    # lists what a valid quantity looks like
    assert "Mi" in msg


def test_bad_reserved_memory_quantity():
    with pytest.raises(podcap.InvalidQuantityError) as info:
        podcap.allocatable("m5.large", kube_reserved={"memory": "lots"})
    assert "'lots'" in str(info.value)
    assert "memory" in str(info.value)


@pytest.mark.parametrize("option", ["kube_reserved", "system_reserved"])
def test_unknown_reserved_key(option):
    _raises_invalid(
        podcap.allocatable,
        "m5.large",
        **{option: {"gpu": "1"}},
        must_contain=[option, "'gpu'", "cpu", "memory", "ephemeral-storage"],
    )


def test_reserved_must_be_a_mapping():
    _raises_invalid(
        podcap.allocatable,
        "m5.large",
        kube_reserved="100m",
        must_contain=["'kube_reserved'", "'100m'"],
    )


def test_negative_reserved_quantity():
    with pytest.raises(PodcapError) as info:
        podcap.allocatable("m5.large", kube_reserved={"cpu": "-100m"})
    assert isinstance(info.value, ValueError)
    assert "-100m" in str(info.value)


def test_unknown_eviction_key():
    _raises_invalid(
        podcap.allocatable,
        "m5.large",
        eviction_hard={"nodefs.inodesFree": "5%"},
        must_contain=["'nodefs.inodesFree'", "memory.available", "nodefs.available"],
    )


def test_eviction_percentage_out_of_range():
    _raises_invalid(
        podcap.allocatable,
        "m5.large",
        eviction_hard={"nodefs.available": "150%"},
        must_contain=["'150%'", "0-100"],
    )


@pytest.mark.parametrize("bad", [0, -20, "20", True])
def test_bad_root_volume(bad):
    _raises_invalid(
        podcap.allocatable,
        "m5.large",
        root_volume_gib=bad,
        must_contain=["'root_volume_gib'", "positive", repr(bad)],
    )


@pytest.mark.parametrize("bad", [1.0, -0.1, 7.5])
def test_bad_vm_memory_overhead_percent(bad):
    _raises_invalid(
        podcap.allocatable,
        "m5.large",
        overhead="karpenter",
        vm_memory_overhead_percent=bad,
        must_contain=["'vm_memory_overhead_percent'", "[0, 1)", repr(bad)],
    )


# ---------------------------------------------------------------------------------------------
# missing instance data


def test_allocatable_missing_vcpus():
    with pytest.raises(podcap.MissingInstanceDataError) as info:
        podcap.allocatable("mac1.metal")
    err = info.value
    assert isinstance(err, PodcapError)
    assert isinstance(err, ValueError)
    msg = str(err)
    assert "'mac1.metal'" in msg
    assert "vCPU" in msg
    assert "load_instance_table" in msg
    assert "table=" in msg


def test_allocatable_missing_data_lists_only_the_offending_types():
    with pytest.raises(podcap.MissingInstanceDataError) as info:
        podcap.allocatable(["m5.large", "mac1.metal", "u-6tb1.metal", "t3.large"])
    msg = str(info.value)
    assert "'mac1.metal'" in msg
    assert "'u-6tb1.metal'" in msg
    assert "'m5.large'" not in msg
    assert "'t3.large'" not in msg


def test_calculator_needs_vcpus_only_above_110():
    # mac1.metal: 8 x 30 (ENI table: 234) > 110, so the 110/250 cap needs the vCPU count.
    with pytest.raises(podcap.MissingInstanceDataError) as info:
        podcap.max_pods("mac1.metal", policy="calculator")
    assert "'mac1.metal'" in str(info.value)
    assert "vCPU" in str(info.value)
    # --show-max-allowed needs no cap, hence no vCPUs: 234 (eni-max-pods.txt mac1.metal 234).
    assert podcap.max_pods("mac1.metal", policy="calculator", show_max_allowed=True) == 234
    # With MAX_ENI=2 the value is 2*29+2 = 60 <= 110 under either cap.
    assert podcap.max_pods("mac1.metal", policy="calculator", max_eni=2) == 60


def test_karpenter_pods_per_core_needs_vcpus():
    with pytest.raises(podcap.MissingInstanceDataError) as info:
        podcap.max_pods("mac1.metal", policy="karpenter", pods_per_core=10)
    assert "'mac1.metal'" in str(info.value)
    # Without pods_per_core no vCPUs are needed: eni-max-pods.txt mac1.metal 234.
    assert podcap.max_pods("mac1.metal", policy="karpenter") == 234


# ---------------------------------------------------------------------------------------------
# input shapes


def test_two_dimensional_input_rejected():
    with pytest.raises(InvalidOptionError) as info:
        podcap.max_pods([["m5.large", "t3.large"]])
    assert "(1, 2)" in str(info.value)
