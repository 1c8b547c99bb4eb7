"""Build the sqlglot AST of a semantic query.

Shape of the SQL (each step a small function):

1. leaf metrics are grouped by (fact table, aggregation kind); each group becomes one
   aggregate subquery over its fact table and the dimension tables it needs, filtered
   and grouped by the query's dimensions. Facts are aggregated separately, so a query
   over two fact tables never double counts through a join fan-out.
2. the groups are joined on the dimension columns (full outer join, keys coalesced);
3. ratio and derived metrics are computed from the aggregated components, never as an
   average of row-level ratios;
4. period comparison joins the query with itself over the comparison period; thresholds
   on metrics, shares of total, ordering and limit wrap the result.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlglot import exp

from ..errors import QueryError
from ..model import DimensionRef, SemanticModel
from ..query import ComparisonFilter, MemberFilter, RangeFilter, SemanticQuery
from ..spec import DerivedMetricSpec, MetricFilterSpec, RatioMetricSpec, SemiAdditiveMetricSpec, SimpleMetricSpec
from ..computed import qualify
from .dialects import column, date_literal, ident, shift_bucket, time_bucket
from .timeframe import Period

if TYPE_CHECKING:
    from ..policy import AccessPolicy, RowFilter

__all__ = ["Builder", "secure_views"]

_OPS: dict[str, type[exp.Binary]] = {"=": exp.EQ, "!=": exp.NEQ, ">": exp.GT, ">=": exp.GTE, "<": exp.LT, "<=": exp.LTE}
_AGGS = {"sum": exp.Sum, "avg": exp.Avg, "min": exp.Min, "max": exp.Max, "count": exp.Count}


@dataclass(frozen=True)
class _Group:
    table: str
    semi: str | None  # None for additive aggregation, else "last" / "first"
    leaves: tuple[str, ...]


class Builder:
    """Compiles one query for one dialect. Create per query; it keeps no shared state."""

    def __init__(self, model: SemanticModel, query: SemanticQuery | None, dialect: str,
                 policy: AccessPolicy | None = None) -> None:
        self.model = model
        self.query = query  # type: ignore[assignment]  # None only for secure_views
        self.dialect = dialect
        self.refs = tuple(DimensionRef.parse(d) for d in query.dimensions) if query is not None else ()
        self.time_dim = model.time_dimension
        # an access policy (semantic_layer.policy) adds row filters and small-cell suppression
        self.policy = policy if policy is not None and not policy.unrestricted else None
        self.min_group = policy.min_group_size if self.policy is not None else 0

    # -- entry points -------------------------------------------------------------------
    def build(self, period: Period | None, compare_period: Period | None, compare_shift: tuple[str, int] | None
              ) -> exp.Select:
        if not self.query.metrics:
            return self._finish(self._members(period), order_default=[r.column for r in self.refs])
        current = self._metrics_select(period)
        if compare_period is not None:
            previous = self._metrics_select(compare_period, bucket_shift=compare_shift)
            current = self._compare(current, previous)
        return self._finish(current, order_default=self._default_order())

    # -- dimensions ---------------------------------------------------------------------
    def _alias(self, table: str) -> str:
        return table

    def _col(self, table: str, name: str) -> exp.Expression:
        """Column ``name`` of ``table`` as read in this query: a computed column is inlined."""
        alias = self._alias(table)
        tree = self.model.computed(table, name)
        if tree is None:
            return column(name, alias, self.dialect)
        return _paren(qualify(tree, lambda c: column(c, alias, self.dialect)))

    def _dim_expr(self, ref: DimensionRef, fact: str, bucket_shift: tuple[str, int] | None = None) -> exp.Expression:
        table = self.model.dimension_table(fact, ref.name)
        assert table is not None, f"{ref.name} unreachable from {fact}"
        col = self._col(table, self.model.dimension_column(ref.name, table))
        if ref.grain:
            bucket = time_bucket(col, ref.grain, self.dialect)
            if bucket_shift is not None:
                return shift_bucket(bucket, bucket_shift[0], bucket_shift[1], self.dialect)
            return bucket
        return col

    def _time_column(self, fact: str) -> exp.Expression:
        table = self.model.dimension_table(fact, self.time_dim)
        assert table is not None
        return self._col(table, self.model.dimension_column(self.time_dim, table))

    def _tables_needed(self, fact: str, dims: list[str], tables: Sequence[str] = ()) -> list[str]:
        needed: list[str] = []
        for table in [self.model.dimension_table(fact, d) for d in dims] + list(tables):
            if table and table != fact:
                for j in self.model.join_path(fact, table) or ():
                    if j.right not in needed:
                        needed.append(j.right)
        return needed

    def _from(self, fact: str, dims: list[str], tables: Sequence[str] = ()) -> exp.Select:
        select = exp.Select().from_(exp.Table(this=ident(fact, self.dialect)), copy=False)
        for table in self._tables_needed(fact, dims, tables):
            path = self.model.join_path(fact, table) or ()
            join = path[-1]
            on = exp.and_(*(exp.EQ(this=column(lc, join.left, self.dialect), expression=column(rc, join.right, self.dialect))
                            for lc, rc in join.keys.items()))
            select = _join(select, exp.Table(this=ident(table, self.dialect)), on=on, side="LEFT")
        return select

    def _row_filters(self, fact: str, period: Period | None) -> list[exp.Expression]:
        conds: list[exp.Expression] = []
        for f in self.query.filters:
            cond = self._filter_condition(fact, f)  # type: ignore[arg-type]
            if cond is not None:
                conds.append(cond)
        if period is not None:
            conds.append(exp.Between(this=self._time_column(fact), low=date_literal(period[0], self.dialect),
                                     high=date_literal(period[1], self.dialect)))
        policy = self._policy_condition(fact)
        if policy is not None:
            conds.append(policy)
        return conds

    def _filter_condition(self, fact: str, f: RowFilter) -> exp.Expression | None:
        """A member / comparison / range filter on a dimension as a condition on ``fact``'s rows."""
        if isinstance(f, MemberFilter):
            return self._member_condition(fact, f.dimension, f.op, f.values)
        if isinstance(f, (ComparisonFilter, RangeFilter)) and f.dimension is not None:
            target = self._dim_expr(DimensionRef(f.dimension), fact)
            if isinstance(f, ComparisonFilter):
                return _OPS[f.op](this=target, expression=self._value(f.dimension, f.value))
            return exp.Between(this=target, low=self._value(f.dimension, f.low), high=self._value(f.dimension, f.high))
        return None

    def _policy_condition(self, fact: str) -> exp.Expression | None:
        if self.policy is None:
            return None
        return self.policy.condition(self.model, fact, lambda f: self._filter_condition(fact, f))  # type: ignore[arg-type,return-value]

    def _policy_dims(self, table: str) -> list[str]:
        return list(self.policy.dimensions_for(self.model, table)) if self.policy is not None else []

    def _group_size(self, fact: str) -> exp.Expression:
        """Rows (or distinct people) behind an aggregate, for small-cell suppression."""
        assert self.policy is not None
        col = dict(self.policy.group_size_columns).get(fact)
        if col is None:
            return exp.Count(this=exp.Star())
        return exp.Count(this=exp.Distinct(expressions=[column(col, fact, self.dialect)]))

    def _member_condition(self, fact: str, dimension: str, op: str, values: tuple[object, ...]) -> exp.Expression:
        target = self._dim_expr(DimensionRef(dimension), fact)
        cond: exp.Expression = exp.In(this=target, expressions=[self._value(dimension, v) for v in values])
        return exp.Not(this=cond) if op == "not_in" else cond

    def _value(self, dimension: str, value: object) -> exp.Expression:
        if self.model.dimensions[dimension].type == "time":
            return date_literal(str(value), self.dialect)
        if isinstance(value, bool):
            return exp.Boolean(this=value)
        if isinstance(value, (int, float)):
            return exp.Literal.number(value)
        return exp.Literal.string(str(value))

    # -- aggregation groups -------------------------------------------------------------
    def _groups(self) -> list[_Group]:
        order: dict[tuple[str, str | None], list[str]] = {}
        for name in self.query.metrics:
            for leaf in self.model.leaf_metrics(name):
                spec = self.model.metrics[leaf]
                assert isinstance(spec, (SimpleMetricSpec, SemiAdditiveMetricSpec))
                key = (spec.table, spec.time_agg if isinstance(spec, SemiAdditiveMetricSpec) else None)
                if leaf not in order.setdefault(key, []):
                    order[key].append(leaf)
        return [_Group(t, s, tuple(leaves)) for (t, s), leaves in order.items()]

    def _leaf_agg(self, leaf: str, fact: str) -> exp.Expression:
        spec = self.model.metrics[leaf]
        assert isinstance(spec, (SimpleMetricSpec, SemiAdditiveMetricSpec))
        arg: exp.Expression = exp.Star() if spec.column == "*" else self._col(fact, spec.column)
        if spec.filters:
            cond = exp.and_(*(self._metric_filter(fact, f) for f in spec.filters))
            then = exp.Literal.number(1) if spec.column == "*" else arg
            arg = exp.Case(ifs=[exp.If(this=cond, true=then)])
        if isinstance(spec, SimpleMetricSpec) and spec.agg == "count_distinct":
            return exp.Count(this=exp.Distinct(expressions=[arg]))
        return _AGGS[spec.agg](this=arg)

    def _metric_filter(self, fact: str, f: MetricFilterSpec) -> exp.Expression:
        if f.op in ("in", "not_in"):
            return self._member_condition(fact, f.dimension, f.op, f.values)
        target = self._dim_expr(DimensionRef(f.dimension), fact)
        if f.op in ("is_null", "not_null"):
            null = exp.Is(this=target, expression=exp.Null())
            return null if f.op == "is_null" else exp.Not(this=null)
        return _OPS[f.op](this=target, expression=self._value(f.dimension, f.values[0]))

    def _group_select(self, group: _Group, period: Period | None, bucket_shift: tuple[str, int] | None) -> exp.Select:
        fact = group.table
        dims = [r.name for r in self.refs]
        filter_dims = [f.dimension for f in self.query.filters if getattr(f, "dimension", None)]
        metric_filter_dims = [f.dimension for leaf in group.leaves
                              for f in getattr(self.model.metrics[leaf], "filters", ())]
        select = self._from(fact, list(dict.fromkeys(dims + filter_dims + metric_filter_dims  # type: ignore[arg-type]
                                                     + self._policy_dims(fact))))
        conds = self._row_filters(fact, period)
        if conds:
            select = select.where(exp.and_(*conds), copy=False)
        dim_exprs = [(r, self._dim_expr(r, fact, bucket_shift)) for r in self.refs]
        if group.semi is None:
            select = select.select(*(exp.alias_(e, ident(r.column, self.dialect)) for r, e in dim_exprs),
                                   *(exp.alias_(self._leaf_agg(leaf, fact), ident(leaf, self.dialect)) for leaf in group.leaves), copy=False)
            if self.min_group:
                select = select.select(exp.alias_(self._group_size(fact), _GROUP_ROWS), copy=False)
            if dim_exprs:
                select = select.group_by(*(e.copy() for _, e in dim_exprs), copy=False)
            return select
        return self._semi_select(select, group, fact, dim_exprs)

    def _semi_select(self, base: exp.Select, group: _Group, fact: str,
                     dim_exprs: list[tuple[DimensionRef, exp.Expression]]) -> exp.Select:
        """Value of the last (first) date of each time bucket, summed over other dimensions."""
        t = self._time_column(fact)
        buckets = [e for r, e in dim_exprs if r.name == self.time_dim]
        window_fn = exp.Max if group.semi == "last" else exp.Min
        edge = exp.Window(this=window_fn(this=t.copy()), partition_by=buckets or None)
        inner = base.select(*(exp.alias_(e, ident(r.column, self.dialect)) for r, e in dim_exprs),
                            exp.alias_(t.copy(), "_t"),
                            *(exp.alias_(self._leaf_agg(leaf, fact), ident(leaf, self.dialect)) for leaf in group.leaves),
                            exp.alias_(edge, "_edge"), copy=False)
        inner = inner.group_by(*(e.copy() for _, e in dim_exprs), t.copy(), copy=False)
        if self.min_group:
            inner = inner.select(exp.alias_(self._group_size(fact), _GROUP_ROWS), copy=False)
        outer = exp.Select().from_(inner.subquery("d", copy=False), copy=False).where(
            exp.EQ(this=exp.column("_t", "d"), expression=exp.column("_edge", "d")), copy=False)
        outer = outer.select(*(column(r.column, "d", self.dialect) for r, _ in dim_exprs),
                             *(exp.alias_(exp.Sum(this=column(leaf, "d", self.dialect)), ident(leaf, self.dialect))
                               for leaf in group.leaves))
        if self.min_group:
            outer = outer.select(exp.alias_(exp.Sum(this=exp.column(_GROUP_ROWS, "d")), _GROUP_ROWS), copy=False)
        if dim_exprs:
            outer = outer.group_by(*(column(r.column, "d", self.dialect) for r, _ in dim_exprs), copy=False)
        return outer

    # -- metrics over joined groups ------------------------------------------------------
    def _metrics_select(self, period: Period | None, bucket_shift: tuple[str, int] | None = None) -> exp.Select:
        groups = self._groups()
        aliases = [f"g{i}" for i in range(len(groups))]
        leaf_at: dict[str, exp.Expression] = {}
        for alias, group in zip(aliases, groups):
            for leaf in group.leaves:
                leaf_at[leaf] = column(leaf, alias, self.dialect)
        select = exp.Select().from_(self._group_select(groups[0], period, bucket_shift).subquery(aliases[0], copy=False), copy=False)
        for i in range(1, len(groups)):
            sub = self._group_select(groups[i], period, bucket_shift).subquery(aliases[i], copy=False)
            if self.refs:
                on = exp.and_(*(exp.EQ(this=self._coalesced(r, aliases[:i]), expression=column(r.column, aliases[i], self.dialect))
                                for r in self.refs))
                select = _join(select, sub, on=on, side="FULL", kind="OUTER")
            else:
                select = _join(select, sub, kind="CROSS")
        dims = [exp.alias_(self._coalesced(r, aliases), ident(r.column, self.dialect)) for r in self.refs]
        metrics = [exp.alias_(self._suppressed(m, self._metric_expr(m, leaf_at), groups, aliases), ident(m, self.dialect))
                   for m in self.query.metrics]
        return select.select(*dims, *metrics, copy=False)

    def _suppressed(self, metric: str, value: exp.Expression, groups: list[_Group], aliases: list[str]
                    ) -> exp.Expression:
        """NULL instead of a value computed from fewer rows than the policy's minimum group size."""
        if not self.min_group:
            return value
        leaves = set(self.model.leaf_metrics(metric))
        sizes = [exp.GTE(this=exp.column(_GROUP_ROWS, alias), expression=exp.Literal.number(self.min_group))
                 for alias, group in zip(aliases, groups) if leaves & set(group.leaves)]
        return exp.Case(ifs=[exp.If(this=exp.and_(*sizes), true=value)])

    def _coalesced(self, ref: DimensionRef, aliases: list[str]) -> exp.Expression:
        cols = [column(ref.column, a, self.dialect) for a in aliases]
        return cols[0] if len(cols) == 1 else exp.Coalesce(this=cols[0], expressions=cols[1:])

    def _metric_expr(self, name: str, leaf_at: dict[str, exp.Expression]) -> exp.Expression:
        spec = self.model.metrics[name]
        if isinstance(spec, (SimpleMetricSpec, SemiAdditiveMetricSpec)):
            return leaf_at[name].copy()
        if isinstance(spec, RatioMetricSpec):
            ratio = _safe_div(self._metric_expr(spec.numerator, leaf_at), self._metric_expr(spec.denominator, leaf_at))
            if spec.scale != 1:
                return exp.Mul(this=exp.Paren(this=ratio), expression=exp.Literal.number(_num(spec.scale)))
            return ratio
        assert isinstance(spec, DerivedMetricSpec)
        tree = self.model.formula(name).copy()
        tree = tree.transform(lambda node: _paren(self._metric_expr(node.name, leaf_at))
                              if isinstance(node, exp.Column) else node)
        return tree.transform(lambda node: _safe_div(node.this, node.expression) if isinstance(node, exp.Div) else node)

    # -- comparison, filters, shares, order ----------------------------------------------
    def _compare(self, current: exp.Select, previous: exp.Select) -> exp.Select:
        c, p = "cur", "prev"
        select = exp.Select().from_(current.subquery(c, copy=False), copy=False)
        if self.refs:
            on = exp.and_(*(exp.EQ(this=column(r.column, c, self.dialect), expression=column(r.column, p, self.dialect))
                            for r in self.refs))
            select = _join(select, previous.subquery(p, copy=False), on=on, side="LEFT")
        else:
            select = _join(select, previous.subquery(p, copy=False), kind="CROSS")
        # explicit aliases: SQLite resolves ORDER BY <name> against input columns unless the name is an
        # alias, and both cur and prev have every column ("ambiguous column name")
        outs: list[exp.Expression] = [exp.alias_(column(r.column, c, self.dialect), ident(r.column, self.dialect))
                                      for r in self.refs]
        for m in self.query.metrics:
            now, before = column(m, c, self.dialect), column(m, p, self.dialect)
            change = exp.Sub(this=now.copy(), expression=before.copy())
            outs += [
                exp.alias_(now, ident(m, self.dialect)),
                exp.alias_(before.copy(), ident(f"{m}__previous", self.dialect)),
                exp.alias_(change, ident(f"{m}__change", self.dialect)),
                exp.alias_(_safe_div(change.copy(), exp.Abs(this=before.copy())), ident(f"{m}__change_pct", self.dialect)),
            ]
        return select.select(*outs, copy=False)

    def _members(self, period: Period | None) -> exp.Select:
        """Dimension-only query: distinct members (combinations), from the smallest table that has them."""
        dims = [r.name for r in self.refs]
        filter_dims = [f.dimension for f in self.query.filters if getattr(f, "dimension", None)]
        # a policy's dimensions count like filters: members are listed from a table they reach (else the
        # policy's condition on the table the members come from is FALSE: nothing is listed)
        policy_dims = [d for d in (self.policy.row_dimensions() if self.policy else ()) if d not in filter_dims]
        source = self._member_source(dims, filter_dims + policy_dims, period) or \
            self._member_source(dims, filter_dims, period)
        if source is None:
            raise QueryError(f"no table holds {', '.join(dims)} together with the filtered dimensions")
        filter_dims += policy_dims
        filter_dims = [d for d in filter_dims if self.model.reachable(source, d)]  # type: ignore[arg-type]
        select = self._from(source, dims + filter_dims)  # type: ignore[arg-type]
        conds = self._row_filters(source, period)
        if conds:
            select = select.where(exp.and_(*conds), copy=False)
        exprs = [self._dim_expr(r, source) for r in self.refs]
        return select.select(*(exp.alias_(e, ident(r.column, self.dialect)) for r, e in zip(self.refs, exprs))
                             , copy=False).group_by(*(e.copy() for e in exprs), copy=False)

    def _member_source(self, dims: list[str], filter_dims: list[str], period: Period | None) -> str | None:
        """The table members are listed from: never a fact that would drop members without rows in it.

        First a table holding one of the dimensions from which the others are reached by joins
        (``wells`` for well + block, ``customers`` for its own columns, fact or not); then a lookup
        table that relates them; only then a fact table (the relationship the model declares,
        e.g. customers x stores through orders). A period or the model's time dimension needs a
        table with a time column.
        """
        model = self.model
        names = list(dict.fromkeys(dims + filter_dims))
        needs_time = period is not None and not any(model.dimensions[d].table is None for d in names)
        own = list(dict.fromkeys(t for d in names if (t := model.dimensions[d].table) is not None))
        facts = model.fact_tables

        def fits(source: str) -> bool:
            return all(model.reachable(source, d) for d in names) and (
                not needs_time or model.reachable(source, self.time_dim))

        lookups = [t for t in model.tables if t not in own and t not in facts]
        return next((t for t in (*own, *lookups, *facts) if fits(t)), None)

    def _default_order(self) -> list[str]:
        times = [r.column for r in self.refs if r.name == self.time_dim]
        if times:
            return times + [r.column for r in self.refs if r.name != self.time_dim]
        if self.refs:
            return [f"-{self.query.metrics[0]}"] + [r.column for r in self.refs]
        return []

    def _finish(self, select: exp.Select, order_default: list[str]) -> exp.Select:
        q = self.query
        metric_filters = [f for f in q.filters if isinstance(f, (ComparisonFilter, RangeFilter)) and f.metric]
        if metric_filters or q.share:
            outer = exp.Select().from_(select.subquery("q", copy=False), copy=False).select(exp.Star(), copy=False)
            for f in metric_filters:
                target = exp.column(f.metric, "q")  # type: ignore[arg-type]
                if isinstance(f, ComparisonFilter):
                    outer = outer.where(_OPS[f.op](this=target, expression=exp.Literal.number(_num(f.value))), copy=False)
                else:
                    outer = outer.where(exp.Between(this=target, low=exp.Literal.number(_num(f.low)),
                                                    high=exp.Literal.number(_num(f.high))), copy=False)
            if q.share:
                times = [column(r.column, "q", self.dialect) for r in self.refs if r.name == self.time_dim]
                for m in q.metrics:
                    total = exp.Window(this=exp.Sum(this=column(m, "q", self.dialect)), partition_by=times or None)
                    outer = outer.select(exp.alias_(_safe_div(column(m, "q", self.dialect), total),
                                                    ident(f"{m}__share", self.dialect)), copy=False)
            select = outer
        names = {r.key: r.column for r in self.refs} | {r.name: r.column for r in self.refs}
        order = list(q.order_by) or order_default
        keys = []
        for item in order:
            desc = item.startswith("-")
            name = names.get(item.lstrip("-+"), item.lstrip("-+"))
            keys.append(exp.Ordered(this=exp.column(ident(name, self.dialect)), desc=desc,
                                    nulls_first=False))
        if keys:
            select = select.order_by(*keys, copy=False)
        if q.limit is not None:
            select = select.limit(q.limit, copy=False)
        return select


#: the group-size column of each aggregate subquery when small cells are suppressed
_GROUP_ROWS = "__group_rows"


def secure_views(model: SemanticModel, policy: AccessPolicy, dialect: str,
                 columns: Mapping[str, Sequence[str]]) -> dict[str, exp.Select | None]:
    """What hand-written SQL reads instead of each row-restricted table (None: closed to the user).

    A table that reaches the policy's dimensions is filtered like a compiled query's fact table;
    a lookup table that does not shows the rows that allowed facts refer to (``plan_id IN (SELECT
    plan_id FROM <allowed fact rows>)``); a fact table that does not is closed. Only ``columns``
    (the user's visible columns) are selected. Tables without restriction are left out.
    """
    if not policy.restricts_rows:
        return {}
    builder = Builder(model, None, dialect, policy)
    views: dict[str, exp.Select | None] = {}
    for table in model.tables:
        cols = [column(c, table, dialect) for c in columns.get(table, model.tables[table].columns)]
        cond = builder._policy_condition(table)
        if cond is None:
            continue
        if not policy.closed(model, table):
            view = builder._from(table, builder._policy_dims(table))
        elif table in model.fact_tables:
            views[table] = None
            continue
        else:
            cond = _referenced_by_facts(builder, table)
            if cond is None:
                views[table] = None
                continue
            view = exp.Select().from_(exp.Table(this=ident(table, dialect)), copy=False)
        views[table] = view.select(*cols, copy=False).where(cond, copy=False)
    return views


def _referenced_by_facts(builder: Builder, table: str) -> exp.Expression | None:
    """``key IN (keys of allowed fact rows)`` for a lookup table, over every fact that joins it."""
    model, dialect = builder.model, builder.dialect
    conds: list[exp.Expression] = []
    for fact in model.fact_tables:
        path = model.join_path(fact, table)
        if not path or builder.policy is None or builder.policy.closed(model, fact) or len(path[-1].keys) != 1:
            continue
        ((_, right_col),) = path[-1].keys.items()
        keys = builder._from(fact, builder._policy_dims(fact), tables=(table,))
        keys = keys.select(column(right_col, table, dialect), copy=False).distinct(copy=False)
        fact_cond = builder._policy_condition(fact)
        if fact_cond is not None:
            keys = keys.where(fact_cond, copy=False)
        conds.append(exp.In(this=column(right_col, table, dialect), query=keys.subquery(copy=False)))
    if not conds:
        return None
    return conds[0] if len(conds) == 1 else exp.or_(*conds)


def _join(select: exp.Select, target: exp.Expression, *, on: exp.Expression | None = None,
          side: str | None = None, kind: str | None = None) -> exp.Select:
    """Append a join without sqlglot's string parsing of join types (hot path)."""
    select.append("joins", exp.Join(this=target, on=on, side=side, kind=kind))
    return select


def _safe_div(numerator: exp.Expression, denominator: exp.Expression) -> exp.Expression:
    """Float division that yields NULL instead of failing on zero (and never integer-divides)."""
    return exp.Div(this=exp.cast(_paren(numerator), exp.DataType.build("DOUBLE")),
                   expression=exp.Nullif(this=_paren(denominator), expression=exp.Literal.number(0)))


def _paren(e: exp.Expression) -> exp.Expression:
    return e if isinstance(e, (exp.Column, exp.Paren, exp.Literal, exp.Func, exp.Cast)) else exp.Paren(this=e)


def _num(value: object) -> str | int | float:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value  # type: ignore[return-value]


def _today() -> dt.date:  # pragma: no cover - the facade passes the anchor
    return dt.date.today()
