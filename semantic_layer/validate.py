"""Validate a ``SemanticQuery`` against a model: problems come back as data.

The LLM repair loop and the clarification UI read these issues, so each carries a
stable ``code``, a human message and "did you mean" candidates. Nothing here raises.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from .errors import suggest
from .model import DimensionRef, SemanticModel
from .query import ComparisonFilter, MemberFilter, RangeFilter, RelativeTimeFilter, SemanticQuery

__all__ = ["Issue", "validate_query"]


@dataclass(frozen=True)
class Issue:
    code: str
    message: str
    candidates: tuple[str, ...] = ()
    field: str = ""

    def __str__(self) -> str:
        from .errors import did_you_mean

        return f"{self.message} {did_you_mean(self.candidates)}".rstrip()


def validate_query(model: SemanticModel, query: SemanticQuery,
                   members: Mapping[str, frozenset[str]] | None = None) -> list[Issue]:
    """Return every problem of ``query`` (an empty list means it compiles).

    ``members`` (dimension -> known values) enables checks of filter values.
    """
    issues: list[Issue] = []
    add = issues.append
    metric_names = model.metrics
    visible = model.visible_metrics

    for i, name in enumerate(query.metrics):
        if name not in metric_names:
            add(Issue("unknown_metric", f"unknown metric {name!r}", suggest(name, visible), f"metrics[{i}]"))

    refs: list[DimensionRef] = []
    for i, text in enumerate(query.dimensions):
        ref = DimensionRef.parse(text)
        where = f"dimensions[{i}]"
        if ref.name not in model.dimensions:
            add(Issue("unknown_dimension", f"unknown dimension {ref.name!r}", suggest(ref.name, model.dimensions), where))
            continue
        dim = model.dimensions[ref.name]
        if dim.type == "time":
            if ref.grain is None:
                add(Issue("missing_grain", f"time dimension {ref.name!r} needs a grain, e.g. '{ref.name}.month'",
                          tuple(f"{ref.name}.{g}" for g in dim.grains), where))
            elif ref.grain not in dim.grains:
                add(Issue("bad_grain", f"{ref.name!r} has no grain {ref.grain!r}",
                          tuple(f"{ref.name}.{g}" for g in dim.grains), where))
        elif ref.grain is not None:
            add(Issue("bad_grain", f"{ref.name!r} is not a time dimension and takes no grain", (ref.name,), where))
        refs.append(ref)
    if len({r.name for r in refs}) != len(refs):
        add(Issue("duplicate_dimension", "a dimension is listed twice", (), "dimensions"))

    known_metrics = [m for m in query.metrics if m in metric_names]
    facts = {t for m in known_metrics for t in model.metric_tables(m)}
    for ref in refs:
        for fact in sorted(facts):
            if not model.reachable(fact, ref.name):
                add(Issue("unreachable_dimension",
                          f"dimension {ref.name!r} does not apply to the data of "
                          f"{', '.join(m for m in known_metrics if fact in model.metric_tables(m))}",
                          (), "dimensions"))

    if not query.metrics and refs and not issues:
        needed = [r.name for r in refs] + [f.dimension for f in query.filters
                                           if getattr(f, "dimension", None) in model.dimensions]
        if not any(all(model.reachable(fact, d) for d in needed) for fact in model.fact_tables):
            add(Issue("unrelated_dimensions",
                      f"no table relates {', '.join(dict.fromkeys(needed))}: list them in separate questions",
                      (), "dimensions"))

    uses_time = query.time_range is not None or query.compare is not None or any(
        r.name == model.time_dimension for r in refs) or any(
        isinstance(f, RelativeTimeFilter) or getattr(f, "dimension", None) == model.time_dimension
        for f in query.filters)
    if uses_time:
        for fact in sorted(facts):
            if not model.reachable(fact, model.time_dimension):
                add(Issue("no_time_column", f"table {fact!r} has no time column, so "
                          f"{', '.join(m for m in known_metrics if fact in model.metric_tables(m))} "
                          "cannot be restricted or grouped by time", (), "time_range"))

    for i, f in enumerate(query.filters):
        where = f"filters[{i}]"
        if isinstance(f, RelativeTimeFilter):
            continue
        if isinstance(f, (ComparisonFilter, RangeFilter)) and f.metric is not None:
            if f.metric not in metric_names:
                add(Issue("unknown_metric", f"unknown metric {f.metric!r}", suggest(f.metric, visible), where))
            elif f.metric not in query.metrics:
                add(Issue("filter_metric_not_selected",
                          f"threshold on {f.metric!r} needs it among the query's metrics", (f.metric,), where))
            continue
        dim_name = f.dimension
        assert dim_name is not None
        if dim_name not in model.dimensions:
            add(Issue("unknown_dimension", f"unknown dimension {dim_name!r}", suggest(dim_name, model.dimensions), where))
            continue
        for fact in sorted(facts):
            if not model.reachable(fact, dim_name):
                add(Issue("unreachable_dimension", f"filter on {dim_name!r} does not apply to table {fact!r}", (), where))
        if isinstance(f, MemberFilter) and members and dim_name in members:
            known = members[dim_name]
            for value in f.values:
                if str(value) not in known:
                    add(Issue("unknown_member", f"{dim_name} has no member {value!r}",
                              suggest(str(value), known, cutoff=0.4), where))

    selectable = {*query.metrics, *(r.name for r in refs), *(r.key for r in refs), *(r.column for r in refs)}
    for i, item in enumerate(query.order_by):
        name = item.lstrip("-+")
        if name not in selectable:
            add(Issue("bad_order_by", f"cannot order by {name!r}: it is not among the query's metrics or dimensions",
                      suggest(name, selectable), f"order_by[{i}]"))

    if query.compare and not query.metrics:
        add(Issue("compare_needs_metric", "period comparison needs at least one metric", (), "compare"))
    if query.share and not query.metrics:
        add(Issue("share_needs_metric", "share of total needs at least one metric", (), "share"))
    return issues
