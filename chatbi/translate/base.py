"""What every translator shares: the ``Translator`` protocol, its context and its result.

A translator turns one question (plus the conversation so far) into a :class:`Translation`:
either a complete ``SemanticQuery`` or a clarification with concrete options. It never runs
SQL; the ask pipeline (``chatbi.pipeline``) runs what it returns.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from typing import Literal, Protocol, runtime_checkable

from semantic_layer import (
    ComparisonFilter,
    Issue,
    MemberFilter,
    RangeFilter,
    RelativeTimeFilter,
    SemanticModel,
    SemanticQuery,
    TimeRange,
)

from ..answer import ClarifyOption, Intent
from ..members import MemberIndex

__all__ = ["Draft", "Exchange", "Translation", "TranslationContext", "Translator", "Understood"]

#: how a word was read: {"text": "收入", "kind": "metric", "value": "revenue"}
Understood = dict[str, str]
#: one earlier exchange of the conversation: the question and, when it was answered, its query
Exchange = tuple[str, SemanticQuery | None]


@dataclass(frozen=True)
class Draft:
    """A query under construction; unlike ``SemanticQuery`` it may still lack its metric.

    Conversations keep the last draft rather than the last query because a draft remembers
    intent a query loses: which metric ranks the rows, whether the grain was chosen for a
    trend, what the "why" was about.
    """

    metrics: tuple[str, ...] = ()
    dimensions: tuple[str, ...] = ()
    members: tuple[MemberFilter, ...] = ()
    thresholds: tuple[ComparisonFilter, ...] = ()
    time_range: TimeRange | None = None
    relative: tuple[RelativeTimeFilter, ...] = ()
    #: periods of a named date column other than the metric's time ("closed in 2019")
    dated: tuple[RangeFilter, ...] = ()
    compare: str | None = None
    #: the stated period a comparison is against ("跟上个月比", "from Q2 to Q3"), with ``compare="baseline"``
    baseline: TimeRange | RelativeTimeFilter | None = None
    share: bool = False
    order: str | None = None  # "desc" | "asc": rank rows by ``rank_metric``
    rank_metric: str | None = None
    limit: int | None = None
    intent: Intent = "query"  # query | list | why | compare

    def with_(self, **changes: object) -> Draft:
        return replace(self, **changes)  # type: ignore[arg-type]

    @property
    def has_time(self) -> bool:
        return self.time_range is not None or bool(self.relative) or bool(self.dated)

    def time_grain(self, time_dimension: str) -> str | None:
        for d in self.dimensions:
            name, _, grain = d.partition(".")
            if name == time_dimension and grain:
                return grain
        return None

    def to_query(self) -> SemanticQuery:
        order_by: tuple[str, ...] = ()
        if self.order and self.metrics:
            metric = self.rank_metric if self.rank_metric in self.metrics else self.metrics[0]
            order_by = (("-" if self.order == "desc" else "") + metric,)
        return SemanticQuery(metrics=self.metrics, dimensions=self.dimensions,
                             filters=(*self.members, *self.thresholds, *self.relative, *self.dated),
                             time_range=self.time_range, compare=self.compare,  # type: ignore[arg-type]
                             baseline=self.baseline if self.compare == "baseline" else None,
                             share=self.share and bool(self.metrics), order_by=order_by, limit=self.limit)


@dataclass(frozen=True)
class TranslationContext:
    """Everything a translator may read besides the question itself."""

    model: SemanticModel
    members: MemberIndex | None
    anchor: dt.date
    #: the last successfully answered draft of the conversation (follow-ups modify it)
    previous: Draft | None = None
    #: the draft of a clarification still waiting for its answer
    pending: Draft | None = None
    pending_kind: str = ""
    #: the answer language the caller asked for (wins over the question's own)
    language: str | None = None
    #: the conversation's language so far: used when a question's words decide nothing ("5G")
    fallback_language: str | None = None
    #: the last few exchanges, oldest first (a language model reads them; the offline parser does not)
    history: tuple[Exchange, ...] = ()


@dataclass(frozen=True)
class Translation:
    status: Literal["ok", "clarify"]
    language: str
    intent: Intent = "query"
    query: SemanticQuery | None = None
    draft: Draft | None = None
    understood: tuple[Understood, ...] = ()
    #: the clarification or refusal text, in the question's language
    text: str = ""
    options: tuple[ClarifyOption, ...] = ()
    #: what to resume when the user answers the clarification, and what it is missing
    pending: Draft | None = None
    pending_kind: str = ""
    issues: tuple[Issue, ...] = ()
    #: 1.0 when every word of the question was understood; hybrid translators ask an LLM below a bar
    confidence: float = 1.0
    followup: bool = False
    notes: tuple[str, ...] = field(default=())
    #: words of the question left out as incidental (a clause that names nothing of the data)
    ignored: tuple[str, ...] = ()


@runtime_checkable
class Translator(Protocol):
    """Turns a question into a :class:`Translation` (the offline parser, an LLM, a hybrid)."""

    def translate(self, question: str, context: TranslationContext) -> Translation: ...
