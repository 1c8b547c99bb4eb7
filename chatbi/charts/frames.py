"""Charts and words for a result that has no semantic query: hand-written SQL.

A custom-SQL result is read as the query it could have been -- numeric columns are metrics, the
rest dimensions (a date column a time dimension at the grain its values suggest) -- and then
drawn and narrated by the same :func:`~chatbi.charts.build_figure` and
:func:`~chatbi.narrative.narrate` as any answer. Columns named after the model's metrics and
dimensions get their labels, units and number formats (``SUM(revenue) AS revenue`` is money in
元 / ¥); other columns keep their own names. So a plain two-column result gets a title, labelled
axes, a sentence and a chart instead of "no chart fits this result".
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

import pandas as pd

from semantic_layer import SemanticModel, SemanticQuery

__all__ = ["FramePresentation", "frame_query", "present_frame"]

_UNSAFE = re.compile(r"[.\s]+")


@dataclass(frozen=True)
class FramePresentation:
    """The query a result was read as (with the frame renamed to match it), its text and figure."""

    query: SemanticQuery
    frame: pd.DataFrame
    text: str
    figure: Any


def _grain(values: pd.Series) -> str:
    """The grain dates suggest: all on 1 January -> year, quarter starts -> quarter, firsts -> month."""
    days = values.dropna()
    if days.empty or not (days.dt.day == 1).all():
        return "day"
    months = days.dt.month
    if (months == 1).all() and days.nunique() > 1:
        return "year"
    if months.isin([1, 4, 7, 10]).all() and (months != 1).any():
        return "quarter"
    return "month"


def _dates(series: pd.Series) -> pd.Series | None:
    """The column as timestamps when it holds dates (DATE values arrive as objects), else None."""
    if pd.api.types.is_datetime64_any_dtype(series):
        return series
    if series.dtype == object and series.dropna().map(lambda v: isinstance(v, dt.date)).all() \
            and not series.dropna().empty:
        return pd.to_datetime(series)
    return None


def frame_query(frame: pd.DataFrame) -> tuple[SemanticQuery, pd.DataFrame] | None:
    """The semantic query a result frame reads as, and the frame with matching column names;
    ``None`` when there is nothing to draw (no rows, or no numeric column)."""
    if frame is None or frame.empty:
        return None
    metrics: list[str] = []
    dimensions: list[str] = []
    renamed: dict[str, str] = {}
    data = frame.copy()
    used: set[str] = set()
    for column in frame.columns:
        name = _UNSAFE.sub("_", str(column)).strip("_") or "value"
        while name in used:
            name += "_"
        used.add(name)
        series = frame[column]
        stamps = _dates(series)
        if stamps is not None:
            grain = _grain(stamps)
            data[column] = stamps
            renamed[column] = f"{name}__{grain}"
            dimensions.append(f"{name}.{grain}")
        elif pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series):
            renamed[column] = name
            metrics.append(name)
        else:
            renamed[column] = name
            dimensions.append(name)
    if not metrics:
        return None
    query = SemanticQuery(metrics=tuple(metrics), dimensions=tuple(dimensions))
    return query, data.rename(columns=renamed)


def present_frame(frame: pd.DataFrame | None, model: SemanticModel | None, *, language: str = "en",
                  members: Any = None) -> FramePresentation | None:
    """Text and figure for a result without a semantic query (``None`` when nothing can be drawn)."""
    from ..narrative import narrate
    from . import build_figure

    read = frame_query(frame) if frame is not None else None
    if read is None:
        return None
    query, data = read
    figure = build_figure(query, data, model, language=language, members=members)
    text = narrate(query, data, model, language=language, members=members)
    return FramePresentation(query=query, frame=data, text=text, figure=figure)
