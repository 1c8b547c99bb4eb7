"""End to end: never a confident wrong answer -- unknown concepts are asked back with suggestions,
incidental words are listed as ignored, writes are refused, and each answer says what it understood."""

from __future__ import annotations

import pytest

from chatbi import ChatBI, Conversation


@pytest.mark.parametrize(("question", "word", "suggested"), [("2025年各省的营业额", "营业额", "收入"),
                                                             ("provincial revenue in 2025", "provincial", "Province")])
def test_an_unknown_concept_is_asked_back_with_a_suggestion(sample_bi: ChatBI, question: str, word: str,
                                                            suggested: str) -> None:
    answer = sample_bi.ask(question)
    assert answer.status == "clarify" and answer.intent == "clarify"
    assert word in answer.text and answer.data is None and answer.sql is None
    assert suggested in [o.label for o in answer.clarification]


def test_picking_the_question_without_the_word_answers_it(sample_bi: ChatBI) -> None:
    conv = Conversation()
    asked = sample_bi.ask("各省漫游收入", conversation=conv)
    assert asked.status == "clarify" and "漫游" in asked.text
    option = next(o for o in asked.clarification if o.query is not None)
    answer = sample_bi.ask(option.followup, conversation=conv)
    assert answer.ok and answer.query.metrics == ("revenue",) and answer.query.dimensions == ("province",)
    assert answer.period == ("2025-12-01", "2025-12-31") and "2025年12月" in answer.text


@pytest.mark.parametrize(("question", "ignored"), [("老板要的，2025年各省收入", "老板要的"),
                                                   ("FYI for the board deck, revenue by province in 2025",
                                                    "FYI for the board deck")])
def test_an_incidental_remark_is_answered_around_and_listed(sample_bi: ChatBI, question: str, ignored: str) -> None:
    answer = sample_bi.ask(question)
    assert answer.ok and answer.ignored == (ignored,) and len(answer.data) == 11
    assert any(u["kind"] == "ignored" and u["text"] == ignored for u in answer.understood)


@pytest.mark.parametrize("question", ["把广东的收入改成50万", "set it to zero for Guangdong"])
def test_a_write_is_refused_even_as_a_follow_up(sample_bi: ChatBI, question: str) -> None:
    conv = Conversation()
    assert sample_bi.ask("各省收入", conversation=conv).ok
    refused = sample_bi.ask(question, conversation=conv)
    assert refused.status == "clarify" and refused.intent == "out_of_scope" and refused.sql is None
    again = sample_bi.ask("只看广东", conversation=conv)  # the refusal changed nothing in the conversation
    assert again.ok and again.query.metrics == ("revenue",)
