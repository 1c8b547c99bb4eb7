"""The summary (zh / en), the details and the waterfall of a :class:`RootCauseReport`.

All three are written from the report's ranked drivers (:mod:`chatbi.analysis.drivers`) -- the
same rows the app's table and the digest list -- so a sentence cannot name a cause the table does
not show, call a change broad-based while one member carries most of it, or put a driver that
moved against the change first. Numbers are the report's (computed in SQL and pandas) and are
formatted by the one number layer (:mod:`chatbi.charts.numbers`): counts whole, rates in points.

The summary is short: what changed, what drove it, which sub-metric. The rest (the metric tree
inside the top cause, the change common to the rest of the data) goes to ``details``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from semantic_layer import MemberFilter, SemanticModel

from ..charts.numbers import format_change, format_delta, format_share, format_value
from ..messages import message
from .drivers import Driver, DriverTable
from .metric_tree import TreeBreakdown
from .periods import period_days, period_label
from .report import RootCauseReport

__all__ = ["format_value", "format_delta", "format_pct", "summarize", "summary_text", "waterfall_items",
           "waterfall_figure", "measure_label"]

#: drivers below this share are left to the table (the summary names at most two)
MENTION_SHARE = 0.1


def format_pct(fraction: float) -> str:
    return format_change(fraction)


def _say(key: str, lang: str, **params: object) -> str:
    return message(f"analysis.{key}", lang, **params)


def _fmt(model: SemanticModel, metric: str) -> tuple[str, str]:
    spec = model.metric(metric)
    return spec.format, spec.unit


def measure_label(table: DriverTable, kind: str, lang: str) -> str:
    """The name of the measure the table and the waterfall show."""
    if table.measure == "excess":
        return _say("measure_excess_ratio" if kind == "ratio" else "measure_excess", lang)
    return _say("measure_change", lang)


def share_label(table: DriverTable, lang: str) -> str:
    """What the table's shares are of: the abnormal change, or the whole change."""
    return _say("share_excess" if table.measure == "excess" else "share_change", lang)


def _tree_text(model: SemanticModel, tree: TreeBreakdown, lang: str, *, within: str = "") -> str:
    """One sentence: the sub-metrics by the size of their contribution, the largest first."""
    fmt, unit = _fmt(model, tree.metric)
    terms = sorted(tree.terms, key=lambda t: -abs(t.contribution))
    parts = [_say("tree_term", lang, label=model.label(t.metric, lang), pct=format_pct(t.change_pct),
                  contribution=format_delta(t.contribution, fmt, unit, lang)) for t in terms]
    head = _say("tree_within", lang, scope=within) if within else _say("tree_whole", lang)
    lead = _say("tree_lead", lang, label=model.label(terms[0].metric, lang)) if len(terms) > 1 else ""
    return head + lead + message("common.join", lang).join(parts) + message("common.end", lang)


def _gap(row: Driver, fmt: str, unit: str, lang: str) -> str:
    return format_delta(abs(row.impact), fmt, unit, lang).lstrip("+")


def _children(table: DriverTable, row: Driver, lang: str) -> str:
    return "".join(_say("of_which", lang, label=c.label, share=format_share(c.share))
                   for c in table.children(row) if c.share is not None)


def _excess_sentence(table: DriverTable, row: Driver, rank: int, fmt: str, unit: str, lang: str) -> str:
    deviation = message("common.aside", lang, text=format_pct(row.deviation)) if row.deviation is not None else ""
    text = _say("excess", lang, lead=_say("lead_main" if rank == 0 else "lead_next", lang), label=row.label,
                gap=_gap(row, fmt, unit, lang), direction=_say("below" if row.impact < 0 else "above", lang),
                deviation=deviation)
    share = row.share if row.share is not None else float("nan")
    if share >= 0.95:
        text += _say("explains_all", lang)
    elif share == share:
        text += _say("explains_share", lang, share=format_share(share))
    return text + _children(table, row, lang) + message("common.end", lang)


def _item(table: DriverTable, row: Driver, fmt: str, unit: str, lang: str) -> str:
    delta = format_delta(row.impact, fmt, unit, lang)
    if row.share is None or not table.additive:
        return _say("item", lang, label=row.label, delta=delta)
    return _say("item_share", lang, label=row.label, delta=delta, share=format_share(row.share))


def _change_sentence(table: DriverTable, fmt: str, unit: str, lang: str) -> str:
    tops = [r for r in table.top_level if table.with_change(r)]
    if not tops:
        return ""
    top = tops[0]
    named = message("common.list_sep", lang).join(
        _item(table, r, fmt, unit, lang) for r in tops[:3] if r is top or (r.share or 0) >= MENTION_SHARE)
    if not table.additive:
        return _say("largest", lang, names=named)
    if table.concentrated:
        return _say("concentrated", lang, item=_item(table, top, fmt, unit, lang), children=_children(table, top, lang))
    # the parts moved roughly in proportion to their size: the largest parts are simply the largest
    return _say("broad", lang, names=named)


def _scope(report: RootCauseReport, member_label: Callable[[str, str], str]) -> str:
    """The member filters in words: ``广东`` / ``Guangdong``, ``excluding 4G``."""
    lang = report.language
    parts = []
    for f in report.filters:
        if not isinstance(f, MemberFilter):
            continue
        names = message("common.list_sep", lang).join(member_label(f.dimension, str(v)) for v in f.values)
        parts.append(names if f.op == "in" else _say("excluding", lang, names=names))
    return _say("scope_join", lang).join(parts)


def summarize(report: RootCauseReport, model: SemanticModel,
              member_label: Callable[[str, str], str] | None = None) -> tuple[str, tuple[str, ...]]:
    """(the summary, the details) in the report's language, both from its drivers."""
    lang = report.language
    fmt, unit = _fmt(model, report.metric)
    table = report.drivers
    scope = _scope(report, member_label or (lambda d, v: v))
    label = _say("scoped_metric", lang, metric=report.metric_label, scope=scope) if scope else report.metric_label
    cur, base = format_value(report.current_value, fmt, unit, lang), format_value(report.baseline_value, fmt, unit, lang)
    delta = format_delta(report.total_change, fmt, unit, lang)
    pct = "" if fmt == "percent" else message("common.aside", lang, text=format_pct(report.change_pct))
    change = report.total_change
    # ``delta`` carries its sign ("+¥3.2M"); ``size`` is the same amount for languages that say the
    # direction in a word (上升 / 下降)
    sentences = [_say("change" if change else "flat", lang, label=label, cur_label=period_label(report.period, lang),
                      cur=cur, base_label=period_label(report.baseline_period, lang), base=base, delta=delta,
                      size=delta.lstrip("+-"), pct=pct, verb=_say("rose" if change > 0 else "fell", lang))]
    details: list[str] = []
    if table.measure == "excess":
        ranked = [r for r in table.top_level if table.with_change(r)]
        for rank, row in enumerate(ranked[:2]):
            if rank and (row.share or 0) < MENTION_SHARE:
                break
            sentences.append(_excess_sentence(table, row, rank, fmt, unit, lang))
        against = [r for r in table.top_level if not table.with_change(r) and table.total
                   and abs(r.impact) >= MENTION_SHARE * abs(table.total)]
        if against:
            names = message("common.list_sep", lang).join(
                _say("item", lang, label=r.label, delta=format_delta(r.impact, fmt, unit, lang)) for r in against[:2])
            sentences.append(_say("against", lang, names=names))
        if fmt != "percent":
            d1, d0 = period_days(report.period), period_days(report.baseline_period)
            days = _say("days", lang, current=d1, baseline=d0) if d1 != d0 else ""
            line = _say("rest", lang, common=format_pct(report.common_factor - 1), days=days)
            # when the data as a whole moved one way and the anomaly the other, the reader needs both
            opposite = table.total and change and (table.total > 0) != (change > 0)
            (sentences.insert(1, line) if opposite else details.append(line))
    else:
        sentence = _change_sentence(table, fmt, unit, lang)
        if sentence:
            sentences.append(sentence)
    if report.metric_tree is not None and report.metric_tree.terms:
        sentences.append(_tree_text(model, report.metric_tree, lang))
    top_combo = report.combinations[0] if report.combinations else None
    if top_combo is not None and top_combo.metric_tree is not None and top_combo.metric_tree.terms:
        details.append(_tree_text(model, top_combo.metric_tree, lang, within=top_combo.label))
    sentences += list(report.notes)
    return _say("sentence_join", lang).join(sentences), tuple(details)


def summary_text(report: RootCauseReport, model: SemanticModel,
                 member_label: Callable[[str, str], str] | None = None) -> str:
    """The summary of :func:`summarize`."""
    return summarize(report, model, member_label)[0]


def waterfall_items(report: RootCauseReport, mix: float = 0.0) -> list[tuple[str, float]]:
    """Steps from the baseline to the current value, from the drivers (they sum to the change
    exactly; what the drivers leave becomes "others" in the chart)."""
    del mix  # the report carries it (``mix_change``)
    return report.drivers.waterfall_items(report.language)


def waterfall_figure(report: RootCauseReport, items: list[tuple[str, float]], value_format: str,
                     value_unit: str = "") -> Any:
    """The waterfall via ``chatbi.charts.waterfall``; None when it cannot be drawn (logged), as a
    chart that fails must not cost the user the analysis. Its title names the measure its bars
    show (the same as the drivers table)."""
    lang = report.language
    measure = measure_label(report.drivers, report.kind, lang)
    if message("common.sentence_case", lang) == "yes":  # mid-line: "drivers: change"
        measure = measure[:1].lower() + measure[1:]
    title = (_say("waterfall_title", lang, metric=report.metric_label)
             + f"<br><sup>{_say('waterfall_subtitle', lang, measure=measure)}</sup>")
    try:
        from ..charts import waterfall  # lazy: plotly is heavy

        return waterfall(period_label(report.baseline_period, lang), report.baseline_value, items,
                         period_label(report.period, lang), report.current_value, title=title, language=lang,
                         value_format=value_format, value_label=report.metric_label, value_unit=value_unit or None)
    except Exception:  # a chart that fails must not cost the user the analysis
        logging.getLogger(__name__).warning("waterfall failed for %s", report.metric, exc_info=True)
        return None
