"""Translators: a question (Chinese, English or mixed) becomes a ``SemanticQuery`` or a clarification.

``OfflineTranslator`` is the embedded default: it reads only the semantic model (names,
labels, synonyms, member values) and per-language grammar files, with no network and no model.
Other translators (an LLM one) implement the same :class:`Translator` protocol.
"""

from __future__ import annotations

from .base import Draft, Translation, TranslationContext, Translator
from .hybrid import HybridTranslator, make_translator
from .llm import LLMTranslator
from .offline import OfflineTranslator
from .settings import LLMSettings

__all__ = ["Translator", "Translation", "TranslationContext", "Draft", "OfflineTranslator",
           "LLMTranslator", "HybridTranslator", "LLMSettings", "make_translator"]
