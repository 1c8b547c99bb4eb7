"""One result shape on every engine: the pandas types DuckDB gives.

Charts, narratives, CSV and the cross-engine tests read results without asking which engine
produced them, so every engine hands over frames normalised here:

- dates and timestamps are naive ``datetime64[us]`` columns (DuckDB's type for DATE and
  TIMESTAMP); time-zone-aware values keep their wall-clock time and lose the offset
  (PostgreSQL's ``DATE_TRUNC`` over a DATE returns a ``timestamptz`` at local midnight: the
  bucket is that date, not "+08:00");
- ``Decimal`` values become floats (PostgreSQL ``NUMERIC`` sums, Spark ``DECIMAL``);
- integers stay integers and text stays text, except on databases that keep dates as ISO text
  (SQLite): there a column whose every value is ``YYYY-MM-DD`` is a date column
  (``iso_text_dates=True``).

>>> import datetime as dt, decimal
>>> frame = normalize_frame(pd.DataFrame({"d": [dt.date(2025, 1, 1)], "x": [decimal.Decimal("1.5")]}))
>>> [str(t) for t in frame.dtypes]
['datetime64[us]', 'float64']
"""

from __future__ import annotations

import datetime as dt
import decimal
import re
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["normalize_frame", "DATETIME_DTYPE"]

#: what DuckDB returns for DATE and TIMESTAMP columns
DATETIME_DTYPE = "datetime64[us]"
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def normalize_frame(frame: pd.DataFrame, *, iso_text_dates: bool = False) -> pd.DataFrame:
    """The frame with DuckDB's types (see the module docstring); columns are converted in place."""
    for i, dtype in enumerate(frame.dtypes):
        col = frame.iloc[:, i]
        if isinstance(dtype, pd.DatetimeTZDtype):
            frame.isetitem(i, col.dt.tz_localize(None).to_numpy(dtype=DATETIME_DTYPE))
        elif pd.api.types.is_datetime64_dtype(dtype):
            if str(dtype) != DATETIME_DTYPE:
                frame.isetitem(i, col.to_numpy(dtype=DATETIME_DTYPE))
        elif pd.api.types.is_object_dtype(dtype):
            converted = _convert_objects(col, iso_text_dates)
            if converted is not None:
                frame.isetitem(i, converted)
    return frame


def _convert_objects(col: pd.Series, iso_text_dates: bool) -> np.ndarray | None:
    first = col.first_valid_index()
    if first is None:
        return None
    head = col[first]
    if iso_text_dates and isinstance(head, str) and _ISO_DATE.fullmatch(head):
        texts = col.dropna()
        if texts.map(lambda v: isinstance(v, str) and _ISO_DATE.fullmatch(v) is not None).all():
            return pd.to_datetime(col, format="%Y-%m-%d").to_numpy(dtype=DATETIME_DTYPE)
        return None
    # text columns (the common case) are recognised by their first value, without a scan
    if not isinstance(head, (decimal.Decimal, dt.date)):
        return None
    values = [v for v in col if v is not None and v is not pd.NaT and not (isinstance(v, float) and v != v)]
    if all(isinstance(v, decimal.Decimal) for v in values):
        return pd.to_numeric(col.map(_decimal_to_float), errors="coerce").to_numpy(dtype="float64")
    if all(isinstance(v, (dt.date, dt.datetime)) for v in values):
        return _to_naive(col)
    return None


def _decimal_to_float(value: Any) -> float | None:
    return None if value is None or value != value else float(value)


def _to_naive(col: pd.Series) -> np.ndarray:
    """Dates and (possibly aware, possibly mixed-offset) datetimes as naive wall-clock times."""
    def wall(value: Any) -> Any:
        if isinstance(value, dt.datetime):
            return value.replace(tzinfo=None)
        if isinstance(value, dt.date):
            return dt.datetime(value.year, value.month, value.day)
        return None

    return pd.to_datetime(col.map(wall)).to_numpy(dtype=DATETIME_DTYPE)
