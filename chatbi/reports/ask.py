"""A question that asks for a report ("生成2025年11月经营分析报告", "write me the November business review").

The translator reads the intent from its grammar resources (``report`` words) and the period from
the question's time words; here the report is chosen by the words of the question (a spec's
``synonyms`` or title: 经营分析报告 -> ``monthly_review``; none -> the model's default report) and
built. A period that is not one whole unit of the report (a year for a monthly review) is asked
back, never stretched.
"""

from __future__ import annotations

from typing import Any

from semantic_layer.compiler.timeframe import relative_period

from ..answer import Answer, ClarifyOption
from ..charts.formatting import format_period
from ..errors import ConfigError
from ..translate.normalize import normalize_alias
from .build import available_specs
from .catalog import say
from .errors import ReportError
from .period import recent_periods, report_period
from .scope import ScopeError, scope_label, scoped_title
from .spec import ReportSpec

__all__ = ["report_answer", "spec_for_question"]


def spec_for_question(question: str, specs: dict[str, ReportSpec]) -> str | None:
    """The spec whose synonym or title the question uses (the longest match wins), else None."""
    text = normalize_alias(question)
    best: tuple[int, str] | None = None
    for name, spec in specs.items():
        words = [*spec.synonyms, spec.title_in("zh"), spec.title_in("en"), name]
        for word in words:
            key = normalize_alias(word)
            if key and key in text and (best is None or len(key) > best[0]):
                best = (len(key), name)
    return best[1] if best else None


def _period(bi: Any, draft: Any) -> Any:
    if draft is None:
        return None
    if draft.time_range is not None:
        return draft.time_range.start, draft.time_range.end
    if draft.relative:
        f = draft.relative[0]
        return relative_period(bi.anchor, f.unit, f.n, f.offset)
    return None


def report_answer(bi: Any, question: str, translation: Any) -> Answer:
    """Build the report the question asks for; the answer carries it (``Answer.report``) and its highlights."""
    lang = translation.language if translation.language in ("zh", "en") else bi.language
    specs = available_specs(bi)
    name = spec_for_question(question, specs) or "default"
    spec = specs[name]
    # "广东的经营分析报告": the members the question names are the report's scope (chatbi.reports.scope)
    scope = tuple(getattr(translation.draft, "members", ()) or ())
    asked = _period(bi, translation.draft)
    try:
        period = report_period(asked, spec.period, bi.anchor)
        if period[0] > bi.anchor:
            raise ConfigError(say("ask.no_data", lang, period=format_period(*period, lang)))
    except ConfigError:
        return _ask_period(bi, question, spec, lang, translation, scope)
    try:
        report = bi.report(spec, period=period, language=lang, scope=scope or None)
    except ScopeError as exc:
        return _scope_problem(bi, question, spec, lang, translation, exc, period)
    except ReportError as exc:  # a scope no section can be about: said, never a traceback
        return Answer(status="error", question=question, text=str(exc), error=str(exc), language=lang,
                      intent="report", understood=translation.understood, ignored=translation.ignored)
    text = say("ask.text", lang, title=report.title, period=report.period_label,
               summary=say("ask.sep", lang).join(report.summary[:4]))
    return Answer(status="ok", question=question, text=text, language=lang, intent="report", report=report,
                  data=report.kpis(), period=(period[0].isoformat(), period[1].isoformat()),
                  sql=";\n\n".join(e.sql for e in report.sql[:3]) or None, understood=translation.understood,
                  ignored=translation.ignored, timings=dict(report.timings))


def _ask_period(bi: Any, question: str, spec: ReportSpec, lang: str, translation: Any,
                scope: tuple[Any, ...] = ()) -> Answer:
    """Which period? The latest three whole units of the report, as questions that build it."""
    title = spec.title_in(lang)
    if scope:  # the options keep the members asked about
        title = scoped_title(title, scope, bi.members, lang)
    options = []
    for p in recent_periods(bi.anchor, spec.period, 3):
        label = format_period(p[0], p[1], lang)
        options.append(ClarifyOption(label=label, followup=say("ask.followup", lang, period=label, title=title)))
    text = say("ask.which_period", lang, title=title, unit=say(f"grain.{spec.period}", lang))
    return Answer(status="clarify", question=question, text=text, language=lang, intent="report",
                  clarification=tuple(options), understood=translation.understood, ignored=translation.ignored)


def _scope_problem(bi: Any, question: str, spec: ReportSpec, lang: str, translation: Any, exc: ScopeError,
                   period: Any) -> Answer:
    """"广东和深圳的报告" is asked (which one?); a scope without rows the viewer may see is said."""
    title, when = spec.title_in(lang), format_period(period[0], period[1], lang)
    if exc.kind == "levels":
        options = []
        for f in exc.scope:
            one = (f,)
            named = scoped_title(title, one, bi.members, lang)
            options.append(ClarifyOption(label=named, followup=say("ask.followup", lang, period=when, title=named)))
        names = [scope_label((f,), bi.members, lang) for f in exc.scope]
        return Answer(status="clarify", question=question, text=say("ask.scope_levels", lang, a=names[0], b=names[1]),
                      language=lang, intent="report", clarification=tuple(options), understood=translation.understood,
                      ignored=translation.ignored)
    text = say("ask.scope_empty", lang, scope=scope_label(exc.scope, bi.members, lang))
    return Answer(status="error", question=question, text=text, error=text, language=lang, intent="report",
                  understood=translation.understood, ignored=translation.ignored)
