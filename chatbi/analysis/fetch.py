"""Aggregates for analysis, always through the semantic layer (the database does the heavy lifting).

Every frame here comes from a :class:`~semantic_layer.SemanticQuery` compiled by
``ChatBI.compile`` -- the same governed SQL a user's question would run -- so analysis never
reads raw fact rows and never disagrees with the numbers a plain query shows. The SQL that
ran is kept so reports can show where each number came from.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pandas as pd
from pydantic import TypeAdapter, ValidationError

from semantic_layer import SemanticQuery
from semantic_layer.query import Filter, MemberFilter

from ..errors import ConfigError
from .periods import Period

if TYPE_CHECKING:
    from ..api import ChatBI

__all__ = ["Fetcher", "FilterArg", "normalize_filters", "member_filters"]

#: filters as the analysis functions accept them: None, ``{"province": "广东"}``, or filter dicts / models
FilterArg = Mapping[str, Any] | Iterable[Mapping[str, Any] | Filter] | None

_FILTER = TypeAdapter(Filter)
#: more rows than this from one analysis query means the dimensions are too fine; analysis reads
#: whole aggregates, so its guard (``ChatBI.guard_for``) caps at this rather than the display cap
MAX_ROWS = 100_000


def normalize_filters(filters: FilterArg) -> tuple[Filter, ...]:
    """Filters as the semantic layer's models.

    Accepts ``None``, a mapping shorthand ``{"province": "广东"}`` / ``{"province": ["广东", "浙江"]}``,
    or a sequence of filter dicts / filter models (the ``SemanticQuery.filters`` shape).
    """
    if filters is None:
        return ()
    if isinstance(filters, Mapping) and "op" not in filters:
        return tuple(MemberFilter(op="in", dimension=str(k),
                                  values=tuple(v) if isinstance(v, (list, tuple, set, frozenset)) else (v,))
                     for k, v in filters.items())
    items: Iterable[Any] = [filters] if isinstance(filters, Mapping) else filters
    out: list[Filter] = []
    for item in items:
        try:
            out.append(_FILTER.validate_python(item))
        except ValidationError as exc:
            raise ConfigError(f"invalid filter {item!r}: {exc.errors()[0]['msg']}") from None
    return tuple(out)


def member_filters(members: Mapping[str, str]) -> tuple[Filter, ...]:
    """Filters that keep one combination of members (``{"province": "广东", "channel": "线上"}``)."""
    return tuple(MemberFilter(op="in", dimension=d, values=(v,)) for d, v in members.items())


@dataclass
class Fetcher:
    """Runs semantic queries for one analysis and remembers the SQL."""

    bi: ChatBI
    filters: tuple[Filter, ...] = ()
    sql: list[str] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def query(self, metrics: Sequence[str], dimensions: Sequence[str] = (), period: Period | None = None,
              extra_filters: Sequence[Filter] = ()) -> pd.DataFrame:
        """One aggregate: ``metrics`` grouped by ``dimensions`` over ``period``."""
        try:
            query = SemanticQuery(metrics=tuple(dict.fromkeys(metrics)), dimensions=tuple(dimensions),
                                  filters=(*self.filters, *extra_filters),
                                  time_range=(period[0], period[1]) if period else None,  # type: ignore[arg-type]
                                  limit=MAX_ROWS + 1)  # one more row tells "too many" from "exactly the cap"
        except ValidationError as exc:
            raise ConfigError(f"invalid analysis query: {exc.errors()[0]['msg']}") from None
        compiled = self.bi.compile(query)
        # the same guard every governed statement passes (the compiled tree is ours to cap)
        sql = self.bi.guard_for(MAX_ROWS).check_expression(compiled.expression, copy=False)
        with self._lock:
            self.sql.append(sql)
        frame = self.bi.engine.execute(sql)
        if len(frame) > MAX_ROWS:
            raise ConfigError(f"more than {MAX_ROWS:,} groups over {', '.join(dimensions)}: too many to analyse; "
                              "pass fewer or coarser dimensions")
        return frame

    def many(self, jobs: Sequence[tuple[Sequence[str], Sequence[str], Period | None, Sequence[Filter]]]
             ) -> list[pd.DataFrame]:
        """Several aggregates at once: the engine is thread-safe and DuckDB scans in parallel."""
        if len(jobs) == 1:
            return [self.query(*jobs[0])]
        with ThreadPoolExecutor(max_workers=min(4, len(jobs))) as pool:
            return list(pool.map(lambda job: self.query(*job), jobs))
