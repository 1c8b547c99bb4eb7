"""Conversations: ``ChatBI.ask`` with memory, so follow-ups and clarifications work.

>>> bi = ChatBI.sample()                                  # doctest: +SKIP
>>> conv = Conversation()                                 # doctest: +SKIP
>>> bi.ask("2025年各省收入", conversation=conv).query.dimensions   # doctest: +SKIP
('province',)
>>> bi.ask("只看华东", conversation=conv).query.filters    # doctest: +SKIP
(MemberFilter(op='in', dimension='region', values=('华东',)),)

Statuses of ``ask``: ``ok`` (the query ran), ``clarify`` (a short question with runnable options;
``intent == "out_of_scope"`` marks a polite refusal of weather, jokes or "delete all data"),
``error`` (the warehouse or the SQL guard failed; the message says why).

A conversation keeps the last *answered* draft (follow-ups modify it) and, after a
clarification, the draft waiting for the missing piece (an option's ``followup`` text, sent
in the same conversation, completes it). Refusals and errors change neither.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from semantic_layer import Issue, MemberFilter, SemanticLayerError, SemanticQuery

from .answer import Answer
from .errors import ChatBIError
from .translate import OfflineTranslator, Translation, TranslationContext, Translator
from .translate.base import Draft

if TYPE_CHECKING:
    from .api import ChatBI

__all__ = ["Conversation", "Turn", "ask", "understood_line"]

_OFFLINE = OfflineTranslator()


@dataclass(frozen=True)
class Turn:
    question: str
    status: str
    intent: str
    language: str
    query: SemanticQuery | None = None


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
    def awaiting_clarification(self) -> bool:
        return self.pending is not None

    def reset(self) -> None:
        self.turns.clear()
        self.previous = self.pending = None
        self.pending_kind = ""

    def context(self, bi: ChatBI, language: str | None = None) -> TranslationContext:
        spoken = self.turns[-1].language if self.turns else None
        return TranslationContext(model=bi.model, members=bi.members, anchor=bi.anchor, previous=self.previous,
                                  pending=self.pending, pending_kind=self.pending_kind,
                                  language=language or self.language, fallback_language=spoken)

    def record(self, question: str, translation: Translation | None, answer: Answer) -> None:
        self.turns.append(Turn(question, answer.status, answer.intent, answer.language, answer.query))
        if translation is None:
            return
        if answer.status == "clarify":
            if translation.pending is not None:
                self.pending, self.pending_kind = translation.pending, translation.pending_kind
        elif answer.status == "ok" and translation.draft is not None:
            self.previous = translation.draft
            self.pending, self.pending_kind = None, ""

    def remember(self, answer: Answer, question: str | None = None) -> None:
        """Record an answer the caller ran itself (an app chip removed, a suggestion followed),
        so the next typed follow-up ("只看5G", "top 3 only") builds on what the user now sees."""
        from .translate.llm_result import draft_of

        self.turns.append(Turn(question or answer.question or "", answer.status, answer.intent, answer.language,
                               answer.query))
        if answer.ok and answer.query is not None:
            draft = draft_of(answer.query)
            if draft is not None:
                self.previous = draft
                self.pending, self.pending_kind = None, ""

    def __len__(self) -> int:
        return len(self.turns)


def _translator(bi: ChatBI) -> Translator:
    chosen = getattr(bi, "translator", None)
    return chosen if isinstance(chosen, Translator) else _OFFLINE


def ask(bi: ChatBI, question: str, conversation: Conversation | None = None, language: str | None = None,
        translator: Translator | None = None) -> Answer:
    """Translate ``question`` (in the conversation's context), run it and remember the result."""
    conv = conversation if conversation is not None else Conversation()
    if not isinstance(question, str) or not question.strip():
        lang = language or conv.language or bi.language
        text = "请输入一个问题。" if lang == "zh" else "Please ask a question."
        return Answer(status="error", question=question, text=text, error=text, language=lang)
    started = time.perf_counter()
    try:
        translation = (translator or _translator(bi)).translate(question, conv.context(bi, language))
    except (ChatBIError, SemanticLayerError) as exc:
        answer = Answer(status="error", question=question, text=str(exc), error=str(exc),
                        language=language or conv.language or "en")
        conv.record(question, None, answer)
        return answer
    translate_ms = (time.perf_counter() - started) * 1000
    if translation.status == "clarify" or translation.query is None:
        answer = Answer(status="clarify", question=question, text=translation.text, language=translation.language,
                        clarification=translation.options, understood=translation.understood,
                        intent=translation.intent, issues=translation.issues)
    else:
        answer = bi.run(translation.query, question=question, language=translation.language)
        answer.understood = translation.understood
        if translation.intent != answer.intent:
            answer.intent = translation.intent
            if answer.ok:  # ``run`` presented it as a plain query; charts and text depend on the intent
                bi._present(answer, bi.compile(translation.query))
        if translation.intent == "why" and answer.ok:
            _explain(bi, answer, translation.query)
    answer.timings["translate_ms"] = translate_ms
    conv.record(question, translation, answer)
    return answer


def _explain(bi: ChatBI, answer: Answer, query: SemanticQuery) -> None:
    """Attach the root-cause report when the analysis package provides ``explain_change``.

    Until then (or if it fails) the answer is the change itself: the metric over the period
    against the previous one, which ``answer`` already holds.
    """
    explain = getattr(bi, "explain_change", None)
    if explain is None or not answer.period:
        return
    filters = [f for f in query.filters if isinstance(f, MemberFilter)]
    dimensions = [d for d in query.dimensions if "." not in d] or None
    baseline: Any = None
    try:
        compiled = bi.compile(query)
        if compiled.compare_period is not None:
            baseline = compiled.compare_period
        report = explain(query.metrics[0], compiled.period, baseline=baseline, filters=filters or None,
                         dimensions=dimensions, language=answer.language)
    except Exception as exc:  # noqa: BLE001 - the analysis is an extra; the change itself still answers
        answer.issues = (*answer.issues, Issue("explain_failed", f"root-cause analysis unavailable: {exc}"))
        return
    answer.report = report
    summary = getattr(report, "summary", None) or getattr(report, "text", None)
    if isinstance(summary, str) and summary:
        answer.text = summary


def understood_line(answer: Answer) -> str:
    """One line for people: ``understood as: revenue · by province · 2025-11-01..2025-11-30``.

    It describes the whole query that ran (a follow-up shows what it inherited too).
    """
    zh = answer.language == "zh"
    q = answer.query
    if q is None:
        parts = [u["value"] for u in answer.understood if u.get("kind") not in ("context", "typo", "ignored")]
    else:
        parts = list(q.metrics)
        parts += [("按" if zh else "by ") + d for d in q.dimensions]
        for f in q.filters:
            if isinstance(f, MemberFilter):
                parts.append(f"{f.dimension} {'∉' if f.op == 'not_in' else '∈'} {', '.join(map(str, f.values))}"
                             if len(f.values) > 1 else f"{f.dimension} {'≠' if f.op == 'not_in' else '='} {f.values[0]}")
            elif getattr(f, "metric", None):
                parts.append(f"{f.metric} {getattr(f, 'op', '')} {getattr(f, 'value', '')}")
        if answer.period:
            parts.append(f"{answer.period[0]}..{answer.period[1]}")
        if q.compare:
            parts.append(q.compare)
        if q.share:
            parts.append("share")
        if q.limit:
            parts.append(f"{'top' if not q.order_by or q.order_by[0].startswith('-') else 'bottom'} {q.limit}")
    return f"{'理解为' if zh else 'understood as'}: " + " · ".join(dict.fromkeys(parts))
