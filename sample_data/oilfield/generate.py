"""Build the deterministic oil-field production warehouse (a DuckDB file): the second sample domain.

Tables (names and members are a contract for ``model.yaml`` and ``questions.yaml``):

- ``blocks`` -- 12 blocks in 3 fields (Chinese names plus ``*_en``); ``block_id`` primary key.
- ``wells`` -- 240 wells (``well_name`` such as ``BL1-07``), their block (declared foreign key),
  lift method (抽油机 rod pump / 电潜泵 ESP / 自喷 flowing) and spud date.
- ``daily_production`` -- one row per well and producing day, 2024-01-01..2025-12-31 (wells drilled
  during the period start when they are commissioned; about 170,000 rows): oil and water in tonnes,
  gas in thousand m³, operating hours, tubing pressure in MPa.
- ``downtime_events`` -- one row per well-day with downtime: reason and hours.

Behaviour built in: each well declines exponentially while its water cut rises; blocks differ in
rates and water cut. Two planted stories:

- a power outage (停电) stops every well of 北岭二区 for 12-24 h a day on 2025-07-10..2025-07-14;
- water breaks through in 南湖三区 from 2025-09-01: its water cut jumps by about 10 points.

Run ``python -m sample_data.oilfield.generate OUT.duckdb [--seed N]``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from sample_data._atomic import replace_duckdb_file

__all__ = ["DEFAULT_SEED", "FIELDS", "REASONS", "START", "END", "build_warehouse", "main"]

DEFAULT_SEED = 20250301
START, END = dt.date(2024, 1, 1), dt.date(2025, 12, 31)

#: field (zh, en, short code) -> its blocks' base oil rate per well (t/d) and base water cut
FIELDS: tuple[tuple[str, str, str, tuple[tuple[float, float], ...]], ...] = (
    ("北岭油田", "Beiling", "BL", ((9.0, 0.72), (7.5, 0.80), (11.0, 0.65), (6.0, 0.86))),
    ("西河油田", "Xihe", "XH", ((5.5, 0.88), (8.0, 0.76), (6.5, 0.83), (4.5, 0.90))),
    ("南湖油田", "Nanhu", "NH", ((12.0, 0.58), (10.0, 0.66), (8.5, 0.70), (7.0, 0.78))),
)
_NUMERALS = "一二三四"
LIFT_METHODS = (("抽油机", 0.62), ("电潜泵", 0.28), ("自喷", 0.10))
#: downtime reason -> (share of events, typical hours)
REASONS = (("检泵", 0.28, 14.0), ("停电", 0.14, 6.0), ("洗井", 0.18, 8.0), ("地面设备维修", 0.20, 5.0),
           ("计划关井", 0.10, 20.0), ("修井作业", 0.10, 22.0))
_OUTAGE = ("北岭二区", dt.date(2025, 7, 10), dt.date(2025, 7, 14))
_BREAKTHROUGH = ("南湖三区", dt.date(2025, 9, 1), 0.10)

_DDL = """
CREATE TABLE blocks (block_id INTEGER PRIMARY KEY, block_name VARCHAR, block_name_en VARCHAR,
                     field_name VARCHAR, field_name_en VARCHAR);
CREATE TABLE wells (well_id INTEGER PRIMARY KEY, well_name VARCHAR, block_id INTEGER REFERENCES blocks (block_id),
                    lift_method VARCHAR, spud_date DATE);
CREATE TABLE daily_production (prod_date DATE, well_id INTEGER, oil_t DOUBLE, gas_km3 DOUBLE, water_t DOUBLE,
                               operating_hours DOUBLE, tubing_pressure_mpa DOUBLE);
CREATE TABLE downtime_events (event_date DATE, well_id INTEGER, reason VARCHAR, downtime_hours DOUBLE);
"""


def _blocks() -> pd.DataFrame:
    rows = []
    for f, (field, field_en, _, blocks) in enumerate(FIELDS):
        for b in range(len(blocks)):
            rows.append((f * 4 + b + 1, f"{field[:2]}{_NUMERALS[b]}区", f"{field_en} Block {b + 1}",
                         field, f"{field_en} Field"))
    return pd.DataFrame(rows, columns=["block_id", "block_name", "block_name_en", "field_name", "field_name_en"])


def _wells(rng: np.random.Generator) -> pd.DataFrame:
    counts = rng.integers(15, 26, size=12)
    counts = counts + (240 - counts.sum()) // 12
    counts[-1] += 240 - counts.sum()
    block_id = np.repeat(np.arange(1, 13), counts)
    seq = np.concatenate([np.arange(1, c + 1) for c in counts])
    codes = [FIELDS[(b - 1) // 4][2] for b in block_id]
    names = [f"{code}{(b - 1) % 4 + 1}-{s:02d}" for code, b, s in zip(codes, block_id, seq)]
    lift = rng.choice([m for m, _ in LIFT_METHODS], size=240, p=[p for _, p in LIFT_METHODS])
    # most wells predate the period; one in ten is drilled during it and produces from then on
    old = pd.Timestamp("2008-01-01") + pd.to_timedelta(rng.integers(0, 5800, 240), unit="D")
    new = pd.Timestamp(START) + pd.to_timedelta(rng.integers(30, 650, 240), unit="D")
    spud = np.where(rng.random(240) < 0.1, new, old)
    return pd.DataFrame({"well_id": np.arange(1, 241), "well_name": names, "block_id": block_id,
                         "lift_method": lift, "spud_date": pd.to_datetime(spud).date})


def _production(rng: np.random.Generator, wells: pd.DataFrame, blocks: pd.DataFrame
                ) -> tuple[pd.DataFrame, pd.DataFrame]:
    days = pd.date_range(START, END, freq="D")
    n_wells, n_days = len(wells), len(days)
    base_rate = np.array([FIELDS[(b - 1) // 4][3][(b - 1) % 4][0] for b in wells.block_id])
    base_wc = np.array([FIELDS[(b - 1) // 4][3][(b - 1) % 4][1] for b in wells.block_id])
    rate = base_rate * rng.lognormal(0.0, 0.35, n_wells)
    wc0 = np.clip(base_wc + rng.normal(0, 0.04, n_wells), 0.2, 0.97)
    gor = rng.uniform(0.04, 0.14, n_wells)  # thousand m3 gas per tonne of oil
    pressure = rng.uniform(0.8, 3.5, n_wells)
    years = np.arange(n_days) / 365.0
    # well x day grids (240 x 731): decline, water-cut rise and daily noise
    oil_potential = rate[:, None] * np.exp(-0.12 * years)[None, :] * rng.lognormal(0, 0.08, (n_wells, n_days))
    wc = np.clip(wc0[:, None] + 0.025 * years[None, :] + rng.normal(0, 0.01, (n_wells, n_days)), 0.05, 0.985)
    block_names = blocks.set_index("block_id").block_name.reindex(wells.block_id).to_numpy()
    late = days >= pd.Timestamp(_BREAKTHROUGH[1])
    wc[np.ix_(block_names == _BREAKTHROUGH[0], late)] = np.clip(
        wc[np.ix_(block_names == _BREAKTHROUGH[0], late)] + _BREAKTHROUGH[2], 0.05, 0.985)

    downtime = np.zeros((n_wells, n_days))
    reason_idx = np.full((n_wells, n_days), -1)
    hit = rng.random((n_wells, n_days)) < 0.035
    picked = rng.choice(len(REASONS), size=int(hit.sum()), p=[r[1] for r in REASONS])
    reason_idx[hit] = picked
    typical = np.array([r[2] for r in REASONS])[picked]
    downtime[hit] = np.clip(rng.normal(typical, typical * 0.3), 1.0, 24.0).round(1)
    outage_days = (days >= pd.Timestamp(_OUTAGE[1])) & (days <= pd.Timestamp(_OUTAGE[2]))
    grid = np.ix_(block_names == _OUTAGE[0], outage_days)
    downtime[grid] = rng.uniform(12, 24, downtime[grid].shape).round(1)
    reason_idx[grid] = [r[0] for r in REASONS].index("停电")

    spud = pd.to_datetime(wells.spud_date).to_numpy()
    producing = days.to_numpy()[None, :] >= (spud[:, None] + np.timedelta64(20, "D"))
    hours = 24.0 - downtime
    oil = oil_potential * hours / 24.0
    water = oil * wc / (1.0 - wc)
    gas = oil * gor[:, None] * rng.lognormal(0, 0.05, (n_wells, n_days))
    tp = pressure[:, None] * np.exp(-0.05 * years)[None, :] + rng.normal(0, 0.05, (n_wells, n_days))
    w_idx, d_idx = np.nonzero(producing)
    prod = pd.DataFrame({
        "prod_date": days.to_numpy()[d_idx], "well_id": wells.well_id.to_numpy()[w_idx],
        "oil_t": oil[w_idx, d_idx].round(2), "gas_km3": gas[w_idx, d_idx].round(3),
        "water_t": water[w_idx, d_idx].round(2), "operating_hours": hours[w_idx, d_idx].round(1),
        "tubing_pressure_mpa": np.where(hours[w_idx, d_idx] > 0, tp[w_idx, d_idx], np.nan).round(2)})
    ew, ed = np.nonzero(producing & (reason_idx >= 0))
    events = pd.DataFrame({
        "event_date": days.to_numpy()[ed], "well_id": wells.well_id.to_numpy()[ew],
        "reason": np.array([r[0] for r in REASONS])[reason_idx[ew, ed]],
        "downtime_hours": downtime[ew, ed]})
    return prod, events


def _write(path: Path, frames: dict[str, pd.DataFrame]) -> None:
    con = duckdb.connect(str(path))
    try:
        con.execute(_DDL)
        for table in ("blocks", "wells", "daily_production", "downtime_events"):
            con.register("frame", frames[table])
            con.execute(f"INSERT INTO {table} BY NAME SELECT * FROM frame")
            con.unregister("frame")
        con.execute("CHECKPOINT")
    finally:
        con.close()


def build_warehouse(path: str | os.PathLike[str], *, seed: int = DEFAULT_SEED) -> Path:
    """Write the oil-field warehouse to ``path`` (atomically replaced); same seed, same contents."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    rng = np.random.Generator(np.random.PCG64(seed))
    blocks = _blocks()
    wells = _wells(rng)
    prod, events = _production(rng, wells, blocks)
    tables = {"blocks": blocks, "wells": wells, "daily_production": prod, "downtime_events": events}
    return replace_duckdb_file(target, lambda tmp: _write(tmp, tables))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sample_data.oilfield.generate",
                                     description="Build the deterministic oil-field production warehouse (DuckDB).")
    parser.add_argument("out", help="path of the DuckDB file to write (replaced if present)")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help=f"random seed (default {DEFAULT_SEED})")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    path = build_warehouse(args.out, seed=args.seed)
    print(f"wrote {path} in {time.perf_counter() - started:.1f}s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
