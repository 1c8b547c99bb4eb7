"""Pure helpers over a ``SemanticQuery`` for the UI: "understood as" chips, removing one part,
and follow-up suggestions. No Dash here, so they are tested as plain functions.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from semantic_layer import (
    ComparisonFilter,
    MemberFilter,
    RangeFilter,
    RelativeTimeFilter,
    SemanticModel,
    SemanticQuery,
    validate_query,
)
from semantic_layer.model import DimensionRef

from .i18n import t

__all__ = ["Chip", "Suggestion", "query_chips", "remove_part", "suggestions", "period_label", "dimension_label",
           "member_label"]


@dataclass(frozen=True)
class Chip:
    """One part of a query as the user sees it. ``key`` names the part for :func:`remove_part`."""

    kind: str  # metric | dimension | filter | period | compare | share | limit
    label: str
    key: str
    removable: bool = True


@dataclass(frozen=True)
class Suggestion:
    label: str
    query: SemanticQuery


def dimension_label(model: SemanticModel, ref: str, lang: str) -> str:
    parsed = DimensionRef.parse(ref)
    label = model.label(parsed.name, lang)
    if parsed.grain:
        grain = t(f"grain.{parsed.grain}", lang)
        return f"{label}（{grain}）" if lang == "zh" else f"{label} ({grain})"
    return label


def period_label(period: tuple[str, str] | None, lang: str) -> str | None:
    """``2025-11`` for a whole month, ``2025`` for a whole year, else ``start – end``.

    >>> period_label(("2025-11-01", "2025-11-30"), "en")
    '2025-11'
    >>> period_label(("2025-01-01", "2025-12-31"), "zh")
    '2025年'
    >>> period_label(("2025-10-01", "2025-12-31"), "en")
    '2025 Q4'
    """
    if not period:
        return None
    start, end = dt.date.fromisoformat(str(period[0])[:10]), dt.date.fromisoformat(str(period[1])[:10])
    if start.month == 1 and start.day == 1 and end == dt.date(start.year, 12, 31):
        return f"{start.year}年" if lang == "zh" else str(start.year)
    month_end = (dt.date(start.year + start.month // 12, start.month % 12 + 1, 1) - dt.timedelta(days=1))
    if start.day == 1 and end == month_end:
        return f"{start.year}年{start.month}月" if lang == "zh" else f"{start:%Y-%m}"
    if start.day == 1 and start.month in (1, 4, 7, 10) and end.year == start.year:
        quarter_end = dt.date(start.year + (start.month + 2) // 12, (start.month + 2) % 12 + 1, 1) - dt.timedelta(days=1)
        if end == quarter_end:
            q = (start.month - 1) // 3 + 1
            return f"{start.year}年第{q}季度" if lang == "zh" else f"{start.year} Q{q}"
    return f"{start.isoformat()} – {end.isoformat()}"


def member_label(model: SemanticModel, members: Any, dim: str, value: Any, lang: str) -> str:
    """A member's display name: the label column's value (English names) where the model has one.

    Synonyms are not display names ("5G套餐" is a way to type 5G, not its English label).
    """
    spec = model.dimensions.get(dim)
    if lang == "zh" or members is None or spec is None or not spec.label_column:
        return str(value)
    try:
        return str(members.label(dim, str(value), lang))
    except Exception:  # noqa: BLE001 - a label is cosmetic; never fail a card over it
        return str(value)


def _is_time_filter(model: SemanticModel, flt: Any) -> bool:
    if isinstance(flt, RelativeTimeFilter):
        return True
    dim = flt.dimension
    return dim is not None and DimensionRef.parse(dim).name == model.time_dimension


def query_chips(query: SemanticQuery, model: SemanticModel, lang: str, *, members: Any = None,
                period: tuple[str, str] | None = None) -> list[Chip]:
    """The chips "revenue · by province · 广东 · 2025-11 · 环比" for ``query``."""
    chips: list[Chip] = []
    only_one_part = len(query.metrics) + len(query.dimensions) <= 1
    for name in query.metrics:
        chips.append(Chip("metric", model.label(name, lang), f"metric:{name}", removable=not only_one_part))
    for ref in query.dimensions:
        chips.append(Chip("dimension", t("chip.by", lang, label=dimension_label(model, ref, lang)), f"dimension:{ref}",
                          removable=not only_one_part))
    for i, flt in enumerate(query.filters):
        if _is_time_filter(model, flt):
            continue
        if isinstance(flt, MemberFilter):
            values = "、".join(member_label(model, members, flt.dimension, v, lang) for v in flt.values)
            text = values if flt.op == "in" else f"{t('chip.not', lang)} {values}"
            label = f"{model.label(flt.dimension, lang)}: {text}"
        elif isinstance(flt, ComparisonFilter):
            target = flt.metric or flt.dimension or ""
            label = f"{model.label(target, lang)} {flt.op} {_threshold(model, target, flt.value, lang)}"
        elif isinstance(flt, RangeFilter):
            target = flt.metric or flt.dimension or ""
            label = (f"{model.label(target, lang)} {_threshold(model, target, flt.low, lang)}–"
                     f"{_threshold(model, target, flt.high, lang)}")
        else:  # pragma: no cover - the union is closed
            continue
        chips.append(Chip("filter", label, f"filter:{i}"))
    has_time = query.time_range is not None or any(_is_time_filter(model, f) for f in query.filters)
    shown = period_label(period, lang)
    if shown or has_time:
        chips.append(Chip("period", shown or t("card.period", lang), "period", removable=has_time))
    if query.compare == "baseline":
        base = query.baseline
        when = period_label((str(base.start), str(base.end)), lang) if hasattr(base, "start") else None  # type: ignore[union-attr]
        chips.append(Chip("compare", t("chip.compare.baseline", lang, period=when or t("card.period", lang)),
                          "compare"))
    elif query.compare:
        chips.append(Chip("compare", t(f"chip.compare.{query.compare}", lang), "compare"))
    if query.share:
        chips.append(Chip("share", t("chip.share", lang), "share"))
    if query.limit:
        chips.append(Chip("limit", t("chip.top", lang, n=query.limit), "limit"))
    return chips


def _threshold(model: SemanticModel, name: str, value: Any, lang: str) -> str:
    """A filter's value as the metric shows its numbers: ``2%`` for a rate of 0.02, ``1 亿元`` for money."""
    from chatbi.charts.numbers import format_tick

    if name not in model.metrics or isinstance(value, str):
        return str(value)
    fmt, unit = model.metrics[name].format, model.metrics[name].unit
    shown = format_tick(value, fmt, unit, lang)
    if fmt != "percent" and lang == "zh" and (fmt == "currency" or unit):
        from chatbi.charts.numbers import format_value

        shown = format_value(value, fmt, unit, lang)  # zh money and units: "1.00 亿元", not a bare "1亿"
    return shown


def _without_name(order_by: tuple[str, ...], name: str) -> tuple[str, ...]:
    return tuple(o for o in order_by if o.lstrip("-+") != name)


def remove_part(query: SemanticQuery, key: str, model: SemanticModel) -> SemanticQuery:
    """``query`` without the part a chip stands for (raises ``ValueError`` if nothing would be left)."""
    kind, _, arg = key.partition(":")
    if kind == "metric":
        return query.with_(metrics=[m for m in query.metrics if m != arg],
                           order_by=_without_name(query.order_by, arg))
    if kind == "dimension":
        column = DimensionRef.parse(arg).column
        order = tuple(o for o in query.order_by if o.lstrip("-+") not in {arg, column, DimensionRef.parse(arg).name})
        return query.with_(dimensions=[d for d in query.dimensions if d != arg], order_by=order)
    if kind == "filter":
        index = int(arg)
        filters = [f.model_dump() for i, f in enumerate(query.filters) if i != index]
        return query.with_(filters=filters)
    if kind == "period":
        filters = [f.model_dump() for f in query.filters if not _is_time_filter(model, f)]
        return query.with_(filters=filters, time_range=None)
    if kind == "compare":
        return query.with_(compare=None, baseline=None)
    if kind == "share":
        return query.with_(share=False)
    if kind == "limit":
        return query.with_(limit=None)
    raise ValueError(f"unknown query part {key!r}")


def _valid(model: SemanticModel, query: SemanticQuery, members: Any) -> bool:
    # a signed-in user's member index withholds what they may not see: never suggest it
    withheld = frozenset(getattr(getattr(members, "members", members), "withheld", ()))
    names = {*query.metrics, *(DimensionRef.parse(d).name for d in query.dimensions)}
    if names & withheld:
        return False
    sets = members.as_sets() if hasattr(members, "as_sets") else members
    try:
        return not validate_query(model, query, sets)
    except Exception:  # noqa: BLE001 - an unusable suggestion is simply not offered
        return False


def _period_days(period: tuple[str, str] | None) -> int | None:
    if not period:
        return None
    return (dt.date.fromisoformat(str(period[1])[:10]) - dt.date.fromisoformat(str(period[0])[:10])).days + 1


def suggestions(query: SemanticQuery, model: SemanticModel, lang: str, *, members: Any = None,
                period: tuple[str, str] | None = None, limit: int = 3) -> list[Suggestion]:
    """Follow-ups that build on ``query``: drill down a tree, add a trend, compare, break down.

    Every suggestion is a complete query that validates, so clicking one always runs.
    Candidates come from the model (hierarchies and dimensions), never from domain words in code.
    """
    if not query.metrics:
        return []
    out: list[Suggestion] = []
    time_dim = model.time_dimension
    refs = [DimensionRef.parse(d) for d in query.dimensions]
    used = {r.name for r in refs}

    def offer(label: str, candidate: SemanticQuery) -> None:
        if len(out) < limit and candidate != query and _valid(model, candidate, members) \
                and all(s.query != candidate for s in out):
            out.append(Suggestion(label, candidate))

    # drill down: replace a grouped level by its child, or group by the child of a filtered member
    for ref in refs:
        child = model.child_level(ref.name) if ref.name != time_dim else None
        if child and child not in used:
            dims = [child if d == ref.key else d for d in query.dimensions]
            offer(t("suggest.drill", lang, label=model.label(child, lang)), query.with_(dimensions=dims, limit=None))
    for flt in query.filters:
        if isinstance(flt, MemberFilter) and flt.op == "in" and len(flt.values) == 1 and flt.dimension not in used:
            child = model.child_level(flt.dimension)
            if child and child not in used:
                offer(t("suggest.drill", lang, label=model.label(child, lang)),
                      query.with_(dimensions=[*query.dimensions, child]))
    has_time_dim = time_dim in used
    days = _period_days(period)
    if not has_time_dim and len(query.metrics) == 1:
        grain = "day" if days is not None and days <= 62 else "month"
        offer(t("suggest.trend", lang, label=model.label(query.metrics[0], lang)),
              query.with_(dimensions=[*query.dimensions, f"{time_dim}.{grain}"], limit=None, order_by=(), compare=None))
    if not query.compare and not has_time_dim and days is not None:
        offer(t("suggest.pop", lang), query.with_(compare="previous_period"))
        offer(t("suggest.yoy", lang), query.with_(compare="year_over_year"))
    # a dimension filtered to one member would break down into a single bar, and so would a coarser
    # level of its hierarchy (Sichuan's complaints "by region" are one bar)
    pinned = {f.dimension for f in query.filters if isinstance(f, MemberFilter) and f.op == "in" and len(f.values) == 1}
    for name in list(pinned):
        parent = model.parent_level(name) if name in model.dimensions else None
        while parent is not None and parent not in pinned:
            pinned.add(parent)
            parent = model.parent_level(parent)
    if not [r for r in refs if r.name != time_dim]:
        tops = [h.levels[0] for h in model.hierarchies.values() if DimensionRef.parse(h.levels[0]).name != time_dim]
        others = [n for n, d in model.dimensions.items() if d.type == "categorical"]
        for name in dict.fromkeys(n for n in [*tops, *others] if n not in pinned):
            offer(t("suggest.by", lang, label=model.label(name, lang)),
                  query.with_(dimensions=[*query.dimensions, name]))
    return out
