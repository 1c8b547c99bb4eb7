"""The outbox: rendered digests stored in the app database (SQLite) before they are sent.

Delivery guarantees, and why
----------------------------
A digest goes through four steps: *evaluate + render* -> *store* -> *SMTP send* -> *mark sent*.

* **Store is the commit point.** The rendered MIME bytes are inserted under an idempotency key
  (rule set + recipients + evaluated periods, :func:`chatbi.alerts.digest.idempotency_key`)
  *in the same transaction* that advances the rules' last-fire state. A crash before it leaves
  no trace: the rules are still due and the next run renders them again. A crash after it
  leaves a ``pending`` row that the next run sends. Re-rendering the same period finds the key
  already present (``INSERT OR IGNORE``) and adds nothing. So a crash between render and send
  (or an SMTP outage of any length) costs neither a lost nor a doubled digest: **exactly once**.
* **Send -> mark sent is the one window SMTP cannot close.** SMTP has no transaction we could
  commit together with our row; if the process dies after the server accepted the message and
  before the row says ``sent``, we cannot know whether the server got it. We resend (a lost
  digest is worse than a repeated one), so that window is **at-least-once**. To make the rare
  duplicate recognisable, the ``Message-ID`` header is derived from the idempotency key and stored
  with the bytes: a resend carries the same Message-ID, which mail clients and many servers use
  to drop duplicates. Before sending, a row is *claimed* (``status='sending'`` with a lease), so a
  cron-driven run and the daemon never send the same row concurrently; a claim whose lease ran out
  (its process died) is treated as in doubt and resent.
* **Retries** use exponential backoff (``base * 2**(attempts-1)``, capped). A permanent SMTP error
  (5xx) or running out of attempts marks the row ``failed``; it stays in the database and
  :meth:`Outbox.requeue` puts it back. Nothing is ever deleted by delivery.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sqlite3
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from .errors import MailerError, OutboxError
from .mailer import Mailer

__all__ = ["Outbox", "OutboxEntry", "DeliveryReport", "default_app_db_path", "Clock"]

Clock = Callable[[], dt.datetime]
Status = Literal["pending", "sending", "sent", "failed"]

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
CREATE TABLE IF NOT EXISTS alert_rule_state (
    rule_id TEXT PRIMARY KEY,
    last_fire REAL NOT NULL,
    updated REAL NOT NULL
);
"""


def default_app_db_path() -> Path:
    """``app.sqlite3`` in the ChatBI cache directory ($CHATBI_CACHE_DIR or ~/.cache/chatbi),
    the same app database the dashboards use (the alerts keep to their ``alert_*`` tables)."""
    root = Path(os.environ.get("CHATBI_CACHE_DIR") or Path.home() / ".cache" / "chatbi")
    return root / "app.sqlite3"


@dataclass(frozen=True)
class OutboxEntry:
    key: str
    message_id: str
    sender: str
    recipients: tuple[str, ...]
    subject: str
    mime: bytes
    rules: tuple[str, ...] = ()
    status: Status = "pending"
    attempts: int = 0
    last_error: str | None = None
    created: dt.datetime | None = None
    sent: dt.datetime | None = None


@dataclass
class DeliveryReport:
    sent: list[str] = field(default_factory=list)
    retrying: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)


def _ts(value: dt.datetime) -> float:
    if value.tzinfo is None:
        raise ValueError("outbox times must be timezone-aware")
    return value.timestamp()


def _dt(value: float | None) -> dt.datetime | None:
    return None if value is None else dt.datetime.fromtimestamp(value, dt.timezone.utc)


class Outbox:
    """Digests waiting to be sent, and the rules' last-fire state, in one SQLite file."""

    def __init__(self, path: str | os.PathLike[str] | None = None, *, clock: Clock | None = None,
                 max_attempts: int = 8, backoff_base: float = 60.0, backoff_cap: float = 3600.0,
                 lease: float = 300.0) -> None:
        self.path = Path(path) if path is not None else default_app_db_path()
        self.clock: Clock = clock or (lambda: dt.datetime.now(dt.timezone.utc))
        self.max_attempts = max_attempts
        self.backoff_base = backoff_base
        self.backoff_cap = backoff_cap
        self.lease = lease
        self._lock = threading.Lock()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            con = sqlite3.connect(self.path, timeout=30)
            try:
                con.execute("PRAGMA journal_mode=WAL")
                con.executescript(_SCHEMA)  # CREATE ... IF NOT EXISTS: safe for concurrent openers
            finally:
                con.close()
        except (OSError, sqlite3.Error) as exc:
            raise OutboxError(f"cannot open the app database {self.path}: {exc}") from None

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        """One short-lived connection per operation, one IMMEDIATE transaction (writers serialise)."""
        with self._lock:
            con = sqlite3.connect(self.path, timeout=30, isolation_level=None)
            try:
                con.execute("PRAGMA synchronous=FULL")  # the commit point must survive a power cut
                con.execute("BEGIN IMMEDIATE")
                try:
                    yield con
                except BaseException:
                    con.execute("ROLLBACK")
                    raise
                con.execute("COMMIT")
            finally:
                con.close()

    # -- storing ----------------------------------------------------------------------------
    def has(self, key: str) -> bool:
        with self._tx() as con:
            return con.execute("SELECT 1 FROM alert_outbox WHERE key = ?", (key,)).fetchone() is not None

    def put(self, entry: OutboxEntry, *, fires: Mapping[str, dt.datetime] | None = None) -> bool:
        """Store ``entry`` (unless its key is present) and advance ``fires`` atomically.

        Returns True when the entry was new.
        """
        now = _ts(self.clock())
        with self._tx() as con:
            cur = con.execute(
                "INSERT OR IGNORE INTO alert_outbox (key, message_id, sender, recipients, subject, mime, rules,"
                " status, attempts, next_attempt, created) VALUES (?, ?, ?, ?, ?, ?, ?, 'pending', 0, ?, ?)",
                (entry.key, entry.message_id, entry.sender, json.dumps(list(entry.recipients)), entry.subject,
                 sqlite3.Binary(entry.mime), json.dumps(list(entry.rules)), now, now))
            self._record(con, fires or {}, now)
            return cur.rowcount == 1

    def record_fires(self, fires: Mapping[str, dt.datetime]) -> None:
        """Advance the rules' last-fire state (for groups that produced no digest)."""
        with self._tx() as con:
            self._record(con, fires, _ts(self.clock()))

    @staticmethod
    def _record(con: sqlite3.Connection, fires: Mapping[str, dt.datetime], now: float) -> None:
        for rule_id, fire in fires.items():
            con.execute("INSERT INTO alert_rule_state (rule_id, last_fire, updated) VALUES (?, ?, ?) "
                        "ON CONFLICT(rule_id) DO UPDATE SET last_fire = max(last_fire, excluded.last_fire), "
                        "updated = excluded.updated", (rule_id, _ts(fire), now))

    def last_fires(self) -> dict[str, dt.datetime]:
        with self._tx() as con:
            rows = con.execute("SELECT rule_id, last_fire FROM alert_rule_state").fetchall()
        return {rule_id: _dt(value) for rule_id, value in rows}  # type: ignore[misc]

    # -- reading ----------------------------------------------------------------------------
    def entries(self, status: Status | None = None) -> list[OutboxEntry]:
        sql = ("SELECT key, message_id, sender, recipients, subject, mime, rules, status, attempts, last_error,"
               " created, sent FROM alert_outbox")
        args: tuple[str, ...] = ()
        if status:
            sql += " WHERE status = ?"
            args = (status,)
        with self._tx() as con:
            rows = con.execute(sql + " ORDER BY created, key", args).fetchall()
        return [OutboxEntry(r[0], r[1], r[2], tuple(json.loads(r[3])), r[4], bytes(r[5]), tuple(json.loads(r[6])),
                            r[7], r[8], r[9], _dt(r[10]), _dt(r[11])) for r in rows]

    def get(self, key: str) -> OutboxEntry | None:
        return next((e for e in self.entries() if e.key == key), None)

    def next_attempt(self) -> dt.datetime | None:
        """When the earliest pending row becomes due (for the daemon's sleep)."""
        with self._tx() as con:
            row = con.execute("SELECT min(CASE WHEN status = 'sending' THEN lease_until ELSE next_attempt END)"
                              " FROM alert_outbox WHERE status IN ('pending', 'sending')").fetchone()
        return _dt(row[0]) if row and row[0] is not None else None

    # -- delivering -------------------------------------------------------------------------
    def deliver(self, mailer: Mailer, *, limit: int | None = None,
                after_send: Callable[[OutboxEntry], None] | None = None) -> DeliveryReport:
        """Send every due row once: claim, send, mark sent (or schedule a retry).

        ``after_send`` runs between a successful send and marking the row sent (tests use it
        to crash the process in that window).
        """
        report = DeliveryReport()
        now = _ts(self.clock())
        with self._tx() as con:
            keys = [r[0] for r in con.execute(
                "SELECT key FROM alert_outbox WHERE (status = 'pending' AND next_attempt <= ?)"
                " OR (status = 'sending' AND lease_until <= ?) ORDER BY created, key", (now, now)).fetchall()]
        for key in keys[:limit]:
            entry = self._claim(key)
            if entry is None:
                continue  # another runner took it
            try:
                mailer.send(entry.mime, entry.sender, entry.recipients)
            except MailerError as exc:
                self._failed(entry, str(exc), exc.temporary, report)
                continue
            except OSError as exc:  # a Mailer that lets socket errors through
                self._failed(entry, f"{type(exc).__name__}: {exc}", True, report)
                continue
            if after_send is not None:
                after_send(entry)
            with self._tx() as con:
                con.execute("UPDATE alert_outbox SET status = 'sent', sent = ?, lease_until = NULL, last_error = NULL"
                            " WHERE key = ?", (_ts(self.clock()), key))
            report.sent.append(key)
        return report

    def _claim(self, key: str) -> OutboxEntry | None:
        now = _ts(self.clock())
        with self._tx() as con:
            cur = con.execute(
                "UPDATE alert_outbox SET status = 'sending', attempts = attempts + 1, lease_until = ?"
                " WHERE key = ? AND ((status = 'pending' AND next_attempt <= ?)"
                " OR (status = 'sending' AND lease_until <= ?))", (now + self.lease, key, now, now))
            if cur.rowcount != 1:
                return None
        return self.get(key)

    def _failed(self, entry: OutboxEntry, error: str, temporary: bool, report: DeliveryReport) -> None:
        now = _ts(self.clock())
        give_up = not temporary or entry.attempts >= self.max_attempts
        delay = min(self.backoff_cap, self.backoff_base * 2 ** max(entry.attempts - 1, 0))
        with self._tx() as con:
            con.execute("UPDATE alert_outbox SET status = ?, next_attempt = ?, lease_until = NULL, last_error = ?"
                        " WHERE key = ?", ("failed" if give_up else "pending", now + delay, error[:2000], entry.key))
        (report.failed if give_up else report.retrying).append(entry.key)

    def requeue(self, keys: Sequence[str] | None = None) -> int:
        """Put ``failed`` rows (all, or the given keys) back to ``pending`` with fresh attempts."""
        now = _ts(self.clock())
        with self._tx() as con:
            if keys is None:
                cur = con.execute("UPDATE alert_outbox SET status = 'pending', attempts = 0, next_attempt = ?"
                                  " WHERE status = 'failed'", (now,))
            else:
                cur = con.executemany("UPDATE alert_outbox SET status = 'pending', attempts = 0, next_attempt = ?"
                                      " WHERE status = 'failed' AND key = ?", [(now, k) for k in keys])
            return cur.rowcount
