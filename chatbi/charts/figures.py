"""``build_figure``: the Plotly figure for a result, per the :class:`ChartSpec` chosen for it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pandas as pd
import plotly.graph_objects as go

from semantic_layer import SemanticModel, SemanticQuery

from .formatting import OTHERS_COLOR, PALETTE, format_change, format_delta, format_value, is_additive_metric, text
from .layout import TEMPLATE, Context, base_layout, empty_layout, rows_height, value_axis
from .partial import partial_buckets
from .selection import ChartSpec, select_chart
from .special import anomaly_chart, waterfall

__all__ = ["MAX_TABLE_ROWS", "WATERFALL_CONTRIBUTORS", "build_figure"]

MAX_TABLE_ROWS = 200
#: the root-cause waterfall names this many members; the rest become one "others" bar
WATERFALL_CONTRIBUTORS = 5
_PREVIOUS_COLOR = "#b8c2cc"


def _load_template() -> None:
    # plotly's bundled templates still style the deprecated scattermapbox trace, so loading one
    # warns; load ours once at import (warning filters are process-wide, not thread-safe)
    import warnings

    import plotly.io as pio

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        pio.templates[TEMPLATE]  # loads and caches the template


_load_template()


def build_figure(query: SemanticQuery, frame: pd.DataFrame | None, model: SemanticModel | None, *,
                 language: str = "en", members: Any = None, intent: str | None = None,
                 period: tuple[Any, Any] | None = None, spec: ChartSpec | None = None,
                 compare_period: tuple[Any, Any] | None = None) -> go.Figure:
    """The chart for ``frame`` (the result of ``query``), labelled in ``language``.

    ``members`` (a ``MemberIndex``) gives English member names; ``period`` (the resolved period)
    goes into the subtitle; ``compare_period`` names a stated baseline; ``spec`` overrides the
    automatic :func:`select_chart`.
    """
    frame = frame if frame is not None else pd.DataFrame()
    spec = spec or select_chart(query, frame, intent=intent, model=model)
    ctx = Context(query, frame, model, language, members, spec, period, compare_period)
    return _mark_partial(_BUILDERS[spec.kind](ctx), ctx)


def _mark_partial(figure: go.Figure, ctx: Context) -> go.Figure:
    """A time bucket the period cuts (a first week of 3 days) is labelled on the axis and drawn paler,
    so it is not read as a whole one."""
    spec = ctx.spec
    if spec.kind not in ("line", "bar", "compare_bar") or spec.x is None or not ctx.is_time(spec.x):
        return figure
    grain = ctx.grain_of(spec.x)
    parts = partial_buckets(ctx.period or ((ctx.query.time_range.start, ctx.query.time_range.end)
                                           if ctx.query.time_range else None), grain)
    if not parts:
        return figure
    labels = {ctx.member_labels(spec.x, [p.start])[0]: p for p in parts}
    horizontal = spec.orientation == "h"
    for label, part in labels.items():
        figure.add_annotation(x=label if not horizontal else 1.0, y=1.0 if not horizontal else label,
                              xref="x" if not horizontal else "paper", yref="paper" if not horizontal else "y",
                              text=text("partial", ctx.language).format(days=part.days, total=part.length),
                              showarrow=False, yanchor="bottom", font={"size": 10, "color": "#8c8c8c"})
    for trace in figure.data:
        xs = list(trace.y if horizontal else trace.x) if (trace.y if horizontal else trace.x) is not None else []
        if not xs:
            continue
        pale = [0.45 if x in labels else 1.0 for x in xs]
        if trace.type == "bar":
            trace.marker.opacity = pale
        elif trace.type == "scatter":
            trace.marker.symbol = ["circle-open" if x in labels else "circle" for x in xs]
    return figure


# -- helpers --------------------------------------------------------------------------------
def _hover(name: str) -> str:
    return "%{x}<br>" + name + ": %{customdata}<extra></extra>"


def _ordered(ctx: Context, frame: pd.DataFrame) -> pd.DataFrame:
    spec = ctx.spec
    if spec.x is not None and ctx.is_time(spec.x):
        return frame.sort_values(spec.x, kind="stable")
    if spec.sort and spec.y:
        return frame.sort_values(spec.y[0], ascending=False, kind="stable", na_position="last")
    return frame


def _color(ctx: Context, name: str, i: int) -> str:
    return OTHERS_COLOR if name == text("others", ctx.language) else PALETTE[i % len(PALETTE)]


def _category_axis(labels: list[str], title: str = "", *, every: bool = False) -> dict[str, Any]:
    """A category axis; ``every`` labels each member (rows of a horizontal chart, which get their own
    line each), else a long series (days, months) is thinned so labels do not overlap."""
    axis: dict[str, Any] = {"type": "category", "categoryorder": "array", "categoryarray": labels,
                            "title": {"text": title}, "automargin": True}
    if every:
        axis["dtick"] = 1
    elif len(labels) > 16:
        axis["nticks"] = 12
    return axis


def _bar(ctx: Context, labels: list[str], values: list[Any], column: str, name: str, color: str,
         *, texts: list[str] | None = None) -> go.Bar:
    shown = ctx.value_text(column, values)
    horizontal = ctx.spec.orientation == "h"
    return go.Bar(
        x=values if horizontal else labels, y=labels if horizontal else values, name=name,
        orientation=ctx.spec.orientation, marker={"color": color}, customdata=shown,
        text=texts, textposition="outside" if texts else None, cliponaxis=False,
        hovertemplate=("%{y}" if horizontal else "%{x}") + "<br>" + name + ": %{customdata}<extra></extra>")


def _bar_layout(ctx: Context, labels: list[str], values: list[Any], column: str, *, outside: bool = False,
                **extra: Any) -> dict[str, Any]:
    fmt, unit = ctx.fmt(column)
    metric_axis = value_axis(values, fmt, unit, ctx.language, ctx.label(ctx.spec.y[0]) if len(ctx.spec.y) == 1
                             else "", include_zero=True)
    numbers = [float(v) for v in values if v is not None and pd.notna(v)]
    if outside and numbers:
        # room past the longest bar for its value label, which would otherwise be cut on a phone
        low, high = min(0.0, *numbers), max(0.0, *numbers)
        span = (high - low) or 1.0
        metric_axis["range"] = [low - (span * 0.25 if low < 0 else 0), high + (span * 0.25 if high > 0 else 0)]
    cat_title = ctx.column_label(ctx.spec.x) if ctx.spec.x else ""
    horizontal = ctx.spec.orientation == "h"
    cat_axis = _category_axis(labels, cat_title, every=horizontal)
    if horizontal:
        cat_axis["autorange"] = "reversed"  # first (largest) member on top
        groups = max(1, len(ctx.spec.y)) if not ctx.spec.series else 1
        return base_layout(ctx.title(), ctx.language, xaxis=metric_axis, yaxis=cat_axis,
                           height=rows_height(len(labels) * groups), **extra)
    return base_layout(ctx.title(), ctx.language, xaxis=cat_axis, yaxis=metric_axis, **extra)


def _fold_others(ctx: Context, frame: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    """The ``top_n`` largest members and one "others" row summing the rest (additive metrics only,
    as :func:`~chatbi.charts.selection.select_chart` decides); returns the frame and how many
    members were folded.

    A long tail that sums to more than the largest member is not folded: its bar would squash
    every other bar to a sliver. Then every member keeps its own row (the chart grows and its box
    scrolls)."""
    spec = ctx.spec
    if not spec.top_n or spec.series or spec.x is None or len(frame) <= spec.top_n + 1:
        return frame, 0
    ordered = frame.sort_values(spec.y[0], ascending=False, kind="stable", na_position="last")
    head, rest = ordered.head(spec.top_n), ordered.iloc[spec.top_n:]
    if float(rest[spec.y[0]].abs().sum()) > float(head[spec.y[0]].abs().max()):
        return frame, 0
    others = {column: rest[column].sum(min_count=1) for column in spec.y}
    others[spec.x] = text("others", ctx.language)
    if spec.share:
        others[spec.share] = rest[spec.share].sum(min_count=1)
    return pd.concat([head, pd.DataFrame([others])], ignore_index=True), len(rest)


def _top_members(ctx: Context, frame: pd.DataFrame, series: str, metric: str, keep: int) -> tuple[list[Any], bool]:
    """The ``keep`` largest members by total, and whether the rest may be summed into "others"."""
    totals = frame[metric].abs().groupby(frame[series], sort=False, dropna=False).sum()
    ranked = totals.sort_values(ascending=False, kind="stable").index.tolist()
    if len(ranked) <= keep + 1:
        return ranked, False
    if is_additive_metric(ctx.model, metric):
        return ranked[:keep], True
    return ranked[: keep + 1], False  # "others" of a ratio cannot be summed: show one more member instead


def _series_frames(ctx: Context, frame: pd.DataFrame) -> list[tuple[str, pd.DataFrame]]:
    """One frame per series member (top N plus "others" when the series is long)."""
    spec = ctx.spec
    assert spec.series is not None and spec.x is not None
    metric = spec.y[0]
    if spec.top_n:
        keep, fold = _top_members(ctx, frame, spec.series, metric, spec.top_n)
    else:
        keep, fold = frame[spec.series].drop_duplicates().tolist(), False
        if spec.sort:
            totals = frame.groupby(spec.series, sort=False, dropna=False)[metric].sum()
            keep = totals.sort_values(ascending=False, kind="stable").index.tolist()
    names = ctx.member_labels(spec.series, keep)
    out = [(name, frame[_is(frame[spec.series], member)]) for name, member in zip(names, keep)]
    if fold:
        rest = frame[~frame[spec.series].isin(keep)]
        summed = rest.groupby(spec.x, sort=True, dropna=False)[metric].sum(min_count=1).reset_index()
        out.append((text("others", ctx.language), summed))
    return [(name, part) for name, part in out if not part.empty and part[metric].notna().any()]


def _is(column: pd.Series, member: Any) -> pd.Series:
    # a NULL member (rows without a region ...) is a series too, and NaN != NaN
    return column.isna() if pd.isna(member) else column == member


# -- builders -------------------------------------------------------------------------------
def _empty(ctx: Context) -> go.Figure:
    return go.Figure(layout=empty_layout(ctx.title(), ctx.language))


def _kpi(ctx: Context) -> go.Figure:
    row = ctx.frame.iloc[0]
    metrics = [m for m in ctx.spec.y if pd.notna(row[m])]  # a blank card says nothing
    traces = []
    for i, metric in enumerate(metrics):
        fmt, unit = ctx.fmt(metric)
        value = row[metric]
        shown = format_value(value, fmt, unit, ctx.language)
        number, prefix, suffix, digits = _kpi_number(value, shown)
        indicator: dict[str, Any] = {
            "mode": "number", "value": number,
            "number": {"prefix": prefix, "suffix": suffix, "valueformat": f",.{digits}f", "font": {"size": 44}},
            "title": {"text": ctx.label(metric)},
            "domain": {"x": [i / len(metrics) + 0.02, (i + 1) / len(metrics) - 0.02], "y": [0.0, 0.85]},
        }
        previous = f"{metric}__previous"
        if ctx.query.compare and previous in row.index and pd.notna(row[previous]) and pd.notna(value) \
                and float(row[previous]) != 0:
            ratio = number / float(value) if float(value) else 1.0
            good, bad = "#3d9a50", "#d64545"
            metric_spec = ctx.model.metrics.get(metric) if ctx.model is not None else None
            favorable = metric_spec.favorable if metric_spec is not None else "up"
            up, down = (bad, good) if favorable == "down" else (good, bad)
            indicator["mode"] = "number+delta"
            compare = " " + ctx.versus()
            # a rate moves in percentage points (1.84% -> 1.77% is -0.07 pp, not -3.9%)
            points = fmt == "percent"
            if ctx.query.compare == "baseline":  # the stated baseline's own value, under the metric's name
                before = format_value(row[previous], fmt, unit, ctx.language)
                indicator["title"]["text"] += (f"<br><span style='font-size:12px;color:#8c8c8c'>"
                                               f"{ctx.compared_name()}{text('colon', ctx.language)}{before}</span>")
            # as many decimals as format_delta writes in the sentence above the card (-0.073 pp)
            pp = abs(float(value) - float(row[previous])) * 100
            indicator["delta"] = {"reference": float(row[previous]) * ratio, "relative": not points,
                                  "valueformat": (".3f" if 0 < pp < 0.1 else ".2f") if points else ".1%",
                                  "increasing": {"color": up}, "decreasing": {"color": down},
                                  "suffix": (" " + text("pp", ctx.language) if points else "") + compare}
        traces.append(go.Indicator(**indicator))
    return go.Figure(data=traces, layout=base_layout(ctx.title(), ctx.language, height=300))


def _winner(ctx: Context) -> go.Figure:
    """The member ranked first, highlighted, beside the runner-up (grey) when there is one."""
    spec = ctx.spec
    assert spec.x is not None
    row = ctx.frame.iloc[0]
    metric = spec.y[0]
    keys, values, colors = [row[spec.x]], [row[metric]], [PALETTE[0]]
    second_key, second_value = f"{spec.x}__runner_up", f"{metric}__runner_up"
    if second_key in row.index and second_value in row.index and pd.notna(row[second_value]):
        keys.append(row[second_key])
        values.append(row[second_value])
        colors.append(_PREVIOUS_COLOR)
    labels = ctx.member_labels(spec.x, keys)
    if len(labels) > 1:  # the second of a "lowest" ranking is the second lowest, not the second best
        lowest = bool(ctx.query.order_by) and not ctx.query.order_by[0].startswith("-")
        word = text("runner_up_lowest" if lowest else "runner_up", ctx.language)
        labels[1] = f"{labels[1]} ({word})" if ctx.language == "en" else f"{labels[1]}（{word}）"
    bar = _bar(ctx, labels, values, metric, ctx.label(metric), colors[0], texts=ctx.value_text(metric, values))
    bar.marker.color = colors
    layout = _bar_layout(ctx, labels, values, metric, showlegend=False, outside=True)
    layout["height"] = 260
    return go.Figure(data=[bar], layout=layout)


def _kpi_number(value: Any, shown: str) -> tuple[float, str, str, int]:
    """Split a formatted value into (number, prefix, suffix, decimals) for ``go.Indicator``.

    The indicator draws the number with d3 (no 万/亿), so it gets the already-scaled number and
    the words around it, and shows exactly what :func:`format_value` wrote.
    """
    if pd.isna(value):
        return float("nan"), "", "", 0
    start = next((i for i, ch in enumerate(shown) if ch.isdigit()), len(shown))
    end = start
    while end < len(shown) and (shown[end].isdigit() or shown[end] in ",."):
        end += 1
    digits_text = shown[start:end].replace(",", "")
    prefix, suffix = shown[:start], shown[end:]
    # the sign travels with the number (d3 draws it after the prefix: ¥−98.7M), so deltas stay right
    sign = -1.0 if prefix.startswith("-") else 1.0
    decimals = len(digits_text.partition(".")[2])
    return sign * float(digits_text or 0), prefix.lstrip("-"), suffix, decimals


def _line(ctx: Context) -> go.Figure:
    spec = ctx.spec
    assert spec.x is not None
    frame = ctx.frame.sort_values(spec.x, kind="stable")
    buckets = frame[spec.x].drop_duplicates().tolist()
    labels = ctx.member_labels(spec.x, buckets)
    mode = "lines+markers" if len(labels) <= 40 else "lines"
    traces: list[go.Scatter] = []
    parts: list[tuple[str, str, pd.DataFrame]] = []
    if spec.series:
        parts = [(name, spec.y[0], part) for name, part in _series_frames(ctx, frame)]
    else:
        parts = [(ctx.label(m), m, frame) for m in spec.y]
    for i, (name, column, part) in enumerate(parts):
        xs = ctx.member_labels(spec.x, part[spec.x].tolist())
        values = part[column].tolist()
        others = name == text("others", ctx.language)
        traces.append(go.Scatter(x=xs, y=values, mode=mode, name=name,
                                 line={"color": _color(ctx, name, i), "dash": "dot" if others else "solid"},
                                 customdata=ctx.value_text(column, values), hovertemplate=_hover(name)))
    if spec.previous:
        name = ctx.compared_name()
        values = frame[spec.previous].tolist()
        traces.append(go.Scatter(x=labels, y=values, mode="lines", name=name,
                                 line={"dash": "dash", "color": "#8c8c8c"},
                                 customdata=ctx.value_text(spec.previous, values),
                                 hovertemplate=_hover(name)))
    values = [v for t in traces for v in t.y]
    fmt, unit = ctx.fmt(spec.y[0])
    axis_label = ctx.label(spec.y[0]) if len(spec.y) == 1 else ""
    layout = base_layout(ctx.title(), ctx.language, xaxis=_category_axis(labels, ctx.column_label(spec.x)),
                         yaxis=value_axis(values, fmt, unit, ctx.language, axis_label, include_zero=False),
                         showlegend=len(traces) > 1)
    if spec.series:
        layout["legend"]["title"] = {"text": ctx.column_label(spec.series)}
    return go.Figure(data=traces, layout=layout)


def _bars(ctx: Context) -> go.Figure:
    spec = ctx.spec
    assert spec.x is not None
    frame = _ordered(ctx, ctx.frame)
    metric = spec.y[0]
    if spec.series:
        keys = frame[spec.x].drop_duplicates().tolist()
        if spec.sort and not ctx.is_time(spec.x):
            totals = frame.groupby(spec.x, sort=False, dropna=False)[metric].sum()
            keys = totals.sort_values(ascending=False, kind="stable").index.tolist()
        labels = ctx.member_labels(spec.x, keys)
        traces = []
        for i, (name, part) in enumerate(_series_frames(ctx, frame)):
            by_key = dict(zip(part[spec.x].tolist(), part[metric].tolist()))
            values = [by_key.get(k) for k in keys]
            traces.append(_bar(ctx, labels, values, metric, name, _color(ctx, name, i)))
        stacked = [sum(float(v) for v in vals if v is not None and pd.notna(v))
                   for vals in zip(*[t.x if spec.orientation == "h" else t.y for t in traces])]
        drawn = [v for t in traces for v in (t.x if spec.orientation == "h" else t.y)]
        all_values = stacked if spec.barmode == "stack" else drawn
        layout = _bar_layout(ctx, labels, all_values, metric, barmode=spec.barmode or "group")
        layout["legend"]["title"] = {"text": ctx.column_label(spec.series)}
        return go.Figure(data=traces, layout=layout)
    frame, folded = _fold_others(ctx, frame)
    keys = frame[spec.x].tolist()
    labels = ctx.member_labels(spec.x, keys)
    if folded:
        labels[-1] = text("n_others", ctx.language).format(n=folded)
    traces = []
    for i, column in enumerate(spec.y):
        values = frame[column].tolist()
        texts = None
        if spec.share:
            texts = ctx.value_text(spec.share, frame[spec.share].tolist())
        elif len(spec.y) == 1 and (len(labels) <= 25 or spec.orientation == "h"):  # a row each: room for its value
            texts = ctx.value_text(column, values)
        color: Any = PALETTE[i % len(PALETTE)]
        if folded:
            color = [PALETTE[i % len(PALETTE)]] * (len(labels) - 1) + [OTHERS_COLOR]
        traces.append(_bar(ctx, labels, values, column, ctx.label(column), color, texts=texts))
    all_values = [v for t in traces for v in (t.x if spec.orientation == "h" else t.y)]
    layout = _bar_layout(ctx, labels, all_values, metric, barmode="group", showlegend=len(traces) > 1,
                         outside=any(tr.text is not None for tr in traces))
    return go.Figure(data=traces, layout=layout)


def _donut(ctx: Context) -> go.Figure:
    spec = ctx.spec
    assert spec.x is not None
    frame = _ordered(ctx, ctx.frame)
    metric = spec.y[0]
    frame = frame[frame[metric].notna()]
    labels = ctx.member_labels(spec.x, frame[spec.x].tolist())
    values = frame[metric].tolist()
    pie = go.Pie(labels=labels, values=values, hole=0.5, sort=False, direction="clockwise",
                 textinfo="label+percent", marker={"colors": list(PALETTE[: len(labels)])},
                 customdata=ctx.value_text(metric, values),
                 hovertemplate="%{label}<br>" + ctx.label(metric) + ": %{customdata} (%{percent})<extra></extra>")
    return go.Figure(data=[pie], layout=base_layout(ctx.title(), ctx.language, showlegend=True,
                                                     legend={"title": {"text": ctx.column_label(spec.x)}}))


def _heatmap(ctx: Context) -> go.Figure:
    spec = ctx.spec
    assert spec.x is not None and spec.series is not None
    metric = spec.y[0]
    grid = ctx.frame.groupby([spec.series, spec.x], sort=False)[metric].sum(min_count=1).unstack(spec.x)
    grid = grid.loc[grid.sum(axis=1).sort_values(ascending=False).index,
                    grid.sum(axis=0).sort_values(ascending=False).index]
    fmt, unit = ctx.fmt(metric)
    x_labels = ctx.member_labels(spec.x, grid.columns.tolist())
    y_labels = ctx.member_labels(spec.series, grid.index.tolist())
    hover = [[format_value(v, fmt, unit, ctx.language) for v in row] for row in grid.to_numpy().tolist()]
    trace = go.Heatmap(z=grid.to_numpy().tolist(), x=x_labels, y=y_labels, colorscale="Blues", customdata=hover,
                       colorbar={"title": {"text": ctx.label(metric)}},
                       hovertemplate="%{x} · %{y}<br>" + ctx.label(metric) + ": %{customdata}<extra></extra>")
    layout = base_layout(ctx.title(), ctx.language, xaxis=_category_axis(x_labels, ctx.column_label(spec.x)),
                         yaxis={**_category_axis(y_labels, ctx.column_label(spec.series), every=True),
                                "autorange": "reversed"},
                         height=rows_height(len(y_labels), chrome=160))
    return go.Figure(data=[trace], layout=layout)


def _dual_axis(ctx: Context) -> go.Figure:
    spec = ctx.spec
    assert spec.x is not None
    first, second = spec.y
    time = ctx.is_time(spec.x)
    frame = ctx.frame.sort_values(spec.x if time else first, ascending=time, kind="stable")
    labels = ctx.member_labels(spec.x, frame[spec.x].tolist())
    v1, v2 = frame[first].tolist(), frame[second].tolist()
    n1, n2 = ctx.label(first), ctx.label(second)
    if time:
        t1: Any = go.Scatter(x=labels, y=v1, mode="lines+markers", name=n1, line={"color": PALETTE[0]},
                             customdata=ctx.value_text(first, v1), hovertemplate=_hover(n1))
    else:
        t1 = go.Bar(x=labels, y=v1, name=n1, marker={"color": PALETTE[0]}, customdata=ctx.value_text(first, v1),
                    hovertemplate=_hover(n1))
    t2 = go.Scatter(x=labels, y=v2, mode="lines+markers", name=n2, yaxis="y2", line={"color": PALETTE[1]},
                    customdata=ctx.value_text(second, v2), hovertemplate=_hover(n2))
    f1, u1 = ctx.fmt(first)
    f2, u2 = ctx.fmt(second)
    layout = base_layout(ctx.title(), ctx.language, xaxis=_category_axis(labels, ctx.column_label(spec.x)),
                         yaxis=value_axis(v1, f1, u1, ctx.language, n1, include_zero=not time),
                         yaxis2=value_axis(v2, f2, u2, ctx.language, n2, include_zero=not time,
                                           overlaying="y", side="right", showgrid=False),
                         margin={"l": 70, "r": 80, "t": 70, "b": 50})
    return go.Figure(data=[t1, t2], layout=layout)


def _scatter(ctx: Context) -> go.Figure:
    spec = ctx.spec
    first, second = spec.y
    frame = ctx.frame[ctx.frame[first].notna() & ctx.frame[second].notna()]
    labels = ctx.member_labels(spec.x, frame[spec.x].tolist()) if spec.x else None
    xs, ys = frame[first].tolist(), frame[second].tolist()
    n1, n2 = ctx.label(first), ctx.label(second)
    hover = [f"{a}<br>{n1}: {b}<br>{n2}: {c}" for a, b, c in
             zip(labels or [""] * len(xs), ctx.value_text(first, xs), ctx.value_text(second, ys))]
    trace = go.Scatter(x=xs, y=ys, mode="markers+text" if labels and len(xs) <= 30 else "markers", text=labels,
                       textposition="top center", marker={"size": 11, "color": PALETTE[0]},
                       hovertext=hover, hoverinfo="text", name="")
    f1, u1 = ctx.fmt(first)
    f2, u2 = ctx.fmt(second)
    layout = base_layout(ctx.title(), ctx.language, showlegend=False,
                         xaxis=value_axis(xs, f1, u1, ctx.language, n1, include_zero=False),
                         yaxis=value_axis(ys, f2, u2, ctx.language, n2, include_zero=False))
    return go.Figure(data=[trace], layout=layout)


def _compare_bar(ctx: Context) -> go.Figure:
    spec = ctx.spec
    assert spec.x is not None and spec.previous is not None
    frame = _ordered(ctx, ctx.frame)
    metric = spec.y[0]
    labels = ctx.member_labels(spec.x, frame[spec.x].tolist())
    current, previous = frame[metric].tolist(), frame[spec.previous].tolist()
    fmt, unit = ctx.fmt(metric)
    changes: list[str] | None
    if fmt == "percent":  # a rate's change reads in percentage points
        changes = [format_delta(c - p if pd.notna(c) and pd.notna(p) else None, fmt, unit, ctx.language)
                   for c, p in zip(current, previous)]
    else:
        changes = [format_change(v, ctx.language) for v in frame[spec.change_pct].tolist()] if spec.change_pct \
            else None
    prev_name = ctx.compared_name()
    traces = [_bar(ctx, labels, previous, spec.previous, prev_name, _PREVIOUS_COLOR),
              _bar(ctx, labels, current, metric, text("current", ctx.language), PALETTE[0], texts=changes)]
    layout = _bar_layout(ctx, labels, current + previous, metric, barmode="group", outside=changes is not None)
    return go.Figure(data=traces, layout=layout)


def _waterfall(ctx: Context) -> go.Figure:
    spec = ctx.spec
    assert spec.x is not None and spec.previous is not None
    metric = spec.y[0]
    frame = ctx.frame
    change = frame[metric].fillna(0) - frame[spec.previous].fillna(0)
    order = change.abs().sort_values(ascending=False, kind="stable").index[:WATERFALL_CONTRIBUTORS]
    names = ctx.member_labels(spec.x, frame.loc[order, spec.x].tolist())
    fmt, _unit = ctx.fmt(metric)
    return waterfall(ctx.compared_name(), float(frame[spec.previous].sum()),
                     list(zip(names, change.loc[order].astype(float).tolist())),
                     text("current", ctx.language), float(frame[metric].sum()),
                     title=ctx.title(), language=ctx.language, value_format=fmt, value_label=ctx.label(metric))


def _anomaly(ctx: Context) -> go.Figure:
    spec = ctx.spec
    assert spec.x is not None
    metric = spec.y[0]
    frame = ctx.frame.sort_values(spec.x, kind="stable").copy()
    frame[spec.x] = ctx.member_labels(spec.x, frame[spec.x].tolist())
    fmt, _unit = ctx.fmt(metric)
    return anomaly_chart(frame, x=spec.x, actual=metric, expected=f"{metric}__expected", lower=f"{metric}__lower",
                         upper=f"{metric}__upper", is_anomaly=f"{metric}__is_anomaly", title=ctx.title(),
                         language=ctx.language, value_format=fmt, value_label=ctx.label(metric))


def _table(ctx: Context) -> go.Figure:
    frame = ctx.frame
    shown = frame.head(MAX_TABLE_ROWS)
    headers, cells = [], []
    for column in frame.columns:
        headers.append(f"<b>{ctx.column_label(column)}</b>")
        values = shown[column].tolist()
        if column in ctx.query.metrics or ("__" in column and column.partition("__")[0] in ctx.query.metrics):
            cells.append(ctx.value_text(column, values))
        else:
            cells.append(ctx.member_labels(column, values))
    title = ctx.title()
    if len(frame) > MAX_TABLE_ROWS:
        note = text("first_rows", ctx.language).format(n=MAX_TABLE_ROWS, total=len(frame))
        title = f"{title}<br><sup>{note}</sup>" if "<br>" not in title else title.replace("</sup>", f" · {note}</sup>")
    aligns = ["right" if c in ctx.query.metrics or "__" in c else "left" for c in frame.columns]
    trace = go.Table(header={"values": headers, "fill": {"color": "#eef2f7"}, "align": aligns},
                     cells={"values": cells, "align": aligns, "height": 24})
    return go.Figure(data=[trace], layout=base_layout(title, ctx.language,
                                                       height=min(900, 120 + 26 * (len(shown) + 1))))


_BUILDERS: dict[str, Callable[[Context], go.Figure]] = {
    "empty": _empty, "kpi": _kpi, "winner": _winner, "line": _line, "bar": _bars, "donut": _donut, "heatmap": _heatmap,
    "dual_axis": _dual_axis, "scatter": _scatter, "compare_bar": _compare_bar, "waterfall": _waterfall,
    "anomaly": _anomaly, "table": _table,
}
