"""Validate a ``SemanticQuery`` against a model: problems come back as data.

The LLM repair loop and the clarification UI read these issues, so each carries a stable
:class:`~semantic_layer.issues.IssueCode`, a human message, "did you mean" candidates and the
:class:`~semantic_layer.issues.Subject` it is about. Nothing here raises.

Validation is an ordered list of small pure rules (:data:`RULES`, the way sqlglot's optimizer is a
list of passes): each takes the :class:`QueryContext` and yields issues; ``validate_query`` runs
them in order. A new check is a new function added to the list, with its own test.

>>> from sample_data import TELECOM_MODEL
>>> from semantic_layer import SemanticModel, SemanticQuery
>>> model = SemanticModel.from_yaml(TELECOM_MODEL)
>>> [str(i) for i in validate_query(model, SemanticQuery(metrics=["revnue"], dimensions=["date"]))]
["unknown metric 'revnue' Did you mean 'revenue'?", "time dimension 'date' needs a grain, e.g. 'date.month' \
Did you mean 'date.day', 'date.week', 'date.month', 'date.quarter' or 'date.year'?"]
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from functools import cached_property

from .errors import suggest
from .issues import Issue, IssueCode, Subject, SubjectKind
from .literals import is_number
from .model import DimensionRef, SemanticModel
from .query import ComparisonFilter, Filter, MemberFilter, RangeFilter, RelativeTimeFilter, SemanticQuery

__all__ = ["Issue", "QueryContext", "RULES", "Rule", "validate_query"]


@dataclass(frozen=True)
class QueryContext:
    """What every rule reads: the model, the query and the facts derived from them once."""

    model: SemanticModel
    query: SemanticQuery
    members: Mapping[str, frozenset[str]] | None = None

    @cached_property
    def parsed(self) -> tuple[DimensionRef, ...]:
        """Every entry of ``query.dimensions``, parsed, in order."""
        return tuple(DimensionRef.parse(text) for text in self.query.dimensions)

    @cached_property
    def refs(self) -> tuple[DimensionRef, ...]:
        """The dimensions the model knows (with or without a valid grain)."""
        return tuple(r for r in self.parsed if r.name in self.model.dimensions)

    @cached_property
    def known_metrics(self) -> tuple[str, ...]:
        return tuple(m for m in self.query.metrics if m in self.model.metrics)

    @cached_property
    def facts(self) -> tuple[str, ...]:
        """The fact tables of the known metrics, sorted (issues come out in a stable order)."""
        return tuple(sorted({t for m in self.known_metrics for t in self.model.metric_tables(m)}))

    def metrics_on(self, fact: str) -> str:
        """The query's metrics computed from ``fact``, for messages."""
        return ", ".join(m for m in self.known_metrics if fact in self.model.metric_tables(m))


Rule = Callable[[QueryContext], Iterator[Issue]]


# -- metrics and dimensions ---------------------------------------------------------------------
def unknown_metrics(ctx: QueryContext) -> Iterator[Issue]:
    for i, name in enumerate(ctx.query.metrics):
        if name not in ctx.model.metrics:
            yield Issue(IssueCode.UNKNOWN_METRIC, f"unknown metric {name!r}", suggest(name, ctx.model.visible_metrics),
                        f"metrics[{i}]", Subject(SubjectKind.METRIC, name, part="metrics", index=i))


def dimension_names_and_grains(ctx: QueryContext) -> Iterator[Issue]:
    """Unknown dimensions, time dimensions without a (valid) grain, grains on other dimensions."""
    for i, ref in enumerate(ctx.parsed):
        issue = _dimension_issue(ctx.model, ref, i)
        if issue is not None:
            yield issue


def _dimension_issue(model: SemanticModel, ref: DimensionRef, i: int) -> Issue | None:
    where, subject = f"dimensions[{i}]", Subject(SubjectKind.DIMENSION, ref.name, part="dimensions", index=i)
    if ref.name not in model.dimensions:
        return Issue(IssueCode.UNKNOWN_DIMENSION, f"unknown dimension {ref.name!r}", suggest(ref.name, model.dimensions),
                     where, subject)
    dim = model.dimensions[ref.name]
    grains = tuple(f"{ref.name}.{g}" for g in dim.grains)
    if dim.type != "time":
        return None if ref.grain is None else Issue(
            IssueCode.BAD_GRAIN, f"{ref.name!r} is not a time dimension and takes no grain", (ref.name,), where, subject)
    if ref.grain is None:
        return Issue(IssueCode.MISSING_GRAIN, f"time dimension {ref.name!r} needs a grain, e.g. '{ref.name}.month'",
                     grains, where, subject)
    if ref.grain not in dim.grains:
        return Issue(IssueCode.BAD_GRAIN, f"{ref.name!r} has no grain {ref.grain!r}", grains, where, subject)
    return None


def duplicate_dimensions(ctx: QueryContext) -> Iterator[Issue]:
    names = [r.name for r in ctx.refs]
    if len(set(names)) != len(names):
        twice = next(n for i, n in enumerate(names) if n in names[:i])
        yield Issue(IssueCode.DUPLICATE_DIMENSION, "a dimension is listed twice", (), "dimensions",
                    Subject(SubjectKind.DIMENSION, twice, part="dimensions"))


def unreachable_dimensions(ctx: QueryContext) -> Iterator[Issue]:
    """A dimension no join path connects to the data of one of the query's metrics."""
    for ref in ctx.refs:
        for fact in ctx.facts:
            if not ctx.model.reachable(fact, ref.name):
                yield Issue(IssueCode.UNREACHABLE_DIMENSION,
                            f"dimension {ref.name!r} does not apply to the data of {ctx.metrics_on(fact)}", (),
                            "dimensions", Subject(SubjectKind.DIMENSION, ref.name, part="dimensions",
                                                  index=ctx.parsed.index(ref)))


def unrelated_dimensions(ctx: QueryContext) -> Iterator[Issue]:
    """Listing members of several dimensions needs one table that relates them all.

    Only asked of a metric-less query whose dimensions are otherwise fine.
    """
    q, model = ctx.query, ctx.model
    if q.metrics or not ctx.refs or any(dimension_names_and_grains(ctx)) or any(duplicate_dimensions(ctx)):
        return
    needed = [r.name for r in ctx.refs] + [d for f in q.filters if (d := _dimension_of(f)) is not None
                                           and d in model.dimensions]
    if not any(all(model.reachable(fact, d) for d in needed) for fact in model.fact_tables):
        yield Issue(IssueCode.UNRELATED_DIMENSIONS,
                    f"no table relates {', '.join(dict.fromkeys(needed))}: list them in separate questions", (),
                    "dimensions", Subject(SubjectKind.FIELD, "dimensions", part="dimensions"))


def time_column(ctx: QueryContext) -> Iterator[Issue]:
    """A period, comparison or time grouping needs every metric's table to have a time column."""
    q, model = ctx.query, ctx.model
    uses_time = (q.time_range is not None or q.compare is not None
                 or any(r.name == model.time_dimension for r in ctx.refs)
                 or any(isinstance(f, RelativeTimeFilter) or _dimension_of(f) == model.time_dimension for f in q.filters))
    if not uses_time:
        return
    for fact in ctx.facts:
        if not model.reachable(fact, model.time_dimension):
            yield Issue(IssueCode.NO_TIME_COLUMN, f"table {fact!r} has no time column, so {ctx.metrics_on(fact)} "
                        "cannot be restricted or grouped by time", (), "time_range",
                        Subject(SubjectKind.TABLE, fact, part="time_range"))


# -- filters --------------------------------------------------------------------------------------
def filters(ctx: QueryContext) -> Iterator[Issue]:
    """Each filter in order: a threshold on a selected, known metric; a member filter on a known,
    reachable dimension with known members (when the members are given)."""
    for i, f in enumerate(ctx.query.filters):
        if isinstance(f, RelativeTimeFilter):
            continue
        if isinstance(f, ComparisonFilter | RangeFilter) and f.metric is not None:
            yield from _metric_filter(ctx, f.metric, i)
        else:
            yield from _dimension_filter(ctx, f, i)


def _metric_filter(ctx: QueryContext, metric: str, i: int) -> Iterator[Issue]:
    where, subject = f"filters[{i}]", Subject(SubjectKind.METRIC, metric, part="filters", index=i)
    if metric not in ctx.model.metrics:
        yield Issue(IssueCode.UNKNOWN_METRIC, f"unknown metric {metric!r}", suggest(metric, ctx.model.visible_metrics),
                    where, subject)
    elif metric not in ctx.query.metrics:
        yield Issue(IssueCode.FILTER_METRIC_NOT_SELECTED,
                    f"threshold on {metric!r} needs it among the query's metrics", (metric,), where, subject)


def _dimension_filter(ctx: QueryContext, f: Filter, i: int) -> Iterator[Issue]:
    dim = _dimension_of(f)
    assert dim is not None  # a filter without a metric names a dimension (the query model enforces it)
    where, subject = f"filters[{i}]", Subject(SubjectKind.DIMENSION, dim, part="filters", index=i)
    if dim not in ctx.model.dimensions:
        yield Issue(IssueCode.UNKNOWN_DIMENSION, f"unknown dimension {dim!r}", suggest(dim, ctx.model.dimensions),
                    where, subject)
        return
    for fact in ctx.facts:
        if not ctx.model.reachable(fact, dim):
            yield Issue(IssueCode.UNREACHABLE_DIMENSION, f"filter on {dim!r} does not apply to table {fact!r}", (),
                        where, subject)
    if isinstance(f, MemberFilter) and ctx.members and dim in ctx.members:
        known = ctx.members[dim]
        for value in f.values:
            if str(value) not in known:
                yield Issue(IssueCode.UNKNOWN_MEMBER, f"{dim} has no member {value!r}",
                            suggest(str(value), known, cutoff=0.4), where,
                            Subject(SubjectKind.MEMBER, dim, str(value), part="filters", index=i))


def filter_values(ctx: QueryContext) -> Iterator[Issue]:
    """Values a filter compares with must be of the target's type: a metric threshold a number (text
    that reads as one counts), a time dimension's bounds ISO dates. Anything else never reaches SQL."""
    for i, f in enumerate(ctx.query.filters):
        where = f"filters[{i}]"
        if isinstance(f, ComparisonFilter | RangeFilter) and f.metric is not None:
            for value in _bounds(f):
                if not is_number(value):
                    yield Issue(IssueCode.BAD_VALUE, f"the threshold on {f.metric!r} must be a number, not {value!r}",
                                (), where, Subject(SubjectKind.METRIC, f.metric, part="filters", index=i))
        elif (dim := _dimension_of(f)) is not None and dim in ctx.model.dimensions \
                and ctx.model.dimensions[dim].type == "time":
            for value in _bounds(f):
                if not _is_iso_date(value):
                    yield Issue(IssueCode.BAD_VALUE, f"{dim!r} takes ISO dates (2025-11-30), not {value!r}", (), where,
                                Subject(SubjectKind.DIMENSION, dim, part="filters", index=i))


def _bounds(f: Filter) -> tuple[object, ...]:
    if isinstance(f, MemberFilter):
        return f.values
    if isinstance(f, ComparisonFilter):
        return (f.value,)
    if isinstance(f, RangeFilter):
        return (f.low, f.high)
    return ()


def _is_iso_date(value: object) -> bool:
    try:
        dt.date.fromisoformat(str(value))
    except ValueError:
        return False
    return True


def _dimension_of(f: Filter) -> str | None:
    return f.dimension if isinstance(f, MemberFilter | ComparisonFilter | RangeFilter) else None


# -- ordering and options ---------------------------------------------------------------------------
def order_by(ctx: QueryContext) -> Iterator[Issue]:
    selectable = {*ctx.query.metrics, *(r.name for r in ctx.refs), *(r.key for r in ctx.refs),
                  *(r.column for r in ctx.refs)}
    for i, item in enumerate(ctx.query.order_by):
        name = item.lstrip("-+")
        if name not in selectable:
            yield Issue(IssueCode.BAD_ORDER_BY,
                        f"cannot order by {name!r}: it is not among the query's metrics or dimensions",
                        suggest(name, selectable), f"order_by[{i}]",
                        Subject(SubjectKind.FIELD, name, part="order_by", index=i))


def compare_needs_metric(ctx: QueryContext) -> Iterator[Issue]:
    if ctx.query.compare and not ctx.query.metrics:
        yield Issue(IssueCode.COMPARE_NEEDS_METRIC, "period comparison needs at least one metric", (), "compare",
                    Subject(SubjectKind.FIELD, "compare", part="compare"))


def share_needs_metric(ctx: QueryContext) -> Iterator[Issue]:
    if ctx.query.share and not ctx.query.metrics:
        yield Issue(IssueCode.SHARE_NEEDS_METRIC, "share of total needs at least one metric", (), "share",
                    Subject(SubjectKind.FIELD, "share", part="share"))


#: The rules in the order their issues are reported.
RULES: tuple[Rule, ...] = (
    unknown_metrics,
    dimension_names_and_grains,
    duplicate_dimensions,
    unreachable_dimensions,
    unrelated_dimensions,
    time_column,
    filters,
    filter_values,
    order_by,
    compare_needs_metric,
    share_needs_metric,
)


def validate_query(model: SemanticModel, query: SemanticQuery,
                   members: Mapping[str, frozenset[str]] | None = None, *,
                   rules: tuple[Rule, ...] = RULES) -> list[Issue]:
    """Return every problem of ``query`` (an empty list means it compiles).

    ``members`` (dimension -> known values) enables checks of filter values.
    """
    ctx = QueryContext(model, query, members)
    return [issue for rule in rules for issue in rule(ctx)]
