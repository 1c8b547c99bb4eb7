"""The summary text (zh / en) and the waterfall figure of a :class:`RootCauseReport`.

Numbers in the text are the report's numbers (computed in SQL and pandas), never re-derived
here; this module only words and formats them.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from typing import Any

from semantic_layer import MemberFilter, SemanticModel

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
        return f"{text}个百分点" if lang == "zh" else f"{text} pp"
    return ("+" if value >= 0 else "-") + format_value(abs(value), fmt, unit, lang)


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
        return "，几乎解释了全部异常变化" if lang == "zh" else ", accounting for all of the abnormal change"
    if fraction > 0:
        return f"，占异常变化的{_share(fraction)}" if lang == "zh" else f", {_share(fraction)} of the abnormal change"
    return "，方向与整体异常相反" if lang == "zh" else ", moving against the overall deviation"


def _fmt(model: SemanticModel, metric: str) -> tuple[str, str]:
    spec = model.metric(metric)
    return spec.format, spec.unit


def _tree_text(model: SemanticModel, tree: TreeBreakdown, lang: str) -> str:
    fmt, unit = _fmt(model, tree.metric)
    parts = []
    for t in tree.terms:
        label = model.label(t.metric, lang)
        contribution = format_delta(t.contribution, fmt, unit, lang)
        if lang == "zh":
            parts.append(f"{label}{format_pct(t.change_pct)}，贡献{contribution}")
        else:
            parts.append(f"{label} {format_pct(t.change_pct)}, contributing {contribution}")
    top = tree.top
    head = "指标分解：" if lang == "zh" else "Metric tree: "
    text = head + ("；" if lang == "zh" else "; ").join(parts)
    if top is not None and len(tree.terms) > 1:
        top_label = model.label(top.metric, lang)
        text += f"。主要由{top_label}驱动" if lang == "zh" else f". Mainly driven by {top_label}"
    return text + ("。" if lang == "zh" else ".")


def _combination_text(model: SemanticModel, metric: str, c: Combination, rank: int, lang: str) -> str:
    fmt, unit = _fmt(model, metric)
    gap = format_delta(abs(c.excess), fmt, unit, lang).lstrip("+")
    below = c.excess < 0
    if lang == "zh":
        lead = "主要原因：" if rank == 0 else "其次："
        text = (f"{lead}{c.label}比预期{'低' if below else '高'}{gap}"
                f"（{format_pct(c.deviation)}）{_explains(c.excess_share, lang)}")
        for d in c.drill:
            text += f"，其中{d.label}占{_share(d.excess_share)}"
        return text + "。"
    text = (f"{'Main driver' if rank == 0 else 'Next'}: {c.label} is {gap} {'below' if below else 'above'} "
            f"expectation ({format_pct(c.deviation)}){_explains(c.excess_share, lang)}")
    for d in c.drill:
        text += f", {_share(d.excess_share)} of it in {d.label}"
    return text + "."


def _scope(report: RootCauseReport, member_label: Callable[[str, str], str]) -> str:
    """The member filters in words: ``广东`` / ``Guangdong``, ``excluding 4G``."""
    zh = report.language == "zh"
    parts = []
    for f in report.filters:
        if not isinstance(f, MemberFilter):
            continue
        names = ("、" if zh else ", ").join(member_label(f.dimension, str(v)) for v in f.values)
        if f.op == "in":
            parts.append(names)
        else:
            parts.append(f"除{names}外" if zh else f"excluding {names}")
    return ("" if zh else ", ").join(parts)


def summary_text(report: RootCauseReport, model: SemanticModel,
                 member_label: Callable[[str, str], str] | None = None) -> str:
    """A few sentences in the report's language: the change, its root causes, its sub-metrics."""
    lang = report.language
    zh = lang == "zh"
    fmt, unit = _fmt(model, report.metric)
    scope = _scope(report, member_label or (lambda d, v: v))
    label = (f"{scope}{report.metric_label}" if zh else f"{report.metric_label} ({scope})") if scope \
        else report.metric_label
    cur_label, base_label = period_label(report.period, lang), period_label(report.baseline_period, lang)
    cur, base = format_value(report.current_value, fmt, unit, lang), format_value(report.baseline_value, fmt, unit, lang)
    delta = format_delta(report.total_change, fmt, unit, lang)
    pct = "" if fmt == "percent" else (f"（{format_pct(report.change_pct)}）" if zh else f" ({format_pct(report.change_pct)})")
    if zh:
        verb = "上升" if report.total_change > 0 else "下降" if report.total_change < 0 else "持平"
        sentences = [f"{cur_label}{label}为{cur}，较{base_label}（{base}）{verb}{delta.lstrip('+-')}{pct}。"
                     if report.total_change else f"{cur_label}{label}为{cur}，与{base_label}持平。"]
    else:
        verb = "rose" if report.total_change > 0 else "fell" if report.total_change < 0 else "was flat"
        sentences = [f"{label} {verb} from {base} in {base_label} to {cur} in {cur_label}: {delta}{pct}."]
    for rank, c in enumerate(report.combinations[:3]):
        sentences.append(_combination_text(model, report.metric, c, rank, lang))
    if not report.combinations and report.kind != "non_additive":
        names = "、".join(c.label for c in report.contributors[:3]) if zh else ", ".join(c.label for c in report.contributors[:3])
        if zh:
            sentences.append("变化较为普遍，未发现集中的异常组合" + (f"；贡献最大的是{names}。" if names else "。"))
        else:
            sentences.append("The change is broad-based; no concentrated combination stands out"
                             + (f"; the largest contributors are {names}." if names else "."))
    if report.kind != "non_additive" and report.combinations and fmt != "percent":
        common = format_pct(report.common_factor - 1)
        d1, d0 = period_days(report.period), period_days(report.baseline_period)
        days = ""
        if d1 != d0:
            days = f"（本期{d1}天，基期{d0}天）" if zh else f" ({d1} days against {d0})"
        sentences.append(f"其余数据整体变化{common}{days}。" if zh
                         else f"The rest of the data moved by {common} overall{days}.")
    if report.metric_tree is not None:
        sentences.append(_tree_text(model, report.metric_tree, lang))
    top_tree = report.combinations[0].metric_tree if report.combinations else None
    if top_tree is not None:
        inner = _tree_text(model, top_tree, lang)
        scope = report.combinations[0].label
        sentences.append(f"在{scope}内，{inner.removeprefix('指标分解：')}" if zh
                         else f"Within {scope}: {inner.removeprefix('Metric tree: ')}")
    sentences += list(report.notes)
    return ("" if zh else " ").join(sentences)


def waterfall_items(report: RootCauseReport, mix: float = 0.0) -> list[tuple[str, float]]:
    """Steps from the baseline to the current value; they sum to the total change exactly."""
    zh = report.language == "zh"
    items: list[tuple[str, float]] = []
    if report.combinations:
        if mix:
            items.append(("结构变化" if zh else "Mix", mix))
        items.append(("整体变化" if zh else "Common change", report.common_change))
        items += [(c.label, c.excess) for c in report.combinations[:5]]
    else:
        items += [(c.label, c.change) for c in report.contributors if not c.path][:6]
    rest = report.total_change - sum(v for _, v in items)
    if abs(rest) > 1e-9 * max(abs(report.total_change), abs(report.baseline_value), 1.0):
        items.append(("其他" if zh else "Other", rest))
    return items


def waterfall_figure(report: RootCauseReport, items: list[tuple[str, float]], value_format: str) -> Any:
    """The waterfall via ``chatbi.charts.waterfall``; None when it cannot be drawn (logged), as a
    chart that fails must not cost the user the analysis."""
    lang = report.language
    title = (f"{report.metric_label}变化分解" if lang == "zh" else f"What changed {report.metric_label}")
    try:
        from ..charts import waterfall  # lazy: plotly is heavy

        return waterfall(period_label(report.baseline_period, lang), report.baseline_value, items,
                         period_label(report.period, lang), report.current_value, title=title, language=lang,
                         value_format=value_format)
    except Exception:
        logging.getLogger(__name__).warning("waterfall failed for %s", report.metric, exc_info=True)
        return None
