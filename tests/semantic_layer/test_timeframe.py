from __future__ import annotations

import datetime as dt

import pytest

from semantic_layer.compiler.timeframe import (
    add_units,
    default_period,
    intersect,
    longer_than_a_month,
    previous_period,
    relative_period,
    unit_start,
    year_ago,
)

D = dt.date


@pytest.mark.parametrize(("unit", "n", "offset", "expected"), [
    ("day", 1, 1, (D(2025, 12, 30), D(2025, 12, 30))),          # yesterday
    ("day", 7, 0, (D(2025, 12, 25), D(2025, 12, 31))),          # last 7 days
    ("week", 1, 1, (D(2025, 12, 22), D(2025, 12, 28))),         # last week (Mon-Sun)
    ("month", 3, 0, (D(2025, 10, 1), D(2025, 12, 31))),         # last 3 months incl. this one
    ("quarter", 1, 1, (D(2025, 7, 1), D(2025, 9, 30))),         # last quarter
    ("year", 1, 1, (D(2024, 1, 1), D(2024, 12, 31))),           # last year
])
def test_relative_periods(unit: str, n: int, offset: int, expected: tuple[dt.date, dt.date]) -> None:
    assert relative_period(D(2025, 12, 31), unit, n, offset) == expected


def test_to_date_periods_stop_at_anchor() -> None:
    anchor = D(2025, 11, 19)
    assert relative_period(anchor, "year") == (D(2025, 1, 1), anchor)        # YTD
    assert relative_period(anchor, "quarter") == (D(2025, 10, 1), anchor)    # QTD
    assert relative_period(anchor, "month") == (D(2025, 11, 1), anchor)      # MTD


def test_previous_and_year_ago() -> None:
    assert previous_period((D(2025, 7, 1), D(2025, 9, 30))) == (D(2025, 4, 1), D(2025, 6, 30))
    assert previous_period((D(2025, 3, 1), D(2025, 3, 31))) == (D(2025, 2, 1), D(2025, 2, 28))
    assert previous_period((D(2025, 11, 1), D(2025, 11, 15))) == (D(2025, 10, 1), D(2025, 10, 15))
    assert year_ago((D(2024, 2, 1), D(2024, 2, 29))) == (D(2023, 2, 1), D(2023, 2, 28))


def test_units_and_intersection() -> None:
    assert unit_start(D(2025, 11, 19), "week") == D(2025, 11, 17)
    assert add_units(D(2025, 1, 31), "month", 1) == D(2025, 2, 28)
    assert intersect([(D(2025, 1, 1), D(2025, 12, 31)), (D(2025, 6, 1), D(2026, 1, 1))]) == (D(2025, 6, 1), D(2025, 12, 31))
    with pytest.raises(ValueError, match="do not overlap"):
        intersect([(D(2025, 1, 1), D(2025, 1, 31)), (D(2025, 3, 1), D(2025, 3, 31))])


def test_shift_period_keeps_month_ends() -> None:
    from semantic_layer.compiler.timeframe import shift_period

    assert shift_period((D(2025, 1, 1), D(2025, 6, 30)), "month", -1) == (D(2024, 12, 1), D(2025, 5, 31))
    assert shift_period((D(2025, 1, 1), D(2025, 2, 28)), "year", -1) == (D(2024, 1, 1), D(2024, 2, 29))
    assert shift_period((D(2025, 4, 1), D(2025, 6, 30)), "quarter", -1) == (D(2025, 1, 1), D(2025, 3, 31))
    assert shift_period((D(2025, 1, 15), D(2025, 3, 14)), "month", -1) == (D(2024, 12, 15), D(2025, 2, 14))
    assert shift_period((D(2025, 6, 2), D(2025, 8, 31)), "week", -52) == (D(2024, 6, 3), D(2024, 9, 1))
    assert shift_period((D(2025, 3, 1), D(2025, 3, 14)), "day", -1) == (D(2025, 2, 28), D(2025, 3, 13))


@pytest.mark.parametrize(("rule", "anchor", "expected"), [
    ("latest_complete_month", dt.date(2025, 12, 31), (dt.date(2025, 12, 1), dt.date(2025, 12, 31))),
    ("latest_complete_month", dt.date(2025, 12, 30), (dt.date(2025, 11, 1), dt.date(2025, 11, 30))),
    ("latest_complete_month", dt.date(2024, 3, 1), (dt.date(2024, 2, 1), dt.date(2024, 2, 29))),
    ("latest_month", dt.date(2025, 12, 15), (dt.date(2025, 12, 1), dt.date(2025, 12, 15))),
    ("latest_complete_quarter", dt.date(2025, 11, 30), (dt.date(2025, 7, 1), dt.date(2025, 9, 30))),
    ("latest_complete_year", dt.date(2025, 12, 31), (dt.date(2025, 1, 1), dt.date(2025, 12, 31))),
    ("latest_complete_week", dt.date(2025, 12, 31), (dt.date(2025, 12, 22), dt.date(2025, 12, 28))),
    ("latest_complete_day", dt.date(2025, 12, 31), (dt.date(2025, 12, 31), dt.date(2025, 12, 31))),
    ("all", dt.date(2025, 12, 31), None),
])
def test_default_periods(rule: str, anchor: dt.date, expected: tuple[dt.date, dt.date] | None) -> None:
    assert default_period(rule, anchor) == expected


def test_longer_than_a_month() -> None:
    assert not longer_than_a_month((dt.date(2025, 12, 1), dt.date(2025, 12, 31)))
    assert not longer_than_a_month((dt.date(2025, 9, 29), dt.date(2025, 10, 5)))  # a week across months
    assert longer_than_a_month((dt.date(2025, 11, 1), dt.date(2025, 12, 31)))
    assert longer_than_a_month(None)  # all data
