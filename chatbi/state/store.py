"""The shared state store: small records every worker process of a server reads and writes.

Conversations, answers kept for a browser session, the progress of long work and the shared tier
of the result cache live here, so any worker can serve any request. A record is bytes under a
``(kind, key)`` with a version number and an optional expiry:

- ``get`` returns the value and its version (an expired record is absent);
- ``put(..., version=v)`` replaces the record only while it is still at version ``v`` (``0``: only
  when absent) and returns the new version, or ``None`` when someone else wrote first -- the
  caller reads again and retries (optimistic concurrency, no locks held across a request);
  ``put`` without ``version`` writes unconditionally;
- ``purge(kind, max_bytes=...)`` drops expired records (and the oldest, past a size bound).

Implementations: :class:`~chatbi.state.sql.SQLStateStore` -- the app database (SQLite in WAL mode,
the default; or PostgreSQL by URL) -- and :class:`~chatbi.state.redis_store.RedisStateStore` (a
``redis://`` URL). :func:`open_state` picks one from a path or URL.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, runtime_checkable

from ..errors import ConfigError

__all__ = ["Entry", "StateStore", "open_state", "state_url_problem", "default_app_db_path"]


def default_app_db_path() -> Path:
    """``app.sqlite3`` in the ChatBI cache directory ($CHATBI_CACHE_DIR or ~/.cache/chatbi): the
    app database the dashboards, the alerts' outbox and the audit log share."""
    root = Path(os.environ.get("CHATBI_CACHE_DIR") or Path.home() / ".cache" / "chatbi")
    return root / "app.sqlite3"


@dataclass(frozen=True)
class Entry:
    value: bytes
    version: int


@runtime_checkable
class StateStore(Protocol):
    """See the module docstring. Implementations are safe to share between threads."""

    #: where the records live, for messages (no password)
    location: str

    def get(self, kind: str, key: str) -> Entry | None: ...

    def get_many(self, kind: str, keys: Iterable[str]) -> dict[str, Entry]: ...

    def put(self, kind: str, key: str, value: bytes, *, ttl_s: float | None = None,
            version: int | None = None) -> int | None: ...

    def delete(self, kind: str, key: str) -> None: ...

    def purge(self, kind: str | None = None, *, max_bytes: int | None = None) -> int: ...

    def ping(self) -> None: ...

    def close(self) -> None: ...


def state_url_problem(target: str) -> str | None:
    """Why ``target`` cannot be a state store (None when it looks usable)."""
    if "://" not in target:
        return None
    scheme = target.split("://", 1)[0].lower()
    if scheme.startswith(("sqlite", "postgresql", "postgres", "redis", "rediss")):
        return None
    return (f"unsupported state store {scheme}://: use the app database (a SQLite path), "
            "postgresql://user:pw@host/db or redis://host:6379/0")


def open_state(target: str | os.PathLike[str] | None = None) -> StateStore:
    """A state store for a SQLite path (default: the app database), ``sqlite:///...``,
    ``postgresql://...`` or ``redis://...``."""
    if target is None:
        target = default_app_db_path()
    text = str(target)
    problem = state_url_problem(text)
    if problem:
        raise ConfigError(problem)
    scheme = text.split("://", 1)[0].lower() if "://" in text else ""
    if scheme.startswith("redis"):
        from .redis_store import RedisStateStore

        return RedisStateStore(text)
    from .sql import SQLStateStore

    if not scheme:
        return SQLStateStore.sqlite(Path(text))
    return SQLStateStore(text)
