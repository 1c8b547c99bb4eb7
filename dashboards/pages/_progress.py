"""The progress of long work in the Ask thread: a card that counts the seconds, then the answer.

A job (:mod:`dashboards.jobs`) runs off the request threads. Its turn in the thread holds a slot
and a timer; each tick asks the job's state (any worker can answer: it is in the shared store)
and shows either the progress or, once it is done, the answer cards -- then the timer stops.
Only the session that started a job can read it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import dash
import dash_bootstrap_components as dbc
from dash import MATCH, Input, Output, State, dcc, html

from ..components.answer_card import answer_card, error_card
from ..context import AppContext
from ..i18n import t
from ..jobs import Job
from ._session import current_session_id

__all__ = ["progress_card", "job_turns", "register_progress", "job_result_cards", "POLL_MS"]

#: how often a page asks about a running job
POLL_MS = 800


def progress_card(job: Job, lang: str) -> Any:
    """A card saying the work is under way: a spinner, the seconds so far, parts done when several."""
    words = t("job.queued", lang) if job.state == "queued" else t("job.running", lang, seconds=int(job.elapsed_s))
    body: list[Any] = [html.Div([dbc.Spinner(size="sm", color="primary", spinner_class_name="me-2"),
                                 html.Span(words, className="job-words")],
                                className="d-flex align-items-center")]
    if job.total > 1:
        body.append(dbc.Progress(value=100 * job.done / job.total, label=t("job.parts", lang, done=job.done,
                                                                            total=job.total),
                                 className="job-progress mt-2", style={"height": "1.1rem"}))
    marks: dict[str, Any] = {"data-job": job.id, "aria-busy": "true"}
    return html.Div(dbc.Card(dbc.CardBody(body), className=f"answer-card job-card job-{job.state}"),
                    role="status", **marks)


def job_turns(ctx: AppContext, job_ids: Sequence[str], lang: str) -> list[Any]:
    """A thread turn for each job still running: the question's bubble, then its progress."""
    turns = []
    for job_id in job_ids:
        job = ctx.jobs.status(job_id)
        if job is None or job.finished:
            continue
        parts: list[Any] = []
        if job.title:
            parts.append(html.Div(html.Div(job.title, className="bubble"), className="user-turn"))
        parts.append(html.Div(progress_card(job, lang), id={"type": "job-slot", "job": job.id}, className="bot-turn"))
        parts.append(dcc.Interval(id={"type": "job-tick", "job": job.id}, interval=POLL_MS, n_intervals=0))
        turns.append(html.Div(parts, className="turn job-turn", id={"type": "turn", "answer": f"job-{job.id}"}))
    return turns


def job_result_cards(ctx: AppContext, job: Job, lang: str) -> list[Any]:
    """What a finished job shows: its answers' cards, or why there are none."""
    if job.state == "lost":
        return [error_card(t("job.lost", lang), lang)]
    if job.state == "failed":
        return [error_card(t("job.failed", lang, error=job.error or ""), lang)]
    session = ctx.session(job.session)
    cards = []
    for answer_id in job.results.values():
        answer = session.get(answer_id)
        cards.append(answer_card(ctx.chatbi, answer, answer_id, lang) if answer is not None
                     else error_card(t("card.expired", lang), lang))
    return cards


def register_progress(app: dash.Dash, ctx: AppContext) -> None:
    @app.callback(Output({"type": "job-slot", "job": MATCH}, "children"),
                  Output({"type": "job-tick", "job": MATCH}, "disabled"),
                  Input({"type": "job-tick", "job": MATCH}, "n_intervals"), State("lang", "data"),
                  prevent_initial_call=True)
    def _on_tick(_n: int | None, lang: str | None) -> tuple[Any, bool]:
        lang = lang or ctx.default_language
        job = ctx.jobs.status(str(dash.ctx.triggered_id["job"]))
        if job is None or job.session != current_session_id():  # gone, or not this browser's
            return error_card(t("card.expired", lang), lang), True
        if not job.finished:
            return progress_card(job, lang), False
        ctx.session(job.session).drop_job(job.id)
        return job_result_cards(ctx, job, lang), True
