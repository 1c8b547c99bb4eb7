"""Periods for change analysis: parse what users write, find the baseline, name them in text.

>>> parse_period("2025-11")
(datetime.date(2025, 11, 1), datetime.date(2025, 11, 30))
>>> parse_period("2025-Q3")
(datetime.date(2025, 7, 1), datetime.date(2025, 9, 30))
>>> resolve_baseline(None, parse_period("2025-11"))
(datetime.date(2025, 10, 1), datetime.date(2025, 10, 31))
>>> period_label(parse_period("2025-11"), "zh"), period_label(parse_period("2025-Q3"), "en")
('2025年11月', 'Q3 2025')
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from collections.abc import Sequence

from semantic_layer.compiler.timeframe import Period, previous_period, year_ago

from ..errors import ConfigError
from ..messages import message

__all__ = ["Period", "PeriodLike", "parse_period", "resolve_baseline", "period_label", "period_days"]

PeriodLike = str | Sequence[str | dt.date] | tuple[dt.date, dt.date]

_MONTH = re.compile(r"^(\d{4})[-/.年](\d{1,2})月?$")
_QUARTER = re.compile(r"^(\d{4})\s*[-/ ]?\s*[Qq]([1-4])$")
_HALF = re.compile(r"^(\d{4})\s*[-/ ]?\s*[Hh]([12])$")
_YEAR = re.compile(r"^(\d{4})年?$")
_RANGE = re.compile(r"^(.+?)\s*(?:\.\.|/| to |至|~)\s*(.+)$")
_PREVIOUS = {"previous_period", "previous", "pop", "mom", "prev"}
_YOY = {"year_over_year", "yoy", "same_period_last_year"}

def _month(year: int, month: int) -> Period:
    if not 1 <= month <= 12:
        raise ConfigError(f"no month {month} in a year")
    return dt.date(year, month, 1), dt.date(year, month, calendar.monthrange(year, month)[1])


def _date(value: str | dt.date) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError:
        raise ConfigError(f"not a date: {value!r} (use ISO dates such as 2025-11-30)") from None


def parse_period(value: PeriodLike) -> Period:
    """A ``(start, end)`` pair of dates (inclusive) from a pair or a string.

    Strings: ``2025-11`` (a month), ``2025-Q3``, ``2025-H1``, ``2025``, ``2025-11-05`` (a
    day) or a range ``2025-11-01..2025-11-15``.
    """
    if isinstance(value, (tuple, list)):
        if len(value) != 2:
            raise ConfigError(f"a period is a (start, end) pair, got {value!r}")
        start, end = _date(value[0]), _date(value[1])
    elif isinstance(value, str):
        text = value.strip()
        if m := _MONTH.match(text):
            return _month(int(m[1]), int(m[2]))
        if m := _QUARTER.match(text):
            first = 3 * (int(m[2]) - 1) + 1
            return _month(int(m[1]), first)[0], _month(int(m[1]), first + 2)[1]
        if m := _HALF.match(text):
            first = 1 if m[2] == "1" else 7
            return _month(int(m[1]), first)[0], _month(int(m[1]), first + 5)[1]
        if m := _YEAR.match(text):
            return dt.date(int(m[1]), 1, 1), dt.date(int(m[1]), 12, 31)
        if m := _RANGE.match(text):
            start, end = parse_period(m[1])[0], parse_period(m[2])[1]
        else:
            try:
                start = end = _date(text)
            except ConfigError:
                raise ConfigError(f"cannot read a period from {value!r}; use '2025-11', '2025-Q3', '2025', "
                                  "'2025-11-01..2025-11-15' or a (start, end) pair of ISO dates") from None
    else:
        raise ConfigError(f"cannot read a period from {value!r}; use '2025-11' or ('2025-11-01', '2025-11-30')")
    if start > end:
        raise ConfigError(f"the period starts ({start}) after it ends ({end})")
    return start, end


def resolve_baseline(baseline: PeriodLike | None, period: Period) -> Period:
    """The period to compare against: by default the previous period of equal calendar length."""
    if baseline is None or (isinstance(baseline, str) and baseline.strip().lower() in _PREVIOUS):
        return previous_period(period)
    if isinstance(baseline, str) and baseline.strip().lower() in _YOY:
        return year_ago(period)
    return parse_period(baseline)


def period_days(period: Period) -> int:
    return (period[1] - period[0]).days + 1


def period_label(period: Period, lang: str = "en") -> str:
    """A month, quarter, half or year by its name; anything else as a date range."""
    start, end = period
    last = calendar.monthrange(end.year, end.month)[1]
    whole_months = start.day == 1 and end.day == last
    months = (end.year - start.year) * 12 + end.month - start.month + 1
    if start == end:
        return start.isoformat()
    if whole_months and start.year == end.year:
        year = start.year
        if months == 1:
            return message("period.month", lang, year=year,
                           month_name=message(f"period.month_names.{start.month}", lang))
        if months == 3 and start.month % 3 == 1:
            return message("period.quarter", lang, year=year, quarter=(start.month - 1) // 3 + 1)
        if months == 6 and start.month in (1, 7):
            return message("period.half_1" if start.month == 1 else "period.half_2", lang, year=year)
        if months == 12:
            return message("period.year", lang, year=year)
    return message("period.range", lang, start=start.isoformat(), end=end.isoformat())
