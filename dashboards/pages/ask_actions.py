"""Ask-page actions that reach past ``ChatBI.ask``: root cause ("why?"), the SQL editor and pinning."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from typing import Any

from semantic_layer import MemberFilter

from ..appdb import AppDBError
from ..components.answer_card import error_turn, turn
from ..context import AppContext
from ..i18n import t
from ..jobs import JobRefused, Progress, bound_chatbi, user_key
from ..querytools import period_label
from ._progress import job_turns

__all__ = ["explain", "run_sql", "pin_answer", "explain_kwargs"]


def _shift_year(period: tuple[str, str]) -> tuple[str, str]:
    def back(text: str) -> str:
        day = dt.date.fromisoformat(str(text)[:10])
        try:
            return day.replace(year=day.year - 1).isoformat()
        except ValueError:  # 29 February
            return day.replace(year=day.year - 1, day=28).isoformat()

    return back(period[0]), back(period[1])


def explain_kwargs(answer: Any) -> dict[str, Any]:
    """Arguments for ``ChatBI.explain_change`` from an answer with a compared metric."""
    query = answer.query
    kwargs: dict[str, Any] = {"language": answer.language}
    if query.compare == "year_over_year" and answer.period:
        kwargs["baseline"] = _shift_year(answer.period)
    members = [f for f in query.filters if isinstance(f, MemberFilter)]
    if members:
        kwargs["filters"] = [f.model_dump() for f in members]
    return kwargs


def explain(ctx: AppContext, session_id: str, answer_id: str, lang: str) -> list[Any]:
    """Start the root-cause analysis for the changed metric of an answer, off the request thread:
    the thread gets a progress turn now and the report when it is done (``dashboards.jobs``)."""
    from chatbi import Answer

    state = ctx.session(session_id)
    answer = state.get(answer_id)
    if answer is None or answer.query is None or not answer.query.metrics:
        return [error_turn(t("card.expired", lang), lang)]
    language = answer.language or lang
    metric = answer.query.metrics[0]
    title = f"{t('card.why', language)} {ctx.chatbi.model.label(metric, language)} {period_label(answer.period, language) or ''}"
    period, kwargs = answer.period, explain_kwargs(answer)
    bi = bound_chatbi(ctx)  # the viewer's own access, fixed now: the job outlives this request
    data, query = answer.data, answer.query

    def work(progress: Progress) -> None:
        result = bi.explain_change(metric, period, **kwargs)
        # the numbers that changed stay the card's data (localized in the data tab); the analysis
        # adds its text, waterfall and drivers, and its SQL for traceability
        shown = Answer(status="ok", question=title.strip(), text=result.text, report=result, data=data,
                       query=query, period=period, sql=";\n\n".join(result.sql) or None, language=language,
                       intent="root_cause")
        progress.add("0", shown, thread=True)

    try:
        job = ctx.jobs.submit(session_id, user_key(ctx, session_id), "why", work, title=title.strip())
    except JobRefused:
        return [error_turn(t("busy.jobs", lang, n=ctx.jobs.per_user), lang, question=title.strip())]
    state.add_job(job.id)
    return job_turns(ctx, [job.id], lang)


def run_sql(ctx: AppContext, session_id: str, answer_id: str, sql: str, lang: str) -> list[Any]:
    """Run SQL from a card's editor through ``ChatBI.run_sql`` (the SQL guard); rejections show as errors."""
    text = (sql or "").strip()
    if not text:
        return [error_turn(t("error.empty", lang), lang)]
    previous = ctx.session(session_id).get(answer_id)
    language = getattr(previous, "language", None) or lang
    answer = ctx.chatbi.run_sql(text, language=language)
    if not answer.question:
        answer = replace(answer, question=text if len(text) <= 160 else text[:157] + "...")
    new_id = ctx.session(session_id).add(answer)
    return [turn(ctx.chatbi, answer, new_id, lang)]


def pin_answer(ctx: AppContext, session_id: str, answer_id: str | None, name: str, lang: str) -> str:
    """Pin an answer's query (or custom SQL) to the dashboard ``name``; returns the message to show."""
    answer = ctx.session(session_id).get(answer_id)
    if answer is None:
        return t("card.expired", lang)
    if not answer.ok or (answer.query is None and not answer.sql):
        return t("pin.not_pinnable", lang)
    title = answer.question or answer.text or ""
    query_json = answer.query.model_dump_json() if answer.query is not None else None
    sql = None if query_json is not None else answer.sql
    owner = ctx.owner()  # the signed-in user's own board: titles may name members others must not see
    try:
        card = ctx.store.add_card(name or t("pin.default", lang), owner=owner, title=title, query_json=query_json,
                                  sql=sql, language=answer.language or lang)
    except AppDBError as exc:
        return str(exc)
    board = ctx.store.dashboard(card.dashboard_id, owner=owner)
    return t("pin.done", lang, name=board.name if board else name)
