"""The one place the stages of the ask pipeline are strung together and an ``Answer`` is built."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

import pandas as pd

from semantic_layer import Issue, SemanticQuery
from semantic_layer.compiler import CompiledQuery
from semantic_layer.compiler.timeframe import Period

from ..answer import Answer, Intent
from ..conversation import Conversation
from ..narrative import phrases
from ..translate.choice import pick
from ..translate.hybrid import data_narrator
from ..translate.llm_result import say
from .compile import compile_query
from .execute import execute
from .explain import explain
from .guard import guard_compiled, guard_text
from .periods import covered_period
from .present import narrate_with_model, present, truncation_text
from .records import (
    AskOptions,
    Checked,
    Explanation,
    Failure,
    Plan,
    Presentation,
    Scope,
    Stopwatch,
)
from .resolve import resolve
from .size import TOO_MANY_ROWS, TRUNCATED, cut_off, oversized, row_cap, too_large_options
from .translate import model_costs, translate

if TYPE_CHECKING:
    from ..translate.llm import LLMTranslator

__all__ = ["Pipeline", "question_too_long", "MAX_QUESTION_CHARS"]

_NO_QUESTION = {"zh": "请输入一个问题。", "en": "Please ask a question."}
#: the longest question answered (a question is a sentence or two; megabytes of text are an attack)
MAX_QUESTION_CHARS = 2_000


def question_too_long(question: object, language: str | None = None) -> Answer | None:
    """An error answer for a question longer than ``MAX_QUESTION_CHARS`` (checked before any work)."""
    if not isinstance(question, str) or len(question) <= MAX_QUESTION_CHARS:
        return None
    zh = language == "zh" or (language is None and any("\u4e00" <= c <= "\u9fff" for c in question[:200]))
    text = (f"问题太长（{len(question)} 个字符），最多 {MAX_QUESTION_CHARS} 个字符；请问得简短一些。" if zh else
            f"The question is {len(question):,} characters long; at most {MAX_QUESTION_CHARS:,} are accepted. "
            "Ask it in a sentence or two.")
    return Answer(status="error", question=question[:200], text=text, error=text, language="zh" if zh else "en")


@dataclass(frozen=True)
class Pipeline:
    """The ask pipeline of one scope (the facade, or a user's view of it). Stateless: make one per call."""

    scope: Scope
    options: AskOptions = field(default_factory=AskOptions)

    # -- entry points -----------------------------------------------------------------------
    def ask(self, question: str, conversation: Conversation | None = None, language: str | None = None) -> Answer:
        """translate -> resolve -> compile -> guard -> execute -> present -> explain -> record."""
        conv = conversation if conversation is not None else Conversation()
        if not isinstance(question, str) or not question.strip():
            lang = language or conv.language or self.scope.language
            text = _NO_QUESTION.get(lang, _NO_QUESTION["en"])
            return Answer(status="error", question=question, text=text, error=text, language=lang)
        too_long = question_too_long(question, language)
        if too_long is not None:
            return too_long
        clock = Stopwatch()
        with clock.stage("translate"):
            # "2" after a clarification picks its second option: the option's own follow-up is asked
            picked = pick(question, conv.last_options)
            translation = translate(self.scope, picked.followup if picked else question, conv, language)
            if picked is not None and not isinstance(translation, Failure):
                choice = {"text": question.strip(), "kind": "choice", "value": picked.label}
                translation = replace(translation, understood=(choice, *translation.understood))
        if isinstance(translation, Failure):
            answer = Answer(status="error", question=question, text=translation.text, error=translation.error,
                            language=language or conv.language or "en", timings=clock.read())
            conv.record(question, None, answer)
            return answer
        clock.add(model_costs(translation))
        with clock.stage("resolve"):
            plan = resolve(translation, question, self.scope)
        if translation.intent == "report" and translation.status == "ok":
            from ..reports.ask import report_answer  # a whole business report (chatbi.reports)

            answer = report_answer(self.scope, question, translation)
        else:
            answer = self._answer(plan, clock, data_narrator(self.scope.translator))
        conv.record(question, translation, answer)
        return answer

    def run(self, query: SemanticQuery, *, question: str | None = None, language: str = "en",
            intent: Intent = "query") -> Answer:
        """compile -> guard -> execute -> present (-> explain for ``intent="why"``) of a structured query."""
        return self._answer(Plan("query", language, question, query=query, intent=intent), Stopwatch())

    def run_sql(self, sql: str, *, language: str = "en") -> Answer:
        """guard -> execute of SQL a person typed; the answer is not governed."""
        return self._answer(Plan("sql", language, sql=sql), Stopwatch())

    # -- the sequence ---------------------------------------------------------------------------
    def _answer(self, plan: Plan, clock: Stopwatch, narrator: LLMTranslator | None = None) -> Answer:
        if plan.kind == "clarify":
            return _build(plan, clock)
        compiled, checked = self._checked(plan, clock)
        if isinstance(checked, Plan):  # too large to answer in one: asked back
            return _build(checked, clock)
        if isinstance(checked, Failure):
            return _build(plan, clock, compiled=compiled, failure=checked)
        with clock.stage("execute"):
            data = execute(self.scope, checked, plan.language)
        if isinstance(data, Failure):
            return _build(plan, clock, compiled=compiled, failure=data)
        if compiled is not None and compiled.per_month:
            data.attrs["per_month"] = compiled.per_month  # text, chart and table say 月均 / per month
        notes = self._measured(plan, clock, compiled, data)
        if isinstance(notes, Plan):
            return _build(notes, clock)
        return self._shown(plan, clock, compiled, checked, data, narrator, notes)

    def _checked(self, plan: Plan, clock: Stopwatch) -> tuple[CompiledQuery | None, Checked | Failure | Plan]:
        """compile (a semantic query, once) -> guard; SQL text goes to the guard directly. A question
        whose whole answer is over the row cap becomes a clarification (a ``Plan``) before it runs."""
        if plan.query is None:
            with clock.stage("guard"):
                return None, guard_text(self.scope, plan.sql or "", plan.language)
        with clock.stage("compile"):
            compiled = compile_query(self.scope, plan.query)
        if isinstance(compiled, Failure):
            return None, compiled
        if plan.asked:  # asked back, never cut
            with clock.stage("size"):
                big = oversized(self.scope, plan.query, compiled)
            if big is not None:
                return compiled, _too_large(self.scope, plan, compiled, big.rows)
        with clock.stage("guard"):
            return compiled, guard_compiled(self.scope, compiled)

    def _measured(self, plan: Plan, clock: Stopwatch, compiled: CompiledQuery | None, data: pd.DataFrame
                  ) -> Plan | tuple[Issue, ...]:
        """A result that filled the row cap (or that the engine cut) is counted: a question whose rows
        were cut is asked back; anything else says "first N of M rows" (``attrs``, an issue, the text)."""
        if not (len(data) >= (row_cap(self.scope) or len(data) + 1) or data.attrs.get("truncated")):
            return ()
        with clock.stage("size"):
            total = cut_off(self.scope, data, compiled=compiled, sql=None if compiled is not None else plan.sql)
        if total is None:
            return ()
        if plan.asked and compiled is not None:
            return _too_large(self.scope, plan, compiled, total)
        data.attrs.update(truncated=True, total_rows=total, row_cap=len(data))
        return (Issue(TRUNCATED, f"the result has {total} rows; the first {len(data)} are shown"),)

    def _shown(self, plan: Plan, clock: Stopwatch, compiled: CompiledQuery | None, checked: Checked,
               data: pd.DataFrame, narrator: LLMTranslator | None, notes: tuple[Issue, ...] = ()) -> Answer:
        """present -> explain (why) -> the model's wording (share_data), as the options allow."""
        shown = why = worded = None
        period = covered_period(self.scope, plan.query, compiled)
        if self.options.present and plan.query is not None:
            with clock.stage("present"):
                shown = present(self.scope, plan.query, data, period=period, intent=plan.intent,
                                language=plan.language,
                                compare_period=compiled.compare_period if compiled else None)
        if shown is None and self.options.present and data.attrs.get("truncated"):
            shown = Presentation(truncation_text(data, plan.language))  # SQL text: its cut is said too
        if self.options.explain and plan.intent == "why" and plan.query is not None and compiled is not None:
            with clock.stage("explain"):
                why = explain(self.scope, plan.query, compiled, plan.language)
        if narrator is not None and self.options.present and plan.question:
            worded, cost = narrate_with_model(narrator, plan.question, data, plan.query, plan.language)
            clock.add(cost)
        return _build(plan, clock, compiled=compiled, checked=checked, data=data, shown=shown, why=why,
                      worded=worded, period=period, notes=notes, as_of=_as_of(self.scope))


def _build(plan: Plan, clock: Stopwatch, *, compiled: CompiledQuery | None = None, failure: Failure | None = None,
           checked: Checked | None = None, data: pd.DataFrame | None = None, shown: Presentation | None = None,
           why: Explanation | None = None, worded: str | None = None, period: Period | None = None,
           notes: tuple[Issue, ...] = (), as_of: str | None = None) -> Answer:
    """The answer, built once from the records of the stages that ran."""
    if plan.kind == "clarify":
        return Answer(status="clarify", question=plan.question, text=plan.text, language=plan.language,
                      clarification=plan.options, understood=plan.understood, ignored=plan.ignored,
                      intent=plan.intent, issues=plan.issues, timings=clock.read())
    if period is None and compiled is not None:
        period = compiled.period
    shown_period = (period[0].isoformat(), period[1].isoformat()) if period is not None else None
    compared = None
    if compiled is not None and compiled.compare_period is not None:
        compared = (compiled.compare_period[0].isoformat(), compiled.compare_period[1].isoformat())
    common = {"question": plan.question, "query": plan.query, "language": plan.language, "period": shown_period,
              "compare_period": compared, "understood": plan.understood, "ignored": plan.ignored,
              "intent": plan.intent, "governed": plan.governed}
    if failure is not None:
        text = failure.text
        if plan.sql_by == "model":  # the model's SQL failed: say so, whoever refused it
            text = say(plan.language, "sql_rejected", error=failure.error)
        return Answer(status="error", sql=failure.sql, error=failure.error, text=text, issues=failure.issues,
                      timings=clock.read(), **common)  # type: ignore[arg-type]
    assert checked is not None
    text = worded or (why.text if why is not None else "") or (shown.text if shown is not None else "")
    if data is not None and data.attrs.get("truncated") and shown is not None:
        text = shown.text  # "first N of M rows": a model's wording or an analysis must not read more into them
    return Answer(status="ok", sql=checked.sql, data=data, text=text,
                  figure_factory=shown.figure if shown is not None else None,
                  report=why.report if why is not None else None,
                  issues=(*notes, *(why.issues if why is not None else ())),
                  timings=clock.read(), as_of=as_of, **common)  # type: ignore[arg-type]


def _as_of(scope: Scope) -> str | None:
    """The data's newest date (``ChatBI.as_of``), which every answer states; None when unknown."""
    try:
        day = getattr(scope, "as_of", None)
    except Exception:  # noqa: BLE001 - the warehouse's metadata is unreadable: the answer stands without it
        return None
    return day.isoformat() if day is not None else None


def _too_large(scope: Scope, plan: Plan, compiled: CompiledQuery, rows: int) -> Plan:
    """The clarification of a question whose whole answer is over the row cap."""
    assert plan.query is not None
    cap = row_cap(scope) or rows
    words = phrases(plan.language)
    text = words["too_many_rows"].format(rows=f"{rows:,}", cap=f"{cap:,}")
    options = too_large_options(scope, plan.query, compiled.period, plan.language)
    issue = Issue(TOO_MANY_ROWS, f"the answer has {rows} rows, over the row cap of {cap}")
    return replace(plan, kind="clarify", intent="clarify", text=text, options=options, issues=(issue,))
