"""Time from "I have data" to a drafted model: profiling, join and hierarchy inference, per warehouse.

    python -m benchmarks.draft_model [--repeat 3]

Warehouses: the telecom sample (4 tables, 1.37 M rows; facts profiled on samples), the oil-field
sample (4 tables, 177 k rows) and two files (a 200 k-row CSV and a Parquet file) through
``ChatBI.from_files``. Each is drafted ``--repeat`` times after one warm-up; wall-clock times.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import duckdb

from chatbi import ChatBI
from chatbi.api import sample_warehouse_path
from chatbi.modeling import draft_model
from chatbi.warehouse import DuckDBEngine
from sample_data.oilfield import warehouse_path

from ._common import print_table, summarise, write_result


def _files(root: Path) -> tuple[Path, Path]:
    csv, parquet = root / "sales.csv", root / "stores.parquet"
    with duckdb.connect() as con:
        con.execute(f"""COPY (SELECT DATE '2024-01-01' + CAST(i % 730 AS INTEGER) AS order_date, 1 + i % 50 AS store_id,
                        ['a', 'b', 'c'][1 + i % 3] AS category, 1 + i % 9 AS quantity, 2.5 + (i % 7) AS unit_price,
                        (1 + i % 9) * (2.5 + (i % 7)) AS amount FROM range(200000) t(i))
                        TO '{csv.as_posix()}' (HEADER)""")
        con.execute(f"""COPY (SELECT i AS store_id, 'S' || i AS store_name, 'city' || (i % 10) AS city,
                        'prov' || (i % 10 % 3) AS province FROM range(1, 51) t(i)) TO '{parquet.as_posix()}'
                        (FORMAT parquet)""")
    return csv, parquet


def _time(fn, repeat: int) -> list[float]:
    fn()  # warm-up
    out = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        out.append((time.perf_counter() - start) * 1000)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    rows = []
    for label, path in (("telecom (DuckDB, 1.37M rows)", sample_warehouse_path()),
                        ("oilfield (DuckDB, 177k rows)", warehouse_path())):
        def run(path: Path = path) -> None:
            engine = DuckDBEngine(path)
            try:
                draft_model(engine)
            finally:
                engine.close()
        rows.append({"source": label, **summarise(_time(run, args.repeat))})
    with tempfile.TemporaryDirectory() as tmp:
        csv, parquet = _files(Path(tmp))

        def files() -> None:
            ChatBI.from_files(csv, parquet).close()
        rows.append({"source": "files (CSV 200k rows + Parquet)", **summarise(_time(files, args.repeat))})
    print_table(rows, ["source", "n", "p50_ms", "max_ms"])
    print(write_result("draft_model", {"rows": rows}))


if __name__ == "__main__":
    main()
