"""Shape contract of the capacity functions and Hypothesis properties over the instance table."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import podcap

TABLE = podcap.instance_types()
ALL_TYPES = sorted(TABLE.index)
SIZED_TYPES = sorted(TABLE.index[TABLE.vcpus.notna() & TABLE.memory_mib.notna()])
COLUMNS = ["cpu_millicores", "memory_mib", "ephemeral_storage_gib", "pods"]
POLICIES = ["eni-max-pods", "nodeadm", "karpenter", "kops", "kubelet", "calculator"]

SETTINGS = settings(max_examples=60, deadline=None)

names = st.lists(st.sampled_from(ALL_TYPES), min_size=1, max_size=12)
sized_names = st.lists(st.sampled_from(SIZED_TYPES), min_size=1, max_size=12)
calculator_options = st.fixed_dictionaries(
    {
        "prefix_delegation": st.booleans(),
        "custom_networking": st.booleans(),
        "show_max_allowed": st.booleans(),
        "max_eni": st.none() | st.integers(min_value=1, max_value=20),
        "cni_version": st.sampled_from(["1.8.4", "1.9.0", "1.10.0", "v1.18.2"]),
    }
)
karpenter_options = st.fixed_dictionaries(
    {
        "ami_family": st.sampled_from(
            ["AL2", "AL2023", "Bottlerocket", "Windows2019", "Windows2022", "Custom"]
        ),
        "reserved_enis": st.integers(min_value=0, max_value=4),
        "max_pods": st.none() | st.integers(min_value=0, max_value=300),
        "pods_per_core": st.none() | st.integers(min_value=0, max_value=20),
    }
)
pod_ip_options = st.fixed_dictionaries(
    {
        "prefix_delegation": st.booleans(),
        "custom_networking": st.booleans(),
        "pod_eni": st.booleans(),
        "max_eni": st.none() | st.integers(min_value=1, max_value=20),
        "ip_family": st.sampled_from(["ipv4", "ipv6"]),
        "cni_version": st.sampled_from(["1.8.4", "1.9.0", "1.10.0"]),
    }
)


# ---------------------------------------------------------------------------------------------
# shape contract


@pytest.mark.parametrize("policy", POLICIES)
def test_scalar_in_python_int_out(policy):
    got = podcap.max_pods("m5.large", policy=policy)
    assert type(got) is int


def test_pod_ip_capacity_scalar_is_python_int():
    assert type(podcap.pod_ip_capacity("m5.large")) is int
    assert type(podcap.pod_ip_capacity("m5.large", ip_family="ipv6")) is int


@pytest.mark.parametrize(
    "container",
    [list, tuple, np.array, pd.Index],
    ids=["list", "tuple", "ndarray", "Index"],
)
def test_array_in_ndarray_out(container):
    values = container(["m5.large", "t3.large", "m5.large"])
    got = podcap.max_pods(values)
    assert isinstance(got, np.ndarray)
    assert not isinstance(got, pd.Series)
    assert got.shape == (3,)
    assert got.tolist() == [29, 35, 29]  # eni-max-pods.txt: m5.large 29, t3.large 35
    ips = podcap.pod_ip_capacity(values)
    assert isinstance(ips, np.ndarray)
    assert ips.tolist() == [27, 33, 27]


def test_series_with_non_default_index_and_duplicates():
    index = pd.Index(["b", "a", "b", "z"], name="node")
    s = pd.Series(["m5.large", "t3.large", "m5.large", "t2.micro"], index=index)
    for got in (podcap.max_pods(s), podcap.pod_ip_capacity(s)):
        assert isinstance(got, pd.Series)
        pd.testing.assert_index_equal(got.index, index)
    assert podcap.max_pods(s).tolist() == [29, 35, 29, 4]
    assert podcap.pod_ip_capacity(s).tolist() == [27, 33, 27, 2]


def test_series_with_integer_index_not_starting_at_zero():
    s = pd.Series(["t3.large", "m5.large"], index=[7, 3])
    got = podcap.max_pods(s, policy="karpenter")
    pd.testing.assert_index_equal(got.index, pd.Index([7, 3]))
    assert got.loc[7] == 35
    assert got.loc[3] == 29


def test_allocatable_scalar_gives_frame_indexed_by_name():
    frame = podcap.allocatable("m5.large")
    assert isinstance(frame, pd.DataFrame)
    assert list(frame.columns) == COLUMNS
    assert list(frame.index) == ["m5.large"]


def test_allocatable_list_gives_one_row_per_name():
    frame = podcap.allocatable(["m5.large", "t3.large", "m5.large"])
    assert list(frame.columns) == COLUMNS
    assert list(frame.index) == ["m5.large", "t3.large", "m5.large"]
    assert frame["pods"].tolist() == [29, 35, 29]


def test_allocatable_series_keeps_index():
    index = pd.Index([10, 10, 42], name="row")
    s = pd.Series(["m5.large", "m5.large", "t3.large"], index=index)
    frame = podcap.allocatable(s, overhead="karpenter")
    assert list(frame.columns) == COLUMNS
    pd.testing.assert_index_equal(frame.index, index)
    assert frame["pods"].tolist() == [29, 29, 35]
    # Karpenter docs: m5.large 1930m / 6903Mi, t3.large 1930m / 6837Mi.
    assert frame["memory_mib"].tolist() == [6903, 6903, 6837]


def test_empty_list_gives_empty_array():
    got = podcap.max_pods([])
    assert isinstance(got, np.ndarray)
    assert got.shape == (0,)


# ---------------------------------------------------------------------------------------------
# vectorized == element-wise


def _check_elementwise(func, values, **kw):
    vec = func(values, **kw)
    assert isinstance(vec, np.ndarray)
    scalars = [func(v, **kw) for v in values]
    assert all(type(x) is int for x in scalars)
    assert vec.tolist() == scalars
    index = pd.RangeIndex(100, 100 + 2 * len(values), 2)
    ser = func(pd.Series(values, index=index), **kw)
    pd.testing.assert_index_equal(ser.index, index)
    assert ser.tolist() == scalars


@SETTINGS
@given(values=names, policy=st.sampled_from(["eni-max-pods", "nodeadm", "kops", "kubelet"]))
def test_max_pods_vectorized_matches_scalar(values, policy):
    _check_elementwise(podcap.max_pods, values, policy=policy)


@SETTINGS
@given(values=sized_names, options=calculator_options)
def test_calculator_vectorized_matches_scalar(values, options):
    _check_elementwise(podcap.max_pods, values, policy="calculator", **options)


@SETTINGS
@given(values=sized_names, options=karpenter_options)
def test_karpenter_vectorized_matches_scalar(values, options):
    _check_elementwise(podcap.max_pods, values, policy="karpenter", **options)


@SETTINGS
@given(values=names, options=pod_ip_options)
def test_pod_ip_capacity_vectorized_matches_scalar(values, options):
    _check_elementwise(podcap.pod_ip_capacity, values, **options)


@SETTINGS
@given(
    values=sized_names,
    overhead=st.sampled_from(["eks", "karpenter", "kops", "none"]),
    max_pods=st.none() | st.integers(min_value=1, max_value=300),
)
def test_allocatable_vectorized_matches_scalar(values, overhead, max_pods):
    frame = podcap.allocatable(values, overhead=overhead, max_pods=max_pods)
    assert list(frame.columns) == COLUMNS
    rows = pd.concat([podcap.allocatable(v, overhead=overhead, max_pods=max_pods) for v in values])
    pd.testing.assert_frame_equal(frame, rows)


# ---------------------------------------------------------------------------------------------
# invariants


@SETTINGS
@given(values=names, options=pod_ip_options)
def test_pod_ip_capacity_never_negative(values, options):
    assert (podcap.pod_ip_capacity(values, **options) >= 0).all()


def test_pod_ip_capacity_never_negative_whole_table_worst_case():
    # Smallest possible ENI budget: MAX_ENI=1, custom networking and the trunk ENI.
    got = podcap.pod_ip_capacity(
        ALL_TYPES, max_eni=1, custom_networking=True, pod_eni=True, prefix_delegation=True
    )
    assert (got >= 0).all()
    assert (got == 0).all()


def test_eni_max_pods_equals_nodeadm_whole_table():
    a = podcap.max_pods(ALL_TYPES, policy="eni-max-pods")
    b = podcap.max_pods(ALL_TYPES, policy="nodeadm")
    np.testing.assert_array_equal(a, b)


@SETTINGS
@given(values=names)
def test_eni_max_pods_equals_nodeadm(values):
    assert podcap.max_pods(values).tolist() == podcap.max_pods(values, policy="nodeadm").tolist()


@SETTINGS
@given(
    values=sized_names,
    options=calculator_options.map(
        lambda d: {k: v for k, v in d.items() if k != "show_max_allowed"}
    ),
)
def test_calculator_show_max_allowed_at_least_capped(values, options):
    capped = podcap.max_pods(values, policy="calculator", **options)
    uncapped = podcap.max_pods(values, policy="calculator", show_max_allowed=True, **options)
    assert (uncapped >= capped).all()
    # The cap is 110 or 250 (max-pods-calculator.sh), never anything else.
    assert (capped <= 250).all()


@SETTINGS
@given(values=sized_names, overhead=st.sampled_from(["eks", "karpenter", "kops", "none"]))
def test_allocatable_never_exceeds_capacity(values, overhead):
    frame = podcap.allocatable(values, overhead=overhead)
    sizes = TABLE.loc[values]
    assert (frame["cpu_millicores"].to_numpy() <= sizes.vcpus.to_numpy(dtype=np.int64) * 1000).all()
    assert (frame["memory_mib"].to_numpy() <= sizes.memory_mib.to_numpy(dtype=np.int64)).all()
    assert (frame["cpu_millicores"] >= 0).all()
    assert (frame["memory_mib"] >= 0).all()


def test_allocatable_none_overhead_is_capacity():
    # overhead="none": capacity as allocatable (m5.large: 2 vCPUs, 8192 MiB; kubelet 110 pods).
    row = podcap.allocatable("m5.large", overhead="none").iloc[0]
    assert int(row["cpu_millicores"]) == 2000
    assert int(row["memory_mib"]) == 8192
    assert int(row["pods"]) == 110
