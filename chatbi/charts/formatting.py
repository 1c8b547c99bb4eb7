"""Numbers, dates and labels as people read them, in English or Chinese.

Plotly-free on purpose: the narrative (``chatbi.narrative``) formats with the same rules as the
charts, so the number in the sentence is the number on the chart.

>>> format_value(321_000_000, "currency", "CNY", "en")
'¥321M'
>>> format_value(321_000_000, "currency", "CNY", "zh")
'3.21 亿元'
>>> format_value(0.0123, "percent", "", "en")
'1.23%'
>>> format_value(45_678, "integer", "", "zh")
'4.57 万'
>>> format_bucket("2025-08-01", "quarter", "en")
'2025 Q3'
"""

from __future__ import annotations

import datetime as dt
import math
import unicodedata
from typing import Any

import pandas as pd

from semantic_layer import SemanticModel
from semantic_layer.spec import DerivedMetricSpec, SemiAdditiveMetricSpec, SimpleMetricSpec

from ..values import is_missing as _missing

__all__ = [
    "FONT_FAMILY",
    "OTHERS_COLOR",
    "PALETTE",
    "axis_title",
    "column_format",
    "display_width",
    "format_bucket",
    "format_change",
    "format_period",
    "format_tick",
    "format_value",
    "has_cjk",
    "is_additive_metric",
    "lang_of",
    "member_label",
    "metric_format",
    "nice_ticks",
    "text",
    "unit_label",
]

#: CJK-capable fonts first: the PNG exporter's Chromium picks the first installed one
#: (Debian's fonts-noto-cjk), browsers on Windows/macOS fall through to YaHei / PingFang.
FONT_FAMILY = ('"Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "Microsoft YaHei", '
               '"PingFang SC", "WenQuanYi Micro Hei", Arial, sans-serif')
OTHERS_COLOR = "#a0a0a0"
PALETTE = ("#2f6fde", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#edc948", "#b07aa1",
           "#ff9da7", "#9c755f", "#4e79a7", "#bab0ac")

_TEXT: dict[str, dict[str, str]] = {
    "en": {"others": "Others", "current": "Current", "previous_period": "Previous period",
           "year_over_year": "Same period last year", "change": "Change", "no_data": "No data",
           "by": " by ", "vs_previous_period": "vs previous period", "vs_year_over_year": "year over year",
           "share": "Share", "expected": "Expected", "band": "Expected range", "anomaly": "Anomaly",
           "actual": "Actual", "total": "Total", "first_rows": "first {n} of {total} rows", "value": "Value"},
    "zh": {"others": "其他", "current": "本期", "previous_period": "上期", "year_over_year": "去年同期",
           "change": "变化", "no_data": "无数据", "by": "按", "vs_previous_period": "环比",
           "vs_year_over_year": "同比", "share": "占比", "expected": "预期", "band": "正常范围",
           "anomaly": "异常", "actual": "实际", "total": "合计", "first_rows": "前 {n} 行（共 {total} 行）",
           "value": "数值"},
}
_CURRENCY = {"CNY": ("¥", "元"), "RMB": ("¥", "元"), "USD": ("$", "美元"), "EUR": ("€", "欧元")}
_UNIT_ZH = {"min": "分钟", "minutes": "分钟", "users": "户", "times": "次"}
#: (from this magnitude, divide by, suffix): thousands are spelled out below 10,000 (ARPU ¥1,196.14)
_EN_SCALES = ((1e12, 1e12, "T"), (1e9, 1e9, "B"), (1e6, 1e6, "M"), (1e4, 1e3, "K"))
_ZH_SCALES = ((1e8, 1e8, "亿"), (1e4, 1e4, "万"))
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def lang_of(language: str | None) -> str:
    """``zh``/``zh-CN``/``zh_Hans`` -> ``zh``; anything else -> ``en``."""
    return "zh" if (language or "").lower().startswith("zh") else "en"


def text(key: str, language: str) -> str:
    return _TEXT[lang_of(language)][key]


def _digits(scaled: float, lang: str) -> int:
    # English: three significant digits (¥321M, ¥20.7B); Chinese reports use two decimals (3.21 亿).
    if lang == "zh":
        return 2
    mag = abs(scaled)
    return 2 if mag < 10 else 1 if mag < 100 else 0


def _trim(number: str) -> str:
    return number.rstrip("0").rstrip(".") if "." in number else number


def _plain(value: float, fmt: str, trim: bool) -> str:
    if fmt == "integer" and abs(value - round(value)) < 1e-9:
        return f"{round(value):,}"
    if value != 0 and abs(value) < 0.01:
        return f"{value:.3g}"
    out = f"{value:,.2f}"
    # whole numbers drop ".00"; otherwise two decimals, so a column of values lines up
    return _trim(out) if trim or (fmt == "number" and value == int(value)) else out


def _scaled(value: float, lang: str, trim: bool) -> tuple[str, str] | None:
    for threshold, factor, suffix in (_ZH_SCALES if lang == "zh" else _EN_SCALES):
        if abs(value) >= threshold:
            number = f"{value / factor:,.{_digits(value / factor, lang)}f}"
            return (_trim(number) if trim else number), suffix
    return None


def _format(value: Any, fmt: str, unit: str, language: str, *, trim: bool, with_unit: bool = True) -> str:
    if _missing(value):
        return "—"
    lang = lang_of(language)
    number = float(value)
    if math.isinf(number):
        return "∞" if number > 0 else "-∞"
    if fmt == "percent":
        pct = f"{number * 100:,.2f}"
        return (_trim(pct) if trim else pct) + "%"
    sign, number = ("-" if number < 0 else ""), abs(number)
    scaled = _scaled(number, lang, trim)
    body = scaled[0] if scaled else _plain(number, fmt, trim)
    suffix = scaled[1] if scaled else ""
    if not with_unit:
        return f"{sign}{body}{suffix}"
    if fmt == "currency" or unit.upper() in _CURRENCY:
        symbol, word = _CURRENCY.get(unit.upper(), _CURRENCY["CNY"])
        if lang == "en":
            return f"{sign}{symbol}{body}{suffix}"
        return f"{sign}{body} {suffix}{word}"
    if unit == "%":
        return f"{sign}{body}{suffix}%"
    shown = _UNIT_ZH.get(unit, unit) if lang == "zh" else unit
    if lang == "zh":
        tail = f" {suffix}{shown}" if suffix else (f" {shown}" if shown else "")
        return f"{sign}{body}{tail}"
    return f"{sign}{body}{suffix}" + (f" {shown}" if shown else "")


def format_value(value: Any, fmt: str, unit: str, language: str) -> str:
    """A metric value for people: 万/亿 or K/M/B, % for ``percent``, ¥/元 for money; ``—`` for missing."""
    return _format(value, fmt or "number", unit or "", language, trim=False)


def format_tick(value: float, fmt: str, unit: str, language: str) -> str:
    """An axis tick: as :func:`format_value` but without trailing zeros, units left to the axis title
    (except % and the English currency symbol, which read naturally on ticks)."""
    if fmt == "percent":
        return _format(value, fmt, unit, language, trim=True)
    if lang_of(language) == "en" and (fmt == "currency" or (unit or "").upper() in _CURRENCY):
        return _format(value, "currency", unit, language, trim=True)
    return _format(value, fmt, unit, language, trim=True, with_unit=False)


def format_change(fraction: Any, language: str = "en") -> str:
    """A relative change with its sign: ``+12.3%`` / ``-9.9%``."""
    if _missing(fraction):
        return "—"
    value = float(fraction) * 100
    return f"{'+' if value >= 0 else '-'}{abs(value):,.1f}%"


def _as_date(value: Any) -> dt.date | None:
    if _missing(value):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return pd.Timestamp(value).date()
    except (ValueError, TypeError):
        return None


def format_bucket(value: Any, grain: str | None, language: str = "en", *, long: bool = False) -> str:
    """A time bucket by grain: ``2025-11``, ``2025 Q3``, ``2025-W45``, ``2025`` (``long`` for prose)."""
    day = _as_date(value)
    if day is None:
        return "—" if _missing(value) else str(value)
    grain = grain or "day"
    zh = lang_of(language) == "zh"
    if grain == "year":
        return f"{day.year}年" if zh and long else str(day.year)
    if grain == "quarter":
        q = (day.month - 1) // 3 + 1
        return f"{day.year}年第{q}季度" if zh and long else f"{day.year} Q{q}"
    if grain == "month":
        if long:
            return f"{day.year}年{day.month}月" if zh else f"{_MONTHS[day.month - 1]} {day.year}"
        return f"{day.year}-{day.month:02d}"
    if grain == "week":
        year, week, _ = day.isocalendar()
        if long and zh:
            return f"{year}年第{week}周"
        return f"{year}-W{week:02d}"
    if long and zh:
        return f"{day.year}年{day.month}月{day.day}日"
    return day.isoformat()


def format_period(start: Any, end: Any, language: str = "en") -> str:
    """A resolved period in words: whole months, quarters and years by name, else a date range."""
    a, b = _as_date(start), _as_date(end)
    if a is None or b is None:
        return ""
    zh = lang_of(language) == "zh"
    nxt = b + dt.timedelta(days=1)
    if a == b:
        return format_bucket(a, "day", language, long=True)
    if a.day == 1 and nxt.day == 1:
        months = (nxt.year - a.year) * 12 + nxt.month - a.month
        if months == 12 and a.month == 1:
            return format_bucket(a, "year", language, long=True)
        if months == 3 and a.month in (1, 4, 7, 10):
            return format_bucket(a, "quarter", language, long=True)
        if months == 1:
            return format_bucket(a, "month", language, long=True)
        first, last = format_bucket(a, "month", language, long=True), format_bucket(b, "month", language, long=True)
        return f"{first}至{last}" if zh else f"{first} to {last}"
    return f"{a.isoformat()}至{b.isoformat()}" if zh else f"{a.isoformat()} to {b.isoformat()}"


def metric_format(model: SemanticModel | None, name: str) -> tuple[str, str]:
    """``(format, unit)`` of a metric; unknown names read as plain numbers."""
    spec = model.metrics.get(name) if model is not None else None
    if spec is None:
        return "number", ""
    return spec.format, spec.unit


def column_format(model: SemanticModel | None, column: str) -> tuple[str, str]:
    """The format of a result column, following the compiler's suffixes (``__change_pct`` ...)."""
    base, _, suffix = column.partition("__")
    if suffix in ("change_pct", "share"):
        return "percent", ""
    return metric_format(model, base if suffix in ("previous", "change") else column)


def unit_label(fmt: str, unit: str, language: str) -> str:
    """What goes in an axis title's parentheses: ``元`` / ``¥`` / ``GB`` / ``%``."""
    if fmt == "percent" or unit == "%":
        return "%"
    if fmt == "currency" or unit.upper() in _CURRENCY:
        symbol, word = _CURRENCY.get(unit.upper(), _CURRENCY["CNY"])
        return word if lang_of(language) == "zh" else symbol
    return _UNIT_ZH.get(unit, unit) if lang_of(language) == "zh" else unit


def axis_title(label: str, fmt: str, unit: str, language: str) -> str:
    shown = unit_label(fmt, unit, language)
    if not shown or not label:
        return label or shown
    return f"{label}（{shown}）" if lang_of(language) == "zh" else f"{label} ({shown})"


def has_cjk(value: str) -> bool:
    return any(unicodedata.east_asian_width(ch) in "WF" for ch in value)


def display_width(value: str) -> int:
    """Columns a label takes on screen: CJK characters count double."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in value)


def member_label(members: Any, dimension: str, value: Any, language: str) -> str:
    """A member's name in the chart's language (stored values are Chinese in the sample)."""
    shown = "—" if _missing(value) else str(value)
    if members is None or lang_of(language) == "zh" or not has_cjk(shown):
        return shown
    label = members.label(dimension, shown, "en")
    if not has_cjk(label):
        return label
    # the first alias may itself be Chinese (``5G套餐``); prefer any Latin alias
    for member in getattr(members, "members", {}).get(dimension, ()):
        if member.value == shown:
            return next((a for a in member.aliases if not has_cjk(a)), label)
    return label


def nice_ticks(low: float, high: float, count: int = 5) -> list[float]:
    """Round tick values covering ``[low, high]`` (steps of 1, 2, 2.5, 5 x 10^k)."""
    if not (math.isfinite(low) and math.isfinite(high)):
        return []
    if high < low:
        low, high = high, low
    if high == low:
        high, low = (high + abs(high) * 0.5 or 1.0), (low - abs(low) * 0.5 if low else 0.0)
    raw = (high - low) / max(count, 1)
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw)
    first = math.floor(low / step) * step
    ticks: list[float] = []
    value = first
    while value <= high + step * 0.5 and len(ticks) < 50:
        ticks.append(round(value, 12))
        value += step
    return ticks


def is_additive_metric(model: SemanticModel | None, name: str) -> bool:
    """True when summing values over members is meaningful (totals, "others", stacks, waterfalls)."""
    if model is None or name not in model.metrics:
        return False
    spec = model.metrics[name]
    if isinstance(spec, SimpleMetricSpec):
        return spec.agg in ("sum", "count")
    if isinstance(spec, SemiAdditiveMetricSpec):
        return spec.agg == "sum"
    if isinstance(spec, DerivedMetricSpec):
        # sums and differences of additive metrics stay additive (net adds = new - churned)
        if any(op in spec.formula for op in "*/"):
            return False
        return all(is_additive_metric(model, leaf) for leaf in model.components(name))
    return False
