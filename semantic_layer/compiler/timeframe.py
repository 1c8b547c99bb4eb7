"""Date arithmetic for query periods: relative periods, grains and comparison periods.

Pure functions on ``datetime.date``; the SQL side lives in ``dialects.py``.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Iterable

__all__ = [
    "Period",
    "unit_start",
    "add_units",
    "relative_period",
    "intersect",
    "previous_period",
    "year_ago",
    "shift_period",
    "default_period",
    "longer_than_a_month",
]

Period = tuple[dt.date, dt.date]  # inclusive


def unit_start(day: dt.date, unit: str) -> dt.date:
    """The first day of the ``unit`` (day/week/month/quarter/year) that contains ``day``.

    >>> unit_start(dt.date(2025, 11, 19), "quarter")
    datetime.date(2025, 10, 1)
    """
    if unit == "day":
        return day
    if unit == "week":
        return day - dt.timedelta(days=day.weekday())  # ISO weeks start on Monday
    if unit == "month":
        return day.replace(day=1)
    if unit == "quarter":
        return dt.date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)
    if unit == "year":
        return dt.date(day.year, 1, 1)
    raise ValueError(f"unknown time unit {unit!r}")


def add_months(day: dt.date, months: int) -> dt.date:
    """Shift by calendar months, clamping the day (Jan 31 + 1 month = Feb 28/29)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return dt.date(year, month + 1, min(day.day, last))


def add_units(day: dt.date, unit: str, n: int) -> dt.date:
    if unit == "day":
        return day + dt.timedelta(days=n)
    if unit == "week":
        return day + dt.timedelta(weeks=n)
    if unit == "month":
        return add_months(day, n)
    if unit == "quarter":
        return add_months(day, 3 * n)
    if unit == "year":
        return add_months(day, 12 * n)
    raise ValueError(f"unknown time unit {unit!r}")


def relative_period(anchor: dt.date, unit: str, n: int = 1, offset: int = 0) -> Period:
    """``n`` whole units ending ``offset`` units before the anchor's unit; clipped at the anchor.

    >>> relative_period(dt.date(2025, 12, 31), "month", 1, 1)
    (datetime.date(2025, 11, 1), datetime.date(2025, 11, 30))
    >>> relative_period(dt.date(2025, 6, 15), "year")
    (datetime.date(2025, 1, 1), datetime.date(2025, 6, 15))
    """
    last_unit_start = add_units(unit_start(anchor, unit), unit, -offset)
    start = add_units(last_unit_start, unit, -(n - 1))
    end = add_units(last_unit_start, unit, 1) - dt.timedelta(days=1)
    return start, min(end, anchor)


def intersect(periods: Iterable[Period]) -> Period | None:
    """The overlap of several periods; raises ValueError when they do not overlap."""
    items = list(periods)
    if not items:
        return None
    start = max(p[0] for p in items)
    end = min(p[1] for p in items)
    if start > end:
        raise ValueError("the time conditions do not overlap: " + ", ".join(f"{a}..{b}" for a, b in items))
    return start, end


def _is_month_end(day: dt.date) -> bool:
    return day.day == calendar.monthrange(day.year, day.month)[1]


def _shift_months(period: Period, months: int) -> Period:
    start, end = period
    new_end = add_months(end, months)
    if _is_month_end(end):  # keep "whole month" periods whole (Nov 30 -> Oct 31)
        new_end = new_end.replace(day=calendar.monthrange(new_end.year, new_end.month)[1])
    return add_months(start, months), new_end


def previous_period(period: Period) -> Period:
    """The period just before ``period`` of the same calendar length.

    Month-aligned periods move by whole months (Nov -> Oct, Q3 -> Q2, Nov 1-15 -> Oct 1-15);
    others move back by their length in days.

    >>> previous_period((dt.date(2025, 11, 1), dt.date(2025, 11, 30)))
    (datetime.date(2025, 10, 1), datetime.date(2025, 10, 31))
    >>> previous_period((dt.date(2025, 3, 10), dt.date(2025, 3, 16)))
    (datetime.date(2025, 3, 3), datetime.date(2025, 3, 9))
    """
    start, end = period
    if start.day == 1:
        months = (end.year - start.year) * 12 + end.month - start.month + 1
        return _shift_months(period, -months)
    days = (end - start).days + 1
    return start - dt.timedelta(days=days), end - dt.timedelta(days=days)


def year_ago(period: Period) -> Period:
    """The same period one year earlier (month ends stay month ends)."""
    return _shift_months(period, -12)


_MONTHS = {"month": 1, "quarter": 3, "year": 12}


def shift_period(period: Period, unit: str, n: int) -> Period:
    """``period`` moved by ``n`` units; month-based units keep month ends at month ends, so the
    buckets of a shifted period are whole where the original's are (June 30 - 1 month = May 31).

    >>> shift_period((dt.date(2025, 1, 1), dt.date(2025, 6, 30)), "month", -1)
    (datetime.date(2024, 12, 1), datetime.date(2025, 5, 31))
    >>> shift_period((dt.date(2025, 6, 2), dt.date(2025, 8, 31)), "week", -52)
    (datetime.date(2024, 6, 3), datetime.date(2024, 9, 1))
    """
    if unit in _MONTHS:
        return _shift_months(period, n * _MONTHS[unit])
    return add_units(period[0], unit, n), add_units(period[1], unit, n)


def default_period(rule: str, anchor: dt.date) -> Period | None:
    """The period a model's ``default_period`` names at ``anchor`` (None for ``all``).

    ``latest_<unit>`` is the anchor's unit up to the anchor; ``latest_complete_<unit>`` the anchor's
    unit when the anchor is its last day, else the unit before it.

    >>> default_period("latest_complete_month", dt.date(2025, 12, 31))
    (datetime.date(2025, 12, 1), datetime.date(2025, 12, 31))
    >>> default_period("latest_complete_month", dt.date(2025, 12, 15))
    (datetime.date(2025, 11, 1), datetime.date(2025, 11, 30))
    >>> default_period("latest_quarter", dt.date(2025, 11, 15))
    (datetime.date(2025, 10, 1), datetime.date(2025, 11, 15))
    """
    if rule == "all":
        return None
    unit = rule.rsplit("_", 1)[-1]
    start = unit_start(anchor, unit)
    end = add_units(start, unit, 1) - dt.timedelta(days=1)
    if not rule.startswith("latest_complete_"):
        return start, min(end, anchor)
    if anchor >= end:
        return start, end
    return add_units(start, unit, -1), start - dt.timedelta(days=1)


def longer_than_a_month(period: Period | None) -> bool:
    """Does a period (None: all data) hold more than one month's worth of days?

    >>> longer_than_a_month((dt.date(2025, 11, 15), dt.date(2025, 12, 14))), longer_than_a_month(None)
    (False, True)
    """
    return period is None or (period[1] - period[0]).days + 1 > 31
