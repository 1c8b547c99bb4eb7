"""Assertions on Plotly figures shared by the chart tests."""

from __future__ import annotations

import math
from typing import Any

__all__ = ["assert_no_empty_traces", "axis_title", "numbers", "trace_types"]


def numbers(values: Any) -> list[float]:
    """The finite numbers in a trace array (None / NaN dropped)."""
    out = []
    for v in list(values if values is not None else []):
        if v is None:
            continue
        try:
            f = float(v)
        except (TypeError, ValueError):
            continue
        if math.isfinite(f):
            out.append(f)
    return out


def assert_no_empty_traces(fig: Any) -> None:
    """Every trace draws something: data points, slices, cells or a value."""
    assert fig.data, "figure has no traces"
    for trace in fig.data:
        kind = trace.type
        if kind in ("bar", "scatter", "waterfall"):
            values = trace.x if kind == "bar" and trace.orientation == "h" else trace.y
            assert numbers(values), f"empty {kind} trace {trace.name!r}"
            assert len(trace.x) == len(trace.y), f"{kind} trace {trace.name!r} has ragged x/y"
        elif kind == "pie":
            assert numbers(trace.values), "empty pie"
            assert len(trace.labels) == len(trace.values)
        elif kind == "heatmap":
            assert any(numbers(row) for row in trace.z), "empty heatmap"
        elif kind == "indicator":
            assert trace.value is not None and math.isfinite(trace.value), "indicator without a value"
        elif kind == "table":
            assert trace.cells.values and all(len(col) for col in trace.cells.values), "empty table"
        else:  # pragma: no cover - a new trace type needs a rule here
            raise AssertionError(f"unexpected trace type {kind}")


def trace_types(fig: Any) -> list[str]:
    return [t.type for t in fig.data]


def axis_title(axis: Any) -> str:
    return axis.title.text or ""
