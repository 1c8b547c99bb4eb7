"""Access control: a report built for a user shows only what that user may see."""

from __future__ import annotations

import pytest

from chatbi.reports import KpiRow

LANGS = ("zh", "en")


@pytest.fixture(scope="module")
def alice_reports(sample_bi, security):
    alice = sample_bi.for_user("alice", security=security)   # rows: 广东 only
    return {lang: alice.report(None, period="2025-11", language=lang) for lang in LANGS}


def _names(bi, dimension: str, keep: set[str]) -> set[str]:
    """Every other member of ``dimension`` in both languages (the model's values and English labels)."""
    out = set()
    for member in bi.members.members[dimension]:
        if member.value not in keep:
            out |= {member.value, bi.members.label(dimension, member.value, "en")}
    return out


@pytest.mark.parametrize("lang", LANGS)
def test_a_restricted_users_report_contains_no_other_province(alice_reports, sample_bi, warehouse, lang) -> None:
    report = alice_reports[lang]
    assert report.restricted and report.user == "alice"
    # the page without plotly.js (a library, not the report): every word and number of the report
    html = report.to_html(plotlyjs="plotly.js")
    cities = {"广州", "深圳", "东莞"}
    leaked = {n for n in _names(sample_bi, "province", {"广东"}) | _names(sample_bi, "city", cities) if n in html}
    assert not leaked
    # her default report breaks down by city (her only province is no breakdown at all)
    assert all(sample_bi.members.label("city", c, lang) in html for c in cities)
    revenue = next(r for r in report.items(KpiRow) if r.metric == "revenue")
    truth = warehouse("SELECT SUM(f.revenue) FROM fact_daily f JOIN dim_region r USING (city_id) "
                      "WHERE r.province = '广东' AND f.date BETWEEN DATE '2025-11-01' AND DATE '2025-11-30'")
    assert revenue.value == pytest.approx(truth, rel=1e-9)
    # inside 广东 the story is still found: 5G x online
    assert any("5G" in line for line in report.summary)


def test_masked_values_stay_masked(sample_bi, security) -> None:
    bob = sample_bi.for_user("bob", security=security)         # rows: 华东; revenue rounded to 1e8
    report = bob.report(None, period="2025-11", language="en")
    revenue = next(r for r in report.items(KpiRow) if r.metric == "revenue")
    for value in (revenue.value, *(c[0] for c in revenue.comparisons.values())):
        assert value is not None and value % 100_000_000 == 0, value
    html = report.to_html(plotlyjs="plotly.js")
    assert sample_bi.members.label("province", "广东", "en") not in html


def test_questions_are_read_at_the_end_of_the_period_for_every_viewer(sample_bi, security) -> None:
    spec = {"name": "q", "title": "Q", "sections": [{"type": "question", "question": "近三个月5G套餐的ARPU趋势"},
                                                    {"type": "question", "question": "各省离网率"}]}
    for bi in (sample_bi, sample_bi.for_user("alice", security=security)):
        report = bi.report(spec, period="2025-11", language="zh")
        relative, plain = (s.items[0] for s in report.sections)
        assert relative.period == ("2025-09-01", "2025-11-30")   # "近三个月" ends with the report's month
        assert plain.period == ("2025-11-01", "2025-11-30")      # no time words: the report's month
