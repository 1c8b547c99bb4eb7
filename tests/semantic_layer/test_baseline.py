"""A comparison with a stated baseline period: the query field, its checks and the compiled periods."""

from __future__ import annotations

import datetime as dt

import pytest
from pydantic import ValidationError

from semantic_layer import SemanticQuery
from semantic_layer.compiler import baseline_period, compile_query
from semantic_layer.errors import QueryError

ANCHOR = dt.date(2025, 12, 31)
NOV, OCT = ("2025-11-01", "2025-11-30"), ("2025-10-01", "2025-10-31")


def test_a_baseline_alone_is_a_comparison_with_it() -> None:
    q = SemanticQuery(metrics=["revenue"], time_range=NOV, baseline=OCT)
    assert q.compare == "baseline"
    assert q.baseline is not None and q.baseline.start == dt.date(2025, 10, 1)  # type: ignore[union-attr]
    assert SemanticQuery.model_validate_json(q.model_dump_json()) == q  # the LLM's JSON round-trips


def test_baseline_and_compare_mode_must_agree() -> None:
    with pytest.raises(ValidationError, match="compare must be 'baseline'"):
        SemanticQuery(metrics=["revenue"], time_range=NOV, baseline=OCT, compare="year_over_year")
    with pytest.raises(ValidationError, match="go together"):
        SemanticQuery(metrics=["revenue"], time_range=NOV, compare="baseline")


def test_compiled_periods_of_a_relative_baseline(sample_model) -> None:
    q = SemanticQuery(metrics=["arpu"], filters=[{"op": "relative", "unit": "month", "n": 1, "offset": 0}],
                      baseline={"op": "relative", "unit": "month", "n": 1, "offset": 1})
    compiled = compile_query(sample_model, q, "duckdb", anchor=ANCHOR)
    assert compiled.period == (dt.date(2025, 12, 1), dt.date(2025, 12, 31))
    assert compiled.compare_period == (dt.date(2025, 11, 1), dt.date(2025, 11, 30))
    assert baseline_period(q, ANCHOR) == compiled.compare_period


def test_overlapping_periods_are_refused_with_an_issue(sample_model) -> None:
    q = SemanticQuery(metrics=["revenue"], time_range=("2025-01-01", "2025-12-31"), baseline=NOV)
    with pytest.raises(QueryError) as caught:
        compile_query(sample_model, q, "duckdb", anchor=ANCHOR)
    assert caught.value.issues[0].code == "baseline_overlaps"


def test_buckets_of_periods_that_do_not_line_up_are_refused(sample_model) -> None:
    # three months against two: no month of the baseline meets each month of the period
    q = SemanticQuery(metrics=["revenue"], dimensions=["date.month"], time_range=("2025-07-01", "2025-09-30"),
                      baseline=("2025-05-01", "2025-06-30"))
    with pytest.raises(QueryError) as caught:
        compile_query(sample_model, q, "duckdb", anchor=ANCHOR)
    assert caught.value.issues[0].code == "baseline_misaligned"


def test_a_baseline_needs_the_current_period(sample_model) -> None:
    q = SemanticQuery(metrics=["revenue"], baseline=OCT)
    with pytest.raises(QueryError) as caught:
        compile_query(sample_model, q, "duckdb", anchor=ANCHOR)
    assert caught.value.issues[0].code == "compare_needs_period"


def test_runner_up_only_for_a_single_ranked_row(sample_model) -> None:
    top1 = SemanticQuery(metrics=["revenue"], dimensions=["city"], order_by=["-revenue"], limit=1)
    top3 = top1.with_(limit=3)
    by_name = top1.with_(order_by=["city"])
    assert "revenue__runner_up" in compile_query(sample_model, top1, "duckdb").sql
    assert "__runner_up" not in compile_query(sample_model, top3, "duckdb").sql
    assert "__runner_up" not in compile_query(sample_model, by_name, "duckdb").sql
