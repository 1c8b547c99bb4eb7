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

from ..messages import message
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

__all__ = ["DEFAULT_HEIGHT", "TEMPLATE", "Context", "base_layout", "empty_layout", "rows_height",
           "value_axis"]

TEMPLATE = "plotly_white"
#: every figure carries an explicit height (the app sizes its chart boxes from it, an email PNG
#: renders at it); charts whose rows grow with the data use :func:`rows_height`
DEFAULT_HEIGHT = 400
ROW_HEIGHT = 26


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
        # the legend sits at the foot of the figure (plotly makes room for it): at the top right it ran
        # into the title on a phone, where its entries wrap
        "legend": {"orientation": "h", "xref": "container", "x": 0.01, "xanchor": "left",
                   "yref": "container", "y": 0.0, "yanchor": "bottom"},
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
                return message(f"table.grain.{ref.grain}", self.language)
            return self.label(ref.name)
        base, _, suffix = column.partition("__")
        if not suffix:
            return self.label(column)
        name = self.label(base)
        if suffix == "previous":
            word = self.compared_name()
            if self.query.compare != "baseline":  # a stated period keeps its capitals: "Oct 2025"
                word = _lower_first(word)
            return message("table.previous", self.language, name=name, word=word)
        if suffix in ("change", "change_pct", "share"):
            return message(f"table.{suffix}", self.language, name=name)
        return column

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
        lang = self.language
        cased = message("common.sentence_case", lang) == "yes"  # scripts with letter case: "by plan type"
        metrics = message("chart.metrics_join", lang).join(self.label(m) for m in self.query.metrics)
        dims = []
        for ref in self._dims.values():
            if ref.grain and self.is_time(ref.column):
                dims.append(message(f"grain.{ref.grain}", lang))
            else:
                dims.append(_lower_first(self.label(ref.name)) if cased else self.label(ref.name))
        if not metrics:
            main = message("chart.list_join", lang).join(d[:1].upper() + d[1:] if cased else d for d in dims)
        else:
            compare = message("chart.title_compare", lang, compare=self.versus()) if self.query.compare else ""
            by = message("chart.title_dims", lang, dims=message("chart.dims_join", lang).join(dims)) if dims else ""
            main = message("chart.title", lang, metrics=metrics, dims=by, compare=compare)
        sub = self.subtitle()
        return f"{main}<br><sup>{sub}</sup>" if sub else main

    def subtitle(self) -> str:
        parts = []
        for f in self.query.filters:
            if isinstance(f, MemberFilter):
                names = [member_label(self.members, f.dimension, v, self.language) for v in f.values]
                joined = message("chart.list_join", self.language).join(names)
                parts.append(message("chart.excluding", self.language, names=joined) if f.op == "not_in" else joined)
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
