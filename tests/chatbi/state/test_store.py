"""The shared state store on SQLite (WAL) and on a real PostgreSQL server: versions, expiry, bounds."""

from __future__ import annotations

import re
import threading
import time

import pytest

from chatbi.errors import ConfigError
from chatbi.state import open_state
from chatbi.state.sql import StateStoreError


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres), "redis"])
def store(request, tmp_path):
    if request.param == "sqlite":
        made = open_state(tmp_path / "app.sqlite3")
    else:
        made = open_state(request.getfixturevalue(f"{request.param}_url"))
        for kind in ("k", "n", "c", "t"):
            made.purge(kind, max_bytes=0)  # the server is shared by the session: start empty
    yield made
    made.close()


def test_writes_are_optimistic(store):
    assert store.put("k", "a", b"1", version=0) == 1
    assert store.put("k", "a", b"2", version=0) is None  # exists: someone else created it first
    assert store.put("k", "a", b"3", version=1) == 2
    assert store.put("k", "a", b"4", version=1) is None  # stale: re-read and retry
    assert store.get("k", "a").value == b"3"
    assert store.put("k", "b", b"x") == 1 and store.put("k", "b", b"y") == 2  # unconditional
    found = store.get_many("k", ["a", "b", "missing"])
    assert {k: e.value for k, e in found.items()} == {"a": b"3", "b": b"y"}
    store.delete("k", "a")
    assert store.get("k", "a") is None


def test_records_expire(store):
    store.put("t", "x", b"soon", ttl_s=0.2)
    assert store.get("t", "x").value == b"soon"
    time.sleep(0.4)
    assert store.get("t", "x") is None
    assert store.put("t", "x", b"again", version=0) == 1  # an expired record is as good as absent


def test_purge_keeps_a_kind_under_its_size(store):
    for i in range(5):
        store.put("c", str(i), b"x" * 100)
        time.sleep(0.01)
    assert store.purge("c", max_bytes=250) == 3
    assert sorted(store.get_many("c", [str(i) for i in range(5)])) == ["3", "4"]  # the newest kept


def test_concurrent_writers_lose_nothing(store):
    store.put("n", "counter", b"0")

    def add() -> None:
        for _ in range(25):
            while True:
                entry = store.get("n", "counter")
                if store.put("n", "counter", str(int(entry.value) + 1).encode(), version=entry.version):
                    break

    threads = [threading.Thread(target=add) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert store.get("n", "counter").value == b"150"


def test_sqlite_runs_in_wal_mode(tmp_path):
    import sqlite3

    open_state(tmp_path / "app.sqlite3").put("k", "a", b"1")
    assert sqlite3.connect(tmp_path / "app.sqlite3").execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_unusable_stores_are_one_clear_error(tmp_path):
    with pytest.raises(ConfigError, match="unsupported state store mysql://"):
        open_state("mysql://bi@localhost/app")
    (tmp_path / "not-a-db.sqlite3").write_bytes(b"this is not a database" * 100)
    with pytest.raises(StateStoreError, match=r"not-a-db\.sqlite3.*not a database"):
        open_state(tmp_path / "not-a-db.sqlite3")
    with pytest.raises(StateStoreError, match=re.escape("127.0.0.1:9")):
        open_state("postgresql://nobody@127.0.0.1:9/app")
    with pytest.raises(StateStoreError, match=re.escape("redis://127.0.0.1:9/0")):
        open_state("redis://127.0.0.1:9/0")
