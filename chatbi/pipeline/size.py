"""Results too large for one answer are never cut silently.

The guard caps every statement at its row limit (10,000 by default) and an engine at its own cap.
Two checks keep that from ever answering a different question:

* **before running** (questions only): the rows a governed query will return are estimated from
  the member index -- buckets of its time grain in its period times the members of each other
  dimension, narrowed by its member filters. An estimate over the cap is confirmed by a cheap
  ``COUNT(*)`` of the query; when the whole answer is larger than the cap, the question is asked
  back, offering a coarser time grain or a higher level of a dimension tree that fit (CONVENTIONS:
  "a result over the row cap is never silently cut");
* **after running**: a result that filled the cap (or that the engine cut) is counted; when rows
  were left out, a question is asked back the same way, and anything else (SQL a person or a
  model wrote, structured queries) is answered with ``data.attrs["truncated"] = True``,
  ``attrs["total_rows"]``, a ``truncated`` issue and a text that says "first N of M rows" -- never a
  narrative that reads the last row as the latest period.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pandas as pd

from semantic_layer import IssueCode, MemberFilter, SemanticQuery
from semantic_layer.compiler import CompiledQuery
from semantic_layer.compiler.metadata import row_count_expression, row_count_sql
from semantic_layer.compiler.timeframe import Period, add_units, unit_start
from semantic_layer.errors import SemanticLayerError
from semantic_layer.model import DimensionRef

from ..answer import ClarifyOption
from ..errors import ChatBIError
from ..narrative import phrases
from .execute import execute
from .guard import guard_text
from .records import Checked, Failure, Scope

__all__ = ["Oversize", "row_cap", "estimate_rows", "oversized", "count_rows", "too_large_options", "TOO_MANY_ROWS",
           "TRUNCATED"]

#: issue code of a question whose whole answer is larger than the row cap (asked back)
TOO_MANY_ROWS = IssueCode.TOO_MANY_ROWS
#: issue code of an answer that shows only the first rows of a larger result
TRUNCATED = IssueCode.TRUNCATED


@dataclass(frozen=True)
class Oversize:
    """A result larger than the cap: how many rows (counted, or estimated when counting failed)."""

    rows: int
    cap: int


def row_cap(scope: Scope) -> int | None:
    return getattr(scope.guard, "row_cap", None)


def _buckets(period: Period, grain: str) -> int:
    """How many ``grain`` buckets a period touches (weeks start on Monday)."""
    start, end = period
    if grain == "day":
        return (end - start).days + 1
    n, at = 0, unit_start(start, grain)
    while at <= end:
        n, at = n + 1, add_units(at, grain, 1)
    return n


def estimate_rows(scope: Scope, query: SemanticQuery, period: Period | None) -> int | None:
    """Upper bound of the rows ``query`` returns, from the member index; None when a dimension's
    members are not indexed (too many to list) or a time series has no known span."""
    model = scope.model
    members = scope.members.members if scope.members is not None else {}
    rows = 1
    for ref in map(DimensionRef.parse, query.dimensions):
        if ref.name == model.time_dimension:
            span = period or scope.extent
            if span is None:
                return None
            rows *= _buckets((_day(span[0]), _day(span[1])), ref.grain or "day")
            continue
        known = members.get(ref.name)
        if known is None:
            return None
        values = {m.value for m in known}
        for f in query.filters:
            if isinstance(f, MemberFilter) and f.dimension == ref.name:
                chosen = {str(v) for v in f.values}
                values = values & chosen if f.op == "in" else values - chosen
        rows *= max(len(values), 1)
    if query.limit is not None:
        rows = min(rows, query.limit)
    return rows


def count_rows(scope: Scope, *, compiled: CompiledQuery | None = None, sql: str | None = None) -> int | None:
    """The full row count of a compiled query (its own LIMIT kept) or of SQL text, run through the
    guard like any statement; None when it cannot be counted."""
    try:
        if compiled is not None:
            tree = row_count_expression(compiled.expression, compiled.query.limit)
            checked = scope.guard.check_expression(tree, copy=False)
        elif sql is not None:
            # exactly as the statement itself ran (guard_text, execute): a restricted user's SQL reads
            # the policy views the engine applies first, and is cost-checked -- a count through inlined
            # policy subqueries could meet a hidden row, and its failing or not would tell about it
            written = guard_text(scope, row_count_sql(sql, scope.engine.dialect), "en")
            counted = execute(scope, written) if isinstance(written, Checked) else written
            return None if isinstance(counted, Failure) else int(str(counted.iloc[0, 0]))
        else:
            return None
        return int(str(scope.engine.execute(checked).iloc[0, 0]))
    except (ChatBIError, SemanticLayerError, ValueError, IndexError, TypeError):
        return None


def oversized(scope: Scope, query: SemanticQuery, compiled: CompiledQuery) -> Oversize | None:
    """Before running: is the whole answer larger than the cap? (estimate first, count only then)"""
    cap = row_cap(scope)
    if cap is None or (query.limit is not None and query.limit <= cap):
        return None
    estimate = estimate_rows(scope, query, compiled.period)
    if estimate is None or estimate <= cap:
        return None
    counted = count_rows(scope, compiled=compiled)
    rows = estimate if counted is None else counted
    return Oversize(rows, cap) if rows > cap else None


def cut_off(scope: Scope, data: pd.DataFrame, *, compiled: CompiledQuery | None = None,
            sql: str | None = None) -> int | None:
    """After running: the full row count when the fetched rows were cut (by the guard's cap or the
    engine's), else None. A result that merely reached the cap exactly is counted to be sure."""
    cap = row_cap(scope)
    engine_cut = bool(data.attrs.get("truncated"))
    own_limit = compiled.query.limit if compiled is not None else None
    guard_cut = cap is not None and len(data) >= cap and (own_limit is None or own_limit > cap)
    if not (engine_cut or guard_cut):
        return None
    total = count_rows(scope, compiled=compiled, sql=sql)
    if total is None:
        return len(data) + 1 if engine_cut else None  # cut, but by how much is unknown: "more than N"
    return total if total > len(data) else None


def too_large_options(scope: Scope, query: SemanticQuery, period: Period | None, language: str
                      ) -> tuple[ClarifyOption, ...]:
    """Ways to ask for less that fit the cap: a coarser time grain, a higher level of a dimension tree."""
    model, cap = scope.model, row_cap(scope)
    words = phrases(language)
    out: list[ClarifyOption] = []
    refs = list(map(DimensionRef.parse, query.dimensions))
    time_dim = model.time_dimension
    grains = list(model.dimensions[time_dim].grains)

    def fits(candidate: SemanticQuery) -> bool:
        rows = estimate_rows(scope, candidate, period)
        return rows is not None and cap is not None and rows <= cap

    for i, ref in enumerate(refs):
        if ref.name == time_dim and ref.grain in grains:
            for grain in grains[grains.index(ref.grain) + 1:]:
                dims = [*query.dimensions[:i], f"{time_dim}.{grain}", *query.dimensions[i + 1:]]
                candidate = query.with_(dimensions=dims)
                if fits(candidate):
                    follow = words[f"by_grain_{grain}"]
                    out.append(ClarifyOption(follow, follow, candidate))
                    break
        elif ref.name != time_dim:
            parent = model.parent_level(ref.name)
            if parent is None or "." in parent:
                continue
            dims = [*query.dimensions[:i], parent, *query.dimensions[i + 1:]]
            candidate = query.with_(dimensions=dims)
            if fits(candidate):
                label = model.label(parent, language)
                follow = words["by_dimension"].format(dimension=label)
                out.append(ClarifyOption(follow, follow, candidate))
    return tuple(out)


def _day(value: Any) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value)[:10])
