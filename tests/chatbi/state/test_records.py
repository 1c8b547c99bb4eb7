"""Answers and conversations as stored records: what a card and a follow-up need, bounded."""

from __future__ import annotations

from chatbi import Answer, Conversation
from chatbi.state.frames import dumps, loads
from chatbi.state.records import (
    MAX_TURNS,
    answer_from_record,
    answer_record,
    conversation_from_record,
    conversation_record,
)


def test_an_answer_keeps_what_its_card_needs(sample_bi):
    answer = sample_bi.ask("2025年11月各省收入环比")
    record = loads(dumps(answer_record(answer)))
    assert "figure" not in record and "report" not in record
    back = answer_from_record(record, sample_bi)
    for name in ("status", "question", "query", "sql", "text", "language", "understood", "period", "intent",
                 "governed", "as_of", "issues"):
        assert getattr(back, name) == getattr(answer, name), name
    assert back.data.equals(answer.data)
    assert back.figure.to_plotly_json()["data"] == answer.figure.to_plotly_json()["data"]  # the same recipe


def test_a_clarification_keeps_its_options(sample_bi):
    answer = sample_bi.ask("收入")
    back = answer_from_record(loads(dumps(answer_record(answer))), sample_bi)
    assert back.status == answer.status and back.clarification == answer.clarification


def test_a_conversation_survives_the_store(sample_bi):
    conv = Conversation()
    sample_bi.ask("2025年11月各省收入", conversation=conv)
    back = conversation_from_record(loads(dumps(conversation_record(conv))))
    assert back == conv
    follow = sample_bi.ask("只看5G", conversation=back)
    assert follow.ok and follow.query.dimensions == ("province",) and follow.period == ("2025-11-01", "2025-11-30")


def test_a_long_conversation_is_bounded():
    conv = Conversation()
    for i in range(MAX_TURNS + 10):
        conv.record(f"q{i}", None, Answer(status="error", text="x", language="en"))
    back = conversation_from_record(conversation_record(conv))
    assert len(back.turns) == MAX_TURNS and back.turns[-1].question == f"q{MAX_TURNS + 9}"


def test_an_unreadable_record_starts_a_new_conversation():
    assert conversation_from_record({"turns": "garbage"}) == Conversation()


def test_an_answer_keeps_its_ignored_words_and_per_month_marks(sample_bi):
    """The card of a stored answer (another worker's, say) says what the fresh one says: words left
    out of the question, and that a per-user rate over a year is the average month's."""
    answer = sample_bi.ask("老板要的，2025年各省ARPU")
    assert answer.ignored and answer.data.attrs.get("per_month")
    back = answer_from_record(loads(dumps(answer_record(answer))), sample_bi)
    assert back.ignored == answer.ignored
    assert tuple(back.data.attrs["per_month"]) == tuple(answer.data.attrs["per_month"])
