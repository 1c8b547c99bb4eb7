"""``ChatBI.query`` results equal hand-written SQL over the raw sample tables.

The expected SQL is written from the table spec, not generated, so a compiler bug
cannot hide in both sides.
"""

from __future__ import annotations

from typing import Any

import pytest

from .frames import assert_same_rows

AVG_SUBS = "(SUM(f.active_subscribers) * 1.0 / COUNT(DISTINCT f.date))"
#: months with data: the divisor of per-month metrics (arpu, churn_rate ...) over longer periods
MONTHS = "COUNT(DISTINCT date_trunc('month', f.date))"

CASES: dict[str, tuple[dict[str, Any], str]] = {
    "simple_sum_by_province": (
        {"metrics": ["revenue"], "dimensions": ["province"], "time_range": ("2025-11-01", "2025-11-30")},
        """SELECT r.province, SUM(f.revenue) FROM fact_daily f JOIN dim_region r USING (city_id)
           WHERE f.date BETWEEN '2025-11-01' AND '2025-11-30' GROUP BY 1""",
    ),
    "count_distinct_hidden_and_avg": (
        {"metrics": ["dl_throughput_mbps", "availability_pct"], "dimensions": ["band"],
         "time_range": ("2025-01-01", "2025-03-31")},
        """SELECT band, AVG(dl_throughput_mbps), AVG(availability_pct) FROM fact_network_daily
           WHERE date BETWEEN '2025-01-01' AND '2025-03-31' GROUP BY 1""",
    ),
    "ratio_arpu_monthly": (
        {"metrics": ["arpu"], "dimensions": ["date.month"], "time_range": ("2025-01-01", "2025-12-31")},
        f"""SELECT date_trunc('month', f.date), SUM(f.revenue) / {AVG_SUBS} FROM fact_daily f
            WHERE f.date BETWEEN '2025-01-01' AND '2025-12-31' GROUP BY 1""",
    ),
    "ratio_with_scale_complaint_rate_by_city": (
        {"metrics": ["complaint_rate"], "dimensions": ["city"], "time_range": ("2025-10-01", "2025-10-31"),
         "filters": [{"dimension": "province", "op": "in", "values": ["四川"]}]},
        f"""SELECT r.city, SUM(f.complaints) / {AVG_SUBS} * 10000 FROM fact_daily f JOIN dim_region r USING (city_id)
            WHERE f.date BETWEEN '2025-10-01' AND '2025-10-31' AND r.province = '四川' GROUP BY 1""",
    ),
    "derived_net_adds_quarterly": (
        {"metrics": ["net_adds"], "dimensions": ["date.quarter"], "time_range": ("2024-01-01", "2025-12-31")},
        """SELECT date_trunc('quarter', date), SUM(new_subscribers) - SUM(churned_subscribers) FROM fact_daily
           GROUP BY 1""",
    ),
    "semi_additive_last_day_of_month": (
        {"metrics": ["active_subscribers"], "dimensions": ["date.month", "plan_type"],
         "time_range": ("2025-01-01", "2025-06-30")},
        """SELECT date_trunc('month', f.date), p.plan_type, SUM(f.active_subscribers) FROM fact_daily f
           JOIN dim_plan p USING (plan_id)
           WHERE f.date = last_day(f.date) AND f.date BETWEEN '2025-01-01' AND '2025-06-30' GROUP BY 1, 2""",
    ),
    "semi_additive_whole_range": (
        {"metrics": ["active_subscribers"], "dimensions": ["region"], "time_range": ("2025-03-05", "2025-03-20")},
        """SELECT r.region, SUM(f.active_subscribers) FROM fact_daily f JOIN dim_region r USING (city_id)
           WHERE f.date = DATE '2025-03-20' GROUP BY 1""",
    ),
    "weekly_grain": (
        {"metrics": ["new_subscribers"], "dimensions": ["date.week"], "time_range": ("2025-06-02", "2025-06-29")},
        """SELECT date_trunc('week', date), SUM(new_subscribers) FROM fact_daily
           WHERE date BETWEEN '2025-06-02' AND '2025-06-29' GROUP BY 1""",
    ),
    "yearly_grain_daily_grain": (
        {"metrics": ["voice_minutes"], "dimensions": ["date.year"]},
        "SELECT date_trunc('year', date), SUM(voice_minutes) FROM fact_daily GROUP BY 1",
    ),
    "day_grain": (
        {"metrics": ["complaints"], "dimensions": ["date.day"], "time_range": ("2025-10-01", "2025-10-07")},
        "SELECT date, SUM(complaints) FROM fact_daily WHERE date BETWEEN '2025-10-01' AND '2025-10-07' GROUP BY 1",
    ),
    "member_in_and_not_in": (
        {"metrics": ["revenue"], "dimensions": ["channel"],
         "filters": [{"dimension": "province", "op": "in", "values": ["广东", "浙江"]},
                     {"dimension": "segment", "op": "not_in", "values": ["政企"]}],
         "time_range": ("2025-01-01", "2025-01-31")},
        """SELECT f.channel, SUM(f.revenue) FROM fact_daily f JOIN dim_region r USING (city_id)
           WHERE r.province IN ('广东', '浙江') AND f.segment <> '政企'
             AND f.date BETWEEN '2025-01-01' AND '2025-01-31' GROUP BY 1""",
    ),
    "comparison_on_dimension_and_range": (
        {"metrics": ["revenue"], "dimensions": ["plan"],
         "filters": [{"op": "between", "dimension": "date", "low": "2025-02-01", "high": "2025-02-10"},
                     {"op": "!=", "dimension": "plan_type", "value": "物联网"}]},
        """SELECT p.plan_name, SUM(f.revenue) FROM fact_daily f JOIN dim_plan p USING (plan_id)
           WHERE f.date BETWEEN '2025-02-01' AND '2025-02-10' AND p.plan_type <> '物联网' GROUP BY 1""",
    ),
    "threshold_on_metric": (  # churn is quoted per month: the threshold is on the monthly rate
        {"metrics": ["churn_rate"], "dimensions": ["city"], "time_range": ("2025-01-01", "2025-12-31"),
         "filters": [{"op": ">", "metric": "churn_rate", "value": 0.0185}]},
        f"""SELECT * FROM (SELECT r.city, SUM(f.churned_subscribers) / {AVG_SUBS} / {MONTHS} AS c FROM fact_daily f
            JOIN dim_region r USING (city_id) WHERE f.date BETWEEN '2025-01-01' AND '2025-12-31' GROUP BY 1)
            WHERE c > 0.0185""",
    ),
    "per_month_arpu_of_a_year_by_province": (
        {"metrics": ["arpu", "revenue"], "dimensions": ["province"], "time_range": ("2025-01-01", "2025-12-31")},
        f"""SELECT r.province, SUM(f.revenue) / {AVG_SUBS} / {MONTHS}, SUM(f.revenue) FROM fact_daily f
            JOIN dim_region r USING (city_id) WHERE f.date BETWEEN '2025-01-01' AND '2025-12-31' GROUP BY 1""",
    ),
    "per_month_quarterly_buckets": (
        {"metrics": ["dou", "complaint_rate"], "dimensions": ["date.quarter"]},
        f"""SELECT date_trunc('quarter', f.date), SUM(f.data_traffic_gb) / {AVG_SUBS} / {MONTHS},
                   SUM(f.complaints) / {AVG_SUBS} * 10000 / {MONTHS} FROM fact_daily f GROUP BY 1""",
    ),
    "per_month_over_all_data_and_a_partial_period": (
        {"metrics": ["mou"], "filters": [{"op": "relative", "unit": "day", "n": 45}]},
        f"""SELECT SUM(f.voice_minutes) / {AVG_SUBS} / {MONTHS} FROM fact_daily f
            WHERE f.date BETWEEN '2025-11-17' AND '2025-12-31'""",
    ),
    "per_month_not_within_a_month_or_for_non_user_rates": (
        {"metrics": ["churn_rate", "call_drop_rate"], "time_range": ("2025-09-29", "2025-10-05")},
        f"""SELECT (SELECT SUM(f.churned_subscribers) / {AVG_SUBS} FROM fact_daily f
                    WHERE f.date BETWEEN '2025-09-29' AND '2025-10-05'),
                   (SELECT SUM(dropped_calls) * 1.0 / SUM(call_attempts) FROM fact_network_daily
                    WHERE date BETWEEN '2025-09-29' AND '2025-10-05')""",
    ),
    "relative_last_quarter": (
        {"metrics": ["revenue"], "filters": [{"op": "relative", "unit": "quarter", "n": 1, "offset": 1}]},
        "SELECT SUM(revenue) FROM fact_daily WHERE date BETWEEN '2025-07-01' AND '2025-09-30'",
    ),
    "relative_last_7_days": (
        {"metrics": ["revenue"], "filters": [{"op": "relative", "unit": "day", "n": 7}]},
        "SELECT SUM(revenue) FROM fact_daily WHERE date BETWEEN '2025-12-25' AND '2025-12-31'",
    ),
    "compare_previous_period_by_region": (
        {"metrics": ["revenue"], "dimensions": ["region"], "compare": "previous_period",
         "time_range": ("2025-11-01", "2025-11-30")},
        """WITH c AS (SELECT r.region, SUM(revenue) v FROM fact_daily f JOIN dim_region r USING (city_id)
                      WHERE date BETWEEN '2025-11-01' AND '2025-11-30' GROUP BY 1),
                p AS (SELECT r.region, SUM(revenue) v FROM fact_daily f JOIN dim_region r USING (city_id)
                      WHERE date BETWEEN '2025-10-01' AND '2025-10-31' GROUP BY 1)
           SELECT c.region, c.v, p.v, c.v - p.v, (c.v - p.v) / p.v FROM c JOIN p USING (region)""",
    ),
    "compare_yoy_monthly_ratio": (
        {"metrics": ["churn_rate"], "dimensions": ["date.month"], "compare": "year_over_year",
         "time_range": ("2025-01-01", "2025-03-31")},
        f"""WITH m AS (SELECT date_trunc('month', f.date) AS mo, SUM(f.churned_subscribers) / {AVG_SUBS} AS v
                       FROM fact_daily f GROUP BY 1)
            SELECT c.mo, c.v, p.v, c.v - p.v, (c.v - p.v) / p.v FROM m c JOIN m p ON p.mo = c.mo - INTERVAL 1 YEAR
            WHERE c.mo BETWEEN '2025-01-01' AND '2025-03-01'""",
    ),
    "compare_yoy_semi_additive": (
        {"metrics": ["active_subscribers"], "compare": "year_over_year", "time_range": ("2025-01-01", "2025-06-30")},
        """SELECT (SELECT SUM(active_subscribers) FROM fact_daily WHERE date = '2025-06-30'),
                  (SELECT SUM(active_subscribers) FROM fact_daily WHERE date = '2024-06-30'),
                  (SELECT SUM(active_subscribers) FROM fact_daily WHERE date = '2025-06-30')
                  - (SELECT SUM(active_subscribers) FROM fact_daily WHERE date = '2024-06-30'),
                  ((SELECT SUM(active_subscribers) FROM fact_daily WHERE date = '2025-06-30')
                  - (SELECT SUM(active_subscribers) FROM fact_daily WHERE date = '2024-06-30'))
                  / (SELECT SUM(active_subscribers) FROM fact_daily WHERE date = '2024-06-30')""",
    ),
    "two_fact_tables": (
        {"metrics": ["revenue", "call_drop_rate"], "dimensions": ["province"],
         "time_range": ("2025-08-01", "2025-08-31")},
        """WITH a AS (SELECT r.province, SUM(revenue) v FROM fact_daily f JOIN dim_region r USING (city_id)
                      WHERE date BETWEEN '2025-08-01' AND '2025-08-31' GROUP BY 1),
                b AS (SELECT r.province, SUM(dropped_calls) * 1.0 / SUM(call_attempts) v FROM fact_network_daily n
                      JOIN dim_region r USING (city_id) WHERE date BETWEEN '2025-08-01' AND '2025-08-31' GROUP BY 1)
           SELECT a.province, a.v, b.v FROM a JOIN b USING (province)""",
    ),
    "share_of_total": (
        {"metrics": ["revenue"], "dimensions": ["plan_type"], "share": True,
         "time_range": ("2025-12-01", "2025-12-31")},
        """SELECT p.plan_type, SUM(revenue), SUM(revenue) / SUM(SUM(revenue)) OVER () FROM fact_daily f
           JOIN dim_plan p USING (plan_id) WHERE date BETWEEN '2025-12-01' AND '2025-12-31' GROUP BY 1""",
    ),
    "top_n": (
        {"metrics": ["revenue"], "dimensions": ["city"], "order_by": ["-revenue"], "limit": 3,
         "time_range": ("2025-01-01", "2025-12-31")},
        """SELECT r.city, SUM(revenue) v FROM fact_daily f JOIN dim_region r USING (city_id)
           WHERE date BETWEEN '2025-01-01' AND '2025-12-31' GROUP BY 1 ORDER BY v DESC LIMIT 3""",
    ),
    "dimension_only_members": (
        {"dimensions": ["plan_type", "plan"]},
        "SELECT DISTINCT plan_type, plan_name FROM dim_plan",
    ),
    "dimension_only_on_fact": (
        {"dimensions": ["vendor", "band"]},
        "SELECT DISTINCT vendor, band FROM fact_network_daily",
    ),
    "dimension_only_with_filter": (
        {"dimensions": ["city"], "filters": [{"dimension": "province", "op": "in", "values": ["广东"]}]},
        "SELECT city FROM dim_region WHERE province = '广东'",
    ),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_query_matches_hand_written_sql(sample_bi, name: str) -> None:
    kwargs, expected_sql = CASES[name]
    answer = sample_bi.query(**kwargs)
    assert answer.status == "ok", answer.error
    expected = sample_bi.engine.execute(expected_sql)
    assert len(expected) > 0
    assert_same_rows(answer.data, expected, rel=1e-9)


def test_top_n_is_ordered(sample_bi) -> None:
    answer = sample_bi.query(metrics=["revenue"], dimensions=["city"], order_by=["-revenue"], limit=5)
    values = list(answer.data["revenue"])
    assert values == sorted(values, reverse=True) and len(values) == 5


def test_time_series_is_ordered_by_time(sample_bi) -> None:
    answer = sample_bi.query(metrics=["revenue"], dimensions=["date.month", "region"], time_range=("2025-01-01", "2025-12-31"))
    months = list(answer.data["date__month"])
    assert months == sorted(months)
    assert answer.data.shape == (12 * 5, 3)
