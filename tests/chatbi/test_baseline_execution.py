"""Comparisons with a stated baseline and winners with their runner-up, against hand-written SQL."""

from __future__ import annotations

from .frames import assert_same_rows


def test_two_named_months(sample_bi) -> None:
    answer = sample_bi.query(metrics=["revenue"], time_range=("2025-10-01", "2025-10-31"),
                             baseline=("2025-07-01", "2025-07-31"))
    assert answer.status == "ok", answer.error
    expected = sample_bi.engine.execute("""
        SELECT c.v, b.v, c.v - b.v, (c.v - b.v) / abs(b.v)
        FROM (SELECT SUM(revenue) v FROM fact_daily WHERE date BETWEEN '2025-10-01' AND '2025-10-31') c,
             (SELECT SUM(revenue) v FROM fact_daily WHERE date BETWEEN '2025-07-01' AND '2025-07-31') b""")
    assert_same_rows(answer.data, expected, rel=1e-9)


def test_months_of_two_quarters_meet_bucket_by_bucket(sample_bi) -> None:
    answer = sample_bi.query(metrics=["revenue"], dimensions=["date.month"], time_range=("2025-07-01", "2025-09-30"),
                             baseline=("2025-04-01", "2025-06-30"))
    assert answer.status == "ok", answer.error
    assert answer.data["revenue__previous"].notna().all()
    expected = sample_bi.engine.execute("""
        WITH m AS (SELECT date_trunc('month', date) b, SUM(revenue) v FROM fact_daily GROUP BY 1)
        SELECT c.b, c.v, p.v, c.v - p.v, (c.v - p.v) / abs(p.v) FROM m c JOIN m p ON p.b = c.b - INTERVAL 3 MONTH
        WHERE c.b BETWEEN '2025-07-01' AND '2025-09-01'""")
    assert_same_rows(answer.data, expected, rel=1e-9)


def test_winner_and_runner_up(sample_bi) -> None:
    answer = sample_bi.query(metrics=["call_drop_rate"], dimensions=["province"], order_by=["call_drop_rate"],
                             limit=1, time_range=("2025-07-01", "2025-09-30"))
    assert answer.status == "ok", answer.error
    ranked = sample_bi.engine.execute("""
        SELECT r.province, SUM(dropped_calls) / SUM(call_attempts) v FROM fact_network_daily f
        JOIN dim_region r USING (city_id) WHERE date BETWEEN '2025-07-01' AND '2025-09-30'
        GROUP BY 1 ORDER BY v ASC LIMIT 2""")
    row = answer.data.iloc[0]
    assert len(answer.data) == 1
    assert (row["province"], row["province__runner_up"]) == tuple(ranked.iloc[:, 0])
    assert abs(row["call_drop_rate"] - ranked.iloc[0, 1]) < 1e-12
    assert abs(row["call_drop_rate__runner_up"] - ranked.iloc[1, 1]) < 1e-12
