"""Row-level security on the telecom sample: every way to reach a hidden province fails.

alice sees 广东 only; bob sees his region (华东) with revenue rounded to millions; carol's region is
missing so she sees nothing; viewer sees 广东 and 浙江 and may not write SQL; root sees all.
"""

from __future__ import annotations

import math

import pytest

from chatbi import Conversation
from chatbi.translate.prompt import select_context, system_prompt
from semantic_layer import SemanticQuery

NOV = ("2025-11-01", "2025-11-30")
PROVINCES = {"江苏", "浙江", "山东", "广东", "福建", "河北", "山西", "湖北", "河南", "四川", "云南"}
HIDDEN_FROM_ALICE = PROVINCES - {"广东"}
EAST = {"江苏", "浙江", "山东"}


def leaked(text: str, hidden: set[str]) -> set[str]:
    return {name for name in hidden if name in text}


def gd_cities(root) -> set[str]:
    frame = root.query(dimensions=["city"], filters=[{"op": "in", "dimension": "province", "values": ["广东"]}]).data
    return set(frame["city"])


def test_totals_are_totals_of_the_allowed_rows(views):
    alice, bob, root = views["alice"], views["bob"], views["root"]
    mine = alice.query(metrics=["revenue", "new_subscribers"], time_range=NOV).data.iloc[0]
    theirs = root.query(metrics=["revenue", "new_subscribers"], time_range=NOV,
                        filters=[{"op": "in", "dimension": "province", "values": ["广东"]}]).data.iloc[0]
    everyone = root.query(metrics=["revenue"], time_range=NOV).data.iloc[0]
    assert mine["revenue"] == pytest.approx(theirs["revenue"]) and mine["new_subscribers"] == theirs["new_subscribers"]
    assert mine["revenue"] < everyone["revenue"] / 3
    east = root.query(metrics=["revenue"], dimensions=["province"], time_range=NOV,
                      filters=[{"op": "in", "dimension": "region", "values": ["华东"]}]).data
    bobs = bob.query(metrics=["revenue"], time_range=NOV).data.iloc[0]["revenue"]
    assert bobs == pytest.approx(round(east["revenue"].sum() / 1e6) * 1e6)  # his total, rounded for his role


def test_shares_ratios_and_comparisons_stay_inside(views):
    alice, root = views["alice"], views["root"]
    shares = alice.query(metrics=["revenue"], dimensions=["city"], time_range=NOV, share=True).data
    assert set(shares["city"]) == gd_cities(root)
    assert shares["revenue__share"].sum() == pytest.approx(1.0)  # shares of 广东, not of the country
    gd = [{"op": "in", "dimension": "province", "values": ["广东"]}]
    for metric in ("arpu", "churn_rate", "call_drop_rate", "active_subscribers"):
        mine = alice.query(metrics=[metric], time_range=NOV, compare="previous_period").data.iloc[0]
        truth = root.query(metrics=[metric], time_range=NOV, compare="previous_period", filters=gd).data.iloc[0]
        for col in (metric, f"{metric}__previous", f"{metric}__change_pct"):
            assert mine[col] == pytest.approx(truth[col]), (metric, col)


def test_grouping_by_a_coarser_or_other_level_never_shows_other_members(views):
    alice = views["alice"]
    for dims in (["province"], ["region"], ["plan_type", "province"], ["date.month", "province"]):
        frame = alice.query(metrics=["revenue"], dimensions=dims, time_range=NOV).data
        assert not leaked(frame.to_csv(index=False), HIDDEN_FROM_ALICE), dims
    assert set(alice.query(metrics=["revenue"], dimensions=["region"], time_range=NOV).data["region"]) == {"华南"}


def test_filtering_on_a_hidden_member_gets_no_number_and_no_hint(views):
    alice = views["alice"]
    answer = alice.query(metrics=["revenue"], filters=[{"op": "in", "dimension": "province", "values": ["浙江"]}])
    assert answer.status == "error" and answer.data is None
    assert not leaked(answer.text.replace("'浙江'", ""), HIDDEN_FROM_ALICE)  # only the user's own word
    assert {c for i in answer.issues for c in i.candidates} <= {"广东"}
    excluded = alice.query(metrics=["revenue"], time_range=NOV,
                           filters=[{"op": "not_in", "dimension": "province", "values": ["广东"]}])
    assert excluded.status == "error" or excluded.data["revenue"].isna().all() or excluded.data.empty
    carol = views["carol"].query(metrics=["revenue"], time_range=NOV)
    assert carol.status == "error" and "not available" in carol.text


def test_suggestions_and_members_list_only_allowed_values(views):
    alice, viewer = views["alice"], views["viewer"]
    assert alice.members.values("province") == {"广东"}
    assert alice.members.values("region") == {"华南"}
    assert viewer.members.values("province") == {"广东", "浙江"}
    assert alice.members.values("city") == gd_cities(views["root"])
    assert "5G畅享套餐" in alice.members.values("plan")  # lookups of allowed rows stay usable
    answer = alice.query(metrics=["revenue"], filters=[{"op": "in", "dimension": "city", "values": ["杭洲"]}])
    assert answer.status == "error" and not leaked(str([i.candidates for i in answer.issues]), {"杭州", "温州"})


def test_questions_and_follow_ups_cannot_reach_other_provinces(views):
    alice = views["alice"]
    conv = Conversation()
    first = alice.ask("2025年11月各城市收入", conversation=conv)
    assert first.ok and set(first.data["city"]) <= gd_cities(views["root"])
    for follow in ("只看浙江", "杭州呢", "换成江苏省", "revenue of Zhejiang in November 2025"):
        refused = alice.ask(follow, conversation=conv)
        assert refused.status == "error" and refused.data is None, follow
    again = alice.ask("按套餐类型", conversation=conv)
    assert again.ok and "plan_type" in again.data and not leaked(again.data.to_csv(), HIDDEN_FROM_ALICE)
    total = alice.ask("全国收入是多少")
    assert total.ok and not leaked(total.text, HIDDEN_FROM_ALICE)
    # no period named: the default (the latest complete month), over her rows only
    assert total.period == ("2025-12-01", "2025-12-31")
    assert total.data.iloc[0, 0] == pytest.approx(
        alice.query(metrics=["revenue"], time_range=("2025-12-01", "2025-12-31")).data.iloc[0, 0])


def test_root_cause_drill_down_and_anomalies_see_only_allowed_rows(views):
    alice, root = views["alice"], views["root"]
    report = alice.explain_change("revenue", NOV, dimensions=["province", "city", "plan_type", "channel"])
    truth = root.query(metrics=["revenue"], time_range=NOV, compare="previous_period",
                       filters=[{"op": "in", "dimension": "province", "values": ["广东"]}]).data.iloc[0]
    assert report.current_value == pytest.approx(truth["revenue"])
    assert report.total_change == pytest.approx(truth["revenue__change"])
    everything = report.text + report.to_frame().to_csv() + "".join(report.sql)
    assert not leaked(everything, HIDDEN_FROM_ALICE)
    assert not leaked(str(report.figure.to_plotly_json()) if report.figure is not None else "", HIDDEN_FROM_ALICE)
    anomalies = alice.detect_anomalies("revenue", grain="day", by="city", time_range=("2025-10-01", "2025-12-31"))
    assert set(anomalies.frame["city"]) <= gd_cities(root)
    assert not leaked(anomalies.text, HIDDEN_FROM_ALICE)


ATTEMPTS = [
    "SELECT r.province, SUM(f.revenue) AS revenue FROM fact_daily f JOIN dim_region r ON f.city_id = r.city_id GROUP BY 1",
    "SELECT * FROM dim_region",
    "SELECT province FROM dim_region WHERE province <> '广东'",
    "WITH x AS (SELECT * FROM dim_region) SELECT province, COUNT(*) AS n FROM x GROUP BY province",
    "SELECT province FROM dim_region UNION SELECT province_en FROM dim_region",
    "SELECT (SELECT COUNT(DISTINCT province) FROM dim_region) AS n",
    "SELECT city_id, SUM(revenue) FROM fact_daily GROUP BY city_id",
]


@pytest.mark.parametrize("sql", ATTEMPTS)
def test_edited_sql_is_rewritten_to_the_allowed_rows(views, sql):
    alice, root = views["alice"], views["root"]
    answer = alice.run_sql(sql)
    assert answer.ok, answer.text
    assert not leaked(answer.data.to_csv(index=False), HIDDEN_FROM_ALICE | {"Zhejiang", "Jiangsu"})
    if "COUNT(DISTINCT province)" in sql:
        assert answer.data.iloc[0, 0] == 1
    if sql.startswith("SELECT city_id"):
        gd_ids = set(root.run_sql("SELECT city_id FROM dim_region WHERE province = '广东'").data["city_id"])
        assert set(answer.data["city_id"]) == gd_ids


def test_sql_errors_do_not_quote_hidden_values_and_sql_can_be_switched_off(views):
    failed = views["alice"].run_sql("SELECT CAST(province AS INTEGER) AS p FROM dim_region")
    assert failed.status == "error" and not leaked(failed.text, PROVINCES)
    refused = views["viewer"].run_sql("SELECT 1 AS x")
    assert refused.status == "error" and "may not run" in refused.text
    system = views["alice"].run_sql("SELECT * FROM information_schema.tables")
    assert system.status == "error" and "system_catalog" in system.text


def test_masked_measures_reach_no_surface_unmasked(views):
    bob = views["bob"]
    answer = bob.query(metrics=["revenue"], dimensions=["province"], time_range=NOV)
    assert set(answer.data["province"]) == EAST
    assert all(v % 1_000_000 == 0 for v in answer.data["revenue"])
    raw = views["root"].query(metrics=["revenue"], dimensions=["province"], time_range=NOV,
                              filters=[{"op": "in", "dimension": "region", "values": ["华东"]}]).data
    figure = str(answer.figure.to_plotly_json())
    csv = answer.data.to_csv(index=False)
    for value in raw["revenue"]:
        assert f"{value:.2f}" not in csv and repr(float(value)) not in figure
    probe = bob.query(metrics=["revenue"], time_range=NOV, filters=[{"op": ">", "metric": "revenue", "value": 123}])
    assert probe.status == "error" and "masked" in probe.text
    assert bob.run_sql("SELECT SUM(revenue) FROM fact_daily").status == "error"


def test_the_llm_prompt_lists_only_allowed_members(views):
    def prompt(view, question: str) -> str:
        members = view.members.members
        selection = select_context(view.model, question, members=members)
        return system_prompt(view.model, selection, anchor=view.anchor, members=members, free_sql=True)

    assert leaked(prompt(views["root"], "各省收入"), HIDDEN_FROM_ALICE)  # the check can see leaks
    assert not leaked(prompt(views["alice"], "各省收入 江苏 浙江"), HIDDEN_FROM_ALICE)


def test_no_view_closes_the_shared_engine(sample_bi, security):
    view = sample_bi.for_user("alice", security=security)
    view.close()
    assert not math.isnan(sample_bi.query(metrics=["revenue"]).data.iloc[0, 0])
    assert view.for_user("root", security=security).principal.user == "root"  # never a view of a view
    assert sample_bi.query(metrics=["revenue"], dimensions=["province"]).data.shape[0] == len(PROVINCES)
    unchanged = sample_bi.compile(SemanticQuery(metrics=["revenue"])).sql
    assert "广东" not in unchanged
