"""Profiling and catalog SQL text per dialect, and that the text computes what its names say."""

from __future__ import annotations

import doctest

import duckdb
import pytest

from semantic_layer import sqlbuild
from semantic_layer.sqlbuild import (
    SAMPLE_ROWS,
    JoinStep,
    RowSource,
    catalog,
    column_stats_sql,
    dependency_sql,
    distinct_values_sql,
    duplicate_keys_sql,
    files,
    foreign_key_targets_sql,
    head_sql,
    key_constraints_sql,
    list_columns_sql,
    list_tables_sql,
    metricflow_sql,
    normalize_type,
    overlap_sql,
    profiling,
    row_count_sql,
    table_source,
)

BIG = RowSource("fact sales", 1_000_000, 20_000)
SAMPLE = {"duckdb": "TABLESAMPLE SYSTEM (2.0 PERCENT) REPEATABLE (42)", "postgres": "TABLESAMPLE SYSTEM (2.0) REPEATABLE (42)"}


@pytest.mark.parametrize("module", [sqlbuild, profiling, catalog, files, metricflow_sql])
def test_doctests(module) -> None:
    result = doctest.testmod(module)
    assert result.failed == 0 and result.attempted > 0


def test_row_source_samples_only_large_tables() -> None:
    assert not RowSource("t", SAMPLE_ROWS).sampled and RowSource("t", SAMPLE_ROWS + 1).sampled
    assert RowSource("t", 10, sample_rows=5).sampled
    assert table_source("t", 10, "duckdb", 10).sql(dialect="duckdb") == "t"


@pytest.mark.parametrize(("dialect", "expected"), [
    ("duckdb", "t TABLESAMPLE SYSTEM (50.0 PERCENT) REPEATABLE (42)"),
    ("postgres", "t TABLESAMPLE SYSTEM (50.0) REPEATABLE (42)"),
    ("trino", "t TABLESAMPLE SYSTEM (50.0)"),  # Trino takes no seed
    ("sqlite", "(SELECT * FROM t LIMIT 5) AS s"),
    ("mysql", "(SELECT * FROM t LIMIT 5) AS s"),
])
def test_sampling_clause_per_dialect(dialect: str, expected: str) -> None:
    assert table_source("t", 10, dialect, 5).sql(dialect=dialect) == expected


def test_sample_percent_is_clamped() -> None:
    assert "(0.01 PERCENT)" in table_source("t", 10**12, "duckdb", 10).sql(dialect="duckdb")


@pytest.mark.parametrize("dialect", ["duckdb", "postgres"])
def test_statistics_sql(dialect: str) -> None:
    s = SAMPLE[dialect]
    assert row_count_sql("Orders", ["date", "shipped_at"], dialect) == (
        'SELECT COUNT(*) AS n, MIN("date") AS lo0, MAX("date") AS hi0, MIN(shipped_at) AS lo1, '
        'MAX(shipped_at) AS hi1 FROM "Orders"')
    assert column_stats_sql(BIG, ["city", "amount"], dialect, min_max={"amount"}) == (
        "SELECT COUNT(*) AS n, COUNT(city) AS nn0, COUNT(DISTINCT city) AS nd0, COUNT(amount) AS nn1, "
        f'COUNT(DISTINCT amount) AS nd1, MIN(amount) AS lo1, MAX(amount) AS hi1 FROM "fact sales" {s}')
    assert head_sql(BIG, dialect, 5) == f'SELECT * FROM "fact sales" {s} LIMIT 5'
    assert distinct_values_sql(BIG, "order", dialect, 201) == (
        f'SELECT DISTINCT "order" FROM "fact sales" {s} WHERE NOT "order" IS NULL ORDER BY "order" LIMIT 201')


@pytest.mark.parametrize("dialect", ["duckdb", "postgres"])
def test_relation_sql(dialect: str) -> None:
    assert duplicate_keys_sql("shops", ["region", "shop_no"], dialect) == (
        "SELECT COUNT(*) AS n FROM (SELECT region, shop_no FROM shops GROUP BY region, shop_no "
        "HAVING COUNT(*) > 1) AS dupes")
    assert overlap_sql(BIG, "city_id", "dim_region", "city_id", dialect) == (
        "SELECT COUNT(*) AS n, COUNT(b.k) AS hit FROM (SELECT DISTINCT city_id AS k FROM \"fact sales\" "
        f"{SAMPLE[dialect]} WHERE NOT city_id IS NULL) AS a LEFT JOIN (SELECT DISTINCT city_id AS k FROM dim_region) "
        "AS b ON a.k = b.k")
    path = [JoinStep("orders", "wells", (("well_id", "well_id"),)),
            JoinStep("wells", "blocks", (("block_id", "id"), ("f", "g")))]
    assert dependency_sql(RowSource("orders", 10), "reason", ("blocks", "field"), dialect, path) == (
        "SELECT COUNT(*) AS pairs, COUNT(DISTINCT x.c) AS children FROM (SELECT DISTINCT t0.reason AS c, "
        "t2.field AS p FROM orders AS t0 LEFT JOIN wells AS t1 ON t0.well_id = t1.well_id LEFT JOIN blocks AS t2 "
        "ON t1.block_id = t2.id AND t1.f = t2.g WHERE NOT t0.reason IS NULL) AS x")


def test_dependency_over_a_limit_sample_renames_the_subquery() -> None:
    assert dependency_sql(RowSource("orders", 10, 5), "a", ("orders", "b"), "sqlite") == (
        "SELECT COUNT(*) AS pairs, COUNT(DISTINCT x.c) AS children FROM (SELECT DISTINCT t0.a AS c, t0.b AS p "
        "FROM (SELECT * FROM orders LIMIT 5) AS t0 WHERE NOT t0.a IS NULL) AS x")


def test_catalog_sql_per_dialect() -> None:
    assert list_tables_sql("postgres") == ("SELECT table_name, table_type FROM information_schema.tables "
                                           "WHERE table_schema = CURRENT_SCHEMA ORDER BY table_name NULLS FIRST")
    assert list_tables_sql("duckdb").endswith("WHERE table_schema = CURRENT_SCHEMA() ORDER BY table_name NULLS FIRST")
    assert list_columns_sql("duckdb") == (
        'SELECT table_name, column_name, data_type, is_nullable FROM information_schema."columns" '
        "WHERE table_schema = CURRENT_SCHEMA() ORDER BY table_name NULLS FIRST, ordinal_position NULLS FIRST")
    assert key_constraints_sql("postgres") == (
        "SELECT tc.table_name, tc.constraint_name, tc.constraint_type, kcu.column_name, kcu.ordinal_position "
        "FROM information_schema.table_constraints AS tc JOIN information_schema.key_column_usage AS kcu "
        "ON tc.constraint_name = kcu.constraint_name AND tc.table_name = kcu.table_name "
        "WHERE tc.table_schema = CURRENT_SCHEMA AND tc.constraint_type IN ('PRIMARY KEY', 'FOREIGN KEY') "
        "ORDER BY tc.table_name, tc.constraint_name, kcu.ordinal_position")
    assert foreign_key_targets_sql("duckdb").startswith("SELECT constraint_name, referenced_table, "
                                                        "referenced_column_names FROM DUCKDB_CONSTRAINTS()")
    assert foreign_key_targets_sql("postgres") == (
        "SELECT rc.constraint_name, kcu.table_name, kcu.column_name FROM information_schema.referential_constraints "
        "AS rc JOIN information_schema.key_column_usage AS kcu ON rc.unique_constraint_name = kcu.constraint_name "
        "ORDER BY rc.constraint_name, kcu.ordinal_position")


@pytest.mark.parametrize(("raw", "dialect", "expected"), [
    ("INTEGER", "duckdb", "integer"), ("int8", "postgres", "bigint"), ("double precision", "postgres", "double"),
    ("NUMERIC(12, 2)", "postgres", "decimal"), ("DATE", "duckdb", "date"), ("timestamptz", "postgres", "timestamp"),
    ("BOOLEAN", "duckdb", "boolean"), ("text", "postgres", "varchar"), ("uuid", "postgres", "varchar"),
    ("STRUCT(a INT)", "duckdb", "other"), ("weird_datetime_type(3)", "postgres", "timestamp"),
])
def test_normalize_type(raw: str, dialect: str, expected: str) -> None:
    assert normalize_type(raw, dialect) == expected


# -- the text computes what the result names say (run on an in-memory DuckDB) ----------
@pytest.fixture()
def con():
    c = duckdb.connect()
    c.execute("""CREATE TABLE region (id INTEGER, province VARCHAR);
                 INSERT INTO region VALUES (1, 'A'), (2, 'A'), (3, 'B'), (3, 'B');
                 CREATE TABLE city (city VARCHAR, region_id INTEGER, "order" INTEGER);
                 INSERT INTO city VALUES ('x', 1, NULL), ('y', 2, 7), ('z', 3, 7), ('z', 3, 8), ('w', 9, 1)""")
    yield c
    c.close()


def _row(con, sql: str) -> dict:
    frame = con.execute(sql).df()
    return {k: frame[k].iloc[0] for k in frame.columns}


def test_built_sql_runs_and_counts(con) -> None:
    city = RowSource("city", 5)
    assert _row(con, column_stats_sql(city, ["city", "order"], "duckdb", min_max={"order"})) == {
        "n": 5, "nn0": 5, "nd0": 4, "nn1": 4, "nd1": 3, "lo1": 1, "hi1": 8}
    assert con.execute(distinct_values_sql(city, "order", "duckdb", 10)).fetchall() == [(1,), (7,), (8,)]
    assert _row(con, duplicate_keys_sql("region", ["id"], "duckdb")) == {"n": 1}
    assert _row(con, overlap_sql(city, "region_id", "region", "id", "duckdb")) == {"n": 4, "hit": 3}
    assert _row(con, row_count_sql("city", [], "duckdb")) == {"n": 5}


def test_dependency_sql_tells_functional_dependencies(con) -> None:
    city = RowSource("city", 5)
    path = [JoinStep("city", "region", (("region_id", "id"),))]
    # city -> province holds over the joined rows ('w' has no region: NULL parent, still one pair)
    holds = _row(con, dependency_sql(city, "city", ("region", "province"), "duckdb", path))
    assert holds["pairs"] == holds["children"] == 4
    # city -> order does not: 'z' has orders 7 and 8
    broken = _row(con, dependency_sql(city, "city", ("city", "order"), "duckdb"))
    assert (broken["pairs"], broken["children"]) == (5, 4)
