"""Deterministic chart selection from the query's shape and the result frame.

No model writes chart code: the chart is a function of (query, frame, intent). Rules, first match
wins: empty -> ``empty``; no metrics / too wide / ``intent="table"`` -> ``table``; anomaly
columns -> ``anomaly``; the one member ranked first -> ``winner``; one row -> ``kpi``; why + compare
-> ``waterfall``; relation -> ``scatter``; compare -> ``compare_bar`` (or a line with the previous
period for long series); share -> ``donut`` (<= 8 members) or ``bar``; two metrics -> ``dual_axis`` when formats differ; time ->
``line`` (``bar`` for <= 3 buckets); one category -> sorted ``bar``; two categories -> grouped /
stacked ``bar`` or ``heatmap`` for large grids.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import pandas as pd

from semantic_layer import SemanticModel, SemanticQuery
from semantic_layer.model import DimensionRef

from .formatting import display_width, is_additive_metric, metric_format

__all__ = [
    "ANOMALY_SUFFIXES",
    "BAR_FOLD_AFTER",
    "BAR_TOP",
    "DONUT_MAX",
    "FEW_BUCKETS",
    "MAX_BARS",
    "MAX_SERIES",
    "ChartKind",
    "ChartSpec",
    "is_winner",
    "normalise_intent",
    "select_chart",
]

ChartKind = Literal["empty", "table", "kpi", "winner", "line", "bar", "donut", "heatmap", "dual_axis", "scatter",
                    "compare_bar", "waterfall", "anomaly"]

#: a line chart keeps this many members of its series dimension; more become top 9 + "others"
MAX_SERIES = 10
#: this few time buckets read better as bars than as a line
FEW_BUCKETS = 3
DONUT_MAX = 8
#: bars turn horizontal beyond this many members or this label width (CJK counts double)
HORIZONTAL_MEMBERS = 8
HORIZONTAL_LABEL_WIDTH = 14
#: a single categorical dimension with more members than this is listed, not drawn
MAX_BARS = 50
#: bars of an additive metric beyond this many members show the top BAR_TOP and one "others" bar
#: (a ratio cannot be summed into "others": all its members get a row of a horizontal chart)
BAR_FOLD_AFTER = 20
BAR_TOP = 15
#: grids larger than this (cells, or members on one side) become heatmaps
HEATMAP_CELLS = 60
HEATMAP_SIDE = 12
#: compare over time: grouped current/previous bars up to this many buckets, a line beyond
COMPARE_BARS = 12
MAX_METRICS_CHART = 4
#: anomaly frames carry these columns next to the metric (``revenue__expected`` ...)
ANOMALY_SUFFIXES = ("expected", "lower", "upper", "is_anomaly")

_INTENTS = {"relation": "relation", "correlation": "relation", "scatter": "relation",
            "anomaly": "anomaly", "anomalies": "anomaly", "root_cause": "root_cause", "why": "root_cause",
            "waterfall": "root_cause", "explain": "root_cause", "table": "table", "list": "table"}


@dataclass(frozen=True)
class ChartSpec:
    """Which chart and which result columns play which role.

    ``x`` is the category / time column (the label column of a donut or scatter); ``y`` the metric
    columns drawn; ``series`` the column that splits traces by colour; ``top_n`` how many series
    members are kept before the rest are folded into "others".
    """

    kind: ChartKind
    x: str | None = None
    y: tuple[str, ...] = ()
    series: str | None = None
    orientation: Literal["v", "h"] = "v"
    grain: str | None = None
    barmode: Literal["group", "stack"] | None = None
    sort: bool = False
    top_n: int | None = None
    #: extra columns: previous value, change %, share, or the anomaly band, by role
    previous: str | None = None
    change_pct: str | None = None
    share: str | None = None
    reason: str = ""


def normalise_intent(intent: str | None) -> str | None:
    return _INTENTS.get((intent or "").strip().lower().replace("-", "_")) if intent else None


def _is_time(ref: DimensionRef, frame: pd.DataFrame, model: SemanticModel | None) -> bool:
    if model is not None and ref.name in model.dimensions:
        return model.dimensions[ref.name].type == "time"
    return ref.grain is not None or (ref.column in frame and pd.api.types.is_datetime64_any_dtype(frame[ref.column]))


def _orientation(frame: pd.DataFrame, column: str) -> Literal["v", "h"]:
    values = frame[column].astype(str)
    wide = max((display_width(v) for v in values), default=0) > HORIZONTAL_LABEL_WIDTH
    return "h" if wide or values.nunique() > HORIZONTAL_MEMBERS else "v"


def _formats_differ(model: SemanticModel | None, frame: pd.DataFrame, a: str, b: str) -> bool:
    if model is not None and a in model.metrics and b in model.metrics:
        return metric_format(model, a) != metric_format(model, b)
    # without a model: an order of magnitude between the typical values means separate axes
    ma, mb = frame[a].abs().median(), frame[b].abs().median()
    if not (ma > 0 and mb > 0):
        return False
    return max(ma, mb) / min(ma, mb) >= 10


def _sorted_by_user(query: SemanticQuery, metric: str) -> bool:
    """The user ordered by something other than the metric descending: keep their order."""
    return bool(query.order_by) and query.order_by[0] != f"-{metric}"


def is_winner(query: SemanticQuery, frame: pd.DataFrame) -> bool:
    """Is the result one member ranked first by a metric ("哪个省收入最高", "top city", "bottom 1")?"""
    metric = query.order_by[0].lstrip("-+") if query.order_by else ""
    return (query.limit == 1 and len(query.dimensions) == 1 and metric in query.metrics
            and len(frame) == 1 and metric in frame.columns)


def select_chart(query: SemanticQuery, frame: pd.DataFrame | None, *, intent: str | None = None,
                 model: SemanticModel | None = None) -> ChartSpec:
    """Choose the chart for a result. ``intent`` hints what the question is about
    (``relation``, ``anomaly``, ``root_cause``, ``table``); ``model`` supplies metric formats and
    additivity (without it, formats are guessed from magnitudes and bars are never stacked).
    """
    if frame is None or frame.empty:
        return ChartSpec("empty", reason="no rows")
    hint = normalise_intent(intent)
    refs = [r for r in map(DimensionRef.parse, query.dimensions) if r.column in frame.columns]
    metrics = [m for m in query.metrics if m in frame.columns]
    dims = [r.column for r in refs]
    times = [r for r in refs if _is_time(r, frame, model)]
    cats = [r.column for r in refs if r not in times]
    grain = (times[0].grain or "day") if times else None
    tcol = times[0].column if times else None

    if not metrics or hint == "table":
        return ChartSpec("table", x=dims[0] if dims else None, y=tuple(metrics), reason="list of members")
    if all(frame[c].isna().all() for c in metrics):
        return ChartSpec("empty", reason="no values")
    m = metrics[0]
    anomaly_cols = [f"{m}__{s}" for s in ANOMALY_SUFFIXES]
    if tcol is not None and all(c in frame.columns for c in anomaly_cols):
        return ChartSpec("anomaly", x=tcol, y=(m,), grain=grain, reason="anomaly band")
    if len(refs) > 2 or len(metrics) > MAX_METRICS_CHART or len(times) > 1:
        return ChartSpec("table", x=dims[0] if dims else None, y=tuple(metrics), reason="wide result")
    previous = f"{m}__previous" if query.compare and f"{m}__previous" in frame.columns else None
    change = f"{m}__change_pct" if previous and f"{m}__change_pct" in frame.columns else None
    share = f"{m}__share" if query.share and f"{m}__share" in frame.columns else None
    if len(frame) == 1 and is_winner(query, frame):
        return ChartSpec("winner", x=dims[0], y=(m,), orientation="h", grain=grain,
                         reason="the single top (or bottom) member, beside the runner-up")
    if len(frame) == 1:
        return ChartSpec("kpi", y=tuple(metrics), previous=previous, change_pct=change, reason="single value")

    if hint == "root_cause" and previous and len(cats) == 1 and not times and len(metrics) == 1 \
            and (model is None or is_additive_metric(model, m)):
        return ChartSpec("waterfall", x=cats[0], y=(m,), previous=previous, change_pct=change,
                         reason="contributions to the change")
    if hint == "relation" and len(metrics) >= 2 and len(frame) >= 3:
        return ChartSpec("scatter", x=dims[0] if dims else None, y=tuple(metrics[:2]), reason="relation of two metrics")

    if len(metrics) >= 2:
        if len(refs) != 1:
            return ChartSpec("table", x=dims[0] if dims else None, y=tuple(metrics),
                             reason="several metrics by two dimensions")
        x = dims[0]
        if len(metrics) == 2 and _formats_differ(model, frame, metrics[0], metrics[1]):
            return ChartSpec("dual_axis", x=x, y=tuple(metrics), grain=grain,
                             orientation="v", reason="two metrics with different units")
        formats = {metric_format(model, n) for n in metrics} if model is not None else {("number", "")}
        if len(formats) > 1:
            return ChartSpec("table", x=x, y=tuple(metrics), reason="metrics with different units")
        if tcol is not None and frame[tcol].nunique() > FEW_BUCKETS:
            return ChartSpec("line", x=x, y=tuple(metrics), grain=grain, reason="several metrics over time")
        return ChartSpec("bar", x=x, y=tuple(metrics), grain=grain, barmode="group",
                         orientation=_orientation(frame, x) if tcol is None else "v",
                         reason="several metrics by member")

    if previous and len(refs) == 1:
        x = dims[0]
        if tcol is not None and frame[tcol].nunique() > COMPARE_BARS:
            return ChartSpec("line", x=x, y=(m,), grain=grain, previous=previous, change_pct=change,
                             reason="long series compared with the previous period")
        if tcol is None and frame[x].nunique() > MAX_BARS:
            return ChartSpec("table", x=x, y=(m,), reason="too many members to compare")
        return ChartSpec("compare_bar", x=x, y=(m,), grain=grain, previous=previous, change_pct=change,
                         sort=tcol is None and not _sorted_by_user(query, m),
                         orientation="v" if tcol is not None else _orientation(frame, x),
                         reason="current vs previous period")

    if share and len(cats) == 1 and not times:
        n = frame[cats[0]].nunique()
        if n <= DONUT_MAX:
            return ChartSpec("donut", x=cats[0], y=(m,), share=share, sort=True, reason="share of a whole")
        if n <= MAX_BARS:
            return ChartSpec("bar", x=cats[0], y=(m,), share=share, sort=True,
                             top_n=BAR_TOP if n > BAR_FOLD_AFTER else None,
                             orientation=_orientation(frame, cats[0]), reason="shares of many members")
        return ChartSpec("table", x=cats[0], y=(m,), share=share, reason="too many members")

    if tcol is not None:
        buckets = frame[tcol].nunique()
        series = cats[0] if cats else None
        top = MAX_SERIES - 1 if series and frame[series].nunique() > MAX_SERIES else None
        if buckets <= FEW_BUCKETS:
            return ChartSpec("bar", x=tcol, y=(m,), series=series, grain=grain, barmode="group", top_n=top,
                             reason="few time buckets")
        return ChartSpec("line", x=tcol, y=(m,), series=series, grain=grain, top_n=top, reason="trend")

    if len(cats) == 1:
        x = cats[0]
        n = frame[x].nunique()
        if n > MAX_BARS:
            return ChartSpec("table", x=x, y=(m,), reason="too many members")
        fold = n > BAR_FOLD_AFTER and model is not None and is_additive_metric(model, m) \
            and not _sorted_by_user(query, m)
        return ChartSpec("bar", x=x, y=(m,), sort=not _sorted_by_user(query, m), top_n=BAR_TOP if fold else None,
                         orientation=_orientation(frame, x), reason="one categorical dimension"
                         + (f" (top {BAR_TOP} and others)" if fold else ""))

    a, b = sorted(cats, key=lambda c: -frame[c].nunique())
    na, nb = frame[a].nunique(), frame[b].nunique()
    if na * nb > HEATMAP_CELLS or na > HEATMAP_SIDE:
        return ChartSpec("heatmap", x=a, y=(m,), series=b, reason="large grid")
    stack = model is not None and is_additive_metric(model, m)
    return ChartSpec("bar", x=a, y=(m,), series=b, barmode="stack" if stack else "group", sort=True,
                     orientation=_orientation(frame, a), reason="two categorical dimensions")
