"""What every section builder shares: the ChatBI view, the period, the language and the SQL log.

The SQL log numbers each distinct statement once; blocks cite those numbers, so every number in
the report points at the SQL that computed it (the appendix).
"""

from __future__ import annotations

import datetime as dt
import itertools
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from semantic_layer import SemanticQuery

from ..charts.formatting import format_period, metric_format
from ..charts.numbers import format_change, format_delta, format_value
from .catalog import say
from .period import Period, comparison_period
from .result import Chart, Delta, SQLEntry, Text, Tone
from .spec import ReportSpec

__all__ = ["Context", "tone"]


def tone(change: float | None, favorable: str) -> Tone:
    """"good" / "bad" / "neutral" for a change of a metric whose favourable direction is given."""
    if change is None or change != change or change == 0 or favorable == "none":
        return "neutral"
    return "good" if (change > 0) == (favorable != "down") else "bad"


@dataclass
class Context:
    """One report build. ``bi`` is the ChatBI *as of* the period's end (relative dates resolve there)."""

    bi: Any
    spec: ReportSpec
    period: Period
    language: str
    #: the newest date with data (the period may end later when it is still running)
    data_end: dt.date
    #: the members the whole report is about and their rows per dimension (``chatbi.reports.scope.ScopeRows``);
    #: sections already carry its filters, free questions are checked against it
    scope_rows: Any = None
    _sql: dict[str, SQLEntry] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _keys: Any = field(default_factory=lambda: itertools.count(1))

    @property
    def model(self) -> Any:
        return self.bi.model

    @property
    def scope(self) -> tuple[Any, ...]:
        """The member filters the report is about (empty for the whole business)."""
        return tuple(self.scope_rows.scope) if self.scope_rows is not None else ()

    @property
    def unit(self) -> str:
        return self.spec.period

    # -- SQL log ----------------------------------------------------------------------------------
    def record(self, purpose: str, statements: Iterable[str | None]) -> tuple[int, ...]:
        """Number the statements (the same SQL keeps its first number) and return their ids."""
        ids: list[int] = []
        with self._lock:
            for sql in statements:
                if not sql:
                    continue
                entry = self._sql.get(sql)
                if entry is None:
                    entry = self._sql[sql] = SQLEntry(len(self._sql) + 1, purpose, sql)
                ids.append(entry.id)
        return tuple(dict.fromkeys(ids))

    def sql_entries(self) -> tuple[SQLEntry, ...]:
        with self._lock:
            return tuple(sorted(self._sql.values(), key=lambda e: e.id))

    def key(self, prefix: str) -> str:
        """A unique element key (chart ids, email Content-IDs)."""
        with self._lock:
            return f"{prefix}-{next(self._keys)}"

    # -- words and numbers --------------------------------------------------------------------------
    def say(self, key: str, **fields: Any) -> str:
        return say(key, self.language, **fields)

    def label(self, name: str) -> str:
        return self.model.label(name, self.language)

    def member(self, dimension: str, value: Any) -> str:
        return self.bi.members.label(dimension, str(value), self.language)

    def label_after_member(self, name: str) -> str:
        """``Guangdong revenue`` rather than ``Guangdong Revenue`` (acronyms such as ARPU stay)."""
        label = self.label(name)
        if self.language == "en" and len(label) > 1 and label[1:2].islower():
            return label[:1].lower() + label[1:]
        return label

    def value(self, metric: str, value: Any) -> str:
        fmt, unit = metric_format(self.model, metric)
        return format_value(value, fmt, unit, self.language)

    def delta(self, metric: str, change: Any, pct: Any) -> str:
        """A change as people read it: percentage points for rates, else the relative change."""
        fmt, unit = metric_format(self.model, metric)
        if fmt == "percent":
            return format_delta(change, fmt, unit, self.language)
        return format_change(pct)

    def favorable(self, metric: str) -> str:
        return getattr(self.model.metrics.get(metric), "favorable", "up") or "up"

    def scope_label(self) -> str:
        """The report's scope in words (``广东``), empty for the whole business."""
        from .scope import scope_label

        return scope_label(self.scope, self.bi.members, self.language) if self.scope else ""

    def period_label(self, period: Period | None = None) -> str:
        p = period or self.period
        return format_period(p[0], p[1], self.language)

    def compare_label(self, compare: str) -> str:
        return self.say(f"compare.{compare}")

    def comparison(self, compare: str) -> Period:
        return comparison_period(self.period, compare)

    # -- queries through the view ---------------------------------------------------------------------
    def run(self, purpose: str, *, metrics: Sequence[str], dimensions: Sequence[str] = (),
            period: Period | None = None, filters: Sequence[Any] = (), compare: str | None = None,
            order_by: Sequence[str] = (), limit: int | None = None) -> tuple[Any, tuple[int, ...]]:
        """One governed query (``ChatBI.run``: compiled, guarded, presented) and its SQL ids."""
        p = period or self.period
        query = SemanticQuery(metrics=tuple(metrics), dimensions=tuple(dimensions), filters=tuple(filters),
                              time_range=(p[0], p[1]), compare=compare,  # type: ignore[arg-type]
                              order_by=tuple(order_by), limit=limit)
        answer = self.bi.run(query, language=self.language)
        return answer, self.record(purpose, [answer.sql])

    def failed(self, answer: Any) -> Text:
        return Text(self.say("failed", reason=answer.error or answer.text or answer.status), "warning")

    def chart(self, prefix: str, figure: Any, sql: tuple[int, ...], caption: str = "", height: int = 340
              ) -> Chart | None:
        return Chart(self.key(prefix), figure, caption, sql, height) if figure is not None else None

    def deltas(self, metric: str, comparisons: dict[str, tuple[Any, Any, Any]]) -> tuple[Delta, ...]:
        favorable = self.favorable(metric)
        return tuple(Delta(self.say(f"compare_short.{kind}"), self.delta(metric, change, pct), tone(change, favorable))
                     for kind, (_, change, pct) in comparisons.items())
