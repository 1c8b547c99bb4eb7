"""One turn of the conversation: the user's question and ChatBI's answer card.

The card shows the answer text, the chart, "understood as" chips (each removable), tabs for
the data and the SQL, clarification options, the "why?" button, follow-up suggestions and a pin
button. Every interactive element has a pattern-matching id carrying the answer id, so the
Ask page's callbacks know which answer a click is about.
"""

from __future__ import annotations

import uuid
from typing import Any

import dash_bootstrap_components as dbc
from dash import html

from ..i18n import t
from ..querytools import query_chips, suggestions
from .business_report import business_report_card, is_business_report
from .chart import chart_box
from .data_view import data_table, sql_editor
from .figures import fallback_figure, fit_figure
from .present import foreign_note, shown
from .report import report_section

__all__ = ["turn", "answer_card", "error_card", "error_turn", "answer_labels", "can_explain"]


def answer_labels(chatbi: Any, answer: Any, lang: str) -> dict[str, str]:
    """Display labels for the answer's metric and dimension columns."""
    model = chatbi.model
    names = list(model.metrics) + list(model.dimensions)
    return {n: model.label(n, lang) for n in names}


def can_explain(chatbi: Any, answer: Any) -> bool:
    """The "why?" button applies to an answer whose metric changed against a compared period."""
    query = getattr(answer, "query", None)
    return bool(answer.ok and query is not None and query.metrics and query.compare
                and answer.report is None and hasattr(chatbi, "explain_change"))


def _chips(chatbi: Any, answer: Any, answer_id: str, lang: str) -> Any:
    if answer.query is None:
        return None
    chips = query_chips(answer.query, chatbi.model, lang, members=_members(chatbi), period=answer.period)
    if not chips:
        return None
    words = _words_by_chip(answer)
    assumed = any(_kind(u) == "default_period" for u in answer.understood or ())
    items: list[Any] = [html.Span(t("card.understood", lang), className="chips-label")]
    for chip in chips:
        label = chip.label
        if chip.kind == "period" and assumed:  # the question named no period: say it was the default
            label = t("card.default_period", lang, period=label)
            words.setdefault("period", t("card.default_period_hint", lang))
        elif chip.kind == "period" and not chip.removable:  # no period asked for: all the data
            label = t("card.all_data", lang, period=label)
        body: list[Any] = [html.Span(label)]
        if chip.removable:
            body.append(html.Button("×", id={"type": "chip-x", "answer": answer_id, "key": chip.key},
                                    className="chip-x", title=t("card.remove_chip", lang), n_clicks=0))
        said = words.get(chip.key) or words.get(chip.kind) or ""
        items.append(html.Span(body, className=f"chip chip-{chip.kind}", title=said or None,
                               **{"data-key": chip.key}))
    for wrong, right in _corrections(answer):  # 收人 -> 收入: the user sees what was corrected
        items.append(html.Span(t("card.corrected", lang, wrong=wrong, right=right), className="chip chip-typo",
                               title=t("card.corrected_title", lang)))
    for word, name, gloss in _glossed(answer):  # 城市 -> City: read through the dictionary, shown
        dim, _, member = name.partition(" = ")  # a member filter reads "city = Lyon"
        label = chatbi.model.label(dim, lang) + (f" = {member}" if member else "") \
            if dim in chatbi.model.metrics or dim in chatbi.model.dimensions else name
        items.append(html.Span(t("card.glossed", lang, word=word, element=label, gloss=gloss),
                               className="chip chip-gloss", title=t("card.glossed_title", lang)))
    return html.Div(items, className="chips")


def _kind(item: Any) -> str:
    return str(item.get("kind") if isinstance(item, dict) else getattr(item, "kind", ""))


def _ignored(answer: Any, lang: str) -> Any:
    """Words of the question that were left out, shown rather than dropped silently."""
    words = tuple(getattr(answer, "ignored", ()) or ())
    if not words:
        return None
    items: list[Any] = [html.Span(t("card.ignored", lang), className="chips-label")]
    items += [html.Span(w, className="chip chip-ignored", title=t("card.ignored_hint", lang)) for w in words]
    return html.Div(items, className="chips chips-ignored")


def _corrections(answer: Any) -> list[tuple[str, str]]:
    out = []
    for item in answer.understood or ():
        get = item.get if isinstance(item, dict) else lambda k, _i=item: getattr(_i, k, "")
        if get("kind") == "typo" and get("text") and get("value"):
            out.append((str(get("text")), str(get("value"))))
    return out


def _glossed(answer: Any) -> list[tuple[str, str, str]]:
    """(word, model element, gloss) of each word read through the Chinese-English dictionary."""
    out = []
    for item in answer.understood or ():
        get = item.get if isinstance(item, dict) else lambda k, _i=item: getattr(_i, k, "")
        if get("kind") == "gloss" and get("text") and get("value"):
            out.append((str(get("text")), str(get("value")), str(get("gloss") or "")))
    return out


def _words_by_chip(answer: Any) -> dict[str, str]:
    """Which words of the question each chip came from (``Answer.understood``), for its tooltip."""
    out: dict[str, list[str]] = {}
    filters = list(answer.query.filters) if answer.query is not None else []
    for item in answer.understood or ():
        get = item.get if isinstance(item, dict) else lambda k, _i=item: getattr(_i, k, "")
        text, kind, value = str(get("text") or ""), str(get("kind") or ""), str(get("value") or "")
        if not text:
            continue
        if kind in ("metric", "dimension"):
            key = f"{kind}:{value}"
        elif kind == "filter":
            dim = value.split(" ", 1)[0]
            index = next((i for i, f in enumerate(filters) if f.dimension == dim), None)
            key = f"filter:{index}" if index is not None else "filter"
        elif kind == "time":
            key = "period"
        else:
            key = kind
        out.setdefault(key, []).append(f"“{text}”")
    return {k: " ".join(v) for k, v in out.items()}


def _members(chatbi: Any) -> Any:
    try:
        return chatbi.members
    except Exception:  # noqa: BLE001 - members only decorate labels; an engine hiccup must not break a card
        return None


def _figure(chatbi: Any, answer: Any, lang: str, figure: Any) -> Any:
    if figure is not None:  # a "why" answer's waterfall, the answer's chart, or a custom SQL result's
        return fit_figure(figure)
    metrics = list(answer.query.metrics) if answer.query is not None else \
        [c for c in (answer.data.columns if answer.data is not None else []) if str(c) in chatbi.model.metrics]
    return fallback_figure(answer.data, metrics, answer_labels(chatbi, answer, lang))


def _suggestions(chatbi: Any, answer: Any, answer_id: str, lang: str) -> list[Any]:
    if answer.query is None:
        return []
    found = suggestions(answer.query, chatbi.model, lang, members=_members(chatbi), period=answer.period)
    return [dbc.Button(s.label, id={"type": "suggest", "answer": answer_id, "index": i}, size="sm", color="light",
                       className="suggestion", n_clicks=0) for i, s in enumerate(found)]


def _sql_editable(chatbi: Any, answer: Any) -> bool:
    """Editable where re-running one statement makes sense: a query's SQL or the user's own."""
    return hasattr(chatbi, "run_sql") and (answer.query is not None or not answer.governed)


def answer_card(chatbi: Any, answer: Any, answer_id: str, lang: str) -> Any:
    """The card for one answer of any status."""
    if answer.status == "error":
        return error_card(answer.text or answer.error or "", lang, answer_id=answer_id)
    if answer.status == "clarify":
        options = [dbc.Button(o.label, id={"type": "clarify", "answer": answer_id, "index": i}, color="primary",
                              outline=True, size="sm", className="clarify-option", n_clicks=0)
                   for i, o in enumerate(answer.clarification)]
        return dbc.Card(dbc.CardBody([
            html.P(answer.text or t("card.clarify", lang), className="answer-text mb-2"),
            html.Div(options, className="d-flex flex-wrap gap-2"),
        ]), className="answer-card answer-clarify", id={"type": "card", "answer": answer_id})
    if is_business_report(answer):  # "生成11月经营分析报告": highlights and a link to the whole report
        return business_report_card(answer, answer_id, lang)
    view = shown(chatbi, answer, lang)
    figure = _figure(chatbi, answer, lang, view.figure)
    chart = (chart_box(figure, lang, container="ask", graph_id={"type": "graph", "answer": answer_id},
                       class_name="answer-graph")
             if figure is not None else html.P(t("card.no_chart", lang), className="text-muted small pt-3"))
    tabs = dbc.Tabs([
        dbc.Tab(chart, label=t("card.chart", lang), tab_id="chart"),
        dbc.Tab(data_table(chatbi, answer, answer_id, lang=lang), label=t("card.data", lang),
                tab_id="data", tab_class_name="tab-data"),
        dbc.Tab(sql_editor(answer.sql, answer_id, lang=lang, editable=_sql_editable(chatbi, answer)),
                label=t("card.sql", lang), tab_id="sql", tab_class_name="tab-sql", disabled=not answer.sql),
    ], active_tab="chart", className="answer-tabs mt-2")
    badges = [] if answer.governed else [dbc.Badge(t("card.ungoverned", lang), color="warning", className="ms-2")]
    actions: list[Any] = []
    if can_explain(chatbi, answer):
        actions.append(dbc.Button(t("card.why", lang), id={"type": "why", "answer": answer_id}, size="sm",
                                  color="warning", className="why-button", n_clicks=0))
    # an analysis is not re-run on a board (a pinned "why" would show only the KPI): no pin for it
    if (answer.query is not None or not answer.governed) and answer.report is None:
        actions.append(dbc.Button(t("card.pin", lang), id={"type": "pin", "answer": answer_id}, size="sm",
                                  color="secondary", outline=True, className="pin-button ms-auto", n_clicks=0))
    note = foreign_note(view, lang)
    as_of = getattr(answer, "as_of", None)
    body: list[Any] = [html.Div([html.P(view.text, className="answer-text mb-1"), *badges],
                                className="d-flex align-items-start"),
                       html.Small(note, className="text-muted d-block foreign-note") if note else None,
                       html.Small(t("card.as_of", lang, date=as_of), className="text-muted d-block as-of")
                       if as_of else None,
                       _chips(chatbi, answer, answer_id, lang), _ignored(answer, lang), tabs]
    if answer.report is not None:
        body.append(report_section(answer.report, lang, key=answer_id, text=answer.text, figure=False,
                                   chatbi=chatbi))
    follow = _suggestions(chatbi, answer, answer_id, lang)
    if follow:
        body.append(html.Div([html.Span(t("card.suggest", lang), className="chips-label"), *follow],
                             className="suggestions d-flex flex-wrap gap-2 align-items-center mt-2"))
    body.append(html.Div(actions, className="d-flex gap-2 mt-2 card-actions"))
    return dbc.Card(dbc.CardBody([b for b in body if b is not None]), className="answer-card answer-ok",
                    id={"type": "card", "answer": answer_id})


def error_card(message: str, lang: str, *, answer_id: str = "") -> Any:
    """A friendly message in the thread (the app keeps working)."""
    return dbc.Alert([html.Strong(t("error.title", lang)), html.P(message, className="mb-1 answer-text"),
                      html.Small(t("error.hint", lang), className="text-muted")],
                     color="warning", className="answer-card answer-error mb-0",
                     id={"type": "card", "answer": answer_id or uuid.uuid4().hex[:12]})


def turn(chatbi: Any, answer: Any, answer_id: str, lang: str, *, question: str | None = None) -> Any:
    """The user's bubble (when there was a question) followed by the answer card."""
    asked = question if question is not None else answer.question
    parts: list[Any] = []
    if asked:
        parts.append(html.Div(html.Div(asked, className="bubble"), className="user-turn"))
    parts.append(html.Div(answer_card(chatbi, answer, answer_id, lang), className="bot-turn"))
    return html.Div(parts, className="turn", id={"type": "turn", "answer": answer_id})


def error_turn(message: str, lang: str, *, question: str | None = None) -> Any:
    """A thread turn holding only a friendly error (for failures that produced no Answer)."""
    key = uuid.uuid4().hex[:12]
    parts: list[Any] = []
    if question:
        parts.append(html.Div(html.Div(question, className="bubble"), className="user-turn"))
    parts.append(html.Div(error_card(message, lang, answer_id=key), className="bot-turn"))
    return html.Div(parts, className="turn", id={"type": "turn", "answer": key})
