"""Dashboards belong to an owner: each owner sees and changes only their own boards and cards."""

from __future__ import annotations

import sqlite3

import pytest

from dashboards.appdb import AppDBError, DashboardStore

# the app database schema from before owners (names globally unique, no owner column)
OLD_SCHEMA = """
CREATE TABLE dashboards (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, created_at TEXT NOT NULL);
CREATE TABLE dashboard_cards (
    id INTEGER PRIMARY KEY,
    dashboard_id INTEGER NOT NULL REFERENCES dashboards(id) ON DELETE CASCADE,
    position INTEGER NOT NULL, title TEXT NOT NULL, query_json TEXT, sql TEXT,
    language TEXT NOT NULL DEFAULT 'en', created_at TEXT NOT NULL,
    CHECK (query_json IS NOT NULL OR sql IS NOT NULL)
);
CREATE INDEX dashboard_cards_by_dashboard ON dashboard_cards(dashboard_id, position);
INSERT INTO dashboards VALUES (1, 'Weekly', '2025-01-01T00:00:00+00:00'), (2, 'Ops', '2025-01-02T00:00:00+00:00');
INSERT INTO dashboard_cards VALUES
    (10, 1, 0, 'revenue by province', '{"metrics": ["revenue"]}', NULL, 'en', '2025-01-01T00:00:00+00:00'),
    (11, 1, 1, 'custom', NULL, 'SELECT 1', 'zh', '2025-01-01T00:00:00+00:00'),
    (12, 2, 0, 'ops card', NULL, 'SELECT 2', 'en', '2025-01-02T00:00:00+00:00');
"""


def test_same_named_dashboards_of_two_owners_are_separate(tmp_path):
    store = DashboardStore(tmp_path / "app.sqlite3")
    a = store.add_card("Weekly", owner="alice", title="广东 revenue", sql="SELECT 1")
    b = store.add_card("Weekly", owner="bob", title="浙江 revenue", sql="SELECT 2")
    assert a.dashboard_id != b.dashboard_id
    assert [(d.name, d.cards, d.owner) for d in store.dashboards(owner="alice")] == [("Weekly", 1, "alice")]
    assert [c.title for c in store.cards(b.dashboard_id, owner="bob")] == ["浙江 revenue"]
    assert store.dashboards(owner="") == []  # the no-sign-in owner is an owner like any other
    assert store.ensure_dashboard(" Weekly ", owner="alice").id == a.dashboard_id


def test_an_owner_cannot_list_move_remove_or_delete_anothers_cards(tmp_path):
    store = DashboardStore(tmp_path / "app.sqlite3")
    first = store.add_card("Board", owner="alice", title="广东 by city", sql="SELECT 1")
    second = store.add_card("Board", owner="alice", title="second", sql="SELECT 2")
    board = first.dashboard_id
    assert store.cards(board, owner="bob") == []
    assert store.dashboard(board, owner="bob") is None and store.dashboards(owner="bob") == []
    for attempt in (lambda: store.move_card(second.id, -1, owner="bob"),
                    lambda: store.move_card(first.id, +1, owner="bob"),
                    lambda: store.remove_card(first.id, owner="bob")):
        with pytest.raises(AppDBError, match="no card"):
            attempt()
    with pytest.raises(AppDBError, match="no dashboard"):
        store.delete_dashboard(board, owner="bob")
    # nothing of alice's changed
    assert [c.id for c in store.cards(board, owner="alice")] == [first.id, second.id]
    store.move_card(second.id, -1, owner="alice")
    store.remove_card(first.id, owner="alice")
    assert [c.id for c in store.cards(board, owner="alice")] == [second.id]
    store.delete_dashboard(board, owner="alice")
    assert store.dashboards(owner="alice") == []


def test_an_old_app_database_is_migrated_keeping_its_rows(tmp_path):
    path = tmp_path / "app.sqlite3"
    con = sqlite3.connect(path)
    con.executescript(OLD_SCHEMA)
    con.close()
    store = DashboardStore(path)
    with sqlite3.connect(path) as con:
        columns = {row[1] for row in con.execute("PRAGMA table_info(dashboards)")}
    assert "owner" in columns
    assert [(d.id, d.name, d.cards, d.owner) for d in store.dashboards(owner="")] == [
        (1, "Weekly", 2, ""), (2, "Ops", 1, "")]
    cards = store.cards(1, owner="")
    assert [(c.id, c.title, c.query_json, c.sql, c.language) for c in cards] == [
        (10, "revenue by province", '{"metrics": ["revenue"]}', None, "en"), (11, "custom", None, "SELECT 1", "zh")]
    # the migrated tables work as new ones: names unique per owner, cascades still on
    assert store.ensure_dashboard("Weekly", owner="alice").id not in (1, 2)
    store.delete_dashboard(2, owner="")
    with sqlite3.connect(path) as con:
        assert con.execute("SELECT COUNT(*) FROM dashboard_cards WHERE dashboard_id = 2").fetchone() == (0,)
    # opening it again does not migrate twice
    assert [d.name for d in DashboardStore(path).dashboards(owner="")] == ["Weekly"]
