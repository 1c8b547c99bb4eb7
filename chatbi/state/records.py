"""Answers and conversations as JSON records, for the shared state store.

A stored answer keeps what a card needs to be drawn again and acted on -- the status, the
question, the semantic query, the SQL, the text, the period, the data's as-of date, what was
understood, the clarification options and a **bounded** result (``max_rows`` / ``max_bytes``, see
:mod:`chatbi.state.frames`) -- and never a figure: :func:`answer_from_record` hands the answer the
same chart recipe the pipeline's ``present`` stage uses, so a chart is built again from the query
and the rows, in the worker that needs it. A root-cause report is not kept (its text and its
table are); a conversation is kept whole, its turns bounded to the last :data:`MAX_TURNS`.

>>> from chatbi import Answer
>>> answer_from_record(answer_record(Answer(status="ok", text="42", language="en"))).text
'42'
"""

from __future__ import annotations

import logging
from functools import lru_cache
from typing import Any

from pydantic import TypeAdapter

from semantic_layer import Issue, SemanticQuery

from ..answer import Answer, ClarifyOption
from ..conversation import Conversation
from .frames import decode_frame, encode_frame

__all__ = ["answer_record", "answer_from_record", "conversation_record", "conversation_from_record",
           "MAX_TURNS", "ANSWER_ROWS", "ANSWER_BYTES"]

log = logging.getLogger(__name__)

#: turns of a conversation kept in the store (follow-ups read the last draft; a model reads a few turns)
MAX_TURNS = 40
#: rows and bytes of an answer's result kept with it (a card shows a page; CSV re-runs a cut result)
ANSWER_ROWS = 2000
ANSWER_BYTES = 512 * 1024


@lru_cache(maxsize=1)
def _conversation_adapter() -> TypeAdapter[Conversation]:
    return TypeAdapter(Conversation)


@lru_cache(maxsize=1)
def _issue_adapter() -> TypeAdapter[tuple[Issue, ...]]:
    return TypeAdapter(tuple[Issue, ...])


def conversation_record(conversation: Conversation) -> dict[str, Any]:
    kept = conversation
    if len(conversation.turns) > MAX_TURNS:
        kept = Conversation(conversation.language, conversation.turns[-MAX_TURNS:], conversation.previous,
                            conversation.pending, conversation.pending_kind)
    return _conversation_adapter().dump_python(kept, mode="json")


def conversation_from_record(record: dict[str, Any] | None) -> Conversation:
    if not record:
        return Conversation()
    try:
        return _conversation_adapter().validate_python(record)
    except Exception:  # a record from an older version: start afresh rather than fail
        log.warning("a stored conversation could not be read; starting a new one", exc_info=True)
        return Conversation()


def answer_record(answer: Answer, *, max_rows: int = ANSWER_ROWS, max_bytes: int = ANSWER_BYTES) -> dict[str, Any]:
    """``answer`` as JSON-able data (its result bounded; no figure, no report object)."""
    record: dict[str, Any] = {
        "status": answer.status, "question": answer.question, "sql": answer.sql, "text": answer.text,
        "language": answer.language, "understood": [dict(u) for u in answer.understood],
        "ignored": list(answer.ignored),
        "period": list(answer.period) if answer.period else None, "governed": answer.governed,
        "timings": {k: float(v) for k, v in answer.timings.items()}, "error": answer.error, "intent": answer.intent,
        "query": answer.query.model_dump(mode="json") if answer.query is not None else None,
        "clarification": [{"label": o.label, "followup": o.followup,
                           "query": o.query.model_dump(mode="json") if o.query is not None else None}
                          for o in answer.clarification],
        "issues": _issue_adapter().dump_python(tuple(answer.issues), mode="json"),
        "as_of": getattr(answer, "as_of", None),
    }
    data = answer.data
    if data is None and answer.report is not None and hasattr(answer.report, "to_frame"):
        try:
            data = answer.report.to_frame()
        except Exception:  # noqa: BLE001 - the text still explains
            data = None
    if data is not None:
        record["data"] = encode_frame(data, max_rows=max_rows, max_bytes=max_bytes)
    return record


def answer_from_record(record: dict[str, Any], scope: Any = None) -> Answer:
    """The :class:`~chatbi.Answer` of a record; with ``scope`` (a ``ChatBI`` or a user's view) its
    chart is built on first look from the query and the rows, as the ``present`` stage builds it."""
    query = SemanticQuery.model_validate(record["query"]) if record.get("query") else None
    data = decode_frame(record["data"]) if record.get("data") is not None else None
    options = tuple(ClarifyOption(o["label"], o["followup"],
                                  SemanticQuery.model_validate(o["query"]) if o.get("query") else None)
                    for o in record.get("clarification", ()))
    period = tuple(record["period"]) if record.get("period") else None
    fields: dict[str, Any] = {}
    if "as_of" in Answer.__dataclass_fields__:
        fields["as_of"] = record.get("as_of")
    figure = None
    if scope is not None and query is not None and data is not None and record.get("status") == "ok" \
            and record.get("intent") != "root_cause":
        figure = _figure_recipe(scope, query, data, record.get("language") or "en", period, record.get("intent"))
    return Answer(status=record["status"], question=record.get("question"), query=query, sql=record.get("sql"),
                  data=data, text=record.get("text") or "", language=record.get("language") or "en",
                  clarification=options, issues=_issue_adapter().validate_python(record.get("issues") or ()),
                  understood=tuple(record.get("understood") or ()), ignored=tuple(record.get("ignored") or ()),
                  period=period,
                  governed=bool(record.get("governed", True)), timings=record.get("timings") or {},
                  error=record.get("error"), intent=record.get("intent") or "query", figure_factory=figure,
                  **fields)


def _figure_recipe(scope: Any, query: SemanticQuery, data: Any, language: str, period: Any, intent: Any) -> Any:
    def build() -> Any:
        from ..charts import build_figure
        from ..charts.memo import memo_figure

        try:
            context = {"language": language, "members": scope.members, "period": period, "intent": intent}
            return memo_figure(query, data, scope.model, **context,
                               build=lambda: build_figure(query, data, scope.model, **context))
        except Exception:  # a chart that fails must not cost the card its numbers
            log.warning("chart failed for a stored answer", exc_info=True)
            return None

    return build
