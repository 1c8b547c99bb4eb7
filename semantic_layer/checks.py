"""Cross-reference checks of a shape-valid model spec.

Each problem is data (path, message, candidates) so ``chatbi model check`` can list
them all at once and the loader can raise one precise :class:`ModelError`. The checks are an
ordered list of small pure rules (:data:`SPEC_RULES`), each taking the spec and yielding problems.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import sqlglot
from sqlglot import exp

from .computed import computed_problem
from .errors import suggest
from .spec import (
    DEFAULT_PERIODS,
    DerivedMetricSpec,
    ModelSpec,
    RatioMetricSpec,
    SemiAdditiveMetricSpec,
    SimpleMetricSpec,
)

__all__ = ["ModelProblem", "SPEC_RULES", "SpecRule", "check_spec", "formula_metrics"]


@dataclass(frozen=True)
class ModelProblem:
    path: str
    message: str
    candidates: tuple[str, ...] = ()
    severity: str = "error"  # "error" | "warning"


def formula_metrics(formula: str) -> tuple[exp.Expr, tuple[str, ...]]:
    """Parse a derived metric's formula; return the AST and the metric names it uses.

    >>> formula_metrics("new_subscribers - churned_subscribers")[1]
    ('new_subscribers', 'churned_subscribers')
    """
    tree = sqlglot.parse_one(formula)
    names = tuple(dict.fromkeys(c.name for c in tree.find_all(exp.Column)))
    return tree, names


#: values each metric-filter operator takes (None: one or more)
_FILTER_ARITY = {">": 1, ">=": 1, "<": 1, "<=": 1, "is_null": 0, "not_null": 0}

SpecRule = Callable[[ModelSpec], Iterator[ModelProblem]]


# -- tables and joins ---------------------------------------------------------------------------
def _table(spec: ModelSpec, path: str, table: str) -> ModelProblem | None:
    if table not in spec.tables:
        return ModelProblem(path, f"unknown table {table!r}", suggest(table, spec.tables))
    return None


def _column(spec: ModelSpec, path: str, table: str, column: str, *, computed: bool = True) -> Iterator[ModelProblem]:
    """``column`` on a known ``table``; ``computed`` columns count unless keys are checked."""
    t = spec.tables[table]
    if column not in t.columns and not (computed and column in t.computed):
        known = [*t.columns, *t.computed] if computed else list(t.columns)
        yield ModelProblem(path, f"table {table!r} has no column {column!r}", suggest(column, known))


def _table_then_column(spec: ModelSpec, path: str, table: str, column_path: str, column: str) -> Iterator[ModelProblem]:
    missing = _table(spec, path, table)
    if missing is not None:
        yield missing
    else:
        yield from _column(spec, column_path, table, column)


def table_columns(spec: ModelSpec) -> Iterator[ModelProblem]:
    """Primary keys and time columns exist; computed columns are row-level SQL over real columns."""
    for name, table in spec.tables.items():
        for col in table.primary_key:
            yield from _column(spec, f"tables.{name}.primary_key", name, col, computed=False)
        if table.time_column:
            yield from _column(spec, f"tables.{name}.time_column", name, table.time_column)
        for cname, sql in table.computed.items():
            if cname in table.columns:
                yield ModelProblem(f"tables.{name}.computed.{cname}", f"{cname!r} is also a column of {name!r}; "
                                                                       "give the computed column another name")
            problem = computed_problem(name, sql, table.columns)
            if problem:
                yield ModelProblem(f"tables.{name}.computed.{cname}", problem)


def joins(spec: ModelSpec) -> Iterator[ModelProblem]:
    for i, join in enumerate(spec.joins):
        left, right = _table(spec, f"joins[{i}].left", join.left), _table(spec, f"joins[{i}].right", join.right)
        yield from (p for p in (left, right) if p is not None)
        for lcol, rcol in join.keys.items():
            if left is None:
                yield from _column(spec, f"joins[{i}].on", join.left, lcol, computed=False)
            if right is None:
                yield from _column(spec, f"joins[{i}].on", join.right, rcol, computed=False)


# -- dimensions and time ---------------------------------------------------------------------------
def dimensions(spec: ModelSpec) -> Iterator[ModelProblem]:
    """Each dimension reads a column of a known table (a time dimension may read every fact's)."""
    for name, dim in spec.dimensions.items():
        path = f"dimensions.{name}"
        if dim.type == "time":
            if not dim.grains:
                yield ModelProblem(f"{path}.grains", "a time dimension needs at least one grain (day, month, ...)")
            if dim.table is not None:
                yield from _table_then_column(spec, f"{path}.table", dim.table, f"{path}.column", dim.column or name)
            elif not any(t.time_column for t in spec.tables.values()):
                yield ModelProblem(path, "no table declares a time_column for the time dimension")
        elif dim.table is None:
            yield ModelProblem(f"{path}.table", "a categorical dimension needs a table")
        elif (missing := _table(spec, f"{path}.table", dim.table)) is not None:
            yield missing
        else:
            yield from _column(spec, f"{path}.column", dim.table, dim.column or name)
            if dim.label_column:
                yield from _column(spec, f"{path}.label_column", dim.table, dim.label_column)


def time_dimension(spec: ModelSpec) -> Iterator[ModelProblem]:
    if spec.time_dimension not in spec.dimensions or spec.dimensions[spec.time_dimension].type != "time":
        yield ModelProblem("time_dimension", f"{spec.time_dimension!r} is not a time dimension",
                           tuple(n for n, d in spec.dimensions.items() if d.type == "time"))


def time_anchor(spec: ModelSpec) -> Iterator[ModelProblem]:
    if spec.time_anchor in {"latest", "today"}:
        return
    try:
        dt.date.fromisoformat(spec.time_anchor)
    except ValueError:
        yield ModelProblem("time_anchor", f"{spec.time_anchor!r} is not 'latest', 'today' or an ISO date",
                           ("latest", "today"))


def default_period(spec: ModelSpec) -> Iterator[ModelProblem]:
    if spec.default_period not in DEFAULT_PERIODS:
        yield ModelProblem("default_period", f"{spec.default_period!r} is not a default period; use 'all', "
                                             "'latest_<unit>' or 'latest_complete_<unit>' (unit: day, week, month, "
                                             "quarter, year)", suggest(spec.default_period, DEFAULT_PERIODS))


# -- metrics ------------------------------------------------------------------------------------------
def metrics(spec: ModelSpec) -> Iterator[ModelProblem]:
    """Each metric by kind: aggregations read known columns, ratios and formulas name known metrics."""
    for name, metric in spec.metrics.items():
        path = f"metrics.{name}"
        if metric.per is not None and not isinstance(metric, RatioMetricSpec | DerivedMetricSpec):
            yield ModelProblem(f"{path}.per", f"per: {metric.per} is for ratio and derived metrics (per-user "
                                              "figures, rates); a sum or count over a longer period already adds "
                                              "its months up")
        if isinstance(metric, SimpleMetricSpec | SemiAdditiveMetricSpec):
            yield from _aggregation(spec, path, metric)
        elif isinstance(metric, RatioMetricSpec):
            for part, ref in (("numerator", metric.numerator), ("denominator", metric.denominator)):
                if ref not in spec.metrics:
                    yield ModelProblem(f"{path}.{part}", f"unknown metric {ref!r}", suggest(ref, spec.metrics))
        elif isinstance(metric, DerivedMetricSpec):
            yield from _formula(spec, path, metric)


def _aggregation(spec: ModelSpec, path: str, metric: SimpleMetricSpec | SemiAdditiveMetricSpec
                 ) -> Iterator[ModelProblem]:
    missing = _table(spec, f"{path}.table", metric.table)
    if missing is not None:
        yield missing
    elif metric.column != "*":
        yield from _column(spec, f"{path}.column", metric.table, metric.column)
    if metric.column == "*" and metric.agg != "count":
        yield ModelProblem(f"{path}.column", "'*' is only allowed with agg: count")
    for j, f in enumerate(metric.filters):
        where = f"{path}.filters[{j}]"
        if f.dimension not in spec.dimensions:
            yield ModelProblem(f"{where}.dimension", f"unknown dimension {f.dimension!r}",
                               suggest(f.dimension, spec.dimensions))
        wanted = _FILTER_ARITY.get(f.op)
        if wanted is not None and len(f.values) != wanted:
            yield ModelProblem(f"{where}.values", f"op {f.op!r} takes {wanted} value(s), not {len(f.values)}")
        elif wanted is None and not f.values:
            yield ModelProblem(f"{where}.values", f"op {f.op!r} needs at least one value")


def _formula(spec: ModelSpec, path: str, metric: DerivedMetricSpec) -> Iterator[ModelProblem]:
    try:
        _, refs = formula_metrics(metric.formula)
    except sqlglot.errors.ParseError as exc:
        yield ModelProblem(f"{path}.formula", f"cannot parse formula: {exc}")
        return
    for ref in refs:
        if ref not in spec.metrics:
            yield ModelProblem(f"{path}.formula", f"unknown metric {ref!r}", suggest(ref, spec.metrics))


def metric_cycles(spec: ModelSpec) -> Iterator[ModelProblem]:
    """A ratio or formula that (through others) uses itself."""
    yield from _cycles(spec)


# -- trees ------------------------------------------------------------------------------------------------
def hierarchies(spec: ModelSpec) -> Iterator[ModelProblem]:
    for name, hier in spec.hierarchies.items():
        for level in hier.levels:
            dim_name, _, grain = level.partition(".")
            if dim_name not in spec.dimensions:
                yield ModelProblem(f"hierarchies.{name}.levels", f"unknown dimension {dim_name!r}",
                                   suggest(dim_name, spec.dimensions))
            elif grain and grain not in spec.dimensions[dim_name].grains:
                yield ModelProblem(f"hierarchies.{name}.levels", f"{dim_name!r} has no grain {grain!r}",
                                   tuple(spec.dimensions[dim_name].grains))


def metric_trees(spec: ModelSpec) -> Iterator[ModelProblem]:
    for name, tree in spec.metric_trees.items():
        for ref in (tree.metric, *tree.children):
            if ref not in spec.metrics:
                yield ModelProblem(f"metric_trees.{name}", f"unknown metric {ref!r}", suggest(ref, spec.metrics))
        if tree.op in {"difference", "ratio"} and len(tree.children) != 2:
            yield ModelProblem(f"metric_trees.{name}.children", f"op {tree.op!r} needs exactly two children")


#: The rules in the order their problems are reported.
SPEC_RULES: tuple[SpecRule, ...] = (
    table_columns, joins, dimensions, time_dimension, time_anchor, default_period, metrics, metric_cycles, hierarchies,
    metric_trees,
)


def check_spec(spec: ModelSpec, *, rules: tuple[SpecRule, ...] = SPEC_RULES) -> list[ModelProblem]:
    """Every cross-reference problem of a shape-valid spec, rule by rule (:data:`SPEC_RULES`)."""
    return [problem for rule in rules for problem in rule(spec)]


def _cycles(spec: ModelSpec) -> list[ModelProblem]:
    def deps(name: str) -> tuple[str, ...]:
        m = spec.metrics.get(name)
        if isinstance(m, RatioMetricSpec):
            return (m.numerator, m.denominator)
        if isinstance(m, DerivedMetricSpec):
            try:
                return formula_metrics(m.formula)[1]
            except sqlglot.errors.ParseError:
                return ()
        return ()

    out: list[ModelProblem] = []
    for start in spec.metrics:
        stack: list[tuple[str, tuple[str, ...]]] = [(start, (start,))]
        seen: set[str] = set()
        while stack:
            node, trail = stack.pop()
            for dep in deps(node):
                if dep == start:
                    out.append(ModelProblem(f"metrics.{start}", "metric refers to itself: " + " -> ".join((*trail, dep))))
                    stack.clear()
                    break
                if dep not in seen:
                    seen.add(dep)
                    stack.append((dep, (*trail, dep)))
    return out
