"""``SemanticModel``: a checked model spec plus the lookups the compiler and translators need."""

from __future__ import annotations

import os
from collections import deque
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

from sqlglot import exp

from .checks import ModelProblem, check_spec, formula_metrics
from .computed import parse_computed
from .errors import ModelError, UnknownNameError, suggest
from .loader import load_spec, spec_from_dict
from .spec import (
    DerivedMetricSpec,
    DimensionSpec,
    HierarchySpec,
    JoinSpec,
    MetricSpec,
    MetricTreeSpec,
    ModelSpec,
    RatioMetricSpec,
    SemiAdditiveMetricSpec,
    SimpleMetricSpec,
    TableSpec,
)

__all__ = ["SemanticModel", "DimensionRef", "LeafMetric"]

LeafMetric = SimpleMetricSpec | SemiAdditiveMetricSpec


@dataclass(frozen=True)
class DimensionRef:
    """A parsed dimension reference: ``province`` or ``date.month``."""

    name: str
    grain: str | None = None

    @classmethod
    def parse(cls, text: str) -> DimensionRef:
        name, _, grain = text.partition(".")
        return cls(name, grain or None)

    @property
    def key(self) -> str:
        """The reference as written in queries (``date.month``)."""
        return f"{self.name}.{self.grain}" if self.grain else self.name

    @property
    def column(self) -> str:
        """The output column name in result frames (``date__month``)."""
        return f"{self.name}__{self.grain}" if self.grain else self.name


class SemanticModel:
    """A semantic model whose cross references have been checked.

    Build it with :meth:`from_yaml`, :meth:`from_dict` or from a :class:`ModelSpec`.
    Instances are treated as immutable; lookups are cached.
    """

    def __init__(self, spec: ModelSpec, *, source: str | None = None) -> None:
        self.spec = spec
        self.source = source
        errors = [p for p in check_spec(spec) if p.severity == "error"]
        if errors:
            raise _problems_error(errors, source)

    # -- construction -------------------------------------------------------------------
    @classmethod
    def from_yaml(cls, path: str | os.PathLike[str]) -> SemanticModel:
        return cls(load_spec(path), source=str(path))

    @classmethod
    def from_dict(cls, data: dict[str, Any], *, source: str | None = None) -> SemanticModel:
        return cls(spec_from_dict(data, source=source), source=source)

    @classmethod
    def load(cls, model: SemanticModel | ModelSpec | dict[str, Any] | str | os.PathLike[str]) -> SemanticModel:
        if isinstance(model, SemanticModel):
            return model
        if isinstance(model, ModelSpec):
            return cls(model)
        if isinstance(model, dict):
            return cls.from_dict(model)
        return cls.from_yaml(Path(model))

    # -- plain accessors ----------------------------------------------------------------
    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def tables(self) -> dict[str, TableSpec]:
        return self.spec.tables

    @property
    def metrics(self) -> dict[str, MetricSpec]:
        return self.spec.metrics

    @property
    def dimensions(self) -> dict[str, DimensionSpec]:
        return self.spec.dimensions

    @property
    def hierarchies(self) -> dict[str, HierarchySpec]:
        return self.spec.hierarchies

    @property
    def metric_trees(self) -> dict[str, MetricTreeSpec]:
        return self.spec.metric_trees

    @property
    def time_dimension(self) -> str:
        return self.spec.time_dimension

    def metric(self, name: str) -> MetricSpec:
        try:
            return self.spec.metrics[name]
        except KeyError:
            raise UnknownNameError("metric", name, suggest(name, self.visible_metrics)) from None

    def dimension(self, name: str) -> DimensionSpec:
        try:
            return self.spec.dimensions[name]
        except KeyError:
            raise UnknownNameError("dimension", name, suggest(name, self.spec.dimensions)) from None

    @cached_property
    def visible_metrics(self) -> tuple[str, ...]:
        return tuple(n for n, m in self.spec.metrics.items() if not m.hidden)

    def label(self, name: str, lang: str = "en") -> str:
        """The display label of a metric, dimension or hierarchy in ``lang`` (falls back to the name)."""
        obj = self.spec.metrics.get(name) or self.spec.dimensions.get(name) or self.spec.hierarchies.get(name)
        if obj is None:
            return name
        return obj.label.get(lang) or obj.label.get("en") or next(iter(obj.label.values()), name)

    # -- metrics ------------------------------------------------------------------------
    def formula(self, name: str) -> exp.Expr:
        """The AST of a derived metric's formula (parsed once)."""
        return self._formulas[name]

    @cached_property
    def _formulas(self) -> dict[str, exp.Expr]:
        return {n: formula_metrics(m.formula)[0] for n, m in self.spec.metrics.items()
                if isinstance(m, DerivedMetricSpec)}

    def components(self, name: str) -> tuple[str, ...]:
        """The metrics a ratio or derived metric is computed from (direct children)."""
        m = self.metric(name)
        if isinstance(m, RatioMetricSpec):
            return (m.numerator, m.denominator)
        if isinstance(m, DerivedMetricSpec):
            return formula_metrics(m.formula)[1]
        return ()

    def leaf_metrics(self, name: str) -> tuple[str, ...]:
        """The simple / semi-additive metrics that ``name`` is ultimately computed from."""
        return self._leaves[name]

    @cached_property
    def _leaves(self) -> dict[str, tuple[str, ...]]:
        out: dict[str, tuple[str, ...]] = {}

        def walk(n: str) -> tuple[str, ...]:
            if n not in out:
                m = self.spec.metrics[n]
                if isinstance(m, (SimpleMetricSpec, SemiAdditiveMetricSpec)):
                    out[n] = (n,)
                else:
                    out[n] = tuple(dict.fromkeys(leaf for c in self.components(n) for leaf in walk(c)))
            return out[n]

        for n in self.spec.metrics:
            walk(n)
        return out

    def metric_tables(self, name: str) -> tuple[str, ...]:
        """The fact tables a metric reads."""
        return tuple(dict.fromkeys(self.spec.metrics[leaf].table for leaf in self.leaf_metrics(name)))  # type: ignore[union-attr]

    def is_additive(self, name: str) -> bool:
        m = self.metric(name)
        return isinstance(m, SimpleMetricSpec) and m.agg in {"sum", "count"}

    # -- dimensions and joins -----------------------------------------------------------
    def join_path(self, fact: str, table: str) -> tuple[JoinSpec, ...] | None:
        """Joins from ``fact`` to ``table`` following many-to-one edges (never fanning out)."""
        return self._paths.get(fact, {}).get(table)

    @cached_property
    def _paths(self) -> dict[str, dict[str, tuple[JoinSpec, ...]]]:
        edges: dict[str, list[JoinSpec]] = {}
        for j in self.spec.joins:
            edges.setdefault(j.left, []).append(j)
            if j.relationship == "one_to_one":
                edges.setdefault(j.right, []).append(
                    JoinSpec(left=j.right, right=j.left, keys={v: k for k, v in j.keys.items()}, relationship="one_to_one"))
        paths: dict[str, dict[str, tuple[JoinSpec, ...]]] = {}
        for start in self.spec.tables:
            found: dict[str, tuple[JoinSpec, ...]] = {start: ()}
            queue = deque([start])
            while queue:
                node = queue.popleft()
                for j in edges.get(node, []):
                    if j.right not in found:
                        found[j.right] = (*found[node], j)
                        queue.append(j.right)
            paths[start] = found
        return paths

    def dimension_table(self, fact: str, dimension: str) -> str | None:
        """The table that holds ``dimension`` for rows of ``fact``; None when unreachable."""
        dim = self.dimension(dimension)
        if dim.type == "time" and dim.table is None:
            return fact if self.spec.tables[fact].time_column else None
        assert dim.table is not None
        return dim.table if self.join_path(fact, dim.table) is not None else None

    def dimension_column(self, dimension: str, table: str) -> str:
        dim = self.dimension(dimension)
        if dim.type == "time" and dim.table is None:
            col = self.spec.tables[table].time_column
            assert col is not None
            return col
        return dim.column or dimension

    def reachable(self, fact: str, dimension: str) -> bool:
        return self.dimension_table(fact, dimension) is not None

    @cached_property
    def fact_tables(self) -> tuple[str, ...]:
        """Tables that some metric reads, in model order."""
        used = {m.table for m in self.spec.metrics.values() if isinstance(m, (SimpleMetricSpec, SemiAdditiveMetricSpec))}
        return tuple(t for t in self.spec.tables if t in used)

    # -- hierarchies --------------------------------------------------------------------
    def hierarchy_of(self, dimension: str) -> tuple[str, HierarchySpec] | None:
        for name, h in self.spec.hierarchies.items():
            if dimension in h.levels:
                return name, h
        return None

    def child_level(self, dimension: str) -> str | None:
        """The next finer level below ``dimension`` (``province`` -> ``city``), for drill-down."""
        found = self.hierarchy_of(dimension)
        if not found:
            return None
        levels = found[1].levels
        i = levels.index(dimension)
        return levels[i + 1] if i + 1 < len(levels) else None

    def parent_level(self, dimension: str) -> str | None:
        found = self.hierarchy_of(dimension)
        if not found:
            return None
        levels = found[1].levels
        i = levels.index(dimension)
        return levels[i - 1] if i > 0 else None

    def computed(self, table: str, name: str) -> exp.Expr | None:
        """The parsed expression of computed column ``name`` of ``table`` (None for a real column)."""
        return self._computed.get((table, name))

    @cached_property
    def _computed(self) -> dict[tuple[str, str], exp.Expr]:
        return {(t, name): parse_computed(sql) for t, spec in self.spec.tables.items()
                for name, sql in spec.computed.items()}

    # -- guard support ------------------------------------------------------------------
    @cached_property
    def table_columns(self) -> dict[str, frozenset[str]]:
        """Allow-list for the SQL guard: table -> its columns."""
        return {t: frozenset(spec.columns) for t, spec in self.spec.tables.items()}

    def problems(self) -> list[ModelProblem]:
        """Every problem including warnings (for ``chatbi model check``)."""
        return check_spec(self.spec)


def _problems_error(problems: list[ModelProblem], source: str | None) -> ModelError:
    if len(problems) == 1:
        p = problems[0]
        return ModelError(p.message, source=source, path=p.path, candidates=p.candidates)
    from .errors import did_you_mean

    lines = [f"{p.path}: {p.message} {did_you_mean(p.candidates)}".rstrip() for p in problems]
    return ModelError(f"{len(lines)} problems:\n  " + "\n  ".join(lines), source=source)
