"""A scaled copy of the telecom sample warehouse (e.g. 100 M rows in ``fact_daily``), built in bulk in DuckDB.

The sample's two years of facts are copied ``k`` times, copy ``i`` moved back by ``731 * i`` days
(so copies never overlap and the newest data, the dimension tables and every member stay the
same): questions about recent periods give the sample's numbers, while anything that scans a
whole fact table (member lists, the newest date, queries without a period) scans ``k`` times
the rows. Copies are inserted oldest first, each in date order, as a warehouse loaded day by
day would be stored.

    python -m benchmarks.scaled_warehouse --rows 100M      # prints the file; built once, then cached
"""

from __future__ import annotations

import argparse
import math
import os
import time
from pathlib import Path

import duckdb

__all__ = ["scaled_warehouse", "parse_rows"]

SHIFT_DAYS = 731  # the sample spans 2024-01-01 .. 2025-12-31
FACTS = ("fact_daily", "fact_network_daily")


def parse_rows(text: str) -> int:
    """``100M`` -> 100_000_000, ``1.5M`` -> 1_500_000, ``250k`` -> 250_000."""
    text = text.strip().upper().replace("_", "")
    scale = {"K": 1_000, "M": 1_000_000, "G": 1_000_000_000}.get(text[-1:], 1)
    return int(float(text.rstrip("KMG")) * scale)


def _cache_dir() -> Path:
    root = Path(os.environ.get("CHATBI_CACHE_DIR") or Path.home() / ".cache" / "chatbi")
    return root / "bench"


def scaled_warehouse(rows: int, *, out: Path | None = None, verbose: bool = True) -> Path:
    """A DuckDB file whose ``fact_daily`` has at least ``rows`` rows (the sample itself when it has enough)."""
    from chatbi.api import sample_warehouse_path
    from sample_data._atomic import replace_duckdb_file

    sample = sample_warehouse_path()
    with duckdb.connect(str(sample), read_only=True) as con:
        base = int(con.execute("SELECT COUNT(*) FROM fact_daily").fetchone()[0])  # type: ignore[index]
    copies = max(1, math.ceil(rows / base))
    if copies == 1 and out is None:
        return sample
    target = out or _cache_dir() / f"{sample.stem}-x{copies}.duckdb"
    if target.exists():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)

    def write(tmp: Path) -> None:
        started = time.perf_counter()
        con = duckdb.connect(str(tmp))
        try:
            con.execute("SET memory_limit = '3GB'")
            con.execute("SET preserve_insertion_order = true")
            con.execute(f"ATTACH '{sample.as_posix()}' AS src (READ_ONLY)")
            tables = [r[0] for r in con.execute("SELECT table_name FROM duckdb_tables() WHERE database_name = 'src'")
                      .fetchall()]
            for table in tables:
                if table in FACTS:
                    con.execute(f"CREATE TABLE {table} AS SELECT * FROM src.{table} LIMIT 0")
                else:
                    con.execute(f"CREATE TABLE {table} AS SELECT * FROM src.{table}")
            for i in range(copies - 1, -1, -1):  # oldest copy first
                for table in FACTS:
                    con.execute(f"INSERT INTO {table} SELECT * REPLACE (date - {SHIFT_DAYS * i} AS date) "
                                f"FROM src.{table}")  # the sample is stored in date order
                if verbose:
                    done = copies - i
                    print(f"[scaled] {done}/{copies} copies, {done * base:,} rows in fact_daily, "
                          f"{time.perf_counter() - started:.0f} s", flush=True)
            con.execute("CHECKPOINT")
        finally:
            con.close()

    replace_duckdb_file(target, write)
    return target


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", default="100M", help="rows in fact_daily (default 100M)")
    parser.add_argument("--out", type=Path, help="write here instead of the cache")
    args = parser.parse_args()
    started = time.perf_counter()
    path = scaled_warehouse(parse_rows(args.rows), out=args.out)
    print(f"{path}  ({time.perf_counter() - started:.0f} s)")


if __name__ == "__main__":
    main()
