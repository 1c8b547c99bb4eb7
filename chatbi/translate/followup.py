"""Drafts from a parsed question: a fresh one, or the previous one modified by a follow-up.

Follow-ups change only what they mention: "只看5G" replaces the filter on plan type and keeps
everything else, "那去年呢?" replaces the period, "换成ARPU" the metric (and the ranking that
used the old metric), "and by channel?" adds a breakdown -- replacing one at another level of
the same hierarchy, so "按城市拆分" after "by province" drills down instead of crossing.
They also edit: "前一个月呢?" / "the quarter before?" / "去年同期呢?" move the period back,
"不按省份看了" / "without the channel breakdown" take a breakdown away, "drop the Guangdong
filter" a filter, and "去掉广东" after "广东和浙江" takes Guangdong off the list.
"""

from __future__ import annotations

import calendar
import datetime as dt

from semantic_layer import MemberFilter, RelativeTimeFilter, SemanticModel, TimeRange

from ..answer import Intent
from .base import Draft
from .parse import Parsed
from .periods import Shift, shift_relative, shifted

__all__ = ["fresh_draft", "merge_draft", "is_followup", "resolves_pending"]


def is_followup(p: Parsed) -> bool:
    """Does the question lean on the previous one?"""
    if p.flags & {"followup", "replace", "add", "only"} or p.edits:
        return True
    if "list" in p.intents and not p.metrics:
        return False
    if p.metrics:
        return False
    if "why" in p.intents:
        return True  # "为什么?" right after an answer asks about that answer
    return p.mapped or "drill" in p.intents or p.share or p.compare is not None or p.growth


def resolves_pending(p: Parsed, kind: str) -> bool:
    """Does the question answer the clarification waiting in the conversation?"""
    if kind in ("metric", "metric_add"):
        return bool(p.metrics) and not p.fragments and (p.bare_metrics or bool(p.flags))
    if kind == "dimension":
        return bool(p.dims or p.grain) and not p.metrics
    if kind == "member":
        return bool(p.members) and not p.metrics and not p.ambiguous_members
    if kind == "period":  # "2024年" after "which of the two periods?"
        return p.has_time and not p.metrics
    return False


def _time_dims(model: SemanticModel, p: Parsed) -> list[str]:
    grain = p.grain or p.time_group
    return [f"{model.time_dimension}.{grain}"] if grain else []


def _drill_target(model: SemanticModel, dims: list[str], members: tuple[MemberFilter, ...]) -> tuple[str, str] | None:
    """(dimension to replace or '', its child) for "下钻" without a named dimension."""
    for d in reversed(dims):
        if "." not in d and model.child_level(d):
            return d, model.child_level(d)  # type: ignore[return-value]
    for f in members:
        child = model.child_level(f.dimension)
        if f.op == "in" and child and "." not in child:
            return "", child
    return None


def fresh_draft(p: Parsed, model: SemanticModel) -> Draft:
    dims = _time_dims(model, p) + list(p.dims)
    for d in p.compared_dims:
        if d not in dims:
            dims.append(d)
    members = tuple(p.members)
    if p.share and not [d for d in dims if "." not in d]:
        # "5G收入占比": the share of 5G needs the other plan types as the total
        single = [f for f in members if f.op == "in" and len(f.values) == 1]
        if len(single) == 1:
            dims.append(single[0].dimension)
            members = tuple(f for f in members if f is not single[0])
    if "drill" in p.intents and not p.dims:
        target = _drill_target(model, dims, members)
        if target:
            dims = [d for d in dims if d != target[0]] + [target[1]]
    intent = _intent(p)
    relative = tuple(p.relative)
    compare = p.compare or ("previous_period" if p.growth else None)
    if p.shift is not None and p.shift.unit == "same_year":
        compare = compare or "year_over_year"  # "去年同期的收入" asked afresh: against the same period a year before
    elif p.shift is not None and not p.has_time:
        # "前一个月的收入" with nothing before it: the unit before the anchor's ("the previous month")
        unit = p.shift.unit if p.shift.unit in ("day", "week", "month", "quarter", "year") else "month"
        relative = (RelativeTimeFilter(op="relative", unit=unit, n=1, offset=1),)  # type: ignore[arg-type]
    dims = [d for d in dims if d not in p.drop_dims]
    return Draft(metrics=tuple(p.metrics), dimensions=tuple(dict.fromkeys(dims)), members=members,
                 thresholds=tuple(p.thresholds), time_range=p.time_range, relative=relative,
                 dated=tuple(p.dated), compare=compare, baseline=p.baseline,
                 share=p.share, order=p.order, rank_metric=p.rank_metric, limit=p.limit, intent=intent)


def _intent(p: Parsed) -> Intent:
    if "why" in p.intents:
        return "why"
    if "list" in p.intents and not p.metrics:
        return "list"
    if p.compared_dims and "vs" in p.intents:
        return "compare"
    return "query"


def merge_draft(prev: Draft, p: Parsed, model: SemanticModel, *, add_metrics: bool = False,
                anchor: dt.date | None = None) -> Draft:
    d = prev
    if p.metrics:
        if add_metrics or "add" in p.flags:
            metrics = tuple(dict.fromkeys((*prev.metrics, *p.metrics)))
        else:
            metrics = tuple(p.metrics)
        rank = p.rank_metric or (prev.rank_metric if prev.rank_metric in metrics else None)
        d = d.with_(metrics=metrics, rank_metric=rank,
                    thresholds=tuple(t for t in prev.thresholds if t.metric in metrics) + tuple(p.thresholds))
    elif p.thresholds:
        d = d.with_(thresholds=tuple(t for t in prev.thresholds if t.metric not in {x.metric for x in p.thresholds})
                    + tuple(p.thresholds))
    d = _merge_dimensions(d, p, model)
    d = _merge_members(d, p)
    if p.has_time or p.time_group:
        shifted = _same_period_in_year(prev, p, anchor)
        before = None if shifted is not None else _one_before_when_repeated(prev, p, anchor)
        if shifted is not None:
            d = d.with_(time_range=shifted, relative=())  # "2025年11月 ..." then "那去年呢?" = 2024年11月
        elif before is not None:
            d = d.with_(time_range=before, relative=())
        else:
            d = d.with_(time_range=p.time_range, relative=tuple(p.relative))
    elif p.shift is not None:
        d = _shift_period(d, p.shift, anchor)  # "前一个月呢?", "去年同期呢?", "the quarter before?"
    if p.compare or p.growth:
        d = d.with_(compare=p.compare or "previous_period", baseline=p.baseline)
    if p.share:
        d = d.with_(share=True)
    if p.limit is not None or p.order is not None:
        d = d.with_(order=p.order or d.order or "desc", limit=p.limit,
                    rank_metric=p.rank_metric or d.rank_metric)
    intent = _intent(p)
    if intent != "query":
        d = d.with_(intent=intent)
    return d


def _merge_members(d: Draft, p: Parsed) -> Draft:
    """New member filters replace those on the same dimension; a negated member the previous
    question listed is taken off that list ("广东和浙江" then "去掉广东" is 浙江); a dropped filter goes."""
    kept = list(d.members)
    for dim, value in p.drop_filters:
        kept = [f for f in kept if f.dimension != dim or (value is not None and value not in f.values)] + \
            [_without(f, value) for f in kept if f.dimension == dim and value is not None and value in f.values
             and len(f.values) > 1]
    new = []
    for f in p.members:
        listed = [g for g in kept if g.dimension == f.dimension and g.op == "in" and set(f.values) & set(g.values)]
        if f.op == "not_in" and listed:
            kept = [g for g in kept if g is not listed[0]]
            rest = tuple(v for v in listed[0].values if v not in f.values)
            if rest:
                new.append(MemberFilter(op="in", dimension=f.dimension, values=rest))
            continue
        kept = [g for g in kept if g.dimension != f.dimension]
        new.append(f)
    return d.with_(members=tuple(kept) + tuple(new))


def _without(f: MemberFilter, value: str) -> MemberFilter:
    return MemberFilter(op=f.op, dimension=f.dimension, values=tuple(v for v in f.values if v != value))


def _shift_period(d: Draft, shift: Shift, anchor: dt.date | None) -> Draft:
    """The previous period moved back by the shift (relative periods stay relative when they can)."""
    if d.relative and d.time_range is None and len(d.relative) == 1:
        rel = d.relative[0]
        moved = shift_relative((rel.unit, rel.n, rel.offset), shift)
        if moved is not None:
            return d.with_(relative=(RelativeTimeFilter(op="relative", unit=moved[0], n=moved[1],  # type: ignore[arg-type]
                                                        offset=moved[2]),))
    period = _period_of(d, anchor)
    if period is None:
        unit = shift.unit if shift.unit in ("day", "week", "month", "quarter", "year") else "month"
        if shift.unit == "same_year":
            return d.with_(compare="year_over_year")
        return d.with_(relative=(RelativeTimeFilter(op="relative", unit=unit, n=1, offset=1),))  # type: ignore[arg-type]
    start, end = shifted(period, shift)
    return d.with_(time_range=TimeRange(start=start, end=end), relative=())


def _one_before_when_repeated(prev: Draft, p: Parsed, anchor: dt.date | None) -> TimeRange | None:
    """"上一季度呢?" / "and last quarter?" after a question about 2025Q3 when the last quarter *is* 2025Q3:
    the same answer again cannot be what was asked, so it is the quarter before the one shown."""
    if p.time_range is not None or len(p.relative) != 1 or p.time_group or anchor is None:
        return None
    rel = p.relative[0]
    if rel.n != 1 or rel.offset != 1:
        return None
    shown = _period_of(prev, anchor)
    if shown is None or _period_of(prev.with_(time_range=None, relative=(rel,)), anchor) != shown:
        return None
    start, end = shifted(shown, Shift(rel.unit, ""))
    return TimeRange(start=start, end=end)


def _period_of(d: Draft, anchor: dt.date | None) -> tuple[dt.date, dt.date] | None:
    from semantic_layer.compiler import resolve_period

    try:
        return resolve_period(d.with_(metrics=d.metrics or ("_",), compare=None, baseline=None).to_query(), anchor)
    except Exception:  # noqa: BLE001 - an unreadable period is no period to shift
        return None


def _merge_dimensions(d: Draft, p: Parsed, model: SemanticModel) -> Draft:
    dims = [x for x in d.dimensions if x not in p.drop_dims]
    time_dim = model.time_dimension
    new_time = _time_dims(model, p)
    if new_time:
        dims = [x for x in dims if x.partition(".")[0] != time_dim]
        dims.insert(0, new_time[0])
    new = list(p.dims) + [c for c in p.compared_dims if c not in p.dims]
    if "drill" in p.intents and not p.dims:
        target = _drill_target(model, dims, d.members + tuple(p.members))
        if target:
            return d.with_(dimensions=tuple(dict.fromkeys([x for x in dims if x != target[0]] + [target[1]])))
    if not new:
        return d.with_(dimensions=tuple(dims))
    if "replace" in p.flags:
        dims = [x for x in dims if x.partition(".")[0] == time_dim]
    for nd in new:
        family = model.hierarchy_of(nd)
        levels = set(family[1].levels) if family else {nd}
        dims = [x for x in dims if x not in levels and x != nd]
        dims.append(nd)
    return d.with_(dimensions=tuple(dict.fromkeys(dims)))


def _same_period_in_year(prev: Draft, p: Parsed, anchor: dt.date | None) -> TimeRange | None:
    """The previous part-of-a-year period moved to the year the follow-up names, if it names only a year."""
    if prev.time_range is None or prev.relative or p.time_group:
        return None
    start, end = prev.time_range.start, prev.time_range.end
    if start.year != end.year or (start.timetuple().tm_yday == 1 and (end.month, end.day) == (12, 31)):
        return None
    year: int | None = None
    if p.time_range is None and len(p.relative) == 1 and anchor is not None:
        rel = p.relative[0]
        if rel.unit == "year" and rel.n == 1:
            year = anchor.year - rel.offset
    elif p.time_range is not None and not p.relative:
        r = p.time_range
        if r.start.year == r.end.year and (r.start.month, r.start.day, r.end.month, r.end.day) == (1, 1, 12, 31):
            year = r.start.year
    if year is None:
        return None

    def move(day: dt.date) -> dt.date:
        return day.replace(year=year, day=min(day.day, calendar.monthrange(year, day.month)[1]))

    return TimeRange(start=move(start), end=move(end))
