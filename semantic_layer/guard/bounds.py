"""Bounds on functions whose cost grows faster than their input: what a statement timeout cannot stop.

A database checks for cancellation between batches of rows, not inside one function call, so
``levenshtein`` over two 100 000-character strings (10^10 steps) runs to its end whatever the
timeout says, and ``lpad('x', 20000000, 'y')`` makes 20 MB per row, which no row cap bounds.
The guard refuses the forms it can see (a pad to more than ``MAX_PAD_LENGTH`` characters, a
printf/format width of five digits or more) and, on DuckDB, makes ``levenshtein`` refuse strings
longer than PostgreSQL's own limit of 255 characters at run time.

>>> import sqlglot
>>> costly_problem(sqlglot.parse_one("lpad('x', 20000000, 'y')", read="duckdb"))
'lpad/rpad may pad to at most 10000 characters (a literal number)'
>>> tree = sqlglot.parse_one("SELECT levenshtein(a, b) FROM t", read="duckdb")
>>> print(bound_levenshtein(tree).sql("duckdb").replace(" THEN ", "\\nTHEN "))
SELECT CASE WHEN LENGTH(a) > 255 OR LENGTH(b) > 255
THEN ERROR('levenshtein compares strings of at most 255 characters') ELSE LEVENSHTEIN(a, b) END FROM t
"""

from __future__ import annotations

import re

from sqlglot import exp

__all__ = ["costly_problem", "bound_levenshtein", "MAX_PAD_LENGTH", "MAX_LEVENSHTEIN_LENGTH"]

MAX_PAD_LENGTH = 10_000
MAX_LEVENSHTEIN_LENGTH = 255
_WIDE = re.compile(r"\d{5,}")


def costly_problem(node: exp.Expr) -> str | None:
    """Why a function call could build a huge value, or None."""
    if type(node) is exp.Pad:
        length = node.expression
        if not (type(length) is exp.Literal and not length.is_string and length.this.isdigit()
                and int(length.this) <= MAX_PAD_LENGTH):
            return f"lpad/rpad may pad to at most {MAX_PAD_LENGTH} characters (a literal number)"
    elif type(node) is exp.Format or (type(node) is exp.Anonymous and str(node.this).lower() == "printf"):
        pattern = node.this if type(node) is exp.Format else (node.expressions[0] if node.expressions else None)
        if not (type(pattern) is exp.Literal and pattern.is_string):
            return "the format of printf/format must be a literal string"
        if _WIDE.search(pattern.this):
            return "printf/format widths and precisions of five digits or more are not allowed"
    return None


def bound_levenshtein(tree: exp.Expr) -> exp.Expr:
    """Make every ``levenshtein(a, b)`` fail on strings longer than ``MAX_LEVENSHTEIN_LENGTH`` (DuckDB)."""
    def bound(node: exp.Expr) -> exp.Expr:
        if type(node) is not exp.Levenshtein or node.meta.get("bounded"):
            return node
        a, b = node.this, node.expression
        limit = MAX_LEVENSHTEIN_LENGTH
        too_long = exp.or_(exp.GT(this=exp.Length(this=a.copy()), expression=exp.Literal.number(limit)),
                           exp.GT(this=exp.Length(this=b.copy()), expression=exp.Literal.number(limit)))
        refuse = exp.Anonymous(this="ERROR", expressions=[exp.Literal.string(
            f"levenshtein compares strings of at most {MAX_LEVENSHTEIN_LENGTH} characters")])
        node.meta["bounded"] = True
        return exp.Case(ifs=[exp.If(this=too_long, true=refuse)], default=node)

    return tree.transform(bound, copy=False)
