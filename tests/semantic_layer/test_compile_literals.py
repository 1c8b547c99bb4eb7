"""No filter value can change the structure of the compiled SQL: every value is a typed literal.

The property: compile a query with arbitrary filter values (any text, numbers, numbers as text),
read the SQL back in its dialect and blank every literal; what is left must be exactly what the
same query compiles to with harmless values. A value that became SQL text would show up as an
extra node. Metric thresholds must be numbers: text that is no number is a validation issue.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import sqlglot
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlglot import exp

from semantic_layer import QueryError, SemanticModel, SemanticQuery, validate_query
from semantic_layer.compiler import compile_query
from semantic_layer.literals import as_number, number_literal

ANCHOR = dt.date(2025, 12, 31)
DIALECTS = ("duckdb", "postgres", "sqlite", "mysql", "snowflake", "spark")

texts = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=40) | \
    st.sampled_from(["0) OR (SELECT count(*) FROM read_text('/etc/passwd')) > (0", "' OR '1'='1", "\\' OR 1=1 --",
                     "1; DROP TABLE fact_daily", "$$ || pg_sleep(1) || $$", "*/ UNION SELECT 1 /*", "广东'--"])
numbers = st.integers(min_value=-10 ** 30, max_value=10 ** 30) | \
    st.floats(allow_nan=False, allow_infinity=False, width=64)
scalars = texts | numbers
dates = st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2100, 12, 31)).map(dt.date.isoformat)


def _blank(sql: str, dialect: str) -> str:
    """The SQL's shape: every literal (and signed number) replaced by one placeholder."""
    tree = sqlglot.parse_one(sql, read=dialect)

    def blank(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.Neg) and isinstance(node.this, exp.Literal):
            return exp.Placeholder()
        if isinstance(node, (exp.Literal, exp.Boolean)):
            return exp.Placeholder()
        return node

    return tree.transform(blank).sql(dialect=dialect)


def _query(members: tuple[Any, ...], city: Any, low: str, high: str, threshold: Any, between: tuple[Any, Any]
           ) -> SemanticQuery:
    return SemanticQuery(
        metrics=["revenue", "arpu"], dimensions=["province", "date.month"],
        filters=[{"op": "in", "dimension": "plan", "values": list(members)},
                 {"op": "!=", "dimension": "city", "value": city},
                 {"op": "between", "dimension": "date", "low": low, "high": high},
                 {"op": ">", "metric": "revenue", "value": threshold},
                 {"op": "between", "metric": "arpu", "low": between[0], "high": between[1]}],
        compare="previous_period", order_by=["-revenue"], limit=5)


_SHAPES: dict[tuple[str, int], str] = {}


def _shape(model: SemanticModel, dialect: str, members: int) -> str:
    """The shape of the query with harmless values (as many members as the example has)."""
    key = (dialect, members)
    if key not in _SHAPES:
        query = _query(("x",) * members, "y", "2025-01-01", "2025-03-31", 1, (1, 2))
        _SHAPES[key] = _blank(compile_query(model, query, dialect, anchor=ANCHOR).sql, dialect)
    return _SHAPES[key]


@pytest.mark.parametrize("dialect", DIALECTS)
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(members=st.lists(scalars, min_size=1, max_size=4), city=scalars, period=st.tuples(dates, dates),
       threshold=numbers | numbers.map(repr) | texts, between=st.tuples(numbers, numbers))
def test_no_filter_value_changes_the_structure(sample_model: SemanticModel, dialect: str, members: list[Any],
                                               city: Any, period: tuple[str, str], threshold: Any,
                                               between: tuple[Any, Any]) -> None:
    query = _query(tuple(members), city, min(period), max(period), threshold, between)
    if as_number(threshold) is None:  # text that is no number never reaches SQL
        with pytest.raises(QueryError, match="must be a number"):
            compile_query(sample_model, query, dialect, anchor=ANCHOR)
        return
    sql = compile_query(sample_model, query, dialect, anchor=ANCHOR).sql
    assert _blank(sql, dialect) == _shape(sample_model, dialect, len(members))


@pytest.mark.parametrize("value", ["0) OR (SELECT count(*) FROM read_text('/etc/passwd')) > (0", "1 OR 1=1", "nan",
                                   "inf", "1e999", "", "0x10", "1_000"])
def test_a_threshold_that_is_no_number_is_an_issue_and_never_sql(sample_model: SemanticModel, value: str) -> None:
    query = SemanticQuery(metrics=["revenue"], dimensions=["province"],
                          filters=[{"op": ">", "metric": "revenue", "value": value}])
    issues = validate_query(sample_model, query)
    assert [i.code for i in issues] == ["bad_value"]
    with pytest.raises(QueryError, match="must be a number"):
        compile_query(sample_model, query, "duckdb", anchor=ANCHOR)


def test_numbers_as_text_are_numbers(sample_model: SemanticModel) -> None:
    query = SemanticQuery(metrics=["churn_rate"], dimensions=["province"],
                          filters=[{"op": ">", "metric": "churn_rate", "value": "0.02"},
                                   {"op": "between", "metric": "churn_rate", "low": "-1e-3", "high": 5}])
    sql = compile_query(sample_model, query, "duckdb", anchor=ANCHOR).sql
    assert "q.churn_rate > 0.02" in sql and "BETWEEN -0.001 AND 5" in sql
    assert as_number("  7 ") == 7 and number_literal(-0.0).sql() == "0"


def test_a_time_filter_takes_iso_dates(sample_model: SemanticModel) -> None:
    query = SemanticQuery(metrics=["revenue"], filters=[{"op": ">=", "dimension": "date", "value": "2025-13-01"}])
    assert [i.code for i in validate_query(sample_model, query)] == ["bad_value"]
