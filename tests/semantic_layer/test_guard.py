"""The SQL guard: what it accepts, what it rejects and why, the row cap, star expansion, dialects."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlglot
from sqlglot import exp

from semantic_layer import SemanticModel, SemanticQuery, SQLGuard, SQLGuardError, guard_sql
from semantic_layer.compiler import compile_query
from semantic_layer.guard import RULES

from .golden_queries import GOLDEN_QUERIES

ANCHOR = dt.date(2025, 12, 31)
DIALECTS = ("duckdb", "postgres", "sqlite", "mysql", "snowflake", "trino", "spark")


@pytest.fixture(scope="module")
def guard(sample_model: SemanticModel) -> SQLGuard:
    return SQLGuard(sample_model, "duckdb", row_cap=1000)


def rejected(guard: SQLGuard, sql: str) -> SQLGuardError:
    with pytest.raises(SQLGuardError) as info:
        guard.check(sql)
    assert info.value.rule in RULES
    return info.value


# -- compiled queries pass, in every dialect and both ways in ------------------------------
@pytest.mark.parametrize("dialect", DIALECTS)
@pytest.mark.parametrize("name", sorted(GOLDEN_QUERIES))
def test_compiled_queries_are_accepted(sample_model: SemanticModel, dialect: str, name: str) -> None:
    compiled = compile_query(sample_model, SemanticQuery(**GOLDEN_QUERIES[name]), dialect, anchor=ANCHOR)
    guard = SQLGuard(sample_model, dialect, row_cap=500)
    from_text = guard.check(compiled.sql)
    from_tree = guard.check_expression(compiled.expression)
    assert from_text.endswith("500") or "LIMIT 5" in from_text or "LIMIT 1" in from_text or "TOP" in from_text
    # the tree path and the text path agree on what runs
    assert sqlglot.parse_one(from_text, read=dialect) == sqlglot.parse_one(from_tree, read=dialect)
    # copy=True leaves the caller's tree alone
    assert compiled.expression.sql(dialect=dialect) == compiled.sql


def test_check_expression_without_copy_caps_the_tree_in_place(sample_model: SemanticModel) -> None:
    compiled = compile_query(sample_model, SemanticQuery(metrics=["revenue"], dimensions=["province"]), "duckdb")
    guard = SQLGuard(sample_model, "duckdb", row_cap=77)
    sql = guard.check_expression(compiled.expression, copy=False)
    assert sql.endswith("LIMIT 77")
    assert compiled.expression.args["limit"].expression.this == "77"


# -- the row cap ---------------------------------------------------------------------------
@pytest.mark.parametrize(("sql", "expected"), [
    ("SELECT city FROM dim_region", "SELECT city FROM dim_region LIMIT 1000"),
    ("SELECT city FROM dim_region LIMIT 5", "SELECT city FROM dim_region LIMIT 5"),
    ("SELECT city FROM dim_region LIMIT 999999", "SELECT city FROM dim_region LIMIT 1000"),
    ("SELECT city FROM dim_region LIMIT 999999 OFFSET 3", "SELECT city FROM dim_region LIMIT 1000 OFFSET 3"),
    ("SELECT city FROM dim_region FETCH FIRST 20 ROWS ONLY", "SELECT city FROM dim_region LIMIT 20"),
    ("SELECT city FROM dim_region UNION SELECT province FROM dim_region LIMIT 5000",
     "SELECT city FROM dim_region UNION SELECT province FROM dim_region LIMIT 1000"),
    ("SELECT c FROM (SELECT city AS c FROM dim_region LIMIT 5000) AS t",
     "SELECT c FROM (SELECT city AS c FROM dim_region LIMIT 5000) AS t LIMIT 1000"),
])
def test_row_cap_is_added_or_lowered_on_the_outermost_query(guard: SQLGuard, sql: str, expected: str) -> None:
    assert guard.check(sql) == expected


def test_row_cap_none_leaves_limits_alone(sample_model: SemanticModel) -> None:
    guard = SQLGuard(sample_model, "postgres", row_cap=None)
    assert guard.check("SELECT city FROM dim_region") == "SELECT city FROM dim_region"


def test_tsql_top_is_capped(sample_model: SemanticModel) -> None:
    assert SQLGuard(sample_model, "tsql", row_cap=10).check("SELECT TOP 500 city FROM dim_region") == \
        "SELECT TOP 10 city FROM dim_region"


# -- what runs is regenerated from the checked tree ------------------------------------------
def test_comments_are_dropped_from_what_runs(guard: SQLGuard) -> None:
    out = guard.check("SELECT city /* ; DROP TABLE x */ FROM dim_region -- trailing\n")
    assert out == "SELECT city FROM dim_region LIMIT 1000"


def test_mysql_executable_comment_never_reaches_the_database(sample_model: SemanticModel) -> None:
    out = SQLGuard(sample_model, "mysql").check("SELECT /*! SLEEP(10), */ city FROM dim_region")
    assert "SLEEP" not in out.upper() and "/*" not in out


@pytest.mark.parametrize("dialect", ["mysql", "postgres", "duckdb", "sqlite", "bigquery"])
def test_backslash_quote_literal_is_one_string_in_what_runs(sample_model: SemanticModel, dialect: str) -> None:
    """Whatever a dialect's tokenizer made of a backslash, the regenerated SQL says the same thing."""
    guard = SQLGuard(sample_model, dialect)
    sql = "SELECT city FROM dim_region WHERE city = 'a\\' OR 1 = 1 -- '"
    try:
        out = guard.check(sql)
    except SQLGuardError:
        return  # rejecting is fine too
    reparsed = sqlglot.parse(out, read=dialect)
    assert len(reparsed) == 1
    assert guard.check(out) == out  # a fixed point: the output checks to itself


def test_star_over_a_model_table_becomes_the_models_columns(sample_model: SemanticModel, guard: SQLGuard) -> None:
    out = guard.check("SELECT * FROM dim_plan")
    cols = list(sample_model.tables["dim_plan"].columns)
    assert out == f"SELECT {', '.join('dim_plan.' + c for c in cols)} FROM dim_plan LIMIT 1000"
    qualified = guard.check("SELECT p.* FROM dim_plan AS p")
    assert qualified.startswith("SELECT p.plan_id, p.plan_name")


def test_star_over_a_subquery_stays_a_star(guard: SQLGuard) -> None:
    out = guard.check("SELECT * FROM (SELECT city AS c FROM dim_region) AS t")
    assert out == "SELECT * FROM (SELECT city AS c FROM dim_region) AS t LIMIT 1000"
    nested = guard.check("SELECT * FROM (SELECT * FROM dim_plan) AS t")
    assert "plan_name" in nested and nested.startswith("SELECT * FROM (SELECT dim_plan.plan_id")


# -- accepted shapes -------------------------------------------------------------------------
@pytest.mark.parametrize("sql", [
    "SELECT province, SUM(revenue) AS r FROM fact_daily f JOIN dim_region d ON f.city_id = d.city_id "
    "GROUP BY province HAVING SUM(revenue) > 0 ORDER BY r DESC",
    "WITH m AS (SELECT city_id, SUM(revenue) AS r FROM fact_daily GROUP BY city_id) "
    "SELECT d.city, m.r FROM m JOIN dim_region AS d ON d.city_id = m.city_id",
    "SELECT city FROM dim_region WHERE city_id IN (SELECT city_id FROM fact_network_daily WHERE vendor = '厂商A')",
    "SELECT city FROM dim_region AS d WHERE EXISTS (SELECT 1 FROM fact_daily AS f WHERE f.city_id = d.city_id)",
    "SELECT DATE_TRUNC('month', date) AS m, COUNT(DISTINCT city_id) FROM fact_daily GROUP BY 1 ORDER BY m",
    "SELECT channel, revenue, RANK() OVER (PARTITION BY channel ORDER BY revenue DESC) FROM fact_daily",
    "SELECT CASE WHEN revenue > 10 THEN 'big' ELSE 'small' END AS size, COALESCE(complaints, 0) FROM fact_daily",
    "SELECT CAST(revenue AS DECIMAL(18, 2)), EXTRACT(year FROM date), date + INTERVAL 1 DAY FROM fact_daily",
    "SELECT city FROM dim_region UNION ALL SELECT province FROM dim_region EXCEPT SELECT region FROM dim_region",
    "SELECT \"city\" FROM \"dim_region\" WHERE \"province\" = '广东'",
    "SELECT CITY FROM DIM_REGION",
    "SELECT 1",
    "FROM dim_plan",
])
def test_read_only_queries_over_model_tables_are_accepted(guard: SQLGuard, sql: str) -> None:
    out = guard.check(sql)
    assert guard.check(out) == out


# -- rejections name the rule and the fragment ----------------------------------------------
def test_rejection_names_rule_and_fragment(guard: SQLGuard) -> None:
    error = rejected(guard, "SELECT city FROM dim_region WHERE city IN (SELECT column0 FROM read_csv('/etc/passwd'))")
    assert error.rule == "table_function"
    assert "READ_CSV('/etc/passwd')" in error.fragment
    assert str(error).startswith("[table_function] ")


def test_unknown_table_suggests_model_tables(guard: SQLGuard) -> None:
    error = rejected(guard, "SELECT * FROM fact_dialy")
    assert error.rule == "table" and "Did you mean 'fact_daily'" in str(error)


def test_unknown_column_suggests_columns_of_the_table(guard: SQLGuard) -> None:
    error = rejected(guard, "SELECT d.provnce FROM dim_region AS d")
    assert error.rule == "column" and "'province'" in str(error)


@pytest.mark.parametrize(("sql", "rule"), [
    ("WITH x AS (DELETE FROM fact_daily RETURNING *) SELECT * FROM x", "read_only"),
    ("SELECT * INTO t FROM dim_region", "select_into"),
    ("SELECT 1; SELECT 2", "single_statement"),
    ("SELECT getenv('HOME')", "function"),
    ("SELECT * FROM pg_catalog.pg_user", "system_catalog"),
    ("SELECT * FROM other.dim_region", "schema"),
    ("SELECT CAST(city AS BLOB) FROM dim_region", "type"),
    ("SELECT ｃｉｔｙ FROM dim_region", "identifier"),
    ("SELECT city FROM dim_region FOR UPDATE", "read_only"),
    ("", "input"),
    ("SELECT (", "parse"),
])
def test_rules(guard: SQLGuard, sql: str, rule: str) -> None:
    assert rejected(guard, sql).rule == rule


def test_hidden_columns_cannot_hide_behind_aliases(guard: SQLGuard) -> None:
    """Names the model does not list may exist in the database, and the database resolves them first."""
    for sql in ("SELECT secret AS secret FROM dim_region",
                "SELECT city AS c FROM dim_region WHERE secret = c",
                "SELECT (SELECT MAX(revenue) FROM dim_region) FROM fact_daily",
                "SELECT r FROM dim_region AS r"):
        assert rejected(guard, sql).rule == "column", sql
    # an output alias used by name in ORDER BY, or over a subquery whose columns are all known, is fine
    guard.check("SELECT city AS c FROM dim_region ORDER BY c")
    guard.check("SELECT c FROM (SELECT city AS c FROM dim_region) AS t WHERE c > 'a'")


def test_identifier_case_follows_the_dialect(sample_model: SemanticModel) -> None:
    SQLGuard(sample_model, "postgres").check("SELECT CITY FROM DIM_REGION")  # unquoted folds to lower case
    with pytest.raises(SQLGuardError):
        SQLGuard(sample_model, "postgres").check('SELECT city FROM "DIM_REGION"')  # quoted keeps its case
    SQLGuard(sample_model, "duckdb").check('SELECT city FROM "DIM_REGION"')  # DuckDB ignores case


def test_plain_mapping_allow_list_and_cached_guard_sql(sample_model: SemanticModel) -> None:
    guard = SQLGuard({"t": ["a", "b"]}, "sqlite", row_cap=3)
    assert guard.check("select a from t") == "SELECT a FROM t LIMIT 3"
    assert guard_sql("SELECT city FROM dim_region", sample_model, "postgres", row_cap=7).endswith("LIMIT 7")
    with pytest.raises(SQLGuardError):
        guard_sql("DROP TABLE dim_region", sample_model, "postgres")


def test_an_allowed_cte_name_may_shadow_a_system_name(guard: SQLGuard) -> None:
    out = guard.check("WITH pg_user AS (SELECT city FROM dim_region) SELECT city FROM pg_user")
    assert "FROM pg_user" in out


def test_expression_trees_with_bad_literals_or_identifiers_are_rejected(guard: SQLGuard) -> None:
    """The tree path trusts nothing either: a compiler bug cannot smuggle raw SQL through."""
    bad_number = exp.select(exp.Literal(this="1; DROP TABLE x", is_string=False)).from_("dim_region")
    with pytest.raises(SQLGuardError, match="not a number"):
        guard.check_expression(bad_number)
    bad_name = exp.select(exp.Column(this=exp.Identifier(this="city; DROP", quoted=False))).from_("dim_region")
    with pytest.raises(SQLGuardError) as info:
        guard.check_expression(bad_name)
    assert info.value.rule == "identifier"


def test_a_cte_and_its_column_may_share_a_name(guard: SQLGuard, sample_bi) -> None:
    """PostgreSQL and DuckDB read ``m`` as the column when a FROM item has one; the whole row only otherwise."""
    sql = ("WITH m AS (SELECT date_trunc('month', date) AS m, SUM(revenue) AS r FROM fact_daily GROUP BY 1) "
           "SELECT * FROM m ORDER BY m")
    out = guard.check(sql)
    assert "ORDER BY m" in out
    frame = sample_bi.engine.execute(out)
    assert list(frame.columns) == ["m", "r"] and frame["m"].is_monotonic_increasing and len(frame) == 24
    guard.check("SELECT m, r FROM (SELECT city AS m, 1 AS r FROM dim_region) AS m WHERE m > 'a'")
    # a name that is only a table still reads the whole row (with every column the database has)
    assert rejected(guard, "WITH m AS (SELECT city FROM dim_region) SELECT m FROM m").rule == "column"
