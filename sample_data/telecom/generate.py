"""Build the deterministic sample telecom warehouse (a DuckDB file).

Tables (names, types and members are a contract for the semantic model and the question sets):

- ``dim_region`` -- 33 cities in 11 provinces and 5 regions, Chinese names plus ``*_en``.
- ``dim_plan`` -- 8 plans of type 5G / 4G / 宽带 / 物联网 with their monthly fee.
- ``fact_daily`` -- one row per date x city x plan x channel x segment for 2024-01-01..2025-12-31
  (1,157,904 rows): active/new/churned subscribers, revenue, traffic, voice, complaints.
- ``fact_network_daily`` -- one row per date x city x vendor x band (217,107 rows): call
  attempts, dropped calls, downlink throughput, availability.

The data carry weekly seasonality, a Spring Festival dip, 5G growth / 4G decline and the four
documented anomalies in :data:`sample_data.telecom.STORIES`.

Run ``python -m sample_data.telecom.generate OUT.duckdb [--seed N]``.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from sample_data._atomic import replace_duckdb_file
from sample_data.telecom import _dims as d
from sample_data.telecom._facts import (
    START_DATE,
    calendar,
    check_stories,
    fact_daily,
    fact_network_daily,
)
from sample_data.telecom._stories import STORIES

__all__ = ["DEFAULT_SEED", "STORIES", "build_warehouse", "main"]

DEFAULT_SEED = 20251101

_DDL = """
CREATE TABLE dim_region (
    city_id INTEGER PRIMARY KEY, city VARCHAR, city_en VARCHAR, province VARCHAR,
    province_en VARCHAR, region VARCHAR, region_en VARCHAR);
CREATE TABLE dim_plan (
    plan_id INTEGER PRIMARY KEY, plan_name VARCHAR, plan_name_en VARCHAR, plan_type VARCHAR,
    monthly_fee DOUBLE);
CREATE TABLE fact_daily (
    date DATE, city_id INTEGER, plan_id INTEGER, channel VARCHAR, segment VARCHAR,
    active_subscribers BIGINT, new_subscribers INTEGER, churned_subscribers INTEGER,
    revenue DOUBLE, data_traffic_gb DOUBLE, voice_minutes DOUBLE, complaints INTEGER);
CREATE TABLE fact_network_daily (
    date DATE, city_id INTEGER, vendor VARCHAR, band VARCHAR, call_attempts BIGINT,
    dropped_calls INTEGER, dl_throughput_mbps DOUBLE, availability_pct DOUBLE);
"""

# The frames carry a day offset and categorical codes (cheap to build and to scan); the casts
# turn them into the contract's DATE / VARCHAR columns. Column lists are explicit so a reordered
# frame can never shift values into the wrong column.
_INSERT_DAILY = """
INSERT INTO fact_daily
SELECT CAST($start AS DATE) + day, city_id, plan_id, CAST(channel AS VARCHAR),
       CAST(segment AS VARCHAR), active_subscribers, new_subscribers, churned_subscribers,
       revenue, data_traffic_gb, voice_minutes, complaints
FROM daily_frame
"""
_INSERT_NETWORK = """
INSERT INTO fact_network_daily
SELECT CAST($start AS DATE) + day, city_id, CAST(vendor AS VARCHAR), CAST(band AS VARCHAR),
       call_attempts, dropped_calls, dl_throughput_mbps, availability_pct
FROM network_frame
"""


def _dim_region() -> pd.DataFrame:
    columns = ("city_id", "city", "city_en", "province", "province_en", "region", "region_en")
    return pd.DataFrame([[getattr(c, name) for name in columns] for c in d.CITIES],
                        columns=list(columns))


def _dim_plan() -> pd.DataFrame:
    columns = ("plan_id", "plan_name", "plan_name_en", "plan_type", "monthly_fee")
    return pd.DataFrame([[getattr(p, name) for name in columns] for p in d.PLANS],
                        columns=list(columns))


def _write(path: Path, daily: pd.DataFrame, network: pd.DataFrame) -> None:
    con = duckdb.connect(str(path))
    try:
        con.execute(_DDL)
        for table, frame in (("dim_region", _dim_region()), ("dim_plan", _dim_plan())):
            con.register("dim_frame", frame)
            con.execute(f"INSERT INTO {table} BY NAME SELECT * FROM dim_frame")
            con.unregister("dim_frame")
        con.register("daily_frame", daily)
        con.execute(_INSERT_DAILY, {"start": START_DATE})
        con.unregister("daily_frame")
        con.register("network_frame", network)
        con.execute(_INSERT_NETWORK, {"start": START_DATE})
        con.unregister("network_frame")
        # Fold the WAL into the file so the single file we move is the whole database.
        con.execute("CHECKPOINT")
    finally:
        con.close()


def build_warehouse(path: str | os.PathLike[str], *, seed: int = DEFAULT_SEED) -> Path:
    """Write the sample telecom warehouse to ``path`` (replacing it atomically) and return it.

    The same ``seed`` always yields identical table contents. The file is built under a
    temporary name in the same folder and moved into place with ``os.replace``, so readers
    never see a half-written warehouse and a failed build leaves any previous file untouched.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    check_stories(STORIES)
    rng = np.random.Generator(np.random.PCG64(seed))
    dates = calendar()
    daily, mobile_subscribers = fact_daily(rng, dates)
    network = fact_network_daily(rng, dates, mobile_subscribers)
    del mobile_subscribers

    return replace_duckdb_file(target, lambda tmp: _write(tmp, daily, network))


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: ``python -m sample_data.telecom.generate OUT.duckdb [--seed N]``."""
    parser = argparse.ArgumentParser(
        prog="python -m sample_data.telecom.generate",
        description="Build the deterministic sample telecom warehouse (DuckDB).")
    parser.add_argument("out", help="path of the DuckDB file to write (replaced if present)")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED,
                        help=f"random seed (default {DEFAULT_SEED})")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    path = build_warehouse(args.out, seed=args.seed)
    print(f"wrote {path} in {time.perf_counter() - started:.1f}s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
