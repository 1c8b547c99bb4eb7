"""Reading result cells: missing values and dates. Shared by charts and narratives (no plotly here)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd

__all__ = ["is_missing", "as_date"]


def is_missing(value: Any) -> bool:
    """None, NaN and NaT are missing; anything pandas cannot judge is not.

    >>> is_missing(float("nan")), is_missing(0), is_missing("x")
    (True, False, False)
    """
    if value is None:
        return True
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def as_date(value: Any) -> dt.date | None:
    """A date from a date, timestamp or ISO text; None when it is none of those.

    >>> as_date("2025-11-01T00:00:00"), as_date("Guangdong")
    (datetime.date(2025, 11, 1), None)
    """
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value)[:10])
    except ValueError:
        return None
