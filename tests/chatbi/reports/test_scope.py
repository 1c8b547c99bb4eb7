"""A report about part of the business ("生成广东2025年11月的经营分析报告"): every section, every
free question and every number about the scope's rows only; groupings by the scoped dimension one
level down; the scope named in the title; a scope the viewer cannot see is not a report."""

from __future__ import annotations

import pytest

from chatbi import Conversation
from chatbi.reports import KpiRow, SpecError

GUANGDONG_CITIES = {"广州", "深圳", "东莞"}
NOVEMBER = ("2025-11-01", "2025-11-30")
ASKED = [("生成广东2025年11月的经营分析报告", "zh", "广东月度经营分析报告"),
         ("business review for Guangdong, November 2025", "en", "Monthly business review: Guangdong")]


def _others(bi, dimension: str, keep: set[str]) -> set[str]:
    """Every other member of ``dimension``, by its stored value and its English name."""
    return {n for m in bi.members.members[dimension] if m.value not in keep
            for n in (m.value, bi.members.label(dimension, m.value, "en"))}


@pytest.fixture(scope="module")
def asked(sample_bi):
    return {lang: sample_bi.ask(question) for question, lang, _ in ASKED}


@pytest.mark.parametrize(("question", "lang", "title"), ASKED)
def test_a_report_for_one_province_is_built_for_it(asked, question: str, lang: str, title: str) -> None:
    answer = asked[lang]
    assert answer.status == "ok" and answer.intent == "report" and answer.language == lang
    assert answer.period == NOVEMBER
    report = answer.report
    assert report.name == "monthly_review" and report.title == title
    assert [(f.dimension, f.op, f.values) for f in report.scope] == [("province", "in", ("广东",))]
    assert answer.text.startswith(f"{title} · ")


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_number_is_guangdongs_and_no_other_province_appears(asked, sample_bi, warehouse, lang) -> None:
    report = asked[lang].report
    html = report.to_html(plotlyjs="plotly.js")   # every word and number of the page, without the library
    leaked = {n for n in _others(sample_bi, "province", {"广东"}) | _others(sample_bi, "city", GUANGDONG_CITIES)
              if n in html}
    assert not leaked
    # the sample's "分省收入" breakdown and "分省离网率" question are Guangdong's cities instead
    assert all(sample_bi.members.label("city", c, lang) in html for c in GUANGDONG_CITIES)
    breakdowns = [s for s in report.sections if s.kind == "breakdown"]
    assert breakdowns[0].title == {"zh": "收入：按城市", "en": "Revenue by City"}[lang]   # not the author's "分省收入"
    truth = warehouse("SELECT SUM(f.revenue) FROM fact_daily f JOIN dim_region r USING (city_id) "
                      "WHERE r.province = '广东' AND f.date BETWEEN DATE '2025-11-01' AND DATE '2025-11-30'")
    revenue = next(r for r in report.items(KpiRow) if r.metric == "revenue")
    assert revenue.value == pytest.approx(truth, rel=1e-9)
    # every statement of the appendix reads Guangdong's rows only
    assert report.sql and all("'广东'" in e.sql for e in report.sql)


def test_a_free_question_by_the_scoped_dimension_moves_one_level_down(asked, sample_bi) -> None:
    report = asked["zh"].report
    churn = next(s for s in report.sections if s.kind == "question" and s.title.startswith("分省离网率"))
    assert churn.title == "分省离网率（广东，按城市）"
    answer = churn.items[0]
    assert answer.ok and answer.query.dimensions == ("city",)
    assert set(answer.data["city"]) == GUANGDONG_CITIES


def test_a_region_report_breaks_down_by_its_provinces(sample_bi, sample_db_path) -> None:
    import duckdb

    with duckdb.connect(str(sample_db_path), read_only=True) as con:
        east = {r[0] for r in con.execute("SELECT DISTINCT province FROM dim_region WHERE region = '华东'").fetchall()}
    answer = sample_bi.ask("生成华东2025年11月的经营分析报告")
    assert answer.status == "ok" and answer.report.title == "华东月度经营分析报告"
    breakdown = next(s for s in answer.report.sections if s.kind == "breakdown")
    assert breakdown.title == "分省收入"                      # by province still: the author's title holds
    assert set(breakdown.items[0].data["province"]) == east


def test_a_section_about_other_members_is_left_out(sample_bi) -> None:
    spec = {"name": "two", "title": "Two", "sections": [
        {"type": "kpis", "metrics": ["revenue"]},
        {"type": "kpis", "metrics": ["revenue"], "filters": {"province": "江苏"}, "title": "江苏"}]}
    report = sample_bi.report(spec, period="2025-11", language="zh", scope={"province": "广东"})
    assert [s.title for s in report.sections] == ["核心指标"]


def test_a_scope_names_a_known_member_or_says_what_it_meant(sample_bi) -> None:
    assert sample_bi.report(None, period="2025-11", scope={"province": "Guangdong"}).scope[0].values == ("广东",)
    with pytest.raises(SpecError, match=r"no province called 'Guangdongg'.*Did you mean 'Guangdong'"):
        sample_bi.report(None, period="2025-11", scope={"province": "Guangdongg"})
    with pytest.raises(SpecError, match=r"no dimension 'provnce'.*Did you mean 'province'"):
        sample_bi.report(None, period="2025-11", scope={"provnce": "广东"})


def test_asking_which_period_keeps_the_province(sample_bi) -> None:
    conv = Conversation()
    answer = sample_bi.ask("广东2025年经营分析报告", conversation=conv)
    assert answer.status == "clarify" and answer.intent == "report"
    assert all("广东" in o.followup for o in answer.clarification)
    picked = sample_bi.ask(answer.clarification[1].followup, conversation=conv)
    assert picked.intent == "report" and picked.period == NOVEMBER
    assert [f.values for f in picked.report.scope] == [("广东",)]


def test_a_province_the_user_may_not_see_is_no_report(sample_bi, security) -> None:
    alice = sample_bi.for_user("alice", security=security)    # rows: 广东 only
    answer = alice.ask("生成江苏2025年11月的经营分析报告")
    assert answer.report is None and answer.status != "ok"
    with pytest.raises(SpecError, match="no province called '江苏'"):
        alice.report(None, period="2025-11", scope={"province": "江苏"})
    mine = alice.ask("生成广东2025年11月的经营分析报告")
    assert mine.status == "ok" and mine.report.restricted and mine.report.title.startswith("广东")


def test_metrics_the_scope_cannot_split_are_left_out_and_said(sample_bi) -> None:
    report = sample_bi.report(None, period="2025-11", language="zh", scope={"channel": "线上"})
    kpis = report.section("kpis")
    shown = {row.metric for row in report.items(KpiRow)}
    network = {m for m in shown | {"dropped_calls", "call_attempts"} if "fact_network_daily" in
               sample_bi.model.metric_tables(m)}
    assert network and not shown & network           # calls are counted per cell, not per sales channel
    assert kpis.blocks[0].text == "呼叫次数、掉话次数、掉话率不能按渠道区分，本节未列入。"
    assert report.title == "线上电信运营经营分析报告" and not any(s.error for s in report.sections)


def test_a_city_report_answers_a_by_province_question_for_the_city(sample_bi) -> None:
    answer = sample_bi.ask("广州11月经营分析报告")
    churn = next(s for s in answer.report.sections if s.kind == "question" and s.title.startswith("分省离网率"))
    assert churn.title == "分省离网率（广州）"
    (row,) = churn.items[0].data.to_dict("records")
    assert set(row) == {"churn_rate"} and churn.items[0].query.dimensions == ()


QUESTIONS = ["广东和江苏的收入对比", "江苏的收入", "华南的收入", "收入最高的大区", "深圳的收入", "广东的收入占比",
             "5G套餐ARPU"]


def _answers(sample_bi, scope) -> dict[str, str]:
    spec = {"name": "q", "title": {"zh": "测试", "en": "Test"},
            "sections": [{"type": "question", "question": q} for q in QUESTIONS]}
    report = sample_bi.report(spec, period="2025-11", language="zh", scope=scope)
    return {s.items[0].question: (s.title, s.items[0].text) for s in report.sections}  # type: ignore[misc]


def test_a_free_question_about_members_outside_the_scope_is_said_to_be_outside(sample_bi) -> None:
    outside = "此问题不属于本报告的范围"
    got = _answers(sample_bi, {"province": "广东"})
    for q in ("广东和江苏的收入对比", "江苏的收入", "华南的收入", "广东的收入占比"):   # another member, a coarser one,
        assert got[q][1].startswith(outside), (q, got[q])                          # a share of the whole
    assert got["深圳的收入"][1] == "2025年11月深圳收入为 3.12 亿元。"               # inside, named once
    assert got["5G套餐ARPU"][1].startswith("2025年11月广东5G ARPU为")
    assert got["收入最高的大区"][0] == "收入最高的大区（广东，按城市）"
    # several provinces: a region's row would hold only their part, so the ranking is by province
    two = _answers(sample_bi, {"province": ["广东", "江苏"]})
    assert two["收入最高的大区"][0] == "收入最高的大区（广东、江苏，按省份）"
    assert two["广东和江苏的收入对比"][1].startswith("2025年11月广东、江苏在 2 个省份中")
    assert two["华南的收入"][1].startswith(outside) and two["广东的收入占比"][1].startswith(outside)
    # an exclusion: the excluded member and its cities are outside; another province is its own
    other = _answers(sample_bi, [{"op": "not_in", "dimension": "province", "values": ["广东"]}])
    assert other["深圳的收入"][1].startswith(outside) and other["江苏的收入"][1] == "2025年11月江苏收入为 7.92 亿元。"
    # a city: no ranking of regions is left to give
    assert _answers(sample_bi, {"city": "深圳"})["收入最高的大区"][1].startswith(outside)


def test_two_levels_of_one_hierarchy_are_asked_which_report(sample_bi) -> None:
    from chatbi.reports.scope import ScopeError

    answer = sample_bi.ask("广东和深圳2025年11月经营分析报告")
    assert answer.status == "clarify" and answer.report is None
    assert [o.followup for o in answer.clarification] == ["2025年11月广东月度经营分析报告", "2025年11月深圳月度经营分析报告"]
    assert sample_bi.ask(answer.clarification[1].followup).report.title == "深圳月度经营分析报告"
    with pytest.raises(ScopeError, match="levels of one hierarchy"):
        sample_bi.report(None, period="2025-11", scope={"province": "江苏", "city": "深圳"})


def test_a_scope_without_rows_the_viewer_may_see_is_said(sample_bi, security) -> None:
    from chatbi.reports.scope import ScopeError

    alice = sample_bi.for_user("alice", security=security)    # rows: 广东 only
    answer = alice.ask("除广东外2025年11月的经营分析报告")
    assert answer.status == "error" and answer.report is None and answer.text == "没有您可查看的除广东外的数据。"
    with pytest.raises(ScopeError):
        alice.report(None, period="2025-11", scope=[{"op": "not_in", "dimension": "province", "values": ["广东"]}])


def test_the_kpi_note_says_an_exclusion_and_a_left_out_metric_names_its_dimension(sample_bi) -> None:
    report = sample_bi.report(None, period="2025-11", language="zh",
                              scope=[{"op": "in", "dimension": "province", "values": ["广东"]},
                                     {"op": "not_in", "dimension": "plan_type", "values": ["5G"]}])
    notes = [b.text for b in report.section("kpis").blocks if hasattr(b, "text")]
    assert "范围：广东、除5G外" in notes
    assert any(t.endswith("不能按套餐类型区分，本节未列入。") and "省份" not in t for t in notes)


@pytest.mark.parametrize("question", ["广东11月月报", "2025年11月广东月度报告"])
def test_yue_bao_asks_for_the_monthly_report(sample_bi, question: str) -> None:
    answer = sample_bi.ask(question)
    assert answer.intent == "report" and answer.report.title == "广东月度经营分析报告"
