"""SQL for the metadata ChatBI reads from a warehouse: the newest date, the members of a dimension.

Built here so that ``chatbi`` never assembles SQL itself; it only executes what the semantic
layer builds (and the guard checks).
"""

from __future__ import annotations

import sqlglot
from sqlglot import exp

from ..computed import qualify
from ..model import SemanticModel
from .dialects import column, ident

__all__ = ["latest_date_sql", "date_range_sql", "member_values_sql", "row_count_expression", "row_count_sql"]


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
