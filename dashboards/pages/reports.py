"""The Reports page: pick a report and a period, preview it, download HTML or PDF, pin it to a dashboard.

The preview is the report's own HTML page in a frame (``/reports/view``, see
:mod:`.reports_service`), so what you see is what you download and what a scheduled mail attaches.
``/reports?spec=monthly_review&period=2025-11&scope=province=广东`` opens a report directly (answers to
"生成广东…报告" link here); the scope picker offers the whole business and each member of the model's
breakdown level (province), plus the scope of the link that opened the page.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Mapping
from typing import Any

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, State, dcc, html
from dash.exceptions import PreventUpdate

from ..appdb import AppDBError
from ..context import AppContext
from ..i18n import t
from . import Page
from .reports_service import cache_for, install_routes, pin_json, report_query

__all__ = ["PAGE", "layout", "register", "spec_options", "period_options", "scope_options", "preview", "pin_report"]

log = logging.getLogger(__name__)
#: periods offered per report unit
_RECENT = {"day": 62, "week": 26, "month": 24, "quarter": 8, "year": 5}


def _specs(ctx: AppContext) -> dict[str, Any]:
    from chatbi.reports import available_specs

    return available_specs(ctx.chatbi)


def spec_options(ctx: AppContext, lang: str) -> list[dict[str, str]]:
    return [{"label": spec.title_in(lang), "value": name} for name, spec in _specs(ctx).items()]


def period_options(ctx: AppContext, spec_name: str | None, lang: str) -> list[dict[str, str]]:
    """The latest complete period first ("latest": a pinned card follows the data), then older ones."""
    from chatbi.charts.formatting import format_period
    from chatbi.reports.period import period_value, recent_periods

    spec = _specs(ctx).get(spec_name or "default")
    if spec is None:
        return []
    periods = recent_periods(ctx.chatbi.anchor, spec.period, _RECENT[spec.period])
    options = [{"label": t("reports.latest", lang, period=format_period(*periods[0], lang)), "value": "latest"}]
    options += [{"label": format_period(p[0], p[1], lang), "value": period_value(p, spec.period)} for p in periods]
    return options


def scope_options(ctx: AppContext, lang: str, current: str | None = None) -> list[dict[str, str]]:
    """The whole business, then each member of the breakdown level the viewer may see (and ``current``)."""
    from chatbi.reports.defaults import breakdown_level
    from chatbi.reports.scope import parse_scope_text, scope_label, scope_text

    bi = ctx.chatbi
    options = [{"label": t("reports.scope_all", lang), "value": ""}]
    level = breakdown_level(bi.model, bi.members)
    if level is not None:
        for value in sorted(bi.members.values(level)):
            one = parse_scope_text(f"{level}={value}")
            options.append({"label": scope_label(one, bi.members, lang), "value": scope_text(one)})
    if current and current not in {o["value"] for o in options}:
        with contextlib.suppress(ValueError):  # a mistyped link: the report itself says what is wrong with it
            options.append({"label": scope_label(parse_scope_text(current), bi.members, lang), "value": current})
    return options


def preview(ctx: AppContext, spec: str | None, period: str | None, lang: str, scope: str | None = None
            ) -> tuple[Any, Any, dict[str, str]]:
    """Build (or take from the cache) the report: the frame, a status line and the download links."""
    from chatbi.errors import ChatBIError
    from semantic_layer import SemanticLayerError

    try:
        report = cache_for(ctx).get(ctx, None if spec == "default" else spec, None if period == "latest" else period,
                                    lang, scope or None)
    except (ChatBIError, SemanticLayerError, ValueError, PermissionError) as exc:
        return None, dbc.Alert(str(exc), color="warning", className="mb-0 small"), {}
    query = report_query(spec, period, lang, scope or None)
    frame = html.Iframe(src=f"/reports/view?{query}", className="report-frame", id="report-frame-doc",
                        title=f"{report.title} · {report.period_label}")
    seconds = report.timings.get("total_ms", 0) / 1000
    status = html.Small(t("reports.built", lang, title=report.title, period=report.period_label,
                            sections=len(report.sections), sql=len(report.sql), seconds=f"{seconds:.1f}"),
                        className="text-muted")
    links = {"html": f"/reports/download?{report_query(spec, period, lang, scope or None, format='html')}",
             "pdf": f"/reports/download?{report_query(spec, period, lang, scope or None, format='pdf')}"}
    return frame, status, links


def pin_report(ctx: AppContext, spec: str | None, period: str | None, board: str | None, lang: str,
               scope: str | None = None) -> tuple[bool, str]:
    specs = _specs(ctx)
    chosen = specs.get(spec or "default")
    if chosen is None:
        return False, t("reports.pick", lang)
    name = (board or "").strip() or t("reports.board", lang)
    when = t("reports.latest_short", lang) if (period or "latest") == "latest" else period
    from chatbi.reports.scope import parse_scope_text, scoped_title

    try:
        title = scoped_title(chosen.title_in(lang), parse_scope_text(scope), ctx.chatbi.members, lang)
    except ValueError as exc:
        return False, str(exc)
    try:
        ctx.store.add_card(name, owner=ctx.owner(), title=f"{title} · {when}",
                           query_json=pin_json(spec, period, scope or None), language=lang)
    except AppDBError as exc:
        return False, str(exc)
    return True, t("reports.pinned", lang, name=name)


def layout(ctx: AppContext, lang: str, session_id: str, params: Mapping[str, str]) -> Any:
    options = spec_options(ctx, lang)
    names = [o["value"] for o in options]
    spec = params.get("spec") if params.get("spec") in names else (names[1] if len(names) > 1 else "default")
    periods = period_options(ctx, spec, lang)
    values = [o["value"] for o in periods]
    period = params.get("period") if params.get("period") in values else "latest"
    auto = bool(params.get("spec"))  # opened from a link: show the report at once
    scopes = scope_options(ctx, lang, params.get("scope"))
    scope = params.get("scope") if params.get("scope") in {o["value"] for o in scopes} else ""
    controls = dbc.Row([
        dbc.Col([dbc.Label(t("reports.report", lang), html_for="report-spec", className="small mb-1"),
                 dbc.Select(id="report-spec", options=options, value=spec)], md=3),
        dbc.Col([dbc.Label(t("reports.scope", lang), html_for="report-scope", className="small mb-1"),
                 dbc.Select(id="report-scope", options=scopes, value=scope)], md=2),
        dbc.Col([dbc.Label(t("reports.period", lang), html_for="report-period", className="small mb-1"),
                 dbc.Select(id="report-period", options=periods, value=period)], md=2),
        dbc.Col(dbc.Button(t("reports.preview", lang), id="report-preview", color="primary", n_clicks=0,
                           className="w-100"), md=2, className="d-flex align-items-end mt-2 mt-md-0"),
        dbc.Col(html.Div([
            html.A(t("reports.html", lang), id="report-dl-html", download="",
                   className="btn btn-outline-secondary disabled"),
            html.A(t("reports.pdf", lang), id="report-dl-pdf", download="", className="btn btn-outline-secondary disabled"),
        ], className="d-flex gap-2"), md=3, className="d-flex align-items-end mt-2 mt-md-0"),
    ], className="g-2 align-items-end")
    pin = dbc.InputGroup([
        dbc.Input(id="report-board", placeholder=t("reports.board", lang), value=t("reports.board", lang)),
        dbc.Button(t("reports.pin", lang), id="report-pin", color="secondary", outline=True, n_clicks=0),
    ], size="sm", className="report-pin")
    return html.Div([
        html.H4(t("reports.title", lang), className="mb-3"),
        dbc.Card(dbc.CardBody([controls,
                               html.Div([pin, html.Div(id="report-pin-result", className="small")],
                                        className="d-flex flex-wrap align-items-center gap-2 mt-3")]),
                 className="dash-card mb-3"),
        dcc.Store(id="report-auto", data=auto),
        dcc.Loading(html.Div([html.Div(id="report-status", className="mb-2"),
                              html.Div(html.P(t("reports.hint", lang), className="text-muted"), id="report-frame")]),
                    type="circle", delay_show=200),
    ], className="reports-page")


def register(app: dash.Dash, ctx: AppContext) -> None:
    install_routes(app, ctx)

    @app.callback(Output("report-period", "options"), Output("report-period", "value"),
                  Input("report-spec", "value"), State("report-period", "value"), State("lang", "data"),
                  prevent_initial_call=True)
    def _on_spec(spec: str | None, period: str | None, lang: str | None) -> tuple[Any, Any]:
        options = period_options(ctx, spec, lang or ctx.default_language)
        values = [o["value"] for o in options]
        return options, period if period in values else "latest"

    @app.callback(Output("report-frame", "children"), Output("report-status", "children"),
                  Output("report-dl-html", "href"), Output("report-dl-html", "className"),
                  Output("report-dl-pdf", "href"), Output("report-dl-pdf", "className"),
                  Input("report-preview", "n_clicks"), Input("report-auto", "data"),
                  State("report-spec", "value"), State("report-period", "value"), State("lang", "data"),
                  State("report-scope", "value"), running=[(Output("report-preview", "disabled"), True, False)])
    def _on_preview(clicks: int | None, auto: bool | None, spec: str | None, period: str | None,
                    lang: str | None, scope: str | None) -> tuple[Any, ...]:
        if not clicks and not auto:
            raise PreventUpdate
        frame, status, links = preview(ctx, spec, period, lang or ctx.default_language, scope)
        off = "btn btn-outline-secondary disabled"
        on = "btn btn-outline-secondary"
        if frame is None:
            return dash.no_update, status, None, off, None, off
        return frame, status, links["html"], on, links["pdf"], on

    @app.callback(Output("report-pin-result", "children"), Input("report-pin", "n_clicks"),
                  State("report-spec", "value"), State("report-period", "value"), State("report-board", "value"),
                  State("lang", "data"), State("report-scope", "value"), prevent_initial_call=True)
    def _on_pin(clicks: int | None, spec: str | None, period: str | None, board: str | None,
                lang: str | None, scope: str | None) -> Any:
        if not clicks:
            raise PreventUpdate
        ok, message = pin_report(ctx, spec, period, board, lang or ctx.default_language, scope)
        return html.Span(message, className="text-success" if ok else "text-danger")


PAGE = Page(path="/reports", title_key="nav.reports", layout=layout, register=register)
