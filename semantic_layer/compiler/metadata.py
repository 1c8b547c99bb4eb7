"""SQL for the metadata ChatBI reads from a warehouse: the newest date, the members of a dimension,
the markers that tell whether data changed.

Built here so that ``chatbi`` never assembles SQL itself; it only executes what the semantic
layer builds (and the guard checks).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import sqlglot
from sqlglot import exp

from ..computed import qualify
from ..model import SemanticModel
from .dialects import column, date_literal, ident

__all__ = ["latest_date_sql", "date_range_sql", "member_values_sql", "row_count_expression", "row_count_sql",
           "recent_member_values_sql", "row_counts_sql", "postgres_change_markers_sql"]


def latest_date_sql(model: SemanticModel, fact: str, dialect: str) -> str | None:
    """``SELECT MAX(time_column) FROM fact``, or None when the table has no time column.

    >>> from sample_data import TELECOM_MODEL
    >>> latest_date_sql(SemanticModel.from_yaml(TELECOM_MODEL), "fact_daily", "duckdb")
    'SELECT MAX("date") FROM fact_daily'
    """
    col = model.tables[fact].time_column
    if not col:
        return None
    return exp.select(exp.Max(this=_column(model, fact, col, dialect))).from_(
        exp.Table(this=ident(fact, dialect))).sql(dialect=dialect)


def date_range_sql(model: SemanticModel, fact: str, dialect: str) -> str | None:
    """``SELECT MIN(time_column), MAX(time_column) FROM fact`` (what "all data" covers), or None.

    >>> from sample_data import TELECOM_MODEL
    >>> date_range_sql(SemanticModel.from_yaml(TELECOM_MODEL), "fact_daily", "duckdb")
    'SELECT MIN("date"), MAX("date") FROM fact_daily'
    """
    col = model.tables[fact].time_column
    if not col:
        return None
    return exp.select(exp.Min(this=_column(model, fact, col, dialect)), exp.Max(this=_column(model, fact, col, dialect))
                      ).from_(exp.Table(this=ident(fact, dialect))).sql(dialect=dialect)


def _column(model: SemanticModel, table: str, name: str, dialect: str) -> exp.Expr:
    """A real column, or a computed column's expression (unqualified: one table is read)."""
    tree = model.computed(table, name)
    return column(name, None, dialect) if tree is None else qualify(tree, lambda c: column(c, None, dialect))


def member_values_sql(model: SemanticModel, dimension: str, dialect: str, limit: int) -> str | None:
    """Distinct non-null values of a categorical dimension (and its label column), at most ``limit`` rows.

    >>> from sample_data import TELECOM_MODEL
    >>> member_values_sql(SemanticModel.from_yaml(TELECOM_MODEL), "province", "postgres", 10)
    'SELECT DISTINCT province, province_en FROM dim_region WHERE NOT province IS NULL ORDER BY province LIMIT 10'
    """
    dim = model.dimension(dimension)
    if dim.type != "categorical" or dim.table is None:
        return None
    cols = [_column(model, dim.table, dim.column or dimension, dialect)]
    if dim.label_column:
        cols.append(_column(model, dim.table, dim.label_column, dialect))
    return (exp.select(*cols).distinct().from_(exp.Table(this=ident(dim.table, dialect)))
            .where(exp.Not(this=exp.Is(this=cols[0].copy(), expression=exp.Null())))
            .order_by(cols[0].copy()).limit(limit).sql(dialect=dialect))


def row_count_expression(tree: exp.Expr, limit: int | None = None) -> exp.Select:
    """``SELECT COUNT(*) FROM (<tree>)``: how many rows a compiled query has in full.

    The tree's outermost LIMIT (a row cap a guard put there) is replaced by ``limit`` -- the query's
    own, when it asked for one -- so the count is of the whole answer, never of what was fetched.

    >>> t = sqlglot.parse_one("SELECT city, SUM(x) AS x FROM f GROUP BY city LIMIT 10000")
    >>> row_count_expression(t).sql()
    'SELECT COUNT(*) AS n FROM (SELECT city, SUM(x) AS x FROM f GROUP BY city) AS q'
    """
    inner = tree.copy()
    inner.set("limit", exp.Limit(expression=exp.Literal.number(limit)) if limit is not None else None)
    return exp.select(exp.alias_(exp.Count(this=exp.Star()), "n")).from_(_as_q(inner), copy=False)


def row_count_sql(sql: str, dialect: str) -> str:
    """``SELECT COUNT(*) FROM (<sql>)`` for SQL text (its own LIMIT kept); check it with the guard before
    it runs, like any text.

    >>> row_count_sql("SELECT * FROM fact_daily", "duckdb")
    'SELECT COUNT(*) AS n FROM (SELECT * FROM fact_daily) AS q'
    """
    tree = sqlglot.parse_one(sql, read=dialect)
    return exp.select(exp.alias_(exp.Count(this=exp.Star()), "n")).from_(_as_q(tree), copy=False).sql(dialect=dialect)


def _as_q(tree: exp.Expr) -> exp.Subquery:
    return exp.Subquery(this=tree, alias=exp.TableAlias(this=exp.to_identifier("q")))


def recent_member_values_sql(model: SemanticModel, dimension: str, dialect: str, limit: int, *,
                             since: dt.date | None, scan_rows: int) -> str | None:
    r"""Distinct values of a dimension that lives on a fact table, from a bounded scan: the rows
    of that table dated ``since`` or later (when given), at most ``scan_rows`` of them.

    Members found this way are those in recent use; the scan reads at most ``scan_rows`` rows
    however big the table is (date pruning makes it cheap on date-ordered or partitioned tables).

    >>> from sample_data import TELECOM_MODEL
    >>> model = SemanticModel.from_yaml(TELECOM_MODEL)
    >>> sql = recent_member_values_sql(model, "channel", "spark", 10, since=dt.date(2025, 12, 1), scan_rows=1000)
    >>> print(sql.replace(" FROM (", "\nFROM (").replace(" AS s ", "\nAS s "))
    SELECT DISTINCT s.channel
    FROM (SELECT channel FROM fact_daily WHERE `date` >= CAST('2025-12-01' AS DATE) LIMIT 1000)
    AS s WHERE NOT s.channel IS NULL ORDER BY s.channel LIMIT 10
    """
    dim = model.dimension(dimension)
    if dim.type != "categorical" or dim.table is None:
        return None
    names = [dim.column or dimension] + ([dim.label_column] if dim.label_column else [])
    # a computed column is named after itself, so the outer query reads it like a stored one
    picked = [_column(model, dim.table, n, dialect) for n in names]
    inner = exp.select(*(e if isinstance(e, exp.Column) else exp.alias_(e, ident(n, dialect))
                         for n, e in zip(names, picked, strict=True))).from_(exp.Table(this=ident(dim.table, dialect)))
    time_col = model.tables[dim.table].time_column
    if since is not None and time_col:
        inner = inner.where(exp.GTE(this=_column(model, dim.table, time_col, dialect),
                                    expression=date_literal(since, dialect)))
    inner = inner.limit(scan_rows)
    cols = [column(n, "s", dialect) for n in names]
    return (exp.select(*cols).distinct().from_(inner.subquery("s"))
            .where(exp.Not(this=exp.Is(this=cols[0].copy(), expression=exp.Null())))
            .order_by(cols[0].copy()).limit(limit).sql(dialect=dialect))


def row_counts_sql(tables: Sequence[str], dialect: str) -> str:
    r"""``table_name``, ``n`` (its row count) for each table, one statement.

    A cheap change marker where counts come from metadata (DuckDB, Spark over Parquet, Snowflake).

    >>> print(row_counts_sql(["fact_daily", "dim_plan"], "duckdb").replace(" UNION ALL ", "\nUNION ALL "))
    SELECT 'fact_daily' AS table_name, COUNT(*) AS n FROM fact_daily
    UNION ALL SELECT 'dim_plan' AS table_name, COUNT(*) AS n FROM dim_plan
    """
    selects = [exp.select(exp.alias_(exp.Literal.string(t), "table_name"), exp.alias_(exp.Count(this=exp.Star()), "n"))
               .from_(exp.Table(this=ident(t, dialect))) for t in tables]
    query: exp.Query = selects[0]
    for select in selects[1:]:
        query = exp.union(query, select, distinct=False)
    return query.sql(dialect=dialect)


def postgres_change_markers_sql(tables: Sequence[str]) -> str:
    r"""PostgreSQL's cumulative row-change counters of each table (found on the search path) and its
    file node (which changes on TRUNCATE and rewrites): a marker that moves with every committed
    insert, update or delete, read from the statistics views without touching the table.

    >>> print(postgres_change_markers_sql(["fact_daily"]).replace(" FROM", "\nFROM").replace(" JOIN", "\nJOIN"))
    SELECT s.relname, s.n_tup_ins, s.n_tup_upd, s.n_tup_del, c.relfilenode, CURRENT_SETTING('track_counts') AS track_counts
    FROM pg_stat_user_tables AS s
    JOIN pg_class AS c ON c.oid = s.relid WHERE s.relid IN (TO_REGCLASS('fact_daily'))
    """
    regclasses = [exp.func("to_regclass", exp.Literal.string(t)) for t in tables]
    return (exp.select(*(exp.column(c, "s") for c in ("relname", "n_tup_ins", "n_tup_upd", "n_tup_del")),
                       exp.column("relfilenode", "c"),
                       exp.alias_(exp.func("current_setting", exp.Literal.string("track_counts")), "track_counts"))
            .from_(exp.alias_(exp.Table(this=exp.to_identifier("pg_stat_user_tables")), "s", table=True))
            .join(exp.alias_(exp.Table(this=exp.to_identifier("pg_class")), "c", table=True),
                  on=exp.EQ(this=exp.column("oid", "c"), expression=exp.column("relid", "s")))
            .where(exp.column("relid", "s").isin(*regclasses))
            .sql(dialect="postgres"))
