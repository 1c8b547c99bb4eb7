from __future__ import annotations

import pytest
from pydantic import ValidationError

from semantic_layer import SemanticQuery, validate_query


def codes(model, **kwargs) -> list[str]:
    return [i.code for i in validate_query(model, SemanticQuery(**kwargs))]


def test_valid_query_has_no_issues(sample_model) -> None:
    assert codes(sample_model, metrics=["revenue", "arpu"], dimensions=["province", "date.month"]) == []


def test_unknown_metric_gets_candidates(sample_model) -> None:
    issues = validate_query(sample_model, SemanticQuery(metrics=["revnue"]))
    assert issues[0].code == "unknown_metric" and issues[0].candidates == ("revenue",)
    assert "Did you mean 'revenue'?" in str(issues[0])


def test_hidden_metrics_are_not_suggested(sample_model) -> None:
    issues = validate_query(sample_model, SemanticQuery(metrics=["days_with"]))
    assert "days_with_data" not in issues[0].candidates


def test_time_dimension_grain_rules(sample_model) -> None:
    assert codes(sample_model, metrics=["revenue"], dimensions=["date"]) == ["missing_grain"]
    assert codes(sample_model, metrics=["revenue"], dimensions=["date.hour"]) == ["bad_grain"]
    assert codes(sample_model, metrics=["revenue"], dimensions=["province.month"]) == ["bad_grain"]


def test_dimension_unreachable_from_fact(sample_model) -> None:
    assert codes(sample_model, metrics=["call_drop_rate"], dimensions=["plan"]) == ["unreachable_dimension"]
    assert codes(sample_model, metrics=["revenue"], filters=[{"op": "in", "dimension": "vendor", "values": ["厂商A"]}]) \
        == ["unreachable_dimension"]


def test_unknown_member_with_index(sample_model) -> None:
    members = {"province": frozenset({"广东", "浙江"})}
    issues = validate_query(sample_model, SemanticQuery(metrics=["revenue"], filters=[
        {"op": "in", "dimension": "province", "values": ["广州"]}]), members)
    assert [i.code for i in issues] == ["unknown_member"]


def test_threshold_metric_must_be_selected(sample_model) -> None:
    assert codes(sample_model, metrics=["revenue"], filters=[{"op": ">", "metric": "arpu", "value": 1}]) \
        == ["filter_metric_not_selected"]


def test_order_by_unknown(sample_model) -> None:
    assert codes(sample_model, metrics=["revenue"], dimensions=["city"], order_by=["-arpu"]) == ["bad_order_by"]
    assert codes(sample_model, metrics=["revenue"], dimensions=["date.month"], order_by=["date.month"]) == []


def test_query_shape_is_strict() -> None:
    with pytest.raises(ValidationError):
        SemanticQuery(metrics=["revenue"], metricz=["x"])  # type: ignore[call-arg]
    with pytest.raises(ValidationError):
        SemanticQuery()
    with pytest.raises(ValidationError):
        SemanticQuery(metrics=["revenue"], time_range=("2025-02-01", "2025-01-01"))
    with pytest.raises(ValidationError):
        SemanticQuery(metrics=["revenue"], filters=[{"op": ">", "value": 1}])


def test_filters_are_a_discriminated_union() -> None:
    q = SemanticQuery(metrics=["revenue"], compare="yoy", filters=[
        {"dimension": "province", "op": "in", "values": ["广东"]},
        {"op": "relative", "unit": "month", "n": 3},
        {"op": "between", "dimension": "date", "low": "2025-01-01", "high": "2025-01-31"},
        {"op": ">=", "metric": "revenue", "value": 10}])
    assert [type(f).__name__ for f in q.filters] == ["MemberFilter", "RelativeTimeFilter", "RangeFilter",
                                                     "ComparisonFilter"]
    assert q.compare == "year_over_year"
    schema = SemanticQuery.model_json_schema()
    assert schema["additionalProperties"] is False


def test_time_on_a_table_without_time_column(sample_model) -> None:
    data = sample_model.spec.model_dump()
    data["metrics"]["plan_count"] = {"type": "simple", "table": "dim_plan", "agg": "count", "column": "*"}
    from semantic_layer import SemanticModel

    model = SemanticModel.from_dict(data)
    assert codes(model, metrics=["plan_count"], dimensions=["plan_type"]) == []
    assert codes(model, metrics=["plan_count"], time_range=("2025-01-01", "2025-01-31")) == ["no_time_column"]
    assert codes(model, metrics=["plan_count"], dimensions=["date.month"]) == ["unreachable_dimension", "no_time_column"]


def test_non_ascii_identifiers_are_quoted() -> None:
    from semantic_layer.dialects import ident

    assert ident("产品", "duckdb").quoted and not ident("product", "duckdb").quoted


def test_dimension_only_query_over_unrelated_tables(sample_model) -> None:
    assert codes(sample_model, dimensions=["plan_type", "vendor"]) == ["unrelated_dimensions"]
    assert codes(sample_model, dimensions=["province", "vendor"]) == []
