"""The default report of the sample for November 2025: the planted stories, numbers checked against SQL.

Story (a) falls in the period itself (its anomaly and the revenue root cause); (c) is October's
spike, which is both the reason complaints fell in November and an anomaly of the past year;
(b) and (d) are anomalies of the year the report looks back on. Each is found with the exact
combination of members the generator planted, in both languages.
"""

from __future__ import annotations

import datetime as dt

import pytest

from chatbi.analysis import RootCauseReport
from chatbi.charts.numbers import format_value
from chatbi.reports import AnomalyItem, KpiRow, Report
from sample_data.telecom import STORIES

STORY = {s.key: s for s in STORIES}
LANGS = ("zh", "en")


def _truth(key: str) -> dict[str, str]:
    return {dim: values[0] for dim, values in STORY[key].where}


def _anomaly(report: Report, metric: str, province: str, month: int) -> AnomalyItem:
    found = [i for i in report.items(AnomalyItem) if i.metric == metric and dict(i.members) == {"province": province}
             and i.bucket == dt.date(2025, month, 1)]
    assert len(found) == 1, [(i.metric, i.members, i.bucket) for i in report.items(AnomalyItem)]
    return found[0]


def _root_cause(report: Report, metric: str) -> RootCauseReport:
    return next(r for r in report.items(RootCauseReport) if r.metric == metric)


def _label(bi, members: dict[str, str], lang: str) -> str:
    return " × ".join(bi.members.label(d, v, lang) for d, v in members.items())


@pytest.mark.parametrize("lang", LANGS)
def test_story_a_is_the_period_anomaly_and_the_revenue_root_cause(november, november_html, sample_bi, lang) -> None:
    report, html = november[lang], november_html[lang]
    truth = _truth("a")  # 广东 x 5G x 线上, November 2025
    item = _anomaly(report, "revenue", "广东", 11)
    assert item.in_period and item.deviation < -0.05
    assert dict(item.driver_members) == {"plan_type": "5G", "channel": "线上"}
    assert item.driver_deviation == pytest.approx(STORY["a"].factor - 1, abs=0.03)
    rc = _root_cause(report, "revenue")
    assert rc.top == truth
    assert rc.combinations[0].deviation == pytest.approx(STORY["a"].factor - 1, abs=0.03)
    assert _label(sample_bi, truth, lang) in html
    assert any(_label(sample_bi, {"plan_type": "5G", "channel": "线上"}, lang) in line for line in report.summary)


@pytest.mark.parametrize("lang", LANGS)
def test_story_c_explains_the_complaints_fall_and_is_octobers_anomaly(november, november_html, sample_bi,
                                                                      lang) -> None:
    report, html = november[lang], november_html[lang]
    assert _truth("c") == {"province": "四川"}
    # the October spike ended: complaints are one of the largest moves, and Sichuan is why
    rc = _root_cause(report, "complaints")
    assert rc.top == {"province": "四川"} and rc.total_change < 0
    item = _anomaly(report, "complaints", "四川", 10)
    assert not item.in_period and item.deviation > 1.5          # about three times normal
    assert dict(item.driver_members) == {"city": "成都"}
    assert sample_bi.members.label("city", "成都", lang) in html


@pytest.mark.parametrize("lang", LANGS)
def test_story_b_is_an_earlier_anomaly_with_its_vendor_and_band(november, november_html, sample_bi, lang) -> None:
    report, html = november[lang], november_html[lang]
    truth = _truth("b")
    item = _anomaly(report, "dropped_calls", truth["province"], 8)
    assert not item.in_period and item.deviation > 0.1
    assert dict(item.driver_members) == {"vendor": truth["vendor"], "band": truth["band"]}
    assert _label(sample_bi, {"vendor": truth["vendor"], "band": truth["band"]}, lang) in html


@pytest.mark.parametrize("lang", LANGS)
def test_story_d_is_an_earlier_anomaly_in_the_agent_channel(november, november_html, sample_bi, lang) -> None:
    report, html = november[lang], november_html[lang]
    truth = _truth("d")
    item = _anomaly(report, "new_subscribers", truth["province"], 6)
    assert item.deviation > 0.1
    assert dict(item.driver_members) == {"channel": truth["channel"]}
    assert item.driver_deviation == pytest.approx(STORY["d"].factor - 1, abs=0.1)
    assert sample_bi.members.label("channel", truth["channel"], lang) in html


# -- numbers against hand-written SQL on the warehouse file ------------------------------------------
REVENUE = "SELECT SUM(revenue) FROM fact_daily WHERE date BETWEEN DATE '{0}' AND DATE '{1}'"
BY_PROVINCE = ("SELECT SUM(f.{col}) FROM {table} f JOIN dim_region r USING (city_id) "
               "WHERE r.province = '{province}' AND f.date BETWEEN DATE '{0}' AND DATE '{1}'")


def test_kpis_match_sql(november, warehouse) -> None:
    rows = {r.metric: r for r in november["zh"].items(KpiRow)}
    nov, oct_, nov24 = (warehouse(REVENUE.format(*p)) for p in (("2025-11-01", "2025-11-30"),
                                                                ("2025-10-01", "2025-10-31"),
                                                                ("2024-11-01", "2024-11-30")))
    revenue = rows["revenue"]
    assert revenue.value == pytest.approx(nov, rel=1e-9)
    assert revenue.comparisons["previous_period"][0] == pytest.approx(oct_, rel=1e-9)
    assert revenue.comparisons["previous_period"][2] == pytest.approx(nov / oct_ - 1, rel=1e-9)
    assert revenue.comparisons["year_over_year"][0] == pytest.approx(nov24, rel=1e-9)
    # ARPU: revenue per average end-of-day subscriber base
    base = warehouse("SELECT SUM(active_subscribers) / COUNT(DISTINCT date) FROM fact_daily "
                     "WHERE date BETWEEN DATE '2025-11-01' AND DATE '2025-11-30'")
    assert rows["arpu"].value == pytest.approx(nov / base, rel=1e-9)
    churned = warehouse("SELECT SUM(churned_subscribers) FROM fact_daily "
                        "WHERE date BETWEEN DATE '2025-11-01' AND DATE '2025-11-30'")
    assert rows["churn_rate"].value == pytest.approx(churned / base, rel=1e-9)


@pytest.mark.parametrize("lang", LANGS)
def test_anomaly_values_match_sql_and_show_in_the_report(november, november_html, warehouse, lang) -> None:
    report, html = november[lang], november_html[lang]
    cases = [("revenue", "fact_daily", "revenue", "广东", ("2025-11-01", "2025-11-30"), 11),
             ("complaints", "fact_daily", "complaints", "四川", ("2025-10-01", "2025-10-31"), 10),
             ("dropped_calls", "fact_network_daily", "dropped_calls", "浙江", ("2025-08-01", "2025-08-31"), 8),
             ("new_subscribers", "fact_daily", "new_subscribers", "江苏", ("2025-06-01", "2025-06-30"), 6)]
    for metric, table, col, province, period, month in cases:
        truth = warehouse(BY_PROVINCE.format(*period, col=col, table=table, province=province))
        item = _anomaly(report, metric, province, month)
        assert item.actual == pytest.approx(truth, rel=1e-9), metric
        shown = format_value(truth, *_fmt(metric), lang)  # the one formatting layer, as the reader sees it
        assert shown in item.text and shown in html, (metric, shown)


def _fmt(metric: str) -> tuple[str, str]:
    return {"revenue": ("currency", "CNY")}.get(metric, ("integer", ""))


def test_every_cited_sql_is_in_the_appendix_and_reproduces_the_number(november, sample_bi) -> None:
    report = november["zh"]
    ids = {e.id for e in report.sql}
    assert ids == set(range(1, len(ids) + 1))
    for section in report.sections:
        assert section.sql, section.kind           # every section says where its numbers come from
        assert set(section.sql) <= ids
    revenue = next(r for r in report.items(KpiRow) if r.metric == "revenue")
    entry = next(e for e in report.sql if e.id == revenue.sql[0])
    frame = sample_bi.engine.execute(entry.sql)     # the appendix SQL, run as printed
    assert float(frame["revenue"].iloc[0]) == pytest.approx(revenue.value, rel=1e-12)


def test_summary_and_sections_are_in_the_users_language(november) -> None:
    zh, en = november["zh"], november["en"]
    assert zh.title == "电信运营经营分析报告" and en.title == "Telecom operator business review"
    assert zh.period_label == "2025年11月" and en.period_label == "Nov 2025"
    assert [s.kind for s in zh.sections] == ["kpis", "trend", "breakdown", "anomalies", "root_cause"]
    assert all(any("\u4e00" <= ch <= "\u9fff" for ch in line) for line in zh.summary)
    assert not any("\u4e00" <= ch <= "\u9fff" for line in en.summary for ch in line)
    assert "Revenue ¥6.20B" in en.summary[0] and "收入 61.97 亿元" in zh.summary[0]
