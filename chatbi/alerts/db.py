"""The alerts' tables in the app database (SQLite): schema, migrations, one transaction per operation.

Every SQLite failure leaves this module as an :class:`~chatbi.alerts.errors.OutboxError` that
names the database and says whether retrying can help (``retryable``): a full disk, a lock held
too long or an I/O error pass (the daemon backs off and tries again); a file that is not a
database does not (the daemon stops and says so).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from .errors import OutboxError

__all__ = ["AppDatabase", "Clock", "default_app_db_path", "ts", "from_ts"]

Clock = Callable[[], dt.datetime]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS alert_outbox (
    key TEXT PRIMARY KEY,
    message_id TEXT NOT NULL,
    sender TEXT NOT NULL,
    recipients TEXT NOT NULL,
    subject TEXT NOT NULL,
    mime BLOB NOT NULL,
    rules TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'pending',
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt REAL NOT NULL,
    lease_until REAL,
    last_error TEXT,
    created REAL NOT NULL,
    sent REAL
);
CREATE INDEX IF NOT EXISTS alert_outbox_due ON alert_outbox(status, next_attempt);
CREATE TABLE IF NOT EXISTS alert_fire_state (
    namespace TEXT NOT NULL,
    rule_id TEXT NOT NULL,
    last_fire REAL NOT NULL,
    updated REAL NOT NULL,
    last_error TEXT,
    PRIMARY KEY (namespace, rule_id)
);
CREATE TABLE IF NOT EXISTS alert_missed_fires (
    namespace TEXT NOT NULL,
    rule_id TEXT NOT NULL,
    fire REAL NOT NULL,
    last_fire REAL NOT NULL,
    count INTEGER NOT NULL,
    reason TEXT NOT NULL,
    recorded REAL NOT NULL,
    reported TEXT,
    PRIMARY KEY (namespace, rule_id, fire)
);
"""

#: columns added to ``alert_outbox`` after its first release (added in place to older databases)
_OUTBOX_COLUMNS = {
    "recipient_status": "TEXT",  # JSON {address: [status, code, message]}
    "cause": "TEXT",             # why the last attempt failed: transient | config | refused | rejected
    "settings": "TEXT",          # the mailer settings' fingerprint at that failure
    "pruned": "REAL",            # when the MIME body was dropped (retention)
}


def default_app_db_path() -> Path:
    """``app.sqlite3`` in the ChatBI cache directory ($CHATBI_CACHE_DIR or ~/.cache/chatbi),
    the same app database the dashboards use (the alerts keep to their ``alert_*`` tables)."""
    root = Path(os.environ.get("CHATBI_CACHE_DIR") or Path.home() / ".cache" / "chatbi")
    return root / "app.sqlite3"


def ts(value: dt.datetime) -> float:
    if value.tzinfo is None:
        raise ValueError("outbox times must be timezone-aware")
    return value.timestamp()


def from_ts(value: float | None) -> dt.datetime | None:
    return None if value is None else dt.datetime.fromtimestamp(value, dt.UTC)


def storage_error(path: Path, exc: BaseException) -> OutboxError:
    """An :class:`OutboxError` for a SQLite or file system failure on ``path``."""
    retryable = isinstance(exc, (sqlite3.OperationalError, OSError)) and "not a database" not in str(exc)
    text = str(exc)
    hint = " (check free disk space; nothing was lost, the next run redoes it)" \
        if "full" in text or "I/O error" in text else ""
    return OutboxError(f"app database {path}: {exc}{hint}", retryable=retryable)


class AppDatabase:
    """One short-lived connection per operation; writers serialise on ``BEGIN IMMEDIATE``."""

    def __init__(self, path: str | os.PathLike[str] | None = None, *, clock: Clock | None = None) -> None:
        self.path = Path(path) if path is not None else default_app_db_path()
        self.clock: Clock = clock or (lambda: dt.datetime.now(dt.UTC))
        self._lock = threading.Lock()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            con = self._connect()
            try:
                con.execute("PRAGMA journal_mode=WAL")
                con.executescript(_SCHEMA)  # CREATE ... IF NOT EXISTS: safe for concurrent openers
                self._migrate(con)
            finally:
                con.close()
        except (OSError, sqlite3.Error) as exc:
            raise OutboxError(f"cannot open the app database {self.path}: {exc}",
                              retryable=isinstance(exc, (sqlite3.OperationalError, OSError))) from None

    def _connect(self) -> sqlite3.Connection:
        return sqlite3.connect(self.path, timeout=30, isolation_level=None)

    @staticmethod
    def _migrate(con: sqlite3.Connection) -> None:
        con.execute("BEGIN IMMEDIATE")  # two processes upgrading at once: the second sees the columns
        try:
            have = {row[1] for row in con.execute("PRAGMA table_info(alert_outbox)")}
            for name, kind in _OUTBOX_COLUMNS.items():
                if name not in have:
                    con.execute(f"ALTER TABLE alert_outbox ADD COLUMN {name} {kind}")
        except BaseException:
            con.execute("ROLLBACK")
            raise
        con.execute("COMMIT")

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        """One IMMEDIATE transaction; SQLite errors leave as :class:`OutboxError`."""
        with self._lock:
            try:
                con = self._connect()
            except sqlite3.Error as exc:
                raise storage_error(self.path, exc) from None
            try:
                try:
                    con.execute("PRAGMA synchronous=FULL")  # the commit point must survive a power cut
                    con.execute("BEGIN IMMEDIATE")
                except sqlite3.Error as exc:
                    raise storage_error(self.path, exc) from None
                try:
                    yield con
                    con.execute("COMMIT")
                except sqlite3.Error as exc:
                    _rollback(con)
                    raise storage_error(self.path, exc) from None
                except BaseException:
                    _rollback(con)
                    raise
            finally:
                con.close()

    def now(self) -> float:
        return ts(self.clock())


def _rollback(con: sqlite3.Connection) -> None:
    with contextlib.suppress(sqlite3.Error):  # the failed statement may already have ended the transaction
        con.execute("ROLLBACK")
