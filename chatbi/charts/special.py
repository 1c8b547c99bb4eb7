"""Analysis charts: the root-cause waterfall and the anomaly band.

Both take plain numbers / a frame so ``chatbi.analysis`` can draw its own results without
building a ``SemanticQuery``.
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd
import plotly.graph_objects as go

from .formatting import PALETTE, format_delta, format_value, lang_of, text
from .layout import base_layout, value_axis

__all__ = ["anomaly_chart", "waterfall"]

_UP, _DOWN, _TOTAL = "#59a14f", "#e15759", "#4e79a7"
#: residuals smaller than this share of the change are rounding, not an "others" bar
_RESIDUAL_TOLERANCE = 1e-9


def _unit_for(value_format: str, unit: str | None = None) -> str:
    if unit:
        return unit
    return "CNY" if value_format == "currency" else ""


def waterfall(baseline_label: str, baseline: float, contributions: list[tuple[str, float]],
              current_label: str, current: float, *, title: str, language: str = "en",
              value_format: str = "number", value_label: str = "", value_unit: str | None = None) -> go.Figure:
    """Baseline -> one bar per contributor -> current.

    When the contributions do not add up to ``current - baseline`` the remainder is drawn as an
    "Others" bar, so the bars always sum to the current value (the total bar is ``current``).
    """
    lang = lang_of(language)
    unit = _unit_for(value_format, value_unit)
    labels = [baseline_label]
    deltas = [float(baseline)]
    for name, value in contributions:
        labels.append(str(name))
        deltas.append(float(value))
    residual = float(current) - float(baseline) - sum(v for _, v in contributions)
    scale = max(abs(float(current) - float(baseline)), abs(float(current)), 1.0)
    if abs(residual) > _RESIDUAL_TOLERANCE * scale:
        labels.append(text("others", lang))
        deltas.append(residual)
    labels.append(current_label)
    measures = ["absolute"] + ["relative"] * (len(deltas) - 1) + ["total"]
    values = [*deltas, float(current)]
    shown = [format_value(baseline, value_format, unit, lang)]
    shown += [format_delta(v, value_format, unit, lang) for v in deltas[1:]]
    shown.append(format_value(current, value_format, unit, lang))
    running, levels = 0.0, []
    for measure, v in zip(measures, values):
        running = v if measure in ("absolute", "total") else running + v
        levels.append(running)
    trace = go.Waterfall(
        x=labels, y=values, measure=measures, text=shown, textposition="outside",
        hovertext=shown, hoverinfo="x+text", connector={"line": {"color": "#bbbbbb"}},
        increasing={"marker": {"color": _UP}}, decreasing={"marker": {"color": _DOWN}},
        totals={"marker": {"color": _TOTAL}}, cliponaxis=False)
    # zoom in on a small change of a large total (9.80亿 -> 8.81亿); a change that doubles or halves
    # the total starts at zero, where a zoomed axis would draw 4,546 as a sliver beside 14.4K
    zoom = min(levels) > 0 and min(levels) >= 0.5 * max(levels)
    lows = min(levels) * 0.9 if zoom else min([0.0, *levels])
    axis = value_axis([lows, *levels], value_format, unit, lang, value_label, include_zero=lows <= 0)
    axis["range"] = _padded_range(lows, max(levels))
    layout = base_layout(title, lang, yaxis=axis, showlegend=False,
                         xaxis={"type": "category", "title": {"text": ""}})
    return go.Figure(data=[trace], layout=layout)


def _padded_range(low: float, high: float) -> list[float]:
    span = (high - low) or abs(high) or 1.0
    return [low - span * 0.05 if low < 0 else low, high + span * 0.12]


def anomaly_chart(frame: pd.DataFrame, *, x: str, actual: str, expected: str, lower: str, upper: str,
                  is_anomaly: str, title: str, language: str = "en", value_format: str = "number",
                  value_label: str = "", value_unit: str | None = None) -> go.Figure:
    """The actual series, the expected line inside its band, and the anomalous points highlighted."""
    lang = lang_of(language)
    unit = _unit_for(value_format, value_unit)
    dated = pd.api.types.is_datetime64_any_dtype(frame[x]) if not frame.empty else False
    # labels (``2025年1月``) come in the caller's order: sorting them as text would scramble the months
    data = frame.sort_values(x) if dated and not frame.empty else frame
    xs: list[Any] = data[x].tolist()
    def fmt(col: str) -> list[str]:
        return [format_value(v, value_format, unit, lang) for v in data[col]]

    flags = data[is_anomaly].fillna(False).astype(bool).tolist() if not data.empty else []
    traces = [
        go.Scatter(x=xs, y=data[upper].tolist(), mode="lines", line={"width": 0}, showlegend=False,
                   hoverinfo="skip", name=text("band", lang)),
        go.Scatter(x=xs, y=data[lower].tolist(), mode="lines", line={"width": 0}, fill="tonexty",
                   fillcolor="rgba(78,121,167,0.18)", name=text("band", lang), hoverinfo="skip"),
        go.Scatter(x=xs, y=data[expected].tolist(), mode="lines", name=text("expected", lang),
                   line={"dash": "dash", "color": "#7f7f7f"}, customdata=fmt(expected),
                   hovertemplate="%{x}<br>" + text("expected", lang) + ": %{customdata}<extra></extra>"),
        go.Scatter(x=xs, y=data[actual].tolist(), mode="lines+markers" if len(xs) <= 60 else "lines",
                   name=text("actual", lang), line={"color": PALETTE[0]}, customdata=fmt(actual),
                   hovertemplate="%{x}<br>" + text("actual", lang) + ": %{customdata}<extra></extra>"),
    ]
    points = [i for i, flag in enumerate(flags) if flag]
    if points:
        shown = fmt(actual)
        traces.append(go.Scatter(
            x=[xs[i] for i in points], y=[data[actual].iloc[i] for i in points], mode="markers",
            name=text("anomaly", lang), marker={"color": "#e15759", "size": 11, "symbol": "circle-open",
                                                "line": {"width": 3}},
            customdata=[shown[i] for i in points],
            hovertemplate="%{x}<br>" + text("anomaly", lang) + ": %{customdata}<extra></extra>"))
    numbers = [v for col in (actual, lower, upper) for v in data[col].tolist()
               if v is not None and not (isinstance(v, float) and math.isnan(v))]
    xaxis: dict[str, Any] = {"title": {"text": ""}}
    if dated:
        xaxis.update(type="date", tickformat=text("date_tick", lang))  # 2025年8月13日 / Aug 13, 2025
    else:
        xaxis.update(type="category", nticks=12 if len(xs) > 16 else None)
    yaxis = value_axis(numbers, value_format, unit, lang, value_label, include_zero=False)
    return go.Figure(data=traces, layout=base_layout(title, lang, xaxis=xaxis, yaxis=yaxis))
