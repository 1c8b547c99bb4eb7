"""The Ask page: a chat thread of answer cards.

Each action is a plain function ``(ctx, session_id, ..., lang) -> list of new turns`` that the
unit tests call directly; :func:`register` only wires Dash inputs to them and appends the turns
to the thread with a ``Patch`` (the thread is never re-sent as a whole).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import dash
import dash_bootstrap_components as dbc
from dash import ALL, MATCH, Input, Output, Patch, State, dcc, html
from dash.exceptions import PreventUpdate

from semantic_layer import SemanticQuery

from ..components.answer_card import error_turn, turn
from ..components.data_view import sorted_rows, table_of
from ..context import AppContext
from ..i18n import t
from ..jobs import user_key
from ..querytools import dimension_label, period_label, remove_part, suggestions
from . import Page
from ._progress import job_turns, register_progress
from ._session import current_session_id, fresh_click, triggered_value
from .ask_actions import explain, pin_answer, run_sql

__all__ = ["PAGE", "layout", "register", "ask_question", "examples_for", "pick_clarification", "follow_suggestion", "remove_chip",
           "explain", "run_sql", "pin_answer", "csv_download", "thread_turns"]

log = logging.getLogger(__name__)


# -- actions (called by callbacks and by tests) ---------------------------------------------
def _safe(ctx: AppContext, lang: str, action: Any, *args: Any, question: str | None = None) -> list[Any]:
    """Run an action; any unexpected failure becomes a friendly card and the app keeps working."""
    try:
        return action(*args)
    except Exception as exc:
        log.exception("ask page action failed")
        return [error_turn(t("error.internal", lang, kind=type(exc).__name__), lang, question=question)]


def _show(ctx: AppContext, session_id: str, answer: Any, lang: str, question: str | None = None) -> list[Any]:
    answer_id = ctx.session(session_id).add(answer)
    return [turn(ctx.chatbi, answer, answer_id, lang, question=question)]


def ask_question(ctx: AppContext, session_id: str, question: str | None, lang: str) -> list[Any]:
    """Send a typed question (or an example, a clarification follow-up) through ``ChatBI.ask``.

    An empty question adds nothing to the thread (the page prompts under the input instead)."""
    text = (question or "").strip()
    if not text:
        return []
    if not hasattr(ctx.chatbi, "ask"):
        return [turn_for_error(ctx, session_id, text, t("ask.unavailable", lang), lang)]
    state = ctx.session(session_id)
    with ctx.jobs.slot(user_key(ctx, session_id)) as allowed:
        if not allowed:  # this user already occupies their share of the server: say so at once
            return [error_turn(t("busy.questions", lang, n=ctx.jobs.per_user), lang, question=text)]
        with state.turn() as conversation:
            answer = ctx.chatbi.ask(text, conversation=conversation)
    return _show(ctx, session_id, answer, lang)


def turn_for_error(ctx: AppContext, session_id: str, question: str, message: str, lang: str) -> Any:
    from chatbi import Answer

    answer = Answer(status="error", question=question, text=message, error=message, language=lang)
    return _show(ctx, session_id, answer, lang)[0]


def pick_clarification(ctx: AppContext, session_id: str, answer_id: str, index: int, lang: str) -> list[Any]:
    """A clarification option was clicked: send its follow-up text as the next question."""
    answer = ctx.session(session_id).get(answer_id)
    if answer is None or not 0 <= index < len(answer.clarification):
        return [error_turn(t("card.expired", lang), lang)]
    return ask_question(ctx, session_id, answer.clarification[index].followup, lang)


def _run_query(ctx: AppContext, session_id: str, query: SemanticQuery, question: str, language: str,
               lang: str) -> list[Any]:
    state = ctx.session(session_id)
    with ctx.jobs.slot(user_key(ctx, session_id)) as allowed:
        if not allowed:
            return [error_turn(t("busy.questions", lang, n=ctx.jobs.per_user), lang, question=question)]
        with state.turn() as conversation:
            answer = ctx.chatbi.run(query, question=question, language=language)
            _remember(ctx, conversation, question, answer)
    return _show(ctx, session_id, answer, lang)


def _remember(ctx: AppContext, conversation: Any, question: str, answer: Any) -> None:
    """Tell the conversation about an answer the app ran itself (a removed chip, a suggestion), so
    the next typed follow-up ("只看5G", "top 3 only") builds on what the user now sees."""
    if conversation is not None and answer.ok and answer.query is not None:
        conversation.remember(answer, question, time_dimension=ctx.chatbi.model.time_dimension)


def follow_suggestion(ctx: AppContext, session_id: str, answer_id: str, index: int, lang: str) -> list[Any]:
    """Run the ``index``-th follow-up suggestion of an answer (a complete, validated query)."""
    answer = ctx.session(session_id).get(answer_id)
    if answer is None or answer.query is None:
        return [error_turn(t("card.expired", lang), lang)]
    language = answer.language or lang
    # the same language as the card's buttons, so the index picks the suggestion that was shown
    found = suggestions(answer.query, ctx.chatbi.model, lang, members=ctx.chatbi.members, period=answer.period)
    if not 0 <= index < len(found):
        return [error_turn(t("card.expired", lang), lang)]
    return _run_query(ctx, session_id, found[index].query, found[index].label, language, lang)


def remove_chip(ctx: AppContext, session_id: str, answer_id: str, key: str, lang: str) -> list[Any]:
    """Drop one "understood as" part from an answer's query and run it again."""
    answer = ctx.session(session_id).get(answer_id)
    if answer is None or answer.query is None:
        return [error_turn(t("card.expired", lang), lang)]
    query = remove_part(answer.query, key, ctx.chatbi.model)
    language = answer.language or lang
    return _run_query(ctx, session_id, query, _describe(ctx, query, language), language, lang)


def _describe(ctx: AppContext, query: SemanticQuery, lang: str) -> str:
    """A short question-like title for a query the app built (shown as the user's bubble)."""
    model = ctx.chatbi.model
    parts = [model.label(m, lang) for m in query.metrics]
    parts += [t("chip.by", lang, label=dimension_label(model, d, lang)) for d in query.dimensions]
    if query.time_range is not None:
        parts.append(period_label((query.time_range.start.isoformat(), query.time_range.end.isoformat()), lang) or "")
    return " · ".join(p for p in parts if p)


def csv_download(ctx: AppContext, session_id: str, answer_id: str, lang: str | None = None) -> dict[str, Any] | None:
    """The ``dcc.Download`` payload of an answer's full result: headers and members in the page's
    language, clean numbers, UTF-8 with a BOM for Excel, a file name that says what is inside."""
    from chatbi.charts.tables import csv_filename, csv_text

    answer = ctx.session(session_id).get(answer_id)
    found = table_of(ctx.chatbi, answer, lang or answer.language) if answer is not None else None
    if found is None:
        return None
    query, frame, columns = found
    name = csv_filename(answer.query, answer.period, fallback="query_result") if answer.query is not None else \
        csv_filename(query, None, fallback="query_result") if query is not None else csv_filename(None, None)
    return {"content": csv_text(frame, columns, lang or answer.language, members=ctx.chatbi.members),
            "filename": name, "type": "text/csv", "base64": False}


def thread_turns(ctx: AppContext, session_id: str, lang: str) -> list[Any]:
    """The session's thread so far (navigating away and back keeps it), with the progress of its
    long work still running."""
    state = ctx.session(session_id)
    turns = [turn(ctx.chatbi, answer, answer_id, lang) for answer_id, answer in state.history()]
    return turns + job_turns(ctx, state.pending_jobs(), lang)


# -- layout -------------------------------------------------------------------------------
def examples_for(ctx: AppContext, lang: str) -> list[tuple[int, str]]:
    """The model's example questions in the page's language (index into the model's list, text);
    all of them when the model has none in that language."""
    from chatbi.charts.formatting import has_cjk

    examples = list(getattr(ctx.chatbi.model.spec, "examples", ()) or ())
    mine = [(i, q) for i, q in enumerate(examples) if has_cjk(q) == (lang == "zh")]
    return mine or list(enumerate(examples))


def _examples(ctx: AppContext, lang: str) -> Any:
    buttons = [dbc.Button(q, id={"type": "example", "index": i}, color="light", size="sm", className="example",
                          n_clicks=0) for i, q in examples_for(ctx, lang)]
    title = ctx.chatbi.model.spec.label.get(lang) or ctx.chatbi.model.name
    return html.Div([
        html.H5(t("ask.welcome", lang, model=title), className="mb-2"),
        html.Div(t("ask.examples", lang), className="text-muted small mb-2"),
        html.Div(buttons, className="d-flex flex-wrap gap-2"),
    ], className="examples-panel")


def layout(ctx: AppContext, lang: str, session_id: str, params: Mapping[str, str]) -> Any:
    ctx.session(session_id).forget_clicks()  # the buttons below are new, with n_clicks = 0
    turns = thread_turns(ctx, session_id, lang)
    return html.Div([
        html.Div(_examples(ctx, lang), id="ask-examples", className="" if not turns else "d-none"),
        html.Div(turns, id="thread", className="thread"),
        html.Div(className="ask-busy", id="ask-busy"),
        html.Div(dbc.InputGroup([
            dbc.Input(id="ask-input", placeholder=t("ask.placeholder", lang), type="text", autoComplete="off",
                      debounce=False, n_submit=0, maxLength=500),
            dbc.Button(t("ask.send", lang), id="ask-send", color="primary", n_clicks=0),
        ]), className="ask-bar"),
        html.Div(id="ask-hint", className="ask-hint small text-muted", role="status"),
        html.Div(dbc.Button(t("ask.clear", lang), id="ask-clear", color="link", size="sm", n_clicks=0),
                 className="text-end"),
        dcc.Download(id="ask-download"),
        _pin_modal(ctx, lang),
        dbc.Toast(id="ask-toast", is_open=False, duration=3000, dismissable=True,
                  className="app-toast position-fixed bottom-0 end-0 m-3"),
        dcc.Store(id="scroll-sink"),
    ], className="ask-page")


def _pin_modal(ctx: AppContext, lang: str) -> Any:
    names = [d.name for d in ctx.store.dashboards(owner=ctx.owner())]
    return dbc.Modal([
        dbc.ModalHeader(dbc.ModalTitle(t("pin.title", lang))),
        dbc.ModalBody([
            dbc.Label(t("pin.name", lang), html_for="pin-name"),
            dbc.Input(id="pin-name", list="pin-names", value=names[-1] if names else t("pin.default", lang),
                      n_submit=0, maxLength=80),
            html.Datalist([html.Option(value=n) for n in names], id="pin-names"),
        ]),
        dbc.ModalFooter([
            dbc.Button(t("pin.cancel", lang), id="pin-cancel", color="secondary", outline=True, n_clicks=0),
            dbc.Button(t("pin.confirm", lang), id="pin-confirm", color="primary", n_clicks=0),
        ]),
        dcc.Store(id="pin-answer"),
    ], id="pin-modal", is_open=False, centered=True)


# -- callbacks ----------------------------------------------------------------------------
#: clicks inside answer cards; the typed question and the SQL editor have their own callbacks so
#: the common path (typing) carries no pattern-matching inputs and no SQL texts
_CARD_INPUTS = [
    Input({"type": "example", "index": ALL}, "n_clicks"),
    Input({"type": "clarify", "answer": ALL, "index": ALL}, "n_clicks"),
    Input({"type": "suggest", "answer": ALL, "index": ALL}, "n_clicks"),
    Input({"type": "chip-x", "answer": ALL, "key": ALL}, "n_clicks"),
    Input({"type": "why", "answer": ALL}, "n_clicks"),
]
_RUNNING = [(Output("ask-send", "disabled"), True, False), (Output("ask-busy", "className"), "ask-busy on", "ask-busy")]


def dispatch(ctx: AppContext, session_id: str, trigger: Any, question: str | None, sql_by_answer: dict[str, str],
             lang: str) -> list[Any]:
    """Route one click or submit to its action."""
    if trigger in ("ask-send", "ask-input"):
        return _safe(ctx, lang, ask_question, ctx, session_id, question, lang, question=question)
    kind = trigger.get("type") if isinstance(trigger, dict) else None
    if kind == "example":
        examples = ctx.chatbi.model.spec.examples
        index = int(trigger["index"])
        text = examples[index] if index < len(examples) else ""
        return _safe(ctx, lang, ask_question, ctx, session_id, text, lang, question=text)
    if kind == "clarify":
        return _safe(ctx, lang, pick_clarification, ctx, session_id, trigger["answer"], int(trigger["index"]), lang)
    if kind == "suggest":
        return _safe(ctx, lang, follow_suggestion, ctx, session_id, trigger["answer"], int(trigger["index"]), lang)
    if kind == "chip-x":
        return _safe(ctx, lang, remove_chip, ctx, session_id, trigger["answer"], str(trigger["key"]), lang)
    if kind == "why":
        return _safe(ctx, lang, explain, ctx, session_id, trigger["answer"], lang)
    if kind == "sql-run":
        answer_id = trigger["answer"]
        return _safe(ctx, lang, run_sql, ctx, session_id, answer_id, sql_by_answer.get(answer_id, ""), lang)
    raise PreventUpdate


def _append(turns: list[Any]) -> tuple[Patch, str]:
    patch = Patch()
    for item in turns:
        patch.append(item)
    return patch, "d-none"


def register(app: dash.Dash, ctx: AppContext) -> None:
    register_progress(app, ctx)

    @app.callback(
        Output("thread", "children", allow_duplicate=True), Output("ask-examples", "className", allow_duplicate=True),
        Output("ask-input", "value"), Output("ask-hint", "children"), Output("ask-input", "invalid"),
        Input("ask-send", "n_clicks"), Input("ask-input", "n_submit"),
        State("ask-input", "value"), State("lang", "data"),
        prevent_initial_call=True, running=_RUNNING,
    )
    def _on_question(_send: Any, _submit: Any, question: str | None, lang: str | None) -> tuple[Any, ...]:
        if not triggered_value():
            raise PreventUpdate
        lang = lang or ctx.default_language
        if not (question or "").strip():  # a prompt, not an error card: nothing went wrong
            return dash.no_update, dash.no_update, dash.no_update, t("ask.empty", lang), True
        turns = dispatch(ctx, current_session_id(), "ask-send", question, {}, lang)
        return (*_append(turns), "", "", False)

    @app.callback(
        Output("thread", "children", allow_duplicate=True), Output("ask-examples", "className", allow_duplicate=True),
        *_CARD_INPUTS, State("lang", "data"), prevent_initial_call=True, running=_RUNNING,
    )
    def _on_card_click(*args: Any) -> tuple[Any, Any]:
        session_id = current_session_id()
        if not fresh_click(ctx.session(session_id)):
            raise PreventUpdate  # new cards' buttons appearing, not a click
        lang = args[-1] or ctx.default_language
        return _append(dispatch(ctx, session_id, dash.ctx.triggered_id, None, {}, lang))

    @app.callback(
        Output("thread", "children", allow_duplicate=True), Output("ask-examples", "className", allow_duplicate=True),
        Input({"type": "sql-run", "answer": ALL}, "n_clicks"), State({"type": "sql-edit", "answer": ALL}, "value"),
        State("lang", "data"), prevent_initial_call=True, running=_RUNNING,
    )
    def _on_sql_run(_clicks: Any, _sql: Any, lang: str | None) -> tuple[Any, Any]:
        session_id = current_session_id()
        if not fresh_click(ctx.session(session_id)):
            raise PreventUpdate
        sql_by_answer = {s["id"]["answer"]: s.get("value") or "" for s in dash.ctx.states_list[0]}
        return _append(dispatch(ctx, session_id, dash.ctx.triggered_id, None, sql_by_answer,
                                lang or ctx.default_language))

    @app.callback(Output("ask-download", "data"), Input({"type": "csv", "answer": ALL}, "n_clicks"),
                  State("lang", "data"), prevent_initial_call=True)
    def _on_csv(_clicks: list[Any], lang: str | None) -> Any:
        session_id = current_session_id()
        if not fresh_click(ctx.session(session_id)):
            raise PreventUpdate
        payload = csv_download(ctx, session_id, dash.ctx.triggered_id["answer"], lang or ctx.default_language)
        if payload is None:
            raise PreventUpdate
        return payload

    @app.callback(Output({"type": "table", "answer": MATCH}, "data"),
                  Input({"type": "table", "answer": MATCH}, "sort_by"), State("lang", "data"),
                  prevent_initial_call=True)
    def _on_sort(sort_by: list[dict[str, Any]] | None, lang: str | None) -> Any:
        answer = ctx.session(current_session_id()).get(dash.ctx.triggered_id["answer"])
        if answer is None:
            raise PreventUpdate
        return sorted_rows(ctx.chatbi, answer, lang or ctx.default_language, sort_by)

    @app.callback(Output("pin-modal", "is_open"), Output("pin-answer", "data"),
                  Input({"type": "pin", "answer": ALL}, "n_clicks"), prevent_initial_call=True)
    def _on_pin_open(_clicks: list[Any]) -> tuple[bool, str]:
        if not fresh_click(ctx.session(current_session_id())):
            raise PreventUpdate
        return True, dash.ctx.triggered_id["answer"]

    @app.callback(Output("pin-modal", "is_open", allow_duplicate=True), Output("ask-toast", "children"),
                  Output("ask-toast", "is_open"), Output("pin-names", "children"),
                  Input("pin-confirm", "n_clicks"), Input("pin-name", "n_submit"), Input("pin-cancel", "n_clicks"),
                  State("pin-name", "value"), State("pin-answer", "data"), State("lang", "data"),
                  prevent_initial_call=True)
    def _on_pin_confirm(_ok: Any, _submit: Any, _cancel: Any, name: str | None, answer_id: str | None,
                        lang: str | None) -> tuple[Any, ...]:
        if not triggered_value():
            raise PreventUpdate
        if dash.ctx.triggered_id == "pin-cancel":
            return False, dash.no_update, dash.no_update, dash.no_update
        message = pin_answer(ctx, current_session_id(), answer_id, name or "", lang or ctx.default_language)
        options = [html.Option(value=d.name) for d in ctx.store.dashboards(owner=ctx.owner())]
        return False, message, True, options

    @app.callback(Output("thread", "children", allow_duplicate=True), Output("ask-examples", "className",
                                                                            allow_duplicate=True),
                  Input("ask-clear", "n_clicks"), prevent_initial_call=True)
    def _on_clear(_clicks: Any) -> tuple[list[Any], str]:
        if not triggered_value():
            raise PreventUpdate
        ctx.session(current_session_id()).reset()
        return [], ""

    # bring the newest card into view (client-side, watching the DOM: no callback on the big thread prop)
    app.clientside_callback(
        """function(id) {
            const thread = document.getElementById('thread');
            if (!thread || thread.dataset.watched) { return window.dash_clientside.no_update; }
            thread.dataset.watched = '1';
            new MutationObserver((records) => {
                if (records.some((r) => r.addedNodes.length) && thread.lastElementChild) {
                    thread.lastElementChild.scrollIntoView({behavior: 'smooth', block: 'start'});
                }
            }).observe(thread, {childList: true});
            return window.dash_clientside.no_update;
        }""",
        Output("scroll-sink", "data"), Input("scroll-sink", "id"))


PAGE = Page(path="/", title_key="nav.ask", layout=layout, register=register)
