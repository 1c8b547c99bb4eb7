"""What the LLM translator returns: its result, its cost, and the result as a conversation ``Translation``.

Also the user-facing wording (both languages) of clarifications and endpoint trouble. The
model's own words are never repeated to the user for problems or refusals: an injected
question could make them say anything.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field, fields
from typing import Any, Literal

from pydantic import ValidationError

from semantic_layer import (
    ComparisonFilter,
    Issue,
    IssueCode,
    MemberFilter,
    RangeFilter,
    RelativeTimeFilter,
    SemanticModel,
    SemanticQuery,
    TimeRange,
    validate_query,
)

from ..answer import ClarifyOption
from ..messages import CATALOG, message
from .base import Draft, Translation, TranslationContext
from .prompt import Turn

__all__ = ["Outcome", "LLMUsage", "LLMResult", "LLMTranslation", "detect_language", "say", "describe_issues",
           "conversation_turns", "draft_of", "to_translation"]

Outcome = Literal["query", "sql", "clarify", "unavailable"]


@dataclass(frozen=True)
class LLMUsage:
    """What one translation cost: model calls, HTTP retries, tokens and wall time."""

    rounds: int = 0
    retries: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    ms: float = 0.0

    def __add__(self, other: LLMUsage) -> LLMUsage:
        return LLMUsage(self.rounds + other.rounds, self.retries + other.retries,
                        self.prompt_tokens + other.prompt_tokens,
                        self.completion_tokens + other.completion_tokens, self.ms + other.ms)

    def timings(self, prefix: str = "llm") -> dict[str, float]:
        return {f"{prefix}_ms": self.ms, f"{prefix}_rounds": float(self.rounds),
                f"{prefix}_retries": float(self.retries),
                f"{prefix}_prompt_tokens": float(self.prompt_tokens),
                f"{prefix}_completion_tokens": float(self.completion_tokens)}


@dataclass(frozen=True)
class LLMResult:
    """A translation: a validated query, free SQL (still to be guarded), a clarification or no answer."""

    outcome: Outcome
    language: str = "en"
    query: SemanticQuery | None = None
    sql: str | None = None
    #: for clarify / unavailable: what to tell the user, in their language
    message: str = ""
    #: ambiguous / missing / unknown / out_of_scope / invalid / timeout / unreachable / http_error / garbage
    reason: str = ""
    options: tuple[str, ...] = ()
    #: the validation problems of the last attempt when repairs ran out
    issues: tuple[Issue, ...] = ()
    #: the last invalid query, kept so the clarification can offer repaired variants
    draft: SemanticQuery | None = None
    usage: LLMUsage = field(default_factory=LLMUsage)

    @property
    def ok(self) -> bool:
        return self.outcome in ("query", "sql")


@dataclass(frozen=True)
class LLMTranslation(Translation):
    """A :class:`Translation` that also carries the model's cost and, in free-SQL mode, its SQL.

    ``source`` says who produced the answer (``llm``, or ``offline`` when the hybrid fell back);
    ``reason`` why the model did not give a query (timeout, invalid, out_of_scope ...).
    """

    sql: str | None = None
    usage: LLMUsage = field(default_factory=LLMUsage)
    source: str = "llm"
    reason: str = ""

    @property
    def timings(self) -> dict[str, float]:
        return self.usage.timings() if self.usage.rounds or self.usage.ms else {}

    @classmethod
    def wrap(cls, translation: Translation, **extra: Any) -> LLMTranslation:
        """``translation`` (e.g. the offline one) with LLM cost attached."""
        base = {f.name: getattr(translation, f.name) for f in fields(Translation)}
        if isinstance(translation, LLMTranslation):
            base.update({f.name: getattr(translation, f.name) for f in fields(LLMTranslation)})
        base.update(extra)
        return cls(**base)


def detect_language(text: str) -> str:
    """``zh`` when the text contains Chinese characters, else ``en``.

    >>> detect_language("2025年各省收入"), detect_language("revenue by province")
    ('zh', 'en')
    """
    return "zh" if re.search(r"[\u3400-\u4dbf\u4e00-\u9fff]", text) else "en"


def say(language: str, key: str, **kw: str) -> str:
    """A sentence of the LLM translator (``llm.*`` in the message catalogs)."""
    return message(f"llm.{key}", language, **kw)


# -- results as translations ---------------------------------------------------------------
def conversation_turns(context: TranslationContext) -> tuple[Turn, ...]:
    """What the conversation so far tells the model: earlier exchanges and the open clarification."""
    turns: list[Turn] = []
    for question, query in context.history:
        turns.append(Turn(question, query))
    if not turns and context.previous is not None:
        query = _query_of(context.previous)
        if query is not None:
            turns.append(Turn("(previous question)", query))
    if context.pending is not None:
        missing = context.pending_kind or "a choice"
        turns.append(Turn("(unfinished question)", None,
                          f"I asked the user for {missing}; their next message answers that. "
                          f"The unfinished query so far: {_describe_draft(context.pending)}"))
    return tuple(turns)


def _query_of(draft: Draft) -> SemanticQuery | None:
    try:
        return draft.to_query()
    except (ValidationError, ValueError):
        return None


def _describe_draft(draft: Draft) -> str:
    query = _query_of(draft)
    if query is not None:
        return query.model_dump_json(exclude_defaults=True)
    parts = {k: v for k, v in (("metrics", list(draft.metrics)), ("dimensions", list(draft.dimensions)),
                               ("filters", [f.model_dump(mode="json") for f in (*draft.members, *draft.relative)]))
             if v}
    return json.dumps(parts, ensure_ascii=False)


def draft_of(query: SemanticQuery, time_dimension: str = "date") -> Draft | None:
    """The conversation draft of a query, so offline follow-ups can build on an LLM answer.

    A date range written as a ``between`` filter becomes the draft's time range. None when
    the query has parts a draft cannot hold (ranges on metrics, several sort keys).
    """
    members = tuple(f for f in query.filters if isinstance(f, MemberFilter))
    thresholds = tuple(f for f in query.filters if isinstance(f, ComparisonFilter))
    relative = tuple(f for f in query.filters if isinstance(f, RelativeTimeFilter))
    ranges = [f for f in query.filters if isinstance(f, RangeFilter)]
    time_range = query.time_range
    on_time = [f for f in ranges if f.dimension == time_dimension]
    if len(on_time) == 1 and time_range is None:
        try:
            time_range = TimeRange(start=on_time[0].low, end=on_time[0].high)  # type: ignore[arg-type]
        except ValidationError:
            return None
        query = query.model_copy(update={"filters": tuple(f for f in query.filters if f is not on_time[0]),
                                         "time_range": time_range})
    order = rank = None
    if query.order_by:
        key = query.order_by[0]
        order, rank = ("desc" if key.startswith("-") else "asc"), key.lstrip("-+")
    # a range on another date column ("closed in 2019"); a range on a metric stays out (no draft holds it)
    dated = tuple(f for f in query.filters if isinstance(f, RangeFilter) and f.dimension is not None)
    draft = Draft(metrics=query.metrics, dimensions=query.dimensions, members=members, thresholds=thresholds,
                  time_range=time_range, relative=relative, dated=dated, compare=query.compare,
                  baseline=query.baseline, share=query.share,
                  order=order, rank_metric=rank, limit=query.limit,
                  intent="list" if not query.metrics else "query")
    rebuilt = _query_of(draft)
    return draft if rebuilt is not None and _same(rebuilt, query) else None


def _same(a: SemanticQuery, b: SemanticQuery) -> bool:
    """Equal up to the order of filters (a draft lists them by kind)."""
    def key(q: SemanticQuery) -> tuple[Any, list[str]]:
        return (q.model_copy(update={"filters": ()}), sorted(f.model_dump_json() for f in q.filters))
    return key(a) == key(b)


def to_translation(result: LLMResult, question: str, model: SemanticModel) -> LLMTranslation:
    lang = result.language
    common: dict[str, Any] = {"language": lang, "usage": result.usage, "reason": result.reason}
    if result.outcome == "query" and result.query is not None:
        q = result.query
        return LLMTranslation("ok", intent="query" if q.metrics else "list", query=q,
                              draft=draft_of(q, model.time_dimension),
                              understood=_understood(q, model, lang), **common)
    if result.outcome == "sql":
        return LLMTranslation("ok", intent="free_sql", sql=result.sql, **common)
    options = _repair_options(result, question, model) or tuple(
        ClarifyOption(label=o, followup=o) for o in result.options)
    return LLMTranslation("clarify", intent="refuse" if result.reason == "out_of_scope" else "clarify",
                          text=result.message, options=options, issues=result.issues, confidence=0.0, **common)


def _understood(query: SemanticQuery, model: SemanticModel, lang: str) -> tuple[dict[str, str], ...]:
    out = [{"text": model.label(m, lang), "kind": "metric", "value": m} for m in query.metrics]
    out += [{"text": model.label(d.partition(".")[0], lang), "kind": "dimension", "value": d} for d in query.dimensions]
    for f in query.filters:
        if isinstance(f, MemberFilter):
            out += [{"text": str(v), "kind": "member", "value": f"{f.dimension}={v}"} for v in f.values]
    return tuple(out)


def _repair_options(result: LLMResult, question: str, model: SemanticModel) -> tuple[ClarifyOption, ...]:
    """When repairs ran out on a name, offer the "did you mean" names as complete queries."""
    draft = result.draft
    if draft is None:
        return ()
    options: list[ClarifyOption] = []
    for issue in result.issues:
        subject = issue.subject
        if (issue.code not in (IssueCode.UNKNOWN_METRIC, IssueCode.UNKNOWN_DIMENSION) or subject is None
                or subject.part not in ("metrics", "dimensions") or subject.index is None):
            continue
        attr, index = subject.part, subject.index
        for candidate in issue.candidates:
            names = list(getattr(draft, attr))
            names[index] = candidate
            try:
                fixed = draft.with_(**{attr: names})
            except ValidationError:
                continue
            if validate_query(model, fixed):
                continue
            label = model.label(candidate, result.language)
            hint = message("common.aside", result.language, text=label)
            options.append(ClarifyOption(label=label, followup=question + hint, query=fixed))
        if options:
            break
    return tuple(options[:5])


def describe_issues(issues: Sequence[Issue], model: SemanticModel, language: str) -> str:
    """The problems in the user's words (``issue.<code>`` in the message catalogs): the model's own
    words are never repeated, since an injected question could make them say anything."""
    if not issues:
        return say(language, "no_usable_answer")
    parts = list(dict.fromkeys(_issue_text(i, language) for i in issues))
    names = list(dict.fromkeys(c for i in issues for c in i.candidates))[:3]
    sep = message("common.join", language)
    text = sep.join(parts)
    if names:
        labels = message("common.list_sep", language).join(
            f"{model.label(n, language)} ({n})" if model.label(n, language) != n else n for n in names)
        text += sep + say(language, "did_you_mean", names=labels)
    return text


def _issue_text(issue: Issue, language: str) -> str:
    key = f"issue.{issue.code}"
    return message(key if CATALOG.has(key) else "issue.other", language)
