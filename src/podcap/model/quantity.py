"""Kubernetes resource quantities, parsed exactly.

A quantity is ``<signed number><suffix>`` where the suffix is a binary SI suffix (``Ki Mi Gi Ti
Pi Ei``), a decimal SI suffix (``m``, none, ``k M G T P E``) or a decimal exponent (``e3``,
``E-2``).  Values are parsed into :class:`fractions.Fraction` (no float drift) and converted the
way Kubernetes does: ``MilliValue`` and ``Value`` round **up** to the next whole unit.
"""

from __future__ import annotations

import re
from fractions import Fraction

from podcap.errors import InvalidQuantityError, short_repr

__all__ = ["format_cpu", "format_memory", "parse_cpu", "parse_memory", "parse_quantity"]

_BINARY = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "Pi": 2**50, "Ei": 2**60}
_DECIMAL = {
    "m": Fraction(1, 1000),
    "": Fraction(1),
    "k": Fraction(10**3),
    "M": Fraction(10**6),
    "G": Fraction(10**9),
    "T": Fraction(10**12),
    "P": Fraction(10**15),
    "E": Fraction(10**18),
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
    if isinstance(value, bool):
        raise InvalidQuantityError(f"invalid quantity {value!r}{_where(field)}: expected {_VALID}")
    if isinstance(value, int):
        return Fraction(value)
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise InvalidQuantityError(f"invalid quantity {value!r}{_where(field)}: not finite")
        return Fraction(repr(value))
    if not isinstance(value, str):
        raise InvalidQuantityError(
            f"invalid quantity {value!r}{_where(field)}: expected a string or number, "
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
    number = Fraction(match["number"])
    if match["binary"]:
        return number * _BINARY[match["binary"]]
    if match["exp"] is not None:
        exp = int(match["exp"])
        if abs(exp) > 100:
            raise InvalidQuantityError(
                f"invalid quantity {value!r}{_where(field)}: exponent out of range"
            )
        return number * Fraction(10) ** exp
    return number * _DECIMAL[match["decimal"] or ""]


def _ceil(value: Fraction) -> int:
    return -((-value.numerator) // value.denominator)


_MAX_TEXT = 64
_INT64_MAX = 2**63 - 1


def _short(value: object) -> str:
    return short_repr(value, 40)


def _bounded(amount: int, value: object, field: str | None, unit: str) -> int:
    if amount > _INT64_MAX:
        raise InvalidQuantityError(
            f"invalid quantity {_short(value)}{_where(field)}: {unit} above {_INT64_MAX:,} "
            "(int64), more than any node can hold"
        )
    return amount


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
    return _bounded(_ceil(parse_quantity(value, field=field) * 1000), value, field, "millicores")


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
    return _bounded(_ceil(parse_quantity(value, field=field)), value, field, "bytes")


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
