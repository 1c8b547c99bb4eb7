"""A ranking by the size of a change ("增长最快的省份", "biggest revenue drop") is asked back with both
halves offered -- every member's change, and the ranking by the value -- never answered as the
ranking by the value with a comparison beside it (which names another winner)."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize(("question", "words"), [
    ("2025年11月收入同比增长最快的省份", "同比增长 / 最快"),
    ("收入环比下降最多的城市", "环比下降 / 最多"),
    ("哪个城市收入环比涨幅最大", "涨幅 / 最大"),
    ("哪个省收入增长最多", "增长 / 最多"),
    ("top 3 provinces by revenue growth in November 2025", "top 3 / growth"),
    ("which province had the biggest revenue drop last month", "biggest / drop"),
])
def test_a_ranking_by_change_is_asked_back_with_both_halves(sample_bi, question: str, words: str) -> None:
    answer = sample_bi.ask(question)
    assert answer.status == "clarify" and answer.data is None, answer.text
    assert f"“{words}”" in answer.text or f'"{words}"' in answer.text
    change, value = answer.clarification
    assert change.query.compare is not None and not change.query.order_by and change.query.limit is None
    assert value.query.compare is None and value.query.order_by and value.query.dimensions == change.query.dimensions
    # each option's follow-up is a question that asks exactly that
    for option in (change, value):
        followed = sample_bi.ask(option.followup)
        assert followed.status == "ok", (option.followup, followed.text)
        assert followed.query.compare == option.query.compare and followed.query.order_by == option.query.order_by


@pytest.mark.parametrize("question", ["2025年11月收入最高的省份同比增长了多少", "2025年11月收入最高的省份及其同比",
                                      "top 5 cities by revenue in November 2025 vs last year"])
def test_a_ranking_by_value_with_its_comparison_is_still_answered(sample_bi, question: str) -> None:
    answer = sample_bi.ask(question)
    assert answer.status == "ok" and answer.query.order_by == ("-revenue",) and answer.query.compare is not None
