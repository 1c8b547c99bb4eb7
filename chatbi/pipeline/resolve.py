"""Stage ``resolve``: a translation becomes a :class:`~chatbi.pipeline.records.Plan` -- what will run.

A complete semantic query is governed and runs through the compiler; SQL a language model
wrote (free SQL, opt-in) is *not* governed and runs only through the guard; anything else
is a clarification or a refusal, answered without touching the warehouse.
"""

from __future__ import annotations

from ..translate.base import Translation
from .records import Plan

__all__ = ["resolve"]


def resolve(translation: Translation, question: str) -> Plan:
    common = {"language": translation.language, "question": question, "intent": translation.intent,
              "understood": translation.understood}
    sql = getattr(translation, "sql", None)  # only a model's translation can carry SQL
    if translation.intent == "free_sql" and sql:
        return Plan("sql", sql=sql, sql_by="model", **common)  # type: ignore[arg-type]
    if translation.status == "clarify" or translation.query is None:
        return Plan("clarify", text=translation.text, options=translation.options, issues=translation.issues,
                    **common)  # type: ignore[arg-type]
    return Plan("query", query=translation.query, **common)  # type: ignore[arg-type]
