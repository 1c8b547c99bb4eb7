"""The period a report covers: one whole unit (a day, week, month, quarter or year).

>>> import datetime as dt
>>> report_period("2025-11", "month", dt.date(2025, 12, 31))
(datetime.date(2025, 11, 1), datetime.date(2025, 11, 30))
>>> report_period(None, "month", dt.date(2025, 12, 20))       # the last complete month
(datetime.date(2025, 11, 1), datetime.date(2025, 11, 30))
>>> report_period("2025-W45", "week", dt.date(2025, 12, 31))
(datetime.date(2025, 11, 3), datetime.date(2025, 11, 9))
>>> window(report_period("2025-11", "month", dt.date(2025, 12, 31)), "month", 3)
(datetime.date(2025, 9, 1), datetime.date(2025, 11, 30))
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from semantic_layer.compiler.timeframe import Period, add_units, previous_period, unit_start, year_ago

from ..analysis.periods import parse_period
from ..errors import ConfigError

__all__ = ["Period", "report_period", "is_whole", "window", "comparison_period", "unit_end", "last_complete",
           "period_key", "default_grain", "default_window", "period_value", "recent_periods"]

_WEEK = re.compile(r"^(\d{4})-?W(\d{1,2})$", re.IGNORECASE)
_LATEST = {"", "latest", "last", "current"}
_EXAMPLE = {"day": "2025-11-30", "week": "2025-W48", "month": "2025-11", "quarter": "2025-Q4", "year": "2025"}
#: the trend grain and window (buckets) that suit a report of each unit
_TREND = {"day": ("day", 30), "week": ("week", 13), "month": ("month", 13), "quarter": ("quarter", 8),
          "year": ("year", 5)}


def unit_end(day: dt.date, unit: str) -> dt.date:
    return add_units(unit_start(day, unit), unit, 1) - dt.timedelta(days=1)


def is_whole(period: Period, unit: str) -> bool:
    return unit_start(period[0], unit) == period[0] and unit_end(period[0], unit) == period[1]


def last_complete(anchor: dt.date, unit: str, offset: int = 1) -> Period:
    """The unit ``offset`` units before the one containing ``anchor``; ``offset=1`` from a date that
    is itself the unit's last day means that very unit (the data of Dec 31 completes December)."""
    start = unit_start(anchor, unit)
    if offset >= 1 and unit_end(anchor, unit) == anchor:
        offset -= 1
    first = add_units(start, unit, -offset)
    return first, unit_end(first, unit)


def report_period(value: Any, unit: str, anchor: dt.date) -> Period:
    """The period named by ``value`` (``"2025-11"``, ``"2025-Q4"``, ``"2025-W45"``, a date, a pair, or
    None/"latest" for the last complete unit by the data), which must be exactly one ``unit``."""
    if value is None or (isinstance(value, str) and value.strip().lower() in _LATEST):
        return last_complete(anchor, unit)
    if isinstance(value, dt.date):
        period: Period = (value, value) if unit == "day" else (unit_start(value, unit), unit_end(value, unit))
    elif isinstance(value, str) and (m := _WEEK.match(value.strip())):
        try:
            monday = dt.date.fromisocalendar(int(m[1]), int(m[2]), 1)
        except ValueError:
            raise ConfigError(f"no week {value!r}; use an ISO week such as {_EXAMPLE['week']}") from None
        period = (monday, monday + dt.timedelta(days=6))
    else:
        period = parse_period(value)
    if not is_whole(period, unit):
        raise ConfigError(f"this report covers one {unit}; {_show(value)} is not one "
                          f"(use e.g. {_EXAMPLE[unit]}, or leave the period out for the last complete {unit})")
    return period


def _show(value: Any) -> str:
    return repr(value if not isinstance(value, tuple) else "..".join(map(str, value)))


def comparison_period(period: Period, compare: str) -> Period:
    return previous_period(period) if compare == "previous_period" else year_ago(period)


def window(period: Period, grain: str, buckets: int) -> Period:
    """``buckets`` whole ``grain`` buckets ending with the one that holds the period's end."""
    last = unit_start(period[1], grain)
    return add_units(last, grain, -(buckets - 1)), period[1]


def period_key(period: Period) -> str:
    """A stable text key: ``2025-11-01..2025-11-30``."""
    return f"{period[0].isoformat()}..{period[1].isoformat()}"


def default_grain(unit: str) -> str:
    return _TREND[unit][0]


def default_window(unit: str) -> int:
    return _TREND[unit][1]


def period_value(period: Period, unit: str) -> str:
    """The text that names ``period`` for :func:`report_period` (``2025-11``, ``2025-Q4``, ``2025-W45``).

    >>> period_value((dt.date(2025, 10, 1), dt.date(2025, 12, 31)), "quarter")
    '2025-Q4'
    """
    start = period[0]
    if unit == "day":
        return start.isoformat()
    if unit == "week":
        year, week, _ = start.isocalendar()
        return f"{year}-W{week:02d}"
    if unit == "month":
        return f"{start.year}-{start.month:02d}"
    if unit == "quarter":
        return f"{start.year}-Q{(start.month - 1) // 3 + 1}"
    return str(start.year)


def recent_periods(anchor: dt.date, unit: str, count: int) -> list[Period]:
    """The last ``count`` complete units by the data's newest date, newest first."""
    latest = last_complete(anchor, unit)
    return [(add_units(latest[0], unit, -i), unit_end(add_units(latest[0], unit, -i), unit)) for i in range(count)]
