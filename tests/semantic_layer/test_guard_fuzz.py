"""Property-based tests of the SQL guard (hypothesis).

1. Random statements built from dangerous and benign fragments: whatever the guard accepts is
   re-parsed and checked against the policy by an independent, deliberately simple checker.
2. Random valid semantic queries compiled for DuckDB, PostgreSQL and SQLite are never rejected.
3. String literals survive the guard unchanged in every dialect (what runs is what was checked).
"""

from __future__ import annotations

import datetime as dt
import logging

import pytest
import sqlglot
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from sqlglot import exp

from semantic_layer import QueryError, SemanticModel, SemanticQuery, SQLGuard, SQLGuardError
from semantic_layer.compiler import compile_query

ROW_CAP = 321
FUZZ_DIALECTS = ("duckdb", "postgres", "sqlite", "mysql")
logging.getLogger("sqlglot").setLevel(logging.ERROR)

# -- (1) statements from fragments ---------------------------------------------------------
ITEMS = ["city", "province", "d.city", "revenue", "f.revenue", "*", "d.*", "f.*", "SUM(revenue)", "COUNT(*)",
         "MAX(f.date)", "revenue * 2 AS double_revenue", "CAST(revenue AS INT)", "1", "'广东'", "password",
         "d.secret", "getenv('HOME')", "pg_sleep(1)", "current_user", "version()", "read_csv('/etc/passwd')",
         "(SELECT MAX(revenue) FROM fact_daily)", "(SELECT passwd FROM pg_shadow)", "load_extension('x')",
         "ROW_NUMBER() OVER (ORDER BY revenue)", "d", "f", "x.n", "n", "COALESCE(city, 'x') AS c", "c",
         "pg_read_file('/etc/passwd')", "lo_import('/etc/passwd')", "'a'' ; DROP TABLE fact_daily; --'"]
SOURCES = ["fact_daily AS f", "dim_region AS d", "fact_daily f JOIN dim_region d ON f.city_id = d.city_id",
           "dim_region d", "fact_daily AS f, dim_region AS d", "(SELECT city, province FROM dim_region) AS d",
           "(SELECT * FROM fact_daily) AS f", "x", "pg_user", "information_schema.tables", "sqlite_master",
           "read_csv('/etc/passwd') AS f", "'/etc/passwd'", "main.dim_region AS d", "glob('/*') AS d",
           "(SELECT * FROM read_parquet('x')) AS f", "dim_plan", "users AS d", "duckdb_settings() AS d"]
CONDITIONS = ["", "WHERE revenue > 0", "WHERE city = '广东'", "WHERE d.city IN (SELECT city FROM dim_region)",
              "WHERE pg_sleep(1) IS NULL", "WHERE secret = 1", "WHERE 1 = 1", "WHERE city = ''' OR 1=1 --'",
              "WHERE EXISTS (SELECT 1 FROM pg_user)", "WHERE city IN (SELECT usename FROM pg_user)",
              "GROUP BY 1", "ORDER BY 1 DESC", "ORDER BY c", "WHERE d.city_id = f.city_id"]
SUFFIXES = ["", " LIMIT 5", " LIMIT 100000", "; DROP TABLE fact_daily", " FOR UPDATE", " -- bye",
            " UNION SELECT name FROM sqlite_master", " UNION ALL SELECT city FROM dim_region", ";",
            "; SELECT 1", " INTO OUTFILE '/tmp/x'", " /* ; DELETE FROM fact_daily */"]
PREFIXES = ["", "WITH x AS (SELECT 1 AS n) ", "WITH x AS (DELETE FROM fact_daily RETURNING *) ",
            "WITH x AS (SELECT * FROM read_csv('/etc/passwd')) ", "WITH x AS (SELECT city AS n FROM dim_region) ",
            "/* hello */ ", "EXPLAIN ", "CREATE TABLE t AS "]
SEPARATORS = [" ", "\n", " /* c */ ", "\t", "  "]


@st.composite
def statements(draw: st.DrawFn) -> str:
    sep = draw(st.sampled_from(SEPARATORS))
    items = draw(st.lists(st.sampled_from(ITEMS), min_size=1, max_size=3))
    parts = [draw(st.sampled_from(PREFIXES)) + "SELECT", ", ".join(items), "FROM", draw(st.sampled_from(SOURCES)),
             draw(st.sampled_from(CONDITIONS))]
    return sep.join(p for p in parts if p) + draw(st.sampled_from(SUFFIXES))


SAFE_NODES = {
    "Select", "Union", "Intersect", "Except", "Subquery", "With", "CTE", "TableAlias", "From", "Join", "Where",
    "Group", "Having", "Order", "Ordered", "Limit", "Column", "Identifier", "Table", "Star", "Alias", "Literal",
    "Paren", "Cast", "DataType", "Sum", "Count", "Max", "Mul", "EQ", "GT", "In", "Exists", "Coalesce", "Window",
    "RowNumber", "Is", "Null", "Or", "And", "Neg",
}
UNSAFE_WORDS = ("getenv", "sleep", "read_", "load_", "lo_", "version", "current_user", "glob", "pg_", "sqlite_",
                "information_schema", "passwd", "password", "secret", "users", "settings")


def assert_within_policy(sql: str, dialect: str, model: SemanticModel) -> None:
    """An independent check of accepted SQL: re-parse it and look at every node."""
    trees = [t for t in sqlglot.parse(sql, read=dialect) if t is not None]
    assert len(trees) == 1, sql
    tree = trees[0]
    assert isinstance(tree, (exp.Select, exp.Union, exp.Intersect, exp.Except, exp.Subquery)), sql
    ctes = {c.alias_or_name.lower() for c in tree.find_all(exp.CTE)}
    tables = {t.lower() for t in model.tables}
    columns = {c.lower() for spec in model.tables.values() for c in spec.columns}
    aliases = {a.alias.lower() for a in tree.find_all(exp.Alias)} | \
              {a.name.lower() for a in tree.find_all(exp.TableAlias)} | ctes
    for node in tree.walk():
        assert type(node).__name__ in SAFE_NODES, f"{type(node).__name__} in accepted SQL: {sql}"
        if isinstance(node, exp.Table):
            assert not node.args.get("db") and not node.args.get("catalog"), sql
            assert node.name.lower() in tables | ctes, sql
            if node.name.lower() in tables:  # a star over a model table must have been expanded
                select = node.find_ancestor(exp.Select)
                assert select is not None
                assert not any(isinstance(e, exp.Star) or (isinstance(e, exp.Column) and isinstance(e.this, exp.Star))
                               for e in select.expressions if node.parent_select is select), sql
        if isinstance(node, exp.Column) and isinstance(node.this, exp.Identifier):
            assert node.name.lower() in columns | aliases, f"column {node.name} in {sql}"
    lowered = sql.lower()
    assert not any(word in lowered for word in UNSAFE_WORDS), sql
    limit = tree.args.get("limit")
    assert isinstance(limit, exp.Limit) and int(limit.expression.this) <= ROW_CAP, sql


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(sql=statements(), dialect=st.sampled_from(FUZZ_DIALECTS))
def test_accepted_statements_satisfy_the_policy(sample_model: SemanticModel, sql: str, dialect: str) -> None:
    guard = SQLGuard(sample_model, dialect, row_cap=ROW_CAP)
    try:
        out = guard.check(sql)
    except SQLGuardError as error:
        assert error.rule and str(error).startswith(f"[{error.rule}]")
        return
    assert_within_policy(out, dialect, sample_model)
    assert guard.check(out) == out  # checking what runs changes nothing


def test_the_fragment_grammar_produces_both_outcomes(sample_model: SemanticModel) -> None:
    """Keep the fuzzing honest: the grammar yields accepted and rejected statements."""
    guard = SQLGuard(sample_model, "duckdb", row_cap=ROW_CAP)
    accepted = guard.check("SELECT d.city, COUNT(*) FROM dim_region d GROUP BY 1 LIMIT 5")
    assert_within_policy(accepted, "duckdb", sample_model)
    with pytest.raises(SQLGuardError):
        guard.check("SELECT getenv('HOME') FROM dim_region d")


# -- (2) valid semantic queries are never rejected ----------------------------------------
@st.composite
def semantic_queries(draw: st.DrawFn, model: SemanticModel) -> SemanticQuery:
    metrics = draw(st.lists(st.sampled_from(model.visible_metrics), min_size=0, max_size=3, unique=True))
    # a dimension-only query lists members found together in one fact table
    facts = {t for m in metrics for t in model.metric_tables(m)} or {draw(st.sampled_from(model.fact_tables))}
    reachable = [d for d, spec in model.dimensions.items()
                 if spec.type != "time" and all(model.reachable(f, d) for f in facts)]
    dims = draw(st.lists(st.sampled_from(reachable), max_size=2, unique=True))
    if draw(st.booleans()):
        grain = draw(st.sampled_from(model.dimensions[model.time_dimension].grains))
        dims = [f"{model.time_dimension}.{grain}", *dims]
    if not metrics and not dims:
        dims = [reachable[0]]
    filters: list[dict[str, object]] = []
    for dim in draw(st.lists(st.sampled_from(reachable), max_size=2, unique=True)):
        values = list(model.dimensions[dim].members) or ["x"]
        filters.append({"op": draw(st.sampled_from(["in", "not_in"])), "dimension": dim,
                        "values": draw(st.lists(st.sampled_from(values), min_size=1, max_size=3, unique=True))})
    if metrics and draw(st.booleans()):
        filters.append({"op": draw(st.sampled_from([">", "<=", "!="])), "metric": metrics[0],
                        "value": draw(st.integers(0, 10_000))})
    period = draw(st.sampled_from(["none", "range", "relative"]))
    time_range = None
    if period == "range":
        start = dt.date(2024, 1, 1) + dt.timedelta(days=draw(st.integers(0, 600)))
        time_range = (start, start + dt.timedelta(days=draw(st.integers(0, 120))))
    elif period == "relative":
        filters.append({"op": "relative", "unit": draw(st.sampled_from(["day", "week", "month", "quarter", "year"])),
                        "n": draw(st.integers(1, 3)), "offset": draw(st.integers(0, 2))})
    has_grain = any("." in d for d in dims)
    compare = draw(st.sampled_from([None, "previous_period", "year_over_year"])) \
        if metrics and (has_grain or period != "none") else None
    order = draw(st.lists(st.sampled_from([*metrics, *dims]), max_size=2, unique=True))
    order = [("-" if draw(st.booleans()) else "") + o for o in order]
    return SemanticQuery(metrics=metrics, dimensions=dims, filters=filters, time_range=time_range,
                         compare=compare, share=bool(metrics) and draw(st.booleans()), order_by=order,
                         limit=draw(st.one_of(st.none(), st.integers(1, 50_000))))


@pytest.mark.parametrize("dialect", ["duckdb", "postgres", "sqlite"])
def test_valid_semantic_queries_are_never_rejected(sample_model: SemanticModel, dialect: str) -> None:
    guard = SQLGuard(sample_model, dialect, row_cap=ROW_CAP)

    @settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(query=semantic_queries(sample_model))
    def check(query: SemanticQuery) -> None:
        try:
            compiled = compile_query(sample_model, query, dialect, anchor=dt.date(2025, 12, 31))
        except QueryError:
            assume(False)
            return
        from_text = guard.check(compiled.sql)
        from_tree = guard.check_expression(compiled.expression)
        assert sqlglot.parse_one(from_text, read=dialect) == sqlglot.parse_one(from_tree, read=dialect)
        cap = min(ROW_CAP, query.limit or ROW_CAP)
        assert from_tree.endswith(f"LIMIT {cap}")

    check()


# -- (3) literals come through unchanged -------------------------------------------------------
@pytest.mark.parametrize("dialect", ["duckdb", "postgres", "sqlite", "mysql", "bigquery", "snowflake"])
def test_string_literals_survive_the_guard(sample_model: SemanticModel, dialect: str) -> None:
    guard = SQLGuard(sample_model, dialect, row_cap=ROW_CAP)

    @settings(max_examples=80, deadline=None)
    @given(value=st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
                         max_size=30))
    def check(value: str) -> None:
        tree = exp.select(exp.Column(this=exp.to_identifier("city"))).from_("dim_region").where(
            exp.EQ(this=exp.column("city"), expression=exp.Literal.string(value)))
        out = guard.check_expression(tree)
        literal = sqlglot.parse_one(out, read=dialect).find(exp.EQ).expression
        assert isinstance(literal, exp.Literal) and literal.is_string and literal.this == value

    check()
