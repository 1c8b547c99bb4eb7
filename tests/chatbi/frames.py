"""Compare result frames by value: same rows, same values, column names ignored."""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import pandas as pd

__all__ = ["normalise_rows", "assert_same_rows"]


def _cell(value: Any) -> Any:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if value is pd.NaT:
        return None
    if isinstance(value, pd.Timestamp):
        return value.date().isoformat()
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if hasattr(value, "item"):  # numpy scalars
        return _cell(value.item())
    if isinstance(value, (int, float)) or type(value).__name__ == "Decimal":
        return float(value)
    return str(value)


def normalise_rows(frame: pd.DataFrame) -> list[tuple[Any, ...]]:
    rows = [tuple(_cell(v) for v in row) for row in frame.itertuples(index=False)]
    return sorted(rows, key=lambda r: tuple((x is None, str(type(x)), x if x is not None else 0) for x in r))


def _close(a: Any, b: Any, rel: float) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return math.isclose(a, b, rel_tol=rel, abs_tol=1e-9)
    return a == b


def assert_same_rows(actual: pd.DataFrame, expected: pd.DataFrame, *, rel: float = 1e-9) -> None:
    a, e = normalise_rows(actual), normalise_rows(expected)
    assert len(a) == len(e), f"{len(a)} rows, expected {len(e)}"
    for ra, re_ in zip(a, e):
        assert len(ra) == len(re_), f"row width {len(ra)} != {len(re_)}: {ra} vs {re_}"
        assert all(_close(x, y, rel) for x, y in zip(ra, re_)), f"{ra} != {re_}"
