"""How people really ask, per mechanism and in both languages: winners, two periods compared,
follow-ups that shift or take away, everyday words from metric roles, numbered choices."""

from __future__ import annotations

import datetime as dt

import pytest
import yaml

from chatbi import ChatBI, Conversation
from semantic_layer import MemberFilter, RelativeTimeFilter, SemanticModel, TimeRange

NOV = TimeRange(start=dt.date(2025, 11, 1), end=dt.date(2025, 11, 30))
OCT = TimeRange(start=dt.date(2025, 10, 1), end=dt.date(2025, 10, 31))
Q2 = TimeRange(start=dt.date(2025, 4, 1), end=dt.date(2025, 6, 30))
Q3 = TimeRange(start=dt.date(2025, 7, 1), end=dt.date(2025, 9, 30))
THIS_MONTH = RelativeTimeFilter(op="relative", unit="month", n=1, offset=0)
LAST_MONTH = RelativeTimeFilter(op="relative", unit="month", n=1, offset=1)


def query(bi: ChatBI, *questions: str):
    conv = Conversation()
    answer = None
    for q in questions:
        answer = bi.ask(q, conversation=conv)
    assert answer is not None and answer.status == "ok", (answer.text if answer else None)
    return answer.query


# -- winners ---------------------------------------------------------------------------------
@pytest.mark.parametrize(("question", "dimension", "order"), [
    ("2025年哪个省收入最高", "province", "-revenue"),
    ("which city had the highest revenue in 2025?", "city", "-revenue"),
    ("2025年11月哪个渠道新增用户最少", "channel", "new_subscribers"),
    ("bottom 1 region by net adds in 2025", "region", "net_adds"),
    ("2025年12月按收入排名第一的城市", "city", "-revenue"),
    ("2025年哪个月收入最高", "date.month", "-revenue"),
    ("which month of 2025 had the highest revenue?", "date.month", "-revenue"),
])
def test_a_superlative_is_the_single_top_row(sample_bi, question, dimension, order):
    q = query(sample_bi, question)
    assert q.dimensions == (dimension,) and q.limit == 1 and q.order_by[0] == order


# -- two periods -----------------------------------------------------------------------------
@pytest.mark.parametrize(("question", "current", "compare", "baseline"), [
    ("这个月ARPU跟上个月比怎么样", THIS_MONTH, "previous_period", None),
    ("上个月比上上个月收入涨了吗", LAST_MONTH, "previous_period", None),
    ("how did revenue change from Q2 to Q3 2025?", Q3, "previous_period", None),
    ("2025年二季度和三季度相比收入变化多少", Q3, "previous_period", None),
    ("2025年10月跟2025年7月比收入", OCT, "baseline",
     TimeRange(start=dt.date(2025, 7, 1), end=dt.date(2025, 7, 31))),
    ("compare revenue in March 2025 with January 2025", TimeRange(start=dt.date(2025, 3, 1), end=dt.date(2025, 3, 31)),
     "baseline", TimeRange(start=dt.date(2025, 1, 1), end=dt.date(2025, 1, 31))),
    ("What was revenue by province in November 2025 and how did it compare with last year?", NOV,
     "year_over_year", None),
    ("revenue last month compared with the month before", LAST_MONTH, "previous_period", None),
    ("上个月收入跟前一个月比", LAST_MONTH, "previous_period", None),
])
def test_two_periods_are_compared_never_merged(sample_bi, question, current, compare, baseline):
    q = query(sample_bi, question)
    period = q.time_range if isinstance(current, TimeRange) else next(f for f in q.filters
                                                                       if isinstance(f, RelativeTimeFilter))
    assert period == current
    assert q.compare == compare and q.baseline == baseline


def test_a_stated_baseline_runs_and_names_both_periods(sample_bi):
    answer = sample_bi.ask("2025年12月和2025年10月的收入对比")
    assert answer.ok and answer.query.compare == "baseline"
    assert answer.period == ("2025-12-01", "2025-12-31") and answer.compare_period == ("2025-10-01", "2025-10-31")
    assert "2025年12月" in answer.text and "2025年10月" in answer.text


@pytest.mark.parametrize(("question", "language", "words"), [
    ("2024年的上个月收入是多少", "zh", ["时间条件互相矛盾", "2024年", "上个月"]),
    ("revenue in 2025 for the first quarter of 2024", "en", ["contradict", "2025", "2024 Q1"]),
])
def test_contradicting_periods_are_asked_about_in_the_users_language(sample_bi, question, language, words):
    answer = sample_bi.ask(question)
    assert answer.status == "clarify" and answer.language == language
    assert all(w in answer.text for w in words), answer.text
    assert "do not overlap: 20" not in answer.text  # never the compiler's internal message
    runnable = [o for o in answer.clarification if o.query is not None]
    assert len(runnable) == 2  # each period alone (a year and a month are no pair to compare)
    assert {o.query.time_range.start.year for o in runnable} == {2024, 2025}


def test_a_period_picked_after_a_contradiction_answers_it(sample_bi):
    conv = Conversation()
    assert sample_bi.ask("2024年的上个月收入是多少", conversation=conv).status == "clarify"
    picked = sample_bi.ask("2", conversation=conv)
    assert picked.ok and picked.query.time_range == NOV and picked.query.metrics == ("revenue",)


def test_two_periods_with_a_gap_are_compared_not_spanned(sample_bi):
    q = query(sample_bi, "2025年3月和2024年5月的收入")
    assert q.time_range.start == dt.date(2025, 3, 1) and q.compare == "baseline"
    assert q.baseline == TimeRange(start=dt.date(2024, 5, 1), end=dt.date(2024, 5, 31)) and not q.dimensions


def test_years_joined_by_and_stay_one_row_each(sample_bi):
    q = query(sample_bi, "2024年和2025年收入")
    assert q.dimensions == ("date.year",) and q.compare is None


# -- follow-ups that edit ----------------------------------------------------------------------
@pytest.mark.parametrize(("first", "then", "period"), [
    ("2025年11月各省收入", "前一个月呢", OCT),
    ("revenue by province in November 2025", "and the month before?", OCT),
    ("revenue by province in Q3 2025", "what about the quarter before?", Q2),
    ("2025年第三季度各省收入", "前一季度呢", Q2),
    # "last quarter" *is* the quarter shown: asking it again means the one before
    ("2025年第三季度各省收入", "上一季度呢", Q2),
    ("revenue by province in Q3 2025", "and last quarter?", Q2),
    ("2025年11月各省收入", "上个月呢", OCT),
    ("2025年11月各省收入", "去年同期呢", TimeRange(start=dt.date(2024, 11, 1), end=dt.date(2024, 11, 30))),
    ("new subscribers by channel in November 2025", "same period last year?",
     TimeRange(start=dt.date(2024, 11, 1), end=dt.date(2024, 11, 30))),
])
def test_a_follow_up_shifts_the_period(sample_bi, first, then, period):
    q = query(sample_bi, first, then)
    assert q.time_range == period and q.compare is None and q.dimensions  # the breakdown is kept


def test_a_relative_period_shifts_and_stays_relative(sample_bi):
    q = query(sample_bi, "上个月各省收入", "上一个呢")
    assert q.filters == (RelativeTimeFilter(op="relative", unit="month", n=1, offset=2),)


@pytest.mark.parametrize(("first", "then"), [
    ("2025年11月各省收入", "去掉省份"),
    ("2025年12月各省收入", "不按省份看了"),
    ("2025年11月各渠道新增用户", "不要按渠道"),
    ("revenue by channel in 2025", "without the channel breakdown"),
    ("churned subscribers by segment in Q3 2025", "drop segments"),
])
def test_a_follow_up_takes_a_breakdown_away(sample_bi, first, then):
    before = query(sample_bi, first)
    after = query(sample_bi, first, then)
    assert before.dimensions and after.dimensions == ()
    assert after.metrics == before.metrics and after.time_range == before.time_range


def test_a_follow_up_takes_a_filter_or_a_member_away(sample_bi):
    q = query(sample_bi, "revenue by city in Guangdong in November 2025", "drop the Guangdong filter")
    assert q.dimensions == ("city",) and not [f for f in q.filters if isinstance(f, MemberFilter)]
    q = query(sample_bi, "2025年11月广东和浙江的收入", "去掉广东")
    assert q.filters == (MemberFilter(op="in", dimension="province", values=("浙江",)),)
    q = query(sample_bi, "revenue by province in November 2025", "now without Guangdong")
    assert q.filters == (MemberFilter(op="not_in", dimension="province", values=("广东",)),)


@pytest.mark.parametrize(("first", "then", "metric"), [
    ("2025年11月各省收入", "改看离网率", "churn_rate"),
    ("revenue by province in November 2025", "show me the same for ARPU", "arpu"),
])
def test_a_follow_up_swaps_the_metric(sample_bi, first, then, metric):
    q = query(sample_bi, first, then)
    assert q.metrics == (metric,) and q.dimensions == ("province",) and q.time_range == NOV


# -- everyday words --------------------------------------------------------------------------
@pytest.mark.parametrize(("question", "metric"), [
    ("咱们2025年一共赚了多少钱", "revenue"),
    ("how much money did we make in 2025?", "revenue"),
    ("上个月走了多少人", "churned_subscribers"),
    ("how many people left last month?", "churned_subscribers"),
    ("2025年11月拉了多少新用户", "new_subscribers"),
    ("how many new sign-ups did we get in November 2025?", "new_subscribers"),
    ("我们现在有多少用户", "active_subscribers"),
    ("how many customers do we have?", "active_subscribers"),
    ("2025年用户涨了多少", "net_adds"),
    ("how much did we grow in 2025?", "net_adds"),
])
def test_everyday_words_find_the_metric_of_their_role(sample_bi, question, metric):
    assert query(sample_bi, question).metrics == (metric,)


def test_role_words_come_from_the_model_not_from_the_domain(sample_model, sample_db_path):
    data = yaml.safe_load(sample_model.spec.model_dump_json())
    for spec in data["metrics"].values():
        spec.pop("role", None)
    bare = ChatBI(SemanticModel.from_dict(data), sample_db_path, translator="offline")
    try:  # without roles the everyday word is not understood: asked back, never guessed
        assert bare.ask("how much money did we make in 2025?").status == "clarify"
        data["metrics"]["arpu"]["role"] = "revenue"
        data["metrics"]["revenue"]["role"] = "revenue"
        twice = ChatBI(SemanticModel.from_dict(data), sample_db_path, translator="offline")
        asked = twice.ask("咱们2025年赚了多少钱")  # two metrics claim the role: which one?
        assert asked.status == "clarify"
        assert {o.query.metrics[0] for o in asked.clarification if o.query} == {"revenue", "arpu"}
        twice.close()
    finally:
        bare.close()


def test_a_word_that_ends_a_found_metric_does_not_ask(sample_bi):
    q = query(sample_bi, "complaints per 10k users by segment in November 2025")
    assert q.metrics == ("complaint_rate",) and q.dimensions == ("segment",)
    assert sample_bi.ask("2025年收入和用户").status == "clarify"  # "and users" is another metric: which?


@pytest.mark.parametrize(("question", "metric"), [("2025年11月各省用户的离网率", "churn_rate"),
                                                  ("2025年各省用户的ARPU", "arpu"),
                                                  ("users' churn rate by province in November 2025", "churn_rate")])
def test_users_that_a_found_metric_is_computed_from_do_not_ask(sample_bi, question, metric):
    answer = sample_bi.ask(question)
    assert answer.ok and answer.query.metrics == (metric,)
    assert [u for u in answer.understood if u["kind"] == "qualifier"]


# -- numbered choices ------------------------------------------------------------------------
@pytest.mark.parametrize(("question", "reply"), [("2025年广东怎么样", "2"), ("2025年广东怎么样", "第二个"),
                                                 ("how are we doing in Sichuan in 2025", "option 2")])
def test_a_number_picks_the_option_of_the_clarification(sample_bi, question, reply):
    conv = Conversation()
    asked = sample_bi.ask(question, conversation=conv)
    assert asked.status == "clarify" and len(asked.clarification) >= 2
    picked = sample_bi.ask(reply, conversation=conv)
    assert picked.ok and picked.query.metrics == asked.clarification[1].query.metrics
    assert picked.understood[0] == {"text": reply, "kind": "choice", "value": asked.clarification[1].label}


def test_a_number_without_a_clarification_is_a_question(sample_bi):
    conv = Conversation()
    sample_bi.ask("2025年各省收入", conversation=conv)
    answer = sample_bi.ask("2", conversation=conv)
    assert not [u for u in answer.understood if u["kind"] == "choice"]


def test_the_cli_takes_its_own_numbered_choice(sample_db_path, capsys):
    from chatbi.cli import main as cli_main
    from sample_data import TELECOM_MODEL

    code = cli_main(["ask", "2025年广东怎么样", "--then", "1", "--model", str(TELECOM_MODEL),
                     "--database", str(sample_db_path), "--format", "csv"])
    out = capsys.readouterr().out
    assert code == 0
    assert "  1. 收入" in out  # the options are printed numbered
    assert out.strip().splitlines()[-2] == "revenue"  # and "1" picked the first
