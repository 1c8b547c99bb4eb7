"""What period an answer covers, and what a question that names none is answered for (``resolve``).

The rules (README "Periods"), the same for every translator:

* a question whose metrics are time-bound and which names no period is answered for the model's
  ``default_period`` (the telecom sample: the latest complete month of the data), and the answer
  says so -- in ``answer.period``, in its text and in its chips;
* a time series (a time grain) without a period covers all data, as does a member listing;
  a comparison or a "why" without a period needs one: the default (the latest complete month
  when the model's default is all data);
* every answer over time-bound metrics carries the period it covers: the resolved one, or what
  "all data" spans (the first and last date of the data).
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from semantic_layer import RangeFilter, RelativeTimeFilter, SemanticModel, SemanticQuery
from semantic_layer.compiler.timeframe import Period, default_period
from semantic_layer.model import DimensionRef

from ..translate.base import Understood

if TYPE_CHECKING:
    from semantic_layer.compiler import CompiledQuery

    from .records import Scope

__all__ = ["with_default_period", "covered_period", "time_bound", "DEFAULT_PERIOD"]

#: ``understood`` kind of a period the question did not name
DEFAULT_PERIOD = "default_period"
#: what a comparison needs when the model's default is all data
_COMPARE_FALLBACK = "latest_complete_month"


def time_bound(model: SemanticModel, metrics: tuple[str, ...]) -> bool:
    """Do all ``metrics`` read tables with a time column (so a period changes them)?"""
    time_dim = model.time_dimension
    return bool(metrics) and all(model.reachable(t, time_dim) for m in metrics for t in model.metric_tables(m))


def _names_period(model: SemanticModel, query: SemanticQuery) -> bool:
    if query.time_range is not None:
        return True
    facts = {t for m in query.metrics if m in model.metrics for t in model.metric_tables(m)}
    return any(isinstance(f, RelativeTimeFilter) or (isinstance(f, RangeFilter) and (
        f.dimension == model.time_dimension or _fact_date(model, f.dimension, facts))) for f in query.filters)


def _fact_date(model: SemanticModel, name: str | None, facts: set[str]) -> bool:
    """A date column of the metric's own rows ("deals closed in 2019"): the question's period.
    A date of a related table (wells drilled in 2019) leaves the metric's own period open."""
    dim = model.dimensions.get(name or "")
    return dim is not None and dim.type == "time" and dim.table in facts


def _time_grain(model: SemanticModel, query: SemanticQuery) -> str | None:
    return next((r.grain for r in map(DimensionRef.parse, query.dimensions)
                 if r.name == model.time_dimension and r.grain), None)


def with_default_period(model: SemanticModel, query: SemanticQuery, anchor: dt.date
                        ) -> tuple[SemanticQuery, Understood | None]:
    """``query`` with the model's default period when it names none and needs one, and how it was read."""
    if not query.metrics or _names_period(model, query) or not time_bound(model, query.metrics):
        return query, None
    if _time_grain(model, query) is not None:
        return query, None  # a time series: all data, stated by covered_period
    rule = model.spec.default_period
    if rule == "all" and query.compare is not None:
        rule = _COMPARE_FALLBACK  # a comparison of all data with nothing: take the latest complete month
    period = default_period(rule, anchor)
    if period is None:
        return query, None
    resolved = query.with_(time_range={"start": period[0], "end": period[1]})
    return resolved, {"text": "", "kind": DEFAULT_PERIOD, "value": f"{period[0]}..{period[1]} ({rule})"}


def covered_period(scope: Scope, query: SemanticQuery | None, compiled: CompiledQuery | None) -> Period | None:
    """The period an answer covers: the compiled one, else -- for time-bound metrics -- all data's span."""
    if compiled is not None and compiled.period is not None:
        return compiled.period
    if query is None or not time_bound(scope.model, query.metrics):
        return None
    return scope.extent
