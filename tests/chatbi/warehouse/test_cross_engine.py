"""The same semantic queries give the same numbers on DuckDB, PostgreSQL, SQLite and Spark.

Each engine gets SQL compiled for its own dialect (``engine.dialect``) from the same semantic
query, over the same data (the sample cut to two provinces). Values are compared with a
relative tolerance of 1e-9, and the result types must be DuckDB's on every engine (time buckets
are naive datetimes everywhere, never PostgreSQL's time-zone-aware timestamps).

What runs: the queries below, every golden query of the compiler's snapshots
(``tests/semantic_layer/golden_queries.py``) and the semantic queries the translator makes of
the dev question set (``sample_data/telecom/questions/dev.yaml``): the first three answerable
questions of each category (about 60, chosen to keep the Spark module within a few minutes;
``CHATBI_CROSS_ENGINE_ALL=1`` runs all of them).
"""

from __future__ import annotations

import os
from typing import Any

import pytest

from chatbi import ChatBI
from chatbi.evaluation import load_items
from sample_data import TELECOM_DIR
from semantic_layer import SemanticQuery

from ...semantic_layer.golden_queries import GOLDEN_QUERIES
from ..frames import assert_same_rows

pytestmark = [pytest.mark.postgres, pytest.mark.spark]
ENGINES = ("duckdb", "postgres", "sqlite", "spark")

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
def engines(duck_bi: ChatBI, pg_bi: ChatBI, sqlite_bi: ChatBI, spark_bi: ChatBI) -> dict[str, ChatBI]:
    return {"duckdb": duck_bi, "postgres": pg_bi, "sqlite": sqlite_bi, "spark": spark_bi}


def test_each_engine_compiles_for_its_own_dialect(engines: dict[str, ChatBI]) -> None:
    assert {name: bi.engine.dialect for name, bi in engines.items()} == \
        {"duckdb": "duckdb", "postgres": "postgres", "sqlite": "sqlite", "spark": "spark"}
    assert len({bi.anchor for bi in engines.values()}) == 1
    assert len({frozenset(bi.members.as_sets().items()) for bi in engines.values()}) == 1


def _same_everywhere(engines: dict[str, ChatBI], query: SemanticQuery, *, allow_empty: bool = False) -> None:
    answers = {engine: bi.run(query) for engine, bi in engines.items()}
    expected = answers["duckdb"].data
    for engine, answer in answers.items():
        assert answer.status == "ok", f"{engine}: {answer.error}\n{answer.sql}"
        assert answer.data is not None and (allow_empty or len(answer.data) > 0), f"{engine} returned no rows"
        assert list(answer.data.columns) == list(expected.columns), engine  # type: ignore[union-attr]
    for engine in ENGINES[1:]:
        data = answers[engine].data
        assert_same_rows(data, expected)  # type: ignore[arg-type]
        for column in expected.columns:  # type: ignore[union-attr]
            if str(expected[column].dtype).startswith("datetime"):  # type: ignore[index]
                assert str(data[column].dtype) == "datetime64[us]", (engine, column)  # type: ignore[index]


@pytest.mark.parametrize("name", sorted(QUERIES))
def test_same_results_on_every_engine(engines: dict[str, ChatBI], name: str) -> None:
    _same_everywhere(engines, SemanticQuery(**QUERIES[name]))


@pytest.mark.parametrize("name", sorted(GOLDEN_QUERIES))
def test_golden_queries_give_the_same_results_on_every_engine(engines: dict[str, ChatBI], name: str) -> None:
    # some golden queries filter members the small warehouse does not have (no rows anywhere is a result too)
    _same_everywhere(engines, SemanticQuery.model_validate(GOLDEN_QUERIES[name]), allow_empty=True)


def _dev_questions() -> dict[str, list[tuple[str, str]]]:
    """Answerable questions of the dev set by category, in file order."""
    out: dict[str, list[tuple[str, str]]] = {}
    for item in load_items(TELECOM_DIR / "questions" / "dev.yaml"):
        if item.question and (item.sql or item.query) and item.expect in (None, "ok"):
            out.setdefault(item.category, []).append((item.id, item.question))
    return out


@pytest.mark.parametrize("category", sorted(_dev_questions()))
def test_dev_questions_give_the_same_results_on_every_engine(engines: dict[str, ChatBI], category: str) -> None:
    """The first three questions of the category that the two-province warehouse answers (all of
    them with CHATBI_CROSS_ENGINE_ALL=1): translated once, the same query on every engine."""
    wanted = None if os.environ.get("CHATBI_CROSS_ENGINE_ALL") == "1" else 3
    compared: list[str] = []
    for item_id, question in _dev_questions()[category]:
        answer = engines["duckdb"].ask(question)
        if answer.status != "ok" or answer.query is None:
            continue  # e.g. a member of a province this warehouse does not have
        _same_everywhere(engines, answer.query, allow_empty=True)
        compared.append(item_id)
        if wanted is not None and len(compared) == wanted:
            break
    assert compared, f"no question of {category!r} was answered on the two-province warehouse"
