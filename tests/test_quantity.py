"""Kubernetes resource quantities: podcap.parse_quantity / parse_cpu / parse_memory / format_*.

Expected values follow the Kubernetes documentation of ``resource.Quantity``
(package "k8s.io/apimachinery/pkg/api/resource", https://pkg.go.dev/k8s.io/apimachinery/pkg/api/resource):

    <quantity>        ::= <signedNumber><suffix>
    <suffix>          ::= <binarySI> | <decimalExponent> | <decimalSI>
    <binarySI>        ::= Ki | Mi | Gi | Ti | Pi | Ei
    <decimalSI>       ::= m | "" | k | M | G | T | P | E
    <decimalExponent> ::= "e" <signedNumber> | "E" <signedNumber>
    <number>          ::= <digits> | <digits> "." <digits> | <digits> "." | "." <digits>
    <sign>            ::= "+" | "-"

and of ``Quantity.MilliValue`` / ``Quantity.Value``, which round up ("rounded up to the nearest
integer away from zero" for the positive values tested here).
"""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import podcap
from podcap import (
    InvalidQuantityError,
    PodcapError,
    format_cpu,
    format_memory,
    parse_cpu,
    parse_memory,
    parse_quantity,
)

# Multipliers straight from the resource.Quantity grammar (k8s.io/apimachinery/pkg/api/resource).
DECIMAL_SI = {
    "m": Fraction(1, 1000),
    "": Fraction(1),
    "k": Fraction(1000),
    "M": Fraction(1000**2),
    "G": Fraction(1000**3),
    "T": Fraction(1000**4),
    "P": Fraction(1000**5),
    "E": Fraction(1000**6),
}
BINARY_SI = {
    "Ki": Fraction(1024),
    "Mi": Fraction(1024**2),
    "Gi": Fraction(1024**3),
    "Ti": Fraction(1024**4),
    "Pi": Fraction(1024**5),
    "Ei": Fraction(1024**6),
}
ALL_SUFFIXES = {**DECIMAL_SI, **BINARY_SI}

HYPOTHESIS = settings(max_examples=100, deadline=None)


# --------------------------------------------------------------------------------------------
# suffixes
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("suffix", "multiplier"), list(ALL_SUFFIXES.items()))
def test_every_suffix_of_one(suffix: str, multiplier: Fraction) -> None:
    # k8s.io/apimachinery/pkg/api/resource: binarySI and decimalSI suffixes.
    assert parse_quantity(f"1{suffix}") == multiplier


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("100m", Fraction(1, 10)),
        ("1500m", Fraction(3, 2)),
        ("7", Fraction(7)),
        ("2k", Fraction(2000)),
        ("3M", Fraction(3_000_000)),
        ("4G", Fraction(4_000_000_000)),
        ("5T", Fraction(5 * 10**12)),
        ("6P", Fraction(6 * 10**15)),
        ("7E", Fraction(7 * 10**18)),
        ("128Ki", Fraction(131072)),
        ("512Mi", Fraction(536870912)),
        ("2Gi", Fraction(2147483648)),
        ("3Ti", Fraction(3 * 2**40)),
        ("4Pi", Fraction(4 * 2**50)),
        ("5Ei", Fraction(5 * 2**60)),
        ("1.5Gi", Fraction(3 * 2**29)),
        ("0.5Ki", Fraction(512)),
    ],
)
def test_suffix_values(text: str, expected: Fraction) -> None:
    assert parse_quantity(text) == expected


def test_suffix_case_matters() -> None:
    # 'M' is mega, 'm' is milli; 'k' is kilo and 'K' is not a suffix (resource.Quantity docs).
    assert parse_quantity("1M") == 10**6
    assert parse_quantity("1m") == Fraction(1, 1000)
    with pytest.raises(InvalidQuantityError):
        parse_quantity("1K")
    with pytest.raises(InvalidQuantityError):
        parse_quantity("1ki")


# --------------------------------------------------------------------------------------------
# exponents, decimals, signs
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1e3", Fraction(1000)),
        ("1E3", Fraction(1000)),
        ("5e-1", Fraction(1, 2)),
        ("1e+2", Fraction(100)),
        ("1E-3", Fraction(1, 1000)),
        ("2.5e2", Fraction(250)),
        ("12e0", Fraction(12)),
    ],
)
def test_decimal_exponent(text: str, expected: Fraction) -> None:
    # <decimalExponent> ::= "e" <signedNumber> | "E" <signedNumber>
    assert parse_quantity(text) == expected


def test_capital_e_alone_is_exa_not_exponent() -> None:
    # "1E" has no exponent digits, so E is the decimalSI suffix exa (10^18); "1e3" is an exponent.
    assert parse_quantity("1E") == 10**18
    assert parse_quantity("1e3") == 1000
    assert parse_quantity("1E3") == 1000
    assert parse_memory("2E") == 2 * 10**18


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("0.5", Fraction(1, 2)),
        (".5", Fraction(1, 2)),
        ("1.", Fraction(1)),
        ("1.25", Fraction(5, 4)),
        ("0", Fraction(0)),
        ("000123", Fraction(123)),
        (".5Gi", Fraction(2**29)),
        ("1.k", Fraction(1000)),
    ],
)
def test_decimal_forms(text: str, expected: Fraction) -> None:
    # <number> ::= <digits> | <digits> "." <digits> | <digits> "." | "." <digits>
    assert parse_quantity(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("+1", Fraction(1)),
        ("-1", Fraction(-1)),
        ("-100m", Fraction(-1, 10)),
        ("+2Gi", Fraction(2 * 2**30)),
        ("-1.5", Fraction(-3, 2)),
        ("-1e3", Fraction(-1000)),
        ("+.5", Fraction(1, 2)),
    ],
)
def test_signs(text: str, expected: Fraction) -> None:
    # <signedNumber> ::= <number> | <sign><number>
    assert parse_quantity(text) == expected


def test_negative_cpu_and_memory() -> None:
    assert parse_cpu("-100m") == -100
    assert parse_cpu("-1") == -1000
    assert parse_memory("-1Ki") == -1024


# --------------------------------------------------------------------------------------------
# numbers as YAML delivers them
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (0, Fraction(0)),
        (2, Fraction(2)),
        (-3, Fraction(-3)),
        (0.5, Fraction(1, 2)),
        (
            0.1,
            Fraction(1, 10),
        ),  # the YAML scalar 0.1, not the binary float 0.1000000000000000055...
        (1.5, Fraction(3, 2)),
        (1e3, Fraction(1000)),
        (2**40, Fraction(2**40)),
    ],
)
def test_yaml_numbers(value: int | float, expected: Fraction) -> None:
    assert parse_quantity(value) == expected


def test_yaml_numbers_cpu_memory() -> None:
    assert parse_cpu(2) == 2000
    assert parse_cpu(0.5) == 500
    assert parse_cpu(0.1) == 100
    assert parse_cpu(1.001) == 1001
    assert parse_memory(1024) == 1024
    assert parse_memory(1.5) == 2  # Value() rounds up


# --------------------------------------------------------------------------------------------
# exactness and Kubernetes rounding
# --------------------------------------------------------------------------------------------


def test_exact_fraction() -> None:
    value = parse_quantity("0.1")
    assert isinstance(value, Fraction)
    assert value == Fraction(1, 10)
    assert parse_quantity("0.3") == Fraction(3, 10)


@pytest.mark.parametrize(
    ("text", "millicores"),
    [
        ("0.1", 100),
        ("1.001", 1001),
        ("0.3", 300),
        ("0.7", 700),
        ("2.675", 2675),
        ("100m", 100),
        ("1", 1000),
        ("1.5", 1500),
        ("250m", 250),
        ("1k", 1_000_000),
        ("1e-3", 1),
    ],
)
def test_parse_cpu_no_float_drift(text: str, millicores: int) -> None:
    assert parse_cpu(text) == millicores
    assert isinstance(parse_cpu(text), int)


@pytest.mark.parametrize(
    ("text", "millicores"),
    [
        ("0.0001", 1),  # 0.1m -> MilliValue rounds up to 1m
        ("0.0011", 2),  # 1.1m -> 2m
        ("1.0001", 1001),
        ("1e-7", 1),
        ("0.5m", 1),
    ],
)
def test_parse_cpu_rounds_up_like_millivalue(text: str, millicores: int) -> None:
    # Quantity.MilliValue "returns the value of ceil(q * 1000)".
    assert parse_cpu(text) == millicores


@pytest.mark.parametrize(
    ("text", "num_bytes"),
    [
        ("0.5", 1),
        ("1.5", 2),
        ("100m", 1),
        ("1001m", 2),
        ("1000m", 1),
        ("0.1Ki", 103),  # 102.4 -> 103
        ("512Mi", 536870912),
        ("1G", 1_000_000_000),
        ("1e3", 1000),
    ],
)
def test_parse_memory_rounds_up_like_value(text: str, num_bytes: int) -> None:
    # Quantity.Value "returns the unscaled value of q rounded up to the nearest integer".
    assert parse_memory(text) == num_bytes
    assert isinstance(parse_memory(text), int)


# --------------------------------------------------------------------------------------------
# invalid input
# --------------------------------------------------------------------------------------------

INVALID = [
    "",
    "abc",
    "1.2.3",
    "10x",
    "1KiB",
    "Mi",
    "1 Gi",
    "1e",
    "1..2",
    "--1",
    "1e3Gi",
    "Gi1",
    "nan",
    "Infinity",
    "0x10",
    "1_000",
    "1ei",
]


@pytest.mark.parametrize("text", INVALID)
def test_invalid_text_raises(text: str) -> None:
    field = "spec.containers[0].resources.requests.memory"
    with pytest.raises(InvalidQuantityError) as info:
        parse_quantity(text, field=field)
    message = str(info.value)
    assert repr(text) in message
    assert field in message


@pytest.mark.parametrize("value", [None, True, False, float("nan"), float("inf"), [1], b"1"])
def test_invalid_non_text_raises(value: object) -> None:
    field = "resources.limits.cpu"
    with pytest.raises(InvalidQuantityError) as info:
        parse_quantity(value, field=field)  # type: ignore[arg-type]
    message = str(info.value)
    assert repr(value) in message
    assert field in message


@pytest.mark.parametrize("func", [parse_cpu, parse_memory])
@pytest.mark.parametrize("value", ["10x", None, True, float("nan"), ""])
def test_invalid_through_cpu_and_memory(func, value) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InvalidQuantityError) as info:
        func(value, field="requests")
    assert "requests" in str(info.value)


@pytest.mark.parametrize("text", ["\u0661\u0662", "\uff11Gi", "1\u0660m"])
def test_non_ascii_digits_rejected(text: str) -> None:
    # k8s.io/apimachinery/pkg/api/resource: <digit> ::= 0 | 1 | ... | 9
    with pytest.raises(InvalidQuantityError):
        parse_quantity(text)


def test_error_classes() -> None:
    assert issubclass(InvalidQuantityError, ValueError)
    assert issubclass(InvalidQuantityError, PodcapError)
    assert podcap.InvalidQuantityError is InvalidQuantityError
    # catchable as the builtin
    with pytest.raises(ValueError, match="abc"):
        parse_cpu("abc")


def test_error_without_field_still_names_value() -> None:
    with pytest.raises(InvalidQuantityError, match="1KiB"):
        parse_memory("1KiB")


# --------------------------------------------------------------------------------------------
# formatting
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("millicores", "text"),
    [(0, "0"), (100, "100m"), (1000, "1"), (1500, "1500m"), (2000, "2"), (1, "1m")],
)
def test_format_cpu(millicores: int, text: str) -> None:
    assert format_cpu(millicores) == text


@pytest.mark.parametrize(
    ("num_bytes", "text"),
    [
        (0, "0"),
        (1000, "1000"),
        (1024, "1Ki"),
        (536870912, "512Mi"),
        (2**30, "1Gi"),
        (1536 * 2**20, "1536Mi"),
        (2**60, "1Ei"),
        (1025, "1025"),
    ],
)
def test_format_memory(num_bytes: int, text: str) -> None:
    assert format_memory(num_bytes) == text


# --------------------------------------------------------------------------------------------
# property-based round trips
# --------------------------------------------------------------------------------------------


@HYPOTHESIS
@given(st.integers(min_value=0, max_value=10**12))
def test_cpu_round_trip(n: int) -> None:
    text = format_cpu(n)
    assert parse_cpu(text) == n
    assert format_cpu(parse_cpu(text)) == text


@HYPOTHESIS
@given(
    st.one_of(
        st.integers(min_value=0, max_value=2**63 - 1),
        st.builds(
            lambda k, e: k * 1024**e,
            st.integers(min_value=0, max_value=10**6),
            st.integers(min_value=0, max_value=6),
        ).filter(lambda b: b < 2**63),
    )
)
def test_memory_round_trip(b: int) -> None:
    assert parse_memory(format_memory(b)) == b


def test_memory_past_int64_is_refused() -> None:
    with pytest.raises(podcap.InvalidQuantityError, match=r"above 9,223,372,036,854,775,807"):
        parse_memory("8Ei")  # 2**63 bytes


@HYPOTHESIS
@given(
    st.integers(min_value=-(10**9), max_value=10**9),
    st.sampled_from(sorted(ALL_SUFFIXES)),
)
def test_integer_with_suffix(n: int, suffix: str) -> None:
    assert parse_quantity(f"{n}{suffix}") == n * ALL_SUFFIXES[suffix]


@HYPOTHESIS
@given(
    st.integers(min_value=0, max_value=10**6),
    st.integers(min_value=0, max_value=6),
)
def test_decimal_string_is_exact(whole: int, frac_digits: int) -> None:
    # "<whole>.<digits>" is exactly whole + digits / 10**len(digits): no float drift.
    digits = str(whole % (10**frac_digits)).zfill(frac_digits) if frac_digits else ""
    text = f"{whole}.{digits}"
    expected = Fraction(whole) + (Fraction(int(digits), 10**frac_digits) if digits else 0)
    assert parse_quantity(text) == expected
    assert parse_cpu(text) == math.ceil(expected * 1000)


# --------------------------------------------------------------------------------------------
# many at once: parse_quantities (the same grammar, rounding and errors)


@HYPOTHESIS
@given(
    st.lists(
        st.tuples(
            st.integers(min_value=0, max_value=10**6),
            st.integers(min_value=0, max_value=3),
            st.sampled_from(sorted(ALL_SUFFIXES)),
        ),
        max_size=30,
    )
)
def test_parse_quantities_is_ceil_of_the_exact_value(
    parts: list[tuple[int, int, str]],
) -> None:
    # "<digits>.<d decimals><suffix>" is exactly n / 10**d * multiplier; MilliValue and Value
    # are its ceiling in thousandths and units (values repeat: each text is parsed once).
    texts, exact = [], []
    for n, d, suffix in parts:
        value = Fraction(n, 10**d) * ALL_SUFFIXES[suffix]
        if value * 1000 >= 2**63:  # past int64 in millicores: an error (tested below)
            continue
        whole, frac = divmod(n, 10**d)
        texts.append(f"{whole}.{frac:0{d}d}{suffix}" if d else f"{n}{suffix}")
        exact.append(value)
    texts, exact = texts + texts, exact + exact
    milli = podcap.parse_quantities(texts, milli=True)
    units = podcap.parse_quantities(texts, milli=False)
    assert milli.dtype == units.dtype == np.int64
    assert milli.tolist() == [math.ceil(x * 1000) for x in exact]
    assert units.tolist() == [math.ceil(x) for x in exact]
    assert milli.tolist() == [parse_cpu(t) for t in texts]
    assert units.tolist() == [parse_memory(t) for t in texts]


def test_parse_quantities_takes_numbers_as_yaml_gives_them() -> None:
    values = ["100m", 2, 0.1, "1.5", 1e3]
    assert podcap.parse_quantities(values, milli=True).tolist() == [100, 2000, 100, 1500, 10**6]
    assert podcap.parse_quantities([], milli=False).tolist() == []


@pytest.mark.parametrize("bad", ["10x", True, None, "", "8Ei"])
def test_parse_quantities_names_the_first_bad_value_and_its_field(bad: object) -> None:
    values = ["1Gi", "512Mi", bad, "zz"]
    names = [f"items[{i}].memory" for i in range(4)]
    for fields in (names, names.__getitem__):
        with pytest.raises(InvalidQuantityError) as info:
            podcap.parse_quantities(values, milli=False, fields=fields)
        with pytest.raises(InvalidQuantityError) as scalar:
            parse_memory(bad, field="items[2].memory")  # type: ignore[arg-type]
        assert str(info.value) == str(scalar.value)
        assert "items[2].memory" in str(info.value)


def test_negative_past_int64_is_refused() -> None:
    assert parse_memory("-8Ei") == -(2**63)
    with pytest.raises(InvalidQuantityError, match=r"below -9,223,372,036,854,775,808"):
        parse_memory("-9Ei")
    with pytest.raises(InvalidQuantityError, match=r"below"):
        podcap.parse_quantities(["-9Ei"], milli=False)
