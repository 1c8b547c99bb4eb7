"""Clarifications and refusals: short questions with concrete options, in the question's language.

Every option's ``followup`` is text the translator itself reads back unambiguously (a metric's
label, "按城市" / "by City"), so clicking an option -- or typing it -- in the same conversation
resolves the clarification. Options carry the resolved ``SemanticQuery`` when it is complete.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence

from pydantic import ValidationError

from semantic_layer import SemanticQuery, TimeRange, suggest, validate_query

from ..answer import ClarifyOption, Intent
from ..charts.formatting import format_period
from .accounting import Unaccounted
from .base import Draft, Translation, TranslationContext
from .glossary import gloss_index
from .lexicon import Lexicon
from .normalize import is_cjk

__all__ = ["Clarifier"]

MAX_OPTIONS = 6


class Clarifier:
    def __init__(self, lex: Lexicon, ctx: TranslationContext, language: str,
                 understood: Sequence[dict[str, str]]) -> None:
        self.lex = lex
        self.model = lex.model
        self.ctx = ctx
        self.lang = language
        self.understood = tuple(understood)

    # -- option helpers -----------------------------------------------------------------
    def _msg(self, key: str, **values: object) -> str:
        return self.lex.grammar.message(key, self.lang, **values)

    def _valid(self, draft: Draft) -> SemanticQuery | None:
        try:
            query = draft.to_query()
        except (ValidationError, ValueError):
            return None
        members = self.ctx.members.as_sets() if self.ctx.members else None
        return None if validate_query(self.model, query, members) else query

    def metric_label(self, name: str) -> str:
        return self.model.label(name, self.lang)

    def dimension_followup(self, name: str) -> str:
        label = self.model.label(name, self.lang)
        return self._msg("followup_by", label=label)

    def metric_options(self, draft: Draft, names: Iterable[str], *, add: bool = False) -> tuple[ClarifyOption, ...]:
        out: list[ClarifyOption] = []
        for name in dict.fromkeys(names):
            if name not in self.model.metrics or self.model.metrics[name].hidden:
                continue
            metrics = (*draft.metrics, name) if add else (name,)
            resolved = draft.with_(metrics=metrics)
            query = self._valid(resolved) if draft.intent != "list" else None
            if query is None and self._valid(draft.with_(metrics=(name,), dimensions=(), members=())) is None:
                continue
            if query is None and draft.dimensions and self._valid(resolved) is None:
                continue  # the metric cannot be broken down the way the question asks
            out.append(ClarifyOption(self.metric_label(name), self.metric_label(name), query))
            if len(out) >= MAX_OPTIONS:
                break
        return tuple(out)

    def dimension_options(self, draft: Draft, names: Iterable[str]) -> tuple[ClarifyOption, ...]:
        out: list[ClarifyOption] = []
        for name in dict.fromkeys(names):
            dim = self.model.dimensions.get(name)
            if dim is None or dim.type == "time":
                continue
            resolved = draft.with_(dimensions=(*draft.dimensions, name))
            query = self._valid(resolved)
            if query is None and draft.metrics:
                continue
            out.append(ClarifyOption(self.model.label(name, self.lang), self.dimension_followup(name), query))
            if len(out) >= MAX_OPTIONS:
                break
        return tuple(out)

    def examples(self) -> tuple[ClarifyOption, ...]:
        wanted_zh = self.lang == "zh"
        picked = [e for e in self.model.spec.examples if any(is_cjk(c) for c in e) == wanted_zh]
        return tuple(ClarifyOption(e, e) for e in (picked or list(self.model.spec.examples))[:3])

    def _example_metrics(self) -> str:
        names = [self.metric_label(m) for m in self.model.visible_metrics[:3]]
        return self._msg("list_sep").join(names)

    def _clarify(self, text: str, options: tuple[ClarifyOption, ...], *, intent: Intent = "clarify",
                 pending: Draft | None = None, kind: str = "", confidence: float = 0.3) -> Translation:
        return Translation(status="clarify", language=self.lang, intent=intent, text=text, options=options,
                           pending=pending, pending_kind=kind, understood=self.understood, confidence=confidence)

    # -- the clarifications ---------------------------------------------------------------
    def refuse(self, reason: str) -> Translation:
        label = self.model.spec.label.get(self.lang) or self.model.spec.label.get("en") or self.model.name
        if reason == "destructive":
            text = self._msg("destructive")
        elif reason == "oos":
            text = self._msg("out_of_scope", model=label, examples=self._example_metrics())
        else:
            text = self._msg("nothing_understood", examples=self._example_metrics())
        # a refusal of destructive or off-topic requests is final; "understood nothing" is not
        # (a hybrid translator should then ask the model, which may read what the grammar cannot)
        confidence = 0.0 if reason not in ("destructive", "oos") else 1.0
        return self._clarify(text, self.examples(), intent="out_of_scope", confidence=confidence)

    def ask_metric(self, draft: Draft, unknown: Sequence[str]) -> Translation:
        candidates = self.suggest_metrics(unknown)
        ordered = list(candidates) + [m for m in self.model.visible_metrics if m not in candidates]
        options = self.metric_options(draft, ordered)
        context = ""
        if unknown:
            word = unknown[0]
            text = self._msg("ask_unknown", word=word) + self._msg("word_gap") + (
                self._msg("did_you_mean") if candidates else self._msg("ask_metric", context=""))
        else:
            text = self._msg("ask_metric", context=context)
        return self._clarify(text, options, pending=draft, kind="metric")

    def ask_foreign(self, draft: Draft, words: str) -> Translation:
        """A condition on something the model does not hold ("over 60 years old"): say so, and offer
        the answer without it (the question's metrics first)."""
        ordered = [*draft.metrics, *(m for m in self.model.visible_metrics if m not in draft.metrics)]
        options = self.metric_options(draft, ordered)
        return self._clarify(self._msg("ask_foreign", word=words), options, pending=draft, kind="metric")

    def ask_ambiguous(self, draft: Draft, word: str, metrics: Sequence[str], *, add: bool) -> Translation:
        options = self.metric_options(draft, metrics, add=add)
        return self._clarify(self._msg("ask_ambiguous", word=word), options, pending=draft,
                             kind="metric_add" if add else "metric")

    def ask_member(self, draft: Draft, word: str, readings: Sequence[tuple[str, str]]) -> Translation:
        options = []
        for dim, value in readings:
            dim_label = self.model.label(dim, self.lang)
            member = self.ctx.members.label(dim, value, self.lang) if self.ctx.members else value
            followup = self._msg("followup_member", dimension=dim_label, dimension_lower=dim_label.lower(),
                                 value=value, member=member)
            options.append(ClarifyOption(f"{dim_label}: {member}", followup, None))
        return self._clarify(self._msg("ask_ambiguous_member", word=word), tuple(options), pending=draft, kind="member")

    def ask_dimension(self, draft: Draft, n: int | None) -> Translation:
        options = self.dimension_options(draft, self.model.dimensions)
        return self._clarify(self._msg("ask_dimension", n=n or ""), options, pending=draft, kind="dimension")

    def ask_unknown_dimension(self, draft: Draft, word: str) -> Translation:
        pool = {alias: name for (kind, name, _), aliases in self.lex.aliases_of.items() if kind == "dimension"
                for alias in aliases}
        near = [pool[a] for a in suggest(word.lower(), pool, cutoff=0.5)]
        options = self.dimension_options(draft, [*near, *self.model.dimensions])
        return self._clarify(self._msg("ask_unknown_dimension", word=word), options, pending=draft, kind="dimension")

    def ask_unreachable(self, draft: Draft, dimension: str) -> Translation:
        metric = self.metric_label(draft.metrics[0]) if draft.metrics else ""
        kept = draft.with_(dimensions=tuple(d for d in draft.dimensions if d != dimension),
                           members=tuple(f for f in draft.members if f.dimension != dimension))
        options = self.dimension_options(kept, [d for d in self.model.dimensions if d != dimension])
        text = self._msg("ask_unreachable", metric=metric, dimension=self.model.label(dimension, self.lang))
        return self._clarify(text, options, pending=kept, kind="dimension")

    def ask_unaccounted(self, draft: Draft, word: Unaccounted, question: str,
                        metrics: Sequence[str] = ()) -> Translation:
        """A word the model lacks would change the answer: say so, offer the closest model terms (the
        question with the word replaced) and the question without it (its query, resolved)."""
        options: list[ClarifyOption] = []
        for *_, label in self.closest_terms(word.text):
            options.append(ClarifyOption(label, _spliced(question, word.source, label)))
        kept = draft.with_(thresholds=()) if word.qualifies else draft
        query = self._valid(kept) if kept.metrics else None
        if query is not None:
            label = self._msg("without_word", word=word.text, query=self.describe(kept))
            options.append(ClarifyOption(label, _spliced(question, word.source, ""), query))
        if not kept.metrics:  # nothing to keep: the metrics one could ask about instead
            options += self.metric_options(kept, [*metrics, *self.model.visible_metrics])
        seen: set[str] = set()
        unique = [o for o in options if not (o.label in seen or seen.add(o.label))]  # type: ignore[func-returns-value]
        key = "ask_number" if word.number else "ask_unaccounted"
        return self._clarify(self._msg(key, word=word.text), tuple(unique[:MAX_OPTIONS]), pending=kept,
                             kind="unaccounted")

    def ask_change_ranking(self, draft: Draft, question: str, ranks: Sequence[tuple[int, int]],
                           changes: Sequence[tuple[int, int]], words: str) -> Translation:
        """"增长最快的省份": ranking by the size of a change is not something a query can do yet, and the
        value's ranking with a comparison beside it would name another winner. Offer both halves:
        every member's change (the ranking words dropped) and the ranking by the value (the change words dropped)."""
        options: list[ClarifyOption] = []
        changed = draft.with_(order=None, rank_metric=None, limit=None, compare=draft.compare or "previous_period")
        valued = draft.with_(compare=None, baseline=None)
        for kept, spans, key in ((changed, ranks, "change_option"), (valued, changes, "value_option")):
            query = self._valid(kept)
            if query is None:
                continue
            followup = question
            for span in sorted(spans, reverse=True):
                followup = _spliced(followup, span, "")
            options.append(ClarifyOption(self._msg(key, query=self.describe(kept)), followup, query))
        return self._clarify(self._msg("ask_change_ranking", words=words), tuple(options), pending=draft,
                             kind="unaccounted")

    def closest_terms(self, word: str) -> list[tuple[str, str, str, str]]:
        """(kind, name, member value, label) of model names that look like ``word`` (spelling or
        shared characters), best first."""
        pool: dict[str, tuple[str, str, str]] = {}
        for (kind, name, value), aliases in self.lex.aliases_of.items():
            if kind == "metric" and self.model.metrics[name].hidden:
                continue
            for alias in aliases:
                pool.setdefault(alias, (kind, name, value))
        key = word.lower()
        found = self.gloss_candidates(key)
        found += [pool[a] for a in suggest(key, pool, n=4, cutoff=0.75)]
        if not key.isascii() and len(key) >= 2:
            # Chinese: names sharing a two-character word with it (营业额 -> 营业收入, 营业厅), most shared first
            pairs = {key[k:k + 2] for k in range(len(key) - 1)}
            shared = sorted(((sum(p in a for p in pairs), a) for a in pool if len(a) >= 2), reverse=True)
            found += [pool[a] for n, a in shared if n]
        out: list[tuple[str, str, str, str]] = []
        for kind, name, value in dict.fromkeys(found):
            if kind == "member":
                label = self.ctx.members.label(name, value, self.lang) if self.ctx.members else value
            else:
                label = self.model.label(name, self.lang)
            out.append((kind, name, value, label))
        return out[:3]

    def gloss_candidates(self, word: str) -> list[tuple[str, str, str]]:
        """(kind, name, member value) of the model elements a Chinese ``word`` may name through its
        dictionary glosses ("重量" -> net and gross weight): offered first, never chosen for the user."""
        if not word or not all(is_cjk(c) for c in word):
            return []
        return [(kind, name, value) for kind, name, value in gloss_index(self.lex).candidates(word)
                if not (kind == "metric" and self.model.metrics[name].hidden)]

    def describe(self, draft: Draft) -> str:
        """A short description of a draft for an option: "收入 · 按省份 · 广东"."""
        parts = [self.metric_label(m) for m in draft.metrics]
        parts += [self.dimension_followup(d.partition(".")[0]) for d in draft.dimensions]
        for f in draft.members:
            names = [self.ctx.members.label(f.dimension, str(v), self.lang) if self.ctx.members else str(v)
                     for v in f.values]
            parts.append(("≠ " if f.op == "not_in" else "") + "、".join(names))
        return " · ".join(parts)

    def invalid(self, detail: str) -> Translation:
        return self._clarify(self._msg("invalid", detail=detail), self.examples())

    def empty_period(self, periods: Sequence[tuple[str, tuple[dt.date, dt.date]]], draft: Draft) -> Translation:
        """Periods that cannot both hold ("2024年的上个月"): say which, in the user's words, and offer
        each period alone -- and, for two, the comparison of the later with the earlier."""
        named = [self._period_words(text, period) for text, period in periods]
        detail = self._msg("period_and").join(named)
        options: list[ClarifyOption] = []
        plain = draft.with_(time_range=None, relative=(), compare=None, baseline=None)
        for words, (_, (start, end)) in zip(named, periods):
            option = plain.with_(time_range=TimeRange(start=start, end=end))
            options.append(ClarifyOption(words, self._period_followup(option, start, end), self._valid(option)))
        if len(periods) == 2 and draft.metrics:
            (_, a), (_, b) = sorted(periods, key=lambda x: x[1][0])
            if a[1] < b[0] and abs((a[1] - a[0]).days - (b[1] - b[0]).days) <= 3:  # alike periods: compare them
                both = plain.with_(time_range=TimeRange(start=b[0], end=b[1]), compare="baseline",
                                   baseline=TimeRange(start=a[0], end=a[1]))
                label = self._msg("compare_periods", current=format_period(b[0], b[1], self.lang),
                                  baseline=format_period(a[0], a[1], self.lang))
                options.append(ClarifyOption(label, label, self._valid(both)))
        return self._clarify(self._msg("empty_period", detail=detail), tuple(options), pending=draft, kind="period")

    def _period_words(self, text: str, period: tuple[dt.date, dt.date]) -> str:
        shown = format_period(period[0], period[1], self.lang)
        if not text or text == shown:
            return shown
        return self._msg("period_quoted", text=text, period=shown)

    def _period_followup(self, draft: Draft, start: dt.date, end: dt.date) -> str:
        return format_period(start, end, self.lang)

    # -- suggestions ----------------------------------------------------------------------
    def suggest_metrics(self, words: Sequence[str]) -> list[str]:
        """Metrics whose names are close to the unknown words (typos, partial names)."""
        pool: dict[str, str] = {}
        for (kind, name, _), aliases in self.lex.aliases_of.items():
            if kind == "metric":
                for alias in aliases:
                    pool.setdefault(alias, name)
        found: list[str] = []
        for word in words:
            found += [name for kind, name, _ in self.gloss_candidates(word) if kind == "metric" and name not in found]
            for alias in suggest(word.lower(), pool, n=5, cutoff=0.7):
                if pool[alias] not in found:
                    found.append(pool[alias])
            for alias, name in pool.items():  # a Chinese word inside a name: "流水" vs "流水收入"
                if len(word) >= 2 and (word in alias or alias in word) and name not in found:
                    found.append(name)
        return found[:MAX_OPTIONS]


def _spliced(question: str, span: tuple[int, int], replacement: str) -> str:
    """``question`` with ``span`` replaced (a word dropped or swapped for a model term), spaces tidied."""
    start, end = span
    text = question[:start] + (f" {replacement} " if replacement.isascii() and replacement else replacement) + \
        question[end:]
    return " ".join(text.split()) if any(c.isascii() and c.isalpha() for c in question) else text.replace(" ", "")
