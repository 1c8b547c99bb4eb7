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
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlglot import exp

from ..errors import QueryError
from ..literals import number_literal
from ..model import DimensionRef, SemanticModel
from ..query import ComparisonFilter, RangeFilter, RelativeTimeFilter, SemanticQuery
from ..spec import DerivedMetricSpec, MetricFilterSpec, RatioMetricSpec, SemiAdditiveMetricSpec, SimpleMetricSpec
from .dialects import column, date_literal, ident, time_bucket
from .sources import OPS, Sources, join, paren
from .timeframe import Period

if TYPE_CHECKING:
    from ..policy import AccessPolicy

__all__ = ["Builder"]

_AGGS = {"sum": exp.Sum, "avg": exp.Avg, "min": exp.Min, "max": exp.Max, "count": exp.Count}


@dataclass(frozen=True)
class _Group:
    table: str
    semi: str | None  # None for additive aggregation, else "last" / "first"
    leaves: tuple[str, ...]


class Builder:
    """Compiles one query for one dialect. Create per query; it keeps no shared state."""

    def __init__(self, model: SemanticModel, query: SemanticQuery, dialect: str,
                 policy: AccessPolicy | None = None, *, per_month: Sequence[str] = ()) -> None:
        self.model = model
        #: metrics divided by the number of months with data in each bucket (``per: month``)
        self.per_month = tuple(per_month)
        self.query = query
        self.dialect = dialect
        self.refs = tuple(DimensionRef.parse(d) for d in query.dimensions)
        self.time_dim = model.time_dimension
        # tables, joins and row conditions; an access policy (semantic_layer.policy) adds its row filters
        self.sources = Sources(model, dialect, policy)
        self.policy = self.sources.policy
        self.min_group = self.policy.min_group_size if self.policy is not None else 0

    # -- entry points -------------------------------------------------------------------
    def build(self, period: Period | None, compare_period: Period | None, compare_shift: tuple[str, int] | None
              ) -> exp.Select:
        if not self.query.metrics:
            return self._finish(self._members(period), order_default=[r.column for r in self.refs])
        current = self._metrics_select(period)
        # a shift without a period compares every bucket of all the data with its counterpart
        if compare_period is not None or compare_shift is not None:
            previous = self._metrics_select(compare_period, bucket_shift=compare_shift)
            current = self._compare(current, previous)
        return self._finish(current, order_default=self._default_order())

    # -- rows -----------------------------------------------------------------------------
    def _row_filters(self, fact: str, period: Period | None) -> list[exp.Expr]:
        src = self.sources
        conds = [c for c in (src.filter_condition(fact, f) for f in self.query.filters
                             if not isinstance(f, RelativeTimeFilter)) if c is not None]
        if period is not None:
            conds.append(exp.Between(this=src.time_column(fact), low=date_literal(period[0], self.dialect),
                                     high=date_literal(period[1], self.dialect)))
        policy = src.policy_condition(fact)
        if policy is not None:
            conds.append(policy)
        return conds

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
            if name in self.per_month:
                table = self._months_table(name)
                if _months_leaf(table) not in order.setdefault((table, None), []):
                    order[(table, None)].append(_months_leaf(table))
        return [_Group(t, s, tuple(leaves)) for (t, s), leaves in order.items()]

    def _months_table(self, metric: str) -> str:
        """The fact table whose months a per-month metric is divided by: its first leaf's."""
        spec = self.model.metrics[self.model.leaf_metrics(metric)[0]]
        assert isinstance(spec, (SimpleMetricSpec, SemiAdditiveMetricSpec))
        return spec.table

    def _leaf_agg(self, leaf: str, fact: str) -> exp.Expr:
        if leaf == _months_leaf(fact):  # months with data: the divisor of per-month metrics
            month = time_bucket(self.sources.time_column(fact), "month", self.dialect)
            return exp.Count(this=exp.Distinct(expressions=[month]))
        spec = self.model.metrics[leaf]
        assert isinstance(spec, (SimpleMetricSpec, SemiAdditiveMetricSpec))
        arg: exp.Expr = exp.Star() if spec.column == "*" else self.sources.column(fact, spec.column)
        if spec.filters:
            cond = exp.and_(*(self._metric_filter(fact, f) for f in spec.filters))
            then = exp.Literal.number(1) if spec.column == "*" else arg
            arg = exp.Case(ifs=[exp.If(this=cond, true=then)])
        if isinstance(spec, SimpleMetricSpec) and spec.agg == "count_distinct":
            return exp.Count(this=exp.Distinct(expressions=[arg]))
        return _AGGS[spec.agg](this=arg)

    def _metric_filter(self, fact: str, f: MetricFilterSpec) -> exp.Expr:
        if f.op in ("in", "not_in"):
            return self.sources.member_condition(fact, f.dimension, f.op, f.values)
        target = self.sources.dimension(DimensionRef(f.dimension), fact)
        if f.op in ("is_null", "not_null"):
            null = exp.Is(this=target, expression=exp.Null())
            return null if f.op == "is_null" else exp.Not(this=null)
        return OPS[f.op](this=target, expression=self.sources.value(f.dimension, f.values[0]))

    def _group_select(self, group: _Group, period: Period | None, bucket_shift: tuple[str, int] | None) -> exp.Select:
        fact = group.table
        dims = [r.name for r in self.refs]
        filter_dims = [f.dimension for f in self.query.filters if f.dimension]
        metric_filter_dims = [f.dimension for leaf in group.leaves
                              for f in getattr(self.model.metrics.get(leaf), "filters", ())]
        select = self.sources.from_(fact, list(dict.fromkeys(dims + filter_dims + metric_filter_dims
                                                     + self.sources.policy_dimensions(fact))))
        conds = self._row_filters(fact, period)
        if conds:
            select = select.where(exp.and_(*conds), copy=False)
        dim_exprs = [(r, self.sources.dimension(r, fact, bucket_shift)) for r in self.refs]
        if group.semi is None:
            select = select.select(*(exp.alias_(e, ident(r.column, self.dialect)) for r, e in dim_exprs),
                                   *(exp.alias_(self._leaf_agg(leaf, fact), ident(leaf, self.dialect))
                                     for leaf in group.leaves), copy=False)
            if self.min_group:
                select = select.select(exp.alias_(self.sources.group_size(fact), _GROUP_ROWS), copy=False)
            if dim_exprs:
                select = select.group_by(*(e.copy() for _, e in dim_exprs), copy=False)
            return select
        return self._semi_select(select, group, fact, dim_exprs)

    def _semi_select(self, base: exp.Select, group: _Group, fact: str,
                     dim_exprs: list[tuple[DimensionRef, exp.Expr]]) -> exp.Select:
        """Value of the last (first) date of each time bucket, summed over other dimensions."""
        t = self.sources.time_column(fact)
        buckets = [e for r, e in dim_exprs if r.name == self.time_dim]
        window_fn = exp.Max if group.semi == "last" else exp.Min
        edge = exp.Window(this=window_fn(this=t.copy()), partition_by=buckets or None)
        inner = base.select(*(exp.alias_(e, ident(r.column, self.dialect)) for r, e in dim_exprs),
                            exp.alias_(t.copy(), "_t"),
                            *(exp.alias_(self._leaf_agg(leaf, fact), ident(leaf, self.dialect)) for leaf in group.leaves),
                            exp.alias_(edge, "_edge"), copy=False)
        inner = inner.group_by(*(e.copy() for _, e in dim_exprs), t.copy(), copy=False)
        if self.min_group:
            inner = inner.select(exp.alias_(self.sources.group_size(fact), _GROUP_ROWS), copy=False)
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
        leaf_at: dict[str, exp.Expr] = {}
        for alias, group in zip(aliases, groups):
            for leaf in group.leaves:
                leaf_at[leaf] = column(leaf, alias, self.dialect)
        first = self._group_select(groups[0], period, bucket_shift).subquery(aliases[0], copy=False)
        select = exp.Select().from_(first, copy=False)
        for i in range(1, len(groups)):
            sub = self._group_select(groups[i], period, bucket_shift).subquery(aliases[i], copy=False)
            if self.refs:
                on = exp.and_(*(exp.EQ(this=self._coalesced(r, aliases[:i]),
                                       expression=column(r.column, aliases[i], self.dialect))
                                for r in self.refs))
                select = join(select, sub, on=on, side="FULL", kind="OUTER")
            else:
                select = join(select, sub, kind="CROSS")
        dims = [exp.alias_(self._coalesced(r, aliases), ident(r.column, self.dialect)) for r in self.refs]
        metrics = [exp.alias_(self._suppressed(m, self._reported(m, leaf_at), groups, aliases), ident(m, self.dialect))
                   for m in self.query.metrics]
        return select.select(*dims, *metrics, copy=False)

    def _suppressed(self, metric: str, value: exp.Expr, groups: list[_Group], aliases: list[str]
                    ) -> exp.Expr:
        """NULL instead of a value computed from fewer rows than the policy's minimum group size."""
        if not self.min_group:
            return value
        leaves = set(self.model.leaf_metrics(metric))
        sizes = [exp.GTE(this=exp.column(_GROUP_ROWS, alias), expression=number_literal(self.min_group))
                 for alias, group in zip(aliases, groups) if leaves & set(group.leaves)]
        return exp.Case(ifs=[exp.If(this=exp.and_(*sizes), true=value)])

    def _coalesced(self, ref: DimensionRef, aliases: list[str]) -> exp.Expr:
        cols = [column(ref.column, a, self.dialect) for a in aliases]
        return cols[0] if len(cols) == 1 else exp.Coalesce(this=cols[0], expressions=cols[1:])

    def _reported(self, name: str, leaf_at: dict[str, exp.Expr]) -> exp.Expr:
        """A queried metric as reported: per-month metrics over longer buckets divided by their months."""
        value = self._metric_expr(name, leaf_at)
        if name not in self.per_month:
            return value
        return _safe_div(value, leaf_at[_months_leaf(self._months_table(name))].copy())

    def _metric_expr(self, name: str, leaf_at: dict[str, exp.Expr]) -> exp.Expr:
        spec = self.model.metrics[name]
        if isinstance(spec, (SimpleMetricSpec, SemiAdditiveMetricSpec)):
            return leaf_at[name].copy()
        if isinstance(spec, RatioMetricSpec):
            ratio = _safe_div(self._metric_expr(spec.numerator, leaf_at), self._metric_expr(spec.denominator, leaf_at))
            if spec.scale != 1:
                return exp.Mul(this=exp.Paren(this=ratio), expression=number_literal(spec.scale))
            return ratio
        assert isinstance(spec, DerivedMetricSpec)
        tree = self.model.formula(name).copy()
        tree = tree.transform(lambda node: paren(self._metric_expr(node.name, leaf_at))
                              if isinstance(node, exp.Column) else node)
        return tree.transform(lambda node: _safe_div(node.this, node.expression) if isinstance(node, exp.Div) else node)

    # -- comparison, filters, shares, order ----------------------------------------------
    def _compare(self, current: exp.Select, previous: exp.Select) -> exp.Select:
        c, p = "cur", "prev"
        select = exp.Select().from_(current.subquery(c, copy=False), copy=False)
        if self.refs:
            on = exp.and_(*(exp.EQ(this=column(r.column, c, self.dialect), expression=column(r.column, p, self.dialect))
                            for r in self.refs))
            select = join(select, previous.subquery(p, copy=False), on=on, side="LEFT")
        else:
            select = join(select, previous.subquery(p, copy=False), kind="CROSS")
        # explicit aliases: SQLite resolves ORDER BY <name> against input columns unless the name is an
        # alias, and both cur and prev have every column ("ambiguous column name")
        outs: list[exp.Expr] = [exp.alias_(column(r.column, c, self.dialect), ident(r.column, self.dialect))
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
        filter_dims = [f.dimension for f in self.query.filters if f.dimension]
        # a policy's dimensions count like filters: members are listed from a table they reach (else the
        # policy's condition on the table the members come from is FALSE: nothing is listed)
        policy_dims = [d for d in (self.policy.row_dimensions() if self.policy else ()) if d not in filter_dims]
        source = self._member_source(dims, filter_dims + policy_dims, period) or \
            self._member_source(dims, filter_dims, period)
        if source is None:
            raise QueryError(f"no table holds {', '.join(dims)} together with the filtered dimensions")
        filter_dims += policy_dims
        filter_dims = [d for d in filter_dims if self.model.reachable(source, d)]
        select = self.sources.from_(source, dims + filter_dims)
        conds = self._row_filters(source, period)
        if conds:
            select = select.where(exp.and_(*conds), copy=False)
        exprs = [self.sources.dimension(r, source) for r in self.refs]
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
                    outer = outer.where(OPS[f.op](this=target, expression=number_literal(f.value)), copy=False)
                else:
                    outer = outer.where(exp.Between(this=target, low=number_literal(f.low),
                                                    high=number_literal(f.high)), copy=False)
            if q.share:
                times = [column(r.column, "q", self.dialect) for r in self.refs if r.name == self.time_dim]
                for m in q.metrics:
                    total = exp.Window(this=exp.Sum(this=column(m, "q", self.dialect)), partition_by=times or None)
                    outer = outer.select(exp.alias_(_safe_div(column(m, "q", self.dialect), total),
                                                    ident(f"{m}__share", self.dialect)), copy=False)
            select = outer
        names = {r.key: r.column for r in self.refs} | {r.name: r.column for r in self.refs}
        order = list(q.order_by) or order_default
        if q.limit == 1 and self.refs and order and order[0].lstrip("-+") in q.metrics:
            select = self._runner_up(select, order[0])
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


    def _runner_up(self, select: exp.Select, key: str) -> exp.Select:
        """A winner's query (one row, ranked by a metric) also reads the row that came second:
        ``<metric>__runner_up`` and ``<dimension>__runner_up`` (LEAD over the same order), so an
        answer can say by how much the winner leads without a second query."""
        metric, desc = key.lstrip("-+"), key.startswith("-")
        window_order = exp.Order(expressions=[
            exp.Ordered(this=column(metric, "w", self.dialect), desc=desc, nulls_first=False),
            *(exp.Ordered(this=column(r.column, "w", self.dialect), desc=False, nulls_first=False)
              for r in self.refs)])
        outer = exp.Select().from_(select.subquery("w", copy=False), copy=False).select(exp.Star(), copy=False)
        for name in (metric, *(r.column for r in self.refs)):
            lead = exp.Window(this=exp.Lead(this=column(name, "w", self.dialect)),
                              order=window_order.copy())
            outer = outer.select(exp.alias_(lead, ident(f"{name}__runner_up", self.dialect)), copy=False)
        return outer


#: the group-size column of each aggregate subquery when small cells are suppressed
_GROUP_ROWS = "__group_rows"


def _months_leaf(table: str) -> str:
    """The column of a fact's aggregate subquery counting its months with data (``per: month``)."""
    return f"__months_{table}"


def _safe_div(numerator: exp.Expr, denominator: exp.Expr) -> exp.Expr:
    """Float division that yields NULL instead of failing on zero (and never integer-divides)."""
    return exp.Div(this=exp.cast(paren(numerator), exp.DataType.build("DOUBLE")),
                   expression=exp.Nullif(this=paren(denominator), expression=exp.Literal.number(0)))



def _today() -> dt.date:  # pragma: no cover - the facade passes the anchor
    return dt.date.today()
