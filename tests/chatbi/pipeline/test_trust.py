"""End to end: never a confident wrong answer -- unknown concepts are asked back with suggestions,
incidental words are listed as ignored, writes are refused, and each answer says what it understood."""

from __future__ import annotations

import pytest

from chatbi import ChatBI, Conversation


@pytest.mark.parametrize(("question", "word", "suggested"), [("2025年各省的收款", "收款", "收入"),
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


# -- results over the row cap: asked back before running, or the cut said ---------------------------
@pytest.mark.parametrize(("question", "coarser"), [("2025年每天各城市的收入", "按周"),
                                                   ("daily revenue by city in 2025", "weekly")])
def test_a_question_whose_answer_is_over_the_cap_is_asked_back_with_what_fits(sample_bi: ChatBI, question: str,
                                                                            coarser: str) -> None:
    conv = Conversation()
    answer = sample_bi.ask(question, conversation=conv)
    assert answer.status == "clarify" and answer.sql is None and answer.data is None
    assert [i.code for i in answer.issues] == ["too_many_rows"] and "12,045" in answer.text
    labels = [o.label for o in answer.clarification]
    assert coarser in labels
    assert all(o.query is not None for o in answer.clarification)
    narrowed = sample_bi.ask(coarser, conversation=conv)  # the option's text, as a follow-up, fits
    assert narrowed.ok and narrowed.query.dimensions[0] == "date.week" and len(narrowed.data) <= 10_000
    assert not narrowed.data.attrs.get("truncated")


def test_typed_sql_over_the_cap_says_first_n_of_m(sample_bi: ChatBI) -> None:
    answer = sample_bi.run_sql("SELECT * FROM fact_daily")
    total = int(sample_bi.engine.execute("SELECT COUNT(*) FROM fact_daily").iloc[0, 0])
    assert answer.ok and len(answer.data) == 10_000
    assert answer.data.attrs["truncated"] is True and answer.data.attrs["total_rows"] == total
    assert [i.code for i in answer.issues] == ["truncated"]
    assert f"first 10,000 of {total:,} rows" in answer.text


def test_a_structured_query_over_the_cap_is_answered_with_the_cut_stated(sample_bi: ChatBI) -> None:
    answer = sample_bi.query(metrics=["revenue"], dimensions=["date.day", "city"], language="zh")
    assert answer.ok and len(answer.data) == 10_000 and answer.data.attrs["total_rows"] == 731 * 33
    assert "前 10,000 行" in answer.text and "24,123" in answer.text
    assert "最高" not in answer.text  # no narrative reads the last rows as the latest period


def test_a_result_that_just_fills_the_cap_is_not_called_cut(sample_db_path, sample_model) -> None:
    with ChatBI(sample_model, sample_db_path, translator="offline", row_cap=33) as bi:
        full = bi.query(metrics=["revenue"], dimensions=["city"])
        assert full.ok and len(full.data) == 33 and not full.data.attrs.get("truncated") and not full.issues
        assert bi.ask("2025年各城市收入").ok  # exactly the cap: the whole answer
    with ChatBI(sample_model, sample_db_path, translator="offline", row_cap=10) as bi:
        asked = bi.ask("2025年各城市收入")  # 33 rows over a cap of 10: asked back
        assert asked.status == "clarify" and "33" in asked.text and [i.code for i in asked.issues] == ["too_many_rows"]


def test_a_result_the_engine_cut_says_so_too(sample_db_path, sample_model) -> None:
    from chatbi.warehouse import DuckDBEngine

    engine = DuckDBEngine(sample_db_path, row_cap=20)  # the engine's own memory cap, below the guard's
    with ChatBI(sample_model, engine, translator="offline") as bi:
        answer = bi.run_sql("SELECT city, SUM(revenue) AS revenue FROM fact_daily f JOIN dim_region r "
                            "ON f.city_id = r.city_id GROUP BY city")
        assert answer.ok and len(answer.data) == 20
        assert answer.data.attrs["truncated"] is True and answer.data.attrs["total_rows"] == 33
        assert "first 20 of 33 rows" in answer.text
