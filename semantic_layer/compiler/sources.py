"""Where rows come from: FROM clauses with their joins, dimension columns and row conditions.

One :class:`Sources` serves a model, a dialect and (optionally) an access policy. The query
builder reads facts through it, and so do the secure views of hand-written SQL
(:mod:`~semantic_layer.compiler.secure`), so a policy's row filter compiles exactly like a
query's filter wherever it applies.

>>> from semantic_layer import MemberFilter, SemanticModel
>>> from semantic_layer.policy import AccessPolicy
>>> model = SemanticModel.from_dict({
...     "name": "shop", "tables": {"sales": {"columns": {"day": "date", "city": "varchar", "amount": "double"},
...                                          "time_column": "day"}},
...     "dimensions": {"date": {"type": "time", "grains": ["month"]}, "city": {"table": "sales"}},
...     "metrics": {"amount": {"table": "sales", "agg": "sum", "column": "amount"}}})
>>> policy = AccessPolicy(rows=((MemberFilter(op="in", dimension="city", values=("Lyon",)),),))
>>> Sources(model, "duckdb", policy).policy_condition("sales").sql()
"sales.city IN ('Lyon')"
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from sqlglot import exp

from ..computed import qualify
from ..literals import value_literal
from ..model import DimensionRef, SemanticModel
from ..query import ComparisonFilter, MemberFilter, RangeFilter
from .dialects import column, date_literal, ident, shift_bucket, time_bucket

if TYPE_CHECKING:
    from ..policy import AccessPolicy, RowFilter

__all__ = ["Sources", "OPS", "join", "paren"]

#: comparison operators of filters as sqlglot node classes
OPS: dict[str, type[exp.Binary]] = {"=": exp.EQ, "!=": exp.NEQ, ">": exp.GT, ">=": exp.GTE, "<": exp.LT, "<=": exp.LTE}


class Sources:
    """Tables, joins, columns and row conditions of one model in one dialect, under one policy."""

    def __init__(self, model: SemanticModel, dialect: str, policy: AccessPolicy | None = None) -> None:
        self.model = model
        self.dialect = dialect
        self.time_dim = model.time_dimension
        #: None when there is nothing to enforce
        self.policy = policy if policy is not None and not policy.unrestricted else None

    # -- columns --------------------------------------------------------------------------
    def column(self, table: str, name: str) -> exp.Expr:
        """Column ``name`` of ``table``: a computed column is inlined."""
        tree = self.model.computed(table, name)
        if tree is None:
            return column(name, table, self.dialect)
        return paren(qualify(tree, lambda c: column(c, table, self.dialect)))

    def dimension(self, ref: DimensionRef, fact: str, bucket_shift: tuple[str, int] | None = None) -> exp.Expr:
        """A dimension (bucketed by its grain, shifted for comparisons) as read from ``fact``'s rows."""
        table = self.model.dimension_table(fact, ref.name)
        assert table is not None, f"{ref.name} unreachable from {fact}"
        col = self.column(table, self.model.dimension_column(ref.name, table))
        if ref.grain:
            bucket = time_bucket(col, ref.grain, self.dialect)
            if bucket_shift is not None:
                return shift_bucket(bucket, bucket_shift[0], bucket_shift[1], self.dialect)
            return bucket
        return col

    def time_column(self, fact: str) -> exp.Expr:
        table = self.model.dimension_table(fact, self.time_dim)
        assert table is not None
        return self.column(table, self.model.dimension_column(self.time_dim, table))

    def value(self, dimension: str, value: object) -> exp.Expr:
        """A literal compared with ``dimension`` (dates as date literals of the dialect)."""
        if self.model.dimensions[dimension].type == "time":
            return date_literal(str(value), self.dialect)
        return value_literal(value)  # typed: no value is ever SQL text

    # -- tables ---------------------------------------------------------------------------
    def tables_needed(self, fact: str, dims: Sequence[str], tables: Sequence[str] = ()) -> list[str]:
        needed: list[str] = []
        for table in [self.model.dimension_table(fact, d) for d in dims] + list(tables):
            if table and table != fact:
                for j in self.model.join_path(fact, table) or ():
                    if j.right not in needed:
                        needed.append(j.right)
        return needed

    def from_(self, fact: str, dims: Sequence[str], tables: Sequence[str] = ()) -> exp.Select:
        """``FROM fact LEFT JOIN`` every table the dimensions (and ``tables``) are read from."""
        select = exp.Select().from_(exp.Table(this=ident(fact, self.dialect)), copy=False)
        for table in self.tables_needed(fact, dims, tables):
            path = self.model.join_path(fact, table) or ()
            step = path[-1]
            on = exp.and_(*(exp.EQ(this=column(lc, step.left, self.dialect), expression=column(rc, step.right, self.dialect))
                            for lc, rc in step.keys.items()))
            select = join(select, exp.Table(this=ident(table, self.dialect)), on=on, side="LEFT")
        return select

    # -- row conditions -------------------------------------------------------------------
    def filter_condition(self, fact: str, f: RowFilter) -> exp.Expr | None:
        """A member / comparison / range filter on a dimension as a condition on ``fact``'s rows."""
        if isinstance(f, MemberFilter):
            return self.member_condition(fact, f.dimension, f.op, f.values)
        if isinstance(f, (ComparisonFilter, RangeFilter)) and f.dimension is not None:
            target = self.dimension(DimensionRef(f.dimension), fact)
            if isinstance(f, ComparisonFilter):
                return OPS[f.op](this=target, expression=self.value(f.dimension, f.value))
            return exp.Between(this=target, low=self.value(f.dimension, f.low), high=self.value(f.dimension, f.high))
        return None

    def member_condition(self, fact: str, dimension: str, op: str, values: Sequence[object]) -> exp.Expr:
        target = self.dimension(DimensionRef(dimension), fact)
        cond: exp.Expr = exp.In(this=target, expressions=[self.value(dimension, v) for v in values])
        return exp.Not(this=cond) if op == "not_in" else cond

    def policy_condition(self, table: str) -> exp.Expr | None:
        """The policy's row condition on ``table`` (None: unrestricted, FALSE: closed).

        Alternatives are OR-ed (a user with two roles sees what either sees); the filters of one
        alternative are AND-ed.
        """
        if self.policy is None:
            return None
        alternatives = self.policy.alternatives(self.model, table)
        if alternatives is None:
            return None
        if not alternatives:
            return exp.false()
        parts = [exp.and_(*(self._policy_filter(table, f) for f in alt)) if len(alt) > 1
                 else self._policy_filter(table, alt[0]) for alt in alternatives]
        return parts[0] if len(parts) == 1 else exp.or_(*(exp.Paren(this=p) for p in parts))

    def _policy_filter(self, table: str, f: RowFilter) -> exp.Expr:
        cond = self.filter_condition(table, f)
        # a row filter names a dimension (AccessPolicy.problems says so); one that does not shows nothing
        return cond if cond is not None else exp.false()

    def policy_dimensions(self, table: str) -> list[str]:
        """The dimensions ``table``'s row condition reads (their tables are joined)."""
        return list(self.policy.dimensions_for(self.model, table)) if self.policy is not None else []

    def group_size(self, fact: str) -> exp.Expr:
        """Rows (or distinct people) behind an aggregate, for small-cell suppression."""
        assert self.policy is not None
        col = dict(self.policy.group_size_columns).get(fact)
        if col is None:
            return exp.Count(this=exp.Star())
        return exp.Count(this=exp.Distinct(expressions=[column(col, fact, self.dialect)]))


def join(select: exp.Select, target: exp.Expr, *, on: exp.Expr | None = None,
         side: str | None = None, kind: str | None = None) -> exp.Select:
    """Append a join without sqlglot's string parsing of join types (hot path)."""
    select.append("joins", exp.Join(this=target, on=on, side=side, kind=kind))
    return select


def paren(e: exp.Expr) -> exp.Expr:
    return e if isinstance(e, (exp.Column, exp.Paren, exp.Literal, exp.Func, exp.Cast)) else exp.Paren(this=e)
