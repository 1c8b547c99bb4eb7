"""The metric explorer: a metric's trend at a chosen grain with anomalies highlighted, and bars
along a dimension tree (region > province > city) that drill down when clicked.

State is a small dict ``{"metric", "grain", "tree", "path": [[dimension, member], ...]}`` kept
in the browser; :func:`next_state` and :func:`explore_view` are plain functions.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import dash
import dash_bootstrap_components as dbc
import pandas as pd
from dash import ALL, Input, Output, State, dcc, html
from dash.exceptions import PreventUpdate

from semantic_layer import SemanticQuery, validate_query
from semantic_layer.model import DimensionRef

from ..components.chart import box_class, box_styles, chart_box
from ..context import AppContext
from ..i18n import t
from ..querytools import member_label
from . import Page
from ._session import triggered_value
from .explore_anomalies import anomaly_frame

__all__ = ["PAGE", "layout", "register", "next_state", "explore_view", "trees_for", "ExploreView", "GRAINS"]

log = logging.getLogger(__name__)
GRAINS = ("day", "week", "month", "quarter", "year")
#: how far back the trend looks at fine grains (coarse grains show all the data)
_WINDOW = {"day": ("day", 90), "week": ("week", 26)}


@dataclass(frozen=True)
class ExploreView:
    trend: Any
    drill: Any
    crumbs: list[tuple[str, int]]
    note: str
    level: str | None


def _time(ctx: AppContext) -> Any:
    return ctx.chatbi.model.dimension(ctx.chatbi.model.time_dimension)


def trees_for(ctx: AppContext, metric: str) -> list[str]:
    """Hierarchies (not the time one) whose every level can group ``metric``."""
    model = ctx.chatbi.model
    out = []
    for name, tree in model.hierarchies.items():
        levels = [DimensionRef.parse(level).name for level in tree.levels]
        if model.time_dimension in levels:
            continue
        if all(not validate_query(model, SemanticQuery(metrics=[metric], dimensions=[level])) for level in levels):
            out.append(name)
    return out


def default_state(ctx: AppContext) -> dict[str, Any]:
    model = ctx.chatbi.model
    metric = model.visible_metrics[0]
    grains = list(_time(ctx).grains) or list(GRAINS)
    grain = "month" if "month" in grains else grains[0]
    trees = trees_for(ctx, metric)
    tree = trees[0] if trees else None
    return {"metric": metric, "grain": grain, "tree": tree, "path": [], "path_tree": tree}


def next_state(ctx: AppContext, state: dict[str, Any] | None, trigger: Any, value: Any,
               controls: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The state after a control change, a bar click (``value`` = clickData) or a breadcrumb click.

    ``controls`` are the metric, grain and tree the page's controls show right now: they, not the
    stored state, are the truth. The stored state may be older than the controls (a change whose
    response was superseded by a quicker second change never reached the store), and a chart
    built from it would show one metric under a selector naming another.
    """
    state = dict(state or default_state(ctx))
    model = ctx.chatbi.model
    for key in ("metric", "grain", "tree"):
        shown = (controls or {}).get(key)
        if shown is not None and shown != state.get(key):
            valid = shown in model.metrics if key == "metric" else shown in GRAINS if key == "grain" \
                else shown in model.hierarchies
            if valid:
                state[key] = shown
    if state.get("path_tree") != state.get("tree"):
        state["path"] = []  # a path belongs to the tree it was drilled along
    if trigger == "explore-metric" and value in model.metrics:
        state["metric"] = value
    elif trigger == "explore-grain" and value in GRAINS:
        state["grain"] = value
    elif trigger == "explore-tree" and value in model.hierarchies:
        state["tree"], state["path"] = value, []
    elif trigger == "explore-drill" and value and state.get("tree"):
        levels = list(model.hierarchies[state["tree"]].levels)
        depth = len(state["path"])
        member = _clicked_member(value)
        if member is not None and depth < len(levels) - 1:
            state["path"] = [*state["path"], [levels[depth], str(member)]]
    elif isinstance(trigger, dict) and trigger.get("type") == "crumb":
        state["path"] = state["path"][: int(trigger["index"])]
    trees = trees_for(ctx, state["metric"])
    if state.get("tree") not in trees:
        state["tree"], state["path"] = (trees[0] if trees else None), []
    state["path_tree"] = state["tree"]
    return state


def _clicked_member(click: Mapping[str, Any]) -> str | None:
    """The raw member behind a clicked bar (``customdata[0]``; the "others" bar has none)."""
    point = (click.get("points") or [{}])[0]
    data = point.get("customdata")
    if isinstance(data, (list, tuple)):
        data = data[0] if data else None
    return None if data in (None, "") else str(data)


def _filters(ctx: AppContext, state: dict[str, Any]) -> list[dict[str, Any]]:
    filters: list[dict[str, Any]] = [{"op": "in", "dimension": dim, "values": [member]} for dim, member in state["path"]]
    window = _WINDOW.get(state["grain"])
    if window:
        filters.append({"op": "relative", "unit": window[0], "n": window[1], "offset": 0})
    return filters


def _period(ctx: AppContext, answer: Any, frame: pd.DataFrame, column: str) -> tuple[Any, Any] | None:
    """The period a chart covers: the query's, else from the first bucket to the data's last day."""
    if answer.period:
        return answer.period
    if frame.empty:
        return None
    anchor = getattr(ctx.chatbi, "anchor", None)
    return (pd.Timestamp(frame[column].min()).date().isoformat(),
            anchor.isoformat() if anchor is not None else pd.Timestamp(frame[column].max()).date().isoformat())


def _trend(ctx: AppContext, state: dict[str, Any], lang: str) -> tuple[Any, str, tuple[Any, Any] | None]:
    from chatbi.charts import anomaly_chart, build_figure
    from chatbi.charts.formatting import format_bucket, metric_format

    bi, metric, grain = ctx.chatbi, state["metric"], state["grain"]
    time_ref = DimensionRef(bi.model.time_dimension, grain)
    query = SemanticQuery(metrics=[metric], dimensions=[time_ref.key], filters=_filters(ctx, state))
    answer = bi.run(query, language=lang)
    if not answer.ok or answer.data is None:
        raise RuntimeError(answer.error or answer.text)
    frame = answer.data.sort_values(time_ref.column).reset_index(drop=True)
    period = _period(ctx, answer, frame, time_ref.column)
    figure = build_figure(query, frame, bi.model, language=lang, members=bi.members, period=period)
    anomalies, note = None, t("explore.anomaly_off", lang)
    if hasattr(bi, "detect_anomalies"):
        anomalies = anomaly_frame(bi, metric, grain, frame, time_ref.column, answer.period, state["path"])
        if anomalies is not None:
            count = int(anomalies["is_anomaly"].astype(bool).sum())
            note = t("explore.anomalies", lang, n=count) if count > 1 else \
                t("explore.anomaly_one", lang) if count == 1 else t("explore.no_anomalies", lang)
    if anomalies is not None:
        fmt, unit = metric_format(bi.model, metric)
        band = anomalies.copy()
        band[time_ref.column] = [format_bucket(v, grain, lang) for v in pd.to_datetime(band[time_ref.column])]
        figure = anomaly_chart(band, x=time_ref.column, actual="actual", expected="expected", lower="lower",
                               upper="upper", is_anomaly="is_anomaly", title=figure.layout.title.text,
                               language=lang, value_format=fmt, value_label=bi.model.label(metric, lang),
                               value_unit=unit)
    figure.update_layout(meta={**(figure.layout.meta or {}), "metric": metric, "grain": grain})
    return figure, note, period


def _drill(ctx: AppContext, state: dict[str, Any], lang: str,
           period: tuple[Any, Any] | None) -> tuple[Any, str | None]:
    from chatbi.charts import build_figure

    if not state.get("tree"):
        return None, None
    bi, metric = ctx.chatbi, state["metric"]
    levels = list(bi.model.hierarchies[state["tree"]].levels)
    level = levels[min(len(state["path"]), len(levels) - 1)]
    query = SemanticQuery(metrics=[metric], dimensions=[level], filters=_filters(ctx, state), order_by=[f"-{metric}"])
    answer = bi.run(query, language=lang)
    if not answer.ok or answer.data is None:
        raise RuntimeError(answer.error or answer.text)
    frame: pd.DataFrame = answer.data
    figure = build_figure(query, frame, bi.model, language=lang, members=bi.members, period=answer.period or period)
    _clickable(figure, frame, level, lang)
    figure.update_layout(clickmode="event", meta={**(figure.layout.meta or {}), "metric": metric, "level": level})
    return figure, level


def _clickable(figure: Any, frame: pd.DataFrame, level: str, lang: str) -> None:
    """Carry each bar's raw member in ``customdata[0]`` (its label may be English), its shown value in
    ``customdata[1]`` for the hover; the "others" bar carries no member and does not drill."""
    for trace in figure.data:
        if trace.type != "bar":
            continue
        labels = list(trace.y if trace.orientation == "h" else trace.x)
        shown = list(trace.customdata) if trace.customdata is not None else [""] * len(labels)
        raw = [str(v) for v in frame[level].tolist()]
        members = raw[: len(labels)] if len(raw) >= len(labels) else raw + [""] * (len(labels) - len(raw))
        if len(raw) > len(labels):  # the last bar folds the rest into "others"
            members[-1] = ""
        trace.customdata = [[m, v] for m, v in zip(members, shown)]
        axis = "%{y}" if trace.orientation == "h" else "%{x}"
        trace.hovertemplate = f"{axis}<br>{trace.name}: %{{customdata[1]}}<extra></extra>"


def explore_view(ctx: AppContext, state: dict[str, Any], lang: str) -> ExploreView:
    trend, note, period = _trend(ctx, state, lang)
    drill, level = _drill(ctx, state, lang, period)
    crumbs = [(t("explore.all", lang), 0)] + [
        (member_label(ctx.chatbi.model, ctx.chatbi.members, dim, member, lang), i + 1)
        for i, (dim, member) in enumerate(state["path"])]
    return ExploreView(trend=trend, drill=drill, crumbs=crumbs, note=note, level=level)


def _crumbs(view: ExploreView, lang: str) -> Any:
    items: list[Any] = []
    for i, (label, index) in enumerate(view.crumbs):
        if i:
            items.append(html.Span("›", className="crumb-sep"))
        last = i == len(view.crumbs) - 1
        items.append(html.Button(label, id={"type": "crumb", "index": index}, disabled=last, n_clicks=0,
                                 className="crumb" + (" active" if last else "")))
    return html.Div(items, className="crumbs")


def layout(ctx: AppContext, lang: str, session_id: str, params: Mapping[str, str]) -> Any:
    model = ctx.chatbi.model
    state = default_state(ctx)
    grains = [g for g in GRAINS if g in (_time(ctx).grains or GRAINS)]
    return html.Div([
        html.H4(t("explore.title", lang), className="mb-3"),
        dbc.Row([
            dbc.Col([dbc.Label(t("explore.metric", lang)),
                     dcc.Dropdown(id="explore-metric", value=state["metric"], clearable=False,
                                  options=[{"label": model.label(m, lang), "value": m} for m in model.visible_metrics])],
                    md=4),
            dbc.Col([dbc.Label(t("explore.grain", lang)),
                     dbc.RadioItems(id="explore-grain", value=state["grain"], inline=True, className="grain-radio",
                                    options=[{"label": t("grain." + g, lang), "value": g} for g in grains])], md=4),
            dbc.Col([dbc.Label(t("explore.tree", lang)),
                     dbc.RadioItems(id="explore-tree", value=state["tree"], inline=True,
                                    options=[{"label": model.label(h, lang), "value": h} for h in model.hierarchies
                                             if h in trees_for(ctx, state["metric"])])], md=4),
        ], className="g-3 mb-2"),
        dcc.Store(id="explore-state", data=state),
        dcc.Store(id="explore-result"),
        html.Div(id="explore-crumbs"),
        html.Small(id="explore-note", className="text-muted d-block mb-1"),
        html.Div(chart_box(_EMPTY, lang, container="explore", graph_id="explore-trend", box_id="explore-trend-box",
                           class_name="explore-trend", loading=True), className="mb-3"),
        html.Div([
            html.Small(t("explore.drill_hint", lang), className="text-muted d-block mb-1"),
            chart_box(_EMPTY, lang, container="explore", graph_id="explore-drill", box_id="explore-drill-box",
                      class_name="explore-drill", loading=True),
        ], id="explore-drill-section"),
    ], className="explore-page")


_EMPTY: dict[str, Any] = {"data": [], "layout": {"height": 400}}


#: the outputs the explorer's view fills, in the order of ``explore-result``'s ``outputs``
_OUTPUTS = [("explore-state", "data"), ("explore-crumbs", "children"),
            ("explore-trend", "figure"), ("explore-trend", "style"), ("explore-trend-box", "style"),
            ("explore-trend-box", "className"),
            ("explore-drill", "figure"), ("explore-drill", "style"), ("explore-drill-box", "style"),
            ("explore-drill-box", "className"),
            ("explore-drill-section", "style"), ("explore-note", "children")]

# Applies a response only when the metric, grain and tree it was computed for are still what the
# controls show: a response overtaken by a later change (responses can arrive in any order) is
# dropped, and the later change's own response draws the chart. null = leave that output alone.
_APPLY = """function(result, metric, grain, tree) {
    const skip = window.dash_clientside.no_update;
    const n = OUTPUTS;  // the number of outputs
    if (!result || !result.asked) { return Array(n).fill(skip); }
    const asked = result.asked;
    if (asked.metric !== metric || asked.grain !== grain || asked.tree !== tree) { return Array(n).fill(skip); }
    return result.outputs.map((value) => value === null ? skip : value);
}""".replace("OUTPUTS", str(len(_OUTPUTS)))


def view_outputs(ctx: AppContext, state: dict[str, Any], lang: str) -> list[Any]:
    """The values of ``_OUTPUTS`` for ``state`` (``None`` where an output keeps its value)."""
    try:
        view = explore_view(ctx, state, lang)
    except Exception as exc:  # show the problem, keep the page usable
        log.exception("explorer failed")
        failed = box_class("explore")  # the spinner stops; the note says what went wrong
        return [state, None, None, None, None, failed, None, None, None, failed, None,
                t("error.internal", lang, kind=type(exc).__name__)]
    trend_box, trend_graph = box_styles(view.trend, "explore")
    drill = view.drill if view.drill is not None else _EMPTY
    drill_box, drill_graph = box_styles(drill, "explore")
    section = {} if view.drill is not None else {"display": "none"}
    note = view.note if view.drill is not None else f"{view.note} · {t('explore.no_tree', lang)}"
    done = box_class("explore")
    return [state, _crumbs(view, lang), view.trend, trend_graph, trend_box, done, drill, drill_graph, drill_box,
            done, section, note]


def register(app: dash.Dash, ctx: AppContext) -> None:
    # One server callback computes both figures from what the controls show (``next_state``) and
    # returns them with the control values it saw; one client-side callback owns the figures and
    # applies a response only if those values are still the controls' (``_APPLY``).
    @app.callback(
        Output("explore-result", "data"),
        Input("explore-metric", "value"), Input("explore-grain", "value"), Input("explore-tree", "value"),
        Input("explore-drill", "clickData"), Input({"type": "crumb", "index": ALL}, "n_clicks"),
        State("explore-state", "data"), State("lang", "data"),
    )
    def _on_change(metric: Any, grain: Any, tree: Any, click: Any, _crumb: Any, state: Any, lang: Any) -> Any:
        lang = lang or ctx.default_language
        trigger = dash.ctx.triggered_id
        if isinstance(trigger, dict) and not triggered_value():
            raise PreventUpdate
        values = {"explore-metric": metric, "explore-grain": grain, "explore-tree": tree, "explore-drill": click}
        new = next_state(ctx, state, trigger, values.get(trigger) if isinstance(trigger, str) else None,
                         controls={"metric": metric, "grain": grain, "tree": tree})
        return {"asked": {"metric": metric, "grain": grain, "tree": tree}, "outputs": view_outputs(ctx, new, lang)}

    app.clientside_callback(_APPLY, *[Output(c, p) for c, p in _OUTPUTS], Input("explore-result", "data"),
                            State("explore-metric", "value"), State("explore-grain", "value"),
                            State("explore-tree", "value"))

    # the trees a metric can drill along; a tree the new metric lacks gives way to its first one
    # (that change of the tree control asks for the view again)
    @app.callback(Output("explore-tree", "options"), Output("explore-tree", "value"),
                  Input("explore-metric", "value"), State("explore-tree", "value"), State("lang", "data"),
                  prevent_initial_call=True)
    def _on_metric(metric: Any, tree: Any, lang: Any) -> tuple[Any, Any]:
        if metric not in ctx.chatbi.model.metrics:
            raise PreventUpdate
        lang = lang or ctx.default_language
        trees = trees_for(ctx, metric)
        options = [{"label": ctx.chatbi.model.label(h, lang), "value": h} for h in trees]
        return options, (tree if tree in trees else (trees[0] if trees else None))


PAGE = Page(path="/explore", title_key="nav.explore", layout=layout, register=register)
