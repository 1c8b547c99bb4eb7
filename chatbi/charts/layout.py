"""Shared pieces of every figure: labels in the question's language, value axes, titles, layout."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from semantic_layer import SemanticModel, SemanticQuery
from semantic_layer.model import DimensionRef
from semantic_layer.query import MemberFilter

from ..values import as_date as _day
from .formatting import (
    FONT_FAMILY,
    axis_title,
    column_format,
    format_bucket,
    format_period,
    format_tick,
    format_value,
    lang_of,
    member_label,
    metric_label,
    nice_ticks,
    text,
)
from .selection import ChartSpec

__all__ = ["DEFAULT_HEIGHT", "GRAIN_WORDS", "TEMPLATE", "Context", "base_layout", "empty_layout", "rows_height",
           "value_axis"]

TEMPLATE = "plotly_white"
#: every figure carries an explicit height (the app sizes its chart boxes from it, an email PNG
#: renders at it); charts whose rows grow with the data use :func:`rows_height`
DEFAULT_HEIGHT = 400
ROW_HEIGHT = 26

GRAIN_WORDS = {
    "en": {"day": "day", "week": "week", "month": "month", "quarter": "quarter", "year": "year"},
    "zh": {"day": "日", "week": "周", "month": "月", "quarter": "季度", "year": "年"},
}


def rows_height(rows: int, *, minimum: int = DEFAULT_HEIGHT, chrome: int = 150) -> int:
    """The height of a chart with one row per member (horizontal bars, heatmap rows): every label
    gets its own line, plus room for the title, the axis and the legend."""
    return max(minimum, ROW_HEIGHT * rows + chrome)


def base_layout(title: str, language: str, **extra: Any) -> dict[str, Any]:
    """The layout every chart starts from (fonts that render Chinese, a quiet template, a height)."""
    layout: dict[str, Any] = {
        "template": TEMPLATE,
        "height": DEFAULT_HEIGHT,
        "title": {"text": title, "x": 0.01, "xanchor": "left", "font": {"size": 16}},
        "font": {"family": FONT_FAMILY, "size": 12},
        "hoverlabel": {"font": {"family": FONT_FAMILY}},
        "margin": {"l": 60, "r": 30, "t": 70, "b": 50},
        "legend": {"orientation": "h", "yanchor": "bottom", "y": 1.0, "xanchor": "right", "x": 1.0},
        "meta": {"language": lang_of(language)},
    }
    layout.update(extra)
    return layout


def empty_layout(title: str, language: str) -> dict[str, Any]:
    return base_layout(title, language, xaxis={"visible": False}, yaxis={"visible": False}, annotations=[
        {"text": text("no_data", language), "showarrow": False, "font": {"size": 18},
         "xref": "paper", "yref": "paper", "x": 0.5, "y": 0.5}])


def value_axis(values: Iterable[Any], fmt: str, unit: str, language: str, title: str, *,
               include_zero: bool = True, **extra: Any) -> dict[str, Any]:
    """A value axis whose ticks read 万/亿 or K/M/B (d3 formats cannot say 亿), titled with the unit."""
    numbers = [float(v) for v in values if v is not None and not pd.isna(v) and math.isfinite(float(v))]
    axis: dict[str, Any] = {"title": {"text": axis_title(title, fmt, unit, language)}, **extra}
    if numbers:
        low, high = min(numbers), max(numbers)
        if include_zero:
            low, high = min(low, 0.0), max(high, 0.0)
        ticks = nice_ticks(low, high)
        axis["tickmode"] = "array"
        axis["tickvals"] = ticks
        axis["ticktext"] = [format_tick(t, fmt, unit, language) for t in ticks]
    return axis


@dataclass
class Context:
    """Everything a builder needs to name things in the question's language."""

    query: SemanticQuery
    frame: pd.DataFrame
    model: SemanticModel | None
    language: str
    members: Any
    spec: ChartSpec
    period: tuple[Any, Any] | None = None
    #: the period compared with (a stated baseline is named by its dates: "2025年10月", "Oct 2025")
    compare_period: tuple[Any, Any] | None = None
    _dims: dict[str, DimensionRef] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.language = lang_of(self.language)
        self._dims = {r.column: r for r in map(DimensionRef.parse, self.query.dimensions)}
        base = self.query.baseline
        if self.compare_period is None and base is not None and hasattr(base, "start"):
            self.compare_period = (base.start, base.end)  # type: ignore[union-attr]

    def compared_name(self) -> str:
        """What the comparison series is called: 上期 / 去年同期, or the baseline's own period."""
        if self.query.compare == "baseline":
            if self.compare_period is not None:
                return format_period(_day(self.compare_period[0]), _day(self.compare_period[1]), self.language)
            return text("baseline", self.language)
        return text(self.query.compare or "previous_period", self.language)

    def versus(self) -> str:
        """The comparison in a title: 环比 / "year over year" / 较2025年10月 / "vs Oct 2025"."""
        if not self.query.compare:
            return ""
        if self.query.compare == "baseline":
            return text("vs_baseline", self.language).format(period=self.compared_name())
        return text("vs_" + self.query.compare, self.language)

    # -- names ----------------------------------------------------------------------------
    def label(self, name: str) -> str:
        if self.model is not None and name in self.model.metrics:
            return metric_label(self.model, name, self.language, self.frame)
        return self.model.label(name, self.language) if self.model is not None else name

    def column_label(self, column: str) -> str:
        """Header / legend name of any result column, including the compiler's suffixes."""
        if column in self._dims:
            ref = self._dims[column]
            if ref.grain:
                return GRAIN_WORDS[self.language].get(ref.grain, ref.grain).capitalize() \
                    if self.language == "en" else GRAIN_WORDS["zh"].get(ref.grain, ref.grain)
            return self.label(ref.name)
        base, _, suffix = column.partition("__")
        if not suffix:
            return self.label(column)
        name = self.label(base)
        zh = self.language == "zh"
        words = {
            "previous": self.compared_name(),
            "change": text("change", self.language),
            "change_pct": text("change", self.language) + " %",
            "share": text("share", self.language),
        }
        word = words.get(suffix, suffix)
        return f"{name}{word}" if zh else f"{name} ({word.lower() if suffix != 'change_pct' else word})"

    def fmt(self, column: str) -> tuple[str, str]:
        return column_format(self.model, column)

    def value_text(self, column: str, values: Iterable[Any]) -> list[str]:
        fmt, unit = self.fmt(column)
        return [format_value(v, fmt, unit, self.language) for v in values]

    def is_time(self, column: str | None) -> bool:
        if column is None or column not in self._dims:
            return False
        ref = self._dims[column]
        if self.model is not None and ref.name in self.model.dimensions:
            return self.model.dimensions[ref.name].type == "time"
        return ref.grain is not None

    def grain_of(self, column: str) -> str:
        ref = self._dims.get(column)
        return (ref.grain if ref and ref.grain else "day")

    def member_labels(self, column: str, values: Sequence[Any]) -> list[str]:
        """Member names, or time buckets by grain, as shown on axes and legends."""
        if column in self._dims and self.is_time(column):
            grain = self.grain_of(column)
            return [format_bucket(v, grain, self.language) for v in values]
        name = self._dims[column].name if column in self._dims else column
        return [member_label(self.members, name, v, self.language) for v in values]

    # -- titles ---------------------------------------------------------------------------
    def title(self) -> str:
        zh = self.language == "zh"
        metrics = ("、" if zh else ", ").join(self.label(m) for m in self.query.metrics)
        dims = []
        for ref in self._dims.values():
            if ref.grain and self.is_time(ref.column):
                dims.append(GRAIN_WORDS[self.language].get(ref.grain, ref.grain))
            else:
                dims.append(_lower_first(self.label(ref.name)) if not zh else self.label(ref.name))
        if not metrics:
            main = "、".join(dims) if zh else ", ".join(d.capitalize() for d in dims)
        elif zh:
            compare = self.versus()
            main = metrics + compare + (f"（按{'、'.join(dims)}）" if dims else "")
        else:
            main = metrics + (" by " + " and ".join(dims) if dims else "")
            if self.query.compare:
                main += ", " + self.versus()
        sub = self.subtitle()
        return f"{main}<br><sup>{sub}</sup>" if sub else main

    def subtitle(self) -> str:
        parts = []
        for f in self.query.filters:
            if isinstance(f, MemberFilter):
                names = [member_label(self.members, f.dimension, v, self.language) for v in f.values]
                joined = ("、" if self.language == "zh" else ", ").join(names)
                prefix = ("不含" if self.language == "zh" else "excluding ") if f.op == "not_in" else ""
                parts.append(prefix + joined)
        period = self.period or ((self.query.time_range.start, self.query.time_range.end)
                                 if self.query.time_range else None)
        if period:
            parts.append(format_period(_day(period[0]), _day(period[1]), self.language))
        return " · ".join(p for p in parts if p)


def _lower_first(label: str) -> str:
    # "Plan type" -> "plan type", but keep acronyms ("DOU", "ARPU")
    if len(label) > 1 and label[0].isupper() and label[1].islower():
        return label[0].lower() + label[1:]
    return label
