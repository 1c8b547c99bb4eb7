"""The app database: named dashboards of pinned cards, in a local SQLite file.

A card stores the question's ``SemanticQuery`` as JSON (or the user's SQL for custom-SQL
answers), never the data: a dashboard re-runs its cards when opened, so it always shows fresh
numbers and never copies warehouse rows out of the warehouse. This file is never the warehouse.
"""

from __future__ import annotations

import datetime as dt
import os
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

__all__ = ["DashboardStore", "Dashboard", "Card", "default_app_db_path", "AppDBError"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS dashboards (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS dashboard_cards (
    id INTEGER PRIMARY KEY,
    dashboard_id INTEGER NOT NULL REFERENCES dashboards(id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    title TEXT NOT NULL,
    query_json TEXT,
    sql TEXT,
    language TEXT NOT NULL DEFAULT 'en',
    created_at TEXT NOT NULL,
    CHECK (query_json IS NOT NULL OR sql IS NOT NULL)
);
CREATE INDEX IF NOT EXISTS dashboard_cards_by_dashboard ON dashboard_cards(dashboard_id, position);
"""

MAX_NAME = 80


class AppDBError(ValueError):
    """A dashboard operation the user can fix (empty name, unknown card)."""


@dataclass(frozen=True)
class Dashboard:
    id: int
    name: str
    cards: int = 0


@dataclass(frozen=True)
class Card:
    id: int
    dashboard_id: int
    position: int
    title: str
    query_json: str | None
    sql: str | None
    language: str


def default_app_db_path() -> Path:
    """``app.sqlite3`` in the ChatBI cache directory ($CHATBI_CACHE_DIR or ~/.cache/chatbi)."""
    root = Path(os.environ.get("CHATBI_CACHE_DIR") or Path.home() / ".cache" / "chatbi")
    return root / "app.sqlite3"


class DashboardStore:
    """Thread-safe access to the dashboards tables (one short-lived connection per operation)."""

    def __init__(self, path: str | os.PathLike[str] | None = None) -> None:
        self.path = Path(path) if path is not None else default_app_db_path()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # SQLite serialises writers itself; the lock keeps read-modify-write steps (positions) atomic
        self._lock = threading.Lock()
        with self._connect() as con:
            con.executescript(_SCHEMA)

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        con = sqlite3.connect(self.path, timeout=10)
        try:
            con.execute("PRAGMA foreign_keys = ON")
            with con:
                yield con
        finally:
            con.close()

    # -- dashboards ---------------------------------------------------------------------
    def dashboards(self) -> list[Dashboard]:
        with self._connect() as con:
            rows = con.execute(
                "SELECT d.id, d.name, COUNT(c.id) FROM dashboards d LEFT JOIN dashboard_cards c "
                "ON c.dashboard_id = d.id GROUP BY d.id, d.name ORDER BY d.id").fetchall()
        return [Dashboard(*row) for row in rows]

    def dashboard(self, dashboard_id: int) -> Dashboard | None:
        return next((d for d in self.dashboards() if d.id == dashboard_id), None)

    def ensure_dashboard(self, name: str) -> Dashboard:
        """The dashboard called ``name`` (trimmed), created when missing."""
        clean = " ".join((name or "").split())[:MAX_NAME]
        if not clean:
            raise AppDBError("a dashboard needs a name")
        with self._lock, self._connect() as con:
            con.execute("INSERT OR IGNORE INTO dashboards(name, created_at) VALUES (?, ?)", (clean, _now()))
            row = con.execute("SELECT id, name FROM dashboards WHERE name = ?", (clean,)).fetchone()
        return Dashboard(row[0], row[1])

    def delete_dashboard(self, dashboard_id: int) -> None:
        with self._lock, self._connect() as con:
            con.execute("DELETE FROM dashboards WHERE id = ?", (dashboard_id,))

    # -- cards --------------------------------------------------------------------------
    def add_card(self, dashboard: str, *, title: str, query_json: str | None = None, sql: str | None = None,
                 language: str = "en") -> Card:
        """Append a card to the dashboard called ``dashboard`` (created when missing)."""
        if query_json is None and sql is None:
            raise AppDBError("a card needs a query or SQL to re-run")
        board = self.ensure_dashboard(dashboard)
        with self._lock, self._connect() as con:
            (last,) = con.execute("SELECT COALESCE(MAX(position), -1) FROM dashboard_cards WHERE dashboard_id = ?",
                                  (board.id,)).fetchone()
            cur = con.execute(
                "INSERT INTO dashboard_cards(dashboard_id, position, title, query_json, sql, language, created_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                (board.id, last + 1, title or "", query_json, sql, language, _now()))
            card_id = cur.lastrowid
        return Card(int(card_id or 0), board.id, last + 1, title or "", query_json, sql, language)

    def cards(self, dashboard_id: int) -> list[Card]:
        with self._connect() as con:
            rows = con.execute(
                "SELECT id, dashboard_id, position, title, query_json, sql, language FROM dashboard_cards "
                "WHERE dashboard_id = ? ORDER BY position, id", (dashboard_id,)).fetchall()
        return [Card(*row) for row in rows]

    def remove_card(self, card_id: int) -> None:
        with self._lock, self._connect() as con:
            con.execute("DELETE FROM dashboard_cards WHERE id = ?", (card_id,))

    def move_card(self, card_id: int, delta: int) -> None:
        """Move a card ``delta`` places (negative = up); clamped at both ends."""
        with self._lock, self._connect() as con:
            row = con.execute("SELECT dashboard_id FROM dashboard_cards WHERE id = ?", (card_id,)).fetchone()
            if row is None:
                raise AppDBError(f"no card {card_id}")
            ids = [r[0] for r in con.execute(
                "SELECT id FROM dashboard_cards WHERE dashboard_id = ? ORDER BY position, id", (row[0],))]
            i = ids.index(card_id)
            j = max(0, min(len(ids) - 1, i + delta))
            ids.insert(j, ids.pop(i))
            # renumber densely so positions never collide after removals
            con.executemany("UPDATE dashboard_cards SET position = ? WHERE id = ?",
                            [(pos, cid) for pos, cid in enumerate(ids)])


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
