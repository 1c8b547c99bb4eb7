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


def _fmt(model: SemanticModel, metric: str) -> tuple[str, str]:
    spec = model.metric(metric)
    return spec.format, spec.unit


def measure_label(table: DriverTable, kind: str, lang: str) -> str:
    """The name of the measure the table and the waterfall show."""
    zh = lang == "zh"
    if table.measure == "excess":
        if kind == "ratio":
            return "对整体的超预期影响" if zh else "Effect beyond expected"
        return "比预期" if zh else "vs expected"
    return "变化" if zh else "Change"


def share_label(table: DriverTable, lang: str) -> str:
    zh = lang == "zh"
    if table.measure == "excess":
        return "占异常变化" if zh else "Share of the abnormal change"
    return "占总变化" if zh else "Share of the change"


def _tree_text(model: SemanticModel, tree: TreeBreakdown, lang: str, *, within: str = "") -> str:
    """One sentence: the sub-metrics by the size of their contribution, the largest first."""
    fmt, unit = _fmt(model, tree.metric)
    terms = sorted(tree.terms, key=lambda t: -abs(t.contribution))
    zh = lang == "zh"
    parts = []
    for t in terms:
        label = model.label(t.metric, lang)
        contribution = format_delta(t.contribution, fmt, unit, lang)
        parts.append(f"{label} {format_pct(t.change_pct)}（贡献 {contribution}）" if zh
                     else f"{label} {format_pct(t.change_pct)} (contributing {contribution})")
    lead = model.label(terms[0].metric, lang) if terms and len(terms) > 1 else ""
    if zh:
        head = f"在{within}内，" if within else "按指标分解，"
        return head + (f"主要由{lead}驱动：" if lead else "") + "；".join(parts) + "。"
    head = f"Within {within}, " if within else "By sub-metric, "
    return head + (f"mainly driven by {lead}: " if lead else "") + "; ".join(parts) + "."


def _gap(row: Driver, fmt: str, unit: str, lang: str) -> str:
    return format_delta(abs(row.impact), fmt, unit, lang).lstrip("+")


def _excess_sentence(table: DriverTable, row: Driver, rank: int, fmt: str, unit: str, lang: str) -> str:
    zh = lang == "zh"
    below = row.impact < 0
    deviation = f"（{format_pct(row.deviation)}）" if zh and row.deviation is not None else \
        f" ({format_pct(row.deviation)})" if row.deviation is not None else ""
    share = row.share if row.share is not None else float("nan")
    if zh:
        lead = "主要原因：" if rank == 0 else "其次："
        text = f"{lead}{row.label}比预期{'低' if below else '高'} {_gap(row, fmt, unit, lang)}{deviation}"
        if share >= 0.95:
            text += "，解释了几乎全部异常变化"
        elif share == share:
            text += f"，占异常变化的 {format_share(share)}"
    else:
        lead = "Main driver" if rank == 0 else "Next"
        text = (f"{lead}: {row.label} is {_gap(row, fmt, unit, lang)} {'below' if below else 'above'} "
                f"expectation{deviation}")
        if share >= 0.95:
            text += ", accounting for nearly all of the abnormal change"
        elif share == share:
            text += f", {format_share(share)} of the abnormal change"
    for child in table.children(row):
        if child.share is not None:
            text += (f"，其中{child.label}占 {format_share(child.share)}" if zh
                     else f", {format_share(child.share)} of it in {child.label}")
    return text + ("。" if zh else ".")


def _change_sentence(table: DriverTable, fmt: str, unit: str, lang: str) -> str:
    zh = lang == "zh"
    tops = [r for r in table.top_level if table.with_change(r)]
    if not tops:
        return ""
    top = tops[0]

    def item(row: Driver) -> str:
        delta = format_delta(row.impact, fmt, unit, lang)
        if row.share is None or not table.additive:
            return f"{row.label}（{delta}）" if zh else f"{row.label} ({delta})"
        return (f"{row.label}（{delta}，占总变化的 {format_share(row.share)}）" if zh
                else f"{row.label} ({delta}, {format_share(row.share)} of the change)")

    children = "".join((f"，其中{c.label}占 {format_share(c.share)}" if zh else f", {format_share(c.share)} of it in {c.label}")
                       for c in table.children(top) if c.share is not None)
    named = [item(r) for r in tops[:3] if r is top or (r.share or 0) >= MENTION_SHARE]
    if not table.additive:
        return (f"变化最大的是{'、'.join(named)}。" if zh else f"The largest changes: {', '.join(named)}.")
    if table.concentrated:
        return (f"变化主要来自{item(top)}{children}。" if zh else f"Most of the change came from {item(top)}{children}.")
    # the parts moved roughly in proportion to their size: the largest parts are simply the largest
    return (f"变化较为普遍，未发现集中的异常；贡献最大的是{'、'.join(named)}。" if zh
            else f"The change is broad-based, nothing concentrated stands out; "
                 f"the largest contributors are {', '.join(named)}.")
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


def summarize(report: RootCauseReport, model: SemanticModel,
              member_label: Callable[[str, str], str] | None = None) -> tuple[str, tuple[str, ...]]:
    """(the summary, the details) in the report's language, both from its drivers."""
    lang = report.language
    zh = lang == "zh"
    fmt, unit = _fmt(model, report.metric)
    table = report.drivers
    scope = _scope(report, member_label or (lambda d, v: v))
    label = (f"{scope}{report.metric_label}" if zh else f"{report.metric_label} ({scope})") if scope \
        else report.metric_label
    cur_label, base_label = period_label(report.period, lang), period_label(report.baseline_period, lang)
    cur, base = format_value(report.current_value, fmt, unit, lang), format_value(report.baseline_value, fmt, unit, lang)
    delta = format_delta(report.total_change, fmt, unit, lang)
    pct = "" if fmt == "percent" else (f"（{format_pct(report.change_pct)}）" if zh else f" ({format_pct(report.change_pct)})")
    if zh:
        verb = "上升" if report.total_change > 0 else "下降" if report.total_change < 0 else "持平"
        sentences = [f"{cur_label}{label}为 {cur}，较{base_label}（{base}）{verb} {delta.lstrip('+-')}{pct}。"
                     if report.total_change else f"{cur_label}{label}为 {cur}，与{base_label}持平。"]
    else:
        verb = "rose" if report.total_change > 0 else "fell" if report.total_change < 0 else "was flat"
        sentences = [f"{label} {verb} from {base} in {base_label} to {cur} in {cur_label}: {delta}{pct}."]
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
            names = ("、" if zh else ", ").join(f"{r.label}（{format_delta(r.impact, fmt, unit, lang)}）" if zh
                                                 else f"{r.label} ({format_delta(r.impact, fmt, unit, lang)})"
                                                 for r in against[:2])
            sentences.append(f"反方向变化的有{names}。" if zh else f"Moving the other way: {names}.")
        if fmt != "percent":
            common = format_pct(report.common_factor - 1)
            d1, d0 = period_days(report.period), period_days(report.baseline_period)
            days = (f"（本期{d1}天，基期{d0}天）" if zh else f" ({d1} days against {d0})") if d1 != d0 else ""
            line = (f"其余数据整体变化 {common}{days}，图中记为「整体变化」。" if zh
                    else f"The rest of the data moved by {common} overall{days} (the 'common change' bar).")
            # when the data as a whole moved one way and the anomaly the other, the reader needs both
            opposite = table.total and report.total_change and (table.total > 0) != (report.total_change > 0)
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
    return ("" if zh else " ").join(sentences), tuple(details)


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
    title = (f"{report.metric_label}变化分解" if lang == "zh" else f"What changed {report.metric_label}")
    title += f"<br><sup>{'各因素：' if lang == 'zh' else 'drivers: '}{measure}</sup>"
    try:
        from ..charts import waterfall  # lazy: plotly is heavy

        return waterfall(period_label(report.baseline_period, lang), report.baseline_value, items,
                         period_label(report.period, lang), report.current_value, title=title, language=lang,
                         value_format=value_format, value_label=report.metric_label, value_unit=value_unit or None)
    except Exception:  # noqa: BLE001
        logging.getLogger(__name__).warning("waterfall failed for %s", report.metric, exc_info=True)
        return None
