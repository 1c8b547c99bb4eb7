"""Dates, periods and labels as people read them, in English or Chinese; numbers come from
:mod:`chatbi.charts.numbers` (re-exported here), the one number layer of every surface.

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

from ..messages import message
from ..values import is_missing as _missing
from .numbers import (
    clean_number,
    format_change,
    format_delta,
    format_exact,
    format_share,
    format_tick,
    format_value,
    lang_of,
    unit_label,
)

__all__ = [
    "FONT_FAMILY",
    "OTHERS_COLOR",
    "PALETTE",
    "axis_title",
    "clean_number",
    "column_format",
    "display_width",
    "format_bucket",
    "format_change",
    "format_delta",
    "format_exact",
    "format_period",
    "format_share",
    "format_tick",
    "format_value",
    "has_cjk",
    "iso_bucket",
    "is_additive_metric",
    "lang_of",
    "member_label",
    "metric_format",
    "metric_label",
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

def text(key: str, language: str) -> str:
    """A chart word (``chart.*`` in the message catalogs)."""
    return message(f"chart.{key}", language)


def metric_label(model: SemanticModel | None, name: str, language: str, frame: pd.DataFrame | None = None) -> str:
    """A metric's name as reported: ``月均ARPU`` / ``ARPU per month`` when the compiler divided it by its
    months (``frame.attrs["per_month"]``, set by the ask pipeline), else its label."""
    label = model.label(name, lang_of(language)) if model is not None else name
    if frame is not None and name in frame.attrs.get("per_month", ()):
        return text("per_month", language).format(metric=label)
    return label


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


def format_bucket(value: Any, grain: str | None, language: str = "en", *, long: bool = False,
                  spelled: bool = False) -> str:
    """A time bucket by grain, as axis ticks and table cells show it: ``2025年11月`` / ``Nov 2025``,
    ``2025 Q3``, ``2025-W45``, ``2025``, days as ISO dates; ``long`` spells it out for prose
    (``2025年第3季度``, ``2025年11月3日``), ``spelled`` English months and days too (``December 2025``,
    ``December 31, 2025``). The patterns are the catalogs' ``bucket.*``."""
    day = _as_date(value)
    if day is None:
        return "—" if _missing(value) else str(value)
    grain = grain or "day"
    if grain == "year":
        return message("bucket.year_long", language, year=day.year) if long else str(day.year)
    if grain == "quarter":
        q = (day.month - 1) // 3 + 1
        return message("bucket.quarter_long" if long else "bucket.quarter", language, year=day.year, quarter=q)
    if grain == "month":
        return message("bucket.month_spelled" if spelled else "bucket.month", language, year=day.year,
                       month=day.month, month_abbr=message(f"bucket.month_abbr.{day.month}", language),
                       month_name=message(f"bucket.month_name.{day.month}", language))
    if grain == "week":
        year, week, _ = day.isocalendar()
        return message("bucket.week_long", language, year=year, week=week) if long else f"{year}-W{week:02d}"
    if spelled:  # prose: "on December 31, 2025"
        return message("bucket.day_spelled", language, year=day.year, month=day.month, day=day.day,
                       month_name=message(f"bucket.month_name.{day.month}", language))
    if long:
        return message("bucket.day_long", language, year=day.year, month=day.month, day=day.day)
    return day.isoformat()


def iso_bucket(value: Any, grain: str | None) -> str:
    """A time bucket for machines (CSV): ``2025-11``, ``2025-Q3``, ``2025-W45``, ``2025``, ISO days."""
    day = _as_date(value)
    if day is None:
        return "" if _missing(value) else str(value)
    grain = grain or "day"
    if grain == "year":
        return str(day.year)
    if grain == "quarter":
        return f"{day.year}-Q{(day.month - 1) // 3 + 1}"
    if grain == "month":
        return f"{day.year}-{day.month:02d}"
    if grain == "week":
        year, week, _ = day.isocalendar()
        return f"{year}-W{week:02d}"
    return day.isoformat()


def format_period(start: Any, end: Any, language: str = "en", *, spelled: bool = False) -> str:
    """A resolved period in words: whole months, quarters and years by name, else a date range
    (``spelled``: English months and days written out, as prose reads them)."""
    a, b = _as_date(start), _as_date(end)
    if a is None or b is None:
        return ""
    nxt = b + dt.timedelta(days=1)
    if a == b:
        return format_bucket(a, "day", language, long=True, spelled=spelled)
    if a.day == 1 and nxt.day == 1:
        months = (nxt.year - a.year) * 12 + nxt.month - a.month
        if months == 12 and a.month == 1:
            return format_bucket(a, "year", language, long=True, spelled=spelled)
        if months == 3 and a.month in (1, 4, 7, 10):
            return format_bucket(a, "quarter", language, long=True, spelled=spelled)
        if months == 1:
            return format_bucket(a, "month", language, long=True, spelled=spelled)
        first = format_bucket(a, "month", language, long=True, spelled=spelled)
        last = format_bucket(b, "month", language, long=True, spelled=spelled)
        return message("bucket.range", language, first=first, last=last)
    if spelled:
        first = format_bucket(a, "day", language, long=True, spelled=True)
        last = format_bucket(b, "day", language, long=True, spelled=True)
        return message("bucket.range", language, first=first, last=last)
    return message("bucket.range", language, first=a.isoformat(), last=b.isoformat())


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
    return metric_format(model, base if suffix in ("previous", "change", "runner_up") else column)


def axis_title(label: str, fmt: str, unit: str, language: str) -> str:
    shown = unit_label(fmt, unit, language)
    if not shown or not label:
        return label or shown
    return message("chart.axis_title", language, label=label, unit=shown)


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
