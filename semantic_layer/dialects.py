"""Dialect differences the compiler must paper over, as sqlglot expressions.

sqlglot transpiles most things; SQLite has no DATE_TRUNC and keeps dates as text, and
identifiers that are keywords must be quoted. Everything dialect-specific lives here.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache

from sqlglot import exp
from sqlglot.dialects.dialect import Dialect

__all__ = ["ident", "column", "date_literal", "time_bucket", "shift_bucket", "SUPPORTED_DIALECTS"]

SUPPORTED_DIALECTS = ("duckdb", "postgres", "mysql", "sqlite", "snowflake", "bigquery", "spark", "trino",
                      "clickhouse")

_SQLITE_START = {"day": (), "month": ("start of month",), "year": ("start of year",),
                 "week": ("weekday 0", "-6 days")}


@lru_cache(maxsize=64)
def _keywords(dialect: str) -> frozenset[str]:
    tokenizer = Dialect.get_or_raise(dialect).tokenizer_class
    return frozenset(k for k in tokenizer.KEYWORDS if k.isalpha()) | {"DATE", "ORDER", "GROUP", "SELECT", "USER"}


def ident(name: str, dialect: str) -> exp.Identifier:
    """An identifier, quoted only when it must be (a keyword, odd characters, upper case)."""
    quoted = (not name.isascii() or not name.isidentifier() or name != name.lower()
              or name.upper() in _keywords(dialect))
    return exp.Identifier(this=name, quoted=quoted)


def column(name: str, table: str | None, dialect: str) -> exp.Column:
    return exp.Column(this=ident(name, dialect), table=ident(table, dialect) if table else None)


def date_literal(day: dt.date | str, dialect: str) -> exp.Expr:
    text = day.isoformat() if isinstance(day, dt.date) else str(day)
    if dialect == "sqlite":  # SQLite stores ISO text; CAST(... AS DATE) would yield a number
        return exp.Literal.string(text)
    return exp.cast(exp.Literal.string(text), exp.DataType.build("DATE"))


def time_bucket(expr: exp.Expr, grain: str, dialect: str) -> exp.Expr:
    """The first day of the ``grain`` bucket of a date expression (weeks start on Monday)."""
    if grain == "day":
        return expr
    if dialect == "sqlite":
        if grain == "quarter":
            # step back (month - 1) % 3 months from the start of the month
            back = exp.Mod(this=exp.Paren(this=exp.Sub(
                this=exp.cast(exp.func("strftime", exp.Literal.string("%m"), expr), exp.DataType.build("INT")),
                expression=exp.Literal.number(1))), expression=exp.Literal.number(3))
            modifier = exp.func("printf", exp.Literal.string("-%d months"), back)
            return exp.func("DATE", expr, exp.Literal.string("start of month"), modifier)
        return exp.func("DATE", expr, *(exp.Literal.string(m) for m in _SQLITE_START[grain]))
    return exp.DateTrunc(unit=exp.var(grain.upper()), this=expr)


def shift_bucket(expr: exp.Expr, unit: str, n: int, dialect: str) -> exp.Expr:
    """``expr`` moved forward by ``n`` units (used to align a comparison period's buckets)."""
    if unit == "quarter":
        unit, n = "month", 3 * n
    if unit == "week":
        unit, n = "day", 7 * n
    if dialect == "sqlite":
        return exp.func("DATE", expr, exp.Literal.string(f"{n:+d} {unit}s"))
    shifted = exp.DateAdd(this=expr, expression=exp.Literal.number(n), unit=exp.var(unit.upper()))
    if dialect in {"postgres", "duckdb"}:
        # date + interval is a timestamp there; keep buckets comparable with DATE_TRUNC output
        return exp.DateTrunc(unit=exp.var("DAY"), this=shifted) if dialect == "postgres" else \
            exp.cast(shifted, exp.DataType.build("DATE"))
    return shifted
