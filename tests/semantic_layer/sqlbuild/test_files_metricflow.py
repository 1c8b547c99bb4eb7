"""File-view SQL and MetricFlow filter / formula parsing."""

from __future__ import annotations

import duckdb
import pytest

from semantic_layer.errors import SemanticLayerError
from semantic_layer.sqlbuild import (
    FilterNotMappable,
    MetricFlowSQLError,
    file_columns_sql,
    file_view_sql,
    rename_formula,
    translate_filter,
)


def test_file_sql_text() -> None:
    assert file_columns_sql("read_parquet", "/d/*.parquet") == "SELECT * FROM READ_PARQUET('/d/*.parquet') LIMIT 0"
    assert file_view_sql("select", "read_csv_auto", "/x/it's.csv", [("a b", "a_b"), ("x", "x")]) == (
        'CREATE VIEW "select" AS SELECT "a b" AS a_b, "x" FROM READ_CSV_AUTO(\'/x/it\'\'s.csv\')')


def test_file_view_reads_the_file(tmp_path) -> None:
    path = tmp_path / "销售.csv"
    path.write_text("城市,amount\n北京,2\n上海,3\n", encoding="utf-8")
    with duckdb.connect() as con:
        names = [d[0] for d in con.execute(file_columns_sql("read_csv_auto", str(path))).description]
        assert names == ["城市", "amount"]
        con.execute(file_view_sql("sales", "read_csv_auto", str(path), [("城市", "col1"), ("amount", "amount")]))
        assert con.execute("SELECT col1, amount FROM sales ORDER BY amount").fetchall() == [("北京", 2), ("上海", 3)]


def _resolve(kind: str, ref: str) -> str | None:
    if ref.startswith("zz") or (kind == "Entity" and ref != "customer"):
        return None
    return ref.split("__")[-1]


@pytest.mark.parametrize(("text", "expected"), [
    ("{{ Dimension('a__status') }} = 'done'", [{"dimension": "status", "op": "in", "values": ["done"]}]),
    ("{{ Dimension('a__s') }} in ('EU', 'UK') and {{ Dimension('b__food') }} = true",
     [{"dimension": "s", "op": "in", "values": ["EU", "UK"]}, {"dimension": "food", "op": "in", "values": ["true"]}]),
    ("not {{ Dimension('a__s') }} in (1, -2.5)", [{"dimension": "s", "op": "not_in", "values": [1, -2.5]}]),
    ("{{ Dimension('a__s') }} <> 3", [{"dimension": "s", "op": "not_in", "values": [3]}]),
    ("{{ Dimension('a__s') }} is false", [{"dimension": "s", "op": "in", "values": ["false"]}]),
    ("'a' = {{ Dimension('a__s') }}", [{"dimension": "s", "op": "in", "values": ["a"]}]),
    ("({{ Dimension('a__s') }} != 'q')", [{"dimension": "s", "op": "not_in", "values": ["q"]}]),
    ("{{ Dimension('a__s').grain('day') }} = 'v'", [{"dimension": "s", "op": "in", "values": ["v"]}]),
    ("{{ Dimension('a__s') }} > 3", [{"dimension": "s", "op": ">", "values": [3]}]),
    ("20 <= {{ Dimension('a__s') }}", [{"dimension": "s", "op": ">=", "values": [20]}]),
    ("not {{ Dimension('a__s') }} < 3", [{"dimension": "s", "op": ">=", "values": [3]}]),
    ("{{ Dimension('a__s') }} is not null", [{"dimension": "s", "op": "not_null", "values": []}]),
    ("{{ TimeDimension('a__d', 'day') }} >= '2024-01-01'", [{"dimension": "d", "op": ">=", "values": ["2024-01-01"]}]),
    ("{{ TimeDimension('metric_time') }} < DATE '2024-01-01'",
     [{"dimension": "metric_time", "op": "<", "values": ["2024-01-01"]}]),
    ("{{ Entity('customer') }} = 'c1'", [{"dimension": "customer", "op": "in", "values": ["c1"]}]),
])
def test_translate_filter(text: str, expected: list) -> None:
    assert translate_filter(text, _resolve) == expected


@pytest.mark.parametrize(("text", "reason"), [
    ("{{ Dimension('a__s') }} between 1 and 3", "is not a conjunction of comparisons"),
    ("{{ Dimension('a__s') }} = 'x' or {{ Dimension('a__t') }} = 'y'", "is not a conjunction"),
    ("{{ TimeDimension('a__d', 'month') }} = '2024-01-01'", "at 'month' grain; only day-grain time filters map"),
    ("{{ Entity('e') }} = 1", "entity 'e' is not in the imported model"),
    ("{{ Metric('revenue', group_by=['customer']) }} > 10", "filters on metric values"),
    ("{{ Dimension('zz__q') }} = 1", "dimension 'zz__q' is not in the imported model"),
    ("{{ Dimension('a__s') }} = (", "cannot parse filter"),
    ("{{ Dimension('a__s') }} = {{ x }}", "unsupported Jinja in filter"),
    ("{{ Dimension('a__s') }} = upper('x')", "compares with \"UPPER('x')\", not a constant"),
    ("1 = 1", "compares something other than a dimension"),
])
def test_unmappable_filters_say_why(text: str, reason: str) -> None:
    with pytest.raises(FilterNotMappable) as err:
        translate_filter(text, _resolve)
    assert reason in str(err.value)
    assert isinstance(err.value, ValueError) and isinstance(err.value, SemanticLayerError)


def test_rename_formula() -> None:
    assert rename_formula("rev / n", {"rev": "revenue", "n": "orders"}) == "revenue / orders"
    assert rename_formula("(a - b) / NULLIF(b, 0)", {"a": "x", "b": "y"}) == "(x - y) / NULLIF(y, 0)"
    with pytest.raises(MetricFlowSQLError, match="expr refers to 'c', which is not among its metrics"):
        rename_formula("a + c", {"a": "x"})
    with pytest.raises(MetricFlowSQLError, match=r"cannot parse expr 'a \+'"):
        rename_formula("a +", {"a": "x"})
