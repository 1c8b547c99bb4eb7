"""The data-version probe, and the time anchor and member index that follow it.

Real databases: an in-process DuckDB that the test writes to, and a scratch database on the
suite's PostgreSQL server.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import duckdb
import pytest
import sqlalchemy as sa

from chatbi import ChatBI
from chatbi.errors import EngineError
from chatbi.members import build_member_index
from chatbi.warehouse import DuckDBEngine, SQLAlchemyEngine
from chatbi.warehouse.metadata import WarehouseMetadata
from chatbi.warehouse.version import UNAVAILABLE, DataVersionProbe
from semantic_layer import SemanticModel

MODEL = {
    "name": "shop", "time_anchor": "latest", "time_dimension": "day",
    "tables": {
        "sales": {"columns": {"day": "date", "city_id": "integer", "channel": "varchar", "amount": "double"},
                  "time_column": "day"},
        "cities": {"columns": {"city_id": "integer", "city": "varchar"}, "primary_key": ["city_id"]}},
    "joins": [{"left": "sales", "right": "cities", "keys": {"city_id": "city_id"}}],
    "dimensions": {"day": {"type": "time", "grains": ["day", "month"]},
                   "city": {"table": "cities", "column": "city"},
                   "channel": {"table": "sales", "column": "channel", "members": {"app": ["mobile"]}}},
    "metrics": {"amount": {"table": "sales", "agg": "sum", "column": "amount"}},
}


class _Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture()
def shop() -> Iterator[duckdb.DuckDBPyConnection]:
    con = duckdb.connect(":memory:")
    con.execute("CREATE TABLE cities AS SELECT * FROM (VALUES (1, '广州'), (2, '深圳')) t(city_id, city)")
    # 400 days x 2 cities; the 'store' channel was used only in the first 30 days
    con.execute("""CREATE TABLE sales AS SELECT DATE '2025-01-01' + CAST(d AS INTEGER) AS day, c AS city_id,
                   CASE WHEN d < 30 AND c = 1 THEN 'store' ELSE 'web' END AS channel, 1.0 * d AS amount
                   FROM range(400) r(d), range(1, 3) s(c)""")
    yield con
    con.close()


def test_the_token_is_cached_for_its_ttl_and_follows_writes(shop: duckdb.DuckDBPyConnection) -> None:
    clock = _Clock()
    probe = DataVersionProbe(DuckDBEngine(connection=shop), ["sales", "cities"], ttl_s=30, clock=clock)
    first = probe.version()
    assert first != UNAVAILABLE and probe.version() == first
    shop.execute("INSERT INTO sales VALUES (DATE '2026-02-05', 1, 'web', 1.0)")
    assert probe.version() == first  # within the TTL: not probed again
    clock.now = 31
    second = probe.version()
    assert second != first
    shop.execute("INSERT INTO cities VALUES (3, '东莞')")
    assert probe.version(refresh=True) != second  # refresh probes at once


def test_a_failing_probe_keeps_the_last_token_and_retries_soon() -> None:
    class Flaky:
        dialect = "duckdb"

        def __init__(self) -> None:
            self.down, self.calls = False, 0

        def data_version(self, tables: object) -> str:
            self.calls += 1
            if self.down:
                raise EngineError("cannot reach the database")
            return "v1"

        def execute(self, sql: str) -> object:
            raise AssertionError("a versioned engine is probed through data_version")

        def close(self) -> None: ...

    engine, clock = Flaky(), _Clock()
    probe = DataVersionProbe(engine, ["t"], ttl_s=30, clock=clock)  # type: ignore[arg-type]
    assert DataVersionProbe(Flaky(), ["t"]).version() != UNAVAILABLE  # type: ignore[arg-type]
    token = probe.version()
    engine.down, clock.now = True, 31
    assert probe.version() == token and engine.calls == 2
    clock.now = 32  # within the retry delay: no new attempt
    assert probe.version() == token and engine.calls == 2
    clock.now = 37
    probe.version()
    assert engine.calls == 3
    fresh = DataVersionProbe(engine, ["t"], ttl_s=30, clock=clock)  # type: ignore[arg-type]
    assert fresh.version() == UNAVAILABLE


def test_anchor_and_members_follow_the_data_version(shop: duckdb.DuckDBPyConnection) -> None:
    bi = ChatBI(SemanticModel.from_dict(MODEL), DuckDBEngine(connection=shop))
    bi.metadata.probe.ttl_s = 0  # probe on every read: the test writes and reads at once
    assert bi.anchor == dt.date(2026, 2, 4)
    index = bi.members
    assert bi.members is index  # unchanged data: the same index object, not rebuilt
    shop.execute("INSERT INTO sales VALUES (DATE '2026-03-01', 2, 'partner', 5.0)")
    shop.execute("INSERT INTO cities VALUES (3, '东莞')")
    assert bi.anchor == dt.date(2026, 3, 1)
    assert bi.members is not index
    assert bi.members.values("channel") >= {"web", "partner"} and "东莞" in bi.members.values("city")
    answer = bi.query(metrics=["amount"], filters=[{"dimension": "channel", "op": "in", "values": ["partner"]}],
                      time_range=("2026-03-01", "2026-03-31"))
    assert answer.ok and answer.data["amount"].tolist() == [5.0]  # type: ignore[index]


def test_members_of_fact_dimensions_come_from_a_bounded_scan_of_recent_rows(shop: duckdb.DuckDBPyConnection) -> None:
    model = SemanticModel.from_dict(MODEL)
    engine = DuckDBEngine(connection=shop)
    latest = {"sales": dt.date(2026, 2, 4)}
    index = build_member_index(model, engine, latest=latest, window_days=92)
    # 'store' was last used a year before the newest date: not in recent rows; 'app' is declared in the model
    assert index.values("channel") == {"web", "app"} and index.sampled == {"channel"}
    assert index.values("city") == {"广州", "深圳"}  # a dimension table is read whole
    assert build_member_index(model, engine, latest=latest, exact=True).values("channel") == {"web", "store"}
    # without the newest dates the scan reads the first rows, at most scan_rows of them
    first_rows = build_member_index(model, engine, scan_rows=10).values("channel")
    assert "app" in first_rows and first_rows - {"app"} and first_rows <= {"store", "web", "app"}


def test_a_background_refresher_can_complete_the_members(shop: duckdb.DuckDBPyConnection) -> None:
    metadata = WarehouseMetadata(SemanticModel.from_dict(MODEL), DuckDBEngine(connection=shop))
    assert "store" not in metadata.members().values("channel")  # not used in the last 92 days
    completed = metadata.complete_members()
    assert completed.values("channel") == {"web", "store"} and not completed.sampled
    assert metadata.members() is completed  # kept for this data version


def test_the_anchor_can_be_pinned(shop: duckdb.DuckDBPyConnection) -> None:
    metadata = WarehouseMetadata(SemanticModel.from_dict(MODEL), DuckDBEngine(connection=shop))
    metadata.pin_anchor(dt.date(2025, 6, 30))
    assert metadata.latest_date() == dt.date(2025, 6, 30)
    metadata.pin_anchor(None)
    assert metadata.latest_date() == dt.date(2026, 2, 4)


@pytest.mark.postgres
def test_postgresql_version_moves_with_commits_without_scanning(postgres_url: str) -> None:
    url = sa.engine.make_url(postgres_url)
    admin = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql("DROP DATABASE IF EXISTS chatbi_freshness")
        conn.exec_driver_sql("CREATE DATABASE chatbi_freshness")
    admin.dispose()
    scratch = url.set(database="chatbi_freshness")
    writer = sa.create_engine(scratch, isolation_level="AUTOCOMMIT")
    engine = SQLAlchemyEngine(scratch.render_as_string(hide_password=False))
    try:
        with writer.connect() as conn:
            conn.exec_driver_sql("CREATE TABLE sales (day date, amount double precision)")
            conn.exec_driver_sql("INSERT INTO sales VALUES ('2025-01-01', 1)")
        marker = engine.data_version(["sales"])
        assert "sales" in marker and "track_counts" not in marker
        probe = DataVersionProbe(engine, ["sales"], ttl_s=0)
        first = _settled(probe)
        assert probe.version() == first  # reading does not move it
        with writer.connect() as conn:
            conn.exec_driver_sql("INSERT INTO sales VALUES ('2025-01-02', 2)")
        second = _changed(probe, first)
        with writer.connect() as conn:
            conn.exec_driver_sql("TRUNCATE sales")
        _changed(probe, second)
    finally:
        engine.close()
        writer.dispose()


def _settled(probe: DataVersionProbe) -> str:
    """The token once the server's statistics caught up with the last commit (the statistics are
    flushed asynchronously, within about a second): the same token twice, a second apart."""
    import time

    token = probe.version()
    for _ in range(30):
        time.sleep(1)
        again = probe.version()
        if again == token:
            return token
        token = again
    raise AssertionError("the data version kept moving without writes")


def _changed(probe: DataVersionProbe, old: str) -> str:
    import time

    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        token = probe.version()
        if token != old:
            return token
        time.sleep(0.2)
    raise AssertionError("the data version did not change after a commit")


def test_bounded_scans_read_computed_columns(shop: duckdb.DuckDBPyConnection) -> None:
    """A fact dimension and a time column computed from stored ones are read the same way."""
    spec = {**MODEL, "tables": {**MODEL["tables"], "sales": {
        **MODEL["tables"]["sales"], "time_column": "sold_on",
        "computed": {"sold_on": "CAST(day AS DATE)", "channel_group": "UPPER(channel)"}}},
        "dimensions": {**MODEL["dimensions"], "channel": {"table": "sales", "column": "channel_group"}}}
    model = SemanticModel.from_dict(spec)
    index = build_member_index(model, DuckDBEngine(connection=shop), latest={"sales": dt.date(2026, 2, 4)})
    assert index.values("channel") == {"WEB"}
