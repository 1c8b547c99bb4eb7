"""The app database: named dashboards of pinned cards, in a local SQLite file.

A card stores the question's ``SemanticQuery`` as JSON (or the user's SQL for custom-SQL
answers), never the data: a dashboard re-runs its cards when opened, so it always shows fresh
numbers and never copies warehouse rows out of the warehouse. This file is never the warehouse.

Dashboards belong to an owner (the signed-in user's name; ``''`` when the app runs without
sign-in): every read and change names the owner and touches only that owner's boards and cards,
because card titles are question text that may name members outside another user's row policy.
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
    owner TEXT NOT NULL DEFAULT '',
    name TEXT NOT NULL,
    created_at TEXT NOT NULL,
    UNIQUE (owner, name)
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

# an app database from before owners: names were globally unique and there was no owner column
_MIGRATE_OWNER = """
CREATE TABLE dashboards_owned (
    id INTEGER PRIMARY KEY,
    owner TEXT NOT NULL DEFAULT '',
    name TEXT NOT NULL,
    created_at TEXT NOT NULL,
    UNIQUE (owner, name)
);
INSERT INTO dashboards_owned(id, owner, name, created_at) SELECT id, '', name, created_at FROM dashboards;
DROP TABLE dashboards;
ALTER TABLE dashboards_owned RENAME TO dashboards;
"""

MAX_NAME = 80


class AppDBError(ValueError):
    """A dashboard operation the user can fix (empty name, unknown card, someone else's card)."""


@dataclass(frozen=True)
class Dashboard:
    id: int
    name: str
    cards: int = 0
    owner: str = ""


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
        self._migrate()
        with self._connect() as con:
            con.executescript(_SCHEMA)

    def _migrate(self) -> None:
        """Give an old app database's dashboards the owner column (their owner is ``''``), rows kept."""
        con = sqlite3.connect(self.path, timeout=10, isolation_level=None)
        try:
            columns = {row[1] for row in con.execute("PRAGMA table_info(dashboards)")}
            if not columns or "owner" in columns:
                return
            # off outside the transaction: dropping the old table must not cascade to the cards
            con.execute("PRAGMA foreign_keys = OFF")
            con.execute("BEGIN IMMEDIATE")
            try:
                columns = {row[1] for row in con.execute("PRAGMA table_info(dashboards)")}
                if "owner" not in columns:  # another process may have migrated meanwhile
                    for statement in filter(str.strip, _MIGRATE_OWNER.split(";")):
                        con.execute(statement)
                    if con.execute("PRAGMA foreign_key_check").fetchall():
                        raise AppDBError(f"cannot migrate the app database {self.path}: dangling cards")
                con.execute("COMMIT")
            except BaseException:
                con.execute("ROLLBACK")
                raise
        finally:
            con.close()

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
    def dashboards(self, *, owner: str) -> list[Dashboard]:
        """The dashboards of ``owner``, oldest first, with their card counts."""
        with self._connect() as con:
            rows = con.execute(
                "SELECT d.id, d.name, COUNT(c.id), d.owner FROM dashboards d LEFT JOIN dashboard_cards c "
                "ON c.dashboard_id = d.id WHERE d.owner = ? GROUP BY d.id, d.name, d.owner ORDER BY d.id",
                (owner,)).fetchall()
        return [Dashboard(*row) for row in rows]

    def dashboard(self, dashboard_id: int, *, owner: str) -> Dashboard | None:
        return next((d for d in self.dashboards(owner=owner) if d.id == dashboard_id), None)

    def ensure_dashboard(self, name: str, *, owner: str) -> Dashboard:
        """``owner``'s dashboard called ``name`` (trimmed), created when missing."""
        clean = " ".join((name or "").split())[:MAX_NAME]
        if not clean:
            raise AppDBError("a dashboard needs a name")
        with self._lock, self._connect() as con:
            con.execute("INSERT OR IGNORE INTO dashboards(owner, name, created_at) VALUES (?, ?, ?)",
                        (owner, clean, _now()))
            row = con.execute("SELECT id, name FROM dashboards WHERE owner = ? AND name = ?",
                              (owner, clean)).fetchone()
        return Dashboard(row[0], row[1], owner=owner)

    def delete_dashboard(self, dashboard_id: int, *, owner: str) -> None:
        """Delete one of ``owner``'s dashboards and its cards; any other id is refused."""
        with self._lock, self._connect() as con:
            cur = con.execute("DELETE FROM dashboards WHERE id = ? AND owner = ?", (dashboard_id, owner))
            if cur.rowcount == 0:
                raise AppDBError(f"no dashboard {dashboard_id}")

    # -- cards --------------------------------------------------------------------------
    def add_card(self, dashboard: str, *, owner: str, title: str, query_json: str | None = None,
                 sql: str | None = None, language: str = "en") -> Card:
        """Append a card to ``owner``'s dashboard called ``dashboard`` (created when missing)."""
        if query_json is None and sql is None:
            raise AppDBError("a card needs a query or SQL to re-run")
        board = self.ensure_dashboard(dashboard, owner=owner)
        with self._lock, self._connect() as con:
            (last,) = con.execute("SELECT COALESCE(MAX(position), -1) FROM dashboard_cards WHERE dashboard_id = ?",
                                  (board.id,)).fetchone()
            cur = con.execute(
                "INSERT INTO dashboard_cards(dashboard_id, position, title, query_json, sql, language, created_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                (board.id, last + 1, title or "", query_json, sql, language, _now()))
            card_id = cur.lastrowid
        return Card(int(card_id or 0), board.id, last + 1, title or "", query_json, sql, language)

    def cards(self, dashboard_id: int, *, owner: str) -> list[Card]:
        """The cards of one of ``owner``'s dashboards (none for anyone else's)."""
        with self._connect() as con:
            rows = con.execute(
                "SELECT c.id, c.dashboard_id, c.position, c.title, c.query_json, c.sql, c.language "
                "FROM dashboard_cards c JOIN dashboards d ON d.id = c.dashboard_id "
                "WHERE c.dashboard_id = ? AND d.owner = ? ORDER BY c.position, c.id", (dashboard_id, owner)).fetchall()
        return [Card(*row) for row in rows]

    @staticmethod
    def _board_of(con: sqlite3.Connection, card_id: int, owner: str) -> int:
        """The dashboard of ``owner``'s card ``card_id``; another owner's card is as unknown as a missing one."""
        row = con.execute("SELECT c.dashboard_id FROM dashboard_cards c JOIN dashboards d ON d.id = c.dashboard_id "
                          "WHERE c.id = ? AND d.owner = ?", (card_id, owner)).fetchone()
        if row is None:
            raise AppDBError(f"no card {card_id}")
        return int(row[0])

    def remove_card(self, card_id: int, *, owner: str) -> None:
        with self._lock, self._connect() as con:
            self._board_of(con, card_id, owner)
            con.execute("DELETE FROM dashboard_cards WHERE id = ?", (card_id,))

    def move_card(self, card_id: int, delta: int, *, owner: str) -> None:
        """Move one of ``owner``'s cards ``delta`` places (negative = up); clamped at both ends."""
        with self._lock, self._connect() as con:
            board = self._board_of(con, card_id, owner)
            ids = [r[0] for r in con.execute(
                "SELECT id FROM dashboard_cards WHERE dashboard_id = ? ORDER BY position, id", (board,))]
            i = ids.index(card_id)
            j = max(0, min(len(ids) - 1, i + delta))
            ids.insert(j, ids.pop(i))
            # renumber densely so positions never collide after removals
            con.executemany("UPDATE dashboard_cards SET position = ? WHERE id = ?",
                            [(pos, cid) for pos, cid in enumerate(ids)])


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
