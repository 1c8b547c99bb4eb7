"""Free questions: answered as if asked at the end of the report's period, embedded with their chart.

The question goes through the same translator and pipeline as in the app. The ChatBI the report
uses is anchored at the period's end, so "近三个月" / "last 3 months" are the three months up to the
period; a question without any time words is about the period itself (or, for a trend, the report's
trend window) rather than about all data.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from semantic_layer import RelativeTimeFilter, SemanticQuery, TimeRange
from semantic_layer.model import DimensionRef
from semantic_layer.query import MemberFilter, RangeFilter

from ...charts.formatting import column_format
from ...charts.numbers import format_value
from ..context import Context
from ..period import default_window, window
from ..result import Section, Table, Text
from ..scope import coarser_or_same, merged, regroup, related, scopable
from ..spec import QuestionSpec, text_in

__all__ = ["build", "answer_in_period"]

_MAX_ROWS = 12


def _translator(bi: Any) -> Any:
    from ...translate import OfflineTranslator, Translator

    chosen = getattr(bi, "translator", None)
    return chosen if isinstance(chosen, Translator) else OfflineTranslator()


def _has_time(ctx: Context, query: SemanticQuery) -> bool:
    time_dim = ctx.model.time_dimension
    return query.time_range is not None or any(
        isinstance(f, RelativeTimeFilter) or (isinstance(f, RangeFilter) and (f.dimension or "").partition(".")[0] == time_dim)
        for f in query.filters)


def _grain(ctx: Context, query: SemanticQuery) -> str | None:
    for d in query.dimensions:
        ref = DimensionRef.parse(d)
        if ref.name == ctx.model.time_dimension:
            return ref.grain or "day"
    return None


def answer_in_period(ctx: Context, question: str) -> Any:
    """The answer to ``question`` in the report's frame (see the module docstring)."""
    return _answer(ctx, question)[0]


def _answer(ctx: Context, question: str) -> tuple[Any, str | None]:
    """The answer, and the dimension its rows were regrouped by to fit the report's scope (or None)."""
    from ...translate import TranslationContext

    bi = ctx.bi
    context = TranslationContext(model=bi.model, members=bi.members, anchor=bi.anchor, language=ctx.language)
    translation = _translator(bi).translate(question, context)
    query = translation.query
    if translation.status != "ok" or query is None:
        return bi.ask(question, language=ctx.language), None  # asked back or refused: no numbers either way
    regrouped = None
    if ctx.scope:  # a report about Guangdong answers its questions about Guangdong only
        # the members the question names, also where the query keeps them as a grouping ("广东的收入占比")
        named = (*query.filters, *_named(ctx, translation))
        if (translation.intent not in ("query", "list", "why", "compare") or ctx.scope_rows.outside(named, strict=True)
                or (query.share and _about_scope_level(ctx, query, named))  # "广东的收入占比": a share of the whole
                or not all(scopable(ctx.model, ctx.scope, m) for m in query.metrics)):
            return _outside(ctx, question, translation), None
        query, regrouped = _scoped(ctx, query)
        if regrouped == "" and (query.order_by or query.limit):  # "收入最高的大区" in 深圳's report: no ranking left
            return _outside(ctx, question, translation), None
    elif _has_time(ctx, query):
        return bi.ask(question, language=ctx.language), None  # as asked (relative times end with the period)
    if not _has_time(ctx, query):
        grain = _grain(ctx, query)
        span = ctx.period if grain is None else window(ctx.period, grain, default_window(grain))
        query = query.model_copy(update={"time_range": TimeRange(start=span[0], end=span[1])})
    # a scoped "why" question is explained within the scope; elsewhere the numbers, as before
    intent = translation.intent if ctx.scope else "query"
    answer = bi.run(query, question=question, language=ctx.language, intent=intent)
    return dataclasses.replace(answer, understood=translation.understood), regrouped


def _named(ctx: Context, translation: Any) -> tuple[MemberFilter, ...]:
    """The members a question named, from what the translator understood ("province = 广东")."""
    out = []
    for item in translation.understood:
        dim, sep, value = str(item.get("value", "")).partition(" = ")
        if item.get("kind") == "filter" and sep and dim in ctx.model.dimensions and value:
            out.append(MemberFilter(op="in", dimension=dim, values=(value,)))
    return tuple(out)


def _about_scope_level(ctx: Context, query: SemanticQuery, named: tuple[Any, ...]) -> bool:
    """Whether the question names a member of the scope's hierarchy, or groups by the scope's dimension
    or a coarser level: a share of that ("广东的收入占比", "各省收入占比") is a share of more than the
    scope holds. A finer grouping (各城市收入占比 in 广东's report) is a share within the scope."""
    if any(isinstance(f, MemberFilter) and related(ctx.model, f.dimension, g.dimension)
           for f in named for g in ctx.scope):
        return True
    names = [DimensionRef.parse(d).name for d in query.dimensions]
    return any(name in coarser_or_same(ctx.model, g.dimension) for name in names for g in ctx.scope)


def _redundant(ctx: Context, filters: tuple[Any, ...]) -> tuple[Any, ...]:
    """Scope filters a question's own narrower filter already implies (深圳 in 广东's report): after the
    scope check, "江苏的收入" in 华东's report is 江苏's, named once."""
    own = [f for f in filters if isinstance(f, MemberFilter) and f.op == "in" and f not in ctx.scope]

    def implied(g: Any) -> bool:
        return any(g.dimension in coarser_or_same(ctx.model, f.dimension) for f in own)

    return tuple(f for f in filters if f not in ctx.scope or not implied(f))


def _scoped(ctx: Context, query: SemanticQuery) -> tuple[SemanticQuery, str | None]:
    """``query`` within the report's scope: its filters added, a grouping by a pinned dimension one level
    down (or dropped: a city's report has one province). Also returns the new grouping ("" when dropped)."""
    dims, regrouped = [], None
    for d in query.dimensions:
        moved = regroup(ctx.model, ctx.scope, d, query.metrics)
        if moved != d:
            regrouped = moved or ""
        if moved is not None:
            dims.append(moved)
    return query.model_copy(update={"filters": _redundant(ctx, merged(ctx.scope, query.filters)),
                                    "dimensions": tuple(dict.fromkeys(dims))}), regrouped


def _outside(ctx: Context, question: str, translation: Any) -> Any:
    from ...answer import Answer

    text = ctx.say("question.outside", scope=ctx.scope_label())
    return Answer(status="error", question=question, text=text, error=text, language=ctx.language,
                  understood=translation.understood)


def build(ctx: Context, spec: QuestionSpec) -> Section:
    question = text_in(spec.question, ctx.language) or ""
    title = text_in(spec.title, ctx.language) or question
    answer, regrouped = _answer(ctx, question)
    if regrouped:  # "分省离网率" in Guangdong's report: its cities, and the title says so
        title += ctx.say("question.regrouped", scope=ctx.scope_label(), by=ctx.label(regrouped))
    elif regrouped is not None:  # ... in Guangzhou's report: Guangzhou's rate alone
        title += ctx.say("question.scoped", scope=ctx.scope_label())
    ids = ctx.record("question", [answer.sql, *getattr(answer.report, "sql", ())])
    blocks: list[Any] = []
    if spec.intro:
        blocks.append(Text(text_in(spec.intro, ctx.language) or "", "lead"))
    if title != question:
        blocks.append(Text(question, "question"))
    if answer.status == "clarify":
        options = ctx.say("list_sep").join(o.label for o in answer.clarification)
        blocks.append(Text(ctx.say("question.unclear", text=answer.text, options=options), "warning"))
        return Section("question", ctx.key("question"), title, tuple(blocks), (answer,), ids, error=answer.text)
    if not answer.ok:
        blocks.append(ctx.failed(answer))
        return Section("question", ctx.key("question"), title, tuple(blocks), (answer,), ids, error=answer.error)
    blocks.append(Text(answer.text, sql=ids))
    figure = getattr(answer.report, "figure", None) or answer.figure
    chart = ctx.chart("question", figure, ids)
    if chart is not None:
        blocks.append(chart)
    else:
        table = _table(ctx, answer, ids)
        if table is not None:
            blocks.append(table)
    return Section("question", ctx.key("question"), title, tuple(blocks), (answer,), ids)


def _table(ctx: Context, answer: Any, ids: tuple[int, ...]) -> Table | None:
    frame = answer.data
    if frame is None or frame.empty:
        return None
    data = frame.head(_MAX_ROWS)
    columns, align = [], []
    for col in data.columns:
        base = str(col).partition("__")[0]
        columns.append(ctx.label(base) if base in ctx.model.metrics or base in ctx.model.dimensions else str(col))
        align.append("r" if base in ctx.model.metrics else "l")
    rows = []
    for _, row in data.iterrows():
        cells = []
        for col in data.columns:
            base = str(col).partition("__")[0]
            if base in ctx.model.metrics:
                fmt, unit = column_format(ctx.model, str(col))
                cells.append(format_value(row[col], fmt, unit, ctx.language))
            elif base in ctx.model.dimensions and ctx.model.dimensions[base].type != "time":
                cells.append(ctx.member(base, row[col]))
            else:
                cells.append(str(row[col])[:10] if row[col] is not None else "—")
        rows.append(tuple(cells))
    return Table(tuple(columns), tuple(rows), tuple(align), (), ids)
