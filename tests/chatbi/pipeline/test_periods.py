"""Periods: a question without one is answered for the model's default period, and every answer says
which period ran (the resolve stage, ``chatbi.pipeline.periods``)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from chatbi import ChatBI
from sample_data import TELECOM_MODEL
from semantic_layer import SemanticModel

from ..frames import assert_same_rows

DEC = ("2025-12-01", "2025-12-31")
ALL = ("2024-01-01", "2025-12-31")


@pytest.mark.parametrize(("question", "named"), [("各省收入", "2025年12月"), ("revenue by province", "December 2025")])
def test_a_question_without_a_period_runs_for_the_default_and_says_so(sample_bi: ChatBI, question: str,
                                                                      named: str) -> None:
    answer = sample_bi.ask(question)
    assert answer.ok and answer.period == DEC
    assert named in answer.text
    assert answer.query.time_range is not None and (str(answer.query.time_range.start), str(answer.query.time_range.end)) == DEC
    assert any(u["kind"] == "default_period" for u in answer.understood)
    gold = sample_bi.engine.execute(
        "SELECT r.province, SUM(f.revenue) FROM fact_daily f JOIN dim_region r ON f.city_id = r.city_id "
        "WHERE f.date BETWEEN DATE '2025-12-01' AND DATE '2025-12-31' GROUP BY 1")
    assert_same_rows(answer.data, gold)


@pytest.mark.parametrize(("question", "as_of"), [("各省在网用户数", "截至2025年12月31日"),
                                                 ("active subscribers by province", "as of December 31, 2025")])
def test_a_stock_says_the_date_it_is_as_of(sample_bi: ChatBI, question: str, as_of: str) -> None:
    answer = sample_bi.ask(question)
    assert answer.ok and answer.period == DEC and as_of in answer.text
    gold = sample_bi.engine.execute(
        "SELECT r.province, SUM(f.active_subscribers) FROM fact_daily f JOIN dim_region r ON f.city_id = r.city_id "
        "WHERE f.date = DATE '2025-12-31' GROUP BY 1")
    assert_same_rows(answer.data, gold)


@pytest.mark.parametrize(("question", "first", "last"), [("收入月度趋势", "2024年1月", "2025年12月"),
                                                         ("monthly revenue trend", "January 2024", "December 2025")])
def test_a_time_series_without_a_period_covers_all_data_and_states_the_range(sample_bi: ChatBI, question: str,
                                                                              first: str, last: str) -> None:
    answer = sample_bi.ask(question)
    assert answer.ok and answer.query.time_range is None and len(answer.data) == 24
    assert answer.period == ALL and first in answer.text and last in answer.text
    assert not any(u["kind"] == "default_period" for u in answer.understood)


def test_member_listings_and_comparisons(sample_bi: ChatBI) -> None:
    listed = sample_bi.ask("有哪些省份")
    assert listed.ok and listed.period is None and listed.query.time_range is None and len(listed.data) == 11
    compared = sample_bi.ask("revenue by region vs last month")
    assert compared.ok and compared.period == DEC and compared.query.compare == "previous_period"
    assert "December 2025" in compared.text


def test_a_structured_query_without_a_period_says_it_covers_all_data(sample_bi: ChatBI) -> None:
    answer = sample_bi.query(metrics=["revenue"], dimensions=["province"], language="zh")
    assert answer.ok and answer.period == ALL and answer.query.time_range is None
    assert "2024年1月至2025年12月" in answer.text


def _bi(db: Path, **changes: object) -> ChatBI:
    data = yaml.safe_load(TELECOM_MODEL.read_text(encoding="utf-8"))
    data.update(changes)
    return ChatBI(SemanticModel.from_dict(data), db, translator="offline")


def test_the_latest_complete_month_before_a_month_ends_is_the_month_before(sample_db_path: Path) -> None:
    with _bi(sample_db_path, time_anchor="2025-12-15") as bi:
        answer = bi.ask("各省收入")
        assert answer.ok and answer.period == ("2025-11-01", "2025-11-30") and "2025年11月" in answer.text


def test_a_model_whose_default_is_all_data_answers_over_all_of_it_and_says_so(sample_db_path: Path) -> None:
    with _bi(sample_db_path, default_period="all") as bi:
        answer = bi.ask("revenue by province")
        assert answer.ok and answer.query.time_range is None and answer.period == ALL
        assert "January 2024 to December 2025" in answer.text
        # a comparison cannot compare all data with nothing: the latest complete month
        compared = bi.ask("各省收入环比")
        assert compared.ok and compared.period == DEC
