"""Sign-in sessions kept server-side in the app database, so they can be ended at once.

A signed cookie alone cannot be taken back: a copy made before sign-out keeps working until it
expires. Here the cookie carries only a random token; the app database keeps a record per
session (the token's SHA-256, never the token), and a request is signed in only while its record
exists, has not expired and was not revoked. Sign-out, ``chatbi security revoke USER``, a changed
password hash and a disabled or removed user end sessions immediately, in every worker.

Failed sign-ins are counted per client address, not per user name: an attacker who guesses
passwords slows down only their own address, and can never lock a user out. After
``FREE_FAILURES`` failures each further attempt from that address waits twice as long as the
last (at most ``MAX_DELAY_S``); the count is forgotten an hour after the last failure and when
someone signs in from that address.

>>> import tempfile, pathlib
>>> store = SignInSessions(pathlib.Path(tempfile.mkdtemp()) / "app.sqlite3")
>>> token = store.create("alice", via="form", credential="c1", hours=1)
>>> store.lookup(token).user, store.revoke(token), store.lookup(token)
('alice', True, None)
"""

from __future__ import annotations

import hashlib
import os
import secrets
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from .audit import default_app_db_path

__all__ = ["SignInSessions", "SessionRecord", "credential_of", "FREE_FAILURES", "MAX_DELAY_S"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS auth_sessions (
    token_hash TEXT PRIMARY KEY,
    user TEXT NOT NULL,
    via TEXT NOT NULL,
    credential TEXT NOT NULL,
    created_at REAL NOT NULL,
    seen_at REAL NOT NULL,
    expires_at REAL NOT NULL,
    revoked_at REAL,
    remote TEXT
);
CREATE INDEX IF NOT EXISTS auth_sessions_by_user ON auth_sessions(user);
CREATE TABLE IF NOT EXISTS auth_failures (
    addr TEXT PRIMARY KEY,
    failures INTEGER NOT NULL,
    last_at REAL NOT NULL
);
"""

#: failed sign-ins an address may make before it has to wait
FREE_FAILURES = 3
#: the longest wait between attempts from one address
MAX_DELAY_S = 300.0
#: failures are forgotten this long after the last one
FAILURE_MEMORY_S = 3600.0
#: ``seen_at`` is written at most this often per session (reads stay cheap)
_TOUCH_S = 60.0


@dataclass(frozen=True)
class SessionRecord:
    user: str
    via: str
    credential: str
    created_at: float
    seen_at: float
    expires_at: float
    remote: str | None


def credential_of(password_hash: str | None) -> str:
    """A fingerprint of a user's stored password hash: when the hash changes, sessions end."""
    return hashlib.sha256((password_hash or "").encode()).hexdigest()[:24]


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class SignInSessions:
    """Session records and sign-in failure counts in the app database (thread- and process-safe)."""

    def __init__(self, path: str | os.PathLike[str] | None = None, *, clock: Callable[[], float] = time.time) -> None:
        self.path = Path(path) if path is not None else default_app_db_path()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.clock = clock
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

    # -- sessions ---------------------------------------------------------------------------
    def create(self, user: str, *, via: str, credential: str, hours: float, remote: str | None = None) -> str:
        """A new session for ``user``; returns the token for the cookie (only its hash is stored)."""
        token = secrets.token_urlsafe(32)
        now = self.clock()
        with self._lock, self._connect() as con:
            con.execute("INSERT INTO auth_sessions(token_hash, user, via, credential, created_at, seen_at, expires_at, "
                        "remote) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                        (_digest(token), user, via, credential, now, now, now + hours * 3600, remote))
            # expired records are of no use to anyone; a little housekeeping on each sign-in
            con.execute("DELETE FROM auth_sessions WHERE expires_at < ?", (now - 86400,))
        return token

    def lookup(self, token: str | None) -> SessionRecord | None:
        """The live session of ``token`` (None when unknown, expired or revoked)."""
        if not token or not isinstance(token, str) or len(token) > 200:
            return None
        key = _digest(token)
        now = self.clock()
        with self._connect() as con:
            row = con.execute("SELECT user, via, credential, created_at, seen_at, expires_at, remote FROM auth_sessions "
                              "WHERE token_hash = ? AND revoked_at IS NULL AND expires_at > ?", (key, now)).fetchone()
            if row is None:
                return None
            if now - row[4] > _TOUCH_S:
                con.execute("UPDATE auth_sessions SET seen_at = ? WHERE token_hash = ?", (now, key))
        return SessionRecord(*row)

    def revoke(self, token: str | None) -> bool:
        """End one session; whether it was live."""
        if not token:
            return False
        with self._lock, self._connect() as con:
            cur = con.execute("UPDATE auth_sessions SET revoked_at = ? WHERE token_hash = ? AND revoked_at IS NULL",
                              (self.clock(), _digest(token)))
            return cur.rowcount > 0

    def revoke_user(self, user: str) -> int:
        """End every session of ``user``; how many were live."""
        with self._lock, self._connect() as con:
            cur = con.execute("UPDATE auth_sessions SET revoked_at = ? WHERE user = ? AND revoked_at IS NULL "
                              "AND expires_at > ?", (self.clock(), user, self.clock()))
            return cur.rowcount

    def active(self, user: str | None = None) -> list[SessionRecord]:
        """Live sessions (of one user), newest first."""
        sql = ("SELECT user, via, credential, created_at, seen_at, expires_at, remote FROM auth_sessions "
               "WHERE revoked_at IS NULL AND expires_at > ?")
        params: list[object] = [self.clock()]
        if user is not None:
            sql += " AND user = ?"
            params.append(user)
        with self._connect() as con:
            return [SessionRecord(*row) for row in con.execute(sql + " ORDER BY created_at DESC", params)]

    # -- failed sign-ins ----------------------------------------------------------------------
    def wait_s(self, addr: str) -> float:
        """Seconds ``addr`` must still wait before its next sign-in attempt is looked at (0: go ahead)."""
        with self._connect() as con:
            row = con.execute("SELECT failures, last_at FROM auth_failures WHERE addr = ?", (addr,)).fetchone()
        if row is None:
            return 0.0
        failures, last_at = row
        elapsed = self.clock() - last_at
        if elapsed > FAILURE_MEMORY_S:
            return 0.0
        return max(0.0, delay_after(failures) - elapsed)

    def failed(self, addr: str) -> None:
        now = self.clock()
        with self._lock, self._connect() as con:
            row = con.execute("SELECT failures, last_at FROM auth_failures WHERE addr = ?", (addr,)).fetchone()
            failures = 1 if row is None or now - row[1] > FAILURE_MEMORY_S else row[0] + 1
            con.execute("INSERT INTO auth_failures(addr, failures, last_at) VALUES (?, ?, ?) "
                        "ON CONFLICT(addr) DO UPDATE SET failures = excluded.failures, last_at = excluded.last_at",
                        (addr, failures, now))
            con.execute("DELETE FROM auth_failures WHERE last_at < ?", (now - FAILURE_MEMORY_S,))

    def succeeded(self, addr: str) -> None:
        with self._lock, self._connect() as con:
            con.execute("DELETE FROM auth_failures WHERE addr = ?", (addr,))


def delay_after(failures: int) -> float:
    """The wait after ``failures`` failed attempts from one address.

    >>> [delay_after(n) for n in (1, 3, 4, 5, 8, 20)]
    [0.0, 0.0, 1.0, 2.0, 16.0, 300.0]
    """
    if failures <= FREE_FAILURES:
        return 0.0
    return min(MAX_DELAY_S, 2.0 ** (failures - FREE_FAILURES - 1))
