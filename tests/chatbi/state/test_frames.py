"""Result frames as exact JSON: every dtype an engine returns comes back equal, no pickle involved."""

from __future__ import annotations

import datetime as dt
import decimal

import numpy as np
import pandas as pd
import pytest

from chatbi.state.frames import decode_frame, dumps, encode_frame, loads

FRAMES = {
    "text and floats": pd.DataFrame({"province": ["广东", None], "revenue": [0.1 + 0.2, float("nan")], "n": [1, 2]}),
    "timestamps and nullable": pd.DataFrame({"d": pd.to_datetime(["2025-01-01", None]),
                                             "x": pd.array([1, None], dtype="Int64"), "b": [True, False]}),
    "zoned and objects": pd.DataFrame({"d": pd.to_datetime(["2025-01-01 10:00", "2025-02-01 00:00"])
                                       .tz_localize("Asia/Shanghai"),
                                       "o": [dt.date(2025, 1, 1), decimal.Decimal("1.50")]}),
    "categories and extremes": pd.DataFrame({"c": pd.Categorical(["a", "b", "a"]), "f": [np.inf, -np.inf, 1e300],
                                             "u": np.array([1, 2, 3], dtype="uint8")}),
    "empty": pd.DataFrame({"x": pd.Series([], dtype="float64"), "y": pd.Series([], dtype="object")}),
    "microseconds and durations": pd.DataFrame({"d": np.array(["2025-01-01", "NaT"], dtype="datetime64[us]"),
                                                "td": pd.to_timedelta([1, None], unit="s")}),
    "named index": pd.DataFrame({"v": [1.5, 2.5]}, index=pd.Index(["a", "b"], name="k")),
    "extension types": pd.DataFrame({"s": pd.array(["a", None], dtype="string"),
                                     "B": pd.array([True, None], dtype="boolean"),
                                     "F": pd.array([1.5, None], dtype="Float64")}),
}


@pytest.mark.parametrize("name", list(FRAMES))
def test_round_trip_is_exact(name):
    frame = FRAMES[name].copy()
    frame.attrs.update(truncated=False, row_cap=100)
    back = decode_frame(loads(dumps(encode_frame(frame))))
    assert back.equals(frame) and list(back.dtypes) == list(frame.dtypes)
    assert list(back.index) == list(frame.index) and back.index.name == frame.index.name
    assert back.attrs == frame.attrs


def test_a_real_result_round_trips(sample_bi):
    frame = sample_bi.query(metrics=["revenue", "arpu"], dimensions=["date.month", "province"],
                            time_range=("2025-01-01", "2025-12-31")).data
    back = decode_frame(loads(dumps(encode_frame(frame))))
    assert back.equals(frame) and list(back.dtypes) == list(frame.dtypes)


def test_a_large_frame_keeps_a_bounded_head():
    big = pd.DataFrame({"a": range(10_000), "s": ["x" * 50] * 10_000})
    payload = encode_frame(big, max_rows=2000, max_bytes=50_000)
    assert len(dumps(payload)) <= 50_000 and payload["rows"] == 10_000 and payload["cut"]
    head = decode_frame(payload)
    assert head.attrs["cut"] and head.attrs["rows"] == 10_000 and head.equals(big.head(len(head)))


def test_nothing_but_json_is_read():
    """A record a stranger wrote into a shared store stays data: tags rebuild values, never objects."""
    payload = {"columns": ["x"], "dtypes": ["object"], "data": [[{"$d": "2025-01-01"}, {"__reduce__": "os.system"}]],
               "rows": 2, "cut": False}
    frame = decode_frame(payload)
    assert frame["x"][0] == dt.date(2025, 1, 1) and frame["x"][1] == {"__reduce__": "os.system"}


def test_attrs_that_are_lists_of_names_come_back_as_tuples():
    frame = pd.DataFrame({"arpu": [1.0]})
    frame.attrs.update(per_month=("arpu",), masked=["phone"], rules={"x": 1})
    back = decode_frame(loads(dumps(encode_frame(frame))))
    assert back.attrs == {"per_month": ("arpu",), "masked": ("phone",)}  # a mapping is no plain value: left out
