"""Access policies: which rows and which columns one user may see -- pure data, no SQL.

An :class:`AccessPolicy` is what a user's roles resolve to (``chatbi.security`` reads roles from
YAML and fills in user attributes such as ``{{ user.region }}``). The semantic layer enforces it
in two places, and every path goes through one of them:

* the **compiler** (``compile_query(..., policy=...)``) adds the row filters to every fact and
  dimension subquery it builds, so totals, ratios, shares, comparisons, drill-downs and member
  lists are computed over the allowed rows only; it refuses hidden metrics and dimensions and
  filters on masked ones (a threshold on a masked value could bisect it);
* the **guard** (``SQLGuard(table_columns, views=...)`` with
  ``semantic_layer.compiler.guard_access(model, policy, dialect)``) replaces every model table a
  hand-written statement reads by a filtered subquery (a *secure view*) and removes hidden and
  masked columns from its allow-list, so free SQL cannot read around the policy either.

This module decides *what* applies where (which alternatives hold on a table, which tables are
closed, which columns are blocked); the SQL for it is built by ``semantic_layer.compiler``
(``sources.Sources.policy_condition``, ``secure.secure_views``).

Row filters: ``rows`` is a tuple of alternatives; each alternative is a tuple of filters that
must all hold (AND); a row is visible when any alternative holds (OR) -- a user with two roles
sees the union of what each role sees. ``rows=None`` means every row, ``rows=()`` none.

A filter applies to every table from which its dimension is reachable. A *fact* table that
cannot reach it is closed (its metrics are refused) unless the policy lists it in
``open_tables``; a lookup table that cannot reach it shows only the rows that allowed facts
refer to (plans sold in the user's province), so lookups never list hidden entities.

>>> from semantic_layer import MemberFilter
>>> policy = AccessPolicy(rows=((MemberFilter(op="in", dimension="province", values=("广东",)),),))
>>> policy.restricts_rows, AccessPolicy().unrestricted
(True, True)
"""

from __future__ import annotations

import weakref
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from .errors import did_you_mean, suggest
from .issues import Issue, IssueCode
from .model import DimensionRef, SemanticModel
from .query import ComparisonFilter, MemberFilter, RangeFilter, SemanticQuery
from .spec import SemiAdditiveMetricSpec, SimpleMetricSpec

__all__ = ["RowFilter", "ColumnRule", "ColumnAccess", "AccessPolicy", "Principal", "ACCESS_DENIED",
           "MASKED_FILTER", "frame_suffixes"]

#: a row filter is a member, comparison or range filter on a *dimension*
RowFilter = MemberFilter | ComparisonFilter | RangeFilter
#: issue codes of the policy checks (the facade and the audit log count them as denials)
ACCESS_DENIED = IssueCode.ACCESS_DENIED
MASKED_FILTER = IssueCode.MASKED_FILTER
#: result-frame columns derived from a metric that carry its value (shares and % changes do not)
frame_suffixes = ("", "__previous", "__change")


@dataclass(frozen=True)
class ColumnRule:
    """What happens to one column for a role.

    ``target`` is a dimension name (``phone``), a metric name (``revenue``) or a table column
    (``dim_customer.phone``). ``hide`` removes it; ``mask`` shows it through a masking operator
    (named here, implemented in ``chatbi.security.masking``) with ``params``.
    """

    target: str
    action: Literal["hide", "mask"] = "hide"
    operator: str = ""
    params: tuple[tuple[str, Any], ...] = ()

    def __post_init__(self) -> None:
        if self.action not in ("hide", "mask"):
            raise ValueError(f"column rule action must be 'hide' or 'mask', not {self.action!r}")
        if self.action == "mask" and not self.operator:
            raise ValueError(f"masking {self.target!r} needs an operator")

    @property
    def options(self) -> dict[str, Any]:
        return dict(self.params)


@dataclass(frozen=True)
class ColumnAccess:
    """A policy's column rules resolved against one model."""

    dimensions: Mapping[str, ColumnRule]
    metrics: Mapping[str, ColumnRule]
    #: table -> columns hand-written SQL may not read (hidden or masked)
    blocked: Mapping[str, frozenset[str]]

    def hidden(self, name: str) -> bool:
        rule = self.dimensions.get(name) or self.metrics.get(name)
        return rule is not None and rule.action == "hide"

    def masked(self, name: str) -> ColumnRule | None:
        rule = self.dimensions.get(name) or self.metrics.get(name)
        return rule if rule is not None and rule.action == "mask" else None


@dataclass(frozen=True)
class AccessPolicy:
    """The resolved access of one user (see the module docstring)."""

    rows: tuple[tuple[RowFilter, ...], ...] | None = None
    columns: tuple[ColumnRule, ...] = ()
    #: aggregates over fewer rows (or distinct ``group_size_columns``) than this are suppressed
    min_group_size: int = 0
    #: fact table -> column whose distinct values are the group size (default: rows)
    group_size_columns: tuple[tuple[str, str], ...] = ()
    #: tables whose rows are not restricted (e.g. a fact that cannot reach the filtered dimension)
    open_tables: frozenset[str] = frozenset()

    # -- combination ----------------------------------------------------------------------
    @classmethod
    def union(cls, policies: Iterable[AccessPolicy]) -> AccessPolicy:
        """The access of a user holding several roles: what any of them may see.

        Rows: the alternatives of all roles (any role without row filters lifts them all).
        Columns: a rule survives only when every role restricts that target (``mask`` wins over
        ``hide``). Small-cell suppression: the smallest group size any role requires.
        """
        items = list(policies)
        if not items:
            return cls(rows=())  # no role, no rows
        rows: tuple[tuple[RowFilter, ...], ...] | None = ()
        for p in items:
            rows = None if rows is None or p.rows is None else rows + p.rows
        by_target: list[dict[str, ColumnRule]] = [{r.target: r for r in p.columns} for p in items]
        columns: list[ColumnRule] = []
        for target, first in by_target[0].items():
            rules = [d.get(target) for d in by_target]
            if any(r is None for r in rules):
                continue
            masks = [r for r in rules if r is not None and r.action == "mask"]
            columns.append(masks[0] if masks else first)
        sizes = [p.min_group_size for p in items]
        size_columns: dict[str, str] = {}
        for p in items:
            for table, col in p.group_size_columns:
                size_columns.setdefault(table, col)
        return cls(rows=rows, columns=tuple(columns), min_group_size=min(sizes),
                   group_size_columns=tuple(size_columns.items()) if min(sizes) else (),
                   open_tables=frozenset().union(*(p.open_tables for p in items if p.rows is not None)))

    # -- rows -----------------------------------------------------------------------------
    @property
    def restricts_rows(self) -> bool:
        return self.rows is not None

    @property
    def unrestricted(self) -> bool:
        return self.rows is None and not self.columns and not self.min_group_size

    def row_dimensions(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(f.dimension for alt in self.rows or () for f in alt if f.dimension))

    def alternatives(self, model: SemanticModel, table: str) -> list[tuple[RowFilter, ...]] | None:
        """Alternatives that apply to rows of ``table`` (any may hold); None when the table is not
        restricted, empty when none can be checked on its rows (the table is closed)."""
        if self.rows is None or table in self.open_tables:
            return None
        found = []
        for alt in self.rows:
            if not alt:
                return None
            if all(model.reachable(table, f.dimension) for f in alt):  # type: ignore[arg-type]
                found.append(alt)
        return found

    def closed(self, model: SemanticModel, table: str) -> bool:
        """Whether no alternative can be checked on ``table``'s rows (so none are visible)."""
        alts = self.alternatives(model, table)
        return alts is not None and not alts

    def dimensions_for(self, model: SemanticModel, table: str) -> tuple[str, ...]:
        """The dimensions the row condition of ``table`` reads (the compiler joins their tables)."""
        alts = self.alternatives(model, table) or ()
        return tuple(dict.fromkeys(f.dimension for alt in alts for f in alt))  # type: ignore[misc]

    # -- columns --------------------------------------------------------------------------
    def access(self, model: SemanticModel) -> ColumnAccess:
        """The column rules resolved against ``model`` (cached)."""
        per_model = _ACCESS.setdefault(model, {})
        found = per_model.get(self)
        if found is None:
            found = per_model[self] = _resolve_columns(model, self.columns)
        return found

    def frame_rules(self, model: SemanticModel, columns: Iterable[str]) -> dict[str, ColumnRule]:
        """Masking rules for the columns of a result frame (named by dimension / metric)."""
        access = self.access(model)
        out: dict[str, ColumnRule] = {}
        for col in columns:
            name = str(col)
            rule = access.dimensions.get(name)
            if rule is None:
                for suffix in frame_suffixes:
                    if suffix and name.endswith(suffix):
                        rule = access.metrics.get(name[: -len(suffix)])
                    elif not suffix:
                        rule = access.metrics.get(name)
                    if rule is not None:
                        break
            if rule is not None:
                out[name] = rule
        return out

    # -- checks ---------------------------------------------------------------------------
    def check(self, model: SemanticModel, query: SemanticQuery) -> list[Issue]:
        """What ``query`` may not do under this policy (issues as data, like ``validate_query``).

        Run after ``validate_query`` (names are known to exist).
        """
        if self.unrestricted:
            return []
        issues: list[Issue] = []
        access = self.access(model)

        def denied(kind: str, name: str, where: str) -> None:
            issues.append(Issue(ACCESS_DENIED, f"the {kind} {name!r} is not available to you", (), where))

        for i, name in enumerate(query.metrics):
            if access.hidden(name):
                denied("metric", name, f"metrics[{i}]")
        for i, text in enumerate(query.dimensions):
            name = DimensionRef.parse(text).name
            if access.hidden(name):
                denied("dimension", name, f"dimensions[{i}]")
        for i, f in enumerate(query.filters):
            target = f.metric or f.dimension
            if target is None:
                continue
            kind = "metric" if f.metric else "dimension"
            if access.hidden(target):
                denied(kind, target, f"filters[{i}]")
            elif access.masked(target):
                issues.append(Issue(MASKED_FILTER, f"{target!r} is masked for you: it can be shown masked but not "
                                    "filtered on", (), f"filters[{i}]"))
        if self.rows is not None:
            for name in query.metrics:
                if name in model.metrics:
                    for table in model.metric_tables(name):
                        if self.closed(model, table):
                            issues.append(Issue(ACCESS_DENIED, f"the data of {name!r} is not available to you: "
                                                "none of its rows are within your access", (), "metrics"))
                            break
        return issues

    def problems(self, model: SemanticModel) -> list[str]:
        """Names in the policy that ``model`` does not define (for configuration checks)."""
        out: list[str] = []
        for alt in self.rows or ():
            for f in alt:
                if f.dimension is None:
                    out.append("row filters must name a dimension, not a metric")
                elif f.dimension not in model.dimensions:
                    out.append(f"unknown dimension {f.dimension!r} in a row filter. "
                               f"{did_you_mean(suggest(f.dimension, model.dimensions))}".strip())
        for rule in self.columns:
            problem = _target_problem(model, rule.target)
            if problem:
                out.append(problem)
        for table in (*self.open_tables, *(t for t, _ in self.group_size_columns)):
            if table not in model.tables:
                out.append(f"unknown table {table!r}. {did_you_mean(suggest(table, model.tables))}".strip())
        for table, col in self.group_size_columns:
            if table in model.tables and col not in model.tables[table].columns:
                out.append(f"table {table!r} has no column {col!r}")
        return out


@dataclass(frozen=True)
class Principal:
    """Who is asking: a user name, their roles, attributes (``region: 华南``) and resolved policy."""

    user: str
    roles: tuple[str, ...] = ()
    attributes: Mapping[str, Any] = field(default_factory=dict, hash=False, compare=False)
    policy: AccessPolicy = AccessPolicy()
    display_name: str = ""

    @property
    def name(self) -> str:
        return self.display_name or self.user


_ACCESS: weakref.WeakKeyDictionary[SemanticModel, dict[AccessPolicy, ColumnAccess]] = weakref.WeakKeyDictionary()


def _target_problem(model: SemanticModel, target: str) -> str | None:
    if target in model.dimensions:
        if model.dimensions[target].type == "time":
            return f"the time dimension {target!r} cannot be hidden or masked"
        return None
    if target in model.metrics:
        return None
    table, _, col = target.partition(".")
    if col and table in model.tables:
        if col in model.tables[table].columns:
            return None
        return f"table {table!r} has no column {col!r}. {did_you_mean(suggest(col, model.tables[table].columns))}".strip()
    return (f"{target!r} is neither a dimension, a metric nor a table.column. "
            f"{did_you_mean(suggest(target, [*model.dimensions, *model.metrics]))}").strip()


def _resolve_columns(model: SemanticModel, rules: tuple[ColumnRule, ...]) -> ColumnAccess:
    dims: dict[str, ColumnRule] = {}
    metrics: dict[str, ColumnRule] = {}
    blocked: dict[str, set[str]] = {}

    def block(table: str | None, col: str | None) -> None:
        if table and col:
            blocked.setdefault(table, set()).add(col)

    def dim_column(name: str) -> tuple[str | None, str]:
        spec = model.dimensions[name]
        return spec.table, spec.column or name

    for rule in rules:
        if _target_problem(model, rule.target):
            continue  # reported by ``problems``; never silently widen access: block the name below
        if rule.target in model.dimensions:
            dims[rule.target] = rule
            block(*dim_column(rule.target))
            label = model.dimensions[rule.target].label_column
            block(model.dimensions[rule.target].table, label)
        elif rule.target in model.metrics:
            metrics[rule.target] = rule
            for leaf in model.leaf_metrics(rule.target):
                spec = model.metrics[leaf]
                if isinstance(spec, (SimpleMetricSpec, SemiAdditiveMetricSpec)) and spec.column != "*":
                    block(spec.table, spec.column)
        else:
            table, _, col = rule.target.partition(".")
            block(table, col)
            for name, dim in model.dimensions.items():
                if dim.table == table and col in (dim.column or name, dim.label_column):
                    dims.setdefault(name, rule)
            for name in model.metrics:
                for leaf in model.leaf_metrics(name):
                    spec = model.metrics[leaf]
                    if isinstance(spec, (SimpleMetricSpec, SemiAdditiveMetricSpec)) and \
                            (spec.table, spec.column) == (table, col):
                        metrics.setdefault(name, rule)
    # a hidden metric stays hidden inside every metric computed from it (arpu = revenue / users)
    hidden_leaves = {leaf for name, r in metrics.items() if r.action == "hide" for leaf in model.leaf_metrics(name)}
    for name in model.metrics:
        if name not in metrics and hidden_leaves & set(model.leaf_metrics(name)):
            metrics[name] = ColumnRule(name, "hide")
    return ColumnAccess(dims, metrics, {t: frozenset(c) for t, c in blocked.items()})
