"""The offline translator: grammar plus the semantic model's own vocabulary, no network, no model.

Pipeline: ``scan`` (tokens) -> ``parse`` (what the question says) -> a draft (fresh, a
follow-up of the previous one, or the answer to a pending clarification) -> checks that turn
anything ambiguous, missing or unknown into a clarification rather than a guess -> a
validated ``SemanticQuery``.

Readings a question leaves open are settled the same way every time (the dev set relies on them):

* no time words: no period (the ask pipeline answers for the model's default period and says so);
  a month or quarter without a year: its latest occurrence by the anchor;
* "近三个月" / "last 3 months": three calendar months including the anchor's; "近一年" / "past
  year": the last 12 months; relative words stay ``RelativeTimeFilter`` so they follow the data;
* several members of one dimension ("广东和浙江", "5G vs 4G"): one row each (filter + breakdown);
* "highest X" without a number: the single top row (a plural English noun keeps all rows, ranked);
  "best"/"worst" follow the metric's favourable direction (the best churn rate is the lowest);
* a trend without a grain: days up to two months, months up to two years, quarters beyond;
* a threshold in percent on a ``format: percent`` metric is a fraction (2% -> 0.02).

Refusals (weather, jokes, "delete all data") are ``status="clarify"`` with
``intent="out_of_scope"`` and example questions as options: nothing is guessed, nothing runs.

>>> from chatbi import ChatBI                                   # doctest: +SKIP
>>> from chatbi.pipeline import translation_context            # doctest: +SKIP
>>> bi = ChatBI.sample()                                       # doctest: +SKIP
>>> t = OfflineTranslator().translate("2025年11月各省收入", translation_context(bi))  # doctest: +SKIP
>>> t.query.dimensions, t.query.time_range                     # doctest: +SKIP
(('province',), TimeRange(start=datetime.date(2025, 11, 1), end=datetime.date(2025, 11, 30)))
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import ValidationError

from semantic_layer import IssueCode, SemanticModel, validate_query
from semantic_layer.compiler import resolve_period
from semantic_layer.compiler.timeframe import relative_period
from semantic_layer.errors import QueryError
from semantic_layer.spec import SemiAdditiveMetricSpec, SimpleMetricSpec

from .accounting import Accounting, Unaccounted, account
from .base import Draft, Translation, TranslationContext
from .clarify import Clarifier
from .eventdates import attach_event_dates
from .followup import fresh_draft, is_followup, merge_draft, resolves_pending
from .lexicon import lexicon_for
from .parse import Parsed, parse
from .scan import scan
from .writes import asks_to_write

__all__ = ["OfflineTranslator"]


class OfflineTranslator:
    """The embedded default translator (see module docs). Stateless; safe to share."""

    name = "offline"

    def translate(self, question: str, context: TranslationContext) -> Translation:
        model = context.model
        lex = lexicon_for(model, context.members)
        scanned = scan(question, lex, context.anchor)
        lang = (context.language or scanned.language or context.fallback_language
                or ("en" if any(c.isascii() and c.isalpha() for c in question) else model.spec.default_language))
        p = parse(scanned, lex)
        attach_event_dates(p, scanned, lex, context.anchor)
        if p.refusal is None and asks_to_write(scanned.norm.text, scanned.tokens, lex.grammar):
            p.refusal = "destructive"  # "把广东的收入改成50万", "set Guangdong revenue to zero"
        acc = account(scanned, lex)
        understood = [*p.understood, *({"text": w, "kind": "ignored", "value": "not about the data"}
                                       for w in acc.ignored)]
        clar = Clarifier(lex, context, lang, understood)
        if p.refusal:
            return clar.refuse(p.refusal)
        if "report" in p.intents and not (p.metrics or p.fragments or p.dims or p.thresholds or p.ambiguous_members):
            # "生成11月经营分析报告": a whole report (chatbi.reports), about the period the question names
            # and the members it names ("广东的…报告": every section narrowed to Guangdong)
            report = Draft(members=tuple(p.members), time_range=p.time_range, relative=tuple(p.relative))
            if acc.unaccounted:  # "关于年龄的经营分析报告": a word no report part answers is asked back
                return clar.ask_unaccounted(report, acc.unaccounted[0], question)
            return Translation(status="ok", language=lang, intent="report", understood=tuple(understood),
                               draft=report, confidence=round(max(0.2, 1.0 - 0.15 * len(p.unknown)), 2),
                               ignored=tuple(acc.ignored))
        followup = False
        if context.pending is not None and resolves_pending(p, context.pending_kind):
            draft = merge_draft(context.pending, p, model, add_metrics=context.pending_kind == "metric_add",
                                anchor=context.anchor)
            followup = True
        elif context.previous is not None and is_followup(p):
            draft = merge_draft(context.previous, p, model, anchor=context.anchor)
            followup = True
        else:
            if not p.mapped and not (p.intents - {"which", "vs"}):
                if lex.mentions_domain(scanned.norm.text):
                    return clar.ask_metric(Draft(), _phrases(p))  # about the data, but too vague to answer
                if scanned.has("kw", "polite") and not p.unknown:
                    return clar.refuse("oos")  # "hello", "谢谢": small talk
                return clar.refuse("nothing")
            draft = fresh_draft(p, model)
        ranked_change = _change_ranking(scanned, question) if p.order is not None else None
        if ranked_change is not None:  # "收入环比下降最多的城市" is no "收入最高的城市"
            return clar.ask_change_ranking(draft, question, *ranked_change)
        return self._finish(draft, p, clar, context, lang, followup, acc, question)

    # -- checks: clarify rather than guess -----------------------------------------------
    def _finish(self, draft: Draft, p: Parsed, clar: Clarifier, ctx: TranslationContext, lang: str,
                followup: bool, acc: Accounting, question: str) -> Translation:
        model = ctx.model
        time_dim = model.time_dimension
        understood = list(clar.understood)
        if followup:
            understood.insert(0, {"text": "", "kind": "context", "value": "follow-up of the previous question"})
        by_unknown = p.unknown_dimension is not None and not p.dims  # "by department": asked below, by name
        if acc.unaccounted and not by_unknown and (draft.metrics or draft.intent == "list" or draft.dimensions
                                                   or p.fragments):
            # a word the model lacks, in a clause about the data: it could change the answer (accounting.py)
            open_metric = [m for f in p.fragments if not set(f.value) & set(p.metrics) for m in f.value]
            if open_metric:  # "用户" left open too: the metrics it may mean, not the query without them
                return clar.ask_unaccounted(draft.with_(metrics=()), acc.unaccounted[0], question, open_metric)
            return clar.ask_unaccounted(draft, acc.unaccounted[0], question)
        open_fragments = [f for f in p.fragments if not set(f.value) & set(p.metrics)]
        if open_fragments:
            frag = open_fragments[0]
            return clar.ask_ambiguous(draft, frag.text, frag.value, add=bool(p.metrics))
        if p.ambiguous_members:
            tok = p.ambiguous_members[0]
            readings = [(t.name, t.value) for t in tok.targets if t.kind == "member"]
            return clar.ask_member(draft, tok.text, readings)
        if p.foreign:  # "customers over 60 years old": never a threshold on the metric, never dropped
            return clar.ask_foreign(draft, p.foreign[0].text)
        if p.unknown_dimension is not None and not p.dims:
            return clar.ask_unknown_dimension(draft, p.unknown_dimension.text)
        if p.empty_period:
            return clar.empty_period(p.empty_period, draft)
        conflict = _contradiction(draft, ctx)
        if conflict:  # a follow-up's period against one it kept ("2025年11月..." then "近三年呢" is fine)
            return clar.empty_period(conflict, draft)
        if p.average is not None and not followup and any(_summed(model, m) for m in draft.metrics):
            # "average revenue by province": a sum has no average of its own (per day? per member?) -- asked,
            # as "平均收入" is, never answered as the sum with the word dropped
            at = question.find(p.average.text)
            word = Unaccounted(p.average.text, p.average.start, p.average.end,
                               (at, at + len(p.average.text)) if at >= 0 else (0, 0))
            return clar.ask_unaccounted(draft, word, question)
        attached = [w for w in _attached_unknown(p) if w not in acc.named]
        if attached and draft.metrics and not followup:
            # "water cut", "oil per well": a word the model lacks changes what the metric means
            return clar.ask_metric(draft, attached)

        categorical = [d for d in draft.dimensions if d.partition(".")[0] != time_dim]
        if not draft.metrics:
            only_dims = bool(categorical) and not (draft.has_time or draft.time_grain(time_dim) or draft.compare
                                                   or draft.limit or draft.order or draft.thresholds or p.unknown)
            if draft.intent == "list" or only_dims:
                return self._list(draft, clar, lang, understood, followup)
            return clar.ask_metric(draft, _phrases(p))
        if (draft.limit or draft.order) and not categorical and not draft.time_grain(time_dim):
            return clar.ask_dimension(draft, draft.limit)

        if draft.intent == "why":
            draft = draft.with_(compare=draft.compare or "previous_period")
        if p.trend and not draft.time_grain(time_dim):
            grain = self._trend_grain(draft, ctx)
            draft = draft.with_(dimensions=(f"{time_dim}.{grain}", *draft.dimensions))
            understood.append({"text": "", "kind": "grain", "value": f"{time_dim}.{grain} (trend)"})
        return self._validated(draft, clar, ctx, lang, understood, followup, p)

    def _list(self, draft: Draft, clar: Clarifier, lang: str, understood: list[dict[str, str]],
              followup: bool) -> Translation:
        model = clar.model
        dims = [d for d in draft.dimensions if "." not in d]
        if not dims:
            # "有哪些5G套餐": the members one level below the named member
            for f in draft.members:
                child = model.child_level(f.dimension)
                if child and "." not in child:
                    dims.append(child)
                    break
        if not dims:
            return clar.ask_dimension(draft, None)
        listed = Draft(dimensions=tuple(dims), members=draft.members, time_range=draft.time_range,
                       relative=draft.relative, intent="list")
        return self._validated(listed, clar, clar.ctx, lang, understood, followup, None)

    @staticmethod
    def _trend_grain(draft: Draft, ctx: TranslationContext) -> str:
        try:
            period = resolve_period(draft.with_(metrics=draft.metrics or ("_",)).to_query(), ctx.anchor)
        except (QueryError, ValidationError, ValueError):
            period = None
        if period is None:
            return "month"
        days = (period[1] - period[0]).days + 1
        return "day" if days <= 62 else "month" if days <= 731 else "quarter"

    def _validated(self, draft: Draft, clar: Clarifier, ctx: TranslationContext, lang: str,
                   understood: list[dict[str, str]], followup: bool, p: Parsed | None) -> Translation:
        try:
            query = draft.to_query()
        except (ValidationError, ValueError) as exc:
            return clar.invalid(str(exc).splitlines()[0])
        members = ctx.members.as_sets() if ctx.members else None
        issues = validate_query(ctx.model, query, members)
        # a dimension the metric cannot be broken down by (grouped or filtered on): ask which to use instead
        askable = {d.partition(".")[0] for d in query.dimensions} | {f.dimension for f in draft.members}
        for issue in issues:
            if (issue.code == IssueCode.UNREACHABLE_DIMENSION and issue.subject is not None
                    and issue.subject.name in askable):
                return clar.ask_unreachable(draft, issue.subject.name)
        if issues:
            return clar.invalid("; ".join(str(i) for i in issues))
        # words left out as incidental lower the confidence (a hybrid translator asks its model); words
        # read as part of a name next to them do not
        ignored = tuple(u["text"] for u in understood if u["kind"] == "ignored" and u["text"])
        typos = sum(1 for u in understood if u["kind"] == "typo")
        # a word read through a dictionary gloss is weaker than a name of the model: a hybrid translator
        # has its model look again
        glossed = len({u["text"] for u in understood if u["kind"] == "gloss"})
        confidence = max(0.2, 1.0 - 0.15 * len(ignored) - 0.1 * typos - 0.1 * glossed)
        return Translation(status="ok", language=lang, intent=draft.intent, query=query, draft=draft,
                           understood=tuple(understood), confidence=round(confidence, 2), followup=followup,
                           ignored=ignored)


def _summed(model: SemanticModel, metric: str) -> bool:
    """Is ``metric`` a plain sum or count of rows (no average, ratio or formula of its own)?"""
    spec = model.metrics.get(metric)
    return isinstance(spec, (SimpleMetricSpec, SemiAdditiveMetricSpec)) and spec.agg in ("sum", "count",
                                                                                       "count_distinct")


def _change_ranking(scanned: Any, question: str) -> tuple[list[tuple[int, int]], list[tuple[int, int]], str] | None:
    """The ranking words and the change words of "增长最快", "biggest drop", "top 3 by revenue growth"
    (their spans in the question), or None. A change word that asks for an amount ("增长了多少",
    "how much did") is the winner's change, not what ranks it ("收入最高的省份增长了多少")."""
    tokens = scanned.tokens

    def ranking(t: Any) -> bool:
        return bool(t.kind == "top" or (t.kind == "kw" and t.name in RANK_WORDS))

    ranks = [t for t in tokens if ranking(t)]
    changes = [t for t in tokens if t.kind == "kw" and t.name == "growth"]
    # "同比增长最快", "环比下降最多": a comparison word right before the ranking word is the change ranked
    # ("收入最高的省份及其同比" ranks the value and shows its comparison)
    changes += [t for i, t in enumerate(tokens) if t.kind == "kw" and t.name in ("pop", "yoy")
                and i + 1 < len(tokens) and ranking(tokens[i + 1])]
    if not ranks or not changes or any(amount in t.text.lower() for t in changes for amount in AMOUNT_WORDS):
        return None

    def span(t: Any) -> tuple[int, int]:
        at = question.find(t.text)
        return (at, at + len(t.text)) if at >= 0 else (0, 0)

    spans = [span(t) for t in changes]
    words = " / ".join(dict.fromkeys(question[a:b] for a, b in sorted([span(t) for t in ranks] + spans) if b > a))
    compares = [span(t) for t in tokens if t.kind == "kw" and t.name in ("pop", "yoy") and span(t) not in spans]
    return [span(t) for t in ranks], [*spans, *compares], words


#: keywords that rank rows; and the words of a change word that ask for its amount
RANK_WORDS = frozenset({"highest", "lowest", "best", "worst", "rank", "desc", "asc"})
AMOUNT_WORDS = ("多少", "how much", "how many")


def _contradiction(draft: Draft, ctx: TranslationContext) -> list[tuple[str, tuple[dt.date, dt.date]]]:
    """The periods of a draft that do not overlap (a time range against a relative period), if any."""
    periods = [(draft.time_range.start, draft.time_range.end)] if draft.time_range is not None else []
    periods += [relative_period(ctx.anchor, r.unit, r.n, r.offset) for r in draft.relative]
    if len(periods) < 2 or max(a for a, _ in periods) <= min(b for _, b in periods):
        return []
    return [("", period) for period in periods]


def _attached_unknown(p: Parsed) -> list[str]:
    """Unknown English words that qualify what was named: next to a metric's or dimension's name
    ("water *cut*", "*ESP* wells") or negated ("excluding *Xihe*"): the answer without them would
    be about something else. Verb forms ("placed", "doing") only say how people ask."""
    out: list[str] = []
    for t in p.unknown:
        if not t.text.isascii() or t.text.lower().endswith(("ing", "ed")):
            continue
        if any(0 <= t.start - m.end <= 1 or 0 <= m.start - t.end <= 1 for m in p.metric_tokens) or \
                any(0 <= d.start - t.end <= 1 for d in p.dimension_tokens) or \
                any(0 <= t.start - n.end <= 1 for n in p.negations):
            out.append(t.text)
    return out


def _phrases(p: Parsed) -> list[str]:
    """Unknown words, neighbours joined: "profit margin" rather than "profit" and "margin".

    English verb forms ("doing", "performed") are left out: they are how people ask, not what.
    """
    out: list[tuple[int, int, str]] = []
    for t in p.unknown:
        if t.text.isascii() and t.text.lower().endswith(("ing", "ed")):
            continue
        gap = 1 if t.text.isascii() else 0
        if out and t.start - out[-1][1] <= gap:
            s, _, text = out[-1]
            out[-1] = (s, t.end, f"{text} {t.text}" if t.text.isascii() else text + t.text)
        else:
            out.append((t.start, t.end, t.text))
    return [text for _, _, text in out]
