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

from ..components.figures import drill_figure, trend_figure
from ..components.report import GRAPH_CONFIG
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
    return {"metric": metric, "grain": grain, "tree": trees[0] if trees else None, "path": []}


def next_state(ctx: AppContext, state: dict[str, Any] | None, trigger: Any, value: Any) -> dict[str, Any]:
    """The state after a control change, a bar click (``value`` = clickData) or a breadcrumb click."""
    state = dict(state or default_state(ctx))
    model = ctx.chatbi.model
    if trigger == "explore-metric" and value in model.metrics:
        state["metric"] = value
        trees = trees_for(ctx, value)
        if state.get("tree") not in trees:
            state["tree"], state["path"] = (trees[0] if trees else None), []
    elif trigger == "explore-grain" and value in GRAINS:
        state["grain"] = value
    elif trigger == "explore-tree" and value in model.hierarchies:
        state["tree"], state["path"] = value, []
    elif trigger == "explore-drill" and value and state.get("tree"):
        levels = list(model.hierarchies[state["tree"]].levels)
        depth = len(state["path"])
        member = (value.get("points") or [{}])[0].get("customdata")
        if member is not None and depth < len(levels) - 1:
            state["path"] = [*state["path"], [levels[depth], str(member)]]
    elif isinstance(trigger, dict) and trigger.get("type") == "crumb":
        state["path"] = state["path"][: int(trigger["index"])]
    return state


def _filters(ctx: AppContext, state: dict[str, Any]) -> list[dict[str, Any]]:
    filters: list[dict[str, Any]] = [{"op": "in", "dimension": dim, "values": [member]} for dim, member in state["path"]]
    window = _WINDOW.get(state["grain"])
    if window:
        filters.append({"op": "relative", "unit": window[0], "n": window[1], "offset": 0})
    return filters


def _trend(ctx: AppContext, state: dict[str, Any], lang: str) -> tuple[Any, str]:
    bi, metric, grain = ctx.chatbi, state["metric"], state["grain"]
    time_ref = DimensionRef(bi.model.time_dimension, grain)
    answer = bi.run(SemanticQuery(metrics=[metric], dimensions=[time_ref.key], filters=_filters(ctx, state)),
                    language=lang)
    if not answer.ok or answer.data is None:
        raise RuntimeError(answer.error or answer.text)
    frame = answer.data.sort_values(time_ref.column).reset_index(drop=True)
    anomalies, note = None, t("explore.anomaly_off", lang)
    if hasattr(bi, "detect_anomalies"):
        anomalies = anomaly_frame(bi, metric, grain, frame, time_ref.column, answer.period, state["path"])
        if anomalies is not None:
            count = int(anomalies["is_anomaly"].astype(bool).sum())
            note = t("explore.anomalies", lang, n=count) if count else t("explore.no_anomalies", lang)
    figure = trend_figure(frame, time_ref.column, metric, bi.model.label(metric, lang), anomalies=anomalies,
                          expected_label=t("explore.expected", lang), anomaly_label=t("explore.anomaly", lang))
    return figure, note


def _drill(ctx: AppContext, state: dict[str, Any], lang: str) -> tuple[Any, str | None]:
    if not state.get("tree"):
        return None, None
    bi, metric = ctx.chatbi, state["metric"]
    levels = list(bi.model.hierarchies[state["tree"]].levels)
    level = levels[min(len(state["path"]), len(levels) - 1)]
    answer = bi.run(SemanticQuery(metrics=[metric], dimensions=[level], filters=_filters(ctx, state),
                                  order_by=[f"-{metric}"]), language=lang)
    if not answer.ok or answer.data is None:
        raise RuntimeError(answer.error or answer.text)
    frame: pd.DataFrame = answer.data
    display = [member_label(bi.model, bi.members, level, v, lang) for v in frame[level]]
    figure = drill_figure(frame, level, metric, display=display, value_label=bi.model.label(metric, lang))
    figure.update_layout(title={"text": t("explore.drill", lang, label=bi.model.label(level, lang)), "x": 0,
                                "font": {"size": 14}})
    return figure, level


def explore_view(ctx: AppContext, state: dict[str, Any], lang: str) -> ExploreView:
    trend, note = _trend(ctx, state, lang)
    trend.update_layout(title={"text": f"{ctx.chatbi.model.label(state['metric'], lang)} · "
                                       f"{t('grain.' + state['grain'], lang)}", "x": 0, "font": {"size": 14}})
    drill, level = _drill(ctx, state, lang)
    crumbs = [(t("explore.all", lang), 0)] + [
        (member_label(ctx.chatbi.model, ctx.chatbi.members, dim, member, lang), i + 1) for i, (dim, member) in enumerate(state["path"])]
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
        html.Div(id="explore-crumbs"),
        dcc.Loading(html.Div([
            html.Small(id="explore-note", className="text-muted"),
            dcc.Graph(id="explore-trend", config=GRAPH_CONFIG),
            dcc.Graph(id="explore-drill", config=GRAPH_CONFIG, className="explore-drill"),
        ]), type="dot", delay_show=300),
    ], className="explore-page")


def register(app: dash.Dash, ctx: AppContext) -> None:
    @app.callback(
        Output("explore-state", "data"), Output("explore-crumbs", "children"), Output("explore-trend", "figure"),
        Output("explore-drill", "figure"), Output("explore-drill", "style"), Output("explore-note", "children"),
        Output("explore-tree", "options"), Output("explore-tree", "value"),
        Input("explore-metric", "value"), Input("explore-grain", "value"), Input("explore-tree", "value"),
        Input("explore-drill", "clickData"), Input({"type": "crumb", "index": ALL}, "n_clicks"),
        State("explore-state", "data"), State("lang", "data"),
    )
    def _on_change(metric: Any, grain: Any, tree: Any, click: Any, _crumb: Any, state: Any, lang: Any) -> tuple:
        lang = lang or ctx.default_language
        trigger = dash.ctx.triggered_id
        if isinstance(trigger, dict) and not triggered_value():
            raise PreventUpdate
        values = {"explore-metric": metric, "explore-grain": grain, "explore-tree": tree, "explore-drill": click}
        new = next_state(ctx, state, trigger, values.get(trigger) if isinstance(trigger, str) else None)
        try:
            view = explore_view(ctx, new, lang)
        except Exception as exc:  # noqa: BLE001 - show the problem, keep the page usable
            log.exception("explorer failed")
            return (new, dash.no_update, dash.no_update, dash.no_update, dash.no_update,
                    t("error.internal", lang, kind=type(exc).__name__), dash.no_update, dash.no_update)
        model = ctx.chatbi.model
        tree_options = [{"label": model.label(h, lang), "value": h} for h in trees_for(ctx, new["metric"])]
        drill_style = {} if view.drill is not None else {"display": "none"}
        note = view.note if view.drill is not None else f"{view.note} · {t('explore.no_tree', lang)}"
        return (new, _crumbs(view, lang), view.trend, view.drill or {}, drill_style, note, tree_options, new["tree"])


PAGE = Page(path="/explore", title_key="nav.explore", layout=layout, register=register)
