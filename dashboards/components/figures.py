"""Figures the app draws itself: the explorer's trend and drill bars, and a plain fallback
for answers that arrive without a figure. Answer charts normally come from ``chatbi.charts``.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import plotly.graph_objects as go

__all__ = ["fallback_figure", "trend_figure", "drill_figure", "style_figure", "fit_figure", "PALETTE"]

PALETTE = ["#4C6EF5", "#12B886", "#FAB005", "#FA5252", "#7950F2", "#15AABF", "#FD7E14", "#82C91E"]
_FONT = '"Noto Sans CJK SC", "PingFang SC", "Microsoft YaHei", system-ui, -apple-system, "Segoe UI", sans-serif'


def style_figure(fig: go.Figure, *, height: int = 340) -> go.Figure:
    """The app's look on any figure: white, quiet grid, compact margins, CJK-capable font."""
    fig.update_layout(template="plotly_white", height=height, margin={"l": 48, "r": 16, "t": 40, "b": 40},
                      font={"family": _FONT, "size": 12}, colorway=PALETTE,
                      legend={"orientation": "h", "y": -0.18}, hoverlabel={"font_family": _FONT})
    return fig


def fit_figure(fig: Any, *, height: int = 340) -> Any:
    """A figure made elsewhere (``chatbi.charts``), given a height and font only where it set none."""
    if not isinstance(fig, go.Figure):
        try:
            fig = go.Figure(fig)
        except (TypeError, ValueError):
            return None
    if fig.layout.height is None:
        fig.update_layout(height=height)
    if fig.layout.font.family is None:
        fig.update_layout(font={"family": _FONT})
    return fig


def fallback_figure(data: pd.DataFrame | None, metrics: list[str], labels: dict[str, str]) -> go.Figure | None:
    """A simple line (time in the first column) or bar chart; ``None`` when nothing fits."""
    if data is None or data.empty or not metrics:
        return None
    ys = [m for m in metrics if m in data.columns]
    others = [c for c in data.columns if c not in ys and not str(c).startswith(tuple(f"{m}__" for m in ys))]
    if not ys or len(others) > 1:
        return None
    fig = go.Figure()
    if not others:
        if len(data) != 1:
            return None
        fig.add_trace(go.Indicator(mode="number", value=float(data[ys[0]].iloc[0]), title={"text": labels.get(ys[0], ys[0])}))
        return style_figure(fig, height=200)
    x = data[others[0]]
    is_time = "__" in str(others[0]) or pd.api.types.is_datetime64_any_dtype(x)
    for m in ys:
        trace = go.Scatter if is_time else go.Bar
        kwargs = {"mode": "lines+markers"} if is_time else {}
        fig.add_trace(trace(x=x.astype(str), y=data[m], name=labels.get(m, m), **kwargs))
    fig.update_layout(showlegend=len(ys) > 1)
    return style_figure(fig)


def trend_figure(frame: pd.DataFrame, x: str, metric: str, label: str, *, anomalies: pd.DataFrame | None = None,
                 expected_label: str = "expected", anomaly_label: str = "anomaly") -> go.Figure:
    """A metric over time; with ``anomalies`` (columns x, expected, lower, upper, is_anomaly) the band and points."""
    fig = go.Figure()
    xs = frame[x].astype(str)
    if anomalies is not None and {"lower", "upper"} <= set(anomalies.columns):
        band_x = anomalies[x].astype(str)
        fig.add_trace(go.Scatter(x=band_x, y=anomalies["upper"], line={"width": 0}, hoverinfo="skip",
                                 showlegend=False))
        fig.add_trace(go.Scatter(x=band_x, y=anomalies["lower"], line={"width": 0}, fill="tonexty",
                                 fillcolor="rgba(76,110,245,0.12)", name=expected_label, hoverinfo="skip"))
    fig.add_trace(go.Scatter(x=xs, y=frame[metric], mode="lines", name=label, line={"color": PALETTE[0], "width": 2}))
    if anomalies is not None and "is_anomaly" in anomalies.columns:
        hits = anomalies[anomalies["is_anomaly"].astype(bool)]
        if not hits.empty:
            fig.add_trace(go.Scatter(x=hits[x].astype(str), y=hits["actual"], mode="markers", name=anomaly_label,
                                     marker={"color": "#FA5252", "size": 10, "symbol": "circle-open",
                                             "line": {"width": 3}}))
    fig.update_layout(showlegend=True, hovermode="x unified")
    return style_figure(fig)


def drill_figure(frame: pd.DataFrame, level: str, metric: str, *, display: list[str], value_label: str) -> go.Figure:
    """Bars of ``metric`` by the members of ``level``; each bar carries its raw member as customdata."""
    fig = go.Figure(go.Bar(x=display, y=frame[metric], customdata=frame[level].astype(str),
                           marker={"color": PALETTE[0]}, name=value_label,
                           hovertemplate="%{x}: %{y:,.4~g}<extra></extra>"))
    fig.update_layout(showlegend=False, clickmode="event", xaxis={"type": "category"})
    return style_figure(fig, height=320)


def to_float(value: Any) -> float | None:
    try:
        out = float(value)
    except (TypeError, ValueError):
        return None
    return out if out == out else None
