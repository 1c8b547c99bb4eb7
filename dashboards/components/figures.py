"""Figures the app draws itself: a plain fallback for answers that arrive without a figure.
Answer and explorer charts come from ``chatbi.charts``.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import plotly.graph_objects as go

from chatbi.values import is_missing

__all__ = ["fallback_figure", "style_figure", "fit_figure", "PALETTE"]

PALETTE = ["#4C6EF5", "#12B886", "#FAB005", "#FA5252", "#7950F2", "#15AABF", "#FD7E14", "#82C91E"]
_FONT = '"Noto Sans CJK SC", "PingFang SC", "Microsoft YaHei", system-ui, -apple-system, "Segoe UI", sans-serif'


def style_figure(fig: go.Figure, *, height: int = 340) -> go.Figure:
    """The app's look on any figure: white, quiet grid, compact margins, CJK-capable font."""
    fig.update_layout(template="plotly_white", height=height, margin={"l": 48, "r": 16, "t": 40, "b": 40},
                      font={"family": _FONT, "size": 12}, colorway=PALETTE,
                      legend={"orientation": "h", "y": -0.18}, hoverlabel={"font_family": _FONT})
    return fig


def fit_figure(fig: Any, *, height: int = 400) -> Any:
    """A figure made elsewhere (``chatbi.charts``), given a height and font only where it set none
    (the chart box, :mod:`.chart`, sizes itself from that height)."""
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


def to_float(value: Any) -> float | None:
    try:
        out = float(value)
    except (TypeError, ValueError):
        return None
    return None if is_missing(out) else out
