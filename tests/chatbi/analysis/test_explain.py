"""explain_change on the real sample warehouse: the documented stories and exact decompositions."""

from __future__ import annotations

import math

import pytest

from chatbi.analysis import RootCauseReport
from chatbi.errors import ConfigError
from sample_data.telecom import STORIES

STORY = {s.key: s for s in STORIES}


def _truth(key: str) -> dict[str, str]:
    return {dim: values[0] for dim, values in STORY[key].where}


@pytest.fixture(scope="module")
def revenue_nov(sample_bi) -> RootCauseReport:
    return sample_bi.explain_change("revenue", "2025-11")


# -- the documented stories ----------------------------------------------------------------
def test_story_a_guangdong_5g_online_revenue(revenue_nov: RootCauseReport) -> None:
    report = revenue_nov
    assert _truth("a") == {"province": "广东", "plan_type": "5G", "channel": "线上"}
    assert report.top == _truth("a")
    top = report.combinations[0]
    assert top.deviation == pytest.approx(STORY["a"].factor - 1, abs=0.03)   # about -35 %
    assert top.excess_share > 0.9
    # inside the combination it is ARPU, not the subscriber base, that fell
    assert top.metric_tree is not None and top.metric_tree.top.metric == "arpu"
    assert report.period[0].isoformat() == "2025-11-01" and report.baseline_period[0].isoformat() == "2025-10-01"
    assert "广东 × 5G × 线上" in report.text


def test_story_c_sichuan_complaints_mostly_chengdu(sample_bi) -> None:
    report = sample_bi.explain_change("complaints", "2025-10", language="en")
    assert report.top == _truth("c") == {"province": "四川"}
    drill = report.combinations[0].drill
    assert [(d.dimension, d.member) for d in drill] == [("city", "成都")]
    assert drill[0].excess_share > 0.8
    # the ranked contributors walk the geography down to the city
    path = [c.members for c in report.contributors]
    assert {"region": "西南", "province": "四川", "city": "成都"} in path
    assert "Sichuan" in report.text and "Chengdu" in report.text


def test_story_d_jiangsu_agents_new_subscribers(sample_bi) -> None:
    report = sample_bi.explain_change("new_subscribers", "2025-06")
    assert report.top == _truth("d") == {"province": "江苏", "channel": "代理商"}
    assert report.combinations[0].deviation == pytest.approx(STORY["d"].factor - 1, abs=0.05)   # about +80 %


def test_filtered_question_finds_the_rest_of_the_combination(sample_bi) -> None:
    # "why did revenue drop in Guangdong in November?"
    report = sample_bi.explain_change("revenue", "2025-11", filters={"province": "广东"})
    assert report.top == {"plan_type": "5G", "channel": "线上"}
    assert all(d.dimension not in ("province", "region") for d in report.dimensions)


# -- exact decompositions on real data -----------------------------------------------------
def test_every_dimension_adds_up_to_the_total_change(revenue_nov: RootCauseReport) -> None:
    report = revenue_nov
    assert report.kind == "additive"
    assert {d.dimension for d in report.dimensions} == {"region", "province", "city", "plan_type", "plan",
                                                        "channel", "segment"}
    for d in report.dimensions:
        assert d.table["change"].sum() == pytest.approx(report.total_change, rel=1e-9), d.dimension
        assert d.table["baseline"].sum() == pytest.approx(report.baseline_value, rel=1e-9)
    # the waterfall steps (common change, the drivers' excess) and its "others" bar sum to the change
    from chatbi.analysis.narrative import waterfall_items

    steps = waterfall_items(report)
    assert steps[0][1] == pytest.approx(report.common_change)
    assert sum(v for _, v in steps) + report.drivers.other == pytest.approx(report.total_change, rel=1e-9)


def test_revenue_metric_tree_lmdi_sums_to_change_and_log_change(revenue_nov: RootCauseReport) -> None:
    tree = revenue_nov.metric_tree
    assert tree.op == "product" and tree.method == "lmdi"
    assert [t.metric for t in tree.terms] == ["avg_active_subscribers", "arpu"]
    assert sum(t.contribution for t in tree.terms) == pytest.approx(revenue_nov.total_change, rel=1e-9)
    assert sum(t.log_share for t in tree.terms) == pytest.approx(1.0, rel=1e-9)
    logs = sum(math.log(t.current / t.baseline) for t in tree.terms)
    assert logs == pytest.approx(math.log(revenue_nov.current_value / revenue_nov.baseline_value), rel=1e-9)


def test_net_adds_tree_is_new_minus_churned_exactly(sample_bi) -> None:
    report = sample_bi.explain_change("net_adds", "2025-06")
    tree = report.metric_tree
    assert tree.op == "difference" and tree.method == "exact"
    new, churned = tree.terms
    assert new.contribution == pytest.approx(new.current - new.baseline)
    assert churned.contribution == pytest.approx(-(churned.current - churned.baseline))
    assert new.contribution + churned.contribution == pytest.approx(report.total_change)


def test_ratio_metric_splits_into_rate_and_mix(sample_bi) -> None:
    report = sample_bi.explain_change("call_drop_rate", "2025-08-10..2025-08-20", baseline="2025-07-20..2025-07-30")
    assert report.kind == "ratio"
    assert report.top == {"province": "浙江", "vendor": "厂商B", "band": "n78"}
    for d in report.dimensions:
        t = d.table
        assert (t["rate_effect"] + t["mix_effect"]).sum() == pytest.approx(report.total_change, abs=1e-12)
        assert t["weight_current"].sum() == pytest.approx(1.0)
    tree = report.metric_tree
    assert tree.op == "ratio" and [t.metric for t in tree.terms] == ["dropped_calls", "call_attempts"]
    assert sum(t.contribution for t in tree.terms) == pytest.approx(report.total_change, rel=1e-9)


def test_semi_additive_uses_the_last_day_of_each_period(sample_bi) -> None:
    report = sample_bi.explain_change("active_subscribers", "2025-06")
    day = lambda d: sample_bi.query(metrics=["active_subscribers"], time_range=(d, d)).data.iloc[0, 0]  # noqa: E731
    assert report.current_value == pytest.approx(day("2025-06-30"))
    assert report.baseline_value == pytest.approx(day("2025-05-31"))
    for d in report.dimensions:
        assert d.table["change"].sum() == pytest.approx(report.total_change, rel=1e-9)


def test_non_additive_metric_reports_member_changes_only(sample_bi) -> None:
    report = sample_bi.explain_change("dl_throughput_mbps", "2025-08", language="en")
    assert report.kind == "non_additive" and report.combinations == ()
    assert report.contributors and "does not add up" in report.text


# -- the report as a product ----------------------------------------------------------------
def test_report_shape_text_and_figure(revenue_nov: RootCauseReport, sample_bi) -> None:
    frame = revenue_nov.to_frame()
    assert list(frame.columns[:4]) == ["kind", "rank", "members", "label"]
    assert frame.iloc[0]["members"] == "province=广东&plan_type=5G&channel=线上"
    assert revenue_nov.language == "zh" and "2025年11月" in revenue_nov.text
    assert revenue_nov.figure is not None and revenue_nov.figure.data[0].type == "waterfall"
    assert revenue_nov.breakdown("province")["member"].iloc[0] == "广东"
    assert revenue_nov.sql and all("SELECT" in s for s in revenue_nov.sql)
    english = sample_bi.explain_change("revenue", "2025-11", language="en")
    assert english.text.startswith("Revenue fell") and "Guangdong × 5G × online" in english.text


def test_bad_input_is_a_clear_error(sample_bi) -> None:
    with pytest.raises(KeyError, match="revenue"):
        sample_bi.explain_change("revenu", "2025-11")
    with pytest.raises(ConfigError, match="period"):
        sample_bi.explain_change("revenue", "November")
    with pytest.raises(ConfigError, match="does not apply"):
        sample_bi.explain_change("revenue", "2025-11", dimensions=["vendor"])
    with pytest.raises(ConfigError, match="filter"):
        sample_bi.explain_change("revenue", "2025-11", filters=[{"op": "like", "dimension": "province"}])


def test_periods_without_data_and_empty_dimensions(sample_bi) -> None:
    with pytest.raises(ConfigError, match="baseline period 2023-12-01"):
        sample_bi.explain_change("revenue", "2024-01")
    with pytest.raises(ConfigError, match="at least one dimension"):
        sample_bi.explain_change("revenue", "2025-11", dimensions=[])
    with pytest.raises(ValueError, match="火星"):
        sample_bi.explain_change("revenue", "2025-11", filters={"province": "火星"})


def test_a_broad_change_has_no_combination(sample_bi) -> None:
    # one ordinary day against the day before: nothing concentrated to find
    report = sample_bi.explain_change("revenue", "2025-12-31", language="en")
    assert report.combinations == ()
    assert "broad-based" in report.text and report.contributors
