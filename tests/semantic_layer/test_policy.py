"""Access policies in the semantic layer: row filters in every subquery, refusals, suppression, guard views."""

from __future__ import annotations

import datetime as dt

import duckdb
import pytest
import sqlglot
from sqlglot import exp

from semantic_layer import MemberFilter, QueryError, SemanticQuery, SQLGuardError
from semantic_layer.compiler import compile_query, guard_access
from semantic_layer.guard import SQLGuard
from semantic_layer.policy import ACCESS_DENIED, MASKED_FILTER, AccessPolicy, ColumnRule, Principal

ANCHOR = dt.date(2025, 12, 31)
GD = (MemberFilter(op="in", dimension="province", values=("广东",)),)
EAST = (MemberFilter(op="in", dimension="region", values=("华东",)),)


def gd(**kwargs) -> AccessPolicy:
    return AccessPolicy(rows=(GD,), **kwargs)


def sql(model, query: SemanticQuery, policy=None, dialect: str = "duckdb") -> str:
    return compile_query(model, query, dialect, anchor=ANCHOR, policy=policy).sql


def selects_from(tree: exp.Expression, table: str) -> list[exp.Select]:
    return [s for s in tree.find_all(exp.Select)
            if isinstance(s.args.get("from_"), exp.From) and isinstance(s.args["from_"].this, exp.Table)
            and s.args["from_"].this.name == table]


def test_no_policy_and_an_unrestricted_policy_compile_exactly_as_before(sample_model):
    query = SemanticQuery(metrics=["revenue", "arpu"], dimensions=["province", "date.month"], compare="yoy")
    plain = sql(sample_model, query)
    assert sql(sample_model, query, AccessPolicy()) == plain
    assert sql(sample_model, query, Principal("root")) == plain
    assert "广东" not in plain and "__group_rows" not in plain


def test_the_row_filter_is_in_every_fact_subquery_of_both_periods(sample_model):
    query = SemanticQuery(metrics=["revenue", "active_subscribers", "call_drop_rate"], dimensions=["city"],
                          time_range=("2025-11-01", "2025-11-30"), compare="previous_period")
    tree = compile_query(sample_model, query, anchor=ANCHOR, policy=gd()).expression
    facts = selects_from(tree, "fact_daily") + selects_from(tree, "fact_network_daily")
    # revenue (additive) and active_subscribers (semi-additive) and the network ratio, each twice
    assert len(facts) == 6
    for select in facts:
        where = select.args["where"].sql()
        assert "dim_region.province IN ('广东')" in where
        assert any(j.this.name == "dim_region" for j in select.args.get("joins") or ())


def test_member_lists_come_from_allowed_rows_even_for_unrelated_lookup_tables(sample_model):
    # plans live in dim_plan, which cannot reach province: the list is read from the allowed facts
    text = sql(sample_model, SemanticQuery(dimensions=["plan"]), gd())
    assert "FROM fact_daily" in text and "dim_region.province IN ('广东')" in text
    cities = sql(sample_model, SemanticQuery(dimensions=["city"]), gd())
    assert "FROM dim_region" in cities and "province IN ('广东')" in cities


def test_roles_combine_as_a_union_of_what_each_may_see(sample_model):
    both = AccessPolicy.union([gd(), AccessPolicy(rows=(EAST,))])
    text = sql(sample_model, SemanticQuery(metrics=["revenue"]), both)
    assert "(dim_region.province IN ('广东')) OR (dim_region.region IN ('华东'))" in text
    assert AccessPolicy.union([gd(), AccessPolicy()]).rows is None  # an unrestricted role lifts the filter
    assert AccessPolicy.union([]).rows == ()  # no role, no rows
    masked = ColumnRule("plan", "mask", "hash")
    assert AccessPolicy.union([AccessPolicy(columns=(masked,)), AccessPolicy()]).columns == ()
    hidden = ColumnRule("plan", "hide")
    assert AccessPolicy.union([AccessPolicy(columns=(hidden,)), AccessPolicy(columns=(masked,))]).columns == (masked,)


def test_a_role_without_rows_of_a_fact_table_is_refused_its_metrics(sample_model):
    政企 = AccessPolicy(rows=((MemberFilter(op="in", dimension="segment", values=("政企",)),),))
    with pytest.raises(QueryError) as caught:
        sql(sample_model, SemanticQuery(metrics=["call_drop_rate"]), 政企)
    assert caught.value.issues[0].code == ACCESS_DENIED
    assert "政企" not in str(caught.value)
    opened = AccessPolicy(rows=政企.rows, open_tables=frozenset({"fact_network_daily"}))
    assert "segment" not in sql(sample_model, SemanticQuery(metrics=["call_drop_rate"]), opened)


def test_hidden_names_are_refused_everywhere_a_query_can_use_them(sample_model):
    policy = AccessPolicy(columns=(ColumnRule("revenue", "hide"), ColumnRule("channel", "hide")))
    refused = [
        SemanticQuery(metrics=["revenue"]),
        SemanticQuery(metrics=["arpu"]),  # computed from revenue
        SemanticQuery(metrics=["new_subscribers"], dimensions=["channel"]),
        SemanticQuery(metrics=["new_subscribers"], filters=[{"op": "in", "dimension": "channel", "values": ["线上"]}]),
        SemanticQuery(dimensions=["channel"]),
    ]
    for query in refused:
        with pytest.raises(QueryError) as caught:
            sql(sample_model, query, policy)
        assert {i.code for i in caught.value.issues} == {ACCESS_DENIED}, query
    assert sql(sample_model, SemanticQuery(metrics=["new_subscribers"], dimensions=["province"]), policy)


def test_masked_values_can_be_grouped_by_but_not_filtered_on(sample_model):
    policy = AccessPolicy(columns=(ColumnRule("city", "mask", "hash"), ColumnRule("revenue", "mask", "round_to")))
    assert sql(sample_model, SemanticQuery(metrics=["revenue"], dimensions=["city"]), policy)
    for f in ({"op": "in", "dimension": "city", "values": ["深圳"]}, {"op": ">", "metric": "revenue", "value": 1e6}):
        with pytest.raises(QueryError) as caught:
            sql(sample_model, SemanticQuery(metrics=["revenue"], filters=[f]), policy)
        assert caught.value.issues[0].code == MASKED_FILTER  # a threshold would bisect the real value


def test_small_cells_are_suppressed_in_sql(sample_model):
    policy = AccessPolicy(min_group_size=5, group_size_columns=(("fact_daily", "city_id"),))
    text = sql(sample_model, SemanticQuery(metrics=["revenue", "call_drop_rate"], dimensions=["city"],
                                           time_range=("2025-11-01", "2025-11-30")), policy)
    assert "COUNT(DISTINCT fact_daily.city_id) AS __group_rows" in text
    assert "COUNT(*) AS __group_rows" in text  # the network fact counts rows
    assert "CASE WHEN g0.__group_rows >= 5 THEN g0.revenue END AS revenue" in text
    for dialect in ("postgres", "sqlite", "snowflake"):
        sqlglot.parse_one(sql(sample_model, SemanticQuery(metrics=["revenue"], dimensions=["city"]), policy, dialect),
                          read=dialect)


def test_policy_problems_name_unknown_things(sample_model):
    policy = AccessPolicy(rows=((MemberFilter(op="in", dimension="provnce", values=("x",)),),),
                          columns=(ColumnRule("dim_region.phone", "hide"), ColumnRule("date", "hide")),
                          open_tables=frozenset({"fact_x"}))
    problems = " | ".join(policy.problems(sample_model))
    assert "unknown dimension 'provnce'" in problems and "'province'" in problems
    assert "no column 'phone'" in problems and "time dimension" in problems and "fact_x" in problems


# -- hand-written SQL through the guard ---------------------------------------------------------
def guard_for(model, policy: AccessPolicy) -> SQLGuard:
    access = guard_access(model, policy, "duckdb")
    return SQLGuard(access.table_columns, "duckdb", row_cap=1000, views=access.views)


ESCAPES = [
    "SELECT province, SUM(revenue) AS r FROM fact_daily f JOIN dim_region r ON f.city_id = r.city_id GROUP BY 1",
    "SELECT DISTINCT province FROM dim_region",
    "SELECT COUNT(*) AS n FROM dim_region",
    "WITH t AS (SELECT * FROM dim_region) SELECT province FROM t",
    "SELECT province FROM (SELECT province FROM dim_region) AS s",
    "SELECT province FROM dim_region WHERE province = '浙江' UNION ALL SELECT province FROM dim_region",
    "SELECT r.province FROM dim_region AS r WHERE EXISTS (SELECT 1 FROM fact_daily WHERE fact_daily.city_id = r.city_id)",
    "SELECT (SELECT MAX(province) FROM dim_region) AS p",
    "SELECT plan_name FROM dim_plan",
]


@pytest.mark.parametrize("text", ESCAPES)
def test_hand_written_sql_reads_only_allowed_rows(sample_model, sample_db_path, text):
    checked = guard_for(sample_model, gd()).check(text)
    with duckdb.connect(str(sample_db_path), read_only=True) as con:
        rows = con.execute(checked).fetchall()
        if "plan_name" in text:
            allowed = {r[0] for r in con.execute(
                "SELECT DISTINCT p.plan_name FROM fact_daily f JOIN dim_region r USING (city_id) "
                "JOIN dim_plan p USING (plan_id) WHERE r.province = '广东'").fetchall()}
            assert {r[0] for r in rows} <= allowed
            return
    values = {v for row in rows for v in row if isinstance(v, str)}
    assert values <= {"广东"}, checked


def test_the_guard_closes_tables_and_hides_blocked_columns(sample_model):
    政企 = AccessPolicy(rows=((MemberFilter(op="in", dimension="segment", values=("政企",)),),),
                      columns=(ColumnRule("revenue", "mask", "round_to"), ColumnRule("city", "hide")))
    guard = guard_for(sample_model, 政企)
    with pytest.raises(SQLGuardError) as caught:
        guard.check("SELECT SUM(call_attempts) FROM fact_network_daily")
    assert caught.value.rule == "access"
    for text in ("SELECT revenue FROM fact_daily", "SELECT city FROM dim_region",
                 "SELECT COUNT(*) FROM dim_region WHERE city = '深圳'", "SELECT SUM(revenue) FROM fact_daily"):
        with pytest.raises(SQLGuardError) as caught:
            guard.check(text)
        assert caught.value.rule == "column"
    star = guard.check("SELECT * FROM dim_region")
    outer = star.split(" FROM ")[0]
    assert "province" in outer and "city_id" in outer
    assert "city," not in outer and "city_en" not in outer  # the hidden city and its English label
    # the user's own CTE named like a table is theirs: nothing to filter inside
    assert "segment" not in guard.check("WITH fact_daily AS (SELECT 1 AS x) SELECT x FROM fact_daily")


def test_a_role_limited_to_a_period_filters_facts_and_lookups_by_date(sample_model, sample_db_path):
    from semantic_layer import RangeFilter

    recent = AccessPolicy(rows=((RangeFilter(op="between", dimension="date", low="2025-07-01", high="2025-12-31"),),))
    text = sql(sample_model, SemanticQuery(metrics=["revenue", "call_drop_rate"], dimensions=["date.year"]), recent)
    assert text.count("BETWEEN CAST('2025-07-01' AS DATE) AND CAST('2025-12-31' AS DATE)") == 2
    checked = guard_for(sample_model, recent).check("SELECT MIN(date) AS first, COUNT(DISTINCT city_id) AS n "
                                                     "FROM fact_network_daily")
    with duckdb.connect(str(sample_db_path), read_only=True) as con:
        first, cities = con.execute(checked).fetchone()
    assert str(first) == "2025-07-01" and cities == 33


def test_members_of_a_table_no_allowed_fact_reaches_are_not_listed():
    from semantic_layer import SemanticModel

    model = SemanticModel.from_dict({
        "name": "shop",
        "tables": {"sales": {"columns": {"day": "date", "city": "varchar", "amount": "double"}, "time_column": "day"},
                   "cities": {"columns": {"city": "varchar", "province": "varchar"}},
                   "colors": {"columns": {"color": "varchar"}},
                   "stock": {"columns": {"color": "varchar", "qty": "double"}}},
        "joins": [{"left": "sales", "right": "cities", "keys": {"city": "city"}},
                  {"left": "stock", "right": "colors", "keys": {"color": "color"}}],
        "dimensions": {"date": {"type": "time", "grains": ["month"]}, "province": {"table": "cities"},
                       "color": {"table": "colors"}},
        "metrics": {"amount": {"table": "sales", "agg": "sum", "column": "amount"},
                    "qty": {"table": "stock", "agg": "sum", "column": "qty"}}})
    policy = AccessPolicy(rows=((MemberFilter(op="in", dimension="province", values=("广东",)),),))
    assert "WHERE FALSE" in compile_query(model, SemanticQuery(dimensions=["color"]), policy=policy).sql
    assert "province IN ('广东')" in compile_query(model, SemanticQuery(dimensions=["province"]), policy=policy).sql
    assert compile_query(model, SemanticQuery(dimensions=["color"])).sql == \
        "SELECT colors.color AS color FROM colors GROUP BY colors.color ORDER BY color ASC"
    with pytest.raises(QueryError, match="not available"):  # stock cannot be limited to 广东's rows
        compile_query(model, SemanticQuery(metrics=["qty"], dimensions=["color"]), policy=policy)


@pytest.mark.parametrize("text", ESCAPES)
def test_views_read_by_name_give_the_same_rows_as_inlined_views(sample_model, sample_db_path, text):
    """``check_isolated``: each restricted table is read through its view by name; the engine makes the views."""
    guard = guard_for(sample_model, gd())
    isolated = guard.check_isolated(text)
    names = [n for n, _ in isolated.views]
    assert names and all(n.startswith("chatbi_v_") for n in names) and len(set(names)) == len(names)
    tree = sqlglot.parse_one(isolated.sql, read="duckdb")
    ctes = {c.alias for c in tree.find_all(exp.CTE)}
    assert {t.name for t in tree.find_all(exp.Table)} <= set(names) | ctes  # no table read around its view
    with duckdb.connect(str(sample_db_path), read_only=True) as con:
        for name, select in isolated.views:
            con.execute(f"CREATE TEMP TABLE {name} AS {select}")
        by_name = sorted(map(_rounded, con.execute(isolated.sql).fetchall()))
        inlined = sorted(map(_rounded, con.execute(guard.check(text)).fetchall()))
    assert by_name == inlined


def _rounded(row: tuple) -> str:
    """A row to compare; sums of floats differ in the last digits with the order they were added in."""
    return repr(tuple(round(v, 2) if isinstance(v, float) else v for v in row))


def test_a_closed_table_is_refused_in_isolated_sql_too(sample_model):
    segment = AccessPolicy(rows=((MemberFilter(op="in", dimension="segment", values=("政企",)),),))
    with pytest.raises(SQLGuardError) as caught:
        guard_for(sample_model, segment).check_isolated("SELECT SUM(call_attempts) FROM fact_network_daily")
    assert caught.value.rule == "access"
