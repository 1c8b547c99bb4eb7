"""Partial time buckets: a weekly answer for August starts with a week of which only Friday to Sunday
are in August. Such a bucket is not comparable with whole ones, so the text says so and the chart
marks it (the numbers stay those of the question's period: nothing is trimmed silently).

Plotly-free: the narrative and the charts both ask.

>>> import datetime as dt
>>> [(p.edge, p.start, p.days, p.length) for p in partial_buckets((dt.date(2025, 8, 1), dt.date(2025, 8, 31)), "week")]
[('first', datetime.date(2025, 7, 28), 3, 7)]
>>> [(p.edge, p.days, p.length) for p in partial_buckets((dt.date(2025, 3, 15), dt.date(2025, 6, 30)), "month")]
[('first', 17, 31)]
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from semantic_layer.compiler.timeframe import add_units, unit_start

from ..values import as_date


def _date(value: Any) -> dt.date | None:
    day = as_date(value)
    return day.date() if isinstance(day, dt.datetime) else day

__all__ = ["Partial", "partial_buckets"]


@dataclass(frozen=True)
class Partial:
    """A first or last bucket of a period that holds only ``days`` of its ``length`` days."""

    edge: str  # "first" | "last"
    start: dt.date  # the bucket's own start (its label on the axis)
    days: int
    length: int
    first_day: dt.date  # the days of the period it holds
    last_day: dt.date


def partial_buckets(period: tuple[Any, Any] | None, grain: str | None) -> list[Partial]:
    """The first and last ``grain`` buckets of ``period`` that the period cuts (none for days)."""
    if period is None or grain in (None, "day"):
        return []
    start, end = _date(period[0]), _date(period[1])
    if start is None or end is None or start > end:
        return []
    out: list[Partial] = []
    first = unit_start(start, grain)
    first_end = add_units(first, grain, 1) - dt.timedelta(days=1)
    if first < start:
        stop = min(first_end, end)
        out.append(Partial("first", first, (stop - start).days + 1, (first_end - first).days + 1, start, stop))
    last = unit_start(end, grain)
    last_end = add_units(last, grain, 1) - dt.timedelta(days=1)
    if last_end > end and not (out and last == first):
        begin = max(last, start)
        out.append(Partial("last", last, (end - begin).days + 1, (last_end - last).days + 1, begin, end))
    return out
