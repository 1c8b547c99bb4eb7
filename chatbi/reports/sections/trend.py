"""Trends: each metric over the buckets that end with the period, as the answer to a trend question.

Every chart and sentence is what ``ChatBI.run`` gives a trend query (``chatbi.charts`` picks the
line, ``chatbi.narrative`` words first, last and peak), so the report reads like the app.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

from ..context import Context
from ..period import default_grain, default_window, window
from ..result import Section, Text
from ..spec import TrendSpec, text_in
from .kpis import visible_metrics

__all__ = ["build"]


def build(ctx: Context, spec: TrendSpec) -> Section:
    title = text_in(spec.title, ctx.language) or ctx.say("section.trend")
    grain = spec.grain or default_grain(ctx.unit)
    span = window(ctx.period, grain, spec.window or default_window(ctx.unit))
    time_dim = f"{ctx.model.time_dimension}.{grain}"
    dims = (time_dim, spec.by) if spec.by else (time_dim,)
    metrics = visible_metrics(ctx, spec.metrics)

    def one(metric: str) -> tuple[Any, tuple[int, ...]]:
        return ctx.run("trend", metrics=(metric,), dimensions=dims, period=span, filters=spec.filters)

    with ThreadPoolExecutor(max_workers=min(3, max(1, len(metrics)))) as pool:
        results = list(pool.map(one, metrics))
    blocks: list[Any] = []
    if spec.intro:
        blocks.append(Text(text_in(spec.intro, ctx.language) or "", "lead"))
    blocks.append(Text(ctx.say("trend.window", period=ctx.period_label(span), grain=ctx.say(f"grain.{grain}")),
                       "note"))
    sql: list[int] = []
    answers = []
    for answer, ids in results:
        sql += ids
        if not answer.ok:
            blocks.append(ctx.failed(answer))
            continue
        answers.append(answer)
        chart = ctx.chart("trend", answer.figure, ids, caption=answer.text)
        if chart is not None:
            blocks.append(chart)
        else:
            blocks.append(Text(answer.text, sql=ids))
    return Section("trend", ctx.key("trend"), title, tuple(blocks), tuple(answers), tuple(dict.fromkeys(sql)))
