"""Every time grain x every comparison equals hand-written SQL over the raw sample tables.

Each case states by hand the current period, the period it is compared with and how far a
bucket moves to meet its counterpart, so a compiler bug cannot hide on both sides. The
periods end on month ends: a shifted period must keep its last day (June 30 - 1 month is
May 31, Feb 28 2025 - 1 year is Feb 29 2024), and every bucket must find its counterpart
(weekly year over year compares a week with the week 52 weeks earlier, both starting on
Mondays).
"""

from __future__ import annotations

import pytest

from .frames import assert_same_rows

#: (grain, compare) -> (current period, compared period, DuckDB interval that moves a compared bucket)
CASES: dict[tuple[str, str], tuple[tuple[str, str], tuple[str, str], str]] = {
    ("day", "previous_period"): (("2025-03-01", "2025-03-14"), ("2025-02-28", "2025-03-13"), "INTERVAL 1 DAY"),
    ("day", "year_over_year"): (("2025-03-01", "2025-03-14"), ("2024-03-01", "2024-03-14"), "INTERVAL 1 YEAR"),
    ("week", "previous_period"): (("2025-06-02", "2025-08-31"), ("2025-05-26", "2025-08-24"), "INTERVAL 7 DAY"),
    ("week", "year_over_year"): (("2025-06-02", "2025-08-31"), ("2024-06-03", "2024-09-01"), "INTERVAL 364 DAY"),
    ("month", "previous_period"): (("2025-01-01", "2025-06-30"), ("2024-12-01", "2025-05-31"), "INTERVAL 1 MONTH"),
    ("month", "year_over_year"): (("2025-01-01", "2025-02-28"), ("2024-01-01", "2024-02-29"), "INTERVAL 1 YEAR"),
    ("quarter", "previous_period"): (("2025-01-01", "2025-12-31"), ("2024-10-01", "2025-09-30"), "INTERVAL 3 MONTH"),
    ("quarter", "year_over_year"): (("2025-04-01", "2025-09-30"), ("2024-04-01", "2024-09-30"), "INTERVAL 1 YEAR"),
    ("year", "previous_period"): (("2025-01-01", "2025-12-31"), ("2024-01-01", "2024-12-31"), "INTERVAL 1 YEAR"),
    ("year", "year_over_year"): (("2025-01-01", "2025-12-31"), ("2024-01-01", "2024-12-31"), "INTERVAL 1 YEAR"),
}

#: buckets in each current period above
BUCKETS = {"day": 14, "week": 13, "month": 6, "quarter": 4, "year": 1}
BUCKETS_OF = {case: BUCKETS[case[0]] for case in CASES} | {("month", "year_over_year"): 2,
                                                           ("quarter", "year_over_year"): 2}


def _expected_sql(grain: str, current: tuple[str, str], previous: tuple[str, str], shift: str) -> str:
    bucket = "date" if grain == "day" else f"date_trunc('{grain}', date)"
    return f"""
        WITH cur AS (SELECT {bucket} AS b, SUM(revenue) AS v FROM fact_daily
                     WHERE date BETWEEN '{current[0]}' AND '{current[1]}' GROUP BY 1),
             prev AS (SELECT CAST({bucket} + {shift} AS DATE) AS b, SUM(revenue) AS v FROM fact_daily
                      WHERE date BETWEEN '{previous[0]}' AND '{previous[1]}' GROUP BY 1)
        SELECT cur.b, cur.v, prev.v, cur.v - prev.v, (cur.v - prev.v) / abs(prev.v)
        FROM cur LEFT JOIN prev ON prev.b = cur.b"""


@pytest.mark.parametrize(("grain", "compare"), sorted(CASES))
def test_comparison_matches_hand_written_sql(sample_bi, grain: str, compare: str) -> None:
    current, previous, shift = CASES[(grain, compare)]
    answer = sample_bi.query(metrics=["revenue"], dimensions=[f"date.{grain}"], compare=compare, time_range=current)
    assert answer.status == "ok", answer.error
    data = answer.data
    assert len(data) == BUCKETS_OF[(grain, compare)]
    # every bucket met its counterpart: a misaligned shift shows up as missing previous values
    assert data["revenue__previous"].notna().all(), data
    expected = sample_bi.engine.execute(_expected_sql(grain, current, previous, shift))
    assert_same_rows(data, expected, rel=1e-9)


def test_weekly_year_over_year_of_a_ratio_and_a_stock(sample_bi) -> None:
    """Weekly YoY of ARPU (a ratio of aggregates) and the subscriber base (last day of each week)."""
    answer = sample_bi.query(metrics=["arpu", "active_subscribers"], dimensions=["date.week"],
                             compare="year_over_year", time_range=("2025-09-01", "2025-09-28"))
    assert answer.status == "ok", answer.error
    expected = sample_bi.engine.execute("""
        WITH w AS (SELECT date_trunc('week', date) AS b, SUM(revenue) / (SUM(active_subscribers) * 1.0 /
                          COUNT(DISTINCT date)) AS arpu, MAX(date) AS last_day FROM fact_daily GROUP BY 1),
             s AS (SELECT date, SUM(active_subscribers) AS subs FROM fact_daily GROUP BY 1),
             v AS (SELECT w.b, w.arpu, s.subs FROM w JOIN s ON s.date = w.last_day)
        SELECT c.b, c.arpu, p.arpu, c.arpu - p.arpu, (c.arpu - p.arpu) / abs(p.arpu),
               c.subs, p.subs, c.subs - p.subs, (c.subs - p.subs) / abs(p.subs)
        FROM v c JOIN v p ON p.b = c.b - INTERVAL 364 DAY
        WHERE c.b BETWEEN '2025-09-01' AND '2025-09-22'""")
    assert len(expected) == 4
    columns = ["date__week", "arpu", "arpu__previous", "arpu__change", "arpu__change_pct", "active_subscribers",
               "active_subscribers__previous", "active_subscribers__change", "active_subscribers__change_pct"]
    assert_same_rows(answer.data[columns], expected, rel=1e-9)


@pytest.mark.parametrize(("grain", "compare", "shift"), [
    ("week", "year_over_year", "INTERVAL 364 DAY"), ("month", "year_over_year", "INTERVAL 1 YEAR"),
    ("quarter", "previous_period", "INTERVAL 3 MONTH"), ("year", "year_over_year", "INTERVAL 1 YEAR"),
])
def test_comparison_over_all_data(sample_bi, grain: str, compare: str, shift: str) -> None:
    """Without a period every bucket is compared with its counterpart (the first ones have none)."""
    answer = sample_bi.query(metrics=["revenue"], dimensions=[f"date.{grain}"], compare=compare)
    assert answer.status == "ok", answer.error
    assert "revenue__previous" in answer.data.columns
    expected = sample_bi.engine.execute(f"""
        WITH b AS (SELECT date_trunc('{grain}', date) AS b, SUM(revenue) AS v FROM fact_daily GROUP BY 1)
        SELECT cur.b, cur.v, prev.v, cur.v - prev.v, (cur.v - prev.v) / abs(prev.v)
        FROM b AS cur LEFT JOIN b AS prev ON CAST(prev.b + {shift} AS DATE) = cur.b""")
    assert_same_rows(answer.data, expected, rel=1e-9)
    assert answer.data["revenue__previous"].notna().sum() > 0
