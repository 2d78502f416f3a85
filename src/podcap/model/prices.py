"""EC2 on-demand prices, as Karpenter ships them, and a user's own price table.

The bundled table (``data/ec2_on_demand_prices.csv``) holds the on-demand prices Karpenter
generates into its AWS provider for ``us-east-1`` and the two GovCloud regions
(aws/karpenter-provider-aws ``pkg/providers/pricing/zz_generated.pricing_aws.go`` and
``zz_generated.pricing_aws_us_gov.go``).  Karpenter prices any other region from ``us-east-1``
until it has read the live price list (``pkg/providers/pricing/pricing.go``); podcap does the
same and says so.  Spot prices are never guessed: they come only from a user's table.
"""

from __future__ import annotations

import functools
import importlib.resources
import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from podcap.errors import InvalidSpecError

__all__ = ["CAPACITY_TYPES", "FALLBACK_REGION", "bundled_prices", "check_region", "price_table"]

#: Karpenter's capacity types (``karpenter.sh/capacity-type``) podcap prices.
CAPACITY_TYPES = ("on-demand", "spot")
#: The region Karpenter prices other regions from before it has read the price list.
FALLBACK_REGION = "us-east-1"
_COLUMNS = ("instance_type", "capacity_type", "usd_per_hour")


def _bundled_path() -> Path:
    resource = importlib.resources.files("podcap").joinpath("data/ec2_on_demand_prices.csv")
    if resource.is_file():
        return Path(str(resource))
    repo_file = Path(__file__).resolve().parents[3] / "data" / "ec2_on_demand_prices.csv"
    if repo_file.is_file():
        return repo_file
    raise InvalidSpecError(  # pragma: no cover - a broken installation
        "the bundled price table data/ec2_on_demand_prices.csv is missing from the podcap "
        "installation; reinstall podcap"
    )


@functools.cache
def _bundled() -> pd.DataFrame:
    return pd.read_csv(_bundled_path(), dtype={"region": str, "instance_type": str})


def bundled_prices() -> pd.DataFrame:
    """The bundled on-demand prices: columns ``region, instance_type, usd_per_hour`` [USD/h]."""
    return _bundled().copy()


def price_table(region: str = FALLBACK_REGION, user: pd.DataFrame | None = None) -> pd.DataFrame:
    """Hourly prices per instance type and capacity type for a region.

    Parameters
    ----------
    region : str
        AWS region.  Regions without bundled prices are priced from ``us-east-1``, as Karpenter
        does before it has read the live price list.
    user : pandas.DataFrame, optional
        The user's prices, columns ``instance_type``, ``capacity_type`` (``on-demand`` or
        ``spot``) and ``usd_per_hour`` [USD/h]; each row replaces (or adds) that price.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``instance_type``; columns ``on-demand`` and ``spot`` [USD/h], NaN where no
        price is known.  The frame's ``attrs["region"]`` is the region the bundled prices came
        from.
    """
    if not isinstance(region, str) or not region:
        raise InvalidSpecError(f"region must be an AWS region name, got {region!r}")
    base = _bundled()
    source = region if (base["region"] == region).any() else FALLBACK_REGION
    if source != region:
        check_region(region)
    rows = base[base["region"] == source]
    out = pd.DataFrame(
        {"on-demand": rows["usd_per_hour"].to_numpy(dtype=np.float64), "spot": np.nan},
        index=pd.Index(rows["instance_type"].to_numpy(dtype=object), name="instance_type"),
    )
    if user is not None:
        out = _with_user(out, user)
    out.attrs["region"] = source
    return out


def check_region(region: str) -> None:
    """Raise :class:`InvalidSpecError` unless ``region`` is shaped like an AWS region name."""
    if not isinstance(region, str) or not re.fullmatch(
        r"[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-\d+", region
    ):
        raise InvalidSpecError(
            f"region {region!r} is not an AWS region name (such as us-east-1 or eu-west-2)"
        )


def _with_user(out: pd.DataFrame, user: Any) -> pd.DataFrame:
    if not isinstance(user, pd.DataFrame):
        raise InvalidSpecError(
            f"prices must be a pandas.DataFrame with columns {', '.join(_COLUMNS)}, got "
            f"{type(user).__name__}"
        )
    missing = [c for c in _COLUMNS if c not in user.columns]
    if missing:
        raise InvalidSpecError(
            f"prices: missing column(s) {', '.join(missing)}; valid columns: {', '.join(_COLUMNS)}"
        )
    out = out.copy()
    seen: set[tuple[str, str]] = set()
    for i, (name, kind, usd) in enumerate(
        zip(user["instance_type"], user["capacity_type"], user["usd_per_hour"], strict=True)
    ):
        if kind not in CAPACITY_TYPES:
            raise InvalidSpecError(
                f"prices row {i}: capacity_type {kind!r} is not one of {', '.join(CAPACITY_TYPES)}"
            )
        if isinstance(usd, bool) or not isinstance(usd, (int, float)) or not usd >= 0:
            raise InvalidSpecError(
                f"prices row {i}: usd_per_hour must be a number >= 0, got {usd!r}"
            )
        if not isinstance(name, str) or not name:
            raise InvalidSpecError(f"prices row {i}: instance_type must be a name, got {name!r}")
        if (name, kind) in seen:
            raise InvalidSpecError(f"prices row {i}: a second {kind} price for {name}")
        seen.add((name, kind))
        if name not in out.index:
            out.loc[name] = [np.nan, np.nan]
        out.loc[name, kind] = float(usd)
    return out
