"""How often one user may make the app send mail (test digests): a sliding hour, in the app database.

Kept in the app database so every worker of the app counts the same sends.
"""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path

__all__ = ["TestSendLimit"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS mail_sends (who TEXT NOT NULL, at REAL NOT NULL);
CREATE INDEX IF NOT EXISTS mail_sends_by_who ON mail_sends(who, at);
"""
_HOUR = 3600.0


class TestSendLimit:
    """At most ``per_hour`` sends per user in any hour."""

    __test__ = False  # a name pytest would otherwise collect

    def __init__(self, path: str | os.PathLike[str], *, per_hour: int = 5, clock: Callable[[], float] = time.time
                 ) -> None:
        self.path = Path(path)
        self.per_hour = per_hour
        self.clock = clock
        with self._connect() as con:
            con.executescript(_SCHEMA)

    def _connect(self) -> sqlite3.Connection:
        return sqlite3.connect(self.path, timeout=10)

    def wait_s(self, who: str) -> float:
        """Seconds until ``who`` may send again (0: now)."""
        now = self.clock()
        con = self._connect()
        try:
            rows = [r[0] for r in con.execute("SELECT at FROM mail_sends WHERE who = ? AND at > ? ORDER BY at",
                                              (who, now - _HOUR))]
        finally:
            con.close()
        if len(rows) < self.per_hour:
            return 0.0
        return max(0.0, rows[len(rows) - self.per_hour] + _HOUR - now)

    def note(self, who: str) -> None:
        now = self.clock()
        con = self._connect()
        try:
            with con:
                con.execute("INSERT INTO mail_sends(who, at) VALUES (?, ?)", (who, now))
                con.execute("DELETE FROM mail_sends WHERE at < ?", (now - _HOUR,))
        finally:
            con.close()
