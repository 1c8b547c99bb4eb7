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
from typing import Any

from .base import Translation, TranslationContext, Translator
from .llm import LLMTranslator
from .llm_result import LLMTranslation, LLMUsage
from .settings import LLMSettings, TranslatorKind, resolve_translator_kind

__all__ = ["HybridTranslator", "make_translator", "llm_of", "data_narrator", "MODEL_FAILURES"]

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


def data_narrator(translator: object) -> LLMTranslator | None:
    """The model that may word answers from their rows: only with ``share_data=True``."""
    model = llm_of(translator)
    return model if model is not None and model.settings.share_data else None
