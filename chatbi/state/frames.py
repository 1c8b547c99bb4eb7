"""Result frames as JSON, exactly: what the shared stores keep of an answer or a cached result.

A frame becomes ``{"columns", "dtypes", "data", ...}`` with one list per column. Numbers keep
every bit (Python's JSON writes floats by ``repr``; NaN and infinities included), timestamps are
integers in their own unit, and object columns keep dates, decimals and bytes tagged, so
``decode_frame(encode_frame(f))`` equals ``f`` for every frame a warehouse engine returns. No
pickle: a store another process can write must never be able to run code in this one.

``max_rows`` / ``max_bytes`` keep a bounded head of a large frame (``cut`` says so, ``rows`` is
the full count): an answer kept in a session needs what its card shows, not all 10,000 rows.

>>> import pandas as pd
>>> frame = pd.DataFrame({"province": ["广东", None], "revenue": [1.1, float("nan")]})
>>> decode_frame(encode_frame(frame)).equals(frame)
True
"""

from __future__ import annotations

import base64
import datetime as dt
import decimal
import json
import math
import sys
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["encode_frame", "decode_frame", "frame_bytes", "dumps", "loads"]

#: attrs values kept with a frame (``truncated``, ``row_cap`` ...): plain JSON scalars, and tuples or
#: lists of them (``per_month``, ``masked``: the table and chart words depend on them), read back as tuples
_SCALARS = (str, int, float, bool, type(None))


def _attr_value(value: Any) -> bool:
    return isinstance(value, _SCALARS) or (isinstance(value, (tuple, list, frozenset, set))
                                           and all(isinstance(v, _SCALARS) for v in value))


def dumps(value: Any) -> bytes:
    """Compact JSON bytes (NaN and infinities allowed: they round-trip through :func:`loads`)."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def loads(data: bytes | str) -> Any:
    return json.loads(data)


def frame_bytes(frame: pd.DataFrame) -> int:
    """Memory a frame holds, strings included (what a byte-bounded cache charges for it).

    Measured column by column (``DataFrame.memory_usage(deep=True)`` costs tens of milliseconds
    in pandas' own bookkeeping, more than the small frames it measures)."""
    total = 256 + 8 * len(frame.index)
    for position in range(frame.shape[1]):
        series = frame.iloc[:, position]
        values = series.array
        total += int(getattr(values, "nbytes", 8 * len(values)))
        if series.dtype == object:
            total += sum(sys.getsizeof(v) for v in series.to_numpy())
    return total


def encode_frame(frame: pd.DataFrame, *, max_rows: int | None = None, max_bytes: int | None = None) -> dict[str, Any]:
    """A JSON-able payload of ``frame`` (its first ``max_rows`` rows, shortened until the JSON is at
    most about ``max_bytes``)."""
    total = len(frame)
    head = frame if max_rows is None or total <= max_rows else frame.iloc[:max_rows]
    payload = _payload(head, total)
    if max_bytes is not None:
        while len(head) > 1 and len(dumps(payload)) > max_bytes:
            head = head.iloc[: len(head) // 2]
            payload = _payload(head, total)
    return payload


def _payload(frame: pd.DataFrame, total: int) -> dict[str, Any]:
    columns, dtypes, data = [], [], []
    for name in frame.columns:
        dtype, values = _column(frame[name])
        columns.append(name if isinstance(name, (str, int, float)) else str(name))
        dtypes.append(dtype)
        data.append(values)
    payload: dict[str, Any] = {"columns": columns, "dtypes": dtypes, "data": data, "rows": total,
                               "cut": len(frame) < total}
    if not isinstance(frame.index, pd.RangeIndex) or frame.index.start != 0 or frame.index.step != 1:
        payload["index"] = [*list(_column(frame.index.to_series(index=pd.RangeIndex(len(frame))))), frame.index.name]
    attrs = {k: v if isinstance(v, _SCALARS) else sorted(v, key=str) if isinstance(v, (set, frozenset)) else list(v)
             for k, v in frame.attrs.items() if isinstance(k, str) and _attr_value(v)}
    if attrs:
        payload["attrs"] = attrs
    return payload


def _column(series: pd.Series) -> tuple[str, list[Any]]:
    dtype = series.dtype
    name = str(dtype)
    if isinstance(dtype, pd.DatetimeTZDtype) or (isinstance(dtype, np.dtype) and dtype.kind in "mM"):
        # integers in the dtype's own unit (UTC for zoned stamps): exact, NaT as None
        ints = series.array.asi8 if isinstance(dtype, pd.DatetimeTZDtype) else series.to_numpy().view("int64")
        mask = series.isna().to_numpy()
        return name, [None if m else int(v) for v, m in zip(ints.tolist(), mask.tolist())]
    if isinstance(dtype, np.dtype) and dtype.kind in "biuf":
        return name, series.to_numpy().tolist()
    return name, [_value(v) for v in series.astype(object).tolist()]


def _value(value: Any) -> Any:
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, str)):
        return value
    if isinstance(value, float):
        return None if math.isnan(value) else value
    if isinstance(value, np.generic):
        return _value(value.item())
    if isinstance(value, pd.Timestamp):
        return {"$ts": value.isoformat()}
    if isinstance(value, dt.datetime):
        return {"$dt": value.isoformat()}
    if isinstance(value, dt.date):
        return {"$d": value.isoformat()}
    if isinstance(value, decimal.Decimal):
        return {"$dec": str(value)}
    if isinstance(value, (bytes, bytearray, memoryview)):
        return {"$b": base64.b64encode(bytes(value)).decode("ascii")}
    if isinstance(value, dt.timedelta):
        return {"$td": value.total_seconds()}
    return str(value)


def _restore(value: Any) -> Any:
    if not isinstance(value, dict) or len(value) != 1:
        return value
    (tag, text), = value.items()
    if tag == "$ts":
        return pd.Timestamp(text)
    if tag == "$dt":
        return dt.datetime.fromisoformat(text)
    if tag == "$d":
        return dt.date.fromisoformat(text)
    if tag == "$dec":
        return decimal.Decimal(text)
    if tag == "$b":
        return base64.b64decode(text)
    if tag == "$td":
        return dt.timedelta(seconds=text)
    return value


def _series(dtype: str, values: list[Any], name: Any = None) -> pd.Series:
    if dtype.startswith(("datetime64", "timedelta64")):
        numpy_kind = "M8" if dtype.startswith("datetime64") else "m8"
        if "," in dtype:  # tz-aware: datetime64[ns, Asia/Shanghai]
            unit, zone = dtype[dtype.index("[") + 1:-1].split(",", 1)
            raw = np.array([v if v is not None else np.iinfo("int64").min for v in values], dtype="int64")
            naive = pd.Series(raw.view(f"M8[{unit.strip()}]"), name=name)
            return naive.dt.tz_localize("UTC").dt.tz_convert(zone.strip())
        unit = dtype[dtype.index("[") + 1:-1]
        raw = np.array([v if v is not None else np.iinfo("int64").min for v in values], dtype="int64")
        return pd.Series(raw.view(f"{numpy_kind}[{unit}]"), name=name)
    if dtype == "category":
        return pd.Series([_restore(v) for v in values], name=name, dtype="object").astype("category")
    if dtype in ("object", "str"):
        return pd.Series([_restore(v) for v in values], name=name, dtype="object")
    try:
        return pd.Series(values, name=name, dtype=dtype)
    except (TypeError, ValueError):
        return pd.Series([_restore(v) for v in values], name=name, dtype="object")


def decode_frame(payload: dict[str, Any]) -> pd.DataFrame:
    """The frame :func:`encode_frame` wrote (``attrs["cut"]`` and ``attrs["rows"]`` when it was cut)."""
    columns = payload.get("columns", [])
    series = [_series(d, v) for d, v in zip(payload.get("dtypes", []), payload.get("data", []))]
    if series:
        frame = pd.concat(series, axis=1, ignore_index=True)
        frame.columns = pd.Index(columns, dtype=object) if columns else frame.columns
    else:
        frame = pd.DataFrame(columns=columns)
    if "index" in payload:
        dtype, values, name = payload["index"]
        frame.index = pd.Index(_series(dtype, values), name=name)
    frame.attrs.update({k: tuple(v) if isinstance(v, list) else v for k, v in payload.get("attrs", {}).items()})
    if payload.get("cut"):
        frame.attrs["cut"] = True
        frame.attrs["rows"] = payload.get("rows", len(frame))
    return frame
