"""The audit log: who asked what, which SQL ran, how many rows came back, what was refused.

Kept in the app database (SQLite, next to dashboards and the alert outbox) and read with
``chatbi audit``. One row per event; the log is append-only from ChatBI's side. Writing never
fails a user's request: a log that cannot be written is reported on the ``chatbi.audit`` logger.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

__all__ = ["AuditLog", "AuditEvent", "default_app_db_path", "parse_since"]

log = logging.getLogger("chatbi.audit")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS audit_log (
    id INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    user TEXT NOT NULL,
    roles TEXT NOT NULL DEFAULT '',
    action TEXT NOT NULL,
    question TEXT,
    query_json TEXT,
    sql TEXT,
    rows INTEGER,
    status TEXT NOT NULL,
    denied INTEGER NOT NULL DEFAULT 0,
    detail TEXT
);
CREATE INDEX IF NOT EXISTS audit_log_by_user ON audit_log(user, at);
CREATE INDEX IF NOT EXISTS audit_log_by_time ON audit_log(at);
"""
_MAX_TEXT = 20_000


def default_app_db_path() -> Path:
    """``app.sqlite3`` in the ChatBI cache directory ($CHATBI_CACHE_DIR or ~/.cache/chatbi)."""
    root = Path(os.environ.get("CHATBI_CACHE_DIR") or Path.home() / ".cache" / "chatbi")
    return root / "app.sqlite3"


@dataclass(frozen=True)
class AuditEvent:
    id: int
    at: str
    user: str
    roles: str
    action: str
    question: str | None
    query_json: str | None
    sql: str | None
    rows: int | None
    status: str
    denied: bool
    detail: str | None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def parse_since(text: str, now: dt.datetime | None = None) -> dt.datetime:
    """``2025-12-01``, ``2025-12-01T09:00+08:00`` or a span back from now: ``30m``, ``12h``, ``7d``."""
    now = now or dt.datetime.now(dt.UTC)
    value = text.strip().lower()
    units = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
    if value[:-1].isdigit() and value[-1:] in units:
        return now - dt.timedelta(**{units[value[-1]]: int(value[:-1])})
    try:
        parsed = dt.datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(f"cannot read --since {text!r}; give an ISO date/time or a span like 24h or 7d") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


class AuditLog:
    """Thread-safe append and query of audit events (one short connection per call)."""

    def __init__(self, path: str | os.PathLike[str] | None = None) -> None:
        self.path = Path(path) if path is not None else default_app_db_path()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        with self._connect() as con:
            con.executescript(_SCHEMA)

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        con = sqlite3.connect(self.path, timeout=10)
        try:
            with con:
                yield con
        finally:
            con.close()

    def record(self, user: str, action: str, *, roles: tuple[str, ...] | list[str] = (), question: str | None = None,
               query: Any = None, sql: str | None = None, rows: int | None = None, status: str = "ok",
               denied: bool = False, detail: str | None = None) -> None:
        """Append one event; never raises."""
        query_json = None
        if query is not None:
            try:
                query_json = query.model_dump_json(exclude_defaults=True) if hasattr(query, "model_dump_json") \
                    else json.dumps(query, ensure_ascii=False, default=str)
            except Exception:  # noqa: BLE001
                query_json = str(query)
        row = (dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds"), user or "?", ",".join(roles),
               action, _cut(question), _cut(query_json), _cut(sql), rows, status, int(bool(denied)), _cut(detail))
        try:
            with self._lock, self._connect() as con:
                con.execute("INSERT INTO audit_log(at, user, roles, action, question, query_json, sql, rows, status, "
                            "denied, detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", row)
        except sqlite3.Error:
            log.exception("cannot write the audit log %s", self.path)

    def events(self, *, user: str | None = None, since: dt.datetime | None = None, denied: bool | None = None,
               action: str | None = None, limit: int = 200) -> list[AuditEvent]:
        """Newest first."""
        where, args = [], []
        if user:
            where.append("user = ?")
            args.append(user)
        if since is not None:
            where.append("at >= ?")
            args.append(since.astimezone(dt.UTC).isoformat(timespec="milliseconds"))
        if denied is not None:
            where.append("denied = ?")
            args.append(int(denied))
        if action:
            where.append("action = ?")
            args.append(action)
        sql = ("SELECT id, at, user, roles, action, question, query_json, sql, rows, status, denied, detail "
               "FROM audit_log" + (" WHERE " + " AND ".join(where) if where else "") + " ORDER BY id DESC LIMIT ?")
        with self._connect() as con:
            found = con.execute(sql, (*args, max(1, int(limit)))).fetchall()
        return [AuditEvent(*r[:10], bool(r[10]), r[11]) for r in found]


def _cut(text: str | None) -> str | None:
    return text if text is None or len(text) <= _MAX_TEXT else text[:_MAX_TEXT] + "…"
