"""Cross-reference checks of a shape-valid model spec.

Each problem is data (path, message, candidates) so ``chatbi model check`` can list
them all at once and the loader can raise one precise :class:`ModelError`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import sqlglot
from sqlglot import exp

from .computed import computed_problem
from .errors import suggest
from .spec import (
    DerivedMetricSpec,
    ModelSpec,
    RatioMetricSpec,
    SemiAdditiveMetricSpec,
    SimpleMetricSpec,
)

__all__ = ["ModelProblem", "check_spec", "formula_metrics"]


@dataclass(frozen=True)
class ModelProblem:
    path: str
    message: str
    candidates: tuple[str, ...] = ()
    severity: str = "error"  # "error" | "warning"


def formula_metrics(formula: str) -> tuple[exp.Expression, tuple[str, ...]]:
    """Parse a derived metric's formula; return the AST and the metric names it uses.

    >>> formula_metrics("new_subscribers - churned_subscribers")[1]
    ('new_subscribers', 'churned_subscribers')
    """
    tree = sqlglot.parse_one(formula)
    names = tuple(dict.fromkeys(c.name for c in tree.find_all(exp.Column)))
    return tree, names


#: values each metric-filter operator takes (None: one or more)
_FILTER_ARITY = {">": 1, ">=": 1, "<": 1, "<=": 1, "is_null": 0, "not_null": 0}


def check_spec(spec: ModelSpec) -> list[ModelProblem]:
    problems: list[ModelProblem] = []
    add = problems.append
    tables = spec.tables

    def check_table(path: str, table: str) -> bool:
        if table not in tables:
            add(ModelProblem(path, f"unknown table {table!r}", suggest(table, tables)))
            return False
        return True

    def check_column(path: str, table: str, column: str, *, computed: bool = True) -> None:
        cols = tables[table].columns
        if column not in cols and not (computed and column in tables[table].computed):
            known = [*cols, *tables[table].computed] if computed else list(cols)
            add(ModelProblem(path, f"table {table!r} has no column {column!r}", suggest(column, known)))

    for name, table in tables.items():
        for col in table.primary_key:
            check_column(f"tables.{name}.primary_key", name, col, computed=False)
        if table.time_column:
            check_column(f"tables.{name}.time_column", name, table.time_column)
        for cname, sql in table.computed.items():
            if cname in table.columns:
                add(ModelProblem(f"tables.{name}.computed.{cname}", f"{cname!r} is also a column of {name!r}; "
                                                                     "give the computed column another name"))
            problem = computed_problem(name, sql, table.columns)
            if problem:
                add(ModelProblem(f"tables.{name}.computed.{cname}", problem))

    for i, join in enumerate(spec.joins):
        ok_left = check_table(f"joins[{i}].left", join.left)
        ok_right = check_table(f"joins[{i}].right", join.right)
        for lcol, rcol in join.keys.items():
            if ok_left:
                check_column(f"joins[{i}].on", join.left, lcol, computed=False)
            if ok_right:
                check_column(f"joins[{i}].on", join.right, rcol, computed=False)

    for name, dim in spec.dimensions.items():
        path = f"dimensions.{name}"
        if dim.type == "time":
            if not dim.grains:
                add(ModelProblem(f"{path}.grains", "a time dimension needs at least one grain (day, month, ...)"))
            if dim.table is not None and check_table(f"{path}.table", dim.table):
                check_column(f"{path}.column", dim.table, dim.column or name)
            elif dim.table is None and not any(t.time_column for t in tables.values()):
                add(ModelProblem(path, "no table declares a time_column for the time dimension"))
            continue
        if dim.table is None:
            add(ModelProblem(f"{path}.table", "a categorical dimension needs a table"))
            continue
        if check_table(f"{path}.table", dim.table):
            check_column(f"{path}.column", dim.table, dim.column or name)
            if dim.label_column:
                check_column(f"{path}.label_column", dim.table, dim.label_column)

    if spec.time_dimension not in spec.dimensions or spec.dimensions[spec.time_dimension].type != "time":
        add(ModelProblem("time_dimension", f"{spec.time_dimension!r} is not a time dimension",
                         tuple(n for n, d in spec.dimensions.items() if d.type == "time")))

    if spec.time_anchor not in {"latest", "today"}:
        try:
            dt.date.fromisoformat(spec.time_anchor)
        except ValueError:
            add(ModelProblem("time_anchor", f"{spec.time_anchor!r} is not 'latest', 'today' or an ISO date",
                             ("latest", "today")))

    metrics = spec.metrics
    for name, metric in metrics.items():
        path = f"metrics.{name}"
        if isinstance(metric, (SimpleMetricSpec, SemiAdditiveMetricSpec)):
            if check_table(f"{path}.table", metric.table) and metric.column != "*":
                check_column(f"{path}.column", metric.table, metric.column)
            if metric.column == "*" and metric.agg != "count":
                add(ModelProblem(f"{path}.column", "'*' is only allowed with agg: count"))
            for j, f in enumerate(metric.filters):
                if f.dimension not in spec.dimensions:
                    add(ModelProblem(f"{path}.filters[{j}].dimension", f"unknown dimension {f.dimension!r}",
                                     suggest(f.dimension, spec.dimensions)))
                wanted = _FILTER_ARITY.get(f.op)
                if wanted is not None and len(f.values) != wanted:
                    add(ModelProblem(f"{path}.filters[{j}].values", f"op {f.op!r} takes {wanted} value(s), "
                                                                     f"not {len(f.values)}"))
                elif wanted is None and not f.values:
                    add(ModelProblem(f"{path}.filters[{j}].values", f"op {f.op!r} needs at least one value"))
        elif isinstance(metric, RatioMetricSpec):
            for part in ("numerator", "denominator"):
                ref = getattr(metric, part)
                if ref not in metrics:
                    add(ModelProblem(f"{path}.{part}", f"unknown metric {ref!r}", suggest(ref, metrics)))
        elif isinstance(metric, DerivedMetricSpec):
            try:
                _, refs = formula_metrics(metric.formula)
            except sqlglot.errors.ParseError as exc:
                add(ModelProblem(f"{path}.formula", f"cannot parse formula: {exc}"))
                continue
            for ref in refs:
                if ref not in metrics:
                    add(ModelProblem(f"{path}.formula", f"unknown metric {ref!r}", suggest(ref, metrics)))
    problems.extend(_cycles(spec))

    for name, hier in spec.hierarchies.items():
        for level in hier.levels:
            dim, _, grain = level.partition(".")
            if dim not in spec.dimensions:
                add(ModelProblem(f"hierarchies.{name}.levels", f"unknown dimension {dim!r}",
                                 suggest(dim, spec.dimensions)))
            elif grain and grain not in spec.dimensions[dim].grains:
                add(ModelProblem(f"hierarchies.{name}.levels", f"{dim!r} has no grain {grain!r}",
                                 tuple(spec.dimensions[dim].grains)))

    for name, tree in spec.metric_trees.items():
        for ref in (tree.metric, *tree.children):
            if ref not in metrics:
                add(ModelProblem(f"metric_trees.{name}", f"unknown metric {ref!r}", suggest(ref, metrics)))
        if tree.op in {"difference", "ratio"} and len(tree.children) != 2:
            add(ModelProblem(f"metric_trees.{name}.children", f"op {tree.op!r} needs exactly two children"))
    return problems


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
        stack, seen = [(start, (start,))], set()
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
