"""Computed columns: row-level SQL expressions a table declares (``TableSpec.computed``).

A computed column is written once in sqlglot's dialect-neutral SQL and used wherever a column
name is. It is checked like any SQL ChatBI runs -- wrapped in ``SELECT <expr> FROM <table>``
and passed through the SQL guard with the table's real columns -- and, because it is inlined
into aggregates and ``GROUP BY``, it must be a plain row-level expression: no aggregate, window
or subquery. The compiler inlines the parsed tree with every column qualified by the table.

>>> tree = parse_computed("CASE WHEN is_food = 1 THEN price ELSE 0 END")
>>> qualify(tree, lambda name: exp.column(name, "items")).sql("duckdb")
'CASE WHEN items.is_food = 1 THEN items.price ELSE 0 END'
>>> computed_problem("orders", "CAST(ordered_at AS DATE)", ["ordered_at"]) is None
True
>>> computed_problem("orders", "SUM(total)", ["total"])
'an aggregate (SUM(total)) cannot be a column; use a metric with agg: sum'
"""

from __future__ import annotations

from collections.abc import Callable, Collection

import sqlglot
from sqlglot import exp

__all__ = ["parse_computed", "computed_problem", "qualify", "referenced_columns"]

_NOT_ROW_LEVEL = (exp.Select, exp.Subquery, exp.Union, exp.Star)


def parse_computed(sql: str) -> exp.Expr:
    """The AST of a computed column (dialect-neutral SQL); raises ``sqlglot`` errors."""
    return sqlglot.parse_one(sql)


def referenced_columns(tree: exp.Expr) -> tuple[str, ...]:
    """The column names an expression reads, in order."""
    return tuple(dict.fromkeys(c.name for c in tree.find_all(exp.Column)))


def computed_problem(table: str, sql: str, columns: Collection[str]) -> str | None:
    """Why ``sql`` cannot be a computed column of ``table`` (with real ``columns``), or None."""
    if "{{" in sql or "{%" in sql:
        return f"Jinja ({sql.strip()!r}) cannot be evaluated outside dbt; compile it to SQL first"
    try:
        tree = parse_computed(sql)
    except sqlglot.errors.SqlglotError as exc:
        return f"cannot parse {sql.strip()!r}: {str(exc).splitlines()[0]}"
    if tree is None:
        return "empty expression"
    for node in tree.walk():
        if isinstance(node, _NOT_ROW_LEVEL):
            return f"a subquery or * ({node.sql()}) cannot be a column"
        if isinstance(node, exp.AggFunc):
            return f"an aggregate ({node.sql()}) cannot be a column; use a metric with agg: {_agg_hint(node)}"
        if isinstance(node, exp.Window):
            return f"a window function ({node.sql()}) cannot be a column"
    for col in tree.find_all(exp.Column):
        if col.table and col.table != table:
            return f"{col.sql()} refers to another table; a computed column reads only {table!r}"
    from .guard import SQLGuard  # the guard builds on the model; import it when checking, not at load

    select = exp.select(exp.alias_(qualify(tree, lambda name: exp.column(name, table)), "v")).from_(table)
    try:
        SQLGuard({table: tuple(columns)}, "duckdb", row_cap=None).check_expression(select)
    except ValueError as exc:
        return str(exc).splitlines()[0]
    return None


def _agg_hint(node: exp.Expr) -> str:
    return {"Sum": "sum", "Avg": "avg", "Min": "min", "Max": "max", "Count": "count"}.get(type(node).__name__, "...")


def qualify(tree: exp.Expr, make_column: Callable[[str], exp.Expr]) -> exp.Expr:
    """A copy of ``tree`` with each column replaced by ``make_column(name)`` (qualified, quoted)."""
    return tree.transform(lambda n: make_column(n.name) if isinstance(n, exp.Column) else n)
