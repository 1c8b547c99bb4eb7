"""Compile a ``SemanticQuery`` to a sqlglot AST and SQL text for a dialect.

``builder`` builds a query's tree; ``sources`` the FROM clauses, joins and row conditions it
reads through (with an access policy's row filters); ``secure`` the secure views that replace
row-restricted tables in hand-written SQL (:func:`guard_access` for the SQL guard).

>>> from semantic_layer import SemanticModel, SemanticQuery
>>> from semantic_layer.compiler import compile_query
>>> model = SemanticModel.from_dict({
...     "name": "shop", "tables": {"sales": {"columns": {"day": "date", "city": "varchar", "amount": "double"},
...                                          "time_column": "day"}},
...     "dimensions": {"date": {"type": "time", "grains": ["month"]}, "city": {"table": "sales"}},
...     "metrics": {"amount": {"table": "sales", "agg": "sum", "column": "amount"}}})
>>> print(compile_query(model, SemanticQuery(metrics=["amount"], dimensions=["city"])).sql)  # doctest: +NORMALIZE_WHITESPACE
SELECT g0.city AS city, g0.amount AS amount FROM (SELECT sales.city AS city, SUM(sales.amount) AS amount FROM
sales GROUP BY sales.city) AS g0 ORDER BY amount DESC, city ASC
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass
from functools import cached_property

from sqlglot import exp

from ..errors import QueryError
from ..issues import Issue, IssueCode, Subject, SubjectKind
from ..model import DimensionRef, SemanticModel
from ..policy import AccessPolicy, Principal
from ..query import RelativeTimeFilter, SemanticQuery
from ..validate import validate_query
from .builder import Builder
from .dialects import SUPPORTED_DIALECTS
from .secure import GuardAccess, guard_access, secure_views
from .timeframe import (
    Period,
    intersect,
    longer_than_a_month,
    previous_period,
    relative_period,
    shift_period,
    year_ago,
)

__all__ = ["CompiledQuery", "compile_query", "resolve_period", "monthly_metrics", "baseline_period", "SUPPORTED_DIALECTS",
           "GuardAccess", "guard_access", "secure_views"]


@dataclass(frozen=True)
class CompiledQuery:
    query: SemanticQuery
    dialect: str
    expression: exp.Select
    #: the resolved current period (inclusive) or None for all data
    period: Period | None
    #: the period compared against, when ``compare`` is set
    compare_period: Period | None
    #: metrics quoted per month (``per: month``) that were divided by the months in each bucket, because
    #: the period or the time grain holds more than one month
    per_month: tuple[str, ...] = ()

    @cached_property
    def sql(self) -> str:
        """SQL text, generated on first use: the facade hands the tree to the guard instead,
        which generates the text that runs, so generating it here too would be wasted work."""
        return self.expression.sql(dialect=self.dialect)


def resolve_period(query: SemanticQuery, anchor: dt.date | None) -> Period | None:
    """The query's time window: ``time_range`` intersected with its relative-time filters."""
    periods: list[Period] = []
    if query.time_range is not None:
        periods.append((query.time_range.start, query.time_range.end))
    for f in query.filters:
        if isinstance(f, RelativeTimeFilter):
            if anchor is None:
                raise QueryError("a relative period (last month, YTD ...) needs the model's time anchor",
                                 (Issue(IssueCode.MISSING_ANCHOR, "no time anchor to resolve a relative period",
                                        subject=Subject(SubjectKind.FIELD, "filters", part="filters")),))
            periods.append(relative_period(anchor, f.unit, f.n, f.offset))
    try:
        return intersect(periods)
    except ValueError as exc:
        raise QueryError(str(exc), (Issue(IssueCode.EMPTY_PERIOD, str(exc),
                                          subject=Subject(SubjectKind.FIELD, "time_range", part="time_range")),)) from None


def compile_query(model: SemanticModel, query: SemanticQuery, dialect: str = "duckdb", *,
                  anchor: dt.date | None = None, members: dict[str, frozenset[str]] | None = None,
                  policy: AccessPolicy | Principal | None = None) -> CompiledQuery:
    """Validate and compile; raise :class:`QueryError` (with issues) when the query is invalid.

    ``policy`` (an :class:`~semantic_layer.policy.AccessPolicy` or a ``Principal``) restricts the
    query to the rows and columns one user may see: its row filters go into every subquery, hidden
    names and filters on masked ones are refused (issues with code ``access_denied`` /
    ``masked_filter``), small aggregates are suppressed. Pass ``members`` of the *user's* rows, so
    "did you mean" never suggests a value the user may not see.
    """
    if dialect not in SUPPORTED_DIALECTS:
        raise QueryError(f"unsupported SQL dialect {dialect!r}; supported: {', '.join(SUPPORTED_DIALECTS)}")
    if isinstance(policy, Principal):
        policy = policy.policy
    issues = validate_query(model, query, members)
    if issues and policy is not None and not policy.unrestricted:
        issues = _without_hidden(model, policy, issues)
    if not issues and policy is not None:
        issues = policy.check(model, query)
    if issues:
        raise QueryError("; ".join(str(i) for i in issues), tuple(issues))
    period = resolve_period(query, anchor)
    compare_period, shift = _comparison(model, query, period, anchor)
    per_month = monthly_metrics(model, query, period)
    tree = Builder(model, query, dialect, policy, per_month=per_month).build(period, compare_period, shift)
    return CompiledQuery(query, dialect, tree, period, compare_period, per_month)


def monthly_metrics(model: SemanticModel, query: SemanticQuery, period: Period | None) -> tuple[str, ...]:
    """The query's ``per: month`` metrics that must be divided by their months: each time bucket (or,
    without a time grain, the period -- all data when there is none) holds more than one month.

    A day, week or month bucket, or a period of at most 31 days, keeps the plain ratio.
    """
    wanted = [m for m in query.metrics if model.metrics[m].per == "month"]
    if not wanted:
        return ()
    grains = [r.grain for r in map(DimensionRef.parse, query.dimensions) if r.name == model.time_dimension]
    if grains:
        longer = grains[0] in ("quarter", "year")
    else:
        longer = longer_than_a_month(period)
    return tuple(wanted) if longer else ()


def _without_hidden(model: SemanticModel, policy: AccessPolicy, issues: list[Issue]) -> list[Issue]:
    """Issues whose "did you mean" never suggests a name the user may not see (``revnue`` must not
    answer "did you mean 'revenue'?" to a user for whom revenue is hidden)."""
    access = policy.access(model)
    out = []
    for issue in issues:
        kept = tuple(c for c in issue.candidates if not access.hidden(c.split(".")[0]))
        out.append(issue if kept == issue.candidates else dataclasses.replace(issue, candidates=kept))
    return out


def _comparison(model: SemanticModel, query: SemanticQuery, period: Period | None, anchor: dt.date | None = None
                ) -> tuple[Period | None, tuple[str, int] | None]:
    if query.compare is None:
        return None, None
    grains = [r.grain for r in map(DimensionRef.parse, query.dimensions) if r.name == model.time_dimension and r.grain]
    if query.compare == "baseline":
        return _baseline(query, period, grains[0] if grains else None, anchor)
    if grains:
        unit, n = _bucket_shift(grains[0], query.compare)
        if period is None:
            return None, (unit, n)
        return shift_period(period, unit, -n), (unit, n)
    if period is None:
        issue = Issue(IssueCode.COMPARE_NEEDS_PERIOD, "a period comparison needs a period (a time range or a time grain)",
                      subject=Subject(SubjectKind.FIELD, "compare", part="compare"))
        raise QueryError(issue.message, (issue,))
    return (previous_period(period) if query.compare == "previous_period" else year_ago(period)), None


def baseline_period(query: SemanticQuery, anchor: dt.date | None) -> Period | None:
    """The stated baseline period of a ``compare="baseline"`` query, resolved against ``anchor``."""
    base = query.baseline
    if base is None:
        return None
    if isinstance(base, RelativeTimeFilter):
        if anchor is None:
            issue = Issue(IssueCode.MISSING_ANCHOR, "no time anchor to resolve a relative baseline period")
            raise QueryError(issue.message, (issue,))
        return relative_period(anchor, base.unit, base.n, base.offset)
    return base.start, base.end


def _baseline(query: SemanticQuery, period: Period | None, grain: str | None, anchor: dt.date | None
              ) -> tuple[Period, tuple[str, int] | None]:
    """The baseline period, and how far its time buckets move to meet the current period's."""
    base = baseline_period(query, anchor)
    assert base is not None
    if period is None:
        issue = Issue(IssueCode.COMPARE_NEEDS_PERIOD, "a comparison with a baseline period needs the current period too")
        raise QueryError(issue.message, (issue,))
    if base[0] <= period[1] and period[0] <= base[1]:
        issue = Issue(IssueCode.BASELINE_OVERLAPS, f"the baseline {base[0]}..{base[1]} overlaps the period "
                                                      f"{period[0]}..{period[1]} it is compared with")
        raise QueryError(issue.message, (issue,))
    if grain is None:
        return base, None
    shift = _aligned_shift(period, base, grain)
    if shift is None:
        issue = Issue(IssueCode.BASELINE_MISALIGNED,
                      f"the baseline {base[0]}..{base[1]} and the period {period[0]}..{period[1]} do not have "
                      f"matching {grain}s to compare bucket by bucket")
        raise QueryError(issue.message, (issue,))
    return base, shift


def _aligned_shift(period: Period, base: Period, grain: str) -> tuple[str, int] | None:
    """(unit, n) that moves every ``grain`` bucket of ``base`` onto its counterpart in ``period``.

    >>> _aligned_shift((dt.date(2025, 7, 1), dt.date(2025, 9, 30)), (dt.date(2025, 4, 1), dt.date(2025, 6, 30)), "month")
    ('month', 3)
    >>> _aligned_shift((dt.date(2025, 3, 3), dt.date(2025, 3, 9)), (dt.date(2025, 2, 3), dt.date(2025, 2, 9)), "day")
    ('day', 28)
    """
    months = (period[0].year - base[0].year) * 12 + period[0].month - base[0].month
    if grain in ("month", "quarter", "year") and period[0].day == base[0].day == 1 and \
            shift_period(base, "month", months) == period:
        step = {"month": 1, "quarter": 3, "year": 12}[grain]
        return ("month", months) if months % step == 0 else None
    days = (period[0] - base[0]).days
    if grain in ("day", "week") and (base[0] + dt.timedelta(days=days), base[1] + dt.timedelta(days=days)) == period:
        return ("day", days) if grain == "day" or days % 7 == 0 else None
    return None


def _bucket_shift(grain: str, compare: str) -> tuple[str, int]:
    """How far each time bucket moves to meet the bucket it is compared with.

    The previous period of a bucket is the bucket before it; a year ago is one year back,
    except for weeks: 52 weeks back keeps them on Mondays (a calendar year back would land
    every week start on another weekday and no bucket would meet its counterpart).

    >>> _bucket_shift("week", "year_over_year"), _bucket_shift("month", "year_over_year")
    (('week', 52), ('year', 1))
    """
    if compare == "previous_period":
        return grain, 1
    if grain == "week":
        return "week", 52
    return "year", 1
