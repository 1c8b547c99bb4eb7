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
* **Retries** use exponential backoff (``base * 2**(attempts-1)``, capped) for as long as retrying
  can help: the server down or busy, and also wrong credentials or TLS settings (an operator
  fixes them) -- a row whose failure came from the settings is retried at once when the
  mailer's settings change, without a manual requeue. Only after ``give_up_after`` (default three
  days) or ``max_attempts`` does such a row become ``failed``.
* **Per recipient.** Each address has its own status: accepted (``sent``), refused for good
  (``refused``, a 5xx on RCPT) or refused for now (``deferred``, a 4xx: retried, to that address
  only). A digest some of whose recipients were refused is ``partial``, not ``sent``.
* **Nothing is deleted by delivery.** ``failed`` and ``partial`` rows stay until requeued
  (:meth:`Outbox.requeue`) or dismissed (:meth:`Outbox.dismiss`). Retention (:meth:`Outbox.prune`)
  drops the MIME bodies of delivered digests after ``retention`` (default 30 days) and keeps
  the row, whose idempotency key is what stops a later run from sending the same period again;
  ``prune="rows"`` deletes the rows instead.
"""


from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import sqlite3
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from . import firestate
from .db import AppDatabase, Clock, default_app_db_path, from_ts, ts
from .errors import MailerError
from .firestate import MissedFire
from .mailer import Mailer

__all__ = ["Outbox", "OutboxEntry", "DeliveryReport", "MissedFire", "default_app_db_path", "Clock",
           "DEFAULT_RETENTION", "DEFAULT_GIVE_UP"]

Status = Literal["pending", "sending", "sent", "partial", "failed", "dismissed"]
#: delivered digests keep their MIME body this long (then only the row and its key remain)
DEFAULT_RETENTION = dt.timedelta(days=30)
#: a digest that cannot be delivered is retried this long before it is marked failed
DEFAULT_GIVE_UP = dt.timedelta(days=3)
_COLUMNS = ("key, message_id, sender, recipients, subject, {mime}, rules, status, attempts, last_error, created, sent,"
            " recipient_status, cause, next_attempt")


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
    #: address -> (status, SMTP code, message): ``sent`` | ``refused`` (for good) | ``deferred`` (retried)
    recipient_status: Mapping[str, tuple[str, int, str]] = field(default_factory=dict)
    #: why the last attempt failed: ``transient`` | ``config`` | ``refused`` | ``rejected``
    cause: str | None = None
    next_attempt: dt.datetime | None = None

    @property
    def waiting(self) -> bool:
        """Not delivered yet and retried automatically."""
        return self.status in ("pending", "sending") and self.attempts > 0

    def refused(self) -> dict[str, tuple[int, str]]:
        return {a: (code, msg) for a, (status, code, msg) in self.recipient_status.items() if status == "refused"}


@dataclass
class DeliveryReport:
    sent: list[str] = field(default_factory=list)
    retrying: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    #: delivered to some recipients, refused for good by others
    partial: list[str] = field(default_factory=list)
    #: failed rows put back because the mailer settings changed since they failed
    requeued: list[str] = field(default_factory=list)


def mailer_fingerprint(mailer: Any) -> str | None:
    """What identifies the mailer's settings (a hash: the password never reaches the database)."""
    value = getattr(mailer, "fingerprint", None)
    return hashlib.sha256(str(value).encode()).hexdigest()[:16] if value is not None else None


class Outbox(AppDatabase):
    """Digests waiting to be sent, and the rules' fire state, in the app database."""

    def __init__(self, path: str | os.PathLike[str] | None = None, *, clock: Clock | None = None,
                 max_attempts: int | None = None, backoff_base: float = 60.0, backoff_cap: float = 3600.0,
                 lease: float = 300.0, give_up_after: dt.timedelta | None = DEFAULT_GIVE_UP,
                 retention: dt.timedelta | None = DEFAULT_RETENTION,
                 prune: Literal["bodies", "rows"] = "bodies") -> None:
        super().__init__(path, clock=clock)
        self.max_attempts = max_attempts
        self.backoff_base = backoff_base
        self.backoff_cap = backoff_cap
        self.lease = lease
        self.give_up_after = give_up_after
        self.retention = retention
        self.prune_mode = prune

    # -- fire state (see chatbi.alerts.firestate) --------------------------------------------
    def record_fires(self, fires: Mapping[str, dt.datetime], namespace: str = "") -> None:
        """Advance the rules' last-fire state (for groups that produced no digest)."""
        with self._tx() as con:
            firestate.record_fires(con, namespace, fires, self.now())

    def last_fires(self, namespace: str = "") -> dict[str, dt.datetime]:
        with self._tx() as con:
            return firestate.last_fires(con, namespace)

    def register_rules(self, rule_ids: Iterable[str], baseline: dt.datetime, namespace: str = "") -> None:
        with self._tx() as con:
            firestate.register(con, namespace, rule_ids, baseline, self.now())

    def record_missed(self, gaps: Iterable[tuple[str, dt.datetime, dt.datetime, int, str]],
                      namespace: str = "") -> None:
        with self._tx() as con:
            firestate.record_missed(con, namespace, gaps, self.now())

    def note_error(self, rule_ids: Iterable[str], error: str, namespace: str = "") -> None:
        with self._tx() as con:
            firestate.note_error(con, namespace, rule_ids, error, self.now())

    def last_errors(self, namespace: str = "") -> dict[str, str]:
        with self._tx() as con:
            return firestate.last_errors(con, namespace)

    def missed(self, namespace: str | None = None, rule_ids: Iterable[str] | None = None, *,
               unreported: bool = False) -> list[MissedFire]:
        with self._tx() as con:
            return firestate.missed(con, namespace, rule_ids, unreported=unreported)

    # -- storing ----------------------------------------------------------------------------
    def has(self, key: str) -> bool:
        with self._tx() as con:
            return con.execute("SELECT 1 FROM alert_outbox WHERE key = ?", (key,)).fetchone() is not None

    def put(self, entry: OutboxEntry, *, fires: Mapping[str, dt.datetime] | None = None, namespace: str = "",
            reported: Sequence[MissedFire] = ()) -> bool:
        """Store ``entry`` (unless its key is present), advance ``fires`` and mark the missed fires
        the digest reports, atomically. Returns True when the entry was new."""
        now = self.now()
        with self._tx() as con:
            cur = con.execute(
                "INSERT OR IGNORE INTO alert_outbox (key, message_id, sender, recipients, subject, mime, rules,"
                " status, attempts, next_attempt, created, recipient_status) VALUES (?, ?, ?, ?, ?, ?, ?, 'pending',"
                " 0, ?, ?, '{}')",
                (entry.key, entry.message_id, entry.sender, json.dumps(list(entry.recipients)), entry.subject,
                 sqlite3.Binary(entry.mime), json.dumps(list(entry.rules)), now, now))
            firestate.record_fires(con, namespace, fires or {}, now)
            if cur.rowcount == 1:
                firestate.mark_reported(con, reported, entry.key)
            return cur.rowcount == 1

    # -- reading ----------------------------------------------------------------------------
    def entries(self, status: Status | None = None, *, include_mime: bool = True) -> list[OutboxEntry]:
        """Rows oldest first; ``include_mime=False`` leaves the (large) bodies out."""
        sql = "SELECT " + _COLUMNS.format(mime="mime" if include_mime else "x''") + " FROM alert_outbox"
        args: tuple[str, ...] = ()
        if status:
            sql += " WHERE status = ?"
            args = (status,)
        with self._tx() as con:
            rows = con.execute(sql + " ORDER BY created, key", args).fetchall()
        return [_entry(r) for r in rows]

    def get(self, key: str) -> OutboxEntry | None:
        with self._tx() as con:
            row = con.execute("SELECT " + _COLUMNS.format(mime="mime") + " FROM alert_outbox WHERE key = ?",
                              (key,)).fetchone()
        return _entry(row) if row else None

    def next_attempt(self) -> dt.datetime | None:
        """When the earliest pending row becomes due (for the daemon's sleep)."""
        with self._tx() as con:
            row = con.execute("SELECT min(CASE WHEN status = 'sending' THEN lease_until ELSE next_attempt END)"
                              " FROM alert_outbox WHERE status IN ('pending', 'sending')").fetchone()
        return from_ts(row[0]) if row and row[0] is not None else None

    def counts(self) -> dict[str, int]:
        """Rows per status, and ``waiting``: pending rows that already failed at least once."""
        with self._tx() as con:
            out = dict(con.execute("SELECT status, count(*) FROM alert_outbox GROUP BY status").fetchall())
            out["waiting"] = con.execute("SELECT count(*) FROM alert_outbox WHERE status IN ('pending', 'sending')"
                                         " AND attempts > 0").fetchone()[0]
        return out

    # -- delivering -------------------------------------------------------------------------
    def deliver(self, mailer: Mailer, *, limit: int | None = None,
                after_send: Callable[[OutboxEntry], None] | None = None) -> DeliveryReport:
        """Send every due row once: claim, send (to the recipients still waiting), record each
        recipient's outcome. ``after_send`` runs between a successful send and marking the row
        (tests use it to crash the process in that window)."""
        report = DeliveryReport()
        report.requeued = self._requeue_for_new_settings(mailer_fingerprint(mailer))
        now = self.now()
        with self._tx() as con:
            keys = [r[0] for r in con.execute(
                "SELECT key FROM alert_outbox WHERE (status = 'pending' AND next_attempt <= ?)"
                " OR (status = 'sending' AND lease_until <= ?) ORDER BY created, key", (now, now)).fetchall()]
        for key in keys[:limit]:
            entry = self._claim(key)
            if entry is None:
                continue  # another runner took it
            targets = [a for a in entry.recipients if entry.recipient_status.get(a, ("",))[0] not in ("sent", "refused")]
            try:
                refused = dict(mailer.send(entry.mime, entry.sender, targets) or {})
            except MailerError as exc:
                if exc.refused:
                    self._settle(entry, targets, exc.refused, report, mailer, error=str(exc))
                else:
                    self._failed(entry, str(exc), exc.kind, report, mailer)
                continue
            except Exception as exc:  # noqa: BLE001 - a mailer bug must not strand the claimed row
                self._failed(entry, f"{type(exc).__name__}: {exc}", "transient", report, mailer)
                continue
            if after_send is not None:
                after_send(entry)
            self._settle(entry, targets, refused, report, mailer)
        return report

    def _requeue_for_new_settings(self, fingerprint: str | None) -> list[str]:
        """Rows that failed because of the settings are retried at once when the settings changed."""
        if fingerprint is None:
            return []
        now = self.now()
        with self._tx() as con:
            rows = con.execute("SELECT key, status FROM alert_outbox WHERE cause = 'config' AND status IN"
                               " ('pending', 'failed') AND coalesce(settings, '') != ?", (fingerprint,)).fetchall()
            for key, status in rows:
                con.execute("UPDATE alert_outbox SET status = 'pending', next_attempt = ?, settings = ?,"
                            " attempts = CASE WHEN ? = 'failed' THEN 0 ELSE attempts END WHERE key = ?",
                            (now, fingerprint, status, key))
        return [key for key, status in rows if status == "failed"]

    def _claim(self, key: str) -> OutboxEntry | None:
        now = self.now()
        with self._tx() as con:
            cur = con.execute(
                "UPDATE alert_outbox SET status = 'sending', attempts = attempts + 1, lease_until = ?"
                " WHERE key = ? AND ((status = 'pending' AND next_attempt <= ?)"
                " OR (status = 'sending' AND lease_until <= ?))", (now + self.lease, key, now, now))
            if cur.rowcount != 1:
                return None
        return self.get(key)

    def _settle(self, entry: OutboxEntry, targets: Sequence[str], refused: Mapping[str, tuple[int, Any]],
                report: DeliveryReport, mailer: Mailer, error: str | None = None) -> None:
        """Record each target's outcome; the row is sent, partial, failed or waits for deferred ones."""
        statuses = dict(entry.recipient_status)
        for address in targets:
            if address in refused:
                code, message = refused[address]
                text = message.decode(errors="replace") if isinstance(message, bytes) else str(message)
                statuses[address] = ("refused" if int(code) >= 500 else "deferred", int(code), text[:300])
            else:
                statuses[address] = ("sent", 250, "")
        kinds = {a: statuses.get(a, ("",))[0] for a in entry.recipients}
        problems = "; ".join(f"{a} {s} ({c} {m})".strip() for a, (s, c, m) in statuses.items() if s != "sent")
        if any(k == "deferred" for k in kinds.values()):
            self._failed(entry, problems or error or "deferred", "transient", report, mailer, statuses)
            return
        sent = [a for a, k in kinds.items() if k == "sent"]
        status = "sent" if len(sent) == len(kinds) else "partial" if sent else "failed"
        now = self.now()
        with self._tx() as con:
            con.execute("UPDATE alert_outbox SET status = ?, sent = CASE WHEN ? THEN ? ELSE sent END,"
                        " lease_until = NULL, last_error = ?, recipient_status = ?, cause = ? WHERE key = ?",
                        (status, bool(sent), now, problems or None, json.dumps(statuses),
                         None if status == "sent" else "refused", entry.key))
        {"sent": report.sent, "partial": report.partial, "failed": report.failed}[status].append(entry.key)

    def _failed(self, entry: OutboxEntry, error: str, kind: str, report: DeliveryReport, mailer: Mailer,
                statuses: Mapping[str, tuple[str, int, str]] | None = None) -> None:
        now = self.now()
        created = ts(entry.created) if entry.created else now
        give_up = kind not in ("transient", "config") or \
            (self.max_attempts is not None and entry.attempts >= self.max_attempts) or \
            (self.give_up_after is not None and now - created >= self.give_up_after.total_seconds())
        delay = min(self.backoff_cap, self.backoff_base * 2 ** max(entry.attempts - 1, 0))
        with self._tx() as con:
            con.execute("UPDATE alert_outbox SET status = ?, next_attempt = ?, lease_until = NULL, last_error = ?,"
                        " cause = ?, settings = ?, recipient_status = ? WHERE key = ?",
                        ("failed" if give_up else "pending", now + delay, error[:2000], kind,
                         mailer_fingerprint(mailer), json.dumps(dict(statuses or entry.recipient_status)), entry.key))
        (report.failed if give_up else report.retrying).append(entry.key)

    # -- operator actions and retention ----------------------------------------------------
    def requeue(self, keys: Sequence[str] | None = None) -> int:
        """Put ``failed`` and ``partial`` rows (all, or the given keys) back to ``pending`` with fresh
        attempts; recipients that refused are tried again."""
        return self._set_status(keys, ("failed", "partial"), "pending", reset=True)

    def dismiss(self, keys: Sequence[str] | None = None) -> int:
        """Mark ``failed`` / ``partial`` rows as seen (``dismissed``): they stop counting as problems."""
        return self._set_status(keys, ("failed", "partial"), "dismissed", reset=False)

    def _set_status(self, keys: Sequence[str] | None, current: tuple[str, ...], new: str, *, reset: bool) -> int:
        now = self.now()
        where = f"status IN ({', '.join('?' * len(current))})"
        with self._tx() as con:
            if keys is None:
                rows = con.execute(f"SELECT key, recipient_status FROM alert_outbox WHERE {where}", current).fetchall()
            else:  # a key or its unique prefix, as `chatbi alerts outbox` prints them
                rows = [row for key in keys for row in con.execute(
                    f"SELECT key, recipient_status FROM alert_outbox WHERE {where} AND key LIKE ?",
                    (*current, f"{key}%")).fetchall()]
            for key, statuses in dict(rows).items():
                if reset:  # recipients who got it keep it: only the others are tried again
                    kept = {a: v for a, v in json.loads(statuses or "{}").items() if v[0] == "sent"}
                    con.execute("UPDATE alert_outbox SET status = ?, attempts = 0, next_attempt = ?, cause = NULL,"
                                " recipient_status = ? WHERE key = ?", (new, now, json.dumps(kept), key))
                else:
                    con.execute("UPDATE alert_outbox SET status = ? WHERE key = ?", (new, key))
            return len(dict(rows))

    def prune(self, now: dt.datetime | None = None) -> int:
        """Apply retention: delivered (or dismissed) digests older than ``retention`` lose their MIME
        body (``prune="bodies"``) or their row (``prune="rows"``). Returns how many rows changed."""
        if self.retention is None:
            return 0
        cutoff = ts(now or self.clock()) - self.retention.total_seconds()
        done = "status IN ('sent', 'partial', 'dismissed') AND coalesce(sent, created) < ?"
        with self._tx() as con:
            if self.prune_mode == "rows":
                return con.execute(f"DELETE FROM alert_outbox WHERE {done}", (cutoff,)).rowcount
            return con.execute(f"UPDATE alert_outbox SET mime = x'', pruned = ? WHERE pruned IS NULL AND {done}",
                               (self.now(), cutoff)).rowcount


def _entry(r: Sequence[Any]) -> OutboxEntry:
    statuses = {a: tuple(v) for a, v in json.loads(r[12] or "{}").items()}
    return OutboxEntry(r[0], r[1], r[2], tuple(json.loads(r[3])), r[4], bytes(r[5]), tuple(json.loads(r[6])),
                       r[7], r[8], r[9], from_ts(r[10]), from_ts(r[11]), statuses, r[13],
                       from_ts(r[14]))
