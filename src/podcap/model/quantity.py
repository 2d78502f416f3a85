"""Kubernetes resource quantities, parsed exactly.

A quantity is ``<signed number><suffix>`` where the suffix is a binary SI suffix (``Ki Mi Gi Ti
Pi Ei``), a decimal SI suffix (``m``, none, ``k M G T P E``) or a decimal exponent (``e3``,
``E-2``).  The grammar is implemented once, in integer arithmetic: a quantity is read as an exact
ratio of two Python integers (no float drift, no :class:`fractions.Fraction` per value) and
converted the way Kubernetes does: ``MilliValue`` and ``Value`` round **up** to the next whole
unit.  :func:`parse_quantities` parses many values at once (each distinct text once) into an
``int64`` array; :func:`parse_cpu` and :func:`parse_memory` are the same conversion for one
value.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from fractions import Fraction

import numpy as np
import numpy.typing as npt

from podcap.errors import InvalidQuantityError, short_repr

__all__ = [
    "format_cpu",
    "format_memory",
    "parse_cpu",
    "parse_memory",
    "parse_quantities",
    "parse_quantity",
]

_BINARY = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "Pi": 2**50, "Ei": 2**60}
# decimal SI suffixes as (numerator, denominator) of their multiplier
_DECIMAL = {
    "m": (1, 1000),
    "": (1, 1),
    "k": (10**3, 1),
    "M": (10**6, 1),
    "G": (10**9, 1),
    "T": (10**12, 1),
    "P": (10**15, 1),
    "E": (10**18, 1),
}
_NUMBER = r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)"
_QUANTITY = re.compile(
    rf"^(?P<number>{_NUMBER})(?:(?P<binary>Ki|Mi|Gi|Ti|Pi|Ei)|[eE](?P<exp>[+-]?[0-9]+)|(?P<decimal>[mkMGTPE]?))$"
)
_VALID = (
    "a number with an optional suffix: m, k, M, G, T, P, E, Ki, Mi, Gi, Ti, Pi, Ei "
    "or an exponent such as 1e3 (e.g. '100m', '0.5', '512Mi', '1G')"
)


def _where(field: str | None) -> str:
    return f" in {field}" if field else ""


def _ratio(value: object, field: str | None) -> tuple[int, int]:
    """The quantity grammar: ``value`` as ``(numerator, denominator)``, denominator > 0, exactly.

    The one implementation behind :func:`parse_quantity`, :func:`parse_cpu`,
    :func:`parse_memory` and :func:`parse_quantities`.
    """
    if isinstance(value, bool):
        raise InvalidQuantityError(f"invalid quantity {value!r}{_where(field)}: expected {_VALID}")
    if isinstance(value, int):
        return value, 1
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise InvalidQuantityError(f"invalid quantity {value!r}{_where(field)}: not finite")
        exact = Fraction(repr(value))  # the decimal YAML wrote (0.1), not the binary float
        return exact.numerator, exact.denominator
    if not isinstance(value, str):
        raise InvalidQuantityError(
            f"invalid quantity {short_repr(value)}{_where(field)}: expected a string or number, "
            f"got {type(value).__name__}"
        )
    text = value.strip()
    if len(text) > _MAX_TEXT:
        raise InvalidQuantityError(
            f"invalid quantity {_short(value)}{_where(field)}: longer than {_MAX_TEXT} characters"
        )
    match = _QUANTITY.match(text)
    if match is None:
        raise InvalidQuantityError(f"invalid quantity {value!r}{_where(field)}: expected {_VALID}")
    number = match["number"]
    whole, _, frac = number.lstrip("+-").partition(".")
    num = int(whole + frac or "0")
    den = 10 ** len(frac)
    if number[0] == "-":
        num = -num
    if match["binary"]:
        return num * _BINARY[match["binary"]], den
    if match["exp"] is not None:
        exp = int(match["exp"])
        if abs(exp) > 100:
            raise InvalidQuantityError(
                f"invalid quantity {value!r}{_where(field)}: exponent out of range"
            )
        return (num * 10**exp, den) if exp >= 0 else (num, den * 10**-exp)
    mul, div = _DECIMAL[match["decimal"] or ""]
    return num * mul, den * div


def parse_quantity(value: str | int | float, *, field: str | None = None) -> Fraction:
    """Parse a Kubernetes quantity exactly.

    Parameters
    ----------
    value : str, int or float
        ``"100m"``, ``"1.5"``, ``"512Mi"``, ``"1e3"``, or a plain number (as YAML gives them).
    field : str, optional
        Where the value came from, used in error messages (e.g. ``"spec.containers[0].resources"``).

    Returns
    -------
    fractions.Fraction
        The value in base units (cores for cpu, bytes for memory).

    Raises
    ------
    InvalidQuantityError
        If the text is not a Kubernetes quantity.
    """
    num, den = _ratio(value, field)
    return Fraction(num, den)


_MAX_TEXT = 64
_INT64_MAX = 2**63 - 1
_INT64_MIN = -(2**63)


def _short(value: object) -> str:
    return short_repr(value, 40)


def _units(value: object, field: str | None, milli: bool) -> int:
    """``value`` in whole units (thousandths when ``milli``), rounded up as Kubernetes'
    ``MilliValue`` / ``Value`` do, within int64."""
    num, den = _ratio(value, field)
    if milli:
        num *= 1000
    amount = -((-num) // den)  # ceiling, in integers
    if not _INT64_MIN <= amount <= _INT64_MAX:
        unit = "millicores" if milli else "bytes"
        side = (
            f"above {_INT64_MAX:,} (int64), more than any node can hold"
            if amount > 0
            else f"below {_INT64_MIN:,} (int64)"
        )
        raise InvalidQuantityError(
            f"invalid quantity {_short(value)}{_where(field)}: {unit} {side}"
        )
    return amount


def parse_quantities(
    values: Iterable[object],
    *,
    milli: bool,
    fields: Sequence[str] | Callable[[int], str] | None = None,
) -> npt.NDArray[np.int64]:
    """Parse many quantities at once into whole units, exactly (each distinct text once).

    The grammar, the rounding and the errors are those of :func:`parse_cpu` (``milli=True``)
    and :func:`parse_memory` (``milli=False``), which convert one value the same way.

    Parameters
    ----------
    values : iterable of str, int or float
        Quantities such as ``"100m"``, ``"1.5"``, ``"512Mi"`` or numbers, as a file gives them.
    milli : bool
        True: millicores [m] (``Quantity.MilliValue``, for cpu).  False: base units, bytes [B]
        for memory and storage, counts for pods and extended resources (``Quantity.Value``).
    fields : sequence of str, or callable, optional
        Where each value came from (``fields[i]`` or ``fields(i)``), named in the error for the
        first invalid value; only looked up on error.

    Returns
    -------
    numpy.ndarray of int64
        One amount per value [m when ``milli``, else base units], rounded up.

    Raises
    ------
    InvalidQuantityError
        For the first value that is not a Kubernetes quantity or does not fit int64; the
        message names the value and its field.

    Examples
    --------
    >>> parse_quantities(["100m", "0.25", 2], milli=True).tolist()
    [100, 250, 2000]
    """
    items = values if isinstance(values, (list, tuple)) else list(values)
    cache: dict[str, int] = {}
    out = [0] * len(items)
    i = 0
    try:
        for i, v in enumerate(items):
            if type(v) is str:
                got = cache.get(v)
                if got is None:
                    got = cache[v] = _units(v, None, milli)
                out[i] = got
            else:
                out[i] = _units(v, None, milli)
    except InvalidQuantityError:
        field = fields(i) if callable(fields) else None if fields is None else fields[i]
        _units(items[i], field, milli)  # raises again, now naming the field
        raise  # pragma: no cover - the line above always raises
    return np.array(out, dtype=np.int64)


def parse_cpu(value: str | int | float, *, field: str | None = None) -> int:
    """Parse a cpu quantity into millicores [m], rounding up like Kubernetes ``MilliValue``.

    Parameters
    ----------
    value : str, int or float
        A cpu quantity (``"100m"``, ``"1.5"``, ``2``).
    field : str, optional
        Where the value came from, for error messages.

    Returns
    -------
    int
        Millicores [m].

    Examples
    --------
    >>> parse_cpu("100m"), parse_cpu("1.5"), parse_cpu(2)
    (100, 1500, 2000)
    """
    return _units(value, field, True)


def parse_memory(value: str | int | float, *, field: str | None = None) -> int:
    """Parse a memory (or storage) quantity into bytes [B], rounding up like Kubernetes ``Value``.

    Parameters
    ----------
    value : str, int or float
        A memory quantity (``"512Mi"``, ``"1G"``, ``1e3``).
    field : str, optional
        Where the value came from, for error messages.

    Returns
    -------
    int
        Bytes [B].

    Examples
    --------
    >>> parse_memory("512Mi"), parse_memory("1G"), parse_memory("1e3")
    (536870912, 1000000000, 1000)
    """
    return _units(value, field, False)


def format_cpu(millicores: int) -> str:
    """Format millicores [m] the way kubectl prints them (``"100m"``, ``"2"``).

    Parameters
    ----------
    millicores : int
        CPU [m].

    Returns
    -------
    str
    """
    millicores = int(millicores)
    return str(millicores // 1000) if millicores % 1000 == 0 else f"{millicores}m"


def format_memory(num_bytes: int) -> str:
    """Format bytes [B] with the largest exact binary suffix (``"512Mi"``, ``"1Gi"``, ``"1000"``).

    Parameters
    ----------
    num_bytes : int
        Memory [B].

    Returns
    -------
    str
    """
    num_bytes = int(num_bytes)
    for suffix in ("Ei", "Pi", "Ti", "Gi", "Mi", "Ki"):
        unit = _BINARY[suffix]
        if num_bytes != 0 and num_bytes % unit == 0:
            return f"{num_bytes // unit}{suffix}"
    return str(num_bytes)
