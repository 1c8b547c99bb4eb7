"""Stage ``translate``: a question and the conversation's state become a ``Translation``.

The translator is whichever the facade was given -- the offline parser, a language model or
the hybrid of both -- and all are called the same way: they read a
:class:`~chatbi.translate.TranslationContext` and return a translation. A model's cost
(rounds, tokens, time) travels on the translation and is copied into the answer's timings.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from semantic_layer import SemanticLayerError

from ..errors import ChatBIError
from ..translate.base import Translation, TranslationContext
from ..translate.llm_result import LLMTranslation
from .records import Failure, Scope

if TYPE_CHECKING:
    from ..conversation import Conversation

__all__ = ["translate", "translation_context", "model_costs", "HISTORY"]

#: how many earlier exchanges a language model sees
HISTORY = 6


def translation_context(scope: Scope, conversation: Conversation | None = None,
                        language: str | None = None) -> TranslationContext:
    """What a translator may read besides the question: the model, members, anchor and the dialogue so far."""
    turns = conversation.turns if conversation is not None else []
    return TranslationContext(
        model=scope.model, members=scope.members, anchor=scope.anchor,
        previous=conversation.previous if conversation is not None else None,
        pending=conversation.pending if conversation is not None else None,
        pending_kind=conversation.pending_kind if conversation is not None else "",
        language=language or (conversation.language if conversation is not None else None),
        fallback_language=turns[-1].language if turns else None,
        history=tuple((t.question, t.query if t.status == "ok" else None) for t in turns[-HISTORY:]))


def translate(scope: Scope, question: str, conversation: Conversation, language: str | None
              ) -> Translation | Failure:
    try:
        return scope.translator.translate(question, translation_context(scope, conversation, language))
    except (ChatBIError, SemanticLayerError) as exc:
        return Failure("translate", str(exc), str(exc))


def model_costs(translation: Translation) -> dict[str, float]:
    """What a language model cost for this translation (nothing for the offline parser)."""
    if not isinstance(translation, LLMTranslation):
        return {}
    costs = dict(translation.timings)
    if translation.reason:  # the model could not help: did the offline answer stand in?
        costs["llm_fallback"] = float(translation.source == "offline")
    return costs
