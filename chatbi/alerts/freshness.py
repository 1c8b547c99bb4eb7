"""No data is not "all clear": is the data behind an alert as new as its schedule implies?

A rule firing on 1 February at 09:00 for "last month" expects data through 31 January. When the
warehouse's newest date (``ChatBI.as_of``) is older, the rule's evaluation is **stale**: its
numbers are about an older period, or there are none. Two statuses come of it, next to
``triggered`` and ``error`` (:attr:`chatbi.alerts.Evaluation.status`):

* ``no_data`` -- the evaluated period has no rows at all (the data ends before it starts, or the
  metric's table has nothing there): the rule could not check anything, so it is reported as
  missing, never as quiet;
* ``stale`` -- the period had data, but the data ends before the date the schedule implies (a rule
  with ``relative_to: data`` or ``auto`` evaluated the data's last complete period instead).

``relative_to: auto`` evaluates the schedule's period while the data reaches it and the data's
last complete period once the data ends before it -- what the sample rules use, so a warehouse
that stopped loading is evaluated on its last real month *and* flagged, instead of an empty month.
A rule with ``notify_stale: true`` (the default) sends its digest for such an evaluation even when
nothing triggered.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

__all__ = ["expected_end", "assess", "has_data", "FRESH", "STALE", "NO_DATA"]

FRESH, STALE, NO_DATA = "fresh", "stale", "no_data"


def expected_end(rule: Any, fire: dt.datetime | None) -> dt.date:
    """The last day the data should reach when ``rule`` fires at ``fire`` (the end of the period the
    schedule itself points at, whatever the rule's ``relative_to``)."""
    from .evaluate import schedule_period

    return schedule_period(rule, fire)[1]


def has_data(rows: Sequence[Any]) -> bool:
    """Whether any row of an evaluation carries a value (an empty result gives one empty row)."""
    return any(getattr(r, "value", None) is not None for r in rows)


def assess(rule: Any, period: tuple[dt.date, dt.date], fire: dt.datetime | None, data_end: dt.date | None,
           rows: Sequence[Any]) -> tuple[str, dt.date | None]:
    """The freshness of one evaluation and the date the data should have reached.

    ``data_end`` None (the model has no dates) judges by the rows alone.
    """
    expected = expected_end(rule, fire)
    if not has_data(rows) or (data_end is not None and data_end < period[0]):
        return NO_DATA, expected
    if data_end is not None and data_end < expected:
        return STALE, expected
    return FRESH, expected
