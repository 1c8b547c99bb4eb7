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
from ..jobs import Job, JobRefused, Progress, bound_chatbi, user_key
from . import Page
from ._progress import POLL_MS
from ._session import current_session_id, triggered_value
from .reports_service import is_report_card, run_report_card

__all__ = ["PAGE", "layout", "register", "run_card", "card_view", "board_cards", "card_action", "selected_board"]

log = logging.getLogger(__name__)
#: cards of one board re-run in parallel (the engines are safe per thread)
WORKERS = 4
#: boards of at most this many cards are computed inside the request; larger ones off it
INLINE_CARDS = 2


def run_card(ctx: AppContext, card: Card, lang: str | None = None, *, chatbi: Any = None) -> Any:
    """Re-run a pinned card: its semantic query, or its custom SQL through the guard.

    The answer speaks the language the board is viewed in (``lang``), not the one it was pinned in;
    the card's title stays the question as it was asked.
    """
    from chatbi import Answer

    language = lang or card.language
    bi = chatbi if chatbi is not None else ctx.chatbi
    try:
        if is_report_card(card):  # a pinned report: its highlights and first chart
            return run_report_card(ctx, card)
        if card.query_json:
            query = SemanticQuery.model_validate_json(card.query_json)
            return bi.run(query, question=card.title, language=language)
        if card.sql:
            answer = bi.run_sql(card.sql, language=language)
            return answer if answer.question else replace(answer, question=card.title)
        message = t("error.no_sql", language)
    except Exception as exc:
        log.exception("dashboard card %s failed", card.id)
        message = t("error.internal", language, kind=type(exc).__name__)
    return Answer(status="error", question=card.title, text=message, error=message, language=language)


def card_body(ctx: AppContext, answer: Any, lang: str) -> list[Any]:
    """What a card shows: the answer's sentence and chart, a warning, or -- while the card is still
    being computed off the request thread -- a spinner."""
    if answer is None:
        return [html.Div([dbc.Spinner(size="sm", color="secondary", spinner_class_name="me-2"),
                          html.Span(t("dash.computing", lang), className="small text-muted")],
                         className="d-flex align-items-center dash-card-pending")]
    if answer.ok:
        view = shown(ctx.chatbi, answer, lang)
        figure = fit_figure(view.figure) if view.figure is not None else fallback_figure(
            answer.data, list(answer.query.metrics) if answer.query is not None else [],
            answer_labels(ctx.chatbi, answer, lang))
        body: list[Any] = [html.P(view.text, className="answer-text small mb-1")]
        if figure is not None:
            body.append(chart_box(figure, lang, container="card", class_name="dash-graph"))
        return body
    return [dbc.Alert(answer.text or answer.error or "", color="warning", className="mb-0 small")]


def card_view(ctx: AppContext, card: Card, answer: Any, lang: str, *, first: bool, last: bool) -> Any:
    """One card: its title and tools, and its body (``answer`` None: still being computed)."""
    def tool(label: str, kind: str, icon: str, disabled: bool = False) -> Any:
        return dbc.Button(icon, id={"type": kind, "card": card.id}, size="sm", color="light", title=label,
                          disabled=disabled, className=f"card-tool {kind}", n_clicks=0)

    header = html.Div([
        html.Span(card.title, className="dash-card-title me-auto"),
        tool(t("dash.up", lang), "dcard-up", "↑", first),
        tool(t("dash.down", lang), "dcard-down", "↓", last),
        tool(t("dash.remove", lang), "dcard-x", "✕"),
    ], className="d-flex align-items-center gap-1")
    body = dbc.CardBody(card_body(ctx, answer, lang), id={"type": "dcard-body", "card": card.id})
    return dbc.Col(dbc.Card([dbc.CardHeader(header), body], className="dash-card h-100",
                            id={"type": "dcard", "card": card.id}), lg=6, className="mb-3")


def board_cards(ctx: AppContext, dashboard_id: int | None, lang: str, session_id: str | None = None) -> Any:
    """The cards of one of the current user's boards, each re-run now.

    A board of more than :data:`INLINE_CARDS` cards (with a ``session_id``) is computed off the
    request thread (:mod:`dashboards.jobs`): the cards appear at once with spinners and fill in as
    their answers arrive, under a progress bar.
    """
    cards = ctx.store.cards(dashboard_id, owner=ctx.owner()) if dashboard_id is not None else []
    if not cards:
        return html.P(t("dash.no_cards", lang), className="text-muted")
    # a pinned report's card is drawn from the app's report cache, in the request (it is no query)
    later = [c for c in cards if not is_report_card(c)]
    if session_id is None or len(later) <= INLINE_CARDS:
        return _inline(ctx, cards, lang)
    bi = bound_chatbi(ctx)  # the viewer's own access, fixed now: the job outlives this request

    def work(progress: Progress) -> None:
        def one(card: Card) -> None:
            progress.add(str(card.id), run_card(ctx, card, lang, chatbi=bi))

        with ThreadPoolExecutor(max_workers=min(WORKERS, len(later))) as pool:
            list(pool.map(one, later))

    try:
        job = ctx.jobs.submit(session_id, user_key(ctx, session_id), "dashboard", work, total=len(later))
    except JobRefused:
        return dbc.Alert(t("busy.jobs", lang, n=ctx.jobs.per_user), color="warning", className="dash-busy")
    now = {c.id: run_card(ctx, c, lang) for c in cards if is_report_card(c)}
    views = [card_view(ctx, c, now.get(c.id), lang, first=i == 0, last=i == len(cards) - 1)
             for i, c in enumerate(cards)]
    return html.Div([html.Div(_progress(job, lang), id="dash-progress"), dbc.Row(views),
                     dcc.Store(id="dash-job", data=job.id), dcc.Store(id="dash-shown", data=sorted(now)),
                     dcc.Interval(id="dash-tick", interval=POLL_MS, n_intervals=0)])


def _inline(ctx: AppContext, cards: list[Card], lang: str) -> Any:
    # each worker runs in a copy of this request's context: a signed-in user's view (dashboards.auth)
    # resolves the user from it, so cards re-run with the viewer's access
    contexts = [contextvars.copy_context() for _ in cards]
    with ThreadPoolExecutor(max_workers=min(WORKERS, len(cards))) as pool:
        answers = list(pool.map(lambda job: job[0].run(run_card, ctx, job[1], lang), zip(contexts, cards)))
    views = [card_view(ctx, c, a, lang, first=i == 0, last=i == len(cards) - 1)
             for i, (c, a) in enumerate(zip(cards, answers))]
    return html.Div([_stamp(lang), dbc.Row(views)])


def _stamp(lang: str) -> Any:
    return html.Small(t("dash.refreshed", lang, time=dt.datetime.now().strftime("%H:%M:%S")),
                      className="text-muted d-block mb-2")


def _progress(job: Job, lang: str) -> Any:
    """Above a board being computed: how many cards are done; once all are, when it was refreshed."""
    if job.state == "done":
        return _stamp(lang)
    if job.state in ("failed", "lost"):
        words = t("job.lost", lang) if job.state == "lost" else t("job.failed", lang, error=job.error or "")
        return dbc.Alert(words, color="warning", className="small")
    return dbc.Progress(value=100 * job.done / job.total, label=t("job.parts", lang, done=job.done, total=job.total),
                        className="dash-progress mb-2", style={"height": "1.1rem"})


def board_tick(ctx: AppContext, job_id: str | None, card_ids: list[int], shown_ids: list[int], session_id: str,
               lang: str) -> tuple[list[Any], Any, bool, list[int]]:
    """One poll of a board being computed: the bodies of the cards that finished since the last poll
    (``None`` for the others: unchanged), the progress, whether to stop polling, the cards shown."""
    job = ctx.jobs.status(job_id) if job_id else None
    if job is None or job.session != session_id:
        return [None] * len(card_ids), dbc.Alert(t("card.expired", lang), color="light"), True, shown_ids
    session = ctx.session(session_id)
    bodies: list[Any] = []
    shown_now = list(shown_ids)
    for card_id in card_ids:
        answer_id = job.results.get(str(card_id))
        if card_id in shown_ids or (answer_id is None and not job.finished):
            bodies.append(None)
            continue
        answer = session.get(answer_id) if answer_id else None
        bodies.append(card_body(ctx, answer, lang) if answer is not None else
                      [dbc.Alert(t("card.expired", lang), color="warning", className="mb-0 small")])
        shown_now.append(card_id)
    return bodies, _progress(job, lang), job.finished, shown_now


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
        html.Div(board_cards(ctx, current, lang, session_id), id="dash-cards"),
    ], className="dashboards-page")


def register(app: dash.Dash, ctx: AppContext) -> None:
    @app.callback(Output({"type": "dcard-body", "card": ALL}, "children"), Output("dash-progress", "children"),
                  Output("dash-tick", "disabled"), Output("dash-shown", "data"),
                  Input("dash-tick", "n_intervals"), State("dash-job", "data"), State("dash-shown", "data"),
                  State("lang", "data"), prevent_initial_call=True)
    def _on_tick(_n: int | None, job_id: str | None, shown_ids: list[int] | None, lang: str | None) -> Any:
        card_ids = [int(o["id"]["card"]) for o in dash.ctx.outputs_list[0]]
        bodies, progress, stop, shown_now = board_tick(ctx, job_id, card_ids, shown_ids or [], current_session_id(),
                                                       lang or ctx.default_language)
        return [dash.no_update if b is None else b for b in bodies], progress, stop, shown_now

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
        return board_cards(ctx, current, lang or ctx.default_language, current_session_id())

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
