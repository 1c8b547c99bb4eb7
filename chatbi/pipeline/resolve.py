"""Stage ``resolve``: a translation becomes a :class:`~chatbi.pipeline.records.Plan` -- what will run.

A complete semantic query is governed and runs through the compiler; SQL a language model
wrote (free SQL, opt-in) is *not* governed and runs only through the guard; anything else
is a clarification or a refusal, answered without touching the warehouse. A query that names
no period gets the model's default one here (:mod:`~chatbi.pipeline.periods`), noted in
``understood`` so every surface can say it was assumed.
"""

from __future__ import annotations

from ..translate.base import Translation
from .periods import with_default_period
from .records import Plan, Scope

__all__ = ["resolve"]


def resolve(translation: Translation, question: str, scope: Scope) -> Plan:
    common = {"language": translation.language, "question": question, "intent": translation.intent,
              "understood": translation.understood, "ignored": translation.ignored}
    sql = getattr(translation, "sql", None)  # only a model's translation can carry SQL
    if translation.intent == "free_sql" and sql:
        return Plan("sql", sql=sql, sql_by="model", **common)  # type: ignore[arg-type]
    if translation.status == "clarify" or translation.query is None:
        return Plan("clarify", text=translation.text, options=translation.options, issues=translation.issues,
                    **common)  # type: ignore[arg-type]
    # a question that names no period is answered for the model's default one, and says so
    query, assumed = with_default_period(scope.model, translation.query, scope.anchor)
    if assumed is not None:
        common["understood"] = (*translation.understood, assumed)
    return Plan("query", query=query, asked=True, **common)  # type: ignore[arg-type]
