"""Root cause: why the chosen metrics and the largest moves changed, along dimension and metric trees.

Each explanation is ``ChatBI.explain_change`` (contributions that add up to the change, the
strongest combination of members, the metric tree); its text is the analysis' own summary, so the
report and the app's "why?" answer say the same thing.
"""

from __future__ import annotations

import math
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from semantic_layer.spec import DerivedMetricSpec, RatioMetricSpec

from ...charts.numbers import format_change
from ..context import Context
from ..result import Section, Table, Text
from ..spec import KpiSpec, RootCauseSpec, text_in
from .breakdown import _signed
from .kpis import visible_metrics

__all__ = ["build", "largest_moves"]

#: contributors listed under each explanation
_ROWS = 5


def _core(model: Any, metric: str) -> frozenset[str]:
    """What a metric is "about": a ratio is about its numerator (ARPU about revenue), others their leaves."""
    spec = model.metric(metric)
    if isinstance(spec, RatioMetricSpec):
        return _core(model, spec.numerator)
    return frozenset(model.leaf_metrics(metric)) or frozenset({metric})


def largest_moves(ctx: Context, candidates: tuple[str, ...], n: int, compare: str, chosen: list[str],
                  filters: tuple[Any, ...]) -> tuple[list[str], tuple[int, ...]]:
    """The ``n`` candidates with the largest relative change that are not about an already chosen metric.

    A ratio whose numerator is a candidate is represented by the numerator (投诉量 rather than
    万户投诉率): the count is what a reader acts on, and the explanation is the same story.
    """
    if n <= 0 or not candidates:
        return [], ()
    answer, ids = ctx.run("root cause: largest moves", metrics=candidates, filters=filters, compare=compare)
    if not answer.ok or answer.data is None or answer.data.empty:
        return [], ids
    row = answer.data.iloc[0]
    moves = []
    for m in candidates:
        spec = ctx.model.metric(m)
        if isinstance(spec, DerivedMetricSpec) and "-" in spec.formula:
            continue  # the relative change of a difference (net adds) says little: it may cross zero
        pct = row.get(f"{m}__change_pct")
        if pct is not None and pct == pct:
            moves.append((abs(float(pct)), m))
    seen = [_core(ctx.model, m) for m in chosen]
    picked: list[str] = []
    for _, m in sorted(moves, reverse=True):
        spec = ctx.model.metric(m)
        if isinstance(spec, RatioMetricSpec) and spec.numerator in candidates:
            m = spec.numerator
        core = _core(ctx.model, m)
        if any(core & s for s in seen):
            continue
        picked.append(m)
        seen.append(core)
        if len(picked) == n:
            break
    return picked, ids


def build(ctx: Context, spec: RootCauseSpec) -> Section:
    title = text_in(spec.title, ctx.language) or ctx.say("section.root_cause")
    metrics = list(visible_metrics(ctx, spec.metrics))
    kpi_metrics = tuple(m for s in ctx.spec.sections if isinstance(s, KpiSpec) for m in s.metrics)
    candidates = visible_metrics(ctx, kpi_metrics or spec.metrics)
    extra, rank_sql = largest_moves(ctx, candidates, spec.largest, spec.compare, metrics, spec.filters)
    metrics += [m for m in extra if m not in metrics]
    baseline = ctx.comparison(spec.compare)

    def explain(metric: str) -> Any:
        return ctx.bi.explain_change(metric, ctx.period, baseline=baseline, filters=list(spec.filters) or None,
                                     dimensions=list(spec.dimensions) if spec.dimensions else None,
                                     language=ctx.language)

    def safe(metric: str) -> Any:
        try:
            return explain(metric)
        except (ValueError, KeyError, RuntimeError) as exc:
            return exc

    with ThreadPoolExecutor(max_workers=min(3, max(1, len(metrics)))) as pool:
        reports = list(pool.map(safe, metrics))
    blocks: list[Any] = []
    if spec.intro:
        blocks.append(Text(text_in(spec.intro, ctx.language) or "", "lead"))
    if extra:
        blocks.append(Text(ctx.say("root_cause.chosen", metrics=ctx.say("list_sep").join(ctx.label(m) for m in extra),
                                   compare=ctx.compare_label(spec.compare)), "note", rank_sql))
    sql: list[int] = list(rank_sql)
    done, highlights = [], []
    for metric, report in zip(metrics, reports):
        blocks.append(Text(ctx.label(metric), "question"))
        if isinstance(report, Exception):
            blocks.append(Text(ctx.say("failed", reason=str(report.args[0]) if report.args else type(report).__name__),
                               "warning"))
            continue
        ids = ctx.record("root cause", report.sql)
        sql += ids
        done.append(report)
        blocks.append(Text(report.text, sql=ids))
        chart = ctx.chart("root-cause", report.figure, ids, height=360)
        if chart is not None:
            blocks.append(chart)
        table = _contributors(ctx, metric, report, ids)
        if table is not None:
            blocks.append(table)
        highlights.append(_highlight(ctx, report))
    return Section("root_cause", ctx.key("root_cause"), title, tuple(blocks), tuple(done),
                   tuple(dict.fromkeys(sql)), tuple(h for h in highlights if h))


def _contributors(ctx: Context, metric: str, report: Any, ids: tuple[int, ...]) -> Table | None:
    rows: list[tuple[str, ...]] = []
    for c in report.combinations[:3]:
        rows.append((c.label, ctx.value(metric, c.baseline), ctx.value(metric, c.current), _signed(ctx, metric, c.change),
                     _signed(ctx, metric, c.excess), format_change(c.deviation)))
    for c in [c for c in report.contributors if not c.path][: _ROWS - len(rows)]:
        if any(c.label == r[0] for r in rows):
            continue
        deviation = c.excess / c.expected if c.expected else None
        rows.append((c.label, ctx.value(metric, c.baseline), ctx.value(metric, c.current), _signed(ctx, metric, c.change),
                     _signed(ctx, metric, c.excess), format_change(deviation)))
    if not rows:
        return None
    columns = tuple(ctx.say(f"col.{c}") for c in ("segment", "baseline", "current", "change", "excess", "deviation"))
    return Table(columns, tuple(rows), ("l", "r", "r", "r", "r", "r"), (), ids)


def _highlight(ctx: Context, report: Any) -> str:
    """The change and its main driver in one sentence."""
    change = ctx.delta(report.metric, report.total_change, report.change_pct)
    if report.combinations and math.isfinite(report.combinations[0].deviation):
        top = report.combinations[0]
        return ctx.say("root_cause.highlight", metric=report.metric_label, change=change, driver=top.label,
                       deviation=format_change(top.deviation), compare=ctx.compare_label(_compare(ctx, report)))
    if report.combinations or report.contributors:
        driver = report.combinations[0].label if report.combinations else report.contributors[0].label
        key = "root_cause.mainly" if report.combinations else "root_cause.broad"
        return ctx.say(key, metric=report.metric_label, change=change, driver=driver,
                       compare=ctx.compare_label(_compare(ctx, report)))
    return ""


def _compare(ctx: Context, report: Any) -> str:
    return "previous_period" if report.baseline_period == ctx.comparison("previous_period") else "year_over_year"
