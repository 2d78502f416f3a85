"""Shape handling shared by the kernels: scalar in -> scalar out, Series in -> Series out."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

import numpy as np
import pandas as pd

F = TypeVar("F", bound=Callable[..., Any])


def elementwise(func: F) -> F:
    """Run ``func`` on numpy arrays and give the result the shape of the inputs.

    The first pandas Series among the positional arguments decides the output index; when every
    positional argument is a scalar the result is a Python scalar; otherwise an ndarray.
    """

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        series = next((a for a in args if isinstance(a, pd.Series)), None)
        all_scalar = all(np.ndim(a) == 0 for a in args)
        arrays = [a.to_numpy() if isinstance(a, pd.Series) else np.asarray(a) for a in args]
        out = func(*arrays, **kwargs)
        if series is not None:
            return pd.Series(out, index=series.index, name=getattr(func, "__name__", None))
        if all_scalar:
            return np.asarray(out).item()
        return np.asarray(out)

    return wrapper  # type: ignore[return-value]
