"""The same semantic queries give the same numbers on DuckDB, PostgreSQL and SQLite.

Each engine gets SQL compiled for its own dialect (``engine.dialect``) from the same semantic
query, over the same data. Values are compared after normalising types (dates vs timestamps
vs ISO text, Decimal vs float) with a relative tolerance of 1e-9.
"""

from __future__ import annotations

from typing import Any

import pytest

from chatbi import ChatBI

from ..frames import assert_same_rows

pytestmark = pytest.mark.postgres

QUERIES: dict[str, dict[str, Any]] = {
    "simple_sum": {"metrics": ["revenue"], "dimensions": ["province"], "time_range": ("2025-11-01", "2025-11-30")},
    "ratio_derived_scaled_monthly": {"metrics": ["arpu", "net_adds", "complaint_rate"], "dimensions": ["date.month"],
                                     "time_range": ("2025-01-01", "2025-12-31")},
    "semi_additive_quarterly": {"metrics": ["active_subscribers"], "dimensions": ["date.quarter", "plan_type"],
                                "time_range": ("2024-01-01", "2025-12-31")},
    "semi_additive_without_time": {"metrics": ["active_subscribers"], "dimensions": ["channel"],
                                   "time_range": ("2025-03-05", "2025-03-20")},
    "average_subscribers_count_distinct": {"metrics": ["avg_active_subscribers", "churn_rate"],
                                           "dimensions": ["city"], "time_range": ("2025-07-01", "2025-09-30")},
    "weekly_grain": {"metrics": ["new_subscribers"], "dimensions": ["date.week"],
                     "time_range": ("2025-06-02", "2025-07-27")},
    "yearly_grain": {"metrics": ["voice_minutes", "data_traffic_gb"], "dimensions": ["date.year"]},
    "daily_grain_relative": {"metrics": ["complaints"], "dimensions": ["date.day"],
                             "filters": [{"op": "relative", "unit": "day", "n": 7}]},
    "member_in_not_in_top": {"metrics": ["new_subscribers"], "dimensions": ["city"],
                             "filters": [{"dimension": "channel", "op": "not_in", "values": ["线上"]},
                                         {"dimension": "plan_type", "op": "in", "values": ["5G", "4G"]}],
                             "order_by": ["-new_subscribers"], "limit": 4},
    "comparison_on_metric": {"metrics": ["churn_rate"], "dimensions": ["city"],
                             "filters": [{"op": ">", "metric": "churn_rate", "value": 0.001}],
                             "time_range": ("2025-01-01", "2025-12-31")},
    "comparison_on_dimension": {"metrics": ["revenue"], "dimensions": ["plan"],
                                "filters": [{"op": "!=", "dimension": "plan_type", "value": "宽带"}],
                                "time_range": ("2025-05-01", "2025-05-31")},
    "range_on_date_and_metric": {"metrics": ["revenue"], "dimensions": ["segment"],
                                 "filters": [{"op": "between", "dimension": "date", "low": "2025-02-01",
                                              "high": "2025-02-28"},
                                             {"op": "between", "metric": "revenue", "low": 0, "high": 1e12}]},
    "relative_last_month_share": {"metrics": ["revenue"], "dimensions": ["channel"], "share": True,
                                  "filters": [{"op": "relative", "unit": "month", "n": 1, "offset": 1}]},
    "share_per_month": {"metrics": ["revenue"], "dimensions": ["date.month", "segment"], "share": True,
                        "time_range": ("2025-10-01", "2025-12-31")},
    "compare_previous_period": {"metrics": ["revenue"], "dimensions": ["region"], "compare": "previous_period",
                                "time_range": ("2025-11-01", "2025-11-30")},
    "compare_year_over_year_monthly": {"metrics": ["revenue", "arpu"], "dimensions": ["date.month"],
                                       "compare": "year_over_year", "time_range": ("2025-01-01", "2025-06-30")},
    "compare_year_over_year_without_grain": {"metrics": ["arpu"], "dimensions": ["segment"],
                                             "compare": "yoy", "time_range": ("2025-07-01", "2025-09-30")},
    "compare_quarterly": {"metrics": ["active_subscribers"], "dimensions": ["date.quarter"],
                          "compare": "previous_period", "time_range": ("2025-01-01", "2025-12-31")},
    "two_facts": {"metrics": ["revenue", "call_drop_rate"], "dimensions": ["city"],
                  "filters": [{"dimension": "province", "op": "in", "values": ["广东"]}],
                  "time_range": ("2025-08-01", "2025-08-31")},
    "network_averages": {"metrics": ["dl_throughput_mbps", "availability_pct"], "dimensions": ["vendor", "band"],
                         "time_range": ("2025-01-01", "2025-03-31")},
    "totals_without_dimensions": {"metrics": ["revenue", "avg_active_subscribers", "dropped_calls"],
                                  "time_range": ("2025-01-01", "2025-12-31")},
    "dimension_only": {"dimensions": ["plan_type", "plan"]},
    "dimension_only_over_time": {"dimensions": ["date.month", "channel"], "time_range": ("2025-01-01", "2025-03-31")},
}


@pytest.fixture(scope="module")
def engines(duck_bi: ChatBI, pg_bi: ChatBI, sqlite_bi: ChatBI) -> dict[str, ChatBI]:
    return {"duckdb": duck_bi, "postgres": pg_bi, "sqlite": sqlite_bi}


def test_each_engine_compiles_for_its_own_dialect(engines: dict[str, ChatBI]) -> None:
    assert {name: bi.engine.dialect for name, bi in engines.items()} == \
        {"duckdb": "duckdb", "postgres": "postgres", "sqlite": "sqlite"}
    assert len({bi.anchor for bi in engines.values()}) == 1


@pytest.mark.parametrize("name", sorted(QUERIES))
def test_same_results_on_duckdb_postgres_and_sqlite(engines: dict[str, ChatBI], name: str) -> None:
    answers = {engine: bi.query(**QUERIES[name]) for engine, bi in engines.items()}
    for engine, answer in answers.items():
        assert answer.status == "ok", f"{engine}: {answer.error}\n{answer.sql}"
        assert answer.data is not None and len(answer.data) > 0, f"{engine} returned no rows"
        assert list(answer.data.columns) == list(answers["duckdb"].data.columns), engine  # type: ignore[union-attr]
    expected = answers["duckdb"].data
    for engine in ("postgres", "sqlite"):
        assert_same_rows(answers[engine].data, expected)  # type: ignore[arg-type]
