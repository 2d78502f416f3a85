"""Compiling plain-Python kernels with numba, lazily (``import podcap`` does not import numba)."""

from __future__ import annotations

import types
from collections.abc import Callable
from typing import Any


def jit(function: Callable[..., Any], bound: dict[str, Any], inline: bool = False) -> Any:
    """``function`` compiled with numba (machine code cached on disk), the names in ``bound``
    (compiled helpers) replacing its module's globals."""
    import numba

    names = dict(function.__globals__)
    names.update(bound)
    clone = types.FunctionType(
        function.__code__, names, function.__name__, function.__defaults__, function.__closure__
    )
    clone.__qualname__ = function.__qualname__
    clone.__module__ = function.__module__
    if inline:
        return numba.njit(cache=True, nogil=True, inline="always")(clone)
    return numba.njit(cache=True, nogil=True)(clone)
