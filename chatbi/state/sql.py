"""The state store in a SQL app database: SQLite (WAL mode, the default) or PostgreSQL.

One table, ``chatbi_state`` (kind, key, value, version, size, expires, updated), written with
SQLAlchemy Core so the same statements run on both. Optimistic concurrency is a conditional
``UPDATE ... WHERE version = :v`` (or an ``INSERT`` that must not conflict), so no lock is held
while a request computes. SQLite runs in WAL mode: readers never wait for the writer, and
several worker processes on one host share the file safely.

>>> store = SQLStateStore.sqlite(":memory:")                     # doctest: +SKIP
>>> store.put("session", "abc", b"{}", version=0), store.get("session", "abc").version  # doctest: +SKIP
(1, 1)
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from sqlalchemy import (
    Column,
    Float,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    and_,
    bindparam,
    create_engine,
    delete,
    event,
    func,
    or_,
    select,
    update,
)
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

from ..errors import ConfigError
from .store import Entry

__all__ = ["SQLStateStore", "StateStoreError"]

_metadata = MetaData()
STATE = Table(
    "chatbi_state", _metadata,
    Column("kind", String(32), primary_key=True),
    Column("key", String(200), primary_key=True),
    Column("value", LargeBinary, nullable=False),
    Column("version", Integer, nullable=False),
    Column("size", Integer, nullable=False),
    Column("expires", Float, nullable=True),
    Column("updated", Float, nullable=False),
    Index("chatbi_state_expiry", "kind", "expires"),
)
#: purge expired records after this many writes (amortised housekeeping, no extra thread)
_PURGE_EVERY = 500


class StateStoreError(ConfigError):
    """The state store cannot be used (unreachable, not a database, no permission)."""


class SQLStateStore:
    """:class:`~chatbi.state.store.StateStore` in a SQL database reachable by a SQLAlchemy URL."""

    def __init__(self, url: str, *, engine: Engine | None = None) -> None:
        if url.startswith("postgres://"):
            url = "postgresql://" + url.removeprefix("postgres://")
        if url.startswith("postgresql://"):
            url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
        self.location = _without_password(url)
        if engine is None:
            try:
                engine = _make_engine(url)
            except (ImportError, ModuleNotFoundError) as exc:
                raise StateStoreError(f"cannot use {self.location} for the app state ({exc}); for PostgreSQL "
                                      "pip install 'chatbi[postgres]'") from None
        self.engine = engine
        # the dialect's INSERT, which knows ON CONFLICT (SQLite and PostgreSQL spell it alike)
        from sqlalchemy.dialects import postgresql, sqlite

        self._statements = _Statements(postgresql.insert if engine.dialect.name == "postgresql" else sqlite.insert)
        self._writes = 0
        self._lock = threading.Lock()
        try:
            _metadata.create_all(self.engine, tables=[STATE])
        except SQLAlchemyError as exc:
            raise StateStoreError(f"cannot use {self.location} for the app state: {_first_line(exc)}") from None

    @classmethod
    def sqlite(cls, path: str | os.PathLike[str]) -> SQLStateStore:
        """The store in a SQLite file (its folder is created); ``":memory:"`` for tests of one thread."""
        if str(path) != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        return cls(f"sqlite:///{path}")

    def __repr__(self) -> str:
        return f"SQLStateStore({self.location})"

    # -- reads -----------------------------------------------------------------------------------
    def get(self, kind: str, key: str) -> Entry | None:
        return self.get_many(kind, [key]).get(key)

    def get_many(self, kind: str, keys: Iterable[str]) -> dict[str, Entry]:
        wanted = list(dict.fromkeys(keys))
        if not wanted:
            return {}
        with self._run() as con:
            rows = con.execute(self._statements.get_many, {"p_kind": kind, "p_keys": wanted, "p_now": time.time()}).all()
        return {row.key: Entry(bytes(row.value), int(row.version)) for row in rows}

    # -- writes ----------------------------------------------------------------------------------
    def put(self, kind: str, key: str, value: bytes, *, ttl_s: float | None = None,
            version: int | None = None) -> int | None:
        now = time.time()
        params = {"p_kind": kind, "p_key": key, "p_value": value, "p_size": len(value),
                  "p_expires": now + ttl_s if ttl_s else None, "p_now": now}
        run = self._statements
        # RETURNING rather than rowcount: drivers disagree on rowcount after ON CONFLICT
        with self._run() as con:
            if version == 0:  # create, or replace a record that expired (as good as absent)
                made = con.execute(run.create, params).first()
                if made is None:
                    return None
                new = 1
            elif version is None:
                new = int(con.execute(run.upsert, params).scalar_one())
            else:
                changed = con.execute(run.replace, {**params, "p_version": version}).first()
                if changed is None:
                    return None
                new = version + 1
        self._housekeeping()
        return new

    def delete(self, kind: str, key: str) -> None:
        with self._run() as con:
            con.execute(self._statements.delete, {"p_kind": kind, "p_key": key})

    def purge(self, kind: str | None = None, *, max_bytes: int | None = None) -> int:
        """Drop expired records (of ``kind``, or all); past ``max_bytes`` of ``kind``, the oldest too."""
        now = time.time()
        where = [~_alive(now)] + ([STATE.c.kind == kind] if kind else [])
        with self._run() as con:
            dropped = con.execute(delete(STATE).where(*where)).rowcount or 0
            if kind and max_bytes is not None:
                total = con.execute(select(func.coalesce(func.sum(STATE.c.size), 0))
                                    .where(STATE.c.kind == kind)).scalar_one()
                if total > max_bytes:
                    excess = int(total) - max_bytes
                    rows = con.execute(select(STATE.c.key, STATE.c.size).where(STATE.c.kind == kind)
                                       .order_by(STATE.c.updated)).all()
                    doomed = []
                    for row in rows:
                        if excess <= 0:
                            break
                        doomed.append(row.key)
                        excess -= row.size
                    for start in range(0, len(doomed), 500):
                        con.execute(delete(STATE).where(STATE.c.kind == kind,
                                                        STATE.c.key.in_(doomed[start:start + 500])))
                    dropped += len(doomed)
        return dropped

    def ping(self) -> None:
        with self._run() as con:
            con.execute(select(func.count()).select_from(STATE).where(STATE.c.kind == "ping"))

    def close(self) -> None:
        self.engine.dispose()

    # -- plumbing --------------------------------------------------------------------------------
    def _run(self) -> Any:
        return _Transaction(self)

    def _housekeeping(self) -> None:
        with self._lock:
            self._writes += 1
            due = self._writes % _PURGE_EVERY == 0
        if due:
            with contextlib.suppress(StateStoreError):  # housekeeping must never fail a write that succeeded
                self.purge()


class _Statements:
    """The store's statements, built once (building a SQLAlchemy statement costs more than running it)."""

    def __init__(self, insert: Any) -> None:
        c = STATE.c
        kind: Any = bindparam("p_kind")
        key: Any = bindparam("p_key")
        now: Any = bindparam("p_now")
        alive = or_(c.expires.is_(None), c.expires > now)
        values = {"kind": kind, "key": key, "value": bindparam("p_value"), "size": bindparam("p_size"),
                  "expires": bindparam("p_expires"), "updated": now}
        self.get_many = select(c.key, c.value, c.version).where(
            c.kind == kind, c.key.in_(bindparam("p_keys", expanding=True)), alive)
        fresh = insert(STATE).values(version=1, **values)
        changes = {"value": fresh.excluded.value, "size": fresh.excluded.size, "expires": fresh.excluded.expires,
                   "updated": fresh.excluded.updated}
        self.create = fresh.on_conflict_do_update(
            index_elements=["kind", "key"], set_={**changes, "version": 1},
            where=and_(c.expires.is_not(None), c.expires <= now)).returning(c.version)
        self.upsert = fresh.on_conflict_do_update(
            index_elements=["kind", "key"], set_={**changes, "version": c.version + 1}).returning(c.version)
        self.replace = update(STATE).where(c.kind == kind, c.key == key, c.version == bindparam("p_version"), alive) \
            .values(version=c.version + 1, value=bindparam("p_value"), size=bindparam("p_size"),
                    expires=bindparam("p_expires"), updated=now).returning(c.version)
        self.delete = delete(STATE).where(c.kind == kind, c.key == key)


class _Transaction:
    """One short transaction; database failures leave as :class:`StateStoreError` naming the store."""

    def __init__(self, store: SQLStateStore) -> None:
        self.store = store
        self._context: Any = None

    def __enter__(self) -> Any:
        try:
            self._context = self.store.engine.begin()
            return self._context.__enter__()
        except SQLAlchemyError as exc:
            raise StateStoreError(f"app state store {self.store.location}: {_first_line(exc)}") from None

    def __exit__(self, kind: Any, exc: Any, tb: Any) -> None:
        try:
            self._context.__exit__(kind, exc, tb)
        except SQLAlchemyError as error:
            raise StateStoreError(f"app state store {self.store.location}: {_first_line(error)}") from None
        if isinstance(exc, SQLAlchemyError):
            raise StateStoreError(f"app state store {self.store.location}: {_first_line(exc)}") from None


def _alive(now: float) -> Any:
    return or_(STATE.c.expires.is_(None), STATE.c.expires > now)


def _make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 15}, pool_size=8,
                               max_overflow=16)

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            # WAL: readers never wait for the writer; NORMAL sync is safe in WAL (a power cut may lose
            # the last commits, never corrupt); the busy timeout lets workers queue for the write lock
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA busy_timeout=15000")
            cursor.close()

        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=8, max_overflow=16)


def _without_password(url: str) -> str:
    if "@" not in url or "://" not in url:
        return url
    scheme, rest = url.split("://", 1)
    credentials, host = rest.rsplit("@", 1)
    user = credentials.split(":", 1)[0]
    return f"{scheme}://{user}@{host}" if user else f"{scheme}://{host}"


def _first_line(exc: BaseException) -> str:
    text = str(getattr(exc, "orig", None) or exc).strip().splitlines()
    return text[0] if text else type(exc).__name__

