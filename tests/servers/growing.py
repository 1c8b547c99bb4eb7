"""A warehouse that grows while ChatBI runs: the telecom sample cut to Guangdong, in a database of its
own on the suite's PostgreSQL server (DuckDB locks its file while it is open, so a running app and
a loader cannot share one), and the load job that adds January 2026 and a new channel to it."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import duckdb
import sqlalchemy as sa

from .postgres import load_duckdb_into_postgres

__all__ = ["NEW_CHANNEL", "PROVINCE", "growing_warehouse", "load_january"]

PROVINCE = "广东"
#: a channel nobody sold through before January 2026
NEW_CHANNEL = "小程序"
_TABLES = ("dim_plan", "dim_region", "fact_daily", "fact_network_daily")
_FACT_COLUMNS = ("city_id, plan_id, channel, segment, active_subscribers, new_subscribers, churned_subscribers, "
                 "revenue, data_traffic_gb, voice_minutes, complaints")


def growing_warehouse(postgres_url: str, sample_db_path: str | os.PathLike[str], database: str) -> str:
    """A new database ``database`` holding the sample's Guangdong rows (every date, plan, channel,
    segment; all dimension rows), which ends on 2025-12-31; returns its SQLAlchemy URL."""
    url = sa.engine.make_url(postgres_url)
    admin = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{database}"')
        conn.exec_driver_sql(f"CREATE DATABASE \"{database}\" TEMPLATE template0 ENCODING 'UTF8'")
    admin.dispose()
    ours = url.set(database=database).render_as_string(hide_password=False)
    with tempfile.TemporaryDirectory(prefix="chatbi-growing-") as tmp:
        cut = Path(tmp, "cut.duckdb")
        target = duckdb.connect(str(cut))
        try:  # the sample is attached read-only: nothing here can change it
            target.execute(f"ATTACH '{Path(sample_db_path).as_posix()}' AS sample (READ_ONLY)")
            cities = [r[0] for r in target.execute("SELECT city_id FROM sample.dim_region WHERE province = ?",
                                                   [PROVINCE]).fetchall()]
            for table in _TABLES:
                where = f"WHERE city_id IN ({', '.join(map(str, cities))})" if table.startswith("fact") else ""
                target.execute(f"CREATE TABLE {table} AS SELECT * FROM sample.{table} {where}")
        finally:
            target.close()
        load_duckdb_into_postgres(cut, ours, _TABLES)
    return ours


def load_january(url: str) -> None:
    """What a nightly load job does: January 2026 arrives (December's rows, 31 days later) with a new
    channel, NEW_CHANNEL (a tenth of the online channel's revenue), committed in one transaction."""
    engine = sa.create_engine(url)
    try:
        with engine.begin() as conn:
            conn.exec_driver_sql(f"INSERT INTO fact_daily SELECT date + 31, {_FACT_COLUMNS} FROM fact_daily "
                                 "WHERE date >= DATE '2025-12-01'")
            conn.exec_driver_sql(
                "INSERT INTO fact_daily SELECT date, city_id, plan_id, %(channel)s, segment, 0, new_subscribers, 0, "
                "revenue / 10, 0, 0, 0 FROM fact_daily WHERE date >= DATE '2026-01-01' AND channel = '线上'",
                {"channel": NEW_CHANNEL})
    finally:
        engine.dispose()
