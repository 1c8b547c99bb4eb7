"""Statements an engine runs on its own connection to fence it in (never user SQL): DuckDB settings,
attaching the warehouse file, and the temporary tables that hold policy rows.

>>> duckdb_set_sql("memory_limit", "2GB"), duckdb_set_sql("enable_external_access", False)
("SET memory_limit = '2GB'", 'SET enable_external_access = FALSE')
>>> duckdb_attach_sql("/data/it's.duckdb", "telecom", read_only=True)
"ATTACH '/data/it''s.duckdb' AS telecom (READ_ONLY)"
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlglot import exp

from ..compiler.dialects import ident

__all__ = ["duckdb_set_sql", "duckdb_attach_sql", "duckdb_use_sql", "temp_table_sql", "drop_temp_table_sql",
           "setting_sql", "explain_json_sql", "explain_cost_sql", "barrier_view_sql", "unfiltered_view_sql"]


def _value(value: str | int | bool | Sequence[str]) -> exp.Expr:
    if isinstance(value, bool):
        return exp.Boolean(this=value)
    if isinstance(value, int):
        return exp.Literal.number(value)
    if isinstance(value, str):
        return exp.Literal.string(value)
    return exp.Array(expressions=[exp.Literal.string(str(v)) for v in value])


def duckdb_set_sql(name: str, value: str | int | bool | Sequence[str]) -> str:
    """``SET name = value`` (a DuckDB setting of the engine's own connection)."""
    item = exp.SetItem(this=exp.EQ(this=exp.column(exp.to_identifier(name)), expression=_value(value)))
    return exp.Set(expressions=[item]).sql(dialect="duckdb")


def setting_sql(name: str) -> str:
    """The current value of a DuckDB setting."""
    return exp.select(exp.func("current_setting", exp.Literal.string(name))).sql(dialect="duckdb")


def duckdb_attach_sql(path: str, alias: str, *, read_only: bool) -> str:
    options = [exp.AttachOption(this=exp.var("READ_ONLY"))] if read_only else []
    target = exp.Alias(this=exp.Literal.string(path), alias=ident(alias, "duckdb"))
    return exp.Attach(this=target, exists=False, expressions=options).sql(dialect="duckdb")


def duckdb_use_sql(alias: str) -> str:
    return exp.Use(this=exp.Table(this=ident(alias, "duckdb"))).sql(dialect="duckdb")


def temp_table_sql(name: str, select_sql: str, dialect: str = "duckdb") -> str:
    """``CREATE TEMPORARY TABLE name AS <select>``: the select is SQL ChatBI built (a policy view)."""
    import sqlglot

    body = sqlglot.parse_one(select_sql, read=dialect)
    create = exp.Create(this=exp.Table(this=ident(name, dialect)), kind="TABLE", expression=body,
                        properties=exp.Properties(expressions=[exp.TemporaryProperty()]))
    return create.sql(dialect=dialect)


def barrier_view_sql(name: str, select_sql: str, dialect: str = "postgres") -> str:
    """``CREATE TEMPORARY VIEW name WITH (security_barrier=TRUE) AS <select>`` (PostgreSQL).

    A security barrier view's own conditions are evaluated before any function or operator of the
    query that reads it that is not LEAKPROOF (PostgreSQL's "Rules and Privileges" chapter).

    >>> barrier_view_sql("chatbi_v_fact", "SELECT a FROM fact WHERE p = 'x'")
    "CREATE TEMPORARY VIEW chatbi_v_fact WITH (security_barrier=TRUE) AS SELECT a FROM fact WHERE p = 'x'"
    """
    import sqlglot

    body = sqlglot.parse_one(select_sql, read=dialect)
    properties = exp.Properties(expressions=[exp.TemporaryProperty(),
                                             exp.Property(this=exp.var("security_barrier"), value=exp.true())])
    create = exp.Create(this=exp.Table(this=ident(name, dialect)), kind="VIEW", expression=body,
                        properties=properties)
    return create.sql(dialect=dialect)


def unfiltered_view_sql(name: str, select_sql: str, dialect: str = "postgres") -> str:
    """``CREATE TEMPORARY VIEW name AS <select without its WHERE>``: a policy view's shape over all rows.

    Only for estimating a plan (never run): the planner sees through a plain view to the tables'
    statistics, which it cannot do for a security barrier view, so the estimate of a statement
    over all rows bounds what it costs over a user's rows.

    >>> unfiltered_view_sql("chatbi_v_fact", "SELECT a FROM fact JOIN d ON fact.k = d.k WHERE d.p = 'x'")
    'CREATE TEMPORARY VIEW chatbi_v_fact AS SELECT a FROM fact JOIN d ON fact.k = d.k'
    """
    import sqlglot

    body = sqlglot.parse_one(select_sql, read=dialect)
    body.set("where", None)
    create = exp.Create(this=exp.Table(this=ident(name, dialect)), kind="VIEW", expression=body,
                        properties=exp.Properties(expressions=[exp.TemporaryProperty()]))
    return create.sql(dialect=dialect)


def drop_temp_table_sql(name: str, dialect: str = "duckdb") -> str:
    return exp.Drop(tables=[exp.Table(this=ident(name, dialect))], kind="TABLE", exists=True).sql(dialect=dialect)


def explain_json_sql(sql: str) -> str:
    """The estimated plan of ``sql`` as JSON, nothing run (DuckDB and PostgreSQL). ``sql`` is guard-checked text."""
    return f"EXPLAIN (FORMAT json) {sql}"


def explain_cost_sql(sql: str) -> str:
    """Spark's optimized plan of ``sql`` with its size statistics, then the physical plan; nothing run."""
    return f"EXPLAIN COST {sql}"
