"""Conversations: the memory of ``ChatBI.ask``, so follow-ups and clarifications work.

>>> bi = ChatBI.sample()                                  # doctest: +SKIP
>>> conv = Conversation()                                 # doctest: +SKIP
>>> bi.ask("2025年各省收入", conversation=conv).query.dimensions   # doctest: +SKIP
('province',)
>>> bi.ask("只看华东", conversation=conv).query.filters    # doctest: +SKIP
(MemberFilter(op='in', dimension='region', values=('华东',)),)

Statuses of ``ask``: ``ok`` (the query ran), ``clarify`` (a short question with runnable options;
``intent == "out_of_scope"`` marks a polite refusal of weather, jokes or "delete all data"),
``error`` (the warehouse or the SQL guard failed; the message says why).

A conversation only holds state: the turns so far, the last *answered* draft (follow-ups
modify it) and, after a clarification, the draft waiting for the missing piece (an option's
``followup`` text, sent in the same conversation, completes it). Refusals and errors change
neither. The ask pipeline (``chatbi.pipeline``) reads it before translating and records each
turn at the end.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from semantic_layer import ComparisonFilter, Filter, MemberFilter, RangeFilter, SemanticQuery

from .answer import Answer, ClarifyOption, Intent, Status
from .translate.base import Draft, Translation

__all__ = ["Conversation", "Turn", "understood_line"]


@dataclass(frozen=True)
class Turn:
    question: str
    status: Status
    intent: Intent
    language: str
    query: SemanticQuery | None = None
    #: a clarification's options, numbered from 1 (a reply "2" picks the second)
    options: tuple[ClarifyOption, ...] = ()


@dataclass
class Conversation:
    """The state of one dialogue. Not thread-safe: one conversation per user session."""

    #: answer language for every turn; None answers each question in its own language
    language: str | None = None
    turns: list[Turn] = field(default_factory=list)
    previous: Draft | None = None
    pending: Draft | None = None
    pending_kind: str = ""

    @property
    def last_query(self) -> SemanticQuery | None:
        """The query of the last answered turn."""
        for turn in reversed(self.turns):
            if turn.status == "ok" and turn.query is not None:
                return turn.query
        return None

    @property
    def last_options(self) -> tuple[ClarifyOption, ...]:
        """The options of the clarification just asked, if the last turn was one."""
        return self.turns[-1].options if self.turns and self.turns[-1].status == "clarify" else ()

    @property
    def awaiting_clarification(self) -> bool:
        return self.pending is not None

    def reset(self) -> None:
        self.turns.clear()
        self.previous = self.pending = None
        self.pending_kind = ""

    def record(self, question: str, translation: Translation | None, answer: Answer) -> None:
        self.turns.append(Turn(question, answer.status, answer.intent, answer.language, answer.query,
                               answer.clarification if answer.status == "clarify" else ()))
        if translation is None:
            return
        if answer.status == "clarify":
            if translation.pending is not None:
                self.pending, self.pending_kind = translation.pending, translation.pending_kind
            elif translation.draft is not None and any(i.code == "too_many_rows" for i in answer.issues):
                self.previous = translation.draft  # "按月" / "只看广东" narrows the question that was too large
        elif answer.status == "ok" and translation.draft is not None:
            self.previous = translation.draft
            self.pending, self.pending_kind = None, ""

    def remember(self, answer: Answer, question: str | None = None, *, time_dimension: str) -> None:
        """Record an answer the caller ran itself (an app chip removed, a suggestion followed),
        so the next typed follow-up ("只看5G", "top 3 only") builds on what the user now sees.

        ``time_dimension`` is the model's (``SemanticModel.time_dimension``: ``date``, or
        ``metric_time`` in models imported from MetricFlow): a date range filter on it becomes
        the draft's period.
        """
        from .translate.llm_result import draft_of

        self.turns.append(Turn(question or answer.question or "", answer.status, answer.intent, answer.language,
                               answer.query))
        if answer.ok and answer.query is not None:
            draft = draft_of(answer.query, time_dimension)
            if draft is not None:
                self.previous = draft
                self.pending, self.pending_kind = None, ""

    def __len__(self) -> int:
        return len(self.turns)


def understood_line(answer: Answer, model: Any = None) -> str:
    """One line for people: ``understood as: revenue · by province · 2025-11-01..2025-11-30``.

    It describes the whole query that ran (a follow-up shows what it inherited too), says when the
    period was the model's default or all data, and lists the words left out as ignored. With the
    ``model``, metrics and dimensions are named by their labels in the answer's language (a CSV
    header 金额 rather than the column name ``col3`` the view gave it).
    """
    zh = answer.language == "zh"

    def name(ref: str) -> str:
        if model is None:
            return ref
        base, _, grain = ref.partition(".")
        try:
            label = model.label(base, answer.language)
        except Exception:  # noqa: BLE001 - a name the model does not know is shown as it is
            return ref
        return f"{label}.{grain}" if grain else label

    q = answer.query
    if q is None:
        parts = [u["value"] for u in answer.understood if u.get("kind") not in ("context", "typo", "gloss", "ignored")]
    else:
        parts = [name(m) for m in q.metrics]
        parts += [("按" if zh else "by ") + name(d) for d in q.dimensions]
        parts += [p for p in (_filter_words(f, name) for f in q.filters) if p]
        if answer.period:
            assumed = any(u.get("kind") == "default_period" for u in answer.understood)
            no_period = q.time_range is None and not any(getattr(f, "op", "") == "relative" for f in q.filters)
            note = ("（默认时间）" if zh else " (default period)") if assumed else \
                ("（全部数据）" if zh else " (all data)") if no_period else ""
            parts.append(f"{answer.period[0]}..{answer.period[1]}{note}")
        if q.compare == "baseline" and answer.compare_period:
            parts.append(f"vs {answer.compare_period[0]}..{answer.compare_period[1]}")
        elif q.compare:
            parts.append(q.compare)
        if q.share:
            parts.append("share")
        if q.limit:
            parts.append(f"{'top' if not q.order_by or q.order_by[0].startswith('-') else 'bottom'} {q.limit}")
    line = f"{'理解为' if zh else 'understood as'}: " + " · ".join(dict.fromkeys(parts))
    glossed = [u for u in answer.understood if u.get("kind") == "gloss"]
    if glossed:  # words read through the dictionary, not the model's own names: shown with the gloss
        line += f" | {'按词典理解' if zh else 'read via dictionary'}: " + ("、" if zh else ", ").join(
            f"{u['text']} = {name(u['value'])} ({u.get('gloss', '')})" for u in glossed)
    if answer.ignored:  # words left out are shown, never dropped silently
        line += f" | {'已忽略' if zh else 'ignored'}: " + ("、" if zh else ", ").join(answer.ignored)
    return line


def _filter_words(f: Filter, name: Callable[[str], str]) -> str | None:
    """A member or metric filter as a short formula (``name`` labels a dimension or metric);
    periods are shown from the answer."""
    if isinstance(f, MemberFilter):
        dim = name(f.dimension)
        if len(f.values) > 1:
            return f"{dim} {'∉' if f.op == 'not_in' else '∈'} {', '.join(map(str, f.values))}"
        return f"{dim} {'≠' if f.op == 'not_in' else '='} {f.values[0]}"
    if isinstance(f, ComparisonFilter) and f.metric:
        return f"{name(f.metric)} {f.op} {f.value}"
    if isinstance(f, RangeFilter) and f.metric:
        return f"{name(f.metric)} {f.low}..{f.high}"
    return None
