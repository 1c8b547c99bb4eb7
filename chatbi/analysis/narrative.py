"""The summary text (words from the ``analysis.*`` messages) and the waterfall figure of a :class:`RootCauseReport`.

Numbers in the text are the report's numbers (computed in SQL and pandas), never re-derived
here; this module only words and formats them.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from typing import Any

from semantic_layer import MemberFilter, SemanticModel

from ..messages import message
from .metric_tree import TreeBreakdown
from .periods import period_days, period_label
from .report import Combination, RootCauseReport

__all__ = ["format_value", "format_delta", "format_pct", "summary_text", "waterfall_items", "waterfall_figure"]


def format_value(value: float, fmt: str = "number", unit: str = "", lang: str = "en") -> str:
    """The charts' formatting (``chatbi.charts.formatting``): the sentence shows the chart's number."""
    from ..charts.formatting import format_value as chart_format

    return chart_format(value, fmt, unit, lang)


def format_delta(value: float, fmt: str, unit: str, lang: str) -> str:
    """A change with its sign; percent metrics change in percentage points."""
    if value is None or not math.isfinite(value):
        return "—"
    if fmt == "integer":  # an expected count is fractional; people count whole subscribers
        value = round(value)
    if fmt == "percent":
        pp = value * 100
        text = f"{pp:+.2f}" if abs(pp) >= 0.1 else f"{pp:+.3f}"
        return _say("pp", lang, value=text)
    return ("+" if value >= 0 else "-") + format_value(abs(value), fmt, unit, lang)


def _say(key: str, lang: str, **params: object) -> str:
    return message(f"analysis.{key}", lang, **params)


def format_pct(fraction: float) -> str:
    from ..charts.formatting import format_change

    return format_change(fraction)


def _share(fraction: float) -> str:
    return "-" if fraction is None or not math.isfinite(fraction) else f"{fraction * 100:.0f}%"


def _explains(fraction: float, lang: str) -> str:
    """How much of the abnormal change an item explains, in words that stay sensible when other
    parts of the data move the opposite way (shares above 100 % or below 0)."""
    if not math.isfinite(fraction):
        return ""
    if fraction >= 0.95:
        return _say("explains_all", lang)
    if fraction > 0:
        return _say("explains_share", lang, share=_share(fraction))
    return _say("explains_against", lang)


def _fmt(model: SemanticModel, metric: str) -> tuple[str, str]:
    spec = model.metric(metric)
    return spec.format, spec.unit


def _tree_text(model: SemanticModel, tree: TreeBreakdown, lang: str) -> str:
    fmt, unit = _fmt(model, tree.metric)
    parts = []
    for t in tree.terms:
        label = model.label(t.metric, lang)
        contribution = format_delta(t.contribution, fmt, unit, lang)
        parts.append(_say("tree_term", lang, label=label, pct=format_pct(t.change_pct), contribution=contribution))
    top = tree.top
    text = _say("tree_head", lang) + message("common.join", lang).join(parts)
    if top is not None and len(tree.terms) > 1:
        text += _say("tree_driver", lang, label=model.label(top.metric, lang))
    return text + message("common.end", lang)


def _combination_text(model: SemanticModel, metric: str, c: Combination, rank: int, lang: str) -> str:
    fmt, unit = _fmt(model, metric)
    gap = format_delta(abs(c.excess), fmt, unit, lang).lstrip("+")
    text = _say("combination", lang, lead=_say("lead_main" if rank == 0 else "lead_next", lang), label=c.label,
                gap=gap, direction=_say("below" if c.excess < 0 else "above", lang), pct=format_pct(c.deviation),
                explains=_explains(c.excess_share, lang))
    for d in c.drill:
        text += _say("drill", lang, label=d.label, share=_share(d.excess_share))
    return text + message("common.end", lang)


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


def summary_text(report: RootCauseReport, model: SemanticModel,
                 member_label: Callable[[str, str], str] | None = None) -> str:
    """A few sentences in the report's language: the change, its root causes, its sub-metrics."""
    lang = report.language
    fmt, unit = _fmt(model, report.metric)
    scope = _scope(report, member_label or (lambda d, v: v))
    label = _say("scoped_metric", lang, metric=report.metric_label, scope=scope) if scope else report.metric_label
    cur_label, base_label = period_label(report.period, lang), period_label(report.baseline_period, lang)
    cur, base = format_value(report.current_value, fmt, unit, lang), format_value(report.baseline_value, fmt, unit, lang)
    delta = format_delta(report.total_change, fmt, unit, lang)
    pct = "" if fmt == "percent" else message("common.aside", lang, text=format_pct(report.change_pct))
    change = report.total_change
    # ``delta`` carries its sign ("+¥3.2M"); ``size`` is the same amount for languages that say the
    # direction in a word (上升 / 下降)
    sentences = [_say("change" if change else "flat", lang, label=label, cur_label=cur_label, cur=cur,
                      base_label=base_label, base=base, delta=delta, size=delta.lstrip("+-"), pct=pct,
                      verb=_say("rose" if change > 0 else "fell", lang))]
    for rank, c in enumerate(report.combinations[:3]):
        sentences.append(_combination_text(model, report.metric, c, rank, lang))
    if not report.combinations and report.kind != "non_additive":
        names = message("common.list_sep", lang).join(c.label for c in report.contributors[:3])
        sentences.append(_say("broad", lang) + (_say("broad_names", lang, names=names) if names else "")
                         + message("common.end", lang))
    if report.kind != "non_additive" and report.combinations and fmt != "percent":
        d1, d0 = period_days(report.period), period_days(report.baseline_period)
        days = _say("days", lang, current=d1, baseline=d0) if d1 != d0 else ""
        sentences.append(_say("rest", lang, common=format_pct(report.common_factor - 1), days=days))
    if report.metric_tree is not None:
        sentences.append(_tree_text(model, report.metric_tree, lang))
    top_tree = report.combinations[0].metric_tree if report.combinations else None
    if top_tree is not None:
        inner = _tree_text(model, top_tree, lang).removeprefix(_say("tree_head", lang))
        sentences.append(_say("within", lang, scope=report.combinations[0].label, text=inner))
    sentences += list(report.notes)
    return _say("sentence_join", lang).join(sentences)


def waterfall_items(report: RootCauseReport, mix: float = 0.0) -> list[tuple[str, float]]:
    """Steps from the baseline to the current value; they sum to the total change exactly."""
    lang = report.language
    items: list[tuple[str, float]] = []
    if report.combinations:
        if mix:
            items.append((_say("mix", lang), mix))
        items.append((_say("common", lang), report.common_change))
        items += [(c.label, c.excess) for c in report.combinations[:5]]
    else:
        items += [(c.label, c.change) for c in report.contributors if not c.path][:6]
    rest = report.total_change - sum(v for _, v in items)
    if abs(rest) > 1e-9 * max(abs(report.total_change), abs(report.baseline_value), 1.0):
        items.append((_say("other", lang), rest))
    return items


def waterfall_figure(report: RootCauseReport, items: list[tuple[str, float]], value_format: str) -> Any:
    """The waterfall via ``chatbi.charts.waterfall``; None when it cannot be drawn (logged), as a
    chart that fails must not cost the user the analysis."""
    lang = report.language
    title = _say("waterfall_title", lang, metric=report.metric_label)
    try:
        from ..charts import waterfall  # lazy: plotly is heavy

        return waterfall(period_label(report.baseline_period, lang), report.baseline_value, items,
                         period_label(report.period, lang), report.current_value, title=title, language=lang,
                         value_format=value_format)
    except Exception:
        logging.getLogger(__name__).warning("waterfall failed for %s", report.metric, exc_info=True)
        return None
