"""The hybrid translator: the offline parser when it is sure, the LLM otherwise, never stuck.

"Sure" is the offline translation's own ``confidence`` (1.0 when every word of the question
was understood and the query is complete; refusals of destructive or out-of-scope questions
are also certain). Below the bar the model is asked. When the model is down, slow or returns
garbage, or its repairs run out, the user gets the offline answer if there was one, otherwise
the offline clarification with the reason the model could not help appended.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from typing import TYPE_CHECKING, Any

from ..answer import Answer
from .base import Translation, TranslationContext, Translator
from .llm import LLMTranslator
from .llm_result import LLMTranslation, LLMUsage
from .prompt import Turn
from .settings import LLMSettings, TranslatorKind, resolve_translator_kind

if TYPE_CHECKING:
    from ..api import ChatBI

__all__ = ["HybridTranslator", "LLMContext", "make_translator", "llm_of", "ask_with_llm", "MODEL_FAILURES"]

#: reasons that mean "the model could not help" (as opposed to "the model asks the user")
MODEL_FAILURES = frozenset({"timeout", "unreachable", "http_error", "garbage", "invalid"})


class HybridTranslator:
    """Offline first; the LLM for what the offline translator is not confident about."""

    name = "hybrid"

    def __init__(self, offline: Translator, llm: LLMTranslator, *, min_confidence: float = 1.0) -> None:
        self.offline = offline
        self.llm = llm
        self.min_confidence = min_confidence

    def confident(self, translation: Translation) -> bool:
        """Fully resolved (or a certain refusal): no unknown words, nothing left to clarify."""
        return translation.confidence >= self.min_confidence - 1e-9 and (
            translation.status == "ok" or translation.intent == "out_of_scope")

    def translate(self, question: str, context: TranslationContext) -> Translation:
        start = time.perf_counter()
        first = self.offline.translate(question, context)
        if self.confident(first):
            return first
        second = self.llm.translate(question, context)
        if second.status == "ok" or second.reason not in MODEL_FAILURES:
            return second  # a query, or the model's own clarification / refusal
        usage = second.usage if second.usage.ms else LLMUsage(ms=(time.perf_counter() - start) * 1000)
        notes = (*first.notes, f"llm_fallback:{second.reason}")
        if first.status == "ok":
            return LLMTranslation.wrap(first, usage=usage, source="offline", reason=second.reason, notes=notes)
        # the offline clarification, with why the model could not resolve it
        text = f"{first.text} {second.text}".strip() if first.text else second.text
        return LLMTranslation.wrap(first, usage=usage, source="offline", reason=second.reason, notes=notes, text=text)


def make_translator(kind: str | None = None, *, llm: LLMSettings | Mapping[str, Any] | None = None,
                    offline: Translator | Callable[[], Translator] | None = None,
                    client: Any = None, env: Mapping[str, str] | None = None) -> Translator | None:
    """The translator ``ChatBI(translator=...)`` asks for.

    ``kind`` None picks ``offline`` unless an endpoint is configured (then ``hybrid``).
    Returns None for ``offline`` when no offline translator is given, so the caller keeps
    its own default. ``client`` is an ``openai.OpenAI``-like object (tests, custom auth).
    """
    settings = LLMSettings.coerce(llm)
    chosen: TranslatorKind = resolve_translator_kind(kind, settings, env)
    # a class or a factory is called; an instance (anything with ``translate``) is used as is
    base = offline() if isinstance(offline, type) or (offline is not None and not hasattr(offline, "translate")) \
        else offline
    if chosen == "offline":
        return base  # type: ignore[return-value]
    model_translator = LLMTranslator(settings, client=client)
    if chosen == "llm":
        return model_translator
    if base is None:
        from ..errors import ConfigError

        raise ConfigError("translator='hybrid' needs the offline translator")
    return HybridTranslator(base, model_translator)  # type: ignore[arg-type]


def llm_of(translator: object) -> LLMTranslator | None:
    """The LLM translator inside ``translator`` (itself, or a hybrid's), if any."""
    if isinstance(translator, LLMTranslator):
        return translator
    inner = getattr(translator, "llm", None)
    return inner if isinstance(inner, LLMTranslator) else None


# -- the facade's side: what ChatBI.ask adds when a model is involved --------------------------
@dataclass(frozen=True)
class LLMContext(TranslationContext):
    """The conversation context plus the exchanges so far (the model reads them; the parser ignores them)."""

    history: tuple[Turn, ...] = ()


class _Recorder:
    """Passes translations through and keeps the last one (its cost, its free SQL)."""

    def __init__(self, inner: Translator, history: tuple[Turn, ...]) -> None:
        self.inner = inner
        self.history = history
        self.last: Translation | None = None

    def translate(self, question: str, context: TranslationContext) -> Translation:
        base = {f.name: getattr(context, f.name) for f in fields(TranslationContext)}
        self.last = self.inner.translate(question, LLMContext(**base, history=self.history))
        return self.last


def ask_with_llm(bi: ChatBI, question: str, conversation: Any, language: str | None, ask: Callable[..., Answer],
                 translator: Translator) -> Answer:
    """Run ``ask`` with an LLM-backed translator and complete the answer.

    Adds the model's cost to ``Answer.timings``, executes free SQL through the guard
    (``ChatBI.run_sql``; the answer is marked ``governed=False``) and, only with
    ``share_data=True``, lets the model word the narrative from the result rows.
    """
    turns = getattr(conversation, "turns", None) or ()
    history = tuple(Turn(t.question, t.query if t.status == "ok" else None) for t in turns[-6:])
    recorder = _Recorder(translator, history)
    answer = ask(bi, question, conversation, language, translator=recorder)
    translation = recorder.last
    if not isinstance(translation, LLMTranslation):
        return answer
    answer.timings.update(translation.timings)
    if translation.reason:
        answer.timings["llm_fallback"] = float(translation.source == "offline")
    if translation.intent == "free_sql" and translation.sql:
        answer = _free_sql_answer(bi, question, translation, answer.timings)
    model = llm_of(translator)
    if answer.ok and answer.data is not None and model is not None and model.settings.share_data:
        text, usage = model.narrate(question, answer.data, query=answer.query, language=answer.language)
        if text:
            answer.text = text
        answer.timings.update(usage.timings("llm_narrate"))
    return answer


_SQL_TEXT = {
    "en": ("The SQL written by the language model was rejected or failed: {error}",
           "Free SQL needs the SQL guard (ChatBI.run_sql), which this installation lacks."),
    "zh": ("语言模型生成的 SQL 被拒绝或执行失败：{error}",
           "自由 SQL 需要 SQL 安全检查（ChatBI.run_sql），当前安装不支持。"),
}


def _free_sql_answer(bi: ChatBI, question: str, translation: LLMTranslation, timings: dict[str, float]) -> Answer:
    lang = translation.language
    rejected, missing = _SQL_TEXT.get(lang, _SQL_TEXT["en"])
    run_sql = getattr(bi, "run_sql", None)
    if run_sql is None:  # never execute model SQL without the guard
        return Answer(status="error", question=question, sql=translation.sql, text=missing, error=missing,
                      language=lang, governed=False, timings=timings, intent="free_sql")
    answer: Answer = run_sql(translation.sql, language=lang)
    answer.question, answer.language, answer.governed, answer.intent = question, lang, False, "free_sql"
    answer.timings = {**timings, **answer.timings}
    if answer.status == "error":
        answer.text = rejected.format(error=answer.error or answer.text)
    return answer
