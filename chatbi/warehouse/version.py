"""The data-version probe: a cheap, cached answer to "did the warehouse's data change?".

**Contract** (the time anchor and member index key their caches on it; the result cache and
freshness checks of a long-running server can do the same):

- ``DataVersionProbe(engine, tables, ttl_s=None).version() -> str`` is an opaque token. Equal
  tokens mean the rows of ``tables`` did not change as far as the engine can tell; a different
  token means they did (or may have: a false alarm costs one rebuild, never a wrong answer).
- A token is at most ``ttl_s`` seconds old (default ``$CHATBI_DATA_VERSION_TTL`` or 30 s):
  within that time ``version()`` reads a clock and returns; after it, one caller probes while
  the others wait. ``version(refresh=True)`` probes now (a "refresh" button, a load job's hook).
- The probe is the engine's ``data_version(tables)`` (:class:`~chatbi.warehouse.VersionedEngine`):
  DuckDB: row counts from its metadata plus the file's and WAL's size and mtime; PostgreSQL: the
  statistics collector's insert/update/delete counters and each table's file node (no table
  scan; counters are flushed by the server within about a second of a commit); Spark: row
  counts (from Parquet footers). Engines without the method are probed with ``COUNT(*)`` per
  table.
- It never raises: when the warehouse cannot be reached the last token stands (or
  ``"unavailable"`` before any probe succeeded) and the probe is retried after a few seconds,
  so readers keep what they have instead of failing on a cache key.
"""

from __future__ import annotations

import hashlib
import logging
import os
import threading
import time
from collections.abc import Callable, Sequence

from semantic_layer.compiler.metadata import row_counts_sql

from ..errors import ChatBIError
from .base import Engine, VersionedEngine

__all__ = ["DataVersionProbe", "DEFAULT_TTL_S", "UNAVAILABLE"]

DEFAULT_TTL_S = 30.0
#: the token before any probe succeeded
UNAVAILABLE = "unavailable"
#: after a failed probe, seconds before the next attempt
RETRY_S = 5.0

_log = logging.getLogger(__name__)


def _default_ttl() -> float:
    try:
        return float(os.environ.get("CHATBI_DATA_VERSION_TTL", DEFAULT_TTL_S))
    except ValueError:
        return DEFAULT_TTL_S


class DataVersionProbe:
    """The data version of ``tables`` in ``engine``, probed at most once per ``ttl_s`` seconds."""

    def __init__(self, engine: Engine, tables: Sequence[str], *, ttl_s: float | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.engine = engine
        self.tables = tuple(dict.fromkeys(tables))
        self.ttl_s = _default_ttl() if ttl_s is None else ttl_s
        self._clock = clock
        self._lock = threading.Lock()
        self._token: str | None = None
        self._next_probe = float("-inf")

    def version(self, *, refresh: bool = False) -> str:
        """The current token (see the module docstring)."""
        if not refresh and self._token is not None and self._clock() < self._next_probe:
            return self._token
        with self._lock:
            now = self._clock()
            if refresh or self._token is None or now >= self._next_probe:
                self._probe(now)
            return self._token or UNAVAILABLE

    def _probe(self, now: float) -> None:
        try:
            marker = self._marker()
        except ChatBIError as exc:
            _log.info("data version probe failed (%s); keeping %s", exc, self._token or UNAVAILABLE)
            self._next_probe = now + min(RETRY_S, self.ttl_s)
            return
        self._token = hashlib.sha256(marker.encode()).hexdigest()[:16]
        self._next_probe = now + self.ttl_s

    def _marker(self) -> str:
        if not self.tables:
            return ""
        if isinstance(self.engine, VersionedEngine):
            return self.engine.data_version(self.tables)
        frame = self.engine.execute(row_counts_sql(self.tables, self.engine.dialect))
        return ";".join(f"{t}={n}" for t, n in sorted(frame.itertuples(index=False, name=None)))
