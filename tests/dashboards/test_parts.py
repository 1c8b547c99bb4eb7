"""The app's plain parts: i18n, the app database, sessions, query chips and suggestions."""

from __future__ import annotations

import threading

import pytest

from dashboards.appdb import AppDBError, DashboardStore, default_app_db_path
from dashboards.context import new_session_id, valid_session_id
from dashboards.i18n import CATALOG, preferred_language, t
from dashboards.querytools import period_label, query_chips, remove_part, suggestions
from semantic_layer import SemanticQuery, validate_query


# -- i18n ---------------------------------------------------------------------------------
@pytest.mark.parametrize(("header", "default", "expected"), [
    ("zh-CN,zh;q=0.9,en;q=0.8", "en", "zh"),
    ("en-US,en;q=0.9,zh-CN;q=0.8", "zh", "en"),
    ("zh-TW", "en", "zh"),
    ("fr-FR,fr;q=0.9", "zh", "zh"),          # nothing supported: the model's default
    ("fr-FR,en;q=0.5,zh;q=0.7", "en", "zh"),  # quality decides, not order
    ("en;q=0, zh;q=0.1", "en", "zh"),         # q=0 means "not acceptable"
    ("", "en", "en"),
    (None, "zh", "zh"),
    ("garbage;;;,,", "en", "en"),
])
def test_preferred_language(header, default, expected):
    assert preferred_language(header, default=default) == expected


def test_every_string_has_both_languages():
    assert CATALOG.languages == ("en", "zh")
    assert CATALOG.problems() == []
    assert t("pin.done", "zh", name="销售") == "已固定到「销售」"
    assert t("no.such.key", "en") == "no.such.key"


# -- app database -------------------------------------------------------------------------
def test_dashboard_store_pins_moves_and_removes(tmp_path):
    store = DashboardStore(tmp_path / "sub" / "app.sqlite3")
    q = SemanticQuery(metrics=["revenue"], dimensions=["province"]).model_dump_json()
    a = store.add_card("  Sales   board ", owner="", title="revenue by province", query_json=q, language="en")
    b = store.add_card("Sales board", owner="", title="custom", sql="SELECT 1", language="zh")
    c = store.add_card("Sales board", owner="", title="third", query_json=q)
    assert [d.name for d in store.dashboards(owner="")] == ["Sales board"]  # names are trimmed and reused
    board = store.dashboards(owner="")[0]
    assert board.cards == 3
    assert [x.title for x in store.cards(board.id, owner="")] == ["revenue by province", "custom", "third"]
    store.move_card(c.id, -1, owner="")
    assert [x.id for x in store.cards(board.id, owner="")] == [a.id, c.id, b.id]
    store.move_card(a.id, -5, owner="")  # clamped at the top
    store.move_card(b.id, +3, owner="")  # clamped at the bottom
    assert [x.id for x in store.cards(board.id, owner="")] == [a.id, c.id, b.id]
    store.remove_card(c.id, owner="")
    store.move_card(b.id, -1, owner="")
    assert [x.id for x in store.cards(board.id, owner="")] == [b.id, a.id]
    assert SemanticQuery.model_validate_json(store.cards(board.id, owner="")[1].query_json).metrics == ("revenue",)
    # survives a new store on the same file (what a reload of the app sees)
    again = DashboardStore(tmp_path / "sub" / "app.sqlite3")
    assert [x.title for x in again.cards(board.id, owner="")] == ["custom", "revenue by province"]
    again.delete_dashboard(board.id, owner="")
    assert again.dashboards(owner="") == [] and again.cards(board.id, owner="") == []


def test_dashboard_store_rejects_bad_input(tmp_path):
    store = DashboardStore(tmp_path / "app.sqlite3")
    with pytest.raises(AppDBError, match="name"):
        store.add_card("   ", owner="", title="x", sql="SELECT 1")
    with pytest.raises(AppDBError, match="query or SQL"):
        store.add_card("b", owner="", title="x")
    with pytest.raises(AppDBError, match="no card"):
        store.move_card(999, 1, owner="")


def test_dashboard_store_concurrent_pins_keep_dense_positions(tmp_path):
    store = DashboardStore(tmp_path / "app.sqlite3")

    def pin(i: int) -> None:
        store.add_card("board", owner="", title=f"card {i}", sql=f"SELECT {i}")

    threads = [threading.Thread(target=pin, args=(i,)) for i in range(20)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    cards = store.cards(store.dashboards(owner="")[0].id, owner="")
    assert sorted(c.position for c in cards) == list(range(20))


def test_default_app_db_lives_in_the_cache_dir(monkeypatch, tmp_path):
    monkeypatch.setenv("CHATBI_CACHE_DIR", str(tmp_path))
    assert default_app_db_path() == tmp_path / "app.sqlite3"


# -- sessions (the store itself: tests/dashboards/test_sessions.py) -------------------------
def test_session_ids_are_checked():
    assert valid_session_id(new_session_id()) and not valid_session_id("../../etc") and not valid_session_id(None)


# -- chips and suggestions ----------------------------------------------------------------
def test_period_labels():
    assert period_label(("2025-11-01", "2025-11-30"), "zh") == "2025年11月"
    assert period_label(("2024-02-01", "2024-02-29"), "en") == "2024-02"
    assert period_label(("2025-07-01", "2025-09-30"), "zh") == "2025年第3季度"
    assert period_label(("2025-03-05", "2025-03-09"), "en") == "2025-03-05 – 2025-03-09"
    assert period_label(None, "en") is None


def test_chips_describe_every_part(sample_bi):
    q = SemanticQuery(metrics=["revenue"], dimensions=["province", "date.month"],
                      filters=[{"op": "in", "dimension": "plan_type", "values": ["5G"]},
                               {"op": "relative", "unit": "month", "n": 3}],
                      compare="yoy", limit=5)
    chips = query_chips(q, sample_bi.model, "en", members=sample_bi.members, period=("2025-10-01", "2025-12-31"))
    labels = {c.key: c.label for c in chips}
    assert labels["metric:revenue"] == "Revenue"
    assert labels["dimension:province"] == "by Province"
    assert labels["dimension:date.month"] == "by Date (month)"
    assert labels["filter:0"] == "Plan type: 5G"
    assert labels["period"] == "2025 Q4"
    assert labels["compare"] == "year over year" and labels["limit"] == "top 5"
    assert "filter:1" not in labels  # the relative time filter is shown as the period
    zh = {c.key: c.label for c in query_chips(q, sample_bi.model, "zh", members=sample_bi.members)}
    assert zh["metric:revenue"] == "收入" and zh["compare"] == "同比"


def test_removing_each_chip_gives_a_valid_query(sample_bi):
    model = sample_bi.model
    q = SemanticQuery(metrics=["revenue", "arpu"], dimensions=["province"],
                      filters=[{"op": "in", "dimension": "channel", "values": ["线上"]},
                               {"op": "relative", "unit": "month", "n": 1, "offset": 1}],
                      time_range=("2025-01-01", "2025-12-31"), compare="previous_period", order_by=["-revenue"],
                      limit=3, share=True)
    for chip in query_chips(q, model, "en", members=sample_bi.members):
        if not chip.removable:
            continue
        smaller = remove_part(q, chip.key, model)
        assert smaller != q, chip.key
        assert validate_query(model, smaller, sample_bi.members.as_sets()) == [], chip.key
    no_revenue = remove_part(q, "metric:revenue", model)
    assert no_revenue.metrics == ("arpu",) and no_revenue.order_by == ()
    no_period = remove_part(q, "period", model)
    assert no_period.time_range is None and [f.op for f in no_period.filters] == ["in"]
    assert remove_part(q, "filter:0", model).filters[0].op == "relative"


def test_the_last_part_cannot_be_removed(sample_bi):
    chips = query_chips(SemanticQuery(metrics=["revenue"]), sample_bi.model, "en")
    assert [(c.key, c.removable) for c in chips] == [("metric:revenue", False)]


def test_suggestions_drill_trend_and_compare(sample_bi):
    model = sample_bi.model
    q = SemanticQuery(metrics=["revenue"], dimensions=["province"], time_range=("2025-11-01", "2025-11-30"))
    found = suggestions(q, model, "en", members=sample_bi.members, period=("2025-11-01", "2025-11-30"))
    labels = [s.label for s in found]
    assert labels == ["Drill down to City", "Revenue trend", "Compare with previous period"]
    assert found[0].query.dimensions == ("city",)
    assert found[1].query.dimensions == ("province", "date.day")  # a one-month period trends by day
    assert found[2].query.compare == "previous_period"
    # a filtered member drills into its children; a network metric is only broken down where it can be
    g = SemanticQuery(metrics=["call_drop_rate"], filters=[{"op": "in", "dimension": "province", "values": ["广东"]}])
    for s in suggestions(g, model, "zh", members=sample_bi.members, limit=5):
        assert validate_query(model, s.query, sample_bi.members.as_sets()) == []
    assert suggestions(g, model, "zh", members=sample_bi.members)[0].label == "下钻到城市"
    assert suggestions(SemanticQuery(dimensions=["province"]), model, "en") == []


def test_a_member_is_never_broken_down_by_a_coarser_level_of_its_own_hierarchy(sample_bi):
    # Sichuan's complaints "by region" would be one bar: the region of Sichuan
    q = SemanticQuery(metrics=["complaints"], filters=[{"op": "in", "dimension": "province", "values": ["四川"]}],
                      time_range=("2025-10-01", "2025-10-31"))
    found = suggestions(q, sample_bi.model, "en", members=sample_bi.members, period=("2025-10-01", "2025-10-31"),
                        limit=12)
    grouped = [d for s in found for d in s.query.dimensions]
    assert "city" in grouped and "region" not in grouped and "province" not in grouped
    assert "Break down by Region" not in [s.label for s in found]


