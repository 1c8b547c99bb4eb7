"""Breakdown: one metric by the members of a dimension, against a comparison, with the top movers.

The movers are the rows of the same governed result ranked by their change; nothing is
recomputed outside SQL.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from ...charts.formatting import metric_format
from ...charts.numbers import format_delta
from ..context import Context, tone
from ..result import Mover, Section, Table, Text
from ..spec import BreakdownSpec, text_in

__all__ = ["build", "movers"]


def movers(ctx: Context, frame: pd.DataFrame, metric: str, by: str, top: int) -> tuple[list[Mover], list[Mover]]:
    """The ``top`` members that rose most and the ``top`` that fell most (by absolute change)."""
    change = f"{metric}__change"
    if frame is None or frame.empty or change not in frame.columns or top <= 0:
        return [], []
    data = frame[frame[change].notna()]

    def mover(row: Any) -> Mover:
        member = str(row[by])
        get = (lambda col: float(row[col]) if col in row.index and row[col] == row[col] else None)  # noqa: E731
        return Mover(by, member, ctx.member(by, member), get(metric), get(f"{metric}__previous"), get(change),
                     get(f"{metric}__change_pct"))

    ups = [mover(r) for _, r in data[data[change] > 0].sort_values(change, ascending=False).head(top).iterrows()]
    downs = [mover(r) for _, r in data[data[change] < 0].sort_values(change).head(top).iterrows()]
    return ups, downs


def build(ctx: Context, spec: BreakdownSpec) -> Section:
    metric_label, by_label = ctx.label(spec.metric), ctx.label(spec.by)
    title = text_in(spec.title, ctx.language) or ctx.say("section.breakdown", metric=metric_label, by=by_label)
    answer, ids = ctx.run("breakdown", metrics=(spec.metric,), dimensions=(spec.by,), filters=spec.filters,
                          compare=spec.compare, order_by=(f"-{spec.metric}",))
    blocks: list[Any] = []
    if spec.intro:
        blocks.append(Text(text_in(spec.intro, ctx.language) or "", "lead"))
    if not answer.ok:
        return Section("breakdown", ctx.key("breakdown"), title, (*blocks, ctx.failed(answer)), sql=ids,
                       error=answer.error)
    blocks.append(Text(answer.text, sql=ids))
    members = len(answer.data) if answer.data is not None else 0
    # a bar per member: tall enough that every member keeps its label (11 provinces, 12 blocks)
    chart = ctx.chart("breakdown", answer.figure, ids, height=max(360, 30 * members + 140))
    if chart is not None:
        blocks.append(chart)
    ups, downs = movers(ctx, answer.data, spec.metric, spec.by, spec.top)
    favorable = ctx.favorable(spec.metric)
    compare = ctx.compare_label(spec.compare)
    if ups or downs:
        rows: list[tuple[str, ...]] = []
        tones: list[tuple[str, ...]] = []
        for m in [*ups, *downs]:
            rows.append((m.label, ctx.value(spec.metric, m.value), ctx.value(spec.metric, m.previous),
                         _signed(ctx, spec.metric, m.change), ctx.delta(spec.metric, m.change, m.change_pct)))
            t = tone(m.change, favorable)
            tones.append(("", "", "", t, t))
        blocks.append(Text(ctx.say("breakdown.movers", top=spec.top, compare=compare, by=by_label), "body"))
        blocks.append(Table((by_label, ctx.say("col.current"), ctx.say(f"col.{spec.compare}"), ctx.say("col.change"),
                             ctx.say("col.change_pct")), tuple(rows), ("l", "r", "r", "r", "r"), tuple(tones), ids))
    highlights = []
    worst = downs[0] if downs and favorable != "down" else ups[0] if ups and favorable == "down" else None
    if worst is not None:
        highlights.append(ctx.say("breakdown.highlight", member=worst.label, metric=metric_label, compare=compare, by=by_label,
                                  change=ctx.delta(spec.metric, worst.change, worst.change_pct),
                                  delta=_signed(ctx, spec.metric, worst.change)))
    return Section("breakdown", ctx.key("breakdown"), title, tuple(blocks), (answer, *ups, *downs), ids,
                   tuple(highlights))


def _signed(ctx: Context, metric: str, change: float | None) -> str:
    """A change with its sign in the metric's unit (percentage points for rates)."""
    fmt, unit = metric_format(ctx.model, metric)
    return format_delta(change, fmt, unit, ctx.language) if change is not None else "—"
