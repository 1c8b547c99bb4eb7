"""KPI overview: each metric's value in the period, against the previous period and a year ago.

One governed query per comparison covers every metric (the compiler aggregates each fact table
separately); a metric that fails alone (no data, not allowed) is shown as "—" rather than
failing the tiles of the others.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pandas as pd

from semantic_layer import MemberFilter

from ..context import Context
from ..result import KpiRow, Section, Text, Tile, Tiles
from ..spec import KpiSpec, text_in

__all__ = ["build", "visible_metrics"]


def visible_metrics(ctx: Context, metrics: tuple[str, ...]) -> tuple[str, ...]:
    """``metrics`` without those the viewer's policy hides (for them such metrics do not exist)."""
    withheld: frozenset[str] = getattr(getattr(ctx.bi.members, "members", None), "withheld", frozenset())
    return tuple(m for m in dict.fromkeys(metrics) if m not in withheld)


def _fetch(ctx: Context, spec: KpiSpec, metrics: tuple[str, ...], compare: str | None
           ) -> tuple[dict[str, dict[str, Any]], tuple[int, ...], list[str]]:
    """metric -> {value, previous, change, change_pct}, the SQL ids, and the metrics that failed."""
    answer, ids = ctx.run("kpis", metrics=metrics, filters=spec.filters, compare=compare)
    if answer.ok:
        return _values(answer.data, metrics), ids, []
    if len(metrics) == 1:
        return {}, ids, list(metrics)
    # one metric the warehouse or the policy refuses must not blank the others
    out: dict[str, dict[str, Any]] = {}
    all_ids: list[int] = list(ids)
    failed: list[str] = []
    for metric in metrics:
        values, more, bad = _fetch(ctx, spec, (metric,), compare)
        out.update(values)
        all_ids += more
        failed += bad
    return out, tuple(dict.fromkeys(all_ids)), failed


def _values(frame: pd.DataFrame | None, metrics: tuple[str, ...]) -> dict[str, dict[str, Any]]:
    if frame is None or frame.empty:
        return {m: {} for m in metrics}
    row = frame.iloc[0]

    def get(col: str) -> float | None:
        return _number(row[col]) if col in row.index else None

    return {m: {"value": get(m), "previous": get(f"{m}__previous"), "change": get(f"{m}__change"),
                "change_pct": get(f"{m}__change_pct")} for m in metrics}


def _number(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return None if number != number else number


def build(ctx: Context, spec: KpiSpec) -> Section:
    title = text_in(spec.title, ctx.language) or ctx.say("section.kpis")
    metrics = visible_metrics(ctx, spec.metrics)
    compares: list[str | None] = list(spec.compare) or [None]
    with ThreadPoolExecutor(max_workers=len(compares)) as pool:
        fetched = list(pool.map(lambda c: _fetch(ctx, spec, metrics, c), compares))
    rows: list[KpiRow] = []
    failed = sorted({m for _, _, bad in fetched for m in bad}, key=metrics.index)
    sql = tuple(dict.fromkeys(i for _, ids, _ in fetched for i in ids))
    for metric in metrics:
        if metric in failed:
            continue
        value = next((v[metric].get("value") for v, _, _ in fetched if v.get(metric)), None)
        comparisons = {c: (v[metric].get("previous"), v[metric].get("change"), v[metric].get("change_pct"))
                       for c, (v, _, _) in zip(compares, fetched) if c is not None and v.get(metric) is not None}
        spec_m = ctx.model.metric(metric)
        rows.append(KpiRow(metric, ctx.label(metric), value, comparisons, spec_m.format, spec_m.unit,
                           ctx.favorable(metric), sql))
    tiles = tuple(Tile(r.label, ctx.value(r.metric, r.value), ctx.deltas(r.metric, r.comparisons), r.sql)
                  for r in rows)
    blocks: list[Any] = []
    if spec.intro:
        blocks.append(Text(text_in(spec.intro, ctx.language) or "", "lead"))
    blocks.append(Tiles(tiles))
    scope = _scope(ctx, spec)
    if scope:
        blocks.append(Text(scope, "note"))
    if failed:
        blocks.append(Text(ctx.say("kpis.failed", metrics=ctx.say("list_sep").join(ctx.label(m) for m in failed)),
                           "warning"))
    return Section("kpis", ctx.key("kpis"), title, tuple(blocks), tuple(rows), sql, _highlights(ctx, rows))


def _scope(ctx: Context, spec: KpiSpec) -> str:
    """The filters of the section in words (``仅含：广东、5G``)."""
    from ..scope import scope_label

    filters = tuple(f for f in spec.filters if isinstance(f, MemberFilter))
    return ctx.say("scope", members=scope_label(filters, ctx.bi.members, ctx.language)) if filters else ""


def _highlights(ctx: Context, rows: list[KpiRow]) -> tuple[str, ...]:
    """The first three KPIs in one sentence each: value and every comparison."""
    out = []
    for r in rows[:3]:
        if r.value is None:
            continue
        changes = ctx.say("list_sep").join(
            ctx.say("kpi.change", compare=ctx.compare_label(kind), change=ctx.delta(r.metric, change, pct))
            for kind, (_, change, pct) in r.comparisons.items() if change is not None)
        out.append(ctx.say("kpi.highlight", metric=r.label, value=ctx.value(r.metric, r.value),
                           changes=(ctx.say("kpi.changes", changes=changes) if changes else "")))
    return tuple(out)
