"""The Dashboards page: named boards of pinned cards, re-run on open; rearrange and remove cards.

URL ``/dashboards/<id>`` shows one board, so a reload or a shared link opens the same board.
"""

from __future__ import annotations

import contextvars
import datetime as dt
import logging
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from typing import Any

import dash
import dash_bootstrap_components as dbc
from dash import ALL, Input, Output, State, dcc, html
from dash.exceptions import PreventUpdate

from semantic_layer import SemanticQuery

from ..appdb import AppDBError, Card
from ..components.answer_card import answer_labels
from ..components.chart import chart_box
from ..components.figures import fallback_figure, fit_figure
from ..components.present import shown
from ..context import AppContext
from ..i18n import t
from . import Page
from ._session import triggered_value
from .reports_service import is_report_card, run_report_card

__all__ = ["PAGE", "layout", "register", "run_card", "card_view", "board_cards", "card_action", "selected_board"]

log = logging.getLogger(__name__)
#: cards of one board re-run in parallel (the engines are safe per thread)
WORKERS = 4


def run_card(ctx: AppContext, card: Card, lang: str | None = None) -> Any:
    """Re-run a pinned card: its semantic query, or its custom SQL through the guard.

    The answer speaks the language the board is viewed in (``lang``), not the one it was pinned in;
    the card's title stays the question as it was asked.
    """
    from chatbi import Answer

    language = lang or card.language
    try:
        if is_report_card(card):  # a pinned report: its highlights and first chart
            return run_report_card(ctx, card)
        if card.query_json:
            query = SemanticQuery.model_validate_json(card.query_json)
            return ctx.chatbi.run(query, question=card.title, language=language)
        if card.sql:
            answer = ctx.chatbi.run_sql(card.sql, language=language)
            return answer if answer.question else replace(answer, question=card.title)
        message = t("error.no_sql", language)
    except Exception as exc:
        log.exception("dashboard card %s failed", card.id)
        message = t("error.internal", language, kind=type(exc).__name__)
    return Answer(status="error", question=card.title, text=message, error=message, language=language)


def card_view(ctx: AppContext, card: Card, answer: Any, lang: str, *, first: bool, last: bool) -> Any:
    def tool(label: str, kind: str, icon: str, disabled: bool = False) -> Any:
        return dbc.Button(icon, id={"type": kind, "card": card.id}, size="sm", color="light", title=label,
                          disabled=disabled, className=f"card-tool {kind}", n_clicks=0)

    header = html.Div([
        html.Span(card.title, className="dash-card-title me-auto"),
        tool(t("dash.up", lang), "dcard-up", "↑", first),
        tool(t("dash.down", lang), "dcard-down", "↓", last),
        tool(t("dash.remove", lang), "dcard-x", "✕"),
    ], className="d-flex align-items-center gap-1")
    if answer.ok:
        view = shown(ctx.chatbi, answer, lang)
        figure = fit_figure(view.figure) if view.figure is not None else fallback_figure(
            answer.data, list(answer.query.metrics) if answer.query is not None else [],
            answer_labels(ctx.chatbi, answer, lang))
        body: list[Any] = [html.P(view.text, className="answer-text small mb-1")]
        if figure is not None:
            body.append(chart_box(figure, lang, container="card", class_name="dash-graph"))
    else:
        body = [dbc.Alert(answer.text or answer.error or "", color="warning", className="mb-0 small")]
    return dbc.Col(dbc.Card([dbc.CardHeader(header), dbc.CardBody(body)], className="dash-card h-100",
                            id={"type": "dcard", "card": card.id}), lg=6, className="mb-3")


def board_cards(ctx: AppContext, dashboard_id: int | None, lang: str) -> Any:
    """The cards of one of the current user's boards, each re-run now."""
    cards = ctx.store.cards(dashboard_id, owner=ctx.owner()) if dashboard_id is not None else []
    if not cards:
        return html.P(t("dash.no_cards", lang), className="text-muted")
    # each worker runs in a copy of this request's context: a signed-in user's view (dashboards.auth)
    # resolves the user from it, so cards re-run with the viewer's access
    contexts = [contextvars.copy_context() for _ in cards]
    with ThreadPoolExecutor(max_workers=min(WORKERS, len(cards))) as pool:
        answers = list(pool.map(lambda job: job[0].run(run_card, ctx, job[1], lang), zip(contexts, cards)))
    views = [card_view(ctx, c, a, lang, first=i == 0, last=i == len(cards) - 1)
             for i, (c, a) in enumerate(zip(cards, answers))]
    stamp = html.Small(t("dash.refreshed", lang, time=dt.datetime.now().strftime("%H:%M:%S")),
                       className="text-muted d-block mb-2")
    return html.Div([stamp, dbc.Row(views)])


def selected_board(ctx: AppContext, rest: str) -> int | None:
    """The board named in the URL (when it is the current user's), else their first one."""
    boards = ctx.store.dashboards(owner=ctx.owner())
    ids = [b.id for b in boards]
    if rest.isdigit() and int(rest) in ids:
        return int(rest)
    return ids[0] if ids else None


def card_action(ctx: AppContext, kind: str, card_id: int) -> None:
    """Move a card up/down or remove it (only the current user's cards: others raise ``AppDBError``)."""
    owner = ctx.owner()
    if kind == "dcard-up":
        ctx.store.move_card(card_id, -1, owner=owner)
    elif kind == "dcard-down":
        ctx.store.move_card(card_id, +1, owner=owner)
    elif kind == "dcard-x":
        ctx.store.remove_card(card_id, owner=owner)


def _name(boards: list[Any], board_id: int | None) -> str:
    return next((b.name for b in boards if b.id == board_id), "")


def layout(ctx: AppContext, lang: str, session_id: str, params: Mapping[str, str]) -> Any:
    boards = ctx.store.dashboards(owner=ctx.owner())
    if not boards:
        return html.Div([html.H4(t("dash.title", lang)),
                         dbc.Alert(t("dash.empty", lang), color="light", className="dash-empty")])
    current = selected_board(ctx, params.get("rest", ""))
    options = [{"label": f"{b.name} ({b.cards})", "value": b.id} for b in boards]
    return html.Div([
        html.Div([
            html.H4(t("dash.title", lang), className="me-auto mb-0"),
            dcc.Dropdown(id="dash-select", options=options, value=current, clearable=False, searchable=False,
                         className="dash-select", placeholder=t("dash.select", lang)),
            dcc.ConfirmDialogProvider(
                dbc.Button(t("dash.delete", lang), color="danger", outline=True, size="sm"),
                id="dash-delete", message=t("dash.confirm_delete", lang, name=_name(boards, current))),
        ], className="d-flex flex-wrap align-items-center gap-2 mb-3"),
        dcc.Store(id="dash-current", data=current),
        html.Div(board_cards(ctx, current, lang), id="dash-cards"),
    ], className="dashboards-page")


def register(app: dash.Dash, ctx: AppContext) -> None:
    @app.callback(Output("url", "pathname", allow_duplicate=True), Input("dash-select", "value"),
                  State("dash-current", "data"), prevent_initial_call=True)
    def _on_select(value: int | None, current: int | None) -> str:
        if value is None or value == current:
            raise PreventUpdate
        return ctx.href(f"/dashboards/{value}")

    @app.callback(Output("dash-cards", "children"),
                  Input({"type": "dcard-up", "card": ALL}, "n_clicks"),
                  Input({"type": "dcard-down", "card": ALL}, "n_clicks"),
                  Input({"type": "dcard-x", "card": ALL}, "n_clicks"),
                  State("dash-current", "data"), State("lang", "data"), prevent_initial_call=True)
    def _on_card(_up: Any, _down: Any, _remove: Any, current: int | None, lang: str | None) -> Any:
        if not triggered_value():
            raise PreventUpdate
        trigger = dash.ctx.triggered_id
        try:
            card_action(ctx, trigger["type"], int(trigger["card"]))
        except AppDBError:  # gone meanwhile (another tab) or not this user's: show the board as it is
            log.info("card action refused: %s on card %s", trigger["type"], trigger["card"])
        return board_cards(ctx, current, lang or ctx.default_language)

    @app.callback(Output("url", "pathname", allow_duplicate=True), Input("dash-delete", "submit_n_clicks"),
                  State("dash-current", "data"), State("url", "pathname"), prevent_initial_call=True)
    def _on_delete(clicks: int | None, current: int | None, pathname: str | None) -> str:
        if not clicks or current is None:
            raise PreventUpdate
        owner = ctx.owner()
        try:
            ctx.store.delete_dashboard(int(current), owner=owner)
        except AppDBError:  # already deleted (another tab) or not this user's
            log.info("dashboard delete refused: %s", current)
        remaining = ctx.store.dashboards(owner=owner)
        if remaining:
            return ctx.href(f"/dashboards/{remaining[0].id}")
        # a different pathname string, so the router renders the (now empty) page again
        return ctx.href("/dashboards/") if pathname == ctx.href("/dashboards") else ctx.href("/dashboards")


PAGE = Page(path="/dashboards", title_key="nav.dashboards", layout=layout, register=register, prefix=True)
