"""Named semantic queries whose compiled SQL is kept as golden snapshots per dialect."""

from __future__ import annotations

from typing import Any

#: name -> SemanticQuery arguments. Each exercises one compiler feature.
GOLDEN_QUERIES: dict[str, dict[str, Any]] = {
    "simple_by_province": {"metrics": ["revenue"], "dimensions": ["province"],
                           "time_range": ["2025-11-01", "2025-11-30"]},
    "ratio_and_derived_monthly": {"metrics": ["arpu", "net_adds", "complaint_rate"], "dimensions": ["date.month"],
                                  "time_range": ["2025-01-01", "2025-12-31"]},
    "semi_additive_quarterly": {"metrics": ["active_subscribers"], "dimensions": ["date.quarter", "plan_type"],
                                "time_range": ["2025-01-01", "2025-12-31"]},
    "two_facts_by_city": {"metrics": ["revenue", "call_drop_rate"], "dimensions": ["city"],
                          "filters": [{"dimension": "province", "op": "in", "values": ["广东"]}],
                          "time_range": ["2025-08-01", "2025-08-31"]},
    "member_filters_top5": {"metrics": ["new_subscribers"], "dimensions": ["city"],
                            "filters": [{"dimension": "channel", "op": "not_in", "values": ["线上"]},
                                        {"dimension": "plan_type", "op": "in", "values": ["5G", "4G"]}],
                            "order_by": ["-new_subscribers"], "limit": 5},
    "threshold_on_ratio": {"metrics": ["churn_rate"], "dimensions": ["city"],
                           "filters": [{"op": ">", "metric": "churn_rate", "value": 0.02}],
                           "time_range": ["2025-01-01", "2025-12-31"]},
    "compare_previous_period": {"metrics": ["revenue"], "dimensions": ["region"], "compare": "previous_period",
                                "time_range": ["2025-11-01", "2025-11-30"]},
    "compare_yoy_monthly": {"metrics": ["revenue"], "dimensions": ["date.month"], "compare": "year_over_year",
                            "time_range": ["2025-01-01", "2025-06-30"]},
    "relative_last_month_share": {"metrics": ["revenue"], "dimensions": ["channel"], "share": True,
                                  "filters": [{"op": "relative", "unit": "month", "n": 1, "offset": 1}]},
    "dimension_only": {"dimensions": ["plan_type", "plan"]},
    # per-month reporting (``per: month``): a year's ARPU is divided by its months; quarters by theirs;
    # a month bucket keeps the plain ratio (no divisor in ratio_and_derived_monthly)
    "per_month_over_a_year": {"metrics": ["arpu", "revenue"], "dimensions": ["province"],
                              "time_range": ["2025-01-01", "2025-12-31"]},
    "per_month_quarterly_compared": {"metrics": ["churn_rate"], "dimensions": ["date.quarter"],
                                     "compare": "year_over_year", "time_range": ["2025-01-01", "2025-12-31"]},
    "weekly_range_filter": {"metrics": ["dropped_calls"], "dimensions": ["date.week"],
                            "filters": [{"op": "between", "dimension": "date", "low": "2025-08-01",
                                         "high": "2025-08-31"},
                                        {"dimension": "vendor", "op": "in", "values": ["厂商B"]}]},
    # a stated baseline period: November against October, Q3's months against Q2's, this month against last
    "compare_baseline_month": {"metrics": ["revenue", "churn_rate"], "time_range": ["2025-11-01", "2025-11-30"],
                               "baseline": ["2025-10-01", "2025-10-31"]},
    "compare_baseline_monthly_buckets": {"metrics": ["revenue"], "dimensions": ["date.month"],
                                         "time_range": ["2025-07-01", "2025-09-30"],
                                         "baseline": ["2025-04-01", "2025-06-30"]},
    "compare_baseline_relative": {"metrics": ["arpu"], "dimensions": ["province"],
                                  "filters": [{"op": "relative", "unit": "month", "n": 1, "offset": 0}],
                                  "baseline": {"op": "relative", "unit": "month", "n": 1, "offset": 1}},
    # a winner (one row ranked by a metric) also reads the runner-up
    "winner_with_runner_up": {"metrics": ["revenue"], "dimensions": ["province"], "order_by": ["-revenue"],
                              "limit": 1, "time_range": ["2025-01-01", "2025-12-31"]},
    "bottom_one_with_runner_up": {"metrics": ["call_drop_rate"], "dimensions": ["vendor"],
                                  "order_by": ["call_drop_rate"], "limit": 1,
                                  "time_range": ["2025-07-01", "2025-09-30"]},
}

#: every time grain x every comparison (``compare_<grain>_<pop|yoy>``): periods whose buckets are
#: whole, ending on a month end, so a shifted period must keep its last day (May 31, Feb 29)
COMPARE_PERIODS: dict[str, tuple[str, str]] = {
    "day": ("2025-03-01", "2025-03-14"),
    "week": ("2025-06-02", "2025-08-31"),
    "month": ("2025-01-01", "2025-06-30"),
    "quarter": ("2025-01-01", "2025-12-31"),
    "year": ("2025-01-01", "2025-12-31"),
}
for _grain, _period in COMPARE_PERIODS.items():
    for _short, _mode in (("pop", "previous_period"), ("yoy", "year_over_year")):
        GOLDEN_QUERIES[f"compare_{_grain}_{_short}"] = {
            "metrics": ["revenue"], "dimensions": [f"date.{_grain}"], "compare": _mode, "time_range": list(_period)}


#: comparisons over all the data (no period): every bucket meets the one a year / a period before
GOLDEN_QUERIES["compare_week_yoy_all_data"] = {"metrics": ["revenue"], "dimensions": ["date.week"],
                                               "compare": "year_over_year"}
GOLDEN_QUERIES["compare_quarter_pop_all_data"] = {"metrics": ["revenue"], "dimensions": ["date.quarter"],
                                                  "compare": "previous_period"}
